//! Noticing changes under the root, and telling the controller.
//!
//! The OS's file events (inotify on Linux) are filtered as they come, and
//! only a change a load can see counts (see [`Filter`]): a file the loader
//! reads ([`RootPath`], the loader's own rule), a folder under `processes/`
//! or `profiles/` made, removed or renamed, a file flowgate.toml or a test
//! names ([`NamedFiles`]; one outside the root through a watch on its
//! folder, [`RootWatcher::watch_named`]), and the root link itself. Writes
//! elsewhere, such as a log file kept in the root, hidden folders (`.git`,
//! `.flowgate`), editor leftovers and the execution store (wherever
//! `[executions] path` puts it, with its SQLite companions) never trigger. When the OS watcher
//! cannot start, or `[reload] poll` asks for it, files are polled instead;
//! the same filter applies.
//!
//! `[reload] debounce` is a quiet period over the whole root
//! ([`quiet_period`]): one trigger once no change has counted for that
//! long, so a checkout of many files, or a copy that lands a process before
//! the one it calls, reloads once, with every file there. A root that never
//! goes quiet still reloads [`MAX_WAIT_DEBOUNCES`] debounces after the
//! first change of the burst.
//!
//! A root that is a symlink (git-sync swaps `ROOT -> rev-A` for `rev-B`) is
//! watched through the link, and its parent folder is watched for the link
//! itself being replaced; [`RootWatcher::follow_root`] then moves the watch
//! to the new target. The OS reports paths under the absolute path it
//! watches, so the root is made absolute (not resolved: the link must stay)
//! before anything is watched or compared.

use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify::{Event, EventKind, PollWatcher, RecommendedWatcher, RecursiveMode, Watcher as _};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::time::Instant;

use super::Trigger;
use crate::config::RootPath;
use crate::snapshot::ReloadSettings;

/// How often to poll when the OS watcher is not available and no `poll` is set.
const FALLBACK_POLL: Duration = Duration::from_secs(2);

/// A root whose files keep changing reloads at the latest this many
/// debounces after the first change (2 s with the default 200 ms), so that
/// a file rewritten without pause does not hold every other change back.
pub const MAX_WAIT_DEBOUNCES: u32 = 10;

pub struct RootWatcher {
    /// The root as given, made absolute, never resolved.
    root: PathBuf,
    /// What the root is now: where it points and which folder that is. When
    /// it changes (a swapped symlink, a folder deleted and made again), the
    /// OS watch is on the old folder and must move.
    identity: Option<Identity>,
    settings: ReloadSettings,
    watcher: Watcher,
    named: NamedFiles,
    /// The folders watched for named files outside the root.
    outside: Vec<PathBuf>,
}

enum Watcher {
    Events(RecommendedWatcher),
    Poll {
        /// Polls until dropped.
        watcher: PollWatcher,
        interval: Duration,
    },
}

impl Watcher {
    fn watch(&mut self, path: &Path, mode: RecursiveMode) -> notify::Result<()> {
        match self {
            Watcher::Events(watcher) => watcher.watch(path, mode),
            Watcher::Poll { watcher, .. } => watcher.watch(path, mode),
        }
    }

    fn unwatch(&mut self, path: &Path) -> notify::Result<()> {
        match self {
            Watcher::Events(watcher) => watcher.unwatch(path),
            Watcher::Poll { watcher, .. } => watcher.unwatch(path),
        }
    }
}

