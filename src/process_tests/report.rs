//! What `flowgate test` prints: a line per test, then for each failure
//! what was expected and what came (a line diff for bodies), the calls its
//! `http` steps made and the steps it ran; last, `N passed, N failed`.

use std::fmt::Write as _;

use super::run::{Failure, TestOutcome};
use crate::diag::Diagnostics;
use crate::report::{Timings, trace_text};

/// `ok      process/name` or `FAILED  process/name`.
pub fn outcome_line(outcome: &TestOutcome) -> String {
    let verdict = if outcome.passed() { "ok" } else { "FAILED" };
    format!("{verdict:<7} {}", outcome.id)
}

/// Everything about a failed test.
pub fn failure_text(outcome: &TestOutcome, timings: Timings) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "---- {} ({}:{})",
        outcome.id, outcome.file, outcome.line
    );
    for failure in &outcome.failures {
        failure_lines(failure, &mut out);
    }
    if !outcome.calls.is_empty() {
        out.push_str("calls:\n");
        for call in &outcome.calls {
            let answered = match &call.stub {
                Some(stub) => format!("stub {stub}"),
                None => "no stub".to_owned(),
            };
            let _ = writeln!(out, "  {} {} -> {answered}", call.method, call.url);
        }
    }
    if !outcome.steps.is_empty() {
        out.push_str("steps:\n");
        for line in trace_text(&outcome.steps, timings).lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

fn failure_lines(failure: &Failure, out: &mut String) {
    let _ = writeln!(out, "{}", failure.message);
    match (&failure.expected, &failure.actual) {
        (Some(expected), Some(actual)) => {
            out.push_str("  --- expected\n  +++ actual\n");
            let diff = similar::TextDiff::from_lines(expected.as_str(), actual.as_str());
            for change in diff.iter_all_changes() {
                let sign = match change.tag() {
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                    similar::ChangeTag::Equal => ' ',
                };
                let line = change.value();
                let _ = write!(out, "  {sign}{line}");
                if !line.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
        (None, Some(actual)) => {
            out.push_str("  the body:\n");
            for line in actual.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
        _ => {}
    }
}

/// `N passed, N failed`.
pub fn summary(outcomes: &[TestOutcome]) -> String {
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    format!("{passed} passed, {} failed", outcomes.len() - passed)
}

/// The outcomes as JUnit XML, as CI servers read it: a `testsuite` per
/// process, in the order of the outcomes; a failed `testcase` holds a
/// `failure` whose message is the first thing that differed and whose text
/// is [`failure_text`] without timings.
pub fn junit(outcomes: &[TestOutcome]) -> String {
    use crate::doc::xml::escape_lossy as esc;
    let all: Vec<&TestOutcome> = outcomes.iter().collect();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, r#"<testsuites name="flowgate" {}>"#, totals(&all));
    let mut processes: Vec<&str> = Vec::new();
    for outcome in outcomes {
        if !processes.contains(&outcome.process.as_str()) {
            processes.push(&outcome.process);
        }
    }
    for process in processes {
        let suite: Vec<&TestOutcome> = all
            .iter()
            .copied()
            .filter(|o| o.process == process)
            .collect();
        let _ = writeln!(
            out,
            r#"  <testsuite name="{}" {}>"#,
            esc(process),
            totals(&suite)
        );
        for outcome in suite {
            let _ = write!(
                out,
                r#"    <testcase name="{}" classname="{}" file="{}" line="{}" time="{:.6}""#,
                esc(&outcome.name),
                esc(process),
                esc(&outcome.file),
                outcome.line,
                outcome.duration.as_secs_f64()
            );
            let Some(first) = outcome.failures.first() else {
                out.push_str("/>\n");
                continue;
            };
            let text = failure_text(outcome, Timings::Hide);
            let _ = writeln!(
                out,
                ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                esc(&first.message),
                esc(&text)
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// A root that does not compile, as JUnit XML: no test could run, so the
/// report holds one failed `testcase`, "the root compiles", whose text is
/// every diagnostic, and a CI server shows why instead of an empty report.
pub fn junit_not_compiled(diagnostics: &Diagnostics) -> String {
    use crate::doc::xml::escape_lossy as esc;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<testsuites name=\"flowgate\" tests=\"1\" failures=\"1\" time=\"0.000000\">\n");
    out.push_str("  <testsuite name=\"compile\" tests=\"1\" failures=\"1\" time=\"0.000000\">\n");
    let _ = writeln!(
        out,
        "    <testcase name=\"the root compiles\" classname=\"compile\" time=\"0.000000\">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
        esc(&format!(
            "failed: {}; no test was run",
            diagnostics.summary()
        )),
        esc(&diagnostics.render())
    );
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// A root that does not compile, as JSON: no tests, `compiled` false and
/// the diagnostics as `flowgate check --format json` gives them.
pub fn json_not_compiled(diagnostics: &Diagnostics) -> serde_json::Value {
    serde_json::json!({
        "compiled": false,
        "tests": [],
        "passed": 0,
        "failed": 0,
        "diagnostics": diagnostics,
    })
}

/// The `tests`, `failures` and `time` attributes of a JUnit suite.
fn totals(outcomes: &[&TestOutcome]) -> String {
    let failures = outcomes.iter().filter(|o| !o.passed()).count();
    // Summed from +0: an empty sum of floats is -0, written `-0.000000`.
    let time = outcomes
        .iter()
        .fold(0.0, |sum, o| sum + o.duration.as_secs_f64());
    format!(
        r#"tests="{}" failures="{failures}" time="{time:.6}""#,
        outcomes.len()
    )
}

/// The outcomes as JSON: `tests` (each with `id`, `process`, `name`,
/// `file`, `line`, `passed`, `status`, `duration_ms` and its `failures`,
/// each a `message` with the `expected` and `actual` bodies it compared),
/// `passed` and `failed`, and `compiled` (true: see [`json_not_compiled`]).
pub fn json(outcomes: &[TestOutcome]) -> serde_json::Value {
    let tests: Vec<serde_json::Value> = outcomes
        .iter()
        .map(|outcome| {
            let failures: Vec<serde_json::Value> = outcome
                .failures
                .iter()
                .map(|failure| {
                    serde_json::json!({
                        "message": failure.message,
                        "expected": failure.expected,
                        "actual": failure.actual,
                    })
                })
                .collect();
            serde_json::json!({
                "id": outcome.id,
                "process": outcome.process,
                "name": outcome.name,
                "file": outcome.file,
                "line": outcome.line,
                "passed": outcome.passed(),
                "status": outcome.status.map(|s| s.as_u16()),
                "duration_ms": outcome.duration.as_secs_f64() * 1000.0,
                "failures": failures,
            })
        })
        .collect();
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    serde_json::json!({
        "compiled": true,
        "tests": tests,
        "passed": passed,
        "failed": outcomes.len() - passed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_tests_take_no_time() {
        assert_eq!(totals(&[]), r#"tests="0" failures="0" time="0.000000""#);
    }
}
