//! Settings: auto-lock, clipboard clearing, KDF strength, change master password.

use super::app::Command;
use super::session;
use super::state::{FileTarget, SettingsState, TransferState};
use super::theme::{self, Badge, ThemeChoice};
use super::widgets::{badge_ui, error_ui, secret_field};
use crate::vault::MIN_PASSWORD;
use crate::vault::crypto::KdfParams;
use crate::vault::model::Settings;

fn number(ui: &mut egui::Ui, label: &str, value: &mut u32, range: std::ops::RangeInclusive<u32>, unit: &str) {
    ui.horizontal(|ui| {
        let name = super::widgets::form_label(ui, label);
        ui.add(egui::DragValue::new(value).range(range).suffix(unit)).labelled_by(name.id);
    });
}

/// A time picked from `choices` (in its unit), with the value the user has kept as a choice of
/// its own when it is not among them (a vault file edited by hand, an older Keydesk).
fn time_choice(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut u32,
    choices: &[u32],
    words: fn(u32) -> String,
    after: &str,
) {
    ui.horizontal(|ui| {
        let name = super::widgets::form_label(ui, label);
        let mut offered = choices.to_vec();
        if !offered.contains(value) {
            offered.push(*value);
            offered.sort_unstable();
        }
        egui::ComboBox::from_id_salt(label)
            .selected_text(words(*value))
            .show_ui(ui, |ui| {
                for choice in offered {
                    ui.selectable_value(value, choice, words(choice));
                }
            })
            .response
            .labelled_by(name.id);
        ui.label(after);
    });
}

