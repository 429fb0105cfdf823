//! The sections of a key's page below its facts: the open incident (a red-tinted card at the
//! top), the incidents, the rotation under way, the activity chart and the history.

use chrono::{DateTime, Utc};

use super::card;
use super::detail::KeyBook;
use super::session::Command;
use super::state::{DetailState, IncidentForm};
use super::theme;
use super::widgets::{error_ui, field, field_with};
use crate::vault::audit::{Outcome, Record};
use crate::vault::model::KeyRecord;

/// The key's open incident, in a red-tinted card at the top of its page: its timeline, its
/// report and its closing.
pub(super) fn open_incident_ui(
    ui: &mut egui::Ui,
    file: &dyn KeyBook,
    record: &KeyRecord,
    state: &mut DetailState,
) -> Option<Command> {
    let mut command = None;
    for incident in file.incidents().iter().filter(|i| i.key == record.id && i.closed_at.is_none()) {
        let title = "A suspected leak of this key: revoke it, replace it, then close the incident";
        let form = &mut state.incident;
        let asked = card::alert(ui, title, |ui| {
            let step = incident_ui(ui, incident, form);
            error_ui(ui, &form.error);
            step
        });
        if let Some(step) = asked {
            command = Some(step);
        }
    }
    command
}

/// The key's closed incidents with their summary, and, while none is open, "Report a
/// suspected leak" (a card of its own).
pub(super) fn incidents_ui(
    ui: &mut egui::Ui,
    file: &dyn KeyBook,
    record: &KeyRecord,
    state: &mut DetailState,
) -> Option<Command> {
    let mut command = None;
    let incidents: Vec<_> = file.incidents().iter().filter(|i| i.key == record.id).collect();
    let open = incidents.iter().any(|i| i.closed_at.is_none());
    card::section(ui, "Incidents", |ui| {
        for incident in incidents.iter().filter(|i| i.closed_at.is_some()) {
            if let Some(step) = incident_ui(ui, incident, &mut state.incident) {
                command = Some(step);
            }
            ui.add_space(theme::SPACE_8);
        }
        if !open && let Some(step) = report_leak_ui(ui, record, &mut state.incident) {
            command = Some(step);
        }
        if open {
            ui.label(egui::RichText::new("The open incident is at the top of this page.").weak());
        } else {
            error_ui(ui, &state.incident.error);
        }
    });
    command
}

/// One incident: its state, where the key was found, its timeline; an open one's summary and
/// Close; the report file and its button.
pub(super) fn incident_ui(
    ui: &mut egui::Ui,
    incident: &crate::vault::model::Incident,
    form: &mut IncidentForm,
) -> Option<Command> {
    let mut command = None;
    let open = incident.closed_at.is_none();
    ui.horizontal_wrapped(|ui| {
        ui.label(egui::RichText::new(format!("Incident {}", incident.id)).strong());
        if open {
            card::chip(ui, "open", theme::Badge::Bad, false);
        } else {
            card::chip(ui, "closed", theme::Badge::Muted, false);
        }
    });
    {
        let by = if incident.noticed_by.is_empty() {
            String::new()
        } else {
            format!(", noticed by {}", incident.noticed_by)
        };
        ui.label(format!("Found in {}{by}.", incident.found_where));
        for event in &incident.timeline {
            ui.label(format!("{}  {}", event.at.format("%Y-%m-%d %H:%M UTC"), event.what));
        }
        if open {
            field_with(ui, "Summary", egui::TextEdit::multiline(&mut form.summary).desired_rows(2));
            ui.horizontal(|ui| {
                ui.add_space(theme::LABEL_WIDTH + 8.0);
                // An empty summary is said at once, on either kind of vault (the vault refuses it
                // in the same words).
                if ui.button("Close incident").clicked() {
                    let summary = form.summary.trim();
                    if summary.is_empty() {
                        form.error = Some(crate::vault::VaultError::EmptySummary.to_string());
                    } else {
                        let (id, summary) = (incident.id.clone(), summary.to_owned());
                        command = Some(Command::CloseIncident { id, summary });
                    }
                }
            });
        }
        field(ui, "Report file", &mut form.report_path);
        let report = super::state::FileTarget::Report;
        if super::files::choose_button_ui(ui, report, &form.chooser_note) {
            command = Some(Command::ChooseFile(report));
        }
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + 8.0);
            if ui.button(format!("Write the report of {}", incident.id)).clicked() {
                let path = form.report_path.trim();
                if path.is_empty() {
                    form.error =
                        Some("Give the report a file path, such as ~/Documents/incident.md.".to_owned());
                } else {
                    command = Some(Command::ExportIncident { id: incident.id.clone(), path: path.into() });
                }
            }
        });
    }
    command
}

