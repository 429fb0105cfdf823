//! Reading what the user types: passwords, keys on stdin, dates and integrations.

use std::io::IsTerminal;
use std::path::Path;

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::CliError;
use crate::storage::secret_input::{Bounded, SECRET_INPUT_MAX, read_secret, read_secret_file};

/// The first line of a password file.
pub fn password_from_file(path: &Path) -> Result<SecretString, CliError> {
    first_line(path, "password file", "the master password").map(|line| SecretString::from(line.as_str()))
}

/// The first line of a secret's file (`file` names it, as "password file"; `what` is what
/// belongs on it): refused when unreadable, not text, or empty; a warning when other users
/// can read it.
pub fn first_line(path: &Path, file: &str, what: &str) -> Result<Zeroizing<String>, CliError> {
    warn_if_others_can_read(path, file);
    let could_not = |e: std::io::Error| {
        CliError::Failed(format!(
            "Could not read the {file} ({}): check the path and its permissions. File: {}",
            io_reason(&e),
            path.display()
        ))
    };
    // A pipe (`--password-file <(pass show …)`) is read as a file is; `/dev/zero` or a huge
    // file is refused at SECRET_INPUT_MAX instead of filling the memory.
    let text = read_secret_file(path).map_err(|error| match error {
        Bounded::TooLong => CliError::Failed(format!(
            "The {file} is larger than {} KiB: give a file with {what} on its first line. File: {}",
            SECRET_INPUT_MAX / 1024,
            path.display()
        )),
        Bounded::Io(e) => could_not(e),
    })?;
    let text = std::str::from_utf8(&text).map_err(|_not_utf8| {
        CliError::Failed(format!("The {file} is not UTF-8 text. File: {}", path.display()))
    })?;
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        return Err(CliError::Failed(format!(
            "The {file}'s first line is empty: put {what} on it. File: {}",
            path.display()
        )));
    }
    Ok(Zeroizing::new(line.to_owned()))
}

/// Says so when a secret's file can be read by other users (it is used all the same).
#[cfg(unix)]
fn warn_if_others_can_read(path: &Path, file: &str) {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    if let Ok(metadata) = std::fs::metadata(path)
        && metadata.is_file()
        && metadata.permissions().mode() & 0o044 != 0
    {
        let _stderr_closed = writeln!(
            std::io::stderr(),
            "keydesk: warning: other users can read the {file}: run `chmod 600 {}`.",
            path.display()
        );
    }
}

#[cfg(not(unix))]
fn warn_if_others_can_read(_path: &Path, _file: &str) {}

/// The master password: from the file if given, else a hidden prompt in a terminal.
pub fn password(file: Option<&Path>, prompt: &str) -> Result<SecretString, CliError> {
    if let Some(path) = file {
        return password_from_file(path);
    }
    prompt_hidden(prompt)
}

/// A hidden prompt; fails with a sentence when there is no terminal.
pub fn prompt_hidden(prompt: &str) -> Result<SecretString, CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(
            "No terminal to ask for the master password: give --password-file FILE.".into(),
        ));
    }
    rpassword::prompt_password(prompt)
        .map(SecretString::from)
        .map_err(|e| CliError::Failed(format!("Could not read the password ({}).", io_reason(&e))))
}

/// A new password, asked twice (or read from a file).
pub fn new_password(file: Option<&Path>) -> Result<SecretString, CliError> {
    if let Some(path) = file {
        return password_from_file(path);
    }
    let first = prompt_hidden("New master password: ")?;
    let second = prompt_hidden("Type it again: ")?;
    if first.expose_secret() != second.expose_secret() {
        return Err(CliError::Failed("The two passwords differ: type the same password twice.".into()));
    }
    Ok(first)
}

/// A key from stdin (one line; a trailing line break is dropped), or a hidden prompt.
pub fn key_from_stdin(prompt: &str) -> Result<SecretString, CliError> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(prompt)
            .map(SecretString::from)
            .map_err(|e| CliError::Failed(format!("Could not read the key ({}).", io_reason(&e))));
    }
    let raw = read_secret(std::io::stdin()).map_err(|error| match error {
        Bounded::TooLong => CliError::Failed(format!(
            "The key on stdin is longer than {} KiB: paste the key alone.",
            SECRET_INPUT_MAX / 1024
        )),
        Bounded::Io(e) => CliError::Failed(format!("Could not read the key from stdin ({}).", io_reason(&e))),
    })?;
    let text = std::str::from_utf8(&raw).map_err(|_not_utf8| {
        CliError::Failed("The key on stdin is not UTF-8 text: paste it as plain text.".into())
    })?;
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    Ok(SecretString::from(text))
}

/// An OS error's reason without the path (paths go last, in the sentence itself).
fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::IsADirectory => "it is a folder".into(),
        _ => error.to_string(),
    }
}
