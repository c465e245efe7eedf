//! The controller driven through its channel, and the real watcher on temp
//! folders for each way files change in practice.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::{
    Controller, ListenChange, ReloadReport, ReloadState, StartListeners, Started, Trigger,
};
use crate::compile::compile_root;
use crate::doc::Document;
use crate::metrics::ReloadResult;
use crate::pipeline::Execution;
use crate::server::Gateway;
use crate::template::context::RequestInfo;

/// How long a watcher test waits for something that should happen.
const PATIENCE: Duration = Duration::from_secs(15);

fn greeter(word: &str) -> String {
    format!(
        "listen: {{ operation: get, object: Hello, output: json }}\nsteps:\n  - message: '\"{word}\"'\n  - return: {{}}\n"
    )
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

/// How a harness gives the controller its root.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Served {
    /// The folder itself.
    Folder,
    /// A symlink `current` to the folder, by its absolute path.
    Link,
    /// That symlink by a path relative to the working directory, as
    /// `flowgate serve gs/current` gives it.
    RelativeLink,
}

/// `path` (absolute) relative to the working directory, through `..`.
fn relative_to_cwd(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap();
    let up = cwd.components().skip(1).map(|_| Path::new(".."));
    let down = path.strip_prefix("/").unwrap();
    up.chain([down]).collect()
}

/// A served root and its controller, running.
struct Harness {
    _dir: tempfile::TempDir,
    root: PathBuf,
    gateway: Arc<Gateway>,
    state: Arc<ReloadState>,
    triggers: mpsc::UnboundedSender<Trigger>,
}

impl Harness {
    /// `settings` is the flowgate.toml; `link` serves the root through a symlink named `current`.
    fn start(settings: &str, watch: bool, link: bool) -> Harness {
        Harness::start_with(settings, &[], watch, link)
    }

    /// Like [`Harness::start`], with more files in the root.
    fn start_with(settings: &str, files: &[(&str, &str)], watch: bool, link: bool) -> Harness {
        let served = if link { Served::Link } else { Served::Folder };
        Harness::start_at(settings, files, watch, served)
    }

