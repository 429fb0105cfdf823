//! The domain core: the unlocked vault and every operation on it.
//!
//! [`Vault`] is given its collaborators: a [`SecretStore`] for sealed secret values, a
//! [`VaultStorage`] for its text files, a [`Clock`] and an [`Entropy`] source. It knows nothing
//! of egui, the clipboard, the network or the OS keychain's API, and does no IO of its own.
//! Secrets cross its boundary only as `SecretString`.
//!
//! (Longer than most files: the `Vault` type, its keys, unlocking and the one commit path
//! every change goes through; the operations live in the sibling files.)

mod accounts;
mod allowed_browsers;
pub mod audit;
pub mod backup;
mod check;
mod commit;
pub mod crypto;
pub mod detect;
mod diff;
mod error;
pub mod format;
pub mod health;
mod import;
pub mod incidents;
mod integrity;
pub mod keygen;
mod keys;
pub mod layout;
mod lifecycle;
pub mod meta;
pub mod model;
mod ops;
pub mod place;
mod rekey;
pub mod stored;
pub mod whois;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use crate::secrets::SecretStore;
use crate::storage::VaultStorage;
use crypto::{CryptoError, KdfParams, SymmetricKey};
use keys::Keys;
use model::{AuditHead, FORMAT, Header, SecretBackend, Settings, VaultFile};

pub use accounts::{AccountRequest, UsageTarget, management_scopes_detail, new_account, usage_detail};
pub use allowed_browsers::browser_detail;
pub use check::{CheckReport, WhoisFound};
pub(crate) use commit::AddedLine;
pub use commit::KeyEvent;
pub use error::VaultError;
pub use import::{
    ImportReport, ImportRow, ImportStop, PreviewRow, Verdict, count_keys, imported_meta, preview_rows,
    recognise_imported,
};
pub use lifecycle::{
    Moved, Replacement, abandon_rotation_of, check_complete, check_rotatable, link_new_to_old, mark_step,
    replacement_meta, replacement_spec, rotated_reason, rotation_by, rotation_in, rotation_started,
    start_rotation,
};
pub use ops::{
    AddRequest, GenerateRequest, KeyEdit, aws_access_key_id, check_new_password, edited_record, new_key_id,
    new_key_record, recognise_kept,
};

/// The current time, given to the vault so tests can set it.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

/// `at` without its fraction of a second: the times kept in `vault.ron` are whole seconds
/// (shorter to write and read; the audit log keeps the exact time of each event).
pub fn whole_seconds(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(at.timestamp(), 0).unwrap_or(at)
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods, reason = "the clock: the one place the system time is read")]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A source of random bytes; the app gives the OS CSPRNG.
pub trait Entropy: Send {
    fn fill(&mut self, buf: &mut [u8]);
}

impl<R: rand::CryptoRng + Send> Entropy for R {
    fn fill(&mut self, buf: &mut [u8]) {
        self.fill_bytes(buf);
    }
}

/// Where something that outlives one call (a team vault's connection) takes its randomness
/// from: each call answers a fresh [`Entropy`], chosen by the front end that made it.
pub type EntropySource = std::sync::Arc<dyn Fn() -> Box<dyn Entropy> + Send + Sync>;

/// The operating system's random number generator. Called by the front ends alone (clippy's
/// `disallowed-methods`): the library is given an [`Entropy`] or an [`EntropySource`].
#[allow(
    clippy::disallowed_types,
    reason = "the entropy source: the one place the OS's randomness is reached"
)]
pub fn os_rng() -> impl Entropy {
    let source: rand::rngs::SysRng = rand::rngs::SysRng;
    rand::rand_core::UnwrapErr(source)
}

#[cfg(test)]
pub(crate) fn test_rng(seed: u64) -> rand::rngs::StdRng {
    rand::SeedableRng::seed_from_u64(seed)
}

/// Everything the vault is given from outside.
pub struct Env {
    pub store: Box<dyn SecretStore>,
    pub storage: Box<dyn VaultStorage>,
    pub clock: Box<dyn Clock>,
    pub rng: Box<dyn Entropy>,
}

/// Longest label, note and reason accepted.
pub const MAX_LABEL: usize = 200;
pub const MAX_NOTES: usize = 10_000;
/// Shortest master password accepted.
pub const MIN_PASSWORD: usize = 8;

