//! The shared listener: accepting connections and serving requests from the
//! live snapshot.
//!
//! [`Gateway`] holds the live [`Snapshot`] behind an atomic pointer; every
//! request loads it once (see [`dispatch`]), and a reload only has to swap
//! it. The plain and the HTTPS listener share one accept loop
//! ([`serve_connections`]); a TLS connection shakes hands in its own task
//! ([`tls`]). Connections are HTTP/1.1 or HTTP/2 (prior knowledge on plain
//! HTTP, ALPN over TLS) with the header limits and timeouts of `[limits]`;
//! on shutdown, open requests get a bounded time to finish.

mod contract;
pub mod dispatch;
mod framing;
pub mod guard;
mod input;
pub mod offline;
mod output;
pub mod pages;
pub mod problem;
mod soap;
pub mod tls;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

use crate::access::cert::ClientCertificate;
use crate::executions::Recorder;
use crate::metrics::Metrics;
use crate::snapshot::Snapshot;
use dispatch::Body;
use pages::PageStore;

/// Who is on the other end of a connection.
#[derive(Clone, Debug)]
pub struct Peer {
    /// The socket peer; the client address is derived from it (see
    /// [`crate::access::net::client_ip`]).
    pub addr: SocketAddr,
    /// Whether the connection is TLS.
    pub tls: bool,
    /// The address the client reached (this end of the connection), when
    /// there is a connection.
    pub local: Option<SocketAddr>,
    /// The client certificate, verified at the handshake.
    pub certificate: Option<Arc<ClientCertificate>>,
    /// What was wrong with this request's head that hyper let pass: both
    /// `Content-Length` and `Transfer-Encoding`, or over `max_header_bytes`
    /// (see [`framing`]). Set per request.
    pub framing: Option<framing::Flaw>,
    /// Set only by [`dispatch::handle_in_process`]: a caller inside this
    /// process (`flowgate test`). Connections never have one, so no request
    /// from the network can act as a user without its credentials.
    in_process: Option<Arc<InProcess>>,
}

impl Peer {
    /// A plain-HTTP peer.
    pub fn plain(addr: SocketAddr) -> Peer {
        Peer {
            addr,
            tls: false,
            local: None,
            certificate: None,
            framing: None,
            in_process: None,
        }
    }

    /// `execution` equipped for this peer: a caller inside the process
    /// brings its stubs and trace; a connection changes nothing.
    fn execution(&self, execution: crate::pipeline::Execution) -> crate::pipeline::Execution {
        match &self.in_process {
            Some(caller) => caller.equip(execution),
            None => execution,
        }
    }

    /// A TLS peer, with the client certificate its handshake verified.
    pub fn tls(addr: SocketAddr, certificate: Option<Arc<ClientCertificate>>) -> Peer {
        Peer {
            tls: true,
            certificate,
            ..Peer::plain(addr)
        }
    }
}

/// A request made from inside this process, as `flowgate test` makes them:
/// served by the same dispatch as a network request, with a few things a
/// socket cannot carry.
#[derive(Debug, Default)]
pub struct InProcess {
    /// Admit the request as this user of `[users]` without credentials. The
    /// route must take a kind of credential the user has, and the user's
    /// authorization (address, roles, process list) applies as usual.
    pub user: Option<String>,
    /// Where the `http` steps of the execution call.
    pub calls: crate::outbound::Calls,
    /// Notes the steps of the execution.
    pub trace: Option<Arc<crate::pipeline::trace::Trace>>,
}

impl InProcess {
    /// Gives `execution` the stubs and the trace of this caller.
    fn equip(&self, execution: crate::pipeline::Execution) -> crate::pipeline::Execution {
        let execution = execution.with_calls(self.calls.clone());
        match &self.trace {
            Some(trace) => execution.with_trace(trace.clone()),
            None => execution,
        }
    }
}

/// How long open requests may run on after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The live config and the counters every request shares.
pub struct Gateway {
    snapshot: ArcSwap<Snapshot>,
    metrics: Metrics,
    /// Next pages of paged answers; they outlive reloads.
    pages: PageStore,
    /// The queue to the execution store, once [`Gateway::record_with`] set
    /// it; without it nothing is recorded.
    recorder: std::sync::OnceLock<Recorder>,
}

impl Gateway {
    /// Makes `snapshot` live as generation 1.
    pub fn new(snapshot: Snapshot) -> Arc<Gateway> {
        let metrics = Metrics::default();
        let snapshot = Self::stamp(snapshot, 1, &metrics);
        metrics.set_generation(1);
        metrics.mark_live();
        Arc::new(Gateway {
            snapshot: ArcSwap::from_pointee(snapshot),
            metrics,
            pages: PageStore::default(),
            recorder: std::sync::OnceLock::new(),
        })
    }

