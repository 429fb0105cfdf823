//! The command line: the same operations as the window, for automation and tests.
//!
//! `main` calls [`main`]; errors are mapped to an exit code and one sentence on stderr in one
//! place. Secrets go to stdout only when the user asked for one (`generate`, `reveal`,
//! `rotate`); never to stderr.

mod args;
mod backup;
mod browser;
mod check_all;
mod commands;
mod due;
mod health;
mod home;
mod incident;
mod input;
pub mod lookup;
mod notify;
mod offline;
mod remote;
mod render;
mod setup;
mod signin;
mod team;
mod transfer;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// The command line's randomness: the OS's. The one place the command line reaches `vault::os_rng` (clippy's
/// `disallowed-methods`): the library is given what it needs.
#[allow(clippy::disallowed_methods, reason = "the command line's one home of the OS's randomness")]
pub(crate) fn entropy() -> impl crate::vault::Entropy {
    crate::vault::os_rng()
}

/// [`entropy`] for what outlives one call (a team vault's connection).
pub(crate) fn entropy_source() -> crate::vault::EntropySource {
    std::sync::Arc::new(|| Box::new(entropy()))
}

pub use args::{Cli, Command};

/// The version and the commit it was built from.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("KEYDESK_GIT_COMMIT"), ")");

/// A failure: one sentence on stderr and the exit code [`CliError::exit_code`] gives, both
/// decided here. The errors of the layers below keep their type up to this point.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A sentence of the command line's own (exit 1).
    #[error("{0}")]
    Failed(String),
    /// The command was used wrongly (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Nothing to report beyond what was printed (exit 1).
    #[error("")]
    Quiet,
    #[error(transparent)]
    Vault(#[from] crate::vault::VaultError),
    #[error(transparent)]
    Action(#[from] crate::actions::ActionError),
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    #[error(transparent)]
    Clipboard(#[from] crate::clipboard::ClipboardError),
    #[error(transparent)]
    SecretStore(#[from] crate::secrets::SecretStoreError),
    #[error(transparent)]
    Team(#[from] crate::team::TeamError),
    #[error(transparent)]
    Server(#[from] crate::team::kv::KvError),
    #[error(transparent)]
    Restore(#[from] crate::actions::restore::RestoreError),
    #[error(transparent)]
    Transfer(#[from] crate::actions::transfer::TransferError),
    #[error(transparent)]
    Folder(#[from] crate::actions::team::FolderError),
}

impl CliError {
    /// 2 for a command used wrongly, 1 for every failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Failed(_)
            | CliError::Quiet
            | CliError::Vault(_)
            | CliError::Action(_)
            | CliError::Storage(_)
            | CliError::Clipboard(_)
            | CliError::SecretStore(_)
            | CliError::Team(_)
            | CliError::Server(_)
            | CliError::Restore(_)
            | CliError::Transfer(_)
            | CliError::Folder(_) => 1,
        }
    }
}

/// Parses the arguments and runs the command; returns the process exit code.
pub fn main() -> ExitCode {
    // Before any key can be in memory.
    if let Err(why) = crate::secrets::process::forbid_core_dumps() {
        let _stderr_closed =
            writeln!(std::io::stderr(), "keydesk: warning: core dumps stay possible: {why}.");
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if !error.use_stderr() => {
            // Help and version are "errors" to clap: print them as they are.
            let _stderr_closed = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            let _stderr_closed =
                writeln!(std::io::stderr(), "keydesk: {}", one_line(&error.render().to_string()));
            return ExitCode::from(2);
        }
    };
    // A command that derives a key from the master password starts itself once more with huge
    // pages for Argon2id's memory, before it reads anything (the window does the same).
    if cli.command.as_ref().is_some_and(|command| {
        !commands::reads_metadata_only(command)
            && !matches!(
                command,
                Command::BrowserHost(_) | Command::Browser(args::BrowserCommand::Install) | Command::Team(_)
            )
    }) {
        crate::secrets::process::restart_with_tunables(crate::secrets::process::KDF_TUNABLES);
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let code = error.exit_code();
            let text = error.to_string();
            if !text.is_empty() {
                let _stderr_closed = writeln!(std::io::stderr(), "keydesk: {text}");
            }
            ExitCode::from(code)
        }
    }
}

/// Runs one parsed command.
pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Some(Command::BrowserHost(_)) => return browser::host(),
        Some(Command::Browser(args::BrowserCommand::Install)) => return browser::install(),
        _ => {}
    }
    let dir = vault_dir(cli.vault.clone())?;
    let context = commands::Context {
        dir,
        password_file: cli.password_file,
        token_file: cli.token_file,
        login: cli.login,
        login_name: cli.login_name,
        login_role: cli.login_role,
        login_password_file: cli.login_password_file,
    };
    match cli.command {
        None => crate::ui::run(context.dir.clone()).map_err(|failure| CliError::Failed(failure.to_string())),
        Some(command) => commands::run(&context, command),
    }
}

/// Clap's usage message as one sentence: the lines before "Usage:", without tips.
fn one_line(rendered: &str) -> String {
    let words: Vec<&str> = rendered
        .lines()
        .take_while(|line| !line.starts_with("Usage:"))
        .map(str::trim)
        .filter(|line| {
            !line.is_empty() && !line.starts_with("tip:") && !line.starts_with("For more information")
        })
        .collect();
    let text = words.join(" ");
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    format!("{}; see `keydesk --help`.", text.trim_end_matches(['.', ':']))
}

fn vault_dir(given: Option<PathBuf>) -> Result<PathBuf, CliError> {
    if let Some(dir) = given {
        return Ok(dir);
    }
    directories::ProjectDirs::from("", "", "keydesk").map(|dirs| dirs.data_dir().to_owned()).ok_or_else(
        || CliError::Usage("No home folder is known: give the vault folder with --vault DIR.".into()),
    )
}
