//! The audit log: one RON record a line, each carrying the link of the line before it: an
//! HMAC-SHA256 under an audit key sealed with the data key, so that only someone who can
//! unlock the vault can make a line that fits (a log from format 1 begins with plain SHA-256
//! links, and is keyed from its first save by this version on).
//!
//! Editing, removing or reordering a line breaks the chain at that point; the vault file
//! records the count and last link at each save, so lines cut from the end show too. A copy
//! or a reveal only appends its line (the vault file is not written again for a counter):
//! such lines after the sealed head are counted into the keys at every unlock
//! ([`uses_after`]), and saved with the next change; their removal from the end shows
//! through the generation mark kept in the keychain, which counts the log's lines. This
//! module builds and checks lines as text; it does no IO. No secret ever goes into a record.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::crypto::{SymmetricKey, hex, keyed_hash, keyed_hash_parts, keyed_hash_parts_match};
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
    /// An incident (a suspected leak) was opened or closed.
    Incident,
    /// Keys were brought in from another program's export or a spreadsheet.
    Import,
    /// Keys were written out to a file (metadata, or secrets too).
    Export,
    /// The provider was asked when a key was last used.
    Usage,
    /// The vault's health score at the end of a check of every key, with its findings
    /// counted by severity (`vault::health::history` reads them back).
    Health,
    /// A team vault: a member was invited (their sealed entry written).
    Invite,
    /// A team vault: an invited member opened it for the first time.
    Join,
    /// A team vault: a member was removed, and the team key made anew.
    MemberRemove,
    /// A team vault: the team key was made anew (no one removed).
    TeamRekey,
    /// A team vault: a key or an account was sealed again under the new team key.
    Rekey,
    /// A key was filled into a field of one of its integrations' pages in a browser.
    Fill,
    /// A browser was allowed to ask for keys, or no longer; the leak guard turned on or off.
    Browser,
    /// The leak guard saw a key pasted into a page that is not one of its integrations.
    PasteWarning,
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
            Action::Incident => "incident",
            Action::Import => "import",
            Action::Export => "export",
            Action::Usage => "usage",
            Action::Health => "health",
            Action::Invite => "invite",
            Action::Join => "join",
            Action::MemberRemove => "member-remove",
            Action::TeamRekey => "team-rekey",
            Action::Rekey => "rekey",
            Action::Fill => "fill",
            Action::Browser => "browser",
            Action::PasteWarning => "paste-warning",
        }
    }

    /// The action whose [`word`](Self::word) is `word`, if there is one.
    pub fn from_word(word: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|action| action.word() == word)
    }

    /// Every action, in the order they are listed.
    pub const ALL: [Action; 31] = [
        Action::CreateVault,
        Action::ChangePassword,
        Action::Generate,
        Action::Add,
        Action::Edit,
        Action::Copy,
        Action::Reveal,
        Action::Verify,
        Action::Rotate,
        Action::Revoke,
        Action::Whois,
        Action::AccountAdd,
        Action::AccountRemove,
        Action::Settings,
        Action::Repair,
        Action::Integrity,
        Action::Backup,
        Action::Restore,
        Action::Incident,
        Action::Import,
        Action::Export,
        Action::Usage,
        Action::Health,
        Action::Invite,
        Action::Join,
        Action::MemberRemove,
        Action::TeamRekey,
        Action::Rekey,
        Action::Fill,
        Action::Browser,
        Action::PasteWarning,
    ];
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
    /// The link of the previous line, hex; the first line holds the vault's genesis hash.
    pub prev: String,
    /// The line's own keyed tag, hex: an HMAC of the line as written without it, under the
    /// audit key of its place, so that the newest line too (which no later line links yet)
    /// cannot be edited unseen. Written by [`Chain::seal_line`]; empty in a record being made,
    /// and on lines older than the first tagging audit key. Always the last field.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tag: String,
}

