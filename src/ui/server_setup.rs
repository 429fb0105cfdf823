//! "Prepare the server…" on the first-run screen: with an admin's token, what a team vault
//! needs on its OpenBao server ([`crate::team::setup::needed`]: the KV version 2 engine at its
//! mount, the reader, editor and admin policies for its path, the userpass sign-in method),
//! each change listed before it is made, as `keydesk team setup` does. The server is asked
//! and changed in jobs the shell runs; the admin token lives
//! only in this page's field and is wiped when the page closes. The company's login and
//! directory are set up with the command line.

use secrecy::SecretString;

use super::app::Command;
use super::theme::{self, Badge};
use super::unlock::TeamForm;
use super::widgets::{SecretInput, badge_ui, centered_card, error_ui, secret_field};
use crate::team::setup::Change;

/// The page's title, and the first-run screen's button that opens it.
pub const OPEN: &str = "Prepare the server…";

/// Where the page stands.
pub enum SetupStage {
    /// The admin token is asked for; nothing was asked of the server yet.
    Asking,
    /// The server's answer: the changes it needs (empty: none).
    Listed(Vec<Change>),
    /// "Make these changes" ran: the changes made, in order, and the first that failed with
    /// its one sentence (the rest were not tried).
    Made { made: Vec<String>, failure: Option<(String, String)> },
}

/// The "Prepare the server…" page.
pub struct ServerSetupState {
    /// The admin's token for the server (never kept; wiped when the page closes, and its
    /// buffer zeroed when the page is dropped).
    pub token: SecretInput,
    pub stage: SetupStage,
    /// Why the server could not be asked, in one sentence.
    pub error: Option<String>,
    /// The page was closed: the first-run screen drops it (and the token) in this frame.
    pub closed: bool,
}

impl Default for ServerSetupState {
    fn default() -> Self {
        ServerSetupState {
            token: SecretInput::default(),
            stage: SetupStage::Asking,
            error: None,
            closed: false,
        }
    }
}

/// Where the server is and the admin token, as the jobs get them.
pub struct ServerAt {
    pub addr: String,
    pub mount: String,
    pub path: String,
    pub token: SecretString,
}

/// What the page asks of the shell.
pub enum SetupCommand {
    /// Ask the server what it needs.
    Look(ServerAt),
    /// Make these changes, in order, stopping at the first that fails.
    Make(ServerAt, Vec<Change>),
}

/// What a page's job found or did.
pub enum SetupDone {
    /// The changes the server needs, or why it could not be asked.
    Looked(Result<Vec<Change>, crate::ui::Failure>),
    /// The changes made, and the one that failed with its sentence (if one did; `None` for the
    /// change when the server could not be reached at all).
    Made { made: Vec<String>, failure: Option<(Option<String>, String)> },
}

impl ServerSetupState {
    /// Applies a job's answer to the page.
    pub fn done(&mut self, done: SetupDone) {
        match done {
            SetupDone::Looked(Ok(changes)) => {
                self.error = None;
                self.stage = SetupStage::Listed(changes);
            }
            SetupDone::Looked(Err(error)) => {
                self.error = Some(error.to_string());
                self.stage = SetupStage::Asking;
            }
            SetupDone::Made { made, failure } => {
                self.error = None;
                let failure = failure.map(|(change, why)| (change.unwrap_or_default(), why));
                self.stage = SetupStage::Made { made, failure };
            }
        }
    }
}

/// The page: where the server is (from the first-run screen's form), the admin token, and the
/// changes found or made. `waiting`: a job runs (the buttons wait for it).
pub fn server_setup_ui(
    ui: &mut egui::Ui,
    page: &mut ServerSetupState,
    team: &TeamForm,
    waiting: bool,
) -> Option<Command> {
    let mut command = None;
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
            centered_card(ui, 560.0, |ui| {
                ui.heading("Prepare the server");
                ui.label(format!(
                    "With an admin's token, Keydesk makes what this team vault needs on {}: the KV version 2 engine at \"{}\", \
                     the reader, editor and admin policies for \"{}\", and the name-and-password (userpass) sign-in. \
                     Each change is shown before it is made. The company login and directory are set up with \
                     keydesk team setup on the command line.",
                    shown(&team.addr),
                    shown(&team.mount),
                    shown(&team.path),
                ));
                ui.add_space(theme::GAP / 2.0);
                let token = secret_field(ui, "admin-token", "Admin token", &mut page.token)
                    .on_hover_text("A token that may change the server's mounts, policies and sign-in methods (used here only, never kept)");
                if token.changed() {
                    page.error = None;
                }
                ui.add_space(theme::GAP / 2.0);
                stage_ui(ui, &page.stage);
                error_ui(ui, &page.error);
                ui.add_space(theme::GAP / 2.0);
                command = buttons_ui(ui, page, team, waiting);
            });
        });
    });
    command
}

