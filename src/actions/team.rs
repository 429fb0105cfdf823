//! A team vault's folder on this computer, shared by the command line and the window:
//! `team.ron` (where the team vault is and who this member is: no token, no key) and
//! `team-cache.json` (this computer's copy of the keys, secrets still sealed), and the server
//! token from the environment.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use std::ops::ControlFlow;

use secrecy::SecretString;

use super::transfer::{ExportOptions, ImportFile, TransferError};
use crate::team::audit::TrailAction;
use crate::team::cache::Snapshot;
use crate::team::{TeamConfig, TeamError, TeamKey, TeamKeys, TeamVault};
use crate::vault::audit::Action;
use crate::vault::model::KeyRecord;
use crate::vault::{ImportReport, Verdict, count_keys, new_key_id, new_key_record, whole_seconds};

/// The file in a vault's folder that makes it a team vault's.
pub const TEAM_FILE: &str = "team.ron";

/// The file in the vault's folder that keeps this computer's copy of the team vault.
pub const TEAM_CACHE: &str = "team-cache.json";

/// Whether the folder holds a team vault's `team.ron`.
pub fn is_team(dir: &Path) -> bool {
    dir.join(TEAM_FILE).is_file()
}

/// The largest `team.ron` read (a few hundred bytes are written).
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The largest `team-cache.json` read (10,000 keys take about 20 MiB).
const MAX_CACHE_BYTES: u64 = crate::storage::disk::MAX_VAULT_BYTES;

/// Why this computer's files of a team vault (`team.ron`, the copy of its keys) could not be
/// read or written: one sentence each, naming the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("{file} cannot be read: {detail}. Fix the file or make it again with `keydesk init --team`. File: {}", .path.display())]
    Unreadable { file: &'static str, detail: String, path: PathBuf },
    /// The folder or file is not one Keydesk reads or writes (its permissions, its kind).
    #[error(transparent)]
    Refused(crate::storage::StorageError),
    #[error("Could not read the team vault's settings. File: {}", .path.display())]
    NotRead { path: PathBuf },
    #[error("{file} is not text: make it again with `keydesk init --team`. File: {}", .path.display())]
    NotText { file: &'static str, path: PathBuf },
    #[error("The team vault's settings cannot be read ({detail}): fix the file or make it again with `keydesk init --team`. File: {}", .path.display())]
    NotParsed { detail: String, path: PathBuf },
    #[error("{why} in the team vault's settings. File: {}", .path.display())]
    Settings { why: String, path: PathBuf },
    #[error("Could not write the team vault's settings: check the folder's permissions and free space. Folder: {}", .dir.display())]
    NotWritten { dir: PathBuf },
    #[error("Warning: this computer's copy of the team vault could not be saved, so the next start reads every key again. File: {}", .path.display())]
    CopyNotSaved { path: PathBuf },
    #[error(
        "Keydesk does not know this team vault's folder on this computer, where its browser settings are kept."
    )]
    NoFolder,
}

/// The text of `file` in `dir` through the storage's bounded reader (a regular file, not
/// larger than `max`).
fn read_text(dir: &Path, file: &'static str, max: u64) -> Result<String, FolderError> {
    let path = dir.join(file);
    let bytes = crate::storage::disk::read_limited(&path, max, file).map_err(|failure| match failure {
        crate::storage::disk::Limited::Refused(crate::storage::StorageError::Unreadable {
            detail, ..
        }) => FolderError::Unreadable { file, detail, path: path.clone() },
        crate::storage::disk::Limited::Refused(error) => FolderError::Refused(error),
        crate::storage::disk::Limited::Io(_unreadable) => FolderError::NotRead { path: path.clone() },
    })?;
    String::from_utf8(bytes).map_err(|_not_text| FolderError::NotText { file, path })
}

/// The size of `team.ron` in `dir` in bytes, when it is readable.
pub fn config_bytes(dir: &Path) -> Option<usize> {
    read_text(dir, TEAM_FILE, MAX_CONFIG_BYTES).ok().map(|text| text.len())
}

/// The team vault's settings in `dir`.
pub fn read_config(dir: &Path) -> Result<TeamConfig, FolderError> {
    let path = dir.join(TEAM_FILE);
    let text = read_text(dir, TEAM_FILE, MAX_CONFIG_BYTES)?;
    let config: TeamConfig = ron::from_str(&text).map_err(|error| FolderError::NotParsed {
        detail: crate::vault::format::clip(&error.code.to_string(), 100),
        path: path.clone(),
    })?;
    config.settings.check().map_err(|why| FolderError::Settings { why, path })?;
    Ok(config)
}

