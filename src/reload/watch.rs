//! Noticing changes under the root, and telling the controller.
//!
//! The OS's file events (inotify on Linux) go through notify's full
//! debouncer, which waits for `[reload] debounce` of quiet and follows
//! renames, so editors that write a temporary file and rename it, and a
//! checkout that writes many files, each end as one trigger. Changes under
//! hidden folders (`.git`, `.flowgate`) and to editor leftovers never
//! trigger, nor do writes to the execution store (wherever `[executions]
//! path` puts it) and its SQLite companions. When the OS watcher cannot start, or `[reload] poll` asks for
//! it, files are polled instead.
//!
//! A root that is a symlink (git-sync swaps `ROOT -> rev-A` for `rev-B`) is
//! watched through the link, and its parent folder is watched for the link
//! itself being replaced; [`RootWatcher::follow_root`] then moves the watch
//! to the new target.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use notify::{EventKind, PollWatcher, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{
    DebounceEventResult, Debouncer, NoCache, RecommendedCache, new_debouncer_opt,
};
use tokio::sync::mpsc::UnboundedSender;

use super::Trigger;
use crate::config::is_ignored;
use crate::snapshot::ReloadSettings;

/// How often to poll when the OS watcher is not available and no `poll` is set.
const FALLBACK_POLL: Duration = Duration::from_secs(2);

pub struct RootWatcher {
    root: PathBuf,
    /// What the root is now: where it points and which folder that is. When
    /// it changes (a swapped symlink, a folder deleted and made again), the
    /// OS watch is on the old folder and must move.
    identity: Option<Identity>,
    settings: ReloadSettings,
    watcher: Watcher,
}

enum Watcher {
    Events(Debouncer<RecommendedWatcher, RecommendedCache>),
    Poll {
        /// Polls until dropped.
        _debouncer: Debouncer<PollWatcher, NoCache>,
        interval: Duration,
    },
}

