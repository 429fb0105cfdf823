//! The Incidents screen, on either kind of vault: each suspected leak under its key's label,
//! drawn as a key's page draws it (`detail_sections::incident_ui`): its timeline (on a team
//! vault every member's steps on the key and its replacement, read from the team's trail),
//! while open its closing with a summary, and its Markdown report. An incident is opened from
//! a key's page, the revoke dialog ("Found in") or "Which key is this?".

use std::collections::HashMap;

use super::session::Command;
use super::state::IncidentForm;
use super::widgets::error_ui;
use crate::vault::model::{Incident, KeyId};

/// The screen's own state: each incident's form (its summary, report file and last error), and
/// the incident whose report file the desktop's file chooser was asked for.
#[derive(Default)]
pub struct IncidentsState {
    pub forms: HashMap<String, IncidentForm>,
    pub choosing: Option<String>,
}

/// The screen. `incidents`: `None` while a team vault's are read; `label_of` names a key by
/// its id; `why_not`: why an incident cannot be closed now.
pub fn incidents_ui(
    ui: &mut egui::Ui,
    incidents: Option<&[Incident]>,
    label_of: &dyn Fn(&KeyId) -> String,
    state: &mut IncidentsState,
    why_not: Option<&str>,
) -> Option<Command> {
    let mut command = None;
    egui::ScrollArea::vertical().id_salt("incidents").auto_shrink(false).show(ui, |ui| {
        ui.heading("Incidents");
        let Some(incidents) = incidents else {
            ui.horizontal(|ui| {
                super::widgets::spinner(ui);
                ui.label("Reading the incidents and the team's trail…");
            });
            return;
        };
        if incidents.is_empty() {
            ui.label("No incidents. When a key may have leaked, say where it was found in its revoke dialog, or report it on its page.");
        }
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
    command
}

/// One incident, under its key's label, with what its card asks.
fn incident_ui(
    ui: &mut egui::Ui,
    incident: &Incident,
    label_of: &dyn Fn(&KeyId) -> String,
    state: &mut IncidentsState,
    why_not: Option<&str>,
) -> Option<Command> {
    // A long label wraps in the panel instead of widening the screen.
    ui.add(egui::Label::new(egui::RichText::new(format!("\"{}\"", label_of(&incident.key))).strong()).wrap());
    let form = state.forms.entry(incident.id.clone()).or_default();
    let asked = super::detail_sections::incident_ui(ui, incident, form);
    let command = match asked {
        Some(asked @ Command::CloseIncident { .. }) => {
            form.error = why_not.map(str::to_owned);
            form.error.is_none().then_some(asked)
        }
        Some(asked @ Command::ExportIncident { .. }) => Some(asked),
        Some(Command::ChooseFile(report)) => {
            state.choosing = Some(incident.id.clone());
            Some(Command::ChooseFile(report))
        }
        _ => None,
    };
    if let Some(form) = state.forms.get(&incident.id) {
        error_ui(ui, &form.error);
    }
    command
}
