//! Operations on keys: generate, add, edit, copy, reveal, rotate, revoke, whois, check.
//!
//! Order of writes, so nothing is lost: a new secret goes to the secret store before the
//! metadata that names it; on revoke the metadata is saved before the secret is deleted.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::audit::{self, Action};
use super::crypto::{self, CryptoError};
use super::detect::{self, Detection};
use super::keygen::{self, KeySpec};
use super::meta::{self, KeyMeta, check_text};
use super::model::{KeyId, KeyRecord, KeyStatus};
use super::{MAX_NOTES, Vault, VaultError, random_hex};
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

/// Where the replacement of a rotated key comes from.
pub enum Replacement {
    /// A new Keydesk key in the old one's format.
    Generate,
    /// A key made at the provider and pasted.
    Pasted(SecretString),
}

/// What `check` found.
#[derive(Debug)]
pub struct CheckReport {
    pub keys: usize,
    /// Secret-store entries that no live key names.
    pub orphans: Vec<String>,
    /// Live keys whose secret is missing, by label.
    pub missing: Vec<String>,
    /// Live keys whose secret does not decrypt, by label.
    pub undecryptable: Vec<String>,
    /// Why listing the secret store failed, if it did.
    pub store_problem: Option<String>,
    /// The audit chain's state.
    pub audit: Result<audit::ChainReport, audit::ChainError>,
    /// What to say when vault.ron was changed outside Keydesk since its last save.
    pub changed_outside: Option<&'static str>,
}

impl CheckReport {
    /// Whether everything is in order.
    pub fn is_clean(&self) -> bool {
        self.orphans.is_empty()
            && self.missing.is_empty()
            && self.undecryptable.is_empty()
            && self.store_problem.is_none()
            && self.audit.is_ok()
            && self.changed_outside.is_none()
    }
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

    fn entry_name(&self, key_id: &str) -> String {
        format!("{}/{}", self.file.header.vault_id, key_id)
    }

    fn secret_ad(&self, key_id: &str) -> Vec<u8> {
        format!("keydesk-secret:{}:{}", self.file.header.vault_id, key_id).into_bytes()
    }

    fn new_key_id(&mut self) -> KeyId {
        loop {
            let id = KeyId::from_stored(&random_hex(self.env.rng.as_mut(), 6));
            if !self.file.keys.iter().any(|k| k.id == id) {
                return id;
            }
        }
    }

