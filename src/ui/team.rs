//! What a team vault draws of its own around the screens both kinds share: where it is and who
//! you are, a banner when the token may only read or the server cannot be reached (the changing
//! buttons are disabled then), an invitation's code, the Members screen; and the team's view
//! of this computer's copy, which the screens draw.

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::screens::Shown;
use super::state::Screen;
use super::team_panels::members_ui;
use super::theme::{self, Badge};
use super::widgets::{badge_ui, secret_text_ui};
use crate::team::TeamKey;
use crate::team::members::Member;
use crate::vault::model::{Account, Incident};

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
    /// Whether the leak guard is on on this computer.
    pub leak_guard: bool,
    /// This member's password cost, as the server said it (a change starts from it).
    pub member_kdf: Option<crate::vault::crypto::KdfParams>,
}

/// An invitation's one-time code, shown once to the admin who made it.
pub struct ShownCode {
    /// The member invited.
    pub member: String,
    pub code: SecretString,
    /// The code laid out once for drawing.
    pub galley: Option<std::sync::Arc<egui::Galley>>,
}

/// What only a team vault is asked (its reads from the server, its members); the rest of
/// what its window asks is the same as a local vault's.
#[must_use]
pub enum TeamCommand {
    /// Read the incidents (the Incidents panel opened).
    LoadIncidents,
    /// Read the server again now (after it could not be reached).
    Retry,
    /// Read the members (the Members panel opened).
    LoadMembers,
    /// Read the team's audit trail, its chain checked (the Audit log panel opened).
    LoadAudit,
    Invite(String),
    RemoveMember(String),
    /// Read the provider accounts (the Accounts panel or the Add form opened).
    LoadAccounts,
    /// The admin has given the invitation code: it leaves the screen.
    DismissInvitation,
}

/// What the team's screens keep beside the screens themselves.
#[derive(Default)]
pub struct TeamScreenState {
    /// The entry's version when Edit was pressed on the key's page: Save is refused if
    /// another member changed the key since.
    pub edit_version: Option<u64>,
    /// What the key's page or Health asked of the server since it opened.
    pub(super) reads: super::team_page::Reads,
    pub invite_name: String,
    /// The member whose removal waits for "Remove NAME".
    pub removing: Option<String>,
}

impl TeamView<'_> {
    /// Why keys cannot be changed now: read-only, or busy with the last change (what the
    /// screens ask as `KeyBook::why_not_change`).
    pub(super) fn why_waits(&self) -> Option<&'static str> {
        why_read_only(self).or(self.busy.then_some(BUSY))
    }
}

/// Why a button waits while a job on the team vault runs.
pub(super) const BUSY: &str = "Keydesk is still busy with the last change to the team vault.";

/// A button that is off, saying why on hover, while `why_not` holds.
pub(super) fn change_button(ui: &mut egui::Ui, text: &str, why_not: Option<&str>) -> egui::Response {
    let button = ui.add_enabled(why_not.is_none(), egui::Button::new(text));
    match why_not {
        Some(why) => button.on_disabled_hover_text(why),
        None => button,
    }
}

