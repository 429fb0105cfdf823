//! The eframe shell: the phases (create, unlock, the unlocked session), background jobs,
//! timers and the window's preferences.
//!
//! Everything with a deadline runs in [`KeydeskApp::tick`], which eframe calls through
//! `App::logic` even while the window is minimized or covered (when it skips `App::ui`):
//! clearing the clipboard, auto-lock, hiding a revealed secret, the back-off after wrong
//! passwords, and the answers of finished jobs. [`KeydeskApp::frame_ui`] only draws and queues
//! what the user asked for; the next `tick` applies it. Nothing secret is persisted: only the
//! window geometry (by eframe) and the list's sort order.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::jobs::{JobProgress, Jobs, Records};
use super::session::{self, Effects, PendingClear, Session, SessionDone};
use super::state::SettingsState;
use super::widgets::Toasts;
use super::{Failure, dashboard, theme, unlock, widgets};
use crate::clipboard::Clipboard;
use crate::providers::http::{Client, HttpConfig};
use crate::secrets::{SecretStore, SecretStoreError};
use crate::vault::crypto::KdfParams;
use crate::vault::model::{SecretBackend, VaultFile};
use crate::vault::{Clock, Vault};

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
    /// How systemctl is run for the daily reminder's switch.
    pub reminder: crate::reminder::Systemd,
    /// When set (KEYDESK_TIMINGS=1), the time the process started: the app prints how long
    /// the first frame and each unlock took (durations only) to stderr.
    pub timings: Option<std::time::Instant>,
    /// The program that opens the company login's address for a team vault's sign-in
    /// (`$KEYDESK_BROWSER`), else the system's opener.
    pub browser: Option<std::ffi::OsString>,
    /// The bus the desktop's file chooser (the XDG portal) is asked on.
    pub portal: file_chooser::PortalBus,
}

/// Something the user asked of the shell, returned by the unlock screens, the bars and
/// Settings; the unlocked vault's own commands travel inside [`Command::Session`].
#[must_use]
pub enum Command {
    Create {
        password: SecretString,
        backend: SecretBackend,
    },
    Unlock {
        password: SecretString,
        /// A team vault's server token, when typed at the unlock screen.
        token: Option<SecretString>,
        /// Keep that token in the OS keychain.
        remember_token: bool,
    },
    /// "Sign in with your company account" on a team vault's unlock screen: the browser
    /// sign-in, then the unlock with this master password.
    SignInWithCompany {
        password: SecretString,
        /// Keep the token the server gives in the OS keychain.
        remember: bool,
    },
    /// "Cancel sign-in": stop waiting for the browser.
    CancelCompanySignIn,
    /// Makes or joins a team vault (first run).
    CreateTeam {
        setup: unlock::TeamSetup,
        password: SecretString,
    },
    /// Something asked of the first-run screen's "Prepare the server…" page.
    ServerSetup(crate::ui::server_setup::SetupCommand),
    /// Something asked of the open team vault.
    Team(crate::ui::team::TeamCommand),
    Lock,
    CancelJob(u64),
    /// Keeps the changes found made outside Keydesk (recorded in the audit log).
    AcceptChanges,
    /// Takes the vault into a job: the KDF runs for the current and the new password.
    ChangePassword {
        current: SecretString,
        new: SecretString,
        kdf: KdfParams,
        /// Re-encrypt every secret under a fresh data key too (the old password may be known).
        new_data_key: bool,
    },
    /// Light, dark or like the system (kept between runs).
    SetTheme(theme::ThemeChoice),
    /// Asks systemd whether the daily reminder is on (for the settings screen).
    ReadReminder,
    /// Turns the daily reminder on or off.
    SwitchReminder(bool),
    /// Takes the vault into a job: the KDF checks the password, then the file is written.
    Backup {
        password: SecretString,
        path: PathBuf,
    },
    /// Takes the vault into a job that reads the file and says what importing it would do.
    PreviewImport {
        path: PathBuf,
        format: Option<crate::import::Format>,
        /// Where the columns are (a `--columns` text), as the column picker chose.
        columns: Option<String>,
    },
    /// Takes the vault into a job that imports the previewed rows (with a progress bar and a
    /// Cancel that leaves the vault as it was).
    Import,
    /// Takes the vault into a job that writes an export (secrets only once confirmed).
    Export {
        path: PathBuf,
        options: crate::actions::transfer::ExportOptions,
    },
    Session(session::Command),
    /// The desktop's file chooser, a restore, a file dropped on the window.
    Files(files::FilesCommand),
    /// The user's answer to a browser's first request: may it ask for keys?
    AnswerBrowser {
        browser: String,
        allowed: bool,
    },
    /// Settings' "Stop allowing": the browser no longer asks for keys (until allowed again).
    StopBrowser(String),
    /// Settings' leak guard checkbox: on or off.
    LeakGuard(bool),
    /// The user's answer to a page a browser proposed for a key's integrations: the name to
    /// add it under, or `None` (Cancel: nothing is added).
    AnswerPage {
        name: Option<String>,
    },
}

