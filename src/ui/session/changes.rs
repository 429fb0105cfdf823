//! The changes the screens ask of a vault, written once over a [`Store`] for either kind: a
//! local vault's session applies them at once, a team vault's in a job (its server may take a
//! while). What each answers ([`Answer`]) is taken in by the screens the same way
//! ([`Screens::take`]), so both kinds say the same and open the same page after it.

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::{Command, PendingClear, REVEAL_SECS, Revealed, ShownOnce};
use crate::actions::{self, Store};
use crate::ui::Failure;
use crate::ui::detail::KeyBook;
use crate::ui::screens::Screens;
use crate::ui::state::{AccountsState, DetailState, IncidentForm, NewKeyState, Screen};
use crate::ui::widgets::Toasts;
use crate::vault::Replacement;
use crate::vault::model::KeyId;

/// Which change was asked: where its answer, or why it failed, is said.
#[derive(Clone)]
pub enum Asked {
    /// A key made on the New key screen (generated or pasted).
    NewKey,
    /// The edits of key `0`'s page saved.
    Edit(KeyId),
    /// A rotation begun on a key's page.
    Rotation,
    /// A step of a rotation: an integration marked, the rotation finished or given up.
    RotationStep,
    /// An incident opened from a key's page.
    IncidentOpened,
    /// Incident `0` closed.
    IncidentClosed(String),
    /// A provider account added or removed.
    Account,
    /// Key `key` revoked (in the revoke dialog); `replacement`: the New key screen opens
    /// next, filled in to replace it.
    Revoke { key: KeyId, replacement: bool },
    /// Key `0` checked at its provider.
    Verify(KeyId),
    /// Key `0`'s last use asked of its provider.
    Usage(KeyId),
    /// "Which key is this?" for a pasted string.
    Whois,
    /// The leak response of "Which key is this?" for key `0`: an incident opened, then its
    /// revoke asked in the revoke dialog.
    LeakResponse(KeyId),
    /// An account's management key tested at its provider ("Test connection").
    AccountTest { id: String, name: String },
    /// Key `0`'s secret shown on its page.
    Reveal(KeyId),
    /// The auto-lock and clipboard times (and a local vault's weekly check) saved.
    Settings,
    /// A browser allowed or stopped, the leak guard switched, or a page a browser proposed
    /// added to a key's integrations.
    Browsers,
}

/// What a change did.
pub enum Changed {
    /// A key made: its page opens.
    Made(Made),
    /// What to say.
    Said(String),
    /// Nothing to say: the screen shows it (a rotation's step on its page).
    Shown,
    /// A key revoked: what to say, and what to add (grace windows, a secret not deleted).
    Revoked(actions::RevokeDone),
    /// What the provider said of a key (recorded on it).
    Checked(crate::vault::model::VerifyOutcome),
    /// When the provider last saw a key used (recorded on it, shown on its page); a use it
    /// should not have had, said.
    Used(Option<String>),
    /// What "Which key is this?" found.
    Found(crate::vault::WhoisFound),
    /// A key's secret to show on its page (its reveal recorded).
    Revealed(SecretString),
}

/// A key just made, and what comes with it.
pub struct Made {
    pub key: KeyId,
    pub label: String,
    /// What to say (none: the secret shown once says it).
    pub said: Option<String>,
    /// Said as a warning first (a key that looks like another provider's).
    pub warning: Option<String>,
    /// The secret Keydesk made, shown once.
    pub secret: Option<SecretString>,
    /// Check the key at its provider next (asked on the New key screen).
    pub verify: bool,
}

/// A change's answer.
pub struct Answer {
    pub asked: Asked,
    pub result: Result<Changed, Failure>,
    /// A key the provider made that the vault could not keep, nor the provider delete again:
    /// shown once so it is not lost.
    pub not_kept: Option<SecretString>,
}

impl Answer {
    /// The answer to `asked`.
    pub fn of(asked: Asked, result: Result<Changed, Failure>) -> Self {
        Answer { asked, result, not_kept: None }
    }
}

/// What a change reads besides its command: the key the New key screen makes a replacement
/// for, and the version the key's page's form was filled from (a team entry's: a change made
/// since by another member is refused).
#[derive(Default)]
pub struct Asking {
    pub replaces: Option<KeyId>,
    pub version: Option<u64>,
}

