//! The key list: search as you type, sort, a strip of what needs attention, and a one-click
//! Copy on every row. Rows are drawn only when visible, so 10,000 keys cost what 20 do.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::dashboard_row::{header_row_ui, key_row_ui};
use super::detail::KeyBook;
use super::session::Command;
use super::theme::{self, Badge};
use super::widgets::{badge_ui, field_with};
use crate::vault::model::{Attention, KeyId, KeyRecord, KeyStatus, VaultFile, VerifyOutcome};

/// The narrowest label column; it takes whatever width the others leave.
const LABEL_MIN: f32 = 140.0;
/// Fixed columns: provider, status.
pub(super) const PROVIDER_WIDTH: f32 = 110.0;
const STATUS_WIDTH: f32 = 150.0;
/// Columns shown when the window has room, most wanted first: who changed the key last (a
/// shared vault), used by, hint, last copied.
const OPTIONAL: [(Column, f32); 4] =
    [(Column::ChangedBy, 100.0), (Column::UsedBy, 150.0), (Column::Hint, 150.0), (Column::LastCopied, 100.0)];
/// Copy (its icon beside its word) and the "…" menu, always at the row's end.
const ACTIONS_WIDTH: f32 = 136.0;
/// Copy alone (the compact list).
const COPY_WIDTH: f32 = 56.0;
const COMPACT_LABEL_MIN: f32 = 110.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Column {
    ChangedBy,
    UsedBy,
    Hint,
    LastCopied,
}

/// The list's columns for one width.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Layout {
    pub(super) label: f32,
    /// Provider and the "…" menu show only when there is room (not in the split view's list).
    pub(super) full: bool,
    pub(super) status: f32,
    pub(super) optional: Vec<(Column, f32)>,
}

/// Which columns fit in `width`: Copy always stays in view. Below the full row's width (the
/// list beside a key's page) the list keeps label, status and Copy.
fn layout(width: f32, spacing: f32, shared: bool) -> Layout {
    let fixed = PROVIDER_WIDTH + STATUS_WIDTH + ACTIONS_WIDTH + 4.0 * spacing;
    if width < fixed + LABEL_MIN {
        let status = 120.0;
        let label = (width - status - COPY_WIDTH - 3.0 * spacing).max(COMPACT_LABEL_MIN);
        return Layout { label, full: false, status, optional: Vec::new() };
    }
    let mut left = width - fixed;
    let mut optional = Vec::new();
    for (column, wide) in OPTIONAL.into_iter().filter(|(column, _)| shared || *column != Column::ChangedBy) {
        if left - wide - spacing >= LABEL_MIN + 60.0 {
            left -= wide + spacing;
            optional.push((column, wide));
        }
    }
    Layout { label: left, full: true, status: STATUS_WIDTH, optional }
}

/// A sort key that orders "Key 7" before "Key 47": runs of digits compare as numbers.
pub fn natural_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len() + 8);
    let mut digits = String::new();
    let flush = |digits: &mut String, key: &mut String| {
        if !digits.is_empty() {
            let trimmed = digits.trim_start_matches('0');
            key.push_str(&format!("{:0>20}", if trimmed.is_empty() { "0" } else { trimmed }));
            digits.clear();
        }
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut key);
            key.extend(c.to_lowercase());
        }
    }
    flush(&mut digits, &mut key);
    key
}

/// The list's order (kept between runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Sort {
    #[default]
    Label,
    Provider,
    Created,
    LastCopied,
}

