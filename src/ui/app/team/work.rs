//! The team vault's work off the window's thread: each command group's job, the poll's
//! answer, and the store calls they share.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::Done;
use super::{Polled, Team, TeamDone, TeamHome, away, away_sentence, sentence};
use crate::actions::{self, team as folder};
use crate::team::{TeamError, TeamKey, TeamKeys, TeamVault};
use crate::ui::Failure;
use crate::ui::jobs::Records;
use crate::ui::session::Command;
use crate::ui::session::Effects;
use crate::ui::session::changes;
use crate::ui::team::TeamCommand;
use crate::vault::model::KeyId;

/// Starts a copy of key `id`'s secret, read fresh from the server (the clipboard takes it on
/// the window's thread, then the copy is recorded).
pub(super) fn run_copy(
    fx: &mut Effects<'_>,
    team: &Team<'_>,
    (keys, vault): (Arc<TeamKeys>, Arc<TeamVault>),
    id: KeyId,
) {
    let label = format!("Copying \"{}\"", team.home.label_of(&id));
    fx.jobs.spawn(fx.ctx, label, Records::No, move || match fresh(&vault, &id) {
        Ok(key) => {
            let secret = vault.secret_to_copy(&keys, &key);
            Done::Team(TeamDone::ToCopy(Box::new(key), secret))
        }
        Err(error) => Done::Team(TeamDone::Failed(error)),
    });
}

/// Starts a key made at a provider, or a question about a key (verify, last use, which key a
/// pasted string is).
pub(super) fn run_key_command(
    fx: &mut Effects<'_>,
    team: &Team<'_>,
    with: (Arc<TeamKeys>, Arc<TeamVault>),
    command: Command,
) {
    match command {
        Command::Verify(id) => {
            let label = format!("Verifying \"{}\"", team.home.label_of(&id));
            let job = Job { label, asked: changes::Asked::Verify(id.clone()), existing: None };
            answered_job(fx, team, with, job, move |store| match actions::plan_verify(store, &id) {
                Ok(plan) => changes::verified(store, plan.call(&actions::client())),
                Err(error) => changes::Asked::Verify(id).failed(Failure::from(error)),
            });
        }
        Command::CreateAtProvider { account, request, scopes } => {
            let asking = changes::Asking { replaces: team.screens.replaces(), version: None };
            let label = "Creating the key at the provider".to_owned();
            let job = Job { label, asked: changes::Asked::NewKey, existing: Some(team.home.list.clone()) };
            answered_job(fx, team, with, job, move |store| {
                let client = actions::client();
                match actions::plan_create(store, &account, request, &scopes) {
                    Ok(plan) => changes::created(store, plan.call(&client), &client, &asking),
                    Err(error) => changes::Asked::NewKey.failed(Failure::from(error)),
                }
            });
        }
        Command::AskUsage { key, name } => {
            let label = format!("Asking when \"{}\" was last used", team.home.label_of(&key));
            let job = Job { label, asked: changes::Asked::Usage(key.clone()), existing: None };
            answered_job(fx, team, with, job, move |store| {
                match actions::plan_usage(store, &key, name.as_deref()) {
                    Ok(plan) => changes::used(store, plan.call(&actions::client())),
                    Err(error) => changes::Asked::Usage(key).failed(Failure::from(error)),
                }
            });
        }
        // The other commands are started by the other groups (see `run_team`).
        _ => {}
    }
}

/// Starts an invitation or a member's removal.
pub(super) fn run_member_command(
    fx: &mut Effects<'_>,
    (keys, vault): (Arc<TeamKeys>, Arc<TeamVault>),
    command: TeamCommand,
) {
    let (jobs, ctx, now) = (&mut *fx.jobs, fx.ctx, fx.now);
    match command {
        TeamCommand::Invite(name) => {
            jobs.spawn(ctx, format!("Inviting {name}"), Records::Yes, move || {
                let code = vault.invite(&keys, &name, &mut *vault.entropy(), now);
                Done::Team(TeamDone::Invited(name, code))
            });
        }
        TeamCommand::RemoveMember(name) => {
            let label = format!("Removing {name} and replacing the team's key");
            jobs.spawn(ctx, label, Records::Yes, move || {
                let removed = vault
                    .remove_member(&keys, &name, &mut *vault.entropy(), now)
                    .map(|(removed, keys)| (name, Box::new(removed), keys));
                Done::Team(TeamDone::MemberRemoved(removed))
            });
        }
        // The other commands are started by the other groups (see `run_team`).
        _ => {}
    }
}