/// How a new vault is set up.
#[derive(Debug, Clone, Copy)]
pub struct CreateOptions {
    pub backend: SecretBackend,
    pub kdf: KdfParams,
}

/// An unlocked vault. Dropping it locks it: the data key is zeroized.
pub struct Vault {
    file: VaultFile,
    keys: Keys,
    env: Env,
    /// Hash and count of the audit log's real last line (may run ahead of `file.audit`).
    audit_tail: AuditHead,
    /// What Keydesk found changed behind its back at unlock (the seal of `vault.ron`, the
    /// audit chain against its sealed head). While set, the vault is read-only and calls no
    /// provider, until the user accepts the changes (recorded) or restores the files.
    changed_outside: Option<String>,
    /// What differs from `vault.ron.bak` when `vault.ron` was changed outside Keydesk.
    outside_differences: Vec<String>,
    /// When the generation mark was last written (it is written at the first save of a
    /// session and then at most once a minute: a keychain write costs tens of ms).
    mark_written_at: Option<DateTime<Utc>>,
    /// Why the last write of the generation mark failed, while it has not been written since:
    /// the front ends say it (the change itself was made).
    mark_problem: Option<String>,
    /// Whether the audit log may end in a line cut short: seen at unlock, or after an append
    /// that failed. Only then does the next change look at the log's end.
    audit_may_be_torn: bool,
    /// The other folder on this machine whose vault this folder is a copy of (its keychain
    /// entries and mark are that folder's): while set, nothing is written ([`place::copy_of`]).
    copy_of: Option<String>,
}

/// How stale the generation mark may grow within a session. A mark that lags behind only
/// makes a rollback to a copy taken within that time go unseen.
const MARK_EVERY_SECS: i64 = 60;

fn data_key_ad(vault_id: &str) -> Vec<u8> {
    format!("keydesk-data-key:{vault_id}").into_bytes()
}

