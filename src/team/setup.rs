//! `keydesk team setup`: what a team vault needs on its server, made with an admin's token —
//! the KV version 2 engine at the vault's mount, the reader, editor and admin policies for
//! its path (as [`super::policy`] makes them), and the userpass sign-in method; with the
//! company's login ([`OidcSetup`]), the OIDC sign-in method, its configuration, the role
//! Keydesk signs in with, and the company's groups mapped to the policies; with the company
//! directory ([`LdapSetup`]), the LDAP sign-in method, its configuration, and the directory's
//! groups mapped to the policies. Each change is
//! found first and said before it is made; what is already there is left alone, so a second
//! run finds nothing to do.

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use ureq::http::Method;

use super::kv::{Kv, KvError};
use super::policy::{self, Role};
use super::{oidc, signin};

/// The userpass method's mount on the server.
pub const USERPASS: &str = "userpass";

/// One change the server needs.
#[derive(Debug, Clone)]
pub enum Change {
    /// Enable the KV version 2 secrets engine at this mount.
    Mount(String),
    /// Write this policy (missing, or not what this vault's path needs).
    Policy { role: Role, replaces: bool },
    /// Enable the userpass sign-in method at `auth/userpass`.
    Userpass,
    /// Enable the OIDC sign-in method at `auth/oidc`.
    OidcMethod,
    /// Write the OIDC method's configuration: the company login's discovery address, and
    /// Keydesk's client there (its secret is sent, never shown).
    OidcConfig { discovery_url: String, client_id: String, client_secret: SecretString, replaces: bool },
    /// Write the OIDC role Keydesk signs in with.
    OidcRole { user_claim: String, scopes: Vec<String>, replaces: bool },
    /// Map the company login's group `group` to the policy of `role` (an external group with
    /// that policy, and its alias on the OIDC method).
    OidcGroup { role: Role, group: String, replaces: bool },
    /// Enable the LDAP sign-in method at `auth/ldap`.
    LdapMethod,
    /// Write the LDAP method's configuration (the bind account's password is sent, never
    /// shown).
    LdapConfig { ldap: LdapConfig, replaces: bool },
    /// Map the directory's group `group` to the policy of `role` (`auth/ldap/groups/<group>`).
    LdapGroup { role: Role, group: String, replaces: bool },
}

/// The company directory `keydesk team setup --ldap-url` sets up.
pub struct LdapSetup {
    pub config: LdapConfig,
    /// The directory's groups and the role each gives.
    pub groups: Vec<(Role, String)>,
}

/// The LDAP method's configuration.
#[derive(Debug, Clone)]
pub struct LdapConfig {
    /// The directory's address (`ldap://` or `ldaps://`).
    pub url: String,
    /// Where its accounts are, and the attribute that holds an account's sign-in name.
    pub userdn: String,
    pub userattr: String,
    /// Where its groups are (a group's `cn` is its name; its `member` names the accounts).
    pub groupdn: String,
    /// The account the server looks people up as, and its password (never shown).
    pub bind: Option<(String, SecretString)>,
}

/// The company's login `keydesk team setup --oidc-discovery-url` sets up.
pub struct OidcSetup {
    /// The company login's (OpenID provider's) address, whose
    /// `.well-known/openid-configuration` the server reads.
    pub discovery_url: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// The ID token's claim that names the member (their identity's alias there).
    pub user_claim: String,
    /// The scopes asked for besides `openid`.
    pub scopes: Vec<String>,
    /// The company login's groups (its `groups` claim) and the role each gives.
    pub groups: Vec<(Role, String)>,
}