    /// Seals `secret` and puts it in the secret store under the key's entry.
    pub(super) fn store_secret(&mut self, key_id: &str, secret: &SecretString) -> Result<(), VaultError> {
        let sealed = crypto::seal(
            &self.keys.data,
            &self.secret_ad(key_id),
            secret.expose_secret().as_bytes(),
            self.env.rng.as_mut(),
        )?;
        let name = self.entry_name(key_id);
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

    /// Reads and opens the secret stored under an id (a key's or an account's).
    pub(super) fn load_sealed(&self, id: &str) -> Result<SecretString, VaultError> {
        let sealed = match self.env.store.get(&self.entry_name(id)) {
            Ok(value) => value,
            Err(SecretStoreError::Missing { .. }) => {
                return Err(VaultError::SecretMissing { label: id.to_owned() });
            }
            Err(error) => return Err(error.into()),
        };
        let sealed = B64.decode(sealed.as_bytes()).map_err(|_bad_base64| CryptoError::Tampered)?;
        let plain = crypto::open(&self.keys.data, &self.secret_ad(id), &sealed)?;
        let text = std::str::from_utf8(&plain).map_err(|_not_utf8| CryptoError::Tampered)?;
        Ok(SecretString::from(text))
    }

    fn lookup_hash(&self, secret: &SecretString) -> String {
        crypto::keyed_hash(&self.keys.lookup, secret.expose_secret().as_bytes())
    }

    /// The key whose secret is `candidate`, if any (compares keyed hashes; decrypts nothing).
    fn matching_key(&self, candidate: &str) -> Option<&KeyRecord> {
        self.file
            .keys
            .iter()
            .find(|k| crypto::keyed_hash_matches(&self.keys.lookup, candidate.as_bytes(), &k.lookup_hash))
    }

    /// A new record for `secret`, described by `meta` (checked here, the one place every new
    /// key passes).
    fn new_record(
        &mut self,
        meta: KeyMeta,
        provider: Provider,
        detection_prefix: &str,
        secret: &SecretString,
    ) -> Result<KeyRecord, VaultError> {
        let KeyMeta { label, expires_at, rotate_after_days, integrations, notes } =
            meta.validated(self.now())?;
        Ok(KeyRecord {
            id: self.new_key_id(),
            label,
            provider,
            account: None,
            provider_key_id: None,
            region: None,
            scopes: Vec::new(),
            hint: hint(detection_prefix, secret.expose_secret()),
            lookup_hash: self.lookup_hash(secret),
            created_at: self.env.clock.now(),
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
        })
    }

    /// Generates a Keydesk-format key and keeps it. The secret is returned to be shown once.
    pub fn generate(&mut self, request: GenerateRequest) -> Result<(KeyId, SecretString), VaultError> {
        let meta = request.meta.validated(self.now())?;
        let secret = keygen::generate(&request.spec, self.env.rng.as_mut())?;
        let record = self.new_record(meta, Provider::Keydesk, &request.spec.prefix, &secret)?;
        let id = record.id.clone();
        self.store_secret(&id, &secret)?;
        let detail =
            format!("\"{}\", {} bits", record.label, keygen::entropy_bits(request.spec.length).floor());
        self.apply(Action::Generate, Some(&id), detail, |file| {
            file.keys.push(record);
            Ok(())
        })
        .inspect_err(|_| self.forget_secret(&id))?;
        Ok((id, secret))
    }

    /// Best effort removal of a secret whose metadata could not be saved.
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
        let account = match request.account.as_deref() {
            Some(query) => Some(self.find_account(query)?.clone()),
            None => None,
        };
        let named = request.provider.or(account.as_ref().map(|a| a.provider));
        let detection = Self::recognise(secret.expose_secret(), named)?;
        if let Some(account) = &account
            && account.provider != detection.provider
        {
            return Err(VaultError::AccountMismatch {
                key: detection.provider.name(),
                account: account.name.clone(),
                provider: account.provider.name(),
            });
        }
        if let Some(existing) = self.matching_key(secret.expose_secret()) {
            return Err(VaultError::Duplicate { label: existing.label.clone() });
        }
        let mut record = self.new_record(meta, detection.provider, &detection.prefix, secret)?;
        record.region = detection.region.clone().or_else(|| account.as_ref().and_then(|a| a.region.clone()));
        record.account = account.map(|a| a.id);
        record.provider_key_id = request.provider_key_id;
        record.scopes = request.scopes;
        let id = record.id.clone();
        self.store_secret(&id, secret)?;
        let detail = format!("\"{}\", {}", record.label, detection.provider.name());
        self.apply(Action::Add, Some(&id), detail, |file| {
            file.keys.push(record);
            Ok(())
        })
        .inspect_err(|_| self.forget_secret(&id))?;
        Ok((id, detection))
    }

    /// Changes a key's metadata.
    pub fn edit(&mut self, id: &KeyId, edit: KeyEdit) -> Result<(), VaultError> {
        let index = self.index_of(id)?;
        let label = edit.label.as_deref().map(meta::clean_label).transpose()?;
        if let Some(notes) = &edit.notes {
            check_text("notes", notes, MAX_NOTES, false)?;
        }
        if let Some(integrations) = &edit.integrations {
            meta::check_integrations(integrations)?;
        }
        let now = self.now();
        let record = &self.file.keys[index];
        let expires = edit.expires_at.unwrap_or(None);
        if edit.expires_at.is_some() && expires != record.expires_at {
            meta::check_expiry(now, expires)?;
        }
        meta::check_rotation(edit.rotate_after_days.unwrap_or(None))?;
        let id = record.id.clone();
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
        let detail = format!("changed {}", changed.join(", "));
        self.apply(Action::Edit, Some(&id), detail, |file| {
            let record = &mut file.keys[index];
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
            Ok(())
        })
    }

