//! Dispatch without a socket: requests built in memory, answered by the
//! same code the listener runs.

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};

use super::dispatch::handle;
use super::{Gateway, Peer};
use crate::compile::compile_files;
use crate::snapshot::Snapshot;

pub(super) fn snapshot(files: &[(&str, &str)]) -> Snapshot {
    let compilation = compile_files(files);
    compilation.snapshot.unwrap_or_else(|| {
        panic!(
            "the test root compiles:\n{}",
            compilation.diagnostics.render()
        )
    })
}

fn peer() -> Peer {
    Peer::plain("127.0.0.1:40000".parse().unwrap())
}

async fn call(
    gateway: &Arc<Gateway>,
    method: &str,
    uri: &str,
    body: &str,
) -> (StatusCode, http::HeaderMap, String) {
    let request = Request::builder()
        .header("host", "gateway.test")
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
        (
            "processes/note.yaml",
            "listen: { operation: create, object: Note, input: xml, output: xml }\nsteps:\n  - return: {}\n",
        ),
    ]));
    let held = gateway.metrics().enter(1).expect("the first slot");
    let (status, headers, body) = call(&gateway, "GET", "/ws/simple/getHello", "").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("urn:flowgate:problem:overloaded"), "{body}");
    assert_eq!(headers[http::header::RETRY_AFTER], "1");
    // A route that reads XML is told in XML.
    let (status, headers, _) = call(&gateway, "POST", "/ws/simple/createNote", "<Note/>").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers["content-type"], "application/problem+xml");
    // The published contracts are documents, served whatever runs.
    for contract in ["/ws/soap?wsdl", "/ws/soap12?wsdl", "/ws/rest/openapi.json"] {
        let (status, _, body) = call(&gateway, "GET", contract, "").await;
        assert_eq!(status, StatusCode::OK, "{contract}: {body}");
    }
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
async fn a_process_that_never_waits_still_stops_at_request_timeout() {
    // The first step works for far longer than 20ms without awaiting
    // anything, so no timer can stop it; the second step is not begun.
    let busy = "listen: { operation: get, object: Busy, output: json }\nsteps:\n  - message: '{% set ns = namespace(n=0) %}{% for i in range(1000) %}{% for j in range(200) %}{% set ns.n = ns.n + 1 %}{% endfor %}{% endfor %}{\"n\": {{ ns.n }}}'\n  - message: '{\"n\": 0}'\n  - return: {}\n";
    let gateway = Gateway::new(snapshot(&[
        ("flowgate.toml", "[limits]\nrequest_timeout = \"20ms\"\n"),
        ("processes/busy.yaml", busy),
    ]));
    let (status, headers, body) = call(&gateway, "GET", "/ws/simple/getBusy", "").await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");
    assert!(headers.contains_key("x-execution-id"));
    assert!(body.contains("did not finish within 20ms"), "{body}");
}