    /// Like [`Harness::start_with`], with the root given as `served` says.
    fn start_at(settings: &str, files: &[(&str, &str)], watch: bool, served: Served) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("rev-a");
        write(&real.join("flowgate.toml"), settings);
        for (path, text) in files {
            write(&real.join(path), text);
        }
        write(&real.join("processes/hello.yaml"), &greeter("first"));
        let root = match served {
            Served::Folder => real,
            Served::Link | Served::RelativeLink => {
                let link = dir.path().join("current");
                std::os::unix::fs::symlink(&real, &link).unwrap();
                if served == Served::RelativeLink {
                    relative_to_cwd(&link)
                } else {
                    link
                }
            }
        };
        let snapshot = compile_root(&root)
            .snapshot
            .expect("the first root compiles");
        let listeners = StartListeners::of(&snapshot.settings);
        let gateway = Gateway::new(snapshot);
        let state = Arc::new(ReloadState::default());
        let (triggers, receiver) = mpsc::unbounded_channel();
        let controller = Controller::new(
            root.clone(),
            gateway.clone(),
            state.clone(),
            triggers.clone(),
            listeners,
            watch,
        );
        tokio::spawn(controller.run(receiver));
        Harness {
            _dir: dir,
            root,
            gateway,
            state,
            triggers,
        }
    }

    /// A harness watching with a short debounce, so tests run quickly.
    fn watching() -> Harness {
        Harness::start("[reload]\ndebounce = \"50ms\"\n", true, false)
    }

    async fn reload(&self) -> ReloadReport {
        let (reply, report) = oneshot::channel();
        self.triggers.send(Trigger::Admin(reply)).unwrap();
        report.await.unwrap()
    }

    /// What the `hello` process of the live snapshot answers.
    async fn word(&self) -> String {
        let snapshot = self.gateway.snapshot();
        let id = snapshot.process_by_name("hello").expect("a hello process");
        let execution = Execution::new(
            snapshot,
            Arc::from("test"),
            Arc::new(RequestInfo::offline()),
        );
        let returned = execution
            .run(id, vec![Document::empty()])
            .await
            .expect("hello runs");
        returned.documents[0].text().into_owned()
    }

    async fn wait_for_generation(&self, generation: u64) {
        let deadline = Instant::now() + PATIENCE;
        while self.gateway.generation() < generation {
            assert!(
                Instant::now() < deadline,
                "generation {generation} never came; last reload: {:?}",
                self.state.last()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// How many reloads ended with `result`, by the metrics.
    fn reloads(&self, result: ReloadResult) -> u64 {
        let label = serde_json::to_value(result).unwrap();
        let line = format!(
            "flowgate_reloads_total{{result=\"{}\"}} ",
            label.as_str().unwrap()
        );
        let text = self.gateway.metrics().render();
        let count = text
            .lines()
            .find_map(|l| l.strip_prefix(line.as_str()))
            .expect("a reload counter");
        count.parse().unwrap()
    }

    /// Waits long enough for a change to have been noticed, then checks nothing reloaded.
    async fn assert_quiet(&self) {
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(
            self.state.last().is_none(),
            "no reload expected, got {:?}",
            self.state.last()
        );
        assert_eq!(self.gateway.generation(), 1);
    }
}

#[tokio::test]
async fn a_good_change_goes_live_with_the_next_generation() {
    let harness = Harness::start("", false, false);
    write(
        &harness.root.join("processes/hello.yaml"),
        &greeter("second"),
    );
    let report = harness.reload().await;
    assert_eq!(report.result, ReloadResult::Success);
    assert_eq!(report.generation, 2);
    assert_eq!(report.trigger, "admin");
    assert_eq!(harness.gateway.generation(), 2);
    assert_eq!(harness.word().await, "\"second\"");
}

#[tokio::test]
async fn a_bad_change_keeps_the_old_snapshot_serving() {
    let harness = Harness::start("", false, false);
    let before = harness.gateway.snapshot();
    write(&harness.root.join("processes/hello.yaml"), "steps: [");
    write(
        &harness.root.join("processes/other.yaml"),
        "steps:\n  - mesage: x\n",
    );
    let report = harness.reload().await;
    assert_eq!(report.result, ReloadResult::Failure);
    assert_eq!(report.generation, 1);
    let files: Vec<&str> = report
        .diagnostics
        .iter()
        .filter_map(|d| d.location.as_ref().map(|l| l.file.as_str()))
        .collect();
    assert_eq!(files, ["processes/hello.yaml", "processes/other.yaml"]);
    assert!(
        Arc::ptr_eq(&before, &harness.gateway.snapshot()),
        "the live snapshot did not change"
    );
    assert_eq!(harness.word().await, "\"first\"");
    assert_eq!(harness.state.last().unwrap().result, ReloadResult::Failure);
    // The next good save applies.
    std::fs::remove_file(harness.root.join("processes/other.yaml")).unwrap();
    write(
        &harness.root.join("processes/hello.yaml"),
        &greeter("fixed"),
    );
    assert_eq!(harness.reload().await.result, ReloadResult::Success);
    assert_eq!(harness.gateway.generation(), 2);
}

#[tokio::test]
async fn a_folder_that_cannot_be_read_keeps_the_old_snapshot_serving() {
    let harness = Harness::start("", false, false);
    write(
        &harness.root.join("processes/sub/other.yaml"),
        "steps:\n  - return: {}\n",
    );
    assert_eq!(harness.reload().await.result, ReloadResult::Success);
    let before = harness.gateway.snapshot();
    // What a folder that cannot be listed looks like to root, too: its
    // processes must not vanish with a reload that reports success.
    std::fs::remove_dir_all(harness.root.join("processes/sub")).unwrap();
    std::os::unix::fs::symlink("sub", harness.root.join("processes/sub")).unwrap();
    let report = harness.reload().await;
    assert_eq!(report.result, ReloadResult::Failure);
    let messages: Vec<&str> = report
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        messages,
        ["cannot be read: Too many levels of symbolic links (os error 40)"]
    );
    let files: Vec<String> = report
        .diagnostics
        .iter()
        .filter_map(|d| Some(d.location.as_ref()?.to_string()))
        .collect();
    assert_eq!(files, ["processes/sub"]);
    assert!(Arc::ptr_eq(&before, &harness.gateway.snapshot()));
}

#[tokio::test]
async fn a_vanished_processes_folder_keeps_the_old_snapshot_serving() {
    let harness = Harness::start("", false, false);
    let before = harness.gateway.snapshot();
    std::fs::remove_dir_all(harness.root.join("processes")).unwrap();
    let report = harness.reload().await;
    assert_eq!(report.result, ReloadResult::Failure);
    assert!(Arc::ptr_eq(&before, &harness.gateway.snapshot()));
    assert_eq!(harness.word().await, "\"first\"");
    // An empty folder is meant: it applies, with a warning.
    std::fs::create_dir(harness.root.join("processes")).unwrap();
    let report = harness.reload().await;
    assert_eq!(report.result, ReloadResult::Success);
    let messages: Vec<&str> = report
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(messages, ["the root has no processes: it serves no route"]);
    assert!(harness.gateway.snapshot().processes.is_empty());
}

#[tokio::test]
async fn reload_logs_leave_out_what_has_no_value() {
    let (sink, subscriber) = crate::logging::Sink::text_subscriber();
    // The test runtime runs the controller on this thread.
    let _default = tracing::subscriber::set_default(subscriber);
    let harness = Harness::start("", false, false);
    // Not a git checkout: a reload has no commit to log.
    write(
        &harness.root.join("processes/hello.yaml"),
        &greeter("second"),
    );
    assert_eq!(harness.reload().await.result, ReloadResult::Success);
    // A file that cannot be read is logged at its path.
    std::os::unix::fs::symlink("loop.yaml", harness.root.join("processes/loop.yaml")).unwrap();
    assert_eq!(harness.reload().await.result, ReloadResult::Failure);
    let text = sink.text();
    let line = |message: &str| {
        text.lines()
            .find(|line| line.contains(message))
            .unwrap_or_else(|| panic!("no `{message}` in:\n{text}"))
            .split_once(' ')
            .unwrap()
            .1
            .to_owned()
    };
    assert_eq!(
        line("INFO Reloaded"),
        "INFO Reloaded trigger=admin generation=2 files=2"
    );
    assert_eq!(
        line("cannot be read"),
        "ERROR cannot be read: Too many levels of symbolic links (os error 40) at=processes/loop.yaml"
    );
}

#[tokio::test]
async fn unchanged_content_keeps_the_generation() {
    let harness = Harness::start("", false, false);
    // Rewriting the same bytes, and files that do not count, change nothing.
    write(
        &harness.root.join("processes/hello.yaml"),
        &greeter("first"),
    );
    write(&harness.root.join("processes/.notes.yaml"), "scratch");
    write(&harness.root.join("README.md"), "notes");
    let report = harness.reload().await;
    assert_eq!(report.result, ReloadResult::Unchanged);
    assert_eq!(harness.gateway.generation(), 1);
}

#[tokio::test]
async fn a_later_commit_of_the_same_config_is_the_live_commit() {
    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";
    const C: &str = "3333333333333333333333333333333333333333";
    let harness = Harness::start("", false, false);
    let head = harness.root.join(".git/HEAD");
    let commit = || harness.state.commit(&harness.gateway.snapshot());
    write(&head, &format!("{A}\n"));
    assert_eq!(harness.reload().await.result, ReloadResult::Unchanged);
    assert_eq!(commit().as_deref(), Some(A), "the root became a checkout");
    // A commit that changed only notes: the same config, and generation, at B.
    write(&head, &format!("{B}\n"));
    write(&harness.root.join("NOTES.md"), "notes");
    assert_eq!(harness.reload().await.result, ReloadResult::Unchanged);
    assert_eq!(harness.gateway.generation(), 1);
    assert_eq!(commit().as_deref(), Some(B));
    // A commit that changes the config is compiled from: its own.
    write(&head, &format!("{C}\n"));
    write(
        &harness.root.join("processes/hello.yaml"),
        &greeter("second"),
    );
    assert_eq!(harness.reload().await.result, ReloadResult::Success);
    assert_eq!(harness.gateway.snapshot().meta.commit.as_deref(), Some(C));
    assert_eq!(commit().as_deref(), Some(C));
}

#[tokio::test]
async fn queued_triggers_make_one_reload() {
    let harness = Harness::start("", false, false);
    write(
        &harness.root.join("processes/hello.yaml"),
        &greeter("second"),
    );
    for _ in 0..20 {
        harness.triggers.send(Trigger::Watch).unwrap();
    }
    let report = harness.reload().await;
    // The watch triggers may have started a reload before the admin one was
    // queued; at most that one and the admin's run, and only one changes anything.
    assert!(matches!(
        report.result,
        ReloadResult::Success | ReloadResult::Unchanged
    ));
    assert_eq!(harness.gateway.generation(), 2);
    let text = harness.gateway.metrics().render();
    let reloads: u64 = text
        .lines()
        .filter(|l| l.starts_with("flowgate_reloads_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum();
    assert!(reloads <= 2, "{reloads} reloads for 21 triggers");
}

#[tokio::test]
async fn a_changed_listener_is_reported_and_the_rest_applies() {
    let harness = Harness::start("[server]\nlisten = \"127.0.0.1:9090\"\n", false, false);
    write(
        &harness.root.join("flowgate.toml"),
        "[server]\nlisten = \"127.0.0.1:9999\"\n[vars]\nx = 1\n",
    );
    let report = harness.reload().await;
    assert_eq!(report.result, ReloadResult::Success);
    let pending = harness.state.pending_restart();
    assert_eq!(
        pending,
        [
            "[server] listen changed from 127.0.0.1:9090 to 127.0.0.1:9999; it applies after a restart (the listener is on 127.0.0.1:9090 until then)"
        ]
    );
    assert_eq!(
        harness
            .gateway
            .snapshot()
            .settings
            .vars
            .get_attr("x")
            .unwrap()
            .as_i64(),
        Some(1)
    );
}

#[tokio::test]
async fn a_listen_key_that_a_flag_overrides_is_reported_as_overridden() {
    let settings = |listen: &str, admin: &str| {
        let text = format!("[server]\nlisten = \"{listen}\"\n[admin]\nlisten = \"{admin}\"\n");
        crate::compile::compile_files(&[("flowgate.toml", &text)])
            .snapshot
            .expect("compiles")
    };
    let gateway = Gateway::new(settings("127.0.0.1:9090", "127.0.0.1:9091"));
    let (triggers, _receiver) = mpsc::unbounded_channel();
    // serve --listen 127.0.0.1:19140 --admin-listen '' with [admin] listen
    // in the file; no flag for HTTPS.
    let started_with = StartListeners {
        public: Started {
            bound: Some("127.0.0.1:19140".parse().unwrap()),
            flag: Some("--listen"),
        },
        admin: Started {
            bound: None,
            flag: Some("--admin-listen"),
        },
        ..StartListeners::default()
    };
    let controller = Controller::new(
        PathBuf::from("."),
        gateway,
        Arc::new(ReloadState::default()),
        triggers,
        started_with,
        false,
    );
    let changes = controller.listen_changes(&settings("127.0.0.1:9999", "127.0.0.1:9998").settings);
    assert_eq!(
        changes,
        [
            ListenChange {
                message: "[server] listen changed from 127.0.0.1:9090 to 127.0.0.1:9999, but --listen overrides it: the listener is on 127.0.0.1:19140, also after a restart with --listen".to_owned(),
                pending: false,
            },
            ListenChange {
                message: "[admin] listen changed from 127.0.0.1:9091 to 127.0.0.1:9998, but --admin-listen overrides it: the listener is off, also after a restart with --admin-listen".to_owned(),
                pending: false,
            },
        ]
    );
    controller.note_restart_changes(&settings("127.0.0.1:9999", "127.0.0.1:9998").settings);
    assert!(controller.state.pending_restart().is_empty());
}

#[tokio::test]
async fn a_changed_store_path_is_reported_and_the_rest_applies() {
    let harness = Harness::start("[executions]\npath = \"records/a.db\"\n", false, false);
    write(
        &harness.root.join("flowgate.toml"),
        "[executions]\npath = \"records/b.db\"\nretention = \"1d\"\n",
    );
    let report = harness.reload().await;
    assert_eq!(report.result, ReloadResult::Success);
    let pending = harness.state.pending_restart();
    assert_eq!(
        pending,
        ["[executions] path changed from records/a.db to records/b.db; it applies after a restart"]
    );
    let executions = harness.gateway.snapshot().settings.executions.clone();
    assert_eq!(executions.retention, Duration::from_secs(86400));
}

#[tokio::test]
async fn watcher_sees_in_place_writes() {
    let harness = Harness::watching();
    write(
        &harness.root.join("processes/hello.yaml"),
        &greeter("second"),
    );
    harness.wait_for_generation(2).await;
    assert_eq!(harness.state.last().unwrap().trigger, "watch");
}

#[tokio::test]
async fn watcher_sees_editors_that_rename_a_temporary_file() {
    let harness = Harness::watching();
    let temp = harness.root.join("processes/.hello.yaml.tmp");
    write(&temp, &greeter("renamed"));
    std::fs::rename(&temp, harness.root.join("processes/hello.yaml")).unwrap();
    harness.wait_for_generation(2).await;
}

#[tokio::test]
async fn watcher_sees_delete_and_recreate() {
    let harness = Harness::watching();
    let path = harness.root.join("processes/hello.yaml");
    std::fs::remove_file(&path).unwrap();
    harness.wait_for_generation(2).await;
    assert!(
        harness
            .gateway
            .snapshot()
            .process_by_name("hello")
            .is_none()
    );
    write(&path, &greeter("back"));
    harness.wait_for_generation(3).await;
    assert!(
        harness
            .gateway
            .snapshot()
            .process_by_name("hello")
            .is_some()
    );
}

#[tokio::test]
async fn watcher_sees_new_subfolders() {
    let harness = Harness::watching();
    write(
        &harness.root.join("processes/team/deep/extra.yaml"),
        "steps: []\n",
    );
    harness.wait_for_generation(2).await;
    assert!(
        harness
            .gateway
            .snapshot()
            .process_by_name("extra")
            .is_some()
    );
    // And files written into that new folder later.
    write(
        &harness.root.join("processes/team/deep/more.yaml"),
        "steps: []\n",
    );
    harness.wait_for_generation(3).await;
}

#[tokio::test]
async fn a_checkout_of_many_files_is_one_reload() {
    let harness = Harness::watching();
    for n in 0..50 {
        write(
            &harness.root.join(format!("processes/p{n}.yaml")),
            "steps: []\n",
        );
    }
    harness.wait_for_generation(2).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        harness.gateway.generation(),
        2,
        "fifty files, one new generation"
    );
    assert_eq!(harness.gateway.snapshot().processes.len(), 51);
}

#[tokio::test]
async fn hidden_folders_and_editor_files_never_reload() {
    let harness = Harness::watching();
    write(&harness.root.join(".git/index"), "x");
    write(&harness.root.join(".flowgate/executions.db"), "x");
    write(&harness.root.join("processes/.hello.yaml.swp"), "x");
    write(&harness.root.join("processes/hello.yaml~"), "x");
    harness.assert_quiet().await;
}

#[tokio::test]
async fn a_swapped_symlink_root_is_followed() {
    let harness = Harness::start("[reload]\ndebounce = \"50ms\"\n", true, true);
    swap_the_link_and_edit(&harness).await;
}

#[tokio::test]
async fn a_swapped_symlink_root_given_by_a_relative_path_is_followed() {
    let harness = Harness::start_at(
        "[reload]\ndebounce = \"50ms\"\n",
        &[],
        true,
        Served::RelativeLink,
    );
    assert!(harness.root.is_relative());
    swap_the_link_and_edit(&harness).await;
}

/// git-sync's swap of the root link for a new revision, then an edit
/// inside it: a reload each.
async fn swap_the_link_and_edit(harness: &Harness) {
    let parent = harness.root.parent().unwrap().to_path_buf();
    let rev_b = parent.join("rev-b");
    write(
        &rev_b.join("flowgate.toml"),
        "[reload]\ndebounce = \"50ms\"\n",
    );
    write(&rev_b.join("processes/hello.yaml"), &greeter("rev-b"));
    write(&rev_b.join("processes/only-in-b.yaml"), "steps: []\n");
    // git-sync: ln -sfn rev-b tmp && mv -T tmp current
    let tmp = parent.join("tmp-link");
    std::os::unix::fs::symlink(&rev_b, &tmp).unwrap();
    std::fs::rename(&tmp, &harness.root).unwrap();
    harness.wait_for_generation(2).await;
    assert!(
        harness
            .gateway
            .snapshot()
            .process_by_name("only-in-b")
            .is_some()
    );
    assert_eq!(harness.word().await, "\"rev-b\"");
    // Edits inside the new target are seen too.
    write(&rev_b.join("processes/later.yaml"), "steps: []\n");
    harness.wait_for_generation(3).await;
    assert!(
        harness
            .gateway
            .snapshot()
            .process_by_name("later")
            .is_some()
    );
}

#[tokio::test]
async fn a_root_folder_made_again_is_watched_again() {
    let harness = Harness::watching();
    let saved = harness.root.with_extension("saved");
    std::fs::rename(&harness.root, &saved).unwrap();
    std::fs::create_dir_all(harness.root.join("processes")).unwrap();
    std::fs::copy(
        saved.join("flowgate.toml"),
        harness.root.join("flowgate.toml"),
    )
    .unwrap();
    write(
        &harness.root.join("processes/hello.yaml"),
        &greeter("again"),
    );
    // The OS watch went with the old folder: a manual reload picks the new one up…
    assert_eq!(harness.reload().await.result, ReloadResult::Success);
    assert_eq!(harness.word().await, "\"again\"");
    // …and from then on its files are watched.
    write(
        &harness.root.join("processes/hello.yaml"),
        &greeter("watched"),
    );
    harness.wait_for_generation(3).await;
    assert_eq!(harness.word().await, "\"watched\"");
}

#[tokio::test]
async fn polling_when_asked() {
    let harness = Harness::start(
        "[reload]\ndebounce = \"50ms\"\npoll = \"100ms\"\n",
        true,
        false,
    );
    assert_eq!(harness.state.watching(), "polling every 100ms");
    write(
        &harness.root.join("processes/hello.yaml"),
        &greeter("polled"),
    );
    harness.wait_for_generation(2).await;
}

const HTTPS: &str = "[server.https]\nlisten = \"127.0.0.1:9443\"\ncert = \"certs/server.pem\"\nkey = \"certs/server.key\"\n";

/// The SHA-256 of `path` in the live snapshot's files.
fn digest(gateway: &Gateway, path: &str) -> Option<String> {
    let snapshot = gateway.snapshot();
    let file = snapshot.meta.files.iter().find(|f| f.path == path)?;
    Some(file.sha256.clone())
}

#[tokio::test]
async fn a_new_certificate_alone_is_a_change() {
    let ca = crate::test_pki::Ca::new("test CA");
    let first = ca.server("first");
    let harness = Harness::start_with(
        HTTPS,
        &[
            ("certs/server.pem", &first.cert),
            ("certs/server.key", &first.key),
        ],
        false,
        false,
    );
    let before = digest(&harness.gateway, "certs/server.pem").expect("the certificate counts");

    let second = ca.server("second");
    write(&harness.root.join("certs/server.pem"), &second.cert);
    write(&harness.root.join("certs/server.key"), &second.key);
    let report = harness.reload().await;
    assert_eq!(
        report.result,
        ReloadResult::Success,
        "{:?}",
        report.diagnostics
    );
    assert_eq!(harness.gateway.generation(), 2);
    assert_ne!(digest(&harness.gateway, "certs/server.pem"), Some(before));

    // A key that is not the certificate's keeps the old snapshot serving.
    let live = harness.gateway.snapshot();
    write(&harness.root.join("certs/server.key"), &first.key);
    let report = harness.reload().await;
    assert_eq!(report.result, ReloadResult::Failure);
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| d.message.contains("does not belong to the certificate")),
        "{:?}",
        report.diagnostics
    );
    assert!(Arc::ptr_eq(&live, &harness.gateway.snapshot()));
}

