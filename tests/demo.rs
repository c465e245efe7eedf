//! End to end: the real binary serving the repository's demo root, called
//! over HTTP on 127.0.0.1, and the command line on good and broken roots.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Server, client, repo_root, run};

fn is_execution_id(value: Option<&reqwest::header::HeaderValue>) -> bool {
    value
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| uuid::Uuid::parse_str(v).is_ok())
}

#[tokio::test]
async fn demo_routes_answer_as_documented() {
    let server = Server::start(&repo_root());
    let http = client();

    // hello
    let response = server.get("/ws/simple/getHello?name=Ada", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(is_execution_id(response.headers().get("x-execution-id")));
    assert_eq!(
        response.text().await.unwrap(),
        r#"{"greeting":"Hello, Ada"}"#
    );

    // A name that would break JSON if it were not escaped.
    let response = http
        .get(server.url("/ws/simple/getHello"))
        .query(&[("name", "A\"}, \"x\": {\"")])
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"greeting": "Hello, A\"}, \"x\": {\""}));

    // echo-order (TOML, REST with a path parameter)
    let response = http
        .post(server.url("/ws/rest/orders/eu-west"))
        .json(&json!({"id": "A-17", "customer": "Ada", "lines": [{"sku": "x"}, {"sku": "y"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        response.headers()["location"],
        "/ws/rest/orders/eu-west/A-17"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"id": "A-17", "region": "eu-west", "customer": "Ada", "lines": 2, "status": "accepted"})
    );

    // The same process on its simple URL.
    let response = http
        .post(server.url("/ws/simple/createOrderEcho"))
        .json(&json!({"id": 1, "customer": "B", "lines": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);

    // submit-payment: accepted, then refused by its decision and exception.
    let response = http
        .post(server.url("/ws/simple/executePayment"))
        .json(&json!({"order": "A-1", "amount": 250}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap()["status"], "paid");

    let response = http
        .post(server.url("/ws/simple/executePayment"))
        .json(&json!({"order": "A-1", "amount": 2500}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let id = response.headers()["x-execution-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["status"], 422);
    assert_eq!(
        problem["detail"],
        "payment of 2500 for order A-1 needs approval (limit 1000)"
    );
    assert_eq!(problem["execution_id"], id);

    // order-summary: XML in, JSON out.
    let order = std::fs::read_to_string(repo_root().join("samples/order.xml")).unwrap();
    let response = server
        .post("/ws/simple/executeOrderSummary", "application/xml", order)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "id": "42", "currency": "EUR", "customer": "Ada & Co",
            "lines": [{"sku": "X-1", "qty": 2}, {"sku": "Y-7", "qty": 1}],
            "units": 3
        })
    );

    // create-order: an XML order list validated by an XSD, mapped to JSON.
    let orders = std::fs::read_to_string(repo_root().join("samples/orders.xml")).unwrap();
    let response = server
        .post("/ws/simple/createOrder", "application/xml", orders)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let acks: Value = response.json().await.unwrap();
    assert_eq!(acks.as_array().unwrap().len(), 3);
    assert_eq!(acks[0]["id"], "A-1001");
    assert_eq!(acks[0]["rush"], true);
    assert_eq!(acks[0]["lines"][0]["sku"], "GEAR-12");
    assert_eq!(acks[0]["lines"][0]["qty"], 4);
    assert_eq!(acks[0]["lines"][0]["amount"].as_f64(), Some(50.0));
    assert_eq!(acks[0]["total"].as_f64(), Some(176.0));
    assert!(acks[1].get("rush").is_none());
    assert_eq!(acks[2]["currency"], "USD");

    // A list that breaks the profile: every violation, with the item's path.
    let bad = "<OrderList><Order currency=\"GBP\"><Id>x1</Id><Customer>a</Customer><Lines><Line><Sku>s</Sku><Qty>abc</Qty><Price>1</Price></Line></Lines></Order></OrderList>";
    let response = server
        .post("/ws/simple/createOrder", "application/xml", bad)
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let text = response.text().await.unwrap();
    for expected in [
        "/OrderList/Order[1]/@currency",
        "/OrderList/Order[1]/Id",
        "/OrderList/Order[1]/Lines/Line[1]/Qty",
        "&quot;abc&quot; is not an integer",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }

    // confirm-orders: the same orders over SOAP 1.1, confirmed in XML.
    let items = std::fs::read_to_string(repo_root().join("samples/orders.xml"))
        .unwrap()
        .replace("<OrderList>", "<ws:OrderList>")
        .replace("</OrderList>", "</ws:OrderList>")
        .replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "");
    let envelope = format!(
        r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ws="urn:flowgate:ws"><soap:Body><ws:executeOrder>{items}</ws:executeOrder></soap:Body></soap:Envelope>"#
    );
    let response = http
        .post(server.url("/ws/soap"))
        .header("content-type", "text/xml; charset=utf-8")
        .header("soapaction", "executeOrder")
        .body(envelope)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(
        text.contains(r#"<ws:executeOrderResponse xmlns:ws="urn:flowgate:ws"><ws:OrderList><Confirmation xmlns="urn:flowgate:demo:confirmation" currency="EUR"><Id>A-1001</Id><Customer>Lovelace Engines Ltd</Customer><Lines>4</Lines><Total>176</Total><Status>accepted</Status></Confirmation>"#),
        "{text}"
    );
    assert_eq!(text.matches("<Confirmation ").count(), 3, "{text}");

    // The status endpoint.
    let response = http.get(server.url("/_admin/status")).send().await.unwrap();
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "ok", "generation": 1})
    );
}

#[tokio::test]
async fn bad_requests_get_problem_documents() {
    let server = Server::start(&repo_root());
    let http = client();
    let payment = server.url("/ws/simple/executePayment");

    // Malformed JSON: 400 with the position.
    let response = http
        .post(&payment)
        .header("content-type", "application/json")
        .body("{\"order\": \"A-1\",\n \"amount\": }")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(is_execution_id(response.headers().get("x-execution-id")));
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["type"], "urn:flowgate:problem:malformed-body");
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("line 2 column 12"), "{message}");

    // A content type the route cannot read: 415.
    let response = http
        .post(&payment)
        .header("content-type", "text/csv")
        .body("a,b")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // Over max_body (1 MiB in the demo): 413, declared or streamed.
    let big = vec![b' '; 2 << 20];
    let response = http
        .post(&payment)
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // The body was not read: the connection ends, and the answer says so.
    assert_eq!(response.headers()["connection"], "close");
    assert_eq!(
        chunked_post_status(&server, "/ws/simple/executePayment", 2 << 20).await,
        413
    );
    // A declared length over the limit is refused before any of the body is sent.
    assert_eq!(
        declared_post_status(&server, "/ws/simple/executePayment", 2 << 20).await,
        413
    );

    // Unknown path: 404; known path, wrong method: 405 with Allow.
    let response = server.get("/ws/simple/getNothing", &[]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let response = http.get(&payment).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "POST, PUT, PATCH");
    let response = http
        .delete(server.url("/ws/rest/orders/eu"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "POST");

    // A body sent to a process that takes none: 405.
    let response = http
        .post(server.url("/ws/simple/getHello"))
        .body("unexpected")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        response.headers()["allow"],
        "GET, HEAD, POST, PUT, DELETE, PATCH"
    );
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("this route takes no input; send the POST without a body")
    );

    // Malformed XML, and XML with a DOCTYPE: 400, as XML problems with the position.
    let summary = server.url("/ws/simple/executeOrderSummary");
    for (body, expected) in [
        (
            "<Order>\n  <Id>1</Lines>\n</Order>",
            "mismatched end tag: expected &lt;/Id&gt;, found &lt;/Lines&gt; at line 2 column 8",
        ),
        (
            "<!DOCTYPE Order [<!ENTITY x \"y\">]><Order>&x;</Order>",
            "DOCTYPE is not allowed at line 1 column 1",
        ),
    ] {
        let response = http
            .post(&summary)
            .header("content-type", "application/xml")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+xml"
        );
        let text = response.text().await.unwrap();
        assert!(text.contains(expected), "{text}");
    }

    // XML-only clients get XML problems.
    let response = server
        .get("/nowhere", &[("accept", "application/xml")])
        .await;
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+xml"
    );
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("<status>404</status>")
    );
}