#[tokio::test]
async fn a_body_that_never_ends_is_408_and_frees_its_place() {
    use futures_util::{StreamExt as _, stream};
    use http_body_util::StreamBody;
    let echo = "listen: { operation: create, object: Echo, input: json, output: json }\nsteps:\n  - return: {}\n";
    let gateway = Gateway::new(snapshot(&[
        (
            "flowgate.toml",
            "[limits]\nrequest_timeout = \"50ms\"\nmax_concurrency = 1\n",
        ),
        ("processes/echo.yaml", echo),
    ]));
    // Eight of the hundred bytes it promises, then nothing.
    let first: Result<_, std::convert::Infallible> =
        Ok(hyper::body::Frame::data(Bytes::from_static(b"{\"n\": 1}")));
    let body = StreamBody::new(stream::iter([first]).chain(stream::pending()));
    let request = Request::builder()
        .method("POST")
        .uri("/ws/simple/createEcho")
        .header("host", "gateway.test")
        .header("content-type", "application/json")
        .header("content-length", "100")
        .body(body)
        .unwrap();
    let response = handle(gateway.clone(), request, peer()).await;
    assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("urn:flowgate:problem:body-timeout"), "{body}");
    // Its place among `max_concurrency` is free again.
    let (status, _, body) = call(&gateway, "POST", "/ws/simple/createEcho", "{}").await;
    assert_eq!(status, StatusCode::OK, "{body}");
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
async fn a_process_that_runs_on_after_202_keeps_its_place_until_it_ends() {
    // Two retries back off 100 + 200 ms after the 202.
    let job = "listen: { operation: execute, object: Job }\nsteps:\n  - try:\n      retries: 2\n      steps: [ { exception: down } ]\n";
    let gateway = Gateway::new(snapshot(&[
        ("flowgate.toml", "[limits]\nmax_concurrency = 1\n"),
        ("processes/job.yaml", job),
    ]));
    let (status, _, _) = call(&gateway, "GET", "/ws/simple/executeJob", "").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _, _) = call(&gateway, "GET", "/ws/simple/executeJob", "").await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "the first still runs"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let (status, _, _) = call(&gateway, "GET", "/ws/simple/executeJob", "").await;
        if status == StatusCode::ACCEPTED {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the place is freed when the run ends"
        );
    }
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

    let parts = |body: &'static [u8]| {
        let request = Request::builder()
            .header("host", "gateway.test")
            .method("POST")
            .uri("/ws/simple/queryPart")
            .header("content-type", "application/xml")
            .body(Full::new(Bytes::from_static(body)))
            .unwrap();
        handle(gateway.clone(), request, peer())
    };
    let response = parts(b"<Parts><Part>1</Part><Part n='2'/></Parts>").await;
    assert_eq!(response.headers()["content-type"], "application/xml");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        String::from_utf8_lossy(&body),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PartList><Part>1</Part><Part n='2'/></PartList>"
    );

    // Text beside the items is no item: a 400, not a shorter list.
    let response = parts(b"<Parts><Part>1</Part>2</Parts>").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("malformed-body"), "{body}");
    assert!(
        body.contains("text is not allowed in `Parts`: it holds only the items at line 1 column 1"),
        "{body}"
    );
}

#[tokio::test]
async fn a_list_that_holds_no_document_is_still_a_list() {
    let echo = "listen: { operation: query, object: Item, input: json-list, output: json-list, page_size: 2 }\nsteps:\n  - return: {}\n";
    let filter = "listen: { operation: query, object: Big, input: json-list, output: json-list }\nsteps:\n  - decision: { if: doc > 10, then: [ { return: { status: 201 } } ], else: [ stop ] }\n";
    let xml = "listen: { operation: query, object: Part, input: xml-list, output: xml-list, page_size: 1 }\nsteps:\n  - return: {}\n";
    let silent = "listen: { operation: query, object: Quiet, input: json-list, output: json-list }\nsteps:\n  - log: seen\n";
    let gateway = Gateway::new(snapshot(&[
        ("processes/echo.yaml", echo),
        ("processes/filter.yaml", filter),
        ("processes/xml.yaml", xml),
        ("processes/silent.yaml", silent),
    ]));
    // No document reached a `return`, so none of its status or headers apply.
    for (uri, body) in [
        ("/ws/simple/queryItem", "[]"),
        ("/ws/simple/queryBig", "[1, 2]"),
    ] {
        let (status, headers, answer) = call(&gateway, "POST", uri, body).await;
        assert_eq!((status, answer.as_str()), (StatusCode::OK, "[]"), "{uri}");
        assert_eq!(headers["content-type"], "application/json", "{uri}");
        assert!(!headers.contains_key("link"), "{uri}");
    }

    let request = Request::builder()
        .header("host", "gateway.test")
        .method("POST")
        .uri("/ws/simple/queryPart")
        .header("content-type", "application/xml")
        .body(Full::new(Bytes::from_static(b"<Parts/>")))
        .unwrap();
    let response = handle(gateway.clone(), request, peer()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/xml");
    assert!(!response.headers().contains_key("link"));
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        String::from_utf8_lossy(&body),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PartList></PartList>"
    );

    // A process without any `return` answers nothing, list output or not.
    let (status, headers, body) = call(&gateway, "POST", "/ws/simple/queryQuiet", "[1]").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
    assert!(!headers.contains_key("content-type"));
}

