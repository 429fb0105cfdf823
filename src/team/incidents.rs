//! Incidents in a team vault, at `incidents/<id>`: a suspected leak as a local vault keeps it
//! (where it was found, who noticed, notes, the summary that closes it), under an entry seal
//! bound to `incident <id>`. Its timeline is not written step by step as locally: every step
//! taken on the key meanwhile (its revoke, its replacement, each integration moved, by any
//! member) is already an entry of the team's audit trail, so the timeline is read from there
//! — nothing to keep in step, no second write that could be lost.

use chrono::{DateTime, Utc};

use super::audit::TeamEvent;
use super::kv::KvError;
use super::{TeamError, TeamKey, TeamKeys, TeamVault};
use crate::vault::audit::Action;
use crate::vault::crypto;
use crate::vault::incidents::{IncidentReport, close, new_incident};
use crate::vault::model::{Incident, IncidentEvent, KeyRecord};
use crate::vault::stored::{self, Stores as _};
use crate::vault::{Entropy, VaultError};

/// An incident as the server keeps it: the local vault's record, and where in the team's
/// trail its timeline starts (the trail's length when it was opened), so reading its timeline
/// reads only the entries since, not the whole trail.
#[derive(serde::Serialize, serde::Deserialize)]
struct Stored<'a> {
    #[serde(flatten)]
    incident: stored::Incident<'a>,
    /// 0 (the whole trail) for an incident written without it.
    #[serde(default)]
    trail_from: u64,
}

/// An incident as read from the server, with the version read.
#[derive(Debug, Clone)]
pub struct TeamIncident {
    pub incident: Incident,
    /// The trail's entries after this one are its timeline's candidates.
    pub trail_from: u64,
    pub version: u64,
    generation: u64,
    record_text: String,
}

fn subject(id: &str) -> String {
    format!("incident {id}")
}

impl TeamVault {
    /// The team's incidents, each entry's seal checked.
    pub fn incidents(&self, keys: &TeamKeys) -> Result<Vec<TeamIncident>, TeamError> {
        let mut found = Vec::new();
        for id in self.incident_ids()? {
            if let Some(incident) = self.read_incident(keys, &id)? {
                found.push(incident);
            }
        }
        Ok(found)
    }

    /// The team's incidents as a reminder shows them (`keydesk due`, which runs without a
    /// password): their seals are not checked, as the key list's are not. Nothing is done
    /// with them; every command that acts on an incident reads it with [`incidents`](Self::incidents).
    pub fn incidents_to_show(&self) -> Result<Vec<Incident>, TeamError> {
        let mut found = Vec::new();
        for id in self.incident_ids()? {
            let what = format!("incident {id}");
            if let Some(stored) = self.read_stored(&format!("incidents/{id}"), &what)? {
                let Stored { incident, .. } = stored.parse(&what)?;
                found.push(incident.into_model());
            }
        }
        Ok(found)
    }

