//! Applying the session's commands: against the vault, the clipboard and the job runner.

use std::path::Path;

use secrecy::{ExposeSecret, SecretString};

use super::{Command, Effects, PendingClear, REVEAL_SECS, Revealed, Session, SessionDone, ShownOnce};
use crate::actions::{self, RevokeOptions};
use crate::clipboard::fingerprint;
use crate::ui::jobs::Records;
use crate::ui::state::{AccountsState, DetailState, NewKeyState, Screen, WhoisAnswer};
use crate::vault::incidents::IncidentReport;
use crate::vault::model::KeyId;
use crate::vault::{AccountRequest, AddRequest, GenerateRequest, KeyEdit, Replacement};

impl Session {
    /// Applies one command: what only moves between screens and dialogs is the screens'
    /// (`Screens::navigate`, the same on a team vault); the rest goes to the part of the
    /// session that decides it.
    pub fn run(&mut self, command: Command, fx: &mut Effects<'_>) {
        let now = fx.now;
        let Some(command) = self.screens.navigate(command, self.vault.file()) else { return };
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
            // A key's secret and checks.
            Command::Whois(candidate) => self.whois(&candidate, fx),
            Command::Copy(id) => self.copy(&id, fx),
            Command::Reveal(id) => self.reveal(id, fx),
            Command::HideReveal => self.revealed = None,
            Command::Verify(id) => self.verify(&id, fx),
            Command::CheckAll => self.check_all(fx),
            Command::AskUsage { key, name } => self.ask_usage(&key, name.as_deref(), fx),
            // New keys and a key's details.
            Command::Generate(request) => self.generate(request, fx),
            Command::Add { request, secret, verify_after } => {
                self.add_key(request, &secret, verify_after, fx);
            }
            Command::CreateAtProvider { account, request, scopes } => {
                self.create_at_provider(&account, request, &scopes, fx);
            }
            Command::Edit { key, edit } => self.edit(&key, &edit, fx),
            // Incidents.
            Command::RespondToLeak { key, report } => self.respond_to_leak(key, &report, fx),
            Command::OpenIncident { key, report } => self.open_incident(&key, &report, fx),
            Command::CloseIncident { id, summary } => self.close_incident(&id, &summary, fx),
            Command::ExportIncident { id, path } => self.export_incident(&id, &path, fx),
            // The shell asks the desktop (`KeydeskApp::run_cmd`); nothing for the session.
            Command::ChooseFile(_) => {}
            // Rotation and revoke.
            Command::Rotate { key, pasted } => self.rotate(&key, pasted, fx),
            Command::MarkRotation { old, integration, step } => {
                if let Err(error) = actions::changes::mark_rotation(&mut self.vault, &old, &integration, step)
                {
                    fx.toasts.error(error.to_string(), now);
                }
            }
            Command::FinishRotation { old, reason } => self.finish_rotation(&old, reason.as_deref(), fx),
            Command::AbandonRotation { old, reason } => self.abandoned(&old, &reason, fx),
            Command::Revoke { key, reason, options, replacement, leak } => {
                self.revoke_key(&key, (reason, leak.as_ref()), options, replacement, fx);
            }
            // Provider accounts and settings.
            Command::AddAccount { request, management_key } => {
                self.add_account(request, management_key.as_ref(), fx);
            }
            Command::RemoveAccount(id) => match self.vault.remove_account(&id) {
                Ok(()) => fx.toasts.info("Account removed.".to_owned(), now),
                Err(error) => self.screens.accounts.error = Some(error.to_string()),
            },
            Command::TestAccount(id) => self.test_account(&id, fx),
            Command::SaveSettings(settings) => match self.vault.update_settings(settings) {
                Ok(()) => fx.toasts.info("Settings saved.".to_owned(), now),
                Err(error) => self.screens.settings.error = Some(error.to_string()),
            },
        }
    }
}

/// A key's secret and checks.
impl Session {
    /// Which keys of the vault a pasted secret is.
    fn whois(&mut self, candidate: &SecretString, fx: &mut Effects<'_>) {
        match crate::actions::Store::whois(&mut self.vault, candidate.expose_secret()) {
            Ok(found) => {
                self.screens.whois.answer = Some(WhoisAnswer {
                    keys: found.keys.into_iter().map(|record| record.id).collect(),
                    looked_at: found.looked_at,
                    cut_short: found.cut_short,
                });
            }
            Err(error) => fx.toasts.error(error.to_string(), fx.now),
        }
    }

