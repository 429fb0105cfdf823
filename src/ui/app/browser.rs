//! The browser extension's requests, answered by the window (docs/browser.md): a thread
//! waits on the socket and reads each request; the window answers it at its next tick from
//! the unlocked vault, so the vault never leaves the window's thread.
//!
//! A locked Keydesk answers "Unlock Keydesk first" and comes to the front. A browser (a
//! program and its profile folder) asks once: the window puts the question, and the answer
//! "Allow" is kept in the vault (Settings lists it and takes it back); "Don't allow" holds
//! until Keydesk is started again.

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, channel};

use super::team::TeamDone;
use super::{Command, Done, KeydeskApp, Phase};
use crate::actions::{TeamStore, fill};
use crate::browser::answer::{self, Decision};
use crate::browser::messaging::{ErrorCode, Reply, Request};
use crate::browser::{peer, socket};
use crate::ui::Failure;
use crate::ui::jobs::Records;
use crate::ui::session::Home;
use crate::ui::session::changes::{Answer, Asked, Changed};

mod propose;

/// The window's end of the browser socket.
pub struct BrowserBridge {
    incoming: Receiver<(UnixStream, Request, socket::Peer)>,
    /// The browser whose request waits for the user's answer ("Allow … to ask for keys?").
    pub asking: Option<String>,
    /// A page a browser proposed for a key's integrations, waiting for the user's answer.
    proposed: Option<propose::Proposed>,
    /// Browsers the user did not allow, until Keydesk starts again.
    not_allowed: Vec<String>,
    path: PathBuf,
}

impl Drop for BrowserBridge {
    fn drop(&mut self) {
        // Gone already is fine: the next Keydesk binds afresh either way.
        let _gone = std::fs::remove_file(&self.path);
    }
}

/// Why a browser setting of a team vault waits (it is recorded in the team's trail).
const NOT_NOW: &str = "the team vault's server cannot be reached, and the change is recorded in its trail: try again once it can";

/// The sentences the extension shows.
pub const UNLOCK_FIRST: &str = "Unlock Keydesk first: its window is in front of you now.";
pub const ASKING: &str =
    "Keydesk asks in its window whether this browser may ask for keys: answer there, then click again.";
pub const TEAM_OFFLINE: &str =
    "The team vault's server cannot be reached, so no key can be read from it: try again once it can.";
pub const NOT_ALLOWED: &str =
    "You did not allow this browser to ask Keydesk for keys. Start Keydesk again to be asked again.";
pub const GUARD_LOCKED: &str = "Keydesk is locked: pasted keys are checked only while it is unlocked.";
pub const GUARD_NOT_ALLOWED: &str = "This browser is not allowed to ask Keydesk, so pasted keys are not checked: click Keydesk's mark in a field to be asked.";

impl KeydeskApp {
    /// Listens for the browser extension at `path` (the per-user socket); a second Keydesk
    /// already listening, or a folder that is not the user's own, is said and skipped.
    pub fn listen_for_browsers(&mut self, ctx: &egui::Context, path: &Path) -> Result<(), Failure> {
        let server = socket::Server::bind(path)?;
        let (sender, incoming) = channel();
        let wake = ctx.clone();
        crate::ui::jobs::run_service("keydesk browser socket", move || {
            while let Ok(stream) = server.wait_for_connection() {
                match socket::receive(&stream) {
                    Ok(socket::Received::Request(request, peer)) => {
                        if sender.send((stream, request, peer)).is_err() {
                            return;
                        }
                        wake.request_repaint();
                    }
                    Ok(socket::Received::Bad(reply)) => {
                        let _client_gone = socket::send_reply(&stream, &reply);
                    }
                    // Another user's connection, or one that said nothing: closed.
                    Ok(socket::Received::Nothing) | Err(_) => {}
                }
            }
        })?;
        self.browser = Some(BrowserBridge {
            incoming,
            asking: None,
            proposed: None,
            not_allowed: Vec::new(),
            path: path.to_owned(),
        });
        Ok(())
    }

    /// Answers the requests that came since the last tick.
    pub(super) fn tick_browser(&mut self, ctx: &egui::Context) {
        let Some(bridge) = &self.browser else { return };
        let asked: Vec<_> = bridge.incoming.try_iter().collect();
        for (stream, request, peer) in asked {
            let browser = peer::browser_of(peer.pid);
            if let Some(reply) = self.answer_browser(ctx, &request, &browser, &stream) {
                // A browser that stopped waiting has nothing to be told.
                let _client_gone = socket::send_reply(&stream, &reply);
            }
        }
    }

