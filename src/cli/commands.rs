//! One function per command. Each opens the vault as it needs (read-only or locked for
//! writing), calls the vault, and prints.

use std::io::Write;
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};

use super::args::{self, Command, KdfArgs, MetadataArgs, StoreChoice};
use super::home::{Home, Part};
use super::{CliError, input, remote, render};
use crate::actions::{Store, changes};
use crate::clipboard::Clipboard;
use crate::providers::Provider;
use crate::secrets;
use crate::storage::VaultDir;
use crate::vault::crypto::KdfParams;
use crate::vault::keygen::KeySpec;
use crate::vault::meta::{self, KeyMeta};
use crate::vault::model::{KeyId, KeyRecord, SecretBackend};
use crate::vault::{
    AddRequest, CreateOptions, Env, GenerateRequest, KeyEdit, SystemClock, Vault, WhoisFound,
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

/// Runs `command` on the folder's vault, local or team: the one dispatch of the commands on a
/// vault.
pub fn run(context: &Context, command: Command) -> Result<(), CliError> {
    let command = match elsewhere(context, command) {
        std::ops::ControlFlow::Break(answered) => return answered,
        std::ops::ControlFlow::Continue(command) => command,
    };
    let mut home = super::home::open(context)?;
    let result = dispatch(context, home.as_mut(), command);
    home.finish();
    match result {
        Ok(Some(copied)) => {
            // The vault (and its lock) is let go while the clipboard is served.
            drop(home);
            hold(copied)
        }
        other => other.map(|_nothing_to_hold| ()),
    }
}

/// The commands answered without a vault: `init`, `team setup` and `team policy` (made from
/// `team.ron` alone). `Continue` gives the command back to run on the folder's vault.
fn elsewhere(context: &Context, command: Command) -> std::ops::ControlFlow<Result<(), CliError>, Command> {
    use std::ops::ControlFlow::{Break, Continue};
    match command {
        Command::Init(init) if init.team => Break(
            kdf_params(&init.kdf, KdfParams::default())
                .and_then(|kdf| super::team::init(context, &init, kdf)),
        ),
        Command::Init(init) => Break(run_init(context, &init)),
        Command::Team(args::TeamCommand::Setup(setup)) => Break(super::setup::setup(context, &setup)),
        Command::Team(args::TeamCommand::Policy(policy)) => Break(super::team::policy(context, &policy)),
        command => Continue(command),
    }
}

/// A command on the opened vault; a copy gives back what the clipboard must hold.
fn dispatch(context: &Context, home: &mut dyn Home, command: Command) -> Result<Option<Copied>, CliError> {
    let done = match command {
        Command::List(list) => {
            let view = home.view(Part::Keys)?;
            render::list(&view.keys, view.now, &list)
        }
        Command::Show(show) => {
            let view = home.view(Part::History)?;
            render::show(&view.keys, view.log(), view.now, &show.key, show.json)
        }
        Command::Due(due) => {
            let view = home.view(Part::Incidents)?;
            super::due::due_and_notify((&view.keys, &view.incidents), view.now, &due)
        }
        Command::Health(health) => {
            let view = home.view(Part::Health)?;
            let history = crate::vault::health::history::history(&view.records);
            let parts = (&view.keys[..], &view.incidents[..], &view.accounts[..]);
            super::health::health(parts, view.now, &history, &health)
        }
        Command::Info(info) => home.info(&info),
        Command::Audit(audit) if audit.verify => {
            let entries = home.verify_audit()?;
            out(&format!("Audit chain verified: {entries} entries, all linked."))
        }
        Command::Audit(audit) => {
            let view = home.view(Part::Audit)?;
            render::audit(view.log(), audit.json)?;
            view.newer.iter().try_for_each(|line| out(line))
        }
        Command::Account(args::AccountCommand::List(list)) => {
            remote::list_accounts(&home.view(Part::Accounts)?.accounts, list.json)
        }
        Command::Incident(
            read @ (args::IncidentCommand::List(_)
            | args::IncidentCommand::Show(_)
            | args::IncidentCommand::Export(_)),
        ) => {
            let (keys, incidents) = home.incidents(&read)?;
            super::incident::read(&keys, &incidents, read)
        }
        Command::Incident(change) => {
            home.check_change()?;
            let keys = home.listed()?;
            super::incident::write(home.unlocked()?.store(), &keys, change)
        }
        Command::Rotate(rotate) if rotate.status => {
            render::rotation(&home.view(Part::Rotation)?.keys, &rotate.key, rotate.json)
        }
        Command::Rotate(rotate) => run_rotate(home, &rotate),
        Command::Check(check) => home.check(&check),
        Command::Generate(generate) => {
            home.check_change()?;
            run_generate(home.unlocked()?.store(), generate)
        }
        Command::Add(add) => {
            home.check_change()?;
            run_add(home.unlocked()?.store(), add)
        }
        Command::Verify(args) if args.all => {
            let keys = home.listed()?;
            super::check_all::verify_all(home.unlocked()?.store(), &keys, &args)
        }
        command @ (Command::Edit(_)
        | Command::Copy(_)
        | Command::Reveal(_)
        | Command::Revoke(_)
        | Command::Verify(_)
        | Command::Usage(_)) => {
            let (id, version) = home.key_named(key_named(&command).unwrap_or_default())?;
            if matches!(command, Command::Edit(_) | Command::Revoke(_)) {
                home.check_change()?;
            }
            return run_on_key(home.unlocked()?.store(), &id, version, command);
        }
        Command::Account(args::AccountCommand::Remove(remove)) => {
            let (account, place) = home.remove_account(&remove.account)?;
            let place = place.map(|place| format!(" from {place}")).unwrap_or_default();
            out(&format!("Removed the account \"{}\"{place}.", account.name))
        }
        Command::Account(account) => {
            if matches!(account, args::AccountCommand::Add(_)) {
                home.check_change()?;
            }
            remote::account(home.unlocked()?.store(), account)
        }
        Command::Member(member) => {
            if !home.capabilities()?.members {
                return Err(CliError::Failed(super::home::NO_MEMBERS.into()));
            }
            home.member(member)
        }
        Command::Whois => {
            let (found, all, vault) = home.whois()?;
            print_whois(&found, &all, vault)
        }
        Command::Backup(args) => {
            backed_up_to_file(home)?;
            home.backup(&args)
        }
        Command::Restore(restore) => {
            backed_up_to_file(home)?;
            super::backup::restore(context, &restore)
        }
        Command::Import(args) => {
            home.check_change()?;
            home.import(&args)
        }
        Command::Export(args) => home.export(&args),
        Command::Passwd(passwd) => home.passwd(&passwd),
        Command::Browser(args::BrowserCommand::Guard(guard)) => {
            super::browser::guard(home.unlocked()?.store(), guard.switch)
        }
        // Answered before the vault is opened, or without it.
        Command::Init(_) | Command::BrowserHost(_) | Command::Browser(_) | Command::Team(_) => Ok(()),
    };
    done.map(|()| None)
}

/// Refuses `backup` and `restore` on a vault backed up otherwise (a team vault, by its
/// server's snapshot).
fn backed_up_to_file(home: &dyn Home) -> Result<(), CliError> {
    match home.capabilities()?.backup {
        crate::actions::Backup::File => Ok(()),
        crate::actions::Backup::ServerSnapshot => {
            Err(CliError::Failed(crate::actions::Backup::SNAPSHOT_SENTENCE.into()))
        }
    }
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
    let env =
        Env { store, storage: Box::new(dir), clock: Box::new(SystemClock), rng: Box::new(super::entropy()) };
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

/// `keydesk rotate KEY` (start, `--mark`, `--complete`, `--abandon`), in a local vault or a
/// team vault: the keys read (a team vault's before the password is asked), then the step.
fn run_rotate(home: &mut dyn Home, args: &args::RotateArgs) -> Result<(), CliError> {
    let keys = home.listed()?;
    let id = super::lookup::resolve_quietly(&keys, &args.key)?;
    home.check_change()?;
    if args.mark.is_none() && !args.complete && !args.abandon {
        return home.start_rotation(&id);
    }
    let old = crate::vault::rotation_in(&keys, &id)
        .map(|(old, _)| old.id.clone())
        .ok_or_else(|| crate::vault::VaultError::NoRotation { label: args.key.clone() })?;
    rotation_step(home.unlocked()?.store(), &old, args)
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
        let state = crate::vault::whois::state_words(record, |id| all.iter().find(|k| k.id == *id));
        out(&format!("{}\t{}\t{state}", record.id, record.label))?;
    }
    Ok(())
}