    /// The live snapshot; hold it for one request, never across requests.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// The generation of the live snapshot, counting from 1.
    pub fn generation(&self) -> u64 {
        self.snapshot.load().meta.generation
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub fn pages(&self) -> &PageStore {
        &self.pages
    }

    /// Records executions through `recorder` from now on; the first
    /// recorder set stays (the store's path is fixed at start).
    pub fn record_with(&self, recorder: Recorder) {
        let _ = self.recorder.set(recorder);
    }

    /// The queue to the execution store, when executions are recorded.
    pub fn recorder(&self) -> Option<&Recorder> {
        self.recorder.get()
    }

    /// Makes `snapshot` live for every request that starts from now on;
    /// requests already running finish on the one they loaded. Only the
    /// reload controller swaps, so generations never race. Returns the new
    /// generation.
    pub fn swap(&self, snapshot: Snapshot) -> u64 {
        let generation = self.generation() + 1;
        if let Some(recorder) = self.recorder() {
            recorder.use_settings(snapshot.settings.executions.clone());
        }
        self.pages
            .keep_served(|process| snapshot.process_by_name(process).is_some());
        self.snapshot
            .store(Arc::new(Self::stamp(snapshot, generation, &self.metrics)));
        generation
    }

    fn stamp(mut snapshot: Snapshot, generation: u64, metrics: &Metrics) -> Snapshot {
        snapshot.meta.generation = generation;
        snapshot.meta.loaded_at = std::time::SystemTime::now();
        snapshot.process_metrics = snapshot
            .processes
            .iter()
            .map(|process| metrics.for_process(&process.name))
            .collect();
        snapshot
    }
}

/// Binds the listener. Separate from [`serve`] so the caller can print the
/// bound address (the port of `127.0.0.1:0`) before serving.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// How the connections of a listener begin.
#[derive(Clone)]
pub enum Transport {
    /// Plain HTTP.
    Plain,
    /// A TLS handshake first, with the settings the source gives at each accept.
    Tls(tls::TlsSource),
}

/// Serves the gateway on `listener` until `shutdown` completes, then drains
/// open connections. With [`Transport::Tls`] built by
/// [`tls::live_settings`], each handshake uses the live snapshot's
/// certificate.
pub async fn serve(
    gateway: Arc<Gateway>,
    listener: TcpListener,
    transport: Transport,
    shutdown: impl Future<Output = ()>,
) {
    let settings = gateway.clone();
    // A head refused before dispatch is logged and counted as dispatch
    // logs and counts one it refuses.
    let counter = gateway.clone();
    let refused: framing::Refused = Arc::new(move |status, reason, took| {
        tracing::info!(status = status.as_u16(), reason, "Refused request head");
        counter.metrics().unrouted().record(status.as_u16(), took);
    });
    serve_connections(
        listener,
        transport,
        shutdown,
        move || Connecting {
            refused: Some(refused.clone()),
            ..connecting(&settings.snapshot())
        },
        move |request, peer| dispatch::handle(gateway.clone(), request, peer),
    )
    .await;
}

/// Accepts connections until `shutdown`, serving each request with
/// `handler`; `builder` gives each connection its HTTP settings. Then gives
/// open connections [`DRAIN_TIMEOUT`] to finish.
///
/// The loop only accepts: a TLS handshake runs in the connection's task, so
/// a slow client never holds up the next one.
pub async fn serve_connections<H, F>(
    listener: TcpListener,
    transport: Transport,
    shutdown: impl Future<Output = ()>,
    connecting: impl Fn() -> Connecting,
    handler: H,
) where
    H: Fn(Request<Incoming>, Peer) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    // A reload that drops `[server.https]` leaves the listener bound until
    // restart; it goes on with the last certificate it had.
    let mut last_tls: Option<tls::TlsSettings> = None;
    tokio::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait, then go on accepting.
                    tracing::warn!(error = %err, "Accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let tls = match &transport {
            Transport::Plain => None,
            Transport::Tls(source) => {
                if let Some(settings) = source() {
                    last_tls = Some(settings);
                }
                match &last_tls {
                    Some(settings) => Some(settings.clone()),
                    None => {
                        tracing::warn!(peer = %addr, "No TLS certificate to shake hands with; connection closed");
                        continue;
                    }
                }
            }
        };
        let Connecting {
            builder,
            idle_timeout,
            max_head,
            refused,
        } = connecting();
        let connection = Connection {
            builder,
            idle_timeout,
            max_head,
            refused,
            handler: handler.clone(),
            // Taken here, before the task runs, so a shutdown that starts
            // meanwhile still waits for this connection.
            watcher: graceful.watcher(),
        };
        let local = stream.local_addr().ok();
        tokio::spawn(async move {
            let stream = Lingering(Some(stream));
            match tls {
                None => {
                    let peer = Peer {
                        local,
                        ..Peer::plain(addr)
                    };
                    connection.serve(stream, peer, None).await;
                }
                Some(settings) => {
                    if let Some((stream, peer, alpn)) = tls::handshake(stream, addr, settings).await
                    {
                        connection.serve(stream, Peer { local, ..peer }, alpn).await;
                    }
                }
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {},
        () = tokio::time::sleep(DRAIN_TIMEOUT) => tracing::warn!("Open connections did not finish in time"),
    }
}

/// What one accepted connection is served with.
struct Connection<H> {
    builder: auto::Builder<TokioExecutor>,
    handler: H,
    watcher: hyper_util::server::graceful::Watcher,
    /// How long the connection may be silent with no request running.
    idle_timeout: Duration,
    /// hyper's limit on a request head (`max_buf_size`).
    max_head: usize,
    /// Told of each head refused before dispatch.
    refused: Option<framing::Refused>,
}

impl<H, F> Connection<H>
where
    H: Fn(Request<Incoming>, Peer) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    /// Serves HTTP on `io` until the client or a shutdown ends it. When ALPN
    /// settled the version, the other is not offered: the first bytes need
    /// not be sniffed, and HTTP/1.1's header timeout starts at once.
    async fn serve<IO>(self, io: IO, peer: Peer, alpn: Option<tls::Alpn>)
    where
        IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let addr = peer.addr;
        let requests = Arc::new(Requests::default());
        let io = Idle::new(io, self.idle_timeout, requests.clone());
        // Reads along with hyper to flag Content-Length with
        // Transfer-Encoding and heads over the limit, and to say why hyper
        // refuses a head it cannot parse; HTTP/2 stops it at the preface.
        let (io, heads) = framing::Framing::new(io, self.max_head, self.refused.clone());
        let handler = self.handler;
        let service = service_fn(move |request: Request<Incoming>| {
            let peer = Peer {
                framing: heads.next_request(),
                ..peer.clone()
            };
            let head = request.method() == http::Method::HEAD;
            let running = InFlight::enter(&requests);
            // Boxed where it is made: the request's future is several KiB,
            // and hyper and this block would otherwise move it by value.
            let response = Unstoppable(Some(Box::pin(handler(request, peer))));
            async move {
                let response = response.await;
                drop(running);
                Ok::<_, Infallible>(if head {
                    without_body(response)
                } else {
                    response
                })
            }
        });
        let builder = match alpn {
            Some(tls::Alpn::Http1) => self.builder.http1_only(),
            Some(tls::Alpn::Http2) => self.builder.http2_only(),
            None => self.builder,
        };
        let connection = builder.serve_connection(TokioIo::new(io), service);
        if let Err(err) = self.watcher.watch(connection).await {
            tracing::debug!(peer = %addr, error = %err, "Connection ended with an error");
        }
    }
}