#[tokio::test]
async fn a_json_body_is_checked_whole_whether_a_step_reads_it_or_not() {
    let passes = "listen: { operation: execute, object: Pass, input: json, output: json }\nsteps:\n  - return: {}\n";
    let reads = "listen: { operation: execute, object: Read, input: json, output: json }\nsteps:\n  - set: { x: '{{ doc }}' }\n  - return: {}\n";
    let gateway = Gateway::new(snapshot(&[
        ("processes/pass.yaml", passes),
        ("processes/read.yaml", reads),
    ]));
    let send = |uri: &'static str, body: &'static [u8]| {
        let request = Request::builder()
            .header("host", "gateway.test")
            .method("POST")
            .uri(uri)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from_static(body)))
            .unwrap();
        handle(gateway.clone(), request, peer())
    };
    for uri in ["/ws/simple/executePass", "/ws/simple/executeRead"] {
        // Latin-1 `é`, and an escape of half a character.
        for body in [&b"\"\xe9\""[..], br#"{"a": "\ud800"}"#] {
            let response = send(uri, body).await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{uri}");
            let problem = response.into_body().collect().await.unwrap().to_bytes();
            let problem = String::from_utf8_lossy(&problem);
            assert!(problem.contains("malformed-body"), "{uri}: {problem}");
        }
        let response = send(uri, br#"{"a": "\ud83d\ude00 caf\u00e9"}"#).await;
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
    }
}

#[tokio::test]
async fn a_declared_content_type_goes_out_as_written() {
    let message = |name: &str, content_type: &str, template: &str| {
        format!(
            "listen: {{ operation: get, object: {name}, output: data }}\nsteps:\n  - message: {{ template: '{template}', content_type: \"{content_type}\" }}\n  - return: {{}}\n"
        )
    };
    let json = r#"{"q": "{{ request.query.q }}"}"#;
    let xml = "<q>{{ request.query.q }}</q>";
    let cases = [
        ("VndApi", "application/vnd.api+json", json),
        ("Charset", "application/json; charset=utf-8", json),
        ("Problem", "application/problem+json", json),
        ("Soap", "application/soap+xml", xml),
        ("Atom", "application/atom+xml", xml),
        ("TextXml", "text/xml", xml),
    ];
    let mut files: Vec<(String, String)> = cases
        .iter()
        .map(|(name, ct, template)| {
            (
                format!("processes/{name}.yaml"),
                message(name, ct, template),
            )
        })
        .collect();
    // The listen block's content type is the default of `message` steps;
    // a `return`'s wins over both.
    files.push((
        "processes/listen.yaml".to_owned(),
        format!("listen: {{ operation: get, object: Listen, output: data, content_type: application/hal+json }}\nsteps:\n  - message: '{json}'\n  - return: {{}}\n"),
    ));
    files.push((
        "processes/returned.yaml".to_owned(),
        format!("listen: {{ operation: get, object: Returned, output: data }}\nsteps:\n  - message: {{ template: '{json}', content_type: application/json }}\n  - return: {{ content_type: application/merge-patch+json }}\n"),
    ));
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let gateway = Gateway::new(snapshot(&files));
    let expected = cases
        .iter()
        .map(|(name, ct, template)| (*name, *ct, *template == json))
        .chain([
            ("Listen", "application/hal+json", true),
            ("Returned", "application/merge-patch+json", true),
        ]);
    for (name, content_type, is_json) in expected {
        let (status, headers, body) =
            get(&gateway, &format!("/ws/simple/get{name}?q=%22%3C")).await;
        assert_eq!(status, StatusCode::OK, "{name}: {body}");
        assert_eq!(headers["content-type"], content_type, "{name}");
        // Still escaped for its family.
        let escaped = if is_json {
            r#"{"q": "\"<"}"#
        } else {
            "<q>&quot;&lt;</q>"
        };
        assert_eq!(body, escaped, "{name}");
    }
}

