//! One function per command. Each opens the vault as it needs (read-only or locked for
//! writing), calls the vault, and prints.

use std::io::Write;
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};

use super::args::{self, Command, KdfArgs, MetadataArgs, StoreChoice};
use super::lookup::resolve;
use super::{CliError, input, remote, render};
use crate::actions::{Store, changes};
use crate::clipboard::Clipboard;
use crate::providers::Provider;
use crate::secrets::{self, SecretStore};
use crate::storage::VaultDir;
use crate::vault::crypto::KdfParams;
use crate::vault::keygen::KeySpec;
use crate::vault::meta::{self, KeyMeta};
use crate::vault::model::{KeyId, KeyRecord, SecretBackend};
use crate::vault::{
    AddRequest, CreateOptions, Env, GenerateRequest, KeyEdit, Replacement, SystemClock, Vault, WhoisFound,
    os_rng,
};

/// What every command needs.
#[derive(Clone)]
pub struct Context {
    pub dir: PathBuf,
    pub password_file: Option<PathBuf>,
    pub token_file: Option<PathBuf>,
    /// How to sign in to a team vault's server, when given (`--login`), with its name and
    /// password file.
    pub login: Option<super::args::LoginMethod>,
    pub login_name: Option<String>,
    pub login_role: Option<String>,
    pub login_password_file: Option<PathBuf>,
}

/// Whether a command changes the vault (and so takes the write lock).
fn writes(command: &Command) -> bool {
    !matches!(
        command,
        Command::List(_)
            | Command::Show(_)
            | Command::Due(_)
            | Command::Health(_)
            | Command::Info(_)
            | Command::Audit(_)
    ) && !matches!(command, Command::Account(args::AccountCommand::List(_)))
}

/// Whether a command only reads metadata: it needs no master password and no keychain (the
/// file is the user's to read anyway; its seal is checked by every command that unlocks).
pub fn reads_metadata_only(command: &Command) -> bool {
    matches!(
        command,
        Command::List(_) | Command::Show(_) | Command::Due(_) | Command::Health(_) | Command::Info(_)
    ) || matches!(command, Command::Rotate(rotate) if rotate.status)
        || matches!(
            command,
            Command::Incident(
                args::IncidentCommand::List(_)
                    | args::IncidentCommand::Show(_)
                    | args::IncidentCommand::Export(_)
            )
        )
}

pub fn run(context: &Context, command: Command) -> Result<(), CliError> {
    let command = match elsewhere(context, command) {
        std::ops::ControlFlow::Break(answered) => return answered,
        std::ops::ControlFlow::Continue(command) => command,
    };
    if reads_metadata_only(&command) {
        return read_metadata(context, command);
    }
    let mut vault = open(context, writes(&command))?;
    let result = match run_unlocked(context, &mut vault, command) {
        Ok(Some(copied)) => {
            note_unmarked(&vault);
            // The vault (and its lock) is let go while the clipboard is served.
            drop(vault);
            return hold(copied);
        }
        other => other.map(|_nothing_to_hold| ()),
    };
    note_unmarked(&vault);
    result
}

/// The commands answered before (or without) this folder's local vault: `init`, a team
/// vault's folder, `team …` and `restore`. `Continue` gives the command back to run here.
fn elsewhere(context: &Context, command: Command) -> std::ops::ControlFlow<Result<(), CliError>, Command> {
    use std::ops::ControlFlow::{Break, Continue};
    match command {
        Command::Init(init) if init.team => Break(
            kdf_params(&init.kdf, KdfParams::default())
                .and_then(|kdf| super::team::init(context, &init, kdf)),
        ),
        Command::Init(init) => Break(run_init(context, &init)),
        Command::Team(args::TeamCommand::Setup(setup)) => Break(super::setup::setup(context, &setup)),
        command if super::team::is_team(&context.dir) => Break(super::team::run(context, command)),
        Command::Team(_) => Break(Err(CliError::Failed(
            "This folder holds no team vault: server policies are made for one (`keydesk init --team`)."
                .into(),
        ))),
        Command::Restore(restore) => Break(super::backup::restore(context, &restore)),
        command => Continue(command),
    }
}

