//! A team vault: one set of keys for several people, kept in OpenBao's (or HashiCorp Vault's)
//! KV version 2 engine instead of `vault.ron` and the keychain.
//!
//! What the server holds, under the vault's path (`<mount>/data/<path>/…`):
//! - `team`: the team's id, who made it and when. Written once (check-and-set 0).
//! - `members/<name>`: the team's data key, wrapped for that member under a key derived from
//!   the member's own password (Argon2id, the member's salt and cost). The server never sees a
//!   password or the data key.
//! - `keys/<id>`: a key's record (the metadata a local vault keeps in `vault.ron`, as JSON
//!   text), its secret sealed with the data key (XChaCha20-Poly1305, bound to the team and the
//!   key's id), who changed it last, and a seal (HMAC-SHA256 under a subkey of the data key)
//!   over all of it, so an entry changed on the server by someone without the data key shows.
//!
//! Every write names the version it read (check-and-set): when two members change one key,
//! the second write is refused and nothing is overwritten ([`TeamError::Changed`]).

pub mod accounts;
mod adding;
pub mod audit;
pub mod cache;
pub mod check;
pub mod incidents;
pub mod kv;
pub mod members;
pub mod oidc;
pub mod policy;
pub mod rotation;
pub mod setup;
pub mod signin;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::vault::audit::Action;
use crate::vault::crypto::{self, CryptoError, KdfParams, SymmetricKey};
use crate::vault::model::{KeyId, KeyRecord};
use crate::vault::{Entropy, VaultError};
use audit::TrailAction;
use kv::{Kv, KvError, Location, Versioned};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The version of what Keydesk writes on the server; a newer one is refused.
pub const TEAM_FORMAT: u64 = 1;

/// What the vault's folder on this computer keeps of a team vault (`team.ron`): where it is
/// and who this member is. No token, no key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamConfig {
    /// The server's address, or each node's, split by commas (as `--addr` takes them).
    pub addr: String,
    pub mount: String,
    pub path: String,
    pub member: String,
    pub team_id: String,
    /// This computer's settings for the team vault (absent from files written before them:
    /// the defaults).
    #[serde(default)]
    pub settings: TeamSettings,
    /// How this member signs in to the server (absent: with a token).
    #[serde(default, skip_serializing_if = "signin::SignIn::is_token")]
    pub sign_in: signin::SignIn,
}

/// A team vault's settings on this computer, kept in `team.ron` beside where the vault is:
/// how long a copied key stays on this computer's clipboard is this computer's choice, as
/// it is for a local vault (not the server's, which every member shares).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TeamSettings {
    /// Seconds before a copied key is cleared from the clipboard (5 to 600).
    pub clipboard_clear_secs: u32,
    /// The browsers (program and profile folder) allowed to ask this computer's Keydesk for
    /// the team vault's keys on the pages of their integrations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub browsers: Vec<String>,
}

impl Default for TeamSettings {
    /// A local vault's defaults.
    fn default() -> Self {
        TeamSettings {
            clipboard_clear_secs: crate::vault::model::Settings::default().clipboard_clear_secs,
            browsers: Vec::new(),
        }
    }
}

impl TeamSettings {
    /// One sentence on a setting out of range (the local vault's ranges).
    pub fn check(&self) -> Result<(), String> {
        if (5..=600).contains(&self.clipboard_clear_secs) {
            Ok(())
        } else {
            Err(format!("The clipboard clear time is {} s: use 5 to 600 seconds", self.clipboard_clear_secs))
        }
    }
}

impl TeamConfig {
    /// Where the team vault is, for sentences: `mount/path on addr`.
    pub fn place(&self) -> String {
        format!("{}/{} on {}", self.mount, self.path, self.addr)
    }

    fn new(location: &Location, member: &str, team_id: String) -> TeamConfig {
        TeamConfig {
            addr: location.addrs_text(),
            mount: location.mount.clone(),
            path: location.path.clone(),
            member: member.to_owned(),
            team_id,
            settings: TeamSettings::default(),
            sign_in: signin::SignIn::Token,
        }
    }
}

/// Why a team vault operation failed: one sentence each.
#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    #[error("{0}")]
    Server(#[from] KvError),
    #[error("{0}")]
    Vault(#[from] VaultError),
    #[error("{0}")]
    Crypto(#[from] CryptoError),
    /// Check-and-set lost.
    #[error("{by} changed this key a moment ago — reload and apply your change again.")]
    Changed { by: String },
    #[error("A team vault is already at {place}: join it, or choose another --path.")]
    AlreadyThere { place: String },
    #[error("No team vault is at {place}: check --addr, --mount and --path with your team's admin.")]
    NotThere { place: String },
    #[error("{member} is not a member of this team vault: ask its admin to add you.")]
    NotMember { member: String },
    #[error("The team vault on the server was made by a newer Keydesk (format {found}): update Keydesk.")]
    Newer { found: u64 },
    #[error(
        "The entry of {what} on the server was changed outside Keydesk (its seal does not match): tell your team's admin, and do not use it until it is checked."
    )]
    Tampered { what: String },
    #[error(
        "A member name may hold only letters, digits, '-', '_', '.' and '@', at most 64: choose another with --member."
    )]
    BadMember,
    #[error("{member} is already a member of this team vault: they unlock it with their own password.")]
    AlreadyMember { member: String },
    #[error(
        "{member} has no invitation waiting in this team vault: ask its admin for one (`keydesk member invite {member}`)."
    )]
    NotInvited { member: String },
    #[error(
        "{member} was invited but has not joined yet: run `keydesk init --team --join` with the invitation code."
    )]
    NotJoined { member: String },
    #[error("That invitation code does not open {member}'s invitation: check it with the admin who gave it.")]
    WrongCode { member: String },
    #[error(
        "The team's audit trail does not hold at entry {seq} (it was changed or removed outside Keydesk): tell your team's admin."
    )]
    AuditBroken { seq: u64 },
    #[error(
        "The change was saved, but its entry in the team's audit trail was not ({cause}): tell your team's admin."
    )]
    Unaudited { cause: String },
    #[error("No key {id} is in the team vault (a member may have removed it): reload the list.")]
    NoSuchKey { id: String },
    /// This member's copy lacks the data key of a generation (a re-key stopped half-way).
    #[error(
        "Your copy of the team's key does not reach generation {generation} (a member's removal did not finish): ask your team's admin to run `keydesk member remove` again."
    )]
    BehindRekey { generation: u64 },
    /// The replacement was added but the old key could not be marked as being replaced.
    #[error(
        "The replacement was added to the team vault as {new}, but the old key could not be marked as being replaced ({cause}): run the same `keydesk rotate` again with the same new key to finish."
    )]
    HalfRotated { new: String, cause: String },
    /// An import stopped by the user between two keys.
    #[error(
        "Stopped after {added} of {total} new keys: those are in the team vault; run the import again for the rest (the rows already there are recognised)."
    )]
    Stopped { added: usize, total: usize },
    /// A live entry sealed under a generation a removed member may hold.
    #[error(
        "The entry of {what} on the server is sealed under an older team key (generation {generation}) than the team's, which someone removed from the team still holds: tell your team's admin, and do not use it until it is checked."
    )]
    OlderKey { what: String, generation: u64 },
    /// A password changed whose older copy of the team's keys stays on the server.
    #[error(
        "Your password is changed, but the server kept the older copy of your team keys that the old password opens ({cause}): ask your team's admin to apply Keydesk's policies from docs/team-policies, then change it again."
    )]
    OldCopyKept { cause: String },
    #[error("You cannot remove yourself from the team vault: ask another admin to.")]
    RemoveSelf,
    #[error(
        "{member} has not unlocked the team vault since Keydesk gave members key pairs, so the new team key cannot be sealed for them: ask {member} to unlock it once (any command), then remove again."
    )]
    NoKeyPair { member: String },
    #[error(
        "The team's key was replaced since you unlocked (a member was removed): lock and unlock the team vault, then apply your change again."
    )]
    Rekeyed,
}

