//! Key health: what in the whole vault needs doing, worst first, and a score.
//!
//! [`findings`] reads the metadata alone (no secret, no IO, no clock: `now` is given) and
//! turns the facts Keydesk already keeps — the last check, the scopes, the rotation period and
//! expiry, the integrations, the provider's last use, the incidents — into [`Finding`]s, each
//! with the [`Fix`] it offers; the front ends map a fix to a button or a command. The rules,
//! their sources and the score's formula are in `docs/health.md`.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};

use super::model::{Account, Incident, KeyId, KeyRecord, KeyStatus, VaultFile, VerifyOutcome};
use crate::providers::Provider;

pub mod history;

/// A key not checked at its provider for this long is due a check.
pub const CHECK_EVERY_DAYS: i64 = 30;
/// An expiry this close is worth a rotation now.
pub const EXPIRING_WITHIN_DAYS: i64 = 14;
/// A key the provider saw unused this long is likely not needed.
pub const UNUSED_DAYS: i64 = 90;
/// A key in more integrations than this breaks them all when it leaks.
pub const MOST_INTEGRATIONS: usize = 3;
/// An open incident older than this has stalled.
pub const INCIDENT_STALE_DAYS: i64 = 7;
/// The highest score a vault with a critical finding gets.
pub const CRITICAL_CEILING: u8 = 49;

/// How urgent a finding is; the order is worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    /// The word a person reads (and the JSON value).
    pub fn word(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// What a key with a finding of this severity takes off the score (see `docs/health.md`).
    fn weight(self) -> f64 {
        match self {
            Severity::Critical => 1.0,
            Severity::Warning => 0.4,
            Severity::Info => 0.1,
        }
    }
}

/// What was found. The order is the order the findings are listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingKind {
    /// The provider refused the key at its last check, but it is active here.
    Refused,
    /// Used at the provider after it was revoked, or after every integration left it.
    UsedAfterRevoke,
    /// Past its expiry and still active here.
    Expired,
    /// Full-access or admin rights where a narrower key would do.
    BroadScopes,
    /// A provider account's management key holds more than managing keys needs.
    BroadManagementKey,
    /// Its rotation period is over.
    RotationOverdue,
    /// Expires within [`EXPIRING_WITHIN_DAYS`].
    ExpiringSoon,
    /// The provider saw no use for [`UNUSED_DAYS`].
    Unused,
    /// In more than [`MOST_INTEGRATIONS`] integrations.
    TooManyIntegrations,
    /// An open incident older than [`INCIDENT_STALE_DAYS`].
    StaleIncident,
    /// Not checked at its provider for [`CHECK_EVERY_DAYS`], or never.
    Unchecked,
    /// No integration recorded: nobody knows what uses it.
    NoIntegration,
}

impl FindingKind {
    /// A short name (the JSON value).
    pub fn slug(self) -> &'static str {
        match self {
            FindingKind::Refused => "refused",
            FindingKind::UsedAfterRevoke => "used-after-revoke",
            FindingKind::Expired => "expired",
            FindingKind::BroadScopes => "broad-scopes",
            FindingKind::BroadManagementKey => "broad-management-key",
            FindingKind::RotationOverdue => "rotation-overdue",
            FindingKind::ExpiringSoon => "expiring-soon",
            FindingKind::Unused => "unused",
            FindingKind::TooManyIntegrations => "too-many-integrations",
            FindingKind::StaleIncident => "stale-incident",
            FindingKind::Unchecked => "unchecked",
            FindingKind::NoIntegration => "no-integration",
        }
    }

    /// The heading a group of these findings is shown under.
    pub fn title(self) -> &'static str {
        match self {
            FindingKind::Refused => "Refused at the provider, still active here",
            FindingKind::UsedAfterRevoke => "Used after it was revoked or replaced",
            FindingKind::Expired => "Expired",
            FindingKind::BroadScopes => "Full access where a narrower key would do",
            FindingKind::BroadManagementKey => "A management key that may do more than manage keys",
            FindingKind::RotationOverdue => "Rotation overdue",
            FindingKind::ExpiringSoon => "Expiring soon",
            FindingKind::Unused => "Unused at the provider",
            FindingKind::TooManyIntegrations => "One key in many integrations",
            FindingKind::StaleIncident => "Open incidents left for over a week",
            FindingKind::Unchecked => "Not checked lately",
            FindingKind::NoIntegration => "No integration recorded",
        }
    }
}

