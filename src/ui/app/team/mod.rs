//! A team vault in the window: making or joining one, unlocking it, the unlocked team
//! session, its commands, and the poll that keeps its keys up to date.
//!
//! Everything that speaks to the server runs in a job or on the poll's thread; the screen
//! draws this computer's copy. The poll reads the audit trail's new entries every
//! [`POLL_SECS`] seconds and reads again only the keys they name (15–20 ms with 10,000 keys).

mod checks;
mod done;
mod opening;
mod work;

use std::sync::Arc;
use std::sync::mpsc;

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::StoreFactory;
use super::{Done, KeydeskApp, OpenError, Phase};
use crate::actions::team as folder;
use crate::team::cache::{Refreshed, Snapshot};
use crate::team::kv::KvError;
use crate::team::members::{Member, Removed};
use crate::team::{TeamError, TeamKey, TeamKeys, TeamVault};
use crate::ui::Failure;
use crate::ui::jobs::Records;
use crate::ui::session::Command;
use crate::ui::session::changes::Answer;
use crate::ui::session::{Revealed, ShownOnce};
use crate::ui::team::{ShownCode, TeamCommand, TeamScreenState, TeamView};
use crate::vault::crypto::CryptoError;
use crate::vault::model::{Account, Incident, KeyId};

pub(in crate::ui::app) use opening::{keep_token, lock_state, open};
pub(in crate::ui::app) use work::{Job, answered_job};
use work::{
    apply_poll, read_audit, run_change, run_copy, run_key_command, run_member_command, run_transfer_command,
};

/// How often an open team vault asks the server what changed.
pub const POLL_SECS: i64 = 3;

/// An unlocked team vault. Dropped on lock (with its token and data key).
pub struct TeamSession {
    pub vault: Arc<TeamVault>,
    /// The team's keys; `None` when the vault was opened while its server could not be
    /// reached (the password could not be checked: nothing is revealed or changed then).
    pub keys: Option<Arc<TeamKeys>>,
    pub copy: Snapshot,
    /// The keys as `copy` holds them.
    pub list: Vec<TeamKey>,
    generation: u64,
    pub writable: bool,
    /// Why the vault is read-only now, when something went wrong with the server.
    pub problem: Option<String>,
    pub screen: TeamScreenState,
    pub revealed: Option<Revealed>,
    /// A secret Keydesk just made, shown once (as on a local vault).
    pub shown_once: Option<ShownOnce>,
    /// Counts changes made here: a poll begun before one is not applied after it.
    changes: u64,
    poll: Option<mpsc::Receiver<(u64, Result<Polled, TeamError>)>>,
    next_poll: DateTime<Utc>,
    place: String,
    /// Said once the session shows (the token could not be kept in the keychain).
    pub(super) notice: Option<String>,
    pub members: Option<Vec<Member>>,
    admin: Option<bool>,
    /// An invitation's code, until the admin says it was given.
    pub invitation: Option<ShownCode>,
    /// The team's provider accounts, once read.
    pub accounts: Option<Vec<Account>>,
    /// The incidents with their timelines, once read.
    pub incidents: Option<Vec<Incident>>,
    /// The audit trail, once read.
    pub audit: Option<crate::ui::session::AuditCache>,
    /// The cost of this member's password, as the server last said (`None` while it could not
    /// be asked): a password change starts from it.
    pub member_kdf: Option<crate::vault::crypto::KdfParams>,
    /// This computer's settings for the team vault, as `team.ron` keeps them: the auto-lock
    /// and clipboard times, the browsers allowed to ask for its keys, the leak guard.
    pub settings: crate::team::TeamSettings,
}

/// What the team window draws from: the view of the session, the screens' state, and the
/// secrets on show.
pub struct TeamParts<'a> {
    pub view: TeamView<'a>,
    pub state: &'a mut TeamScreenState,
    pub revealed: Option<&'a mut Revealed>,
    pub invitation: Option<&'a mut ShownCode>,
    pub shown_once: Option<&'a mut ShownOnce>,
}

/// A poll's answer: the copy brought up to date, and its keys when they changed (parsed on
/// the poll's thread).
pub struct Polled {
    refreshed: Refreshed,
    list: Option<Vec<TeamKey>>,
}