impl RootWatcher {
    /// Starts watching `root`; once the root is quiet after relevant
    /// changes, sends [`Trigger::Watch`]. Changes to `store` (the execution
    /// store, relative to the root) and its `-wal`, `-shm` and `-journal`
    /// files are not relevant; changes to `named` files are. Must be called
    /// within a tokio runtime, which runs the quiet period.
    pub fn start(
        root: &Path,
        settings: ReloadSettings,
        store: Option<&Path>,
        named: NamedFiles,
        triggers: UnboundedSender<Trigger>,
    ) -> Result<RootWatcher, String> {
        let root = std::path::absolute(root)
            .map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
        let identity = identity(&root);
        let filter = Filter {
            root: root.clone(),
            store: store.map(Path::to_path_buf),
            named: named.clone(),
        };
        let (changes, noticed) = mpsc::unbounded_channel();
        let watcher = match settings.poll {
            Some(interval) => poll(&filter, interval, &changes)?,
            None => match events(&filter, &changes) {
                Ok(watcher) => watcher,
                Err(err) => {
                    tracing::warn!(error = %err, interval = ?FALLBACK_POLL, "File events are not available; polling instead");
                    poll(&filter, FALLBACK_POLL, &changes)?
                }
            },
        };
        // Ends when the watcher, and with it the last sender, is dropped.
        tokio::spawn(quiet_period(noticed, settings.debounce, triggers));
        let mut watcher = RootWatcher {
            root,
            identity,
            settings,
            watcher,
            named,
            outside: Vec::new(),
        };
        watcher.watch_named();
        Ok(watcher)
    }

    /// Watches the folders of the named files outside the root, as the
    /// last [`NamedFiles::set`] placed them, and no others. A folder the
    /// root's own watches cover (under the root, or its parent when it is
    /// a symlink) is left to them.
    pub fn watch_named(&mut self) {
        let parent_watched = link_target(&self.root).is_some();
        let covered = |folder: &Path| {
            folder.starts_with(&self.root)
                || self
                    .identity
                    .as_ref()
                    .is_some_and(|id| folder.starts_with(&id.target))
                || (parent_watched && Some(folder) == self.root.parent())
        };
        let wanted: Vec<PathBuf> = self
            .named
            .outside_folders()
            .into_iter()
            .filter(|folder| !covered(folder))
            .collect();
        for gone in self.outside.iter().filter(|f| !wanted.contains(f)) {
            let _ = self.watcher.unwatch(gone);
        }
        let mut watched = Vec::with_capacity(wanted.len());
        for folder in wanted {
            if self.outside.contains(&folder) {
                watched.push(folder);
                continue;
            }
            match self.watcher.watch(&folder, RecursiveMode::NonRecursive) {
                Ok(()) => watched.push(folder),
                Err(err) => tracing::warn!(
                    folder = %folder.display(),
                    error = %err,
                    "Cannot watch the folder of a named file; reload with SIGHUP or POST /reload after changing it"
                ),
            }
        }
        self.outside = watched;
    }

    pub fn settings(&self) -> ReloadSettings {
        self.settings
    }

    pub fn describe(&self) -> String {
        match &self.watcher {
            Watcher::Events(_) => "file events".to_owned(),
            Watcher::Poll { interval, .. } => {
                format!("polling every {}", crate::units::HumanDuration(*interval))
            }
        }
    }

    /// When the root now points elsewhere (a swapped symlink) or is another
    /// folder of the same name, watches what it is now.
    pub fn follow_root(&mut self) {
        let now = identity(&self.root);
        if now == self.identity {
            return;
        }
        if let Watcher::Events(watcher) = &mut self.watcher {
            let _ = watcher.unwatch(&self.root);
            if let Err(err) = watcher.watch(&self.root, RecursiveMode::Recursive) {
                tracing::error!(root = %self.root.display(), error = %err, "Cannot watch the root again");
            }
        }
        // A poll watcher walks the path on every poll: nothing to move.
        tracing::info!(root = %self.root.display(), "The root is a new folder now; watching it");
        self.identity = now;
    }
}

/// Sends one [`Trigger::Watch`] for each burst of `changes`: once none has
/// come for `debounce`, or `debounce` × [`MAX_WAIT_DEBOUNCES`] after the
/// first of the burst if they keep coming. Changes that come while the
/// controller reloads start the next burst, so they get a reload of their
/// own. When the watcher is dropped in a burst, the burst is still sent.
async fn quiet_period(
    mut changes: UnboundedReceiver<()>,
    debounce: Duration,
    triggers: UnboundedSender<Trigger>,
) {
    let max_wait = debounce * MAX_WAIT_DEBOUNCES;
    while changes.recv().await.is_some() {
        let latest = Instant::now() + max_wait;
        let mut due = Instant::now() + debounce;
        loop {
            tokio::select! {
                change = changes.recv() => match change {
                    Some(()) => due = Instant::now() + debounce,
                    None => break,
                },
                () = tokio::time::sleep_until(due.min(latest)) => break,
            }
        }
        if triggers.send(Trigger::Watch).is_err() {
            return;
        }
    }
}