/// A revoke asked in the revoke dialog.
pub(super) struct Revoke {
    pub key: KeyId,
    pub reason: String,
    pub options: actions::RevokeOptions,
    /// Where it leaked, when it did: an incident is opened first.
    pub leak: Option<crate::vault::incidents::IncidentReport>,
    /// The New key screen opens next, filled in to replace it.
    pub replacement: bool,
}

/// Starts a revoke as a local vault's session does (`changes::plan_revoke`, then
/// `changes::revoked`), in a job: its incident opened first when asked, the rotation it gives
/// up given up after it.
pub(super) fn run_revoke(
    fx: &mut Effects<'_>,
    team: &Team<'_>,
    with: (Arc<TeamKeys>, Arc<TeamVault>),
    revoke: Revoke,
) {
    let Revoke { key, reason, options, leak, replacement } = revoke;
    let abandoning = team.screens.abandoning.clone();
    let asked = changes::Asked::Revoke { key: key.clone(), replacement };
    let job = Job { label: doing(&asked).to_owned(), asked: asked.clone(), existing: None };
    answered_job(fx, team, with, job, move |store| {
        match changes::plan_revoke(store, &key, (reason, options), leak.as_ref(), abandoning.as_ref()) {
            Ok((plan, revoking)) => {
                changes::revoked(store, plan.call(&actions::client()), revoking, replacement)
            }
            Err(failure) => asked.failed(failure),
        }
    });
}

/// Starts a change written once for either kind of vault (`session::changes`); its answer
/// comes with this computer's copy brought up to date, so what it made shows at once.
pub(super) fn run_change(
    fx: &mut Effects<'_>,
    team: &Team<'_>,
    with: (Arc<TeamKeys>, Arc<TeamVault>),
    change: changes::Change,
) {
    let screens = &team.screens;
    // A key's page's edit names the version its form was filled from: a change made since by
    // another member is refused.
    let version = match change.asked() {
        changes::Asked::Edit(key) => {
            let Some(version) = team.home.screen.edit_version.filter(|_| screens.page() == Some(key)) else {
                return;
            };
            Some(version)
        }
        _ => None,
    };
    let asking = changes::Asking { replaces: screens.replaces(), version };
    // A new key's checks, and "Which key is this?", read every key: this computer's copy saves
    // reading them again.
    let makes =
        matches!(change.asked(), changes::Asked::NewKey | changes::Asked::Rotation | changes::Asked::Whois);
    let existing = makes.then(|| team.home.list.clone());
    let job = Job { label: doing(change.asked()).to_owned(), asked: change.asked().clone(), existing };
    answered_job(fx, team, with, job, move |store| changes::apply(store, change, &asking));
}

/// A team job whose answer the screens take as a local vault's session's (`changes`).
pub(in crate::ui::app) struct Job {
    /// What the window says while it runs.
    pub label: String,
    /// What it answers (said as failed when the server cannot be asked).
    pub asked: changes::Asked,
    /// This computer's copy of the keys, for a new key's checks (read from the server if not
    /// given).
    pub existing: Option<Vec<TeamKey>>,
}

