//! API settings: provider accounts (provider, name, region or base URL, management key) and
//! "Test connection".

use secrecy::SecretString;

use super::session::Command;
use super::state::AccountsState;
use super::theme;
use super::widgets::{error_ui, field, field_with, secret_field};
use crate::providers::Provider;
use crate::vault::AccountRequest;
use crate::vault::model::Account;

/// What the accounts' list and form ask for, in a local vault's API settings or a team
/// vault's Accounts panel.
pub enum AccountAction {
    Add {
        request: AccountRequest,
        management_key: Option<SecretString>,
    },
    /// Remove the account (asked first by the caller).
    Remove {
        id: String,
        name: String,
    },
    Test(String),
}

/// The API settings screen, on either kind of vault: `accounts` as the vault holds them
/// (`None` while a team vault's are read); the form's button is off, saying why on hover,
/// while `why_not` holds.
pub fn accounts_ui(
    ui: &mut egui::Ui,
    accounts: Option<&[Account]>,
    state: &mut AccountsState,
    why_not: Option<&str>,
) -> Option<Command> {
    let mut command = None;
    egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
        ui.heading("API settings");
        ui.label("Provider accounts: where keys are made and revoked. A management key lets Keydesk do it over the provider's API.");
        ui.add_space(theme::GAP);
        let Some(accounts) = accounts else {
            ui.horizontal(|ui| {
                super::widgets::spinner(ui);
                ui.label("Reading the accounts…");
            });
            return;
        };
        command = accounts_body(ui, accounts, state, why_not).map(account_command);
    });
    command
}

/// What an action of the accounts list asks of either kind of vault (a removal asked first).
pub fn account_command(action: AccountAction) -> Command {
    match action {
        AccountAction::Add { request, management_key } => Command::AddAccount { request, management_key },
        AccountAction::Test(id) => Command::TestAccount(id),
        AccountAction::Remove { id, name } => Command::RemoveAccount(id).confirmed_by(
            format!("Remove the account \"{name}\"?"),
            "Its management key is deleted with it. Keys made with it stay in Keydesk, but they can no longer be created or revoked there through the API.".to_owned(),
            "Remove account",
            true,
        ),
    }
}

/// The accounts, each with its test and removal, then the form that adds one (its button
/// off, saying why on hover, while `why_not` holds).
pub fn accounts_body(
    ui: &mut egui::Ui,
    accounts: &[Account],
    state: &mut AccountsState,
    why_not: Option<&str>,
) -> Option<AccountAction> {
    let mut command = None;
    if accounts.is_empty() {
        ui.label("No accounts yet.");
    }
    egui::Grid::new("accounts").num_columns(6).spacing([16.0, 6.0]).striped(true).show(ui, |ui| {
        for account in accounts {
            ui.label(egui::RichText::new(&account.name).strong());
            ui.horizontal(|ui| {
                super::widgets::provider_mark_ui(ui, account.provider);
                ui.label(account.provider.name());
            });
            let place = account
                .base_url
                .clone()
                .or_else(|| account.region.as_ref().map(|r| format!("region {r}")))
                .unwrap_or_else(|| "default address".into());
            ui.label(place);
            ui.label(if account.has_management_key { "management key" } else { "no management key" });
            // The last test's result stays here, in its colour, until the next one.
            match state.tested.get(&account.id) {
                Some((result, at)) => {
                    let (said, kind, words) = match result {
                        Ok(words) => {
                            (format!("works ({} UTC)", at.format("%H:%M")), theme::Badge::Good, words.clone())
                        }
                        Err(why) => (
                            format!("failed at {} UTC", at.format("%H:%M")),
                            theme::Badge::Bad,
                            why.to_string(),
                        ),
                    };
                    let colour = theme::badge(ui.visuals().dark_mode, kind);
                    ui.label(egui::RichText::new(said).color(colour).strong()).on_hover_text(words);
                }
                None => {
                    ui.label("");
                }
            }
            ui.horizontal(|ui| {
                if account.has_management_key && ui.button("Test connection").clicked() {
                    command = Some(AccountAction::Test(account.id.clone()));
                }
                let remove = ui.add_enabled(why_not.is_none(), egui::Button::new("Remove"));
                let remove = match why_not {
                    Some(why) => remove.on_disabled_hover_text(why),
                    None => remove,
                };
                if remove.clicked() {
                    command =
                        Some(AccountAction::Remove { id: account.id.clone(), name: account.name.clone() });
                }
            });
            ui.end_row();
        }
    });
    ui.add_space(theme::GAP);
    ui.heading("Add an account");
    ui.horizontal(|ui| {
        let name = super::widgets::form_label(ui, "Provider");
        egui::ComboBox::from_id_salt("provider")
            .selected_text(state.provider.name())
            .show_ui(ui, |ui| {
                for provider in Provider::all().filter(|p| !matches!(p, Provider::Keydesk | Provider::Other))
                {
                    ui.selectable_value(&mut state.provider, provider, provider.name());
                }
            })
            .response
            .labelled_by(name.id);
    });
    let info = state.provider.info();
    field(ui, "Account name", &mut state.name);
    let regions: Vec<&str> = info.regions.iter().map(|(r, _)| *r).collect();
    let region_hint = if info.base_url.contains("{dc}") {
        "data centre, e.g. us6 (read from keys too)".to_owned()
    } else if regions.is_empty() {
        "none for this provider".to_owned()
    } else {
        format!("empty for default, or {}", regions.join(", "))
    };
    field_with(ui, "Region", egui::TextEdit::singleline(&mut state.region).hint_text(region_hint));
    field_with(ui, "API address", egui::TextEdit::singleline(&mut state.base_url).hint_text(info.base_url));
    if info.api_create || info.api_revoke {
        secret_field(ui, "management-key", "Management key", &mut state.management_key);
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + 8.0);
            ui.label(format!("A {} key allowed to create and delete API keys.", info.name));
        });
    } else {
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + 8.0);
            ui.label(format!(
                "{} keys are made and revoked on its page; Keydesk guides you there.",
                info.name
            ));
            if !info.keys_page.is_empty() {
                ui.hyperlink_to("Open the API keys page", info.keys_page);
            }
        });
    }
    error_ui(ui, &state.error);
    let add = ui.add_enabled(why_not.is_none(), egui::Button::new("Add account"));
    let add = match why_not {
        Some(why) => add.on_disabled_hover_text(why),
        None => add,
    };
    if add.clicked() {
        let management_key =
            (!state.management_key.expose().trim().is_empty()).then(|| state.management_key.take());
        state.management_key.wipe();
        let request = AccountRequest {
            name: state.name.clone(),
            provider: state.provider,
            region: Some(state.region.clone()),
            base_url: Some(state.base_url.clone()),
        };
        command = Some(AccountAction::Add { request, management_key });
    }
    command
}