impl From<session::Command> for Command {
    fn from(command: session::Command) -> Self {
        Command::Session(command)
    }
}

/// What a background job hands back.
pub enum Done {
    Probed(Result<(), Failure>),
    Loaded {
        /// SHA-256 of the text read.
        digest: [u8; 32],
        parsed: Result<Box<VaultFile>, Failure>,
    },
    Opened(Result<Box<Vault>, OpenError>),
    /// The vault back from a password change; `Ok(true)` when the data key changed too.
    /// Whether the data key was changed too, and a caveat when `vault.ron.bak` was left as it was.
    PasswordChanged(Box<Vault>, Result<(bool, Option<String>), Failure>),
    /// The vault back from writing a backup: what to tell the user, or why it failed.
    BackedUp(Box<Vault>, Result<String, Failure>),
    /// A file read for import and previewed against the vault.
    /// The file read for import (or why not, with its columns to pick when Keydesk cannot
    /// tell them).
    ImportPreviewed(
        Box<Vault>,
        Result<crate::ui::state::ImportPreview, Failure>,
        Option<Box<crate::ui::state::ColumnPicker>>,
    ),
    /// An import done, cancelled or failed (the vault as it was then).
    Imported(Box<Vault>, Result<String, Failure>),
    /// An export written or refused.
    Exported(Box<Vault>, Result<String, Failure>),
    /// Where the daily reminder stands, and what switching it did (when it was switched).
    Reminder(crate::reminder::ReminderState, Option<Result<String, Failure>>),
    Session(SessionDone),
    Team(team::TeamDone),
    /// A "Prepare the server…" page's job's answer.
    ServerSetup(crate::ui::server_setup::SetupDone),
    /// A file chosen, a dropped file read, a restore done.
    Files(files::FilesDone),
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
    /// A vault open, either kind.
    Unlocked(Box<Session>),
    /// The vault is inside a job (a password change); the spinner shows.
    Busy,
}

impl Phase {
    /// The screens of the vault open, either kind.
    pub fn screens(&self) -> Option<&crate::ui::screens::Screens> {
        match self {
            Phase::Unlocked(session) => Some(&session.screens),
            _ => None,
        }
    }

    pub fn screens_mut(&mut self) -> Option<&mut crate::ui::screens::Screens> {
        match self {
            Phase::Unlocked(session) => Some(&mut session.screens),
            _ => None,
        }
    }
}

/// Why the vault locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockReason {
    /// Ctrl+L or the Lock button.
    Asked,
    /// No input for the auto-lock time.
    Idle,
}

mod answers;
#[cfg(target_os = "linux")]
mod browser;
mod company_login;
mod desktop;
pub mod file_chooser;
pub mod files;
mod opening;
mod server_setup;
mod sign_in_again;
pub mod team;
mod timers;
mod transfer;

