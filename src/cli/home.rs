//! The vault a command runs on, opened once for the one dispatch (`commands::run`): the local
//! folder (`vault.ron`, opened and unlocked when a command first needs it) or a team vault
//! (signed in to its server first). The dispatch asks it for what the read-only commands
//! render ([`Home::view`]), for the keys as they are now ([`Home::listed`], read before the
//! password on a team vault), for the unlocked store ([`Home::unlocked`]) and for what the
//! vault can do ([`Home::capabilities`]); the few commands whose work differs by kind call
//! one method each here.

use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;

use super::args::{self, IncidentCommand};
use super::commands::{Context, note, out, print_secret};
use super::team::Team;
use super::{CliError, input, render};
use crate::actions::{Capabilities, Store, TeamStore};
use crate::providers::Provider;
use crate::secrets::{self, SecretStore};
use crate::storage::{VaultDir, VaultStorage};
use crate::vault::audit::Record;
use crate::vault::model::{Account, Incident, KeyId, KeyRecord, VaultFile};
use crate::vault::{Env, Replacement, SystemClock, Vault, VaultError, WhoisFound};

/// The sentence for a member command on a vault without members.
pub const NO_MEMBERS: &str = "This is a local vault: members belong to a team vault (`keydesk init --team`).";

/// What a read-only command renders, read as [`Part`] says.
#[derive(Default)]
pub struct View {
    pub keys: Vec<KeyRecord>,
    pub incidents: Vec<Incident>,
    pub accounts: Vec<Account>,
    /// The audit log's lines, each with the member who wrote it (a team's trail).
    pub records: Vec<Record>,
    pub by: Vec<String>,
    /// Lines of the team's trail in words this build does not know, as they are shown.
    pub newer: Vec<String>,
    pub now: DateTime<Utc>,
}

impl View {
    pub fn log(&self) -> render::Log<'_> {
        render::Log { records: &self.records, by: &self.by }
    }
}

/// What a view reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The keys (`list`).
    Keys,
    /// The keys, for a rotation's state (`rotate --status`).
    Rotation,
    /// The keys and the log, for one key's history (`show`).
    History,
    /// The keys and the incidents (`due`).
    Incidents,
    /// The keys, incidents, accounts and the log (`health`).
    Health,
    /// The log (`audit`).
    Audit,
    /// The provider accounts (`account list`).
    Accounts,
}

/// The unlocked vault, as a store.
pub enum Unlocked<'h> {
    Local(&'h mut Vault),
    Team(TeamStore<'h>),
}

impl Unlocked<'_> {
    pub fn store(&mut self) -> &mut dyn Store {
        match self {
            Unlocked::Local(vault) => &mut **vault,
            Unlocked::Team(store) => store,
        }
    }
}

/// The folder's vault, opened: a team vault signed in to (or this computer's copy of it,
/// read-only, while its server cannot be reached), else the local vault, unlocked when a
/// command first needs it.
pub fn open(context: &Context) -> Result<Box<dyn Home + '_>, CliError> {
    if !super::team::is_team(&context.dir) {
        return Ok(Box::new(Local { context, vault: None }));
    }
    Ok(match Team::open(context)? {
        Ok(team) => Box::new(team),
        Err(away) => Box::new(super::offline::Offline::new(context, &away)),
    })
}

