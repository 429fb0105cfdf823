//! The eframe shell: state, one frame, and the one place where commands are applied.
//!
//! Screens draw from plain state and return a [`Command`]; [`KeydeskApp::run_cmd`] applies
//! it against the vault, the clipboard and the job runner. Nothing secret is persisted: only
//! the window geometry (by eframe) and the list's sort order.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::jobs::Jobs;
use super::state::{
    AccountsState, AuditState, DashboardState, DetailState, NewKeyState, RevokeState, Screen, SettingsState,
};
use super::widgets::Toasts;
use super::{accounts, audit_log, dashboard, detail, new_key, revoke, settings, theme, unlock, widgets};
use crate::actions::{self, CreateCalled, RevokeCalled, VerifyCalled};
use crate::clipboard::{Clipboard, fingerprint};
use crate::providers::http::{Client, HttpConfig};
use crate::secrets::{SecretStore, SecretStoreError};
use crate::storage::VaultDir;
use crate::vault::crypto::KdfParams;
use crate::vault::model::{SecretBackend, Settings, VaultFile};
use crate::vault::{
    AccountRequest, AddRequest, Clock, CreateOptions, Env, GenerateRequest, KeyEdit, Replacement, Vault,
    VaultError, os_rng,
};

/// Opens the secret store a vault names.
pub type StoreFactory =
    Arc<dyn Fn(SecretBackend, &Path) -> Result<Box<dyn SecretStore>, SecretStoreError> + Send + Sync>;

/// What the app is given from outside (real ones in `main`, fakes in tests).
pub struct Services {
    pub dir: PathBuf,
    pub open_store: StoreFactory,
    pub clipboard: Box<dyn Clipboard>,
    pub clock: Arc<dyn Clock>,
    /// Run background work inline (tests) instead of on threads.
    pub inline_jobs: bool,
    /// The KDF cost for a new vault.
    pub new_vault_kdf: KdfParams,
    pub http: HttpConfig,
    /// When set (KEYDESK_TIMINGS=1), the time the process started: the app prints how long
    /// the first frame and each unlock took (durations only) to stderr.
    pub timings: Option<std::time::Instant>,
}

/// Something the user asked for, returned by a screen and applied in one place.
#[must_use]
pub enum Command {
    Create {
        password: SecretString,
        backend: SecretBackend,
    },
    Unlock {
        password: SecretString,
    },
    Lock,
    Show(Screen),
    OpenKey(String),
    Copy(String),
    Reveal(String),
    HideReveal,
    Verify(String),
    Generate(GenerateRequest),
    /// A pasted key; `true`: check it at the provider once it is kept.
    Add(AddRequest, SecretString, bool),
    CreateAtProvider {
        account: String,
        request: AddRequest,
        scopes: Vec<String>,
    },
    Edit(String, KeyEdit),
    Rotate(String, Option<SecretString>),
    StartRevoke(String),
    Revoke {
        key: String,
        reason: String,
        confirmed: bool,
        local_only: bool,
        replacement: bool,
    },
    CloseRevoke,
    AddAccount(AccountRequest, Option<SecretString>),
    RemoveAccount(String),
    TestAccount(String),
    SaveSettings(Settings),
    ChangePassword {
        new: SecretString,
        kdf: KdfParams,
    },
    CancelJob(u64),
    DismissShownOnce,
}

/// What a background job hands back.
pub enum Done {
    Probed(Result<(), String>),
    Loaded { text: String, parsed: Result<Box<VaultFile>, String> },
    Opened(Result<Box<Vault>, OpenError>),
    PasswordChanged(Box<Vault>, Result<(), String>),
    Verified(VerifyCalled),
    Created(Box<CreateCalled>),
    Revoked(Box<RevokeCalled>, String, bool),
    AccountTested(String, Result<String, String>),
}

/// Why the vault did not open.
pub struct OpenError {
    pub message: String,
    pub wrong_password: bool,
}

/// Where the app is.
pub enum Phase {
    Create(unlock::CreateState),
    Locked(unlock::UnlockState),
    Unlocked(Box<Session>),
    /// The vault is inside a job (a password change); the spinner shows.
    Busy,
}

