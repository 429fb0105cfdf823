//! The audit log: one RON record a line, each carrying the SHA-256 of the line before it.
//!
//! Editing, removing or reordering a line breaks the chain at that point; the vault file
//! records the count and last hash at each save, so lines cut from the end show too. This
//! module builds and checks lines as text; it does no IO. No secret ever goes into a record.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::crypto::hex;
use super::model::AuditHead;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    CreateVault,
    ChangePassword,
    Generate,
    Add,
    Edit,
    Copy,
    Reveal,
    Verify,
    Rotate,
    Revoke,
    Whois,
    AccountAdd,
    AccountRemove,
    Settings,
    Repair,
    /// vault.ron was found changed outside Keydesk.
    Integrity,
    /// The vault was written to a backup file.
    Backup,
    /// The vault was restored from a backup file.
    Restore,
}

impl Action {
    /// The word a person reads (also the command-line filter name).
    pub fn word(self) -> &'static str {
        match self {
            Action::CreateVault => "create-vault",
            Action::ChangePassword => "change-password",
            Action::Generate => "generate",
            Action::Add => "add",
            Action::Edit => "edit",
            Action::Copy => "copy",
            Action::Reveal => "reveal",
            Action::Verify => "verify",
            Action::Rotate => "rotate",
            Action::Revoke => "revoke",
            Action::Whois => "whois",
            Action::AccountAdd => "account-add",
            Action::AccountRemove => "account-remove",
            Action::Settings => "settings",
            Action::Repair => "repair",
            Action::Integrity => "integrity",
            Action::Backup => "backup",
            Action::Restore => "restore",
        }
    }
}

/// Whether it worked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Ok,
    Failed(String),
}

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub at: DateTime<Utc>,
    pub action: Action,
    #[serde(default)]
    pub key: Option<String>,
    pub outcome: Outcome,
    /// Free text without secrets (labels, reasons, counts).
    #[serde(default)]
    pub detail: String,
    /// SHA-256 of the previous line, hex; the first line holds the vault's genesis hash.
    pub prev: String,
}

/// The hash the first line points back to: binds the log to its vault.
pub fn genesis(vault_id: &str) -> String {
    sha256_hex(format!("keydesk-audit-genesis:{vault_id}").as_bytes())
}

/// SHA-256 of `data`, hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// Renders `record` as one line (no newline) and returns it with its hash.
pub fn render(record: &Record) -> Result<(String, String), super::VaultError> {
    // RON escapes line breaks inside strings, so a record is always one line.
    let line =
        ron::to_string(record).map_err(|_ron_error| super::VaultError::Render { what: "an audit line" })?;
    let hash = sha256_hex(line.as_bytes());
    Ok((line, hash))
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error(
        "audit.ron line {line} does not parse: the log was edited by hand; keep a copy and restore it from a backup."
    )]
    Unreadable { line: usize },
    #[error(
        "audit.ron line {line} does not follow the line before it: a line was edited, removed or reordered at or before line {line}."
    )]
    Broken { line: usize },
    #[error(
        "audit.ron has {found} entries but the vault recorded {recorded}: lines were removed from the end."
    )]
    Truncated { found: u64, recorded: u64 },
    #[error("audit.ron line {line} is not the line the vault recorded: the end of the log was edited.")]
    HeadMismatch { line: u64 },
    #[error(
        "audit.ron line {line} was cut short by a write that failed (a crash or a full disk): Keydesk removes it at the next change and records that it did."
    )]
    TornTail { line: usize },
}

/// The result of a successful check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub entries: u64,
    pub last_hash: String,
}

/// Parses the log text into records, for display (unparseable lines are skipped).
pub fn parse(text: &str) -> Vec<Record> {
    text.lines().filter(|l| !l.trim().is_empty()).filter_map(|l| ron::from_str(l).ok()).collect()
}

