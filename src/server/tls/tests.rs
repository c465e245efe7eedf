//! The TLS accept path on 127.0.0.1: handshakes, client certificates as
//! dispatch sees them, and clients that never finish.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Empty};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls_pki_types::pem::PemObject;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

use super::TlsSettings;
use crate::compile::compile_files;
use crate::server::dispatch::Body;
use crate::server::{Connecting, Peer, Transport, serve_connections};
use crate::test_pki::{Ca, Leaf};

/// Every wait in these tests ends by then.
const BOUND: Duration = Duration::from_secs(10);

/// The `[server.https]` config that compile builds for a server certificate
/// and, optionally, client CAs.
fn server_config(server: &Leaf, client_ca: Option<&str>) -> Arc<rustls::ServerConfig> {
    let mut settings = "[server]\nlisten = \"\"\n[server.https]\nlisten = \"127.0.0.1:0\"\ncert = \"certs/server.pem\"\nkey = \"certs/server.key\"\n".to_owned();
    let mut files = vec![
        ("certs/server.pem", server.cert.as_str()),
        ("certs/server.key", server.key.as_str()),
    ];
    if let Some(ca) = client_ca {
        settings.push_str("client_ca = \"certs/clients.pem\"\n");
        files.push(("certs/clients.pem", ca));
    }
    files.push(("flowgate.toml", &settings));
    let compilation = compile_files(&files);
    let snapshot = compilation
        .snapshot
        .unwrap_or_else(|| panic!("compiles:\n{}", compilation.diagnostics.render()));
    snapshot.settings.https.as_ref().unwrap().config.clone()
}

/// Answers every request with what the connection knows of its peer.
async fn describe_peer(_request: Request<hyper::body::Incoming>, peer: Peer) -> Response<Body> {
    let subject = peer
        .certificate
        .as_ref()
        .map(|c| c.subject.clone())
        .unwrap_or_else(|| "none".to_owned());
    Response::new(Body::new(Bytes::from(format!(
        "tls={} certificate={subject}",
        peer.tls
    ))))
}

/// A TLS listener on 127.0.0.1 that stops when the sender is dropped or sent.
async fn start(
    config: Arc<rustls::ServerConfig>,
    timeout: Duration,
) -> (SocketAddr, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let settings = TlsSettings {
        config,
        handshake_timeout: timeout,
    };
    let transport = Transport::Tls(Arc::new(move || Some(settings.clone())));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve_connections(
        listener,
        transport,
        async move {
            let _ = stopped.await;
        },
        || Connecting {
            builder: hyper_util::server::conn::auto::Builder::new(
                hyper_util::rt::TokioExecutor::new(),
            ),
            idle_timeout: BOUND,
            max_head: 16 * 1024,
            refused: None,
        },
        describe_peer,
    ));
    (addr, stop)
}

fn client_config(ca: &Ca, client: Option<&Leaf>) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.pem.as_bytes()).unwrap())
        .unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    let mut config = match client {
        Some(client) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_slice(client.cert.as_bytes()).unwrap()],
                PrivateKeyDer::from_pem_slice(client.key.as_bytes()).unwrap(),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// One GET over a new TLS connection: the body, or where it failed.
async fn get(addr: SocketAddr, config: Arc<rustls::ClientConfig>) -> Result<String, String> {
    let attempt = async {
        let tcp = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let name = ServerName::try_from("localhost").unwrap();
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                .await
                .map_err(|e| format!("http: {e}"))?;
        tokio::spawn(connection);
        let request = Request::get("/")
            .header("host", "localhost")
            .body(Empty::<Bytes>::new())
            .unwrap();
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("request: {e}"))?;
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?
            .to_bytes();
        Ok(String::from_utf8_lossy(&body).into_owned())
    };
    tokio::time::timeout(BOUND, attempt)
        .await
        .unwrap_or_else(|_| Err("no answer in time".to_owned()))
}

#[tokio::test]
async fn a_verified_client_certificate_reaches_dispatch() {
    let ca = Ca::new("clients CA");
    let server = ca.server("flowgate test");
    let (addr, _stop) = start(server_config(&server, Some(&ca.pem)), BOUND).await;

    let client = ca.client("acme-client", false);
    let body = get(addr, client_config(&ca, Some(&client))).await;
    assert_eq!(body.as_deref(), Ok("tls=true certificate=CN=acme-client"));

    // The listener asks for a certificate but does not require one.
    let body = get(addr, client_config(&ca, None)).await;
    assert_eq!(body.as_deref(), Ok("tls=true certificate=none"));
}

