//! One set of operations over a vault, wherever it lives: the local folder ([`Vault`]) or a
//! team vault with its keys unlocked ([`TeamStore`]). A store reads a key, hands out a
//! secret through its gate, and commits a change of one key with its audit event; the verbs
//! (`actions::changes`: edit, a rotation's steps, what a provider said; verify, revoke, last
//! use and create at a provider) are written once against it.

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::ActionError;
use crate::providers::Provider;
use crate::team::accounts::{TeamAccount, find_account};
use crate::team::audit::TrailAction;
use crate::team::kv::KvError;
use crate::team::{TeamError, TeamKey, TeamKeys, TeamVault};
use crate::vault::audit::{Action, Outcome};
use crate::vault::detect::Detection;
use crate::vault::health::{HealthReport, findings_of};
use crate::vault::incidents::IncidentReport;
use crate::vault::model::{Account, Incident, KeyId, KeyRecord};
use crate::vault::{
    AccountRequest, AddRequest, GenerateRequest, KeyEvent, UsageTarget, Vault, VaultError, aws_access_key_id,
};

/// What the verbs need of a vault.
pub trait Store {
    /// The time to record, in whole seconds.
    fn now(&self) -> DateTime<Utc>;
    /// A key's record as it is now, and the version a change [`at`](Store::change_key) that
    /// reading names (a team vault's entry version; 0 for a local vault, which one writer
    /// holds).
    fn read_key(&self, id: &KeyId) -> Result<(KeyRecord, u64), ActionError>;
    /// A key's record as it is now.
    fn key_record(&self, id: &KeyId) -> Result<KeyRecord, ActionError> {
        Ok(self.read_key(id)?.0)
    }
    /// A live key's secret, shown to the user; the reveal is recorded (no record, no secret).
    fn reveal(&mut self, id: &KeyId) -> Result<SecretString, ActionError>;
    /// A live key's secret for the clipboard; the copy is recorded with
    /// [`record_copy`](Store::record_copy) once the clipboard took it (or did not).
    fn secret_to_copy(&mut self, id: &KeyId) -> Result<SecretString, ActionError>;
    /// A live key's secret for a browser's field; `detail` says where it goes (recorded
    /// before the secret is handed over: no record, no secret).
    fn fill(&mut self, id: &KeyId, detail: String) -> Result<SecretString, ActionError>;
    /// Allows `browser` (a program and its profile folder) to ask for keys on the pages of
    /// their integrations, or takes that back; recorded either way (an audit line `browser`).
    /// A local vault keeps the list in its header; a team vault in this computer's `team.ron`.
    fn allow_browser(&mut self, browser: &str, allowed: bool) -> Result<(), ActionError>;
    /// Whether the leak guard is on (kept where the allowed browsers are).
    fn leak_guard(&self) -> bool;
    /// Turns the leak guard on or off; recorded (an audit line `browser`).
    fn set_leak_guard(&mut self, on: bool) -> Result<(), ActionError>;
    /// The key whose secret is `text`, found by keyed hash alone (decrypts and records
    /// nothing), revoked keys too.
    fn key_with_secret(&mut self, text: &str) -> Result<Option<KeyRecord>, ActionError>;
    /// Starts replacing key `id` with `replacement` (a Keydesk key generated in the old one's
    /// shape, or a key made at the provider and pasted): the old key retires, the new one is
    /// added and linked. Answers the new key's id and secret.
    fn begin_rotation(
        &mut self,
        id: &KeyId,
        replacement: crate::vault::Replacement,
    ) -> Result<(KeyId, SecretString), ActionError>;
    /// Links `new`, a key just made for the purpose (pasted, generated or created at the
    /// provider), as the replacement of `old`: `old` becomes retiring (or stays revoked,
    /// after a leak) with each of its integrations to be moved, as in a rotation.
    fn link_replacement(&mut self, old: &KeyId, new: &KeyId) -> Result<(), ActionError>;
    /// "Which key is this?": the keys a pasted `text` holds (each piece of it compared by
    /// keyed hash, revoked keys too); the look-up is recorded without the text.
    fn whois(&mut self, text: &str) -> Result<crate::vault::WhoisFound, ActionError>;
    /// Records that key `id` was pasted into a page that is not one of its integrations; the
    /// `detail` says which page and which browser (a `paste-warning` line).
    fn record_paste_warning(&mut self, id: &KeyId, detail: String) -> Result<(), ActionError>;
    /// Records a copy of key `id`: done, or refused by the clipboard (`Err` with why).
    fn record_copy(&mut self, id: &KeyId, taken: Result<(), String>) -> Result<(), ActionError>;
    /// How long a copied secret stays on the clipboard, in seconds (this vault's setting; a
    /// team vault's is this computer's).
    fn clipboard_clear_secs(&self) -> u32;
    /// Changes the auto-lock and clipboard times (recorded: an audit line `settings`). A local
    /// vault keeps them in its header (with the weekly check); a team vault in this
    /// computer's `team.ron`.
    fn update_settings(&mut self, settings: crate::vault::model::Settings) -> Result<(), ActionError>;
    /// A live key's record and secret, for a call the user asked for.
    fn secret_for_call(&self, id: &KeyId) -> Result<(KeyRecord, SecretString), ActionError>;
    /// The base URL and region to call for a key: its account's, else the key's own region.
    fn call_target(&self, record: &KeyRecord) -> (Option<String>, Option<String>);
    /// The account with id `id`.
    fn account(&self, id: &str) -> Option<Account>;
    /// The account `query` names (its id, or its name ignoring case).
    fn find_account(&self, query: &str) -> Result<Account, ActionError>;
    /// An account's management key.
    fn management_key(&self, account_id: &str) -> Result<SecretString, ActionError>;
    /// Adds a key: pasted by the user, or just made by its provider over its API. It is
    /// recognised (as the account's provider when it names one) and refused as a duplicate or
    /// as an account's management key; answers its id and what was recognised.
    fn add_key(
        &mut self,
        request: AddRequest,
        secret: &SecretString,
    ) -> Result<(KeyId, Detection), ActionError>;
    /// Makes a Keydesk-format key and keeps it; answers its id and the secret, to be shown
    /// once.
    fn generate_key(&mut self, request: GenerateRequest) -> Result<(KeyId, SecretString), ActionError>;
    /// Where a new key goes, for the sentence that says so: `None` for this computer's vault,
    /// else the shared place every member reads ("the team vault").
    fn shared_place(&self) -> Option<&'static str>;
    /// The provider accounts.
    fn account_list(&self) -> Vec<Account>;
    /// Adds a provider account, with its management key when given.
    fn add_account(
        &mut self,
        request: AccountRequest,
        key: Option<&SecretString>,
    ) -> Result<Account, ActionError>;
    /// Removes the account `query` names (refused while a live key uses it); answers it.
    fn remove_account(&mut self, query: &str) -> Result<Account, ActionError>;
    /// Opens an incident about key `key`; answers its id.
    fn open_incident(&mut self, key: &KeyId, report: &IncidentReport) -> Result<String, ActionError>;
    /// The incidents, open and closed.
    fn incidents(&self) -> Result<Vec<Incident>, ActionError>;
    /// Closes incident `id` with a summary.
    fn close_incident(&mut self, id: &str, summary: &str) -> Result<(), ActionError>;
    /// Changes key `id` as `change` says and records `event`, as one change: a refusal from
    /// `change` writes nothing. With `at`, only if the key is still at that version (another
    /// member's change meanwhile is refused, naming them); without, `change` is applied to the
    /// key as it is when written (again, after a change made meanwhile).
    fn change_key(
        &mut self,
        id: &KeyId,
        at: Option<u64>,
        event: KeyEvent,
        change: &mut dyn FnMut(&mut KeyRecord) -> Result<(), VaultError>,
    ) -> Result<(), ActionError>;
    /// [`change_key`](Store::change_key) for what Keydesk learnt about a key (a provider's
    /// answer): where this user may not change keys (a reader's token on a team vault), only
    /// the event is recorded.
    fn note_on_key(
        &mut self,
        id: &KeyId,
        event: KeyEvent,
        change: &mut dyn FnMut(&mut KeyRecord) -> Result<(), VaultError>,
    ) -> Result<(), ActionError> {
        self.change_key(id, None, event, change)
    }
    /// Records `event` about key `id`, which it does not change (an attempt that failed).
    fn record_event(&mut self, id: &KeyId, event: KeyEvent) -> Result<(), ActionError>;
    /// Marks a key revoked (`how`: how it went at the provider) and lets go of its secret;
    /// answers a warning to show.
    fn revoke_noting(&mut self, id: &KeyId, reason: &str, how: &str) -> Result<Option<String>, ActionError>;
    /// Keeps what account `account_id`'s management key may do, as its test just listed
    /// (a `verify` line without a key); nothing is written when it is what was kept.
    fn note_management_scopes(&mut self, account_id: &str, scopes: Vec<String>) -> Result<(), ActionError>;
    /// Records the vault's health as it is now (its keys and incidents as stored now): a
    /// `health` line in the audit log or the team's trail, with the score and the findings by
    /// severity; answers the report.
    fn record_health(&mut self) -> Result<HealthReport, ActionError>;

