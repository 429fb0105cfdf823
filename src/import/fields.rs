//! One entry's fields, whatever the file's layout, made into a row the vault can keep: what a
//! secret is (so it never lands in the notes), dates as people write them, and the label an
//! untitled entry takes. An optional field that cannot be read costs only that field: the key
//! comes in without it, and the row says so.

use chrono::{DateTime, NaiveDate, Utc};
use secrecy::SecretString;

use super::{Problem, clip};
use crate::providers::Provider;
use crate::vault::meta::{self, KeyMeta};
use crate::vault::model::Integration;
use crate::vault::{ImportRow, MAX_LABEL, MAX_NOTES};

/// Which comes first in a date written with slashes, where the file shows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum DateOrder {
    /// Nothing in the file says: `03/04/2099` cannot be read.
    #[default]
    Unknown,
    DayFirst,
    MonthFirst,
}

impl DateOrder {
    /// The order the dates of one column show: the first date whose day is over 12 says it.
    pub(crate) fn evident<'a>(dates: impl IntoIterator<Item = &'a str>) -> DateOrder {
        for date in dates {
            let Some((first, second, _)) = numeric_parts(date.trim()) else { continue };
            if first.len() == 4 {
                continue;
            }
            let (first, second) = (first.parse::<u32>().unwrap_or(0), second.parse::<u32>().unwrap_or(0));
            if first > 12 && second <= 12 {
                return DateOrder::DayFirst;
            }
            if second > 12 && first <= 12 {
                return DateOrder::MonthFirst;
            }
        }
        DateOrder::Unknown
    }
}

/// The three numbers of `31/01/2099`, `31.01.99`, `2099-01-31` (a time after a space or a
/// `T` is left aside), and the separator.
fn numeric_parts(text: &str) -> Option<(&str, &str, &str)> {
    let day = text.split([' ', 'T']).next().unwrap_or(text);
    let separator = day.chars().find(|c| matches!(c, '/' | '.' | '-'))?;
    let mut parts = day.split(separator);
    let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
    let numeric = |p: &str| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit());
    (parts.next().is_none() && numeric(a) && numeric(b) && numeric(c)).then_some((a, b, c))
}

/// A date as people write it: ISO (`2099-01-31`, RFC 3339, `2099-01-31 10:00:00`),
/// `31.01.2099`, `31/01/2099` or `01/31/2099` (which one by the numbers, else by `order`), a
/// two-digit year being this century's. `Err` is one sentence saying why it is not read.
pub(crate) fn read_date(text: &str, order: DateOrder) -> Result<Option<DateTime<Utc>>, String> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(Some(at.with_timezone(&Utc)));
    }
    for layout in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(at) = chrono::NaiveDateTime::parse_from_str(text, layout) {
            return Ok(Some(at.and_utc()));
        }
    }
    let unread = || {
        format!(
            "\"{}\" is not a date Keydesk reads (2099-01-31, 31.01.2099, 31/01/2099 or 01/31/2099)",
            clip(text, 40)
        )
    };
    let (a, b, c) = numeric_parts(text).ok_or_else(unread)?;
    let number = |p: &str| p.parse::<i32>().unwrap_or(0);
    let year = |p: &str| if p.len() <= 2 { 2000 + number(p) } else { number(p) };
    let (y, m, d) = if a.len() == 4 {
        (number(a), number(b), number(c))
    } else if c.len() == 3 {
        return Err(unread());
    } else {
        let separator = text.chars().find(|ch| matches!(ch, '/' | '.' | '-')).unwrap_or('/');
        let (first, second) = (number(a), number(b));
        let day_first = match (separator, order) {
            ('.', _) => true,
            _ if first > 12 => true,
            _ if second > 12 => false,
            _ if first == second => true,
            (_, DateOrder::DayFirst) => true,
            (_, DateOrder::MonthFirst) => false,
            (_, DateOrder::Unknown) => {
                return Err(format!(
                    "\"{}\" could be day/month or month/day, and no other date in the file says which: write it as {}-{b:0>2}-{a:0>2} or {}-{a:0>2}-{b:0>2}",
                    clip(text, 40),
                    year(c),
                    year(c)
                ));
            }
        };
        if day_first { (year(c), second, first) } else { (year(c), first, second) }
    };
    let day =
        u32::try_from(d).ok().zip(u32::try_from(m).ok()).and_then(|(d, m)| NaiveDate::from_ymd_opt(y, m, d));
    let midnight = day.and_then(|day| day.and_hms_opt(0, 0, 0)).ok_or_else(unread)?;
    Ok(Some(midnight.and_utc()))
}

