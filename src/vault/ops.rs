//! Operations on keys: generate, add, edit, copy, reveal, rotate, revoke, whois, check.
//!
//! Order of writes, so nothing is lost: a new secret goes to the secret store before the
//! metadata that names it; on revoke the metadata is saved before the secret is deleted.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::audit::{self, Action};
use super::crypto::{self, CryptoError};
use super::detect::{self, Detection};
use super::keygen::{self, KeySpec};
use super::meta::{self, KeyMeta, check_text};
use super::model::{KeyId, KeyRecord, KeyStatus};
use super::{Entropy, MAX_NOTES, Vault, VaultError, random_hex};
use crate::providers::Provider;
use crate::secrets::SecretStoreError;

/// A new Keydesk-format key.
#[derive(Debug, Clone, Default)]
pub struct GenerateRequest {
    pub meta: KeyMeta,
    pub spec: KeySpec,
}

/// A provider's key pasted into the vault.
#[derive(Debug, Clone, Default)]
pub struct AddRequest {
    pub meta: KeyMeta,
    /// The provider the user named; `None` detects it.
    pub provider: Option<Provider>,
    pub account: Option<String>,
    pub provider_key_id: Option<String>,
    pub scopes: Vec<String>,
    /// The provider made this key just now over its API: an unexpected shape is kept, with a
    /// warning, instead of refused (the provider's answer is the key).
    pub made_by_provider: bool,
}

/// Changes to a key's metadata; `None` leaves a field as it is (a patch, where [`KeyMeta`]
/// is the whole).
#[derive(Debug, Clone, Default)]
pub struct KeyEdit {
    pub label: Option<String>,
    pub notes: Option<String>,
    pub integrations: Option<Vec<super::model::Integration>>,
    pub expires_at: Option<Option<DateTime<Utc>>>,
    pub rotate_after_days: Option<Option<u32>>,
    pub scopes: Option<Vec<String>>,
}

/// Recognises a key about to be kept: as the provider the user or its account named (`named`),
/// else detected, and refused when it is not the account's provider's. A key the provider has
/// just made over its API (`made_by_provider`) is kept even in an unexpected shape, with a
/// warning: the provider's answer is the key.
pub fn recognise_kept(
    secret: &SecretString,
    named: Option<Provider>,
    account: Option<&super::model::Account>,
    made_by_provider: bool,
) -> Result<Detection, VaultError> {
    let detection = match (Vault::recognise(secret.expose_secret(), named), named) {
        (Ok(detection), _) => detection,
        (Err(VaultError::Detect(_)), Some(provider)) if made_by_provider => Detection {
            provider,
            region: None,
            prefix: String::new(),
            warning: Some(format!(
                "{} made a key that does not look like its usual keys ({}); Keydesk keeps it as it was made.",
                provider.name(),
                provider.info().key_format
            )),
        },
        (Err(error), _) => return Err(error),
    };
    if let Some(account) = account
        && account.provider != detection.provider
    {
        return Err(VaultError::AccountMismatch {
            key: detection.provider.name(),
            account: account.name.clone(),
            provider: account.provider.name(),
        });
    }
    Ok(detection)
}

/// A random key id that `taken` does not know.
pub fn new_key_id(rng: &mut dyn Entropy, taken: impl Fn(&KeyId) -> bool) -> KeyId {
    loop {
        let id = KeyId::from_stored(&random_hex(rng, 6));
        if !taken(&id) {
            return id;
        }
    }
}

/// Refuses a master password shorter than [`super::MIN_PASSWORD`] characters.
pub fn check_new_password(password: &SecretString) -> Result<(), VaultError> {
    if password.expose_secret().chars().count() < super::MIN_PASSWORD {
        return Err(VaultError::WeakPassword { min: super::MIN_PASSWORD });
    }
    Ok(())
}

