//! Commands that talk to providers: verify, accounts, create and revoke at the provider, and
//! the guided revoke for providers without key management over their API. Network calls
//! happen only here, only for the command the user typed.

use secrecy::ExposeSecret;
use serde_json::json;

use super::args::{AccountCommand, RevokeArgs, UsageArgs};
use super::commands::{note, out, print_secret};
use super::{CliError, input};
use crate::actions::{self, ActionError, Store};
use crate::providers::Provider;
use crate::providers::verify as check;
use crate::vault::model::{Account, KeyId, VerifyOutcome};
use crate::vault::{AccountRequest, AddRequest};

fn failed(error: impl std::fmt::Display) -> CliError {
    CliError::Failed(error.to_string())
}

/// Verifies key `id` of a local or a team vault, and says what the provider answered.
pub fn verify_key(vault: &mut (impl Store + ?Sized), id: &KeyId, json: bool) -> Result<(), CliError> {
    let called = actions::plan_verify(vault, id).map_err(failed)?.call(&actions::client());
    let status = called.status;
    let outcome = actions::finish_verify(vault, called).map_err(failed)?;
    if json {
        let record = vault.key_record(id).map_err(failed)?;
        let (scopes, note) = match &outcome {
            VerifyOutcome::Works { scopes, note } => (scopes.clone(), note.clone()),
            _ => (Vec::new(), None),
        };
        let value = serde_json::json!({
            "key": id.as_str(),
            "label": record.label,
            "provider": record.provider.slug(),
            "outcome": outcome.word(),
            "works": outcome.works(),
            "sentence": outcome.sentence(),
            "http_status": status,
            "permissions": scopes,
            "note": note,
        });
        out(&serde_json::to_string_pretty(&value)
            .map_err(|_unprintable| CliError::Failed("Could not write the answer as JSON.".into()))?)?;
    } else {
        out(&outcome.sentence())?;
    }
    if outcome.works() { Ok(()) } else { Err(CliError::Quiet) }
}

/// Asks the provider when key `id` of a local or a team vault was last used, and says it.
pub fn usage_of(vault: &mut (impl Store + ?Sized), id: &KeyId, args: &UsageArgs) -> Result<(), CliError> {
    let called =
        actions::plan_usage(vault, id, args.name.as_deref()).map_err(failed)?.call(&actions::client());
    let found = actions::finish_usage(vault, called).map_err(failed)?;
    let provider = vault.key_record(id).map_err(failed)?.provider;
    let now = vault.now();
    let flag = found.unexpected.map(|flag| actions::unexpected_sentence(provider, &flag));
    if args.json {
        let value = json!({
            "key": id.as_str(),
            "provider": provider.slug(),
            "last_used": found.usage.last_used.map(|t| t.to_rfc3339()),
            "detail": (!found.usage.detail.is_empty()).then_some(&found.usage.detail),
            "source": found.usage.source,
            "checked_at": found.usage.checked_at.to_rfc3339(),
            "possible_unauthorized_use": flag.is_some(),
            "sentence": actions::usage_sentence(provider, &found.usage, now),
        });
        out(&serde_json::to_string_pretty(&value)
            .map_err(|_unprintable| CliError::Failed("Could not write the answer as JSON.".into()))?)?;
    } else {
        out(&actions::usage_sentence(provider, &found.usage, now))?;
    }
    match flag {
        Some(flag) => Err(CliError::Failed(flag)),
        None => Ok(()),
    }
}

/// `keydesk account ...`.
pub fn account(store: &mut (impl Store + ?Sized), command: AccountCommand) -> Result<(), CliError> {
    match command {
        AccountCommand::Add(args) => {
            let provider = provider_named(&args.provider)?;
            let key = management_key_from_stdin()?;
            let request =
                AccountRequest { name: args.name, provider, region: args.region, base_url: args.base_url };
            let account = store.add_account(request, key.as_ref())?;
            let place = store.shared_place().map(|place| format!(" to {place}")).unwrap_or_default();
            out(&format!(
                "Added the {} account \"{}\"{place}{}.",
                provider.name(),
                account.name,
                if account.has_management_key { " with its management key" } else { "" }
            ))
        }
        AccountCommand::List(args) => list_accounts(&store.account_list(), args.json),
        AccountCommand::Remove(args) => {
            let account = store.remove_account(&args.account)?;
            let place = store.shared_place().map(|place| format!(" from {place}")).unwrap_or_default();
            out(&format!("Removed the account \"{}\"{place}.", account.name))
        }
        AccountCommand::Test(args) => {
            let account = store.find_account(&args.account)?;
            let key = store.management_key(&account.id)?;
            let tested = test_account(&account, &key)?;
            // What the key may do, kept for the health report (SendGrid lists it).
            if let Some(scopes) = tested.scopes {
                store.note_management_scopes(&account.id, scopes)?;
            }
            Ok(())
        }
    }
}