impl Sort {
    /// Puts `visible` (each naming its key through `record`) in this order: the list of a
    /// local vault and of a team vault alike.
    pub fn order<'a>(self, visible: &mut [usize], record: impl Fn(usize) -> Option<&'a KeyRecord>) {
        // After a rotation two keys share a label: the active one comes first.
        let rank = |k: &KeyRecord| match k.status {
            KeyStatus::Active => 0,
            KeyStatus::Retiring => 1,
            KeyStatus::Revoked { .. } => 2,
        };
        match self {
            Sort::Label => {
                visible.sort_by_cached_key(|&i| record(i).map(|k| (natural_key(&k.label), rank(k))));
            }
            Sort::Provider => {
                visible.sort_by_cached_key(|&i| {
                    record(i).map(|k| (k.provider.name(), natural_key(&k.label), rank(k)))
                });
            }
            Sort::Created => visible.sort_by_key(|&i| std::cmp::Reverse(record(i).map(|k| k.created_at))),
            Sort::LastCopied => {
                visible.sort_by_key(|&i| std::cmp::Reverse(record(i).and_then(|k| k.last_copied_at)));
            }
        }
    }

    fn word(self) -> &'static str {
        match self {
            Sort::Label => "Label",
            Sort::Provider => "Provider",
            Sort::Created => "Newest",
            Sort::LastCopied => "Last copied",
        }
    }
}

/// A row's status, worded only when the row is drawn. A key is shown as working only when
/// its last check said so (or, for a key Keydesk made, it has nothing to be checked against).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowStatus {
    /// The last check at the provider accepted the key.
    Works,
    /// A Keydesk key: checked offline, nothing to ask a provider.
    Active,
    NeverChecked,
    /// The last check could not reach a verdict (offline, provider trouble, rate limit).
    CouldNotCheck,
    /// The provider refused the key at the last check.
    Refused,
    Expired,
    Expiring(i64),
    RotationDue,
    Retiring,
    NotRevokedAtProvider,
    Revoked,
    /// The provider saw the key used after it was revoked or replaced everywhere.
    UsedAfterRetirement,
}

impl RowStatus {
    pub fn word(self, provider: &str) -> (String, Badge) {
        match self {
            RowStatus::Works => ("works".into(), Badge::Good),
            // Grey: a checksum says the key is intact, not that anything accepts it.
            RowStatus::Active => ("active".into(), Badge::Muted),
            RowStatus::NeverChecked => ("never checked".into(), Badge::Muted),
            RowStatus::CouldNotCheck => ("could not check".into(), Badge::Warn),
            RowStatus::Refused => (format!("refused by {provider}"), Badge::Bad),
            RowStatus::Expired => ("expired".into(), Badge::Bad),
            RowStatus::Expiring(0) => ("expires today".into(), Badge::Warn),
            RowStatus::Expiring(1) => ("expires tomorrow".into(), Badge::Warn),
            RowStatus::Expiring(days) => (format!("expires in {days} days"), Badge::Warn),
            RowStatus::RotationDue => ("rotation due".into(), Badge::Warn),
            RowStatus::Retiring => ("retiring".into(), Badge::Warn),
            RowStatus::NotRevokedAtProvider => (format!("not revoked at {provider}"), Badge::Bad),
            RowStatus::Revoked => ("revoked".into(), Badge::Muted),
            RowStatus::UsedAfterRetirement => ("possible unauthorized use".into(), Badge::Bad),
        }
    }
}

/// One row: where its key is in the vault, and what the list needs to filter and sort. Text
/// to show is read from the vault when the row is drawn, so 10,000 rows stay small.
pub struct Row {
    /// Position of the key in `Vault::keys`.
    pub key: usize,
    pub status: RowStatus,
    pub live: bool,
    pub attention: bool,
}

/// Which rows the list shows besides those a search finds: only the keys that need
/// attention, and the revoked ones too.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    pub attention_only: bool,
    pub show_revoked: bool,
}

/// How many keys need attention, by reason.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub expired: usize,
    pub expiring: usize,
    pub rotation_due: usize,
    /// Live provider keys no check has said work (never checked, refused, or no verdict).
    pub not_verified: usize,
    pub retiring: usize,
    /// Keys that need something else: not revoked at the provider, used after retirement.
    pub other: usize,
}

/// The rows and the current filtered, sorted view of them.
#[derive(Default)]
pub struct Index {
    built_for: Option<(u64, i64)>,
    pub rows: Vec<Row>,
    pub visible: Vec<usize>,
    visible_for: Option<(String, Sort, Shown, u64)>,
    pub counts: Counts,
    builds: u64,
}

