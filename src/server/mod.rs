//! The shared listener: accepting connections and serving requests from the
//! live snapshot.
//!
//! [`Gateway`] holds the live [`Snapshot`] behind an atomic pointer; every
//! request loads it once (see [`dispatch`]), and a reload only has to swap
//! it. Connections are HTTP/1.1 or HTTP/2 (prior knowledge) with the header
//! limits and timeouts of `[limits]`; on shutdown, open requests get a
//! bounded time to finish.

pub mod dispatch;
mod input;
mod output;
pub mod problem;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use arc_swap::ArcSwap;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

use crate::snapshot::Snapshot;

/// How long open requests may run on after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The live config and the counters every request shares.
pub struct Gateway {
    snapshot: ArcSwap<Snapshot>,
    generation: AtomicU64,
    in_flight: AtomicUsize,
}

impl Gateway {
    pub fn new(snapshot: Snapshot) -> Arc<Gateway> {
        Arc::new(Gateway {
            snapshot: ArcSwap::from_pointee(snapshot),
            generation: AtomicU64::new(1),
            in_flight: AtomicUsize::new(0),
        })
    }

    /// The live snapshot; hold it for one request, never across requests.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// The generation of the live snapshot, counting from 1.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Makes `snapshot` live for every request that starts from now on;
    /// requests already running finish on the one they loaded. Returns the
    /// new generation.
    pub fn swap(&self, snapshot: Snapshot) -> u64 {
        self.snapshot.store(Arc::new(snapshot));
        self.generation.fetch_add(1, Ordering::AcqRel) + 1
    }
}

/// Binds the listener. Separate from [`serve`] so the caller can print the
/// bound address (the port of `127.0.0.1:0`) before serving.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Serves until `shutdown` completes, then drains open connections.
pub async fn serve(
    gateway: Arc<Gateway>,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
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
        let builder = connection_builder(&gateway.snapshot());
        let gateway = gateway.clone();
        let service = service_fn(move |request| {
            let gateway = gateway.clone();
            async move { Ok::<_, Infallible>(dispatch::handle(gateway, request, peer).await) }
        });
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(peer = %peer, error = %err, "Connection ended with an error");
            }
        });
    }
    drop(listener);
    tracing::info!("Shutting down: waiting for open requests");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("All connections closed"),
        () = tokio::time::sleep(DRAIN_TIMEOUT) => tracing::warn!("Open connections did not finish in time"),
    }
}

/// The per-connection HTTP settings, from the limits of the live snapshot.
fn connection_builder(snapshot: &Snapshot) -> auto::Builder<TokioExecutor> {
    let limits = &snapshot.settings.limits;
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX));
    builder
}

#[cfg(test)]
mod tests;
