//! Create a key at the provider over its API (SendGrid, Mailgun), then keep it in the vault.

use secrecy::SecretString;

use super::ActionError;
use super::Store;
use crate::providers::Provider;
use crate::providers::http::Client;
use crate::providers::manage::{self, CreateSpec, ManageError};
use crate::providers::verify as check;
use crate::vault::model::KeyId;
use crate::vault::{AddRequest, VaultError};

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
    vault: &(impl Store + ?Sized),
    account: &str,
    mut request: AddRequest,
    scopes: &[String],
) -> Result<CreatePlan, ActionError> {
    let account = vault.find_account(account)?;
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
    /// Said to the user (a key of an unexpected shape, kept as made).
    pub warning: Option<String>,
}

/// Keeps the created key. If the vault cannot keep it, the key is deleted at the provider
/// again (or, failing that, returned in the error path so it is not lost).
pub fn finish_create(
    vault: &mut (impl Store + ?Sized),
    called: CreateCalled,
    client: &Client,
) -> Result<Created, (ActionError, Option<SecretString>)> {
    let CreateCalled { plan, result } = called;
    let created = result.map_err(|e| (e.into(), None))?;
    let mut request = plan.request;
    request.provider_key_id = Some(created.provider_key_id.clone());
    request.made_by_provider = true;
    request.scopes = created.scopes.clone();
    match vault.add_key(request, &created.secret) {
        Ok((key_id, detection)) => Ok(Created {
            key_id,
            provider: plan.provider,
            secret: created.secret,
            warning: detection.warning,
        }),
        Err(error) => {
            let undone = manage::revoke_key(
                client,
                plan.provider,
                &plan.url,
                &plan.management_key,
                &created.provider_key_id,
            );
            let leftover = if undone.is_ok() { None } else { Some(created.secret) };
            Err((error, leftover))
        }
    }
}
