//! What the read-only commands print: tables for people, JSON for scripts. No secrets.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::CliError;
use super::commands::out;
use crate::vault::CheckReport;
use crate::vault::audit::{self, Outcome};
use crate::vault::model::{Attention, KeyRecord, KeyStatus, VaultFile, VerifyOutcome};
use crate::words::times;

pub(super) fn time(at: Option<DateTime<Utc>>) -> Value {
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

/// A key as `list --json` and `show --json` give it: borrowed from the record and written
/// field by field (no JSON value tree is built), fields in alphabetical order as before.
#[derive(serde::Serialize)]
struct KeyJson<'a> {
    account: &'a Option<String>,
    attention: Vec<String>,
    copy_count: u64,
    created_at: Value,
    expires_at: Value,
    hint: &'a str,
    id: &'a crate::vault::model::KeyId,
    integrations: Vec<IntegrationJson<'a>>,
    label: &'a str,
    last_copied_at: Value,
    last_verified: Option<VerifiedJson>,
    notes: &'a str,
    possible_unauthorized_use: bool,
    provider: &'static str,
    provider_key_id: &'a Option<String>,
    provider_revoke_pending: &'a Option<String>,
    region: &'a Option<String>,
    replaced_by: &'a Option<crate::vault::model::KeyId>,
    replaces: &'a Option<crate::vault::model::KeyId>,
    reveal_count: u64,
    revoke_reason: Option<&'a str>,
    revoked_at: Value,
    rotate_after_days: Option<u32>,
    scopes: &'a [String],
    status: &'static str,
    tags: &'a [String],
    usage_at_provider: Option<UsageJson<'a>>,
}

#[derive(serde::Serialize)]
struct IntegrationJson<'a> {
    name: &'a str,
    note: &'a str,
    url: &'a Option<String>,
}

#[derive(serde::Serialize)]
struct VerifiedJson {
    at: Value,
    outcome: String,
}

#[derive(serde::Serialize)]
struct UsageJson<'a> {
    checked_at: Value,
    detail: &'a str,
    last_used: Value,
    source: &'a str,
}

impl<'a> KeyJson<'a> {
    fn new(record: &'a KeyRecord, now: DateTime<Utc>) -> Self {
        let (revoked_at, revoke_reason) = match &record.status {
            KeyStatus::Revoked { at, reason } => (time(Some(*at)), Some(reason.as_str())),
            _ => (Value::Null, None),
        };
        KeyJson {
            account: &record.account,
            attention: record.attention(now).into_iter().map(attention_word).collect(),
            copy_count: record.copy_count,
            created_at: time(Some(record.created_at)),
            expires_at: time(record.expires_at),
            hint: &record.hint,
            id: &record.id,
            integrations: record
                .integrations
                .iter()
                .map(|i| IntegrationJson { name: &i.name, note: &i.note, url: &i.url })
                .collect(),
            label: &record.label,
            last_copied_at: time(record.last_copied_at),
            last_verified: record
                .last_verified
                .as_ref()
                .map(|v| VerifiedJson { at: time(Some(v.at)), outcome: verify_word(&v.outcome) }),
            notes: &record.notes,
            possible_unauthorized_use: record.unexpected_use().is_some(),
            provider: record.provider.slug(),
            provider_key_id: &record.provider_key_id,
            provider_revoke_pending: &record.provider_revoke_pending,
            region: &record.region,
            replaced_by: &record.replaced_by,
            replaces: &record.replaces,
            reveal_count: record.reveal_count,
            revoke_reason,
            revoked_at,
            rotate_after_days: record.rotate_after_days,
            scopes: &record.scopes,
            status: record.status.word(),
            tags: &record.tags,
            usage_at_provider: record.usage.as_ref().map(|u| UsageJson {
                checked_at: time(Some(u.checked_at)),
                detail: &u.detail,
                last_used: time(u.last_used),
                source: &u.source,
            }),
        }
    }
}

fn key_json(record: &KeyRecord, now: DateTime<Utc>) -> Value {
    serde_json::to_value(KeyJson::new(record, now)).unwrap_or_default()
}

pub(super) fn pretty(value: &Value) -> Result<(), CliError> {
    out(&serde_json::to_string_pretty(value).unwrap_or_default())
}

