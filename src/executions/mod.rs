//! Execution records (SPEC §8): what each `mode: general` execution did,
//! kept in an embedded SQLite store that `flowgate executions` and the admin
//! API read.
//!
//! The request path only gathers: the execution's [`Trace`], the request and
//! response bodies (cut at `max_document_bytes`, otherwise shared, not
//! copied), and hands one [`ExecutionRecord`] to a bounded queue without
//! waiting. One writer thread owns the SQLite connection; it runs at the
//! lowest priority, redacts properties, writes what came in within 100 ms
//! (up to 256 records) in one transaction, and every 30 seconds, whether
//! records come or not, deletes records past `retention` or `max_records`
//! of the live snapshot (in passes of at most 500, with writes between
//! them). When the queue is full the record is
//! dropped and counted (`flowgate_execution_records_total{result="dropped"}`),
//! so a slow disk or a busy core never slows a response; a store that
//! cannot be opened or written is logged and counted as `failed`, and
//! serving goes on.
//!
//! `mode: low-latency` processes are not recorded, unless a signed-in user
//! sends `X-Flowgate-Debug: true`: that one execution is recorded in full.
//! This module must not block a request, nor touch the store from one.

mod redact;
pub mod render;
pub mod store;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwap;
use bytes::Bytes;
use http::HeaderMap;

use crate::config::raw::Mode;
use crate::metrics::RecordCounts;
use crate::pipeline::trace::{Detail, StepRecord, Trace};
use crate::snapshot::{ExecutionSettings, Process};
pub use store::{Filter, StatusFilter, Store, StoreError};

/// The request header that asks for one low-latency execution in full.
pub const DEBUG_HEADER: &str = "x-flowgate-debug";

/// Records waiting for the writer; more are dropped. Each holds at most a
/// few bodies of `max_document_bytes`.
const QUEUE: usize = 1024;
/// Records written in one transaction, at most.
const BATCH: usize = 256;
/// How long the writer lets records gather after the first of a batch: a
/// commit writes whole pages, so one record per transaction would cost
/// several pages each, and a writer woken for each record would cost a
/// context switch each.
const LINGER: Duration = Duration::from_millis(100);
/// One sleep while a batch gathers: at 100,000 records a second, 500 come
/// in, half the queue.
const NAP: Duration = Duration::from_millis(5);
/// How often retention runs, and how often a store that could not be
/// opened is tried again.
const HOUSEKEEPING: Duration = Duration::from_secs(30);
/// The most records one pass of retention deletes, by age and again by
/// count: a pass is one short transaction, and the writer writes what came
/// in before it runs the next.
const PRUNE_PASS: usize = 500;
/// The least time between two log lines about a failing store.
const COMPLAINT_INTERVAL: Duration = Duration::from_secs(60);

/// One finished execution, as the request path hands it over.
#[derive(Debug)]
pub struct ExecutionRecord {
    pub id: Arc<str>,
    pub process: Arc<str>,
    pub user: Option<Arc<str>>,
    /// Recorded because of [`DEBUG_HEADER`] (a low-latency process).
    pub debug: bool,
    pub method: String,
    /// The request path, without the query (which may hold a credential).
    pub path: String,
    pub started_at: SystemTime,
    pub duration: Duration,
    /// The HTTP status of the answer (202 for output `none`).
    pub status: u16,
    pub error: Option<String>,
    pub steps: Vec<StepRecord>,
    pub input: Option<RecordedBody>,
    pub output: Option<RecordedBody>,
    /// The settings of the snapshot that served it: the redaction list.
    pub settings: Arc<ExecutionSettings>,
}

/// A request or response body as recorded: cut at `max_document_bytes`.
#[derive(Clone, Debug)]
pub struct RecordedBody {
    pub media_type: String,
    pub body: Bytes,
    /// The whole body's size; more than `body.len()` when it was cut.
    pub bytes: usize,
}

impl RecordedBody {
    /// `body`, cut at `max_bytes`. A body that fits is shared, not copied;
    /// one that does not is copied in part, so a queued record never holds a
    /// large body alive.
    pub fn cut(media_type: &str, body: &Bytes, max_bytes: usize) -> RecordedBody {
        let kept = if body.len() <= max_bytes {
            body.clone()
        } else {
            Bytes::copy_from_slice(&body[..max_bytes])
        };
        RecordedBody {
            media_type: media_type.to_owned(),
            body: kept,
            bytes: body.len(),
        }
    }
}

