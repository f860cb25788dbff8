//! Threads of their own for password hashing: one per hashing slot, below the async runtime's
//! priority, each hashing in one argon2 memory block that it keeps.
//!
//! Why not tokio's blocking pool (issue #12): its threads run at the runtime's priority, so
//! during a login flood each hash (tens of milliseconds of pure CPU) competed evenly with page
//! rendering, and each allocated and freed its 19 MiB, which the allocator did not always give
//! back (RSS grew to 450 MB after a flood). Here the kernel serves the runtime first, and the
//! memory is one block per slot whatever the load.
//!
//! ```text
//! PasswordHasher::run ──job──▶ queue ──▶ hashing-0 ┐  (nice +10, one Memory each,
//!        ▲                              hashing-1 ┘   allocated at its first job)
//!        └─────────── result (oneshot) ───┘
//! ```

use crate::server::ServerError;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, mpsc};

/// How much below the async runtime the hashing threads run, as a nice value (0 to 19). When
/// both want the CPU, Linux gives a nice-0 thread about 9 times the time of a nice-10 one: page
/// loads keep their latency during a flood, and hashing still has every idle cycle.
const NICENESS: i32 = 10;

/// A slot's argon2 working memory, kept between hashes (sized by `password` at first use).
pub type Memory = Vec<argon2::Block>;

type Job = Box<dyn FnOnce(&mut Memory) + Send>;

/// A handle to the hashing threads; they end when the last handle is dropped.
#[derive(Clone)]
pub struct Workers {
    jobs: mpsc::Sender<Job>,
}

impl Workers {
    /// Starts `count` hashing threads (at least one).
    pub fn spawn(count: usize) -> Result<Self, ServerError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..count.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("hashing-{n}"))
                .spawn(move || work(&queue))?;
        }
        Ok(Workers { jobs })
    }

    /// Runs `job` on a hashing thread with that thread's memory. The caller bounds how many
    /// jobs wait (see `password::PasswordHasher`); a panic in `job` is an error, not a crash.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> Result<T, ServerError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| job(memory)));
            // Nobody waits any more when the request was dropped; the work is simply done.
            let _ = done.send(outcome);
        });
        let stopped = || ServerError::Context("hashing threads stopped");
        self.jobs.send(job).map_err(|_| stopped())?;
        match result.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_panic)) => Err(ServerError::Hash("a hashing job panicked".into())),
            Err(_) => Err(stopped()),
        }
    }
}

/// A hashing thread: takes jobs one at a time until every [`Workers`] handle is gone.
fn work(queue: &Mutex<mpsc::Receiver<Job>>) {
    lower_priority();
    let mut memory = Memory::new();
    loop {
        // The lock is held only while waiting for the next job, never while hashing.
        let next = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(job) = next else { return };
        job(&mut memory);
    }
}

/// Lowers the calling thread's priority by [`NICENESS`] below the thread that started it (the
/// runtime's, usually 0; at most to 19). On Linux a thread id given to setpriority(2) as
/// PRIO_PROCESS names that thread alone (see the man page's notes).
#[cfg(target_os = "linux")]
fn lower_priority() {
    // SAFETY: gettid, getpriority and setpriority take plain integers and touch no memory of
    // ours; errno is this thread's own.
    let changed = unsafe {
        let thread = libc::gettid() as libc::id_t;
        *libc::__errno_location() = 0;
        let inherited = libc::getpriority(libc::PRIO_PROCESS, thread);
        if inherited == -1 && *libc::__errno_location() != 0 {
            -1
        } else {
            libc::setpriority(libc::PRIO_PROCESS, thread, (inherited + NICENESS).min(19))
        }
    };
    if changed != 0 {
        tracing::warn!(
            "hashing thread runs at the runtime's priority: {}",
            std::io::Error::last_os_error()
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_run_below_the_runtime() {
        let workers = Workers::spawn(1).unwrap();
        // SAFETY: as in `lower_priority`.
        let nice = || unsafe {
            *libc::__errno_location() = 0;
            libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t)
        };
        let here = nice();
        let there = workers.run(move |_| nice()).await.unwrap();
        assert_eq!(there, (here + NICENESS).min(19), "runtime at {here}");
        let name = workers
            .run(|_| std::thread::current().name().map(str::to_owned))
            .await
            .unwrap();
        assert_eq!(name.as_deref(), Some("hashing-0"));
    }

    #[tokio::test]
    async fn each_thread_keeps_its_memory_between_jobs() {
        let workers = Workers::spawn(1).unwrap();
        let first = workers
            .run(|memory| {
                memory.resize(64, argon2::Block::default());
                memory.as_ptr() as usize
            })
            .await
            .unwrap();
        let second = workers
            .run(|memory| (memory.len(), memory.as_ptr() as usize))
            .await
            .unwrap();
        assert_eq!(second, (64, first), "the same block, not a new one");
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_and_the_thread_goes_on() {
        let workers = Workers::spawn(1).unwrap();
        let failed = workers.run(|_| -> u8 { panic!("bad job") }).await;
        assert!(matches!(failed, Err(ServerError::Hash(_))), "{failed:?}");
        assert_eq!(workers.run(|_| 7_u8).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn concurrent_jobs_all_run_on_hashing_threads() {
        let workers = Workers::spawn(2).unwrap();
        let jobs: Vec<_> = (0..8)
            .map(|_| {
                let workers = workers.clone();
                tokio::spawn(async move {
                    workers
                        .run(|_| {
                            std::thread::sleep(std::time::Duration::from_millis(20));
                            std::thread::current().name().map(str::to_owned)
                        })
                        .await
                })
            })
            .collect();
        let mut names = Vec::new();
        for job in jobs {
            names.push(job.await.unwrap().unwrap().unwrap());
        }
        names.sort();
        names.dedup();
        assert!(names.iter().all(|n| n.starts_with("hashing-")), "{names:?}");
    }
}
