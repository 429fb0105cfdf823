//! Opening a team vault: this computer's copy, the server's answer, a new vault made, the
//! token kept or signed in for, and the unlock screen's state.

use std::path::Path;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::StoreFactory;
use super::{Done, KeydeskApp, OpenError, Phase};
use super::{TeamDone, TeamHome, TokenFrom, away, away_sentence, open_error, open_error_of, sentence};
use crate::actions::team as folder;
use crate::team::cache::Snapshot;
use crate::team::kv::{Kv, KvError, Location};
use crate::team::signin::PasswordMethod;
use crate::team::{TeamConfig, TeamError, TeamKey, TeamKeys, TeamVault};
use crate::ui::Failure;
use crate::ui::jobs::Records;
use crate::ui::unlock::{self, TeamLock, TeamSetup};
use crate::vault::crypto::{KdfMemory, KdfParams};
use crate::vault::model::SecretBackend;

/// This computer's copy as read, with its keys parsed.
pub(super) type ReadCopy = (Option<Snapshot>, Option<Vec<TeamKey>>);

pub(super) fn read_copy(dir: &Path, team_id: &str) -> ReadCopy {
    let copy = folder::read_copy(dir).filter(|copy| copy.team_id == team_id);
    let list = copy.as_ref().map(Snapshot::keys);
    (copy, list)
}

