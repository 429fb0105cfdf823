//! The team vault's screen: its keys as this computer's copy has them (kept up to date by the
//! shell's poll), with Copy, Reveal, Add and Edit; a banner when the token may only read or
//! the server cannot be reached, and the changing buttons disabled then.

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::accounts::AccountAction;
use super::dashboard::{EmptyStart, natural_key};
use super::new_key::{account_picker, spec_ui, template_ui};
use super::session::Revealed;
use super::settings::TransferAction;
use super::state::NewMode;
use super::state::{AccountsState, TransferState};
use super::team_detail::DetailForm;
use super::team_incidents::IncidentsState;
use super::team_rotation::{ReplaceForm, RotationForm};
use super::theme::{self, Badge};
use super::widgets::{SecretInput, badge_ui, cell, error_ui, field, secret_field, secret_text_ui};
use crate::team::TeamKey;
use crate::team::members::Member;
use crate::vault::Moved;
use crate::vault::model::{Account, Incident, KeyId};

/// What the screen is given to draw.
pub struct TeamView<'a> {
    /// Oldest first, as the copy keeps them.
    pub keys: &'a [TeamKey],
    /// Where the team vault is ("secret/marketing on https://bao.example:8200").
    pub place: &'a str,
    pub member: &'a str,
    /// Whether the token may change keys.
    pub writable: bool,
    /// Why the vault is read-only now, when something went wrong with the server (one
    /// sentence, said in the banner).
    pub problem: Option<&'a str>,
    /// Whether the vault was opened without its data key (offline): nothing can be revealed.
    pub keys_open: bool,
    /// Changes each time the list of keys does.
    pub generation: u64,
    /// When the copy was last brought up to date.
    pub taken_at: DateTime<Utc>,
    /// A job on the vault runs: the changing buttons wait.
    pub busy: bool,
    /// The members, once read (the Members panel reads them when it opens).
    pub members: Option<&'a [Member]>,
    /// Whether the token may invite and remove members, once asked.
    pub admin: Option<bool>,
    /// The team's provider accounts, once read (the Accounts panel and the Add form read them).
    pub accounts: Option<&'a [Account]>,
    /// The incidents with their timelines, once read (the Incidents panel reads them).
    pub incidents: Option<&'a [Incident]>,
    /// The audit trail, once read (the Audit log panel reads it when it opens).
    pub audit: Option<&'a super::session::AuditCache>,
    /// The browsers allowed to ask this computer's Keydesk for the team's keys.
    pub browsers: &'a [String],
}

/// A secret shown once: an invitation's one-time code to the admin who made it, or a key made
/// at a provider that the team vault could not keep (nor the provider delete again).
pub struct ShownCode {
    /// The member invited; for a key not kept, `None`.
    pub member: Option<String>,
    pub code: SecretString,
    /// The code laid out once for drawing.
    pub galley: Option<std::sync::Arc<egui::Galley>>,
}

/// Something asked of the team vault.
#[must_use]
pub enum TeamCommand {
    Copy(KeyId),
    Reveal(KeyId),
    /// Ask the key's provider whether it still takes the key.
    Verify(KeyId),
    /// Ask the key's provider when it last saw the key used (`name`: its name there, typed).
    AskUsage {
        key: KeyId,
        name: Option<String>,
    },
    HideReveal,
    Add {
        label: String,
        notes: String,
        secret: SecretString,
        account: Option<String>,
    },
    /// Generate a Keydesk key.
    Generate {
        label: String,
        notes: String,
        spec: crate::vault::keygen::KeySpec,
    },
    /// Have the account's provider make a key (`scopes`: a template's name, or none).
    Create {
        label: String,
        notes: String,
        account: String,
        scopes: Vec<String>,
    },
    /// Change a key's details, if nobody changed it since `version`, the one the form was
    /// filled from.
    Edit {
        key: KeyId,
        version: u64,
        edit: crate::vault::KeyEdit,
    },
    /// Revoke a key (already revoked at the provider, when `at_provider`), after opening an
    /// incident about it when `found_where` says where it leaked.
    Revoke {
        key: KeyId,
        reason: String,
        at_provider: bool,
        found_where: Option<String>,
    },
    /// Read the incidents (the Incidents panel opened).
    LoadIncidents,
    CloseIncident {
        id: String,
        summary: String,
    },
    /// Start replacing a key with a new one made at the provider.
    Replace {
        key: KeyId,
        secret: SecretString,
    },
    /// Mark a step of moving an integration to the replacement of `old`.
    MarkRotation {
        old: KeyId,
        integration: String,
        step: Moved,
    },
    /// Revoke the old key (or, revoked first, close its rotation).
    CompleteRotation {
        old: KeyId,
        reason: Option<String>,
        at_provider: bool,
    },
    /// Revoke the replacement; the old key is active again.
    AbandonRotation {
        old: KeyId,
        reason: String,
        at_provider: bool,
    },
    /// Read the server again now (after it could not be reached).
    Retry,
    /// Read the members (the Members panel opened).
    LoadMembers,
    /// Read the team's audit trail, its chain checked (the Audit log panel opened).
    LoadAudit,
    Invite(String),
    RemoveMember(String),
    /// Change this member's password (and, with `new_data_key`, the team's key).
    ChangePassword(super::settings::ChosenPassword),
    /// Read the provider accounts (the Accounts panel or the Add form opened).
    LoadAccounts,
    /// Preview or run an import, or write an export.
    Transfer(TransferAction),
    /// Add, test or remove (asked first) a provider account.
    Account(AccountAction),
    /// The admin has given the invitation code: it leaves the screen.
    DismissInvitation,
    /// The Browsers panel's "Stop allowing": the browser no longer asks for keys.
    StopBrowser(String),
    Lock,
}

