//! Create vault (first run) and Unlock.

use secrecy::SecretString;

use super::app::Command;
use super::theme;
use super::widgets::{SecretInput, centered_card, error_ui, field, secret_field};
use crate::team::signin::PasswordMethod;
use crate::vault::MIN_PASSWORD;
use crate::vault::model::SecretBackend;

/// What the first-run screen makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VaultKind {
    /// A vault on this computer.
    Local,
    /// A new team vault on an OpenBao (or HashiCorp Vault) server.
    Team,
    /// A team vault someone else made, with an invitation code.
    Join,
}

/// Where a team vault is and who joins it, as typed on the first-run screen.
pub struct TeamForm {
    pub addr: String,
    pub mount: String,
    pub path: String,
    pub member: String,
    pub token: SecretInput,
    pub code: SecretInput,
    /// Keep the token in the OS keychain, so the unlock screen does not ask for it.
    pub remember: bool,
    /// How this member signs in to the server: a token, a name and password (its userpass
    /// method), the company directory's account (its LDAP method), or the company account
    /// (its OIDC method).
    pub way: ServerSignIn,
    /// The name on the server (empty: the member's name).
    pub login_name: String,
    pub login_password: SecretInput,
    /// A sign-in with the company account under way (joining a vault that signs in so).
    pub signing_in: Option<SignInStage>,
}

impl TeamForm {
    /// An empty form; `member` is the name proposed (the login name).
    pub fn new(member: String) -> Self {
        TeamForm {
            addr: String::new(),
            mount: "secret".to_owned(),
            path: String::new(),
            member,
            token: SecretInput::default(),
            code: SecretInput::default(),
            remember: true,
            way: ServerSignIn::Token,
            login_name: String::new(),
            login_password: SecretInput::default(),
            signing_in: None,
        }
    }
}

/// How the first-run screen's member signs in to the team vault's server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerSignIn {
    Token,
    /// A name and password on the server.
    Password,
    /// The name and password of the company directory's account.
    Directory,
    /// The company account, in the browser.
    Company,
}

/// A team vault to make or join, as the first-run screen hands it to the shell.
pub struct TeamSetup {
    pub addr: String,
    pub mount: String,
    pub path: String,
    pub member: String,
    pub token: SecretString,
    /// The invitation code, when joining.
    pub code: Option<SecretString>,
    /// Keep the token in the OS keychain.
    pub remember: bool,
    /// A name and password to sign in with on the server (its userpass or LDAP method),
    /// instead of the token.
    pub login: Option<(PasswordMethod, String, SecretString)>,
    /// Sign in with the company account (the server's OIDC method) instead.
    pub company: bool,
}

/// The first-run screen.
pub struct CreateState {
    pub kind: VaultKind,
    pub team: TeamForm,
    pub password: SecretInput,
    pub confirm: SecretInput,
    pub backend: SecretBackend,
    /// Whether the OS keychain answered (None while looking).
    pub keychain: Option<Result<(), Box<crate::ui::Failure>>>,
    pub error: Option<String>,
    /// The user chose to keep a password rated weak (asked for explicitly).
    pub accept_weak: bool,
    /// The "Prepare the server…" page, while it is open (it takes the screen's place).
    pub server_setup: Option<Box<super::server_setup::ServerSetupState>>,
    focused: bool,
}

impl Default for CreateState {
    fn default() -> Self {
        CreateState {
            kind: VaultKind::Local,
            team: TeamForm::new(String::new()),
            password: SecretInput::default(),
            confirm: SecretInput::default(),
            backend: SecretBackend::Keychain,
            keychain: None,
            error: None,
            accept_weak: false,
            server_setup: None,
            focused: false,
        }
    }
}

/// The unlock screen.
#[derive(Default)]
pub struct UnlockState {
    pub password: SecretInput,
    /// On a team vault's folder: where it is, and the token when it is typed here.
    pub team: Option<TeamLock>,
    pub error: Option<String>,
    focused: bool,
    /// Enter was pressed while the vault file was still being read (or during the wait after
    /// wrong passwords): the try is made as soon as it can be.
    submit_when_ready: bool,
}