// Bulk reads overlap their requests on a few scoped threads.
use crate::parallel::in_parallel;

/// A member name as it may appear in a path: letters, digits, `-`, `_`, `.`, `@`.
pub fn check_member(name: &str) -> Result<(), TeamError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c));
    if ok { Ok(()) } else { Err(TeamError::BadMember) }
}

/// A member's copy of the team's keys, as kept under `members/<name>`: the member's X25519
/// key pair, its private half wrapped under a key from the member's password (or, until they
/// join, from the one-time code of their invitation), and the team's data key of every
/// generation sealed to its public half — so an admin hands a new data key to each member
/// without their password when one is removed.
#[derive(Debug, Serialize, Deserialize)]
struct MemberEntry {
    member: String,
    kdf: KdfParams,
    salt: String,
    /// Before key pairs: the data key wrapped under the password's key (read, then replaced
    /// at the member's next unlock).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    wrapped_key: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    public_key: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    wrapped_private: String,
    /// Generation → the data key of that generation, sealed to `public_key`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    sealed_keys: std::collections::BTreeMap<u64, String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    invited: bool,
}

/// The letters of an invitation code: Crockford's base32 (no I, L, O or U to misread).
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// 25 characters of 5 bits: 125 bits, in five groups of five.
const CODE_LEN: usize = 25;

/// A fresh invitation code, as `7K2QD-…` (five groups of five).
pub(crate) fn invitation_code(rng: &mut dyn Entropy) -> SecretString {
    let mut bytes = zeroize::Zeroizing::new([0u8; CODE_LEN]);
    rng.fill(&mut bytes[..]);
    let mut code = zeroize::Zeroizing::new(String::with_capacity(CODE_LEN + 4));
    for (n, byte) in bytes.iter().enumerate() {
        if n > 0 && n % 5 == 0 {
            code.push('-');
        }
        code.push(char::from(CODE_ALPHABET[usize::from(byte & 31)]));
    }
    SecretString::from(code.as_str())
}

/// A code as typed: case, spaces and dashes do not matter; `O`, `I` and `L` are read as the
/// digits they look like.
fn normalise_code(typed: &SecretString) -> SecretString {
    let mut code = zeroize::Zeroizing::new(String::with_capacity(CODE_LEN + 4));
    for c in typed.expose_secret().chars().filter(|c| !c.is_whitespace() && *c != '-') {
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        };
        if code.len() % 6 == 5 {
            code.push('-');
        }
        code.push(c);
    }
    SecretString::from(code.as_str())
}

/// The keys of one generation of the team's data key (a new generation begins each time a
/// member is removed).
struct Derived {
    data: SymmetricKey,
    seal: SymmetricKey,
    lookup: SymmetricKey,
    audit: SymmetricKey,
}

impl Derived {
    fn from_data(data: SymmetricKey) -> Self {
        Derived {
            seal: crypto::derive_subkey(&data, "team-entry-seal"),
            lookup: crypto::derive_subkey(&data, "leak-lookup"),
            audit: crypto::derive_subkey(&data, "team-audit-chain"),
            data,
        }
    }
}

/// The keys of an unlocked team vault: the data key of every generation this member holds,
/// and the generation new entries are sealed under. Never leaves the process.
pub struct TeamKeys {
    current: u64,
    generations: std::collections::BTreeMap<u64, Derived>,
    /// Whether a live entry sealed under an older generation is taken: only by a member's
    /// removal, which seals such entries again under the new one. Anyone else refuses them:
    /// a removed member still holds the older generations' keys.
    older_live: bool,
}

impl TeamKeys {
    fn new(generations: Vec<(u64, SymmetricKey)>, current: u64) -> Result<Self, TeamError> {
        let generations: std::collections::BTreeMap<u64, Derived> = generations
            .into_iter()
            .map(|(generation, data)| (generation, Derived::from_data(data)))
            .collect();
        if !generations.contains_key(&current) {
            return Err(TeamError::BehindRekey { generation: current });
        }
        // A team entry naming an older generation than this member holds (it was put back on
        // the server, or a removal stopped before writing it) never makes new entries sealed
        // under a key a removed member kept.
        let current = generations.keys().next_back().copied().unwrap_or(current).max(current);
        Ok(TeamKeys { current, generations, older_live: false })
    }

    /// The keys of the generation an entry was sealed under, when it may be taken: a live
    /// entry (a live key, an account, an incident) sealed under an older generation than the
    /// current one is refused ([`TeamError::OlderKey`], naming `what`), except by a removal.
    fn sealed_under(
        &self,
        generation: u64,
        live: bool,
        what: impl FnOnce() -> String,
    ) -> Result<&Derived, TeamError> {
        if live && generation < self.current && !self.older_live {
            return Err(TeamError::OlderKey { what: what(), generation });
        }
        self.at(generation)
    }

