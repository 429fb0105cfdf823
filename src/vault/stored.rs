//! The records as they are stored: a key, a provider account and an incident as `vault.ron`
//! (RON) and a team vault's entries (JSON) hold them, and the whole of `vault.ron`.
//!
//! These are the formats' own types, converted to and from the model ([`super::model`], which
//! has no serde): a field added to or renamed in the model changes no file and no entry until
//! it is written here too, and a stored name never has to follow the code. Values with a text
//! of their own (a key's id, a provider, a time, the password's cost) are stored as that text.
//! What is at its default is left out (each such field reads back as its default), which
//! keeps `vault.ron` small.
//!
//! Writing borrows the model (a save at 100,000 keys copies no record); reading moves what was
//! read into it.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::model::{self, AuditHead, Header, KeyId, VaultFile};
use crate::providers::{NetKind, Provider};

/// The whole of `vault.ron`.
#[derive(Serialize, Deserialize)]
pub struct VaultRon<'a> {
    /// Format version; a newer one is refused, never rewritten.
    pub format: u32,
    pub header: Cow<'a, Header>,
    #[serde(default)]
    accounts: Records<'a, Account<'a>>,
    #[serde(default)]
    keys: Records<'a, Key<'a>>,
    #[serde(default, skip_serializing_if = "Records::is_empty")]
    incidents: Records<'a, Incident<'a>>,
    #[serde(default)]
    audit: Cow<'a, AuditHead>,
    #[serde(default)]
    integrity: Cow<'a, str>,
}

impl<'a> VaultRon<'a> {
    /// `file` as it is written.
    pub fn of(file: &'a VaultFile) -> Self {
        VaultRon {
            format: file.format,
            header: Cow::Borrowed(&file.header),
            accounts: Records::Model(&file.accounts),
            keys: Records::Model(&file.keys),
            incidents: Records::Model(&file.incidents),
            audit: Cow::Borrowed(&file.audit),
            integrity: Cow::Borrowed(&file.integrity),
        }
    }

    /// The file read.
    pub fn into_model(self) -> VaultFile {
        VaultFile {
            format: self.format,
            header: self.header.into_owned(),
            accounts: self.accounts.into_model(),
            keys: self.keys.into_model(),
            incidents: self.incidents.into_model(),
            audit: self.audit.into_owned(),
            integrity: self.integrity.into_owned(),
        }
    }
}

/// A stored type with the model's record it writes and reads.
pub trait Stores<'a>: Sized {
    type Model: 'a;
    fn of(model: &'a Self::Model) -> Self;
    fn into_model(self) -> Self::Model;
}

/// A list of records (or of a key's integrations) in `vault.ron`: written straight from the model's, each converted as it
/// is written (no stored copy of a 100,000-key list is made first); read as the stored ones.
pub enum Records<'a, S: Stores<'a>> {
    Model(&'a [S::Model]),
    /// Each record converted to the model as it was read.
    Read(Vec<S::Model>),
}

impl<'a, S: Stores<'a>> Records<'a, S> {
    fn is_empty(&self) -> bool {
        match self {
            Records::Model(list) => list.is_empty(),
            Records::Read(list) => list.is_empty(),
        }
    }

    fn into_model(self) -> Vec<S::Model> {
        match self {
            Records::Model(list) => list.iter().map(|record| S::of(record).into_model()).collect(),
            Records::Read(list) => list,
        }
    }
}

impl<'a, S: Stores<'a>> Default for Records<'a, S> {
    fn default() -> Self {
        Records::Read(Vec::new())
    }
}

impl<'a, S: Stores<'a> + Serialize> Serialize for Records<'a, S> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        match self {
            Records::Model(list) => serializer.collect_seq(list.iter().map(S::of)),
            // What was read is in the model now, and is written from there (`VaultRon::of`).
            Records::Read(_) => {
                Err(serde::ser::Error::custom("a list read is written from the model it was read into"))
            }
        }
    }
}

impl<'de, 'a, S: Stores<'a> + Deserialize<'de>> Deserialize<'de> for Records<'a, S> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(Each::<S>(std::marker::PhantomData)).map(Records::Read)
    }
}

/// Reads a list of stored records into the model's, one at a time (no list of stored records
/// is held beside the model's).
struct Each<'a, S>(std::marker::PhantomData<(&'a (), S)>);

impl<'de, 'a, S: Stores<'a> + Deserialize<'de>> serde::de::Visitor<'de> for Each<'a, S> {
    type Value = Vec<S::Model>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a list")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // The hint is the reader's claim: a list of 100,000 records is grown, not trusted.
        let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(record) = seq.next_element::<S>()? {
            list.push(record.into_model());
        }
        Ok(list)
    }
}

