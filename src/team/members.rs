//! Removing a member, with the re-key that makes it more than a closed door.
//!
//! Deleting a member's entry and revoking their token stops their access to the server, but
//! they may keep the data key they held. So removal starts a new generation of the data key:
//! it is sealed to every remaining member's public key (no password needed), the `team` entry
//! names it, every key's secret is sealed again under it and its older versions are destroyed
//! on the server, and only then is the member's entry removed with its history. From then on
//! what the removed member kept opens nothing the server holds. What they may have revealed
//! before is theirs: those keys are listed for rotation at their providers.
//!
//! Each step can be run again: a removal cut short (the admin's computer died) is finished by
//! running it again, which starts one more generation and goes on from there.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::kv::KvError;
use super::{Derived, TeamError, TeamKeys, TeamVault, check_member};
use secrecy::SecretString;

use crate::vault::Entropy;
use crate::vault::audit::Action;
use crate::vault::crypto::{self, SymmetricKey};
use crate::vault::model::{KeyId, KeyRecord};

/// What a removal did.
#[derive(Debug)]
pub struct Removed {
    /// The generation of the team's data key now in use.
    pub generation: u64,
    /// Keys whose secret was sealed again under it.
    pub resealed: usize,
    /// The keys the removed member could read (not revoked): to rotate at their providers.
    pub exposed: Vec<KeyRecord>,
    /// What became of the removed member's sign-in on the server (`None` for a re-key that
    /// removed nobody).
    pub signed_out: Option<SignedOut>,
}

/// What became of a removed member's sign-in on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedOut {
    /// Their userpass login is deleted and their identity disabled.
    Done,
    /// The server had neither: they signed in with a token.
    NoLogin,
    /// This token may not manage sign-ins on the server (a team admin who is no server admin).
    NotAllowed,
    /// Asking the server failed (this sentence).
    Failed(String),
}

impl SignedOut {
    /// What to tell the admin about `name`'s sign-in.
    pub fn sentence(&self, name: &str) -> String {
        match self {
            SignedOut::Done => format!(
                "{name}'s sign-in on the server is deleted and their identity disabled, so the tokens they hold are refused too."
            ),
            SignedOut::NoLogin => format!("Revoke {name}'s server token as well: Keydesk cannot."),
            SignedOut::NotAllowed => format!(
                "Revoke {name}'s server token as well, and delete their sign-in on the server if they have one: this token may not."
            ),
            SignedOut::Failed(error) => format!(
                "{name}'s sign-in on the server could not be removed ({error}): remove it there, and revoke their token."
            ),
        }
    }
}

/// A member as the team's admin sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    /// Invited, not joined yet.
    pub invited: bool,
    /// The key-derivation cost of their copy of the team's keys (a new password keeps it
    /// unless another is chosen).
    pub kdf: crypto::KdfParams,
}

/// The key-derivation cost chosen for a new password: each part left `None` keeps the
/// member's current one (never the defaults: a member who chose a higher cost keeps it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KdfChoice {
    pub memory_kib: Option<u32>,
    pub iterations: Option<u32>,
    pub lanes: Option<u32>,
}

impl KdfChoice {
    /// `current` with the chosen parts in place, checked against what Keydesk accepts.
    pub fn over(self, current: crypto::KdfParams) -> Result<crypto::KdfParams, TeamError> {
        let kdf = crypto::KdfParams {
            memory_kib: self.memory_kib.unwrap_or(current.memory_kib),
            iterations: self.iterations.unwrap_or(current.iterations),
            lanes: self.lanes.unwrap_or(current.lanes),
        };
        kdf.validate()?;
        Ok(kdf)
    }
}

impl TeamVault {
    /// The team's members, by name.
    pub fn members(&self) -> Result<Vec<Member>, TeamError> {
        let mut names: Vec<String> =
            self.kv.list("members")?.into_iter().filter(|name| !name.ends_with('/')).collect();
        names.sort();
        names
            .into_iter()
            .map(|name| {
                let (entry, _version) = self.member_entry(&name)?;
                Ok(Member { name, invited: entry.invited, kdf: entry.kdf })
            })
            .collect()
    }

    /// Whether this member's token may invite and remove members.
    pub fn can_administer(&self) -> Result<bool, TeamError> {
        Ok(self.kv.can_administer()?)
    }

    /// The cost a new password of this member's would be derived at with `kdf` chosen: their
    /// current cost with the chosen parts in place (refused when out of range), as
    /// [`change_password`](Self::change_password) applies it; checked before a change that
    /// comes first (a new team key) is made.
    pub fn password_kdf(&self, kdf: KdfChoice) -> Result<crypto::KdfParams, TeamError> {
        let (entry, _version) = self.member_entry(&self.config.member)?;
        kdf.over(entry.kdf)
    }

