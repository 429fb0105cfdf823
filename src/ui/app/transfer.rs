//! Settings → Import in the window: the file read and previewed in a job, then imported in a
//! job with a progress bar whose Cancel leaves the vault as it was.

use std::ops::ControlFlow;
use std::path::Path;

use crate::import::{self, Format};
use crate::storage::disk::{Limited, read_limited};
use crate::ui::jobs::JobProgress;
use crate::ui::state::ImportPreview;
use crate::vault::{ImportStop, Vault};

/// Reads `path` and says what importing it would do.
pub(super) fn preview(vault: &Vault, path: &Path, format: Option<Format>) -> Result<ImportPreview, String> {
    // "~/Downloads/keys.csv", as people type paths.
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let expanded = match (path.strip_prefix("~"), home) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_owned(),
    };
    let path = expanded.as_path();
    let bytes = zeroize::Zeroizing::new(
        read_limited(path, import::MAX_FILE_BYTES, "the import file").map_err(|error| match error {
            Limited::Refused(refused) => refused.to_string(),
            Limited::Io(source) => {
                format!(
                    "Could not read the file to import ({source}): check the path. File: {}",
                    path.display()
                )
            }
        })?,
    );
    let (format, parsed) = import::read(&bytes, format).map_err(|e| e.to_string())?;
    let preview = vault.preview_import(&parsed.rows);
    Ok(ImportPreview { path: path.to_owned(), format, rows: parsed.rows, preview, problems: parsed.problems })
}

/// Imports the new rows of `preview`, telling `progress` how far it got and stopping when the
/// user cancels.
pub(super) fn import(
    vault: &mut Vault,
    preview: &ImportPreview,
    progress: &JobProgress,
) -> Result<String, String> {
    let source = preview
        .path
        .file_name()
        .map_or_else(|| preview.path.display().to_string(), |name| name.to_string_lossy().into_owned());
    let report = vault.import(&preview.rows, &source, &mut |done, total| {
        progress.set(done, total);
        if progress.is_cancelled() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    });
    match report {
        Ok(report) => Ok(format!(
            "Imported {} from {source}; {} already in the vault, {} repeated in the file, {} skipped.",
            crate::vault::count_keys(report.imported),
            report.in_vault,
            report.repeated,
            report.refused + preview.problems.len()
        )),
        Err(ImportStop::Cancelled) => Err(ImportStop::Cancelled.to_string()),
        Err(ImportStop::Failed(error)) => Err(format!("{error} Nothing was imported.")),
    }
}
