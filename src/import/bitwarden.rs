//! Bitwarden's unencrypted JSON export: `folders` (id, name) and `items`, each with a `type`
//! (1 login, 2 secure note, 3 card, 4 identity), `name`, `notes`, `fields` (custom fields:
//! name, value) and, for a login, `login.username`, `login.password` and `login.uris`.
//!
//! The key is a custom field named like an API key (`api_key`, `API Key`, `token`, `secret`…)
//! where there is one, else a login's password; the item's name is the label, its folder a tag,
//! its addresses integrations.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::fields::{is_secret_field, left_out, names_a_secret, paired};
use super::{Fields, ImportError, Parsed, Problem, integration_from_url};

#[derive(Deserialize)]
struct Export<'a> {
    #[serde(default)]
    encrypted: bool,
    #[serde(default)]
    folders: Vec<Folder>,
    /// An organisation's export: its collections (id, name), named by each item's
    /// `collectionIds`.
    #[serde(default)]
    collections: Vec<Folder>,
    #[serde(borrow, default)]
    items: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Folder {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    #[serde(rename = "type", default)]
    kind: Option<u8>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    folder_id: Option<String>,
    #[serde(default)]
    collection_ids: Option<Vec<String>>,
    #[serde(default)]
    fields: Option<Vec<Field>>,
    #[serde(default)]
    login: Option<Login>,
    #[serde(default)]
    creation_date: Option<String>,
}

#[derive(Deserialize)]
struct Field {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    value: Option<String>,
    /// 0 text, 1 hidden, 2 boolean, 3 linked.
    #[serde(rename = "type", default)]
    kind: Option<u8>,
}

#[derive(Deserialize)]
struct Login {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    uris: Option<Vec<Uri>>,
    #[serde(default)]
    totp: Option<String>,
}

#[derive(Deserialize)]
struct Uri {
    #[serde(default)]
    uri: Option<String>,
}

/// A custom field's name that means "this is the key".
pub(super) fn names_a_key(name: &str) -> bool {
    let name: String =
        name.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase();
    name.contains("apikey")
        || name.contains("token")
        || matches!(name.as_str(), "key" | "secret" | "secretkey" | "apisecret" | "privateapikey")
}

