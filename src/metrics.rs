//! Prometheus metrics: counted with atomics on the request path, written as
//! text when `/metrics` is scraped.
//!
//! A process's counters are found by name once, when a snapshot goes live
//! ([`Metrics::for_process`]), and the snapshot keeps the handle, so a
//! request only touches atomics: no lock, no map, no allocation. Counters of
//! a process outlive reloads (Prometheus counters must not go back), so a
//! process that is edited keeps counting where it was.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Upper bounds of the request duration histogram, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Statuses 100..=599, one counter each.
const STATUSES: usize = 500;

/// Requests of one process (or of no process: 404, 405).
#[derive(Debug, Default)]
pub struct RequestMetrics {
    /// Allocated on the first request, so idle processes cost nothing.
    statuses: OnceLock<Box<[AtomicU64]>>,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl RequestMetrics {
    pub fn record(&self, status: u16, duration: Duration) {
        let statuses = self
            .statuses
            .get_or_init(|| (0..STATUSES).map(|_| AtomicU64::new(0)).collect());
        if let Some(counter) = statuses.get(usize::from(status).wrapping_sub(100)) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        let seconds = duration.as_secs_f64();
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

/// How a reload ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReloadResult {
    /// A new snapshot went live.
    Success,
    /// The root did not compile; the old snapshot serves on.
    Failure,
    /// Nothing that counts changed; the snapshot and its generation stay.
    Unchanged,
}

impl ReloadResult {
    fn as_str(self) -> &'static str {
        match self {
            ReloadResult::Success => "success",
            ReloadResult::Failure => "failure",
            ReloadResult::Unchanged => "unchanged",
        }
    }
}

/// What became of execution records: counted by the request path (dropped
/// when the queue is full) and by the store's writer thread.
#[derive(Debug, Default)]
pub struct RecordCounts {
    written: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
}

impl RecordCounts {
    pub fn written(&self, records: u64) {
        self.written.fetch_add(records, Ordering::Relaxed);
    }

    /// A record that did not fit in the queue.
    pub fn dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// Records the store could not take (it cannot be opened or written).
    pub fn failed(&self, records: u64) {
        self.failed.fetch_add(records, Ordering::Relaxed);
    }

