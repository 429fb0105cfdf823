//! The unlocked vault in the window: its screens' state, the commands on it, and how each is
//! applied. Everything here is dropped on lock.
//!
//! Screens get plain data (the vault's [`VaultFile`] and the audit lines cached here) and
//! return a [`Command`]; [`Session::run`] applies it against the vault, the clipboard and the
//! job runner, which the shell lends it as [`Effects`]. Nothing here reads a file while a
//! screen draws: the audit log is read in [`Session::refresh`], after a commit.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::app::Done;
use super::jobs::{Jobs, Records};
use super::state::{
    AccountsState, AuditState, DashboardState, DetailState, NewKeyState, RevokeState, Screen, SettingsState,
};
use super::widgets::Toasts;
use super::{accounts, audit_log, dashboard, detail, new_key, revoke, settings, widgets};
use crate::actions::{self, CreateCalled, RevokeCalled, RevokeOptions, VerifyCalled};
use crate::clipboard::{Clipboard, fingerprint};
use crate::providers::http::Client;
use crate::vault::audit;
use crate::vault::model::Settings;
use crate::vault::{AccountRequest, AddRequest, GenerateRequest, KeyEdit, Replacement, Vault};

/// How long a revealed secret stays on screen.
pub const REVEAL_SECS: i64 = 30;

/// Something the user asked of the unlocked vault, returned by a screen.
#[must_use]
pub enum Command {
    Show(Screen),
    OpenKey(String),
    Copy(String),
    Reveal(String),
    HideReveal,
    Verify(String),
    Generate(GenerateRequest),
    /// A pasted key.
    Add {
        request: AddRequest,
        secret: SecretString,
        /// Check it at the provider once it is kept (one request).
        verify_after: bool,
    },
    CreateAtProvider {
        account: String,
        request: AddRequest,
        scopes: Vec<String>,
    },
    Edit {
        key: String,
        edit: KeyEdit,
    },
    Rotate {
        key: String,
        /// A key made at the provider and pasted; `None` generates one (Keydesk keys).
        pasted: Option<SecretString>,
    },
    StartRevoke(String),
    Revoke {
        key: String,
        reason: String,
        options: RevokeOptions,
        /// Open "New key" prefilled as its replacement once it is revoked.
        replacement: bool,
    },
    CloseRevoke,
    AddAccount {
        request: AccountRequest,
        management_key: Option<SecretString>,
    },
    RemoveAccount(String),
    TestAccount(String),
    SaveSettings(Settings),
    DismissShownOnce,
}

/// What a session's background job hands back; each names the key or account it was for.
pub enum SessionDone {
    Verified(VerifyCalled),
    Created(Box<CreateCalled>),
    Revoked { called: Box<RevokeCalled>, reason: String, replacement: bool },
    AccountTested { name: String, result: Result<String, String> },
}

/// A key's secret on screen after Reveal, until `until`.
pub struct Revealed {
    pub key_id: String,
    pub secret: SecretString,
    pub until: DateTime<Utc>,
    /// The secret laid out once for drawing, so no frame makes another copy of it.
    pub galley: Option<Arc<egui::Galley>>,
}

/// A secret shown once after it was made.
pub struct ShownOnce {
    pub label: String,
    /// The key it belongs to (none when the vault could not keep it).
    pub key_id: Option<String>,
    pub secret: SecretString,
    /// The secret laid out once for drawing.
    pub galley: Option<Arc<egui::Galley>>,
}

/// A copy waiting to be cleared from the clipboard (kept across a lock).
pub struct PendingClear {
    pub label: String,
    pub fingerprint: [u8; 32],
    pub clear_at: DateTime<Utc>,
}

/// The audit log as last read, for the audit screen and the key pages.
pub struct AuditCache {
    /// The log's length (from the vault's head) when it was read.
    pub entries: u64,
    /// Oldest first.
    pub records: Vec<audit::Record>,
    /// The chain check: entries verified, or what is wrong.
    pub chain: Result<u64, String>,
}

impl AuditCache {
    fn read(vault: &Vault) -> Self {
        // One read of the log serves both the list and the chain check.
        let text = vault.audit_text().unwrap_or_default();
        let file = vault.file();
        let chain = audit::verify(&text, &file.header.vault_id, &file.audit)
            .map(|r| r.entries)
            .map_err(|e| e.to_string());
        AuditCache { entries: file.audit.entries, records: audit::parse(&text), chain }
    }
}

/// What the shell lends a session to apply a command.
pub struct Effects<'a> {
    pub ctx: &'a egui::Context,
    pub jobs: &'a mut Jobs<Done>,
    pub toasts: &'a mut Toasts,
    pub clipboard: &'a mut dyn Clipboard,
    pub copy: &'a mut Option<PendingClear>,
    pub client: Client,
    pub now: DateTime<Utc>,
}