/// Where a path leads and the folder it is, by device and inode.
#[derive(Debug, PartialEq, Eq)]
struct Identity {
    target: PathBuf,
    device: u64,
    inode: u64,
}

fn identity(root: &Path) -> Option<Identity> {
    use std::os::unix::fs::MetadataExt as _;
    let target = std::fs::canonicalize(root).ok()?;
    let metadata = std::fs::metadata(&target).ok()?;
    Some(Identity {
        target,
        device: metadata.dev(),
        inode: metadata.ino(),
    })
}

fn link_target(root: &Path) -> Option<PathBuf> {
    let is_link = std::fs::symlink_metadata(root).is_ok_and(|m| m.file_type().is_symlink());
    is_link.then(|| std::fs::canonicalize(root).ok()).flatten()
}

/// The files flowgate.toml and the tests name (certificates, keys, sample
/// bodies): the walk does not read them, yet a change to one, or one that
/// was missing coming, changes what compiles. The controller sets them
/// after each reload; the watcher reads them at each event.
#[derive(Clone, Debug, Default)]
pub struct NamedFiles(Arc<Mutex<Named>>);

#[derive(Debug, Default)]
struct Named {
    /// Under the root, relative to it.
    inside: Vec<PathBuf>,
    /// Outside the root (an absolute path, or one that climbs out).
    outside: Vec<Outside>,
}

/// A named file outside the root, where the OS reports it.
#[derive(Clone, Debug, PartialEq)]
struct Outside {
    /// The nearest folder on the way to the file that exists now, resolved:
    /// watched, not recursively.
    folder: PathBuf,
    /// The file, under `folder`.
    path: PathBuf,
}

impl NamedFiles {
    /// Takes the paths as written, relative to `root`. One outside the root
    /// is placed under the nearest folder on its way that exists now, which
    /// [`RootWatcher::watch_named`] then watches.
    pub fn set<'a>(&self, root: &Path, written: impl IntoIterator<Item = &'a str>) {
        let mut named = Named::default();
        for path in written.into_iter().map(Path::new) {
            let inside = path
                .components()
                .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
            if inside {
                let relative: PathBuf = path
                    .components()
                    .filter(|c| matches!(c, Component::Normal(_)))
                    .collect();
                if !relative.as_os_str().is_empty() {
                    named.inside.push(relative);
                }
            } else if let Some(outside) = Outside::of(&root.join(path))
                && !named.outside.contains(&outside)
            {
                named.outside.push(outside);
            }
        }
        *super::lock(&self.0) = named;
    }

    /// Whether `relative` is a named file under the root or a folder on the way to one.
    fn leads_to(&self, relative: &Path) -> bool {
        super::lock(&self.0)
            .inside
            .iter()
            .any(|named| named.starts_with(relative))
    }

    /// Whether `path`, as the OS reports it, is a named file outside the
    /// root or a folder on the way to one, from its watched folder down.
    fn outside_leads_to(&self, path: &Path) -> bool {
        super::lock(&self.0)
            .outside
            .iter()
            .any(|named| path.starts_with(&named.folder) && named.path.starts_with(path))
    }

    /// The folders to watch for the named files outside the root.
    fn outside_folders(&self) -> Vec<PathBuf> {
        let mut folders: Vec<PathBuf> = super::lock(&self.0)
            .outside
            .iter()
            .map(|named| named.folder.clone())
            .collect();
        folders.sort();
        folders.dedup();
        folders
    }
}

impl Outside {
    /// `file` (absolute, or relative to the working folder) under the
    /// nearest folder on its way that exists, resolved as the OS resolves it.
    fn of(file: &Path) -> Option<Outside> {
        let file = std::path::absolute(file).ok()?;
        file.ancestors().skip(1).find_map(|ancestor| {
            let folder = std::fs::canonicalize(ancestor).ok()?;
            if !folder.is_dir() {
                return None;
            }
            let rest = file.strip_prefix(ancestor).ok()?;
            Some(Outside {
                path: folder.join(rest),
                folder,
            })
        })
    }
}

