//! A team vault in the window: making or joining one, unlocking it, the unlocked team
//! session, its commands, and the poll that keeps its keys up to date.
//!
//! Everything that speaks to the server runs in a job or on the poll's thread; the screen
//! draws this computer's copy. The poll reads the audit trail's new entries every
//! [`POLL_SECS`] seconds and reads again only the keys they name (15–20 ms with 10,000 keys).

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::StoreFactory;
use super::{Done, KeydeskApp, OpenError, Phase};
use crate::actions::{self, team as folder};
use crate::clipboard::fingerprint;
use crate::team::accounts::find_account;
use crate::team::cache::{Refreshed, Snapshot};
use crate::team::kv::{Kv, KvError, Location};
use crate::team::members::{Member, Removed};
use crate::team::{TeamConfig, TeamError, TeamKey, TeamKeys, TeamVault};
use crate::ui::accounts::AccountAction;
use crate::ui::jobs::Jobs;
use crate::ui::jobs::Records;
use crate::ui::session::{PendingClear, REVEAL_SECS, Revealed};
use crate::ui::settings::TransferAction;
use crate::ui::team::{ShownCode, TeamCommand, TeamScreenState, TeamView};
use crate::ui::unlock::{self, TeamLock, TeamSetup};
use crate::vault::crypto::{CryptoError, KdfMemory, KdfParams};
use crate::vault::incidents::IncidentReport;
use crate::vault::model::SecretBackend;
use crate::vault::model::{Account, Incident, KeyId};
use crate::vault::os_rng;

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
    /// The browsers allowed to ask for the team's keys, as this computer's `team.ron` keeps
    /// them.
    pub browsers: Vec<String>,
}

/// A poll's answer: the copy brought up to date, and its keys when they changed (parsed on
/// the poll's thread).
struct Polled {
    refreshed: Refreshed,
    list: Option<Vec<TeamKey>>,
}

/// What a team job hands back.
pub enum TeamDone {
    Opened(Result<Box<TeamSession>, OpenError>),
    Revealed(KeyId, Result<SecretString, TeamError>),
    /// The secret to put on the clipboard, read fresh from the server.
    ToCopy(Box<TeamKey>, Result<SecretString, TeamError>),
    CopyRecorded {
        label: String,
        result: Result<(), String>,
        /// Seconds until the clipboard is cleared.
        secs: u32,
    },
    /// An add or an edit: what to say, or why it failed.
    Changed(Result<String, String>),
    /// A key revoked from its row (its replacement is offered next), or why not.
    Revoked(KeyId, Result<String, String>),
    /// A rotation step: what to say, or why not; the rotation panel to show (of the old key)
    /// after it, or none (the rotation ended).
    Rotated {
        result: Result<String, String>,
        open: Option<KeyId>,
    },
    /// A copy that could not start (the key could not be read).
    Failed(TeamError),
    /// Whether the OS keychain keeps this team vault's token.
    TokenKept(bool),
    /// The members, and whether the token may invite and remove them.
    Members(Result<(Vec<Member>, bool), TeamError>),
    Invited(String, Result<SecretString, TeamError>),
    MemberRemoved(Result<(String, Box<Removed>, TeamKeys), TeamError>),
    /// A key made at a provider: what to say; or why it is not kept, with the key when the
    /// provider could not delete it again either (shown once).
    Created(Result<String, (String, Option<SecretString>)>),
    /// This member's password changed: what to say, and the team's keys when they were
    /// replaced with it; or why not.
    PasswordChanged(Result<(String, Option<TeamKeys>), TeamError>),
    /// The provider accounts as read.
    Accounts(Result<Vec<Account>, TeamError>),
    /// The incidents as read, with their timelines.
    Incidents(Result<Vec<Incident>, String>),
    /// The audit trail as read, with its check.
    Audit(Box<crate::ui::session::AuditCache>),
    /// An incident closed: what to say, or why not.
    IncidentClosed(Result<String, String>),
    /// A file read for import, each row previewed.
    /// (With the columns to pick when Keydesk cannot tell them.)
    ImportPreviewed(
        Result<Box<crate::ui::state::ImportPreview>, String>,
        Option<Box<crate::ui::state::ColumnPicker>>,
    ),
    /// A verify, an import or an export: what to say (a key the provider takes, the keys
    /// imported), or what went wrong; the list is read again.
    Said(Result<String, String>),
    /// An account added or removed: what to say, or why not.
    AccountChanged(Result<String, String>),
    /// An account's "Test connection": the provider's words, or why not.
    AccountTested(String, Result<String, String>),
    /// A browser allowed or stopped: the browsers allowed now and what to say, or why not.
    Browsers(Result<(Vec<String>, String), String>),
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
        let browsers = vault.config().settings.browsers.clone();
        TeamSession {
            list,
            vault: Arc::new(vault),
            keys: keys.map(Arc::new),
            copy,
            generation: 0,
            writable,
            problem,
            screen: TeamScreenState::default(),
            revealed: None,
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
            browsers,
        }
    }

    /// The screen's view of the session (`busy`: a job runs, so the changing buttons wait),
    /// its own state and the secrets on show.
    pub fn parts(
        &mut self,
        busy: bool,
    ) -> (TeamView<'_>, &mut TeamScreenState, Option<&mut Revealed>, Option<&mut ShownCode>) {
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
            browsers: &self.browsers,
        };
        (view, &mut self.screen, self.revealed.as_mut(), self.invitation.as_mut())
    }

    fn label_of(&self, id: &KeyId) -> String {
        self.list.iter().find(|k| k.record.id == *id).map(|k| k.record.label.clone()).unwrap_or_default()
    }
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
    match error {
        TeamError::Server(KvError::TokenRejected) => "The server no longer accepts this token (it expired or was revoked): ask your team's admin for a new one, lock Keydesk and type it at the unlock screen.".to_owned(),
        other => other.to_string(),
    }
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
            TeamError::Server(KvError::TokenRejected) if from == TokenFrom::Keychain => "The server no longer accepts the token kept in the OS keychain (it expired or was revoked): paste the new one your team's admin gives you.".to_owned(),
            other => sentence(other),
        },
    }
}

/// This computer's copy as read, with its keys parsed.
type ReadCopy = (Option<Snapshot>, Option<Vec<TeamKey>>);

fn read_copy(dir: &Path, team_id: &str) -> ReadCopy {
    let copy = folder::read_copy(dir).filter(|copy| copy.team_id == team_id);
    let list = copy.as_ref().map(Snapshot::keys);
    (copy, list)
}

/// The team vault of `dir`, unlocked; from this computer's copy, read-only, when the server
/// cannot be reached.
pub(super) fn open(
    (dir, open_store, again): (&Path, &StoreFactory, Option<crate::team::kv::SignInAgain>),
    (token, from): (&Zeroizing<String>, TokenFrom),
    password: &SecretString,
    mut memory: Option<KdfMemory>,
    now: DateTime<Utc>,
) -> Result<TeamSession, OpenError> {
    let failed = |message: String| OpenError { message, wrong_password: false };
    let config = folder::read_config(dir).map_err(failed)?;
    let location =
        Location::new(&config.addr, &config.mount, &config.path).map_err(|e| failed(e.to_string()))?;
    // This computer's copy is read and its records parsed (10,000 keys: 4.5 MB) while the
    // server is asked and the password derived.
    let team_id = config.team_id.clone();
    let dir_owned = dir.to_owned();
    #[allow(
        clippy::disallowed_methods,
        reason = "read beside the unlock, inside its job: joined before it ends"
    )]
    let parse = std::thread::Builder::new()
        .name("keydesk: team copy".into())
        .spawn(move || read_copy(&dir_owned, &team_id));
    // Signing in again is for the open session: a token refused here is the unlock screen's.
    let connected =
        TeamVault::connect(Kv::new(location.clone(), token.clone()), config.clone()).map(|mut vault| {
            if let Some(again) = again {
                vault.sign_in_again_with(again);
            }
            vault
        });
    let parsed = |parse: std::io::Result<std::thread::JoinHandle<ReadCopy>>| {
        parse.ok().and_then(|thread| thread.join().ok()).unwrap_or_else(|| read_copy(dir, &config.team_id))
    };
    let vault = match connected {
        Ok(vault) => vault,
        Err(error) => {
            let (cached, list) = parsed(parse);
            return match (away(&error), cached) {
                (Some(away), Some(copy)) => {
                    let problem = away_sentence(away, &copy);
                    let vault = TeamVault::offline(Kv::new(location, token.clone()), config.clone());
                    let list = list.unwrap_or_default();
                    Ok(TeamSession::new(vault, None, (copy, list), false, Some(problem)))
                }
                (Some(_), None) => Err(failed(format!(
                    "{} This computer has no copy of the team vault's keys yet: try again when it answers.",
                    sentence(&error)
                ))),
                _ => {
                    if from == TokenFrom::Keychain
                        && matches!(error, TeamError::Server(KvError::TokenRejected))
                    {
                        folder::forget_token(open_store(SecretBackend::Keychain, dir), &config);
                    }
                    Err(open_error_of(&error, from, &config.sign_in))
                }
            };
        }
    };
    let keys = vault.unlock_in(password, memory.as_mut()).map_err(|e| open_error(&e, from))?;
    drop(memory);
    session_of(dir, vault, keys, parsed(parse), now).map_err(|e| open_error(&e, from))
}

