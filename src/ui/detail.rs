//! Key detail: every field, editable metadata, Copy / Reveal / Verify / Rotate / Revoke, and
//! the key's own audit timeline.

use super::meta_form::details_ui;
use super::session::{Command, Revealed};
use super::state::{DetailState, Screen};
use super::theme;
use super::widgets::{accessible_name, badge_ui, error_ui, field, field_with, secret_field, secret_text_ui};
use crate::providers::Provider;
use crate::vault::audit::{Outcome, Record};
use crate::vault::health::{full_access, known_permissions};
use crate::vault::model::{KeyId, KeyRecord, KeyStatus, VaultFile, VerifyOutcome};
use crate::words::{ago, times};
use chrono::{DateTime, Utc};

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
        format!(
            "A new key replaces it; \"{}\" stays active as retiring until its integrations use the new one. {used_by}",
            record.label
        ),
        "Rotate",
        false,
    )
}

/// The detail screen.
pub fn detail_ui(
    ui: &mut egui::Ui,
    file: &VaultFile,
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
    let live = record.is_live();
    egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
        ui.horizontal(|ui| {
            if ui.button("Back to keys").clicked() {
                command = Some(Command::Show(Screen::Keys));
            }
            // A long label wraps beside the button instead of widening the page.
            ui.add(egui::Label::new(egui::RichText::new(&record.label).heading()).wrap());
        });
        if let Some(pending) = &record.provider_revoke_pending {
            super::widgets::banner_ui(ui, pending);
        }
        if let Some(asked) = facts_ui(ui, file, record, state, now) {
            command = Some(asked);
        }
        // The rotation under way, on the old key's page and on its replacement's.
        let rotating = file.rotation_of(&record.id);
        if let Some((old, rotation)) = rotating
            && let Some(step) = rotation_ui(ui, file, old, rotation, state)
        {
            command = Some(step);
        }
        ui.add_space(theme::GAP);
        if live && let Some(asked) = secret_actions_ui(ui, record, rotating.is_some(), state, revealed, now) {
            command = Some(asked);
        }
        ui.add_space(theme::GAP);
        if let Some(step) = incidents_ui(ui, file, record, state) {
            command = Some(step);
        }
        ui.add_space(theme::GAP);
        ui.heading("Details");
        details_ui(ui, &mut state.form);
        error_ui(ui, &state.error);
        if ui.button("Save").clicked() {
            match state.form.edit_of(record) {
                Ok(edit) => command = Some(Command::Edit { key: record.id.clone(), edit }),
                Err(error) => state.error = Some(error),
            }
        }
        ui.add_space(theme::GAP);
        ui.heading("Activity, last 90 days");
        if let Some((_, activity)) = &state.activity {
            activity_ui(ui, activity);
        }
        super::fills::fills_ui(ui, &state.history);
        ui.add_space(theme::GAP);
        history_ui(ui, &state.history);
    });
    command
}