/// The vault a command runs on, opened: what the one dispatch asks of it. The methods after
/// [`Home::unlocked`] are the commands whose work differs by kind.
pub trait Home {
    /// What the vault can do.
    fn capabilities(&self) -> Result<Capabilities, CliError>;
    /// Refuses a change up front when keys may not be changed.
    fn check_change(&self) -> Result<(), CliError> {
        Ok(self.capabilities()?.check_change()?)
    }
    /// What a read-only command renders.
    fn view(&mut self, part: Part) -> Result<View, CliError>;
    /// The keys as they are now (a team vault's read before its password is asked).
    fn listed(&mut self) -> Result<Vec<KeyRecord>, CliError>;
    /// The key `query` names and the version a change names (a team entry's, read before the
    /// password is asked: a change made meanwhile by another member is found by the write).
    fn key_named(&mut self, query: &str) -> Result<(KeyId, Option<u64>), CliError>;
    /// The vault unlocked (the password asked once).
    fn unlocked(&mut self) -> Result<Unlocked<'_>, CliError>;
    /// The keys and incidents an incident's report reads (a team's with their timelines).
    fn incidents(&mut self, read: &IncidentCommand) -> Result<(Vec<KeyRecord>, Vec<Incident>), CliError>;
    fn info(&mut self, info: &args::InfoArgs) -> Result<(), CliError>;
    /// The audit log checked: how many entries it has.
    fn verify_audit(&mut self) -> Result<u64, CliError>;
    fn check(&mut self, check: &args::CheckArgs) -> Result<(), CliError>;
    fn passwd(&mut self, passwd: &args::PasswdArgs) -> Result<(), CliError>;
    /// `whois`: the string pasted looked up; what was found, every key, and the vault's name.
    fn whois(&mut self) -> Result<(WhoisFound, Vec<KeyRecord>, &'static str), CliError>;
    /// Starts replacing key `id` (the new key pasted, or generated for a Keydesk key).
    fn start_rotation(&mut self, id: &KeyId) -> Result<(), CliError>;
    /// Removes the account `query` names; answers it and the shared place it left.
    fn remove_account(&mut self, query: &str) -> Result<(Account, Option<&'static str>), CliError>;
    fn import(&mut self, args: &args::ImportArgs) -> Result<(), CliError>;
    fn export(&mut self, args: &args::ExportArgs) -> Result<(), CliError>;
    /// `backup`, where [`Capabilities::backup`] says the vault is backed up to a file.
    fn backup(&mut self, _args: &args::BackupArgs) -> Result<(), CliError> {
        Err(CliError::Failed(crate::actions::Backup::SNAPSHOT_SENTENCE.into()))
    }
    /// The members' commands, where [`Capabilities::members`] says the vault has members.
    fn member(&mut self, _command: args::MemberCommand) -> Result<(), CliError> {
        Err(CliError::Failed(NO_MEMBERS.into()))
    }
    /// Says what is left to say once the command ran.
    fn finish(&self) {}
}

/// The local vault of the folder, opened and unlocked when a command first needs it.
pub struct Local<'c> {
    context: &'c Context,
    vault: Option<Vault>,
}

impl Home for Local<'_> {
    fn capabilities(&self) -> Result<Capabilities, CliError> {
        Ok(Capabilities::local())
    }

    /// The views read `vault.ron` (and the audit log) alone, no password, no keychain; the
    /// audit log's own view and the accounts' list unlock the vault (read-only).
    fn view(&mut self, part: Part) -> Result<View, CliError> {
        if matches!(part, Part::Audit | Part::Accounts) {
            let vault = self.vault(false)?;
            let mut view = View { now: Store::now(vault), ..View::default() };
            if part == Part::Audit {
                view.records = crate::vault::audit::parse(&vault.audit_text()?);
            } else {
                view.accounts = vault.accounts().to_vec();
            }
            return Ok(view);
        }
        let (dir, mut file) = self.read_file()?;
        let now = crate::vault::Clock::now(&SystemClock);
        let mut records = Vec::new();
        // The counts of copies and reveals since the last save are lines of the audit log
        // (not checked here: that takes the password).
        match part {
            Part::Keys => file.count_unsaved_uses(&dir.read_audit()?),
            Part::History => {
                let audit = dir.read_audit()?;
                file.count_unsaved_uses(&audit);
                records = crate::vault::audit::parse(&audit);
            }
            Part::Health => records = crate::vault::audit::parse(&dir.read_audit()?),
            Part::Rotation | Part::Incidents | Part::Audit | Part::Accounts => {}
        }
        let (keys, incidents, accounts) = (file.keys, file.incidents, file.accounts);
        Ok(View { keys, incidents, accounts, records, by: Vec::new(), newer: Vec::new(), now })
    }

    fn listed(&mut self) -> Result<Vec<KeyRecord>, CliError> {
        Ok(self.vault(true)?.keys().to_vec())
    }

    fn key_named(&mut self, query: &str) -> Result<(KeyId, Option<u64>), CliError> {
        Ok((super::lookup::resolve(self.vault(true)?.keys(), query)?, None))
    }

