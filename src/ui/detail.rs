//! A key's page: a header card (label, provider, status chip, Copy and Reveal, the other
//! actions), then sections as cards: the facts and integrations (the edit form in their place
//! after Edit), the rotation, the incidents, the activity and the history. An open incident
//! is a red-tinted card at the top.

use super::card::{self, Look, icon};
pub use super::detail_sections::Activity;
use super::detail_sections::{activity_ui, history_ui, incidents_ui, open_incident_ui, rotation_ui};
use super::meta_form::{MetaForm, details_ui};
use super::session::{Command, Revealed};
use super::state::{DetailState, Screen};
use super::theme;
use super::widgets::{badge_ui, error_ui, field, secret_field, secret_text_ui};
use crate::providers::Provider;
use crate::vault::health::{full_access, known_permissions};
use crate::vault::model::{
    Account, Incident, KeyId, KeyRecord, KeyStatus, Rotation, VaultFile, VerifyOutcome,
};
use crate::words::{ago, times};
use chrono::{DateTime, Utc};

/// What a key's page reads of the vault it is in: a local vault's file or a team vault's
/// copy. The page is the same for both; what differs is said here.
pub trait KeyBook {
    /// How many keys there are, and the one at `at` (in the order they are kept).
    fn count(&self) -> usize;
    fn at(&self, at: usize) -> Option<&KeyRecord>;
    /// Changes whenever the keys do (the list is built again then).
    fn version(&self) -> u64;
    fn key(&self, id: &KeyId) -> Option<&KeyRecord>;
    /// The provider accounts (a team vault's once read).
    fn accounts(&self) -> &[Account];
    fn account(&self, id: &str) -> Option<&Account> {
        self.accounts().iter().find(|a| a.id == id)
    }
    /// The incidents as last read (a team vault reads them when a key's page opens).
    fn incidents(&self) -> &[Incident];
    /// Who changed the key last, where more than one person can (a team vault's entries).
    fn changed_by(&self, _id: &KeyId) -> Option<&str> {
        None
    }
    /// Why nothing can be changed now (read-only, busy), when that is so.
    fn why_not_change(&self) -> Option<&str> {
        None
    }
    /// Why no key can be copied, revealed or checked now (the server must answer first).
    fn why_not_read(&self) -> Option<&str> {
        None
    }
    /// Whether every key can be checked from the list in one go (a local vault's job).
    fn checks_all(&self) -> bool {
        true
    }
    /// Whether the vault is shared: the list says who changed each key last.
    fn shared(&self) -> bool {
        false
    }
    /// The rotation `id` takes part in (as the old key or its replacement): the old key and
    /// its rotation.
    fn rotation_of(&self, id: &KeyId) -> Option<(&KeyRecord, &Rotation)> {
        crate::vault::rotation_by(|id| self.key(id), id)
    }
}

/// The keys of `book`, in the order they are kept.
pub fn keys_of(book: &dyn KeyBook) -> impl Iterator<Item = &KeyRecord> + Clone {
    (0..book.count()).filter_map(|at| book.at(at))
}

impl KeyBook for VaultFile {
    fn count(&self) -> usize {
        self.keys.len()
    }
    fn at(&self, at: usize) -> Option<&KeyRecord> {
        self.keys.get(at)
    }
    /// Every change adds an audit entry.
    fn version(&self) -> u64 {
        self.audit.entries
    }
    fn key(&self, id: &KeyId) -> Option<&KeyRecord> {
        VaultFile::key(self, id)
    }
    fn accounts(&self) -> &[Account] {
        &self.accounts
    }
    fn incidents(&self) -> &[Incident] {
        &self.incidents
    }
}

/// The colour a check's outcome is drawn in: never the good colour for a key whose last
/// check failed or said nothing.
pub fn outcome_badge(outcome: &VerifyOutcome) -> theme::Badge {
    match outcome {
        VerifyOutcome::Works { .. } | VerifyOutcome::ChecksumOk => theme::Badge::Good,
        VerifyOutcome::Unauthorized => theme::Badge::Bad,
        _ => theme::Badge::Warn,
    }
}

