//! The shared listener against clients that try to get around it: raw
//! sockets for each HTTP hardening rule, and the real `hash-password` and
//! credential checks end to end.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use support::{Server, client, run};

/// Any wait on a socket ends by then, pass or fail.
const SOCKET_LIMIT: Duration = Duration::from_secs(15);

const ECHO: &str = "listen: { operation: create, object: Echo, input: data, output: data, content_type: text/plain }\nsteps:\n  - return: {}\n";
const HELLO: &str = "listen: { operation: get, object: Hello, output: json }\nsteps:\n  - message: '{\"hi\": 1}'\n  - return: {}\n";
/// 100 KB per answer: a few answers fill the socket buffers of a client that does not read.
const BIG: &str = "listen: { operation: get, object: Big, output: data, content_type: text/plain }\nsteps:\n  - message: \"{{ 'x' * 100000 }}\"\n  - return: {}\n";
const WHOAMI: &str = "listen: { operation: get, object: Me, output: json }\naccess: { auth: [basic, token] }\nsteps:\n  - message: '{\"user\": {{ request.user | tojson }}}'\n  - return: {}\n";

fn root(dir: &Path, password_hash: &str) {
    std::fs::create_dir_all(dir.join("processes")).unwrap();
    std::fs::write(
        dir.join("flowgate.toml"),
        format!(
            r#"[limits]
max_body = "1KiB"
max_header_bytes = "8KiB"
header_read_timeout = "1s"

[users.acme]
password_hash = "{password_hash}"
token_sha256 = "{token}"

[admin]
hosts = ["flowgate-admin.internal"]
"#,
            token = hex::encode(Sha256::digest(b"acme-token"))
        ),
    )
    .unwrap();
    std::fs::write(dir.join("processes/echo.yaml"), ECHO).unwrap();
    std::fs::write(dir.join("processes/whoami.yaml"), WHOAMI).unwrap();
    std::fs::write(dir.join("processes/hello.yaml"), HELLO).unwrap();
    std::fs::write(dir.join("processes/big.yaml"), BIG).unwrap();
}

/// An HTTP/2 connection with prior knowledge to the plain listener.
async fn http2<B>(server: &Server) -> hyper::client::conn::http2::SendRequest<B>
where
    B: http_body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = tokio::net::TcpStream::connect(address(server))
        .await
        .unwrap();
    let (sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    sender
}

fn address(server: &Server) -> String {
    server
        .base
        .strip_prefix("http://")
        .expect("a plain listener")
        .to_owned()
}

fn connect(server: &Server) -> TcpStream {
    let stream = TcpStream::connect(address(server)).unwrap();
    stream.set_read_timeout(Some(SOCKET_LIMIT)).unwrap();
    stream.set_write_timeout(Some(SOCKET_LIMIT)).unwrap();
    stream
}

/// Sends `request` and reads until the server closes or `SOCKET_LIMIT`.
fn exchange(server: &Server, request: &[u8]) -> String {
    let mut stream = connect(server);
    stream.write_all(request).unwrap();
    read_all(&mut stream)
}

fn read_all(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + SOCKET_LIMIT;
    while Instant::now() < deadline {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                // One answer is enough when the server keeps the connection.
                if answer.windows(4).any(|w| w == b"\r\n\r\n") && has_whole_body(&answer) {
                    break;
                }
            }
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

fn has_whole_body(answer: &[u8]) -> bool {
    let text = String::from_utf8_lossy(answer);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    body.len() >= length
}

fn status_of(answer: &str) -> u16 {
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("an HTTP answer: {answer:?}"))
}

struct Fixture {
    _dir: tempfile::TempDir,
    server: Server,
    log: std::path::PathBuf,
}

fn start() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    root(dir.path(), &support::hash_password("correct horse battery"));
    let log = dir.path().join("server.log");
    let server = Server::start_logging(dir.path(), "debug", std::fs::File::create(&log).unwrap());
    Fixture {
        _dir: dir,
        server,
        log,
    }
}

#[test]
fn a_client_that_never_finishes_its_headers_is_closed() {
    let fixture = start();
    let mut stream = connect(&fixture.server);
    let started = Instant::now();
    stream
        .write_all(b"POST /ws/simple/createEcho HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    let mut buf = [0u8; 1024];
    // The server closes (perhaps after a 408); a read that times out means it did not.
    let closed = loop {
        match stream.read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => continue,
            Err(err)
                if err.kind() == std::io::ErrorKind::WouldBlock
                    || err.kind() == std::io::ErrorKind::TimedOut =>
            {
                break false;
            }
            Err(_) => break true,
        }
    };
    assert!(closed, "still open after {:?}", started.elapsed());
    eprintln!(
        "closed after {:?} (header_read_timeout 1s)",
        started.elapsed()
    );
}

