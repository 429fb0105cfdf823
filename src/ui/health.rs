//! The "Health" screen (Ctrl+5): the vault's health score, a small chart of the scores on
//! record (one per check of every key), and its findings, worst first, each with a button for
//! its fix — the window's own command for it (check, revoke, open an
//! incident, replace at the provider) or the key's page, where rotating and editing are.

use chrono::{DateTime, Utc};

use super::detail::{KeyBook, keys_of};
use super::session::{AuditCache, Command};
use super::theme::{self, Badge};
use super::widgets::badge_ui;
use crate::vault::health::history::{
    MOST_CHARTED, ScorePoint, WEEKLY_DAYS, history, short_date, trend_sentence,
};
use crate::vault::health::{Finding, Fix, HealthReport, Severity, findings_of};
use crate::vault::incidents::IncidentReport;
use crate::vault::model::KeyRecord;

/// The most findings drawn; `keydesk health` lists them all.
const MOST_SHOWN: usize = 200;

/// What the report was made from: the keys' version and count, the incidents read (all,
/// open) and accounts read, and the minute.
type Stamp = (u64, usize, (usize, usize, usize), i64);

/// The report, kept until the vault is saved again or a minute passes (computing it for
/// 10,000 keys every frame would slow the window), and the scores on record, read again when
/// the log grows.
#[derive(Default)]
pub struct HealthState {
    cached: Option<(Stamp, HealthReport)>,
    history: Option<(u64, Vec<ScorePoint>)>,
}

impl HealthState {
    /// The scores on record in `audit` (the log as last read), oldest first; none until it is
    /// read.
    fn history(&mut self, audit: Option<&AuditCache>) -> &[ScorePoint] {
        let Some(audit) = audit else { return &[] };
        if self.history.as_ref().is_none_or(|(at, _)| *at != audit.entries) {
            self.history = Some((audit.entries, history(&audit.records)));
        }
        self.history.as_ref().map_or(&[], |(_, points)| points)
    }

    /// The report on `book`, made again when its keys change, when the incidents or accounts
    /// it reads beside them do (a team vault's are read after the screen opens), or a minute on.
    fn report(&mut self, book: &dyn KeyBook, now: DateTime<Utc>) -> &HealthReport {
        let incidents = book.incidents();
        let open = incidents.iter().filter(|i| i.closed_at.is_none()).count();
        let read = (incidents.len(), open, book.accounts().len());
        let stamp = (book.version(), book.count(), read, now.timestamp() / 60);
        if self.cached.as_ref().is_some_and(|(at, _)| *at != stamp) {
            self.cached = None;
        }
        let parts = (keys_of(book), book.incidents(), book.accounts());
        &self.cached.get_or_insert_with(|| (stamp, findings_of(parts, now))).1
    }
}

/// The screen over `book`; `audit` is the log as last read, for the scores on record;
/// `weekly`: whether the window checks every key weekly, where the vault has that setting.
pub fn health_ui(
    ui: &mut egui::Ui,
    (book, audit, weekly): (&dyn KeyBook, Option<&AuditCache>, Option<bool>),
    state: &mut HealthState,
    now: DateTime<Utc>,
) -> Option<Command> {
    ui.heading("Health");
    let points = state.history(audit);
    history_ui(ui, points, now);
    ui.label(last_run(points.last(), weekly, now));
    let report = state.report(book, now);
    let mut command = None;
    let colour = if report.has_critical() {
        Badge::Bad
    } else if report.findings.is_empty() {
        Badge::Good
    } else {
        Badge::Warn
    };
    ui.horizontal(|ui| {
        badge_ui(ui, &format!("Health score: {}/100", report.score), colour);
        // Every key asked at its provider: the findings follow its answers as they come.
        if book.count() > 0 && book.checks_all() && ui.button("Check every key").clicked() {
            command = Some(Command::CheckAll);
        }
    });
    let count = |s: Severity| report.count(s);
    ui.label(format!(
        "{} critical, {} warnings, {} info, over {} keys. docs/health.md says how the score is made.",
        count(Severity::Critical),
        count(Severity::Warning),
        count(Severity::Info),
        report.keys_checked
    ));
    if report.findings.is_empty() {
        ui.label("Nothing found: every key is checked, used, scoped and owned.");
        return command;
    }
    ui.add_space(theme::GAP);
    egui::ScrollArea::vertical().id_salt("health-findings").auto_shrink([false, false]).show(ui, |ui| {
        let mut group = None;
        for (index, finding) in report.findings.iter().take(MOST_SHOWN).enumerate() {
            if group != Some((finding.severity, finding.kind)) {
                group = Some((finding.severity, finding.kind));
                ui.add_space(theme::GAP);
                let kind = match finding.severity {
                    Severity::Critical => Badge::Bad,
                    Severity::Warning => Badge::Warn,
                    Severity::Info => Badge::Muted,
                };
                badge_ui(ui, &format!("{} — {}", finding.severity.word(), finding.kind.title()), kind);
            }
            ui.push_id(index, |ui| {
                if let Some(asked) = finding_ui(ui, book, finding) {
                    command = Some(asked);
                }
            });
        }
        if report.findings.len() > MOST_SHOWN {
            ui.label(format!(
                "and {} more: `keydesk health` lists them all.",
                report.findings.len() - MOST_SHOWN
            ));
        }
    });
    command
}

