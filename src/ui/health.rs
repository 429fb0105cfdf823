//! The "Health" screen (Ctrl+5): the vault's health score and its findings, worst first, each
//! with a button for its fix — the window's own command for it (check, revoke, open an
//! incident, replace at the provider) or the key's page, where rotating and editing are.

use chrono::{DateTime, Utc};

use super::session::Command;
use super::theme::{self, Badge};
use super::widgets::badge_ui;
use crate::vault::health::{Finding, Fix, HealthReport, Severity, findings};
use crate::vault::incidents::IncidentReport;
use crate::vault::model::{KeyRecord, VaultFile};

/// The most findings drawn; `keydesk health` lists them all.
const MOST_SHOWN: usize = 200;

/// The report, kept until the vault is saved again or a minute passes (computing it for
/// 10,000 keys every frame would slow the window).
#[derive(Default)]
pub struct HealthState {
    cached: Option<((u64, usize, i64), HealthReport)>,
}

impl HealthState {
    fn report(&mut self, file: &VaultFile, now: DateTime<Utc>) -> &HealthReport {
        let stamp = (file.header.generation, file.keys.len(), now.timestamp() / 60);
        if self.cached.as_ref().is_some_and(|(at, _)| *at != stamp) {
            self.cached = None;
        }
        &self.cached.get_or_insert_with(|| (stamp, findings(file, now))).1
    }
}

/// The screen.
pub fn health_ui(
    ui: &mut egui::Ui,
    file: &VaultFile,
    state: &mut HealthState,
    now: DateTime<Utc>,
) -> Option<Command> {
    let report = state.report(file, now);
    let mut command = None;
    ui.heading("Health");
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
        if !file.keys.is_empty() && ui.button("Check every key").clicked() {
            command = Some(Command::CheckAll);
        }
    });
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
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
                if let Some(asked) = finding_ui(ui, file, finding) {
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

/// One finding: its keys, its sentence and its fix's button.
fn finding_ui(ui: &mut egui::Ui, file: &VaultFile, finding: &Finding) -> Option<Command> {
    let key = finding.keys.first().and_then(|id| file.key(id))?;
    let mut command = None;
    ui.horizontal_wrapped(|ui| {
        ui.label(egui::RichText::new(&key.label).strong());
        ui.label(format!("({})", key.provider.name()));
        ui.label(&finding.sentence);
        let (label, asked) = fix_command(file, key, &finding.fix);
        if ui.button(label).clicked() {
            command = Some(asked);
        }
    });
    command
}

/// The button for `fix` on `key`, and the command it gives.
fn fix_command(file: &VaultFile, key: &KeyRecord, fix: &Fix) -> (&'static str, Command) {
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
            if key.account.as_deref().and_then(|a| file.account(a)).is_some_and(|a| a.has_management_key) =>
        {
            ("Replace at the provider…", Command::ReplaceAtProvider(key.id.clone()))
        }
        Fix::Rotate => ("Open to rotate", open),
        Fix::ReplaceNarrower { .. } | Fix::Split | Fix::AddIntegration | Fix::ContinueIncident { .. } => {
            ("Open key", open)
        }
    }
}
