//! The unlocked vault in the window: its screens' state, the commands on it, and how each is
//! applied. Everything here is dropped on lock.
//!
//! Screens get plain data (the vault's [`VaultFile`] and the audit lines cached here) and
//! return a [`Command`]; [`Session::run`] applies it against the vault, the clipboard and the
//! job runner, which the shell lends it as [`Effects`]. Nothing here reads a file while a
//! screen draws: the audit log is read in [`Session::refresh`], after a commit.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::app::Done;
use super::jobs::{Jobs, Records};
use super::state::{Screen, SettingsState};
use super::widgets::Toasts;
use crate::actions::{CreateCalled, RevokeCalled, RevokeOptions, VerifyCalled};
use crate::clipboard::Clipboard;
use crate::providers::http::Client;
use crate::vault::audit;
use crate::vault::model::{KeyId, Settings};
use crate::vault::{AccountRequest, AddRequest, GenerateRequest, KeyEdit, Vault};

/// How long a revealed secret stays on screen.
pub const REVEAL_SECS: i64 = 30;

/// Something the user asked of the unlocked vault, returned by a screen.
#[must_use]
pub enum Command {
    Show(Screen),
    /// The new key screen, opened on one way of making the key.
    NewKey(crate::ui::state::NewMode),
    OpenKey(KeyId),
    Copy(KeyId),
    Reveal(KeyId),
    HideReveal,
    Verify(KeyId),
    /// Check every live key at its provider (a job with a progress bar and Cancel; each
    /// answer recorded as it arrives).
    CheckAll,
    /// Ask the provider when the key was last used (`name`: its name there, when typed).
    AskUsage {
        key: KeyId,
        name: Option<String>,
    },
    /// "Which key is this?" for a pasted string.
    Whois(SecretString),
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
        key: KeyId,
        edit: KeyEdit,
    },
    Rotate {
        key: KeyId,
        /// A key made at the provider and pasted; `None` generates one (Keydesk keys).
        pasted: Option<SecretString>,
    },
    StartRevoke(KeyId),
    /// Rotate a key whose provider account can make keys: the New screen, filled in to make
    /// its replacement at the provider (linked as the rotation once made).
    ReplaceAtProvider(KeyId),
    /// A step of moving an integration of `old` (being rotated) to its replacement.
    MarkRotation {
        old: KeyId,
        integration: String,
        step: crate::vault::Moved,
    },
    /// The leak response from "Which key is this?": an incident opened for `key`, then its
    /// revoke started.
    RespondToLeak {
        key: KeyId,
        report: crate::vault::incidents::IncidentReport,
    },
    /// Open an incident: `key` may have leaked.
    OpenIncident {
        key: KeyId,
        report: crate::vault::incidents::IncidentReport,
    },
    /// Close incident `id` with what was done and learnt.
    CloseIncident {
        id: String,
        summary: String,
    },
    /// Write incident `id`'s Markdown report to `path`.
    ExportIncident {
        id: String,
        path: std::path::PathBuf,
    },
    /// Open the desktop's file chooser for a path field (answered by the shell).
    ChooseFile(crate::ui::state::FileTarget),
    /// Finish the rotation of `old`: its revoke, asked in the revoke dialog. `reason` says why
    /// integrations are left, when some are.
    /// Give up the rotation of `old`: its replacement is revoked (in the revoke dialog), then
    /// the old key is active again. `reason` is kept with it.
    AbandonRotation {
        old: KeyId,
        reason: String,
    },
    FinishRotation {
        old: KeyId,
        reason: Option<String>,
    },
    Revoke {
        key: KeyId,
        reason: String,
        options: RevokeOptions,
        /// Open "New key" prefilled as its replacement once it is revoked.
        replacement: bool,
        /// Where it leaked, when it did: an incident is opened first (the revoke is then in
        /// its timeline).
        leak: Option<crate::vault::incidents::IncidentReport>,
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
    /// Asks first: the command runs only when the user confirms.
    Confirm(Box<Confirmation>),
    /// The user answered the confirmation on screen.
    Answer(bool),
}