/// What a team job hands back.
pub enum TeamDone {
    Opened(Result<Box<TeamSession>, OpenError>),
    /// The secret to put on the clipboard, read fresh from the server.
    ToCopy(Box<TeamKey>, Result<SecretString, TeamError>),
    CopyRecorded {
        label: String,
        result: Result<(), Failure>,
        /// Seconds until the clipboard is cleared.
        secs: u32,
        /// This computer's copy brought up to date after the record (the key's entry counts
        /// its copies: a change asked next names its new version).
        polled: Box<Result<Polled, TeamError>>,
    },
    /// A change written once for either kind (`session::changes`) answered, with this
    /// computer's copy brought up to date after it (or why it could not be).
    Answered(Box<Answer>, Result<Polled, TeamError>),
    /// A copy that could not start (the key could not be read).
    Failed(TeamError),
    /// Whether the OS keychain keeps this team vault's token.
    TokenKept(bool),
    /// The members, and whether the token may invite and remove them.
    Members(Result<(Vec<Member>, bool), TeamError>),
    Invited(String, Result<SecretString, TeamError>),
    MemberRemoved(Result<(String, Box<Removed>, TeamKeys), TeamError>),
    /// This member's password changed: what to say, and the team's keys when they were
    /// replaced with it; or why not.
    PasswordChanged(Result<(String, Option<TeamKeys>), TeamError>),
    /// The check of every key ended: what it found, or why it could not start.
    CheckedAll(Box<Result<checks::CheckedAll, Failure>>),
    /// The provider accounts as read.
    Accounts(Result<Vec<Account>, TeamError>),
    /// The incidents as read, with their timelines.
    Incidents(Result<Vec<Incident>, Failure>),
    /// The audit trail as read, with its check.
    Audit(Box<crate::ui::session::AuditCache>),
    /// A file read for import, each row previewed.
    /// (With the columns to pick when Keydesk cannot tell them.)
    ImportPreviewed(
        Result<Box<crate::ui::state::ImportPreview>, Failure>,
        Option<Box<crate::ui::state::ColumnPicker>>,
    ),
    /// A verify, an import or an export: what to say (a key the provider takes, the keys
    /// imported), or what went wrong; the list is read again.
    Said(Result<String, Failure>),
}

impl TeamSession {
    fn new(
        vault: TeamVault,
        keys: Option<TeamKeys>,
        (copy, list): (Snapshot, Vec<TeamKey>),
        writable: bool,
        problem: Option<String>,
    ) -> Self {
        let place = vault.config().place();
        let settings = vault.config().settings.clone();
        let screen = TeamScreenState {
            screens: crate::ui::screens::Screens::new(crate::ui::state::SettingsState::from(
                &settings.as_settings(),
                crate::vault::crypto::KdfParams::default(),
                String::new(),
            )),
            ..TeamScreenState::default()
        };
        TeamSession {
            list,
            vault: Arc::new(vault),
            keys: keys.map(Arc::new),
            copy,
            generation: 0,
            writable,
            problem,
            screen,
            revealed: None,
            shown_once: None,
            changes: 0,
            poll: None,
            next_poll: DateTime::<Utc>::MIN_UTC,
            place,
            notice: None,
            members: None,
            admin: None,
            invitation: None,
            accounts: None,
            incidents: None,
            audit: None,
            settings,
            member_kdf: None,
        }
    }

    /// The screen's view of the session (`busy`: a job runs, so the changing buttons wait),
    /// its own state and the secrets on show.
    pub fn parts(&mut self, busy: bool) -> TeamParts<'_> {
        let view = TeamView {
            keys: &self.list,
            place: &self.place,
            member: &self.vault.config().member,
            writable: self.writable,
            problem: self.problem.as_deref(),
            keys_open: self.keys.is_some(),
            generation: self.generation,
            taken_at: self.copy.taken_at,
            busy,
            members: self.members.as_deref(),
            admin: self.admin,
            accounts: self.accounts.as_deref(),
            incidents: self.incidents.as_deref(),
            audit: self.audit.as_ref(),
            browsers: &self.settings.browsers,
            leak_guard: self.settings.leak_guard,
            member_kdf: self.member_kdf,
        };
        TeamParts {
            view,
            state: &mut self.screen,
            revealed: self.revealed.as_mut(),
            invitation: self.invitation.as_mut(),
            shown_once: self.shown_once.as_mut(),
        }
    }

    /// The cost of this member's password, as the server says it: the password form starts
    /// there, unless something is typed in it.
    pub(in crate::ui::app) fn set_member_kdf(&mut self, kdf: crate::vault::crypto::KdfParams) {
        self.member_kdf = Some(kdf);
        let form = &mut self.screen.screens.settings.password;
        if form.current_password.is_empty() && form.new_password.is_empty() {
            form.kdf_memory_mib = kdf.memory_kib / 1024;
        }
    }

    /// This computer's copy as a job brought it up to date after its change (a poll begun
    /// before the change is old now and is not applied).
    fn refreshed(&mut self, polled: Result<Polled, TeamError>, now: DateTime<Utc>) {
        self.changes += 1;
        work::apply_refresh(self, polled);
        self.next_poll = now + chrono::Duration::seconds(POLL_SECS);
    }

    pub(in crate::ui::app) fn label_of(&self, id: &KeyId) -> String {
        self.list.iter().find(|k| k.record.id == *id).map(|k| k.record.label.clone()).unwrap_or_default()
    }
}

