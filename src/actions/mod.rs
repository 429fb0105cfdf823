//! Operations that combine the vault with a provider: verify, create at the provider, revoke,
//! and last use at the provider.
//!
//! Each is split in three so a window can keep its UI thread free: `plan_*` reads what the
//! call needs from the vault (on the caller's thread), the plan's `call` does the network
//! work (on any thread; it owns everything it needs), and `finish_*` records the answer in the
//! vault. The command line runs the three in a row. Plans hold secrets, so none is `Debug`.

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::providers::Provider;
use crate::providers::http::{Client, HttpConfig};
use crate::providers::manage::{self, ManageError};
use crate::providers::verify::{self as check, VerifyError};
use crate::vault::VaultError;
use crate::vault::model::{KeyId, KeyRecord, VerifyOutcome};

mod capabilities;
pub mod changes;
pub mod check_all;
mod create;
pub mod fill;
pub mod guard;
pub mod restore;
mod revoke;
mod store;
pub mod team;
pub mod transfer;
mod usage;

pub use capabilities::{Backup, Capabilities, Changes};
pub use create::{CreateCalled, CreatePlan, Created, finish_create, plan_create};
pub use revoke::{
    RevokeCalled, RevokeDone, RevokeOptions, RevokePlan, RevokeRoute, finish_revoke, plan_revoke,
    plan_revoke_of_leak, revoke_route, revoke_route_of,
};
pub use store::{Store, TeamStore};
pub use usage::{
    UsageCalled, UsageFound, UsagePlan, finish_usage, plan_usage, unexpected_sentence, usage_sentence,
};

