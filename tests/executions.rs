//! End to end: the real binary records executions, `flowgate executions`
//! and the admin API read them while it serves, and the store's writes
//! never reload the root.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use support::{Server, client, run};

const PAYMENT: &str = "listen: { operation: execute, object: Payment, input: json, output: json }
steps:
  - decision:
      if: doc.amount > 1000
      then:
        - exception: { status: 422, message: 'payment of {{ doc.amount }} needs approval' }
  - message: '{\"paid\": {{ doc.amount }}}'
  - return: {}
";

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// `flowgate executions ROOT ARGS`: stdout, checked to succeed.
fn executions(root: &Path, args: &[&str]) -> String {
    let root = root.to_string_lossy();
    let mut all = vec!["executions", &*root];
    all.extend_from_slice(args);
    let output = run(&all);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `flowgate executions --format json` once it lists `count` executions
/// (the store's writer is asynchronous), within 15 seconds.
async fn recorded(root: &Path, count: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let list: Value = serde_json::from_str(&executions(root, &["--format", "json"])).unwrap();
        if list["executions"]
            .as_array()
            .is_some_and(|l| l.len() == count)
        {
            return list;
        }
        assert!(Instant::now() < deadline, "not recorded: {list}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn executions_are_listed_and_shown_while_the_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // A store in a folder that is not hidden: its writes must not reload.
    write(
        root,
        "flowgate.toml",
        "[server]\nlisten = \"\"\n[reload]\ndebounce = \"20ms\"\n[executions]\npath = \"records/executions.db\"\n",
    );
    write(root, "processes/payment.yaml", PAYMENT);
    let server = Server::start(root);
    let http = client();
    let url = server.url("/ws/simple/executePayment");
    let response = http
        .post(&url)
        .body(r#"{"amount": 250}"#)
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = http
        .post(&url)
        .body(r#"{"amount": 2500}"#)
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let failed_id = response.headers()["x-execution-id"]
        .to_str()
        .unwrap()
        .to_owned();

    // The writer is asynchronous: wait for both rows.
    let listed = recorded(root, 2).await;
    assert_eq!(
        listed["executions"][0]["id"],
        failed_id.as_str(),
        "newest first"
    );

    let table = executions(root, &[]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("ID  "), "{table}");
    assert!(
        lines[1].contains("payment") && lines[1].contains("422"),
        "{table}"
    );
    assert!(
        lines[1].contains("payment of 2500 needs approval"),
        "{table}"
    );

    let failed = executions(root, &["--status", "failed", "--since", "1h"]);
    assert_eq!(failed.lines().count(), 2, "{failed}");
    let none = executions(root, &["--process", "other"]);
    assert_eq!(none, "");

    let shown = executions(root, &["--show", &failed_id]);
    assert!(
        shown.starts_with(&format!("execution {failed_id}\n")),
        "{shown}"
    );
    assert!(
        shown.contains("steps[0].decision.then[0].exception (exception, line 6)"),
        "{shown}"
    );
    assert!(shown.contains("| {\"amount\": 2500}"), "{shown}");

    let unknown = run(&["executions", &root.to_string_lossy(), "--show", "nope"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no execution `nope`"));

    // The admin API reads the same store.
    let list: Value = http
        .get(server.admin_url("/executions?status=422&limit=5"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["executions"].as_array().unwrap().len(), 1, "{list}");
    let one = http
        .get(server.admin_url(&format!("/executions/{failed_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), StatusCode::OK);
    let one: Value = one.json().await.unwrap();
    assert_eq!(one["status"], 422);
    assert_eq!(one["steps"][1]["kind"], "exception");
    let missing = http
        .get(server.admin_url("/executions/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    let bad = http
        .get(server.admin_url("/executions?status=fine"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    let metrics = server.metrics().await;
    assert!(
        metrics.contains("flowgate_execution_records_total{result=\"written\"} 2\n"),
        "{metrics}"
    );

    // Every write above touched records/executions.db and its -wal and -shm
    // files; none of them reloaded the root.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let config = server.config().await;
    assert_eq!(config["generation"], 1, "{config}");
    assert_eq!(config["last_reload"], Value::Null, "{config}");
    assert!(root.join("records/executions.db-wal").exists());
}

#[test]
fn a_root_without_records_lists_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "processes/payment.yaml", PAYMENT);
    let root = dir.path().to_string_lossy();
    let output = run(&["executions", &root]);
    assert!(output.status.success());
    assert_eq!(output.stdout, b"");
    assert!(String::from_utf8_lossy(&output.stderr).contains("no executions recorded yet"));
    // A usage error, like a bad --status or --limit.
    let bad = run(&["executions", &root, "--since", "yesterday"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not a time"));
}

#[test]
fn a_limit_outside_1_to_1000_is_refused_like_any_bad_argument() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "processes/payment.yaml", PAYMENT);
    let root = dir.path().to_string_lossy();
    for limit in ["0", "1001"] {
        let bad = run(&["executions", &root, "--limit", limit]);
        assert_eq!(bad.status.code(), Some(2), "--limit {limit}");
        let stderr = String::from_utf8_lossy(&bad.stderr);
        assert!(stderr.contains("is not in 1..=1000"), "{stderr}");
    }
    assert!(
        run(&["executions", &root, "--limit", "1000"])
            .status
            .success()
    );
}

/// A process calls `/first` (which answers after a moment), then `/second`.
const TWO_CALLS: &str =
    "listen: { operation: get, object: TwoCalls, output: data, content_type: text/plain }
steps:
  - http: { upstream: slow, path: /first }
  - http: { upstream: slow, path: /second }
  - return: {}
";

#[tokio::test]
async fn a_client_that_goes_away_does_not_stop_its_process_halfway() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use tokio::io::AsyncWriteExt;

    // The upstream, on loopback: `/first` notes its call and waits, until
    // long after the client has gone; `/second` notes its call.
    let first = Arc::new(AtomicBool::new(false));
    let second = Arc::new(AtomicBool::new(false));
    let (first_noted, second_noted) = (first.clone(), second.clone());
    let app = axum::Router::new()
        .route(
            "/first",
            axum::routing::get(move || async move {
                first_noted.store(true, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(500)).await;
                "first"
            }),
        )
        .route(
            "/second",
            axum::routing::get(move || async move {
                second_noted.store(true, Ordering::SeqCst);
                "second"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "flowgate.toml",
        &format!("[server]\nlisten = \"\"\n[upstreams.slow]\nbase_url = \"http://{upstream}\"\n"),
    );
    write(root, "processes/two-calls.yaml", TWO_CALLS);
    let server = Server::start(root);

    // The client goes away while the first call runs.
    let address = server
        .url("/")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let mut client = tokio::net::TcpStream::connect(address).await.unwrap();
    client
        .write_all(b"GET /ws/simple/getTwoCalls HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !first.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "the first call was never made");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(client);

    // The process runs to its end: the second call is made, and the
    // execution is recorded with the answer it came to.
    let listed = recorded(root, 1).await;
    assert!(
        second.load(Ordering::SeqCst),
        "the second call was never made"
    );
    assert_eq!(listed["executions"][0]["status"], 200, "{listed}");
}
