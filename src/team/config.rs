//! What this computer keeps of a team vault (`team.ron`): where the vault is, who this member
//! is, and this computer's own settings for it.

use serde::{Deserialize, Serialize};

use super::kv::Location;
use super::signin;

/// What the vault's folder on this computer keeps of a team vault (`team.ron`): where it is
/// and who this member is. No token, no key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamConfig {
    /// The server's address, or each node's, split by commas (as `--addr` takes them).
    pub addr: String,
    pub mount: String,
    pub path: String,
    pub member: String,
    pub team_id: String,
    /// This computer's settings for the team vault (absent from files written before them:
    /// the defaults).
    #[serde(default)]
    pub settings: TeamSettings,
    /// How this member signs in to the server (absent: with a token).
    #[serde(default, skip_serializing_if = "signin::SignIn::is_token")]
    pub sign_in: signin::SignIn,
}

/// A team vault's settings on this computer, kept in `team.ron` beside where the vault is:
/// how long a copied key stays on this computer's clipboard is this computer's choice, as
/// it is for a local vault (not the server's, which every member shares).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TeamSettings {
    /// Minutes without input before the window locks (1 to 240).
    pub auto_lock_minutes: u32,
    /// Seconds before a copied key is cleared from the clipboard (5 to 600).
    pub clipboard_clear_secs: u32,
    /// The browsers (program and profile folder) allowed to ask this computer's Keydesk for
    /// the team vault's keys on the pages of their integrations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub browsers: Vec<String>,
    /// The leak guard on this computer (off unless turned on): a key of the team vault pasted
    /// into a page that is not one of its integrations is named (`crate::browser::guard`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub leak_guard: bool,
}

impl Default for TeamSettings {
    /// A local vault's defaults.
    fn default() -> Self {
        let local = crate::vault::model::Settings::default();
        TeamSettings {
            auto_lock_minutes: local.auto_lock_minutes,
            clipboard_clear_secs: local.clipboard_clear_secs,
            browsers: Vec::new(),
            leak_guard: false,
        }
    }
}

impl TeamSettings {
    /// One sentence on a setting out of range (the local vault's ranges).
    pub fn check(&self) -> Result<(), String> {
        if !crate::vault::CLIPBOARD_CLEAR_SECS.contains(&self.clipboard_clear_secs) {
            return Err(format!(
                "The clipboard clear time is {} s: use 5 to 600 seconds",
                self.clipboard_clear_secs
            ));
        }
        if !crate::vault::AUTO_LOCK_MINUTES.contains(&self.auto_lock_minutes) {
            return Err(format!(
                "The auto-lock time is {} min: use 1 to 240 minutes",
                self.auto_lock_minutes
            ));
        }
        Ok(())
    }

    /// These as a local vault's settings (a team vault has no weekly check).
    pub fn as_settings(&self) -> crate::vault::model::Settings {
        crate::vault::model::Settings {
            auto_lock_minutes: self.auto_lock_minutes,
            clipboard_clear_secs: self.clipboard_clear_secs,
            check_weekly: false,
        }
    }
}
impl TeamConfig {
    /// Where the team vault is, for sentences: `mount/path on addr`.
    pub fn place(&self) -> String {
        format!("{}/{} on {}", self.mount, self.path, self.addr)
    }

    pub(super) fn new(location: &Location, member: &str, team_id: String) -> TeamConfig {
        TeamConfig {
            addr: location.addrs_text(),
            mount: location.mount.clone(),
            path: location.path.clone(),
            member: member.to_owned(),
            team_id,
            settings: TeamSettings::default(),
            sign_in: signin::SignIn::Token,
        }
    }
}