    /// What a last-use question needs: the key, its id at the provider where known, and a
    /// key to ask with — its account's management key when there is one (it may ask about
    /// any key, a revoked one too), else the key itself (live keys only).
    fn usage_target(&self, id: &KeyId) -> Result<UsageTarget, ActionError> {
        let record = self.key_record(id)?;
        let account = record.account.as_deref().and_then(|a| self.account(a));
        if let Some(account) = account.filter(|a| a.has_management_key) {
            let credential = self.management_key(&account.id)?;
            let asked_with = format!("the management key of \"{}\"", account.name);
            // A live AWS key added before its id was kept names itself in its secret (read
            // only then: no other provider's key names itself).
            let subject = record.provider_key_id.clone().or_else(|| {
                let names_itself = record.provider == Provider::AmazonSes && record.is_live();
                let (_, own) = names_itself.then(|| self.secret_for_call(id).ok()).flatten()?;
                aws_access_key_id(record.provider, &own)
            });
            return Ok(UsageTarget { record, subject, credential, asked_with });
        }
        if !record.is_live() {
            return Err(
                VaultError::NoKeyToAsk { label: record.label, provider: record.provider.name() }.into()
            );
        }
        let (record, credential) = self.secret_for_call(id)?;
        let subject =
            record.provider_key_id.clone().or_else(|| aws_access_key_id(record.provider, &credential));
        Ok(UsageTarget { record, subject, credential, asked_with: UsageTarget::ITSELF.into() })
    }
}

