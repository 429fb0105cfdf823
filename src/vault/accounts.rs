//! Provider accounts and the vault's side of network operations: the secrets they need, and
//! recording what the provider said. The calls themselves are made by the caller
//! (`crate::providers`), never here.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::audit::Action;
use super::model::{Account, KeyId, KeyRecord, ProviderUsage, UnexpectedUse};
use super::{Entropy, MAX_LABEL, Vault, VaultError, random_hex};
use crate::providers::Provider;
use crate::providers::catalogue::check_base_url;

/// A new provider account.
#[derive(Debug, Clone)]
pub struct AccountRequest {
    pub name: String,
    pub provider: Provider,
    pub region: Option<String>,
    pub base_url: Option<String>,
}

/// What a last-use question needs (`actions::Store::usage_target`). Holds a secret: no `Debug`.
pub struct UsageTarget {
    pub record: KeyRecord,
    /// The key's id at the provider (AWS access key id, Elastic Email key name), if known.
    pub subject: Option<String>,
    pub credential: SecretString,
    /// Whose key asks, for sentences ([`UsageTarget::ITSELF`], or an account's key).
    pub asked_with: String,
}

impl UsageTarget {
    /// `asked_with` when the key asks about itself.
    pub const ITSELF: &'static str = "the key itself";
}

impl Vault {
    /// The provider accounts.
    pub fn accounts(&self) -> &[Account] {
        &self.file.accounts
    }

    /// Finds an account by id or by name (ignoring case).
    pub fn find_account(&self, query: &str) -> Result<&Account, VaultError> {
        let query = query.trim();
        self.file
            .accounts
            .iter()
            .find(|a| a.id == query)
            .or_else(|| self.file.accounts.iter().find(|a| a.name.eq_ignore_ascii_case(query)))
            .ok_or_else(|| VaultError::UnknownAccount { query: query.to_owned() })
    }

    /// Adds an account; its management key (if any) goes to the secret store first.
    pub fn add_account(
        &mut self,
        request: AccountRequest,
        management_key: Option<&SecretString>,
    ) -> Result<String, VaultError> {
        let now = self.now();
        let account =
            new_account(request, &self.file.accounts, management_key.is_some(), self.env.rng.as_mut(), now)?;
        let (id, name, provider) = (account.id.clone(), account.name.clone(), account.provider);
        if let Some(key) = &management_key {
            self.store_secret(&id, key)?;
        }
        let detail = format!("\"{name}\", {}", provider.name());
        self.apply(Action::AccountAdd, None, detail, |file| {
            file.accounts.push(account);
            Ok(())
        })
        .inspect_err(|error| self.take_back_secret(&id, error))?;
        Ok(id)
    }

    /// Removes an account no live key uses: metadata first, then its management key.
    pub fn remove_account(&mut self, query: &str) -> Result<(), VaultError> {
        let account = self.find_account(query)?.clone();
        let users = self
            .file
            .keys
            .iter()
            .filter(|k| k.is_live() && k.account.as_deref() == Some(&account.id))
            .count();
        if users > 0 {
            return Err(VaultError::AccountInUse { name: account.name, keys: users });
        }
        let detail = format!("\"{}\"", account.name);
        self.apply(Action::AccountRemove, None, detail, |file| {
            file.accounts.retain(|a| a.id != account.id);
            Ok(())
        })?;
        if account.has_management_key {
            self.forget_secret(&account.id);
        }
        Ok(())
    }

    /// An account's management key, for a call the user asked for.
    pub fn management_key(&self, account_id: &str) -> Result<SecretString, VaultError> {
        let account = self.find_account(account_id)?;
        if !account.has_management_key {
            return Err(VaultError::NoManagementKey { name: account.name.clone() });
        }
        let name = account.name.clone();
        // No secret leaves for a provider call while changes Keydesk did not make are pending
        // (a planted API address would receive it).
        self.hand_out_sealed(&account.id).map_err(|error| match error {
            VaultError::SecretMissing { .. } => {
                VaultError::SecretMissing { label: format!("{name} (management key)") }
            }
            other => other,
        })
    }

    /// Keeps what account `account_id`'s management key may do, as its test just listed
    /// (the health report judges it); recorded as a `verify` line without a key. Nothing is
    /// written when the list is the one kept.
    pub fn note_management_scopes(
        &mut self,
        account_id: &str,
        scopes: Vec<String>,
    ) -> Result<(), VaultError> {
        let account = self.find_account(account_id)?;
        if account.management_scopes.as_ref() == Some(&scopes) {
            return Ok(());
        }
        let id = account.id.clone();
        let detail = management_scopes_detail(&account.name, &scopes);
        self.apply(Action::Verify, None, detail, |file| {
            if let Some(account) = file.accounts.iter_mut().find(|a| a.id == id) {
                account.management_scopes = Some(scopes);
            }
            Ok(())
        })
    }