/// One finding: its keys (or its account), its sentence and its fix's button.
fn finding_ui(ui: &mut egui::Ui, book: &dyn KeyBook, finding: &Finding) -> Option<Command> {
    if let Some(account) = finding.account.as_deref().and_then(|id| book.account(id)) {
        let mut command = None;
        ui.horizontal_wrapped(|ui| {
            ui.label(egui::RichText::new(&account.name).strong());
            ui.label(format!("({} account)", account.provider.name()));
            ui.label(&finding.sentence);
            ui.label("Narrow it on the provider's API-keys page, then test it again.");
            if ui.button("Test again").clicked() {
                command = Some(Command::TestAccount(account.id.clone()));
            }
        });
        return command;
    }
    let key = finding.keys.first().and_then(|id| book.key(id))?;
    let mut command = None;
    ui.horizontal_wrapped(|ui| {
        ui.label(egui::RichText::new(&key.label).strong());
        ui.label(format!("({})", key.provider.name()));
        ui.label(&finding.sentence);
        let (label, asked) = fix_command(book, key, &finding.fix);
        if ui.button(label).clicked() {
            command = Some(asked);
        }
    });
    command
}

/// The button for `fix` on `key`, and the command it gives.
fn fix_command(book: &dyn KeyBook, key: &KeyRecord, fix: &Fix) -> (&'static str, Command) {
    let open = Command::OpenKey(key.id.clone());
    match fix {
        Fix::Revoke => ("Revoke…", Command::StartRevoke(key.id.clone())),
        Fix::Check => ("Check now", Command::Verify(key.id.clone())),
        Fix::ReportLeak => {
            let report = IncidentReport {
                found_where: format!("its use at {} after it was revoked or replaced", key.provider.name()),
                noticed_by: "Keydesk's health check".into(),
                notes: String::new(),
            };
            ("Open an incident", Command::OpenIncident { key: key.id.clone(), report })
        }
        Fix::ReplaceNarrower { .. }
            if key.account.as_deref().and_then(|a| book.account(a)).is_some_and(|a| a.has_management_key) =>
        {
            ("Replace at the provider…", Command::ReplaceAtProvider(key.id.clone()))
        }
        Fix::Rotate => ("Open to rotate", open),
        Fix::ReplaceNarrower { .. }
        | Fix::Split
        | Fix::AddIntegration
        | Fix::ContinueIncident { .. }
        | Fix::NarrowManagementKey { .. } => ("Open key", open),
    }
}

/// When every key was last checked (the newest score on record) and whether the window checks
/// them weekly (said where the vault has that setting).
fn last_run(last: Option<&ScorePoint>, weekly: Option<bool>, now: DateTime<Utc>) -> String {
    let last = last.map(|p| p.at);
    let said = last.map_or_else(
        || "No check of every key yet.".to_owned(),
        |at| format!("Every key was last checked on {}.", short_date(at, now)),
    );
    match (weekly, last) {
        (None, _) => said,
        (Some(false), _) => format!("{said} Weekly checks are off (Settings)."),
        (Some(true), Some(at)) => {
            let next = at + chrono::Duration::days(WEEKLY_DAYS);
            format!("{said} Checked weekly while Keydesk is unlocked: next on {}.", short_date(next, now))
        }
        (Some(true), None) => {
            format!("{said} Checked weekly while Keydesk is unlocked: the first check is due now.")
        }
    }
}

