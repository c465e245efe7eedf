//! Outbound HTTP: the upstreams of a snapshot and one call of an `http` step.
//!
//! Each `[upstreams.NAME]` becomes an [`Upstream`] when the snapshot is
//! compiled, with its own client, so its connection pool is shared by every
//! request of that snapshot and dropped with it: a reload starts fresh pools
//! with the new addresses, certificates and headers. A call here gets a
//! request that is already rendered (templates are the pipeline's business)
//! and answers with the response or a [`CallError`] that knows whose fault
//! it is: an upstream that failed or cannot be reached (502) or one that was
//! too slow (504). Nothing here knows about documents or processes.
//!
//! An execution's calls go to the network ([`Calls::Network`], what the
//! server does) or, under `flowgate test`, to a table of canned answers
//! ([`stub::Stubs`]) that never opens a socket.

pub mod stub;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_LENGTH};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

/// The default time a call may take, when neither the step nor its upstream says.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a connection to an upstream stays quiet before TCP probes it.
pub const TCP_KEEPALIVE: Duration = Duration::from_secs(15);

/// How long a kept-alive connection to an upstream may sit unused in its pool.
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// The largest response body read from an upstream; more is a failed call,
/// so one upstream cannot fill the gateway's memory.
pub const MAX_RESPONSE_BYTES: usize = 16 << 20;

/// A named upstream of `[upstreams]`, resolved: its address, its client
/// (connection pool and TLS) and the headers sent with every call.
pub struct Upstream {
    pub name: Arc<str>,
    /// `base_url` as written, without a trailing slash; paths are appended.
    pub base_url: String,
    /// The scheme, host and port of `base_url`: a rendered path may not leave them.
    pub origin: url::Origin,
    /// The path of `base_url`, without a trailing slash: a rendered path
    /// stays under it.
    pub base_path: String,
    pub timeout: Duration,
    /// Sent with every call; values are marked sensitive (they often hold secrets).
    pub headers: HeaderMap,
    pub client: Client,
}

impl Upstream {
    /// The URL of `path` on this upstream (see [`url_under`]).
    pub fn url(&self, path: &str) -> Result<url::Url, String> {
        url_under(&self.base_url, &self.origin, &self.base_path, path)
    }
}

/// `base` (an upstream's `base_url`, whose path is `base_path`) with `path` appended. The path always starts a
/// new segment, and the result must keep the base's scheme, host and port
/// and stay under its path (`..` and `%2e%2e` segments are resolved by the
/// URL parser, as the upstream would resolve them, and one hidden behind an
/// encoded slash is refused): data in a path template can never send the
/// call, with the upstream's headers, elsewhere.
pub fn url_under(
    base: &str,
    origin: &url::Origin,
    base_path: &str,
    path: &str,
) -> Result<url::Url, String> {
    let joined = if path.is_empty() || path.starts_with('/') {
        format!("{base}{path}")
    } else {
        format!("{base}/{path}")
    };
    let url = url::Url::parse(&joined)
        .map_err(|e| format!("the path `{}` does not make a URL: {e}", quoted_url(path)))?;
    if url.origin() != *origin {
        return Err(format!(
            "the path `{}` leaves the upstream's host",
            quoted_url(path)
        ));
    }
    let under = url
        .path()
        .strip_prefix(base_path)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    if !under || hides_dot_segment(&url.path()[base_path.len()..]) {
        return Err(format!(
            "the path `{}` leaves the upstream's base path `{}`",
            quoted_url(path),
            if base_path.is_empty() { "/" } else { base_path }
        ));
    }
    Ok(url)
}

/// Whether a segment of `path` holds an encoded `/` or `\` beside a `..`
/// (`..%2Fadmin`): one segment here, but a climb out of the base path for
/// an upstream that decodes the slash before it resolves dot segments. An
/// encoded slash alone (`group%2Fproject`) is an ordinary name.
fn hides_dot_segment(path: &str) -> bool {
    path.split('/').any(|segment| {
        let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        decoded.contains(['/', '\\'])
            && decoded
                .split(['/', '\\'])
                .any(|part| part == ".." || part == "." || part.eq_ignore_ascii_case("%2e%2e"))
    })
}

