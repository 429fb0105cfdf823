//! A team key's page: the local vault's key page ([`detail_ui`]) over this computer's copy of
//! the team's keys, with what it asks carried to the team vault. The page has the incidents
//! and the trail (the key's history and activity) read when it opens and whenever the keys
//! change.

use chrono::{DateTime, Utc};

use super::detail::{KeyBook, detail_ui};
use super::meta_form::MetaForm;
use super::session::{Command, Confirmation, Revealed};
use super::state::{DetailState, Screen};
use super::team::{BUSY, TeamCommand, TeamScreenState, TeamView, why_read_only};
use crate::vault::model::{Account, Incident, KeyId, KeyRecord};

/// Why nothing can be copied, revealed or checked while the server does not answer.
const SERVER_FIRST: &str = "The team vault's server must answer: each copy and reveal is recorded there.";

impl KeyBook for TeamView<'_> {
    fn count(&self) -> usize {
        self.keys.len()
    }
    fn at(&self, at: usize) -> Option<&KeyRecord> {
        self.keys.get(at).map(|k| &k.record)
    }
    fn version(&self) -> u64 {
        self.generation
    }
    fn key(&self, id: &KeyId) -> Option<&KeyRecord> {
        self.keys.iter().find(|k| k.record.id == *id).map(|k| &k.record)
    }
    fn accounts(&self) -> &[Account] {
        self.accounts.unwrap_or_default()
    }
    fn incidents(&self) -> &[Incident] {
        self.incidents.unwrap_or_default()
    }
    fn changed_by(&self, id: &KeyId) -> Option<&str> {
        self.keys.iter().find(|k| k.record.id == *id).map(|k| k.changed_by.as_str())
    }
    fn why_not_change(&self) -> Option<&str> {
        why_read_only(self).or(self.busy.then_some(BUSY))
    }
    fn why_not_read(&self) -> Option<&str> {
        if !self.keys_open || self.problem.is_some() { Some(SERVER_FIRST) } else { self.busy.then_some(BUSY) }
    }
    /// Every key's answer is recorded on the server: not while the vault is read-only.
    fn checks_all(&self) -> bool {
        self.why_not_change().is_none()
    }
    fn shared(&self) -> bool {
        true
    }
}

/// What a screen shows that the copy does not hold, asked of the server one at a time: the
/// accounts, the incidents, the trail (each again when the keys change).
#[derive(Default)]
pub struct Reads {
    /// The list's generation when the incidents, then the trail, were last asked for.
    incidents_read_at: Option<u64>,
    trail_read_at: Option<u64>,
    accounts_asked: bool,
}

impl Reads {
    /// The next read to ask for (`accounts`: whether the screen shows the accounts), when no
    /// other command is asked this frame and the server answers.
    pub(super) fn next(&mut self, view: &TeamView<'_>, accounts: bool, command: &mut Option<TeamCommand>) {
        if command.is_some() || !view.keys_open || view.problem.is_some() {
            return;
        }
        if accounts && view.accounts.is_none() && !self.accounts_asked {
            self.accounts_asked = true;
            *command = Some(TeamCommand::LoadAccounts);
        } else if self.incidents_read_at != Some(view.generation) {
            self.incidents_read_at = Some(view.generation);
            *command = Some(TeamCommand::LoadIncidents);
        } else if self.trail_read_at != Some(view.generation) {
            self.trail_read_at = Some(view.generation);
            *command = Some(TeamCommand::LoadAudit);
        }
    }
}

/// Opens `record`'s page in place of the list (in Edit when `editing`); the page already open
/// on it keeps what is typed there.
pub(super) fn open(state: &mut TeamScreenState, record: &KeyRecord, editing: bool) {
    if state.page() != Some(&record.id) {
        state.detail = DetailState::for_record(Some(record));
        state.edit_version = None;
        drop(super::team::show(state, Screen::Detail(record.id.clone())));
    }
    state.detail.editing |= editing;
}

/// The question on screen (Rotate, Discard changes, Remove account), the local vault's
/// dialog: what a yes asks is carried to the team vault.
pub(super) fn answered(
    ctx: &egui::Context,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
) -> Option<TeamCommand> {
    let yes = super::widgets::confirm_ui(ctx, state.confirm.as_ref()?)?;
    let confirm = state.confirm.take()?;
    if !yes {
        return None;
    }
    if let (true, Some(id)) = (confirm.discards_edits, state.page()) {
        state.detail = DetailState::for_record(view.key(id));
    }
    carried(confirm.then, view, state)
}

