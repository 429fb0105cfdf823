//! Reading and writing `vault.ron` as text.
//!
//! The format version is read first, so a file from a newer Keydesk is refused before
//! anything else is interpreted. Parse errors carry the line and column. No IO here.

use serde::Deserialize;

use super::model::{FORMAT, OLDEST_FORMAT, VaultFile};
use super::stored::VaultRon;

/// Why a vault text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The text is not valid RON or lacks a field.
    #[error("line {line}, column {column}: {message}")]
    Syntax { line: usize, column: usize, message: String },
    /// A newer Keydesk wrote the file.
    #[error("it was written by a newer Keydesk (format {found}; this one reads format {FORMAT})")]
    Newer { found: u32 },
    /// The format number is not one Keydesk ever wrote.
    #[error("its format number {found} is unknown (this Keydesk reads formats {OLDEST_FORMAT} to {FORMAT})")]
    Unknown { found: u32 },
}

#[derive(Deserialize)]
struct Probe {
    format: u32,
}

#[allow(clippy::needless_pass_by_value, reason = "the adapter `map_err` takes")]
fn syntax(error: ron::error::SpannedError) -> FormatError {
    FormatError::Syntax {
        line: error.span.start.line,
        column: error.span.start.col,
        message: clip(&error.code.to_string(), 100),
    }
}

/// Text from outside (a file, what was typed, a provider's answer) made fit for one line of a
/// message: control characters become spaces, and it is cut after `most` characters, so a
/// message that quotes it never echoes more than a few words.
pub fn clip(text: &str, most: usize) -> String {
    let clean = text.chars().map(|c| if c.is_control() { ' ' } else { c });
    if text.chars().count() <= most {
        clean.collect()
    } else {
        format!("{}…", clean.take(most).collect::<String>())
    }
}

/// Parses `vault.ron`: its format first, then the whole file once (by [`super::layout`] when
/// it is in the layout Keydesk writes, else by RON).
pub fn parse(text: &str) -> Result<VaultFile, FormatError> {
    let format = match leading_format(text) {
        Some(format) => format,
        // Fields moved by hand: the whole text is read for it (slower, still correct).
        None => ron::from_str::<Probe>(text).map_err(syntax)?.format,
    };
    if format > FORMAT {
        return Err(FormatError::Newer { found: format });
    }
    if format < OLDEST_FORMAT {
        return Err(FormatError::Unknown { found: format });
    }
    // The layout Keydesk writes is read by its own fast reader; anything else (a file edited
    // by hand, or not valid) by RON, which also says what is wrong.
    let file: VaultRon<'static> = match super::layout::from_str(text) {
        Ok(file) => file,
        Err(super::layout::NotLayout) => ron::from_str(text).map_err(syntax)?,
    };
    let mut file = file.into_model();
    if format < 4 {
        // Formats 1 and 2 kept 256-bit hex lookup hashes, format 3 their first 128 bits in
        // base64; format 4 keeps the first 96.
        for key in &mut file.keys {
            if let Some(short) = super::crypto::shorten_lookup_hash(&key.lookup_hash) {
                key.lookup_hash = short;
            }
        }
    }
    Ok(file)
}