/// The screen's own state.
#[derive(Default)]
pub struct TeamScreenState {
    pub search: String,
    /// Indexes into the keys, filtered and sorted by label, for the search and copy they
    /// were made for.
    visible: Vec<usize>,
    visible_for: Option<(String, u64)>,
    pub adding: Option<AddForm>,
    /// The key whose details are open (its label was clicked).
    pub details: Option<DetailForm>,
    pub editing: Option<EditForm>,
    pub revoking: Option<RevokeForm>,
    pub replacing: Option<ReplaceForm>,
    /// The rotation panel of the key being replaced.
    pub rotation: Option<RotationForm>,
    /// Keys taking part in a rotation (the old one and its replacement), each to the old one:
    /// made again with `visible`.
    rotating: std::collections::HashMap<KeyId, KeyId>,
    /// The widest a row's buttons were drawn (the label column gives way to them).
    actions_width: f32,
    pub members_open: bool,
    pub browsers_open: bool,
    pub invite_name: String,
    /// The member whose removal waits for "Remove NAME".
    pub removing: Option<String>,
    /// This member's password change, while its form is open.
    pub password: Option<super::state::PasswordChange>,
    pub incidents_open: bool,
    pub incidents: IncidentsState,
    pub audit_open: bool,
    /// The Audit log panel's filters (the local vault's screen).
    pub audit: super::state::AuditState,
    pub transfer_open: bool,
    /// Import and Export, as typed (the local settings screen's forms).
    pub transfer: TransferState,
    pub accounts_open: bool,
    /// The Accounts panel's form and its tests' results.
    pub accounts: AccountsState,
    /// The account (id, name) whose removal waits for "Remove account".
    pub removing_account: Option<(String, String)>,
}

/// "Revoke…" on a key, as typed.
pub struct RevokeForm {
    pub key: KeyId,
    pub label: String,
    pub reason: String,
    pub at_provider: bool,
    /// Where the key was found, when it leaked: an incident is opened with it.
    pub found_where: String,
    pub error: Option<String>,
}

/// "Add key", as typed.
pub struct AddForm {
    /// Pasted (the default here: a team mostly shares providers' keys), generated, or made at
    /// the provider.
    pub mode: NewMode,
    pub label: String,
    pub notes: String,
    /// The provider account (id) the key belongs to.
    pub account: Option<String>,
    pub secret: SecretInput,
    /// A Keydesk key's prefix and length.
    pub prefix: String,
    pub length: usize,
    /// The scope template of a key made at the provider.
    pub template: Option<&'static str>,
    pub error: Option<String>,
    focused: bool,
}

impl Default for AddForm {
    fn default() -> Self {
        AddForm {
            mode: NewMode::Paste,
            label: String::new(),
            notes: String::new(),
            account: None,
            secret: SecretInput::default(),
            prefix: crate::vault::keygen::DEFAULT_PREFIX.to_owned(),
            length: crate::vault::keygen::DEFAULT_LENGTH,
            template: None,
            error: None,
            focused: false,
        }
    }
}

/// A key's details being edited, from its record at `version`.
pub struct EditForm {
    pub key: KeyId,
    pub version: u64,
    pub form: super::meta_form::MetaForm,
    pub error: Option<String>,
    focused: bool,
}

/// Why a button waits while a job on the team vault runs.
const BUSY: &str = "Keydesk is still busy with the last change to the team vault.";

/// A button that is off, saying why on hover, while `why_not` holds.
pub(super) fn change_button(ui: &mut egui::Ui, text: &str, why_not: Option<&str>) -> egui::Response {
    let button = ui.add_enabled(why_not.is_none(), egui::Button::new(text));
    match why_not {
        Some(why) => button.on_disabled_hover_text(why),
        None => button,
    }
}

/// A form in a frame: `title`, the fields `fields` draws, then its action and Cancel.
/// Answers whether each of the two was clicked.
pub(super) fn form_ui(
    ui: &mut egui::Ui,
    title: &str,
    action: &str,
    why_not: Option<&str>,
    fields: impl FnOnce(&mut egui::Ui),
) -> (bool, bool) {
    egui::Frame::group(ui.style())
        .show(ui, |ui| {
            ui.strong(title);
            fields(ui);
            ui.horizontal(|ui| (change_button(ui, action, why_not).clicked(), ui.button("Cancel").clicked()))
                .inner
        })
        .inner
}

/// A button that opens and closes a panel; answers whether it opened it now (to read what
/// the panel shows).
fn panel_button(ui: &mut egui::Ui, text: &str, open: &mut bool) -> bool {
    if ui.add(egui::Button::new(text).selected(*open)).clicked() {
        *open = !*open;
        *open
    } else {
        false
    }
}

/// Opens the Add form in `mode` (and has the accounts read for its account list).
fn start_adding(
    state: &mut TeamScreenState,
    view: &TeamView<'_>,
    mode: NewMode,
    command: &mut Option<TeamCommand>,
) {
    state.adding = Some(AddForm { mode, ..AddForm::default() });
    state.editing = None;
    if view.accounts.is_none() {
        *command = Some(TeamCommand::LoadAccounts);
    }
}

