//! The command line on a team vault: the vault's folder holds `team.ron` (where the team vault
//! is and who this member is) instead of `vault.ron`, and the commands read and write the
//! server. `list` and `show` need the token but no password; `add`, `edit` and `reveal` need
//! both (the data key seals secrets and the entries' seals).

use chrono::{DateTime, Utc};
use std::path::Path;

use secrecy::ExposeSecret;

use super::args::{self, Command};
use super::commands::{Context, out};
use super::{CliError, input, lookup, render};
use crate::actions::TeamStore;
pub use crate::actions::team::is_team;
use crate::actions::team::{
    self as folder, TEAM_CACHE, TEAM_FILE, read_config, read_copy, save_copy, write_config,
};
use crate::team::cache::Snapshot;
use crate::team::kv::{KvError, Location};
use crate::team::{TeamError, TeamKey, TeamVault};
use crate::vault::crypto::KdfParams;
use crate::vault::model::KeyRecord;
use crate::vault::os_rng;

impl From<TeamError> for CliError {
    fn from(error: TeamError) -> Self {
        CliError::Failed(error.to_string())
    }
}

/// `keydesk init --team`: makes the team vault on the server and `team.ron` here.
pub fn init(context: &Context, init: &args::InitArgs, kdf: KdfParams) -> Result<(), CliError> {
    let (Some(addr), Some(path)) = (&init.addr, &init.path) else {
        return Err(CliError::Usage("A team vault needs --addr URL and --path P.".into()));
    };
    if context.dir.join(crate::storage::VAULT_FILE).exists() || is_team(&context.dir) {
        return Err(CliError::Failed(format!(
            "{} already holds a vault: give another folder with --vault DIR.",
            context.dir.display()
        )));
    }
    let member = match &init.member {
        Some(member) => member.clone(),
        None => std::env::var("USER").map_err(|_unset| {
            CliError::Usage("Keydesk cannot tell your name: give it with --member NAME.".into())
        })?,
    };
    crate::team::check_member(&member)?;
    let location = Location::new(addr, &init.mount, path).map_err(|e| CliError::Usage(e.to_string()))?;
    let (kv, _source) = super::signin::connect(context, &location, None, &member)?;
    if init.join {
        let code = input::key_from_stdin("Invitation code: ")?;
        let password = input::new_password(context.password_file.as_deref())?;
        crate::vault::check_new_password(&password)?;
        let (mut vault, _keys) = TeamVault::join(
            kv,
            &member,
            &code,
            &password,
            kdf,
            &mut os_rng(),
            crate::vault::Clock::now(&crate::vault::SystemClock),
        )?;
        write_config(&context.dir, vault.config()).map_err(CliError::Failed)?;
        super::signin::remember(context, &mut vault)?;
        let config = vault.config();
        return out(&format!(
            "Joined the team vault at {} as {}; this folder ({}) points to it.",
            config.place(),
            config.member,
            context.dir.display()
        ));
    }
    let password = input::new_password(context.password_file.as_deref())?;
    crate::vault::check_new_password(&password)?;
    let (mut vault, _keys) = TeamVault::create(
        kv,
        &member,
        &password,
        kdf,
        &mut os_rng(),
        crate::vault::Clock::now(&crate::vault::SystemClock),
    )?;
    write_config(&context.dir, vault.config()).map_err(CliError::Failed)?;
    super::signin::remember(context, &mut vault)?;
    let config = vault.config();
    out(&format!(
        "Created a team vault at {}, with you ({}) as its first member; this folder ({}) points to it.",
        config.place(),
        config.member,
        context.dir.display()
    ))
}

