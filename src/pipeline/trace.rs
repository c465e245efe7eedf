//! What an execution did, step by step.
//!
//! An [`Execution`](super::Execution) with a [`Trace`] attached notes each
//! step it runs: where the step is, when it started and how long it took,
//! how many documents went in, and what came out (the documents themselves
//! when the trace keeps them). `flowgate run --trace`, the test runner and
//! execution records read the same notes. Without a trace an execution pays
//! nothing for this.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::ExecError;
use crate::doc::Document;
use crate::snapshot::Step;

/// How much a trace keeps of each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Outcome and timing only.
    Steps,
    /// Also the documents each step produced, bodies cut at this many bytes.
    Documents { max_bytes: usize },
}

/// The steps of one execution, in the order they started.
#[derive(Debug)]
pub struct Trace {
    started: Instant,
    detail: Detail,
    steps: Mutex<Vec<StepRecord>>,
}

/// One step as it ran.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepRecord {
    /// The process whose file holds the step (a called process has its own).
    pub process: String,
    /// The step's path in its process file, e.g. `steps[1].decision.then[0].message`.
    pub path: String,
    pub line: usize,
    /// The step kind: `map`, `http`, …
    pub kind: &'static str,
    /// When the step started, from the start of the execution.
    pub started_us: u64,
    pub duration_us: u64,
    pub documents_in: usize,
    pub outcome: Outcome,
    /// What the step produced (a `return` step: what it handed to the
    /// response), when the trace keeps documents.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub output: Vec<DocumentRecord>,
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Still running: a step that encloses others is noted when it starts.
    Running,
    Ok {
        documents_out: usize,
    },
    Failed {
        error: String,
        http_status: u16,
    },
}

/// A document as a trace keeps it: its text, cut at the trace's limit, and
/// its properties.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentRecord {
    pub media_type: String,
    pub body: String,
    /// The body's whole size.
    pub bytes: usize,
    /// Whether `body` was cut at the limit. The sizes cannot say it: a
    /// body that is redacted and written again, or whose bytes were not
    /// UTF-8, may be shorter or longer than `bytes` and still be whole.
    pub cut: bool,
    pub props: serde_json::Value,
}

impl DocumentRecord {
    /// The document's text up to `max_bytes` (cut at a character boundary)
    /// and its properties as JSON.
    pub fn of(doc: &Document, max_bytes: usize) -> DocumentRecord {
        let text = doc.text();
        let mut end = text.len().min(max_bytes);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        DocumentRecord {
            media_type: doc.content_type().to_owned(),
            body: text[..end].to_owned(),
            bytes: doc.body.len(),
            cut: end < text.len(),
            // Straight to JSON values, without printing and parsing text.
            props: crate::profile::json::from_value(&doc.props, "")
                .unwrap_or(serde_json::Value::Null),
        }
    }

    pub fn is_cut(&self) -> bool {
        self.cut
    }
}

/// Where a running step's record is, to finish it.
pub(super) struct Pending {
    index: usize,
    started: Instant,
}

impl Trace {
    pub fn new(detail: Detail) -> Trace {
        Trace {
            started: Instant::now(),
            detail,
            steps: Mutex::new(Vec::new()),
        }
    }

    pub fn detail(&self) -> Detail {
        self.detail
    }

    /// How long since the trace (and so the execution) started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The steps so far, in the order they started.
    pub fn steps(&self) -> Vec<StepRecord> {
        self.lock().clone()
    }

    /// The steps so far, leaving the trace empty: for a record made once
    /// the execution is over.
    pub fn take_steps(&self) -> Vec<StepRecord> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<StepRecord>> {
        self.steps.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn begin(&self, process: &Arc<str>, step: &Step, documents_in: usize) -> Pending {
        let now = Instant::now();
        let mut steps = self.lock();
        steps.push(StepRecord {
            process: process.to_string(),
            path: step.site.path.clone(),
            line: step.site.line,
            kind: step.kind.name(),
            started_us: micros(now.duration_since(self.started)),
            duration_us: 0,
            documents_in,
            outcome: Outcome::Running,
            output: Vec::new(),
        });
        Pending {
            index: steps.len() - 1,
            started: now,
        }
    }

    /// Finishes a step's record: `output` is what it produced (or handed to
    /// the response).
    pub(super) fn end(&self, pending: Pending, result: Result<&[Document], &ExecError>) {
        let duration_us = micros(pending.started.elapsed());
        let (outcome, output) = match result {
            Ok(docs) => (
                Outcome::Ok {
                    documents_out: docs.len(),
                },
                match self.detail {
                    Detail::Steps => Vec::new(),
                    Detail::Documents { max_bytes } => docs
                        .iter()
                        .map(|d| DocumentRecord::of(d, max_bytes))
                        .collect(),
                },
            ),
            Err(err) => (
                Outcome::Failed {
                    error: err.to_string(),
                    http_status: err.status().as_u16(),
                },
                Vec::new(),
            ),
        };
        let mut steps = self.lock();
        if let Some(record) = steps.get_mut(pending.index) {
            record.duration_us = duration_us;
            record.outcome = outcome;
            record.output = output;
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}
