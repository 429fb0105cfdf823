//! This computer's copy of a team vault: every key's entry as the server had it (the record,
//! the secret still sealed with the team's key, the entry's seal), and the number of the
//! audit trail's newest entry then. With it, opening the vault reads only what changed since
//! (the trail's new entries name the keys they changed), and the keys can be listed while the
//! server cannot be reached. The copy holds nothing the server does not; its entries keep
//! their seals, checked before any reveal or change, as the server's are.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::audit::{TeamEvent, TrailLine};
use super::{TeamError, TeamKey, TeamKeys, TeamVault};
use crate::vault::model::KeyId;
use crate::vault::stored::{self, Stores as _};

/// The copy, as kept in the vault's folder (`team-cache.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub team_id: String,
    /// The audit trail's newest entry when the copy was brought up to date.
    pub audit_head: u64,
    pub taken_at: DateTime<Utc>,
    keys: Vec<StoredKey>,
    /// The whole trail up to `audit_head`, once read (`None`: not kept, or grown past
    /// [`MOST_TRAIL_LINES`]; read from the server when asked for).
    #[serde(default)]
    trail: Option<Vec<TrailLine>>,
    /// The trail entry the server's pack was up to when this copy last looked (0: not known);
    /// see [`super::packs`].
    #[serde(default)]
    pub(super) pack_head: u64,
}

/// The most trail lines the copy keeps (about 4 MB).
const MOST_TRAIL_LINES: usize = 20_000;

/// One key's entry as the server had it (in this computer's copy and in the server's pack).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct StoredKey {
    pub(super) record: String,
    pub(super) version: u64,
    pub(super) changed_by: String,
    #[serde(default)]
    pub(super) generation: u64,
    pub(super) secret: String,
    pub(super) seal: String,
    /// The version the entry's seal binds it to (none in entries written before).
    #[serde(default)]
    pub(super) bound: Option<u64>,
}

/// What bringing the copy up to date took.
#[derive(Debug)]
pub struct Refreshed {
    pub snapshot: Snapshot,
    /// Keys read from the server one by one (all of them on a first load without a pack).
    pub keys_read: usize,
    /// Whether the copy was made anew from the server (this computer's was not usable).
    pub full: bool,
    /// How many keys came from the server's pack (0: it was not used).
    pub from_pack: usize,
}

impl TeamKey {
    fn stored(&self) -> StoredKey {
        StoredKey {
            record: self.record_text.clone(),
            version: self.version,
            changed_by: self.changed_by.clone(),
            generation: self.generation,
            secret: self.secret.clone(),
            seal: self.seal.clone(),
            bound: self.bound,
        }
    }
}

impl Snapshot {
    /// Reads a copy written by [`Snapshot::to_text`]; `None` when it is not one (it is then
    /// made again from the server).
    pub fn from_text(text: &str) -> Option<Snapshot> {
        serde_json::from_str(text).ok()
    }