/// Seconds as people say them: "45 s", "1 min", "1 min 30 s".
pub fn seconds_words(secs: u32) -> String {
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

/// Minutes as people say them: "15 min", "1 h", "1 h 30 min".
pub fn minutes_words(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// What the Settings screen offers for the vault open, drawn from what that vault can do (no
/// branch on its kind).
pub struct SettingsOf<'a> {
    /// The current password's cost: a change keeps all of it but the memory chosen here.
    pub kdf: KdfParams,
    /// The browsers allowed to ask for keys, and whether the leak guard is on.
    pub browsers: &'a [String],
    pub guard: bool,
    /// Whether the vault has a weekly check of every key (a team vault has none).
    pub weekly: bool,
    /// How the vault is backed up: a file here, or its server's snapshot (said in a sentence).
    pub backup: crate::actions::Backup,
    /// The words of the password form's "new data key" box: its text and its hover.
    pub new_key_words: (&'static str, &'static str),
    /// Why the password cannot be changed now (a team vault whose server does not answer).
    pub password_off: Option<&'a str>,
    /// Why keys cannot be imported now, or exported now (each recorded where the vault is).
    pub import_off: Option<&'a str>,
    pub export_off: Option<&'a str>,
}

impl<'a> SettingsOf<'a> {
    /// A local vault's: everything, backed up to a file.
    pub fn local(file: &'a crate::vault::model::VaultFile) -> Self {
        SettingsOf {
            kdf: file.header.kdf,
            browsers: &file.header.browsers,
            guard: file.header.leak_guard,
            weekly: true,
            backup: crate::actions::Backup::File,
            new_key_words: (
                "My old password may be known: re-encrypt every key",
                "Every secret is re-encrypted under a new data key, so the old password opens nothing current, not even an old copy of the vault. Takes a moment per key.",
            ),
            password_off: None,
            import_off: None,
            export_off: None,
        }
    }
}

/// The settings screen, as `of` says the vault open can have it.
pub fn settings_ui(ui: &mut egui::Ui, state: &mut SettingsState, of: &SettingsOf<'_>) -> Option<Command> {
    ui.heading("Settings");
    let mut command = preferences_ui(ui, state, of.weekly);
    ui.add_space(theme::GAP * 2.0);
    if let Some(asked) = reminder_ui(ui, state) {
        command = Some(asked);
    }
    ui.add_space(theme::GAP * 2.0);
    match allowed_browsers_ui(ui, of.browsers, of.guard) {
        Some(BrowserChoice::Stop(browser)) => command = Some(Command::StopBrowser(browser)),
        Some(BrowserChoice::Guard(on)) => command = Some(Command::LeakGuard(on)),
        None => {}
    }
    ui.add_space(theme::GAP * 2.0);
    ui.heading("Master password");
    let chosen =
        off_when(ui, of.password_off, |ui| password_change_ui(ui, &mut state.password, of.new_key_words));
    if let Some(chosen) = chosen {
        // Only the memory is chosen here; iterations and lanes stay as the vault has them.
        command = Some(Command::ChangePassword {
            current: chosen.current,
            new: chosen.new,
            kdf: KdfParams { memory_kib: chosen.memory_mib * 1024, ..of.kdf },
            new_data_key: chosen.new_data_key,
        });
    }
    ui.add_space(theme::GAP * 2.0);
    let command = match of.backup {
        crate::actions::Backup::File => backup_ui(ui, state).or(command),
        crate::actions::Backup::ServerSnapshot => {
            ui.heading("Backup");
            explain(ui, crate::actions::Backup::SNAPSHOT_SENTENCE);
            command
        }
    };
    ui.add_space(theme::GAP * 2.0);
    let import = off_when(ui, of.import_off, |ui| import_ui(ui, &mut state.transfer));
    let command = import.map(TransferAction::into_command).or(command);
    ui.add_space(theme::GAP * 2.0);
    let export = off_when(ui, of.export_off, |ui| export_ui(ui, &mut state.transfer));
    let command = export.map(TransferAction::into_command).or(command);
    super::files::restore_dialog_ui(ui.ctx(), &mut state.restore, &state.transfer.chooser_note).or(command)
}

/// A section drawn off, saying why on hover, while `why_not` holds.
fn off_when<T>(ui: &mut egui::Ui, why_not: Option<&str>, section: impl FnOnce(&mut egui::Ui) -> T) -> T {
    let drawn = ui.add_enabled_ui(why_not.is_none(), section);
    if let Some(why) = why_not {
        drawn.response.on_disabled_hover_text(why);
    }
    drawn.inner
}

/// The appearance, the auto-lock and clipboard times (and, where the vault has one, the
/// weekly check) with Save settings: the part of the Settings screen every vault has.
pub fn preferences_ui(ui: &mut egui::Ui, state: &mut SettingsState, weekly: bool) -> Option<Command> {
    let mut command = None;
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
    let lock = [1, 5, 15, 30, 60, 120, 240];
    time_choice(ui, "Lock after", &mut state.auto_lock_minutes, &lock, minutes_words, "idle");
    let clear = [10, 20, 30, 45, 60, 120, 300, 600];
    time_choice(
        ui,
        "Clear clipboard",
        &mut state.clipboard_clear_secs,
        &clear,
        seconds_words,
        "after a copy",
    );
    if weekly {
        ui.checkbox(&mut state.check_weekly, "Check every key weekly")
            .on_hover_text("While Keydesk is unlocked, every key is asked at its provider once a week, as \"Check every key\" does.");
    }
    if ui.button("Save settings").clicked() {
        let settings = Settings {
            auto_lock_minutes: state.auto_lock_minutes,
            clipboard_clear_secs: state.clipboard_clear_secs,
            check_weekly: state.check_weekly,
        };
        command = Some(session::Command::SaveSettings(settings).into());
    }
    error_ui(ui, &state.error);
    command
}

/// What the Browsers section was asked: stop allowing a browser, or turn the leak guard on
/// or off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowserChoice {
    Stop(String),
    Guard(bool),
}

