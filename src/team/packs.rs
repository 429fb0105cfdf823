//! The team's pack: this computer's copy of the keys (every key's entry as the server has it,
//! sealed) kept on the server too, in a few large entries, so a member's first load on a
//! computer reads a few dozen entries instead of one a key.
//!
//! - `packs/<set>-<n>`: part `n` of pack `set` (a random name), the entries of up to
//!   [`PART_BYTES`] of keys as a list. Parts are written once and deleted when a newer pack
//!   replaces them.
//! - `packs/index`: which set is current, the SHA-256 of each part, the audit trail entry the
//!   pack is up to (its number and its HMAC), the generation of the team's key, and an
//!   HMAC-SHA256 over all of it under the entry-seal subkey of that generation.
//!
//! A pack is only a faster copy: every entry in it keeps its own seal (checked before a reveal
//! or a change, as a key read one by one is), the trail's entries after its head name the keys
//! changed since (read again one by one, as for this computer's copy), and a pack that does not
//! hold together — a part missing or changed, an index whose HMAC does not hold for a member
//! holding the key, a head the trail does not have, a pack from before a re-key — is not used:
//! every key is read one by one. A member whose token may write keys writes a new pack once the
//! trail has grown [`PACK_LAG`] entries past the one the pack is up to; a token that may not
//! (a reader's, or a policy from before packs) leaves the pack to the others.

use std::sync::atomic::Ordering;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::cache::{Snapshot, StoredKey, key_id_of};
use super::kv::KvError;
use super::{TeamError, TeamKeys, TeamVault};
use crate::vault::crypto;

/// How many trail entries past the pack's head a member lets pass before writing a new pack.
pub const PACK_LAG: u64 = 256;

/// The most bytes of keys (as JSON) in one part: a few to a thousand keys, well under what the
/// server keeps in one entry (Raft's 1 MiB) and Keydesk reads in one answer (1 MiB).
const PART_BYTES: usize = 256 * 1024;

const INDEX: &str = "packs/index";

/// The most parts a pack is read in (1 GiB of keys): an index naming more is not used, so a
/// server cannot make a first load send it any number of requests.
const MOST_PARTS: usize = 4096;

/// The version of the pack's layout; another one is not used.
const PACK_FORMAT: u64 = 1;

/// `packs/index` as the server keeps it.
#[derive(Serialize, Deserialize)]
struct Index {
    keydesk_pack: u64,
    set: String,
    /// The SHA-256 of each part's text, in order.
    parts: Vec<String>,
    audit_head: u64,
    head_mac: String,
    generation: u64,
    written_by: String,
    mac: String,
}

impl Index {
    /// What the index's HMAC covers, each after a zero byte.
    fn covered<'a>(&'a self, team_id: &'a str, head: &'a str, generation: &'a str) -> Vec<&'a [u8]> {
        let mut parts: Vec<&[u8]> = vec![b"keydesk-team pack", team_id.as_bytes(), self.set.as_bytes()];
        parts.extend([head.as_bytes(), self.head_mac.as_bytes(), generation.as_bytes()]);
        parts.push(self.written_by.as_bytes());
        parts.extend(self.parts.iter().map(String::as_bytes));
        parts.into_iter().flat_map(|part| [part, b"\0".as_slice()]).collect()
    }

    fn mac_holds(&self, team_id: &str, keys: &TeamKeys) -> bool {
        let (head, generation) = (self.audit_head.to_string(), self.generation.to_string());
        keys.at(self.generation).is_ok_and(|derived| {
            crypto::keyed_hash_parts_match(
                &derived.seal,
                &self.covered(team_id, &head, &generation),
                &self.mac,
            )
        })
    }

    fn part_name(&self, n: usize) -> String {
        format!("packs/{}-{n}", self.set)
    }
}

