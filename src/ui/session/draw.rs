//! Drawing the unlocked window: shortcuts, navigation, the current screen and its dialogs.
//! Screens get the vault's plain data and the cached audit lines, never the vault.

use chrono::{DateTime, Utc};

use super::{Command, Session};
use crate::ui::state::Screen;
use crate::ui::{
    accounts, app, audit_log, dashboard, detail, health, incidents, new_key, revoke, settings, whois, widgets,
};

/// The content width from which a key's page shows the list beside it (a window of about
/// 1,100 px less the navigation).
const SPLIT_FROM: f32 = 900.0;

impl Session {
    /// Draws the current screen and its dialogs; returns what the user asked for.
    pub fn screen_ui(&mut self, ui: &mut egui::Ui, now: DateTime<Utc>) -> Vec<app::Command> {
        let mut commands: Vec<app::Command> = Vec::new();
        if let Some((key, screen)) = widgets::screen_shortcut(ui) {
            match key {
                egui::Key::K => self.whois.focus = true,
                egui::Key::F => self.dashboard.focus_search = true,
                _ => {}
            }
            commands.push(Command::Show(screen).into());
        }
        commands.extend(widgets::nav_ui(ui, &self.screen));
        let file = self.vault.file();
        egui::CentralPanel::default().show(ui, |ui| {
            widgets::pane_bounds(ui);
            match &self.screen {
                Screen::Keys | Screen::Members => {
                    commands
                        .extend(dashboard::dashboard_ui(ui, file, &mut self.dashboard, now).map(Into::into));
                }
                Screen::Detail(id) => {
                    // A wide window shows the list beside the key's page (one column below).
                    if ui.available_width() >= SPLIT_FROM {
                        egui::Panel::left("key-list")
                            .resizable(true)
                            .default_size(400.0)
                            .size_range(330.0..=560.0)
                            .show(ui, |ui| {
                                widgets::pane_bounds(ui);
                                let command = dashboard::dashboard_ui(ui, file, &mut self.dashboard, now);
                                commands.extend(command.map(Into::into));
                            });
                    }
                    let revealed = self.revealed.as_mut().filter(|r| r.key_id == *id);
                    let command = detail::detail_ui(ui, file, id, &mut self.detail, revealed, now);
                    commands.extend(command.map(Into::into));
                }
                Screen::New => {
                    commands
                        .extend(new_key::new_key_ui(ui, &file.accounts, &mut self.new_key).map(Into::into));
                }
                Screen::Accounts => {
                    commands.extend(
                        accounts::accounts_ui(ui, Some(&file.accounts), &mut self.accounts, None)
                            .map(Into::into),
                    );
                }
                Screen::Audit => {
                    let label_of = |id: &str| {
                        let key = file.key(&crate::vault::model::KeyId::from_stored(id));
                        key.map_or_else(|| id.to_owned(), |k| k.label.clone())
                    };
                    let command =
                        audit_log::audit_ui(ui, &label_of, self.audit_cache.as_ref(), &mut self.audit);
                    commands.extend(command.map(Into::into));
                }
                Screen::Settings => {
                    // Longer than a small window: it scrolls.
                    egui::ScrollArea::vertical().id_salt("settings-page").auto_shrink([false, false]).show(
                        ui,
                        |ui| {
                            let of = settings::SettingsOf::local(file);
                            commands.extend(settings::settings_ui(ui, &mut self.settings, &of));
                        },
                    );
                }
                Screen::Whois => {
                    commands.extend(whois::whois_ui(ui, file, &mut self.whois).map(Into::into));
                }
                Screen::Incidents => {
                    let label_of = |id: &crate::vault::model::KeyId| {
                        file.key(id).map_or_else(|| id.to_string(), |k| k.label.clone())
                    };
                    let asked = incidents::incidents_ui(
                        ui,
                        Some(&file.incidents),
                        &label_of,
                        &mut self.incidents,
                        None,
                    );
                    commands.extend(asked.map(Into::into));
                }
                Screen::Health => {
                    let (audit, weekly) =
                        (self.audit_cache.as_ref(), Some(file.header.settings.check_weekly));
                    commands.extend(
                        health::health_ui(ui, (file, audit, weekly), &mut self.health, now).map(Into::into),
                    );
                }
            }
        });
        if let Some(state) = &mut self.revoke {
            commands.extend(revoke::revoke_ui(ui.ctx(), state).map(Into::into));
        }
        if let Some(shown) = &mut self.shown_once {
            commands.extend(widgets::shown_once_ui(ui.ctx(), shown).map(Into::into));
        }
        if let Some(confirm) = &self.confirm {
            commands.extend(widgets::confirm_ui(ui.ctx(), confirm).map(|yes| Command::Answer(yes).into()));
        }
        // Esc or Alt+Left leaves a key's page for the list, when no dialog is open.
        let dialog = self.revoke.is_some() || self.shown_once.is_some() || self.confirm.is_some();
        if matches!(self.screen, Screen::Detail(_)) && !dialog {
            let back = ui.input_mut(|i| {
                i.consume_key(egui::Modifiers::NONE, egui::Key::Escape)
                    || i.consume_key(egui::Modifiers::ALT, egui::Key::ArrowLeft)
            });
            if back {
                commands.push(Command::Show(Screen::Keys).into());
            }
        }
        commands
    }
}