/// The session on an unlocked team vault: what its token may do, and this computer's copy
/// (`cached`, with its keys parsed) brought up to date and kept when keys changed (a few trail
/// entries read again next time cost less than writing 4.5 MB at each unlock).
fn session_of(
    dir: &Path,
    vault: TeamVault,
    keys: TeamKeys,
    (cached, list): ReadCopy,
    now: DateTime<Utc>,
) -> Result<TeamSession, TeamError> {
    let writable = vault.can_write()?;
    let refreshed = vault.refresh(cached, now)?;
    let changed = refreshed.keys_read > 0 || refreshed.full;
    let problem = if changed { folder::save_copy(dir, &refreshed.snapshot).err() } else { None };
    let list = match list {
        Some(list) if !changed => list,
        _ => refreshed.snapshot.keys(),
    };
    Ok(TeamSession::new(vault, Some(keys), (refreshed.snapshot, list), writable, problem))
}

/// Makes (or, with a code, joins) the team vault `setup` names, and writes `team.ron` in `dir`;
/// `signed_in`: the connection a sign-in with the company account gave.
fn create(
    dir: &Path,
    (setup, signed_in): (&TeamSetup, Option<Kv>),
    password: &SecretString,
    kdf: KdfParams,
    now: DateTime<Utc>,
) -> Result<TeamSession, OpenError> {
    let failed = |message: String| OpenError { message, wrong_password: false };
    crate::vault::check_new_password(password).map_err(|e| failed(e.to_string()))?;
    crate::team::check_member(&setup.member).map_err(|e| failed(e.to_string()))?;
    let location =
        Location::new(&setup.addr, &setup.mount, &setup.path).map_err(|e| failed(e.to_string()))?;
    let kv = match (&setup.login, signed_in) {
        (_, Some(kv)) => kv,
        (Some((name, server_password)), None) => {
            crate::team::signin::userpass(location, crate::team::signin::USERPASS, name, server_password)
                .map_err(|e| failed(e.to_string()))?
        }
        (None, None) => Kv::new(location, Zeroizing::new(setup.token.expose_secret().trim().to_owned())),
    };
    let mut rng = os_rng();
    let (mut vault, keys) = match &setup.code {
        Some(code) => TeamVault::join(kv, &setup.member, code, password, kdf, &mut rng, now),
        None => TeamVault::create(kv, &setup.member, password, kdf, &mut rng, now),
    }
    .map_err(|e| failed(sentence(&e)))?;
    if setup.company {
        vault.set_sign_in(crate::team::signin::SignIn::Oidc {
            mount: crate::team::oidc::MOUNT.to_owned(),
            role: crate::team::oidc::ROLE.to_owned(),
        });
    } else if let Some((name, _)) = &setup.login {
        vault.set_sign_in(crate::team::signin::SignIn::Userpass {
            mount: crate::team::signin::USERPASS.to_owned(),
            name: name.clone(),
        });
    }
    folder::write_config(dir, vault.config()).map_err(failed)?;
    session_of(dir, vault, keys, (None, None), now).map_err(|e| open_error(&e, TokenFrom::Typed))
}

/// On a team vault that signs in with a name and password: signs in with `typed` and gives
/// the server's token (`None` on a vault that signs in with a token: `typed` is one).
fn sign_in(dir: &Path, typed: &SecretString) -> Result<Option<Zeroizing<String>>, String> {
    let config = folder::read_config(dir)?;
    let crate::team::signin::SignIn::Userpass { mount, name } = &config.sign_in else { return Ok(None) };
    let location = Location::new(&config.addr, &config.mount, &config.path).map_err(|e| e.to_string())?;
    let kv = crate::team::signin::userpass(location, mount, name, typed).map_err(|e| e.to_string())?;
    Ok(Some(kv.token()))
}

/// The token the OS keychain keeps for the team vault of `dir`, if any.
fn kept_token(open_store: &StoreFactory, dir: &Path) -> Option<Zeroizing<String>> {
    let config = folder::read_config(dir).ok()?;
    let store = open_store(SecretBackend::Keychain, dir).ok()?;
    folder::kept_token(store.as_ref(), &config)
}

/// Keeps `token` in the OS keychain; the warning to show when it could not be.
pub(super) fn keep_token(
    open_store: &StoreFactory,
    dir: &Path,
    config: &TeamConfig,
    token: &Zeroizing<String>,
) -> Option<String> {
    folder::keep_token(
        open_store(SecretBackend::Keychain, dir),
        config,
        token,
        "you will be asked for it at the next unlock",
    )
}

/// The unlock screen's state for the folder: with the team vault's place when it is one.
pub(super) fn lock_state(dir: &Path) -> unlock::UnlockState {
    let mut state = unlock::UnlockState::default();
    if folder::is_team(dir) {
        let config = folder::read_config(dir);
        let place = match &config {
            Ok(config) => format!("{}, as {}", config.place(), config.member),
            Err(error) => error.clone(),
        };
        let company = config.as_ref().is_ok_and(|config| config.sign_in.is_oidc());
        state.team = Some(TeamLock {
            place,
            token_from_env: folder::token_from_env().is_some(),
            token: Default::default(),
            kept: None,
            remember: true,
            use_other: false,
            sign_in_name: config.ok().and_then(|config| config.sign_in.name().map(str::to_owned)),
            company,
            signing_in: None,
        });
    }
    state
}

impl KeydeskApp {
    /// The team session, if one is open.
    pub fn team(&self) -> Option<&TeamSession> {
        match &self.phase {
            Phase::Team(session) => Some(session),
            _ => None,
        }
    }

    pub(super) fn create_team(&mut self, ctx: &egui::Context, setup: TeamSetup, password: SecretString) {
        let dir = self.services.dir.clone();
        let kdf = self.services.new_vault_kdf;
        let now = self.now();
        let open_store = self.services.open_store.clone();
        let label = match (setup.company, setup.code.is_some()) {
            (true, _) => super::company_login::LABEL,
            (false, true) => "Joining the team vault",
            (false, false) => "Creating the team vault",
        };
        let company = setup.company.then(|| self.company_signing_in(ctx));
        self.jobs.spawn_counted(ctx, label, Records::No, move |progress| {
            let signed_in = match company.map(|sign_in| sign_in(&setup, progress.cancel_flag())) {
                Some(Err(message)) => {
                    return Done::Team(TeamDone::Opened(Err(OpenError { message, wrong_password: false })));
                }
                Some(Ok(kv)) => Some(kv),
                None => None,
            };
            let opened = create(&dir, (&setup, signed_in), &password, kdf, now).map(|mut session| {
                if setup.remember {
                    // The token typed, or the one the server gave at the sign-in.
                    let token = session.vault.token();
                    session.notice = keep_token(&open_store, &dir, session.vault.config(), &token);
                }
                Box::new(session)
            });
            Done::Team(TeamDone::Opened(opened))
        });
    }

    /// Asks the OS keychain whether it keeps this team vault's token (for the unlock screen).
    pub(super) fn look_for_kept_token(&mut self, ctx: &egui::Context) {
        let dir = self.services.dir.clone();
        if !folder::is_team(&dir) || folder::token_from_env().is_some() {
            return;
        }
        let open_store = self.services.open_store.clone();
        self.jobs.spawn(ctx, "Looking for the server token in the OS keychain", Records::No, move || {
            Done::Team(TeamDone::TokenKept(kept_token(&open_store, &dir).is_some()))
        });
    }

