//! Key detail: every field, editable metadata, Copy / Reveal / Verify / Rotate / Revoke, and
//! the key's own audit timeline.

use super::dashboard::ago;
use super::session::{Command, Revealed};
use super::state::{DetailState, Screen};
use super::theme;
use super::widgets::{badge_ui, error_ui, field, field_with, secret_field, secret_text_ui};
use crate::providers::Provider;
use crate::vault::KeyEdit;
use crate::vault::audit::Outcome;
use crate::vault::model::{Integration, KeyStatus, VaultFile};
use chrono::{DateTime, NaiveDate, Utc};

/// Parses the expiry field: empty (no expiry) or YYYY-MM-DD.
pub fn parse_date(text: &str) -> Result<Option<DateTime<Utc>>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Some(t.and_utc()))
        .ok_or_else(|| format!("\"{text}\" is not a date: write it as YYYY-MM-DD, such as 2027-03-31."))
}

/// Parses the rotation field: empty (none) or a whole number of days.
pub fn parse_days(text: &str) -> Result<Option<u32>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<u32>()
        .map(Some)
        .map_err(|_| format!("\"{text}\" is not a number of days: give a whole number."))
}

/// The expiry and rotation fields of a key form.
pub fn schedule_ui(ui: &mut egui::Ui, expires: &mut String, rotate_days: &mut String) {
    field_with(ui, "Expires", egui::TextEdit::singleline(expires).hint_text("YYYY-MM-DD, empty for never"));
    field_with(
        ui,
        "Rotate every",
        egui::TextEdit::singleline(rotate_days).hint_text("days, e.g. 90; empty for never"),
    );
}

/// Both schedule fields parsed, or the first sentence saying what is wrong.
pub fn parse_schedule(
    expires: &str,
    rotate_days: &str,
) -> Result<(Option<DateTime<Utc>>, Option<u32>), String> {
    Ok((parse_date(expires)?, parse_days(rotate_days)?))
}

/// Integrations from the name/URL rows (empty rows dropped).
pub fn integrations(rows: &[(String, String)]) -> Vec<Integration> {
    rows.iter()
        .filter(|(name, url)| !name.trim().is_empty() || !url.trim().is_empty())
        .map(|(name, url)| Integration {
            name: name.trim().to_owned(),
            url: Some(url.trim().to_owned()).filter(|u| !u.is_empty()),
            note: String::new(),
        })
        .collect()
}

/// The integrations editor (name + URL rows, add and remove).
pub fn integrations_ui(ui: &mut egui::Ui, rows: &mut Vec<(String, String)>) {
    let mut remove = None;
    for (i, (name, url)) in rows.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + 8.0);
            let n = ui.label("Used by");
            ui.add(egui::TextEdit::singleline(name).desired_width(150.0).hint_text("HubSpot"))
                .labelled_by(n.id);
            let u = ui.label("URL");
            ui.add(egui::TextEdit::singleline(url).desired_width(220.0).hint_text("https://…"))
                .labelled_by(u.id);
            if ui.small_button("Remove").clicked() {
                remove = Some(i);
            }
        });
    }
    if let Some(i) = remove {
        rows.remove(i);
    }
    ui.horizontal(|ui| {
        ui.add_space(theme::LABEL_WIDTH + 8.0);
        if ui.small_button("Add integration").clicked() {
            rows.push((String::new(), String::new()));
        }
    });
}