/// `keydesk list --json`: the same pretty JSON array, each key made and written in turn, so it
/// costs about what the table does (the whole array as one value took four times the memory).
/// A reader that stops early (`head`) ends it without an error.
fn list_json(keys: &[&KeyRecord], now: DateTime<Utc>) -> Result<(), CliError> {
    struct Keys<'a>(&'a [&'a KeyRecord], DateTime<Utc>);
    impl serde::Serialize for Keys<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_seq(self.0.iter().map(|key| KeyJson::new(key, self.1)))
        }
    }
    use std::io::Write;
    let mut writer = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let written = serde_json::to_writer_pretty(&mut writer, &Keys(keys, now))
        .map_err(std::io::Error::from)
        .and_then(|()| writer.write_all(b"\n"))
        .and_then(|()| writer.flush());
    match written {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(CliError::Failed("Could not write to stdout.".into()))
        }
        _ => Ok(()),
    }
}

/// `keydesk list`.
pub fn list(keys: &[KeyRecord], now: DateTime<Utc>, shown: &super::args::ListArgs) -> Result<(), CliError> {
    let keys: Vec<&KeyRecord> = keys.iter().filter(|k| shown.all || k.is_live()).collect();
    if shown.json {
        return list_json(&keys, now);
    }
    if keys.is_empty() {
        return out("No keys yet: add one with `keydesk generate` or `keydesk add`.");
    }
    let width = keys.iter().map(|k| k.label.chars().count()).max().unwrap_or(5).clamp(5, 40);
    // The table is written at once (one write, not one per key).
    let mut table = format!(
        "{:<12}  {:<width$}  {:<13}  {:<9}  {:<22}  ATTENTION",
        "ID", "LABEL", "PROVIDER", "STATUS", "HINT"
    );
    for key in keys {
        let label: String = key.label.chars().take(width).collect();
        let attention: Vec<String> = key.attention(now).into_iter().map(attention_word).collect();
        table.push_str(&format!(
            "\n{:<12}  {:<width$}  {:<13}  {:<9}  {:<22}  {}",
            key.id,
            label,
            key.provider.name(),
            key.status.word(),
            key.hint,
            attention.join(", ")
        ));
    }
    out(&table)
}

/// `keydesk rotate KEY --status`: the rotation `query` (the old key or its replacement) is
/// part of, read without the password.
pub fn rotation(keys: &[KeyRecord], query: &str, as_json: bool) -> Result<(), CliError> {
    let id = super::lookup::resolve_quietly(keys, query)?;
    let find = |id: &crate::vault::model::KeyId| keys.iter().find(|k| k.id == *id);
    let record = find(&id).ok_or_else(|| CliError::Failed(format!("No key has the id {id}.")))?;
    let Some((old, rotation)) = crate::vault::rotation_in(keys, &id) else {
        return Err(CliError::Failed(
            crate::vault::VaultError::NoRotation { label: record.label.clone() }.to_string(),
        ));
    };
    let new = old.replaced_by.as_ref().and_then(find);
    let (moved, total) = rotation.progress();
    if as_json {
        return pretty(&json!({
            "old_key": old.id,
            "new_key": new.map(|n| n.id.to_string()),
            "label": old.label,
            "started_at": time(Some(rotation.started_at)),
            "moved": moved,
            "total": total,
            "integrations": rotation.steps.iter().map(|s| json!({
                "name": s.integration,
                "updated_at": time(s.updated_at),
                "tested_at": time(s.tested_at),
                "moved": s.moved(),
            })).collect::<Vec<_>>(),
        }));
    }
    let when =
        |at: Option<DateTime<Utc>>| at.map_or("—".to_owned(), |t| t.format("%Y-%m-%d %H:%M").to_string());
    let mut text = format!(
        "Rotation of \"{}\" ({}), started {}: new key {}. {moved} of {total} integrations moved.",
        old.label,
        old.id,
        rotation.started_at.format("%Y-%m-%d"),
        new.map_or("(gone)".to_owned(), |n| n.id.to_string())
    );
    if !rotation.steps.is_empty() {
        let width = rotation.steps.iter().map(|s| s.integration.chars().count()).max().unwrap_or(11).max(11);
        text.push_str(&format!("\n{:<width$}  {:<16}  {:<16}", "INTEGRATION", "UPDATED", "TESTED"));
        for step in &rotation.steps {
            text.push_str(&format!(
                "\n{:<width$}  {:<16}  {:<16}",
                step.integration,
                when(step.updated_at),
                when(step.tested_at)
            ));
        }
    }
    out(&text)
}