#[tokio::test]
async fn a_certificate_outside_the_root_is_read_on_every_reload() {
    let ca = crate::test_pki::Ca::new("test CA");
    let first = ca.server("first");
    let outside = tempfile::tempdir().unwrap();
    let cert = outside.path().join("server.pem");
    let key = outside.path().join("server.key");
    write(&cert, &first.cert);
    write(&key, &first.key);
    let settings = format!(
        "[server.https]\nlisten = \"127.0.0.1:9443\"\ncert = \"{}\"\nkey = \"{}\"\n",
        cert.display(),
        key.display()
    );
    let harness = Harness::start(&settings, false, false);
    let shown = cert.display().to_string();
    let before =
        digest(&harness.gateway, &shown).expect("the certificate counts by its absolute path");

    let second = ca.server("second");
    write(&cert, &second.cert);
    write(&key, &second.key);
    let report = harness.reload().await;
    assert_eq!(
        report.result,
        ReloadResult::Success,
        "{:?}",
        report.diagnostics
    );
    assert_ne!(digest(&harness.gateway, &shown), Some(before));
}

#[tokio::test]
async fn a_changed_https_listener_is_reported() {
    let ca = crate::test_pki::Ca::new("test CA");
    let server = ca.server("flowgate test");
    let files = [
        ("certs/server.pem", server.cert.as_str()),
        ("certs/server.key", server.key.as_str()),
    ];
    let harness = Harness::start_with(HTTPS, &files, false, false);
    write(
        &harness.root.join("flowgate.toml"),
        &HTTPS.replace("127.0.0.1:9443", "127.0.0.1:9444"),
    );
    assert_eq!(harness.reload().await.result, ReloadResult::Success);
    assert_eq!(
        harness.state.pending_restart(),
        [
            "[server.https] listen changed from 127.0.0.1:9443 to 127.0.0.1:9444; it applies after a restart (the listener is on 127.0.0.1:9443 until then)"
        ]
    );
}

