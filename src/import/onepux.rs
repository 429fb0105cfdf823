//! 1Password's `.1pux` export: a zip whose `export.data` is JSON laid out as 1Password
//! publishes it — `accounts`, each with `vaults`, each with `items`. An item has a
//! `categoryUuid` ("110" API Credential, "001" Login, others skipped with what they are), a
//! `state` ("archived" items are skipped), `overview` (title, url, urls, tags) and `details`
//! (`loginFields`, `notesPlain`, `sections` of fields whose value is an object such as
//! `{"concealed": …}`, `{"string": …}`, `{"date": seconds}`).
//!
//! The key of an API Credential is its `credential` field, of a Login its password (or a
//! section field named like an API key, as in the other readers); the title is the label,
//! the addresses integrations, the tags tags, `notesPlain` and the plain fields the notes. A
//! concealed field, a one-time-password seed or a field named like a secret never goes into
//! the notes. A `.1pux` has its JSON on one line: a row's "line" is the item's number in the
//! export (1 for the first item of the first vault).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::fields::{is_secret_field, left_out};
use super::{Fields, ImportError, Parsed, Problem, integration_from_url};

#[derive(Deserialize)]
struct Export<'a> {
    #[serde(borrow, default)]
    accounts: Vec<Account<'a>>,
}

#[derive(Deserialize)]
struct Account<'a> {
    #[serde(borrow, default)]
    vaults: Vec<Vault<'a>>,
}

#[derive(Deserialize)]
struct Vault<'a> {
    #[serde(borrow, default)]
    items: Vec<&'a RawValue>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Item {
    #[serde(default)]
    category_uuid: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    created_at: Option<i64>,
    #[serde(default)]
    overview: Overview,
    #[serde(default)]
    details: Details,
}

#[derive(Deserialize, Default)]
struct Overview {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    urls: Vec<Url>,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Deserialize)]
struct Url {
    #[serde(default)]
    url: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Details {
    #[serde(default)]
    login_fields: Vec<LoginField>,
    #[serde(default)]
    notes_plain: Option<String>,
    #[serde(default)]
    sections: Vec<Section>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginField {
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    name: Option<String>,
    /// "P" a password, "T" text, "E" an email address…
    #[serde(default)]
    field_type: Option<String>,
    #[serde(default)]
    designation: Option<String>,
}

#[derive(Deserialize)]
struct Section {
    #[serde(default)]
    fields: Vec<SectionField>,
}

#[derive(Deserialize)]
struct SectionField {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    id: Option<String>,
    /// One entry: its kind (`concealed`, `string`, `date`, `menu`, `url`, `totp`…) and value.
    #[serde(default)]
    value: BTreeMap<String, Value>,
}

/// What a category other than API Credential and Login is, for the reason it is skipped.
fn category_name(uuid: &str) -> String {
    let name = match uuid {
        "002" => "credit card",
        "003" => "secure note",
        "004" => "identity",
        "005" => "password",
        "006" => "document",
        "100" => "software licence",
        "101" => "bank account",
        "102" => "database",
        "103" => "driver licence",
        "104" => "outdoor licence",
        "105" => "membership",
        "106" => "passport",
        "107" => "reward programme",
        "108" => "social security number",
        "109" => "wireless router",
        "111" => "medical record",
        "112" => "SSH key",
        "113" => "crypto wallet",
        other => return format!("an item of 1Password's category \"{}\"", super::clip(other, 20)),
    };
    format!("a 1Password {name}")
}

pub(super) fn read(text: &str) -> Result<Parsed, ImportError> {
    let export: Export<'_> = serde_json::from_str(text).map_err(|error| ImportError::NotThisFormat {
        format: "1Password .1pux export",
        detail: format!("its export.data cannot be read as JSON at column {}", error.column()),
    })?;
    let mut parsed = Parsed::default();
    let items = export.accounts.iter().flat_map(|a| &a.vaults).flat_map(|v| &v.items);
    for (index, raw) in items.enumerate() {
        let number = index + 1;
        let Ok(item) = serde_json::from_str::<Item>(raw.get()) else {
            parsed.problems.push(Problem::new(number, "this item is not laid out as 1Password writes items"));
            continue;
        };
        match item_fields(item, number) {
            Ok(fields) => match fields.into_row() {
                Ok(row) => parsed.rows.push(row),
                Err(problem) => parsed.problems.push(problem),
            },
            Err(problem) => parsed.problems.push(problem),
        }
    }
    Ok(parsed)
}

/// A section field's value as text, and whether it is a secret by its kind.
fn field_value(value: &BTreeMap<String, Value>) -> Option<(String, bool)> {
    let (kind, value) = value.iter().next()?;
    let secret = matches!(kind.as_str(), "concealed" | "totp" | "sshKey" | "creditCardNumber");
    let text = match value {
        Value::String(text) => text.clone(),
        Value::Number(seconds) if kind == "date" => seconds
            .as_i64()
            .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
            .map(|at| at.format("%Y-%m-%d").to_string())?,
        Value::Number(number) => number.to_string(),
        Value::Bool(yes) => yes.to_string(),
        Value::Object(fields) if kind == "email" => {
            fields.get("email_address").and_then(Value::as_str).unwrap_or_default().to_owned()
        }
        _ => return None,
    };
    Some((text, secret))
}