#[test]
fn a_client_that_stops_reading_its_answers_is_closed() {
    const REQUESTS: usize = 100;
    let fixture = start();
    let mut stream = connect(&fixture.server);
    let requests = "GET /ws/simple/getBig HTTP/1.1\r\nHost: x\r\n\r\n".repeat(REQUESTS);
    // Written from a thread: once the answers fill the buffers, the server
    // stops reading and this write waits until it closes.
    let mut writer = stream.try_clone().unwrap();
    let writing = std::thread::spawn(move || {
        let _ = writer.write_all(requests.as_bytes());
    });
    // Not read for several timeouts (1s): the server gives up on the client.
    std::thread::sleep(Duration::from_secs(5));
    let started = Instant::now();
    let mut received = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    let closed = loop {
        match stream.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => received += n,
            Err(err)
                if err.kind() == std::io::ErrorKind::WouldBlock
                    || err.kind() == std::io::ErrorKind::TimedOut =>
            {
                break false;
            }
            Err(_) => break true,
        }
    };
    writing.join().unwrap();
    assert!(closed, "still open after {:?}", started.elapsed());
    // What the buffers held, not every answer: the rest was never made.
    assert!(
        received < REQUESTS * 100_000,
        "{received} bytes: every answer came, so the server waited for the client"
    );
}

#[test]
fn a_client_that_sends_nothing_is_closed() {
    let fixture = start();
    let mut stream = connect(&fixture.server);
    let started = Instant::now();
    let mut buf = [0u8; 16];
    // Not a byte sent: the server closes; a read that times out means it did not.
    let closed = match stream.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(err) => !matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    };
    assert!(closed, "still open after {:?}", started.elapsed());
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "closed at the 1s header_read_timeout, not before: {:?}",
        started.elapsed()
    );
}

