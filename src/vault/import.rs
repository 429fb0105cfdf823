//! Bringing in many keys at once: a preview that says what each row will become, then the
//! import itself — every secret stored first, then all the metadata in one save with one
//! audit line, so a failure, a Cancel or a kill leaves either none or all of the new keys
//! (a secret stored before the stop is an orphan `check --repair` removes, never a key
//! without its secret).

use std::collections::HashMap;
use std::ops::ControlFlow;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::audit::Action;
use super::crypto;
use super::detect::Detection;
use super::meta::KeyMeta;
use super::model::KeyId;
use super::{Vault, VaultError, random_hex, whole_seconds};
use crate::providers::Provider;

/// "1 key", "2 keys".
pub fn count_keys(count: usize) -> String {
    if count == 1 { "1 key".to_owned() } else { format!("{count} keys") }
}

/// One key read from a file, not yet kept.
pub struct ImportRow {
    /// The line of the file the row starts on (1-based).
    pub line: usize,
    pub meta: KeyMeta,
    pub secret: SecretString,
    /// The provider the file names, if it names one Keydesk knows.
    pub provider: Option<Provider>,
    /// When the file says the key was made; the import's time otherwise.
    pub created_at: Option<DateTime<Utc>>,
    pub tags: Vec<String>,
    /// What the file held that the key leaves out (a second secret, a date that could not be
    /// read…), one sentence each, for the preview.
    pub notices: Vec<String>,
}

/// What the import will do with a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A new key, recognised as `provider` (with a warning when not recognised).
    New { provider: Provider, warning: Option<String> },
    /// The vault already holds this secret (compared by keyed hash), under `label`.
    InVault { label: String },
    /// An earlier row of the file holds the same secret.
    Repeated { line: usize },
    /// The row cannot become a key, and why.
    Refused { reason: String },
}

impl Verdict {
    pub fn is_new(&self) -> bool {
        matches!(self, Verdict::New { .. })
    }
}

/// One row of the preview.
#[derive(Debug, Clone)]
pub struct PreviewRow {
    pub line: usize,
    pub label: String,
    pub verdict: Verdict,
    /// What the row leaves out or changes, one sentence each (an expired key, a field left
    /// out); said with a new key.
    pub notices: Vec<String>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub imported: usize,
    pub in_vault: usize,
    pub repeated: usize,
    /// The rows left out: those the file's reader could not read and those the vault refused.
    pub skipped: usize,
}

/// Why an import stopped before it saved anything.
#[derive(Debug, thiserror::Error)]
pub enum ImportStop {
    #[error("The import was cancelled: the vault is as it was.")]
    Cancelled,
    #[error(transparent)]
    Failed(#[from] VaultError),
}

/// What importing `rows` would do, row by row, into a vault (local or a team's) that answers
/// `known` — a secret's comparison hash and the label of the kept key that has it — and
/// `managed` — whether a secret is a provider account's management key.
pub fn preview_rows(
    rows: &[ImportRow],
    now: DateTime<Utc>,
    known: &dyn Fn(&SecretString) -> (String, Option<String>),
    managed: &dyn Fn(&SecretString) -> bool,
) -> Vec<PreviewRow> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    rows.iter()
        .map(|row| {
            let verdict = verdict(row, now, known, managed, &mut seen);
            // What a row leaves out is said of the rows that become keys.
            let mut notices = if verdict.is_new() { row.notices.clone() } else { Vec::new() };
            if let Some(at) = row.meta.expires_at.filter(|at| *at <= now && verdict.is_new()) {
                notices.push(format!(
                    "expired on {}: imported as an expired key (listed as expired)",
                    at.format("%Y-%m-%d")
                ));
            }
            PreviewRow { line: row.line, label: row.meta.label.clone(), verdict, notices }
        })
        .collect()
}

