//! A backup put back into a vault folder: the one restore that `keydesk restore FILE` and the
//! window's "Restore from a backup…" both run. The front end reads the file, asks for the
//! backup's master password and for the user's word before a vault is replaced; this does the
//! rest, the way every write in Keydesk is done (secrets first, then the metadata naming them),
//! and writes the restore down before its first write so that a kill part way is finished by
//! the next unlock of the folder.

use std::path::Path;

use secrecy::SecretString;

use crate::secrets::{SecretStore, SecretStoreError};
use crate::storage::disk::{Limited, read_limited};
use crate::storage::{AUDIT_FILE, StorageError, VAULT_FILE, VaultDir, atomic_write};
use crate::vault::backup::{self, BackupError, Contents, MAX_BACKUP_BYTES};
use crate::vault::model::SecretBackend;
use crate::vault::{Clock, Entropy, Env, Vault, VaultError, place};

/// Opens the secret store a vault names (the OS keychain or `secrets.ron`; a fake in tests).
pub type OpenStore<'a> = &'a dyn Fn(SecretBackend, &Path) -> Result<Box<dyn SecretStore>, SecretStoreError>;

/// Why a restore did not happen, or stopped. Each is a sentence with no secret in it.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("Could not read the backup ({source}): check the path. File: {path}")]
    Read { source: std::io::Error, path: String },
    #[error("{0}")]
    Backup(#[from] BackupError),
    #[error("{0}")]
    Vault(#[from] VaultError),
    #[error("{0}")]
    Storage(#[from] StorageError),
    #[error("{0}")]
    Store(#[from] SecretStoreError),
    #[error("Could not write {name} ({source}): check the folder. Folder: {folder}")]
    Write { name: &'static str, source: std::io::Error, folder: String },
    #[error(
        "A restore into this folder was cut short, and the password given does not open it ({0}): run the command again with the backup's master password."
    )]
    PendingLocked(BackupError),
}

/// Reads a backup file (at most [`MAX_BACKUP_BYTES`], a regular file).
pub fn read_backup(path: &Path) -> Result<Vec<u8>, RestoreError> {
    read_limited(path, MAX_BACKUP_BYTES, "the backup file").map_err(|error| match error {
        Limited::Refused(refused) => RestoreError::Storage(refused),
        Limited::Io(source) => RestoreError::Read { source, path: path.display().to_string() },
    })
}

/// Opens a backup's bytes with its master password, and checks that the vault inside parses.
pub fn open_backup(bytes: &[u8], password: &SecretString) -> Result<Contents, RestoreError> {
    let contents = backup::open(bytes, password)?;
    Vault::parse(&contents.vault_text)?;
    Ok(contents)
}

/// Whether `bytes` are a Keydesk backup file (told by its content: the `keydesk-backup` kind
/// `keydesk backup` writes), without its password.
pub fn is_backup(bytes: &[u8]) -> bool {
    backup::is_backup(bytes)
}

/// What a restore made.
pub struct Restored {
    /// The restored vault, unlocked, holding the folder's lock.
    pub vault: Vault,
    /// Its live keys.
    pub keys: usize,
    /// The new vault id and the folder the backup's vault is still kept in, when the restore
    /// made a vault of its own.
    pub renewed: Option<(String, String)>,
    /// `keydesk check` finds problems in the restored vault.
    pub problems: bool,
}

impl Restored {
    /// What to tell the user of the restore into `dir`.
    pub fn sentence(&self, dir: &Path) -> String {
        let keys = self.keys;
        match &self.renewed {
            Some((vault_id, location)) => format!(
                "Restored {keys} keys into {} as a vault of its own (id {vault_id}), since the vault it was backed up from is still kept in {location}: each has its own keychain entries, and changes to one never touch the other; the audit chain continues.",
                dir.display()
            ),
            None => format!("Restored {keys} keys into {}; the audit chain continues.", dir.display()),
        }
    }
}

/// What a front end gives the vault a restore opens: its secret store, its clock, its
/// randomness.
pub type Given<'a> = (OpenStore<'a>, Box<dyn Clock>, Box<dyn Entropy>);

/// Restores the opened backup `contents` into the folder `dir` (replacing the vault there, if
/// any: the caller has asked), with the backup's master `password`. `from` names the backup
/// file, `source` who restores (for the audit log); `given`, what the front end gives a vault.
pub fn restore_into(
    dir: &Path,
    mut contents: Contents,
    password: &SecretString,
    (from, source): (&Path, &str),
    (open_store, clock, mut rng): Given<'_>,
) -> Result<Restored, RestoreError> {
    let backed_up = Vault::parse(&contents.vault_text)?;
    let exists = dir.join(VAULT_FILE).exists();
    let folder = if exists { VaultDir::open(dir, true)? } else { VaultDir::create(dir)? };
    let store = open_store(backed_up.header.secret_store, dir)?;
    // The vault is still kept in another folder here: restored under the same id, it would
    // write over that vault's keychain entries and mark. It becomes a vault of its own.
    let renewed = match place::used_elsewhere(store.as_ref(), &folder, &backed_up.header.vault_id) {
        Some(location) => Some((place::renew(&mut contents, password, &mut *rng)?, location)),
        None => None,
    };
    // Written down before the first write, sealed as a backup is: a kill at any later step
    // leaves it, and the next unlock of this folder finishes the restore.
    let kdf = Vault::parse(&contents.vault_text)?.header.kdf;
    folder.write_pending_restore(&backup::seal(&contents, password, kdf, &mut *rng)?)?;
    let source = format!("{source} from {}", from.display());
    let mut vault = apply(folder, store, &contents, password, (&source, clock, rng))?;
    let keys = vault.keys().iter().filter(|k| k.is_live()).count();
    let mut detail = format!("{keys} live keys, {} secrets", contents.secrets.len());
    if let Some((renewed, location)) = &renewed {
        detail.push_str(&format!(
            "; as a new vault {} (the backup's vault {} is kept in {location})",
            renewed.vault_id, renewed.was
        ));
        if renewed.unreadable > 0 {
            detail.push_str(&format!("; {} secrets that did not decrypt left out", renewed.unreadable));
        }
    }
    vault.record_restore(detail)?;
    crate::storage::disk::clear_pending_restore(dir)?;
    let problems = !vault.check().is_clean();
    let renewed = renewed.map(|(renewed, location)| (renewed.vault_id, location));
    Ok(Restored { vault, keys, renewed, problems })
}

/// Puts `contents` in the folder — secrets first, then the metadata that names them, as every
/// write in Keydesk — and opens the result: a restore puts an older vault back on purpose, the
/// one rollback to keep (the contents are authenticated by the password). Run again from the
/// start, it ends in the same vault: a restore cut short is finished this way.
fn apply(
    folder: VaultDir,
    mut store: Box<dyn SecretStore>,
    contents: &Contents,
    password: &SecretString,
    (source, clock, rng): (&str, Box<dyn Clock>, Box<dyn Entropy>),
) -> Result<Vault, RestoreError> {
    let file = Vault::parse(&contents.vault_text)?;
    let write =
        |name: &'static str, text: &str| {
            atomic_write(&folder.path().join(name), text.as_bytes(), true).map_err(|source| {
                RestoreError::Write { name, source, folder: folder.path().display().to_string() }
            })
        };
    if let Err((_, error)) = store.put_many(&contents.secrets, &mut |_| std::ops::ControlFlow::Continue(())) {
        return Err(error.into());
    }
    write(AUDIT_FILE, &contents.audit_text)?;
    write(VAULT_FILE, &contents.vault_text)?;
    let text = folder.read_vault()?;
    let env = Env { store, storage: Box::new(folder), clock, rng };
    let mut vault = Vault::unlock(env, file, &text, password)?;
    if vault.changed_outside().is_some() {
        vault.accept_outside_changes(source)?;
    }
    Ok(vault)
}

/// Finishes a restore into `dir` that a crash or a kill cut short (the note it wrote before its
/// first write is still there), with the master password given: the folder then holds the
/// restored vault, as if the restore had run to its end. `Ok(false)`: there was none.
pub fn finish_pending(
    dir: &Path,
    password: &SecretString,
    (open_store, clock, rng): Given<'_>,
) -> Result<bool, RestoreError> {
    let Ok(folder) = VaultDir::open(dir, true) else { return Ok(false) };
    let Some(sealed) = folder.pending_restore()? else { return Ok(false) };
    let contents = backup::open(&sealed, password).map_err(RestoreError::PendingLocked)?;
    let file = Vault::parse(&contents.vault_text)?;
    let store = open_store(file.header.secret_store, dir)?;
    let source = "keydesk: a restore cut short, finished";
    let mut vault = apply(folder, store, &contents, password, (source, clock, rng))?;
    let keys = vault.keys().iter().filter(|k| k.is_live()).count();
    vault.record_restore(format!(
        "{keys} live keys, {} secrets; finished after it was cut short",
        contents.secrets.len()
    ))?;
    drop(vault);
    crate::storage::disk::clear_pending_restore(dir)?;
    Ok(true)
}
