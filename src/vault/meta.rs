//! What describes a key — label, expiry, rotation period, integrations, notes — as one value,
//! and the readers of what a person types for it, shared by the command line and the window.
//! Checked in one place ([`KeyMeta::validated`]) before any key is made or kept.

use chrono::{DateTime, NaiveDate, Utc};

use super::format::clip;
use super::model::Integration;
use super::{MAX_LABEL, MAX_NOTES, VaultError};

/// A key's describing metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyMeta {
    pub label: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub rotate_after_days: Option<u32>,
    /// The places that use the key.
    pub integrations: Vec<Integration>,
    pub notes: String,
}

impl KeyMeta {
    /// A key called `label`, with nothing else said about it.
    pub fn labelled(label: &str) -> Self {
        KeyMeta { label: label.to_owned(), ..KeyMeta::default() }
    }

    /// Every field checked (the expiry against `now`), the label trimmed.
    pub fn validated(mut self, now: DateTime<Utc>) -> Result<KeyMeta, VaultError> {
        self.label = clean_label(&self.label)?;
        check_text("notes", &self.notes, MAX_NOTES, false)?;
        check_integrations(&self.integrations)?;
        check_expiry(now, self.expires_at)?;
        check_rotation(self.rotate_after_days)?;
        Ok(self)
    }
}

/// The text is at most `max` characters and has no control characters (line breaks and tabs
/// are allowed unless `one_line`).
pub(crate) fn check_text(
    field: &'static str,
    value: &str,
    max: usize,
    one_line: bool,
) -> Result<(), VaultError> {
    if value.chars().count() > max {
        return Err(VaultError::TooLong { field, max });
    }
    let bad = |c: char| c.is_control() && !(!one_line && (c == '\n' || c == '\t'));
    if value.chars().any(bad) {
        return Err(VaultError::ControlCharacters { field });
    }
    Ok(())
}

/// The label trimmed, or why it cannot be one.
pub(super) fn clean_label(label: &str) -> Result<String, VaultError> {
    let label = label.trim();
    if label.is_empty() {
        return Err(VaultError::EmptyLabel);
    }
    check_text("label", label, MAX_LABEL, true)?;
    Ok(label.to_owned())
}

/// Each integration has a name and, if any, a web address.
pub(super) fn check_integrations(integrations: &[Integration]) -> Result<(), VaultError> {
    for integration in integrations {
        if integration.name.trim().is_empty() {
            return Err(VaultError::EmptyIntegration);
        }
        check_text("integration name", &integration.name, MAX_LABEL, true)?;
        check_text("integration note", &integration.note, MAX_NOTES, false)?;
        if let Some(url) = &integration.url {
            let ok = (url.starts_with("https://") || url.starts_with("http://"))
                && url.len() > "https://".len()
                && !url.chars().any(|c| c.is_whitespace() || c.is_control());
            if !ok {
                return Err(VaultError::BadUrl { url: url.clone() });
            }
        }
    }
    Ok(())
}

/// An expiry, if any, lies after `now`.
pub(super) fn check_expiry(now: DateTime<Utc>, expires_at: Option<DateTime<Utc>>) -> Result<(), VaultError> {
    match expires_at {
        Some(at) if at <= now => Err(VaultError::PastExpiry { date: at.format("%Y-%m-%d").to_string() }),
        _ => Ok(()),
    }
}

/// A rotation period, if any, is at least a day.
pub(super) fn check_rotation(days: Option<u32>) -> Result<(), VaultError> {
    if days == Some(0) { Err(VaultError::ZeroRotation) } else { Ok(()) }
}

/// An expiry as typed: empty or "never" (none), `YYYY-MM-DD` (midnight UTC) or RFC 3339.
pub fn parse_date(text: &str) -> Result<Option<DateTime<Utc>>, VaultError> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    if let Some(midnight) =
        NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|day| day.and_hms_opt(0, 0, 0))
    {
        return Ok(Some(midnight.and_utc()));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|_not_a_date| VaultError::BadDate { text: clip(text, 40) })
}

