//! The vault's data: what `vault.ron` holds. No secret is ever part of it.
//!
//! These types are plain data; the rules that change them live in [`super::Vault`]. The
//! records (a key, an account, an incident) are stored through [`super::stored`], their own
//! types in the files and the team's entries; the header, the settings and the audit head,
//! which only `vault.ron` holds, are written as they are. Timestamps are UTC, written in
//! RFC 3339.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::crypto::KdfParams;
use crate::providers::Provider;

/// The file format this program writes. Format 5 tags each audit line under a tagging audit
/// key (an older Keydesk must not add untagged lines after them); format 4 keeps leak-lookup
/// hashes at 96 bits in base64. Older formats are read, their hashes cut to 96 bits: format 3 (128 bits; the first
/// to leave out fields at their default, `status: Active` among them, which older readers
/// require), format 2 (256 bits in hex) and format 1 (an audit chain of plain SHA-256 links),
/// its chain keyed from the first save on.
pub const FORMAT: u32 = 5;

/// The oldest format this program reads.
pub const OLDEST_FORMAT: u32 = 1;

/// The whole of `vault.ron`.
#[derive(Debug, Clone, PartialEq)]
pub struct VaultFile {
    /// Format version; a newer one is refused, never rewritten.
    pub format: u32,
    pub header: Header,
    pub accounts: Vec<Account>,
    pub keys: Vec<KeyRecord>,
    /// Suspected leaks, open and closed, oldest first.
    pub incidents: Vec<Incident>,
    /// How far the audit log reached at the last save.
    pub audit: AuditHead,
    /// HMAC-SHA256 (hex), under a key derived from the data key, of this file as written with
    /// this field empty: an edit made outside Keydesk (a label, a status, the audit head)
    /// shows at the next unlock.
    pub integrity: String,
}

/// A key's id in the vault: 16 hex digits, made when the key is kept. The window and the
/// core name keys only by id; finding a key by the start of its id or by its label is the
/// command line's business.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyId(String);

impl KeyId {
    /// The id as written in `vault.ron` and the audit log.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An id read back from text the vault wrote (a record, an audit line, a command).
    pub fn from_stored(text: &str) -> Self {
        KeyId(text.to_owned())
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads as its text wherever text is wanted (messages, store entry names, audit lines).
impl std::ops::Deref for KeyId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for KeyId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl VaultFile {
    /// The key with exactly this id.
    pub fn key(&self, id: &KeyId) -> Option<&KeyRecord> {
        self.keys.iter().find(|k| k.id == *id)
    }

    /// The provider account with exactly this id.
    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }
}

/// Vault-wide facts: identity, key derivation, wrapped data key, where secrets live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub vault_id: String,
    pub created_at: DateTime<Utc>,
    pub kdf: KdfParams,
    /// Argon2 salt, base64.
    pub salt: String,
    /// The data key sealed under the password-derived key, base64 (nonce || ciphertext).
    pub wrapped_data_key: String,
    pub secret_store: SecretBackend,
    #[serde(default)]
    pub settings: Settings,
    /// Counts every save: with the last one kept outside the folder, an older copy put back
    /// in place of the vault shows as a rollback.
    #[serde(default)]
    pub generation: u64,
    /// The keys that link the audit log's lines, oldest first: each is sealed under the data
    /// key and links the lines after `after`. Lines before the first (a vault written by
    /// format 1) are linked by plain SHA-256.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audit_keys: Vec<AuditKey>,
    /// The key of the leak-lookup hashes, sealed under the data key, once the data key was
    /// changed (before that it is derived from the data key): it outlives a change of data
    /// key so revoked keys, whose secrets are gone, are still recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup_key: Option<String>,
    /// While a change of data key is under way: the previous data key, sealed under the new
    /// one, so that a secret not yet re-encrypted still opens (see `Vault::change_data_key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_data_key: Option<String>,
    /// The vault id the audit log's chain began under, when the vault has had another id since
    /// (a backup restored as a vault of its own): the chain's first link is made from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_chain_id: Option<String>,
    /// The browsers (a program and its profile folder, as [`crate::browser::peer`] names them)
    /// the user allowed to ask for keys on the pages of their integrations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub browsers: Vec<String>,
    /// The leak guard (off unless turned on): an allowed browser may have a key-shaped text
    /// pasted into a page checked, and is warned when it is a key of this vault and the page
    /// is not one of its integrations (`crate::browser::guard`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub leak_guard: bool,
}