    pub(super) fn unlock_team(
        &mut self,
        ctx: &egui::Context,
        password: SecretString,
        token: Option<SecretString>,
        remember: bool,
    ) {
        // The token: typed here, else from the environment, else (read by the job) the one
        // the OS keychain keeps.
        // On a vault that signs in with a name and password, what is typed is that password
        // (kept as typed), and the job signs in with it.
        let server_password = token.clone();
        let typed = token.map(|t| Zeroizing::new(t.expose_secret().trim().to_owned()));
        let (given, from) = match (typed, folder::token_from_env()) {
            (Some(typed), _) => (Some(typed), TokenFrom::Typed),
            (None, Some(env)) => (Some(env), TokenFrom::Environment),
            (None, None) => (None, TokenFrom::Keychain),
        };
        let kept = matches!(&self.phase, Phase::Locked(state) if state.team.as_ref().is_some_and(|t| t.kept == Some(true)));
        if given.is_none() && !kept {
            if let Phase::Locked(state) = &mut self.phase {
                let signs_in = state.team.as_ref().is_some_and(|team| team.sign_in_name.is_some());
                state.failed(if signs_in {
                    "The server password is empty: type your password on the team's server.".to_owned()
                } else {
                    "The server token is empty: paste the token your team's admin gave you.".to_owned()
                });
            }
            return;
        }
        self.unlock_started = Some(std::time::Instant::now());
        let dir = self.services.dir.clone();
        let now = self.now();
        let prepared = self.kdf_memory.take();
        let open_store = self.services.open_store.clone();
        let again = super::sign_in_again::signing_in_again(
            self.sign_in_again.asking.clone(),
            ctx.clone(),
            (open_store.clone(), self.services.browser.clone()),
            dir.clone(),
        );
        self.jobs.spawn(ctx, "Unlocking the team vault", Records::No, move || {
            // The memory made ready while the password was typed (at the default cost).
            let memory = prepared.and_then(|thread| thread.join().ok().flatten());
            let given = match (from, server_password) {
                (TokenFrom::Typed, Some(typed)) => match sign_in(&dir, &typed) {
                    Ok(Some(token)) => Some(token),
                    Ok(None) => given,
                    Err(message) => {
                        return Done::Team(TeamDone::Opened(Err(OpenError { message, wrong_password: false })));
                    }
                },
                _ => given,
            };
            let Some(token) = given.or_else(|| kept_token(&open_store, &dir)) else {
                let message = "No server token is kept in the OS keychain any more: paste the token your team's admin gave you.";
                return Done::Team(TeamDone::Opened(Err(OpenError { message: message.to_owned(), wrong_password: false })));
            };
            let opened = open((&dir, &open_store, again), (&token, from), &password, memory, now).map(|mut session| {
                if from == TokenFrom::Typed && remember {
                    session.notice = keep_token(&open_store, &dir, session.vault.config(), &token);
                }
                Box::new(session)
            });
            Done::Team(TeamDone::Opened(opened))
        });
    }

    /// Takes in what a team job answered; each group of answers has its own method.
    pub(super) fn team_done(&mut self, ctx: &egui::Context, done: TeamDone) {
        let now = self.now();
        // Each group of answers is taken in by the method for it.
        match done {
            done @ (TeamDone::Opened(_) | TeamDone::TokenKept(_)) => self.opening_done(ctx, done, now),
            done @ (TeamDone::Created(_) | TeamDone::Changed(_)) => self.key_done(ctx, done, now),
            done @ (TeamDone::Revealed(..)
            | TeamDone::ToCopy(..)
            | TeamDone::CopyRecorded { .. }
            | TeamDone::Failed(_)) => self.reveal_copy_done(ctx, done, now),
            done @ (TeamDone::Members(_)
            | TeamDone::Invited(..)
            | TeamDone::PasswordChanged(_)
            | TeamDone::MemberRemoved(_)) => self.members_done(ctx, done, now),
            done @ (TeamDone::Revoked(..) | TeamDone::Rotated { .. }) => self.rotation_done(done, now),
            done @ (TeamDone::Audit(_) | TeamDone::Incidents(_) | TeamDone::IncidentClosed(_)) => {
                self.incidents_done(ctx, done, now);
            }
            done @ (TeamDone::Accounts(_) | TeamDone::AccountChanged(_) | TeamDone::AccountTested(..)) => {
                self.accounts_done(ctx, done, now);
            }
            done @ (TeamDone::ImportPreviewed(..) | TeamDone::Said(_)) => self.transfer_done(done, now),
            TeamDone::Browsers(result) => self.browsers_done(result, now),
        }
    }

    /// Takes in the team vault's opening (the session, or why it did not open) and whether the
    /// sign-in token was kept.
    fn opening_done(&mut self, ctx: &egui::Context, done: TeamDone, now: DateTime<Utc>) {
        match done {
            TeamDone::Opened(Ok(mut session)) => {
                self.unlock_finished = Some(std::time::Instant::now());
                self.failed_unlocks = 0;
                self.retry_at = None;
                self.banner = None;
                self.last_activity = now;
                if let Some(notice) = session.notice.take() {
                    self.toasts.warn(notice, now);
                }
                self.phase = Phase::Team(session);
            }
            TeamDone::Opened(Err(error)) => {
                // A kept token the server refused: the field shows for a new one.
                if let Phase::Locked(state) = &mut self.phase
                    && let Some(team) = &mut state.team
                    && !error.wrong_password
                    && team.kept == Some(true)
                {
                    team.use_other = true;
                }
                // A sign-in kept before a mistyped master password is used at the next try.
                let kept_since = error.wrong_password;
                self.unlock_failed(ctx, error, now);
                // The screen says it under its button; a banner would say it twice.
                self.banner = None;
                if kept_since {
                    if let Phase::Locked(state) = &mut self.phase
                        && let Some(team) = state.team.as_mut().filter(|team| team.company)
                    {
                        team.use_other = false;
                    }
                    self.look_for_kept_token(ctx);
                }
            }
            TeamDone::TokenKept(kept) => {
                if let Phase::Locked(state) = &mut self.phase
                    && let Some(team) = &mut state.team
                {
                    team.kept = Some(kept);
                }
            }
            // The other answers are taken in by the other groups (see `team_done`).
            _ => {}
        }
    }

    /// Takes in a change to the keys (add, create, generate, edit) and shows it at once.
    fn key_done(&mut self, ctx: &egui::Context, done: TeamDone, now: DateTime<Utc>) {
        match done {
            // Said as an add is; a key that could be neither kept nor deleted is shown once.
            TeamDone::Created(result) => {
                let result = result.map_err(|(error, leftover)| {
                    if let (Phase::Team(session), Some(code)) = (&mut self.phase, leftover) {
                        session.invitation = Some(ShownCode { member: None, code, galley: None });
                    }
                    error
                });
                self.team_done(ctx, TeamDone::Changed(result));
            }
            TeamDone::Changed(result) => {
                let Phase::Team(session) = &mut self.phase else { return };
                session.changes += 1;
                // The change shows at once: the next poll starts now.
                session.next_poll = DateTime::<Utc>::MIN_UTC;
                match result {
                    Ok(said) => {
                        session.screen.adding = None;
                        session.screen.editing = None;
                        session.screen.revoking = None;
                        self.toasts.info(said, now);
                    }
                    Err(error) => match (&mut session.screen.adding, &mut session.screen.revoking) {
                        (Some(form), _) => form.error = Some(error),
                        (None, Some(form)) => form.error = Some(error),
                        (None, None) => self.toasts.error(error, now),
                    },
                }
            }
            // The other answers are taken in by the other groups (see `team_done`).
            _ => {}
        }
    }