#[tokio::test]
async fn a_client_certificate_that_does_not_verify_fails_the_handshake() {
    let ca = Ca::new("clients CA");
    let server = ca.server("flowgate test");
    let (addr, _stop) = start(server_config(&server, Some(&ca.pem)), BOUND).await;

    let stranger = Ca::new("another CA").client("acme-client", false);
    let expired = ca.client("acme-client", true);
    for (what, client) in [("another CA", &stranger), ("expired", &expired)] {
        // With TLS 1.3 the client may finish its half before the server's
        // refusal arrives; then the request fails.
        let result = get(addr, client_config(&ca, Some(client))).await;
        assert!(result.is_err(), "{what}: {result:?}");
    }
    // The listener serves on.
    let good = ca.client("acme-client", false);
    assert!(get(addr, client_config(&ca, Some(&good))).await.is_ok());
}

#[tokio::test]
async fn without_client_ca_no_certificate_is_asked_for() {
    let ca = Ca::new("test CA");
    let server = ca.server("flowgate test");
    let (addr, _stop) = start(server_config(&server, None), BOUND).await;
    // A client ready to show a certificate is not asked for it.
    let client = ca.client("acme-client", false);
    let body = get(addr, client_config(&ca, Some(&client))).await;
    assert_eq!(body.as_deref(), Ok("tls=true certificate=none"));
}

#[tokio::test]
async fn a_client_that_never_shakes_hands_is_dropped() {
    let ca = Ca::new("test CA");
    let server = ca.server("flowgate test");
    let timeout = Duration::from_millis(300);
    let (addr, _stop) = start(server_config(&server, None), timeout).await;

    let started = Instant::now();
    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(BOUND, silent.read(&mut buf)).await;
    let elapsed = started.elapsed();
    assert!(
        matches!(read, Ok(Ok(0) | Err(_))),
        "the connection is closed: {read:?}"
    );
    assert!(elapsed >= timeout, "not before the timeout: {elapsed:?}");
    assert!(elapsed < timeout * 5, "soon after it: {elapsed:?}");

    // A client that starts a handshake and stalls in the middle fares the same.
    let started = Instant::now();
    let mut stalled = tokio::net::TcpStream::connect(addr).await.unwrap();
    stalled
        .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00])
        .await
        .unwrap();
    let read = tokio::time::timeout(BOUND, stalled.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0) | Err(_))), "{read:?}");
    assert!(started.elapsed() < timeout * 5);

    // Meanwhile, others are served.
    assert!(get(addr, client_config(&ca, None)).await.is_ok());
}

#[tokio::test]
async fn each_accept_takes_the_config_of_the_moment() {
    let ca = Ca::new("test CA");
    let first = server_config(&ca.server("first"), None);
    let second = server_config(&ca.server("second"), None);
    let current = Arc::new(arc_swap::ArcSwap::from(first));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let source = current.clone();
    let transport = Transport::Tls(Arc::new(move || {
        Some(TlsSettings {
            config: source.load_full(),
            handshake_timeout: BOUND,
        })
    }));
    let (_stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve_connections(
        listener,
        transport,
        async move {
            let _ = stopped.await;
        },
        || Connecting {
            builder: hyper_util::server::conn::auto::Builder::new(
                hyper_util::rt::TokioExecutor::new(),
            ),
            idle_timeout: BOUND,
            max_head: 16 * 1024,
            refused: None,
        },
        describe_peer,
    ));

    let served_name = |config: Arc<rustls::ClientConfig>| async move {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let tls = tokio::time::timeout(
            BOUND,
            tokio_rustls::TlsConnector::from(config)
                .connect(ServerName::try_from("localhost").unwrap(), tcp),
        )
        .await
        .unwrap()
        .unwrap();
        let der = tls.get_ref().1.peer_certificates().unwrap()[0].clone();
        crate::access::cert::ClientCertificate::from_der(&der)
            .unwrap()
            .subject
    };
    assert_eq!(served_name(client_config(&ca, None)).await, "CN=first");
    current.store(second);
    assert_eq!(served_name(client_config(&ca, None)).await, "CN=second");
}
