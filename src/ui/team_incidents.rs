//! The team vault's Incidents panel: each suspected leak with its timeline (every member's
//! steps on the key and its replacement, read from the team's trail) and, while open, its
//! closing with a summary. An incident is opened from a key's Revoke… form ("Found in").

use std::collections::HashMap;

use super::team::{TeamCommand, change_button};
use super::theme;
use super::widgets::{error_ui, field};
use crate::vault::model::Incident;

/// The panel's own state: the summary typed for each open incident, and the last error.
#[derive(Default)]
pub struct IncidentsState {
    pub summaries: HashMap<String, String>,
    pub error: Option<String>,
}

/// The panel. `incidents`: `None` while they are read; `label_of` names a key by its id.
pub fn incidents_ui(
    ui: &mut egui::Ui,
    incidents: Option<&[Incident]>,
    label_of: &dyn Fn(&crate::vault::model::KeyId) -> String,
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
        error_ui(ui, &state.error);
        egui::ScrollArea::vertical().id_salt("team-incidents").max_height(360.0).show(ui, |ui| {
            let mut sorted: Vec<&Incident> = incidents.iter().collect();
            sorted.sort_by_key(|i| (i.closed_at.is_some(), std::cmp::Reverse(i.opened_at)));
            for incident in sorted {
                let open = incident.closed_at.is_none();
                ui.horizontal(|ui| {
                    ui.strong(format!("Incident {}", incident.id));
                    let (word, badge) = if open { ("open", theme::Badge::Warn) } else { ("closed", theme::Badge::Muted) };
                    super::widgets::badge_ui(ui, word, badge);
                });
                // A long label or place wraps in the panel instead of widening the screen.
                let found = format!("\"{}\" found in {}", label_of(&incident.key), incident.found_where);
                ui.add(egui::Label::new(found).wrap());
                // The time first; each step wraps in what is left of the row beside it.
                for event in &incident.timeline {
                    ui.horizontal(|ui| {
                        ui.add_space(theme::GAP);
                        ui.label(egui::RichText::new(event.at.format("%Y-%m-%d %H:%M UTC").to_string()).weak());
                        ui.add(egui::Label::new(&event.what).wrap());
                    });
                }
                if open {
                    let summary = state.summaries.entry(incident.id.clone()).or_default();
                    field(ui, "Summary", summary);
                    ui.horizontal(|ui| {
                        ui.add_space(theme::LABEL_WIDTH + 8.0);
                        if change_button(ui, "Close incident", why_not).clicked() {
                            if summary.trim().is_empty() {
                                state.error = Some(
                                    "The summary is empty: say what happened and what was done, in a sentence or two."
                                        .to_owned(),
                                );
                            } else {
                                state.error = None;
                                command = Some(TeamCommand::CloseIncident {
                                    id: incident.id.clone(),
                                    summary: summary.trim().to_owned(),
                                });
                            }
                        }
                    });
                }
                ui.separator();
            }
        });
    });
    command
}
