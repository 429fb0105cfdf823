//! One row of the key list and the headings over the rows: the label (opens the key), provider,
//! status, the optional columns, Copy and the row's menu. Each button is named in the
//! accessibility tree for the key it acts on ("Copy SendGrid production"), so a screen reader
//! tells the rows' buttons apart.

use chrono::{DateTime, Utc};

use super::dashboard::{Column, Layout, PROVIDER_WIDTH, Row, RowStatus};
use super::detail::KeyBook;
use super::session::Command;
use super::theme::Badge;
use super::widgets::{accessible_name, cell};
use crate::vault::model::KeyRecord;

/// The list's column headings, as wide as the columns under them.
pub(super) fn header_row_ui(ui: &mut egui::Ui, layout: &Layout) {
    let heading = |text: &str| egui::RichText::new(text).small().strong();
    ui.horizontal(|ui| {
        cell(ui, layout.label, |ui| ui.label(heading("LABEL")));
        if layout.full {
            cell(ui, PROVIDER_WIDTH, |ui| ui.label(heading("PROVIDER")));
        }
        cell(ui, layout.status, |ui| ui.label(heading("STATUS")));
        for &(column, width) in &layout.optional {
            let name = match column {
                Column::ChangedBy => "CHANGED BY",
                Column::UsedBy => "USED BY",
                Column::Hint => "HINT",
                Column::LastCopied => "LAST COPIED",
            };
            cell(ui, width, |ui| ui.label(heading(name)));
        }
    });
}

/// One key's row: its label (opens it), provider, status, the optional columns, Copy and the
/// row's menu.
pub(super) fn key_row_ui(
    ui: &mut egui::Ui,
    file: &dyn KeyBook,
    row: &Row,
    record: &KeyRecord,
    layout: &Layout,
    now: DateTime<Utc>,
    command: &mut Option<Command>,
) {
    cell(ui, layout.label, |ui| {
        // The compact list (beside a key's page) has no provider column: the mark leads the label.
        if !layout.full {
            super::widgets::provider_mark_ui(ui, record.provider);
        }
        let label = egui::RichText::new(&record.label).strong();
        let open = ui.add(egui::Button::new(label).frame(false).truncate());
        accessible_name(&open, || format!("Open {}", record.label));
        if open.on_hover_text(&record.label).clicked() {
            *command = Some(Command::OpenKey(record.id.clone()));
        }
    });
    if layout.full {
        cell(ui, PROVIDER_WIDTH, |ui| {
            super::widgets::provider_mark_ui(ui, record.provider);
            ui.label(record.provider.name());
        });
    }
    let (status, badge) = row_status(file, row, record);
    cell(ui, layout.status, |ui| {
        super::card::chip(ui, &status, badge, true);
    });
    for &(column, width) in &layout.optional {
        cell(ui, width, |ui| match column {
            Column::ChangedBy => {
                ui.add(egui::Label::new(file.changed_by(&record.id).unwrap_or_default()).truncate());
            }
            Column::UsedBy => {
                let names: Vec<&str> = record.integrations.iter().map(|i| i.name.as_str()).collect();
                let used = if names.is_empty() { "—".to_owned() } else { names.join(", ") };
                ui.add(egui::Label::new(used.as_str()).truncate());
            }
            Column::Hint => {
                ui.add(egui::Label::new(egui::RichText::new(&record.hint).monospace()).truncate());
            }
            Column::LastCopied => {
                ui.label(crate::words::ago(record.last_copied_at, now));
            }
        });
    }
    // A retiring key's Copy is there but not inviting: its replacement is the one to use.
    if row.live {
        // Its icon where the row is full; the compact list beside a key's page keeps the word.
        let word = if layout.full { format!("{}  Copy", super::card::icon::COPY) } else { "Copy".to_owned() };
        let copy = if row.status == RowStatus::Retiring {
            egui::Button::new(egui::RichText::new(word).weak()).frame(false)
        } else {
            egui::Button::new(word)
        };
        // Off, saying why, while no copy can be made (a team vault's server must answer).
        let copy = ui.add_enabled(file.why_not_read().is_none(), copy);
        let copy = match file.why_not_read() {
            Some(why) => copy.on_disabled_hover_text(why),
            None => copy,
        };
        accessible_name(&copy, || format!("Copy {}", record.label));
        if copy.on_hover_text(format!("Copy the key \"{}\"", record.label)).clicked() {
            *command = Some(Command::Copy(record.id.clone()));
        }
    }
    if !layout.full {
        return;
    }
    let menu = ui.menu_button("…", |ui| {
        let details = ui.button("Details");
        accessible_name(&details, || format!("Details of {}", record.label));
        if details.clicked() {
            *command = Some(Command::OpenKey(record.id.clone()));
        }
        if !row.live {
            return;
        }
        let verify = ui.button("Verify");
        accessible_name(&verify, || format!("Verify {}", record.label));
        if verify.clicked() {
            *command = Some(Command::Verify(record.id.clone()));
        }
        let revoke = ui.add(super::widgets::destructive_button(ui, "Revoke…"));
        accessible_name(&revoke, || format!("Revoke {}…", record.label));
        if revoke.clicked() {
            *command = Some(Command::StartRevoke(record.id.clone()));
        }
    });
    accessible_name(&menu.response, || format!("More for {}", record.label));
}

/// A row's status word and colour; a retiring key says how far the move to its replacement is.
fn row_status(file: &dyn KeyBook, row: &Row, record: &KeyRecord) -> (String, Badge) {
    match (row.status, &record.replaced_by) {
        (RowStatus::Retiring, Some(by)) => {
            let by = file.key(by).map_or("its replacement", |k| k.label.as_str());
            let since = record.rotation.as_ref().map(|r| r.started_at.format("%Y-%m-%d").to_string());
            match record.rotation.as_deref().map(crate::vault::model::Rotation::progress) {
                // The move of its integrations, while one is under way.
                Some((moved, total)) if total > 0 => {
                    (format!("retiring — {moved} of {total} integrations moved to {by}"), Badge::Warn)
                }
                _ => (
                    format!(
                        "retiring — replaced by {by}{}",
                        since.map(|d| format!(", {d}")).unwrap_or_default()
                    ),
                    Badge::Warn,
                ),
            }
        }
        _ => row.status.word(record.provider.name()),
    }
}
