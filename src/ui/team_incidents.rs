//! The team vault's Incidents panel: each suspected leak under its key's label, drawn as a
//! local key's page draws it (`detail_sections::incident_ui`): its timeline (every member's
//! steps on the key and its replacement, read from the team's trail), while open its closing
//! with a summary, and its Markdown report. An incident is opened from a key's Revoke… form
//! ("Found in") or from "Which key is this?".

use std::collections::HashMap;

use super::session::Command;
use super::state::IncidentForm;
use super::team::TeamCommand;
use super::widgets::error_ui;
use crate::vault::model::{Incident, KeyId};

/// The panel's own state: each incident's form (its summary, report file and last error), and
/// the incident whose report file the desktop's file chooser was asked for.
#[derive(Default)]
pub struct IncidentsState {
    pub forms: HashMap<String, IncidentForm>,
    pub choosing: Option<String>,
}

/// The panel. `incidents`: `None` while they are read; `label_of` names a key by its id;
/// `why_not`: why an incident cannot be closed now.
pub fn incidents_ui(
    ui: &mut egui::Ui,
    incidents: Option<&[Incident]>,
    label_of: &dyn Fn(&KeyId) -> String,
    state: &mut IncidentsState,
    why_not: Option<&str>,
) -> Option<TeamCommand> {
    let mut command = None;
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.strong("Incidents of the team vault");
        let Some(incidents) = incidents else {
            ui.horizontal(|ui| {
                super::widgets::spinner(ui);
                ui.label("Reading the incidents and the team's trail…");
            });
            return;
        };
        if incidents.is_empty() {
            ui.label("No incidents. When a key may have leaked, say where it was found in its Revoke… form.");
        }
        egui::ScrollArea::vertical().id_salt("team-incidents").max_height(360.0).show(ui, |ui| {
            let mut sorted: Vec<&Incident> = incidents.iter().collect();
            sorted.sort_by_key(|i| (i.closed_at.is_some(), std::cmp::Reverse(i.opened_at)));
            for incident in sorted {
                let asked = incident_ui(ui, incident, label_of, state, why_not);
                if asked.is_some() {
                    command = asked;
                }
                ui.separator();
            }
        });
    });
    command
}

/// One incident, under its key's label: what the local card asks, carried to the team vault.
fn incident_ui(
    ui: &mut egui::Ui,
    incident: &Incident,
    label_of: &dyn Fn(&KeyId) -> String,
    state: &mut IncidentsState,
    why_not: Option<&str>,
) -> Option<TeamCommand> {
    // A long label wraps in the panel instead of widening the screen.
    ui.add(egui::Label::new(egui::RichText::new(format!("\"{}\"", label_of(&incident.key))).strong()).wrap());
    let form = state.forms.entry(incident.id.clone()).or_default();
    let asked = super::detail_sections::incident_ui(ui, incident, form);
    let command = match asked {
        Some(Command::CloseIncident { id, summary }) => {
            let summary = summary.trim();
            form.error = if summary.is_empty() {
                Some(
                    "The summary is empty: say what happened and what was done, in a sentence or two."
                        .to_owned(),
                )
            } else {
                why_not.map(str::to_owned)
            };
            form.error
                .is_none()
                .then(|| TeamCommand::Verb(Command::CloseIncident { id, summary: summary.to_owned() }))
        }
        Some(asked @ Command::ExportIncident { .. }) => Some(TeamCommand::Verb(asked)),
        Some(Command::ChooseFile(report)) => {
            state.choosing = Some(incident.id.clone());
            Some(TeamCommand::Verb(Command::ChooseFile(report)))
        }
        _ => None,
    };
    if let Some(form) = state.forms.get(&incident.id) {
        error_ui(ui, &form.error);
    }
    command
}
