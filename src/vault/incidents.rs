//! Incidents: a key that may have leaked, from where it was found to the summary that closes
//! the case. The vault adds each step taken on the key meanwhile (its revoke, its replacement,
//! each integration moved) to the incident's timeline as it happens, so the record is whole
//! without anyone retyping it; [`markdown`] is what a marketer sends to the team or a client.

use super::audit::Action;
use super::meta::check_text;
use super::model::{Incident, IncidentEvent, KeyId, KeyRecord, KeyStatus};
use super::{MAX_NOTES, Vault, VaultError, random_hex};

/// Longest "found where" and "noticed by" texts.
const MAX_SHORT: usize = 500;

/// What the user says when opening an incident.
#[derive(Debug, Clone, Default)]
pub struct IncidentReport {
    pub found_where: String,
    pub noticed_by: String,
    pub notes: String,
}

impl Vault {
    /// Opens an incident about `key`; returns its id.
    pub fn open_incident(&mut self, key: &KeyId, report: &IncidentReport) -> Result<String, VaultError> {
        let index = self.index_of(key)?;
        let label = self.file.keys[index].label.clone();
        let id = random_hex(self.env.rng.as_mut(), 4);
        let incident = new_incident(id.clone(), key, &label, report, self.now())?;
        let found_where = incident.found_where.clone();
        let detail = format!("incident {id} opened for \"{label}\": found in {found_where}");
        self.apply(Action::Incident, Some(key), detail, |file| {
            file.incidents.push(incident);
            Ok(())
        })?;
        Ok(id)
    }

    /// Closes the incident `id` with a summary.
    pub fn close_incident(&mut self, id: &str, summary: &str) -> Result<(), VaultError> {
        let index = self
            .file
            .incidents
            .iter()
            .position(|i| i.id == id)
            .ok_or_else(|| VaultError::UnknownKey { query: format!("incident {id}") })?;
        let mut closed = self.file.incidents[index].clone();
        close(&mut closed, summary, self.now())?;
        let key = closed.key.clone();
        let detail = format!("incident {id} closed: {}", closed.summary);
        self.apply(Action::Incident, Some(&key), detail, |file| {
            file.incidents[index] = closed;
            Ok(())
        })
    }
}

