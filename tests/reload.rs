//! End to end: the real binary reloading while it serves.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use serde_json::Value;
use support::{Server, client};

fn version(n: u64) -> String {
    format!(
        "listen: {{ operation: get, object: Version, output: json }}\nsteps:\n  - message: '{{\"version\": {n}}}'\n  - return: {{}}\n"
    )
}

/// Writes a root at `at`: `settings` as its flowgate.toml and
/// `process` as its `processes/version.yaml`; gives that file's path.
fn version_root(at: &Path, settings: &str, process: &str) -> PathBuf {
    std::fs::create_dir_all(at.join("processes")).unwrap();
    std::fs::write(at.join("flowgate.toml"), settings).unwrap();
    let file = at.join("processes/version.yaml");
    std::fs::write(&file, process).unwrap();
    file
}

fn write_atomically(path: &Path, text: &str) {
    let temp = path.with_extension("yaml.tmp");
    std::fs::write(&temp, text).unwrap();
    std::fs::rename(&temp, path).unwrap();
}

/// One keep-alive connection, requests one after another, until told to stop.
/// Every answer's version is recorded; any failure, including the connection
/// being closed, is counted.
async fn keep_alive_client(
    addr: String,
    stop: Arc<AtomicBool>,
    failures: Arc<AtomicU64>,
) -> (u64, BTreeSet<u64>) {
    let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    let mut seen = BTreeSet::new();
    let mut count = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    // Bounded in count and time.
    while !stop.load(Ordering::Relaxed) && count < 200_000 && Instant::now() < deadline {
        let request = http::Request::get("/ws/simple/getVersion")
            .header("host", &addr)
            .body(Empty::<Bytes>::new())
            .unwrap();
        count += 1;
        let response = match sender.send_request(request).await {
            Ok(response) => response,
            Err(_) => {
                failures.fetch_add(1, Ordering::Relaxed);
                break;
            }
        };
        if response.status() != 200 {
            failures.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let body = response.into_body().collect().await.unwrap().to_bytes();
        match serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v["version"].as_u64())
        {
            Some(v) => {
                seen.insert(v);
            }
            None => {
                failures.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    (count, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_never_fail_while_the_root_changes_fifty_times() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let process = version_root(root, "[reload]\ndebounce = \"20ms\"\n", &version(0));
    let server = Server::start(root);
    let addr = server.base.trim_start_matches("http://").to_owned();

    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            tokio::spawn(keep_alive_client(
                addr.clone(),
                stop.clone(),
                failures.clone(),
            ))
        })
        .collect();

    // Fifty rewrites, alternating a valid version and a broken file, in place
    // and by rename; only the valid ones may ever answer.
    let mut valid = BTreeSet::from([0]);
    for n in 1..=50u64 {
        let text = if n % 2 == 0 {
            valid.insert(n);
            version(n)
        } else {
            "listen: { operation: get, object: Version, output: json }\nsteps: [\n".to_owned()
        };
        if n % 4 < 2 {
            std::fs::write(&process, text).unwrap();
        } else {
            write_atomically(&process, &text);
        }
        tokio::time::sleep(Duration::from_millis(80)).await;
    }
    // The last write was valid: wait until it serves, then stop the clients.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let body: Value = server
            .get("/ws/simple/getVersion", &[])
            .await
            .json()
            .await
            .unwrap();
        if body["version"] == 50 {
            break;
        }
        assert!(Instant::now() < deadline, "version 50 never went live");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);

    let mut total = 0;
    let mut seen = BTreeSet::new();
    for client in clients {
        let (count, versions) = client.await.unwrap();
        total += count;
        seen.extend(versions);
    }
    assert_eq!(
        failures.load(Ordering::Relaxed),
        0,
        "failed requests out of {total}"
    );
    assert!(
        seen.is_subset(&valid),
        "answers from versions that never compiled: {:?}",
        seen.difference(&valid)
    );
    assert!(
        seen.len() >= 3,
        "the clients saw the config change under them: {seen:?}"
    );

    let config = server.config().await;
    assert!(config["generation"].as_u64().unwrap() >= 3, "{config}");
    let metrics = server.metrics().await;
    assert!(
        !metrics.contains("flowgate_reloads_total{result=\"failure\"} 0\n"),
        "{metrics}"
    );
}

#[tokio::test]
async fn admin_api_and_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // Polling rarely: the changes below are applied by SIGHUP and POST /reload, not the watcher.
    version_root(root, "[reload]\npoll = \"1h\"\n", &version(1));
    let commit = "0123456789abcdef0123456789abcdef01234567";
    std::fs::create_dir_all(root.join(".git/refs/heads")).unwrap();
    std::fs::write(root.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::write(root.join(".git/refs/heads/main"), format!("{commit}\n")).unwrap();
    let server = Server::start(root);
    let http = client();

    let config = server.config().await;
    assert_eq!(config["generation"], 1);
    assert_eq!(config["commit"], commit);
    assert_eq!(config["watching"], "polling every 3600s");
    let files: Vec<&str> = config["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["flowgate.toml", "processes/version.yaml"]);
    assert_eq!(config["files"][1]["sha256"].as_str().unwrap().len(), 64);

    // A broken save: POST /reload reports it with its position, the old version serves.
    std::fs::write(
        root.join("processes/version.yaml"),
        "steps:\n  - mesage: x\n",
    )
    .unwrap();
    let response = http.post(server.admin_url("/reload")).send().await.unwrap();
    assert_eq!(response.status(), 422);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["result"], "failure");
    assert_eq!(report["diagnostics"][0]["file"], "processes/version.yaml");
    assert_eq!(report["diagnostics"][0]["line"], 2);
    assert_eq!(report["diagnostics"][0]["column"], 5);
    let body: Value = server
        .get("/ws/simple/getVersion", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["version"], 1);
    let config = server.config().await;
    assert_eq!(config["last_reload"]["result"], "failure");
    assert_eq!(
        config["last_reload"]["diagnostics"][0]["message"],
        "unknown step `mesage`"
    );

    // SIGHUP applies the next good save.
    std::fs::write(root.join("processes/version.yaml"), version(2)).unwrap();
    let status = std::process::Command::new("kill")
        .args(["-HUP", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let body: Value = server
            .get("/ws/simple/getVersion", &[])
            .await
            .json()
            .await
            .unwrap();
        if body["version"] == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "SIGHUP did not reload");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let config = server.config().await;
    assert_eq!(config["generation"], 2);
    assert_eq!(config["last_reload"]["trigger"], "signal");

    // Nothing changed: POST /reload leaves the generation.
    let report: Value = http
        .post(server.admin_url("/reload"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["result"], "unchanged");
    assert_eq!(report["generation"], 2);

    let metrics = server.metrics().await;
    for expected in [
        "flowgate_reloads_total{result=\"success\"} 1\n",
        "flowgate_reloads_total{result=\"failure\"} 1\n",
        "flowgate_reloads_total{result=\"unchanged\"} 1\n",
        "flowgate_config_generation 2\n",
        "flowgate_http_requests_total{process=\"version\",status=\"200\"}",
        "flowgate_http_request_duration_seconds_bucket{process=\"version\",le=\"+Inf\"}",
    ] {
        assert!(metrics.contains(expected), "{expected} in\n{metrics}");
    }

    // The admin listener is not the public one, and the other way round.
    assert_eq!(
        http.get(server.url("/config"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        http.get(server.admin_url("/ws/simple/getVersion"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        http.get(server.admin_url("/reload"))
            .send()
            .await
            .unwrap()
            .status(),
        405
    );
}

/// Allowed one core, flowgate serves on its single-threaded runtime: it
/// answers, checks a password off the request path, and reloads a saved file.
#[tokio::test]
async fn a_server_on_one_core_serves_and_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let hash = support::hash_password("secret");
    let basic = |n: u64| version(n).replacen("steps:", "access: { auth: [basic] }\nsteps:", 1);
    let process = version_root(
        root,
        &format!("[reload]\ndebounce = \"20ms\"\n\n[users.ada]\npassword_hash = \"{hash}\"\n"),
        &basic(1),
    );
    let log_path = root.join("flowgate.log");
    let server = Server::start_on_one_core(root, "info", std::fs::File::create(&log_path).unwrap());

    let http = client();
    let get = || {
        http.get(server.url("/ws/simple/getVersion"))
            .basic_auth("ada", Some("secret"))
            .send()
    };
    let body: Value = get().await.unwrap().json().await.unwrap();
    assert_eq!(body["version"], 1);
    let refused = http
        .get(server.url("/ws/simple/getVersion"))
        .basic_auth("ada", Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    write_atomically(&process, &basic(2));
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let body: Value = get().await.unwrap().json().await.unwrap();
        if body["version"] == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "version 2 never went live");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Logged when serving starts, before any of the answers above.
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log.contains(" Serving ") && log.contains("workers=1"),
        "{log}"
    );
}

/// The version `getVersion` answers.
async fn served_version(server: &Server) -> Value {
    let body: Value = server
        .get("/ws/simple/getVersion", &[])
        .await
        .json()
        .await
        .unwrap();
    body["version"].clone()
}

/// How many reloads ended with `result`, by `/metrics`.
async fn reloads(server: &Server, result: &str) -> u64 {
    let line = format!("flowgate_reloads_total{{result=\"{result}\"}} ");
    let metrics = server.metrics().await;
    let count = metrics
        .lines()
        .find_map(|l| l.strip_prefix(line.as_str()))
        .expect("a reload counter");
    count.parse().unwrap()
}

/// git-sync's layout, served as `cd gs && flowgate serve current`: the link
/// swapped for a new revision is followed, and so are edits inside it.
#[tokio::test]
async fn a_root_given_as_a_relative_symlink_follows_its_swaps() {
    let dir = tempfile::tempdir().unwrap();
    let gs = dir.path();
    for (revision, n) in [("rev-a", 1), ("rev-b", 2)] {
        version_root(
            &gs.join(revision),
            "[reload]\ndebounce = \"50ms\"\n",
            &version(n),
        );
    }
    std::os::unix::fs::symlink("rev-a", gs.join("current")).unwrap();
    let log = std::fs::File::create(gs.join("flowgate.log")).unwrap();
    let server = Server::start_in(gs, Path::new("current"), "info", log);
    assert_eq!(served_version(&server).await, 1);

    // ln -sfn rev-b tmp && mv -T tmp current
    std::os::unix::fs::symlink("rev-b", gs.join("tmp")).unwrap();
    std::fs::rename(gs.join("tmp"), gs.join("current")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while served_version(&server).await != 2 {
        assert!(Instant::now() < deadline, "the new target was never served");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    write_atomically(&gs.join("rev-b/processes/version.yaml"), &version(3));
    while served_version(&server).await != 3 {
        assert!(
            Instant::now() < deadline,
            "an edit in the new target was never served"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `flowgate serve . > flowgate.log 2>&1` inside the root: the log it
/// writes is no change of the config, so a bad save fails once, not at
/// every line logged about it, and requests cause no reload.
#[tokio::test]
async fn the_servers_own_log_in_the_root_never_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    version_root(root, "[reload]\ndebounce = \"50ms\"\n", &version(1));
    let log = std::fs::File::create(root.join("flowgate.log")).unwrap();
    let server = Server::start_in(root, Path::new("."), "debug", log);

    for _ in 0..20 {
        assert_eq!(served_version(&server).await, 1);
    }
    // Long enough for a reload the log would have caused to have run.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(server.config().await["last_reload"], Value::Null);

    write_atomically(
        &root.join("processes/version.yaml"),
        "steps:\n  - mesage: x\n",
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    while reloads(&server, "failure").await == 0 {
        assert!(
            Instant::now() < deadline,
            "the bad save never failed a reload"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        reloads(&server, "failure").await,
        1,
        "one bad save, one failure"
    );
    assert_eq!(reloads(&server, "unchanged").await, 0);
    assert!(
        std::fs::read_to_string(root.join("flowgate.log"))
            .unwrap()
            .contains("Reload failed")
    );
}
