//! The vault's cryptography: Argon2id, XChaCha20-Poly1305 and HMAC-SHA256.
//!
//! Master password → Argon2id → key-encryption key, which unwraps the random data key; the
//! data key encrypts each secret (associated data binds it to its vault and key) and derives
//! the key of the leak-lookup hash. Key material lives in zeroizing types and is never
//! formatted. Pure code: randomness comes from the caller.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, ExposeSecretMut, SecretBox, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::Entropy;

const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;
/// Length of the random Argon2 salt.
pub const SALT_LEN: usize = 16;

/// Argon2id cost, stored in the vault header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub lanes: u32,
}

impl Default for KdfParams {
    /// 64 MiB, 3 iterations, 4 lanes.
    fn default() -> Self {
        KdfParams { memory_kib: 64 * 1024, iterations: 3, lanes: 4 }
    }
}

impl KdfParams {
    /// The weakest cost Keydesk accepts (OWASP's floor for Argon2id: 19 MiB, 2 iterations).
    pub const MIN: KdfParams = KdfParams { memory_kib: 19 * 1024, iterations: 2, lanes: 1 };
    /// The strongest cost Keydesk accepts (1 GiB, 10 iterations, 8 lanes): bounded so that a
    /// cost planted in vault.ron cannot stall an unlock for minutes before the password is
    /// even checked (Argon2id at this cost takes seconds here).
    pub const MAX: KdfParams = KdfParams { memory_kib: 1024 * 1024, iterations: 10, lanes: 8 };

    /// Checks that the cost is within what Keydesk accepts.
    pub fn validate(&self) -> Result<(), CryptoError> {
        let within = |v: u32, lo: u32, hi: u32| (lo..=hi).contains(&v);
        if within(self.memory_kib, Self::MIN.memory_kib, Self::MAX.memory_kib)
            && within(self.iterations, Self::MIN.iterations, Self::MAX.iterations)
            && within(self.lanes, Self::MIN.lanes, Self::MAX.lanes)
            && self.memory_kib >= 8 * self.lanes
        {
            Ok(())
        } else {
            Err(CryptoError::KdfOutOfRange)
        }
    }
}

/// What can go wrong in the vault's cryptography. No variant carries key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The data key did not unwrap: the password is wrong (or the header was altered).
    #[error("The master password is wrong: type it again (Caps Lock?).")]
    WrongPassword,
    /// A ciphertext failed authentication.
    #[error(
        "A stored secret does not decrypt: it was altered or belongs to another vault; restore it from a backup."
    )]
    Tampered,
    /// The cipher refused to encrypt (only for messages of hundreds of GiB; never a secret).
    #[error("Keydesk could not encrypt the secret, so nothing was saved: please report this as a bug.")]
    Encrypt,
    /// The KDF parameters are outside what Keydesk accepts.
    #[error(
        "The key-derivation cost is out of range: use 19 MiB to 1 GiB of memory, 2 to 10 iterations and 1 to 8 lanes."
    )]
    KdfOutOfRange,
}

/// A 256-bit key, zeroized on drop, never printed.
pub struct SymmetricKey(SecretBox<[u8; KEY_LEN]>);

impl SymmetricKey {
    /// A key written in place by `fill`, into its own zeroed buffer on the heap: the key's
    /// bytes are never passed by value, so no stack copy of them is left behind.
    fn filled(fill: impl FnOnce(&mut [u8; KEY_LEN])) -> Self {
        let mut key = SecretBox::new(Box::new([0u8; KEY_LEN]));
        fill(key.expose_secret_mut());
        SymmetricKey(key)
    }

    /// A fresh random key.
    pub fn random(rng: &mut dyn Entropy) -> Self {
        Self::filled(|bytes| rng.fill(&mut bytes[..]))
    }

    /// A key of 32 copies of `byte`, for tests.
    #[cfg(test)]
    pub fn repeated(byte: u8) -> Self {
        Self::filled(|bytes| bytes.fill(byte))
    }

    /// A second copy of the key (a team's keys carried into a new generation).
    pub(crate) fn duplicate(&self) -> Self {
        Self::filled(|bytes| bytes.copy_from_slice(self.bytes()))
    }

    fn bytes(&self) -> &[u8; KEY_LEN] {
        self.0.expose_secret()
    }
}