/// What a finding offers to do; each front end maps it to a button or a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// Revoke the key.
    Revoke,
    /// Make a key from this narrower scope template at the provider and rotate onto it.
    ReplaceNarrower { template: &'static str },
    /// Check the key at its provider.
    Check,
    /// Rotate the key.
    Rotate,
    /// Open an incident: the key may have leaked.
    ReportLeak,
    /// Give each integration a key of its own.
    Split,
    /// Record where the key is used (or revoke it).
    AddIntegration,
    /// Take the next step of this incident.
    ContinueIncident { incident: String },
    /// Narrow the account's management key to these scopes at the provider, then test it.
    NarrowManagementKey { scopes: &'static [&'static str] },
}

impl Fix {
    /// A short name (the JSON value).
    pub fn slug(&self) -> &'static str {
        match self {
            Fix::Revoke => "revoke",
            Fix::ReplaceNarrower { .. } => "replace-narrower",
            Fix::Check => "check",
            Fix::Rotate => "rotate",
            Fix::ReportLeak => "report-leak",
            Fix::Split => "split",
            Fix::AddIntegration => "add-integration",
            Fix::ContinueIncident { .. } => "continue-incident",
            Fix::NarrowManagementKey { .. } => "narrow-management-key",
        }
    }
}

/// One thing to do about one key (or an incident about it), or about a provider account's
/// management key (`account`, and no keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Severity,
    pub keys: Vec<KeyId>,
    /// The account's id, for a finding about its management key.
    pub account: Option<String>,
    /// Why it matters, in one sentence.
    pub sentence: String,
    pub fix: Fix,
}

/// Every finding, worst first, and the score they make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthReport {
    /// 0 (act now) to 100 (nothing found).
    pub score: u8,
    pub findings: Vec<Finding>,
    /// How many keys were looked at (the live ones, and revoked ones with a finding).
    pub keys_checked: usize,
}

impl HealthReport {
    /// Whether any finding is critical.
    pub fn has_critical(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Critical)
    }
}

/// The health of `file` at `now`.
pub fn findings(file: &VaultFile, now: DateTime<Utc>) -> HealthReport {
    findings_of((&file.keys, &file.incidents, &file.accounts), now)
}

/// The health of these keys (a slice, or the keys a window's screen reads), incidents and
/// provider accounts at `now` (a team vault's, which keeps no [`VaultFile`]).
pub fn findings_of<'k, K>(
    (keys, incidents, accounts): (K, &[Incident], &[Account]),
    now: DateTime<Utc>,
) -> HealthReport
where
    K: IntoIterator<Item = &'k KeyRecord> + Clone,
{
    let open: Vec<&Incident> = incidents.iter().filter(|i| i.closed_at.is_none()).collect();
    let under_incident: HashSet<&KeyId> = open.iter().map(|i| &i.key).collect();
    let mut found = Vec::new();
    for key in keys.clone() {
        key_findings(key, now, under_incident.contains(&key.id), &mut found);
    }
    let stale = Duration::days(INCIDENT_STALE_DAYS);
    for incident in open.iter().filter(|i| now - i.opened_at > stale) {
        found.push(Finding {
            kind: FindingKind::StaleIncident,
            severity: Severity::Warning,
            keys: vec![incident.key.clone()],
            account: None,
            sentence: format!(
                "Incident {} has been open for {} days: until the key is replaced and revoked everywhere, whoever found it can still use it.",
                incident.id,
                (now - incident.opened_at).num_days()
            ),
            fix: Fix::ContinueIncident { incident: incident.id.clone() },
        });
    }
    found.extend(accounts.iter().filter_map(management_key_finding));
    found.sort_by_key(|f| (f.severity, f.kind));
    let live: HashSet<&KeyId> = keys.into_iter().filter(|k| k.is_live()).map(|k| &k.id).collect();
    let revoked_found: HashSet<&KeyId> =
        found.iter().flat_map(|f| &f.keys).filter(|id| !live.contains(id)).collect();
    let live = live.len();
    let keys_checked = live + revoked_found.len();
    HealthReport { score: score(&found, keys_checked), findings: found, keys_checked }
}

