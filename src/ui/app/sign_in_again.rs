//! Signing in again in the middle of a team session: when the server stops accepting the
//! token (its max TTL reached, or revoked) while a job talks to it, the job's request waits
//! (`Kv::signing_in_again`), the window asks for a new sign-in in a dialog — the server
//! password, the company directory's password, or "Sign in with your company account" (the browser sign-in of the unlock
//! screen, [`super::company_login::company_sign_in`]) — and once signed in the request is sent
//! again with the new token: the change or reveal the user was making goes through, nothing
//! typed is lost. Cancel (or a lock) gives up: the job then fails with the server's refusal, as
//! before.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use secrecy::SecretString;
use zeroize::Zeroizing;

use super::{KeydeskApp, StoreFactory};
use crate::actions::team as folder;
use crate::team::kv::{Location, SignInAgain};
use crate::team::signin::{self, PasswordMethod, SignIn};
use crate::team::{TeamConfig, oidc::OidcError};
use crate::ui::unlock::{SignInStage, signing_in_ui};
use crate::ui::widgets::{SecretInput, error_ui, secret_field};
use crate::vault::model::SecretBackend;

/// What the user answered: the server password, or to sign in with the company account.
enum Answer {
    Password(SecretString),
    Company,
}

/// A job's question: sign in again as `name` (with `method`'s password), or with the company
/// account when `name` is `None` (after `error`, when a try failed); `stage` while a company
/// sign-in runs (nothing is asked then: `reply` is `None`).
pub struct Ask {
    name: Option<(PasswordMethod, String)>,
    error: Option<String>,
    stage: Option<SignInStage>,
    reply: Option<mpsc::Sender<Option<Answer>>>,
}

/// The question on screen, as plain data.
type Shown = (Option<(PasswordMethod, String)>, Option<String>, Option<SignInStage>);

/// Where a job puts its question for the window, the answer typed for it, and the flag that
/// cancels a company sign-in under way.
#[derive(Clone, Default)]
pub struct Asking(Arc<Mutex<Option<Ask>>>, Arc<AtomicBool>);

impl Asking {
    fn put(&self, ask: Option<Ask>) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = ask;
        }
    }

    /// The question on screen: its name, error and stage, if one waits.
    fn shown(&self) -> Option<Shown> {
        let slot = self.0.lock().ok()?;
        slot.as_ref().map(|ask| (ask.name.clone(), ask.error.clone(), ask.stage.clone()))
    }

    /// Answers the waiting question (`None`: give up).
    fn answer(&self, answer: Option<Answer>) {
        let Ok(mut slot) = self.0.lock() else { return };
        if let Some(reply) = slot.as_mut().and_then(|ask| ask.reply.take()) {
            *slot = None;
            let _job_gone = reply.send(answer);
        }
    }

    /// Gives up on any waiting question, and stops a company sign-in under way (the window
    /// locks).
    pub fn give_up(&self) {
        self.1.store(true, Ordering::Relaxed);
        self.answer(None);
    }

    /// Asks the window (`name`: the password's, of the server or the directory; `None`: the
    /// company account) and waits.
    fn ask(
        &self,
        ctx: &egui::Context,
        name: Option<(PasswordMethod, &str)>,
        error: Option<String>,
    ) -> Option<Answer> {
        let (reply, answer) = mpsc::channel();
        let name = name.map(|(method, name)| (method, name.to_owned()));
        self.put(Some(Ask { name, error, stage: None, reply: Some(reply) }));
        ctx.request_repaint();
        answer.recv().ok().flatten()
    }
}

/// The dialog's state: the question and the password being typed.
#[derive(Default)]
pub struct SignInAgainState {
    pub asking: Asking,
    password: SecretInput,
    /// The question last drawn: a new one (or a new error) puts the cursor in the field.
    seen: Option<(String, Option<String>)>,
}

