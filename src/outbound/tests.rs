//! `http` steps against real upstreams: axum servers on 127.0.0.1:0,
//! started by each test and stopped when it ends. Every wait is bounded.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use bytes::Bytes;
use http::StatusCode;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncReadExt as _;
use tokio::net::TcpListener;

use super::url_under;
use crate::compile::compile_files;
use crate::doc::{Document, MediaType};
use crate::pipeline::{ExecError, Execution, Returned};
use crate::template::context::RequestInfo;
use crate::test_pki::Ca;

/// No test waits longer than this for anything.
const BOUND: Duration = Duration::from_secs(20);

/// A local upstream: its address, and how many connections and requests it saw.
struct TestUpstream {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestUpstream {
    fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.addr)
    }
}

fn router(hits: Arc<AtomicUsize>) -> Router {
    async fn item(
        State(hits): State<Arc<AtomicUsize>>,
        Path(sku): Path<String>,
    ) -> impl axum::response::IntoResponse {
        hits.fetch_add(1, Ordering::SeqCst);
        (
            [
                ("content-type", "application/json"),
                ("x-stock-source", "test"),
            ],
            format!(r#"{{"sku": "{sku}", "stock": 3}}"#),
        )
    }
    async fn delay(Path(ms): Path<u64>) -> String {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        ms.to_string()
    }
    async fn fail() -> (StatusCode, &'static str) {
        (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance")
    }
    async fn echo(headers: HeaderMap, body: Bytes) -> impl axum::response::IntoResponse {
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("text/plain")
            .to_owned();
        ([("content-type", content_type)], body)
    }
    /// What the request said of its body's length.
    async fn length(headers: HeaderMap) -> String {
        let field = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        match (field("content-length"), field("transfer-encoding")) {
            (Some(length), _) => format!("length {length}"),
            (None, Some(encoding)) => format!("encoding {encoding}"),
            (None, None) => "none".to_owned(),
        }
    }
    async fn header(headers: HeaderMap) -> String {
        headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_owned()
    }
    /// Three chunks of a chunked body, which arrive as three frames.
    async fn chunks() -> axum::body::Body {
        let parts = ["[1,", " 2,", " 3]"].map(|part| Ok::<_, std::io::Error>(Bytes::from(part)));
        axum::body::Body::from_stream(futures_util::stream::iter(parts))
    }
    /// 17 MiB in chunks of 1 MiB, with no length announced.
    async fn endless() -> axum::body::Body {
        let parts = (0..17).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; 1 << 20])));
        axum::body::Body::from_stream(futures_util::stream::iter(parts))
    }
    Router::new()
        .route("/items/{sku}", get(item))
        .route("/chunks", get(chunks))
        .route("/endless", get(endless))
        .route("/delay/{ms}", get(delay))
        .route("/fail", get(fail))
        .route("/echo", post(echo))
        .route("/header", get(header))
        .route("/length", get(length).post(length))
        .with_state(hits)
}

/// Serves the test router on 127.0.0.1:0, over TLS when `tls` is given.
async fn start(tls: Option<Arc<rustls::ServerConfig>>) -> TestUpstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let hits = Arc::new(AtomicUsize::new(0));
    let service = TowerToHyperService::new(router(hits.clone()));
    let counter = accepted.clone();
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let task = tokio::spawn(async move {
        // Ends when the test drops the upstream (the task is aborted).
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let service = service.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let builder = auto::Builder::new(TokioExecutor::new());
                match acceptor {
                    Some(acceptor) => {
                        let Ok(Ok(stream)) =
                            tokio::time::timeout(BOUND, acceptor.accept(stream)).await
                        else {
                            return;
                        };
                        let _ = builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    }
                    None => {
                        let _ = builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    }
                }
            });
        }
    });
    TestUpstream {
        addr,
        accepted,
        hits,
        task,
    }
}

/// An upstream that closes its first `drops` connections as soon as a
/// request arrives, then answers `200 ok`; it counts the connections.
async fn flaky(drops: usize) -> TestUpstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let seen = counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let read = tokio::time::timeout(BOUND, stream.read(&mut buffer)).await;
                if seen < drops || !matches!(read, Ok(Ok(n)) if n > 0) {
                    return; // dropped: the connection closes unanswered
                }
                use tokio::io::AsyncWriteExt as _;
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                    )
                    .await;
            });
        }
    });
    TestUpstream {
        addr,
        accepted,
        hits: Arc::new(AtomicUsize::new(0)),
        task,
    }
}

