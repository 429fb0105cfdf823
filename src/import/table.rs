//! The CSV layouts: a spreadsheet's, KeePassXC's, 1Password's, Bitwarden's and LastPass's.
//! Columns are found by their header, in any order, case-insensitively; comma, semicolon
//! (Excel writes semicolons where the comma is the decimal mark) or tab separated, or as a
//! `sep=` first line says; quoted fields may hold separators, quotes and line breaks.

use super::columns::{ColumnMap, Field};
use super::fields::{is_secret_field, left_out};
use super::{
    DateOrder, Fields, Format, ImportError, Parsed, Problem, integration_from_url, integrations_from_cell,
    split_unescaped,
};

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
    raw_header(text, delimiter).iter().map(|h| h.to_lowercase()).collect()
}

/// The header of a CSV as the file writes it (trimmed), split by `delimiter`.
fn raw_header(text: &str, delimiter: u8) -> Vec<String> {
    let mut reader = reader(text, delimiter);
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => record.iter().map(|h| h.trim().to_owned()).collect(),
        _ => Vec::new(),
    }
}

/// Where the rows start and how they are split: after a `sep=;` line (which Excel writes and
/// reads) by what it names, else by whichever of comma, semicolon (where the comma is the
/// decimal mark) and tab (Excel's "Unicode Text") splits the first line into most columns.
fn layout(text: &str) -> (usize, u8) {
    let first = text.lines().next().unwrap_or("");
    if let Some(sep) =
        first.trim_end().strip_prefix("sep=").or_else(|| first.trim_end().strip_prefix("\"sep="))
    {
        let delimiter = match sep.trim_end_matches('"').as_bytes() {
            [b] if b.is_ascii() => *b,
            _ => b',',
        };
        return (text.find('\n').map_or(text.len(), |end| end + 1), delimiter);
    }
    let best = [b',', b';', b'\t'].into_iter().max_by_key(|d| (header(text, *d).len(), *d == b','));
    (0, best.unwrap_or(b','))
}

/// Which column of `header` goes by one of `names`.
fn column(header: &[String], names: &[&str]) -> Option<usize> {
    names.iter().find_map(|name| header.iter().position(|h| h == name))
}

/// The column names a spreadsheet's header may use, in English and in the languages of the
/// spreadsheets marketers save (German, French, Spanish, Italian, Portuguese, Dutch).
const LABEL: &[&str] = &[
    "label",
    "name",
    "title",
    "bezeichnung",
    "titel",
    "nom",
    "libellé",
    "etiqueta",
    "nombre",
    "etichetta",
    "nome",
    "naam",
];
const KEY: &[&str] = &[
    "key",
    "api key",
    "api_key",
    "apikey",
    "api-key",
    "secret",
    "token",
    "schlüssel",
    "api-schlüssel",
    "clé",
    "clé api",
    "cle",
    "cle api",
    "clave",
    "clave api",
    "chiave",
    "chiave api",
    "chave",
    "chave api",
    "sleutel",
];
const PROVIDER: &[&str] = &[
    "provider",
    "platform",
    "anbieter",
    "plattform",
    "fournisseur",
    "plateforme",
    "proveedor",
    "plataforma",
    "fornitore",
    "piattaforma",
    "fornecedor",
    "aanbieder",
];
const INTEGRATIONS: &[&str] = &[
    "integrations",
    "integration",
    "used by",
    "integrationen",
    "intégrations",
    "integraciones",
    "integrazioni",
    "integrações",
    "integraties",
];
const NOTES: &[&str] = &[
    "notes",
    "note",
    "notesplain",
    "notizen",
    "notiz",
    "bemerkungen",
    "remarques",
    "notas",
    "nota",
    "opmerkingen",
];
const EXPIRES: &[&str] = &[
    "expires",
    "expires_at",
    "expiry",
    "expiration",
    "ablauf",
    "ablaufdatum",
    "läuft ab",
    "gültig bis",
    "expire",
    "caduca",
    "vence",
    "vencimiento",
    "scadenza",
    "expira",
    "vervalt",
];
const CREATED: &[&str] = &[
    "created",
    "created_at",
    "erstellt",
    "erstellt am",
    "créé",
    "créé le",
    "creado",
    "creato",
    "criado",
    "aangemaakt",
];
const ROTATE: &[&str] = &["rotate_days", "rotate days", "rotate_after_days", "rotation_days"];
const TAGS: &[&str] = &["tags", "tag", "schlagwörter", "étiquettes", "etiquetas", "etichette"];