/// A URL or path as an error quotes it, for the log and execution records:
/// its query and fragment are left out (`?…`), and so is a user name and
/// password before its host (`…@`), since either may carry a key from
/// `[vars]`. It reads text that may not parse as a URL, which is when an
/// error quotes it.
pub fn quoted_url(text: &str) -> String {
    let text = text.trim();
    let (rest, cut) = match text.find(['?', '#']) {
        Some(at) => (&text[..at], Some(&text[at..=at])),
        None => (text, None),
    };
    let mut out = String::with_capacity(rest.len() + 8);
    // The authority runs from `://` to the first slash (a backslash is one in
    // http URLs); its user information ends at its last `@`, as URL parsers read it.
    let after_scheme = rest.find("://").map_or(0, |at| at + 3);
    let authority_end = rest[after_scheme..]
        .find(['/', '\\'])
        .map_or(rest.len(), |at| after_scheme + at);
    match rest[after_scheme..authority_end].rfind('@') {
        Some(at) if after_scheme > 0 => {
            out.push_str(&rest[..after_scheme]);
            out.push('…');
            out.push_str(&rest[after_scheme + at..]);
        }
        _ => out.push_str(rest),
    }
    if let Some(mark) = cut {
        out.push_str(mark);
        out.push('…');
    }
    out
}

/// An HTTP/1.1 client with its pool of kept-alive connections: hyper's, over
/// rustls with the given settings for `https` URLs. It connects directly
/// (proxy variables of the environment are not read), follows no redirects
/// (following one could carry the upstream's headers, secrets included, to
/// another host) and sends small requests without delay (`TCP_NODELAY`).
/// Clones share the pool.
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<
        hyper_util::client::legacy::Client<
            hyper_rustls::HttpsConnector<HttpConnector>,
            Full<Bytes>,
        >,
    >,
}

impl Client {
    pub fn new(tls: rustls::ClientConfig) -> Client {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        // Probes on idle pooled connections, so a peer that vanished is noticed.
        http.set_keepalive(Some(TCP_KEEPALIVE));
        // `https` URLs are the TLS layer's, which hands `http` ones through.
        http.enforce_http(false);
        let connector = hyper_rustls::HttpsConnector::from((http, Arc::new(tls)));
        Client {
            inner: Arc::new(
                hyper_util::client::legacy::Client::builder(TokioExecutor::new())
                    // Idle connections are closed after this long unused.
                    .pool_timer(TokioTimer::new())
                    .pool_idle_timeout(POOL_IDLE_TIMEOUT)
                    .build(connector),
            ),
        }
    }
}

/// Shows the header names, never their values.
impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<&str> = self.headers.keys().map(|name| name.as_str()).collect();
        f.debug_struct("Upstream")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("headers", &headers)
            .finish_non_exhaustive()
    }
}

/// A rendered request, ready to be sent (again, when it is retried).
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub method: Method,
    pub url: url::Url,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
}

/// What an upstream answered.
#[derive(Debug)]
pub struct Incoming {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// How a call is made: from the `http` step's options.
#[derive(Debug, Clone, Copy)]
pub struct CallPolicy {
    /// For each attempt, from sending to the last byte of the body.
    pub timeout: Duration,
    /// More attempts after the first, for failures that are safe to repeat.
    pub retries: u32,
    /// A 4xx or 5xx answer fails the call.
    pub fail_on_status: bool,
}

/// Why a call failed. The `Display` text is what a client may read: it
/// names no address and quotes nothing the upstream sent.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    #[error("answered {status}")]
    Status { status: StatusCode },
    #[error("did not answer within {}", crate::units::HumanDuration(*after))]
    Timeout { after: Duration },
    /// No connection was made, so nothing was sent: safe to repeat for any method.
    #[error("cannot be reached")]
    Unreachable { detail: String },
    /// The connection failed after the request may have been sent.
    #[error("broke off the exchange")]
    Broken { detail: String },
    #[error("sent a response body larger than {}", crate::units::ByteSize(*limit as u64))]
    TooLarge { limit: usize },
    /// Under `flowgate test`: no stub of the test answers this call.
    #[error("has no stub for {call}")]
    Unstubbed { call: String },
}

/// Where the `http` steps of an execution send their calls.
#[derive(Clone, Debug, Default)]
pub enum Calls {
    /// To the upstreams, over the network: what the server does.
    #[default]
    Network,
    /// To a test's stubs; nothing reaches the network.
    Stubbed(Arc<stub::Stubs>),
}

impl CallError {
    /// The status a client sees: 504 for a timeout, else 502.
    pub fn status(&self) -> StatusCode {
        match self {
            CallError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            _ => StatusCode::BAD_GATEWAY,
        }
    }

    /// What went wrong at the network level, for the log.
    pub fn detail(&self) -> Option<&str> {
        match self {
            CallError::Unreachable { detail } | CallError::Broken { detail } => Some(detail),
            _ => None,
        }
    }

