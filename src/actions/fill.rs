//! A fill: a key's secret handed to the browser extension for a field of one of its
//! integrations' pages (the page's origin already checked by [`crate::browser::answer`]),
//! through the store's gate and on record, the same for a local and a team vault. A
//! rotation's new key filled into one of the old key's integrations ticks that step.

use secrecy::SecretString;

use super::{ActionError, Store, changes};
use crate::browser::origin::{Offer, OfferRole};
use crate::vault::Moved;

/// What a fill hands over, and what to tell the user besides (a rotation's step ticked).
pub struct Filled {
    pub secret: SecretString,
    pub said: Option<String>,
}

/// Fills `offer` (allowed on the page at `origin`) for `browser`.
pub fn fill(
    store: &mut (impl Store + ?Sized),
    offer: &Offer,
    origin: &str,
    browser: &str,
) -> Result<Filled, ActionError> {
    let detail = format!("into {} at {origin}, from {browser}", offer.integration);
    let secret = store.fill(&offer.key, detail)?;
    let mut said = None;
    if offer.role == OfferRole::RotationNew
        && let Some(old) = store.key_record(&offer.key).ok().and_then(|key| key.replaces)
    {
        // Marked before (a second fill) or no longer under way: nothing to tick.
        if changes::mark_rotation(store, &old, &offer.integration, Moved::Updated).is_ok() {
            said = Some(format!(
                "{} now holds the new key of \"{}\" (filled from {browser}).",
                offer.integration, offer.label
            ));
        }
    }
    Ok(Filled { secret, said })
}

/// Ticks "tested" for `offer`'s integration in the rotation its key is the new key of (the
/// page's "Mark as tested", from `browser`): the rotation checklist's own verb. Answers the
/// sentence to show.
pub fn mark_tested(
    store: &mut (impl Store + ?Sized),
    offer: &Offer,
    browser: &str,
) -> Result<String, ActionError> {
    let record = store.key_record(&offer.key)?;
    let Some(old) = record.replaces else {
        return Err(crate::vault::VaultError::NoRotation { label: record.label }.into());
    };
    let (moved, total) = changes::mark_rotation(store, &old, &offer.integration, Moved::Tested)?;
    Ok(format!(
        "{} is marked tested with the new key \"{}\" (from {browser}): {moved} of {total} integrations moved.",
        offer.integration, offer.label
    ))
}
