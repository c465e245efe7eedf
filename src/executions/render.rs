//! What `flowgate executions` prints: a table of executions, or one
//! execution with its steps and documents.

use std::fmt::Write as _;

use super::store::{Execution, StoredDocument, StoredOutcome, Summary};

/// One line per execution under a header; columns as wide as their values.
pub fn table(executions: &[Summary]) -> String {
    let header = [
        "ID", "STARTED", "PROCESS", "USER", "STATUS", "DURATION", "ERROR",
    ];
    let rows: Vec<[String; 7]> = executions
        .iter()
        .map(|e| {
            [
                e.id.clone(),
                e.started_at.clone(),
                e.process.clone(),
                match (&e.user, e.debug) {
                    (Some(user), true) => format!("{user} (debug)"),
                    (Some(user), false) => user.clone(),
                    (None, _) => "-".to_owned(),
                },
                e.status.to_string(),
                duration(e.duration_us),
                e.error.as_deref().map(one_line).unwrap_or_default(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let _ = write!(text, "{cell:<width$}  ");
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&header);
    for row in &rows {
        line(&row.each_ref().map(String::as_str));
    }
    out
}

/// One execution: what it was, its steps, then the documents.
pub fn show(execution: &Execution) -> String {
    let s = &execution.summary;
    let mut out = String::new();
    let _ = writeln!(out, "execution {}", s.id);
    let _ = writeln!(out, "  process   {}", s.process);
    let _ = writeln!(out, "  request   {} {}", s.method, s.path);
    let user = s.user.as_deref().unwrap_or("-");
    let debug = if s.debug {
        " (recorded by X-Flowgate-Debug)"
    } else {
        ""
    };
    let _ = writeln!(out, "  user      {user}{debug}");
    let _ = writeln!(out, "  started   {}", s.started_at);
    let _ = writeln!(out, "  duration  {}", duration(s.duration_us));
    let _ = writeln!(out, "  status    {} {}", s.status, s.outcome());
    if let Some(error) = &s.error {
        let _ = writeln!(out, "  error     {}", one_line(error));
    }

    let _ = writeln!(out, "\nsteps");
    if execution.steps.is_empty() {
        let _ = writeln!(out, "  (none ran)");
    }
    for (number, step) in execution.steps.iter().enumerate() {
        let outcome = match &step.outcome {
            StoredOutcome::Running => "did not finish".to_owned(),
            StoredOutcome::Ok { documents_out } => {
                format!("ok, {} in, {documents_out} out", step.documents_in)
            }
            StoredOutcome::Failed { error, http_status } => {
                format!("failed ({http_status}): {}", one_line(error))
            }
        };
        let of = if step.process == s.process {
            String::new()
        } else {
            format!(" of {}", step.process)
        };
        let _ = writeln!(
            out,
            "  {:>2}. {} ({}, line {}{of}) at +{}, took {}: {outcome}",
            number + 1,
            step.path,
            step.kind,
            step.line,
            duration(step.started_us),
            duration(step.duration_us),
        );
        for (index, document) in step.output.iter().enumerate() {
            document_block(
                &mut out,
                &format!("document {}", index + 1),
                document,
                "      ",
            );
        }
    }
    for (what, document) in [("input", &execution.input), ("output", &execution.output)] {
        out.push('\n');
        match document {
            Some(document) => document_block(&mut out, what, document, ""),
            None => {
                let _ = writeln!(out, "{what}: none");
            }
        }
    }
    out
}

fn document_block(out: &mut String, what: &str, document: &StoredDocument, indent: &str) {
    let cut = if document.is_cut() {
        format!(", cut at {} bytes", document.body.len())
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{indent}{what}: {}, {} bytes{cut}",
        document.media_type, document.bytes
    );
    if document
        .props
        .as_object()
        .is_some_and(|props| !props.is_empty())
    {
        let _ = writeln!(out, "{indent}  props {}", document.props);
    }
    for line in document.body.lines() {
        let _ = writeln!(out, "{indent}  | {line}");
    }
}

/// `812µs`, `12.4ms`, `1.25s`.
pub fn duration(micros: u64) -> String {
    match micros {
        0..1_000 => format!("{micros}µs"),
        1_000..1_000_000 => format!("{:.1}ms", micros as f64 / 1e3),
        _ => format!("{:.2}s", micros as f64 / 1e6),
    }
}

/// A message on one line, for a table cell.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