/// A question before a change that is hard to undo.
pub struct Confirmation {
    pub title: String,
    pub body: String,
    /// The confirming button's words ("Remove account").
    pub action: &'static str,
    pub then: Command,
    /// Confirming gives up the edits on the open key's page (the question asked when leaving it).
    pub discards_edits: bool,
    /// What it does cannot be taken back (a removal): its button is red. A step that can be
    /// undone or walked back (a rotation) is asked about with an ordinary button.
    pub destructive: bool,
}

impl Confirmation {
    /// "Discard your changes?" before leaving a key's page with edits not saved; `then`: where
    /// it goes.
    pub fn discarding(label: &str, then: Command) -> Self {
        Confirmation {
            title: format!("Discard your changes to \"{label}\"?"),
            body: "The changes on this key's page are not saved yet.".to_owned(),
            action: "Discard changes",
            then,
            discards_edits: true,
            destructive: true,
        }
    }
}

impl Command {
    /// This command, run only once the user confirms; `destructive` when it cannot be undone.
    pub fn confirmed_by(
        self,
        title: String,
        body: String,
        action: &'static str,
        destructive: bool,
    ) -> Command {
        Command::Confirm(Box::new(Confirmation {
            title,
            body,
            action,
            then: self,
            discards_edits: false,
            destructive,
        }))
    }
}

/// What a session's background job hands back; each names the key or account it was for.
pub enum SessionDone {
    Verified(VerifyCalled),
    /// The check of every key ended (its answers were handed over one by one on the way).
    CheckedAll(check_all::CheckAllEnded),
    UsageAsked(crate::actions::UsageCalled),
    Created(Box<CreateCalled>),
    Revoked {
        called: Box<RevokeCalled>,
        /// What is recorded with it (its reason, the incident opened first, a rotation given up).
        revoking: changes::Revoking,
        replacement: bool,
    },
    AccountTested {
        id: String,
        name: String,
        /// The provider's answer.
        tested: Result<crate::providers::manage::Tested, crate::actions::ActionError>,
    },
}

/// A key's secret on screen after Reveal, until `until`.
pub struct Revealed {
    pub key_id: KeyId,
    pub secret: SecretString,
    pub until: DateTime<Utc>,
    /// The secret laid out once for drawing, so no frame makes another copy of it.
    pub galley: Option<Arc<egui::Galley>>,
}

/// A secret shown once after it was made.
pub struct ShownOnce {
    pub label: String,
    /// The key it belongs to (none when the vault could not keep it).
    pub key_id: Option<KeyId>,
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
    pub chain: Result<u64, crate::ui::Failure>,
    /// Who did each record, for a team vault's trail (empty for a local vault's log).
    pub by: Vec<String>,
}

impl AuditCache {
    fn read(vault: &Vault) -> Self {
        // One read of the log serves both the list and the chain check.
        let text = vault.audit_text().unwrap_or_default();
        let file = vault.file();
        let chain = vault.verify_audit_text(&text).map(|r| r.entries).map_err(crate::ui::Failure::from);
        AuditCache { entries: file.audit.entries, records: audit::parse(&text), chain, by: Vec::new() }
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
    /// Keydesk's folder (a team vault keeps this computer's copy and settings there).
    pub dir: &'a std::path::Path,
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

    fn spawn_counted(
        &mut self,
        label: String,
        records: Records,
        work: impl FnOnce(&super::jobs::JobProgress) -> SessionDone + Send + 'static,
    ) {
        self.jobs.spawn_counted(self.ctx, label, records, move |progress| Done::Session(work(progress)));
    }
}

mod answers;
pub(crate) mod changes;
pub(crate) mod check_all;
mod draw;
mod run;

/// Everything that exists only while a vault is open, either kind: where its keys are kept
/// (its [`Home`]), and the screens with the secrets on show, which are the same for both.
pub struct Session {
    pub home: Home,
    /// The screens, the same for both kinds of vault.
    pub screens: super::screens::Screens,
    pub shown_once: Option<ShownOnce>,
    pub revealed: Option<Revealed>,
    /// The audit log (a team vault's trail) as last read, for the audit screen and key pages.
    pub audit_cache: Option<AuditCache>,
}

/// Where the open vault's keys are kept: this computer's folder, or a team vault's server
/// with this computer's copy.
pub enum Home {
    Local(Box<LocalHome>),
    Team(Box<crate::ui::app::team::TeamHome>),
}

/// A local vault, unlocked.
pub struct LocalHome {
    pub vault: Vault,
    /// The check of every key while it runs: its answers still to record.
    pub checking: Option<check_all::Checking>,
    /// When every key was last checked (the newest `health` line), read from the log the
    /// first time a weekly check is asked about; `Some(None)`: never.
    pub last_check_all: Option<Option<DateTime<Utc>>>,
    /// The vault's last word on its record outside the folder that failed to be written,
    /// once said (so it is said once, and again if it changes).
    pub mark_problem_said: Option<String>,
}

/// A session seen from its home of kind `H`: each part borrowed on its own, so the home's
/// code changes the screens and the secrets on show beside its vault.
pub struct Parts<'a, H> {
    pub home: &'a mut H,
    pub screens: &'a mut super::screens::Screens,
    pub shown_once: &'a mut Option<ShownOnce>,
    pub revealed: &'a mut Option<Revealed>,
    pub audit_cache: &'a mut Option<AuditCache>,
}