/// The hash the first line points back to: binds the log to its vault.
fn genesis(vault_id: &str) -> String {
    sha256_hex(format!("keydesk-audit-genesis:{vault_id}").as_bytes())
}

/// SHA-256 of `data`, hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// Renders `record` as one line (no newline).
pub fn render(record: &Record) -> Result<String, super::VaultError> {
    // RON escapes line breaks inside strings, so a record is always one line.
    ron::to_string(record).map_err(|_ron_error| super::VaultError::Render { what: "an audit line" })
}

/// What each line's own tag is computed over, before the line's text: keeps the tag apart
/// from the link (an HMAC of the whole line under the same key).
const TAG_DOMAIN: &[u8] = b"keydesk-audit-line-tag:";

/// How a tag ends a line: `,tag:"` + 64 hex digits + `")`.
const TAG_OPEN: &str = ",tag:\"";
const TAG_HEX: usize = 64;

/// One opened audit key: it links lines `after + 1` onwards and, when `tagged`, tags them.
pub struct ChainKey {
    pub after: u64,
    pub key: SymmetricKey,
    /// Whether the lines it links carry their own tag (every key made by format 5 on).
    pub tagged: bool,
}

/// What links one vault's lines: plain SHA-256 up to the first audit key (a log begun by
/// format 1), then HMAC-SHA256 under each audit key for the lines after it. Lines under a
/// tagged key also carry a tag of their own.
pub struct Chain {
    genesis: String,
    /// In ascending `after`.
    keys: Vec<ChainKey>,
}

impl Chain {
    /// The chain of vault `vault_id` with its opened audit keys, in any order.
    pub fn new(vault_id: &str, mut keys: Vec<ChainKey>) -> Self {
        keys.sort_by_key(|k| k.after);
        Chain { genesis: genesis(vault_id), keys }
    }

    /// The key of line `number` (counted from 1), if it is past the plain SHA-256 prefix.
    fn key_of(&self, number: u64) -> Option<&ChainKey> {
        self.keys.iter().rev().find(|k| number > k.after)
    }

    /// Whether the newest key tags its lines (a vault whose newest key does not gets a new
    /// one before its next line).
    pub fn tags_new_lines(&self) -> bool {
        self.keys.last().is_some_and(|k| k.tagged)
    }

    /// `body` (a record rendered with an empty tag, one line) as line `number` is written:
    /// with its own tag as the last field when the line's key tags.
    pub fn seal_line(&self, number: u64, body: String) -> String {
        let Some(key) = self.key_of(number).filter(|k| k.tagged) else { return body };
        let Some(open) = body.strip_suffix(')') else { return body };
        let tag = keyed_hash_parts(&key.key, &[TAG_DOMAIN, open.as_bytes(), b")"]);
        format!("{open}{TAG_OPEN}{tag}\")")
    }

    /// Whether line `number` carries the tag its key asks for (a line under an untagged key
    /// or the SHA-256 prefix needs none).
    fn tag_holds(&self, number: u64, line: &str) -> bool {
        let Some(key) = self.key_of(number).filter(|k| k.tagged) else { return true };
        let Some((open, tag)) = split_tag(line) else { return false };
        keyed_hash_parts_match(&key.key, &[TAG_DOMAIN, open.as_bytes(), b")"], tag)
    }

    /// The hash the first line points back to.
    pub fn genesis(&self) -> &str {
        &self.genesis
    }

    /// The link of line `number` (counted from 1): what the next line's `prev` holds. A
    /// tagged line's link is its tag (an HMAC of all the line says, `prev` included), so a
    /// line costs one HMAC to write and one to check.
    pub fn link(&self, number: u64, line: &str) -> String {
        match self.key_of(number) {
            Some(key) if key.tagged => match split_tag(line) {
                Some((_, tag)) => tag.to_owned(),
                // Not a line Keydesk wrote: `verify` says so; its link matches nothing.
                None => keyed_hash(&key.key, line.as_bytes()),
            },
            Some(key) => keyed_hash(&key.key, line.as_bytes()),
            None => sha256_hex(line.as_bytes()),
        }
    }

