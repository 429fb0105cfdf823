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
    /// The server's addresses, as `https://bao.example.com:8200` (plain HTTP on loopback
    /// only): one, or each node of a cluster, tried in turn when one does not answer.
    pub addrs: Vec<String>,
    /// The KV version 2 secrets engine's mount, as `secret`.
    pub mount: String,
    /// The team vault's folder in that engine, as `marketing/keydesk`.
    pub path: String,
}

impl Location {
    /// A location from addresses split by commas, with their trailing `/` and the mount's and
    /// path's outer `/` gone; `Err` with a sentence when a part is unusable.
    pub fn new(addrs: &str, mount: &str, path: &str) -> Result<Location, KvError> {
        let addrs: Vec<String> = addrs
            .split(',')
            .map(|addr| addr.trim().trim_end_matches('/').to_owned())
            .filter(|addr| !addr.is_empty())
            .collect();
        if addrs.is_empty() {
            return Err(KvError::BadLocation { what: "address" });
        }
        for addr in &addrs {
            crate::providers::http::check_base_url(addr).map_err(KvError::Unreachable)?;
        }
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
        Ok(Location { addrs, mount, path })
    }

    /// The addresses as `--addr` takes them (split by commas).
    pub fn addrs_text(&self) -> String {
        self.addrs.join(",")
    }

    /// The API path (after `/v1/`) of `under` in the engine's `api` (`data` or `metadata`).
    fn api_path(&self, api: &str, under: &str) -> String {
        let under = if under.is_empty() { String::new() } else { format!("/{under}") };
        format!("{}/{api}/{}{under}", self.mount, self.path)
    }
}

/// How many names a list asks for at once (about 170 KB of answer for keys' ids, under the
/// 1 MiB Keydesk reads).
pub const LIST_PAGE: usize = 10_000;

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
    #[error(
        "The server's cluster has no active node (it may be electing one): try again in a minute, or tell your team's admin."
    )]
    NoLeader,
    #[error("The server answered {status} ({message}): try again, or tell your team's admin if it lasts.")]
    Server { status: u16, message: String },
    #[error(
        "The server's mount \"{mount}\" is not a KV version 2 secrets engine: give the team vault another --mount, or make it one with `bao secrets enable -path={mount} kv-v2`."
    )]
    NotKv2 { mount: String },
    /// The server's sign-in refused the name and password.
    #[error(
        "The server refused this name and password (its sign-in, not your vault password): check them, or ask your team's admin to set a new server password for you."
    )]
    SignInRefused,
    /// The company directory (the server's LDAP method) refused the name and password.
    #[error(
        "The company directory refused this name and password (your directory account's, not your vault password): check them, or ask your company's IT to reset your directory password."
    )]
    DirectoryRefused,
    /// The server's LDAP method could not reach the company directory.
    #[error(
        "The team's server could not reach the company directory: try again in a moment, or tell your team's admin if it lasts."
    )]
    DirectoryAway,
    /// The server has no sign-in method at this mount.
    #[error(
        "The server has no name-and-password sign-in at auth/{mount}: ask your team's admin to run `keydesk team setup`."
    )]
    NoSignIn { mount: String },
    #[error(
        "A sign-in name may hold only letters, digits, '.', '_', '-' and '@' (at most 64): give another with --login-name."
    )]
    BadName,
    #[error("The server's answer could not be read ({what}): tell your team's admin.")]
    Malformed { what: &'static str },
}

impl KvError {
    /// Whether the server is not there to answer (rather than refusing): the cases in which
    /// this computer's copy stands in for it.
    pub fn is_away(&self) -> bool {
        matches!(self, KvError::Unreachable(_) | KvError::NoLeader | KvError::Sealed)
    }
}

/// What `auth/token/lookup-self` says of the token's life, in seconds.
#[derive(serde::Deserialize)]
struct TokenLookup {
    data: TokenLife,
}

#[derive(serde::Deserialize)]
struct TokenLife {
    ttl: u64,
    creation_ttl: u64,
    renewable: bool,
}

/// What `auth/token/renew-self` says: the token's new TTL.
#[derive(serde::Deserialize)]
struct TokenRenewal {
    auth: TokenLease,
}