/// Why the changing buttons are off, when they are.
pub(super) fn why_read_only(view: &TeamView<'_>) -> Option<&'static str> {
    if view.problem.is_some() || !view.keys_open {
        Some("The team vault's server must answer first: changes are recorded there.")
    } else if !view.writable {
        Some("This token may only read: ask your team's admin for one with the keydesk-editor policy.")
    } else {
        None
    }
}

/// What a team vault draws around the screens: where it is and who you are, an invitation's
/// code, why it is read-only; the time of the copy above the list, the reads a key's page and
/// Health ask for; its Members screen in place of the screens (`true`: drawn).
pub fn around_ui(
    ui: &mut egui::Ui,
    (view, state, invitation): (&TeamView<'_>, &mut TeamScreenState, Option<&mut ShownCode>),
    screens: &mut super::screens::Screens,
    asked: &mut Vec<super::app::Command>,
    now: DateTime<Utc>,
) -> bool {
    ui.heading("Team vault");
    // Where it is and who you are, under the title.
    let place = format!("{} · you are {}", view.place, view.member);
    ui.add(egui::Label::new(egui::RichText::new(&place).weak()).truncate());
    let mut command = None;
    if let Some(shown) = invitation {
        shown_code_ui(ui, view.place, shown, &mut command);
    }
    read_only_banner_ui(ui, view, &mut command);
    ui.add_space(theme::GAP / 2.0);
    let members = match &screens.screen {
        Screen::Members => {
            members_ui(ui, view, state, &mut command);
            true
        }
        Screen::Keys => {
            toolbar_ui(ui, view);
            false
        }
        Screen::Detail(id) => {
            super::team_page::page_read(view, state, screens, &id.clone(), now, &mut command);
            false
        }
        Screen::Health => {
            state.reads.next(view, true, &mut command);
            false
        }
        _ => false,
    };
    asked.extend(command.map(super::app::Command::Team));
    members
}

/// Escape gives up a member's removal waiting for "Remove NAME" (before it would go back to
/// the list).
pub fn escape_removal(ui: &mut egui::Ui, state: &mut TeamScreenState) {
    if state.removing.is_some() && ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape)) {
        state.removing = None;
    }
}

/// What the screens show of a team vault: this computer's copy of its keys, the accounts, the
/// incidents and the trail once read, and what Settings offers on it.
pub fn shown<'a>(view: &'a TeamView<'a>) -> Shown<'a> {
    Shown {
        book: view,
        accounts: view.accounts,
        incidents: view.incidents,
        audit: view.audit,
        weekly: None,
        settings: settings_of(view),
    }
}

/// An invitation's code, shown once, with how the member joins (`place`: where the team vault
/// is); Done lets it go.
pub(super) fn shown_code_ui(
    ui: &mut egui::Ui,
    place: &str,
    shown: &mut ShownCode,
    command: &mut Option<TeamCommand>,
) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        let member = &shown.member;
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

/// What the Settings screen offers on a team vault: this computer's appearance, auto-lock and
/// clipboard times, the daily reminder, the browsers; the member's password (with the team's
/// key, for an admin); its backup (the server's snapshot); import and export.
fn settings_of<'a>(view: &TeamView<'a>) -> super::settings::SettingsOf<'a> {
    let off = view.problem.is_some() || !view.keys_open || view.busy;
    super::settings::SettingsOf {
        kdf: view.member_kdf.unwrap_or_default(),
        browsers: view.browsers,
        guard: view.leak_guard,
        weekly: false,
        backup: crate::actions::Backup::ServerSnapshot,
        new_key_words: (
            "Also replace the team's key for every member (an admin's token)",
            "Every secret is sealed again under a new team key, as when a member is removed: for when your computer or password may have been exposed.",
        ),
        password_off: (off || view.member_kdf.is_none())
            .then_some("The team vault's server must answer first: your password's entry is kept there.")
            .or(view.busy.then_some(BUSY)),
        import_off: view.why_waits(),
        // An export reads and records: it waits for the server, not for write access.
        export_off: off.then_some("The team vault's server must answer first: an export is recorded there."),
    }
}

/// Why the vault is read-only now, when it is: the server's problem (with Try again), opened
/// offline, or a token that may only read.
pub(super) fn read_only_banner_ui(ui: &mut egui::Ui, view: &TeamView<'_>, command: &mut Option<TeamCommand>) {
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

/// When the copy was last checked with the server, above the list (whose search, sort and
/// rows are the local vault's; a key is added from the navigation's New key, as there).
pub(super) fn toolbar_ui(ui: &mut egui::Ui, view: &TeamView<'_>) {
    ui.horizontal(|ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let checked = format!("Checked with the server at {}", view.taken_at.format("%H:%M:%S UTC"));
            ui.add(egui::Label::new(egui::RichText::new(checked).weak()).truncate());
        });
    });
}