/// The unlock screen of a team vault.
pub struct TeamLock {
    /// "secret/marketing on https://bao.example:8200, as ana".
    pub place: String,
    /// Whether BAO_TOKEN or VAULT_TOKEN gives the token (no field then).
    pub token_from_env: bool,
    pub token: SecretInput,
    /// Whether the OS keychain keeps a token for this team vault (`None` while looking).
    pub kept: Option<bool>,
    /// Keep the token typed here in the OS keychain.
    pub remember: bool,
    /// A token typed here is used instead of the kept one.
    pub use_other: bool,
    /// The name this vault signs in to the server with, when it signs in with a name and
    /// password (the field then takes that password, not a token).
    pub sign_in_name: Option<String>,
    /// That name is the company directory's (LDAP): it has a field of its own, and the
    /// password is the directory's.
    pub directory: bool,
    /// This vault signs in with the company's login (OIDC): "Sign in with your company
    /// account" opens the browser instead of a field.
    pub company: bool,
    /// A sign-in with the company account under way: where it stands.
    pub signing_in: Option<SignInStage>,
}

impl TeamLock {
    /// Whether unlocking needs a new sign-in with the company account (no token from the
    /// environment, none kept in the OS keychain, or another sign-in asked for).
    pub fn needs_company_sign_in(&self) -> bool {
        self.company && !self.token_from_env && (self.kept != Some(true) || self.use_other)
    }
}

/// Where a sign-in with the company account stands, as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInStage {
    /// Asking the team's server for the company login's address.
    Asking,
    /// The browser was opened at `address`, or could not be (`problem`, then the user opens it).
    Browser { address: String, problem: Option<String> },
    /// Signed in: the vault is being unlocked (or made, or joined).
    Unlocking,
}

/// A sign-in with the company account under way: what it waits for, the address to open by
/// hand, and "Cancel sign-in" (returns whether it was clicked).
pub fn signing_in_ui(ui: &mut egui::Ui, stage: &SignInStage) -> bool {
    ui.horizontal_wrapped(|ui| {
        super::widgets::spinner(ui);
        ui.label(match stage {
            SignInStage::Asking => "Asking the team's server for your company's sign-in page…",
            SignInStage::Browser { .. } => "Finish signing in in your browser…",
            SignInStage::Unlocking => {
                "Signed in with your company account: deriving the key from your password…"
            }
        });
    });
    if let SignInStage::Browser { address, problem } = stage {
        ui.label(match problem {
            Some(problem) => format!("No browser could be opened ({problem}): open this address in yours:"),
            None => "If no browser opened, open this address in yours:".to_owned(),
        });
        ui.add(
            egui::Label::new(egui::RichText::new(address).monospace().small())
                .wrap_mode(egui::TextWrapMode::Wrap)
                .selectable(true),
        );
    }
    !matches!(stage, SignInStage::Unlocking) && ui.button("Cancel sign-in").clicked()
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

/// While a job runs: where a sign-in with the company account stands (with its Cancel, whose
/// command is returned), else the KDF's spinner.
fn waiting_ui(ui: &mut egui::Ui, stage: Option<&SignInStage>) -> Option<Command> {
    match stage {
        Some(stage) => signing_in_ui(ui, stage).then_some(Command::CancelCompanySignIn),
        None => {
            deriving_ui(ui);
            None
        }
    }
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

/// The strength hint under a new master password (when `shown`), rated once. Returns whether
/// the password is weak (zxcvbn 0–1); [`weak_override_ui`] then offers to keep it anyway.
pub fn strength_ui(ui: &mut egui::Ui, password: &str, shown: bool) -> bool {
    let (score, hint) = strength(password);
    let weak = !password.is_empty() && score <= 1;
    if shown {
        let kind = match score {
            0 | 1 => theme::Badge::Bad,
            2 => theme::Badge::Warn,
            _ => theme::Badge::Good,
        };
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + 8.0);
            super::widgets::badge_ui(ui, &hint, kind);
        });
    }
    weak
}