/// A long scope list shortened for a row.
fn summarise(scopes: &[String]) -> String {
    if scopes.len() <= 6 {
        scopes.join(", ")
    } else {
        format!("{} and {} more", scopes[..5].join(", "), scopes.len() - 5)
    }
}

/// Rotate, asked first: a rotation makes a new key and starts moving integrations over.
fn rotate_confirmed(
    record: &crate::vault::model::KeyRecord,
    pasted: Option<secrecy::SecretString>,
) -> Command {
    let used_by = if record.integrations.is_empty() {
        "No integrations are recorded for it.".to_owned()
    } else {
        let names: Vec<&str> = record.integrations.iter().map(|i| i.name.as_str()).collect();
        format!("Move these to the new key: {}.", names.join(", "))
    };
    Command::Rotate { key: record.id.clone(), pasted }.confirmed_by(
        format!("Rotate \"{}\"?", record.label),
        if record.is_live() {
            format!(
                "A new key replaces it; \"{}\" stays active as retiring until its integrations use the new one. {used_by}",
                record.label
            )
        } else {
            format!("A new key replaces it; \"{}\" stays revoked. {used_by}", record.label)
        },
        "Rotate",
        false,
    )
}

/// The widest the cards of a key's page grow.
const PAGE_WIDTH: f32 = 880.0;

/// The detail screen.
pub fn detail_ui(
    ui: &mut egui::Ui,
    file: &dyn KeyBook,
    id: &KeyId,
    state: &mut DetailState,
    revealed: Option<&mut Revealed>,
    now: DateTime<Utc>,
) -> Option<Command> {
    let mut command = None;
    let Some(record) = file.key(id) else {
        ui.label("This key is no longer in the vault.");
        return Some(Command::Show(Screen::Keys));
    };
    // Outside Edit the form follows the record (a browser's page added, a rotation's move),
    // so only what the user typed ever counts as unsaved.
    if !state.editing {
        let saved = MetaForm::from_record(record);
        if state.form != saved {
            state.form = saved;
        }
    }
    egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
        // A column a reader's eye can follow: on a wide window the cards stop at this width.
        ui.set_max_width(ui.available_width().min(PAGE_WIDTH));
        let mut ask = |asked: Option<Command>| {
            if asked.is_some() {
                command = asked;
            }
        };
        // What is urgent first: an open incident, a revoke the provider has not done.
        ask(open_incident_ui(ui, file, record, state));
        if let Some(pending) = &record.provider_revoke_pending {
            card::alert(ui, &format!("Not revoked at {}", record.provider.name()), |ui| {
                ui.add(egui::Label::new(pending.as_str()).wrap());
            });
        }
        ask(header_ui(ui, file, record, state, revealed, now));
        if state.editing {
            ask(edit_ui(ui, record, state, file.why_not_change()));
        } else {
            ask(card::section(ui, "Facts", |ui| facts_ui(ui, file, record, state, now)));
            card::section(ui, "Integrations", |ui| integrations_ui(ui, record));
        }
        ask(card::section(ui, "Rotation", |ui| {
            let asked = rotation_section_ui(ui, file, record, state);
            // A rotation that could not start or go on says why here (in Edit, under the form).
            if !state.editing {
                error_ui(ui, &state.error);
            }
            asked
        }));
        ask(incidents_ui(ui, file, record, state));
        card::section(ui, "Activity, last 90 days", |ui| {
            if let Some((_, activity)) = &state.activity {
                activity_ui(ui, activity);
            }
            super::fills::fills_ui(ui, &state.history);
        });
        card::section(ui, "History", |ui| history_ui(ui, &state.history));
    });
    command
}