/// A new incident `id` about key `key` (labelled `label`), as `report` says, checked.
pub fn new_incident(
    id: String,
    key: &KeyId,
    label: &str,
    report: &IncidentReport,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Incident, VaultError> {
    let found_where = report.found_where.trim();
    if found_where.is_empty() {
        return Err(VaultError::NoFoundWhere);
    }
    check_text("where it was found", found_where, MAX_SHORT, false)?;
    check_text("who noticed", report.noticed_by.trim(), MAX_SHORT, false)?;
    check_text("notes", report.notes.trim(), MAX_NOTES, true)?;
    Ok(Incident {
        id,
        key: key.clone(),
        opened_at: now,
        found_where: found_where.to_owned(),
        noticed_by: report.noticed_by.trim().to_owned(),
        notes: report.notes.trim().to_owned(),
        timeline: vec![IncidentEvent {
            at: now,
            what: format!("Opened: \"{label}\" found in {found_where}"),
        }],
        closed_at: None,
        summary: String::new(),
    })
}

/// Closes `incident` with `summary`, checked, at `now`.
pub fn close(
    incident: &mut Incident,
    summary: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), VaultError> {
    let summary = summary.trim();
    if summary.is_empty() {
        return Err(VaultError::EmptySummary);
    }
    check_text("summary", summary, MAX_NOTES, true)?;
    if incident.closed_at.is_some() {
        return Err(VaultError::OutOfRange { field: "incident", range: "an open one (this one is closed)" });
    }
    incident.timeline.push(IncidentEvent { at: now, what: format!("Closed: {summary}") });
    incident.closed_at = Some(now);
    incident.summary = summary.to_owned();
    Ok(())
}

/// Text from the user made safe in one Markdown line or table cell.
fn inline(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .replace('|', "\\|")
        .replace('<', "&lt;")
}

/// The incident as a Markdown report: what was found, the timeline, the integrations
/// affected, what was done and what is still open. It holds no secret (the key's hint only).
pub fn markdown(keys: &[KeyRecord], incident: &Incident) -> String {
    let time = |at: chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%d %H:%M UTC").to_string();
    let find = |id: &KeyId| keys.iter().find(|k| k.id == *id);
    let key = find(&incident.key);
    let label = key.map_or_else(|| incident.key.to_string(), |k| k.label.clone());
    let mut md = format!("# Incident {}: suspected leak of \"{}\"\n\n", incident.id, inline(&label));
    if let Some(key) = key {
        md.push_str(&format!(
            "- **Key:** {} ({} key `{}`, Keydesk id {})\n",
            inline(&key.label),
            key.provider.name(),
            inline(&key.hint),
            key.id
        ));
    }
    md.push_str(&format!("- **Found in:** {}\n", inline(&incident.found_where)));
    if !incident.noticed_by.is_empty() {
        md.push_str(&format!("- **Noticed by:** {}\n", inline(&incident.noticed_by)));
    }
    md.push_str(&format!("- **Opened:** {}\n", time(incident.opened_at)));
    match incident.closed_at {
        Some(at) => md.push_str(&format!("- **Closed:** {} — {}\n", time(at), inline(&incident.summary))),
        None => md.push_str("- **Status:** open\n"),
    }
    if !incident.notes.is_empty() {
        md.push_str("\n## Notes\n\n");
        for line in incident.notes.lines() {
            md.push_str(&format!("> {}\n", inline(line)));
        }
    }
    md.push_str("\n## Timeline\n\n| When | What |\n|---|---|\n");
    for event in &incident.timeline {
        md.push_str(&format!("| {} | {} |\n", time(event.at), inline(&event.what)));
    }
    let replacement = key.and_then(|k| k.replaced_by.as_ref()).and_then(find);
    let rotation = key.and_then(|k| k.rotation.as_ref());
    md.push_str("\n## Affected integrations\n\n");
    let integrations = key.map(|k| k.integrations.as_slice()).unwrap_or_default();
    if integrations.is_empty() {
        md.push_str("None recorded for this key.\n");
    }
    let mut open_items = Vec::new();
    for integration in integrations {
        let step = rotation.and_then(|r| r.steps.iter().find(|s| s.integration == integration.name));
        let url = integration.url.as_deref().map(|u| format!(" <{}>", inline(u))).unwrap_or_default();
        let state = match (step, replacement) {
            (Some(step), _) if step.moved() => "moved to the new key".to_owned(),
            (Some(step), _) => {
                open_items
                    .push(format!("Move {} to the new key (updated and tested).", inline(&integration.name)));
                match (step.updated_at, step.tested_at) {
                    (Some(_), None) => "updated, not yet tested".to_owned(),
                    _ => "not yet moved".to_owned(),
                }
            }
            (None, Some(_)) => "moved (rotation finished)".to_owned(),
            (None, None) => {
                open_items.push(format!("Give {} a new key.", inline(&integration.name)));
                "still uses this key".to_owned()
            }
        };
        md.push_str(&format!("- {}{url}: {state}\n", inline(&integration.name)));
    }
    md.push_str("\n## Actions\n\n");
    match key.map(|k| &k.status) {
        Some(KeyStatus::Revoked { at, reason }) => {
            md.push_str(&format!("- Revoked {} ({}).\n", time(*at), inline(reason)));
            if let Some(pending) = key.and_then(|k| k.provider_revoke_pending.as_deref()) {
                md.push_str(&format!("- **The revoke at the provider failed:** {}\n", inline(pending)));
                open_items.push("Revoke it at the provider: it may still work there.".to_owned());
            }
        }
        _ => {
            md.push_str("- Not revoked yet.\n");
            open_items.insert(0, "Revoke the key.".to_owned());
        }
    }
    match replacement {
        Some(new) => {
            md.push_str(&format!("- Replaced by \"{}\" (Keydesk id {}).\n", inline(&new.label), new.id));
        }
        None => {
            md.push_str("- No replacement yet.\n");
            if !integrations.is_empty() {
                open_items.push("Make its replacement.".to_owned());
            }
        }
    }
    if incident.closed_at.is_none() {
        open_items.push("Close the incident with a summary.".to_owned());
    }
    md.push_str("\n## Open items\n\n");
    if open_items.is_empty() {
        md.push_str("None.\n");
    }
    for item in open_items {
        md.push_str(&format!("- [ ] {item}\n"));
    }
    md
}