    pub fn to_text(&self) -> String {
        // Plain data: it always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The keys, oldest first. An entry whose record does not read is left out (the server's
    /// copy is read again at the next refresh that names it).
    pub fn keys(&self) -> Vec<TeamKey> {
        self.keys
            .iter()
            .filter_map(|stored| {
                let record = serde_json::from_str::<stored::Key>(&stored.record).ok()?.into_model();
                Some(TeamKey {
                    record,
                    version: stored.version,
                    changed_by: stored.changed_by.clone(),
                    generation: stored.generation,
                    record_text: stored.record.clone(),
                    secret: stored.secret.clone(),
                    seal: stored.seal.clone(),
                    bound: stored.bound,
                })
            })
            .collect()
    }

    fn from_keys(team_id: &str, audit_head: u64, now: DateTime<Utc>, keys: &[TeamKey]) -> Snapshot {
        Snapshot::of_stored(team_id, audit_head, now, keys.iter().map(TeamKey::stored).collect())
    }

    pub(super) fn of_stored(
        team_id: &str,
        audit_head: u64,
        now: DateTime<Utc>,
        keys: Vec<StoredKey>,
    ) -> Snapshot {
        Snapshot { team_id: team_id.to_owned(), audit_head, taken_at: now, keys, trail: None, pack_head: 0 }
    }

    /// The trail entry the server's pack was up to when this copy last looked (0: not known).
    pub fn pack_head(&self) -> u64 {
        self.pack_head
    }

    /// The keys' entries as stored.
    pub(super) fn stored(&self) -> &[StoredKey] {
        &self.keys
    }

    /// The whole trail, oldest first, when this copy keeps it.
    pub fn trail(&self) -> Option<&[TrailLine]> {
        self.trail.as_deref()
    }

    /// Keeps `events`, the whole trail read up to this copy's head (or past it).
    pub fn keep_trail(&mut self, events: &[TeamEvent]) {
        let lines: Vec<TrailLine> =
            events.iter().filter(|event| event.seq <= self.audit_head).map(TeamEvent::line).collect();
        self.trail = (lines.len() <= MOST_TRAIL_LINES).then_some(lines);
    }

    /// The trail kept, with `events` (read after it) added.
    fn trail_with(&self, events: &[TeamEvent]) -> Option<Vec<TrailLine>> {
        let mut trail = self.trail.clone()?;
        trail.extend(events.iter().map(TeamEvent::line));
        (trail.len() <= MOST_TRAIL_LINES).then_some(trail)
    }
}

/// The id in a stored record's text, read without parsing the whole record (records are
/// written by serde with `id` first).
pub(super) fn key_id_of(stored: &StoredKey) -> Option<&str> {
    let rest = stored.record.strip_prefix("{\"id\":\"")?;
    rest.split('"').next()
}

impl TeamVault {
    /// `cached` brought up to date: the audit entries after its head name the keys changed
    /// since, and only those are read again. Without a usable copy (none, another team's, or
    /// one that is ahead of the trail, which an admin then cleared), the server's pack is the
    /// copy brought up to date, and without a usable pack every key is read. With `keys` (an
    /// unlocked vault), the pack's HMAC is checked, and a pack the trail has gone far past is
    /// written anew ([`super::packs`]).
    pub fn refresh(
        &self,
        cached: Option<Snapshot>,
        keys: Option<&TeamKeys>,
        now: DateTime<Utc>,
    ) -> Result<Refreshed, TeamError> {
        // A removal since this vault was opened replaced the team's key: what this member
        // holds seals nothing new, and says so (the command line opens afresh each time).
        let (_id, generation, _version) = Self::team_entry(&self.kv)?;
        if generation > self.generation() {
            return Err(TeamError::Rekeyed);
        }
        let usable = cached.filter(|copy| copy.team_id == self.config.team_id && copy.audit_head > 0);
        let mut refreshed = match usable {
            Some(copy) if self.event(copy.audit_head)?.is_some() => self.bring_up_to_date(copy, now)?,
            _ => match self.read_pack(keys, now)? {
                Some(pack) => {
                    let from_pack = pack.keys.len();
                    let refreshed = self.bring_up_to_date(pack, now)?;
                    Refreshed { full: true, from_pack, ..refreshed }
                }
                None => {
                    // The trail's head first: a change made while the keys are read is read
                    // again next time.
                    let (head, _mac) = self.audit_head()?;
                    let keys = self.keys()?;
                    let snapshot = Snapshot::from_keys(&self.config.team_id, head, now, &keys);
                    Refreshed { snapshot, keys_read: keys.len(), full: true, from_pack: 0 }
                }
            },
        };
        match keys {
            Some(keys) => {
                // After a read of every key the pack was missing or did not hold: it is
                // replaced whatever its index says.
                let replace = refreshed.full && refreshed.from_pack == 0;
                self.keep_pack(keys, &mut refreshed.snapshot, replace);
            }
            None => self.note_pack_due(&refreshed.snapshot),
        }
        Ok(refreshed)
    }