/// `keydesk incident list`: open incidents first, then closed ones, newest first in each.
pub fn incidents(
    keys: &[KeyRecord],
    incidents: &[crate::vault::model::Incident],
    as_json: bool,
) -> Result<(), CliError> {
    let mut incidents: Vec<&crate::vault::model::Incident> = incidents.iter().collect();
    incidents.sort_by_key(|i| (i.closed_at.is_some(), std::cmp::Reverse(i.opened_at)));
    let label = |i: &crate::vault::model::Incident| {
        keys.iter().find(|k| k.id == i.key).map_or_else(|| i.key.to_string(), |k| k.label.clone())
    };
    if as_json {
        return pretty(&Value::Array(
            incidents
                .iter()
                .map(|i| {
                    json!({
                        "id": i.id, "key": i.key, "label": label(i), "opened_at": time(Some(i.opened_at)),
                        "found_where": i.found_where, "noticed_by": i.noticed_by, "closed_at": time(i.closed_at),
                        "summary": i.summary, "steps": i.timeline.len(),
                    })
                })
                .collect(),
        ));
    }
    if incidents.is_empty() {
        return out("No incidents.");
    }
    let mut text = format!("{:<8}  {:<6}  {:<10}  {:<30}  FOUND IN", "ID", "STATUS", "OPENED", "KEY");
    for incident in incidents {
        text.push_str(&format!(
            "\n{:<8}  {:<6}  {:<10}  {:<30}  {}",
            incident.id,
            if incident.closed_at.is_some() { "closed" } else { "open" },
            incident.opened_at.format("%Y-%m-%d"),
            label(incident).chars().take(30).collect::<String>(),
            crate::vault::format::clip(&incident.found_where, 60)
        ));
    }
    out(&text)
}

/// `keydesk info`: what the vault is made of, read without the password.
pub fn info(
    file: &VaultFile,
    dir: &std::path::Path,
    sizes: &[(&'static str, Option<u64>)],
    as_json: bool,
) -> Result<(), CliError> {
    let count = |status: &str| file.keys.iter().filter(|k| k.status.word() == status).count();
    let (active, retiring, revoked) = (count("active"), count("retiring"), count("revoked"));
    let kdf = file.header.kdf;
    if as_json {
        let files: serde_json::Map<String, Value> =
            sizes.iter().map(|(name, size)| ((*name).to_owned(), json!(size))).collect();
        return pretty(&json!({
            "folder": dir.display().to_string(),
            "format": file.format,
            "vault_id": file.header.vault_id,
            "created_at": time(Some(file.header.created_at)),
            "kdf": {"algorithm": "argon2id", "memory_kib": kdf.memory_kib, "iterations": kdf.iterations, "lanes": kdf.lanes},
            "secret_store": file.header.secret_store.slug(),
            "keys": {"total": file.keys.len(), "active": active, "retiring": retiring, "revoked": revoked},
            "accounts": file.accounts.len(),
            "audit_entries": file.audit.entries,
            "generation": file.header.generation,
            "files": files,
        }));
    }
    let mut text = format!("Folder          {}", dir.display());
    text.push_str(&format!("\nFormat          {}", file.format));
    text.push_str(&format!("\nCreated         {}", file.header.created_at.format("%Y-%m-%d %H:%M UTC")));
    text.push_str(&format!(
        "\nKey derivation  Argon2id, {} MiB, {} iterations, {} {}",
        kdf.memory_kib / 1024,
        kdf.iterations,
        kdf.lanes,
        if kdf.lanes == 1 { "lane" } else { "lanes" }
    ));
    text.push_str(&format!("\nSecret store    {}", file.header.secret_store.slug()));
    text.push_str(&format!(
        "\nKeys            {} ({active} active, {retiring} retiring, {revoked} revoked)",
        file.keys.len()
    ));
    text.push_str(&format!("\nAccounts        {}", file.accounts.len()));
    text.push_str(&format!("\nAudit entries   {} at the last save", file.audit.entries));
    for (name, size) in sizes {
        if let Some(bytes) = size {
            text.push_str(&format!("\n{:<16}{}", name, bytes_words(*bytes)));
        }
    }
    out(&text)
}

fn bytes_words(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss, reason = "a size shown to one decimal")]
    let size = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KiB ({bytes} bytes)", size / 1024.0)
    } else {
        format!("{:.1} MiB ({bytes} bytes)", size / (1024.0 * 1024.0))
    }
}

/// A vault's audit log, oldest first: a local vault's lines, or a team vault's trail with the
/// member who did each (`by`, one a record; empty for a local vault).
#[derive(Clone, Copy)]
pub struct Log<'a> {
    pub records: &'a [audit::Record],
    pub by: &'a [String],
}