/// This computer's copy brought up to date (the trail's new entries, and the keys they name
/// read again), saved when it changed; its keys when they did (parsed here, off the window's
/// thread).
fn refresh(
    vault: &TeamVault,
    copy: Snapshot,
    keys: Option<&TeamKeys>,
    dir: &std::path::Path,
    now: DateTime<Utc>,
) -> Result<Polled, TeamError> {
    let pack_head = copy.pack_head();
    vault.refresh(Some(copy), keys, now).map(|refreshed| {
        let changed = refreshed.keys_read > 0 || refreshed.full;
        if changed || refreshed.snapshot.pack_head() != pack_head {
            // A copy that cannot be saved is read again at the next start.
            let _read_again_next_start = folder::save_copy(dir, &refreshed.snapshot);
        }
        let list = changed.then(|| refreshed.snapshot.keys());
        Polled { refreshed, list }
    })
}

/// The sentence for a server that cannot be reached, with this computer's copy on screen.
fn away_sentence(error: &KvError, copy: &Snapshot) -> String {
    let why = error.to_string();
    format!(
        "Read-only: the team vault's server cannot be reached ({}). This is this computer's copy from {}; reveals and changes wait for the server.",
        why.trim_end_matches('.'),
        copy.taken_at.format("%Y-%m-%d %H:%M UTC")
    )
}

/// The server's error when it is not there to answer (this computer's copy stands in).
fn away(error: &TeamError) -> Option<&KvError> {
    match error {
        TeamError::Server(error) if error.is_away() => Some(error),
        _ => None,
    }
}

/// A team error as the window says it: the token sentence names the window's field.
fn sentence(error: &TeamError) -> String {
    crate::ui::team_sentence(error)
}

/// Where the token an unlock presents came from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenFrom {
    Typed,
    Environment,
    Keychain,
}

/// Why a team vault did not open, as the unlock screen says it (a refused token that the OS
/// keychain kept is said to be that one).
fn open_error(error: &TeamError, from: TokenFrom) -> OpenError {
    open_error_of(error, from, &crate::team::signin::SignIn::Token)
}

/// [`open_error`] for a vault that signs in with a name and password when `signs_in`.
fn open_error_of(error: &TeamError, from: TokenFrom, sign_in: &crate::team::signin::SignIn) -> OpenError {
    use crate::team::signin::SignIn;
    OpenError {
        wrong_password: matches!(error, TeamError::Crypto(CryptoError::WrongPassword)),
        message: match error {
            TeamError::Crypto(CryptoError::WrongPassword) => {
                "The master password is wrong: type the password you chose for this team vault.".to_owned()
            }
            TeamError::Server(KvError::TokenRejected) if from == TokenFrom::Keychain && sign_in.is_oidc() => "The server no longer accepts the token kept from your last sign-in: sign in again with your company account.".to_owned(),
            TeamError::Server(KvError::TokenRejected) if from == TokenFrom::Keychain && matches!(sign_in, SignIn::Userpass { .. }) => "The server no longer accepts the token kept from your last sign-in: type your server password to sign in again.".to_owned(),
            TeamError::Server(KvError::TokenRejected) if from == TokenFrom::Keychain && sign_in.is_ldap() => "The server no longer accepts the token kept from your last sign-in: type your company directory password to sign in again.".to_owned(),
            TeamError::Server(KvError::TokenRejected) if from == TokenFrom::Keychain => "The server no longer accepts the token kept in the OS keychain (it expired or was revoked): paste the new one your team's admin gives you.".to_owned(),
            other => sentence(other),
        },
    }
}

impl KeydeskApp {
    /// The team session, if one is open.
    pub fn team(&self) -> Option<&TeamSession> {
        match &self.phase {
            Phase::Team(session) => Some(session),
            _ => None,
        }
    }

