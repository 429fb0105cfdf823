//! Signing in to a team vault's server: a token the member is given, or a name and password
//! on the server's userpass method or its LDAP method (the company directory's account): both
//! take `auth/<mount>/login/<name>` and answer with a token, so one request serves both.
//! The token is kept in the OS keychain by the caller, never in a file; the password goes to
//! the server alone and is wiped after the request.
//!
//! An admin makes a member's sign-in ([`make_login`]): the userpass login with the policy of
//! their role, and the OpenBao identity named as the member, so that the policies'
//! `{{identity.entity.name}}` names them and no other member's entry.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use ureq::http::Method;
use zeroize::Zeroizing;

use super::kv::{Kv, KvError, Location, message};
use super::policy::Role;

/// How this member signs in to the team vault's server (kept in `team.ron`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignIn {
    /// A token given by the team's admin (`--token-file`, `$BAO_TOKEN`, or pasted).
    #[default]
    Token,
    /// A name and password on the userpass method mounted at `auth/<mount>`.
    Userpass { mount: String, name: String },
    /// The company's login (OpenID Connect) through the OIDC method mounted at
    /// `auth/<mount>`, with its `role` ([`super::oidc`]).
    Oidc { mount: String, role: String },
    /// A name and password of the company directory, through the LDAP method mounted at
    /// `auth/<mount>`.
    Ldap { mount: String, name: String },
}

/// The sign-in methods that take a name and password at `auth/<mount>/login/<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordMethod {
    /// The server's own names and passwords (its userpass method).
    Userpass,
    /// The company directory's accounts (the server's LDAP method).
    Ldap,
}

impl PasswordMethod {
    /// The mount `keydesk team setup` makes for this method.
    pub fn default_mount(self) -> &'static str {
        match self {
            PasswordMethod::Userpass => USERPASS,
            PasswordMethod::Ldap => LDAP,
        }
    }

    /// The sign-in this method gives, as `team.ron` keeps it.
    pub fn sign_in(self, mount: String, name: String) -> SignIn {
        match self {
            PasswordMethod::Userpass => SignIn::Userpass { mount, name },
            PasswordMethod::Ldap => SignIn::Ldap { mount, name },
        }
    }

    /// What the password is, as the window and the command line name it.
    pub fn password_label(self) -> &'static str {
        match self {
            PasswordMethod::Userpass => "Server password",
            PasswordMethod::Ldap => "Directory password",
        }
    }
}

impl SignIn {
    pub fn is_token(&self) -> bool {
        *self == SignIn::Token
    }

    /// The userpass method's mount this vault's members sign in at (the one `team setup`
    /// makes for a vault that signs in with a token or the company's login).
    pub fn mount(&self) -> &str {
        match self {
            SignIn::Token | SignIn::Oidc { .. } | SignIn::Ldap { .. } => USERPASS,
            SignIn::Userpass { mount, .. } => mount,
        }
    }

    /// The sign-in's name on the server, when it has one.
    pub fn name(&self) -> Option<&str> {
        self.password_login().map(|(_method, _mount, name)| name)
    }

    /// For a sign-in with a name and password: its method, mount and name.
    pub fn password_login(&self) -> Option<(PasswordMethod, &str, &str)> {
        match self {
            SignIn::Token | SignIn::Oidc { .. } => None,
            SignIn::Userpass { mount, name } => Some((PasswordMethod::Userpass, mount, name)),
            SignIn::Ldap { mount, name } => Some((PasswordMethod::Ldap, mount, name)),
        }
    }

    /// Whether this vault signs in with the company directory (the LDAP method).
    pub fn is_ldap(&self) -> bool {
        matches!(self, SignIn::Ldap { .. })
    }

    pub fn is_oidc(&self) -> bool {
        matches!(self, SignIn::Oidc { .. })
    }
}

/// The userpass method's mount `keydesk team setup` makes.
pub const USERPASS: &str = "userpass";
/// The LDAP method's mount `keydesk team setup --ldap-url` makes.
pub const LDAP: &str = "ldap";

/// A sign-in name Keydesk sends in a URL: letters, digits, '.', '_', '-' and '@', 1 to 64.
pub fn check_name(name: &str) -> Result<(), KvError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@');
    if (1..=64).contains(&name.len()) && name.chars().all(allowed) { Ok(()) } else { Err(KvError::BadName) }
}

