//! Dispatch without a socket: requests built in memory, answered by the
//! same code the listener runs.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};

use super::Gateway;
use super::dispatch::handle;
use crate::compile::compile_files;
use crate::snapshot::Snapshot;

fn snapshot(files: &[(&str, &str)]) -> Snapshot {
    let compilation = compile_files(files);
    compilation.snapshot.unwrap_or_else(|| {
        panic!(
            "the test root compiles:\n{}",
            compilation.diagnostics.render()
        )
    })
}

fn peer() -> SocketAddr {
    "127.0.0.1:40000".parse().unwrap()
}

async fn call(
    gateway: &Arc<Gateway>,
    method: &str,
    uri: &str,
    body: &str,
) -> (StatusCode, http::HeaderMap, String) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap();
    let response = handle(gateway.clone(), request, peer()).await;
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn greeter(word: &str) -> String {
    format!(
        "listen: {{ operation: get, object: Hello, output: json }}\nsteps:\n  - message: '{{\"word\": \"{word}\"}}'\n  - return: {{}}\n"
    )
}

#[tokio::test]
async fn a_swapped_snapshot_serves_the_next_request() {
    let gateway = Gateway::new(snapshot(&[("processes/hello.yaml", &greeter("first"))]));
    let (_, _, body) = call(&gateway, "GET", "/ws/simple/getHello", "").await;
    assert_eq!(body, r#"{"word": "first"}"#);
    let (_, _, status) = call(&gateway, "GET", "/_admin/status", "").await;
    assert_eq!(status, r#"{"status":"ok","generation":1}"#);

    let generation = gateway.swap(snapshot(&[("processes/hello.yaml", &greeter("second"))]));
    assert_eq!(generation, 2);
    let (_, _, body) = call(&gateway, "GET", "/ws/simple/getHello", "").await;
    assert_eq!(body, r#"{"word": "second"}"#);
    let (_, _, status) = call(&gateway, "GET", "/_admin/status", "").await;
    assert_eq!(status, r#"{"status":"ok","generation":2}"#);
}

#[tokio::test]
async fn over_max_concurrency_is_503() {
    let gateway = Gateway::new(snapshot(&[
        ("flowgate.toml", "[limits]\nmax_concurrency = 1\n"),
        ("processes/hello.yaml", &greeter("x")),
    ]));
    let held = gateway.metrics().enter(1).expect("the first slot");
    let (status, _, body) = call(&gateway, "GET", "/ws/simple/getHello", "").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("urn:flowgate:problem:overloaded"), "{body}");
    drop(held);
    let (status, _, _) = call(&gateway, "GET", "/ws/simple/getHello", "").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_process_past_request_timeout_is_504() {
    // Three retries back off 100 + 200 + 400 ms, far past the 50 ms limit.
    let slow = "listen: { operation: get, object: Slow, output: json }\nsteps:\n  - try:\n      retries: 3\n      steps: [ { exception: down } ]\n";
    let gateway = Gateway::new(snapshot(&[
        ("flowgate.toml", "[limits]\nrequest_timeout = \"50ms\"\n"),
        ("processes/slow.yaml", slow),
    ]));
    let started = std::time::Instant::now();
    let (status, headers, body) = call(&gateway, "GET", "/ws/simple/getSlow", "").await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
    assert!(started.elapsed() < std::time::Duration::from_millis(700));
    assert!(headers.contains_key("x-execution-id"));
    assert!(body.contains("did not finish within 50ms"), "{body}");
}

#[tokio::test]
async fn output_none_answers_202_at_once() {
    let process =
        "listen: { operation: execute, object: Job, input: json }\nsteps:\n  - log: started\n";
    let gateway = Gateway::new(snapshot(&[("processes/job.yaml", process)]));
    let (status, headers, body) = call(&gateway, "POST", "/ws/simple/executeJob", "{}").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(headers.contains_key("x-execution-id"));
    assert_eq!(body, "");
}

#[tokio::test]
async fn malformed_output_is_never_sent() {
    let broken = "listen: { operation: get, object: Broken, output: json }\nsteps:\n  - message: '{\"unclosed\": '\n  - return: {}\n";
    let two = "listen: { operation: get, object: Two, output: json }\nsteps:\n  - branch: [ [ { message: '1' } ], [ { message: '2' } ] ]\n  - return: {}\n";
    let gateway = Gateway::new(snapshot(&[
        ("processes/broken.yaml", broken),
        ("processes/two.yaml", two),
    ]));
    for path in ["/ws/simple/getBroken", "/ws/simple/getTwo"] {
        let (status, headers, body) = call(&gateway, "GET", path, "").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert_eq!(headers["content-type"], "application/problem+json");
        assert!(
            body.contains("urn:flowgate:problem:process-failed"),
            "{body}"
        );
        assert!(
            !body.contains("unclosed"),
            "the detail stays in the log: {body}"
        );
    }
}

#[tokio::test]
async fn list_outputs_are_wrapped() {
    let json_list = "listen: { operation: query, object: Items, input: json-list, output: json-list }\nsteps:\n  - return: {}\n";
    let xml_list = "listen: { operation: query, object: Part, input: xml-list, output: xml-list }\nsteps:\n  - return: {}\n";
    let gateway = Gateway::new(snapshot(&[
        ("processes/a.yaml", json_list),
        ("processes/b.yaml", xml_list),
    ]));
    let (status, _, body) = call(
        &gateway,
        "POST",
        "/ws/simple/queryItems",
        r#"[ {"a": 1}, 2 ]"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, r#"[{"a": 1},2]"#);

    let request = Request::builder()
        .method("POST")
        .uri("/ws/simple/queryPart")
        .header("content-type", "application/xml")
        .body(Full::new(Bytes::from_static(
            b"<Parts><Part>1</Part><Part n='2'/></Parts>",
        )))
        .unwrap();
    let response = handle(gateway.clone(), request, peer()).await;
    assert_eq!(response.headers()["content-type"], "application/xml");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        String::from_utf8_lossy(&body),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PartList><Part>1</Part><Part n='2'/></PartList>"
    );
}