    /// Takes in a revealed secret, or one to copy and the audit trail's record of the copy.
    fn reveal_copy_done(&mut self, ctx: &egui::Context, done: TeamDone, now: DateTime<Utc>) {
        match done {
            TeamDone::Revealed(id, result) => {
                let Phase::Team(session) = &mut self.phase else { return };
                match result {
                    Ok(secret) => {
                        session.revealed = Some(Revealed {
                            key_id: id,
                            secret,
                            until: now + chrono::Duration::seconds(REVEAL_SECS),
                            galley: None,
                        });
                    }
                    Err(error) => self.toasts.error(sentence(&error), now),
                }
            }
            TeamDone::ToCopy(key, result) => {
                let Phase::Team(session) = &mut self.phase else { return };
                let (secret, keys) = match (result, &session.keys) {
                    (Ok(secret), Some(keys)) => (secret, keys.clone()),
                    (Err(error), _) => {
                        return self.toasts.error(sentence(&error), now);
                    }
                    (Ok(_), None) => return,
                };
                let label = key.record.label.clone();
                let taken =
                    self.services.clipboard.set_secret(secret.expose_secret()).map_err(|e| e.to_string());
                // This computer's setting for the team vault (team.ron), as a local copy's.
                let secs = session.vault.config().settings.clipboard_clear_secs;
                if taken.is_ok() {
                    self.copy = Some(PendingClear {
                        label: label.clone(),
                        fingerprint: fingerprint(secret.expose_secret()),
                        clear_at: now + chrono::Duration::seconds(i64::from(secs)),
                    });
                }
                let vault = session.vault.clone();
                self.jobs.spawn(
                    ctx,
                    "Recording the copy in the team's audit trail",
                    Records::Yes,
                    move || {
                        let result = match vault.record_copy(&keys, &key, taken.clone(), now) {
                            Ok(()) => taken,
                            Err(error) => Err(format!(
                                "the team's audit trail could not record it ({})",
                                sentence(&error)
                            )),
                        };
                        Done::Team(TeamDone::CopyRecorded { label, result, secs })
                    },
                );
            }
            TeamDone::CopyRecorded { label, result, secs } => {
                match result {
                    Ok(()) => self.toasts.info(format!("Copied {label} — clears in {secs} s"), now),
                    Err(error) => {
                        // A copy the trail did not record is taken back off the clipboard.
                        if self.copy.as_ref().is_some_and(|c| c.label == label) {
                            let _nothing_to_clear = self.services.clipboard.clear();
                            self.copy = None;
                        }
                        self.toasts.error(format!("{label} was not copied: {error}"), now);
                    }
                }
            }
            TeamDone::Failed(error) => {
                self.toasts.error(sentence(&error), now);
            }
            // The other answers are taken in by the other groups (see `team_done`).
            _ => {}
        }
    }

    /// Takes in the members' list, an invitation, a password change or a member's removal.
    fn members_done(&mut self, ctx: &egui::Context, done: TeamDone, now: DateTime<Utc>) {
        match done {
            TeamDone::Members(read) => {
                let Phase::Team(session) = &mut self.phase else { return };
                match read {
                    Ok((members, admin)) => {
                        session.members = Some(members);
                        session.admin = Some(admin);
                    }
                    Err(error) => {
                        session.screen.members_open = false;
                        self.toasts.error(sentence(&error), now);
                    }
                }
            }
            TeamDone::Invited(name, code) => {
                let Phase::Team(session) = &mut self.phase else { return };
                match code {
                    Ok(code) => {
                        session.invitation = Some(ShownCode { member: Some(name), code, galley: None });
                        self.run_team(ctx, TeamCommand::LoadMembers);
                    }
                    Err(error) => self.toasts.error(sentence(&error), now),
                }
            }
            TeamDone::PasswordChanged(result) => {
                let Phase::Team(session) = &mut self.phase else { return };
                match result {
                    Ok((said, keys)) => {
                        if let Some(keys) = keys {
                            session.keys = Some(Arc::new(keys));
                            session.changes += 1;
                            session.next_poll = DateTime::<Utc>::MIN_UTC;
                        }
                        session.screen.password = None;
                        self.toasts.info(said, now);
                        // Read again: the next change starts at the cost just chosen.
                        self.run_team(ctx, TeamCommand::LoadMembers);
                    }
                    Err(error) => match &mut session.screen.password {
                        Some(form) => form.error = Some(sentence(&error)),
                        None => self.toasts.error(sentence(&error), now),
                    },
                }
            }
            TeamDone::MemberRemoved(result) => {
                let Phase::Team(session) = &mut self.phase else { return };
                match result {
                    Ok((name, removed, keys)) => {
                        session.keys = Some(Arc::new(keys));
                        session.changes += 1;
                        session.next_poll = DateTime::<Utc>::MIN_UTC;
                        let mut said = format!(
                            "Removed {name}: the team's key was replaced and {} sealed again under it. {}",
                            crate::vault::count_keys(removed.resealed),
                            removed.signed_out.as_ref().map(|out| out.sentence(&name)).unwrap_or_default()
                        );
                        if !removed.exposed.is_empty() {
                            let labels: Vec<&str> =
                                removed.exposed.iter().map(|r| r.label.as_str()).collect();
                            said.push_str(&format!(
                                " {name} could read these keys: rotate them at their providers: {}.",
                                labels.join(", ")
                            ));
                        }
                        self.toasts.warn(said, now);
                        self.run_team(ctx, TeamCommand::LoadMembers);
                    }
                    Err(error) => self.toasts.error(sentence(&error), now),
                }
            }
            // The other answers are taken in by the other groups (see `team_done`).
            _ => {}
        }
    }

    /// Takes in a revoke (which goes on to the key's replacement) and each step of a rotation.
    fn rotation_done(&mut self, done: TeamDone, now: DateTime<Utc>) {
        match done {
            TeamDone::Revoked(key, Ok(said)) => {
                let Phase::Team(session) = &mut self.phase else { return };
                session.changes += 1;
                session.next_poll = DateTime::<Utc>::MIN_UTC;
                // The walk-through goes on: the key's replacement is asked for next (unless
                // one is under way already).
                let found =
                    session.list.iter().find(|k| k.record.id == key && k.record.replaced_by.is_none());
                session.screen.revoking = None;
                session.screen.replacing = found.map(|k| crate::ui::team_rotation::ReplaceForm {
                    key: key.clone(),
                    label: k.record.label.clone(),
                    provider: k.record.provider.name(),
                    secret: crate::ui::widgets::SecretInput::default(),
                    error: None,
                });
                self.toasts.info(said, now);
            }
            TeamDone::Revoked(_key, Err(error)) => {
                let Phase::Team(session) = &mut self.phase else { return };
                match &mut session.screen.revoking {
                    Some(form) => form.error = Some(error),
                    None => self.toasts.error(error, now),
                }
            }
            TeamDone::Rotated { result, open } => {
                let Phase::Team(session) = &mut self.phase else { return };
                session.changes += 1;
                session.next_poll = DateTime::<Utc>::MIN_UTC;
                let screen = &mut session.screen;
                match result {
                    Ok(said) => {
                        screen.replacing = None;
                        screen.rotation = open.map(|old| crate::ui::team_rotation::RotationForm {
                            old,
                            reason: String::new(),
                            at_provider: false,
                            error: None,
                        });
                        self.toasts.info(said, now);
                    }
                    Err(error) => match (&mut screen.replacing, &mut screen.rotation) {
                        (Some(form), _) => form.error = Some(error),
                        (None, Some(form)) => form.error = Some(error),
                        (None, None) => self.toasts.error(error, now),
                    },
                }
            }
            // The other answers are taken in by the other groups (see `team_done`).
            _ => {}
        }
    }

    /// Takes in the audit trail, the incidents and an incident closed.
    fn incidents_done(&mut self, ctx: &egui::Context, done: TeamDone, now: DateTime<Utc>) {
        match done {
            TeamDone::Audit(read) => {
                let Phase::Team(session) = &mut self.phase else { return };
                session.audit = Some(*read);
            }
            TeamDone::Incidents(read) => {
                let Phase::Team(session) = &mut self.phase else { return };
                let panel = (&mut session.incidents, &mut session.screen.incidents_open);
                panel_read(read, panel, &mut self.toasts, now);
            }
            TeamDone::IncidentClosed(result) => {
                let Phase::Team(session) = &mut self.phase else { return };
                match result {
                    Ok(said) => {
                        session.screen.incidents.error = None;
                        self.toasts.info(said, now);
                    }
                    Err(error) => session.screen.incidents.error = Some(error),
                }
                self.run_team(ctx, TeamCommand::LoadIncidents);
            }
            // The other answers are taken in by the other groups (see `team_done`).
            _ => {}
        }
    }

