//! What differs between two versions of `vault.ron`, in words a person can check: shown when
//! the vault was changed outside Keydesk (compared with `vault.ron.bak`), and recorded when
//! the user keeps the changes.

use serde_json::Value;

use super::format::clip;
use super::model::VaultFile;
use super::stored::VaultRon;

/// Most differences listed; more are counted.
const MOST: usize = 8;

/// The differences from `before` to `after`, one line each ("key \"CRM\": label \"A\" → \"B\""),
/// at most a few, then how many more. The seal, the save count and the audit head change
/// at every save and are left out.
pub fn differences(before: &VaultFile, after: &VaultFile) -> Vec<String> {
    let as_written = |file| serde_json::to_value(VaultRon::of(file));
    let (Ok(mut a), Ok(mut b)) = (as_written(before), as_written(after)) else {
        return Vec::new();
    };
    for value in [&mut a, &mut b] {
        if let Some(top) = value.as_object_mut() {
            top.remove("integrity");
            top.remove("audit");
            if let Some(header) = top.get_mut("header").and_then(Value::as_object_mut) {
                header.remove("generation");
            }
        }
    }
    let mut found = Vec::new();
    walk("", &a, &b, &mut found);
    if found.len() > MOST {
        let more = found.len() - MOST;
        found.truncate(MOST);
        found.push(format!("and {more} more"));
    }
    found
}

fn walk(path: &str, a: &Value, b: &Value, found: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut names: Vec<&String> = x.keys().chain(y.keys()).collect();
            names.sort();
            names.dedup();
            for name in names {
                let inner = join(path, name);
                // A field left out is at its default (`vault.ron` omits those).
                match (x.get(name), y.get(name)) {
                    (Some(p), Some(q)) => walk(&inner, p, q, found),
                    (Some(p), None) => walk(&inner, p, &default_like(p), found),
                    (None, Some(q)) => walk(&inner, &default_like(q), q, found),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if is_records(x) && is_records(y) => {
            // Keys and accounts are matched by id, so one added or removed does not shift
            // every later one.
            for p in x {
                let name = record_name(path, p);
                match y.iter().find(|q| q["id"] == p["id"]) {
                    Some(q) => walk(&name, p, q, found),
                    None => found.push(format!("{name} removed")),
                }
            }
            for q in y.iter().filter(|q| !x.iter().any(|p| p["id"] == q["id"])) {
                found.push(format!("{} added", record_name(path, q)));
            }
        }
        _ if a != b => {
            let what = if path.is_empty() { "the file" } else { path };
            found.push(format!("{what}: {} → {}", shown(a), shown(b)));
        }
        _ => {}
    }
}

/// The default of a field of `value`'s kind: what a field left out of the file reads as.
fn default_like(value: &Value) -> Value {
    match value {
        Value::Bool(_) => Value::Bool(false),
        Value::Number(_) => Value::from(0),
        Value::String(_) => Value::String(String::new()),
        Value::Array(_) => Value::Array(Vec::new()),
        Value::Null | Value::Object(_) => Value::Null,
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") }
}

/// Whether every element is a record with an id (a key or an account).
fn is_records(values: &[Value]) -> bool {
    values.iter().all(|v| v.get("id").is_some_and(Value::is_string))
}

/// "key \"CRM\"" or "account \"Brevo\"": the record's label or name, else its id.
fn record_name(path: &str, record: &Value) -> String {
    let kind = match path {
        "keys" => "key",
        "accounts" => "account",
        other => other,
    };
    let name = ["label", "name", "id"].iter().find_map(|field| record[field].as_str()).unwrap_or("?");
    format!("{kind} \"{}\"", clip(name, 40))
}

fn shown(value: &Value) -> String {
    match value {
        Value::Null => "none".to_owned(),
        Value::String(text) if text.is_empty() => "none".to_owned(),
        Value::String(text) => format!("\"{}\"", clip(text, 60)),
        Value::Array(items) if items.is_empty() => "none".to_owned(),
        other => clip(&other.to_string(), 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> VaultFile {
        serde_json::from_str::<VaultRon>(text).expect("a vault").into_model()
    }

    #[test]
    fn names_what_changed_by_record() {
        let header = r#""header":{"vault_id":"v","created_at":"2026-01-01T00:00:00Z","kdf":{"memory_kib":19456,"iterations":2,"lanes":1},"salt":"","wrapped_data_key":"","secret_store":"File","generation":3}"#;
        let before = file(&format!(
            r#"{{"format":2,{header},"accounts":[{{"id":"a1","name":"Brevo","provider":"Brevo","base_url":null,"has_management_key":false,"created_at":"2026-01-01T00:00:00Z"}}],"keys":[],"integrity":"x"}}"#
        ));
        let mut after = serde_json::to_value(VaultRon::of(&before)).unwrap();
        after["accounts"][0]["base_url"] = "http://evil.example".into();
        after["header"]["generation"] = 4.into();
        after["integrity"] = "y".into();
        let mut after = serde_json::from_value::<VaultRon>(after).unwrap().into_model();
        assert_eq!(
            differences(&before, &after),
            ["account \"Brevo\".base_url: none → \"http://evil.example\""]
        );
        after.accounts[0].base_url = None;
        after.accounts[0].has_management_key = true;
        assert_eq!(differences(&before, &after), ["account \"Brevo\".has_management_key: false → true"]);
        assert!(differences(&before, &before).is_empty());
    }
}