impl Store for Vault {
    fn now(&self) -> DateTime<Utc> {
        Vault::now(self)
    }

    fn read_key(&self, id: &KeyId) -> Result<(KeyRecord, u64), ActionError> {
        Ok((self.key(id)?.clone(), 0))
    }

    fn reveal(&mut self, id: &KeyId) -> Result<SecretString, ActionError> {
        Ok(Vault::reveal(self, id)?)
    }

    fn secret_to_copy(&mut self, id: &KeyId) -> Result<SecretString, ActionError> {
        Ok(Vault::secret_to_copy(self, id)?)
    }

    fn record_copy(&mut self, id: &KeyId, taken: Result<(), String>) -> Result<(), ActionError> {
        Ok(Vault::record_copy(self, id, taken)?)
    }

    fn fill(&mut self, id: &KeyId, detail: String) -> Result<SecretString, ActionError> {
        Ok(Vault::fill(self, id, detail)?)
    }

    fn allow_browser(&mut self, browser: &str, allowed: bool) -> Result<(), ActionError> {
        Ok(Vault::allow_browser(self, browser, allowed)?)
    }

    fn leak_guard(&self) -> bool {
        Vault::leak_guard(self)
    }

    fn set_leak_guard(&mut self, on: bool) -> Result<(), ActionError> {
        Ok(Vault::set_leak_guard(self, on)?)
    }