/// One API key's metadata ([`model::KeyRecord`]).
#[derive(Serialize, Deserialize)]
pub struct Key<'a> {
    id: Cow<'a, KeyId>,
    label: Cow<'a, str>,
    provider: Provider,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    provider_key_id: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    region: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "none")]
    scopes: Cow<'a, [String]>,
    hint: Cow<'a, str>,
    /// Formats 1 to 3 kept longer hashes: `format::parse` cuts them to 96 bits.
    pub lookup_hash: Cow<'a, str>,
    created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rotate_after_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Status::is_active")]
    status: Status<'a>,
    #[serde(default, skip_serializing_if = "Records::is_empty")]
    integrations: Records<'a, Integration<'a>>,
    #[serde(default, skip_serializing_if = "blank")]
    notes: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "none")]
    tags: Cow<'a, [String]>,
    #[serde(default, skip_serializing_if = "is_zero")]
    copy_count: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_copied_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "is_zero")]
    reveal_count: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_verified: Option<Verification<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    replaces: Option<Cow<'a, KeyId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    replaced_by: Option<Cow<'a, KeyId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    provider_revoke_pending: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rotation: Option<Rotation<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    usage: Option<Usage<'a>>,
}

impl<'a> Stores<'a> for Key<'a> {
    type Model = model::KeyRecord;

    /// `record` as it is written.
    fn of(record: &'a model::KeyRecord) -> Self {
        Key {
            id: Cow::Borrowed(&record.id),
            label: Cow::Borrowed(&record.label),
            provider: record.provider,
            account: borrowed(record.account.as_ref()),
            provider_key_id: borrowed(record.provider_key_id.as_ref()),
            region: borrowed(record.region.as_ref()),
            scopes: Cow::Borrowed(&record.scopes),
            hint: Cow::Borrowed(&record.hint),
            lookup_hash: Cow::Borrowed(&record.lookup_hash),
            created_at: record.created_at,
            expires_at: record.expires_at,
            rotate_after_days: record.rotate_after_days,
            status: Status::of(&record.status),
            integrations: Records::Model(&record.integrations),
            notes: Cow::Borrowed(&record.notes),
            tags: Cow::Borrowed(&record.tags),
            copy_count: record.copy_count,
            last_copied_at: record.last_copied_at,
            reveal_count: record.reveal_count,
            last_verified: record.last_verified.as_ref().map(Verification::of),
            replaces: record.replaces.as_ref().map(Cow::Borrowed),
            replaced_by: record.replaced_by.as_ref().map(Cow::Borrowed),
            provider_revoke_pending: borrowed(record.provider_revoke_pending.as_ref()),
            rotation: record.rotation.as_deref().map(Rotation::of),
            usage: record.usage.as_deref().map(Usage::of),
        }
    }

    /// The record read.
    fn into_model(self) -> model::KeyRecord {
        model::KeyRecord {
            id: self.id.into_owned(),
            label: self.label.into_owned(),
            provider: self.provider,
            account: owned(self.account),
            provider_key_id: owned(self.provider_key_id),
            region: owned(self.region),
            scopes: self.scopes.into_owned(),
            hint: self.hint.into_owned(),
            lookup_hash: self.lookup_hash.into_owned(),
            created_at: self.created_at,
            expires_at: self.expires_at,
            rotate_after_days: self.rotate_after_days,
            status: self.status.into_model(),
            integrations: self.integrations.into_model(),
            notes: self.notes.into_owned(),
            tags: self.tags.into_owned(),
            copy_count: self.copy_count,
            last_copied_at: self.last_copied_at,
            reveal_count: self.reveal_count,
            last_verified: self.last_verified.map(Verification::into_model),
            replaces: self.replaces.map(Cow::into_owned),
            replaced_by: self.replaced_by.map(Cow::into_owned),
            provider_revoke_pending: owned(self.provider_revoke_pending),
            rotation: self.rotation.map(|rotation| Box::new(rotation.into_model())),
            usage: self.usage.map(|usage| Box::new(usage.into_model())),
        }
    }
}

/// A key's life cycle ([`model::KeyStatus`]).
#[derive(Default, Serialize, Deserialize)]
enum Status<'a> {
    #[default]
    Active,
    Retiring,
    Revoked {
        at: DateTime<Utc>,
        reason: Cow<'a, str>,
    },
}