#[tokio::test]
async fn a_204_or_304_has_no_content_and_nothing_that_describes_it() {
    let no_content = "listen: { operation: execute, object: Nothing, input: json, output: json }\nsteps:\n  - return: { status: 204, headers: { X-Kept: yes } }\n";
    let not_modified = "listen: { operation: get, object: Same, output: data, content_type: text/csv }\nsteps:\n  - message: a,b\n  - return: { status: 304, headers: { ETag: '\"v1\"', Content-Type: text/csv }, content_type: text/csv }\n";
    let paged = "listen: { operation: query, object: Item, input: json-list, output: json-list, page_size: 1 }\nsteps:\n  - return: { status: 204 }\n";
    let gateway = Gateway::new(snapshot(&[
        ("processes/nothing.yaml", no_content),
        ("processes/same.yaml", not_modified),
        ("processes/items.yaml", paged),
    ]));
    let (status, headers, body) = call(&gateway, "POST", "/ws/simple/executeNothing", "{}").await;
    assert_eq!((status, body.as_str()), (StatusCode::NO_CONTENT, ""));
    assert!(!headers.contains_key("content-type"), "{headers:?}");
    assert_eq!(headers["x-kept"], "yes");
    assert!(headers.contains_key("x-execution-id"));

    let (status, headers, body) = get(&gateway, "/ws/simple/getSame").await;
    assert_eq!((status, body.as_str()), (StatusCode::NOT_MODIFIED, ""));
    assert!(!headers.contains_key("content-type"), "{headers:?}");
    assert_eq!(headers["etag"], "\"v1\"");

    // No page is kept for a list that is not sent.
    let (status, headers, body) = call(&gateway, "POST", "/ws/simple/queryItem", "[1, 2, 3]").await;
    assert_eq!((status, body.as_str()), (StatusCode::NO_CONTENT, ""));
    assert!(!headers.contains_key("content-type") && !headers.contains_key("link"));
}

#[test]
fn a_head_of_a_204_or_304_has_no_content_length() {
    for (status, length) in [
        (StatusCode::OK, Some("2")),
        (StatusCode::NO_CONTENT, None),
        (StatusCode::NOT_MODIFIED, None),
    ] {
        let mut response =
            http::Response::new(super::dispatch::Body::new(Bytes::from_static(b"[]")));
        *response.status_mut() = status;
        let head = super::without_body(response);
        let sent = head
            .headers()
            .get("content-length")
            .map(|v| v.to_str().unwrap());
        assert_eq!(sent, length, "{status}");
    }
}

async fn get(gateway: &Arc<Gateway>, uri: &str) -> (StatusCode, http::HeaderMap, String) {
    call(gateway, "GET", uri, "").await
}

#[tokio::test]
async fn an_answer_before_the_body_was_read_closes_the_connection() {
    let echo = "listen: { operation: create, object: Thing, input: json, output: json }\nsteps:\n  - return: {}\n";
    let gateway = Gateway::new(snapshot(&[
        ("processes/echo.yaml", echo),
        ("processes/hello.yaml", &greeter("hi")),
    ]));
    let (status, headers, _) = call(&gateway, "POST", "/ws/simple/createThing", "{}").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!headers.contains_key("connection"));
    // A GET route takes no body: 405 before reading it.
    let (status, headers, _) = call(&gateway, "POST", "/ws/simple/getHello", "{}").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers["connection"], "close");
    let request = Request::builder()
        .header("host", "gateway.test")
        .method("POST")
        .uri("/ws/simple/createThing")
        .header("content-type", "text/plain")
        .body(Full::new(Bytes::from_static(b"{}")))
        .unwrap();
    let response = handle(gateway.clone(), request, peer()).await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(response.headers()["connection"], "close");
    // HTTP/2 has no such header: a stream ends on its own.
    let request = Request::builder()
        .version(http::Version::HTTP_2)
        .method("POST")
        .uri("http://gateway.test/ws/simple/createThing")
        .header("content-type", "text/plain")
        .body(Full::new(Bytes::from_static(b"{}")))
        .unwrap();
    let response = handle(gateway.clone(), request, peer()).await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(!response.headers().contains_key("connection"));
}