impl Effects<'_> {
    fn spawn(
        &mut self,
        label: String,
        records: Records,
        work: impl FnOnce() -> SessionDone + Send + 'static,
    ) {
        self.jobs.spawn(self.ctx, label, records, move || Done::Session(work()));
    }
}

/// Everything that exists only while the vault is unlocked.
pub struct Session {
    pub vault: Vault,
    pub screen: Screen,
    pub dashboard: DashboardState,
    pub detail: DetailState,
    pub new_key: NewKeyState,
    pub accounts: AccountsState,
    pub audit: AuditState,
    pub settings: SettingsState,
    pub revoke: Option<RevokeState>,
    pub shown_once: Option<ShownOnce>,
    pub revealed: Option<Revealed>,
    pub audit_cache: Option<AuditCache>,
}

impl Session {
    /// A session on a freshly unlocked vault, on the key list.
    pub fn new(vault: Vault) -> Self {
        let settings = SettingsState::from(vault.file().header.settings.clone(), vault.file().header.kdf);
        Session {
            vault,
            screen: Screen::Keys,
            dashboard: DashboardState::default(),
            detail: DetailState::default(),
            new_key: NewKeyState::default(),
            accounts: AccountsState::default(),
            audit: AuditState::default(),
            settings,
            revoke: None,
            shown_once: None,
            revealed: None,
            audit_cache: None,
        }
    }

    /// Reads the audit log again when it grew and a screen shows it; hides an expired reveal.
    /// Called before each frame is drawn, never while drawing.
    pub fn refresh(&mut self, now: DateTime<Utc>) {
        if self.revealed.as_ref().is_some_and(|r| now >= r.until) {
            self.revealed = None;
        }
        let entries = self.vault.file().audit.entries;
        let shows_log = matches!(self.screen, Screen::Audit | Screen::Detail(_));
        if shows_log && self.audit_cache.as_ref().is_none_or(|c| c.entries != entries) {
            self.audit_cache = Some(AuditCache::read(&self.vault));
        }
        if let (Screen::Detail(id), Some(cache)) = (&self.screen, &self.audit_cache)
            && self.detail.history_at != Some(cache.entries)
        {
            self.detail.history =
                cache.records.iter().filter(|r| r.key.as_deref() == Some(id.as_str())).cloned().collect();
            self.detail.history_at = Some(cache.entries);
        }
    }