    fn key_with_secret(&mut self, text: &str) -> Result<Option<KeyRecord>, ActionError> {
        Ok(Vault::key_with_secret(self, text).cloned())
    }

    fn whois(&mut self, text: &str) -> Result<crate::vault::WhoisFound, ActionError> {
        Ok(Vault::whois(self, text)?)
    }

    fn link_replacement(&mut self, old: &KeyId, new: &KeyId) -> Result<(), ActionError> {
        Ok(Vault::link_replacement(self, old, new)?)
    }

    fn begin_rotation(
        &mut self,
        id: &KeyId,
        replacement: crate::vault::Replacement,
    ) -> Result<(KeyId, SecretString), ActionError> {
        Ok(Vault::rotate(self, id, replacement)?)
    }

    fn record_paste_warning(&mut self, id: &KeyId, detail: String) -> Result<(), ActionError> {
        Ok(Vault::record_paste_warning(self, id, detail)?)
    }

    fn clipboard_clear_secs(&self) -> u32 {
        self.file().header.settings.clipboard_clear_secs
    }

    fn update_settings(&mut self, settings: crate::vault::model::Settings) -> Result<(), ActionError> {
        Ok(Vault::update_settings(self, settings)?)
    }

    fn secret_for_call(&self, id: &KeyId) -> Result<(KeyRecord, SecretString), ActionError> {
        Ok(Vault::secret_for_call(self, id)?)
    }

    fn call_target(&self, record: &KeyRecord) -> (Option<String>, Option<String>) {
        Vault::call_target(self, record)
    }

    fn account(&self, id: &str) -> Option<Account> {
        self.find_account(id).ok().cloned()
    }

    fn find_account(&self, query: &str) -> Result<Account, ActionError> {
        Ok(Vault::find_account(self, query)?.clone())
    }

    fn management_key(&self, account_id: &str) -> Result<SecretString, ActionError> {
        Ok(Vault::management_key(self, account_id)?)
    }

    fn add_key(
        &mut self,
        request: AddRequest,
        secret: &SecretString,
    ) -> Result<(KeyId, Detection), ActionError> {
        Ok(self.add(request, secret)?)
    }

    fn generate_key(&mut self, request: GenerateRequest) -> Result<(KeyId, SecretString), ActionError> {
        Ok(self.generate(request)?)
    }

    fn shared_place(&self) -> Option<&'static str> {
        None
    }

    fn account_list(&self) -> Vec<Account> {
        self.accounts().to_vec()
    }

    fn add_account(
        &mut self,
        request: AccountRequest,
        key: Option<&SecretString>,
    ) -> Result<Account, ActionError> {
        let id = Vault::add_account(self, request, key)?;
        Ok(Vault::find_account(self, &id)?.clone())
    }

    fn remove_account(&mut self, query: &str) -> Result<Account, ActionError> {
        let account = Vault::find_account(self, query)?.clone();
        Vault::remove_account(self, query)?;
        Ok(account)
    }

    fn open_incident(&mut self, key: &KeyId, report: &IncidentReport) -> Result<String, ActionError> {
        Ok(Vault::open_incident(self, key, report)?)
    }

    fn incidents(&self) -> Result<Vec<Incident>, ActionError> {
        Ok(self.file().incidents.clone())
    }

    fn close_incident(&mut self, id: &str, summary: &str) -> Result<(), ActionError> {
        Ok(Vault::close_incident(self, id, summary)?)
    }

    fn change_key(
        &mut self,
        id: &KeyId,
        _at: Option<u64>,
        event: KeyEvent,
        change: &mut dyn FnMut(&mut KeyRecord) -> Result<(), VaultError>,
    ) -> Result<(), ActionError> {
        Ok(Vault::change_key(self, id, event, change)?)
    }

    fn record_event(&mut self, id: &KeyId, event: KeyEvent) -> Result<(), ActionError> {
        Ok(Vault::change_key(self, id, event, &mut |_unchanged| Ok(()))?)
    }

    fn revoke_noting(&mut self, id: &KeyId, reason: &str, how: &str) -> Result<Option<String>, ActionError> {
        Ok(Vault::revoke_noting(self, id, reason, how)?)
    }

    fn record_health(&mut self) -> Result<HealthReport, ActionError> {
        Ok(Vault::record_health(self)?)
    }

    fn note_management_scopes(&mut self, account_id: &str, scopes: Vec<String>) -> Result<(), ActionError> {
        Ok(Vault::note_management_scopes(self, account_id, scopes)?)
    }
}

