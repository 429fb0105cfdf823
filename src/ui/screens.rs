//! The screens of an unlocked vault, either kind: the one shown, what each holds (a search, a
//! form half typed, a filter), and the dialogs over them. A local vault's session and a team
//! vault's hold the same [`Screens`].

use chrono::{DateTime, Utc};

use super::detail::KeyBook;
use super::health::HealthState;
use super::incidents::IncidentsState;
use super::meta_form::MetaForm;
use super::session::{AuditCache, Command, Confirmation, Revealed};
use super::settings::SettingsOf;
use super::state::{
    AccountsState, AuditState, DashboardState, DetailState, NewKeyState, RevokeState, Screen, SettingsState,
    WhoisState,
};
use super::{
    accounts, app, audit_log, dashboard, detail, health, incidents, new_key, revoke, settings, whois, widgets,
};
use crate::vault::model::{Account, Incident, KeyId, KeyRecord};

/// Each screen's state, kept while the vault is unlocked and dropped on lock.
#[derive(Default)]
pub struct Screens {
    /// The screen shown.
    pub screen: Screen,
    /// The key list: its search, order and selection.
    pub dashboard: DashboardState,
    /// The open key's page (the key is the screen's, [`Screen::Detail`]).
    pub detail: DetailState,
    pub new_key: NewKeyState,
    /// The provider accounts' form and its tests' results.
    pub accounts: AccountsState,
    /// The audit log's filters.
    pub audit: AuditState,
    /// The settings as chosen, the password change, backup, import and export forms.
    pub settings: SettingsState,
    /// "Which key is this?" as typed, and what it found.
    pub whois: WhoisState,
    pub health: HealthState,
    /// The Incidents screen's forms (each incident's summary, report file, error).
    pub incidents: IncidentsState,
    /// The revoke dialog, when open.
    pub revoke: Option<RevokeState>,
    /// A rotation given up once its replacement's revoke lands: (the replacement, the old key,
    /// why).
    pub abandoning: Option<(KeyId, KeyId, String)>,
    /// The question on screen, if any.
    pub confirm: Option<Confirmation>,
}

impl Screens {
    /// The screens on the key list, with `settings` as the vault has them.
    pub fn new(settings: SettingsState) -> Self {
        Screens { settings, ..Screens::default() }
    }

    /// The key whose page is shown, if one is.
    pub fn page(&self) -> Option<&KeyId> {
        match &self.screen {
            Screen::Detail(id) => Some(id),
            _ => None,
        }
    }

    /// Takes what only moves between the screens and their dialogs (a screen or a key's page
    /// opened, the New key screen, a question and its answer, the revoke dialog opened or
    /// closed), asking first before leaving a key's page whose edits are not saved; hands back
    /// what is for the vault, a confirmed question's command among them.
    pub fn navigate(&mut self, command: Command, book: &dyn KeyBook) -> Option<Command> {
        let leaving =
            matches!(&command, Command::Show(_) | Command::NewKey(_) | Command::ReplaceAtProvider(_))
                || matches!(&command, Command::OpenKey(id) if self.page() != Some(id));
        if leaving && let Some(label) = self.unsaved(book) {
            self.confirm = Some(Confirmation::discarding(&label, command));
            return None;
        }
        match command {
            Command::Confirm(confirm) => self.confirm = Some(*confirm),
            Command::Answer(yes) => {
                let confirm = self.confirm.take().filter(|_| yes)?;
                // The page's edits were given up: it shows the key as saved again.
                if let (true, Some(id)) = (confirm.discards_edits, self.page()) {
                    self.detail = DetailState::for_record(book.key(id));
                }
                return self.navigate(confirm.then, book);
            }
            // New key is not opened while keys cannot change (its navigation entry is off,
            // saying why), from its shortcut either.
            Command::Show(Screen::New) | Command::NewKey(_) if book.why_not_change().is_some() => {}
            Command::Show(screen) => self.show(screen),
            Command::NewKey(mode) => {
                self.new_key.mode = mode;
                self.show(Screen::New);
            }
            Command::OpenKey(id) => self.open_key(&id, book),
            // The New key screen, filled in to make a replacement at the provider (linked to
            // the old key once made).
            Command::ReplaceAtProvider(id) => {
                self.new_key = NewKeyState::replacing(book.key(&id)?);
                self.show(Screen::New);
            }
            Command::StartRevoke(id) => {
                let record = book.key(&id)?;
                self.revoke = Some(RevokeState::new(record, revoke_route(book.accounts(), record)));
            }
            Command::CloseRevoke => {
                self.revoke = None;
                self.abandoning = None;
            }
            // A rotation ends with a revoke asked in the dialog, or is recorded alone.
            Command::FinishRotation { old, reason } => {
                let ended = revoke::finishing(book, &old, reason.as_deref());
                return self.end_rotation(ended, book, Command::FinishRotation { old, reason }, None);
            }
            Command::AbandonRotation { old, reason } => {
                let ended = revoke::abandoning(book, &old, &reason);
                let abandoning = (old.clone(), reason.clone());
                return self.end_rotation(
                    ended,
                    book,
                    Command::AbandonRotation { old, reason },
                    Some(abandoning),
                );
            }
            // A change the vault cannot take now (read-only, busy) says why where it was asked.
            Command::Revoke { .. } if book.why_not_change().is_some() => {
                if let Some(dialog) = &mut self.revoke {
                    dialog.error = book.why_not_change().map(str::to_owned);
                }
            }
            Command::Generate(_) | Command::Add { .. } | Command::CreateAtProvider { .. }
                if book.why_not_change().is_some() =>
            {
                self.new_key.error = book.why_not_change().map(str::to_owned);
            }
            command => return Some(command),
        }
        None
    }

