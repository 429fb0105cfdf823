//! Drawing the unlocked window: shortcuts, navigation, the current screen and its dialogs.
//! Screens get the vault's plain data and the cached audit lines, never the vault.

use chrono::{DateTime, Utc};

use super::{Command, Session};
use crate::ui::screens::Shown;
use crate::ui::settings::SettingsOf;
use crate::ui::{app, widgets};

impl Session {
    /// Draws the current screen and its dialogs; returns what the user asked for.
    pub fn screen_ui(&mut self, ui: &mut egui::Ui, now: DateTime<Utc>) -> Vec<app::Command> {
        let mut commands: Vec<app::Command> = Vec::new();
        if let Some((key, screen)) = widgets::screen_shortcut(ui) {
            match key {
                egui::Key::K => self.screens.whois.focus = true,
                egui::Key::F => self.screens.dashboard.focus_search = true,
                _ => {}
            }
            commands.push(Command::Show(screen).into());
        }
        // Esc or Alt+Left goes back to the list, when no dialog or menu is open.
        if self.shown_once.is_none() {
            commands.extend(self.screens.back_ui(ui).map(Into::into));
        }
        commands.extend(widgets::nav_ui(ui, &self.screens.screen));
        let file = self.vault.file();
        let shown = Shown {
            book: file,
            accounts: Some(&file.accounts),
            incidents: Some(&file.incidents),
            audit: self.audit_cache.as_ref(),
            weekly: Some(file.header.settings.check_weekly),
            settings: SettingsOf::local(file),
        };
        egui::CentralPanel::default().show(ui, |ui| {
            widgets::pane_bounds(ui);
            commands.extend(self.screens.screen_ui(ui, &shown, self.revealed.as_mut(), now));
        });
        if let Some(shown) = &mut self.shown_once {
            commands.extend(widgets::shown_once_ui(ui.ctx(), shown).map(Into::into));
        }
        commands.extend(self.screens.dialogs_ui(ui.ctx()).into_iter().map(Into::into));
        commands
    }
}