    /// Takes in the team's provider accounts, a change to them and an account tested.
    fn accounts_done(&mut self, ctx: &egui::Context, done: TeamDone, now: DateTime<Utc>) {
        match done {
            TeamDone::Accounts(read) => {
                let Phase::Team(session) = &mut self.phase else { return };
                let panel = (&mut session.accounts, &mut session.screen.accounts_open);
                panel_read(read.map_err(|e| sentence(&e)), panel, &mut self.toasts, now);
            }
            TeamDone::AccountChanged(result) => {
                let Phase::Team(session) = &mut self.phase else { return };
                match result {
                    Ok(said) => {
                        let tested = std::mem::take(&mut session.screen.accounts.tested);
                        session.screen.accounts =
                            crate::ui::state::AccountsState { tested, ..Default::default() };
                        self.toasts.info(said, now);
                    }
                    Err(error) => session.screen.accounts.error = Some(error),
                }
                self.run_team(ctx, TeamCommand::LoadAccounts);
            }
            TeamDone::AccountTested(id, result) => {
                let Phase::Team(session) = &mut self.phase else { return };
                session.screen.accounts.tested.insert(id, (result, now));
            }
            // The other answers are taken in by the other groups (see `team_done`).
            _ => {}
        }
    }

    /// Takes in an import preview, and what an import, an export or a key answer said.
    fn transfer_done(&mut self, done: TeamDone, now: DateTime<Utc>) {
        match done {
            TeamDone::ImportPreviewed(read, picker) => {
                let Phase::Team(session) = &mut self.phase else { return };
                session.screen.transfer.previewed(read.map(|preview| *preview), picker.map(|picker| *picker));
            }
            TeamDone::Said(result) => {
                let Phase::Team(session) = &mut self.phase else { return };
                // What it changed (an answer on a key, imported keys) comes with the next poll.
                session.changes += 1;
                session.next_poll = DateTime::<Utc>::MIN_UTC;
                match result {
                    Ok(said) => self.toasts.info(said, now),
                    Err(error) => self.toasts.error(error, now),
                }
            }
            // The other answers are taken in by the other groups (see `team_done`).
            _ => {}
        }
    }

    /// Takes in the browsers allowed to fill from the team vault.
    fn browsers_done(&mut self, result: Result<(Vec<String>, String), String>, now: DateTime<Utc>) {
        let Phase::Team(session) = &mut self.phase else { return };
        match result {
            Ok((browsers, said)) => {
                session.browsers = browsers;
                self.toasts.info(said, now);
            }
            Err(error) => self.toasts.error(error, now),
        }
    }

