//! Recognising a pasted key: which provider it belongs to, or why it cannot be a key.
//!
//! The patterns follow docs/providers.md and public secret-scanning rules. Pure code, no IO;
//! every input, however odd, yields a value or an error sentence, never a panic.
//!
//! (Longer than most files: a third of it is the table of sample keys its tests run.)

use crate::providers::Provider;

use super::keygen;

/// The longest value accepted as a key.
pub const MAX_KEY_LENGTH: usize = 4096;

/// What a pasted value was recognised as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub provider: Provider,
    /// The region the key names, where it names one (Mailchimp's data centre, e.g. `us6`).
    pub region: Option<String>,
    /// The part of the key that is safe to show: its known prefix (may be empty).
    pub prefix: String,
    /// Said to the user when the value was accepted without being recognised.
    pub warning: Option<String>,
}

/// Why a pasted value is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetectError {
    #[error("The key is empty: paste the whole key.")]
    Empty,
    #[error("The key has a space or a line break inside it: copy it again as one line, without spaces.")]
    Whitespace,
    #[error("The key contains an invisible or control character: copy it again from the provider's page.")]
    Control,
    #[error("The key is longer than {MAX_KEY_LENGTH} characters: paste only the key.")]
    TooLong,
    #[error(transparent)]
    Checksum(#[from] keygen::ChecksumError),
    /// An AWS key id that starts with ASIA is temporary and needs its session token.
    #[error(
        "This is a temporary AWS key (ASIA…): it works only with its session token and expires within hours. Create a long-term access key (AKIA…) for Keydesk instead."
    )]
    TemporaryAwsKey,
    /// The value has the start of a provider's keys but not the rest of their format.
    #[error(
        "This starts like a {provider} key but is not one ({format}): it was mistyped or cut short, so copy it again."
    )]
    Malformed { provider: Provider, format: &'static str },
    /// The user named a provider and the value does not have its format.
    #[error(
        "This does not look like a {provider} key ({format}): check the provider, or copy the whole key again."
    )]
    NotThatProvider { provider: Provider, format: &'static str },
}

/// Recognises `value` (already trimmed of a trailing line break by the caller).
pub fn detect(value: &str) -> Result<Detection, DetectError> {
    check_characters(value)?;
    if let Some(found) = recognise(value)? {
        return Ok(found);
    }
    Ok(Detection {
        provider: Provider::Other,
        region: None,
        prefix: String::new(),
        warning: Some(
            "Keydesk does not recognise this key's format; it is kept as \"Other\": check that it is the key you meant."
                .to_owned(),
        ),
    })
}

/// Checks `value` against a provider the user named.
pub fn detect_as(value: &str, provider: Provider) -> Result<Detection, DetectError> {
    check_characters(value)?;
    let format = provider.info().key_format;
    let found = match recognise(value) {
        Ok(found) => found,
        Err(DetectError::Malformed { provider: seen, .. }) if seen != provider => None,
        Err(error) => return Err(error),
    };
    match found {
        Some(found) if found.provider == provider => Ok(found),
        // SendPulse's ID:secret pair looks like Mailjet's; the account says which it is.
        Some(found) if found.provider == Provider::Mailjet && provider == Provider::SendPulse => {
            Ok(Detection { provider, ..found })
        }
        // Formats that are not fixed: anything that is not another provider's key is accepted.
        None if !has_fixed_format(provider) => {
            Ok(Detection { provider, region: None, prefix: String::new(), warning: None })
        }
        _ => Err(DetectError::NotThatProvider { provider, format }),
    }
}

/// Whether every key of this provider matches a pattern (so a mismatch is an error).
fn has_fixed_format(provider: Provider) -> bool {
    matches!(
        provider,
        Provider::SendGrid
            | Provider::Mailchimp
            | Provider::Brevo
            | Provider::Postmark
            | Provider::Klaviyo
            | Provider::AmazonSes
            | Provider::Mailjet
            | Provider::HubSpot
            | Provider::Keydesk
    )
}

/// A HubSpot private app token: `pat-` + data centre (letters and a digit, e.g. `na1`,
/// `eu1`) + `-` + a UUID.
fn hubspot(value: &str) -> Option<bool> {
    let rest = value.strip_prefix("pat-")?;
    let (region, uuid) = rest.split_once('-')?;
    let region_ok = (3..=4).contains(&region.len())
        && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && region.bytes().last().is_some_and(|b| b.is_ascii_digit());
    let groups: Vec<&str> = uuid.split('-').collect();
    let uuid_ok = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12]) && groups.iter().all(|g| hex(g));
    Some(region_ok && uuid_ok)
}