/// A command that is one of the changes written here.
pub struct Change {
    asked: Asked,
    command: Command,
}

impl Change {
    /// `command` as a change, or handed back when it is not one.
    #[allow(clippy::result_large_err, reason = "the command handed back is the one taken, moved")]
    pub fn of(command: Command) -> Result<Change, Command> {
        match Asked::of(&command) {
            Some(asked) => Ok(Change { asked, command }),
            None => Err(command),
        }
    }

    /// Which change it is.
    pub fn asked(&self) -> &Asked {
        &self.asked
    }
}

impl Asked {
    /// The change `command` asks, when it is one written here.
    fn of(command: &Command) -> Option<Asked> {
        Some(match command {
            Command::Generate(_) | Command::Add { .. } => Asked::NewKey,
            Command::Edit { key, .. } => Asked::Edit(key.clone()),
            Command::Rotate { .. } => Asked::Rotation,
            Command::MarkRotation { .. }
            | Command::FinishRotation { .. }
            | Command::AbandonRotation { .. } => Asked::RotationStep,
            Command::OpenIncident { .. } => Asked::IncidentOpened,
            Command::CloseIncident { id, .. } => Asked::IncidentClosed(id.clone()),
            Command::AddAccount { .. } | Command::RemoveAccount(_) => Asked::Account,
            Command::Whois(_) => Asked::Whois,
            Command::Reveal(key) => Asked::Reveal(key.clone()),
            Command::SaveSettings(_) => Asked::Settings,
            Command::RespondToLeak { key, .. } => Asked::LeakResponse(key.clone()),
            _ => return None,
        })
    }

    /// This change failed before it could start (the store could not be opened).
    pub fn failed(self, failure: Failure) -> Answer {
        Answer::of(self, Err(failure))
    }
}

/// Applies `change` to `store`.
pub fn apply(store: &mut (impl Store + ?Sized), change: Change, asking: &Asking) -> Answer {
    let Change { asked, command } = change;
    let result = match command {
        Command::Generate(request) => generate(store, request, asking),
        Command::Add { request, secret, verify_after } => add(store, request, &secret, verify_after, asking),
        Command::Edit { key, edit } => {
            actions::changes::edit(store, &key, asking.version, &edit).map_err(Failure::from).and_then(|()| {
                let label = store.key_record(&key).map_err(Failure::from)?.label;
                Ok(Changed::Said(format!("Saved \"{label}\".")))
            })
        }
        Command::Rotate { key, pasted } => rotate(store, &key, pasted),
        Command::MarkRotation { old, integration, step } => {
            actions::changes::mark_rotation(store, &old, &integration, step)
                .map(|_progress| Changed::Shown)
                .map_err(Failure::from)
        }
        Command::FinishRotation { old, reason } => {
            actions::changes::close_rotation(store, &old, reason.as_deref())
                .map(|()| Changed::Said("Rotation finished.".to_owned()))
                .map_err(Failure::from)
        }
        Command::AbandonRotation { old, reason } => abandon(store, &old, &reason).map(Changed::Said),
        Command::OpenIncident { key, report } => store
            .open_incident(&key, &report)
            .map(|id| {
                Changed::Said(format!(
                    "Incident {id} opened. Revoke the key, then replace it: each step joins the incident."
                ))
            })
            .map_err(Failure::from),
        Command::CloseIncident { id, summary } => store
            .close_incident(&id, &summary)
            .map(|()| Changed::Said(format!("Incident {id} closed.")))
            .map_err(Failure::from),
        Command::AddAccount { request, management_key } => {
            store.add_account(request, management_key.as_ref()).map_err(Failure::from).map(|account| {
                let place = store.shared_place().map(|p| format!(" to {p}")).unwrap_or_default();
                Changed::Said(format!(
                    "Added the {} account \"{}\"{place}.",
                    account.provider.name(),
                    account.name
                ))
            })
        }
        Command::RemoveAccount(id) => store.remove_account(&id).map_err(Failure::from).map(|account| {
            let place = store.shared_place().map(|p| format!(" from {p}")).unwrap_or_default();
            Changed::Said(format!("Removed the account \"{}\"{place}.", account.name))
        }),
        Command::Whois(candidate) => {
            use secrecy::ExposeSecret;
            store.whois(candidate.expose_secret()).map(Changed::Found).map_err(Failure::from)
        }
        Command::Reveal(key) => store.reveal(&key).map(Changed::Revealed).map_err(Failure::from),
        Command::SaveSettings(settings) => store
            .update_settings(settings)
            .map(|()| Changed::Said("Settings saved.".to_owned()))
            .map_err(Failure::from),
        Command::RespondToLeak { key, report } => store
            .open_incident(&key, &report)
            // The key's revoke dialog opens next (`Screens::take`).
            .map(|id| {
                Changed::Said(format!(
                    "Incident {id} opened. Revoke the key now, then replace it: each step joins the incident."
                ))
            })
            .map_err(Failure::from),
        // `Change::of` takes no other command.
        _ => Err(Failure::said("This is not a change Keydesk makes to a vault.")),
    };
    Answer::of(asked, result)
}