/// For a weak password, the box that keeps it anyway: placed after the repeat field (so Tab
/// from the password goes to the repeat), and ticked only by a click (or a screen reader's
/// action), never by Enter or Space while it has the keyboard focus.
pub fn weak_override_ui(ui: &mut egui::Ui, weak: bool, accept_weak: &mut bool) {
    if !weak {
        return;
    }
    ui.horizontal(|ui| {
        ui.add_space(theme::LABEL_WIDTH + 8.0);
        let mut ticked = *accept_weak;
        let response = ui.checkbox(&mut ticked, "Use this weak password anyway");
        let by_key = response.has_focus()
            && ui.input(|i| i.key_pressed(egui::Key::Enter) || i.key_pressed(egui::Key::Space));
        if response.clicked() && !by_key {
            *accept_weak = ticked;
        }
    });
}

/// First run: a vault on this computer, a new team vault, or joining one; the master password
/// twice, a strength hint, and (on this computer) where secrets will live.
pub fn create_ui(ui: &mut egui::Ui, state: &mut CreateState, waiting: bool) -> Option<Command> {
    if state.server_setup.as_ref().is_some_and(|page| page.closed) {
        state.server_setup = None;
    }
    if let Some(page) = &mut state.server_setup {
        return super::server_setup::server_setup_ui(ui, page, &state.team, waiting);
    }
    let mut command = None;
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
            centered_card(ui, 560.0, |ui| {
                ui.heading("Create your Keydesk vault");
                ui.horizontal_wrapped(|ui| {
                    ui.selectable_value(&mut state.kind, VaultKind::Local, "On this computer");
                    ui.selectable_value(&mut state.kind, VaultKind::Team, "Team vault");
                    ui.selectable_value(&mut state.kind, VaultKind::Join, "Join a team vault");
                });
                ui.add_space(theme::GAP / 2.0);
                match state.kind {
                    VaultKind::Local => {
                        ui.label("Choose a master password. It unlocks every key; Keydesk cannot recover it.");
                    }
                    VaultKind::Team => {
                        ui.label(
                            "One set of keys for the whole team, on your OpenBao or HashiCorp Vault server. \
                             Secrets are encrypted here before they reach it; each member unlocks with their own password.",
                        );
                        team_fields_ui(ui, &mut state.team, false);
                        ui.horizontal_wrapped(|ui| {
                            ui.label("New server, or one without Keydesk's policies yet?");
                            if ui.button(super::server_setup::OPEN).clicked() {
                                state.server_setup = Some(Box::default());
                            }
                        });
                    }
                    VaultKind::Join => {
                        ui.label(
                            "Join the team vault your admin invited you to: type where it is, your name as invited, \
                             the invitation code and your own password.",
                        );
                        team_fields_ui(ui, &mut state.team, true);
                    }
                }
                ui.add_space(theme::GAP);
                let first = secret_field(ui, "create-password", "Master password", &mut state.password);
                if !state.focused {
                    if state.kind == VaultKind::Local {
                        first.request_focus();
                    }
                    state.focused = true;
                }
                if first.changed() {
                    state.error = None;
                    state.accept_weak = false;
                }
                let shown = !state.password.is_empty() || first.has_focus();
                let weak = strength_ui(ui, state.password.expose(), shown);
                let second = secret_field(ui, "create-confirm", "Repeat password", &mut state.confirm);
                if second.changed() {
                    state.error = None;
                }
                weak_override_ui(ui, weak, &mut state.accept_weak);
                if state.kind == VaultKind::Local {
                    ui.add_space(theme::GAP);
                    backend_ui(ui, state);
                }
                ui.add_space(theme::GAP);
                error_ui(ui, &state.error);
                let enter = (first.lost_focus() || second.lost_focus())
                    && ui.input(|i| i.key_pressed(egui::Key::Enter));
                let ready = (state.keychain.is_some() || state.kind != VaultKind::Local) && !waiting;
                let action = match state.kind {
                    VaultKind::Local => "Create vault",
                    VaultKind::Team => "Create team vault",
                    VaultKind::Join => "Join team vault",
                };
                let clicked = ui.add_enabled(ready, egui::Button::new(action)).clicked();
                if waiting && let Some(cancel) = waiting_ui(ui, state.team.signing_in.as_ref()) {
                    command = Some(cancel);
                }
                if (clicked || enter) && ready {
                    state.error = check_create(state, weak);
                    if state.error.is_none() {
                        let password = state.password.take();
                        state.confirm.wipe();
                        command = Some(match state.kind {
                            VaultKind::Local => Command::Create { password, backend: state.backend },
                            VaultKind::Team | VaultKind::Join => {
                                let team = &mut state.team;
                                let code = (state.kind == VaultKind::Join).then(|| team.code.take());
                                Command::CreateTeam {
                                    setup: TeamSetup {
                                        addr: team.addr.trim().to_owned(),
                                        mount: team.mount.trim().to_owned(),
                                        path: team.path.trim().to_owned(),
                                        member: team.member.trim().to_owned(),
                                        // Kept in its field should the server refuse.
                                        token: SecretString::from(team.token.expose()),
                                        code,
                                        remember: team.remember,
                                        company: team.way == ServerSignIn::Company,
                                        login: password_method(team.way).map(|method| {
                                            let name = match team.login_name.trim() {
                                                "" => team.member.trim(),
                                                name => name,
                                            };
                                            (method, name.to_owned(), SecretString::from(team.login_password.expose()))
                                        }),
                                    },
                                    password,
                                }
                            }
                        });
                    }
                }
            });
        });
    });
    command
}