#[tokio::test]
async fn the_watcher_sees_a_new_certificate() {
    let ca = crate::test_pki::Ca::new("test CA");
    let first = ca.server("first");
    let settings = format!("[reload]\ndebounce = \"50ms\"\n{HTTPS}");
    let harness = Harness::start_with(
        &settings,
        &[
            ("certs/server.pem", &first.cert),
            ("certs/server.key", &first.key),
        ],
        true,
        false,
    );
    let second = ca.server("second");
    // The key first: until the certificate follows, the pair does not
    // match and the reload that may run in between keeps the old one.
    write(&harness.root.join("certs/server.key"), &second.key);
    write(&harness.root.join("certs/server.pem"), &second.cert);
    harness.wait_for_generation(2).await;
    assert_eq!(harness.state.last().unwrap().trigger, "watch");
}

#[tokio::test]
async fn the_watcher_sees_a_certificate_outside_the_root_renewed() {
    // As certbot renews: new files in an archive folder, and the links the
    // config names, in another folder, replaced to point at them.
    let ca = crate::test_pki::Ca::new("test CA");
    let outside = tempfile::tempdir().unwrap();
    let (archive, live) = (outside.path().join("archive"), outside.path().join("live"));
    let link = |name: &str, file: &str| {
        let temp = live.join(format!("{name}.new"));
        std::os::unix::fs::symlink(archive.join(file), &temp).unwrap();
        std::fs::rename(&temp, live.join(name)).unwrap();
    };
    let first = ca.server("first");
    write(&archive.join("server1.pem"), &first.cert);
    write(&archive.join("server1.key"), &first.key);
    std::fs::create_dir_all(&live).unwrap();
    link("server.pem", "server1.pem");
    link("server.key", "server1.key");
    let cert = live.join("server.pem");
    let settings = format!(
        "[reload]\ndebounce = \"50ms\"\n[server.https]\nlisten = \"127.0.0.1:9443\"\ncert = \"{}\"\nkey = \"{}\"\n",
        cert.display(),
        live.join("server.key").display()
    );
    let harness = Harness::start(&settings, true, false);
    let shown = cert.display().to_string();
    let before = digest(&harness.gateway, &shown).expect("the certificate counts");

    // Files written beside it that nobody names never reload.
    write(&live.join("README"), "x");
    write(&archive.join("server9.pem"), "x");
    harness.assert_quiet().await;

    let second = ca.server("second");
    write(&archive.join("server2.pem"), &second.cert);
    write(&archive.join("server2.key"), &second.key);
    // The key first: until the certificate follows, the pair does not
    // match and a reload that runs in between keeps the old one.
    link("server.key", "server2.key");
    link("server.pem", "server2.pem");
    harness.wait_for_generation(2).await;
    assert_ne!(digest(&harness.gateway, &shown), Some(before));
    assert_eq!(harness.state.last().unwrap().trigger, "watch");
}

