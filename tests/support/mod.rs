//! Starting the real `flowgate` binary for end-to-end tests.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
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
    pub base: String,
    /// The admin listener's base URL.
    pub admin: String,
}

impl Server {
    pub fn start(root: &Path) -> Server {
        Server::spawn(root, "warn", Stdio::null())
    }

    /// Like [`Server::start`], logging at `level` into `log`.
    pub fn start_logging(root: &Path, level: &str, log: std::fs::File) -> Server {
        Server::spawn(root, level, Stdio::from(log))
    }

    fn spawn(root: &Path, level: &str, stderr: Stdio) -> Server {
        let mut child = Command::new(binary())
            .args([
                "serve",
                &root.to_string_lossy(),
                "--listen",
                "127.0.0.1:0",
                "--admin-listen",
                "127.0.0.1:0",
            ])
            .env("RUST_LOG", level)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("flowgate starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut admin = String::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("flowgate admin listening on ") {
                    admin = url.trim().to_owned();
                }
                if let Some(url) = line.strip_prefix("flowgate listening on ") {
                    let _ = tx.send((url.trim().to_owned(), admin.clone()));
                }
            }
        });
        match rx.recv_timeout(START_TIMEOUT) {
            Ok((base, admin)) => Server { child, base, admin },
            Err(_) => {
                let _ = child.kill();
                panic!("flowgate did not start listening within {START_TIMEOUT:?}");
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn admin_url(&self, path: &str) -> String {
        format!("{}{path}", self.admin)
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

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}