/// Why the changing buttons are off, when they are.
fn why_read_only(view: &TeamView<'_>) -> Option<&'static str> {
    if view.problem.is_some() || !view.keys_open {
        Some("The team vault's server must answer first: changes are recorded there.")
    } else if !view.writable {
        Some("This token may only read: ask your team's admin for one with the keydesk-editor policy.")
    } else {
        None
    }
}

/// The team vault's screen.
pub fn team_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    revealed: Option<&mut Revealed>,
    invitation: Option<&mut ShownCode>,
    now: DateTime<Utc>,
) -> Option<TeamCommand> {
    let mut command = None;
    // Ctrl+F goes to the search; Escape closes the open form (what was typed in it goes).
    let (find, escape) = ui.input_mut(|i| {
        let find = i.consume_shortcut(&egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::F));
        (find, i.key_pressed(egui::Key::Escape))
    });
    if escape {
        close_forms(state);
    }
    egui::CentralPanel::default().show(ui, |ui| {
        super::widgets::pane_bounds(ui);
        header_ui(ui, state, &mut command);
        // Where it is and who you are, under the title: the buttons keep the title's line.
        let place = format!("{} · you are {}", view.place, view.member);
        ui.add(egui::Label::new(egui::RichText::new(&place).weak()).truncate());
        if let Some(shown) = invitation {
            shown_code_ui(ui, view.place, shown, &mut command);
        }
        panels_ui(ui, view, state, &mut command);
        read_only_banner_ui(ui, view, &mut command);
        ui.add_space(theme::GAP / 2.0);
        toolbar_ui(ui, view, state, find, &mut command);
        forms_ui(ui, view, state, now, &mut command);
        refresh_visible(state, view);
        ui.separator();
        if view.keys.is_empty() {
            empty_ui(ui, view, state, &mut command);
            return;
        }
        ui.label(format!("{} of {} keys", state.visible.len(), view.keys.len()));
        if let Some(shown) = revealed {
            revealed_ui(ui, view, shown, now, &mut command);
        }
        keys_ui(ui, view, state, now, &mut command);
    });
    command
}

/// Escape: every open form closes, and what was typed in it goes.
fn close_forms(state: &mut TeamScreenState) {
    state.adding = None;
    state.editing = None;
    state.revoking = None;
    state.removing = None;
    state.removing_account = None;
    state.replacing = None;
    state.rotation = None;
    state.details = None;
    state.password = None;
}

/// The title line: the heading, then Lock and the buttons that open and close the panels (a
/// panel showing what the server holds has it read as it opens).
fn header_ui(ui: &mut egui::Ui, state: &mut TeamScreenState, command: &mut Option<TeamCommand>) {
    ui.horizontal(|ui| {
        ui.heading("Team vault");
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button("Lock").on_hover_text("Ctrl+L").clicked() {
                *command = Some(TeamCommand::Lock);
            }
            if panel_button(ui, "Audit log", &mut state.audit_open) {
                *command = Some(TeamCommand::LoadAudit);
            }
            if panel_button(ui, "Incidents", &mut state.incidents_open) {
                *command = Some(TeamCommand::LoadIncidents);
            }
            panel_button(ui, "Import / Export", &mut state.transfer_open);
            panel_button(ui, "Browsers", &mut state.browsers_open);
            if panel_button(ui, "Accounts", &mut state.accounts_open) {
                *command = Some(TeamCommand::LoadAccounts);
            }
            if panel_button(ui, "Members", &mut state.members_open) {
                *command = Some(TeamCommand::LoadMembers);
            }
        });
    });
}

/// A secret shown once: an invitation's code with how the member joins (`place`: where the
/// team vault is), or a key the team vault could not keep; Done lets it go.
fn shown_code_ui(ui: &mut egui::Ui, place: &str, shown: &mut ShownCode, command: &mut Option<TeamCommand>) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        let Some(member) = shown.member.clone() else {
            ui.strong("Not kept: save it elsewhere");
            ui.label(
                "The provider made this key but the team vault could not keep it, and it could not be deleted at the provider again. It is shown once: keep it, or delete it on the provider's page.",
            );
            secret_text_ui(ui, &shown.code, &mut shown.galley);
            if ui.button("Done").clicked() {
                *command = Some(TeamCommand::DismissInvitation);
            }
            return;
        };
        ui.strong(format!("Invitation for {member}"));
        ui.label(format!(
            "Give {member} this one-time code in person or by phone, not through the server or a chat that keeps it. It is shown once."
        ));
        secret_text_ui(ui, &shown.code, &mut shown.galley);
        ui.label(format!(
            "{member} chooses \"Join a team vault\" on Keydesk's first screen and types where it is ({place}), the name {member}, this code, and a password of their own."
        ));
        if ui.button("Done").clicked() {
            *command = Some(TeamCommand::DismissInvitation);
        }
    });
}

/// The panels the title line's buttons opened: Members, Accounts, Import / Export, Browsers,
/// Audit log and Incidents.
fn panels_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    command: &mut Option<TeamCommand>,
) {
    if state.members_open {
        members_ui(ui, view, state, command);
    }
    if state.accounts_open {
        team_accounts_ui(ui, view, state, command);
    }
    if state.transfer_open {
        transfer_ui(ui, view, state, command);
    }
    if state.browsers_open {
        let stopped = egui::Frame::group(ui.style())
            .show(ui, |ui| super::settings::allowed_browsers_ui(ui, view.browsers))
            .inner;
        if let Some(browser) = stopped {
            *command = Some(TeamCommand::StopBrowser(browser));
        }
    }
    if state.audit_open {
        audit_panel_ui(ui, view, state);
    }
    if state.incidents_open {
        let label_of = |id: &KeyId| {
            view.keys
                .iter()
                .find(|k| k.record.id == *id)
                .map_or_else(|| id.to_string(), |k| k.record.label.clone())
        };
        let why_not = why_read_only(view).or(view.busy.then_some(BUSY));
        let asked =
            super::team_incidents::incidents_ui(ui, view.incidents, &label_of, &mut state.incidents, why_not);
        if asked.is_some() {
            *command = asked;
        }
    }
}

