//! Reading and writing `vault.ron` as text.
//!
//! The format version is read first, so a file from a newer Keydesk is refused before
//! anything else is interpreted. Parse errors carry the line and column. No IO here.

use serde::Deserialize;

use super::model::{FORMAT, VaultFile};

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
    #[error("its format number {found} is unknown (this Keydesk reads format {FORMAT})")]
    Unknown { found: u32 },
}

#[derive(Deserialize)]
struct Probe {
    format: u32,
}

fn syntax(error: ron::error::SpannedError) -> FormatError {
    FormatError::Syntax {
        line: error.span.start.line,
        column: error.span.start.col,
        message: error.code.to_string(),
    }
}

/// Parses `vault.ron`.
pub fn parse(text: &str) -> Result<VaultFile, FormatError> {
    let probe: Probe = ron::from_str(text).map_err(syntax)?;
    if probe.format > FORMAT {
        return Err(FormatError::Newer { found: probe.format });
    }
    if probe.format != FORMAT {
        return Err(FormatError::Unknown { found: probe.format });
    }
    ron::from_str(text).map_err(syntax)
}

/// Renders `vault.ron` (pretty, one field a line, so a person can read and diff it).
pub fn render(file: &VaultFile) -> String {
    let config = ron::ser::PrettyConfig::new().struct_names(false).indentor("  ".to_owned());
    let mut text = ron::ser::to_string_pretty(file, config).unwrap_or_default();
    text.push('\n');
    text
}

/// The top-level line that carries the integrity seal, as `render` writes it.
const SEAL_START: &str = "\n  integrity: \"";

/// `text` (rendered with an empty seal) with `seal` written into the seal line.
pub fn with_seal(text: &str, seal: &str) -> String {
    let empty = format!("{SEAL_START}\",");
    match text.rfind(&empty) {
        Some(at) => format!("{}{SEAL_START}{seal}\",{}", &text[..at], &text[at + empty.len()..]),
        None => text.to_owned(),
    }
}

/// `text` with its seal emptied, and the seal: what the seal was computed over.
pub fn split_seal(text: &str) -> Option<(String, String)> {
    let at = text.rfind(SEAL_START)?;
    let rest = &text[at + SEAL_START.len()..];
    let end = rest.find("\",")?;
    let seal = rest[..end].to_owned();
    Some((format!("{}{SEAL_START}\",{}", &text[..at], &rest[end + 2..]), seal))
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
        assert_eq!(parse("(format: 2, anything: [])"), Err(FormatError::Newer { found: 2 }));
        assert_eq!(parse("(format: 0)"), Err(FormatError::Unknown { found: 0 }));
        assert!(matches!(parse(""), Err(FormatError::Syntax { .. })));
    }

    #[test]
    fn seal_line_round_trips() {
        let text = "(\n  format: 1,\n  integrity: \"\",\n)\n";
        let sealed = with_seal(text, "abc123");
        assert_eq!(sealed, "(\n  format: 1,\n  integrity: \"abc123\",\n)\n");
        assert_eq!(split_seal(&sealed), Some((text.to_owned(), "abc123".to_owned())));
        assert_eq!(split_seal("(format: 1)"), None);
    }

    proptest::proptest! {
        #[test]
        fn seal_helpers_never_panic(text in "\\PC{0,200}") {
            let _ = split_seal(&text);
            let _ = with_seal(&text, "x");
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,400}") {
            let _ = parse(&text);
        }

        #[test]
        fn parse_never_panics_on_ron_like_text(text in "[(){}\\[\\]:,\"a-z0-9_ \n]{0,300}") {
            let _ = parse(&format!("(format: 1, {text}"));
        }
    }
}
