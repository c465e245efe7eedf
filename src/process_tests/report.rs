//! What `flowgate test` prints: a line per test, then for each failure
//! what was expected and what came (a line diff for bodies), the calls its
//! `http` steps made and the steps it ran; last, `N passed, N failed`.

use std::fmt::Write as _;

use super::run::{Failure, TestOutcome};
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