/// Why the vault is read-only now, when it is: the server's problem (with Try again), opened
/// offline, or a token that may only read.
fn read_only_banner_ui(ui: &mut egui::Ui, view: &TeamView<'_>, command: &mut Option<TeamCommand>) {
    if let Some(problem) = view.problem {
        ui.horizontal_wrapped(|ui| {
            badge_ui(ui, problem, Badge::Warn);
            if ui.button("Try again").clicked() {
                *command = Some(TeamCommand::Retry);
            }
        });
    } else if !view.keys_open {
        badge_ui(
            ui,
            "Read-only: the vault was opened while its server could not be reached. Lock and unlock to reveal or change keys.",
            Badge::Warn,
        );
    } else if !view.writable {
        badge_ui(
            ui,
            "Read-only: this token may not change keys. Ask your team's admin for a token with the keydesk-editor policy.",
            Badge::Warn,
        );
    }
}

/// Add key, the search (`find`: Ctrl+F was pressed; Enter opens the first key found), and
/// when the copy was last checked with the server.
fn toolbar_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    find: bool,
    command: &mut Option<TeamCommand>,
) {
    ui.horizontal(|ui| {
        if change_button(ui, "Add key", why_read_only(view).or(view.busy.then_some(BUSY))).clicked() {
            start_adding(state, view, NewMode::Paste, command);
        }
        ui.add_space(theme::GAP);
        let name = ui.label("Search");
        let search = egui::TextEdit::singleline(&mut state.search)
            .hint_text("label, provider, notes")
            .desired_width(240.0);
        let search = ui.add(search).labelled_by(name.id);
        if find {
            search.request_focus();
        }
        // Enter in the search opens the first key found, as on a local vault's list.
        let first = state.visible.first().and_then(|&at| view.keys.get(at));
        if search.lost_focus()
            && ui.input(|i| i.key_pressed(egui::Key::Enter))
            && let Some(key) = first
        {
            state.details = Some(DetailForm { key: key.record.id.clone(), usage_name: String::new() });
            if view.accounts.is_none() && key.record.account.is_some() {
                *command = Some(TeamCommand::LoadAccounts);
            }
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let checked = format!("Checked with the server at {}", view.taken_at.format("%H:%M:%S UTC"));
            ui.add(egui::Label::new(egui::RichText::new(checked).weak()).truncate());
        });
    });
}

/// The open forms over the list: Add, Edit, Revoke, Replace, the rotation and the key's
/// details.
fn forms_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    now: DateTime<Utc>,
    command: &mut Option<TeamCommand>,
) {
    // A form's buttons wait while a job runs; the changing ones also when read-only.
    let why_not = why_read_only(view).or(view.busy.then_some(BUSY));
    add_form_ui(ui, view, state, why_not, command);
    edit_form_ui(ui, view, state, why_not, command);
    revoke_form_ui(ui, state, why_not, command);
    if let Some(form) = &mut state.replacing {
        let (asked, close) = super::team_rotation::replace_ui(ui, form, why_not);
        if asked.is_some() {
            *command = asked;
        }
        if close {
            state.replacing = None;
        }
    }
    if let Some(form) = &mut state.rotation {
        let (asked, close) = super::team_rotation::rotation_ui(ui, view.keys, form, why_not, now);
        if asked.is_some() {
            *command = asked;
        }
        if close {
            state.rotation = None;
        }
    }
    details_ui(ui, view, state, now, command);
}

