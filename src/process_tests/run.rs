//! Running one test: its request through the gateway's dispatch (or an
//! offline run for a process without `listen`), its stubs answering every
//! `http` step, and the response held against its expectations.

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::StatusCode;
use http_body_util::{BodyExt as _, Full};

use super::ProcessTest;
use super::expect::{Seen, check};
use crate::outbound::Calls;
use crate::outbound::stub::{Stub, StubAnswer, StubbedCall, Stubs};
use crate::pipeline::trace::{Detail, StepRecord, Trace};
use crate::server::{Gateway, InProcess, dispatch, offline};

/// How much of each document a test's trace keeps.
const TRACE_BYTES: usize = 4096;

/// What went wrong in a test: a sentence, and for bodies what was
/// expected beside what came, for a line diff.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub message: String,
    pub expected: Option<String>,
    pub actual: Option<String>,
}

impl Failure {
    pub fn new(message: String) -> Failure {
        Failure {
            message,
            expected: None,
            actual: None,
        }
    }

    pub fn with_diff(mut self, expected: String, actual: String) -> Failure {
        self.expected = Some(expected);
        self.actual = Some(actual);
        self
    }

    pub fn with_actual(mut self, actual: String) -> Failure {
        self.actual = Some(actual);
        self
    }
}

/// How one test went.
#[derive(Debug)]
pub struct TestOutcome {
    /// `process/name`.
    pub id: String,
    pub process: String,
    pub name: String,
    pub file: String,
    pub line: usize,
    /// Empty when the test passed.
    pub failures: Vec<Failure>,
    /// What the response was, when there was one.
    pub status: Option<StatusCode>,
    /// The steps the execution ran.
    pub steps: Vec<StepRecord>,
    /// The calls `http` steps made, and which stub answered each.
    pub calls: Vec<StubbedCall>,
    pub duration: Duration,
}

impl TestOutcome {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs `test` against the gateway's snapshot. Never touches the network:
/// every `http` step is answered by the test's stubs, and a call without
/// one fails the test.
pub async fn run(gateway: &Arc<Gateway>, test: &ProcessTest) -> TestOutcome {
    let started = Instant::now();
    let trace = Arc::new(Trace::new(Detail::Documents {
        max_bytes: TRACE_BYTES,
    }));
    let mut outcome = TestOutcome {
        id: test.id(),
        process: test.process_name.clone(),
        name: test.name.clone(),
        file: test.file.clone(),
        line: test.line,
        failures: Vec::new(),
        status: None,
        steps: Vec::new(),
        calls: Vec::new(),
        duration: Duration::ZERO,
    };
    let stubs = match stubs(test) {
        Ok(stubs) => Arc::new(Stubs::new(stubs)),
        Err(message) => {
            outcome.failures.push(Failure::new(message));
            return outcome;
        }
    };
    let seen = match send(gateway, test, &stubs, &trace).await {
        Ok(seen) => seen,
        Err(message) => {
            outcome.failures.push(Failure::new(message));
            outcome.duration = started.elapsed();
            return outcome;
        }
    };
    outcome.status = Some(seen.status);
    for miss in stubs.misses() {
        outcome.failures.push(Failure::new(format!(
            "no stub answers `{} {}`: add one to the test's `stubs`",
            miss.method, miss.url
        )));
    }
    outcome.failures.extend(check(&test.expect, &seen));
    outcome.steps = trace.steps();
    outcome.calls = stubs.calls();
    outcome.duration = started.elapsed();
    outcome
}

/// The test's stubs with the files they name read.
fn stubs(test: &ProcessTest) -> Result<Vec<Stub>, String> {
    test.stubs
        .iter()
        .map(|planned| {
            let mut stub = planned.stub.clone();
            if let (Some(file), StubAnswer::Respond { body, .. }) =
                (&planned.body_file, &mut stub.answer)
            {
                *body = file
                    .read()
                    .map_err(|message| format!("stub {}: {message}", stub.label))?;
            }
            Ok(stub)
        })
        .collect()
}

async fn send(
    gateway: &Arc<Gateway>,
    test: &ProcessTest,
    stubs: &Arc<Stubs>,
    trace: &Arc<Trace>,
) -> Result<Seen, String> {
    let request = &test.request;
    let body = request
        .body
        .read()
        .map_err(|message| format!("request: {message}"))?;
    let snapshot = gateway.snapshot();
    let calls = Calls::Stubbed(stubs.clone());
    if snapshot.process(test.process).listen.is_none() {
        let content_type = request
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let answer = offline::run(
            snapshot,
            test.process,
            offline::Input {
                body,
                content_type,
                target: None,
            },
            calls,
            Some(trace.clone()),
        )
        .await;
        return Ok(Seen {
            status: answer.status,
            headers: answer.headers,
            body: answer.body,
            first_props: answer.first_props,
        });
    }
    let mut builder = http::Request::builder()
        .method(request.method.clone())
        .uri(&request.uri);
    if let Some(headers) = builder.headers_mut() {
        headers.extend(request.headers.clone());
        // HTTP/1.1 requires one; a test may name another.
        if !headers.contains_key(http::header::HOST) {
            headers.insert(
                http::header::HOST,
                http::HeaderValue::from_static("localhost"),
            );
        }
        if !body.is_empty() {
            headers.insert(http::header::CONTENT_LENGTH, body.len().into());
        }
    }
    let http_request = builder
        .body(Full::new(body))
        .map_err(|err| format!("request: cannot be built: {err}"))?;
    let caller = InProcess {
        user: request.user.clone(),
        calls,
        trace: Some(trace.clone()),
    };
    let response =
        dispatch::handle_in_process(gateway.clone(), http_request, request.remote_ip, caller).await;
    let (parts, body) = response.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    Ok(Seen {
        status: parts.status,
        headers: parts.headers,
        body,
        first_props: None,
    })
}
