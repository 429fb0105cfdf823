//! The CSV layouts: a spreadsheet's, KeePassXC's and 1Password's. Columns are found by their
//! header, in any order, case-insensitively; comma or semicolon separated (Excel writes
//! semicolons where the comma is the decimal mark); quoted fields may hold separators, quotes
//! and line breaks.

use super::{Fields, Format, ImportError, Parsed, Problem, integration_from_url, integrations_from_cell};

/// The line of the first character at or after `offset` that is not a line break.
fn line_at(lines: &mut super::Lines<'_>, text: &str, offset: usize) -> usize {
    let skipped =
        text.get(offset..).map_or(0, |rest| rest.len() - rest.trim_start_matches(['\r', '\n']).len());
    lines.at(offset.saturating_add(skipped))
}

/// A reader of `text`'s rows (the header row too), split by `delimiter`, of any length.
fn reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
}

/// The header of a CSV, lowercased and trimmed, split by `delimiter`.
fn header(text: &str, delimiter: u8) -> Vec<String> {
    let mut reader = reader(text, delimiter);
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => record.iter().map(|h| h.trim().to_lowercase()).collect(),
        _ => Vec::new(),
    }
}

/// Comma or semicolon: whichever splits the first line into more columns.
fn delimiter(text: &str) -> u8 {
    if header(text, b';').len() > header(text, b',').len() { b';' } else { b',' }
}

/// Which column of `header` goes by one of `names`.
fn column(header: &[String], names: &[&str]) -> Option<usize> {
    names.iter().find_map(|name| header.iter().position(|h| h == name))
}

const LABEL: &[&str] = &["label", "name"];
const KEY: &[&str] = &["key", "api key", "api_key", "apikey", "secret"];

/// The CSV layout the header row names.
pub(super) fn detect(text: &str) -> Option<Format> {
    let header = header(text, delimiter(text));
    let has = |name: &str| header.iter().any(|h| h == name);
    if has("group") && has("title") && has("password") {
        Some(Format::KeepassCsv)
    } else if has("title") && has("password") && (has("url") || has("website") || has("otpauth")) {
        Some(Format::OnePassword)
    } else if column(&header, LABEL).is_some() && column(&header, KEY).is_some() {
        Some(Format::Spreadsheet)
    } else {
        None
    }
}

/// Where each field a layout reads sits in the header.
struct Columns {
    label: usize,
    key: usize,
    provider: Option<usize>,
    integrations: Option<usize>,
    url: Option<usize>,
    username: Option<usize>,
    notes: Option<usize>,
    expires: Option<usize>,
    created: Option<usize>,
    rotate_days: Option<usize>,
    tags: Option<usize>,
    group: Option<usize>,
    archived: Option<usize>,
}

fn columns(header: &[String], format: Format) -> Result<Columns, ImportError> {
    let need = |names: &[&str], column_name: &'static str| {
        column(header, names).ok_or(ImportError::MissingColumn { column: column_name })
    };
    let (label, key) = match format {
        Format::Spreadsheet => (need(LABEL, "label")?, need(KEY, "key")?),
        _ => (need(&["title", "name"], "Title")?, need(&["password"], "Password")?),
    };
    let spreadsheet = format == Format::Spreadsheet;
    Ok(Columns {
        label,
        key,
        provider: spreadsheet.then(|| column(header, &["provider", "platform"])).flatten(),
        integrations: spreadsheet
            .then(|| column(header, &["integrations", "integration", "used by"]))
            .flatten(),
        url: if spreadsheet { column(header, &["url"]) } else { column(header, &["url", "website", "urls"]) },
        username: (!spreadsheet).then(|| column(header, &["username"])).flatten(),
        notes: column(header, &["notes", "note", "notesplain"]),
        expires: spreadsheet.then(|| column(header, &["expires", "expires_at", "expiry"])).flatten(),
        created: match format {
            Format::Spreadsheet => column(header, &["created", "created_at"]),
            Format::KeepassCsv => column(header, &["created"]),
            _ => None,
        },
        rotate_days: spreadsheet
            .then(|| column(header, &["rotate_days", "rotate days", "rotate_after_days"]))
            .flatten(),
        tags: column(header, &["tags", "tag"]),
        group: (format == Format::KeepassCsv).then(|| column(header, &["group"])).flatten(),
        archived: (format == Format::OnePassword).then(|| column(header, &["archived"])).flatten(),
    })
}

