//! Rotating a key of a team vault, as a local vault does (`vault::lifecycle`'s record
//! changes are shared): the replacement is added as a key of its own, linked to the old one,
//! which becomes retiring with each of its integrations to be moved; the rotation's steps
//! are then `actions::changes`'s, as on a local vault.
//!
//! Two entries change, and KV has no transaction: the replacement is written first, so a
//! rotation cut short leaves a new key that names the one it replaces (and says so), never
//! an old key pointing at nothing.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::{TeamError, TeamKey, TeamKeys, TeamVault};
use crate::vault::audit::Action;
use crate::vault::model::{KeyId, KeyRecord};
use crate::vault::{
    Entropy, Vault, VaultError, check_rotatable, link_new_to_old, new_key_id, new_key_record,
    replacement_meta, start_rotation, whole_seconds,
};

impl TeamVault {
    /// Starts replacing `old` with `secret` (made at the provider and pasted), `all` being
    /// every key as the copy has them. Answers the replacement's record.
    pub fn rotate(
        &self,
        keys: &TeamKeys,
        old: &TeamKey,
        all: &[TeamKey],
        secret: &SecretString,
        rng: &mut dyn Entropy,
        now: DateTime<Utc>,
    ) -> Result<KeyRecord, TeamError> {
        // The replacement takes the old record's account, scopes and integrations, sealed
        // anew: the old entry must be one a member wrote.
        self.check_seal(keys, old)?;
        let records: Vec<KeyRecord> = all.iter().map(|key| key.record.clone()).collect();
        check_rotatable(&records, &old.record)?;
        let secret = SecretString::from(secret.expose_secret().trim());
        let detection = Vault::recognise(secret.expose_secret(), Some(old.record.provider))?;
        let now = whole_seconds(now);
        let same = all.iter().find(|key| keys.matches(key, &secret));
        let record = match same {
            // A rotation cut short after its replacement was added: this run links the two.
            Some(added)
                if added.record.replaces.as_ref() == Some(&old.record.id)
                    && added.record.is_live()
                    && old.record.replaced_by.is_none() =>
            {
                added.record.clone()
            }
            Some(same) => return Err(VaultError::Duplicate { label: same.record.label.clone() }.into()),
            None => {
                let id = new_key_id(rng, |id| all.iter().any(|key| key.record.id == *id));
                let mut record = new_key_record(
                    id,
                    replacement_meta(&old.record, now),
                    (old.record.provider, &detection.prefix),
                    &secret,
                    keys.lookup_hash(&secret),
                    now,
                )?;
                link_new_to_old(&mut record, &old.record, detection.region.or(old.record.region.clone()));
                self.add(keys, &record, &secret, rng, now)?;
                record
            }
        };
        self.retire_for(keys, &old.record, &record.id, now)?;
        Ok(record)
    }

    /// The second write of a rotation: `old`'s entry, read again, becomes retiring with each
    /// integration to move to `new` (recorded as `rotate`). A failure other than a refusal
    /// leaves the new key naming the old one: said as half done.
    fn retire_for(
        &self,
        keys: &TeamKeys,
        old: &KeyRecord,
        new: &KeyId,
        now: DateTime<Utc>,
    ) -> Result<(), TeamError> {
        let detail = format!("\"{}\" replaced by {new}", old.label);
        self.change_key(
            keys,
            &old.id,
            None,
            (Action::Rotate.into(), &detail),
            |current| {
                // Another member may have started one meanwhile: theirs stands.
                if current.rotation.is_some() || (current.replaced_by.is_some() && !current.is_live()) {
                    return Err(VaultError::RotationUnderWay { label: current.label.clone() }.into());
                }
                start_rotation(current, new, now);
                Ok(())
            },
            now,
        )
        .map_err(|error| match error {
            TeamError::Changed { .. } | TeamError::Vault(_) => error,
            other => TeamError::HalfRotated { new: new.to_string(), cause: other.to_string() },
        })?;
        Ok(())
    }

    /// Links `new`, a key just made for the purpose (pasted, generated or created at the
    /// provider from the New key screen), as the replacement of `old` (`all`: every key as the
    /// copy has them), as a local vault's `Vault::link_replacement` does: the new entry names
    /// the old one first, then the old one becomes retiring with its integrations to move.
    pub fn link_replacement(
        &self,
        keys: &TeamKeys,
        old: &TeamKey,
        all: &[TeamKey],
        new: &KeyId,
        now: DateTime<Utc>,
    ) -> Result<(), TeamError> {
        let records: Vec<KeyRecord> = all.iter().map(|key| key.record.clone()).collect();
        check_rotatable(&records, &old.record)?;
        let label = old.record.label.clone();
        let under_way = || TeamError::from(VaultError::RotationUnderWay { label: label.clone() });
        let linked = format!("linked as the replacement of \"{label}\" ({})", old.record.id);
        self.change_key(
            keys,
            new,
            None,
            (Action::Edit.into(), &linked),
            |current| match &current.replaces {
                Some(other) if *other != old.record.id => Err(under_way()),
                _ => {
                    current.replaces = Some(old.record.id.clone());
                    Ok(())
                }
            },
            now,
        )?;
        self.retire_for(keys, &old.record, new, now)?;
        Ok(())
    }
}
