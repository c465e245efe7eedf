//! Threads that work beside the requests: the execution store's writer and
//! the compile of each reload. They run at a lower priority than the async
//! workers, so on a core that also answers requests, requests come first.

use tokio::sync::oneshot;

/// Lowers the calling thread's priority to `nice` (Linux: nice values are
/// per thread, 19 the lowest). Elsewhere, or when the system refuses, the
/// thread keeps the default and `what` is named in a debug line.
pub(crate) fn lower_priority(nice: i32, what: &str) {
    #[cfg(target_os = "linux")]
    if let Err(err) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), nice) {
        tracing::debug!(error = %err, "Cannot lower the priority of the {what}");
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (nice, what);
}

/// Runs `work` on a thread of its own at priority `nice` and waits for its
/// result without holding an async worker. A thread of its own, not one of
/// tokio's blocking pool: a priority once lowered cannot be raised again
/// without privileges, and the pool's threads go on to check passwords.
/// `None` when the thread could not start or `work` panicked.
pub(crate) async fn run<T: Send + 'static>(
    name: &'static str,
    nice: i32,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (done, result) = oneshot::channel();
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            lower_priority(nice, name);
            let _ = done.send(work());
        })
        .ok()?;
    result.await.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_on_its_own_thread_and_hands_back_its_result() {
        let outer = std::thread::current().id();
        let (value, thread) = run("flowgate-test", 19, move || {
            (6 * 7, std::thread::current().id())
        })
        .await
        .unwrap();
        assert_eq!(value, 42);
        assert_ne!(thread, outer);
    }

    #[tokio::test]
    async fn a_panic_is_none_not_a_panic_of_the_caller() {
        let result: Option<u8> = run("flowgate-test", 19, || panic!("on purpose")).await;
        assert_eq!(result, None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_priority_is_lowered_for_the_calling_thread_only() {
        let tid = rustix::thread::gettid();
        let before = rustix::process::getpriority_process(Some(tid)).unwrap();
        let lowered = std::thread::spawn(|| {
            lower_priority(19, "test thread");
            rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap()
        })
        .join()
        .unwrap();
        assert_eq!(lowered, 19);
        assert_eq!(
            rustix::process::getpriority_process(Some(tid)).unwrap(),
            before
        );
    }
}
