//! Reading the files marketers keep keys in today — a spreadsheet saved as CSV, KeePassXC's
//! XML and CSV exports, Bitwarden's unencrypted JSON export, 1Password's CSV export — into
//! rows the vault can keep ([`crate::vault::ImportRow`]).
//!
//! Pure code: text in, rows and problems out, each problem with the line it was found on.
//! Whatever the file holds, the answer is a value or one sentence, never a panic (the parsers
//! are property-tested). The layouts each reader expects are in `docs/import.md`.

mod bitwarden;
pub mod export;
mod keepass;
mod keydesk_json;
mod table;

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::providers::Provider;
use crate::vault::meta::{self, KeyMeta};
use crate::vault::model::Integration;
use crate::vault::{ImportRow, MAX_LABEL};

/// The largest file read (a 10,000-key spreadsheet is about 1 MB).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The layouts Keydesk reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// A spreadsheet's CSV: a header row with at least `label` and `key`.
    Spreadsheet,
    /// KeePassXC's XML export (`keepassxc-cli export --format xml`).
    KeepassXml,
    /// KeePassXC's CSV export (Group, Title, Username, Password, URL, Notes…).
    KeepassCsv,
    /// Bitwarden's unencrypted JSON export.
    Bitwarden,
    /// 1Password's CSV export (Title, Url, Username, Password, Notes…).
    OnePassword,
    /// Keydesk's own JSON export.
    KeydeskJson,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Spreadsheet,
        Format::KeepassXml,
        Format::KeepassCsv,
        Format::Bitwarden,
        Format::OnePassword,
        Format::KeydeskJson,
    ];

    /// The command-line name.
    pub fn slug(self) -> &'static str {
        match self {
            Format::Spreadsheet => "csv",
            Format::KeepassXml => "keepassxc-xml",
            Format::KeepassCsv => "keepassxc-csv",
            Format::Bitwarden => "bitwarden",
            Format::OnePassword => "1password",
            Format::KeydeskJson => "keydesk-json",
        }
    }

    /// What a person reads.
    pub fn name(self) -> &'static str {
        match self {
            Format::Spreadsheet => "spreadsheet CSV",
            Format::KeepassXml => "KeePassXC XML export",
            Format::KeepassCsv => "KeePassXC CSV export",
            Format::Bitwarden => "Bitwarden JSON export",
            Format::OnePassword => "1Password CSV export",
            Format::KeydeskJson => "Keydesk JSON export",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.slug().eq_ignore_ascii_case(slug.trim()))
    }
}

/// A row that could not become a key, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The line of the file the row starts on (1-based).
    pub line: usize,
    /// The row's label or title, where it has one.
    pub label: String,
    pub reason: String,
}

impl Problem {
    pub(crate) fn new(line: usize, reason: impl Into<String>) -> Self {
        Problem { line, label: String::new(), reason: reason.into() }
    }

    /// The problem of the row called `label`.
    pub(crate) fn of(mut self, label: &str) -> Self {
        self.label = label.trim().chars().take(MAX_LABEL).collect();
        self
    }
}

/// What a file held.
#[derive(Default)]
pub struct Parsed {
    pub rows: Vec<ImportRow>,
    pub problems: Vec<Problem>,
}

/// Why a file cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("The file is empty: export the keys again and choose the file that was written.")]
    Empty,
    #[error("The file is larger than 64 MB: split it and import the parts one by one.")]
    TooLarge,
    #[error(
        "The file is not UTF-8 text: save it again as \"CSV UTF-8\" (or export it again) and import that."
    )]
    NotText,
    #[error(
        "Keydesk cannot tell what kind of file this is (not JSON or XML, and its first row has neither label and key nor the columns of KeePassXC or 1Password): add a header row with label and key, or name the format with --format."
    )]
    Unknown,
    #[error("The file is not a {format}: {detail}.")]
    NotThisFormat { format: &'static str, detail: String },
    #[error(
        "This Bitwarden export is encrypted: export the vault again as \".json\" (not \"encrypted .json\"), import that, then delete it."
    )]
    EncryptedBitwarden,
    #[error(
        "The header row has no \"{column}\" column: add one (the columns Keydesk reads are in docs/import.md)."
    )]
    MissingColumn { column: &'static str },
}

/// Reads `bytes` as `format`, or as the format the file looks like.
pub fn read(bytes: &[u8], format: Option<Format>) -> Result<(Format, Parsed), ImportError> {
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_FILE_BYTES {
        return Err(ImportError::TooLarge);
    }
    let text = std::str::from_utf8(bytes).map_err(|_not_utf8| ImportError::NotText)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(ImportError::Empty);
    }
    let format = match format {
        Some(format) => format,
        None => detect(text)?,
    };
    let parsed = match format {
        Format::Spreadsheet | Format::KeepassCsv | Format::OnePassword => table::read(text, format)?,
        Format::KeepassXml => keepass::read_xml(text)?,
        Format::Bitwarden => bitwarden::read(text)?,
        Format::KeydeskJson => keydesk_json::read(text)?,
    };
    Ok((format, parsed))
}