/// Runs `command` on the team vault of the folder.
pub fn run(context: &Context, command: Command) -> Result<(), CliError> {
    let config = read_config(&context.dir).map_err(CliError::Failed)?;
    let location = Location::new(&config.addr, &config.mount, &config.path)
        .map_err(|e| CliError::Failed(e.to_string()))?;
    // The policies are made from team.ron alone: no token, no server.
    if let Command::Team(args::TeamCommand::Policy(args)) = &command {
        return out(crate::team::policy::policy(args.role.into(), &location).trim_end());
    }
    let mut vault = match super::signin::open(context, &location, &config)? {
        Ok(vault) => vault,
        Err(TeamError::Server(error)) if error.is_away() => return offline(context, command, &error),
        Err(error) => return Err(error.into()),
    };
    super::signin::remember(context, &mut vault)?;
    let now = crate::vault::Clock::now(&crate::vault::SystemClock);
    match command {
        command @ (Command::List(_)
        | Command::Show(_)
        | Command::Due(_)
        | Command::Health(_)
        | Command::Info(_)
        | Command::Audit(args::AuditArgs { verify: false, .. })
        | Command::Incident(
            args::IncidentCommand::List(_)
            | args::IncidentCommand::Show(_)
            | args::IncidentCommand::Export(_),
        )
        | Command::Account(args::AccountCommand::List(_))) => view(context, &vault, command, now),
        command @ (Command::Member(_) | Command::Passwd(_)) => members(context, &vault, command, now),
        Command::Add(add) => {
            ensure_writable(&vault)?;
            let keys = vault.unlock(&password(context)?)?;
            let existing = current_keys(context, &vault)?;
            super::commands::run_add(&mut TeamStore::new(&vault, &keys, now)?.adding(existing), add)
        }
        Command::Generate(generate) => {
            ensure_writable(&vault)?;
            let keys = vault.unlock(&password(context)?)?;
            let existing = current_keys(context, &vault)?;
            super::commands::run_generate(&mut TeamStore::new(&vault, &keys, now)?.adding(existing), generate)
        }
        Command::Verify(args) if args.all => {
            let keys = records(&current_keys(context, &vault)?);
            let unlocked = vault.unlock(&password(context)?)?;
            super::check_all::verify_all(&mut TeamStore::new(&vault, &unlocked, now)?, &keys, &args)
        }
        command @ (Command::Edit(_)
        | Command::Copy(_)
        | Command::Reveal(_)
        | Command::Revoke(_)
        | Command::Verify(_)
        | Command::Usage(_)) => {
            let key = find(context, &vault, super::commands::key_named(&command).unwrap_or_default())?;
            if !matches!(
                command,
                Command::Reveal(_) | Command::Copy(_) | Command::Verify(_) | Command::Usage(_)
            ) {
                ensure_writable(&vault)?;
            }
            // The key was read (its version noted) before the password is asked: a change
            // made meanwhile by another member is found by the write, not overwritten.
            let keys = vault.unlock(&password(context)?)?;
            let mut store = TeamStore::new(&vault, &keys, now)?;
            let id = &key.record.id;
            match super::commands::run_on_key(&mut store, id, Some(key.version), command)? {
                Some(copied) => super::commands::hold(copied),
                None => Ok(()),
            }
        }
        Command::Rotate(args) => rotate(context, &vault, &args, now),
        Command::Incident(change @ (args::IncidentCommand::Open(_) | args::IncidentCommand::Close(_))) => {
            ensure_writable(&vault)?;
            let listed = records(&current_keys(context, &vault)?);
            let keys = vault.unlock(&password(context)?)?;
            super::incident::write(&mut TeamStore::new(&vault, &keys, now)?, &listed, change)
        }
        // Removing asks for no seal: it is also how an admin is rid of an account entry
        // changed on the server, which the store (checking every account's seal) refuses.
        Command::Account(args::AccountCommand::Remove(remove)) => {
            let keys = vault.unlock(&password(context)?)?;
            let keys_now = current_keys(context, &vault)?;
            let account = vault.remove_account(&keys, &remove.account, &keys_now, now)?;
            out(&format!("Removed the account \"{}\" from the team vault.", account.name))
        }
        Command::Account(account) => {
            if matches!(account, args::AccountCommand::Add(_)) {
                ensure_writable(&vault)?;
            }
            let keys = vault.unlock(&password(context)?)?;
            let existing = current_keys(context, &vault)?;
            super::remote::account(&mut TeamStore::new(&vault, &keys, now)?.adding(existing), account)
        }
        Command::Export(args) => export(context, &vault, &args, now),
        Command::Import(args) => {
            ensure_writable(&vault)?;
            let keys = vault.unlock(&password(context)?)?;
            let existing = current_keys(context, &vault)?;
            let mut target = TeamImport { vault: &vault, keys, existing };
            super::transfer::import(&mut target, &args)
        }
        Command::Whois => {
            let candidate = input::key_from_stdin("Paste the string to look up: ")?;
            let keys = vault.unlock(&password(context)?)?;
            let list = current_keys(context, &vault)?;
            let found = vault.whois(&keys, &list, candidate.expose_secret(), now)?;
            drop(candidate);
            let all: Vec<KeyRecord> = list.into_iter().map(|key| key.record).collect();
            super::commands::print_whois(&found, &all, "this team vault")
        }
        Command::Check(check) => {
            if check.repair || check.accept_changes {
                return Err(CliError::Usage(
                    "--repair and --accept-changes are for a local vault: a team vault keeps no secret-store entries or files of its own to mend.".into(),
                ));
            }
            let keys = vault.unlock(&password(context)?)?;
            seen_trail(context, &vault);
            render::team_check(&vault.check(&keys)?)
        }
        Command::Audit(args::AuditArgs { verify: true, .. }) => {
            let keys = vault.unlock(&password(context)?)?;
            seen_trail(context, &vault);
            let events = vault.verify_audit(&keys)?;
            out(&format!("Audit chain verified: {} entries, all linked.", events.len()))
        }
        Command::Backup(_) | Command::Restore(_) => {
            Err(CliError::Failed(crate::actions::restore::TEAM_BACKUP.into()))
        }
        Command::Browser(args::BrowserCommand::Guard(guard)) => {
            let keys = vault.unlock(&password(context)?)?;
            let mut store = TeamStore::new(&vault, &keys, now)?.in_folder(&context.dir);
            super::browser::guard(&mut store, guard.switch)
        }
        // Answered before any vault is opened, or (`team policy`) before the server is asked.
        Command::BrowserHost(_) | Command::Browser(_) | Command::Team(_) => Ok(()),
        // `init` is run before a vault is opened (and refuses a folder that holds one).
        Command::Init(_) => Err(CliError::Failed(format!(
            "{} already holds a vault: give another folder with --vault DIR.",
            context.dir.display()
        ))),
    }
}