    /// Shows the key's secret on its page for a while.
    fn reveal(&mut self, id: KeyId, fx: &mut Effects<'_>) {
        match self.vault.reveal(&id) {
            Ok(secret) => {
                let until = fx.now + chrono::Duration::seconds(REVEAL_SECS);
                self.revealed = Some(Revealed { key_id: id, secret, until, galley: None });
            }
            Err(error) => fx.toasts.error(error.to_string(), fx.now),
        }
    }

    /// Puts the key on the clipboard; the copy is recorded once the clipboard took it (and as
    /// failed when it did not).
    fn copy(&mut self, id: &KeyId, fx: &mut Effects<'_>) {
        let now = fx.now;
        let secret = match self.vault.secret_to_copy(id) {
            Ok(secret) => secret,
            Err(error) => return fx.toasts.error(error.to_string(), now),
        };
        let label = self.label_of(id);
        let taken = fx.clipboard.set_secret(secret.expose_secret());
        let recorded = self.vault.record_copy(id, taken.clone().map_err(|e| e.to_string()));
        match (taken, recorded) {
            (Ok(()), recorded) => {
                let secs = self.vault.file().header.settings.clipboard_clear_secs;
                *fx.copy = Some(PendingClear {
                    label: label.clone(),
                    fingerprint: fingerprint(secret.expose_secret()),
                    clear_at: now + chrono::Duration::seconds(i64::from(secs)),
                });
                match recorded {
                    Ok(()) => fx.toasts.info(format!("Copied {label} — clears in {secs} s"), now),
                    Err(error) => fx
                        .toasts
                        .error(format!("Copied {label}, but the copy could not be recorded: {error}"), now),
                }
            }
            (Err(error), _) => fx.toasts.error(error.to_string(), now),
        }
    }

    fn verify(&mut self, id: &KeyId, fx: &mut Effects<'_>) {
        match actions::plan_verify(&self.vault, id) {
            Ok(plan) => {
                let client = fx.client.clone();
                let label = format!("Checking \"{}\" at the provider", plan.label);
                fx.spawn(label, Records::Yes, move || SessionDone::Verified(plan.call(&client)));
            }
            Err(error) => fx.toasts.error(error.to_string(), fx.now),
        }
    }

    fn ask_usage(&mut self, id: &KeyId, name: Option<&str>, fx: &mut Effects<'_>) {
        match actions::plan_usage(&self.vault, id, name) {
            Ok(plan) => {
                self.screens.detail.usage_error = None;
                let client = fx.client.clone();
                let provider = self.vault.key(id).map_or("the provider", |k| k.provider.name());
                let label = format!("Asking {provider} when \"{}\" was last used", plan.label);
                fx.spawn(label, Records::Yes, move || SessionDone::UsageAsked(plan.call(&client)));
            }
            Err(error) => self.screens.detail.usage_error = Some(error.to_string()),
        }
    }
}

/// New keys and a key's details.
impl Session {
    /// Makes a Keydesk key: its secret is shown once, and its page opens.
    fn generate(&mut self, request: GenerateRequest, fx: &mut Effects<'_>) {
        match self.vault.generate(request) {
            Ok((id, secret)) => {
                self.link_replacement(&id, fx);
                let label = self.label_of(&id);
                self.shown_once = Some(ShownOnce { label, key_id: Some(id.clone()), secret, galley: None });
                self.screens.new_key = NewKeyState::default();
                self.screens.open_key(&id, self.vault.file());
            }
            Err(error) => self.screens.new_key.error = Some(error.to_string()),
        }
    }

    /// Keeps a pasted key, opens its page and, when asked and its provider can, checks it.
    fn add_key(
        &mut self,
        request: AddRequest,
        secret: &SecretString,
        verify_after: bool,
        fx: &mut Effects<'_>,
    ) {
        let now = fx.now;
        match self.vault.add(request, secret) {
            Ok((id, detection)) => {
                if let Some(warning) = detection.warning {
                    fx.toasts.warn(warning, now);
                }
                fx.toasts.info(format!("Added the {} key.", detection.provider.name()), now);
                self.link_replacement(&id, fx);
                self.screens.new_key = NewKeyState::default();
                self.screens.open_key(&id, self.vault.file());
                if verify_after && detection.provider.info().verify.is_some() {
                    self.verify(&id, fx);
                }
            }
            Err(error) => self.screens.new_key.error = Some(error.to_string()),
        }
    }

