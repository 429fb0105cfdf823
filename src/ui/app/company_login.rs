//! The company's login (OIDC) in the window, for a team vault that signs in with it: "Sign in
//! with your company account" on the unlock screen runs the command line's sign-in
//! ([`crate::team::oidc::sign_in_with_browser`]: the server asked for the company login's
//! address, the browser opened there, its return awaited on a 127.0.0.1 port) in a job, so the
//! window keeps drawing; the unlock screen says where it stands and offers "Cancel sign-in"
//! (the status bar's Cancel stops it too). The token the server gives is kept in the OS
//! keychain as the command line keeps it ([`crate::actions::team::keep_token`]) before the
//! vault is unlocked with it, so a mistyped master password does not cost another sign-in.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::team::{TeamDone, TeamHome, TokenFrom, keep_token, open};
use super::{Done, KeydeskApp, OpenError, Phase, StoreFactory};
use crate::actions::team as folder;
use crate::team::kv::{Kv, Location, SignInAgain};
use crate::team::oidc;
use crate::team::signin::SignIn;
use crate::ui::jobs::Records;
use crate::ui::unlock::{SignInStage, TeamSetup};
use crate::vault::crypto::KdfMemory;

/// The job's label (the status bar's words, and how its Cancel finds it).
pub const LABEL: &str = "Signing in with your company account";

/// Where a running company sign-in stands, written by its job and shown by the window.
#[derive(Clone, Default)]
pub struct Stage(Arc<Mutex<Option<SignInStage>>>);

impl Stage {
    pub fn set(&self, stage: Option<SignInStage>) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = stage;
        }
    }

    pub fn get(&self) -> Option<SignInStage> {
        self.0.lock().ok().and_then(|slot| slot.clone())
    }
}

/// Signs in with the company's login of the team vault `config` names: the connection
/// presenting the token the server gave. `show` is told where the sign-in stands (the
/// address the browser was opened at, for one); `cancelled` stops the wait.
pub fn company_sign_in(
    config: &crate::team::TeamConfig,
    browser: Option<&std::ffi::OsStr>,
    cancelled: &AtomicBool,
    show: &dyn Fn(SignInStage),
) -> Result<Kv, oidc::OidcError> {
    let SignIn::Oidc { mount, role } = &config.sign_in else {
        return Err(oidc::OidcError::NotSetUp { mount: oidc::MOUNT.to_owned(), role: oidc::ROLE.to_owned() });
    };
    let location = Location::new(&config.addr, &config.mount, &config.path)?;
    sign_in_at(location, (mount, role), browser, cancelled, show)
}

/// [`company_sign_in`] at `location`'s server, on the OIDC method at `auth/<mount>` with `role`.
fn sign_in_at(
    location: Location,
    (mount, role): (&str, &str),
    browser: Option<&std::ffi::OsStr>,
    cancelled: &AtomicBool,
    show: &dyn Fn(SignInStage),
) -> Result<Kv, oidc::OidcError> {
    show(SignInStage::Asking);
    let mut shown = |address: &str, problem: Option<String>| {
        show(SignInStage::Browser { address: address.to_owned(), problem });
    };
    let kv = oidc::sign_in_with_browser(
        location,
        (mount, role),
        browser,
        (&mut crate::ui::entropy(), cancelled),
        &mut shown,
    )?;
    show(SignInStage::Unlocking);
    Ok(kv)
}

/// What the unlock job is given.
struct Unlocking {
    dir: std::path::PathBuf,
    open_store: StoreFactory,
    again: Option<SignInAgain>,
    browser: Option<std::ffi::OsString>,
    remember: bool,
    now: DateTime<Utc>,
}

