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
