//! Work spread over a few threads for one command, ended before the command returns: scoped
//! threads (`std::thread::scope`), so nothing outlives the call and every borrow is checked.
//! The window's long-running jobs go through the job runner (`ui/jobs.rs`) instead; the
//! command line and the team vault's bulk reads come here.

use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

/// Runs `each` over `items` on up to 8 threads (one for a few), answering in their order; the
/// first error is answered. Each call is a request or a few, so the server's answers overlap.
pub fn in_parallel<I: Sync, T: Send, E: Send>(
    items: &[I],
    each: impl Fn(&I) -> Result<T, E> + Sync,
) -> Result<Vec<T>, E> {
    const READERS: usize = 8;
    if items.len() < 2 * READERS {
        return items.iter().map(&each).collect();
    }
    let chunk = items.len().div_ceil(READERS);
    let each = &each;
    let parts: Vec<Result<Vec<T>, E>> = std::thread::scope(|scope| {
        let workers: Vec<_> =
            items.chunks(chunk).map(|part| scope.spawn(move || part.iter().map(each).collect())).collect();
        workers
            .into_iter()
            // A reader that panicked takes the read down with it: never a list short of items.
            .map(|worker| worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    });
    let mut all = Vec::with_capacity(items.len());
    for part in parts {
        all.extend(part?);
    }
    Ok(all)
}

/// Runs `first` on a second thread while `second` runs on this one; answers both.
pub fn both<A: Send, B>(first: impl FnOnce() -> A + Send, second: impl FnOnce() -> B) -> (A, B) {
    std::thread::scope(|scope| {
        let first = scope.spawn(first);
        let second = second();
        // A panic on the second thread is this call's panic.
        (first.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), second)
    })
}

/// The calling thread's side of [`with_workers`]: hands out jobs, takes back answers.
pub struct Pool<J, A> {
    jobs: Sender<J>,
    answers: Receiver<A>,
}

impl<J, A> Pool<J, A> {
    /// Gives a job to the next free worker.
    pub fn send(&self, job: J) {
        // The workers end only when this pool is dropped, so the send cannot fail while it lives.
        let _queued = self.jobs.send(job);
    }

    /// The next answer, waiting at most `wait`; `None` when none came in that time.
    pub fn recv_timeout(&self, wait: Duration) -> Option<A> {
        self.answers.recv_timeout(wait).ok()
    }
}

/// Starts `threads` workers that each run `work` on the jobs they are given, and runs `drive`
/// on the calling thread with the pool: it decides what runs when (the workers only do the
/// work), so whatever it holds — a vault, a `&mut` — never crosses a thread. The workers end
/// when `drive` returns, after finishing the jobs already given to them.
pub fn with_workers<J: Send, A: Send, R>(
    threads: usize,
    work: impl Fn(J) -> A + Sync,
    drive: impl FnOnce(&Pool<J, A>) -> R,
) -> R {
    let (job_sender, job_receiver) = channel::<J>();
    let (answer_sender, answers) = channel::<A>();
    let job_receiver = Mutex::new(job_receiver);
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            let (answer_sender, job_receiver, work) = (answer_sender.clone(), &job_receiver, &work);
            scope.spawn(move || {
                loop {
                    // One worker waits on the channel, the others on the lock.
                    let job = match job_receiver.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_poisoned) => return,
                    };
                    let Ok(job) = job else { return };
                    if answer_sender.send(work(job)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(answer_sender);
        let pool = Pool { jobs: job_sender, answers };
        let result = drive(&pool);
        // Closing the job channel ends each worker after its current job.
        drop(pool);
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_in_order_and_the_first_error() {
        let items: Vec<u32> = (0..100).collect();
        assert_eq!(
            in_parallel(&items, |n| Ok::<_, ()>(n * 2)).unwrap(),
            (0..100).map(|n| n * 2).collect::<Vec<_>>()
        );
        assert_eq!(in_parallel(&items, |n| if *n == 50 { Err(*n) } else { Ok(*n) }), Err(50));
    }

    #[test]
    fn workers_answer_every_job() {
        let total = with_workers(
            4,
            |n: u64| n * n,
            |pool| {
                for n in 0..50 {
                    pool.send(n);
                }
                (0..50).map(|_| pool.recv_timeout(Duration::from_secs(10)).unwrap()).sum::<u64>()
            },
        );
        assert_eq!(total, (0..50u64).map(|n| n * n).sum::<u64>());
    }
}
