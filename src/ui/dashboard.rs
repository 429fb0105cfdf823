//! The key list: search as you type, sort, a strip of what needs attention, and a one-click
//! Copy on every row. Rows are drawn only when visible, so 10,000 keys cost what 20 do.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::session::Command;
use super::theme::{self, Badge};
use super::widgets::{badge_ui, cell, field_with};
use crate::vault::model::{Attention, KeyRecord, KeyStatus, VaultFile};

/// Widths of the list's columns: label, provider, hint, status, last copied.
const COLUMNS: [f32; 5] = [250.0, 110.0, 160.0, 150.0, 100.0];

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
    fn word(self) -> &'static str {
        match self {
            Sort::Label => "Label",
            Sort::Provider => "Provider",
            Sort::Created => "Newest",
            Sort::LastCopied => "Last copied",
        }
    }
}

/// A row's status, worded only when the row is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowStatus {
    Active,
    Unverified,
    Expired,
    Expiring(i64),
    RotationDue,
    Retiring,
    NotRevokedAtProvider,
    Revoked,
}

impl RowStatus {
    fn word(self, provider: &str) -> (String, Badge) {
        match self {
            RowStatus::Active => ("active".into(), Badge::Good),
            RowStatus::Unverified => ("unverified".into(), Badge::Muted),
            RowStatus::Expired => ("expired".into(), Badge::Bad),
            RowStatus::Expiring(days) => (format!("expires in {days} d"), Badge::Warn),
            RowStatus::RotationDue => ("rotation due".into(), Badge::Warn),
            RowStatus::Retiring => ("retiring".into(), Badge::Warn),
            RowStatus::NotRevokedAtProvider => (format!("not revoked at {provider}"), Badge::Bad),
            RowStatus::Revoked => ("revoked".into(), Badge::Muted),
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
    haystack: Box<str>,
}

/// How many keys need attention, by reason.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub expired: usize,
    pub expiring: usize,
    pub rotation_due: usize,
    pub never_verified: usize,
    pub retiring: usize,
}

/// The rows and the current filtered, sorted view of them.
#[derive(Default)]
pub struct Index {
    built_for: Option<(u64, i64)>,
    pub rows: Vec<Row>,
    pub visible: Vec<usize>,
    visible_for: Option<(String, Sort, bool, u64)>,
    pub counts: Counts,
    builds: u64,
}

fn status_of(record: &KeyRecord, attention: &[Attention]) -> RowStatus {
    if let KeyStatus::Revoked { .. } = record.status {
        return RowStatus::Revoked;
    }
    if record.provider_revoke_pending.is_some() {
        return RowStatus::NotRevokedAtProvider;
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
    if attention.contains(&Attention::NeverVerified) {
        return RowStatus::Unverified;
    }
    RowStatus::Active
}

impl Index {
    /// Rebuilds the rows when the vault changed (every change adds an audit entry) or the day
    /// turned; cheap otherwise.
    pub fn refresh(&mut self, file: &VaultFile, now: DateTime<Utc>) {
        let stamp = (file.audit.entries, now.timestamp() / 3600);
        if self.built_for == Some(stamp) {
            return;
        }
        self.built_for = Some(stamp);
        self.builds += 1;
        self.counts = Counts::default();
        self.rows = file
            .keys
            .iter()
            .enumerate()
            .map(|(key, record)| {
                let attention = record.attention(now);
                for item in &attention {
                    match item {
                        Attention::Expired => self.counts.expired += 1,
                        Attention::ExpiringSoon { .. } => self.counts.expiring += 1,
                        Attention::RotationDue => self.counts.rotation_due += 1,
                        Attention::NeverVerified => self.counts.never_verified += 1,
                        Attention::Retiring => self.counts.retiring += 1,
                    }
                }
                let status = status_of(record, &attention);
                let mut haystack = format!("{} {} {}", record.label, record.provider.name(), record.notes);
                for integration in &record.integrations {
                    haystack.push(' ');
                    haystack.push_str(&integration.name);
                }
                Row {
                    key,
                    status,
                    live: record.is_live(),
                    attention: !attention.is_empty() || record.provider_revoke_pending.is_some(),
                    haystack: haystack.to_lowercase().into_boxed_str(),
                }
            })
            .collect();
    }

    /// Recomputes the visible rows for a search, order and filter (only when one changed).
    pub fn filter(&mut self, file: &VaultFile, search: &str, sort: Sort, attention_only: bool) {
        let key = (search.to_owned(), sort, attention_only, self.builds);
        if self.visible_for.as_ref() == Some(&key) {
            return;
        }
        let words: Vec<String> = search.split_whitespace().map(str::to_lowercase).collect();
        let rows = &self.rows;
        let mut visible: Vec<usize> = (0..rows.len())
            .filter(|&i| {
                let row = &rows[i];
                (row.live || !words.is_empty())
                    && (!attention_only || row.attention)
                    && words.iter().all(|w| row.haystack.contains(w.as_str()))
            })
            .collect();
        let keys = &file.keys;
        let record = |i: usize| keys.get(rows[i].key);
        match sort {
            Sort::Label => visible.sort_by_cached_key(|&i| record(i).map(|k| k.label.to_lowercase())),
            Sort::Provider => visible
                .sort_by_cached_key(|&i| record(i).map(|k| (k.provider.name(), k.label.to_lowercase()))),
            Sort::Created => visible.sort_by_key(|&i| std::cmp::Reverse(record(i).map(|k| k.created_at))),
            Sort::LastCopied => {
                visible.sort_by_key(|&i| std::cmp::Reverse(record(i).and_then(|k| k.last_copied_at)));
            }
        }
        self.visible = visible;
        self.visible_for = Some(key);
    }
}

/// "3 min ago", "2 d ago", "never".
pub fn ago(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(at) = at else { return "never".into() };
    let secs = (now - at).num_seconds().max(0);
    match secs {
        0..=59 => "just now".into(),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86_399 => format!("{} h ago", secs / 3600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// The dashboard.
pub fn dashboard_ui(
    ui: &mut egui::Ui,
    file: &VaultFile,
    state: &mut super::state::DashboardState,
    now: DateTime<Utc>,
) -> Option<Command> {
    let mut command = None;
    state.index.refresh(file, now);
    let counts = state.index.counts;
    ui.horizontal(|ui| {
        let attention =
            counts.expired + counts.expiring + counts.rotation_due + counts.never_verified + counts.retiring;
        if attention == 0 {
            badge_ui(ui, "Nothing needs attention.", Badge::Good);
        } else {
            let text = format!(
                "Needs attention: {} expired · {} expiring · {} rotation due · {} never verified · {} retiring",
                counts.expired, counts.expiring, counts.rotation_due, counts.never_verified, counts.retiring
            );
            ui.toggle_value(&mut state.attention_only, text);
        }
    });
    ui.add_space(theme::GAP / 2.0);
    let search = field_with(
        ui,
        "Search",
        egui::TextEdit::singleline(&mut state.search)
            .hint_text("label, provider, integration, notes (Ctrl+F)"),
    );
    if state.focus_search {
        search.request_focus();
        state.focus_search = false;
    }
    ui.horizontal(|ui| {
        ui.add_space(theme::LABEL_WIDTH + 8.0);
        egui::ComboBox::from_label("Sort by").selected_text(state.sort.word()).show_ui(ui, |ui| {
            for sort in [Sort::Label, Sort::Provider, Sort::Created, Sort::LastCopied] {
                ui.selectable_value(&mut state.sort, sort, sort.word());
            }
        });
    });
    state.index.filter(file, &state.search, state.sort, state.attention_only);
    let keys = &file.keys;
    if search.lost_focus()
        && ui.input(|i| i.key_pressed(egui::Key::Enter))
        && let Some(record) =
            state.index.visible.first().and_then(|&first| keys.get(state.index.rows[first].key))
    {
        command = Some(Command::OpenKey(record.id.clone()));
    }
    ui.separator();
    let index = &state.index;
    if index.rows.is_empty() {
        ui.label("No keys yet. Press \"New key\" (Ctrl+N) to generate one or paste one from a provider.");
        return command;
    }
    ui.label(format!("{} of {} keys", index.visible.len(), index.rows.iter().filter(|r| r.live).count()));
    let heading = |text: &str| egui::RichText::new(text).small().strong();
    ui.horizontal(|ui| {
        cell(ui, COLUMNS[0], |ui| ui.label(heading("LABEL")));
        cell(ui, COLUMNS[1], |ui| ui.label(heading("PROVIDER")));
        cell(ui, COLUMNS[2], |ui| ui.label(heading("HINT")));
        cell(ui, COLUMNS[3], |ui| ui.label(heading("STATUS")));
        cell(ui, COLUMNS[4], |ui| ui.label(heading("LAST COPIED")));
    });
    egui::ScrollArea::vertical().auto_shrink(false).show_rows(
        ui,
        theme::ROW_HEIGHT,
        index.visible.len(),
        |ui, range| {
            for &i in &index.visible[range] {
                let row = &index.rows[i];
                let Some(record) = keys.get(row.key) else { continue };
                ui.horizontal(|ui| {
                    cell(ui, COLUMNS[0], |ui| {
                        let label = egui::RichText::new(&record.label).strong();
                        if ui.add(egui::Button::new(label).frame(false).truncate()).clicked() {
                            command = Some(Command::OpenKey(record.id.clone()));
                        }
                    });
                    cell(ui, COLUMNS[1], |ui| ui.label(record.provider.name()));
                    cell(ui, COLUMNS[2], |ui| ui.label(egui::RichText::new(&record.hint).monospace()));
                    let (status, badge) = row.status.word(record.provider.name());
                    cell(ui, COLUMNS[3], |ui| badge_ui(ui, &status, badge));
                    cell(ui, COLUMNS[4], |ui| ui.label(ago(record.last_copied_at, now)));
                    if row.live && ui.button("Copy").clicked() {
                        command = Some(Command::Copy(record.id.clone()));
                    }
                    ui.menu_button("…", |ui| {
                        if ui.button("Details").clicked() {
                            command = Some(Command::OpenKey(record.id.clone()));
                        }
                        if row.live && ui.button("Verify").clicked() {
                            command = Some(Command::Verify(record.id.clone()));
                        }
                        if row.live && ui.button("Revoke…").clicked() {
                            command = Some(Command::StartRevoke(record.id.clone()));
                        }
                    });
                });
            }
        },
    );
    command
}
