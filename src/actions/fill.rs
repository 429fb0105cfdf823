//! A fill: a key's secret handed to the browser extension for a field of one of its
//! integrations' pages (the page's origin already checked by [`crate::browser::answer`]),
//! through the store's gate and on record, the same for a local and a team vault. A
//! rotation's new key filled into one of the old key's integrations ticks that step. A page
//! the user confirmed adding to a key's integrations is added here too.

use secrecy::SecretString;

use super::{ActionError, Store, changes};
use crate::browser::answer::{self, Decision, Proposal};
use crate::browser::messaging::Reply;
use crate::browser::origin::{Offer, OfferRole, Origin};
use crate::vault::audit::Action;
use crate::vault::model::{Integration, KeyRecord};
use crate::vault::{KeyEdit, KeyEvent, Moved, VaultError, edited_record};

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

/// What answering one request did: the reply for the browser, a sentence for the window (a
/// step ticked, or why a mark failed), and a page proposed for a key, which the window asks
/// the user about.
pub struct Answered {
    pub reply: Reply,
    pub said: Option<Result<String, ActionError>>,
    pub proposed: Option<Proposal>,
}

/// Carries out a request `decided` by [`answer::decide`] over `store`'s keys, for `browser`:
/// the one path of the window's answers, for a local and a team vault alike. Only an allowed
/// fill hands out a secret and only an allowed mark ticks a step; a refusal, a list and a
/// proposal change nothing. A paste is looked up only while the leak guard is on
/// ([`super::guard`]).
pub fn carry_out(store: &mut (impl Store + ?Sized), decided: Decision, browser: &str) -> Answered {
    let answered = |reply, said| Answered { reply, said, proposed: None };
    match decided {
        Decision::Reply(reply) => answered(reply, None),
        Decision::Fill { id, offer, origin } => match fill(store, &offer, &origin, browser) {
            Ok(filled) => answered(answer::filled(id, Ok(filled.secret)), filled.said.map(Ok)),
            Err(error) => answered(answer::filled(id, Err(error.to_string())), Some(Err(error))),
        },
        Decision::Tested { id, offer } => {
            let marked = mark_tested(store, &offer, browser);
            let reply = answer::tested(id, marked.as_ref().map(Clone::clone).map_err(ToString::to_string));
            answered(reply, Some(marked))
        }
        Decision::Propose { id, proposal } => proposed(id, proposal),
        Decision::Guard { id } => super::guard::status(store, id),
        Decision::CheckPaste { id, page, text } => {
            super::guard::check_paste(store, id, &page, &text, browser)
        }
    }
}

/// The answer to a page proposed for a key: the extension is told to answer in the window,
/// which asks; nothing is changed yet.
pub fn proposed(id: u64, proposal: Proposal) -> Answered {
    Answered { reply: Reply::AddPage { id, said: proposal.said() }, said: None, proposed: Some(proposal) }
}

/// Adds the page `proposal` names to its key's integrations as `name` (the user confirmed it
/// in the window, from `browser`'s proposal): the key page's edit through
/// [`Store::change_key`], at the version read, with an `edit` line saying what was added.
/// Refused, with nothing written, when the key is revoked or being replaced, already offered
/// on that page, or has an integration of that name. Answers the sentence to show.
pub fn add_page(
    store: &mut (impl Store + ?Sized),
    proposal: &Proposal,
    name: &str,
    browser: &str,
) -> Result<String, ActionError> {
    let now = store.now();
    let (record, version) = store.read_key(&proposal.key)?;
    let origin = proposal.origin.to_string();
    let integration =
        Integration { name: name.trim().to_owned(), url: Some(origin.clone()), note: String::new() };
    let mut add = |record: &mut KeyRecord| -> Result<(), VaultError> {
        let label = record.label.clone();
        if !record.is_live() {
            return Err(VaultError::Revoked { label, action: "add a page to" });
        }
        if record.rotation.is_some() {
            return Err(VaultError::Retiring { label });
        }
        let on_page = |i: &Integration| {
            i.url.as_deref().is_some_and(|url| Origin::of_address(url).is_ok_and(|o| o == proposal.origin))
        };
        if record.integrations.iter().any(on_page) {
            return Err(VaultError::PageTaken { label, origin: origin.clone() });
        }
        if record.integrations.iter().any(|i| i.name.trim().eq_ignore_ascii_case(&integration.name)) {
            return Err(VaultError::IntegrationTaken { label, name: integration.name.clone() });
        }
        let mut integrations = record.integrations.clone();
        integrations.push(integration.clone());
        let edit = KeyEdit { integrations: Some(integrations), ..KeyEdit::default() };
        *record = edited_record(record, edit, now)?.0;
        Ok(())
    };
    // Checked on the key as read, so a refusal is said before anything is written.
    add(&mut record.clone())?;
    let detail = format!("added integration {} at {origin}, proposed from {browser}", integration.name);
    store.change_key(&proposal.key, Some(version), KeyEvent::new(Action::Edit, detail), &mut add)?;
    Ok(format!(
        "{origin} is now the integration \"{}\" of \"{}\": the page is offered that key.",
        integration.name, record.label
    ))
}
