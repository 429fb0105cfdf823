//! Which column of a table holds which field, as a person says it: `keydesk import FILE
//! --columns label=Name,key="API Key",notes=3` on the command line, or the window's column
//! picker (which writes the same text, by column numbers). With it, a table is read with that
//! mapping whatever its header row says; the header row is still the first row (not imported).
//!
//! Pure code: the text is parsed, then matched against the header row; each refusal is one
//! sentence saying what is wrong (the caller adds the columns the file has).

/// A field of a key that a table's column can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Label,
    Key,
    Notes,
    Expires,
    Url,
    Tags,
    Provider,
    Integrations,
    Created,
    RotateDays,
}

impl Field {
    pub const ALL: [Field; 10] = [
        Field::Label,
        Field::Key,
        Field::Notes,
        Field::Expires,
        Field::Url,
        Field::Tags,
        Field::Provider,
        Field::Integrations,
        Field::Created,
        Field::RotateDays,
    ];

    /// The fields the window's column picker offers.
    pub const PICKED: [Field; 6] =
        [Field::Label, Field::Key, Field::Notes, Field::Expires, Field::Url, Field::Tags];

    /// The word `--columns` names it by.
    pub fn word(self) -> &'static str {
        match self {
            Field::Label => "label",
            Field::Key => "key",
            Field::Notes => "notes",
            Field::Expires => "expires",
            Field::Url => "url",
            Field::Tags => "tags",
            Field::Provider => "provider",
            Field::Integrations => "integrations",
            Field::Created => "created",
            Field::RotateDays => "rotate_days",
        }
    }

    /// What a person reads.
    pub fn name(self) -> &'static str {
        match self {
            Field::Label => "Label",
            Field::Key => "Key",
            Field::Notes => "Notes",
            Field::Expires => "Expires",
            Field::Url => "URL",
            Field::Tags => "Tags",
            Field::Provider => "Provider",
            Field::Integrations => "Integrations",
            Field::Created => "Created",
            Field::RotateDays => "Rotate days",
        }
    }

    fn from_word(word: &str) -> Option<Field> {
        let word = word.trim().to_lowercase().replace([' ', '-'], "_");
        Field::ALL.into_iter().find(|f| f.word() == word)
    }
}

/// A column as named: by its header text (any case) or by its number (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    Header(String),
    Number(usize),
}

impl Column {
    fn said(&self) -> String {
        match self {
            Column::Header(name) => format!("\"{}\"", super::clip(name, 40)),
            Column::Number(number) => format!("{number}"),
        }
    }
}

/// Fields and the columns that fill them, as parsed; matched against a header by
/// [`ColumnMap::resolve`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap {
    pairs: Vec<(Field, Column)>,
}

/// The longest `--columns` text read (ten fields with long header names fit many times).
const MAX_TEXT: usize = 4096;

impl ColumnMap {
    /// Parses `label=Name,key="API Key",notes=3`: `field=column` pairs separated by commas; a
    /// column is a header's text (in double quotes when it holds a comma, a `=` or a quote,
    /// a quote inside doubled) or, unquoted digits, a column's number from 1. `Err` is what is
    /// wrong, in words.
    pub fn parse(text: &str) -> Result<ColumnMap, String> {
        if text.len() > MAX_TEXT {
            return Err(format!("--columns is longer than {MAX_TEXT} characters"));
        }
        let mut pairs: Vec<(Field, Column)> = Vec::new();
        for part in split_outside_quotes(text, ',')? {
            if part.trim().is_empty() {
                continue;
            }
            let Some((field, column)) = split_once_outside_quotes(&part, '=') else {
                return Err(format!(
                    "--columns has \"{}\" where field=column is wanted (such as key=\"API Key\")",
                    super::clip(part.trim(), 40)
                ));
            };
            let field = Field::from_word(field).ok_or_else(|| {
                let known: Vec<&str> = Field::ALL.iter().map(|f| f.word()).collect();
                format!(
                    "--columns names the field \"{}\", which Keydesk does not import (the fields are {})",
                    super::clip(field.trim(), 40),
                    known.join(", ")
                )
            })?;
            if pairs.iter().any(|(f, _)| *f == field) {
                return Err(format!("--columns names the field {} twice", field.word()));
            }
            pairs.push((field, column_of(column)?));
        }
        if pairs.is_empty() {
            return Err("--columns names no field (write it as label=Name,key=Token)".to_owned());
        }
        Ok(ColumnMap { pairs })
    }