    /// The reply to `request` from `browser`; `None` when a job took it (a team vault's fill
    /// reads the server) and answers on `stream` itself.
    fn answer_browser(
        &mut self,
        ctx: &egui::Context,
        request: &Request,
        browser: &str,
        stream: &UnixStream,
    ) -> Option<Reply> {
        let id = Some(request.id());
        if let Request::Guard { id } = request {
            return Some(self.guard_status(*id, browser));
        }
        let allowed = match &self.phase {
            Phase::Unlocked(session) => session.browser_settings(browser, &self.services.dir).0,
            Phase::Busy => {
                return Some(Reply::error(id, ErrorCode::Failed, "Keydesk is busy: try again in a moment."));
            }
            Phase::Create(_) | Phase::Locked(_) => {
                to_front(ctx);
                return Some(Reply::error(id, ErrorCode::Locked, UNLOCK_FIRST));
            }
        };
        let bridge = self.browser.as_mut()?;
        if bridge.not_allowed.iter().any(|refused| refused == browser) {
            return Some(Reply::error(id, ErrorCode::Refused, NOT_ALLOWED));
        }
        if !allowed {
            bridge.asking = Some(browser.to_owned());
            to_front(ctx);
            return Some(Reply::error(id, ErrorCode::Refused, ASKING));
        }
        match self.session_mut().map(|session| &mut session.home)? {
            Home::Local(local) => {
                let decided = answer::decide(local.vault.keys(), request);
                let answered = fill::carry_out(&mut local.vault, decided, browser);
                Some(self.take_answered(ctx, answered, browser))
            }
            Home::Team(team) => {
                let records: Vec<_> = team.list.iter().map(|key| key.record.clone()).collect();
                let decided = answer::decide(&records, request);
                self.answer_for_team(ctx, decided, browser, stream)
            }
        }
    }

    /// Whether the leak guard is on, for an allowed browser. Asked on every paste shaped like
    /// a key, so unlike the other requests it neither brings the window forward nor puts the
    /// question about the browser: it only says why not.
    fn guard_status(&self, id: u64, browser: &str) -> Reply {
        let refused = self.browser.as_ref().is_none_or(|b| b.not_allowed.iter().any(|r| r == browser));
        let Some(session) = self.session() else {
            return Reply::error(Some(id), ErrorCode::Locked, GUARD_LOCKED);
        };
        let (allowed, on) = session.browser_settings(browser, &self.services.dir);
        if refused || !allowed {
            return Reply::error(Some(id), ErrorCode::Refused, GUARD_NOT_ALLOWED);
        }
        Reply::Guard { id, on }
    }

    /// Says in the window what an answer did besides its reply, and puts a proposed page to
    /// the user; answers the reply.
    fn take_answered(&mut self, ctx: &egui::Context, answered: fill::Answered, browser: &str) -> Reply {
        let now = self.now();
        match answered.said {
            Some(Ok(said)) => self.toasts.info(said, now),
            Some(Err(error)) => self.toasts.error(error.to_string(), now),
            None => {}
        }
        if let Some(proposal) = answered.proposed
            && let Some(bridge) = self.browser.as_mut()
        {
            bridge.proposed = Some(propose::Proposed::new(proposal, browser));
            to_front(ctx);
        }
        answered.reply
    }

    /// The reply to a request `decided` over the team vault: a fill or a mark reads and writes
    /// the server, so a job takes it and answers on `stream` itself (`None`).
    fn answer_for_team(
        &mut self,
        ctx: &egui::Context,
        decided: Decision,
        browser: &str,
        stream: &UnixStream,
    ) -> Option<Reply> {
        let (id, label, filled) = match decided {
            Decision::Reply(reply) => return Some(reply),
            Decision::Propose { id, proposal } => {
                return Some(self.take_answered(ctx, fill::proposed(id, proposal), browser));
            }
            Decision::Fill { id, ref offer, .. } => (
                id,
                format!("Filling \"{}\" into {}", offer.label, offer.integration),
                Some(format!("Filled \"{}\" in {browser}.", offer.label)),
            ),
            Decision::Tested { id, ref offer } => (id, format!("Marking {} tested", offer.integration), None),
            Decision::Guard { id } => return Some(self.guard_status(id, browser)),
            Decision::CheckPaste { id, .. } => (id, "Checking a pasted key".to_owned(), None),
        };
        let now = self.now();
        let session = self.team()?;
        let Some(keys) = session.keys.clone() else {
            return Some(Reply::error(Some(id), ErrorCode::Failed, TEAM_OFFLINE));
        };
        let (vault, browser) = (session.vault.clone(), browser.to_owned());
        // A paste is looked up in this computer's copy of the keys, its guard read in team.ron.
        let list = matches!(decided, Decision::CheckPaste { .. }).then(|| session.list.clone());
        let dir = self.services.dir.clone();
        let Ok(stream) = stream.try_clone() else {
            return Some(Reply::error(Some(id), ErrorCode::Failed, "Keydesk could not answer."));
        };
        self.jobs.spawn(ctx, label, Records::Yes, move || {
            let answered = match TeamStore::new(&vault, &keys, now) {
                Ok(store) => {
                    let mut store = store.in_folder(&dir);
                    if let Some(list) = list {
                        store = store.adding(list);
                    }
                    fill::carry_out(&mut store, decided, &browser)
                }
                Err(error) => {
                    let reply = Reply::error(Some(id), ErrorCode::Failed, error.to_string());
                    fill::Answered { reply, said: Some(Err(error.into())), proposed: None }
                }
            };
            let _client_gone = socket::send_reply(&stream, &answered.reply);
            let said = answered
                .said
                .map(|said| said.map_err(Failure::from))
                .or(filled.map(Ok))
                .unwrap_or_else(|| Ok(String::new()));
            Done::Team(TeamDone::Said(said))
        });
        None
    }

