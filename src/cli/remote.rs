//! Commands that talk to providers: verify, accounts, create and revoke at the provider, and
//! the guided revoke for providers without key management over their API. Network calls
//! happen only here, only for the command the user typed.

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::args::{AccountCommand, RevokeArgs};
use super::commands::{note, out, print_secret};
use super::{CliError, input};
use crate::providers::Provider;
use crate::providers::http::{Client, HttpConfig};
use crate::providers::manage::{self, CreateSpec, Revoked};
use crate::providers::verify::{self as check, VerifyError};
use crate::vault::model::{KeyRecord, VerifyOutcome};
use crate::vault::{AccountRequest, AddRequest, Vault};

fn client() -> Client {
    Client::new(HttpConfig::default())
}

fn failed(error: impl std::fmt::Display) -> CliError {
    CliError::Failed(error.to_string())
}

/// Calls the provider to check the key; records the outcome on the key and in the audit log.
fn check_key(
    vault: &mut Vault,
    record: &KeyRecord,
    secret: &SecretString,
) -> Result<VerifyOutcome, CliError> {
    let (base_url, region) = vault.call_target(record);
    let outcome = match check::base_url(record.provider, base_url.as_deref(), region.as_deref()) {
        Ok(url) => check::verify(&client(), record.provider, &url, secret, vault.now()),
        Err(VerifyError::NoEndpoint { .. }) if record.provider == Provider::Keydesk => {
            check::verify(&client(), record.provider, "", secret, vault.now())
        }
        Err(error) => Err(error),
    }
    .map_err(failed)?;
    vault.record_verification(&record.id, outcome.clone())?;
    Ok(outcome)
}

/// `keydesk verify KEY`.
pub fn verify(vault: &mut Vault, key: &str) -> Result<(), CliError> {
    let (record, secret) = vault.secret_for_call(key)?;
    let outcome = check_key(vault, &record, &secret)?;
    out(&outcome.sentence())?;
    if outcome.works() { Ok(()) } else { Err(CliError::Quiet) }
}