/// Signs in with the company account, keeps the token (when asked), and unlocks the team vault
/// with it and `password`.
fn sign_in_and_open(
    job: Unlocking,
    password: &SecretString,
    memory: Option<KdfMemory>,
    cancelled: &AtomicBool,
    shown: (&Stage, &egui::Context),
) -> Result<Box<TeamHome>, OpenError> {
    let failed = |message: String| OpenError { message, wrong_password: false };
    let config = folder::read_config(&job.dir).map_err(|error| failed(error.to_string()))?;
    let (stage, ctx) = shown;
    let show = |now: SignInStage| {
        stage.set(Some(now));
        ctx.request_repaint();
    };
    let kv = company_sign_in(&config, job.browser.as_deref(), cancelled, &show)
        .map_err(|error| failed(error.to_string()))?;
    let token = kv.token();
    let notice = if job.remember { keep_token(&job.open_store, &job.dir, &config, &token) } else { None };
    let mut session =
        open((&job.dir, &job.open_store, job.again), (&token, TokenFrom::Typed), password, memory, job.now)?;
    session.notice = notice;
    Ok(Box::new(session))
}

/// A sign-in with the company account for the first-run screen's team vault, given the flag
/// its Cancel sets: the connection, or why not (one sentence).
pub type SignInFor = Box<dyn FnOnce(&TeamSetup, &AtomicBool) -> Result<Kv, crate::ui::Failure> + Send>;

impl KeydeskApp {
    /// How the first-run screen's job signs in with the company account (on the method and
    /// role `keydesk team setup` makes), showing where it stands on that screen.
    pub(super) fn company_signing_in(&self, ctx: &egui::Context) -> SignInFor {
        let (stage, ctx) = (self.company_stage.clone(), ctx.clone());
        let browser = self.services.browser.clone();
        stage.set(Some(SignInStage::Asking));
        Box::new(move |setup, cancelled| {
            let location = Location::new(&setup.addr, &setup.mount, &setup.path)?;
            let show = |now: SignInStage| {
                stage.set(Some(now));
                ctx.request_repaint();
            };
            let signed_in =
                sign_in_at(location, (oidc::MOUNT, oidc::ROLE), browser.as_deref(), cancelled, &show);
            stage.set(None);
            signed_in.map_err(crate::ui::Failure::from)
        })
    }

    /// "Sign in with your company account" on a team vault's unlock screen.
    pub(super) fn sign_in_with_company(
        &mut self,
        ctx: &egui::Context,
        password: SecretString,
        remember: bool,
    ) {
        self.unlock_started = Some(std::time::Instant::now());
        let dir = self.services.dir.clone();
        let open_store = self.services.open_store.clone();
        let again = super::sign_in_again::signing_in_again(
            self.sign_in_again.asking.clone(),
            ctx.clone(),
            (open_store.clone(), self.services.browser.clone()),
            dir.clone(),
        );
        let job = Unlocking {
            dir,
            open_store,
            again,
            browser: self.services.browser.clone(),
            remember,
            now: self.now(),
        };
        let prepared = self.kdf_memory.take();
        let stage = self.company_stage.clone();
        stage.set(Some(SignInStage::Asking));
        let thread_ctx = ctx.clone();
        self.jobs.spawn_counted(ctx, LABEL, Records::No, move |progress| {
            let memory = prepared.and_then(|thread| thread.join().ok().flatten());
            let opened =
                sign_in_and_open(job, &password, memory, progress.cancel_flag(), (&stage, &thread_ctx));
            stage.set(None);
            Done::Team(TeamDone::Opened(opened))
        });
    }

    /// "Cancel sign-in": the company sign-in under way stops waiting for the browser.
    pub(super) fn cancel_company_sign_in(&mut self) {
        let running =
            self.jobs.pending.iter().find(|job| job.label == LABEL && !job.cancelled).map(|job| job.id);
        if let Some(id) = running {
            self.jobs.cancel(id);
        }
    }

    /// Shows where a company sign-in stands on the screen that started it.
    pub(super) fn tick_company_sign_in(&mut self) {
        let running = self.jobs.pending.iter().any(|job| job.label == LABEL && !job.cancelled);
        let stage = if running { self.company_stage.get() } else { None };
        match &mut self.phase {
            Phase::Locked(state) => {
                if let Some(team) = &mut state.team {
                    team.signing_in = stage;
                }
            }
            Phase::Create(state) => state.team.signing_in = stage,
            _ => {}
        }
    }
}
