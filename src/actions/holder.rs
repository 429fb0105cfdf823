//! Where a provider action reads a key, its account and the secrets a call needs, and where it
//! records what the provider said: a local vault ([`Vault`]), or a team vault with its keys
//! unlocked ([`TeamHolder`]). Verify, revoke and last use are written once against this.

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::ActionError;
use crate::providers::Provider;
use crate::team::accounts::{TeamAccount, find_account};
use crate::team::audit::TrailAction;
use crate::team::{TeamError, TeamKey, TeamKeys, TeamVault};
use crate::vault::audit::Action;
use crate::vault::model::{
    Account, KeyId, KeyRecord, ProviderUsage, UnexpectedUse, Verification, VerifyOutcome,
};
use crate::vault::{AddRequest, UsageTarget, Vault, VaultError, aws_access_key_id, os_rng, usage_detail};

/// What verify, revoke and last use need of a vault.
pub trait KeyHolder {
    /// The time to record, in whole seconds.
    fn now(&self) -> DateTime<Utc>;
    /// A key's record as it is now.
    fn key_record(&self, id: &KeyId) -> Result<KeyRecord, ActionError>;
    /// A live key's record and secret, for a call the user asked for.
    fn secret_for_call(&self, id: &KeyId) -> Result<(KeyRecord, SecretString), ActionError>;
    /// The base URL and region to call for a key: its account's, else the key's own region.
    fn call_target(&self, record: &KeyRecord) -> (Option<String>, Option<String>);
    /// The account with id `id`.
    fn account(&self, id: &str) -> Option<Account>;
    /// The account `query` names (its id, or its name ignoring case).
    fn find_account(&self, query: &str) -> Result<Account, ActionError>;
    /// An account's management key.
    fn management_key(&self, account_id: &str) -> Result<SecretString, ActionError>;
    /// Keeps a key the provider has just made over its API; answers its id and what to say
    /// about it (an unexpected shape).
    fn keep_created(
        &mut self,
        request: AddRequest,
        secret: &SecretString,
    ) -> Result<(KeyId, Option<String>), ActionError>;
    /// Records what the provider said about a key.
    fn record_verification(&mut self, id: &KeyId, outcome: VerifyOutcome) -> Result<(), ActionError>;
    /// Records that a revoke at the provider did not happen, and why.
    fn record_revoke_failure(&mut self, id: &KeyId, message: &str) -> Result<(), ActionError>;
    /// Marks a key revoked (`how`: how it went at the provider); answers a warning to show.
    fn revoke_noting(&mut self, id: &KeyId, reason: &str, how: &str) -> Result<Option<String>, ActionError>;
    /// Records what the provider said about a key's last use (`Err`: why it could not tell);
    /// `subject` (the key's id at the provider, as asked) is kept when the key had none.
    /// Answers the use that should not have happened, if the answer shows one.
    fn record_usage(
        &mut self,
        id: &KeyId,
        answer: Result<ProviderUsage, String>,
        subject: Option<String>,
    ) -> Result<Option<UnexpectedUse>, ActionError>;

    /// What a last-use question needs: the key, its id at the provider where known, and a
    /// key to ask with — its account's management key when there is one (it may ask about
    /// any key, a revoked one too), else the key itself (live keys only).
    fn usage_target(&self, id: &KeyId) -> Result<UsageTarget, ActionError> {
        let record = self.key_record(id)?;
        let account = record.account.as_deref().and_then(|a| self.account(a));
        if let Some(account) = account.filter(|a| a.has_management_key) {
            let credential = self.management_key(&account.id)?;
            let asked_with = format!("the management key of \"{}\"", account.name);
            // A live AWS key added before its id was kept names itself in its secret (read
            // only then: no other provider's key names itself).
            let subject = record.provider_key_id.clone().or_else(|| {
                let names_itself = record.provider == Provider::AmazonSes && record.is_live();
                let (_, own) = names_itself.then(|| self.secret_for_call(id).ok()).flatten()?;
                aws_access_key_id(record.provider, &own)
            });
            return Ok(UsageTarget { record, subject, credential, asked_with });
        }
        if !record.is_live() {
            return Err(
                VaultError::NoKeyToAsk { label: record.label, provider: record.provider.name() }.into()
            );
        }
        let (record, credential) = self.secret_for_call(id)?;
        let subject =
            record.provider_key_id.clone().or_else(|| aws_access_key_id(record.provider, &credential));
        Ok(UsageTarget { record, subject, credential, asked_with: UsageTarget::ITSELF.into() })
    }
}