/// Sends only the head of a POST declaring `size` bytes, and reads the status code.
async fn declared_post_status(server: &Server, path: &str, size: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = [0u8; 64];
    let n = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read(&mut response),
    )
    .await
    .expect("an answer without the body")
    .unwrap();
    let text = String::from_utf8_lossy(&response[..n]);
    text.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

/// Posts `size` bytes in chunks, without a content length, and reads the status code.
async fn chunked_post_status(server: &Server, path: &str, size: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; 64 << 10];
    let mut sent = 0;
    // The server may answer and close before everything is sent; stop writing then.
    while sent < size {
        let frame = [
            format!("{:x}\r\n", chunk.len()).into_bytes(),
            chunk.clone(),
            b"\r\n".to_vec(),
        ]
        .concat();
        if stream.write_all(&frame).await.is_err() {
            break;
        }
        sent += chunk.len();
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    while !response.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => response.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&response);
    text.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

#[test]
fn check_and_routes_on_the_demo_root() {
    let root = repo_root();
    let output = run(&["check", &root.to_string_lossy()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout,
        "ok: 6 processes, 7 routes and 1 SOAP operation (0 errors, 0 warnings)\n"
    );

    let output = run(&["routes", &root.to_string_lossy()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "/ws/simple/getHello",
        "/ws/rest/orders/{region}",
        "/ws/simple/executePayment",
        "/ws/soap,/ws/soap12 executeOrder",
    ] {
        assert!(stdout.contains(expected), "{stdout}");
    }
}

#[test]
fn check_reports_a_broken_root_and_fails() {
    let broken = repo_root().join("tests/fixtures/broken");
    let output = run(&["check", &broken.to_string_lossy()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--> processes/unknown-step.yaml:6:5"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `message`?"), "{stderr}");

    let output = run(&["check", &broken.to_string_lossy(), "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert!(report["errors"].as_u64().unwrap() >= 10);
    assert!(
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["file"] == "processes/toml-syntax.toml")
    );

    // serve refuses to start on it.
    let output = run(&[
        "serve",
        &broken.to_string_lossy(),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn every_command_has_help() {
    for command in [
        &["--help"][..],
        &["serve", "--help"],
        &["check", "--help"],
        &["routes", "--help"],
    ] {
        let output = run(command);
        assert!(output.status.success());
        assert!(String::from_utf8_lossy(&output.stdout).contains("Usage"));
    }
}

/// Starts `flowgate` with `args` (a serving command line) and returns
/// what it printed on stdout until its plain listener was up (or it
/// ended), then stops it.
fn serve_output(args: &[&str]) -> (Vec<String>, Option<i32>) {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(support::binary())
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("flowgate starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = Vec::new();
    for line in std::io::BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
    {
        let up = line.starts_with("flowgate listening on ");
        lines.push(line);
        if up {
            break;
        }
    }
    let _ = child.kill();
    let status = child.wait().expect("flowgate ends");
    (lines, status.code())
}

/// A root of one process whose admin listener would be on 127.0.0.1:19229.
fn small_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("processes")).unwrap();
    std::fs::write(
        dir.path().join("processes/hello.yaml"),
        "listen: { operation: get, object: Hello, output: json }\nsteps:\n  - message: '{}'\n  - return: {}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("flowgate.toml"),
        "[admin]\nlisten = \"127.0.0.1:19229\"\n",
    )
    .unwrap();
    dir
}

#[test]
fn an_empty_admin_listen_flag_turns_the_admin_listener_off() {
    let dir = small_root();
    let root = dir.path().to_string_lossy();
    let (lines, _) = serve_output(&[
        "serve",
        &root,
        "--listen",
        "127.0.0.1:0",
        "--admin-listen",
        "",
    ]);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("flowgate listening on http://127.0.0.1:"));

    // With the plain listener off too, nothing is left to serve.
    let output = run(&["serve", &root, "--listen", "", "--admin-listen", ""]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--listen \"\" turns the plain listener off"),
        "{stderr}"
    );
}

#[test]
fn bare_flowgate_serves_a_root_with_the_flags_of_serve() {
    let dir = small_root();
    let root = dir.path().to_string_lossy();
    let (lines, _) = serve_output(&[&root, "--listen", "127.0.0.1:0", "--admin-listen", ""]);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("flowgate listening on http://127.0.0.1:"));

    // A word close to a command's name is most likely that command.
    let output = run(&["chek", "--listen", "127.0.0.1:0"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("did you mean `flowgate check`?"),
        "{stderr}"
    );
}

#[test]
fn the_serving_line_names_the_listeners_that_are_on() {
    let dir = small_root();
    let log = tempfile::NamedTempFile::new().unwrap();
    let server = Server::start_logging(dir.path(), "info", log.reopen().unwrap());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let line = loop {
        let text = std::fs::read_to_string(log.path()).unwrap();
        if let Some(line) = text.lines().find(|line| line.contains(" INFO Serving ")) {
            break line.to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no Serving line:\n{text}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let address = server.base.trim_start_matches("http://").to_owned();
    drop(server);
    assert!(line.contains(&format!(" address={address} ")), "{line}");
    assert!(line.contains(" admin=127.0.0.1:"), "{line}");
    // No HTTPS listener: no field, rather than `https=None`.
    assert!(!line.contains("https="), "{line}");
    assert!(!line.contains("Some("), "{line}");
}
