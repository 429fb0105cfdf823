//! "Which key is this?" (Ctrl+K): a string found in a log, a repository or an e-mail is
//! pasted, and Keydesk says which of its keys it is — active, retiring or revoked — and offers
//! the leak response for a key that still works: an incident (where it was found, who noticed),
//! the revoke, then the replacement, each step joining the incident.

use super::detail::KeyBook;
use super::session::Command;
use super::state::WhoisState;
use super::theme::{self, Badge};
use super::widgets::{MAX_SECRET_CHARS, badge_ui, error_ui, field, secret_field};
use crate::vault::model::{Incident, KeyRecord};
use crate::vault::whois;

/// The screen, over a vault's keys and incidents (a local vault's file, a team vault's copy).
pub fn whois_ui(ui: &mut egui::Ui, file: &dyn KeyBook, state: &mut WhoisState) -> Option<Command> {
    let mut command = None;
    ui.heading("Which key is this?");
    ui.label(
        "Paste a string found in a log, a repository or an e-mail: a key, or a whole line, URL, \
         header or .env file holding one. Keydesk compares every piece of it with every key it \
         holds, revoked ones too, by keyed hash: nothing is decrypted and nothing leaves this \
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
        // The field keeps MAX_SECRET_CHARS characters of a paste: a longer one was cut there.
        state.field_full = state.candidate.expose().chars().count() >= MAX_SECRET_CHARS;
        state.candidate.trim();
        command = Some(Command::Whois(state.candidate.take()));
    }
    ui.add_space(theme::GAP);
    let Some(answer) = &state.answer else { return command };
    if state.field_full {
        badge_ui(
            ui,
            &format!(
                "The field keeps the first {MAX_SECRET_CHARS} characters of a paste: anything after them was not looked at. Paste the line that holds the key."
            ),
            Badge::Warn,
        );
    }
    if answer.cut_short {
        badge_ui(
            ui,
            &format!(
                "Only the first {} KiB of the text, or its first {} strings, were looked at: paste less to look at the rest.",
                whois::MAX_INPUT / 1024,
                whois::MAX_CANDIDATES
            ),
            Badge::Warn,
        );
    }
    if answer.keys.is_empty() {
        badge_ui(ui, "No key in this vault matches that string.", Badge::Warn);
        ui.label(format!(
            "{} looked at. It may be a key kept somewhere else, or not a key at all. If it is a provider's key, \
             look it up in that provider's key list.",
            if answer.looked_at == 1 { "1 string was".to_owned() } else { format!("{} strings were", answer.looked_at) }
        ));
        return command;
    }
    let keys = answer.keys.clone();
    // Where the string was found and who noticed are asked once, for every key found that
    // still works and has no incident open.
    let ask =
        keys.iter().filter_map(|id| file.key(id)).any(|r| r.is_live() && open_incident(file, r).is_none());
    if ask {
        field(ui, "Found where", &mut state.found_where);
        field(ui, "Noticed by", &mut state.noticed_by);
        error_ui(ui, &state.error);
    }
    for id in &keys {
        ui.add_space(theme::GAP);
        match file.key(id) {
            None => badge_ui(ui, "The key it matched is no longer in this vault.", Badge::Warn),
            Some(record) => {
                if let Some(asked) = key_answer_ui(ui, file, record, state) {
                    command = Some(asked);
                }
            }
        }
    }
    command
}

/// The incident open on `record`, if one is.
fn open_incident<'a>(file: &'a dyn KeyBook, record: &KeyRecord) -> Option<&'a Incident> {
    file.incidents().iter().find(|i| i.key == record.id && i.closed_at.is_none())
}

/// One key found: which it is, its state and last check, and the leak response.
fn key_answer_ui(
    ui: &mut egui::Ui,
    file: &dyn KeyBook,
    record: &KeyRecord,
    state: &WhoisState,
) -> Option<Command> {
    let mut command = None;
    ui.horizontal_wrapped(|ui| {
        ui.label(egui::RichText::new(format!("It is \"{}\"", record.label)).strong());
        ui.label(format!("({} key, …{})", record.provider.name(), hint_end(&record.hint)));
    });
    let mut said = whois::state_words(record, |id| file.key(id));
    let kind = if record.is_live() || record.provider_revoke_pending.is_some() {
        said.push_str(" If it was found where it should not be, it has leaked.");
        Badge::Bad
    } else {
        Badge::Muted
    };
    badge_ui(ui, &said, kind);
    // The leak response happens inside an incident (an incident already open is used).
    let open = open_incident(file, record);
    if record.is_live()
        && let Some(incident) = open
    {
        ui.label(format!(
            "Incident {} is open on this key (found in {}): the revoke joins it.",
            incident.id, incident.found_where
        ));
    }
    ui.horizontal(|ui| {
        if record.is_live() {
            let colour = theme::badge(ui.visuals().dark_mode, Badge::Bad);
            let revoke = egui::Button::new(egui::RichText::new("Suspected leak: revoke…").color(colour));
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
    command
}

/// The last characters of a key's hint (what follows its ellipsis).
fn hint_end(hint: &str) -> &str {
    hint.rsplit('…').next().unwrap_or(hint)
}