    /// The user's answer to "Allow … to ask for keys?".
    pub(super) fn answer_browser_question(&mut self, ctx: &egui::Context, browser: String, allowed: bool) {
        let Some(bridge) = self.browser.as_mut() else { return };
        bridge.asking = None;
        if allowed {
            self.set_browser_allowed(ctx, browser, true);
        } else {
            bridge.not_allowed.push(browser);
        }
    }

    /// Allows `browser` to ask for keys, or takes that back (Settings' "Stop allowing"),
    /// through the store: the local vault's header, or the team vault's `team.ron` with a line
    /// in the team's trail (a job, as it writes the server). Recorded either way.
    pub(super) fn set_browser_allowed(&mut self, ctx: &egui::Context, browser: String, allowed: bool) {
        let said = move |browser: &str| {
            if allowed {
                format!("{browser} may now ask for keys: click the key in the page again.")
            } else {
                format!("{browser} may no longer ask for keys: its next request asks you again.")
            }
        };
        let failed = move |browser: &str, error: &dyn std::fmt::Display| {
            let verb = if allowed { "allowed" } else { "stopped" };
            format!("{browser} could not be {verb}: {error}")
        };
        let label = if allowed { format!("Allowing {browser}") } else { format!("Stopping {browser}") };
        self.change_either(ctx, (label, failed(&browser, &NOT_NOW)), move |store| {
            let kept = store.allow_browser(&browser, allowed);
            let result =
                kept.map(|()| Changed::Said(said(&browser))).map_err(|e| Failure::Said(failed(&browser, &e)));
            Answer::of(Asked::Browsers, result)
        });
    }

    /// Turns the leak guard on or off (Settings' checkbox; a team vault: its Browsers panel)
    /// through the store, as [`Self::set_browser_allowed`] keeps the browsers: the local
    /// vault's header, or the team vault's `team.ron` with a line in its trail (a job).
    pub(super) fn set_leak_guard(&mut self, ctx: &egui::Context, on: bool) {
        let said = if on {
            "The leak guard is on: a key pasted into a page that is not one of its integrations is named beside the field."
        } else {
            "The leak guard is off: no pasted text is sent to Keydesk."
        };
        let failed = |error: &dyn std::fmt::Display| format!("The leak guard could not be switched: {error}");
        let label = "Switching the leak guard".to_owned();
        self.change_either(ctx, (label, failed(&NOT_NOW)), move |store| {
            let switched = store.set_leak_guard(on);
            let result =
                switched.map(|()| Changed::Said(said.to_owned())).map_err(|e| Failure::Said(failed(&e)));
            Answer::of(Asked::Browsers, result)
        });
    }

    /// Runs `work` on the vault open, either kind: a local vault's at once, a team vault's as
    /// its job (`work::answered_job`); the answer is taken in as a change's (`Screens::take`).
    /// `(label, offline)`: what the job is called, and what is said when the team vault's
    /// server must answer first.
    pub(super) fn change_either(
        &mut self,
        ctx: &egui::Context,
        (label, offline): (String, String),
        work: impl FnOnce(&mut dyn crate::actions::Store) -> Answer + Send + 'static,
    ) {
        self.with_session(ctx, |session, fx| {
            if let Some(mut local) = session.local_parts() {
                let answer = work(&mut local.home.vault);
                return local.take(answer, fx);
            }
            if let Some(mut team) = session.team_parts() {
                team.change((label, offline), Asked::Browsers, move |store| work(store), fx);
            }
        });
    }

    /// The question of a browser's first request, over whatever is on screen.
    pub(super) fn browser_question_ui(&self, ctx: &egui::Context) -> Option<Command> {
        let browser = self.browser.as_ref()?.asking.as_ref()?;
        if !matches!(self.phase, Phase::Unlocked(_)) {
            return None;
        }
        let mut answer = None;
        egui::Modal::new(egui::Id::unique("browser-question")).show(ctx, |ui| {
            ui.set_max_width(460.0);
            ui.heading("Allow this browser?");
            ui.label(format!("Allow {browser} to ask Keydesk for keys on the pages of your integrations?"));
            ui.label(
                "It is then offered a key only on a page whose address is one of that key's integrations, \
                 and each fill is recorded in the audit log. Settings (a team vault: its Browsers panel) lists the browsers you allowed, to take one back.",
            );
            ui.horizontal(|ui| {
                let allow = ui.button("Allow");
                if allow.clicked() || (ui.input(|i| i.key_pressed(egui::Key::Enter)) && !allow.has_focus()) {
                    answer = Some(true);
                }
                if ui.button("Don't allow").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                    answer = Some(false);
                }
            });
        });
        answer.map(|allowed| Command::AnswerBrowser { browser: browser.clone(), allowed })
    }
}

/// Brings the window to the front (out of the taskbar when minimized).
fn to_front(ctx: &egui::Context) {
    ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(false));
    ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
}
