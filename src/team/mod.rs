//! A team vault: one set of keys for several people, kept in OpenBao's (or HashiCorp Vault's)
//! KV version 2 engine instead of `vault.ron` and the keychain.
//!
//! What the server holds, under the vault's path (`<mount>/data/<path>/…`):
//! - `team`: the team's id, who made it and when. Written once (check-and-set 0).
//! - `members/<name>`: the team's data key, wrapped for that member under a key derived from
//!   the member's own password (Argon2id, the member's salt and cost). The server never sees a
//!   password or the data key.
//! - `keys/<id>`: a key's record (the metadata a local vault keeps in `vault.ron`, as JSON
//!   text), its secret sealed with the data key (XChaCha20-Poly1305, bound to the team and the
//!   key's id), who changed it last, and a seal (HMAC-SHA256 under a subkey of the data key)
//!   over all of it, so an entry changed on the server by someone without the data key shows.
//!
//! Every write names the version it read (check-and-set): when two members change one key,
//! the second write is refused and nothing is overwritten ([`TeamError::Changed`]).

pub mod accounts;
mod adding;
pub mod audit;
pub mod cache;
pub mod check;
mod config;
mod entries;
mod error;
pub mod incidents;
pub mod kv;
pub mod members;
pub mod oidc;
pub mod packs;
pub mod policy;
pub mod rotation;
mod sealing;
pub mod setup;
pub mod signin;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::vault::audit::Action;
use crate::vault::crypto::{self, KdfParams, SymmetricKey};
use crate::vault::model::{KeyId, KeyRecord};
use crate::vault::{Entropy, EntropySource, VaultError};
use audit::TrailAction;
use kv::{Kv, KvError, Location, Versioned};

pub use config::{TeamConfig, TeamSettings};
pub use error::TeamError;
#[cfg(test)]
use sealing::CODE_ALPHABET;
pub(crate) use sealing::invitation_code;
use sealing::{Derived, SealedRef, Stored, normalise_code};
pub use sealing::{TeamKey, TeamKeys};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The version of what Keydesk writes on the server; a newer one is refused.
pub const TEAM_FORMAT: u64 = 1;

// Bulk reads overlap their requests on a few scoped threads.
use crate::parallel::in_parallel;

/// A member name as it may appear in a path: letters, digits, `-`, `_`, `.`, `@`.
pub fn check_member(name: &str) -> Result<(), TeamError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c));
    if ok { Ok(()) } else { Err(TeamError::BadMember) }
}

/// A team vault on its server, as one member sees it.
pub struct TeamVault {
    kv: Kv,
    config: TeamConfig,
    /// The audit trail's last entry number seen (where the search for the newest starts).
    audit_hint: std::sync::atomic::AtomicU64,
    /// The generation of the data key new entries are sealed under, as the `team` entry said.
    generation: std::sync::atomic::AtomicU64,
    /// Randomness for what is sealed later (given by the front end that opened the vault).
    entropy: EntropySource,
    /// Whether the last refresh without the team's key found the server's pack due to be
    /// written again (see [`packs`]).
    pack_due: std::sync::atomic::AtomicBool,
}

