//! Keydesk's answer to a request, from the vault's keys: the offers of a page, or a key's
//! secret, only for a key and integration that page is offered.
//!
//! The extension is not trusted to have asked for offers first: a fill names its key, its
//! integration and the page's origin, and is refused unless the origin rule offers exactly
//! that key for that integration there.

use secrecy::SecretString;

use super::messaging::{ErrorCode, Reply, Request};
use super::origin::{Offer, OfferRole, offers};
use crate::vault::model::{KeyId, KeyRecord};

/// The sentence of a fill that names a key the page is not offered.
pub const NOT_OFFERED: &str =
    "That key is not offered on this page: it fills only the pages of its integrations.";

/// The sentence of a "Mark as tested" for a key that is not a rotation's new key there.
pub const NOT_ROTATING: &str =
    "Only a rotation's new key is marked tested: this key is not replacing another on this page.";

/// What to do about a request: reply at once, hand out a key's secret for a fill the origin
/// rule allows (the caller reads it through the vault's gate, then replies), or tick a
/// rotation's step "tested" for a new key offered on the page.
pub enum Decision {
    Reply(Reply),
    Fill { id: u64, offer: Offer, origin: String },
    Tested { id: u64, offer: Offer },
}

/// Decides `request` over `keys` (the vault's records).
pub fn decide(keys: &[KeyRecord], request: &Request) -> Decision {
    match request {
        Request::Offers { id, origin } => {
            Decision::Reply(Reply::Offers { id: *id, offers: offers(keys, origin) })
        }
        Request::Fill { id, origin, key, integration } => {
            let offered = offers(keys, origin);
            match offered.into_iter().find(|o| o.key.as_str() == key && o.integration == *integration) {
                Some(offer) => Decision::Fill { id: *id, offer, origin: origin.clone() },
                None => Decision::Reply(Reply::error(Some(*id), ErrorCode::Refused, NOT_OFFERED)),
            }
        }
        Request::Tested { id, origin, key, integration } => {
            let offered = offers(keys, origin);
            match offered.into_iter().find(|o| o.key.as_str() == key && o.integration == *integration) {
                Some(offer) if offer.role == OfferRole::RotationNew => Decision::Tested { id: *id, offer },
                Some(_) => Decision::Reply(Reply::error(Some(*id), ErrorCode::Refused, NOT_ROTATING)),
                None => Decision::Reply(Reply::error(Some(*id), ErrorCode::Refused, NOT_OFFERED)),
            }
        }
    }
}

/// The reply to `request` over `keys` (the vault's records); a fill's secret is read with
/// `reveal`, only once the fill is allowed, and a step is marked tested with `mark`. Each
/// answers the sentence to show when it fails.
pub fn answer(
    keys: &[KeyRecord],
    request: &Request,
    reveal: impl FnOnce(&KeyId) -> Result<SecretString, String>,
    mark: impl FnOnce(&Offer) -> Result<String, String>,
) -> Reply {
    match decide(keys, request) {
        Decision::Reply(reply) => reply,
        Decision::Fill { id, offer, .. } => filled(id, reveal(&offer.key)),
        Decision::Tested { id, offer } => tested(id, mark(&offer)),
    }
}

/// The reply to a "Mark as tested": what was ticked, or why it could not be.
pub fn tested(id: u64, marked: Result<String, String>) -> Reply {
    match marked {
        Ok(said) => Reply::Tested { id, said },
        Err(why) => Reply::error(Some(id), ErrorCode::Failed, why),
    }
}

/// The reply to a fill: the secret read, or why it could not be.
pub fn filled(id: u64, secret: Result<SecretString, String>) -> Reply {
    match secret {
        Ok(value) => Reply::Fill { id, value },
        Err(why) => Reply::error(Some(id), ErrorCode::Failed, why),
    }
}