/// The browsers allowed to ask for keys (program and profile folder, as the question named
/// them), each with a red "Stop allowing", and the leak guard's checkbox (`guard`: on now);
/// answers what was clicked.
pub fn allowed_browsers_ui(ui: &mut egui::Ui, browsers: &[String], guard: bool) -> Option<BrowserChoice> {
    ui.heading("Browsers");
    let mut on = guard;
    let switch = ui
        .checkbox(&mut on, "Warn me when I paste a key into a page that is not one of its integrations")
        .on_hover_text(
            "Off unless you turn it on. When on, the Keydesk extension sends Keydesk a pasted text only when it \
             looks like a key, with the page's address and nothing else of the page; Keydesk names the key beside \
             the field and records the warning in the audit log. The paste itself goes ahead.",
        );
    let choice = switch.changed().then_some(BrowserChoice::Guard(on));
    if browsers.is_empty() {
        explain(
            ui,
            "No browser may ask for keys. The first time the Keydesk extension asks, this window asks you.",
        );
        return choice;
    }
    explain(
        ui,
        "These may ask for keys on the pages of your integrations. Stopped, a browser's next request asks you again.",
    );
    let mut stopped = None;
    for browser in browsers {
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + 8.0);
            ui.add(egui::Label::new(browser.as_str()).wrap());
            let stop = super::widgets::destructive_button(ui, "Stop allowing");
            if ui.add(stop).on_hover_text(format!("Stop allowing {browser}")).clicked() {
                stopped = Some(BrowserChoice::Stop(browser.clone()));
            }
        });
    }
    stopped.or(choice)
}

/// The daily reminder's switch: systemd's user timer that runs `keydesk due --notify`.
fn reminder_ui(ui: &mut egui::Ui, state: &mut SettingsState) -> Option<Command> {
    use crate::reminder::ReminderState;
    let mut command = None;
    ui.heading("Daily reminder");
    if !state.reminder_asked {
        state.reminder_asked = true;
        command = Some(Command::ReadReminder);
    }
    let mut on = state.reminder == Some(ReminderState::On);
    let usable = matches!(state.reminder, Some(ReminderState::On | ReminderState::Off));
    let switch = ui.add_enabled(
        usable,
        egui::Checkbox::new(&mut on, "Remind me once a day of keys that are due (a desktop notification)"),
    );
    if switch.changed() {
        state.reminder_said = None;
        command = Some(Command::SwitchReminder(on));
    }
    match &state.reminder {
        None => explain(ui, "Asking systemd whether it is on…"),
        Some(ReminderState::NotInstalled) => explain(
            ui,
            "The daily reminder comes with Keydesk's package: its timer (keydesk-due.timer) is not installed on this computer.",
        ),
        Some(ReminderState::Unknown(why)) => {
            badge_ui(ui, why, Badge::Warn);
        }
        Some(ReminderState::On | ReminderState::Off) => explain(
            ui,
            "systemd's user timer keydesk-due.timer runs \"keydesk due --notify\" once a day: it reads only the key list, never your password, and says nothing when nothing is due.",
        ),
    }
    match &state.reminder_said {
        Some(Ok(said)) => explain(ui, said),
        Some(Err(why)) => error_ui(ui, &Some(why.to_string())),
        None => {}
    }
    command
}

/// An explanation under a heading, lined up with the fields and wrapped to the window.
fn explain(ui: &mut egui::Ui, text: &str) {
    ui.horizontal(|ui| {
        ui.add_space(theme::LABEL_WIDTH + 8.0);
        ui.add(egui::Label::new(text).wrap());
    });
}

/// What Import and Export ask for.
pub enum TransferAction {
    /// Read the file and show what importing it would do.
    Preview {
        path: std::path::PathBuf,
        format: Option<crate::import::Format>,
        /// Where the columns are (a `--columns` text), as the column picker chose.
        columns: Option<String>,
    },
    /// Import the previewed file's new rows.
    Import,
    /// Open the desktop's file chooser for the import's or the export's field.
    Choose(FileTarget),
    Export {
        path: std::path::PathBuf,
        options: crate::actions::transfer::ExportOptions,
    },
}

impl TransferAction {
    /// The local vault's command for it.
    pub(crate) fn into_command(self) -> Command {
        match self {
            TransferAction::Preview { path, format, columns } => {
                Command::PreviewImport { path, format, columns }
            }
            TransferAction::Import => Command::Import,
            TransferAction::Export { path, options } => Command::Export { path, options },
            TransferAction::Choose(target) => Command::Files(super::app::files::FilesCommand::Choose(target)),
        }
    }
}

/// The words that confirm writing secrets in plain text.
pub const EXPORT_WORDS: &str = "export secrets";