/// Keeps a key its provider just made (`called`): shown once with its page opened, as a key
/// generated here, and linked as the replacement the New key screen made it for. One the
/// vault cannot keep is deleted at the provider again, or, failing that, shown once so it is
/// not lost.
pub fn created(
    store: &mut (impl Store + ?Sized),
    called: actions::CreateCalled,
    client: &crate::providers::http::Client,
    asking: &Asking,
) -> Answer {
    let created = match actions::finish_create(store, called, client) {
        Ok(created) => created,
        Err((error, not_kept)) => {
            return Answer { asked: Asked::NewKey, result: Err(Failure::from(error)), not_kept };
        }
    };
    let label = store.key_record(&created.key_id).map(|k| k.label).unwrap_or_default();
    let place = store.shared_place().map(|p| format!(" and kept it in {p}")).unwrap_or_default();
    let made = format!("Created \"{label}\" at {}{place}.", created.provider.name());
    let result = linked(store, asking, &created.key_id).map(|linked| {
        let said = linked.map_or_else(|| made.clone(), |linked| format!("{made} {linked}"));
        Changed::Made(Made {
            key: created.key_id,
            label,
            said: Some(said),
            warning: created.warning,
            secret: Some(created.secret),
            verify: false,
        })
    });
    Answer::of(Asked::NewKey, result)
}

/// A revoke asked in the revoke dialog, planned: what is recorded once the provider answered
/// (called off the window's thread when it is called at all).
pub struct Revoking {
    pub reason: String,
    /// The incident opened first (where the key leaked, when the user said).
    pub opened: Option<String>,
    /// The rotation given up once this key, its replacement, is revoked: the old key and why.
    pub abandons: Option<(KeyId, String)>,
}

/// Plans revoking `key` as the revoke dialog asked (`leak`: where it leaked: an incident is
/// opened first, and the revoke joins its timeline); `abandoning`: the rotation the screens
/// give up once its replacement is revoked.
pub fn plan_revoke(
    store: &mut (impl Store + ?Sized),
    key: &KeyId,
    (reason, options): (String, actions::RevokeOptions),
    leak: Option<&crate::vault::incidents::IncidentReport>,
    abandoning: Option<&(KeyId, KeyId, String)>,
) -> Result<(actions::RevokePlan, Revoking), Failure> {
    let (plan, opened) =
        actions::plan_revoke_of_leak(store, key, &reason, options, leak).map_err(Failure::from)?;
    let abandons =
        abandoning.filter(|(new, _, _)| new == key).map(|(_, old, why)| (old.clone(), why.clone()));
    Ok((plan, Revoking { reason, opened, abandons }))
}

/// Records a revoke the provider answered (`called`, planned as `revoking` says); then the
/// rotation it gives up, when it does.
pub fn revoked(
    store: &mut (impl Store + ?Sized),
    called: actions::RevokeCalled,
    revoking: Revoking,
    replacement: bool,
) -> Answer {
    let Revoking { reason, opened, abandons } = revoking;
    let asked = Asked::Revoke { key: called.key_id().clone(), replacement };
    let mut done = match actions::finish_revoke(store, called, &reason) {
        Ok(done) => done,
        Err(error) => return asked.failed(Failure::from(error)),
    };
    if let Some(id) = opened {
        done.message = format!("Opened incident {id}. {}", done.message);
    }
    if let Some((old, why)) = abandons {
        match abandon(store, &old, &why) {
            Ok(said) => done.message = format!("{} {said}", done.message),
            // The key is revoked all the same: said as a note, not as the revoke's failure.
            Err(failure) => done.notes.push(format!("The rotation could not be given up: {failure}")),
        }
    }
    Answer::of(asked, Ok(Changed::Revoked(done)))
}