/// Why an action did not happen. Messages are sentences without secrets.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Team(#[from] crate::team::TeamError),
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error(transparent)]
    Manage(#[from] ManageError),
    #[error(transparent)]
    Usage(crate::providers::usage::UsageError),
    /// A guided revoke needs the user to revoke the key on the provider's page first.
    #[error(
        "Revoke it at {provider} first: open {page}, delete the key ending in {tail}, then confirm that you did."
    )]
    NeedsConfirmation { provider: &'static str, page: &'static str, tail: String },
    #[error(
        "{provider} keys are made on its page, not over its API: open {page}, create the key, then add it here and paste it."
    )]
    CreateOnPage { provider: &'static str, page: &'static str },
    #[error("Not revoked at {provider} yet: {cause} The key stays active in Keydesk.")]
    NotRevokedYet { provider: &'static str, cause: String },
    #[error("{provider} still accepts this key: delete it on {page}, then try again.")]
    StillWorks { provider: &'static str, page: &'static str },
    #[error("The warning about \"{label}\" could not be recorded: {cause}")]
    WarningNotRecorded { label: String, cause: Box<ActionError> },
    /// This computer's settings of a team vault (`team.ron`) could not be read or written.
    #[error(transparent)]
    Settings(#[from] team::FolderError),
}

/// The client every action uses.
pub fn client() -> Client {
    Client::new(HttpConfig::default())
}

// ---------------------------------------------------------------------------------------
// Verify

/// What a verify call needs.
pub struct VerifyPlan {
    pub key_id: KeyId,
    pub label: String,
    provider: Provider,
    url: String,
    secret: SecretString,
    now: DateTime<Utc>,
    facts: check::KeyFacts,
    /// Known before any request: the key's own region differs from its account's.
    mismatch: Option<String>,
    /// (region name, base URL) to try when the first answer is a refusal.
    other_regions: Vec<(String, String)>,
}

/// What the provider said.
pub struct VerifyCalled {
    pub key_id: KeyId,
    pub outcome: Result<VerifyOutcome, VerifyError>,
    /// The HTTP status the outcome was read from, when an answer came.
    pub status: Option<u16>,
}

/// Reads the key and where to call for it.
pub fn plan_verify(vault: &(impl Store + ?Sized), id: &KeyId) -> Result<VerifyPlan, ActionError> {
    let (record, secret) = vault.secret_for_call(id)?;
    plan_verify_of(vault, &record, secret)
}

fn plan_verify_of(
    vault: &(impl Store + ?Sized),
    record: &KeyRecord,
    secret: SecretString,
) -> Result<VerifyPlan, ActionError> {
    let (base_url, account_region) = vault.call_target(record);
    // A Mailchimp key names its own data centre; an account that says another one is wrong.
    let mut mismatch = None;
    let region = match (record.provider, &record.region, &account_region) {
        (Provider::Mailchimp, Some(own), Some(said))
            if !own.eq_ignore_ascii_case(said) && base_url.is_none() =>
        {
            mismatch = Some(format!(
                "this key belongs to Mailchimp's data centre {own}, but its account says {said}: set the account's region to {own}, or leave it empty"
            ));
            Some(own.clone())
        }
        (Provider::Mailchimp, Some(own), _) => Some(own.clone()),
        _ => account_region,
    };
    let url = match check::base_url(record.provider, base_url.as_deref(), region.as_deref()) {
        Ok(url) => url,
        Err(VerifyError::NoEndpoint { .. }) if record.provider == Provider::Keydesk => String::new(),
        Err(error) => return Err(error.into()),
    };
    // Where else the key may live, tried only when the first answer is a refusal: the
    // provider's other regions, unless the account pins an address.
    let other_regions = if base_url.is_some() {
        Vec::new()
    } else {
        let info = record.provider.info();
        std::iter::once(("default", info.base_url))
            .chain(info.regions.iter().copied())
            .filter(|(_, candidate)| *candidate != url && !candidate.contains("{dc}"))
            .map(|(name, candidate)| (name.to_owned(), candidate.to_owned()))
            .collect()
    };
    Ok(VerifyPlan {
        key_id: record.id.clone(),
        label: record.label.clone(),
        provider: record.provider,
        url,
        secret,
        now: vault.now(),
        facts: check::KeyFacts::from_scopes(&record.scopes),
        mismatch,
        other_regions,
    })
}

impl VerifyPlan {
    /// The request (and, after a refusal, one to each of the provider's other regions).
    pub fn call(self, client: &Client) -> VerifyCalled {
        self.ask(client)
    }

    /// [`VerifyPlan::call`], keeping the plan (to ask again after a rate limit).
    pub fn ask(&self, client: &Client) -> VerifyCalled {
        if let Some(fix) = &self.mismatch {
            return VerifyCalled {
                key_id: self.key_id.clone(),
                outcome: Ok(VerifyOutcome::WrongRegion { fix: fix.clone() }),
                status: None,
            };
        }
        let checked =
            check::verify_checked(client, self.provider, &self.url, &self.secret, self.now, self.facts);
        if let Ok(first) = &checked
            && first.outcome.refused()
        {
            for (region, url) in &self.other_regions {
                let elsewhere =
                    check::verify_checked(client, self.provider, url, &self.secret, self.now, self.facts);
                if let Ok(found) = elsewhere
                    && found.outcome.works()
                {
                    let fix = format!(
                        "the key works in {}'s {region} region ({url}): set the account's region to match",
                        self.provider.name()
                    );
                    return VerifyCalled {
                        key_id: self.key_id.clone(),
                        outcome: Ok(VerifyOutcome::WrongRegion { fix }),
                        status: found.status,
                    };
                }
            }
        }
        let status = checked.as_ref().ok().and_then(|c| c.status);
        VerifyCalled { key_id: self.key_id.clone(), outcome: checked.map(|c| c.outcome), status }
    }
}

/// Records the outcome on the key and in the audit log.
pub fn finish_verify(
    vault: &mut (impl Store + ?Sized),
    called: VerifyCalled,
) -> Result<VerifyOutcome, ActionError> {
    let outcome = called.outcome?;
    changes::record_verification(vault, &called.key_id, &outcome)?;
    Ok(outcome)
}

/// Tests an account's management key (the network part; read the key with
/// [`Vault::management_key`] first).
pub fn test_account(
    client: &Client,
    provider: Provider,
    url: &str,
    key: &SecretString,
) -> Result<manage::Tested, ActionError> {
    Ok(manage::test_connection(client, provider, url, key)?)
}