/// What a key's status line says, from its record, what needs attention and its last check.
pub fn status_of(record: &KeyRecord, attention: &[Attention]) -> RowStatus {
    if record.unexpected_use().is_some() {
        return RowStatus::UsedAfterRetirement;
    }
    if let KeyStatus::Revoked { .. } = record.status {
        return RowStatus::Revoked;
    }
    if record.provider_revoke_pending.is_some() {
        return RowStatus::NotRevokedAtProvider;
    }
    let checked = record.last_verified.as_ref().map(|v| &v.outcome);
    if checked.is_some_and(VerifyOutcome::refused) {
        return RowStatus::Refused;
    }
    for item in attention {
        match item {
            Attention::Expired => return RowStatus::Expired,
            Attention::ExpiringSoon { days } => return RowStatus::Expiring(*days),
            Attention::RotationDue => return RowStatus::RotationDue,
            Attention::Retiring => return RowStatus::Retiring,
            Attention::NeverVerified => {}
        }
    }
    match checked {
        // A Keydesk key's checksum says it is intact, not that anything accepts it.
        Some(VerifyOutcome::ChecksumOk) => RowStatus::Active,
        Some(outcome) if outcome.works() => RowStatus::Works,
        Some(_) => RowStatus::CouldNotCheck,
        None if attention.contains(&Attention::NeverVerified) => RowStatus::NeverChecked,
        None => RowStatus::Active,
    }
}

impl Index {
    /// Rebuilds the rows when the vault changed (every change adds an audit entry) or the day
    /// turned; cheap otherwise.
    pub fn refresh(&mut self, file: &dyn KeyBook, now: DateTime<Utc>) {
        let stamp = (file.version(), now.timestamp() / 3600);
        if self.built_for == Some(stamp) {
            return;
        }
        self.built_for = Some(stamp);
        self.builds += 1;
        self.counts = Counts::default();
        self.rows = (0..file.count())
            .filter_map(|key| Some((key, file.at(key)?)))
            .map(|(key, record)| {
                let attention = record.attention(now);
                for item in &attention {
                    match item {
                        Attention::Expired => self.counts.expired += 1,
                        Attention::ExpiringSoon { .. } => self.counts.expiring += 1,
                        Attention::RotationDue => self.counts.rotation_due += 1,
                        // Counted below with the keys whose check failed.
                        Attention::NeverVerified => {}
                        Attention::Retiring => self.counts.retiring += 1,
                    }
                }
                let status = status_of(record, &attention);
                // A failed check leaves the key as unverified as no check at all.
                let not_verified = record.is_live()
                    && record.provider != crate::providers::Provider::Keydesk
                    && !record.last_verified.as_ref().is_some_and(|v| v.outcome.works());
                let other =
                    record.provider_revoke_pending.is_some() || status == RowStatus::UsedAfterRetirement;
                self.counts.not_verified += usize::from(not_verified);
                self.counts.other += usize::from(other);
                Row {
                    key,
                    status,
                    live: record.is_live(),
                    attention: !attention.is_empty() || not_verified || other,
                }
            })
            .collect();
    }

    /// Recomputes the visible rows for a search, order and filters (only when one changed).
    /// Revoked keys show when asked for, when a search looks for them, or when their provider
    /// saw them used after the revoke.
    pub fn filter(
        &mut self,
        file: &dyn KeyBook,
        search: &str,
        sort: Sort,
        Shown { attention_only, show_revoked }: Shown,
    ) {
        let key = (search.to_owned(), sort, Shown { attention_only, show_revoked }, self.builds);
        if self.visible_for.as_ref() == Some(&key) {
            return;
        }
        let words: Vec<String> = search.split_whitespace().map(str::to_lowercase).collect();
        let rows = &self.rows;
        let mut visible: Vec<usize> = (0..rows.len())
            .filter(|&i| {
                let row = &rows[i];
                (row.live
                    || show_revoked
                    || !words.is_empty()
                    || row.status == RowStatus::UsedAfterRetirement)
                    && (!attention_only || row.attention)
                    && (words.is_empty() || file.at(row.key).is_some_and(|k| found_in(k, &words)))
            })
            .collect();
        sort.order(&mut visible, |i| file.at(rows[i].key));
        self.visible = visible;
        self.visible_for = Some(key);
    }
}