/// A part's keys as its entry keeps them: one JSON text (the server limits how many strings
/// a request may hold, not how long one is).
fn part_text(keys: &[StoredKey]) -> String {
    // Plain data: it always serialises.
    serde_json::to_string(keys).unwrap_or_default()
}

/// The SHA-256 (hex) of a part's text.
fn part_digest(text: &str) -> String {
    crypto::hex(&Sha256::digest(text.as_bytes()))
}

/// A set's name: 16 hex digits, so it fits in a path.
fn set_name(rng: &mut dyn crate::vault::Entropy) -> String {
    let mut bytes = [0u8; 8];
    rng.fill(&mut bytes);
    crypto::hex(&bytes)
}

/// `keys` split into parts of at most [`PART_BYTES`] (a key larger than that gets a part of
/// its own).
fn split(keys: &[StoredKey]) -> Vec<&[StoredKey]> {
    let mut parts = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, key) in keys.iter().enumerate() {
        // As the part's text holds it, with the comma after it.
        let size = serde_json::to_vec(key).map_or(0, |text| text.len()) + 1;
        if bytes + size > PART_BYTES && i > start {
            parts.push(&keys[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < keys.len() {
        parts.push(&keys[start..]);
    }
    parts
}

/// A refusal of the pack's path by the token's policy (one from before packs, or a
/// reader's write): the pack is left alone, never an error of the command.
fn not_allowed(error: &KvError) -> bool {
    matches!(error, KvError::Denied { .. })
}

impl TeamVault {
    /// The pack's index (`None` when there is none, it is not one this build reads, or the
    /// token may not read it) and the entry's version (0 for none), which a new index
    /// replaces.
    fn read_index(&self) -> Result<(Option<Index>, u64), TeamError> {
        let read = match self.kv.read(INDEX) {
            Ok(Some(read)) => read,
            Ok(None) => return Ok((None, 0)),
            Err(error) if not_allowed(&error) => return Ok((None, 0)),
            Err(error) => return Err(error.into()),
        };
        let index = serde_json::from_value::<Index>(read.data).ok().filter(|index| {
            // The set's name goes into paths that are read and deleted: 16 hex digits, as
            // `set_name` makes it, or the index is not used (never `../keys/…`).
            let named = index.set.len() == 16 && index.set.bytes().all(|b| b.is_ascii_hexdigit());
            index.keydesk_pack == PACK_FORMAT && named
        });
        Ok((index, read.version))
    }

    /// The server's pack as this computer's copy, when it holds together (see the module's
    /// text); with `keys`, its HMAC is checked too. Tried twice: a pack replaced between the
    /// read of its index and of its parts is read again from the new index.
    pub(super) fn read_pack(
        &self,
        keys: Option<&TeamKeys>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<Snapshot>, TeamError> {
        for _try in 0..2 {
            let (Some(index), _version) = self.read_index()? else { return Ok(None) };
            let current = keys.map_or(self.generation(), TeamKeys::generation);
            let trusted = match keys {
                Some(keys) => index.generation == current && index.mac_holds(&self.config.team_id, keys),
                None => index.generation >= current,
            };
            if !trusted || index.parts.is_empty() || index.parts.len() > MOST_PARTS {
                return Ok(None);
            }
            // The trail has the entry the pack is up to (an admin may have cleared it since).
            let head_there = self.event(index.audit_head)?.is_some_and(|event| {
                crypto::same_bytes(event.mac_text().as_bytes(), index.head_mac.as_bytes())
            });
            if !head_there {
                return Ok(None);
            }
            let numbers: Vec<usize> = (0..index.parts.len()).collect();
            let parts = super::in_parallel(&numbers, |n| match self.kv.read(&index.part_name(*n)) {
                Err(error) if not_allowed(&error) => Ok(None),
                other => other.map(|read| read.and_then(|read| part_keys(&read.data, &index.parts[*n]))),
            })?;
            let Some(parts) = parts.into_iter().collect::<Option<Vec<_>>>() else { continue };
            let stored: Vec<StoredKey> = parts.into_iter().flatten().collect();
            let mut ids = std::collections::HashSet::with_capacity(stored.len());
            if !stored.iter().all(|key| key_id_of(key).is_some_and(|id| ids.insert(id.to_owned()))) {
                return Ok(None);
            }
            let mut copy = Snapshot::of_stored(&self.config.team_id, index.audit_head, now, stored);
            copy.pack_head = index.audit_head;
            return Ok(Some(copy));
        }
        Ok(None)
    }

    /// Writes `copy` as the server's pack when the trail has gone [`PACK_LAG`] entries past
    /// the pack this computer knows of (and another member has not written a newer one
    /// meanwhile), and notes the pack's head in `copy`. A pack not written (the token may not,
    /// the server refused, another member wrote one at once) is tried again only after
    /// another [`PACK_LAG`] entries: it is a faster copy, never the keys themselves.
    /// With `replace` (the pack was just found missing or not holding together) it is
    /// written whatever its index says.
    pub(super) fn keep_pack(&self, keys: &TeamKeys, copy: &mut Snapshot, replace: bool) {
        self.pack_due.store(false, Ordering::Relaxed);
        if !is_due(copy) {
            return;
        }
        copy.pack_head = self.write_pack(keys, copy, replace).unwrap_or(copy.audit_head);
    }

    /// Notes whether `copy`, brought up to date without the team's key, is due to be written
    /// as the pack: [`pack_due`](Self::pack_due) then says so.
    pub(super) fn note_pack_due(&self, copy: &Snapshot) {
        self.pack_due.store(is_due(copy), Ordering::Relaxed);
    }

    /// Whether the last refresh without the team's key found the pack due (the command line
    /// keeps it up at the end of a command that unlocked, then: `actions::team::keep_pack`).
    pub fn pack_due(&self) -> bool {
        self.pack_due.load(Ordering::Relaxed)
    }

    /// [`keep_pack`](Self::keep_pack) for a copy at rest (the command line, once a command
    /// has unlocked the vault): the copy answered notes the pack's head, to be saved.
    pub fn keep_pack_of(&self, keys: &TeamKeys, mut copy: Snapshot) -> Snapshot {
        self.keep_pack(keys, &mut copy, false);
        copy
    }

    /// [`keep_pack`](Self::keep_pack)'s write: answers the head of the pack now on the server.
    fn write_pack(&self, keys: &TeamKeys, copy: &Snapshot, replace: bool) -> Result<u64, TeamError> {
        let head = copy.audit_head;
        let (found, at) = self.read_index()?;
        if let Some(index) = &found
            && !replace
            && index.generation == keys.generation()
            && index.audit_head.saturating_add(PACK_LAG) > head
            && index.mac_holds(&self.config.team_id, keys)
        {
            return Ok(index.audit_head);
        }
        let head_mac = self.event(head)?.ok_or(TeamError::AuditBroken { seq: head })?.mac_text().to_owned();
        let texts: Vec<String> = split(copy.stored()).into_iter().map(part_text).collect();
        let mut index = Index {
            keydesk_pack: PACK_FORMAT,
            set: set_name(&mut *self.entropy()),
            parts: texts.iter().map(|text| part_digest(text)).collect(),
            audit_head: head,
            head_mac,
            generation: keys.generation(),
            written_by: self.config.member.clone(),
            mac: String::new(),
        };
        let (head_text, generation_text) = (head.to_string(), index.generation.to_string());
        index.mac = crypto::keyed_hash_parts(
            &keys.now().seal,
            &index.covered(&self.config.team_id, &head_text, &generation_text),
        );
        let numbered: Vec<(usize, &String)> = texts.iter().enumerate().collect();
        let written = super::in_parallel(&numbered, |(n, text)| {
            self.kv.write(&index.part_name(*n), &json!({ "keys": text }), 0, false)
        });
        let written = match written {
            // A token that may not write the pack wrote none of it: nothing to take back.
            Err(error) if not_allowed(&error) => return Err(error.into()),
            other => other,
        };
        let kept = written.and_then(|_| {
            let value =
                serde_json::to_value(&index).map_err(|_json| KvError::Malformed { what: "a pack" })?;
            self.kv.write(INDEX, &value, at, false)
        });
        // The parts of the pack that is not current (this one's when it was not kept) go.
        let old = match &kept {
            Ok(_) => found,
            Err(_) => Some(index),
        };
        if let Some(old) = old {
            // As many as a pack may have: an index naming more is not one Keydesk wrote.
            for n in 0..old.parts.len().min(MOST_PARTS) {
                let _left_for_the_next_pack = self.kv.delete_all(&old.part_name(n));
            }
        }
        kept?;
        Ok(head)
    }

    /// Removes the pack (a re-key: its entries are sealed under the key being replaced).
    pub(super) fn drop_pack(&self) -> Result<(), TeamError> {
        if let (Some(index), _version) = self.read_index()? {
            self.kv.delete_all(INDEX)?;
            for n in 0..index.parts.len().min(MOST_PARTS) {
                self.kv.delete_all(&index.part_name(n))?;
            }
        }
        Ok(())
    }
}

/// Whether the trail has gone [`PACK_LAG`] entries past the pack `copy` knows of.
fn is_due(copy: &Snapshot) -> bool {
    copy.audit_head >= copy.pack_head.saturating_add(PACK_LAG)
}

/// A part's keys, when they are what the index says (`None` otherwise).
fn part_keys(data: &Value, digest: &str) -> Option<Vec<StoredKey>> {
    let text = data.get("keys")?.as_str()?;
    if !crypto::same_bytes(part_digest(text).as_bytes(), digest.as_bytes()) {
        return None;
    }
    serde_json::from_str(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: usize, size: usize) -> StoredKey {
        StoredKey {
            record: format!("{{\"id\":\"{i:012x}\",\"label\":\"{}\"}}", "x".repeat(size)),
            version: 1,
            changed_by: "ana".into(),
            generation: 0,
            secret: String::new(),
            seal: String::new(),
            bound: Some(1),
        }
    }

    #[test]
    fn keys_are_split_into_parts_under_the_size_and_none_is_lost() {
        let keys: Vec<StoredKey> = (0..3000).map(|i| key(i, 300)).collect();
        let parts = split(&keys);
        assert!(parts.len() > 1);
        assert_eq!(parts.iter().map(|part| part.len()).sum::<usize>(), keys.len());
        for part in &parts {
            assert!(part_text(part).len() <= PART_BYTES, "{}", part.len());
        }
        let big = [key(0, 10), key(1, PART_BYTES + 5), key(2, 10)];
        assert_eq!(split(&big).iter().map(|part| part.len()).collect::<Vec<_>>(), [1, 1, 1]);
        assert!(split(&[]).is_empty());
    }

    #[test]
    fn a_part_changed_on_the_server_is_not_taken() {
        let keys: Vec<StoredKey> = (0..3).map(|i| key(i, 10)).collect();
        let digest = part_digest(&part_text(&keys));
        assert_eq!(part_keys(&json!({ "keys": part_text(&keys) }), &digest).map(|keys| keys.len()), Some(3));
        let mut changed = keys.clone();
        changed[1].version = 2;
        assert!(part_keys(&json!({ "keys": part_text(&changed) }), &digest).is_none());
        assert!(part_keys(&json!({ "keys": part_text(&keys[..2]) }), &digest).is_none(), "a key left out");
        assert!(part_keys(&json!({ "other": 1 }), &digest).is_none());
        assert!(part_keys(&json!({ "keys": keys.len() }), &digest).is_none());
        // What holds the digest but is not a list of keys is not taken either.
        assert!(part_keys(&json!({ "keys": "[1]" }), &part_digest("[1]")).is_none());
    }
}
