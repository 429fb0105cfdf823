//! Files as on a desktop, the shell's side: the desktop's file chooser asked in a job (see
//! [`super::file_chooser`]), a file dropped on the window read in a job and told apart by its
//! content (a Keydesk backup starts the restore's dialog, a file Keydesk imports its preview),
//! and the restore itself, run by `actions::restore` as `keydesk restore` runs it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use secrecy::SecretString;

use super::file_chooser::{self, ChooserError, FileRequest, Verb};
use super::{Command, Done, KeydeskApp, Phase, StoreFactory};
use crate::actions::restore::{self, RestoreError};
use crate::storage::disk::{Limited, read_limited};
use crate::storage::expand_home;
use crate::ui::jobs::Records;
use crate::ui::state::{FileTarget, RestoreForm, Screen, SettingsState};
use crate::vault::backup::MAX_BACKUP_BYTES;
use crate::vault::{Clock, Vault};

/// What the user asked of files.
pub enum FilesCommand {
    /// Open the desktop's file chooser for a path field.
    Choose(FileTarget),
    /// Replace this vault with the backup at `path` (opened with `password`), confirmed.
    Restore { path: PathBuf, password: SecretString },
    /// Files dropped on the window (the first is taken).
    Dropped(Vec<PathBuf>),
}

/// What a files job hands back.
pub enum FilesDone {
    /// The file chooser's answer: a file, `None` (cancelled), or why none answered.
    Chosen(FileTarget, Result<Option<PathBuf>, ChooserError>),
    /// A dropped file, read and told apart.
    Dropped(PathBuf, Dropped),
    Restored(RestoreOutcome),
}

/// What a dropped file is.
pub enum Dropped {
    Backup,
    Import,
    Unknown,
    /// It could not be read: why, in a sentence.
    Unreadable(String),
}

/// How a restore ended.
pub enum RestoreOutcome {
    /// Nothing was changed (the file unreadable, not a backup, the password wrong): the vault
    /// as it was.
    Refused(Box<Vault>, RestoreError),
    /// The backup is the vault now.
    Restored { vault: Box<Vault>, said: String, problems: bool },
    /// The restore stopped part way: the folder is finished at its next unlock.
    Stopped(RestoreError),
}

impl KeydeskApp {
    pub(super) fn run_files(&mut self, ctx: &egui::Context, command: FilesCommand) {
        match command {
            FilesCommand::Choose(target) => self.choose_file(ctx, target),
            FilesCommand::Restore { path, password } => {
                let Some(vault) = self.vault_into_job() else { return };
                let dir = self.services.dir.clone();
                let open_store = self.services.open_store.clone();
                let clock = self.services.clock.clone();
                self.jobs.spawn(ctx, "Restoring the backup", Records::Yes, move || {
                    let outcome =
                        restore_job(vault, &expand_home(&path), &password, (&dir, open_store, clock));
                    Done::Files(FilesDone::Restored(outcome))
                });
            }
            FilesCommand::Dropped(paths) => {
                if !matches!(self.phase, Phase::Unlocked(_)) || self.lock_when_done.is_some() {
                    return;
                }
                let others = paths.len().saturating_sub(1);
                let Some(path) = paths.into_iter().next() else { return };
                if others > 0 {
                    let name = path.file_name().unwrap_or(path.as_os_str()).to_string_lossy();
                    let left = if others == 1 {
                        "the other file was".to_owned()
                    } else {
                        format!("the other {others} files were")
                    };
                    let said = format!(
                        "One file at a time: {name} is opened, {left} left alone; drop them one by one."
                    );
                    let now = self.now();
                    self.toasts.warn(said, now);
                }
                self.jobs.spawn(ctx, "Reading the dropped file", Records::No, move || {
                    let kind = what_is(&path);
                    Done::Files(FilesDone::Dropped(path, kind))
                });
            }
        }
    }

