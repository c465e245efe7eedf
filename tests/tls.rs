//! End to end: the real binary serving HTTPS on 127.0.0.1 from a temp root
//! with certificates made at test time.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use http::{StatusCode, Version};
use serde_json::Value;
use support::tls::{Ca, Connection, Leaf, client_config, get_once};
use support::{Listeners, Server, client, repo_root, run};
use tokio::io::AsyncReadExt;

const H1: &[&[u8]] = &[b"http/1.1"];
const H2: &[&[u8]] = &[b"h2", b"http/1.1"];
const HELLO: &str = "/ws/simple/getHello?name=Ada";
const GREETING: &str = r#"{"greeting":"Hello, Ada"}"#;
/// How long a test waits for a reload to show.
const PATIENCE: Duration = Duration::from_secs(15);

/// A temp root with the demo's hello process, `settings` as flowgate.toml
/// and `server` as certs/server.pem and certs/server.key.
fn https_root(settings: &str, server: &Leaf) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("processes")).unwrap();
    std::fs::create_dir_all(root.join("certs")).unwrap();
    std::fs::copy(
        repo_root().join("processes/hello.yaml"),
        root.join("processes/hello.yaml"),
    )
    .unwrap();
    std::fs::write(root.join("flowgate.toml"), settings).unwrap();
    write_pair(root, server);
    dir
}

/// The key first: a reload that runs between the two writes sees a key that
/// does not match and keeps the live certificate.
fn write_pair(root: &Path, server: &Leaf) {
    std::fs::write(root.join("certs/server.key"), &server.key).unwrap();
    std::fs::write(root.join("certs/server.pem"), &server.cert).unwrap();
}

const SETTINGS: &str = "[reload]\ndebounce = \"20ms\"\n\n[limits]\nheader_read_timeout = \"1s\"\n\n[server.https]\nlisten = \"127.0.0.1:0\"\ncert = \"certs/server.pem\"\nkey = \"certs/server.key\"\n";