/// The key's facts (provider, account, status, hint, dates, scopes, uses, last check, last
/// use, permissions, the keys it replaces or was replaced by); the question it asks, if any.
fn facts_ui(
    ui: &mut egui::Ui,
    file: &VaultFile,
    record: &KeyRecord,
    state: &mut DetailState,
    now: DateTime<Utc>,
) -> Option<Command> {
    let mut command = None;
    // The values wrap in what the names leave of the page (a grid lets text run on).
    let value_width = (ui.available_width() - theme::LABEL_WIDTH - 24.0).max(160.0);
    egui::Grid::new("facts").num_columns(2).spacing([24.0, 6.0]).min_col_width(theme::LABEL_WIDTH).show(ui, |ui| {
        let row = |ui: &mut egui::Ui, name: &str, value: String| {
            ui.label(name);
            wrapped(ui, value_width, |ui| ui.label(value));
            ui.end_row();
        };
        row(ui, "Provider", record.provider.name().to_owned());
        if let Some(account) = record.account.as_deref().and_then(|a| file.account(a)) {
            row(ui, "Account", account.name.clone());
        }
        ui.label("Status");
        wrapped(ui, value_width, |ui| match &record.status {
            KeyStatus::Revoked { at, reason } => badge_ui(
                ui,
                &format!("revoked {} — {reason}", at.format("%Y-%m-%d")),
                theme::Badge::Muted,
            ),
            KeyStatus::Retiring => badge_ui(ui, "retiring", theme::Badge::Warn),
            KeyStatus::Active => {
                // Never "active" in the good colour for a key whose last check failed.
                let status = super::dashboard::status_of(record, &record.attention(now));
                let (word, kind) = status.word(record.provider.name());
                badge_ui(ui, &word, kind);
            }
        });
        ui.end_row();
        row(ui, "Hint", record.hint.clone());
        row(ui, "Keydesk id", record.id.to_string());
        row(ui, "Created", record.created_at.format("%Y-%m-%d %H:%M UTC").to_string());
        if !record.scopes.is_empty() {
            row(ui, "Scopes", record.scopes.join(", "));
        }
        row(
            ui,
            "Copied",
            format!("{}, last {}", times(record.copy_count), ago(record.last_copied_at, now)),
        );
        row(ui, "Revealed", times(record.reveal_count));
        ui.label("Last checked");
        wrapped(ui, value_width, |ui| match &record.last_verified {
            None => badge_ui(ui, "never checked", theme::Badge::Muted),
            Some(v) => {
                let kind = outcome_badge(&v.outcome);
                badge_ui(ui, &format!("{} — {}", ago(Some(v.at), now), v.outcome.sentence()), kind);
            }
        });
        ui.end_row();
        if let Some(ask) = usage_row_ui(ui, file, record, state, now) {
            command = Some(ask);
        }
        let permissions = known_permissions(record);
        if !permissions.is_empty() {
            ui.label("Permissions");
            ui.vertical(|ui| {
                ui.label(summarise(permissions));
                if full_access(record.provider, permissions) {
                    badge_ui(
                        ui,
                        "Full access: if what uses it only sends mail, make a Mail Send key instead and revoke this one.",
                        theme::Badge::Warn,
                    );
                }
            });
            ui.end_row();
        }
        // The other key by its label (its id only if it is no longer in the vault).
        let label_of = |id: &KeyId| file.key(id).map_or_else(|| id.to_string(), |k| k.label.clone());
        if let Some(old) = &record.replaces {
            row(ui, "Replaces", label_of(old));
        }
        if let Some(new) = &record.replaced_by {
            row(ui, "Replaced by", label_of(new));
        }
    });
    command
}

/// A live key's secret (masked or revealed) and what can be done with it: copy, verify,
/// rotate (generated, made at the provider, or pasted) and revoke. `rotating`: one is under
/// way, so none is offered.
fn secret_actions_ui(
    ui: &mut egui::Ui,
    record: &KeyRecord,
    rotating: bool,
    state: &mut DetailState,
    revealed: Option<&mut Revealed>,
    now: DateTime<Utc>,
) -> Option<Command> {
    let mut command = None;
    let mut revealed = revealed;
    ui.horizontal(|ui| {
        match revealed.as_deref_mut() {
            Some(r) => secret_text_ui(ui, &r.secret, &mut r.galley),
            None => {
                ui.label(egui::RichText::new("••••••••••••••••••••••••").monospace());
            }
        }
        if let Some(r) = revealed {
            ui.label(format!("hides in {} s", (r.until - now).num_seconds().max(0)));
            let hide = ui.button("Hide");
            accessible_name(&hide, || format!("Hide {}", record.label));
            if hide.clicked() {
                command = Some(Command::HideReveal);
            }
        } else {
            let reveal = ui.button("Reveal");
            accessible_name(&reveal, || format!("Reveal {}", record.label));
            if reveal.on_hover_text("Shows the key for 30 s; recorded in the audit log").clicked() {
                command = Some(Command::Reveal(record.id.clone()));
            }
        }
    });
    // Short words on the buttons; in the accessibility tree each says which key it acts on.
    let button = |ui: &mut egui::Ui, text: &str| {
        let response = ui.button(text);
        accessible_name(&response, || format!("{text} {}", record.label));
        response
    };
    ui.horizontal(|ui| {
        if button(ui, "Copy").clicked() {
            command = Some(Command::Copy(record.id.clone()));
        }
        if button(ui, "Verify").on_hover_text("One request to the provider").clicked() {
            command = Some(Command::Verify(record.id.clone()));
        }
        // One rotation at a time: none is offered while this key's is under way.
        if record.provider == Provider::Keydesk && !rotating && button(ui, "Rotate").clicked() {
            command = Some(rotate_confirmed(record, None));
        }
        let revoke = ui.button("Revoke…");
        accessible_name(&revoke, || format!("Revoke {}…", record.label));
        if revoke.clicked() {
            command = Some(Command::StartRevoke(record.id.clone()));
        }
    });
    // A provider whose account here can make keys: the new key is made there.
    let at_provider = record.account.is_some() && record.provider.info().api_create;
    if at_provider && !rotating {
        ui.horizontal(|ui| {
            let make = format!("Rotate: make the new key at {}", record.provider.name());
            if ui
                .button(make)
                .on_hover_text("Same label and integrations; the old key stays until they are moved")
                .clicked()
            {
                command = Some(Command::ReplaceAtProvider(record.id.clone()));
            }
        });
    }
    if record.provider != Provider::Keydesk && !rotating {
        ui.horizontal_wrapped(|ui| {
            secret_field(ui, "replacement-key", "Replacement key", &mut state.replacement);
            let page = record.provider.info().keys_page;
            if !page.is_empty() {
                ui.hyperlink_to(format!("Make one at {}", record.provider.name()), page);
            }
            let rotate = ui.add_enabled(!state.replacement.is_empty(), egui::Button::new("Rotate"));
            accessible_name(&rotate, || format!("Rotate {} to the replacement key", record.label));
            if rotate.clicked() {
                state.replacement.trim();
                let pasted = Some(state.replacement.take());
                command = Some(rotate_confirmed(record, pasted));
            }
        });
    }
    command
}

