//! `keydesk team setup`: what the team vault needs on its server, found and made with an
//! admin's token ([`crate::team::setup`]); the company's login (`--oidc-*`) and the company
//! directory (`--ldap-*`) read from the command line, their secrets from a file or the
//! environment, never from an argument.

use super::args;
use super::commands::{Context, out};
use super::{CliError, input};
use crate::actions::team::{is_team, read_config};
use crate::team::kv::{KvError, Location};
use crate::team::policy::Role;
use crate::team::setup::{Change, LdapConfig, LdapSetup, OidcSetup};

/// What to do when the server has no LDAP sign-in method to enable.
const NO_LDAP_PLUGIN: &str = "This OpenBao server has no LDAP sign-in method (from OpenBao 2.7 on it is an external plugin, openbao-plugins' auth LDAP plugin): ask the server's operator to register it in the plugin catalog as the auth plugin \"ldap\", then run `keydesk team setup` again.";

/// `keydesk team setup`: the server's missing pieces, each printed before it is made (only
/// printed with `--dry-run`).
pub fn setup(context: &Context, args: &args::SetupArgs) -> Result<(), CliError> {
    let config = if is_team(&context.dir) { Some(read_config(&context.dir)?) } else { None };
    let given = |arg: &Option<String>, from: Option<&String>, flag: &str| {
        arg.clone().or_else(|| from.cloned()).ok_or_else(|| {
            CliError::Usage(format!("This folder holds no team vault yet: give the server with --addr, the engine's mount with --mount and the vault's path with --path (missing: {flag})."))
        })
    };
    let addr = given(&args.addr, config.as_ref().map(|c| &c.addr), "--addr")?;
    let mount = given(&args.mount, config.as_ref().map(|c| &c.mount), "--mount")?;
    let path = given(&args.path, config.as_ref().map(|c| &c.path), "--path")?;
    let location = Location::new(&addr, &mount, &path)?;
    let member =
        config.as_ref().map_or_else(|| std::env::var("USER").unwrap_or_default(), |c| c.member.clone());
    let (kv, _source) = super::signin::connect(context, &location, config.as_ref(), &member)?;
    let mut changes = crate::team::setup::needed(&kv)?;
    if let Some(company) = oidc_setup(args)? {
        changes.extend(crate::team::setup::needed_oidc(&kv, &company)?);
    }
    if let Some(directory) = ldap_setup(args)? {
        changes.extend(crate::team::setup::needed_ldap(&kv, &directory)?);
    }
    if changes.is_empty() {
        return out("The server has everything this team vault needs: nothing to do.");
    }
    for change in &changes {
        if args.dry_run {
            out(&format!("Would: {change}"))?;
        } else {
            out(&change.to_string())?;
            crate::team::setup::apply(&kv, change).map_err(|error| match (change, &error) {
                (Change::LdapMethod, KvError::Server { message, .. })
                    if message.contains("plugin not found") =>
                {
                    CliError::Failed(NO_LDAP_PLUGIN.into())
                }
                _ => error.into(),
            })?;
        }
    }
    if args.dry_run {
        return out("Nothing was changed (--dry-run).");
    }
    out("Done.")
}

/// The company's login `team setup` is given, if any: its secret from the file or the
/// environment, its groups' mappings read.
fn oidc_setup(args: &args::SetupArgs) -> Result<Option<OidcSetup>, CliError> {
    let (Some(discovery_url), Some(client_id)) = (&args.oidc_discovery_url, &args.oidc_client_id) else {
        return Ok(None);
    };
    let client_secret = match &args.oidc_client_secret_file {
        Some(path) => input::first_line(path, "client secret file", "the OIDC client's secret")?,
        None => zeroize::Zeroizing::new(std::env::var("KEYDESK_OIDC_CLIENT_SECRET").unwrap_or_default()),
    };
    if client_secret.trim().is_empty() {
        return Err(CliError::Usage(
            "The company's login needs Keydesk's client secret: give --oidc-client-secret-file FILE or set KEYDESK_OIDC_CLIENT_SECRET.".into(),
        ));
    }
    let groups = mappings("--oidc-group", &args.oidc_groups)?;
    if !(discovery_url.starts_with("https://") || discovery_url.starts_with("http://")) {
        return Err(CliError::Usage(
            "--oidc-discovery-url takes the company login's address, starting with https://.".into(),
        ));
    }
    Ok(Some(OidcSetup {
        discovery_url: discovery_url.trim_end_matches('/').to_owned(),
        client_id: client_id.clone(),
        client_secret: secrecy::SecretString::from(client_secret.trim()),
        user_claim: args.oidc_user_claim.clone(),
        scopes: args.oidc_scopes.clone(),
        groups,
    }))
}

/// The company directory `team setup` is given, if any: the bind account's password from the
/// file or the environment, its groups' mappings read.
fn ldap_setup(args: &args::SetupArgs) -> Result<Option<LdapSetup>, CliError> {
    let (Some(url), Some(userdn), Some(groupdn)) = (&args.ldap_url, &args.ldap_userdn, &args.ldap_groupdn)
    else {
        return Ok(None);
    };
    if !(url.starts_with("ldap://") || url.starts_with("ldaps://")) {
        return Err(CliError::Usage(
            "--ldap-url takes the company directory's address, starting with ldaps:// (or ldap://).".into(),
        ));
    }
    let bind = match &args.ldap_binddn {
        None => None,
        Some(dn) => {
            let password = match &args.ldap_bindpass_file {
                Some(path) => input::first_line(path, "bind password file", "the bind account's password")?,
                None => zeroize::Zeroizing::new(std::env::var("KEYDESK_LDAP_BINDPASS").unwrap_or_default()),
            };
            if password.trim().is_empty() {
                return Err(CliError::Usage(
                    "--ldap-binddn needs that account's password: give --ldap-bindpass-file FILE or set KEYDESK_LDAP_BINDPASS.".into(),
                ));
            }
            Some((dn.clone(), secrecy::SecretString::from(password.trim())))
        }
    };
    let groups = mappings("--ldap-group", &args.ldap_groups)?;
    if let Some((_role, twice)) = groups
        .iter()
        .enumerate()
        .find_map(|(at, (role, group))| groups[..at].iter().find(|(_r, g)| g == group).map(|_| (role, group)))
    {
        return Err(CliError::Usage(format!(
            "--ldap-group maps the group \"{twice}\" twice: give each directory group one role."
        )));
    }
    let config = LdapConfig {
        url: url.trim_end_matches('/').to_owned(),
        userdn: userdn.clone(),
        userattr: args.ldap_userattr.clone(),
        groupdn: groupdn.clone(),
        bind,
    };
    Ok(Some(LdapSetup { config, groups }))
}

/// `ROLE=GROUP` mappings as `flag` gives them: the role and the group.
fn mappings(flag: &str, given: &[String]) -> Result<Vec<(Role, String)>, CliError> {
    let mut groups = Vec::new();
    for mapping in given {
        let parsed = mapping.split_once('=').and_then(|(role, group)| {
            let role = match role.trim() {
                "reader" => Role::Reader,
                "editor" => Role::Editor,
                "admin" => Role::Admin,
                _ => return None,
            };
            Some((role, group.trim().to_owned()))
        });
        match parsed {
            Some((role, group)) if crate::team::signin::check_name(&group).is_ok() => {
                groups.push((role, group));
            }
            _ => {
                return Err(CliError::Usage(format!(
                    "{flag} takes ROLE=GROUP, the role reader, editor or admin and the group in letters, digits, '.', '_', '-' and '@' (got \"{mapping}\")."
                )));
            }
        }
    }
    Ok(groups)
}