impl Header {
    /// The id the audit chain's first link is made from.
    pub fn chain_id(&self) -> &str {
        self.audit_chain_id.as_deref().unwrap_or(&self.vault_id)
    }
}

/// One key of the audit chain: it links lines `after + 1` onwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditKey {
    pub after: u64,
    /// Whether each line it links carries a tag of its own (every key made by format 5 on):
    /// the newest line is then covered as soon as it is written, not only once a later line
    /// links it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tagged: bool,
    /// The key sealed under the data key, base64 (nonce || ciphertext).
    pub sealed: String,
}

/// Where the encrypted secret values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SecretBackend {
    /// The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager).
    Keychain,
    /// `secrets.ron` in the vault folder, for machines without a keychain.
    File,
}

impl SecretBackend {
    /// The command-line name.
    pub fn slug(self) -> &'static str {
        match self {
            SecretBackend::Keychain => "keychain",
            SecretBackend::File => "file",
        }
    }
}

/// User settings kept in the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub auto_lock_minutes: u32,
    pub clipboard_clear_secs: u32,
    /// The window checks every key at its provider once a week while it is unlocked (off
    /// unless chosen).
    #[serde(skip_serializing_if = "is_false")]
    pub check_weekly: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { auto_lock_minutes: 5, clipboard_clear_secs: 20, check_weekly: false }
    }
}

/// A provider account: where keys are made and revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub provider: Provider,
    pub region: Option<String>,
    /// Overrides the provider's API base URL.
    pub base_url: Option<String>,
    /// Whether a management key is stored for this account (under the account's id).
    pub has_management_key: bool,
    /// What the management key may do, as its last test listed (SendGrid lists its scopes);
    /// `None` until a test told.
    pub management_scopes: Option<Vec<String>>,
    pub created_at: DateTime<Utc>,
}

/// One API key's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRecord {
    pub id: KeyId,
    pub label: String,
    pub provider: Provider,
    /// The provider account it belongs to, by id.
    pub account: Option<String>,
    /// The provider's own id of the key, where it has one (e.g. SendGrid's `api_key_id`).
    pub provider_key_id: Option<String>,
    /// Region the key names or was made in (e.g. Mailchimp's `us6`).
    pub region: Option<String>,
    pub scopes: Vec<String>,
    /// Safe to show: known prefix, an ellipsis, last 4 characters.
    pub hint: String,
    /// HMAC-SHA256 of the secret under the vault's lookup key, its first 96 bits in base64
    /// (see [`super::crypto::lookup_hash`]).
    pub lookup_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub rotate_after_days: Option<u32>,
    pub status: KeyStatus,
    pub integrations: Vec<Integration>,
    pub notes: String,
    /// Words to group keys by (an imported password manager's folder or group, its tags).
    pub tags: Vec<String>,
    pub copy_count: u64,
    pub last_copied_at: Option<DateTime<Utc>>,
    pub reveal_count: u64,
    pub last_verified: Option<Verification>,
    /// The key this one replaced (rotation or revoke with replacement).
    pub replaces: Option<KeyId>,
    /// The key that replaced this one.
    pub replaced_by: Option<KeyId>,
    /// Set when a revoke at the provider failed: the key still works there.
    pub provider_revoke_pending: Option<String>,
    /// On a key being replaced: the move of its integrations to the new key (`replaced_by`),
    /// until the rotation is completed (this key revoked) or abandoned.
    /// (Boxed, as `usage`: few keys have one, and 10,000 records stay smaller in memory.)
    pub rotation: Option<Box<Rotation>>,
    /// What the provider last said about when the key was used (only where its API tells).
    pub usage: Option<Box<ProviderUsage>>,
}