/// The app.
pub struct KeydeskApp {
    services: Services,
    jobs: Jobs<Done>,
    pub phase: Phase,
    pub toasts: Toasts,
    pub copy: Option<PendingClear>,
    /// What the user asked for in the last frame, applied by the next `tick`.
    queued: Vec<Command>,
    /// Set when a lock was asked for while a job whose answer must be recorded ran: the
    /// session is hidden at once and dropped as soon as that answer is recorded.
    lock_when_done: Option<LockReason>,
    /// Answers for the session that came back while its vault was inside a job.
    deferred: Vec<(SessionDone, bool)>,
    /// The settings screen as typed, while its vault is inside a job.
    kept_settings: Option<SettingsState>,
    last_activity: DateTime<Utc>,
    /// The last `vault.ron` read before unlocking, parsed ahead so Enter costs only the KDF,
    /// with the SHA-256 of the text it was parsed from.
    preloaded: Option<([u8; 32], Box<VaultFile>)>,
    /// Argon2id's working memory, being made ready on a thread of its own from the first
    /// keystroke of the master password (see `vault::crypto::KdfMemory`); taken by the unlock,
    /// let go when the field is emptied.
    kdf_memory: Option<opening::PreparedKdfMemory>,
    /// A vault-level problem for the banner.
    pub banner: Option<String>,
    failed_unlocks: u32,
    retry_at: Option<DateTime<Utc>>,
    sort: dashboard::Sort,
    theme: theme::ThemeChoice,
    /// The desktop's light/dark preference, while the portal is being asked.
    desktop_theme: Option<std::sync::mpsc::Receiver<Option<egui::Theme>>>,
    first_frame_done: bool,
    unlock_started: Option<std::time::Instant>,
    unlock_finished: Option<std::time::Instant>,
    /// With timings on: when the dashboard was first drawn and the frames drawn since, for
    /// the first 5 s (each frame's repaint causes are printed, to find what repaints).
    frames_after_unlock: Option<(std::time::Instant, u32)>,
    /// The browser extension's socket, once the window listens on it.
    #[cfg(target_os = "linux")]
    browser: Option<browser::BrowserBridge>,
    /// A team job waiting for a new sign-in, and the dialog that asks for it.
    sign_in_again: sign_in_again::SignInAgainState,
    /// Where a sign-in with the company account stands, while its job runs.
    company_stage: company_login::Stage,
}

const PREFS_KEY: &str = "keydesk-prefs";
const THEME_KEY: &str = "keydesk-theme";

impl KeydeskApp {
    /// The app on `services`; reads persisted preferences from `storage` if any.
    pub fn new(ctx: &egui::Context, services: Services, storage: Option<&dyn eframe::Storage>) -> Self {
        let theme: theme::ThemeChoice =
            storage.and_then(|s| eframe::get_value(s, THEME_KEY)).unwrap_or_default();
        theme::apply(ctx, theme);
        let now = services.clock.now();
        let sort = storage.and_then(|s| eframe::get_value(s, PREFS_KEY)).unwrap_or_default();
        let mut app = KeydeskApp {
            jobs: Jobs::new(services.inline_jobs),
            phase: Phase::Busy,
            toasts: Toasts::default(),
            copy: None,
            queued: Vec::new(),
            lock_when_done: None,
            deferred: Vec::new(),
            kept_settings: None,
            last_activity: now,
            preloaded: None,
            kdf_memory: None,
            banner: None,
            failed_unlocks: 0,
            retry_at: None,
            sort,
            theme,
            desktop_theme: Some(desktop::ask_colour_scheme()),
            first_frame_done: false,
            unlock_started: None,
            unlock_finished: None,
            frames_after_unlock: None,
            sign_in_again: Default::default(),
            company_stage: Default::default(),
            #[cfg(target_os = "linux")]
            browser: None,
            services,
        };
        app.start(ctx);
        app
    }

    /// Whether a vault is open, either kind (for tests and the title).
    pub fn is_unlocked(&self) -> bool {
        matches!(self.phase, Phase::Unlocked(_))
    }

    /// The local vault open, if one is.
    pub fn vault(&self) -> Option<&Vault> {
        self.session().and_then(Session::vault)
    }

    /// The local vault open, to change (tests set up a vault's state through it).
    pub fn vault_mut(&mut self) -> Option<&mut Vault> {
        self.session_mut().and_then(Session::vault_mut)
    }

    /// Whether a lock waits for a job's answer to be recorded.
    pub fn is_locking(&self) -> bool {
        self.lock_when_done.is_some()
    }

