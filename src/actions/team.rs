//! A team vault's folder on this computer, shared by the command line and the window:
//! `team.ron` (where the team vault is and who this member is: no token, no key) and
//! `team-cache.json` (this computer's copy of the keys, secrets still sealed), and the server
//! token from the environment.

use std::path::Path;

use zeroize::Zeroizing;

use crate::team::TeamConfig;
use crate::team::cache::Snapshot;

/// The file in a vault's folder that makes it a team vault's.
pub const TEAM_FILE: &str = "team.ron";

/// The file in the vault's folder that keeps this computer's copy of the team vault.
pub const TEAM_CACHE: &str = "team-cache.json";

/// Whether the folder holds a team vault's `team.ron`.
pub fn is_team(dir: &Path) -> bool {
    dir.join(TEAM_FILE).is_file()
}

/// The team vault's settings in `dir`, or one sentence on why they cannot be read.
pub fn read_config(dir: &Path) -> Result<TeamConfig, String> {
    let path = dir.join(TEAM_FILE);
    let text = std::fs::read_to_string(&path).map_err(|_unreadable| {
        format!("Could not read the team vault's settings. File: {}", path.display())
    })?;
    ron::from_str(&text).map_err(|error| {
        format!(
            "The team vault's settings cannot be read ({}): fix the file or make it again with `keydesk init --team`. File: {}",
            crate::vault::format::clip(&error.code.to_string(), 100),
            path.display()
        )
    })
}

/// Writes `team.ron` into `dir`, made private first (it also keeps the copy of the keys).
pub fn write_config(dir: &Path, config: &TeamConfig) -> Result<(), String> {
    crate::storage::create_private_folder(dir).map_err(|error| error.to_string())?;
    let pretty = ron::ser::PrettyConfig::new().struct_names(false);
    let mut text = ron::ser::to_string_pretty(config, pretty)
        .map_err(|_ron| "Keydesk could not write the team vault's settings.".to_owned())?;
    text.push('\n');
    crate::storage::atomic_write(&dir.join(TEAM_FILE), text.as_bytes(), false).map_err(|_failed| {
        format!(
            "Could not write the team vault's settings: check the folder's permissions and free space. Folder: {}",
            dir.display()
        )
    })
}

/// This computer's copy of the keys, when there is a readable one.
pub fn read_copy(dir: &Path) -> Option<Snapshot> {
    std::fs::read_to_string(dir.join(TEAM_CACHE)).ok().as_deref().and_then(Snapshot::from_text)
}

/// Keeps `copy` as this computer's copy; its size in bytes, or the warning to show when it
/// could not be saved (the next start then reads every key again).
pub fn save_copy(dir: &Path, copy: &Snapshot) -> Result<usize, String> {
    let path = dir.join(TEAM_CACHE);
    let text = copy.to_text();
    crate::storage::atomic_write(&path, text.as_bytes(), false).map(|()| text.len()).map_err(|_failed| {
        format!(
            "Warning: this computer's copy of the team vault could not be saved, so the next start reads every key again. File: {}",
            path.display()
        )
    })
}

/// The server token from `BAO_TOKEN`, else `VAULT_TOKEN`, when one is set.
pub fn token_from_env() -> Option<Zeroizing<String>> {
    ["BAO_TOKEN", "VAULT_TOKEN"].into_iter().find_map(|name| {
        let value = std::env::var(name).ok().map(Zeroizing::new)?;
        (!value.trim().is_empty()).then(|| Zeroizing::new(value.trim().to_owned()))
    })
}