/// A key's secret on screen after Reveal, until `until`.
pub struct Revealed {
    pub key_id: String,
    pub secret: SecretString,
    pub until: DateTime<Utc>,
}

/// A secret shown once after it was made.
pub struct ShownOnce {
    pub label: String,
    /// The key it belongs to (none when the vault could not keep it).
    pub key_id: Option<String>,
    pub secret: SecretString,
}

/// Everything that exists only while the vault is unlocked. Dropped on lock.
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
}

impl Session {
    fn new(vault: Vault) -> Self {
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
        }
    }
}

/// A copy waiting to be cleared from the clipboard (kept across a lock).
pub struct PendingClear {
    pub label: String,
    pub fingerprint: [u8; 32],
    pub clear_at: DateTime<Utc>,
}

/// The app.
pub struct KeydeskApp {
    services: Services,
    jobs: Jobs<Done>,
    pub phase: Phase,
    pub toasts: Toasts,
    pub copy: Option<PendingClear>,
    last_activity: DateTime<Utc>,
    /// The last `vault.ron` read before unlocking, parsed ahead so Enter costs only the KDF.
    preloaded: Option<(String, Box<VaultFile>)>,
    /// A vault-level problem for the banner.
    pub banner: Option<String>,
    failed_unlocks: u32,
    retry_at: Option<DateTime<Utc>>,
    sort: dashboard::Sort,
    first_frame_done: bool,
    unlock_started: Option<std::time::Instant>,
    unlock_finished: Option<std::time::Instant>,
}

const PREFS_KEY: &str = "keydesk-prefs";

impl KeydeskApp {
    /// The app on `services`; reads persisted preferences from `storage` if any.
    pub fn new(ctx: &egui::Context, services: Services, storage: Option<&dyn eframe::Storage>) -> Self {
        theme::apply(ctx);
        let now = services.clock.now();
        let sort = storage.and_then(|s| eframe::get_value(s, PREFS_KEY)).unwrap_or_default();
        let mut app = KeydeskApp {
            jobs: Jobs::new(services.inline_jobs),
            phase: Phase::Busy,
            toasts: Toasts::default(),
            copy: None,
            last_activity: now,
            preloaded: None,
            banner: None,
            failed_unlocks: 0,
            retry_at: None,
            sort,
            first_frame_done: false,
            unlock_started: None,
            unlock_finished: None,
            services,
        };
        app.start(ctx);
        app
    }

    /// First screen: create when there is no vault, else unlock (reading the file ahead).
    fn start(&mut self, ctx: &egui::Context) {
        let dir = self.services.dir.clone();
        if dir.join(crate::storage::VAULT_FILE).exists() {
            self.phase = Phase::Locked(unlock::UnlockState::default());
            self.preload(ctx);
        } else {
            self.phase = Phase::Create(unlock::CreateState::default());
            let open_store = self.services.open_store.clone();
            self.jobs.spawn(ctx, "Looking for the OS keychain", move || {
                Done::Probed(probe_keychain(&open_store, &dir).map_err(|e| e.to_string()))
            });
        }
    }

    /// Reads and parses vault.ron while the user types the password.
    fn preload(&mut self, ctx: &egui::Context) {
        let dir = self.services.dir.clone();
        self.jobs.spawn(ctx, "Reading the vault", move || {
            let read = VaultDir::open(&dir, false).and_then(|d| d.read_vault());
            match read {
                Ok(text) => {
                    let parsed = Vault::parse(&text).map(Box::new).map_err(|e| e.to_string());
                    Done::Loaded { text, parsed }
                }
                Err(error) => Done::Loaded { text: String::new(), parsed: Err(error.to_string()) },
            }
        });
    }

    /// Whether the vault is unlocked (for tests and the title).
    pub fn is_unlocked(&self) -> bool {
        matches!(self.phase, Phase::Unlocked(_))
    }

    /// The unlocked session, if any.
    pub fn session(&self) -> Option<&Session> {
        match &self.phase {
            Phase::Unlocked(session) => Some(session),
            _ => None,
        }
    }