enum Message {
    Record(Box<ExecutionRecord>),
    /// Answered once everything queued before it is written.
    Flush(SyncSender<()>),
    /// Holds the writer until `release` ends, as a stalled disk would;
    /// `held` says it is holding.
    #[cfg(test)]
    Hold {
        held: SyncSender<()>,
        release: Receiver<()>,
    },
}

/// The queue to the store's writer thread; cheap to clone.
#[derive(Clone)]
pub struct Recorder {
    inner: Arc<Inner>,
}

struct Inner {
    queue: SyncSender<Message>,
    counts: Arc<RecordCounts>,
    /// `[executions]` of the live snapshot: the retention the writer
    /// applies, also while no record comes.
    settings: Arc<ArcSwap<ExecutionSettings>>,
    /// The store's path as configured (relative to the root).
    relative: PathBuf,
    /// Where the store is.
    path: PathBuf,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// Opens the store at `[executions] path` under `root` (creating its
    /// folder and tables) and starts the writer thread. A store that cannot
    /// be opened is logged; the writer tries again every 30 seconds and
    /// counts the records it cannot keep as failed meanwhile.
    pub fn start(
        root: &Path,
        settings: &Arc<ExecutionSettings>,
        counts: Arc<RecordCounts>,
    ) -> Recorder {
        Recorder::with_capacity(root, settings, counts, QUEUE, HOUSEKEEPING)
    }

    /// [`Recorder::start`] with a queue of `capacity` and retention every
    /// `housekeeping`.
    fn with_capacity(
        root: &Path,
        settings: &Arc<ExecutionSettings>,
        counts: Arc<RecordCounts>,
        capacity: usize,
        housekeeping: Duration,
    ) -> Recorder {
        let path = root.join(&settings.path);
        let store = match Store::open(&path) {
            Ok(store) => {
                tracing::info!(path = %path.display(), "Recording executions");
                Some(store)
            }
            Err(err) => {
                tracing::warn!(error = %err, "Cannot open the execution store; executions are not recorded until it opens");
                None
            }
        };
        let (queue, receiver) = mpsc::sync_channel(capacity);
        let live = Arc::new(ArcSwap::new(settings.clone()));
        let writer = Writer {
            path: path.clone(),
            store,
            counts: counts.clone(),
            settings: live.clone(),
            housekeeping,
            last_prune: Instant::now(),
            behind: false,
            since_prune: 0,
            last_open: Instant::now(),
            last_complaint: None,
        };
        let spawned = std::thread::Builder::new()
            .name("flowgate-records".to_owned())
            .spawn(move || writer.run(receiver));
        if let Err(err) = spawned {
            tracing::error!(error = %err, "Cannot start the execution store's writer; executions are not recorded");
        }
        Recorder {
            inner: Arc::new(Inner {
                queue,
                counts,
                settings: live,
                relative: settings.path.clone(),
                path,
            }),
        }
    }

    /// Takes the `[executions]` settings of a snapshot just made live: the
    /// writer applies their retention from its next pass on. (Its `path`
    /// is the store's from start to restart.)
    pub fn use_settings(&self, settings: Arc<ExecutionSettings>) {
        self.inner.settings.store(settings);
    }

    /// Where the store is.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The store's path as configured, relative to the root: the watcher
    /// ignores it and its `-wal`, `-shm` and `-journal` files.
    pub fn relative_path(&self) -> &Path {
        &self.inner.relative
    }

    /// A recording of the execution about to run, when its process is
    /// recorded: every execution of a `mode: general` process, and of a
    /// low-latency one only when a signed-in `user` sent
    /// `X-Flowgate-Debug: true`. `None` costs nothing more.
    pub fn begin(&self, start: Start<'_>) -> Option<Recording> {
        let debug = match start.process.mode {
            Mode::General => false,
            Mode::LowLatency => {
                if start.user.is_none() || !asks_for_debug(start.headers) {
                    return None;
                }
                true
            }
        };
        let settings = start.settings.clone();
        let trace = Arc::new(Trace::new(Detail::Documents {
            max_bytes: settings.max_document_bytes,
        }));
        Some(Recording {
            recorder: self.clone(),
            trace,
            id: start.id.clone(),
            process: start.process.name.clone(),
            user: start.user.cloned(),
            debug,
            method: start.method.to_string(),
            path: start.path.to_owned(),
            started_at: SystemTime::now()
                .checked_sub(start.started.elapsed())
                .unwrap_or_else(SystemTime::now),
            started: start.started,
            input: None,
            settings,
        })
    }

