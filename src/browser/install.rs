//! `keydesk browser install`: the native host set up for this user alone, from a build
//! outside the package. A browser starts a host by a path and passes no arguments of the
//! host's choosing, so a small script that runs `keydesk browser-host` is written first,
//! then each browser's host manifest naming it, into the folders of the browsers this user
//! has (a browser never started here has no folder, and gets none).
//!
//! It writes files in the user's own folders, as the package writes the system's: besides
//! the socket ([`super::socket`]), the one place outside `src/storage/` and `src/secrets/`
//! that does.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::storage::disk::atomic_write;

/// The host's name, as the extension asks for it.
pub const HOST_NAME: &str = "app.keydesk.host";
/// The manifests the package installs; the user's copies differ in their `path` alone.
const CHROMIUM_MANIFEST: &str = include_str!("../../packaging/browser/app.keydesk.host.chromium.json");
const FIREFOX_MANIFEST: &str = include_str!("../../packaging/browser/app.keydesk.host.firefox.json");

/// A browser whose user folder gets a host manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Browser {
    pub name: &'static str,
    /// Its folder of settings, under the user's config folder (or home, for Firefox).
    profile: &'static str,
    /// Where it reads host manifests, under that same base.
    hosts: &'static str,
    firefox: bool,
}

/// The browsers `install` knows, with their folders relative to `~/.config` (Firefox: `~`).
pub const BROWSERS: [Browser; 5] = [
    Browser { name: "Chromium", profile: "chromium", hosts: "chromium/NativeMessagingHosts", firefox: false },
    Browser {
        name: "Google Chrome",
        profile: "google-chrome",
        hosts: "google-chrome/NativeMessagingHosts",
        firefox: false,
    },
    Browser {
        name: "Brave",
        profile: "BraveSoftware/Brave-Browser",
        hosts: "BraveSoftware/Brave-Browser/NativeMessagingHosts",
        firefox: false,
    },
    Browser {
        name: "Microsoft Edge",
        profile: "microsoft-edge",
        hosts: "microsoft-edge/NativeMessagingHosts",
        firefox: false,
    },
    Browser { name: "Firefox", profile: ".mozilla", hosts: ".mozilla/native-messaging-hosts", firefox: true },
];

/// The user's folders `install` writes in.
#[derive(Debug, Clone)]
pub struct Folders {
    pub home: PathBuf,
    /// `$XDG_CONFIG_HOME`, else `~/.config`.
    pub config: PathBuf,
    /// Where the host's script goes (`$XDG_DATA_HOME/keydesk-browser`).
    pub script_dir: PathBuf,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub script: PathBuf,
    /// Each browser found, with the manifest written for it.
    pub manifests: Vec<(&'static str, PathBuf)>,
    /// The browsers not found (no folder of theirs): nothing written for them.
    pub missing: Vec<&'static str>,
}

/// Why the host could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("Could not write {path}: {error}.")]
    Write { path: String, error: std::io::ErrorKind },
    #[error("The manifest shipped with Keydesk does not read as JSON; reinstall Keydesk.")]
    Template,
}

fn write_error(path: &Path, error: &std::io::Error) -> InstallError {
    InstallError::Write { path: path.display().to_string(), error: error.kind() }
}

/// Writes the host's script (running `program browser-host`) and the manifest of each
/// browser this user has.
pub fn install(folders: &Folders, program: &Path) -> Result<Installed, InstallError> {
    std::fs::create_dir_all(&folders.script_dir).map_err(|e| write_error(&folders.script_dir, &e))?;
    let script = folders.script_dir.join("keydesk-browser-host");
    let text = format!(
        "#!/bin/sh\n# Written by `keydesk browser install`: the browser starts Keydesk's native host.\nexec {} browser-host \"$@\"\n",
        shell_quote(&program.to_string_lossy())
    );
    atomic_write(&script, text.as_bytes(), false).map_err(|e| write_error(&script, &e))?;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| write_error(&script, &e))?;
    let mut installed = Installed { script: script.clone(), manifests: Vec::new(), missing: Vec::new() };
    for browser in BROWSERS {
        let base = if browser.firefox { &folders.home } else { &folders.config };
        if !base.join(browser.profile).is_dir() {
            installed.missing.push(browser.name);
            continue;
        }
        let folder = base.join(browser.hosts);
        std::fs::create_dir_all(&folder).map_err(|e| write_error(&folder, &e))?;
        let path = folder.join(format!("{HOST_NAME}.json"));
        let manifest = manifest(browser.firefox, &script)?;
        atomic_write(&path, manifest.as_bytes(), false).map_err(|e| write_error(&path, &e))?;
        installed.manifests.push((browser.name, path));
    }
    Ok(installed)
}

/// The packaged manifest with `path` set to the user's script.
fn manifest(firefox: bool, script: &Path) -> Result<String, InstallError> {
    let template = if firefox { FIREFOX_MANIFEST } else { CHROMIUM_MANIFEST };
    let mut value: Value = serde_json::from_str(template).map_err(|_unreadable| InstallError::Template)?;
    value["path"] = Value::String(script.to_string_lossy().into_owned());
    serde_json::to_string_pretty(&value).map(|text| text + "\n").map_err(|_unwritable| InstallError::Template)
}

/// `text` in single quotes for sh, each `'` in it written as `'\''`.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}