    /// The name of the account whose management key `secret` is, if any (compared in
    /// constant time; management keys are few).
    pub(super) fn account_managed_by(&self, secret: &SecretString) -> Option<String> {
        let candidate = secret.expose_secret().as_bytes();
        self.file.accounts.iter().filter(|a| a.has_management_key).find_map(|account| {
            let key = self.load_sealed(&account.id).ok()?;
            let same = crate::vault::crypto::same_bytes(key.expose_secret().as_bytes(), candidate);
            same.then(|| account.name.clone())
        })
    }

    /// A live key and its secret, for a call the user asked for (verify, revoke).
    pub fn secret_for_call(&self, id: &KeyId) -> Result<(KeyRecord, SecretString), VaultError> {
        let record = self.key(id)?.clone();
        if !record.is_live() {
            return Err(VaultError::Revoked { label: record.label, action: "verify" });
        }
        let secret = self.hand_out(&record)?;
        Ok((record, secret))
    }

    /// The base URL and region to call for a key: its account's override and region, else
    /// the key's own region (Mailchimp's data centre).
    pub fn call_target(&self, record: &KeyRecord) -> (Option<String>, Option<String>) {
        let account = record.account.as_deref().and_then(|id| self.file.accounts.iter().find(|a| a.id == id));
        let base_url = account.and_then(|a| a.base_url.clone());
        let region = account.and_then(|a| a.region.clone()).or_else(|| record.region.clone());
        (base_url, region)
    }
}

/// An account as `request` describes it, checked (a name, unique among `existing` ignoring
/// case; an address Keydesk may call; a region the provider has) and given a new id.
pub fn new_account(
    request: AccountRequest,
    existing: &[Account],
    has_management_key: bool,
    rng: &mut dyn Entropy,
    now: DateTime<Utc>,
) -> Result<Account, VaultError> {
    let name = request.name.trim().to_owned();
    if name.is_empty() {
        return Err(VaultError::EmptyAccountName);
    }
    if name.chars().count() > MAX_LABEL || name.chars().any(char::is_control) {
        return Err(VaultError::TooLong { field: "account name", max: MAX_LABEL });
    }
    if existing.iter().any(|a| a.name.eq_ignore_ascii_case(&name)) {
        return Err(VaultError::DuplicateAccount { name });
    }
    let base_url =
        request.base_url.map(|u| u.trim().trim_end_matches('/').to_owned()).filter(|u| !u.is_empty());
    if let Some(url) = &base_url {
        check_base_url(url).map_err(|why| VaultError::BadBaseUrl { url: url.clone(), why })?;
    }
    let region = request.region.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    if let Some(region) = &region {
        let info = request.provider.info();
        let known = info.regions.iter().any(|(name, _)| name.eq_ignore_ascii_case(region))
            || (info.base_url.contains("{dc}") && region.chars().all(|c| c.is_ascii_alphanumeric()));
        if !known {
            return Err(VaultError::UnknownRegion {
                provider: request.provider.name(),
                region: region.clone(),
            });
        }
    }
    let id = loop {
        let id = format!("a{}", random_hex(rng, 5));
        if !existing.iter().any(|a| a.id == id) {
            break id;
        }
    };
    Ok(Account {
        id,
        name,
        provider: request.provider,
        region,
        base_url,
        has_management_key,
        management_scopes: None,
        created_at: now,
    })
}

/// The detail of the line that records a management key's scopes.
pub fn management_scopes_detail(account: &str, scopes: &[String]) -> String {
    format!("management key of \"{account}\": {} scopes", scopes.len())
}

/// A last-use answer in words, as the audit trail keeps it: "last used 2026-11-20 08:30 UTC
/// (detail), per source", and the flag when the use should not have happened.
pub fn usage_detail(usage: &ProviderUsage, flag: Option<&UnexpectedUse>) -> String {
    let mut detail = match usage.last_used {
        Some(at) => format!("last used {}", at.format("%Y-%m-%d %H:%M UTC")),
        None => "never used".to_owned(),
    };
    if !usage.detail.is_empty() {
        detail.push_str(&format!(" ({})", usage.detail));
    }
    detail.push_str(&format!(", per {}", usage.source));
    if let Some(flag) = flag {
        detail.push_str(&format!(
            " — after it was {}: possible unauthorized use",
            if flag.revoked { "revoked" } else { "replaced everywhere" }
        ));
    }
    detail
}
