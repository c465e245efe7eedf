//! Certificates made at test time (rcgen; no key is committed) and a TLS
//! client over tokio-rustls and hyper that tells which certificate it was
//! served.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode, Version};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

#[path = "../../src/test_pki.rs"]
mod pki;
pub use pki::{Ca, Leaf};

/// Every network wait of a TLS client ends by then.
const BOUND: Duration = Duration::from_secs(10);

/// A client trusting `ca`, offering `alpn`, showing `client` when asked.
pub fn client_config(ca: &Ca, client: Option<&Leaf>, alpn: &[&[u8]]) -> Arc<rustls::ClientConfig> {
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
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

enum Sender {
    Http1(hyper::client::conn::http1::SendRequest<Empty<Bytes>>),
    Http2(hyper::client::conn::http2::SendRequest<Empty<Bytes>>),
}

/// One open TLS connection to a flowgate HTTPS listener.
pub struct Connection {
    sender: Sender,
    authority: String,
    /// The subject of the certificate the server presented, `CN=…`.
    pub served: String,
}

impl Connection {
    /// Connects to `base` (`https://127.0.0.1:PORT`), shakes hands for
    /// `localhost` and starts HTTP/2 if ALPN chose it, HTTP/1.1 otherwise.
    pub async fn open(base: &str, config: Arc<rustls::ClientConfig>) -> Result<Connection, String> {
        let authority = base.trim_start_matches("https://").to_owned();
        let attempt = async {
            let tcp = tokio::net::TcpStream::connect(&authority)
                .await
                .map_err(|e| format!("connect: {e}"))?;
            let tls = tokio_rustls::TlsConnector::from(config)
                .connect(ServerName::try_from("localhost").unwrap(), tcp)
                .await
                .map_err(|e| format!("handshake: {e}"))?;
            let (_, state) = tls.get_ref();
            let served = state
                .peer_certificates()
                .and_then(|chain| chain.first())
                .map(|der| subject(der))
                .ok_or("no server certificate")?;
            let http2 = state.alpn_protocol() == Some(b"h2");
            let io = TokioIo::new(tls);
            let sender = if http2 {
                let (sender, connection) =
                    hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                        .await
                        .map_err(|e| format!("http/2: {e}"))?;
                tokio::spawn(connection);
                Sender::Http2(sender)
            } else {
                let (sender, connection) = hyper::client::conn::http1::handshake(io)
                    .await
                    .map_err(|e| format!("http/1.1: {e}"))?;
                tokio::spawn(connection);
                Sender::Http1(sender)
            };
            Ok(Connection {
                sender,
                authority: authority.clone(),
                served,
            })
        };
        tokio::time::timeout(BOUND, attempt)
            .await
            .unwrap_or_else(|_| Err("no connection in time".to_owned()))
    }

    /// GET `path` on this connection: the status, HTTP version and body.
    /// Whether the server closed the connection within `limit`.
    pub async fn closed_within(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let closed = match &self.sender {
                Sender::Http1(sender) => sender.is_closed(),
                Sender::Http2(sender) => sender.is_closed(),
            };
            if closed {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn get(&mut self, path: &str) -> Result<(StatusCode, Version, String), String> {
        self.request(http::Method::GET, path).await
    }

    pub async fn request(
        &mut self,
        method: http::Method,
        path: &str,
    ) -> Result<(StatusCode, Version, String), String> {
        let attempt = async {
            let response = match &mut self.sender {
                Sender::Http1(sender) => {
                    let request = Request::builder()
                        .method(method)
                        .uri(path)
                        .header("host", &self.authority)
                        .body(Empty::new())
                        .unwrap();
                    sender.send_request(request).await
                }
                Sender::Http2(sender) => {
                    let request = Request::builder()
                        .method(method)
                        .uri(format!("https://{}{path}", self.authority))
                        .version(Version::HTTP_2)
                        .body(Empty::new())
                        .unwrap();
                    sender.send_request(request).await
                }
            }
            .map_err(|e| format!("request: {e}"))?;
            let (status, version) = (response.status(), response.version());
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("body: {e}"))?
                .to_bytes();
            Ok((status, version, String::from_utf8_lossy(&body).into_owned()))
        };
        tokio::time::timeout(BOUND, attempt)
            .await
            .unwrap_or_else(|_| Err("no answer in time".to_owned()))
    }
}

/// One GET on a new connection.
pub async fn get_once(
    base: &str,
    config: Arc<rustls::ClientConfig>,
    path: &str,
) -> Result<(StatusCode, String), String> {
    let mut connection = Connection::open(base, config).await?;
    let (status, _, body) = connection.get(path).await?;
    Ok((status, body))
}

fn subject(der: &CertificateDer<'_>) -> String {
    use x509_parser::prelude::{FromDer, X509Certificate};
    X509Certificate::from_der(der)
        .map(|(_, cert)| cert.subject().to_string())
        .unwrap_or_else(|_| "(not X.509)".to_owned())
}