    /// Written, dropped and failed so far.
    pub fn totals(&self) -> (u64, u64, u64) {
        (
            self.written.load(Ordering::Relaxed),
            self.dropped.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

#[derive(Debug, Default)]
pub struct Metrics {
    processes: Mutex<BTreeMap<Arc<str>, Arc<RequestMetrics>>>,
    unrouted: RequestMetrics,
    /// Requests running in processes, including the ones of output `none`
    /// that run on after their 202; also what `max_concurrency` limits.
    active: Arc<AtomicUsize>,
    reloads: [AtomicU64; 3],
    generation: AtomicU64,
    last_success: AtomicU64,
    /// Shared with the execution store's writer thread.
    records: Arc<RecordCounts>,
}

impl Metrics {
    /// The counters of the process called `name`, created on first use.
    pub fn for_process(&self, name: &Arc<str>) -> Arc<RequestMetrics> {
        let mut processes = self
            .processes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        processes.entry(name.clone()).or_default().clone()
    }

    /// Requests that reached no process (404, 405).
    pub fn unrouted(&self) -> &RequestMetrics {
        &self.unrouted
    }

    /// Counts a request as running until the guard is dropped, unless
    /// `max` are running already.
    pub fn enter(&self, max: usize) -> Option<ActiveGuard> {
        let before = self.active.fetch_add(1, Ordering::AcqRel);
        let guard = ActiveGuard(self.active.clone());
        (before < max).then_some(guard)
    }

    /// The counters of execution records.
    pub fn records(&self) -> &Arc<RecordCounts> {
        &self.records
    }

    pub fn reloaded(&self, result: ReloadResult, generation: u64) {
        self.reloads[result as usize].fetch_add(1, Ordering::Relaxed);
        self.generation.store(generation, Ordering::Relaxed);
        if result == ReloadResult::Success {
            self.mark_live();
        }
    }

    /// Records that a snapshot went live now (at start, or by a reload).
    pub fn mark_live(&self) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        self.last_success.store(now.as_secs(), Ordering::Relaxed);
    }

    pub fn set_generation(&self, generation: u64) {
        self.generation.store(generation, Ordering::Relaxed);
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let processes = self
            .processes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();

        header(
            &mut out,
            "flowgate_http_requests_total",
            "counter",
            "Requests answered, by process and status; process is empty for requests that matched no route.",
        );
        for (name, metrics) in processes
            .iter()
            .map(|(n, m)| (&**n, &**m))
            .chain([("", &self.unrouted)])
        {
            if let Some(statuses) = metrics.statuses.get() {
                for (index, counter) in statuses.iter().enumerate() {
                    let value = counter.load(Ordering::Relaxed);
                    if value > 0 {
                        let _ = writeln!(
                            out,
                            "flowgate_http_requests_total{{process=\"{}\",status=\"{}\"}} {value}",
                            escape(name),
                            index + 100
                        );
                    }
                }
            }
        }

        header(
            &mut out,
            "flowgate_http_request_duration_seconds",
            "histogram",
            "Time from the request to the response, by process.",
        );
        for (name, metrics) in processes
            .iter()
            .map(|(n, m)| (&**n, &**m))
            .chain([("", &self.unrouted)])
        {
            let count = metrics.count.load(Ordering::Relaxed);
            if count == 0 {
                continue;
            }
            let label = escape(name);
            let mut cumulative = 0;
            for (bound, bucket) in BUCKETS.iter().zip(&metrics.buckets) {
                cumulative += bucket.load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "flowgate_http_request_duration_seconds_bucket{{process=\"{label}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "flowgate_http_request_duration_seconds_bucket{{process=\"{label}\",le=\"+Inf\"}} {count}"
            );
            let sum = metrics.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(
                out,
                "flowgate_http_request_duration_seconds_sum{{process=\"{label}\"}} {sum}"
            );
            let _ = writeln!(
                out,
                "flowgate_http_request_duration_seconds_count{{process=\"{label}\"}} {count}"
            );
        }

        header(
            &mut out,
            "flowgate_http_requests_active",
            "gauge",
            "Requests running in processes now.",
        );
        let _ = writeln!(
            out,
            "flowgate_http_requests_active {}",
            self.active.load(Ordering::Relaxed)
        );

        header(
            &mut out,
            "flowgate_reloads_total",
            "counter",
            "Reloads of the config root, by result.",
        );
        for result in [
            ReloadResult::Success,
            ReloadResult::Failure,
            ReloadResult::Unchanged,
        ] {
            let index = result as usize;
            let _ = writeln!(
                out,
                "flowgate_reloads_total{{result=\"{}\"}} {}",
                result.as_str(),
                self.reloads[index].load(Ordering::Relaxed)
            );
        }

        header(
            &mut out,
            "flowgate_config_generation",
            "gauge",
            "Generation of the live snapshot.",
        );
        let _ = writeln!(
            out,
            "flowgate_config_generation {}",
            self.generation.load(Ordering::Relaxed)
        );

        header(
            &mut out,
            "flowgate_config_last_success_timestamp_seconds",
            "gauge",
            "When the live snapshot went live, in Unix seconds.",
        );
        let _ = writeln!(
            out,
            "flowgate_config_last_success_timestamp_seconds {}",
            self.last_success.load(Ordering::Relaxed)
        );

        header(
            &mut out,
            "flowgate_execution_records_total",
            "counter",
            "Execution records, by result: written to the store, dropped because the queue was full, or failed because the store could not take them.",
        );
        let (written, dropped, failed) = self.records.totals();
        for (result, value) in [
            ("written", written),
            ("dropped", dropped),
            ("failed", failed),
        ] {
            let _ = writeln!(
                out,
                "flowgate_execution_records_total{{result=\"{result}\"}} {value}"
            );
        }
        out
    }
}

/// A running request's place among `max_concurrency`: it can go with a
/// process that runs on after its caller was answered.
#[derive(Debug)]
pub struct ActiveGuard(Arc<AtomicUsize>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value in the text format: backslash, quote and newline escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_by_process_status_and_duration() {
        let metrics = Metrics::default();
        let hello = metrics.for_process(&Arc::from("hello"));
        hello.record(200, Duration::from_micros(300));
        hello.record(200, Duration::from_millis(3));
        hello.record(422, Duration::from_secs(20));
        metrics.unrouted().record(404, Duration::from_micros(10));
        // The same name gives the same counters, across snapshots.
        metrics
            .for_process(&Arc::from("hello"))
            .record(200, Duration::from_micros(1));

        let text = metrics.render();
        assert!(
            text.contains("flowgate_http_requests_total{process=\"hello\",status=\"200\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("flowgate_http_requests_total{process=\"hello\",status=\"422\"} 1\n")
        );
        assert!(text.contains("flowgate_http_requests_total{process=\"\",status=\"404\"} 1\n"));
        assert!(text.contains(
            "flowgate_http_request_duration_seconds_bucket{process=\"hello\",le=\"0.0005\"} 2\n"
        ));
        assert!(text.contains(
            "flowgate_http_request_duration_seconds_bucket{process=\"hello\",le=\"0.005\"} 3\n"
        ));
        assert!(text.contains(
            "flowgate_http_request_duration_seconds_bucket{process=\"hello\",le=\"10\"} 3\n"
        ));
        assert!(text.contains(
            "flowgate_http_request_duration_seconds_bucket{process=\"hello\",le=\"+Inf\"} 4\n"
        ));
        assert!(
            text.contains("flowgate_http_request_duration_seconds_count{process=\"hello\"} 4\n")
        );
    }

    #[test]
    fn reloads_and_generation() {
        let metrics = Metrics::default();
        metrics.reloaded(ReloadResult::Success, 2);
        metrics.reloaded(ReloadResult::Failure, 2);
        metrics.reloaded(ReloadResult::Failure, 2);
        let text = metrics.render();
        assert!(
            text.contains("flowgate_reloads_total{result=\"success\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("flowgate_reloads_total{result=\"failure\"} 2\n"));
        assert!(text.contains("flowgate_reloads_total{result=\"unchanged\"} 0\n"));
        assert!(text.contains("flowgate_config_generation 2\n"));
        assert!(!text.contains("flowgate_config_last_success_timestamp_seconds 0\n"));
        let _active = metrics.enter(10).unwrap();
        assert!(
            metrics
                .render()
                .contains("flowgate_http_requests_active 1\n")
        );
        assert!(metrics.enter(1).is_none(), "one is running already");
        metrics.records().written(3);
        metrics.records().dropped();
        let text = metrics.render();
        assert!(text.contains("flowgate_execution_records_total{result=\"written\"} 3\n"));
        assert!(text.contains("flowgate_execution_records_total{result=\"dropped\"} 1\n"));
        assert!(text.contains("flowgate_execution_records_total{result=\"failed\"} 0\n"));
        assert!(
            metrics
                .render()
                .contains("flowgate_http_requests_active 1\n")
        );
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