/// Argon2id at `params`, once they are checked against Keydesk's range.
fn argon2id(params: KdfParams) -> Result<Argon2<'static>, CryptoError> {
    params.validate()?;
    let argon_params = Params::new(params.memory_kib, params.iterations, params.lanes, Some(KEY_LEN))
        .map_err(|_argon2_params| CryptoError::KdfOutOfRange)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params))
}

/// Runs Argon2id over the password. This is the slow step of unlocking.
pub fn derive_kek(
    password: &SecretString,
    salt: &[u8],
    params: KdfParams,
) -> Result<SymmetricKey, CryptoError> {
    derive_kek_in(password, salt, params, None)
}

/// Argon2id's working memory (64 MiB at the default cost), made ready before the password is
/// complete: the window prepares it at the first keystroke on the lock screen, so the page
/// faults of a fresh 64 MiB (in a long-running window, the slowest part of a first unlock) are
/// paid while the person types, not after Enter. Handed back to the system when dropped.
pub struct KdfMemory {
    blocks: Vec<argon2::Block>,
    params: KdfParams,
}

impl KdfMemory {
    /// Allocates and touches the memory Argon2id needs at `params` (every block is written,
    /// so every page is in place). `None` when `params` are out of range.
    pub fn prepare(params: KdfParams) -> Option<KdfMemory> {
        let blocks = argon2id(params).ok()?.params().block_count();
        Some(KdfMemory { blocks: vec![argon2::Block::default(); blocks], params })
    }

    /// The cost it was made for.
    pub fn params(&self) -> KdfParams {
        self.params
    }
}

/// [`derive_kek`] in memory made ready beforehand, when there is some for this cost (memory
/// made for another cost is not used).
pub fn derive_kek_in(
    password: &SecretString,
    salt: &[u8],
    params: KdfParams,
    memory: Option<&mut KdfMemory>,
) -> Result<SymmetricKey, CryptoError> {
    let memory = memory.filter(|memory| memory.params == params);
    let argon = argon2id(params)?;
    let mut derived = Ok(());
    // Argon2id writes the key straight into its own buffer. The lanes are filled in parallel,
    // a thread per core (the `parallel` feature). The 64 MiB of working memory is not wiped:
    // an allocation that large is mapped for it alone and handed back to the system when
    // freed, and wiping it would add 7 ms to every unlock.
    let key = SymmetricKey::filled(|out| {
        let password = password.expose_secret().as_bytes();
        derived = match memory {
            Some(memory) => argon.hash_password_into_with_memory(
                password,
                salt,
                &mut out[..],
                memory.blocks.as_mut_slice(),
            ),
            None => argon.hash_password_into(password, salt, &mut out[..]),
        };
    });
    derived.map_err(|_argon2_error| CryptoError::KdfOutOfRange)?;
    Ok(key)
}

/// Encrypts `plaintext`; the result is `nonce || ciphertext+tag`.
pub fn seal(
    key: &SymmetricKey,
    associated: &[u8],
    plaintext: &[u8],
    rng: &mut dyn Entropy,
) -> Result<Vec<u8>, CryptoError> {
    let cipher = XChaCha20Poly1305::new(key.bytes().into());
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill(&mut nonce);
    let payload = Payload { msg: plaintext, aad: associated };
    // Encryption only fails for messages over 256 GiB; secrets are at most a few KiB.
    let sealed =
        cipher.encrypt(XNonce::from_slice(&nonce), payload).map_err(|_aead_error| CryptoError::Encrypt)?;
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Decrypts what [`seal`] made with the same key and associated data.
pub fn open(key: &SymmetricKey, associated: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if sealed.len() < NONCE_LEN + 16 {
        return Err(CryptoError::Tampered);
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let cipher = XChaCha20Poly1305::new(key.bytes().into());
    cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad: associated })
        .map(Zeroizing::new)
        .map_err(|_aead_error| CryptoError::Tampered)
}

/// Wraps the data key under the key-encryption key.
pub fn wrap_key(
    kek: &SymmetricKey,
    associated: &[u8],
    key: &SymmetricKey,
    rng: &mut dyn Entropy,
) -> Result<Vec<u8>, CryptoError> {
    seal(kek, associated, key.bytes(), rng)
}