pub(super) fn read(text: &str, format: Format) -> Result<Parsed, ImportError> {
    let mut reader = reader(text, delimiter(text));
    let mut record = csv::StringRecord::new();
    let mut parsed = Parsed::default();
    let header: Vec<String> = match reader.read_record(&mut record) {
        Ok(true) => record.iter().map(|h| h.trim().to_lowercase()).collect(),
        _ => return Err(ImportError::Empty),
    };
    let columns = columns(&header, format)?;
    let mut lines = super::Lines::new(text);
    loop {
        let line = line_at(&mut lines, text, usize::try_from(reader.position().byte()).unwrap_or(usize::MAX));
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(_broken_quote) => {
                parsed.problems.push(Problem::new(
                    line,
                    "this row cannot be read as CSV (a quote is left open?): check it in the spreadsheet",
                ));
                // The reader cannot go on past a broken quote: what follows is one field.
                break;
            }
        }
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        // The row starts where its first cell does: after the line break that ended the last.
        let line = record
            .position()
            .map_or(line, |p| line_at(&mut lines, text, usize::try_from(p.byte()).unwrap_or(0)));
        let cell =
            |index: Option<usize>| undefused(index.and_then(|i| record.get(i)).unwrap_or("")).to_owned();
        if cell(columns.archived).trim().eq_ignore_ascii_case("true") {
            let reason = "archived in 1Password: not imported (unarchive it there to bring it in)";
            parsed.problems.push(Problem::new(line, reason).of(&cell(Some(columns.label))));
            continue;
        }
        let mut fields = Fields {
            line,
            label: cell(Some(columns.label)),
            secret: zeroize::Zeroizing::new(record.get(columns.key).unwrap_or("").to_owned()),
            provider: cell(columns.provider),
            expires: cell(columns.expires),
            created: cell(columns.created),
            rotate_days: cell(columns.rotate_days),
            ..Fields::default()
        };
        fields.integrations = integrations_from_cell(&cell(columns.integrations));
        fields.integrations.extend(integration_from_url(&cell(columns.url)));
        let username = cell(columns.username);
        if !username.trim().is_empty() {
            fields.notes.push(format!("Username: {}", username.trim()));
        }
        fields.notes.push(cell(columns.notes));
        fields.tags = cell(columns.tags).split([';', ',']).map(str::to_owned).collect();
        if let Some(group) = keepass_group(&cell(columns.group)) {
            // KeePassXC's CSV has no other mark of its recycle bin than the group's name.
            if group == "Recycle Bin" || group.starts_with("Recycle Bin/") {
                parsed
                    .problems
                    .push(Problem::new(line, "in the recycle bin: not imported").of(&fields.label));
                continue;
            }
            fields.tags.insert(0, group);
        }
        match fields.into_row() {
            Ok(row) => parsed.rows.push(row),
            Err(problem) => parsed.problems.push(problem),
        }
    }
    Ok(parsed)
}

/// A cell Keydesk's export defused against running as a formula (a `'` before `=`, `+`, `-`,
/// `@`, a tab or a carriage return), as it was.
fn undefused(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// KeePassXC writes a group as its path from the database's root ("Root/Email/SendGrid"):
/// the tag is the path below the root.
fn keepass_group(path: &str) -> Option<String> {
    let path = path.trim().trim_matches('/');
    let below_root = path.split_once('/').map_or("", |(_, rest)| rest);
    (!below_root.is_empty()).then(|| below_root.to_owned())
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn a_spreadsheet_with_a_bom_semicolons_quotes_and_line_breaks() {
        let text = "Key;LABEL;Notes;Integrations;Expires;Rotate_days;Provider\n\
                    abc123;\"Newsletter; weekly\";\"line one\nline \"\"two\"\"\";HubSpot=https://app.hubspot.com;2099-01-01;90;\n\
                    ;No key here;;;;;\n\
                    def456;Bad date;;;31/12/2099;;\n\
                    ghi789;Unknown platform;;;;;Zapier\n";
        let (format, parsed) = super::super::read(format!("\u{feff}{text}").as_bytes(), None).unwrap();
        assert_eq!(format, Format::Spreadsheet);
        assert_eq!(parsed.rows.len(), 2);
        let first = &parsed.rows[0];
        assert_eq!((first.line, first.meta.label.as_str()), (2, "Newsletter; weekly"));
        assert_eq!(first.secret.expose_secret(), "abc123");
        assert_eq!(first.meta.notes, "line one\nline \"two\"");
        assert_eq!(first.meta.integrations[0].url.as_deref(), Some("https://app.hubspot.com"));
        assert_eq!(first.meta.rotate_after_days, Some(90));
        assert_eq!(parsed.rows[1].line, 6);
        assert!(parsed.rows[1].meta.notes.contains("Zapier"));
        let lines: Vec<_> = parsed.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [4, 5], "{:?}", parsed.problems);
        assert!(parsed.problems[0].reason.contains("no key"));
        assert!(parsed.problems[1].reason.starts_with("expires:"));
    }

    #[test]
    fn a_missing_column_is_named() {
        assert_eq!(
            super::super::read(b"label,notes\nA,b\n", Some(Format::Spreadsheet)).err(),
            Some(ImportError::MissingColumn { column: "key" })
        );
    }

    #[test]
    fn keepass_groups_lose_the_root() {
        assert_eq!(keepass_group("Root/Email/SendGrid").as_deref(), Some("Email/SendGrid"));
        assert_eq!(keepass_group("Root"), None);
        assert_eq!(keepass_group(""), None);
    }
}