impl Index {
    /// Where the key `id` is among the visible rows.
    pub fn position(&self, file: &dyn KeyBook, id: &KeyId) -> Option<usize> {
        self.visible.iter().position(|&i| file.at(self.rows[i].key).is_some_and(|k| k.id == *id))
    }

    /// The key of the visible row `at`.
    pub fn id_at<'a>(&self, file: &'a dyn KeyBook, at: usize) -> Option<&'a KeyId> {
        let &i = self.visible.get(at)?;
        file.at(self.rows[i].key).map(|k| &k.id)
    }
}

/// Whether the text field `id` has text selected (then Ctrl+C copies that text).
fn text_selected(ctx: &egui::Context, id: egui::Id) -> bool {
    egui::text_edit::TextEditState::load(ctx, id)
        .and_then(|state| state.cursor.char_range())
        .is_some_and(|range| !range.is_empty())
}

/// Whether every word (lower case) is in the key's label, provider, notes or integrations,
/// ignoring case. Read from the record at each search (no lower-cased copy of 10,000 keys'
/// text is kept in memory).
pub(crate) fn found_in(record: &KeyRecord, words: &[String]) -> bool {
    words.iter().all(|word| {
        contains_folded(&record.label, word)
            || contains_folded(record.provider.name(), word)
            || contains_folded(&record.notes, word)
            || record.integrations.iter().any(|i| contains_folded(&i.name, word))
    })
}

/// Whether `text` contains `word` (already lower case), ignoring case: byte by byte for
/// ASCII text, else through a lower-cased copy.
fn contains_folded(text: &str, word: &str) -> bool {
    if word.is_empty() {
        return true;
    }
    if text.is_ascii() && word.is_ascii() {
        let (text, word) = (text.as_bytes(), word.as_bytes());
        let Some(last_start) = text.len().checked_sub(word.len()) else { return false };
        // Only where the first letter matches is the rest compared.
        let (lower, upper) = (word[0].to_ascii_lowercase(), word[0].to_ascii_uppercase());
        let rest = &word[1..];
        text[..=last_start].iter().enumerate().any(|(at, &byte)| {
            (byte == lower || byte == upper) && text[at + 1..at + word.len()].eq_ignore_ascii_case(rest)
        })
    } else {
        text.to_lowercase().contains(word)
    }
}

/// Where an empty vault's list offers to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmptyStart {
    Paste,
    Generate,
    Account,
}

/// An empty vault's list, local or team: a centred heading, `intro`, and the three ways to
/// start, one under the other, the usual one first. With `why_not`, the buttons are off and
/// say why on hover (a team vault that may only be read). Answers the one clicked.
pub fn empty_vault_ui(ui: &mut egui::Ui, intro: &str, why_not: Option<&str>) -> Option<EmptyStart> {
    let mut clicked = None;
    ui.add_space(theme::GAP * 2.0);
    ui.vertical_centered(|ui| {
        ui.heading("No keys yet");
        ui.add(egui::Label::new(intro).wrap());
        ui.add_space(theme::GAP);
        for (start, text) in [
            (EmptyStart::Paste, "Paste a key from your provider"),
            (EmptyStart::Generate, "Generate a Keydesk key"),
            (EmptyStart::Account, "Add a provider account"),
        ] {
            let button = ui.add_enabled(why_not.is_none(), egui::Button::new(text));
            let button = match why_not {
                Some(why) => button.on_disabled_hover_text(why),
                None => button,
            };
            if button.clicked() {
                clicked = Some(start);
            }
        }
    });
    clicked
}