impl<'a> Status<'a> {
    fn of(status: &'a model::KeyStatus) -> Self {
        match status {
            model::KeyStatus::Active => Status::Active,
            model::KeyStatus::Retiring => Status::Retiring,
            model::KeyStatus::Revoked { at, reason } => {
                Status::Revoked { at: *at, reason: Cow::Borrowed(reason) }
            }
        }
    }

    fn into_model(self) -> model::KeyStatus {
        match self {
            Status::Active => model::KeyStatus::Active,
            Status::Retiring => model::KeyStatus::Retiring,
            Status::Revoked { at, reason } => model::KeyStatus::Revoked { at, reason: reason.into_owned() },
        }
    }

    fn is_active(&self) -> bool {
        matches!(self, Status::Active)
    }
}

/// A place that uses a key ([`model::Integration`]).
#[derive(Serialize, Deserialize)]
struct Integration<'a> {
    name: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "blank")]
    note: Cow<'a, str>,
}

impl<'a> Stores<'a> for Integration<'a> {
    type Model = model::Integration;
    fn of(integration: &'a model::Integration) -> Self {
        Integration {
            name: Cow::Borrowed(&integration.name),
            url: borrowed(integration.url.as_ref()),
            note: Cow::Borrowed(&integration.note),
        }
    }

    fn into_model(self) -> model::Integration {
        model::Integration {
            name: self.name.into_owned(),
            url: owned(self.url),
            note: self.note.into_owned(),
        }
    }
}

/// The last check of a key at its provider ([`model::Verification`]).
#[derive(Serialize, Deserialize)]
struct Verification<'a> {
    at: DateTime<Utc>,
    outcome: Outcome<'a>,
}

impl<'a> Verification<'a> {
    fn of(verification: &'a model::Verification) -> Self {
        Verification { at: verification.at, outcome: Outcome::of(&verification.outcome) }
    }

    fn into_model(self) -> model::Verification {
        model::Verification { at: self.at, outcome: self.outcome.into_model() }
    }
}

/// What a provider said about a key ([`model::VerifyOutcome`]).
#[derive(Serialize, Deserialize)]
enum Outcome<'a> {
    Works {
        scopes: Cow<'a, [String]>,
        #[serde(default)]
        note: Option<Cow<'a, str>>,
    },
    Unauthorized,
    LacksPermission {
        #[serde(default)]
        detail: Cow<'a, str>,
    },
    CannotCheck {
        why: Cow<'a, str>,
    },
    WrongRegion {
        fix: Cow<'a, str>,
    },
    ConnectionProblem {
        cause: Cow<'a, str>,
        #[serde(default)]
        kind: NetKind,
    },
    RateLimited {
        retry_after_secs: Option<u64>,
    },
    ProviderTrouble {
        status: u16,
    },
    ChecksumOk,
}

impl<'a> Outcome<'a> {
    fn of(outcome: &'a model::VerifyOutcome) -> Self {
        use model::VerifyOutcome as Said;
        match outcome {
            Said::Works { scopes, note } => {
                Outcome::Works { scopes: Cow::Borrowed(scopes), note: borrowed(note.as_ref()) }
            }
            Said::Unauthorized => Outcome::Unauthorized,
            Said::LacksPermission { detail } => Outcome::LacksPermission { detail: Cow::Borrowed(detail) },
            Said::CannotCheck { why } => Outcome::CannotCheck { why: Cow::Borrowed(why) },
            Said::WrongRegion { fix } => Outcome::WrongRegion { fix: Cow::Borrowed(fix) },
            Said::ConnectionProblem { cause, kind } => {
                Outcome::ConnectionProblem { cause: Cow::Borrowed(cause), kind: *kind }
            }
            Said::RateLimited { retry_after_secs } => {
                Outcome::RateLimited { retry_after_secs: *retry_after_secs }
            }
            Said::ProviderTrouble { status } => Outcome::ProviderTrouble { status: *status },
            Said::ChecksumOk => Outcome::ChecksumOk,
        }
    }

    fn into_model(self) -> model::VerifyOutcome {
        use model::VerifyOutcome as Said;
        match self {
            Outcome::Works { scopes, note } => Said::Works { scopes: scopes.into_owned(), note: owned(note) },
            Outcome::Unauthorized => Said::Unauthorized,
            Outcome::LacksPermission { detail } => Said::LacksPermission { detail: detail.into_owned() },
            Outcome::CannotCheck { why } => Said::CannotCheck { why: why.into_owned() },
            Outcome::WrongRegion { fix } => Said::WrongRegion { fix: fix.into_owned() },
            Outcome::ConnectionProblem { cause, kind } => {
                Said::ConnectionProblem { cause: cause.into_owned(), kind }
            }
            Outcome::RateLimited { retry_after_secs } => Said::RateLimited { retry_after_secs },
            Outcome::ProviderTrouble { status } => Said::ProviderTrouble { status },
            Outcome::ChecksumOk => Said::ChecksumOk,
        }
    }
}