    /// The secret of a live key, for a use of `action`, with the use recorded.
    fn use_secret(&mut self, id: &KeyId) -> Result<SecretString, VaultError> {
        let index = self.index_of(id)?;
        let record = &self.file.keys[index];
        if !record.is_live() {
            return Err(VaultError::Revoked { label: record.label.clone(), action: "reveal" });
        }
        let id = record.id.clone();
        let secret = match self.load_secret(record) {
            Ok(secret) => secret,
            Err(error) => {
                self.record_failure(Action::Reveal, Some(&id), &error);
                return Err(error);
            }
        };
        self.apply(Action::Reveal, Some(&id), String::new(), |file| {
            file.keys[index].reveal_count += 1;
            Ok(())
        })?;
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
        match self.load_secret(record) {
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
            Ok(()) => {
                let now = self.now();
                self.apply(Action::Copy, Some(&id), String::new(), |file| {
                    let record = &mut file.keys[index];
                    record.copy_count += 1;
                    record.last_copied_at = Some(now);
                    Ok(())
                })
            }
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

    /// Revokes a key: the metadata is saved first, then the secret is deleted. Returns a
    /// warning when the secret could not be deleted (the key is revoked all the same; `check`
    /// lists the leftover entry).
    pub fn revoke(&mut self, id: &KeyId, reason: &str) -> Result<Option<String>, VaultError> {
        self.revoke_noting(id, reason, "")
    }

    /// [`Vault::revoke`], with a note on how it was revoked at the provider for the audit log
    /// (e.g. "revoked at SendGrid", "user confirmed it was revoked at Mailchimp").
    pub fn revoke_noting(
        &mut self,
        id: &KeyId,
        reason: &str,
        note: &str,
    ) -> Result<Option<String>, VaultError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(VaultError::EmptyReason);
        }
        check_text("reason", reason, MAX_NOTES, false)?;
        let index = self.index_of(id)?;
        let record = &self.file.keys[index];
        if !record.is_live() {
            return Err(VaultError::Revoked { label: record.label.clone(), action: "revoke" });
        }
        let id = record.id.clone();
        let now = self.now();
        let detail = if note.is_empty() {
            format!("\"{}\": {reason}", record.label)
        } else {
            format!("\"{}\": {reason} ({note})", record.label)
        };
        self.apply(Action::Revoke, Some(&id), detail, |file| {
            file.keys[index].status = KeyStatus::Revoked { at: now, reason: reason.to_owned() };
            file.keys[index].provider_revoke_pending = None;
            Ok(())
        })?;
        let name = self.entry_name(&id);
        Ok(match self.env.store.delete(&name) {
            Ok(_) => None,
            Err(error) => Some(format!(
                "The key is revoked, but its encrypted secret could not be deleted ({error}); `keydesk check` lists it."
            )),
        })
    }

    /// Rotates a key: a replacement linked to the old key, which becomes Retiring.
    pub fn rotate(
        &mut self,
        id: &KeyId,
        replacement: Replacement,
    ) -> Result<(KeyId, SecretString), VaultError> {
        let index = self.index_of(id)?;
        let old = self.file.keys[index].clone();
        if !old.is_live() {
            return Err(VaultError::Revoked { label: old.label, action: "rotate" });
        }
        let (secret, prefix, provider, region) = match replacement {
            Replacement::Generate => {
                if old.provider != Provider::Keydesk {
                    return Err(VaultError::NeedsPastedReplacement {
                        label: old.label,
                        provider: old.provider.name().to_owned(),
                    });
                }
                let current = self.load_secret(&old)?;
                let spec = keygen::shape(current.expose_secret())
                    .map(|s| KeySpec { prefix: s.prefix.to_owned(), length: s.body_length })
                    .unwrap_or_default();
                (keygen::generate(&spec, self.env.rng.as_mut())?, spec.prefix, Provider::Keydesk, None)
            }
            Replacement::Pasted(secret) => {
                let detection = Self::recognise(secret.expose_secret(), Some(old.provider))?;
                if let Some(existing) = self.matching_key(secret.expose_secret()) {
                    return Err(VaultError::Duplicate { label: existing.label.clone() });
                }
                (secret, detection.prefix, old.provider, detection.region.or(old.region.clone()))
            }
        };
        let now = self.now();
        // Keep the old key's lifetime: a key that lasted 90 days gets 90 days again.
        let expires_at = old.expires_at.map(|at| now + (at - old.created_at));
        let meta = KeyMeta {
            label: old.label.clone(),
            expires_at,
            rotate_after_days: old.rotate_after_days,
            integrations: old.integrations.clone(),
            notes: old.notes.clone(),
        };
        let mut record = self.new_record(meta, provider, &prefix, &secret)?;
        record.account = old.account.clone();
        record.scopes = old.scopes.clone();
        record.region = region;
        record.replaces = Some(old.id.clone());
        let id = record.id.clone();
        self.store_secret(&id, &secret)?;
        let detail = format!("\"{}\" replaced by {id}", old.label);
        self.apply(Action::Rotate, Some(&old.id), detail, |file| {
            let old = &mut file.keys[index];
            old.status = KeyStatus::Retiring;
            old.replaced_by = Some(record.id.clone());
            file.keys.push(record);
            Ok(())
        })
        .inspect_err(|_| self.forget_secret(&id))?;
        Ok((id, secret))
    }