/// A team vault unlocked, with its provider accounts as read when the action began. Every
/// key is read from the server as it is now (not from this computer's copy), and every
/// record goes to the server with its entry in the team's audit trail.
pub struct TeamStore<'a> {
    vault: &'a TeamVault,
    keys: &'a TeamKeys,
    accounts: Vec<TeamAccount>,
    /// The team's keys as read before, for a new key's checks (read from the server if not
    /// given).
    existing: Option<Vec<TeamKey>>,
    /// The vault's folder on this computer (its `team.ron`), for the settings kept there.
    folder: Option<std::path::PathBuf>,
    now: DateTime<Utc>,
}

impl<'a> TeamStore<'a> {
    /// Reads the team's accounts, each entry's seal checked: an API address changed on the
    /// server by someone without the team's key would receive the secrets sent there.
    pub fn new(vault: &'a TeamVault, keys: &'a TeamKeys, now: DateTime<Utc>) -> Result<Self, TeamError> {
        let accounts = vault.accounts()?;
        for account in &accounts {
            vault.check_account_seal(keys, account)?;
        }
        Ok(TeamStore {
            vault,
            keys,
            accounts,
            existing: None,
            folder: None,
            now: crate::vault::whole_seconds(now),
        })
    }

    /// Gives the team's keys as just read (this computer's copy brought up to date), so a key
    /// made at a provider is checked against them without reading every key again.
    #[must_use]
    pub fn adding(mut self, existing: Vec<TeamKey>) -> Self {
        self.existing = Some(existing);
        self
    }

    /// Names the vault's folder on this computer, where `team.ron` keeps this computer's
    /// settings of the team vault (the browsers allowed).
    #[must_use]
    pub fn in_folder(mut self, dir: &std::path::Path) -> Self {
        self.folder = Some(dir.to_owned());
        self
    }

    /// The team's keys as given, else as the server has them now (taken: put them back).
    fn existing(&mut self) -> Result<Vec<TeamKey>, TeamError> {
        match self.existing.take() {
            Some(keys) => Ok(keys),
            None => self.vault.keys(),
        }
    }

    /// This computer's `team.ron` of the vault, and its folder (where the browser settings are
    /// kept).
    fn settings(&self) -> Result<(std::path::PathBuf, crate::team::TeamConfig), ActionError> {
        let Some(dir) = self.folder.as_deref() else {
            return Err(crate::actions::team::FolderError::NoFolder.into());
        };
        let config = crate::actions::team::read_config(dir).map_err(ActionError::Settings)?;
        Ok((dir.to_owned(), config))
    }

    /// A key as the server has it now, its seal checked.
    fn read(&self, id: &KeyId) -> Result<TeamKey, ActionError> {
        Ok(self.vault.read_key_checked(self.keys, id)?)
    }
}