    /// Checks the whole chain and the head the vault recorded. The log is read line by line
    /// and the check stops at the first line that fails, so a log padded with junk costs no
    /// more than its good part. A last line without its newline (an append cut short) is
    /// [`ChainError::TornTail`] only when every whole line before it holds and reaches the
    /// recorded head: cutting lines and leaving a stray byte is truncation, not a crash.
    pub fn verify(&self, text: &str, head: &AuditHead) -> Result<ChainReport, ChainError> {
        let mut prev = self.genesis.clone();
        let mut entries = 0u64;
        let mut link_at_head = (head.entries == 0).then(|| self.genesis.clone());
        let (whole, torn) = match text.rfind('\n') {
            Some(at) => (&text[..=at], at + 1 < text.len()),
            None => ("", !text.is_empty()),
        };
        for line in whole.lines() {
            let number = entries + 1;
            let at = usize::try_from(number).unwrap_or(usize::MAX);
            if line.trim().is_empty() {
                return Err(ChainError::Broken { line: at });
            }
            let record: Record =
                ron::from_str(line).map_err(|_ron_error| ChainError::Unreadable { line: at })?;
            if record.prev != prev {
                return Err(ChainError::Broken { line: at });
            }
            if !self.tag_holds(number, line) {
                return Err(ChainError::Forged { line: at });
            }
            entries = number;
            prev = self.link(entries, line);
            if entries == head.entries {
                link_at_head = Some(prev.clone());
            }
        }
        if entries < head.entries {
            return Err(ChainError::Truncated { found: entries, recorded: head.entries });
        }
        let recorded = if head.entries == 0 { self.genesis.as_str() } else { head.last_hash.as_str() };
        if link_at_head.as_deref() != Some(recorded) {
            return Err(ChainError::HeadMismatch { line: head.entries });
        }
        if torn {
            // A last line without its newline never finished being written.
            return Err(ChainError::TornTail { line: usize::try_from(entries + 1).unwrap_or(usize::MAX) });
        }
        Ok(ChainReport { entries, last_hash: prev })
    }

    /// The real end of the log whatever its state: the count of its whole lines and the link
    /// of the last (a torn last line is cut away before the next append).
    pub fn tail(&self, text: &str) -> AuditHead {
        let mut tail = AuditHead { entries: 0, last_hash: self.genesis.clone() };
        let whole = text.rfind('\n').map_or("", |at| &text[..at]);
        for line in whole.lines() {
            tail.entries += 1;
            tail.last_hash = self.link(tail.entries, line);
        }
        tail
    }
}

/// A tagged line as `(its text before the tag, without the closing parenthesis; the tag)`,
/// when it ends as Keydesk ends one: `,tag:"` + 64 lower-case hex digits + `")`.
fn split_tag(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_suffix("\")")?;
    let (before, tag) = rest.split_at_checked(rest.len().checked_sub(TAG_HEX)?)?;
    let open = before.strip_suffix(TAG_OPEN)?;
    tag.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)).then_some((open, tag))
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
        "audit.ron line {line} does not carry the tag Keydesk wrote with it: the line was edited after it was written."
    )]
    Forged { line: usize },
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

/// The uses of keys (copies and reveals that worked) among the lines after the first `sealed`
/// ones: those appended since the vault file was last saved, whose counts the file does not
/// hold yet. They end at the first line that does not parse (the chain check names it):
/// nothing after it can be counted, and a log padded with junk is not read to its end.
pub fn uses_after(text: &str, sealed: u64) -> Vec<Record> {
    let mut rest = text;
    for _ in 0..sealed {
        match rest.find('\n') {
            Some(at) => rest = &rest[at + 1..],
            None => return Vec::new(),
        }
    }
    rest.lines()
        .map_while(|line| ron::from_str::<Record>(line).ok())
        .filter(|record| {
            matches!(record.action, Action::Copy | Action::Reveal) && record.outcome == Outcome::Ok
        })
        .collect()
}