pub(super) fn read(text: &str) -> Result<Parsed, ImportError> {
    let export: Export<'_> = serde_json::from_str(text).map_err(|error| ImportError::NotThisFormat {
        format: "Bitwarden JSON export",
        detail: format!("the JSON cannot be read at line {}, column {}", error.line(), error.column()),
    })?;
    if export.encrypted {
        return Err(ImportError::EncryptedBitwarden);
    }
    let mut parsed = Parsed::default();
    let mut lines = super::Lines::new(text);
    for raw in export.items {
        // The item's text is a slice of the file: where it starts is its line.
        let offset = (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
        let line = lines.at(offset);
        let Ok(item) = serde_json::from_str::<Item>(raw.get()) else {
            parsed.problems.push(Problem::new(line, "this item is not laid out as Bitwarden writes items"));
            continue;
        };
        match item.kind {
            Some(1 | 2) => {}
            Some(3) => {
                parsed.problems.push(
                    Problem::new(line, "a card, not a key: not imported")
                        .of(item.name.as_deref().unwrap_or("")),
                );
                continue;
            }
            Some(4) => {
                parsed.problems.push(
                    Problem::new(line, "an identity, not a key: not imported")
                        .of(item.name.as_deref().unwrap_or("")),
                );
                continue;
            }
            _ => {
                parsed.problems.push(
                    Problem::new(line, "an item of a kind Keydesk does not read")
                        .of(item.name.as_deref().unwrap_or("")),
                );
                continue;
            }
        }
        let mut fields = Fields { line, label: item.name.unwrap_or_default(), ..Fields::default() };
        let mut others = Vec::new();
        let mut secrets = Vec::new();
        for field in item.fields.unwrap_or_default() {
            let name = field.name.unwrap_or_default();
            let value = zeroize::Zeroizing::new(field.value.unwrap_or_default());
            if value.trim().is_empty() {
                continue;
            }
            if fields.secret.is_empty() && names_a_key(&name) {
                fields.secret = value;
            } else if is_secret_field(&name, &value, field.kind == Some(1)) {
                // A hidden field or one named like a secret (a PIN, a TOTP seed, a second
                // key) is never copied into the notes, which vault.ron keeps in plain text.
                secrets.push((name, value));
            } else {
                others.push(format!("{name}: {}", value.as_str()));
            }
        }
        if let Some(login) = item.login {
            let password = zeroize::Zeroizing::new(login.password.unwrap_or_default());
            if fields.secret.is_empty() {
                fields.secret = password;
            } else if !password.trim().is_empty() {
                fields.notices.push(
                    "the login's password left out: the API key field is the key, and a key keeps one secret"
                        .to_owned(),
                );
            }
            if login.totp.is_some_and(|totp| !totp.trim().is_empty()) {
                fields.notices.push(left_out("login TOTP"));
            }
            fields.username = login.username.unwrap_or_default();
            for uri in login.uris.unwrap_or_default() {
                fields.integrations.extend(uri.uri.as_deref().and_then(integration_from_url));
            }
        }
        for (name, value) in secrets {
            match paired(&fields.secret, &value) {
                Some(joined) if names_a_secret(&name) => fields.secret = zeroize::Zeroizing::new(joined),
                _ => fields.notices.push(left_out(&name)),
            }
        }
        if fields.secret.is_empty() && item.kind == Some(2) {
            let reason =
                "a secure note with no custom field named like api_key: add the key as a field named api_key";
            parsed.problems.push(Problem::new(line, reason).of(&fields.label));
            continue;
        }
        fields.notes.push(item.notes.unwrap_or_default());
        fields.notes.extend(others);
        fields.created = item.creation_date.unwrap_or_default();
        let named = |list: &[Folder], id: &str| {
            list.iter().find(|f| f.id.as_deref() == Some(id)).and_then(|f| f.name.clone())
        };
        fields.tags.extend(item.folder_id.as_deref().and_then(|id| named(&export.folders, id)));
        for id in item.collection_ids.unwrap_or_default() {
            fields.tags.extend(named(&export.collections, &id));
        }
        match fields.into_row() {
            Ok(row) => parsed.rows.push(row),
            Err(problem) => parsed.problems.push(problem),
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn logins_notes_fields_and_folders() {
        let text = r#"{
  "encrypted": false,
  "folders": [{"id": "f1", "name": "Email"}],
  "items": [
    {"id": "a", "folderId": "f1", "type": 1, "name": "Newsletter", "notes": null,
     "fields": [{"name": "API Key", "value": "field-value", "type": 1}, {"name": "webhook signing", "value": "hidden-value", "type": 1}],
     "login": {"username": "ops", "password": "pw", "uris": [{"match": null, "uri": "https://app.example.com"}]},
     "creationDate": "2025-01-02T03:04:05.000Z"},
    {"id": "b", "type": 2, "name": "Transactional", "notes": "for receipts",
     "fields": [{"name": "token", "value": "note-value", "type": 1}], "secureNote": {"type": 0}},
    {"id": "c", "type": 2, "name": "Just a note", "notes": "nothing"},
    {"id": "d", "type": 3, "name": "Company card"},
    {"id": "e", "type": 1, "name": "Plain login", "login": {"password": "login-value"}}
  ]
}"#;
        let parsed = read(text).unwrap();
        let rows: Vec<_> = parsed
            .rows
            .iter()
            .map(|r| (r.line, r.meta.label.as_str(), r.secret.expose_secret().to_owned()))
            .collect();
        assert_eq!(
            rows,
            [
                (5, "Newsletter", "field-value".to_owned()),
                (9, "Transactional", "note-value".to_owned()),
                (13, "Plain login", "login-value".to_owned())
            ]
        );
        assert_eq!(parsed.rows[0].tags, ["Email"]);
        assert!(parsed.rows[0].notices[0].contains("password left out"), "{:?}", parsed.rows[0].notices);
        assert!(parsed.rows[0].notices[1].starts_with("\"webhook signing\" left out"));
        assert!(
            !parsed.rows.iter().any(|r| r.meta.notes.contains("hidden-value")),
            "no hidden value in the notes"
        );
        let problems: Vec<_> = parsed.problems.iter().map(|p| p.line).collect();
        assert_eq!(problems, [11, 12]);
    }

    #[test]
    fn names_of_key_fields() {
        for name in ["api_key", "API Key", "apiKey", "Access Token", "secret", "key"] {
            assert!(names_a_key(name), "{name}");
        }
        for name in ["username", "account id", "region"] {
            assert!(!names_a_key(name), "{name}");
        }
    }
}
