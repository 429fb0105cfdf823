//! `keydesk backup FILE` and `keydesk restore FILE`: the whole vault in one file encrypted
//! under the master password, and back.

use std::io::IsTerminal;

use super::args::{BackupArgs, RestoreArgs};
use super::commands::{Context, note, out};
use super::{CliError, input};
use crate::secrets;
use crate::storage::disk::{Limited, read_limited};
use crate::storage::{AUDIT_FILE, VAULT_FILE, VaultDir, atomic_write};
use crate::vault::backup::{self, MAX_BACKUP_BYTES};
use crate::vault::{Env, SystemClock, Vault, os_rng, place};

/// Writes the backup, created readable by the user alone, and records it.
pub fn backup(context: &Context, vault: &mut Vault, args: &BackupArgs) -> Result<(), CliError> {
    let password =
        input::password(context.password_file.as_deref(), "Master password (again, for the backup): ")?;
    let bytes = vault.backup(&password)?;
    let written = atomic_write(&args.file, &bytes, false).map_err(|error| {
        format!(
            "Could not write the backup ({error}): check the folder and its free space. File: {}",
            args.file.display()
        )
    });
    vault.record_backup(written.clone().map(|()| format!("to {}", args.file.display())))?;
    written.map_err(CliError::Failed)?;
    out(&format!(
        "Backed up {} keys to {}: keep it somewhere safe; it opens with this master password.",
        vault.keys().iter().filter(|k| k.is_live()).count(),
        args.file.display()
    ))
}

/// Restores a backup into the vault folder, after asking before it replaces a vault there.
pub fn restore(context: &Context, args: &RestoreArgs) -> Result<(), CliError> {
    let bytes =
        read_limited(&args.file, MAX_BACKUP_BYTES, "the backup file").map_err(|error| match error {
            Limited::Refused(refused) => CliError::Failed(refused.to_string()),
            Limited::Io(source) => CliError::Failed(format!(
                "Could not read the backup ({source}): check the path. File: {}",
                args.file.display()
            )),
        })?;
    let password = input::password(context.password_file.as_deref(), "Master password of the backup: ")?;
    let mut contents = backup::open(&bytes, &password).map_err(|e| CliError::Failed(e.to_string()))?;
    let backed_up = Vault::parse(&contents.vault_text)?;

    let exists = context.dir.join(VAULT_FILE).exists();
    if exists && !args.replace && !confirmed_replace(context)? {
        return Err(CliError::Failed(
            "A vault already exists here and was left as it is: restore elsewhere with --vault DIR, or give --replace.".into(),
        ));
    }
    let dir = if exists { VaultDir::open(&context.dir, true)? } else { VaultDir::create(&context.dir)? };
    let store = secrets::open(backed_up.header.secret_store, &context.dir)?;
    // The vault is still kept in another folder here: restored under the same id, it would
    // write over that vault's keychain entries and mark. It becomes a vault of its own.
    let renewed = match place::used_elsewhere(store.as_ref(), &dir, &backed_up.header.vault_id) {
        Some(location) => Some((place::renew(&mut contents, &password, &mut os_rng())?, location)),
        None => None,
    };
    // Written down before the first write, sealed as a backup is: a kill at any later step
    // leaves it, and the next command that unlocks this folder finishes the restore.
    let kdf = Vault::parse(&contents.vault_text)?.header.kdf;
    dir.write_pending_restore(&backup::seal(&contents, &password, kdf, &mut os_rng())?)?;
    let source = format!("keydesk restore from {}", args.file.display());
    let mut vault = apply_restore(dir, store, &contents, &password, &source)?;
    let keys = vault.keys().iter().filter(|k| k.is_live()).count();
    let mut detail = format!("{keys} live keys, {} secrets", contents.secrets.len());
    if let Some((renewed, location)) = &renewed {
        detail.push_str(&format!(
            "; as a new vault {} (the backup's vault {} is kept in {location})",
            renewed.vault_id, renewed.was
        ));
        if renewed.unreadable > 0 {
            detail.push_str(&format!("; {} secrets that did not decrypt left out", renewed.unreadable));
        }
    }
    vault.record_restore(detail)?;
    vault_dir_done(&context.dir)?;
    let report = vault.check();
    if !report.is_clean() {
        note("The restored vault has problems: run `keydesk check` to see them.");
    }
    match &renewed {
        Some((renewed, location)) => out(&format!(
            "Restored {keys} keys into {} as a vault of its own (id {}), since the vault it was backed up from is still kept in {location}: each has its own keychain entries, and changes to one never touch the other; the audit chain continues.",
            context.dir.display(),
            renewed.vault_id
        )),
        None => {
            out(&format!("Restored {keys} keys into {}; the audit chain continues.", context.dir.display()))
        }
    }
}