/// 100 × (1 − Σ over keys of the weight of its worst finding ÷ keys looked at), rounded, at
/// most [`CRITICAL_CEILING`] with a critical finding.
fn score(found: &[Finding], keys_checked: usize) -> u8 {
    let mut worst: std::collections::HashMap<&KeyId, Severity> = std::collections::HashMap::new();
    for finding in found {
        for key in &finding.keys {
            let entry = worst.entry(key).or_insert(finding.severity);
            *entry = (*entry).min(finding.severity);
        }
    }
    if keys_checked == 0 {
        return 100;
    }
    let lost: f64 = worst.values().map(|s| s.weight()).sum();
    #[allow(clippy::cast_precision_loss, reason = "a key count far below 2^52")]
    let share = (lost / keys_checked as f64).clamp(0.0, 1.0);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "within 0..=100")]
    let score = (100.0 * (1.0 - share)).round() as u8;
    if found.iter().any(|f| f.severity == Severity::Critical) { score.min(CRITICAL_CEILING) } else { score }
}

/// Whether a key holds far more rights than sending needs: it may manage keys, or holds a
/// provider's full set (SendGrid), or is an admin key (Mailgun).
pub fn full_access(provider: Provider, scopes: &[String]) -> bool {
    match provider {
        Provider::SendGrid => scopes.iter().any(|s| s == "api_keys.create") || scopes.len() > 40,
        Provider::Mailgun => scopes.iter().any(|s| s == "role:admin"),
        _ => false,
    }
}

/// What a SendGrid management key needs to do Keydesk's work: make, list and revoke keys
/// (`POST`, `GET` and `DELETE /v3/api_keys`, docs/providers.md).
pub const SENDGRID_MANAGEMENT_SCOPES: &[&str] = &["api_keys.create", "api_keys.read", "api_keys.delete"];

/// The rights of a management key beyond managing keys, as its last test listed: SendGrid's
/// scopes outside `api_keys.*` and the account's own flags (`2fa_…`,
/// `sender_verification_…`), which every key lists.
pub fn management_extras(provider: Provider, scopes: &[String]) -> Vec<&str> {
    match provider {
        Provider::SendGrid => scopes
            .iter()
            .map(String::as_str)
            .filter(|s| !s.starts_with("api_keys.") && !s.starts_with("2fa_"))
            .filter(|s| !s.starts_with("sender_verification_"))
            .collect(),
        _ => Vec::new(),
    }
}

/// A management key that may do more than manage keys (where its test listed its scopes).
fn management_key_finding(account: &Account) -> Option<Finding> {
    let scopes = account.management_scopes.as_deref().filter(|_| account.has_management_key)?;
    let extras = management_extras(account.provider, scopes);
    if extras.is_empty() {
        return None;
    }
    let some: Vec<&str> = extras.iter().take(3).copied().collect();
    let more = if extras.len() > some.len() { ", …" } else { "" };
    Some(Finding {
        kind: FindingKind::BroadManagementKey,
        severity: Severity::Warning,
        keys: Vec::new(),
        account: Some(account.id.clone()),
        sentence: format!(
            "The management key of \"{}\" holds {} beyond managing keys ({}{more}): a leak lets anyone send mail and change the account; {} is all Keydesk needs.",
            account.name,
            if extras.len() == 1 { "1 right".to_owned() } else { format!("{} rights", extras.len()) },
            some.join(", "),
            SENDGRID_MANAGEMENT_SCOPES.join(", ")
        ),
        fix: Fix::NarrowManagementKey { scopes: SENDGRID_MANAGEMENT_SCOPES },
    })
}

/// The rights Keydesk knows a key has: what its last check listed, else what it was made with.
pub fn known_permissions(record: &KeyRecord) -> &[String] {
    match &record.last_verified {
        Some(v) => match &v.outcome {
            VerifyOutcome::Works { scopes, .. } if !scopes.is_empty() => scopes,
            _ => &record.scopes,
        },
        None => &record.scopes,
    }
}

/// The narrower template to offer instead of full access (`manage::TEMPLATES`, or Mailgun's
/// domain sending key).
fn narrower_template(provider: Provider) -> &'static str {
    match provider {
        Provider::Mailgun => "sending",
        _ => "mail-send",
    }
}

/// The integrations' names, for a sentence.
fn used_by(key: &KeyRecord) -> String {
    key.integrations.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(", ")
}

