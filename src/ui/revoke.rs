//! The revoke dialog: what will stop working, why, how it is revoked at the provider, and a
//! replacement right away.

use super::detail::KeyBook;
use super::session::Command;
use super::state::RevokeState;
use super::theme;
use super::widgets::{accessible_name, error_ui, field};
use crate::actions::{RevokeOptions, RevokeRoute};
use crate::vault::model::{KeyId, KeyRecord};

/// The dialog; Esc or Cancel closes it. In the accessibility tree the dialog and its buttons
/// name the key ("Revoke SendGrid production now"), the reason field is named by its label.
pub fn revoke_ui(ctx: &egui::Context, state: &mut RevokeState) -> Option<Command> {
    let mut command = None;
    let id = egui::Id::unique("revoke");
    let area = egui::Modal::default_area(id).accessible_name(format!("Revoke {}", state.label));
    let modal = egui::Modal::new(id).area(area).show(ctx, |ui| {
        ui.set_max_width(560.0);
        ui.heading(format!("Revoke \"{}\"", state.label));
        if state.integrations.is_empty() {
            ui.label("No integrations are recorded for this key; anything that uses it will stop working.");
        } else {
            ui.label(format!("These will stop working: {}.", state.integrations.join(", ")));
        }
        ui.add_space(theme::GAP);
        let reason = field(ui, "Reason", &mut state.reason);
        if !state.focused {
            reason.request_focus();
            state.focused = true;
        }
        if reason.changed() {
            state.error = None;
        }
        super::widgets::field_with(
            ui,
            "Found in",
            egui::TextEdit::singleline(&mut state.found_where)
                .hint_text("where it leaked, if it did: opens an incident"),
        );
        if !state.found_where.trim().is_empty() {
            super::widgets::field_with(
                ui,
                "Noticed by",
                egui::TextEdit::singleline(&mut state.noticed_by).hint_text("you, if left empty"),
            );
            ui.label(
                "An incident is opened first: this revoke, even one the provider refuses, and the replacement join its timeline.",
            );
        }
        match &state.route {
            RevokeRoute::Local => {
                ui.label("Keydesk deletes its copy; the key is recorded as revoked.");
            }
            RevokeRoute::AtProvider(provider) => {
                ui.label(format!(
                    "Keydesk deletes the key at {} first; only when {} confirms is it marked revoked here.",
                    provider.name(),
                    provider.name()
                ));
            }
            RevokeRoute::Guided { provider, page } => {
                ui.label(format!(
                    "Keydesk can't delete this key through the API ({}), so it is revoked on {}'s page:",
                    state.why_manual,
                    provider.name()
                ));
                ui.label(format!(
                    "1. Open {}'s API keys page and delete the key shown as {}.",
                    provider.name(),
                    state.hint
                ));
                ui.hyperlink_to(format!("Open {}'s API keys page", provider.name()), *page);
                ui.label("2. Confirm below; Keydesk then checks that the old key no longer works.");
                ui.checkbox(&mut state.confirmed, format!("I revoked it at {}", provider.name()));
                if let Some(grace) = provider.grace_window() {
                    ui.label(grace);
                }
            }
        }
        ui.checkbox(&mut state.replacement, "Create a replacement right away");
        error_ui(ui, &state.error);
        ui.add_space(theme::GAP);
        ui.horizontal(|ui| {
            let guided_unconfirmed = matches!(state.route, RevokeRoute::Guided { .. }) && !state.confirmed;
            let enter = reason.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let revoke =
                ui.add_enabled(!guided_unconfirmed, super::widgets::destructive_button(ui, "Revoke key"));
            accessible_name(&revoke, || format!("Revoke {} now", state.label));
            if (revoke.clicked() || (enter && !guided_unconfirmed)) && command.is_none() {
                command = Some(Command::Revoke {
                    key: state.key_id.clone(),
                    reason: state.reason.clone(),
                    options: RevokeOptions { confirmed_at_provider: state.confirmed, local_only: false },
                    replacement: state.replacement,
                    leak: state.leak(),
                });
            }
            let cancel = ui.button("Cancel");
            accessible_name(&cancel, || format!("Cancel revoking {}", state.label));
            if cancel.clicked() {
                command = Some(Command::CloseRevoke);
            }
        });
    });
    if modal.should_close() && command.is_none() {
        command = Some(Command::CloseRevoke);
    }
    command
}

/// What ending a rotation takes, decided from the keys as the vault holds them (either kind).
pub enum RotationEnd<'a> {
    /// Only the rotation is left to record: the key to revoke is revoked already (a leak).
    Record,
    /// This key is revoked in the dialog, with this reason; its revoke ends the rotation.
    Revoke(&'a KeyRecord, String),
}

/// "Finish rotation" of `old`: refused while an integration has not moved and no `reason`
/// is given; the old key's revoke, or only the rotation's end when it is revoked already.
pub fn finishing<'a>(
    book: &'a dyn KeyBook,
    old: &KeyId,
    reason: Option<&str>,
) -> Result<RotationEnd<'a>, super::Failure> {
    let record = book.key(old).ok_or_else(|| super::Failure::said(format!("There is no key {old}.")))?;
    crate::vault::check_complete(record, reason).map_err(super::Failure::from)?;
    if !record.is_live() {
        return Ok(RotationEnd::Record);
    }
    let new = record.replaced_by.as_ref().map(ToString::to_string).unwrap_or_default();
    Ok(RotationEnd::Revoke(record, crate::vault::rotated_reason(&new, reason)))
}

/// "Abandon rotation" of `old`: its replacement's revoke, or only the rotation's end when the
/// replacement is revoked already.
pub fn abandoning<'a>(
    book: &'a dyn KeyBook,
    old: &KeyId,
    reason: &str,
) -> Result<RotationEnd<'a>, super::Failure> {
    let record = book.key(old).ok_or_else(|| super::Failure::said(format!("There is no key {old}.")))?;
    let Some(new) = record.replaced_by.as_ref().and_then(|id| book.key(id)) else {
        return Err(super::Failure::said(format!("\"{}\" names no replacement to revoke.", record.label)));
    };
    if !new.is_live() {
        return Ok(RotationEnd::Record);
    }
    Ok(RotationEnd::Revoke(new, format!("rotation abandoned: {reason}")))
}
