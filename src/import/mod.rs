//! Reading the files marketers keep keys in today — a spreadsheet saved as CSV or as an Excel
//! workbook, KeePassXC's XML and CSV exports, Bitwarden's unencrypted JSON export, 1Password's
//! CSV and .1pux exports — into rows the vault can keep ([`crate::vault::ImportRow`]).
//!
//! Pure code: text in, rows and problems out, each problem with the line it was found on.
//! Whatever the file holds, the answer is a value or one sentence, never a panic (the parsers
//! are property-tested). The layouts each reader expects are in `docs/import.md`.

pub mod archive;
mod bitwarden;
pub mod columns;
mod dotenv;
pub mod export;
mod fields;
mod keepass;
mod keydesk_json;
mod onepux;
mod table;

pub(crate) use fields::{DateOrder, Fields};

use crate::vault::meta;
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
    /// Bitwarden's CSV export (folder or collections, type, name, notes, fields, login_…).
    BitwardenCsv,
    /// LastPass's CSV export (url, username, password, totp, extra, name, grouping, fav).
    LastPass,
    /// A `.env` file: `NAME=value` lines.
    Dotenv,
    /// An Excel workbook (.xlsx): its first worksheet, read as a spreadsheet's CSV is.
    Workbook,
    /// 1Password's .1pux export (a zip archive with `export.data`).
    OnePux,
}

impl Format {
    pub const ALL: [Format; 11] = [
        Format::Spreadsheet,
        Format::KeepassXml,
        Format::KeepassCsv,
        Format::Bitwarden,
        Format::OnePassword,
        Format::KeydeskJson,
        Format::BitwardenCsv,
        Format::LastPass,
        Format::Dotenv,
        Format::Workbook,
        Format::OnePux,
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
            Format::BitwardenCsv => "bitwarden-csv",
            Format::LastPass => "lastpass",
            Format::Dotenv => "dotenv",
            Format::Workbook => "xlsx",
            Format::OnePux => "1pux",
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
            Format::BitwardenCsv => "Bitwarden CSV export",
            Format::LastPass => "LastPass CSV export",
            Format::Dotenv => ".env file",
            Format::Workbook => "Excel workbook",
            Format::OnePux => "1Password .1pux export",
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
        "The file holds {found} keys, more than the {MAX_IMPORT_ROWS} one import takes: split it into files of at most {MAX_IMPORT_ROWS} rows and import them one by one."
    )]
    TooManyRows { found: usize },
    #[error(
        "The file is not text (it holds bytes no text file has): save it again as \"CSV UTF-8\" (or export it again) and import that."
    )]
    NotText,
    #[error(
        "Keydesk cannot tell which columns hold the label and the key: the first row has {found}; name them with --columns {suggested} (or add a header row with label and key, or name the file's format with --format)."
    )]
    Unknown { found: String, suggested: String },
    #[error("The columns cannot be read as chosen: {problem}; the first row has {found}.")]
    Columns { problem: String, found: String },
    #[error(
        "--columns reads a table (a CSV or an Excel workbook), and this file is a {format}: import it without --columns."
    )]
    ColumnsNotTable { format: &'static str },
    #[error(
        "This is a zip archive, not an Excel workbook or a 1Password .1pux export: unpack it and import the export inside."
    )]
    Zip,
    #[error(
        "The archive unpacks to more than 256 MB or holds more than 10000 files, far more than any export of keys (it may be a zip bomb): it was not unpacked; export the keys again."
    )]
    ArchiveTooLarge,
    #[error(
        "The workbook's first worksheet has more than 2000000 cells or more than 256 columns: copy the columns with the keys into a new workbook and import that."
    )]
    TooManyCells,
    #[error("The file is not a {format}: {detail}.")]
    NotThisFormat { format: &'static str, detail: String },
    #[error(
        "This Bitwarden export is encrypted: export the vault again as \".json\" (not \"encrypted .json\"), import that, then delete it."
    )]
    EncryptedBitwarden,
    #[error(
        "The header row has no \"{column}\" column (it has: {found}): add one (the columns Keydesk reads are in docs/import.md)."
    )]
    MissingColumn { column: &'static str, found: String },
}