/// The claim that holds the company login's groups.
pub const GROUPS_CLAIM: &str = "groups";

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Mount(mount) => write!(f, "Enable the KV version 2 secrets engine at \"{mount}\"."),
            Change::Policy { role, replaces: false } => {
                write!(f, "Write the policy {} for this team vault's path.", role.policy_name())
            }
            Change::Policy { role, replaces: true } => write!(
                f,
                "Replace the policy {} with the one this team vault's path needs.",
                role.policy_name()
            ),
            Change::Userpass => write!(f, "Enable the userpass sign-in method at auth/{USERPASS}."),
            Change::OidcMethod => write!(f, "Enable the OIDC sign-in method at auth/{}.", oidc::MOUNT),
            Change::OidcConfig { discovery_url, client_id, replaces, .. } => write!(
                f,
                "{} the OIDC sign-in's configuration: the company login at {discovery_url}, client {client_id} (its secret is sent, not shown), role \"{}\" by default.",
                if *replaces { "Replace" } else { "Write" },
                oidc::ROLE
            ),
            Change::OidcRole { user_claim, scopes, replaces } => write!(
                f,
                "{} the OIDC role \"{}\": members named by the claim \"{user_claim}\", groups from \"{GROUPS_CLAIM}\", scopes openid {}, the browser's return to {} on any port.",
                if *replaces { "Replace" } else { "Write" },
                oidc::ROLE,
                scopes.join(" "),
                oidc::REDIRECT_URI
            ),
            Change::LdapMethod => write!(f, "Enable the LDAP sign-in method at auth/{}.", signin::LDAP),
            Change::LdapConfig { ldap, replaces } => write!(
                f,
                "{} the LDAP sign-in's configuration: the directory at {}, accounts under {} named by {}, groups under {}{}.",
                if *replaces { "Replace" } else { "Write" },
                ldap.url,
                ldap.userdn,
                ldap.userattr,
                ldap.groupdn,
                ldap.bind.as_ref().map_or_else(
                    || ", each member looked up as themselves".to_owned(),
                    |(dn, _password)| format!(", looked up as {dn} (its password is sent, not shown)")
                )
            ),
            Change::LdapGroup { role, group, replaces } => write!(
                f,
                "{} the directory group \"{group}\" to the policy {} (auth/{}/groups/{group}).",
                if *replaces { "Map again" } else { "Map" },
                role.policy_name(),
                signin::LDAP
            ),
            Change::OidcGroup { role, group, replaces } => write!(
                f,
                "{} the company group \"{group}\" to the policy {} (the external group {}).",
                if *replaces { "Map again" } else { "Map" },
                role.policy_name(),
                group_name(*role, group)
            ),
        }
    }
}

/// The changes the server needs, in the order they are made; empty when it has everything.
pub fn needed(kv: &Kv) -> Result<Vec<Change>, KvError> {
    let mut changes = Vec::new();
    let mount = kv.location().mount.clone();
    let mounts = kv.server_call(&Method::GET, "sys/mounts", None)?.unwrap_or(Value::Null);
    let mounts = mounts.get("data").unwrap_or(&mounts);
    match mounts.get(format!("{mount}/")) {
        None => changes.push(Change::Mount(mount)),
        Some(engine) => {
            let kv2 = engine["type"] == "kv"
                && engine.pointer("/options/version").and_then(Value::as_str) == Some("2");
            if !kv2 {
                return Err(KvError::NotKv2 { mount });
            }
        }
    }
    for role in Role::ALL {
        let wanted = policy::policy(role, kv.location());
        let api = format!("sys/policies/acl/{}", role.policy_name());
        let there = kv.server_call(&Method::GET, &api, None)?;
        let text = there.as_ref().and_then(|body| body.pointer("/data/policy")).and_then(Value::as_str);
        match text {
            Some(text) if text == wanted => {}
            Some(_) => changes.push(Change::Policy { role, replaces: true }),
            None => changes.push(Change::Policy { role, replaces: false }),
        }
    }
    let methods = kv.server_call(&Method::GET, "sys/auth", None)?.unwrap_or(Value::Null);
    let methods = methods.get("data").unwrap_or(&methods);
    if methods.get(format!("{USERPASS}/")).is_none() {
        changes.push(Change::Userpass);
    }
    Ok(changes)
}