    /// Asks the provider, in the background, to make a key in `account`.
    fn create_at_provider(
        &mut self,
        account: &str,
        request: AddRequest,
        scopes: &[String],
        fx: &mut Effects<'_>,
    ) {
        match actions::plan_create(&self.vault, account, request, scopes) {
            Ok(plan) => {
                let client = fx.client.clone();
                let label = format!("Creating the key at {}", plan.provider().name());
                fx.spawn(label, Records::Yes, move || SessionDone::Created(Box::new(plan.call(&client))));
            }
            Err(error) => self.screens.new_key.error = Some(error.to_string()),
        }
    }

    /// Saves the edits of a key's page.
    fn edit(&mut self, key: &KeyId, edit: &KeyEdit, fx: &mut Effects<'_>) {
        match actions::changes::edit(&mut self.vault, key, None, edit) {
            Ok(()) => {
                fx.toasts.info(super::edit_saved(&self.label_of(key)), fx.now);
                self.screens.detail = DetailState::for_key(self.vault.file(), key);
            }
            Err(error) => self.screens.detail.error = Some(error.to_string()),
        }
    }
}

/// Incidents.
impl Session {
    /// Opens an incident from the leak search, then starts revoking the key.
    fn respond_to_leak(&mut self, key: KeyId, report: &IncidentReport, fx: &mut Effects<'_>) {
        match self.vault.open_incident(&key, report) {
            Ok(id) => {
                self.screens.whois = crate::ui::state::WhoisState::default();
                fx.toasts.info(super::leak_incident_opened(&id), fx.now);
                self.run(Command::StartRevoke(key), fx);
            }
            Err(error) => self.screens.whois.error = Some(error.to_string()),
        }
    }

    /// Opens an incident from the key's page.
    fn open_incident(&mut self, key: &KeyId, report: &IncidentReport, fx: &mut Effects<'_>) {
        match self.vault.open_incident(key, report) {
            Ok(id) => {
                self.screens.detail.incident = crate::ui::state::IncidentForm::default();
                fx.toasts.info(super::incident_opened(&id), fx.now);
            }
            Err(error) => self.screens.detail.incident.error = Some(error.to_string()),
        }
    }

    fn close_incident(&mut self, id: &str, summary: &str, fx: &mut Effects<'_>) {
        let closed = self.vault.close_incident(id, summary);
        let form = self.incident_form(id);
        match closed {
            Ok(()) => {
                form.summary.clear();
                form.error = None;
                fx.toasts.info(super::incident_closed(id), fx.now);
            }
            Err(error) => form.error = Some(error.to_string()),
        }
    }

    /// The form an incident's answer goes to: its own on the Incidents screen, else the key
    /// page's.
    pub(crate) fn incident_form(&mut self, id: &str) -> &mut crate::ui::state::IncidentForm {
        match self.screens.screen {
            Screen::Incidents => self.screens.incidents.forms.entry(id.to_owned()).or_default(),
            _ => &mut self.screens.detail.incident,
        }
    }

    /// Writes the incident's report (Markdown) to `path`.
    fn export_incident(&mut self, id: &str, path: &Path, fx: &mut Effects<'_>) {
        let path = crate::storage::expand_home(path);
        let file = self.vault.file();
        let written = file
            .incidents
            .iter()
            .find(|i| i.id == id)
            .map(|incident| crate::actions::transfer::write_incident_report(&file.keys, incident, &path));
        let form = self.incident_form(id);
        match written {
            Some(Ok(said)) => {
                form.error = None;
                fx.toasts.info(said, fx.now);
            }
            Some(Err(error)) => form.error = Some(error.to_string()),
            None => form.error = Some(format!("There is no incident {id}.")),
        }
    }
}

