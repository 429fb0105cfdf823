//! The team screen's list of keys: the empty state, a revealed key, the rows and their actions.

use chrono::{DateTime, Utc};

use super::dashboard::EmptyStart;
use super::session::Revealed;
use super::state::NewMode;
use super::theme::{self};
use super::widgets::{cell, secret_text_ui};
use crate::team::TeamKey;

use super::team::{
    BUSY, RevokeForm, TeamCommand, TeamScreenState, TeamView, change_button, start_adding, why_read_only,
};

/// A team vault without keys: how to start (add an account, paste or generate a key).
pub(super) fn empty_ui(
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
pub(super) fn revealed_ui(
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
pub(super) struct Columns {
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
pub(super) fn keys_ui(
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
pub(super) fn key_row_ui(
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
                super::team_page::open(state, record, false);
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
            let shown = super::card::chip(ui, &word, badge, true);
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
pub(super) fn key_actions_ui(
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
        super::team_page::open(state, record, true);
    }
    // The rotation is on the key's page: its steps, or the replacement to paste.
    if state.rotating.contains_key(&record.id) {
        let show = ui.button("Rotation…").on_hover_text("Move the integrations, then finish");
        if show.clicked() {
            super::team_page::open(state, record, false);
        }
    } else if record.replaced_by.is_none() {
        // A revoked key is replaced too (after a leak: revoke first).
        let replace = change_button(ui, "Replace…", why_not)
            .on_hover_text("Rotate: a new key takes this one's place, on the key's page");
        if replace.clicked() {
            super::team_page::open(state, record, false);
        }
    }
    if record.is_live() && revoke_button(ui, why_not).clicked() {
        state.revoking = Some(RevokeForm::of(record, None));
        state.adding = None;
    }
}

/// The keys the search finds, by label (natural order), made again only when the search or
/// the copy changed.
pub(super) fn refresh_visible(state: &mut TeamScreenState, view: &TeamView<'_>) {
    let wanted = (state.search.clone(), state.sort, view.generation);
    if state.visible_for.as_ref() == Some(&wanted) {
        return;
    }
    let words: Vec<String> = state.search.split_whitespace().map(str::to_lowercase).collect();
    let mut visible: Vec<usize> = (0..view.keys.len())
        .filter(|&at| words.is_empty() || super::dashboard::found_in(&view.keys[at].record, &words))
        .collect();
    state.sort.order(&mut visible, |at| view.keys.get(at).map(|key| &key.record));
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

/// "Revoke…", red as every change that cannot be taken back; off, with why, when changes
/// cannot be made now.
fn revoke_button(ui: &mut egui::Ui, why_not: Option<&str>) -> egui::Response {
    let button = super::widgets::destructive_button(ui, "Revoke…");
    let button = ui.add_enabled(why_not.is_none(), button);
    match why_not {
        Some(why) => button.on_disabled_hover_text(why),
        None => button,
    }
}