    /// Asks the desktop's file chooser for `target`'s path, in a job (the dialog waits for the
    /// user).
    fn choose_file(&mut self, ctx: &egui::Context, target: FileTarget) {
        let today = self.now().format("%Y-%m-%d").to_string();
        let Some(screens) = self.phase.screens() else { return };
        let request = match target {
            // For the Incidents screen's incident being chosen for, else the key page's.
            FileTarget::Report => {
                let (incidents, page) = (&screens.incidents, screens.page());
                let (typed, key) = match (incidents.choosing.as_deref(), page) {
                    (Some(id), _) => (
                        incidents.forms.get(id).map_or("", |form| form.report_path.as_str()),
                        self.incident_key(id),
                    ),
                    (None, Some(key)) => (screens.detail.incident.report_path.as_str(), Some(key.clone())),
                    (None, None) => return,
                };
                report_request(typed, key.and_then(|key| self.label_of(&key)), &today)
            }
            _ => {
                let settings = &screens.settings;
                // The restore's dialog opens where its field points, else where backups go (a
                // team vault has none).
                let backup =
                    settings.restore.as_ref().map_or(settings.backup_path.as_str(), |f| f.path.as_str());
                let backup =
                    if target == FileTarget::Backup { settings.backup_path.as_str() } else { backup };
                request_for(target, (&settings.transfer, backup), &today)
            }
        };
        let bus = self.services.portal.clone();
        self.jobs.spawn(ctx, "Waiting for the file chooser", Records::No, move || {
            Done::Files(FilesDone::Chosen(target, file_chooser::choose(&bus, &request)))
        });
    }

    /// Files dropped on the unlocked window this frame, to be read; while files are dragged
    /// over it, what dropping does.
    pub(super) fn files_dropped_ui(&self, ctx: &egui::Context) -> Option<Command> {
        if !matches!(self.phase, Phase::Unlocked(_)) || self.lock_when_done.is_some() {
            return None;
        }
        if ctx.input(|i| !i.raw.hovered_files.is_empty()) {
            crate::ui::files::drop_hint_ui(ctx);
        }
        let dropped: Vec<PathBuf> =
            ctx.input(|i| i.raw.dropped_files.iter().map(|file| file.path().to_owned()).collect());
        (!dropped.is_empty()).then_some(Command::Files(FilesCommand::Dropped(dropped)))
    }

    pub(super) fn files_done(&mut self, ctx: &egui::Context, done: FilesDone) {
        match done {
            FilesDone::Chosen(target, answer) => self.chosen(target, answer),
            FilesDone::Dropped(path, kind) => self.dropped(ctx, path, kind),
            FilesDone::Restored(outcome) => self.restored(ctx, outcome),
        }
    }

    /// A file chosen for `target`'s field (the import previewed at once, the restore's dialog
    /// opened), on either kind of vault's screens; a cancel
    /// changes nothing; no chooser: the note, and the field to type in.
    fn chosen(&mut self, target: FileTarget, answer: Result<Option<PathBuf>, ChooserError>) {
        let replaces = self.restore_replaces();
        let Some(screens) = self.phase.screens_mut() else { return };
        let transfer = match target {
            FileTarget::Report => {
                // The Incidents screen's incident it was asked for, else the key page's.
                let on_page = screens.page().is_some();
                let form = match screens.incidents.choosing.take() {
                    Some(id) => screens.incidents.forms.entry(id).or_default(),
                    None if on_page => &mut screens.detail.incident,
                    None => return,
                };
                return report_chosen(form, answer);
            }
            // Asked for by a local vault's Settings alone (a team vault has no backup file).
            FileTarget::Backup | FileTarget::Restore => {
                return backup_chosen(&mut screens.settings, target, answer, replaces);
            }
            FileTarget::Import | FileTarget::Export => &mut screens.settings.transfer,
        };
        match answer {
            Ok(None) => {}
            Ok(Some(path)) => {
                transfer.chooser_note = None;
                if target == FileTarget::Import {
                    let format = transfer.import_format;
                    let preview = transfer.read_anew(path, format);
                    self.queued.push(preview.into_command());
                } else if target == FileTarget::Export {
                    transfer.export_path = path.display().to_string();
                }
            }
            Err(why) => transfer.chooser_note = Some((target, why.to_string())),
        }
    }

