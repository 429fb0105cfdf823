//! Every parser of outside input, fed valid files with random edits and plain random text:
//! none panics, none hangs, and an edit to the audit log or a sealed vault never passes as
//! intact. Cases per property are fixed (see each `with_cases`), so CI time is bounded.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use crate::common;

use std::sync::OnceLock;

use common::{PASSWORD, fixture};
use keydesk::secrets::memory::MemoryStore;
use keydesk::storage::MemoryStorage;
use keydesk::vault::keygen::KeySpec;
use keydesk::vault::meta::{self, KeyMeta};
use keydesk::vault::{Env, GenerateRequest, Vault, backup, detect, keygen};
use proptest::prelude::*;
use secrecy::SecretString;

/// A vault with a few keys, an account and some history: its `vault.ron`, `audit.ron` and
/// a backup of it, made once.
struct Sample {
    vault_text: String,
    audit_text: String,
    backup: Vec<u8>,
    store: MemoryStore,
    storage: MemoryStorage,
}

fn sample() -> &'static Sample {
    static SAMPLE: OnceLock<Sample> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let mut f = fixture();
        for label in ["Newsletter CRM", "SendGrid – 春のキャンペーン", "🚀 Brevo حملة"] {
            let request = GenerateRequest { meta: KeyMeta::labelled(label), spec: KeySpec::default() };
            f.vault.generate(request).unwrap();
        }
        let backup = f.vault.backup(&SecretString::from(PASSWORD)).unwrap();
        Sample {
            vault_text: f.storage.last_save().unwrap(),
            audit_text: f.storage.audit(),
            backup,
            store: f.store,
            storage: f.storage,
        }
    })
}

/// One edit: what, where (a fraction of the length), and the character used.
#[derive(Debug, Clone)]
enum Edit {
    Replace(f64, char),
    Insert(f64, char),
    Delete(f64),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let place = 0.0..1.0f64;
    let glyph = prop_oneof![
        8 => proptest::char::range(' ', '~'),
        1 => Just('\n'),
        1 => Just('"'),
        1 => Just('('),
        1 => Just(')'),
        1 => Just(','),
        1 => Just('é'),
        1 => Just('\u{0}'),
    ];
    // Mostly replacements, which keep lengths (and so base64 fields) whole and reach deeper.
    let edit = prop_oneof![
        3 => (place.clone(), glyph.clone()).prop_map(|(at, c)| Edit::Replace(at, c)),
        1 => (place.clone(), glyph).prop_map(|(at, c)| Edit::Insert(at, c)),
        1 => place.prop_map(Edit::Delete),
    ];
    proptest::collection::vec(edit, 1..4)
}

/// Replacements by base64 characters: they keep a backup's encoded fields decodable, so the
/// edit reaches the key derivation and the authenticated decryption.
fn base64_replacements() -> impl Strategy<Value = Vec<Edit>> {
    let alphabet: Vec<char> =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".chars().collect();
    let edit = (0.0..1.0f64, proptest::sample::select(alphabet)).prop_map(|(at, c)| Edit::Replace(at, c));
    proptest::collection::vec(edit, 1..3)
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for edit in edits {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let index = |at: f64, len: usize| ((at * len as f64) as usize).min(len.saturating_sub(1));
        match *edit {
            Edit::Replace(at, c) if !chars.is_empty() => {
                let i = index(at, chars.len());
                chars[i] = c;
            }
            Edit::Insert(at, c) => {
                let i = index(at, chars.len() + 1);
                chars.insert(i, c);
            }
            Edit::Delete(at) if !chars.is_empty() => {
                let i = index(at, chars.len());
                chars.remove(i);
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn an_edited_vault_file_parses_or_is_refused(edits in edits()) {
        let text = apply(&sample().vault_text, &edits);
        if let Err(error) = Vault::parse(&text) {
            let said = error.to_string();
            prop_assert!(said.chars().count() < 300, "a short sentence: {said}");
        }
    }

    #[test]
    fn any_edit_of_the_audit_log_is_caught(edits in edits()) {
        let text = apply(&sample().audit_text, &edits);
        let caught = SAMPLE_VAULT.with(|vault| vault.verify_audit_text(&text).is_err());
        prop_assert!(caught || text == sample().audit_text, "an edit passed as intact");
    }

    #[test]
    fn typed_dates_days_and_integrations_never_panic(text in "\\PC{0,80}") {
        let _date = meta::parse_date(&text);
        let _days = meta::parse_days(&text);
        let _integration = meta::parse_integration(&text);
        let _checksum = keygen::verify_checksum(&text);
        let _detected = detect::detect(&text);
    }
}

proptest! {
    // Each case that keeps the file's shape runs the KDF (19 MiB): fewer cases.
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn an_edited_backup_opens_whole_or_is_refused(edits in prop_oneof![edits(), base64_replacements()]) {
        let bytes = apply(&String::from_utf8(sample().backup.clone()).unwrap(), &edits).into_bytes();
        if let Ok(contents) = backup::open(&bytes, &SecretString::from(PASSWORD)) {
            // The sealed part is authenticated: what opens is what was written.
            let original = backup::open(&sample().backup, &SecretString::from(PASSWORD)).unwrap();
            prop_assert_eq!(&contents.vault_text, &original.vault_text);
        }
    }

    #[test]
    fn an_edited_sealed_vault_never_opens_as_intact(edits in edits()) {
        let text = apply(&sample().vault_text, &edits);
        let Ok(file) = Vault::parse(&text) else { return Ok(()) };
        // The seal covers the text byte for byte: any edit that still parses and unlocks is
        // reported, never taken as Keydesk's own.
        if let Ok(vault) = Vault::unlock(sample_env(), file, &text, &SecretString::from(PASSWORD)) {
            prop_assert!(text == sample().vault_text || vault.changed_outside().is_some());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn an_edited_secrets_file_opens_or_is_refused_untouched(edits in edits()) {
        use keydesk::secrets::SecretStore;
        let folder = tempfile::tempdir().unwrap();
        let mut store = keydesk::secrets::file::FileStore::open(folder.path()).unwrap();
        store.put("v/a", "c2VhbGVk").unwrap();
        store.put("v/b", "bW9yZQ==").unwrap();
        let path = folder.path().join("secrets.ron");
        let text = apply(&std::fs::read_to_string(&path).unwrap(), &edits);
        std::fs::write(&path, &text).unwrap();
        if let Err(error) = keydesk::secrets::file::FileStore::open(folder.path()) {
            prop_assert!(error.to_string().chars().count() < 300);
            prop_assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "a file that does not parse is left alone");
        }
    }
}

fn sample_env() -> Env {
    Env {
        store: Box::new(sample().store.clone()),
        storage: Box::new(sample().storage.clone()),
        clock: Box::new(keydesk::vault::SystemClock),
        rng: common::rng(1),
    }
}

thread_local! {
    /// The sample's vault, unlocked once per test thread (the KDF runs once).
    static SAMPLE_VAULT: Vault = {
        let text = &sample().vault_text;
        Vault::unlock(sample_env(), Vault::parse(text).unwrap(), text, &SecretString::from(PASSWORD)).unwrap()
    };
}
