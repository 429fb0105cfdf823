//! Keydesk's own JSON export (`keydesk export FILE --format json`): an array of objects with
//! `label`, `key`, `provider`, `integrations` (`name`, `url`), `notes`, `expires`, `created`,
//! `rotate_days` and `tags`; other fields (`id`, `status`) are the exporting vault's own.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Fields, ImportError, Parsed, Problem, integration_from_url};
use crate::vault::meta;

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    integrations: Option<Vec<Integration>>,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    expires: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    rotate_days: Option<u32>,
    #[serde(default)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
struct Integration {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

pub(super) fn read(text: &str) -> Result<Parsed, ImportError> {
    let entries: Vec<&RawValue> = serde_json::from_str(text).map_err(|error| ImportError::NotThisFormat {
        format: "Keydesk JSON export",
        detail: format!("the JSON cannot be read at line {}, column {}", error.line(), error.column()),
    })?;
    let mut parsed = Parsed::default();
    let mut lines = super::Lines::new(text);
    for raw in entries {
        let offset = (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
        let line = lines.at(offset);
        let Ok(entry) = serde_json::from_str::<Entry>(raw.get()) else {
            parsed.problems.push(Problem::new(line, "this entry is not laid out as Keydesk exports keys"));
            continue;
        };
        if entry.status.as_deref() == Some("revoked") {
            parsed.problems.push(
                Problem::new(line, "a revoked key: not imported").of(entry.label.as_deref().unwrap_or("")),
            );
            continue;
        }
        let integrations = entry
            .integrations
            .unwrap_or_default()
            .into_iter()
            .filter_map(|i| match (i.name, i.url) {
                (Some(name), url) => Some(meta::integration(&name, url.as_deref().unwrap_or(""))),
                (None, Some(url)) => integration_from_url(&url),
                (None, None) => None,
            })
            .collect();
        let fields = Fields {
            line,
            label: entry.label.unwrap_or_default(),
            secret: zeroize::Zeroizing::new(entry.key.unwrap_or_default()),
            provider: entry.provider.unwrap_or_default(),
            integrations,
            notes: vec![entry.notes.unwrap_or_default()],
            expires: entry.expires.unwrap_or_default(),
            created: entry.created.unwrap_or_default(),
            rotate_days: entry.rotate_days.map(|d| d.to_string()).unwrap_or_default(),
            tags: entry.tags.unwrap_or_default(),
            ..Fields::default()
        };
        match fields.into_row() {
            Ok(row) => parsed.rows.push(row),
            Err(problem) => parsed.problems.push(problem),
        }
    }
    Ok(parsed)
}