    /// The map the window's picker chose: each field by its column's index (0-based).
    pub fn of_indexes(picks: &[(Field, usize)]) -> ColumnMap {
        ColumnMap { pairs: picks.iter().map(|(f, at)| (*f, Column::Number(at.saturating_add(1)))).collect() }
    }

    /// The map as `--columns` text (which [`ColumnMap::parse`] reads back as it is).
    pub fn text(&self) -> String {
        let column = |column: &Column| match column {
            Column::Number(number) => number.to_string(),
            Column::Header(name) => format!("\"{}\"", name.replace('"', "\"\"")),
        };
        self.pairs.iter().map(|(f, c)| format!("{}={}", f.word(), column(c))).collect::<Vec<_>>().join(",")
    }

    /// Each field's column index (0-based) in `header` (the header row's cells as the file has
    /// them), or what is wrong: a column the file does not have, one column for two fields,
    /// no key, or nothing to label a row by (a label or an address).
    pub fn resolve(&self, header: &[String]) -> Result<Vec<(Field, usize)>, String> {
        let mut found: Vec<(Field, usize)> = Vec::new();
        for (field, column) in &self.pairs {
            let at = match column {
                Column::Number(number) => {
                    (1..=header.len()).contains(number).then(|| number - 1).ok_or_else(|| {
                        format!("there is no column {number} (the file has {} columns)", header.len())
                    })?
                }
                Column::Header(name) => {
                    let wanted = name.trim().to_lowercase();
                    header.iter().position(|h| h.trim().to_lowercase() == wanted).ok_or_else(|| {
                        format!(
                            "there is no column {} (a column is named by its header, or by its number from 1)",
                            column.said()
                        )
                    })?
                }
            };
            if let Some((other, _)) = found.iter().find(|(_, taken)| *taken == at) {
                return Err(format!(
                    "the column {} is chosen for both {} and {}: a column fills one field",
                    column.said(),
                    other.word(),
                    field.word()
                ));
            }
            found.push((*field, at));
        }
        let has = |field: Field| found.iter().any(|(f, _)| *f == field);
        if !has(Field::Key) {
            return Err("no column is chosen for the key".to_owned());
        }
        if !has(Field::Label) && !has(Field::Url) {
            return Err("no column is chosen for the label (or the url, whose host labels a row)".to_owned());
        }
        Ok(found)
    }
}

/// A table's header row and its first rows, for a person to say which column holds what.
pub struct Sample {
    /// The header row's cells as the file writes them (trimmed).
    pub columns: Vec<String>,
    /// The first rows' cells (a key among them: wiped when dropped).
    rows: Vec<Vec<zeroize::Zeroizing<String>>>,
}

impl std::fmt::Debug for Sample {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sample").field("columns", &self.columns).field("rows", &self.rows.len()).finish()
    }
}

/// The most rows a sample holds.
pub const SAMPLE_ROWS: usize = 5;

impl Sample {
    pub(super) fn new(columns: Vec<String>, rows: Vec<Vec<zeroize::Zeroizing<String>>>) -> Self {
        Sample { columns, rows }
    }

    /// How many rows it holds.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Whether the columns `picks` names (each field by its column's index) can be read: the
    /// same check `--columns` makes. `Err` is what is wrong.
    pub fn check(&self, picks: &[(Field, usize)]) -> Result<(), String> {
        ColumnMap::of_indexes(picks).resolve(&self.columns).map(|_found| ())
    }

    /// Each sample row's cell of each of `picks`, in their order, as the preview shows it: a
    /// key's cell never (its length instead).
    pub fn shown(&self, picks: &[(Field, usize)]) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .map(|row| {
                picks
                    .iter()
                    .map(|(field, at)| {
                        let cell = row.get(*at).map_or("", |c| c.trim());
                        match field {
                            Field::Key if cell.is_empty() => String::new(),
                            Field::Key => format!("hidden ({} characters)", cell.chars().count()),
                            _ => crate::vault::format::clip(cell, 80),
                        }
                    })
                    .collect()
            })
            .collect()
    }
}