    /// The key incident `id` is about, as the vault open has it.
    fn incident_key(&self, id: &str) -> Option<crate::vault::model::KeyId> {
        self.session()?
            .incidents()?
            .iter()
            .find(|incident| incident.id == id)
            .map(|incident| incident.key.clone())
    }

    /// The label of the key `id`, as the vault open has it.
    fn label_of(&self, id: &crate::vault::model::KeyId) -> Option<String> {
        Some(self.session()?.label_of(id)).filter(|label| !label.is_empty())
    }

    /// What the restore replaces, in words, for its dialog.
    fn restore_replaces(&self) -> String {
        let keys = self.vault().map_or(0, |vault| vault.keys().iter().filter(|k| k.is_live()).count());
        format!(
            "The vault in {} — its {}, their details and the audit log — is replaced by the backup's. What was added or changed since the backup was written is lost. The backup opens with the master password the vault had when it was backed up.",
            self.services.dir.display(),
            crate::vault::count_keys(keys)
        )
    }

    /// A dropped file: a backup opens the restore's dialog, a file Keydesk imports its
    /// preview; anything else is told in one sentence.
    fn dropped(&mut self, ctx: &egui::Context, path: PathBuf, kind: Dropped) {
        let now = self.now();
        let name =
            path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        let replaces = self.restore_replaces();
        match (&mut self.phase, kind) {
            (_, Dropped::Unreadable(why)) => self.toasts.error(why, now),
            (_, Dropped::Unknown) => self.toasts.error(
                format!(
                    "{name} is neither a Keydesk backup nor a file Keydesk imports: drop a CSV, an Excel workbook (.xlsx), a 1Password .1pux, an .env file or an export of KeePassXC, Bitwarden or LastPass."
                ),
                now,
            ),
            (Phase::Unlocked(session), Dropped::Backup) if session.vault().is_some() => {
                session.screens.screen = Screen::Settings;
                open_restore(&mut session.screens.settings, path.display().to_string(), replaces);
            }
            (Phase::Unlocked(_), Dropped::Backup) => {
                let said = format!(
                    "That is a backup file: a team vault has none to restore from. {}",
                    crate::actions::Backup::SNAPSHOT_SENTENCE
                );
                self.toasts.warn(said, now);
            }
            (phase, Dropped::Import) => {
                let Some(screens) = phase.screens_mut() else { return };
                screens.screen = Screen::Settings;
                let preview = screens.settings.transfer.read_anew(path, None);
                self.queued.push(preview.into_command());
                ctx.request_repaint();
            }
            // Locked meanwhile: nothing is done with it.
            _ => {}
        }
    }

    fn restored(&mut self, ctx: &egui::Context, outcome: RestoreOutcome) {
        let now = self.now();
        match outcome {
            RestoreOutcome::Refused(vault, error) => {
                self.vault_back(ctx, *vault, Err(error.into()), |session, error| {
                    match &mut session.screens.settings.restore {
                        Some(form) => form.error = Some(error),
                        None => session.screens.settings.backup_error = Some(error),
                    }
                });
            }
            RestoreOutcome::Restored { vault, said, problems } => {
                // The restored vault's own settings, not those typed for the one it replaced.
                self.kept_settings = None;
                self.banner = vault.changed_outside_advice();
                self.vault_back(ctx, *vault, Ok(said), |_, _| {});
                if let Phase::Unlocked(session) = &mut self.phase {
                    session.screens.screen = Screen::Keys;
                }
                if problems {
                    self.toasts.warn(
                        "The restored vault has problems: run `keydesk check` in a terminal to see them."
                            .to_owned(),
                        now,
                    );
                }
            }
            RestoreOutcome::Stopped(error) => {
                self.kept_settings = None;
                self.start(ctx);
                self.banner = Some(format!(
                    "The restore stopped part way: {error} Unlock to see where the vault stands."
                ));
            }
        }
    }
}