/// The Add form, when open: a key pasted, made at the provider or generated, checked before
/// it is asked for.
fn add_form_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    why_not: Option<&str>,
    command: &mut Option<TeamCommand>,
) {
    let Some(form) = &mut state.adding else { return };
    let action = match form.mode {
        NewMode::Paste => "Add to team vault",
        NewMode::Generate => "Generate",
        NewMode::AtProvider => "Create at provider",
    };
    let (add, cancel) = form_ui(ui, "Add a key to the team vault", action, why_not, |ui| {
        ui.horizontal(|ui| {
            ui.selectable_value(&mut form.mode, NewMode::Paste, "Paste a provider's key");
            ui.selectable_value(&mut form.mode, NewMode::AtProvider, "Create at the provider");
            ui.selectable_value(&mut form.mode, NewMode::Generate, "Generate a Keydesk key");
        });
        let label = field(ui, "Label", &mut form.label);
        if !std::mem::replace(&mut form.focused, true) {
            label.request_focus();
        }
        let accounts = view.accounts.unwrap_or_default();
        match form.mode {
            NewMode::Paste => {
                secret_field(ui, "team-paste-key", "Key", &mut form.secret);
                account_picker(ui, accounts, &mut form.account, false);
            }
            NewMode::AtProvider => {
                account_picker(ui, accounts, &mut form.account, true);
                let account = form.account.as_deref().and_then(|id| accounts.iter().find(|a| a.id == id));
                if let Some(account) = account {
                    template_ui(ui, account.provider, &mut form.template);
                }
            }
            NewMode::Generate => spec_ui(ui, &mut form.prefix, &mut form.length),
        }
        field(ui, "Notes", &mut form.notes);
        error_ui(ui, &form.error);
    });
    if add {
        form.secret.trim();
        let (label, notes) = (form.label.trim().to_owned(), form.notes.trim().to_owned());
        let creating = form.account.as_deref().and_then(|id| view.accounts?.iter().find(|a| a.id == id));
        let creating = creating.filter(|a| a.provider.info().api_create && a.has_management_key);
        if label.is_empty() {
            form.error = Some("The label is empty: name the key after what uses it.".to_owned());
        } else {
            form.error = None;
            match form.mode {
                NewMode::Paste if form.secret.is_empty() => {
                    form.error = Some("The key is empty: paste the key the provider gave you.".to_owned());
                }
                NewMode::Paste => {
                    let secret = form.secret.take();
                    *command = Some(TeamCommand::Add { label, notes, secret, account: form.account.clone() });
                }
                NewMode::AtProvider => match creating {
                    Some(account) => {
                        let scopes = form.template.map(|t| vec![t.to_owned()]).unwrap_or_default();
                        *command =
                            Some(TeamCommand::Create { label, notes, account: account.id.clone(), scopes });
                    }
                    None => form.error = Some("Choose the account to create the key in.".to_owned()),
                },
                NewMode::Generate => {
                    let spec =
                        crate::vault::keygen::KeySpec { prefix: form.prefix.clone(), length: form.length };
                    match crate::vault::keygen::validate(&spec) {
                        Ok(()) => *command = Some(TeamCommand::Generate { label, notes, spec }),
                        Err(error) => form.error = Some(error.to_string()),
                    }
                }
            }
        }
    }
    if cancel {
        state.adding = None;
    }
}

/// The Edit form, when open: Save asks for the change against the version it was filled from.
fn edit_form_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    why_not: Option<&str>,
    command: &mut Option<TeamCommand>,
) {
    let Some(form) = &mut state.editing else { return };
    let (save, cancel) = form_ui(ui, "Edit the key", "Save", why_not, |ui| {
        let label = super::meta_form::details_ui(ui, &mut form.form);
        if !std::mem::replace(&mut form.focused, true) {
            label.request_focus();
        }
        super::widgets::error_ui(ui, &form.error);
    });
    let read = view.keys.iter().find(|k| k.record.id == form.key);
    if save && let Some(read) = read {
        match form.form.edit_of(&read.record) {
            Ok(edit) => {
                form.error = None;
                *command = Some(TeamCommand::Edit { key: form.key.clone(), version: form.version, edit });
            }
            Err(error) => form.error = Some(error),
        }
    }
    if cancel {
        state.editing = None;
    }
}

/// The Revoke form, when open: a reason is asked for; where the key leaked opens an incident.
fn revoke_form_ui(
    ui: &mut egui::Ui,
    state: &mut TeamScreenState,
    why_not: Option<&str>,
    command: &mut Option<TeamCommand>,
) {
    let Some(form) = &mut state.revoking else { return };
    let title = format!("Revoke \"{}\"", form.label);
    let (revoke, cancel) = form_ui(ui, &title, "Revoke key", why_not, |ui| {
        ui.label(
            "Revoke the key on the provider's page first, then tick the box: Keydesk checks that the \
             provider refuses the old key. Unticked, the key is revoked in Keydesk only. Either way its \
             secret leaves the server for every member.",
        );
        field(ui, "Reason", &mut form.reason);
        super::widgets::field_with(
            ui,
            "Found in",
            egui::TextEdit::singleline(&mut form.found_where)
                .hint_text("where it leaked, if it did: opens an incident"),
        );
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + 8.0);
            ui.checkbox(&mut form.at_provider, "I revoked it on the provider's page");
        });
        error_ui(ui, &form.error);
    });
    if revoke {
        if form.reason.trim().is_empty() {
            form.error =
                Some("The reason is empty: say why the key is revoked (it is kept with the key).".to_owned());
        } else {
            let found_where = form.found_where.trim();
            *command = Some(TeamCommand::Revoke {
                key: form.key.clone(),
                reason: form.reason.trim().to_owned(),
                at_provider: form.at_provider,
                found_where: (!found_where.is_empty()).then(|| found_where.to_owned()),
            });
        }
    }
    if cancel {
        state.revoking = None;
    }
}

/// The open key's details, with the questions asked of its provider and the fills of it; they
/// close when another member removed the key meanwhile.
fn details_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    now: DateTime<Utc>,
    command: &mut Option<TeamCommand>,
) {
    let Some(form) = &mut state.details else { return };
    let asking = if !view.keys_open || view.problem.is_some() {
        Some("The team vault's server must answer: each question's answer is recorded there.")
    } else {
        view.busy.then_some(BUSY)
    };
    match view.keys.iter().find(|k| k.record.id == form.key) {
        Some(key) => {
            let (asked, close) = super::team_detail::detail_ui(
                ui,
                (&key.record, &key.changed_by),
                view.accounts,
                form,
                asking,
                now,
            );
            if asked.is_some() {
                *command = asked;
            }
            if super::fills::team_fills_ui(ui, view.audit, &key.record.id) {
                *command = Some(TeamCommand::LoadAudit);
            }
            if close {
                state.details = None;
            }
        }
        // Removed by another member meanwhile.
        None => state.details = None,
    }
}

