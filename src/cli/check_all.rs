//! `keydesk verify --all [--provider P] [--json]`: every live key checked at its provider,
//! each answer recorded as it arrives, a progress line on stderr, a summary at the end.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::CliError;
use super::args::VerifyArgs;
use super::commands::{note, out};
use crate::actions::check_all::{self, Event, Patience, Recorded, Tally, Verdict};
use crate::actions::{self, Store};
use crate::vault::health::{HealthReport, Severity};
use crate::vault::model::KeyRecord;

/// Checks every live key among `keys` (of `--provider` when given) at its provider, through
/// `holder` (a local vault or a team vault), and says what each answered.
pub fn verify_all(
    holder: &mut (impl Store + ?Sized),
    keys: &[KeyRecord],
    args: &VerifyArgs,
) -> Result<(), CliError> {
    let provider = args.provider.as_deref().map(super::remote::provider_named).transpose()?;
    let ids = check_all::select(keys, provider);
    if ids.is_empty() {
        note("No active key to check at a provider.");
        let nothing = render_json(&[], &[], &[], Tally::default(), 0);
        return if args.json {
            out(&serde_json::to_string_pretty(&nothing).unwrap_or_default())
        } else {
            Ok(())
        };
    }
    let (plans, not_planned) = check_all::plan_all(holder, &ids);
    for missed in &not_planned {
        note(&format!("\"{}\" was not checked: {}", missed.label, missed.why));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let registered = super::transfer::stop_on_signals(&stop);
    let mut report = Report::new(plans.len());
    let mut failure = None;
    let ended = check_all::run(&plans, &actions::client(), &Patience::default(), &stop, &mut |event| {
        if failure.is_some() {
            return;
        }
        match event {
            Event::Checked(checked) => match check_all::record(holder, checked) {
                Ok(recorded) => report.answered(recorded),
                // The vault refused the write: stop asking, the answers so far are kept.
                Err(error) => {
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    failure = Some(error);
                }
            },
            Event::Stopped { provider, keys, why } => {
                note(&why);
                report.stopped.push((provider.slug(), keys.len(), why));
            }
        }
    });
    super::transfer::restore_signals(registered);
    report.clear_progress();
    let left = ended.left + report.stopped.iter().map(|s| s.1).sum::<usize>();
    // The score as the answers left it, on record (the series `keydesk health` shows); not
    // after a write the vault refused, which would be refused again.
    let health = if failure.is_none() { Some(holder.record_health()) } else { None };
    if args.json {
        let mut value = render_json(&report.recorded, &report.stopped, &not_planned, report.tally, left);
        if let Some(Ok(health)) = &health {
            value["health"] = health_json(health);
        }
        out(&serde_json::to_string_pretty(&value).unwrap_or_default())?;
    } else {
        for recorded in &report.recorded {
            out(&line(holder, recorded))?;
        }
    }
    if let Some(error) = failure {
        return Err(CliError::Failed(format!(
            "{error} The answers before it are recorded; {left} keys were not checked."
        )));
    }
    let health = match health {
        Some(Ok(health)) => health,
        Some(Err(error)) => {
            return Err(CliError::Failed(format!(
                "The answers are recorded, but the health score could not be: {error} Run `keydesk health` to see it."
            )));
        }
        None => return Err(CliError::Quiet),
    };
    let mut summary = format!("Checked {} keys: {}.", report.tally.done(), report.tally.sentence());
    if ended.cancelled {
        summary.push_str(&format!(" Stopped: {left} keys were not checked."));
    } else if left > 0 {
        summary.push_str(&format!(" {left} keys were not checked."));
    }
    note(&summary);
    note(&format!("Health score: {}/100, on record (`keydesk health` shows how it went).", health.score));
    let unfinished = left > 0 || !not_planned.is_empty();
    if report.tally.refused > 0 || unfinished { Err(CliError::Quiet) } else { Ok(()) }
}

/// The answers so far and the progress line.
struct Report {
    total: usize,
    started: Instant,
    tally: Tally,
    recorded: Vec<Recorded>,
    stopped: Vec<(&'static str, usize, String)>,
    terminal: bool,
    last_line: Option<Instant>,
}

impl Report {
    fn new(total: usize) -> Self {
        Report {
            total,
            started: Instant::now(),
            tally: Tally::default(),
            recorded: Vec::with_capacity(total),
            stopped: Vec::new(),
            terminal: std::io::stderr().is_terminal(),
            last_line: None,
        }
    }

    fn answered(&mut self, recorded: Recorded) {
        self.tally.add(recorded.verdict());
        if let Some(flag) = &recorded.unexpected_use {
            note(flag);
        }
        self.recorded.push(recorded);
        self.progress();
    }

    /// "Checked 120 of 300 · 180 left · about 40 s left", on one line that a terminal
    /// rewrites; elsewhere a line at most every 2 s, and the last.
    fn progress(&mut self) {
        let done = self.tally.done();
        let left = self.total.saturating_sub(done);
        let due = self.last_line.is_none_or(|at| at.elapsed() >= Duration::from_secs(2));
        if !self.terminal && !due && left > 0 {
            return;
        }
        self.last_line = Some(Instant::now());
        let per_key = self.started.elapsed().as_secs_f64() / done.max(1) as f64;
        let eta = Duration::from_secs_f64(per_key * left as f64);
        let line = format!(
            "Checked {done} of {} · {left} left · about {} left",
            self.total,
            crate::words::duration(eta)
        );
        let mut stderr = std::io::stderr().lock();
        let _stderr_closed = if self.terminal {
            write!(stderr, "\r\x1b[2K{line}").and_then(|()| stderr.flush())
        } else {
            writeln!(stderr, "{line}")
        };
    }

    fn clear_progress(&self) {
        if self.terminal && self.last_line.is_some() {
            let _stderr_closed = writeln!(std::io::stderr());
        }
    }
}

/// One key's answer as a line: its label, what the provider said, and its last use.
fn line(holder: &(impl Store + ?Sized), recorded: &Recorded) -> String {
    let label = holder.key_record(&recorded.key_id).map(|r| r.label).unwrap_or_default();
    let said = match &recorded.outcome {
        Ok(outcome) => outcome.sentence(),
        Err(why) => why.clone(),
    };
    let mut line = format!("{:<10} {:<28} {}", recorded.key_id.as_str(), label, said);
    if let Some(Ok(last) | Err(last)) = &recorded.last_use {
        line.push(' ');
        line.push_str(last);
    }
    line
}

fn render_json(
    recorded: &[Recorded],
    stopped: &[(&'static str, usize, String)],
    not_planned: &[check_all::NotPlanned],
    tally: Tally,
    left: usize,
) -> Value {
    let keys: Vec<Value> = recorded
        .iter()
        .map(|r| {
            let (outcome, sentence) = match &r.outcome {
                Ok(outcome) => (outcome.word(), outcome.sentence()),
                Err(why) => ("could not check", why.clone()),
            };
            json!({
                "key": r.key_id.as_str(),
                "provider": r.provider.slug(),
                "outcome": outcome,
                "works": r.verdict() == Verdict::Works,
                "refused": r.verdict() == Verdict::Refused,
                "sentence": sentence,
                "http_status": r.http_status,
                "last_use": r.last_use.as_ref().map(|u| match u { Ok(said) | Err(said) => said }),
                "possible_unauthorized_use": r.unexpected_use,
            })
        })
        .collect();
    let value = json!({
        "keys": keys,
        "summary": {
            "works": tally.works,
            "refused": tally.refused,
            "could_not_tell": tally.could_not_tell,
            "not_checked": left + not_planned.len(),
        },
        "stopped": stopped.iter().map(|(provider, keys, why)| json!({
            "provider": provider, "keys_not_checked": keys, "sentence": why,
        })).collect::<Vec<_>>(),
        "not_checked": not_planned.iter().map(|n| json!({
            "key": n.key_id.as_str(), "label": n.label, "sentence": n.why,
        })).collect::<Vec<_>>(),
    });
    value
}

/// The score recorded at the end, and its findings by severity.
fn health_json(report: &HealthReport) -> Value {
    json!({
        "score": report.score,
        "critical": report.count(Severity::Critical),
        "warning": report.count(Severity::Warning),
        "info": report.count(Severity::Info),
        "keys": report.keys_checked,
    })
}
