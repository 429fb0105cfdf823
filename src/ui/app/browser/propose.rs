//! A page proposed from the browser for a key's integrations ("Add this page to <key>'s
//! integrations"): the window asks, with the integration's name editable (the page's host
//! unless changed), and only "Add" adds it, through the store's edit
//! (`actions::fill::add_page`), for a local and a team vault alike. A lock forgets the
//! question; "Cancel" changes nothing.

use super::{Command, KeydeskApp, Phase, TEAM_OFFLINE};
use crate::actions::fill;
use crate::browser::answer::Proposal;
use crate::ui::Failure;
use crate::ui::session::changes::{Answer, Asked, Changed};

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
        // A change on either kind, said as a browser's change is (`change_either`).
        let label = format!("Adding {} to \"{}\"", proposal.origin, proposal.label);
        self.change_either(ctx, (label, TEAM_OFFLINE.to_owned()), move |store| {
            let added = fill::add_page(store, &proposal, &name, &browser);
            Answer::of(Asked::Browsers, added.map(Changed::Said).map_err(Failure::from))
        });
    }
}