/// The format `text` looks like: a JSON object is Bitwarden's, a JSON array Keydesk's, XML
/// KeePassXC's, and a CSV is told by its header row.
pub fn detect(text: &str) -> Result<Format, ImportError> {
    let start = text.trim_start();
    if start.starts_with('{') {
        return Ok(Format::Bitwarden);
    }
    if start.starts_with('[') {
        return Ok(Format::KeydeskJson);
    }
    if start.starts_with('<') {
        return Ok(Format::KeepassXml);
    }
    table::detect(text).ok_or(ImportError::Unknown)
}

/// Builds what the vault needs from the fields of one entry, whatever the file's layout.
#[derive(Default)]
pub(crate) struct Fields {
    pub line: usize,
    pub label: String,
    /// The key as the file has it (wiped when dropped).
    pub secret: zeroize::Zeroizing<String>,
    pub provider: String,
    pub integrations: Vec<Integration>,
    pub notes: Vec<String>,
    pub expires: String,
    pub created: String,
    pub rotate_days: String,
    pub tags: Vec<String>,
}

impl Fields {
    /// The row, or the one reason it cannot be one.
    pub(crate) fn into_row(self) -> Result<ImportRow, Problem> {
        let line = self.line;
        let problem = |reason: String| Problem::new(line, reason).of(&self.label);
        let secret = self.secret.trim();
        if secret.is_empty() {
            return Err(problem("there is no key in this row: fill in its key, or delete the row".into()));
        }
        // Windows line breaks (and old Mac ones) are line breaks.
        let mut notes: Vec<String> = self
            .notes
            .into_iter()
            .filter(|n| !n.trim().is_empty())
            .map(|n| n.replace("\r\n", "\n").replace('\r', "\n"))
            .collect();
        let provider = match self.provider.trim() {
            "" => None,
            named => match Provider::from_name(named) {
                Some(provider) => Some(provider),
                None => {
                    // A platform Keydesk does not know is still a key: it is kept as Other,
                    // and what the file called it stays in the notes.
                    notes.insert(0, format!("Provider in the imported file: {}", clip(named, MAX_LABEL)));
                    None
                }
            },
        };
        let mut label = self.label.trim().to_owned();
        if label.is_empty() {
            return Err(problem("the row has a key but no label: give it a label".into()));
        }
        if label.chars().count() > MAX_LABEL {
            // Nothing of the file is lost: the whole label stays in the notes.
            notes.insert(0, format!("Label in the imported file: {label}"));
            label = clip(&label, MAX_LABEL);
        }
        let expires_at = meta::parse_date(&self.expires).map_err(|e| problem(format!("expires: {e}")))?;
        let created_at = created(&self.created).map_err(|e| problem(format!("created: {e}")))?;
        let rotate_after_days =
            meta::parse_days(&self.rotate_days).map_err(|e| problem(format!("rotate_days: {e}")))?;
        let mut tags: Vec<String> = Vec::new();
        for tag in self.tags {
            let tag = tag.trim();
            if !tag.is_empty() && !tags.iter().any(|t| t == tag) {
                tags.push(clip(tag, MAX_LABEL));
            }
        }
        Ok(ImportRow {
            line,
            meta: KeyMeta {
                label,
                expires_at,
                rotate_after_days,
                integrations: self.integrations,
                notes: notes.join("\n"),
            },
            secret: SecretString::from(secret),
            provider,
            created_at,
            tags,
        })
    }
}

/// A creation date as exports write it: a date, RFC 3339, or `YYYY-MM-DD HH:MM:SS` (UTC).
fn created(text: &str) -> Result<Option<DateTime<Utc>>, crate::vault::VaultError> {
    let text = text.trim();
    if let Ok(at) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S") {
        return Ok(Some(at.and_utc()));
    }
    meta::parse_date(text)
}

/// At most `max` characters of `text`.
fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// An integration from a web address: named by its host.
pub(crate) fn integration_from_url(url: &str) -> Option<Integration> {
    let url = url.trim();
    if url.is_empty() {
        return None;
    }
    let with_scheme = if url.contains("://") { url.to_owned() } else { format!("https://{url}") };
    let host = with_scheme.split("://").nth(1).unwrap_or("").split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or(host);
    let name = if host.is_empty() { url } else { host };
    let web = with_scheme.starts_with("https://") || with_scheme.starts_with("http://");
    Some(meta::integration(&clip(name, MAX_LABEL), if web { &with_scheme } else { "" }))
}