/// Where the team vault is, who this member is, the token (and the invitation code).
fn team_fields_ui(ui: &mut egui::Ui, team: &mut TeamForm, join: bool) {
    ui.add_space(theme::GAP / 2.0);
    field(ui, "Server address", &mut team.addr)
        .on_hover_text("https://bao.example.com:8200 — for a cluster, every node's address, split by commas");
    field(ui, "Mount", &mut team.mount).on_hover_text("The KV version 2 engine's mount (usually \"secret\")");
    field(ui, "Path", &mut team.path)
        .on_hover_text("Where in the mount the team vault lives, e.g. marketing");
    field(ui, "Your name", &mut team.member);
    ui.horizontal_wrapped(|ui| {
        ui.add_space(theme::LABEL_WIDTH + 8.0);
        ui.radio_value(&mut team.way, ServerSignIn::Token, "Sign in with a token");
        ui.radio_value(&mut team.way, ServerSignIn::Password, "Sign in with a name and password");
        ui.radio_value(&mut team.way, ServerSignIn::Company, "Sign in with your company account");
        ui.radio_value(&mut team.way, ServerSignIn::Directory, DIRECTORY);
    });
    if team.way == ServerSignIn::Company {
        ui.horizontal_wrapped(|ui| {
            ui.add_space(theme::LABEL_WIDTH + 8.0);
            ui.label("Keydesk opens your browser at your company's sign-in page when you go on.");
        });
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + 8.0);
            ui.checkbox(&mut team.remember, "Keep the sign-in in the OS keychain");
        });
    } else if team.way == ServerSignIn::Directory {
        field(ui, "Directory name", &mut team.login_name)
            .on_hover_text("Your company directory account's name (left empty: your name above)");
        secret_field(ui, "team-login-password", "Directory password", &mut team.login_password)
            .on_hover_text("Your company directory account's password, not the master password");
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + 8.0);
            ui.checkbox(&mut team.remember, "Keep the sign-in in the OS keychain");
        });
    } else if team.way == ServerSignIn::Password {
        field(ui, "Server name", &mut team.login_name)
            .on_hover_text("Your name on the team's server (left empty: your name above)");
        secret_field(ui, "team-login-password", "Server password", &mut team.login_password)
            .on_hover_text("Your password on the team's server, not the master password");
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + 8.0);
            ui.checkbox(&mut team.remember, "Keep the sign-in in the OS keychain");
        });
    } else {
        secret_field(ui, "team-token", "Server token", &mut team.token)
            .on_hover_text("The token your team's admin gave you for the server");
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + 8.0);
            ui.checkbox(&mut team.remember, "Keep the token in the OS keychain");
        });
    }
    if join {
        secret_field(ui, "invitation-code", "Invitation code", &mut team.code);
    }
}

