//! Reloading: one controller owns every reload of the root (SPEC §5).
//!
//! File events ([`watch`]), SIGHUP and `POST /reload` all send a [`Trigger`]
//! down one channel. The controller takes them one at a time, folding the
//! ones that queued up meanwhile into the same reload, so a `git checkout`
//! that touches fifty files compiles once. Each reload loads the whole root:
//! when no file's content changed, nothing happens; when it compiles, the new
//! snapshot is swapped in with the next generation; when it does not, the
//! old snapshot serves on and the diagnostics are logged, kept for
//! `GET /config` and counted in the metrics.

pub mod watch;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use crate::background;
use crate::compile;
use crate::config;
use crate::diag::Diagnostics;
use crate::metrics::ReloadResult;
use crate::server::Gateway;
use crate::snapshot::{ReloadSettings, Settings};
use watch::{NamedFiles, RootWatcher};

/// The priority of a reload's load and compile. On a core that also answers
/// requests, a compile at the workers' own priority takes the core from them
/// for its whole length (about 60 ms for a root of 1,000 processes), and
/// requests queue behind it. Lowered, it runs in the gaps between requests;
/// on a saturated core it still gets about a tenth of it, so a reload takes
/// longer rather than waiting for the load to pass (nice 19, the execution
/// writer's, would leave it about 1.5%).
const RELOAD_NICE: i32 = 10;

/// Why a reload runs.
#[derive(Debug)]
pub enum Trigger {
    /// Files changed under the root.
    Watch,
    /// SIGHUP.
    Signal,
    /// `POST /reload`; the report goes back to the caller.
    Admin(oneshot::Sender<ReloadReport>),
}

impl Trigger {
    fn name(&self) -> &'static str {
        match self {
            Trigger::Watch => "watch",
            Trigger::Signal => "signal",
            Trigger::Admin(_) => "admin",
        }
    }
}

/// What one reload did, for `/config`, `POST /reload` and the log.
#[derive(Clone, Debug, Serialize)]
pub struct ReloadReport {
    pub result: ReloadResult,
    pub trigger: &'static str,
    /// When the reload started (RFC 3339).
    pub at: String,
    pub duration_ms: f64,
    /// The live generation after the reload.
    pub generation: u64,
    pub diagnostics: Diagnostics,
}

/// What the admin API shows about reloads; written only by the controller.
#[derive(Debug, Default)]
pub struct ReloadState {
    last: Mutex<Option<ReloadReport>>,
    pending_restart: Mutex<Vec<String>>,
    watching: Mutex<String>,
    /// The commit a reload that changed nothing found checked out, with the
    /// generation it found live: the same config, at a later commit.
    unchanged_at: Mutex<Option<(u64, Option<String>)>>,
}

impl ReloadState {
    pub fn last(&self) -> Option<ReloadReport> {
        lock(&self.last).clone()
    }

    /// The commit of the live config: the one it was compiled from, or a
    /// later one that a reload found with the same config files.
    pub fn commit(&self, live: &crate::snapshot::Snapshot) -> Option<String> {
        match &*lock(&self.unchanged_at) {
            Some((generation, commit)) if *generation == live.meta.generation => commit.clone(),
            _ => live.meta.commit.clone(),
        }
    }

    /// Changes that apply only after a restart (listener addresses, the
    /// execution store's path).
    pub fn pending_restart(&self) -> Vec<String> {
        lock(&self.pending_restart).clone()
    }

