//! Provider accounts in a team vault, at `accounts/<id>`: the account's record (what a local
//! vault keeps of it in `vault.ron`: name, provider, region, API address) and its management
//! key sealed with the team's data key, under an entry seal, as keys are. A key names its
//! account by id, so `verify`, `usage` and a revoke call the address the account gives with
//! the credentials it holds.
//!
//! An editor's token may add an account; removing one (its history goes with it, so the
//! sealed management key leaves the server) is the admin's.

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::kv::KvError;
use super::{B64, TeamError, TeamKey, TeamKeys, TeamVault};
use crate::vault::audit::Action;
use crate::vault::crypto;
use crate::vault::model::Account;
use crate::vault::{AccountRequest, Entropy, VaultError, new_account};
use base64::Engine as _;

/// An account as read from the server: its record, the version read, and its sealed
/// management key (empty when it has none).
#[derive(Debug, Clone)]
pub struct TeamAccount {
    pub account: Account,
    pub version: u64,
    pub changed_by: String,
    /// The generation of the team's data key its entry was sealed under.
    pub generation: u64,
    record_text: String,
    secret: String,
    seal: String,
    /// The version its seal binds it to (none in entries written before seals bound one).
    bound: Option<u64>,
}

/// The account `query` names (its id, or its name ignoring case).
pub fn find_account<'a>(accounts: &'a [TeamAccount], query: &str) -> Result<&'a TeamAccount, VaultError> {
    let query = query.trim();
    accounts
        .iter()
        .find(|a| a.account.id == query)
        .or_else(|| accounts.iter().find(|a| a.account.name.eq_ignore_ascii_case(query)))
        .ok_or_else(|| VaultError::UnknownAccount { query: query.to_owned() })
}

/// What an account's seal and sealed key are bound to: never a key's id (ids hold no space).
fn subject(id: &str) -> String {
    format!("account {id}")
}