#[tokio::test]
async fn connect_runs_no_process_and_the_status_path_is_decoded_like_any() {
    let gateway = Gateway::new(snapshot(&[("processes/hello.yaml", &greeter("hi"))]));
    let (status, headers, body) = call(&gateway, "CONNECT", "/ws/simple/getHello", "").await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{body}");
    assert!(!headers.contains_key("x-execution-id"));
    assert!(body.contains("opens no tunnels"), "{body}");
    let (status, _, body) = get(&gateway, "/_admin/%73tatus").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("\"generation\""), "{body}");
}

fn next_link(headers: &http::HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    let url = link.strip_prefix('<')?.split('>').next()?;
    Some(url.to_owned())
}

#[tokio::test]
async fn long_lists_are_paged_and_tokens_serve_once() {
    let process = "listen: { operation: query, object: Item, input: json-list, output: json-list, page_size: 2 }\nsteps:\n  - return: {}\n";
    let gateway = Gateway::new(snapshot(&[("processes/items.yaml", process)]));
    let (status, headers, body) =
        call(&gateway, "POST", "/ws/simple/queryItem", "[1, 2, 3, 4, 5]").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "[1,2]");
    let second = next_link(&headers).expect("a next page");
    assert!(
        second.starts_with("/ws/simple/queryItem?page_token="),
        "{second}"
    );

    let (status, headers, body) = get(&gateway, &second).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "[3,4]"));
    let third = next_link(&headers).expect("a third page");
    let (status, headers, body) = get(&gateway, &third).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "[5]"));
    assert!(next_link(&headers).is_none(), "the last page links nowhere");

    // A token serves once; an unknown one is gone too.
    let (status, headers, body) = get(&gateway, &second).await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(headers["content-type"], "application/problem+json");
    assert!(body.contains("urn:flowgate:problem:page-gone"), "{body}");
    let (status, _, _) = get(&gateway, "/ws/simple/queryItem?page_token=nope").await;
    assert_eq!(status, StatusCode::GONE);
}

#[tokio::test]
async fn a_first_page_keeps_the_links_its_process_returned() {
    let process = "listen: { operation: query, object: Item, input: json-list, output: json-list, page_size: 1 }\nsteps:\n  - return: { headers: { Link: '</docs/items>; rel=\"help\"' } }\n";
    let gateway = Gateway::new(snapshot(&[("processes/items.yaml", process)]));
    let (status, headers, _) = call(&gateway, "POST", "/ws/simple/queryItem", "[1, 2]").await;
    assert_eq!(status, StatusCode::OK);
    let links: Vec<&str> = headers
        .get_all("link")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(links.len(), 2, "{links:?}");
    assert_eq!(links[0], "</docs/items>; rel=\"help\"");
    assert!(links[1].ends_with("rel=\"next\""), "{links:?}");
    // Later pages carry the paging headers alone.
    let next = links[1]
        .strip_prefix('<')
        .unwrap()
        .split('>')
        .next()
        .unwrap();
    let (status, headers, body) = get(&gateway, next).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "[2]"));
    assert!(headers.get("link").is_none());
}

