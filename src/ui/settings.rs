//! Settings: auto-lock, clipboard clearing, KDF strength, change master password.

use super::app::Command;
use super::session;
use super::state::SettingsState;
use super::theme::{self, ThemeChoice};
use super::widgets::{error_ui, secret_field};
use crate::vault::MIN_PASSWORD;
use crate::vault::crypto::KdfParams;
use crate::vault::model::Settings;

fn number(ui: &mut egui::Ui, label: &str, value: &mut u32, range: std::ops::RangeInclusive<u32>, unit: &str) {
    ui.horizontal(|ui| {
        let name = super::widgets::form_label(ui, label);
        ui.add(egui::DragValue::new(value).range(range).suffix(unit)).labelled_by(name.id);
    });
}

/// The settings screen. `kdf` is the vault's current cost: a password change keeps all of it
/// but the memory chosen here.
pub fn settings_ui(ui: &mut egui::Ui, state: &mut SettingsState, kdf: KdfParams) -> Option<Command> {
    let mut command = None;
    ui.heading("Settings");
    let current = match ui.ctx().options(|o| o.theme_preference) {
        egui::ThemePreference::Light => ThemeChoice::Light,
        egui::ThemePreference::Dark => ThemeChoice::Dark,
        egui::ThemePreference::System => ThemeChoice::System,
    };
    let mut chosen = current;
    ui.horizontal(|ui| {
        let name = super::widgets::form_label(ui, "Appearance");
        egui::ComboBox::from_id_salt("appearance")
            .selected_text(chosen.word())
            .show_ui(ui, |ui| {
                for choice in [ThemeChoice::System, ThemeChoice::Light, ThemeChoice::Dark] {
                    ui.selectable_value(&mut chosen, choice, choice.word());
                }
            })
            .response
            .labelled_by(name.id);
    });
    if chosen != current {
        command = Some(Command::SetTheme(chosen));
    }
    number(ui, "Lock after", &mut state.auto_lock_minutes, 1..=240, " min idle");
    number(ui, "Clear clipboard", &mut state.clipboard_clear_secs, 5..=600, " s after a copy");
    if ui.button("Save settings").clicked() {
        let settings = Settings {
            auto_lock_minutes: state.auto_lock_minutes,
            clipboard_clear_secs: state.clipboard_clear_secs,
        };
        command = Some(session::Command::SaveSettings(settings).into());
    }
    ui.add_space(theme::GAP * 2.0);
    ui.heading("Master password");
    number(ui, "Password hardening", &mut state.kdf_memory_mib, 19..=1024, " MiB of memory");
    ui.horizontal(|ui| {
        ui.add_space(theme::LABEL_WIDTH + 8.0);
        ui.label("More memory makes each guess at your password slower for an attacker, and unlocking slower for you.");
    });
    secret_field(ui, "current-password", "Current password", &mut state.current_password);
    secret_field(ui, "new-password", "New password", &mut state.new_password);
    secret_field(ui, "new-password-confirm", "Repeat password", &mut state.confirm);
    let shown = !state.new_password.is_empty();
    let weak = super::unlock::strength_ui(ui, state.new_password.expose(), shown, &mut state.accept_weak);
    ui.horizontal(|ui| {
        ui.add_space(theme::LABEL_WIDTH + 8.0);
        ui.checkbox(&mut state.new_data_key, "My old password may be known: re-encrypt every key")
            .on_hover_text("Every secret is re-encrypted under a new data key, so the old password opens nothing current, not even an old copy of the vault. Takes a moment per key.");
    });
    error_ui(ui, &state.error);
    if ui.button("Change password").clicked() {
        if state.current_password.is_empty() {
            state.error =
                Some("Type your current password first: it confirms the change is yours.".to_owned());
        } else if state.new_password.expose().chars().count() < MIN_PASSWORD {
            state.error = Some(format!(
                "The new password is shorter than {MIN_PASSWORD} characters: choose a longer one."
            ));
        } else if state.new_password.expose() != state.confirm.expose() {
            state.error = Some("The two passwords differ: type the same password twice.".to_owned());
        } else if weak && !state.accept_weak {
            state.error = Some(
                "This password is easy to guess: choose a longer one, or tick \"Use this weak password anyway\"."
                    .to_owned(),
            );
        } else {
            // Only the memory is chosen here; iterations and lanes stay as the vault has them.
            let kdf = KdfParams { memory_kib: state.kdf_memory_mib * 1024, ..kdf };
            command = Some(Command::ChangePassword {
                current: state.current_password.take(),
                new: state.new_password.take(),
                kdf,
                new_data_key: state.new_data_key,
            });
            state.confirm.wipe();
            state.error = None;
        }
    }
    ui.add_space(theme::GAP * 2.0);
    backup_ui(ui, state).or(command)
}

/// Back up: one file with every key, the metadata and the audit log, encrypted under the
/// master password (asked again here, so an unattended window cannot write one).
fn backup_ui(ui: &mut egui::Ui, state: &mut SettingsState) -> Option<Command> {
    ui.heading("Backup");
    ui.horizontal(|ui| {
        ui.add_space(theme::LABEL_WIDTH + 8.0);
        ui.label("One file with every key, its details and the audit log, encrypted under your master password. Restore it with keydesk restore FILE.");
    });
    super::widgets::field_with(ui, "Backup file", egui::TextEdit::singleline(&mut state.backup_path));
    secret_field(ui, "backup-password", "Your master password", &mut state.backup_password);
    error_ui(ui, &state.backup_error);
    if !ui.button("Back up").clicked() {
        return None;
    }
    let path = state.backup_path.trim();
    if path.is_empty() {
        state.backup_error =
            Some("Give the backup a file path, such as ~/Documents/keydesk-backup.kdbackup.".to_owned());
        None
    } else if state.backup_password.is_empty() {
        state.backup_error = Some("Type your master password: the backup opens with it.".to_owned());
        None
    } else {
        state.backup_error = None;
        Some(Command::Backup { password: state.backup_password.take(), path: path.into() })
    }
}