/// When the provider says a key was last used, and when Keydesk asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderUsage {
    pub checked_at: DateTime<Utc>,
    /// `None`: never used, as far as the provider tracks it.
    pub last_used: Option<DateTime<Utc>>,
    /// Where or with what it was used (AWS: service and region).
    pub detail: String,
    /// The provider call the answer came from.
    pub source: String,
}

/// A use of a key at its provider after the moment nothing should use it any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnexpectedUse {
    pub used_at: DateTime<Utc>,
    /// When the key was revoked, or when its last integration moved to the new key.
    pub since: DateTime<Utc>,
    pub revoked: bool,
}

/// A suspected leak of a key: where and by whom it was found, and every step taken since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    /// 8 hex digits.
    pub id: String,
    pub key: KeyId,
    pub opened_at: DateTime<Utc>,
    /// Where the key was found (a log, a repository, an e-mail…), as the user said it.
    pub found_where: String,
    pub noticed_by: String,
    pub notes: String,
    /// What happened to the key since, oldest first (added by the vault as it happens).
    pub timeline: Vec<IncidentEvent>,
    pub closed_at: Option<DateTime<Utc>>,
    pub summary: String,
}

/// One step of an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentEvent {
    pub at: DateTime<Utc>,
    pub what: String,
}

impl VaultFile {
    /// The key whose rotation `id` is part of — `id` itself while it is being replaced, or
    /// the key it replaces when that one is — with the rotation.
    pub fn rotation_of(&self, id: &KeyId) -> Option<(&KeyRecord, &Rotation)> {
        super::lifecycle::rotation_in(&self.keys, id)
    }

    /// Adds `what` to the timeline of every open incident about `key`, or about the key it
    /// replaces (a leak response goes on with the replacement).
    pub fn note_incidents(&mut self, key: &KeyId, at: DateTime<Utc>, what: &str) {
        let replaced = self.key(key).and_then(|k| k.replaces.clone());
        for incident in self.incidents.iter_mut().filter(|i| i.closed_at.is_none()) {
            if incident.key == *key || replaced.as_ref() == Some(&incident.key) {
                incident.timeline.push(IncidentEvent { at, what: what.to_owned() });
            }
        }
    }
}

/// A rotation under way: one step per integration of the old key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub started_at: DateTime<Utc>,
    pub steps: Vec<RotationStep>,
}

/// Moving one integration to the new key: its settings updated, then the new key tested there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationStep {
    pub integration: String,
    pub updated_at: Option<DateTime<Utc>>,
    pub tested_at: Option<DateTime<Utc>>,
}

impl RotationStep {
    /// Updated and tested: the integration uses the new key.
    pub fn moved(&self) -> bool {
        self.updated_at.is_some() && self.tested_at.is_some()
    }
}

impl Rotation {
    /// How many integrations have moved, of how many.
    pub fn progress(&self) -> (usize, usize) {
        (self.steps.iter().filter(|s| s.moved()).count(), self.steps.len())
    }
}

/// A key's life cycle.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum KeyStatus {
    #[default]
    Active,
    /// Replaced by a newer key; still valid until the integrations move over.
    Retiring,
    /// Revoked; its secret has been deleted.
    Revoked { at: DateTime<Utc>, reason: String },
}

