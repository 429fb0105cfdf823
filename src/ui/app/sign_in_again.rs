//! Signing in again in the middle of a team session: when the server stops accepting the
//! token (its max TTL reached, or revoked) while a job talks to it, the job's request waits
//! (`Kv::signing_in_again`), the window asks for the server password in a dialog, and once
//! signed in the request is sent again with the new token — the change or reveal the user
//! was making goes through, nothing typed is lost. Cancel (or a lock) gives up: the job then
//! fails with the server's refusal, as before.

use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use secrecy::SecretString;
use zeroize::Zeroizing;

use super::{KeydeskApp, Phase, StoreFactory};
use crate::actions::team as folder;
use crate::team::kv::{Location, SignInAgain};
use crate::team::signin::{self, SignIn};
use crate::ui::widgets::{SecretInput, error_ui, secret_field};
use crate::vault::model::SecretBackend;

/// A job's question: sign in again as `name` (after `error`, when a try failed).
pub struct Ask {
    name: String,
    error: Option<String>,
    reply: mpsc::Sender<Option<SecretString>>,
}

/// Where a job puts its question for the window, and the password typed for it.
#[derive(Clone, Default)]
pub struct Asking(Arc<Mutex<Option<Ask>>>);

impl Asking {
    fn put(&self, ask: Ask) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(ask);
        }
    }

    /// The question on screen: its name and error, if one waits.
    fn shown(&self) -> Option<(String, Option<String>)> {
        let slot = self.0.lock().ok()?;
        slot.as_ref().map(|ask| (ask.name.clone(), ask.error.clone()))
    }

    /// Answers the waiting question (`None`: give up).
    fn answer(&self, password: Option<SecretString>) {
        if let Some(ask) = self.0.lock().ok().and_then(|mut slot| slot.take()) {
            let _job_gone = ask.reply.send(password);
        }
    }

    /// Gives up on any waiting question (the window locks).
    pub fn give_up(&self) {
        self.answer(None);
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

/// For a team vault that signs in with a name and password: how its connection signs in
/// again, asking the window (`None` for one that signs in with a token).
pub fn signing_in_again(
    asking: Asking,
    ctx: egui::Context,
    open_store: StoreFactory,
    dir: PathBuf,
) -> Option<SignInAgain> {
    let config = folder::read_config(&dir).ok()?;
    let SignIn::Userpass { mount, name } = config.sign_in.clone() else { return None };
    let location = Location::new(&config.addr, &config.mount, &config.path).ok()?;
    Some(Box::new(move || {
        let mut error = None;
        loop {
            let (reply, answer) = mpsc::channel();
            asking.put(Ask { name: name.clone(), error: error.take(), reply });
            ctx.request_repaint();
            let password = answer.recv().ok().flatten()?;
            match signin::userpass(location.clone(), &mount, &name, &password) {
                Ok(kv) => {
                    let token: Zeroizing<String> = kv.token();
                    let keychain = open_store(SecretBackend::Keychain, &dir);
                    // Not kept: asked again at the next unlock, which says nothing of it.
                    let _warning = folder::keep_token(keychain, &config, &token, "");
                    return Some(token);
                }
                Err(refused) => error = Some(refused.to_string()),
            }
        }
    }))
}

impl KeydeskApp {
    /// The dialog, while a job waits for a new sign-in.
    pub(super) fn sign_in_again_ui(&mut self, ctx: &egui::Context) {
        let Some((name, error)) = self.sign_in_again.asking.shown() else { return };
        if !matches!(self.phase, Phase::Team(_)) {
            // No team session to go on with (locked): the job gives up.
            self.sign_in_again.asking.give_up();
            return;
        }
        let mut answer = None;
        let state = &mut self.sign_in_again;
        egui::Modal::new(egui::Id::unique("sign-in-again")).show(ctx, |ui| {
            ui.set_max_width(480.0);
            ui.heading("Sign in again");
            ui.label(format!(
                "The team's server no longer accepts your sign-in (it expired or was revoked). Sign in as {name} to go on: what you were doing waits, and goes through once you are signed in."
            ));
            let field = secret_field(ui, "sign-in-again-password", "Server password", &mut state.password);
            let question = Some((name.clone(), error.clone()));
            if state.seen != question {
                field.request_focus();
                state.seen = question;
            }
            error_ui(ui, &error);
            ui.horizontal(|ui| {
                let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if (ui.button("Sign in").clicked() || enter) && !state.password.is_empty() {
                    answer = Some(Some(state.password.take()));
                }
                if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                    answer = Some(None);
                }
            });
        });
        if let Some(password) = answer {
            if password.is_none() {
                self.sign_in_again.password = SecretInput::default();
            }
            self.sign_in_again.seen = None;
            self.sign_in_again.asking.answer(password);
            ctx.request_repaint();
        }
    }
}
