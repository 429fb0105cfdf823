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
use crate::actions;
use crate::actions::team as folder;
use crate::team::cache::{Refreshed, Snapshot};
use crate::team::kv::KvError;
use crate::team::members::{Member, Removed};
use crate::team::{TeamError, TeamKey, TeamKeys, TeamVault};
use crate::ui::Failure;
use crate::ui::jobs::Records;
use crate::ui::session::Command;
use crate::ui::session::changes::Answer;
use crate::ui::session::{AuditCache, Effects};
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

/// An unlocked team vault: the home of a window's [`Session`](crate::ui::session::Session)
/// whose keys are on a server. Dropped on lock (with its token and data key).
pub struct TeamHome {
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
    /// What the team's screens keep beside the screens themselves.
    pub screen: TeamScreenState,
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
    /// The cost of this member's password, as the server last said (`None` while it could not
    /// be asked): a password change starts from it.
    pub member_kdf: Option<crate::vault::crypto::KdfParams>,
    /// This computer's settings for the team vault, as `team.ron` keeps them: the auto-lock
    /// and clipboard times, the browsers allowed to ask for its keys, the leak guard.
    pub settings: crate::team::TeamSettings,
}

/// A window's session on a team vault, as the team's code sees it.
pub type Team<'a> = crate::ui::session::Parts<'a, TeamHome>;

/// A poll's answer: the copy brought up to date, and its keys when they changed (parsed on
/// the poll's thread).
pub struct Polled {
    refreshed: Refreshed,
    list: Option<Vec<TeamKey>>,
}

/// What a team job hands back.
pub enum TeamDone {
    Opened(Result<Box<TeamHome>, OpenError>),
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

impl TeamHome {
    fn new(
        vault: TeamVault,
        keys: Option<TeamKeys>,
        (copy, list): (Snapshot, Vec<TeamKey>),
        writable: bool,
        problem: Option<String>,
    ) -> Self {
        let place = vault.config().place();
        let settings = vault.config().settings.clone();
        TeamHome {
            list,
            vault: Arc::new(vault),
            keys: keys.map(Arc::new),
            copy,
            generation: 0,
            writable,
            problem,
            screen: TeamScreenState::default(),
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
            settings,
            member_kdf: None,
        }
    }

    /// The settings screen as it starts on this team vault: this computer's settings of it.
    pub fn settings_state(&self) -> crate::ui::state::SettingsState {
        crate::ui::state::SettingsState::from(
            &self.settings.as_settings(),
            // The password form starts at this member's cost, as the server said it.
            self.member_kdf.unwrap_or_default(),
            String::new(),
        )
    }

    /// What the screens draw from (`busy`: a job runs, so the changing buttons wait; `audit`:
    /// the trail as last read).
    pub fn view<'a>(&'a self, busy: bool, audit: Option<&'a AuditCache>) -> TeamView<'a> {
        TeamView {
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
            audit,
            browsers: &self.settings.browsers,
            leak_guard: self.settings.leak_guard,
            member_kdf: self.member_kdf,
        }
    }

    /// This computer's copy as a job brought it up to date after its change (a poll begun
    /// before the change is old now and is not applied).
    fn refreshed(&mut self, polled: Result<Polled, TeamError>, now: DateTime<Utc>) {
        self.changes += 1;
        work::apply_refresh(self, polled);
        self.next_poll = now + chrono::Duration::seconds(POLL_SECS);
    }

    /// The team's keys replaced (a member removed, the key replaced with a password change):
    /// what the server holds now is read at once.
    fn replaced_keys(&mut self, keys: TeamKeys) {
        self.keys = Some(Arc::new(keys));
        self.changes += 1;
        self.next_poll = DateTime::<Utc>::MIN_UTC;
    }

