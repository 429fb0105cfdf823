//! The team screen's Members panel: who is in the team vault, invitations and removals.

use super::team::{TeamCommand, TeamScreenState, TeamView, change_button};

/// The Members panel: who is in the team vault; an admin invites and removes from here.
pub(super) fn members_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    command: &mut Option<TeamCommand>,
) {
    let admin = view.admin == Some(true);
    let why_not = view.why_waits();
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