impl TeamVault {
    /// The team's provider accounts, by name.
    pub fn accounts(&self) -> Result<Vec<TeamAccount>, TeamError> {
        let mut found = Vec::new();
        for id in self.kv.list("accounts")? {
            // Keydesk's account ids are `a` and hex; anything else is not one it wrote.
            if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                continue;
            }
            if let Some(account) = self.read_account(&id)? {
                found.push(account);
            }
        }
        found.sort_by_key(|a| a.account.name.to_lowercase());
        Ok(found)
    }

    fn read_account(&self, id: &str) -> Result<Option<TeamAccount>, TeamError> {
        let what = format!("account {id}");
        let Some(stored) = self.read_stored(&format!("accounts/{id}"), &what)? else { return Ok(None) };
        let account = stored.account(&what)?;
        if account.id != id {
            return Err(TeamError::Tampered { what });
        }
        let super::Stored { record_text, secret, seal, changed_by, generation, version, bound } = stored;
        Ok(Some(TeamAccount { account, version, changed_by, generation, record_text, secret, seal, bound }))
    }

    /// Adds a provider account (with its management key, sealed, when there is one) and
    /// records it. Answers the account as kept.
    pub fn add_account(
        &self,
        keys: &TeamKeys,
        request: AccountRequest,
        management_key: Option<&SecretString>,
        rng: &mut dyn Entropy,
        now: DateTime<Utc>,
    ) -> Result<Account, TeamError> {
        self.check_generation(keys)?;
        let existing: Vec<Account> = self.accounts()?.into_iter().map(|a| a.account).collect();
        let account =
            new_account(request, &existing, management_key.is_some(), rng, crate::vault::whole_seconds(now))?;
        let subject = subject(&account.id);
        let sealed = match management_key {
            Some(key) => self.seal_secret(keys, &subject, key, rng)?,
            None => String::new(),
        };
        let text = Self::account_text(&account)?;
        match self.write_entry(keys, (&format!("accounts/{}", account.id), &subject), (&text, &sealed), 0) {
            Err(KvError::Conflict) => {
                return Err(TeamError::Changed { by: "Another member".into() });
            }
            other => other?,
        };
        let with_key = if account.has_management_key { " with its management key" } else { "" };
        let detail = format!("\"{}\", {}{with_key}", account.name, account.provider.name());
        self.record(keys, Action::AccountAdd, None, &detail, now)
            .map_err(|error| TeamError::Unaudited { cause: error.to_string() })?;
        Ok(account)
    }

    /// Removes the account `query` names, with its history (its sealed management key goes
    /// from the server), when no live key in `keys_now` uses it. Only an admin's token may.
    pub fn remove_account(
        &self,
        keys: &TeamKeys,
        query: &str,
        keys_now: &[TeamKey],
        now: DateTime<Utc>,
    ) -> Result<Account, TeamError> {
        let accounts = self.accounts()?;
        // Its seal is not asked for: removing is also how an admin is rid of an entry changed
        // on the server (nothing of it is used; its id is the path's).
        let account = find_account(&accounts, query)?.account.clone();
        let users = keys_now
            .iter()
            .filter(|k| k.record.is_live() && k.record.account.as_deref() == Some(&account.id))
            .count();
        if users > 0 {
            return Err(VaultError::AccountInUse { name: account.name, keys: users }.into());
        }
        match self.kv.delete_all(&format!("accounts/{}", account.id)) {
            Err(KvError::Denied { .. }) => {
                return Err(
                    KvError::Denied { doing: "remove provider accounts", policy: "keydesk-admin" }.into()
                );
            }
            other => other?,
        }
        let detail = format!("\"{}\", {}", account.name, account.provider.name());
        self.record(keys, Action::AccountRemove, None, &detail, now)
            .map_err(|error| TeamError::Unaudited { cause: error.to_string() })?;
        Ok(account)
    }

    /// An account's management key, after its entry's seal is checked.
    pub fn management_key(&self, keys: &TeamKeys, account: &TeamAccount) -> Result<SecretString, TeamError> {
        self.check_account_seal(keys, account)?;
        if !account.account.has_management_key || account.secret.is_empty() {
            return Err(VaultError::NoManagementKey { name: account.account.name.clone() }.into());
        }
        let tampered = || TeamError::Tampered { what: format!("account \"{}\"", account.account.name) };
        let sealed = B64.decode(&account.secret).map_err(|_bad| tampered())?;
        let ad = self.secret_ad(&subject(&account.account.id));
        let plain = crypto::open(&keys.at(account.generation)?.data, ad.as_bytes(), &sealed)
            .map_err(|_bad| tampered())?;
        let text = std::str::from_utf8(&plain).map_err(|_bad| tampered())?;
        Ok(SecretString::from(text))
    }

    /// Refuses an account whose entry was changed by someone without the team's data key.
    pub fn check_account_seal(&self, keys: &TeamKeys, account: &TeamAccount) -> Result<(), TeamError> {
        let subject = subject(&account.account.id);
        let entry = super::SealedRef {
            subject: &subject,
            record_text: &account.record_text,
            secret: &account.secret,
            changed_by: &account.changed_by,
            seal: &account.seal,
            generation: account.generation,
            version: account.version,
            bound: account.bound,
        };
        self.check_entry(keys, &entry, true, &|| format!("account \"{}\"", account.account.name))
    }

    /// Keeps what account `id`'s management key may do, as its test just listed (the health
    /// report judges it), and records it; nothing is written when the list is the one kept.
    pub fn note_management_scopes(
        &self,
        keys: &TeamKeys,
        id: &str,
        scopes: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), TeamError> {
        loop {
            let Some(found) = self.read_account(id)? else {
                return Err(VaultError::UnknownAccount { query: id.to_owned() }.into());
            };
            if found.account.management_scopes.as_deref() == Some(scopes) {
                return Ok(());
            }
            self.check_account_seal(keys, &found)?;
            let mut account = found.account.clone();
            account.management_scopes = Some(scopes.to_vec());
            let text = Self::account_text(&account)?;
            let (under, subject) = (format!("accounts/{id}"), subject(id));
            // Sealed again under the current generation, as the entry is written under it.
            let sealed = if account.has_management_key {
                let key = self.management_key(keys, &found)?;
                self.seal_secret(keys, &subject, &key, &mut *self.entropy())?
            } else {
                String::new()
            };
            match self.write_entry(keys, (&under, &subject), (&text, &sealed), found.version) {
                Err(KvError::Conflict) => continue,
                other => other?,
            };
            let detail = crate::vault::management_scopes_detail(&account.name, scopes);
            self.record(keys, Action::Verify, None, &detail, now)
                .map_err(|error| TeamError::Unaudited { cause: error.to_string() })?;
            return Ok(());
        }
    }

    /// Seals account `id` again under the current generation (for a member's removal) and
    /// destroys its older versions. Answers whether it was.
    pub(super) fn reseal_account(
        &self,
        keys: &TeamKeys,
        id: &str,
        rng: &mut dyn Entropy,
        now: DateTime<Utc>,
    ) -> Result<bool, TeamError> {
        loop {
            let Some(found) = self.read_account(id)? else { return Ok(false) };
            if found.generation == keys.generation() {
                return Ok(false);
            }
            let subject = subject(id);
            let sealed = if found.account.has_management_key {
                let key = self.management_key(keys, &found)?;
                self.seal_secret(keys, &subject, &key, rng)?
            } else {
                self.check_account_seal(keys, &found)?;
                String::new()
            };
            let under = format!("accounts/{id}");
            let version = match self.write_entry(
                keys,
                (&under, &subject),
                (&found.record_text, &sealed),
                found.version,
            ) {
                Err(KvError::Conflict) => continue,
                other => other?,
            };
            let older: Vec<u64> = (1..version).collect();
            self.kv.destroy(&format!("accounts/{id}"), &older)?;
            self.record(keys, Action::Rekey, None, &format!("account \"{}\"", found.account.name), now)?;
            return Ok(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_found_by_id_or_by_name_ignoring_case() {
        let account = |id: &str, name: &str| TeamAccount {
            account: Account {
                id: id.into(),
                name: name.into(),
                provider: crate::providers::Provider::SendGrid,
                region: None,
                base_url: None,
                has_management_key: false,
                management_scopes: None,
                created_at: chrono::DateTime::UNIX_EPOCH,
            },
            version: 1,
            changed_by: "ana".into(),
            generation: 0,
            record_text: String::new(),
            secret: String::new(),
            seal: String::new(),
            bound: Some(1),
        };
        let accounts = [account("a0102030405", "SG prod"), account("a0a0b0c0d0e", "Brevo")];
        assert_eq!(
            find_account(&accounts, "sg PROD").map(|a| a.account.id.as_str()).ok(),
            Some("a0102030405")
        );
        assert_eq!(
            find_account(&accounts, " a0a0b0c0d0e ").map(|a| a.account.name.as_str()).ok(),
            Some("Brevo")
        );
        assert!(matches!(find_account(&accounts, "Mailgun"), Err(VaultError::UnknownAccount { .. })));
        // The secret is bound to "account <id>", which no key id (hex, no space) can be.
        assert_eq!(subject("a0102030405"), "account a0102030405");
    }
}
