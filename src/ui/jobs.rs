//! Work that must not freeze the window (the KDF, network calls) runs here: on a named thread
//! in the app, inline in UI tests (so a test is exact and needs no sleeping).
//!
//! A job that ends in something the vault must record (a key made or revoked at a provider, a
//! verification, a password change) is marked [`Records::Yes`]: the shell does not lock while
//! one runs, so its answer is never dropped with the session.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};

/// Whether a job's answer must be written to the vault when it comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Records {
    /// The answer changes the vault (or the audit log): a lock waits for it.
    Yes,
    /// The answer is only shown; a lock may drop it.
    No,
}

/// How far a long job got (`done` of `total`), written by the job, read by the window; and
/// whether the user pressed Cancel, for a job that can stop part way.
#[derive(Clone, Default)]
pub struct JobProgress(Arc<(AtomicUsize, AtomicUsize)>, Arc<AtomicBool>, Arc<AtomicU64>);

impl JobProgress {
    /// The user asked the job to stop.
    pub fn is_cancelled(&self) -> bool {
        self.1.load(Ordering::Relaxed)
    }

    /// The flag Cancel sets, for work that watches a flag of its own.
    pub fn cancel_flag(&self) -> &AtomicBool {
        &self.1
    }

    /// The job's estimate of the seconds it still needs (`None`: it has none).
    pub fn set_seconds_left(&self, left: Option<u64>) {
        self.2.store(left.map_or(0, |secs| secs.saturating_add(1)), Ordering::Relaxed);
    }

    /// The seconds left, as the job last estimated them.
    pub fn seconds_left(&self) -> Option<u64> {
        self.2.load(Ordering::Relaxed).checked_sub(1)
    }

    pub fn set(&self, done: usize, total: usize) {
        self.0.1.store(total, Ordering::Relaxed);
        self.0.0.store(done, Ordering::Relaxed);
    }

    /// `(done, total)`, or `None` before the job said how much there is.
    pub fn get(&self) -> Option<(usize, usize)> {
        let total = self.0.1.load(Ordering::Relaxed);
        (total > 0).then(|| (self.0.0.load(Ordering::Relaxed).min(total), total))
    }
}

/// A running job, for the spinner and its Cancel button.
pub struct Pending {
    pub id: u64,
    pub label: String,
    /// The user stopped waiting for it (its answer is still recorded when it must be).
    pub cancelled: bool,
    pub records: Records,
    /// For a job that counts its steps: a progress bar instead of a spinner.
    pub progress: Option<JobProgress>,
}

/// Runs jobs and hands back their results, in the UI thread, one frame later.
pub struct Jobs<R> {
    inline: bool,
    next: u64,
    sender: Sender<(u64, R)>,
    receiver: Receiver<(u64, R)>,
    pub pending: Vec<Pending>,
}

impl<R: Send + 'static> Jobs<R> {
    /// `inline`: run each job at once on the calling thread (tests).
    pub fn new(inline: bool) -> Self {
        let (sender, receiver) = channel();
        Jobs { inline, next: 0, sender, receiver, pending: Vec::new() }
    }

    /// Starts `work` on a thread named after `label`; `label` is also what the spinner says.
    pub fn spawn(
        &mut self,
        ctx: &egui::Context,
        label: impl Into<String>,
        records: Records,
        work: impl FnOnce() -> R + Send + 'static,
    ) {
        self.start(ctx, label.into(), records, None, work);
    }

    /// [`Jobs::spawn`] for work that reports how far it got: the window shows a progress bar.
    pub fn spawn_counted(
        &mut self,
        ctx: &egui::Context,
        label: impl Into<String>,
        records: Records,
        work: impl FnOnce(&JobProgress) -> R + Send + 'static,
    ) {
        let progress = JobProgress::default();
        let handle = progress.clone();
        self.start(ctx, label.into(), records, Some(progress), move || work(&handle));
    }

    fn start(
        &mut self,
        ctx: &egui::Context,
        label: String,
        records: Records,
        progress: Option<JobProgress>,
        work: impl FnOnce() -> R + Send + 'static,
    ) {
        self.next += 1;
        let id = self.next;
        let sender = self.sender.clone();
        if self.inline {
            self.pending.push(Pending { id, label, cancelled: false, records, progress });
            // The receiver lives in `self`, so this send cannot fail.
            let _sent = sender.send((id, work()));
            ctx.request_repaint();
            return;
        }
        let thread_ctx = ctx.clone();
        #[allow(clippy::disallowed_methods, reason = "the job runner: the one place jobs get a thread")]
        let spawned =
            std::thread::Builder::new().name(format!("keydesk job {id}: {label}")).spawn(move || {
                let result = work();
                // The window may be gone; then nobody needs the result.
                let _sent = sender.send((id, result));
                thread_ctx.request_repaint();
            });
        match spawned {
            Ok(_) => self.pending.push(Pending { id, label, cancelled: false, records, progress }),
            // No thread could be started (out of resources): the work was dropped unrun, so
            // nothing happened that needs recording; the caller sees no result.
            Err(_) => ctx.request_repaint(),
        }
    }

    /// Results that arrived, each with whether the user cancelled the wait for it.
    pub fn finished(&mut self) -> Vec<(R, bool)> {
        let mut done = Vec::new();
        while let Ok((id, result)) = self.receiver.try_recv() {
            let cancelled = self.pending.iter().any(|p| p.id == id && p.cancelled);
            self.pending.retain(|p| p.id != id);
            done.push((result, cancelled));
        }
        done
    }

    /// Whether a spinner should show (a job runs that the user still waits for).
    pub fn busy(&self) -> Option<&Pending> {
        self.pending.iter().find(|p| !p.cancelled)
    }

    /// The first running job whose answer must be recorded, if any.
    pub fn recording(&self) -> Option<&Pending> {
        self.pending.iter().find(|p| p.records == Records::Yes)
    }

    /// Stops waiting for a job.
    pub fn cancel(&mut self, id: u64) {
        if let Some(p) = self.pending.iter_mut().find(|p| p.id == id) {
            p.cancelled = true;
            if let Some(progress) = &p.progress {
                progress.1.store(true, Ordering::Relaxed);
            }
        }
    }
}

/// Starts `work` on a thread of its own named `name`, for the app's whole life (a listener
/// that hands what it hears to the window); not a job: nothing waits for it.
pub fn run_service(name: &str, work: impl FnOnce() + Send + 'static) -> Result<(), crate::ui::Failure> {
    #[allow(clippy::disallowed_methods, reason = "the job runner: the one place jobs get a thread")]
    let spawned = std::thread::Builder::new().name(name.to_owned()).spawn(work);
    spawned.map(drop).map_err(|error| crate::ui::Failure::Said(format!("{name} could not start ({error})")))
}
