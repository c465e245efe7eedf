//! Reload benchmark (not a test): `cargo bench --bench reload`.
//!
//! 1. Compile time of a generated root with 1,000 processes (in-process).
//! 2. Reload latency: the real binary serves a root with the default debounce;
//!    from a file's write (or rename) to the first request served by the new
//!    generation, over 60 reloads: median and p95.
//! 3. Memory: the server's resident set after its first reload, after
//!    1,000 more (through `POST /reload`), and after another 1,000.
//!
//! Servers listen on 127.0.0.1 only; every loop is bounded in count and time.
//! Results go to stdout and `bench/results/reload.md`.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PROCESSES: usize = 1_000;
const COMPILE_RUNS: usize = 5;
const LATENCY_RELOADS: u64 = 60;
const MEMORY_RELOADS: u64 = 1_000;
/// No single wait may take longer than this.
const PATIENCE: Duration = Duration::from_secs(20);

fn main() {
    let compile = compile_time();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (latency, memory) = runtime.block_on(served());

    let mut report = String::new();
    let _ = writeln!(report, "# flowgate reload benchmark\n");
    let _ = writeln!(
        report,
        "Command: `cargo bench --bench reload` ({}).\n",
        machine()
    );
    let _ = writeln!(report, "| measure | result | target |");
    let _ = writeln!(report, "|---|---:|---:|");
    let _ = writeln!(
        report,
        "| compile a root of {PROCESSES} processes (median of {COMPILE_RUNS}) | {:.0} ms | ≤ 1000 ms |",
        compile.as_secs_f64() * 1e3
    );
    let _ = writeln!(
        report,
        "| reload latency, write to first answer of the new generation, median of {LATENCY_RELOADS} (debounce 200 ms) | {:.0} ms | ≤ 300 ms |",
        latency.0.as_secs_f64() * 1e3
    );
    let _ = writeln!(
        report,
        "| reload latency, p95 | {:.0} ms | |",
        latency.1.as_secs_f64() * 1e3
    );
    let growth = |after: u64| (after as f64 / memory.0 as f64 - 1.0) * 100.0;
    let _ = writeln!(
        report,
        "| resident memory after the first reload → after {MEMORY_RELOADS} more | {} KiB → {} KiB ({:+.1}%) | within 10% |",
        memory.0,
        memory.1,
        growth(memory.1)
    );
    let _ = writeln!(
        report,
        "| … after another {} | {} KiB ({:+.1}%) | |",
        MEMORY_RELOADS,
        memory.2,
        growth(memory.2)
    );
    print!("{report}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/results/reload.md");
    if let Err(err) = std::fs::write(&out, &report) {
        eprintln!("cannot write {}: {err}", out.display());
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    format!("{cores} cores, {cpu}")
}

/// A root of `PROCESSES` processes like real ones: a listen block, a
/// decision, templates.
fn generated_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::create_dir_all(dir.path().join("processes/generated")).expect("a folder");
    for n in 0..PROCESSES {
        let text = format!(
            "listen:\n  operation: create\n  object: Thing{n}\n  rest: POST /things/{n}/{{id}}\n  input: json\n  output: json\nsteps:\n  - set:\n      id: \"{{{{ request.params.id }}}}\"\n  - decision:\n      if: doc.total > {n}\n      then:\n        - exception: {{ status: 422, message: \"{{{{ doc.total }}}} is over {n}\" }}\n      else:\n        - message: '{{\"id\": \"{{{{ props.id }}}}\", \"n\": {n}}}'\n        - return: {{ status: 201 }}\n"
        );
        std::fs::write(
            dir.path()
                .join(format!("processes/generated/thing-{n}.yaml")),
            text,
        )
        .expect("a process file");
    }
    dir
}

fn compile_time() -> Duration {
    let root = generated_root();
    let mut times: Vec<Duration> = (0..COMPILE_RUNS)
        .map(|_| {
            let started = Instant::now();
            let compilation = flowgate::compile::compile_root(root.path());
            let elapsed = started.elapsed();
            assert!(
                compilation.snapshot.is_some(),
                "the generated root compiles:\n{}",
                compilation.diagnostics.render()
            );
            elapsed
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

struct Served {
    child: Child,
    base: String,
    admin: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(root: &Path) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_flowgate"))
        .args([
            "serve",
            &root.to_string_lossy(),
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "127.0.0.1:0",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("flowgate starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut admin = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("flowgate admin listening on ") {
                admin = url.to_owned();
            }
            if let Some(url) = line.strip_prefix("flowgate listening on ") {
                let _ = tx.send((url.to_owned(), admin.clone()));
            }
        }
    });
    let (base, admin) = rx.recv_timeout(PATIENCE).expect("flowgate listens");
    Served { child, base, admin }
}

fn process(version: u64) -> String {
    format!(
        "listen: {{ operation: get, object: Version, output: json }}\nsteps:\n  - message: '{{\"version\": {version}}}'\n  - return: {{}}\n"
    )
}

fn resident_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|text| {
            text.lines().find_map(|l| {
                l.strip_prefix("VmRSS:")
                    .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
            })
        })
        .unwrap_or(0)
}

async fn served() -> ((Duration, Duration), (u64, u64, u64)) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root: PathBuf = dir.path().to_path_buf();
    std::fs::create_dir_all(root.join("processes")).expect("a folder");
    let file = root.join("processes/version.yaml");
    std::fs::write(&file, process(0)).expect("a process file");
    let server = start(&root);
    let http = reqwest::Client::new();
    let url = format!("{}/ws/simple/getVersion", server.base);

    let version_now = |http: reqwest::Client, url: String| async move {
        let response = http.get(&url).send().await.ok()?;
        let body: serde_json::Value = response.json().await.ok()?;
        body["version"].as_u64()
    };

    let mut latencies = Vec::new();
    for version in 1..=LATENCY_RELOADS {
        // Half the saves write in place, half rename a temporary file, as editors do.
        let started = if version % 2 == 0 {
            std::fs::write(&file, process(version)).expect("a write");
            Instant::now()
        } else {
            let temp = root.join("processes/.version.yaml.tmp");
            std::fs::write(&temp, process(version)).expect("a write");
            std::fs::rename(&temp, &file).expect("a rename");
            Instant::now()
        };
        loop {
            if version_now(http.clone(), url.clone()).await == Some(version) {
                latencies.push(started.elapsed());
                break;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "version {version} never went live"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    latencies.sort();
    let median = latencies[latencies.len() / 2];
    let p95 = latencies[(latencies.len() * 95 / 100).min(latencies.len() - 1)];

    let pid = server.child.id();
    let before = resident_kib(pid);
    let reload = format!("{}/reload", server.admin);
    let mut after = Vec::new();
    for round in 0..2 {
        for n in 0..MEMORY_RELOADS {
            let version = LATENCY_RELOADS + 1 + round * MEMORY_RELOADS + n;
            std::fs::write(&file, process(version)).expect("a write");
            let response = http
                .post(&reload)
                .send()
                .await
                .expect("POST /reload answers");
            assert!(response.status().is_success(), "reload {version} failed");
        }
        // Let the watcher's own reloads of the last writes settle.
        tokio::time::sleep(Duration::from_millis(600)).await;
        after.push(resident_kib(pid));
    }
    drop(server);
    ((median, p95), (before, after[0], after[1]))
}
