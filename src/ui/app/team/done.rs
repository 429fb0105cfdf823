//! What a team job answered, taken in by the group it belongs to.

use chrono::{DateTime, Utc};

use super::work::panel_read;
use super::{Done, KeydeskApp, Phase};
use super::{Team, TeamDone, sentence};
use crate::ui::Failure;
use crate::ui::jobs::Records;
use crate::ui::session::changes::Copying;
use crate::ui::session::{Effects, Home, Session};
use crate::ui::state::Screen;
use crate::ui::team::{ShownCode, TeamCommand};

impl KeydeskApp {
    /// Takes in what a team job answered; each group of answers has its own method.
    pub(in crate::ui::app) fn team_done(&mut self, ctx: &egui::Context, done: TeamDone) {
        let now = self.now();
        // Each group of answers is taken in by the method for it.
        match done {
            done @ (TeamDone::Opened(_) | TeamDone::TokenKept(_)) => self.opening_done(ctx, done, now),
            done => self.with_team(ctx, |team, fx| team.done(done, fx)),
        }
    }

    /// Takes in the team vault's opening (the session, or why it did not open) and whether the
    /// sign-in token was kept.
    pub(super) fn opening_done(&mut self, ctx: &egui::Context, done: TeamDone, now: DateTime<Utc>) {
        match done {
            TeamDone::Opened(Ok(mut session)) => {
                self.unlock_finished = Some(std::time::Instant::now());
                self.failed_unlocks = 0;
                self.retry_at = None;
                self.banner = None;
                self.last_activity = now;
                if let Some(notice) = session.notice.take() {
                    self.toasts.warn(notice, now);
                }
                let settings = session.settings_state();
                let mut session = Session::on(Home::Team(session), settings);
                session.screens.dashboard.sort = self.sort;
                self.phase = Phase::Unlocked(Box::new(session));
            }
            TeamDone::Opened(Err(error)) => {
                // A kept token the server refused: the field shows for a new one.
                if let Phase::Locked(state) = &mut self.phase
                    && let Some(team) = &mut state.team
                    && !error.wrong_password
                    && team.kept == Some(true)
                {
                    team.use_other = true;
                }
                // A sign-in kept before a mistyped master password is used at the next try.
                let kept_since = error.wrong_password;
                self.unlock_failed(ctx, error, now);
                // The screen says it under its button; a banner would say it twice.
                self.banner = None;
                if kept_since {
                    if let Phase::Locked(state) = &mut self.phase
                        && let Some(team) = state.team.as_mut().filter(|team| team.company)
                    {
                        team.use_other = false;
                    }
                    self.look_for_kept_token(ctx);
                }
            }
            TeamDone::TokenKept(kept) => {
                if let Phase::Locked(state) = &mut self.phase
                    && let Some(team) = &mut state.team
                {
                    team.kept = Some(kept);
                }
            }
            // The other answers are taken in by the other groups (see `team_done`).
            _ => {}
        }
    }
}