#[tokio::test]
async fn a_head_on_a_page_link_leaves_the_token_for_the_get() {
    let process = "listen: { operation: query, object: Item, input: json-list, output: json-list, page_size: 2 }\nsteps:\n  - return: {}\n";
    let gateway = Gateway::new(snapshot(&[("processes/items.yaml", process)]));
    let (_, headers, _) = call(&gateway, "POST", "/ws/simple/queryItem", "[1, 2, 3, 4, 5]").await;
    let second = next_link(&headers).expect("a next page");

    // The listener leaves out the body of a HEAD; dispatch answers as for a GET.
    let (status, head, body) = call(&gateway, "HEAD", &second, "").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "[3,4]"));
    let third = next_link(&head).expect("a HEAD shows the link a GET gets");
    let (status, again, _) = call(&gateway, "HEAD", &second, "").await;
    assert_eq!(status, StatusCode::OK, "a HEAD leaves the token");
    assert_eq!(again["link"], head["link"]);
    assert_eq!(
        call(&gateway, "HEAD", &third, "").await.0,
        StatusCode::GONE,
        "a HEAD keeps nothing: the third page is kept by the GET"
    );

    let (status, headers, body) = get(&gateway, &second).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "[3,4]"));
    assert_eq!(headers["link"], head["link"]);
    assert_eq!(headers["content-type"], head["content-type"]);
    let (status, _, body) = get(&gateway, &third).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "[5]"));
    assert_eq!(get(&gateway, &second).await.0, StatusCode::GONE);
    assert_eq!(
        call(&gateway, "HEAD", &second, "").await.0,
        StatusCode::GONE
    );
}

#[tokio::test]
async fn xml_pages_carry_the_token_on_the_wrapper() {
    let process = "listen: { operation: query, object: Part, input: xml-list, output: xml-list, page_size: 1 }\nsteps:\n  - return: {}\n";
    let gateway = Gateway::new(snapshot(&[("processes/parts.yaml", process)]));
    let request = Request::builder()
        .header("host", "gateway.test")
        .method("POST")
        .uri("/ws/simple/queryPart")
        .header("content-type", "application/xml")
        .body(Full::new(Bytes::from_static(
            b"<Parts><Part>1</Part><Part>2</Part></Parts>",
        )))
        .unwrap();
    let response = handle(gateway.clone(), request, peer()).await;
    let link = next_link(response.headers()).unwrap();
    let token = link.split("page_token=").nth(1).unwrap().to_owned();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        String::from_utf8_lossy(&body),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PartList pageToken=\"{token}\"><Part>1</Part></PartList>"
        )
    );
    // Only a GET follows a link, whether its token is good or not, and a
    // refused request leaves the token.
    for uri in [link.as_str(), "/ws/simple/queryPart?page_token=nope"] {
        let (status, _, _) = call(&gateway, "POST", uri, "<Parts/>").await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{uri}");
    }
    let (_, headers, body) = get(&gateway, &link).await;
    assert!(
        body.ends_with("<PartList><Part>2</Part></PartList>"),
        "{body}"
    );
    assert!(headers.contains_key("x-execution-id"));
    // The route reads XML, so a token that is gone is told in XML.
    let (status, headers, _) = get(&gateway, &link).await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(headers["content-type"], "application/problem+xml");
}

const ORDER_SCHEMA: &str = r#"{
  "type": "object", "required": ["id", "qty"],
  "properties": {"id": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}
}"#;