    /// The generation new entries are sealed under.
    pub fn generation(&self) -> u64 {
        self.current
    }

    fn now(&self) -> &Derived {
        // `new` and `add_generation` keep the current generation in the map.
        self.generations.get(&self.current).unwrap_or_else(|| unreachable!("the current generation is held"))
    }

    fn at(&self, generation: u64) -> Result<&Derived, TeamError> {
        self.generations.get(&generation).ok_or(TeamError::BehindRekey { generation })
    }

    /// The leak-lookup hash of a secret, as a new key's record keeps it.
    pub fn lookup_hash(&self, secret: &SecretString) -> String {
        crypto::lookup_hash(&self.now().lookup, secret.expose_secret().as_bytes())
    }

    /// A pasted string's leak-lookup hash under generation `generation` (`None` when this
    /// member does not hold that generation).
    pub fn lookup_hash_under(&self, generation: u64, candidate: &str) -> Option<String> {
        let derived = self.generations.get(&generation)?;
        Some(crypto::lookup_hash(&derived.lookup, candidate.as_bytes()))
    }

    /// For an import's preview: a secret's comparison hash (under the current generation),
    /// and the label of the key among `keys` that has it (whatever generation its record's
    /// lookup hash was made under).
    pub fn known_in<'a>(
        &'a self,
        keys: &'a [TeamKey],
    ) -> impl Fn(&SecretString) -> (String, Option<String>) + 'a {
        let by_hash: std::collections::HashMap<(u64, &str), &str> = keys
            .iter()
            .map(|key| ((key.generation, key.record.lookup_hash.as_str()), key.record.label.as_str()))
            .collect();
        move |secret| {
            let label = self.generations.iter().find_map(|(generation, derived)| {
                let hash = crypto::lookup_hash(&derived.lookup, secret.expose_secret().as_bytes());
                by_hash.get(&(*generation, hash.as_str())).map(|label| (*label).to_owned())
            });
            (self.lookup_hash(secret), label)
        }
    }

    /// Whether `secret` is the secret of `key` (by its record's lookup hash, made under the
    /// generation its entry was written in).
    pub fn matches(&self, key: &TeamKey, secret: &SecretString) -> bool {
        self.at(key.generation).is_ok_and(|keys| {
            crypto::lookup_hash_matches(
                &keys.lookup,
                secret.expose_secret().as_bytes(),
                &key.record.lookup_hash,
            )
        })
    }
}

/// A key as read from the server: its record, the version read, and its sealed secret.
#[derive(Debug, Clone)]
pub struct TeamKey {
    pub record: KeyRecord,
    pub version: u64,
    pub changed_by: String,
    /// The generation of the team's data key its secret and seal were made under.
    pub generation: u64,
    record_text: String,
    secret: String,
    seal: String,
    /// The version its seal binds it to (none in entries written before seals bound one).
    bound: Option<u64>,
}

/// An entry as the server keeps it: a record's JSON text, its sealed secret (empty for none),
/// the seal over both, the last writer, the generation it was sealed under, its version.
struct Stored {
    record_text: String,
    secret: String,
    seal: String,
    changed_by: String,
    generation: u64,
    version: u64,
    /// The version its seal binds it to (none in entries written before seals bound one).
    bound: Option<u64>,
}

/// An entry's parts its seal is checked against, as read.
struct SealedRef<'a> {
    subject: &'a str,
    record_text: &'a str,
    secret: &'a str,
    changed_by: &'a str,
    seal: &'a str,
    generation: u64,
    version: u64,
    bound: Option<u64>,
}

impl Stored {
    /// The record, or `Tampered` naming `what` when it does not parse.
    fn parse<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T, TeamError> {
        serde_json::from_str(&self.record_text).map_err(|_bad| TeamError::Tampered { what: what.to_owned() })
    }
}

/// A team vault on its server, as one member sees it.
pub struct TeamVault {
    kv: Kv,
    config: TeamConfig,
    /// The audit trail's last entry number seen (where the search for the newest starts).
    audit_hint: std::sync::atomic::AtomicU64,
    /// The generation of the data key new entries are sealed under, as the `team` entry said.
    generation: std::sync::atomic::AtomicU64,
}