/// The page of the key `id`, with the accounts (when it names one), the incidents and the
/// trail read as it opens.
pub(super) fn page_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    id: &KeyId,
    revealed: Option<&mut Revealed>,
    now: DateTime<Utc>,
    command: &mut Option<TeamCommand>,
) {
    let names_account = view.key(id).is_some_and(|record| record.account.is_some());
    state.reads.next(view, names_account, command);
    state.detail.follow_log(id, view.audit, now);
    let version = view.keys.iter().find(|k| k.record.id == *id).map(|k| k.version);
    state.edit_version = if state.detail.editing { state.edit_version.or(version) } else { None };
    let revealed = revealed.filter(|shown| shown.key_id == *id);
    if let Some(asked) = detail_ui(ui, view, id, &mut state.detail, revealed, now)
        && let Some(asked) = carried(asked, view, state)
    {
        *command = Some(asked);
    }
}

/// The Health screen over the team's copy (its accounts, incidents and trail read as it
/// opens); what it asks is carried to the team vault as the key page's is.
pub(super) fn health_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    now: DateTime<Utc>,
    command: &mut Option<TeamCommand>,
) {
    state.reads.next(view, true, command);
    if ui.button("Back to keys").clicked() {
        state.screen = Screen::Keys;
        return;
    }
    let asked = super::health::health_ui(ui, (view, view.audit, None), &mut state.health, now);
    if let Some(asked) = asked
        && let Some(asked) = carried(asked, view, state)
    {
        *command = Some(asked);
    }
}

/// Has the incidents read again (one was opened or closed from the page).
pub(super) fn read_incidents_again(state: &mut TeamScreenState) {
    state.reads.incidents_read_at = None;
    state.reads.trail_read_at = None;
}

/// Back to the list from the key's page, asking first when its edits are not saved.
pub(super) fn leave(state: &mut TeamScreenState, view: &TeamView<'_>) {
    if state.page().is_some()
        && let Some(asked) = carried(Command::Show(Screen::Keys), view, state)
    {
        drop(asked);
    }
}

/// The label of the open page's key when its edits are not saved.
fn unsaved(view: &TeamView<'_>, state: &TeamScreenState) -> Option<String> {
    let record = view.key(state.page()?)?;
    (state.detail.form != MetaForm::from_record(record)).then(|| record.label.clone())
}

/// What the key list or a key's page asked, carried to the team vault: most as the same
/// verb; a revoke, and the revoke that ends a rotation, through the team's revoke form (it
/// asks whether the key was revoked on the provider's page); opening a key, the New key
/// screen, a question and leaving the page here.
pub(super) fn carried(
    asked: Command,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
) -> Option<TeamCommand> {
    let record = |id: &KeyId| view.key(id);
    // Leaving a key page with edits not saved asks first, as on a local vault.
    let leaving = matches!(&asked, Command::Show(_) | Command::NewKey(_) | Command::ReplaceAtProvider(_))
        || matches!(&asked, Command::OpenKey(id) if state.page() != Some(id));
    if leaving && let Some(label) = unsaved(view, state) {
        state.confirm = Some(Confirmation::discarding(&label, asked));
        return None;
    }
    match asked {
        Command::OpenKey(key) => {
            if let Some(found) = record(&key) {
                open(state, found, false);
            }
            None
        }
        // The New key screen, filled in to make a replacement at the provider (linked to the
        // old key once made), as on a local vault.
        Command::ReplaceAtProvider(key) => {
            let mut asked = None;
            let old = record(&key)?;
            super::team::start_adding(state, view, super::state::NewMode::default(), &mut asked);
            state.new_key = super::state::NewKeyState::replacing(old);
            asked
        }
        Command::NewKey(mode) => {
            let mut asked = None;
            super::team::start_adding(state, view, mode, &mut asked);
            asked
        }
        Command::Show(screen) => super::team::show(state, screen),
        Command::Confirm(confirm) => {
            state.confirm = Some(*confirm);
            None
        }
        Command::StartRevoke(key) => open_revoke(state, view, record(&key)?, |_| {}),
        // From "Which key is this?": the dialog with where it leaked filled in.
        Command::RespondToLeak { key, report } => open_revoke(state, view, record(&key)?, |dialog| {
            dialog.found_where = report.found_where;
            dialog.noticed_by = report.noticed_by;
        }),
        Command::FinishRotation { old, reason } => finish_rotation(state, view, old, reason),
        Command::AbandonRotation { old, reason } => abandon_rotation(state, view, old, reason),
        Command::Revoke { key, reason, options, replacement, leak } => {
            if let Some(why) = why_read_only(view).or(view.busy.then_some(BUSY)) {
                state.revoke.as_mut()?.error = Some(why.to_owned());
                return None;
            }
            Some(TeamCommand::Verb(Command::Revoke { key, reason, options, replacement, leak }))
        }
        Command::CloseRevoke => {
            state.revoke = None;
            state.abandoning = None;
            None
        }
        Command::CloseIncident { id, summary } => {
            let summary = summary.trim();
            if summary.is_empty() {
                state.detail.incident.error = Some(
                    "The summary is empty: say what happened and what was done, in a sentence or two."
                        .to_owned(),
                );
                return None;
            }
            Some(TeamCommand::Verb(Command::CloseIncident { id, summary: summary.to_owned() }))
        }
        Command::ChooseFile(report) => {
            // The chooser's answer goes to this page's report field.
            state.incidents.choosing = None;
            Some(TeamCommand::Verb(Command::ChooseFile(report)))
        }
        Command::DismissShownOnce | Command::Answer(_) => None,
        // The rest is a change or a question for the team vault itself.
        command => Some(TeamCommand::Verb(command)),
    }
}

