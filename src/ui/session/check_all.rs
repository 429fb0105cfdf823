//! "Check every key" in the window: the keys are read on the UI thread, the requests run in a
//! job (a progress bar with keys done, left and time left, and Cancel), and each answer comes
//! back over a channel and is recorded at the next tick — so a kill or a Cancel keeps every
//! answer that arrived. At the end the vault's health score is recorded (a `health` line).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::{Effects, Local, LocalHome, Session, SessionDone};
use crate::actions::check_all::{self as checks, Event, KeyChecked, Patience, Tally};
use crate::ui::jobs::Records;

/// A check of every key while it runs: the answers not recorded yet and the tally so far.
pub struct Checking {
    answers: Receiver<KeyChecked>,
    tally: Tally,
    /// Set when the vault could not record an answer: the job stops at its next answer.
    stop: Arc<AtomicBool>,
    failed: Option<String>,
    /// Uses the provider saw after a revoke or a replacement, said at the end.
    flags: Vec<String>,
}

/// How the job ended.
pub struct CheckAllEnded {
    pub(crate) ended: checks::Ended,
    /// Each provider that asked to wait too long: its keys not checked, and the sentence.
    pub(crate) stopped: Vec<(usize, String)>,
    /// Keys that could not be asked about (no secret, no address).
    pub(crate) not_planned: Vec<String>,
}

/// What the answers of a check of every key came to once recorded.
pub struct CheckAllRecorded {
    pub tally: Tally,
    /// Uses the provider saw after a revoke or a replacement.
    pub flags: Vec<String>,
    /// Why the vault could not record an answer (the check stopped there).
    pub failed: Option<String>,
}

/// Says how a check of every key ended, on either vault kind: each use after a revoke (in the
/// error colour), each provider that asked to wait too long, the keys not asked about, then
/// one line with the tally and the health score recorded after it (`health`: none when an
/// answer could not be recorded), in the colour of its worst answer. Answers whether the
/// health score was recorded.
pub(crate) fn say_ended(
    toasts: &mut crate::ui::widgets::Toasts,
    ended: &CheckAllEnded,
    recorded: CheckAllRecorded,
    health: Option<Result<crate::vault::health::HealthReport, crate::actions::ActionError>>,
    now: DateTime<Utc>,
) -> bool {
    for flag in recorded.flags {
        toasts.error(flag, now);
    }
    for (_, why) in &ended.stopped {
        toasts.warn(why.clone(), now);
    }
    if let Some(first) = ended.not_planned.first() {
        let more = ended.not_planned.len() - 1;
        let also = if more > 0 { format!(" (and {more} more)") } else { String::new() };
        toasts.warn(format!("Not checked: {first}{also}"), now);
    }
    let tally = recorded.tally;
    let mut said = format!("Checked {}: {}.", crate::vault::count_keys(tally.done()), tally.sentence());
    let left = ended.ended.left;
    if ended.ended.cancelled && left > 0 {
        said.push_str(&format!(" Stopped: {} not checked.", crate::vault::count_keys(left)));
    }
    let mut kept = false;
    match (recorded.failed, health) {
        (Some(error), _) => {
            toasts.error(format!("{error} The answers before it are recorded; the check stopped."), now);
        }
        // The score as the answers left it, on record: the Health screen's chart.
        (None, Some(Ok(health))) => {
            said.push_str(&format!(" Health score: {}/100.", health.score));
            kept = true;
        }
        (None, Some(Err(error))) => {
            toasts
                .error(format!("The answers are recorded, but the health score could not be: {error}"), now);
        }
        (None, None) => {}
    }
    if tally.refused > 0 {
        toasts.error(said, now);
    } else if tally.could_not_tell > 0 || left > 0 || !ended.stopped.is_empty() {
        toasts.warn(said, now);
    } else {
        toasts.info(said, now);
    }
    kept
}

impl LocalHome {
    /// When the weekly check of every key is next due: a week after the last check of every
    /// key (the newest `health` line, read from the log once), at once when there was none;
    /// `None` while the setting is off.
    pub fn weekly_check_at(&mut self) -> Option<DateTime<Utc>> {
        if !self.vault.file().header.settings.check_weekly {
            return None;
        }
        let vault = &self.vault;
        let last = *self.last_check_all.get_or_insert_with(|| {
            // A log that cannot be read counts as no check: the check then runs, and says
            // what it finds.
            let text = vault.audit_text().unwrap_or_default();
            crate::vault::health::history::history(&crate::vault::audit::parse(&text)).last().map(|p| p.at)
        });
        Some(last.map_or(DateTime::<Utc>::MIN_UTC, |at| {
            at + chrono::Duration::days(crate::vault::health::history::WEEKLY_DAYS)
        }))
    }