    /// The open vault's session, either kind, if any.
    pub fn session(&self) -> Option<&Session> {
        match &self.phase {
            Phase::Unlocked(session) => Some(session),
            _ => None,
        }
    }

    /// The unlocked session, to change (tests set up a vault's state through it).
    pub fn session_mut(&mut self) -> Option<&mut Session> {
        match &mut self.phase {
            Phase::Unlocked(session) => Some(session),
            _ => None,
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.services.clock.now()
    }

    /// Everything that happens without the user drawing a frame: finished jobs, the commands
    /// queued by the last frame, and every timer. eframe calls it through `App::logic`, also
    /// while the window is hidden; it draws nothing and asks for the next wake-up itself.
    pub fn tick(&mut self, ctx: &egui::Context) {
        // "Like the system" follows the desktop where the window system reports no theme.
        if let Some(answer) = self.desktop_theme.as_ref().and_then(|r| r.try_recv().ok()) {
            self.desktop_theme = None;
            if let Some(theme) = answer {
                ctx.options_mut(|o| o.fallback_theme = theme);
            }
        }
        for (done, cancelled) in self.jobs.finished() {
            self.handle_done(ctx, done, cancelled);
        }
        for command in std::mem::take(&mut self.queued) {
            self.run_cmd(ctx, command);
        }
        let now = self.now();
        self.tick_clipboard(now);
        self.tick_idle(ctx, now);
        if let Some(reason) = self.lock_when_done
            && self.jobs.recording().is_none()
        {
            self.lock_now(ctx, reason);
        }
        if let Phase::Unlocked(session) = &mut self.phase {
            session.refresh(now);
            // "Check every key weekly": run when due, as the button does.
            if session.weekly_check_due(now) {
                self.queued.push(session::Command::CheckAll.into());
                ctx.request_repaint();
            }
        }
        self.tick_team(ctx, now);
        self.tick_company_sign_in();
        #[cfg(target_os = "linux")]
        self.tick_browser(ctx);
        if self.retry_at.is_some_and(|at| now >= at) {
            self.retry_at = None;
        }
        self.toasts.expire(now);
        if let Some(next) = self.next_deadline()
            && let Ok(wait) = (next - now).to_std()
        {
            ctx.request_repaint_after(wait);
        }
    }

    /// Applies one command.
    pub fn run_cmd(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::Create { password, backend } => self.create(ctx, password, backend),
            Command::Unlock { password, token, remember_token } => {
                if crate::actions::team::is_team(&self.services.dir) {
                    self.unlock_team(ctx, password, token, remember_token);
                } else {
                    self.unlock(ctx, password);
                }
            }
            Command::SignInWithCompany { password, remember } => {
                self.sign_in_with_company(ctx, password, remember);
            }
            Command::CancelCompanySignIn => self.cancel_company_sign_in(),
            Command::CreateTeam { setup, password } => self.create_team(ctx, setup, password),
            Command::ServerSetup(command) => self.run_server_setup(ctx, command),
            Command::Team(command) => {
                if self.lock_when_done.is_none() {
                    self.run_team(ctx, command);
                }
            }
            Command::Lock => self.request_lock(ctx, LockReason::Asked),
            Command::AnswerBrowser { browser, allowed } => {
                #[cfg(target_os = "linux")]
                self.answer_browser_question(ctx, browser, allowed);
                #[cfg(not(target_os = "linux"))]
                drop((browser, allowed));
            }
            Command::AnswerPage { name } => {
                #[cfg(target_os = "linux")]
                self.answer_proposal(ctx, name);
                #[cfg(not(target_os = "linux"))]
                drop(name);
            }
            Command::StopBrowser(browser) => {
                #[cfg(target_os = "linux")]
                self.set_browser_allowed(ctx, browser, false);
                #[cfg(not(target_os = "linux"))]
                drop(browser);
            }
            Command::LeakGuard(on) => {
                #[cfg(target_os = "linux")]
                self.set_leak_guard(ctx, on);
                #[cfg(not(target_os = "linux"))]
                drop(on);
            }
            Command::CancelJob(id) => self.jobs.cancel(id),
            Command::AcceptChanges => {
                let now = self.now();
                let Some(vault) = self.vault_mut() else { return };
                match vault.accept_outside_changes("the user, in the window") {
                    Ok(()) => {
                        self.banner = None;
                        self.toasts
                            .info("Kept the changes; the acceptance is in the audit log.".to_owned(), now);
                    }
                    Err(error) => self.toasts.error(error.to_string(), now),
                }
            }
            // A team vault's own jobs for the same commands (its member's password, its import
            // and export).
            command @ (Command::ChangePassword { .. }
            | Command::PreviewImport { .. }
            | Command::Import
            | Command::Export { .. })
                if self.team().is_some() =>
            {
                self.run_team_window(ctx, command);
            }
            Command::ChangePassword { current, new, kdf, new_data_key } => {
                self.change_password(ctx, (current, new), kdf, new_data_key);
            }
            Command::SetTheme(choice) => {
                self.theme = choice;
                theme::apply(ctx, choice);
            }
            Command::ReadReminder => {
                let systemd = self.services.reminder.clone();
                self.jobs.spawn(ctx, "Asking whether the daily reminder is on", Records::No, move || {
                    Done::Reminder(systemd.state(), None)
                });
            }
            Command::SwitchReminder(on) => {
                let systemd = self.services.reminder.clone();
                let doing =
                    if on { "Turning the daily reminder on" } else { "Turning the daily reminder off" };
                self.jobs.spawn(ctx, doing, Records::No, move || {
                    let said = systemd.switch(on).map_err(Failure::from);
                    Done::Reminder(systemd.state(), Some(said))
                });
            }
            Command::Backup { password, path } => {
                let Some(mut vault) = self.vault_into_job() else { return };
                self.jobs.spawn(ctx, "Writing the backup", Records::Yes, move || {
                    let result = write_backup(&mut vault, &password, &path);
                    Done::BackedUp(Box::new(vault), result)
                });
            }
            Command::PreviewImport { path, format, columns } => {
                let Some(vault) = self.vault_into_job() else { return };
                self.jobs.spawn(ctx, "Reading the file to import", Records::No, move || {
                    let result = transfer::preview(&vault, &path, format, columns.as_deref());
                    let picker = transfer::picker(&result, &path, columns.as_deref());
                    Done::ImportPreviewed(Box::new(vault), result, picker)
                });
            }
            Command::Import => {
                let Some(preview) = self.kept_settings_import() else { return };
                let Some(mut vault) = self.vault_into_job() else { return };
                self.jobs.spawn_counted(ctx, "Importing keys", Records::Yes, move |progress| {
                    let result = transfer::import(&mut vault, &preview, progress);
                    Done::Imported(Box::new(vault), result)
                });
            }
            Command::Export { path, options } => {
                let Some(mut vault) = self.vault_into_job() else { return };
                self.jobs.spawn(ctx, "Writing the export", Records::Yes, move || {
                    let result = transfer::export(&mut vault, &path, options);
                    Done::Exported(Box::new(vault), result)
                });
            }
            Command::Files(command) => self.run_files(ctx, command),
            Command::Session(session::Command::ChooseFile(target)) => {
                self.run_files(ctx, files::FilesCommand::Choose(target));
            }
            Command::Session(command) => {
                // A session that is locking takes no new work.
                if self.lock_when_done.is_some() {
                    return;
                }
                // The same command on either kind of vault: a team vault's runs as its jobs.
                self.with_session(ctx, |session, fx| session.run(command, fx));
            }
        }
    }