/// Records what a key's provider said when asked whether it takes the key (`called`).
pub fn verified(store: &mut (impl Store + ?Sized), called: actions::VerifyCalled) -> Answer {
    let asked = Asked::Verify(called.key_id.clone());
    Answer::of(asked, actions::finish_verify(store, called).map(Changed::Checked).map_err(Failure::from))
}

/// Records when a key's provider last saw it used (`called`); a use after the key was revoked
/// or replaced everywhere is said.
pub fn used(store: &mut (impl Store + ?Sized), called: actions::UsageCalled) -> Answer {
    let key = called.key_id.clone();
    let found = actions::finish_usage(store, called).map_err(Failure::from);
    let result = found.map(|found| {
        let provider = store.key_record(&key).map(|k| k.provider).ok();
        let unexpected = found.unexpected.zip(provider);
        Changed::Used(unexpected.map(|(flag, provider)| actions::unexpected_sentence(provider, &flag)))
    });
    Answer::of(Asked::Usage(key), result)
}

/// What "Test connection" found of account `id`'s management key (`name`: the account's): the
/// provider's words, with what the key may do kept for the health report where the provider
/// listed it.
pub fn tested(
    store: &mut (impl Store + ?Sized),
    (id, name): (String, String),
    tested: Result<crate::providers::manage::Tested, actions::ActionError>,
) -> Answer {
    let result = tested.map_err(Failure::from).and_then(|tested| {
        if let Some(scopes) = tested.scopes {
            store.note_management_scopes(&id, scopes).map_err(|error| {
                Failure::said(format!(
                    "{} The test's answer could not be recorded: {}",
                    tested.words,
                    Failure::from(error)
                ))
            })?;
        }
        Ok(Changed::Said(tested.words))
    });
    Answer::of(Asked::AccountTest { id, name }, result)
}

/// Ends the rotation of `old` once its replacement is revoked: the old key is active again.
/// Answers what to say of it.
fn abandon(store: &mut (impl Store + ?Sized), old: &KeyId, reason: &str) -> Result<String, Failure> {
    actions::changes::abandon_rotation(store, old, reason).map_err(Failure::from)?;
    let label = store.key_record(old).map(|k| k.label).unwrap_or_default();
    Ok(format!("Rotation of \"{label}\" abandoned: the new key is revoked, the old one is active again."))
}

/// Makes a Keydesk key: its secret is shown once.
fn generate(
    store: &mut (impl Store + ?Sized),
    request: crate::vault::GenerateRequest,
    asking: &Asking,
) -> Result<Changed, Failure> {
    let (key, secret) = store.generate_key(request).map_err(Failure::from)?;
    let label = store.key_record(&key).map_err(Failure::from)?.label;
    let said = linked(store, asking, &key)?;
    Ok(Changed::Made(Made { key, label, said, warning: None, secret: Some(secret), verify: false }))
}

/// Keeps a pasted key; when asked and its provider can, it is checked next.
fn add(
    store: &mut (impl Store + ?Sized),
    request: crate::vault::AddRequest,
    secret: &SecretString,
    verify_after: bool,
    asking: &Asking,
) -> Result<Changed, Failure> {
    let (key, detection) = store.add_key(request, secret).map_err(Failure::from)?;
    let label = store.key_record(&key).map_err(Failure::from)?.label;
    let place = store.shared_place().map(|p| format!(" to {p}")).unwrap_or_default();
    let added = format!("Added \"{label}\" ({}){place}.", detection.provider.name());
    let said = match linked(store, asking, &key)? {
        Some(linked) => format!("{added} {linked}"),
        None => added,
    };
    let verify = verify_after && detection.provider.info().verify.is_some();
    Ok(Changed::Made(Made { key, label, said: Some(said), warning: detection.warning, secret: None, verify }))
}