/// The dashboard: what needs attention, the search and sort, then the list of keys.
pub fn dashboard_ui(
    ui: &mut egui::Ui,
    file: &dyn KeyBook,
    state: &mut super::state::DashboardState,
    now: DateTime<Utc>,
) -> Option<Command> {
    let mut command = None;
    state.index.refresh(file, now);
    attention_ui(ui, file, state, &mut command);
    ui.add_space(theme::GAP / 2.0);
    let search = search_ui(ui, state);
    let shown = Shown { attention_only: state.attention_only, show_revoked: state.show_revoked };
    state.index.filter(file, &state.search, state.sort, shown);
    let selected = keyboard_ui(ui, file, state, &search, &mut command);
    ui.separator();
    if state.index.rows.is_empty() {
        let intro = if file.shared() {
            "Keys added here are shared with every member of the team vault: add the account you make keys in, or bring in a key you already have."
        } else {
            "Keep the API keys of your email platforms here: add the account you make keys in, or bring in a key you already have."
        };
        return match empty_vault_ui(ui, intro, file.why_not_change()) {
            Some(EmptyStart::Paste) => Some(Command::NewKey(super::state::NewMode::Paste)),
            Some(EmptyStart::Generate) => Some(Command::NewKey(super::state::NewMode::Generate)),
            Some(EmptyStart::Account) => Some(Command::Show(super::state::Screen::Accounts)),
            None => command,
        };
    }
    let live = state.index.rows.iter().filter(|r| r.live).count();
    ui.label(format!("{} of {live} {}", state.index.visible.len(), if live == 1 { "key" } else { "keys" }));
    let spacing = ui.spacing().item_spacing.x;
    let layout = layout(ui.available_width(), spacing, file.shared());
    header_row_ui(ui, &layout);
    let mut scroll = egui::ScrollArea::vertical().auto_shrink(false);
    let scroll_to = std::mem::take(&mut state.scroll_to_selected).then_some(selected).flatten();
    if let Some(at) = scroll_to {
        // Keep the selected row in view: scrolled so it sits a few rows from the top.
        #[allow(clippy::cast_precision_loss, reason = "a row index as a scroll offset")]
        let offset = (at.saturating_sub(3) as f32) * (theme::ROW_HEIGHT + ui.spacing().item_spacing.y);
        scroll = scroll.vertical_scroll_offset(offset);
    }
    let selection_fill = ui.visuals().selection.bg_fill;
    let index = &state.index;
    scroll.show_rows(ui, theme::ROW_HEIGHT, index.visible.len(), |ui, range| {
        for (at, &i) in index.visible[range.clone()].iter().enumerate().map(|(n, i)| (n + range.start, i)) {
            let row = &index.rows[i];
            let Some(record) = file.at(row.key) else { continue };
            let fill = if selected == Some(at) { selection_fill } else { egui::Color32::TRANSPARENT };
            egui::Frame::new().fill(fill).show(ui, |ui| {
                ui.horizontal(|ui| key_row_ui(ui, file, row, record, &layout, now, &mut command));
            });
        }
    });
    command
}

/// The attention line (a filter when clicked, with Check every key when some were never
/// checked), "Nothing needs attention." only when true, and each open incident.
fn attention_ui(
    ui: &mut egui::Ui,
    file: &dyn KeyBook,
    state: &mut super::state::DashboardState,
    command: &mut Option<Command>,
) {
    let counts = state.index.counts;
    let open_incidents = file.incidents().iter().any(|i| i.closed_at.is_none());
    // Wraps in a narrow list (beside a key's page, or at 760 px) instead of widening it.
    ui.horizontal_wrapped(|ui| {
        let attention = counts.expired
            + counts.expiring
            + counts.rotation_due
            + counts.not_verified
            + counts.retiring
            + counts.other;
        if attention > 0 {
            let mut text = format!(
                "Needs attention: {} expired · {} expiring · {} rotation due · {} not verified · {} retiring",
                counts.expired, counts.expiring, counts.rotation_due, counts.not_verified, counts.retiring
            );
            if counts.other > 0 {
                text.push_str(&format!(" · {} other", counts.other));
            }
            if ui.add(egui::Button::selectable(state.attention_only, text).wrap()).clicked() {
                state.attention_only = !state.attention_only;
            }
            if counts.not_verified > 0 && file.checks_all() && ui.button("Check every key").clicked() {
                *command = Some(Command::CheckAll);
            }
        } else if file.count() > 0 && !open_incidents {
            // Said only when true: not over an open incident, not of an empty vault.
            badge_ui(ui, "Nothing needs attention.", Badge::Good);
        }
    });
    // Open incidents stay in sight until closed (with a summary, on the key's page or from the
    // command line).
    for incident in file.incidents().iter().filter(|i| i.closed_at.is_none()) {
        let label = file.key(&incident.key).map_or("a removed key", |k| k.label.as_str());
        ui.horizontal_wrapped(|ui| {
            badge_ui(
                ui,
                &format!("Open incident {}: \"{label}\" found in {}", incident.id, incident.found_where),
                Badge::Bad,
            );
            if ui.small_button("Open key").clicked() {
                *command = Some(Command::OpenKey(incident.key.clone()));
            }
        });
    }
}

