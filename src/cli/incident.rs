//! `keydesk incident`: open, list, show, export and close incidents (suspected leaks).

use super::args::IncidentCommand;
use super::commands::out;
use super::lookup::resolve;
use super::{CliError, render};
use crate::actions::Store;
use crate::vault::incidents::{IncidentReport, markdown};
use crate::vault::model::{Incident, KeyRecord};

/// The incident `query` names: its id, or the start of it (4 characters or more).
pub fn find<'a>(incidents: &'a [Incident], query: &str) -> Result<&'a Incident, CliError> {
    let query = query.trim();
    if let Some(exact) = incidents.iter().find(|i| i.id == query) {
        return Ok(exact);
    }
    let matches: Vec<&Incident> =
        incidents.iter().filter(|i| query.len() >= 4 && i.id.starts_with(query)).collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(CliError::Failed(format!(
            "No incident has the id \"{query}\": `keydesk incident list` shows them."
        ))),
        many => {
            Err(CliError::Failed(format!("\"{query}\" starts {} incident ids: give more of it.", many.len())))
        }
    }
}

/// The commands that read `vault.ron` only (or a team vault's keys and incidents).
pub fn read(keys: &[KeyRecord], incidents: &[Incident], command: IncidentCommand) -> Result<(), CliError> {
    match command {
        IncidentCommand::List(list) => render::incidents(keys, incidents, list.json),
        IncidentCommand::Show(show) => out(markdown(keys, find(incidents, &show.id)?).trim_end()),
        IncidentCommand::Export(export) => {
            let incident = find(incidents, &export.id)?;
            out(&crate::actions::transfer::write_incident_report(keys, incident, &export.file)?)
        }
        IncidentCommand::Open(_) | IncidentCommand::Close(_) => Ok(()),
    }
}

/// The commands that change the vault.
pub fn write(
    store: &mut (impl Store + ?Sized),
    keys: &[KeyRecord],
    command: IncidentCommand,
) -> Result<(), CliError> {
    match command {
        IncidentCommand::Open(open) => {
            let key = resolve(keys, &open.key)?;
            let report = IncidentReport {
                found_where: open.found_where,
                noticed_by: open.noticed_by,
                notes: open.notes,
            };
            let id = store.open_incident(&key, &report)?;
            let live = store.key_record(&key)?.is_live();
            out(&format!("Opened incident {id}."))?;
            if live {
                super::commands::note(&format!(
                    "Next: revoke the key (`keydesk revoke {key} --reason \"leaked\"`), then make its replacement; each step is added to incident {id}."
                ));
            }
            Ok(())
        }
        IncidentCommand::Close(close) => {
            let id = find(&store.incidents()?, &close.id)?.id.clone();
            store.close_incident(&id, &close.summary)?;
            out(&format!("Closed incident {id}."))
        }
        other => read(keys, &store.incidents()?, other),
    }
}