    /// How changes are noticed: `"events"`, `"polling every 2s"`, or why not at all.
    pub fn watching(&self) -> String {
        lock(&self.watching).clone()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One listener as the process started it: where it listens (`None`:
/// off), and the command-line flag that chose that, when one did. A flag
/// outranks flowgate.toml's key from start to restart, so a change of the
/// key changes nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Started {
    pub bound: Option<SocketAddr>,
    pub flag: Option<&'static str>,
}

/// The listeners the process started with; they stay until restart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StartListeners {
    pub public: Started,
    pub https: Started,
    pub admin: Started,
}

impl StartListeners {
    /// The listeners `settings` ask for, started without flags.
    pub fn of(settings: &Settings) -> StartListeners {
        let [public, https, admin] =
            listen_keys(settings).map(|bound| Started { bound, flag: None });
        StartListeners {
            public,
            https,
            admin,
        }
    }
}

/// `[server] listen`, `[server.https] listen` and `[admin] listen`.
fn listen_keys(settings: &Settings) -> [Option<SocketAddr>; 3] {
    [
        settings.listen,
        settings.https.as_ref().map(|https| https.listen),
        settings.admin_listen,
    ]
}

/// A listen key of flowgate.toml that a reload changed.
#[derive(Debug, PartialEq, Eq)]
struct ListenChange {
    message: String,
    /// Applies after a restart (no flag overrides the key).
    pending: bool,
}

/// What a reload found on disk.
enum Loaded {
    /// The live snapshot's files, as they are: nothing to compile. The
    /// commit checked out may be a later one.
    Unchanged { commit: Option<String> },
    /// Boxed: a compilation is large, and crosses a thread in this enum.
    Compiled(Box<compile::Compilation>),
}

pub struct Controller {
    root: PathBuf,
    gateway: Arc<Gateway>,
    state: Arc<ReloadState>,
    started_with: StartListeners,
    /// The listen keys of flowgate.toml at start, which a reload compares.
    keys_at_start: [Option<SocketAddr>; 3],
    /// `[executions] path` at start: the store stays there until restart.
    store_path: PathBuf,
    triggers: mpsc::UnboundedSender<Trigger>,
    watcher: Option<RootWatcher>,
    /// The files the last compile found named, which the watcher watches
    /// beside those the loader walks to; kept across watchers.
    named: NamedFiles,
}

impl Controller {
    /// A controller for the root the gateway serves, on the listeners it
    /// `started_with`. With `watch`, it also watches the files, per the live
    /// snapshot's `[reload]` settings.
    pub fn new(
        root: PathBuf,
        gateway: Arc<Gateway>,
        state: Arc<ReloadState>,
        triggers: mpsc::UnboundedSender<Trigger>,
        started_with: StartListeners,
        watch: bool,
    ) -> Controller {
        let keys_at_start = listen_keys(&gateway.snapshot().settings);
        let store_path = match gateway.recorder() {
            Some(recorder) => recorder.relative_path().to_path_buf(),
            None => gateway.snapshot().settings.executions.path.clone(),
        };
        let mut controller = Controller {
            root,
            gateway,
            state,
            started_with,
            keys_at_start,
            store_path,
            triggers,
            watcher: None,
            named: NamedFiles::default(),
        };
        let live = controller.gateway.snapshot();
        controller.name_files(&live.meta.named_files);
        if watch {
            let settings = controller.gateway.snapshot().settings.reload;
            controller.start_watching(settings);
        }
        controller
    }

    /// Runs reloads as triggers come, until every sender is gone.
    pub async fn run(mut self, mut triggers: mpsc::UnboundedReceiver<Trigger>) {
        while let Some(first) = triggers.recv().await {
            let name = first.name();
            let mut waiting = Vec::new();
            let mut take = |trigger: Trigger| {
                if let Trigger::Admin(reply) = trigger {
                    waiting.push(reply);
                }
            };
            take(first);
            // What queued up while the last reload ran is covered by this one.
            while let Ok(next) = triggers.try_recv() {
                take(next);
            }
            let report = self.reload(name).await;
            for reply in waiting {
                let _ = reply.send(report.clone());
            }
        }
    }

    /// Reloads the root once.
    pub async fn reload(&mut self, trigger: &'static str) -> ReloadReport {
        let started = Instant::now();
        let at = crate::logging::rfc3339(SystemTime::now());
        if let Some(watcher) = &mut self.watcher {
            // A root that is a symlink may point somewhere new (git-sync).
            watcher.follow_root();
        }
        let live = self.gateway.snapshot();
        let root = self.root.clone();
        let live_files = live.meta.files.clone();
        let outcome = background::run("flowgate-reload", RELOAD_NICE, move || {
            let loaded = config::load_root(&root);
            if loaded.diagnostics.is_empty() && loaded.files == live_files {
                return Loaded::Unchanged {
                    commit: loaded.commit,
                };
            }
            Loaded::Compiled(Box::new(compile::compile(loaded)))
        })
        .await;

        let (result, diagnostics) = match outcome {
            Some(Loaded::Unchanged { commit }) => {
                // After a failure, the root is healthy again: say so, or the
                // failure would be the last word of the log.
                let failed_before = lock(&self.state.last)
                    .as_ref()
                    .is_some_and(|last| last.result == ReloadResult::Failure);
                if failed_before {
                    tracing::info!(
                        trigger,
                        generation = live.meta.generation,
                        "Root is back to the live snapshot's files; the last reload's errors are gone"
                    );
                } else {
                    tracing::debug!(trigger, "Reload found nothing changed");
                }
                *lock(&self.state.unchanged_at) = Some((live.meta.generation, commit));
                self.name_files(&live.meta.named_files);
                (ReloadResult::Unchanged, Diagnostics::default())
            }
            Some(Loaded::Compiled(compilation)) => match compilation.snapshot {
                Some(snapshot) => {
                    self.name_files(&snapshot.meta.named_files);
                    self.note_restart_changes(&snapshot.settings);
                    let reload = snapshot.settings.reload;
                    let generation = self.gateway.swap(snapshot);
                    let live = self.gateway.snapshot();
                    tracing::info!(
                        trigger,
                        generation,
                        files = live.meta.files.len(),
                        commit = live.meta.commit.as_deref(),
                        "Reloaded"
                    );
                    if self
                        .watcher
                        .as_ref()
                        .is_some_and(|w| w.settings() != reload)
                    {
                        self.start_watching(reload);
                    }
                    (ReloadResult::Success, compilation.diagnostics)
                }
                None => {
                    // Until the next good compile, a change to what either
                    // names may be the one that fixes it, or brings back the
                    // live snapshot's files.
                    self.name_files(live.meta.named_files.iter().chain(&compilation.named_files));
                    tracing::error!(
                        trigger,
                        errors = compilation.diagnostics.error_count(),
                        generation = self.gateway.generation(),
                        "Reload failed; the live snapshot serves on"
                    );
                    for diagnostic in compilation.diagnostics.iter().filter(|d| d.is_error()) {
                        // `file:line:col`, the file alone, or left out
                        // when the problem is not in one file.
                        let at = diagnostic.location.as_ref().map(tracing::field::display);
                        tracing::error!(at, "{}", diagnostic.message);
                    }
                    (ReloadResult::Failure, compilation.diagnostics)
                }
            },
            None => {
                tracing::error!(
                    trigger,
                    "Reload stopped unexpectedly; the live snapshot serves on"
                );
                (ReloadResult::Failure, Diagnostics::default())
            }
        };
        let generation = self.gateway.generation();
        self.gateway.metrics().reloaded(result, generation);
        let report = ReloadReport {
            result,
            trigger,
            at,
            duration_ms: (started.elapsed().as_secs_f64() * 1e6).round() / 1e3,
            generation,
            diagnostics,
        };
        *lock(&self.state.last) = Some(report.clone());
        report
    }