/// How the first-run screen's sign-in `way` signs in with a name and password, if it does.
fn password_method(way: ServerSignIn) -> Option<PasswordMethod> {
    match way {
        ServerSignIn::Password => Some(PasswordMethod::Userpass),
        ServerSignIn::Directory => Some(PasswordMethod::Ldap),
        ServerSignIn::Token | ServerSignIn::Company => None,
    }
}

/// The choice, and the unlock screen's sentence, for a vault that signs in with the company
/// directory's account.
pub const DIRECTORY: &str = "Sign in with your company directory account";

/// The unlock screen's part for a vault that signs in with the company's login: the kept
/// sign-in, or what "Sign in with your company account" will do.
fn company_ui(ui: &mut egui::Ui, team: &mut TeamLock) {
    if team.needs_company_sign_in() {
        ui.label(
            "This team vault signs in with your company account: Keydesk opens your browser at your company's sign-in page, then unlocks with your master password.",
        );
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + 8.0);
            ui.checkbox(&mut team.remember, "Keep the sign-in in the OS keychain");
        });
    } else {
        ui.horizontal_wrapped(|ui| {
            ui.label(
                "Signed in to the server with your company account: the sign-in is kept in the OS keychain.",
            );
            if ui.small_button("Sign in again").clicked() {
                team.use_other = true;
            }
        });
    }
}

/// The unlock screen's part for a vault that signs in with the company directory's account:
/// its name and password there.
fn directory_ui(ui: &mut egui::Ui, team: &mut TeamLock) {
    ui.label(format!("{DIRECTORY}: its name and password, not the master password."));
    let name = team.sign_in_name.get_or_insert_with(String::new);
    field(ui, "Directory name", name);
    secret_field(ui, "team-server-password", "Directory password", &mut team.token);
    ui.horizontal(|ui| {
        ui.add_space(theme::LABEL_WIDTH + 8.0);
        ui.checkbox(&mut team.remember, "Keep the sign-in in the OS keychain");
    });
}

/// Where secrets of a vault on this computer will live.
fn backend_ui(ui: &mut egui::Ui, state: &mut CreateState) {
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
            ui.radio_value(&mut state.backend, SecretBackend::File, "Encrypted file in the vault folder");
        }
        Some(Err(why)) => {
            ui.label(
                "No OS keychain answered, so secrets will be kept encrypted in a file in the vault \
             folder (secrets.ron). To use the keychain instead, start GNOME Keyring or KeePassXC's \
             Secret Service, then restart Keydesk.",
            )
            .on_hover_text(why.to_string());
            state.backend = SecretBackend::File;
        }
    }
}

