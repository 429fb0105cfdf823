//! Keydesk's own key format: `<prefix><base62 body><6-character base62 CRC32>`.
//!
//! The body comes from the random source the caller gives (the OS CSPRNG in the app); the
//! checksum lets a mistyped or truncated key be caught offline and lets secret scanners match
//! the format. Pure code: no IO, no clock.

use secrecy::SecretString;
use zeroize::Zeroizing;

use super::Entropy;

/// The prefix used when the user picks none.
pub const DEFAULT_PREFIX: &str = "kd_live_";
/// The body length used when the user picks none (≈ 190 bits).
pub const DEFAULT_LENGTH: usize = 32;
/// Keys weaker than this are refused.
pub const MIN_BITS: f64 = 128.0;
/// The longest body Keydesk generates.
pub const MAX_LENGTH: usize = 256;
/// The longest prefix Keydesk accepts.
pub const MAX_PREFIX: usize = 24;
/// Length of the checksum that ends every Keydesk key.
pub const CHECK_LENGTH: usize = 6;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// What the user chose for a new Keydesk key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    pub prefix: String,
    pub length: usize,
}

impl Default for KeySpec {
    fn default() -> Self {
        KeySpec { prefix: DEFAULT_PREFIX.to_owned(), length: DEFAULT_LENGTH }
    }
}

/// Why a key could not be generated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KeygenError {
    /// The body is too short to be safe.
    #[error(
        "A body of {length} characters gives only {bits:.0} bits: choose at least {min} characters (128 bits)."
    )]
    TooWeak { length: usize, bits: f64, min: usize },
    /// The body is longer than Keydesk makes.
    #[error("A body of {length} characters is longer than {MAX_LENGTH}: choose a shorter length.")]
    TooLong { length: usize },
    /// The prefix has characters other than letters, digits and `_`, or does not end in `_`.
    #[error(
        "The prefix \"{prefix}\" is not usable: use up to {MAX_PREFIX} letters, digits or underscores, ending with \"_\" (like \"kd_live_\")."
    )]
    BadPrefix { prefix: String },
}

/// Why a value that looks like a Keydesk key is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChecksumError {
    #[error(
        "This looks like a Keydesk key but its checksum does not match: it was mistyped or cut short, so copy it again."
    )]
    Mismatch,
}

/// Bits of entropy of a body of `length` base62 characters.
pub fn entropy_bits(length: usize) -> f64 {
    length as f64 * 62f64.log2()
}

/// The shortest body that reaches [`MIN_BITS`].
pub fn min_length() -> usize {
    (MIN_BITS / 62f64.log2()).ceil() as usize
}

/// Checks a spec without generating anything (used live while the user types).
pub fn validate(spec: &KeySpec) -> Result<(), KeygenError> {
    if !prefix_is_valid(&spec.prefix) {
        return Err(KeygenError::BadPrefix { prefix: spec.prefix.clone() });
    }
    if spec.length > MAX_LENGTH {
        return Err(KeygenError::TooLong { length: spec.length });
    }
    let bits = entropy_bits(spec.length);
    if bits < MIN_BITS {
        return Err(KeygenError::TooWeak { length: spec.length, bits, min: min_length() });
    }
    Ok(())
}

/// Generates a new key.
pub fn generate(spec: &KeySpec, rng: &mut dyn Entropy) -> Result<SecretString, KeygenError> {
    validate(spec)?;
    let mut key = Zeroizing::new(String::with_capacity(spec.prefix.len() + spec.length + 6));
    key.push_str(&spec.prefix);
    let mut pool = Zeroizing::new([0u8; 64]);
    let mut used = pool.len();
    let mut produced = 0;
    while produced < spec.length {
        if used == pool.len() {
            rng.fill(&mut pool[..]);
            used = 0;
        }
        let byte = pool[used];
        used += 1;
        // Rejection sampling: 248 = 4 × 62, so every base62 digit is equally likely.
        if byte < 248 {
            key.push(BASE62[usize::from(byte % 62)] as char);
            produced += 1;
        }
    }
    let check = checksum(key.as_bytes());
    key.push_str(&check);
    Ok(SecretString::from(key.as_str()))
}

/// The 6-character checksum of `prefix + body`.
fn checksum(prefix_and_body: &[u8]) -> String {
    let mut value = crc32fast::hash(prefix_and_body);
    let mut digits = [b'0'; CHECK_LENGTH];
    for digit in digits.iter_mut().rev() {
        *digit = BASE62[(value % 62) as usize];
        value /= 62;
    }
    digits.iter().map(|&d| d as char).collect()
}

/// Whether `prefix` may start a Keydesk key (letters, digits and underscores, not too long).
pub fn prefix_is_valid(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix.len() <= MAX_PREFIX
        && prefix.ends_with('_')
        && prefix.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A value split into the parts of a Keydesk key, if it has that shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeydeskShape<'a> {
    pub prefix: &'a str,
    pub body_length: usize,
}

