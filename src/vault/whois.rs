//! "Which key is this?" on pasted text: the strings in a log line, a URL, a header or a
//! `.env` line that could be a key, and how a found key's state is said.
//!
//! A pasted text is cut into candidates (every piece between spaces, quotes and brackets; the
//! values of `name=value` pairs and query strings; the parts of a URL's `user:key@host`; the
//! two halves of an HTTP Basic credential). Each is looked up by keyed hash only: nothing is
//! decrypted and nothing leaves the computer. The work is bounded: at most [`MAX_INPUT`] bytes
//! are read and at most [`MAX_CANDIDATES`] strings looked up, so a huge paste cannot freeze
//! the window.

use base64::Engine as _;
use zeroize::Zeroizing;

use super::model::{KeyId, KeyRecord, KeyStatus, VerifyOutcome};
use crate::providers::Provider;

/// The most of a pasted text that is read, in bytes (the rest is not looked at).
pub const MAX_INPUT: usize = 64 * 1024;
/// The most candidate strings looked up in one paste.
pub const MAX_CANDIDATES: usize = 4096;
/// Pieces shorter than this are not keys of any provider (the whole text is still tried).
const MIN_LEN: usize = 8;

/// The strings of a pasted text that could be a key.
pub struct Candidates<'a> {
    /// Pieces of the text itself.
    pub pieces: Vec<&'a str>,
    /// Strings decoded from it (the halves of an HTTP Basic credential), wiped when dropped.
    pub decoded: Vec<Zeroizing<String>>,
    /// The text was longer than [`MAX_INPUT`], or held more than [`MAX_CANDIDATES`] strings:
    /// only the first part was looked at.
    pub cut_short: bool,
}

impl Candidates<'_> {
    /// Every candidate, each once.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().copied().chain(self.decoded.iter().map(|s| s.as_str()))
    }

    pub fn len(&self) -> usize {
        self.pieces.len() + self.decoded.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a look-up in a pasted text found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The places, in the list looked in, of the keys found, in the order the text names them.
    pub found: Vec<usize>,
    /// How many strings of the text were looked up.
    pub looked_at: usize,
    /// The text was too long: only its first part was looked at.
    pub cut_short: bool,
}

/// Which of a list of keys a pasted `text` holds, for a local vault and a team vault alike.
/// `keys` gives each key's lookup hash with the lookup key it was made under (`under`: one
/// for a local vault, the team key's generation for a team vault); `hash(under, candidate)`
/// makes a candidate's hash under one of them (`None` when that lookup key is not at hand).
/// Each candidate of [`candidates`] is hashed once under each lookup key in use; nothing is
/// decrypted.
pub fn look_up<'k, U: Copy + Eq + std::hash::Hash>(
    text: &str,
    keys: impl IntoIterator<Item = (U, &'k str)>,
    hash: impl Fn(U, &str) -> Option<String>,
) -> Lookup {
    let mut by_hash: std::collections::HashMap<(U, &str), Vec<usize>> = std::collections::HashMap::new();
    let mut lookup_keys: Vec<U> = Vec::new();
    for (at, (under, lookup_hash)) in keys.into_iter().enumerate() {
        by_hash.entry((under, lookup_hash)).or_default().push(at);
        if !lookup_keys.contains(&under) {
            lookup_keys.push(under);
        }
    }
    let candidates = candidates(text);
    let mut found: Vec<usize> = Vec::new();
    for candidate in candidates.iter() {
        for &under in &lookup_keys {
            let Some(made) = hash(under, candidate) else { continue };
            for &at in by_hash.get(&(under, made.as_str())).into_iter().flatten() {
                if !found.contains(&at) {
                    found.push(at);
                }
            }
        }
    }
    Lookup { found, looked_at: candidates.len(), cut_short: candidates.cut_short }
}

/// The audit line's words for a look-up that found `labels` among `looked_at` strings (never
/// the text itself).
pub fn audit_detail(labels: &[&str], looked_at: usize) -> String {
    if labels.is_empty() {
        format!("no match ({looked_at} strings)")
    } else {
        let quoted: Vec<String> = labels.iter().map(|label| format!("\"{label}\"")).collect();
        format!("matched {} ({looked_at} strings)", quoted.join(", "))
    }
}

