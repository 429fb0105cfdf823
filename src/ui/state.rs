//! Plain state of each screen. Nothing here is persisted; secrets typed by the user live in
//! zeroizing strings and go when the session is dropped.

use super::dashboard::Sort;
use super::meta_form::MetaForm;
use super::widgets::SecretInput;
use crate::actions::RevokeRoute;
use crate::import::columns::Field;
use crate::providers::Provider;
use crate::vault::crypto::KdfParams;
use crate::vault::keygen;
use crate::vault::model::{KeyId, KeyRecord, Settings};

/// The screens of an unlocked vault.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Screen {
    #[default]
    Keys,
    Detail(KeyId),
    New,
    Accounts,
    Audit,
    Settings,
    /// "Which key is this?"
    Whois,
    /// The vault's health: score and findings.
    Health,
    /// Every incident, open first, each with its timeline, closing and report.
    Incidents,
    /// A team vault's members (a vault of one has none to show: its keys show).
    Members,
}

/// The key list.
#[derive(Default)]
pub struct DashboardState {
    pub search: String,
    pub sort: Sort,
    pub attention_only: bool,
    /// Revoked keys listed too.
    pub show_revoked: bool,
    /// The key the keyboard is on (it stays selected when the list is sorted or searched).
    pub selected: Option<KeyId>,
    /// Scroll the list to the selected row at the next frame.
    pub scroll_to_selected: bool,
    pub focus_search: bool,
    pub index: super::dashboard::Index,
}

/// Key detail, with its editable fields (the key's facts are read from the vault each frame).
#[derive(Default)]
pub struct DetailState {
    pub form: MetaForm,
    /// The form is open (Edit pressed): it stands in place of the facts and integrations
    /// until Save or Cancel.
    pub editing: bool,
    pub replacement: SecretInput,
    pub error: Option<String>,
    /// The key's audit records, oldest first, and the log length they were taken at.
    pub history: Vec<crate::vault::audit::Record>,
    pub history_at: Option<u64>,
    /// Why the rotation is finished with integrations not moved (the user's words).
    pub finish_reason: String,
    /// Why the rotation is given up (the user's words, kept with it).
    pub abandon_reason: String,
    /// The key's uses over the last 90 days, counted from `history` on the day it names.
    pub activity: Option<(chrono::NaiveDate, super::detail::Activity)>,
    /// A suspected leak being reported, and an open incident's summary and report file.
    pub incident: IncidentForm,
    /// The key's name at its provider, typed for a last-use question (Elastic Email).
    pub usage_name: String,
    /// Why the provider could not say when the key was last used (the last try).
    pub usage_error: Option<String>,
}

/// What the user types about an incident on a key's page.
#[derive(Default)]
pub struct IncidentForm {
    pub found_where: String,
    pub noticed_by: String,
    pub notes: String,
    pub summary: String,
    /// Where the Markdown report goes.
    pub report_path: String,
    pub error: Option<String>,
    /// The desktop's file chooser did not answer for the report's field: why.
    pub chooser_note: Option<(FileTarget, String)>,
}

impl DetailState {
    /// Fields filled from `record` (none: the key is gone).
    pub fn for_record(record: Option<&KeyRecord>) -> Self {
        let Some(record) = record else { return DetailState::default() };
        DetailState { form: MetaForm::from_record(record), ..DetailState::default() }
    }

    /// The key's history from the log or trail as last read (`cache`), and its activity
    /// counted again when the history grew or the day turned.
    pub fn follow_log(
        &mut self,
        id: &KeyId,
        cache: Option<&super::session::AuditCache>,
        now: chrono::DateTime<chrono::Utc>,
    ) {
        if let Some(cache) = cache
            && self.history_at != Some(cache.entries)
        {
            self.history =
                cache.records.iter().filter(|r| r.key.as_deref() == Some(id.as_str())).cloned().collect();
            self.history_at = Some(cache.entries);
            self.activity = None;
        }
        if self.activity.as_ref().is_none_or(|(day, _)| *day != now.date_naive()) {
            self.activity = Some((now.date_naive(), super::detail::Activity::of(&self.history, now)));
        }
    }
}

/// How a new key comes to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NewMode {
    #[default]
    Generate,
    Paste,
    AtProvider,
}