/// Export: the keys' details as CSV (which Import reads back) or JSON; their secrets only
/// after the words are typed in a dialog.
pub fn export_ui(ui: &mut egui::Ui, state: &mut TransferState) -> Option<TransferAction> {
    use crate::actions::transfer::{ExportFormat, ExportOptions};
    ui.heading("Export keys");
    explain(
        ui,
        "The keys' details as CSV (which Import reads back) or JSON, in a file readable by you alone; an existing file is never replaced.",
    );
    super::widgets::field_with(ui, "Export file", egui::TextEdit::singleline(&mut state.export_path));
    let mut command = super::files::choose_button_ui(ui, FileTarget::Export, &state.chooser_note)
        .then_some(TransferAction::Choose(FileTarget::Export));
    for (value, words) in [
        (&mut state.export_json, "JSON instead of CSV"),
        (&mut state.export_all, "Revoked keys too"),
        (&mut state.export_secrets, "Include the secrets (plain text)"),
    ] {
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + 8.0);
            ui.checkbox(value, words);
        });
    }
    error_ui(ui, &state.export_error);
    let path = state.export_path.trim().to_owned();
    let format = if state.export_json { ExportFormat::Json } else { ExportFormat::Csv };
    let options = ExportOptions { format, all: state.export_all, with_secrets: false };
    ui.horizontal(|ui| {
        ui.add_space(theme::LABEL_WIDTH + 8.0);
        if ui.button("Export").clicked() {
            if path.is_empty() {
                state.export_error =
                    Some("Give the export a file path, such as ~/Documents/keys.csv.".to_owned());
            } else if state.export_secrets {
                state.export_error = None;
                state.export_confirm = Some(String::new());
            } else {
                state.export_error = None;
                command = Some(TransferAction::Export { path: path.clone().into(), options });
            }
        }
    });
    if let Some(typed) = &mut state.export_confirm {
        let mut answer = None;
        egui::Modal::new(egui::Id::unique("export-secrets")).show(ui.ctx(), |ui| {
            ui.set_max_width(460.0);
            ui.heading("Write the secrets in plain text?");
            ui.label(format!(
                "Every live key's secret goes into {path} unencrypted: anyone who can read that file can use the keys. Import it where it is needed, then delete it."
            ));
            let prompt = ui.label(format!("Type \"{EXPORT_WORDS}\" to go on:"));
            ui.add(egui::TextEdit::singleline(typed)).labelled_by(prompt.id);
            ui.horizontal(|ui| {
                if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                    answer = Some(false);
                }
                let ready = typed.trim() == EXPORT_WORDS;
                if ui.add_enabled(ready, egui::Button::new("Export with secrets")).clicked() {
                    answer = Some(true);
                }
            });
        });
        match answer {
            Some(true) => {
                state.export_confirm = None;
                let options = ExportOptions { with_secrets: true, ..options };
                command = Some(TransferAction::Export { path: path.into(), options });
            }
            Some(false) => state.export_confirm = None,
            None => {}
        }
    }
    command
}