/// Characters that never belong to a key and end a piece: spaces, quotes, brackets, commas.
fn is_break(c: char) -> bool {
    c.is_whitespace() || "\"'`,;()[]{}<>|\\".contains(c)
}

/// The candidates in `text`: the whole (trimmed) text first, then its pieces, each once.
pub fn candidates(text: &str) -> Candidates<'_> {
    let mut cut_short = text.len() > MAX_INPUT;
    let text = if cut_short { &text[..floor_char_boundary(text, MAX_INPUT)] } else { text };
    let mut pieces: Vec<&str> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let whole = text.trim();
    if !whole.is_empty() {
        seen.insert(whole);
        pieces.push(whole);
    }
    let mut basic: Vec<Zeroizing<String>> = Vec::new();
    'fields: for field in text.split(is_break).filter(|f| !f.is_empty()) {
        for piece in field_pieces(field) {
            if piece.len() < MIN_LEN || seen.contains(piece) {
                continue;
            }
            if pieces.len() >= MAX_CANDIDATES {
                cut_short = true;
                break 'fields;
            }
            seen.insert(piece);
            pieces.push(piece);
        }
        // A few Basic credentials at most: each is decoded.
        if basic.len() < 16
            && let Some(halves) = basic_credential(field)
        {
            basic.extend(halves.into_iter().filter(|s| s.len() >= MIN_LEN && !seen.contains(s.as_str())));
        }
    }
    Candidates { pieces, decoded: basic, cut_short }
}

/// The largest index at most `at` that starts a character of `text`.
fn floor_char_boundary(text: &str, at: usize) -> usize {
    (0..=at.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0)
}

/// The pieces of one field (text between spaces and quotes): the field, its sentence end
/// trimmed, the values of `name=value` pairs in it (`api_key=x&y=z`, `KEY=x`, `?key=x`), and
/// the parts between `:`, `@` and `/` (a URL's `user:key@host`, a header's `Name:value`).
fn field_pieces(field: &str) -> Vec<&str> {
    let mut out = vec![field];
    let trimmed = field.trim_end_matches(['.', ':', '!', '?']);
    out.push(trimmed);
    for pair in trimmed.split(['&', '?', '#']) {
        out.push(pair);
        if let Some((_, value)) = pair.split_once('=') {
            out.push(value);
            out.extend(value.split([':', '@', '/']));
        }
        out.extend(pair.split([':', '@', '/']));
    }
    out
}

/// The two halves of an HTTP Basic credential (`base64(user:password)`), when `field` is one.
fn basic_credential(field: &str) -> Option<[Zeroizing<String>; 2]> {
    if field.len() < 12 || field.len() > 1024 {
        return None;
    }
    let bytes = Zeroizing::new(base64::engine::general_purpose::STANDARD.decode(field).ok()?);
    let text = std::str::from_utf8(&bytes).ok()?;
    let (user, password) = text.split_once(':')?;
    if text.chars().any(char::is_control) {
        return None;
    }
    Some([Zeroizing::new(user.to_owned()), Zeroizing::new(password.to_owned())])
}

/// How a found key stands, in words: active, retiring (replaced by which key), revoked (when,
/// and whether its provider still has it); and what its last check said.
pub fn state_words<'a>(record: &KeyRecord, key: impl Fn(&KeyId) -> Option<&'a KeyRecord>) -> String {
    let provider = record.provider.name();
    let state = match &record.status {
        KeyStatus::Active => "Active: it has not been revoked.".to_owned(),
        KeyStatus::Retiring => {
            let by = record
                .replaced_by
                .as_ref()
                .and_then(key)
                .map_or_else(|| "a newer key".to_owned(), |k| format!("\"{}\"", k.label));
            format!("Retiring, replaced by {by}: it still works until it is revoked.")
        }
        KeyStatus::Revoked { at, reason } if record.provider_revoke_pending.is_some() => format!(
            "Marked revoked on {} ({reason}), but the revoke at {provider} failed: it may still work there.",
            at.format("%Y-%m-%d")
        ),
        KeyStatus::Revoked { at, reason } => format!("Revoked on {} ({reason}).", at.format("%Y-%m-%d")),
    };
    format!("{state} {}", check_words(record))
}