/// The provider named by `--provider`, or the sentence that lists the known ones.
pub fn provider_named(name: &str) -> Result<Provider, CliError> {
    Provider::from_name(name).ok_or_else(|| {
        CliError::Usage(format!(
            "\"{name}\" is not a provider Keydesk knows: use one of {}.",
            Provider::slugs()
        ))
    })
}

/// An account's management key from stdin (an empty line: none), as one line.
pub fn management_key_from_stdin() -> Result<Option<secrecy::SecretString>, CliError> {
    let key = input::key_from_stdin("Management key (Enter for none): ")?;
    let key = (!key.expose_secret().is_empty()).then_some(key);
    if let Some(key) = &key
        && key.expose_secret().chars().any(char::is_whitespace)
    {
        return Err(CliError::Failed(
            "The management key has a space or a line break inside it: copy it again as one line.".into(),
        ));
    }
    Ok(key)
}

/// `keydesk account test`: asks the provider whether the management key works, says so, and
/// answers what it found.
pub fn test_account(
    account: &Account,
    key: &secrecy::SecretString,
) -> Result<crate::providers::manage::Tested, CliError> {
    let url = check::base_url(account.provider, account.base_url.as_deref(), account.region.as_deref())
        .map_err(failed)?;
    let tested = actions::test_account(&actions::client(), account.provider, &url, key).map_err(failed)?;
    out(&tested.words)?;
    Ok(tested)
}

/// `keydesk account list`, of a local or a team vault.
pub fn list_accounts(accounts: &[Account], json: bool) -> Result<(), CliError> {
    if json {
        let list: Vec<_> = accounts
            .iter()
            .map(|a| {
                json!({
                    "id": a.id, "name": a.name, "provider": a.provider.slug(), "region": a.region,
                    "base_url": a.base_url, "has_management_key": a.has_management_key,
                })
            })
            .collect();
        return out(&serde_json::to_string_pretty(&list).unwrap_or_default());
    }
    if accounts.is_empty() {
        return out("No provider accounts yet: add one with `keydesk account add`.");
    }
    for a in accounts {
        out(&format!(
            "{:<12}  {:<24}  {:<13}  {:<6}  {}{}",
            a.id,
            a.name,
            a.provider.name(),
            a.region.as_deref().unwrap_or("—"),
            a.base_url.as_deref().unwrap_or("default address"),
            if a.has_management_key { ", management key" } else { "" }
        ))?;
    }
    Ok(())
}

/// `keydesk generate --account N`: the provider makes the key; it goes straight into the vault.
pub fn generate_at_provider(
    vault: &mut (impl Store + ?Sized),
    account: &str,
    request: AddRequest,
    scopes: &[String],
) -> Result<(), CliError> {
    let client = actions::client();
    let called = actions::plan_create(vault, account, request, scopes).map_err(failed)?.call(&client);
    match actions::finish_create(vault, called, &client) {
        Ok(created) => {
            if let Some(warning) = &created.warning {
                note(warning);
            }
            note(&format!(
                "Created at {} and kept as {}. It is shown once: copy it now.",
                created.provider.name(),
                created.key_id
            ));
            print_secret(&created.secret)
        }
        Err((error, None)) => Err(failed(error)),
        Err((error, Some(leftover))) => {
            print_secret(&leftover)?;
            Err(CliError::Failed(format!(
                "{error} The key made at the provider could not be deleted again, so it is printed above: keep it or delete it on the provider's page."
            )))
        }
    }
}

/// Revokes key `id` of a local or a team vault as `args` say.
pub fn revoke_key(vault: &mut (impl Store + ?Sized), id: &KeyId, args: &RevokeArgs) -> Result<(), CliError> {
    let plan = actions::plan_revoke(
        vault,
        id,
        &args.reason,
        actions::RevokeOptions {
            confirmed_at_provider: args.revoked_at_provider,
            local_only: args.local_only,
        },
    )
    .map_err(|error| match error {
        ActionError::NeedsConfirmation { .. } => CliError::Failed(format!(
            "{} (with --revoked-at-provider), or revoke it in Keydesk alone with --local-only.",
            error.to_string().trim_end_matches('.')
        )),
        other => failed(other),
    })?;
    let called = plan.call(&actions::client());
    let done = actions::finish_revoke(vault, called, &args.reason).map_err(failed)?;
    for line in &done.notes {
        note(line);
    }
    out(&done.message)
}
