//! "Which key is this?" (Ctrl+K): a string found in a log, a repository or an e-mail is
//! pasted, and Keydesk says which of its keys it is — active, retiring or revoked — and offers
//! the leak response for a key that still works: an incident (where it was found, who noticed),
//! the revoke, then the replacement, each step joining the incident.

use super::session::Command;
use super::state::{WhoisAnswer, WhoisState};
use super::theme::{self, Badge};
use super::widgets::{badge_ui, error_ui, field, secret_field};
use crate::vault::model::{KeyStatus, VaultFile};

/// The screen.
pub fn whois_ui(ui: &mut egui::Ui, file: &VaultFile, state: &mut WhoisState) -> Option<Command> {
    let mut command = None;
    ui.heading("Which key is this?");
    ui.label(
        "Paste a string found in a log, a repository or an e-mail. Keydesk compares it with every \
         key it holds, revoked ones too, by keyed hash: nothing is decrypted and nothing leaves this \
         computer. The look-up is in the audit log, without the string.",
    );
    ui.add_space(theme::GAP);
    let found = secret_field(ui, "whois", "Found string", &mut state.candidate);
    if state.focus {
        found.request_focus();
        state.focus = false;
    }
    let entered = found.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    let look = ui.add_enabled(!state.candidate.is_empty(), egui::Button::new("Look it up")).clicked();
    if (look || entered) && !state.candidate.is_empty() {
        state.candidate.trim();
        command = Some(Command::Whois(state.candidate.take()));
    }
    ui.add_space(theme::GAP);
    match &state.answer {
        None => {}
        Some(WhoisAnswer::NoMatch) => {
            badge_ui(ui, "No key in this vault matches that string.", Badge::Warn);
            ui.label(
                "It may be a key kept somewhere else, or not a key at all. If it is a provider's key, \
                 look it up in that provider's key list.",
            );
        }
        Some(WhoisAnswer::Key(id)) => match file.key(id) {
            None => {
                badge_ui(ui, "The key it matched is no longer in this vault.", Badge::Warn);
            }
            Some(record) => {
                ui.horizontal_wrapped(|ui| {
                    ui.label(egui::RichText::new(format!("It is \"{}\"", record.label)).strong());
                    ui.label(format!("({} key, …{})", record.provider.name(), hint_end(&record.hint)));
                });
                let (said, kind) = match &record.status {
                    KeyStatus::Active => ("Active: it works. If it was found where it should not be, it has leaked.".to_owned(), Badge::Bad),
                    KeyStatus::Retiring => (
                        "Retiring: it still works until it is revoked. If it was found where it should not be, it has leaked."
                            .to_owned(),
                        Badge::Bad,
                    ),
                    KeyStatus::Revoked { at, reason } if record.provider_revoke_pending.is_some() => (
                        format!(
                            "Marked revoked on {} ({reason}), but the revoke at the provider failed: it may still work there.",
                            at.format("%Y-%m-%d")
                        ),
                        Badge::Bad,
                    ),
                    KeyStatus::Revoked { at, reason } => {
                        (format!("Revoked on {} ({reason}).", at.format("%Y-%m-%d")), Badge::Muted)
                    }
                };
                badge_ui(ui, &said, kind);
                ui.add_space(theme::GAP);
                // The leak response happens inside an incident: where the string was found
                // and who noticed are asked here, once (an incident already open is used).
                let open = file.incidents.iter().find(|i| i.key == record.id && i.closed_at.is_none());
                if record.is_live() {
                    match open {
                        Some(incident) => {
                            ui.label(format!(
                                "Incident {} is open on this key (found in {}): the revoke joins it.",
                                incident.id, incident.found_where
                            ));
                        }
                        None => {
                            field(ui, "Found where", &mut state.found_where);
                            field(ui, "Noticed by", &mut state.noticed_by);
                            error_ui(ui, &state.error);
                        }
                    }
                }
                ui.horizontal(|ui| {
                    if record.is_live() {
                        let colour = theme::badge(ui.visuals().dark_mode, Badge::Bad);
                        let revoke =
                            egui::Button::new(egui::RichText::new("Suspected leak: revoke…").color(colour));
                        let hover = "Opens an incident, revokes the key, then makes its replacement";
                        if ui.add(revoke).on_hover_text(hover).clicked() {
                            command = Some(match open {
                                Some(_) => Command::StartRevoke(record.id.clone()),
                                None => Command::RespondToLeak {
                                    key: record.id.clone(),
                                    report: crate::vault::incidents::IncidentReport {
                                        found_where: state.found_where.clone(),
                                        noticed_by: state.noticed_by.clone(),
                                        notes: String::new(),
                                    },
                                },
                            });
                        }
                    }
                    if ui.button("Open key").clicked() {
                        command = Some(Command::OpenKey(record.id.clone()));
                    }
                });
            }
        },
    }
    command
}

/// The last characters of a key's hint (what follows its ellipsis).
fn hint_end(hint: &str) -> &str {
    hint.rsplit('…').next().unwrap_or(hint)
}