    /// Which key a leaked string is (compares keyed hashes only). The lookup is audited
    /// without the string.
    pub fn whois(&mut self, candidate: &str) -> Result<Option<KeyRecord>, VaultError> {
        let found = self.matching_key(candidate.trim()).cloned();
        let detail = match &found {
            Some(record) => format!("matched \"{}\"", record.label),
            None => "no match".to_owned(),
        };
        let key = found.as_ref().map(|r| r.id.clone());
        self.commit(Action::Whois, key.as_deref(), audit::Outcome::Ok, detail)?;
        Ok(found)
    }

    /// Entry names that live keys and accounts with management keys use.
    fn live_entries(&self) -> std::collections::HashSet<String> {
        let keys = self.file.keys.iter().filter(|k| k.is_live()).map(|k| self.entry_name(&k.id));
        let accounts =
            self.file.accounts.iter().filter(|a| a.has_management_key).map(|a| self.entry_name(&a.id));
        keys.chain(accounts).collect()
    }

    /// Deletes secret-store entries of this vault that no live key uses (as `check` listed
    /// them). Entries a live key uses are never touched. Returns how many were deleted.
    pub fn remove_orphans(&mut self, names: &[String]) -> Result<usize, VaultError> {
        let prefix = format!("{}/", self.file.header.vault_id);
        let live = self.live_entries();
        let mut removed = 0;
        for name in names.iter().filter(|n| n.starts_with(&prefix) && !live.contains(*n)) {
            if self.env.store.delete(name)? {
                removed += 1;
            }
        }
        self.commit(Action::Repair, None, audit::Outcome::Ok, format!("removed {removed} orphaned entries"))?;
        Ok(removed)
    }

    /// Checks the vault against its secret store and its audit log.
    pub fn check(&self) -> CheckReport {
        let mut report = CheckReport {
            keys: self.file.keys.len(),
            orphans: Vec::new(),
            missing: Vec::new(),
            undecryptable: Vec::new(),
            store_problem: None,
            audit: self.verify_audit(),
            changed_outside: self.changed_outside(),
        };
        let prefix = format!("{}/", self.file.header.vault_id);
        let live = self.live_entries();
        match self.env.store.names(&prefix) {
            Ok(names) => report.orphans = names.into_iter().filter(|n| !live.contains(n)).collect(),
            Err(error) => report.store_problem = Some(error.to_string()),
        }
        for account in self.file.accounts.iter().filter(|a| a.has_management_key) {
            match self.load_sealed(&account.id) {
                Ok(_) => {}
                Err(VaultError::SecretMissing { .. }) => {
                    report.missing.push(format!("{} (management key)", account.name));
                }
                Err(VaultError::Crypto(_)) => {
                    report.undecryptable.push(format!("{} (management key)", account.name));
                }
                Err(error) => {
                    report.store_problem.get_or_insert(error.to_string());
                }
            }
        }
        for record in self.file.keys.iter().filter(|k| k.is_live()) {
            match self.load_secret(record) {
                Ok(_) => {}
                Err(VaultError::SecretMissing { label }) => report.missing.push(label),
                Err(VaultError::Crypto(_)) => report.undecryptable.push(record.label.clone()),
                Err(error) => {
                    report.store_problem.get_or_insert(error.to_string());
                }
            }
        }
        report
    }
}
