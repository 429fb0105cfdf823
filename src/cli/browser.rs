//! `keydesk browser-host`: the browser extension's native messaging host.
//!
//! The browser starts it and writes the extension's requests on its stdin; each request is
//! checked, then handed to the running Keydesk over the user's socket
//! ([`crate::browser::socket`]), and Keydesk's reply written back on stdout. It holds no
//! vault and reads no file: when no Keydesk answers, the reply says to open and unlock it.

use super::CliError;

/// Answers the browser until it closes stdin. A message that cannot be framed (over 1 MiB,
/// cut off) is answered with an error and ends the host with exit code 1.
#[cfg(target_os = "linux")]
pub fn host() -> Result<(), CliError> {
    use crate::browser::messaging::{ErrorCode, Reply, StreamEnd, answer_stream};
    use crate::browser::socket::{SocketError, ask, socket_path};

    let path = socket_path();
    let forward = |request: &crate::browser::messaging::Request, body: &[u8]| match path
        .clone()
        .and_then(|path| ask(&path, body))
    {
        Ok(reply) => reply,
        Err(error) => {
            let code =
                if error == SocketError::NotRunning { ErrorCode::NotRunning } else { ErrorCode::Failed };
            Reply::error(Some(request.id()), code, error.to_string()).encode()
        }
    };
    let mut input = std::io::stdin().lock();
    let mut output = std::io::stdout().lock();
    match answer_stream(&mut input, &mut output, forward) {
        StreamEnd::Closed => Ok(()),
        StreamEnd::Broken(error) => Err(CliError::Failed(error.to_string())),
    }
}

/// `keydesk browser install`: the host's script and manifests in this user's folders.
#[cfg(target_os = "linux")]
pub fn install() -> Result<(), CliError> {
    use crate::browser::install::{Folders, install};

    let dirs = directories::BaseDirs::new()
        .ok_or_else(|| CliError::Failed("No home folder is known: set HOME, then try again.".into()))?;
    let folders = Folders {
        home: dirs.home_dir().to_owned(),
        config: dirs.config_dir().to_owned(),
        script_dir: dirs.data_dir().join("keydesk-browser"),
    };
    let program = std::env::current_exe()
        .map_err(|e| CliError::Failed(format!("Keydesk could not tell where its own program is ({e}).")))?;
    let installed = install(&folders, &program).map_err(|e| CliError::Failed(e.to_string()))?;
    let mut text = format!("Wrote {}.\n", installed.script.display());
    for (browser, path) in &installed.manifests {
        text.push_str(&format!("{browser}: wrote {}.\n", path.display()));
    }
    if !installed.missing.is_empty() {
        text.push_str(&format!(
            "Not found, nothing written: {} (start a browser once, then run this again).\n",
            installed.missing.join(", ")
        ));
    }
    if installed.manifests.is_empty() {
        return Err(CliError::Failed(format!("{text}No browser was found for this user.")));
    }
    text.push_str(
        "Now load the extension (docs/browser.md): Keydesk's extension/ folder as an unpacked extension.\n",
    );
    super::commands::out(text.trim_end())
}

/// `keydesk browser guard [on|off]`: turns the leak guard on or off through the store (a
/// local vault's header, a team vault's `team.ron`, recorded either way), or says whether it
/// is on.
pub fn guard(
    store: &mut (impl crate::actions::Store + ?Sized),
    switch: Option<super::args::Switch>,
) -> Result<(), CliError> {
    if let Some(switch) = switch {
        store.set_leak_guard(switch == super::args::Switch::On)?;
    }
    super::commands::out(if store.leak_guard() {
        "The leak guard is on: a key pasted into a page that is not one of its integrations is named beside the field."
    } else {
        "The leak guard is off: the browser extension sends Keydesk no pasted text."
    })
}

/// The socket and its peer check are Linux's for now.
#[cfg(not(target_os = "linux"))]
pub fn host() -> Result<(), CliError> {
    Err(CliError::Failed("The browser host runs on Linux only for now.".into()))
}

/// The host is Linux's for now.
#[cfg(not(target_os = "linux"))]
pub fn install() -> Result<(), CliError> {
    Err(CliError::Failed("The browser host runs on Linux only for now.".into()))
}