/// Writes `team.ron` into `dir`, made private first (it also keeps the copy of the keys).
pub fn write_config(dir: &Path, config: &TeamConfig) -> Result<(), FolderError> {
    crate::storage::create_private_folder(dir).map_err(FolderError::Refused)?;
    let not_written = || FolderError::NotWritten { dir: dir.to_owned() };
    let pretty = ron::ser::PrettyConfig::new().struct_names(false);
    let mut text = ron::ser::to_string_pretty(config, pretty).map_err(|_ron| not_written())?;
    text.push('\n');
    crate::storage::atomic_write(&dir.join(TEAM_FILE), text.as_bytes(), false)
        .map_err(|_failed| not_written())
}

/// This computer's copy of the keys, when there is a readable one.
pub fn read_copy(dir: &Path) -> Option<Snapshot> {
    // One that is not a regular file, or too large, is not read: the server's keys are.
    read_text(dir, TEAM_CACHE, MAX_CACHE_BYTES).ok().as_deref().and_then(Snapshot::from_text)
}

/// The server's pack kept up from this computer's copy in `dir` by a member holding the
/// team's key (see `team::packs`): only when this command's refresh found it due (the copy is
/// read again then, once every few hundred trail entries), and the copy saved again with the
/// pack's head. A pack not written is the others' to write: nothing here fails a command.
pub fn keep_pack(dir: &Path, vault: &TeamVault, keys: &TeamKeys) {
    if !vault.pack_due() {
        return;
    }
    if let Some(copy) = read_copy(dir) {
        let copy = vault.keep_pack_of(keys, copy);
        // A copy not saved looks at the pack again next time.
        let _looked_again_next_time = save_copy(dir, &copy);
    }
}

/// Keeps `copy` as this computer's copy; its size in bytes, or the warning to show when it
/// could not be saved (the next start then reads every key again).
pub fn save_copy(dir: &Path, copy: &Snapshot) -> Result<usize, FolderError> {
    let path = dir.join(TEAM_CACHE);
    let text = copy.to_text();
    crate::storage::atomic_write(&path, text.as_bytes(), false)
        .map(|()| text.len())
        .map_err(|_failed| FolderError::CopyNotSaved { path })
}

/// The name the OS keychain keeps a team vault's server token under (per team and member).
pub fn token_name(config: &TeamConfig) -> String {
    format!("keydesk-team-token/{}/{}", config.team_id, config.member)
}

/// The server token `keychain` keeps for the team vault `config` names, if any.
pub fn kept_token(
    keychain: &dyn crate::secrets::SecretStore,
    config: &TeamConfig,
) -> Option<Zeroizing<String>> {
    let kept = Zeroizing::new(keychain.get(&token_name(config)).ok()?);
    (!kept.trim().is_empty()).then(|| Zeroizing::new(kept.trim().to_owned()))
}

/// Keeps `token` in `keychain` for the team vault `config` names; the warning to show when
/// it could not be (`next` says what happens then, as "you will be asked for it at the next
/// unlock").
pub fn keep_token(
    keychain: Result<Box<dyn crate::secrets::SecretStore>, crate::secrets::SecretStoreError>,
    config: &TeamConfig,
    token: &Zeroizing<String>,
    next: &str,
) -> Option<String> {
    let kept = keychain.and_then(|mut keychain| keychain.put(&token_name(config), token));
    kept.err()
        .map(|error| format!("The server token could not be kept in the OS keychain ({error}): {next}."))
}

/// Forgets the server token `keychain` keeps for the team vault `config` names (one the server
/// no longer accepts).
pub fn forget_token(
    keychain: Result<Box<dyn crate::secrets::SecretStore>, crate::secrets::SecretStoreError>,
    config: &TeamConfig,
) {
    if let Ok(mut keychain) = keychain {
        let _gone_or_never_there = keychain.delete(&token_name(config));
    }
}

/// The server token from `BAO_TOKEN`, else `VAULT_TOKEN`, when one is set.
pub fn token_from_env() -> Option<Zeroizing<String>> {
    ["BAO_TOKEN", "VAULT_TOKEN"].into_iter().find_map(|name| {
        let value = std::env::var(name).ok().map(Zeroizing::new)?;
        (!value.trim().is_empty()).then(|| Zeroizing::new(value.trim().to_owned()))
    })
}

