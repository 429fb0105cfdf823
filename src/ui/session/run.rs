//! Applying the session's commands: against the vault, the clipboard and the job runner.

use super::{Command, Effects, Home, Local, Session, SessionDone};
use crate::actions::{self, RevokeOptions};

use crate::ui::jobs::Records;
use crate::vault::AddRequest;
use crate::vault::incidents::IncidentReport;
use crate::vault::model::KeyId;

impl Session {
    /// Applies one command, on either kind of vault: what only moves between screens and
    /// dialogs is the screens' (`Screens::navigate`); what only the screens or the secrets on
    /// show hold is done here; the rest goes to the vault's home (at once or in a job for a
    /// local vault, in a job for a team vault).
    pub fn run(&mut self, command: Command, fx: &mut Effects<'_>) {
        let busy = fx.jobs.recording().is_some();
        let before = (self.screens.screen.clone(), self.screens.revoke.is_some());
        let Some(command) = self.with_book(busy, |screens, book| screens.navigate(command, book)) else {
            // A screen just opened on a team vault reads what it shows from the server.
            if let Some(mut team) = self.team_parts() {
                team.opened(&before, fx);
            }
            return;
        };
        match command {
            // Taken by the screens.
            Command::Confirm(_)
            | Command::Answer(_)
            | Command::Show(_)
            | Command::NewKey(_)
            | Command::OpenKey(_)
            | Command::ReplaceAtProvider(_)
            | Command::StartRevoke(_)
            | Command::CloseRevoke => {}
            Command::DismissShownOnce => self.shown_once = None,
            Command::HideReveal => self.revealed = None,
            // Incidents.
            Command::ExportIncident { id, path } => self.with_book(busy, |screens, book| {
                screens.export_incident((&id, &path), book, fx.toasts, fx.now);
            }),
            // The shell asks the desktop (`KeydeskApp::run_cmd`); nothing for the session.
            Command::ChooseFile(_) => {}
            command => {
                if let Some(mut local) = self.local_parts() {
                    local.run(command, fx);
                } else if let Some(mut team) = self.team_parts() {
                    team.run(command, fx);
                }
            }
        }
    }

    /// Runs `work` with the screens and the keys as this vault has them now (`busy`: a change
    /// runs, so the changing buttons wait).
    pub(crate) fn with_book<R>(
        &mut self,
        busy: bool,
        work: impl FnOnce(&mut crate::ui::screens::Screens, &dyn crate::ui::detail::KeyBook) -> R,
    ) -> R {
        let Session { home, screens, audit_cache, .. } = self;
        match home {
            Home::Local(local) => work(screens, local.vault.file()),
            Home::Team(team) => work(screens, &team.view(busy, audit_cache.as_ref())),
        }
    }
}

impl Local<'_> {
    /// Runs a command on the local vault: a change at once, a provider's call in a job.
    fn run(&mut self, command: Command, fx: &mut Effects<'_>) {
        match command {
            // A key's secret and checks.
            Command::Copy(id) => self.copy(&id, fx),
            Command::Verify(id) => self.verify(&id, fx),
            Command::CheckAll => self.check_all(fx),
            Command::AskUsage { key, name } => self.ask_usage(&key, name.as_deref(), fx),
            Command::CreateAtProvider { account, request, scopes } => {
                self.create_at_provider(&account, request, &scopes, fx);
            }
            // Revoke.
            Command::Revoke { key, reason, options, replacement, leak } => {
                self.revoke_key(&key, (reason, leak.as_ref()), options, replacement, fx);
            }
            // Provider accounts.
            Command::TestAccount(id) => self.test_account(&id, fx),
            // The changes written once for either kind of vault (`changes`).
            command => self.change(command, fx),
        }
    }

    /// Applies a change (`changes::apply`) and takes its answer in.
    fn change(&mut self, command: Command, fx: &mut Effects<'_>) {
        let Ok(change) = super::changes::Change::of(command) else { return };
        let asking = super::changes::Asking { replaces: self.screens.replaces(), version: None };
        let answer = super::changes::apply(&mut self.home.vault, change, &asking);
        self.take(answer, fx);
    }

    /// Takes a change's answer in, as a team vault's session does: the screens say it, then
    /// a secret made is shown once and a key pasted is checked when asked.
    pub(crate) fn take(&mut self, answer: super::changes::Answer, fx: &mut Effects<'_>) {
        let taken = self.screens.take(answer, self.home.vault.file(), fx.toasts, fx.now);
        if let Some(key) = self.keep(taken) {
            self.verify(&key, fx);
        }
    }
}

