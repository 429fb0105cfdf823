//! An in-memory [`SecretStore`] for fast core tests. Never used by the app itself.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::{SecretStore, SecretStoreError};

/// Values in a shared map, so a test can look inside or inject failures.
#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    values: BTreeMap<String, String>,
    fail_next: Option<fn() -> SecretStoreError>,
    /// Generation marks, apart from the values (as the file store keeps them apart too).
    marks: BTreeMap<String, String>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the next call fail with the error `make` builds.
    pub fn fail_next(&self, make: fn() -> SecretStoreError) {
        self.lock().fail_next = Some(make);
    }

    /// A copy of everything stored (sealed values).
    pub fn snapshot(&self) -> BTreeMap<String, String> {
        self.lock().values.clone()
    }

    /// Removes an entry behind the vault's back (to test orphan and missing checks).
    pub fn remove_behind_back(&self, name: &str) {
        self.lock().values.remove(name);
    }

    /// Adds an entry behind the vault's back.
    pub fn insert_behind_back(&self, name: &str, value: &str) {
        self.lock().values.insert(name.to_owned(), value.to_owned());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn injected(&self) -> Result<(), SecretStoreError> {
        match self.lock().fail_next.take() {
            Some(make) => Err(make()),
            None => Ok(()),
        }
    }
}

impl SecretStore for MemoryStore {
    fn put(&mut self, name: &str, value: &str) -> Result<(), SecretStoreError> {
        self.injected()?;
        self.lock().values.insert(name.to_owned(), value.to_owned());
        Ok(())
    }

    fn get(&self, name: &str) -> Result<String, SecretStoreError> {
        self.injected()?;
        self.lock()
            .values
            .get(name)
            .cloned()
            .ok_or_else(|| SecretStoreError::Missing { name: name.to_owned() })
    }

    fn delete(&mut self, name: &str) -> Result<bool, SecretStoreError> {
        self.injected()?;
        Ok(self.lock().values.remove(name).is_some())
    }

    fn generation_mark(&self, vault_id: &str) -> Result<Option<String>, SecretStoreError> {
        Ok(self.lock().marks.get(vault_id).cloned())
    }

    fn set_generation_mark(&mut self, vault_id: &str, mark: &str) -> Result<(), SecretStoreError> {
        self.injected()?;
        self.lock().marks.insert(vault_id.to_owned(), mark.to_owned());
        Ok(())
    }

    fn names(&self, prefix: &str) -> Result<Vec<String>, SecretStoreError> {
        self.injected()?;
        Ok(self.lock().values.keys().filter(|k| k.starts_with(prefix)).cloned().collect())
    }
}