    fn unlocked(&mut self) -> Result<Unlocked<'_>, CliError> {
        Ok(Unlocked::Local(self.vault(true)?))
    }

    fn incidents(&mut self, _read: &IncidentCommand) -> Result<(Vec<KeyRecord>, Vec<Incident>), CliError> {
        let view = self.view(Part::Incidents)?;
        Ok((view.keys, view.incidents))
    }

    fn info(&mut self, info: &args::InfoArgs) -> Result<(), CliError> {
        let (dir, file) = self.read_file()?;
        render::info(&file, dir.path(), &dir.file_sizes(), info.json)
    }

    fn verify_audit(&mut self) -> Result<u64, CliError> {
        // Read-only: the folder's lock is not taken.
        match self.vault(false)?.verify_audit() {
            Ok(report) => Ok(report.entries),
            Err(error) => Err(CliError::Failed(error.to_string())),
        }
    }

    fn check(&mut self, check: &args::CheckArgs) -> Result<(), CliError> {
        run_check(self.vault(true)?, check)
    }

    fn passwd(&mut self, passwd: &args::PasswdArgs) -> Result<(), CliError> {
        run_passwd(self.vault(true)?, passwd)
    }

    fn whois(&mut self) -> Result<(WhoisFound, Vec<KeyRecord>, &'static str), CliError> {
        let vault = self.vault(true)?;
        let candidate = input::key_from_stdin("Paste the string to look up: ")?;
        let found = vault.whois(candidate.expose_secret())?;
        Ok((found, vault.keys().to_vec(), "this vault"))
    }

    fn start_rotation(&mut self, id: &KeyId) -> Result<(), CliError> {
        start_rotation(self.vault(true)?, id)
    }

    fn remove_account(&mut self, query: &str) -> Result<(Account, Option<&'static str>), CliError> {
        let vault = self.vault(true)?;
        Ok((Store::remove_account(vault, query)?, Store::shared_place(vault)))
    }

    fn import(&mut self, args: &args::ImportArgs) -> Result<(), CliError> {
        super::transfer::import(self.vault(true)?, args)
    }

    fn export(&mut self, args: &args::ExportArgs) -> Result<(), CliError> {
        super::transfer::export(self.vault(true)?, args)
    }

    fn backup(&mut self, args: &args::BackupArgs) -> Result<(), CliError> {
        let context = self.context;
        super::backup::backup(context, self.vault(true)?, args)
    }

    /// Says when Keydesk could not keep its record of the vault's last save outside the
    /// folder (the change itself was made): a rollback to an older copy would then go unseen.
    fn finish(&self) {
        if let Some(problem) = self.vault.as_ref().and_then(Vault::mark_problem) {
            note(&format!("Warning: {problem}"));
        }
    }
}

impl Local<'_> {
    /// The vault unlocked; `write`: for writing (the folder's lock taken) when first opened.
    fn vault(&mut self, write: bool) -> Result<&mut Vault, CliError> {
        let vault = match self.vault.take() {
            Some(vault) => vault,
            None => open_local(self.context, write)?,
        };
        Ok(self.vault.insert(vault))
    }

    /// `vault.ron` read, without the password.
    fn read_file(&self) -> Result<(VaultDir, VaultFile), CliError> {
        let (dir, _text, file) = read_vault(self.context, false)?;
        Ok((dir, file))
    }
}

/// The vault folder opened (`write`: its lock taken) and `vault.ron` read and parsed.
fn read_vault(context: &Context, write: bool) -> Result<(VaultDir, String, VaultFile), CliError> {
    let dir = VaultDir::open(&context.dir, write)?;
    let text = dir.read_vault()?;
    let file = Vault::parse(&text).map_err(|e| unparsed(dir.path(), &e))?;
    Ok((dir, text, file))
}

/// `vault.ron` in `folder` did not parse: what is wrong, and the file.
fn unparsed(folder: &std::path::Path, error: &VaultError) -> CliError {
    CliError::Failed(format!("{error} File: {}", folder.join(crate::storage::VAULT_FILE).display()))
}

/// `vault.ron` as read before the password is asked: its header alone (the rest is parsed
/// while the key is derived), or the whole file.
enum Read {
    Head(crate::vault::model::Header),
    Whole(VaultFile),
}

impl Read {
    fn header(&self) -> &crate::vault::model::Header {
        match self {
            Read::Head(header) => header,
            Read::Whole(file) => &file.header,
        }
    }
}

/// `keydesk check`: keeps changes made outside Keydesk when asked, reports, and removes
/// orphaned entries with `--repair`.
fn run_check(vault: &mut Vault, check: &args::CheckArgs) -> Result<(), CliError> {
    if check.accept_changes {
        if vault.changed_outside().is_none() {
            out("No changes made outside Keydesk to keep.")?;
        } else {
            let by = std::env::var("USER").unwrap_or_else(|_unset| "the command line".into());
            vault.accept_outside_changes(&by)?;
            out("Kept the changes made outside Keydesk; the acceptance is in the audit log.")?;
        }
    }
    let report = vault.check();
    if check.repair && !report.orphans.is_empty() {
        let removed = vault.remove_orphans(&report.orphans)?;
        out(&format!("Removed {removed} orphaned entries."))?;
        return render::check(&vault.check());
    }
    render::check(&report)
}

