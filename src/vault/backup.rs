//! One file that holds a whole vault — `vault.ron`, the audit log and every sealed secret —
//! encrypted under the master password, to carry a vault to a new machine or back after a
//! keychain was emptied. Pure: the caller reads and writes the files.
//!
//! The file: `keydesk-backup` RON with its own format number, the KDF cost and salt, and the
//! XChaCha20-Poly1305 ciphertext of the contents. The secrets inside stay sealed by the
//! vault's data key as well, so the backup is encrypted twice over.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::crypto::{self, CryptoError, KdfParams};
use super::{Entropy, VaultError};

/// The backup format this Keydesk writes and reads.
pub const BACKUP_FORMAT: u32 = 1;

/// What identifies the ciphertext (bound as associated data).
const BACKUP_AD: &[u8] = b"keydesk-backup-1";

/// The largest backup file read.
pub const MAX_BACKUP_BYTES: u64 = 1024 * 1024 * 1024;

/// The outer file.
#[derive(Serialize, Deserialize)]
struct BackupFile {
    kind: String,
    format: u32,
    kdf: KdfParams,
    salt: String,
    sealed: String,
}

/// What a backup holds. Secret values are the sealed texts the store keeps, by entry name.
#[derive(Serialize, Deserialize)]
pub struct Contents {
    pub vault_text: String,
    pub audit_text: String,
    pub secrets: Vec<(String, String)>,
}

impl Drop for Contents {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        for (_, value) in &mut self.secrets {
            value.zeroize();
        }
    }
}

/// Why a backup could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("This is not a Keydesk backup file: choose the file `keydesk backup` wrote.")]
    NotABackup,
    #[error(
        "This backup was written by a newer Keydesk (backup format {found}): restore it with that version."
    )]
    Newer { found: u32 },
    #[error(
        "The password does not open this backup: type the master password the vault had when it was backed up."
    )]
    WrongPassword,
}

/// Encrypts `contents` under `password` with `kdf`.
pub fn seal(
    contents: &Contents,
    password: &SecretString,
    kdf: KdfParams,
    rng: &mut dyn Entropy,
) -> Result<Vec<u8>, VaultError> {
    let plain = Zeroizing::new(
        ron::to_string(contents).map_err(|_ron_error| VaultError::Render { what: "the backup" })?,
    );
    let mut salt = [0u8; crypto::SALT_LEN];
    rng.fill(&mut salt);
    let kek = crypto::derive_kek(password, &salt, kdf)?;
    let sealed = crypto::seal(&kek, BACKUP_AD, plain.as_bytes(), rng)?;
    let file = BackupFile {
        kind: "keydesk-backup".into(),
        format: BACKUP_FORMAT,
        kdf,
        salt: B64.encode(salt),
        sealed: B64.encode(sealed),
    };
    let text = ron::ser::to_string_pretty(&file, ron::ser::PrettyConfig::new())
        .map_err(|_ron_error| VaultError::Render { what: "the backup" })?;
    Ok(text.into_bytes())
}

/// The outer file's kind and format, read without the password.
#[derive(Deserialize)]
struct Probe {
    kind: String,
    format: u32,
}

/// Whether `bytes` are a Keydesk backup file (of any format), told by its content without
/// the password: the `keydesk-backup` kind that [`seal`] writes.
pub fn is_backup(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| ron::from_str::<Probe>(text).ok())
        .is_some_and(|probe| probe.kind == "keydesk-backup")
}

/// Opens a backup with `password`.
pub fn open(bytes: &[u8], password: &SecretString) -> Result<Contents, BackupError> {
    let text = std::str::from_utf8(bytes).map_err(|_not_utf8| BackupError::NotABackup)?;
    let probe: Probe = ron::from_str(text).map_err(|_ron_error| BackupError::NotABackup)?;
    if probe.kind != "keydesk-backup" {
        return Err(BackupError::NotABackup);
    }
    if probe.format > BACKUP_FORMAT {
        return Err(BackupError::Newer { found: probe.format });
    }
    let file: BackupFile = ron::from_str(text).map_err(|_ron_error| BackupError::NotABackup)?;
    let salt = B64.decode(&file.salt).map_err(|_bad_base64| BackupError::NotABackup)?;
    let sealed = B64.decode(&file.sealed).map_err(|_bad_base64| BackupError::NotABackup)?;
    // The cost is checked before anything is derived (a planted cost would stall here).
    let kek = crypto::derive_kek(password, &salt, file.kdf).map_err(|error| match error {
        CryptoError::KdfOutOfRange => BackupError::NotABackup,
        _ => BackupError::WrongPassword,
    })?;
    let plain = crypto::open(&kek, BACKUP_AD, &sealed).map_err(|_tampered| BackupError::WrongPassword)?;
    let plain = std::str::from_utf8(&plain).map_err(|_not_utf8| BackupError::NotABackup)?;
    ron::from_str(plain).map_err(|_ron_error| BackupError::NotABackup)
}
