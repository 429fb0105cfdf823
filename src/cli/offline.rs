//! A team vault whose server cannot be reached: `list`, `show`, `due` and `health` from this
//! computer's copy, said to be that, read-only; every other command waits for the server.

use chrono::{DateTime, Utc};

use super::CliError;
use super::args::{self, IncidentCommand};
use super::commands::{Context, note};
use super::home::{Home, Part, Unlocked, View};
use super::team::{lines_of, records_of};
use crate::actions::Capabilities;
use crate::team::cache::Snapshot;
use crate::team::kv::KvError;
use crate::vault::WhoisFound;
use crate::vault::model::{Account, Incident, KeyId, KeyRecord};

/// The team vault of the folder while its server cannot be reached.
pub struct Offline {
    /// This computer's copy, when it has one.
    copy: Option<Snapshot>,
    /// Why the server cannot be reached, as one clause.
    why: String,
    now: DateTime<Utc>,
}

impl Offline {
    pub fn new(context: &Context, why: &KvError) -> Self {
        let why = why.to_string();
        Offline {
            copy: crate::actions::team::read_copy(&context.dir),
            why: why.trim_end_matches('.').to_owned(),
            now: crate::vault::Clock::now(&crate::vault::SystemClock),
        }
    }

    /// The sentence for a command that needs the server.
    fn away<T>(&self) -> Result<T, CliError> {
        Err(CliError::Failed(format!(
            "The team vault's server cannot be reached ({}): changes and reveals need it (each is recorded there); try again when it answers.",
            self.why
        )))
    }
}

impl Home for Offline {
    fn capabilities(&self) -> Result<Capabilities, CliError> {
        self.away()
    }

    fn view(&mut self, part: Part) -> Result<View, CliError> {
        if !matches!(part, Part::Keys | Part::History | Part::Incidents | Part::Health) {
            return self.away();
        }
        let Some(copy) = &self.copy else {
            return Err(CliError::Failed(format!(
                "The team vault's server cannot be reached ({}), and this computer has no copy of its keys yet: try again when it answers.",
                self.why
            )));
        };
        note(&format!(
            "The team vault's server cannot be reached ({}): this is this computer's copy from {}, read-only.",
            self.why,
            copy.taken_at.format("%Y-%m-%d %H:%M UTC")
        ));
        match part {
            Part::Incidents => note("Open incidents are kept on the server alone: they are not listed here."),
            Part::Health => note("Open incidents are kept on the server alone: they are not judged here."),
            _ => {}
        }
        let mut view = View { keys: records_of(copy), now: self.now, ..View::default() };
        if matches!(part, Part::History | Part::Health) {
            (view.records, view.by) = lines_of(copy.trail().unwrap_or_default());
        }
        Ok(view)
    }

    fn listed(&mut self) -> Result<Vec<KeyRecord>, CliError> {
        self.away()
    }

    fn key_named(&mut self, _query: &str) -> Result<(KeyId, Option<u64>), CliError> {
        self.away()
    }

    fn unlocked(&mut self) -> Result<Unlocked<'_>, CliError> {
        self.away()
    }

    fn incidents(&mut self, _read: &IncidentCommand) -> Result<(Vec<KeyRecord>, Vec<Incident>), CliError> {
        self.away()
    }

    fn info(&mut self, _info: &args::InfoArgs) -> Result<(), CliError> {
        self.away()
    }

    fn verify_audit(&mut self) -> Result<u64, CliError> {
        self.away()
    }

    fn check(&mut self, _check: &args::CheckArgs) -> Result<(), CliError> {
        self.away()
    }

    fn passwd(&mut self, _passwd: &args::PasswdArgs) -> Result<(), CliError> {
        self.away()
    }

    fn whois(&mut self) -> Result<(WhoisFound, Vec<KeyRecord>, &'static str), CliError> {
        self.away()
    }

    fn start_rotation(&mut self, _id: &KeyId) -> Result<(), CliError> {
        self.away()
    }

    fn remove_account(&mut self, _query: &str) -> Result<(Account, Option<&'static str>), CliError> {
        self.away()
    }

    fn import(&mut self, _args: &args::ImportArgs) -> Result<(), CliError> {
        self.away()
    }

    fn export(&mut self, _args: &args::ExportArgs) -> Result<(), CliError> {
        self.away()
    }
}