/// The CSV layout the header row names.
pub(super) fn detect(text: &str) -> Option<Format> {
    let (start, delimiter) = layout(text);
    let header = header(text.get(start..).unwrap_or(""), delimiter);
    let has = |name: &str| header.iter().any(|h| h == name);
    if has("group") && has("title") && has("password") {
        Some(Format::KeepassCsv)
    } else if has("login_password") && has("name") && has("type") {
        Some(Format::BitwardenCsv)
    } else if has("grouping") && has("extra") && has("password") && has("name") {
        Some(Format::LastPass)
    } else if has("title") && has("password") && (has("url") || has("website") || has("otpauth")) {
        Some(Format::OnePassword)
    } else if column(&header, LABEL).is_some() && column(&header, KEY).is_some() {
        Some(Format::Spreadsheet)
    } else {
        None
    }
}

/// The first row's columns as a refusal names them: quoted, as the file writes them, at most
/// twelve (then "…").
pub(super) fn found_columns(text: &str) -> String {
    let (start, delimiter) = layout(text);
    said_columns(&raw_header(text.get(start..).unwrap_or(""), delimiter))
}

/// `header`'s named columns, quoted, at most twelve (then "…").
fn said_columns(header: &[String]) -> String {
    let named: Vec<&String> = header.iter().filter(|h| !h.is_empty()).collect();
    let mut said: Vec<String> =
        named.iter().take(12).map(|h| format!("\"{}\"", super::clip(h, 30))).collect();
    if named.len() > 12 {
        said.push("…".to_owned());
    }
    if said.is_empty() { "no columns".to_owned() } else { said.join(", ") }
}

/// A `--columns` text for `text`'s first row to offer in a refusal: the label is the first
/// column, the key the first whose name says secret (else the last); a column by its name
/// where a shell takes it as it is, else by its number.
pub(super) fn suggested_columns(text: &str) -> String {
    let (start, delimiter) = layout(text);
    let header = raw_header(text.get(start..).unwrap_or(""), delimiter);
    let named: Vec<usize> = (0..header.len()).filter(|at| !header[*at].is_empty()).collect();
    let (Some(&label), Some(&last)) = (named.first(), named.last()) else {
        return "label=COLUMN,key=COLUMN".to_owned();
    };
    if label == last {
        return "label=COLUMN,key=COLUMN".to_owned();
    }
    let secret =
        |h: &str| ["key", "token", "secret", "pass", "pwd"].iter().any(|w| h.to_lowercase().contains(w));
    let key = named.iter().copied().skip(1).find(|at| secret(&header[*at])).unwrap_or(last);
    let plain = |h: &str| {
        !h.is_empty()
            && h.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
            && !h.bytes().all(|b| b.is_ascii_digit())
    };
    let name = |at: usize| if plain(&header[at]) { header[at].clone() } else { (at + 1).to_string() };
    format!("label={},key={}", name(label), name(key))
}