    /// Changes this member's password: their copy of the team's keys is sealed anew, under a
    /// fresh key pair and a key derived from `password` at their current cost with `kdf`'s
    /// chosen parts in place. The old password opens nothing on the server afterwards: the
    /// entry's older versions, which members' policies may read, are destroyed
    /// ([`TeamError::OldCopyKept`] when the token may not).
    pub fn change_password(
        &self,
        keys: &TeamKeys,
        password: &SecretString,
        kdf: KdfChoice,
        rng: &mut dyn Entropy,
        now: DateTime<Utc>,
    ) -> Result<(), TeamError> {
        let member = self.config.member.clone();
        let (entry, version) = self.member_entry(&member)?;
        let kdf = kdf.over(entry.kdf)?;
        let written = match self.write_member(&member, keys, (password, false), kdf, version, rng) {
            // An admin sealed a new team key to this member meanwhile: unlock again first.
            Err(TeamError::Server(KvError::Conflict)) => return Err(TeamError::Rekeyed),
            other => other?,
        };
        self.record(keys, Action::ChangePassword, None, &member, now)
            .map_err(|error| TeamError::Unaudited { cause: error.to_string() })?;
        self.destroy_older_member_versions(&member, written)
            .map_err(|error| TeamError::OldCopyKept { cause: error.to_string() })
    }

    /// Removes `member` and re-keys the team vault (see the module's notes). Only an admin's
    /// token may. Answers what was done and the keys with the new generation (`keys` is left
    /// as it was: every write under it is refused from now on).
    pub fn remove_member(
        &self,
        keys: &TeamKeys,
        member: &str,
        rng: &mut dyn Entropy,
        now: DateTime<Utc>,
    ) -> Result<(Removed, TeamKeys), TeamError> {
        check_member(member)?;
        if member == self.config.member {
            return Err(TeamError::RemoveSelf);
        }
        let (mut removed, keys) = self.rekey_leaving(keys, Some(member), rng, now)?;
        let mount = self.config.sign_in.mount();
        removed.signed_out = Some(match super::signin::remove_login(&self.kv, mount, member) {
            Ok(true) => SignedOut::Done,
            Ok(false) => SignedOut::NoLogin,
            Err(KvError::Denied { .. }) => SignedOut::NotAllowed,
            Err(error) => SignedOut::Failed(error.to_string()),
        });
        Ok((removed, keys))
    }

    /// Replaces the team's data key for every member, removing nobody (for when a member's
    /// password or computer may have been exposed): what [`remove_member`](Self::remove_member)
    /// does but the removal. Only an admin's token may.
    pub fn rekey(
        &self,
        keys: &TeamKeys,
        rng: &mut dyn Entropy,
        now: DateTime<Utc>,
    ) -> Result<(Removed, TeamKeys), TeamError> {
        self.rekey_leaving(keys, None, rng, now)
    }

    fn rekey_leaving(
        &self,
        keys: &TeamKeys,
        leaving: Option<&str>,
        rng: &mut dyn Entropy,
        now: DateTime<Utc>,
    ) -> Result<(Removed, TeamKeys), TeamError> {
        let mut keys = TeamKeys {
            current: keys.current,
            generations: keys
                .generations
                .iter()
                .map(|(generation, derived)| (*generation, Derived::from_data(derived.data.duplicate())))
                .collect(),
            // The re-key seals the older generations' live entries again.
            older_live: true,
        };
        let removed = self.rekey_with(&mut keys, leaving, rng, now)?;
        keys.older_live = false;
        Ok((removed, keys))
    }