/// A file read for an import into a team vault, each row previewed against the keys it holds
/// (`existing`; "already in the vault" found by lookup hash under every generation held).
pub fn read_import(
    keys: &TeamKeys,
    existing: &[TeamKey],
    path: &Path,
    how: super::transfer::ReadAs<'_>,
) -> Result<ImportFile, TransferError> {
    let known = keys.known_in(existing);
    super::transfer::read_import_with(path, how, |rows| {
        // A row that is a provider account's management key is not told apart here: opening
        // every account's sealed key for each row is not worth it for a team's few accounts.
        crate::vault::preview_rows(
            rows,
            crate::vault::Clock::now(&crate::vault::SystemClock),
            &known,
            &|_| false,
        )
    })
}

/// Imports the rows of `file` the preview calls new, each added as `add` does (its own
/// entry in the trail, so other members' copies hear of it), then records the import.
/// `progress` is told how far it got and may stop it between two keys: what was added stays,
/// and a second run recognises it.
pub fn import(
    vault: &TeamVault,
    keys: &TeamKeys,
    existing: &[TeamKey],
    file: &ImportFile,
    progress: &mut dyn FnMut(usize, usize) -> ControlFlow<()>,
) -> Result<ImportReport, TeamError> {
    let now = crate::vault::Clock::now(&crate::vault::SystemClock);
    let rng = &mut *vault.entropy();
    let total = file.new_keys();
    // The rows the file's reader left out are counted with those refused here.
    let mut report = ImportReport { skipped: file.problems.len(), ..ImportReport::default() };
    let mut taken: std::collections::HashSet<String> =
        existing.iter().map(|key| key.record.id.to_string()).collect();
    for (row, seen) in file.rows.iter().zip(&file.preview) {
        match &seen.verdict {
            Verdict::New { provider, .. } => {
                if progress(report.imported, total).is_break() {
                    return Err(TeamError::Stopped { added: report.imported, total });
                }
                let detection = crate::vault::recognise_imported(&row.secret, row.provider)?;
                let (meta, expires_at) = crate::vault::imported_meta(&row.meta);
                let id = new_key_id(rng, |id| taken.contains(id.as_str()));
                taken.insert(id.to_string());
                let mut record = new_key_record(
                    id,
                    meta,
                    (*provider, &detection.prefix),
                    &row.secret,
                    keys.lookup_hash(&row.secret),
                    whole_seconds(now),
                )?;
                record.region = detection.region;
                record.expires_at = expires_at;
                record.tags.clone_from(&row.tags);
                if let Some(created) = row.created_at.filter(|at| *at <= now) {
                    record.created_at = whole_seconds(created);
                }
                vault.add(keys, &record, &row.secret, rng, now)?;
                report.imported += 1;
            }
            Verdict::InVault { .. } => report.in_vault += 1,
            Verdict::Repeated { .. } => report.repeated += 1,
            Verdict::Refused { .. } => report.skipped += 1,
        }
    }
    let _last = progress(report.imported, total);
    let detail = format!(
        "{} from \"{}\"; {} already in the vault, {} repeated in the file, {} skipped",
        count_keys(report.imported),
        file.source(),
        report.in_vault,
        report.repeated,
        report.skipped
    );
    vault.record(keys, Action::Import, None, &detail, now)?;
    Ok(report)
}

/// Writes the keys of `list` (live ones, or all with `options.all`) to `path` as the local
/// export does, their secrets (opened from their sealed entries, each seal checked) only
/// with `options.with_secrets`; the export is recorded in the team's trail, or the file
/// taken back. The sentence to show.
pub fn export(
    vault: &TeamVault,
    keys: &TeamKeys,
    list: &[TeamKey],
    path: &Path,
    options: ExportOptions,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, TransferError> {
    super::transfer::refuse_existing(path)?;
    let chosen: Vec<&TeamKey> = list.iter().filter(|key| options.all || key.record.is_live()).collect();
    let secrets = if options.with_secrets {
        // Revoked keys have no secret: their key cell stays empty.
        let opened: Result<Vec<SecretString>, TeamError> = chosen
            .iter()
            .map(|key| if key.record.is_live() { vault.secret_to_copy(keys, key) } else { Ok("".into()) })
            .collect();
        Some(opened?)
    } else {
        None
    };
    let records: Vec<KeyRecord> = chosen.iter().map(|key| key.record.clone()).collect();
    super::transfer::write_export(&records, secrets.as_deref(), path, options, |done| {
        let (action, detail) = match done {
            Ok(detail) => (TrailAction::from(Action::Export), detail),
            Err(why) => (TrailAction::failed(Action::Export), why),
        };
        vault.record(keys, action, None, &detail, now).map(|_seq| ()).map_err(TransferError::from)
    })
}