impl KeyHolder for Vault {
    fn now(&self) -> DateTime<Utc> {
        Vault::now(self)
    }

    fn key_record(&self, id: &KeyId) -> Result<KeyRecord, ActionError> {
        Ok(self.key(id)?.clone())
    }

    fn secret_for_call(&self, id: &KeyId) -> Result<(KeyRecord, SecretString), ActionError> {
        Ok(Vault::secret_for_call(self, id)?)
    }

    fn call_target(&self, record: &KeyRecord) -> (Option<String>, Option<String>) {
        Vault::call_target(self, record)
    }

    fn account(&self, id: &str) -> Option<Account> {
        self.find_account(id).ok().cloned()
    }

    fn find_account(&self, query: &str) -> Result<Account, ActionError> {
        Ok(Vault::find_account(self, query)?.clone())
    }

    fn management_key(&self, account_id: &str) -> Result<SecretString, ActionError> {
        Ok(Vault::management_key(self, account_id)?)
    }

    fn keep_created(
        &mut self,
        request: AddRequest,
        secret: &SecretString,
    ) -> Result<(KeyId, Option<String>), ActionError> {
        let (id, detection) = self.add(request, secret)?;
        Ok((id, detection.warning))
    }

    fn record_verification(&mut self, id: &KeyId, outcome: VerifyOutcome) -> Result<(), ActionError> {
        Ok(Vault::record_verification(self, id, outcome)?)
    }

    fn record_revoke_failure(&mut self, id: &KeyId, message: &str) -> Result<(), ActionError> {
        Ok(Vault::record_revoke_failure(self, id, message)?)
    }

    fn revoke_noting(&mut self, id: &KeyId, reason: &str, how: &str) -> Result<Option<String>, ActionError> {
        Ok(Vault::revoke_noting(self, id, reason, how)?)
    }

    fn record_usage(
        &mut self,
        id: &KeyId,
        answer: Result<ProviderUsage, String>,
        subject: Option<String>,
    ) -> Result<Option<UnexpectedUse>, ActionError> {
        Ok(Vault::record_usage(self, id, answer, subject)?)
    }
}

/// A team vault unlocked, with its provider accounts as read when the action began. Every
/// key is read from the server as it is now (not from this computer's copy), and every
/// record goes to the server with its entry in the team's audit trail.
pub struct TeamHolder<'a> {
    vault: &'a TeamVault,
    keys: &'a TeamKeys,
    accounts: Vec<TeamAccount>,
    /// The team's keys as read before, for a new key's checks (read from the server if not
    /// given).
    existing: Option<Vec<TeamKey>>,
    now: DateTime<Utc>,
}

impl<'a> TeamHolder<'a> {
    /// Reads the team's accounts, each entry's seal checked: an API address changed on the
    /// server by someone without the team's key would receive the secrets sent there.
    pub fn new(vault: &'a TeamVault, keys: &'a TeamKeys, now: DateTime<Utc>) -> Result<Self, TeamError> {
        let accounts = vault.accounts()?;
        for account in &accounts {
            vault.check_account_seal(keys, account)?;
        }
        Ok(TeamHolder { vault, keys, accounts, existing: None, now: crate::vault::whole_seconds(now) })
    }

    /// Gives the team's keys as just read (this computer's copy brought up to date), so a key
    /// made at a provider is checked against them without reading every key again.
    #[must_use]
    pub fn adding(mut self, existing: Vec<TeamKey>) -> Self {
        self.existing = Some(existing);
        self
    }

    /// A key as the server has it now, its seal checked.
    fn read(&self, id: &KeyId) -> Result<TeamKey, ActionError> {
        Ok(self.vault.read_key_checked(self.keys, id)?)
    }
}