/// Recognises a key read from a file, kept as the file has it: a key with spaces inside (an
/// SMTP password, a passphrase) is a key, with a warning when it looks like a provider's whose
/// keys have none.
pub fn recognise_imported(secret: &SecretString, named: Option<Provider>) -> Result<Detection, VaultError> {
    let value = secret.expose_secret();
    if !value.chars().any(char::is_whitespace) {
        return Vault::recognise(value, named);
    }
    let compact = zeroize::Zeroizing::new(value.chars().filter(|c| !c.is_whitespace()).collect::<String>());
    // Every other check (length, control characters) is the pasted key's.
    if value.len() > super::detect::MAX_KEY_LENGTH {
        return Err(super::detect::DetectError::TooLong.into());
    }
    if compact.chars().any(|c| c.is_control() || super::detect::is_invisible(c)) {
        return Vault::recognise(&compact, named);
    }
    let looks_like = Vault::recognise(&compact, named).ok().filter(|d| d.provider != Provider::Other);
    let provider = looks_like.as_ref().map(|d| d.provider).or(named).unwrap_or(Provider::Other);
    let warning = if provider == Provider::Other {
        "The key has spaces inside; it is kept as the file has it (a password or passphrase can have them)."
            .to_owned()
    } else {
        format!(
            "{} keys have no spaces ({}), and this one has: it is kept as the file has it; check it.",
            provider.name(),
            provider.info().key_format
        )
    };
    Ok(Detection { provider, region: None, prefix: String::new(), warning: Some(warning) })
}

/// `meta` as checked for an import: an expiry in the past is kept (the key comes in expired)
/// rather than refused; the expiry is given back apart.
pub fn imported_meta(meta: &KeyMeta) -> (KeyMeta, Option<DateTime<Utc>>) {
    let mut without = meta.clone();
    let expires = without.expires_at.take();
    (without, expires)
}

fn verdict(
    row: &ImportRow,
    now: DateTime<Utc>,
    known: &dyn Fn(&SecretString) -> (String, Option<String>),
    managed: &dyn Fn(&SecretString) -> bool,
    seen: &mut HashMap<String, usize>,
) -> Verdict {
    let refused = |error: VaultError| Verdict::Refused { reason: error.to_string() };
    let detection = match recognise_imported(&row.secret, row.provider) {
        Ok(detection) => detection,
        Err(error) => return refused(error),
    };
    if let Err(error) = imported_meta(&row.meta).0.validated(now) {
        return refused(error);
    }
    let (hash, label) = known(&row.secret);
    if let Some(label) = label {
        return Verdict::InVault { label };
    }
    if let Some(first) = seen.get(&hash) {
        return Verdict::Repeated { line: *first };
    }
    if managed(&row.secret) {
        return Verdict::Refused {
            reason: "this is the management key of one of your provider accounts, not a key to hand out"
                .into(),
        };
    }
    seen.insert(hash, row.line);
    Verdict::New { provider: detection.provider, warning: detection.warning }
}

impl Vault {
    /// What importing `rows` would do, row by row; nothing is written.
    pub fn preview_import(&self, rows: &[ImportRow]) -> Vec<PreviewRow> {
        let in_vault: HashMap<&str, &str> =
            self.file.keys.iter().map(|k| (k.lookup_hash.as_str(), k.label.as_str())).collect();
        let known = |secret: &SecretString| {
            let hash = crypto::lookup_hash(&self.keys.lookup, secret.expose_secret().as_bytes());
            let label = in_vault.get(hash.as_str()).map(|label| (*label).to_owned());
            (hash, label)
        };
        let managed = |secret: &SecretString| self.account_managed_by(secret).is_some();
        preview_rows(rows, self.now(), &known, &managed)
    }