/// `keydesk export` of a team vault: its keys as this computer's copy lists them, the secrets
/// read from the server when asked for.
fn export(
    context: &Context,
    vault: &TeamVault,
    args: &args::ExportArgs,
    now: DateTime<Utc>,
) -> Result<(), CliError> {
    use crate::actions::transfer::{ExportFormat, ExportOptions, refuse_existing};
    refuse_existing(&args.file).map_err(CliError::Failed)?;
    let list = current_keys(context, vault)?;
    if args.with_secrets {
        let live = list.iter().filter(|key| key.record.is_live()).count();
        super::transfer::confirm_secrets(live, &args.file)?;
    }
    let keys = vault.unlock(&password(context)?)?;
    let format = if args.format == "json" { ExportFormat::Json } else { ExportFormat::Csv };
    let options = ExportOptions { format, all: args.all, with_secrets: args.with_secrets };
    let said = crate::actions::team::export(vault, &keys, &list, &args.file, options, now)
        .map_err(CliError::Failed)?;
    out(&said)
}

/// The commands that read the team vault and change nothing: `list`, `show`, `due`,
/// `health`, `info`, `audit`, the incidents' reports and the accounts' list.
fn view(context: &Context, vault: &TeamVault, command: Command, now: DateTime<Utc>) -> Result<(), CliError> {
    match command {
        Command::List(list) => {
            let keys = records(&current_keys(context, vault)?);
            render::list(&keys, now, &list)
        }
        Command::Show(show) => show_from(&copy_with_trail(context, vault)?, &show, now),
        Command::Due(due) => {
            let keys = records(&current_keys(context, vault)?);
            super::due::due_and_notify((&keys, &vault.incidents_to_show()?), now, &due)
        }
        Command::Health(health) => {
            let copy = copy_with_trail(context, vault)?;
            let history =
                crate::vault::health::history::history(&lines_of(copy.trail().unwrap_or_default()).0);
            let accounts: Vec<_> = vault.accounts()?.into_iter().map(|a| a.account).collect();
            let keys = records_of(&copy);
            super::health::health((&keys, &vault.incidents_to_show()?, &accounts), now, &history, &health)
        }
        Command::Incident(read) => {
            // Each entry's seal is checked, which takes the team's key.
            let keys = vault.unlock(&password(context)?)?;
            let all = records(&current_keys(context, vault)?);
            let mut found = vault.incidents(&keys)?;
            // One incident's report reads the trail from that incident's start only.
            if let args::IncidentCommand::Show(args::IncidentArg { id: query })
            | args::IncidentCommand::Export(args::IncidentExportArgs { id: query, .. }) = &read
            {
                let plain: Vec<_> = found.iter().map(|one| one.incident.clone()).collect();
                let id = super::incident::find(&plain, query)?.id.clone();
                found.retain(|one| one.incident.id == id);
            }
            let incidents = crate::team::incidents::with_timelines(vault, &found, &all)?;
            super::incident::read(&all, &incidents, read)
        }
        Command::Account(args::AccountCommand::List(list)) => {
            let accounts: Vec<_> = vault.accounts()?.into_iter().map(|found| found.account).collect();
            super::remote::list_accounts(&accounts, list.json)
        }
        Command::Audit(audit) => {
            let events = vault.events_after(0)?;
            let (records, by) = log_of(&events);
            render::audit(render::Log { records: &records, by: &by }, audit.json)?;
            // A word this build does not know (a newer build's) is shown as it is.
            for event in events.iter().filter(|event| event.action.is_none()) {
                out(&format!(
                    "{}  {:<15}  (written by a newer Keydesk)  {}  — by {}",
                    event.at,
                    event.action_word(),
                    event.detail,
                    event.member
                ))?;
            }
            Ok(())
        }
        Command::Info(info) => self::info(context, vault, &info),
        _ => Ok(()),
    }
}

