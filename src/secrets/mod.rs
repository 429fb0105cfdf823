//! Where the encrypted secret values live: the `SecretStore` trait and its implementations.
//!
//! Values handed to a store are already sealed by the vault's data key, so a store never sees
//! a key in the clear. Implementations: the OS keychain ([`keychain`]), an encrypted file in
//! the vault folder for machines without one ([`file`]), and an in-memory store for fast tests
//! ([`memory`]). Errors are sentences a user can act on and never contain a stored value.

pub mod file;
pub mod keychain;
pub mod memory;
pub mod process;

use std::path::{Path, PathBuf};

use std::ops::ControlFlow;

use crate::vault::model::SecretBackend;

/// The service name under which Keydesk's keychain entries are filed.
pub const SERVICE: &str = "keydesk";

/// A place to keep sealed secret values by name.
pub trait SecretStore: Send {
    /// Stores `value` under `name`, replacing any earlier value.
    fn put(&mut self, name: &str, value: &str) -> Result<(), SecretStoreError>;
    /// Reads the value under `name`; [`SecretStoreError::Missing`] when there is none.
    fn get(&self, name: &str) -> Result<String, SecretStoreError>;
    /// Deletes the value under `name`; `Ok(false)` when there was none.
    fn delete(&mut self, name: &str) -> Result<bool, SecretStoreError>;
    /// The names that start with `prefix`.
    fn names(&self, prefix: &str) -> Result<Vec<String>, SecretStoreError>;

    /// Stores each `(name, value)` in turn. `progress` is told how many are stored before each
    /// one and at the end, and may stop the rest (`ControlFlow::Break`). Answers how many were
    /// stored; on a failure, how many were stored before it, with the error.
    fn put_many(
        &mut self,
        entries: &[(String, String)],
        progress: &mut dyn FnMut(usize) -> ControlFlow<()>,
    ) -> Result<usize, (usize, SecretStoreError)> {
        for (done, (name, value)) in entries.iter().enumerate() {
            if progress(done).is_break() {
                return Ok(done);
            }
            self.put(name, value).map_err(|error| (done, error))?;
        }
        let _at_the_end_nothing_is_left_to_stop = progress(entries.len());
        Ok(entries.len())
    }

    /// Lets go of what the store keeps of earlier versions (the file store's
    /// `secrets.ron.bak`), after every value was sealed again under a new key: nothing sealed
    /// under the old one is left behind. Stores that keep no earlier version do nothing.
    fn forget_previous_versions(&mut self) -> Result<(), SecretStoreError> {
        Ok(())
    }

