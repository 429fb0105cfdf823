//! The audit log: every event, newest first, filtered by key and action, with the state of
//! the hash chain.

use super::session::{AuditCache, Command};
use super::state::AuditState;
use super::theme::{self, Badge};
use super::widgets::{badge_ui, cell, field};
use crate::vault::audit::{self, Action, Outcome};
use crate::vault::model::{KeyId, VaultFile};

const ACTIONS: [Action; 17] = [
    Action::CreateVault,
    Action::ChangePassword,
    Action::Generate,
    Action::Add,
    Action::Edit,
    Action::Copy,
    Action::Reveal,
    Action::Verify,
    Action::Rotate,
    Action::Revoke,
    Action::Whois,
    Action::AccountAdd,
    Action::AccountRemove,
    Action::Settings,
    Action::Repair,
    Action::Backup,
    Action::Restore,
];

/// The audit log screen.
/// The audit log screen, drawn from the log as last read (`None` until it is read).
pub fn audit_ui(
    ui: &mut egui::Ui,
    file: &VaultFile,
    cache: Option<&AuditCache>,
    state: &mut AuditState,
) -> Option<Command> {
    let mut command = None;
    let Some(cache) = cache else {
        ui.spinner();
        return None;
    };
    ui.heading("Audit log");
    match &cache.chain {
        Ok(n) => badge_ui(
            ui,
            &format!("The chain verifies: {n} entries, none edited, removed or reordered."),
            Badge::Good,
        ),
        Err(error) => badge_ui(ui, error, Badge::Bad),
    }
    ui.add_space(theme::GAP / 2.0);
    field(ui, "Key filter", &mut state.key_filter);
    ui.horizontal(|ui| {
        let name = super::widgets::form_label(ui, "Action");
        egui::ComboBox::from_id_salt("action")
            .selected_text(state.action_filter.map_or("All", |a| a.word()))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut state.action_filter, None, "All");
                for action in ACTIONS {
                    ui.selectable_value(&mut state.action_filter, Some(action), action.word());
                }
            })
            .response
            .labelled_by(name.id);
    });
    ui.separator();
    let needle = state.key_filter.trim().to_lowercase();
    let label_of =
        |id: &str| file.key(&KeyId::from_stored(id)).map_or_else(|| id.to_owned(), |k| k.label.clone());
    let shown: Vec<&audit::Record> = cache
        .records
        .iter()
        .rev()
        .filter(|r| state.action_filter.is_none_or(|a| a == r.action))
        .filter(|r| {
            needle.is_empty()
                || r.key
                    .as_deref()
                    .is_some_and(|k| k.contains(&needle) || label_of(k).to_lowercase().contains(&needle))
        })
        .collect();
    egui::ScrollArea::vertical().auto_shrink(false).show_rows(
        ui,
        theme::ROW_HEIGHT,
        shown.len(),
        |ui, range| {
            for record in &shown[range] {
                ui.horizontal(|ui| {
                    cell(ui, 150.0, |ui| ui.label(record.at.format("%Y-%m-%d %H:%M:%S").to_string()));
                    cell(ui, 120.0, |ui| ui.label(record.action.word()));
                    let key = record.key.as_deref().map_or_else(|| "—".into(), label_of);
                    let open = cell(ui, 200.0, |ui| {
                        ui.add(egui::Button::new(key).frame(false).truncate()).clicked()
                    });
                    if open && let Some(id) = &record.key {
                        command = Some(Command::OpenKey(KeyId::from_stored(id)));
                    }
                    match &record.outcome {
                        Outcome::Ok => badge_ui(ui, "ok", Badge::Good),
                        Outcome::Failed(why) => badge_ui(ui, &format!("failed: {why}"), Badge::Bad),
                    }
                    ui.label(record.detail.replace('\n', " "));
                });
            }
        },
    );
    command
}
