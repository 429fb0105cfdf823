//! Operations that combine the vault with a provider: verify, create at the provider, revoke.
//!
//! Each is split in three so a window can keep its UI thread free: `plan_*` reads what the
//! call needs from the vault (on the caller's thread), the plan's `call` does the network
//! work (on any thread; it owns everything it needs), and `finish_*` records the answer in the
//! vault. The command line runs the three in a row. Plans hold secrets, so none is `Debug`.

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::providers::Provider;
use crate::providers::http::{Client, HttpConfig};
use crate::providers::manage::{self, CreateSpec, ManageError, Revoked};
use crate::providers::verify::{self as check, VerifyError};
use crate::vault::model::{KeyId, KeyRecord, VerifyOutcome};
use crate::vault::{AddRequest, Vault, VaultError};

/// Why an action did not happen. Messages are sentences without secrets.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error(transparent)]
    Manage(#[from] ManageError),
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
}

/// What the provider said.
pub struct VerifyCalled {
    pub key_id: KeyId,
    pub outcome: Result<VerifyOutcome, VerifyError>,
}

/// Reads the key and where to call for it.
pub fn plan_verify(vault: &Vault, id: &KeyId) -> Result<VerifyPlan, ActionError> {
    let (record, secret) = vault.secret_for_call(id)?;
    plan_verify_of(vault, &record, secret)
}

fn plan_verify_of(
    vault: &Vault,
    record: &KeyRecord,
    secret: SecretString,
) -> Result<VerifyPlan, ActionError> {
    let (base_url, region) = vault.call_target(record);
    let url = match check::base_url(record.provider, base_url.as_deref(), region.as_deref()) {
        Ok(url) => url,
        Err(VerifyError::NoEndpoint { .. }) if record.provider == Provider::Keydesk => String::new(),
        Err(error) => return Err(error.into()),
    };
    Ok(VerifyPlan {
        key_id: record.id.clone(),
        label: record.label.clone(),
        provider: record.provider,
        url,
        secret,
        now: vault.now(),
    })
}

impl VerifyPlan {
    /// The one request.
    pub fn call(self, client: &Client) -> VerifyCalled {
        let outcome = check::verify(client, self.provider, &self.url, &self.secret, self.now);
        VerifyCalled { key_id: self.key_id, outcome }
    }
}

/// Records the outcome on the key and in the audit log.
pub fn finish_verify(vault: &mut Vault, called: VerifyCalled) -> Result<VerifyOutcome, ActionError> {
    let outcome = called.outcome?;
    vault.record_verification(&called.key_id, outcome.clone())?;
    Ok(outcome)
}

// ---------------------------------------------------------------------------------------
// Create at the provider

/// What a create call needs.
pub struct CreatePlan {
    provider: Provider,
    url: String,
    management_key: SecretString,
    spec: CreateSpec,
    request: AddRequest,
}

/// The provider's answer.
pub struct CreateCalled {
    plan: CreatePlan,
    result: Result<manage::CreatedKey, ManageError>,
}

/// Checks the request and reads the account's management key.
pub fn plan_create(
    vault: &Vault,
    account: &str,
    mut request: AddRequest,
    scopes: &[String],
) -> Result<CreatePlan, ActionError> {
    let account = vault.find_account(account)?.clone();
    let provider = account.provider;
    if !provider.info().api_create {
        return Err(ActionError::CreateOnPage { provider: provider.name(), page: provider.info().keys_page });
    }
    if request.meta.label.trim().is_empty() {
        return Err(VaultError::EmptyLabel.into());
    }
    let management_key = vault.management_key(&account.id)?;
    let url = check::base_url(provider, account.base_url.as_deref(), account.region.as_deref())?;
    let spec = CreateSpec::from_words(provider, request.meta.label.trim(), scopes);
    request.provider = Some(provider);
    request.account = Some(account.id);
    Ok(CreatePlan { provider, url, management_key, spec, request })
}

impl CreatePlan {
    /// The platform the key is made at.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The create request.
    pub fn call(self, client: &Client) -> CreateCalled {
        let result = manage::create_key(client, self.provider, &self.url, &self.management_key, &self.spec);
        CreateCalled { plan: self, result }
    }
}

