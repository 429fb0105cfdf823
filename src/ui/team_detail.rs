//! A team key's details, opened by clicking its label: what the team vault keeps about it
//! (provider, account, id at the provider, scopes, integrations, dates, the last check) and
//! when the provider last saw it used, with the button that asks (as the local key detail's
//! "Last used at" row does).

use chrono::{DateTime, Utc};

use super::card;
use super::team::TeamCommand;
use super::theme::{self, Badge};
use super::widgets::{badge_ui, field};
use crate::providers::Provider;
use crate::vault::model::{Account, Incident, KeyId, KeyRecord};

/// The open details: which key, and its name at the provider as typed (Elastic Email names
/// keys and answers by name).
pub struct DetailForm {
    pub key: KeyId,
    pub usage_name: String,
    /// The list's generation when the incidents were last asked for: they are read again
    /// when the details open and whenever the keys change (a revoke may open one).
    pub incidents_read_at: Option<u64>,
}

impl DetailForm {
    pub fn new(key: KeyId) -> Self {
        DetailForm { key, usage_name: String::new(), incidents_read_at: None }
    }
}

/// The panel for `record` (`changed_by`: its entry's last writer). `accounts`: `None` while
/// they are read; `incidents`: the team's incidents as last read. `why_not`: why the provider
/// cannot be asked now.
pub fn detail_ui(
    ui: &mut egui::Ui,
    (record, changed_by): (&KeyRecord, &str),
    (accounts, incidents): (Option<&[Account]>, &[Incident]),
    form: &mut DetailForm,
    why_not: Option<&str>,
    now: DateTime<Utc>,
) -> (Option<TeamCommand>, bool) {
    let mut command = None;
    let mut close = false;
    card::frame(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            super::widgets::provider_mark_ui(ui, record.provider);
            ui.add(egui::Label::new(egui::RichText::new(&record.label).size(24.0).strong()).wrap());
        });
        ui.add_space(theme::SPACE_4);
        ui.horizontal_wrapped(|ui| {
            ui.label(egui::RichText::new(record.provider.name()).weak());
            super::detail::status_chip_ui(ui, record, now);
            super::detail::incident_chip_ui(ui, incidents, &record.id);
        });
        ui.add_space(theme::SPACE_12);
        let shut =
            card::icon_button(ui, card::icon::CLOSE, "Close", card::Look::Plain, || "Close".to_owned());
        if shut.on_hover_text("Escape").clicked() {
            close = true;
        }
    });
    let account = record.account.as_deref().and_then(|id| accounts?.iter().find(|a| a.id == id));
    card::section(ui, "Facts", |ui| {
        card::facts(ui, "team-key-detail", |ui, width| {
            let mut row = |name: &str, value: String| {
                card::fact(ui, width, name, |ui| {
                    ui.label(value);
                });
            };
            row("Provider", record.provider.name().to_owned());
            if !record.hint.is_empty() {
                row("Key", record.hint.clone());
            }
            if let Some(id) = &record.account {
                row("Account", account.map_or_else(|| id.clone(), |a| a.name.clone()));
            }
            if let Some(id) = &record.provider_key_id {
                row(&format!("Id at {}", record.provider.name()), id.clone());
            }
            if !record.scopes.is_empty() {
                row("Scopes", record.scopes.join(", "));
            }
            for integration in &record.integrations {
                let place = integration.url.as_deref().map(|url| format!(" ({url})")).unwrap_or_default();
                row("Used by", format!("{}{place}", integration.name));
            }
            row("Added", day(record.created_at));
            if let Some(at) = record.expires_at {
                row("Expires", day(at));
            }
            if let Some(days) = record.rotate_after_days {
                row("Rotate every", format!("{days} days"));
            }
            if let Some(checked) = &record.last_verified {
                row("Last check", format!("{} ({})", checked.outcome.sentence(), day(checked.at)));
            }
            if record.copy_count > 0 {
                row(
                    "Copied",
                    format!(
                        "{} times, last {}",
                        record.copy_count,
                        crate::words::ago(record.last_copied_at, now)
                    ),
                );
            }
            if !record.notes.is_empty() {
                row("Notes", record.notes.clone());
            }
            row("Changed last by", changed_by.to_owned());
        });
    });
    card::section(ui, &format!("Last used at {}", record.provider.name()), |ui| {
        if crate::providers::usage::source(record.provider).is_some() {
            command = usage_ui(ui, record, account, form, why_not, now);
        } else {
            let not_told = crate::providers::usage::UsageError::NotTold { provider: record.provider };
            ui.label(egui::RichText::new(not_told.to_string()).weak());
        }
    });
    (command, close)
}

/// "Last used at <provider>": the last answer, a use that should not have happened in the
/// error colour, and the button that asks.
fn usage_ui(
    ui: &mut egui::Ui,
    record: &KeyRecord,
    account: Option<&Account>,
    form: &mut DetailForm,
    why_not: Option<&str>,
    now: DateTime<Utc>,
) -> Option<TeamCommand> {
    let provider = record.provider.name();
    let mut command = None;
    match &record.usage {
        Some(usage) => ui.label(crate::actions::usage_sentence(record.provider, usage, now)),
        None => ui.label(egui::RichText::new("not asked yet").weak()),
    };
    if let Some(flag) = record.unexpected_use() {
        badge_ui(ui, &crate::actions::unexpected_sentence(record.provider, &flag), Badge::Bad);
    }
    let managed = account.is_some_and(|a| a.has_management_key);
    let needs_name = record.provider == Provider::ElasticEmail && record.provider_key_id.is_none();
    if needs_name {
        field(ui, &format!("Its name at {provider}"), &mut form.usage_name);
    }
    let why_not = why_not.or((!record.is_live() && !managed)
        .then_some("A revoked key can only be asked about with its account's management key."));
    let ask = ui.add_enabled(why_not.is_none(), egui::Button::new(format!("Ask {provider}"))).on_hover_text(
        "One request to the provider, with the account's management key if it has one, else with this key",
    );
    if ask.on_disabled_hover_text(why_not.unwrap_or_default()).clicked() {
        let name = needs_name.then(|| form.usage_name.trim().to_owned()).filter(|n| !n.is_empty());
        command = Some(TeamCommand::AskUsage { key: record.id.clone(), name });
    }
    command
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}