    fn env(&self, store: Box<dyn SecretStore>, dir: VaultDir) -> Env {
        Env {
            store,
            storage: Box::new(dir),
            clock: Box::new(self.services.clock.clone()),
            rng: Box::new(os_rng()),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.services.clock.now()
    }

    fn client(&self) -> Client {
        Client::new(self.services.http.clone())
    }

    /// Applies one command.
    pub fn run_cmd(&mut self, ctx: &egui::Context, command: Command) {
        let now = self.now();
        match command {
            Command::Create { password, backend } => self.create(ctx, password, backend),
            Command::Unlock { password } => self.unlock(ctx, password),
            Command::Lock => self.lock(ctx),
            Command::CancelJob(id) => self.jobs.cancel(id),
            command => {
                let client = self.client();
                let Phase::Unlocked(session) = &mut self.phase else { return };
                let clear_secs = session.vault.file().header.settings.clipboard_clear_secs;
                match command {
                    Command::Show(screen) => session.screen = screen,
                    Command::OpenKey(id) => {
                        session.detail = DetailState::for_key(&session.vault, &id);
                        session.screen = Screen::Detail(id);
                    }
                    Command::Copy(id) => match session.vault.copy(&id) {
                        Ok(secret) => {
                            let label = session.vault.find(&id).map(|k| k.label.clone()).unwrap_or_default();
                            match self.services.clipboard.set_secret(secret.expose_secret()) {
                                Ok(()) => {
                                    self.toasts
                                        .info(format!("Copied {label} — clears in {clear_secs} s"), now);
                                    self.copy = Some(PendingClear {
                                        label,
                                        fingerprint: fingerprint(secret.expose_secret()),
                                        clear_at: now + chrono::Duration::seconds(i64::from(clear_secs)),
                                    });
                                }
                                Err(error) => self.toasts.error(error.to_string(), now),
                            }
                        }
                        Err(error) => self.toasts.error(error.to_string(), now),
                    },
                    Command::Reveal(id) => match session.vault.reveal(&id) {
                        Ok(secret) => {
                            session.revealed = Some(Revealed {
                                key_id: id,
                                secret,
                                until: now + chrono::Duration::seconds(30),
                            })
                        }
                        Err(error) => self.toasts.error(error.to_string(), now),
                    },
                    Command::HideReveal => session.revealed = None,
                    Command::Verify(id) => match actions::plan_verify(&session.vault, &id) {
                        Ok(plan) => {
                            let label = format!("Checking \"{}\" at the provider", plan.label);
                            self.jobs.spawn(ctx, label, move || Done::Verified(plan.call(&client)));
                        }
                        Err(error) => self.toasts.error(error.to_string(), now),
                    },
                    Command::Generate(request) => match session.vault.generate(request) {
                        Ok((id, secret)) => {
                            let label = session.vault.find(&id).map(|k| k.label.clone()).unwrap_or_default();
                            session.shown_once = Some(ShownOnce { label, key_id: Some(id.clone()), secret });
                            session.new_key = NewKeyState::default();
                            session.detail = DetailState::for_key(&session.vault, &id);
                            session.screen = Screen::Detail(id);
                        }
                        Err(error) => session.new_key.error = Some(error.to_string()),
                    },
                    Command::Add(request, secret, verify) => match session.vault.add(request, secret) {
                        Ok((id, detection)) => {
                            if let Some(warning) = detection.warning {
                                self.toasts.info(warning, now);
                            }
                            self.toasts.info(format!("Added the {} key.", detection.provider.name()), now);
                            session.new_key = NewKeyState::default();
                            session.detail = DetailState::for_key(&session.vault, &id);
                            let checkable = detection.provider.info().verify.is_some();
                            if verify
                                && checkable
                                && let Ok(plan) = actions::plan_verify(&session.vault, &id)
                            {
                                let label = format!("Checking \"{}\" at the provider", plan.label);
                                self.jobs.spawn(ctx, label, move || Done::Verified(plan.call(&client)));
                            }
                            session.screen = Screen::Detail(id);
                        }
                        Err(error) => session.new_key.error = Some(error.to_string()),
                    },
                    Command::CreateAtProvider { account, request, scopes } => {
                        match actions::plan_create(&session.vault, &account, request, &scopes) {
                            Ok(plan) => {
                                self.jobs.spawn(ctx, "Creating the key at the provider", move || {
                                    Done::Created(Box::new(plan.call(&client)))
                                });
                            }
                            Err(error) => session.new_key.error = Some(error.to_string()),
                        }
                    }
                    Command::Edit(id, edit) => match session.vault.edit(&id, edit) {
                        Ok(()) => {
                            self.toasts.info("Saved.".to_owned(), now);
                            session.detail = DetailState::for_key(&session.vault, &id);
                        }
                        Err(error) => session.detail.error = Some(error.to_string()),
                    },
                    Command::Rotate(id, pasted) => {
                        let replacement = pasted.map_or(Replacement::Generate, Replacement::Pasted);
                        let generated = matches!(replacement, Replacement::Generate);
                        match session.vault.rotate(&id, replacement) {
                            Ok((new_id, secret)) => {
                                let label =
                                    session.vault.find(&new_id).map(|k| k.label.clone()).unwrap_or_default();
                                if generated {
                                    session.shown_once = Some(ShownOnce {
                                        label: label.clone(),
                                        key_id: Some(new_id.clone()),
                                        secret,
                                    });
                                }
                                self.toasts.info(
                                    format!("\"{label}\" rotated: the old key is retiring until its integrations move."),
                                    now,
                                );
                                session.detail = DetailState::for_key(&session.vault, &new_id);
                                session.screen = Screen::Detail(new_id);
                            }
                            Err(error) => session.detail.error = Some(error.to_string()),
                        }
                    }
                    Command::StartRevoke(id) => {
                        session.revoke = Some(RevokeState::for_key(&session.vault, &id))
                    }
                    Command::CloseRevoke => session.revoke = None,
                    Command::Revoke { key, reason, confirmed, local_only, replacement } => {
                        match actions::plan_revoke(&session.vault, &key, &reason, confirmed, local_only) {
                            Ok(plan) if plan.calls_provider() => {
                                let label = format!("Revoking at {}", plan.provider.name());
                                self.jobs.spawn(ctx, label, move || {
                                    Done::Revoked(Box::new(plan.call(&client)), reason, replacement)
                                });
                            }
                            Ok(plan) => {
                                let called = plan.call(&client);
                                self.finish_revoke(called, &reason, replacement, now);
                            }
                            Err(error) => {
                                if let Some(state) = &mut session.revoke {
                                    state.error = Some(error.to_string());
                                }
                            }
                        }
                    }
                    Command::AddAccount(request, key) => match session.vault.add_account(request, key) {
                        Ok(_) => {
                            session.accounts = AccountsState::default();
                            self.toasts.info("Account added.".to_owned(), now);
                        }
                        Err(error) => session.accounts.error = Some(error.to_string()),
                    },
                    Command::RemoveAccount(id) => match session.vault.remove_account(&id) {
                        Ok(()) => self.toasts.info("Account removed.".to_owned(), now),
                        Err(error) => session.accounts.error = Some(error.to_string()),
                    },
                    Command::TestAccount(id) => {
                        let plan =
                            session.vault.find_account(&id).cloned().map_err(|e| e.to_string()).and_then(
                                |a| {
                                    let key =
                                        session.vault.management_key(&a.id).map_err(|e| e.to_string())?;
                                    let url = crate::providers::verify::base_url(
                                        a.provider,
                                        a.base_url.as_deref(),
                                        a.region.as_deref(),
                                    )
                                    .map_err(|e| e.to_string())?;
                                    Ok((a, key, url))
                                },
                            );
                        match plan {
                            Ok((account, key, url)) => {
                                let name = account.name.clone();
                                self.jobs.spawn(ctx, format!("Testing \"{name}\""), move || {
                                    let result = actions::test_account(&client, account.provider, &url, &key)
                                        .map_err(|e| e.to_string());
                                    Done::AccountTested(name, result)
                                });
                            }
                            Err(error) => session.accounts.error = Some(error),
                        }
                    }
                    Command::SaveSettings(settings) => match session.vault.update_settings(settings) {
                        Ok(()) => self.toasts.info("Settings saved.".to_owned(), now),
                        Err(error) => session.settings.error = Some(error.to_string()),
                    },
                    Command::ChangePassword { new, kdf } => {
                        let Phase::Unlocked(session) = std::mem::replace(&mut self.phase, Phase::Busy) else {
                            return;
                        };
                        let mut vault = session.vault;
                        self.jobs.spawn(ctx, "Changing the master password", move || {
                            let result = vault.change_password(&new, Some(kdf)).map_err(|e| e.to_string());
                            Done::PasswordChanged(Box::new(vault), result)
                        });
                    }
                    Command::DismissShownOnce => session.shown_once = None,
                    Command::Create { .. }
                    | Command::Unlock { .. }
                    | Command::Lock
                    | Command::CancelJob(_) => {}
                }
            }
        }
    }

    fn finish_revoke(&mut self, called: RevokeCalled, reason: &str, replacement: bool, now: DateTime<Utc>) {
        let Phase::Unlocked(session) = &mut self.phase else { return };
        let key_id = session.revoke.as_ref().map(|r| r.key_id.clone());
        match actions::finish_revoke(&mut session.vault, called, reason) {
            Ok(done) => {
                for note in done.notes {
                    self.toasts.info(note, now);
                }
                self.toasts.info(done.message, now);
                session.revoke = None;
                if replacement && let Some(old) = key_id.and_then(|id| session.vault.find(&id).ok().cloned())
                {
                    session.new_key = NewKeyState::replacing(&old);
                    session.screen = Screen::New;
                } else if let Screen::Detail(id) = &session.screen {
                    session.detail = DetailState::for_key(&session.vault, id);
                }
            }
            Err(error) => match &mut session.revoke {
                Some(state) => state.error = Some(error.to_string()),
                None => self.toasts.error(error.to_string(), now),
            },
        }
    }

    fn create(&mut self, ctx: &egui::Context, password: SecretString, backend: SecretBackend) {
        let dir = match VaultDir::create(&self.services.dir) {
            Ok(dir) => dir,
            Err(error) => return self.banner = Some(error.to_string()),
        };
        let store = match (self.services.open_store)(backend, &self.services.dir) {
            Ok(store) => store,
            Err(error) => {
                if let Phase::Create(state) = &mut self.phase {
                    state.error = Some(error.to_string());
                }
                return;
            }
        };
        let env = self.env(store, dir);
        let options = CreateOptions { backend, kdf: self.services.new_vault_kdf };
        self.jobs.spawn(ctx, "Creating the vault", move || {
            let result = Vault::create(env, &password, options)
                .map(Box::new)
                .map_err(|e| OpenError { message: e.to_string(), wrong_password: false });
            Done::Opened(result)
        });
    }

    fn unlock(&mut self, ctx: &egui::Context, password: SecretString) {
        if let Some(at) = self.retry_at
            && self.now() < at
        {
            return;
        }
        self.unlock_started = Some(std::time::Instant::now());
        let dir_path = self.services.dir.clone();
        let open_store = self.services.open_store.clone();
        let preloaded = self.preloaded.take();
        let clock = self.services.clock.clone();
        self.jobs.spawn(ctx, "Unlocking", move || {
            let open = || -> Result<Vault, VaultError> {
                let dir = VaultDir::open(&dir_path, true)?;
                let text = dir.read_vault()?;
                let file = match preloaded {
                    Some((seen, parsed)) if seen == text => *parsed,
                    _ => Vault::parse(&text)?,
                };
                let store = open_store(file.header.secret_store, &dir_path)?;
                let env =
                    Env { store, storage: Box::new(dir), clock: Box::new(clock), rng: Box::new(os_rng()) };
                let mut vault = Vault::unlock(env, file, &text, &password)?;
                if vault.changed_outside().is_some() {
                    vault.record_outside_change()?;
                }
                Ok(vault)
            };
            Done::Opened(open().map(Box::new).map_err(|e| OpenError {
                wrong_password: matches!(
                    e,
                    VaultError::Crypto(crate::vault::crypto::CryptoError::WrongPassword)
                ),
                message: e.to_string(),
            }))
        });
    }

    /// Locks: the vault (and its data key, and any revealed secret) is dropped; the file is
    /// read ahead again for the next unlock.
    pub fn lock(&mut self, ctx: &egui::Context) {
        if matches!(self.phase, Phase::Unlocked(_)) {
            self.phase = Phase::Locked(unlock::UnlockState::default());
            self.preload(ctx);
        }
    }

    fn handle_done(&mut self, ctx: &egui::Context, done: Done, cancelled: bool) {
        let now = self.now();
        match done {
            Done::Probed(result) => {
                if let Phase::Create(state) = &mut self.phase {
                    state.keychain = Some(result);
                    if state.keychain.as_ref().is_some_and(Result::is_err) {
                        state.backend = SecretBackend::File;
                    }
                }
            }
            Done::Loaded { text, parsed } => match parsed {
                Ok(file) => self.preloaded = Some((text, file)),
                Err(error) => self.banner = Some(error),
            },
            Done::Opened(Ok(vault)) => {
                self.unlock_finished = Some(std::time::Instant::now());
                self.failed_unlocks = 0;
                self.retry_at = None;
                self.banner = vault.changed_outside().map(str::to_owned);
                self.last_activity = now;
                let mut session = Session::new(*vault);
                session.dashboard.sort = self.sort;
                self.phase = Phase::Unlocked(Box::new(session));
            }
            Done::Opened(Err(error)) => {
                if error.wrong_password {
                    self.failed_unlocks += 1;
                    // The KDF is the rate limit; after three misses each try waits longer.
                    if self.failed_unlocks >= 3 {
                        let secs = 2i64.pow((self.failed_unlocks - 2).min(5));
                        self.retry_at = Some(now + chrono::Duration::seconds(secs));
                    }
                }
                if matches!(self.phase, Phase::Locked(_)) && self.preloaded.is_none() {
                    self.preload(ctx);
                }
                if !error.wrong_password {
                    // Keychain missing, file unreadable, newer format: a problem of the vault,
                    // not of what was typed.
                    self.banner = Some(error.message.clone());
                }
                match &mut self.phase {
                    Phase::Locked(state) => state.error = Some(error.message),
                    Phase::Create(state) => state.error = Some(error.message),
                    _ => self.banner = Some(error.message),
                }
            }
            Done::PasswordChanged(vault, result) => {
                let mut session = Session::new(*vault);
                session.screen = Screen::Settings;
                match result {
                    Ok(()) => self.toasts.info("Master password changed.".to_owned(), now),
                    Err(error) => session.settings.error = Some(error),
                }
                self.phase = Phase::Unlocked(Box::new(session));
            }
            Done::Verified(called) => {
                let Phase::Unlocked(session) = &mut self.phase else { return };
                if cancelled {
                    return;
                }
                match actions::finish_verify(&mut session.vault, called) {
                    Ok(outcome) if outcome.works() => self.toasts.info(outcome.sentence(), now),
                    Ok(outcome) => self.toasts.error(outcome.sentence(), now),
                    Err(error) => self.toasts.error(error.to_string(), now),
                }
                if let Screen::Detail(id) = &session.screen {
                    session.detail.refresh_record(&session.vault, id);
                }
            }
            Done::Created(called) => {
                let client = self.client();
                let Phase::Unlocked(session) = &mut self.phase else { return };
                match actions::finish_create(&mut session.vault, *called, &client) {
                    Ok(created) => {
                        let label =
                            session.vault.find(&created.key_id).map(|k| k.label.clone()).unwrap_or_default();
                        session.shown_once = Some(ShownOnce {
                            label,
                            key_id: Some(created.key_id.clone()),
                            secret: created.secret,
                        });
                        session.new_key = NewKeyState::default();
                        session.detail = DetailState::for_key(&session.vault, &created.key_id);
                        session.screen = Screen::Detail(created.key_id);
                    }
                    Err((error, leftover)) => {
                        session.new_key.error = Some(error.to_string());
                        if let Some(secret) = leftover {
                            session.shown_once = Some(ShownOnce {
                                label: "Not kept: save it elsewhere".into(),
                                key_id: None,
                                secret,
                            });
                        }
                    }
                }
            }
            Done::Revoked(called, reason, replacement) => {
                self.finish_revoke(*called, &reason, replacement, now)
            }
            Done::AccountTested(name, result) => {
                if cancelled {
                    return;
                }
                match result {
                    Ok(words) => self.toasts.info(format!("{name}: {words}"), now),
                    Err(error) => self.toasts.error(format!("{name}: {error}"), now),
                }
            }
        }
        ctx.request_repaint();
    }

    /// Clears the clipboard at the deadline if it still holds Keydesk's copy.
    fn tick_clipboard(&mut self, ctx: &egui::Context, now: DateTime<Utc>) {
        let Some(pending) = &self.copy else { return };
        if now >= pending.clear_at {
            let ours = self.services.clipboard.text().is_some_and(|t| fingerprint(&t) == pending.fingerprint);
            if ours {
                let _ = self.services.clipboard.clear();
                self.toasts.info(format!("Cleared {} from the clipboard.", pending.label), now);
            }
            self.copy = None;
        } else {
            // A visible countdown: one repaint a second, and none once it is done.
            ctx.request_repaint_after(std::time::Duration::from_secs(1));
        }
    }

    fn tick_lock(&mut self, ctx: &egui::Context, now: DateTime<Utc>) {
        let Phase::Unlocked(session) = &mut self.phase else { return };
        if let Some(revealed) = &session.revealed {
            if now >= revealed.until {
                session.revealed = None;
            } else {
                ctx.request_repaint_after(std::time::Duration::from_secs(1));
            }
        }
        let minutes = i64::from(session.vault.file().header.settings.auto_lock_minutes);
        let lock_at = self.last_activity + chrono::Duration::minutes(minutes);
        if now >= lock_at {
            self.lock(ctx);
            self.toasts.info("Locked after being idle.".to_owned(), now);
        } else if let Ok(wait) = (lock_at - now).to_std() {
            ctx.request_repaint_after(wait);
        }
    }

    /// One frame: background results, timers, shortcuts, then the screen.
    pub fn frame_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        for (done, cancelled) in self.jobs.finished() {
            self.handle_done(&ctx, done, cancelled);
        }
        let now = self.now();
        if ui.input(|i| !i.events.is_empty() || i.pointer.any_down()) {
            self.last_activity = now;
        }
        self.tick_clipboard(&ctx, now);
        self.tick_lock(&ctx, now);

        let mut commands = Vec::new();
        if ui.input_mut(|i| {
            i.consume_shortcut(&egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::L))
        }) {
            commands.push(Command::Lock);
        }
        let countdown =
            self.copy.as_ref().map(|c| (c.label.clone(), (c.clear_at - now).num_seconds().max(0)));
        let busy = self.jobs.busy().map(|p| (p.id, p.label.clone()));
        if busy.is_some() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
        commands.extend(widgets::status_bar_ui(ui, countdown, busy));
        if let Some(banner) = &self.banner {
            widgets::banner_ui(ui, banner);
        }
        let retry_in = self.retry_at.map(|at| (at - now).num_seconds()).filter(|s| *s > 0);
        if retry_in.is_some() {
            ctx.request_repaint_after(std::time::Duration::from_secs(1));
        }
        let waiting = self.jobs.busy().is_some();
        match &mut self.phase {
            Phase::Create(state) => commands.extend(unlock::create_ui(ui, state, waiting)),
            Phase::Locked(state) => commands.extend(unlock::unlock_ui(ui, state, waiting, retry_in)),
            Phase::Busy => {
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.centered_and_justified(|ui| ui.spinner());
                });
            }
            Phase::Unlocked(session) => commands.extend(session_ui(ui, session, now)),
        }
        self.toasts.show(&ctx, now);
        for command in commands {
            self.run_cmd(&ctx, command);
        }
        self.report_timings();
    }

    /// With KEYDESK_TIMINGS=1: durations of start-up and unlocking, to stderr.
    fn report_timings(&mut self) {
        let Some(started) = self.services.timings else { return };
        if !self.first_frame_done {
            self.first_frame_done = true;
            eprintln!("timing: first frame drawn {} ms after start", started.elapsed().as_millis());
        }
        if let (Some(enter), Some(opened)) = (self.unlock_started, self.unlock_finished)
            && self.is_unlocked()
        {
            let keys = self.session().map_or(0, |s| s.vault.keys().len());
            eprintln!(
                "timing: unlock (read, KDF, open) {} ms; dashboard with {keys} keys drawn {} ms after Enter",
                (opened - enter).as_millis(),
                enter.elapsed().as_millis()
            );
            self.unlock_started = None;
            self.unlock_finished = None;
        }
    }
}