/// The key's audit lines, newest first.
fn history_ui(ui: &mut egui::Ui, history: &[Record]) {
    ui.heading("History");
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

/// "Last used at <provider>", for the providers whose API tells (one grid row): the last
/// answer with its source, a possible unauthorized use in the error colour, why the last
/// question got no answer, and the button that asks.
fn usage_row_ui(
    ui: &mut egui::Ui,
    file: &VaultFile,
    record: &crate::vault::model::KeyRecord,
    state: &mut DetailState,
    now: DateTime<Utc>,
) -> Option<Command> {
    crate::providers::usage::source(record.provider)?;
    let provider = record.provider.name();
    let mut command = None;
    ui.label(format!("Last used at {provider}"));
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

/// The key's incidents: an open one with its timeline, its report and its closing; closed
/// ones with their summary; and, while none is open, "Report a suspected leak".
fn incidents_ui(
    ui: &mut egui::Ui,
    file: &VaultFile,
    record: &crate::vault::model::KeyRecord,
    state: &mut DetailState,
) -> Option<Command> {
    let mut command = None;
    let form = &mut state.incident;
    let incidents: Vec<_> = file.incidents.iter().filter(|i| i.key == record.id).collect();
    for incident in &incidents {
        let open = incident.closed_at.is_none();
        ui.horizontal(|ui| {
            ui.heading(format!("Incident {}", incident.id));
            if open {
                badge_ui(ui, "open", theme::Badge::Bad);
            } else {
                badge_ui(ui, "closed", theme::Badge::Muted);
            }
        });
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
                if ui.button("Close incident").clicked() {
                    command = Some(Command::CloseIncident {
                        id: incident.id.clone(),
                        summary: form.summary.clone(),
                    });
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
    if !incidents.iter().any(|i| i.closed_at.is_none()) {
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
    error_ui(ui, &form.error);
    command
}

/// The rotation of `record` (the old key) under way: a row per integration (copy the new key,
/// open the integration's settings, tick updated and tested), then Finish, which revokes the
/// old key.
fn rotation_ui(
    ui: &mut egui::Ui,
    file: &VaultFile,
    record: &crate::vault::model::KeyRecord,
    rotation: &crate::vault::model::Rotation,
    state: &mut DetailState,
) -> Option<Command> {
    use crate::vault::Moved;
    let mut command = None;
    let new = record.replaced_by.as_ref().and_then(|id| file.key(id));
    let (moved, total) = rotation.progress();
    ui.add_space(theme::GAP);
    ui.separator();
    ui.heading("Rotation");
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
fn activity_ui(ui: &mut egui::Ui, activity: &Activity) {
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

/// A grid cell at most `width` wide whose text wraps.
fn wrapped<R>(ui: &mut egui::Ui, width: f32, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    ui.scope(|ui| {
        ui.set_max_width(width);
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Wrap);
        add(ui)
    })
    .inner
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