/// Import: a spreadsheet's CSV or another vault's export, previewed row by row before
/// anything is written.
pub fn import_ui(ui: &mut egui::Ui, state: &mut TransferState) -> Option<TransferAction> {
    use crate::import::Format;
    let mut command = None;
    ui.heading("Import keys");
    explain(
        ui,
        "From a spreadsheet saved as CSV or as an Excel workbook (columns label and key), or an export of KeePassXC, Bitwarden, LastPass or 1Password (CSV or .1pux). You see what each row becomes before anything is written.",
    );
    super::widgets::field_with(ui, "Import file", egui::TextEdit::singleline(&mut state.import_path));
    if super::files::choose_button_ui(ui, FileTarget::Import, &state.chooser_note) {
        command = Some(TransferAction::Choose(FileTarget::Import));
    }
    ui.horizontal(|ui| {
        let name = super::widgets::form_label(ui, "Format");
        let word = |format: Option<Format>| format.map_or("Tell from the file", Format::name);
        egui::ComboBox::from_id_salt("import-format")
            .selected_text(word(state.import_format))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut state.import_format, None, word(None));
                for format in Format::ALL {
                    ui.selectable_value(&mut state.import_format, Some(format), format.name());
                }
            })
            .response
            .labelled_by(name.id);
    });
    error_ui(ui, &state.import_error);
    ui.horizontal(|ui| {
        ui.add_space(theme::LABEL_WIDTH + 8.0);
        if ui.button("Preview import").clicked() {
            let path = state.import_path.trim();
            if path.is_empty() {
                state.import_error =
                    Some("Give the path of the file to import, such as ~/Downloads/keys.csv.".to_owned());
            } else {
                let format = state.import_format;
                command = Some(state.read_anew(path.into(), format));
            }
        }
    });
    if let Some(asked) = super::import_columns::picker_ui(ui, state) {
        command = Some(asked);
    }
    let Some(preview) = &state.import_preview else { return command };
    let new = preview.new_keys();
    let summary = ui.label(preview.summary());
    // A new preview is brought into view once.
    if std::mem::take(&mut state.import_scroll) {
        summary.scroll_to_me(Some(egui::Align::TOP));
    }
    // The rows in line order, by reference: only those in view are put into words below.
    let mut lines: Vec<(usize, &str, Said<'_>)> = preview
        .preview
        .iter()
        .map(|row| (row.line, row.label.as_str(), Said::Verdict(&row.verdict)))
        .chain(preview.problems.iter().map(|p| (p.line, p.label.as_str(), Said::Problem(&p.reason))))
        .collect();
    lines.sort_by_key(|(line, ..)| *line);
    // Only the rows in view are laid out: a file of 10,000 keys scrolls as one of ten.
    let cells = |ui: &mut egui::Ui, line: &str, label: &str, what: &str, kind: Option<Badge>| {
        ui.horizontal(|ui| {
            super::widgets::cell(ui, 64.0, |ui| ui.label(line));
            super::widgets::cell(ui, 240.0, |ui| ui.add(egui::Label::new(label).truncate()));
            match kind {
                Some(kind) => super::widgets::badge_ui(ui, what, kind),
                None => {
                    ui.strong(what);
                }
            }
        })
        .response
        .rect
        .height()
    };
    // Every row is as tall as the header row.
    let row_height = cells(ui, "Line", "Label", "What happens", None) + ui.spacing().item_spacing.y;
    // As tall as asked even near the bottom of the page (the page scrolls to it).
    egui::ScrollArea::vertical()
        .id_salt("import-preview")
        .max_height(260.0)
        .min_scrolled_height(260.0)
        .show_rows(ui, row_height, lines.len(), |ui, range| {
            for (line, label, said) in lines.get(range).unwrap_or_default() {
                let (what, kind) = match said {
                    Said::Verdict(verdict) => verdict_words(verdict),
                    Said::Problem(reason) => (format!("Skipped: {reason}"), Badge::Bad),
                };
                cells(ui, &line.to_string(), label, &what, Some(kind));
            }
        });
    ui.horizontal(|ui| {
        let import =
            ui.add_enabled(new > 0, egui::Button::new(format!("Import {}", crate::vault::count_keys(new))));
        if import.clicked() {
            command = Some(TransferAction::Import);
        }
        if ui.button("Discard preview").clicked() {
            state.import_preview = None;
        }
    });
    if new == 0 {
        ui.label("Nothing to import: every row is already in the vault or is skipped.");
    }
    command
}

