//! What can go wrong in the vault core: one sentence each, saying what is wrong and what to
//! do. No variant carries a secret.

use super::crypto::CryptoError;
use super::{detect, format, keygen};
use crate::secrets::SecretStoreError;
use crate::storage::StorageError;

/// Everything that can go wrong in a vault operation; each message is one sentence.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Backup(#[from] super::backup::BackupError),
    /// Writing (or calling a provider) is refused while the vault holds changes Keydesk did
    /// not make.
    #[error(
        "{what}: nothing is changed or sent until you look. Compare vault.ron with vault.ron.bak, then keep the changes with `keydesk check --accept-changes` (or \"Keep these changes\" in the window), or restore vault.ron.bak."
    )]
    ChangedOutside { what: String },
    /// This folder holds a copy of a vault that another folder on this machine still holds:
    /// the keychain's entries and the mark named by its id are that folder's.
    #[error(
        "This folder is a copy of the vault kept in {location} on this machine, whose keychain entries and last-save mark are that folder's, so it is open read-only: use the vault in {location}, or make this copy a vault of its own by backing it up (`keydesk backup FILE`) and restoring the file into a new folder (`keydesk restore FILE --vault NEW_FOLDER`)."
    )]
    CopyOfAnother { location: String },
    /// The metadata or an audit line could not be turned into text (a bug; nothing is written).
    #[error("Keydesk could not write {what} as text, so nothing was saved: please report this as a bug.")]
    Render { what: &'static str },
    #[error("vault.ron cannot be read: {0}. Fix the file, or restore vault.ron.bak.")]
    Format(#[from] format::FormatError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Secrets(#[from] SecretStoreError),
    #[error(transparent)]
    Keygen(#[from] keygen::KeygenError),
    #[error(transparent)]
    Detect(#[from] detect::DetectError),
    #[error(
        "The master password is shorter than {min} characters: choose a longer one (a short sentence works well)."
    )]
    WeakPassword { min: usize },
    #[error("No key matches \"{query}\": give its id, the start of its id, or its exact label.")]
    UnknownKey { query: String },
    #[error("\"{query}\" matches {count} keys: give the key's id instead.")]
    AmbiguousKey { query: String, count: usize },
    #[error("The label is empty: give the key a name, such as \"HubSpot production\".")]
    EmptyLabel,
    /// The folder holds a restore that was cut short (a crash or a kill): the command line
    /// finishes it.
    #[error(
        "A restore into this folder was cut short: finish it with `keydesk check` in a terminal (it asks for the backup's master password), then unlock here."
    )]
    RestoreCutShort,
    /// A save would write a `vault.ron` larger than Keydesk reads back.
    #[error(
        "vault.ron would be {megabytes} MB, more than the {max_megabytes} MB Keydesk reads back, so nothing was written: {advice}"
    )]
    TooLarge { megabytes: u64, max_megabytes: u64, advice: String },
    #[error("The {field} is longer than {max} characters: shorten it.")]
    TooLong { field: &'static str, max: usize },
    #[error("The {field} has a line break or control character: keep it on one line.")]
    ControlCharacters { field: &'static str },
    #[error("\"{label}\" is revoked: its secret was deleted, so there is nothing to {action}.")]
    Revoked { label: String, action: &'static str },
    #[error(
        "The secret of \"{label}\" is missing from the secret store: it was deleted outside Keydesk; revoke this key and make a new one."
    )]
    SecretMissing { label: String },
    #[error("This key is already in the vault as \"{label}\": use that entry instead of adding it again.")]
    Duplicate { label: String },
    #[error(
        "This is the management key of the account \"{account}\": paste the key the integration should use, not the one Keydesk manages keys with."
    )]
    ManagementKeyPasted { account: String },
    #[error("The revoke reason is empty: say why, such as \"leaked in a screenshot\".")]
    EmptyReason,
    #[error("The summary is empty: say what happened and what was done, in a sentence or two.")]
    EmptySummary,
    #[error(
        "\"{text}\" is not a date: write it as YYYY-MM-DD, such as 2027-03-31, or leave it empty for never."
    )]
    BadDate { text: String },
    #[error("\"{text}\" is not a number of days: give a whole number, or leave it empty for never.")]
    BadDays { text: String },
    #[error("The expiry date {date} is in the past: give a date after today.")]
    PastExpiry { date: String },
    #[error("A rotation period of 0 days makes no sense: give at least 1 day.")]
    ZeroRotation,
    #[error("The integration name is empty: name the place that uses the key, such as \"HubSpot\".")]
    EmptyIntegration,
    #[error(
        "The integration URL \"{url}\" is not a web address: give one that starts with https:// or http://."
    )]
    BadUrl { url: String },
    #[error("The {field} must be {range}.")]
    OutOfRange { field: &'static str, range: &'static str },
    #[error("Say where the key was found (a log, a repository, an e-mail…): the incident starts from there.")]
    NoFoundWhere,
    #[error("No provider account matches \"{query}\": give its name or id (see `keydesk account list`).")]
    UnknownAccount { query: String },
    #[error("The account name is empty: name it, such as \"SendGrid EU production\".")]
    EmptyAccountName,
    #[error("An account named \"{name}\" already exists: choose another name.")]
    DuplicateAccount { name: String },
    #[error("The API address {url} is refused: {why}.")]
    BadBaseUrl { url: String, why: &'static str },
    #[error(
        "{provider} has no region \"{region}\": leave the region out, or use one the provider documents."
    )]
    UnknownRegion { provider: &'static str, region: String },
    #[error(
        "The account \"{name}\" is used by {}: revoke {} first.",
        if *keys == 1 { "1 live key".to_owned() } else { format!("{keys} live keys") },
        if *keys == 1 { "it" } else { "them" }
    )]
    AccountInUse { name: String, keys: usize },
    #[error(
        "The account \"{name}\" has no management key: add the account again with one to create or revoke keys over the API."
    )]
    NoManagementKey { name: String },
    #[error(
        "\"{label}\" is revoked, so only its account's management key can ask {provider} about it: add one to the account under Accounts."
    )]
    NoKeyToAsk { label: String, provider: &'static str },
    #[error(
        "The key's provider is {key}, but the account \"{account}\" is for {provider}: pick an account of the same provider."
    )]
    AccountMismatch { key: &'static str, account: String, provider: &'static str },
    #[error(
        "A new key for \"{label}\" must be made at {provider} and pasted here: Keydesk cannot generate {provider} keys itself."
    )]
    NeedsPastedReplacement { label: String, provider: String },
    #[error("\"{label}\" is not being rotated: start with `keydesk rotate`, or press Rotate on its page.")]
    NoRotation { label: String },
    #[error(
        "A rotation of \"{label}\" is under way: finish it (--complete) or abandon it (--abandon) before starting another."
    )]
    RotationUnderWay { label: String },
    #[error("\"{label}\" has no integration \"{name}\" to move: its integrations are {known}.")]
    UnknownIntegration { label: String, name: String, known: String },
    #[error(
        "{open} of the {total} integrations of \"{label}\" are not yet updated and tested ({names}): mark them, or complete with --reason saying why not."
    )]
    RotationOpen { label: String, open: usize, total: usize, names: String },
    #[error("\"{label}\" is offered on {origin} already: there is nothing to add.")]
    PageTaken { label: String, origin: String },
    #[error("\"{label}\" has an integration named \"{name}\" already: choose another name for this page.")]
    IntegrationTaken { label: String, name: String },
    #[error("\"{label}\" is being replaced: add the page to its new key instead.")]
    Retiring { label: String },
}

impl VaultError {
    /// Whether the change that failed may be on disk all the same (see
    /// [`StorageError::maybe_applied`]): then nothing is deleted on the strength of it.
    pub fn maybe_applied(&self) -> bool {
        matches!(self, VaultError::Storage(error) if error.maybe_applied())
    }
}
