//! `keydesk backup FILE` and `keydesk restore FILE`: the whole vault in one file encrypted
//! under the master password, and back.

use std::io::IsTerminal;

use super::args::{BackupArgs, RestoreArgs};
use super::commands::{Context, note, out};
use super::{CliError, input};
use crate::actions::restore;
use crate::secrets;
use crate::storage::{VAULT_FILE, atomic_write};
use crate::vault::{SystemClock, Vault};

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

/// Restores a backup into the vault folder, after asking before it replaces a vault there
/// (the restore itself is `actions::restore`, which the window runs too).
pub fn restore(context: &Context, args: &RestoreArgs) -> Result<(), CliError> {
    let bytes = restore::read_backup(&args.file)?;
    let password = input::password(context.password_file.as_deref(), "Master password of the backup: ")?;
    let contents = restore::open_backup(&bytes, &password)?;
    let exists = context.dir.join(VAULT_FILE).exists();
    if exists && !args.replace && !confirmed_replace(context)? {
        return Err(CliError::Failed(
            "A vault already exists here and was left as it is: restore elsewhere with --vault DIR, or give --replace.".into(),
        ));
    }
    let restored = restore::restore_into(
        &context.dir,
        contents,
        &password,
        (&args.file, "keydesk restore"),
        (&secrets::open, Box::new(SystemClock), Box::new(super::entropy())),
    )?;
    if restored.problems {
        note("The restored vault has problems: run `keydesk check` to see them.");
    }
    out(&restored.sentence(&context.dir))
}

/// Finishes a restore into `dir` that a crash or a kill cut short (the note it wrote before its
/// first write is still there), with the master password given for this command: the folder
/// then holds the restored vault, as if the restore had run to its end.
pub fn finish_pending(context: &Context, password: &secrecy::SecretString) -> Result<(), CliError> {
    if restore::finish_pending(
        &context.dir,
        password,
        (&secrets::open, Box::new(SystemClock), Box::new(super::entropy())),
    )? {
        note("Finished a restore into this folder that was cut short.");
    }
    Ok(())
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