    /// Whether the weekly check should start now; when it should, it counts as started (it is
    /// tried once a week, whatever it finds).
    pub fn weekly_check_due(&mut self, now: DateTime<Utc>) -> bool {
        if self.checking.is_some() || self.weekly_check_at().is_none_or(|at| at > now) {
            return false;
        }
        self.last_check_all = Some(Some(now));
        true
    }
}

impl Local<'_> {
    /// Starts the check of every live key.
    pub(super) fn check_all(&mut self, fx: &mut Effects<'_>) {
        let now = fx.now;
        if self.home.checking.is_some() {
            fx.toasts.warn("Keydesk is checking every key already.".into(), now);
            return;
        }
        let ids = checks::select(self.home.vault.keys(), None);
        if ids.is_empty() {
            fx.toasts.info("No active key to check at a provider.".into(), now);
            return;
        }
        let (plans, not_planned) = checks::plan_all(&self.home.vault, &ids);
        let not_planned = not_planned.into_iter().map(|n| format!("\"{}\": {}", n.label, n.why)).collect();
        let (sender, answers) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        self.home.checking = Some(Checking {
            answers,
            tally: Tally::default(),
            stop: stop.clone(),
            failed: None,
            flags: Vec::new(),
        });
        let client = fx.client.clone();
        let total = plans.len();
        let label = format!("Checking {} at their providers", crate::vault::count_keys(total));
        fx.spawn_counted(label, Records::Yes, move |progress| {
            progress.set(0, total);
            let started = Instant::now();
            let (mut done, mut stopped) = (0, Vec::new());
            let ended =
                checks::run(&plans, &client, &Patience::default(), progress.cancel_flag(), &mut |event| {
                    match event {
                        Event::Checked(checked) => {
                            // The session is gone (locked): nobody records it any more.
                            let _dropped = sender.send(checked);
                            done += 1;
                        }
                        Event::Stopped { keys, why, .. } => {
                            done += keys.len();
                            stopped.push((keys.len(), why));
                        }
                    }
                    progress.set(done, total);
                    let per_key = started.elapsed().as_secs_f64() / done.max(1) as f64;
                    #[allow(
                        clippy::cast_possible_truncation,
                        clippy::cast_sign_loss,
                        reason = "whole seconds"
                    )]
                    progress.set_seconds_left(Some((per_key * total.saturating_sub(done) as f64) as u64));
                    if stop.load(Ordering::Relaxed) {
                        progress.cancel_flag().store(true, Ordering::Relaxed);
                    }
                });
            SessionDone::CheckedAll(CheckAllEnded { ended, stopped, not_planned })
        });
    }

    /// Records the answers that arrived since the last tick.
    pub(super) fn record_checked(&mut self) {
        let Some(checking) = &mut self.home.checking else { return };
        while let Ok(checked) = checking.answers.try_recv() {
            if checking.failed.is_some() {
                continue;
            }
            match checks::record(&mut self.home.vault, checked) {
                Ok(recorded) => {
                    checking.tally.add(recorded.verdict());
                    checking.flags.extend(recorded.unexpected_use);
                }
                Err(error) => {
                    checking.failed = Some(error.to_string());
                    checking.stop.store(true, Ordering::Relaxed);
                }
            }
        }
    }

    /// The job ended: the last answers recorded, then what it found, said in one line (and
    /// what kept keys from being checked).
    pub(super) fn finish_check_all(&mut self, ended: &CheckAllEnded, fx: &mut Effects<'_>) {
        self.record_checked();
        let Some(checking) = self.home.checking.take() else { return };
        let health =
            checking.failed.is_none().then(|| crate::actions::Store::record_health(&mut self.home.vault));
        let recorded =
            CheckAllRecorded { tally: checking.tally, flags: checking.flags, failed: checking.failed };
        if say_ended(fx.toasts, ended, recorded, health, fx.now) {
            self.home.last_check_all = Some(Some(fx.now));
        }
    }
}

impl Session {
    /// Whether a local vault's weekly check of every key should start now (a team vault's
    /// checks are started by its members).
    pub fn weekly_check_due(&mut self, now: DateTime<Utc>) -> bool {
        match &mut self.home {
            super::Home::Local(local) => local.weekly_check_due(now),
            super::Home::Team(_) => false,
        }
    }
}