impl Store for TeamStore<'_> {
    fn now(&self) -> DateTime<Utc> {
        self.now
    }

    fn read_key(&self, id: &KeyId) -> Result<(KeyRecord, u64), ActionError> {
        let key = self.read(id)?;
        Ok((key.record, key.version))
    }

    fn reveal(&mut self, id: &KeyId) -> Result<SecretString, ActionError> {
        let key = self.read(id)?;
        Ok(self.vault.reveal(self.keys, &key, self.now)?)
    }

    fn secret_to_copy(&mut self, id: &KeyId) -> Result<SecretString, ActionError> {
        let key = self.read(id)?;
        Ok(self.vault.secret_to_copy(self.keys, &key)?)
    }

    fn fill(&mut self, id: &KeyId, detail: String) -> Result<SecretString, ActionError> {
        let key = self.read(id)?;
        let secret = self.vault.secret_to_copy(self.keys, &key)?;
        self.vault.record(self.keys, Action::Fill, Some((id, key.version)), &detail, self.now)?;
        Ok(secret)
    }

    fn allow_browser(&mut self, browser: &str, allowed: bool) -> Result<(), ActionError> {
        let (dir, mut config) = self.settings()?;
        let browsers = &mut config.settings.browsers;
        if allowed == browsers.iter().any(|kept| kept == browser) {
            return Ok(());
        }
        let detail = crate::vault::browser_detail(browser, allowed);
        self.vault.record(self.keys, Action::Browser, None, &detail, self.now)?;
        if allowed {
            browsers.push(browser.to_owned());
        } else {
            browsers.retain(|kept| kept != browser);
        }
        crate::actions::team::write_config(&dir, &config).map_err(ActionError::Settings)
    }

    fn leak_guard(&self) -> bool {
        self.settings().is_ok_and(|(_, config)| config.settings.leak_guard)
    }

    fn set_leak_guard(&mut self, on: bool) -> Result<(), ActionError> {
        let (dir, mut config) = self.settings()?;
        if on == config.settings.leak_guard {
            return Ok(());
        }
        let detail = crate::browser::guard::switch_detail(on);
        self.vault.record(self.keys, Action::Browser, None, &detail, self.now)?;
        config.settings.leak_guard = on;
        crate::actions::team::write_config(&dir, &config).map_err(ActionError::Settings)
    }

    fn begin_rotation(
        &mut self,
        id: &KeyId,
        replacement: crate::vault::Replacement,
    ) -> Result<(KeyId, SecretString), ActionError> {
        let old = self.read(id)?;
        let secret = match replacement {
            crate::vault::Replacement::Pasted(secret) => secret,
            crate::vault::Replacement::Generate => {
                if old.record.provider != crate::providers::Provider::Keydesk {
                    return Err(VaultError::NeedsPastedReplacement {
                        label: old.record.label.clone(),
                        provider: old.record.provider.name().to_owned(),
                    }
                    .into());
                }
                let current = if old.record.is_live() {
                    Some(self.vault.secret_to_copy(self.keys, &old)?)
                } else {
                    None
                };
                let spec = crate::vault::replacement_spec(&old.record, current.as_ref());
                crate::vault::keygen::generate(&spec, &mut *self.vault.entropy()).map_err(VaultError::from)?
            }
        };
        let all = self.existing()?;
        let made = self.vault.rotate(self.keys, &old, &all, &secret, &mut *self.vault.entropy(), self.now);
        self.existing = Some(all);
        Ok((made?.id, secret))
    }

    fn link_replacement(&mut self, old: &KeyId, new: &KeyId) -> Result<(), ActionError> {
        let old = self.read(old)?;
        let all = self.existing()?;
        let linked = self.vault.link_replacement(self.keys, &old, &all, new, self.now);
        self.existing = Some(all);
        Ok(linked?)
    }

    fn whois(&mut self, text: &str) -> Result<crate::vault::WhoisFound, ActionError> {
        let existing = self.existing()?;
        let found = self.vault.whois(self.keys, &existing, text, self.now);
        self.existing = Some(existing);
        Ok(found?)
    }

    fn key_with_secret(&mut self, text: &str) -> Result<Option<KeyRecord>, ActionError> {
        let existing = self.existing()?;
        // Each generation's hash of the text made once, then compared with the keys' hashes.
        let mut made: std::collections::HashMap<u64, Option<String>> = std::collections::HashMap::new();
        let found = existing.iter().find(|key| {
            let hash = made
                .entry(key.generation)
                .or_insert_with(|| self.keys.lookup_hash_under(key.generation, text));
            hash.as_deref() == Some(key.record.lookup_hash.as_str())
        });
        let found = found.map(|key| key.record.clone());
        self.existing = Some(existing);
        Ok(found)
    }

    fn record_paste_warning(&mut self, id: &KeyId, detail: String) -> Result<(), ActionError> {
        let key = self.read(id)?;
        self.vault.record(self.keys, Action::PasteWarning, Some((id, key.version)), &detail, self.now)?;
        Ok(())
    }

    fn record_copy(&mut self, id: &KeyId, taken: Result<(), String>) -> Result<(), ActionError> {
        let key = self.read(id)?;
        Ok(self.vault.record_copy(self.keys, &key, taken, self.now)?)
    }

    fn clipboard_clear_secs(&self) -> u32 {
        self.vault.config().settings.clipboard_clear_secs
    }

    fn update_settings(&mut self, settings: crate::vault::model::Settings) -> Result<(), ActionError> {
        crate::vault::check_settings(&settings)?;
        let (dir, mut config) = self.settings()?;
        let detail = crate::vault::settings_detail(&settings);
        self.vault.record(self.keys, Action::Settings, None, &detail, self.now)?;
        config.settings.auto_lock_minutes = settings.auto_lock_minutes;
        config.settings.clipboard_clear_secs = settings.clipboard_clear_secs;
        crate::actions::team::write_config(&dir, &config).map_err(ActionError::Settings)
    }

    fn secret_for_call(&self, id: &KeyId) -> Result<(KeyRecord, SecretString), ActionError> {
        let key = self.read(id)?;
        if !key.record.is_live() {
            return Err(VaultError::Revoked { label: key.record.label, action: "verify" }.into());
        }
        let secret = self.vault.secret_to_copy(self.keys, &key)?;
        Ok((key.record, secret))
    }

    fn call_target(&self, record: &KeyRecord) -> (Option<String>, Option<String>) {
        let account = record.account.as_deref().and_then(|id| self.account(id));
        let base_url = account.as_ref().and_then(|a| a.base_url.clone());
        let region = account.and_then(|a| a.region).or_else(|| record.region.clone());
        (base_url, region)
    }

    fn account(&self, id: &str) -> Option<Account> {
        self.accounts.iter().find(|a| a.account.id == id).map(|a| a.account.clone())
    }

    fn find_account(&self, query: &str) -> Result<Account, ActionError> {
        Ok(find_account(&self.accounts, query)?.account.clone())
    }

    fn management_key(&self, account_id: &str) -> Result<SecretString, ActionError> {
        let account = find_account(&self.accounts, account_id)?;
        Ok(self.vault.management_key(self.keys, account)?)
    }

    fn add_key(
        &mut self,
        request: AddRequest,
        secret: &SecretString,
    ) -> Result<(KeyId, Detection), ActionError> {
        let existing = self.existing()?;
        let kept =
            self.vault.add_key(self.keys, &existing, request, secret, &mut *self.vault.entropy(), self.now);
        self.existing = Some(existing);
        let (record, detection) = kept?;
        Ok((record.id, detection))
    }

    fn generate_key(&mut self, request: GenerateRequest) -> Result<(KeyId, SecretString), ActionError> {
        let existing = self.existing()?;
        let made = self.vault.generate(self.keys, &existing, request, &mut *self.vault.entropy(), self.now);
        self.existing = Some(existing);
        let (record, secret) = made?;
        Ok((record.id, secret))
    }

    fn shared_place(&self) -> Option<&'static str> {
        Some("the team vault")
    }

    fn account_list(&self) -> Vec<Account> {
        self.accounts.iter().map(|found| found.account.clone()).collect()
    }

    fn add_account(
        &mut self,
        request: AccountRequest,
        key: Option<&SecretString>,
    ) -> Result<Account, ActionError> {
        let account =
            self.vault.add_account(self.keys, request, key, &mut *self.vault.entropy(), self.now)?;
        self.accounts = self.vault.accounts()?;
        Ok(account)
    }

    fn remove_account(&mut self, query: &str) -> Result<Account, ActionError> {
        let existing = self.existing()?;
        let removed = self.vault.remove_account(self.keys, query, &existing, self.now);
        self.existing = Some(existing);
        let account = removed?;
        self.accounts.retain(|found| found.account.id != account.id);
        Ok(account)
    }

    fn open_incident(&mut self, key: &KeyId, report: &IncidentReport) -> Result<String, ActionError> {
        let key = self.read(key)?;
        Ok(self.vault.open_incident(self.keys, &key, report, &mut *self.vault.entropy(), self.now)?)
    }

    fn incidents(&self) -> Result<Vec<Incident>, ActionError> {
        Ok(self.vault.incidents(self.keys)?.into_iter().map(|found| found.incident).collect())
    }

    fn close_incident(&mut self, id: &str, summary: &str) -> Result<(), ActionError> {
        Ok(self.vault.close_incident(self.keys, id, summary, self.now)?)
    }

    fn change_key(
        &mut self,
        id: &KeyId,
        at: Option<u64>,
        event: KeyEvent,
        change: &mut dyn FnMut(&mut KeyRecord) -> Result<(), VaultError>,
    ) -> Result<(), ActionError> {
        let (action, detail) = trail_entry(&event);
        self.vault.change_key(
            self.keys,
            id,
            at,
            (action, &detail),
            |record| Ok(change(record)?),
            self.now,
        )?;
        Ok(())
    }

    fn note_on_key(
        &mut self,
        id: &KeyId,
        event: KeyEvent,
        change: &mut dyn FnMut(&mut KeyRecord) -> Result<(), VaultError>,
    ) -> Result<(), ActionError> {
        let (action, detail) = trail_entry(&event);
        let noted = self.vault.change_key(
            self.keys,
            id,
            None,
            (action, &detail),
            |record| Ok(change(record)?),
            self.now,
        );
        match noted {
            Err(TeamError::Server(KvError::Denied { .. })) => {
                let key = self.read(id)?;
                self.vault.record(self.keys, action, Some((id, key.version)), &detail, self.now)?;
                Ok(())
            }
            other => Ok(other.map(|_version| ())?),
        }
    }

    fn record_event(&mut self, id: &KeyId, event: KeyEvent) -> Result<(), ActionError> {
        let key = self.read(id)?;
        let (action, detail) = trail_entry(&event);
        self.vault.record(self.keys, action, Some((id, key.version)), &detail, self.now)?;
        Ok(())
    }

    fn revoke_noting(&mut self, id: &KeyId, reason: &str, how: &str) -> Result<Option<String>, ActionError> {
        let key = self.read(id)?;
        Ok(self.vault.revoke(self.keys, &key, reason, how, self.now)?)
    }

    fn record_health(&mut self) -> Result<HealthReport, ActionError> {
        let keys: Vec<KeyRecord> = self.vault.keys()?.into_iter().map(|key| key.record).collect();
        let accounts = self.account_list();
        let report = findings_of((&keys, &self.vault.incidents_to_show()?, &accounts), self.now);
        self.vault.record(self.keys, Action::Health, None, &report.audit_detail(), self.now)?;
        Ok(report)
    }

    fn note_management_scopes(&mut self, account_id: &str, scopes: Vec<String>) -> Result<(), ActionError> {
        let id = find_account(&self.accounts, account_id)?.account.id.clone();
        match self.vault.note_management_scopes(self.keys, &id, &scopes, self.now) {
            // A reader's token may test, not change the account: nothing is kept.
            Err(TeamError::Server(KvError::Denied { .. })) => return Ok(()),
            other => other?,
        }
        self.accounts = self.vault.accounts()?;
        Ok(())
    }
}

/// An event as the team's trail keeps it: the action (failed or not) and one detail, which
/// ends with why it failed on a line of its own.
fn trail_entry(event: &KeyEvent) -> (TrailAction, String) {
    match &event.outcome {
        Outcome::Ok => (event.action.into(), event.detail.clone()),
        Outcome::Failed(why) => {
            (TrailAction::failed(event.action), crate::team::audit::failed_detail(&event.detail, why))
        }
    }
}