/// Whether `file` is older than (or forks from) the last save recorded in `mark`
/// ("GENERATION SEAL UNIX_TIME LOG_LINES LAST_LINK FOLDER"), or the log (`log_entries` lines, when its chain is
/// intact) is shorter than it was then: what to say, or `None` when all is as recorded or newer.
fn rolled_back(mark: &str, file: &VaultFile, log_tail: Option<&AuditHead>) -> Option<String> {
    let mut parts = mark.split_whitespace();
    let (Some(generation), Some(seal)) = (parts.next().and_then(|g| g.parse::<u64>().ok()), parts.next())
    else {
        return Some(UNREADABLE_MARK.to_owned());
    };
    let at = parts.next().and_then(|t| t.parse::<i64>().ok()).and_then(|t| DateTime::from_timestamp(t, 0));
    // How many lines the log had then, and the last one's link (a mark written before copies
    // and reveals only appended has no count; one written before format 5 no link).
    let logged: Option<u64> = parts.next().and_then(|n| n.parse().ok());
    let last_link = parts.next();
    let log_entries = log_tail.map(|tail| tail.entries);
    let when = at.map(|t| t.format(" of %Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default();
    let now = file.header.generation;
    if now < generation || (now == generation && file.integrity != seal) {
        Some(format!(
            "vault.ron is an older copy than the one Keydesk last wrote on this machine (save {now}, where save {generation}{when} was the last): it was rolled back"
        ))
    } else if let (Some(logged), Some(found)) = (logged, log_entries)
        && now == generation
        && found < logged
    {
        Some(format!(
            "audit.ron has {found} entries but Keydesk had written {logged} on this machine{when}: lines were removed from its end"
        ))
    } else if let (Some(logged), Some(tail), Some(link)) = (logged, log_tail, last_link)
        && now == generation
        && tail.entries == logged
        && tail.last_hash != link
    {
        Some(format!(
            "audit.ron line {logged} is not the line Keydesk wrote there on this machine{when}: the end of the log was replaced"
        ))
    } else {
        None
    }
}

/// What unlock says of a vault past its first save for which this machine keeps no mark.
const NO_MARK: &str = "Keydesk has no record on this machine of this vault's last save (the record is kept outside the folder from the first save on): the folder was moved or copied here, or the record was deleted, which would hide a rollback to an older copy";

/// What unlock says of a mark that is not one Keydesk wrote.
const UNREADABLE_MARK: &str = "Keydesk's record of this vault's last save on this machine is not one it wrote (it was edited), so a rollback to an older copy cannot be ruled out";

/// The largest `vault.ron` a save may write: what Keydesk reads back.
pub const MAX_VAULT_TEXT_BYTES: u64 = crate::storage::disk::MAX_VAULT_BYTES;

/// `text` if Keydesk can read it back; else why not, with `advice`: a file over the cap would
/// lock every key out, so it is refused before anything is written.
fn fits(text: String, advice: &str) -> Result<String, VaultError> {
    let bytes = text.len() as u64;
    if bytes <= MAX_VAULT_TEXT_BYTES {
        return Ok(text);
    }
    Err(VaultError::TooLarge {
        megabytes: bytes.div_ceil(1024 * 1024),
        max_megabytes: MAX_VAULT_TEXT_BYTES / (1024 * 1024),
        advice: advice.to_owned(),
    })
}

/// The data key, unwrapped with the key derived from `password` and the header's salt and
/// KDF cost.
fn unwrap_data_key(header: &Header, password: &SecretString) -> Result<SymmetricKey, VaultError> {
    unwrap_data_key_in(header, password, None)
}

/// [`unwrap_data_key`], in Argon2id memory made ready beforehand when there is some.
fn unwrap_data_key_in(
    header: &Header,
    password: &SecretString,
    memory: Option<&mut crypto::KdfMemory>,
) -> Result<SymmetricKey, VaultError> {
    let salt = decode_b64(&header.salt).map_err(|_bad_base64| CryptoError::WrongPassword)?;
    let wrapped = decode_b64(&header.wrapped_data_key).map_err(|_bad_base64| CryptoError::WrongPassword)?;
    let kek = crypto::derive_kek_in(password, &salt, header.kdf, memory)?;
    Ok(crypto::unwrap_key(&kek, &data_key_ad(&header.vault_id), &wrapped)?)
}

/// What differs between `vault.ron.bak` (when it carries Keydesk's seal) and `file`.
fn differences_from_previous(env: &Env, keys: &Keys, file: &VaultFile) -> Vec<String> {
    let Some(previous) = env.storage.read_previous() else { return Vec::new() };
    if !keys.seal_matches(&previous) {
        return vec![
            "vault.ron.bak was changed outside Keydesk too, so there is nothing sealed to compare with"
                .to_owned(),
        ];
    }
    match format::parse(&previous) {
        Ok(before) => diff::differences(&before, file),
        Err(_) => Vec::new(),
    }
}

/// `file` as text, sealed with `integrity` (its seal kept in `file` too).
fn seal_text(file: &mut VaultFile, integrity: &SymmetricKey) -> Result<String, VaultError> {
    file.format = FORMAT;
    file.integrity.clear();
    let mut text = format::render(file)?;
    file.integrity = crypto::keyed_hash_parts(integrity, &[text.as_bytes()]);
    format::insert_seal(&mut text, &file.integrity);
    Ok(text)
}

fn decode_b64(text: &str) -> Result<Vec<u8>, CryptoError> {
    B64.decode(text).map_err(|_bad_base64| CryptoError::Tampered)
}

fn random_hex(rng: &mut dyn Entropy, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rng.fill(&mut buf);
    crypto::hex(&buf)
}

impl Vault {
    /// Creates a new vault: checks the secret store works, then writes `vault.ron`.
    pub fn create(
        mut env: Env,
        password: &SecretString,
        options: CreateOptions,
    ) -> Result<Vault, VaultError> {
        if password.expose_secret().chars().count() < MIN_PASSWORD {
            return Err(VaultError::WeakPassword { min: MIN_PASSWORD });
        }
        options.kdf.validate()?;
        let vault_id = random_hex(env.rng.as_mut(), 8);
        // Fail before anything is written if the secret store does not work.
        let probe = format!("{vault_id}/probe");
        env.store.put(&probe, "probe")?;
        env.store.get(&probe)?;
        env.store.delete(&probe)?;

        let mut salt = [0u8; crypto::SALT_LEN];
        env.rng.fill(&mut salt);
        let kek = crypto::derive_kek(password, &salt, options.kdf)?;
        let data = SymmetricKey::random(env.rng.as_mut());
        let wrapped = crypto::wrap_key(&kek, &data_key_ad(&vault_id), &data, env.rng.as_mut())?;
        let audit_key = keys::new_audit_key(&data, &vault_id, 0, env.rng.as_mut())?;
        let now = whole_seconds(env.clock.now());
        let file = VaultFile {
            format: FORMAT,
            header: Header {
                vault_id: vault_id.clone(),
                created_at: now,
                kdf: options.kdf,
                salt: B64.encode(salt),
                wrapped_data_key: B64.encode(wrapped),
                secret_store: options.backend,
                settings: Settings::default(),
                generation: 0,
                audit_keys: vec![audit_key],
                lookup_key: None,
                previous_data_key: None,
                audit_chain_id: None,
                browsers: Vec::new(),
                leak_guard: false,
            },
            accounts: Vec::new(),
            keys: Vec::new(),
            incidents: Vec::new(),
            audit: AuditHead::default(),
            integrity: String::new(),
        };
        let keys = Keys::open(data, &file.header);
        let audit_tail = AuditHead { entries: 0, last_hash: keys.chain.genesis().to_owned() };
        let mut vault = Vault {
            file,
            keys,
            env,
            audit_tail,
            changed_outside: None,
            outside_differences: Vec::new(),
            mark_written_at: None,
            mark_problem: None,
            audit_may_be_torn: false,
            copy_of: None,
        };
        let detail = format!("secret store: {}", options.backend.slug());
        vault.commit(audit::Action::CreateVault, None, audit::Outcome::Ok, detail)?;
        Ok(vault)
    }

    /// Parses `vault.ron` text (for reading its header before unlocking).
    pub fn parse(text: &str) -> Result<VaultFile, VaultError> {
        Ok(format::parse(text)?)
    }

    /// Unlocks a vault with the master password: `file` is `text` parsed (by [`Vault::parse`]);
    /// the text is checked against its seal. Writes nothing.
    pub fn unlock(
        env: Env,
        file: VaultFile,
        text: &str,
        password: &SecretString,
    ) -> Result<Vault, VaultError> {
        Vault::unlock_in(env, file, text, password, None)
    }

    /// [`Vault::unlock`], deriving the key in Argon2id memory made ready while the password
    /// was typed ([`crypto::KdfMemory`]; memory made for another cost is not used).
    pub fn unlock_in(
        env: Env,
        file: VaultFile,
        text: &str,
        password: &SecretString,
        memory: Option<&mut crypto::KdfMemory>,
    ) -> Result<Vault, VaultError> {
        let data = unwrap_data_key_in(&file.header, password, memory)?;
        Vault::unlock_with(env, file, text, data)
    }

    /// [`Vault::unlock`] of `vault.ron`'s text not parsed yet, with the password at hand and
    /// the text's `header` read alone from its start ([`layout::head`]): the text is parsed on
    /// a second thread while the key is derived. A text that does not parse is said first,
    /// whatever the password.
    pub fn unlock_text(
        env: Env,
        text: &str,
        header: &Header,
        password: &SecretString,
    ) -> Result<Vault, VaultError> {
        let (file, data) =
            crate::parallel::both(|| format::parse(text), || unwrap_data_key_in(header, password, None));
        let file = file?;
        // The whole read is what counts; its header is the one read alone, unless the two
        // readers disagreed (then the key is derived again, from the whole read's).
        let data =
            if file.header == *header { data? } else { unwrap_data_key_in(&file.header, password, None)? };
        Vault::unlock_with(env, file, text, data)
    }

    /// The unlock once the data key is unwrapped: the seal, the audit chain and this
    /// machine's record of the last save checked.
    fn unlock_with(
        env: Env,
        mut file: VaultFile,
        text: &str,
        data: SymmetricKey,
    ) -> Result<Vault, VaultError> {
        // One read of the log serves its check and its tail; an intact chain's report is the
        // tail, so the lines are hashed a second time only when the chain is not intact.
        let audit_text = env.storage.read_audit()?;
        let keys = Keys::open(data, &file.header);
        let chain = keys.chain.verify(&audit_text, &file.audit);
        // The log's real end: the chain's when it holds (a torn last line only if every whole
        // line before it holds); otherwise not linked now — the vault is read-only, and the
        // end is found when the changes are kept ([`Vault::accept_outside_changes`]), so a
        // log padded with junk costs an unlock nothing.
        let audit_tail = match &chain {
            Ok(report) => Some(AuditHead { entries: report.entries, last_hash: report.last_hash.clone() }),
            Err(audit::ChainError::TornTail { .. }) => Some(keys.chain.tail(&audit_text)),
            Err(_) => None,
        };
        let mark = env.store.generation_mark(&file.header.vault_id);
        // A copy of a vault kept in another folder here: the mark, and the keychain's entries,
        // are that folder's; its store is only read from here.
        let copy_of = mark
            .as_ref()
            .ok()
            .and_then(Option::as_deref)
            .and_then(|mark| place::copy_of(env.storage.as_ref(), &file.header.vault_id, mark));
        let mut env = env;
        if let Some(location) = &copy_of {
            env.store = Box::new(crate::secrets::ReadOnlyStore::new(env.store, location));
        }
        let rollback = match mark {
            _ if copy_of.is_some() => None,
            Ok(Some(mark)) => rolled_back(&mark, &file, audit_tail.as_ref()),
            // A vault saved on this machine has a mark from its first save: none at all is
            // said (a folder moved from another machine, or a mark deleted to hide a rollback).
            Ok(None) if file.header.generation > 0 => Some(NO_MARK.to_owned()),
            Ok(None) => None,
            Err(error) => {
                Some(format!("Keydesk could not read its record of this vault's last save ({error})"))
            }
        };
        let sealed = keys.seal_matches(text);
        let outside_differences =
            if sealed { Vec::new() } else { differences_from_previous(&env, &keys, &file) };
        let changed_outside = if let Some(location) = &copy_of {
            Some(format!("this folder is a copy of the vault kept in {location} on this machine"))
        } else if !sealed {
            Some("vault.ron was changed outside Keydesk since its last save".to_owned())
        } else if let Some(rollback) = rollback {
            Some(rollback)
        } else {
            match &chain {
                // A line a crash cut short is Keydesk's own, repaired at the next write.
                Ok(_) | Err(audit::ChainError::TornTail { .. }) => None,
                Err(error) => Some(error.to_string().trim_end_matches('.').to_owned()),
            }
        };
        // Copies and reveals since the last save are lines of the log only: counted in here,
        // from an intact chain (whose lines only this vault's key could have linked).
        if let (Ok(_), Some(tail)) = (&chain, &audit_tail)
            && tail.entries > file.audit.entries
        {
            file.count_unsaved_uses(&audit_text);
            file.audit = tail.clone();
        }
        let audit_tail = audit_tail.unwrap_or_else(|| file.audit.clone());
        let audit_may_be_torn = !audit_text.is_empty() && !audit_text.ends_with('\n');
        Ok(Vault {
            file,
            keys,
            env,
            audit_tail,
            changed_outside,
            outside_differences,
            mark_written_at: None,
            mark_problem: None,
            audit_may_be_torn,
            copy_of,
        })
    }

    /// Why Keydesk could not keep its record of the last save outside the folder (the change
    /// itself was made), while that is so.
    pub fn mark_problem(&self) -> Option<&str> {
        self.mark_problem.as_deref()
    }

    /// The vault's metadata (never contains a secret).
    pub fn file(&self) -> &VaultFile {
        &self.file
    }

    /// The current time from the vault's clock.
    pub fn now(&self) -> DateTime<Utc> {
        whole_seconds(self.env.clock.now())
    }

    /// The audit log text.
    pub fn audit_text(&self) -> Result<String, VaultError> {
        Ok(self.env.storage.read_audit()?)
    }

    /// Checks the audit chain against the head recorded in the vault.
    pub fn verify_audit(&self) -> Result<audit::ChainReport, audit::ChainError> {
        let text = self.env.storage.read_audit().unwrap_or_default();
        self.verify_audit_text(&text)
    }

    /// Checks `text`, the audit log as read, against the head recorded in the vault (the
    /// links are keyed: only an unlocked vault can check them).
    pub fn verify_audit_text(&self, text: &str) -> Result<audit::ChainReport, audit::ChainError> {
        self.keys.chain.verify(text, &self.file.audit)
    }

    /// Checks `password` against the vault's header (the KDF runs once), as a window does
    /// before a sensitive change. Writes nothing.
    pub fn check_password(&self, password: &SecretString) -> Result<(), VaultError> {
        unwrap_data_key(&self.file.header, password).map(drop)
    }

    /// Changes the master password (and optionally the KDF cost): re-wraps the data key only.
    /// Once the change is saved it is in force: `Ok(Some(caveat))` when `vault.ron.bak` could
    /// not be written again and so still opens with the old password (the caveat says so).
    pub fn change_password(
        &mut self,
        new_password: &SecretString,
        kdf: Option<KdfParams>,
    ) -> Result<Option<String>, VaultError> {
        if new_password.expose_secret().chars().count() < MIN_PASSWORD {
            return Err(VaultError::WeakPassword { min: MIN_PASSWORD });
        }
        let kdf = kdf.unwrap_or(self.file.header.kdf);
        kdf.validate()?;
        let mut salt = [0u8; crypto::SALT_LEN];
        self.env.rng.fill(&mut salt);
        let kek = crypto::derive_kek(new_password, &salt, kdf)?;
        let ad = data_key_ad(&self.file.header.vault_id);
        let wrapped = crypto::wrap_key(&kek, &ad, &self.keys.data, self.env.rng.as_mut())?;
        let (salt, wrapped) = (B64.encode(salt), B64.encode(wrapped));
        let detail =
            format!("KDF {} KiB, {} iterations, {} lanes", kdf.memory_kib, kdf.iterations, kdf.lanes);
        self.apply(audit::Action::ChangePassword, None, detail, |file| {
            file.header.kdf = kdf;
            file.header.salt = salt;
            file.header.wrapped_data_key = wrapped;
            Ok(())
        })?;
        // Saved a second time, so `vault.ron.bak` holds the new wrapping too: the old password
        // must not open the previous version either.
        Ok(self.save_over_previous("the old master password"))
    }

    /// Saves `vault.ron` once more, unchanged, so `vault.ron.bak` is the same version and
    /// `what` (the change just saved replaced it) opens nothing there. The change itself is in
    /// force either way: a failure is a caveat to tell, not the change's failure.
    pub(super) fn save_over_previous(&mut self, what: &str) -> Option<String> {
        let saved = self.sealed_text().and_then(|text| Ok(self.env.storage.save(&text)?));
        saved.err().map(|error| {
            format!(
                "The change is saved and in force, but vault.ron.bak could not be written again ({}), so it still opens with {what}: make any change (or run `keydesk check --accept-changes`) to save again, or delete vault.ron.bak.",
                error.to_string().trim_end_matches('.')
            )
        })
    }

    /// Changes the vault's settings (auto-lock, clipboard clearing).
    pub fn update_settings(&mut self, settings: Settings) -> Result<(), VaultError> {
        check_settings(&settings)?;
        let detail = format!(
            "{}, weekly check {}",
            settings_detail(&settings),
            if settings.check_weekly { "on" } else { "off" }
        );
        self.apply(audit::Action::Settings, None, detail, |file| {
            file.header.settings = settings;
            Ok(())
        })
    }
}

/// The auto-lock times a vault takes, in minutes (either kind).
pub const AUTO_LOCK_MINUTES: std::ops::RangeInclusive<u32> = 1..=240;
/// The clipboard clearing times a vault takes, in seconds (either kind).
pub const CLIPBOARD_CLEAR_SECS: std::ops::RangeInclusive<u32> = 5..=600;

/// Refuses settings out of range, in one sentence (either kind of vault).
pub fn check_settings(settings: &Settings) -> Result<(), VaultError> {
    if !AUTO_LOCK_MINUTES.contains(&settings.auto_lock_minutes) {
        return Err(VaultError::OutOfRange { field: "auto-lock time", range: "1 to 240 minutes" });
    }
    if !CLIPBOARD_CLEAR_SECS.contains(&settings.clipboard_clear_secs) {
        return Err(VaultError::OutOfRange { field: "clipboard clearing time", range: "5 to 600 seconds" });
    }
    Ok(())
}

/// The audit line's words for the times chosen.
pub fn settings_detail(settings: &Settings) -> String {
    format!("auto-lock {} min, clipboard {} s", settings.auto_lock_minutes, settings.clipboard_clear_secs)
}