/// Which changes count: see [`Filter::counts`].
#[derive(Clone)]
struct Filter {
    /// Absolute, as watched.
    root: PathBuf,
    store: Option<PathBuf>,
    named: NamedFiles,
}

impl Filter {
    /// Whether one event of the OS can change what a load reads.
    fn relevant(&self, event: &Event) -> bool {
        if event.need_rescan() {
            // Events were lost: anything may have changed.
            return true;
        }
        if !changes_content(&event.kind) {
            return false;
        }
        let target = std::fs::canonicalize(&self.root).ok();
        event
            .paths
            .iter()
            .any(|path| self.counts(target.as_deref(), path, |path| path.is_file()))
    }

    /// Whether a change at `path` can change the config: it is the root
    /// (or its link), a file the loader reads, a folder under the walked
    /// folders (a path that is gone may have been one), or a file named in
    /// the config or a folder on the way to one, inside the root or out;
    /// never the execution store.
    /// `is_file` asks the file system about `path` now.
    fn counts(&self, target: Option<&Path>, path: &Path, is_file: impl Fn(&Path) -> bool) -> bool {
        if path == self.root || self.named.outside_leads_to(path) {
            return true;
        }
        let Some(relative) = under(&self.root, target, path) else {
            // Another entry of the symlinked root's parent folder.
            return false;
        };
        if relative.as_os_str().is_empty() {
            return true;
        }
        if is_store(self.store.as_deref(), relative) {
            return false;
        }
        if self.named.leads_to(relative) {
            return true;
        }
        match RootPath::of(relative) {
            RootPath::Read => true,
            RootPath::Walked => !is_file(path),
            RootPath::Other => false,
        }
    }
}

/// `path` under the root, reached through the root's path or the folder
/// it leads to.
fn under<'a>(root: &Path, target: Option<&Path>, path: &'a Path) -> Option<&'a Path> {
    path.strip_prefix(root)
        .ok()
        .or_else(|| target.and_then(|t| path.strip_prefix(t).ok()))
}

fn events(filter: &Filter, changes: &UnboundedSender<()>) -> Result<Watcher, String> {
    let mut watcher = RecommendedWatcher::new(
        handler(filter.clone(), changes.clone()),
        notify::Config::default(),
    )
    .map_err(|e| e.to_string())?;
    watch_root(&filter.root, |path, mode| watcher.watch(path, mode))?;
    Ok(Watcher::Events(watcher))
}

fn poll(
    filter: &Filter,
    interval: Duration,
    changes: &UnboundedSender<()>,
) -> Result<Watcher, String> {
    // Modification times are compared in whole seconds: compare contents
    // too, or a save in the same second as the last poll goes unseen.
    let config = notify::Config::default()
        .with_poll_interval(interval)
        .with_compare_contents(true)
        .with_follow_symlinks(true);
    let mut watcher = PollWatcher::new(handler(filter.clone(), changes.clone()), config)
        .map_err(|e| e.to_string())?;
    watch_root(&filter.root, |path, mode| watcher.watch(path, mode))?;
    Ok(Watcher::Poll { watcher, interval })
}

/// Watches the root recursively and, when the root is a symlink, its parent
/// folder (not recursively) so that replacing the link is seen.
fn watch_root(
    root: &Path,
    mut watch: impl FnMut(&Path, RecursiveMode) -> notify::Result<()>,
) -> Result<(), String> {
    watch(root, RecursiveMode::Recursive)
        .map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
    if link_target(root).is_some()
        && let Some(parent) = root.parent()
    {
        watch(parent, RecursiveMode::NonRecursive)
            .map_err(|e| format!("cannot watch {}: {e}", parent.display()))?;
    }
    Ok(())
}

/// Tells the quiet period about each relevant event, as the OS reports it.
fn handler(
    filter: Filter,
    changes: UnboundedSender<()>,
) -> impl FnMut(notify::Result<Event>) + Send + 'static {
    move |result: notify::Result<Event>| match result {
        Ok(event) => {
            if filter.relevant(&event) {
                let _ = changes.send(());
            }
        }
        Err(error) => {
            // Events may have been lost (an overflowing queue): reload to be sure.
            tracing::warn!(error = %error, "File watcher error");
            let _ = changes.send(());
        }
    }
}