/// The detail screen.
pub fn detail_ui(
    ui: &mut egui::Ui,
    file: &VaultFile,
    id: &str,
    state: &mut DetailState,
    mut revealed: Option<&mut Revealed>,
    now: DateTime<Utc>,
) -> Option<Command> {
    let mut command = None;
    let Some(record) = file.key(id) else {
        ui.label("This key is no longer in the vault.");
        return Some(Command::Show(Screen::Keys));
    };
    let live = record.is_live();
    egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
        ui.horizontal(|ui| {
            if ui.button("Back to keys").clicked() {
                command = Some(Command::Show(Screen::Keys));
            }
            ui.heading(&record.label);
        });
        if let Some(pending) = &record.provider_revoke_pending {
            super::widgets::banner_ui(ui, pending);
        }
        egui::Grid::new("facts").num_columns(2).spacing([24.0, 6.0]).show(ui, |ui| {
            let row = |ui: &mut egui::Ui, name: &str, value: String| {
                ui.label(name);
                ui.label(value);
                ui.end_row();
            };
            row(ui, "Provider", record.provider.name().to_owned());
            if let Some(account) = record.account.as_deref().and_then(|a| file.account(a)) {
                row(ui, "Account", account.name.clone());
            }
            ui.label("Status");
            match &record.status {
                KeyStatus::Revoked { at, reason } => badge_ui(
                    ui,
                    &format!("revoked {} — {reason}", at.format("%Y-%m-%d")),
                    theme::Badge::Muted,
                ),
                KeyStatus::Retiring => badge_ui(ui, "retiring", theme::Badge::Warn),
                KeyStatus::Active => badge_ui(ui, "active", theme::Badge::Good),
            }
            ui.end_row();
            row(ui, "Hint", record.hint.clone());
            row(ui, "Id", record.id.clone());
            row(ui, "Created", record.created_at.format("%Y-%m-%d %H:%M UTC").to_string());
            if !record.scopes.is_empty() {
                row(ui, "Scopes", record.scopes.join(", "));
            }
            row(
                ui,
                "Copied",
                format!("{} times, last {}", record.copy_count, ago(record.last_copied_at, now)),
            );
            row(ui, "Revealed", format!("{} times", record.reveal_count));
            let verified = record.last_verified.as_ref().map_or("never".to_owned(), |v| {
                format!("{} — {}", ago(Some(v.at), now), v.outcome.sentence())
            });
            row(ui, "Last verified", verified);
            if let Some(old) = &record.replaces {
                row(ui, "Replaces", old.clone());
            }
            if let Some(new) = &record.replaced_by {
                row(ui, "Replaced by", new.clone());
            }
        });
        ui.add_space(theme::GAP);
        if live {
            ui.horizontal(|ui| {
                match revealed.as_deref_mut() {
                    Some(r) => secret_text_ui(ui, &r.secret, &mut r.galley),
                    None => {
                        ui.label(egui::RichText::new("••••••••••••••••••••••••").monospace());
                    }
                }
                if let Some(r) = revealed {
                    ui.label(format!("hides in {} s", (r.until - now).num_seconds().max(0)));
                    if ui.button("Hide").clicked() {
                        command = Some(Command::HideReveal);
                    }
                } else if ui
                    .button("Reveal")
                    .on_hover_text("Shows the key for 30 s; recorded in the audit log")
                    .clicked()
                {
                    command = Some(Command::Reveal(record.id.clone()));
                }
            });
            ui.horizontal(|ui| {
                if ui.button("Copy").clicked() {
                    command = Some(Command::Copy(record.id.clone()));
                }
                if ui.button("Verify").on_hover_text("One request to the provider").clicked() {
                    command = Some(Command::Verify(record.id.clone()));
                }
                if record.provider == Provider::Keydesk && ui.button("Rotate").clicked() {
                    command = Some(Command::Rotate { key: record.id.clone(), pasted: None });
                }
                if ui.button("Revoke…").clicked() {
                    command = Some(Command::StartRevoke(record.id.clone()));
                }
            });
            if record.provider != Provider::Keydesk {
                ui.horizontal(|ui| {
                    secret_field(ui, "replacement-key", "Replacement key", &mut state.replacement);
                    let page = record.provider.info().keys_page;
                    if !page.is_empty() {
                        ui.hyperlink_to(format!("Make one at {}", record.provider.name()), page);
                    }
                    if ui.add_enabled(!state.replacement.is_empty(), egui::Button::new("Rotate")).clicked() {
                        state.replacement.trim_line_ends();
                        let pasted = Some(state.replacement.take());
                        command = Some(Command::Rotate { key: record.id.clone(), pasted });
                    }
                });
            }
        }
        ui.add_space(theme::GAP);
        ui.heading("Details");
        field(ui, "Label", &mut state.label);
        field_with(ui, "Notes", egui::TextEdit::multiline(&mut state.notes).desired_rows(3));
        schedule_ui(ui, &mut state.expires, &mut state.rotate_days);
        integrations_ui(ui, &mut state.integrations);
        error_ui(ui, &state.error);
        if ui.button("Save").clicked() {
            match parse_schedule(&state.expires, &state.rotate_days) {
                Ok((expires, days)) => {
                    let edit = KeyEdit {
                        label: (state.label != record.label).then(|| state.label.clone()),
                        notes: (state.notes != record.notes).then(|| state.notes.clone()),
                        integrations: Some(integrations(&state.integrations))
                            .filter(|i| *i != record.integrations),
                        expires_at: (expires != record.expires_at).then_some(expires),
                        rotate_after_days: (days != record.rotate_after_days).then_some(days),
                        scopes: None,
                    };
                    command = Some(Command::Edit { key: record.id.clone(), edit });
                }
                Err(error) => state.error = Some(error),
            }
        }
        ui.add_space(theme::GAP);
        ui.heading("History");
        for entry in state.history.iter().rev() {
            let outcome = match &entry.outcome {
                Outcome::Ok => String::new(),
                Outcome::Failed(why) => format!(" — failed: {why}"),
            };
            ui.label(format!(
                "{}  {}  {}{outcome}",
                entry.at.format("%Y-%m-%d %H:%M"),
                entry.action.word(),
                entry.detail
            ));
        }
    });
    command
}
