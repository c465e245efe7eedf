//! TLS on a listener: the handshake of each accepted connection.
//!
//! The accept loop ([`super::serve_connections`]) never waits on a
//! handshake. At each accept it takes the TLS config of the live snapshot
//! ([`TlsSettings`]) and hands it to the connection's own task, which shakes
//! hands within `[limits] header_read_timeout` and then serves the protocol
//! ALPN chose. Because the config is taken per accept, reloaded certificates
//! apply to new handshakes while open connections live on with the ones
//! they began with. The config itself is built by `compile` from
//! `[server.https]`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use super::{Gateway, Peer};
use crate::access::cert::ClientCertificate;

/// What a TLS listener needs at each accept.
#[derive(Clone)]
pub struct TlsSettings {
    pub config: Arc<ServerConfig>,
    /// A client that has not finished its handshake by then is dropped.
    pub handshake_timeout: Duration,
}

/// Gives the TLS settings for the next accepted connection; `None` when
/// there are none (then the listener keeps the last ones it had).
pub type TlsSource = Arc<dyn Fn() -> Option<TlsSettings> + Send + Sync>;

/// The TLS settings of the gateway's live snapshot: `[server.https]` and
/// `[limits] header_read_timeout`.
pub fn live_settings(gateway: Arc<Gateway>) -> TlsSource {
    Arc::new(move || {
        let snapshot = gateway.snapshot();
        let https = snapshot.settings.https.as_ref()?;
        Some(TlsSettings {
            config: https.config.clone(),
            handshake_timeout: snapshot.settings.limits.header_read_timeout,
        })
    })
}

/// The HTTP version the client chose in ALPN, if it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Alpn {
    Http1,
    Http2,
}

/// Shakes hands on an accepted stream. `None` when the handshake fails or
/// takes too long; that is the client's business, so it is logged at debug.
pub(super) async fn handshake<IO>(
    stream: IO,
    addr: SocketAddr,
    settings: TlsSettings,
) -> Option<(TlsStream<IO>, Peer, Option<Alpn>)>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let accept = TlsAcceptor::from(settings.config).accept(stream);
    let stream = match tokio::time::timeout(settings.handshake_timeout, accept).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(err)) => {
            tracing::debug!(peer = %addr, error = %err, "TLS handshake failed");
            return None;
        }
        Err(_) => {
            tracing::debug!(peer = %addr, timeout = ?settings.handshake_timeout, "TLS handshake did not finish in time");
            return None;
        }
    };
    let connection = stream.get_ref().1;
    let alpn = match connection.alpn_protocol() {
        Some(b"h2") => Some(Alpn::Http2),
        Some(b"http/1.1") => Some(Alpn::Http1),
        _ => None,
    };
    // Only a certificate that the client CAs verified gets this far.
    let certificate = connection
        .peer_certificates()
        .and_then(|chain| chain.first())
        .and_then(|der| {
            let names = ClientCertificate::from_der(der);
            if names.is_none() {
                tracing::debug!(peer = %addr, "The client certificate verified, but its names cannot be read");
            }
            names
        })
        .map(Arc::new);
    let peer = Peer::tls(addr, certificate);
    Some((stream, peer, alpn))
}

#[cfg(test)]
mod tests;