/// A rotation under way ([`model::Rotation`]).
#[derive(Serialize, Deserialize)]
struct Rotation<'a> {
    started_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "none")]
    steps: Vec<Step<'a>>,
}

/// Moving one integration to the new key ([`model::RotationStep`]).
#[derive(Serialize, Deserialize)]
struct Step<'a> {
    integration: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    updated_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tested_at: Option<DateTime<Utc>>,
}

impl<'a> Rotation<'a> {
    fn of(rotation: &'a model::Rotation) -> Self {
        let step = |step: &'a model::RotationStep| Step {
            integration: Cow::Borrowed(&step.integration),
            updated_at: step.updated_at,
            tested_at: step.tested_at,
        };
        Rotation { started_at: rotation.started_at, steps: rotation.steps.iter().map(step).collect() }
    }

    fn into_model(self) -> model::Rotation {
        let step = |step: Step<'_>| model::RotationStep {
            integration: step.integration.into_owned(),
            updated_at: step.updated_at,
            tested_at: step.tested_at,
        };
        model::Rotation { started_at: self.started_at, steps: self.steps.into_iter().map(step).collect() }
    }
}

/// When the provider says a key was last used ([`model::ProviderUsage`]).
#[derive(Serialize, Deserialize)]
struct Usage<'a> {
    checked_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_used: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "blank")]
    detail: Cow<'a, str>,
    source: Cow<'a, str>,
}

impl<'a> Usage<'a> {
    fn of(usage: &'a model::ProviderUsage) -> Self {
        Usage {
            checked_at: usage.checked_at,
            last_used: usage.last_used,
            detail: Cow::Borrowed(&usage.detail),
            source: Cow::Borrowed(&usage.source),
        }
    }

    fn into_model(self) -> model::ProviderUsage {
        model::ProviderUsage {
            checked_at: self.checked_at,
            last_used: self.last_used,
            detail: self.detail.into_owned(),
            source: self.source.into_owned(),
        }
    }
}

/// A provider account ([`model::Account`]).
#[derive(Serialize, Deserialize)]
pub struct Account<'a> {
    id: Cow<'a, str>,
    name: Cow<'a, str>,
    provider: Provider,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    region: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    base_url: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "is_false")]
    has_management_key: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    management_scopes: Option<Cow<'a, [String]>>,
    created_at: DateTime<Utc>,
}

impl<'a> Stores<'a> for Account<'a> {
    type Model = model::Account;

    /// `account` as it is written.
    fn of(account: &'a model::Account) -> Self {
        Account {
            id: Cow::Borrowed(&account.id),
            name: Cow::Borrowed(&account.name),
            provider: account.provider,
            region: borrowed(account.region.as_ref()),
            base_url: borrowed(account.base_url.as_ref()),
            has_management_key: account.has_management_key,
            management_scopes: account.management_scopes.as_deref().map(Cow::Borrowed),
            created_at: account.created_at,
        }
    }

    /// The account read.
    fn into_model(self) -> model::Account {
        model::Account {
            id: self.id.into_owned(),
            name: self.name.into_owned(),
            provider: self.provider,
            region: owned(self.region),
            base_url: owned(self.base_url),
            has_management_key: self.has_management_key,
            management_scopes: self.management_scopes.map(Cow::into_owned),
            created_at: self.created_at,
        }
    }
}

/// A suspected leak of a key ([`model::Incident`]).
#[derive(Serialize, Deserialize)]
pub struct Incident<'a> {
    id: Cow<'a, str>,
    key: Cow<'a, KeyId>,
    opened_at: DateTime<Utc>,
    found_where: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "blank")]
    noticed_by: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "blank")]
    notes: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "none")]
    timeline: Vec<Event<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    closed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "blank")]
    summary: Cow<'a, str>,
}

/// One step of an incident ([`model::IncidentEvent`]).
#[derive(Serialize, Deserialize)]
struct Event<'a> {
    at: DateTime<Utc>,
    what: Cow<'a, str>,
}