/// Words in a field's name that say its value is a secret.
const SECRET_WORDS: [&str; 12] = [
    "otp",
    "totp",
    "hotp",
    "seed",
    "secret",
    "pin",
    "password",
    "passwd",
    "passphrase",
    "key",
    "token",
    "pwd",
];

/// Whether a field called `name` holds a secret, by its name: one of its words (split at
/// anything not a letter or digit, and between a lower-case and a capital letter) is, or ends
/// in, one of [`SECRET_WORDS`] (`TOTP Seed`, `TimeOtp-Secret-Base32`, `pin`, `apiKey`).
pub(crate) fn names_a_secret(name: &str) -> bool {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() || (previous_lower && c.is_uppercase()) {
            words.push(std::mem::take(&mut word));
        }
        previous_lower = c.is_lowercase();
        if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        }
    }
    words.push(word);
    words.iter().filter(|w| !w.is_empty()).any(|w| {
        w.starts_with("otp") || SECRET_WORDS.iter().any(|s| w == s || (*s != "pin" && w.ends_with(s)))
    })
}

/// Whether a field is a secret: flagged so by the file, named like one, or an `otpauth://` URI.
pub(crate) fn is_secret_field(name: &str, value: &str, flagged: bool) -> bool {
    flagged
        || names_a_secret(name)
        || value.trim_start().get(..10).is_some_and(|s| s.eq_ignore_ascii_case("otpauth://"))
}

/// What the preview says of a secret field left out of the key.
pub(crate) fn left_out(name: &str) -> String {
    format!(
        "\"{}\" left out: it holds a secret (a one-time-password seed, a PIN, a second password…), and a key keeps only one secret sealed; the notes are plain text",
        clip(name.trim(), 60)
    )
}

/// `key` and a second secret joined where a provider keeps the two as one key (Mailjet's
/// `public:secret`, Amazon's `id:secret`): the sealed place for the second.
pub(crate) fn paired(key: &str, second: &str) -> Option<String> {
    let joined = format!("{}:{}", key.trim(), second.trim());
    let pair = matches!(
        crate::vault::detect::detect(&joined).map(|d| d.provider),
        Ok(Provider::Mailjet | Provider::AmazonSes)
    );
    pair.then_some(joined)
}

/// Builds what the vault needs from the fields of one entry, whatever the file's layout.
#[derive(Default)]
pub(crate) struct Fields {
    pub line: usize,
    pub label: String,
    /// The key as the file has it (wiped when dropped).
    pub secret: zeroize::Zeroizing<String>,
    pub provider: String,
    pub username: String,
    pub integrations: Vec<Integration>,
    pub notes: Vec<String>,
    pub expires: String,
    pub created: String,
    pub rotate_days: String,
    pub tags: Vec<String>,
    /// How the file writes dates with slashes, where it shows it.
    pub date_order: DateOrder,
    /// What was left out of the row, and why, for the preview.
    pub notices: Vec<String>,
}