/// The changes the server needs for the company's login `oidc`, in the order they are made;
/// empty when it has everything.
pub fn needed_oidc(kv: &Kv, oidc: &OidcSetup) -> Result<Vec<Change>, KvError> {
    for (_role, group) in &oidc.groups {
        signin::check_name(group)?;
    }
    let mut changes = Vec::new();
    let accessor = signin::method_accessor(kv, oidc::MOUNT)?;
    if accessor.is_none() {
        changes.push(Change::OidcMethod);
    }
    let read = |api: &str| -> Result<Option<Value>, KvError> {
        if accessor.is_none() {
            return Ok(None);
        }
        Ok(kv.server_call(&Method::GET, api, None)?.and_then(|body| body.get("data").cloned()))
    };
    let config = read(&format!("auth/{}/config", oidc::MOUNT))?;
    let config_there = config.as_ref().is_some_and(|config| {
        config["oidc_discovery_url"] == oidc.discovery_url.as_str()
            && config["oidc_client_id"] == oidc.client_id.as_str()
            && config["default_role"] == oidc::ROLE
    });
    if !config_there {
        changes.push(Change::OidcConfig {
            discovery_url: oidc.discovery_url.clone(),
            client_id: oidc.client_id.clone(),
            client_secret: oidc.client_secret.clone(),
            replaces: config.is_some_and(|config| config["oidc_discovery_url"] != ""),
        });
    }
    let role = read(&format!("auth/{}/role/{}", oidc::MOUNT, oidc::ROLE))?;
    let wanted = role_body(&oidc.user_claim, &oidc.scopes);
    let role_there = role.as_ref().is_some_and(|role| {
        ["role_type", "user_claim", "groups_claim", "allowed_redirect_uris", "oidc_scopes"]
            .iter()
            .all(|field| role[field] == wanted[field])
            && role["token_ttl"] == 3600
            && role["token_max_ttl"] == 86400
    });
    if !role_there {
        changes.push(Change::OidcRole {
            user_claim: oidc.user_claim.clone(),
            scopes: oidc.scopes.clone(),
            replaces: role.is_some(),
        });
    }
    for (role, group) in &oidc.groups {
        let there = read(&format!("identity/group/name/{}", group_name(*role, group)))?;
        let mapped = there.as_ref().is_some_and(|found| {
            found["type"] == "external"
                && found["policies"] == json!([role.policy_name()])
                && found.pointer("/alias/name") == Some(&json!(group))
                && found.pointer("/alias/mount_accessor")
                    == accessor.as_ref().map(|accessor| json!(accessor)).as_ref()
        });
        if !mapped {
            changes.push(Change::OidcGroup { role: *role, group: group.clone(), replaces: there.is_some() });
        }
    }
    Ok(changes)
}

/// The changes the server needs for the company directory `ldap`, in the order they are made;
/// empty when it has everything. The bind account's password cannot be read back: it is sent
/// when the configuration is written.
pub fn needed_ldap(kv: &Kv, ldap: &LdapSetup) -> Result<Vec<Change>, KvError> {
    for (_role, group) in &ldap.groups {
        signin::check_name(group)?;
    }
    let mut changes = Vec::new();
    let there = signin::method_accessor(kv, signin::LDAP)?.is_some();
    if !there {
        changes.push(Change::LdapMethod);
    }
    let read = |api: &str| -> Result<Option<Value>, KvError> {
        if !there {
            return Ok(None);
        }
        Ok(kv.server_call(&Method::GET, api, None)?.and_then(|body| body.get("data").cloned()))
    };
    let config = read(&format!("auth/{}/config", signin::LDAP))?;
    let wanted = ldap_body(&ldap.config);
    let config_there = config.as_ref().is_some_and(|config| {
        ["url", "userdn", "userattr", "groupdn", "groupattr", "binddn"]
            .iter()
            .all(|field| config[field] == wanted[field])
            && config["token_ttl"] == 3600
            && config["token_max_ttl"] == 86400
    });
    if !config_there {
        let replaces = config.is_some_and(|config| config["url"] != "" && !config["url"].is_null());
        changes.push(Change::LdapConfig { ldap: ldap.config.clone(), replaces });
    }
    for (role, group) in &ldap.groups {
        let found = read(&format!("auth/{}/groups/{group}", signin::LDAP))?;
        let mapped = found.as_ref().is_some_and(|found| found["policies"] == json!([role.policy_name()]));
        if !mapped {
            changes.push(Change::LdapGroup { role: *role, group: group.clone(), replaces: found.is_some() });
        }
    }
    Ok(changes)
}

/// The LDAP method's settings but the bind password: a token lives an hour and is renewed
/// while Keydesk is in use, for up to a day (as a userpass sign-in's).
fn ldap_body(ldap: &LdapConfig) -> Value {
    json!({
        "url": ldap.url,
        "userdn": ldap.userdn,
        "userattr": ldap.userattr,
        "groupdn": ldap.groupdn,
        "groupattr": "cn",
        "binddn": ldap.bind.as_ref().map_or("", |(dn, _password)| dn.as_str()),
        "token_ttl": "1h",
        "token_max_ttl": "24h",
    })
}

/// Writes the LDAP method's configuration: the settings, and the bind password in a body
/// written once and wiped, as a password's is.
fn write_ldap_config(kv: &Kv, ldap: &LdapConfig) -> Result<(), KvError> {
    let body = ldap_body(ldap);
    let api = format!("auth/{}/config", signin::LDAP);
    let Some((_dn, password)) = &ldap.bind else {
        return kv.server_call(&Method::POST, &api, Some(&body)).map(|_answer| ());
    };
    #[derive(serde::Serialize)]
    struct WithPassword<'a> {
        #[serde(flatten)]
        settings: &'a Value,
        bindpass: &'a str,
    }
    let written = signin::written(&WithPassword { settings: &body, bindpass: password.expose_secret() })?;
    kv.server_send(&Method::POST, &api, Some(&written)).map(|_answer| ())
}