/// `keydesk info` on a team vault: where it is, who this member is, its keys and trail.
fn info(context: &Context, vault: &TeamVault, info: &args::InfoArgs) -> Result<(), CliError> {
    let (copy, copy_bytes) = current_copy(context, vault)?;
    let keys = copy.keys();
    let writable = vault.can_write()?;
    let config = vault.config();
    let count = |status: &str| keys.iter().filter(|k| k.record.status.word() == status).count();
    let audit_entries = copy.audit_head;
    if info.json {
        let value = serde_json::json!({
            "folder": context.dir.display().to_string(),
            "kind": "team",
            "addresses": config.addr.split(',').collect::<Vec<_>>(),
            "mount": config.mount, "path": config.path, "member": config.member, "team_id": config.team_id,
            "token_may_change_keys": writable,
            "keys": {"total": keys.len(), "active": count("active"), "retiring": count("retiring"), "revoked": count("revoked")},
            "audit_entries": audit_entries,
            "files": {TEAM_FILE: folder::config_bytes(&context.dir), TEAM_CACHE: copy_bytes},
        });
        let text = serde_json::to_string_pretty(&value)
            .map_err(|_json| CliError::Failed("Keydesk could not write the information as JSON.".into()))?;
        return out(&text);
    }
    out(&format!(
        "Folder          {}\nTeam vault      {}\nMember          {} ({})\nTeam id         {}\nKeys            {} ({} active, {} retiring, {} revoked)\nAudit trail     {} entries\nCopy here       {TEAM_CACHE}, {} bytes",
        context.dir.display(),
        config.place(),
        config.member,
        if writable { "this token may change keys" } else { "this token may only read" },
        config.team_id,
        keys.len(),
        count("active"),
        count("retiring"),
        count("revoked"),
        audit_entries,
        copy_bytes,
    ))
}