/// The header card: Back, the provider's mark, the label large, the provider and status chip,
/// then Copy (the main action) and Reveal, the masked (or shown) key, and the other actions.
fn header_ui(
    ui: &mut egui::Ui,
    file: &dyn KeyBook,
    record: &KeyRecord,
    state: &mut DetailState,
    revealed: Option<&mut Revealed>,
    now: DateTime<Utc>,
) -> Option<Command> {
    let mut command = None;
    card::frame(ui, |ui| {
        let back =
            card::icon_button(ui, icon::BACK, "Back to keys", Look::Plain, || "Back to keys".to_owned());
        if back.on_hover_text("Escape").clicked() {
            command = Some(Command::Show(Screen::Keys));
        }
        ui.add_space(theme::SPACE_12);
        ui.horizontal_wrapped(|ui| {
            super::widgets::provider_mark_ui(ui, record.provider);
            // A long label wraps instead of widening the page.
            ui.add(egui::Label::new(egui::RichText::new(&record.label).size(24.0).strong()).wrap());
        });
        ui.add_space(theme::SPACE_4);
        ui.horizontal_wrapped(|ui| {
            let account = record.account.as_deref().and_then(|a| file.account(a));
            let provider = match account {
                Some(account) => format!("{} · {}", record.provider.name(), account.name),
                None => record.provider.name().to_owned(),
            };
            ui.label(egui::RichText::new(provider).weak());
            status_chip_ui(ui, record, now);
            // The red card below says what it is; the header says it first.
            incident_chip_ui(ui, file.incidents(), &record.id);
        });
        ui.add_space(theme::SPACE_12);
        if let Some(asked) = actions_ui(ui, file, record, state, revealed, now) {
            command = Some(asked);
        }
    });
    command
}

/// The key's status as a chip: never "works" or "active" for a key a fact contradicts
/// (`dashboard::status_of` decides, as in the list).
pub(super) fn status_chip_ui(ui: &mut egui::Ui, record: &KeyRecord, now: DateTime<Utc>) {
    match &record.status {
        KeyStatus::Revoked { at, reason } => card::chip(
            ui,
            &format!("revoked {} — {reason}", at.format("%Y-%m-%d")),
            theme::Badge::Muted,
            false,
        ),
        KeyStatus::Retiring => card::chip(ui, "retiring", theme::Badge::Warn, false),
        KeyStatus::Active => {
            let status = super::dashboard::status_of(record, &record.attention(now));
            let (word, kind) = status.word(record.provider.name());
            card::chip(ui, &word, kind, false)
        }
    };
}

/// A red "incident open" chip while an incident about `key` is open (the key page of either
/// vault kind).
pub(super) fn incident_chip_ui(ui: &mut egui::Ui, incidents: &[Incident], key: &KeyId) {
    if incidents.iter().any(|i| i.key == *key && i.closed_at.is_none()) {
        card::chip(ui, "incident open", theme::Badge::Bad, false);
    }
}