/// An upstream that answers every request with a `Content-Length` of 17 MiB
/// and then sends nothing, keeping the connection open.
async fn announcing_a_huge_body() -> TestUpstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                use tokio::io::AsyncWriteExt as _;
                let mut buffer = [0u8; 4096];
                let _ = tokio::time::timeout(BOUND, stream.read(&mut buffer)).await;
                let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", 17 << 20);
                let _ = stream.write_all(head.as_bytes()).await;
                tokio::time::sleep(BOUND).await;
            });
        }
    });
    TestUpstream {
        addr,
        accepted: Arc::new(AtomicUsize::new(0)),
        hits: Arc::new(AtomicUsize::new(0)),
        task,
    }
}

fn upstream_settings(name: &str, base_url: &str, extra: &str) -> String {
    format!("[upstreams.{name}]\nbase_url = \"{base_url}\"\n{extra}")
}

/// Compiles a root and runs process `p` on `batch`, within [`BOUND`].
async fn run(files: &[(&str, &str)], batch: Vec<Document>) -> Result<Returned, ExecError> {
    let compilation = compile_files(files);
    let snapshot = compilation.snapshot.unwrap_or_else(|| {
        panic!(
            "the test root compiles:\n{}",
            compilation.diagnostics.render()
        )
    });
    let snapshot = Arc::new(snapshot);
    let id = snapshot.process_by_name("p").expect("process p");
    let execution = Execution::new(snapshot, "test".into(), Arc::new(RequestInfo::offline()));
    tokio::time::timeout(BOUND, execution.run(id, batch))
        .await
        .expect("the execution ends in time")
}

/// Runs process `p` of a root of `settings` (flowgate.toml) and `process` on one `{}`.
async fn run_on_empty(settings: &str, process: &str) -> Result<Returned, ExecError> {
    run(
        &[("flowgate.toml", settings), ("processes/p.yaml", process)],
        vec![json("{}")],
    )
    .await
}

/// Runs `process` on one `{}` with `[upstreams.stock]` at a fresh test upstream.
async fn run_against_stock(process: &str) -> Result<Returned, ExecError> {
    let upstream = start(None).await;
    let settings = upstream_settings("stock", &upstream.url("http"), "");
    run_on_empty(&settings, process).await
}

fn json(text: &str) -> Document {
    Document::new(text.to_owned(), MediaType::Json)
}

fn bodies(returned: &Returned) -> Vec<String> {
    returned
        .documents
        .iter()
        .map(|d| d.text().into_owned())
        .collect()
}