/// The members' commands: `member invite`, `member remove` and `passwd`.
fn members(
    context: &Context,
    vault: &TeamVault,
    command: Command,
    now: DateTime<Utc>,
) -> Result<(), CliError> {
    match command {
        Command::Member(args::MemberCommand::Invite(invite)) => {
            let keys = vault.unlock(&password(context)?)?;
            crate::team::check_member(&invite.name)?;
            // The sign-in first: when it cannot be made, the invitation is still worth giving.
            let login = make_login(
                vault,
                &invite.name,
                (invite.oidc_name.as_deref(), invite.ldap_name.as_deref()),
                invite.role.into(),
            );
            let code = vault.invite(&keys, &invite.name, &mut os_rng(), now)?;
            match login {
                Ok(login) => out(&login)?,
                Err(error) => out(&format!(
                    "{name}'s sign-in on the server was not made ({error}); a server admin makes it with `keydesk member login {name}`, or gives {name} a token.",
                    name = invite.name
                ))?,
            }
            out(&format!(
                "Invited {name}. Give {name} this one-time code in person or by phone, not through the server or a chat it stores:\n\n    {code}\n\n{name} joins with `keydesk init --team --join --addr {addr} --mount {mount} --path {path} --member {name}`.",
                name = invite.name,
                code = code.expose_secret(),
                addr = vault.config().addr,
                mount = vault.config().mount,
                path = vault.config().path,
            ))
        }
        Command::Passwd(passwd) => {
            let mut keys = vault.unlock(&password(context)?)?;
            let new = input::new_password(passwd.new_password_file.as_deref())?;
            crate::vault::check_new_password(&new)?;
            // The member's current cost stays unless --kdf-* choose another.
            let kdf = crate::team::members::KdfChoice {
                memory_kib: passwd.kdf.kdf_memory_mib.map(|mib| mib.saturating_mul(1024)),
                iterations: passwd.kdf.kdf_iterations,
                lanes: passwd.kdf.kdf_lanes,
            };
            let mut said = String::new();
            if passwd.new_data_key {
                // A cost out of range is refused before the team's key is replaced.
                vault.password_kdf(kdf)?;
                let (done, new_keys) = vault.rekey(&keys, &mut os_rng(), now)?;
                keys = new_keys;
                said = format!(
                    " The team's key was replaced for every member (generation {}) and {} sealed again under it; their older versions are destroyed on the server.",
                    done.generation,
                    crate::vault::count_keys(done.resealed)
                );
            }
            vault.change_password(&keys, &new, kdf, &mut os_rng(), now)?;
            out(&format!("Master password changed: the new one is in force.{said}"))
        }
        Command::Member(args::MemberCommand::Login(login)) => out(&make_login(
            vault,
            &login.name,
            (login.oidc_name.as_deref(), login.ldap_name.as_deref()),
            login.role.into(),
        )?),
        Command::Member(args::MemberCommand::Remove(remove)) => {
            let keys = vault.unlock(&password(context)?)?;
            let (removed, _new_keys) = vault.remove_member(&keys, &remove.name, &mut os_rng(), now)?;
            let signed_out =
                removed.signed_out.as_ref().map(|out| out.sentence(&remove.name)).unwrap_or_default();
            let mut text = format!(
                "Removed {name} from the team vault. The team's key was replaced (generation {generation}) and {resealed} sealed again under it; their older versions are destroyed on the server, so the key {name} held opens nothing there now.\n{signed_out}",
                name = remove.name,
                generation = removed.generation,
                resealed = crate::vault::count_keys(removed.resealed),
            );
            if !removed.exposed.is_empty() {
                text.push_str(&format!(
                    "\n{} could read these keys while a member: rotate them at their providers.",
                    remove.name
                ));
                for record in &removed.exposed {
                    text.push_str(&format!(
                        "\n  {}  {}  ({})",
                        record.id,
                        record.label,
                        record.provider.name()
                    ));
                }
            }
            out(&text)
        }
        _ => Ok(()),
    }
}

