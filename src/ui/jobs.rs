//! Work that must not freeze the window (the KDF, network calls) runs here: on a thread in
//! the app, inline in UI tests (so a test is exact and needs no sleeping).

use std::sync::mpsc::{Receiver, Sender, channel};

/// A running job, for the spinner and its Cancel button.
pub struct Pending {
    pub id: u64,
    pub label: String,
    pub cancelled: bool,
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

    /// Starts `work`; `label` is what the spinner says.
    pub fn spawn(
        &mut self,
        ctx: &egui::Context,
        label: impl Into<String>,
        work: impl FnOnce() -> R + Send + 'static,
    ) {
        self.next += 1;
        let id = self.next;
        self.pending.push(Pending { id, label: label.into(), cancelled: false });
        let sender = self.sender.clone();
        if self.inline {
            let _ = sender.send((id, work()));
            ctx.request_repaint();
            return;
        }
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let result = work();
            // The window may be gone; then nobody needs the result.
            let _ = sender.send((id, result));
            ctx.request_repaint();
        });
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

    /// Stops waiting for a job.
    pub fn cancel(&mut self, id: u64) {
        if let Some(p) = self.pending.iter_mut().find(|p| p.id == id) {
            p.cancelled = true;
        }
    }
}
