//! New keys in a team vault: a key made elsewhere kept ([`TeamVault::add_key`], as a local
//! vault's `add`), and a Keydesk-format key made here ([`TeamVault::generate`]).

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::accounts::find_account;
use super::{TeamError, TeamKey, TeamKeys, TeamVault};
use crate::providers::Provider;
use crate::vault::audit::Action;
use crate::vault::crypto::same_bytes;
use crate::vault::detect::Detection;
use crate::vault::model::KeyRecord;
use crate::vault::{
    AddRequest, Entropy, GenerateRequest, VaultError, keygen, new_key_id, new_key_record, recognise_kept,
    whole_seconds,
};

impl TeamVault {
    /// Keeps a key made elsewhere, as a local vault's `add` does: recognised (as its account's
    /// provider when it names one; a key the provider just made is kept in any shape), refused
    /// when the team vault holds it already or when it is an account's management key, then
    /// sealed and recorded. `existing`: the team's keys as read just before.
    pub fn add_key(
        &self,
        keys: &TeamKeys,
        existing: &[TeamKey],
        request: AddRequest,
        secret: &SecretString,
        rng: &mut dyn Entropy,
        now: DateTime<Utc>,
    ) -> Result<(KeyRecord, Detection), TeamError> {
        // Spaces and line breaks around a pasted key are a copy's, never the key's.
        let secret = SecretString::from(secret.expose_secret().trim());
        let accounts = self.accounts()?;
        let account = match request.account.as_deref() {
            Some(query) => {
                let account = find_account(&accounts, query)?;
                self.check_account_seal(keys, account)?;
                Some(account.account.clone())
            }
            None => None,
        };
        let named = request.provider.or(account.as_ref().map(|a| a.provider));
        let detection = recognise_kept(&secret, named, account.as_ref(), request.made_by_provider)?;
        if let Some(same) = existing.iter().find(|key| keys.matches(key, &secret)) {
            return Err(VaultError::Duplicate { label: same.record.label.clone() }.into());
        }
        for managing in accounts.iter().filter(|a| a.account.has_management_key) {
            let key = self.management_key(keys, managing)?;
            if same_bytes(key.expose_secret().as_bytes(), secret.expose_secret().as_bytes()) {
                return Err(VaultError::ManagementKeyPasted { account: managing.account.name.clone() }.into());
            }
        }
        let id = new_key_id(rng, |id| existing.iter().any(|key| key.record.id == *id));
        let now = whole_seconds(now);
        let mut record = new_key_record(
            id,
            request.meta,
            (detection.provider, &detection.prefix),
            &secret,
            keys.lookup_hash(&secret),
            now,
        )?;
        record.region = detection.region.clone().or_else(|| account.as_ref().and_then(|a| a.region.clone()));
        record.account = account.map(|a| a.id);
        record.provider_key_id = request.provider_key_id;
        record.scopes = request.scopes;
        let detail = format!("\"{}\", {}", record.label, detection.provider.name());
        self.add_as(keys, &record, &secret, (Action::Add.into(), &detail), rng, now)?;
        Ok((record, detection))
    }

    /// Makes a Keydesk-format key (for the team's own services) and keeps it; the secret is
    /// answered to be shown once.
    pub fn generate(
        &self,
        keys: &TeamKeys,
        existing: &[TeamKey],
        request: GenerateRequest,
        rng: &mut dyn Entropy,
        now: DateTime<Utc>,
    ) -> Result<(KeyRecord, SecretString), TeamError> {
        let secret = keygen::generate(&request.spec, rng).map_err(VaultError::from)?;
        let id = new_key_id(rng, |id| existing.iter().any(|key| key.record.id == *id));
        let now = whole_seconds(now);
        let record = new_key_record(
            id,
            request.meta,
            (Provider::Keydesk, &request.spec.prefix),
            &secret,
            keys.lookup_hash(&secret),
            now,
        )?;
        let detail =
            format!("\"{}\", {} bits", record.label, keygen::entropy_bits(request.spec.length).floor());
        self.add_as(keys, &record, &secret, (Action::Generate.into(), &detail), rng, now)?;
        Ok((record, secret))
    }
}
