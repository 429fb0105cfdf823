//! The end of a key's life: revoke (metadata saved first, then the secret deleted) and rotate
//! (a replacement linked to the old key, which becomes retiring).

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::audit::Action;
use super::keygen::{self, KeySpec};
use super::meta::{KeyMeta, check_text};
use super::model::{KeyId, KeyRecord, KeyStatus, Rotation, RotationStep};
use super::{MAX_NOTES, Vault, VaultError};
use crate::providers::Provider;

/// Where the replacement of a rotated key comes from.
pub enum Replacement {
    /// A new Keydesk key in the old one's format.
    Generate,
    /// A key made at the provider and pasted.
    Pasted(SecretString),
}

impl Vault {
    /// Revokes a key: the metadata is saved first, then the secret is deleted. Returns a
    /// warning when the secret could not be deleted (the key is revoked all the same; `check`
    /// lists the leftover entry).
    pub fn revoke(&mut self, id: &KeyId, reason: &str) -> Result<Option<String>, VaultError> {
        self.revoke_noting(id, reason, "")
    }

    /// [`Vault::revoke`], with a note on how it was revoked at the provider for the audit log
    /// (e.g. "revoked at SendGrid", "revoked by hand on Mailchimp's page").
    pub fn revoke_noting(
        &mut self,
        id: &KeyId,
        reason: &str,
        note: &str,
    ) -> Result<Option<String>, VaultError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(VaultError::EmptyReason);
        }
        check_text("reason", reason, MAX_NOTES, false)?;
        let index = self.index_of(id)?;
        let record = &self.file.keys[index];
        if !record.is_live() {
            return Err(VaultError::Revoked { label: record.label.clone(), action: "revoke" });
        }
        let id = record.id.clone();
        let now = self.now();
        let mut detail = if note.is_empty() {
            format!("\"{}\": {reason}", record.label)
        } else {
            format!("\"{}\": {reason} ({note})", record.label)
        };
        // Revoking a key being replaced ends its rotation, with how far the move got.
        if let Some(rotation) = &record.rotation {
            let (moved, total) = rotation.progress();
            detail.push_str(&format!("; rotation closed with {moved} of {total} integrations moved"));
        }
        self.apply(Action::Revoke, Some(&id), detail, |file| {
            file.keys[index].status = KeyStatus::Revoked { at: now, reason: reason.to_owned() };
            file.keys[index].provider_revoke_pending = None;
            file.keys[index].rotation = None;
            let how = if note.is_empty() { String::new() } else { format!(" ({note})") };
            file.note_incidents(&id, now, &format!("Revoked{how}: {reason}"));
            Ok(())
        })?;
        let name = self.entry_name(&id);
        Ok(match self.env.store.delete(&name) {
            Ok(_) => None,
            Err(error) => Some(format!(
                "The key is revoked, but its encrypted secret could not be deleted ({error}); `keydesk check` lists it."
            )),
        })
    }

    /// Rotates a key: a replacement linked to the old key, which becomes Retiring (a live key)
    /// or stays revoked (a key revoked first because it leaked); either way each of its
    /// integrations is to be moved to the replacement.
    pub fn rotate(
        &mut self,
        id: &KeyId,
        replacement: Replacement,
    ) -> Result<(KeyId, SecretString), VaultError> {
        let index = self.index_of(id)?;
        let old = self.file.keys[index].clone();
        check_rotatable(&self.file.keys, &old)?;
        let (secret, prefix, provider, region) = match replacement {
            Replacement::Generate => {
                if old.provider != Provider::Keydesk {
                    return Err(VaultError::NeedsPastedReplacement {
                        label: old.label,
                        provider: old.provider.name().to_owned(),
                    });
                }
                let current = if old.is_live() { Some(self.load_secret(&old)?) } else { None };
                let spec = replacement_spec(&old, current.as_ref());
                (keygen::generate(&spec, self.env.rng.as_mut())?, spec.prefix, Provider::Keydesk, None)
            }
            Replacement::Pasted(secret) => {
                let detection = Self::recognise(secret.expose_secret(), Some(old.provider))?;
                if let Some(existing) = self.matching_key(secret.expose_secret()) {
                    return Err(VaultError::Duplicate { label: existing.label.clone() });
                }
                (secret, detection.prefix, old.provider, detection.region.or(old.region.clone()))
            }
        };
        let now = self.now();
        let new_id = self.new_key_id();
        let mut record = self.new_record(new_id, replacement_meta(&old, now), provider, &prefix, &secret)?;
        link_new_to_old(&mut record, &old, region);
        let id = record.id.clone();
        self.store_secret(&id, &secret)?;
        let detail = format!("\"{}\" replaced by {id}", old.label);
        let added = vec![super::AddedLine::of(&record)];
        self.apply_adding(added, (Action::Rotate, Some(old.id.as_str()), detail), |file| {
            let old = &mut file.keys[index];
            start_rotation(old, &record.id, now);
            let (old_id, new_id) = (old.id.clone(), record.id.clone());
            file.keys.push(record);
            file.note_incidents(&old_id, now, &format!("Replacement made (Keydesk id {new_id})"));
            Ok(())
        })
        .inspect_err(|error| self.take_back_secret(&id, error))?;
        Ok((id, secret))
    }
}