    /// The next moment something here changes by itself (a reveal hides).
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        self.revealed.as_ref().map(|r| r.until)
    }

    fn open_key(&mut self, id: &str) {
        self.detail = DetailState::for_key(self.vault.file(), id);
        self.screen = Screen::Detail(id.to_owned());
    }

    fn label_of(&self, id: &str) -> String {
        self.vault.file().key(id).map(|k| k.label.clone()).unwrap_or_default()
    }

    /// Applies one command.
    pub fn run(&mut self, command: Command, fx: &mut Effects<'_>) {
        let now = fx.now;
        match command {
            Command::Show(screen) => self.screen = screen,
            Command::OpenKey(id) => self.open_key(&id),
            Command::Copy(id) => self.copy(&id, fx),
            Command::Reveal(id) => match self.vault.reveal(&id) {
                Ok(secret) => {
                    let until = now + chrono::Duration::seconds(REVEAL_SECS);
                    self.revealed = Some(Revealed { key_id: id, secret, until, galley: None });
                }
                Err(error) => fx.toasts.error(error.to_string(), now),
            },
            Command::HideReveal => self.revealed = None,
            Command::Verify(id) => self.verify(&id, fx),
            Command::Generate(request) => match self.vault.generate(request) {
                Ok((id, secret)) => {
                    let label = self.label_of(&id);
                    self.shown_once =
                        Some(ShownOnce { label, key_id: Some(id.clone()), secret, galley: None });
                    self.new_key = NewKeyState::default();
                    self.open_key(&id);
                }
                Err(error) => self.new_key.error = Some(error.to_string()),
            },
            Command::Add { request, secret, verify_after } => match self.vault.add(request, secret) {
                Ok((id, detection)) => {
                    if let Some(warning) = detection.warning {
                        fx.toasts.info(warning, now);
                    }
                    fx.toasts.info(format!("Added the {} key.", detection.provider.name()), now);
                    self.new_key = NewKeyState::default();
                    self.open_key(&id);
                    if verify_after && detection.provider.info().verify.is_some() {
                        self.verify(&id, fx);
                    }
                }
                Err(error) => self.new_key.error = Some(error.to_string()),
            },
            Command::CreateAtProvider { account, request, scopes } => {
                match actions::plan_create(&self.vault, &account, request, &scopes) {
                    Ok(plan) => {
                        let client = fx.client.clone();
                        let label = format!("Creating the key at {}", plan.provider().name());
                        fx.spawn(label, Records::Yes, move || {
                            SessionDone::Created(Box::new(plan.call(&client)))
                        });
                    }
                    Err(error) => self.new_key.error = Some(error.to_string()),
                }
            }
            Command::Edit { key, edit } => match self.vault.edit(&key, edit) {
                Ok(()) => {
                    fx.toasts.info("Saved.".to_owned(), now);
                    self.detail = DetailState::for_key(self.vault.file(), &key);
                }
                Err(error) => self.detail.error = Some(error.to_string()),
            },
            Command::Rotate { key, pasted } => self.rotate(&key, pasted, fx),
            Command::StartRevoke(id) => {
                self.revoke = self.vault.file().key(&id).map(|record| {
                    let route = actions::revoke_route(&self.vault, record);
                    RevokeState::new(record, route)
                });
            }
            Command::CloseRevoke => self.revoke = None,
            Command::Revoke { key, reason, options, replacement } => {
                match actions::plan_revoke(&self.vault, &key, &reason, options) {
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
                        if let Some(state) = &mut self.revoke {
                            state.error = Some(error.to_string());
                        }
                    }
                }
            }
            Command::AddAccount { request, management_key } => {
                match self.vault.add_account(request, management_key) {
                    Ok(_) => {
                        self.accounts = AccountsState::default();
                        fx.toasts.info("Account added.".to_owned(), now);
                    }
                    Err(error) => self.accounts.error = Some(error.to_string()),
                }
            }
            Command::RemoveAccount(id) => match self.vault.remove_account(&id) {
                Ok(()) => fx.toasts.info("Account removed.".to_owned(), now),
                Err(error) => self.accounts.error = Some(error.to_string()),
            },
            Command::TestAccount(id) => self.test_account(&id, fx),
            Command::SaveSettings(settings) => match self.vault.update_settings(settings) {
                Ok(()) => fx.toasts.info("Settings saved.".to_owned(), now),
                Err(error) => self.settings.error = Some(error.to_string()),
            },
            Command::DismissShownOnce => self.shown_once = None,
        }
    }

    /// Puts the key on the clipboard; the copy is recorded once the clipboard took it (and as
    /// failed when it did not).
    fn copy(&mut self, id: &str, fx: &mut Effects<'_>) {
        let now = fx.now;
        let (id, secret) = match self.vault.secret_to_copy(id) {
            Ok(found) => found,
            Err(error) => return fx.toasts.error(error.to_string(), now),
        };
        let label = self.label_of(&id);
        let taken = fx.clipboard.set_secret(secret.expose_secret());
        let recorded = self.vault.record_copy(&id, taken.clone().map_err(|e| e.to_string()));
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

    fn verify(&mut self, id: &str, fx: &mut Effects<'_>) {
        match actions::plan_verify(&self.vault, id) {
            Ok(plan) => {
                let client = fx.client.clone();
                let label = format!("Checking \"{}\" at the provider", plan.label);
                fx.spawn(label, Records::Yes, move || SessionDone::Verified(plan.call(&client)));
            }
            Err(error) => fx.toasts.error(error.to_string(), fx.now),
        }
    }

    fn rotate(&mut self, id: &str, pasted: Option<SecretString>, fx: &mut Effects<'_>) {
        let replacement = pasted.map_or(Replacement::Generate, Replacement::Pasted);
        let generated = matches!(replacement, Replacement::Generate);
        match self.vault.rotate(id, replacement) {
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
                fx.toasts.info(
                    format!("\"{label}\" rotated: the old key is retiring until its integrations move."),
                    fx.now,
                );
                self.open_key(&new_id);
            }
            Err(error) => self.detail.error = Some(error.to_string()),
        }
    }

    fn test_account(&mut self, id: &str, fx: &mut Effects<'_>) {
        let plan = self.vault.find_account(id).cloned().map_err(|e| e.to_string()).and_then(|a| {
            let key = self.vault.management_key(&a.id).map_err(|e| e.to_string())?;
            let url =
                crate::providers::verify::base_url(a.provider, a.base_url.as_deref(), a.region.as_deref())
                    .map_err(|e| e.to_string())?;
            Ok((a, key, url))
        });
        match plan {
            Ok((account, key, url)) => {
                let client = fx.client.clone();
                let name = account.name.clone();
                fx.spawn(format!("Testing \"{name}\""), Records::No, move || {
                    let result = actions::test_account(&client, account.provider, &url, &key)
                        .map_err(|e| e.to_string());
                    SessionDone::AccountTested { name, result }
                });
            }
            Err(error) => self.accounts.error = Some(error),
        }
    }

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
                        Ok(outcome) => fx.toasts.error(outcome.sentence(), now),
                        Err(error) => fx.toasts.error(error.to_string(), now),
                    }
                }
                // The key's page reads its facts from the vault each frame; fields being
                // edited there are left as they are.
            }
            SessionDone::Created(called) => {
                match actions::finish_create(&mut self.vault, *called, &fx.client) {
                    Ok(created) => {
                        let label = self.label_of(&created.key_id);
                        self.shown_once = Some(ShownOnce {
                            label,
                            key_id: Some(created.key_id.clone()),
                            secret: created.secret,
                            galley: None,
                        });
                        self.new_key = NewKeyState::default();
                        self.open_key(&created.key_id);
                    }
                    Err((error, leftover)) => {
                        self.new_key.error = Some(error.to_string());
                        if let Some(secret) = leftover {
                            self.shown_once = Some(ShownOnce {
                                label: "Not kept: save it elsewhere".into(),
                                key_id: None,
                                secret,
                                galley: None,
                            });
                        }
                    }
                }
            }
            SessionDone::Revoked { called, reason, replacement } => {
                self.finish_revoke(*called, &reason, replacement, fx);
            }
            SessionDone::AccountTested { name, result } => {
                if cancelled {
                    return;
                }
                match result {
                    Ok(words) => fx.toasts.info(format!("{name}: {words}"), now),
                    Err(error) => fx.toasts.error(format!("{name}: {error}"), now),
                }
            }
        }
    }

    fn finish_revoke(&mut self, called: RevokeCalled, reason: &str, replacement: bool, fx: &mut Effects<'_>) {
        let now = fx.now;
        let key_id = called.key_id().to_owned();
        // The dialog that asked for this revoke, if it is still the one open.
        let dialog_open = self.revoke.as_ref().is_some_and(|r| r.key_id == key_id);
        match actions::finish_revoke(&mut self.vault, called, reason) {
            Ok(done) => {
                for note in done.notes {
                    fx.toasts.info(note, now);
                }
                fx.toasts.info(done.message, now);
                if dialog_open {
                    self.revoke = None;
                }
                let old = self.vault.file().key(&key_id).cloned();
                if replacement && let Some(old) = old {
                    self.new_key = NewKeyState::replacing(&old);
                    self.screen = Screen::New;
                }
            }
            Err(error) => match &mut self.revoke {
                Some(state) if dialog_open => state.error = Some(error.to_string()),
                _ => fx.toasts.error(error.to_string(), now),
            },
        }
    }

    /// Draws the current screen and its dialogs; returns what the user asked for.
    pub fn screen_ui(&mut self, ui: &mut egui::Ui, now: DateTime<Utc>) -> Vec<super::app::Command> {
        let mut commands: Vec<super::app::Command> = Vec::new();
        let shortcut = |ui: &mut egui::Ui, key| {
            ui.input_mut(|i| i.consume_shortcut(&egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, key)))
        };
        if shortcut(ui, egui::Key::N) {
            commands.push(Command::Show(Screen::New).into());
        }
        if shortcut(ui, egui::Key::F) {
            self.dashboard.focus_search = true;
            commands.push(Command::Show(Screen::Keys).into());
        }
        for (key, screen) in [
            (egui::Key::Num1, Screen::Keys),
            (egui::Key::Num2, Screen::Accounts),
            (egui::Key::Num3, Screen::Audit),
            (egui::Key::Num4, Screen::Settings),
        ] {
            if shortcut(ui, key) {
                commands.push(Command::Show(screen).into());
            }
        }
        commands.extend(widgets::nav_ui(ui, &self.screen));
        let file = self.vault.file();
        egui::CentralPanel::default().show(ui, |ui| match &self.screen {
            Screen::Keys => {
                commands.extend(dashboard::dashboard_ui(ui, file, &mut self.dashboard, now).map(Into::into))
            }
            Screen::Detail(id) => {
                let revealed = self.revealed.as_mut().filter(|r| r.key_id == *id);
                let command = detail::detail_ui(ui, file, id, &mut self.detail, revealed, now);
                commands.extend(command.map(Into::into));
            }
            Screen::New => commands.extend(new_key::new_key_ui(ui, file, &mut self.new_key).map(Into::into)),
            Screen::Accounts => {
                commands.extend(accounts::accounts_ui(ui, file, &mut self.accounts).map(Into::into))
            }
            Screen::Audit => {
                let command = audit_log::audit_ui(ui, file, self.audit_cache.as_ref(), &mut self.audit);
                commands.extend(command.map(Into::into));
            }
            Screen::Settings => {
                commands.extend(settings::settings_ui(ui, &mut self.settings, file.header.kdf))
            }
        });
        if let Some(state) = &mut self.revoke {
            commands.extend(revoke::revoke_ui(ui.ctx(), state).map(Into::into));
        }
        if let Some(shown) = &mut self.shown_once {
            commands.extend(widgets::shown_once_ui(ui.ctx(), shown).map(Into::into));
        }
        commands
    }
}