/// "Report a suspected leak": where the key was seen and by whom, then Open incident.
fn report_leak_ui(ui: &mut egui::Ui, record: &KeyRecord, form: &mut IncidentForm) -> Option<Command> {
    let mut command = None;
    {
        // Red, as every suspected-leak action: what follows is urgent.
        let red = theme::badge(ui.visuals().dark_mode, theme::Badge::Bad);
        let title = egui::RichText::new("Report a suspected leak").color(red);
        egui::CollapsingHeader::new(title).id_salt("report-leak").show(ui, |ui| {
            ui.label("Where was the key seen, and by whom? Then revoke it and replace it: each step joins the incident, and its report is one file to send.");
            field(ui, "Found where", &mut form.found_where);
            field(ui, "Noticed by", &mut form.noticed_by);
            field_with(ui, "What happened", egui::TextEdit::multiline(&mut form.notes).desired_rows(2));
            ui.horizontal(|ui| {
                ui.add_space(theme::LABEL_WIDTH + 8.0);
                if ui.button("Open incident").clicked() {
                    let report = crate::vault::incidents::IncidentReport {
                        found_where: form.found_where.clone(),
                        noticed_by: form.noticed_by.clone(),
                        notes: form.notes.clone(),
                    };
                    command = Some(Command::OpenIncident { key: record.id.clone(), report });
                }
            });
        });
    }
    command
}

/// The rotation of `record` (the old key) under way: a row per integration (copy the new key,
/// open the integration's settings, tick updated and tested), then Finish, which revokes the
/// old key.
pub(super) fn rotation_ui(
    ui: &mut egui::Ui,
    file: &dyn KeyBook,
    record: &crate::vault::model::KeyRecord,
    rotation: &crate::vault::model::Rotation,
    state: &mut DetailState,
) -> Option<Command> {
    use crate::vault::Moved;
    let mut command = None;
    let new = record.replaced_by.as_ref().and_then(|id| file.key(id));
    let (moved, total) = rotation.progress();
    // A key revoked first (a leak) is not revoked again: finishing only closes the rotation.
    let revoked = !record.is_live();
    let then = if revoked {
        "then finish (the old key is already revoked)"
    } else {
        "then finish: the old key is revoked"
    };
    ui.label(format!(
        "\"{}\" ({}) is being replaced, since {}. Move each integration to the new key, {then}. {moved} of {total} integrations moved.",
        record.label,
        record.hint,
        rotation.started_at.format("%Y-%m-%d")
    ));
    if let Some(new) = new
        && ui.button("Copy new key").clicked()
    {
        command = Some(Command::Copy(new.id.clone()));
    }
    egui::Grid::new("rotation").num_columns(4).spacing([16.0, 6.0]).show(ui, |ui| {
        for step in &rotation.steps {
            ui.label(&step.integration);
            let url =
                record.integrations.iter().find(|i| i.name == step.integration).and_then(|i| i.url.clone());
            match url {
                Some(url) => {
                    if ui.button("Open its settings").on_hover_text(&url).clicked() {
                        ui.ctx().open_url(egui::OpenUrl::new_tab(url));
                    }
                }
                None => {
                    ui.label("");
                }
            }
            for (done, word, kind) in [
                (step.updated_at.is_some(), "Updated", Moved::Updated),
                (step.tested_at.is_some(), "Tested", Moved::Tested),
            ] {
                let mut ticked = done;
                let tick = ui.add_enabled(
                    !done,
                    egui::Checkbox::new(&mut ticked, format!("{word}: {}", step.integration)),
                );
                if tick.clicked() && !done {
                    command = Some(Command::MarkRotation {
                        old: record.id.clone(),
                        integration: step.integration.clone(),
                        step: kind,
                    });
                }
            }
            ui.end_row();
        }
    });
    let left = total - moved;
    if left > 0 {
        field_with(
            ui,
            "Finish anyway, because",
            egui::TextEdit::singleline(&mut state.finish_reason).hint_text("e.g. the Zapier zap was deleted"),
        );
    }
    let reason = state.finish_reason.trim().to_owned();
    let ready = left == 0 || !reason.is_empty();
    let finish = ui
        .add_enabled(
            ready,
            egui::Button::new(if revoked {
                "Finish rotation (the old key is already revoked)"
            } else {
                "Finish rotation: revoke the old key…"
            }),
        )
        .on_disabled_hover_text(format!("{left} integrations are not yet updated and tested"));
    if finish.clicked() {
        command =
            Some(Command::FinishRotation { old: record.id.clone(), reason: (left > 0).then_some(reason) });
    }
    // Giving up: the new key is revoked and the old one stays in use.
    ui.add_space(theme::GAP);
    field_with(
        ui,
        "Abandon, because",
        egui::TextEdit::singleline(&mut state.abandon_reason)
            .hint_text("e.g. the new key was pasted in a chat"),
    );
    let reason = state.abandon_reason.trim().to_owned();
    let abandon = ui
        .add_enabled(!reason.is_empty(), egui::Button::new("Abandon rotation: revoke the new key…"))
        .on_disabled_hover_text("Say why the rotation is given up: it is kept with it.");
    if abandon.clicked() {
        command = Some(Command::AbandonRotation { old: record.id.clone(), reason });
    }
    command
}