/// Makes `name`'s sign-in on the server (userpass, with the policy of `role` and a new
/// password, at the mount this vault signs in with; where the server has the company's login,
/// `name`'s identity there, known by `oidc_name`; where it has the company directory, their
/// identity there, known by `ldap_name`): the sentences that give it.
fn make_login(
    vault: &TeamVault,
    name: &str,
    (oidc_name, ldap_name): (Option<&str>, Option<&str>),
    role: crate::team::policy::Role,
) -> Result<String, CliError> {
    use crate::team::{oidc, signin};
    let company = signin::method_accessor(vault.kv(), oidc::MOUNT)?.is_some();
    let ldap_mount = match &vault.config().sign_in {
        signin::SignIn::Ldap { mount, .. } => mount.as_str(),
        _ => signin::LDAP,
    };
    let directory = signin::method_accessor(vault.kv(), ldap_mount)?.is_some();
    let mut said = Vec::new();
    if company {
        let alias = oidc_name.unwrap_or(name);
        signin::make_identity(vault.kv(), oidc::MOUNT, name, alias)?;
        said.push(format!(
            "Made {name}'s identity for the company's login (known there as {alias}): they sign in with --login oidc, and their groups there give their policy."
        ));
    }
    if directory {
        let alias = ldap_name.unwrap_or(name);
        signin::make_identity(vault.kv(), ldap_mount, name, alias)?;
        said.push(format!(
            "Made {name}'s identity for the company directory (known there as {alias}): they sign in with --login ldap --login-name {alias}, and their directory groups give their policy."
        ));
    }
    let mount = vault.config().sign_in.mount();
    if !(company || directory) || signin::method_accessor(vault.kv(), mount)?.is_some() {
        let password = signin::new_password(&mut os_rng());
        let made = signin::make_login(vault.kv(), mount, name, &password, role)?;
        let verb = if made.replaced { "Replaced" } else { "Made" };
        said.push(format!(
            "{verb} {name}'s sign-in on the server ({policy}); they sign in with --login userpass --login-name {name}.\nServer password for {name}: {password}",
            policy = role.policy_name(),
            password = password.expose_secret(),
        ));
    }
    Ok(said.join("\n"))
}

/// `keydesk rotate` on a team vault: start (the new key pasted), `--status`, `--mark`,
/// `--complete` (the old key revoked as `revoke` does) and `--abandon` (the new one revoked).
fn rotate(
    context: &Context,
    vault: &TeamVault,
    args: &args::RotateArgs,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), CliError> {
    use crate::vault::rotation_started;
    let list = current_keys(context, vault)?;
    let all = records(&list);
    if args.status {
        return render::rotation(&all, &args.key, args.json);
    }
    let id = lookup::resolve_quietly(&all, &args.key)?;
    ensure_writable(vault)?;
    if args.mark.is_none() && !args.complete && !args.abandon {
        let old = vault.read_key(&id)?.ok_or_else(|| TeamError::NoSuchKey { id: id.to_string() })?;
        let provider = old.record.provider.name();
        let secret = input::key_from_stdin(&format!("Make a new key at {provider}, then paste it: "))?;
        let keys = vault.unlock(&password(context)?)?;
        let new = vault.rotate(&keys, &old, &list, &secret, &mut os_rng(), now)?;
        super::commands::note(&rotation_started(&old.record, &new.id));
        return Ok(());
    }
    let old_id = crate::vault::rotation_in(&all, &id)
        .map(|(old, _)| old.id.clone())
        .ok_or_else(|| crate::vault::VaultError::NoRotation { label: args.key.clone() })?;
    let keys = vault.unlock(&password(context)?)?;
    let mut store = TeamStore::new(vault, &keys, now)?;
    super::commands::rotation_step(&mut store, &old_id, args)
}

