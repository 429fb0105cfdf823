//! Reading and writing `vault.ron` as text.
//!
//! The format version is read first, so a file from a newer Keydesk is refused before
//! anything else is interpreted. Parse errors carry the line and column. No IO here.

use serde::Deserialize;

use super::model::{FORMAT, OLDEST_FORMAT, VaultFile};

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

/// Parses `vault.ron`.
pub fn parse(text: &str) -> Result<VaultFile, FormatError> {
    let probe: Probe = ron::from_str(text).map_err(syntax)?;
    if probe.format > FORMAT {
        return Err(FormatError::Newer { found: probe.format });
    }
    if probe.format < OLDEST_FORMAT {
        return Err(FormatError::Unknown { found: probe.format });
    }
    ron::from_str(text).map_err(syntax)
}

/// Renders `vault.ron` (pretty, one field a line, so a person can read and diff it).
pub fn render(file: &VaultFile) -> Result<String, super::VaultError> {
    let config = ron::ser::PrettyConfig::new().struct_names(false).indentor("  ".to_owned());
    let mut text = ron::ser::to_string_pretty(file, config)
        .map_err(|_ron_error| super::VaultError::Render { what: "the vault file" })?;
    text.push('\n');
    Ok(text)
}

/// The top-level line that carries the integrity seal, as `render` writes it.
const SEAL_START: &str = "\n  integrity: \"";

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
    let at = text.rfind(SEAL_START)? + SEAL_START.len();
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
        assert_eq!(parse("(format: 3, anything: [])"), Err(FormatError::Newer { found: 3 }));
        assert_eq!(parse("(format: 0)"), Err(FormatError::Unknown { found: 0 }));
        assert!(matches!(parse(""), Err(FormatError::Syntax { .. })));
    }

    #[test]
    fn seal_line_round_trips() {
        let text = "(\n  format: 1,\n  integrity: \"\",\n)\n";
        let mut sealed = text.to_owned();
        insert_seal(&mut sealed, "abc123");
        assert_eq!(sealed, "(\n  format: 1,\n  integrity: \"abc123\",\n)\n");
        let (before, seal, after) = split_seal(&sealed).unwrap();
        assert_eq!((format!("{before}{after}"), seal), (text.to_owned(), "abc123"));
        assert_eq!(split_seal("(format: 1)"), None);
    }

    proptest::proptest! {
        #[test]
        fn seal_helpers_never_panic(text in "\\PC{0,200}") {
            let _ = split_seal(&text);
            let mut owned = text.clone();
            insert_seal(&mut owned, "x");
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