/// What a team job answered, taken in by the open team vault's session.
impl Team<'_> {
    fn done(&mut self, done: TeamDone, fx: &mut Effects<'_>) {
        let now = fx.now;
        match done {
            TeamDone::Answered(answer, polled) => self.answered(*answer, polled, fx),
            TeamDone::CheckedAll(found) => match *found {
                Ok(found) => {
                    let toasts = &mut *fx.toasts;
                    crate::ui::session::check_all::say_ended(
                        toasts,
                        &found.ended,
                        found.recorded,
                        found.health,
                        now,
                    );
                    // The answers show at once: the next poll starts now.
                    self.command(TeamCommand::Retry, fx);
                }
                Err(error) => fx.toasts.error(error.to_string(), now),
            },
            done @ (TeamDone::ToCopy(..) | TeamDone::CopyRecorded { .. } | TeamDone::Failed(_)) => {
                self.copy_done(done, fx);
            }
            done @ (TeamDone::Members(_)
            | TeamDone::Invited(..)
            | TeamDone::PasswordChanged(_)
            | TeamDone::MemberRemoved(_)) => self.members_done(done, fx),
            TeamDone::Audit(read) => *self.audit_cache = Some(*read),
            TeamDone::Incidents(read) => {
                let panel = (&mut self.home.incidents, &mut *self.screens, Screen::Incidents);
                panel_read(read, panel, fx.toasts, now);
            }
            TeamDone::Accounts(read) => self.accounts_read(read, fx),
            TeamDone::ImportPreviewed(read, picker) => {
                let transfer = &mut self.screens.settings.transfer;
                transfer.previewed(read.map(|preview| *preview), picker.map(|picker| *picker));
            }
            TeamDone::Said(result) => {
                // What it changed (an answer on a key, imported keys) comes with the next poll.
                self.home.changes += 1;
                self.home.next_poll = DateTime::<Utc>::MIN_UTC;
                match result {
                    // A job that had nothing to say (a pasted text that is no key).
                    Ok(said) if said.is_empty() => {}
                    Ok(said) => fx.toasts.info(said, now),
                    Err(error) => fx.toasts.error(error.to_string(), now),
                }
            }
            // Taken in by the shell (`team_done`).
            TeamDone::Opened(_) | TeamDone::TokenKept(_) => {}
        }
    }

    /// Takes in a change written once for either kind (`session::changes`) as a local vault's
    /// session does: this computer's copy brought up to date first, so the key it made or
    /// changed is there; then the screens say it (`Screens::take`), a secret made is shown
    /// once, a key pasted is checked when asked, and what the screen shows is read again.
    fn answered(
        &mut self,
        answer: crate::ui::session::changes::Answer,
        polled: Result<super::Polled, crate::team::TeamError>,
        fx: &mut Effects<'_>,
    ) {
        use crate::ui::session::changes::Asked;
        self.home.refreshed(polled, fx.now);
        let asked = answer.asked.clone();
        let revoking = self.screens.revoke.is_some();
        let busy = fx.jobs.recording().is_some();
        let view = self.home.view(busy, self.audit_cache.as_ref());
        let taken = self.screens.take(answer, &view, fx.toasts, fx.now);
        // What the screens show again is read again: the incidents (a revoke joins its key's
        // incident's timeline), the accounts (a revoke dialog just opened, the leak
        // response's, says how the key is revoked once they are read).
        let mut reads = Vec::new();
        if matches!(
            asked,
            Asked::IncidentOpened | Asked::IncidentClosed(_) | Asked::Revoke { .. } | Asked::LeakResponse(_)
        ) {
            crate::ui::team_page::read_incidents_again(&mut self.home.screen);
            reads.push(TeamCommand::LoadIncidents);
        }
        let opened = !revoking && self.screens.revoke.is_some() && self.home.accounts.is_none();
        if opened || matches!(asked, Asked::Account) {
            reads.push(TeamCommand::LoadAccounts);
        }
        // Kept in this computer's team.ron: what the session goes by now.
        if matches!(asked, Asked::Settings | Asked::Browsers)
            && let Ok(config) = crate::actions::team::read_config(fx.dir)
        {
            self.home.settings = config.settings;
        }
        let verify = self.keep(taken);
        for read in reads {
            self.command(read, fx);
        }
        if let Some(key) = verify {
            self.run(crate::ui::session::Command::Verify(key), fx);
        }
    }

    /// Takes in a secret to copy, and the audit trail's record of the copy.
    fn copy_done(&mut self, done: TeamDone, fx: &mut Effects<'_>) {
        let now = fx.now;
        match done {
            TeamDone::ToCopy(key, result) => {
                let (secret, keys) = match (result, &self.home.keys) {
                    (Ok(secret), Some(keys)) => (secret, keys.clone()),
                    (Err(error), _) => return fx.toasts.error(sentence(&error), now),
                    (Ok(_), None) => return,
                };
                let label = key.record.label.clone();
                // This computer's setting for the team vault (team.ron), as a local copy's.
                let secs = self.home.settings.clipboard_clear_secs;
                let mut copying = Copying {
                    clipboard: &mut *fx.clipboard,
                    pending: &mut *fx.copy,
                    toasts: &mut *fx.toasts,
                    now,
                };
                let taken = copying.put(&label, &secret, secs);
                let vault = self.home.vault.clone();
                let (copy, dir) = (self.home.copy.clone(), fx.dir.to_owned());
                let doing = "Recording the copy in the team's audit trail";
                fx.jobs.spawn(fx.ctx, doing, Records::Yes, move || {
                    let noted = taken.as_ref().map(|_taken| ()).map_err(ToString::to_string);
                    let recorded = vault.record_copy(&keys, &key, noted, now).map_err(Failure::from);
                    let result = Copying::came_to(taken, recorded);
                    let polled = Box::new(super::refresh(&vault, copy, Some(&keys), &dir, now));
                    Done::Team(TeamDone::CopyRecorded { label, result, secs, polled })
                });
            }
            TeamDone::CopyRecorded { label, result, secs, polled } => {
                self.home.refreshed(*polled, now);
                let copying = Copying {
                    clipboard: &mut *fx.clipboard,
                    pending: &mut *fx.copy,
                    toasts: &mut *fx.toasts,
                    now,
                };
                copying.ended(&label, secs, result);
            }
            TeamDone::Failed(error) => fx.toasts.error(sentence(&error), now),
            // The other answers are taken in by the other groups (see `done`).
            _ => {}
        }
    }

    /// Takes in the members' list, an invitation, a password change or a member's removal.
    fn members_done(&mut self, done: TeamDone, fx: &mut Effects<'_>) {
        let now = fx.now;
        match done {
            TeamDone::Members(Ok((members, admin))) => {
                if let Some(me) = members.iter().find(|m| m.name == self.home.vault.config().member) {
                    self.set_member_kdf(me.kdf);
                }
                self.home.members = Some(members);
                self.home.admin = Some(admin);
            }
            TeamDone::Members(Err(error)) => {
                self.screens.close(&Screen::Members);
                fx.toasts.error(sentence(&error), now);
            }
            TeamDone::Invited(name, Ok(code)) => {
                self.home.invitation = Some(ShownCode { member: name, code, galley: None });
                self.command(TeamCommand::LoadMembers, fx);
            }
            TeamDone::PasswordChanged(Ok((said, keys))) => {
                if let Some(keys) = keys {
                    self.home.replaced_keys(keys);
                }
                let memory_kib = self.screens.settings.password.kdf_memory_mib * 1024;
                let kdf = crate::vault::crypto::KdfParams { memory_kib, ..Default::default() };
                self.screens.settings.password = crate::ui::state::PasswordChange::new(kdf);
                fx.toasts.info(said, now);
                // Read again: the next change starts at the cost just chosen.
                self.command(TeamCommand::LoadMembers, fx);
            }
            TeamDone::PasswordChanged(Err(error)) => {
                self.screens.settings.password.error = Some(sentence(&error));
            }
            TeamDone::MemberRemoved(Ok((name, removed, keys))) => {
                self.home.replaced_keys(keys);
                let mut said = format!(
                    "Removed {name}: the team's key was replaced and {} sealed again under it. {}",
                    crate::vault::count_keys(removed.resealed),
                    removed.signed_out.as_ref().map(|out| out.sentence(&name)).unwrap_or_default()
                );
                if !removed.exposed.is_empty() {
                    let labels: Vec<&str> = removed.exposed.iter().map(|r| r.label.as_str()).collect();
                    said.push_str(&format!(
                        " {name} could read these keys: rotate them at their providers: {}.",
                        labels.join(", ")
                    ));
                }
                fx.toasts.warn(said, now);
                self.command(TeamCommand::LoadMembers, fx);
            }
            TeamDone::Invited(_, Err(error)) | TeamDone::MemberRemoved(Err(error)) => {
                fx.toasts.error(sentence(&error), now);
            }
            // The other answers are taken in by the other groups (see `done`).
            _ => {}
        }
    }

    /// Takes in the team's provider accounts as read.
    fn accounts_read(
        &mut self,
        read: Result<Vec<crate::vault::model::Account>, crate::team::TeamError>,
        fx: &mut Effects<'_>,
    ) {
        // An open revoke dialog says how the key is revoked, now that its account is known.
        if let (Ok(accounts), Some(dialog)) = (&read, &mut self.screens.revoke)
            && let Some(found) = self.home.list.iter().find(|k| k.record.id == dialog.key_id)
        {
            dialog.route = crate::ui::screens::revoke_route(accounts, &found.record);
        }
        let panel = (&mut self.home.accounts, &mut *self.screens, Screen::Accounts);
        panel_read(read.map_err(Failure::from), panel, fx.toasts, fx.now);
    }
}
