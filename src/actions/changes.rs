//! What changes a key's record, written once for every store (a local vault, a team vault):
//! an edit, a rotation's steps, and what a provider said about a key (a verify, its last use,
//! a revoke it refused). Each reads the key, checks the change, and commits it with its event.

use super::{ActionError, Store};
use crate::vault::audit::Action;
use crate::vault::meta::check_text;
use crate::vault::model::{KeyId, KeyRecord, ProviderUsage, UnexpectedUse, Verification, VerifyOutcome};
use crate::vault::{
    KeyEdit, KeyEvent, MAX_NOTES, Moved, VaultError, abandon_rotation_of, check_complete, edited_record,
    mark_step, usage_detail,
};

/// Changes key `id`'s metadata as `edit` says; with `at`, only if nobody changed the key since
/// it was read at that version.
pub fn edit(
    store: &mut (impl Store + ?Sized),
    id: &KeyId,
    at: Option<u64>,
    edit: &KeyEdit,
) -> Result<(), ActionError> {
    let now = store.now();
    // Checked, and worded, on the key as read.
    let (_, detail) = edited_record(&store.key_record(id)?, edit.clone(), now)?;
    store.change_key(id, at, KeyEvent::new(Action::Edit, detail), &mut |record| {
        *record = edited_record(record, edit.clone(), now)?.0;
        Ok(())
    })
}

/// Marks a step of moving `integration` (its name, any case) of key `old`, being replaced, to
/// its replacement. Marking again keeps the first time. Answers the rotation's progress
/// (moved, total).
pub fn mark_rotation(
    store: &mut (impl Store + ?Sized),
    old: &KeyId,
    integration: &str,
    step: Moved,
) -> Result<(usize, usize), ActionError> {
    let now = store.now();
    let mut preview = store.key_record(old)?;
    let (name, word) = mark_step(&mut preview, integration, step, now)?;
    let event = KeyEvent::new(Action::Rotate, format!("rotation of \"{}\": {name} {word}", preview.label))
        .in_timeline(format!("{name} {word} with the new key"));
    let mut progress = (0, 0);
    store.change_key(old, None, event, &mut |record| {
        mark_step(record, integration, step, now)?;
        progress = record.rotation.as_ref().map(|r| r.progress()).unwrap_or_default();
        Ok(())
    })?;
    Ok(progress)
}

/// Closes the rotation of `old` when it was revoked before its replacement was made (a leak:
/// revoke first); a live old key's rotation is closed by its revoke instead. Refused while
/// integrations are left and no `reason` says why.
pub fn close_rotation(
    store: &mut (impl Store + ?Sized),
    old: &KeyId,
    reason: Option<&str>,
) -> Result<(), ActionError> {
    let record = store.key_record(old)?;
    let (moved, total) = rotating(&record)?;
    check_complete(&record, reason)?;
    if record.is_live() {
        return Err(
            VaultError::OutOfRange { field: "rotation", range: "finished by revoking the old key" }.into()
        );
    }
    let why = reason.map(str::trim).filter(|r| !r.is_empty()).map(|r| format!(": {r}")).unwrap_or_default();
    let detail =
        format!("rotation of \"{}\" closed with {moved} of {total} integrations moved{why}", record.label);
    let event = KeyEvent::new(Action::Rotate, detail)
        .in_timeline(format!("Rotation finished: {moved} of {total} integrations moved{why}"));
    store.change_key(old, None, event, &mut |record| {
        record.rotation = None;
        Ok(())
    })
}

/// Ends the rotation of `old` once its replacement is revoked (by the caller): the old key
/// is active again and replaced by nothing.
pub fn abandon_rotation(
    store: &mut (impl Store + ?Sized),
    old: &KeyId,
    reason: &str,
) -> Result<(), ActionError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(VaultError::EmptyReason.into());
    }
    check_text("reason", reason, MAX_NOTES, false)?;
    let record = store.key_record(old)?;
    rotating(&record)?;
    let event =
        KeyEvent::new(Action::Rotate, format!("rotation of \"{}\" abandoned: {reason}", record.label))
            .in_timeline(format!("Rotation abandoned: {reason}"));
    store.change_key(old, None, event, &mut |record| {
        abandon_rotation_of(record);
        Ok(())
    })
}

/// The progress of `record`'s rotation; refused when none is under way.
fn rotating(record: &KeyRecord) -> Result<(usize, usize), VaultError> {
    match &record.rotation {
        Some(rotation) => Ok(rotation.progress()),
        None => Err(VaultError::NoRotation { label: record.label.clone() }),
    }
}

/// Records what the provider said about key `id`.
pub fn record_verification(
    store: &mut (impl Store + ?Sized),
    id: &KeyId,
    outcome: &VerifyOutcome,
) -> Result<(), ActionError> {
    let label = store.key_record(id)?.label;
    let at = store.now();
    let refused = (!outcome.works()).then(|| outcome.sentence());
    let event = KeyEvent::new(Action::Verify, format!("\"{label}\": {}", outcome.word())).failed_for(refused);
    store.note_on_key(id, event, &mut |record| {
        record.last_verified = Some(Verification { at, outcome: outcome.clone() });
        Ok(())
    })
}

/// Records that a revoke of key `id` at its provider did not happen: the key stays active
/// with `message` shown on it until a revoke succeeds.
pub fn record_revoke_failure(
    store: &mut (impl Store + ?Sized),
    id: &KeyId,
    message: &str,
) -> Result<(), ActionError> {
    let label = store.key_record(id)?.label;
    let event = KeyEvent::new(Action::Revoke, format!("\"{label}\"")).failed_for(Some(message.to_owned()));
    store.note_on_key(id, event, &mut |record| {
        record.provider_revoke_pending = Some(message.to_owned());
        Ok(())
    })
}

/// Records what the provider said about key `id`'s last use (`Err`: the sentence of why it
/// could not tell; the last answer stays). `subject`, the key's id at the provider as asked,
/// is kept when the key had none. Answers the use that should not have happened, if the
/// answer shows one.
pub fn record_usage(
    store: &mut (impl Store + ?Sized),
    id: &KeyId,
    answer: Result<ProviderUsage, String>,
    subject: Option<&str>,
) -> Result<Option<UnexpectedUse>, ActionError> {
    let record = store.key_record(id)?;
    let label = &record.label;
    let usage = match answer {
        Ok(usage) => usage,
        Err(why) => {
            store.record_event(
                id,
                KeyEvent::new(Action::Usage, format!("\"{label}\"")).failed_for(Some(why)),
            )?;
            return Ok(None);
        }
    };
    let flag = usage.last_used.and_then(|at| record.unexpected_use_at(at));
    let event = KeyEvent::new(Action::Usage, format!("\"{label}\": {}", usage_detail(&usage, flag.as_ref())));
    store.note_on_key(id, event, &mut |record| {
        record.usage = Some(Box::new(usage.clone()));
        if record.provider_key_id.is_none() {
            record.provider_key_id = subject.map(str::to_owned);
        }
        Ok(())
    })?;
    Ok(flag)
}