    /// Listener addresses are fixed at start: a change is reported, not
    /// applied.
    fn note_restart_changes(&self, settings: &Settings) {
        let mut pending = Vec::new();
        for change in self.listen_changes(settings) {
            tracing::warn!("{}", change.message);
            if change.pending {
                pending.push(change.message);
            }
        }
        if settings.executions.path != self.store_path {
            let message = format!(
                "[executions] path changed from {} to {}; it applies after a restart",
                self.store_path.display(),
                settings.executions.path.display()
            );
            tracing::warn!("{message}");
            pending.push(message);
        }
        *lock(&self.state.pending_restart) = pending;
    }

    /// How the listen keys of `settings` differ from those at start, each
    /// beside the address actually in use. A key that a flag overrides is
    /// not pending: a restart with the same flag would not apply it either.
    fn listen_changes(&self, settings: &Settings) -> Vec<ListenChange> {
        let keys = ["[server] listen", "[server.https] listen", "[admin] listen"];
        let started = [
            self.started_with.public,
            self.started_with.https,
            self.started_with.admin,
        ];
        let show = |a: Option<SocketAddr>| {
            a.map(|a| a.to_string())
                .unwrap_or_else(|| "\"\"".to_owned())
        };
        let mut changes = Vec::new();
        for (((key, started), before), after) in keys
            .into_iter()
            .zip(started)
            .zip(self.keys_at_start)
            .zip(listen_keys(settings))
        {
            if before == after {
                continue;
            }
            let listening = match started.bound {
                Some(address) => format!("the listener is on {address}"),
                None => "the listener is off".to_owned(),
            };
            let changed = format!("{key} changed from {} to {}", show(before), show(after));
            changes.push(match started.flag {
                Some(flag) => ListenChange {
                    message: format!(
                        "{changed}, but {flag} overrides it: {listening}, also after a restart with {flag}"
                    ),
                    pending: false,
                },
                None => ListenChange {
                    message: format!(
                        "{changed}; it applies after a restart ({listening} until then)"
                    ),
                    pending: true,
                },
            });
        }
        changes
    }

    /// Notes the files a compile found named, and has the watcher watch
    /// the folders of those outside the root.
    fn name_files<'a>(&mut self, written: impl IntoIterator<Item = &'a String>) {
        self.named
            .set(&self.root, written.into_iter().map(String::as_str));
        if let Some(watcher) = &mut self.watcher {
            watcher.watch_named();
        }
    }

    fn start_watching(&mut self, settings: ReloadSettings) {
        // Stop the old watcher first: two would double every event.
        self.watcher = None;
        // The store's writes are never a change, wherever it is.
        let store = self
            .gateway
            .recorder()
            .map(|recorder| recorder.relative_path().to_path_buf());
        match RootWatcher::start(
            &self.root,
            settings,
            store.as_deref(),
            self.named.clone(),
            self.triggers.clone(),
        ) {
            Ok(watcher) => {
                *lock(&self.state.watching) = watcher.describe();
                tracing::info!(root = %self.root.display(), watching = %watcher.describe(), "Watching the root");
                self.watcher = Some(watcher);
            }
            Err(err) => {
                let message = format!("not watching: {err}; reload with SIGHUP or POST /reload");
                tracing::error!("{message}");
                *lock(&self.state.watching) = message;
            }
        }
    }
}

#[cfg(test)]
mod tests;
