//! Secrets in `secrets.ron` inside the vault folder, for machines without an OS keychain.
//!
//! The user chooses this store when creating the vault and the choice is recorded in the
//! header. Values are already sealed by the vault's data key, so the file alone reveals
//! nothing. Writes are atomic (see [`crate::storage::atomic_write`]).

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use super::{SecretStore, SecretStoreError};
use crate::storage::atomic_write;

/// The file name inside the vault folder.
pub const FILE_NAME: &str = "secrets.ron";
/// The largest generation mark read (a mark is a few dozen bytes).
const MAX_MARK_BYTES: u64 = 4096;

/// Sealed values in a RON map.
pub struct FileStore {
    path: PathBuf,
    values: BTreeMap<String, String>,
}

impl FileStore {
    /// Opens (or starts) `secrets.ron` in `dir`. A file that does not parse is an error and is
    /// never overwritten.
    pub fn open(dir: &Path) -> Result<Self, SecretStoreError> {
        let path = dir.join(FILE_NAME);
        let read =
            crate::storage::disk::read_limited(&path, crate::storage::disk::MAX_VAULT_BYTES, FILE_NAME);
        let values = match read {
            Ok(bytes) => ron::from_str(&String::from_utf8_lossy(&bytes)).map_err(|e| {
                SecretStoreError::FileCorrupt {
                    path: path.clone(),
                    line: e.span.start.line,
                    column: e.span.start.col,
                }
            })?,
            Err(crate::storage::disk::Limited::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                BTreeMap::new()
            }
            Err(crate::storage::disk::Limited::Io(source)) => {
                return Err(SecretStoreError::File { action: "read", path, source });
            }
            Err(crate::storage::disk::Limited::Refused(refused)) => {
                return Err(SecretStoreError::File {
                    action: "read",
                    path,
                    source: std::io::Error::other(refused.to_string()),
                });
            }
        };
        Ok(FileStore { path, values })
    }

    fn save(&self) -> Result<(), SecretStoreError> {
        let config = ron::ser::PrettyConfig::new();
        let mut text = ron::ser::to_string_pretty(&self.values, config)
            .map_err(|_ron_error| SecretStoreError::Render)?;
        text.push('\n');
        // A file Keydesk could not read back would lock every key out: refused before writing.
        let max = crate::storage::disk::MAX_VAULT_BYTES;
        if text.len() as u64 > max {
            return Err(SecretStoreError::TooLarge {
                megabytes: (text.len() as u64).div_ceil(1024 * 1024),
                max_megabytes: max / (1024 * 1024),
            });
        }
        atomic_write(&self.path, text.as_bytes(), true).map_err(|source| SecretStoreError::File {
            action: "write",
            path: self.path.clone(),
            source,
        })
    }
}

impl SecretStore for FileStore {
    fn put(&mut self, name: &str, value: &str) -> Result<(), SecretStoreError> {
        let previous = self.values.insert(name.to_owned(), value.to_owned());
        self.save().inspect_err(|_| {
            match previous {
                Some(old) => self.values.insert(name.to_owned(), old),
                None => self.values.remove(name),
            };
        })
    }

    /// All in one write of the file (one write per value would rewrite it each time).
    fn put_many(
        &mut self,
        entries: &[(String, String)],
        progress: &mut dyn FnMut(usize) -> ControlFlow<()>,
    ) -> Result<usize, (usize, SecretStoreError)> {
        if progress(0).is_break() {
            return Ok(0);
        }
        let before = self.values.clone();
        self.values.extend(entries.iter().cloned());
        if let Err(error) = self.save() {
            self.values = before;
            return Err((0, error));
        }
        let _at_the_end_nothing_is_left_to_stop = progress(entries.len());
        Ok(entries.len())
    }

    fn get(&self, name: &str) -> Result<String, SecretStoreError> {
        self.values.get(name).cloned().ok_or_else(|| SecretStoreError::Missing { name: name.to_owned() })
    }

    fn delete(&mut self, name: &str) -> Result<bool, SecretStoreError> {
        let Some(old) = self.values.remove(name) else { return Ok(false) };
        self.save().inspect_err(|_| {
            self.values.insert(name.to_owned(), old);
        })?;
        Ok(true)
    }

    fn names(&self, prefix: &str) -> Result<Vec<String>, SecretStoreError> {
        Ok(self.values.keys().filter(|k| k.starts_with(prefix)).cloned().collect())
    }

    /// Saved once more, unchanged: `secrets.ron.bak` becomes this version.
    fn forget_previous_versions(&mut self) -> Result<(), SecretStoreError> {
        self.save()
    }

    /// `secrets.ron` travels with the folder, so the mark lives in the user's state folder.
    fn generation_mark(&self, vault_id: &str) -> Result<Option<String>, SecretStoreError> {
        use crate::storage::disk::{Limited, read_limited};
        let Some(path) = mark_path(vault_id) else { return Ok(None) };
        // A mark is a few dozen bytes; a FIFO or a device in its place is refused, not waited on.
        match read_limited(&path, MAX_MARK_BYTES, "generation mark") {
            Ok(mark) => Ok(Some(String::from_utf8_lossy(&mark).trim().to_owned())),
            Err(Limited::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(Limited::Io(source)) => Err(SecretStoreError::File { action: "read", path, source }),
            Err(Limited::Refused(refused)) => {
                let detail = match refused {
                    crate::storage::StorageError::Unreadable { detail, .. } => detail,
                    other => other.to_string(),
                };
                Err(SecretStoreError::MarkUnreadable { detail, path })
            }
        }
    }

    fn set_generation_mark(&mut self, vault_id: &str, mark: &str) -> Result<(), SecretStoreError> {
        let Some(path) = mark_path(vault_id) else { return Ok(()) };
        if let Some(parent) = path.parent() {
            private_dirs(parent).map_err(|source| SecretStoreError::File {
                action: "write",
                path: path.clone(),
                source,
            })?;
        }
        atomic_write(&path, mark.as_bytes(), false).map_err(|source| SecretStoreError::File {
            action: "write",
            path,
            source,
        })
    }
}

/// Makes `dir` and its missing parents private to the user (0700 whatever the umask), and
/// `dir` itself private if it was there already: whoever can write the marks can hide a
/// rollback.
fn private_dirs(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(dir)?;
        let parent_made = dir.parent().filter(|p| p.file_name().is_some_and(|n| n == "keydesk"));
        for made in std::iter::once(dir).chain(parent_made) {
            std::fs::set_permissions(made, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    builder.create(dir)
}

/// Where a file-store vault's generation mark is kept: outside any vault folder, in the
/// user's state folder (`~/.local/state/keydesk` on Linux). The vault id is hex: a safe name.
fn mark_path(vault_id: &str) -> Option<PathBuf> {
    if vault_id.is_empty() || !vault_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let dirs = directories::ProjectDirs::from("", "", "keydesk")?;
    let base = dirs.state_dir().unwrap_or_else(|| dirs.data_local_dir());
    Some(base.join("generations").join(format!("{vault_id}.mark")))
}
