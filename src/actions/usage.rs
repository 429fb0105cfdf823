//! Last use at the provider: plan (read the key and a key to ask with), call, record.

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::{ActionError, Store};
use crate::providers::Provider;
use crate::providers::http::Client;
use crate::providers::usage::{self, LastUse, UsageError, UsageQuery};
use crate::providers::verify as check;
use crate::vault::model::{KeyId, ProviderUsage, UnexpectedUse};

/// What a last-use question needs. Holds a secret: no `Debug`.
pub struct UsagePlan {
    pub key_id: KeyId,
    pub label: String,
    provider: Provider,
    url: String,
    subject: String,
    credential: SecretString,
    asked_with: String,
    now: DateTime<Utc>,
}

/// What the provider said.
pub struct UsageCalled {
    pub key_id: KeyId,
    subject: String,
    source: &'static str,
    now: DateTime<Utc>,
    pub answer: Result<LastUse, UsageError>,
}

/// The answer as recorded on the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageFound {
    pub usage: ProviderUsage,
    /// Set when the key was used after it was revoked or replaced everywhere.
    pub unexpected: Option<UnexpectedUse>,
}

/// Reads what asking needs. `name` is the key's name at the provider, when the user gives it
/// (Elastic Email names keys; Keydesk keeps the name once an answer proves it right).
pub fn plan_usage(
    vault: &(impl Store + ?Sized),
    id: &KeyId,
    name: Option<&str>,
) -> Result<UsagePlan, ActionError> {
    let provider = vault.key_record(id)?.provider;
    if usage::source(provider).is_none() {
        return Err(UsageError::NotTold { provider }.into());
    }
    let target = vault.usage_target(id)?;
    let subject = name.map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned).or(target.subject);
    let Some(subject) = subject else {
        return Err(match provider {
            // Asked with itself, the key names its id in its secret; asked with the account's
            // key, a revoked key needs the id kept on its record.
            Provider::AmazonSes if target.asked_with == crate::vault::UsageTarget::ITSELF => {
                UsageError::NeedsPair { asked_with: target.asked_with }.into()
            }
            Provider::AmazonSes => UsageError::NoAccessKeyId.into(),
            _ => UsageError::NeedsName { provider, page: provider.info().keys_page }.into(),
        });
    };
    let (base_url, region) = vault.call_target(&target.record);
    let url = check::base_url(provider, base_url.as_deref(), region.as_deref())?;
    Ok(UsagePlan {
        key_id: target.record.id.clone(),
        label: target.record.label.clone(),
        provider,
        url,
        subject,
        credential: target.credential,
        asked_with: target.asked_with,
        now: vault.now(),
    })
}

impl UsagePlan {
    /// The request.
    pub fn call(self, client: &Client) -> UsageCalled {
        self.ask(client)
    }

    /// [`UsagePlan::call`], keeping the plan.
    pub fn ask(&self, client: &Client) -> UsageCalled {
        let query = UsageQuery {
            provider: self.provider,
            base_url: &self.url,
            subject: &self.subject,
            credential: &self.credential,
            asked_with: &self.asked_with,
            now: self.now,
        };
        let answer = usage::last_used(client, &query);
        UsageCalled {
            key_id: self.key_id.clone(),
            source: usage::source(self.provider).unwrap_or_default(),
            subject: self.subject.clone(),
            now: self.now,
            answer,
        }
    }
}

/// Records the answer (or why there was none) on the key and in the audit log.
pub fn finish_usage(
    vault: &mut (impl Store + ?Sized),
    called: UsageCalled,
) -> Result<UsageFound, ActionError> {
    match called.answer {
        Ok(last) => {
            let usage = ProviderUsage {
                checked_at: called.now,
                last_used: last.at,
                detail: last.detail.unwrap_or_default(),
                source: called.source.to_owned(),
            };
            let unexpected = super::changes::record_usage(
                vault,
                &called.key_id,
                Ok(usage.clone()),
                Some(&called.subject),
            )?;
            Ok(UsageFound { usage, unexpected })
        }
        Err(error) => {
            super::changes::record_usage(vault, &called.key_id, Err(error.to_string()), None)?;
            Err(error.into())
        }
    }
}

/// The sentence for a recorded answer, e.g. "Last used at Amazon SES 2 hours ago (ses in
/// us-east-1)", with the flag when the use came after the key was revoked or replaced.
pub fn usage_sentence(provider: Provider, usage: &ProviderUsage, now: DateTime<Utc>) -> String {
    let mut said = match usage.last_used {
        Some(at) => format!(
            "Last used at {} {} ({})",
            provider.name(),
            crate::words::ago(Some(at), now),
            at.format("%Y-%m-%d %H:%M UTC")
        ),
        None => format!("Never used at {}, as far as it tracks", provider.name()),
    };
    if !usage.detail.is_empty() {
        said.push_str(&format!(", {}", usage.detail));
    }
    said.push_str(&format!(
        ". Source: {}, asked {}.",
        usage.source,
        crate::words::ago(Some(usage.checked_at), now)
    ));
    said
}

/// The warning for a use after the key should have fallen silent.
pub fn unexpected_sentence(provider: Provider, flag: &UnexpectedUse) -> String {
    let since = flag.since.format("%Y-%m-%d %H:%M UTC");
    if flag.revoked {
        format!(
            "Possible unauthorized use: {} saw this key used after it was revoked ({since}). Report a suspected leak and check where it is used.",
            provider.name()
        )
    } else {
        format!(
            "Possible unauthorized use: {} saw this key used after every integration moved to the new key ({since}). Report a suspected leak, or finish the rotation to revoke it.",
            provider.name()
        )
    }
}

impl From<UsageError> for ActionError {
    fn from(error: UsageError) -> Self {
        ActionError::Usage(error)
    }
}