    /// Opens the page of the key `id`; the page already open keeps what is typed in its edit
    /// form (its label clicked again in the list beside it).
    pub fn open_key(&mut self, id: &KeyId, book: &dyn KeyBook) {
        if !(self.detail.editing && self.page() == Some(id)) {
            self.detail = DetailState::for_record(book.key(id));
            self.screen = Screen::Detail(id.clone());
        }
    }

    /// A rotation's end as decided: `record` for the vault (the rotation recorded alone: the
    /// key to revoke is revoked already), or the revoke dialog (its revoke ends the rotation;
    /// when `abandoning`, the rotation is given up once it lands); why not on the key's page.
    fn end_rotation(
        &mut self,
        ended: Result<revoke::RotationEnd<'_>, super::Failure>,
        book: &dyn KeyBook,
        record: Command,
        abandoning: Option<(KeyId, String)>,
    ) -> Option<Command> {
        match ended {
            Ok(revoke::RotationEnd::Record) => return Some(record),
            Ok(revoke::RotationEnd::Revoke(key, why)) => {
                self.abandoning = abandoning.map(|(old, reason)| (key.id.clone(), old, reason));
                self.revoke =
                    Some(RevokeState::ending_rotation(key, revoke_route(book.accounts(), key), why));
            }
            Err(failure) => self.detail.error = Some(failure.to_string()),
        }
        None
    }

    /// Shows `screen` in place of the one shown; one opened afresh puts the cursor in its
    /// first field, Settings asks again whether the daily reminder is on (it may have been
    /// switched with systemctl meanwhile).
    fn show(&mut self, screen: Screen) {
        if self.screen != screen {
            self.new_key.focus_label |= screen == Screen::New;
            self.whois.focus |= screen == Screen::Whois;
            if screen == Screen::Settings {
                self.settings.reminder_asked = false;
            }
        }
        self.screen = screen;
    }

    /// The label of the open page's key when its edits are not saved.
    fn unsaved(&self, book: &dyn KeyBook) -> Option<String> {
        let record = book.key(self.page()?)?;
        (self.detail.form != MetaForm::from_record(record)).then(|| record.label.clone())
    }

    /// Back to the list when `screen` is the one shown (a read for it that failed).
    pub fn close(&mut self, screen: &Screen) {
        if self.screen == *screen {
            self.screen = Screen::Keys;
        }
    }
}

/// What the screens draw from, on either kind of vault.
pub struct Shown<'a> {
    /// The keys, accounts and incidents as the vault (or this computer's copy of a team
    /// vault) has them, and what may be done with them now.
    pub book: &'a dyn KeyBook,
    /// The accounts and the incidents, once read (a team vault reads them from its server as
    /// a screen needs them; `None` until then).
    pub accounts: Option<&'a [Account]>,
    pub incidents: Option<&'a [Incident]>,
    /// The audit log as last read.
    pub audit: Option<&'a AuditCache>,
    /// Whether every key is checked each week (a local vault's setting), for Health.
    pub weekly: Option<bool>,
    /// What the Settings screen offers on this vault.
    pub settings: SettingsOf<'a>,
}

/// The content width from which a key's page shows the list beside it (a window of about
/// 1,100 px less the navigation).
const SPLIT_FROM: f32 = 900.0;