/// The unlocked window: navigation, the current screen, dialogs.
fn session_ui(ui: &mut egui::Ui, session: &mut Session, now: DateTime<Utc>) -> Vec<Command> {
    let mut commands = Vec::new();
    let shortcut = |ui: &mut egui::Ui, key| {
        ui.input_mut(|i| i.consume_shortcut(&egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, key)))
    };
    if shortcut(ui, egui::Key::N) {
        commands.push(Command::Show(Screen::New));
    }
    if shortcut(ui, egui::Key::F) {
        session.dashboard.focus_search = true;
        commands.push(Command::Show(Screen::Keys));
    }
    for (key, screen) in [
        (egui::Key::Num1, Screen::Keys),
        (egui::Key::Num2, Screen::Accounts),
        (egui::Key::Num3, Screen::Audit),
        (egui::Key::Num4, Screen::Settings),
    ] {
        if shortcut(ui, key) {
            commands.push(Command::Show(screen));
        }
    }
    commands.extend(widgets::nav_ui(ui, &session.screen));
    egui::CentralPanel::default().show(ui, |ui| {
        let command = match &session.screen {
            Screen::Keys => dashboard::dashboard_ui(ui, &session.vault, &mut session.dashboard, now),
            Screen::Detail(id) => {
                let id = id.clone();
                let revealed = session.revealed.as_ref().filter(|r| r.key_id == id);
                detail::detail_ui(ui, &session.vault, &id, &mut session.detail, revealed, now)
            }
            Screen::New => new_key::new_key_ui(ui, &session.vault, &mut session.new_key),
            Screen::Accounts => accounts::accounts_ui(ui, &session.vault, &mut session.accounts),
            Screen::Audit => audit_log::audit_ui(ui, &session.vault, &mut session.audit),
            Screen::Settings => settings::settings_ui(ui, &mut session.settings),
        };
        commands.extend(command);
    });
    if let Some(state) = &mut session.revoke {
        commands.extend(revoke::revoke_ui(ui.ctx(), state));
    }
    if let Some(shown) = &session.shown_once {
        commands.extend(widgets::shown_once_ui(ui.ctx(), shown));
    }
    commands
}

fn probe_keychain(open_store: &StoreFactory, dir: &Path) -> Result<(), SecretStoreError> {
    let mut store = open_store(SecretBackend::Keychain, dir)?;
    store.put("keydesk-probe/probe", "probe")?;
    store.get("keydesk-probe/probe")?;
    store.delete("keydesk-probe/probe")?;
    Ok(())
}

impl eframe::App for KeydeskApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame_ui(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if let Phase::Unlocked(session) = &self.phase {
            self.sort = session.dashboard.sort;
        }
        eframe::set_value(storage, PREFS_KEY, &self.sort);
    }

    /// Window geometry is kept by eframe; egui's memory (which could hold widget state) is not.
    fn persist_egui_memory(&self) -> bool {
        false
    }
}