impl VerifyOutcome {
    /// The sentence the user reads (docs/providers.md lists what each outcome means).
    pub fn sentence(&self) -> String {
        match self {
            VerifyOutcome::Works { scopes, note } => {
                let mut said = "Key works".to_owned();
                if let Some(note) = note {
                    said.push_str(&format!(" ({note})"));
                }
                if !scopes.is_empty() {
                    said.push_str(&format!("; scopes: {}", scopes.join(", ")));
                }
                said.push('.');
                said
            }
            VerifyOutcome::Unauthorized => {
                "Refused: the provider does not accept this key — it is wrong or was revoked.".to_owned()
            }
            VerifyOutcome::LacksPermission { detail } if detail.is_empty() => {
                "Works, but lacks the permission for this check (HTTP 403): the key is valid with narrower rights.".to_owned()
            }
            VerifyOutcome::LacksPermission { detail } => {
                format!("Works, but lacks permission: {detail}.")
            }
            VerifyOutcome::CannotCheck { why } => format!("Can't be checked without using it: {why}."),
            VerifyOutcome::WrongRegion { fix } => format!("Wrong region: {fix}."),
            VerifyOutcome::ConnectionProblem { cause, kind } => {
                format!("Keydesk couldn't reach {cause}: {}. Nothing was changed.", kind.advice())
            }
            VerifyOutcome::RateLimited { retry_after_secs: Some(secs) } => {
                format!("Rate limited: try again in {secs} s.")
            }
            VerifyOutcome::RateLimited { retry_after_secs: None } => {
                "Rate limited: try again in a minute.".to_owned()
            }
            VerifyOutcome::ProviderTrouble { status } if *status >= 500 => {
                format!("The provider is having trouble (HTTP {status}): try again later.")
            }
            VerifyOutcome::ProviderTrouble { status } => {
                format!(
                    "The provider answered HTTP {status}, which is not a verdict on the key: check the account's address."
                )
            }
            VerifyOutcome::ChecksumOk => {
                "The key's checksum is right (Keydesk keys are checked offline).".to_owned()
            }
        }
    }

    /// Whether the key was accepted.
    pub fn works(&self) -> bool {
        matches!(self, VerifyOutcome::Works { .. } | VerifyOutcome::ChecksumOk)
    }

    /// Whether the provider said the key is dead (the only proof a revoke happened).
    pub fn refused(&self) -> bool {
        matches!(self, VerifyOutcome::Unauthorized)
    }

    /// A short word for lists and JSON.
    pub fn word(&self) -> &'static str {
        match self {
            VerifyOutcome::Works { .. } | VerifyOutcome::ChecksumOk => "works",
            VerifyOutcome::Unauthorized => "refused",
            VerifyOutcome::LacksPermission { .. } => "lacks permission",
            VerifyOutcome::CannotCheck { .. } => "cannot check",
            VerifyOutcome::WrongRegion { .. } => "wrong region",
            VerifyOutcome::ConnectionProblem { .. } => "could not check (network)",
            VerifyOutcome::RateLimited { .. } => "could not check (rate limited)",
            VerifyOutcome::ProviderTrouble { .. } => "could not check (provider trouble)",
        }
    }
}

impl KeyStatus {
    /// Whether the key is in use and not being replaced (what a record without a status is).
    pub fn is_active(&self) -> bool {
        *self == KeyStatus::Active
    }

    /// The word a person reads.
    pub fn word(&self) -> &'static str {
        match self {
            KeyStatus::Active => "active",
            KeyStatus::Retiring => "retiring",
            KeyStatus::Revoked { .. } => "revoked",
        }
    }
}

/// A place that uses a key, e.g. "HubSpot → Settings → Email integrations".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    pub name: String,
    pub url: Option<String>,
    pub note: String,
}

#[allow(clippy::trivially_copy_pass_by_ref, reason = "serde's skip_serializing_if passes a reference")]
fn is_false(flag: &bool) -> bool {
    !*flag
}

/// The last time a key was checked at its provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub at: DateTime<Utc>,
    pub outcome: VerifyOutcome,
}

/// What a provider said about a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyOutcome {
    Works {
        scopes: Vec<String>,
        /// What else the provider said about the key (e.g. which kind of Postmark token).
        note: Option<String>,
    },
    /// The provider refused the key: it is wrong or revoked.
    Unauthorized,
    /// The key was accepted but may not make this call (HTTP 403): it works with less
    /// permission. Never proof that a key is dead.
    LacksPermission {
        detail: String,
    },
    /// The key cannot be checked without using it for real (a sending-only key).
    CannotCheck {
        why: String,
    },
    /// The key works, at another region or data centre than the one Keydesk called.
    WrongRegion {
        fix: String,
    },
    ConnectionProblem {
        cause: String,
        kind: crate::providers::NetKind,
    },
    RateLimited {
        retry_after_secs: Option<u64>,
    },
    ProviderTrouble {
        status: u16,
    },
    /// Checked offline (Keydesk keys: the checksum).
    ChecksumOk,
}