/// A key's secret and checks.
impl Local<'_> {
    /// Puts the key on the clipboard; the copy is recorded once the clipboard took it (and as
    /// failed when it did not), and taken back off when it could not be recorded.
    fn copy(&mut self, id: &KeyId, fx: &mut Effects<'_>) {
        let secret = match self.home.vault.secret_to_copy(id) {
            Ok(secret) => secret,
            Err(error) => return fx.toasts.error(error.to_string(), fx.now),
        };
        let label = self.home.vault.file().key(id).map(|k| k.label.clone()).unwrap_or_default();
        let secs = self.home.vault.file().header.settings.clipboard_clear_secs;
        let mut copying = super::changes::Copying {
            clipboard: fx.clipboard,
            pending: fx.copy,
            toasts: fx.toasts,
            now: fx.now,
        };
        let taken = copying.put(&label, &secret, secs);
        let recorded = self.home.vault.record_copy(id, taken.clone().map_err(|e| e.to_string()));
        let ended = super::changes::Copying::came_to(taken, recorded.map_err(crate::ui::Failure::from));
        copying.ended(&label, secs, ended);
    }

    fn verify(&mut self, id: &KeyId, fx: &mut Effects<'_>) {
        match actions::plan_verify(&self.home.vault, id) {
            Ok(plan) => {
                let client = fx.client.clone();
                let label = format!("Checking \"{}\" at the provider", plan.label);
                fx.spawn(label, Records::Yes, move || SessionDone::Verified(plan.call(&client)));
            }
            Err(error) => fx.toasts.error(error.to_string(), fx.now),
        }
    }

    fn ask_usage(&mut self, id: &KeyId, name: Option<&str>, fx: &mut Effects<'_>) {
        match actions::plan_usage(&self.home.vault, id, name) {
            Ok(plan) => {
                self.screens.detail.usage_error = None;
                let client = fx.client.clone();
                let provider = self.home.vault.key(id).map_or("the provider", |k| k.provider.name());
                let label = format!("Asking {provider} when \"{}\" was last used", plan.label);
                fx.spawn(label, Records::Yes, move || SessionDone::UsageAsked(plan.call(&client)));
            }
            Err(error) => self.screens.detail.usage_error = Some(error.to_string()),
        }
    }
}

/// New keys.
impl Local<'_> {
    /// Asks the provider, in the background, to make a key in `account`.
    fn create_at_provider(
        &mut self,
        account: &str,
        request: AddRequest,
        scopes: &[String],
        fx: &mut Effects<'_>,
    ) {
        match actions::plan_create(&self.home.vault, account, request, scopes) {
            Ok(plan) => {
                let client = fx.client.clone();
                let label = format!("Creating the key at {}", plan.provider().name());
                fx.spawn(label, Records::Yes, move || SessionDone::Created(Box::new(plan.call(&client))));
            }
            Err(error) => self.screens.new_key.error = Some(error.to_string()),
        }
    }
}

/// Revoke.
impl Local<'_> {
    /// Revokes a key: in the background when the provider is called, at once otherwise
    /// (`changes::plan_revoke`, then `changes::revoked`, as on a team vault).
    fn revoke_key(
        &mut self,
        key: &KeyId,
        (reason, leak): (String, Option<&IncidentReport>),
        options: RevokeOptions,
        replacement: bool,
        fx: &mut Effects<'_>,
    ) {
        let abandoning = self.screens.abandoning.as_ref();
        let planned =
            super::changes::plan_revoke(&mut self.home.vault, key, (reason, options), leak, abandoning);
        let (plan, revoking) = match planned {
            Ok(planned) => planned,
            Err(failure) => {
                let asked = super::changes::Asked::Revoke { key: key.clone(), replacement };
                return self.take(asked.failed(failure), fx);
            }
        };
        if plan.calls_provider() {
            let client = fx.client.clone();
            let label = format!("Revoking at {}", plan.provider.name());
            fx.spawn(label, Records::Yes, move || SessionDone::Revoked {
                called: Box::new(plan.call(&client)),
                revoking,
                replacement,
            });
        } else {
            let called = plan.call(&fx.client);
            let answer = super::changes::revoked(&mut self.home.vault, called, revoking, replacement);
            self.take(answer, fx);
        }
    }
}

/// Provider accounts.
impl Local<'_> {
    /// "Test connection" in the background (`changes::tested` records what it found).
    fn test_account(&mut self, id: &str, fx: &mut Effects<'_>) {
        let plan =
            self.home.vault.find_account(id).cloned().map_err(actions::ActionError::from).and_then(|a| {
                let key = self.home.vault.management_key(&a.id)?;
                let url = crate::providers::verify::base_url(
                    a.provider,
                    a.base_url.as_deref(),
                    a.region.as_deref(),
                )?;
                Ok((a, key, url))
            });
        match plan {
            Ok((account, key, url)) => {
                let client = fx.client.clone();
                let (id, name) = (account.id.clone(), account.name.clone());
                fx.spawn(format!("Testing \"{name}\""), Records::No, move || {
                    let tested = actions::test_account(&client, account.provider, &url, &key);
                    SessionDone::AccountTested { id, name, tested }
                });
            }
            Err(error) => self.screens.accounts.error = Some(error.to_string()),
        }
    }
}