/// The search field (focused by Ctrl+F) and, under it, the sort and Show revoked.
fn search_ui(ui: &mut egui::Ui, state: &mut super::state::DashboardState) -> egui::Response {
    let search = field_with(
        ui,
        "Search",
        // Its own id: a line shown above it (the clipboard's countdown) does not take the focus away.
        egui::TextEdit::singleline(&mut state.search)
            .id_salt("dashboard-search")
            .hint_text("label, provider, integration, notes (Ctrl+F)"),
    );
    if state.focus_search {
        search.request_focus();
        state.focus_search = false;
    }
    ui.horizontal(|ui| {
        ui.add_space(theme::LABEL_WIDTH + 8.0);
        sort_ui(ui, &mut state.sort);
        ui.checkbox(&mut state.show_revoked, "Show revoked");
    });
    search
}

/// "Sort by", over the list of either vault kind.
pub(super) fn sort_ui(ui: &mut egui::Ui, sort: &mut Sort) {
    egui::ComboBox::from_label("Sort by").selected_text(sort.word()).show_ui(ui, |ui| {
        for order in [Sort::Label, Sort::Provider, Sort::Created, Sort::LastCopied] {
            ui.selectable_value(sort, order, order.word());
        }
    });
}

/// The selection and the keyboard: answers the selected row's place among the shown rows.
///
/// The selection is a key, not a row: it follows sorting and searching. When its key is no
/// longer shown (or a search starts with nothing selected), the first match is selected. Arrows
/// move the selection (also from the search field), Enter opens the selected key, Ctrl+C copies
/// it when no text field has the focus, or from the search field when no text is selected in it.
fn keyboard_ui(
    ui: &mut egui::Ui,
    file: &dyn KeyBook,
    state: &mut super::state::DashboardState,
    search: &egui::Response,
    command: &mut Option<Command>,
) -> Option<usize> {
    let shown = state.index.visible.len();
    let mut at = state.selected.as_ref().and_then(|id| state.index.position(file, id));
    if at.is_none() && (state.selected.is_some() || (search.changed() && !state.search.trim().is_empty())) {
        at = (shown > 0).then_some(0);
        state.selected = at.and_then(|first| state.index.id_at(file, first)).cloned();
        state.scroll_to_selected = true;
    }
    let text_focused = ui.ctx().text_edit_focused();
    let typing = text_focused && !search.has_focus();
    let copy_allowed = !text_focused || (search.has_focus() && !text_selected(ui.ctx(), search.id));
    let (down, up, copy) = ui.input_mut(|i| {
        let down = !typing && i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowDown);
        let up = !typing && i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowUp);
        let copy = copy_allowed
            && (i.consume_key(egui::Modifiers::COMMAND, egui::Key::C)
                || i.events.iter().any(|e| matches!(e, egui::Event::Copy)));
        (down, up, copy)
    });
    if shown > 0 && (down || up) {
        let next = match (at, down) {
            (None, true) => 0,
            (None, false) => shown - 1,
            (Some(at), true) => (at + 1).min(shown - 1),
            (Some(at), false) => at.saturating_sub(1),
        };
        at = Some(next);
        state.selected = state.index.id_at(file, next).cloned();
        state.scroll_to_selected = true;
    }
    let selected_record =
        at.and_then(|at| state.index.visible.get(at)).and_then(|&row| file.at(state.index.rows[row].key));
    // A revoked key is not copied; the copy says why, as the row's Copy would.
    if copy && let Some(record) = selected_record {
        *command = Some(Command::Copy(record.id.clone()));
    }
    let enter = ui.input(|i| i.key_pressed(egui::Key::Enter));
    if enter && (search.lost_focus() || !text_focused) {
        let target = selected_record.or_else(|| {
            search
                .lost_focus()
                .then(|| state.index.visible.first().and_then(|&first| file.at(state.index.rows[first].key)))
                .flatten()
        });
        if let Some(record) = target {
            *command = Some(Command::OpenKey(record.id.clone()));
        }
    }
    at
}