    /// Runs a command from the team screen: what needs no key at once, the rest as a job by group.
    pub(super) fn run_team(&mut self, ctx: &egui::Context, command: TeamCommand) {
        let now = self.now();
        let busy = self.jobs.busy().is_some();
        let Phase::Team(session) = &mut self.phase else { return };
        // What needs neither the team's keys nor the job runner to itself.
        match &command {
            TeamCommand::HideReveal => return session.revealed = None,
            TeamCommand::Retry => return session.next_poll = DateTime::<Utc>::MIN_UTC,
            TeamCommand::DismissInvitation => return session.invitation = None,
            TeamCommand::StopBrowser(browser) => {
                #[cfg(target_os = "linux")]
                self.set_browser_allowed(ctx, browser.clone(), false);
                #[cfg(not(target_os = "linux"))]
                drop(browser);
                return;
            }
            TeamCommand::LoadAccounts => {
                let vault = session.vault.clone();
                self.jobs.spawn(ctx, "Reading the team's provider accounts", Records::No, move || {
                    let read = vault.accounts().map(|found| found.into_iter().map(|a| a.account).collect());
                    Done::Team(TeamDone::Accounts(read))
                });
                return;
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
                        return Done::Team(TeamDone::Incidents(Err(why.to_owned())));
                    };
                    let read = vault
                        .incidents(&keys)
                        .and_then(|found| crate::team::incidents::with_timelines(&vault, &found, &records));
                    Done::Team(TeamDone::Incidents(read.map_err(|e| sentence(&e))))
                });
                return;
            }
            TeamCommand::LoadAudit => {
                session.audit = None;
                let (vault, keys) = (session.vault.clone(), session.keys.clone());
                self.jobs.spawn(ctx, "Reading the audit trail", Records::No, move || {
                    Done::Team(TeamDone::Audit(Box::new(read_audit(&vault, keys.as_deref()))))
                });
                return;
            }
            TeamCommand::LoadMembers => {
                session.members = None;
                let vault = session.vault.clone();
                self.jobs.spawn(ctx, "Reading the team's members", Records::No, move || {
                    let read = vault.members().and_then(|members| Ok((members, vault.can_administer()?)));
                    Done::Team(TeamDone::Members(read))
                });
                return;
            }
            _ => {}
        }
        // One change at a time (the screen's buttons wait meanwhile, too).
        let Some(keys) = session.keys.clone().filter(|_| !busy) else { return };
        let with = (keys, session.vault.clone());
        let jobs = &mut self.jobs;
        // Each group of commands is started by the function for it.
        match command {
            TeamCommand::HideReveal
            | TeamCommand::Retry
            | TeamCommand::Lock
            | TeamCommand::LoadMembers
            | TeamCommand::LoadAccounts
            | TeamCommand::LoadIncidents
            | TeamCommand::LoadAudit
            | TeamCommand::DismissInvitation
            | TeamCommand::StopBrowser(_) => {}
            command @ (TeamCommand::Reveal(_) | TeamCommand::Copy(_)) => {
                run_reveal_copy(jobs, ctx, session, with, now, command);
            }
            command @ (TeamCommand::Verify(_)
            | TeamCommand::Generate { .. }
            | TeamCommand::Create { .. }
            | TeamCommand::AskUsage { .. }
            | TeamCommand::Add { .. }
            | TeamCommand::Edit { .. }) => run_key_command(jobs, ctx, session, with, now, command),
            command @ (TeamCommand::Invite(_)
            | TeamCommand::ChangePassword(_)
            | TeamCommand::RemoveMember(_)) => run_member_command(jobs, ctx, with, now, command),
            command @ (TeamCommand::Revoke { .. }
            | TeamCommand::Replace { .. }
            | TeamCommand::MarkRotation { .. }
            | TeamCommand::CompleteRotation { .. }
            | TeamCommand::AbandonRotation { .. }) => {
                run_rotation_command(jobs, ctx, session, with, now, command);
            }
            TeamCommand::CloseIncident { id, summary } => {
                run_close_incident(jobs, ctx, with, now, (id, summary));
            }
            command @ TeamCommand::Account(_) => run_account_command(jobs, ctx, session, with, now, command),
            command @ TeamCommand::Transfer(_) => {
                run_transfer_command(jobs, ctx, session, with, now, command);
            }
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
        let changes = session.changes;
        let poll = move || {
            let result = vault.refresh(Some(copy), now).map(|refreshed| {
                let changed = refreshed.keys_read > 0 || refreshed.full;
                if changed {
                    // A copy that cannot be saved is read again at the next start.
                    let _read_again_next_start = folder::save_copy(&dir, &refreshed.snapshot);
                }
                let list = changed.then(|| refreshed.snapshot.keys());
                Polled { refreshed, list }
            });
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

/// Starts a reveal or a copy of a key's secret, read fresh from the server.
fn run_reveal_copy(
    jobs: &mut Jobs<Done>,
    ctx: &egui::Context,
    session: &TeamSession,
    (keys, vault): (Arc<TeamKeys>, Arc<TeamVault>),
    now: DateTime<Utc>,
    command: TeamCommand,
) {
    match command {
        TeamCommand::Reveal(id) => {
            let label = format!("Revealing \"{}\"", session.label_of(&id));
            jobs.spawn(ctx, label, Records::Yes, move || {
                let result = fresh(&vault, &id).and_then(|key| vault.reveal(&keys, &key, now));
                Done::Team(TeamDone::Revealed(id, result))
            });
        }
        TeamCommand::Copy(id) => {
            let label = format!("Copying \"{}\"", session.label_of(&id));
            jobs.spawn(ctx, label, Records::No, move || match fresh(&vault, &id) {
                Ok(key) => {
                    let secret = vault.secret_to_copy(&keys, &key);
                    Done::Team(TeamDone::ToCopy(Box::new(key), secret))
                }
                Err(error) => Done::Team(TeamDone::Failed(error)),
            });
        }
        // The other commands are started by the other groups (see `run_team`).
        _ => {}
    }
}

/// Starts a change to the keys (add, create, generate, edit) or a question about one (verify, last use).
fn run_key_command(
    jobs: &mut Jobs<Done>,
    ctx: &egui::Context,
    session: &TeamSession,
    (keys, vault): (Arc<TeamKeys>, Arc<TeamVault>),
    now: DateTime<Utc>,
    command: TeamCommand,
) {
    match command {
        TeamCommand::Verify(id) => {
            let label = session.label_of(&id);
            jobs.spawn(ctx, format!("Verifying \"{label}\""), Records::Yes, move || {
                Done::Team(TeamDone::Said(verify(&vault, &keys, &id, &label, now)))
            });
        }
        TeamCommand::Generate { label, notes, spec } => {
            let existing = session.list.clone();
            jobs.spawn(ctx, "Generating a key in the team vault", Records::Yes, move || {
                let request = crate::vault::GenerateRequest { meta: meta(&label, notes), spec };
                let made = vault
                    .generate(&keys, &existing, request, &mut os_rng(), now)
                    .map(|(record, _shown_from_its_row)| {
                        format!(
                            "Generated \"{}\" in the team vault: Copy or Reveal it from its row.",
                            record.label
                        )
                    })
                    .map_err(|e| sentence(&e));
                Done::Team(TeamDone::Changed(made))
            });
        }
        TeamCommand::Create { label, notes, account, scopes } => {
            let existing = session.list.clone();
            jobs.spawn(ctx, "Creating the key at the provider", Records::Yes, move || {
                Done::Team(TeamDone::Created(create_at_provider(
                    &vault,
                    &keys,
                    existing,
                    (label, notes, &account),
                    &scopes,
                    now,
                )))
            });
        }
        TeamCommand::AskUsage { key, name } => {
            let label = session.label_of(&key);
            jobs.spawn(ctx, format!("Asking when \"{label}\" was last used"), Records::Yes, move || {
                Done::Team(TeamDone::Said(usage(&vault, &keys, &key, name.as_deref(), now)))
            });
        }
        TeamCommand::Add { label, notes, secret, account } => {
            let existing = session.list.clone();
            jobs.spawn(ctx, "Adding the key to the team vault", Records::Yes, move || {
                let added = add(&vault, &keys, &existing, (label, notes, account), &secret, now);
                Done::Team(TeamDone::Changed(added))
            });
        }
        TeamCommand::Edit { key, version, edit } => {
            jobs.spawn(ctx, "Saving the key in the team vault", Records::Yes, move || {
                let result = on_store(&vault, &keys, now, |store| {
                    actions::changes::edit(store, &key, Some(version), &edit)?;
                    Ok(format!(
                        "Saved \"{}\" in the team vault.",
                        actions::Store::key_record(store, &key)?.label
                    ))
                });
                Done::Team(TeamDone::Changed(result))
            });
        }
        // The other commands are started by the other groups (see `run_team`).
        _ => {}
    }
}

/// Starts an invitation, a password change or a member's removal.
fn run_member_command(
    jobs: &mut Jobs<Done>,
    ctx: &egui::Context,
    (keys, vault): (Arc<TeamKeys>, Arc<TeamVault>),
    now: DateTime<Utc>,
    command: TeamCommand,
) {
    match command {
        TeamCommand::Invite(name) => {
            jobs.spawn(ctx, format!("Inviting {name}"), Records::Yes, move || {
                let code = vault.invite(&keys, &name, &mut os_rng(), now);
                Done::Team(TeamDone::Invited(name, code))
            });
        }
        TeamCommand::ChangePassword(chosen) => {
            let label = if chosen.new_data_key {
                "Replacing the team's key and changing your password"
            } else {
                "Changing your password for the team vault"
            };
            jobs.spawn(ctx, label, Records::Yes, move || {
                Done::Team(TeamDone::PasswordChanged(change_password(&vault, &chosen, now)))
            });
        }
        TeamCommand::RemoveMember(name) => {
            let label = format!("Removing {name} and replacing the team's key");
            jobs.spawn(ctx, label, Records::Yes, move || {
                let removed = vault
                    .remove_member(&keys, &name, &mut os_rng(), now)
                    .map(|(removed, keys)| (name, Box::new(removed), keys));
                Done::Team(TeamDone::MemberRemoved(removed))
            });
        }
        // The other commands are started by the other groups (see `run_team`).
        _ => {}
    }
}

/// Starts a revoke (opening its incident first when asked) or a step of a key's rotation.
fn run_rotation_command(
    jobs: &mut Jobs<Done>,
    ctx: &egui::Context,
    session: &TeamSession,
    (keys, vault): (Arc<TeamKeys>, Arc<TeamVault>),
    now: DateTime<Utc>,
    command: TeamCommand,
) {
    match command {
        TeamCommand::Revoke { key, reason, at_provider, found_where } => {
            let member = vault.config().member.clone();
            jobs.spawn(ctx, "Revoking the key in the team vault", Records::Yes, move || {
                // The incident first: the revoke (and the replacement after it) are then
                // in its timeline.
                let opened = match found_where {
                    Some(found_where) => {
                        let report = IncidentReport { found_where, noticed_by: member, notes: String::new() };
                        fresh(&vault, &key)
                            .and_then(|read| vault.open_incident(&keys, &read, &report, &mut os_rng(), now))
                            .map(|id| format!("Opened incident {id}. "))
                            .map_err(|e| sentence(&e))
                    }
                    None => Ok(String::new()),
                };
                let result = opened.and_then(|opened| {
                    revoke(&vault, &keys, &key, &reason, at_provider, now)
                        .map(|said| format!("{opened}{said}"))
                });
                Done::Team(TeamDone::Revoked(key, result))
            });
        }
        TeamCommand::Replace { key, secret } => {
            let list = session.list.clone();
            jobs.spawn(ctx, "Starting the key's replacement", Records::Yes, move || {
                    let started = fresh(&vault, &key)
                        .and_then(|old| {
                            vault.rotate(&keys, &old, &list, &secret, &mut os_rng(), now)?;
                            let state = if old.record.is_live() { "is now retiring" } else { "stays revoked" };
                            Ok(format!(
                                "\"{}\" {state}; the new key is added. Mark each integration as it moves to it, then complete the rotation.",
                                old.record.label
                            ))
                        })
                        .map_err(|e| sentence(&e));
                    Done::Team(TeamDone::Rotated { result: started, open: Some(key) })
                });
        }
        TeamCommand::MarkRotation { old, integration, step } => {
            jobs.spawn(ctx, format!("Marking {integration}"), Records::Yes, move || {
                let marked = on_store(&vault, &keys, now, |store| {
                    actions::changes::mark_rotation(store, &old, &integration, step)
                })
                .map(|(moved, total)| format!("Marked. {moved} of {total} integrations moved."));
                Done::Team(TeamDone::Rotated { result: marked, open: Some(old) })
            });
        }
        TeamCommand::CompleteRotation { old, reason, at_provider } => {
            jobs.spawn(ctx, "Completing the rotation", Records::Yes, move || {
                let done = complete_rotation(&vault, &keys, &old, reason.as_deref(), at_provider, now);
                Done::Team(TeamDone::Rotated { result: done, open: None })
            });
        }
        TeamCommand::AbandonRotation { old, reason, at_provider } => {
            jobs.spawn(ctx, "Abandoning the rotation", Records::Yes, move || {
                let done = abandon_rotation(&vault, &keys, &old, &reason, at_provider, now);
                Done::Team(TeamDone::Rotated { result: done, open: None })
            });
        }
        // The other commands are started by the other groups (see `run_team`).
        _ => {}
    }
}

/// Starts closing an incident with its summary.
fn run_close_incident(
    jobs: &mut Jobs<Done>,
    ctx: &egui::Context,
    (keys, vault): (Arc<TeamKeys>, Arc<TeamVault>),
    now: DateTime<Utc>,
    (id, summary): (String, String),
) {
    jobs.spawn(ctx, format!("Closing incident {id}"), Records::Yes, move || {
        let closed = vault
            .close_incident(&keys, &id, &summary, now)
            .map(|()| format!("Closed incident {id}."))
            .map_err(|e| sentence(&e));
        Done::Team(TeamDone::IncidentClosed(closed))
    });
}

/// Starts adding, removing or testing one of the team's provider accounts.
fn run_account_command(
    jobs: &mut Jobs<Done>,
    ctx: &egui::Context,
    session: &TeamSession,
    (keys, vault): (Arc<TeamKeys>, Arc<TeamVault>),
    now: DateTime<Utc>,
    command: TeamCommand,
) {
    match command {
        TeamCommand::Account(AccountAction::Add { request, management_key }) => {
            let name = request.name.trim().to_owned();
            jobs.spawn(ctx, format!("Adding the account \"{name}\""), Records::Yes, move || {
                let added = vault
                    .add_account(&keys, request, management_key.as_ref(), &mut os_rng(), now)
                    .map(|account| {
                        format!(
                            "Added the {} account \"{}\" to the team vault.",
                            account.provider.name(),
                            account.name
                        )
                    })
                    .map_err(|e| sentence(&e));
                Done::Team(TeamDone::AccountChanged(added))
            });
        }
        TeamCommand::Account(AccountAction::Remove { id, name }) => {
            let list = session.list.clone();
            jobs.spawn(ctx, format!("Removing the account \"{name}\""), Records::Yes, move || {
                let removed = vault
                    .remove_account(&keys, &id, &list, now)
                    .map(|account| format!("Removed the account \"{}\" from the team vault.", account.name))
                    .map_err(|e| sentence(&e));
                Done::Team(TeamDone::AccountChanged(removed))
            });
        }
        TeamCommand::Account(AccountAction::Test(id)) => {
            jobs.spawn(ctx, "Testing the account's management key", Records::No, move || {
                let tested = test_account(&vault, &keys, &id, now);
                Done::Team(TeamDone::AccountTested(id, tested))
            });
        }
        // The other commands are started by the other groups (see `run_team`).
        _ => {}
    }
}

/// Starts reading a file to import, the import itself or an export.
fn run_transfer_command(
    jobs: &mut Jobs<Done>,
    ctx: &egui::Context,
    session: &mut TeamSession,
    (keys, vault): (Arc<TeamKeys>, Arc<TeamVault>),
    now: DateTime<Utc>,
    command: TeamCommand,
) {
    match command {
        TeamCommand::Transfer(TransferAction::Preview { path, format, columns }) => {
            let list = session.list.clone();
            jobs.spawn(ctx, "Reading the file to import", Records::No, move || {
                let how = crate::actions::transfer::ReadAs { format, columns: columns.as_deref() };
                let read = folder::read_import(&keys, &list, &crate::storage::expand_home(&path), how);
                let picker = super::transfer::picker(&read, &path, columns.as_deref());
                Done::Team(TeamDone::ImportPreviewed(read.map(Box::new), picker))
            });
        }
        TeamCommand::Transfer(TransferAction::Import) => {
            let Some(preview) = session.screen.transfer.import_preview.take() else { return };
            let list = session.list.clone();
            jobs.spawn_counted(ctx, "Importing keys into the team vault", Records::Yes, move |progress| {
                    let imported = folder::import(&vault, &keys, &list, &preview, &mut |done, total| {
                        progress.set(done, total);
                        if progress.is_cancelled() {
                            std::ops::ControlFlow::Break(())
                        } else {
                            std::ops::ControlFlow::Continue(())
                        }
                    });
                    let said = imported
                        .map(|report| {
                            format!(
                                "Imported {} from {} into the team vault; {} already in it, {} repeated in the file, {} skipped.",
                                crate::vault::count_keys(report.imported),
                                preview.source(),
                                report.in_vault,
                                report.repeated,
                                report.skipped
                            )
                        })
                        .map_err(|e| sentence(&e));
                    Done::Team(TeamDone::Said(said))
                });
        }
        TeamCommand::Transfer(TransferAction::Export { path, options }) => {
            let list = session.list.clone();
            jobs.spawn(ctx, "Writing the export", Records::Yes, move || {
                let path = crate::storage::expand_home(&path);
                Done::Team(TeamDone::Said(folder::export(&vault, &keys, &list, &path, options, now)))
            });
        }
        // The other commands are started by the other groups (see `run_team`).
        _ => {}
    }
}

/// A poll's answer, unless a change made here since makes it old.
fn apply_poll(session: &mut TeamSession, changes: u64, result: Result<Polled, TeamError>) {
    if changes != session.changes {
        return;
    }
    match result {
        Ok(Polled { refreshed, list }) => {
            session.problem = None;
            session.copy = refreshed.snapshot;
            if let Some(list) = list {
                session.list = list;
                session.generation += 1;
            }
        }
        Err(error) => {
            session.problem = Some(match away(&error) {
                Some(away) => away_sentence(away, &session.copy),
                None => format!("Read-only: {}", sentence(&error)),
            });
        }
    }
}

/// `id` as the server has it now (a change or a reveal works on the entry as it is there).
/// The team's audit trail for the audit screen, its chain checked (which takes the team's
/// key: without it, or when the check fails, the entries as read and why they are not
/// vouched for).
fn read_audit(vault: &TeamVault, keys: Option<&TeamKeys>) -> crate::ui::session::AuditCache {
    let checked = match keys {
        Some(keys) => vault.verify_audit(keys).map_err(|e| sentence(&e)),
        None => {
            Err("The trail's check needs the team's key: lock, then unlock while the server answers."
                .to_owned())
        }
    };
    let (events, chain) = match checked {
        Ok(events) => {
            let n = events.len() as u64;
            (events, Ok(n))
        }
        Err(why) => (vault.events_after(0).unwrap_or_default(), Err(why)),
    };
    let (records, by) =
        events.iter().filter_map(|event| Some((event.as_record()?, event.member.clone()))).unzip();
    crate::ui::session::AuditCache { entries: events.len() as u64, records, chain, by }
}

/// Runs `verb` on the team vault as a store; its error in one sentence.
fn on_store<T>(
    vault: &TeamVault,
    keys: &TeamKeys,
    now: DateTime<Utc>,
    verb: impl FnOnce(&mut actions::TeamStore<'_>) -> Result<T, actions::ActionError>,
) -> Result<T, String> {
    let mut store = actions::TeamStore::new(vault, keys, now).map_err(|e| sentence(&e))?;
    verb(&mut store).map_err(|error| match error {
        actions::ActionError::Team(error) => sentence(&error),
        other => other.to_string(),
    })
}

fn fresh(vault: &TeamVault, id: &KeyId) -> Result<TeamKey, TeamError> {
    vault.read_key(id)?.ok_or_else(|| TeamError::NoSuchKey { id: id.to_string() })
}

/// What a panel read (accounts, incidents): kept for the panel, or the panel closed and why
/// said.
fn panel_read<T>(
    read: Result<T, String>,
    (into, open): (&mut Option<T>, &mut bool),
    toasts: &mut crate::ui::widgets::Toasts,
    now: DateTime<Utc>,
) {
    match read {
        Ok(found) => *into = Some(found),
        Err(error) => {
            *open = false;
            toasts.error(error, now);
        }
    }
}

/// Completes the rotation of `old` as `keydesk rotate --complete` does: refused while an
/// integration has not moved and no reason is given; then the old key is revoked (which
/// closes the rotation), or, revoked first, only the rotation is closed.
fn complete_rotation(
    vault: &TeamVault,
    keys: &TeamKeys,
    old: &KeyId,
    reason: Option<&str>,
    at_provider: bool,
    now: DateTime<Utc>,
) -> Result<String, String> {
    let read = fresh(vault, old).map_err(|e| sentence(&e))?;
    crate::vault::check_complete(&read.record, reason).map_err(|e| e.to_string())?;
    let label = &read.record.label;
    if read.record.is_live() {
        let new = read.record.replaced_by.as_ref().map(ToString::to_string).unwrap_or_default();
        let revoked =
            revoke(vault, keys, old, &crate::vault::rotated_reason(&new, reason), at_provider, now)?;
        Ok(format!("Rotation of \"{label}\" complete. {revoked}"))
    } else {
        on_store(vault, keys, now, |store| actions::changes::close_rotation(store, old, reason))?;
        Ok(format!("Rotation of \"{label}\" complete: the old key was revoked already."))
    }
}

/// Abandons the rotation of `old`: its replacement is revoked, then the old key is active
/// again.
fn abandon_rotation(
    vault: &TeamVault,
    keys: &TeamKeys,
    old: &KeyId,
    reason: &str,
    at_provider: bool,
    now: DateTime<Utc>,
) -> Result<String, String> {
    let read = fresh(vault, old).map_err(|e| sentence(&e))?;
    let label = read.record.label.clone();
    let Some(new) = read.record.replaced_by.clone() else {
        return Err(format!("\"{label}\" names no replacement to revoke."));
    };
    revoke(vault, keys, &new, &format!("rotation abandoned: {reason}"), at_provider, now)?;
    on_store(vault, keys, now, |store| actions::changes::abandon_rotation(store, old, reason))?;
    Ok(format!("Rotation of \"{label}\" abandoned: the new key is revoked, the old one is active again."))
}

/// "Test connection": asks the account's provider whether its management key works, and keeps
/// what the key may do where the provider lists it (for the health report).
fn test_account(vault: &TeamVault, keys: &TeamKeys, id: &str, now: DateTime<Utc>) -> Result<String, String> {
    let accounts = vault.accounts().map_err(|e| sentence(&e))?;
    let found = find_account(&accounts, id).map_err(|e| e.to_string())?;
    let key = vault.management_key(keys, found).map_err(|e| sentence(&e))?;
    let account = &found.account;
    let url = crate::providers::verify::base_url(
        account.provider,
        account.base_url.as_deref(),
        account.region.as_deref(),
    )
    .map_err(|e| e.to_string())?;
    let tested =
        actions::test_account(&actions::client(), account.provider, &url, &key).map_err(|e| e.to_string())?;
    if let Some(scopes) = &tested.scopes {
        vault.note_management_scopes(keys, &account.id, scopes, now).map_err(|e| {
            format!("{} The test's answer could not be recorded: {}", tested.words, sentence(&e))
        })?;
    }
    Ok(tested.words)
}

/// Asks key `id`'s provider whether it still takes the key (at its account's address, with
/// the local vault's code) and records the answer on the key. `Ok`: the key works.
fn verify(
    vault: &TeamVault,
    keys: &TeamKeys,
    id: &KeyId,
    label: &str,
    now: DateTime<Utc>,
) -> Result<String, String> {
    let outcome = (|| {
        let mut store = actions::TeamStore::new(vault, keys, now)?;
        let called = actions::plan_verify(&store, id)?.call(&actions::client());
        actions::finish_verify(&mut store, called)
    })()
    .map_err(|error| error.to_string())?;
    let said = format!("\"{label}\": {}", outcome.sentence());
    if outcome.works() { Ok(said) } else { Err(said) }
}

/// Asks the key's provider when it last saw the key used, as `keydesk usage` does, and
/// records the answer for every member. A use after the key was revoked or replaced
/// everywhere is said as an error.
fn usage(
    vault: &TeamVault,
    keys: &TeamKeys,
    id: &KeyId,
    name: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, String> {
    let (record, found) = (|| {
        let mut store = actions::TeamStore::new(vault, keys, now)?;
        let called = actions::plan_usage(&store, id, name)?.call(&actions::client());
        let found = actions::finish_usage(&mut store, called)?;
        Ok::<_, actions::ActionError>((actions::Store::key_record(&store, id)?, found))
    })()
    .map_err(|error| error.to_string())?;
    let said =
        format!("\"{}\": {}", record.label, actions::usage_sentence(record.provider, &found.usage, now));
    match found.unexpected {
        Some(flag) => Err(format!("{said} {}", actions::unexpected_sentence(record.provider, &flag))),
        None => Ok(said),
    }
}

/// A new key's metadata as the Add key form gives it.
fn meta(label: &str, notes: String) -> crate::vault::meta::KeyMeta {
    crate::vault::meta::KeyMeta { notes, ..crate::vault::meta::KeyMeta::labelled(label) }
}

/// Has the account's provider make a key and keeps it, as `keydesk generate --account` does
/// (a key the team vault cannot keep is deleted at the provider again; failing that, it is
/// answered to be shown once).
fn create_at_provider(
    vault: &TeamVault,
    keys: &TeamKeys,
    existing: Vec<TeamKey>,
    (label, notes, account): (String, String, &str),
    scopes: &[String],
    now: DateTime<Utc>,
) -> Result<String, (String, Option<SecretString>)> {
    let mut store =
        actions::TeamStore::new(vault, keys, now).map_err(|e| (sentence(&e), None))?.adding(existing);
    let request =
        crate::vault::AddRequest { meta: meta(&label, notes), ..crate::vault::AddRequest::default() };
    let client = actions::client();
    let called = actions::plan_create(&store, account, request, scopes)
        .map_err(|e| (e.to_string(), None))?
        .call(&client);
    let created =
        actions::finish_create(&mut store, called, &client).map_err(|(e, left)| (e.to_string(), left))?;
    let mut said = format!(
        "Created \"{label}\" at {} and kept it in the team vault: Copy or Reveal it from its row.",
        created.provider.name()
    );
    if let Some(warning) = created.warning {
        said.push(' ');
        said.push_str(&warning);
    }
    Ok(said)
}

/// Changes this member's password as `keydesk passwd` does: the current one is checked by
/// unlocking with it; with `new_data_key`, the team's key is replaced first (an admin's
/// token), and the new keys are answered for the session.
fn change_password(
    vault: &TeamVault,
    chosen: &crate::ui::settings::ChosenPassword,
    now: DateTime<Utc>,
) -> Result<(String, Option<TeamKeys>), TeamError> {
    let keys = vault.unlock(&chosen.current)?;
    // The form starts at the member's current cost: the rest of it stays as it is.
    let kdf = crate::team::members::KdfChoice {
        memory_kib: Some(chosen.memory_mib.saturating_mul(1024)),
        ..crate::team::members::KdfChoice::default()
    };
    let said = "Your password for the team vault is changed; the old one opens nothing on the server now.";
    if !chosen.new_data_key {
        vault.change_password(&keys, &chosen.new, kdf, &mut os_rng(), now)?;
        return Ok((said.to_owned(), None));
    }
    let (done, keys) = vault.rekey(&keys, &mut os_rng(), now)?;
    vault.change_password(&keys, &chosen.new, kdf, &mut os_rng(), now)?;
    let said = format!(
        "{said} The team's key was replaced for every member and {} sealed again under it.",
        crate::vault::count_keys(done.resealed)
    );
    Ok((said, Some(keys)))
}

/// Revokes key `id` as the local vault's revoke does (`actions::plan_revoke`): ticked "I
/// revoked it on the provider's page", the old key is checked there (a provider that still
/// takes it keeps the key active); unticked, in Keydesk only. The sentence to show.
fn revoke(
    vault: &TeamVault,
    keys: &TeamKeys,
    id: &KeyId,
    reason: &str,
    at_provider: bool,
    now: DateTime<Utc>,
) -> Result<String, String> {
    let done = (|| {
        let mut store = actions::TeamStore::new(vault, keys, now)?;
        let options = actions::RevokeOptions { confirmed_at_provider: at_provider, local_only: !at_provider };
        let called = actions::plan_revoke(&store, id, reason, options)?.call(&actions::client());
        actions::finish_revoke(&mut store, called, reason)
    })()
    .map_err(|error| error.to_string())?;
    Ok(std::iter::once(done.message).chain(done.notes).collect::<Vec<_>>().join(" "))
}

/// Adds a pasted key: recognised, refused when the vault has it already, sealed and recorded.
fn add(
    vault: &TeamVault,
    keys: &TeamKeys,
    existing: &[TeamKey],
    (label, notes, account): (String, String, Option<String>),
    secret: &SecretString,
    now: DateTime<Utc>,
) -> Result<String, String> {
    let request = crate::vault::AddRequest {
        meta: meta(&label, notes),
        account,
        ..crate::vault::AddRequest::default()
    };
    let (record, detection) =
        vault.add_key(keys, existing, request, secret, &mut os_rng(), now).map_err(|e| sentence(&e))?;
    let mut said = format!("Added \"{}\" ({}) to the team vault.", record.label, detection.provider.name());
    if let Some(warning) = detection.warning {
        said.push(' ');
        said.push_str(&warning);
    }
    Ok(said)
}
