//! A team key's page: the local vault's key page ([`detail_ui`]) over this computer's copy of
//! the team's keys (the [`KeyBook`] of a team vault). The page has the incidents and the trail
//! (the key's history and activity) read when it opens and whenever the keys change; each
//! screen has what it shows read from the server as it opens ([`opened`]).

use chrono::{DateTime, Utc};

use super::detail::KeyBook;
use super::state::Screen;
use super::team::{BUSY, TeamCommand, TeamScreenState, TeamView};
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
        self.why_waits()
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

/// What the page of the key `id` needs before it draws: the accounts (when it names one), the
/// incidents and the trail read as it opens, the history counted, the entry's version kept
/// while it is edited.
pub(super) fn page_read(
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    screens: &mut super::screens::Screens,
    id: &KeyId,
    now: DateTime<Utc>,
    command: &mut Option<TeamCommand>,
) {
    let names_account = view.key(id).is_some_and(|record| record.account.is_some());
    state.reads.next(view, names_account, command);
    screens.detail.follow_log(id, view.audit, now);
    let version = view.keys.iter().find(|k| k.record.id == *id).map(|k| k.version);
    state.edit_version = if screens.detail.editing { state.edit_version.or(version) } else { None };
}

/// Has the incidents read again (one was opened or closed from the page).
pub(super) fn read_incidents_again(state: &mut TeamScreenState) {
    state.reads.incidents_read_at = None;
    state.reads.trail_read_at = None;
}

/// What the screen or dialog just opened needs read from the server (`before`: the screen
/// shown until then; `revoking`: whether the revoke dialog was open): the accounts for the
/// revoke dialog's route, the Accounts screen and New key's account list; the trail; the
/// incidents; the members. A key's page and Health ask for theirs as they draw.
pub(crate) fn opened(
    (state, screens): (&mut TeamScreenState, &super::screens::Screens),
    accounts_read: bool,
    (before, revoking): (&Screen, bool),
) -> Option<TeamCommand> {
    let unread = !accounts_read;
    if screens.revoke.is_some() && !revoking && unread {
        return Some(TeamCommand::LoadAccounts);
    }
    let screen = &screens.screen;
    if screen == before {
        return None;
    }
    if matches!(screen, Screen::Detail(_) | Screen::Health) {
        state.reads = Reads::default();
    }
    match screen {
        Screen::Accounts => Some(TeamCommand::LoadAccounts),
        Screen::New => unread.then_some(TeamCommand::LoadAccounts),
        Screen::Audit => Some(TeamCommand::LoadAudit),
        Screen::Whois | Screen::Incidents => Some(TeamCommand::LoadIncidents),
        Screen::Members => Some(TeamCommand::LoadMembers),
        Screen::Keys | Screen::Detail(_) | Screen::Settings | Screen::Health => None,
    }
}
