//! `keydesk import FILE` and `keydesk export FILE`.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::CliError;
use super::args::{ExportArgs, ImportArgs};
use super::commands::out;
use crate::actions::transfer::{self, ExportFormat, ExportOptions};
use crate::import::Format;
use crate::vault::{ImportReport, ImportStop, PreviewRow, Vault, Verdict};

/// One line of the preview as a person reads it.
fn describe(row: &PreviewRow) -> String {
    match &row.verdict {
        Verdict::New { provider, warning: None } => format!("new, {}", provider.name()),
        Verdict::New { provider, warning: Some(warning) } => format!("new, {} ({warning})", provider.name()),
        Verdict::InVault { label } => format!("already in the vault as \"{label}\""),
        Verdict::Repeated { line } => format!("the same key as line {line}"),
        Verdict::Refused { reason } => format!("skipped: {reason}"),
    }
}

fn verdict_json(row: &PreviewRow) -> serde_json::Value {
    let mut value = serde_json::json!({ "line": row.line, "label": row.label });
    let fields = match &row.verdict {
        Verdict::New { provider, warning } => {
            serde_json::json!({ "verdict": "new", "provider": provider.name(), "warning": warning })
        }
        Verdict::InVault { label } => serde_json::json!({ "verdict": "in-vault", "existing_label": label }),
        Verdict::Repeated { line } => serde_json::json!({ "verdict": "repeated", "first_line": line }),
        Verdict::Refused { reason } => serde_json::json!({ "verdict": "skipped", "reason": reason }),
    };
    if !row.notices.is_empty() {
        value["notices"] = serde_json::json!(row.notices);
    }
    if let (Some(object), serde_json::Value::Object(extra)) = (value.as_object_mut(), fields) {
        object.extend(extra);
    }
    value
}

/// Where an import goes: a local vault or a team's.
pub trait ImportTarget {
    /// The file read as `how` says, each row previewed against what the vault holds.
    fn read(
        &self,
        path: &std::path::Path,
        how: transfer::ReadAs<'_>,
    ) -> Result<transfer::ImportFile, transfer::TransferError>;
    /// Keeps the rows the preview calls new; `progress` is told how many after each and may
    /// stop it.
    fn keep(
        &mut self,
        file: &transfer::ImportFile,
        progress: &mut dyn FnMut(usize, usize) -> ControlFlow<()>,
    ) -> Result<ImportReport, CliError>;
}

impl ImportTarget for Vault {
    fn read(
        &self,
        path: &std::path::Path,
        how: transfer::ReadAs<'_>,
    ) -> Result<transfer::ImportFile, transfer::TransferError> {
        transfer::read_import(self, path, how)
    }

    fn keep(
        &mut self,
        file: &transfer::ImportFile,
        progress: &mut dyn FnMut(usize, usize) -> ControlFlow<()>,
    ) -> Result<ImportReport, CliError> {
        self.import(&file.rows, (&file.source(), file.problems.len()), progress).map_err(|stop| match stop {
            ImportStop::Cancelled => CliError::Failed(stop.to_string()),
            ImportStop::Failed(error) => CliError::Failed(format!("{error} Nothing was imported.")),
        })
    }
}

