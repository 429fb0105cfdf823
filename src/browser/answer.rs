//! Keydesk's answer to a request, from the vault's keys: the offers of a page, or a key's
//! secret, only for a key and integration that page is offered.
//!
//! The extension is not trusted to have asked for offers first: a fill names its key, its
//! integration and the page's origin, and is refused unless the origin rule offers exactly
//! that key for that integration there. A page proposed for a key's integrations changes
//! nothing here: the window asks the user, and only a confirmation there adds it.

use secrecy::SecretString;

use super::guard::{self, Pasted};
use super::messaging::{ErrorCode, KeyChoice, Reply, Request};
use super::origin::{Offer, OfferRole, Origin, offers};
use crate::vault::model::{KeyId, KeyRecord};

/// The sentence of a fill that names a key the page is not offered.
pub const NOT_OFFERED: &str =
    "That key is not offered on this page: it fills only the pages of its integrations.";

/// The sentence of a "Mark as tested" for a key that is not a rotation's new key there.
pub const NOT_ROTATING: &str =
    "Only a rotation's new key is marked tested: this key is not replacing another on this page.";

/// The sentence of a page proposed for a key that is not one the page could be added to.
pub const NO_SUCH_KEY: &str = "That key cannot take this page (it is offered here already, revoked, \
     being replaced or gone): open the list again.";

/// A page proposed for a key's integrations, waiting for the user's answer in the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub key: KeyId,
    pub label: String,
    pub provider: String,
    /// The page's origin, by the origin rule: https, a named host, a port.
    pub origin: Origin,
}

impl Proposal {
    /// The integration's name the window suggests: the page's host.
    pub fn suggested_name(&self) -> String {
        self.origin.host().to_owned()
    }

    /// What the extension is told while the window asks.
    pub fn said(&self) -> String {
        format!(
            "Keydesk asks in its window whether to add {} to the integrations of \"{}\": answer there, then click again.",
            self.origin, self.label
        )
    }
}

/// What to do about a request: reply at once, hand out a key's secret for a fill the origin
/// rule allows (the caller reads it through the vault's gate, then replies), tick a
/// rotation's step "tested" for a new key offered on the page, ask the user whether to add
/// a page to a key's integrations, say whether the leak guard is on, or (the guard on) look
/// up a text shaped like a key pasted into a page.
pub enum Decision {
    Reply(Reply),
    Fill { id: u64, offer: Offer, origin: String },
    Tested { id: u64, offer: Offer },
    Propose { id: u64, proposal: Proposal },
    Guard { id: u64 },
    CheckPaste { id: u64, page: Origin, text: Pasted },
}

/// A page may be added to a key that is live and not being replaced (its new key takes the
/// page instead), and that is not offered on that page already.
fn addable(key: &KeyRecord, page: &Origin) -> bool {
    key.is_live()
        && key.rotation.is_none()
        && !key.integrations.iter().any(|integration| {
            integration.url.as_deref().is_some_and(|url| Origin::of_address(url).is_ok_and(|o| o == *page))
        })
}

/// The error reply to a page that is not a plain https origin: the origin rule's reason, in
/// one sentence.
fn not_addable(id: u64, why: &super::origin::OriginError) -> Reply {
    Reply::error(Some(id), ErrorCode::Refused, why.to_string())
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
        Request::Keys { id, origin } => match Origin::of_page(origin) {
            Ok(page) => {
                let keys = keys
                    .iter()
                    .filter(|key| addable(key, &page))
                    .map(|key| KeyChoice {
                        key: key.id.as_str().to_owned(),
                        label: key.label.clone(),
                        provider: key.provider.name().to_owned(),
                    })
                    .collect();
                Decision::Reply(Reply::Keys { id: *id, keys })
            }
            Err(why) => Decision::Reply(not_addable(*id, &why)),
        },
        Request::AddPage { id, origin, key } => match Origin::of_page(origin) {
            Ok(page) => match keys.iter().find(|k| k.id.as_str() == key && addable(k, &page)) {
                Some(key) => Decision::Propose {
                    id: *id,
                    proposal: Proposal {
                        key: key.id.clone(),
                        label: key.label.clone(),
                        provider: key.provider.name().to_owned(),
                        origin: page,
                    },
                },
                None => Decision::Reply(Reply::error(Some(*id), ErrorCode::Refused, NO_SUCH_KEY)),
            },
            Err(why) => Decision::Reply(not_addable(*id, &why)),
        },
        Request::Guard { id } => Decision::Guard { id: *id },
        Request::CheckPaste { id, origin, text } => match Origin::of_page(origin) {
            Ok(_) if !text.token_shaped() => {
                Decision::Reply(Reply::error(Some(*id), ErrorCode::Refused, guard::NOT_TOKEN))
            }
            Ok(page) => Decision::CheckPaste { id: *id, page, text: text.clone() },
            Err(why) => Decision::Reply(not_addable(*id, &why)),
        },
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
        Decision::Propose { id, proposal } => Reply::AddPage { id, said: proposal.said() },
        // The guard's setting and the key a paste is are the store's (`actions::guard`).
        Decision::Guard { id } => Reply::Guard { id, on: false },
        Decision::CheckPaste { id, .. } => Reply::error(Some(id), ErrorCode::Refused, guard::GUARD_OFF),
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