/// Starts replacing key `id`: the new key's page opens (its secret shown once when Keydesk
/// generated it).
fn rotate(
    store: &mut (impl Store + ?Sized),
    id: &KeyId,
    pasted: Option<SecretString>,
) -> Result<Changed, Failure> {
    let replacement = pasted.map_or(Replacement::Generate, Replacement::Pasted);
    let generated = matches!(replacement, Replacement::Generate);
    let live = store.key_record(id).map_err(Failure::from)?.is_live();
    let (key, secret) = store.begin_rotation(id, replacement).map_err(Failure::from)?;
    let label = store.key_record(&key).map_err(Failure::from)?.label;
    let old = if live { "is retiring until they move" } else { "stays revoked" };
    let said = format!("\"{label}\" rotated: move its integrations to it; the old key {old}.");
    let secret = generated.then_some(secret);
    Ok(Changed::Made(Made { key, label, said: Some(said), warning: None, secret, verify: false }))
}

/// A key just made on the New key screen linked as the replacement of the key it replaces,
/// when it does: what to say of it; a link that fails is a failure (the new key is kept).
fn linked(
    store: &mut (impl Store + ?Sized),
    asking: &Asking,
    new: &KeyId,
) -> Result<Option<String>, Failure> {
    let Some(old) = &asking.replaces else { return Ok(None) };
    let label = store.key_record(old).map(|k| k.label).unwrap_or_default();
    match store.link_replacement(old, new) {
        Ok(()) => Ok(Some(format!(
            "It replaces \"{label}\": move each of its integrations to it, on either key's page."
        ))),
        Err(error) => Err(Failure::said(format!(
            "The new key is kept, but not linked to \"{label}\": {}",
            Failure::from(error)
        ))),
    }
}

/// What the session does next, once the screens took a change's answer in.
#[derive(Default)]
pub struct Taken {
    /// A secret to show once.
    pub shown_once: Option<ShownOnce>,
    /// A key to check at its provider.
    pub verify: Option<KeyId>,
    /// A secret to show on its key's page for a while.
    pub revealed: Option<Revealed>,
}

impl Screens {
    /// Takes a change's answer in, on either kind of vault: a key made opens its page; what
    /// failed is said where it was asked (the form's error line), else in a toast. `book`:
    /// the keys as they are after the change.
    pub fn take(
        &mut self,
        answer: Answer,
        book: &dyn KeyBook,
        toasts: &mut Toasts,
        now: DateTime<Utc>,
    ) -> Taken {
        let Answer { asked, result, not_kept } = answer;
        let said = match result {
            Ok(Changed::Made(made)) => {
                if matches!(asked, Asked::NewKey) {
                    self.new_key = NewKeyState::default();
                }
                return self.made(made, book, toasts, now);
            }
            Ok(Changed::Said(said)) => Some(said),
            Ok(Changed::Shown) => None,
            Ok(Changed::Revoked(done)) => {
                self.revoked(&asked, done, book, toasts, now);
                return Taken::default();
            }
            Ok(Changed::Checked(outcome)) => {
                match outcome {
                    outcome if outcome.works() => toasts.info(outcome.sentence(), now),
                    outcome if outcome.refused() => toasts.error(outcome.sentence(), now),
                    outcome => toasts.warn(outcome.sentence(), now),
                }
                return Taken::default();
            }
            Ok(Changed::Revealed(secret)) => {
                let Asked::Reveal(key_id) = asked else { return Taken::default() };
                let until = now + chrono::Duration::seconds(REVEAL_SECS);
                let revealed = Some(Revealed { key_id, secret, until, galley: None });
                return Taken { revealed, ..Taken::default() };
            }
            Ok(Changed::Found(found)) => {
                self.whois.answer = Some(crate::ui::state::WhoisAnswer {
                    keys: found.keys.into_iter().map(|record| record.id).collect(),
                    looked_at: found.looked_at,
                    cut_short: found.cut_short,
                });
                return Taken::default();
            }
            Ok(Changed::Used(unexpected)) => {
                // The answer stays on the key's page, recorded on the key.
                if matches!(&asked, Asked::Usage(key) if self.page() == Some(key)) {
                    self.detail.usage_error = None;
                }
                if let Some(unexpected) = unexpected {
                    toasts.error(unexpected, now);
                }
                return Taken::default();
            }
            Err(failure) => {
                if let Asked::AccountTest { id, name } = asked {
                    toasts.error(format!("{name}: {failure}"), now);
                    self.accounts.tested.insert(id, (Err(failure), now));
                    return Taken::default();
                }
                self.refused(&asked, &failure, toasts, now);
                let label = "Not kept: save it elsewhere".to_owned();
                let shown_once =
                    not_kept.map(|secret| ShownOnce { label, key_id: None, secret, galley: None });
                return Taken { shown_once, ..Taken::default() };
            }
        };
        match asked {
            // The key's revoke is asked next, in its dialog.
            Asked::LeakResponse(key) => {
                self.whois = crate::ui::state::WhoisState::default();
                toasts.info(said.unwrap_or_default(), now);
                let _asked_nothing_more = self.navigate(Command::StartRevoke(key), book);
                return Taken::default();
            }
            // The last result stays on the account's row, not only in a toast.
            Asked::AccountTest { id, name } => {
                if let Some(words) = said {
                    toasts.info(format!("{name}: {words}"), now);
                    self.accounts.tested.insert(id, (Ok(words), now));
                }
                return Taken::default();
            }
            Asked::Edit(key) => {
                if self.page() == Some(&key) {
                    self.detail = DetailState::for_record(book.key(&key));
                }
            }
            Asked::RotationStep => {
                self.detail.error = None;
                self.detail.abandon_reason.clear();
            }
            Asked::IncidentOpened => self.detail.incident = IncidentForm::default(),
            Asked::IncidentClosed(id) => {
                let form = self.incident_form(&id);
                form.summary.clear();
                form.error = None;
            }
            Asked::Settings => self.settings.error = None,
            Asked::Account => {
                let tested = std::mem::take(&mut self.accounts.tested);
                self.accounts = AccountsState { tested, ..AccountsState::default() };
            }
            Asked::NewKey
            | Asked::Rotation
            | Asked::Revoke { .. }
            | Asked::Verify(_)
            | Asked::Usage(_)
            | Asked::Whois
            | Asked::Reveal(_)
            | Asked::Browsers => {}
        }
        if let Some(said) = said {
            toasts.info(said, now);
        }
        Taken::default()
    }