/// How many days the activity chart spans.
const ACTIVITY_DAYS: usize = 90;

/// A key's uses per day over the last 90 days, from its audit records.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Activity {
    /// Oldest day first: (copies, reveals, checks at the provider, failures of any of them).
    pub days: Vec<(u32, u32, u32, u32)>,
    pub copies: u32,
    pub reveals: u32,
    pub checks: u32,
    pub failures: u32,
}

impl Activity {
    /// Counts `history` (a key's audit records) by day, the last day being `now`'s.
    pub fn of(history: &[crate::vault::audit::Record], now: DateTime<Utc>) -> Self {
        use crate::vault::audit::Action;
        let mut activity = Activity { days: vec![(0, 0, 0, 0); ACTIVITY_DAYS], ..Activity::default() };
        let today = now.date_naive();
        for record in history {
            let Ok(ago) = usize::try_from((today - record.at.date_naive()).num_days()) else { continue };
            let Some(day) = ACTIVITY_DAYS.checked_sub(ago + 1).and_then(|i| activity.days.get_mut(i)) else {
                continue;
            };
            let failed = matches!(record.outcome, Outcome::Failed(_));
            match record.action {
                Action::Copy if !failed => (day.0, activity.copies) = (day.0 + 1, activity.copies + 1),
                Action::Reveal if !failed => (day.1, activity.reveals) = (day.1 + 1, activity.reveals + 1),
                Action::Verify => (day.2, activity.checks) = (day.2 + 1, activity.checks + 1),
                _ => {}
            }
            if failed && matches!(record.action, Action::Copy | Action::Reveal | Action::Verify) {
                (day.3, activity.failures) = (day.3 + 1, activity.failures + 1);
            }
        }
        activity
    }
}