impl VaultFile {
    /// Counts the copies and reveals that `log` (the audit log's text) holds after the head
    /// this file sealed — appended since its last save — into the keys they name; a key no
    /// longer in the file is passed over.
    pub fn count_unsaved_uses(&mut self, log: &str) {
        let uses = super::audit::uses_after(log, self.audit.entries);
        if uses.is_empty() {
            return;
        }
        let at: std::collections::HashMap<&str, usize> =
            self.keys.iter().enumerate().map(|(index, key)| (key.id.as_str(), index)).collect();
        let found: Vec<(usize, &super::audit::Record)> =
            uses.iter().filter_map(|used| Some((*at.get(used.key.as_deref()?)?, used))).collect();
        for (index, used) in found {
            self.keys[index].count_use(used);
        }
    }
}

impl KeyRecord {
    /// Counts `used`, an audit record of a copy or a reveal of this key that worked: what such
    /// a line means for the key's counts, both as it happens and when the log is read again.
    pub fn count_use(&mut self, used: &super::audit::Record) {
        match used.action {
            super::audit::Action::Copy => {
                self.copy_count += 1;
                self.last_copied_at = self.last_copied_at.max(Some(super::whole_seconds(used.at)));
            }
            super::audit::Action::Reveal => self.reveal_count += 1,
            _ => {}
        }
    }
}

/// The audit log's length and last line hash as of the last save, so truncation shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub entries: u64,
    pub last_hash: String,
}

/// Attention a key needs, derived from its record and the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Attention {
    Expired,
    /// Expires within 14 days.
    ExpiringSoon {
        days: i64,
    },
    RotationDue,
    NeverVerified,
    Retiring,
}

impl KeyRecord {
    /// Whether the key is usable (not revoked).
    pub fn is_live(&self) -> bool {
        !matches!(self.status, KeyStatus::Revoked { .. })
    }

    /// A use at the provider after the key was revoked, or after every integration of a
    /// retiring key moved to its replacement: possibly someone else's. A retiring key whose
    /// integrations have not all moved is expected to be in use.
    pub fn unexpected_use(&self) -> Option<UnexpectedUse> {
        self.unexpected_use_at(self.usage.as_ref()?.last_used?)
    }

    /// [`KeyRecord::unexpected_use`] for a use at `used_at` (an answer not yet recorded).
    pub fn unexpected_use_at(&self, used_at: DateTime<Utc>) -> Option<UnexpectedUse> {
        let (since, revoked) = match &self.status {
            KeyStatus::Revoked { at, .. } => (*at, true),
            KeyStatus::Retiring => {
                let rotation = self.rotation.as_ref()?;
                if !rotation.steps.iter().all(RotationStep::moved) {
                    return None;
                }
                let last_move = rotation.steps.iter().filter_map(|s| s.tested_at.max(s.updated_at)).max();
                (last_move.unwrap_or(rotation.started_at), false)
            }
            KeyStatus::Active => return None,
        };
        (used_at > since).then_some(UnexpectedUse { used_at, since, revoked })
    }

    /// When the key should be rotated, when it has a rotation period.
    pub fn rotation_due_at(&self) -> Option<DateTime<Utc>> {
        let days = chrono::Duration::try_days(i64::from(self.rotate_after_days?))?;
        self.created_at.checked_add_signed(days)
    }

    /// What about this key needs the user's attention at `now`.
    pub fn attention(&self, now: DateTime<Utc>) -> Vec<Attention> {
        let mut out = Vec::new();
        if !self.is_live() {
            return out;
        }
        if let Some(expires) = self.expires_at {
            let days = (expires - now).num_days();
            if expires <= now {
                out.push(Attention::Expired);
            } else if days < 14 {
                out.push(Attention::ExpiringSoon { days });
            }
        }
        if let Some(due) = self.rotation_due_at()
            && due <= now
            && self.status == KeyStatus::Active
        {
            out.push(Attention::RotationDue);
        }
        if self.last_verified.is_none() && self.provider != Provider::Keydesk {
            out.push(Attention::NeverVerified);
        }
        if self.status == KeyStatus::Retiring {
            out.push(Attention::Retiring);
        }
        out
    }
}