    /// A key made: said, its page opened, its secret shown once when Keydesk made it.
    fn made(&mut self, made: Made, book: &dyn KeyBook, toasts: &mut Toasts, now: DateTime<Utc>) -> Taken {
        let Made { key, label, said, warning, secret, verify } = made;
        if let Some(warning) = warning {
            toasts.warn(warning, now);
        }
        if let Some(said) = said {
            toasts.info(said, now);
        }
        self.open_key(&key, book);
        let shown_once =
            secret.map(|secret| ShownOnce { label, key_id: Some(key.clone()), secret, galley: None });
        Taken { shown_once, verify: verify.then_some(key), revealed: None }
    }

    /// A key revoked: said, its dialog closed, and the walk-through goes on to its
    /// replacement when asked (the New key screen, filled in to make it).
    fn revoked(
        &mut self,
        asked: &Asked,
        done: actions::RevokeDone,
        book: &dyn KeyBook,
        toasts: &mut Toasts,
        now: DateTime<Utc>,
    ) {
        let Asked::Revoke { key, replacement } = asked else { return };
        for note in done.notes {
            toasts.warn(note, now);
        }
        toasts.info(done.message, now);
        if self.revoke.as_ref().is_some_and(|dialog| dialog.key_id == *key) {
            self.revoke = None;
        }
        if self.abandoning.as_ref().is_some_and(|(new, _, _)| new == key) {
            self.abandoning = None;
            self.detail.abandon_reason.clear();
        }
        if *replacement && let Some(old) = book.key(key) {
            self.new_key = NewKeyState::replacing(old);
            self.screen = Screen::New;
        }
    }

    /// A change that failed, said where it was asked.
    fn refused(&mut self, asked: &Asked, failure: &Failure, toasts: &mut Toasts, now: DateTime<Utc>) {
        let why = Some(failure.to_string());
        match asked {
            Asked::NewKey => self.new_key.error = why,
            Asked::Edit(_) | Asked::Rotation => self.detail.error = why,
            Asked::RotationStep if self.page().is_some() => self.detail.error = why,
            Asked::IncidentOpened => self.detail.incident.error = why,
            Asked::IncidentClosed(id) => self.incident_form(id).error = why,
            Asked::Account => self.accounts.error = why,
            Asked::Settings => self.settings.error = why,
            Asked::Browsers => toasts.error(failure.to_string(), now),
            Asked::Revoke { key, .. } => match &mut self.revoke {
                Some(dialog) if dialog.key_id == *key => dialog.error = why,
                _ => toasts.error(failure.to_string(), now),
            },
            Asked::Usage(key) if self.page() == Some(key) => self.detail.usage_error = why,
            Asked::LeakResponse(_) => self.whois.error = why,
            Asked::RotationStep
            | Asked::Verify(_)
            | Asked::Usage(_)
            | Asked::Whois
            | Asked::AccountTest { .. }
            | Asked::Reveal(_) => {
                toasts.error(failure.to_string(), now);
            }
        }
    }