/// A rotation period as typed: empty or "never" (none), or a whole number of days.
pub fn parse_days(text: &str) -> Result<Option<u32>, VaultError> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    text.parse::<u32>().map(Some).map_err(|_not_a_number| VaultError::BadDays { text: clip(text, 40) })
}

/// An integration as typed on the command line: `NAME` or `NAME=URL`.
pub fn parse_integration(text: &str) -> Integration {
    match text.split_once('=') {
        Some((name, url)) => integration(name, url),
        None => integration(text, ""),
    }
}

/// An integration from a name and a web address (empty for none), trimmed.
pub fn integration(name: &str, url: &str) -> Integration {
    let url = url.trim();
    Integration {
        name: name.trim().to_owned(),
        url: (!url.is_empty()).then(|| url.to_owned()),
        note: String::new(),
    }
}

/// Integrations from name/address rows of a form; rows left empty are dropped.
pub fn integrations_from_rows(rows: &[(String, String)]) -> Vec<Integration> {
    rows.iter()
        .filter(|(name, url)| !name.trim().is_empty() || !url.trim().is_empty())
        .map(|(name, url)| integration(name, url))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_days_and_integrations_read_as_typed() {
        assert_eq!(parse_date("").unwrap(), None);
        assert_eq!(parse_date(" never ").unwrap(), None);
        assert_eq!(
            parse_date("2027-03-31").unwrap().map(|d| d.to_rfc3339()).as_deref(),
            Some("2027-03-31T00:00:00+00:00")
        );
        assert_eq!(
            parse_date("2027-03-31T12:00:00+02:00").unwrap().map(|d| d.to_rfc3339()).as_deref(),
            Some("2027-03-31T10:00:00+00:00")
        );
        let error = parse_date("31/03/2027").unwrap_err().to_string();
        assert!(error.contains("\"31/03/2027\" is not a date: write it as YYYY-MM-DD"), "{error}");
        assert_eq!(parse_days("90").unwrap(), Some(90));
        assert_eq!(parse_days("").unwrap(), None);
        assert!(parse_days("ninety").unwrap_err().to_string().contains("not a number of days"));
        assert_eq!(
            parse_integration("HubSpot=https://app.hubspot.com ").url.as_deref(),
            Some("https://app.hubspot.com")
        );
        assert_eq!(parse_integration(" HubSpot ").name, "HubSpot");
        let rows = [("HubSpot".to_owned(), String::new()), (" ".to_owned(), " ".to_owned())];
        assert_eq!(integrations_from_rows(&rows).len(), 1);
        assert!(
            parse_date(&"9".repeat(500)).unwrap_err().to_string().chars().count() < 200,
            "long input is cut"
        );
    }

    #[test]
    fn metadata_is_checked_in_one_place() {
        let now = DateTime::parse_from_rfc3339("2026-11-01T09:00:00Z").unwrap().to_utc();
        let ok = KeyMeta { label: "  CRM  ".into(), ..KeyMeta::default() }.validated(now).unwrap();
        assert_eq!(ok.label, "CRM");
        assert!(matches!(KeyMeta::labelled(" ").validated(now), Err(VaultError::EmptyLabel)));
        let past = KeyMeta { expires_at: Some(now), ..KeyMeta::labelled("x") };
        assert!(matches!(past.validated(now), Err(VaultError::PastExpiry { .. })));
        let zero = KeyMeta { rotate_after_days: Some(0), ..KeyMeta::labelled("x") };
        assert!(matches!(zero.validated(now), Err(VaultError::ZeroRotation)));
        let bad_url = KeyMeta { integrations: vec![integration("CRM", "ftp://x")], ..KeyMeta::labelled("x") };
        assert!(matches!(bad_url.validated(now), Err(VaultError::BadUrl { .. })));
    }
}