    /// Runs what only a team vault has, asked of the team screen: what needs no key at once,
    /// the rest as a job. What the local vault's screens ask goes to [`Self::run_team_verb`].
    pub(super) fn run_team(&mut self, ctx: &egui::Context, command: TeamCommand) {
        let now = self.now();
        // One change at a time; what only reads runs beside one.
        let busy = self.jobs.recording().is_some();
        let Phase::Team(session) = &mut self.phase else { return };
        match command {
            TeamCommand::Verb(command) => self.run_team_verb(ctx, command),
            // The shell answers these for either kind of vault (`app::Command`).
            TeamCommand::Window(_) => {}
            TeamCommand::Retry => session.next_poll = DateTime::<Utc>::MIN_UTC,
            TeamCommand::DismissInvitation => session.invitation = None,
            TeamCommand::LoadAccounts => {
                let vault = session.vault.clone();
                self.jobs.spawn(ctx, "Reading the team's provider accounts", Records::No, move || {
                    let read = vault.accounts().map(|found| found.into_iter().map(|a| a.account).collect());
                    Done::Team(TeamDone::Accounts(read))
                });
            }
            TeamCommand::LoadIncidents => {
                session.incidents = None;
                let records: Vec<_> = session.list.iter().map(|key| key.record.clone()).collect();
                let (vault, keys) = (session.vault.clone(), session.keys.clone());
                self.jobs.spawn(ctx, "Reading the incidents", Records::No, move || {
                    // Each incident's seal is checked, which takes the team's key.
                    let Some(keys) = keys else {
                        let why =
                            "The incidents need the team's key: lock, then unlock while the server answers.";
                        return Done::Team(TeamDone::Incidents(Err(Failure::said(why))));
                    };
                    let read = vault
                        .incidents(&keys)
                        .and_then(|found| crate::team::incidents::with_timelines(&vault, &found, &records));
                    Done::Team(TeamDone::Incidents(read.map_err(Failure::from)))
                });
            }
            TeamCommand::LoadAudit => {
                session.audit = None;
                let (vault, keys) = (session.vault.clone(), session.keys.clone());
                self.jobs.spawn(ctx, "Reading the audit trail", Records::No, move || {
                    Done::Team(TeamDone::Audit(Box::new(read_audit(&vault, keys.as_deref()))))
                });
            }
            TeamCommand::LoadMembers => {
                session.members = None;
                let vault = session.vault.clone();
                self.jobs.spawn(ctx, "Reading the team's members", Records::No, move || {
                    let read = vault.members().and_then(|members| Ok((members, vault.can_administer()?)));
                    Done::Team(TeamDone::Members(read))
                });
            }
            // One change at a time (the screen's buttons wait meanwhile, too).
            command @ (TeamCommand::Invite(_) | TeamCommand::RemoveMember(_)) => {
                let Some(keys) = session.keys.clone().filter(|_| !busy) else { return };
                run_member_command(&mut self.jobs, ctx, (keys, session.vault.clone()), now, command);
            }
        }
    }

    /// Runs a command of the window's shell that a team vault carries out as its own jobs: the
    /// member's password change, an import's preview, the import, an export.
    pub(super) fn run_team_window(&mut self, ctx: &egui::Context, command: super::Command) {
        let now = self.now();
        let busy = self.jobs.recording().is_some();
        let Phase::Team(session) = &mut self.phase else { return };
        if let super::Command::ChangePassword { current, new, kdf, new_data_key } = command {
            // The password unlocks the team's key again: it needs nothing open.
            let memory_mib = kdf.memory_kib / 1024;
            let chosen = crate::ui::settings::ChosenPassword { current, new, memory_mib, new_data_key };
            let vault = session.vault.clone();
            let label = if new_data_key {
                "Replacing the team's key and changing your password"
            } else {
                "Changing your password for the team vault"
            };
            self.jobs.spawn(ctx, label, Records::Yes, move || {
                Done::Team(TeamDone::PasswordChanged(work::change_password(&vault, &chosen, now)))
            });
            return;
        }
        let Some(keys) = session.keys.clone().filter(|_| !busy) else { return };
        let with = (keys, session.vault.clone());
        run_transfer_command(&mut self.jobs, ctx, session, with, now, command);
    }