/// Integrations as a spreadsheet writes them: `name=url` (or a name, or an address),
/// separated by semicolons or line breaks.
pub(crate) fn integrations_from_cell(cell: &str) -> Vec<Integration> {
    cell.split([';', '\n'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .filter_map(|part| match part.split_once('=') {
            Some((name, url)) => Some(meta::integration(name, url)),
            None if part.starts_with("http://") || part.starts_with("https://") => integration_from_url(part),
            None => Some(meta::integration(part, "")),
        })
        .collect()
}

/// Line numbers (1-based) of byte offsets of one text, for offsets met mostly in increasing
/// order: each stretch of the text is counted once (counting from the start for every row
/// made a 10,000-row import take seconds).
pub(crate) struct Lines<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Lines { text: text.as_bytes(), offset: 0, line: 1 }
    }

    /// The line at which byte `offset` lies.
    pub(crate) fn at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        if offset < self.offset {
            *self = Lines { text: self.text, offset: 0, line: 1 };
        }
        self.line += self.text[self.offset..offset].iter().filter(|&&b| b == b'\n').count();
        self.offset = offset;
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lines_are_counted_forwards_and_back() {
        let mut lines = Lines::new("a\nb\n\nc");
        assert_eq!([lines.at(0), lines.at(2), lines.at(5), lines.at(6), lines.at(99)], [1, 2, 4, 4, 4]);
        assert_eq!(lines.at(1), 1);
        assert_eq!(lines.at(4), 3);
    }

    #[test]
    fn formats_are_told_apart_by_their_first_row() {
        assert_eq!(detect("label,key\nA,b").unwrap(), Format::Spreadsheet);
        assert_eq!(detect("Key;Label;Notes\nb;A;").unwrap(), Format::Spreadsheet);
        assert_eq!(
            detect("\"Group\",\"Title\",\"Username\",\"Password\",\"URL\",\"Notes\"\n").unwrap(),
            Format::KeepassCsv
        );
        assert_eq!(
            detect("Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes\n").unwrap(),
            Format::OnePassword
        );
        assert_eq!(detect(" {\"items\": []}").unwrap(), Format::Bitwarden);
        assert_eq!(detect("<?xml version=\"1.0\"?><KeePassFile/>").unwrap(), Format::KeepassXml);
        assert_eq!(detect("just,some,columns\n1,2,3"), Err(ImportError::Unknown));
        for format in Format::ALL {
            assert_eq!(Format::from_slug(format.slug()), Some(format));
        }
    }

    #[test]
    fn urls_become_integrations_named_by_host() {
        let found = integration_from_url("https://app.hubspot.com/settings?x=1").unwrap();
        assert_eq!(
            (found.name.as_str(), found.url.as_deref()),
            ("app.hubspot.com", Some("https://app.hubspot.com/settings?x=1"))
        );
        let bare = integration_from_url("crm.example.com").unwrap();
        assert_eq!(bare.url.as_deref(), Some("https://crm.example.com"));
        assert!(integration_from_url("  ").is_none());
        let cells =
            integrations_from_cell("HubSpot=https://app.hubspot.com; Zapier ;https://n8n.example.com/hook");
        let names: Vec<_> = cells.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["HubSpot", "Zapier", "n8n.example.com"]);
    }

    #[test]
    fn unreadable_files_are_one_sentence() {
        assert_eq!(read(b"", None).err(), Some(ImportError::Empty));
        assert_eq!(read(b"\xef\xbb\xbf  \n", None).err(), Some(ImportError::Empty));
        assert_eq!(read(b"label,key\n\xff\xfe", None).err(), Some(ImportError::NotText));
        assert_eq!(
            read(b"{\"encrypted\": true, \"items\": []}", None).err(),
            Some(ImportError::EncryptedBitwarden)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn any_bytes_give_rows_or_a_sentence(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _detected = read(&bytes, None);
            for format in Format::ALL {
                let _answer = read(&bytes, Some(format));
            }
        }

        #[test]
        fn text_shaped_like_each_format_never_panics(
            body in "[a-zA-Z0-9 ,;\"\\n\\r=:/.<>{}\\[\\]-]{0,300}",
            start in prop::sample::select(vec![
                "label,key\n", "Label;Key;Expires;Created;Rotate_days;Integrations\n",
                "\"Group\",\"Title\",\"Username\",\"Password\",\"URL\",\"Notes\"\n",
                "Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes\n",
                "{\"encrypted\":false,\"folders\":[],\"items\":[", "<KeePassFile><Root><Group><Entry>",
                "[{\"label\":\"a\",\"key\":",
            ]),
        ) {
            let text = format!("{start}{body}");
            let _answer = read(text.as_bytes(), None);
        }
    }
}
