//! Members' entries and sealed entries on the server: written, read and checked.

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::kv::{KvError, Versioned};
use super::sealing::{MemberEntry, SealedRef, TeamKey, TeamKeys};
use super::{B64, TeamError, TeamVault};
use crate::vault::crypto::{self, KdfParams, SymmetricKey};
use crate::vault::model::{Account, KeyRecord};
use crate::vault::stored::{self, Stores as _};
use crate::vault::{Entropy, VaultError};

impl TeamVault {
    /// A member's entry and its version.
    pub(super) fn member_entry(&self, member: &str) -> Result<(MemberEntry, u64), TeamError> {
        let read = self.kv.read(&format!("members/{member}"))?;
        let Some(Versioned { data, version }) = read else {
            return Err(TeamError::NotMember { member: member.to_owned() });
        };
        let entry = serde_json::from_value(data)
            .map_err(|_bad| TeamError::Tampered { what: format!("member {member}") })?;
        Ok((entry, version))
    }

    /// The data key of each generation in a member's entry, with their password (or
    /// invitation code).
    pub(super) fn open_member_entry(
        &self,
        entry: &MemberEntry,
        password: &SecretString,
        memory: Option<&mut crypto::KdfMemory>,
    ) -> Result<Vec<(u64, SymmetricKey)>, TeamError> {
        let tampered = || TeamError::Tampered { what: format!("member {}", entry.member) };
        let salt = B64.decode(&entry.salt).map_err(|_bad| tampered())?;
        let kek = crypto::derive_kek_in(password, &salt, entry.kdf, memory)?;
        let ad = self.member_ad(&entry.member);
        if entry.wrapped_private.is_empty() {
            let wrapped = B64.decode(&entry.wrapped_key).map_err(|_bad| tampered())?;
            return Ok(vec![(0, crypto::unwrap_key(&kek, ad.as_bytes(), &wrapped)?)]);
        }
        let wrapped = B64.decode(&entry.wrapped_private).map_err(|_bad| tampered())?;
        let pair = crypto::MemberKeyPair::unwrap(&kek, ad.as_bytes(), &wrapped)?;
        entry
            .sealed_keys
            .iter()
            .map(|(generation, sealed)| {
                let sealed = B64.decode(sealed).map_err(|_bad| tampered())?;
                let key = pair
                    .open_key(self.generation_ad(&entry.member, *generation).as_bytes(), &sealed)
                    .map_err(|_bad| tampered())?;
                Ok((*generation, key))
            })
            .collect()
    }

    /// Writes `member`'s copy of `data`, wrapped under the password (or, with `true`, the
    /// invitation code), if the entry is still at `version` (0: if there is none).
    pub(super) fn write_member(
        &self,
        member: &str,
        keys: &TeamKeys,
        (password, invited): (&SecretString, bool),
        kdf: KdfParams,
        version: u64,
        rng: &mut dyn Entropy,
    ) -> Result<u64, TeamError> {
        let mut salt = [0u8; crypto::SALT_LEN];
        rng.fill(&mut salt);
        let kek = crypto::derive_kek(password, &salt, kdf)?;
        let pair = crypto::MemberKeyPair::random(rng);
        let wrapped_private = pair.wrap(&kek, self.member_ad(member).as_bytes(), rng)?;
        let mut entry = MemberEntry {
            member: member.to_owned(),
            kdf,
            salt: B64.encode(salt),
            wrapped_key: String::new(),
            public_key: B64.encode(pair.public()),
            wrapped_private: B64.encode(wrapped_private),
            sealed_keys: std::collections::BTreeMap::new(),
            invited,
        };
        for (generation, derived) in &keys.generations {
            self.seal_generation(&mut entry, *generation, &derived.data, rng)?;
        }
        self.put_member(&entry, version)
    }

    /// Adds the data key of `generation` to a member's entry, sealed to their public key.
    pub(super) fn seal_generation(
        &self,
        entry: &mut MemberEntry,
        generation: u64,
        data: &SymmetricKey,
        rng: &mut dyn Entropy,
    ) -> Result<(), TeamError> {
        let tampered = || TeamError::Tampered { what: format!("member {}", entry.member) };
        let public: [u8; crypto::PUBLIC_KEY_LEN] = B64
            .decode(&entry.public_key)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(tampered)?;
        let ad = self.generation_ad(&entry.member, generation);
        let sealed = crypto::seal_key_to(&public, ad.as_bytes(), data, rng).map_err(|_bad| tampered())?;
        entry.sealed_keys.insert(generation, B64.encode(sealed));
        Ok(())
    }

    /// Writes a member's entry; answers its new version.
    pub(super) fn put_member(&self, entry: &MemberEntry, version: u64) -> Result<u64, TeamError> {
        let value =
            serde_json::to_value(entry).map_err(|_json| VaultError::Render { what: "a member entry" })?;
        Ok(self.kv.write(&format!("members/{}", entry.member), &value, version, true)?)
    }

    /// Destroys the versions of `member`'s entry older than `version`: what an invitation
    /// code or an old password opened is gone from the server.
    pub(super) fn destroy_older_member_versions(&self, member: &str, version: u64) -> Result<(), TeamError> {
        let older: Vec<u64> = (1..version).collect();
        Ok(self.kv.destroy(&format!("members/{member}"), &older)?)
    }