/// The Generate / Add screen.
pub struct NewKeyState {
    pub mode: NewMode,
    pub form: MetaForm,
    pub prefix: String,
    pub length: usize,
    pub paste: SecretInput,
    /// The account a pasted or created key belongs to (id).
    pub account: Option<String>,
    pub template: Option<&'static str>,
    /// Check a pasted key at its provider right after adding it (one request).
    pub verify_after_add: bool,
    /// The pasted key shown instead of dots (the eye).
    pub show_paste: bool,
    /// The label field takes the focus at the next frame (the screen was just opened).
    pub focus_label: bool,
    /// The key this new one replaces (a revoked or leaked key): once made, the two are linked
    /// and the old key's integrations are to be moved over.
    pub replaces: Option<KeyId>,
    pub error: Option<String>,
}

impl Default for NewKeyState {
    fn default() -> Self {
        NewKeyState {
            mode: NewMode::Generate,
            form: MetaForm::default(),
            prefix: keygen::DEFAULT_PREFIX.to_owned(),
            length: keygen::DEFAULT_LENGTH,
            paste: SecretInput::default(),
            account: None,
            template: None,
            verify_after_add: true,
            show_paste: false,
            focus_label: true,
            replaces: None,
            error: None,
        }
    }
}

impl NewKeyState {
    /// Prefilled to replace `old` (after a revoke with "create replacement").
    pub fn replacing(old: &KeyRecord) -> Self {
        // The replacement gets its own expiry; everything else carries over.
        let form = MetaForm { expires: String::new(), ..MetaForm::from_record(old) };
        let mut state = NewKeyState {
            form,
            account: old.account.clone(),
            replaces: Some(old.id.clone()),
            ..NewKeyState::default()
        };
        state.mode = match old.provider {
            Provider::Keydesk => NewMode::Generate,
            p if p.info().api_create && old.account.is_some() => NewMode::AtProvider,
            _ => NewMode::Paste,
        };
        state
    }
}

/// API settings.
pub struct AccountsState {
    pub provider: Provider,
    pub name: String,
    pub region: String,
    pub base_url: String,
    pub management_key: SecretInput,
    pub error: Option<String>,
    /// The last "Test connection" result of each account (by id) in this session, and when.
    pub tested: std::collections::HashMap<
        String,
        (Result<String, crate::ui::Failure>, chrono::DateTime<chrono::Utc>),
    >,
}

impl Default for AccountsState {
    fn default() -> Self {
        AccountsState {
            provider: Provider::SendGrid,
            name: String::new(),
            region: String::new(),
            base_url: String::new(),
            management_key: SecretInput::default(),
            error: None,
            tested: std::collections::HashMap::new(),
        }
    }
}

/// The audit log screen.
#[derive(Default)]
pub struct AuditState {
    pub key_filter: String,
    pub action_filter: Option<crate::vault::audit::Action>,
}

/// A password change as typed (a local vault's master password, or a member's password for a
/// team vault).
pub struct PasswordChange {
    /// Argon2id's memory for the new password, in MiB.
    pub kdf_memory_mib: u32,
    pub current_password: SecretInput,
    pub new_password: SecretInput,
    pub confirm: SecretInput,
    /// Replace the data key with the password (every secret sealed again under a new one).
    pub new_data_key: bool,
    /// The user chose to keep a new password rated weak.
    pub accept_weak: bool,
    pub error: Option<String>,
}

impl PasswordChange {
    /// Empty, at the memory cost `kdf` has.
    pub fn new(kdf: KdfParams) -> Self {
        PasswordChange {
            kdf_memory_mib: kdf.memory_kib / 1024,
            current_password: SecretInput::default(),
            new_password: SecretInput::default(),
            confirm: SecretInput::default(),
            new_data_key: false,
            accept_weak: false,
            error: None,
        }
    }
}

/// Settings.
pub struct SettingsState {
    pub auto_lock_minutes: u32,
    pub clipboard_clear_secs: u32,
    pub check_weekly: bool,
    /// The master password's change, as typed.
    pub password: PasswordChange,
    /// Why the settings could not be saved.
    pub error: Option<String>,
    /// Where a backup goes (a file path, typed or kept from the default).
    pub backup_path: String,
    pub backup_password: SecretInput,
    pub backup_error: Option<String>,
    /// Import and Export, as typed.
    pub transfer: TransferState,
    /// Whether the daily reminder is on (`None` until systemd has been asked).
    pub reminder: Option<crate::reminder::ReminderState>,
    /// Asked since the screen was opened (each opening asks again).
    pub reminder_asked: bool,
    /// What the last switch did, or why it did nothing.
    pub reminder_said: Option<Result<String, crate::ui::Failure>>,
    /// "Restore from a backup…": the dialog that confirms it, while open.
    pub restore: Option<RestoreForm>,
}

