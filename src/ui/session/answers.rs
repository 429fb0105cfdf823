//! The answers of the session's background jobs (verify, create and revoke at a provider,
//! test an account), recorded in the vault.

use super::{Effects, Local, Session, SessionDone};

impl Session {
    /// Applies a local vault's background job's answer. `cancelled`: the user stopped waiting
    /// for it (what the provider did is recorded all the same).
    pub fn finish(&mut self, done: SessionDone, cancelled: bool, fx: &mut Effects<'_>) {
        if let Some(mut local) = self.local_parts() {
            local.finish(done, cancelled, fx);
        }
    }
}

impl Local<'_> {
    fn finish(&mut self, done: SessionDone, cancelled: bool, fx: &mut Effects<'_>) {
        match done {
            SessionDone::Verified(called) => {
                let answer = super::changes::verified(&mut self.home.vault, called);
                self.take_heard(answer, cancelled, fx);
            }
            SessionDone::CheckedAll(ended) => self.finish_check_all(&ended, fx),
            SessionDone::UsageAsked(called) => {
                let answer = super::changes::used(&mut self.home.vault, called);
                self.take_heard(answer, cancelled, fx);
            }
            SessionDone::Created(called) => {
                let asking =
                    super::changes::Asking { replaces: self.screens.new_key.replaces.clone(), version: None };
                let answer = super::changes::created(&mut self.home.vault, *called, &fx.client, &asking);
                self.take(answer, fx);
            }
            SessionDone::Revoked { called, revoking, replacement } => {
                let answer = super::changes::revoked(&mut self.home.vault, *called, revoking, replacement);
                self.take(answer, fx);
            }
            SessionDone::AccountTested { id, name, tested } => {
                // What the key may do is kept for the health report, cancelled or not.
                let answer = super::changes::tested(&mut self.home.vault, (id, name), tested);
                self.take_heard(answer, cancelled, fx);
            }
        }
    }

    /// [`take`](Local::take)s the answer of a job the user may have stopped waiting for:
    /// recorded and shown on the screens all the same, not said in a toast once cancelled.
    fn take_heard(&mut self, answer: super::changes::Answer, cancelled: bool, fx: &mut Effects<'_>) {
        if !cancelled {
            return self.take(answer, fx);
        }
        let mut unheard = crate::ui::widgets::Toasts::default();
        self.screens.take(answer, self.home.vault.file(), &mut unheard, fx.now);
    }
}
