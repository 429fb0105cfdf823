//! Operations that combine the vault with a file the user names: reading a file to import
//! (with its preview), and writing an export. Shared by the command line and the window.

use std::path::{Path, PathBuf};

use secrecy::SecretString;

use crate::import::{self, Format, Problem};
use crate::storage::disk::{Limited, read_limited};
use crate::storage::write_new_private;
use crate::vault::model::KeyRecord;
use crate::vault::{ImportRow, PreviewRow, Vault, Verdict, count_keys};

/// Why a file could not be read for import, or an export not written: one sentence each,
/// naming the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// The file is not one Keydesk reads (not a regular file, or too large).
    #[error(transparent)]
    Refused(crate::storage::StorageError),
    #[error("Could not read the file to import ({source}): check the path. File: {}", .path.display())]
    Unreadable { source: std::io::Error, path: PathBuf },
    #[error(transparent)]
    Import(#[from] import::ImportError),
    #[error("{} already exists and was left as it is: choose another file name, or delete it first.", .path.display())]
    Exists { path: PathBuf },
    #[error("Could not write the export ({source}): check the folder and its free space. File: {}", .path.display())]
    NotWritten { source: std::io::Error, path: PathBuf },
    /// The keys' secrets could not be opened for the export, or the export recorded.
    #[error(transparent)]
    Vault(#[from] crate::vault::VaultError),
    #[error(transparent)]
    Team(#[from] crate::team::TeamError),
    #[error("The export was written, but the audit log could not record it: {0}")]
    NotRecorded(Box<TransferError>),
    #[error("Could not write {} ({source}): choose a folder you can write to.", .path.display())]
    ReportNotWritten { source: std::io::Error, path: PathBuf },
}

/// Writes incident `incident`'s Markdown report (its key named from `keys`) to `path`, a
/// file of its own replaced whole; the sentence to tell the user. The one writer of the
/// command line's `incident export` and of both windows' "Write the report".
pub fn write_incident_report(
    keys: &[KeyRecord],
    incident: &crate::vault::model::Incident,
    path: &Path,
) -> Result<String, TransferError> {
    let text = crate::vault::incidents::markdown(keys, incident);
    crate::storage::atomic_write(path, text.as_bytes(), false)
        .map_err(|source| TransferError::ReportNotWritten { source, path: path.to_owned() })?;
    Ok(format!("Wrote the report of incident {} to {}.", incident.id, path.display()))
}

/// A file read for import, with what importing each row would do.
pub struct ImportFile {
    pub path: PathBuf,
    pub format: Format,
    /// The rows to import (their secrets wiped when this is dropped).
    pub rows: Vec<ImportRow>,
    pub preview: Vec<PreviewRow>,
    pub problems: Vec<Problem>,
}

/// What the preview found, counted (the file's unreadable rows among the skipped).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub new: usize,
    pub in_vault: usize,
    pub repeated: usize,
    pub skipped: usize,
}

impl ImportFile {
    /// How many rows are new.
    pub fn new_keys(&self) -> usize {
        self.preview.iter().filter(|row| row.verdict.is_new()).count()
    }

    /// The rows read, and what each will become, counted.
    pub fn counts(&self) -> ImportCounts {
        let mut counts = ImportCounts { skipped: self.problems.len(), ..ImportCounts::default() };
        for row in &self.preview {
            match row.verdict {
                Verdict::New { .. } => counts.new += 1,
                Verdict::InVault { .. } => counts.in_vault += 1,
                Verdict::Repeated { .. } => counts.repeated += 1,
                Verdict::Refused { .. } => counts.skipped += 1,
            }
        }
        counts
    }

    /// The one-line summary both front ends show.
    pub fn summary(&self) -> String {
        let ImportCounts { new, in_vault, repeated, skipped } = self.counts();
        format!(
            "{} rows read as a {}: {new} new, {in_vault} already in the vault, {repeated} repeated in the file, {skipped} skipped.",
            self.preview.len() + self.problems.len(),
            self.format.name(),
        )
    }

    /// The file's name, as the audit log records it.
    pub fn source(&self) -> String {
        self.path
            .file_name()
            .map_or_else(|| self.path.display().to_string(), |n| n.to_string_lossy().into_owned())
    }
}

/// How a file is read for import: as `format` (`None`: as it looks), and with `columns` (a
/// `--columns` text) as a table whose columns are where it says.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadAs<'a> {
    pub format: Option<Format>,
    pub columns: Option<&'a str>,
}

/// Reads `path` as `how` says and previews it against `vault`.
pub fn read_import(vault: &Vault, path: &Path, how: ReadAs<'_>) -> Result<ImportFile, TransferError> {
    read_import_with(path, how, |rows| vault.preview_import(rows))
}

/// The bytes of the file to import, or why they cannot be read.
fn import_bytes(path: &Path) -> Result<zeroize::Zeroizing<Vec<u8>>, TransferError> {
    let bytes =
        read_limited(path, import::MAX_FILE_BYTES, "the import file").map_err(|error| match error {
            Limited::Refused(refused) => TransferError::Refused(refused),
            Limited::Io(source) => TransferError::Unreadable { source, path: path.to_owned() },
        })?;
    Ok(zeroize::Zeroizing::new(bytes))
}