pub fn import(vault: &mut dyn ImportTarget, args: &ImportArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let format = args.format.as_deref().and_then(Format::from_slug);
    let how = transfer::ReadAs { format, columns: args.columns.as_deref() };
    let file = vault.read(&args.file, how)?;
    let (format, preview, problems) = (file.format, &file.preview, &file.problems);
    let counts = file.counts();
    let mut lines: Vec<(usize, String, String)> = preview
        .iter()
        .map(|row| {
            // What the row leaves out is said under it, one line each.
            let said: String = row.notices.iter().map(|n| format!("\n    {n}")).collect();
            (row.line, row.label.clone(), format!("{}{said}", describe(row)))
        })
        .collect();
    lines.extend(problems.iter().map(|p| (p.line, p.label.clone(), format!("skipped: {}", p.reason))));
    lines.sort_by_key(|(line, _, _)| *line);
    let summary = format!("{}: {}", args.file.display(), file.summary());
    if !args.json {
        for (line, label, what) in &lines {
            let label = if label.is_empty() { String::new() } else { format!("\"{label}\": ") };
            out(&format!("line {line}: {label}{what}"))?;
        }
        out(&summary)?;
    }
    let mut rows: Vec<(usize, serde_json::Value)> =
        preview.iter().map(|row| (row.line, verdict_json(row))).collect();
    rows.extend(problems.iter().map(|p| {
        (
            p.line,
            serde_json::json!({
            "line": p.line, "label": (!p.label.is_empty()).then_some(&p.label), "verdict": "skipped", "reason": p.reason
        }),
        )
    }));
    rows.sort_by_key(|(line, _)| *line);
    let mut json = serde_json::json!({
        "file": args.file.display().to_string(),
        "format": format.slug(),
        "rows": rows.into_iter().map(|(_, row)| row).collect::<Vec<_>>(),
        "new": counts.new,
        "in_vault": counts.in_vault,
        "repeated": counts.repeated,
        "skipped": counts.skipped,
    });
    let finish_json = |json: &serde_json::Value| -> Result<(), CliError> {
        if args.json { out(&serde_json::to_string_pretty(json).unwrap_or_default()) } else { Ok(()) }
    };
    if args.dry_run {
        if !args.json {
            out("Nothing was written (--dry-run).")?;
        }
        return finish_json(&json);
    }
    if counts.new == 0 {
        if !args.json {
            out("Nothing to import: every row is already in the vault or was skipped.")?;
        }
        json["imported"] = 0.into();
        return finish_json(&json);
    }
    if !args.yes && std::io::stdin().is_terminal() && !confirmed(counts.new)? {
        return Err(CliError::Failed("Nothing was imported.".into()));
    }
    let mut progress = Progress::new();
    // Ctrl+C (or a polite kill) stops the import between two keys: what was stored is taken
    // back and the vault is left as it was. Until now and after, it ends the program as usual.
    let stop = Arc::new(AtomicBool::new(false));
    let registered = stop_on_signals(&stop);
    let report = vault.keep(&file, &mut |done, total| {
        progress.show(done, total);
        if stop.load(Ordering::Relaxed) { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    });
    restore_signals(registered);
    progress.end();
    let report = report?;
    json["imported"] = report.imported.into();
    json["seconds"] = serde_json::json!((started.elapsed().as_secs_f64() * 100.0).round() / 100.0);
    if !args.json {
        out(&format!(
            "Imported {} in {:.1} s.",
            crate::vault::count_keys(report.imported),
            started.elapsed().as_secs_f64()
        ))?;
    }
    finish_json(&json)
}

/// Sets `stop` on SIGINT and SIGTERM instead of ending the program; the registrations made.
#[cfg(unix)]
pub(super) fn stop_on_signals(stop: &Arc<AtomicBool>) -> Vec<signal_hook::SigId> {
    [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM]
        .into_iter()
        .filter_map(|signal| signal_hook::flag::register(signal, Arc::clone(stop)).ok())
        .collect()
}

#[cfg(unix)]
pub(super) fn restore_signals(registered: Vec<signal_hook::SigId>) {
    for id in registered {
        signal_hook::low_level::unregister(id);
    }
}

/// Elsewhere Ctrl+C ends the program: the vault's metadata is untouched, and `check --repair`
/// removes the secrets stored before it.
#[cfg(not(unix))]
pub(super) fn stop_on_signals(_stop: &Arc<AtomicBool>) -> Vec<()> {
    Vec::new()
}

#[cfg(not(unix))]
pub(super) fn restore_signals(_registered: Vec<()>) {}

fn confirmed(new: usize) -> Result<bool, CliError> {
    eprint!("Import {} (new)? Type \"y\" to go on: ", crate::vault::count_keys(new));
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|_closed| CliError::Failed("Could not read the answer.".into()))?;
    Ok(answer.trim().eq_ignore_ascii_case("y") || answer.trim().eq_ignore_ascii_case("yes"))
}

/// A progress line on a terminal's stderr: count, share and time left, redrawn at most ten
/// times a second; nothing when stderr is not a terminal.
struct Progress {
    started: Instant,
    drawn: Option<Instant>,
    terminal: bool,
}

impl Progress {
    fn new() -> Self {
        Progress { started: Instant::now(), drawn: None, terminal: std::io::stderr().is_terminal() }
    }

    fn show(&mut self, done: usize, total: usize) {
        let soon = self.drawn.is_some_and(|at| at.elapsed().as_millis() < 100);
        if !self.terminal || total == 0 || (soon && done < total) {
            return;
        }
        self.drawn = Some(Instant::now());
        let elapsed = self.started.elapsed().as_secs_f64();
        #[allow(clippy::cast_precision_loss, reason = "counts of keys are far below 2^52")]
        let left = if done == 0 {
            String::new()
        } else {
            format!(", about {:.0} s left", elapsed / done as f64 * (total - done) as f64)
        };
        let _stderr_closed = write!(
            std::io::stderr(),
            "\rStoring secrets: {done} of {total} ({}%){left}   ",
            done * 100 / total
        );
    }

    fn end(&self) {
        if self.terminal && self.drawn.is_some() {
            let _stderr_closed = writeln!(std::io::stderr());
        }
    }
}

pub fn export(vault: &mut Vault, args: &ExportArgs) -> Result<(), CliError> {
    let live = vault.keys().iter().filter(|k| k.is_live()).count();
    if args.with_secrets {
        confirm_secrets(live, &args.file)?;
    }
    let format = if args.format == "json" { ExportFormat::Json } else { ExportFormat::Csv };
    let options = ExportOptions { format, all: args.all, with_secrets: args.with_secrets };
    let said = transfer::export(vault, &args.file, options)?;
    out(&said)
}

/// The words the user types to write secrets in plain text.
const CONFIRM: &str = "export secrets";

pub(super) fn confirm_secrets(count: usize, file: &std::path::Path) -> Result<(), CliError> {
    if std::io::stdin().is_terminal() {
        eprint!(
            "This writes {count} secrets in plain text to {}. Type \"{CONFIRM}\" to go on: ",
            file.display()
        );
    }
    let mut answer = String::new();
    let read = std::io::stdin().read_line(&mut answer);
    if read.is_err() || answer.trim() != CONFIRM {
        return Err(CliError::Failed(format!(
            "Nothing was exported: writing secrets in plain text needs the words \"{CONFIRM}\" typed (on stdin when it is not a terminal)."
        )));
    }
    Ok(())
}
