//! The team screen's New key screen: the local vault's, carried to the team vault.

use super::session::Command;
use super::team::{BUSY, TeamCommand, TeamScreenState, TeamView, why_read_only};

/// The New key screen, the local vault's: what it asks is carried to the team vault (a
/// change that cannot be made now says why under its button).
pub(super) fn new_key_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    command: &mut Option<TeamCommand>,
) {
    let form = &mut state.new_key;
    let Some(asked) = super::new_key::new_key_ui(ui, view.accounts.unwrap_or_default(), form) else { return };
    let why_not = why_read_only(view).or(view.busy.then_some(BUSY));
    let carried = match asked {
        Command::Show(_) => {
            state.new_key = super::state::NewKeyState::default();
            state.screen = super::state::Screen::Keys;
            return;
        }
        // Made as on a local vault: linked as the replacement of the key the form names, if any.
        asked @ (Command::Generate(_) | Command::Add { .. } | Command::CreateAtProvider { .. }) => {
            TeamCommand::Verb(asked)
        }
        _ => return,
    };
    match why_not {
        Some(why) => form.error = Some(why.to_owned()),
        None => {
            form.error = None;
            *command = Some(carried);
        }
    }
}
