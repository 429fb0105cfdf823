//! The daily reminder: the systemd user timer `keydesk-due.timer` the package ships (it runs
//! `keydesk due --notify` once a day), switched on and off with `systemctl --user`, exactly as
//! a person would type it. Enabling is a file operation that needs no running service
//! manager; starting it now needs one, and without one the timer starts at the next login.

use std::ffi::OsString;
use std::process::Command;

/// The timer's unit name.
pub const TIMER: &str = "keydesk-due.timer";

/// Where the switch stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReminderState {
    On,
    Off,
    /// The unit files are not installed (Keydesk was not installed from its package).
    NotInstalled,
    /// systemctl could not be asked; why, in a sentence.
    Unknown(String),
}

/// Why the reminder could not be switched.
#[derive(Debug, thiserror::Error)]
pub enum ReminderError {
    #[error("Keydesk could not run systemctl ({0}): the daily reminder needs systemd.")]
    NoSystemctl(std::io::Error),
    #[error("The daily reminder was not turned on: systemctl said \"{0}\".")]
    NotOn(String),
    #[error("The daily reminder is still on: systemctl said \"{0}\".")]
    StillOn(String),
}

/// How systemctl is run: the environment it gets on top of Keydesk's own (tests point the
/// user's config and data folders at their own).
#[derive(Debug, Clone, Default)]
pub struct Systemd {
    pub env: Vec<(OsString, OsString)>,
}

/// What systemctl said.
struct Said {
    ok: bool,
    stdout: String,
    /// The first line of stderr.
    error: String,
}

impl Systemd {
    fn systemctl(&self, args: &[&str]) -> Result<Said, ReminderError> {
        let output = Command::new("systemctl")
            .arg("--user")
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .map_err(ReminderError::NoSystemctl)?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        Ok(Said {
            ok: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).trim().to_owned(),
            error: stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_owned(),
        })
    }

    /// Whether the timer is enabled (`systemctl --user is-enabled`).
    pub fn state(&self) -> ReminderState {
        match self.systemctl(&["is-enabled", TIMER]) {
            Err(why) => ReminderState::Unknown(why.to_string()),
            Ok(said) => match said.stdout.as_str() {
                "enabled" | "enabled-runtime" | "linked" | "alias" => ReminderState::On,
                "disabled" | "masked" | "static" | "indirect" => ReminderState::Off,
                _ if said.error.contains("No such file") || said.stdout == "not-found" => {
                    ReminderState::NotInstalled
                }
                _ => ReminderState::Unknown(format!(
                    "systemctl could not tell whether the daily reminder is on: {}",
                    if said.error.is_empty() { "no answer" } else { said.error.as_str() }
                )),
            },
        }
    }

    /// Turns the timer on or off; `Ok` says what happened, `Err` why nothing did.
    pub fn switch(&self, on: bool) -> Result<String, ReminderError> {
        if on {
            let enabled = self.systemctl(&["enable", TIMER])?;
            if !enabled.ok {
                return Err(ReminderError::NotOn(enabled.error));
            }
            let started = self.systemctl(&["start", TIMER])?;
            Ok(if started.ok {
                "Daily reminder on: once a day, a desktop notification lists the keys that are due.".into()
            } else {
                format!(
                    "Daily reminder on from your next login: systemd could not start it now (\"{}\").",
                    started.error
                )
            })
        } else {
            let disabled = self.systemctl(&["disable", TIMER])?;
            if !disabled.ok {
                return Err(ReminderError::StillOn(disabled.error));
            }
            // Nothing runs to be stopped when no user session is running.
            let _stopped = self.systemctl(&["stop", TIMER]);
            Ok("Daily reminder off.".into())
        }
    }
}