impl Fields {
    /// The row, or the one reason it cannot be one.
    pub(crate) fn into_row(mut self) -> Result<ImportRow, Problem> {
        let line = self.line;
        let secret = self.secret.trim();
        if secret.is_empty() {
            let reason = "there is no key in this row: fill in its key, or delete the row";
            return Err(Problem::new(line, reason).of(&self.label));
        }
        let username = self.username.trim();
        if !username.is_empty() {
            self.notes.insert(0, format!("Username: {username}"));
        }
        // Windows line breaks (and old Mac ones) are line breaks.
        let mut notes: Vec<String> = self
            .notes
            .into_iter()
            .filter(|n| !n.trim().is_empty())
            .map(|n| n.replace("\r\n", "\n").replace('\r', "\n"))
            .collect();
        let provider = match self.provider.trim() {
            "" => None,
            named => match Provider::from_name(named) {
                Some(provider) => Some(provider),
                None => {
                    // A platform Keydesk does not know is still a key: it is kept as Other,
                    // and what the file called it stays in the notes.
                    notes.insert(0, format!("Provider in the imported file: {}", clip(named, MAX_LABEL)));
                    None
                }
            },
        };
        let mut label = self.label.trim().to_owned();
        if label.is_empty() {
            // An untitled entry is named by its address's host, else by its user name.
            let host = self.integrations.first().map(|i| i.name.trim().to_owned()).unwrap_or_default();
            label = if host.is_empty() { username.to_owned() } else { host };
            if label.is_empty() {
                return Err(Problem::new(line, "the row has a key but no label: give it a label"));
            }
            self.notices.push(format!("no title in the file: labelled \"{}\"", clip(&label, MAX_LABEL)));
        }
        if label.chars().count() > MAX_LABEL {
            // Nothing of the file is lost: the whole label stays in the notes.
            notes.insert(0, format!("Label in the imported file: {label}"));
            label = clip(&label, MAX_LABEL);
        }
        let mut notices = self.notices;
        let expires_at = read_date(&self.expires, self.date_order).unwrap_or_else(|why| {
            notices.push(format!("expires: {why}; imported without an expiry (set one with keydesk edit)"));
            None
        });
        let created_at = read_date(&self.created, self.date_order).unwrap_or_else(|why| {
            notices.push(format!("created: {why}; imported as made today"));
            None
        });
        let rotate_after_days = match meta::parse_days(&self.rotate_days) {
            Ok(Some(0)) | Err(_) => {
                notices.push(format!(
                    "rotate_days: \"{}\" is not a number of days (1 or more); imported without a rotation period",
                    clip(self.rotate_days.trim(), 40)
                ));
                None
            }
            Ok(days) => days,
        };
        let mut tags: Vec<String> = Vec::new();
        for tag in self.tags {
            let tag = tag.trim();
            if !tag.is_empty() && !tags.iter().any(|t| t == tag) {
                tags.push(clip(tag, MAX_LABEL));
            }
        }
        let mut notes = notes.join("\n");
        if notes.chars().count() > MAX_NOTES {
            notes = clip(&notes, MAX_NOTES);
            notices.push(format!("notes: longer than {MAX_NOTES} characters; the rest was cut"));
        }
        Ok(ImportRow {
            line,
            meta: KeyMeta { label, expires_at, rotate_after_days, integrations: self.integrations, notes },
            secret: SecretString::from(secret),
            provider,
            created_at,
            tags,
            notices,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str, order: DateOrder) -> Result<String, String> {
        read_date(text, order).map(|at| at.map(|at| at.format("%Y-%m-%d").to_string()).unwrap_or_default())
    }

    #[test]
    fn dates_as_people_write_them() {
        let unknown = DateOrder::Unknown;
        for (text, want) in [
            ("2099-01-31", "2099-01-31"),
            ("2099-01-31T10:00:00Z", "2099-01-31"),
            ("2099-01-31 10:00:00", "2099-01-31"),
            ("31.01.2099", "2099-01-31"),
            ("31.01.99", "2099-01-31"),
            ("01/31/99", "2099-01-31"),
            ("31/01/2099", "2099-01-31"),
            ("1/2/2099", "2099-02-01"),
            ("", ""),
            ("never", ""),
        ] {
            let order = if text == "1/2/2099" { DateOrder::DayFirst } else { unknown };
            assert_eq!(day(text, order).as_deref(), Ok(want), "{text}");
        }
        assert_eq!(day("1/2/2099", DateOrder::MonthFirst).as_deref(), Ok("2099-01-02"));
        assert!(day("03/04/2099", unknown).unwrap_err().contains("could be day/month"));
        for bad in ["next week", "31/31/2099", "2099-13-01", "1/2/345", "99999999"] {
            assert!(day(bad, unknown).unwrap_err().contains("is not a date"), "{bad}");
        }
        assert_eq!(DateOrder::evident(["", "03/04/2099", "01/31/2099"]), DateOrder::MonthFirst);
        assert_eq!(DateOrder::evident(["31/01/2099"]), DateOrder::DayFirst);
        assert_eq!(DateOrder::evident(["2099-01-31", "junk"]), DateOrder::Unknown);
    }

    #[test]
    fn secret_fields_by_name_flag_or_value() {
        for name in [
            "TOTP Seed",
            "otp",
            "TimeOtp-Secret-Base32",
            "pin",
            "PIN code",
            "Password 2",
            "apiKey",
            "API_KEY",
            "apikey",
            "Secret Key",
            "Access Token",
            "passphrase",
            "HmacOtp-Secret-Hex",
        ] {
            assert!(names_a_secret(name), "{name}");
        }
        for name in ["Region", "account id", "username", "Shipping", "Notes", "URL", "Spinner", "Keywords"] {
            assert!(!names_a_secret(name), "{name}");
        }
        assert!(is_secret_field("Recovery", "otpauth://totp/x?secret=ABC", false));
        assert!(is_secret_field("Region", "EU", true));
        assert!(!is_secret_field("Region", "EU", false));
    }

    #[test]
    fn a_second_secret_is_kept_only_where_a_provider_pairs_it() {
        let public = "0123456789abcdef0123456789abcdef";
        let secret = "fedcba9876543210fedcba9876543210";
        assert_eq!(paired(public, secret).as_deref(), Some(format!("{public}:{secret}").as_str()));
        assert_eq!(paired("SG.something", "123456"), None);
    }
}