/// A column as written after `=`: quoted, a header's text; unquoted digits, a number; else the
/// header's text as it is (trimmed).
fn column_of(text: &str) -> Result<Column, String> {
    let text = text.trim();
    let none = || "--columns names a field but no column after its = (such as key=3)".to_owned();
    if let Some(inner) = text.strip_prefix('"') {
        let Some(inner) = inner.strip_suffix('"') else {
            return Err(format!(
                "--columns has {} where one name in quotes is wanted (such as key=\"API Key\")",
                super::clip(text, 40)
            ));
        };
        if inner.trim().is_empty() {
            return Err(none());
        }
        return Ok(Column::Header(inner.replace("\"\"", "\"")));
    }
    if text.is_empty() {
        return Err(none());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        let number = text.parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            format!("--columns has the column number {}: columns are numbered from 1", super::clip(text, 20))
        })?;
        return Ok(Column::Number(number));
    }
    Ok(Column::Header(text.to_owned()))
}

/// `text` cut at each `separator` outside double quotes (the quotes kept).
fn split_outside_quotes(text: &str, separator: char) -> Result<Vec<String>, String> {
    let mut parts = vec![String::new()];
    let mut quoted = false;
    for c in text.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        match parts.last_mut() {
            Some(part) if quoted || c != separator => part.push(c),
            _ => parts.push(String::new()),
        }
    }
    if quoted {
        return Err(format!("--columns has a quote left open in \"{}\": close it", super::clip(text, 60)));
    }
    Ok(parts)
}

/// `text` cut at its first `separator` outside double quotes.
fn split_once_outside_quotes(text: &str, separator: char) -> Option<(&str, &str)> {
    let mut quoted = false;
    for (at, c) in text.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == separator && !quoted {
            return Some((&text[..at], &text[at + c.len_utf8()..]));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn names_quotes_and_numbers_are_read() {
        let map =
            ColumnMap::parse("label=Name, key=\"API Key\",notes=3,expires=\"Until, or\"\"not\"\"\",URL=site")
                .unwrap();
        let found =
            map.resolve(&header(&["name", "API KEY", "Comment", "Until, or\"not\"", "Site"])).unwrap();
        assert_eq!(
            found,
            [(Field::Label, 0), (Field::Key, 1), (Field::Notes, 2), (Field::Expires, 3), (Field::Url, 4)]
        );
        // A quoted number is a header's text.
        let map = ColumnMap::parse("label=1,key=\"2\"").unwrap();
        assert_eq!(map.resolve(&header(&["a", "b", "2"])).unwrap(), [(Field::Label, 0), (Field::Key, 2)]);
        assert_eq!(ColumnMap::parse(&map.text()).unwrap(), map);
        let picked = ColumnMap::of_indexes(&[(Field::Key, 2), (Field::Label, 0)]);
        assert_eq!(picked.text(), "key=3,label=1");
    }

    #[test]
    fn each_mistake_is_named() {
        let wrong = |text: &str| ColumnMap::parse(text).unwrap_err();
        assert!(wrong("label=a,colour=b").contains("the field \"colour\", which Keydesk does not import"));
        assert!(wrong("label=a,label=b").contains("the field label twice"));
        assert!(wrong("label").contains("where field=column is wanted"));
        assert!(wrong("label=\"a,key=b").contains("quote left open"));
        assert!(wrong("key=0").contains("numbered from 1"));
        assert!(wrong("key=").contains("no column after its ="));
        assert!(wrong(" , ").contains("names no field"));
        let columns = header(&["Site", "Login", "Token"]);
        let unresolved = |text: &str| ColumnMap::parse(text).unwrap().resolve(&columns).unwrap_err();
        assert!(unresolved("label=Site,key=Secret").contains("there is no column \"Secret\""));
        assert!(unresolved("label=Site,key=4").contains("there is no column 4 (the file has 3 columns)"));
        assert_eq!(
            unresolved("label=Site,key=Token,notes=3"),
            "the column 3 is chosen for both key and notes: a column fills one field"
        );
        assert_eq!(unresolved("label=Site"), "no column is chosen for the key");
        assert!(unresolved("notes=Site,key=Token").starts_with("no column is chosen for the label"));
        // An address alone labels a row by its host.
        assert!(ColumnMap::parse("url=Site,key=Token").unwrap().resolve(&columns).is_ok());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]
        #[test]
        fn any_columns_text_is_a_map_or_a_sentence(text in "[a-zA-Z0-9 ,=\"_\\-é]{0,80}|\\PC{0,80}") {
            if let Ok(map) = ColumnMap::parse(&text) {
                let _resolved = map.resolve(&header(&["label", "Key", "3", "a,b", ""]));
                prop_assert_eq!(ColumnMap::parse(&map.text()), Ok(map));
            }
        }
    }
}