/// What is wrong with the first-run screen as typed, if anything.
fn check_create(state: &CreateState, weak: bool) -> Option<String> {
    let team = &state.team;
    if state.kind != VaultKind::Local {
        if team.addr.trim().is_empty() {
            return Some(
                "The server address is empty: type the address your team's admin gave you.".to_owned(),
            );
        }
        if team.path.trim().is_empty() || team.mount.trim().is_empty() {
            return Some(
                "The mount or the path is empty: type the ones your team's admin gave you.".to_owned(),
            );
        }
        if team.member.trim().is_empty() {
            return Some("Your name is empty: type the name your team knows you by.".to_owned());
        }
        if team.way == ServerSignIn::Password && team.login_password.is_empty() {
            return Some("The server password is empty: type your password on the team's server.".to_owned());
        }
        if team.way == ServerSignIn::Directory && team.login_password.is_empty() {
            return Some(
                "The directory password is empty: type your company directory account's password.".to_owned(),
            );
        }
        if team.way == ServerSignIn::Token && team.token.is_empty() {
            return Some("The server token is empty: paste the token your team's admin gave you.".to_owned());
        }
        if state.kind == VaultKind::Join && team.code.is_empty() {
            return Some(
                "The invitation code is empty: type the code your team's admin gave you.".to_owned(),
            );
        }
    }
    if state.password.expose().chars().count() < MIN_PASSWORD {
        Some(format!("The master password is shorter than {MIN_PASSWORD} characters: choose a longer one."))
    } else if state.password.expose() != state.confirm.expose() {
        Some("The two passwords differ: type the same password twice.".to_owned())
    } else if weak && !state.accept_weak {
        Some(
            "This password is easy to guess: choose a longer one, or tick \"Use this weak password anyway\"."
                .to_owned(),
        )
    } else {
        None
    }
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
            match &mut state.team {
                None => {
                    ui.label("Your keys stay encrypted until you type the master password.");
                }
                Some(team) => {
                    ui.label(format!("Team vault {}.", team.place));
                    if team.token_from_env {
                        ui.label("The server token comes from BAO_TOKEN or VAULT_TOKEN.");
                    } else if team.directory && (team.kept != Some(true) || team.use_other) {
                        directory_ui(ui, team);
                    } else if let Some(name) = &team.sign_in_name {
                        if team.kept == Some(true) && !team.use_other {
                            ui.horizontal_wrapped(|ui| {
                                ui.label(format!(
                                    "Signed in to the server as {name}: the sign-in is kept in the OS keychain."
                                ));
                                if ui.small_button("Sign in again").clicked() {
                                    team.use_other = true;
                                }
                            });
                        } else {
                            ui.label(format!(
                                "Sign in to the team's server as {name}: your password there, not the master password."
                            ));
                            secret_field(ui, "team-server-password", "Server password", &mut team.token);
                            ui.horizontal(|ui| {
                                ui.add_space(theme::LABEL_WIDTH + 8.0);
                                ui.checkbox(&mut team.remember, "Keep the sign-in in the OS keychain");
                            });
                        }
                    } else if team.company {
                        company_ui(ui, team);
                    } else if team.kept == Some(true) && !team.use_other {
                        ui.horizontal_wrapped(|ui| {
                            ui.label("The server token is kept in the OS keychain.");
                            if ui.small_button("Use another token").clicked() {
                                team.use_other = true;
                            }
                        });
                    } else {
                        secret_field(ui, "team-token", "Server token", &mut team.token);
                        ui.horizontal(|ui| {
                            ui.add_space(theme::LABEL_WIDTH + 8.0);
                            ui.checkbox(&mut team.remember, "Keep the token in the OS keychain");
                        });
                    }
                }
            }
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
            let company = state.team.as_ref().is_some_and(TeamLock::needs_company_sign_in);
            let action = if company { "Sign in with your company account" } else { "Unlock" };
            let clicked = ui.add_enabled(ready, egui::Button::new(action)).clicked();
            let stage = state.team.as_ref().and_then(|team| team.signing_in.as_ref());
            if waiting {
                command = waiting_ui(ui, stage);
            } else if state.submit_when_ready && retry_in.is_some() {
                ui.label("Your try is kept and made when the wait is over.");
            }
            let queued = std::mem::take(&mut state.submit_when_ready);
            if company && clicked && ready && state.password.is_empty() {
                state.failed(
                    "Type the master password first: the vault unlocks with it once you are signed in."
                        .to_owned(),
                );
            } else if company && (clicked || enter || queued) && ready && !state.password.is_empty() {
                state.error = None;
                let remember = state.team.as_ref().is_some_and(|t| t.remember);
                command = Some(Command::SignInWithCompany { password: state.password.take(), remember });
            } else if (clicked || enter || queued) && ready && !state.password.is_empty() {
                state.error = None;
                // The field is wiped as the password leaves it; a wrong one is typed again.
                // The token stays in its field until the vault opens (a wrong password is typed
                // again, not the token too); the field's buffer is zeroed when the screen goes.
                let token = state
                    .team
                    .as_ref()
                    .filter(|t| !t.token.is_empty())
                    .map(|t| SecretString::from(t.token.expose()));
                let remember_token = state.team.as_ref().is_some_and(|t| t.remember);
                command = Some(Command::Unlock { password: state.password.take(), token, remember_token });
            } else if queued {
                state.submit_when_ready = true;
            }
        });
    });
    command
}
