//! `keydesk due`: what is due (expiries, rotations, retiring keys, open incidents), for people
//! and scripts, and the desktop notification the daily timer posts (with the critical health
//! findings the due list does not already say).

use chrono::{DateTime, Utc};
use serde_json::json;

use super::CliError;
use super::commands::out;
use super::render::{pretty, time};
use crate::vault::model::{Incident, KeyRecord, KeyStatus};

/// How far ahead `keydesk due` looks for expiries and rotations.
const DUE_WITHIN_DAYS: i64 = 14;

/// What is due about one key at `now`, as (what, when, words).
fn due_items(record: &KeyRecord, now: DateTime<Utc>) -> Vec<(&'static str, Option<DateTime<Utc>>, String)> {
    let mut items = Vec::new();
    if let Some(flag) = record.unexpected_use() {
        let after = if flag.revoked { "it was revoked" } else { "every integration moved off it" };
        items.push((
            "possible unauthorized use",
            Some(flag.used_at),
            format!(
                "possible unauthorized use: used at {} on {}, after {after}",
                record.provider.name(),
                flag.used_at.format("%Y-%m-%d %H:%M UTC")
            ),
        ));
    }
    if !record.is_live() {
        return items;
    }
    // Whole days ahead, rounded up (due in 9 days 23 hours is "in 10 days"); days past, down.
    let ahead = |at: DateTime<Utc>| ((at - now).num_seconds() + 86_399) / 86_400;
    let past = |at: DateTime<Utc>| (now - at).num_days();
    if let Some(at) = record.expires_at {
        if at <= now {
            items.push(("expired", Some(at), format!("expired {}", ago_words(past(at)))));
        } else if ahead(at) <= DUE_WITHIN_DAYS {
            items.push(("expires", Some(at), format!("expires {}", in_words(ahead(at)))));
        }
    }
    if record.status == KeyStatus::Active
        && let Some(at) = record.rotation_due_at()
    {
        if at <= now {
            items.push((
                "rotation overdue",
                Some(at),
                format!("rotation overdue since {}", ago_words(past(at))),
            ));
        } else if ahead(at) <= DUE_WITHIN_DAYS {
            items.push(("rotation due", Some(at), format!("rotation due {}", in_words(ahead(at)))));
        }
    }
    if record.status == KeyStatus::Retiring {
        items.push((
            "retiring",
            None,
            "retiring: move its integrations to the new key, then revoke it".into(),
        ));
    }
    items
}

fn in_words(days: i64) -> String {
    match days {
        ..=1 => "within a day".into(),
        n => format!("in {n} days"),
    }
}

fn ago_words(days: i64) -> String {
    match days {
        0 => "today".into(),
        1 => "1 day ago".into(),
        n => format!("{n} days ago"),
    }
}

/// A key that is due, with what is due about it.
type DueKey<'a> = (&'a KeyRecord, Vec<(&'static str, Option<DateTime<Utc>>, String)>);

fn due_keys(keys: &[KeyRecord], now: DateTime<Utc>) -> Vec<DueKey<'_>> {
    keys.iter().map(|k| (k, due_items(k, now))).filter(|(_, items)| !items.is_empty()).collect()
}

/// The desktop notification for what is due (summary, body), or `None` when nothing is.
pub fn due_notification(
    (keys, incidents): (&[KeyRecord], &[Incident]),
    now: DateTime<Utc>,
) -> Option<(String, String)> {
    const MOST: usize = 5;
    use crate::vault::health::{FindingKind, Severity, findings_of};
    let due = due_keys(keys, now);
    let count = due.len();
    // Critical findings the due list does not already say (a refused key still active, a use
    // after its revoke): an expiry is due, an incident listed.
    let report = findings_of((keys, incidents, &[]), now);
    let critical: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Critical)
        .filter(|f| !matches!(f.kind, FindingKind::Expired | FindingKind::StaleIncident))
        .collect();
    let incidents = open_incidents(incidents);
    if count == 0 && incidents.is_empty() && critical.is_empty() {
        return None;
    }
    let summary = match (count, incidents.len(), critical.len()) {
        (0, 0, n) => format!("Keydesk: {n} critical {}", if n == 1 { "finding" } else { "findings" }),
        (0, n, _) => format!("Keydesk: {n} open {}", if n == 1 { "incident" } else { "incidents" }),
        (1, _, _) => "Keydesk: 1 key is due".to_owned(),
        (n, _, _) => format!("Keydesk: {n} keys are due"),
    };
    let mut lines: Vec<String> = due
        .iter()
        .take(MOST)
        .map(|(key, items)| {
            let words: Vec<&str> = items.iter().map(|(_, _, words)| words.as_str()).collect();
            format!("{}: {}", crate::vault::format::clip(&key.label, 40), words.join("; "))
        })
        .collect();
    if count > MOST {
        lines.push(format!("and {} more: run keydesk due", count - MOST));
    }
    lines.extend(incidents.iter().map(|i| incident_line(keys, i)));
    for finding in critical.iter().take(MOST) {
        let label = |id: &crate::vault::model::KeyId| {
            keys.iter()
                .find(|k| k.id == *id)
                .map_or_else(|| id.to_string(), |k| crate::vault::format::clip(&k.label, 40))
        };
        let named: Vec<String> = finding.keys.iter().take(3).map(label).collect();
        let more = finding.keys.len().saturating_sub(3);
        let more = if more > 0 { format!(" and {more} more") } else { String::new() };
        lines.push(format!(
            "Critical: {}: {}{more}. Run keydesk health.",
            finding.kind.title(),
            named.join(", ")
        ));
    }
    Some((summary, lines.join("\n")))
}