/// The format number, read from the first field as Keydesk writes it (`(` then `format: N`,
/// after any blank space, comments, `#![…]` attributes and a struct name), without reading
/// the rest of the file. `None` when the text does not start that way.
pub fn leading_format(text: &str) -> Option<u32> {
    let mut rest = skip_blank(text);
    while let Some(attribute) = rest.strip_prefix("#!") {
        rest = skip_blank(&attribute[attribute.find(']')? + 1..]);
    }
    rest = skip_blank(rest.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_'));
    rest = skip_blank(rest.strip_prefix('(')?);
    rest = rest.strip_prefix("format")?;
    rest = skip_blank(rest).strip_prefix(':')?;
    rest = skip_blank(rest);
    let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    // The number must end there (`format: 2,` or `format: 2)`), not run into a suffix.
    let after = skip_blank(&rest[digits..]);
    if !(after.starts_with(',') || after.starts_with(')')) {
        return None;
    }
    rest[..digits].parse().ok()
}

/// `text` after blank space and RON comments (`// …` and `/* … */`, not nested).
fn skip_blank(mut text: &str) -> &str {
    loop {
        text = text.trim_start();
        if let Some(line) = text.strip_prefix("//") {
            text = line.find('\n').map_or("", |end| &line[end..]);
        } else if let Some(block) = text.strip_prefix("/*") {
            text = block.find("*/").map_or("", |end| &block[end + 2..]);
        } else {
            return text;
        }
    }
}

/// Renders `vault.ron` for a person to read and diff: the header a field a line, then each
/// account and each key on a line of its own. Fields at their default are left out. Written
/// by [`super::layout::to_string`], the same bytes as RON's pretty printer
/// ([`render_by_ron`]), which writes a value of a shape the layout does not know.
pub fn render(file: &VaultFile) -> Result<String, super::VaultError> {
    let mut text = match super::layout::to_string(&VaultRon::of(file)) {
        Ok(text) => text,
        Err(super::layout::NotLayout) => return render_by_ron(file),
    };
    text.push('\n');
    Ok(text)
}

/// [`render`] by RON's pretty printer.
pub fn render_by_ron(file: &VaultFile) -> Result<String, super::VaultError> {
    // `implicit_some`: an optional value is written as itself (`expires_at: "2026-…"`), not
    // wrapped in `Some(…)`; the file's first line says so, and RON reads it either way.
    // No space after `:` and `,`, and one space of indentation a level: a key is one line of
    // `field:value` pairs, as easy to read as a line of JSON (at 10,000 keys the spaces were
    // 0.2 MB of 2.76).
    let config = ron::ser::PrettyConfig::new()
        .separator("")
        .struct_names(false)
        .indentor(" ".to_owned())
        .depth_limit(2)
        .extensions(ron::extensions::Extensions::IMPLICIT_SOME);
    let mut text = ron::ser::to_string_pretty(&VaultRon::of(file), config)
        .map_err(|_ron_error| super::VaultError::Render { what: "the vault file" })?;
    text.push('\n');
    Ok(text)
}

/// The top-level line that carries the integrity seal, as `render` writes it.
const SEAL_START: &str = "\n integrity:\"";

/// The same line as earlier Keydesks wrote it: indented by two, and before that also with a
/// space after the colon (such a file is still read and its seal checked; the next save
/// writes it the new way).
const OLDER_SEAL_STARTS: [&str; 2] = ["\n  integrity:\"", "\n  integrity: \""];

/// Writes `seal` into the (empty) seal line of `text`, in place.
pub fn insert_seal(text: &mut String, seal: &str) {
    let empty = format!("{SEAL_START}\",");
    if let Some(at) = text.rfind(&empty) {
        text.insert_str(at + SEAL_START.len(), seal);
    }
}

/// `text` with the seal line emptied, as the slices before and after the seal's value, and
/// the seal itself: what the seal was computed over, without copying the file.
pub fn split_seal(text: &str) -> Option<(&str, &str, &str)> {
    let at = std::iter::once(SEAL_START)
        .chain(OLDER_SEAL_STARTS)
        .find_map(|start| Some(text.rfind(start)? + start.len()))?;
    let rest = &text[at..];
    let end = rest.find("\",")?;
    Some((&text[..at], &rest[..end], &rest[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_positions() {
        let err = parse("(\n  format: 1,\n  header: oops\n)").expect_err("bad");
        match err {
            FormatError::Syntax { line, .. } => assert_eq!(line, 3),
            other => panic!("{other:?}"),
        }
        assert_eq!(parse("(format: 6, anything: [])"), Err(FormatError::Newer { found: 6 }));
        assert_eq!(parse("(format: 0)"), Err(FormatError::Unknown { found: 0 }));
        assert!(matches!(parse(""), Err(FormatError::Syntax { .. })));
    }

    #[test]
    fn the_format_is_read_from_the_first_field_only() {
        let garbage = "(\n  format: 2,\n  header: \u{0}\u{7f} not RON at all ((((";
        assert_eq!(leading_format(garbage), Some(2));
        assert_eq!(
            leading_format("#![enable(implicit_some)]\n// made by hand\nVaultFile /* x */ ( format : 17 )"),
            Some(17)
        );
        assert_eq!(parse("(format: 9, header: ]]]"), Err(FormatError::Newer { found: 9 }));
        // Not first, or not a plain number: the whole text decides.
        assert_eq!(leading_format("(header: (), format: 2)"), None);
        assert_eq!(leading_format("(format: 2u8)"), None);
        assert_eq!(leading_format("(format: 99999999999)"), None);
        assert_eq!(parse("(header: [], format: 6)"), Err(FormatError::Newer { found: 6 }));
    }

    #[test]
    fn seal_line_round_trips() {
        let text = "(\n format:1,\n integrity:\"\",\n)\n";
        let mut sealed = text.to_owned();
        insert_seal(&mut sealed, "abc123");
        assert_eq!(sealed, "(\n format:1,\n integrity:\"abc123\",\n)\n");
        let (before, seal, after) = split_seal(&sealed).unwrap();
        assert_eq!((format!("{before}{after}"), seal), (text.to_owned(), "abc123"));
        assert_eq!(split_seal("(format: 1)"), None);
        // Files written with two spaces of indentation, and before that with a space after
        // each colon: their seals are still found.
        for older in ["(\n  format:1,\n  integrity:\"\",\n)\n", "(\n  format: 1,\n  integrity: \"\",\n)\n"] {
            let sealed = older.replace("\"\"", "\"abc123\"");
            let (before, seal, after) = split_seal(&sealed).unwrap();
            assert_eq!((format!("{before}{after}"), seal), (older.to_owned(), "abc123"));
        }
    }

    proptest::proptest! {
        #[test]
        fn seal_helpers_never_panic(text in "\\PC{0,200}") {
            let _ = split_seal(&text);
            let mut owned = text.clone();
            insert_seal(&mut owned, "x");
        }

        #[test]
        fn leading_format_never_panics(text in "\\PC{0,200}") {
            let _ = leading_format(&text);
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,400}") {
            let _parsed = parse(&text);
        }

        #[test]
        fn parse_never_panics_on_ron_like_text(text in "[(){}\\[\\]:,\"a-z0-9_ \n]{0,300}") {
            let _parsed = parse(&format!("(format: 1, {text}"));
        }
    }
}
