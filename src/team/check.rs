//! `keydesk check` on a team vault: every entry read from the server and its seal checked,
//! every live secret and management key opened, the audit trail's chain followed; and which
//! key a leaked string is.

use chrono::{DateTime, Utc};

use super::{TeamError, TeamKey, TeamKeys, TeamVault};
use crate::vault::WhoisFound;
use crate::vault::audit::Action;
use crate::vault::whois;

/// What a check of a team vault found.
pub struct TeamCheck {
    pub keys: usize,
    pub accounts: usize,
    pub incidents: usize,
    /// Entries that do not hold, one sentence each.
    pub problems: Vec<String>,
    /// The audit trail: its length when its chain holds, else why not.
    pub audit: Result<usize, String>,
}

impl TeamCheck {
    /// Whether everything is in order.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.audit.is_ok()
    }
}

impl TeamVault {
    /// Which of `list`'s keys a pasted `text` holds, found as a local vault finds them
    /// ([`whois::look_up`]: each candidate compared by keyed hash only, under the generation of
    /// the team key each key's hash was made under). Revoked keys keep their lookup hash, so a
    /// leaked old key is still named. The look-up is recorded in the trail without the text.
    pub fn whois(
        &self,
        keys: &TeamKeys,
        list: &[TeamKey],
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<WhoisFound, TeamError> {
        let looked = whois::look_up(
            text,
            list.iter().map(|key| (key.generation, key.record.lookup_hash.as_str())),
            |generation, candidate| keys.lookup_hash_under(generation, candidate),
        );
        let found: Vec<&TeamKey> = looked.found.iter().filter_map(|&at| list.get(at)).collect();
        let labels: Vec<&str> = found.iter().map(|key| key.record.label.as_str()).collect();
        let detail = whois::audit_detail(&labels, looked.looked_at);
        let only = found.first().filter(|_| found.len() == 1).map(|key| (&key.record.id, key.version));
        self.record(keys, Action::Whois, only, &detail, now)?;
        Ok(WhoisFound {
            keys: found.iter().map(|key| key.record.clone()).collect(),
            looked_at: looked.looked_at,
            cut_short: looked.cut_short,
        })
    }

    /// Reads every entry of the vault and checks it (a key's seal and, when live, that its
    /// secret opens; an account's seal and management key; an incident's seal) and the
    /// audit trail. A failing entry is listed and the check goes on; a server that stops
    /// answering stops it.
    pub fn check(&self, keys: &TeamKeys) -> Result<TeamCheck, TeamError> {
        let ids = self.key_ids()?;
        let mut problems: Vec<String> = super::in_parallel(&ids, |id| {
            problem(self.read_key(id).and_then(|found| match found {
                Some(key) if key.record.is_live() => self.secret_to_copy(keys, &key).map(drop),
                Some(key) => self.check_seal(keys, &key),
                None => Ok(()),
            }))
        })?
        .into_iter()
        .flatten()
        .collect();
        let accounts = self.accounts()?;
        for account in &accounts {
            problems.extend(problem(if account.account.has_management_key {
                self.management_key(keys, account).map(drop)
            } else {
                self.check_account_seal(keys, account)
            })?);
        }
        let incident_ids = self.incident_ids()?;
        for id in &incident_ids {
            problems.extend(problem(self.read_incident(keys, id).map(drop))?);
        }
        let audit = match self.verify_audit(keys) {
            Ok(events) => Ok(events.len()),
            Err(TeamError::Server(error)) => return Err(error.into()),
            Err(other) => Err(other.to_string()),
        };
        Ok(TeamCheck {
            keys: ids.len(),
            accounts: accounts.len(),
            incidents: incident_ids.len(),
            problems,
            audit,
        })
    }
}

/// What a check of one entry found: nothing, or the sentence that says what is wrong; a server
/// that does not answer stops the check.
fn problem(checked: Result<(), TeamError>) -> Result<Option<String>, TeamError> {
    match checked {
        Ok(()) => Ok(None),
        Err(TeamError::Server(error)) => Err(error.into()),
        Err(other) => Ok(Some(other.to_string())),
    }
}