/// The incidents not yet closed, oldest first.
fn open_incidents(incidents: &[Incident]) -> Vec<&Incident> {
    incidents.iter().filter(|i| i.closed_at.is_none()).collect()
}

/// An open incident in a line: its id, its key's label and where the key was found.
fn incident_line(keys: &[KeyRecord], incident: &Incident) -> String {
    let label = keys
        .iter()
        .find(|k| k.id == incident.key)
        .map_or_else(|| incident.key.to_string(), |k| k.label.clone());
    format!(
        "incident {} open: \"{}\" found in {}",
        incident.id,
        crate::vault::format::clip(&label, 40),
        crate::vault::format::clip(&incident.found_where, 60)
    )
}

/// `keydesk due` as asked: the list, and with `--notify` a desktop notification when
/// something is due.
pub fn due_and_notify(
    (keys, incidents): (&[KeyRecord], &[Incident]),
    now: DateTime<Utc>,
    args: &super::args::DueArgs,
) -> Result<(), CliError> {
    due((keys, incidents), now, args.json)?;
    match due_notification((keys, incidents), now).filter(|_| args.notify) {
        Some((summary, body)) => super::notify::post(&summary, &body).map_err(CliError::Failed),
        None => Ok(()),
    }
}

/// `keydesk due`: the live keys that are expired, expiring, due for rotation or retiring,
/// and the incidents still open.
pub fn due(
    (keys, incidents): (&[KeyRecord], &[Incident]),
    now: DateTime<Utc>,
    as_json: bool,
) -> Result<(), CliError> {
    let due = due_keys(keys, now);
    let incidents = open_incidents(incidents);
    if as_json {
        let keys = due.iter().map(|(key, items)| {
            json!({
                "id": key.id,
                "label": key.label,
                "provider": key.provider.slug(),
                "status": key.status.word(),
                "due": items.iter().map(|(what, at, words)| json!({"what": what, "at": time(*at), "text": words})).collect::<Vec<_>>(),
            })
        });
        let open = incidents.iter().map(|i| {
            json!({"id": i.id, "key": i.key, "opened_at": time(Some(i.opened_at)), "found_where": i.found_where})
        });
        return pretty(&json!({
            "within_days": DUE_WITHIN_DAYS,
            "keys": keys.collect::<Vec<_>>(),
            "open_incidents": open.collect::<Vec<_>>(),
        }));
    }
    if due.is_empty() && incidents.is_empty() {
        return out(&format!(
            "Nothing is due: no key expires or needs rotating in the next {DUE_WITHIN_DAYS} days."
        ));
    }
    if due.is_empty() {
        let lines: Vec<String> = incidents.iter().map(|i| incident_line(keys, i)).collect();
        return out(&format!(
            "No key expires or needs rotating in the next {DUE_WITHIN_DAYS} days.\n{}",
            lines.join("\n")
        ));
    }
    let width = due.iter().map(|(k, _)| k.label.chars().count()).max().unwrap_or(5).clamp(5, 40);
    let mut table = format!("{:<12}  {:<width$}  {:<13}  DUE", "ID", "LABEL", "PROVIDER");
    for (key, items) in &due {
        let label: String = key.label.chars().take(width).collect();
        let words: Vec<&str> = items.iter().map(|(_, _, words)| words.as_str()).collect();
        table.push_str(&format!(
            "\n{:<12}  {label:<width$}  {:<13}  {}",
            key.id,
            key.provider.name(),
            words.join("; ")
        ));
    }
    let count = due.len();
    table.push_str(&format!("\n{count} {} due.", if count == 1 { "key is" } else { "keys are" }));
    for incident in incidents {
        table.push_str(&format!("\n{}", incident_line(keys, incident)));
    }
    out(&table)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]

    use chrono::TimeZone;

    use super::*;
    use crate::providers::Provider;
    use crate::vault::model::{Integration, KeyId, KeyStatus, Verification, VerifyOutcome};

    fn refused_but_active(now: DateTime<Utc>) -> KeyRecord {
        KeyRecord {
            id: KeyId::from_stored("aaaa00000001"),
            label: "CRM mail".into(),
            provider: Provider::SendGrid,
            account: None,
            provider_key_id: None,
            region: None,
            scopes: vec![],
            hint: "SG.…abcd".into(),
            lookup_hash: "A".repeat(16),
            created_at: now - chrono::Duration::days(30),
            expires_at: None,
            rotate_after_days: None,
            status: KeyStatus::Active,
            integrations: vec![Integration { name: "HubSpot".into(), url: None, note: String::new() }],
            notes: String::new(),
            tags: vec![],
            copy_count: 0,
            last_copied_at: None,
            reveal_count: 0,
            last_verified: Some(Verification { at: now, outcome: VerifyOutcome::Unauthorized }),
            replaces: None,
            replaced_by: None,
            provider_revoke_pending: None,
            rotation: None,
            usage: None,
        }
    }

    #[test]
    fn a_critical_finding_is_notified_when_nothing_is_due() {
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
        let keys = [refused_but_active(now)];
        let (summary, body) = due_notification((&keys, &[]), now).unwrap();
        assert_eq!(summary, "Keydesk: 1 critical finding");
        assert_eq!(
            body,
            "Critical: Refused at the provider, still active here: CRM mail. Run keydesk health."
        );
        let mut fine = refused_but_active(now);
        fine.last_verified = None;
        fine.created_at = now;
        assert!(
            due_notification((&[fine], &[]), now).is_none(),
            "a never-checked key is no critical finding"
        );
    }
}
