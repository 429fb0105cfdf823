//! A page proposed from the browser for a key's integrations ("Add this page to <key>'s
//! integrations"): the window asks, with the integration's name editable (the page's host
//! unless changed), and only "Add" adds it, through the store's edit
//! (`actions::fill::add_page`), for a local and a team vault alike. A lock forgets the
//! question; "Cancel" changes nothing.

use super::{Command, Done, KeydeskApp, Phase, TEAM_OFFLINE};
use crate::actions::{TeamStore, fill};
use crate::browser::answer::Proposal;
use crate::ui::app::team::TeamDone;
use crate::ui::jobs::Records;
use crate::ui::session::Home;

/// A proposal waiting for the user's answer, with the name as typed.
pub struct Proposed {
    pub proposal: Proposal,
    pub name: String,
    pub browser: String,
}

impl Proposed {
    pub fn new(proposal: Proposal, browser: &str) -> Self {
        Proposed { name: proposal.suggested_name(), proposal, browser: browser.to_owned() }
    }
}

impl KeydeskApp {
    /// The question of a proposed page, over whatever is on screen; forgotten once the vault
    /// is locked.
    pub(in crate::ui::app) fn propose_ui(&mut self, ctx: &egui::Context) -> Option<Command> {
        let open = matches!(self.phase, Phase::Unlocked(_));
        let bridge = self.browser.as_mut()?;
        if !open {
            bridge.proposed = None;
            return None;
        }
        if bridge.asking.is_some() {
            return None;
        }
        let proposed = bridge.proposed.as_mut()?;
        let mut answer = None;
        egui::Modal::new(egui::Id::unique("browser-add-page")).show(ctx, |ui| {
            ui.set_max_width(480.0);
            let Proposal { label, provider, origin, .. } = &proposed.proposal;
            ui.heading("Add this page?");
            ui.label(format!("Add {origin} to the integrations of \"{label}\"?"));
            ui.label(format!(
                "Proposed from {}. \"{label}\" ({provider}) is then offered on this page, and the change is recorded \
                 like an edit on the key's page.",
                proposed.browser
            ));
            ui.horizontal(|ui| {
                let name = ui.label("Integration name");
                ui.add(egui::TextEdit::singleline(&mut proposed.name).desired_width(220.0)).labelled_by(name.id);
            });
            ui.horizontal(|ui| {
                let add = ui.button("Add");
                if add.clicked() || ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    answer = Some(Some(proposed.name.clone()));
                }
                if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                    answer = Some(None);
                }
            });
        });
        answer.map(|name| Command::AnswerPage { name })
    }

    /// The user's answer to a proposed page: `None` cancels (nothing is added), a name adds
    /// the page under it.
    pub(in crate::ui::app) fn answer_proposal(&mut self, ctx: &egui::Context, name: Option<String>) {
        let now = self.now();
        let Some(Proposed { proposal, browser, .. }) = self.browser.as_mut().and_then(|b| b.proposed.take())
        else {
            return;
        };
        let Some(name) = name else {
            let said = format!(
                "Nothing was added: {} is not an integration of \"{}\".",
                proposal.origin, proposal.label
            );
            self.toasts.info(said, now);
            return;
        };
        match self.session_mut().map(|session| &mut session.home) {
            Some(Home::Local(local)) => match fill::add_page(&mut local.vault, &proposal, &name, &browser) {
                Ok(said) => self.toasts.info(said, now),
                Err(error) => self.toasts.error(error.to_string(), now),
            },
            Some(Home::Team(session)) => {
                let Some(keys) = session.keys.clone() else {
                    self.toasts.error(TEAM_OFFLINE.to_owned(), now);
                    return;
                };
                let vault = session.vault.clone();
                let label = format!("Adding {} to \"{}\"", proposal.origin, proposal.label);
                self.jobs.spawn(ctx, label, Records::Yes, move || {
                    let added = TeamStore::new(&vault, &keys, now)
                        .map_err(crate::actions::ActionError::from)
                        .and_then(|mut store| fill::add_page(&mut store, &proposal, &name, &browser))
                        .map_err(crate::ui::Failure::from);
                    Done::Team(TeamDone::Said(added))
                });
            }
            None => {}
        }
    }
}