impl Screens {
    /// Draws the screen shown into `ui` (the window's central panel); returns what the user
    /// asked for. `revealed`: a secret on screen after Reveal, shown on its key's page.
    pub fn screen_ui(
        &mut self,
        ui: &mut egui::Ui,
        shown: &Shown<'_>,
        revealed: Option<&mut Revealed>,
        now: DateTime<Utc>,
    ) -> Vec<app::Command> {
        let book = shown.book;
        let mut asked: Vec<app::Command> = Vec::new();
        match &self.screen {
            Screen::Keys | Screen::Members => {
                asked.extend(dashboard::dashboard_ui(ui, book, &mut self.dashboard, now).map(Into::into));
            }
            Screen::Detail(id) => {
                // A wide window shows the list beside the key's page (one column below).
                if ui.available_width() >= SPLIT_FROM {
                    egui::Panel::left("key-list")
                        .resizable(true)
                        .default_size(400.0)
                        .size_range(330.0..=560.0)
                        .show(ui, |ui| {
                            widgets::pane_bounds(ui);
                            let command = dashboard::dashboard_ui(ui, book, &mut self.dashboard, now);
                            asked.extend(command.map(Into::into));
                        });
                }
                let revealed = revealed.filter(|r| r.key_id == *id);
                asked
                    .extend(detail::detail_ui(ui, book, id, &mut self.detail, revealed, now).map(Into::into));
            }
            Screen::New => {
                let accounts = shown.accounts.unwrap_or_default();
                asked.extend(new_key::new_key_ui(ui, accounts, &mut self.new_key).map(Into::into));
            }
            Screen::Accounts => {
                let why_not = book.why_not_change();
                let command = accounts::accounts_ui(ui, shown.accounts, &mut self.accounts, why_not);
                asked.extend(command.map(Into::into));
            }
            Screen::Audit => {
                let label_of = |id: &str| {
                    let key = book.key(&KeyId::from_stored(id));
                    key.map_or_else(|| id.to_owned(), |k| k.label.clone())
                };
                asked
                    .extend(audit_log::audit_ui(ui, &label_of, shown.audit, &mut self.audit).map(Into::into));
            }
            Screen::Settings => {
                // Longer than a small window: it scrolls.
                egui::ScrollArea::vertical().id_salt("settings-page").auto_shrink([false, false]).show(
                    ui,
                    |ui| {
                        asked.extend(settings::settings_ui(ui, &mut self.settings, &shown.settings));
                    },
                );
            }
            Screen::Whois => asked.extend(whois::whois_ui(ui, book, &mut self.whois).map(Into::into)),
            Screen::Incidents => {
                let label_of = |id: &KeyId| book.key(id).map_or_else(|| id.to_string(), |k| k.label.clone());
                let why_not = book.why_not_change();
                let command =
                    incidents::incidents_ui(ui, shown.incidents, &label_of, &mut self.incidents, why_not);
                asked.extend(command.map(Into::into));
            }
            Screen::Health => {
                let of = (book, shown.audit, shown.weekly);
                asked.extend(health::health_ui(ui, of, &mut self.health, now).map(Into::into));
            }
        }
        asked
    }

    /// The dialogs over the screen: the revoke dialog, then the question on screen (its
    /// answer as [`Command::Answer`]).
    pub fn dialogs_ui(&mut self, ctx: &egui::Context) -> Vec<Command> {
        let mut asked = Vec::new();
        if let Some(dialog) = &mut self.revoke {
            asked.extend(revoke::revoke_ui(ctx, dialog));
        }
        if let Some(confirm) = &self.confirm {
            asked.extend(widgets::confirm_ui(ctx, confirm).map(Command::Answer));
        }
        asked
    }

    /// Escape or Alt+Left with no dialog or menu open: back to the list from any other screen
    /// (a key's page with unsaved edits asks first, in `navigate`). Called before the screen
    /// is drawn, while an open menu still says so (it closes on that Escape itself).
    pub fn back_ui(&self, ui: &mut egui::Ui) -> Option<Command> {
        if self.dialog_open() || self.screen == Screen::Keys || egui::Popup::is_any_open(ui.ctx()) {
            return None;
        }
        let back = ui.input_mut(|i| {
            i.consume_key(egui::Modifiers::NONE, egui::Key::Escape)
                || i.consume_key(egui::Modifiers::ALT, egui::Key::ArrowLeft)
        });
        back.then_some(Command::Show(Screen::Keys))
    }

    /// Whether a dialog is open over the screen.
    pub fn dialog_open(&self) -> bool {
        self.revoke.is_some() || self.confirm.is_some()
    }
}

/// How `record` is revoked, given the accounts as held (a team vault's not read yet: as a key
/// with none; the route is set again when they arrive, from the same function).
pub fn revoke_route(accounts: &[Account], record: &KeyRecord) -> crate::actions::RevokeRoute {
    let account = record.account.as_deref().and_then(|id| accounts.iter().find(|a| a.id == id));
    crate::actions::revoke_route_of(record, account)
}
