//! The team's audit trail: one entry per event under `audit/<number>` (16 digits, so they
//! sort), each holding the HMAC-SHA256 of the one before under a subkey of the team's data
//! key, as a local vault's audit log does. An entry is written at the number after the last
//! one with check-and-set 0, so two members recording at once take two numbers and the chain
//! has no gap and no fork. The trail is also how members hear of each other's changes: an
//! entry names the key it changed and its new version (see `cache.rs`).
//!
//! An entry's action is one of the local audit log's [`Action`]s, stored as its word (with
//! ` failed` after it when it failed). Words older builds wrote are read as the action they
//! meant; a word this build does not know (a newer build's) is kept and shown as it is.

use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::kv::KvError;
use super::{TeamError, TeamKeys, TeamVault};
use crate::vault::audit::Action;
use crate::vault::crypto;
use crate::vault::model::KeyId;

/// What a trail entry says was done: one of the audit log's actions, and whether it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrailAction {
    pub action: Action,
    pub failed: bool,
}

impl From<Action> for TrailAction {
    fn from(action: Action) -> Self {
        TrailAction { action, failed: false }
    }
}

/// The words builds before the shared vocabulary wrote, and the action each meant.
const OLDER_WORDS: [(&str, Action); 6] = [
    ("create", Action::CreateVault),
    ("passwd", Action::ChangePassword),
    ("account add", Action::AccountAdd),
    ("account remove", Action::AccountRemove),
    ("remove member", Action::MemberRemove),
    ("rekey team", Action::TeamRekey),
];

/// The one text the trail keeps for a failed `detail`: the detail, a line break, then why it
/// failed ([`TeamEvent::as_record`] parts them again, as a local log keeps them).
pub fn failed_detail(detail: &str, why: &str) -> String {
    format!("{detail}\n{why}")
}

impl TrailAction {
    /// `action`, which failed.
    pub fn failed(action: Action) -> Self {
        TrailAction { action, failed: true }
    }

    /// `action`, failed when `failed`.
    pub fn of(action: Action, failed: bool) -> Self {
        TrailAction { action, failed }
    }

    /// The entry's word on the server: the action's word, then ` failed` when it failed.
    pub fn word(self) -> String {
        if self.failed { format!("{} failed", self.action.word()) } else { self.action.word().to_owned() }
    }

    /// What a stored word says: any word [`word`](Self::word) makes, and the older words;
    /// `None` for a word this build does not know.
    pub fn from_word(word: &str) -> Option<TrailAction> {
        let (word, failed) = match word.strip_suffix(" failed") {
            Some(action) => (action, true),
            None => (word, false),
        };
        let action = Action::from_word(word)
            .or_else(|| OLDER_WORDS.iter().find(|(older, _)| *older == word).map(|(_, action)| *action))?;
        Some(TrailAction { action, failed })
    }
}

/// One event of the team's audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamEvent {
    pub seq: u64,
    pub at: String,
    pub member: String,
    /// What was done; `None` when the entry's word is one this build does not know.
    pub action: Option<TrailAction>,
    /// The action's word as the entry holds it (what its HMAC covers).
    word: String,
    /// The key it was about, and the key's version after it.
    pub key: Option<(KeyId, u64)>,
    pub detail: String,
    /// The generation of the team's data key whose subkey made its HMAC.
    pub generation: u64,
    prev: String,
    mac: String,
}

/// A trail entry as this computer's copy keeps it, for reading (`show`'s history, offline
/// too). Its HMAC is not kept: `audit --verify` checks the server's entries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TrailLine {
    pub seq: u64,
    pub at: String,
    pub member: String,
    pub word: String,
    pub key: Option<String>,
    pub detail: String,
}

impl TrailLine {
    /// The line as a local vault's log line ([`TeamEvent::as_record`]).
    pub fn as_record(&self) -> Option<crate::vault::audit::Record> {
        record_of(TrailAction::from_word(&self.word)?, &self.at, self.key.clone(), &self.detail)
    }
}

