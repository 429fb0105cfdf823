//! Drawing the open vault's window, either kind: shortcuts, navigation, the current screen
//! and its dialogs. Screens get plain data (the vault's file, or this computer's copy of a
//! team vault) and the cached audit lines, never the vault.

use chrono::{DateTime, Utc};

use super::{Command, Home, Revealed, Session, ShownOnce};
use crate::ui::screens::{Screens, Shown};
use crate::ui::settings::SettingsOf;
use crate::ui::state::Screen;
use crate::ui::{app, widgets};

/// What a home draws of its own around the screens (a team vault's place, its banner, its
/// Members screen).
type Around<'a> = &'a mut dyn FnMut(&mut egui::Ui, &mut Screens, &mut Vec<app::Command>) -> bool;

impl Session {
    /// Draws the current screen and its dialogs; returns what the user asked for. `busy`: a
    /// change runs, so the changing buttons wait.
    pub fn screen_ui(&mut self, ui: &mut egui::Ui, now: DateTime<Utc>, busy: bool) -> Vec<app::Command> {
        let Session { home, screens, shown_once, revealed, audit_cache } = self;
        match home {
            Home::Local(local) => {
                let file = local.vault.file();
                let shown = Shown {
                    book: file,
                    accounts: Some(&file.accounts),
                    incidents: Some(&file.incidents),
                    audit: audit_cache.as_ref(),
                    weekly: Some(file.header.settings.check_weekly),
                    settings: SettingsOf::local(file),
                };
                let frame = Frame { screens, shown_once, revealed: revealed.as_mut(), members: false };
                frame.ui(ui, &shown, &mut |_, _, _| false, now)
            }
            Home::Team(team) => {
                // Put back once drawn: the screen draws the copy while it changes these.
                let mut state = std::mem::take(&mut team.screen);
                let mut invitation = team.invitation.take();
                crate::ui::team::escape_removal(ui, &mut state);
                let view = team.view(busy, audit_cache.as_ref());
                let shown = crate::ui::team::shown(&view);
                let frame = Frame { screens, shown_once, revealed: revealed.as_mut(), members: true };
                let mut around = |ui: &mut egui::Ui, screens: &mut Screens, asked: &mut Vec<app::Command>| {
                    crate::ui::team::around_ui(
                        ui,
                        (&view, &mut state, invitation.as_mut()),
                        screens,
                        asked,
                        now,
                    )
                };
                let asked = frame.ui(ui, &shown, &mut around, now);
                team.screen = state;
                team.invitation = invitation;
                asked
            }
        }
    }
}

/// The parts of a session the window's frame draws.
struct Frame<'a> {
    screens: &'a mut Screens,
    shown_once: &'a mut Option<ShownOnce>,
    revealed: Option<&'a mut Revealed>,
    /// Whether the navigation offers the team's Members.
    members: bool,
}

impl Frame<'_> {
    /// The shortcuts, the navigation, the screen shown (or what the home draws in its place)
    /// and the dialogs over it.
    fn ui(
        self,
        ui: &mut egui::Ui,
        shown: &Shown<'_>,
        around: Around<'_>,
        now: DateTime<Utc>,
    ) -> Vec<app::Command> {
        let Frame { screens, shown_once, revealed, members } = self;
        let mut commands: Vec<app::Command> = Vec::new();
        if let Some((key, screen)) = widgets::screen_shortcut(ui) {
            match key {
                egui::Key::K => screens.whois.focus = true,
                egui::Key::F => screens.dashboard.focus_search = true,
                _ => {}
            }
            commands.push(Command::Show(screen).into());
        }
        // Esc or Alt+Left goes back to the list, when no dialog or menu is open.
        if shown_once.is_none() {
            commands.extend(screens.back_ui(ui).map(Into::into));
        }
        commands.extend(nav_ui(ui, &screens.screen, members, shown.book.why_not_change()));
        egui::CentralPanel::default().show(ui, |ui| {
            widgets::pane_bounds(ui);
            if !around(ui, screens, &mut commands) {
                commands.extend(screens.screen_ui(ui, shown, revealed, now));
            }
        });
        if let Some(shown) = shown_once {
            commands.extend(widgets::shown_once_ui(ui.ctx(), shown).map(Into::into));
        }
        commands.extend(screens.dialogs_ui(ui.ctx()).into_iter().map(Into::into));
        commands
    }
}

/// The navigation on the left: the screens (with the team's Members on a team vault), New
/// key off while keys cannot change (`why_off`), and Lock.
fn nav_ui(ui: &mut egui::Ui, current: &Screen, members: bool, why_off: Option<&str>) -> Option<app::Command> {
    let team = members.then_some((Screen::Members, "Members", ""));
    let items: Vec<widgets::NavItem<Screen>> = widgets::SCREENS
        .into_iter()
        .chain(team)
        .map(|(screen, label, shortcut)| widgets::NavItem {
            open: *current == screen || (screen == Screen::Keys && matches!(current, Screen::Detail(_))),
            why_off: (screen == Screen::New).then_some(why_off).flatten(),
            opens: screen,
            label,
            shortcut,
        })
        .collect();
    Some(match widgets::nav_panel_ui(ui, &items)? {
        widgets::NavClick::Open(screen) => Command::Show(screen).into(),
        widgets::NavClick::Lock => app::Command::Lock,
    })
}