    fn rekey_with(
        &self,
        keys: &mut TeamKeys,
        leaving: Option<&str>,
        rng: &mut dyn Entropy,
        now: DateTime<Utc>,
    ) -> Result<Removed, TeamError> {
        if !self.kv.can_administer()? {
            return Err(KvError::Denied { doing: "manage the team", policy: "keydesk-admin" }.into());
        }
        if let Some(member) = leaving {
            self.member_entry(member)?;
        }
        let (team_id, team_generation, team_version) = Self::team_entry(&self.kv)?;
        // Every remaining member is read (and must have a key pair) before anything is written;
        // this admin's own entry is written first, so a removal cut short leaves the new key
        // with the one who will run it again.
        let mut names: Vec<String> = self
            .kv
            .list("members")?
            .into_iter()
            .filter(|name| Some(name.as_str()) != leaving && !name.ends_with('/'))
            .collect();
        names.sort_by_key(|name| name != &self.config.member);
        let mut entries = Vec::with_capacity(names.len());
        for name in &names {
            let (entry, version) = self.member_entry(name)?;
            if entry.public_key.is_empty() {
                return Err(TeamError::NoKeyPair { member: name.clone() });
            }
            entries.push((entry, version));
        }
        let generation = team_generation.max(keys.generation()) + 1;
        keys.generations.insert(generation, Derived::from_data(SymmetricKey::random(rng)));
        let new = &keys.generations[&generation].data;
        for (mut entry, version) in entries {
            self.seal_generation(&mut entry, generation, new, rng)?;
            self.put_member(&entry, version)?;
        }
        let team =
            self.kv.read("team")?.ok_or(TeamError::NotThere { place: super::place(self.kv.location()) })?;
        let mut data = team.data;
        data["key_generation"] = json!(generation);
        if data.get("team_id").and_then(serde_json::Value::as_str) != Some(team_id.as_str()) {
            return Err(TeamError::Tampered { what: "the team's own entry".into() });
        }
        match self.kv.write("team", &data, team_version, true) {
            Err(KvError::Conflict) => return Err(TeamError::Changed { by: "Another admin".into() }),
            other => other?,
        };
        keys.current = generation;
        self.generation.store(generation, std::sync::atomic::Ordering::Relaxed);

        let mut resealed = 0;
        let mut exposed = Vec::new();
        for id in self.key_ids()? {
            if let Some(record) = self.reseal(keys, &id, rng, now)? {
                resealed += 1;
                if record.is_live() {
                    exposed.push(record);
                }
            }
        }
        for id in self.kv.list("accounts")? {
            if !id.ends_with('/') {
                self.reseal_account(keys, &id, rng, now)?;
            }
        }
        for id in self.kv.list("incidents")? {
            if !id.ends_with('/') {
                self.reseal_incident(keys, &id)?;
            }
        }
        // The pack holds entries sealed under the replaced key: it is not used after a re-key
        // (its generation is older), and goes from the server with the older versions.
        let _not_used_anyway = self.drop_pack();
        let sealed = format!("{resealed} keys sealed again under generation {generation} of the team key");
        match leaving {
            Some(member) => {
                self.kv.delete_all(&format!("members/{member}"))?;
                self.record(keys, Action::MemberRemove, None, &format!("{member}; {sealed}"), now)?;
            }
            None => {
                self.record(keys, Action::TeamRekey, None, &sealed, now)?;
            }
        }
        Ok(Removed { generation, resealed, exposed, signed_out: None })
    }

    /// Seals key `id` again under the current generation (unless it is already), destroys its
    /// older versions on the server and records it. A member's change made meanwhile is kept:
    /// the key is read again and sealed from there. Answers the key's record when it was.
    fn reseal(
        &self,
        keys: &TeamKeys,
        id: &KeyId,
        rng: &mut dyn Entropy,
        now: DateTime<Utc>,
    ) -> Result<Option<KeyRecord>, TeamError> {
        loop {
            let Some(key) = self.read_key(id)? else { return Ok(None) };
            if key.generation == keys.generation() {
                return Ok(None);
            }
            if !key.record.is_live() {
                // A revoked key's entry holds no secret and stays under the generation its
                // lookup hash was made in (so `whois` still names it); the older versions an
                // editor's revoke could not destroy (they hold the sealed secret) go now.
                self.check_seal(keys, &key)?;
                let older: Vec<u64> = (1..key.version).collect();
                self.kv.destroy(&format!("keys/{id}"), &older)?;
                return Ok(None);
            }
            let secret = self.secret_to_copy(keys, &key)?;
            let mut record = key.record.clone();
            record.lookup_hash = keys.lookup_hash(&secret);
            let sealed = self.seal_secret(keys, id.as_str(), &secret, rng)?;
            let text = Self::record_text(&record)?;
            let version = match self.write_entry(
                keys,
                (&format!("keys/{id}"), id.as_str()),
                (&text, &sealed),
                key.version,
            ) {
                Err(KvError::Conflict) => continue,
                other => other?,
            };
            let older: Vec<u64> = (1..version).collect();
            self.kv.destroy(&format!("keys/{id}"), &older)?;
            self.record(keys, Action::Rekey, Some((id, version)), &format!("\"{}\"", record.label), now)?;
            return Ok(Some(record));
        }
    }

    /// Refuses a write under a generation older than the team's (a member was removed since
    /// this member unlocked: what they write now must not open with the removed one's key).
    pub(super) fn check_generation(&self, keys: &TeamKeys) -> Result<(), TeamError> {
        let (_id, generation, _version) = Self::team_entry(&self.kv)?;
        if generation > keys.generation() {
            return Err(TeamError::Rekeyed);
        }
        Ok(())
    }
}
