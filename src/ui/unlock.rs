//! Create vault (first run) and Unlock.

use super::app::Command;
use super::theme;
use super::widgets::{SecretInput, centered_card, error_ui, secret_field};
use crate::vault::MIN_PASSWORD;
use crate::vault::model::SecretBackend;

/// The first-run screen.
pub struct CreateState {
    pub password: SecretInput,
    pub confirm: SecretInput,
    pub backend: SecretBackend,
    /// Whether the OS keychain answered (None while looking).
    pub keychain: Option<Result<(), String>>,
    pub error: Option<String>,
    /// The user chose to keep a password rated weak (asked for explicitly).
    pub accept_weak: bool,
    focused: bool,
}

impl Default for CreateState {
    fn default() -> Self {
        CreateState {
            password: SecretInput::default(),
            confirm: SecretInput::default(),
            backend: SecretBackend::Keychain,
            keychain: None,
            error: None,
            accept_weak: false,
            focused: false,
        }
    }
}

/// The unlock screen.
#[derive(Default)]
pub struct UnlockState {
    pub password: SecretInput,
    pub error: Option<String>,
    focused: bool,
    /// Enter was pressed while the vault file was still being read (or during the wait after
    /// wrong passwords): the try is made as soon as it can be.
    submit_when_ready: bool,
}

impl UnlockState {
    /// After a failed unlock: the sentence shows, and the (emptied) field takes the focus.
    pub fn failed(&mut self, error: String) {
        self.error = Some(error);
        self.focused = false;
        self.submit_when_ready = false;
    }
}

/// The spinner while Argon2id runs.
fn deriving_ui(ui: &mut egui::Ui) {
    ui.horizontal(|ui| {
        super::widgets::spinner(ui);
        ui.label("Deriving the key from your password…");
    });
}

/// A strength hint for a new master password.
pub fn strength(password: &str) -> (u8, String) {
    if password.is_empty() {
        return (0, String::new());
    }
    let entropy = zxcvbn::zxcvbn(password, &["keydesk"]);
    let score = u8::from(entropy.score());
    let word = ["Very weak", "Weak", "Fair", "Strong", "Very strong"][usize::from(score.min(4))];
    let advice = entropy
        .feedback()
        .and_then(|f| {
            f.warning().map(|w| w.to_string()).or_else(|| f.suggestions().first().map(|s| s.to_string()))
        })
        .unwrap_or_default();
    (score, if advice.is_empty() { word.to_owned() } else { format!("{word}: {advice}") })
}

/// The strength hint under a new master password (when `shown`), rated once, and for a weak
/// one the box that keeps it anyway. Returns whether the password is weak (zxcvbn 0–1).
pub fn strength_ui(ui: &mut egui::Ui, password: &str, shown: bool, accept_weak: &mut bool) -> bool {
    let (score, hint) = strength(password);
    let weak = !password.is_empty() && score <= 1;
    let indent = |ui: &mut egui::Ui| ui.add_space(theme::LABEL_WIDTH + 8.0);
    if shown {
        let kind = match score {
            0 | 1 => theme::Badge::Bad,
            2 => theme::Badge::Warn,
            _ => theme::Badge::Good,
        };
        ui.horizontal(|ui| {
            indent(ui);
            super::widgets::badge_ui(ui, &hint, kind);
        });
    }
    if weak {
        ui.horizontal(|ui| {
            indent(ui);
            ui.checkbox(accept_weak, "Use this weak password anyway");
        });
    }
    weak
}