/// The record of a new key, described by `meta` (checked here against `now`), recognised as
/// `provider`'s with `detection_prefix`, its leak-lookup hash made by the caller's vault (a
/// local vault's, or a team's).
pub fn new_key_record(
    id: KeyId,
    meta: KeyMeta,
    (provider, detection_prefix): (Provider, &str),
    secret: &SecretString,
    lookup_hash: String,
    now: DateTime<Utc>,
) -> Result<KeyRecord, VaultError> {
    let KeyMeta { label, expires_at, rotate_after_days, integrations, notes } = meta.validated(now)?;
    Ok(KeyRecord {
        id,
        label,
        provider,
        account: None,
        // An AWS access key id is not secret, and it names the key to IAM after the secret
        // is gone (a revoked key's last use is asked with the account's key).
        provider_key_id: aws_access_key_id(provider, secret),
        region: None,
        scopes: Vec::new(),
        hint: hint(detection_prefix, secret.expose_secret()),
        lookup_hash,
        created_at: now,
        expires_at,
        rotate_after_days,
        status: KeyStatus::Active,
        integrations,
        notes,
        copy_count: 0,
        last_copied_at: None,
        reveal_count: 0,
        last_verified: None,
        replaces: None,
        replaced_by: None,
        provider_revoke_pending: None,
        rotation: None,
        tags: Vec::new(),
        usage: None,
    })
}