    /// Writes incident `id`'s Markdown report to `path` (the incident and its key as `book`
    /// has them, a team vault's as last read): said, or why not under the incident.
    pub fn export_incident(
        &mut self,
        (id, path): (&str, &std::path::Path),
        book: &dyn KeyBook,
        toasts: &mut Toasts,
        now: DateTime<Utc>,
    ) {
        let path = crate::storage::expand_home(path);
        let written = book.incidents().iter().find(|i| i.id == id).map(|incident| {
            // The report names the key and its replacement.
            let key = book.key(&incident.key);
            let replacement = key.and_then(|k| k.replaced_by.as_ref()).and_then(|id| book.key(id));
            let keys: Vec<_> = key.into_iter().chain(replacement).cloned().collect();
            actions::transfer::write_incident_report(&keys, incident, &path)
        });
        let form = self.incident_form(id);
        match written {
            Some(Ok(said)) => {
                form.error = None;
                toasts.info(said, now);
            }
            Some(Err(error)) => form.error = Some(error.to_string()),
            None => form.error = Some(format!("There is no incident {id}.")),
        }
    }

    /// The key the New key screen makes a replacement for, if it is shown and does.
    pub fn replaces(&self) -> Option<KeyId> {
        self.new_key.replaces.clone().filter(|_| self.screen == Screen::New)
    }

    /// The form an incident's answer goes to: its own on the Incidents screen, else the key
    /// page's.
    pub fn incident_form(&mut self, id: &str) -> &mut IncidentForm {
        match self.screen {
            Screen::Incidents => self.incidents.forms.entry(id.to_owned()).or_default(),
            _ => &mut self.detail.incident,
        }
    }
}

/// What a copy needs of the window: the clipboard, the copy waiting to be cleared from it,
/// the toasts.
pub struct Copying<'a> {
    pub clipboard: &'a mut dyn crate::clipboard::Clipboard,
    pub pending: &'a mut Option<PendingClear>,
    pub toasts: &'a mut Toasts,
    pub now: DateTime<Utc>,
}

impl Copying<'_> {
    /// Puts the secret of the key labelled `label` on the clipboard, to be cleared after
    /// `secs`; answers whether it took it.
    pub fn put(
        &mut self,
        label: &str,
        secret: &SecretString,
        secs: u32,
    ) -> Result<(), crate::clipboard::ClipboardError> {
        use secrecy::ExposeSecret;
        let taken = self.clipboard.set_secret(secret.expose_secret());
        if taken.is_ok() {
            *self.pending = Some(PendingClear {
                label: label.to_owned(),
                fingerprint: crate::clipboard::fingerprint(secret.expose_secret()),
                clear_at: self.now + chrono::Duration::seconds(i64::from(secs)),
            });
        }
        taken
    }

    /// What a copy came to, on either kind of vault: the clipboard took the secret (`taken`)
    /// and the copy was recorded (`recorded`), or why not; the clipboard's refusal is said
    /// first.
    pub fn came_to(
        taken: Result<(), crate::clipboard::ClipboardError>,
        recorded: Result<(), Failure>,
    ) -> Result<(), Failure> {
        taken.map_err(Failure::from)?;
        recorded.map_err(|why| Failure::said(format!("the audit log could not record it ({why})")))
    }

    /// A copy's end, on either kind of vault: the clipboard took the secret and the copy was
    /// recorded (`ended`), or why not. A copy that could not be recorded is taken back off
    /// the clipboard: no record, no copy.
    pub fn ended(self, label: &str, secs: u32, ended: Result<(), Failure>) {
        match ended {
            Ok(()) => self.toasts.info(format!("Copied {label} — clears in {secs} s"), self.now),
            Err(error) => {
                if self.pending.as_ref().is_some_and(|c| c.label == label) {
                    let _nothing_to_clear = self.clipboard.clear();
                    *self.pending = None;
                }
                self.toasts.error(format!("{label} was not copied: {error}"), self.now);
            }
        }
    }
}