#[test]
fn the_admin_api_answers_only_to_addresses_localhost_and_its_hosts() {
    let fixture = start();
    let admin = fixture
        .server
        .admin
        .strip_prefix("http://")
        .expect("an admin listener")
        .to_owned();
    let answer_to = |head: &str| {
        let mut stream = TcpStream::connect(&admin).unwrap();
        stream.set_read_timeout(Some(SOCKET_LIMIT)).unwrap();
        let request = format!("GET /metrics {head}Connection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    };
    let status_for = |host: &str| {
        let answer = answer_to(&format!("HTTP/1.1\r\nHost: {host}\r\n"));
        answer.split(' ').nth(1).unwrap_or_default().to_owned()
    };
    for host in [
        admin.as_str(),
        "localhost:9091",
        "[::1]:9091",
        "FLOWGATE-ADMIN.internal",
    ] {
        assert_eq!(status_for(host), "200", "{host}");
    }
    // A page that points its own name at this machine reads nothing.
    for host in [
        "evil.example.com",
        "evil.example.com:9091",
        "localhost.evil.example",
    ] {
        assert_eq!(status_for(host), "403", "{host}");
    }
    // Two Hosts, whichever comes first, or none on HTTP/1.1: which host
    // was meant is not clear, so nothing is answered.
    for head in [
        "HTTP/1.1\r\nHost: localhost\r\nHost: evil.example.com\r\n",
        "HTTP/1.1\r\nHost: evil.example.com\r\nHost: localhost\r\n",
        "HTTP/1.1\r\n",
    ] {
        let answer = answer_to(head);
        assert!(answer.starts_with("HTTP/1.1 400 "), "{head:?}: {answer}");
        assert!(answer.contains("Host header"), "{answer}");
    }
    // HTTP/1.0 has no Host to send, and no browser sends that.
    let answer = answer_to("HTTP/1.0\r\n");
    assert_eq!(answer.split(' ').nth(1), Some("200"), "{answer}");
}

#[test]
fn duplicate_host_is_400() {
    let fixture = start();
    let answer = exchange(
        &fixture.server,
        b"GET /ws/simple/getMe HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status_of(&answer), 400, "{answer}");
    assert!(answer.contains("more than one Host"), "{answer}");
}

#[test]
fn content_length_with_transfer_encoding_is_400_and_closes() {
    let fixture = start();
    // A smuggling attempt: the "body" holds a second request.
    let smuggled = "GET /ws/simple/getMe HTTP/1.1\r\nHost: x\r\n\r\n";
    for framing in [
        "Content-Length: 4\r\nTransfer-Encoding: chunked",
        "Transfer-Encoding: chunked\r\nContent-Length: 4",
        "transfer-encoding: chunked\r\ncontent-length: 40",
    ] {
        let request = format!(
            "POST /ws/simple/createEcho HTTP/1.1\r\nHost: x\r\n{framing}\r\n\r\n0\r\n\r\n{smuggled}"
        );
        let answer = exchange(&fixture.server, request.as_bytes());
        assert_eq!(status_of(&answer), 400, "{framing}: {answer}");
        assert!(
            answer.contains("Content-Length and Transfer-Encoding"),
            "{answer}"
        );
        // One answer only: the smuggled request never ran.
        assert_eq!(answer.matches("HTTP/1.1 ").count(), 1, "{answer}");
    }
    // A keep-alive connection with plain requests before is not disturbed.
    let mut stream = connect(&fixture.server);
    stream
        .write_all(b"POST /ws/simple/createEcho HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")
        .unwrap();
    let answer = read_all(&mut stream);
    assert_eq!(status_of(&answer), 200, "{answer}");
}

#[test]
fn a_transfer_coding_other_than_chunked_is_501_and_closes() {
    let fixture = start();
    // hyper takes off the chunks only: the process would get gzip bytes.
    let smuggled = "GET /ws/simple/getMe HTTP/1.1\r\nHost: x\r\n\r\n";
    for coding in ["gzip, chunked", "x-unknown, chunked"] {
        let request = format!(
            "POST /ws/simple/createEcho HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: {coding}\r\n\r\n2\r\nok\r\n0\r\n\r\n{smuggled}"
        );
        let answer = exchange(&fixture.server, request.as_bytes());
        assert_eq!(status_of(&answer), 501, "{coding}: {answer}");
        assert!(
            answer.contains("urn:flowgate:problem:not-implemented"),
            "{answer}"
        );
        let first = coding.split(',').next().unwrap();
        assert!(
            answer.contains(&format!("the transfer coding `{first}` is not implemented")),
            "{answer}"
        );
        assert_eq!(answer.matches("HTTP/1.1 ").count(), 1, "{answer}");
    }
}

#[test]
fn oversized_headers_are_431() {
    let fixture = start();
    let big = "a".repeat(20 * 1024);
    let request = format!(
        "GET /ws/simple/getMe HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\nConnection: close\r\n\r\n"
    );
    let answer = exchange(&fixture.server, request.as_bytes());
    assert_eq!(status_of(&answer), 431, "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("max_header_bytes"), "{answer}");
}

#[tokio::test]
async fn http2_heads_are_held_to_the_same_limits_with_a_problem_that_says_why() {
    use http_body_util::BodyExt as _;
    let fixture = start();
    let mut sender = http2(&fixture.server).await;
    let mut get = async |headers: Vec<(String, String)>| {
        let mut request = http::Request::get(fixture.server.url("/ws/simple/getMe"));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let request = request
            .body(http_body_util::Empty::<bytes::Bytes>::new())
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        let status = response.status();
        let content_type = response.headers().get("content-type").cloned();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (
            status.as_u16(),
            content_type,
            String::from_utf8_lossy(&body).into_owned(),
        )
    };
    let (status, content_type, body) = get(vec![("x-big".into(), "a".repeat(10 * 1024))]).await;
    assert_eq!(status, 431, "{body}");
    assert_eq!(content_type.unwrap(), "application/problem+json");
    assert!(
        body.contains("are over 8192 bytes (`max_header_bytes`)"),
        "{body}"
    );
    let many = (0..=100)
        .map(|i| (format!("x-{i}"), "v".to_owned()))
        .collect();
    let (status, _, body) = get(many).await;
    assert_eq!(status, 431, "{body}");
    assert!(body.contains("more than 100 header fields"), "{body}");
    // Within both limits, the request is served.
    let (status, _, body) = get(vec![("x-small".into(), "a".repeat(1024))]).await;
    assert_ne!(status, 431, "{body}");
    // `Host` beside `:authority` names the same host, once.
    let authority = address(&fixture.server);
    let (status, _, body) = get(vec![("host".into(), authority.clone())]).await;
    // Past the head's checks: this route then asks for credentials.
    assert_eq!(status, 401, "{body}");
    let (status, _, body) = get(vec![
        ("host".into(), authority.clone()),
        ("host".into(), authority.clone()),
    ])
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("more than one Host header"), "{body}");
    let (status, _, body) = get(vec![("host".into(), "evil.example".into())]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("another host than"), "{body}");
}

#[tokio::test]
async fn a_head_the_http_layer_cannot_parse_gets_a_problem_that_says_why() {
    let fixture = start();
    for (request, status, says) in [
        (
            &b"GET /ws/simple/getMe HTTP/1.1\r\nHo st: x\r\n\r\n"[..],
            400,
            "header name",
        ),
        (
            b"POST /ws/simple/createEcho HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nok",
            400,
            "two different `Content-Length` values",
        ),
        (b"GET /a<b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "not a valid URI"),
        (b"GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n", 400, "control character"),
    ] {
        let answer = exchange(&fixture.server, request);
        assert_eq!(status_of(&answer), status, "{answer}");
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.contains("content-type: application/problem+json"), "{head}");
        assert!(head.contains("connection: close"), "{head}");
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["status"], status);
        assert!(
            problem["detail"].as_str().unwrap().contains(says),
            "{problem}"
        );
    }
    // A good request before the bad one on the same connection keeps its answer.
    let mut stream = connect(&fixture.server);
    stream
        .write_all(b"POST /ws/simple/createEcho HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")
        .unwrap();
    let first = read_all(&mut stream);
    assert_eq!(status_of(&first), 200, "{first}");
    stream
        .write_all(b"GET / HTTP/1.1\r\nHo st: x\r\n\r\n")
        .unwrap();
    let second = read_all(&mut stream);
    assert_eq!(status_of(&second), 400, "{second}");
    assert!(second.contains("header name"), "{second}");
    // Never dispatched, yet counted like any request answered.
    let metrics = fixture.server.metrics().await;
    assert!(
        metrics.contains("flowgate_http_requests_total{process=\"\",status=\"400\"} 5\n"),
        "{metrics}"
    );
}

#[test]
fn an_oversized_chunked_body_is_413_without_reading_it_all() {
    let fixture = start();
    let mut stream = connect(&fixture.server);
    stream
        .write_all(b"POST /ws/simple/createEcho HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
        .unwrap();
    // Chunks of 512 bytes, far past the 1 KiB limit; the server may stop reading early.
    let chunk = format!("200\r\n{}\r\n", "x".repeat(512));
    for _ in 0..64 {
        if stream.write_all(chunk.as_bytes()).is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let answer = read_all(&mut stream);
    assert_eq!(status_of(&answer), 413, "{answer}");
    assert!(
        answer.contains("urn:flowgate:problem:body-too-large"),
        "{answer}"
    );
}

#[tokio::test]
async fn basic_and_token_end_to_end_and_nothing_secret_is_logged() {
    let fixture = start();
    let url = fixture.server.url("/ws/simple/getMe");
    let http = client();
    for _ in 0..2 {
        let response = http
            .get(&url)
            .basic_auth("acme", Some("correct horse battery"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.text().await.unwrap(), r#"{"user": "acme"}"#);
    }
    let response = http
        .get(&url)
        .basic_auth("acme", Some("wrong horse"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Basic realm=\"flowgate\""
    );
    let response = http
        .get(&url)
        .bearer_auth("acme-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = http.get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // The admin view of the config never shows a hash or a token.
    let config = http
        .get(fixture.server.admin_url("/config"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let settings = std::fs::read_to_string(fixture._dir.path().join("flowgate.toml")).unwrap();
    let hash = settings
        .lines()
        .find_map(|l| l.strip_prefix("password_hash = "))
        .unwrap()
        .trim_matches('"')
        .to_owned();
    let token_hash = hex::encode(Sha256::digest(b"acme-token"));
    // The log is written by a background thread: wait for the last line
    // this test caused, for a bounded time.
    let deadline = Instant::now() + SOCKET_LIMIT;
    let mut log = std::fs::read_to_string(&fixture.log).unwrap();
    while !log.contains("Access denied") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        log = std::fs::read_to_string(&fixture.log).unwrap();
    }
    assert!(log.contains("Access denied"), "the log is written: {log}");
    for secret in [
        "correct horse battery",
        "wrong horse",
        "acme-token",
        hash.as_str(),
        token_hash.as_str(),
    ] {
        assert!(!log.contains(secret), "`{secret}` is in the log");
        assert!(!config.contains(secret), "`{secret}` is in /config");
    }
}

#[test]
fn hash_password_reads_stdin_and_refuses_an_empty_password() {
    let hash = support::hash_password("s3cret");
    assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
    assert_ne!(
        hash,
        support::hash_password("s3cret"),
        "every hash has its own salt"
    );
    let output = run(&["hash-password"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("empty"));
}

/// Every answer in `stream`, read until the server closes: (status, head, body).
fn answers(stream: &[u8]) -> Vec<(u16, String, String)> {
    let text = String::from_utf8_lossy(stream).into_owned();
    let mut rest = text.as_str();
    let mut out = Vec::new();
    while let Some((head, after)) = rest.split_once("\r\n\r\n") {
        let length = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        let (body, after) = after.split_at(length.min(after.len()));
        out.push((status_of(head), head.to_owned(), body.to_owned()));
        rest = after;
    }
    out
}

/// Sends `request` and reads every answer until the server closes.
fn exchange_all(server: &Server, request: &[u8]) -> Vec<(u16, String, String)> {
    let mut stream = connect(server);
    stream.write_all(request).unwrap();
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    answers(&bytes)
}

#[test]
fn a_head_with_bare_lf_line_ends_does_not_hide_the_next_from_the_framing_check() {
    let fixture = start();
    // httparse, and so hyper, ends a head at LF LF: the conflict after it
    // is found and refused, and the echo never runs.
    let answers = exchange_all(
        &fixture.server,
        b"GET /ws/simple/getHello HTTP/1.1\nHost: x\n\nPOST /ws/simple/createEcho HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    );
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert_eq!(answers[0].0, 200, "{answers:?}");
    assert_eq!(answers[1].0, 400, "{answers:?}");
    assert!(
        answers[1]
            .2
            .contains("Content-Length and Transfer-Encoding"),
        "{answers:?}"
    );
    assert!(answers[1].1.contains("connection: close"), "{answers:?}");
    // flowgate never switches protocols: hyper reads on after an
    // `Upgrade`, and so does the framing check.
    let answers = exchange_all(
        &fixture.server,
        b"GET /ws/simple/getHello HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\nPOST /ws/simple/createEcho HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    );
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert_eq!(answers[1].0, 400, "{answers:?}");
    // A refused head with bare LFs gets the problem document too.
    let answer = exchange(&fixture.server, b"GET /a<b HTTP/1.1\nHost: x\n\n");
    assert_eq!(status_of(&answer), 400, "{answer}");
    assert!(answer.contains("not a valid URI"), "{answer}");
}

#[test]
fn a_head_over_max_header_bytes_is_431_behind_another_request_too() {
    let fixture = start();
    for size in [8300, 16_000] {
        let request = format!(
            "GET /ws/simple/getHello HTTP/1.1\r\nHost: x\r\n\r\nGET /ws/simple/getHello HTTP/1.1\r\nHost: x\r\nX-A: {}\r\n\r\n",
            "a".repeat(size)
        );
        let answers = exchange_all(&fixture.server, request.as_bytes());
        assert_eq!(answers.len(), 2, "{size}: {answers:?}");
        assert_eq!(answers[0].0, 200, "{size}: {answers:?}");
        let (status, head, body) = &answers[1];
        assert_eq!(*status, 431, "{size}: {answers:?}");
        assert!(head.contains("connection: close"), "{head}");
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["type"], "urn:flowgate:problem:head-too-large");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("max_header_bytes")
        );
    }
}

#[test]
fn a_body_sent_to_a_route_that_takes_none_is_judged_by_its_bytes() {
    let fixture = start();
    let post = |framing: &str, body: &str| {
        format!(
            "POST /ws/simple/getHello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{framing}\r\n\r\n{body}"
        )
    };
    for (request, status) in [
        (post("Transfer-Encoding: chunked", "0\r\n\r\n"), 200),
        (post("Content-Length: 0", ""), 200),
        (
            post("Transfer-Encoding: chunked", "2\r\nhi\r\n0\r\n\r\n"),
            405,
        ),
        (post("Content-Length: 2", "hi"), 405),
    ] {
        let answer = exchange(&fixture.server, request.as_bytes());
        assert_eq!(status_of(&answer), status, "{request:?}: {answer}");
        if status == 405 {
            assert!(
                answer.contains("allow: GET, HEAD, POST, PUT, DELETE, PATCH"),
                "{answer}"
            );
            assert!(
                answer.contains("urn:flowgate:problem:unexpected-body"),
                "{answer}"
            );
        }
    }
}

#[tokio::test]
async fn an_http2_body_sent_to_a_route_that_takes_none_is_405() {
    use http_body_util::BodyExt as _;
    let fixture = start();
    let mut sender = http2(&fixture.server).await;
    // A stream body: DATA frames and no content-length.
    for (body, status) in [(&b"hi"[..], 405), (b"", 200)] {
        let frames = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(
            hyper::body::Frame::data(bytes::Bytes::from_static(body)),
        )]);
        let request = http::Request::post(fixture.server.url("/ws/simple/getHello"))
            .body(http_body_util::StreamBody::new(frames))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{body:?}");
        let _ = response.into_body().collect().await;
    }
}

#[test]
fn broken_chunked_framing_is_a_400_that_says_so_and_closes() {
    let fixture = start();
    let chunked = |body: &str| {
        format!(
            "POST /ws/simple/createEcho HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n{body}"
        )
    };
    let extension = format!("2;{}\r\nok\r\n0\r\n\r\n", "a".repeat(100_000));
    for (body, cause) in [
        ("zz\r\n", "missing size digit"),
        ("ffffffffffffffffff\r\n", "overflow"),
        ("5\r\nok\r\n0\r\n\r\n", "chunk"),
        ("2\r\nok\r\n0\r\nX\rY\r\n\r\n", "trailer"),
        (extension.as_str(), "extensions over limit"),
    ] {
        let answers = exchange_all(&fixture.server, chunked(body).as_bytes());
        assert_eq!(answers.len(), 1, "{body:.20}: {answers:?}");
        let (status, head, problem) = &answers[0];
        assert_eq!(*status, 400, "{body:.20}: {problem}");
        assert!(head.contains("connection: close"), "{head}");
        assert!(!head.contains("x-execution-id"), "{head}");
        let problem: serde_json::Value = serde_json::from_str(problem).unwrap();
        assert_eq!(problem["type"], "urn:flowgate:problem:bad-request");
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.starts_with("the chunked framing of the body is broken ("),
            "{detail}"
        );
        assert!(detail.contains(cause), "{body:.20}: {detail}");
    }
    // Recorded executions: only the request that ran, not the broken ones.
    let answer = exchange(
        &fixture.server,
        chunked("2\r\nok\r\n0\r\n\r\n")
            .replace("HTTP/1.1\r\n", "HTTP/1.1\r\nConnection: close\r\n")
            .as_bytes(),
    );
    assert_eq!(status_of(&answer), 200, "{answer}");
    let admin = fixture
        .server
        .admin
        .strip_prefix("http://")
        .unwrap()
        .to_owned();
    let mut recorded = Vec::new();
    for _ in 0..200 {
        let mut stream = TcpStream::connect(&admin).unwrap();
        stream.set_read_timeout(Some(SOCKET_LIMIT)).unwrap();
        stream
            .write_all(b"GET /executions?process=echo HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut bytes = Vec::new();
        let _ = stream.read_to_end(&mut bytes);
        let answer = String::from_utf8_lossy(&bytes).into_owned();
        let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        let listed: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        recorded = listed["executions"].as_array().cloned().unwrap_or_default();
        if !recorded.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let statuses: Vec<_> = recorded.iter().map(|e| e["status"].clone()).collect();
    assert_eq!(statuses, [serde_json::json!(200)], "{recorded:?}");
}

#[test]
fn refused_heads_say_what_is_wrong_with_them() {
    let fixture = start();
    for (request, says) in [
        (
            &b"GET /ws/simple/getHello HTTP/1.1 extra\r\nHost: x\r\n\r\n"[..],
            "goes on after its version",
        ),
        (
            b"GET /ws/simple/getHello HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
            "obsolete line folding",
        ),
        (
            b"GET /ws/rest/hello/\xe9 HTTP/1.1\r\nHost: x\r\n\r\n",
            "not a valid URI: it holds bytes that are not UTF-8",
        ),
    ] {
        let answer = exchange(&fixture.server, request);
        assert_eq!(status_of(&answer), 400, "{answer}");
        assert!(
            answer.contains("urn:flowgate:problem:bad-request"),
            "{answer}"
        );
        assert!(answer.contains(says), "{answer}");
    }
}