    pub(crate) fn label_of(&self, id: &KeyId) -> String {
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
    /// The team vault's home, if one is open.
    pub fn team(&self) -> Option<&TeamHome> {
        self.session().and_then(crate::ui::session::Session::team)
    }

    /// Runs `work` on the open team vault's session with what the shell lends it.
    pub(in crate::ui::app) fn with_team(
        &mut self,
        ctx: &egui::Context,
        work: impl FnOnce(&mut Team<'_>, &mut Effects<'_>),
    ) {
        self.with_session(ctx, |session, fx| {
            if let Some(mut team) = session.team_parts() {
                work(&mut team, fx);
            }
        });
    }

    /// Runs what only a team vault is asked (its reads, its members).
    pub(super) fn run_team(&mut self, ctx: &egui::Context, command: TeamCommand) {
        self.with_team(ctx, |team, fx| team.command(command, fx));
    }

    /// Runs a command of the window's shell that a team vault carries out as its own jobs: the
    /// member's password change, an import's preview, the import, an export.
    pub(super) fn run_team_window(&mut self, ctx: &egui::Context, command: super::Command) {
        self.with_team(ctx, |team, fx| team.window(command, fx));
    }

    /// Starts a poll when one is due, and applies the one that came back.
    pub(super) fn tick_team(&mut self, ctx: &egui::Context, now: DateTime<Utc>) {
        let inline = self.services.inline_jobs;
        let dir = self.services.dir.clone();
        let Some(session) = self.session_mut().and_then(|s| s.team_parts()).map(|t| t.home) else { return };
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

    /// When the team vault next wants the shell: its poll.
    pub(super) fn team_deadline(&self) -> Option<DateTime<Utc>> {
        let team = self.team()?;
        team.poll.is_none().then_some(team.next_poll)
    }
}

/// What only a team vault is asked, and the verbs of either kind as a team vault runs them:
/// each in a job, one change at a time, whose answer comes with this computer's copy brought
/// up to date.
impl Team<'_> {
    /// Runs what only a team vault is asked: what needs no key at once, the rest as a job.
    fn command(&mut self, command: TeamCommand, fx: &mut Effects<'_>) {
        // One change at a time; what only reads runs beside one.
        let busy = fx.jobs.recording().is_some();
        let home = &mut *self.home;
        // A read from the server, beside a change.
        fn read(fx: &mut Effects<'_>, label: &str, work: impl FnOnce() -> TeamDone + Send + 'static) {
            fx.jobs.spawn(fx.ctx, label, Records::No, move || Done::Team(work()));
        }
        match command {
            TeamCommand::Retry => home.next_poll = DateTime::<Utc>::MIN_UTC,
            TeamCommand::DismissInvitation => home.invitation = None,
            TeamCommand::LoadAccounts => {
                let vault = home.vault.clone();
                read(fx, "Reading the team's provider accounts", move || {
                    TeamDone::Accounts(
                        vault.accounts().map(|found| found.into_iter().map(|a| a.account).collect()),
                    )
                });
            }
            TeamCommand::LoadIncidents => {
                home.incidents = None;
                let records: Vec<_> = home.list.iter().map(|key| key.record.clone()).collect();
                let (vault, keys) = (home.vault.clone(), home.keys.clone());
                read(fx, "Reading the incidents", move || {
                    // Each incident's seal is checked, which takes the team's key.
                    let Some(keys) = keys else {
                        let why =
                            "The incidents need the team's key: lock, then unlock while the server answers.";
                        return TeamDone::Incidents(Err(Failure::said(why)));
                    };
                    let read = vault
                        .incidents(&keys)
                        .and_then(|found| crate::team::incidents::with_timelines(&vault, &found, &records));
                    TeamDone::Incidents(read.map_err(Failure::from))
                });
            }
            TeamCommand::LoadAudit => {
                *self.audit_cache = None;
                let (vault, keys) = (home.vault.clone(), home.keys.clone());
                read(fx, "Reading the audit trail", move || {
                    TeamDone::Audit(Box::new(read_audit(&vault, keys.as_deref())))
                });
            }
            TeamCommand::LoadMembers => {
                home.members = None;
                let vault = home.vault.clone();
                read(fx, "Reading the team's members", move || {
                    TeamDone::Members(
                        vault.members().and_then(|members| Ok((members, vault.can_administer()?))),
                    )
                });
            }
            // One change at a time (the screen's buttons wait meanwhile, too).
            command @ (TeamCommand::Invite(_) | TeamCommand::RemoveMember(_)) => {
                let Some(keys) = home.keys.clone().filter(|_| !busy) else { return };
                run_member_command(fx, (keys, home.vault.clone()), command);
            }
        }
    }

    /// Runs a command of the window's shell as the team vault's own job: the member's
    /// password change, an import's preview, the import, an export.
    fn window(&mut self, command: super::Command, fx: &mut Effects<'_>) {
        let busy = fx.jobs.recording().is_some();
        let now = fx.now;
        if let super::Command::ChangePassword { current, new, kdf, new_data_key } = command {
            // The password unlocks the team's key again: it needs nothing open.
            let memory_mib = kdf.memory_kib / 1024;
            let chosen = crate::ui::settings::ChosenPassword { current, new, memory_mib, new_data_key };
            let vault = self.home.vault.clone();
            let label = if new_data_key {
                "Replacing the team's key and changing your password"
            } else {
                "Changing your password for the team vault"
            };
            fx.jobs.spawn(fx.ctx, label, Records::Yes, move || {
                Done::Team(TeamDone::PasswordChanged(work::change_password(&vault, &chosen, now)))
            });
            return;
        }
        let Some(keys) = self.home.keys.clone().filter(|_| !busy) else { return };
        let with = (keys, self.home.vault.clone());
        run_transfer_command(fx, self, with, command);
    }

    /// Runs a verb of either kind of vault on the team vault (what only the screens hold is
    /// done by `Session::run` first): the changes written once (`session::changes`), the
    /// copy, the checks at a provider, the revoke, each as a job, one change at a time.
    pub(crate) fn run(&mut self, command: Command, fx: &mut Effects<'_>) {
        let busy = fx.jobs.recording().is_some();
        // The change is recorded in the team's trail, which takes the server and the team's key.
        if matches!(command, Command::SaveSettings(_)) && self.home.keys.is_none() {
            let why = "The team vault's server must answer first: the change is recorded in its trail.";
            return self.screens.settings.error = Some(why.to_owned());
        }
        let Some(keys) = self.home.keys.clone().filter(|_| !busy) else { return };
        let with = (keys, self.home.vault.clone());
        // The changes written once for either kind of vault.
        let command = match crate::ui::session::changes::Change::of(command) {
            Ok(change) => return run_change(fx, self, with, change),
            Err(command) => command,
        };
        // Each group of the other commands is started by the function for it.
        match command {
            Command::Copy(id) => run_copy(fx, self, with, id),
            Command::CheckAll => {
                let existing = self.home.list.clone();
                let now = fx.now;
                let label = "Checking every key at its provider";
                fx.jobs.spawn_counted(fx.ctx, label, Records::Yes, move |progress| {
                    let (keys, vault) = with;
                    let found = checks::check_all(&vault, &keys, existing, progress, now);
                    Done::Team(TeamDone::CheckedAll(Box::new(found)))
                });
            }
            command @ (Command::Verify(_) | Command::CreateAtProvider { .. } | Command::AskUsage { .. }) => {
                run_key_command(fx, self, with, command);
            }
            Command::Revoke { key, reason, options, leak, replacement } => {
                let revoke = work::Revoke { key, reason, options, leak, replacement };
                work::run_revoke(fx, self, with, revoke);
            }
            Command::TestAccount(id) => work::run_test_account(fx, self, with, id),
            // The screens' own, done by `Session::run`.
            _ => {}
        }
    }

    /// The cost of this member's password, as the server says it: the password form starts
    /// there, unless something is typed in it.
    fn set_member_kdf(&mut self, kdf: crate::vault::crypto::KdfParams) {
        self.home.member_kdf = Some(kdf);
        let form = &mut self.screens.settings.password;
        if form.current_password.is_empty() && form.new_password.is_empty() {
            form.kdf_memory_mib = kdf.memory_kib / 1024;
        }
    }

    /// Reads what the screen or dialog just opened shows from the server (`before`: the
    /// screen shown until then, and whether the revoke dialog was open).
    pub(crate) fn opened(
        &mut self,
        (screen, revoking): &(crate::ui::state::Screen, bool),
        fx: &mut Effects<'_>,
    ) {
        let accounts_read = self.home.accounts.is_some();
        let state = (&mut self.home.screen, &*self.screens);
        if let Some(read) = crate::ui::team_page::opened(state, accounts_read, (screen, *revoking)) {
            self.command(read, fx);
        }
    }

    /// Runs `work` on the team vault as a store, in a job, its answer taken in as a change's
    /// (`(label, offline)`: what the job is called, and what is said when the server must
    /// answer first).
    pub(in crate::ui::app) fn change(
        &mut self,
        (label, offline): (String, String),
        asked: crate::ui::session::changes::Asked,
        work: impl FnOnce(&mut actions::TeamStore<'_>) -> Answer + Send + 'static,
        fx: &mut Effects<'_>,
    ) {
        let Some(keys) = self.home.keys.clone() else { return fx.toasts.error(offline, fx.now) };
        let with = (keys, self.home.vault.clone());
        answered_job(fx, self, with, Job { label, asked, existing: None }, work);
    }
}
