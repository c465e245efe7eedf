//! What the command line prints about a compiled root, and the steps of an
//! execution (`flowgate run --trace`, failed tests).

use std::fmt::Write as _;

use serde::Serialize;

use crate::diag::Diagnostics;
use crate::snapshot::Snapshot;

/// Whether a trace shows how long each step took. Golden tests leave
/// timings out, since they differ from run to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timings {
    Show,
    Hide,
}

/// The steps of an execution, one block each: where the step is (process,
/// path, line), documents in and out (or why it failed), then each document
/// it produced with its content type, properties and body.
///
/// ```text
/// create-order steps[0].set (line 16): 1 in, 1 out
///   [1] application/xml, props {"total":35.5}
///       <Order>…</Order>
/// ```
pub fn trace_text(steps: &[crate::pipeline::trace::StepRecord], timings: Timings) -> String {
    use crate::pipeline::trace::Outcome;
    let mut out = String::new();
    for step in steps {
        let outcome = match &step.outcome {
            Outcome::Ok { documents_out } => {
                format!("{} in, {documents_out} out", step.documents_in)
            }
            Outcome::Failed { error, http_status } => {
                format!("{} in, failed ({http_status}): {error}", step.documents_in)
            }
            Outcome::Running => format!("{} in, did not finish", step.documents_in),
        };
        let _ = write!(
            out,
            "{} {} (line {}): {outcome}",
            step.process, step.path, step.line
        );
        if timings == Timings::Show {
            let _ = write!(out, " [{}]", micros_text(step.duration_us));
        }
        out.push('\n');
        for (index, doc) in step.output.iter().enumerate() {
            let _ = write!(out, "  [{}] {}", index + 1, doc.media_type);
            if doc.props.as_object().is_some_and(|props| !props.is_empty()) {
                let _ = write!(out, ", props {}", doc.props);
            }
            out.push('\n');
            for line in doc.body.lines() {
                let _ = writeln!(out, "      {line}");
            }
            if doc.is_cut() {
                let _ = writeln!(out, "      … ({} bytes in all)", doc.bytes);
            }
        }
    }
    out
}

fn micros_text(us: u64) -> String {
    if us >= 1_000_000 {
        format!("{:.2} s", us as f64 / 1e6)
    } else if us >= 1_000 {
        format!("{:.2} ms", us as f64 / 1e3)
    } else {
        format!("{us} µs")
    }
}

/// `flowgate routes`: method, URL, process, input/output, access.
pub fn routes_table(snapshot: &Snapshot) -> String {
    let mut rows = vec![[
        "METHOD".to_owned(),
        "URL".to_owned(),
        "PROCESS".to_owned(),
        "INPUT".to_owned(),
        "OUTPUT".to_owned(),
        "ACCESS".to_owned(),
    ]];
    for (method, path, id) in snapshot.routes.entries() {
        let process = snapshot.process(id);
        let Some(listen) = &process.listen else {
            continue;
        };
        let access = access_summary(&process.access);
        rows.push([
            match method {
                Some(method) => method.to_string(),
                // The simple URL: any method, or the ones that carry a body.
                None if listen.takes_body() => "POST,PUT,PATCH".to_owned(),
                None => "ANY".to_owned(),
            },
            path,
            process.name.to_string(),
            listen.input.as_str().to_owned(),
            listen.output.as_str().to_owned(),
            access,
        ]);
    }
    // SOAP operations share two URLs; the operation tells them apart.
    for process in &snapshot.processes {
        let Some(listen) = process.listen.as_ref().filter(|listen| listen.soap) else {
            continue;
        };
        rows.push([
            "POST".to_owned(),
            format!(
                "{},{} {}",
                crate::contract::SOAP11_PATH,
                crate::contract::SOAP12_PATH,
                listen.operation_name()
            ),
            process.name.to_string(),
            listen.input.as_str().to_owned(),
            listen.output.as_str().to_owned(),
            access_summary(&process.access),
        ]);
    }
    let mut widths = [0usize; 6];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `auth basic,token; users acme,role:partners; ips 10.0.0.0/8; cors`.
fn access_summary(access: &crate::access::AccessPolicy) -> String {
    let mut parts = vec![format!("auth {}", access.auth.names().join(","))];
    if let Some(principals) = &access.principals {
        let names: Vec<String> = principals
            .users
            .iter()
            .cloned()
            .chain(principals.roles.iter().map(|r| format!("role:{r}")))
            .collect();
        parts.push(format!("users {}", names.join(",")));
    }
    if let Some(nets) = &access.allow_ips {
        parts.push(format!("ips {nets}"));
    }
    if access.cors.is_some() {
        parts.push("cors".to_owned());
    }
    parts.join("; ")
}

/// `flowgate check --format json`.
#[derive(Serialize)]
pub struct CheckReport<'a> {
    pub ok: bool,
    pub errors: usize,
    pub warnings: usize,
    pub processes: usize,
    pub diagnostics: &'a Diagnostics,
}

impl<'a> CheckReport<'a> {
    pub fn new(snapshot: Option<&Snapshot>, diagnostics: &'a Diagnostics) -> CheckReport<'a> {
        CheckReport {
            ok: snapshot.is_some(),
            errors: diagnostics.error_count(),
            warnings: diagnostics.warning_count(),
            processes: snapshot.map(|s| s.processes.len()).unwrap_or(0),
            diagnostics,
        }
    }
}