fn key_findings(key: &KeyRecord, now: DateTime<Utc>, under_incident: bool, out: &mut Vec<Finding>) {
    let mut add = |kind, severity, sentence: String, fix| {
        out.push(Finding { kind, severity, keys: vec![key.id.clone()], account: None, sentence, fix });
    };
    if let Some(flag) = key.unexpected_use()
        && !under_incident
    {
        let after =
            if flag.revoked { "it was revoked" } else { "every integration moved to its replacement" };
        add(
            FindingKind::UsedAfterRevoke,
            Severity::Critical,
            format!(
                "{} saw it used on {}, after {after}: someone else may hold it.",
                key.provider.name(),
                flag.used_at.format("%Y-%m-%d")
            ),
            Fix::ReportLeak,
        );
    }
    if !key.is_live() {
        return;
    }
    let refused = key.last_verified.as_ref().is_some_and(|v| v.outcome.refused());
    if refused {
        let sentence = if key.integrations.is_empty() {
            "The provider refuses this key: it works nowhere, and keeping it active hides that.".to_owned()
        } else {
            format!("The provider refuses this key, so what uses it is broken now: {}.", used_by(key))
        };
        add(FindingKind::Refused, Severity::Critical, sentence, Fix::Revoke);
    }
    if let Some(expires) = key.expires_at {
        if expires <= now {
            add(
                FindingKind::Expired,
                Severity::Critical,
                "It is past its expiry: what uses it fails, or soon will.".to_owned(),
                Fix::Rotate,
            );
        } else if (expires - now).num_days() < EXPIRING_WITHIN_DAYS {
            add(
                FindingKind::ExpiringSoon,
                Severity::Warning,
                format!(
                    "It expires on {}: replace it before what uses it stops.",
                    expires.format("%Y-%m-%d")
                ),
                Fix::Rotate,
            );
        }
    }
    if full_access(key.provider, known_permissions(key)) {
        add(
            FindingKind::BroadScopes,
            Severity::Warning,
            "It has full access, so a leak lets anyone manage the account and its keys; sending mail needs far less.".to_owned(),
            Fix::ReplaceNarrower { template: narrower_template(key.provider) },
        );
    }
    if key.status == KeyStatus::Active
        && let Some(due) = key.rotation_due_at()
        && due <= now
    {
        add(
            FindingKind::RotationOverdue,
            Severity::Warning,
            format!(
                "Its rotation was due on {}: the longer a key lives, the longer a copy of it works.",
                due.format("%Y-%m-%d")
            ),
            Fix::Rotate,
        );
    }
    usage_findings(key, now, &mut add);
    if key.integrations.len() > MOST_INTEGRATIONS {
        add(
            FindingKind::TooManyIntegrations,
            Severity::Warning,
            format!(
                "It is used by {} integrations, so one leak or one revoke breaks them all: {}.",
                key.integrations.len(),
                used_by(key)
            ),
            Fix::Split,
        );
    }
    if !refused && key.provider.info().verify.is_some() {
        let stale = Duration::days(CHECK_EVERY_DAYS);
        match &key.last_verified {
            None => add(
                FindingKind::Unchecked,
                Severity::Info,
                "It was never checked at its provider: Keydesk cannot tell whether it still works."
                    .to_owned(),
                Fix::Check,
            ),
            Some(v) if now - v.at > stale => add(
                FindingKind::Unchecked,
                Severity::Info,
                format!(
                    "It was last checked {} days ago: a key revoked since would go unnoticed.",
                    (now - v.at).num_days()
                ),
                Fix::Check,
            ),
            Some(_) => {}
        }
    }
    if key.status == KeyStatus::Active && key.integrations.is_empty() {
        add(
            FindingKind::NoIntegration,
            Severity::Info,
            "No integration is recorded for it: nobody can say what breaks when it is revoked, or whether it is needed.".to_owned(),
            Fix::AddIntegration,
        );
    }
}

/// A live key the provider saw unused for [`UNUSED_DAYS`] (where it tells).
fn usage_findings(
    key: &KeyRecord,
    now: DateTime<Utc>,
    add: &mut impl FnMut(FindingKind, Severity, String, Fix),
) {
    let Some(usage) = key.usage.as_ref() else { return };
    let last = usage.last_used.unwrap_or(key.created_at);
    let idle = (now - last).num_days();
    if key.status == KeyStatus::Active && idle >= UNUSED_DAYS {
        let sentence = match usage.last_used {
            Some(at) => format!(
                "{} last saw it used on {} ({idle} days ago): an unused key is only a risk.",
                key.provider.name(),
                at.format("%Y-%m-%d")
            ),
            None => format!(
                "{} has never seen it used in the {idle} days since it was made: an unused key is only a risk.",
                key.provider.name()
            ),
        };
        add(FindingKind::Unused, Severity::Warning, sentence, Fix::Revoke);
    }
}

#[cfg(test)]
mod tests;
