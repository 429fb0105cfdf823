//! The answers of the session's background jobs (verify, create and revoke at a provider,
//! test an account), recorded in the vault.

use super::{Effects, Session, SessionDone};
use crate::actions::{self, RevokeCalled};
use crate::ui::state::{NewKeyState, Screen};
use crate::vault::model::KeyId;

impl Session {
    /// Applies a background job's answer. `cancelled`: the user stopped waiting for it (what
    /// the provider did is recorded all the same).
    pub fn finish(&mut self, done: SessionDone, cancelled: bool, fx: &mut Effects<'_>) {
        let now = fx.now;
        match done {
            SessionDone::Verified(called) => {
                let result = actions::finish_verify(&mut self.vault, called);
                if !cancelled {
                    match result {
                        Ok(outcome) if outcome.works() => fx.toasts.info(outcome.sentence(), now),
                        Ok(outcome) if outcome.refused() => fx.toasts.error(outcome.sentence(), now),
                        Ok(outcome) => fx.toasts.warn(outcome.sentence(), now),
                        Err(error) => fx.toasts.error(error.to_string(), now),
                    }
                }
                // The key's page reads its facts from the vault each frame; fields being
                // edited there are left as they are.
            }
            SessionDone::CheckedAll(ended) => self.finish_check_all(&ended, fx),
            SessionDone::UsageAsked(called) => {
                let key = called.key_id.clone();
                let result = actions::finish_usage(&mut self.vault, called);
                // The answer stays on the key's page (recorded on the key, or the reason it
                // could not be had); a possible unauthorized use is said at once as well.
                match result {
                    Ok(found) => {
                        if self.screens.page() == Some(&key) {
                            self.screens.detail.usage_error = None;
                        }
                        if let (Some(flag), false) = (found.unexpected, cancelled) {
                            let provider = self.vault.key(&key).map(|k| k.provider);
                            if let Ok(provider) = provider {
                                fx.toasts.error(actions::unexpected_sentence(provider, &flag), now);
                            }
                        }
                    }
                    Err(error) => {
                        if self.screens.page() == Some(&key) {
                            self.screens.detail.usage_error = Some(error.to_string());
                        } else if !cancelled {
                            fx.toasts.error(error.to_string(), now);
                        }
                    }
                }
            }
            SessionDone::Created(called) => {
                let asking =
                    super::changes::Asking { replaces: self.screens.new_key.replaces.clone(), version: None };
                let answer = super::changes::created(&mut self.vault, *called, &fx.client, &asking);
                self.take(answer, fx);
            }
            SessionDone::Revoked { called, reason, replacement } => {
                self.finish_revoke(*called, &reason, replacement, fx);
            }
            SessionDone::AccountTested { id, name, result, scopes } => {
                // What the key may do is kept for the health report, cancelled or not.
                if let Some(scopes) = scopes
                    && let Err(error) = self.vault.note_management_scopes(&id, scopes)
                {
                    fx.toasts.error(format!("{name}: the test's answer could not be recorded: {error}"), now);
                }
                // The last result stays on the account's row, not only in a toast.
                let toast = match &result {
                    Ok(words) => Ok(format!("{name}: {words}")),
                    Err(error) => Err(format!("{name}: {error}")),
                };
                self.screens.accounts.tested.insert(id, (result, now));
                if cancelled {
                    return;
                }
                match toast {
                    Ok(said) => fx.toasts.info(said, now),
                    Err(said) => fx.toasts.error(said, now),
                }
            }
        }
    }

    pub(super) fn finish_revoke(
        &mut self,
        called: RevokeCalled,
        reason: &str,
        replacement: bool,
        fx: &mut Effects<'_>,
    ) {
        let now = fx.now;
        let key_id = called.key_id().to_owned();
        // The dialog that asked for this revoke, if it is still the one open.
        let dialog_open = self.screens.revoke.as_ref().is_some_and(|r| r.key_id == key_id);
        match actions::finish_revoke(&mut self.vault, called, reason) {
            Ok(done) => {
                for note in done.notes {
                    fx.toasts.warn(note, now);
                }
                fx.toasts.info(done.message, now);
                if dialog_open {
                    self.screens.revoke = None;
                }
                if self.screens.abandoning.as_ref().is_some_and(|(new, _, _)| *new == key_id)
                    && let Some((_, old, why)) = self.screens.abandoning.take()
                {
                    self.abandoned(&old, &why, fx);
                }
                let old = self.vault.file().key(&key_id).cloned();
                if replacement && let Some(old) = old {
                    self.screens.new_key = NewKeyState::replacing(&old);
                    self.screens.screen = Screen::New;
                }
            }
            Err(error) => match &mut self.screens.revoke {
                Some(state) if dialog_open => state.error = Some(error.to_string()),
                _ => fx.toasts.error(error.to_string(), now),
            },
        }
    }

    /// Ends the rotation of `old` once its replacement is revoked (`changes::abandon`).
    pub(super) fn abandoned(&mut self, old: &KeyId, reason: &str, fx: &mut Effects<'_>) {
        let result = super::changes::abandon(&mut self.vault, old, reason);
        self.take(super::changes::Answer::of(super::changes::Asked::RotationStep, result), fx);
    }
}