/// The path field a file chooser fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileTarget {
    Import,
    Export,
    Backup,
    Restore,
    /// An incident's report, on its key's page.
    Report,
}

/// The restore's dialog: the backup file, its master password, and what is replaced.
pub struct RestoreForm {
    /// The backup file (chosen, dropped or typed).
    pub path: String,
    /// The master password the vault had when it was backed up.
    pub password: SecretInput,
    /// What the restore replaces, in words (the folder and its keys).
    pub replaces: String,
    pub error: Option<String>,
}

/// Import and Export as typed: on a local vault's settings screen, or a team vault's
/// Import/Export panel.
#[derive(Default)]
pub struct TransferState {
    /// The file to import (a path, typed).
    pub import_path: String,
    /// `None`: told from the file.
    pub import_format: Option<crate::import::Format>,
    pub import_error: Option<String>,
    /// What the file holds and what importing it would do, until imported or dismissed.
    pub import_preview: Option<ImportPreview>,
    /// The columns of a table Keydesk could not tell, for the user to pick, until another
    /// file is read.
    pub import_picker: Option<ColumnPicker>,
    /// A new preview is to be scrolled into view.
    pub import_scroll: bool,
    /// Where an export goes (a file path, typed).
    pub export_path: String,
    pub export_json: bool,
    pub export_all: bool,
    pub export_secrets: bool,
    /// The words typed in the dialog that confirms writing secrets (open while `Some`).
    pub export_confirm: Option<String>,
    pub export_error: Option<String>,
    /// The desktop's file chooser did not answer for a field (of this form, or the backup's
    /// and the restore's): which, and why in one sentence.
    pub chooser_note: Option<(FileTarget, String)>,
}

impl TransferState {
    /// A new reading of `path` as `format` (`None`: told from the file): the field shows the
    /// file, and the columns are told from it again.
    pub fn read_anew(
        &mut self,
        path: std::path::PathBuf,
        format: Option<crate::import::Format>,
    ) -> crate::ui::settings::TransferAction {
        self.import_path = path.display().to_string();
        self.import_format = format;
        self.import_error = None;
        self.import_picker = None;
        crate::ui::settings::TransferAction::Preview { path, format, columns: None }
    }
}

/// A file read for import, with the preview of each row.
pub use crate::actions::transfer::ImportFile as ImportPreview;

/// The column picker of a table whose columns Keydesk cannot tell: its header and first rows,
/// and the column picked for each field of [`Field::PICKED`].
#[derive(Debug)]
pub struct ColumnPicker {
    /// The file the columns are of, as typed.
    pub path: String,
    pub sample: crate::import::columns::Sample,
    /// For each of [`Field::PICKED`], the index of its column.
    pub picks: [Option<usize>; 6],
}

impl ColumnPicker {
    pub fn new(path: String, sample: crate::import::columns::Sample) -> Self {
        ColumnPicker { path, sample, picks: [None; 6] }
    }

    /// The fields picked, each with its column's index.
    pub fn chosen(&self) -> Vec<(Field, usize)> {
        Field::PICKED.into_iter().zip(self.picks).filter_map(|(field, at)| Some((field, at?))).collect()
    }

    /// The `--columns` text of the picks (the same reading as the command line's).
    pub fn columns(&self) -> String {
        crate::import::columns::ColumnMap::of_indexes(&self.chosen()).text()
    }
}

impl TransferState {
    /// A file read for import: its preview, or why not (with its columns to pick when it is a
    /// table whose columns Keydesk cannot tell, which replaces the sentence).
    pub fn previewed(
        &mut self,
        read: Result<ImportPreview, crate::ui::Failure>,
        picker: Option<ColumnPicker>,
    ) {
        match (read, picker) {
            (Ok(preview), _) => {
                self.import_error = None;
                self.import_preview = Some(preview);
                self.import_scroll = true;
            }
            (Err(_unknown_columns), Some(picker)) => {
                self.import_error = None;
                self.import_preview = None;
                self.import_picker = Some(picker);
            }
            (Err(error), None) => self.import_error = Some(error.to_string()),
        }
    }
}