/// Parses the log text into records, for display (unparseable lines are skipped; a line that
/// could be a record starts with `(`, so blank and junk lines cost no parse).
pub fn parse(text: &str) -> Vec<Record> {
    text.lines().filter(|l| l.starts_with('(')).filter_map(|l| ron::from_str(l).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_word_parses_back_to_itself() {
        let words: std::collections::HashSet<&str> = Action::ALL.iter().map(|a| a.word()).collect();
        assert_eq!(words.len(), Action::ALL.len(), "no two actions share a word");
        for action in Action::ALL {
            assert_eq!(Action::from_word(action.word()), Some(action), "{action:?}");
        }
        assert_eq!(Action::from_word("copy failed"), None);
        assert_eq!(Action::from_word(""), None);
    }

    fn key(after: u64, byte: u8, tagged: bool) -> ChainKey {
        ChainKey { after, key: SymmetricKey::repeated(byte), tagged }
    }

    /// A chain like a vault begun by format 1 and kept by every format since: two SHA-256
    /// links, keyed without tags from line 3 (format 2 to 4), tagged from line 4 (format 5).
    fn chain(vault_id: &str) -> Chain {
        Chain::new(vault_id, vec![key(2, 7, false), key(3, 9, true)])
    }

    fn log(n: usize) -> (String, AuditHead) {
        log_with(&chain("v1"), n)
    }

    fn log_with(chain: &Chain, n: usize) -> (String, AuditHead) {
        let mut prev = chain.genesis().to_owned();
        let mut text = String::new();
        for i in 0..n {
            let record = Record {
                at: DateTime::from_timestamp(1_700_000_000 + i as i64, 0).unwrap_or_default(),
                action: if i % 2 == 0 { Action::Copy } else { Action::Edit },
                key: Some(format!("k{i}")),
                outcome: Outcome::Ok,
                detail: format!("line {i}\nwith a break"),
                prev: prev.clone(),
                tag: String::new(),
            };
            let line = chain.seal_line(i as u64 + 1, render(&record).expect("renders"));
            assert!(!line.contains('\n'));
            text.push_str(&line);
            text.push('\n');
            prev = chain.link(i as u64 + 1, &line);
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
        assert_eq!(chain("v1").verify(&text, &head).map(|r| r.entries), want);
    }

    #[test]
    fn chain_table() {
        check(|_| {}, None, Ok(5));
        check(|l| l[2] = l[2].replace("Copy", "Reveal"), None, Err(ChainError::Broken { line: 4 }));
        check(|l| l[4] = l[4].replace("line 4", "line X"), None, Err(ChainError::Forged { line: 5 }));
        check(|l| l[0] = l[0].replace("k0", "k9"), None, Err(ChainError::Broken { line: 2 }));
        check(|l| drop(l.remove(1)), None, Err(ChainError::Broken { line: 2 }));
        check(|l| l.swap(1, 2), None, Err(ChainError::Broken { line: 2 }));
        check(|l| drop(l.pop()), None, Err(ChainError::Truncated { found: 4, recorded: 5 }));
        check(|l| l.clear(), None, Err(ChainError::Truncated { found: 0, recorded: 5 }));
        check(|l| l[3] = "garbage".into(), None, Err(ChainError::Unreadable { line: 4 }));
        check(|l| l.insert(2, String::new()), None, Err(ChainError::Broken { line: 3 }));
        // A tagged line edited, its link to the line before kept: its own tag gives it away,
        // the newest line (which no line links yet) included.
        check(|l| l[4] = l[4].replace("Copy", "Reveal"), None, Err(ChainError::Forged { line: 5 }));
        check(|l| l[4] = l[4].replace("k4", "k7"), Some(log(4).1), Err(ChainError::Forged { line: 5 }));
        let untag = |l: &mut Vec<String>| {
            let at = l[4].find(",tag:").expect("tagged");
            l[4] = format!("{})", &l[4][..at]);
        };
        check(untag, Some(log(4).1), Err(ChainError::Forged { line: 5 }));
        // An untagged (format 4) line needs no tag: its link in the next line covers it.
        assert!(!log(5).0.lines().nth(2).expect("line 3").contains(",tag:"));
        assert!(log(5).0.lines().nth(3).expect("line 4").contains(",tag:"));
        // A line added after the last save (a crash before the vault was saved) is accepted.
        let (text, head) = log(5);
        let (more, _) = log(6);
        assert_eq!(chain("v1").verify(&more, &head).map(|r| r.entries), Ok(6));
        // Another vault's log does not verify.
        assert_eq!(chain("v2").verify(&text, &head).map(|r| r.entries), Err(ChainError::Broken { line: 1 }));
        // An empty log for an empty head.
        assert_eq!(chain("v1").verify("", &AuditHead::default()).map(|r| r.entries), Ok(0));
    }

    #[test]
    fn a_line_made_without_the_audit_key_does_not_fit() {
        // Lines appended after the last save are accepted only when their links are keyed:
        // a forger who can write the file but not unlock the vault makes SHA-256 links, or
        // links under a key of their own.
        let (text, head) = log(5);
        for forger in [
            Chain::new("v1", Vec::new()),
            Chain::new("v1", vec![key(2, 8, false)]),
            Chain::new("v1", vec![key(2, 7, false), key(3, 8, true)]),
        ] {
            let (forged, _) = log_with(&forger, 7);
            let mut lines: Vec<&str> = text.lines().collect();
            lines.extend(forged.lines().skip(5));
            let appended = lines.iter().map(|l| format!("{l}\n")).collect::<String>();
            assert!(chain("v1").verify(&appended, &head).is_err());
        }
        // The SHA-256 prefix of a format-1 log still verifies; its keyed part is bound to it.
        let (old, old_head) = log_with(&Chain::new("v1", Vec::new()), 2);
        assert_eq!(chain("v1").verify(&old, &old_head).map(|r| r.entries), Ok(2));
        assert_eq!(chain("v1").tail(&text), head);
        assert_eq!(chain("v1").tail(&format!("{text}(torn")), head);
    }

    #[test]
    fn a_torn_tail_is_only_a_crash_when_everything_before_it_holds() {
        let (text, head) = log(5);
        // A crash in the middle of an append: all lines there, half a line after them.
        let torn = format!("{text}(at:\"2026");
        assert_eq!(chain("v1").verify(&torn, &head), Err(ChainError::TornTail { line: 6 }));
        // Lines cut from the end and a stray byte left: lines were removed, not torn.
        let cut: String = text.lines().take(2).map(|l| format!("{l}\n")).collect();
        assert_eq!(
            chain("v1").verify(&format!("{cut}x"), &head),
            Err(ChainError::Truncated { found: 2, recorded: 5 })
        );
        assert_eq!(chain("v1").verify("x", &head), Err(ChainError::Truncated { found: 0, recorded: 5 }));
        // The last sealed line rewritten, then a stray byte: the head does not match.
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines[4] = lines[4].replace("line 4", "routine");
        let edited: String = lines.iter().map(|l| format!("{l}\n")).collect();
        assert!(
            chain("v1")
                .verify(&format!("{edited}x"), &head)
                .is_err_and(|e| e != ChainError::TornTail { line: 6 })
        );
    }

    #[test]
    fn a_huge_log_of_blank_lines_is_refused_at_its_first_line() {
        let junk = "\n".repeat(5_000_000);
        assert_eq!(chain("v1").verify(&junk, &log(5).1), Err(ChainError::Broken { line: 1 }));
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
            let _report = chain("v1").verify(&text, &head);
            let _tail = chain("v1").tail(&text);
            let _ = parse(&text);
        }
    }
}