/// The commands that read `vault.ron` (and the audit log) alone: no password, no keychain.
fn read_metadata(context: &Context, command: Command) -> Result<(), CliError> {
    use crate::storage::VaultStorage;
    let dir = VaultDir::open(&context.dir, false)?;
    let text = dir.read_vault()?;
    let mut file = Vault::parse(&text).map_err(|e| {
        CliError::Failed(format!("{e} File: {}", dir.path().join(crate::storage::VAULT_FILE).display()))
    })?;
    let now = crate::vault::Clock::now(&crate::vault::SystemClock);
    match command {
        // The counts of copies and reveals since the last save are lines of the audit log
        // (not checked here: that takes the password).
        Command::List(list) => {
            file.count_unsaved_uses(&dir.read_audit()?);
            render::list(&file.keys, now, &list)
        }
        Command::Show(show) => {
            let audit = dir.read_audit()?;
            file.count_unsaved_uses(&audit);
            let records = crate::vault::audit::parse(&audit);
            render::show(&file.keys, render::Log { records: &records, by: &[] }, now, &show.key, show.json)
        }
        Command::Due(due) => super::due::due_and_notify((&file.keys, &file.incidents), now, &due),
        Command::Health(health) => {
            let history =
                crate::vault::health::history::history(&crate::vault::audit::parse(&dir.read_audit()?));
            super::health::health((&file.keys, &file.incidents, &file.accounts), now, &history, &health)
        }
        Command::Info(info) => render::info(&file, dir.path(), &dir.file_sizes(), info.json),
        Command::Rotate(rotate) => render::rotation(&file.keys, &rotate.key, rotate.json),
        Command::Incident(incident) => super::incident::read(&file.keys, &file.incidents, incident),
        _ => Ok(()),
    }
}

