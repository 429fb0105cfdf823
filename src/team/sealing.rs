//! The team's keys: a member's entry, invitation codes, the data key of each generation and
//! what it derives, and a key's entry as the server keeps it.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::TeamError;
use crate::vault::Entropy;
use crate::vault::crypto::{self, KdfParams, SymmetricKey};
use crate::vault::model::KeyRecord;
use crate::vault::stored::{self, Stores as _};

/// A member's copy of the team's keys, as kept under `members/<name>`: the member's X25519
/// key pair, its private half wrapped under a key from the member's password (or, until they
/// join, from the one-time code of their invitation), and the team's data key of every
/// generation sealed to its public half — so an admin hands a new data key to each member
/// without their password when one is removed.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct MemberEntry {
    pub(super) member: String,
    pub(super) kdf: KdfParams,
    pub(super) salt: String,
    /// Before key pairs: the data key wrapped under the password's key (read, then replaced
    /// at the member's next unlock).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(super) wrapped_key: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(super) public_key: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(super) wrapped_private: String,
    /// Generation → the data key of that generation, sealed to `public_key`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub(super) sealed_keys: std::collections::BTreeMap<u64, String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(super) invited: bool,
}

/// The letters of an invitation code: Crockford's base32 (no I, L, O or U to misread).
pub(super) const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// 25 characters of 5 bits: 125 bits, in five groups of five.
pub(super) const CODE_LEN: usize = 25;

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
pub(super) fn normalise_code(typed: &SecretString) -> SecretString {
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
pub(super) struct Derived {
    pub(super) data: SymmetricKey,
    pub(super) seal: SymmetricKey,
    pub(super) lookup: SymmetricKey,
    pub(super) audit: SymmetricKey,
}

impl Derived {
    pub(super) fn from_data(data: SymmetricKey) -> Self {
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
    pub(super) current: u64,
    pub(super) generations: std::collections::BTreeMap<u64, Derived>,
    /// Whether a live entry sealed under an older generation is taken: only by a member's
    /// removal, which seals such entries again under the new one. Anyone else refuses them:
    /// a removed member still holds the older generations' keys.
    pub(super) older_live: bool,
}

impl TeamKeys {
    pub(super) fn new(generations: Vec<(u64, SymmetricKey)>, current: u64) -> Result<Self, TeamError> {
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
    pub(super) fn sealed_under(
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

    pub(super) fn now(&self) -> &Derived {
        // `new` and `add_generation` keep the current generation in the map.
        self.generations.get(&self.current).unwrap_or_else(|| unreachable!("the current generation is held"))
    }

    pub(super) fn at(&self, generation: u64) -> Result<&Derived, TeamError> {
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
    pub(super) record_text: String,
    pub(super) secret: String,
    pub(super) seal: String,
    /// The version its seal binds it to (none in entries written before seals bound one).
    pub(super) bound: Option<u64>,
}

/// An entry as the server keeps it: a record's JSON text, its sealed secret (empty for none),
/// the seal over both, the last writer, the generation it was sealed under, its version.
pub(super) struct Stored {
    pub(super) record_text: String,
    pub(super) secret: String,
    pub(super) seal: String,
    pub(super) changed_by: String,
    pub(super) generation: u64,
    pub(super) version: u64,
    /// The version its seal binds it to (none in entries written before seals bound one).
    pub(super) bound: Option<u64>,
}

/// An entry's parts its seal is checked against, as read.
pub(super) struct SealedRef<'a> {
    pub(super) subject: &'a str,
    pub(super) record_text: &'a str,
    pub(super) secret: &'a str,
    pub(super) changed_by: &'a str,
    pub(super) seal: &'a str,
    pub(super) generation: u64,
    pub(super) version: u64,
    pub(super) bound: Option<u64>,
}

impl Stored {
    /// The record, or `Tampered` naming `what` when it does not parse.
    pub(super) fn parse<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T, TeamError> {
        serde_json::from_str(&self.record_text).map_err(|_bad| TeamError::Tampered { what: what.to_owned() })
    }

    /// The key's record, or `Tampered` naming `what` when it does not parse.
    pub(super) fn key(&self, what: &str) -> Result<KeyRecord, TeamError> {
        self.parse(what).map(stored::Key::into_model)
    }

    /// The provider account's record, or `Tampered` naming `what` when it does not parse.
    pub(super) fn account(&self, what: &str) -> Result<crate::vault::model::Account, TeamError> {
        self.parse(what).map(stored::Account::into_model)
    }
}