/// A team vault without keys: how to start (add an account, paste or generate a key).
fn empty_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    command: &mut Option<TeamCommand>,
) {
    let why_not = why_read_only(view).or(view.busy.then_some(BUSY));
    let intro = "Keys added here are shared with every member of the team vault: add the account you make keys in, or bring in a key you already have.";
    match super::dashboard::empty_vault_ui(ui, intro, why_not) {
        Some(EmptyStart::Paste) => start_adding(state, view, NewMode::Paste, command),
        Some(EmptyStart::Generate) => start_adding(state, view, NewMode::Generate, command),
        Some(EmptyStart::Account) => {
            state.accounts_open = true;
            *command = Some(TeamCommand::LoadAccounts);
        }
        None => {}
    }
}

/// The key revealed, while it shows: its secret, when it hides, and Hide.
fn revealed_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    shown: &mut Revealed,
    now: DateTime<Utc>,
    command: &mut Option<TeamCommand>,
) {
    let Some(key) = view.keys.iter().find(|k| k.record.id == shown.key_id) else { return };
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.strong(&key.record.label);
            secret_text_ui(ui, &shown.secret, &mut shown.galley);
            ui.label(format!("hides in {} s", (shown.until - now).num_seconds().max(0)));
            if ui.button("Hide").clicked() {
                *command = Some(TeamCommand::HideReveal);
            }
        });
    });
}

/// The widths of the list's columns in this frame, and which ones the window is too narrow
/// for.
#[derive(Clone, Copy)]
struct Columns {
    label: f32,
    provider: f32,
    status: f32,
    by: f32,
    /// No "changed by" column.
    narrow: bool,
    /// No provider column either: its mark starts the label.
    tight: bool,
}

/// The list of keys found: its headings, then a row for each key.
fn keys_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    now: DateTime<Utc>,
    command: &mut Option<TeamCommand>,
) {
    let heading = |text: &str| egui::RichText::new(text).small().strong();
    let spacing = ui.spacing().item_spacing.x;
    // The buttons take what they took in the last frame; a narrow window drops "changed
    // by" before the label gets too short to read.
    let actions = state.actions_width.max(300.0);
    let narrow = ui.available_width() < 900.0;
    // Narrower still, the provider is its mark at the start of the label.
    let tight = ui.available_width() < 820.0;
    let (provider, status, by) = match (tight, narrow) {
        (true, _) => (0.0, 120.0, 0.0),
        (false, true) => (110.0, 120.0, 0.0),
        (false, false) => (120.0, 130.0, 90.0),
    };
    let columns = if narrow { 4.0 } else { 5.0 } - if tight { 1.0 } else { 0.0 };
    let label = (ui.available_width() - provider - status - by - actions - columns * spacing).max(100.0);
    let columns = Columns { label, provider, status, by, narrow, tight };
    ui.horizontal(|ui| {
        cell(ui, label, |ui| ui.label(heading("LABEL")));
        if !tight {
            cell(ui, provider, |ui| ui.label(heading("PROVIDER")));
        }
        cell(ui, status, |ui| ui.label(heading("STATUS")));
        if !narrow {
            cell(ui, by, |ui| ui.label(heading("CHANGED BY")));
        }
    });
    egui::ScrollArea::vertical().auto_shrink(false).show_rows(
        ui,
        theme::ROW_HEIGHT,
        state.visible.len(),
        |ui, range| {
            for row in range {
                let Some(key) = state.visible.get(row).and_then(|&at| view.keys.get(at)) else { continue };
                key_row_ui(ui, view, state, key, columns, now, command);
            }
        },
    );
}

/// A key's row: its label (a click opens its details), provider, status (hover: when it was
/// last checked), who changed it last, then its buttons.
fn key_row_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    key: &TeamKey,
    columns: Columns,
    now: DateTime<Utc>,
    command: &mut Option<TeamCommand>,
) {
    let record = &key.record;
    ui.horizontal(|ui| {
        cell(ui, columns.label, |ui| {
            if columns.tight {
                super::widgets::provider_mark_ui(ui, record.provider);
            }
            let name = egui::Label::new(egui::RichText::new(&record.label).strong())
                .truncate()
                .sense(egui::Sense::click());
            let name = ui.add(name).on_hover_cursor(egui::CursorIcon::PointingHand);
            let hover = if record.notes.is_empty() { "Open the key's details" } else { &record.notes };
            if name.on_hover_text(hover).clicked() {
                state.details = Some(DetailForm { key: record.id.clone(), usage_name: String::new() });
                if view.accounts.is_none() && record.account.is_some() {
                    *command = Some(TeamCommand::LoadAccounts);
                }
            }
        });
        if !columns.tight {
            cell(ui, columns.provider, |ui| {
                super::widgets::provider_mark_ui(ui, record.provider);
                ui.label(record.provider.name());
            });
        }
        cell(ui, columns.status, |ui| {
            let found = super::dashboard::status_of(record, &record.attention(now));
            let (word, badge) = found.word(record.provider.name());
            let colour = theme::badge(ui.visuals().dark_mode, badge);
            let shown = ui.add(egui::Label::new(egui::RichText::new(word).color(colour).strong()).truncate());
            if let Some(checked) = &record.last_verified {
                shown.on_hover_text(format!(
                    "{} (checked {})",
                    checked.outcome.sentence(),
                    checked.at.format("%Y-%m-%d %H:%M UTC")
                ));
            }
        });
        if !columns.narrow {
            cell(ui, columns.by, |ui| {
                ui.add(egui::Label::new(key.changed_by.as_str()).truncate());
            });
        }
        let drawn = ui.horizontal(|ui| key_actions_ui(ui, view, state, key, command));
        state.actions_width = state.actions_width.max(drawn.response.rect.width());
    });
}

