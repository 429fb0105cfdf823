//! The leak guard (opt-in, off by default): a key pasted into a page that is not one of its
//! integrations is named, so the user sees where it is going before they save the page.
//!
//! The extension sends Keydesk only the page's origin and the pasted text, only while the
//! guard is on, and only for text shaped like a key ([`token_shaped`], mirrored in
//! `extension/content.js`). Keydesk finds the key by the keyed hash `keydesk whois` uses:
//! nothing is decrypted and the text is held in a buffer wiped when dropped.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

/// The fewest characters of a text checked: shorter words are not API keys.
pub const MIN_TOKEN: usize = 20;
/// The most characters of a text checked: longer text is not one key.
pub const MAX_TOKEN: usize = 512;

/// The sentence of a paste checked while the guard is off (the extension asks first, so it
/// only comes from a page asking on its own).
pub const GUARD_OFF: &str =
    "Keydesk's leak guard is off: turn it on in Keydesk's Settings (Browsers) to have pasted keys checked.";

/// The sentence of a paste that is not shaped like a key: it is not looked up.
pub const NOT_TOKEN: &str = "Only one word shaped like a key (20 to 512 letters, digits and - _ . + / = ~, with a letter and a digit) is checked.";

/// Whether `text` is shaped like an API key, and so worth looking up: once trimmed of
/// surrounding white space, one word of [`MIN_TOKEN`] to [`MAX_TOKEN`] characters, each an
/// ASCII letter, a digit or one of `- _ . + / = ~`, with at least one letter and one digit.
/// A key of any provider Keydesk knows passes; ordinary words, sentences, addresses (`:` and
/// `@` are not key characters) and numbers alone are never sent.
pub fn token_shaped(text: &str) -> bool {
    let word = text.trim();
    (MIN_TOKEN..=MAX_TOKEN).contains(&word.len())
        && word.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.+/=~".contains(&b))
        && word.bytes().any(|b| b.is_ascii_digit())
        && word.bytes().any(|b| b.is_ascii_alphabetic())
}

/// Text pasted into a page, held in a buffer wiped when dropped: never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Pasted(Zeroizing<String>);

impl Pasted {
    /// Holds `text`.
    pub fn new(text: String) -> Pasted {
        Pasted(Zeroizing::new(text))
    }

    /// The text, trimmed of surrounding white space, to look up.
    pub fn word(&self) -> &str {
        self.0.trim()
    }

    /// Whether it is shaped like a key ([`token_shaped`]).
    pub fn token_shaped(&self) -> bool {
        token_shaped(&self.0)
    }
}

impl std::fmt::Debug for Pasted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pasted([hidden])")
    }
}

impl<'de> Deserialize<'de> for Pasted {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Pasted::new)
    }
}

impl Serialize for Pasted {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// The key a pasted text is, by label and provider (never its secret), and whether the page
/// is one of its integrations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Found {
    pub label: String,
    pub provider: String,
    /// The page's origin is the settings address of one of the key's integrations.
    pub integration: bool,
}

impl Found {
    /// The notice shown beside the field when the page is not one of the key's integrations:
    /// "This is SendGrid production; example.org is not one of its integrations."
    pub fn warning(&self, host: &str) -> Option<String> {
        (!self.integration).then(|| format!("This is {}; {host} is not one of its integrations.", self.label))
    }
}

/// The audit line's detail of a warning: where the key was pasted, from which browser (never
/// the text).
pub fn audit_detail(origin: &str, browser: &str) -> String {
    format!("pasted into {origin}, not one of its integrations, from {browser}")
}

/// The audit line's detail of the guard turned on or off.
pub fn switch_detail(on: bool) -> String {
    if on {
        "turned on the leak guard: a key pasted into a page that is not one of its integrations is named"
            .into()
    } else {
        "turned off the leak guard".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_token_shaped_and_words_are_not() {
        // A SendGrid-shaped key made here, not a committed string shaped like a real one.
        let sendgrid = format!("SG.{}.{}", "a1".repeat(11), "B2".repeat(21) + "c");
        for key in [
            sendgrid.as_str(),
            "0123456789abcdef0123456789abcdef-us6",
            "key-0123456789abcdef0123456789abcdef",
            "xkeysib-0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab-AbCdEfGh12345678",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "kd_live_0aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0u123abc",
            "re_12345678_abcdefghijklmnopqrstuvwx",
            "  0123456789abcdef0123456789abcdef\n",
        ] {
            assert!(token_shaped(key), "{key}");
        }
        for text in [
            "",
            "short1",
            "abcdefghij123456789",                      // 19 characters
            "internationalization_without_digits",      // no digit
            "12345678901234567890123",                  // digits alone
            "two words 0123456789abcdef0123456789",     // a space inside
            "https://example.org/0123456789abcdef",     // an address
            "someone@example.org.0123456789",           // an e-mail address
            "0123456789abcdef0123456789abcdéf",         // a letter outside ASCII
            "{\"api_key\": \"0123456789abcdef01234\"}", // quotes, braces
        ] {
            assert!(!token_shaped(text), "{text}");
        }
        assert!(token_shaped(&format!("a{}", "1".repeat(MAX_TOKEN - 1))));
        assert!(!token_shaped(&format!("a{}", "1".repeat(MAX_TOKEN))));
    }

    #[test]
    fn the_warning_names_the_key_and_the_page() {
        let found =
            Found { label: "SendGrid production".into(), provider: "SendGrid".into(), integration: false };
        assert_eq!(
            found.warning("example.org").as_deref(),
            Some("This is SendGrid production; example.org is not one of its integrations.")
        );
        assert_eq!(Found { integration: true, ..found }.warning("example.org"), None);
        assert_eq!(format!("{:?}", Pasted::new("SG.secret".into())), "Pasted([hidden])");
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_judged_without_panicking(text in "\\PC{0,600}") {
            let shaped = token_shaped(&text);
            let word = text.trim();
            proptest::prop_assert!(!shaped || (word.len() >= MIN_TOKEN && !word.contains(' ')));
        }

        #[test]
        fn long_enough_words_of_key_characters_with_a_digit_are_token_shaped(
            word in "[A-Za-z][A-Za-z0-9_.+/=~-]{18,510}[0-9]"
        ) {
            proptest::prop_assert!(token_shaped(&word));
        }
    }
}