/// Opens the revoke dialog (the local vault's) for `record`, as `prepare` fills it in. Its
/// route comes from the key's account as last read: the accounts are read first when they were
/// not (the route is set again when they arrive).
fn open_revoke(
    state: &mut TeamScreenState,
    view: &TeamView<'_>,
    record: &KeyRecord,
    prepare: impl FnOnce(&mut super::state::RevokeState),
) -> Option<TeamCommand> {
    let mut dialog = super::state::RevokeState::new(record, revoke_route(view.accounts, record));
    prepare(&mut dialog);
    state.revoke = Some(dialog);
    view.accounts.is_none().then_some(TeamCommand::LoadAccounts)
}

/// How `record` is revoked, given the team's accounts as read (`None`: not read yet).
pub(crate) fn revoke_route(accounts: Option<&[Account]>, record: &KeyRecord) -> crate::actions::RevokeRoute {
    let account = record.account.as_deref().and_then(|id| accounts?.iter().find(|a| a.id == id));
    crate::actions::revoke_route_of(record, account)
}

/// "Finish rotation": the old key's revoke is asked in the dialog (its revoke closes the
/// rotation), or, revoked first (a leak), only the rotation is closed.
fn finish_rotation(
    state: &mut TeamScreenState,
    view: &TeamView<'_>,
    old: KeyId,
    reason: Option<String>,
) -> Option<TeamCommand> {
    let ended = super::revoke::finishing(view, &old, reason.as_deref());
    end_rotation(state, view, ended, Command::FinishRotation { old, reason }, None)
}

/// "Abandon rotation": the replacement's revoke is asked in the dialog (the rotation is given
/// up once it lands), or, revoked already, only the rotation is ended.
fn abandon_rotation(
    state: &mut TeamScreenState,
    view: &TeamView<'_>,
    old: KeyId,
    reason: String,
) -> Option<TeamCommand> {
    let ended = super::revoke::abandoning(view, &old, &reason);
    let abandoning = (old.clone(), reason.clone());
    end_rotation(state, view, ended, Command::AbandonRotation { old, reason }, Some(abandoning))
}

/// A rotation's end as decided: `record` (the command that records it alone), or the revoke
/// dialog (with the rotation to give up once it lands, when `abandoning`); why not on the
/// key's page.
fn end_rotation(
    state: &mut TeamScreenState,
    view: &TeamView<'_>,
    ended: Result<super::revoke::RotationEnd<'_>, super::Failure>,
    record: Command,
    abandoning: Option<(KeyId, String)>,
) -> Option<TeamCommand> {
    match ended {
        Ok(super::revoke::RotationEnd::Record) => Some(TeamCommand::Verb(record)),
        Ok(super::revoke::RotationEnd::Revoke(key, why)) => {
            state.abandoning = abandoning.map(|(old, reason)| (key.id.clone(), old, reason));
            open_revoke(state, view, key, |dialog| {
                *dialog = super::state::RevokeState::ending_rotation(key, dialog.route.clone(), why);
            })
        }
        Err(failure) => {
            state.detail.error = Some(failure.to_string());
            None
        }
    }
}
