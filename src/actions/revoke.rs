//! Revoke a key: at the provider over its API, guided through the provider's page (and the old
//! key checked), or in Keydesk alone; the vault records only what happened.

use secrecy::SecretString;

use super::{ActionError, Store, VerifyPlan, plan_verify_of};
use crate::providers::Provider;
use crate::providers::http::Client;
use crate::providers::manage::{self, ManageError, Revoked};
use crate::providers::verify::{self as check, VerifyError};
use crate::vault::VaultError;
use crate::vault::model::{KeyId, KeyRecord, VerifyOutcome};

enum RevokeWay {
    /// Keydesk keys, keys of unknown providers, or the user's choice: only the vault.
    Local { note: &'static str },
    /// Over the provider's API with the account's management key.
    Api { url: String, management_key: SecretString, provider_key_id: String },
    /// The user revoked it on the provider's page; Keydesk checks the old key if it can.
    Guided { check: Option<VerifyPlan> },
}

/// What a revoke needs.
pub struct RevokePlan {
    pub key_id: KeyId,
    pub label: String,
    pub provider: Provider,
    integrations: Vec<String>,
    legacy_mailgun: bool,
    way: RevokeWay,
}

/// How the network part went.
pub struct RevokeCalled {
    plan: RevokePlan,
    answer: RevokeAnswer,
}

impl RevokeCalled {
    /// The key the revoke was for.
    pub fn key_id(&self) -> &KeyId {
        &self.plan.key_id
    }
}

enum RevokeAnswer {
    None,
    Api(Result<Revoked, ManageError>),
    Checked(Result<VerifyOutcome, VerifyError>),
}

/// How the key will be revoked, for a dialog to say before it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeRoute {
    Local,
    AtProvider(Provider),
    Guided { provider: Provider, page: &'static str },
}

/// Says how a key would be revoked (no secret is read).
pub fn revoke_route(vault: &(impl Store + ?Sized), record: &KeyRecord) -> RevokeRoute {
    let account = record.account.as_deref().and_then(|id| vault.account(id));
    revoke_route_of(record, account.as_ref())
}

/// [`revoke_route`] with the key's account as last read (`None`: none, or not read yet).
pub fn revoke_route_of(record: &KeyRecord, account: Option<&crate::vault::model::Account>) -> RevokeRoute {
    let provider = record.provider;
    if matches!(provider, Provider::Keydesk | Provider::Other) {
        return RevokeRoute::Local;
    }
    let api = account.is_some_and(|a| a.has_management_key && provider.info().api_revoke);
    if api && record.provider_key_id.is_some() {
        RevokeRoute::AtProvider(provider)
    } else {
        RevokeRoute::Guided { provider, page: provider.info().keys_page }
    }
}

/// How the user asked for a revoke to be done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RevokeOptions {
    /// The user says the key was already revoked on the provider's page (guided revoke).
    pub confirmed_at_provider: bool,
    /// Revoke in Keydesk only, without calling or asking about the provider.
    pub local_only: bool,
}

/// Decides how to revoke and reads what that needs.
pub fn plan_revoke(
    vault: &(impl Store + ?Sized),
    id: &KeyId,
    reason: &str,
    options: RevokeOptions,
) -> Result<RevokePlan, ActionError> {
    let RevokeOptions { confirmed_at_provider, local_only } = options;
    let record = vault.key_record(id)?;
    if !record.is_live() {
        return Err(VaultError::Revoked { label: record.label, action: "revoke" }.into());
    }
    if reason.trim().is_empty() {
        return Err(VaultError::EmptyReason.into());
    }
    let provider = record.provider;
    let way = match (local_only, revoke_route(vault, &record)) {
        (true, _) => RevokeWay::Local { note: "in Keydesk only" },
        (false, RevokeRoute::Local) => RevokeWay::Local { note: "" },
        (false, RevokeRoute::AtProvider(_)) => {
            let account_id = record.account.clone().unwrap_or_default();
            let account =
                vault.account(&account_id).ok_or(VaultError::UnknownAccount { query: account_id })?;
            RevokeWay::Api {
                url: check::base_url(provider, account.base_url.as_deref(), account.region.as_deref())?,
                management_key: vault.management_key(&account.id)?,
                provider_key_id: record.provider_key_id.clone().unwrap_or_default(),
            }
        }
        (false, RevokeRoute::Guided { page, .. }) => {
            if !confirmed_at_provider {
                let tail: String =
                    record.hint.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
                return Err(ActionError::NeedsConfirmation { provider: provider.name(), page, tail });
            }
            let check = match (provider.info().verify, vault.secret_for_call(&record.id)) {
                (Some(_), Ok((record, secret))) => plan_verify_of(vault, &record, secret).ok(),
                _ => None,
            };
            RevokeWay::Guided { check }
        }
    };
    Ok(RevokePlan {
        key_id: record.id.clone(),
        label: record.label.clone(),
        provider,
        integrations: still_using(&record),
        legacy_mailgun: provider == Provider::Mailgun && record.hint.starts_with("key-"),
        way,
    })
}