fn upstream_error(err: ExecError) -> (StatusCode, String) {
    match &err {
        ExecError::Upstream { .. } => (err.status(), err.to_string()),
        other => panic!("expected an upstream error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_response_becomes_the_document() {
    let upstream = start(None).await;
    let settings = upstream_settings("stock", &upstream.url("http"), "");
    let process = r#"
listen: { operation: get, object: Stock, output: json }
steps:
  - http: { upstream: stock, path: "/items/{{ doc.sku }}" }
  - message: '{"sku": "{{ doc.sku }}", "stock": {{ doc.stock }}, "status": {{ props.http_status }}, "source": "{{ props.http_headers["x-stock-source"] }}"}'
  - return: {}
"#;
    let returned = run(
        &[("flowgate.toml", &settings), ("processes/p.yaml", process)],
        vec![json(r#"{"sku": "A-1"}"#)],
    )
    .await
    .unwrap();
    assert_eq!(
        bodies(&returned),
        [r#"{"sku": "A-1", "stock": 3, "status": 200, "source": "test"}"#]
    );
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_full_url_and_the_document_as_body() {
    let upstream = start(None).await;
    let process = format!(
        "steps:\n  - http: {{ url: \"{}/echo\", method: post }}\n  - return: {{}}\n",
        upstream.url("http")
    );
    let returned = run(
        &[("processes/p.yaml", &process)],
        vec![json(r#"{"id": 7}"#)],
    )
    .await
    .unwrap();
    assert_eq!(bodies(&returned), [r#"{"id": 7}"#]);
    assert_eq!(returned.documents[0].media, MediaType::Json);
}

#[tokio::test]
async fn an_upstreams_content_type_is_sent_and_escaped_for() {
    let upstream = start(None).await;
    let settings = upstream_settings(
        "legacy",
        &upstream.url("http"),
        "headers = { Content-Type = \"application/xml\" }\n",
    );
    // The process answers JSON, the upstream takes XML: the body is escaped as XML.
    let process = r#"
listen: { operation: create, object: Note, input: json, output: json }
steps:
  - http: { upstream: legacy, path: /echo, body: "<note>{{ doc.text }}</note>" }
  - return: {}
"#;
    let batch = vec![json(r#"{"text": "a < b & \"c\""}"#)];
    let returned = run(
        &[("flowgate.toml", &settings), ("processes/p.yaml", process)],
        batch.clone(),
    )
    .await
    .unwrap();
    assert_eq!(
        bodies(&returned),
        ["<note>a &lt; b &amp; &quot;c&quot;</note>"]
    );
    assert_eq!(returned.documents[0].media, MediaType::Xml);
    // Without `body` the document goes as it is, under the upstream's type.
    let process =
        "steps:\n  - http: { upstream: legacy, path: /echo, method: post }\n  - return: {}\n";
    let returned = run(
        &[("flowgate.toml", &settings), ("processes/p.yaml", process)],
        batch,
    )
    .await
    .unwrap();
    assert_eq!(bodies(&returned), [r#"{"text": "a < b & \"c\""}"#]);
    assert_eq!(returned.documents[0].media, MediaType::Xml);
}

#[tokio::test]
async fn a_json_answer_loses_its_byte_order_mark() {
    let upstream = start(None).await;
    let process = format!(
        "steps:\n  - http: {{ url: \"{}/echo\", method: post }}\n  - set: {{ id: '{{{{ doc.id }}}}' }}\n  - return: {{}}\n",
        upstream.url("http")
    );
    let returned = run(
        &[("processes/p.yaml", &process)],
        vec![json("\u{FEFF}{\"id\": 7}")],
    )
    .await
    .unwrap();
    assert_eq!(bodies(&returned), [r#"{"id": 7}"#]);
    let props = &returned.documents[0].props;
    assert_eq!(props.get_attr("id").unwrap().to_string(), "7");
}

#[tokio::test]
async fn a_timeout_is_504_within_the_steps_timeout() {
    let upstream = start(None).await;
    let settings = upstream_settings("slow", &upstream.url("http"), "timeout = \"10s\"\n");
    let process = "steps:\n  - http: { upstream: slow, path: /delay/5000, timeout: 300ms }\n";
    let started = Instant::now();
    let err = run_on_empty(&settings, process).await.unwrap_err();
    let elapsed = started.elapsed();
    let (status, message) = upstream_error(err);
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(message, "upstream `slow` did not answer within 300ms");
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
}

#[tokio::test]
async fn an_empty_body_is_announced_and_a_get_has_none() {
    let process = r#"
steps:
  - http: { upstream: stock, path: /length, method: post, body: "" }
  - set: { empty_post: "{{ doc }}" }
  - http: { upstream: stock, path: /length, method: post, body: "abc" }
  - set: { post: "{{ doc }}" }
  - http: { upstream: stock, path: /length }
  - message: "{{ props.empty_post }} / {{ props.post }} / {{ doc }}"
  - return: {}
"#;
    let returned = run_against_stock(process).await.unwrap();
    assert_eq!(bodies(&returned), ["length 0 / length 3 / none"]);
}

#[tokio::test]
async fn a_body_in_several_chunks_is_one_document() {
    let process = "steps:\n  - http: { upstream: stock, path: /chunks }\n  - return: {}\n";
    let returned = run_against_stock(process).await.unwrap();
    assert_eq!(bodies(&returned), ["[1, 2, 3]"]);
}

#[tokio::test]
async fn a_response_body_over_16_mib_is_502() {
    let process = "steps:\n  - http: { upstream: stock, path: /endless }\n";
    let err = run_against_stock(process).await.unwrap_err();
    let (status, message) = upstream_error(err);
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(
        message,
        "upstream `stock` sent a response body larger than 16MiB"
    );
}

#[tokio::test]
async fn an_announced_body_over_16_mib_is_refused_before_it_is_read() {
    let upstream = announcing_a_huge_body().await;
    let settings = upstream_settings("stock", &upstream.url("http"), "timeout = \"10s\"\n");
    let process = "steps:\n  - http: { upstream: stock, path: /big }\n";
    let started = Instant::now();
    let err = run_on_empty(&settings, process).await.unwrap_err();
    let (status, message) = upstream_error(err);
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(
        message,
        "upstream `stock` sent a response body larger than 16MiB"
    );
    // Not after the upstream's 10 s: the announced length alone refuses it.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_refused_connection_is_502() {
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let settings = upstream_settings("gone", &format!("http://{addr}"), "");
    let process = "steps:\n  - http: { upstream: gone, path: /items/1, retries: 2 }\n";
    let err = run_on_empty(&settings, process).await.unwrap_err();
    let (status, message) = upstream_error(err);
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(message, "upstream `gone` cannot be reached");
}

#[tokio::test]
async fn a_failing_status_is_502_unless_handled() {
    let upstream = start(None).await;
    let settings = upstream_settings("stock", &upstream.url("http"), "");
    let files = |process: &'static str| {
        vec![
            ("flowgate.toml".to_owned(), settings.clone()),
            ("processes/p.yaml".to_owned(), process.to_owned()),
        ]
    };
    let owned = files("steps:\n  - http: { upstream: stock, path: /fail }\n");
    let borrowed: Vec<(&str, &str)> = owned.iter().map(|(a, b)| (&**a, &**b)).collect();
    let (status, message) = upstream_error(run(&borrowed, vec![json("{}")]).await.unwrap_err());
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(message, "upstream `stock` answered 503 Service Unavailable");

    let owned = files(
        "steps:\n  - http: { upstream: stock, path: /fail, fail_on_status: false }\n  - message: '{{ props.http_status }}: {{ body }}'\n  - return: {}\n",
    );
    let borrowed: Vec<(&str, &str)> = owned.iter().map(|(a, b)| (&**a, &**b)).collect();
    let returned = run(&borrowed, vec![json("{}")]).await.unwrap();
    assert_eq!(bodies(&returned), ["503: down for maintenance"]);
}

#[tokio::test]
async fn retries_repeat_idempotent_calls_that_broke_off() {
    let upstream = flaky(2).await;
    let settings = upstream_settings("flaky", &upstream.url("http"), "");
    let process = "steps:\n  - http: { upstream: flaky, path: /x, retries: 3 }\n  - return: {}\n";
    let returned = run_on_empty(&settings, process).await.unwrap();
    assert_eq!(bodies(&returned), ["ok"]);
    assert_eq!(upstream.accepted.load(Ordering::SeqCst), 3);

    // A POST that may have arrived is not sent again.
    let upstream = flaky(2).await;
    let settings = upstream_settings("flaky", &upstream.url("http"), "");
    let process = "steps:\n  - http: { upstream: flaky, path: /x, method: post, retries: 3 }\n";
    let err = run_on_empty(&settings, process).await.unwrap_err();
    assert_eq!(upstream_error(err).0, StatusCode::BAD_GATEWAY);
    assert_eq!(upstream.accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn many_calls_share_a_few_connections() {
    let upstream = start(None).await;
    let settings = upstream_settings("stock", &upstream.url("http"), "");
    let batch: Vec<Document> = (0..40)
        .map(|i| json(&format!(r#"{{"sku": "S{i}"}}"#)))
        .collect();
    for (concurrency, most) in [(1, 1), (4, 4)] {
        let before = upstream.accepted.load(Ordering::SeqCst);
        let process = format!(
            "steps:\n  - http: {{ upstream: stock, path: \"/items/{{{{ doc.sku }}}}\", concurrency: {concurrency} }}\n  - return: {{}}\n"
        );
        // Two runs of one snapshot would share the pool too; one run of 40 documents shows it.
        let returned = run(
            &[("flowgate.toml", &settings), ("processes/p.yaml", &process)],
            batch.clone(),
        )
        .await
        .unwrap();
        assert_eq!(returned.documents.len(), 40);
        let opened = upstream.accepted.load(Ordering::SeqCst) - before;
        assert!(
            opened <= most,
            "concurrency {concurrency}: {opened} connections"
        );
    }
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 80);
}

#[tokio::test]
async fn concurrent_calls_keep_the_batchs_order() {
    let upstream = start(None).await;
    let settings = upstream_settings("slow", &upstream.url("http"), "");
    let process = "steps:\n  - http: { upstream: slow, path: \"/delay/{{ doc.ms }}\", concurrency: 4 }\n  - return: {}\n";
    let batch: Vec<Document> = [400, 300, 200, 100]
        .iter()
        .map(|ms| json(&format!(r#"{{"ms": {ms}}}"#)))
        .collect();
    let started = Instant::now();
    let returned = run(
        &[("flowgate.toml", &settings), ("processes/p.yaml", process)],
        batch,
    )
    .await
    .unwrap();
    assert_eq!(bodies(&returned), ["400", "300", "200", "100"]);
    // One after another would take a second.
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn try_catch_sees_the_upstreams_failure() {
    let process = r#"
steps:
  - try:
      steps:
        - http: { upstream: stock, path: /fail }
      catch:
        - message: '{{ props.error.status }} at {{ props.error.step }}: {{ props.error.message }}'
  - return: {}
"#;
    let returned = run_against_stock(process).await.unwrap();
    assert_eq!(
        bodies(&returned),
        ["502 at steps[0].try.steps[0].http: upstream `stock` answered 503 Service Unavailable"]
    );
}

#[tokio::test]
async fn a_called_process_calls_out() {
    let upstream = start(None).await;
    let settings = upstream_settings("stock", &upstream.url("http"), "");
    let lookup =
        "steps:\n  - http: { upstream: stock, path: \"/items/{{ doc.sku }}\" }\n  - return: {}\n";
    let process =
        "steps:\n  - call: lookup\n  - message: 'stock {{ doc.stock }}'\n  - return: {}\n";
    let returned = run(
        &[
            ("flowgate.toml", &settings),
            ("processes/lookup.yaml", lookup),
            ("processes/p.yaml", process),
        ],
        vec![json(r#"{"sku": "B-2"}"#)],
    )
    .await
    .unwrap();
    assert_eq!(bodies(&returned), ["stock 3"]);
}

#[tokio::test]
async fn upstream_headers_come_from_the_environment() {
    let upstream = start(None).await;
    let settings = upstream_settings(
        "stock",
        &upstream.url("http"),
        "headers = { X-Api-Key = \"env:PATH\" }\n",
    );
    let process = "steps:\n  - http: { upstream: stock, path: /header }\n  - return: {}\n";
    let returned = run_on_empty(&settings, process).await.unwrap();
    assert_eq!(bodies(&returned), [std::env::var("PATH").unwrap()]);
}

#[tokio::test]
async fn a_tls_upstream_with_a_client_certificate() {
    let ca = Ca::new("upstream CA");
    let server = ca.server("stock");
    let client = ca.client("gateway", false);
    let upstream = start(Some(tls_server(&ca, &server))).await;
    let settings = upstream_settings(
        "stock",
        &format!("https://localhost:{}", upstream.addr.port()),
        "ca = \"certs/ca.pem\"\nclient_cert = \"certs/gw.pem\"\nclient_key = \"certs/gw.key\"\n",
    );
    let process = "steps:\n  - http: { upstream: stock, path: /items/T-1 }\n  - return: {}\n";
    let returned = run(
        &[
            ("flowgate.toml", &settings),
            ("certs/ca.pem", &ca.pem),
            ("certs/gw.pem", &client.cert),
            ("certs/gw.key", &client.key),
            ("processes/p.yaml", process),
        ],
        vec![json("{}")],
    )
    .await
    .unwrap();
    assert_eq!(bodies(&returned), [r#"{"sku": "T-1", "stock": 3}"#]);

    // Without the client certificate the upstream refuses the handshake.
    let settings = upstream_settings(
        "stock",
        &format!("https://localhost:{}", upstream.addr.port()),
        "ca = \"certs/ca.pem\"\n",
    );
    let err = run(
        &[
            ("flowgate.toml", &settings),
            ("certs/ca.pem", &ca.pem),
            ("processes/p.yaml", process),
        ],
        vec![json("{}")],
    )
    .await
    .unwrap_err();
    assert_eq!(upstream_error(err).0, StatusCode::BAD_GATEWAY);
}

/// A server config presenting `server` and requiring a client certificate signed by `ca`.
fn tls_server(ca: &Ca, server: &crate::test_pki::Leaf) -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.pem.as_bytes()).unwrap())
        .unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let chain = CertificateDer::pem_slice_iter(server.cert.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(server.key.as_bytes()).unwrap();
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

#[tokio::test]
async fn the_client_sees_a_502_problem_naming_the_upstream() {
    use http_body_util::BodyExt as _;
    let upstream = start(None).await;
    let settings = upstream_settings("stock", &upstream.url("http"), "");
    let process = "listen: { operation: get, object: Stock, output: json }\nsteps:\n  - http: { upstream: stock, path: /fail }\n  - return: {}\n";
    let compilation = compile_files(&[("flowgate.toml", &settings), ("processes/p.yaml", process)]);
    let gateway = crate::server::Gateway::new(compilation.snapshot.expect("compiles"));
    let request = http::Request::builder()
        .uri("/ws/simple/getStock")
        .header("host", "gateway.test")
        .body(http_body_util::Full::new(Bytes::new()))
        .unwrap();
    let peer = crate::server::Peer::plain("127.0.0.1:40000".parse().unwrap());
    let response = tokio::time::timeout(
        BOUND,
        crate::server::dispatch::handle(gateway, request, peer),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["type"], "urn:flowgate:problem:upstream-failed");
    assert_eq!(
        problem["detail"],
        "upstream `stock` answered 503 Service Unavailable"
    );
}

#[test]
fn paths_stay_on_the_upstream() {
    let base = "http://stock.internal:8080/api";
    let origin = url::Url::parse(base).unwrap().origin();
    let url = |path| url_under(base, &origin, "/api", path);
    assert_eq!(
        url("/items/1?x=2").unwrap().as_str(),
        "http://stock.internal:8080/api/items/1?x=2"
    );
    assert_eq!(
        url("items").unwrap().as_str(),
        "http://stock.internal:8080/api/items"
    );
    assert_eq!(url("").unwrap().as_str(), "http://stock.internal:8080/api");
    // Without the slash, `@evil` would make the base a user name.
    assert_eq!(
        url("@evil.example/").unwrap().host_str(),
        Some("stock.internal")
    );
    let other = url::Url::parse("http://other.internal").unwrap().origin();
    assert!(url_under(base, &other, "/api", "/items").is_err());
    // Dot segments, however written, may not climb out of the base path.
    for path in [
        "/items/../../admin",
        "/../admin",
        "..",
        "/%2e%2e/admin",
        "/%2E%2e/%2e%2e/admin",
        "/items/..\\..\\admin",
        "/./../admin",
        // One segment here; a climb for an upstream that decodes the slash first.
        "/..%2fadmin",
        "/items/..%2F..%2Fadmin",
        "/x%2F..%5Cadmin",
        "/%2e%2e%2fadmin",
    ] {
        let error = url(path).unwrap_err();
        assert!(
            error.contains("leaves the upstream's base path `/api`"),
            "{path}: {error}"
        );
    }
    // Within it they are fine, and so are names that only start like it.
    assert_eq!(
        url("/items/../stock").unwrap().as_str(),
        "http://stock.internal:8080/api/stock"
    );
    assert!(url("/..a/b").is_ok());
    // An encoded slash in a name is no climb.
    assert_eq!(
        url("/projects/group%2Fproject").unwrap().path(),
        "/api/projects/group%2Fproject"
    );
    // A sibling whose name starts with the base's is not under it.
    assert!(url("/../apix").is_err());
    // A base without a path lets a path go anywhere on its host.
    let root = "http://stock.internal:8080";
    assert!(url_under(root, &origin, "", "/a/../../b").is_ok());
}

#[test]
fn urls_are_quoted_without_their_query_or_user() {
    assert_eq!(
        super::quoted_url("http://127.0.0.1:99999/x?api_key=SECRET"),
        "http://127.0.0.1:99999/x?…"
    );
    assert_eq!(super::quoted_url("/items/1"), "/items/1");
    assert_eq!(super::quoted_url("/a@b/c?d"), "/a@b/c?…");
    assert_eq!(
        super::quoted_url("https://u:p@w@host\\x?y"),
        "https://…@host\\x?…"
    );
}