/// A bar a day (copies, reveals and checks stacked; a failure marked below its day), drawn
/// with the painter, and the totals in words.
pub(super) fn activity_ui(ui: &mut egui::Ui, activity: &Activity) {
    let dark = ui.visuals().dark_mode;
    let (copy, reveal, check, fail) = (
        theme::badge(dark, theme::Badge::Good),
        theme::badge(dark, theme::Badge::Warn),
        ui.visuals().text_color(),
        theme::badge(dark, theme::Badge::Bad),
    );
    let width = ui.available_width().min(540.0);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(width, 60.0), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    painter.line_segment(
        [rect.left_bottom() - egui::vec2(0.0, 6.0), rect.right_bottom() - egui::vec2(0.0, 6.0)],
        egui::Stroke::new(1.0, ui.visuals().weak_text_color()),
    );
    let most = activity.days.iter().map(|d| d.0 + d.1 + d.2).max().unwrap_or(0).max(1);
    #[allow(clippy::cast_precision_loss, reason = "counts of a few thousand at most")]
    let (slot, unit) = (width / ACTIVITY_DAYS as f32, (rect.height() - 8.0) / most as f32);
    for (i, &(copies, reveals, checks, failures)) in activity.days.iter().enumerate() {
        #[allow(clippy::cast_precision_loss, reason = "a day's index")]
        let x = rect.left() + slot * i as f32;
        let mut base = rect.bottom() - 6.0;
        for (count, colour) in [(copies, copy), (reveals, reveal), (checks, check)] {
            #[allow(clippy::cast_precision_loss, reason = "a day's count")]
            let height = unit * count as f32;
            if count > 0 {
                let bar =
                    egui::Rect::from_min_max(egui::pos2(x, base - height), egui::pos2(x + slot * 0.8, base));
                painter.rect_filled(bar, 0.0, colour);
            }
            base -= height;
        }
        if failures > 0 {
            let mark = egui::Rect::from_min_max(
                egui::pos2(x, rect.bottom() - 4.0),
                egui::pos2(x + slot * 0.8, rect.bottom()),
            );
            painter.rect_filled(mark, 0.0, fail);
        }
    }
    ui.horizontal_wrapped(|ui| {
        let words = |n: u32, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        ui.label(egui::RichText::new(words(activity.copies, "copy", "copies")).color(copy));
        ui.label(egui::RichText::new(words(activity.reveals, "reveal", "reveals")).color(reveal));
        ui.label(
            egui::RichText::new(words(activity.checks, "check at the provider", "checks at the provider"))
                .color(check),
        );
        if activity.failures > 0 {
            ui.label(egui::RichText::new(words(activity.failures, "failure", "failures")).color(fail));
        } else {
            ui.label("no failures");
        }
    });
}

/// The key's audit lines, newest first.
pub(super) fn history_ui(ui: &mut egui::Ui, history: &[Record]) {
    for entry in history.iter().rev() {
        let outcome = match &entry.outcome {
            Outcome::Ok => String::new(),
            Outcome::Failed(why) => format!(" — failed: {why}"),
        };
        ui.label(format!(
            "{}  {}  {}{outcome}",
            entry.at.format("%Y-%m-%d %H:%M UTC"),
            super::audit_log::action_words(entry.action),
            entry.detail
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::audit::{Action, Record};

    fn record(days_ago: i64, action: Action, failed: bool, now: DateTime<Utc>) -> Record {
        Record {
            at: now - chrono::Duration::days(days_ago),
            action,
            key: Some("k".into()),
            outcome: if failed { Outcome::Failed("no".into()) } else { Outcome::Ok },
            detail: String::new(),
            prev: String::new(),
            tag: String::new(),
        }
    }

    #[test]
    fn activity_counts_the_last_90_days_by_day() {
        let now = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        let history = [
            record(0, Action::Copy, false, now),
            record(0, Action::Copy, false, now),
            record(0, Action::Reveal, false, now),
            record(3, Action::Verify, true, now),
            record(89, Action::Copy, false, now),
            record(90, Action::Copy, false, now), // older than the chart
            record(5, Action::Copy, true, now),   // a copy the clipboard refused: a failure, not a copy
            record(2, Action::Edit, false, now),  // not a use
            record(-1, Action::Copy, false, now), // a clock set ahead: not shown
        ];
        let activity = Activity::of(&history, now);
        assert_eq!(activity.days.len(), 90);
        assert_eq!(activity.days[89], (2, 1, 0, 0), "today");
        assert_eq!(activity.days[86], (0, 0, 1, 1), "three days ago: a check that failed");
        assert_eq!(activity.days[84], (0, 0, 0, 1));
        assert_eq!(activity.days[0], (1, 0, 0, 0), "89 days ago is the first day");
        assert_eq!((activity.copies, activity.reveals, activity.checks, activity.failures), (3, 1, 1, 2));
    }
}