/// `keydesk account ...`.
pub fn account(vault: &mut Vault, command: AccountCommand) -> Result<(), CliError> {
    match command {
        AccountCommand::Add(args) => {
            let provider = Provider::from_name(&args.provider).ok_or_else(|| {
                CliError::Usage(format!(
                    "\"{}\" is not a provider Keydesk knows: use one of {}.",
                    args.provider,
                    Provider::slugs()
                ))
            })?;
            let key = input::key_from_stdin("Management key (Enter for none): ")?;
            let key = (!key.expose_secret().is_empty()).then_some(key);
            if let Some(key) = &key
                && key.expose_secret().chars().any(char::is_whitespace)
            {
                return Err(CliError::Failed(
                    "The management key has a space or a line break inside it: copy it again as one line."
                        .into(),
                ));
            }
            let request =
                AccountRequest { name: args.name, provider, region: args.region, base_url: args.base_url };
            let name = request.name.trim().to_owned();
            let with_key = key.is_some();
            vault.add_account(request, key)?;
            out(&format!(
                "Added the {} account \"{name}\"{}.",
                provider.name(),
                if with_key { " with its management key" } else { "" }
            ))
        }
        AccountCommand::List(args) => {
            let accounts = vault.accounts();
            if args.json {
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
        AccountCommand::Remove(args) => {
            let name = vault.find_account(&args.account)?.name.clone();
            vault.remove_account(&args.account)?;
            out(&format!("Removed the account \"{name}\"."))
        }
        AccountCommand::Test(args) => {
            let account = vault.find_account(&args.account)?.clone();
            let key = vault.management_key(&account.id)?;
            let url =
                check::base_url(account.provider, account.base_url.as_deref(), account.region.as_deref())
                    .map_err(failed)?;
            let words = manage::test_connection(&client(), account.provider, &url, &key).map_err(failed)?;
            out(&words)
        }
    }
}

/// `keydesk generate --account N`: the provider makes the key; it goes straight into the vault.
pub fn generate_at_provider(
    vault: &mut Vault,
    account: &str,
    mut request: AddRequest,
    scopes: &[String],
) -> Result<(), CliError> {
    let account = vault.find_account(account)?.clone();
    let provider = account.provider;
    if !provider.info().api_create {
        return Err(CliError::Failed(format!(
            "{} keys are made on its page, not over its API: open {}, create the key, then run `keydesk add --account \"{}\" --label ...` and paste it.",
            provider.name(),
            provider.info().keys_page,
            account.name
        )));
    }
    let management_key = vault.management_key(&account.id)?;
    let url =
        check::base_url(provider, account.base_url.as_deref(), account.region.as_deref()).map_err(failed)?;
    let spec = CreateSpec::from_words(provider, request.label.trim(), scopes);
    let http = client();
    let created = manage::create_key(&http, provider, &url, &management_key, &spec).map_err(failed)?;
    request.provider = Some(provider);
    request.account = Some(account.id.clone());
    request.provider_key_id = Some(created.provider_key_id.clone());
    request.scopes = created.scopes.clone();
    match vault.add(request, created.secret.clone()) {
        Ok((id, _)) => {
            note(&format!("Created at {} and kept as {id}. It is shown once: copy it now.", provider.name()));
            print_secret(&created.secret)
        }
        Err(error) => {
            // Do not leave a key at the provider that the vault does not know.
            match manage::revoke_key(&http, provider, &url, &management_key, &created.provider_key_id) {
                Ok(_) => Err(CliError::Failed(format!(
                    "{error} The key made at {} was deleted there again.",
                    provider.name()
                ))),
                Err(_) => {
                    print_secret(&created.secret)?;
                    Err(CliError::Failed(format!(
                        "{error} The key made at {} could not be deleted again, so it is printed above: keep it or delete it on {}.",
                        provider.name(),
                        provider.info().keys_page
                    )))
                }
            }
        }
    }
}

/// `keydesk revoke KEY --reason R`: at the provider over its API where possible, guided
/// otherwise, locally for Keydesk keys.
pub fn revoke(vault: &mut Vault, args: &RevokeArgs) -> Result<(), CliError> {
    let record = vault.find(&args.key)?.clone();
    if args.reason.trim().is_empty() {
        return Err(failed(crate::vault::VaultError::EmptyReason));
    }
    let provider = record.provider;
    let done = |vault: &mut Vault, how: &str| -> Result<(), CliError> {
        if let Some(warning) = vault.revoke_noting(&record.id, &args.reason, how)? {
            note(&warning);
        }
        let uses: Vec<&str> = record.integrations.iter().map(|i| i.name.as_str()).collect();
        let follow = if uses.is_empty() {
            String::new()
        } else {
            format!(" Update what used it: {}.", uses.join(", "))
        };
        out(&format!(
            "Revoked \"{}\"{}.{follow}",
            record.label,
            if how.is_empty() { String::new() } else { format!(" ({how})") }
        ))
    };
    if !record.is_live() {
        return Err(failed(crate::vault::VaultError::Revoked { label: record.label, action: "revoke" }));
    }
    if args.local_only || matches!(provider, Provider::Keydesk | Provider::Other) {
        return done(vault, if args.local_only { "in Keydesk only" } else { "" });
    }
    let account = record.account.as_deref().and_then(|id| vault.find_account(id).ok()).cloned();
    let api = account.as_ref().filter(|a| a.has_management_key && provider.info().api_revoke);
    if let (Some(account), Some(provider_key_id)) = (api, record.provider_key_id.as_deref()) {
        let management_key = vault.management_key(&account.id)?;
        let url = check::base_url(provider, account.base_url.as_deref(), account.region.as_deref())
            .map_err(failed)?;
        return match manage::revoke_key(&client(), provider, &url, &management_key, provider_key_id) {
            Ok(Revoked::Deleted) => done(vault, &format!("revoked at {}", provider.name())),
            Ok(Revoked::AlreadyGone) => done(vault, &format!("already gone at {}", provider.name())),
            Err(error) => {
                let message = format!("Not revoked at {} yet: {error}", provider.name());
                vault.record_revoke_failure(&record.id, &message)?;
                Err(CliError::Failed(format!("{message} The key stays active in Keydesk.")))
            }
        };
    }
    // Guided: the provider's page, then the user's word, then a check of the old key.
    let page = provider.info().keys_page;
    let tail: String = record.hint.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    if !args.revoked_at_provider {
        return Err(CliError::Failed(format!(
            "Revoke it at {} first: open {page}, delete the key ending in {tail}, then run this again with --revoked-at-provider (or --local-only to revoke it in Keydesk alone).",
            provider.name()
        )));
    }
    let confirmed = format!("user confirmed it was revoked at {}", provider.name());
    let secret = vault.secret_for_call(&record.id).map(|(_, s)| s);
    let outcome = match &secret {
        Ok(secret) if provider.info().verify.is_some() => Some(check_key(vault, &record, secret)),
        _ => None,
    };
    if let Some(grace) = provider.grace_window() {
        note(grace);
    }
    match outcome {
        Some(Ok(outcome)) if outcome.works() => {
            let legacy_grace = provider == Provider::Mailgun && record.hint.starts_with("key-");
            if legacy_grace {
                return done(
                    vault,
                    &format!("{confirmed}; it still works during Mailgun's 48-hour grace window"),
                );
            }
            let message = format!(
                "{} still accepts this key: delete it on {page}, then run this again.",
                provider.name()
            );
            vault.record_revoke_failure(&record.id, &message)?;
            Err(CliError::Failed(message))
        }
        Some(Ok(VerifyOutcome::Unauthorized)) => {
            done(vault, &format!("{confirmed}; {} now refuses it", provider.name()))
        }
        Some(Ok(other)) => {
            note(&format!("Could not confirm at {}: {}", provider.name(), other.sentence()));
            done(vault, &format!("{confirmed}; not checked"))
        }
        Some(Err(error)) => {
            note(&format!("Could not check the old key: {error}"));
            done(vault, &format!("{confirmed}; not checked"))
        }
        None => done(vault, &confirmed),
    }
}