/// Reading a file is an event too (flowgate's own reload reads every file):
/// only creating, writing, renaming and removing count.
fn changes_content(kind: &EventKind) -> bool {
    use notify::event::{MetadataKind, ModifyKind};
    !matches!(
        kind,
        EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime))
    )
}

/// Whether `relative` (a path under the root) is the execution store or
/// one of the files SQLite keeps beside it (`-wal`, `-shm`, `-journal`).
fn is_store(store: Option<&Path>, relative: &Path) -> bool {
    let (Some(store), Some(name)) = (store, store.and_then(|s| s.file_name()?.to_str())) else {
        return false;
    };
    let store = store.strip_prefix(".").unwrap_or(store);
    relative.parent() == store.parent()
        && relative
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|file| file.strip_prefix(name))
            .is_some_and(|suffix| matches!(suffix, "" | "-wal" | "-shm" | "-journal"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(store: Option<&str>, named: &[&str]) -> Filter {
        let filter = Filter {
            root: PathBuf::from("/srv/config"),
            store: store.map(PathBuf::from),
            named: NamedFiles::default(),
        };
        filter
            .named
            .set(Path::new("/srv/config"), named.iter().copied());
        filter
    }

    /// Whether a change at `path` counts, with `files` the paths that are
    /// files now (every other path is a folder, or gone).
    fn counts(filter: &Filter, target: Option<&str>, files: &[&str], path: &str) -> bool {
        filter.counts(target.map(Path::new), Path::new(path), |path| {
            files.iter().any(|file| Path::new(file) == path)
        })
    }

    #[test]
    fn the_execution_store_is_not_a_change() {
        let store = Some(Path::new("records/runs.db"));
        for quiet in [
            "records/runs.db",
            "records/runs.db-wal",
            "records/runs.db-shm",
            "records/runs.db-journal",
        ] {
            assert!(is_store(store, Path::new(quiet)), "{quiet}");
        }
        for change in [
            "records/runs.db.yaml",
            "records/other.db",
            "runs.db",
            "processes/records/runs.db",
        ] {
            assert!(!is_store(store, Path::new(change)), "{change}");
        }
        assert!(!is_store(None, Path::new("records/runs.db")));
        let at_the_top = Some(Path::new("./runs.db"));
        assert!(is_store(at_the_top, Path::new("runs.db-wal")));

        // Even where it would otherwise count: named, or under processes/.
        let filter = filter(Some("processes/runs.db"), &["processes/runs.db"]);
        assert!(!counts(&filter, None, &[], "/srv/config/processes/runs.db"));
    }

    #[test]
    fn what_the_loader_reads_counts() {
        let filter = filter(None, &[]);
        let target = Some("/srv/rev-b");
        for change in [
            "/srv/config/processes/hello.yaml",
            "/srv/config/processes/team/deep/hello.toml",
            "/srv/config/profiles/order.xsd",
            "/srv/config/profiles/order.schema.json",
            "/srv/config/flowgate.toml",
            // The root itself, and the root link.
            "/srv/config",
            "/srv/rev-b",
            // Through the folder the link leads to.
            "/srv/rev-b/processes/a.yaml",
        ] {
            assert!(counts(&filter, target, &[change], change), "{change}");
        }
        for quiet in [
            "/srv/config/flowgate.log",
            "/srv/config/notes.md",
            "/srv/config/.git/index",
            "/srv/config/.flowgate/executions.db",
            "/srv/config/processes/.hello.yaml.swp",
            "/srv/config/processes/hello.yaml~",
            "/srv/config/processes/#hello.yaml#",
            "/srv/config/processes/4913",
            "/srv/config/processes/README.md",
            "/srv/config/profiles/order.json",
            "/srv/config/certs/server.pem",
            "/srv/config/samples/order.json",
            "/srv/other/file",
            "/srv/rev-a",
        ] {
            assert!(!counts(&filter, target, &[quiet], quiet), "{quiet}");
        }
    }

    #[test]
    fn folders_under_the_walked_folders_count() {
        let filter = filter(None, &[]);
        // A folder made, or a path that is gone: removed or renamed away,
        // it may have been a folder of processes.
        for change in [
            "/srv/config/processes",
            "/srv/config/profiles",
            "/srv/config/processes/team",
            "/srv/config/processes/team/deep",
            "/srv/config/profiles/json",
            "/srv/config/processes/README.md",
        ] {
            assert!(counts(&filter, None, &[], change), "{change}");
        }
        // Folders elsewhere are not read.
        for quiet in [
            "/srv/config/logs",
            "/srv/config/.git/objects",
            "/srv/config/processes/.cache",
        ] {
            assert!(!counts(&filter, None, &[], quiet), "{quiet}");
        }
    }

    #[test]
    fn files_the_config_names_count() {
        let filter = filter(
            None,
            &[
                "certs/server.pem",
                "./certs/server.key",
                "samples/order.json",
                "/etc/ssl/ca.pem",
                "../outside.pem",
            ],
        );
        for change in [
            "/srv/config/certs/server.pem",
            "/srv/config/certs/server.key",
            "/srv/config/samples/order.json",
            // Folders on the way, made or removed.
            "/srv/config/certs",
            "/srv/config/samples",
        ] {
            assert!(counts(&filter, None, &[change], change), "{change}");
        }
        for quiet in [
            "/srv/config/certs/other.pem",
            "/srv/config/samples/order.xml",
            "/srv/config/flowgate.log",
            "/srv/config/etc/ssl/ca.pem",
            "/srv/outside.pem",
        ] {
            assert!(!counts(&filter, None, &[quiet], quiet), "{quiet}");
        }
        filter
            .named
            .set(Path::new("/srv/config"), ["samples/order.xml"]);
        assert!(!counts(&filter, None, &[], "/srv/config/certs/server.pem"));
        assert!(counts(&filter, None, &[], "/srv/config/samples/order.xml"));
    }

    #[test]
    fn named_files_outside_the_root_count_from_the_nearest_folder_that_exists() {
        let outside = tempfile::tempdir().unwrap();
        let at = std::fs::canonicalize(outside.path()).unwrap();
        std::fs::create_dir(at.join("live")).unwrap();
        let cert = at.join("live/server.pem");
        let missing = at.join("later/certs/ca.pem");
        let filter = filter(None, &[]);
        filter.named.set(
            Path::new("/srv/config"),
            [cert.to_str().unwrap(), missing.to_str().unwrap()],
        );
        assert_eq!(
            filter.named.outside_folders(),
            [at.clone(), at.join("live")],
            "the file's folder, or the nearest one on the way that exists"
        );
        let path = |p: &Path| p.to_str().unwrap().to_owned();
        for change in [&cert, &at.join("later"), &at.join("later/certs"), &missing] {
            let change = path(change);
            assert!(counts(&filter, None, &[], &change), "{change}");
        }
        for quiet in [
            at.join("live/other.pem"),
            at.join("live.pem"),
            at.join("earlier"),
        ] {
            let quiet = path(&quiet);
            assert!(!counts(&filter, None, &[&quiet], &quiet), "{quiet}");
        }
        // A path that climbs out of the root is outside too, resolved as the OS resolves it.
        let root = at.join("root");
        std::fs::create_dir(&root).unwrap();
        filter.named.set(&root, ["../live/server.pem"]);
        assert_eq!(filter.named.outside_folders(), [at.join("live")]);
        assert!(counts(&filter, None, &[], &path(&cert)));
    }

    #[test]
    fn reads_are_not_changes() {
        use notify::event::{AccessKind, AccessMode, CreateKind, DataChange, ModifyKind};
        let filter = filter(None, &[]);
        let at = |kind| Event::new(kind).add_path(PathBuf::from("/srv/config/flowgate.toml"));
        assert!(!filter.relevant(&at(EventKind::Access(AccessKind::Read))));
        assert!(!filter.relevant(&at(EventKind::Access(AccessKind::Close(AccessMode::Write)))));
        assert!(filter.relevant(&at(EventKind::Modify(ModifyKind::Data(
            DataChange::Content
        )))));
        assert!(filter.relevant(&at(EventKind::Create(CreateKind::File))));
        let log = Event::new(EventKind::Modify(ModifyKind::Data(DataChange::Content)))
            .add_path(PathBuf::from("/srv/config/flowgate.log"));
        assert!(!filter.relevant(&log));
        // Lost events: anything may have changed.
        let rescan = Event::new(EventKind::Other).set_flag(notify::event::Flag::Rescan);
        assert!(filter.relevant(&rescan));
    }

    const DEBOUNCE: Duration = Duration::from_millis(200);

    /// A running quiet period, its input and when it sent each trigger,
    /// on tokio's paused clock.
    struct Quiet {
        changes: Option<UnboundedSender<()>>,
        sent: Arc<Mutex<Vec<Duration>>>,
        /// Whether the quiet period has ended (its trigger channel closed).
        ended: Arc<Mutex<bool>>,
        start: Instant,
    }

    impl Quiet {
        fn start() -> Quiet {
            let (changes, noticed) = mpsc::unbounded_channel();
            let (sender, mut triggers) = mpsc::unbounded_channel();
            tokio::spawn(quiet_period(noticed, DEBOUNCE, sender));
            let start = Instant::now();
            let sent = Arc::new(Mutex::new(Vec::new()));
            let ended = Arc::new(Mutex::new(false));
            let (record, end) = (sent.clone(), ended.clone());
            tokio::spawn(async move {
                while let Some(trigger) = triggers.recv().await {
                    assert!(matches!(trigger, Trigger::Watch));
                    record.lock().unwrap().push(start.elapsed());
                }
                *end.lock().unwrap() = true;
            });
            Quiet {
                changes: Some(changes),
                sent,
                ended,
                start,
            }
        }

        fn change(&self) {
            self.changes.as_ref().unwrap().send(()).unwrap();
        }

        /// Changes `count` times, `apart` from each other.
        async fn changes(&self, count: u32, apart: Duration) {
            for n in 0..count {
                if n > 0 {
                    tokio::time::sleep(apart).await;
                }
                self.change();
            }
        }

        /// When the triggers were sent, since the start, by `until` after it.
        async fn triggers_until(&self, until: Duration) -> Vec<Duration> {
            tokio::time::sleep_until(self.start + until).await;
            self.sent.lock().unwrap().clone()
        }
    }

    fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[tokio::test(start_paused = true)]
    async fn one_change_reloads_after_the_debounce() {
        let quiet = Quiet::start();
        quiet.change();
        assert_eq!(quiet.triggers_until(ms(5000)).await, [ms(200)]);
    }

    #[tokio::test(start_paused = true)]
    async fn changes_closer_than_the_debounce_are_one_reload_after_the_last() {
        let quiet = Quiet::start();
        // Eleven files, 100 ms apart: one reload, 200 ms after the last.
        quiet.changes(11, ms(100)).await;
        assert_eq!(quiet.triggers_until(ms(5000)).await, [ms(1200)]);
    }

    #[tokio::test(start_paused = true)]
    async fn changes_further_apart_than_the_debounce_are_reloads_of_their_own() {
        let quiet = Quiet::start();
        quiet.changes(3, ms(300)).await;
        assert_eq!(
            quiet.triggers_until(ms(5000)).await,
            [ms(200), ms(500), ms(800)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_root_that_never_goes_quiet_reloads_at_the_longest_wait() {
        let quiet = Quiet::start();
        // Every 150 ms from 0 to 5.1 s: ten debounces after the first
        // change of each burst (at 0 and 2.1 s), and 200 ms after the last
        // (the third burst begins at 4.2 s).
        quiet.changes(35, ms(150)).await;
        assert_eq!(
            quiet.triggers_until(ms(10_000)).await,
            [ms(2000), ms(4100), ms(5300)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_cut_short_by_a_new_watcher_is_still_reloaded() {
        let mut quiet = Quiet::start();
        quiet.change();
        tokio::time::sleep(ms(50)).await;
        quiet.changes = None;
        assert_eq!(quiet.triggers_until(ms(5000)).await, [ms(50)]);
        assert!(*quiet.ended.lock().unwrap(), "the quiet period ended");
    }
}