/// Unwraps the data key; a failure means the password was wrong.
pub fn unwrap_key(
    kek: &SymmetricKey,
    associated: &[u8],
    wrapped: &[u8],
) -> Result<SymmetricKey, CryptoError> {
    open_key(kek, associated, wrapped).map_err(|_tampered| CryptoError::WrongPassword)
}

/// Opens a key sealed by [`wrap_key`]; a failure means the sealed bytes were changed.
pub fn open_key(key: &SymmetricKey, associated: &[u8], sealed: &[u8]) -> Result<SymmetricKey, CryptoError> {
    let plain = open(key, associated, sealed)?;
    if plain.len() != KEY_LEN {
        return Err(CryptoError::Tampered);
    }
    Ok(SymmetricKey::filled(|bytes| bytes.copy_from_slice(&plain)))
}

/// A team member's X25519 key pair. The team's data key is sealed to the public half
/// ([`seal_key_to`]), so whoever holds the data key can hand it to a member without that
/// member's password; the private half is kept wrapped under the member's password.
pub struct MemberKeyPair(x25519_dalek::StaticSecret);

/// The length of an X25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;

impl MemberKeyPair {
    pub fn random(rng: &mut dyn Entropy) -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rng.fill(&mut bytes[..]);
        MemberKeyPair(x25519_dalek::StaticSecret::from(*bytes))
    }

    pub fn public(&self) -> [u8; PUBLIC_KEY_LEN] {
        x25519_dalek::PublicKey::from(&self.0).to_bytes()
    }

    /// The private half sealed under `kek` (a key from the member's password).
    pub fn wrap(
        &self,
        kek: &SymmetricKey,
        associated: &[u8],
        rng: &mut dyn Entropy,
    ) -> Result<Vec<u8>, CryptoError> {
        seal(kek, associated, self.0.as_bytes(), rng)
    }

    /// The pair from its wrapped private half; a failure means the password was wrong.
    pub fn unwrap(kek: &SymmetricKey, associated: &[u8], wrapped: &[u8]) -> Result<Self, CryptoError> {
        let plain = open(kek, associated, wrapped).map_err(|_tampered| CryptoError::WrongPassword)?;
        let bytes: [u8; 32] = plain.as_slice().try_into().map_err(|_wrong_length| CryptoError::Tampered)?;
        let mut bytes = Zeroizing::new(bytes);
        Ok(MemberKeyPair(x25519_dalek::StaticSecret::from(std::mem::take(&mut *bytes))))
    }

    /// Opens a key sealed to this pair by [`seal_key_to`].
    pub fn open_key(&self, associated: &[u8], sealed: &[u8]) -> Result<SymmetricKey, CryptoError> {
        let (ephemeral, rest) = sealed.split_at_checked(PUBLIC_KEY_LEN).ok_or(CryptoError::Tampered)?;
        let ephemeral: [u8; PUBLIC_KEY_LEN] = ephemeral.try_into().map_err(|_short| CryptoError::Tampered)?;
        let shared = self.0.diffie_hellman(&x25519_dalek::PublicKey::from(ephemeral));
        if !shared.was_contributory() {
            return Err(CryptoError::Tampered);
        }
        let key = box_key(shared.as_bytes(), &ephemeral, &self.public());
        open_key(&key, associated, rest)
    }
}

/// Seals `key` to the member whose public key is `public`: an ephemeral X25519 key pair, the
/// shared secret through HMAC-SHA256 (with both public keys) as an XChaCha20-Poly1305 key.
/// Only the holder of the matching private key opens it.
pub fn seal_key_to(
    public: &[u8; PUBLIC_KEY_LEN],
    associated: &[u8],
    key: &SymmetricKey,
    rng: &mut dyn Entropy,
) -> Result<Vec<u8>, CryptoError> {
    let ephemeral = MemberKeyPair::random(rng);
    let ephemeral_public = ephemeral.public();
    let shared = ephemeral.0.diffie_hellman(&x25519_dalek::PublicKey::from(*public));
    if !shared.was_contributory() {
        // A public key of low order: nobody could open what is sealed to it.
        return Err(CryptoError::Tampered);
    }
    let box_key = box_key(shared.as_bytes(), &ephemeral_public, public);
    let mut sealed = ephemeral_public.to_vec();
    sealed.extend(seal(&box_key, associated, key.bytes(), rng)?);
    Ok(sealed)
}

