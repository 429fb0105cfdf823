//! Generate / Add: a Keydesk key with its entropy shown live, a provider key pasted and
//! recognised as it is pasted, or a key created at the provider with a scope template.

use super::meta_form::{integrations_ui, schedule_ui};
use super::session::Command;
use super::state::{NewKeyState, NewMode};
use super::theme::{self, Badge};
use super::widgets::{badge_ui, error_ui, field, field_with, secret_field_shown};
use crate::providers::manage::TEMPLATES;
use crate::vault::detect;
use crate::vault::keygen::{self, KeySpec};
use crate::vault::model::Account;
use crate::vault::{AddRequest, GenerateRequest};

/// The Generate / Add screen, over the vault's provider accounts (a local vault's, or a team
/// vault's as last read).
pub fn new_key_ui(ui: &mut egui::Ui, accounts: &[Account], state: &mut NewKeyState) -> Option<Command> {
    let mut command = None;
    let account = |id: &str| accounts.iter().find(|a| a.id == id);
    egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
        let back = super::card::icon_button(
            ui,
            super::card::icon::BACK,
            "Back to keys",
            super::card::Look::Plain,
            || "Back to keys".to_owned(),
        );
        if back.on_hover_text("What is typed here is given up").clicked() {
            command = Some(Command::Show(super::state::Screen::Keys));
        }
        ui.heading("New key");
        ui.horizontal(|ui| {
            ui.selectable_value(&mut state.mode, NewMode::Generate, "Generate a Keydesk key");
            ui.selectable_value(&mut state.mode, NewMode::Paste, "Paste a provider's key");
            ui.selectable_value(&mut state.mode, NewMode::AtProvider, "Create at the provider");
        });
        ui.add_space(theme::GAP);
        let label = field_with(
            ui,
            "Label",
            egui::TextEdit::singleline(&mut state.form.label).hint_text("HubSpot production"),
        );
        // The first field has the focus when the screen opens, so typing starts there.
        if state.focus_label {
            label.request_focus();
            state.focus_label = false;
        }
        let mut enter = label.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        match state.mode {
            NewMode::Generate => spec_ui(ui, &mut state.prefix, &mut state.length),
            NewMode::Paste => {
                account_picker(ui, accounts, &mut state.account, false);
                let key = secret_field_shown(ui, "paste-key", "Key", &mut state.paste, state.show_paste);
                // A key pasted with a space or line break at an end is kept without it.
                if key.changed() {
                    state.paste.trim();
                }
                enter |= key.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                ui.horizontal(|ui| {
                    ui.add_space(theme::LABEL_WIDTH + 8.0);
                    ui.checkbox(&mut state.show_paste, "Show the key");
                });
                let value = state.paste.expose();
                if !value.is_empty() {
                    let named = state.account.as_deref().and_then(account).map(|a| a.provider);
                    ui.horizontal(|ui| {
                        ui.add_space(theme::LABEL_WIDTH + 8.0);
                        let found = match named {
                            Some(provider) => detect::detect_as(value, provider),
                            None => detect::detect(value),
                        };
                        match found {
                            Ok(found) => {
                                // The one account of that provider is picked for the user.
                                if state.account.is_none() {
                                    let mut same = accounts.iter().filter(|a| a.provider == found.provider);
                                    if let (Some(only), None) = (same.next(), same.next()) {
                                        state.account = Some(only.id.clone());
                                    }
                                }
                                let region =
                                    found.region.map(|r| format!(", region {r}")).unwrap_or_default();
                                // "Other" is what an unknown format is kept as: its warning says so.
                                if found.provider != crate::providers::Provider::Other {
                                    badge_ui(
                                        ui,
                                        &format!("Recognised: {}{region}", found.provider.name()),
                                        Badge::Good,
                                    );
                                }
                                if let Some(warning) = found.warning {
                                    badge_ui(ui, &warning, Badge::Warn);
                                }
                            }
                            Err(error) => badge_ui(ui, &error.to_string(), Badge::Bad),
                        }
                    });
                }
                ui.horizontal(|ui| {
                    ui.add_space(theme::LABEL_WIDTH + 8.0);
                    ui.checkbox(
                        &mut state.verify_after_add,
                        "Check it at the provider after adding (one request)",
                    );
                });
            }
            NewMode::AtProvider => {
                account_picker(ui, accounts, &mut state.account, true);
                let provider = state.account.as_deref().and_then(account).map(|a| a.provider);
                if let Some(provider) = provider {
                    template_ui(ui, provider, &mut state.template);
                }
            }
        }
        schedule_ui(ui, &mut state.form);
        integrations_ui(ui, &mut state.form.integrations);
        field_with(ui, "Notes", egui::TextEdit::multiline(&mut state.form.notes).desired_rows(2));
        error_ui(ui, &state.error);
        let action = match state.mode {
            NewMode::Generate => "Generate",
            NewMode::Paste => "Add key",
            NewMode::AtProvider => "Create at provider",
        };
        if ui.button(action).clicked() || enter {
            match state.form.parse() {
                Err(error) => state.error = Some(error.to_string()),
                Ok(meta) => {
                    command = Some(match state.mode {
                        NewMode::Generate => Command::Generate(GenerateRequest {
                            meta,
                            spec: KeySpec { prefix: state.prefix.clone(), length: state.length },
                        }),
                        NewMode::Paste => {
                            state.paste.trim();
                            Command::Add {
                                request: AddRequest {
                                    meta,
                                    account: state.account.clone(),
                                    ..AddRequest::default()
                                },
                                secret: state.paste.take(),
                                verify_after: state.verify_after_add,
                            }
                        }
                        NewMode::AtProvider => match state.account.clone() {
                            Some(account) => Command::CreateAtProvider {
                                account,
                                request: AddRequest { meta, ..AddRequest::default() },
                                scopes: state.template.map(|t| vec![t.to_owned()]).unwrap_or_default(),
                            },
                            None => {
                                state.error = Some("Choose the account to create the key in.".to_owned());
                                return;
                            }
                        },
                    });
                }
            }
        }
    });
    command
}