/// `text`'s header row and its first rows (the filled ones), when it has two columns or more.
pub(super) fn sample(text: &str) -> Option<super::columns::Sample> {
    let (start, delimiter) = layout(text);
    let mut reader = reader(text.get(start..).unwrap_or(""), delimiter);
    let mut record = csv::StringRecord::new();
    let mut rows = Vec::new();
    let mut header = None;
    while rows.len() < super::columns::SAMPLE_ROWS && matches!(reader.read_record(&mut record), Ok(true)) {
        let cells: Vec<zeroize::Zeroizing<String>> =
            record.iter().map(|cell| zeroize::Zeroizing::new(undefused(cell).to_owned())).collect();
        if header.is_none() {
            header = Some(cells.iter().map(|c| c.trim().to_owned()).collect::<Vec<_>>());
        } else if cells.iter().any(|c| !c.trim().is_empty()) {
            rows.push(cells);
        }
    }
    header.filter(|h| h.len() >= 2).map(|h| super::columns::Sample::new(h, rows))
}

/// Where each field a layout reads sits in the header.
#[derive(Default)]
struct Columns {
    /// Only a `--columns` map may leave it out (naming the url instead).
    label: Option<usize>,
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
    /// Bitwarden's custom fields (`name: value` lines) and its TOTP, LastPass's TOTP.
    fields: Option<usize>,
    totp: Option<usize>,
    kind: Option<usize>,
}

/// Where the `--columns` text `map` puts each field in `header` (the header row as the file
/// writes it).
fn mapped(header: &[String], map: &str) -> Result<Columns, ImportError> {
    let found = ColumnMap::parse(map)
        .and_then(|map| map.resolve(header))
        .map_err(|problem| ImportError::Columns { problem, found: said_columns(header) })?;
    let at = |field: Field| found.iter().find(|(f, _)| *f == field).map(|(_, at)| *at);
    Ok(Columns {
        label: at(Field::Label),
        // `resolve` answers a key column or an error.
        key: at(Field::Key).unwrap_or_default(),
        provider: at(Field::Provider),
        integrations: at(Field::Integrations),
        url: at(Field::Url),
        notes: at(Field::Notes),
        expires: at(Field::Expires),
        created: at(Field::Created),
        rotate_days: at(Field::RotateDays),
        tags: at(Field::Tags),
        ..Columns::default()
    })
}

fn columns(header: &[String], format: Format) -> Result<Columns, ImportError> {
    let found = || header.iter().filter(|h| !h.is_empty()).take(12).cloned().collect::<Vec<_>>().join(", ");
    let need = |names: &[&str], column_name: &'static str| {
        column(header, names)
            .ok_or_else(|| ImportError::MissingColumn { column: column_name, found: found() })
    };
    let columns = match format {
        Format::Spreadsheet => Columns {
            label: Some(need(LABEL, "label")?),
            key: need(KEY, "key")?,
            provider: column(header, PROVIDER),
            integrations: column(header, INTEGRATIONS),
            url: column(header, &["url"]),
            notes: column(header, NOTES),
            expires: column(header, EXPIRES),
            created: column(header, CREATED),
            rotate_days: column(header, ROTATE),
            tags: column(header, TAGS),
            ..Columns::default()
        },
        Format::BitwardenCsv => Columns {
            label: Some(need(&["name"], "name")?),
            key: need(&["login_password"], "login_password")?,
            url: column(header, &["login_uri"]),
            username: column(header, &["login_username"]),
            notes: column(header, &["notes"]),
            group: column(header, &["folder"]),
            tags: column(header, &["collections"]),
            fields: column(header, &["fields"]),
            totp: column(header, &["login_totp"]),
            kind: column(header, &["type"]),
            ..Columns::default()
        },
        Format::LastPass => Columns {
            label: Some(need(&["name"], "name")?),
            key: need(&["password"], "password")?,
            url: column(header, &["url"]),
            username: column(header, &["username"]),
            notes: column(header, &["extra"]),
            group: column(header, &["grouping"]),
            totp: column(header, &["totp"]),
            ..Columns::default()
        },
        _ => Columns {
            label: Some(need(&["title", "name"], "Title")?),
            key: need(&["password"], "Password")?,
            url: column(header, &["url", "website", "urls"]),
            username: column(header, &["username"]),
            notes: column(header, &["notes", "note", "notesplain"]),
            created: (format == Format::KeepassCsv).then(|| column(header, &["created"])).flatten(),
            tags: column(header, &["tags", "tag"]),
            group: (format == Format::KeepassCsv).then(|| column(header, &["group"])).flatten(),
            archived: (format == Format::OnePassword).then(|| column(header, &["archived"])).flatten(),
            totp: column(header, &["totp", "otpauth"]),
            ..Columns::default()
        },
    };
    Ok(columns)
}