/// The key that seals a key to a member, from the X25519 shared secret and both public keys.
fn box_key(
    shared: &[u8; 32],
    ephemeral: &[u8; PUBLIC_KEY_LEN],
    recipient: &[u8; PUBLIC_KEY_LEN],
) -> SymmetricKey {
    let mut mac = KeyedMac::new(shared);
    mac.update(b"keydesk sealed key v1\0");
    mac.update(ephemeral);
    mac.update(recipient);
    let tag = mac.tag();
    SymmetricKey::filled(|bytes| bytes.copy_from_slice(&tag[..]))
}

/// A key derived from `key` for one purpose (HMAC-SHA256 of the purpose label).
pub fn derive_subkey(key: &SymmetricKey, purpose: &str) -> SymmetricKey {
    let mut mac = KeyedMac::new(key.bytes());
    mac.update(purpose.as_bytes());
    let tag = mac.tag();
    SymmetricKey::filled(|bytes| bytes.copy_from_slice(&tag[..]))
}

/// HMAC-SHA256 of `data`, in lower-case hex.
pub fn keyed_hash(key: &SymmetricKey, data: &[u8]) -> String {
    let mut mac = KeyedMac::new(key.bytes());
    mac.update(data);
    hex(&mac.tag()[..])
}

/// Bytes of the leak-lookup hash kept per key: 96 bits of HMAC-SHA256, as HMAC-SHA-256-96
/// tags are cut (a false match of one pasted string among 10,000 keys has odds of about
/// 2^-83; the hash is keyed, so it says nothing of the secret without the vault's lookup key,
/// and it is compared only with hashes Keydesk computes itself, never offered for guessing).
const LOOKUP_LEN: usize = 12;
const LOOKUP_B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD_NO_PAD;

/// The leak-lookup hash of `secret`: its HMAC-SHA256 under `key`, cut to 96 bits, base64.
pub fn lookup_hash(key: &SymmetricKey, secret: &[u8]) -> String {
    let mut mac = KeyedMac::new(key.bytes());
    mac.update(secret);
    LOOKUP_B64.encode(&mac.tag()[..LOOKUP_LEN])
}

/// Whether `candidate`'s lookup hash is `expected` (compared in constant time).
pub fn lookup_hash_matches(key: &SymmetricKey, candidate: &[u8], expected: &str) -> bool {
    let Ok(expected) = LOOKUP_B64.decode(expected) else { return false };
    if expected.len() != LOOKUP_LEN {
        return false;
    }
    let mut mac = KeyedMac::new(key.bytes());
    mac.update(candidate);
    same_bytes(&mac.tag()[..LOOKUP_LEN], &expected)
}

/// An older format's lookup hash as format 4 keeps it (its first 96 bits, base64): format 2's
/// 256 bits in hex, format 3's 128 bits in base64. Anything else is left as it is (and
/// matches nothing).
pub fn shorten_lookup_hash(old_hash: &str) -> Option<String> {
    let bytes = match unhex(old_hash) {
        Some(bytes) if bytes.len() == 32 => bytes,
        _ => LOOKUP_B64.decode(old_hash).ok().filter(|b| b.len() == 16)?,
    };
    Some(LOOKUP_B64.encode(&bytes[..LOOKUP_LEN]))
}

/// HMAC-SHA256 of the concatenation of `parts`, hex (no copy of the whole is made).
pub fn keyed_hash_parts(key: &SymmetricKey, parts: &[&[u8]]) -> String {
    let mut mac = KeyedMac::new(key.bytes());
    for part in parts {
        mac.update(part);
    }
    hex(&mac.tag()[..])
}

/// Compares the keyed hash of the concatenation of `parts` with `expected_hex` in constant time.
pub fn keyed_hash_parts_match(key: &SymmetricKey, parts: &[&[u8]], expected_hex: &str) -> bool {
    let Some(expected) = unhex(expected_hex) else { return false };
    let mut mac = KeyedMac::new(key.bytes());
    for part in parts {
        mac.update(part);
    }
    same_bytes(&mac.tag()[..], &expected)
}

