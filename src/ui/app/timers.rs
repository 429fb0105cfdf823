//! The shell's timers: clearing the clipboard, auto-lock (and a lock that waits for a
//! provider's answer), and the timing report. All run from `App::logic`.

use chrono::{DateTime, Utc};

use super::{KeydeskApp, LockReason, Phase};
use crate::clipboard::fingerprint;
use crate::ui::session::Session;
use crate::ui::widgets;

impl KeydeskApp {
    /// The next moment a timer fires.
    pub(super) fn next_deadline(&self) -> Option<DateTime<Utc>> {
        [
            self.copy.as_ref().map(|c| c.clear_at),
            self.session().and_then(Session::next_deadline),
            self.lock_at(),
            self.team_deadline(),
            self.retry_at,
            self.toasts.next_expiry(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// When the open vault locks if nothing is done (its auto-lock time: a team vault's is
    /// this computer's, kept in `team.ron`), unless a lock waits already.
    fn lock_at(&self) -> Option<DateTime<Utc>> {
        let session = self.session().filter(|_| self.lock_when_done.is_none())?;
        let minutes = i64::from(session.auto_lock_minutes());
        Some(self.last_activity + chrono::Duration::minutes(minutes))
    }

    /// Locks now, or — while a job whose answer must be recorded runs — hides the session at
    /// once and locks as soon as that answer is recorded.
    pub(super) fn request_lock(&mut self, ctx: &egui::Context, reason: LockReason) {
        if !matches!(self.phase, Phase::Unlocked(_) | Phase::Busy) {
            return;
        }
        // A job waiting for a new sign-in gives up, so the lock does not wait for the user.
        self.sign_in_again.asking.give_up();
        if self.jobs.recording().is_some() || matches!(self.phase, Phase::Busy) {
            self.lock_when_done = Some(reason);
            ctx.request_repaint();
        } else {
            self.lock_now(ctx, reason);
        }
    }

    /// The vault (its data key, any revealed secret, every typed secret) is dropped, egui's
    /// memory of the session's fields is forgotten, and the file is read ahead again.
    pub(super) fn lock_now(&mut self, ctx: &egui::Context, reason: LockReason) {
        self.lock_when_done = None;
        self.sign_in_again.asking.give_up();
        self.kept_settings = None;
        if !matches!(self.phase, Phase::Unlocked(_)) {
            return;
        }
        let locked =
            std::mem::replace(&mut self.phase, Phase::Locked(super::team::lock_state(&self.services.dir)));
        if let Some(screens) = locked.screens() {
            self.sort = screens.dashboard.sort;
        }
        widgets::forget_ui_memory(ctx);
        self.preload(ctx);
        self.look_for_kept_token(ctx);
        if reason == LockReason::Idle {
            self.toasts.info("Locked after being idle.".to_owned(), self.now());
        }
        ctx.request_repaint();
    }

    /// Clears the clipboard at the deadline if it still holds Keydesk's copy.
    pub(super) fn tick_clipboard(&mut self, now: DateTime<Utc>) {
        let Some(pending) = &self.copy else { return };
        if now < pending.clear_at {
            return;
        }
        let clipboard = &mut self.services.clipboard;
        let ours = clipboard.text().is_some_and(|t| fingerprint(&t) == pending.fingerprint);
        if ours {
            match clipboard.clear() {
                Ok(()) => self.toasts.info(format!("Cleared {} from the clipboard.", pending.label), now),
                Err(error) => self.toasts.error(
                    format!(
                        "{} is still on the clipboard: it could not be cleared ({error}).",
                        pending.label
                    ),
                    now,
                ),
            }
        }
        self.copy = None;
    }

    /// Locks after the idle time.
    pub(super) fn tick_idle(&mut self, ctx: &egui::Context, now: DateTime<Utc>) {
        if self.lock_at().is_some_and(|at| now >= at) {
            self.request_lock(ctx, LockReason::Idle);
        }
    }

    /// With KEYDESK_TIMINGS=1: durations of start-up and unlocking, to stderr.
    pub(super) fn report_timings(&mut self, ctx: &egui::Context) {
        let Some(started) = self.services.timings else { return };
        if let Some((since, frames)) = &mut self.frames_after_unlock {
            let after = since.elapsed();
            if after > std::time::Duration::from_secs(5) {
                self.frames_after_unlock = None;
            } else {
                *frames += 1;
                let causes: Vec<String> = ctx.repaint_causes().iter().map(ToString::to_string).collect();
                eprintln!(
                    "timing: frame {frames} after unlock at {} ms; repaint asked by {}",
                    after.as_millis(),
                    if causes.is_empty() {
                        "nothing (input or window event)".to_owned()
                    } else {
                        causes.join(", ")
                    }
                );
            }
        }
        if !self.first_frame_done {
            self.first_frame_done = true;
            eprintln!("timing: first frame drawn {} ms after start", started.elapsed().as_millis());
        }
        if let (Some(enter), Some(opened)) = (self.unlock_started, self.unlock_finished)
            && self.is_unlocked()
        {
            let keys = self.session().map_or(0, Session::key_count);
            eprintln!(
                "timing: unlock (read, KDF, open) {} ms; dashboard with {keys} keys drawn {} ms after Enter",
                (opened - enter).as_millis(),
                enter.elapsed().as_millis()
            );
            self.unlock_started = None;
            self.unlock_finished = None;
            self.frames_after_unlock = Some((std::time::Instant::now(), 0));
        }
    }
}