/// Rotation and revoke.
impl Session {
    fn rotate(&mut self, id: &KeyId, pasted: Option<SecretString>, fx: &mut Effects<'_>) {
        let replacement = pasted.map_or(Replacement::Generate, Replacement::Pasted);
        let generated = matches!(replacement, Replacement::Generate);
        let live = self.vault.file().key(id).is_some_and(crate::vault::model::KeyRecord::is_live);
        match crate::actions::Store::begin_rotation(&mut self.vault, id, replacement) {
            Ok((new_id, secret)) => {
                let label = self.label_of(&new_id);
                if generated {
                    self.shown_once = Some(ShownOnce {
                        label: label.clone(),
                        key_id: Some(new_id.clone()),
                        secret,
                        galley: None,
                    });
                }
                let old = if live { "is retiring until they move" } else { "stays revoked" };
                fx.toasts.info(
                    format!("\"{label}\" rotated: move its integrations to it; the old key {old}."),
                    fx.now,
                );
                self.screens.open_key(&new_id, self.vault.file());
            }
            Err(error) => self.screens.detail.error = Some(error.to_string()),
        }
    }

    /// Closes the rotation of `old` whose old key was revoked first (the screens ask for the
    /// revoke that closes it otherwise).
    fn finish_rotation(&mut self, old: &KeyId, reason: Option<&str>, fx: &mut Effects<'_>) {
        match actions::changes::close_rotation(&mut self.vault, old, reason) {
            Ok(()) => fx.toasts.info("Rotation finished.".to_owned(), fx.now),
            Err(error) => fx.toasts.error(error.to_string(), fx.now),
        }
    }

    /// Revokes a key: in the background when the provider is called, at once otherwise. When
    /// the user said where it leaked, an incident is opened first (the revoke joins its
    /// timeline).
    fn revoke_key(
        &mut self,
        key: &KeyId,
        (reason, leak): (String, Option<&IncidentReport>),
        options: RevokeOptions,
        replacement: bool,
        fx: &mut Effects<'_>,
    ) {
        let planned = actions::plan_revoke_of_leak(&mut self.vault, key, &reason, options, leak);
        let planned = planned.map(|(plan, opened)| {
            if let Some(id) = opened {
                fx.toasts.info(format!("Opened incident {id}."), fx.now);
            }
            plan
        });
        match planned {
            Ok(plan) if plan.calls_provider() => {
                let client = fx.client.clone();
                let label = format!("Revoking at {}", plan.provider.name());
                fx.spawn(label, Records::Yes, move || SessionDone::Revoked {
                    called: Box::new(plan.call(&client)),
                    reason,
                    replacement,
                });
            }
            Ok(plan) => {
                let called = plan.call(&fx.client);
                self.finish_revoke(called, &reason, replacement, fx);
            }
            Err(error) => {
                if let Some(state) = &mut self.screens.revoke {
                    state.error = Some(error.to_string());
                }
            }
        }
    }
}

/// Provider accounts.
impl Session {
    /// Adds a provider account; the answers of account tests already run are kept.
    fn add_account(
        &mut self,
        request: AccountRequest,
        management_key: Option<&SecretString>,
        fx: &mut Effects<'_>,
    ) {
        match self.vault.add_account(request, management_key) {
            Ok(_) => {
                let tested = std::mem::take(&mut self.screens.accounts.tested);
                self.screens.accounts = AccountsState { tested, ..AccountsState::default() };
                fx.toasts.info("Account added.".to_owned(), fx.now);
            }
            Err(error) => self.screens.accounts.error = Some(error.to_string()),
        }
    }

    fn test_account(&mut self, id: &str, fx: &mut Effects<'_>) {
        let plan = self.vault.find_account(id).cloned().map_err(crate::ui::Failure::from).and_then(|a| {
            let key = self.vault.management_key(&a.id).map_err(crate::ui::Failure::from)?;
            let url =
                crate::providers::verify::base_url(a.provider, a.base_url.as_deref(), a.region.as_deref())
                    .map_err(crate::ui::Failure::from)?;
            Ok((a, key, url))
        });
        match plan {
            Ok((account, key, url)) => {
                let client = fx.client.clone();
                let name = account.name.clone();
                let id = account.id.clone();
                fx.spawn(format!("Testing \"{name}\""), Records::No, move || {
                    let tested = actions::test_account(&client, account.provider, &url, &key);
                    let scopes = tested.as_ref().ok().and_then(|t| t.scopes.clone());
                    let result = tested.map(|t| t.words).map_err(crate::ui::Failure::from);
                    SessionDone::AccountTested { id, name, result, scopes }
                });
            }
            Err(error) => self.screens.accounts.error = Some(error.to_string()),
        }
    }
}