/// Whether two byte strings are equal, without stopping at the first difference: their
/// SHA-256 digests are compared byte by byte in full.
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let (x, y) = (Sha256::digest(a), Sha256::digest(b));
    x.iter().zip(y.iter()).fold(0u8, |acc, (p, q)| acc | (p ^ q)) == 0
}

/// HMAC-SHA256 under a key. hmac 0.12 does not wipe its keyed state (the key's inner and
/// outer pads) when dropped: here that state lives in one heap slot, overwritten with a
/// zero-keyed state when this is dropped, and the tag comes out in a buffer wiped on drop.
/// (What the compiler may leave of the state while it is being built, on the stack, is out of
/// reach without `unsafe`.)
struct KeyedMac(Box<Hmac<Sha256>>);

impl KeyedMac {
    fn new(key: &[u8]) -> Self {
        let mut state = Box::new(unreachable_mac());
        *state = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable_mac());
        KeyedMac(state)
    }

    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The tag; the state is reset (and wiped when this is dropped).
    fn tag(mut self) -> Zeroizing<[u8; 32]> {
        let mut tag = Zeroizing::new([0u8; 32]);
        let mut out = self.0.finalize_reset().into_bytes();
        tag.copy_from_slice(&out);
        zeroize::Zeroize::zeroize(out.as_mut_slice());
        tag
    }
}

impl Drop for KeyedMac {
    fn drop(&mut self) {
        *self.0 = unreachable_mac();
        // The write must happen although the box is freed right after.
        std::hint::black_box(&mut *self.0);
    }
}

/// HMAC-SHA256 of `data` under `key` (any length), its state and tag wiped as
/// [`KeyedMac`]'s are: for a key that is not a [`SymmetricKey`] (an AWS signing key).
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut mac = KeyedMac::new(key);
    mac.update(data);
    mac.tag()
}