/// A new execution id: a UUID v7, so ids sort by when they began.
pub(crate) fn new_execution_id() -> Arc<str> {
    let mut text = uuid::Uuid::encode_buffer();
    Arc::from(&*uuid::Uuid::now_v7().hyphenated().encode_lower(&mut text))
}

/// The answer to a HEAD: the head a GET would get, with no content (RFC
/// 9110 §9.3.2). HTTP/1.1 leaves the body out by itself; HTTP/2 would send it
/// as DATA, which a client must treat as an error.
fn without_body(response: Response<Body>) -> Response<Body> {
    use http_body::Body as _;
    let (mut parts, body) = response.into_parts();
    // A 204 has no Content-Length (RFC 9110 §8.6), and a 304's would be
    // that of the content it stands for, which flowgate never made.
    if let Some(length) = body.size_hint().exact()
        && output::has_content(parts.status)
    {
        parts
            .headers
            .entry(http::header::CONTENT_LENGTH)
            .or_insert_with(|| http::HeaderValue::from(length));
    }
    Response::from_parts(parts, Body::default())
}

/// A request's answer, worked out to its end even when nobody waits for
/// it. hyper drops the future of a request whose connection ends (the
/// client gave up, or went away); dropped unfinished, this one goes on in a
/// task of its own. So a process is never stopped between two steps, with
/// an upstream called and the next call never made, and its log line,
/// metrics and execution record are written as for any other request. The
/// answer it comes to is dropped. It costs nothing otherwise: most answers
/// are ready long before their connection could end.
struct Unstoppable<F: Future + Send + 'static>(Option<std::pin::Pin<Box<F>>>)
where
    F::Output: Send;