impl TeamVault {
    /// Makes a new team vault at `kv`'s location with `member` as its first member, and
    /// answers it with its keys (unlocked already: the caller needs no second key
    /// derivation); fails without writing anything when one is there already.
    pub fn create(
        kv: Kv,
        member: &str,
        password: &SecretString,
        kdf: KdfParams,
        entropy: EntropySource,
        now: DateTime<Utc>,
    ) -> Result<(TeamVault, TeamKeys), TeamError> {
        check_member(member)?;
        let rng = &mut *entropy();
        let mut id = [0u8; 8];
        rng.fill(&mut id);
        let team_id = crypto::hex(&id);
        let entry = json!({
            "keydesk_team": TEAM_FORMAT,
            "team_id": team_id,
            "created_by": member,
            "created_at": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
        let place = place(kv.location());
        match kv.write("team", &entry, 0, true) {
            Err(KvError::Conflict) => return Err(TeamError::AlreadyThere { place }),
            other => other?,
        };
        let keys = TeamKeys::new(vec![(0, SymmetricKey::random(rng))], 0)?;
        let config = TeamConfig::new(kv.location(), member, team_id);
        let vault = TeamVault::at(kv, config, 0, entropy);
        let rest = vault.write_member(member, &keys, (password, false), kdf, 0, rng).and_then(|_version| {
            vault.record(&keys, Action::CreateVault, None, &format!("team vault made by {member}"), now)
        });
        if let Err(error) = rest {
            // Half a team vault is taken back (as far as the token may), so the next try
            // does not find "a team vault already there" that nobody can open.
            let _left_for_an_admin = vault.kv.delete_all(&format!("members/{member}"));
            let _left_for_an_admin = vault.kv.delete_all("team");
            return Err(error);
        }
        Ok((vault, keys))
    }

    /// Opens the team vault `config` names and checks that it is there and this member is
    /// one of it (nothing is decrypted: no password is needed for that).
    pub fn connect(kv: Kv, config: TeamConfig, entropy: EntropySource) -> Result<TeamVault, TeamError> {
        let (team_id, generation, _version) = Self::team_entry(&kv)?;
        if team_id != config.team_id {
            return Err(TeamError::NotThere { place: place(kv.location()) });
        }
        Ok(TeamVault::at(kv, config, generation, entropy))
    }

    /// The team vault `config` names, without asking the server (which cannot be reached):
    /// its later requests work once the server answers.
    pub fn offline(kv: Kv, config: TeamConfig, entropy: EntropySource) -> TeamVault {
        // Its generation is not known: no re-key is reported for it (it holds no key, so it
        // writes nothing anyway).
        TeamVault::at(kv, config, u64::MAX, entropy)
    }

    fn at(kv: Kv, config: TeamConfig, generation: u64, entropy: EntropySource) -> TeamVault {
        TeamVault {
            kv,
            config,
            audit_hint: std::sync::atomic::AtomicU64::new(0),
            generation: std::sync::atomic::AtomicU64::new(generation),
            entropy,
            pack_due: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// A fresh source of randomness, from the one this vault was given.
    pub fn entropy(&self) -> Box<dyn Entropy> {
        (self.entropy)()
    }

    /// The id of the team vault at `kv`'s location (once it is one this Keydesk reads), the
    /// generation of its data key, and the entry's version.
    fn team_entry(kv: &Kv) -> Result<(String, u64, u64), TeamError> {
        let team = kv.read("team")?.ok_or_else(|| TeamError::NotThere { place: place(kv.location()) })?;
        let found = team.data.get("keydesk_team").and_then(Value::as_u64).unwrap_or(0);
        if found > TEAM_FORMAT {
            return Err(TeamError::Newer { found });
        }
        let generation = team.data.get("key_generation").and_then(Value::as_u64).unwrap_or(0);
        let id = team
            .data
            .get("team_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(TeamError::Server(KvError::Malformed { what: "no team id" }))?;
        Ok((id, generation, team.version))
    }

    fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Keeps how this member signs in (written to `team.ron` with the rest of the config).
    pub fn set_sign_in(&mut self, sign_in: signin::SignIn) {
        self.config.sign_in = sign_in;
    }

    /// From now on, a token the server stops accepting is replaced by signing in again with
    /// `again`, and the refused request sent again (see [`Kv::signing_in_again`]).
    pub fn sign_in_again_with(&mut self, again: kv::SignInAgain) {
        self.kv.set_signing_in_again(again);
    }

    /// The connection to the server (for an admin's calls to the server's own API).
    pub fn kv(&self) -> &Kv {
        &self.kv
    }

    /// The token this vault's connection presents (to keep it in the OS keychain).
    pub fn token(&self) -> zeroize::Zeroizing<String> {
        self.kv.token()
    }

    pub fn config(&self) -> &TeamConfig {
        &self.config
    }

    /// Whether this member's token may change keys (a reader's may not).
    pub fn can_write(&self) -> Result<bool, TeamError> {
        Ok(self.kv.can_write_keys()?)
    }

    /// Opens this member's copy of the team's keys with their password. A copy from before
    /// key pairs is replaced by one with a key pair (so an admin can re-key for this member).
    pub fn unlock(&self, password: &SecretString) -> Result<TeamKeys, TeamError> {
        self.unlock_in(password, None)
    }

    /// [`TeamVault::unlock`] with Argon2id's working memory made ready beforehand (the window
    /// prepares it from the first keystroke of the password).
    pub fn unlock_in(
        &self,
        password: &SecretString,
        memory: Option<&mut crypto::KdfMemory>,
    ) -> Result<TeamKeys, TeamError> {
        self.unlock_costed(password, memory).map(|(keys, _cost)| keys)
    }

    /// [`TeamVault::unlock_in`], with the key-derivation cost of this member's copy (a new
    /// password starts from it), read from the entry the unlock opens.
    pub fn unlock_costed(
        &self,
        password: &SecretString,
        memory: Option<&mut crypto::KdfMemory>,
    ) -> Result<(TeamKeys, KdfParams), TeamError> {
        let member = &self.config.member;
        let (entry, version) = self.member_entry(member)?;
        if entry.invited {
            return Err(TeamError::NotJoined { member: member.clone() });
        }
        let keys = TeamKeys::new(self.open_member_entry(&entry, password, memory)?, self.generation())?;
        if entry.public_key.is_empty() {
            // Another unlock may do the same at once: one of the two writes is enough.
            match self.write_member(
                member,
                &keys,
                (password, false),
                entry.kdf,
                version,
                &mut *self.entropy(),
            ) {
                Ok(_) | Err(TeamError::Server(KvError::Conflict)) => {}
                Err(error) => return Err(error),
            }
        }
        Ok((keys, entry.kdf))
    }
}

/// The order keys are listed in, as a local vault lists them: oldest first, a replacement after
/// the key it replaces (made in the same second), then by id.
pub fn key_order(a: &TeamKey, b: &TeamKey) -> std::cmp::Ordering {
    let (a, b) = (&a.record, &b.record);
    let replaces = |new: &KeyRecord, old: &KeyRecord| new.replaces.as_ref() == Some(&old.id);
    a.created_at.cmp(&b.created_at).then_with(|| {
        if replaces(a, b) {
            std::cmp::Ordering::Greater
        } else if replaces(b, a) {
            std::cmp::Ordering::Less
        } else {
            a.id.cmp(&b.id)
        }
    })
}

impl TeamVault {
    /// The ids of the keys in the vault.
    pub fn key_ids(&self) -> Result<Vec<KeyId>, TeamError> {
        let mut names = self.kv.list("keys")?;
        // Keydesk's ids are hex; a name it did not write (a folder, or one that could reach
        // past `keys/` in a request's path) is not one of its keys.
        names.retain(|name| {
            !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        names.sort();
        Ok(names.iter().map(|name| KeyId::from_stored(name)).collect())
    }

    /// Every key, read one by one (not checked against its seal: that takes the password).
    /// Every key, read by a few threads at once (a first load of 10,000 keys is 10,000
    /// requests; one at a time they took 8.7 s on loopback).
    pub fn keys(&self) -> Result<Vec<TeamKey>, TeamError> {
        let ids = self.key_ids()?;
        // A key removed between the list and its read is simply not there.
        let mut keys: Vec<TeamKey> =
            in_parallel(&ids, |id| self.read_key(id))?.into_iter().flatten().collect();
        keys.sort_by(key_order);
        Ok(keys)
    }

    /// One key as the server has it now; `None` when there is none with that id.
    pub fn read_key(&self, id: &KeyId) -> Result<Option<TeamKey>, TeamError> {
        let what = format!("key {id}");
        let Some(stored) = self.read_stored(&format!("keys/{id}"), &what)? else { return Ok(None) };
        let record = stored.key(&what)?;
        if record.id != *id {
            return Err(TeamError::Tampered { what });
        }
        let Stored { record_text, secret, seal, changed_by, generation, version, bound } = stored;
        Ok(Some(TeamKey { record, version, changed_by, generation, record_text, secret, seal, bound }))
    }

    /// Key `id` as the server has it now, its seal checked: for a call to its provider, where
    /// a record changed by someone without the team's key (its region, its account, its id at
    /// the provider) must not decide where a secret goes or which key is deleted.
    pub fn read_key_checked(&self, keys: &TeamKeys, id: &KeyId) -> Result<TeamKey, TeamError> {
        let key = self.read_key(id)?.ok_or_else(|| TeamError::NoSuchKey { id: id.to_string() })?;
        self.check_seal(keys, &key)?;
        Ok(key)
    }

    /// The entry at `under` as stored (a key's, an account's or an incident's), not yet
    /// trusted: its seal is the caller's to check. `what` names it in an error.
    fn read_stored(&self, under: &str, what: &str) -> Result<Option<Stored>, TeamError> {
        let Some(Versioned { data, version }) = self.kv.read(under)? else { return Ok(None) };
        let text = |field: &str| data.get(field).and_then(Value::as_str).map(str::to_owned);
        let (Some(record_text), Some(secret), Some(seal)) = (text("record"), text("secret"), text("seal"))
        else {
            return Err(TeamError::Tampered { what: what.to_owned() });
        };
        Ok(Some(Stored {
            record_text,
            secret,
            seal,
            changed_by: text("changed_by").unwrap_or_default(),
            generation: data.get("generation").and_then(Value::as_u64).unwrap_or(0),
            version,
            bound: data.get("bound_version").and_then(Value::as_u64),
        }))
    }

    /// Keeps a new key: its record and its secret, sealed, and its entry in the audit trail.
    /// The record's id must be new.
    pub fn add(
        &self,
        keys: &TeamKeys,
        record: &KeyRecord,
        secret: &SecretString,
        rng: &mut dyn Entropy,
        now: DateTime<Utc>,
    ) -> Result<(), TeamError> {
        let detail = format!("\"{}\", {}", record.label, record.provider.name());
        self.add_as(keys, record, secret, (Action::Add.into(), &detail), rng, now)
    }

    /// Keeps a new key as [`add`](Self::add) does, its trail entry saying `action` and `detail`.
    fn add_as(
        &self,
        keys: &TeamKeys,
        record: &KeyRecord,
        secret: &SecretString,
        (action, detail): (TrailAction, &str),
        rng: &mut dyn Entropy,
        now: DateTime<Utc>,
    ) -> Result<(), TeamError> {
        self.check_generation(keys)?;
        let sealed = self.seal_secret(keys, record.id.as_str(), secret, rng)?;
        let (under, text) = (format!("keys/{}", record.id), Self::record_text(record)?);
        let version = match self.write_entry(keys, (&under, record.id.as_str()), (&text, &sealed), 0) {
            // A random 48-bit id already taken: say so plainly.
            Err(KvError::Conflict) => return Err(TeamError::Changed { by: "Another member".into() }),
            other => other?,
        };
        self.record_after(keys, action, (&record.id, version), detail, now)
    }

    /// Records a change already made; a failure says the change stands unrecorded.
    fn record_after(
        &self,
        keys: &TeamKeys,
        action: TrailAction,
        key: (&KeyId, u64),
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<(), TeamError> {
        self.record(keys, action, Some(key), detail, now)
            .map(|_seq| ())
            .map_err(|error| TeamError::Unaudited { cause: error.to_string() })
    }

    /// `key`'s sealed secret as a new entry of it keeps it: as it is, or (an entry sealed
    /// under an older generation) sealed again under the current one.
    fn sealed_now(&self, keys: &TeamKeys, key: &TeamKey) -> Result<String, TeamError> {
        if key.generation == keys.generation() || !key.record.is_live() {
            return Ok(key.secret.clone());
        }
        let plain = self.secret_to_copy(keys, key)?;
        self.seal_secret(keys, key.record.id.as_str(), &plain, &mut *self.entropy())
    }

    /// Changes key `id`'s record as `change` says (it may refuse) and records `(action,
    /// detail)` in the trail. With `at`, only if the entry is still at that version (a
    /// member's change meanwhile is refused, naming them); without, a member's change made
    /// meanwhile is kept: the key is read again and `change` applied again (five tries).
    /// Answers the entry's new version.
    pub fn change_key(
        &self,
        keys: &TeamKeys,
        id: &KeyId,
        at: Option<u64>,
        (action, detail): (TrailAction, &str),
        mut change: impl FnMut(&mut KeyRecord) -> Result<(), TeamError>,
        now: DateTime<Utc>,
    ) -> Result<u64, TeamError> {
        self.check_generation(keys)?;
        let mut by = String::new();
        for _try in 0..5 {
            let key = self.read_key(id)?.ok_or_else(|| TeamError::NoSuchKey { id: id.to_string() })?;
            if at.is_some_and(|version| version != key.version) {
                by = key.changed_by;
                break;
            }
            self.check_seal(keys, &key)?;
            let mut record = key.record.clone();
            change(&mut record)?;
            let (text, sealed) = (Self::record_text(&record)?, self.sealed_now(keys, &key)?);
            match self.write_entry(keys, (&format!("keys/{id}"), id.as_str()), (&text, &sealed), key.version)
            {
                Ok(version) => {
                    self.record_after(keys, action, (id, version), detail, now)?;
                    return Ok(version);
                }
                Err(KvError::Conflict) if at.is_none() => by = key.changed_by,
                Err(KvError::Conflict) => {
                    by = self.read_key(id).ok().flatten().map(|now| now.changed_by).unwrap_or_default();
                    break;
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(TeamError::Changed { by: if by.is_empty() { "Another member".into() } else { by } })
    }

    /// The secret of `key`, after its entry's seal is checked and the reveal is recorded in
    /// the audit trail (no entry, no secret).
    pub fn reveal(
        &self,
        keys: &TeamKeys,
        key: &TeamKey,
        now: DateTime<Utc>,
    ) -> Result<SecretString, TeamError> {
        let secret = self.secret_to_copy(keys, key)?;
        self.record_use(keys, key, Action::Reveal, now)?;
        Ok(secret)
    }

    /// Records a copy or a reveal of `key` that worked, counted on the key as a local vault
    /// counts it ([`KeyRecord::count_use`]); a reader's token, which may not change the key,
    /// records it in the trail alone.
    fn record_use(
        &self,
        keys: &TeamKeys,
        key: &TeamKey,
        action: Action,
        now: DateTime<Utc>,
    ) -> Result<(), TeamError> {
        let used = crate::vault::audit::Record {
            at: now,
            action,
            key: Some(key.record.id.to_string()),
            outcome: crate::vault::audit::Outcome::Ok,
            detail: String::new(),
            prev: String::new(),
            tag: String::new(),
        };
        let counted = self.change_key(
            keys,
            &key.record.id,
            None,
            (action.into(), ""),
            |record| {
                record.count_use(&used);
                Ok(())
            },
            now,
        );
        match counted {
            Err(TeamError::Server(KvError::Denied { .. })) => {
                self.record(keys, action, Some((&key.record.id, key.version)), "", now).map(|_seq| ())
            }
            other => other.map(|_version| ()),
        }
    }

    /// The secret of `key` for the clipboard, after its entry's seal is checked; the copy is
    /// recorded with [`TeamVault::record_copy`] once the clipboard took it (or did not).
    pub fn secret_to_copy(&self, keys: &TeamKeys, key: &TeamKey) -> Result<SecretString, TeamError> {
        if !key.record.is_live() {
            return Err(VaultError::Revoked { label: key.record.label.clone(), action: "use" }.into());
        }
        self.check_seal(keys, key)?;
        let tampered = || TeamError::Tampered { what: format!("key {}", key.record.id) };
        let sealed = B64.decode(&key.secret).map_err(|_bad| tampered())?;
        let plain = crypto::open(
            &keys.at(key.generation)?.data,
            self.secret_ad(key.record.id.as_str()).as_bytes(),
            &sealed,
        )
        .map_err(|_bad| tampered())?;
        let text = std::str::from_utf8(&plain).map_err(|_bad| tampered())?;
        Ok(SecretString::from(text))
    }

    /// Revokes `key` (if nobody changed it since it was read): its record says revoked, with
    /// `reason`; its sealed secret is dropped from the entry, and its older versions (which
    /// still hold it) destroyed when the token may (an admin's); recorded with `note` (how it
    /// was revoked at the provider). Answers a warning when the older versions stay.
    pub fn revoke(
        &self,
        keys: &TeamKeys,
        key: &TeamKey,
        reason: &str,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, TeamError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(VaultError::EmptyReason.into());
        }
        crate::vault::meta::check_text("reason", reason, crate::vault::MAX_NOTES, false)?;
        if !key.record.is_live() {
            return Err(VaultError::Revoked { label: key.record.label.clone(), action: "revoke" }.into());
        }
        self.check_seal(keys, key)?;
        self.check_generation(keys)?;
        let mut record = key.record.clone();
        record.status = crate::vault::model::KeyStatus::Revoked { at: now, reason: reason.to_owned() };
        record.provider_revoke_pending = None;
        record.rotation = None;
        let text = Self::record_text(&record)?;
        let id = &record.id;
        let version =
            match self.write_entry(keys, (&format!("keys/{id}"), id.as_str()), (&text, ""), key.version) {
                Err(KvError::Conflict) => {
                    let by = match self.read_key(id) {
                        Ok(Some(now)) if !now.changed_by.is_empty() => now.changed_by,
                        _ => "Another member".into(),
                    };
                    return Err(TeamError::Changed { by });
                }
                other => other?,
            };
        let older: Vec<u64> = (1..version).collect();
        let warning = match self.kv.destroy(&format!("keys/{id}"), &older) {
            Ok(()) => None,
            Err(KvError::Denied { .. }) => Some(format!(
                "The key is revoked; its older versions on the server still hold its sealed secret: ask your team's admin to run `keydesk revoke` on it too, or to destroy versions 1–{} of keys/{id}.",
                version - 1
            )),
            Err(error) => return Err(error.into()),
        };
        let how = if note.is_empty() { String::new() } else { format!(" ({note})") };
        let mut detail = format!("\"{}\": {reason}{how}", record.label);
        // Revoking a key being replaced ends its rotation, with how far the move got.
        if let Some(rotation) = &key.record.rotation {
            let (moved, total) = rotation.progress();
            detail.push_str(&format!("; rotation closed with {moved} of {total} integrations moved"));
        }
        self.record_after(keys, Action::Revoke.into(), (id, version), &detail, now)?;
        Ok(warning)
    }

    /// Records a copy of `key`: done, or refused by the clipboard (`Err` with why).
    pub fn record_copy(
        &self,
        keys: &TeamKeys,
        key: &TeamKey,
        taken: Result<(), String>,
        now: DateTime<Utc>,
    ) -> Result<(), TeamError> {
        match taken {
            Ok(()) => self.record_use(keys, key, Action::Copy, now),
            Err(why) => {
                let detail = audit::failed_detail("", &format!("the clipboard did not take it: {why}"));
                let action = TrailAction::failed(Action::Copy);
                self.record(keys, action, Some((&key.record.id, key.version)), &detail, now).map(|_seq| ())
            }
        }
    }

    /// Invites `member`: the data key wrapped under a one-time code, which is returned to be
    /// given to them out of band (never through the server). Only an admin's token may.
    pub fn invite(
        &self,
        keys: &TeamKeys,
        member: &str,
        rng: &mut dyn Entropy,
        now: DateTime<Utc>,
    ) -> Result<SecretString, TeamError> {
        check_member(member)?;
        let code = invitation_code(rng);
        // The code holds 125 random bits: the cheapest accepted cost is plenty.
        match self.write_member(member, keys, (&code, true), KdfParams::MIN, 0, rng) {
            Err(TeamError::Server(KvError::Conflict)) => {
                return Err(TeamError::AlreadyMember { member: member.to_owned() });
            }
            other => drop(other?),
        }
        self.record(keys, Action::Invite, None, member, now)?;
        Ok(code)
    }

    /// Joins the team vault at `kv` as `member`, invited with `code`: the data key is unwrapped
    /// with the code and wrapped again under `password`, in place of the invitation (which
    /// works once: a second join finds no invitation). Answers the vault with its keys.
    pub fn join(
        kv: Kv,
        member: &str,
        code: &SecretString,
        password: &SecretString,
        kdf: KdfParams,
        entropy: EntropySource,
        now: DateTime<Utc>,
    ) -> Result<(TeamVault, TeamKeys), TeamError> {
        check_member(member)?;
        let (team_id, generation, _version) = Self::team_entry(&kv)?;
        let config = TeamConfig::new(kv.location(), member, team_id);
        let vault = TeamVault::at(kv, config, generation, entropy);
        let (entry, version) = vault.member_entry(member)?;
        if !entry.invited {
            return Err(TeamError::NotInvited { member: member.to_owned() });
        }
        let generations = vault
            .open_member_entry(&entry, &normalise_code(code), None)
            .map_err(|_wrong| TeamError::WrongCode { member: member.to_owned() })?;
        let keys = TeamKeys::new(generations, generation)?;
        let joined =
            match vault.write_member(member, &keys, (password, false), kdf, version, &mut *vault.entropy()) {
                Err(TeamError::Server(KvError::Conflict)) => {
                    return Err(TeamError::NotInvited { member: member.to_owned() });
                }
                other => other?,
            };
        // The invitation (the data key under the code, which was passed along in a chat or an
        // email) leaves the server. The join stands if a policy older than Keydesk's shipped
        // ones does not allow it (the invitation's copy then stays, opened by the code alone).
        let _kept_by_an_older_policy = vault.destroy_older_member_versions(member, joined);
        vault.record(&keys, Action::Join, None, member, now)?;
        Ok((vault, keys))
    }
}

/// `mount/path on addr`, for sentences.
fn place(location: &Location) -> String {
    format!("{}/{} on {}", location.mount, location.path, location.addrs_text())
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn invitation_codes_are_125_bits_in_five_groups_and_read_back_as_typed() {
        let mut rng = crate::vault::test_rng(7);
        let code = invitation_code(&mut rng);
        let text = code.expose_secret();
        assert_eq!(text.len(), 29, "{text}");
        assert_eq!(text.split('-').map(str::len).collect::<Vec<_>>(), [5; 5]);
        assert!(text.bytes().filter(|b| *b != b'-').all(|b| CODE_ALPHABET.contains(&b)));
        assert_ne!(invitation_code(&mut rng).expose_secret(), text, "each code is new");
        // Lower case, spaces instead of dashes, O for 0 and l for 1 read as the same code.
        let typed = text.to_lowercase().replace('-', " ").replace('0', "o").replace('1', "l");
        assert_eq!(normalise_code(&SecretString::from(typed)).expose_secret(), text);
        assert_eq!(normalise_code(&SecretString::from(format!("  {text}\n"))).expose_secret(), text);
    }

    #[test]
    fn member_names_stay_inside_the_members_folder() {
        for good in ["ana", "bo.smith", "cy-2", "dee_e", "ana@example.com"] {
            assert!(check_member(good).is_ok(), "{good}");
        }
        for bad in ["", ".", "..", "../team", "a/b", "ana bo", "é", &"a".repeat(65), ".hidden"] {
            assert!(check_member(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn typed_codes_and_names_never_panic(text in "\\PC{0,80}") {
            let _ = normalise_code(&SecretString::from(text.as_str()));
            let _checked = check_member(&text);
        }
    }
}
