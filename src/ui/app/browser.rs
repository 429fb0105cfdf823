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

use super::{Command, KeydeskApp, Phase};
use crate::actions::changes;
use crate::browser::answer::{self, Decision};
use crate::browser::messaging::{ErrorCode, Reply, Request};
use crate::browser::origin::OfferRole;
use crate::browser::{peer, socket};
use crate::vault::Moved;

/// The window's end of the browser socket.
pub struct BrowserBridge {
    incoming: Receiver<(UnixStream, Request, socket::Peer)>,
    /// The browser whose request waits for the user's answer ("Allow … to ask for keys?").
    pub asking: Option<String>,
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

/// The sentences the extension shows.
pub const UNLOCK_FIRST: &str = "Unlock Keydesk first: its window is in front of you now.";
pub const ASKING: &str =
    "Keydesk asks in its window whether this browser may ask for keys: answer there, then click again.";
pub const TEAM_NOT_YET: &str = "Keydesk fills keys from a vault on this computer only, not yet from a team vault: copy the key from Keydesk's window.";
pub const NOT_ALLOWED: &str =
    "You did not allow this browser to ask Keydesk for keys. Start Keydesk again to be asked again.";

impl KeydeskApp {
    /// Listens for the browser extension at `path` (the per-user socket); a second Keydesk
    /// already listening, or a folder that is not the user's own, is said and skipped.
    pub fn listen_for_browsers(&mut self, ctx: &egui::Context, path: &Path) -> Result<(), String> {
        let server = socket::Server::bind(path).map_err(|e| e.to_string())?;
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
        self.browser =
            Some(BrowserBridge { incoming, asking: None, not_allowed: Vec::new(), path: path.to_owned() });
        Ok(())
    }

    /// Answers the requests that came since the last tick.
    pub(super) fn tick_browser(&mut self, ctx: &egui::Context) {
        let Some(bridge) = &self.browser else { return };
        let asked: Vec<_> = bridge.incoming.try_iter().collect();
        for (stream, request, peer) in asked {
            let reply = self.answer_browser(ctx, &request, &peer::browser_of(peer.pid));
            // A browser that stopped waiting has nothing to be told.
            let _client_gone = socket::send_reply(&stream, &reply);
        }
    }

    fn answer_browser(&mut self, ctx: &egui::Context, request: &Request, browser: &str) -> Reply {
        let id = Some(request.id());
        let now = self.now();
        let Some(bridge) = self.browser.as_mut() else {
            return Reply::error(id, ErrorCode::NotRunning, "Keydesk is not listening.");
        };
        let session = match &mut self.phase {
            Phase::Unlocked(session) => session,
            Phase::Team(_) => return Reply::error(id, ErrorCode::Failed, TEAM_NOT_YET),
            Phase::Busy => {
                return Reply::error(id, ErrorCode::Failed, "Keydesk is busy: try again in a moment.");
            }
            Phase::Create(_) | Phase::Locked(_) => {
                to_front(ctx);
                return Reply::error(id, ErrorCode::Locked, UNLOCK_FIRST);
            }
        };
        if bridge.not_allowed.iter().any(|refused| refused == browser) {
            return Reply::error(id, ErrorCode::Refused, NOT_ALLOWED);
        }
        if !session.vault.browser_allowed(browser) {
            bridge.asking = Some(browser.to_owned());
            to_front(ctx);
            return Reply::error(id, ErrorCode::Refused, ASKING);
        }
        let (id, offer, origin) = match answer::decide(session.vault.keys(), request) {
            Decision::Reply(reply) => return reply,
            Decision::Fill { id, offer, origin } => (id, offer, origin),
        };
        let detail = format!("into {} at {origin}, from {browser}", offer.integration);
        let secret = session.vault.fill(&offer.key, detail).map_err(|error| error.to_string());
        if secret.is_ok() && offer.role == OfferRole::RotationNew {
            // The new key went into that integration: its step of the rotation is done.
            let old = session.vault.key(&offer.key).ok().and_then(|key| key.replaces.clone());
            if let Some(old) = old {
                match changes::mark_rotation(&mut session.vault, &old, &offer.integration, Moved::Updated) {
                    Ok(_) => self.toasts.info(
                        format!(
                            "{} now holds the new key of \"{}\" (filled from {browser}).",
                            offer.integration, offer.label
                        ),
                        now,
                    ),
                    // Marked before (a second fill) or no longer under way: nothing to tick.
                    Err(_already) => {}
                }
            }
        }
        answer::filled(id, secret)
    }

    /// The user's answer to "Allow … to ask for keys?".
    pub(super) fn answer_browser_question(&mut self, browser: String, allowed: bool) {
        let Some(bridge) = self.browser.as_mut() else { return };
        bridge.asking = None;
        if !allowed {
            bridge.not_allowed.push(browser);
            return;
        }
        let now = self.now();
        let Phase::Unlocked(session) = &mut self.phase else { return };
        match session.vault.allow_browser(&browser, true) {
            Ok(()) => self
                .toasts
                .info(format!("{browser} may now ask for keys: click the key in the page again."), now),
            Err(error) => self.toasts.error(format!("{browser} could not be allowed: {error}"), now),
        }
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
                 and each fill is recorded in the audit log. Settings lists the browsers you allowed.",
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
