//! The import's column picker: a table whose columns Keydesk cannot tell shows its columns, a
//! pick-list per field (Label, Key, Notes, Expires, URL, Tags), and its first rows as the
//! picks read them; once the label and the key are picked, the file is previewed with those
//! columns (the same reading as `keydesk import --columns`).

use super::settings::TransferAction;
use super::state::{ColumnPicker, TransferState};
use super::theme::{self, Badge};
use super::widgets::{badge_ui, cell, form_label};
use crate::import::columns::Field;
use crate::vault::format::clip;

/// What a pick-list says of no column.
const NONE: &str = "— none —";

/// A column as the pick-list names it: its header and its number.
fn column_name(picker: &ColumnPicker, at: usize) -> String {
    match picker.sample.columns.get(at).map(String::as_str) {
        Some("") | None => format!("(column {})", at + 1),
        Some(name) => format!("{} (column {})", clip(name, 40), at + 1),
    }
}

/// The picker of `state`, when it is of the file typed; what the user asked.
pub fn picker_ui(ui: &mut egui::Ui, state: &mut TransferState) -> Option<TransferAction> {
    let path = state.import_path.trim().to_owned();
    let picker = state.import_picker.as_mut().filter(|picker| picker.path == path)?;
    let mut found: Vec<String> =
        picker.sample.columns.iter().take(12).map(|c| format!("\"{}\"", clip(c, 30))).collect();
    if picker.sample.columns.len() > 12 {
        found.push("…".to_owned());
    }
    ui.add(
        egui::Label::new(format!(
            "Keydesk cannot tell which columns hold the label and the key. The first row has {}: pick the column of each field.",
            found.join(", ")
        ))
        .wrap(),
    );
    for (index, field) in Field::PICKED.into_iter().enumerate() {
        ui.horizontal(|ui| {
            let name = form_label(ui, field.name());
            let chosen = picker.picks[index].map_or_else(|| NONE.to_owned(), |at| column_name(picker, at));
            let mut pick = picker.picks[index];
            egui::ComboBox::from_id_salt(("import-column", field.word()))
                .selected_text(chosen)
                .width(260.0)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut pick, None, NONE);
                    for at in 0..picker.sample.columns.len() {
                        ui.selectable_value(&mut pick, Some(at), column_name(picker, at));
                    }
                })
                .response
                .labelled_by(name.id);
            picker.picks[index] = pick;
        });
    }
    rows_ui(ui, picker);
    let chosen = picker.chosen();
    let has = |field: Field| chosen.iter().any(|(f, _)| *f == field);
    let checked = if has(Field::Key) && (has(Field::Label) || has(Field::Url)) {
        picker.sample.check(&chosen)
    } else {
        Err("Pick the columns of the label and the key.".to_owned())
    };
    if let Err(problem) = &checked {
        badge_ui(ui, &sentence(problem), Badge::Warn);
    }
    let mut command = None;
    ui.horizontal(|ui| {
        ui.add_space(theme::LABEL_WIDTH + 8.0);
        if ui.add_enabled(checked.is_ok(), egui::Button::new("Preview with these columns")).clicked() {
            command = Some(TransferAction::Preview {
                path: path.clone().into(),
                format: state.import_format,
                columns: Some(picker.columns()),
            });
        }
    });
    command
}

/// The first rows as the picks read them (a key by its length, never its characters).
fn rows_ui(ui: &mut egui::Ui, picker: &ColumnPicker) {
    let chosen = picker.chosen();
    if chosen.is_empty() || picker.sample.is_empty() {
        return;
    }
    // Each cell and the gap after it share the width.
    let count = chosen.len() as f32;
    let gap = ui.spacing().item_spacing.x;
    let width = ((ui.available_width() - gap * count) / count).clamp(40.0, 200.0);
    let row = |ui: &mut egui::Ui, cells: Vec<egui::RichText>| {
        ui.horizontal(|ui| {
            for text in cells {
                cell(ui, width, |ui| ui.add(egui::Label::new(text).truncate()));
            }
        });
    };
    ui.add_space(4.0);
    row(ui, chosen.iter().map(|(field, _)| egui::RichText::new(field.name()).strong()).collect());
    for cells in picker.sample.shown(&chosen) {
        row(ui, cells.into_iter().map(egui::RichText::new).collect());
    }
}

/// `problem` as a sentence: a capital first and a full stop last.
fn sentence(problem: &str) -> String {
    let mut chars = problem.chars();
    let first: String = chars.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
    let rest = chars.as_str();
    if rest.ends_with('.') { format!("{first}{rest}") } else { format!("{first}{rest}.") }
}