    /// Takes the vault into a job that checks the current password, then changes it (and,
    /// with `new_data_key`, the data key) at the cost `kdf`.
    fn change_password(
        &mut self,
        ctx: &egui::Context,
        (current, new): (SecretString, SecretString),
        kdf: KdfParams,
        new_data_key: bool,
    ) {
        let Some(mut vault) = self.vault_into_job() else { return };
        let label = if new_data_key {
            "Re-encrypting every key under a new data key"
        } else {
            "Changing the master password"
        };
        self.jobs.spawn_counted(ctx, label, Records::Yes, move |progress| {
            let result = vault
                .check_password(&current)
                .map_err(|_wrong_password| {
                    Failure::said(
                        "The current password is wrong: type the password you unlocked Keydesk with.",
                    )
                })
                .and_then(|()| {
                    if new_data_key {
                        let mut report = |done, total| progress.set(done, total);
                        vault.change_data_key(&new, Some(kdf), &mut report)
                    } else {
                        vault.change_password(&new, Some(kdf))
                    }
                    .map_err(Failure::from)
                });
            Done::PasswordChanged(Box::new(vault), result.map(|caveat| (new_data_key, caveat)))
        });
    }

    /// The previewed import, taken out of the settings screen for the import job.
    fn kept_settings_import(&mut self) -> Option<crate::ui::state::ImportPreview> {
        let Phase::Unlocked(session) = &mut self.phase else { return None };
        session.screens.settings.transfer.import_preview.take()
    }