/// [`plan_revoke`], then, when the user said where the key leaked, its incident opened
/// before anything is revoked (the revoke, and the replacement after it, join its timeline):
/// the plan, and the incident's id when one was opened. Nothing is opened for a revoke that
/// would be refused.
pub fn plan_revoke_of_leak(
    vault: &mut (impl Store + ?Sized),
    id: &KeyId,
    reason: &str,
    options: RevokeOptions,
    leak: Option<&crate::vault::incidents::IncidentReport>,
) -> Result<(RevokePlan, Option<String>), ActionError> {
    let plan = plan_revoke(vault, id, reason, options)?;
    let opened = leak.map(|report| vault.open_incident(id, report)).transpose()?;
    Ok((plan, opened))
}

impl RevokePlan {
    /// Whether the plan makes a network call.
    pub fn calls_provider(&self) -> bool {
        !matches!(self.way, RevokeWay::Local { .. } | RevokeWay::Guided { check: None })
    }

    /// The network part (none for a local revoke).
    pub fn call(self, client: &Client) -> RevokeCalled {
        let answer =
            match &self.way {
                RevokeWay::Local { .. } | RevokeWay::Guided { check: None } => RevokeAnswer::None,
                RevokeWay::Api { url, management_key, provider_key_id } => RevokeAnswer::Api(
                    manage::revoke_key(client, self.provider, url, management_key, provider_key_id),
                ),
                RevokeWay::Guided { check: Some(plan) } => RevokeAnswer::Checked(check::verify(
                    client,
                    plan.provider,
                    &plan.url,
                    &plan.secret,
                    plan.now,
                    plan.facts,
                )),
            };
        RevokeCalled { plan: self, answer }
    }
}

/// What a finished revoke reports.
pub struct RevokeDone {
    /// One sentence for the user.
    pub message: String,
    /// Extra things to tell (grace windows, a secret that could not be deleted).
    pub notes: Vec<String>,
}

/// The integrations that still use `record`: an integration its rotation moved to the new key
/// (updated and tested there) uses it no more.
fn still_using(record: &KeyRecord) -> Vec<String> {
    let moved = |name: &str| {
        record.rotation.as_ref().is_some_and(|r| r.steps.iter().any(|s| s.integration == name && s.moved()))
    };
    record.integrations.iter().filter(|i| !moved(&i.name)).map(|i| i.name.clone()).collect()
}

/// Records the revoke, or the reason it did not happen.
pub fn finish_revoke(
    vault: &mut (impl Store + ?Sized),
    called: RevokeCalled,
    reason: &str,
) -> Result<RevokeDone, ActionError> {
    let RevokeCalled { plan, answer } = called;
    let provider = plan.provider;
    let mut notes: Vec<String> = Vec::new();
    let how = match (&plan.way, answer) {
        (RevokeWay::Local { note }, _) => (*note).to_owned(),
        (RevokeWay::Api { .. }, RevokeAnswer::Api(Ok(Revoked::Deleted))) => {
            format!("revoked at {}", provider.name())
        }
        (RevokeWay::Api { .. }, RevokeAnswer::Api(Ok(Revoked::AlreadyGone))) => {
            format!("already gone at {}", provider.name())
        }
        (RevokeWay::Api { .. }, RevokeAnswer::Api(Err(error))) => {
            let message = format!("Not revoked at {} yet: {error}", provider.name());
            super::changes::record_revoke_failure(vault, &plan.key_id, &message)?;
            return Err(ActionError::NotRevokedYet { provider: provider.name(), cause: error.to_string() });
        }
        (RevokeWay::Guided { .. }, answer) => {
            notes.extend(provider.grace_window().map(str::to_owned));
            let confirmed = format!("revoked by hand on {}'s page", provider.name());
            match answer {
                RevokeAnswer::Checked(Ok(outcome)) => {
                    super::changes::record_verification(vault, &plan.key_id, &outcome)?;
                    match outcome {
                        o if o.works() && plan.legacy_mailgun => {
                            format!("{confirmed}; it still works during Mailgun's 48-hour grace window")
                        }
                        o if o.works() => {
                            let page = provider.info().keys_page;
                            let message = format!(
                                "{} still accepts this key: delete it on {page}, then try again.",
                                provider.name()
                            );
                            super::changes::record_revoke_failure(vault, &plan.key_id, &message)?;
                            return Err(ActionError::StillWorks { provider: provider.name(), page });
                        }
                        // Only a refusal proves the key is dead; a 403 or a key that cannot
                        // be checked proves nothing.
                        o if o.refused() => format!("{confirmed}; {} now refuses it", provider.name()),
                        other => {
                            notes.push(format!(
                                "Could not confirm at {}: {}",
                                provider.name(),
                                other.sentence()
                            ));
                            format!("{confirmed}; not checked")
                        }
                    }
                }
                RevokeAnswer::Checked(Err(error)) => {
                    notes.push(format!("Could not check the old key: {error}"));
                    format!("{confirmed}; not checked")
                }
                _ => confirmed,
            }
        }
        (RevokeWay::Api { .. }, _) => String::new(),
    };
    if let Some(warning) = vault.revoke_noting(&plan.key_id, reason, &how)? {
        notes.push(warning);
    }
    let how_text = if how.is_empty() { String::new() } else { format!(" ({how})") };
    let follow = if plan.integrations.is_empty() {
        String::new()
    } else {
        format!(" Update what used it: {}.", plan.integrations.join(", "))
    };
    Ok(RevokeDone { message: format!("Revoked \"{}\"{how_text}.{follow}", plan.label), notes })
}
