//! Records from requests served in memory, read back by the code
//! `flowgate executions` and the admin API use.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use sha2::Digest as _;

use super::store::{Execution, StoredOutcome};
use super::*;
use crate::compile::compile_files;
use crate::server::dispatch::handle;
use crate::server::{Gateway, Peer};

/// How long a test waits for the writer.
const PATIENCE: Duration = Duration::from_secs(10);

const ORDER: &str = "listen: { operation: create, object: Order, input: json, output: json }
steps:
  - set: { order_id: '{{ doc.id }}', api_token: t0ps3cret }
  - message: '{\"id\": \"{{ props.order_id }}\", \"ok\": true}'
  - return: {}
";

const REFUSE: &str = "listen: { operation: execute, object: Refuse, input: json, output: json }
steps:
  - decision:
      if: doc.amount > 10
      then:
        - exception: { status: 422, message: 'amount {{ doc.amount }} is too high' }
  - return: {}
";

const BROKEN: &str = "listen: { operation: execute, object: Broken, output: json }
steps:
  - message: '{{ nothing.here }}'
  - return: {}
";

const FAST: &str = "listen: { operation: get, object: Fast, output: json }
mode: low-latency
access: { auth: [none, token] }
steps:
  - message: '{\"fast\": true}'
  - return: {}
";

const TOKEN: &str = "acme-token";

/// A gateway serving `files` from a temporary root, recording into it.
struct Recorded {
    dir: tempfile::TempDir,
    gateway: Arc<Gateway>,
    recorder: Recorder,
}

impl Recorded {
    fn start(files: &[(&str, &str)]) -> Recorded {
        Recorded::with_capacity(files, QUEUE, HOUSEKEEPING)
    }

    fn with_capacity(files: &[(&str, &str)], capacity: usize, housekeeping: Duration) -> Recorded {
        let compilation = compile_files(files);
        let snapshot = compilation.snapshot.unwrap_or_else(|| {
            panic!("compiles:\n{}", compilation.diagnostics.render());
        });
        let dir = tempfile::tempdir().unwrap();
        let gateway = Gateway::new(snapshot);
        let recorder = Recorder::with_capacity(
            dir.path(),
            &gateway.snapshot().settings.executions,
            gateway.metrics().records().clone(),
            capacity,
            housekeeping,
        );
        gateway.record_with(recorder.clone());
        Recorded {
            dir,
            gateway,
            recorder,
        }
    }

    async fn call(
        &self,
        method: &str,
        uri: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "gateway.test")
            .header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(Bytes::from(body.to_owned())))
            .unwrap();
        let peer = Peer::plain("127.0.0.1:40000".parse().unwrap());
        let response = handle(self.gateway.clone(), request, peer).await;
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    fn flush(&self) {
        assert!(self.recorder.flush(PATIENCE), "the writer flushes");
    }

    fn store(&self) -> Store {
        let path = self.dir.path().join(ExecutionSettings::DEFAULT_PATH);
        Store::open_read_only(&path)
            .unwrap()
            .expect("the store exists")
    }

    fn list(&self, filter: &Filter) -> Vec<store::Summary> {
        self.flush();
        self.store().list(filter).unwrap()
    }

    fn get(&self, id: &str) -> Execution {
        self.flush();
        self.store()
            .get(id)
            .unwrap()
            .expect("the execution is recorded")
    }

    fn totals(&self) -> (u64, u64, u64) {
        self.gateway.metrics().records().totals()
    }
}

fn users() -> String {
    let hash = hex::encode(sha2::Sha256::digest(TOKEN));
    format!("[users.acme]\ntoken_sha256 = \"{hash}\"\n")
}