/// What the preview says of a row: the vault's verdict, or why the file's row was unreadable.
enum Said<'a> {
    Verdict(&'a crate::vault::Verdict),
    Problem(&'a str),
}

/// What a row of the preview becomes, in words and colour.
fn verdict_words(verdict: &crate::vault::Verdict) -> (String, Badge) {
    use crate::vault::Verdict;
    match verdict {
        Verdict::New { provider, warning: None } => (format!("New, {}", provider.name()), Badge::Good),
        Verdict::New { provider, warning: Some(warning) } => {
            (format!("New, {} ({warning})", provider.name()), Badge::Warn)
        }
        Verdict::InVault { label } => (format!("Already in the vault as \"{label}\""), Badge::Muted),
        Verdict::Repeated { line } => (format!("The same key as line {line}"), Badge::Muted),
        Verdict::Refused { reason } => (format!("Skipped: {reason}"), Badge::Bad),
    }
}

/// Back up: one file with every key, the metadata and the audit log, encrypted under the
/// master password (asked again here, so an unattended window cannot write one).
fn backup_ui(ui: &mut egui::Ui, state: &mut SettingsState) -> Option<Command> {
    ui.heading("Backup");
    explain(
        ui,
        "One file with every key, its details and the audit log, encrypted under your master password. Restore it here with \"Restore from a backup…\" (or drop the file on this window), or with keydesk restore FILE.",
    );
    super::widgets::field_with(ui, "Backup file", egui::TextEdit::singleline(&mut state.backup_path));
    secret_field(ui, "backup-password", "Your master password", &mut state.backup_password);
    error_ui(ui, &state.backup_error);
    let (back_up, choose, restore) = ui
        .horizontal(|ui| {
            let back_up = ui.button("Back up").clicked();
            let choose = super::files::choose_button(ui, FileTarget::Backup);
            (back_up, choose, ui.button("Restore from a backup…").clicked())
        })
        .inner;
    super::files::chooser_note_ui(ui, FileTarget::Backup, &state.transfer.chooser_note);
    let files = |target| Some(Command::Files(super::app::files::FilesCommand::Choose(target)));
    if restore {
        return files(FileTarget::Restore);
    }
    if choose {
        return files(FileTarget::Backup);
    }
    if !back_up {
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

/// A password change the user asked for, checked.
pub struct ChosenPassword {
    pub current: secrecy::SecretString,
    pub new: secrecy::SecretString,
    /// Argon2id's memory for the new password, in MiB.
    pub memory_mib: u32,
    pub new_data_key: bool,
}

/// The password change's fields (current, new twice, its strength, its cost and the data key
/// box worded by `data_key`: its text and its hover), and its button. Answers the change when
/// the button was pressed and the fields hold; says what is wrong in the form otherwise.
pub fn password_change_ui(
    ui: &mut egui::Ui,
    form: &mut super::state::PasswordChange,
    data_key: (&str, &str),
) -> Option<ChosenPassword> {
    number(ui, "Password hardening", &mut form.kdf_memory_mib, 19..=1024, " MiB of memory");
    explain(
        ui,
        "More memory makes each guess at your password slower for an attacker, and unlocking slower for you.",
    );
    secret_field(ui, "current-password", "Current password", &mut form.current_password);
    secret_field(ui, "new-password", "New password", &mut form.new_password);
    secret_field(ui, "new-password-confirm", "Repeat password", &mut form.confirm);
    let shown = !form.new_password.is_empty();
    let weak = super::unlock::strength_ui(ui, form.new_password.expose(), shown);
    super::unlock::weak_override_ui(ui, weak, &mut form.accept_weak);
    ui.horizontal(|ui| {
        ui.add_space(theme::LABEL_WIDTH + 8.0);
        ui.checkbox(&mut form.new_data_key, data_key.0).on_hover_text(data_key.1);
    });
    error_ui(ui, &form.error);
    if !ui.button("Change password").clicked() {
        return None;
    }
    form.error = if form.current_password.is_empty() {
        Some("Type your current password first: it confirms the change is yours.".to_owned())
    } else if form.new_password.expose().chars().count() < MIN_PASSWORD {
        Some(format!("The new password is shorter than {MIN_PASSWORD} characters: choose a longer one."))
    } else if form.new_password.expose() != form.confirm.expose() {
        Some("The two passwords differ: type the same password twice.".to_owned())
    } else if weak && !form.accept_weak {
        Some(
            "This password is easy to guess: choose a longer one, or tick \"Use this weak password anyway\"."
                .to_owned(),
        )
    } else {
        None
    };
    if form.error.is_some() {
        return None;
    }
    form.confirm.wipe();
    Some(ChosenPassword {
        current: form.current_password.take(),
        new: form.new_password.take(),
        memory_mib: form.kdf_memory_mib,
        new_data_key: form.new_data_key,
    })
}

#[cfg(test)]
mod time_words {
    use super::{minutes_words, seconds_words};

    #[test]
    fn times_read_as_people_say_them() {
        assert_eq!(seconds_words(45), "45 s");
        assert_eq!(seconds_words(60), "1 min");
        assert_eq!(seconds_words(90), "1 min 30 s");
        assert_eq!(minutes_words(15), "15 min");
        assert_eq!(minutes_words(60), "1 h");
        assert_eq!(minutes_words(90), "1 h 30 min");
    }
}