/// A trail entry as a line of a local vault's log; a failed action holds what was tried, a
/// line break, and why it failed ([`failed_detail`]).
fn record_of(
    action: TrailAction,
    at: &str,
    key: Option<String>,
    detail: &str,
) -> Option<crate::vault::audit::Record> {
    use crate::vault::audit::{Outcome, Record};
    let at = DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc);
    let (outcome, detail) = if action.failed {
        match detail.split_once('\n') {
            Some((detail, why)) => (Outcome::Failed(why.to_owned()), detail.to_owned()),
            None => (Outcome::Failed(detail.to_owned()), String::new()),
        }
    } else {
        (Outcome::Ok, detail.to_owned())
    };
    Some(Record { at, action: action.action, key, outcome, detail, prev: String::new(), tag: String::new() })
}

fn path(seq: u64) -> String {
    format!("audit/{seq:016}")
}

impl TeamEvent {
    /// The entry's HMAC (hex), which the next entry names.
    pub(super) fn mac_text(&self) -> &str {
        &self.mac
    }

    /// Whether the entry records `action`, done (not failed).
    pub fn is(&self, action: Action) -> bool {
        self.action == Some(action.into())
    }

    /// The entry as a line of a local vault's log (at, action, key, outcome, detail), so one
    /// screen lists both; `None` for an action this build does not know, or a time it cannot
    /// read. A failed action holds its detail as the failure.
    pub fn as_record(&self) -> Option<crate::vault::audit::Record> {
        record_of(
            self.action?,
            &self.at,
            self.key.as_ref().map(|(id, _version)| id.to_string()),
            &self.detail,
        )
    }

    /// The entry as this computer's copy keeps it for reading.
    pub fn line(&self) -> TrailLine {
        TrailLine {
            seq: self.seq,
            at: self.at.clone(),
            member: self.member.clone(),
            word: self.word.clone(),
            key: self.key.as_ref().map(|(id, _version)| id.to_string()),
            detail: self.detail.clone(),
        }
    }

    /// What was done, in the word both logs use (the entry's own word when this build does
    /// not know it).
    pub fn action_word(&self) -> String {
        self.action.map_or_else(|| self.word.clone(), TrailAction::word)
    }

    fn from_value(seq: u64, data: &Value) -> Result<TeamEvent, TeamError> {
        let text = |field: &str| data.get(field).and_then(Value::as_str).map(str::to_owned);
        let broken = || TeamError::Tampered { what: format!("audit entry {seq}") };
        let key = match (text("key"), data.get("version").and_then(Value::as_u64)) {
            (Some(id), Some(version)) => Some((KeyId::from_stored(&id), version)),
            _ => None,
        };
        let word = text("action").ok_or_else(broken)?;
        Ok(TeamEvent {
            seq,
            at: text("at").ok_or_else(broken)?,
            member: text("member").ok_or_else(broken)?,
            action: TrailAction::from_word(&word),
            word,
            key,
            detail: text("detail").unwrap_or_default(),
            generation: data.get("generation").and_then(Value::as_u64).unwrap_or(0),
            prev: text("prev").unwrap_or_default(),
            mac: text("mac").ok_or_else(broken)?,
        })
    }

    /// What the entry's HMAC covers, each part ended by a zero byte.
    fn mac_under(&self, keys: &TeamKeys, team_id: &str) -> Result<String, TeamError> {
        let seq = self.seq.to_string();
        let (id, version) = self
            .key
            .as_ref()
            .map_or((String::new(), String::new()), |(id, v)| (id.to_string(), v.to_string()));
        let parts: [&[u8]; 9] = [
            team_id.as_bytes(),
            seq.as_bytes(),
            self.at.as_bytes(),
            self.member.as_bytes(),
            self.word.as_bytes(),
            id.as_bytes(),
            version.as_bytes(),
            self.detail.as_bytes(),
            self.prev.as_bytes(),
        ];
        let joined: Vec<&[u8]> = parts.iter().flat_map(|part| [*part, b"\0".as_slice()]).collect();
        Ok(crypto::keyed_hash_parts(&keys.at(self.generation)?.audit, &joined))
    }
}