/// Copy and Reveal first, then Verify, Rotate (a Keydesk key), Edit and Revoke (red); under
/// them the key, masked or shown with its countdown.
fn actions_ui(
    ui: &mut egui::Ui,
    file: &dyn KeyBook,
    record: &KeyRecord,
    state: &mut DetailState,
    revealed: Option<&mut Revealed>,
    now: DateTime<Utc>,
) -> Option<Command> {
    let mut command = None;
    let live = record.is_live();
    let label = &record.label;
    let shown = revealed.is_some();
    let (why_not_read, why_not_change) = (file.why_not_read(), file.why_not_change());
    ui.horizontal_wrapped(|ui| {
        if live {
            let copy =
                card::icon_button_unless(ui, why_not_read, (icon::COPY, "Copy", Look::Primary), || {
                    format!("Copy {label}")
                });
            if copy.on_hover_text("Copies the key; the clipboard clears itself").clicked() {
                command = Some(Command::Copy(record.id.clone()));
            }
            if shown {
                if card::icon_button(ui, icon::HIDE, "Hide", Look::Plain, || format!("Hide {label}"))
                    .clicked()
                {
                    command = Some(Command::HideReveal);
                }
            } else {
                let reveal =
                    card::icon_button_unless(ui, why_not_read, (icon::REVEAL, "Reveal", Look::Plain), || {
                        format!("Reveal {label}")
                    });
                if reveal.on_hover_text("Shows the key for 30 s; recorded in the audit log").clicked() {
                    command = Some(Command::Reveal(record.id.clone()));
                }
            }
            let verify =
                card::icon_button_unless(ui, why_not_read, (icon::CHECK, "Verify", Look::Plain), || {
                    format!("Verify {label}")
                });
            if verify.on_hover_text("One request to the provider").clicked() {
                command = Some(Command::Verify(record.id.clone()));
            }
            // One rotation at a time: none is offered while this key's is under way.
            let rotating = file.rotation_of(&record.id).is_some();
            if record.provider == Provider::Keydesk
                && !rotating
                && card::icon_button_unless(ui, why_not_change, (icon::ROTATE, "Rotate", Look::Plain), || {
                    format!("Rotate {label}")
                })
                .clicked()
            {
                command = Some(rotate_confirmed(record, None));
            }
        }
        if !state.editing
            && card::icon_button_unless(ui, why_not_change, (icon::EDIT, "Edit", Look::Plain), || {
                format!("Edit {label}")
            })
            .clicked()
        {
            state.editing = true;
        }
        if live {
            let revoke = card::icon_button_unless(
                ui,
                why_not_change,
                (icon::REVOKE, "Revoke…", Look::Destructive),
                || format!("Revoke {label}…"),
            );
            if revoke.clicked() {
                command = Some(Command::StartRevoke(record.id.clone()));
            }
        }
    });
    if live {
        ui.add_space(theme::SPACE_8);
        ui.horizontal_wrapped(|ui| match revealed {
            Some(r) => {
                secret_text_ui(ui, &r.secret, &mut r.galley);
                ui.label(
                    egui::RichText::new(format!("hides in {} s", (r.until - now).num_seconds().max(0)))
                        .weak(),
                );
            }
            None => {
                ui.label(egui::RichText::new("••••••••••••••••••••••••").monospace());
            }
        });
    }
    command
}

/// The edit form in place of the facts and integrations: Save keeps it, Cancel gives it up
/// (the form is filled from the key again).
fn edit_ui(
    ui: &mut egui::Ui,
    record: &KeyRecord,
    state: &mut DetailState,
    why_not: Option<&str>,
) -> Option<Command> {
    let mut command = None;
    card::section(ui, "Edit details", |ui| {
        details_ui(ui, &mut state.form);
        error_ui(ui, &state.error);
        ui.add_space(theme::SPACE_8);
        ui.horizontal_wrapped(|ui| {
            let label = &record.label;
            let save = card::icon_button_unless(ui, why_not, (icon::SAVE, "Save", Look::Primary), || {
                format!("Save {label}")
            });
            if save.clicked() {
                match state.form.edit_of(record) {
                    Ok(edit) => command = Some(Command::Edit { key: record.id.clone(), edit }),
                    Err(error) => state.error = Some(error.to_string()),
                }
            }
            let cancel = card::icon_button(ui, icon::CLOSE, "Cancel", Look::Plain, || {
                format!("Cancel editing {label}")
            });
            if cancel.on_hover_text("Gives up the changes").clicked() {
                state.form = MetaForm::from_record(record);
                state.error = None;
                state.editing = false;
            }
        });
    });
    command
}

/// The key's integrations: each name with its settings address, a link.
fn integrations_ui(ui: &mut egui::Ui, record: &KeyRecord) {
    if record.integrations.is_empty() {
        ui.label(
            egui::RichText::new("No integration recorded: Edit adds the places that use this key.").weak(),
        );
    }
    for integration in &record.integrations {
        ui.horizontal_wrapped(|ui| {
            ui.label(egui::RichText::new(&integration.name).strong());
            if let Some(url) = &integration.url {
                ui.hyperlink_to(egui::RichText::new(url).weak(), url);
            }
        });
    }
}