#[tokio::test]
async fn request_profiles_list_every_error_of_every_document() {
    let process = "listen: { operation: create, object: Order, input: json-list, output: json-list, request_profile: order }\nsteps:\n  - return: {}\n";
    let gateway = Gateway::new(snapshot(&[
        ("profiles/order.schema.json", ORDER_SCHEMA),
        ("processes/orders.yaml", process),
    ]));
    let (status, _, body) = call(
        &gateway,
        "POST",
        "/ws/simple/createOrder",
        r#"[{"id": "a", "qty": 1}, {"qty": 0}, {"id": 5, "qty": 2}]"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["type"], "urn:flowgate:problem:profile-mismatch");
    assert_eq!(
        problem["detail"],
        "the body does not match the profile `order`"
    );
    let paths: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/1", "/1/qty", "/2/id"], "{body}");

    let (status, _, body) = call(
        &gateway,
        "POST",
        "/ws/simple/createOrder",
        r#"[{"id": "a", "qty": 1}]"#,
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, r#"[{"id": "a", "qty": 1}]"#)
    );
}

#[tokio::test]
async fn response_profiles_keep_bad_output_from_clients() {
    let process = "listen: { operation: get, object: Order, output: json, response_profile: order }\nsteps:\n  - message: '{\"id\": \"a\", \"qty\": 0}'\n  - return: {}\n";
    let gateway = Gateway::new(snapshot(&[
        ("profiles/order.schema.json", ORDER_SCHEMA),
        ("processes/order.yaml", process),
    ]));
    let (status, _, body) = get(&gateway, "/ws/simple/getOrder").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        body.contains("urn:flowgate:problem:process-failed"),
        "{body}"
    );
}

/// One frame of a body made in a test, or the error that fails it.
type TestFrame = Result<hyper::body::Frame<Bytes>, std::io::Error>;
type TestBody =
    http_body_util::StreamBody<futures_util::stream::Iter<std::vec::IntoIter<TestFrame>>>;

/// A request to `uri` whose body is `frames`, each data or an error.
fn framed(
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    frames: Vec<TestFrame>,
) -> Request<TestBody> {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "gateway.test");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
        .body(http_body_util::StreamBody::new(futures_util::stream::iter(
            frames,
        )))
        .unwrap()
}

