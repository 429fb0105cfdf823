//! The command line's side of a team vault: the vault's folder holds `team.ron` (where the
//! team vault is and who this member is) instead of `vault.ron`, and the commands read and
//! write the server. `init --team`, `team policy` and the members' commands are a team
//! vault's alone; the rest run through the one dispatch (`commands::run`), which calls
//! [`Team`] where a team vault's work differs. `list` and `show` need the token but no
//! password; `add`, `edit` and `reveal` need both (the data key seals secrets and the
//! entries' seals).

use chrono::{DateTime, Utc};
use std::path::Path;

use secrecy::ExposeSecret;

use super::args::{self, IncidentCommand};
use super::commands::{Context, out};
use super::home::{Home, Part, Unlocked, View};
use super::{CliError, input, lookup, render};
pub use crate::actions::team::is_team;
use crate::actions::team::{
    self as folder, TEAM_CACHE, TEAM_FILE, read_config, read_copy, save_copy, write_config,
};
use crate::actions::{Capabilities, TeamStore};
use crate::team::cache::Snapshot;
use crate::team::kv::{KvError, Location};
use crate::team::{TeamError, TeamKey, TeamVault};
use crate::vault::WhoisFound;
use crate::vault::crypto::KdfParams;
use crate::vault::model::{Account, Incident, KeyId, KeyRecord};

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
    // A joiner's invitation code is read before the password they choose.
    let code = if init.join { Some(input::key_from_stdin("Invitation code: ")?) } else { None };
    let password = input::new_password(context.password_file.as_deref())?;
    crate::vault::check_new_password(&password)?;
    let now = crate::vault::Clock::now(&crate::vault::SystemClock);
    let (mut vault, _keys) = match &code {
        Some(code) => TeamVault::join(kv, &member, code, &password, kdf, super::entropy_source(), now)?,
        None => TeamVault::create(kv, &member, &password, kdf, super::entropy_source(), now)?,
    };
    write_config(&context.dir, vault.config())?;
    super::signin::remember(context, &mut vault)?;
    let config = vault.config();
    let (place, member, dir) = (config.place(), &config.member, context.dir.display());
    out(&if code.is_some() {
        format!("Joined the team vault at {place} as {member}; this folder ({dir}) points to it.")
    } else {
        format!(
            "Created a team vault at {place}, with you ({member}) as its first member; this folder ({dir}) points to it."
        )
    })
}

/// `keydesk team policy`: the policies, made from `team.ron` alone (no token, no server).
pub fn policy(context: &Context, args: &args::PolicyArgs) -> Result<(), CliError> {
    if !is_team(&context.dir) {
        return Err(CliError::Failed(
            "This folder holds no team vault: server policies are made for one (`keydesk init --team`)."
                .into(),
        ));
    }
    let config = read_config(&context.dir)?;
    let location = Location::new(&config.addr, &config.mount, &config.path)?;
    out(crate::team::policy::policy(args.role.into(), &location).trim_end())
}

/// The team vault of the folder, signed in to: what the one dispatch asks of it where a team
/// vault's work differs from a local vault's.
pub struct Team<'c> {
    context: &'c Context,
    vault: TeamVault,
    /// The team's keys, once unlocked with this member's password.
    keys: Option<crate::team::TeamKeys>,
    /// The keys as read before the password was asked, for the store to start from.
    listed: Option<Vec<TeamKey>>,
    now: DateTime<Utc>,
}

impl<'c> Team<'c> {
    /// Signs in to the server of the folder's team vault (the inner error: it cannot be
    /// reached) and keeps the sign-in as the member chose.
    pub fn open(context: &'c Context) -> Result<Result<Self, KvError>, CliError> {
        let config = read_config(&context.dir)?;
        let location = Location::new(&config.addr, &config.mount, &config.path)?;
        let mut vault = match super::signin::open(context, &location, &config)? {
            Ok(vault) => vault,
            Err(TeamError::Server(error)) if error.is_away() => return Ok(Err(error)),
            Err(error) => return Err(error.into()),
        };
        super::signin::remember(context, &mut vault)?;
        let now = crate::vault::Clock::now(&crate::vault::SystemClock);
        Ok(Ok(Team { context, vault, keys: None, listed: None, now }))
    }
}