#[tokio::test]
async fn writes_beside_the_config_never_reload() {
    let harness = Harness::watching();
    // A log kept in the root, notes, and files in the walked folders that
    // the loader does not read.
    for n in 0..5 {
        write(
            &harness.root.join("flowgate.log"),
            &"a line\n".repeat(n + 1),
        );
    }
    write(&harness.root.join("NOTES.md"), "x");
    write(&harness.root.join("samples/order.json"), "{}");
    write(&harness.root.join("processes/README.md"), "x");
    harness.assert_quiet().await;
}

#[tokio::test]
async fn a_process_copied_before_the_one_it_calls_is_one_good_reload() {
    // The quiet period covers the whole root: the caller lands first, the
    // process it calls a moment later, and the reload sees both.
    let harness = Harness::start("[reload]\ndebounce = \"2s\"\n", true, false);
    write(
        &harness.root.join("processes/caller.yaml"),
        "steps:\n  - call: q-new\n  - return: {}\n",
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    write(
        &harness.root.join("processes/q-new.yaml"),
        "steps:\n  - return: {}\n",
    );
    harness.wait_for_generation(2).await;
    assert_eq!(harness.state.last().unwrap().result, ReloadResult::Success);
    assert_eq!(harness.reloads(ReloadResult::Failure), 0);
    assert_eq!(harness.reloads(ReloadResult::Success), 1);
}

#[tokio::test]
async fn a_missing_file_a_test_names_is_watched_for() {
    let harness = Harness::watching();
    write(
        &harness.root.join("processes/sampled.yaml"),
        "listen: { operation: create, object: Sample, input: json, output: json }\n\
         steps:\n  - return: {}\n\
         tests:\n  - name: takes the sample\n    request: { body_file: samples/order.json }\n    expect: { status: 200 }\n",
    );
    let deadline = Instant::now() + PATIENCE;
    while harness
        .state
        .last()
        .is_none_or(|r| r.result != ReloadResult::Failure)
    {
        assert!(
            Instant::now() < deadline,
            "the missing sample never failed a reload"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Outside processes/ and profiles/, but named: its arrival reloads.
    write(&harness.root.join("samples/order.json"), "{}");
    harness.wait_for_generation(2).await;
    assert!(
        harness
            .gateway
            .snapshot()
            .process_by_name("sampled")
            .is_some()
    );
}