/// Reads `path` as `how` says and previews its rows with `preview`.
pub fn read_import_with(
    path: &Path,
    how: ReadAs<'_>,
    preview: impl FnOnce(&[ImportRow]) -> Vec<PreviewRow>,
) -> Result<ImportFile, TransferError> {
    let bytes = import_bytes(path)?;
    let (format, parsed) = import::read_mapped(&bytes, how.format, how.columns)?;
    let preview = preview(&parsed.rows);
    Ok(ImportFile { path: path.to_owned(), format, rows: parsed.rows, preview, problems: parsed.problems })
}

/// The header row and first rows of `path` when it is a table whose columns Keydesk cannot
/// tell (for the window's column picker); `None` for any other file, or one that cannot be
/// read.
pub fn column_sample(path: &Path) -> Option<import::columns::Sample> {
    import::column_sample(&import_bytes(path).ok()?)
}

/// The layouts an export is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
}

impl ExportFormat {
    pub fn word(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
        }
    }
}

/// What to export.
#[derive(Debug, Clone, Copy)]
pub struct ExportOptions {
    pub format: ExportFormat,
    /// Revoked keys too (they have no secret).
    pub all: bool,
    /// The secrets in plain text: the caller has had the user confirm it.
    pub with_secrets: bool,
}

/// Writes the export to `path` (created readable by the user alone; an existing file is never
/// replaced) and records it in the audit log; the sentence to tell the user.
pub fn export(vault: &mut Vault, path: &Path, options: ExportOptions) -> Result<String, TransferError> {
    refuse_existing(path)?;
    let records: Vec<&KeyRecord> = vault.keys().iter().filter(|k| options.all || k.is_live()).collect();
    let secrets = if options.with_secrets {
        let ids: Vec<_> = records.iter().filter(|k| k.is_live()).map(|k| k.id.clone()).collect();
        let mut found = vault.secrets_for_export(&ids)?.into_iter();
        // Revoked keys (with `all`) have no secret: their key cell stays empty.
        Some(
            records
                .iter()
                .map(|k| if k.is_live() { found.next().unwrap_or_else(|| "".into()) } else { "".into() })
                .collect::<Vec<SecretString>>(),
        )
    } else {
        None
    };
    let records: Vec<KeyRecord> = records.into_iter().cloned().collect();
    write_export(&records, secrets.as_deref(), path, options, |done| Ok(vault.record_export(done)?))
}

/// Refuses to write over an existing file.
pub fn refuse_existing(path: &Path) -> Result<(), TransferError> {
    if path.exists() {
        return Err(TransferError::Exists { path: path.to_owned() });
    }
    Ok(())
}

/// Writes `records` (with `secrets`, one per record, when given) to `path` in the chosen
/// format, then `record`s the export (what was written, or why it was not) in the vault's
/// audit log or the team's trail; the sentence to tell the user.
pub fn write_export(
    records: &[KeyRecord],
    secrets: Option<&[SecretString]>,
    path: &Path,
    options: ExportOptions,
    record: impl FnOnce(Result<String, String>) -> Result<(), TransferError>,
) -> Result<String, TransferError> {
    // Oldest first, ties by label: the same file from a local vault and from a team vault
    // (whose keys have no order of their own on the server).
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&records[a], &records[b]);
        a.created_at.cmp(&b.created_at).then_with(|| a.label.cmp(&b.label)).then_with(|| a.id.cmp(&b.id))
    });
    let refs: Vec<&KeyRecord> = order.iter().map(|&at| &records[at]).collect();
    let ordered: Option<Vec<SecretString>> = secrets
        .map(|all| order.iter().map(|&at| all.get(at).cloned().unwrap_or_else(|| "".into())).collect());
    let secrets = ordered.as_deref();
    let text = match options.format {
        ExportFormat::Json => import::export::json(&refs, secrets),
        ExportFormat::Csv => import::export::csv(&refs, secrets),
    };
    let count = records.len();
    let what = if secrets.is_some() { "with their secrets" } else { "metadata only" };
    let written = write_new_private(path, text.as_bytes())
        .map_err(|source| TransferError::NotWritten { source, path: path.to_owned() });
    drop(text);
    // The audit line says what was written, or why nothing was.
    let outcome = match &written {
        Ok(()) => {
            Ok(format!("{}, {what}, as {} to {}", count_keys(count), options.format.word(), path.display()))
        }
        Err(why) => Err(why.to_string()),
    };
    let recorded = record(outcome);
    written?;
    recorded.map_err(|error| TransferError::NotRecorded(Box::new(error)))?;
    let mut said = format!("Exported {} ({what}) to {}.", count_keys(count), path.display());
    if secrets.is_some() {
        said.push_str(
            " The file holds your keys in plain text: import it where it is needed, then delete it.",
        );
    }
    Ok(said)
}