/// The rotation under way (on the old key's page and on its replacement's); else, for a live
/// key, the ways to start one: a new key made at the provider, or a pasted replacement.
fn rotation_section_ui(
    ui: &mut egui::Ui,
    file: &dyn KeyBook,
    record: &KeyRecord,
    state: &mut DetailState,
) -> Option<Command> {
    if let Some((old, rotation)) = file.rotation_of(&record.id) {
        let why_not = file.why_not_change();
        return ui.add_enabled_ui(why_not.is_none(), |ui| rotation_ui(ui, file, old, rotation, state)).inner;
    }
    let every = record
        .rotate_after_days
        .map_or_else(|| "No rotation period is set.".to_owned(), |d| format!("Rotate every {d} days."));
    ui.label(egui::RichText::new(every).weak());
    // A live key, or one revoked first (after a leak) and not yet replaced.
    if record.replaced_by.is_some() {
        return None;
    }
    let why_not = file.why_not_change();
    let mut command = None;
    // A provider whose account here can make keys: the new key is made there.
    let at_provider = record.is_live() && record.account.is_some() && record.provider.info().api_create;
    if at_provider {
        let make = format!("Rotate: make the new key at {}", record.provider.name());
        let button =
            card::icon_button_unless(ui, why_not, (icon::ROTATE, &make, Look::Plain), || make.clone());
        if button
            .on_hover_text("Same label and integrations; the old key stays until they are moved")
            .clicked()
        {
            command = Some(Command::ReplaceAtProvider(record.id.clone()));
        }
    }
    if record.provider == Provider::Keydesk {
        // A live Keydesk key is rotated from its header; a revoked one is replaced here.
        if !record.is_live() {
            let replace = card::icon_button_unless(
                ui,
                why_not,
                (icon::ROTATE, "Generate its replacement", Look::Plain),
                || format!("Generate the replacement of {}", record.label),
            );
            if replace.clicked() {
                command = Some(rotate_confirmed(record, None));
            }
        }
        return command;
    }
    let page = record.provider.info().keys_page;
    if !page.is_empty() {
        ui.hyperlink_to(format!("Make one at {}", record.provider.name()), page);
    }
    ui.horizontal_wrapped(|ui| {
        secret_field(ui, "replacement-key", "Replacement key", &mut state.replacement);
        let rotate = card::icon_button_unless(
            ui,
            why_not.or(state.replacement.is_empty().then_some("Paste the new key first.")),
            (icon::ROTATE, "Rotate", Look::Plain),
            || format!("Rotate {} to the replacement key", record.label),
        );
        if rotate.clicked() {
            state.replacement.trim();
            let pasted = Some(state.replacement.take());
            command = Some(rotate_confirmed(record, pasted));
        }
    });
    command
}

