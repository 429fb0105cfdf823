//! OpenBao's KV version 2 HTTP API (HashiCorp Vault's, the same), as a team vault uses it:
//! read a path with its version, write it only at the version read (check-and-set), list a
//! folder, and ask what the token may do.
//!
//! Requests go through Keydesk's one HTTP client (rustls, timeouts, bodies capped). A standby
//! node of a Raft cluster may answer `307` with the active node's address: the request is sent
//! there again, to any node of the cluster (another host than the one configured) but only
//! over HTTPS or to a loopback address, as every address Keydesk calls.
//!
//! The token travels in `X-Vault-Token`; it is never in an error, and neither are the bodies.

use serde_json::{Value, json};
use ureq::http::Method;
use zeroize::Zeroizing;

use crate::providers::http::{Client, HttpConfig, NetError, Request, Response};

/// Where a team vault lives on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The server's address, as `https://bao.example.com:8200` (plain HTTP on loopback only).
    pub addr: String,
    /// The KV version 2 secrets engine's mount, as `secret`.
    pub mount: String,
    /// The team vault's folder in that engine, as `marketing/keydesk`.
    pub path: String,
}

impl Location {
    /// A location with the address's trailing `/` and the mount's and path's outer `/` gone;
    /// `Err` with a sentence when a part is unusable.
    pub fn new(addr: &str, mount: &str, path: &str) -> Result<Location, KvError> {
        let addr = addr.trim().trim_end_matches('/').to_owned();
        crate::providers::http::check_base_url(&addr).map_err(KvError::Unreachable)?;
        let mount = mount.trim().trim_matches('/').to_owned();
        let path = path.trim().trim_matches('/').to_owned();
        for (part, what) in [(&mount, "mount"), (&path, "path")] {
            let usable = !part.is_empty()
                && part.split('/').all(|segment| {
                    !segment.is_empty()
                        && segment != "."
                        && segment != ".."
                        && segment.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                });
            if !usable {
                return Err(KvError::BadLocation { what });
            }
        }
        Ok(Location { addr, mount, path })
    }

    fn url(&self, api: &str, under: &str) -> String {
        let under = if under.is_empty() { String::new() } else { format!("/{under}") };
        format!("{}/v1/{}/{api}/{}{under}", self.addr, self.mount, self.path)
    }
}

/// What went wrong with a request. No token, no body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    #[error("{0}")]
    Unreachable(NetError),
    #[error(
        "The team vault's {what} may hold only letters, digits, '-', '_' and '.', in parts split by '/'."
    )]
    BadLocation { what: &'static str },
    /// The token is unknown, expired or revoked.
    #[error(
        "The server no longer accepts this token (it expired or was revoked): ask your team's admin for a new one and give it with --token-file, BAO_TOKEN or VAULT_TOKEN."
    )]
    TokenRejected,
    /// The token is good but its policies do not allow this.
    #[error(
        "This token may not {doing} in the team vault: ask your team's admin for a token with the {policy} policy."
    )]
    Denied { doing: &'static str, policy: &'static str },
    /// Check-and-set lost: someone wrote the path after it was read.
    #[error("Someone changed this entry after it was read.")]
    Conflict,
    #[error("The server is sealed: ask your team's admin to unseal it, then try again.")]
    Sealed,
    #[error("The server answered {status} ({message}): try again, or tell your team's admin if it lasts.")]
    Server { status: u16, message: String },
    #[error("The server's answer could not be read ({what}): tell your team's admin.")]
    Malformed { what: &'static str },
}

/// A value as it was read, with the version a write must name to replace it.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned {
    pub data: Value,
    pub version: u64,
}

/// A connection to one team vault, with its token.
pub struct Kv {
    client: Client,
    location: Location,
    token: Zeroizing<String>,
}

