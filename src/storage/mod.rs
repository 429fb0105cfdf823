//! Where `vault.ron` and `audit.ron` are kept: the `VaultStorage` trait, the vault folder on
//! disk ([`disk`]) and an in-memory stand-in for core tests ([`memory`]).
//!
//! This is the only part of Keydesk that touches the file system. Saves are atomic (temp
//! file in the same folder, fsync, rename, fsync folder) and keep the previous version as a
//! `.bak`; a writer holds an OS file lock on `vault.lock`.

pub mod disk;
pub mod memory;
pub mod secret_input;

use std::path::PathBuf;

pub use disk::{Replace, VaultDir, atomic_replace, atomic_write, create_private_folder, write_new_private};
pub use memory::MemoryStorage;

/// A path as people type it in the window: a leading `~` is the home folder.
pub fn expand_home(path: &std::path::Path) -> std::path::PathBuf {
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => std::path::PathBuf::from(home).join(rest),
        _ => path.to_owned(),
    }
}

/// The metadata file.
pub const VAULT_FILE: &str = "vault.ron";
/// The audit log.
pub const AUDIT_FILE: &str = "audit.ron";
/// The lock file.
pub const LOCK_FILE: &str = "vault.lock";
/// A restore written down before its first write (the backup as restored, sealed under its
/// master password): a kill part way leaves it, and the next unlock finishes the restore.
pub const PENDING_RESTORE_FILE: &str = "restore.pending";

/// Persistence of the vault's text files, as the vault core sees it.
pub trait VaultStorage: Send {
    /// Replaces `vault.ron` with `text`, atomically, keeping the old one as `vault.ron.bak`.
    fn save(&mut self, text: &str) -> Result<(), StorageError>;
    /// Appends one line (a newline is added) to `audit.ron` and makes it durable.
    fn append_audit(&mut self, line: &str) -> Result<(), StorageError>;
    /// The whole audit log (empty when there is none yet).
    fn read_audit(&self) -> Result<String, StorageError>;
    /// The previous version of `vault.ron` (`vault.ron.bak`), when there is one that reads
    /// as text: what an unlock compares a file changed outside Keydesk with.
    fn read_previous(&self) -> Option<String>;
    /// Cuts the log back to its last whole line, when its end is a line cut short (by a
    /// crash during an append). Returns whether anything was cut.
    fn drop_torn_audit_tail(&mut self) -> Result<bool, StorageError>;

    /// Where this vault is kept, as its generation mark records it (the folder's absolute
    /// path); `None` where there is no such place (in memory).
    fn location(&self) -> Option<String> {
        None
    }

    /// The text of the `vault.ron` kept at `location` (another folder on this machine):
    /// `Ok(None)` when there is none there.
    fn read_vault_at(&self, location: &str) -> Result<Option<String>, StorageError> {
        let _nowhere = location;
        Ok(None)
    }
}

/// What can go wrong with the vault's files. Messages name the file last.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error(
        "No vault here yet: create one with `keydesk init`, or point --vault at an existing vault folder. Folder: {path}"
    )]
    NoVault { path: PathBuf },
    #[error("A vault already exists here: open it instead of creating a new one. Folder: {path}")]
    AlreadyExists { path: PathBuf },
    #[error("Another Keydesk window or command is using this vault: close it and try again. Lock: {path}")]
    Locked { path: PathBuf },
    #[error(
        "The vault folder can be opened by other users (mode {mode:o}): run `chmod 700 {}` and try again.", path.display()
    )]
    OpenToOthers { mode: u32, path: PathBuf },
    #[error("This vault was opened read-only and cannot be changed: {what}.")]
    ReadOnly { what: &'static str },
    #[error("Could not {action} ({source}): check the folder's permissions and free space. File: {path}")]
    Io { action: &'static str, path: PathBuf, source: std::io::Error },
    #[error("{file} cannot be read: {detail}. Fix the file, or restore {file}.bak. File: {path}")]
    Unreadable { file: &'static str, detail: String, path: PathBuf },
    /// The new file is in place but the folder could not be made durable: a crash could
    /// still undo the save. Counted as a failed save; nothing is deleted on its strength.
    #[error(
        "The vault was written but could not be made safe on disk ({source}): it may not survive a crash. Check the disk, then run `keydesk check`. File: {path}"
    )]
    NotDurable { path: PathBuf, source: std::io::Error },
}

impl StorageError {
    /// Whether the change may be on disk all the same (a save that failed after its rename):
    /// then nothing may be deleted on the assumption that it is not.
    pub fn maybe_applied(&self) -> bool {
        matches!(self, StorageError::NotDurable { .. })
    }
}