/// The key's facts (hint, id, dates, scopes, uses, last check, last use, permissions, the keys
/// it replaces or was replaced by, expiry, notes); the question it asks, if any.
fn facts_ui(
    ui: &mut egui::Ui,
    file: &dyn KeyBook,
    record: &KeyRecord,
    state: &mut DetailState,
    now: DateTime<Utc>,
) -> Option<Command> {
    let mut command = None;
    card::facts(ui, "facts", |ui, width| {
        let row = |ui: &mut egui::Ui, name: &str, value: String| {
            card::fact(ui, width, name, |ui| {
                ui.label(value);
            });
        };
        row(ui, "Hint", record.hint.clone());
        row(ui, "Keydesk id", record.id.to_string());
        row(ui, "Created", record.created_at.format("%Y-%m-%d %H:%M UTC").to_string());
        row(
            ui,
            "Expiry",
            record.expires_at.map_or_else(|| "never".to_owned(), |t| t.format("%Y-%m-%d").to_string()),
        );
        if !record.scopes.is_empty() {
            row(ui, "Scopes", record.scopes.join(", "));
        }
        row(ui, "Copied", format!("{}, last {}", times(record.copy_count), ago(record.last_copied_at, now)));
        row(ui, "Revealed", times(record.reveal_count));
        card::fact(ui, width, "Last checked", |ui| match &record.last_verified {
            None => badge_ui(ui, "never checked", theme::Badge::Muted),
            Some(v) => {
                let kind = outcome_badge(&v.outcome);
                badge_ui(ui, &format!("{} — {}", ago(Some(v.at), now), v.outcome.sentence()), kind);
            }
        });
        if let Some(ask) = usage_row_ui(ui, file, record, state, now) {
            command = Some(ask);
        }
        let permissions = known_permissions(record);
        if !permissions.is_empty() {
            card::fact(ui, width, "Permissions", |ui| {
                ui.label(summarise(permissions));
                if full_access(record.provider, permissions) {
                    badge_ui(
                        ui,
                        "Full access: if what uses it only sends mail, make a Mail Send key instead and revoke this one.",
                        theme::Badge::Warn,
                    );
                }
            });
        }
        // The other key by its label (its id only if it is no longer in the vault).
        let label_of = |id: &KeyId| file.key(id).map_or_else(|| id.to_string(), |k| k.label.clone());
        if let Some(old) = &record.replaces {
            row(ui, "Replaces", label_of(old));
        }
        if let Some(new) = &record.replaced_by {
            row(ui, "Replaced by", label_of(new));
        }
        if !record.notes.is_empty() {
            row(ui, "Notes", record.notes.clone());
        }
        if let Some(by) = file.changed_by(&record.id) {
            row(ui, "Changed last by", by.to_owned());
        }
    });
    command
}

/// "Last used at <provider>", for the providers whose API tells (one grid row): the last
/// answer with its source, a possible unauthorized use in the error colour, why the last
/// question got no answer, and the button that asks.
fn usage_row_ui(
    ui: &mut egui::Ui,
    file: &dyn KeyBook,
    record: &crate::vault::model::KeyRecord,
    state: &mut DetailState,
    now: DateTime<Utc>,
) -> Option<Command> {
    crate::providers::usage::source(record.provider)?;
    let provider = record.provider.name();
    let mut command = None;
    ui.label(egui::RichText::new(format!("Last used at {provider}")).weak());
    ui.vertical(|ui| {
        match &record.usage {
            Some(usage) => {
                ui.label(crate::actions::usage_sentence(record.provider, usage, now));
            }
            None => {
                ui.label(egui::RichText::new("not asked yet").weak());
            }
        }
        if let Some(flag) = record.unexpected_use() {
            badge_ui(ui, &crate::actions::unexpected_sentence(record.provider, &flag), theme::Badge::Bad);
        }
        if let Some(why) = &state.usage_error {
            badge_ui(ui, why, theme::Badge::Warn);
        }
        let managed = record.account.as_deref().and_then(|a| file.account(a)).is_some_and(|a| a.has_management_key);
        let can_ask = record.is_live() || managed;
        ui.horizontal_wrapped(|ui| {
            let needs_name = record.provider == Provider::ElasticEmail && record.provider_key_id.is_none();
            if needs_name {
                field(ui, &format!("Its name at {provider}"), &mut state.usage_name);
            }
            let ask = ui
                .add_enabled(can_ask, egui::Button::new(format!("Ask {provider}")))
                .on_hover_text("One request to the provider, with the account's management key if it has one, else with this key")
                .on_disabled_hover_text("A revoked key can only be asked about with its account's management key");
            if ask.clicked() {
                let name = needs_name.then(|| state.usage_name.trim().to_owned()).filter(|n| !n.is_empty());
                command = Some(Command::AskUsage { key: record.id.clone(), name });
            }
        });
    });
    ui.end_row();
    command
}
