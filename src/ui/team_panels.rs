//! The team screen's panels: members, provider accounts, import and export, the audit trail.

use super::session::Command;
use super::team::{BUSY, TeamCommand, TeamScreenState, TeamView, change_button, why_read_only};
use crate::vault::model::KeyId;

/// The Members panel: who is in the team vault; an admin invites and removes from here.
pub(super) fn members_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    command: &mut Option<TeamCommand>,
) {
    let admin = view.admin == Some(true);
    let why_not = why_read_only(view).or(view.busy.then_some(BUSY));
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.strong("Members of the team vault");
        let Some(members) = view.members else {
            ui.horizontal(|ui| {
                super::widgets::spinner(ui);
                ui.label("Reading the members…");
            });
            return;
        };
        for member in members {
            ui.horizontal(|ui| {
                ui.label(&member.name);
                if member.name == view.member {
                    // Your password is changed in Settings, as on a local vault.
                    ui.label(egui::RichText::new("you").weak());
                }
                if member.invited {
                    ui.label(egui::RichText::new("invited, not joined yet").weak());
                }
                if !admin || member.name == view.member {
                    return;
                }
                if state.removing.as_deref() == Some(member.name.as_str()) {
                    ui.label(format!(
                        "Their copy goes, the team's key is replaced and every secret sealed again under it. Revoke {}'s server token too.",
                        member.name
                    ));
                    if change_button(ui, &format!("Remove {}", member.name), why_not).clicked() {
                        *command = Some(TeamCommand::RemoveMember(member.name.clone()));
                        state.removing = None;
                    }
                    if ui.button("Cancel").clicked() {
                        state.removing = None;
                    }
                } else if change_button(ui, "Remove…", why_not).on_hover_text(format!("Remove {}", member.name)).clicked() {
                    state.removing = Some(member.name.clone());
                }
            });
        }
        match view.admin {
            Some(true) => {
                ui.horizontal(|ui| {
                    let name = ui.label("New member's name");
                    ui.add(egui::TextEdit::singleline(&mut state.invite_name).hint_text("their name").desired_width(200.0))
                        .labelled_by(name.id);
                    if change_button(ui, "Invite", why_not).clicked() && !state.invite_name.trim().is_empty() {
                        *command = Some(TeamCommand::Invite(state.invite_name.trim().to_owned()));
                        state.invite_name.clear();
                    }
                });
            }
            Some(false) => {
                ui.label(
                    egui::RichText::new("Only a token with the keydesk-admin policy invites and removes members.").weak(),
                );
            }
            None => {}
        }
    });
}

/// The Accounts panel: the team's provider accounts, as a local vault's API settings show
/// them; an editor adds one, an admin removes one (asked first).
pub(super) fn team_accounts_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    command: &mut Option<TeamCommand>,
) {
    let why_not = why_read_only(view).or(view.busy.then_some(BUSY));
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.strong("Provider accounts of the team vault");
        ui.label(
            "Where the team's keys are checked and revoked. A management key is sealed with the team's key, as the keys are.",
        );
        let Some(accounts) = view.accounts else {
            ui.horizontal(|ui| {
                super::widgets::spinner(ui);
                ui.label("Reading the accounts…");
            });
            return;
        };
        // As on a local vault: a removal is asked first, in the same dialog.
        if let Some(action) = super::accounts::accounts_body(ui, accounts, &mut state.accounts, why_not) {
            *command = super::team_page::carried(super::accounts::account_command(action), view, state);
        }
    });
}

/// The Audit log panel: the local vault's audit screen over the team's trail, in a frame of
/// its own height; a key's label opens its details.
pub(super) fn audit_panel_ui(ui: &mut egui::Ui, view: &TeamView<'_>, state: &mut TeamScreenState) {
    let label_of = |id: &str| {
        view.keys
            .iter()
            .find(|k| k.record.id.as_str() == id)
            .map_or_else(|| id.to_owned(), |k| k.record.label.clone())
    };
    let width = ui.available_width();
    let asked = egui::Frame::group(ui.style())
        .show(ui, |ui| {
            ui.allocate_ui(egui::vec2(width, 320.0), |ui| {
                super::audit_log::audit_ui(ui, &label_of, view.audit, &mut state.audit)
            })
            .inner
        })
        .inner;
    if let Some(super::session::Command::OpenKey(key)) = asked
        && let Some(found) = view.keys.iter().find(|k| k.record.id == key)
    {
        super::team_page::open(state, &found.record, false);
    }
}

/// The "Which key is this?" panel: the local vault's screen over the team's keys. Its leak
/// response opens the revoke dialog, where it was found filled in (the revoke opens the
/// incident); "Open key" opens the key's details.
pub(super) fn whois_panel_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    command: &mut Option<TeamCommand>,
) {
    use super::detail::KeyBook;
    let key = |id: &KeyId| view.key(id);
    let asked = egui::Frame::group(ui.style())
        .show(ui, |ui| super::whois::whois_ui(ui, view, &mut state.whois))
        .inner;
    match asked {
        Some(asked @ Command::Whois(_)) => *command = Some(TeamCommand::Verb(asked)),
        Some(asked @ (Command::StartRevoke(_) | Command::RespondToLeak { .. })) => {
            *command = super::team_page::carried(asked, view, state);
        }
        Some(Command::OpenKey(id)) => {
            if let Some(record) = key(&id) {
                super::team_page::open(state, record, false);
            }
        }
        _ => {}
    }
}