impl KeyHolder for TeamHolder<'_> {
    fn now(&self) -> DateTime<Utc> {
        self.now
    }

    fn key_record(&self, id: &KeyId) -> Result<KeyRecord, ActionError> {
        Ok(self.read(id)?.record)
    }

    fn secret_for_call(&self, id: &KeyId) -> Result<(KeyRecord, SecretString), ActionError> {
        let key = self.read(id)?;
        if !key.record.is_live() {
            return Err(VaultError::Revoked { label: key.record.label, action: "verify" }.into());
        }
        let secret = self.vault.secret_to_copy(self.keys, &key)?;
        Ok((key.record, secret))
    }

    fn call_target(&self, record: &KeyRecord) -> (Option<String>, Option<String>) {
        let account = record.account.as_deref().and_then(|id| self.account(id));
        let base_url = account.as_ref().and_then(|a| a.base_url.clone());
        let region = account.and_then(|a| a.region).or_else(|| record.region.clone());
        (base_url, region)
    }

    fn account(&self, id: &str) -> Option<Account> {
        self.accounts.iter().find(|a| a.account.id == id).map(|a| a.account.clone())
    }

    fn find_account(&self, query: &str) -> Result<Account, ActionError> {
        Ok(find_account(&self.accounts, query)?.account.clone())
    }

    fn management_key(&self, account_id: &str) -> Result<SecretString, ActionError> {
        let account = find_account(&self.accounts, account_id)?;
        Ok(self.vault.management_key(self.keys, account)?)
    }

    fn keep_created(
        &mut self,
        request: AddRequest,
        secret: &SecretString,
    ) -> Result<(KeyId, Option<String>), ActionError> {
        let existing = match self.existing.take() {
            Some(keys) => keys,
            None => self.vault.keys()?,
        };
        let kept = self.vault.add_key(self.keys, &existing, request, secret, &mut os_rng(), self.now);
        self.existing = Some(existing);
        let (record, detection) = kept?;
        Ok((record.id, detection.warning))
    }

    fn record_verification(&mut self, id: &KeyId, outcome: VerifyOutcome) -> Result<(), ActionError> {
        let label = self.read(id)?.record.label;
        let detail = if outcome.works() {
            format!("\"{label}\": {}", outcome.word())
        } else {
            format!("\"{label}\": {}: {}", outcome.word(), outcome.sentence())
        };
        let at = self.now;
        self.vault.note_on_key(
            self.keys,
            id,
            (Action::Verify.into(), &detail),
            |record| record.last_verified = Some(Verification { at, outcome: outcome.clone() }),
            at,
        )?;
        Ok(())
    }

    fn record_revoke_failure(&mut self, id: &KeyId, message: &str) -> Result<(), ActionError> {
        let label = self.read(id)?.record.label;
        let detail = format!("\"{label}\": {message}");
        self.vault.note_on_key(
            self.keys,
            id,
            (TrailAction::failed(Action::Revoke), &detail),
            |record| record.provider_revoke_pending = Some(message.to_owned()),
            self.now,
        )?;
        Ok(())
    }

    fn revoke_noting(&mut self, id: &KeyId, reason: &str, how: &str) -> Result<Option<String>, ActionError> {
        let key = self.read(id)?;
        Ok(self.vault.revoke(self.keys, &key, reason, how, self.now)?)
    }

    fn record_usage(
        &mut self,
        id: &KeyId,
        answer: Result<ProviderUsage, String>,
        subject: Option<String>,
    ) -> Result<Option<UnexpectedUse>, ActionError> {
        let key = self.read(id)?;
        let label = key.record.label.clone();
        let usage = match answer {
            Ok(usage) => usage,
            Err(why) => {
                let detail = format!("\"{label}\": {why}");
                self.vault.record(
                    self.keys,
                    TrailAction::failed(Action::Usage),
                    Some((id, key.version)),
                    &detail,
                    self.now,
                )?;
                return Ok(None);
            }
        };
        let flag = usage.last_used.and_then(|at| key.record.unexpected_use_at(at));
        let detail = format!("\"{label}\": {}", usage_detail(&usage, flag.as_ref()));
        self.vault.note_on_key(
            self.keys,
            id,
            (Action::Usage.into(), &detail),
            |record| {
                record.usage = Some(Box::new(usage.clone()));
                if record.provider_key_id.is_none() {
                    record.provider_key_id.clone_from(&subject);
                }
            },
            self.now,
        )?;
        Ok(flag)
    }
}