/// First run: the master password twice, a strength hint, and where secrets will live.
pub fn create_ui(ui: &mut egui::Ui, state: &mut CreateState, waiting: bool) -> Option<Command> {
    let mut command = None;
    egui::CentralPanel::default().show(ui, |ui| {
        centered_card(ui, 560.0, |ui| {
            ui.heading("Create your Keydesk vault");
            ui.label("Choose a master password. It unlocks every key; Keydesk cannot recover it.");
            ui.add_space(theme::GAP);
            let first = secret_field(ui, "create-password", "Master password", &mut state.password);
            if !state.focused {
                first.request_focus();
                state.focused = true;
            }
            if first.changed() {
                state.error = None;
                state.accept_weak = false;
            }
            let shown = !state.password.is_empty() || first.has_focus();
            let weak = strength_ui(ui, state.password.expose(), shown, &mut state.accept_weak);
            let second = secret_field(ui, "create-confirm", "Repeat password", &mut state.confirm);
            if second.changed() {
                state.error = None;
            }
            ui.add_space(theme::GAP);
            ui.label("Where secrets are kept:");
            match &state.keychain {
                None => {
                    ui.horizontal(|ui| {
                        super::widgets::spinner(ui);
                        ui.label("Looking for the OS keychain…");
                    });
                }
                Some(Ok(())) => {
                    ui.radio_value(&mut state.backend, SecretBackend::Keychain, "OS keychain (recommended)");
                    ui.radio_value(
                        &mut state.backend,
                        SecretBackend::File,
                        "Encrypted file in the vault folder",
                    );
                }
                Some(Err(why)) => {
                    ui.label(
                        "No OS keychain answered, so secrets will be kept encrypted in a file in the vault \
                     folder (secrets.ron). To use the keychain instead, start GNOME Keyring or KeePassXC's \
                     Secret Service, then restart Keydesk.",
                    )
                    .on_hover_text(why.as_str());
                    state.backend = SecretBackend::File;
                }
            }
            ui.add_space(theme::GAP);
            error_ui(ui, &state.error);
            let enter =
                (first.lost_focus() || second.lost_focus()) && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let ready = state.keychain.is_some() && !waiting;
            let clicked = ui.add_enabled(ready, egui::Button::new("Create vault")).clicked();
            if waiting {
                deriving_ui(ui);
            }
            if (clicked || enter) && ready {
                if state.password.expose().chars().count() < MIN_PASSWORD {
                    state.error = Some(format!(
                        "The master password is shorter than {MIN_PASSWORD} characters: choose a longer one."
                    ));
                } else if state.password.expose() != state.confirm.expose() {
                    state.error = Some("The two passwords differ: type the same password twice.".to_owned());
                } else if weak && !state.accept_weak {
                    state.error = Some(
                        "This password is easy to guess: choose a longer one, or tick \"Use this weak password anyway\"."
                            .to_owned(),
                    );
                } else {
                    state.error = None;
                    command =
                        Some(Command::Create { password: state.password.take(), backend: state.backend });
                    state.confirm.wipe();
                }
            }
        });
    });
    command
}

/// Later runs: the password field is focused and Enter unlocks.
pub fn unlock_ui(
    ui: &mut egui::Ui,
    state: &mut UnlockState,
    waiting: bool,
    retry_in: Option<i64>,
) -> Option<Command> {
    let mut command = None;
    egui::CentralPanel::default().show(ui, |ui| {
        centered_card(ui, 560.0, |ui| {
            ui.heading("Unlock Keydesk");
            ui.label("Your keys stay encrypted until you type the master password.");
            ui.add_space(theme::GAP);
            let field = secret_field(ui, "unlock-password", "Master password", &mut state.password);
            if !state.focused {
                field.request_focus();
                state.focused = true;
            }
            error_ui(ui, &state.error);
            if let Some(secs) = retry_in {
                ui.label(format!("Too many wrong passwords: wait {secs} s before the next try."));
            }
            if field.changed() {
                state.error = None;
            }
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let ready = !waiting && retry_in.is_none();
            if enter && !ready && !state.password.is_empty() {
                // Not dropped: kept, with the focus, and tried as soon as it can be.
                state.submit_when_ready = true;
                field.request_focus();
            }
            let clicked = ui.add_enabled(ready, egui::Button::new("Unlock")).clicked();
            if waiting {
                deriving_ui(ui);
            } else if state.submit_when_ready && retry_in.is_some() {
                ui.label("Your try is kept and made when the wait is over.");
            }
            let queued = std::mem::take(&mut state.submit_when_ready);
            if (clicked || enter || queued) && ready && !state.password.is_empty() {
                state.error = None;
                // The field is wiped as the password leaves it; a wrong one is typed again.
                command = Some(Command::Unlock { password: state.password.take() });
            } else if queued {
                state.submit_when_ready = true;
            }
        });
    });
    command
}
