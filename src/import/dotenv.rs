//! A `.env` file (dotenv): `NAME=value` lines, `export NAME=value` too, `#` comments, values
//! bare, in double quotes (with `\n`, `\"` and `\\` escapes) or in single quotes (as written).
//! Each variable that holds a key — one Keydesk recognises, or one named like a secret
//! (`…_KEY`, `…_TOKEN`, `…_SECRET`, `…_PASSWORD`) — is a key labelled by its name, its provider
//! recognised from the key or else from the name (`MAILGUN_API_KEY`); the other variables
//! (an address, a port) are listed as not keys.

use super::fields::names_a_secret;
use super::{Fields, Parsed, Problem};
use crate::providers::Provider;

/// One assignment of a line: its name and its value's text, or `None` for a line that is not
/// one.
fn assignment(line: &str) -> Option<(&str, &str)> {
    let line = line.trim_start();
    let line = line.strip_prefix("export ").map_or(line, str::trim_start);
    let (name, value) = line.split_once('=')?;
    let name = name.trim_end();
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    (first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')).then_some((name, value))
}

/// Whether `text` is a `.env` file: of its first twenty lines that are not blank or a comment,
/// the first is an assignment and so are most (a quoted value may span lines).
pub(super) fn looks_like(text: &str) -> bool {
    let meaningful: Vec<&str> =
        text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).take(20).collect();
    let assignments = meaningful.iter().filter(|line| assignment(line).is_some()).count();
    meaningful.first().is_some_and(|line| assignment(line).is_some()) && assignments * 2 > meaningful.len()
}

/// The value of a variable, and how many more lines a quoted one spans.
fn value(text: &str, rest: &mut std::str::Lines<'_>) -> (zeroize::Zeroizing<String>, usize) {
    let text = text.trim_start();
    let mut out = zeroize::Zeroizing::new(String::new());
    let mut extra = 0;
    let Some(quote) = text.chars().next().filter(|c| *c == '"' || *c == '\'') else {
        // A bare value ends at a ` #` comment.
        let bare = text.split(" #").next().unwrap_or("");
        out.push_str(bare.trim());
        return (out, 0);
    };
    let mut current = text[1..].to_owned();
    loop {
        let mut chars = current.chars();
        while let Some(c) = chars.next() {
            if c == quote {
                return (out, extra);
            }
            if c == '\\' && quote == '"' {
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some(other) => out.push(other),
                    None => {}
                }
            } else {
                out.push(c);
            }
        }
        // The quote spans lines: the value goes on.
        match rest.next() {
            Some(next) => {
                out.push('\n');
                extra += 1;
                current = next.to_owned();
            }
            None => return (out, extra),
        }
    }
}

/// A provider a variable's name starts with (`SENDGRID_API_KEY`, `MAILCHIMP_KEY`).
fn provider_in_name(name: &str) -> Option<Provider> {
    let words: Vec<&str> = name.split(['_', '.']).filter(|w| !w.is_empty()).collect();
    (1..=words.len().min(3)).rev().find_map(|n| Provider::from_name(&words[..n].join(" ")))
}

pub(super) fn read(text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut lines = text.lines();
    let mut number = 0;
    while let Some(line) = lines.next() {
        number += 1;
        let at = number;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((name, raw)) = assignment(line) else {
            parsed.problems.push(Problem::new(at, "this line is not NAME=value: not read"));
            continue;
        };
        let (secret, extra) = value(raw, &mut lines);
        number += extra;
        if secret.trim().is_empty() {
            continue;
        }
        let recognised = crate::vault::detect::detect(secret.trim())
            .ok()
            .map(|d| d.provider)
            .filter(|p| *p != Provider::Other);
        if recognised.is_none() && !names_a_secret(name) {
            let reason = "not a key (neither a key Keydesk recognises nor named like one): not imported";
            parsed.problems.push(Problem::new(at, reason).of(name));
            continue;
        }
        // The key says whose it is; else the variable's name may.
        let provider = match (recognised, provider_in_name(name)) {
            (None, Some(named)) => named.name().to_owned(),
            _ => String::new(),
        };
        let fields = Fields { line: at, label: name.to_owned(), secret, provider, ..Fields::default() };
        match fields.into_row() {
            Ok(row) => parsed.rows.push(row),
            Err(problem) => parsed.problems.push(problem),
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn variables_that_hold_keys_become_keys() {
        let sendgrid = format!("SG.{}.{}", "a".repeat(22), "b".repeat(43));
        let text = format!(
            "# production\nexport SENDGRID_API_KEY={sendgrid}\nSMTP_PORT=587\nMAILGUN_API_KEY=\"key-with\\\"quote\" # main\n\nSMTP_PASSWORD='two words'\nMULTI=\"a\nb\"\nAFTER_TOKEN=value-after\n"
        );
        assert!(looks_like(&text));
        assert!(!looks_like("label,key\nA,b\n"));
        let parsed = read(&text);
        let rows: Vec<_> = parsed
            .rows
            .iter()
            .map(|r| (r.line, r.meta.label.as_str(), r.secret.expose_secret().to_owned(), r.provider))
            .collect();
        assert_eq!(
            rows,
            [
                (2, "SENDGRID_API_KEY", sendgrid.clone(), None),
                (4, "MAILGUN_API_KEY", "key-with\"quote".to_owned(), Some(Provider::Mailgun)),
                (6, "SMTP_PASSWORD", "two words".to_owned(), None),
                (9, "AFTER_TOKEN", "value-after".to_owned(), None),
            ]
        );
        let problems: Vec<_> = parsed.problems.iter().map(|p| (p.line, p.label.as_str())).collect();
        assert_eq!(problems, [(3, "SMTP_PORT"), (7, "MULTI")]);
    }
}
