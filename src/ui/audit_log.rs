//! The audit log: every event, newest first, filtered by key and action, with the state of
//! the hash chain.

use super::session::{AuditCache, Command};
use super::state::AuditState;
use super::theme::{self, Badge};
use super::widgets::{badge_ui, cell, field};
use crate::vault::audit::{self, Action, Outcome};
use crate::vault::model::KeyId;

/// The team's own actions (invitations, joins, removals, re-keys), which a local vault's log
/// never holds: left out of its filter.
const TEAM_ONLY: [Action; 5] =
    [Action::Invite, Action::Join, Action::MemberRemove, Action::TeamRekey, Action::Rekey];

/// Whether the filter of a local vault's log offers `action`.
fn local(action: Action) -> bool {
    !TEAM_ONLY.contains(&action)
}

/// The audit log screen, drawn from the log as last read (`None` until it is read), a local
/// vault's or a team vault's (whose lines also say which member did it). `label_of` names a
/// key by its stored id.
pub fn audit_ui(
    ui: &mut egui::Ui,
    label_of: &dyn Fn(&str) -> String,
    cache: Option<&AuditCache>,
    state: &mut AuditState,
) -> Option<Command> {
    let mut command = None;
    let Some(cache) = cache else {
        super::widgets::spinner(ui);
        return None;
    };
    ui.heading("Audit log");
    match &cache.chain {
        Ok(n) => badge_ui(
            ui,
            &format!("The chain verifies: {n} entries, none edited, removed or reordered."),
            Badge::Good,
        ),
        Err(error) => badge_ui(ui, &error.to_string(), Badge::Bad),
    }
    ui.add_space(theme::GAP / 2.0);
    field(ui, "Key filter", &mut state.key_filter);
    ui.horizontal(|ui| {
        let name = super::widgets::form_label(ui, "Action");
        egui::ComboBox::from_id_salt("action")
            .selected_text(state.action_filter.map_or("All", action_words))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut state.action_filter, None, "All");
                let team = !cache.by.is_empty();
                for action in Action::ALL.into_iter().filter(|action| team || local(*action)) {
                    ui.selectable_value(&mut state.action_filter, Some(action), action_words(action));
                }
            })
            .response
            .labelled_by(name.id);
    });
    ui.separator();
    let needle = state.key_filter.trim().to_lowercase();
    let shown: Vec<(usize, &audit::Record)> = cache
        .records
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, r)| state.action_filter.is_none_or(|a| a == r.action))
        .filter(|(_, r)| {
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
            // The key and a failure's words share what the fixed columns leave, so the row
            // ends inside the window down to 760 px (each is shown whole on hover).
            let by = if cache.by.is_empty() { 0.0 } else { 90.0 };
            let rest = ui.available_width() - 180.0 - 120.0 - by - 5.0 * ui.spacing().item_spacing.x;
            let key_width = (rest * 0.4).clamp(70.0, 200.0);
            let failed_width = ((rest - key_width) * 0.5).clamp(60.0, 240.0);
            for &(at, record) in &shown[range] {
                ui.horizontal(|ui| {
                    cell(ui, 180.0, |ui| ui.label(record.at.format("%Y-%m-%d %H:%M:%S UTC").to_string()));
                    if let Some(by) = cache.by.get(at) {
                        cell(ui, 90.0, |ui| ui.add(egui::Label::new(by.as_str()).truncate()));
                    }
                    cell(ui, 120.0, |ui| ui.label(action_words(record.action)));
                    let key = record.key.as_deref().map_or_else(|| "—".into(), label_of);
                    let open = cell(ui, key_width, |ui| {
                        // A button is not shown whole by egui when cut, as a label is.
                        ui.add(egui::Button::new(key.as_str()).frame(false).truncate())
                            .on_hover_text(&key)
                            .clicked()
                    });
                    if open && let Some(id) = &record.key {
                        command = Some(Command::OpenKey(KeyId::from_stored(id)));
                    }
                    // Long text is cut to the row and shown whole on hover.
                    let (said, kind) = match &record.outcome {
                        Outcome::Ok => ("done".to_owned(), Badge::Good),
                        Outcome::Failed(why) => (format!("failed: {why}"), Badge::Bad),
                    };
                    let colour = theme::badge(ui.visuals().dark_mode, kind);
                    let outcome = egui::RichText::new(&said).color(colour).strong();
                    cell(ui, if matches!(record.outcome, Outcome::Ok) { 60.0 } else { failed_width }, |ui| {
                        ui.add(egui::Label::new(outcome).truncate());
                    });
                    let detail = record.detail.replace('\n', " ");
                    ui.add(egui::Label::new(detail.as_str()).truncate());
                });
            }
        },
    );
    command
}

/// An action in plain words ("account added", not "account-add").
pub fn action_words(action: crate::vault::audit::Action) -> &'static str {
    use crate::vault::audit::Action;
    match action {
        Action::CreateVault => "vault created",
        Action::ChangePassword => "password changed",
        Action::Generate => "key generated",
        Action::Add => "key added",
        Action::Edit => "key edited",
        Action::Copy => "copied",
        Action::Reveal => "revealed",
        Action::Verify => "checked",
        Action::Rotate => "rotated",
        Action::Revoke => "revoked",
        Action::Whois => "looked up",
        Action::AccountAdd => "account added",
        Action::AccountRemove => "account removed",
        Action::Settings => "settings changed",
        Action::Repair => "repaired",
        Action::Integrity => "outside change",
        Action::Backup => "backed up",
        Action::Restore => "restored",
        Action::Incident => "incident",
        Action::Import => "keys imported",
        Action::Usage => "last use asked",
        Action::Health => "health score",
        Action::Export => "exported",
        Action::Invite => "member invited",
        Action::Join => "member joined",
        Action::MemberRemove => "member removed",
        Action::TeamRekey => "team key made anew",
        Action::Rekey => "sealed again",
        Action::Fill => "filled in a browser",
        Action::Browser => "browser setting",
        Action::PasteWarning => "key pasted elsewhere",
    }
}

#[cfg(test)]
mod filter_tests {
    use super::*;

    #[test]
    fn a_local_vaults_filter_offers_every_action_but_the_teams_own() {
        let offered: Vec<Action> = Action::ALL.into_iter().filter(|a| local(*a)).collect();
        for action in [Action::Fill, Action::Browser, Action::PasteWarning, Action::Health, Action::Add] {
            assert!(offered.contains(&action), "{action:?}");
        }
        assert_eq!(offered.len(), Action::ALL.len() - TEAM_ONLY.len());
    }
}