/// The most keys one import takes (a vault of 100,000 keys is about 25 MB of `vault.ron`).
pub const MAX_IMPORT_ROWS: usize = 100_000;

/// Reads `bytes` as `format`, or as the format the file looks like.
pub fn read(bytes: &[u8], format: Option<Format>) -> Result<(Format, Parsed), ImportError> {
    read_mapped(bytes, format, None)
}

/// Reads `bytes` as `format`, or as the format the file looks like; with `columns` (a
/// `--columns` text, see [`columns::ColumnMap::parse`]) as a table (a CSV or a workbook's
/// sheet) whose columns are where it says, whatever its header row says.
pub fn read_mapped(
    bytes: &[u8],
    format: Option<Format>,
    columns: Option<&str>,
) -> Result<(Format, Parsed), ImportError> {
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_FILE_BYTES {
        return Err(ImportError::TooLarge);
    }
    if let Some(named) =
        format.filter(|f| columns.is_some() && !matches!(f, Format::Spreadsheet | Format::Workbook))
    {
        return Err(ImportError::ColumnsNotTable { format: named.name() });
    }
    let (format, parsed) = if archive::is_zip(bytes) {
        archive::read(bytes, format, columns)?
    } else {
        read_text(bytes, format, columns)?
    };
    // The preview weighs every row (a keyed hash, the provider's format): a file of a million
    // rows took seconds and gigabytes before anything was shown.
    if parsed.rows.len() > MAX_IMPORT_ROWS {
        return Err(ImportError::TooManyRows { found: parsed.rows.len() });
    }
    Ok((format, parsed))
}

