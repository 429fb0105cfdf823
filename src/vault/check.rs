//! Looking the vault over: which key a leaked string is, and `check` (secrets present and
//! decryptable, no orphaned store entries, the audit chain intact, the file's seal).

use super::audit::{self, Action};
use super::model::KeyRecord;
use super::{Vault, VaultError};

/// What "Which key is this?" found in a pasted text.
#[derive(Debug)]
pub struct WhoisFound {
    /// The keys found, in the order the text names them.
    pub keys: Vec<KeyRecord>,
    /// How many strings of the text were looked up.
    pub looked_at: usize,
    /// The text was too long: only its first part was looked at.
    pub cut_short: bool,
}

/// What `check` found.
#[derive(Debug)]
pub struct CheckReport {
    pub keys: usize,
    pub accounts: usize,
    pub incidents: usize,
    /// Secret-store entries that no live key names.
    pub orphans: Vec<String>,
    /// Live keys whose secret is missing, by label.
    pub missing: Vec<String>,
    /// Live keys whose secret does not decrypt, by label.
    pub undecryptable: Vec<String>,
    /// Why listing the secret store failed, if it did.
    pub store_problem: Option<String>,
    /// The audit chain's state.
    pub audit: Result<audit::ChainReport, audit::ChainError>,
    /// What to say when vault.ron was changed outside Keydesk since its last save.
    pub changed_outside: Option<String>,
}

impl CheckReport {
    /// Whether everything is in order.
    pub fn is_clean(&self) -> bool {
        self.orphans.is_empty()
            && self.missing.is_empty()
            && self.undecryptable.is_empty()
            && self.store_problem.is_none()
            && self.audit.is_ok()
            && self.changed_outside.is_none()
    }
}

impl Vault {
    /// Which keys a pasted text holds: the text is cut into candidate strings (see
    /// [`super::whois::candidates`]), each compared by keyed hash only. The look-up is audited
    /// without the text.
    pub fn whois(&mut self, text: &str) -> Result<WhoisFound, VaultError> {
        let lookup = &self.keys.lookup;
        let looked = super::whois::look_up(
            text,
            self.file.keys.iter().map(|record| ((), record.lookup_hash.as_str())),
            |(), candidate| Some(super::crypto::lookup_hash(lookup, candidate.as_bytes())),
        );
        let keys: Vec<KeyRecord> =
            looked.found.iter().filter_map(|&at| self.file.keys.get(at).cloned()).collect();
        let labels: Vec<&str> = keys.iter().map(|k| k.label.as_str()).collect();
        let detail = super::whois::audit_detail(&labels, looked.looked_at);
        let (looked_at, cut_short) = (looked.looked_at, looked.cut_short);
        let key = keys.first().filter(|_| keys.len() == 1).map(|k| k.id.clone());
        self.commit(Action::Whois, key.as_deref(), audit::Outcome::Ok, detail)?;
        Ok(WhoisFound { keys, looked_at, cut_short })
    }

    /// Entry names that live keys and accounts with management keys use.
    fn live_entries(&self) -> std::collections::HashSet<String> {
        let keys = self.file.keys.iter().filter(|k| k.is_live()).map(|k| self.entry_name(&k.id));
        let accounts =
            self.file.accounts.iter().filter(|a| a.has_management_key).map(|a| self.entry_name(&a.id));
        let mark = std::iter::once(crate::secrets::generation_mark_name(&self.file.header.vault_id));
        keys.chain(accounts).chain(mark).collect()
    }

    /// Deletes secret-store entries of this vault that no live key uses (as `check` listed
    /// them). Entries a live key uses are never touched. Returns how many were deleted.
    pub fn remove_orphans(&mut self, names: &[String]) -> Result<usize, VaultError> {
        let prefix = format!("{}/", self.file.header.vault_id);
        let live = self.live_entries();
        let mut removed = 0;
        for name in names.iter().filter(|n| n.starts_with(&prefix) && !live.contains(*n)) {
            if self.env.store.delete(name)? {
                removed += 1;
            }
        }
        self.commit(Action::Repair, None, audit::Outcome::Ok, format!("removed {removed} orphaned entries"))?;
        Ok(removed)
    }

    /// Checks the vault against its secret store and its audit log.
    pub fn check(&self) -> CheckReport {
        let mut report = CheckReport {
            keys: self.file.keys.len(),
            accounts: self.file.accounts.len(),
            incidents: self.file.incidents.len(),
            orphans: Vec::new(),
            missing: Vec::new(),
            undecryptable: Vec::new(),
            store_problem: None,
            audit: self.verify_audit(),
            changed_outside: self.changed_outside_advice(),
        };
        let prefix = format!("{}/", self.file.header.vault_id);
        let live = self.live_entries();
        match self.env.store.names(&prefix) {
            Ok(names) => report.orphans = names.into_iter().filter(|n| !live.contains(n)).collect(),
            Err(error) => report.store_problem = Some(error.to_string()),
        }
        for account in self.file.accounts.iter().filter(|a| a.has_management_key) {
            match self.load_sealed(&account.id) {
                Ok(_) => {}
                Err(VaultError::SecretMissing { .. }) => {
                    report.missing.push(format!("{} (management key)", account.name));
                }
                Err(VaultError::Crypto(_)) => {
                    report.undecryptable.push(format!("{} (management key)", account.name));
                }
                Err(error) => {
                    report.store_problem.get_or_insert(error.to_string());
                }
            }
        }
        for record in self.file.keys.iter().filter(|k| k.is_live()) {
            match self.load_secret(record) {
                Ok(_) => {}
                Err(VaultError::SecretMissing { label }) => report.missing.push(label),
                Err(VaultError::Crypto(_)) => report.undecryptable.push(record.label.clone()),
                Err(error) => {
                    report.store_problem.get_or_insert(error.to_string());
                }
            }
        }
        report
    }
}
