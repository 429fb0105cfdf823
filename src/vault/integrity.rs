//! What Keydesk found changed behind its back, and the way on (keep the changes on record,
//! or restore); and the whole vault to and from one backup file.

use secrecy::SecretString;

use super::{Vault, VaultError, audit, backup};

impl Vault {
    /// What was changed outside Keydesk, found at unlock (the vault is read-only until it is
    /// accepted or the files are restored): what to tell the user.
    pub fn changed_outside(&self) -> Option<&str> {
        self.changed_outside.as_deref()
    }

    /// The sentence for a vault found changed: what, what differs from the save before, and
    /// the two ways on.
    pub fn changed_outside_advice(&self) -> Option<String> {
        if let Some(location) = &self.copy_of {
            return Some(VaultError::CopyOfAnother { location: location.clone() }.to_string());
        }
        self.changed_outside.as_ref().map(|what| {
            let differs = match self.outside_differences.as_slice() {
                [] => String::new(),
                found => format!(
                    " Compared with vault.ron.bak (the save before, so Keydesk's own last change shows too): {}.",
                    found.join("; ")
                ),
            };
            format!(
                "{what}: the vault is open read-only and calls no provider.{differs} Keep the changes with `keydesk check --accept-changes` (or \"Keep these changes\" in the window), or restore vault.ron.bak."
            )
        })
    }

    /// Refuses work that must be recorded while changes made outside Keydesk are pending.
    pub(super) fn refuse_if_changed(&self) -> Result<(), VaultError> {
        self.refuse_if_copy()?;
        match &self.changed_outside {
            Some(what) => Err(VaultError::ChangedOutside { what: what.clone() }),
            None => Ok(()),
        }
    }

    /// Refuses every write while this folder is a copy of a vault kept in another folder here.
    pub(super) fn refuse_if_copy(&self) -> Result<(), VaultError> {
        match &self.copy_of {
            Some(location) => Err(VaultError::CopyOfAnother { location: location.clone() }),
            None => Ok(()),
        }
    }

    /// Accepts what was changed outside Keydesk: the finding and who accepted it go to the
    /// audit log, and the files are sealed again. The vault is writable again.
    pub fn accept_outside_changes(&mut self, by: &str) -> Result<(), VaultError> {
        self.refuse_if_copy()?;
        let Some(what) = self.changed_outside.clone() else { return Ok(()) };
        // The log's real end, linked now (unlock does not link a log that failed its check):
        // the line that keeps the changes follows it.
        self.audit_tail = self.keys.chain.tail(&self.env.storage.read_audit()?);
        let detail = match self.outside_differences.as_slice() {
            [] => format!("accepted by {by}: {what}"),
            found => format!("accepted by {by}: {what}; compared with vault.ron.bak: {}", found.join("; ")),
        };
        self.commit(audit::Action::Integrity, None, audit::Outcome::Ok, detail)?;
        self.changed_outside = None;
        self.outside_differences.clear();
        Ok(())
    }

    /// The whole vault as one file encrypted under `password` (checked first): `vault.ron`,
    /// the audit log and every sealed secret of this vault. Record the outcome of writing it
    /// with [`Vault::record_backup`].
    pub fn backup(&mut self, password: &SecretString) -> Result<Vec<u8>, VaultError> {
        // It hands every secret out (sealed under the backup's password): not while changes
        // Keydesk did not make are pending, as no reveal or export is.
        self.refuse_if_changed()?;
        self.check_password(password)?;
        let prefix = format!("{}/", self.file.header.vault_id);
        let mut secrets = Vec::new();
        for name in self.env.store.names(&prefix)? {
            let value = self.env.store.get(&name)?;
            secrets.push((name, value));
        }
        let contents = backup::Contents {
            vault_text: self.sealed_text()?,
            audit_text: self.env.storage.read_audit()?,
            secrets,
        };
        backup::seal(&contents, password, self.file.header.kdf, self.env.rng.as_mut())
    }

    /// Records a backup once its file was written (or why it was not).
    pub fn record_backup(&mut self, written: Result<String, String>) -> Result<(), VaultError> {
        if self.copy_of.is_some() {
            // A copy writes nothing, its log included: the backup made of it stands unrecorded.
            return Ok(());
        }
        match written {
            Ok(detail) => self.commit(audit::Action::Backup, None, audit::Outcome::Ok, detail),
            Err(why) => self.commit(audit::Action::Backup, None, audit::Outcome::Failed(why), String::new()),
        }
    }

    /// Records that this vault was just restored from a backup (after the restored files
    /// opened with the password).
    pub fn record_restore(&mut self, detail: String) -> Result<(), VaultError> {
        self.commit(audit::Action::Restore, None, audit::Outcome::Ok, detail)
    }
}