/// A local vault's session, as its code sees it.
pub type Local<'a> = Parts<'a, LocalHome>;

impl<H> Parts<'_, H> {
    /// Keeps what the screens handed on once they took a change's answer in, on either kind
    /// (`Screens::take`): a secret to show once, one revealed; answers the key to check next.
    pub(crate) fn keep(&mut self, taken: changes::Taken) -> Option<KeyId> {
        if let Some(shown) = taken.shown_once {
            *self.shown_once = Some(shown);
        }
        if let Some(revealed) = taken.revealed {
            *self.revealed = Some(revealed);
        }
        taken.verify
    }
}

impl Session {
    /// A session on a freshly unlocked local vault, on the key list.
    pub fn local(vault: Vault) -> Self {
        let settings = SettingsState::from(
            &vault.file().header.settings,
            vault.file().header.kdf,
            default_backup_path(vault.now()),
        );
        let home = LocalHome { vault, checking: None, last_check_all: None, mark_problem_said: None };
        Session::on(Home::Local(Box::new(home)), settings)
    }

    /// A session on `home`, on the key list, with the settings screen filled from `settings`.
    pub fn on(home: Home, settings: SettingsState) -> Self {
        Session {
            home,
            screens: super::screens::Screens::new(settings),
            shown_once: None,
            revealed: None,
            audit_cache: None,
        }
    }

    /// The local vault, when that is what is open.
    pub fn vault(&self) -> Option<&Vault> {
        self.local_home().map(|local| &local.vault)
    }

    /// The local vault, to change (tests set up a vault's state through it).
    pub fn vault_mut(&mut self) -> Option<&mut Vault> {
        match &mut self.home {
            Home::Local(local) => Some(&mut local.vault),
            Home::Team(_) => None,
        }
    }

    /// The local vault's home, when that is what is open.
    pub fn local_home(&self) -> Option<&LocalHome> {
        match &self.home {
            Home::Local(local) => Some(local),
            Home::Team(_) => None,
        }
    }

    /// The team vault's home, when that is what is open.
    pub fn team(&self) -> Option<&crate::ui::app::team::TeamHome> {
        match &self.home {
            Home::Team(team) => Some(team),
            Home::Local(_) => None,
        }
    }

