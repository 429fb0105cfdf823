//! `keydesk health`: the score and the latest scores on record, then the findings grouped
//! worst first, each with the keys' labels and the command that fixes it; `--json` for
//! scripts (with the whole series). Exit 1 when a finding is critical.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::CliError;
use super::commands::{note, out};
use crate::providers::manage::TEMPLATES;
use crate::vault::health::history::{RECENT, ScorePoint, short_date, trend_sentence};
use crate::vault::health::{Finding, FindingKind, Fix, HealthReport, Severity, findings_of};
use crate::vault::model::{Account, Incident, KeyId, KeyRecord};

/// What the report leaves out, said after it: the management keys whose rights Keydesk does
/// not know (a test lists a SendGrid key's scopes; other providers do not tell).
fn not_judged(accounts: &[Account]) -> Option<String> {
    let names: Vec<String> = accounts
        .iter()
        .filter(|a| a.has_management_key && a.management_scopes.is_none())
        .map(|a| format!("\"{}\"", a.name))
        .collect();
    (!names.is_empty()).then(|| {
        format!(
            "The management keys of {} are not judged: Keydesk does not know what they may do (`keydesk account test NAME` lists a SendGrid key's scopes).",
            names.join(", ")
        )
    })
}

/// Prints the health of `keys`, `incidents` and `accounts` at `now`, with the scores on
/// record (`history`, oldest first: the log's `health` lines).
pub fn health(
    (keys, incidents, accounts): (&[KeyRecord], &[Incident], &[Account]),
    now: DateTime<Utc>,
    history: &[ScorePoint],
    args: &super::args::HealthArgs,
) -> Result<(), CliError> {
    let as_json = args.json;
    let report = findings_of((keys, incidents, accounts), now);
    let by_id: HashMap<&KeyId, &KeyRecord> = keys.iter().map(|k| (&k.id, k)).collect();
    let unjudged = not_judged(accounts);
    if as_json {
        json_report(&report, (&by_id, accounts), history, unjudged)?;
    } else {
        let mut text = text_report(&report, (&by_id, accounts));
        text.insert_str(text.find('\n').unwrap_or(text.len()), &format!("\n{}", history_line(history, now)));
        out(&text)?;
        if let Some(unjudged) = unjudged {
            note(&unjudged);
        }
    }
    if report.has_critical() { Err(CliError::Quiet) } else { Ok(()) }
}

fn count(report: &HealthReport, severity: Severity) -> usize {
    report.count(severity)
}

/// "Score 62 → 78 since 12 Nov: 62 (12 Nov), 70 (20 Nov), 78 (3 Dec)." — the latest scores
/// on record, or how one gets there.
fn history_line(history: &[ScorePoint], now: DateTime<Utc>) -> String {
    let Some(trend) = trend_sentence(history, now, " → ") else {
        return "No score on record yet: each check of every key (`keydesk verify --all`) records one."
            .to_owned();
    };
    let recent = &history[history.len().saturating_sub(RECENT)..];
    if recent.len() == 1 {
        return format!("{trend} (on record).");
    }
    let each: Vec<String> =
        recent.iter().map(|p| format!("{} ({})", p.score, short_date(p.at, now))).collect();
    format!("{trend}: {}.", each.join(", "))
}

fn text_report(
    report: &HealthReport,
    (by_id, accounts): (&HashMap<&KeyId, &KeyRecord>, &[Account]),
) -> String {
    let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut text = format!(
        "Health score: {}/100 ({}, {}, {}; {} looked at)",
        report.score,
        plural(count(report, Severity::Critical), "critical", "critical"),
        plural(count(report, Severity::Warning), "warning", "warnings"),
        plural(count(report, Severity::Info), "info", "info"),
        plural(report.keys_checked, "key", "keys"),
    );
    if report.findings.is_empty() {
        text.push_str("\nNothing found: every key is checked, used, scoped and owned.");
        return text;
    }
    let mut group: Option<(Severity, FindingKind)> = None;
    for finding in &report.findings {
        if group != Some((finding.severity, finding.kind)) {
            group = Some((finding.severity, finding.kind));
            text.push_str(&format!(
                "\n\n{} — {}",
                finding.severity.word().to_uppercase(),
                finding.kind.title()
            ));
        }
        if let Some(account) = account_of(finding, accounts) {
            text.push_str(&format!(
                "\n  account \"{}\" ({}): {}",
                account.name,
                account.provider.name(),
                finding.sentence
            ));
            text.push_str(&format!("\n    Fix: {}", account_command(finding, account)));
            continue;
        }
        let labels: Vec<String> = finding.keys.iter().map(|id| key_words(id, by_id)).collect();
        text.push_str(&format!("\n  {}: {}", labels.join(", "), finding.sentence));
        if let Some(key) = finding.keys.first().and_then(|id| by_id.get(id)) {
            text.push_str(&format!("\n    Fix: {}", command(finding, key)));
        }
    }
    text
}

/// The account a finding is about, if it is about one.
fn account_of<'a>(finding: &Finding, accounts: &'a [Account]) -> Option<&'a Account> {
    let id = finding.account.as_deref()?;
    accounts.iter().find(|a| a.id == id)
}