async fn generation(server: &Server) -> u64 {
    let status: Value = client()
        .get(server.url("/_admin/status"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    status["generation"].as_u64().unwrap()
}

async fn wait_for_generation(server: &Server, wanted: u64) {
    let deadline = Instant::now() + PATIENCE;
    while generation(server).await < wanted {
        assert!(Instant::now() < deadline, "generation {wanted} never came");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn https_serves_http1_and_http2() {
    let ca = Ca::new("test CA");
    let dir = https_root(SETTINGS, &ca.server("flowgate test"));
    let server = Server::start_https(dir.path());
    let https = server.https.clone().unwrap();
    assert!(https.starts_with("https://127.0.0.1:"), "{https}");

    let mut h1 = Connection::open(&https, client_config(&ca, None, H1))
        .await
        .unwrap();
    assert_eq!(h1.served, "CN=flowgate test");
    let (status, version, body) = h1.get(HELLO).await.unwrap();
    assert_eq!((status, version), (StatusCode::OK, Version::HTTP_11));
    assert_eq!(body, GREETING);

    let mut h2 = Connection::open(&https, client_config(&ca, None, H2))
        .await
        .unwrap();
    let (status, version, body) = h2.get(HELLO).await.unwrap();
    assert_eq!((status, version), (StatusCode::OK, Version::HTTP_2));
    assert_eq!(body, GREETING);
    // A HEAD has no content, on HTTP/2 too (a DATA frame would be a stream error).
    for connection in [&mut h1, &mut h2] {
        let (status, _, body) = connection.request(http::Method::HEAD, HELLO).await.unwrap();
        assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
    }
    // Several requests on one connection, either way.
    assert_eq!(h1.get(HELLO).await.unwrap().2, GREETING);
    assert_eq!(
        h2.get("/ws/simple/nothing").await.unwrap().0,
        StatusCode::NOT_FOUND
    );

    // The plain listener serves on beside it.
    let body = client()
        .get(server.url(HELLO))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, GREETING);

    // The admin API shows the listener and the file names, never their contents.
    let config = server.config().await;
    assert_eq!(
        config["listeners"]["https"],
        https.trim_start_matches("https://")
    );
    assert_eq!(config["https"]["key"], "certs/server.key");
    assert!(!config.to_string().contains("PRIVATE KEY"));
}

#[tokio::test]
async fn a_new_certificate_serves_new_handshakes_while_open_connections_live_on() {
    let ca = Ca::new("test CA");
    let dir = https_root(SETTINGS, &ca.server("first"));
    let server = Server::start_https(dir.path());
    let https = server.https.clone().unwrap();

    let mut before = Connection::open(&https, client_config(&ca, None, H1))
        .await
        .unwrap();
    assert_eq!(before.served, "CN=first");
    assert_eq!(before.get(HELLO).await.unwrap().0, StatusCode::OK);
    assert_eq!(generation(&server).await, 1);

    write_pair(dir.path(), &ca.server("second"));
    wait_for_generation(&server, 2).await;

    let mut after = Connection::open(&https, client_config(&ca, None, H1))
        .await
        .unwrap();
    assert_eq!(after.served, "CN=second");
    assert_eq!(after.get(HELLO).await.unwrap().2, GREETING);
    // The keep-alive connection opened before goes on as it began.
    let (status, _, body) = before.get(HELLO).await.unwrap();
    assert_eq!((status, body.as_str()), (StatusCode::OK, GREETING));
}

#[tokio::test]
async fn a_bad_key_on_reload_keeps_the_old_certificate_serving() {
    let ca = Ca::new("test CA");
    let dir = https_root(SETTINGS, &ca.server("first"));
    let server = Server::start_https(dir.path());
    let https = server.https.clone().unwrap();

    let other = ca.server("other");
    std::fs::write(dir.path().join("certs/server.key"), &other.key).unwrap();
    let response = client()
        .post(server.admin_url("/reload"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);

    let config = server.config().await;
    assert_eq!(config["generation"], 1);
    assert_eq!(config["last_reload"]["result"], "failure");
    let diagnostics = config["last_reload"]["diagnostics"].to_string();
    assert!(
        diagnostics
            .contains("the private key in `certs/server.key` does not belong to the certificate"),
        "{diagnostics}"
    );
    let secret = other.key.lines().nth(1).unwrap();
    assert!(!config.to_string().contains(secret));

    let mut connection = Connection::open(&https, client_config(&ca, None, H1))
        .await
        .unwrap();
    assert_eq!(connection.served, "CN=first");
    assert_eq!(connection.get(HELLO).await.unwrap().2, GREETING);
}

#[tokio::test]
async fn an_idle_http2_connection_is_closed() {
    let ca = Ca::new("test CA");
    let dir = https_root(SETTINGS, &ca.server("flowgate test"));
    let server = Server::start_https(dir.path());
    let https = server.https.clone().unwrap();
    let mut h2 = Connection::open(&https, client_config(&ca, None, H2))
        .await
        .unwrap();
    assert_eq!(h2.get(HELLO).await.unwrap().0, StatusCode::OK);
    // Open while it talks…
    assert!(!h2.closed_within(Duration::from_millis(300)).await);
    assert_eq!(h2.get(HELLO).await.unwrap().0, StatusCode::OK);
    // …closed once silent for a whole header_read_timeout (1s here), so
    // between one and two after its last byte.
    assert!(
        h2.closed_within(Duration::from_secs(4)).await,
        "an idle HTTP/2 connection stays open"
    );
}

#[tokio::test]
async fn a_client_that_sends_nothing_is_closed_within_header_read_timeout() {
    let ca = Ca::new("test CA");
    let dir = https_root(SETTINGS, &ca.server("flowgate test"));
    let server = Server::start_https(dir.path());
    let addr = server
        .https
        .clone()
        .unwrap()
        .trim_start_matches("https://")
        .to_owned();

    let started = Instant::now();
    let mut silent = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(10), silent.read(&mut buf)).await;
    let elapsed = started.elapsed();
    assert!(matches!(read, Ok(Ok(0) | Err(_))), "closed, not {read:?}");
    assert!(
        (Duration::from_millis(900)..Duration::from_secs(4)).contains(&elapsed),
        "closed after the 1s header_read_timeout: {elapsed:?}"
    );
}

const WHOAMI: &str = "listen: { operation: get, object: Me, output: json }\naccess: { auth: [mtls] }\nsteps:\n  - message: '{\"user\": \"{{ request.user }}\"}'\n  - return: {}\n";

#[tokio::test]
async fn client_certificates_are_asked_for_and_checked_when_client_ca_is_set() {
    let ca = Ca::new("server CA");
    let clients = Ca::new("clients CA");
    let settings = format!(
        "{SETTINGS}client_ca = \"certs/clients.pem\"\n\n[users.acme]\ncert_subject = \"CN=acme-client\"\n"
    );
    let dir = https_root(&settings, &ca.server("flowgate test"));
    std::fs::write(dir.path().join("certs/clients.pem"), &clients.pem).unwrap();
    std::fs::write(dir.path().join("processes/whoami.yaml"), WHOAMI).unwrap();
    let server = Server::start_https(dir.path());
    let https = server.https.clone().unwrap();
    let me = "/ws/simple/getMe";

    // None: the connection is accepted; the public route answers, the mtls
    // route asks for a certificate (401, no basic challenge).
    let result = get_once(&https, client_config(&ca, None, H1), HELLO).await;
    assert_eq!(result, Ok((StatusCode::OK, GREETING.to_owned())));
    let (status, _) = get_once(&https, client_config(&ca, None, H1), me)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A good one of a known subject: both routes, and the user is known.
    let good = clients.client("acme-client", false);
    let result = get_once(&https, client_config(&ca, Some(&good), H2), HELLO).await;
    assert_eq!(result, Ok((StatusCode::OK, GREETING.to_owned())));
    let result = get_once(&https, client_config(&ca, Some(&good), H1), me).await;
    assert_eq!(
        result,
        Ok((StatusCode::OK, r#"{"user": "acme"}"#.to_owned()))
    );
    // A good one nobody maps to a user: verified, but no one we know (403).
    let unmapped = clients.client("someone-else", false);
    let (status, _) = get_once(&https, client_config(&ca, Some(&unmapped), H1), me)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN);
    // One that does not verify is refused at the handshake, even for a public route.
    let stranger = Ca::new("another CA").client("acme-client", false);
    let expired = clients.client("acme-client", true);
    for (what, leaf) in [("another CA", &stranger), ("expired", &expired)] {
        for path in [HELLO, me] {
            let result = get_once(&https, client_config(&ca, Some(leaf), H1), path).await;
            assert!(result.is_err(), "{what} {path}: {result:?}");
        }
    }
    // The plain listener has no certificate to offer.
    let response = client().get(server.url(me)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get("www-authenticate").is_none());
}

#[tokio::test]
async fn https_alone_when_plain_is_off() {
    let ca = Ca::new("test CA");
    let settings = format!("[server]\nlisten = \"\"\n\n{SETTINGS}");
    let dir = https_root(&settings, &ca.server("flowgate test"));
    let output = run(&["check", &dir.path().to_string_lossy()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let server = Server::start_with(
        dir.path(),
        Listeners {
            plain: false,
            https: true,
        },
    );
    assert_eq!(server.base, "");
    let result = get_once(&server.https_url(""), client_config(&ca, None, H2), HELLO).await;
    assert_eq!(result, Ok((StatusCode::OK, GREETING.to_owned())));
}

#[test]
fn https_listen_needs_https_settings() {
    let output = run(&[
        "serve",
        &repo_root().to_string_lossy(),
        "--listen",
        "127.0.0.1:0",
        "--admin-listen",
        "127.0.0.1:0",
        "--https-listen",
        "127.0.0.1:0",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--https-listen needs a `[server.https]`"),
        "{stderr}"
    );
}

#[test]
fn check_reports_a_missing_key_at_its_line() {
    let ca = Ca::new("test CA");
    let dir = https_root(SETTINGS, &ca.server("flowgate test"));
    std::fs::remove_file(dir.path().join("certs/server.key")).unwrap();
    let output = run(&["check", &dir.path().to_string_lossy()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("there is no file `certs/server.key`"),
        "{stderr}"
    );
    assert!(stderr.contains("--> flowgate.toml:10:7"), "{stderr}");
}