    /// A secret sealed under the current generation, bound to the team and the key.
    pub(super) fn seal_secret(
        &self,
        keys: &TeamKeys,
        subject: &str,
        secret: &SecretString,
        rng: &mut dyn Entropy,
    ) -> Result<String, TeamError> {
        let sealed = crypto::seal(
            &keys.now().data,
            self.secret_ad(subject).as_bytes(),
            secret.expose_secret().as_bytes(),
            rng,
        )?;
        Ok(B64.encode(sealed))
    }

    /// A key's record as its entry keeps it (JSON text).
    pub(super) fn record_text(record: &KeyRecord) -> Result<String, TeamError> {
        entry_text(&stored::Key::of(record), "a key's record")
    }

    /// A provider account's record as its entry keeps it (JSON text).
    pub(super) fn account_text(account: &Account) -> Result<String, TeamError> {
        entry_text(&stored::Account::of(account), "an account's record")
    }

    /// Writes an entry (a key's, an account's or an incident's: `subject` says which) at
    /// `under` over `version` (check-and-set: 0 for a new one), its record's text and its
    /// sealed secret (empty for none) under a seal that also covers this member, the
    /// generation and the version the entry becomes — so an older version put back on the
    /// server later (a revoked key made active again) does not pass for the current one.
    /// Answers the new version.
    pub(super) fn write_entry(
        &self,
        keys: &TeamKeys,
        (under, subject): (&str, &str),
        (record_text, secret): (&str, &str),
        version: u64,
    ) -> Result<u64, KvError> {
        let changed_by = &self.config.member;
        let bound = version + 1;
        let bound_text = bound.to_string();
        let parts = self.sealed_parts(subject, record_text, secret, changed_by, Some(&bound_text));
        let seal = crypto::keyed_hash_parts(&keys.now().seal, &parts);
        let entry = json!({
            "record": record_text, "secret": secret, "changed_by": changed_by, "seal": seal,
            "generation": keys.generation(), "bound_version": bound,
        });
        let written = self.kv.write(under, &entry, version, false)?;
        if written != bound {
            // Check-and-set makes the next version the one after the version named.
            return Err(KvError::Malformed { what: "a version other than the next one" });
        }
        Ok(written)
    }

    /// What an entry's seal covers: the team, the subject (a key's id, "account <id>",
    /// "incident <id>"), its record's text, its sealed secret, its last writer and (in entries
    /// written since seals bind one) its version, each after a zero byte (none holds one).
    pub(super) fn sealed_parts<'a>(
        &'a self,
        subject: &'a str,
        record: &'a str,
        secret: &'a str,
        by: &'a str,
        bound: Option<&'a str>,
    ) -> Vec<&'a [u8]> {
        let mut parts: Vec<&[u8]> = vec![
            self.config.team_id.as_bytes(),
            b"\0",
            subject.as_bytes(),
            b"\0",
            record.as_bytes(),
            b"\0",
            secret.as_bytes(),
            b"\0",
            by.as_bytes(),
        ];
        if let Some(bound) = bound {
            parts.extend([b"\0".as_slice(), bound.as_bytes()]);
        }
        parts
    }

    /// Refuses an entry whose seal does not hold (changed by someone without the team's key),
    /// one put back from an older version, and a live one sealed under an older generation.
    /// `what` names it in the error.
    pub(super) fn check_entry(
        &self,
        keys: &TeamKeys,
        entry: &SealedRef<'_>,
        live: bool,
        what: &dyn Fn() -> String,
    ) -> Result<(), TeamError> {
        let derived = keys.sealed_under(entry.generation, live, what)?;
        let bound_text = entry.bound.map(|v| v.to_string());
        let parts = self.sealed_parts(
            entry.subject,
            entry.record_text,
            entry.secret,
            entry.changed_by,
            bound_text.as_deref(),
        );
        let holds = crypto::keyed_hash_parts_match(&derived.seal, &parts, entry.seal);
        if holds && entry.bound.is_none_or(|bound| bound == entry.version) {
            Ok(())
        } else {
            Err(TeamError::Tampered { what: what() })
        }
    }

    pub(super) fn check_seal(&self, keys: &TeamKeys, key: &TeamKey) -> Result<(), TeamError> {
        let entry = SealedRef {
            subject: key.record.id.as_str(),
            record_text: &key.record_text,
            secret: &key.secret,
            changed_by: &key.changed_by,
            seal: &key.seal,
            generation: key.generation,
            version: key.version,
            bound: key.bound,
        };
        self.check_entry(keys, &entry, key.record.is_live(), &|| format!("key \"{}\"", key.record.label))
    }

    pub(super) fn member_ad(&self, member: &str) -> String {
        format!("keydesk-team member {} {member}", self.config.team_id)
    }

    pub(super) fn generation_ad(&self, member: &str, generation: u64) -> String {
        format!("keydesk-team data key {} {member} {generation}", self.config.team_id)
    }

    /// `subject`: a key's id, or `account <id>` (ids hold no space, so the two never meet).
    pub(super) fn secret_ad(&self, subject: &str) -> String {
        format!("keydesk-team secret {} {subject}", self.config.team_id)
    }
}

/// An entry's record as JSON text.
pub(super) fn entry_text(record: &impl serde::Serialize, what: &'static str) -> Result<String, TeamError> {
    Ok(serde_json::to_string(record).map_err(|_json| VaultError::Render { what })?)
}
