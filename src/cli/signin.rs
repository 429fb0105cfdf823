//! How the command line signs in to a team vault's server: `--login userpass` (a name and
//! password on the server, which answers with a token), `--login ldap` (the same with the
//! company directory's account), `--login oidc` (the company's login in the browser,
//! [`crate::team::oidc`]), a token given (`--token-file`, `$BAO_TOKEN`,
//! `$VAULT_TOKEN`), or the token the OS keychain keeps from an earlier sign-in. A kept token
//! the server no longer accepts is forgotten, and a vault that signs in with a name and
//! password or the company's login signs in again by itself; nothing of either is written to
//! a file.

use std::io::IsTerminal;

use secrecy::SecretString;
use zeroize::Zeroizing;

use super::CliError;
use super::args::LoginMethod;
use super::commands::Context;
use super::input;
use crate::actions::team::{self as folder, forget_token, keep_token, kept_token, token_from_env};
use crate::team::kv::{Kv, KvError, Location};
use crate::team::oidc;
use crate::team::signin::{self, PasswordMethod, SignIn};
use crate::team::{TeamConfig, TeamError, TeamVault};
use crate::vault::model::SecretBackend;

/// Where the token a connection presents came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `--token-file` or the environment.
    Given,
    /// The OS keychain, from an earlier sign-in.
    Kept,
    /// A sign-in just now.
    SignedIn,
}

/// A connection to `location` for the team vault `config` names (`None` before the vault is
/// made or joined; `member` is then the name to sign in with when none is given).
pub fn connect(
    context: &Context,
    location: &Location,
    config: Option<&TeamConfig>,
    member: &str,
) -> Result<(Kv, Source), CliError> {
    if matches!(context.login, Some(LoginMethod::Userpass | LoginMethod::Oidc | LoginMethod::Ldap)) {
        return sign_in(context, location, config, member).map(|kv| (kv, Source::SignedIn));
    }
    if let Some(path) = context.token_file.as_deref() {
        let line = input::first_line(path, "token file", "the server token")?;
        return Ok((Kv::new(location.clone(), Zeroizing::new(line.trim().to_owned())), Source::Given));
    }
    if let Some(token) = token_from_env() {
        return Ok((Kv::new(location.clone(), token), Source::Given));
    }
    if let Some(config) = config {
        let keychain = crate::secrets::open(SecretBackend::Keychain, &context.dir);
        if let Some(token) = keychain.ok().and_then(|keychain| kept_token(keychain.as_ref(), config)) {
            return Ok((Kv::new(location.clone(), token), Source::Kept));
        }
        if !config.sign_in.is_token() && context.login != Some(LoginMethod::Token) {
            return sign_in(context, location, Some(config), member).map(|kv| (kv, Source::SignedIn));
        }
    }
    Err(CliError::Usage(
        "A team vault needs a server sign-in: sign in with --login userpass, --login ldap or --login oidc, give a token with --token-file FILE, or set BAO_TOKEN."
            .into(),
    ))
}

/// The team vault of the folder, connected (the outer error: no sign-in; the inner: the
/// server's answer). On a vault that signs in with a name and password, a token the server
/// stops accepting — the kept one at the start, or one that reaches its max TTL during a long
/// command — is replaced by a new sign-in and the refused request sent again, so the command
/// goes on; a kept token of a vault that signs in with a token is forgotten once refused.
pub fn open(
    context: &Context,
    location: &Location,
    config: &TeamConfig,
) -> Result<Result<TeamVault, TeamError>, CliError> {
    let (kv, source) = connect(context, location, Some(config), &config.member)?;
    let failed = std::sync::Arc::new(std::sync::Mutex::new(None));
    let kv = if config.sign_in.is_token() || context.login == Some(LoginMethod::Token) {
        kv
    } else {
        kv.signing_in_again(again(context.clone(), location.clone(), config.clone(), failed.clone()))
    };
    let opened = TeamVault::connect(kv, config.clone(), super::entropy_source());
    if let Some(error) = failed.lock().ok().and_then(|mut failed| failed.take()) {
        return Err(error);
    }
    if source == Source::Kept && matches!(opened, Err(TeamError::Server(KvError::TokenRejected))) {
        forget_token(crate::secrets::open(SecretBackend::Keychain, &context.dir), config);
    }
    Ok(opened)
}

/// Signs in again for [`Kv::signing_in_again`]; why it could not is left in `failed`.
fn again(
    context: Context,
    location: Location,
    config: TeamConfig,
    failed: std::sync::Arc<std::sync::Mutex<Option<CliError>>>,
) -> crate::team::kv::SignInAgain {
    Box::new(move || {
        eprintln!(
            "The team's server no longer accepts your sign-in (it expired or was revoked): signing in again."
        );
        match sign_in(&context, &location, Some(&config), &config.member) {
            Ok(kv) => Some(kv.token()),
            Err(error) => {
                if let Ok(mut failed) = failed.lock() {
                    *failed = Some(error);
                }
                None
            }
        }
    })
}

/// Keeps how this member signed in: a userpass, directory or company-login sign-in becomes
/// the folder's way (`team.ron`).
pub fn remember(context: &Context, vault: &mut TeamVault) -> Result<(), CliError> {
    let sign_in = match context.login {
        Some(LoginMethod::Userpass | LoginMethod::Ldap) => {
            let (method, mount) = password_method(context, Some(vault.config()));
            method.sign_in(mount, login_name(context, Some(vault.config()), &vault.config().member))
        }
        Some(LoginMethod::Oidc) => {
            let (mount, role) = oidc_role(context, Some(vault.config()));
            SignIn::Oidc { mount, role }
        }
        Some(LoginMethod::Token) | None => return Ok(()),
    };
    if vault.config().sign_in != sign_in {
        vault.set_sign_in(sign_in);
        folder::write_config(&context.dir, vault.config())?;
    }
    keep(context, vault.config(), &vault.token());
    Ok(())
}