/// Signs in with `name` and `password` on the `method` at `auth/<mount>` (userpass or LDAP,
/// which take the same request): a connection to `location` that presents the token the
/// server gave.
pub fn with_password(
    location: Location,
    (method, mount): (PasswordMethod, &str),
    name: &str,
    password: &SecretString,
) -> Result<Kv, KvError> {
    check_name(name)?;
    check_name(mount)?;
    let anonymous = Kv::new(location.clone(), Zeroizing::new(String::new()));
    // The body is written once into a buffer large enough for it, so no copy of the password
    // is left behind by a growing buffer; the request wipes its own copy.
    #[derive(Serialize)]
    struct Login<'a> {
        password: &'a str,
    }
    let body = written(&Login { password: password.expose_secret() })?;
    let response = anonymous.send_raw(&Method::POST, &format!("auth/{mount}/login/{name}"), Some(&body))?;
    match response.status {
        200..=299 => {}
        400 if refused(&message(&response)) => {
            return Err(match method {
                PasswordMethod::Userpass => KvError::SignInRefused,
                PasswordMethod::Ldap => KvError::DirectoryRefused,
            });
        }
        // The LDAP method answers 400 when the server cannot reach the directory.
        400 if method == PasswordMethod::Ldap && directory_away(&message(&response)) => {
            return Err(KvError::DirectoryAway);
        }
        // An unauthenticated request to a path that is no sign-in method is refused as such.
        403 | 404 => return Err(KvError::NoSignIn { mount: mount.to_owned() }),
        status => {
            return Err(KvError::Server {
                status,
                message: crate::vault::format::clip(&message(&response), 120),
            });
        }
    }
    #[derive(Deserialize)]
    struct Answer {
        auth: Auth,
    }
    #[derive(Deserialize)]
    struct Auth {
        client_token: String,
    }
    let answer: Answer =
        serde_json::from_str(&response.body).map_err(|_unread| KvError::Malformed { what: "no token" })?;
    let token = Zeroizing::new(answer.auth.client_token);
    if token.is_empty() {
        return Err(KvError::Malformed { what: "no token" });
    }
    Ok(Kv::new(location, token))
}

/// Whether the server's `message` refuses the name and password: the userpass method's
/// words, or the LDAP method's (a bind as the user refused, or no such user found).
fn refused(message: &str) -> bool {
    ["invalid username or password", "failed to bind as user", "user bind DN", "invalid credentials"]
        .iter()
        .any(|said| message.contains(said))
}

/// Whether the LDAP method's `message` says it could not reach the directory.
fn directory_away(message: &str) -> bool {
    ["failed to connect", "unable to dial", "connection refused", "LDAP Result Code 200"]
        .iter()
        .any(|said| message.contains(said))
}

/// `body` as JSON, written once into a buffer large enough for it (so no copy of a password
/// is left behind by a growing buffer) that is wiped when dropped; the request wipes its own.
pub(super) fn written(body: &impl Serialize) -> Result<Zeroizing<Vec<u8>>, KvError> {
    let mut counter = Counter(0);
    serde_json::to_writer(&mut counter, body).map_err(|_never| KvError::Malformed { what: "request" })?;
    let mut out = Zeroizing::new(Vec::with_capacity(counter.0));
    serde_json::to_writer(&mut *out, body).map_err(|_never| KvError::Malformed { what: "request" })?;
    Ok(out)
}

/// Counts the bytes written to it.
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A new server password for a member's sign-in: 125 random bits, as an invitation code
/// is written (five groups of five letters and digits).
pub fn new_password(rng: &mut dyn crate::vault::Entropy) -> SecretString {
    super::invitation_code(rng)
}