/// The line shown on unlock when keys need something ("2 keys need rotation, 1 has
/// expired, 1 expires this week"), or `None` when nothing is due.
pub fn reminder(file: &VaultFile, now: DateTime<Utc>) -> Option<String> {
    let (mut rotate, mut expired, mut week, mut fortnight) = (0, 0, 0, 0);
    for attention in file.keys.iter().flat_map(|k| k.attention(now)) {
        match attention {
            Attention::RotationDue => rotate += 1,
            Attention::Expired => expired += 1,
            Attention::ExpiringSoon { days } if days < 7 => week += 1,
            Attention::ExpiringSoon { .. } => fortnight += 1,
            Attention::NeverVerified | Attention::Retiring => {}
        }
    }
    let keys = |n: usize| if n == 1 { "1 key".to_owned() } else { format!("{n} keys") };
    let said = |n: usize, one: &str, many: &str, what: &str| {
        (n > 0).then(|| format!("{} {} {what}", keys(n), if n == 1 { one } else { many }))
    };
    let parts = [
        said(rotate, "needs", "need", "rotation"),
        said(expired, "has", "have", "expired"),
        said(week, "expires", "expire", "this week"),
        said(fortnight, "expires", "expire", "within two weeks"),
    ];
    let parts: Vec<String> = parts.into_iter().flatten().collect();
    (!parts.is_empty()).then(|| format!("{}: see \"Needs attention\" in the list.", parts.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_ignores_case_in_every_script() {
        assert!(contains_folded("Brevo CRM Sync", "crm"));
        assert!(contains_folded("Brevo CRM Sync", ""));
        assert!(!contains_folded("CR", "crm"));
        assert!(contains_folded("Рассылка ВЕСНА", "весна"));
        assert!(contains_folded("🚀 Brevo حملة الربيع 🌸", "حملة"));
        assert!(contains_folded("🚀 Brevo حملة الربيع 🌸", "brevo"));
        assert!(!contains_folded("ÉTÉ", "ete"), "accents are letters of their own");
    }

    #[test]
    fn digits_sort_as_numbers() {
        let mut labels = vec!["Key 47", "key 7", "Key 100", "Key 07b", "Alpha"];
        labels.sort_by_key(|l| natural_key(l));
        assert_eq!(labels, ["Alpha", "key 7", "Key 07b", "Key 47", "Key 100"]);
    }

    #[test]
    fn copy_always_fits_from_760_px() {
        for width in [330.0, 420.0, 700.0, 760.0, 900.0, 1100.0, 1920.0] {
            let layout = layout(width, 8.0, false);
            let used = if layout.full {
                layout.label
                    + PROVIDER_WIDTH
                    + layout.status
                    + ACTIONS_WIDTH
                    + layout.optional.iter().map(|(_, w)| w + 8.0).sum::<f32>()
                    + 4.0 * 8.0
            } else {
                layout.label + layout.status + COPY_WIDTH + 3.0 * 8.0
            };
            assert!(used <= width + 0.5, "{width}: {used}");
        }
        // The main list at the smallest window (760 px less the navigation) is a full row.
        assert!(layout(574.0, 8.0, false).full);
        assert!(layout(574.0, 8.0, false).optional.is_empty());
        assert_eq!(layout(1700.0, 8.0, false).optional.len(), 3);
        assert!(!layout(420.0, 8.0, false).full, "the split view's list is compact");
    }
}