    /// Hands a record to the writer, or drops and counts it when the queue
    /// is full. Never waits.
    pub fn submit(&self, record: ExecutionRecord) {
        match self.inner.queue.try_send(Message::Record(Box::new(record))) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => self.inner.counts.dropped(),
            Err(TrySendError::Disconnected(_)) => self.inner.counts.failed(1),
        }
    }

    /// Waits until every record queued so far is written (or could not be),
    /// for at most `timeout`; whether it was. Blocks: call it off the async
    /// workers (at shutdown, in tests).
    pub fn flush(&self, timeout: Duration) -> bool {
        let (reply, done) = mpsc::sync_channel(1);
        let deadline = Instant::now() + timeout;
        let mut message = Message::Flush(reply);
        loop {
            match self.inner.queue.try_send(message) {
                Ok(()) => break,
                Err(TrySendError::Full(back)) if Instant::now() < deadline => {
                    message = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(_) => return false,
            }
        }
        done.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_ok()
    }

    /// Holds the writer (as a stalled disk would) until the returned sender
    /// is dropped; returns once the writer holds, with the queue empty.
    #[cfg(test)]
    pub(crate) fn hold(&self) -> SyncSender<()> {
        let (release, waiting) = mpsc::sync_channel(0);
        let (held, holding) = mpsc::sync_channel(1);
        let _ = self.inner.queue.send(Message::Hold {
            held,
            release: waiting,
        });
        let _ = holding.recv();
        release
    }
}

/// What [`Recorder::begin`] needs to know about an execution.
pub struct Start<'a> {
    pub settings: &'a Arc<ExecutionSettings>,
    pub process: &'a Process,
    pub id: &'a Arc<str>,
    /// The signed-in user, if any.
    pub user: Option<&'a Arc<str>>,
    pub headers: &'a HeaderMap,
    pub method: &'a http::Method,
    pub path: &'a str,
    /// When the request arrived.
    pub started: Instant,
}

fn asks_for_debug(headers: &HeaderMap) -> bool {
    headers
        .get(DEBUG_HEADER)
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"true"))
}

/// One execution being recorded: its trace, and what the request brought.
pub struct Recording {
    recorder: Recorder,
    trace: Arc<Trace>,
    id: Arc<str>,
    process: Arc<str>,
    user: Option<Arc<str>>,
    debug: bool,
    method: String,
    path: String,
    started_at: SystemTime,
    started: Instant,
    input: Option<RecordedBody>,
    settings: Arc<ExecutionSettings>,
}

impl Recording {
    /// The trace to run the execution with.
    pub fn trace(&self) -> Arc<Trace> {
        self.trace.clone()
    }

    /// The request body.
    pub fn input(&mut self, media_type: &str, body: &Bytes) {
        self.input = Some(RecordedBody::cut(
            media_type,
            body,
            self.settings.max_document_bytes,
        ));
    }

    /// The most a recorded body keeps.
    pub fn max_document_bytes(&self) -> usize {
        self.settings.max_document_bytes
    }

    /// Finishes the record with the answer and hands it to the writer. An
    /// execution failed when it answered 400 or more, or `error` says why
    /// (a detached one that failed after its 202). `error` is what ended
    /// it: the failed step's own (more than the client was told), the
    /// timeout, or why the request failed before or around the steps. A
    /// step that failed earlier (inside a `try` that caught it, say) keeps
    /// its error in the steps.
    pub fn finish(self, status: u16, error: Option<String>, output: Option<RecordedBody>) {
        let steps = self.trace.take_steps();
        let record = ExecutionRecord {
            id: self.id,
            process: self.process,
            user: self.user,
            debug: self.debug,
            method: self.method,
            path: self.path,
            started_at: self.started_at,
            duration: self.started.elapsed(),
            status,
            error,
            steps,
            input: self.input,
            output,
            settings: self.settings,
        };
        self.recorder.submit(record);
    }
}

/// The writer thread: owns the store.
struct Writer {
    path: PathBuf,
    store: Option<Store>,
    counts: Arc<RecordCounts>,
    /// `[executions]` of the live snapshot, for `retention` and
    /// `max_records`.
    settings: Arc<ArcSwap<ExecutionSettings>>,
    /// How often retention runs: [`HOUSEKEEPING`], shorter in tests.
    housekeeping: Duration,
    last_prune: Instant,
    /// The last pass of retention reached [`PRUNE_PASS`]: the next runs as
    /// soon as what is queued is written.
    behind: bool,
    /// Records written since the last prune.
    since_prune: u64,
    last_open: Instant,
    last_complaint: Option<Instant>,
}