/// The keys as the server has them now: this computer's copy brought up to date (only what
/// the audit trail says changed is read), and kept for next time.
fn current_keys(context: &Context, vault: &TeamVault) -> Result<Vec<TeamKey>, CliError> {
    Ok(current_copy(context, vault)?.0.keys())
}

/// [`current_keys`] as the copy itself, with its size in bytes as saved.
fn current_copy(context: &Context, vault: &TeamVault) -> Result<(Snapshot, usize), CliError> {
    let refreshed =
        vault.refresh(read_copy(&context.dir), crate::vault::Clock::now(&crate::vault::SystemClock))?;
    let bytes = save_copy(&context.dir, &refreshed.snapshot).unwrap_or_else(|warning| {
        super::commands::note(&warning);
        0
    });
    Ok((refreshed.snapshot, bytes))
}

/// A command while the server cannot be reached: `list`, `show` and `due` from this computer's
/// copy, said to be that, read-only; anything else waits for the server.
fn offline(context: &Context, command: Command, why: &KvError) -> Result<(), CliError> {
    let copy = read_copy(&context.dir);
    let now = crate::vault::Clock::now(&crate::vault::SystemClock);
    let why = why.to_string();
    let why = why.trim_end_matches('.');
    let banner = |copy: &Snapshot| {
        super::commands::note(&format!(
            "The team vault's server cannot be reached ({why}): this is this computer's copy from {}, read-only.",
            copy.taken_at.format("%Y-%m-%d %H:%M UTC")
        ));
    };
    match (command, copy) {
        (Command::List(list), Some(copy)) => {
            banner(&copy);
            render::list(&records(&copy.keys()), now, &list)
        }
        (Command::Show(show), Some(copy)) => {
            banner(&copy);
            show_from(&copy, &show, now)
        }
        (Command::Due(due), Some(copy)) => {
            banner(&copy);
            super::commands::note("Open incidents are kept on the server alone: they are not listed here.");
            super::due::due_and_notify((&records(&copy.keys()), &[]), now, &due)
        }
        (Command::Health(health), Some(copy)) => {
            banner(&copy);
            super::commands::note("Open incidents are kept on the server alone: they are not judged here.");
            let history =
                crate::vault::health::history::history(&lines_of(copy.trail().unwrap_or_default()).0);
            super::health::health((&records(&copy.keys()), &[], &[]), now, &history, &health)
        }
        (Command::List(_) | Command::Show(_) | Command::Due(_) | Command::Health(_), None) => {
            Err(CliError::Failed(format!(
                "The team vault's server cannot be reached ({why}), and this computer has no copy of its keys yet: try again when it answers."
            )))
        }
        (_, _) => Err(CliError::Failed(format!(
            "The team vault's server cannot be reached ({why}): changes and reveals need it (each is recorded there); try again when it answers."
        ))),
    }
}

/// Tells the vault where this computer's copy saw the audit trail end, so a check of the whole
/// trail finds an entry removed before there instead of stopping at it.
fn seen_trail(context: &Context, vault: &TeamVault) {
    if let Some(copy) = read_copy(&context.dir) {
        vault.seen_up_to(copy.audit_head);
    }
}

