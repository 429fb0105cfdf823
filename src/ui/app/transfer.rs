//! Settings → Import and Export in the window: the file read and previewed in a job, then
//! imported in a job with a progress bar whose Cancel leaves the vault as it was; an export
//! written in a job.

use std::ops::ControlFlow;
use std::path::Path;

use crate::actions::transfer::{self, ExportOptions};
use crate::import::Format;
use crate::storage::expand_home;
use crate::ui::Failure;
use crate::ui::jobs::JobProgress;
use crate::ui::state::{ColumnPicker, ImportPreview};
use crate::vault::{ImportStop, Vault, count_keys};

/// Reads `path` (as `format`, with the `--columns` text `columns` when given) and says what
/// importing it would do.
pub(super) fn preview(
    vault: &Vault,
    path: &Path,
    format: Option<Format>,
    columns: Option<&str>,
) -> Result<ImportPreview, Failure> {
    transfer::read_import(vault, &expand_home(path), transfer::ReadAs { format, columns })
        .map_err(Failure::from)
}

/// The column picker of `path` when it was read without `columns` and refused as a table
/// whose columns Keydesk cannot tell.
pub(super) fn picker(
    read: &Result<ImportPreview, Failure>,
    path: &Path,
    columns: Option<&str>,
) -> Option<Box<ColumnPicker>> {
    if read.is_ok() || columns.is_some() {
        return None;
    }
    let sample = transfer::column_sample(&expand_home(path))?;
    Some(Box::new(ColumnPicker::new(path.display().to_string(), sample)))
}

/// Imports the new rows of `preview`, telling `progress` how far it got and stopping when the
/// user cancels.
pub(super) fn import(
    vault: &mut Vault,
    preview: &ImportPreview,
    progress: &JobProgress,
) -> Result<String, Failure> {
    let source = preview.source();
    let report = vault.import(&preview.rows, (&source, preview.problems.len()), &mut |done, total| {
        progress.set(done, total);
        if progress.is_cancelled() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    });
    match report {
        Ok(report) => Ok(format!(
            "Imported {} from {source}; {} already in the vault, {} repeated in the file, {} skipped.",
            count_keys(report.imported),
            report.in_vault,
            report.repeated,
            report.skipped
        )),
        Err(ImportStop::Cancelled) => Err(ImportStop::Cancelled.into()),
        Err(ImportStop::Failed(error)) => Err(Failure::Said(format!("{error} Nothing was imported."))),
    }
}

/// Writes an export the user asked for (and, with secrets, confirmed in the dialog).
pub(super) fn export(vault: &mut Vault, path: &Path, options: ExportOptions) -> Result<String, Failure> {
    transfer::export(vault, &expand_home(path), options).map_err(Failure::from)
}