/// One item's fields, or why it is skipped.
fn item_fields(item: Item, number: usize) -> Result<Fields, Problem> {
    let title = item.overview.title.unwrap_or_default();
    match item.state.as_deref() {
        Some("archived") => {
            let reason = "archived in 1Password: not imported (unarchive it there to bring it in)";
            return Err(Problem::new(number, reason).of(&title));
        }
        Some("deleted") => return Err(Problem::new(number, "in 1Password's trash: not imported").of(&title)),
        _ => {}
    }
    let category = item.category_uuid.unwrap_or_default();
    let api_credential = match category.as_str() {
        "110" => true,
        "001" => false,
        other => {
            let reason = format!("{}, not an API credential or a login: not imported", category_name(other));
            return Err(Problem::new(number, reason).of(&title));
        }
    };
    let mut fields = Fields { line: number, label: title, ..Fields::default() };
    fields.created = item
        .created_at
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map(|at| at.to_rfc3339())
        .unwrap_or_default();
    for login in item.details.login_fields {
        let value = login.value.unwrap_or_default();
        let name = login.name.unwrap_or_default();
        match login.designation.as_deref() {
            _ if value.trim().is_empty() => {}
            Some("password") if !api_credential => fields.secret = zeroize::Zeroizing::new(value),
            Some("username") if !api_credential => fields.username = value,
            _ if login.field_type.as_deref() == Some("P") || is_secret_field(&name, &value, false) => {
                fields.notices.push(left_out(&name));
            }
            _ => fields.notes.push(format!("{name}: {value}")),
        }
    }
    let mut key_field = false;
    for field in item.details.sections.into_iter().flat_map(|s| s.fields) {
        let Some((value, concealed)) = field_value(&field.value) else { continue };
        if value.trim().is_empty() {
            continue;
        }
        let id = field.id.unwrap_or_default();
        let title = field.title.filter(|t| !t.trim().is_empty()).unwrap_or_else(|| id.clone());
        let names_key =
            if api_credential { id == "credential" } else { super::bitwarden::names_a_key(&title) };
        if names_key && !key_field {
            if !fields.secret.trim().is_empty() {
                fields.notices.push(
                    "the login's password left out: the API key field is the key, and a key keeps one secret"
                        .to_owned(),
                );
            }
            fields.secret = zeroize::Zeroizing::new(value);
            key_field = true;
        } else if api_credential && id == "username" {
            fields.username = value;
        } else if api_credential && id == "expires" {
            fields.expires = value;
        } else if api_credential && id == "hostname" {
            fields.integrations.extend(integration_from_url(&value));
        } else if concealed || is_secret_field(&title, &value, false) {
            fields.notices.push(left_out(&title));
        } else {
            fields.notes.push(format!("{title}: {value}"));
        }
    }
    let urls = item.overview.urls.into_iter().filter_map(|u| u.url);
    for url in urls.chain(item.overview.url) {
        let Some(found) = integration_from_url(&url) else { continue };
        if !fields.integrations.iter().any(|i| i.url == found.url && i.name == found.name) {
            fields.integrations.push(found);
        }
    }
    fields.notes.insert(0, item.details.notes_plain.unwrap_or_default());
    fields.tags = item.overview.tags;
    Ok(fields)
}

