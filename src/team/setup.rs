//! `keydesk team setup`: what a team vault needs on its server, made with an admin's token —
//! the KV version 2 engine at the vault's mount, the reader, editor and admin policies for
//! its path (as [`super::policy`] makes them), and the userpass sign-in method. Each change
//! is found first and said before it is made; what is already there is left alone, so a
//! second run finds nothing to do.

use serde_json::{Value, json};
use ureq::http::Method;

use super::kv::{Kv, KvError};
use super::policy::{self, Role};

/// The userpass method's mount on the server.
pub const USERPASS: &str = "userpass";

/// One change the server needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Enable the KV version 2 secrets engine at this mount.
    Mount(String),
    /// Write this policy (missing, or not what this vault's path needs).
    Policy { role: Role, replaces: bool },
    /// Enable the userpass sign-in method at `auth/userpass`.
    Userpass,
}

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
    };
    kv.server_call(&Method::POST, &api, Some(&body)).map(|_answer| ())
}