/// A form's value as the page says it ("(empty)" when it is).
fn shown(value: &str) -> &str {
    if value.trim().is_empty() { "(empty)" } else { value.trim() }
}

/// The changes found, or made (and the one that failed).
fn stage_ui(ui: &mut egui::Ui, stage: &SetupStage) {
    match stage {
        SetupStage::Asking => {}
        SetupStage::Listed(changes) if changes.is_empty() => {
            badge_ui(ui, "The server has everything this vault needs.", Badge::Good);
        }
        SetupStage::Listed(changes) => {
            ui.label("These changes are needed on the server:");
            for change in changes {
                ui.label(format!("• {change}"));
            }
        }
        SetupStage::Made { made, failure } => {
            for change in made {
                ui.label(format!("Made: {change}"));
            }
            match failure {
                None => badge_ui(ui, "The server now has everything this vault needs.", Badge::Good),
                Some((change, why)) => {
                    let not_made = if change.is_empty() {
                        "No change was made.".to_owned()
                    } else {
                        format!("Not made: {change}")
                    };
                    badge_ui(ui, &not_made, Badge::Bad);
                    error_ui(ui, &Some(why.clone()));
                }
            }
        }
    }
}

/// "Look at the server", "Make these changes" (when some are listed), and Cancel (or Close
/// once there is nothing left to do).
fn buttons_ui(
    ui: &mut egui::Ui,
    page: &mut ServerSetupState,
    team: &TeamForm,
    waiting: bool,
) -> Option<Command> {
    let mut command = None;
    let at = |page: &ServerSetupState| ServerAt {
        addr: team.addr.trim().to_owned(),
        mount: team.mount.trim().to_owned(),
        path: team.path.trim().to_owned(),
        token: SecretString::from(page.token.expose().trim()),
    };
    ui.horizontal_wrapped(|ui| {
        let changes = match &page.stage {
            SetupStage::Listed(changes) if !changes.is_empty() => Some(changes.clone()),
            _ => None,
        };
        if let Some(changes) = changes {
            if ui.add_enabled(!waiting, egui::Button::new("Make these changes")).clicked() {
                command = Some(Command::ServerSetup(SetupCommand::Make(at(page), changes)));
            }
        } else if ui.add_enabled(!waiting, egui::Button::new("Look at the server")).clicked()
            && ready(page, team)
        {
            command = Some(Command::ServerSetup(SetupCommand::Look(at(page))));
        }
        let done = matches!(&page.stage, SetupStage::Made { failure: None, .. })
            || matches!(&page.stage, SetupStage::Listed(changes) if changes.is_empty());
        if ui.button(if done { "Close" } else { "Cancel" }).clicked() {
            page.token.wipe();
            page.closed = true;
        }
    });
    if waiting {
        ui.horizontal(|ui| {
            super::widgets::spinner(ui);
            ui.label("Waiting for the server…");
        });
    }
    command
}

/// Whether the form says enough to ask the server; else the page's sentence says what is
/// missing.
fn ready(page: &mut ServerSetupState, team: &TeamForm) -> bool {
    page.error = if team.addr.trim().is_empty() {
        Some(
            "The server address is empty: type it on the first-run screen, then prepare the server."
                .to_owned(),
        )
    } else if team.mount.trim().is_empty() || team.path.trim().is_empty() {
        Some(
            "The mount or the path is empty: type them on the first-run screen, then prepare the server."
                .to_owned(),
        )
    } else if page.token.is_empty() {
        Some("The admin token is empty: paste a token that may change the server's policies and sign-in methods.".to_owned())
    } else {
        None
    };
    page.error.is_none()
}