    /// `copy` (whose head the trail has) with the keys the trail's later entries name read again.
    fn bring_up_to_date(&self, copy: Snapshot, now: DateTime<Utc>) -> Result<Refreshed, TeamError> {
        let events = self.events_after(copy.audit_head)?;
        let head = events.last().map_or(copy.audit_head, |event| event.seq);
        let mut changed: std::collections::BTreeSet<KeyId> = std::collections::BTreeSet::new();
        let versions: std::collections::HashMap<&str, u64> =
            copy.keys.iter().filter_map(|key| Some((key_id_of(key)?, key.version))).collect();
        for (id, version) in events.iter().filter_map(|event| event.key.as_ref()) {
            let known = versions.get(id.as_str()).copied();
            // A reveal names the version it saw: nothing to read again for it.
            if known.is_none_or(|known| known < *version) {
                changed.insert(id.clone());
            }
        }
        drop(versions);
        let trail = copy.trail_with(&events);
        if changed.is_empty() {
            // Nothing to read again: the copy stands as it is (no record is parsed).
            let snapshot = Snapshot { audit_head: head, taken_at: now, trail, ..copy };
            return Ok(Refreshed { snapshot, keys_read: 0, full: false, from_pack: 0 });
        }
        let mut keys = copy.keys();
        let changed: Vec<KeyId> = changed.into_iter().collect();
        let read = super::in_parallel(&changed, |id| self.read_key(id))?;
        keys.retain(|key| changed.binary_search(&key.record.id).is_err());
        keys.extend(read.into_iter().flatten());
        keys.sort_by(super::key_order);
        let mut snapshot = Snapshot::from_keys(&self.config.team_id, head, now, &keys);
        snapshot.trail = trail;
        snapshot.pack_head = copy.pack_head;
        Ok(Refreshed { snapshot, keys_read: changed.len(), full: false, from_pack: 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn any_copy_on_disk_is_read_without_panicking(text in "\\PC{0,300}") {
            if let Some(copy) = Snapshot::from_text(&text) {
                let _ = copy.keys();
            }
        }
    }

    #[test]
    fn a_copy_that_is_not_one_is_ignored() {
        for text in ["", "{}", "[]", "{\"team_id\":1}", "null"] {
            assert!(Snapshot::from_text(text).is_none(), "{text}");
        }
    }

    #[test]
    fn a_stored_records_id_is_read_without_parsing_it() {
        // Made here, as a Keydesk key is: no key-shaped string is kept in the source.
        let secret = crate::vault::keygen::generate(
            &crate::vault::keygen::KeySpec::default(),
            &mut crate::vault::test_rng(7),
        )
        .expect("the default spec is valid");
        let record = crate::vault::new_key_record(
            KeyId::from_stored("0a1b2c3d4e5f"),
            crate::vault::meta::KeyMeta::labelled("Webhook"),
            (crate::providers::Provider::Keydesk, "kd_"),
            &secret,
            String::new(),
            crate::vault::Clock::now(&crate::vault::SystemClock),
        )
        .unwrap();
        let stored = |record: String| StoredKey {
            record,
            version: 1,
            changed_by: String::new(),
            generation: 0,
            secret: String::new(),
            seal: String::new(),
            bound: Some(1),
        };
        // As Keydesk writes a record: the id first.
        let written = stored(serde_json::to_string(&stored::Key::of(&record)).unwrap());
        assert_eq!(key_id_of(&written), Some("0a1b2c3d4e5f"));
        // Written otherwise (by hand on the server): no id, so the key is read again.
        assert_eq!(key_id_of(&stored("{ \"label\": \"x\" }".into())), None);
        assert_eq!(key_id_of(&stored(String::new())), None);
    }
}