impl<F: Future + Send + 'static> Future for Unstoppable<F>
where
    F::Output: Send,
{
    type Output = F::Output;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        // Done already: a finished future is not polled again (hyper awaits
        // the service's future once), and has nothing more to give.
        let Some(inner) = self.0.as_mut() else {
            return std::task::Poll::Pending;
        };
        let output = std::task::ready!(inner.as_mut().poll(cx));
        self.0 = None;
        std::task::Poll::Ready(output)
    }
}

impl<F: Future + Send + 'static> Drop for Unstoppable<F>
where
    F::Output: Send,
{
    fn drop(&mut self) {
        // Without a runtime (it is shutting down) there is nothing to finish on.
        if let Some(rest) = self.0.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(rest);
        }
    }
}

/// The requests of one connection: how many are being answered, and how
/// many were answered so far.
#[derive(Default)]
struct Requests {
    running: std::sync::atomic::AtomicUsize,
    answered: std::sync::atomic::AtomicU64,
}

/// A request being answered on a connection, counted while it runs.
struct InFlight(Arc<Requests>);

impl InFlight {
    fn enter(requests: &Arc<Requests>) -> InFlight {
        requests
            .running
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        InFlight(requests.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0
            .answered
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.0
            .running
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A connection that ends when it has been silent, both ways, for a whole
/// `header_read_timeout` with no request running or answered in it (so
/// between one and two timeouts after its last byte or answer): it then
/// reads as closed, and a write that waits fails. An answer made just as a
/// period ends has the next period to be written. hyper bounds an HTTP/1.1
/// connection between requests by itself, but not an HTTP/2 one, which
/// could otherwise stay open for good after its preface without ever
/// sending a request, nor one whose client stops reading. Bytes are counted, not timed, so the timer is set
/// once per period rather than on every read.
struct Idle<IO> {
    inner: IO,
    timeout: Duration,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
    /// Reads and writes so far, and as many when the period began.
    moves: u64,
    moves_at_start: u64,
    requests: Arc<Requests>,
    /// Requests answered when the period began.
    answered_at_start: u64,
}

impl<IO> Idle<IO> {
    fn new(inner: IO, timeout: Duration, requests: Arc<Requests>) -> Self {
        Idle {
            inner,
            timeout,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            moves: 0,
            moves_at_start: 0,
            requests,
            answered_at_start: 0,
        }
    }

    /// At the end of a period: whether the connection was silent and idle
    /// through it; if not, the next period begins.
    fn silent(&mut self) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        let running = self.requests.running.load(Relaxed) > 0;
        let answered = self.requests.answered.load(Relaxed);
        if self.moves == self.moves_at_start && !running && answered == self.answered_at_start {
            return true;
        }
        self.moves_at_start = self.moves;
        self.answered_at_start = answered;
        let next = tokio::time::Instant::now() + self.timeout;
        self.deadline.as_mut().reset(next);
        false
    }
}

impl<IO: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Idle<IO> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        use std::task::Poll;
        let before = buf.filled().len();
        match std::pin::Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() > before => {
                self.moves += 1;
                Poll::Ready(Ok(()))
            }
            Poll::Pending if self.ended(cx) => {
                // Read as the end of the stream: the connection closes.
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl<IO> Idle<IO> {
    /// Whether a period ended silent while the connection waits (for bytes
    /// to read, or for the client to take what it is sent).
    fn ended(&mut self, cx: &mut std::task::Context<'_>) -> bool {
        while self.deadline.as_mut().poll(cx).is_ready() {
            if self.silent() {
                return true;
            }
        }
        false
    }

    /// A write, counted when it moved bytes (see [`Idle::given_up`]).
    fn written(
        &mut self,
        cx: &mut std::task::Context<'_>,
        written: std::task::Poll<std::io::Result<usize>>,
    ) -> std::task::Poll<std::io::Result<usize>> {
        if matches!(written, std::task::Poll::Ready(Ok(n)) if n > 0) {
            self.moves += 1;
        }
        self.given_up(cx, written)
    }

    /// A write or flush that waits, once a period ends silent: failed. A
    /// client that stops reading its answer holds the connection (and the
    /// answer) no longer than one that stops sending. The HTTP/1 layer
    /// stops reading while its writes wait, so the read side would never
    /// see it.
    fn given_up<T>(
        &mut self,
        cx: &mut std::task::Context<'_>,
        polled: std::task::Poll<std::io::Result<T>>,
    ) -> std::task::Poll<std::io::Result<T>> {
        match polled {
            std::task::Poll::Pending if self.ended(cx) => std::task::Poll::Ready(Err(
                std::io::Error::new(std::io::ErrorKind::TimedOut, "the client stopped reading"),
            )),
            other => other,
        }
    }
}

impl<IO: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Idle<IO> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let written = std::pin::Pin::new(&mut self.inner).poll_write(cx, buf);
        self.written(cx, written)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let written = std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.written(cx, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let flushed = std::pin::Pin::new(&mut self.inner).poll_flush(cx);
        self.given_up(cx, flushed)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// How long a closed connection keeps reading what the client still sends.
const LINGER: Duration = Duration::from_millis(500);
/// How much of it, at most.
const LINGER_BYTES: usize = 4 << 20;

/// A connection that closes gently. When flowgate answers before reading a
/// whole body (a 413), closing with unread bytes makes the kernel send a
/// reset, and the client may lose the answer before it reads it. So on drop
/// the stream shuts its write side, then reads and discards for a moment,
/// as web servers call a lingering close.
struct Lingering(Option<tokio::net::TcpStream>);

impl Lingering {
    fn stream(&mut self) -> std::io::Result<&mut tokio::net::TcpStream> {
        self.0
            .as_mut()
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotConnected))
    }
}

impl tokio::io::AsyncRead for Lingering {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.stream() {
            Ok(stream) => std::pin::Pin::new(stream).poll_read(cx, buf),
            Err(err) => std::task::Poll::Ready(Err(err)),
        }
    }
}

impl tokio::io::AsyncWrite for Lingering {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        match self.stream() {
            Ok(stream) => std::pin::Pin::new(stream).poll_write(cx, buf),
            Err(err) => std::task::Poll::Ready(Err(err)),
        }
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        match self.stream() {
            Ok(stream) => std::pin::Pin::new(stream).poll_write_vectored(cx, bufs),
            Err(err) => std::task::Poll::Ready(Err(err)),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.stream() {
            Ok(stream) => std::pin::Pin::new(stream).poll_flush(cx),
            Err(err) => std::task::Poll::Ready(Err(err)),
        }
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.stream() {
            Ok(stream) => std::pin::Pin::new(stream).poll_shutdown(cx),
            Err(err) => std::task::Poll::Ready(Err(err)),
        }
    }
}

impl Drop for Lingering {
    fn drop(&mut self) {
        let Some(mut stream) = self.0.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let _ = stream.shutdown().await;
            let mut buf = [0u8; 16 * 1024];
            let mut discarded = 0;
            let _ = tokio::time::timeout(LINGER, async {
                while discarded < LINGER_BYTES {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => discarded += n,
                    }
                }
            })
            .await;
        });
    }
}