fn check_characters(value: &str) -> Result<(), DetectError> {
    if value.is_empty() {
        return Err(DetectError::Empty);
    }
    if value.chars().any(char::is_whitespace) {
        return Err(DetectError::Whitespace);
    }
    if value.chars().any(|c| c.is_control() || is_invisible(c)) {
        return Err(DetectError::Control);
    }
    if value.len() > MAX_KEY_LENGTH {
        return Err(DetectError::TooLong);
    }
    Ok(())
}

pub(crate) fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}')
}

fn found(provider: Provider, prefix: &str) -> Option<Detection> {
    Some(Detection { provider, region: None, prefix: prefix.to_owned(), warning: None })
}

fn malformed(provider: Provider) -> DetectError {
    DetectError::Malformed { provider, format: provider.info().key_format }
}

fn hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn lower_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The provider-specific patterns, most specific first.
fn recognise(value: &str) -> Result<Option<Detection>, DetectError> {
    if let Some(rest) = value.strip_prefix("SG.") {
        // SG.<22 key id>.<43 secret>: 69 characters of [A-Za-z0-9_=.-].
        let charset = rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"_=-.".contains(&b));
        return if value.len() == 69 && charset && rest.split('.').count() == 2 {
            Ok(found(Provider::SendGrid, "SG."))
        } else {
            Err(malformed(Provider::SendGrid))
        };
    }
    if let Some(ok) = hubspot(value) {
        return if ok { Ok(found(Provider::HubSpot, "pat-")) } else { Err(malformed(Provider::HubSpot)) };
    }
    if let Some(rest) = value.strip_prefix("xkeysib-") {
        let ok = rest.len() == 81
            && rest.get(..64).is_some_and(lower_hex)
            && rest.as_bytes().get(64) == Some(&b'-')
            && rest.get(65..).is_some_and(|tail| tail.bytes().all(|b| b.is_ascii_alphanumeric()));
        return if ok { Ok(found(Provider::Brevo, "xkeysib-")) } else { Err(malformed(Provider::Brevo)) };
    }
    if let Some(rest) = value.strip_prefix("key-") {
        return if rest.len() == 32 && hex(rest) {
            Ok(found(Provider::Mailgun, "key-"))
        } else {
            Err(malformed(Provider::Mailgun))
        };
    }
    if let Some((head, dc)) = value.split_once("-us")
        && head.len() == 32
        && hex(head)
    {
        return if (1..=3).contains(&dc.len()) && dc.bytes().all(|b| b.is_ascii_digit()) {
            let mut detection = found(Provider::Mailchimp, "");
            if let Some(d) = detection.as_mut() {
                d.region = Some(format!("us{dc}"));
            }
            Ok(detection)
        } else {
            Err(malformed(Provider::Mailchimp))
        };
    }
    if (value.starts_with("AKIA") || value.starts_with("ASIA")) && value.len() >= 16 {
        // An access key id alone, or "id:secret" (the pair Keydesk needs to verify it).
        let (id, secret) = match value.split_once(':') {
            Some((id, secret)) => (id, Some(secret)),
            None => (value, None),
        };
        let rest = &id[4..];
        let id_ok =
            rest.len() == 16 && rest.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b));
        let secret_ok = secret.is_none_or(|s| {
            s.len() == 40 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"/+=".contains(&b))
        });
        return if id_ok && secret_ok && value.starts_with("ASIA") {
            Err(DetectError::TemporaryAwsKey)
        } else if id_ok && secret_ok {
            Ok(found(Provider::AmazonSes, &value[..4]))
        } else {
            Err(malformed(Provider::AmazonSes))
        };
    }
    if keygen::shape(value).is_some() {
        // Keydesk's own family of prefixes: a bad checksum is a typo, not another format.
        match keygen::verify_checksum(value) {
            Ok(()) => {
                let prefix = keygen::shape(value).map(|s| s.prefix).unwrap_or_default();
                return Ok(found(Provider::Keydesk, prefix));
            }
            Err(error) if value.starts_with("kd_") => return Err(error.into()),
            Err(_) => {}
        }
    }
    if let Some(rest) = value.strip_prefix("pk_") {
        return if rest.len() == 34 && lower_hex(rest) {
            Ok(found(Provider::Klaviyo, "pk_"))
        } else {
            Err(malformed(Provider::Klaviyo))
        };
    }
    if let Some(rest) = value.strip_prefix("kit_") {
        return if rest.len() >= 16 && rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(found(Provider::Kit, "kit_"))
        } else {
            Err(malformed(Provider::Kit))
        };
    }
    if is_uuid(value) {
        return Ok(found(Provider::Postmark, ""));
    }
    if let Some((public, secret)) = value.split_once(':')
        && public.len() == 32
        && hex(public)
    {
        return if secret.len() == 32 && hex(secret) {
            Ok(found(Provider::Mailjet, ""))
        } else {
            Err(malformed(Provider::Mailjet))
        };
    }
    Ok(None)
}

