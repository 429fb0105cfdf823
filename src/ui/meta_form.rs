//! The describing fields of a key form (label, expiry, rotation, integrations, notes) as
//! typed, read into a [`KeyMeta`] with the same readers as the command line.

use super::theme;
use super::widgets::field_with;
use crate::vault::meta::{self, KeyMeta};
use crate::vault::model::KeyRecord;
use crate::vault::{KeyEdit, VaultError};

/// What a key form holds for its metadata, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaForm {
    pub label: String,
    pub expires: String,
    pub rotate_days: String,
    /// Name and settings address of each integration.
    pub integrations: Vec<(String, String)>,
    pub notes: String,
}

impl Default for MetaForm {
    fn default() -> Self {
        MetaForm {
            label: String::new(),
            expires: String::new(),
            rotate_days: String::new(),
            integrations: vec![(String::new(), String::new())],
            notes: String::new(),
        }
    }
}

impl MetaForm {
    /// The form filled from a key's record.
    pub fn from_record(record: &KeyRecord) -> Self {
        let mut form = MetaForm {
            label: record.label.clone(),
            expires: record.expires_at.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default(),
            rotate_days: record.rotate_after_days.map(|d| d.to_string()).unwrap_or_default(),
            integrations: record
                .integrations
                .iter()
                .map(|i| (i.name.clone(), i.url.clone().unwrap_or_default()))
                .collect(),
            notes: record.notes.clone(),
        };
        if form.integrations.is_empty() {
            form.integrations.push((String::new(), String::new()));
        }
        form
    }

    /// The metadata typed, or the first sentence saying what is wrong. (The vault checks the
    /// rest when the key is kept.)
    pub fn parse(&self) -> Result<KeyMeta, VaultError> {
        Ok(KeyMeta {
            label: self.label.clone(),
            expires_at: meta::parse_date(&self.expires)?,
            rotate_after_days: meta::parse_days(&self.rotate_days)?,
            integrations: meta::integrations_from_rows(&self.integrations),
            notes: self.notes.clone(),
        })
    }
}

impl MetaForm {
    /// What the form changes of `record`: each field that differs, or the first sentence
    /// saying what is wrong.
    pub fn edit_of(&self, record: &KeyRecord) -> Result<KeyEdit, VaultError> {
        let meta = self.parse()?;
        Ok(KeyEdit {
            label: (meta.label != record.label).then_some(meta.label),
            notes: (meta.notes != record.notes).then_some(meta.notes),
            integrations: Some(meta.integrations).filter(|i| *i != record.integrations),
            expires_at: (meta.expires_at != record.expires_at).then_some(meta.expires_at),
            rotate_after_days: (meta.rotate_after_days != record.rotate_after_days)
                .then_some(meta.rotate_after_days),
            scopes: None,
        })
    }
}

/// The label, notes, schedule and integrations fields of a key being edited.
pub fn details_ui(ui: &mut egui::Ui, form: &mut MetaForm) -> egui::Response {
    let label = super::widgets::field(ui, "Label", &mut form.label);
    field_with(ui, "Notes", egui::TextEdit::multiline(&mut form.notes).desired_rows(3));
    schedule_ui(ui, form);
    integrations_ui(ui, &mut form.integrations);
    label
}

/// The expiry and rotation fields.
pub fn schedule_ui(ui: &mut egui::Ui, form: &mut MetaForm) {
    field_with(
        ui,
        "Expires",
        egui::TextEdit::singleline(&mut form.expires).hint_text("YYYY-MM-DD, empty for never"),
    );
    field_with(
        ui,
        "Rotate every",
        egui::TextEdit::singleline(&mut form.rotate_days).hint_text("days, e.g. 90; empty for never"),
    );
}

/// The width of an integration's name field.
const NAME_WIDTH: f32 = 150.0;
/// What a row keeps for its Remove button.
const REMOVE_WIDTH: f32 = 72.0;

/// The integrations editor: a grid under the form's label column, a row per integration
/// (name, settings address, Remove), then "Add integration". Its columns have fixed widths
/// (egui's `Grid` would size them from the last frame, squeezing a field to its heading), so
/// a row never wraps: the address field takes what the window leaves, at every width.
pub fn integrations_ui(ui: &mut egui::Ui, rows: &mut Vec<(String, String)>) {
    use super::widgets::cell;
    let spacing = ui.spacing().item_spacing.x;
    let url_width = (ui.available_width() - theme::LABEL_WIDTH - NAME_WIDTH - REMOVE_WIDTH - 3.0 * spacing)
        .clamp(140.0, 640.0);
    let mut remove = None;
    // The headings name the fields under them (for screen readers, and tests).
    let (name_heading, url_heading) = ui
        .horizontal(|ui| {
            super::widgets::form_label(ui, "Integrations");
            let heading = |text: &str| egui::RichText::new(text).small().strong();
            let name = cell(ui, NAME_WIDTH, |ui| ui.label(heading("Used by")));
            let url = cell(ui, url_width, |ui| ui.label(heading("URL")));
            (name.id, url.id)
        })
        .inner;
    for (i, (name, url)) in rows.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + spacing);
            cell(ui, NAME_WIDTH, |ui| {
                let edit = egui::TextEdit::singleline(name).desired_width(NAME_WIDTH).hint_text("HubSpot");
                ui.add(edit).labelled_by(name_heading);
            });
            cell(ui, url_width, |ui| {
                let edit = egui::TextEdit::singleline(url).desired_width(url_width).hint_text("https://…");
                ui.add(edit).labelled_by(url_heading);
            });
            if ui.small_button("Remove").clicked() {
                remove = Some(i);
            }
        });
    }
    if let Some(i) = remove {
        rows.remove(i);
    }
    ui.horizontal(|ui| {
        ui.add_space(theme::LABEL_WIDTH + spacing);
        if ui.small_button("Add integration").clicked() {
            rows.push((String::new(), String::new()));
        }
    });
}