async fn answer(
    response: http::Response<super::dispatch::Body>,
) -> (StatusCode, http::HeaderMap, String) {
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

#[tokio::test]
async fn a_body_sent_to_a_route_that_takes_none_is_judged_by_the_body_itself() {
    use hyper::body::Frame;
    let hello = "listen: { operation: get, object: Hello, output: json, rest: \"POST /things/{id}\" }\nsteps:\n  - message: '{\"hi\": 1}'\n  - return: {}\n";
    let thing = "listen: { operation: get, object: Thing, output: json, rest: \"GET /things/{id}\" }\nsteps:\n  - message: '{\"thing\": 1}'\n  - return: {}\n";
    let gateway = Gateway::new(snapshot(&[
        ("processes/hello.yaml", hello),
        ("processes/thing.yaml", thing),
    ]));
    let data = |bytes: &'static [u8]| Ok(Frame::data(Bytes::from_static(bytes)));
    let trailers = || Ok(Frame::trailers(http::HeaderMap::new()));
    // Empty whatever the headers say: no frame, an empty chunk, trailers only.
    for frames in [vec![], vec![data(b"")], vec![data(b""), trailers()]] {
        for method in ["POST", "PUT"] {
            let chunked = [("transfer-encoding", "chunked")];
            let request = framed(
                method,
                "/ws/simple/getHello",
                &chunked,
                frames_again(&frames),
            );
            let (status, _, body) = answer(handle(gateway.clone(), request, peer()).await).await;
            assert_eq!(status, StatusCode::OK, "{method} {frames:?}: {body}");
        }
    }
    // A byte is a body, with no header that says so (as over HTTP/2).
    let request = framed(
        "POST",
        "/ws/simple/getHello",
        &[],
        vec![data(b""), data(b"hi")],
    );
    let (status, headers, body) = answer(handle(gateway.clone(), request, peer()).await).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    assert!(
        body.contains("urn:flowgate:problem:unexpected-body"),
        "{body}"
    );
    assert!(body.contains("send the POST without a body"), "{body}");
    // `Allow` lists what the URL serves, POST and PUT (without a body) too.
    assert_eq!(
        headers[http::header::ALLOW],
        "GET, HEAD, POST, PUT, DELETE, PATCH"
    );
    let request = framed("POST", "/ws/rest/things/7", &[], vec![data(b"hi")]);
    let (status, headers, body) = answer(handle(gateway.clone(), request, peer()).await).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    let mut allow: Vec<&str> = headers[http::header::ALLOW]
        .to_str()
        .unwrap()
        .split(", ")
        .collect();
    allow.sort_unstable();
    assert_eq!(allow, ["GET", "HEAD", "POST"]);
    // Other methods ignore a body.
    let request = framed("PATCH", "/ws/simple/getHello", &[], vec![data(b"hi")]);
    let (status, _, body) = answer(handle(gateway.clone(), request, peer()).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The same frames again (an error is not `Clone`).
fn frames_again(frames: &[TestFrame]) -> Vec<TestFrame> {
    frames
        .iter()
        .map(|frame| match frame {
            Ok(frame) if frame.is_data() => Ok(hyper::body::Frame::data(
                frame.data_ref().cloned().unwrap_or_default(),
            )),
            Ok(frame) => Ok(hyper::body::Frame::trailers(
                frame.trailers_ref().cloned().unwrap_or_default(),
            )),
            Err(err) => Err(std::io::Error::new(err.kind(), err.to_string())),
        })
        .collect()
}

#[tokio::test]
async fn broken_chunked_framing_is_a_bad_request_that_closes_and_runs_nothing() {
    let echo = "listen: { operation: create, object: Echo, input: json, output: json }\nsteps:\n  - return: {}\n";
    let hello = "listen: { operation: get, object: Hello, output: json }\nsteps:\n  - message: '{\"hi\": 1}'\n  - return: {}\n";
    let gateway = Gateway::new(snapshot(&[
        ("processes/echo.yaml", echo),
        ("processes/hello.yaml", hello),
    ]));
    // What hyper's chunk decoder fails a body with.
    let broken = |before: &'static [u8]| {
        vec![
            Ok(hyper::body::Frame::data(Bytes::from_static(before))),
            Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "Invalid chunk size line: Invalid Size",
            )),
        ]
    };
    let chunked = [("transfer-encoding", "chunked")];
    // A route that takes no body reads up to the first byte, so breaks
    // before it.
    for (uri, before) in [
        ("/ws/simple/createEcho", &b"{"[..]),
        ("/ws/simple/getHello", b""),
    ] {
        let request = framed("POST", uri, &chunked, broken(before));
        let (status, headers, body) = answer(handle(gateway.clone(), request, peer()).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(problem["type"], "urn:flowgate:problem:bad-request", "{uri}");
        assert!(
            problem["detail"].as_str().unwrap().starts_with(
                "the chunked framing of the body is broken (invalid chunk size line: Invalid Size)"
            ),
            "{uri}: {problem}"
        );
        assert_eq!(headers[http::header::CONNECTION], "close", "{uri}");
        // No execution began: nothing of the body reached a process.
        assert!(!headers.contains_key("x-execution-id"), "{uri}");
        assert!(problem.get("execution_id").is_none(), "{uri}");
    }
}

#[tokio::test(start_paused = true)]
async fn an_answer_made_as_a_period_ends_has_the_next_period_to_be_written() {
    use std::time::Duration;
    use tokio::io::AsyncReadExt;
    // `far` is the client: it sends nothing, and stays connected.
    let (near, _far) = tokio::io::duplex(64);
    let requests = Arc::new(super::Requests::default());
    let mut idle = super::Idle::new(near, Duration::from_secs(1), requests.clone());
    let running = super::InFlight::enter(&requests);
    let start = tokio::time::Instant::now();
    let reader = tokio::spawn(async move {
        let mut buf = [0u8; 8];
        let read = idle.read(&mut buf).await.unwrap();
        (read, start.elapsed())
    });
    // The first period ends with the request running; it is answered just
    // before the second ends, whose answer then has a whole period more.
    tokio::time::sleep(Duration::from_millis(1999)).await;
    drop(running);
    let (read, closed_after) = reader.await.unwrap();
    assert_eq!(read, 0, "read as closed");
    assert!(
        closed_after >= Duration::from_secs(3),
        "closed {closed_after:?} in, with an answer to write"
    );
}