#[cfg(test)]
pub(super) mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    /// An export laid out as 1Password documents the .1pux format.
    pub(crate) const EXPORT: &str = r#"{"accounts":[{"attrs":{"accountName":"Marketing","name":"Ops","email":"ops@example.com","uuid":"A1","domain":"https://example.1password.com/"},
      "vaults":[{"attrs":{"uuid":"V1","desc":"","avatar":"","name":"Email platforms","type":"P"},"items":[
        {"uuid":"i1","favIndex":0,"createdAt":1700000000,"updatedAt":1700000500,"state":"active","categoryUuid":"110",
         "details":{"loginFields":[],"notesPlain":"Sending only","sections":[{"title":"","name":"","fields":[
           {"title":"username","id":"username","value":{"string":"ops"},"guarded":false,"multiline":false,"dontGenerate":false,"inputTraits":{"keyboard":"default","correction":"default","capitalization":"default"}},
           {"title":"credential","id":"credential","value":{"concealed":"onepux-credential-value-0001"},"guarded":true,"multiline":false,"dontGenerate":true,"inputTraits":{"keyboard":"default","correction":"default","capitalization":"default"}},
           {"title":"type","id":"type","value":{"menu":"bearer"},"guarded":false,"multiline":false,"dontGenerate":false,"inputTraits":{"keyboard":"default","correction":"default","capitalization":"default"}},
           {"title":"expires","id":"expires","value":{"date":4102444800},"guarded":false,"multiline":false,"dontGenerate":false,"inputTraits":{"keyboard":"default","correction":"default","capitalization":"default"}},
           {"title":"hostname","id":"hostname","value":{"string":"api.sendgrid.com"},"guarded":false,"multiline":false,"dontGenerate":false,"inputTraits":{"keyboard":"default","correction":"default","capitalization":"default"}},
           {"title":"recovery pin","id":"x1","value":{"string":"462916"},"guarded":false,"multiline":false,"dontGenerate":false,"inputTraits":{"keyboard":"default","correction":"default","capitalization":"default"}}]}],
           "passwordHistory":[]},
         "overview":{"subtitle":"ops","urls":[],"title":"SendGrid sending","url":"","ps":0,"pbe":0.0,"pgrng":false,"tags":["Email","Production"]}},
        {"uuid":"i2","favIndex":0,"createdAt":1700000000,"updatedAt":1700000000,"state":"active","categoryUuid":"001",
         "details":{"loginFields":[{"value":"team@example.com","id":"","name":"email","fieldType":"E","designation":"username"},
           {"value":"onepux-login-password-0002","id":"","name":"password","fieldType":"P","designation":"password"}],
           "notesPlain":"","sections":[{"title":"Extra","name":"s1","fields":[
             {"title":"one-time password","id":"TOTP_1","value":{"totp":"otpauth://totp/x?secret=ABC"},"guarded":false,"multiline":false,"dontGenerate":false,"inputTraits":{}},
             {"title":"Region","id":"r1","value":{"string":"EU"},"guarded":false,"multiline":false,"dontGenerate":false,"inputTraits":{}}]}],
           "passwordHistory":[]},
         "overview":{"subtitle":"team@example.com","urls":[{"label":"","url":"https://app.brevo.com/login"}],"title":"Brevo login","url":"https://app.brevo.com/login","ps":0,"pbe":0.0,"pgrng":false,"tags":[]}},
        {"uuid":"i3","favIndex":0,"createdAt":1700000000,"updatedAt":1700000000,"state":"archived","categoryUuid":"110",
         "details":{"loginFields":[],"notesPlain":"","sections":[],"passwordHistory":[]},
         "overview":{"title":"Old key","urls":[],"url":"","tags":[]}}]},
      {"attrs":{"uuid":"V2","name":"Private","type":"U"},"items":[
        {"uuid":"i4","favIndex":0,"createdAt":1700000000,"updatedAt":1700000000,"state":"active","categoryUuid":"002",
         "details":{"loginFields":[],"notesPlain":"","sections":[],"passwordHistory":[]},
         "overview":{"title":"Company card","urls":[],"url":"","tags":[]}}]}]}]}"#;

    #[test]
    fn api_credentials_and_logins_come_in_and_the_rest_is_skipped_with_a_reason() {
        let parsed = read(EXPORT).unwrap();
        assert_eq!(parsed.rows.len(), 2);
        let credential = &parsed.rows[0];
        assert_eq!(credential.line, 1);
        assert_eq!(credential.meta.label, "SendGrid sending");
        assert_eq!(credential.secret.expose_secret(), "onepux-credential-value-0001");
        assert_eq!(credential.meta.notes, "Username: ops\nSending only\ntype: bearer");
        assert_eq!(credential.tags, ["Email", "Production"]);
        assert_eq!(credential.meta.integrations[0].name, "api.sendgrid.com");
        assert_eq!(
            credential.meta.expires_at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2100-01-01T00:00:00+00:00")
        );
        assert_eq!(credential.created_at.map(|t| t.timestamp()), Some(1_700_000_000));
        assert!(!credential.meta.notes.contains("462916"), "a field named like a PIN stays out");
        assert_eq!(credential.notices.len(), 1, "{:?}", credential.notices);
        let login = &parsed.rows[1];
        assert_eq!(login.secret.expose_secret(), "onepux-login-password-0002");
        assert_eq!(login.meta.notes, "Username: team@example.com\nRegion: EU");
        assert_eq!(login.meta.integrations.len(), 1, "the same address once");
        assert!(login.notices[0].contains("one-time password"), "{:?}", login.notices);
        let skipped: Vec<_> = parsed.problems.iter().map(|p| (p.line, p.label.as_str())).collect();
        assert_eq!(skipped, [(3, "Old key"), (4, "Company card")]);
        assert!(parsed.problems[0].reason.contains("archived"));
        assert!(parsed.problems[1].reason.contains("credit card"), "{}", parsed.problems[1].reason);
    }

    #[test]
    fn a_login_s_api_key_field_is_the_key() {
        let export = r#"{"accounts":[{"vaults":[{"items":[{"categoryUuid":"001","state":"active",
          "details":{"loginFields":[{"value":"the-password","name":"password","fieldType":"P","designation":"password"}],
            "sections":[{"fields":[{"title":"API Key","id":"k","value":{"concealed":"the-api-key"}}]}]},
          "overview":{"title":"Mailchimp"}}]}]}]}"#;
        let parsed = read(export).unwrap();
        assert_eq!(parsed.rows[0].secret.expose_secret(), "the-api-key");
        assert!(parsed.rows[0].notices[0].contains("password left out"));
        assert!(read("{\"accounts\": [").is_err());
        assert_eq!(read("{}").map(|p| p.rows.len()).ok(), Some(0));
    }
}