/// Splits `value` at its last `_` into prefix and base62 rest, if it has a Keydesk key's shape
/// (valid prefix, a body of at least the minimum length, then the checksum).
pub fn shape(value: &str) -> Option<KeydeskShape<'_>> {
    let split = value.rfind('_')? + 1;
    let (prefix, rest) = value.split_at(split);
    if !prefix_is_valid(prefix) || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let body_length = rest.len().checked_sub(CHECK_LENGTH)?;
    (body_length >= min_length()).then_some(KeydeskShape { prefix, body_length })
}

/// Checks the checksum of a value that has a Keydesk key's shape.
pub fn verify_checksum(value: &str) -> Result<(), ChecksumError> {
    let Some(split) = value.len().checked_sub(CHECK_LENGTH) else {
        return Err(ChecksumError::Mismatch);
    };
    if !value.is_char_boundary(split) {
        return Err(ChecksumError::Mismatch);
    }
    let (head, check) = value.split_at(split);
    if checksum(head.as_bytes()) == check { Ok(()) } else { Err(ChecksumError::Mismatch) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::test_rng;
    use secrecy::ExposeSecret;

    fn check(prefix: &str, length: usize, expected: Result<f64, &str>) {
        let spec = KeySpec { prefix: prefix.to_owned(), length };
        let mut rng = test_rng(7);
        match (generate(&spec, &mut rng), expected) {
            (Ok(key), Ok(bits)) => {
                let key = key.expose_secret();
                assert!(key.starts_with(prefix), "{prefix}");
                assert_eq!(key.len(), prefix.len() + length + CHECK_LENGTH);
                assert!(key[prefix.len()..].bytes().all(|b| b.is_ascii_alphanumeric()));
                assert_eq!(verify_checksum(key), Ok(()));
                let found = shape(key).expect("generated keys have the shape");
                assert_eq!((found.prefix, found.body_length), (prefix, length));
                assert!((entropy_bits(length) - bits).abs() < 0.5, "{length}: {bits}");
            }
            (Err(error), Err(words)) => {
                let text = error.to_string();
                assert!(text.contains(words), "{text:?} lacks {words:?}");
            }
            (got, want) => panic!("{prefix}/{length}: got {:?}, want {want:?}", got.err()),
        }
    }

    #[test]
    fn generation_table() {
        check("kd_live_", 32, Ok(190.5));
        check("kd_test_", 22, Ok(131.0));
        check("hook_", 43, Ok(256.0));
        check("X_", 256, Ok(1524.2));
        check("kd_live_", 21, Err("only 125 bits: choose at least 22"));
        check("kd_live_", 0, Err("choose at least 22"));
        check("kd_live_", 257, Err("longer than 256"));
        check("kd-live-", 32, Err("not usable"));
        check("kdlive", 32, Err("ending with \"_\""));
        check("", 32, Err("not usable"));
        check("a_very_long_prefix_indeed_", 32, Err("up to 24"));
        check("kd live_", 32, Err("not usable"));
    }

    #[test]
    fn keys_differ_and_use_every_digit() {
        let mut rng = test_rng(1);
        let spec = KeySpec::default();
        let keys: Vec<String> = (0..200)
            .map(|_| generate(&spec, &mut rng).map(|k| k.expose_secret().to_owned()))
            .collect::<Result<_, _>>()
            .expect("valid spec");
        let unique: std::collections::HashSet<_> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len());
        let mut seen = [false; 128];
        for key in &keys {
            for b in key[DEFAULT_PREFIX.len()..DEFAULT_PREFIX.len() + DEFAULT_LENGTH].bytes() {
                seen[usize::from(b)] = true;
            }
        }
        assert_eq!(BASE62.iter().filter(|&&b| seen[usize::from(b)]).count(), 62);
    }

    #[test]
    fn every_single_typo_or_cut_is_caught() {
        let mut rng = test_rng(3);
        let key = generate(&KeySpec::default(), &mut rng).expect("valid");
        let key = key.expose_secret();
        for i in 0..key.len() {
            let mut bytes = key.as_bytes().to_vec();
            bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
            let typo = String::from_utf8(bytes).expect("ascii");
            assert!(typo == key || verify_checksum(&typo).is_err(), "typo at {i} passed");
        }
        for cut in 1..key.len() {
            assert!(verify_checksum(&key[..key.len() - cut]).is_err(), "cut {cut} passed");
        }
        // Two neighbours swapped.
        let mut swapped = key.as_bytes().to_vec();
        let at = DEFAULT_PREFIX.len() + 3;
        swapped.swap(at, at + 1);
        let swapped = String::from_utf8(swapped).expect("ascii");
        assert!(swapped == key || verify_checksum(&swapped).is_err());
    }

    #[test]
    fn shapes() {
        assert_eq!(shape("kd_live_short"), None);
        assert_eq!(shape("no-underscore-at-all-but-long-enough-to-count"), None);
        assert_eq!(shape("kd_live_abc$defghijklmnopqrstuvwxyz0123456"), None);
        assert!(shape("kd_live_abcdefghijklmnopqrstuvwxyz0123456").is_some());
        assert_eq!(verify_checksum("é"), Err(ChecksumError::Mismatch));
        assert_eq!(verify_checksum("abcdeé"), Err(ChecksumError::Mismatch));
    }
}