/// `read` given the text of the text file `bytes` (UTF-8, UTF-16 or Windows-1252, without a
/// byte-order mark; a copy decoded from another encoding is wiped after).
fn with_text<T>(bytes: &[u8], read: impl FnOnce(&str) -> Result<T, ImportError>) -> Result<T, ImportError> {
    let decoded;
    let text = match std::str::from_utf8(bytes) {
        Ok(text) if !text.contains('\0') => text,
        _ => {
            decoded = decode(bytes)?;
            decoded.as_str()
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(ImportError::Empty);
    }
    read(text)
}

/// Reads the text file `bytes` as `format`, or as the format it looks like (as a table
/// mapped by `columns` when given).
fn read_text(
    bytes: &[u8],
    format: Option<Format>,
    columns: Option<&str>,
) -> Result<(Format, Parsed), ImportError> {
    with_text(bytes, |text| read_text_as(text, format, columns))
}

fn read_text_as(
    text: &str,
    format: Option<Format>,
    columns: Option<&str>,
) -> Result<(Format, Parsed), ImportError> {
    if columns.is_some() {
        let start = text.trim_start();
        let not_table = [('{', Format::Bitwarden), ('[', Format::KeydeskJson), ('<', Format::KeepassXml)];
        if let Some((_, format)) = not_table.iter().find(|(c, _)| start.starts_with(*c)) {
            return Err(ImportError::ColumnsNotTable { format: format.name() });
        }
        if format == Some(Format::Workbook) {
            return Err(ImportError::NotThisFormat {
                format: Format::Workbook.name(),
                detail: "it is text, not a zip archive".to_owned(),
            });
        }
        return Ok((Format::Spreadsheet, table::read(text, Format::Spreadsheet, columns)?));
    }
    let format = match format {
        Some(format) => format,
        None => detect(text)?,
    };
    let parsed = match format {
        Format::Spreadsheet
        | Format::KeepassCsv
        | Format::OnePassword
        | Format::BitwardenCsv
        | Format::LastPass => table::read(text, format, None)?,
        Format::Dotenv => dotenv::read(text),
        Format::KeepassXml => keepass::read_xml(text)?,
        Format::Bitwarden => bitwarden::read(text)?,
        Format::KeydeskJson => keydesk_json::read(text)?,
        Format::Workbook | Format::OnePux => {
            return Err(ImportError::NotThisFormat {
                format: format.name(),
                detail: "it is text, not a zip archive".to_owned(),
            });
        }
    };
    Ok((format, parsed))
}

/// The header row and the first rows of a table (a CSV or a workbook's first sheet) whose
/// columns Keydesk cannot tell, for a person to say which holds what; `None` for any other
/// file (one Keydesk reads as it is, or one that is not a table of two columns or more).
pub fn column_sample(bytes: &[u8]) -> Option<columns::Sample> {
    // Read as any import is (an archive measured before it is unpacked) to learn it is such a
    // table.
    if !matches!(read(bytes, None), Err(ImportError::Unknown { .. })) {
        return None;
    }
    if archive::is_zip(bytes) {
        let (text, _rows) = archive::worksheet(bytes).ok()?;
        return table::sample(&text);
    }
    with_text(bytes, |text| Ok(table::sample(text))).ok().flatten()
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
    if let Some(format) = table::detect(text) {
        return Ok(format);
    }
    if dotenv::looks_like(text) {
        return Ok(Format::Dotenv);
    }
    Err(ImportError::Unknown { found: table::found_columns(text), suggested: table::suggested_columns(text) })
}

/// Text that is not UTF-8: UTF-16 (Excel's "Unicode Text", told by its byte-order mark or its
/// zero bytes), else Windows-1252 (Excel's "CSV (Comma delimited)" on Windows); binary data
/// is refused.
fn decode(bytes: &[u8]) -> Result<zeroize::Zeroizing<String>, ImportError> {
    let zeros_at =
        |parity: usize| bytes.iter().skip(parity).step_by(2).take(200).filter(|b| **b == 0).count();
    let encoding = if bytes.starts_with(&[0xFF, 0xFE])
        || (bytes.len() >= 4 && zeros_at(1) * 2 > bytes.len().min(400) / 2)
    {
        encoding_rs::UTF_16LE
    } else if bytes.starts_with(&[0xFE, 0xFF])
        || (bytes.len() >= 4 && zeros_at(0) * 2 > bytes.len().min(400) / 2)
    {
        encoding_rs::UTF_16BE
    } else if bytes.contains(&0) {
        return Err(ImportError::NotText);
    } else {
        encoding_rs::WINDOWS_1252
    };
    let (text, _, had_errors) = encoding.decode(bytes);
    if had_errors || text.contains('\0') {
        return Err(ImportError::NotText);
    }
    Ok(zeroize::Zeroizing::new(text.into_owned()))
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

/// The characters Keydesk's export writes with a `\` before them inside a cell that joins
/// several values (integrations, tags), so that they are read back as they were.
pub const ESCAPED: [char; 4] = ['\\', ';', ',', '='];

/// `text` cut at each of `separators` that has no `\` before it, the escapes left in.
fn split_raw<'a>(text: &'a str, separators: &[char]) -> Vec<&'a str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            let _escaped = chars.next();
        } else if separators.contains(&c) {
            parts.push(&text[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&text[start..]);
    parts
}

/// `text` with the `\` before each of [`ESCAPED`] taken away (any other `\` is kept: a
/// person's `C:\Users` stays whole).
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(next) if c == '\\' && ESCAPED.contains(next) => out.extend(chars.next()),
            _ => out.push(c),
        }
    }
    out
}

/// `text` cut at each of `separators` that has no `\` before it, each part unescaped.
pub(crate) fn split_unescaped(text: &str, separators: &[char]) -> Vec<String> {
    split_raw(text, separators).into_iter().map(unescape).collect()
}