#[derive(serde::Deserialize)]
struct TokenLease {
    lease_duration: u64,
}

/// A value as it was read, with the version a write must name to replace it.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned {
    pub data: Value,
    pub version: u64,
}

/// Asked, on the thread of a request, for a new token when the server no longer accepts the
/// one presented (its max TTL reached, or revoked): a new sign-in's token, or `None` to give
/// up (the request then fails with [`KvError::TokenRejected`]).
pub type SignInAgain = Box<dyn Fn() -> Option<Zeroizing<String>> + Send + Sync>;

/// A connection to one team vault, with its token.
pub struct Kv {
    client: Client,
    location: Location,
    /// The token, and how many times it was replaced by a new sign-in.
    token: std::sync::RwLock<(Zeroizing<String>, u64)>,
    /// How to sign in again; one sign-in at a time.
    again: Option<std::sync::Mutex<SignInAgain>>,
    /// The cluster's active node, once found.
    active: std::sync::Mutex<Option<String>>,
    /// When the token's TTL is next looked at (half of it gone); `None` before the first
    /// request.
    renew_at: std::sync::Mutex<Option<std::time::Instant>>,
}

impl Kv {
    /// A client for `location` that presents `token`. Nothing is sent yet.
    pub fn new(location: Location, token: Zeroizing<String>) -> Self {
        Kv {
            client: Client::new(HttpConfig::default()),
            location,
            token: std::sync::RwLock::new((token, 0)),
            again: None,
            active: std::sync::Mutex::new(None),
            renew_at: std::sync::Mutex::new(None),
        }
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// This connection, signing in again by `again` when the server no longer accepts its
    /// token: the request that met the refusal is sent again with the new token, so what the
    /// user was doing goes through.
    pub fn signing_in_again(mut self, again: SignInAgain) -> Self {
        self.set_signing_in_again(again);
        self
    }

    /// [`Kv::signing_in_again`] on a connection in use.
    pub fn set_signing_in_again(&mut self, again: SignInAgain) {
        self.again = Some(std::sync::Mutex::new(again));
    }

    /// The token this connection presents (to keep it in the OS keychain after a sign-in).
    pub fn token(&self) -> Zeroizing<String> {
        self.token.read().map(|held| held.0.clone()).unwrap_or_default()
    }

    /// How many times the token was replaced by a new sign-in.
    fn token_generation(&self) -> u64 {
        self.token.read().map_or(u64::MAX, |held| held.1)
    }

    /// After a refusal of the token of `generation`: a new token (signed in again, or already
    /// replaced by another request meanwhile); `false` when there is none.
    fn renew_by_sign_in(&self, generation: u64) -> bool {
        let Some(again) = &self.again else { return false };
        let Ok(again) = again.lock() else { return false };
        if self.token_generation() != generation {
            // Another request signed in again while this one waited.
            return true;
        }
        let Some(token) = again() else { return false };
        if let Ok(mut held) = self.token.write() {
            *held = (token, generation + 1);
        }
        if let Ok(mut at) = self.renew_at.lock() {
            *at = None;
        }
        true
    }

    /// The value at `under` (relative to the vault's path) and its version; `None` when
    /// nothing is there, or its newest version was deleted.
    pub fn read(&self, under: &str) -> Result<Option<Versioned>, KvError> {
        let response = self.send(&Method::GET, &self.location.api_path("data", under), None, Doing::Read)?;
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
        let response =
            self.send(&Method::POST, &self.location.api_path("data", under), Some(&body), doing)?;
        if response.status == 400 && message(&response).contains("check-and-set") {
            return Err(KvError::Conflict);
        }
        let body = answer(&response)?;
        body.pointer("/data/version").and_then(Value::as_u64).ok_or(KvError::Malformed { what: "no version" })
    }

    /// Destroys `versions` of the value at `under` for good (their data is gone from the
    /// server's storage; the version numbers stay taken). Only an admin's token may.
    pub fn destroy(&self, under: &str, versions: &[u64]) -> Result<(), KvError> {
        if versions.is_empty() {
            return Ok(());
        }
        let body = json!({ "versions": versions });
        let response = self.send(
            &Method::POST,
            &self.location.api_path("destroy", under),
            Some(&body),
            Doing::Administer,
        )?;
        done(&response)
    }

    /// Removes the value at `under` with every version of it. Only an admin's token may.
    pub fn delete_all(&self, under: &str) -> Result<(), KvError> {
        let response =
            self.send(&Method::DELETE, &self.location.api_path("metadata", under), None, Doing::Administer)?;
        if response.status == 404 {
            return Ok(());
        }
        done(&response)
    }

    /// The names in the folder `under` (sub-folders end in `/`); empty when there is none.
    /// Asked for [`LIST_PAGE`] at a time: 100,000 keys' names are more than one answer holds.
    pub fn list(&self, under: &str) -> Result<Vec<String>, KvError> {
        self.list_by(under, LIST_PAGE)
    }

    /// [`Kv::list`], `page` names at a time (OpenBao's paginated lists: `limit`, and `after`
    /// the last name of the page before; names come in byte order). A server that does not
    /// page (HashiCorp Vault) answers every name at once, and that answer is taken whole.
    pub fn list_by(&self, under: &str, page: usize) -> Result<Vec<String>, KvError> {
        let mut names: Vec<String> = Vec::new();
        loop {
            let mut url = format!("{}?list=true&limit={page}", self.location.api_path("metadata", under));
            let after = names.last();
            if let Some(after) = after {
                url.push_str(&format!("&after={}", super::oidc::encode(after)));
            }
            let response = self.send(&Method::GET, &url, None, Doing::Read)?;
            if response.status == 404 {
                return Ok(names);
            }
            let body = answer(&response)?;
            let keys = body
                .pointer("/data/keys")
                .and_then(Value::as_array)
                .ok_or(KvError::Malformed { what: "no keys" })?;
            let found = keys.len();
            let new: Vec<String> = keys
                .iter()
                .filter_map(Value::as_str)
                .filter(|name| after.is_none_or(|after| *name > after.as_str()))
                .map(str::to_owned)
                .collect();
            let more = found == page && !new.is_empty();
            names.extend(new);
            if !more {
                return Ok(names);
            }
        }
    }

    /// Whether the token may write the vault's keys (`false` for a reader's token); a token
    /// the server no longer accepts is [`KvError::TokenRejected`].
    pub fn can_write_keys(&self) -> Result<bool, KvError> {
        Ok(self.capabilities("keys/any")?.iter().any(|c| c == "create" || c == "update" || c == "root"))
    }

    /// Whether the token may change the team's own entry (an admin's may).
    pub fn can_administer(&self) -> Result<bool, KvError> {
        Ok(self.capabilities("team")?.iter().any(|c| c == "update" || c == "root"))
    }

    /// One call to the server's own API (`api` after `/v1/`, as `sys/mounts`) with an admin's
    /// token: the answer's JSON, or `None` when there is nothing at `api` (404) or nothing to
    /// say (204).
    pub fn server_call(
        &self,
        method: &Method,
        api: &str,
        body: Option<&Value>,
    ) -> Result<Option<Value>, KvError> {
        let body = body.map(|body| body.to_string().into_bytes());
        self.server_send(method, api, body.as_deref())
    }

    /// [`Kv::server_call`] with a body already written (one that may hold a password, in a
    /// buffer the caller wipes).
    pub fn server_send(
        &self,
        method: &Method,
        api: &str,
        body: Option<&[u8]>,
    ) -> Result<Option<Value>, KvError> {
        let response = self.send_bytes(method, api, body, Doing::Administer)?;
        if response.status == 404 || response.status == 204 {
            return Ok(None);
        }
        answer(&response).map(Some)
    }

    /// What the token may do at `under` (`sys/capabilities-self`).
    fn capabilities(&self, under: &str) -> Result<Vec<String>, KvError> {
        let path = format!("{}/data/{}/{under}", self.location.mount, self.location.path);
        let body = json!({ "paths": [path] });
        let url = "sys/capabilities-self".to_owned();
        let response = self.send(&Method::POST, &url, Some(&body), Doing::Read)?;
        let body = answer(&response)?;
        let capabilities = body
            .pointer("/capabilities")
            .or_else(|| body.pointer("/data/capabilities"))
            .and_then(Value::as_array)
            .ok_or(KvError::Malformed { what: "no capabilities" })?;
        Ok(capabilities.iter().filter_map(Value::as_str).map(str::to_owned).collect())
    }

    /// Sends a request and turns a refusal into its sentence: a token the server no longer
    /// accepts (its own lookup, always allowed to a live token, is refused too), or one whose
    /// policies do not allow `doing`.
    fn send(
        &self,
        method: &Method,
        api: &str,
        body: Option<&Value>,
        doing: Doing,
    ) -> Result<Response, KvError> {
        let body = body.map(|body| body.to_string().into_bytes());
        self.send_bytes(method, api, body.as_deref(), doing)
    }

    /// [`Kv::send`] with a body already written (one that may hold a password, in a buffer
    /// the caller wipes).
    fn send_bytes(
        &self,
        method: &Method,
        api: &str,
        body: Option<&[u8]>,
        doing: Doing,
    ) -> Result<Response, KvError> {
        self.keep_token_alive();
        let generation = self.token_generation();
        let response = self.send_raw(method, api, body)?;
        if response.status != 403 {
            return Ok(response);
        }
        let lookup = self.send_raw(&Method::GET, "auth/token/lookup-self", None)?;
        if matches!(lookup.status, 403 | 401) && self.renew_by_sign_in(generation) {
            // Once: a new token refused again is said as such.
            let response = self.send_raw(method, api, body)?;
            if response.status != 403 {
                return Ok(response);
            }
            let lookup = self.send_raw(&Method::GET, "auth/token/lookup-self", None)?;
            return Err(refusal(lookup.status, doing));
        }
        Err(refusal(lookup.status, doing))
    }
}

/// A 403's sentence, from what the token's own lookup answered.
fn refusal(lookup: u16, doing: Doing) -> KvError {
    match (lookup, doing) {
        (403 | 401, _) => KvError::TokenRejected,
        (_, Doing::Read) => KvError::Denied { doing: "read keys", policy: "keydesk-reader" },
        (_, Doing::Change) => KvError::Denied { doing: "change keys", policy: "keydesk-editor" },
        (_, Doing::Administer) => KvError::Denied { doing: "manage the team", policy: "keydesk-admin" },
    }
}

impl Kv {
    /// Renews the token (`auth/token/renew-self`) when less than half its TTL is left, looked
    /// up (`auth/token/lookup-self`) before the first request and again once half of what was
    /// left has gone. A token that does not expire (TTL 0) is looked at once. Nothing is said
    /// when renewal fails (not renewable, its max TTL reached, revoked): the request goes on,
    /// and a token the server no longer accepts gets its sentence from it.
    fn keep_token_alive(&self) {
        let now = std::time::Instant::now();
        let due = self.renew_at.lock().is_ok_and(|at| at.is_none_or(|at| now >= at));
        if !due {
            return;
        }
        let Some(TokenLookup { data: lookup }) = self.token_answer(&Method::GET, "auth/token/lookup-self")
        else {
            return;
        };
        let half = lookup.creation_ttl / 2;
        let mut left = lookup.ttl;
        if left == 0 {
            // Never expires: looked at again in a day.
            left = 2 * 86_400;
        } else if left < half
            && lookup.renewable
            && let Some(TokenRenewal { auth }) = self.token_answer(&Method::POST, "auth/token/renew-self")
        {
            left = auth.lease_duration;
        }
        let next = now + std::time::Duration::from_secs(left.saturating_sub(half).max(1));
        if let Ok(mut at) = self.renew_at.lock() {
            *at = Some(next);
        }
    }