/// A key's buttons: Copy, Reveal and Verify (the server must answer: each is recorded there),
/// then Edit, the rotation or Replace, and Revoke (these open their forms).
fn key_actions_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    key: &TeamKey,
    command: &mut Option<TeamCommand>,
) {
    let record = &key.record;
    let open = view.keys_open && view.problem.is_none() && !view.busy;
    let why = "The team vault's server must answer: each copy and reveal is recorded there.";
    let copy = ui.add_enabled(open && record.is_live(), egui::Button::new("Copy"));
    if copy.on_disabled_hover_text(why).clicked() {
        *command = Some(TeamCommand::Copy(record.id.clone()));
    }
    let reveal = ui.add_enabled(open && record.is_live(), egui::Button::new("Reveal"));
    if reveal.on_disabled_hover_text(why).clicked() {
        *command = Some(TeamCommand::Reveal(record.id.clone()));
    }
    let verify = ui.add_enabled(open && record.is_live(), egui::Button::new("Verify"));
    let verify =
        verify.on_hover_text(format!("Ask {} whether it still takes this key", record.provider.name()));
    if verify.on_disabled_hover_text(why).clicked() {
        *command = Some(TeamCommand::Verify(record.id.clone()));
    }
    let why_not = why_read_only(view).or(view.busy.then_some(BUSY));
    if change_button(ui, "Edit", why_not).clicked() {
        state.editing = Some(EditForm {
            key: record.id.clone(),
            version: key.version,
            form: super::meta_form::MetaForm::from_record(record),
            error: None,
            focused: false,
        });
        state.adding = None;
        state.revoking = None;
    }
    match state.rotating.get(&record.id) {
        Some(old) => {
            let show = ui.button("Rotation…").on_hover_text("Move the integrations, then complete");
            if show.clicked() {
                state.rotation = Some(RotationForm {
                    old: old.clone(),
                    reason: String::new(),
                    at_provider: false,
                    error: None,
                });
            }
        }
        // A revoked key is replaced too (after a leak: revoke first).
        None if record.replaced_by.is_none() => {
            let replace = change_button(ui, "Replace…", why_not)
                .on_hover_text("Rotate: a new key made at the provider takes this one's place");
            if replace.clicked() {
                state.replacing = Some(ReplaceForm {
                    key: record.id.clone(),
                    label: record.label.clone(),
                    provider: record.provider.name(),
                    secret: SecretInput::default(),
                    error: None,
                });
                state.adding = None;
                state.editing = None;
                state.revoking = None;
            }
        }
        None => {}
    }
    if record.is_live() && change_button(ui, "Revoke…", why_not).clicked() {
        state.revoking = Some(RevokeForm {
            key: record.id.clone(),
            label: record.label.clone(),
            reason: String::new(),
            at_provider: false,
            found_where: String::new(),
            error: None,
        });
        state.adding = None;
        state.editing = None;
    }
}

/// The Members panel: who is in the team vault; an admin invites and removes from here.
fn members_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    command: &mut Option<TeamCommand>,
) {
    let admin = view.admin == Some(true);
    let why_not = why_read_only(view).or(view.busy.then_some(BUSY));
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.strong("Members of the team vault");
        let Some(members) = view.members else {
            ui.horizontal(|ui| {
                super::widgets::spinner(ui);
                ui.label("Reading the members…");
            });
            return;
        };
        for member in members {
            ui.horizontal(|ui| {
                ui.label(&member.name);
                if member.name == view.member {
                    ui.label(egui::RichText::new("you").weak());
                    let why_not = (view.problem.is_some() || !view.keys_open)
                        .then_some("The team vault's server must answer first: your copy of the team's key is kept there.")
                        .or(view.busy.then_some(BUSY));
                    if change_button(ui, "Change password…", why_not).clicked() {
                        state.password = match state.password {
                            Some(_) => None,
                            None => Some(super::state::PasswordChange::new(member.kdf)),
                        };
                    }
                }
                if member.invited {
                    ui.label(egui::RichText::new("invited, not joined yet").weak());
                }
                if !admin || member.name == view.member {
                    return;
                }
                if state.removing.as_deref() == Some(member.name.as_str()) {
                    ui.label(format!(
                        "Their copy goes, the team's key is replaced and every secret sealed again under it. Revoke {}'s server token too.",
                        member.name
                    ));
                    if change_button(ui, &format!("Remove {}", member.name), why_not).clicked() {
                        *command = Some(TeamCommand::RemoveMember(member.name.clone()));
                        state.removing = None;
                    }
                    if ui.button("Cancel").clicked() {
                        state.removing = None;
                    }
                } else if change_button(ui, "Remove…", why_not).on_hover_text(format!("Remove {}", member.name)).clicked() {
                    state.removing = Some(member.name.clone());
                }
            });
        }
        if let Some(form) = &mut state.password {
            ui.separator();
            ui.strong("Your password for the team vault");
            let words = (
                "Also replace the team's key for every member (an admin's token)",
                "Every secret is sealed again under a new team key, as when a member is removed: for when your computer or password may have been exposed.",
            );
            if let Some(chosen) = super::settings::password_change_ui(ui, form, words) {
                *command = Some(TeamCommand::ChangePassword(chosen));
            }
        }
        match view.admin {
            Some(true) => {
                ui.horizontal(|ui| {
                    let name = ui.label("New member's name");
                    ui.add(egui::TextEdit::singleline(&mut state.invite_name).hint_text("their name").desired_width(200.0))
                        .labelled_by(name.id);
                    if change_button(ui, "Invite", why_not).clicked() && !state.invite_name.trim().is_empty() {
                        *command = Some(TeamCommand::Invite(state.invite_name.trim().to_owned()));
                        state.invite_name.clear();
                    }
                });
            }
            Some(false) => {
                ui.label(
                    egui::RichText::new("Only a token with the keydesk-admin policy invites and removes members.").weak(),
                );
            }
            None => {}
        }
    });
}