/// `keydesk passwd`: a new master password at the vault's cost (unless `--kdf-*` change it);
/// with `--new-data-key`, every secret re-encrypted under a new data key.
fn run_passwd(vault: &mut Vault, passwd: &args::PasswdArgs) -> Result<(), CliError> {
    let new = input::new_password(passwd.new_password_file.as_deref())?;
    let kdf = super::commands::kdf_params(&passwd.kdf, vault.file().header.kdf)?;
    let caveat = if passwd.new_data_key {
        let mut progress = super::render::Progress::new("Re-encrypting secrets");
        let caveat = vault.change_data_key(&new, Some(kdf), &mut |done, total| progress.show(done, total))?;
        progress.finish();
        out("Master password and data key changed; every secret is re-encrypted.")?;
        caveat
    } else {
        let caveat = vault.change_password(&new, Some(kdf))?;
        out("Master password changed: the new one is in force.")?;
        caveat
    };
    caveat.inspect(|caveat| note(&format!("Warning: {caveat}")));
    Ok(())
}

/// `keydesk rotate KEY` on a local vault: the replacement generated (a Keydesk key) or pasted.
/// `rotate KEY` on either kind of vault: a Keydesk key's replacement is generated in its shape
/// and printed once; another provider's is made there and pasted on stdin.
pub(super) fn start_rotation(store: &mut (impl Store + ?Sized), id: &KeyId) -> Result<(), CliError> {
    let old = store.key_record(id)?;
    let replacement = if old.provider == Provider::Keydesk {
        Replacement::Generate
    } else {
        Replacement::Pasted(input::key_from_stdin(&format!(
            "Make a new key at {}, then paste it: ",
            old.provider.name()
        ))?)
    };
    let generated = matches!(replacement, Replacement::Generate);
    let (id, secret) = store.begin_rotation(&old.id, replacement)?;
    note(&crate::vault::rotation_started(&old, &id));
    if generated { print_secret(&secret) } else { Ok(()) }
}

/// Opens, parses and unlocks the vault. The password is asked for only once the file is
/// known to be readable.
fn open_local(context: &Context, write: bool) -> Result<Vault, CliError> {
    // A restore cut short is finished before anything else reads the folder (with this
    // command's password: it is the restored vault's).
    let mut given = None;
    if write && crate::storage::disk::has_pending_restore(&context.dir) {
        let password = input::password(context.password_file.as_deref(), "Master password: ")?;
        super::backup::finish_pending(context, &password)?;
        given = Some(password);
    }
    let dir = VaultDir::open(&context.dir, write)?;
    let text = dir.read_vault()?;
    // With the password at hand (a file, or the restore's) and the file in Keydesk's layout,
    // its header is read alone and the rest parsed while the key is derived. Otherwise (a
    // password asked at a prompt, so a file that does not parse is said before anything is
    // typed) the file is parsed first.
    let at_hand = given.is_some() || context.password_file.is_some();
    let read = match at_hand.then(|| crate::vault::layout::head(&text)).flatten() {
        Some((_format, header)) => Read::Head(header),
        None => Read::Whole(Vault::parse(&text).map_err(|e| unparsed(dir.path(), &e))?),
    };
    let store: Box<dyn SecretStore> = secrets::open(read.header().secret_store, &context.dir)?;
    let password = match given {
        Some(password) => password,
        None => input::password(context.password_file.as_deref(), "Master password: ")?,
    };
    let folder = dir.path().to_path_buf();
    let env =
        Env { store, storage: Box::new(dir), clock: Box::new(SystemClock), rng: Box::new(super::entropy()) };
    let mut vault = match read {
        Read::Whole(file) => Vault::unlock(env, file, &text, &password)?,
        Read::Head(header) => {
            Vault::unlock_text(env, &text, &header, &password).map_err(|error| match error {
                VaultError::Format(_) => unparsed(&folder, &error),
                other => other.into(),
            })?
        }
    };
    if let Some(advice) = vault.changed_outside_advice() {
        note(&format!("Warning: {advice}"));
    } else if write && vault.data_key_change_pending() {
        note("A change of data key was interrupted; finishing it first.");
        let mut progress = super::render::Progress::new("Re-encrypting secrets");
        let caveat = vault.finish_data_key_change(&mut |done, total| progress.show(done, total))?;
        progress.finish();
        if let Some(caveat) = caveat {
            note(&format!("Warning: {caveat}"));
        }
    }
    Ok(vault)
}