impl Vault {
    /// Links `new`, a key just made for the purpose (generated, pasted or created at the
    /// provider), as the replacement of `old`, as [`Vault::rotate`] does: `old` becomes
    /// retiring (or stays revoked, after a leak), each of its integrations is to be moved, and
    /// an open incident on `old` records the replacement.
    pub fn link_replacement(&mut self, old: &KeyId, new: &KeyId) -> Result<(), VaultError> {
        let old_index = self.index_of(old)?;
        let new_index = self.index_of(new)?;
        let record = &self.file.keys[old_index];
        if self.file.rotation_of(old).is_some() || record.replaced_by.is_some() {
            return Err(VaultError::RotationUnderWay { label: record.label.clone() });
        }
        let now = self.now();
        let detail = format!("\"{}\" replaced by {new}", record.label);
        let (old, new) = (old.clone(), new.clone());
        self.apply(Action::Rotate, Some(&old), detail, |file| {
            start_rotation(&mut file.keys[old_index], &new, now);
            file.keys[new_index].replaces = Some(old.clone());
            file.note_incidents(&old, now, &format!("Replacement made (Keydesk id {new})"));
            Ok(())
        })
    }
}

/// A step of moving an integration to the new key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moved {
    /// Its settings now hold the new key.
    Updated,
    /// The new key was tried there and works (the user's word, or a verify at the provider).
    Tested,
}

// ---------------------------------------------------------------------------------------
// A rotation as it changes the records: shared by a local vault and a team vault.

/// Refuses to start replacing `old` (among `keys`) when it is revoked and replaced already,
/// or a rotation of it (or of the key it replaces) is under way.
pub fn check_rotatable(keys: &[KeyRecord], old: &KeyRecord) -> Result<(), VaultError> {
    if old.replaced_by.is_some() && !old.is_live() {
        return Err(VaultError::Revoked { label: old.label.clone(), action: "rotate" });
    }
    if rotation_in(keys, &old.id).is_some() {
        return Err(VaultError::RotationUnderWay { label: old.label.clone() });
    }
    Ok(())
}

/// The key whose rotation `id` is part of (itself while it is being replaced, or the key it
/// replaces when that one is), among `keys`, with the rotation.
pub fn rotation_in<'a>(keys: &'a [KeyRecord], id: &KeyId) -> Option<(&'a KeyRecord, &'a Rotation)> {
    rotation_by(|id| keys.iter().find(|k| k.id == *id), id)
}

/// [`rotation_in`] over any way of finding a key by its id (a team vault's copy).
pub fn rotation_by<'a>(
    key: impl Fn(&KeyId) -> Option<&'a KeyRecord>,
    id: &KeyId,
) -> Option<(&'a KeyRecord, &'a Rotation)> {
    let record = key(id)?;
    let old = if record.rotation.is_some() { record } else { key(record.replaces.as_ref()?)? };
    old.rotation.as_deref().map(|rotation| (old, rotation))
}

/// What the replacement of `old` keeps of it: label, notes, integrations, rotation period,
/// and its lifetime (a key that lasted 90 days gets 90 days again from `now`).
pub fn replacement_meta(old: &KeyRecord, now: DateTime<Utc>) -> KeyMeta {
    KeyMeta {
        label: old.label.clone(),
        expires_at: old.expires_at.map(|at| now + (at - old.created_at)),
        rotate_after_days: old.rotate_after_days,
        integrations: old.integrations.clone(),
        notes: old.notes.clone(),
    }
}

/// Makes `new` the replacement of `old`: its account, scopes and (unless its own secret said
/// one) region, and the link back.
pub fn link_new_to_old(new: &mut KeyRecord, old: &KeyRecord, region: Option<String>) {
    new.account.clone_from(&old.account);
    new.scopes.clone_from(&old.scopes);
    new.region = region;
    new.replaces = Some(old.id.clone());
}

