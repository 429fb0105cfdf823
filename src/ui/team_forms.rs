//! The team screen's New key screen (the local vault's, carried to the team vault) and its
//! revoke form (which also ends a rotation).

use super::session::Command;
use super::theme::{self};
use super::widgets::{error_ui, field};

use super::team::{BUSY, Ending, TeamCommand, TeamScreenState, TeamView, form_ui, why_read_only};

/// The open form over the list or the key's page: Revoke.
pub(super) fn forms_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    command: &mut Option<TeamCommand>,
) {
    // A form's buttons wait while a job runs; the changing ones also when read-only.
    let why_not = why_read_only(view).or(view.busy.then_some(BUSY));
    revoke_form_ui(ui, state, why_not, command);
}

/// The New key screen, the local vault's: what it asks is carried to the team vault (a
/// change that cannot be made now says why under its button).
pub(super) fn new_key_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    command: &mut Option<TeamCommand>,
) {
    let Some(form) = &mut state.adding else { return };
    let Some(asked) = super::new_key::new_key_ui(ui, view.accounts.unwrap_or_default(), form) else { return };
    let why_not = why_read_only(view).or(view.busy.then_some(BUSY));
    let carried = match asked {
        Command::Show(_) => {
            state.adding = None;
            return;
        }
        Command::Generate(request) => TeamCommand::Generate { request, replaces: form.replaces.clone() },
        Command::Add { request, secret, verify_after } => {
            TeamCommand::Add { request, secret, verify_after, replaces: form.replaces.clone() }
        }
        Command::CreateAtProvider { account, request, scopes } => {
            TeamCommand::Create { account, request, scopes, replaces: form.replaces.clone() }
        }
        _ => return,
    };
    match why_not {
        Some(why) => form.error = Some(why.to_owned()),
        None => {
            form.error = None;
            *command = Some(carried);
        }
    }
}

/// The Revoke form, when open: a reason is asked for; where the key leaked opens an incident.
/// Ending a rotation, only whether it was revoked on the provider's page is asked.
pub(super) fn revoke_form_ui(
    ui: &mut egui::Ui,
    state: &mut TeamScreenState,
    why_not: Option<&str>,
    command: &mut Option<TeamCommand>,
) {
    let Some(form) = &mut state.revoking else { return };
    let (title, action) = match &form.ends {
        None => (format!("Revoke \"{}\"", form.label), "Revoke key"),
        Some(Ending::Complete { .. }) => {
            (format!("Finish the rotation: revoke the old key \"{}\"", form.label), "Revoke and finish")
        }
        Some(Ending::Abandon { .. }) => {
            (format!("Abandon the rotation: revoke the new key \"{}\"", form.label), "Revoke and abandon")
        }
    };
    let (revoke, cancel) = form_ui(ui, &title, action, why_not, |ui| {
        ui.label(
            "Revoke the key on the provider's page first, then tick the box: Keydesk checks that the \
             provider refuses the old key. Unticked, the key is revoked in Keydesk only. Either way its \
             secret leaves the server for every member.",
        );
        if form.ends.is_none() {
            field(ui, "Reason", &mut form.reason);
            super::widgets::field_with(
                ui,
                "Found in",
                egui::TextEdit::singleline(&mut form.found_where)
                    .hint_text("where it leaked, if it did: opens an incident"),
            );
            if !form.found_where.trim().is_empty() {
                super::widgets::field_with(
                    ui,
                    "Noticed by",
                    egui::TextEdit::singleline(&mut form.noticed_by).hint_text("you, if left empty"),
                );
            }
        }
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + 8.0);
            ui.checkbox(&mut form.at_provider, "I revoked it on the provider's page");
        });
        error_ui(ui, &form.error);
    });
    if revoke {
        let at_provider = form.at_provider;
        match &form.ends {
            Some(Ending::Complete { old, reason }) => {
                *command = Some(TeamCommand::CompleteRotation {
                    old: old.clone(),
                    reason: reason.clone(),
                    at_provider,
                });
            }
            Some(Ending::Abandon { old, reason }) => {
                *command = Some(TeamCommand::AbandonRotation {
                    old: old.clone(),
                    reason: reason.clone(),
                    at_provider,
                });
            }
            None if form.reason.trim().is_empty() => {
                form.error = Some(
                    "The reason is empty: say why the key is revoked (it is kept with the key).".to_owned(),
                );
            }
            None => {
                let found_where = form.found_where.trim();
                *command = Some(TeamCommand::Revoke {
                    key: form.key.clone(),
                    reason: form.reason.trim().to_owned(),
                    at_provider,
                    leak: (!found_where.is_empty()).then(|| crate::vault::incidents::IncidentReport {
                        found_where: found_where.to_owned(),
                        noticed_by: form.noticed_by.trim().to_owned(),
                        notes: String::new(),
                    }),
                });
            }
        }
    }
    if cancel {
        state.revoking = None;
    }
}
