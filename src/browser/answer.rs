//! Keydesk's answer to a request, from the vault's keys: the offers of a page, or a key's
//! secret, only for a key and integration that page is offered.
//!
//! The extension is not trusted to have asked for offers first: a fill names its key, its
//! integration and the page's origin, and is refused unless the origin rule offers exactly
//! that key for that integration there.

use secrecy::SecretString;

use super::messaging::{ErrorCode, Reply, Request};
use super::origin::offers;
use crate::vault::model::{KeyId, KeyRecord};

/// The sentence of a fill that names a key the page is not offered.
pub const NOT_OFFERED: &str =
    "That key is not offered on this page: it fills only the pages of its integrations.";

/// The reply to `request` over `keys` (the vault's records); a fill's secret is read with
/// `reveal`, only once the fill is allowed. `reveal` answers the sentence to show when the
/// secret cannot be read.
pub fn answer(
    keys: &[KeyRecord],
    request: &Request,
    reveal: impl FnOnce(&KeyId) -> Result<SecretString, String>,
) -> Reply {
    match request {
        Request::Offers { id, origin } => Reply::Offers { id: *id, offers: offers(keys, origin) },
        Request::Fill { id, origin, key, integration } => {
            let offered = offers(keys, origin);
            let Some(offer) = offered.iter().find(|o| o.key.as_str() == key && o.integration == *integration)
            else {
                return Reply::error(Some(*id), ErrorCode::Refused, NOT_OFFERED);
            };
            match reveal(&offer.key) {
                Ok(value) => Reply::Fill { id: *id, value },
                Err(why) => Reply::error(Some(*id), ErrorCode::Failed, why),
            }
        }
    }
}
