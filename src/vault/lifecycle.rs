//! The end of a key's life: revoke (metadata saved first, then the secret deleted) and rotate
//! (a replacement linked to the old key, which becomes retiring).

use secrecy::{ExposeSecret, SecretString};

use super::audit::Action;
use super::keygen::{self, KeySpec};
use super::meta::{KeyMeta, check_text};
use super::model::{KeyId, KeyStatus};
use super::{MAX_NOTES, Vault, VaultError};
use crate::providers::Provider;

/// Where the replacement of a rotated key comes from.
pub enum Replacement {
    /// A new Keydesk key in the old one's format.
    Generate,
    /// A key made at the provider and pasted.
    Pasted(SecretString),
}

impl Vault {
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
        .inspect_err(|error| self.take_back_secret(&id, error))?;
        Ok((id, secret))
    }
}
