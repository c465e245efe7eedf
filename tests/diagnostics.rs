//! Golden snapshots of the diagnostics of broken config roots: what each
//! mistake reports, and at which file:line:col.

use std::path::Path;

use flowgate::compile::compile_root;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn a_broken_root_reports_every_mistake_in_one_run() {
    let compilation = compile_root(&fixture("broken"));
    assert!(compilation.snapshot.is_none());
    let rendered = format!(
        "{}{}",
        compilation.diagnostics.render(),
        compilation.diagnostics.summary()
    );
    insta::assert_snapshot!("broken_root", rendered);
}

#[test]
fn access_mistakes_are_reported_where_they_are() {
    let compilation = compile_root(&fixture("broken-access"));
    assert!(compilation.snapshot.is_none());
    let rendered = format!(
        "{}{}",
        compilation.diagnostics.render(),
        compilation.diagnostics.summary()
    );
    insta::assert_snapshot!("broken_access", rendered);
}

#[test]
fn diagnostics_as_json() {
    let compilation = compile_root(&fixture("broken"));
    let json = serde_json::to_string_pretty(&compilation.diagnostics).unwrap();
    insta::assert_snapshot!("broken_root_json", json);
}

#[test]
fn the_demo_root_compiles_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let compilation = compile_root(root);
    assert!(
        compilation.diagnostics.is_empty(),
        "{}",
        compilation.diagnostics.render()
    );
    assert!(compilation.snapshot.is_some());
}

#[test]
fn mistakes_in_tests_are_reported_where_they_are() {
    let compilation = compile_root(&fixture("broken-tests"));
    assert!(compilation.snapshot.is_none());
    assert!(compilation.tests.tests.is_empty());
    let rendered = format!(
        "{}{}",
        compilation.diagnostics.render(),
        compilation.diagnostics.summary()
    );
    insta::assert_snapshot!("broken_tests", rendered);
}

#[test]
fn template_names_are_checked_where_they_are_written() {
    let compilation = compile_root(&fixture("broken-templates"));
    assert!(compilation.snapshot.is_none());
    let rendered = format!(
        "{}{}",
        compilation.diagnostics.render(),
        compilation.diagnostics.summary()
    );
    insta::assert_snapshot!("broken_templates", rendered);
}

/// Under `--log-format json`, a root that does not compile is reported in
/// log events like every other line: stderr stays one JSON object per line.
#[test]
fn serve_with_json_logs_reports_a_broken_root_in_json_lines() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_flowgate"))
        .args(["serve", "--log-format", "json", "--listen", "127.0.0.1:0"])
        .args(["--admin-listen", "127.0.0.1:0"])
        .arg(fixture("broken"))
        .output()
        .expect("flowgate runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: not JSON: {line}")))
        .collect();
    let diagnostics = compile_root(&fixture("broken")).diagnostics;
    let located = diagnostics
        .iter()
        .filter(|d| d.is_error() && d.location.is_some())
        .count();
    let logged = lines
        .iter()
        .filter(|line| line["level"] == "ERROR" && line["at"].is_string())
        .count();
    assert!(located > 0 && logged == located, "{stderr}");
    let last = lines.last().expect("a line");
    assert!(
        last["message"]
            .as_str()
            .is_some_and(|m| m.contains("nothing is served")),
        "{last}"
    );
}

/// Output that cannot be written is a one-line error, not a panic.
#[test]
fn output_that_cannot_be_written_is_an_error_not_a_panic() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // not on this system
    };
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_flowgate"))
        .args(["check", "--format", "json"])
        .arg(env!("CARGO_MANIFEST_DIR"))
        .stdout(full)
        .output()
        .expect("flowgate runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: cannot write the output"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