/// The chart's height, and the widest it is drawn.
const CHART_HEIGHT: f32 = 72.0;
const CHART_WIDTH: f32 = 480.0;

/// The scores on record: how they went, in words and as a small line chart (score 0 to 100
/// up, time across; the newest [`MOST_CHARTED`]).
fn history_ui(ui: &mut egui::Ui, points: &[ScorePoint], now: DateTime<Utc>) {
    let Some(trend) = trend_sentence(points, now, " to ") else {
        ui.label("No score on record yet: each \"Check every key\" records one, so the score can be followed over time.");
        return;
    };
    let points = &points[points.len().saturating_sub(MOST_CHARTED)..];
    let on_record = if points.len() == 1 { "1 score".to_owned() } else { format!("{} scores", points.len()) };
    ui.label(format!("{trend} ({on_record} on record)."));
    let width = ui.available_width().min(CHART_WIDTH);
    let (rect, response) = ui.allocate_exact_size(egui::vec2(width, CHART_HEIGHT), egui::Sense::hover());
    let visuals = ui.visuals();
    let line = visuals.widgets.noninteractive.fg_stroke.color;
    let grid = visuals.widgets.noninteractive.bg_stroke;
    let painter = ui.painter_at(rect);
    painter.rect_stroke(rect, 2.0, grid, egui::StrokeKind::Inside);
    let plot = rect.shrink(6.0);
    for score in [50.0, 100.0] {
        let y = plot.bottom() - plot.height() * score / 100.0;
        painter.hline(plot.x_range(), y, egui::Stroke::new(0.5, grid.color));
    }
    let (first, last) = (points[0].at, points[points.len() - 1].at);
    #[allow(clippy::cast_precision_loss, reason = "seconds and indices far below 2^24 in a drawing")]
    let x_of = |index: usize, point: &ScorePoint| {
        let span = (last - first).num_seconds();
        let share = if span > 0 {
            (point.at - first).num_seconds() as f32 / span as f32
        } else if points.len() > 1 {
            index as f32 / (points.len() - 1) as f32
        } else {
            1.0
        };
        plot.left() + plot.width() * share
    };
    let at: Vec<egui::Pos2> = points
        .iter()
        .enumerate()
        .map(|(index, p)| {
            egui::pos2(x_of(index, p), plot.bottom() - plot.height() * f32::from(p.score) / 100.0)
        })
        .collect();
    painter.add(egui::Shape::line(at.clone(), egui::Stroke::new(2.0, line)));
    for (point, pos) in points.iter().zip(&at) {
        let colour = theme::badge(visuals.dark_mode, badge_of(point));
        painter.circle_filled(*pos, 3.5, colour);
    }
    let described = format!(
        "Health scores from {} to {}: {}",
        short_date(first, now),
        short_date(last, now),
        points.iter().map(|p| p.score.to_string()).collect::<Vec<_>>().join(", ")
    );
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &described));
    // The point under the pointer, in words.
    if let Some(pointer) = response.hover_pos()
        && let Some((point, _)) = points
            .iter()
            .zip(&at)
            .min_by(|a, b| (a.1.x - pointer.x).abs().total_cmp(&(b.1.x - pointer.x).abs()))
    {
        response.on_hover_text_at_pointer(format!(
            "{}: {}/100 — {} critical, {} warnings, {} info, over {} keys",
            point.at.format("%Y-%m-%d %H:%M UTC"),
            point.score,
            point.critical,
            point.warning,
            point.info,
            point.keys
        ));
    }
    ui.add_space(theme::GAP / 2.0);
}

/// A score's colour, as the score's badge above: bad with a critical finding, good with none.
fn badge_of(point: &ScorePoint) -> Badge {
    if point.critical > 0 {
        Badge::Bad
    } else if point.warning + point.info == 0 {
        Badge::Good
    } else {
        Badge::Warn
    }
}