// HMAC accepts keys of any length, so `new_from_slice` cannot fail for a 32-byte key.
fn unreachable_mac() -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new(&Default::default())
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lowercase hex as [`hex`] writes it, and nothing else: "AB" or "+b" (which `from_str_radix`
/// takes) would let a different text stand for the same seal.
fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2)
        || !text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::test_rng;

    #[test]
    fn a_seal_reads_only_as_written() {
        let key = SymmetricKey::repeated(7);
        let seal = keyed_hash_parts(&key, &[b"text"]);
        assert!(keyed_hash_parts_match(&key, &[b"text"], &seal));
        // The same bytes in uppercase hex: another text, refused.
        assert!(seal.bytes().any(|b| b.is_ascii_lowercase()), "{seal}");
        assert!(!keyed_hash_parts_match(&key, &[b"text"], &seal.to_uppercase()));
    }

    fn fast() -> KdfParams {
        KdfParams::MIN
    }

    #[test]
    fn a_key_sealed_to_a_member_opens_only_with_their_private_key() {
        let mut rng = crate::vault::test_rng(11);
        let (ana, ben) = (MemberKeyPair::random(&mut rng), MemberKeyPair::random(&mut rng));
        let data = SymmetricKey::random(&mut rng);
        let sealed = seal_key_to(&ana.public(), b"team member ana", &data, &mut rng).unwrap();
        assert_eq!(ana.open_key(b"team member ana", &sealed).unwrap().bytes(), data.bytes());
        assert!(ben.open_key(b"team member ana", &sealed).is_err(), "another member's pair");
        assert!(ana.open_key(b"team member ben", &sealed).is_err(), "bound to its member");
        let mut changed = sealed.clone();
        changed[40] ^= 1;
        assert!(ana.open_key(b"team member ana", &changed).is_err());
        assert!(ana.open_key(b"team member ana", &sealed[..20]).is_err(), "short input");
        // A low-order public key is refused rather than sealed to.
        assert!(seal_key_to(&[0u8; 32], b"x", &data, &mut rng).is_err());
        // The private half, wrapped under a password's key, comes back only with that key.
        let kek = SymmetricKey::random(&mut rng);
        let wrapped = ana.wrap(&kek, b"ana", &mut rng).unwrap();
        let back = MemberKeyPair::unwrap(&kek, b"ana", &wrapped).unwrap();
        assert_eq!(back.public(), ana.public());
        let wrong = SymmetricKey::random(&mut rng);
        assert_eq!(MemberKeyPair::unwrap(&wrong, b"ana", &wrapped).err(), Some(CryptoError::WrongPassword));
    }

    #[test]
    fn password_round_trip() {
        let mut rng = test_rng(1);
        let salt = [7u8; SALT_LEN];
        let kek = derive_kek(&SecretString::from("correct horse"), &salt, fast()).expect("params ok");
        let data_key = SymmetricKey::random(&mut rng);
        let wrapped = wrap_key(&kek, b"vault-1", &data_key, &mut rng).expect("encrypts");
        let again = derive_kek(&SecretString::from("correct horse"), &salt, fast()).expect("params ok");
        let unwrapped = unwrap_key(&again, b"vault-1", &wrapped).expect("same password");
        assert_eq!(unwrapped.bytes(), data_key.bytes());

        let wrong = derive_kek(&SecretString::from("correct horsE"), &salt, fast()).expect("params ok");
        assert_eq!(unwrap_key(&wrong, b"vault-1", &wrapped).err(), Some(CryptoError::WrongPassword));
        assert_eq!(unwrap_key(&again, b"vault-2", &wrapped).err(), Some(CryptoError::WrongPassword));
        let other_salt =
            derive_kek(&SecretString::from("correct horse"), &[8u8; SALT_LEN], fast()).expect("ok");
        assert!(unwrap_key(&other_salt, b"vault-1", &wrapped).is_err());
    }

    #[test]
    fn seal_open_and_tampering() {
        let mut rng = test_rng(2);
        let key = SymmetricKey::random(&mut rng);
        let sealed = seal(&key, b"v/k1", b"the secret", &mut rng).expect("encrypts");
        assert_eq!(open(&key, b"v/k1", &sealed).expect("opens").as_slice(), b"the secret");
        assert!(!sealed.windows(10).any(|w| w == b"the secret"));
        // Each byte flipped, the associated data changed, or a cut: all refused.
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            assert_eq!(open(&key, b"v/k1", &bad).err(), Some(CryptoError::Tampered), "byte {i}");
        }
        assert_eq!(open(&key, b"v/k2", &sealed).err(), Some(CryptoError::Tampered));
        assert_eq!(open(&key, b"v/k1", &sealed[..sealed.len() - 1]).err(), Some(CryptoError::Tampered));
        assert_eq!(open(&key, b"v/k1", &[]).err(), Some(CryptoError::Tampered));
        // Same plaintext twice: different nonces, different ciphertexts.
        assert_ne!(seal(&key, b"v/k1", b"the secret", &mut rng).expect("encrypts"), sealed);
    }

    #[test]
    fn keyed_hashes() {
        let key = SymmetricKey::random(&mut test_rng(3));
        let sub = derive_subkey(&key, "leak-lookup");
        let h = keyed_hash(&sub, b"abc");
        assert_eq!(h.len(), 64);
        assert_ne!(keyed_hash(&derive_subkey(&key, "other"), b"abc"), h);
        let short = lookup_hash(&sub, b"abc");
        assert_eq!(short.len(), 16, "96 bits, base64 without padding");
        assert!(lookup_hash_matches(&sub, b"abc", &short));
        assert!(!lookup_hash_matches(&sub, b"abd", &short));
        assert!(!lookup_hash_matches(&key, b"abc", &short));
        for wrong in ["zz", "é", "", &h, &short[..15]] {
            assert!(!lookup_hash_matches(&sub, b"abc", wrong), "{wrong}");
        }
        // A format-2 hash (256 bits, hex) and a format-3 one (its first 128 bits, base64)
        // become the same short hash.
        assert_eq!(shorten_lookup_hash(&h).as_deref(), Some(short.as_str()));
        let format_3 = LOOKUP_B64.encode(&unhex(&h).unwrap()[..16]);
        assert_eq!(shorten_lookup_hash(&format_3).as_deref(), Some(short.as_str()));
        assert_eq!(shorten_lookup_hash(&short), None);
    }

    #[test]
    fn kdf_bounds() {
        assert_eq!(KdfParams::default().validate(), Ok(()));
        assert_eq!(KdfParams::MIN.validate(), Ok(()));
        let weak = KdfParams { memory_kib: 1024, ..KdfParams::default() };
        assert_eq!(weak.validate(), Err(CryptoError::KdfOutOfRange));
        let one_pass = KdfParams { iterations: 1, ..KdfParams::default() };
        assert!(derive_kek(&SecretString::from("x"), &[0; SALT_LEN], one_pass).is_err());
    }

    /// The parallel lanes give the same key as the reference implementation (libargon2 via
    /// Python's argon2-cffi, `hash_secret_raw(…, Type.ID, 19)`), so no vault changes.
    #[test]
    fn kdf_matches_the_reference_implementation() {
        let password = SecretString::from("correct horse battery staple");
        let default = derive_kek(&password, &[7; SALT_LEN], KdfParams::default()).unwrap();
        assert_eq!(hex(default.bytes()), "0b167e20ffb8a31f75eb3e471872ba0a5747d56ec494db5becb07108141bff24");
        let eight_lanes = KdfParams { memory_kib: 19 * 1024, iterations: 2, lanes: 8 };
        let key = derive_kek(&password, &[7; SALT_LEN], eight_lanes).unwrap();
        assert_eq!(hex(key.bytes()), "c62936ba86ae0723b67d8969b957e0d00d2cef8d6179c9b553235b8665d8c6e5");
    }

    /// Memory made ready beforehand gives the same key; memory made for another cost is not
    /// used (the key is still right).
    #[test]
    fn prepared_memory_gives_the_same_key() {
        let password = SecretString::from("correct horse battery staple");
        let salt = [9; SALT_LEN];
        let params = KdfParams::MIN;
        let plain = derive_kek(&password, &salt, params).unwrap();
        let mut memory = KdfMemory::prepare(params).unwrap();
        assert_eq!(memory.params(), params);
        assert_eq!(
            derive_kek_in(&password, &salt, params, Some(&mut memory)).unwrap().bytes(),
            plain.bytes()
        );
        let other = KdfParams { iterations: 3, ..KdfParams::MIN };
        let mut mismatched = KdfMemory::prepare(other).unwrap();
        assert_eq!(
            derive_kek_in(&password, &salt, params, Some(&mut mismatched)).unwrap().bytes(),
            plain.bytes()
        );
        assert!(KdfMemory::prepare(KdfParams { memory_kib: 8, ..KdfParams::MIN }).is_none());
    }

    /// RFC 9106 section 5.3, the Argon2id test vector, through the same parallel fill.
    #[test]
    fn argon2id_rfc_9106_vector() {
        let params = argon2::ParamsBuilder::new()
            .m_cost(32)
            .t_cost(3)
            .p_cost(4)
            .output_len(32)
            .data(argon2::AssociatedData::new(&[4; 12]).unwrap())
            .build()
            .unwrap();
        let argon = Argon2::new_with_secret(&[3; 8], Algorithm::Argon2id, Version::V0x13, params).unwrap();
        let mut out = [0u8; 32];
        argon.hash_password_into(&[1; 32], &[2; 16], &mut out).unwrap();
        assert_eq!(hex(&out), "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
    }

    /// The heap-kept HMAC computes what any HMAC-SHA256 does (values from Python's `hmac`),
    /// for a tag, a subkey, and a match in full and cut to the lookup length.
    #[test]
    fn keyed_hashes_are_hmac_sha256() {
        let key = SymmetricKey::repeated(7);
        let abc = "127da4ced6a839b8f6118bc244684d2663e70cb5ff0adeefca89d7e74d5a0525";
        assert_eq!(keyed_hash(&key, b"abc"), abc);
        assert_eq!(keyed_hash_parts(&key, &[b"a", b"", b"bc"]), abc);
        assert!(keyed_hash_parts_match(&key, &[b"ab", b"c"], abc));
        assert!(!keyed_hash_parts_match(&key, &[b"abd"], abc));
        let sub = derive_subkey(&key, "purpose");
        assert_eq!(
            keyed_hash(&sub, b"x"),
            "04e06a66d265d0ce0dbc7b125d432b9794c1af0f8d76aeb0449408bb9c0e2d53"
        );
        let hash = lookup_hash(&key, b"abc");
        assert!(lookup_hash_matches(&key, b"abc", &hash));
        assert!(!lookup_hash_matches(&key, b"abd", &hash));
        assert_eq!(LOOKUP_B64.decode(hash).unwrap(), unhex(abc).unwrap()[..LOOKUP_LEN]);
    }
}