    /// Whether another attempt may be made: never for an answer or a
    /// timeout; after a failed connect always (nothing was sent); after a
    /// broken exchange only for methods that may be repeated.
    fn retryable(&self, method: &Method) -> bool {
        match self {
            CallError::Unreachable { .. } => true,
            CallError::Broken { .. } => is_idempotent(method),
            _ => false,
        }
    }
}

/// Methods that may be sent twice with the effect of once (RFC 9110 §9.2.2).
pub fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// How long to wait before attempt `n` (1-based) after a failure: 100 ms,
/// doubling, at most 2 s.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(100u64.saturating_mul(1 << attempt.saturating_sub(1).min(5)))
        .min(Duration::from_secs(2))
}

/// Sends `outgoing` with `client`, repeating what may be repeated.
pub async fn call(
    client: &Client,
    outgoing: &Outgoing,
    policy: CallPolicy,
) -> Result<Incoming, CallError> {
    call_with(outgoing, policy, || attempt_once(client, outgoing)).await
}

/// The policy of [`call`] (timeout per attempt, retries, failing statuses)
/// around `attempt`, which makes one attempt: over the network, or from a
/// test's stubs.
pub(crate) async fn call_with<F, A>(
    outgoing: &Outgoing,
    policy: CallPolicy,
    mut attempt_once: F,
) -> Result<Incoming, CallError>
where
    F: FnMut() -> A,
    A: std::future::Future<Output = Result<Incoming, CallError>>,
{
    let mut attempt = 0;
    loop {
        match tokio::time::timeout(policy.timeout, attempt_once()).await {
            Ok(Ok(incoming)) if policy.fail_on_status && is_failure(incoming.status) => {
                return Err(CallError::Status {
                    status: incoming.status,
                });
            }
            Ok(Ok(incoming)) => return Ok(incoming),
            Ok(Err(err)) if attempt < policy.retries && err.retryable(&outgoing.method) => {
                attempt += 1;
                // The origin and path only: query values may carry secrets.
                tracing::debug!(
                    origin = %outgoing.url.origin().ascii_serialization(),
                    path = outgoing.url.path(),
                    attempt,
                    error = err.detail(),
                    "Retrying an upstream call"
                );
                tokio::time::sleep(backoff(attempt)).await;
            }
            Ok(Err(err)) => return Err(err),
            Err(_) => {
                return Err(CallError::Timeout {
                    after: policy.timeout,
                });
            }
        }
    }
}

fn is_failure(status: StatusCode) -> bool {
    status.is_client_error() || status.is_server_error()
}

async fn attempt_once(client: &Client, outgoing: &Outgoing) -> Result<Incoming, CallError> {
    let uri = http::Uri::try_from(outgoing.url.as_str()).map_err(|err| CallError::Unreachable {
        detail: format!("the URL is not one HTTP can send: {err}"),
    })?;
    let mut request = http::Request::new(Full::new(outgoing.body.clone().unwrap_or_default()));
    *request.method_mut() = outgoing.method.clone();
    *request.uri_mut() = uri;
    *request.headers_mut() = outgoing.headers.clone();
    let headers = request.headers_mut();
    headers
        .entry(ACCEPT)
        .or_insert(HeaderValue::from_static("*/*"));
    // hyper sends an empty body as no body at all; a request that has one,
    // empty, says so (a POST without a length may be refused with 411).
    if outgoing.body.as_ref().is_some_and(Bytes::is_empty) {
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    }
    let response = client.inner.request(request).await.map_err(|err| {
        let detail = error_chain(&err);
        if err.is_connect() {
            CallError::Unreachable { detail }
        } else {
            CallError::Broken { detail }
        }
    })?;
    let (parts, body) = response.into_parts();
    // A `Content-Length` over the limit is refused before anything is read.
    if http_body::Body::size_hint(&body).lower() > MAX_RESPONSE_BYTES as u64 {
        return Err(CallError::TooLarge {
            limit: MAX_RESPONSE_BYTES,
        });
    }
    // Collected without a copy when it comes in one piece.
    let body = match Limited::new(body, MAX_RESPONSE_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.is::<LengthLimitError>() => {
            return Err(CallError::TooLarge {
                limit: MAX_RESPONSE_BYTES,
            });
        }
        Err(err) => {
            return Err(CallError::Broken {
                detail: error_chain(&*err),
            });
        }
    };
    Ok(Incoming {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

/// An error with its causes, in words, for the log.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut detail = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    detail
}

#[cfg(test)]
mod tests;