/// How an accepted connection is served: its HTTP settings, and how long
/// it may stay silent with no request running (see `Idle`; hyper's header
/// timeout starts only when bytes come, and not at all on HTTP/2).
pub struct Connecting {
    pub builder: auto::Builder<TokioExecutor>,
    pub idle_timeout: Duration,
    /// The longest request head hyper reads (`max_buf_size`).
    pub max_head: usize,
    /// Told of each request head refused before dispatch (by [`framing`]);
    /// the public listeners count them in the metrics.
    pub refused: Option<framing::Refused>,
}

/// How connections are served, from the limits of the live snapshot.
pub fn connecting(snapshot: &Snapshot) -> Connecting {
    Connecting {
        builder: connection_builder(snapshot),
        idle_timeout: snapshot.settings.limits.header_read_timeout,
        max_head: max_head(snapshot),
        refused: None,
    }
}

/// The longest HTTP/1 request head read: `max_header_bytes`, at least
/// hyper's smallest buffer.
fn max_head(snapshot: &Snapshot) -> usize {
    snapshot.settings.limits.max_header_bytes.max(8192)
}

/// The per-connection HTTP settings, from the limits of the live snapshot.
fn connection_builder(snapshot: &Snapshot) -> auto::Builder<TokioExecutor> {
    let limits = &snapshot.settings.limits;
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(max_head(snapshot));
    // Twice the limit: dispatch holds the list to `max_header_bytes` and says
    // why in a problem document; past this the HTTP/2 layer's bare 431 is
    // all the client gets, and the memory a request may hold stays bounded.
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(
            u32::try_from(limits.max_header_bytes.saturating_mul(2)).unwrap_or(u32::MAX),
        );
    builder
}

#[cfg(test)]
mod access_tests;
#[cfg(test)]
mod soap_tests;
#[cfg(test)]
mod tests;