impl RootWatcher {
    /// Starts watching `root`; each relevant change sends [`Trigger::Watch`].
    /// Changes to `store` (the execution store, relative to the root) and
    /// its `-wal`, `-shm` and `-journal` files are not relevant.
    pub fn start(
        root: &Path,
        settings: ReloadSettings,
        store: Option<&Path>,
        triggers: UnboundedSender<Trigger>,
    ) -> Result<RootWatcher, String> {
        let root = root.to_path_buf();
        let identity = identity(&root);
        let filter = Filter {
            root: root.clone(),
            store: store.map(Path::to_path_buf),
        };
        let watcher = match settings.poll {
            Some(interval) => poll(&filter, settings.debounce, interval, &triggers)?,
            None => match events(&filter, settings.debounce, &triggers) {
                Ok(watcher) => watcher,
                Err(err) => {
                    tracing::warn!(error = %err, interval = ?FALLBACK_POLL, "File events are not available; polling instead");
                    poll(&filter, settings.debounce, FALLBACK_POLL, &triggers)?
                }
            },
        };
        Ok(RootWatcher {
            root,
            identity,
            settings,
            watcher,
        })
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
        if let Watcher::Events(debouncer) = &mut self.watcher {
            let _ = debouncer.unwatch(&self.root);
            if let Err(err) = debouncer.watch(&self.root, RecursiveMode::Recursive) {
                tracing::error!(root = %self.root.display(), error = %err, "Cannot watch the root again");
            }
        }
        // A poll watcher walks the path on every poll: nothing to move.
        tracing::info!(root = %self.root.display(), "The root is a new folder now; watching it");
        self.identity = now;
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

/// Which changes count: see [`counts`].
#[derive(Clone)]
struct Filter {
    root: PathBuf,
    store: Option<PathBuf>,
}

fn events(
    filter: &Filter,
    debounce: Duration,
    triggers: &UnboundedSender<Trigger>,
) -> Result<Watcher, String> {
    let root = &filter.root;
    let mut debouncer = new_debouncer_opt::<_, RecommendedWatcher, RecommendedCache>(
        debounce,
        None,
        handler(filter.clone(), triggers.clone()),
        RecommendedCache::new(),
        notify::Config::default(),
    )
    .map_err(|e| e.to_string())?;
    watch_root(root, |path, mode| debouncer.watch(path, mode))?;
    Ok(Watcher::Events(debouncer))
}

fn poll(
    filter: &Filter,
    debounce: Duration,
    interval: Duration,
    triggers: &UnboundedSender<Trigger>,
) -> Result<Watcher, String> {
    // Modification times are compared in whole seconds: compare contents
    // too, or a save in the same second as the last poll goes unseen.
    let config = notify::Config::default()
        .with_poll_interval(interval)
        .with_compare_contents(true)
        .with_follow_symlinks(true);
    let mut debouncer = new_debouncer_opt::<_, PollWatcher, NoCache>(
        debounce,
        None,
        handler(filter.clone(), triggers.clone()),
        NoCache,
        config,
    )
    .map_err(|e| e.to_string())?;
    watch_root(&filter.root, |path, mode| debouncer.watch(path, mode))?;
    Ok(Watcher::Poll {
        _debouncer: debouncer,
        interval,
    })
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
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        watch(parent, RecursiveMode::NonRecursive)
            .map_err(|e| format!("cannot watch {}: {e}", parent.display()))?;
    }
    Ok(())
}

fn handler(
    filter: Filter,
    triggers: UnboundedSender<Trigger>,
) -> impl FnMut(DebounceEventResult) + Send + 'static {
    move |result: DebounceEventResult| match result {
        Ok(events) => {
            let target = std::fs::canonicalize(&filter.root).ok();
            let relevant = events
                .iter()
                .filter(|event| changes_content(&event.kind))
                .flat_map(|event| event.paths.iter())
                .any(|path| {
                    counts(&filter.root, target.as_deref(), path)
                        && !is_store(
                            filter.store.as_deref(),
                            &filter.root,
                            target.as_deref(),
                            path,
                        )
                });
            if relevant {
                let _ = triggers.send(Trigger::Watch);
            }
        }
        Err(errors) => {
            // Events may have been lost (an overflowing queue): reload to be sure.
            for error in &errors {
                tracing::warn!(error = %error, "File watcher error");
            }
            let _ = triggers.send(Trigger::Watch);
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

/// Whether a change at `path` can change the config: it is the root link
/// itself, or a file under the root that is not hidden, not under a hidden
/// folder, and not an editor's leftover.
fn counts(root: &Path, target: Option<&Path>, path: &Path) -> bool {
    if path == root {
        return true;
    }
    let relative = path
        .strip_prefix(root)
        .ok()
        .or_else(|| target.and_then(|t| path.strip_prefix(t).ok()));
    let Some(relative) = relative else {
        // Another entry of the symlinked root's parent folder.
        return false;
    };
    relative.components().all(|component| match component {
        Component::Normal(name) => name.to_str().is_some_and(|name| !is_ignored(name)),
        _ => true,
    })
}

/// Whether `path` is the execution store or one of the files SQLite keeps
/// beside it (`-wal`, `-shm`, `-journal`).
fn is_store(store: Option<&Path>, root: &Path, target: Option<&Path>, path: &Path) -> bool {
    let Some(store) = store else {
        return false;
    };
    let relative = path
        .strip_prefix(root)
        .ok()
        .or_else(|| target.and_then(|t| path.strip_prefix(t).ok()));
    let (Some(relative), Some(name)) = (relative, store.file_name().and_then(|n| n.to_str()))
    else {
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

    #[test]
    fn the_execution_store_is_not_a_change() {
        let root = Path::new("/srv/config");
        let store = Some(Path::new("records/runs.db"));
        for quiet in [
            "/srv/config/records/runs.db",
            "/srv/config/records/runs.db-wal",
            "/srv/config/records/runs.db-shm",
            "/srv/config/records/runs.db-journal",
        ] {
            assert!(is_store(store, root, None, Path::new(quiet)), "{quiet}");
        }
        for change in [
            "/srv/config/records/runs.db.yaml",
            "/srv/config/records/other.db",
            "/srv/config/runs.db",
            "/srv/config/processes/records/runs.db",
        ] {
            assert!(!is_store(store, root, None, Path::new(change)), "{change}");
        }
        assert!(!is_store(
            None,
            root,
            None,
            Path::new("/srv/config/records/runs.db")
        ));
    }

    #[test]
    fn what_counts_as_a_change() {
        let root = Path::new("/srv/config");
        let target = Some(Path::new("/srv/rev-b"));
        assert!(counts(
            root,
            None,
            Path::new("/srv/config/processes/hello.yaml")
        ));
        assert!(counts(root, None, Path::new("/srv/config/flowgate.toml")));
        assert!(counts(
            root,
            None,
            Path::new("/srv/config/processes/new-folder")
        ));
        assert!(counts(root, None, Path::new("/srv/config")));
        assert!(counts(
            root,
            target,
            Path::new("/srv/rev-b/processes/a.yaml")
        ));
        for quiet in [
            "/srv/config/.git/index",
            "/srv/config/.flowgate/executions.db",
            "/srv/config/processes/.hello.yaml.swp",
            "/srv/config/processes/hello.yaml~",
            "/srv/config/processes/4913",
            "/srv/other/file",
            "/srv/rev-a",
        ] {
            assert!(!counts(root, target, Path::new(quiet)), "{quiet}");
        }
    }
}