/// Integrations as a spreadsheet writes them: `name=url` (or a name, or an address),
/// separated by semicolons or line breaks; Keydesk's export writes `\;`, `\=`, `\,` and `\\`
/// inside a name or an address.
pub(crate) fn integrations_from_cell(cell: &str) -> Vec<Integration> {
    split_raw(cell, &[';', '\n'])
        .into_iter()
        .filter(|part| !part.trim().is_empty())
        .map(|part| match split_raw(part, &['=']).as_slice() {
            [name] => {
                let name = unescape(name);
                let web = name.trim().starts_with("http://") || name.trim().starts_with("https://");
                if web && !part.contains('\\') {
                    integration_from_url(&name).unwrap_or_else(|| meta::integration(&name, ""))
                } else {
                    meta::integration(&name, "")
                }
            }
            [name, ..] => {
                let url = part.get(name.len() + 1..).unwrap_or("");
                meta::integration(&unescape(name), &unescape(url))
            }
            [] => meta::integration("", ""),
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
        let unknown = detect("just,some,columns\n1,2,3").unwrap_err();
        assert_eq!(
            unknown,
            ImportError::Unknown {
                found: "\"just\", \"some\", \"columns\"".into(),
                suggested: "label=just,key=columns".into()
            }
        );
        assert_eq!(detect("sep=;\nlabel;key\nA;b\n").unwrap(), Format::Spreadsheet);
        assert_eq!(detect("SENDGRID_API_KEY=x\n").unwrap(), Format::Dotenv);
        assert_eq!(
            detect("folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n")
                .unwrap(),
            Format::BitwardenCsv
        );
        assert_eq!(
            detect("collections,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n")
                .unwrap(),
            Format::BitwardenCsv
        );
        assert_eq!(detect("url,username,password,totp,extra,name,grouping,fav\n").unwrap(), Format::LastPass);
        assert_eq!(detect("Bezeichnung;Schlüssel;Ablaufdatum\n").unwrap(), Format::Spreadsheet);
        for format in Format::ALL {
            assert_eq!(Format::from_slug(format.slug()), Some(format));
        }
    }

    #[test]
    fn a_refusal_names_the_columns_found_and_the_columns_wanted() {
        let said = detect("Site,Login,Token\nnewsletter,ops,abc\n").unwrap_err().to_string();
        assert_eq!(
            said,
            "Keydesk cannot tell which columns hold the label and the key: the first row has \"Site\", \"Login\", \"Token\"; name them with --columns label=Site,key=Token (or add a header row with label and key, or name the file's format with --format)."
        );
        // A name a shell would cut is offered by its number; past twelve columns, "…".
        let wide: Vec<String> = (1..=14).map(|n| format!("Col {n}")).collect();
        let said =
            detect(&format!("Account name;Note;{};API Secret\n", wide.join(";"))).unwrap_err().to_string();
        assert!(said.contains("\"Col 10\", …; name them with --columns label=1,key=17 ("), "{said}");
        assert!(!said.contains("Col 11"), "{said}");
    }

    #[test]
    fn columns_named_read_any_table_whatever_its_header() {
        let text = "sep=;\nSite;Login;Token;Until;Group\nNewsletter;ops;abc-value-1;31.01.2099;Email\n;;;;\nNo key;ops;;;\n";
        let latin: Vec<u8> = text.replace("Newsletter", "Caf\u{e9}").chars().map(|c| c as u8).collect();
        for bytes in [text.as_bytes(), latin.as_slice()] {
            let (format, parsed) =
                read_mapped(bytes, None, Some("label=site,key=\"TOKEN\",expires=4,tags=Group")).unwrap();
            assert_eq!(format, Format::Spreadsheet);
            assert_eq!(parsed.rows.len(), 1, "{:?}", parsed.problems);
            let row = &parsed.rows[0];
            assert_eq!(row.line, 3);
            assert!(row.meta.label == "Newsletter" || row.meta.label == "Café");
            assert_eq!(secrecy::ExposeSecret::expose_secret(&row.secret), "abc-value-1");
            assert_eq!(row.tags, ["Email"]);
            assert!(row.meta.expires_at.is_some());
            assert_eq!(parsed.problems.len(), 1);
            assert_eq!(parsed.problems[0].line, 5);
        }
        // A header Keydesk knows is read as --columns says, not as it says.
        let (_, parsed) = read_mapped(b"label,key\nA,b-value\n", None, Some("label=key,key=label")).unwrap();
        assert_eq!(parsed.rows[0].meta.label, "b-value");
        let wrong = read_mapped(text.as_bytes(), None, Some("label=Site,key=Secret")).err().unwrap();
        assert_eq!(
            wrong.to_string(),
            "The columns cannot be read as chosen: there is no column \"Secret\" (a column is named by its header, or by its number from 1); the first row has \"Site\", \"Login\", \"Token\", \"Until\", \"Group\"."
        );
        let wrong =
            read_mapped(text.as_bytes(), None, Some("label=Site,colour=2")).err().unwrap().to_string();
        assert!(
            wrong.contains("the field \"colour\", which Keydesk does not import")
                && wrong.contains("\"Group\".")
        );
        let json = read_mapped(b"{\"items\": []}", None, Some("label=1,key=2")).err().unwrap();
        assert_eq!(json, ImportError::ColumnsNotTable { format: "Bitwarden JSON export" });
        let named = read_mapped(b"a,b\n", Some(Format::KeepassCsv), Some("label=1,key=2")).err().unwrap();
        assert_eq!(named, ImportError::ColumnsNotTable { format: "KeePassXC CSV export" });
    }

    #[test]
    fn a_table_whose_columns_cannot_be_told_gives_its_sample() {
        let sample = column_sample(b"Site,Login,Token\nNewsletter,ops,abc\n,,\nB,o,x\n").unwrap();
        assert_eq!(sample.columns, ["Site", "Login", "Token"]);
        assert_eq!(sample.len(), 2);
        let picks = [(columns::Field::Label, 0), (columns::Field::Key, 2)];
        assert_eq!(sample.check(&picks), Ok(()));
        assert_eq!(sample.shown(&picks)[0], ["Newsletter", "hidden (3 characters)"]);
        assert!(!format!("{sample:?}").contains("abc"));
        // A file Keydesk reads as it is, or one that is no table, has none.
        assert!(column_sample(b"label,key\nA,b\n").is_none());
        assert!(column_sample(b"{\"items\": []}").is_none());
        assert!(column_sample(b"one column only\nx\n").is_none());
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
        assert_eq!(read(b"label,key\n\x00\x01\x02\x03\x04\x05", None).err(), Some(ImportError::NotText));
        let broken = read(b"PK\x03\x04\x14\x00xl/workbook.xml", None).err();
        assert!(matches!(broken, Some(ImportError::NotThisFormat { .. })), "{broken:?}");
        assert_eq!(
            read(b"{\"encrypted\": true, \"items\": []}", None).err(),
            Some(ImportError::EncryptedBitwarden)
        );
    }

    #[test]
    fn a_file_of_more_keys_than_one_import_takes_is_refused_before_its_preview() {
        let rows = |n: usize| -> String {
            std::iter::once("label,key\n".to_owned())
                .chain((0..n).map(|i| format!("K{i},value-{i:07}\n")))
                .collect()
        };
        assert_eq!(
            read(rows(MAX_IMPORT_ROWS).as_bytes(), None).map(|(_, p)| p.rows.len()).ok(),
            Some(MAX_IMPORT_ROWS)
        );
        let error = read(rows(MAX_IMPORT_ROWS + 1).as_bytes(), None).err();
        assert_eq!(error, Some(ImportError::TooManyRows { found: MAX_IMPORT_ROWS + 1 }));
        assert!(error.is_some_and(|e| e.to_string().contains("split it into files of at most 100000 rows")));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn any_bytes_give_rows_or_a_sentence(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _detected = read(&bytes, None);
            for format in Format::ALL {
                let _answer = read(&bytes, Some(format));
            }
            let _mapped = read_mapped(&bytes, None, Some("label=1,key=\"b\",notes=3"));
        }

        #[test]
        fn text_shaped_like_each_format_never_panics(
            body in "[a-zA-Z0-9 ,;\"\\n\\r\\t=:/.<>{}\\[\\]#'\\\\-]{0,300}",
            start in prop::sample::select(vec![
                "label,key\n", "Label;Key;Expires;Created;Rotate_days;Integrations\n",
                "\"Group\",\"Title\",\"Username\",\"Password\",\"URL\",\"Notes\"\n",
                "Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes\n",
                "{\"encrypted\":false,\"folders\":[],\"items\":[", "<KeePassFile><Root><Group><Entry>",
                "[{\"label\":\"a\",\"key\":",
                "sep=;\nlabel;key;expires;tags;integrations\n",
                "collections,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n",
                "url,username,password,totp,extra,name,grouping,fav\n",
                "export SENDGRID_API_KEY=\"",
                "Bezeichnung\tSchlüssel\tAblaufdatum\n",
            ]),
        ) {
            let text = format!("{start}{body}");
            let _answer = read(text.as_bytes(), None);
        }
    }
}
