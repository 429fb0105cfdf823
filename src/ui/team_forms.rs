//! The team screen's forms: add, and revoke (which also ends a rotation).

use super::new_key::{account_picker, spec_ui, template_ui};
use super::state::NewMode;
use super::theme::{self};
use super::widgets::{error_ui, field, secret_field};

use super::team::{BUSY, Ending, TeamCommand, TeamScreenState, TeamView, form_ui, why_read_only};

/// The open forms over the list or the key's page: Add and Revoke.
pub(super) fn forms_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    command: &mut Option<TeamCommand>,
) {
    // A form's buttons wait while a job runs; the changing ones also when read-only.
    let why_not = why_read_only(view).or(view.busy.then_some(BUSY));
    add_form_ui(ui, view, state, why_not, command);
    revoke_form_ui(ui, state, why_not, command);
}

/// The Add form, when open: a key pasted, made at the provider or generated, checked before
/// it is asked for.
pub(super) fn add_form_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    why_not: Option<&str>,
    command: &mut Option<TeamCommand>,
) {
    let Some(form) = &mut state.adding else { return };
    let action = match form.mode {
        NewMode::Paste => "Add to team vault",
        NewMode::Generate => "Generate",
        NewMode::AtProvider => "Create at provider",
    };
    let (add, cancel) = form_ui(ui, "Add a key to the team vault", action, why_not, |ui| {
        ui.horizontal(|ui| {
            ui.selectable_value(&mut form.mode, NewMode::Paste, "Paste a provider's key");
            ui.selectable_value(&mut form.mode, NewMode::AtProvider, "Create at the provider");
            ui.selectable_value(&mut form.mode, NewMode::Generate, "Generate a Keydesk key");
        });
        let label = field(ui, "Label", &mut form.label);
        if !std::mem::replace(&mut form.focused, true) {
            label.request_focus();
        }
        let accounts = view.accounts.unwrap_or_default();
        match form.mode {
            NewMode::Paste => {
                secret_field(ui, "team-paste-key", "Key", &mut form.secret);
                account_picker(ui, accounts, &mut form.account, false);
            }
            NewMode::AtProvider => {
                account_picker(ui, accounts, &mut form.account, true);
                let account = form.account.as_deref().and_then(|id| accounts.iter().find(|a| a.id == id));
                if let Some(account) = account {
                    template_ui(ui, account.provider, &mut form.template);
                }
            }
            NewMode::Generate => spec_ui(ui, &mut form.prefix, &mut form.length),
        }
        field(ui, "Notes", &mut form.notes);
        error_ui(ui, &form.error);
    });
    if add {
        form.secret.trim();
        let (label, notes) = (form.label.trim().to_owned(), form.notes.trim().to_owned());
        let creating = form.account.as_deref().and_then(|id| view.accounts?.iter().find(|a| a.id == id));
        let creating = creating.filter(|a| a.provider.info().api_create && a.has_management_key);
        if label.is_empty() {
            form.error = Some("The label is empty: name the key after what uses it.".to_owned());
        } else {
            form.error = None;
            match form.mode {
                NewMode::Paste if form.secret.is_empty() => {
                    form.error = Some("The key is empty: paste the key the provider gave you.".to_owned());
                }
                NewMode::Paste => {
                    let secret = form.secret.take();
                    *command = Some(TeamCommand::Add { label, notes, secret, account: form.account.clone() });
                }
                NewMode::AtProvider => match creating {
                    Some(account) => {
                        let scopes = form.template.map(|t| vec![t.to_owned()]).unwrap_or_default();
                        *command =
                            Some(TeamCommand::Create { label, notes, account: account.id.clone(), scopes });
                    }
                    None => form.error = Some("Choose the account to create the key in.".to_owned()),
                },
                NewMode::Generate => {
                    let spec =
                        crate::vault::keygen::KeySpec { prefix: form.prefix.clone(), length: form.length };
                    match crate::vault::keygen::validate(&spec) {
                        Ok(()) => *command = Some(TeamCommand::Generate { label, notes, spec }),
                        Err(error) => form.error = Some(error.to_string()),
                    }
                }
            }
        }
    }
    if cancel {
        state.adding = None;
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
