//! `flowgate test` and `flowgate run` end to end: the real binary on
//! roots written for each test. A test suite must fail when it should
//! (wrong status, body, header, JSON, path value, a call without a stub)
//! and say why; mistakes in `tests:` are diagnostics like any other.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::{binary, repo_root};

fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn flowgate(args: &[&str]) -> Output {
    Command::new(binary())
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("flowgate runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

const SETTINGS: &str = r#"
[server]
listen = "127.0.0.1:9999"

[upstreams.stock]
base_url = "http://127.0.0.1:1/api"

[users.acme]
token_sha256 = "TOKEN"
roles = ["partners"]

[users.globex]
token_sha256 = "0000000000000000000000000000000000000000000000000000000000000001"
roles = ["partners"]
allow_ips = ["10.0.0.0/8"]

[users.intruder]
token_sha256 = "0000000000000000000000000000000000000000000000000000000000000002"
roles = ["visitors"]
"#;

const GREET: &str = r#"
listen: { operation: get, object: Greeting, output: json }
steps:
  - message: '{"greeting": "Hello, {{ request.query.name | default("World") }}", "n": 2}'
  - return: { headers: { X-Greeted: "{{ request.query.name | default('') }}" } }
tests:
  - name: passes
    request: { query: { name: Ada } }
    expect:
      status: 200
      headers: { X-Greeted: Ada, Content-Type: application/json }
      headers_absent: [Set-Cookie, location]
      body: { greeting: "Hello, Ada", n: 2 }
      json: { n: 2 }
      paths: { /greeting: "Hello, Ada" }
      body_contains: Ada
  - name: wrong status
    expect: { status: 201 }
  - name: wrong body
    request: { query: { name: Ada } }
    expect: { body: '{"greeting": "Hello, Bob", "n": 2}' }
  - name: wrong header
    request: { query: { name: Ada } }
    expect: { headers: { X-Greeted: Bob } }
  - name: a header that should be absent
    request: { query: { name: Ada } }
    expect: { headers_absent: [X-Greeted] }
  - name: wrong json
    expect: { json: { n: 3 } }
  - name: wrong path value
    expect: { paths: { /greeting: "Hello, Bob" } }
"#;

const LOOKUP: &str = r#"
listen: { operation: get, object: Stock, output: json }
steps:
  - http: { upstream: stock, path: /stock/A }
  - return: {}
tests:
  - name: stubbed
    stubs: [{ upstream: stock, path: /stock/A, body: { units: 3 } }]
    expect: { json: { units: 3 } }
  - name: without a stub
    expect: { status: 200 }
  - name: stubbed from a file
    stubs: [{ upstream: stock, method: GET, body_file: samples/stock.json }]
    expect: { json: { units: 7 } }
"#;

const CAUGHT: &str = r#"
listen: { operation: get, object: Rates, output: json }
steps:
  - try:
      steps:
        - http: { url: "http://127.0.0.1:1/rates" }
      catch:
        - message: '{"rates": "unknown"}'
  - return: {}
tests:
  - name: a caught call without a stub still fails
    expect: { json: { rates: unknown } }
"#;

const PRIVATE: &str = r#"
listen: { operation: get, object: Secret, output: json }
access: { auth: [token], users: ["role:partners"] }
steps:
  - message: '{"user": "{{ request.user }}"}'
  - return: {}
tests:
  - name: a partner may
    request: { user: acme }
    expect: { json: { user: acme } }
  - name: a partner from elsewhere may not
    request: { user: globex, remote_ip: 192.0.2.1 }
    expect: { status: 403, problem: { type: address-not-allowed } }
  - name: a partner from the allowed network may
    request: { user: globex, remote_ip: 10.1.2.3 }
    expect: { json: { user: globex } }
  - name: a visitor may not
    request: { user: intruder }
    expect: { status: 403, problem: { type: forbidden } }
  - name: nobody may not
    expect: { status: 401 }
  - name: a token is a real credential
    request: { headers: { X-API-Key: partner-token } }
    expect: { json: { user: acme } }
"#;

const ECHO_TOML: &str = r#"
[listen]
operation = "execute"
object = "Echo"
input = "json"
output = "json"

[[steps]]
return = {}

[[tests]]
name = "echoes"
request = { body = { a = 1 } }
expect = { status = 200, json = { a = 1 } }

[[tests]]
name = "fails in toml"

[tests.request]
body = '{"a": 1}'

[tests.expect]
json = { a = 2 }
"#;

/// A temporary root whose tests pass and fail in known ways.
fn failing_root() -> tempfile::TempDir {
    use sha2::Digest as _;
    let dir = tempfile::tempdir().unwrap();
    let token = hex::encode(sha2::Sha256::digest(b"partner-token"));
    write(
        dir.path(),
        &[
            ("flowgate.toml", &SETTINGS.replace("TOKEN", &token)),
            ("processes/greet.yaml", GREET),
            ("processes/lookup.yaml", LOOKUP),
            ("samples/stock.json", r#"{"units": 7}"#),
            ("processes/caught.yaml", CAUGHT),
            ("processes/private.yaml", PRIVATE),
            ("processes/echo.toml", ECHO_TOML),
        ],
    );
    dir
}

#[test]
fn a_suite_fails_when_it_should_and_says_why() {
    let dir = failing_root();
    let output = flowgate(&["test", dir.path().to_str().unwrap()]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    for line in [
        "ok      greet/passes",
        "FAILED  greet/wrong status",
        "FAILED  greet/wrong body",
        "FAILED  greet/wrong header",
        "FAILED  greet/a header that should be absent",
        "FAILED  greet/wrong json",
        "FAILED  greet/wrong path value",
        "ok      lookup/stubbed",
        "ok      lookup/stubbed from a file",
        "FAILED  lookup/without a stub",
        "FAILED  caught/a caught call without a stub still fails",
        "ok      private/a partner may",
        "ok      private/a partner from elsewhere may not",
        "ok      private/a partner from the allowed network may",
        "ok      private/a visitor may not",
        "ok      private/nobody may not",
        "ok      private/a token is a real credential",
        "ok      echo/echoes",
        "FAILED  echo/fails in toml",
    ] {
        assert!(out.contains(&format!("{line}\n")), "no `{line}` in:\n{out}");
    }
    for message in [
        "status: expected 201 Created, got 200 OK",
        "body: not the expected body",
        "-  \"greeting\": \"Hello, Bob\",",
        "+  \"greeting\": \"Hello, Ada\",",
        "header `x-greeted`: expected `Bob`, got `Ada`",
        "header `x-greeted`: expected none, got `Ada`",
        "json: at /n: expected 3, got 2",
        "path `/greeting`: expected \"Hello, Bob\", got \"Hello, World\"",
        // Never "cannot be reached": no test opens a socket.
        "no stub answers `GET http://127.0.0.1:1/api/stock/A`",
        "status: expected 200 OK, got 502 Bad Gateway",
        "no stub answers `GET http://127.0.0.1:1/rates`",
        "json: at /a: expected 2, got 1",
        "---- greet/wrong status (processes/greet.yaml:17)",
        "steps:\n  greet steps[0].message (line 4): 1 in, 1 out",
        "GET http://127.0.0.1:1/api/stock/A -> no stub",
    ] {
        assert!(out.contains(message), "no `{message}` in:\n{out}");
    }
    assert!(!out.contains("cannot be reached"), "{out}");
    assert!(out.ends_with("10 passed, 9 failed\n"), "{out}");
}

#[test]
fn a_suite_reports_to_ci_as_junit_xml_and_as_json() {
    let dir = failing_root();
    let root = dir.path().to_str().unwrap();

    let output = flowgate(&["test", root, "--format", "junit"]);
    let xml = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{xml}");
    flowgate::doc::xml::check(&xml, &Default::default()).expect("well-formed XML");
    assert!(xml.starts_with("<?xml"), "{xml}");
    for part in [
        r#"<testsuites name="flowgate" tests="19" failures="9" "#,
        r#"<testsuite name="greet" tests="7" failures="6" "#,
        r#"<testcase name="passes" classname="greet" file="processes/greet.yaml" line="7" "#,
        r#"<failure message="header `x-greeted`: expected `Bob`, got `Ada`">"#,
        // The failure's text is what the text report says, escaped.
        "path `/greeting`: expected &quot;Hello, Bob&quot;, got &quot;Hello, World&quot;",
        r#"<testsuite name="private" tests="6" failures="0" "#,
    ] {
        assert!(xml.contains(part), "no `{part}` in:\n{xml}");
    }
    assert!(!xml.contains("ok      "), "{xml}");

    let output = flowgate(&["test", root, "--format", "json", "--filter", "greet/"]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["compiled"], true);
    assert_eq!(report["passed"], 1);
    assert_eq!(report["failed"], 6);
    let wrong = report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "greet/wrong header")
        .expect("the test");
    assert_eq!(wrong["passed"], false);
    assert_eq!(wrong["status"], 200);
    assert_eq!(wrong["line"], 22);
    assert_eq!(
        wrong["failures"][0]["message"],
        "header `x-greeted`: expected `Bob`, got `Ada`"
    );

    let output = flowgate(&["test", root, "--format", "json", "--filter", "greet/passes"]);
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn a_root_that_does_not_compile_is_a_failed_report_not_an_empty_one() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "processes/b.yaml",
            "listen: { operation: get, object: B, output: json }\nsteps:\n  - mesage: x\n",
        )],
    );
    let root = dir.path().to_str().unwrap();

    let output = flowgate(&["test", root, "--format", "junit"]);
    let xml = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{xml}");
    flowgate::doc::xml::check(&xml, &Default::default()).expect("well-formed XML");
    for part in [
        r#"<testsuites name="flowgate" tests="1" failures="1" "#,
        r#"<testcase name="the root compiles" classname="compile" "#,
        r#"<failure message="failed: 1 error, 0 warnings; no test was run">error: unknown step `mesage`"#,
        "--&gt; processes/b.yaml:3:5",
    ] {
        assert!(xml.contains(part), "no `{part}` in:\n{xml}");
    }

    let output = flowgate(&["test", root, "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["compiled"], false);
    assert_eq!(report["tests"], serde_json::json!([]));
    assert_eq!(report["diagnostics"][0]["message"], "unknown step `mesage`");
    assert_eq!(report["diagnostics"][0]["line"], 3);
}

#[test]
fn filter_selects_tests_by_process_and_name() {
    let dir = failing_root();
    let root = dir.path().to_str().unwrap();
    let output = flowgate(&["test", root, "--filter", "greet/pass"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert_eq!(out, "ok      greet/passes\n1 passed, 0 failed\n");

    let output = flowgate(&["test", root, "--filter", "private/"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).ends_with("6 passed, 0 failed\n"));

    let output = flowgate(&["test", root, "--filter", "no such test"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("no test's `process/name` contains `no such test`"));
}

#[test]
fn a_root_that_does_not_compile_runs_no_test() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "processes/bad.yaml",
            "listen: { operation: get, object: Bad, output: json }\nsteps: [{ return: {} }]\ntests:\n  - name: x\n    expext: { status: 200 }\n",
        )],
    );
    let output = flowgate(&["test", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("unknown key `expext`"), "{err}");
    assert!(err.contains("did you mean `expect`?"), "{err}");
    assert!(err.contains("no test was run"), "{err}");
}

/// Step durations differ from run to run.
fn without_timings(text: &str) -> String {
    let duration = regex::Regex::new(r" \[[0-9.]+ (µs|ms|s)\]").unwrap();
    duration.replace_all(text, " [duration]").into_owned()
}

#[test]
fn run_trace_prints_each_step_and_its_documents() {
    let root = repo_root();
    let output = flowgate(&[
        "run",
        root.to_str().unwrap(),
        "order-summary",
        "--input",
        root.join("samples/order.xml").to_str().unwrap(),
        "--trace",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let out = stdout(&output);
    assert!(out.contains(" µs]") || out.contains(" ms]"), "{out}");
    insta::assert_snapshot!("run_trace_order_summary", without_timings(&out));
}

#[test]
fn run_trace_shows_the_step_that_failed() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("payment.json");
    std::fs::write(&input, r#"{"order": "A-17", "amount": 2500}"#).unwrap();
    let root = repo_root();
    let output = flowgate(&[
        "run",
        root.to_str().unwrap(),
        "submit-payment",
        "--input",
        input.to_str().unwrap(),
        "--trace",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    let id = regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f-]{27}").unwrap();
    let out = id
        .replace_all(&without_timings(&out), "EXECUTION-ID")
        .into_owned();
    insta::assert_snapshot!("run_trace_exception", out);
}

#[test]
fn run_at_a_url_fills_the_path_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("order.json");
    std::fs::write(&input, r#"{"id": "A-17", "customer": "Ada", "lines": []}"#).unwrap();
    let root = repo_root();
    let run_at = |url: &str| {
        flowgate(&[
            "run",
            root.to_str().unwrap(),
            "echo-order",
            "--input",
            input.to_str().unwrap(),
            "--url",
            url,
        ])
    };
    let output = run_at("/ws/rest/orders/eu-west");
    assert_eq!(output.status.code(), Some(0));
    let out = stdout(&output);
    assert!(out.starts_with("201 Created\n"), "{out}");
    assert!(
        out.contains("location: /ws/rest/orders/eu-west/A-17\n"),
        "{out}"
    );

    let output = run_at("/ws/rest/orders");
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("`/ws/rest/orders` is not a URL of process `echo-order`; its URLs are `/ws/simple/createOrderEcho` and `POST /ws/rest/orders/{region}`"),
        "{err}"
    );
}

#[test]
fn run_refuses_an_unknown_process() {
    let root = repo_root();
    let output = flowgate(&["run", root.to_str().unwrap(), "helo"]);
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("there is no process `helo`"), "{err}");
    assert!(err.contains("did you mean `hello`?"), "{err}");
}

#[test]
fn every_root_of_the_repository_passes_its_own_tests() {
    for root in repository_roots() {
        for file in process_files(&root.join("processes")) {
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(
                text.contains("\ntests:") || text.contains("[[tests]]"),
                "{} has no tests",
                file.display()
            );
        }
        let output = flowgate(&["test", root.to_str().unwrap()]);
        let out = stdout(&output);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}:\n{out}{}",
            root.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(out.contains(" passed, 0 failed"), "{out}");
    }
}

/// The config roots the repository ships: itself, each example and each
/// root nested in an example.
fn repository_roots() -> Vec<std::path::PathBuf> {
    let root = repo_root();
    let mut roots = vec![root.clone()];
    for entry in std::fs::read_dir(root.join("examples")).unwrap() {
        let dir = entry.unwrap().path();
        if dir.join("flowgate.toml").is_file() {
            roots.push(dir.clone());
        }
        for nested in std::fs::read_dir(&dir).unwrap() {
            let nested = nested.unwrap().path();
            if nested.join("flowgate.toml").is_file() {
                roots.push(nested);
            }
        }
    }
    roots
}

/// What the repository shows users is clean: not even a warning.
#[test]
fn every_root_of_the_repository_checks_without_a_warning() {
    for root in repository_roots() {
        let output = flowgate(&["check", root.to_str().unwrap()]);
        let out = stdout(&output);
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}:\n{out}{err}",
            root.display()
        );
        assert!(
            format!("{out}{err}").contains("(0 errors, 0 warnings)"),
            "{}:\n{out}{err}",
            root.display()
        );
    }
}

fn process_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(process_files(&path));
        } else if path
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml" || ext == "toml")
        {
            files.push(path);
        }
    }
    files
}