/// Runs `work` on the team vault as a store, in a job; its answer comes with this computer's
/// copy brought up to date, so what it changed shows at once.
pub(in crate::ui::app) fn answered_job(
    fx: &mut Effects<'_>,
    team: &Team<'_>,
    (keys, vault): (Arc<TeamKeys>, Arc<TeamVault>),
    job: Job,
    work: impl FnOnce(&mut actions::TeamStore<'_>) -> changes::Answer + Send + 'static,
) {
    let Job { label, asked, existing } = job;
    let (copy, dir, now) = (team.home.copy.clone(), fx.dir.to_owned(), fx.now);
    fx.jobs.spawn(fx.ctx, label, Records::Yes, move || {
        let answer = match actions::TeamStore::new(&vault, &keys, now) {
            Ok(store) => {
                // This computer's settings of the team vault are kept in its folder's team.ron.
                let store = store.in_folder(&dir);
                let mut store = match existing {
                    Some(existing) => store.adding(existing),
                    None => store,
                };
                work(&mut store)
            }
            Err(error) => asked.failed(Failure::from(error)),
        };
        let polled = super::refresh(&vault, copy, Some(&keys), &dir, now);
        Done::Team(TeamDone::Answered(Box::new(answer), polled))
    });
}

/// What the window says while a change is made on the server.
fn doing(asked: &changes::Asked) -> &'static str {
    match asked {
        changes::Asked::NewKey => "Adding the key to the team vault",
        changes::Asked::Edit(_) => "Saving the key in the team vault",
        changes::Asked::Rotation => "Starting the key's replacement",
        changes::Asked::RotationStep => "Recording the rotation's step",
        changes::Asked::IncidentOpened => "Opening an incident",
        changes::Asked::IncidentClosed(_) => "Closing the incident",
        changes::Asked::Account => "Changing the team's provider accounts",
        changes::Asked::Revoke { .. } => "Revoking the key in the team vault",
        changes::Asked::Verify(_) => "Checking the key at its provider",
        changes::Asked::Usage(_) => "Asking the provider when the key was last used",
        changes::Asked::Whois => "Looking the string up in the team's keys",
        changes::Asked::LeakResponse(_) => "Opening an incident",
        changes::Asked::AccountTest { .. } => "Testing the account's management key",
        changes::Asked::Reveal(_) => "Revealing the key",
        changes::Asked::Settings => "Saving the settings",
        changes::Asked::Browsers => "Saving the browser settings",
    }
}

/// Starts reading a file to import, the import itself or an export.
pub(super) fn run_transfer_command(
    fx: &mut Effects<'_>,
    team: &mut Team<'_>,
    (keys, vault): (Arc<TeamKeys>, Arc<TeamVault>),
    command: crate::ui::app::Command,
) {
    let (jobs, ctx, now) = (&mut *fx.jobs, fx.ctx, fx.now);
    match command {
        crate::ui::app::Command::PreviewImport { path, format, columns } => {
            let list = team.home.list.clone();
            jobs.spawn(ctx, "Reading the file to import", Records::No, move || {
                let how = crate::actions::transfer::ReadAs { format, columns: columns.as_deref() };
                let read = folder::read_import(&keys, &list, &crate::storage::expand_home(&path), how)
                    .map_err(Failure::from);
                let picker = crate::ui::app::transfer::picker(&read, &path, columns.as_deref());
                Done::Team(TeamDone::ImportPreviewed(read.map(Box::new), picker))
            });
        }
        crate::ui::app::Command::Import => {
            let Some(preview) = team.screens.settings.transfer.import_preview.take() else {
                return;
            };
            let list = team.home.list.clone();
            jobs.spawn_counted(ctx, "Importing keys into the team vault", Records::Yes, move |progress| {
                    let imported = folder::import(&vault, &keys, &list, &preview, &mut |done, total| {
                        progress.set(done, total);
                        if progress.is_cancelled() {
                            std::ops::ControlFlow::Break(())
                        } else {
                            std::ops::ControlFlow::Continue(())
                        }
                    });
                    let said = imported
                        .map(|report| {
                            format!(
                                "Imported {} from {} into the team vault; {} already in it, {} repeated in the file, {} skipped.",
                                crate::vault::count_keys(report.imported),
                                preview.source(),
                                report.in_vault,
                                report.repeated,
                                report.skipped
                            )
                        })
                        .map_err(Failure::from);
                    Done::Team(TeamDone::Said(said))
                });
        }
        crate::ui::app::Command::Export { path, options } => {
            let list = team.home.list.clone();
            jobs.spawn(ctx, "Writing the export", Records::Yes, move || {
                let path = crate::storage::expand_home(&path);
                let written =
                    folder::export(&vault, &keys, &list, &path, options, now).map_err(Failure::from);
                Done::Team(TeamDone::Said(written))
            });
        }
        // The other commands are started by the other groups (see `run_team`).
        _ => {}
    }
}

/// A poll's answer, unless a change made here since makes it old.
pub(super) fn apply_poll(session: &mut TeamHome, changes: u64, result: Result<Polled, TeamError>) {
    if changes == session.changes {
        apply_refresh(session, result);
    }
}

/// This computer's copy as brought up to date, or why the server could not say.
pub(super) fn apply_refresh(session: &mut TeamHome, result: Result<Polled, TeamError>) {
    match result {
        Ok(Polled { refreshed, list }) => {
            session.problem = None;
            session.copy = refreshed.snapshot;
            if let Some(list) = list {
                session.list = list;
                session.generation += 1;
            }
        }
        Err(error) => {
            session.problem = Some(match away(&error) {
                Some(away) => away_sentence(away, &session.copy),
                None => format!("Read-only: {}", sentence(&error)),
            });
        }
    }
}