fn is_uuid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5 && groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12]) && groups.iter().all(|g| hex(g))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::keygen::{KeySpec, generate};
    use crate::vault::test_rng;
    use secrecy::ExposeSecret;

    /// Random characters from `alphabet`, so no real-looking key is written in the source.
    fn random(alphabet: &str, n: usize, seed: u64) -> String {
        let mut rng = test_rng(seed);
        let chars: Vec<char> = alphabet.chars().collect();
        let mut buf = vec![0u8; n];
        crate::vault::Entropy::fill(&mut rng, &mut buf);
        buf.iter().map(|b| chars[usize::from(*b) % chars.len()]).collect()
    }

    const HEX: &str = "0123456789abcdef";
    const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const B32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    /// A value and what it must be recognised as (provider and region), or words of its error.
    type Expected = Result<(Provider, Option<&'static str>), &'static str>;

    fn samples() -> Vec<(String, Expected)> {
        let keydesk = generate(&KeySpec::default(), &mut test_rng(9)).expect("valid");
        let keydesk = keydesk.expose_secret().to_owned();
        let custom = generate(&KeySpec { prefix: "hook_".into(), length: 30 }, &mut test_rng(2))
            .expect("valid")
            .expose_secret()
            .to_owned();
        let sendgrid = format!("SG.{}.{}", random(ALNUM, 22, 1), random(ALNUM, 43, 2));
        let uuid = format!(
            "{}-{}-{}-{}-{}",
            random(HEX, 8, 3),
            random(HEX, 4, 4),
            random(HEX, 4, 5),
            random(HEX, 4, 6),
            random(HEX, 12, 7)
        );
        let mut typo = keydesk.clone();
        typo.replace_range(10..11, if &keydesk[10..11] == "x" { "y" } else { "x" });
        vec![
            (sendgrid.clone(), Ok((Provider::SendGrid, None))),
            (format!("{}-us6", random(HEX, 32, 8)), Ok((Provider::Mailchimp, Some("us6")))),
            (format!("{}-us21", random(HEX, 32, 9)), Ok((Provider::Mailchimp, Some("us21")))),
            (
                format!("xkeysib-{}-{}", random(HEX, 64, 10), random(ALNUM, 16, 11)),
                Ok((Provider::Brevo, None)),
            ),
            (format!("key-{}", random(HEX, 32, 12)), Ok((Provider::Mailgun, None))),
            (format!("pk_{}", random(HEX, 34, 13)), Ok((Provider::Klaviyo, None))),
            (format!("AKIA{}", random(B32, 16, 14)), Ok((Provider::AmazonSes, None))),
            (format!("ASIA{}", random(B32, 16, 15)), Err("temporary AWS key (ASIA…)")),
            (
                format!("AKIA{}:{}", random(B32, 16, 14), random(ALNUM, 40, 18)),
                Ok((Provider::AmazonSes, None)),
            ),
            (
                format!("AKIA{}:{}", random(B32, 16, 14), random(ALNUM, 39, 18)),
                Err("starts like a Amazon SES key"),
            ),
            (format!("{}:{}", random(HEX, 32, 24), random(HEX, 32, 25)), Ok((Provider::Mailjet, None))),
            (format!("{}:{}", random(HEX, 32, 24), random(HEX, 31, 25)), Err("starts like a Mailjet key")),
            (uuid.clone(), Ok((Provider::Postmark, None))),
            (uuid.to_uppercase(), Ok((Provider::Postmark, None))),
            (format!("kit_{}", random(ALNUM, 32, 16)), Ok((Provider::Kit, None))),
            (format!("pat-na1-{}", uuid.to_lowercase()), Ok((Provider::HubSpot, None))),
            (format!("pat-eu1-{}", uuid.to_lowercase()), Ok((Provider::HubSpot, None))),
            (format!("pat-na1-{}", &uuid[..35]), Err("starts like a HubSpot key")),
            (keydesk.clone(), Ok((Provider::Keydesk, None))),
            (custom, Ok((Provider::Keydesk, None))),
            (random(ALNUM, 40, 17), Ok((Provider::Other, None))),
            // Near misses.
            (sendgrid[..68].to_owned(), Err("starts like a SendGrid key")),
            (format!("{sendgrid}x"), Err("starts like a SendGrid key")),
            (sendgrid.replace('.', "_"), Ok((Provider::Other, None))),
            (format!("{}-us", random(HEX, 32, 8)), Err("starts like a Mailchimp key")),
            (format!("{}-usx1", random(HEX, 32, 8)), Err("starts like a Mailchimp key")),
            (format!("xkeysib-{}", random(HEX, 64, 10)), Err("starts like a Brevo key")),
            (format!("key-{}", random(HEX, 31, 12)), Err("starts like a Mailgun key")),
            (format!("key-{}z", random(HEX, 31, 12)), Err("starts like a Mailgun key")),
            (format!("pk_{}", random(HEX, 33, 13)), Err("starts like a Klaviyo key")),
            (format!("AKIA{}", random(B32, 15, 14)), Err("starts like a Amazon SES key")),
            (format!("AKIA{}1", random(B32, 15, 14)), Err("starts like a Amazon SES key")),
            (uuid[..35].to_owned(), Ok((Provider::Other, None))),
            (typo, Err("checksum does not match")),
            (keydesk[..keydesk.len() - 1].to_owned(), Err("checksum does not match")),
            (String::new(), Err("empty")),
            ("abc def".into(), Err("space or a line break")),
            ("abc\ndef".into(), Err("space or a line break")),
            ("abc\tdef".into(), Err("space or a line break")),
            ("abc\u{7}def".into(), Err("control character")),
            ("abc\u{200B}def".into(), Err("invisible")),
            ("x".repeat(MAX_KEY_LENGTH + 1), Err("longer than 4096")),
        ]
    }

    #[test]
    fn detection_table() {
        for (value, expected) in samples() {
            let got = detect(&value);
            match (&got, expected) {
                (Ok(d), Ok((provider, region))) => {
                    assert_eq!(d.provider, provider, "{value}");
                    assert_eq!(d.region.as_deref(), region, "{value}");
                    assert_eq!(d.warning.is_some(), provider == Provider::Other, "{value}");
                    assert!(value.starts_with(&d.prefix));
                }
                (Err(e), Err(words)) => {
                    let text = e.to_string();
                    assert!(text.contains(words), "{value}: {text:?} lacks {words:?}");
                    assert!(text.ends_with('.'), "{text}");
                    assert!(!text.contains(&value) || value.len() < 4, "message repeats the key");
                }
                _ => panic!("{value:?}: got {got:?}, want {expected:?}"),
            }
        }
    }

    #[test]
    fn named_provider_must_match() {
        let sendgrid = format!("SG.{}.{}", random(ALNUM, 22, 1), random(ALNUM, 43, 2));
        let mailgun_new = random(HEX, 32, 20) + "-" + &random(HEX, 8, 21) + "-" + &random(HEX, 8, 22);
        assert_eq!(detect_as(&sendgrid, Provider::SendGrid).map(|d| d.provider), Ok(Provider::SendGrid));
        let err = detect_as(&sendgrid, Provider::Brevo).expect_err("wrong provider");
        assert!(err.to_string().contains("does not look like a Brevo key"), "{err}");
        let err = detect_as("not-a-key-at-all", Provider::SendGrid).expect_err("wrong format");
        assert!(err.to_string().contains("SendGrid"), "{err}");
        assert_eq!(detect_as(&mailgun_new, Provider::Mailgun).map(|d| d.provider), Ok(Provider::Mailgun));
        assert_eq!(
            detect_as(&random(ALNUM, 60, 23), Provider::MailerLite).map(|d| d.provider),
            Ok(Provider::MailerLite)
        );
        assert!(detect_as(&sendgrid, Provider::MailerLite).is_err());
        assert!(detect_as("a b", Provider::Other).is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(value in "\\PC{0,120}") {
            let _detected = detect(&value);
            for provider in Provider::all() {
                let _detected = detect_as(&value, provider);
            }
        }

        #[test]
        fn never_panics_near_formats(
            head in proptest::sample::select(vec!["SG.", "xkeysib-", "key-", "pk_", "kit_", "AKIA", "kd_live_", ""]),
            tail in "[A-Za-z0-9_.=-]{0,90}",
        ) {
            let value = format!("{head}{tail}");
            let _detected = detect(&value);
        }
    }
}