/// How the file writes the dates of its date columns (a pass over them before the rows).
fn date_order(text: &str, delimiter: u8, columns: &Columns) -> DateOrder {
    let wanted: Vec<usize> = [columns.expires, columns.created].into_iter().flatten().collect();
    if wanted.is_empty() {
        return DateOrder::Unknown;
    }
    let mut reader = reader(text, delimiter);
    let mut record = csv::StringRecord::new();
    let mut dates = Vec::new();
    while let Ok(true) = reader.read_record(&mut record) {
        dates.extend(wanted.iter().filter_map(|i| record.get(*i)).map(str::to_owned));
    }
    DateOrder::evident(dates.iter().map(String::as_str))
}

/// Reads `text` in the CSV layout `format`, its columns found by their header's names, or
/// where `map` (a `--columns` text) says whatever the header says.
pub(super) fn read(text: &str, format: Format, map: Option<&str>) -> Result<Parsed, ImportError> {
    let (start, delimiter) = layout(text);
    let body = text.get(start..).unwrap_or("");
    let mut reader = reader(body, delimiter);
    let mut record = csv::StringRecord::new();
    let mut parsed = Parsed::default();
    let header: Vec<String> = match reader.read_record(&mut record) {
        Ok(true) => record.iter().map(|h| h.trim().to_owned()).collect(),
        _ => return Err(ImportError::Empty),
    };
    let columns = match map {
        Some(map) => mapped(&header, map)?,
        None => columns(&header.iter().map(|h| h.to_lowercase()).collect::<Vec<_>>(), format)?,
    };
    let order = date_order(body, delimiter, &columns);
    let mut lines = super::Lines::new(text);
    loop {
        let at = |offset: u64| start.saturating_add(usize::try_from(offset).unwrap_or(usize::MAX));
        let line = line_at(&mut lines, text, at(reader.position().byte()));
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
        let line = record.position().map_or(line, |p| line_at(&mut lines, text, at(p.byte())));
        match row(&record, &columns, format, line, order) {
            Ok(fields) => match fields.into_row() {
                Ok(row) => parsed.rows.push(row),
                Err(problem) => parsed.problems.push(problem),
            },
            Err(problem) => parsed.problems.push(problem),
        }
    }
    Ok(parsed)
}

/// One record's fields, or why it is skipped.
fn row(
    record: &csv::StringRecord,
    columns: &Columns,
    format: Format,
    line: usize,
    date_order: DateOrder,
) -> Result<Fields, Problem> {
    let cell = |index: Option<usize>| undefused(index.and_then(|i| record.get(i)).unwrap_or("")).to_owned();
    let label = cell(columns.label);
    if cell(columns.archived).trim().eq_ignore_ascii_case("true") {
        let reason = "archived in 1Password: not imported (unarchive it there to bring it in)";
        return Err(Problem::new(line, reason).of(&label));
    }
    let mut fields = Fields {
        line,
        label,
        secret: zeroize::Zeroizing::new(undefused(record.get(columns.key).unwrap_or("")).to_owned()),
        provider: cell(columns.provider),
        username: cell(columns.username),
        expires: cell(columns.expires),
        created: cell(columns.created),
        rotate_days: cell(columns.rotate_days),
        date_order,
        ..Fields::default()
    };
    fields.integrations = integrations_from_cell(&cell(columns.integrations));
    let url = cell(columns.url);
    // LastPass writes "http://sn" as the address of a secure note.
    if url.trim() != "http://sn" {
        fields.integrations.extend(url.split('\n').filter_map(integration_from_url));
    }
    fields.notes.push(cell(columns.notes));
    fields.tags = split_unescaped(&cell(columns.tags), &[';', ',']);
    if !cell(columns.totp).trim().is_empty() {
        fields.notices.push(left_out("TOTP"));
    }
    if format == Format::BitwardenCsv {
        bitwarden_fields(&cell(columns.fields), &mut fields);
        if fields.secret.trim().is_empty() && cell(columns.kind).trim() == "note" {
            let reason =
                "a secure note with no custom field named like api_key: add the key as a field named api_key";
            return Err(Problem::new(line, reason).of(&fields.label));
        }
    }
    let group = cell(columns.group);
    let group =
        if format == Format::KeepassCsv { keepass_group(&group) } else { Some(group.trim().to_owned()) };
    if let Some(group) = group.filter(|g| !g.is_empty()) {
        // KeePassXC's CSV has no other mark of its recycle bin than the group's name.
        if group == "Recycle Bin" || group.starts_with("Recycle Bin/") {
            return Err(Problem::new(line, "in the recycle bin: not imported").of(&fields.label));
        }
        fields.tags.insert(0, group.replace('\\', "/"));
    }
    Ok(fields)
}