impl Kv {
    /// A client for `location` that presents `token`. Nothing is sent yet.
    pub fn new(location: Location, token: Zeroizing<String>) -> Self {
        Kv { client: Client::new(HttpConfig::default()), location, token }
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The value at `under` (relative to the vault's path) and its version; `None` when
    /// nothing is there, or its newest version was deleted.
    pub fn read(&self, under: &str) -> Result<Option<Versioned>, KvError> {
        let response = self.send(Method::GET, self.location.url("data", under), None, Doing::Read)?;
        if response.status == 404 {
            return Ok(None);
        }
        let body = answer(&response)?;
        let data = body.pointer("/data/data").cloned().ok_or(KvError::Malformed { what: "no data" })?;
        if data.is_null() {
            return Ok(None);
        }
        let version = body
            .pointer("/data/metadata/version")
            .and_then(Value::as_u64)
            .ok_or(KvError::Malformed { what: "no version" })?;
        Ok(Some(Versioned { data, version }))
    }

    /// Writes `data` at `under` if its current version is still `version` (0: only if nothing
    /// is there yet); answers the new version. [`KvError::Conflict`] when another write came
    /// first: nothing was written. `admin` says whose business the path is (members and the
    /// team's own entry are the admin's; keys the editor's), for the sentence of a refusal.
    pub fn write(&self, under: &str, data: &Value, version: u64, admin: bool) -> Result<u64, KvError> {
        let body = json!({ "options": { "cas": version }, "data": data });
        let doing = if admin { Doing::Administer } else { Doing::Change };
        let response = self.send(Method::POST, self.location.url("data", under), Some(&body), doing)?;
        if response.status == 400 && message(&response).contains("check-and-set") {
            return Err(KvError::Conflict);
        }
        let body = answer(&response)?;
        body.pointer("/data/version").and_then(Value::as_u64).ok_or(KvError::Malformed { what: "no version" })
    }

    /// The names in the folder `under` (sub-folders end in `/`); empty when there is none.
    pub fn list(&self, under: &str) -> Result<Vec<String>, KvError> {
        let url = format!("{}?list=true", self.location.url("metadata", under));
        let response = self.send(Method::GET, url, None, Doing::Read)?;
        if response.status == 404 {
            return Ok(Vec::new());
        }
        let body = answer(&response)?;
        let keys = body
            .pointer("/data/keys")
            .and_then(Value::as_array)
            .ok_or(KvError::Malformed { what: "no keys" })?;
        Ok(keys.iter().filter_map(Value::as_str).map(str::to_owned).collect())
    }

    /// Whether the token may write the vault's keys (`false` for a reader's token); a token
    /// the server no longer accepts is [`KvError::TokenRejected`].
    pub fn can_write_keys(&self) -> Result<bool, KvError> {
        let path = format!("{}/data/{}/keys/any", self.location.mount, self.location.path);
        let body = json!({ "paths": [path] });
        let url = format!("{}/v1/sys/capabilities-self", self.location.addr);
        let response = self.send(Method::POST, url, Some(&body), Doing::Read)?;
        let body = answer(&response)?;
        let capabilities = body
            .pointer("/capabilities")
            .or_else(|| body.pointer("/data/capabilities"))
            .and_then(Value::as_array)
            .ok_or(KvError::Malformed { what: "no capabilities" })?;
        Ok(capabilities
            .iter()
            .filter_map(Value::as_str)
            .any(|c| c == "create" || c == "update" || c == "root"))
    }

    /// Sends a request and turns a refusal into its sentence: a token the server no longer
    /// accepts (its own lookup, always allowed to a live token, is refused too), or one whose
    /// policies do not allow `doing`.
    fn send(
        &self,
        method: Method,
        url: String,
        body: Option<&Value>,
        doing: Doing,
    ) -> Result<Response, KvError> {
        let response = self.send_raw(method, url, body)?;
        if response.status != 403 {
            return Ok(response);
        }
        let lookup =
            self.send_raw(Method::GET, format!("{}/v1/auth/token/lookup-self", self.location.addr), None)?;
        Err(match (lookup.status, doing) {
            (403 | 401, _) => KvError::TokenRejected,
            (_, Doing::Read) => KvError::Denied { doing: "read keys", policy: "keydesk-reader" },
            (_, Doing::Change) => KvError::Denied { doing: "change keys", policy: "keydesk-editor" },
            (_, Doing::Administer) => KvError::Denied { doing: "manage the team", policy: "keydesk-admin" },
        })
    }

    fn send_raw(&self, method: Method, url: String, body: Option<&Value>) -> Result<Response, KvError> {
        let mut request = Request::new(method, url).header("x-vault-token", self.token.as_str());
        if let Some(body) = body {
            request = request.body("application/json", body.to_string().into_bytes());
        }
        // A standby names the active node: followed to any address Keydesk may call at all.
        let response = self
            .client
            .send_following(request, &|_from, to| crate::providers::http::check_base_url(to).is_ok())
            .map_err(KvError::Unreachable)?;
        if response.status == 503 && message(&response).contains("sealed") {
            return Err(KvError::Sealed);
        }
        Ok(response)
    }
}

/// What a request was for, to word a refusal.
#[derive(Debug, Clone, Copy)]
enum Doing {
    Read,
    Change,
    Administer,
}

/// The JSON body of a successful answer, or the error it says.
fn answer(response: &Response) -> Result<Value, KvError> {
    match response.status {
        200..=299 => {
            serde_json::from_str(&response.body).map_err(|_not_json| KvError::Malformed { what: "not JSON" })
        }
        status => {
            Err(KvError::Server { status, message: crate::vault::format::clip(&message(response), 120) })
        }
    }
}

/// The server's `errors` joined, as it words them (they never hold a secret: Keydesk's values
/// are sealed before they are sent).
fn message(response: &Response) -> String {
    serde_json::from_str::<Value>(&response.body)
        .ok()
        .and_then(|body| body.get("errors").and_then(Value::as_array).cloned())
        .map(|errors| errors.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("; "))
        .unwrap_or_default()
}