impl Default for SettingsState {
    /// A new vault's settings.
    fn default() -> Self {
        SettingsState::from(&Settings::default(), KdfParams::default(), String::new())
    }
}

impl SettingsState {
    /// From the vault's current settings.
    pub fn from(settings: &Settings, kdf: KdfParams, backup_path: String) -> Self {
        SettingsState {
            auto_lock_minutes: settings.auto_lock_minutes,
            clipboard_clear_secs: settings.clipboard_clear_secs,
            check_weekly: settings.check_weekly,
            password: PasswordChange::new(kdf),
            error: None,
            backup_path,
            backup_password: SecretInput::default(),
            backup_error: None,
            transfer: TransferState::default(),
            reminder: None,
            reminder_asked: false,
            reminder_said: None,
            restore: None,
        }
    }
}

/// The revoke dialog.
pub struct RevokeState {
    pub key_id: KeyId,
    pub label: String,
    /// The key's hint (prefix…last 4), to find it on the provider's page.
    pub hint: String,
    pub provider: Provider,
    pub integrations: Vec<String>,
    pub route: RevokeRoute,
    pub reason: String,
    /// Where the key was found, when it leaked: an incident is opened with it first.
    pub found_where: String,
    /// Who noticed the leak (empty: the user).
    pub noticed_by: String,
    pub confirmed: bool,
    pub replacement: bool,
    pub error: Option<String>,
    /// Why Keydesk cannot revoke this key through the provider's API, when it cannot.
    pub why_manual: String,
    /// The reason field has taken the focus (it does when the dialog opens).
    pub focused: bool,
}

impl RevokeState {
    /// The dialog for one key, revoked by `route`.
    pub fn new(record: &KeyRecord, route: RevokeRoute) -> Self {
        RevokeState {
            key_id: record.id.clone(),
            label: record.label.clone(),
            hint: record.hint.clone(),
            provider: record.provider,
            integrations: record.integrations.iter().map(|i| i.name.clone()).collect(),
            route,
            reason: String::new(),
            found_where: String::new(),
            noticed_by: String::new(),
            confirmed: false,
            replacement: true,
            error: None,
            why_manual: why_manual(record),
            focused: false,
        }
    }
}

impl RevokeState {
    /// The dialog that ends a rotation by revoking `record` (`reason` filled in): no
    /// replacement is offered, the rotation has one or gives up on it.
    pub fn ending_rotation(record: &KeyRecord, route: RevokeRoute, reason: String) -> Self {
        RevokeState { reason, replacement: false, ..RevokeState::new(record, route) }
    }

    /// The leak the user reported in the dialog, if they said where the key was found.
    pub fn leak(&self) -> Option<crate::vault::incidents::IncidentReport> {
        let found_where = self.found_where.trim();
        (!found_where.is_empty()).then(|| crate::vault::incidents::IncidentReport {
            found_where: found_where.to_owned(),
            noticed_by: self.noticed_by.trim().to_owned(),
            notes: String::new(),
        })
    }
}

/// Why a revoke goes through the provider's page instead of its API.
fn why_manual(record: &KeyRecord) -> String {
    let provider = record.provider.name();
    if !record.provider.info().api_revoke {
        format!("{provider} offers no API to delete keys")
    } else if record.provider_key_id.is_none() {
        format!("this key was pasted, so Keydesk does not know its id at {provider}")
    } else {
        format!("no {provider} account with a management key is linked to this key")
    }
}

/// "Which key is this?": the string pasted to look up (wiped once looked up) and the answer.
#[derive(Default)]
pub struct WhoisState {
    pub candidate: super::widgets::SecretInput,
    pub answer: Option<WhoisAnswer>,
    /// The last paste filled the field (its end was cut off by the field's limit).
    pub field_full: bool,
    /// Put the cursor in the field at the next frame.
    pub focus: bool,
    /// The incident the leak response opens: where the string was found, and by whom.
    pub found_where: String,
    pub noticed_by: String,
    pub error: Option<String>,
}

/// What a look-up found: the keys the pasted text holds (none: no match), how many strings
/// of it were looked up, and whether it was too long to be looked at whole.
pub struct WhoisAnswer {
    pub keys: Vec<KeyId>,
    pub looked_at: usize,
    pub cut_short: bool,
}