/// A Keydesk key's prefix and length, with its strength in bits and what is wrong with them.
pub(super) fn spec_ui(ui: &mut egui::Ui, prefix: &mut String, length: &mut usize) {
    field(ui, "Prefix", prefix);
    ui.horizontal(|ui| {
        let name = super::widgets::form_label(ui, "Length");
        ui.add(egui::DragValue::new(length).range(8..=keygen::MAX_LENGTH)).labelled_by(name.id);
        let bits = keygen::entropy_bits(*length);
        let kind = if bits >= keygen::MIN_BITS { Badge::Good } else { Badge::Bad };
        badge_ui(ui, &format!("{} bits", bits.floor()), kind);
    });
    let spec = KeySpec { prefix: prefix.clone(), length: *length };
    if let Err(error) = keygen::validate(&spec) {
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + 8.0);
            badge_ui(ui, &error.to_string(), Badge::Bad);
        });
    }
}

/// "Permissions": the scope templates of `provider` for a key created there.
pub(super) fn template_ui(
    ui: &mut egui::Ui,
    provider: crate::providers::Provider,
    template: &mut Option<&'static str>,
) {
    ui.horizontal(|ui| {
        let name = super::widgets::form_label(ui, "Permissions");
        let current = template.and_then(|t| TEMPLATES.iter().find(|x| x.provider == provider && x.name == t));
        egui::ComboBox::from_id_salt("template")
            .selected_text(current.map_or("Choose…", |t| t.title))
            .show_ui(ui, |ui| {
                for choice in TEMPLATES.iter().filter(|t| t.provider == provider) {
                    ui.selectable_value(template, Some(choice.name), choice.title);
                }
            })
            .response
            .labelled_by(name.id);
    });
}

/// Picks the provider account among `accounts` (optional for pasted keys; only accounts that
/// can create keys for `creating`).
pub(super) fn account_picker(
    ui: &mut egui::Ui,
    accounts: &[crate::vault::model::Account],
    chosen: &mut Option<String>,
    creating: bool,
) {
    let accounts: Vec<_> = accounts
        .iter()
        .filter(|a| !creating || (a.provider.info().api_create && a.has_management_key))
        .collect();
    ui.horizontal(|ui| {
        let name = super::widgets::form_label(ui, "Account");
        let current = chosen.as_deref().and_then(|id| accounts.iter().find(|a| a.id == id));
        let text = current.map_or_else(
            || if creating { "Choose…".to_owned() } else { "None".to_owned() },
            |a| format!("{} ({})", a.name, a.provider.name()),
        );
        egui::ComboBox::from_id_salt("account")
            .selected_text(text)
            .show_ui(ui, |ui| {
                if !creating {
                    ui.selectable_value(chosen, None, "None");
                }
                for account in &accounts {
                    let text = format!("{} ({})", account.name, account.provider.name());
                    ui.selectable_value(chosen, Some(account.id.clone()), text);
                }
            })
            .response
            .labelled_by(name.id);
    });
    if creating && accounts.is_empty() {
        ui.label("No account can create keys yet: add a SendGrid or Mailgun account with a management key (API settings, or the team's Accounts).");
    }
}