/// The Accounts panel: the team's provider accounts, as a local vault's API settings show
/// them; an editor adds one, an admin removes one (asked first).
fn team_accounts_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    command: &mut Option<TeamCommand>,
) {
    let why_not = why_read_only(view).or(view.busy.then_some(BUSY));
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.strong("Provider accounts of the team vault");
        ui.label(
            "Where the team's keys are checked and revoked. A management key is sealed with the team's key, as the keys are.",
        );
        let Some(accounts) = view.accounts else {
            ui.horizontal(|ui| {
                super::widgets::spinner(ui);
                ui.label("Reading the accounts…");
            });
            return;
        };
        if let Some((id, name)) = state.removing_account.clone() {
            ui.horizontal_wrapped(|ui| {
                ui.label(format!(
                    "Remove the account \"{name}\"? Its history goes from the server with it (a token with the keydesk-admin policy may)."
                ));
                if change_button(ui, "Remove account", why_not).clicked() {
                    *command = Some(TeamCommand::Account(AccountAction::Remove { id, name }));
                    state.removing_account = None;
                }
                if ui.button("Cancel").clicked() {
                    state.removing_account = None;
                }
            });
        }
        match super::accounts::accounts_body(ui, accounts, &mut state.accounts, why_not) {
            Some(AccountAction::Remove { id, name }) => state.removing_account = Some((id, name)),
            Some(action) => *command = Some(TeamCommand::Account(action)),
            None => {}
        }
    });
}

/// The Import / Export panel: the local settings screen's two forms, on the team vault (each
/// imported key added for every member; an export recorded in the team's trail).
fn transfer_ui(
    ui: &mut egui::Ui,
    view: &TeamView<'_>,
    state: &mut TeamScreenState,
    command: &mut Option<TeamCommand>,
) {
    let why_not = why_read_only(view).or(view.busy.then_some(BUSY));
    egui::Frame::group(ui.style()).show(ui, |ui| {
        egui::ScrollArea::vertical().id_salt("team-transfer").max_height(420.0).show(ui, |ui| {
            let import = ui
                .add_enabled_ui(why_not.is_none(), |ui| super::settings::import_ui(ui, &mut state.transfer));
            if let Some(why) = why_not {
                import.response.on_disabled_hover_text(why);
            }
            // An export reads and records: it waits for the server, not for write access.
            let open = view.keys_open && view.problem.is_none() && !view.busy;
            let export = ui.add_enabled_ui(open, |ui| super::settings::export_ui(ui, &mut state.transfer));
            let asked = import.inner.or(export.inner);
            if asked.is_some() {
                *command = asked.map(TeamCommand::Transfer);
            }
        });
    });
}

/// The keys the search finds, by label (natural order), made again only when the search or
/// the copy changed.
fn refresh_visible(state: &mut TeamScreenState, view: &TeamView<'_>) {
    let wanted = (state.search.clone(), view.generation);
    if state.visible_for.as_ref() == Some(&wanted) {
        return;
    }
    let words: Vec<String> = state.search.split_whitespace().map(str::to_lowercase).collect();
    let mut visible: Vec<usize> = (0..view.keys.len())
        .filter(|&at| words.is_empty() || super::dashboard::found_in(&view.keys[at].record, &words))
        .collect();
    visible.sort_by_cached_key(|&at| natural_key(&view.keys[at].record.label));
    state.visible = visible;
    state.rotating = view
        .keys
        .iter()
        .filter(|key| key.record.rotation.is_some())
        .flat_map(|key| {
            let old = key.record.id.clone();
            let new = key.record.replaced_by.clone();
            std::iter::once((old.clone(), old.clone())).chain(new.map(|new| (new, old)))
        })
        .collect();
    state.visible_for = Some(wanted);
}

/// The Audit log panel: the local vault's audit screen over the team's trail, in a frame of
/// its own height; a key's label opens its details.
fn audit_panel_ui(ui: &mut egui::Ui, view: &TeamView<'_>, state: &mut TeamScreenState) {
    let label_of = |id: &str| {
        view.keys
            .iter()
            .find(|k| k.record.id.as_str() == id)
            .map_or_else(|| id.to_owned(), |k| k.record.label.clone())
    };
    let width = ui.available_width();
    let asked = egui::Frame::group(ui.style())
        .show(ui, |ui| {
            ui.allocate_ui(egui::vec2(width, 320.0), |ui| {
                super::audit_log::audit_ui(ui, &label_of, view.audit, &mut state.audit)
            })
            .inner
        })
        .inner;
    if let Some(super::session::Command::OpenKey(key)) = asked {
        state.details = Some(DetailForm { key, usage_name: String::new() });
    }
}