/// Puts `contents` in the folder — secrets first, then the metadata that names them, as every
/// write in Keydesk — and opens the result: a restore puts an older vault back on purpose, the
/// one rollback to keep (the contents are authenticated by the password). Run again from the
/// start, it ends in the same vault: a restore cut short is finished this way.
fn apply_restore(
    dir: VaultDir,
    mut store: Box<dyn secrets::SecretStore>,
    contents: &backup::Contents,
    password: &secrecy::SecretString,
    source: &str,
) -> Result<Vault, CliError> {
    let file = Vault::parse(&contents.vault_text)?;
    let write = |name: &str, text: &str| {
        atomic_write(&dir.path().join(name), text.as_bytes(), true).map_err(|error| {
            CliError::Failed(format!(
                "Could not write {name} ({error}): check the folder. Folder: {}",
                dir.path().display()
            ))
        })
    };
    if let Err((_, error)) = store.put_many(&contents.secrets, &mut |_| std::ops::ControlFlow::Continue(())) {
        return Err(error.into());
    }
    write(AUDIT_FILE, &contents.audit_text)?;
    write(VAULT_FILE, &contents.vault_text)?;
    let text = dir.read_vault()?;
    let env = Env { store, storage: Box::new(dir), clock: Box::new(SystemClock), rng: Box::new(os_rng()) };
    let mut vault = Vault::unlock(env, file, &text, password)?;
    if vault.changed_outside().is_some() {
        vault.accept_outside_changes(source)?;
    }
    Ok(vault)
}

/// Forgets the restore written down in `dir`, once the restored vault's line is on record.
fn vault_dir_done(dir: &std::path::Path) -> Result<(), CliError> {
    Ok(crate::storage::disk::clear_pending_restore(dir)?)
}

/// Finishes a restore into `dir` that a crash or a kill cut short (the note it wrote before its
/// first write is still there), with the master password given for this command: the folder
/// then holds the restored vault, as if the restore had run to its end.
pub fn finish_pending(context: &Context, password: &secrecy::SecretString) -> Result<(), CliError> {
    let Ok(dir) = VaultDir::open(&context.dir, true) else { return Ok(()) };
    let Some(sealed) = dir.pending_restore()? else { return Ok(()) };
    let contents = backup::open(&sealed, password).map_err(|error| {
        CliError::Failed(format!(
            "A restore into this folder was cut short, and the password given does not open it ({error}): run the command again with the backup's master password."
        ))
    })?;
    note("Finishing a restore into this folder that was cut short.");
    let file = Vault::parse(&contents.vault_text)?;
    let store = secrets::open(file.header.secret_store, &context.dir)?;
    let mut vault = apply_restore(dir, store, &contents, password, "keydesk: a restore cut short, finished")?;
    let keys = vault.keys().iter().filter(|k| k.is_live()).count();
    vault.record_restore(format!(
        "{keys} live keys, {} secrets; finished after it was cut short",
        contents.secrets.len()
    ))?;
    drop(vault);
    vault_dir_done(&context.dir)
}

fn confirmed_replace(context: &Context) -> Result<bool, CliError> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    eprint!(
        "A vault already exists in {}. Replace it with the backup? Type \"replace\" to go on: ",
        context.dir.display()
    );
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|_closed| CliError::Failed("Could not read the answer.".into()))?;
    Ok(answer.trim() == "replace")
}
