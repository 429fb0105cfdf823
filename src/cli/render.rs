//! What the read-only commands print: tables for people, JSON for scripts. No secrets.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::CliError;
use super::commands::out;
use crate::vault::audit::{self, Outcome};
use crate::vault::model::{Attention, KeyRecord, KeyStatus, VaultFile, VerifyOutcome};
use crate::vault::{CheckReport, Vault};

fn time(at: Option<DateTime<Utc>>) -> Value {
    at.map_or(Value::Null, |t| Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
}

fn attention_word(attention: Attention) -> String {
    match attention {
        Attention::Expired => "expired".into(),
        Attention::ExpiringSoon { days } => format!("expires in {days} days"),
        Attention::RotationDue => "rotation due".into(),
        Attention::NeverVerified => "never verified".into(),
        Attention::Retiring => "retiring".into(),
    }
}

fn verify_word(outcome: &VerifyOutcome) -> String {
    match outcome {
        VerifyOutcome::ProviderTrouble { status } => format!("provider trouble ({status})"),
        VerifyOutcome::ChecksumOk => "checksum ok".into(),
        other => other.word().into(),
    }
}

fn key_json(record: &KeyRecord, now: DateTime<Utc>) -> Value {
    let (revoked_at, revoke_reason) = match &record.status {
        KeyStatus::Revoked { at, reason } => (time(Some(*at)), Value::String(reason.clone())),
        _ => (Value::Null, Value::Null),
    };
    json!({
        "id": record.id,
        "label": record.label,
        "provider": record.provider.slug(),
        "status": record.status.word(),
        "hint": record.hint,
        "created_at": time(Some(record.created_at)),
        "expires_at": time(record.expires_at),
        "rotate_after_days": record.rotate_after_days,
        "region": record.region,
        "account": record.account,
        "provider_key_id": record.provider_key_id,
        "scopes": record.scopes,
        "integrations": record.integrations.iter().map(|i| json!({"name": i.name, "url": i.url, "note": i.note})).collect::<Vec<_>>(),
        "notes": record.notes,
        "copy_count": record.copy_count,
        "last_copied_at": time(record.last_copied_at),
        "reveal_count": record.reveal_count,
        "last_verified": record.last_verified.as_ref().map(|v| json!({"at": time(Some(v.at)), "outcome": verify_word(&v.outcome)})),
        "attention": record.attention(now).into_iter().map(attention_word).collect::<Vec<_>>(),
        "replaces": record.replaces,
        "replaced_by": record.replaced_by,
        "provider_revoke_pending": record.provider_revoke_pending,
        "revoked_at": revoked_at,
        "revoke_reason": revoke_reason,
    })
}

fn pretty(value: &Value) -> Result<(), CliError> {
    out(&serde_json::to_string_pretty(value).unwrap_or_default())
}

/// `keydesk list`.
pub fn list(file: &VaultFile, now: DateTime<Utc>, as_json: bool, all: bool) -> Result<(), CliError> {
    let keys: Vec<&KeyRecord> = file.keys.iter().filter(|k| all || k.is_live()).collect();
    if as_json {
        return pretty(&Value::Array(keys.iter().map(|k| key_json(k, now)).collect()));
    }
    if keys.is_empty() {
        return out("No keys yet: add one with `keydesk generate` or `keydesk add`.");
    }
    let width = keys.iter().map(|k| k.label.chars().count()).max().unwrap_or(5).clamp(5, 40);
    out(&format!(
        "{:<12}  {:<width$}  {:<13}  {:<9}  {:<22}  ATTENTION",
        "ID", "LABEL", "PROVIDER", "STATUS", "HINT"
    ))?;
    for key in keys {
        let label: String = key.label.chars().take(width).collect();
        let attention: Vec<String> = key.attention(now).into_iter().map(attention_word).collect();
        out(&format!(
            "{:<12}  {:<width$}  {:<13}  {:<9}  {:<22}  {}",
            key.id,
            label,
            key.provider.name(),
            key.status.word(),
            key.hint,
            attention.join(", ")
        ))?;
    }
    Ok(())
}

/// `keydesk show KEY`.
pub fn show(
    file: &VaultFile,
    audit_text: &str,
    now: DateTime<Utc>,
    query: &str,
    as_json: bool,
) -> Result<(), CliError> {
    let id = super::lookup::resolve(&file.keys, query)?;
    let Some(record) = file.key(&id) else {
        return Err(CliError::Failed(format!("No key has the id {id}.")));
    };
    let history: Vec<audit::Record> = audit::parse(audit_text)
        .into_iter()
        .filter(|r| r.key.as_deref() == Some(record.id.as_str()))
        .collect();
    if as_json {
        let mut value = key_json(record, now);
        value["history"] = Value::Array(history.iter().map(record_json).collect());
        return pretty(&value);
    }
    let value = key_json(record, now);
    let line = |name: &str, text: String| out(&format!("{name:<15} {text}"));
    let or_dash = |v: &Value| match v {
        Value::Null => "—".to_owned(),
        Value::String(s) if s.is_empty() => "—".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    line("Label", record.label.clone())?;
    line("Id", record.id.to_string())?;
    line("Provider", record.provider.name().to_owned())?;
    line("Status", record.status.word().to_owned())?;
    if let KeyStatus::Revoked { at, reason } = &record.status {
        line("Revoked", format!("{} — {reason}", at.format("%Y-%m-%d %H:%M UTC")))?;
    }
    if let Some(pending) = &record.provider_revoke_pending {
        line("Warning", pending.clone())?;
    }
    line("Hint", record.hint.clone())?;
    if let Some(verified) = &record.last_verified {
        line(
            "Verified",
            format!("{} — {}", verified.at.format("%Y-%m-%d %H:%M UTC"), verified.outcome.sentence()),
        )?;
    }
    line("Created", or_dash(&value["created_at"]))?;
    line("Expires", or_dash(&value["expires_at"]))?;
    line("Rotate every", record.rotate_after_days.map_or("—".into(), |d| format!("{d} days")))?;
    line("Region", or_dash(&value["region"]))?;
    line("Scopes", if record.scopes.is_empty() { "—".into() } else { record.scopes.join(", ") })?;
    line("Copied", format!("{} times, last {}", record.copy_count, or_dash(&value["last_copied_at"])))?;
    line("Revealed", format!("{} times", record.reveal_count))?;
    line(
        "Attention",
        or_dash(&Value::String(
            value["attention"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))
                .unwrap_or_default(),
        )),
    )?;
    line("Replaces", or_dash(&value["replaces"]))?;
    line("Replaced by", or_dash(&value["replaced_by"]))?;
    line("Notes", if record.notes.is_empty() { "—".into() } else { record.notes.clone() })?;
    if record.integrations.is_empty() {
        line("Integrations", "—".into())?;
    }
    for integration in &record.integrations {
        let url = integration.url.as_deref().map(|u| format!(" <{u}>")).unwrap_or_default();
        line("Integration", format!("{}{url}", integration.name))?;
    }
    out("History:")?;
    for entry in &history {
        out(&format!("  {}", record_line(entry)))?;
    }
    Ok(())
}

fn record_json(record: &audit::Record) -> Value {
    let (outcome, failure) = match &record.outcome {
        Outcome::Ok => ("ok", Value::Null),
        Outcome::Failed(why) => ("failed", Value::String(why.clone())),
    };
    json!({
        "at": time(Some(record.at)),
        "action": record.action.word(),
        "key": record.key,
        "outcome": outcome,
        "failure": failure,
        "detail": record.detail,
    })
}

fn record_line(record: &audit::Record) -> String {
    let outcome = match &record.outcome {
        Outcome::Ok => "ok".to_owned(),
        Outcome::Failed(why) => format!("FAILED: {why}"),
    };
    format!(
        "{}  {:<15}  {:<12}  {:<6}  {}",
        record.at.format("%Y-%m-%d %H:%M:%S"),
        record.action.word(),
        record.key.as_deref().unwrap_or("—"),
        outcome,
        record.detail.replace('\n', " ")
    )
}

/// `keydesk audit`, newest first.
pub fn audit(vault: &Vault, as_json: bool) -> Result<(), CliError> {
    let mut records = audit::parse(&vault.audit_text()?);
    records.reverse();
    if as_json {
        return pretty(&Value::Array(records.iter().map(record_json).collect()));
    }
    for record in &records {
        out(&record_line(record))?;
    }
    Ok(())
}

/// `keydesk check`: prints each finding; fails when anything is wrong.
pub fn check(report: &CheckReport) -> Result<(), CliError> {
    out(&format!("Keys: {}", report.keys))?;
    match &report.audit {
        Ok(chain) => out(&format!("Audit chain: verified, {} entries.", chain.entries))?,
        Err(error) => out(&format!("Audit chain: {error}"))?,
    }
    if let Some(warning) = &report.changed_outside {
        out(&format!("Integrity: {warning}"))?;
    }
    for label in &report.missing {
        out(&format!(
            "Missing secret: \"{label}\" has no secret in the secret store; revoke it and make a new key."
        ))?;
    }
    for label in &report.undecryptable {
        out(&format!(
            "Unreadable secret: \"{label}\" does not decrypt; restore the secret store from a backup."
        ))?;
    }
    for name in &report.orphans {
        out(&format!("Orphaned entry: {name} is in the secret store but no live key uses it."))?;
    }
    if let Some(problem) = &report.store_problem {
        out(&format!("Secret store: {problem}"))?;
    }
    if report.is_clean() {
        out("Everything is in order.")
    } else {
        Err(CliError::Failed("The check found problems (listed above).".into()))
    }
}

/// A progress line on a terminal's stderr ("Re-encrypting secrets: 40 of 100"), redrawn in
/// place at most a hundred times; silent when stderr is not a terminal.
pub struct Progress {
    what: &'static str,
    shown: Option<usize>,
    terminal: bool,
}

impl Progress {
    pub fn new(what: &'static str) -> Self {
        use std::io::IsTerminal;
        Progress { what, shown: None, terminal: std::io::stderr().is_terminal() }
    }

    pub fn show(&mut self, done: usize, total: usize) {
        let percent = (done * 100).checked_div(total).unwrap_or(100);
        if !self.terminal || self.shown == Some(percent) {
            return;
        }
        self.shown = Some(percent);
        eprint!("\r{}: {done} of {total} ({percent} %)", self.what);
    }

    pub fn finish(&self) {
        if self.terminal && self.shown.is_some() {
            eprintln!();
        }
    }
}
