//! What the command line prints about a compiled root.

use std::fmt::Write as _;

use serde::Serialize;

use crate::diag::Diagnostics;
use crate::snapshot::Snapshot;

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