/// Checks the whole chain and the head the vault recorded.
pub fn verify(text: &str, vault_id: &str, head: &AuditHead) -> Result<ChainReport, ChainError> {
    let mut prev = genesis(vault_id);
    let mut entries = 0u64;
    let mut hash_at_head = (head.entries == 0).then(|| genesis(vault_id));
    let lines: Vec<&str> = text.lines().collect();
    let torn_tail = !text.is_empty() && !text.ends_with('\n');
    for (index, line) in lines.iter().copied().enumerate() {
        let number = index + 1;
        if torn_tail && number == lines.len() {
            // A last line without its newline never finished being written.
            return Err(ChainError::TornTail { line: number });
        }
        if line.trim().is_empty() {
            return Err(ChainError::Broken { line: number });
        }
        let record: Record =
            ron::from_str(line).map_err(|_ron_error| ChainError::Unreadable { line: number })?;
        if record.prev != prev {
            return Err(ChainError::Broken { line: number });
        }
        prev = sha256_hex(line.as_bytes());
        entries += 1;
        if entries == head.entries {
            hash_at_head = Some(prev.clone());
        }
    }
    if entries < head.entries {
        return Err(ChainError::Truncated { found: entries, recorded: head.entries });
    }
    let recorded = if head.entries == 0 { genesis(vault_id) } else { head.last_hash.clone() };
    if hash_at_head.as_deref() != Some(recorded.as_str()) {
        return Err(ChainError::HeadMismatch { line: head.entries });
    }
    Ok(ChainReport { entries, last_hash: prev })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(n: usize) -> (String, AuditHead) {
        let mut prev = genesis("v1");
        let mut text = String::new();
        for i in 0..n {
            let record = Record {
                at: DateTime::from_timestamp(1_700_000_000 + i as i64, 0).unwrap_or_default(),
                action: if i % 2 == 0 { Action::Copy } else { Action::Edit },
                key: Some(format!("k{i}")),
                outcome: Outcome::Ok,
                detail: format!("line {i}\nwith a break"),
                prev: prev.clone(),
            };
            let (line, hash) = render(&record).expect("renders");
            assert!(!line.contains('\n'));
            text.push_str(&line);
            text.push('\n');
            prev = hash;
        }
        (text, AuditHead { entries: n as u64, last_hash: prev })
    }

    #[allow(clippy::needless_pass_by_value, reason = "table rows read better with owned values")]
    fn check(edit: impl Fn(&mut Vec<String>), head_change: Option<AuditHead>, want: Result<u64, ChainError>) {
        let (text, head) = log(5);
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        edit(&mut lines);
        let text = lines.iter().map(|l| format!("{l}\n")).collect::<String>();
        let head = head_change.unwrap_or(head);
        assert_eq!(verify(&text, "v1", &head).map(|r| r.entries), want);
    }

    #[test]
    fn chain_table() {
        check(|_| {}, None, Ok(5));
        check(|l| l[2] = l[2].replace("Copy", "Reveal"), None, Err(ChainError::Broken { line: 4 }));
        check(|l| l[4] = l[4].replace("line 4", "line X"), None, Err(ChainError::HeadMismatch { line: 5 }));
        check(|l| l[0] = l[0].replace("k0", "k9"), None, Err(ChainError::Broken { line: 2 }));
        check(|l| drop(l.remove(1)), None, Err(ChainError::Broken { line: 2 }));
        check(|l| l.swap(1, 2), None, Err(ChainError::Broken { line: 2 }));
        check(|l| drop(l.pop()), None, Err(ChainError::Truncated { found: 4, recorded: 5 }));
        check(|l| l.clear(), None, Err(ChainError::Truncated { found: 0, recorded: 5 }));
        check(|l| l[3] = "garbage".into(), None, Err(ChainError::Unreadable { line: 4 }));
        check(|l| l.insert(2, String::new()), None, Err(ChainError::Broken { line: 3 }));
        // A line added after the last save (a crash before the vault was saved) is accepted.
        let (text, head) = log(5);
        let (more, _) = log(6);
        assert_eq!(verify(&more, "v1", &head).map(|r| r.entries), Ok(6));
        // Another vault's log does not verify.
        assert_eq!(verify(&text, "v2", &head).map(|r| r.entries), Err(ChainError::Broken { line: 1 }));
        // An empty log for an empty head.
        assert_eq!(verify("", "v1", &AuditHead::default()).map(|r| r.entries), Ok(0));
    }

    #[test]
    fn parse_reads_records() {
        let (text, _) = log(3);
        let records = parse(&text);
        assert_eq!(records.len(), 3);
        assert_eq!(records[1].detail, "line 1\nwith a break");
    }

    proptest::proptest! {
        #[test]
        fn verify_never_panics(text in "\\PC{0,300}", entries in 0u64..5) {
            let head = AuditHead { entries, last_hash: "00".into() };
            let _report = verify(&text, "v1", &head);
            let _ = parse(&text);
        }
    }
}
