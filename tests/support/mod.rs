//! Starting the real `flowgate` binary for end-to-end tests.

#![allow(dead_code)]

pub mod tls;

use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a server may take to compile its root and start listening.
const START_TIMEOUT: Duration = Duration::from_secs(30);

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_flowgate")
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A `flowgate serve` on 127.0.0.1 with free ports, stopped when dropped.
pub struct Server {
    child: Child,
    /// The plain listener's base URL; empty when it is off.
    pub base: String,
    /// The admin listener's base URL.
    pub admin: String,
    /// The HTTPS listener's base URL, when the root has `[server.https]`.
    pub https: Option<String>,
}

/// Which public listeners a test server runs, each on a free port.
#[derive(Clone, Copy)]
pub struct Listeners {
    /// `--listen 127.0.0.1:0`; without it the root's `[server] listen`
    /// holds, which a test sets to `""`.
    pub plain: bool,
    /// `--https-listen 127.0.0.1:0`; the root needs `[server.https]`.
    pub https: bool,
}

/// The plain listener only.
const PLAIN: Listeners = Listeners {
    plain: true,
    https: false,
};

impl Server {
    pub fn start(root: &Path) -> Server {
        Server::start_with(root, PLAIN)
    }

    /// Like [`Server::start`], logging at `level` into `log`.
    pub fn start_logging(root: &Path, level: &str, log: std::fs::File) -> Server {
        Server::spawn(root, PLAIN, level, Stdio::from(log))
    }

    /// The plain and the HTTPS listener of a root with `[server.https]`.
    pub fn start_https(root: &Path) -> Server {
        Server::start_with(
            root,
            Listeners {
                plain: true,
                https: true,
            },
        )
    }

    pub fn start_with(root: &Path, listeners: Listeners) -> Server {
        Server::spawn(root, listeners, "warn", Stdio::null())
    }

    /// Like [`Server::start_logging`], with flowgate allowed one core only
    /// (`taskset -c 0`), so it serves with its single-threaded runtime.
    pub fn start_on_one_core(root: &Path, level: &str, log: std::fs::File) -> Server {
        Server::spawn_with(
            &["taskset", "-c", "0", binary()],
            None,
            root,
            PLAIN,
            level,
            Stdio::from(log),
        )
    }

    /// Like [`Server::start_logging`], run in the folder `cwd`, where
    /// `root` may be a relative path.
    pub fn start_in(cwd: &Path, root: &Path, level: &str, log: std::fs::File) -> Server {
        Server::spawn_with(&[binary()], Some(cwd), root, PLAIN, level, Stdio::from(log))
    }

    fn spawn(root: &Path, listeners: Listeners, level: &str, stderr: Stdio) -> Server {
        Server::spawn_with(&[binary()], None, root, listeners, level, stderr)
    }

    /// Runs `command` (the binary, or a launcher and the binary) with the
    /// arguments of `flowgate serve` (in `cwd` when given), and waits until it listens.
    fn spawn_with(
        command: &[&str],
        cwd: Option<&Path>,
        root: &Path,
        listeners: Listeners,
        level: &str,
        stderr: Stdio,
    ) -> Server {
        let mut args: Vec<String> = command[1..].iter().map(|arg| arg.to_string()).collect();
        args.extend([
            "serve".to_owned(),
            root.to_string_lossy().into_owned(),
            "--admin-listen".to_owned(),
            "127.0.0.1:0".to_owned(),
        ]);
        if listeners.plain {
            args.extend(["--listen".to_owned(), "127.0.0.1:0".to_owned()]);
        }
        if listeners.https {
            args.extend(["--https-listen".to_owned(), "127.0.0.1:0".to_owned()]);
        }
        let mut command = Command::new(command[0]);
        if let Some(cwd) = cwd {
            command.current_dir(cwd);
        }
        let mut child = command
            .args(&args)
            .env("RUST_LOG", level)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("flowgate starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                for (prefix, kind) in [
                    ("flowgate admin listening on ", "admin"),
                    ("flowgate https listening on ", "https"),
                    ("flowgate listening on ", "plain"),
                ] {
                    if let Some(url) = line.strip_prefix(prefix) {
                        let _ = tx.send((kind, url.trim().to_owned()));
                    }
                }
            }
        });
        let mut server = Server {
            child,
            base: String::new(),
            admin: String::new(),
            https: None,
        };
        let deadline = std::time::Instant::now() + START_TIMEOUT;
        // Ready when every listener asked for has printed its line; the
        // admin line comes first.
        while server.admin.is_empty()
            || (listeners.plain && server.base.is_empty())
            || (listeners.https && server.https.is_none())
        {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(("admin", url)) => server.admin = url,
                Ok(("https", url)) => server.https = Some(url),
                Ok((_, url)) => server.base = url,
                Err(_) => {
                    let _ = server.child.kill();
                    panic!("flowgate did not start listening within {START_TIMEOUT:?}");
                }
            }
        }
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn https_url(&self, path: &str) -> String {
        format!(
            "{}{path}",
            self.https.as_deref().expect("an HTTPS listener")
        )
    }

    pub fn admin_url(&self, path: &str) -> String {
        format!("{}{path}", self.admin)
    }

    /// GETs `path` with these headers; the response, whatever its status.
    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = client().get(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("the server answers")
    }

    /// POSTs `body` to `path` as `content_type`; the response, whatever its status.
    pub async fn post(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        client()
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("the server answers")
    }

    /// `GET /config` of the admin listener.
    pub async fn config(&self) -> serde_json::Value {
        client()
            .get(self.admin_url("/config"))
            .send()
            .await
            .expect("the admin listener answers")
            .json()
            .await
            .expect("/config is JSON")
    }

    /// `GET /metrics` of the admin listener: Prometheus text.
    pub async fn metrics(&self) -> String {
        client()
            .get(self.admin_url("/metrics"))
            .send()
            .await
            .expect("the admin listener answers")
            .text()
            .await
            .expect("/metrics is text")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `flowgate ARGS` to completion.
pub fn run(args: &[&str]) -> Output {
    Command::new(binary())
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("flowgate runs")
}

/// `flowgate hash-password` of `password`, given on stdin.
pub fn hash_password(password: &str) -> String {
    let mut child = Command::new(binary())
        .arg("hash-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

pub fn client() -> reqwest::Client {
    // reqwest is built without a crypto provider of its own (flowgate hands
    // it rustls configs on ring); the tests' client uses ring too.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

/// A Python interpreter that can import every one of `modules`: the one in
/// `FLOWGATE_PYTHON` (which `.ci/run` sets to its virtualenv), else
/// `python3`. `None` when there is none; under CI (`CI` set) that is a
/// failure, since an interoperability test must never pass by skipping.
pub fn python_with(modules: &[&str]) -> Option<PathBuf> {
    let candidate = std::env::var_os("FLOWGATE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("python3"));
    let imports = format!("import {}", modules.join(", "));
    let found = Command::new(&candidate)
        .args(["-c", &imports])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if found {
        return Some(candidate);
    }
    let missing = format!(
        "{} cannot `{imports}`; .ci/run installs them in a virtualenv and sets FLOWGATE_PYTHON",
        candidate.display()
    );
    skip_unless_ci(&missing)
}

/// A tool an interoperability test needs is missing: a note and `None` on a
/// developer's machine, a failure under CI (`CI` set), where a skipped
/// interoperability test must never pass.
pub fn skip_unless_ci<T>(missing: &str) -> Option<T> {
    assert!(std::env::var_os("CI").is_none(), "{missing}");
    eprintln!("skipped: {missing}");
    None
}