/// The incident report's path chosen on a key's page.
fn report_chosen(form: &mut crate::ui::state::IncidentForm, answer: Result<Option<PathBuf>, ChooserError>) {
    match answer {
        Ok(None) => {}
        Ok(Some(path)) => {
            form.chooser_note = None;
            form.report_path = path.display().to_string();
        }
        Err(why) => form.chooser_note = Some((FileTarget::Report, why.to_string())),
    }
}

/// The backup's or the restore's file chosen in Settings → Backup (the restore's dialog
/// opened on it, or opened empty when no chooser answered).
fn backup_chosen(
    settings: &mut SettingsState,
    target: FileTarget,
    answer: Result<Option<PathBuf>, ChooserError>,
    replaces: String,
) {
    match answer {
        Ok(None) => {}
        Ok(Some(path)) => {
            settings.transfer.chooser_note = None;
            let typed = path.display().to_string();
            if target == FileTarget::Backup {
                settings.backup_path = typed;
            } else {
                open_restore(settings, typed, replaces);
            }
        }
        Err(why) => {
            settings.transfer.chooser_note = Some((target, why.to_string()));
            if target == FileTarget::Restore && settings.restore.is_none() {
                open_restore(settings, String::new(), replaces);
            }
        }
    }
}

/// Opens the restore's dialog on `path` (kept open, with its file replaced, when it is).
fn open_restore(settings: &mut SettingsState, path: String, replaces: String) {
    match &mut settings.restore {
        Some(form) => {
            if !path.is_empty() {
                form.path = path;
            }
        }
        None => {
            settings.restore =
                Some(RestoreForm { path, password: Default::default(), replaces, error: None });
        }
    }
}

/// The dialog's question for `target`: its title, the name offered, the folder it opens in and
/// its filters; `today` names the exports and backups.
fn request_for(
    target: FileTarget,
    (transfer, backup): (&crate::ui::state::TransferState, &str),
    today: &str,
) -> FileRequest {
    let glob = |patterns: &[&str]| patterns.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>();
    let all = ("All files".to_owned(), glob(&["*"]));
    match target {
        FileTarget::Import => {
            let (current_folder, _) = file_chooser::split_typed(&transfer.import_path);
            FileRequest {
                verb: Verb::Open,
                title: "Import keys".into(),
                current_name: None,
                current_folder,
                filters: vec![
                    (
                        "Files Keydesk imports".into(),
                        glob(&[
                            "*.csv", "*.tsv", "*.txt", "*.xlsx", "*.1pux", "*.json", "*.xml", "*.env", ".env",
                        ]),
                    ),
                    ("CSV".into(), glob(&["*.csv"])),
                    ("Excel workbook".into(), glob(&["*.xlsx"])),
                    ("1Password export".into(), glob(&["*.1pux"])),
                    ("JSON".into(), glob(&["*.json"])),
                    ("XML".into(), glob(&["*.xml"])),
                    (".env".into(), glob(&["*.env", ".env"])),
                    all,
                ],
            }
        }
        FileTarget::Export => {
            let (current_folder, typed) = file_chooser::split_typed(&transfer.export_path);
            let (extension, filter) = if transfer.export_json { ("json", "JSON") } else { ("csv", "CSV") };
            FileRequest {
                verb: Verb::Save,
                title: "Export keys".into(),
                current_name: Some(typed.unwrap_or(format!("keydesk-export-{today}.{extension}"))),
                current_folder,
                filters: vec![(filter.into(), glob(&[&format!("*.{extension}")])), all],
            }
        }
        FileTarget::Backup => {
            let (current_folder, typed) = file_chooser::split_typed(backup);
            FileRequest {
                verb: Verb::Save,
                title: "Back up the vault".into(),
                current_name: Some(typed.unwrap_or(format!("keydesk-backup-{today}.kdbackup"))),
                current_folder,
                filters: vec![("Keydesk backup".into(), glob(&["*.kdbackup"])), all],
            }
        }
        // Asked with its key's page (`report_request`).
        FileTarget::Restore | FileTarget::Report => {
            let (current_folder, _) = file_chooser::split_typed(backup);
            FileRequest {
                verb: Verb::Open,
                title: "Restore from a backup".into(),
                current_name: None,
                current_folder,
                filters: vec![("Keydesk backup".into(), glob(&["*.kdbackup"])), all],
            }
        }
    }
}

