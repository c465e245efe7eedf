//! Canned answers for `http` steps, so a process can be tested without its
//! upstreams (`flowgate test`).
//!
//! A [`Stubs`] table answers each call from the first [`Stub`] that matches
//! it by method and URL, through the same policy as a real call (retries,
//! `fail_on_status`), and notes every call it saw. A call no stub matches
//! fails with [`CallError::Unstubbed`] and is noted as a miss, so the test
//! fails even when a `try` catches the error. Nothing here opens a socket.

use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};

use super::{CallError, CallPolicy, Incoming, Outgoing, call_with};

/// One canned answer and the calls it answers.
#[derive(Debug, Clone)]
pub struct Stub {
    /// How the test wrote the target, for reports: `upstream stock /stock/KB-1`.
    pub label: String,
    /// `None`: any method.
    pub method: Option<Method>,
    pub target: StubTarget,
    pub answer: StubAnswer,
}

/// Which URLs a stub answers.
#[derive(Debug, Clone)]
pub enum StubTarget {
    /// Exactly this URL: scheme, host, port and path; the query too when
    /// the stub's URL has one.
    Url(url::Url),
    /// Every URL under this base (an upstream's `base_url`, no path given).
    Under(url::Url),
}

/// What a stub answers with.
#[derive(Debug, Clone)]
pub enum StubAnswer {
    Respond {
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
    },
    /// As if no answer came within the step's timeout (504).
    Timeout,
    /// As if the connection was refused (502, retried like a real refusal).
    Refused,
}

/// A call that reached the stubs, and what answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StubbedCall {
    pub method: Method,
    pub url: String,
    /// The label of the stub that answered; `None` for a miss.
    pub stub: Option<String>,
}

/// A test's stubs, and the calls they saw.
#[derive(Debug, Default)]
pub struct Stubs {
    stubs: Vec<Stub>,
    calls: Mutex<Vec<StubbedCall>>,
}

impl Stubs {
    pub fn new(stubs: Vec<Stub>) -> Stubs {
        Stubs {
            stubs,
            calls: Mutex::new(Vec::new()),
        }
    }