/// For a team vault that signs in with a name and password (of the server or the company
/// directory) or with the company's login: how
/// its connection signs in again, asking the window (`None` for one that signs in with a
/// token). `browser` opens the company login's address (`$KEYDESK_BROWSER`, else the system's).
pub fn signing_in_again(
    asking: Asking,
    ctx: egui::Context,
    (open_store, browser): (StoreFactory, Option<std::ffi::OsString>),
    dir: PathBuf,
) -> Option<SignInAgain> {
    let config = folder::read_config(&dir).ok()?;
    let keep = move |config: &TeamConfig, token: &Zeroizing<String>| {
        let keychain = open_store(SecretBackend::Keychain, &dir);
        // Not kept: asked again at the next unlock, which says nothing of it.
        let _warning = folder::keep_token(keychain, config, token, "");
    };
    match config.sign_in.clone() {
        SignIn::Token => None,
        SignIn::Userpass { .. } | SignIn::Ldap { .. } => {
            let location = Location::new(&config.addr, &config.mount, &config.path).ok()?;
            let (method, mount, name) = config.sign_in.password_login()?;
            let (mount, name) = (mount.to_owned(), name.to_owned());
            Some(Box::new(move || {
                let mut error = None;
                loop {
                    let asked = asking.ask(&ctx, Some((method, &name)), error.take())?;
                    let Answer::Password(password) = asked else { return None };
                    match signin::with_password(location.clone(), (method, &mount), &name, &password) {
                        Ok(kv) => {
                            let token: Zeroizing<String> = kv.token();
                            keep(&config, &token);
                            return Some(token);
                        }
                        Err(refused) => error = Some(refused.to_string()),
                    }
                }
            }))
        }
        SignIn::Oidc { .. } => Some(Box::new(move || {
            let mut error = None;
            loop {
                let Answer::Company = asking.ask(&ctx, None, error.take())? else { return None };
                asking.1.store(false, Ordering::Relaxed);
                let show = |stage: SignInStage| {
                    asking.put(Some(Ask { name: None, error: None, stage: Some(stage), reply: None }));
                    ctx.request_repaint();
                };
                let signed_in =
                    super::company_login::company_sign_in(&config, browser.as_deref(), &asking.1, &show);
                asking.put(None);
                match signed_in {
                    Ok(kv) => {
                        let token: Zeroizing<String> = kv.token();
                        keep(&config, &token);
                        return Some(token);
                    }
                    Err(OidcError::Cancelled) => return None,
                    Err(refused) => error = Some(refused.to_string()),
                }
            }
        })),
    }
}

impl KeydeskApp {
    /// The dialog, while a job waits for a new sign-in.
    pub(super) fn sign_in_again_ui(&mut self, ctx: &egui::Context) {
        let Some((name, error, stage)) = self.sign_in_again.asking.shown() else { return };
        if self.team().is_none() {
            // No team session to go on with (locked): the job gives up.
            self.sign_in_again.asking.give_up();
            return;
        }
        let mut answer = None;
        let mut cancel_sign_in = false;
        let state = &mut self.sign_in_again;
        egui::Modal::new(egui::Id::unique("sign-in-again")).show(ctx, |ui| {
            ui.set_max_width(480.0);
            ui.heading("Sign in again");
            let how = match &name {
                None => "with your company account".to_owned(),
                Some((PasswordMethod::Userpass, name)) => format!("as {name}"),
                Some((PasswordMethod::Ldap, name)) => {
                    format!("with your company directory account ({name})")
                }
            };
            ui.label(format!(
                "The team's server no longer accepts your sign-in (it expired or was revoked). Sign in {how} to go on: what you were doing waits, and goes through once you are signed in."
            ));
            match (&name, &stage) {
                (_, Some(stage)) => cancel_sign_in = signing_in_ui(ui, stage),
                (Some((method, name)), None) => answer = password_ui(ui, state, (*method, name), &error),
                (None, None) => {
                    error_ui(ui, &error);
                    ui.horizontal(|ui| {
                        if ui.button("Sign in with your company account").clicked() {
                            answer = Some(Some(Answer::Company));
                        }
                        if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                            answer = Some(None);
                        }
                    });
                }
            }
        });
        if cancel_sign_in {
            self.sign_in_again.asking.1.store(true, Ordering::Relaxed);
        }
        if let Some(answer) = answer {
            if answer.is_none() {
                self.sign_in_again.password = SecretInput::default();
            }
            self.sign_in_again.seen = None;
            self.sign_in_again.asking.answer(answer);
            ctx.request_repaint();
        }
    }
}

/// The server password's field and buttons: the answer, once given (`Some(None)`: Cancel).
fn password_ui(
    ui: &mut egui::Ui,
    state: &mut SignInAgainState,
    (method, name): (PasswordMethod, &str),
    error: &Option<String>,
) -> Option<Option<Answer>> {
    let mut answer = None;
    let field = secret_field(ui, "sign-in-again-password", method.password_label(), &mut state.password);
    let question = Some((name.to_owned(), error.clone()));
    if state.seen != question {
        field.request_focus();
        state.seen = question;
    }
    error_ui(ui, error);
    ui.horizontal(|ui| {
        let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if (ui.button("Sign in").clicked() || enter) && !state.password.is_empty() {
            answer = Some(Some(Answer::Password(state.password.take())));
        }
        if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
            answer = Some(None);
        }
    });
    answer
}