impl Home for Team<'_> {
    fn capabilities(&self) -> Result<Capabilities, CliError> {
        Ok(Capabilities::team(&self.vault)?)
    }

    fn info(&mut self, info: &args::InfoArgs) -> Result<(), CliError> {
        self::info(self.context, &self.vault, info)
    }

    fn member(&mut self, command: args::MemberCommand) -> Result<(), CliError> {
        members(self.context, &self.vault, command, self.now)
    }

    fn passwd(&mut self, args: &args::PasswdArgs) -> Result<(), CliError> {
        passwd(self.context, &self.vault, args, self.now)
    }

    /// A command that unlocked the vault keeps the server's pack up (when the trail has gone
    /// far past it), after its own work: a first load on another computer reads it.
    fn finish(&self) {
        if let Some(keys) = &self.keys {
            crate::actions::team::keep_pack(&self.context.dir, &self.vault, keys);
        }
    }

    /// The keys as the server has them now, kept for the store.
    fn listed(&mut self) -> Result<Vec<KeyRecord>, CliError> {
        let keys = current_keys(self.context, &self.vault, self.keys.as_ref())?;
        let listed = records(&keys);
        self.listed = Some(keys);
        Ok(listed)
    }

    /// The key `query` names (id, start of id, or exact label), read again from the server: a
    /// change or a reveal works on the entry as it is there now (its version, for the
    /// check-and-set; its seal, checked), not on this computer's copy.
    fn key_named(&mut self, query: &str) -> Result<(KeyId, Option<u64>), CliError> {
        let id = lookup::resolve(&self.listed()?, query)?;
        let key = self.vault.read_key(&id)?.ok_or_else(|| TeamError::NoSuchKey { id: id.to_string() })?;
        Ok((key.record.id, Some(key.version)))
    }

    /// The team vault unlocked as a store, starting from the keys listed before (else read
    /// now).
    fn unlocked(&mut self) -> Result<Unlocked<'_>, CliError> {
        let keys = unlock(self.context, &self.vault, &mut self.keys)?;
        let existing = match self.listed.take() {
            Some(keys) => keys,
            None => current_keys(self.context, &self.vault, Some(keys))?,
        };
        let store = TeamStore::new(&self.vault, keys, self.now)?;
        Ok(Unlocked::Team(store.adding(existing).in_folder(&self.context.dir)))
    }

    /// `keydesk export` of a team vault: its keys as this computer's copy lists them, the
    /// secrets read from the server when asked for.
    fn export(&mut self, args: &args::ExportArgs) -> Result<(), CliError> {
        use crate::actions::transfer::{ExportFormat, ExportOptions, refuse_existing};
        refuse_existing(&args.file)?;
        let list = current_keys(self.context, &self.vault, self.keys.as_ref())?;
        if args.with_secrets {
            let live = list.iter().filter(|key| key.record.is_live()).count();
            super::transfer::confirm_secrets(live, &args.file)?;
        }
        let keys = unlock(self.context, &self.vault, &mut self.keys)?;
        let format = if args.format == "json" { ExportFormat::Json } else { ExportFormat::Csv };
        let options = ExportOptions { format, all: args.all, with_secrets: args.with_secrets };
        let said = crate::actions::team::export(&self.vault, keys, &list, &args.file, options, self.now)?;
        out(&said)
    }

    fn import(&mut self, args: &args::ImportArgs) -> Result<(), CliError> {
        let keys = self.vault.unlock(&password(self.context)?)?;
        let existing = current_keys(self.context, &self.vault, self.keys.as_ref())?;
        let mut target = TeamImport { vault: &self.vault, keys, existing };
        super::transfer::import(&mut target, args)
    }

    fn whois(&mut self) -> Result<(WhoisFound, Vec<KeyRecord>, &'static str), CliError> {
        let candidate = input::key_from_stdin("Paste the string to look up: ")?;
        let keys = unlock(self.context, &self.vault, &mut self.keys)?;
        let list = current_keys(self.context, &self.vault, Some(keys))?;
        let found = self.vault.whois(keys, &list, candidate.expose_secret(), self.now)?;
        Ok((found, records(&list), "this team vault"))
    }

    fn check(&mut self, check: &args::CheckArgs) -> Result<(), CliError> {
        if check.repair || check.accept_changes {
            return Err(CliError::Usage(
                "--repair and --accept-changes are for a local vault: a team vault keeps no secret-store entries or files of its own to mend.".into(),
            ));
        }
        let keys = unlock(self.context, &self.vault, &mut self.keys)?;
        seen_trail(self.context, &self.vault);
        render::team_check(&self.vault.check(keys)?)
    }

    fn verify_audit(&mut self) -> Result<u64, CliError> {
        let keys = unlock(self.context, &self.vault, &mut self.keys)?;
        seen_trail(self.context, &self.vault);
        Ok(self.vault.verify_audit(keys)?.len() as u64)
    }

    /// Removing asks for no seal: it is also how an admin is rid of an account entry
    /// changed on the server, which the store (checking every account's seal) refuses.
    fn remove_account(&mut self, query: &str) -> Result<(Account, Option<&'static str>), CliError> {
        let keys = unlock(self.context, &self.vault, &mut self.keys)?;
        let keys_now = current_keys(self.context, &self.vault, Some(keys))?;
        let account = self.vault.remove_account(keys, query, &keys_now, self.now)?;
        Ok((account, Some("the team vault")))
    }

    /// What the read-only commands render: the keys as this computer's copy brought up to
    /// date has them, the trail kept in it, the incidents and accounts from the server.
    fn view(&mut self, part: Part) -> Result<View, CliError> {
        let (context, vault) = (self.context, &self.vault);
        let mut view = View { now: self.now, ..View::default() };
        match part {
            Part::Keys | Part::Rotation => view.keys = records(&current_keys(context, vault, None)?),
            Part::Incidents => {
                view.keys = records(&current_keys(context, vault, None)?);
                view.incidents = vault.incidents_to_show()?;
            }
            Part::History | Part::Health => {
                let copy = copy_with_trail(context, vault)?;
                (view.records, view.by) = lines_of(copy.trail().unwrap_or_default());
                if part == Part::Health {
                    view.accounts = vault.accounts()?.into_iter().map(|a| a.account).collect();
                    view.incidents = vault.incidents_to_show()?;
                }
                view.keys = records_of(&copy);
            }
            Part::Accounts => {
                view.accounts = vault.accounts()?.into_iter().map(|found| found.account).collect();
            }
            Part::Audit => {
                let events = vault.events_after(0)?;
                (view.records, view.by) = log_of(&events);
                // A word this build does not know (a newer build's) is shown as it is.
                view.newer = events
                    .iter()
                    .filter(|event| event.action.is_none())
                    .map(|event| {
                        format!(
                            "{}  {:<15}  (written by a newer Keydesk)  {}  — by {}",
                            event.at,
                            event.action_word(),
                            event.detail,
                            event.member
                        )
                    })
                    .collect();
            }
        }
        Ok(view)
    }

    /// The keys and incidents an incident's report reads, with their timelines.
    fn incidents(&mut self, read: &IncidentCommand) -> Result<(Vec<KeyRecord>, Vec<Incident>), CliError> {
        // Each entry's seal is checked, which takes the team's key.
        let keys = unlock(self.context, &self.vault, &mut self.keys)?;
        let all = records(&current_keys(self.context, &self.vault, Some(keys))?);
        let mut found = self.vault.incidents(keys)?;
        // One incident's report reads the trail from that incident's start only.
        if let IncidentCommand::Show(args::IncidentArg { id: query })
        | IncidentCommand::Export(args::IncidentExportArgs { id: query, .. }) = read
        {
            let plain: Vec<_> = found.iter().map(|one| one.incident.clone()).collect();
            let id = super::incident::find(&plain, query)?.id.clone();
            found.retain(|one| one.incident.id == id);
        }
        let incidents = crate::team::incidents::with_timelines(&self.vault, &found, &all)?;
        Ok((all, incidents))
    }

    /// `keydesk rotate KEY` on a team vault: the new key pasted, kept beside the old one.
    fn start_rotation(&mut self, id: &KeyId) -> Result<(), CliError> {
        let list = match self.listed.take() {
            Some(list) => list,
            None => current_keys(self.context, &self.vault, self.keys.as_ref())?,
        };
        let keys = unlock(self.context, &self.vault, &mut self.keys)?;
        let mut store = TeamStore::new(&self.vault, keys, self.now)?.adding(list);
        super::home::start_rotation(&mut store, id)
    }
}