/// `record` with `edit` applied, each changed field checked (an expiry against `now`, only
/// when it changes), and the audit line's words for what changed.
pub fn edited_record(
    record: &KeyRecord,
    edit: KeyEdit,
    now: DateTime<Utc>,
) -> Result<(KeyRecord, String), VaultError> {
    let label = edit.label.as_deref().map(meta::clean_label).transpose()?;
    if let Some(notes) = &edit.notes {
        check_text("notes", notes, MAX_NOTES, false)?;
    }
    if let Some(integrations) = &edit.integrations {
        meta::check_integrations(integrations)?;
    }
    let expires = edit.expires_at.unwrap_or(None);
    if edit.expires_at.is_some() && expires != record.expires_at {
        meta::check_expiry(now, expires)?;
    }
    meta::check_rotation(edit.rotate_after_days.unwrap_or(None))?;
    let changed: Vec<&str> = [
        ("label", label.is_some()),
        ("notes", edit.notes.is_some()),
        ("integrations", edit.integrations.is_some()),
        ("expiry", edit.expires_at.is_some()),
        ("rotation", edit.rotate_after_days.is_some()),
        ("scopes", edit.scopes.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .collect();
    let mut record = record.clone();
    if let Some(label) = label {
        record.label = label;
    }
    if let Some(notes) = edit.notes {
        record.notes = notes;
    }
    if let Some(integrations) = edit.integrations {
        record.integrations = integrations;
    }
    if let Some(expires) = edit.expires_at {
        record.expires_at = expires;
    }
    if let Some(days) = edit.rotate_after_days {
        record.rotate_after_days = days;
    }
    if let Some(scopes) = edit.scopes {
        record.scopes = scopes;
    }
    Ok((record, format!("changed {}", changed.join(", "))))
}

/// Safe to show: the known prefix, an ellipsis and the last 4 characters (when the key is
/// long enough that 4 characters give little away).
fn hint(prefix: &str, secret: &str) -> String {
    // Counted and sliced in place: no copy of the whole secret is made.
    if secret.chars().count() >= 16 + prefix.chars().count()
        && let Some((start, _)) = secret.char_indices().rev().nth(3)
    {
        format!("{prefix}…{}", &secret[start..])
    } else {
        format!("{prefix}…")
    }
}

impl Vault {
    /// Keys in the vault, in the order they were added.
    pub fn keys(&self) -> &[KeyRecord] {
        &self.file.keys
    }

    /// The key with this id.
    pub fn key(&self, id: &KeyId) -> Result<&KeyRecord, VaultError> {
        Ok(&self.file.keys[self.index_of(id)?])
    }

    pub(super) fn index_of(&self, id: &KeyId) -> Result<usize, VaultError> {
        self.file
            .keys
            .iter()
            .position(|k| k.id == *id)
            .ok_or_else(|| VaultError::UnknownKey { query: id.to_string() })
    }

    pub(super) fn entry_name(&self, key_id: &str) -> String {
        format!("{}/{}", self.file.header.vault_id, key_id)
    }

    pub(super) fn secret_ad(&self, key_id: &str) -> Vec<u8> {
        secret_ad(&self.file.header.vault_id, key_id)
    }

    pub(super) fn new_key_id(&mut self) -> KeyId {
        let keys = &self.file.keys;
        new_key_id(self.env.rng.as_mut(), |id| keys.iter().any(|k| k.id == *id))
    }

    /// Seals `secret` and puts it in the secret store under the key's entry.
    pub(super) fn store_secret(&mut self, key_id: &str, secret: &SecretString) -> Result<(), VaultError> {
        self.store_plain(key_id, secret.expose_secret().as_bytes())
    }

    /// Seals `plain` under the current data key and puts it under the entry of `id`.
    pub(super) fn store_plain(&mut self, id: &str, plain: &[u8]) -> Result<(), VaultError> {
        let sealed = crypto::seal(&self.keys.data, &self.secret_ad(id), plain, self.env.rng.as_mut())?;
        let name = self.entry_name(id);
        self.env.store.put(&name, &B64.encode(sealed))?;
        Ok(())
    }

    /// Reads and opens a key's secret.
    pub(super) fn load_secret(&self, record: &KeyRecord) -> Result<SecretString, VaultError> {
        self.load_sealed(&record.id).map_err(|error| match error {
            VaultError::SecretMissing { .. } => VaultError::SecretMissing { label: record.label.clone() },
            other => other,
        })
    }

    /// The secret of `record` for a path that hands it out of the vault — reveal, copy,
    /// export, a provider call: with [`Vault::hand_out_sealed`], the one place that refuses
    /// while changes Keydesk did not make are pending (a checked read, such as `check`'s,
    /// uses [`Vault::load_secret`]).
    pub(super) fn hand_out(&self, record: &KeyRecord) -> Result<SecretString, VaultError> {
        self.refuse_if_changed()?;
        self.load_secret(record)
    }

    /// [`Vault::hand_out`] for a secret named by its id (an account's management key).
    pub(super) fn hand_out_sealed(&self, id: &str) -> Result<SecretString, VaultError> {
        self.refuse_if_changed()?;
        self.load_sealed(id)
    }

    /// Reads and opens the secret stored under an id (a key's or an account's).
    pub(super) fn load_sealed(&self, id: &str) -> Result<SecretString, VaultError> {
        let sealed = match self.env.store.get(&self.entry_name(id)) {
            Ok(value) => value,
            Err(SecretStoreError::Missing { .. }) => {
                return Err(VaultError::SecretMissing { label: id.to_owned() });
            }
            Err(error) => return Err(error.into()),
        };
        let (plain, _) = self.open_stored(id, &sealed)?;
        let text = std::str::from_utf8(&plain).map_err(|_not_utf8| CryptoError::Tampered)?;
        Ok(SecretString::from(text))
    }

    /// Opens what the store holds under the entry of `id`; `true` with it when it took the
    /// previous data key (a change of data key is under way and this secret has not moved yet).
    pub(super) fn open_stored(
        &self,
        id: &str,
        stored: &str,
    ) -> Result<(Zeroizing<Vec<u8>>, bool), VaultError> {
        let sealed = B64.decode(stored.as_bytes()).map_err(|_bad_base64| CryptoError::Tampered)?;
        let ad = self.secret_ad(id);
        match (crypto::open(&self.keys.data, &ad, &sealed), &self.keys.previous) {
            (Ok(plain), _) => Ok((plain, false)),
            (Err(_), Some(previous)) => Ok((crypto::open(previous, &ad, &sealed)?, true)),
            (Err(error), None) => Err(error.into()),
        }
    }

    pub(super) fn lookup_hash(&self, secret: &SecretString) -> String {
        crypto::lookup_hash(&self.keys.lookup, secret.expose_secret().as_bytes())
    }

    /// The key whose secret is `candidate`, if any (compares keyed hashes; decrypts nothing).
    pub(super) fn matching_key(&self, candidate: &str) -> Option<&KeyRecord> {
        self.file
            .keys
            .iter()
            .find(|k| crypto::lookup_hash_matches(&self.keys.lookup, candidate.as_bytes(), &k.lookup_hash))
    }

    /// A new record for `secret`, described by `meta` (checked here, the one place every new
    /// key of a local vault passes).
    pub(super) fn new_record(
        &mut self,
        id: KeyId,
        meta: KeyMeta,
        provider: Provider,
        detection_prefix: &str,
        secret: &SecretString,
    ) -> Result<KeyRecord, VaultError> {
        let lookup_hash = self.lookup_hash(secret);
        new_key_record(id, meta, (provider, detection_prefix), secret, lookup_hash, self.now())
    }

    /// Generates a Keydesk-format key and keeps it. The secret is returned to be shown once.
    pub fn generate(&mut self, request: GenerateRequest) -> Result<(KeyId, SecretString), VaultError> {
        let meta = request.meta.validated(self.now())?;
        let secret = keygen::generate(&request.spec, self.env.rng.as_mut())?;
        let id = self.new_key_id();
        let record = self.new_record(id, meta, Provider::Keydesk, &request.spec.prefix, &secret)?;
        let id = record.id.clone();
        self.store_secret(&id, &secret)?;
        let detail =
            format!("\"{}\", {} bits", record.label, keygen::entropy_bits(request.spec.length).floor());
        self.apply(Action::Generate, Some(&id), detail, |file| {
            file.keys.push(record);
            Ok(())
        })
        .inspect_err(|error| self.take_back_secret(&id, error))?;
        Ok((id, secret))
    }

    /// Best effort removal of a secret whose metadata could not be saved.
    /// After a failed save of a new key's metadata: its secret is taken back out, unless the
    /// save may have landed (then deleting it could leave a key on disk without its secret;
    /// `check` lists a leftover either way).
    pub(super) fn take_back_secret(&mut self, id: &str, error: &VaultError) {
        if !error.maybe_applied() {
            self.forget_secret(id);
        }
    }

    pub(super) fn forget_secret(&mut self, id: &str) {
        let name = self.entry_name(id);
        let _listed_by_check = self.env.store.delete(&name);
    }

    /// Recognises a pasted key (without keeping it).
    pub fn recognise(value: &str, provider: Option<Provider>) -> Result<Detection, VaultError> {
        Ok(match provider {
            Some(provider) => detect::detect_as(value, provider)?,
            None => detect::detect(value)?,
        })
    }

    /// Keeps a key made elsewhere. Returns its id and what it was recognised as.
    pub fn add(
        &mut self,
        request: AddRequest,
        secret: &SecretString,
    ) -> Result<(KeyId, Detection), VaultError> {
        let meta = request.meta.validated(self.now())?;
        // Spaces and line breaks around a pasted key are a copy's, never the key's.
        let trimmed = SecretString::from(secret.expose_secret().trim());
        let secret = &trimmed;
        let account = match request.account.as_deref() {
            Some(query) => Some(self.find_account(query)?.clone()),
            None => None,
        };
        let named = request.provider.or(account.as_ref().map(|a| a.provider));
        let detection = recognise_kept(secret, named, account.as_ref(), request.made_by_provider)?;
        if let Some(existing) = self.matching_key(secret.expose_secret()) {
            return Err(VaultError::Duplicate { label: existing.label.clone() });
        }
        if let Some(account) = self.account_managed_by(secret) {
            return Err(VaultError::ManagementKeyPasted { account });
        }
        let id = self.new_key_id();
        let mut record = self.new_record(id, meta, detection.provider, &detection.prefix, secret)?;
        record.region = detection.region.clone().or_else(|| account.as_ref().and_then(|a| a.region.clone()));
        record.account = account.map(|a| a.id);
        if request.provider_key_id.is_some() {
            record.provider_key_id = request.provider_key_id;
        }
        record.scopes = request.scopes;
        let id = record.id.clone();
        self.store_secret(&id, secret)?;
        let detail = format!("\"{}\", {}", record.label, detection.provider.name());
        self.apply(Action::Add, Some(&id), detail, |file| {
            file.keys.push(record);
            Ok(())
        })
        .inspect_err(|error| self.take_back_secret(&id, error))?;
        Ok((id, detection))
    }

    /// The secret of a live key, for a use of `action`, with the use recorded.
    fn use_secret(&mut self, id: &KeyId) -> Result<SecretString, VaultError> {
        let index = self.index_of(id)?;
        let record = &self.file.keys[index];
        if !record.is_live() {
            return Err(VaultError::Revoked { label: record.label.clone(), action: "reveal" });
        }
        let id = record.id.clone();
        let secret = match self.hand_out(record) {
            Ok(secret) => secret,
            Err(error) => {
                self.record_failure(Action::Reveal, Some(&id), &error);
                return Err(error);
            }
        };
        self.commit_use(Action::Reveal, index)?;
        Ok(secret)
    }

    /// The secret to put on the clipboard. Nothing is counted yet: the
    /// caller says with [`Vault::record_copy`] whether the clipboard took it. A secret that
    /// cannot be read is recorded as a failed copy here.
    pub fn secret_to_copy(&mut self, id: &KeyId) -> Result<SecretString, VaultError> {
        let index = self.index_of(id)?;
        let record = &self.file.keys[index];
        if !record.is_live() {
            return Err(VaultError::Revoked { label: record.label.clone(), action: "copy" });
        }
        match self.hand_out(record) {
            Ok(secret) => Ok(secret),
            Err(error) => {
                self.record_failure(Action::Copy, Some(id), &error);
                Err(error)
            }
        }
    }

    /// Records a copy of key `id`: counted when the clipboard took it, and in the audit log
    /// either way (`Err` holds why the clipboard refused it, in words without the secret).
    pub fn record_copy(&mut self, id: &KeyId, clipboard: Result<(), String>) -> Result<(), VaultError> {
        let index = self.index_of(id)?;
        let id = self.file.keys[index].id.clone();
        match clipboard {
            Ok(()) => self.commit_use(Action::Copy, index),
            Err(why) => {
                let outcome = audit::Outcome::Failed(format!("the clipboard did not take it: {why}"));
                self.commit(Action::Copy, Some(&id), outcome, String::new())
            }
        }
    }

    /// The secret to show in full; the reveal is counted and audited.
    pub fn reveal(&mut self, id: &KeyId) -> Result<SecretString, VaultError> {
        self.use_secret(id)
    }

    /// Records the vault's health as it is now — a `health` audit line with the score and the
    /// findings by severity (`health::history` reads the series back) — and answers it.
    pub fn record_health(&mut self) -> Result<super::health::HealthReport, VaultError> {
        let report = super::health::findings(&self.file, self.now());
        self.commit(Action::Health, None, audit::Outcome::Ok, report.audit_detail())?;
        Ok(report)
    }
}

/// The access key id of an Amazon SES key kept as "id:secret" (the part before the colon).
pub fn aws_access_key_id(provider: Provider, secret: &SecretString) -> Option<String> {
    if provider != Provider::AmazonSes {
        return None;
    }
    let (id, _secret) = secret.expose_secret().split_once(':')?;
    let id = id.trim();
    crate::providers::catalogue::is_access_key_id(id).then(|| id.to_owned())
}

/// What a secret's seal is bound to: its vault and its key.
pub(super) fn secret_ad(vault_id: &str, key_id: &str) -> Vec<u8> {
    format!("keydesk-secret:{vault_id}:{key_id}").into_bytes()
}