    /// Runs a command of the local vault's screens on the team vault (the same command a
    /// local vault's session runs): what changes nothing on the server at once, the rest as a
    /// job by group, one change at a time.
    pub(super) fn run_team_verb(&mut self, ctx: &egui::Context, command: Command) {
        let now = self.now();
        let busy = self.jobs.recording().is_some();
        let Phase::Team(session) = &mut self.phase else { return };
        match &command {
            Command::HideReveal => return session.revealed = None,
            Command::DismissShownOnce => return session.shown_once = None,
            Command::ChooseFile(target) => {
                return self.run_files(ctx, super::files::FilesCommand::Choose(*target));
            }
            Command::ExportIncident { id, path } => {
                let parts = session.parts(busy);
                return parts.state.screens.export_incident((id, path), &parts.view, &mut self.toasts, now);
            }
            // The change is recorded in the team's trail, which takes the server and the team's key.
            Command::SaveSettings(_) if session.keys.is_none() => {
                let why = "The team vault's server must answer first: the change is recorded in its trail.";
                return session.screen.screens.settings.error = Some(why.to_owned());
            }
            _ => {}
        }
        let Some(keys) = session.keys.clone().filter(|_| !busy) else { return };
        let with = (keys, session.vault.clone());
        let jobs = &mut self.jobs;
        // The changes written once for either kind of vault.
        let command = match crate::ui::session::changes::Change::of(command) {
            Ok(change) => return run_change(jobs, ctx, session, with, (now, &self.services.dir), change),
            Err(command) => command,
        };
        // Each group of the other commands is started by the function for it.
        match command {
            Command::Copy(id) => run_copy(jobs, ctx, session, with, id),
            Command::CheckAll => {
                let existing = session.list.clone();
                let label = "Checking every key at its provider";
                jobs.spawn_counted(ctx, label, Records::Yes, move |progress| {
                    let (keys, vault) = with;
                    let found = checks::check_all(&vault, &keys, existing, progress, now);
                    Done::Team(TeamDone::CheckedAll(Box::new(found)))
                });
            }
            command @ (Command::Verify(_) | Command::CreateAtProvider { .. } | Command::AskUsage { .. }) => {
                run_key_command(jobs, ctx, session, with, (now, &self.services.dir), command);
            }
            Command::Revoke { key, reason, options, leak, replacement } => {
                let revoke = work::Revoke { key, reason, options, leak, replacement };
                work::run_revoke(jobs, ctx, session, with, (now, &self.services.dir), revoke);
            }
            Command::TestAccount(id) => {
                work::run_test_account(jobs, ctx, session, with, (now, &self.services.dir), id);
            }
            // The screens' own (carried to the team's screen state by `team_page::carried`).
            _ => {}
        }
    }

    /// Starts a poll when one is due, and applies the one that came back.
    pub(super) fn tick_team(&mut self, ctx: &egui::Context, now: DateTime<Utc>) {
        let inline = self.services.inline_jobs;
        let dir = self.services.dir.clone();
        let Phase::Team(session) = &mut self.phase else { return };
        if session.revealed.as_ref().is_some_and(|r| now >= r.until) {
            session.revealed = None;
        }
        if let Some(answer) = session.poll.as_ref().and_then(|r| r.try_recv().ok()) {
            session.poll = None;
            session.next_poll = now + chrono::Duration::seconds(POLL_SECS);
            let (changes, result) = answer;
            apply_poll(session, changes, result);
        }
        if session.poll.is_some() || now < session.next_poll {
            return;
        }
        let (sender, receiver) = mpsc::channel();
        let vault = session.vault.clone();
        let copy = session.copy.clone();
        let keys = session.keys.clone();
        let changes = session.changes;
        let poll = move || {
            let result = refresh(&vault, copy, keys.as_deref(), &dir, now);
            let _session_gone = sender.send((changes, result));
        };
        session.poll = Some(receiver);
        if inline {
            poll();
            return self.tick_team(ctx, now);
        }
        let ctx = ctx.clone();
        #[allow(
            clippy::disallowed_methods,
            reason = "the poll runs beside jobs: it must not make the changing buttons wait"
        )]
        let spawned = std::thread::Builder::new().name("keydesk: team poll".into()).spawn(move || {
            poll();
            ctx.request_repaint();
        });
        if spawned.is_err() {
            session.poll = None;
            session.next_poll = now + chrono::Duration::seconds(POLL_SECS);
        }
    }

    /// When the team session next wants the shell: the poll, or a reveal hiding.
    pub(super) fn team_deadline(&self) -> Option<DateTime<Utc>> {
        let session = self.team()?;
        let reveal = session.revealed.as_ref().map(|r| r.until);
        let poll = session.poll.is_none().then_some(session.next_poll);
        [reveal, poll].into_iter().flatten().min()
    }
}