/// The steps that fix a finding about `account`'s management key.
fn account_command(finding: &Finding, account: &Account) -> String {
    let page = account.provider.info().keys_page;
    match &finding.fix {
        Fix::NarrowManagementKey { scopes } => format!(
            "at {page}, edit the key's permissions down to {} (API Keys), then: keydesk account test {}",
            scopes.join(", "),
            quoted(&account.name)
        ),
        _ => format!("keydesk account test {}", quoted(&account.name)),
    }
}

/// `"label" (Provider, id)`.
fn key_words(id: &KeyId, by_id: &HashMap<&KeyId, &KeyRecord>) -> String {
    match by_id.get(id) {
        Some(key) => format!("{} ({}, {})", quoted(&key.label), key.provider.name(), key.id),
        None => format!("key {id} (no longer in the vault)"),
    }
}

/// `text` as one shell word in double quotes.
fn quoted(text: &str) -> String {
    let mut word = String::with_capacity(text.len() + 2);
    word.push('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            word.push('\\');
        }
        word.push(c);
    }
    word.push('"');
    word
}

/// The command (or the steps) that fix `finding` about `key`.
fn command(finding: &Finding, key: &KeyRecord) -> String {
    let label = quoted(&key.label);
    match (&finding.fix, finding.kind) {
        (Fix::Revoke, FindingKind::Refused) => format!(
            "keydesk revoke {label} --reason {} --revoked-at-provider",
            quoted("refused at the provider")
        ),
        (Fix::Revoke, _) => format!("keydesk revoke {label} --reason {}", quoted("unused at the provider")),
        (Fix::ReplaceNarrower { template }, _) => {
            let what = TEMPLATES
                .iter()
                .find(|t| t.provider == key.provider && t.name == *template)
                .map_or_else(|| format!("a {template} key"), |t| format!("a \"{}\" key", t.title));
            let page = key.provider.info().keys_page;
            format!("make {what} at {page}, then: keydesk rotate {label} (paste it)")
        }
        (Fix::Check, _) => format!("keydesk verify {label}"),
        (Fix::Rotate, _) => format!("keydesk rotate {label}"),
        (Fix::ReportLeak, _) => format!(
            "keydesk incident open {label} --found-where {}",
            quoted(&format!("its use at {} after revoke", key.provider.name()))
        ),
        (Fix::Split, _) => format!(
            "give each integration a key of its own (keydesk add / keydesk generate), then: keydesk edit {label} --remove-integration NAME"
        ),
        (Fix::AddIntegration, _) => format!(
            "keydesk edit {label} --integration NAME, or: keydesk revoke {label} --reason {}",
            quoted("nobody uses it")
        ),
        (Fix::ContinueIncident { incident }, _) => format!("keydesk incident show {incident}"),
        (Fix::NarrowManagementKey { .. }, _) => "keydesk account test NAME".to_owned(),
    }
}

fn json_report(
    report: &HealthReport,
    (by_id, accounts): (&HashMap<&KeyId, &KeyRecord>, &[Account]),
    history: &[ScorePoint],
    unjudged: Option<String>,
) -> Result<(), CliError> {
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| {
            let keys: Vec<Value> = finding
                .keys
                .iter()
                .map(|id| json!({"id": id, "label": by_id.get(id).map(|k| k.label.as_str())}))
                .collect();
            let mut value = json!({
                "kind": finding.kind.slug(),
                "severity": finding.severity.word(),
                "keys": keys,
                "sentence": finding.sentence,
                "fix": finding.fix.slug(),
                "command": finding.keys.first().and_then(|id| by_id.get(id)).map(|k| command(finding, k)),
            });
            match &finding.fix {
                Fix::ReplaceNarrower { template } => value["template"] = json!(template),
                Fix::ContinueIncident { incident } => value["incident"] = json!(incident),
                Fix::NarrowManagementKey { scopes } => value["scopes"] = json!(scopes),
                _ => {}
            }
            if let Some(account) = account_of(finding, accounts) {
                value["account"] = json!({"id": account.id, "name": account.name});
                value["command"] = json!(account_command(finding, account));
            }
            value
        })
        .collect();
    let value = json!({
        "score": report.score,
        "keys_checked": report.keys_checked,
        "counts": {
            "critical": count(report, Severity::Critical),
            "warning": count(report, Severity::Warning),
            "info": count(report, Severity::Info),
        },
        "findings": findings,
        "history": history.iter().map(|p| json!({
            "at": p.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "score": p.score,
            "critical": p.critical,
            "warning": p.warning,
            "info": p.info,
            "keys": p.keys,
        })).collect::<Vec<_>>(),
        "not_judged": unjudged.into_iter().collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&value)
        .map_err(|_json| CliError::Failed("Keydesk could not write the health report as JSON.".into()))?;
    out(&text)
}

#[cfg(test)]
mod tests {
    use super::quoted;

    #[test]
    fn labels_are_one_shell_word() {
        assert_eq!(quoted("SendGrid prod"), "\"SendGrid prod\"");
        assert_eq!(quoted("a \"b\" $HOME `x` \\"), "\"a \\\"b\\\" \\$HOME \\`x\\` \\\\\"");
    }
}
