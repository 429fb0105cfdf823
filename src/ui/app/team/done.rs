//! What a team job answered, taken in by the group it belongs to.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::work::panel_read;
use super::{Done, KeydeskApp, Phase};
use super::{TeamDone, sentence};
use crate::ui::Failure;
use crate::ui::jobs::Records;
use crate::ui::session::changes::Copying;
use crate::ui::state::Screen;
use crate::ui::team::{ShownCode, TeamCommand};

impl KeydeskApp {
    /// Takes in what a team job answered; each group of answers has its own method.
    pub(in crate::ui::app) fn team_done(&mut self, ctx: &egui::Context, done: TeamDone) {
        let now = self.now();
        // Each group of answers is taken in by the method for it.
        match done {
            done @ (TeamDone::Opened(_) | TeamDone::TokenKept(_)) => self.opening_done(ctx, done, now),
            TeamDone::Answered(answer, polled) => self.answered(ctx, *answer, polled, now),
            TeamDone::CheckedAll(found) => match *found {
                Ok(found) => {
                    let toasts = &mut self.toasts;
                    crate::ui::session::check_all::say_ended(
                        toasts,
                        &found.ended,
                        found.recorded,
                        found.health,
                        now,
                    );
                    // The answers show at once: the next poll starts now.
                    self.run_team(ctx, TeamCommand::Retry);
                }
                Err(error) => self.toasts.error(error.to_string(), now),
            },
            done @ (TeamDone::ToCopy(..) | TeamDone::CopyRecorded { .. } | TeamDone::Failed(_)) => {
                self.copy_done(ctx, done, now);
            }
            done @ (TeamDone::Members(_)
            | TeamDone::Invited(..)
            | TeamDone::PasswordChanged(_)
            | TeamDone::MemberRemoved(_)) => self.members_done(ctx, done, now),
            done @ (TeamDone::Audit(_) | TeamDone::Incidents(_)) => {
                self.incidents_done(done, now);
            }
            TeamDone::Accounts(read) => self.accounts_read(read, now),
            done @ (TeamDone::ImportPreviewed(..) | TeamDone::Said(_)) => self.transfer_done(done, now),
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
                session.screen.screens.dashboard.sort = self.sort;
                self.phase = Phase::Team(session);
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

    /// Takes in a change written once for either kind (`session::changes`) as a local vault's
    /// session does: this computer's copy brought up to date first, so the key it made or
    /// changed is there; then the screens say it (`Screens::take`), a secret made is shown
    /// once, a key pasted is checked when asked, and what the screen shows is read again.
    fn answered(
        &mut self,
        ctx: &egui::Context,
        answer: crate::ui::session::changes::Answer,
        polled: Result<super::Polled, crate::team::TeamError>,
        now: DateTime<Utc>,
    ) {
        use crate::ui::session::changes::Asked;
        let busy = self.jobs.recording().is_some();
        let Phase::Team(session) = &mut self.phase else { return };
        session.refreshed(polled, now);
        let asked = answer.asked.clone();
        let parts = session.parts(busy);
        let revoking = parts.state.screens.revoke.is_some();
        let taken = parts.state.screens.take(answer, &parts.view, &mut self.toasts, now);
        // What the screens show again is read again: the incidents (a revoke joins its key's
        // incident's timeline), the accounts (a revoke dialog just opened, the leak
        // response's, says how the key is revoked once they are read).
        let mut reads = Vec::new();
        if matches!(
            asked,
            Asked::IncidentOpened | Asked::IncidentClosed(_) | Asked::Revoke { .. } | Asked::LeakResponse(_)
        ) {
            crate::ui::team_page::read_incidents_again(parts.state);
            reads.push(TeamCommand::LoadIncidents);
        }
        let opened = !revoking && parts.state.screens.revoke.is_some() && parts.view.accounts.is_none();
        if opened || matches!(asked, Asked::Account) {
            reads.push(TeamCommand::LoadAccounts);
        }
        if let Some(shown) = taken.shown_once {
            session.shown_once = Some(shown);
        }
        // Kept in this computer's team.ron: what the session goes by now.
        if matches!(asked, Asked::Settings | Asked::Browsers)
            && let Ok(config) = crate::actions::team::read_config(&self.services.dir)
        {
            session.settings = config.settings;
        }
        if let Some(revealed) = taken.revealed {
            session.revealed = Some(revealed);
        }
        for read in reads {
            self.run_team(ctx, read);
        }
        if let Some(key) = taken.verify {
            self.run_team_verb(ctx, crate::ui::session::Command::Verify(key));
        }
    }

    /// Takes in a secret to copy, and the audit trail's record of the copy.
    pub(super) fn copy_done(&mut self, ctx: &egui::Context, done: TeamDone, now: DateTime<Utc>) {
        match done {
            TeamDone::ToCopy(key, result) => {
                let Phase::Team(session) = &mut self.phase else { return };
                let (secret, keys) = match (result, &session.keys) {
                    (Ok(secret), Some(keys)) => (secret, keys.clone()),
                    (Err(error), _) => {
                        return self.toasts.error(sentence(&error), now);
                    }
                    (Ok(_), None) => return,
                };
                let label = key.record.label.clone();
                // This computer's setting for the team vault (team.ron), as a local copy's.
                let secs = session.settings.clipboard_clear_secs;
                let mut copying = Copying {
                    clipboard: &mut *self.services.clipboard,
                    pending: &mut self.copy,
                    toasts: &mut self.toasts,
                    now,
                };
                let taken = copying.put(&label, &secret, secs);
                let vault = session.vault.clone();
                let (copy, dir) = (session.copy.clone(), self.services.dir.clone());
                self.jobs.spawn(
                    ctx,
                    "Recording the copy in the team's audit trail",
                    Records::Yes,
                    move || {
                        let noted = taken.as_ref().map(|_taken| ()).map_err(ToString::to_string);
                        let result = match vault.record_copy(&keys, &key, noted, now) {
                            Ok(()) => taken.map_err(Failure::from),
                            Err(error) => Err(Failure::Said(format!(
                                "the team's audit trail could not record it ({})",
                                sentence(&error)
                            ))),
                        };
                        let polled = Box::new(super::refresh(&vault, copy, Some(&keys), &dir, now));
                        Done::Team(TeamDone::CopyRecorded { label, result, secs, polled })
                    },
                );
            }
            TeamDone::CopyRecorded { label, result, secs, polled } => {
                if let Phase::Team(session) = &mut self.phase {
                    session.refreshed(*polled, now);
                }
                let copying = Copying {
                    clipboard: &mut *self.services.clipboard,
                    pending: &mut self.copy,
                    toasts: &mut self.toasts,
                    now,
                };
                copying.ended(&label, secs, result);
            }
            TeamDone::Failed(error) => {
                self.toasts.error(sentence(&error), now);
            }
            // The other answers are taken in by the other groups (see `team_done`).
            _ => {}
        }
    }

    /// Takes in the members' list, an invitation, a password change or a member's removal.
    pub(super) fn members_done(&mut self, ctx: &egui::Context, done: TeamDone, now: DateTime<Utc>) {
        match done {
            TeamDone::Members(read) => {
                let Phase::Team(session) = &mut self.phase else { return };
                match read {
                    Ok((members, admin)) => {
                        if let Some(me) = members.iter().find(|m| m.name == session.vault.config().member) {
                            session.set_member_kdf(me.kdf);
                        }
                        session.members = Some(members);
                        session.admin = Some(admin);
                    }
                    Err(error) => {
                        session.screen.screens.close(&Screen::Members);
                        self.toasts.error(sentence(&error), now);
                    }
                }
            }
            TeamDone::Invited(name, code) => {
                let Phase::Team(session) = &mut self.phase else { return };
                match code {
                    Ok(code) => {
                        session.invitation = Some(ShownCode { member: name, code, galley: None });
                        self.run_team(ctx, TeamCommand::LoadMembers);
                    }
                    Err(error) => self.toasts.error(sentence(&error), now),
                }
            }
            TeamDone::PasswordChanged(result) => {
                let Phase::Team(session) = &mut self.phase else { return };
                match result {
                    Ok((said, keys)) => {
                        if let Some(keys) = keys {
                            session.keys = Some(Arc::new(keys));
                            session.changes += 1;
                            session.next_poll = DateTime::<Utc>::MIN_UTC;
                        }
                        let memory_kib = session.screen.screens.settings.password.kdf_memory_mib * 1024;
                        let kdf = crate::vault::crypto::KdfParams { memory_kib, ..Default::default() };
                        session.screen.screens.settings.password = crate::ui::state::PasswordChange::new(kdf);
                        self.toasts.info(said, now);
                        // Read again: the next change starts at the cost just chosen.
                        self.run_team(ctx, TeamCommand::LoadMembers);
                    }
                    Err(error) => session.screen.screens.settings.password.error = Some(sentence(&error)),
                }
            }
            TeamDone::MemberRemoved(result) => {
                let Phase::Team(session) = &mut self.phase else { return };
                match result {
                    Ok((name, removed, keys)) => {
                        session.keys = Some(Arc::new(keys));
                        session.changes += 1;
                        session.next_poll = DateTime::<Utc>::MIN_UTC;
                        let mut said = format!(
                            "Removed {name}: the team's key was replaced and {} sealed again under it. {}",
                            crate::vault::count_keys(removed.resealed),
                            removed.signed_out.as_ref().map(|out| out.sentence(&name)).unwrap_or_default()
                        );
                        if !removed.exposed.is_empty() {
                            let labels: Vec<&str> =
                                removed.exposed.iter().map(|r| r.label.as_str()).collect();
                            said.push_str(&format!(
                                " {name} could read these keys: rotate them at their providers: {}.",
                                labels.join(", ")
                            ));
                        }
                        self.toasts.warn(said, now);
                        self.run_team(ctx, TeamCommand::LoadMembers);
                    }
                    Err(error) => self.toasts.error(sentence(&error), now),
                }
            }
            // The other answers are taken in by the other groups (see `team_done`).
            _ => {}
        }
    }

    /// Takes in the audit trail, the incidents, and the leak response's incident.
    pub(super) fn incidents_done(&mut self, done: TeamDone, now: DateTime<Utc>) {
        match done {
            TeamDone::Audit(read) => {
                let Phase::Team(session) = &mut self.phase else { return };
                session.audit = Some(*read);
            }
            TeamDone::Incidents(read) => {
                let Phase::Team(session) = &mut self.phase else { return };
                let panel = (&mut session.incidents, &mut session.screen, Screen::Incidents);
                panel_read(read, panel, &mut self.toasts, now);
            }
            // The other answers are taken in by the other groups (see `team_done`).
            _ => {}
        }
    }

    /// Takes in the team's provider accounts as read.
    fn accounts_read(
        &mut self,
        read: Result<Vec<crate::vault::model::Account>, crate::team::TeamError>,
        now: DateTime<Utc>,
    ) {
        let Phase::Team(session) = &mut self.phase else { return };
        // An open revoke dialog says how the key is revoked, now that its account is known.
        if let (Ok(accounts), Some(dialog)) = (&read, &mut session.screen.screens.revoke)
            && let Some(found) = session.list.iter().find(|k| k.record.id == dialog.key_id)
        {
            dialog.route = crate::ui::screens::revoke_route(accounts, &found.record);
        }
        let panel = (&mut session.accounts, &mut session.screen, Screen::Accounts);
        panel_read(read.map_err(Failure::from), panel, &mut self.toasts, now);
    }

    /// Takes in an import preview, and what an import, an export or a key answer said.
    pub(super) fn transfer_done(&mut self, done: TeamDone, now: DateTime<Utc>) {
        match done {
            TeamDone::ImportPreviewed(read, picker) => {
                let Phase::Team(session) = &mut self.phase else { return };
                session
                    .screen
                    .screens
                    .settings
                    .transfer
                    .previewed(read.map(|preview| *preview), picker.map(|picker| *picker));
            }
            TeamDone::Said(result) => {
                let Phase::Team(session) = &mut self.phase else { return };
                // What it changed (an answer on a key, imported keys) comes with the next poll.
                session.changes += 1;
                session.next_poll = DateTime::<Utc>::MIN_UTC;
                match result {
                    // A job that had nothing to say (a pasted text that is no key).
                    Ok(said) if said.is_empty() => {}
                    Ok(said) => self.toasts.info(said, now),
                    Err(error) => self.toasts.error(error.to_string(), now),
                }
            }
            // The other answers are taken in by the other groups (see `team_done`).
            _ => {}
        }
    }
}
