//! Finding a key from what a person typed on the command line: its id, the start of its id
//! (4 characters or more), or its exact label (an active key first, then a retiring one, then
//! a revoked one). The window and the vault core name keys only by [`KeyId`].

use crate::vault::VaultError;
use crate::vault::model::{KeyId, KeyRecord, KeyStatus};

/// The id of the key `query` names among `keys`; when a label names more than one key (as
/// after a rotation), which one was taken is said on stderr.
pub fn resolve(keys: &[KeyRecord], query: &str) -> Result<KeyId, VaultError> {
    let (id, note) = find(keys, query)?;
    if let Some(note) = note {
        super::commands::note(&note);
    }
    Ok(id)
}

/// [`resolve`] without the note (for `rotate`, which means the old key and its replacement alike).
pub fn resolve_quietly(keys: &[KeyRecord], query: &str) -> Result<KeyId, VaultError> {
    find(keys, query).map(|(id, _)| id)
}

/// The key `query` names, and what to say when its label is shared.
fn find(keys: &[KeyRecord], query: &str) -> Result<(KeyId, Option<String>), VaultError> {
    let query = query.trim();
    if let Some(record) = keys.iter().find(|k| k.id == *query) {
        return Ok((record.id.clone(), None));
    }
    let pick = |matches: Vec<&KeyRecord>| -> Option<Result<KeyId, VaultError>> {
        match matches.as_slice() {
            [] => None,
            [one] => Some(Ok(one.id.clone())),
            many => Some(Err(VaultError::AmbiguousKey { query: query.to_owned(), count: many.len() })),
        }
    };
    if query.len() >= 4
        && let Some(found) = pick(keys.iter().filter(|k| k.id.starts_with(query)).collect())
    {
        return found.map(|id| (id, None));
    }
    let by_label = |status: fn(&KeyStatus) -> bool| -> Vec<&KeyRecord> {
        keys.iter().filter(|k| k.label == query && status(&k.status)).collect()
    };
    let sharing = keys.iter().filter(|k| k.label == query).count();
    for group in [
        by_label(|s| *s == KeyStatus::Active),
        by_label(|s| *s == KeyStatus::Retiring),
        by_label(|s| matches!(s, KeyStatus::Revoked { .. })),
    ] {
        if let Some(found) = pick(group) {
            // After a rotation the old and the new key share a label: say which one is meant.
            return found.map(|id| {
                let note = keys.iter().find(|k| k.id == id).filter(|_| sharing > 1).map(|record| {
                    format!(
                        "\"{query}\" names {sharing} keys: this is the {} one ({id}); name another by its id (`keydesk list --all`).",
                        record.status.word()
                    )
                });
                (id, note)
            });
        }
    }
    Err(VaultError::UnknownKey { query: query.to_owned() })
}