impl<'a> Stores<'a> for Incident<'a> {
    type Model = model::Incident;

    /// `incident` as it is written.
    fn of(incident: &'a model::Incident) -> Self {
        let event =
            |event: &'a model::IncidentEvent| Event { at: event.at, what: Cow::Borrowed(&event.what) };
        Incident {
            id: Cow::Borrowed(&incident.id),
            key: Cow::Borrowed(&incident.key),
            opened_at: incident.opened_at,
            found_where: Cow::Borrowed(&incident.found_where),
            noticed_by: Cow::Borrowed(&incident.noticed_by),
            notes: Cow::Borrowed(&incident.notes),
            timeline: incident.timeline.iter().map(event).collect(),
            closed_at: incident.closed_at,
            summary: Cow::Borrowed(&incident.summary),
        }
    }

    /// The incident read.
    fn into_model(self) -> model::Incident {
        let event = |event: Event<'_>| model::IncidentEvent { at: event.at, what: event.what.into_owned() };
        model::Incident {
            id: self.id.into_owned(),
            key: self.key.into_owned(),
            opened_at: self.opened_at,
            found_where: self.found_where.into_owned(),
            noticed_by: self.noticed_by.into_owned(),
            notes: self.notes.into_owned(),
            timeline: self.timeline.into_iter().map(event).collect(),
            closed_at: self.closed_at,
            summary: self.summary.into_owned(),
        }
    }
}

fn borrowed(text: Option<&String>) -> Option<Cow<'_, str>> {
    text.map(|text| Cow::Borrowed(text.as_str()))
}

fn owned(text: Option<Cow<'_, str>>) -> Option<String> {
    text.map(Cow::into_owned)
}

fn blank(text: &str) -> bool {
    text.is_empty()
}

fn none<T>(list: &[T]) -> bool {
    list.is_empty()
}

#[allow(clippy::trivially_copy_pass_by_ref, reason = "serde's skip_serializing_if passes a reference")]
fn is_zero(count: &u64) -> bool {
    *count == 0
}

#[allow(clippy::trivially_copy_pass_by_ref, reason = "serde's skip_serializing_if passes a reference")]
fn is_false(flag: &bool) -> bool {
    !*flag
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::format::{parse, render};
    use crate::vault::layout::sample::rich;

    /// Every field and variant of the sample as the Keydesk before these types wrote them
    /// (written by the model's own serde derives, the last time it had them).
    const VAULT_RON: &str = include_str!("../../tests/fixtures/stored/vault-format-5.ron");
    /// The sample's keys, accounts and incidents as a team vault's entries hold their records.
    const ENTRIES: &str = include_str!("../../tests/fixtures/stored/team-records.jsonl");

    #[test]
    fn vault_ron_is_written_and_read_as_before() {
        let file = rich();
        assert_eq!(render(&file).expect("renders"), VAULT_RON);
        assert_eq!(parse(VAULT_RON).expect("reads"), file);
    }

    #[test]
    fn a_team_entrys_record_is_written_and_read_as_before() {
        let file = rich();
        let mut written = String::new();
        for text in file
            .keys
            .iter()
            .map(|k| serde_json::to_string(&Key::of(k)))
            .chain(file.accounts.iter().map(|a| serde_json::to_string(&Account::of(a))))
            .chain(file.incidents.iter().map(|i| serde_json::to_string(&Incident::of(i))))
        {
            written += &text.expect("writes");
            written.push('\n');
        }
        assert_eq!(written, ENTRIES);
        let mut lines = ENTRIES.lines();
        let mut next = || lines.next().expect("a line");
        for key in &file.keys {
            assert_eq!(&serde_json::from_str::<Key>(next()).expect("reads").into_model(), key);
        }
        for account in &file.accounts {
            assert_eq!(&serde_json::from_str::<Account>(next()).expect("reads").into_model(), account);
        }
        for incident in &file.incidents {
            assert_eq!(&serde_json::from_str::<Incident>(next()).expect("reads").into_model(), incident);
        }
    }

    #[test]
    fn what_is_at_its_default_is_left_out_and_read_back() {
        let key = &rich().keys[2];
        let text = serde_json::to_string(&Key::of(key)).expect("writes");
        assert!(
            !text.contains("notes") && !text.contains("status") && !text.contains("copy_count"),
            "{text}"
        );
        let bare = r#"{"id":"1","label":"x","provider":"Other","hint":"h","lookup_hash":"l","created_at":"2026-12-05T21:26:13Z"}"#;
        let read = serde_json::from_str::<Key>(bare).expect("reads").into_model();
        assert_eq!((read.status, read.copy_count, read.notes.as_str()), (model::KeyStatus::Active, 0, ""));
    }
}
