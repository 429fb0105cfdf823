//! Replacing a team vault's key from its screen, as the command line's `rotate` does:
//! "Replace…" takes the new key (made at the provider, pasted); the rotation panel then
//! marks each integration updated and tested, and completes the rotation (the old key
//! revoked) or abandons it (the new one revoked, the old one active again).

use chrono::{DateTime, Utc};

use super::team::{TeamCommand, change_button};
use super::theme;
use super::widgets::{SecretInput, cell, error_ui, field, secret_field};
use crate::team::TeamKey;
use crate::vault::Moved;
use crate::vault::model::KeyId;

/// "Replace…" on a key: the new key, as pasted (a Keydesk key's is generated instead).
pub struct ReplaceForm {
    pub key: KeyId,
    pub label: String,
    pub provider: &'static str,
    /// A Keydesk key: its replacement is generated in its shape, nothing is pasted.
    pub generated: bool,
    pub secret: SecretInput,
    pub error: Option<String>,
}

impl ReplaceForm {
    /// The form for replacing `record`.
    pub fn of(record: &crate::vault::model::KeyRecord) -> Self {
        ReplaceForm {
            key: record.id.clone(),
            label: record.label.clone(),
            provider: record.provider.name(),
            generated: record.provider == crate::providers::Provider::Keydesk,
            secret: SecretInput::default(),
            error: None,
        }
    }
}

/// The rotation panel of the key being replaced.
pub struct RotationForm {
    pub old: KeyId,
    pub reason: String,
    /// The key to revoke (the old one to complete, the new one to abandon) was revoked on
    /// the provider's page.
    pub at_provider: bool,
    pub error: Option<String>,
}

/// The "Replace…" form. Answers the command, and whether the form closes.
pub fn replace_ui(
    ui: &mut egui::Ui,
    form: &mut ReplaceForm,
    why_not: Option<&str>,
) -> (Option<TeamCommand>, bool) {
    let mut command = None;
    let title = format!("Replace \"{}\"", form.label);
    let (start, cancel) = super::team::form_ui(ui, &title, "Start replacing", why_not, |ui| {
        if form.generated {
            ui.label(
                "Keydesk generates the new key in this one's format; every member copies or reveals it from its row. Each integration is then moved to it, step by step; a live old key stays in use until then.",
            );
        } else {
            ui.label(format!(
                "Make a new key at {} with the same permissions, then paste it here. Each integration is then moved to it, step by step; a live old key stays in use until then.",
                form.provider
            ));
            secret_field(ui, "team-replacement-key", "New key", &mut form.secret);
        }
        error_ui(ui, &form.error);
    });
    if start && form.generated {
        command = Some(TeamCommand::Replace { key: form.key.clone(), secret: None });
    } else if start {
        form.secret.trim();
        if form.secret.is_empty() {
            form.error = Some(format!("The new key is empty: paste the key {} made.", form.provider));
        } else {
            command = Some(TeamCommand::Replace { key: form.key.clone(), secret: Some(form.secret.take()) });
        }
    }
    (command, cancel)
}

/// The rotation panel: the integrations to move, each marked updated then tested, then
/// complete or abandon. Answers the command, and whether the panel closes.
pub fn rotation_ui(
    ui: &mut egui::Ui,
    keys: &[TeamKey],
    form: &mut RotationForm,
    why_not: Option<&str>,
    now: DateTime<Utc>,
) -> (Option<TeamCommand>, bool) {
    let mut command = None;
    let mut close = false;
    let Some(old) = keys.iter().map(|k| &k.record).find(|r| r.id == form.old) else {
        return (None, true);
    };
    let Some(rotation) = old.rotation.as_deref() else {
        // Completed or abandoned (here or by another member): nothing left to show.
        return (None, true);
    };
    egui::Frame::group(ui.style()).show(ui, |ui| {
        let (moved, total) = rotation.progress();
        ui.strong(format!("Replacing \"{}\"", old.label));
        let new = old.replaced_by.as_ref().map_or_else(|| "(gone)".to_owned(), ToString::to_string);
        let days = (now - rotation.started_at).num_days();
        ui.label(format!(
            "New key {new}, started {}. {moved} of {total} integrations moved to it.",
            if days < 1 { "today".to_owned() } else { format!("{days} days ago") }
        ));
        let when = |at: Option<DateTime<Utc>>| at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string());
        if !rotation.steps.is_empty() {
            let heading = |text: &str| egui::RichText::new(text).small().strong();
            ui.horizontal(|ui| {
                cell(ui, 180.0, |ui| ui.label(heading("INTEGRATION")));
                cell(ui, 170.0, |ui| ui.label(heading("SETTINGS UPDATED")));
                cell(ui, 170.0, |ui| ui.label(heading("NEW KEY TESTED THERE")));
            });
        }
        for step in &rotation.steps {
            ui.horizontal(|ui| {
                cell(ui, 180.0, |ui| {
                    ui.add(egui::Label::new(&step.integration).truncate());
                });
                for (at, moved, text) in [
                    (step.updated_at, Moved::Updated, "Mark updated"),
                    (step.tested_at, Moved::Tested, "Mark tested"),
                ] {
                    cell(ui, 170.0, |ui| match when(at) {
                        Some(done) => {
                            let colour = theme::badge(ui.visuals().dark_mode, theme::Badge::Good);
                            ui.label(egui::RichText::new(done).color(colour));
                        }
                        None => {
                            let button = change_button(ui, text, why_not).on_hover_text(format!(
                                "{}: {}",
                                step.integration,
                                text.to_lowercase()
                            ));
                            if button.clicked() {
                                command = Some(TeamCommand::MarkRotation {
                                    old: old.id.clone(),
                                    integration: step.integration.clone(),
                                    step: moved,
                                });
                            }
                        }
                    });
                }
            });
        }
        if rotation.steps.is_empty() {
            ui.label("The key lists no integrations: complete the rotation once nothing uses the old key.");
        }
        field(ui, "Reason", &mut form.reason)
            .on_hover_text("Needed to complete while an integration has not moved, and to abandon.");
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + 8.0);
            ui.checkbox(&mut form.at_provider, "I revoked it on the provider's page").on_hover_text(
                "The old key, to complete; the new one, to abandon. Unticked, it is revoked in Keydesk only.",
            );
        });
        error_ui(ui, &form.error);
        ui.horizontal(|ui| {
            let reason = form.reason.trim();
            let reason = (!reason.is_empty()).then(|| reason.to_owned());
            if change_button(ui, "Complete rotation", why_not).clicked() {
                command = Some(TeamCommand::CompleteRotation {
                    old: old.id.clone(),
                    reason: reason.clone(),
                    at_provider: form.at_provider,
                });
            }
            if change_button(ui, "Abandon rotation", why_not).clicked() {
                match reason {
                    Some(reason) => {
                        command = Some(TeamCommand::AbandonRotation {
                            old: old.id.clone(),
                            reason,
                            at_provider: form.at_provider,
                        });
                    }
                    None => {
                        form.error = Some(
                            "The reason is empty: say why the new key is given up (it is kept with it)."
                                .to_owned(),
                        );
                    }
                }
            }
            close = ui.button("Close").clicked();
        });
    });
    (command, close)
}
