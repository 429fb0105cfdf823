//! The answers of background jobs, applied by the shell: the keychain probe, the file read
//! ahead, an unlock, a password change or backup, and the session's own jobs (handed to it).

use super::{Done, KeydeskApp, Phase};
use crate::ui::session::{Session, SessionDone};
use crate::ui::state::Screen;
use crate::vault::Vault;
use crate::vault::model::SecretBackend;

impl KeydeskApp {
    pub(super) fn handle_done(&mut self, ctx: &egui::Context, done: Done, cancelled: bool) {
        let now = self.now();
        match done {
            Done::Probed(result) => {
                if let Phase::Create(state) = &mut self.phase {
                    state.keychain = Some(result.map_err(Box::new));
                    if state.keychain.as_ref().is_some_and(Result::is_err) {
                        state.backend = SecretBackend::File;
                    }
                }
            }
            Done::Loaded { digest, parsed } => match parsed {
                Ok(file) => self.preloaded = Some((digest, file)),
                Err(error) => self.banner = Some(error.to_string()),
            },
            Done::Opened(Ok(vault)) => {
                self.unlock_finished = Some(std::time::Instant::now());
                self.failed_unlocks = 0;
                self.retry_at = None;
                self.banner = vault.changed_outside_advice();
                self.last_activity = now;
                // What is due is said once, on unlock.
                if let Some(reminder) = crate::ui::dashboard::reminder(vault.file(), now) {
                    self.toasts.warn(reminder, now);
                }
                let mut session = Session::local(*vault);
                session.screens.dashboard.sort = self.sort;
                self.phase = Phase::Unlocked(Box::new(session));
            }
            Done::Opened(Err(error)) => self.unlock_failed(ctx, error, now),
            Done::Team(done) => self.team_done(ctx, done),
            Done::ServerSetup(done) => self.server_setup_done(done),
            Done::PasswordChanged(vault, result) => {
                let message = match result {
                    // In force, but the previous version still opens with the old password.
                    Ok((_, Some(caveat))) => Err(crate::ui::Failure::Said(caveat)),
                    Ok((false, None)) => Ok("Master password changed.".to_owned()),
                    Ok((true, None)) => Ok("Master password and data key changed: every key is re-encrypted, and the old password opens nothing current.".to_owned()),
                    Err(error) => Err(error),
                };
                self.vault_back(ctx, *vault, message, |session, error| {
                    session.screens.settings.password.error = Some(error);
                });
            }
            Done::BackedUp(vault, result) => {
                self.vault_back(ctx, *vault, result, |session, error| {
                    session.screens.settings.backup_error = Some(error);
                });
            }
            Done::ImportPreviewed(vault, result, picker) => {
                self.vault_back(ctx, *vault, Ok(String::new()), |_, _| {});
                if let Phase::Unlocked(session) = &mut self.phase {
                    session.screens.settings.transfer.previewed(result, picker.map(|picker| *picker));
                }
            }
            Done::Imported(vault, result) => {
                self.vault_back(ctx, *vault, result, |session, error| {
                    session.screens.settings.transfer.import_error = Some(error);
                });
            }
            Done::Exported(vault, result) => {
                self.vault_back(ctx, *vault, result, |session, error| {
                    session.screens.settings.transfer.export_error = Some(error);
                });
            }
            Done::Reminder(state, said) => {
                // On the settings screen, or on what it holds while its vault is in a job.
                let settings = match self.phase.screens_mut() {
                    Some(screens) => Some(&mut screens.settings),
                    None => self.kept_settings.as_mut(),
                };
                if let Some(settings) = settings {
                    settings.reminder = Some(state);
                    if said.is_some() {
                        settings.reminder_said = said;
                    }
                }
            }
            Done::Session(done) => self.finish_session_job(ctx, done, cancelled),
            Done::Files(done) => self.files_done(ctx, done),
        }
        ctx.request_repaint();
    }

    /// A vault back from a job on the settings screen: the session again, the outcome told
    /// (a failure in the screen's error line), and the answers that waited applied.
    pub(super) fn vault_back(
        &mut self,
        ctx: &egui::Context,
        vault: Vault,
        outcome: Result<String, crate::ui::Failure>,
        show_error: impl FnOnce(&mut Session, String),
    ) {
        let now = self.now();
        let mut session = Session::local(vault);
        session.screens.screen = Screen::Settings;
        if let Some(kept) = self.kept_settings.take() {
            session.screens.settings = kept;
        }
        session.screens.dashboard.sort = self.sort;
        match outcome {
            Ok(message) if message.is_empty() => {}
            Ok(message) => self.toasts.info(message, now),
            Err(error) => show_error(&mut session, error.to_string()),
        }
        self.phase = Phase::Unlocked(Box::new(session));
        for (done, cancelled) in std::mem::take(&mut self.deferred) {
            self.finish_session_job(ctx, done, cancelled);
        }
    }

    pub(super) fn finish_session_job(&mut self, ctx: &egui::Context, done: SessionDone, cancelled: bool) {
        match &self.phase {
            Phase::Unlocked(_) => {
                self.with_session(ctx, |session, fx| session.finish(done, cancelled, fx));
            }
            Phase::Busy => self.deferred.push((done, cancelled)),
            // Only answers that record nothing can arrive here: a lock waits for the others.
            Phase::Create(_) | Phase::Locked(_) => {}
        }
    }
}