impl TeamVault {
    /// Appends an event by this member: `action` (an [`Action`], or a [`TrailAction`] that
    /// failed), about `key` at its new version, with a `detail` in words. Answers the entry's
    /// number.
    pub fn record(
        &self,
        keys: &TeamKeys,
        action: impl Into<TrailAction>,
        key: Option<(&KeyId, u64)>,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, TeamError> {
        let action = action.into();
        let (mut last, mut prev) = self.audit_head()?;
        loop {
            let mut event = TeamEvent {
                seq: last + 1,
                at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                member: self.config.member.clone(),
                action: Some(action),
                word: action.word(),
                key: key.map(|(id, version)| (id.clone(), version)),
                detail: detail.to_owned(),
                generation: keys.generation(),
                prev: prev.clone(),
                mac: String::new(),
            };
            event.mac = event.mac_under(keys, &self.config.team_id)?;
            let mut entry = json!({
                "at": event.at, "member": event.member, "action": event.word, "detail": event.detail,
                "prev": event.prev, "mac": event.mac,
            });
            if event.generation > 0 {
                entry["generation"] = json!(event.generation);
            }
            if let Some((id, version)) = &event.key {
                entry["key"] = json!(id.as_str());
                entry["version"] = json!(version);
            }
            match self.kv.write(&path(event.seq), &entry, 0, false) {
                // Another member took this number: go on after theirs.
                Err(KvError::Conflict) => {
                    let taken = self.event(event.seq)?.ok_or(TeamError::Server(KvError::Conflict))?;
                    (last, prev) = (taken.seq, taken.mac);
                }
                Err(error) => return Err(error.into()),
                Ok(_version) => {
                    self.audit_hint.store(event.seq, Ordering::Relaxed);
                    return Ok(event.seq);
                }
            }
        }
    }

    /// Entry number `seq`, if it is there.
    pub fn event(&self, seq: u64) -> Result<Option<TeamEvent>, TeamError> {
        match self.kv.read(&path(seq))? {
            Some(read) => TeamEvent::from_value(seq, &read.data).map(Some),
            None => Ok(None),
        }
    }

    /// Where this computer saw the trail end last (its copy's): the search for its end starts
    /// there, so an entry removed before it is found missing instead of ending the trail.
    pub fn seen_up_to(&self, seq: u64) {
        self.audit_hint.fetch_max(seq, Ordering::Relaxed);
    }

    /// The last entry's number and HMAC (`0` and empty when there is none). Found from the
    /// number last seen by doubling steps, then halving them: a few reads for any length.
    pub fn audit_head(&self) -> Result<(u64, String), TeamError> {
        let mut present = self.audit_hint.load(Ordering::Relaxed);
        let mut present_mac = String::new();
        if present > 0 {
            match self.event(present)? {
                Some(event) => present_mac = event.mac,
                // The trail is shorter than was seen (an admin cleared it): start over.
                None => present = 0,
            }
        }
        self.head_from(present, present_mac)
    }

    /// [`audit_head`](Self::audit_head) searched from entry `present` (read: its HMAC is
    /// `present_mac`; 0 and empty for the start).
    fn head_from(&self, mut present: u64, mut present_mac: String) -> Result<(u64, String), TeamError> {
        let mut step = 1;
        let mut missing = loop {
            let probe = present + step;
            match self.event(probe)? {
                Some(event) => {
                    present = probe;
                    present_mac = event.mac;
                    step *= 2;
                }
                None => break probe,
            }
        };
        while missing - present > 1 {
            let middle = present + (missing - present) / 2;
            match self.event(middle)? {
                Some(event) => {
                    present = middle;
                    present_mac = event.mac;
                }
                None => missing = middle,
            }
        }
        self.audit_hint.store(present, Ordering::Relaxed);
        Ok((present, present_mac))
    }

    /// The entries after number `seq`, in order, up to the last one written.
    /// When there are many, the last one's number is found first and they are read several
    /// at a time; one missing before it (removed on the server) breaks the trail there.
    pub fn events_after(&self, seq: u64) -> Result<Vec<TeamEvent>, TeamError> {
        // Nothing new is the common answer (a poll): one read.
        let Some(first) = self.event(seq + 1)? else { return Ok(Vec::new()) };
        // From the entry just read, unless this computer saw the trail go further.
        let (head, _mac) = if self.audit_hint.load(Ordering::Relaxed) <= first.seq {
            self.head_from(first.seq, first.mac.clone())?
        } else {
            self.audit_head()?
        };
        let numbers: Vec<u64> = (seq + 2..=head).collect();
        let mut events = vec![first];
        for (number, found) in numbers.iter().zip(super::in_parallel(&numbers, |n| self.event(*n))?) {
            events.push(found.ok_or(TeamError::AuditBroken { seq: *number })?);
        }
        // Entries another member wrote meanwhile.
        let mut next = events.last().map_or(seq, |e| e.seq) + 1;
        while let Some(event) = self.event(next)? {
            events.push(event);
            next += 1;
        }
        if let Some(last) = events.last() {
            self.audit_hint.store(last.seq, Ordering::Relaxed);
        }
        Ok(events)
    }

    /// Every entry, each checked against its HMAC and the one before it. `Err` names the
    /// first entry that does not hold. Generations only grow along the trail: an entry made
    /// under the key of an older one after a newer one (which a removed member, who kept the
    /// old key, could make with the server operator's help) breaks it.
    pub fn verify_audit(&self, keys: &TeamKeys) -> Result<Vec<TeamEvent>, TeamError> {
        let events = self.events_after(0)?;
        let mut prev = String::new();
        let mut generation = 0;
        for event in &events {
            let linked = event.prev == prev && event.generation >= generation;
            let mac = event.mac_under(keys, &self.config.team_id).unwrap_or_default();
            if !linked || !crypto::same_bytes(mac.as_bytes(), event.mac.as_bytes()) {
                return Err(TeamError::AuditBroken { seq: event.seq });
            }
            prev = event.mac.clone();
            generation = event.generation;
        }
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str) -> Value {
        json!({"at": "2026-05-01T10:00:00Z", "member": "ana", "action": action, "mac": "00"})
    }

    #[test]
    fn every_action_is_read_back_from_its_word_failed_or_not() {
        for action in Action::ALL {
            for made in [TrailAction::from(action), TrailAction::failed(action)] {
                assert_eq!(TrailAction::from_word(&made.word()), Some(made), "{made:?}");
            }
        }
    }

    #[test]
    fn older_words_read_as_their_action_and_keep_their_text() {
        let event = TeamEvent::from_value(1, &entry("account add")).unwrap();
        assert!(event.is(Action::AccountAdd));
        assert_eq!(event.action_word(), "account-add");
        // The HMAC is over the entry as written.
        assert_eq!(event.word, "account add");
        let event = TeamEvent::from_value(2, &entry("copy failed")).unwrap();
        assert_eq!(event.action, Some(TrailAction::failed(Action::Copy)));
        assert!(!event.is(Action::Copy));
        assert_eq!(event.action_word(), "copy failed");
    }

    #[test]
    fn a_word_this_build_does_not_know_is_shown_not_an_error() {
        let event = TeamEvent::from_value(3, &entry("sign off")).unwrap();
        assert_eq!(event.action, None);
        assert_eq!(event.action_word(), "sign off");
        assert!(TeamEvent::from_value(4, &json!({"at": "x", "member": "ana", "mac": "00"})).is_err());
    }
}