/// With an admin's token: stops `name` signing in: their userpass login at `auth/<mount>` is
/// deleted and their identity disabled (so the tokens they hold are refused too). `false`
/// when the server had neither.
pub fn remove_login(kv: &Kv, mount: &str, name: &str) -> Result<bool, KvError> {
    check_name(name)?;
    let user = format!("auth/{mount}/users/{name}");
    let had_login = kv.server_call(&Method::GET, &user, None)?.is_some();
    if had_login {
        kv.server_call(&Method::DELETE, &user, None)?;
    }
    let entity = format!("identity/entity/name/{name}");
    let had_identity = kv.server_call(&Method::GET, &entity, None)?.is_some();
    if had_identity {
        kv.server_call(&Method::POST, &entity, Some(&json!({ "disabled": true })))?;
    }
    Ok(had_login || had_identity)
}

/// What [`make_login`] did on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginMade {
    /// Whether the member's login was there already (its password and policy were replaced).
    pub replaced: bool,
}

/// With an admin's token: makes (or replaces) `name`'s login on the userpass method at
/// `auth/<mount>` with `password` and the policy of `role`, and the OpenBao identity named
/// `name` that the login signs in as.
pub fn make_login(
    kv: &Kv,
    mount: &str,
    name: &str,
    password: &SecretString,
    role: Role,
) -> Result<LoginMade, KvError> {
    check_name(name)?;
    let user = format!("auth/{mount}/users/{name}");
    let replaced = kv.server_call(&Method::GET, &user, None)?.is_some();
    #[derive(Serialize)]
    struct User<'a> {
        password: &'a str,
        token_policies: [&'a str; 1],
        token_ttl: &'a str,
        token_max_ttl: &'a str,
    }
    let login = written(&User {
        password: password.expose_secret(),
        token_policies: [role.policy_name()],
        // A token lives an hour and is renewed while Keydesk is in use, for up to a day.
        token_ttl: "1h",
        token_max_ttl: "24h",
    })?;
    kv.server_send(&Method::POST, &user, Some(&login))?;
    make_identity(kv, mount, name, name)?;
    Ok(LoginMade { replaced })
}

/// The accessor of the sign-in method at `auth/<mount>`, when the server has one.
pub fn method_accessor(kv: &Kv, mount: &str) -> Result<Option<String>, KvError> {
    let methods = kv.server_call(&Method::GET, "sys/auth", None)?.unwrap_or(Value::Null);
    let methods = methods.get("data").unwrap_or(&methods);
    Ok(methods.pointer(&format!("/{mount}~1/accessor")).and_then(Value::as_str).map(str::to_owned))
}

/// With an admin's token: the OpenBao identity named `name` (made, or found by its name),
/// with an alias `alias` on the sign-in method at `auth/<mount>`: whoever signs in there as
/// `alias` (a userpass name, or the company login's user claim) is `name` to the policies.
pub fn make_identity(kv: &Kv, mount: &str, name: &str, alias: &str) -> Result<(), KvError> {
    check_name(name)?;
    check_name(alias)?;
    let accessor =
        method_accessor(kv, mount)?.ok_or_else(|| KvError::NoSignIn { mount: mount.to_owned() })?;
    let entity = match kv.server_call(&Method::GET, &format!("identity/entity/name/{name}"), None)? {
        Some(found) => found,
        None => kv
            .server_call(&Method::POST, "identity/entity", Some(&json!({ "name": name })))?
            .ok_or(KvError::Malformed { what: "no identity" })?,
    };
    let entity_id = entity
        .pointer("/data/id")
        .and_then(Value::as_str)
        .ok_or(KvError::Malformed { what: "no identity" })?;
    let aliases = entity.pointer("/data/aliases").and_then(Value::as_array).cloned().unwrap_or_default();
    let has_alias =
        aliases.iter().any(|known| known["mount_accessor"] == accessor.as_str() && known["name"] == alias);
    if !has_alias {
        let alias = json!({ "name": alias, "canonical_id": entity_id, "mount_accessor": accessor });
        kv.server_call(&Method::POST, "identity/entity-alias", Some(&alias))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_names_are_what_a_url_path_holds_safely() {
        for good in ["ana", "ana.lee", "ana_lee-2", "ana@example.com"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "ana/../sys", "ana lee", "ana?x=1", "ana%2f", &"a".repeat(65), "анна"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_token_sign_in_is_the_default_and_is_not_written() {
        assert!(SignIn::default().is_token());
        assert_eq!(SignIn::Userpass { mount: USERPASS.into(), name: "ana".into() }.name(), Some("ana"));
    }
}
