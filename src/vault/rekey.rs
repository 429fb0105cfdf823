//! A change of data key, for when an old master password may be known: every secret is
//! re-encrypted under a fresh data key, so the old password opens nothing of the vault any
//! more, not even an old copy of `vault.ron` together with today's secret store.
//!
//! Two phases, so a crash at any moment loses nothing. First `vault.ron` is saved with the new
//! key wrapped by the new password and the previous key sealed under the new one; then each
//! secret is re-encrypted in place (a secret opens with either key meanwhile); last the
//! previous key is dropped and `vault.ron` saved twice, so `vault.ron.bak` holds no trace of
//! the old password. An unlock that finds the second phase unfinished finishes it at the next
//! change.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use secrecy::{ExposeSecret, SecretString};

use super::crypto::{self, CryptoError, KdfParams, SymmetricKey};
use super::keys::{self, Keys};
use super::{MIN_PASSWORD, Vault, VaultError, audit, data_key_ad};

impl Vault {
    /// Changes the master password and the data key, re-encrypting every secret; `progress`
    /// hears `(done, total)` as secrets are re-encrypted. `Ok(Some(caveat))`: done, but a last
    /// rewrite of a `.bak` failed (see [`Vault::finish_data_key_change`]).
    pub fn change_data_key(
        &mut self,
        new_password: &SecretString,
        kdf: Option<KdfParams>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Option<String>, VaultError> {
        self.refuse_if_changed()?;
        if new_password.expose_secret().chars().count() < MIN_PASSWORD {
            return Err(VaultError::WeakPassword { min: MIN_PASSWORD });
        }
        let kdf = kdf.unwrap_or(self.file.header.kdf);
        kdf.validate()?;
        // A change left half done is finished first: its secrets are under the current key.
        self.finish_data_key_change(progress)?;

        let id = self.file.header.vault_id.clone();
        let mut salt = [0u8; crypto::SALT_LEN];
        self.env.rng.fill(&mut salt);
        let kek = crypto::derive_kek(new_password, &salt, kdf)?;
        let data = SymmetricKey::random(self.env.rng.as_mut());
        let wrapped = crypto::wrap_key(&kek, &data_key_ad(&id), &data, self.env.rng.as_mut())?;
        // The line this phase appends is linked by the current audit key; the lines after it
        // by a fresh one that only the new data key opens.
        let after = self.audit_tail.entries + 1;
        let resealed = keys::reseal(&self.keys, &self.file.header, &data, after, self.env.rng.as_mut())?;
        let mut header = self.file.header.clone();
        header.kdf = kdf;
        header.salt = B64.encode(salt);
        header.wrapped_data_key = B64.encode(wrapped);
        header.audit_keys = resealed.audit_keys;
        header.lookup_key = Some(resealed.lookup_key);
        header.previous_data_key = Some(resealed.previous_data_key);
        let new_keys = Keys::open(data, &header);
        if new_keys.previous.is_none() {
            return Err(CryptoError::Tampered.into());
        }
        let old_keys = std::mem::replace(&mut self.keys, new_keys);
        let detail = format!(
            "new data key (step 1 of 2: secrets being re-encrypted); KDF {} KiB, {} iterations, {} lanes",
            kdf.memory_kib, kdf.iterations, kdf.lanes
        );
        let started = self.apply(audit::Action::ChangePassword, None, detail, |file| {
            file.header = header;
            Ok(())
        });
        if let Err(error) = started {
            self.keys = old_keys;
            return Err(error);
        }
        drop(old_keys);
        self.finish_data_key_change(progress)
    }

    /// Whether a change of data key was interrupted before every secret was re-encrypted.
    pub fn data_key_change_pending(&self) -> bool {
        self.file.header.previous_data_key.is_some()
    }

    /// Re-encrypts under the current data key every secret still sealed under the previous
    /// one, then forgets the previous key. Does nothing when no change is under way.
    /// `Ok(Some(caveat))`: the change is done, but `vault.ron.bak` could not be written again
    /// and still holds the previous key (the caveat says so).
    pub fn finish_data_key_change(
        &mut self,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Option<String>, VaultError> {
        if !self.data_key_change_pending() {
            return Ok(None);
        }
        self.refuse_if_changed()?;
        if self.keys.previous.is_none() {
            // The header names a previous key that does not open: the seal said so at unlock.
            return Err(CryptoError::Tampered.into());
        }
        let prefix = format!("{}/", self.file.header.vault_id);
        let mark = crate::secrets::generation_mark_name(&self.file.header.vault_id);
        let names: Vec<String> = self.env.store.names(&prefix)?.into_iter().filter(|n| *n != mark).collect();
        let (mut moved, mut unreadable) = (0usize, 0usize);
        for (done, name) in names.iter().enumerate() {
            progress(done, names.len());
            let id = &name[prefix.len()..];
            let stored = self.env.store.get(name)?;
            match self.open_stored(id, &stored) {
                Ok((_, false)) => {}
                Ok((plain, true)) => {
                    self.store_plain(id, &plain)?;
                    moved += 1;
                }
                Err(_) => unreadable += 1,
            }
        }
        progress(names.len(), names.len());
        // Nothing sealed under the previous key stays in an earlier version of the store.
        self.env.store.forget_previous_versions()?;
        let detail = if unreadable == 0 {
            format!("new data key (step 2 of 2): {moved} secrets re-encrypted")
        } else {
            format!(
                "new data key (step 2 of 2): {moved} secrets re-encrypted, {unreadable} unreadable under either key left as they were"
            )
        };
        self.apply(audit::Action::ChangePassword, None, detail, |file| {
            file.header.previous_data_key = None;
            Ok(())
        })?;
        self.keys.previous = None;
        // Saved a second time, so `vault.ron.bak` no longer holds the previous key either.
        Ok(self.save_over_previous("the old master password and data key"))
    }
}