/// The team vault of `dir`, unlocked; from this computer's copy, read-only, when the server
/// cannot be reached.
pub(in crate::ui::app) fn open(
    (dir, open_store, again): (&Path, &StoreFactory, Option<crate::team::kv::SignInAgain>),
    (token, from): (&Zeroizing<String>, TokenFrom),
    password: &SecretString,
    mut memory: Option<KdfMemory>,
    now: DateTime<Utc>,
) -> Result<TeamHome, OpenError> {
    let failed = |message: String| OpenError { message, wrong_password: false };
    let config = folder::read_config(dir).map_err(|error| failed(error.to_string()))?;
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
    let connected = TeamVault::connect(
        Kv::new(location.clone(), token.clone()),
        config.clone(),
        crate::ui::entropy_source(),
    )
    .map(|mut vault| {
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
                    let entropy = crate::ui::entropy_source();
                    let vault = TeamVault::offline(Kv::new(location, token.clone()), config.clone(), entropy);
                    let list = list.unwrap_or_default();
                    Ok(TeamHome::new(vault, None, (copy, list), false, Some(problem)))
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
    let opened = vault.unlock_costed(password, memory.as_mut()).map_err(|e| open_error(&e, from))?;
    drop(memory);
    session_of(dir, vault, opened, parsed(parse), now).map_err(|e| open_error(&e, from))
}

/// The session on an unlocked team vault (`kdf`: the cost of this member's password): what its
/// token may do, and this computer's copy (`cached`, with its keys parsed) brought up to date
/// and kept when keys changed (a few trail entries read again next time cost less than writing
/// 4.5 MB at each unlock).
pub(super) fn session_of(
    dir: &Path,
    vault: TeamVault,
    (keys, kdf): (TeamKeys, KdfParams),
    (cached, list): ReadCopy,
    now: DateTime<Utc>,
) -> Result<TeamHome, TeamError> {
    let writable = vault.can_write()?;
    let pack_head = cached.as_ref().map_or(0, Snapshot::pack_head);
    let refreshed = vault.refresh(cached, Some(&keys), now)?;
    let changed = refreshed.keys_read > 0 || refreshed.full;
    let problem = if changed || refreshed.snapshot.pack_head() != pack_head {
        folder::save_copy(dir, &refreshed.snapshot).err().map(|warning| warning.to_string())
    } else {
        None
    };
    let list = match list {
        Some(list) if !changed => list,
        _ => refreshed.snapshot.keys(),
    };
    let mut session = TeamHome::new(vault, Some(keys), (refreshed.snapshot, list), writable, problem);
    session.member_kdf = Some(kdf);
    Ok(session)
}

/// Makes (or, with a code, joins) the team vault `setup` names, and writes `team.ron` in `dir`;
/// `signed_in`: the connection a sign-in with the company account gave.
pub(super) fn create(
    dir: &Path,
    (setup, signed_in): (&TeamSetup, Option<Kv>),
    password: &SecretString,
    kdf: KdfParams,
    now: DateTime<Utc>,
) -> Result<TeamHome, OpenError> {
    let failed = |message: String| OpenError { message, wrong_password: false };
    crate::vault::check_new_password(password).map_err(|e| failed(e.to_string()))?;
    crate::team::check_member(&setup.member).map_err(|e| failed(e.to_string()))?;
    let location =
        Location::new(&setup.addr, &setup.mount, &setup.path).map_err(|e| failed(e.to_string()))?;
    let kv = match (&setup.login, signed_in) {
        (_, Some(kv)) => kv,
        (Some((method, name, server_password)), None) => {
            let how = (*method, method.default_mount());
            crate::team::signin::with_password(location, how, name, server_password)
                .map_err(|e| failed(e.to_string()))?
        }
        (None, None) => Kv::new(location, Zeroizing::new(setup.token.expose_secret().trim().to_owned())),
    };
    let entropy = crate::ui::entropy_source();
    let (mut vault, keys) = match &setup.code {
        Some(code) => TeamVault::join(kv, &setup.member, code, password, kdf, entropy, now),
        None => TeamVault::create(kv, &setup.member, password, kdf, entropy, now),
    }
    .map_err(|e| failed(sentence(&e)))?;
    if setup.company {
        vault.set_sign_in(crate::team::signin::SignIn::Oidc {
            mount: crate::team::oidc::MOUNT.to_owned(),
            role: crate::team::oidc::ROLE.to_owned(),
        });
    } else if let Some((method, name, _)) = &setup.login {
        vault.set_sign_in(method.sign_in(method.default_mount().to_owned(), name.clone()));
    }
    folder::write_config(dir, vault.config()).map_err(|error| failed(error.to_string()))?;
    // The member's copy was just written at the cost chosen.
    session_of(dir, vault, (keys, kdf), (None, None), now).map_err(|e| open_error(&e, TokenFrom::Typed))
}

/// On a team vault that signs in with a name and password: signs in with `typed` and gives
/// the server's token (`None` on a vault that signs in with a token: `typed` is one). On one
/// that signs in with the company directory, `name` is the one typed at the unlock screen: a
/// name other than the kept one becomes the vault's once the directory accepts it.
pub(super) fn sign_in(
    dir: &Path,
    name: Option<String>,
    typed: &SecretString,
) -> Result<Option<Zeroizing<String>>, Failure> {
    let mut config = folder::read_config(dir).map_err(Failure::from)?;
    let Some((method, mount, kept)) = config.sign_in.password_login() else { return Ok(None) };
    let name = match name.map(|name| name.trim().to_owned()) {
        Some(name) if method == PasswordMethod::Ldap && !name.is_empty() => name,
        _ => kept.to_owned(),
    };
    let mount = mount.to_owned();
    let location = Location::new(&config.addr, &config.mount, &config.path)?;
    let kv = crate::team::signin::with_password(location, (method, &mount), &name, typed)?;
    if config.sign_in.name() != Some(name.as_str()) {
        config.sign_in = method.sign_in(mount, name);
        folder::write_config(dir, &config).map_err(Failure::from)?;
    }
    Ok(Some(kv.token()))
}

/// The token the OS keychain keeps for the team vault of `dir`, if any.
pub(super) fn kept_token(open_store: &StoreFactory, dir: &Path) -> Option<Zeroizing<String>> {
    let config = folder::read_config(dir).ok()?;
    let store = open_store(SecretBackend::Keychain, dir).ok()?;
    folder::kept_token(store.as_ref(), &config)
}

/// Keeps `token` in the OS keychain; the warning to show when it could not be.
pub(in crate::ui::app) fn keep_token(
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
pub(in crate::ui::app) fn lock_state(dir: &Path) -> unlock::UnlockState {
    let mut state = unlock::UnlockState::default();
    if folder::is_team(dir) {
        let config = folder::read_config(dir);
        let place = match &config {
            Ok(config) => format!("{}, as {}", config.place(), config.member),
            Err(error) => error.to_string(),
        };
        let company = config.as_ref().is_ok_and(|config| config.sign_in.is_oidc());
        let directory = config.as_ref().is_ok_and(|config| config.sign_in.is_ldap());
        state.team = Some(TeamLock {
            place,
            token_from_env: folder::token_from_env().is_some(),
            token: Default::default(),
            kept: None,
            remember: true,
            use_other: false,
            sign_in_name: config.ok().and_then(|config| config.sign_in.name().map(str::to_owned)),
            company,
            directory,
            signing_in: None,
        });
    }
    state
}

impl KeydeskApp {
    pub(in crate::ui::app) fn create_team(
        &mut self,
        ctx: &egui::Context,
        setup: TeamSetup,
        password: SecretString,
    ) {
        let dir = self.services.dir.clone();
        let kdf = self.services.new_vault_kdf;
        let now = self.now();
        let open_store = self.services.open_store.clone();
        let label = match (setup.company, setup.code.is_some()) {
            (true, _) => crate::ui::app::company_login::LABEL,
            (false, true) => "Joining the team vault",
            (false, false) => "Creating the team vault",
        };
        let company = setup.company.then(|| self.company_signing_in(ctx));
        self.jobs.spawn_counted(ctx, label, Records::No, move |progress| {
            let signed_in = match company.map(|sign_in| sign_in(&setup, progress.cancel_flag())) {
                Some(Err(failure)) => {
                    let message = failure.to_string();
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
    pub(in crate::ui::app) fn look_for_kept_token(&mut self, ctx: &egui::Context) {
        let dir = self.services.dir.clone();
        if !folder::is_team(&dir) || folder::token_from_env().is_some() {
            return;
        }
        let open_store = self.services.open_store.clone();
        self.jobs.spawn(ctx, "Looking for the server token in the OS keychain", Records::No, move || {
            Done::Team(TeamDone::TokenKept(kept_token(&open_store, &dir).is_some()))
        });
    }

    pub(in crate::ui::app) fn unlock_team(
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
        // The company directory's name, as typed beside its password.
        let typed_name = match &self.phase {
            Phase::Locked(state) => {
                state.team.as_ref().filter(|t| t.directory).and_then(|t| t.sign_in_name.clone())
            }
            _ => None,
        };
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
        let again = crate::ui::app::sign_in_again::signing_in_again(
            self.sign_in_again.asking.clone(),
            ctx.clone(),
            (open_store.clone(), self.services.browser.clone()),
            dir.clone(),
        );
        self.jobs.spawn(ctx, "Unlocking the team vault", Records::No, move || {
            // The memory made ready while the password was typed (at the default cost).
            let memory = prepared.and_then(|thread| thread.join().ok().flatten());
            let given = match (from, server_password) {
                (TokenFrom::Typed, Some(typed)) => match sign_in(&dir, typed_name, &typed) {
                    Ok(Some(token)) => Some(token),
                    Ok(None) => given,
                    Err(failure) => {
                        let message = failure.to_string();
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
}