    /// The session seen from its local vault, when that is what is open.
    pub fn local_parts(&mut self) -> Option<Local<'_>> {
        let Session { home, screens, shown_once, revealed, audit_cache } = self;
        match home {
            Home::Local(home) => Some(Parts { home, screens, shown_once, revealed, audit_cache }),
            Home::Team(_) => None,
        }
    }

    /// The session seen from its team vault, when that is what is open.
    pub fn team_parts(&mut self) -> Option<Parts<'_, crate::ui::app::team::TeamHome>> {
        let Session { home, screens, shown_once, revealed, audit_cache } = self;
        match home {
            Home::Team(home) => Some(Parts { home, screens, shown_once, revealed, audit_cache }),
            Home::Local(_) => None,
        }
    }

    /// Reads the audit log again when it grew and a screen shows it; hides an expired reveal.
    /// Called before each frame is drawn, never while drawing.
    pub fn refresh(&mut self, now: DateTime<Utc>) {
        if self.revealed.as_ref().is_some_and(|r| now >= r.until) {
            self.revealed = None;
        }
        if let Some(mut local) = self.local_parts() {
            local.refresh(now);
        }
    }

    /// The next moment something here changes by itself (a reveal hides, the weekly check).
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        let weekly = match &self.home {
            Home::Local(local) => local.next_weekly_check(),
            Home::Team(_) => None,
        };
        [self.revealed.as_ref().map(|r| r.until), weekly].into_iter().flatten().min()
    }

    /// Whether `browser` may ask for keys, and whether the leak guard is on, as this vault
    /// keeps them (a team vault in this computer's `team.ron` in `dir`, read again: `keydesk
    /// browser` may have changed it meanwhile).
    pub fn browser_settings(&self, browser: &str, dir: &std::path::Path) -> (bool, bool) {
        match &self.home {
            Home::Local(local) => (local.vault.browser_allowed(browser), local.vault.leak_guard()),
            Home::Team(_) => crate::actions::team::read_config(dir).map_or((false, false), |config| {
                let allowed = config.settings.browsers.iter().any(|allowed| allowed == browser);
                (allowed, config.settings.leak_guard)
            }),
        }
    }

    /// The incidents, as this vault has them (a team vault's once read).
    pub fn incidents(&self) -> Option<&[crate::vault::model::Incident]> {
        match &self.home {
            Home::Local(local) => Some(&local.vault.file().incidents),
            Home::Team(team) => team.incidents.as_deref(),
        }
    }

    /// How many idle minutes lock this vault (a team vault's: this computer's, in `team.ron`).
    pub fn auto_lock_minutes(&self) -> u32 {
        match &self.home {
            Home::Local(local) => local.vault.file().header.settings.auto_lock_minutes,
            Home::Team(team) => team.settings.auto_lock_minutes,
        }
    }

    /// How many keys this vault holds (a team vault: in this computer's copy).
    pub fn key_count(&self) -> usize {
        match &self.home {
            Home::Local(local) => local.vault.keys().len(),
            Home::Team(team) => team.list.len(),
        }
    }

    /// The label of key `id`, as this vault has it (empty when there is none).
    pub(crate) fn label_of(&self, id: &KeyId) -> String {
        match &self.home {
            Home::Local(local) => local.vault.file().key(id).map(|k| k.label.clone()).unwrap_or_default(),
            Home::Team(team) => team.label_of(id),
        }
    }
}

impl LocalHome {
    /// When the weekly check of every key is next due, once its last run is known.
    fn next_weekly_check(&self) -> Option<DateTime<Utc>> {
        self.last_check_all.filter(|_| self.vault.file().header.settings.check_weekly).map(|last| {
            last.map_or(DateTime::<Utc>::MIN_UTC, |at| {
                at + chrono::Duration::days(crate::vault::health::history::WEEKLY_DAYS)
            })
        })
    }
}

impl Local<'_> {
    /// Records the check of every key's answers as they arrive, and reads the audit log again
    /// when it grew and a screen shows it.
    fn refresh(&mut self, now: DateTime<Utc>) {
        // The check of every key's answers are recorded as they arrive, not at its end.
        self.record_checked();
        let entries = self.home.vault.file().audit.entries;
        // The Health screen charts the log's `health` lines.
        let shows_log = matches!(self.screens.screen, Screen::Audit | Screen::Detail(_) | Screen::Health);
        if shows_log && self.audit_cache.as_ref().is_none_or(|c| c.entries != entries) {
            *self.audit_cache = Some(AuditCache::read(&self.home.vault));
        }
        // Counted again when the history grows or the day turns, not at every frame.
        if let Screen::Detail(id) = &self.screens.screen {
            self.screens.detail.follow_log(id, self.audit_cache.as_ref(), now);
        }
    }
}

/// Where a backup goes unless the user says otherwise: the documents folder (else the home
/// folder), named after the day.
fn default_backup_path(now: DateTime<Utc>) -> String {
    let dirs = directories::UserDirs::new();
    let folder = dirs.as_ref().map(|d| d.document_dir().unwrap_or_else(|| d.home_dir()).to_owned());
    let name = format!("keydesk-backup-{}.kdbackup", now.format("%Y-%m-%d"));
    folder.map_or(name.clone(), |folder| folder.join(name).display().to_string())
}