/// Starts the rotation on the old key's record: retiring (a live key; a key revoked first
/// stays revoked), replaced by `new`, each integration to be moved, step by step.
pub fn start_rotation(old: &mut KeyRecord, new: &KeyId, now: DateTime<Utc>) {
    if old.is_live() {
        old.status = KeyStatus::Retiring;
    }
    old.replaced_by = Some(new.clone());
    let steps = old
        .integrations
        .iter()
        .map(|i| RotationStep { integration: i.name.clone(), updated_at: None, tested_at: None })
        .collect();
    old.rotation = Some(Box::new(Rotation { started_at: now, steps }));
}

/// Marks a step of moving `integration` (its name, any case) on the record of the key being
/// replaced; marking again keeps the first time. Answers the integration's name and the step
/// in words ("updated", "tested").
pub fn mark_step(
    record: &mut KeyRecord,
    integration: &str,
    step: Moved,
    now: DateTime<Utc>,
) -> Result<(String, &'static str), VaultError> {
    let label = record.label.clone();
    let Some(rotation) = record.rotation.as_mut() else {
        return Err(VaultError::NoRotation { label });
    };
    let wanted = integration.trim();
    let Some(at) = rotation.steps.iter().position(|s| s.integration.eq_ignore_ascii_case(wanted)) else {
        let known: Vec<String> = rotation.steps.iter().map(|s| format!("\"{}\"", s.integration)).collect();
        return Err(VaultError::UnknownIntegration {
            label,
            name: wanted.to_owned(),
            known: if known.is_empty() { "none".to_owned() } else { known.join(", ") },
        });
    };
    let state = &mut rotation.steps[at];
    let (slot, word) = match step {
        Moved::Updated => (&mut state.updated_at, "updated"),
        Moved::Tested => (&mut state.tested_at, "tested"),
    };
    slot.get_or_insert(now);
    Ok((state.integration.clone(), word))
}

/// Whether the rotation on `record` may be completed: every integration moved, or a reason
/// given for completing anyway.
pub fn check_complete(record: &KeyRecord, reason: Option<&str>) -> Result<(), VaultError> {
    let Some(rotation) = &record.rotation else {
        return Err(VaultError::NoRotation { label: record.label.clone() });
    };
    let open: Vec<&str> =
        rotation.steps.iter().filter(|s| !s.moved()).map(|s| s.integration.as_str()).collect();
    if open.is_empty() || reason.is_some_and(|r| !r.trim().is_empty()) {
        return Ok(());
    }
    Err(VaultError::RotationOpen {
        label: record.label.clone(),
        open: open.len(),
        total: rotation.steps.len(),
        names: open.join(", "),
    })
}

/// Ends the rotation on the old key's record without replacing it (its replacement was
/// revoked): active again (unless it was revoked first) and replaced by nothing.
pub fn abandon_rotation_of(record: &mut KeyRecord) {
    record.rotation = None;
    record.replaced_by = None;
    if record.status == KeyStatus::Retiring {
        record.status = KeyStatus::Active;
    }
}

/// What to do next, once the rotation of `old` to `new` has started.
pub fn rotation_started(old: &KeyRecord, new: &KeyId) -> String {
    let names: Vec<&str> = old.integrations.iter().map(|i| i.name.as_str()).collect();
    let state = if old.is_live() { "is now retiring" } else { "stays revoked" };
    if names.is_empty() {
        format!(
            "\"{}\" {state}; the replacement is {new}. When nothing uses the old key, run `keydesk rotate {new} --complete`.",
            old.label
        )
    } else {
        format!(
            "\"{}\" {state}; the replacement is {new}. Move {} to it (`keydesk rotate {new} --mark NAME updated`, then `tested`), then `--complete`.",
            old.label,
            names.join(", ")
        )
    }
}

/// The shape of a Keydesk key's generated replacement: the old key's, read from its secret
/// (`current`, when it is live); a revoked key's secret is gone, and its hint still shows the
/// prefix. A local and a team vault's rotation alike.
pub fn replacement_spec(old: &KeyRecord, current: Option<&SecretString>) -> KeySpec {
    match current {
        Some(current) => keygen::shape(current.expose_secret())
            .map(|s| KeySpec { prefix: s.prefix.to_owned(), length: s.body_length })
            .unwrap_or_default(),
        None => old
            .hint
            .split_once('…')
            .map(|(prefix, _)| KeySpec { prefix: prefix.to_owned(), ..KeySpec::default() })
            .filter(|spec| keygen::prefix_is_valid(&spec.prefix))
            .unwrap_or_default(),
    }
}

/// The reason a completed rotation's old key is revoked with.
pub fn rotated_reason(new: &str, reason: Option<&str>) -> String {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(reason) => format!("rotated to {new}: {reason}"),
        None => format!("rotated to {new}"),
    }
}