/// The dialog's question for an incident's report (`typed`: its field; `label`: its key's),
/// named after the key and the day: on a local key's page and in a team vault's Incidents.
fn report_request(typed: &str, label: Option<String>, today: &str) -> FileRequest {
    let (current_folder, typed) = file_chooser::split_typed(typed);
    // The label as a file name: letters and digits kept, the rest a dash.
    let slug: String = label
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    let slug = slug.split('-').filter(|part| !part.is_empty()).collect::<Vec<_>>().join("-");
    let name = if slug.is_empty() {
        format!("keydesk-incident-{today}.md")
    } else {
        format!("keydesk-incident-{slug}-{today}.md")
    };
    FileRequest {
        verb: Verb::Save,
        title: "Write the incident report".into(),
        current_name: Some(typed.unwrap_or(name)),
        current_folder,
        filters: vec![("Markdown".into(), vec!["*.md".into()]), ("All files".into(), vec!["*".into()])],
    }
}

/// Reads a dropped file and tells what it is by its content: a Keydesk backup (the kind its
/// file names), a file Keydesk imports (it reads as one, or is a table whose columns can be
/// picked), or neither.
fn what_is(path: &Path) -> Dropped {
    let bytes = match read_limited(path, MAX_BACKUP_BYTES, "the dropped file") {
        Ok(bytes) => bytes,
        Err(Limited::Refused(refused)) => return Dropped::Unreadable(refused.to_string()),
        Err(Limited::Io(error)) => {
            return Dropped::Unreadable(format!(
                "Could not read the dropped file ({error}): drop a file you can open. File: {}",
                path.display()
            ));
        }
    };
    if restore::is_backup(&bytes) {
        Dropped::Backup
    } else if crate::import::read(&bytes, None).is_ok() || crate::import::column_sample(&bytes).is_some() {
        Dropped::Import
    } else {
        Dropped::Unknown
    }
}

/// The restore in its job: the backup read and opened while this vault is kept (nothing
/// changes if it does not open), then this vault let go (its folder's lock with it) and the
/// backup restored in its place.
fn restore_job(
    vault: Vault,
    path: &Path,
    password: &SecretString,
    (dir, open_store, clock): (&Path, StoreFactory, Arc<dyn Clock>),
) -> RestoreOutcome {
    let opened = restore::read_backup(path).and_then(|bytes| restore::open_backup(&bytes, password));
    let contents = match opened {
        Ok(contents) => contents,
        Err(error) => return RestoreOutcome::Refused(Box::new(vault), error),
    };
    drop(vault);
    let opener = |backend, folder: &Path| open_store(backend, folder);
    match restore::restore_into(
        dir,
        contents,
        password,
        (path, "the window's restore"),
        (&opener, Box::new(clock), Box::new(crate::ui::entropy())),
    ) {
        Ok(restored) => RestoreOutcome::Restored {
            said: restored.sentence(dir),
            problems: restored.problems,
            vault: Box::new(restored.vault),
        },
        Err(error) => RestoreOutcome::Stopped(error),
    }
}
