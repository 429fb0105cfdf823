//! "Check every key" on a team vault: one job reads the keys' secrets from the server, asks
//! each provider (`actions::check_all`, as a local vault's check does) and records each answer
//! on the server as it arrives, so a Cancel or a lost window keeps every answer recorded
//! before it; then the vault's health score. What it found is said as on a local vault
//! (`session::check_all::say_ended`).

use chrono::{DateTime, Utc};

use crate::actions::check_all::{self as checks, Event, Patience, Tally};
use crate::actions::{self, Store};
use crate::team::{TeamKey, TeamKeys, TeamVault};
use crate::ui::Failure;
use crate::ui::jobs::JobProgress;
use crate::ui::session::check_all::{CheckAllEnded, CheckAllRecorded};
use crate::vault::health::HealthReport;

/// What a team vault's check of every key found.
pub struct CheckedAll {
    pub ended: CheckAllEnded,
    pub recorded: CheckAllRecorded,
    /// The health score recorded after the answers (none when one could not be recorded).
    pub health: Option<Result<HealthReport, actions::ActionError>>,
}

/// Checks every live key of `existing` (this computer's copy) at its provider, recording each
/// answer in the team vault.
pub(super) fn check_all(
    vault: &TeamVault,
    keys: &TeamKeys,
    existing: Vec<TeamKey>,
    progress: &JobProgress,
    now: DateTime<Utc>,
) -> Result<CheckedAll, Failure> {
    let ids = checks::select(existing.iter().map(|key| &key.record), None);
    let mut store = actions::TeamStore::new(vault, keys, now)?.adding(existing);
    let (plans, not_planned) = checks::plan_all(&store, &ids);
    let total = plans.len();
    progress.set(0, total);
    let mut recorded = CheckAllRecorded { tally: Tally::default(), flags: Vec::new(), failed: None };
    let (mut done, mut stopped) = (0, Vec::new());
    let ended =
        checks::run(&plans, &actions::client(), &Patience::default(), progress.cancel_flag(), &mut |event| {
            match event {
                Event::Checked(checked) => {
                    done += 1;
                    // Once one answer could not be recorded, the check stops.
                    if recorded.failed.is_none() {
                        match checks::record(&mut store, checked) {
                            Ok(answer) => {
                                recorded.tally.add(answer.verdict());
                                recorded.flags.extend(answer.unexpected_use);
                            }
                            Err(error) => {
                                recorded.failed = Some(error.to_string());
                                progress.cancel_flag().store(true, std::sync::atomic::Ordering::Relaxed);
                            }
                        }
                    }
                }
                Event::Stopped { keys, why, .. } => {
                    done += keys.len();
                    stopped.push((keys.len(), why));
                }
            }
            progress.set(done, total);
        });
    let health = recorded.failed.is_none().then(|| store.record_health());
    let not_planned = not_planned.into_iter().map(|n| format!("\"{}\": {}", n.label, n.why)).collect();
    Ok(CheckedAll { ended: CheckAllEnded { ended, stopped, not_planned }, recorded, health })
}