/// The OIDC role's settings: a token lives an hour and is renewed while Keydesk is in use, for
/// up to a day (as a userpass sign-in's); its policies come from the member's groups.
fn role_body(user_claim: &str, scopes: &[String]) -> Value {
    json!({
        "role_type": "oidc",
        "user_claim": user_claim,
        "groups_claim": GROUPS_CLAIM,
        "allowed_redirect_uris": [oidc::REDIRECT_URI],
        "oidc_scopes": scopes,
        "token_ttl": "1h",
        "token_max_ttl": "24h",
    })
}

/// The external group that gives `role`'s policy to the members of the company's `group`.
pub fn group_name(role: Role, group: &str) -> String {
    format!("{}-{group}", role.policy_name())
}

/// Makes the external group for `group` with `role`'s policy, and its alias on the OIDC
/// method (made, or moved to this method and name).
fn map_group(kv: &Kv, role: Role, group: &str) -> Result<(), KvError> {
    let accessor = signin::method_accessor(kv, oidc::MOUNT)?
        .ok_or_else(|| KvError::NoSignIn { mount: oidc::MOUNT.to_owned() })?;
    let api = format!("identity/group/name/{}", group_name(role, group));
    kv.server_call(
        &Method::POST,
        &api,
        Some(&json!({ "type": "external", "policies": [role.policy_name()] })),
    )?;
    let found = kv.server_call(&Method::GET, &api, None)?.ok_or(KvError::Malformed { what: "no group" })?;
    let id =
        found.pointer("/data/id").and_then(Value::as_str).ok_or(KvError::Malformed { what: "no group" })?;
    let alias = json!({ "name": group, "mount_accessor": accessor, "canonical_id": id });
    match found.pointer("/data/alias/id").and_then(Value::as_str).filter(|alias_id| !alias_id.is_empty()) {
        Some(alias_id) => {
            kv.server_call(&Method::POST, &format!("identity/group-alias/id/{alias_id}"), Some(&alias))?
        }
        None => kv.server_call(&Method::POST, "identity/group-alias", Some(&alias))?,
    };
    Ok(())
}

/// Makes `change` on the server.
pub fn apply(kv: &Kv, change: &Change) -> Result<(), KvError> {
    let (api, body) = match change {
        Change::Mount(mount) => {
            (format!("sys/mounts/{mount}"), json!({ "type": "kv", "options": { "version": "2" } }))
        }
        Change::Policy { role, .. } => (
            format!("sys/policies/acl/{}", role.policy_name()),
            json!({ "policy": policy::policy(*role, kv.location()) }),
        ),
        Change::Userpass => (format!("sys/auth/{USERPASS}"), json!({ "type": "userpass" })),
        Change::OidcMethod => (format!("sys/auth/{}", oidc::MOUNT), json!({ "type": "oidc" })),
        Change::OidcConfig { discovery_url, client_id, client_secret, .. } => {
            // The secret's body is written once and wiped, as a password's is.
            #[derive(serde::Serialize)]
            struct Config<'a> {
                oidc_discovery_url: &'a str,
                oidc_client_id: &'a str,
                oidc_client_secret: &'a str,
                default_role: &'a str,
            }
            let body = signin::written(&Config {
                oidc_discovery_url: discovery_url,
                oidc_client_id: client_id,
                oidc_client_secret: client_secret.expose_secret(),
                default_role: oidc::ROLE,
            })?;
            let api = format!("auth/{}/config", oidc::MOUNT);
            return kv.server_send(&Method::POST, &api, Some(&body)).map(|_answer| ());
        }
        Change::OidcRole { user_claim, scopes, .. } => {
            (format!("auth/{}/role/{}", oidc::MOUNT, oidc::ROLE), role_body(user_claim, scopes))
        }
        Change::OidcGroup { role, group, .. } => return map_group(kv, *role, group),
        Change::LdapMethod => (format!("sys/auth/{}", signin::LDAP), json!({ "type": "ldap" })),
        Change::LdapConfig { ldap, .. } => return write_ldap_config(kv, ldap),
        Change::LdapGroup { role, group, .. } => {
            (format!("auth/{}/groups/{group}", signin::LDAP), json!({ "policies": [role.policy_name()] }))
        }
    };
    kv.server_call(&Method::POST, &api, Some(&body)).map(|_answer| ())
}