/// The records of `keys`, as the local vault's list and show take them.
fn records(keys: &[TeamKey]) -> Vec<crate::vault::model::KeyRecord> {
    keys.iter().map(|key| key.record.clone()).collect()
}

/// The key `query` names (id, start of id, or exact label), as the server has it now.
fn find(context: &Context, vault: &TeamVault, query: &str) -> Result<TeamKey, CliError> {
    let keys = current_keys(context, vault)?;
    let id = lookup::resolve(&records(&keys), query)?;
    // Read again from the server: a change or a reveal works on the entry as it is there now
    // (its version, for the check-and-set; its seal, checked), not on this computer's copy.
    vault.read_key(&id)?.ok_or_else(|| TeamError::NoSuchKey { id: id.to_string() }.into())
}

/// An import into a team vault, as `actions::team` does it.
struct TeamImport<'a> {
    vault: &'a TeamVault,
    keys: crate::team::TeamKeys,
    existing: Vec<TeamKey>,
}

impl super::transfer::ImportTarget for TeamImport<'_> {
    fn read(
        &self,
        path: &Path,
        how: crate::actions::transfer::ReadAs<'_>,
    ) -> Result<crate::actions::transfer::ImportFile, String> {
        crate::actions::team::read_import(&self.keys, &self.existing, path, how)
    }

    fn keep(
        &mut self,
        file: &crate::actions::transfer::ImportFile,
        progress: &mut dyn FnMut(usize, usize) -> std::ops::ControlFlow<()>,
    ) -> Result<crate::vault::ImportReport, CliError> {
        Ok(crate::actions::team::import(self.vault, &self.keys, &self.existing, file, progress)?)
    }
}

/// The team's trail as the audit log's lines, each with the member who wrote it (entries in
/// words this build does not know are left out).
fn log_of(events: &[crate::team::audit::TeamEvent]) -> (Vec<crate::vault::audit::Record>, Vec<String>) {
    events.iter().filter_map(|event| Some((event.as_record()?, event.member.clone()))).unzip()
}

/// [`log_of`] the lines this computer's copy keeps.
fn lines_of(lines: &[crate::team::audit::TrailLine]) -> (Vec<crate::vault::audit::Record>, Vec<String>) {
    lines.iter().filter_map(|line| Some((line.as_record()?, line.member.clone()))).unzip()
}

/// [`current_copy`] with the whole trail: read from the server once, then kept in the copy.
fn copy_with_trail(context: &Context, vault: &TeamVault) -> Result<Snapshot, CliError> {
    let (mut copy, _bytes) = current_copy(context, vault)?;
    if copy.trail().is_none() {
        copy.keep_trail(&vault.events_after(0)?);
        if let Err(warning) = save_copy(&context.dir, &copy) {
            super::commands::note(&warning);
        }
    }
    Ok(copy)
}

/// `show` from this computer's copy: the key's details and its history from the trail kept.
fn show_from(copy: &Snapshot, show: &args::ShowArgs, now: DateTime<Utc>) -> Result<(), CliError> {
    let (records, by) = lines_of(copy.trail().unwrap_or_default());
    render::show(&records_of(copy), render::Log { records: &records, by: &by }, now, &show.key, show.json)
}

/// The copy's keys' records.
fn records_of(copy: &Snapshot) -> Vec<KeyRecord> {
    records(&copy.keys())
}

/// Refuses a change up front when the token may only read (one sentence, exit 1).
fn ensure_writable(vault: &TeamVault) -> Result<(), CliError> {
    if vault.can_write()? {
        Ok(())
    } else {
        Err(crate::team::kv::KvError::Denied { doing: "change keys", policy: "keydesk-editor" }.into())
    }
}

impl From<KvError> for CliError {
    fn from(error: KvError) -> Self {
        CliError::Failed(error.to_string())
    }
}

fn password(context: &Context) -> Result<secrecy::SecretString, CliError> {
    input::password(context.password_file.as_deref(), "Your team vault password: ")
}