    /// Imports the rows the preview calls new: their secrets are stored (`progress` is told
    /// how many after each and may cancel), then every record is saved at once with one audit
    /// line naming `source` and counting the rows left out (`skipped` by the file's reader,
    /// and those refused here). Stopped or failed, the secrets stored so far are taken back
    /// and the vault is as it was.
    pub fn import(
        &mut self,
        rows: &[ImportRow],
        (source, skipped): (&str, usize),
        progress: &mut dyn FnMut(usize, usize) -> ControlFlow<()>,
    ) -> Result<ImportReport, ImportStop> {
        let preview = self.preview_import(rows);
        let mut report = ImportReport { skipped, ..ImportReport::default() };
        let mut records = Vec::new();
        let mut sealed = Vec::new();
        let now = self.now();
        let mut taken: std::collections::HashSet<String> =
            self.file.keys.iter().map(|k| k.id.to_string()).collect();
        for (row, seen) in rows.iter().zip(&preview) {
            match &seen.verdict {
                Verdict::New { provider, .. } => {
                    let detection = recognise_imported(&row.secret, row.provider)?;
                    let (meta, expires_at) = imported_meta(&row.meta);
                    // Ids are unique among the keys kept and the ones made in this import
                    // (looked up in a set: a scan per key made 10,000 keys take 0.3 s).
                    let id = loop {
                        let id = KeyId::from_stored(&random_hex(self.env.rng.as_mut(), 6));
                        if taken.insert(id.to_string()) {
                            break id;
                        }
                    };
                    let mut record = self.new_record(id, meta, *provider, &detection.prefix, &row.secret)?;
                    record.region = detection.region;
                    record.expires_at = expires_at;
                    record.tags.clone_from(&row.tags);
                    if let Some(created) = row.created_at.filter(|at| *at <= now) {
                        record.created_at = whole_seconds(created);
                    }
                    let value = crypto::seal(
                        &self.keys.data,
                        &self.secret_ad(&record.id),
                        row.secret.expose_secret().as_bytes(),
                        self.env.rng.as_mut(),
                    )
                    .map_err(VaultError::from)?;
                    sealed.push((self.entry_name(&record.id), B64.encode(value)));
                    records.push(record);
                }
                Verdict::InVault { .. } => report.in_vault += 1,
                Verdict::Repeated { .. } => report.repeated += 1,
                Verdict::Refused { .. } => report.skipped += 1,
            }
        }
        // Nothing is stored for an import whose keys `vault.ron` could not hold.
        self.check_room_for(&records)?;
        let total = sealed.len();
        let stored = self.env.store.put_many(&sealed, &mut |done| progress(done, total));
        let stopped = match stored {
            Ok(done) if done == total => None,
            Ok(done) => Some((done, ImportStop::Cancelled)),
            Err((done, error)) => Some((done, ImportStop::Failed(error.into()))),
        };
        if let Some((done, stop)) = stopped {
            self.take_back(&sealed[..(done + 1).min(total)]);
            return Err(stop);
        }
        report.imported = records.len();
        let detail = format!(
            "{} from \"{source}\"; {} already in the vault, {} repeated in the file, {} skipped",
            count_keys(report.imported),
            report.in_vault,
            report.repeated,
            report.skipped
        );
        let ids: Vec<String> = records.iter().map(|r| r.id.to_string()).collect();
        let added = records.iter().map(super::AddedLine::of).collect();
        let saved = self.apply_adding(added, (Action::Import, None, detail), |file| {
            file.keys.extend(records);
            Ok(())
        });
        if let Err(error) = saved {
            if !error.maybe_applied() {
                for id in &ids {
                    self.forget_secret(id);
                }
            }
            return Err(error.into());
        }
        Ok(report)
    }

    /// Best effort: the secrets of an import that stopped (`check` lists any left over).
    fn take_back(&mut self, entries: &[(String, String)]) {
        for (name, _) in entries {
            let _listed_by_check = self.env.store.delete(name);
        }
    }
}

impl Vault {
    /// The secrets of `ids`, in order, for an export the user confirmed (recorded by
    /// [`Vault::record_export`], not one reveal per key).
    pub fn secrets_for_export(&self, ids: &[super::model::KeyId]) -> Result<Vec<SecretString>, VaultError> {
        ids.iter().map(|id| self.key(id).and_then(|record| self.hand_out(record))).collect()
    }

    /// Records an export: what was written where, or why it was not.
    pub fn record_export(&mut self, written: Result<String, String>) -> Result<(), VaultError> {
        match written {
            Ok(detail) => self.apply(Action::Export, None, detail, |_| Ok(())),
            Err(why) => self.apply_recording(
                Action::Export,
                None,
                super::audit::Outcome::Failed(why),
                String::new(),
                |_| Ok(()),
            ),
        }
    }
}