    /// A successful answer about the token itself, read into `T` (its few fields alone: the
    /// token the answer also holds is never copied out of the zeroized body); `None` otherwise.
    fn token_answer<T: serde::de::DeserializeOwned>(&self, method: &Method, api: &str) -> Option<T> {
        let body = (*method == Method::POST).then_some(&b"{}"[..]);
        let response = self.send_raw(method, api, body).ok()?;
        if !(200..300).contains(&response.status) {
            return None;
        }
        serde_json::from_str(&response.body).ok()
    }

    /// Sends `api` (the path after `/v1/`) to the cluster's active node, so that what it
    /// reads is what was last written (a standby answers reads from its own copy, which lags
    /// behind, most of all just after a leader is lost). The active node is asked of the
    /// configured addresses (`sys/leader`) and kept; when it stops answering, or a node says
    /// there is none (an election, or a new leader taking over its engines), it is asked for
    /// again for up to 15 s. After that, any node that answers is used (a standby's reads,
    /// which may lag, rather than nothing).
    pub(super) fn send_raw(
        &self,
        method: &Method,
        api: &str,
        body: Option<&[u8]>,
    ) -> Result<Response, KvError> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let active = self.active_node();
            let base = match active {
                Ok(Some(base)) => base,
                // No node answers at all, or all are sealed: no election will help.
                Err(error) => return Err(error),
                Ok(None) if std::time::Instant::now() >= deadline => {
                    return self.send_to_any(method, api, body);
                }
                Ok(None) => {
                    std::thread::sleep(std::time::Duration::from_millis(250));
                    continue;
                }
            };
            let redirected = std::cell::Cell::new(false);
            match self.send_to(method.clone(), format!("{base}/v1/{api}"), body, &redirected) {
                Ok(response) if !unsettled(&response) => return Ok(response),
                // The active node is gone, sealed, or not active any more: ask again.
                _ if std::time::Instant::now() < deadline => {
                    self.forget_active();
                    std::thread::sleep(std::time::Duration::from_millis(250));
                }
                _ => return self.send_to_any(method, api, body),
            }
        }
    }

    /// The active node's address: the one found last, else asked of each configured address
    /// in turn. `Ok(None)` while the cluster has none; `Err` when no address answers at all.
    fn active_node(&self) -> Result<Option<String>, KvError> {
        if let Some(known) = self.active.lock().ok().and_then(|active| active.clone()) {
            return Ok(Some(known));
        }
        let mut unreachable = None;
        let (mut answered, mut sealed) = (0, 0);
        for addr in &self.location.addrs {
            let redirected = std::cell::Cell::new(false);
            let response = match self.send_to(Method::GET, format!("{addr}/v1/sys/leader"), None, &redirected)
            {
                Ok(response) => response,
                Err(error) => {
                    unreachable.get_or_insert(error);
                    continue;
                }
            };
            answered += 1;
            let leader = serde_json::from_str::<Value>(&response.body).unwrap_or(Value::Null);
            let found = if response.status == 503 || leader["sealed"] == true {
                sealed += 1;
                None
            } else if leader["ha_enabled"] == false || leader["is_self"] == true {
                Some(addr.clone())
            } else {
                // A standby names the active node; followed only to an address Keydesk may
                // call at all.
                leader["leader_address"]
                    .as_str()
                    .map(|address| address.trim_end_matches('/').to_owned())
                    .filter(|address| !address.is_empty())
                    .filter(|address| crate::providers::http::check_base_url(address).is_ok())
            };
            if let Some(found) = found {
                if let Ok(mut active) = self.active.lock() {
                    *active = Some(found.clone());
                }
                return Ok(Some(found));
            }
        }
        match unreachable {
            // No node answers at all, or every one that does is sealed: waiting will not help.
            Some(error) if answered == 0 => Err(KvError::Unreachable(error)),
            _ if answered > 0 && sealed == answered => Err(KvError::Sealed),
            _ => Ok(None),
        }
    }

    fn forget_active(&self) {
        if let Ok(mut active) = self.active.lock() {
            *active = None;
        }
    }

    /// The last resort: the first configured address that gives a settled answer (a
    /// standby's reads), or [`KvError::NoLeader`].
    fn send_to_any(&self, method: &Method, api: &str, body: Option<&[u8]>) -> Result<Response, KvError> {
        for addr in &self.location.addrs {
            let redirected = std::cell::Cell::new(false);
            if let Ok(response) = self.send_to(method.clone(), format!("{addr}/v1/{api}"), body, &redirected)
                && !unsettled(&response)
            {
                return Ok(response);
            }
        }
        Err(KvError::NoLeader)
    }

    /// One request to one address; `redirected` tells whether a standby sent it on.
    fn send_to(
        &self,
        method: Method,
        url: String,
        body: Option<&[u8]>,
        redirected: &std::cell::Cell<bool>,
    ) -> Result<Response, NetError> {
        let mut request = Request::new(method, url);
        // Before a sign-in there is no token to present.
        let token = self.token();
        if !token.is_empty() {
            request = request.header("x-vault-token", token.as_str());
        }
        if let Some(body) = body {
            request = request.body("application/json", body.to_vec());
        }
        // A standby names the active node: followed to any address Keydesk may call at all.
        self.client.send_following(request, &|_from, to| {
            redirected.set(true);
            crate::providers::http::check_base_url(to).is_ok()
        })
    }
}