    /// Answers `outgoing` from the first matching stub, under `policy`.
    pub async fn call(
        &self,
        outgoing: &Outgoing,
        policy: CallPolicy,
    ) -> Result<Incoming, CallError> {
        call_with(outgoing, policy, || {
            std::future::ready(self.attempt(outgoing, policy))
        })
        .await
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<StubbedCall> {
        self.lock().clone()
    }

    /// The calls no stub answered.
    pub fn misses(&self) -> Vec<StubbedCall> {
        self.lock()
            .iter()
            .filter(|call| call.stub.is_none())
            .cloned()
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<StubbedCall>> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn attempt(&self, outgoing: &Outgoing, policy: CallPolicy) -> Result<Incoming, CallError> {
        let stub = self.stubs.iter().find(|stub| stub.matches(outgoing));
        self.lock().push(StubbedCall {
            method: outgoing.method.clone(),
            url: outgoing.url.to_string(),
            stub: stub.map(|stub| stub.label.clone()),
        });
        let Some(stub) = stub else {
            return Err(CallError::Unstubbed {
                call: format!("{} {}", outgoing.method, outgoing.url),
            });
        };
        match &stub.answer {
            StubAnswer::Respond {
                status,
                headers,
                body,
            } => Ok(Incoming {
                status: *status,
                headers: headers.clone(),
                body: body.clone(),
            }),
            StubAnswer::Timeout => Err(CallError::Timeout {
                after: policy.timeout,
            }),
            StubAnswer::Refused => Err(CallError::Unreachable {
                detail: format!("connection refused (stub `{}`)", stub.label),
            }),
        }
    }
}

impl Stub {
    fn matches(&self, outgoing: &Outgoing) -> bool {
        if self.method.as_ref().is_some_and(|m| *m != outgoing.method) {
            return false;
        }
        let url = &outgoing.url;
        match &self.target {
            StubTarget::Url(stub) => {
                stub.origin() == url.origin()
                    && stub.path() == url.path()
                    && stub.query().is_none_or(|query| Some(query) == url.query())
            }
            StubTarget::Under(base) => {
                let base_path = base.path().trim_end_matches('/');
                base.origin() == url.origin()
                    && url.path().strip_prefix(base_path).is_some_and(|rest| {
                        rest.is_empty() || rest.starts_with('/') || base_path.is_empty()
                    })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn outgoing(method: Method, url: &str) -> Outgoing {
        Outgoing {
            method,
            url: url::Url::parse(url).unwrap(),
            headers: HeaderMap::new(),
            body: None,
        }
    }

    fn policy() -> CallPolicy {
        CallPolicy {
            timeout: Duration::from_secs(2),
            retries: 0,
            fail_on_status: true,
        }
    }

    fn respond(status: u16, body: &'static str) -> StubAnswer {
        StubAnswer::Respond {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: Bytes::from_static(body.as_bytes()),
        }
    }

    fn stub(label: &str, method: Option<Method>, target: StubTarget, answer: StubAnswer) -> Stub {
        Stub {
            label: label.to_owned(),
            method,
            target,
            answer,
        }
    }

    fn url(text: &str) -> url::Url {
        url::Url::parse(text).unwrap()
    }

    #[tokio::test]
    async fn the_first_matching_stub_answers_and_misses_are_noted() {
        let stubs = Stubs::new(vec![
            stub(
                "one",
                Some(Method::POST),
                StubTarget::Url(url("http://stock.internal/ws/rest/stock/A")),
                respond(201, "post"),
            ),
            stub(
                "two",
                None,
                StubTarget::Url(url("http://stock.internal/ws/rest/stock/A")),
                respond(200, "any"),
            ),
            stub(
                "under",
                None,
                StubTarget::Under(url("http://stock.internal/ws/rest")),
                respond(200, "under"),
            ),
        ]);
        let answer = |method, target| {
            let stubs = &stubs;
            async move {
                stubs
                    .call(&outgoing(method, target), policy())
                    .await
                    .map(|incoming| incoming.body)
            }
        };
        assert_eq!(
            answer(Method::POST, "http://stock.internal/ws/rest/stock/A")
                .await
                .unwrap(),
            "post"
        );
        assert_eq!(
            answer(Method::GET, "http://stock.internal/ws/rest/stock/A?x=1")
                .await
                .unwrap(),
            "any"
        );
        assert_eq!(
            answer(Method::GET, "http://stock.internal/ws/rest/stock/B")
                .await
                .unwrap(),
            "under"
        );
        // Not under the base: `/ws/restless` is not `/ws/rest/…`.
        let missed = answer(Method::GET, "http://stock.internal/ws/restless").await;
        assert!(matches!(missed, Err(CallError::Unstubbed { .. })));
        let missed = answer(Method::GET, "http://other.internal/ws/rest/stock/A").await;
        assert!(matches!(missed, Err(CallError::Unstubbed { .. })));
        let misses = stubs.misses();
        assert_eq!(misses.len(), 2);
        assert_eq!(misses[0].url, "http://stock.internal/ws/restless");
        assert_eq!(stubs.calls().len(), 5);
    }

    #[tokio::test]
    async fn a_query_in_the_stub_must_match() {
        let stubs = Stubs::new(vec![stub(
            "rates",
            None,
            StubTarget::Url(url("https://api.example.com/rates?base=EUR")),
            respond(200, "{}"),
        )]);
        assert!(
            stubs
                .call(
                    &outgoing(Method::GET, "https://api.example.com/rates?base=EUR"),
                    policy()
                )
                .await
                .is_ok()
        );
        assert!(
            stubs
                .call(
                    &outgoing(Method::GET, "https://api.example.com/rates?base=USD"),
                    policy()
                )
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn answers_go_through_the_call_policy() {
        let stubs = Stubs::new(vec![
            stub(
                "down",
                None,
                StubTarget::Url(url("http://a.internal/down")),
                respond(503, "down"),
            ),
            stub(
                "slow",
                None,
                StubTarget::Url(url("http://a.internal/slow")),
                StubAnswer::Timeout,
            ),
            stub(
                "refused",
                None,
                StubTarget::Url(url("http://a.internal/refused")),
                StubAnswer::Refused,
            ),
        ]);
        let down = stubs
            .call(&outgoing(Method::GET, "http://a.internal/down"), policy())
            .await;
        assert!(matches!(down, Err(CallError::Status { status }) if status == 503));
        let lenient = CallPolicy {
            fail_on_status: false,
            ..policy()
        };
        let down = stubs
            .call(&outgoing(Method::GET, "http://a.internal/down"), lenient)
            .await
            .unwrap();
        assert_eq!(down.status, 503);
        let slow = stubs
            .call(&outgoing(Method::GET, "http://a.internal/slow"), policy())
            .await;
        assert!(
            matches!(slow, Err(CallError::Timeout { after }) if after == Duration::from_secs(2))
        );
        let retried = CallPolicy {
            retries: 1,
            ..policy()
        };
        let refused = stubs
            .call(&outgoing(Method::GET, "http://a.internal/refused"), retried)
            .await;
        assert!(matches!(refused, Err(CallError::Unreachable { .. })));
        // A refusal is retried like a real one: two attempts.
        let refusals = stubs
            .calls()
            .iter()
            .filter(|c| c.url.ends_with("/refused"))
            .count();
        assert_eq!(refusals, 2);
    }
}
