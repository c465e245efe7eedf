//! The `tests:` of process files: the compiled plan, the runner and the
//! report that `flowgate test` prints.
//!
//! [`crate::compile`] turns every test of a root into a [`ProcessTest`]
//! (names resolved, files checked, stubs aimed at URLs) and keeps the
//! [`TestPlan`] beside the snapshot, never in it: the server drops it.
//! [`run`] sends each test's request through the same dispatch as a network
//! request ([`crate::server::dispatch::handle_in_process`]), with the test's
//! stubs answering every `http` step and a trace of the steps; a process
//! without `listen` runs offline ([`crate::server::offline`]). [`report`]
//! renders the outcome. Nothing here opens a socket.

mod expect;
pub mod report;
mod run;

use std::net::IpAddr;
use std::path::PathBuf;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, Method, StatusCode};

use crate::outbound::stub::Stub;
use crate::snapshot::ProcessId;

pub use run::{Failure, TestOutcome, run};

/// Every test of a root, in file order.
#[derive(Debug, Default)]
pub struct TestPlan {
    pub tests: Vec<ProcessTest>,
}

impl TestPlan {
    /// The tests whose `process/name` contains `filter` (all without one).
    pub fn select<'a>(&'a self, filter: Option<&'a str>) -> impl Iterator<Item = &'a ProcessTest> {
        self.tests
            .iter()
            .filter(move |test| filter.is_none_or(|text| test.id().contains(text)))
    }
}

/// One test of a process, compiled.
#[derive(Debug)]
pub struct ProcessTest {
    pub process: ProcessId,
    pub process_name: String,
    pub name: String,
    /// Where it was written: the file under the root and the line of its `name`.
    pub file: String,
    pub line: usize,
    pub request: TestRequest,
    pub stubs: Vec<TestStub>,
    pub expect: Expect,
}

/// A stub of a test; a `body_file` is read when the test runs, into the
/// answer's body.
#[derive(Debug, Clone)]
pub struct TestStub {
    pub stub: Stub,
    pub body_file: Option<Source>,
}

impl ProcessTest {
    /// `process/name`, what `--filter` matches.
    pub fn id(&self) -> String {
        format!("{}/{}", self.process_name, self.name)
    }
}

/// What the test sends. For a process without `listen` only the headers
/// (the content type) and the body count: the process runs offline.
#[derive(Debug)]
pub struct TestRequest {
    pub method: Method,
    /// The path and query, as a request line has them.
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Source,
    pub user: Option<String>,
    pub remote_ip: IpAddr,
}

/// Bytes written in the test, or a file under the root read when the test runs.
#[derive(Debug, Clone)]
pub enum Source {
    Bytes(Bytes),
    File {
        /// As written, relative to the root.
        written: String,
        path: PathBuf,
    },
}

impl Source {
    /// The bytes, or why the file cannot be read.
    pub fn read(&self) -> Result<Bytes, String> {
        match self {
            Source::Bytes(bytes) => Ok(bytes.clone()),
            Source::File { written, path } => std::fs::read(path)
                .map(Bytes::from)
                .map_err(|err| format!("cannot read `{written}`: {err}")),
        }
    }
}

/// What the response must be. Absent keys are not checked, except the
/// status: without `status` it must be 2xx (4xx or 5xx with `problem`).
#[derive(Debug, Default)]
pub struct Expect {
    pub status: Option<StatusCode>,
    /// Exact values; names are case-insensitive.
    pub headers: Vec<(HeaderName, String)>,
    /// Headers the response must not have.
    pub headers_absent: Vec<HeaderName>,
    pub body: Option<ExpectedBody>,
    pub body_contains: Vec<String>,
    /// A JSON structure the body holds.
    pub json: Option<serde_json::Value>,
    /// Values at paths: `/Order/Lines/Line[2]/Sku`, `/lines/1/sku`.
    pub paths: Vec<(String, serde_json::Value)>,
    pub problem: Option<ExpectedProblem>,
    /// The properties of the first returned document (a subset).
    pub props: Option<serde_json::Value>,
}

#[derive(Debug)]
pub enum ExpectedBody {
    /// Compared as text, trailing whitespace aside; as JSON when both are JSON.
    Text(Source),
    /// Compared as JSON values.
    Json(serde_json::Value),
}

/// The problem document of a failed request.
#[derive(Debug, Default)]
pub struct ExpectedProblem {
    /// The full type URI (`urn:flowgate:problem:…`).
    pub kind: Option<String>,
    pub detail: Option<String>,
    pub detail_contains: Option<String>,
    pub errors: Vec<ExpectedError>,
}

/// An entry the problem's `errors` must hold.
#[derive(Debug, Default)]
pub struct ExpectedError {
    pub path: Option<String>,
    pub message_contains: Option<String>,
}