#[tokio::test]
async fn a_general_execution_is_recorded_with_its_steps_and_documents() {
    let recorded = Recorded::start(&[("processes/order.yaml", ORDER)]);
    let (status, body) = recorded
        .call(
            "POST",
            "/ws/simple/createOrder?api_key=k",
            r#"{"id": "A-17"}"#,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let list = recorded.list(&Filter::default());
    assert_eq!(list.len(), 1, "{list:?}");
    let summary = &list[0];
    assert_eq!(summary.process, "order");
    assert_eq!(summary.status, 200);
    assert_eq!(summary.outcome(), "ok");
    assert_eq!(summary.error, None);
    assert_eq!(summary.user, None);
    assert!(!summary.debug);
    assert_eq!(summary.method, "POST");
    assert_eq!(
        summary.path, "/ws/simple/createOrder",
        "no query: it may hold a credential"
    );
    assert!(crate::logging::parse_rfc3339(&summary.started_at).is_some());

    let execution = recorded.get(&summary.id);
    // An id is a UUID: upper case finds it too.
    assert_eq!(
        recorded.get(&summary.id.to_ascii_uppercase()).summary.id,
        summary.id
    );
    let kinds: Vec<&str> = execution.steps.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(kinds, ["set", "message", "return"]);
    assert_eq!(execution.steps[0].path, "steps[0].set");
    assert_eq!(execution.steps[0].line, 3);
    assert!(
        execution
            .steps
            .iter()
            .all(|s| matches!(s.outcome, StoredOutcome::Ok { documents_out: 1 }))
    );
    let set = &execution.steps[0].output[0];
    assert_eq!(set.props["order_id"], "A-17");
    assert_eq!(set.props["api_token"], "[redacted]");
    let message = &execution.steps[1].output[0];
    assert_eq!(message.body, r#"{"id": "A-17", "ok": true}"#);

    let input = execution.input.as_ref().expect("the request body");
    assert_eq!(input.media_type, "application/json");
    assert_eq!(input.body, r#"{"id": "A-17"}"#);
    let output = execution.output.as_ref().expect("the response body");
    assert_eq!(output.body, r#"{"id": "A-17", "ok": true}"#);
    assert_eq!(recorded.totals(), (1, 0, 0));
    assert!(
        recorded
            .gateway
            .metrics()
            .render()
            .contains("flowgate_execution_records_total{result=\"written\"} 1\n")
    );
}

#[tokio::test]
async fn failures_are_recorded_with_what_went_wrong() {
    let recorded = Recorded::start(&[
        ("processes/refuse.yaml", REFUSE),
        ("processes/broken.yaml", BROKEN),
        ("processes/order.yaml", ORDER),
    ]);
    let (status, _) = recorded
        .call("POST", "/ws/simple/executeRefuse", r#"{"amount": 99}"#, &[])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = recorded
        .call("GET", "/ws/simple/executeBroken", "", &[])
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let (status, _) = recorded
        .call("POST", "/ws/simple/createOrder", "{not json", &[])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let failed = recorded.list(&Filter {
        status: Some(StatusFilter::Failed),
        ..Filter::default()
    });
    assert_eq!(failed.len(), 3);
    let by_process = |name: &str| failed.iter().find(|s| s.process == name).unwrap();

    let refused = recorded.get(&by_process("refuse").id);
    assert_eq!(refused.summary.status, 422);
    assert_eq!(
        refused.summary.error.as_deref(),
        Some("amount 99 is too high")
    );
    let last = refused.steps.last().unwrap();
    assert_eq!(last.kind, "exception");
    assert_eq!(last.path, "steps[0].decision.then[0].exception");
    assert!(matches!(
        &last.outcome,
        StoredOutcome::Failed {
            http_status: 422,
            ..
        }
    ));

    // The client is told only that the process failed; the record says why.
    let broken = recorded.get(&by_process("broken").id);
    assert!(!body.contains("nothing"), "{body}");
    let error = broken.summary.error.as_deref().unwrap();
    assert!(error.contains("undefined"), "{error}");

    // A body that does not parse never reaches a step, and is recorded as sent.
    let malformed = recorded.get(&by_process("order").id);
    assert!(malformed.steps.is_empty());
    assert_eq!(malformed.input.as_ref().unwrap().body, "{not json");
    let error = malformed.summary.error.as_deref().unwrap();
    assert!(error.starts_with("the body is not valid JSON: "), "{error}");
    assert!(error.contains("line 1 column 2"), "{error}");

    let only = |status| {
        recorded
            .list(&Filter {
                status: Some(status),
                ..Filter::default()
            })
            .len()
    };
    assert_eq!(only(StatusFilter::Code(422)), 1);
    assert_eq!(only(StatusFilter::Ok), 0);
    let refuse_only = recorded.list(&Filter {
        process: Some("refuse".to_owned()),
        ..Filter::default()
    });
    assert_eq!(refuse_only.len(), 1);
}

#[tokio::test]
async fn a_timeout_inside_a_try_is_the_error_recorded() {
    // The attempts fail and back off (100, 200, 400 ms …) until the 300 ms
    // limit stops the execution; the last error the `try` saw is not what
    // ended it.
    let retrying = "listen: { operation: execute, object: Retry, output: json }
steps:
  - try:
      retries: 10
      steps: [ { exception: { status: 503, message: 'still down' } } ]
      catch: [ { message: '{\"caught\": true}' } ]
  - return: {}
";
    let recorded = Recorded::start(&[
        ("flowgate.toml", "[limits]\nrequest_timeout = \"300ms\"\n"),
        ("processes/retry.yaml", retrying),
    ]);
    let (status, body) = recorded
        .call("GET", "/ws/simple/executeRetry", "", &[])
        .await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");
    let summaries = recorded.list(&Filter::default());
    let record = recorded.get(&summaries[0].id);
    assert_eq!(record.summary.status, 504);
    let error = record.summary.error.as_deref().unwrap();
    assert!(!error.contains("still down"), "{error}");
    assert!(error.contains("300ms"), "{error}");
    // The attempts keep their own errors in the steps.
    assert!(record.steps.iter().any(|step| matches!(
        &step.outcome,
        StoredOutcome::Failed { error, .. } if error == "still down"
    )));
}

#[tokio::test]
async fn low_latency_records_nothing_but_metrics() {
    let settings = users();
    let recorded = Recorded::start(&[("flowgate.toml", &settings), ("processes/fast.yaml", FAST)]);
    for _ in 0..5 {
        let (status, _) = recorded.call("GET", "/ws/simple/getFast", "", &[]).await;
        assert_eq!(status, StatusCode::OK);
    }
    // A signed-in caller without the debug header is not recorded either.
    let bearer = format!("Bearer {TOKEN}");
    recorded
        .call(
            "GET",
            "/ws/simple/getFast",
            "",
            &[("authorization", &bearer)],
        )
        .await;
    assert!(recorded.list(&Filter::default()).is_empty());
    assert_eq!(recorded.totals(), (0, 0, 0));
    assert!(
        recorded
            .gateway
            .metrics()
            .render()
            .contains("flowgate_http_requests_total{process=\"fast\",status=\"200\"} 6\n")
    );
}

#[tokio::test]
async fn the_debug_header_records_one_low_latency_execution_of_a_signed_in_user() {
    let settings = users();
    let recorded = Recorded::start(&[("flowgate.toml", &settings), ("processes/fast.yaml", FAST)]);
    // Anonymous callers cannot make a low-latency route record.
    recorded
        .call(
            "GET",
            "/ws/simple/getFast",
            "",
            &[("x-flowgate-debug", "true")],
        )
        .await;
    assert!(recorded.list(&Filter::default()).is_empty());

    let bearer = format!("Bearer {TOKEN}");
    let (status, _) = recorded
        .call(
            "GET",
            "/ws/simple/getFast",
            "",
            &[("authorization", &bearer), ("X-Flowgate-Debug", "TRUE")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    recorded
        .call(
            "GET",
            "/ws/simple/getFast",
            "",
            &[("authorization", &bearer)],
        )
        .await;
    let list = recorded.list(&Filter::default());
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0].user.as_deref(), Some("acme"));
    assert!(list[0].debug);
    let execution = recorded.get(&list[0].id);
    assert_eq!(execution.steps.len(), 2);
    assert_eq!(execution.output.unwrap().body, r#"{"fast": true}"#);
    assert_eq!(execution.input, None, "a GET has no body");
}

#[tokio::test]
async fn documents_are_cut_at_max_document_bytes() {
    let recorded = Recorded::start(&[
        ("flowgate.toml", "[executions]\nmax_document_bytes = 8\n"),
        ("processes/order.yaml", ORDER),
    ]);
    let body = r#"{"id": "A-17", "note": "é and more"}"#;
    recorded
        .call("POST", "/ws/simple/createOrder", body, &[])
        .await;
    let list = recorded.list(&Filter::default());
    let execution = recorded.get(&list[0].id);
    let input = execution.input.unwrap();
    assert_eq!(input.body, r#"{"id": ""#);
    assert_eq!(input.bytes, body.len());
    assert!(input.is_cut());
    let message = &execution.steps[1].output[0];
    assert_eq!(message.body, r#"{"id": ""#);
    assert_eq!(message.bytes, r#"{"id": "A-17", "ok": true}"#.len());
    let output = execution.output.unwrap();
    assert!(output.is_cut() && output.body.len() == 8);
}

#[tokio::test]
async fn bodies_redacted_but_whole_are_not_called_cut() {
    let echo = "listen: { operation: execute, object: Echo, input: data, output: data }
steps:
  - return: {}
";
    let recorded = Recorded::start(&[
        ("flowgate.toml", "[executions]\nmax_document_bytes = 300\n"),
        ("processes/echo.yaml", echo),
    ]);
    // Redacting writes the JSON again, without its spaces: shorter, not cut.
    let body = r#"{ "password" : "hunter9",   "x": 1 }"#;
    let (status, _) = recorded
        .call("POST", "/ws/simple/executeEcho", body, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    let list = recorded.list(&Filter::default());
    let execution = recorded.get(&list[0].id);
    let input = execution.input.as_ref().unwrap();
    assert_eq!(input.body, r#"{"password":"[redacted]","x":1}"#);
    assert_eq!(input.bytes, body.len());
    assert!(!input.is_cut());
    let shown = render::show(&execution);
    assert!(!shown.contains("cut at"), "{shown}");
    assert!(
        shown.contains(&format!("input: application/json, {} bytes\n", body.len())),
        "{shown}"
    );
}

#[tokio::test]
async fn a_stalled_store_drops_records_and_requests_keep_answering() {
    let recorded = Recorded::with_capacity(&[("processes/order.yaml", ORDER)], 3, HOUSEKEEPING);
    let release = recorded.recorder.hold();
    for n in 0..20 {
        let (status, _) = recorded
            .call(
                "POST",
                "/ws/simple/createOrder",
                &format!(r#"{{"id": "{n}"}}"#),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    // Three fit in the queue; the rest were dropped, and counted.
    assert_eq!(recorded.totals(), (0, 17, 0));
    assert!(
        recorded
            .gateway
            .metrics()
            .render()
            .contains("flowgate_execution_records_total{result=\"dropped\"} 17\n")
    );
    drop(release);
    let list = recorded.list(&Filter::default());
    assert_eq!(list.len(), 3);
    assert_eq!(recorded.totals(), (3, 17, 0));
}

#[tokio::test]
async fn a_store_that_cannot_open_is_counted_and_serving_goes_on() {
    let compilation = compile_files(&[("processes/order.yaml", ORDER)]);
    let gateway = Gateway::new(compilation.snapshot.unwrap());
    let dir = tempfile::tempdir().unwrap();
    // A file where the store's folder should be.
    std::fs::write(dir.path().join(".flowgate"), "not a folder").unwrap();
    let recorder = Recorder::start(
        dir.path(),
        &gateway.snapshot().settings.executions,
        gateway.metrics().records().clone(),
    );
    gateway.record_with(recorder.clone());
    let request = Request::post("/ws/simple/createOrder")
        .header("host", "gateway.test")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(br#"{"id": "1"}"#)))
        .unwrap();
    let response = handle(
        gateway.clone(),
        request,
        Peer::plain("127.0.0.1:1".parse().unwrap()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(recorder.flush(PATIENCE));
    assert_eq!(gateway.metrics().records().totals(), (0, 0, 1));
}

/// A record as the request path would make it, at a fixed time.
fn record(id: &str, process: &str, started_at: SystemTime, status: u16) -> ExecutionRecord {
    ExecutionRecord {
        id: id.into(),
        process: process.into(),
        user: None,
        debug: false,
        method: "POST".to_owned(),
        path: format!("/ws/simple/{process}"),
        started_at,
        duration: Duration::from_micros(1234),
        status,
        error: (status >= 400).then(|| "amount 99 is too high".to_owned()),
        steps: Vec::new(),
        input: None,
        output: None,
        settings: Arc::new(ExecutionSettings::default()),
    }
}

fn ids(store: &Store) -> Vec<String> {
    store
        .list(&Filter::default())
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect()
}

#[test]
fn retention_by_age_and_by_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("records/runs.db")).unwrap();
    let now = UNIX_EPOCH + Duration::from_secs(1_795_871_924);
    let hours_ago = |h: u64| now - Duration::from_secs(h * 3600);
    store
        .insert([
            record("e1", "a", hours_ago(50), 200),
            record("e2", "a", hours_ago(30), 200),
            record("e3", "b", hours_ago(3), 422),
            record("e4", "a", hours_ago(2), 200),
            record("e5", "b", hours_ago(1), 200),
        ])
        .unwrap();
    assert_eq!(ids(&store), ["e5", "e4", "e3", "e2", "e1"]);

    let since = store::parse_since("4h", now).unwrap();
    let recent = store
        .list(&Filter {
            since: Some(since),
            ..Filter::default()
        })
        .unwrap();
    assert_eq!(recent.len(), 3);

    let day = Duration::from_secs(24 * 3600);
    let pruned = |removed, more| store::Pruned { removed, more };
    // By age: a day.
    assert_eq!(store.prune(now, day, 100, 100).unwrap(), pruned(2, false));
    assert_eq!(ids(&store), ["e5", "e4", "e3"]);
    // By count: the newest two stay.
    assert_eq!(store.prune(now, day, 2, 100).unwrap(), pruned(1, false));
    assert_eq!(ids(&store), ["e5", "e4"]);
}

#[test]
fn a_pass_of_retention_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("runs.db")).unwrap();
    let now = UNIX_EPOCH + Duration::from_secs(1_795_871_924);
    let hours_ago = |h: u64| now - Duration::from_secs(h * 3600);
    store
        .insert((1..=5).map(|n| record(&format!("e{n}"), "a", hours_ago(10 - n), 200)))
        .unwrap();
    let pruned = |removed, more| store::Pruned { removed, more };
    let hour = Duration::from_secs(3600);
    // Three are older than 6 hours; two passes of two take them, the
    // oldest first.
    assert_eq!(store.prune(now, 6 * hour, 100, 2).unwrap(), pruned(2, true));
    assert_eq!(ids(&store), ["e5", "e4", "e3"]);
    assert_eq!(
        store.prune(now, 6 * hour, 100, 2).unwrap(),
        pruned(1, false)
    );
    assert_eq!(ids(&store), ["e5", "e4"]);
    // By count the same way: a pass that reaches its limit may have left
    // more; the next says whether it did.
    assert_eq!(store.prune(now, 6 * hour, 1, 1).unwrap(), pruned(1, true));
    assert_eq!(ids(&store), ["e5"]);
    assert_eq!(store.prune(now, 6 * hour, 1, 1).unwrap(), pruned(0, false));
}

/// Waits until the store of `recorded` holds `expected` records.
fn wait_for_records(recorded: &Recorded, expected: usize) {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let count = recorded.store().list(&Filter::default()).unwrap().len();
        if count == expected {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{count} records, not {expected}, after {PATIENCE:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn retention_runs_while_nothing_is_recorded() {
    let recorded = Recorded::with_capacity(
        &[
            ("flowgate.toml", "[executions]\nretention = \"1s\"\n"),
            ("processes/order.yaml", ORDER),
        ],
        QUEUE,
        Duration::from_millis(20),
    );
    recorded
        .recorder
        .submit(record("e1", "a", SystemTime::now(), 200));
    recorded.flush();
    // No record comes after it; it goes all the same once a second old.
    wait_for_records(&recorded, 0);
}

#[test]
fn a_retention_changed_by_reload_applies_without_a_record() {
    let recorded = Recorded::with_capacity(
        &[("processes/order.yaml", ORDER)],
        QUEUE,
        Duration::from_millis(20),
    );
    let two_days_ago = SystemTime::now() - Duration::from_secs(2 * 24 * 3600);
    recorded
        .recorder
        .submit(record("e1", "a", two_days_ago, 200));
    recorded.flush();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(recorded.store().list(&Filter::default()).unwrap().len(), 1);
    let reloaded = compile_files(&[
        ("flowgate.toml", "[executions]\nretention = \"1d\"\n"),
        ("processes/order.yaml", ORDER),
    ]);
    recorded.gateway.swap(reloaded.snapshot.unwrap());
    wait_for_records(&recorded, 0);
}

#[test]
fn status_and_since_filters_read_what_users_write() {
    assert_eq!("ok".parse::<StatusFilter>(), Ok(StatusFilter::Ok));
    assert_eq!("FAILED".parse::<StatusFilter>(), Ok(StatusFilter::Failed));
    assert_eq!("422".parse::<StatusFilter>(), Ok(StatusFilter::Code(422)));
    for bad in ["600", "fine", "", "4xx"] {
        assert!(bad.parse::<StatusFilter>().is_err(), "{bad}");
    }
    let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
    assert_eq!(
        store::parse_since("1h", now),
        Ok(now - Duration::from_secs(3600))
    );
    assert_eq!(
        store::parse_since("1970-01-02T00:00:00Z", now),
        Ok(UNIX_EPOCH + Duration::from_secs(86400))
    );
    let err = store::parse_since("yesterday", now).unwrap_err();
    assert!(err.contains("RFC 3339"), "{err}");
}

#[test]
fn a_store_that_is_not_there_reads_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        Store::open_read_only(&dir.path().join("executions.db"))
            .unwrap()
            .is_none()
    );
}

/// What `flowgate executions` prints, for a record with fixed times.
#[test]
fn the_command_prints_a_table_and_one_execution() {
    use crate::pipeline::trace::{DocumentRecord, Outcome, StepRecord};
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("executions.db")).unwrap();
    let at = UNIX_EPOCH + Duration::from_micros(1_795_871_924_326_549);
    let step = |path: &str, kind: &'static str, started_us, outcome, output| StepRecord {
        process: "refuse".to_owned(),
        path: path.to_owned(),
        line: 3,
        kind,
        started_us,
        duration_us: 41,
        documents_in: 1,
        outcome,
        output,
    };
    let mut refused = record("01a2224e-e066-72bf-ba43-567f9c4bcb41", "refuse", at, 422);
    refused.user = Some("acme".into());
    refused.steps = vec![
        step(
            "steps[0].set",
            "set",
            12,
            Outcome::Ok { documents_out: 1 },
            vec![DocumentRecord {
                media_type: "application/json".to_owned(),
                body: r#"{"amount": 99}"#.to_owned(),
                bytes: 14,
                cut: false,
                props: serde_json::json!({ "amount": 99, "password": "hunter2" }),
            }],
        ),
        step(
            "steps[1].exception",
            "exception",
            80,
            Outcome::Failed {
                error: "amount 99 is too high".to_owned(),
                http_status: 422,
            },
            Vec::new(),
        ),
    ];
    refused.input = Some(RecordedBody::cut(
        "application/json",
        &Bytes::from_static(br#"{"amount": 99, "comment": "a long comment"}"#),
        24,
    ));
    refused.output = Some(RecordedBody::cut(
        "application/problem+json",
        &Bytes::from_static(br#"{"status":422}"#),
        1024,
    ));
    let mut ok = record(
        "01a2224e-e100-7000-8000-000000000000",
        "hello",
        at + Duration::from_millis(1500),
        200,
    );
    ok.duration = Duration::from_millis(2500);
    store.insert([refused, ok]).unwrap();

    let list = store.list(&Filter::default()).unwrap();
    insta::assert_snapshot!("table", render::table(&list));
    let execution = store
        .get("01a2224e-e066-72bf-ba43-567f9c4bcb41")
        .unwrap()
        .unwrap();
    insta::assert_snapshot!("show", render::show(&execution));
    insta::assert_snapshot!(
        "show_json",
        serde_json::to_string_pretty(&execution).unwrap()
    );
}

#[test]
fn the_store_and_its_companions_stay_where_configured() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Arc::new(ExecutionSettings {
        path: Path::new("records/runs.db").to_path_buf(),
        ..ExecutionSettings::default()
    });
    let counts = Arc::new(RecordCounts::default());
    let recorder = Recorder::start(dir.path(), &settings, counts.clone());
    recorder.submit(record("e1", "a", SystemTime::now(), 200));
    assert!(recorder.flush(PATIENCE));
    assert_eq!(counts.totals(), (1, 0, 0));
    assert_eq!(recorder.relative_path(), Path::new("records/runs.db"));
    assert!(dir.path().join("records/runs.db").exists());
    let names: Vec<String> = std::fs::read_dir(dir.path().join("records"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| n.starts_with("runs.db")), "{names:?}");
}

#[tokio::test]
async fn an_output_none_execution_is_recorded_when_it_ends() {
    let notice = "listen: { operation: execute, object: Notice, input: json }
steps:
  - exception: { status: 422, message: 'notice {{ doc.id }} refused' }
";
    let recorded = Recorded::start(&[("processes/notice.yaml", notice)]);
    let (status, _) = recorded
        .call("POST", "/ws/simple/executeNotice", r#"{"id": 7}"#, &[])
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    // The process runs on after the 202; its record comes when it ends.
    let mut list = Vec::new();
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        list = recorded.list(&Filter::default());
        if !list.is_empty() {
            break;
        }
    }
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].status, 202);
    assert_eq!(list[0].outcome(), "failed");
    assert_eq!(list[0].error.as_deref(), Some("notice 7 refused"));
    let failed = recorded.list(&Filter {
        status: Some(StatusFilter::Failed),
        ..Filter::default()
    });
    assert_eq!(failed.len(), 1);
}

#[tokio::test]
async fn a_soap_execution_is_recorded_with_its_envelopes() {
    let ack = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Ack"><xs:complexType><xs:sequence>
    <xs:element name="Id" type="xs:string"/>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>"#;
    let ping =
        "listen: { operation: get, object: Ping, output: xml, response_profile: ack, soap: true }
steps:
  - message: '<Ack><Id>ping</Id></Ack>'
  - return: {}
";
    let recorded = Recorded::start(&[("profiles/ack.xsd", ack), ("processes/ping.yaml", ping)]);
    let envelope = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ws="urn:flowgate:ws"><soap:Body><ws:getPing/></soap:Body></soap:Envelope>"#;
    let request = Request::post("/ws/soap")
        .header("host", "gateway.test")
        .header("content-type", "text/xml; charset=utf-8")
        .body(Full::new(Bytes::from_static(envelope.as_bytes())))
        .unwrap();
    let peer = Peer::plain("127.0.0.1:40000".parse().unwrap());
    let response = handle(recorded.gateway.clone(), request, peer).await;
    assert_eq!(response.status(), StatusCode::OK);

    let list = recorded.list(&Filter::default());
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].path, "/ws/soap");
    let execution = recorded.get(&list[0].id);
    assert_eq!(execution.input.unwrap().body, envelope);
    let output = execution.output.unwrap();
    assert!(
        output.media_type.starts_with("text/xml"),
        "{}",
        output.media_type
    );
    assert!(output.body.contains("<Id>ping</Id>"), "{}", output.body);
    assert_eq!(execution.steps.len(), 2);
}

#[test]
fn documents_recorded_before_the_cut_flag_read_their_sizes() {
    let old: super::store::StoredDocument = serde_json::from_str(
        r#"{"media_type": "application/json", "body": "{\"id\": \"", "bytes": 26}"#,
    )
    .unwrap();
    assert_eq!(old.cut, None);
    assert!(old.is_cut());
    let whole: super::store::StoredDocument = serde_json::from_str(
        r#"{"media_type": "application/json", "body": "{\"x\":1}", "bytes": 9, "cut": false}"#,
    )
    .unwrap();
    assert!(!whole.is_cut());
}