/// Signs in with a name and password on the server's userpass or LDAP method, or with the
/// company's login (`--login oidc`, or the vault's way); the token it gives is kept in the OS
/// keychain when the vault is known (else by [`remember`], once it is).
fn sign_in(
    context: &Context,
    location: &Location,
    config: Option<&TeamConfig>,
    member: &str,
) -> Result<Kv, CliError> {
    let company = match context.login {
        Some(LoginMethod::Oidc) => true,
        Some(LoginMethod::Userpass | LoginMethod::Ldap) => false,
        _ => config.is_some_and(|config| config.sign_in.is_oidc()),
    };
    let kv = if company {
        company_login(context, location, config)?
    } else {
        let name = login_name(context, config, member);
        let (method, mount) = password_method(context, config);
        let password = server_password(context, method, &name)?;
        signin::with_password(location.clone(), (method, &mount), &name, &password)?
    };
    if let Some(config) = config {
        keep(context, config, &kv.token());
    }
    Ok(kv)
}

/// Keeps `token` in the OS keychain for the vault `config` names; a warning when it cannot.
fn keep(context: &Context, config: &TeamConfig, token: &Zeroizing<String>) {
    let keychain = crate::secrets::open(SecretBackend::Keychain, &context.dir);
    if let Some(warning) = keep_token(keychain, config, token, "the next command signs in again") {
        eprintln!("Warning: {warning}");
    }
}

/// Signs in with the company's login in the browser: the system's, or the program
/// `$KEYDESK_BROWSER` names (given the address as its one argument).
fn company_login(
    context: &Context,
    location: &Location,
    config: Option<&TeamConfig>,
) -> Result<Kv, CliError> {
    let (mount, role) = oidc_role(context, config);
    if signin::check_name(&role).is_err() {
        return Err(CliError::Usage(format!(
            "--login-role takes the name of the server's OIDC role (letters, digits, '.', '_', '-'), not \"{role}\"."
        )));
    }
    let mut shown = |url: &str, problem: Option<String>| {
        eprintln!(
            "Sign in with your company account in the browser (if none opens, open this address):\n  {url}"
        );
        if let Some(problem) = problem {
            eprintln!("Warning: {problem}: open the address above yourself.");
        }
    };
    // Ctrl+C ends the command; nothing else cancels a sign-in on the command line.
    let never = std::sync::atomic::AtomicBool::new(false);
    let browser = oidc::browser_from_env();
    oidc::sign_in_with_browser(
        location.clone(),
        (&mount, &role),
        browser.as_deref(),
        (&mut super::entropy(), &never),
        &mut shown,
    )
    .map_err(|error| CliError::Failed(error.to_string()))
}

/// The OIDC method's mount and role: `--login-role`, else the vault's, else `team setup`'s.
fn oidc_role(context: &Context, config: Option<&TeamConfig>) -> (String, String) {
    let (mount, role) = match config.map(|config| &config.sign_in) {
        Some(SignIn::Oidc { mount, role }) => (mount.clone(), role.clone()),
        _ => (oidc::MOUNT.to_owned(), oidc::ROLE.to_owned()),
    };
    (mount, context.login_role.clone().unwrap_or(role))
}

/// The name-and-password method and its mount: `--login userpass` or `--login ldap`, at the
/// vault's mount when the vault signs in so, else at the one `team setup` makes; without
/// `--login`, the vault's own.
fn password_method(context: &Context, config: Option<&TeamConfig>) -> (PasswordMethod, String) {
    let kept = config.and_then(|config| config.sign_in.password_login());
    let method = match (context.login, kept) {
        (Some(LoginMethod::Ldap), _) => PasswordMethod::Ldap,
        (Some(LoginMethod::Userpass), _) => PasswordMethod::Userpass,
        (_, Some((method, _mount, _name))) => method,
        _ => PasswordMethod::Userpass,
    };
    match kept {
        Some((kept, mount, _name)) if kept == method => (method, mount.to_owned()),
        _ => (method, method.default_mount().to_owned()),
    }
}

/// The name to sign in with: `--login-name`, else the one this vault signs in with, else the
/// member's.
fn login_name(context: &Context, config: Option<&TeamConfig>, member: &str) -> String {
    context
        .login_name
        .clone()
        .or_else(|| config.and_then(|config| config.sign_in.name().map(str::to_owned)))
        .unwrap_or_else(|| member.to_owned())
}

/// The server password (the directory's, for `method` LDAP): the first line of
/// `--login-password-file`, else asked (hidden).
fn server_password(context: &Context, method: PasswordMethod, name: &str) -> Result<SecretString, CliError> {
    let whose = match method {
        PasswordMethod::Userpass => "your password on the team's server",
        PasswordMethod::Ldap => "your company directory password",
    };
    if let Some(path) = context.login_password_file.as_deref() {
        let line = input::first_line(path, "login password file", whose)?;
        return Ok(SecretString::from(line.as_str()));
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "No terminal to ask for {whose}: give --login-password-file FILE."
        )));
    }
    let mut asked = whose.to_owned();
    asked[..1].make_ascii_uppercase();
    input::prompt_hidden(&format!("{asked} (as {name}): "))
}