impl<'a> Log<'a> {
    /// Each line with who did it, oldest first.
    fn lines(self) -> impl DoubleEndedIterator<Item = (&'a audit::Record, Option<&'a String>)> {
        self.records.iter().enumerate().map(move |(at, record)| (record, self.by.get(at)))
    }
}

/// A line of the log as `audit` and `show` print it.
fn log_line(record: &audit::Record, by: Option<&String>) -> String {
    match by {
        Some(by) => format!("{}  — by {by}", record_line(record)),
        None => record_line(record),
    }
}

/// A line of the log as `--json` gives it.
fn log_json(record: &audit::Record, by: Option<&String>) -> Value {
    let mut value = record_json(record);
    if let Some(by) = by {
        value["by"] = Value::String(by.clone());
    }
    value
}

/// `keydesk show KEY`, with the key's lines of `log`.
pub fn show(
    keys: &[KeyRecord],
    log: Log<'_>,
    now: DateTime<Utc>,
    query: &str,
    as_json: bool,
) -> Result<(), CliError> {
    let id = super::lookup::resolve(keys, query)?;
    let Some(record) = keys.iter().find(|k| k.id == id) else {
        return Err(CliError::Failed(format!("No key has the id {id}.")));
    };
    let history: Vec<_> =
        log.lines().filter(|(line, _by)| line.key.as_deref() == Some(record.id.as_str())).collect();
    if as_json {
        let mut value = key_json(record, now);
        value["history"] = Value::Array(history.iter().map(|(line, by)| log_json(line, *by)).collect());
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
    if let Some(usage) = &record.usage {
        line("Used", crate::actions::usage_sentence(record.provider, usage, now))?;
    }
    if let Some(flag) = record.unexpected_use() {
        line("Warning", crate::actions::unexpected_sentence(record.provider, &flag))?;
    }
    line("Created", or_dash(&value["created_at"]))?;
    line("Expires", or_dash(&value["expires_at"]))?;
    line("Rotate every", record.rotate_after_days.map_or("—".into(), |d| format!("{d} days")))?;
    line("Region", or_dash(&value["region"]))?;
    line("Scopes", if record.scopes.is_empty() { "—".into() } else { record.scopes.join(", ") })?;
    line("Copied", format!("{}, last {}", times(record.copy_count), or_dash(&value["last_copied_at"])))?;
    line("Revealed", times(record.reveal_count))?;
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
    if !record.tags.is_empty() {
        line("Tags", record.tags.join(", "))?;
    }
    if record.integrations.is_empty() {
        line("Integrations", "—".into())?;
    }
    for integration in &record.integrations {
        let url = integration.url.as_deref().map(|u| format!(" <{u}>")).unwrap_or_default();
        line("Integration", format!("{}{url}", integration.name))?;
    }
    out("History:")?;
    for (line, by) in history {
        out(&format!("  {}", log_line(line, by)))?;
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

/// `keydesk audit`: `log`, newest first.
pub fn audit(log: Log<'_>, as_json: bool) -> Result<(), CliError> {
    if as_json {
        return pretty(&Value::Array(log.lines().rev().map(|(line, by)| log_json(line, by)).collect()));
    }
    for (line, by) in log.lines().rev() {
        out(&log_line(line, by))?;
    }
    Ok(())
}

/// What `check` went through, the same words for a local vault and a team vault.
fn checked_counts(keys: usize, accounts: usize, incidents: usize) -> String {
    format!("Keys: {keys}, provider accounts: {accounts}, incidents: {incidents} (every live secret opened).")
}

/// `keydesk check`: prints each finding; fails when anything is wrong.
pub fn check(report: &CheckReport) -> Result<(), CliError> {
    out(&checked_counts(report.keys, report.accounts, report.incidents))?;
    match &report.audit {
        Ok(chain) => out(&format!("Audit log: verified, {} entries.", chain.entries))?,
        Err(error) => out(&format!("Audit log: {error}"))?,
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

/// `keydesk check` on a team vault.
pub fn team_check(report: &crate::team::check::TeamCheck) -> Result<(), CliError> {
    out(&checked_counts(report.keys, report.accounts, report.incidents))?;
    match &report.audit {
        Ok(entries) => out(&format!("Audit log: verified, {entries} entries."))?,
        Err(error) => out(&format!("Audit log: {error}"))?,
    }
    for problem in &report.problems {
        out(problem)?;
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