    /// Takes the vault out of the unlocked session for a job on the settings screen (the
    /// spinner shows meanwhile); what was typed on that screen is kept for its return.
    fn vault_into_job(&mut self) -> Option<Vault> {
        if self.vault().is_none() || self.lock_when_done.is_some() {
            return None;
        }
        let Phase::Unlocked(session) = std::mem::replace(&mut self.phase, Phase::Busy) else {
            return None;
        };
        let Session { home, screens, .. } = *session;
        self.kept_settings = Some(screens.settings);
        match home {
            session::Home::Local(local) => Some(local.vault),
            session::Home::Team(_) => None,
        }
    }

    /// Runs `work` on the unlocked session with what the shell lends it; `false` when there
    /// is no unlocked session.
    fn with_session(
        &mut self,
        ctx: &egui::Context,
        work: impl FnOnce(&mut Session, &mut Effects<'_>),
    ) -> bool {
        let now = self.now();
        let client = Client::new(self.services.http.clone());
        let Phase::Unlocked(session) = &mut self.phase else { return false };
        let mut fx = Effects {
            ctx,
            jobs: &mut self.jobs,
            toasts: &mut self.toasts,
            clipboard: self.services.clipboard.as_mut(),
            copy: &mut self.copy,
            client,
            now,
            dir: &self.services.dir,
        };
        work(session, &mut fx);
        // A change saved without its record outside the folder is said once, as a warning.
        if let session::Home::Local(local) = &mut session.home {
            let problem = local.vault.mark_problem().map(str::to_owned);
            if problem != local.mark_problem_said {
                if let Some(problem) = &problem {
                    fx.toasts.warn(format!("Saved, with a warning: {problem}."), now);
                }
                local.mark_problem_said = problem;
            }
        }
        true
    }

    /// One frame: draws the bars, the current phase and the toasts, and queues what the user
    /// asked for. Changes nothing else.
    pub fn frame_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        // The window's own node in the accessibility tree (AT-SPI's frame) is named for the app.
        ctx.accesskit_node_builder(egui::accesskit_root_id(), |node| node.set_label("Keydesk"));
        let now = self.now();
        // Activity is counted here, where input is this frame's: while the window is hidden,
        // `logic` sees the input of the last frame shown.
        if ui.input(|i| !i.events.is_empty() || i.pointer.any_down()) {
            self.last_activity = now;
        }
        let mut commands = Vec::new();
        if ui.input_mut(|i| {
            i.consume_shortcut(&egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::L))
        }) {
            commands.push(Command::Lock);
        }
        let countdown =
            self.copy.as_ref().map(|c| (c.label.clone(), (c.clear_at - now).num_seconds().max(0)));
        if countdown.is_some() {
            // The countdown on screen moves once a second (only while it is seen).
            ctx.request_repaint_after(std::time::Duration::from_secs(1));
        }
        let busy = self.jobs.busy().map(|p| widgets::BusyJob {
            id: p.id,
            label: p.label.clone(),
            progress: p.progress.as_ref().and_then(JobProgress::get),
            seconds_left: p.progress.as_ref().and_then(JobProgress::seconds_left),
        });
        if busy.is_some() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
        commands.extend(widgets::status_bar_ui(ui, countdown, busy));
        self.toasts.panel_ui(ui);
        if let Some(banner) = &self.banner {
            // Changes made outside Keydesk can be kept, on record, once the vault is open.
            let can_keep = self.vault().is_some_and(|vault| vault.changed_outside().is_some());
            if widgets::banner_with_action_ui(ui, banner, can_keep.then_some("Keep these changes")) {
                commands.push(Command::AcceptChanges);
            }
        }
        let retry_in = self.retry_at.map(|at| (at - now).num_seconds() + 1).filter(|s| *s > 0);
        if retry_in.is_some() {
            ctx.request_repaint_after(std::time::Duration::from_secs(1));
        }
        let waiting = self.jobs.busy().is_some();
        if let Some(job) = self.jobs.recording().filter(|_| self.lock_when_done.is_some()) {
            widgets::locking_ui(ui, &job.label);
        } else {
            match &mut self.phase {
                Phase::Create(state) => commands.extend(unlock::create_ui(ui, state, waiting)),
                Phase::Locked(state) => {
                    // Looked at before the screen is drawn: Enter takes the password out of the
                    // field in the same frame, and the memory must still be there for it.
                    let typed = !state.password.is_empty();
                    let kdf = self.preloaded.as_ref().map(|(_, file)| file.header.kdf);
                    opening::keep_kdf_memory_ready(&mut self.kdf_memory, kdf, typed);
                    commands.extend(unlock::unlock_ui(ui, state, waiting, retry_in));
                }
                Phase::Busy => {
                    let job = self
                        .jobs
                        .busy()
                        .map(|p| (p.label.clone(), p.progress.as_ref().and_then(|p| p.get())));
                    widgets::busy_ui(ui, job);
                }
                Phase::Unlocked(session) => {
                    // Reading (the incidents, the trail) holds no change back: only a change does.
                    let changing = self.jobs.recording().is_some();
                    commands.extend(session.screen_ui(ui, now, changing));
                }
            }
        }
        commands.extend(self.files_dropped_ui(&ctx));
        #[cfg(target_os = "linux")]
        commands.extend(self.browser_question_ui(&ctx));
        #[cfg(target_os = "linux")]
        commands.extend(self.propose_ui(&ctx));
        self.sign_in_again_ui(&ctx);
        if !commands.is_empty() {
            self.queued.extend(commands);
            ctx.request_repaint();
        }
        self.report_timings(&ctx);
    }
}