/// The team's audit trail for the audit screen, its chain checked (which takes the team's
/// key: without it, or when the check fails, the entries as read and why they are not
/// vouched for).
pub(super) fn read_audit(vault: &TeamVault, keys: Option<&TeamKeys>) -> crate::ui::session::AuditCache {
    let checked = match keys {
        Some(keys) => vault.verify_audit(keys).map_err(Failure::from),
        None => Err(Failure::said(
            "The trail's check needs the team's key: lock, then unlock while the server answers.",
        )),
    };
    let (events, chain) = match checked {
        Ok(events) => {
            let n = events.len() as u64;
            (events, Ok(n))
        }
        Err(why) => (vault.events_after(0).unwrap_or_default(), Err(why)),
    };
    let (records, by) =
        events.iter().filter_map(|event| Some((event.as_record()?, event.member.clone()))).unzip();
    crate::ui::session::AuditCache { entries: events.len() as u64, records, chain, by }
}

/// `id` as the server has it now (a copy reads the entry as it is there).
pub(super) fn fresh(vault: &TeamVault, id: &KeyId) -> Result<TeamKey, TeamError> {
    vault.read_key(id)?.ok_or_else(|| TeamError::NoSuchKey { id: id.to_string() })
}

/// What a panel read (accounts, incidents): kept for the panel, or the panel closed and why
/// said.
pub(super) fn panel_read<T>(
    read: Result<T, Failure>,
    (into, screens, shown): (&mut Option<T>, &mut crate::ui::screens::Screens, crate::ui::state::Screen),
    toasts: &mut crate::ui::widgets::Toasts,
    now: DateTime<Utc>,
) {
    match read {
        Ok(found) => *into = Some(found),
        Err(error) => {
            screens.close(&shown);
            toasts.error(error.to_string(), now);
        }
    }
}

/// "Test connection": asks the account's provider whether its management key works, in a job
/// (`changes::tested`, as on a local vault).
pub(super) fn run_test_account(
    fx: &mut Effects<'_>,
    team: &Team<'_>,
    with: (Arc<TeamKeys>, Arc<TeamVault>),
    id: String,
) {
    let name = team
        .home
        .accounts
        .iter()
        .flatten()
        .find(|a| a.id == id)
        .map_or_else(|| id.clone(), |a| a.name.clone());
    let asked = changes::Asked::AccountTest { id: id.clone(), name: name.clone() };
    let job = Job { label: format!("Testing \"{name}\""), asked, existing: None };
    answered_job(fx, team, with, job, move |store| {
        let tested = actions::Store::find_account(store, &id).and_then(|account| {
            let key = actions::Store::management_key(store, &account.id)?;
            let url = crate::providers::verify::base_url(
                account.provider,
                account.base_url.as_deref(),
                account.region.as_deref(),
            )?;
            actions::test_account(&actions::client(), account.provider, &url, &key)
        });
        changes::tested(store, (id, name), tested)
    });
}

/// Changes this member's password as `keydesk passwd` does: the current one is checked by
/// unlocking with it; with `new_data_key`, the team's key is replaced first (an admin's
/// token), and the new keys are answered for the session.
pub(super) fn change_password(
    vault: &TeamVault,
    chosen: &crate::ui::settings::ChosenPassword,
    now: DateTime<Utc>,
) -> Result<(String, Option<TeamKeys>), TeamError> {
    let keys = vault.unlock(&chosen.current)?;
    // The form starts at the member's current cost: the rest of it stays as it is.
    let kdf = crate::team::members::KdfChoice {
        memory_kib: Some(chosen.memory_mib.saturating_mul(1024)),
        ..crate::team::members::KdfChoice::default()
    };
    let said = "Your password for the team vault is changed; the old one opens nothing on the server now.";
    if !chosen.new_data_key {
        vault.change_password(&keys, &chosen.new, kdf, &mut *vault.entropy(), now)?;
        return Ok((said.to_owned(), None));
    }
    let (done, keys) = vault.rekey(&keys, &mut *vault.entropy(), now)?;
    vault.change_password(&keys, &chosen.new, kdf, &mut *vault.entropy(), now)?;
    let said = format!(
        "{said} The team's key was replaced for every member and {} sealed again under it.",
        crate::vault::count_keys(done.resealed)
    );
    Ok((said, Some(keys)))
}