    /// The mark of the last save of vault `vault_id` Keydesk made on this machine, kept where
    /// a copy of the vault folder cannot bring an older one back (the keychain; for the file
    /// store, the user's state folder).
    fn generation_mark(&self, vault_id: &str) -> Result<Option<String>, SecretStoreError> {
        match self.get(&generation_mark_name(vault_id)) {
            Ok(mark) => Ok(Some(mark)),
            Err(SecretStoreError::Missing { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Keeps the mark of the latest save.
    fn set_generation_mark(&mut self, vault_id: &str, mark: &str) -> Result<(), SecretStoreError> {
        self.put(&generation_mark_name(vault_id), mark)
    }
}

/// The store of a vault folder that is a copy of one kept in another folder on this machine:
/// it reads, and refuses every write (the entries and the mark are the other folder's).
pub struct ReadOnlyStore {
    inner: Box<dyn SecretStore>,
    location: String,
}

impl ReadOnlyStore {
    /// `inner`, read-only because its entries belong to the vault kept in `location`.
    pub fn new(inner: Box<dyn SecretStore>, location: &str) -> Self {
        ReadOnlyStore { inner, location: location.to_owned() }
    }

    fn refused(&self) -> SecretStoreError {
        SecretStoreError::OtherFolders { location: self.location.clone() }
    }
}

impl SecretStore for ReadOnlyStore {
    fn put(&mut self, _name: &str, _value: &str) -> Result<(), SecretStoreError> {
        Err(self.refused())
    }
    fn get(&self, name: &str) -> Result<String, SecretStoreError> {
        self.inner.get(name)
    }
    fn delete(&mut self, _name: &str) -> Result<bool, SecretStoreError> {
        Err(self.refused())
    }
    fn names(&self, prefix: &str) -> Result<Vec<String>, SecretStoreError> {
        self.inner.names(prefix)
    }
    fn put_many(
        &mut self,
        _entries: &[(String, String)],
        _progress: &mut dyn FnMut(usize) -> ControlFlow<()>,
    ) -> Result<usize, (usize, SecretStoreError)> {
        Err((0, self.refused()))
    }
    fn generation_mark(&self, vault_id: &str) -> Result<Option<String>, SecretStoreError> {
        self.inner.generation_mark(vault_id)
    }
    fn forget_previous_versions(&mut self) -> Result<(), SecretStoreError> {
        Err(self.refused())
    }
    fn set_generation_mark(&mut self, _vault_id: &str, _mark: &str) -> Result<(), SecretStoreError> {
        Err(self.refused())
    }
}

/// The store entry that holds a vault's generation mark.
pub fn generation_mark_name(vault_id: &str) -> String {
    format!("{vault_id}/generation")
}

/// What can go wrong with a secret store.
#[derive(Debug, thiserror::Error)]
pub enum SecretStoreError {
    /// No Secret Service (or other OS keychain) answers.
    #[error(
        "No OS keychain is running: start GNOME Keyring or KeePassXC's Secret Service, or choose the encrypted file store (keydesk init --secret-store file)."
    )]
    NoKeychain,
    /// The keychain is locked and no prompt could unlock it.
    #[error(
        "The OS keychain is locked: unlock it (log in to the desktop, or open your keyring app) and try again."
    )]
    Locked,
    /// The keychain asked to be unlocked and the prompt was dismissed (or could not show).
    #[error(
        "The keychain's unlock prompt was dismissed or could not be shown: try again and unlock the keychain when it asks."
    )]
    PromptDismissed,
    /// The keychain is locked and this session has no display to show its unlock prompt on.
    #[error(
        "The OS keychain is locked and this session has no display to ask for its password: unlock it from your desktop session (or with `gnome-keyring-daemon --unlock`), then try again."
    )]
    LockedNoPrompter,
    /// A copy's store: the entries belong to the vault kept in another folder.
    #[error(
        "This folder's secret-store entries belong to the vault kept in {location}, so nothing was changed: use that vault, or restore a backup of this one into a new folder."
    )]
    OtherFolders { location: String },
    /// No value under that name.
    #[error("The secret store has no entry \"{name}\".")]
    Missing { name: String },
    /// Another keychain failure; `detail` comes from the keychain library and holds no value.
    #[error(
        "The OS keychain failed ({detail}): try again, and restart the keychain service if it keeps failing."
    )]
    Failed { detail: String },
    /// The encrypted secrets could not be turned into the file's text (a bug; nothing written).
    #[error(
        "Keydesk could not write the secrets file as text, so nothing was saved: please report this as a bug."
    )]
    Render,
    /// The encrypted secrets file could not be read or written.
    #[error(
        "Could not {action} the secrets file ({source}): check the vault folder's permissions and free space. File: {path}"
    )]
    File { action: &'static str, path: PathBuf, source: std::io::Error },
    /// The file store's record of its last save (in the state folder) is not a small regular
    /// file: a FIFO or a device there is refused rather than waited on.
    /// Said inside the vault's own sentence about its record of the last save.
    #[error("{detail}: {path}")]
    MarkUnreadable { detail: String, path: PathBuf },
    /// The encrypted secrets file does not parse.
    #[error(
        "The secrets file does not parse at line {line}, column {column}: restore it from a backup. File: {path}"
    )]
    FileCorrupt { path: PathBuf, line: usize, column: usize },
    /// The secrets file would grow past what Keydesk reads back: nothing was written.
    #[error(
        "The secrets file would be {megabytes} MB, more than the {max_megabytes} MB Keydesk reads back, so nothing was written: keep fewer keys in this vault (or use the OS keychain)."
    )]
    TooLarge { megabytes: u64, max_megabytes: u64 },
}

/// Opens the store a vault's header names. `dir` is the vault folder.
pub fn open(backend: SecretBackend, dir: &Path) -> Result<Box<dyn SecretStore>, SecretStoreError> {
    match backend {
        SecretBackend::Keychain => Ok(Box::new(keychain::KeychainStore::open()?)),
        SecretBackend::File => Ok(Box::new(file::FileStore::open(dir)?)),
    }
}