impl eframe::App for KeydeskApp {
    /// Runs before every frame, and alone while the window is minimized or covered.
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.tick(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame_ui(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if let Some(screens) = self.phase.screens() {
            self.sort = screens.dashboard.sort;
        }
        eframe::set_value(storage, PREFS_KEY, &self.sort);
        eframe::set_value(storage, THEME_KEY, &self.theme);
    }

    /// Window geometry is kept by eframe; egui's memory (which could hold widget state) is not.
    fn persist_egui_memory(&self) -> bool {
        false
    }
}

/// Writes a backup of `vault` to `path` (created readable by the user alone) and records it.
fn write_backup(
    vault: &mut Vault,
    password: &SecretString,
    path: &std::path::Path,
) -> Result<String, Failure> {
    let bytes = vault.backup(password).map_err(|error| match error {
        crate::vault::VaultError::Crypto(crate::vault::crypto::CryptoError::WrongPassword) => {
            Failure::said("The master password is wrong: type the password you unlocked Keydesk with.")
        }
        other => Failure::from(other),
    })?;
    let written = crate::storage::atomic_write(path, &bytes, false).map_err(|error| {
        format!(
            "Could not write the backup ({error}): check the folder and its free space. File: {}",
            path.display()
        )
    });
    let recorded = vault.record_backup(written.clone().map(|()| format!("to {}", path.display())));
    written.map_err(Failure::Said)?;
    recorded.map_err(|error| {
        Failure::Said(format!("The backup was written, but the audit log could not record it: {error}"))
    })?;
    let keys = vault.keys().iter().filter(|k| k.is_live()).count();
    Ok(format!(
        "Backed up {keys} keys to {}: keep it somewhere safe; it opens with this master password.",
        path.display()
    ))
}
