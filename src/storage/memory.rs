//! An in-memory [`VaultStorage`] for core tests: keeps every saved text.

use std::sync::{Arc, Mutex};

use super::{StorageError, VaultStorage};

/// The saved vault texts and the audit log, shared so a test can read them.
#[derive(Clone, Default)]
pub struct MemoryStorage {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    saves: Vec<String>,
    audit: String,
    fail_saves: bool,
    saves_not_durable: bool,
    /// Saves that land before every later one fails.
    saves_left: Option<usize>,
}

impl MemoryStorage {
    /// Empty storage.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The last saved `vault.ron` text.
    pub fn last_save(&self) -> Option<String> {
        self.lock().saves.last().cloned()
    }

    /// How many times the vault was saved.
    pub fn save_count(&self) -> usize {
        self.lock().saves.len()
    }

    /// The audit log text.
    pub fn audit(&self) -> String {
        self.lock().audit.clone()
    }

    /// Puts `text` in place of the audit log (a test's way to cut lines from its end).
    pub fn replace_audit(&self, text: &str) {
        text.clone_into(&mut self.lock().audit);
    }

    /// Appends raw text to the audit log (a test's way to leave a torn line).
    pub fn append_raw_audit(&self, text: &str) {
        self.lock().audit.push_str(text);
    }

    /// Makes every later save fail (as a full disk would).
    pub fn fail_saves(&self, fail: bool) {
        self.lock().fail_saves = fail;
    }

    /// Lets `n` more saves land, then makes every later one fail (as a disk that fills up).
    pub fn fail_saves_after(&self, n: usize) {
        self.lock().saves_left = Some(n);
    }

    /// Makes every later save land but fail to be made durable (a folder fsync that fails
    /// after the rename).
    pub fn saves_not_durable(&self, on: bool) {
        self.lock().saves_not_durable = on;
    }
}

impl VaultStorage for MemoryStorage {
    fn save(&mut self, text: &str) -> Result<(), StorageError> {
        let mut inner = self.lock();
        let exhausted = inner.saves_left == Some(0);
        if let Some(left) = &mut inner.saves_left {
            *left = left.saturating_sub(1);
        }
        if inner.fail_saves || exhausted {
            return Err(StorageError::Io {
                action: "save the vault",
                path: "memory".into(),
                source: std::io::Error::other("disk full"),
            });
        }
        inner.saves.push(text.to_owned());
        if inner.saves_not_durable {
            return Err(StorageError::NotDurable {
                path: "memory".into(),
                source: std::io::Error::other("fsync failed"),
            });
        }
        Ok(())
    }

    fn append_audit(&mut self, line: &str) -> Result<(), StorageError> {
        let mut inner = self.lock();
        inner.audit.push_str(line);
        inner.audit.push('\n');
        Ok(())
    }

    fn read_audit(&self) -> Result<String, StorageError> {
        Ok(self.lock().audit.clone())
    }

    fn read_previous(&self) -> Option<String> {
        let inner = self.lock();
        inner.saves.len().checked_sub(2).map(|at| inner.saves[at].clone())
    }

    fn drop_torn_audit_tail(&mut self) -> Result<bool, StorageError> {
        let mut inner = self.lock();
        if inner.audit.is_empty() || inner.audit.ends_with('\n') {
            return Ok(false);
        }
        let keep = inner.audit.rfind('\n').map_or(0, |at| at + 1);
        inner.audit.truncate(keep);
        Ok(true)
    }
}