/// Whether an answer says the cluster is not settled: the node is sealed, knows no active
/// node, or is a new active node still taking over its engines ("Waiting for the primary to
/// upgrade…", a 400).
fn unsettled(response: &Response) -> bool {
    let said = message(response);
    (response.status == 503 && said.contains("sealed"))
        || (response.status >= 500 && (said.contains("not active") || said.contains("no active")))
        || (response.status == 400 && said.contains("Waiting for the primary to upgrade"))
}

/// What a request was for, to word a refusal.
#[derive(Debug, Clone, Copy)]
enum Doing {
    Read,
    Change,
    Administer,
}

/// The JSON body of a successful answer, or the error it says.
/// A refusal's sentence, or nothing (the answer of a request that returns no body).
fn done(response: &Response) -> Result<(), KvError> {
    if (200..300).contains(&response.status) { Ok(()) } else { answer(response).map(|_body| ()) }
}

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
pub(super) fn message(response: &Response) -> String {
    serde_json::from_str::<Value>(&response.body)
        .ok()
        .and_then(|body| body.get("errors").and_then(Value::as_array).cloned())
        .map(|errors| errors.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("; "))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer_of(status: u16, body: &str) -> Response {
        Response { status, retry_after_secs: None, body: Zeroizing::new(body.to_owned()) }
    }

    #[test]
    fn locations_are_checked_and_tidied() {
        let location =
            Location::new(" https://a.example:8200/ , http://127.0.0.1:8201", "/secret/", "/team/keys/")
                .unwrap();
        assert_eq!(location.addrs, ["https://a.example:8200", "http://127.0.0.1:8201"]);
        assert_eq!((location.mount.as_str(), location.path.as_str()), ("secret", "team/keys"));
        assert_eq!(location.api_path("data", "keys/ab12"), "secret/data/team/keys/keys/ab12");
        for (addrs, mount, path) in [
            ("http://bao.example.com:8200", "secret", "team"),
            ("", "secret", "team"),
            ("https://a.example", "", "team"),
            ("https://a.example", "secret", "../sys"),
            ("https://a.example", "secret", "a//b"),
            ("https://a.example", "secret", "a b"),
        ] {
            assert!(Location::new(addrs, mount, path).is_err(), "{addrs} {mount} {path}");
        }
    }

    #[test]
    fn an_unsettled_cluster_is_told_from_a_refusal() {
        assert!(unsettled(&answer_of(503, r#"{"errors":["Vault is sealed"]}"#)));
        assert!(unsettled(&answer_of(
            500,
            r#"{"errors":["local node not active but active cluster node not found"]}"#
        )));
        assert!(unsettled(&answer_of(
            400,
            r#"{"errors":["Waiting for the primary to upgrade from non-versioned to versioned data."]}"#
        )));
        assert!(!unsettled(&answer_of(
            400,
            r#"{"errors":["check-and-set parameter did not match the current version"]}"#
        )));
        assert!(!unsettled(&answer_of(403, r#"{"errors":["permission denied"]}"#)));
        assert!(!unsettled(&answer_of(500, "not json at all")));
    }

    proptest::proptest! {
        #[test]
        fn any_answer_is_read_without_panicking(status in 0u16..1000, body in "\\PC{0,200}") {
            let response = answer_of(status, &body);
            let _ = unsettled(&response);
            let _ = message(&response);
            let _answer = answer(&response);
        }

        #[test]
        fn any_location_is_read_without_panicking(addrs in "\\PC{0,60}", mount in "\\PC{0,20}", path in "\\PC{0,30}") {
            let _location = Location::new(&addrs, &mount, &path);
        }
    }
}