/// Bitwarden's CSV custom fields, `name: value` a line: one named like an API key is the key
/// (the login's password is then left out), a secret one is left out, the rest go in the notes.
fn bitwarden_fields(cell: &str, fields: &mut Fields) {
    let mut key_field = false;
    for line in cell.lines() {
        let (name, value) = line.split_once(": ").unwrap_or((line, ""));
        if value.trim().is_empty() {
            continue;
        }
        if !key_field && super::bitwarden::names_a_key(name) {
            if !fields.secret.trim().is_empty() {
                fields.notices.push(
                    "the login's password left out: the API key field is the key, and a key keeps one secret"
                        .to_owned(),
                );
            }
            fields.secret = zeroize::Zeroizing::new(value.to_owned());
            key_field = true;
        } else if is_secret_field(name, value, false) {
            fields.notices.push(left_out(name));
        } else {
            fields.notes.push(format!("{name}: {value}"));
        }
    }
}

/// A cell Keydesk's export defused against running as a formula (a `'` before `=`, `+`, `-`,
/// `@`, a tab, a carriage return or another `'`), as it was.
pub(crate) fn undefused(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(super::export::DEFUSED) => rest,
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
                    def456;Bad date;;;next week;0;\n\
                    ghi789;Unknown platform;;;31/12/99;;Zapier\n";
        let (format, parsed) = super::super::read(format!("\u{feff}{text}").as_bytes(), None).unwrap();
        assert_eq!(format, Format::Spreadsheet);
        assert_eq!(parsed.rows.len(), 3);
        let first = &parsed.rows[0];
        assert_eq!((first.line, first.meta.label.as_str()), (2, "Newsletter; weekly"));
        assert_eq!(first.secret.expose_secret(), "abc123");
        assert_eq!(first.meta.notes, "line one\nline \"two\"");
        assert_eq!(first.meta.integrations[0].url.as_deref(), Some("https://app.hubspot.com"));
        assert_eq!(first.meta.rotate_after_days, Some(90));
        // An optional column that cannot be read costs that column, not the key.
        let bad = &parsed.rows[1];
        assert_eq!((bad.line, bad.meta.expires_at, bad.meta.rotate_after_days), (5, None, None));
        assert!(bad.notices[0].starts_with("expires: \"next week\" is not a date"), "{:?}", bad.notices);
        assert!(bad.notices[1].starts_with("rotate_days: \"0\""), "{:?}", bad.notices);
        let last = &parsed.rows[2];
        assert_eq!(last.line, 6);
        assert!(last.meta.notes.contains("Zapier"));
        assert_eq!(
            last.meta.expires_at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2099-12-31T00:00:00+00:00")
        );
        let lines: Vec<_> = parsed.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [4], "{:?}", parsed.problems);
        assert!(parsed.problems[0].reason.contains("no key"));
    }

    #[test]
    fn a_missing_column_is_named() {
        assert_eq!(
            super::super::read(b"label,notes\nA,b\n", Some(Format::Spreadsheet)).err(),
            Some(ImportError::MissingColumn { column: "key", found: "label, notes".into() })
        );
    }

    #[test]
    fn the_file_s_own_date_order_reads_ambiguous_dates() {
        let text = "label,key,expires\nA,a1,03/04/2099\nB,b1,01/31/2099\nC,c1,31.01.99\n";
        let (_, parsed) = super::super::read(text.as_bytes(), None).unwrap();
        let days: Vec<_> =
            parsed.rows.iter().map(|r| r.meta.expires_at.map(|t| t.format("%Y-%m-%d").to_string())).collect();
        assert_eq!(days, [Some("2099-03-04".into()), Some("2099-01-31".into()), Some("2099-01-31".into())]);
    }

    #[test]
    fn sep_lines_tabs_and_other_languages() {
        let text = "sep=|\nlabel|key\nA|a1\n";
        let (_, parsed) = super::super::read(text.as_bytes(), None).unwrap();
        assert_eq!((parsed.rows[0].line, parsed.rows[0].meta.label.as_str()), (3, "A"));
        let text = "Bezeichnung\tAPI-Schlüssel\tAblaufdatum\tNotizen\nA\ta1\t31.01.2099\tHallo\n";
        let (format, parsed) = super::super::read(text.as_bytes(), None).unwrap();
        assert_eq!(format, Format::Spreadsheet);
        assert_eq!(parsed.rows[0].meta.notes, "Hallo");
        assert!(parsed.rows[0].meta.expires_at.is_some());
    }

    #[test]
    fn bitwarden_and_lastpass_csv() {
        let text = "collections,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n\
                    Marketing,login,Newsletter,,\"API Key: field-value\npin: 462916\nRegion: EU\",0,https://app.example.com,ops,pw,otpauth://totp/x\n";
        let (format, parsed) = super::super::read(text.as_bytes(), None).unwrap();
        assert_eq!(format, Format::BitwardenCsv);
        let row = &parsed.rows[0];
        assert_eq!(row.secret.expose_secret(), "field-value");
        assert_eq!(row.tags, ["Marketing"]);
        assert_eq!(row.meta.notes, "Username: ops\nRegion: EU");
        assert_eq!(row.notices.len(), 3, "{:?}", row.notices);
        assert!(!row.meta.notes.contains("462916"));
        let text = "url,username,password,totp,extra,name,grouping,fav\n\
                    https://app.example.com,ops,lp-value,,a note,Mailing,Email\\Keys,0\n";
        let (format, parsed) = super::super::read(text.as_bytes(), None).unwrap();
        assert_eq!(format, Format::LastPass);
        let row = &parsed.rows[0];
        assert_eq!((row.meta.label.as_str(), row.secret.expose_secret()), ("Mailing", "lp-value"));
        assert_eq!(row.tags, ["Email/Keys"]);
    }

    #[test]
    fn windows_1252_and_utf_16_text() {
        let latin: &[u8] = b"label;key;notes\nCaf\xe9;k1;\x80 5\n";
        let (_, parsed) = super::super::read(latin, None).unwrap();
        assert_eq!((parsed.rows[0].meta.label.as_str(), parsed.rows[0].meta.notes.as_str()), ("Café", "€ 5"));
        let text = "label\tkey\nNewsletter 日本\tk2\n";
        let utf16: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
        let (_, parsed) = super::super::read(&utf16, None).unwrap();
        assert_eq!(parsed.rows[0].meta.label, "Newsletter 日本");
        assert_eq!(parsed.rows[0].secret.expose_secret(), "k2");
    }

    #[test]
    fn keepass_groups_lose_the_root() {
        assert_eq!(keepass_group("Root/Email/SendGrid").as_deref(), Some("Email/SendGrid"));
        assert_eq!(keepass_group("Root"), None);
        assert_eq!(keepass_group(""), None);
    }
}