/// `keydesk info` on a team vault: where it is, who this member is, its keys and trail.
fn info(context: &Context, vault: &TeamVault, info: &args::InfoArgs) -> Result<(), CliError> {
    let (copy, copy_bytes) = current_copy(context, vault, None)?;
    let keys = copy.keys();
    let writable = Capabilities::team(vault)?.may_change();
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
            "pack_up_to": copy.pack_head(),
            "files": {TEAM_FILE: folder::config_bytes(&context.dir), TEAM_CACHE: copy_bytes},
        });
        let text = serde_json::to_string_pretty(&value)
            .map_err(|_json| CliError::Failed("Keydesk could not write the information as JSON.".into()))?;
        return out(&text);
    }
    out(&format!(
        "Folder          {}\nTeam vault      {}\nMember          {} ({})\nTeam id         {}\nKeys            {} ({} active, {} retiring, {} revoked)\nAudit trail     {} entries\nCopy here       {TEAM_CACHE}, {} bytes\nServer's pack   {}",
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
        match copy.pack_head() {
            0 => "not looked at from this computer yet".to_owned(),
            head => format!("up to trail entry {head} when last looked at"),
        },
    ))
}

/// The members' commands: `member invite`, `member login` and `member remove`.
fn members(
    context: &Context,
    vault: &TeamVault,
    command: args::MemberCommand,
    now: DateTime<Utc>,
) -> Result<(), CliError> {
    match command {
        args::MemberCommand::Invite(invite) => {
            let keys = vault.unlock(&password(context)?)?;
            crate::team::check_member(&invite.name)?;
            // The sign-in first: when it cannot be made, the invitation is still worth giving.
            let login = make_login(
                vault,
                &invite.name,
                (invite.oidc_name.as_deref(), invite.ldap_name.as_deref()),
                invite.role.into(),
            );
            let code = vault.invite(&keys, &invite.name, &mut *vault.entropy(), now)?;
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
        args::MemberCommand::Login(login) => out(&make_login(
            vault,
            &login.name,
            (login.oidc_name.as_deref(), login.ldap_name.as_deref()),
            login.role.into(),
        )?),
        args::MemberCommand::Remove(remove) => {
            let keys = vault.unlock(&password(context)?)?;
            let (removed, _new_keys) =
                vault.remove_member(&keys, &remove.name, &mut *vault.entropy(), now)?;
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
    }
}

/// `keydesk passwd` on a team vault: this member's password; with `--new-data-key`, the
/// team's key replaced for every member too.
fn passwd(
    context: &Context,
    vault: &TeamVault,
    passwd: &args::PasswdArgs,
    now: DateTime<Utc>,
) -> Result<(), CliError> {
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
        let (done, new_keys) = vault.rekey(&keys, &mut *vault.entropy(), now)?;
        keys = new_keys;
        said = format!(
            " The team's key was replaced for every member (generation {}) and {} sealed again under it; their older versions are destroyed on the server.",
            done.generation,
            crate::vault::count_keys(done.resealed)
        );
    }
    vault.change_password(&keys, &new, kdf, &mut *vault.entropy(), now)?;
    out(&format!("Master password changed: the new one is in force.{said}"))
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
        let password = signin::new_password(&mut super::entropy());
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

/// The keys as the server has them now: this computer's copy brought up to date (only what
/// the audit trail says changed is read), and kept for next time.
fn current_keys(
    context: &Context,
    vault: &TeamVault,
    keys: Option<&crate::team::TeamKeys>,
) -> Result<Vec<TeamKey>, CliError> {
    Ok(current_copy(context, vault, keys)?.0.keys())
}

/// [`current_keys`] as the copy itself, with its size in bytes as saved.
/// With `keys` (the vault unlocked already), the server's pack is checked and kept up too.
fn current_copy(
    context: &Context,
    vault: &TeamVault,
    keys: Option<&crate::team::TeamKeys>,
) -> Result<(Snapshot, usize), CliError> {
    let now = crate::vault::Clock::now(&crate::vault::SystemClock);
    let refreshed = vault.refresh(read_copy(&context.dir), keys, now)?;
    let bytes = save_copy(&context.dir, &refreshed.snapshot).unwrap_or_else(|warning| {
        super::commands::note(&warning.to_string());
        0
    });
    Ok((refreshed.snapshot, bytes))
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
    ) -> Result<crate::actions::transfer::ImportFile, crate::actions::transfer::TransferError> {
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
pub(super) fn lines_of(
    lines: &[crate::team::audit::TrailLine],
) -> (Vec<crate::vault::audit::Record>, Vec<String>) {
    lines.iter().filter_map(|line| Some((line.as_record()?, line.member.clone()))).unzip()
}

/// [`current_copy`] with the whole trail: read from the server once, then kept in the copy.
fn copy_with_trail(context: &Context, vault: &TeamVault) -> Result<Snapshot, CliError> {
    let (mut copy, _bytes) = current_copy(context, vault, None)?;
    if copy.trail().is_none() {
        copy.keep_trail(&vault.events_after(0)?);
        if let Err(warning) = save_copy(&context.dir, &copy) {
            super::commands::note(&warning.to_string());
        }
    }
    Ok(copy)
}

/// The copy's keys' records.
pub(super) fn records_of(copy: &Snapshot) -> Vec<KeyRecord> {
    records(&copy.keys())
}

/// The team's keys in `slot`, unlocked with the password when not yet (asked once).
fn unlock<'k>(
    context: &Context,
    vault: &TeamVault,
    slot: &'k mut Option<crate::team::TeamKeys>,
) -> Result<&'k crate::team::TeamKeys, CliError> {
    let keys = match slot.take() {
        Some(keys) => keys,
        None => vault.unlock(&password(context)?)?,
    };
    Ok(slot.insert(keys))
}

fn password(context: &Context) -> Result<secrecy::SecretString, CliError> {
    input::password(context.password_file.as_deref(), "Your team vault password: ")
}