    pub(super) fn incident_ids(&self) -> Result<Vec<String>, TeamError> {
        let mut ids = self.kv.list("incidents")?;
        ids.retain(|id| !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric()));
        Ok(ids)
    }

    pub(super) fn read_incident(&self, keys: &TeamKeys, id: &str) -> Result<Option<TeamIncident>, TeamError> {
        let what = format!("incident {id}");
        let Some(stored) = self.read_stored(&format!("incidents/{id}"), &what)? else { return Ok(None) };
        let subject = subject(id);
        let entry = super::SealedRef {
            subject: &subject,
            record_text: &stored.record_text,
            secret: &stored.secret,
            changed_by: &stored.changed_by,
            seal: &stored.seal,
            generation: stored.generation,
            version: stored.version,
            bound: stored.bound,
        };
        self.check_entry(keys, &entry, true, &|| what.clone())?;
        if !stored.secret.is_empty() {
            return Err(TeamError::Tampered { what });
        }
        let Stored { incident, trail_from } = stored.parse(&what)?;
        let incident = incident.into_model();
        if incident.id != id {
            return Err(TeamError::Tampered { what });
        }
        let super::Stored { record_text, generation, version, .. } = stored;
        Ok(Some(TeamIncident { incident, trail_from, version, generation, record_text }))
    }

    fn write_incident(
        &self,
        keys: &TeamKeys,
        incident: &Incident,
        trail_from: u64,
        version: u64,
    ) -> Result<u64, TeamError> {
        let text = super::entries::entry_text(
            &Stored { incident: stored::Incident::of(incident), trail_from },
            "an incident",
        )?;
        let under = format!("incidents/{}", incident.id);
        match self.write_entry(keys, (&under, &subject(&incident.id)), (&text, ""), version) {
            Err(KvError::Conflict) => Err(TeamError::Changed { by: "Another member".into() }),
            other => Ok(other?),
        }
    }

    /// Opens an incident about `key`; answers its id.
    pub fn open_incident(
        &self,
        keys: &TeamKeys,
        key: &TeamKey,
        report: &IncidentReport,
        rng: &mut dyn Entropy,
        now: DateTime<Utc>,
    ) -> Result<String, TeamError> {
        self.check_generation(keys)?;
        let mut bytes = [0u8; 4];
        rng.fill(&mut bytes);
        let id = crypto::hex(&bytes);
        let now = crate::vault::whole_seconds(now);
        // Who noticed it, unless someone else did: the member opening it (a local vault has one
        // user, and leaves it empty).
        let mut report = report.clone();
        if report.noticed_by.trim().is_empty() {
            report.noticed_by.clone_from(&self.config().member);
        }
        let incident = new_incident(id.clone(), &key.record.id, &key.record.label, &report, now)?;
        let (head, _mac) = self.audit_head()?;
        self.write_incident(keys, &incident, head, 0)?;
        let detail =
            format!("incident {id} opened for \"{}\": found in {}", key.record.label, incident.found_where);
        self.record(keys, Action::Incident, Some((&key.record.id, key.version)), &detail, now)
            .map_err(|error| TeamError::Unaudited { cause: error.to_string() })?;
        Ok(id)
    }

    /// Closes incident `id` with a summary.
    pub fn close_incident(
        &self,
        keys: &TeamKeys,
        id: &str,
        summary: &str,
        now: DateTime<Utc>,
    ) -> Result<(), TeamError> {
        self.check_generation(keys)?;
        let found = self
            .read_incident(keys, id)?
            .ok_or_else(|| VaultError::UnknownKey { query: format!("incident {id}") })?;
        let mut incident = found.incident;
        close(&mut incident, summary, crate::vault::whole_seconds(now))?;
        self.write_incident(keys, &incident, found.trail_from, found.version)?;
        let detail = format!("incident {id} closed: {}", incident.summary);
        // Named with the key's version as it stands: other members have nothing to read again.
        let version = self.read_key(&incident.key)?.map(|key| key.version);
        let about = version.map(|version| (&incident.key, version));
        self.record(keys, Action::Incident, about, &detail, now)
            .map_err(|error| TeamError::Unaudited { cause: error.to_string() })?;
        Ok(())
    }

    /// Seals incident `id` again under the current generation (for a member's removal) and
    /// destroys its older versions.
    pub(super) fn reseal_incident(&self, keys: &TeamKeys, id: &str) -> Result<(), TeamError> {
        loop {
            // Read (and its seal checked) under the generation it was written in.
            let Some(found) = self.read_incident(keys, id)? else { return Ok(()) };
            if found.generation == keys.generation() {
                return Ok(());
            }
            let under = format!("incidents/{id}");
            let version =
                match self.write_entry(keys, (&under, &subject(id)), (&found.record_text, ""), found.version)
                {
                    Err(KvError::Conflict) => continue,
                    other => other?,
                };
            let older: Vec<u64> = (1..version).collect();
            self.kv.destroy(&format!("incidents/{id}"), &older)?;
            return Ok(());
        }
    }
}

/// Each of `incidents` with its whole timeline, the trail read once from the earliest
/// incident's start.
pub fn with_timelines(
    vault: &TeamVault,
    incidents: &[TeamIncident],
    keys: &[KeyRecord],
) -> Result<Vec<Incident>, TeamError> {
    let from = incidents.iter().map(|found| found.trail_from).min().unwrap_or(0);
    let events = if incidents.is_empty() { Vec::new() } else { vault.events_after(from)? };
    Ok(incidents.iter().map(|found| with_timeline(&found.incident, &events, keys)).collect())
}

/// `incident` with its whole timeline: its own steps (opened, closed) and every entry of the
/// team's trail about its key or the key's replacement between them, oldest first.
pub fn with_timeline(incident: &Incident, events: &[TeamEvent], keys: &[KeyRecord]) -> Incident {
    let replacement = keys.iter().find(|k| k.id == incident.key).and_then(|k| k.replaced_by.clone());
    let mut whole = incident.clone();
    for event in events {
        let Some((key, _version)) = &event.key else { continue };
        if *key != incident.key && Some(key) != replacement.as_ref() {
            continue;
        }
        // The incident's own entries are its opened and closed steps, there already.
        if event.action.is_some_and(|done| done.action == Action::Incident) {
            continue;
        }
        let Ok(at) = DateTime::parse_from_rfc3339(&event.at).map(|at| at.with_timezone(&Utc)) else {
            continue;
        };
        if at < incident.opened_at || incident.closed_at.is_some_and(|closed| at > closed) {
            continue;
        }
        let which = if *key == incident.key { "" } else { " (the replacement)" };
        let what = format!("{}{which}, by {}: {}", event.action_word(), event.member, event.detail);
        whole.timeline.push(IncidentEvent { at, what });
    }
    // Stable: an incident's own step stays before the trail's at the same second.
    whole.timeline.sort_by_key(|step| step.at);
    whole
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_incident_and_a_key_never_share_a_seal() {
        assert_eq!(subject("0a1b2c3d"), "incident 0a1b2c3d");
        assert_ne!(subject("0a1b2c3d"), "0a1b2c3d", "a key's subject is its bare id");
    }
}