/// The writer's nice value: the lowest priority. When the core is busy
/// answering requests, they win and records wait (and drop when the queue
/// is full); when it is not, the writer gets all it needs.
const WRITER_NICE: i32 = 19;

impl Writer {
    fn run(mut self, queue: Receiver<Message>) {
        crate::background::lower_priority(WRITER_NICE, "execution writer");
        self.prune();
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            // Woken for retention when it is due, so a server that records
            // nothing still lets old records go.
            let due = if self.behind {
                Duration::ZERO
            } else {
                self.housekeeping.saturating_sub(self.last_prune.elapsed())
            };
            match queue.recv_timeout(due) {
                Ok(first) => {
                    self.take(first, &mut batch);
                    let started = Instant::now();
                    loop {
                        while batch.len() < BATCH
                            && let Ok(message) = queue.try_recv()
                        {
                            self.take(message, &mut batch);
                        }
                        let full = batch.len() >= BATCH;
                        if !full && !batch.is_empty() && started.elapsed() < LINGER {
                            // Records trickle in: let a batch gather, in
                            // naps short enough for the queue to hold what
                            // comes meanwhile. Sleeping, not waiting on the
                            // queue, so a request that queues a record has
                            // nobody to wake.
                            std::thread::sleep(NAP);
                            continue;
                        }
                        self.write(&mut batch);
                        if !full {
                            break;
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.write(&mut batch);
                    break;
                }
            }
            self.housekeeping();
        }
    }

    fn take(&mut self, message: Message, batch: &mut Vec<ExecutionRecord>) {
        match message {
            Message::Record(record) => batch.push(*record),
            Message::Flush(reply) => {
                self.write(batch);
                let _ = reply.send(());
            }
            #[cfg(test)]
            Message::Hold { held, release } => {
                let _ = held.send(());
                let _ = release.recv();
            }
        }
    }

    fn write(&mut self, batch: &mut Vec<ExecutionRecord>) {
        if batch.is_empty() {
            return;
        }
        let count = batch.len() as u64;
        let result = match &mut self.store {
            Some(store) => store.insert(batch.drain(..)).map_err(|err| err.to_string()),
            None => Err(format!("the store at {} is not open", self.path.display())),
        };
        batch.clear();
        match result {
            Ok(()) => {
                self.counts.written(count);
                self.since_prune += count;
            }
            Err(err) => {
                self.counts.failed(count);
                self.complain(|| tracing::warn!(error = %err, records = count, "Execution records could not be written"));
            }
        }
    }

    /// Retention every `housekeeping`, or sooner when a tenth of
    /// `max_records` came in since or the last pass left more; reopening a
    /// store that would not open.
    fn housekeeping(&mut self) {
        if self.store.is_none() && self.last_open.elapsed() >= self.housekeeping {
            self.last_open = Instant::now();
            match Store::open(&self.path) {
                Ok(store) => {
                    tracing::info!(path = %self.path.display(), "The execution store is open; recording executions");
                    self.store = Some(store);
                }
                Err(err) => self
                    .complain(|| tracing::warn!(error = %err, "Cannot open the execution store")),
            }
        }
        let max_records = self.settings.load().max_records;
        if self.behind
            || self.last_prune.elapsed() >= self.housekeeping
            || self.since_prune > max_records / 10
        {
            self.prune();
        }
    }

    /// One pass of retention, by the live snapshot's settings.
    fn prune(&mut self) {
        self.last_prune = Instant::now();
        self.since_prune = 0;
        self.behind = false;
        let settings = self.settings.load();
        let Some(store) = &self.store else {
            return;
        };
        match store.prune(
            SystemTime::now(),
            settings.retention,
            settings.max_records,
            PRUNE_PASS,
        ) {
            Ok(pruned) => self.behind = pruned.more,
            Err(err) => self.complain(
                || tracing::warn!(error = %err, "Old execution records could not be deleted"),
            ),
        }
    }

    /// Logs a store problem, at most once a minute: a full disk must not
    /// flood the log.
    fn complain(&mut self, log: impl FnOnce()) {
        if self
            .last_complaint
            .is_none_or(|at| at.elapsed() >= COMPLAINT_INTERVAL)
        {
            self.last_complaint = Some(Instant::now());
            log();
        }
    }
}

#[cfg(test)]
mod tests;