/// The key the provider made, kept in the vault.
pub struct Created {
    pub key_id: KeyId,
    pub provider: Provider,
    /// To show once.
    pub secret: SecretString,
}

/// Keeps the created key. If the vault cannot keep it, the key is deleted at the provider
/// again (or, failing that, returned in the error path so it is not lost).
pub fn finish_create(
    vault: &mut Vault,
    called: CreateCalled,
    client: &Client,
) -> Result<Created, (ActionError, Option<SecretString>)> {
    let CreateCalled { plan, result } = called;
    let created = result.map_err(|e| (e.into(), None))?;
    let mut request = plan.request;
    request.provider_key_id = Some(created.provider_key_id.clone());
    request.scopes = created.scopes.clone();
    match vault.add(request, &created.secret) {
        Ok((key_id, _)) => Ok(Created { key_id, provider: plan.provider, secret: created.secret }),
        Err(error) => {
            let undone = manage::revoke_key(
                client,
                plan.provider,
                &plan.url,
                &plan.management_key,
                &created.provider_key_id,
            );
            let leftover = if undone.is_ok() { None } else { Some(created.secret) };
            Err((error.into(), leftover))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Revoke

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
pub fn revoke_route(vault: &Vault, record: &KeyRecord) -> RevokeRoute {
    let provider = record.provider;
    if matches!(provider, Provider::Keydesk | Provider::Other) {
        return RevokeRoute::Local;
    }
    let account = record.account.as_deref().and_then(|id| vault.find_account(id).ok());
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
    vault: &Vault,
    id: &KeyId,
    reason: &str,
    options: RevokeOptions,
) -> Result<RevokePlan, ActionError> {
    let RevokeOptions { confirmed_at_provider, local_only } = options;
    let record = vault.key(id)?.clone();
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
            let account = vault.find_account(&account_id)?.clone();
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
        integrations: record.integrations.iter().map(|i| i.name.clone()).collect(),
        legacy_mailgun: provider == Provider::Mailgun && record.hint.starts_with("key-"),
        way,
    })
}

impl RevokePlan {
    /// Whether the plan makes a network call.
    pub fn calls_provider(&self) -> bool {
        !matches!(self.way, RevokeWay::Local { .. } | RevokeWay::Guided { check: None })
    }

    /// The network part (none for a local revoke).
    pub fn call(self, client: &Client) -> RevokeCalled {
        let answer = match &self.way {
            RevokeWay::Local { .. } | RevokeWay::Guided { check: None } => RevokeAnswer::None,
            RevokeWay::Api { url, management_key, provider_key_id } => RevokeAnswer::Api(manage::revoke_key(
                client,
                self.provider,
                url,
                management_key,
                provider_key_id,
            )),
            RevokeWay::Guided { check: Some(plan) } => {
                RevokeAnswer::Checked(check::verify(client, plan.provider, &plan.url, &plan.secret, plan.now))
            }
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

/// Records the revoke, or the reason it did not happen.
pub fn finish_revoke(
    vault: &mut Vault,
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
            vault.record_revoke_failure(&plan.key_id, &message)?;
            return Err(ActionError::NotRevokedYet { provider: provider.name(), cause: error.to_string() });
        }
        (RevokeWay::Guided { .. }, answer) => {
            notes.extend(provider.grace_window().map(str::to_owned));
            let confirmed = format!("user confirmed it was revoked at {}", provider.name());
            match answer {
                RevokeAnswer::Checked(Ok(outcome)) => {
                    vault.record_verification(&plan.key_id, outcome.clone())?;
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
                            vault.record_revoke_failure(&plan.key_id, &message)?;
                            return Err(ActionError::StillWorks { provider: provider.name(), page });
                        }
                        VerifyOutcome::Unauthorized => {
                            format!("{confirmed}; {} now refuses it", provider.name())
                        }
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

/// Tests an account's management key (the network part; read the key with
/// [`Vault::management_key`] first).
pub fn test_account(
    client: &Client,
    provider: Provider,
    url: &str,
    key: &SecretString,
) -> Result<String, ActionError> {
    Ok(manage::test_connection(client, provider, url, key)?)
}