impl TeamVault {
    /// Makes a new team vault at `kv`'s location with `member` as its first member, and
    /// answers it with its keys (unlocked already: the caller needs no second key
    /// derivation); fails without writing anything when one is there already.
    pub fn create(
        kv: Kv,
        member: &str,
        password: &SecretString,
        kdf: KdfParams,
        rng: &mut dyn Entropy,
        now: DateTime<Utc>,
    ) -> Result<(TeamVault, TeamKeys), TeamError> {
        check_member(member)?;
        let mut id = [0u8; 8];
        rng.fill(&mut id);
        let team_id = crypto::hex(&id);
        let entry = json!({
            "keydesk_team": TEAM_FORMAT,
            "team_id": team_id,
            "created_by": member,
            "created_at": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
        let place = place(kv.location());
        match kv.write("team", &entry, 0, true) {
            Err(KvError::Conflict) => return Err(TeamError::AlreadyThere { place }),
            other => other?,
        };
        let keys = TeamKeys::new(vec![(0, SymmetricKey::random(rng))], 0)?;
        let config = TeamConfig::new(kv.location(), member, team_id);
        let vault = TeamVault::at(kv, config, 0);
        let rest = vault.write_member(member, &keys, (password, false), kdf, 0, rng).and_then(|_version| {
            vault.record(&keys, Action::CreateVault, None, &format!("team vault made by {member}"), now)
        });
        if let Err(error) = rest {
            // Half a team vault is taken back (as far as the token may), so the next try
            // does not find "a team vault already there" that nobody can open.
            let _left_for_an_admin = vault.kv.delete_all(&format!("members/{member}"));
            let _left_for_an_admin = vault.kv.delete_all("team");
            return Err(error);
        }
        Ok((vault, keys))
    }

    /// Opens the team vault `config` names and checks that it is there and this member is
    /// one of it (nothing is decrypted: no password is needed for that).
    pub fn connect(kv: Kv, config: TeamConfig) -> Result<TeamVault, TeamError> {
        let (team_id, generation, _version) = Self::team_entry(&kv)?;
        if team_id != config.team_id {
            return Err(TeamError::NotThere { place: place(kv.location()) });
        }
        Ok(TeamVault::at(kv, config, generation))
    }

    /// The team vault `config` names, without asking the server (which cannot be reached):
    /// its later requests work once the server answers.
    pub fn offline(kv: Kv, config: TeamConfig) -> TeamVault {
        // Its generation is not known: no re-key is reported for it (it holds no key, so it
        // writes nothing anyway).
        TeamVault::at(kv, config, u64::MAX)
    }

    fn at(kv: Kv, config: TeamConfig, generation: u64) -> TeamVault {
        TeamVault {
            kv,
            config,
            audit_hint: std::sync::atomic::AtomicU64::new(0),
            generation: std::sync::atomic::AtomicU64::new(generation),
        }
    }

    /// The id of the team vault at `kv`'s location (once it is one this Keydesk reads), the
    /// generation of its data key, and the entry's version.
    fn team_entry(kv: &Kv) -> Result<(String, u64, u64), TeamError> {
        let team = kv.read("team")?.ok_or_else(|| TeamError::NotThere { place: place(kv.location()) })?;
        let found = team.data.get("keydesk_team").and_then(Value::as_u64).unwrap_or(0);
        if found > TEAM_FORMAT {
            return Err(TeamError::Newer { found });
        }
        let generation = team.data.get("key_generation").and_then(Value::as_u64).unwrap_or(0);
        let id = team
            .data
            .get("team_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(TeamError::Server(KvError::Malformed { what: "no team id" }))?;
        Ok((id, generation, team.version))
    }

    fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Keeps how this member signs in (written to `team.ron` with the rest of the config).
    pub fn set_sign_in(&mut self, sign_in: signin::SignIn) {
        self.config.sign_in = sign_in;
    }

    /// From now on, a token the server stops accepting is replaced by signing in again with
    /// `again`, and the refused request sent again (see [`Kv::signing_in_again`]).
    pub fn sign_in_again_with(&mut self, again: kv::SignInAgain) {
        self.kv.set_signing_in_again(again);
    }

    /// The connection to the server (for an admin's calls to the server's own API).
    pub fn kv(&self) -> &Kv {
        &self.kv
    }

    /// The token this vault's connection presents (to keep it in the OS keychain).
    pub fn token(&self) -> zeroize::Zeroizing<String> {
        self.kv.token()
    }

    pub fn config(&self) -> &TeamConfig {
        &self.config
    }

    /// Whether this member's token may change keys (a reader's may not).
    pub fn can_write(&self) -> Result<bool, TeamError> {
        Ok(self.kv.can_write_keys()?)
    }

    /// Opens this member's copy of the team's keys with their password. A copy from before
    /// key pairs is replaced by one with a key pair (so an admin can re-key for this member).
    pub fn unlock(&self, password: &SecretString) -> Result<TeamKeys, TeamError> {
        self.unlock_in(password, None)
    }

    /// [`TeamVault::unlock`] with Argon2id's working memory made ready beforehand (the window
    /// prepares it from the first keystroke of the password).
    pub fn unlock_in(
        &self,
        password: &SecretString,
        memory: Option<&mut crypto::KdfMemory>,
    ) -> Result<TeamKeys, TeamError> {
        let member = &self.config.member;
        let (entry, version) = self.member_entry(member)?;
        if entry.invited {
            return Err(TeamError::NotJoined { member: member.clone() });
        }
        let keys = TeamKeys::new(self.open_member_entry(&entry, password, memory)?, self.generation())?;
        if entry.public_key.is_empty() {
            // Another unlock may do the same at once: one of the two writes is enough.
            match self.write_member(
                member,
                &keys,
                (password, false),
                entry.kdf,
                version,
                &mut crate::vault::os_rng(),
            ) {
                Ok(_) | Err(TeamError::Server(KvError::Conflict)) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(keys)
    }
}

/// The order keys are listed in, as a local vault lists them: oldest first, a replacement after
/// the key it replaces (made in the same second), then by id.
pub fn key_order(a: &TeamKey, b: &TeamKey) -> std::cmp::Ordering {
    let (a, b) = (&a.record, &b.record);
    let replaces = |new: &KeyRecord, old: &KeyRecord| new.replaces.as_ref() == Some(&old.id);
    a.created_at.cmp(&b.created_at).then_with(|| {
        if replaces(a, b) {
            std::cmp::Ordering::Greater
        } else if replaces(b, a) {
            std::cmp::Ordering::Less
        } else {
            a.id.cmp(&b.id)
        }
    })
}

impl TeamVault {
    /// The ids of the keys in the vault.
    pub fn key_ids(&self) -> Result<Vec<KeyId>, TeamError> {
        let mut names = self.kv.list("keys")?;
        // Keydesk's ids are hex; a name it did not write (a folder, or one that could reach
        // past `keys/` in a request's path) is not one of its keys.
        names.retain(|name| {
            !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        names.sort();
        Ok(names.iter().map(|name| KeyId::from_stored(name)).collect())
    }

    /// Every key, read one by one (not checked against its seal: that takes the password).
    /// Every key, read by a few threads at once (a first load of 10,000 keys is 10,000
    /// requests; one at a time they took 8.7 s on loopback).
    pub fn keys(&self) -> Result<Vec<TeamKey>, TeamError> {
        let ids = self.key_ids()?;
        // A key removed between the list and its read is simply not there.
        let mut keys: Vec<TeamKey> =
            in_parallel(&ids, |id| self.read_key(id))?.into_iter().flatten().collect();
        keys.sort_by(key_order);
        Ok(keys)
    }

    /// One key as the server has it now; `None` when there is none with that id.
    pub fn read_key(&self, id: &KeyId) -> Result<Option<TeamKey>, TeamError> {
        let what = format!("key {id}");
        let Some(stored) = self.read_stored(&format!("keys/{id}"), &what)? else { return Ok(None) };
        let record: KeyRecord = stored.parse(&what)?;
        if record.id != *id {
            return Err(TeamError::Tampered { what });
        }
        let Stored { record_text, secret, seal, changed_by, generation, version, bound } = stored;
        Ok(Some(TeamKey { record, version, changed_by, generation, record_text, secret, seal, bound }))
    }

    /// Key `id` as the server has it now, its seal checked: for a call to its provider, where
    /// a record changed by someone without the team's key (its region, its account, its id at
    /// the provider) must not decide where a secret goes or which key is deleted.
    pub fn read_key_checked(&self, keys: &TeamKeys, id: &KeyId) -> Result<TeamKey, TeamError> {
        let key = self.read_key(id)?.ok_or_else(|| TeamError::NoSuchKey { id: id.to_string() })?;
        self.check_seal(keys, &key)?;
        Ok(key)
    }

    /// The entry at `under` as stored (a key's, an account's or an incident's), not yet
    /// trusted: its seal is the caller's to check. `what` names it in an error.
    fn read_stored(&self, under: &str, what: &str) -> Result<Option<Stored>, TeamError> {
        let Some(Versioned { data, version }) = self.kv.read(under)? else { return Ok(None) };
        let text = |field: &str| data.get(field).and_then(Value::as_str).map(str::to_owned);
        let (Some(record_text), Some(secret), Some(seal)) = (text("record"), text("secret"), text("seal"))
        else {
            return Err(TeamError::Tampered { what: what.to_owned() });
        };
        Ok(Some(Stored {
            record_text,
            secret,
            seal,
            changed_by: text("changed_by").unwrap_or_default(),
            generation: data.get("generation").and_then(Value::as_u64).unwrap_or(0),
            version,
            bound: data.get("bound_version").and_then(Value::as_u64),
        }))
    }

    /// Keeps a new key: its record and its secret, sealed, and its entry in the audit trail.
    /// The record's id must be new.
    pub fn add(
        &self,
        keys: &TeamKeys,
        record: &KeyRecord,
        secret: &SecretString,
        rng: &mut dyn Entropy,
        now: DateTime<Utc>,
    ) -> Result<(), TeamError> {
        let detail = format!("\"{}\", {}", record.label, record.provider.name());
        self.add_as(keys, record, secret, (Action::Add.into(), &detail), rng, now)
    }

    /// Keeps a new key as [`add`](Self::add) does, its trail entry saying `action` and `detail`.
    fn add_as(
        &self,
        keys: &TeamKeys,
        record: &KeyRecord,
        secret: &SecretString,
        (action, detail): (TrailAction, &str),
        rng: &mut dyn Entropy,
        now: DateTime<Utc>,
    ) -> Result<(), TeamError> {
        self.check_generation(keys)?;
        let sealed = self.seal_secret(keys, record.id.as_str(), secret, rng)?;
        let (under, text) = (format!("keys/{}", record.id), Self::record_text(record)?);
        let version = match self.write_entry(keys, (&under, record.id.as_str()), (&text, &sealed), 0) {
            // A random 48-bit id already taken: say so plainly.
            Err(KvError::Conflict) => return Err(TeamError::Changed { by: "Another member".into() }),
            other => other?,
        };
        self.record_after(keys, action, (&record.id, version), detail, now)
    }

    /// Records a change already made; a failure says the change stands unrecorded.
    fn record_after(
        &self,
        keys: &TeamKeys,
        action: TrailAction,
        key: (&KeyId, u64),
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<(), TeamError> {
        self.record(keys, action, Some(key), detail, now)
            .map(|_seq| ())
            .map_err(|error| TeamError::Unaudited { cause: error.to_string() })
    }

    /// `key`'s sealed secret as a new entry of it keeps it: as it is, or (an entry sealed
    /// under an older generation) sealed again under the current one.
    fn sealed_now(&self, keys: &TeamKeys, key: &TeamKey) -> Result<String, TeamError> {
        if key.generation == keys.generation() || !key.record.is_live() {
            return Ok(key.secret.clone());
        }
        let plain = self.secret_to_copy(keys, key)?;
        self.seal_secret(keys, key.record.id.as_str(), &plain, &mut crate::vault::os_rng())
    }

    /// Changes key `id`'s record as `change` says (it may refuse) and records `(action,
    /// detail)` in the trail. With `at`, only if the entry is still at that version (a
    /// member's change meanwhile is refused, naming them); without, a member's change made
    /// meanwhile is kept: the key is read again and `change` applied again (five tries).
    /// Answers the entry's new version.
    pub fn change_key(
        &self,
        keys: &TeamKeys,
        id: &KeyId,
        at: Option<u64>,
        (action, detail): (TrailAction, &str),
        mut change: impl FnMut(&mut KeyRecord) -> Result<(), TeamError>,
        now: DateTime<Utc>,
    ) -> Result<u64, TeamError> {
        self.check_generation(keys)?;
        let mut by = String::new();
        for _try in 0..5 {
            let key = self.read_key(id)?.ok_or_else(|| TeamError::NoSuchKey { id: id.to_string() })?;
            if at.is_some_and(|version| version != key.version) {
                by = key.changed_by;
                break;
            }
            self.check_seal(keys, &key)?;
            let mut record = key.record.clone();
            change(&mut record)?;
            let (text, sealed) = (Self::record_text(&record)?, self.sealed_now(keys, &key)?);
            match self.write_entry(keys, (&format!("keys/{id}"), id.as_str()), (&text, &sealed), key.version)
            {
                Ok(version) => {
                    self.record_after(keys, action, (id, version), detail, now)?;
                    return Ok(version);
                }
                Err(KvError::Conflict) if at.is_none() => by = key.changed_by,
                Err(KvError::Conflict) => {
                    by = self.read_key(id).ok().flatten().map(|now| now.changed_by).unwrap_or_default();
                    break;
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(TeamError::Changed { by: if by.is_empty() { "Another member".into() } else { by } })
    }

    /// The secret of `key`, after its entry's seal is checked and the reveal is recorded in
    /// the audit trail (no entry, no secret).
    pub fn reveal(
        &self,
        keys: &TeamKeys,
        key: &TeamKey,
        now: DateTime<Utc>,
    ) -> Result<SecretString, TeamError> {
        let secret = self.secret_to_copy(keys, key)?;
        self.record_use(keys, key, Action::Reveal, now)?;
        Ok(secret)
    }

    /// Records a copy or a reveal of `key` that worked, counted on the key as a local vault
    /// counts it ([`KeyRecord::count_use`]); a reader's token, which may not change the key,
    /// records it in the trail alone.
    fn record_use(
        &self,
        keys: &TeamKeys,
        key: &TeamKey,
        action: Action,
        now: DateTime<Utc>,
    ) -> Result<(), TeamError> {
        let used = crate::vault::audit::Record {
            at: now,
            action,
            key: Some(key.record.id.to_string()),
            outcome: crate::vault::audit::Outcome::Ok,
            detail: String::new(),
            prev: String::new(),
            tag: String::new(),
        };
        let counted = self.change_key(
            keys,
            &key.record.id,
            None,
            (action.into(), ""),
            |record| {
                record.count_use(&used);
                Ok(())
            },
            now,
        );
        match counted {
            Err(TeamError::Server(KvError::Denied { .. })) => {
                self.record(keys, action, Some((&key.record.id, key.version)), "", now).map(|_seq| ())
            }
            other => other.map(|_version| ()),
        }
    }

    /// The secret of `key` for the clipboard, after its entry's seal is checked; the copy is
    /// recorded with [`TeamVault::record_copy`] once the clipboard took it (or did not).
    pub fn secret_to_copy(&self, keys: &TeamKeys, key: &TeamKey) -> Result<SecretString, TeamError> {
        if !key.record.is_live() {
            return Err(VaultError::Revoked { label: key.record.label.clone(), action: "use" }.into());
        }
        self.check_seal(keys, key)?;
        let tampered = || TeamError::Tampered { what: format!("key {}", key.record.id) };
        let sealed = B64.decode(&key.secret).map_err(|_bad| tampered())?;
        let plain = crypto::open(
            &keys.at(key.generation)?.data,
            self.secret_ad(key.record.id.as_str()).as_bytes(),
            &sealed,
        )
        .map_err(|_bad| tampered())?;
        let text = std::str::from_utf8(&plain).map_err(|_bad| tampered())?;
        Ok(SecretString::from(text))
    }

    /// Revokes `key` (if nobody changed it since it was read): its record says revoked, with
    /// `reason`; its sealed secret is dropped from the entry, and its older versions (which
    /// still hold it) destroyed when the token may (an admin's); recorded with `note` (how it
    /// was revoked at the provider). Answers a warning when the older versions stay.
    pub fn revoke(
        &self,
        keys: &TeamKeys,
        key: &TeamKey,
        reason: &str,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, TeamError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(VaultError::EmptyReason.into());
        }
        crate::vault::meta::check_text("reason", reason, crate::vault::MAX_NOTES, false)?;
        if !key.record.is_live() {
            return Err(VaultError::Revoked { label: key.record.label.clone(), action: "revoke" }.into());
        }
        self.check_seal(keys, key)?;
        self.check_generation(keys)?;
        let mut record = key.record.clone();
        record.status = crate::vault::model::KeyStatus::Revoked { at: now, reason: reason.to_owned() };
        record.provider_revoke_pending = None;
        record.rotation = None;
        let text = Self::record_text(&record)?;
        let id = &record.id;
        let version =
            match self.write_entry(keys, (&format!("keys/{id}"), id.as_str()), (&text, ""), key.version) {
                Err(KvError::Conflict) => {
                    let by = match self.read_key(id) {
                        Ok(Some(now)) if !now.changed_by.is_empty() => now.changed_by,
                        _ => "Another member".into(),
                    };
                    return Err(TeamError::Changed { by });
                }
                other => other?,
            };
        let older: Vec<u64> = (1..version).collect();
        let warning = match self.kv.destroy(&format!("keys/{id}"), &older) {
            Ok(()) => None,
            Err(KvError::Denied { .. }) => Some(format!(
                "The key is revoked; its older versions on the server still hold its sealed secret: ask your team's admin to run `keydesk revoke` on it too, or to destroy versions 1–{} of keys/{id}.",
                version - 1
            )),
            Err(error) => return Err(error.into()),
        };
        let how = if note.is_empty() { String::new() } else { format!(" ({note})") };
        let mut detail = format!("\"{}\": {reason}{how}", record.label);
        // Revoking a key being replaced ends its rotation, with how far the move got.
        if let Some(rotation) = &key.record.rotation {
            let (moved, total) = rotation.progress();
            detail.push_str(&format!("; rotation closed with {moved} of {total} integrations moved"));
        }
        self.record_after(keys, Action::Revoke.into(), (id, version), &detail, now)?;
        Ok(warning)
    }

    /// Records a copy of `key`: done, or refused by the clipboard (`Err` with why).
    pub fn record_copy(
        &self,
        keys: &TeamKeys,
        key: &TeamKey,
        taken: Result<(), String>,
        now: DateTime<Utc>,
    ) -> Result<(), TeamError> {
        match taken {
            Ok(()) => self.record_use(keys, key, Action::Copy, now),
            Err(why) => {
                let detail = audit::failed_detail("", &format!("the clipboard did not take it: {why}"));
                let action = TrailAction::failed(Action::Copy);
                self.record(keys, action, Some((&key.record.id, key.version)), &detail, now).map(|_seq| ())
            }
        }
    }

    /// Invites `member`: the data key wrapped under a one-time code, which is returned to be
    /// given to them out of band (never through the server). Only an admin's token may.
    pub fn invite(
        &self,
        keys: &TeamKeys,
        member: &str,
        rng: &mut dyn Entropy,
        now: DateTime<Utc>,
    ) -> Result<SecretString, TeamError> {
        check_member(member)?;
        let code = invitation_code(rng);
        // The code holds 125 random bits: the cheapest accepted cost is plenty.
        match self.write_member(member, keys, (&code, true), KdfParams::MIN, 0, rng) {
            Err(TeamError::Server(KvError::Conflict)) => {
                return Err(TeamError::AlreadyMember { member: member.to_owned() });
            }
            other => drop(other?),
        }
        self.record(keys, Action::Invite, None, member, now)?;
        Ok(code)
    }

    /// Joins the team vault at `kv` as `member`, invited with `code`: the data key is unwrapped
    /// with the code and wrapped again under `password`, in place of the invitation (which
    /// works once: a second join finds no invitation). Answers the vault with its keys.
    pub fn join(
        kv: Kv,
        member: &str,
        code: &SecretString,
        password: &SecretString,
        kdf: KdfParams,
        rng: &mut dyn Entropy,
        now: DateTime<Utc>,
    ) -> Result<(TeamVault, TeamKeys), TeamError> {
        check_member(member)?;
        let (team_id, generation, _version) = Self::team_entry(&kv)?;
        let config = TeamConfig::new(kv.location(), member, team_id);
        let vault = TeamVault::at(kv, config, generation);
        let (entry, version) = vault.member_entry(member)?;
        if !entry.invited {
            return Err(TeamError::NotInvited { member: member.to_owned() });
        }
        let generations = vault
            .open_member_entry(&entry, &normalise_code(code), None)
            .map_err(|_wrong| TeamError::WrongCode { member: member.to_owned() })?;
        let keys = TeamKeys::new(generations, generation)?;
        let joined = match vault.write_member(member, &keys, (password, false), kdf, version, rng) {
            Err(TeamError::Server(KvError::Conflict)) => {
                return Err(TeamError::NotInvited { member: member.to_owned() });
            }
            other => other?,
        };
        // The invitation (the data key under the code, which was passed along in a chat or an
        // email) leaves the server. The join stands if a policy older than Keydesk's shipped
        // ones does not allow it (the invitation's copy then stays, opened by the code alone).
        let _kept_by_an_older_policy = vault.destroy_older_member_versions(member, joined);
        vault.record(&keys, Action::Join, None, member, now)?;
        Ok((vault, keys))
    }

    /// A member's entry and its version.
    fn member_entry(&self, member: &str) -> Result<(MemberEntry, u64), TeamError> {
        let read = self.kv.read(&format!("members/{member}"))?;
        let Some(Versioned { data, version }) = read else {
            return Err(TeamError::NotMember { member: member.to_owned() });
        };
        let entry = serde_json::from_value(data)
            .map_err(|_bad| TeamError::Tampered { what: format!("member {member}") })?;
        Ok((entry, version))
    }

    /// The data key of each generation in a member's entry, with their password (or
    /// invitation code).
    fn open_member_entry(
        &self,
        entry: &MemberEntry,
        password: &SecretString,
        memory: Option<&mut crypto::KdfMemory>,
    ) -> Result<Vec<(u64, SymmetricKey)>, TeamError> {
        let tampered = || TeamError::Tampered { what: format!("member {}", entry.member) };
        let salt = B64.decode(&entry.salt).map_err(|_bad| tampered())?;
        let kek = crypto::derive_kek_in(password, &salt, entry.kdf, memory)?;
        let ad = self.member_ad(&entry.member);
        if entry.wrapped_private.is_empty() {
            let wrapped = B64.decode(&entry.wrapped_key).map_err(|_bad| tampered())?;
            return Ok(vec![(0, crypto::unwrap_key(&kek, ad.as_bytes(), &wrapped)?)]);
        }
        let wrapped = B64.decode(&entry.wrapped_private).map_err(|_bad| tampered())?;
        let pair = crypto::MemberKeyPair::unwrap(&kek, ad.as_bytes(), &wrapped)?;
        entry
            .sealed_keys
            .iter()
            .map(|(generation, sealed)| {
                let sealed = B64.decode(sealed).map_err(|_bad| tampered())?;
                let key = pair
                    .open_key(self.generation_ad(&entry.member, *generation).as_bytes(), &sealed)
                    .map_err(|_bad| tampered())?;
                Ok((*generation, key))
            })
            .collect()
    }

    /// Writes `member`'s copy of `data`, wrapped under the password (or, with `true`, the
    /// invitation code), if the entry is still at `version` (0: if there is none).
    fn write_member(
        &self,
        member: &str,
        keys: &TeamKeys,
        (password, invited): (&SecretString, bool),
        kdf: KdfParams,
        version: u64,
        rng: &mut dyn Entropy,
    ) -> Result<u64, TeamError> {
        let mut salt = [0u8; crypto::SALT_LEN];
        rng.fill(&mut salt);
        let kek = crypto::derive_kek(password, &salt, kdf)?;
        let pair = crypto::MemberKeyPair::random(rng);
        let wrapped_private = pair.wrap(&kek, self.member_ad(member).as_bytes(), rng)?;
        let mut entry = MemberEntry {
            member: member.to_owned(),
            kdf,
            salt: B64.encode(salt),
            wrapped_key: String::new(),
            public_key: B64.encode(pair.public()),
            wrapped_private: B64.encode(wrapped_private),
            sealed_keys: std::collections::BTreeMap::new(),
            invited,
        };
        for (generation, derived) in &keys.generations {
            self.seal_generation(&mut entry, *generation, &derived.data, rng)?;
        }
        self.put_member(&entry, version)
    }

    /// Adds the data key of `generation` to a member's entry, sealed to their public key.
    fn seal_generation(
        &self,
        entry: &mut MemberEntry,
        generation: u64,
        data: &SymmetricKey,
        rng: &mut dyn Entropy,
    ) -> Result<(), TeamError> {
        let tampered = || TeamError::Tampered { what: format!("member {}", entry.member) };
        let public: [u8; crypto::PUBLIC_KEY_LEN] = B64
            .decode(&entry.public_key)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(tampered)?;
        let ad = self.generation_ad(&entry.member, generation);
        let sealed = crypto::seal_key_to(&public, ad.as_bytes(), data, rng).map_err(|_bad| tampered())?;
        entry.sealed_keys.insert(generation, B64.encode(sealed));
        Ok(())
    }

    /// Writes a member's entry; answers its new version.
    fn put_member(&self, entry: &MemberEntry, version: u64) -> Result<u64, TeamError> {
        let value =
            serde_json::to_value(entry).map_err(|_json| VaultError::Render { what: "a member entry" })?;
        Ok(self.kv.write(&format!("members/{}", entry.member), &value, version, true)?)
    }

    /// Destroys the versions of `member`'s entry older than `version`: what an invitation
    /// code or an old password opened is gone from the server.
    fn destroy_older_member_versions(&self, member: &str, version: u64) -> Result<(), TeamError> {
        let older: Vec<u64> = (1..version).collect();
        Ok(self.kv.destroy(&format!("members/{member}"), &older)?)
    }

    /// A secret sealed under the current generation, bound to the team and the key.
    fn seal_secret(
        &self,
        keys: &TeamKeys,
        subject: &str,
        secret: &SecretString,
        rng: &mut dyn Entropy,
    ) -> Result<String, TeamError> {
        let sealed = crypto::seal(
            &keys.now().data,
            self.secret_ad(subject).as_bytes(),
            secret.expose_secret().as_bytes(),
            rng,
        )?;
        Ok(B64.encode(sealed))
    }

    /// A key's record as its entry keeps it (JSON text).
    fn record_text(record: &KeyRecord) -> Result<String, TeamError> {
        Ok(serde_json::to_string(record).map_err(|_json| VaultError::Render { what: "a key's record" })?)
    }

    /// Writes an entry (a key's, an account's or an incident's: `subject` says which) at
    /// `under` over `version` (check-and-set: 0 for a new one), its record's text and its
    /// sealed secret (empty for none) under a seal that also covers this member, the
    /// generation and the version the entry becomes — so an older version put back on the
    /// server later (a revoked key made active again) does not pass for the current one.
    /// Answers the new version.
    fn write_entry(
        &self,
        keys: &TeamKeys,
        (under, subject): (&str, &str),
        (record_text, secret): (&str, &str),
        version: u64,
    ) -> Result<u64, KvError> {
        let changed_by = &self.config.member;
        let bound = version + 1;
        let bound_text = bound.to_string();
        let parts = self.sealed_parts(subject, record_text, secret, changed_by, Some(&bound_text));
        let seal = crypto::keyed_hash_parts(&keys.now().seal, &parts);
        let entry = json!({
            "record": record_text, "secret": secret, "changed_by": changed_by, "seal": seal,
            "generation": keys.generation(), "bound_version": bound,
        });
        let written = self.kv.write(under, &entry, version, false)?;
        if written != bound {
            // Check-and-set makes the next version the one after the version named.
            return Err(KvError::Malformed { what: "a version other than the next one" });
        }
        Ok(written)
    }

    /// What an entry's seal covers: the team, the subject (a key's id, "account <id>",
    /// "incident <id>"), its record's text, its sealed secret, its last writer and (in entries
    /// written since seals bind one) its version, each after a zero byte (none holds one).
    fn sealed_parts<'a>(
        &'a self,
        subject: &'a str,
        record: &'a str,
        secret: &'a str,
        by: &'a str,
        bound: Option<&'a str>,
    ) -> Vec<&'a [u8]> {
        let mut parts: Vec<&[u8]> = vec![
            self.config.team_id.as_bytes(),
            b"\0",
            subject.as_bytes(),
            b"\0",
            record.as_bytes(),
            b"\0",
            secret.as_bytes(),
            b"\0",
            by.as_bytes(),
        ];
        if let Some(bound) = bound {
            parts.extend([b"\0".as_slice(), bound.as_bytes()]);
        }
        parts
    }

    /// Refuses an entry whose seal does not hold (changed by someone without the team's key),
    /// one put back from an older version, and a live one sealed under an older generation.
    /// `what` names it in the error.
    fn check_entry(
        &self,
        keys: &TeamKeys,
        entry: &SealedRef<'_>,
        live: bool,
        what: &dyn Fn() -> String,
    ) -> Result<(), TeamError> {
        let derived = keys.sealed_under(entry.generation, live, what)?;
        let bound_text = entry.bound.map(|v| v.to_string());
        let parts = self.sealed_parts(
            entry.subject,
            entry.record_text,
            entry.secret,
            entry.changed_by,
            bound_text.as_deref(),
        );
        let holds = crypto::keyed_hash_parts_match(&derived.seal, &parts, entry.seal);
        if holds && entry.bound.is_none_or(|bound| bound == entry.version) {
            Ok(())
        } else {
            Err(TeamError::Tampered { what: what() })
        }
    }

    pub(super) fn check_seal(&self, keys: &TeamKeys, key: &TeamKey) -> Result<(), TeamError> {
        let entry = SealedRef {
            subject: key.record.id.as_str(),
            record_text: &key.record_text,
            secret: &key.secret,
            changed_by: &key.changed_by,
            seal: &key.seal,
            generation: key.generation,
            version: key.version,
            bound: key.bound,
        };
        self.check_entry(keys, &entry, key.record.is_live(), &|| format!("key \"{}\"", key.record.label))
    }

    fn member_ad(&self, member: &str) -> String {
        format!("keydesk-team member {} {member}", self.config.team_id)
    }

    fn generation_ad(&self, member: &str, generation: u64) -> String {
        format!("keydesk-team data key {} {member} {generation}", self.config.team_id)
    }

    /// `subject`: a key's id, or `account <id>` (ids hold no space, so the two never meet).
    fn secret_ad(&self, subject: &str) -> String {
        format!("keydesk-team secret {} {subject}", self.config.team_id)
    }
}

/// `mount/path on addr`, for sentences.
fn place(location: &Location) -> String {
    format!("{}/{} on {}", location.mount, location.path, location.addrs_text())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitation_codes_are_125_bits_in_five_groups_and_read_back_as_typed() {
        let mut rng = crate::vault::test_rng(7);
        let code = invitation_code(&mut rng);
        let text = code.expose_secret();
        assert_eq!(text.len(), 29, "{text}");
        assert_eq!(text.split('-').map(str::len).collect::<Vec<_>>(), [5; 5]);
        assert!(text.bytes().filter(|b| *b != b'-').all(|b| CODE_ALPHABET.contains(&b)));
        assert_ne!(invitation_code(&mut rng).expose_secret(), text, "each code is new");
        // Lower case, spaces instead of dashes, O for 0 and l for 1 read as the same code.
        let typed = text.to_lowercase().replace('-', " ").replace('0', "o").replace('1', "l");
        assert_eq!(normalise_code(&SecretString::from(typed)).expose_secret(), text);
        assert_eq!(normalise_code(&SecretString::from(format!("  {text}\n"))).expose_secret(), text);
    }

    #[test]
    fn member_names_stay_inside_the_members_folder() {
        for good in ["ana", "bo.smith", "cy-2", "dee_e", "ana@example.com"] {
            assert!(check_member(good).is_ok(), "{good}");
        }
        for bad in ["", ".", "..", "../team", "a/b", "ana bo", "é", &"a".repeat(65), ".hidden"] {
            assert!(check_member(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn typed_codes_and_names_never_panic(text in "\\PC{0,80}") {
            let _ = normalise_code(&SecretString::from(text.as_str()));
            let _checked = check_member(&text);
        }
    }
}