/// What the key's last check said, in one sentence.
pub fn check_words(record: &KeyRecord) -> String {
    let provider = record.provider.name();
    match &record.last_verified {
        None if record.provider == Provider::Keydesk => {
            "A Keydesk key: there is no provider to check it with.".to_owned()
        }
        None => format!("Never checked at {provider}."),
        Some(check) => {
            let on = check.at.format("%Y-%m-%d");
            match &check.outcome {
                VerifyOutcome::ChecksumOk => format!("Its checksum was right on {on} (checked offline)."),
                outcome if outcome.works() => format!("Its last check at {provider}, on {on}, worked."),
                VerifyOutcome::Unauthorized => {
                    format!("Its last check at {provider}, on {on}, failed: {provider} refused it.")
                }
                VerifyOutcome::LacksPermission { .. } | VerifyOutcome::WrongRegion { .. } => {
                    format!(
                        "Its last check at {provider}, on {on}, found it valid ({}).",
                        check.outcome.word()
                    )
                }
                other => format!("Its last check, on {on}, reached no verdict ({}).", other.word()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<String> {
        candidates(text).iter().map(str::to_owned).collect()
    }

    #[test]
    fn keys_are_found_inside_what_is_pasted() {
        let key = "SG.abcdefghijklmnop.qrstuvwxyz0123456789";
        for text in [
            format!("Authorization: Bearer {key}"),
            format!("2026-05-01T10:00:00Z POST /v3/mail/send auth=\"{key}\" status=401"),
            format!("SENDGRID_API_KEY={key}"),
            format!("export SENDGRID_API_KEY='{key}'"),
            format!("https://api.example.com/send?api_key={key}&to=a@b.c"),
            format!("https://anystring:{key}@us6.api.mailchimp.com/3.0/"),
            format!("{{\"api_key\": \"{key}\"}}"),
            format!("the key is {key}."),
            format!("  {key}\n"),
        ] {
            assert!(found(&text).contains(&key.to_owned()), "{text}");
        }
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("api:{key}"));
        assert!(found(&format!("Authorization: Basic {basic}")).contains(&key.to_owned()));
    }

    #[test]
    fn the_work_is_bounded() {
        let huge = "abcdefghij ".repeat(100_000);
        let c = candidates(&huge);
        assert!(c.cut_short);
        assert!(c.len() <= MAX_CANDIDATES + 16);
        let many: String = (0..10_000).map(|i| format!("token{i:06} ")).collect();
        let c = candidates(&many);
        assert!(c.cut_short && c.len() <= MAX_CANDIDATES + 16);
        assert!(!candidates("SG.a.b").cut_short);
        // A cut inside a character is moved back to its start.
        let wide = "é".repeat(MAX_INPUT);
        assert!(candidates(&wide).cut_short);
    }

    #[test]
    fn a_key_is_found_under_the_lookup_key_its_hash_was_made_with() {
        // A stand-in for the keyed hash: the lookup key's number, then the text.
        let hash = |under: u8, text: &str| (under != 9).then(|| format!("{under}:{text}"));
        let keys = [(0u8, "0:first-key-1234"), (1, "1:second-key-5678"), (1, "1:first-key-1234"), (9, "9:x")];
        let looked = look_up("b=second-key-5678 a=first-key-1234 9:x", keys, hash);
        assert_eq!(looked.found, [1, 0, 2], "in the order the text names them, each once");
        assert!(!looked.cut_short && looked.looked_at > 3);
        assert!(look_up("nothing-here-at-all", keys, hash).found.is_empty());
        assert_eq!(audit_detail(&["A", "B"], 7), "matched \"A\", \"B\" (7 strings)");
        assert_eq!(audit_detail(&[], 7), "no match (7 strings)");
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_cut_without_panicking(text in "\\PC{0,300}") {
            let c = candidates(&text);
            proptest::prop_assert!(c.len() <= MAX_CANDIDATES + 16);
            for piece in c.pieces {
                proptest::prop_assert!(text.contains(piece));
            }
        }
    }
}