/// A command on the unlocked local vault; a copy gives back what the clipboard must hold.
fn run_unlocked(context: &Context, vault: &mut Vault, command: Command) -> Result<Option<Copied>, CliError> {
    let done = match command {
        Command::Audit(audit) if audit.verify => match vault.verify_audit() {
            Ok(report) => out(&format!("Audit chain verified: {} entries, all linked.", report.entries)),
            Err(error) => Err(CliError::Failed(error.to_string())),
        },
        Command::Audit(audit) => {
            let records = crate::vault::audit::parse(&vault.audit_text()?);
            render::audit(render::Log { records: &records, by: &[] }, audit.json)
        }
        Command::Check(check) => run_check(vault, &check),
        Command::Generate(generate) => run_generate(vault, generate),
        Command::Add(add) => run_add(vault, add),
        Command::Verify(args) if args.all => {
            let keys = vault.keys().to_vec();
            super::check_all::verify_all(vault, &keys, &args)
        }
        command @ (Command::Edit(_)
        | Command::Copy(_)
        | Command::Reveal(_)
        | Command::Revoke(_)
        | Command::Verify(_)
        | Command::Usage(_)) => {
            let id = resolve(vault.keys(), key_named(&command).unwrap_or_default())?;
            return run_on_key(vault, &id, None, command);
        }
        Command::Account(account) => remote::account(vault, account),
        Command::Rotate(rotate) => run_rotate(vault, &rotate),
        Command::Incident(incident) => {
            let keys = vault.keys().to_vec();
            super::incident::write(vault, &keys, incident)
        }
        Command::Member(_) => Err(CliError::Failed(
            "This is a local vault: members belong to a team vault (`keydesk init --team`).".into(),
        )),
        Command::Whois => {
            let candidate = input::key_from_stdin("Paste the string to look up: ")?;
            let found = vault.whois(candidate.expose_secret())?;
            drop(candidate);
            print_whois(&found, vault.keys(), "this vault")
        }
        Command::Backup(args) => super::backup::backup(context, vault, &args),
        Command::Import(args) => super::transfer::import(vault, &args),
        Command::Export(args) => super::transfer::export(vault, &args),
        Command::Passwd(passwd) => run_passwd(vault, &passwd),
        Command::Browser(args::BrowserCommand::Guard(guard)) => super::browser::guard(vault, guard.switch),
        // Answered before the vault is opened, or without it.
        Command::Init(_)
        | Command::List(_)
        | Command::Show(_)
        | Command::Due(_)
        | Command::Health(_)
        | Command::Info(_)
        | Command::Restore(_)
        | Command::BrowserHost(_)
        | Command::Browser(_)
        | Command::Team(_) => Ok(()),
    };
    done.map(|()| None)
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
    let kdf = kdf_params(&passwd.kdf, vault.file().header.kdf)?;
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

/// Says when Keydesk could not keep its record of the vault's last save outside the folder
/// (the change itself was made): a rollback to an older copy would then go unseen.
fn note_unmarked(vault: &Vault) {
    if let Some(problem) = vault.mark_problem() {
        note(&format!("Warning: {problem}"));
    }
}

/// Opens, parses and unlocks the vault. The password is asked for only once the file is
/// known to be readable.
fn open(context: &Context, write: bool) -> Result<Vault, CliError> {
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
    let file = Vault::parse(&text).map_err(|e| {
        CliError::Failed(format!("{e} File: {}", dir.path().join(crate::storage::VAULT_FILE).display()))
    })?;
    let store: Box<dyn SecretStore> = secrets::open(file.header.secret_store, &context.dir)?;
    let password = match given {
        Some(password) => password,
        None => input::password(context.password_file.as_deref(), "Master password: ")?,
    };
    let env = Env { store, storage: Box::new(dir), clock: Box::new(SystemClock), rng: Box::new(os_rng()) };
    let mut vault = Vault::unlock(env, file, &text, &password)?;
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

fn run_init(context: &Context, init: &args::InitArgs) -> Result<(), CliError> {
    let kdf = kdf_params(&init.kdf, KdfParams::default())?;
    let existed = context.dir.exists();
    let result = create_vault(context, init, kdf);
    if result.is_err() && !context.dir.join(crate::storage::VAULT_FILE).exists() {
        // A failed init leaves nothing behind: no lone lock file, no empty folder it made.
        let _already_gone = std::fs::remove_file(context.dir.join(crate::storage::LOCK_FILE));
        if !existed {
            let _not_empty = std::fs::remove_dir(&context.dir);
        }
    }
    result
}

fn create_vault(context: &Context, init: &args::InitArgs, kdf: KdfParams) -> Result<(), CliError> {
    let dir = VaultDir::create(&context.dir)?;
    let backend = match init.secret_store {
        StoreChoice::Keychain => SecretBackend::Keychain,
        StoreChoice::File => SecretBackend::File,
    };
    let store = secrets::open(backend, &context.dir)?;
    let password = input::new_password(context.password_file.as_deref())?;
    let env = Env { store, storage: Box::new(dir), clock: Box::new(SystemClock), rng: Box::new(os_rng()) };
    Vault::create(env, &password, CreateOptions { backend, kdf })?;
    out(&format!(
        "Created a vault in {} (secrets in the {}).",
        context.dir.display(),
        match backend {
            SecretBackend::Keychain => "OS keychain",
            SecretBackend::File => "encrypted file secrets.ron",
        }
    ))
}

pub(super) fn kdf_params(args: &KdfArgs, base: KdfParams) -> Result<KdfParams, CliError> {
    let params = KdfParams {
        memory_kib: args.kdf_memory_mib.map_or(base.memory_kib, |mib| mib.saturating_mul(1024)),
        iterations: args.kdf_iterations.unwrap_or(base.iterations),
        lanes: args.kdf_lanes.unwrap_or(base.lanes),
    };
    params.validate().map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(params)
}

/// The metadata options of `generate` and `add`, read with the same readers as the window.
pub(super) fn metadata(label: &str, args: &MetadataArgs) -> Result<KeyMeta, CliError> {
    let expires_at = args.expires.as_deref().map(meta::parse_date).transpose().map_err(usage)?.flatten();
    Ok(KeyMeta {
        label: label.to_owned(),
        expires_at,
        rotate_after_days: args.rotate_days,
        integrations: args.integrations.iter().map(|i| meta::parse_integration(i)).collect(),
        notes: args.note.clone().unwrap_or_default(),
    })
}

#[allow(clippy::needless_pass_by_value, reason = "the adapter `map_err` takes")]
fn usage(error: crate::vault::VaultError) -> CliError {
    CliError::Usage(error.to_string())
}

/// `keydesk generate`: a Keydesk-format key, or one made at the provider with an account's
/// management key, kept in `store`.
pub(super) fn run_generate(
    store: &mut (impl Store + ?Sized),
    args: args::GenerateArgs,
) -> Result<(), CliError> {
    let meta = metadata(&args.label, &args.metadata)?;
    if let Some(account) = &args.account {
        let request = AddRequest { meta, ..AddRequest::default() };
        return remote::generate_at_provider(store, account, request, &args.scopes);
    }
    let request = GenerateRequest { meta, spec: KeySpec { prefix: args.prefix, length: args.length } };
    let (id, secret) = store.generate_key(request)?;
    let label = store.key_record(&id).map(|k| k.label).unwrap_or_default();
    let place = store.shared_place().map(|place| format!(" in {place}")).unwrap_or_default();
    note(&format!("Generated \"{label}\" ({id}){place}. It is shown once: copy it now."));
    print_secret(&secret)
}

/// `keydesk add`: the key pasted on standard input, kept in `store`.
pub(super) fn run_add(store: &mut (impl Store + ?Sized), args: args::AddArgs) -> Result<(), CliError> {
    let provider = args.provider.as_deref().map(parse_provider).transpose()?;
    let meta = metadata(&args.label, &args.metadata)?;
    let secret = input::key_from_stdin("Paste the key: ")?;
    let request =
        AddRequest { meta, provider, account: args.account, scopes: args.scopes, ..AddRequest::default() };
    let (id, detection) = store.add_key(request, &secret)?;
    if let Some(warning) = &detection.warning {
        note(warning);
    }
    let region = detection.region.map(|r| format!(", region {r}")).unwrap_or_default();
    let place = store.shared_place().map(|place| format!(" to {place}")).unwrap_or_default();
    out(&format!("Added {} key {id}{region}{place}.", detection.provider.name()))
}

pub(super) fn parse_provider(name: &str) -> Result<Provider, CliError> {
    Provider::from_name(name).ok_or_else(|| {
        CliError::Usage(format!(
            "\"{name}\" is not a provider Keydesk knows: use one of {}.",
            Provider::slugs()
        ))
    })
}

/// The key a command on one key names (its id, the start of its id, or its label).
pub(super) fn key_named(command: &Command) -> Option<&str> {
    match command {
        Command::Edit(args::EditArgs { key, .. })
        | Command::Copy(args::CopyArgs { key, .. })
        | Command::Reveal(args::KeyArg { key, .. })
        | Command::Revoke(args::RevokeArgs { key, .. })
        | Command::Verify(args::VerifyArgs { key: Some(key), .. })
        | Command::Usage(args::UsageArgs { key, .. }) => Some(key),
        _ => None,
    }
}

/// Runs a command on key `id`, the same on a local vault and a team vault. With `version`
/// (a team entry's, read before the password was asked), an edit is refused when another
/// member changed the key since. Answers a copy to hold on the clipboard once the vault is
/// let go.
pub(super) fn run_on_key(
    store: &mut (impl Store + ?Sized),
    id: &KeyId,
    version: Option<u64>,
    command: Command,
) -> Result<Option<Copied>, CliError> {
    match command {
        Command::Edit(args) => {
            let edit = key_edit(&store.key_record(id)?, args)?;
            changes::edit(store, id, version, &edit)?;
            out(&format!("Updated \"{}\".", store.key_record(id)?.label))?;
        }
        Command::Copy(args) => return Ok(Some(copy_key(store, id, args.clear_after)?)),
        Command::Reveal(_) => print_secret(&store.reveal(id)?)?,
        Command::Revoke(args) => remote::revoke_key(store, id, &args)?,
        Command::Verify(args) => remote::verify_key(store, id, args.json)?,
        Command::Usage(args) => remote::usage_of(store, id, &args)?,
        _ => {}
    }
    Ok(None)
}

/// The change `args` asks of `record` (integrations added, changed or removed by name).
pub(super) fn key_edit(record: &KeyRecord, args: args::EditArgs) -> Result<KeyEdit, CliError> {
    let integrations = if args.integrations.is_empty() && args.remove_integrations.is_empty() {
        None
    } else {
        let mut list = record.integrations.clone();
        for name in &args.remove_integrations {
            let before = list.len();
            list.retain(|i| !i.name.eq_ignore_ascii_case(name.trim()));
            if list.len() == before {
                return Err(CliError::Failed(format!(
                    "\"{}\" has no integration named \"{name}\": check the name with `keydesk show`.",
                    record.label
                )));
            }
        }
        for text in &args.integrations {
            let new = meta::parse_integration(text);
            match list.iter_mut().find(|i| i.name.eq_ignore_ascii_case(&new.name)) {
                Some(existing) => existing.url = new.url.or(existing.url.take()),
                None => list.push(new),
            }
        }
        Some(list)
    };
    let expires_at = args.expires.as_deref().map(meta::parse_date).transpose().map_err(usage)?;
    let rotate_after_days = args.rotate_days.as_deref().map(meta::parse_days).transpose().map_err(usage)?;
    Ok(KeyEdit {
        label: args.label,
        notes: args.note,
        integrations,
        expires_at,
        rotate_after_days,
        scopes: None,
    })
}

fn run_rotate(vault: &mut Vault, args: &args::RotateArgs) -> Result<(), CliError> {
    let id = super::lookup::resolve_quietly(vault.keys(), &args.key)?;
    if args.mark.is_some() || args.complete || args.abandon {
        let old = vault.rotation_of(&id).ok_or_else(|| {
            CliError::Failed(crate::vault::VaultError::NoRotation { label: args.key.clone() }.to_string())
        })?;
        return rotation_step(vault, &old, args);
    }
    let old = vault.key(&id)?.clone();
    let replacement = if old.provider == Provider::Keydesk {
        Replacement::Generate
    } else {
        Replacement::Pasted(input::key_from_stdin(&format!(
            "Make a new key at {}, then paste it: ",
            old.provider.name()
        ))?)
    };
    let generated = matches!(replacement, Replacement::Generate);
    let (id, secret) = vault.rotate(&old.id, replacement)?;
    note(&crate::vault::rotation_started(&old, &id));
    if generated { print_secret(&secret) } else { Ok(()) }
}

/// `--mark INTEGRATION STEP` as given.
pub(super) fn mark_of(mark: &[String]) -> Result<(&str, crate::vault::Moved), CliError> {
    let [integration, step] = mark else {
        return Err(CliError::Usage("--mark takes an integration and a step: --mark HubSpot updated".into()));
    };
    let step = match step.to_ascii_lowercase().as_str() {
        "updated" => crate::vault::Moved::Updated,
        "tested" => crate::vault::Moved::Tested,
        other => {
            return Err(CliError::Usage(format!(
                "\"{other}\" is not a step: say `updated` (its settings hold the new key) or `tested` (the new key works there)."
            )));
        }
    };
    Ok((integration, step))
}

/// `rotate KEY --mark | --complete | --abandon` on the rotation of `old`, in a local vault or
/// a team vault.
pub(super) fn rotation_step(
    store: &mut (impl Store + ?Sized),
    old: &KeyId,
    args: &args::RotateArgs,
) -> Result<(), CliError> {
    let record = store.key_record(old)?;
    let label = record.label.clone();
    if let Some(mark) = &args.mark {
        let (integration, step) = mark_of(mark)?;
        let (moved, total) = changes::mark_rotation(store, old, integration, step)?;
        return out(&format!("Marked. {moved} of {total} integrations of \"{label}\" moved."));
    }
    let revoke = |key: &KeyId, reason: String| args::RevokeArgs {
        key: key.to_string(),
        reason,
        revoked_at_provider: args.revoked_at_provider,
        local_only: args.local_only,
    };
    if args.complete {
        // Refused before anything is revoked while integrations are left and no reason given.
        crate::vault::check_complete(&record, args.reason.as_deref())?;
        if record.is_live() {
            // Its revoke closes the rotation.
            let new = record.replaced_by.as_ref().map(ToString::to_string).unwrap_or_default();
            let reason = crate::vault::rotated_reason(&new, args.reason.as_deref());
            remote::revoke_key(store, old, &revoke(old, reason))?;
        } else {
            // Revoked first (a leak): only the rotation is left to close.
            changes::close_rotation(store, old, args.reason.as_deref())?;
        }
        return out(&format!("Rotation of \"{label}\" complete: the old key is revoked."));
    }
    // --abandon (clap requires the reason; an empty one is refused before anything is revoked).
    let reason = args.reason.clone().unwrap_or_default();
    if reason.trim().is_empty() {
        return Err(crate::vault::VaultError::EmptyReason.into());
    }
    let Some(new) = record.replaced_by.clone() else {
        return Err(CliError::Failed(format!("\"{label}\" names no replacement to revoke.")));
    };
    remote::revoke_key(store, &new, &revoke(&new, format!("rotation abandoned: {reason}")))?;
    changes::abandon_rotation(store, old, &reason)?;
    out(&format!("Rotation of \"{label}\" abandoned: the new key is revoked, the old one is active again."))
}

/// A secret on the clipboard, to hold there until its time is up.
pub(super) struct Copied {
    clipboard: crate::clipboard::SystemClipboard,
    secret: SecretString,
    label: String,
    seconds: u64,
}

/// Puts key `id`'s secret on the clipboard for `clear_after` seconds (else the vault's
/// setting), in a local vault or a team vault. The copy is recorded once the clipboard took
/// it, and as failed when it did not; a copy the log could not record is taken back off.
pub(super) fn copy_key(
    store: &mut (impl Store + ?Sized),
    id: &KeyId,
    clear_after: Option<u64>,
) -> Result<Copied, CliError> {
    let label = store.key_record(id)?.label;
    let secret = store.secret_to_copy(id)?;
    let seconds = clear_after.unwrap_or(u64::from(store.clipboard_clear_secs()));
    let taken = crate::clipboard::SystemClipboard::open().and_then(|mut clipboard| {
        clipboard.set_secret(secret.expose_secret())?;
        Ok(clipboard)
    });
    let recorded = store.record_copy(id, taken.as_ref().map(|_| ()).map_err(ToString::to_string));
    let mut clipboard = taken?;
    if let Err(error) = recorded {
        let _already_replaced = clipboard.clear();
        return Err(error.into());
    }
    Ok(Copied { clipboard, secret, label, seconds })
}

/// Holds a copy on the clipboard, then clears it (unless something else was copied since).
pub(super) fn hold(copied: Copied) -> Result<(), CliError> {
    let Copied { mut clipboard, secret, label, seconds } = copied;
    note(&format!("Copied \"{label}\" to the clipboard; it clears in {seconds} s (keep this running)."));
    match crate::clipboard::hold_then_clear(&mut clipboard, secret.expose_secret(), seconds)? {
        crate::clipboard::Held::Cleared => out("Cleared the clipboard."),
        crate::clipboard::Held::Replaced => {
            out("Something else was copied meanwhile, so the clipboard was left alone.")
        }
    }
}

pub fn print_secret(secret: &SecretString) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", secret.expose_secret())
        .and_then(|()| stdout.flush())
        .map_err(|_stdout_closed| CliError::Failed("Could not write to stdout.".into()))
}

/// A line on stdout.
pub fn out(text: &str) -> Result<(), CliError> {
    // One write of the whole text and its newline: `writeln!` would hand a multi-line text to
    // the line buffer in two writes, and a reader that stops at its first match (`grep -q`)
    // could close the pipe between them.
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(format!("{text}\n").as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|_stdout_closed| CliError::Failed("Could not write to stdout.".into()))
}

/// A line for the person on stderr (never a secret).
pub fn note(text: &str) {
    let _stderr_closed = writeln!(std::io::stderr(), "{text}");
}

/// What `keydesk whois` found, for a local vault and a team vault alike (`all`: every key of
/// `vault`, which names its replacement): one line a key, its id, its label, then its state
/// and its last check.
pub(super) fn print_whois(found: &WhoisFound, all: &[KeyRecord], vault: &str) -> Result<(), CliError> {
    if found.cut_short {
        note(&format!(
            "Only the first {} KiB of the text, or its first {} strings, were looked at: paste less to look at the rest.",
            crate::vault::whois::MAX_INPUT / 1024,
            crate::vault::whois::MAX_CANDIDATES
        ));
    }
    if found.keys.is_empty() {
        out(&format!("No key in {vault} matches that string."))?;
        return Err(CliError::Quiet);
    }
    for record in &found.keys {
        let state = crate::vault::whois::state_words(record, all);
        out(&format!("{}\t{}\t{state}", record.id, record.label))?;
    }
    Ok(())
}
