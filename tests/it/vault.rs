//! Core operations against the in-memory secret store and storage: fast and exact.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use crate::common;

use common::{Fixture, PASSWORD, fixture, mailchimp_key, sendgrid_key};
use keydesk::actions::changes;
use keydesk::cli::lookup::resolve;
use keydesk::providers::Provider;
use keydesk::secrets::memory::MemoryStore;
use keydesk::storage::memory::MemoryStorage;
use keydesk::vault::audit::{self, Action};
use keydesk::vault::crypto::KdfParams;
use keydesk::vault::keygen::KeySpec;
use keydesk::vault::meta::KeyMeta;
use keydesk::vault::model::{Attention, Integration, KeyId, KeyStatus};
use keydesk::vault::{AddRequest, GenerateRequest, KeyEdit, Replacement, Vault, VaultError};
use secrecy::{ExposeSecret, SecretString};

fn generate(f: &mut common::Fixture, label: &str) -> (KeyId, String) {
    let request = GenerateRequest { meta: KeyMeta::labelled(label), spec: KeySpec::default() };
    let (id, secret) = f.vault.generate(request).unwrap();
    (id, secret.expose_secret().to_owned())
}

fn add(f: &mut common::Fixture, label: &str, key: &str) -> Result<KeyId, VaultError> {
    let request = AddRequest { meta: KeyMeta::labelled(label), ..Default::default() };
    f.vault.add(request, &SecretString::from(key)).map(|(id, _)| id)
}

#[test]
fn nothing_in_the_store_or_file_is_the_secret() {
    let mut f = fixture();
    let (_, secret) = generate(&mut f, "Webhook");
    let key = sendgrid_key();
    add(&mut f, "SendGrid", &key).unwrap();
    let saved = f.storage.last_save().unwrap();
    for value in f.store.snapshot().values() {
        assert!(!value.contains(&secret) && !value.contains(&key));
    }
    assert!(!saved.contains(&secret) && !saved.contains(&key[10..]));
    assert!(!f.storage.audit().contains(&key[10..]));
}

#[test]
fn unlock_round_trip_and_wrong_password() {
    let mut f = fixture();
    let (id, secret) = generate(&mut f, "Webhook");
    let saves = f.storage.save_count();
    let f = f.reopen(PASSWORD).unwrap();
    assert_eq!(f.storage.save_count(), saves, "unlocking writes nothing");
    let mut f = f;
    assert_eq!(f.vault.reveal(&id).unwrap().expose_secret(), secret);

    let saves = f.storage.save_count();
    let audit = f.storage.audit();
    let storage = f.storage.clone();
    let err = f.reopen("correct horse battery stapler").err().unwrap();
    assert!(matches!(err, VaultError::Crypto(keydesk::vault::crypto::CryptoError::WrongPassword)));
    assert_eq!(err.to_string(), "The master password is wrong: type it again (Caps Lock?).");
    assert_eq!(storage.save_count(), saves);
    assert_eq!(storage.audit(), audit, "a wrong password writes nothing");
}

#[test]
fn detection_on_add_and_refusals() {
    let mut f = fixture();
    let id = add(&mut f, "Newsletter", &mailchimp_key()).unwrap();
    let record = f.vault.key(&id).unwrap();
    assert_eq!((record.provider, record.region.as_deref()), (Provider::Mailchimp, Some("us14")));
    let sg = sendgrid_key();
    let id = add(&mut f, "Transactional", &sg).unwrap();
    assert_eq!(f.vault.key(&id).unwrap().hint, format!("SG.…{}", &sg[sg.len() - 4..]));

    let cases: Vec<(&str, String, &str)> = vec![
        ("", sendgrid_key(), "The label is empty"),
        ("   ", sendgrid_key(), "The label is empty"),
        ("x", "SG.short".into(), "starts like a SendGrid key"),
        ("x", sendgrid_key().replacen('.', ". ", 1), "space or a line break"),
        ("x", String::new(), "The key is empty"),
        ("again", sg.clone(), "already in the vault as \"Transactional\""),
        ("bad\nlabel", sendgrid_key(), "line break"),
    ];
    for (label, key, words) in cases {
        let saves = f.storage.save_count();
        let err = add(&mut f, label, &key).unwrap_err().to_string();
        assert!(err.contains(words), "{label:?}: {err}");
        assert_eq!(f.storage.save_count(), saves, "{label:?}: refused input writes nothing");
    }
    let named =
        AddRequest { meta: KeyMeta::labelled("x"), provider: Some(Provider::Brevo), ..Default::default() };
    let err = f.vault.add(named, &SecretString::from(sendgrid_key())).unwrap_err();
    assert!(err.to_string().contains("does not look like a Brevo key"), "{err}");
}

#[test]
fn the_command_line_finds_keys_by_id_prefix_and_label() {
    let mut f = fixture();
    let (a, _) = generate(&mut f, "Alpha");
    let (b, _) = generate(&mut f, "Beta");
    let find = |f: &common::Fixture, query: &str| resolve(f.vault.keys(), query);
    assert_eq!(f.vault.key(&a).unwrap().label, "Alpha");
    assert_eq!(find(&f, &b[..6]).unwrap(), b);
    assert_eq!(find(&f, "Beta").unwrap(), b);
    assert!(matches!(find(&f, "Gamma"), Err(VaultError::UnknownKey { .. })));
    assert!(matches!(find(&f, "abc"), Err(VaultError::UnknownKey { .. })), "short prefixes are not ids");
    assert!(f.vault.key(&KeyId::from_stored(&b[..6])).is_err(), "the core takes whole ids only");
    generate(&mut f, "Alpha");
    assert!(matches!(find(&f, "Alpha"), Err(VaultError::AmbiguousKey { count: 2, .. })));
}

/// A copy or a reveal appends its audit line and leaves vault.ron as it was (at 10,000 keys a
/// rewrite is 2.5 MB and its fsyncs); the counts come back from the log's lines at the next
/// unlock, are saved with the next change, and are never counted twice.
#[test]
fn copies_and_reveals_only_append_and_are_counted_at_unlock() {
    let mut f = fixture();
    let (id, _) = generate(&mut f, "Webhook");
    let (other, _) = generate(&mut f, "Other");
    let saves = f.storage.save_count();
    f.vault.secret_to_copy(&id).unwrap();
    f.vault.record_copy(&id, Ok(())).unwrap();
    f.vault.reveal(&id).unwrap();
    f.vault.reveal(&id).unwrap();
    f.vault.reveal(&other).unwrap();
    assert_eq!(f.storage.save_count(), saves, "vault.ron is not written again for a counter");
    let copied_at = f.vault.key(&id).unwrap().last_copied_at;
    assert!(copied_at.is_some());
    let counts = |f: &Fixture, id: &KeyId| {
        let record = f.vault.key(id).unwrap();
        (record.copy_count, record.reveal_count, record.last_copied_at)
    };

    let mut f = f.reopen(PASSWORD).unwrap();
    assert_eq!(f.vault.changed_outside(), None);
    assert_eq!(counts(&f, &id), (1, 2, copied_at));
    assert_eq!(counts(&f, &other), (0, 1, None));
    assert!(f.vault.check().is_clean());

    // The next change saves them, with a head that covers their lines.
    generate(&mut f, "Third");
    let saved = Vault::parse(&f.storage.last_save().unwrap()).unwrap();
    let webhook = saved.keys.iter().find(|k| k.id == id).unwrap();
    assert_eq!((webhook.copy_count, webhook.reveal_count), (1, 2));
    let f = f.reopen(PASSWORD).unwrap();
    assert_eq!(counts(&f, &id), (1, 2, copied_at), "not counted a second time");
    assert!(f.vault.verify_audit().is_ok());
}

/// A reveal's line cut from the end of the log (the vault file never held its head) shows at
/// the next unlock through the generation mark, which counts the log's lines.
#[test]
fn a_reveal_cut_from_the_end_of_the_log_shows() {
    let mut f = fixture();
    let (id, _) = generate(&mut f, "Webhook");
    // A mark is written at a session's first change, then at most once a minute.
    f.clock.advance_secs(61);
    f.vault.reveal(&id).unwrap();
    let log = f.storage.audit();
    let cut = log[..log.len() - 1].rfind('\n').unwrap() + 1;
    f.storage.replace_audit(&log[..cut]);
    let f = f.reopen(PASSWORD).unwrap();
    let why = f.vault.changed_outside().unwrap_or_default().to_owned();
    assert!(why.contains("lines were removed from its end"), "{why}");
    let lines = log.lines().count();
    assert!(why.contains(&format!("has {} entries but Keydesk had written {lines}", lines - 1)), "{why}");
}

#[test]
fn copy_reveal_are_counted_and_audited() {
    let mut f = fixture();
    let (id, secret) = generate(&mut f, "Webhook");
    assert_eq!(f.vault.secret_to_copy(&id).unwrap().expose_secret(), secret);
    assert_eq!(f.vault.key(&id).unwrap().copy_count, 0, "nothing counted before the clipboard took it");
    f.vault.record_copy(&id, Ok(())).unwrap();
    f.vault.secret_to_copy(&id).unwrap();
    f.vault.record_copy(&id, Ok(())).unwrap();
    // A copy the clipboard refused is in the log as failed, and not counted.
    f.vault.secret_to_copy(&id).unwrap();
    f.vault.record_copy(&id, Err("no display".into())).unwrap();
    f.vault.reveal(&id).unwrap();
    let record = f.vault.key(&id).unwrap();
    assert_eq!((record.copy_count, record.reveal_count), (2, 1));
    assert!(record.last_copied_at.is_some());
    let log = audit::parse(&f.storage.audit());
    let actions: Vec<Action> = log.iter().map(|r| r.action).collect();
    assert_eq!(
        actions,
        [Action::CreateVault, Action::Generate, Action::Copy, Action::Copy, Action::Copy, Action::Reveal]
    );
    assert_eq!(
        log[4].outcome,
        audit::Outcome::Failed("the clipboard did not take it: no display".into()),
        "the refused copy is recorded as failed"
    );
    assert_eq!(log[3].outcome, audit::Outcome::Ok);
    assert!(f.vault.verify_audit().is_ok());
}

#[test]
fn revoke_saves_metadata_then_deletes_secret() {
    let mut f = fixture();
    let (id, _) = generate(&mut f, "Webhook");
    assert_eq!(key_entries(&f), 1);
    assert!(f.vault.revoke(&id, "  ").unwrap_err().to_string().contains("reason is empty"));
    assert_eq!(f.vault.revoke(&id, "leaked in a screenshot").unwrap(), None);
    assert_eq!(key_entries(&f), 0);
    let record = f.vault.key(&id).unwrap();
    assert!(
        matches!(&record.status, KeyStatus::Revoked { reason, .. } if reason == "leaked in a screenshot")
    );
    let err = f.vault.reveal(&id).unwrap_err().to_string();
    assert!(err.contains("is revoked"), "{err}");
    assert!(f.vault.revoke(&id, "again").is_err());

    // A store that fails the delete: the key is revoked all the same, and check reports it.
    let (id, _) = generate(&mut f, "Second");
    f.store.fail_next(|| keydesk::secrets::SecretStoreError::Locked);
    let warning = f.vault.revoke(&id, "rotated").unwrap().unwrap();
    assert!(warning.contains("could not be deleted"), "{warning}");
    assert!(!f.vault.key(&id).unwrap().is_live());
    assert_eq!(f.vault.check().orphans.len(), 1);
}

#[test]
fn rotate_links_keys_and_keeps_format() {
    let mut f = fixture();
    let spec = KeySpec { prefix: "hook_".into(), length: 40 };
    let meta = KeyMeta {
        rotate_after_days: Some(90),
        expires_at: Some(f.vault.now() + chrono::Duration::days(365)),
        integrations: vec![Integration { name: "Zapier".into(), url: None, note: String::new() }],
        ..KeyMeta::labelled("Webhook")
    };
    let request = GenerateRequest { meta, spec };
    let (old, _) = f.vault.generate(request).unwrap();
    f.clock.advance_days(100);
    assert!(f.vault.key(&old).unwrap().attention(f.vault.now()).contains(&Attention::RotationDue));
    let (new, secret) = f.vault.rotate(&old, Replacement::Generate).unwrap();
    let secret = secret.expose_secret();
    assert!(secret.starts_with("hook_") && secret.len() == 5 + 40 + 6);
    let (old_r, new_r) = (f.vault.key(&old).unwrap().clone(), f.vault.key(&new).unwrap().clone());
    assert_eq!(old_r.status, KeyStatus::Retiring);
    assert_eq!(old_r.replaced_by.as_deref(), Some(new.as_str()));
    assert_eq!(new_r.replaces.as_deref(), Some(old.as_str()));
    assert_eq!(new_r.integrations, old_r.integrations);
    assert_eq!(new_r.expires_at, Some(f.vault.now() + chrono::Duration::days(365)));
    assert!(resolve(f.vault.keys(), "Webhook").unwrap() == new, "the active key wins a label lookup");

    // A provider key cannot be generated; a pasted replacement must match the provider.
    let sg = add(&mut f, "SendGrid", &sendgrid_key()).unwrap();
    assert!(matches!(
        f.vault.rotate(&sg, Replacement::Generate),
        Err(VaultError::NeedsPastedReplacement { .. })
    ));
    let wrong = Replacement::Pasted(SecretString::from(mailchimp_key()));
    assert!(f.vault.rotate(&sg, wrong).unwrap_err().to_string().contains("SendGrid"));
    let (new_sg, _) = f.vault.rotate(&sg, Replacement::Pasted(SecretString::from(sendgrid_key()))).unwrap();
    assert_eq!(f.vault.key(&new_sg).unwrap().provider, Provider::SendGrid);
}

#[test]
fn whois_finds_the_leaked_key_without_recording_it() {
    let mut f = fixture();
    let key = sendgrid_key();
    let id = add(&mut f, "Transactional", &key).unwrap();
    generate(&mut f, "Other");
    let ids = |found: keydesk::vault::WhoisFound| found.keys.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(f.vault.whois(&format!("{key}\n")).unwrap()), std::slice::from_ref(&id));
    assert!(ids(f.vault.whois(&sendgrid_key()).unwrap()).is_empty());
    assert!(!f.storage.audit().contains(&key[3..20]));
}

#[test]
fn whois_finds_a_key_inside_a_log_line_a_url_a_header_or_an_env_file() {
    let mut f = fixture();
    let key = sendgrid_key();
    let id = add(&mut f, "Transactional", &key).unwrap();
    let (other, other_key) = generate(&mut f, "Webhook");
    for text in [
        format!("Authorization: Bearer {key}"),
        format!("10:02:11 POST https://api.sendgrid.com/v3/mail/send?api_key={key}&to=x 401"),
        format!("SENDGRID_API_KEY={key}\nOTHER=1\n"),
        format!("{{\"apiKey\": \"{key}\"}}"),
    ] {
        let found = f.vault.whois(&text).unwrap();
        assert_eq!(
            found.keys.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
            std::slice::from_ref(&id),
            "{text}"
        );
        assert!(!found.cut_short);
    }
    // Two keys in one paste are both named, in the order they appear.
    let both = f.vault.whois(&format!("A={other_key}\nB={key}\n")).unwrap();
    assert_eq!(both.keys.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), [other, id]);
    // A huge paste is looked at in part, and says so.
    let huge = format!("{} {key}", "x".repeat(200_000));
    let found = f.vault.whois(&huge).unwrap();
    assert!(found.cut_short && found.keys.is_empty());
    assert!(!f.storage.audit().contains(&key[3..20]), "the text is not recorded");
}

#[test]
fn edit_changes_metadata_and_validates() {
    let mut f = fixture();
    let (id, _) = generate(&mut f, "Webhook");
    let edit = KeyEdit {
        label: Some("Webhook (prod)".into()),
        notes: Some("Used by the\nnightly sync".into()),
        integrations: Some(vec![Integration {
            name: "HubSpot".into(),
            url: Some("https://app.hubspot.com/x".into()),
            note: String::new(),
        }]),
        rotate_after_days: Some(Some(30)),
        ..Default::default()
    };
    changes::edit(&mut f.vault, &id, None, &edit).unwrap();
    let record = f.vault.key(&id).unwrap();
    assert_eq!(record.label, "Webhook (prod)");
    assert_eq!(record.rotate_after_days, Some(30));
    let bad = [
        KeyEdit { label: Some(String::new()), ..Default::default() },
        KeyEdit { rotate_after_days: Some(Some(0)), ..Default::default() },
        KeyEdit { expires_at: Some(Some(f.vault.now() - chrono::Duration::days(1))), ..Default::default() },
        KeyEdit {
            integrations: Some(vec![Integration {
                name: "X".into(),
                url: Some("ftp://x".into()),
                note: String::new(),
            }]),
            ..Default::default()
        },
        KeyEdit { label: Some("x".repeat(201)), ..Default::default() },
    ];
    for edit in bad {
        let before = f.storage.save_count();
        assert!(changes::edit(&mut f.vault, &id, None, &edit).is_err());
        assert_eq!(f.storage.save_count(), before);
    }
    assert_eq!(f.vault.key(&id).unwrap().label, "Webhook (prod)");
}

#[test]
fn failed_save_leaves_memory_as_it_was() {
    let mut f = fixture();
    generate(&mut f, "Kept");
    f.storage.fail_saves(true);
    let request = GenerateRequest { meta: KeyMeta::labelled("Lost"), ..Default::default() };
    let err = f.vault.generate(request).unwrap_err();
    assert!(err.to_string().contains("disk full"), "{err}");
    assert_eq!(f.vault.keys().len(), 1, "the failed key is not half-kept");
    assert_eq!(key_entries(&f), 1, "its secret was taken back out of the store");
    f.storage.fail_saves(false);
    let f = f.reopen(PASSWORD).unwrap();
    assert_eq!(f.vault.keys().len(), 1);
    assert!(f.vault.verify_audit().is_ok(), "{:?}", f.vault.verify_audit());
}

#[test]
fn check_finds_orphans_missing_and_tampered_secrets() {
    let mut f = fixture();
    let (a, _) = generate(&mut f, "A");
    let (b, _) = generate(&mut f, "B");
    assert!(f.vault.check().is_clean());
    let vault_id = f.vault.file().header.vault_id.clone();
    f.store.remove_behind_back(&format!("{vault_id}/{a}"));
    f.store.insert_behind_back(&format!("{vault_id}/stray"), "x");
    let sealed = f.store.snapshot()[&format!("{vault_id}/{b}")].clone();
    let mut bytes = sealed.into_bytes();
    bytes[10] = if bytes[10] == b'A' { b'B' } else { b'A' };
    f.store.insert_behind_back(&format!("{vault_id}/{b}"), &String::from_utf8(bytes).unwrap());
    let report = f.vault.check();
    assert_eq!(report.missing, ["A"]);
    assert_eq!(report.undecryptable, ["B"]);
    assert_eq!(report.orphans, [format!("{vault_id}/stray")]);
    assert!(!report.is_clean());
    let err = f.vault.reveal(&a).unwrap_err().to_string();
    assert!(err.contains("missing from the secret store"), "{err}");
}

#[test]
fn change_password_rewraps_only() {
    let mut f = fixture();
    let (id, secret) = generate(&mut f, "Webhook");
    let keys_only = |f: &Fixture| {
        let mut entries = f.store.snapshot();
        entries.retain(|name, _| !name.ends_with("/generation"));
        entries
    };
    let store_before = keys_only(&f);
    assert!(f.vault.change_password(&SecretString::from("short"), None).is_err());
    let stronger = KdfParams { memory_kib: 32 * 1024, iterations: 2, lanes: 2 };
    f.vault.change_password(&SecretString::from("a new long passphrase"), Some(stronger)).unwrap();
    assert_eq!(keys_only(&f), store_before, "secrets are not re-encrypted");
    let storage = f.storage.clone();
    let file = Vault::parse(&storage.last_save().unwrap()).unwrap();
    assert_eq!(file.header.kdf, stronger);
    let mut f = f.reopen("a new long passphrase").unwrap();
    assert_eq!(f.vault.reveal(&id).unwrap().expose_secret(), secret);
    let Err(_) = f.reopen(PASSWORD) else { panic!("the old password still works") };
}

/// Unlocks `text` (an old copy of vault.ron) against the store and storage of a fixture.
fn unlock_copy(
    handles: &(MemoryStore, MemoryStorage),
    text: &str,
    password: &str,
) -> Result<Vault, VaultError> {
    let env = keydesk::vault::Env {
        store: Box::new(handles.0.clone()),
        storage: Box::new(handles.1.clone()),
        clock: Box::new(keydesk::vault::SystemClock),
        rng: common::rng(7),
    };
    Vault::unlock(env, Vault::parse(text)?, text, &SecretString::from(password))
}

#[test]
fn a_new_data_key_leaves_the_old_password_nothing_to_open() {
    let mut f = fixture();
    let keys: Vec<(KeyId, String)> = (0..6).map(|i| generate(&mut f, &format!("Key {i}"))).collect();
    let revoked = keys[5].0.clone();
    f.vault.revoke(&revoked, "old").unwrap();
    let old_copy = f.storage.last_save().unwrap();
    let mut seen = Vec::new();
    let new = SecretString::from("a new long passphrase");
    f.vault.change_data_key(&new, None, &mut |done, total| seen.push((done, total))).unwrap();
    assert_eq!(seen.last(), Some(&(5, 5)), "progress reaches the end: {seen:?}");
    assert!(!f.vault.data_key_change_pending());
    // Every secret opens under the new password…
    let mut f = f.reopen("a new long passphrase").unwrap();
    for (id, secret) in &keys[..5] {
        assert_eq!(f.vault.reveal(id).unwrap().expose_secret(), secret);
    }
    assert!(f.vault.check().is_clean(), "{:?}", f.vault.check());
    // …a revoked key is still recognised, and the chain verifies across the change…
    assert_eq!(f.vault.whois(&keys[5].1).unwrap().keys.first().map(|r| r.id.clone()), Some(revoked));
    assert!(f.vault.verify_audit().is_ok());
    // …and the old password opens nothing: not the vault, not an old copy of vault.ron, not
    // `vault.ron.bak` (the last save but one).
    let handles = (f.store.clone(), f.storage.clone());
    let Err(_) = f.reopen(PASSWORD) else { panic!("the old password still opens the vault") };
    let old = unlock_copy(&handles, &old_copy, PASSWORD).expect("an old copy opens with its password");
    assert_eq!(old.check().undecryptable.len(), 5, "but none of today's secrets open with it");
}

#[test]
fn a_data_key_change_cut_short_loses_nothing_and_is_finished_later() {
    let mut f = fixture();
    let keys: Vec<(KeyId, String)> = (0..8).map(|i| generate(&mut f, &format!("Key {i}"))).collect();
    let store = f.store.clone();
    let new = SecretString::from("a new long passphrase");
    // The secret store fails after three secrets moved (a crash there is the same to the files).
    let cut = f.vault.change_data_key(&new, None, &mut |done, _| {
        if done == 3 {
            store.fail_next(|| keydesk::secrets::SecretStoreError::Locked);
        }
    });
    assert!(cut.is_err());
    let mut f = f.reopen("a new long passphrase").unwrap();
    assert!(f.vault.data_key_change_pending());
    // Every secret opens meanwhile, moved or not.
    for (id, secret) in &keys {
        assert_eq!(f.vault.reveal(id).unwrap().expose_secret(), secret);
    }
    f.vault.finish_data_key_change(&mut |_, _| {}).unwrap();
    assert!(!f.vault.data_key_change_pending());
    let mut f = f.reopen("a new long passphrase").unwrap();
    for (id, secret) in &keys {
        assert_eq!(f.vault.reveal(id).unwrap().expose_secret(), secret);
    }
    assert!(f.vault.check().is_clean());
    let detail: Vec<String> = audit::parse(&f.storage.audit())
        .into_iter()
        .filter(|r| r.action == Action::ChangePassword)
        .map(|r| r.detail)
        .collect();
    assert_eq!(detail.len(), 2, "{detail:?}");
    assert!(detail[1].contains("(step 2 of 2): 5 secrets re-encrypted"), "{detail:?}");
}

#[test]
fn keys_survive_a_300_key_round_trip() {
    let mut f = fixture();
    let mut expected = Vec::new();
    for i in 0..300 {
        let meta = KeyMeta {
            rotate_after_days: Some(30 + i % 5),
            notes: format!("note {i}"),
            ..KeyMeta::labelled(&format!("Key {i}"))
        };
        let request = GenerateRequest { meta, ..Default::default() };
        let (id, secret) = f.vault.generate(request).unwrap();
        expected.push((id, secret.expose_secret().to_owned()));
    }
    let before = f.vault.file().clone();
    let mut f = f.reopen(PASSWORD).unwrap();
    assert_eq!(f.vault.file(), &before);
    for (id, secret) in expected.iter().step_by(97) {
        assert_eq!(f.vault.reveal(id).unwrap().expose_secret(), secret);
    }
    assert_eq!(f.vault.verify_audit().unwrap().entries, 301 + expected.iter().step_by(97).count() as u64);
}

#[test]
fn edits_made_outside_keydesk_show_at_unlock() {
    let mut f = fixture();
    let (id, _) = generate(&mut f, "Webhook");
    f.vault.revoke(&id, "leaked").unwrap();
    let f = f.reopen(PASSWORD).unwrap();
    assert_eq!(f.vault.changed_outside(), None);
    assert!(f.vault.check().is_clean());

    // Someone "un-revokes" the key by editing the file.
    let text = f.storage.last_save().unwrap();
    let edited = text.replacen("status:Revoked(", "status:Active,was:Revoked(", 1);
    let edited = edited.replace("status:Active,was:Revoked(", "status:Active,\n      old_status:Revoked(");
    let Fixture { vault, store, storage, clock } = f;
    drop(vault);
    let file = Vault::parse(&edited).unwrap();
    let env = keydesk::vault::Env {
        store: Box::new(store.clone()),
        storage: Box::new(storage.clone()),
        clock: Box::new(clock.clone()),
        rng: common::rng(7),
    };
    let mut vault = Vault::unlock(env, file, &edited, &SecretString::from(PASSWORD)).unwrap();
    assert!(vault.changed_outside().unwrap().contains("changed outside Keydesk"));
    assert!(!vault.check().is_clean());
    // Read-only until the changes are kept: nothing is sealed over them.
    let request = GenerateRequest { meta: KeyMeta::labelled("During"), ..Default::default() };
    assert!(matches!(vault.generate(request), Err(VaultError::ChangedOutside { .. })));
    assert!(matches!(vault.reveal(&id), Err(VaultError::ChangedOutside { .. })), "no unrecorded reveal");
    vault.accept_outside_changes("a test").unwrap();
    let records = audit::parse(&storage.audit());
    let accepted = records.last().unwrap();
    assert_eq!((accepted.action, &accepted.outcome), (Action::Integrity, &audit::Outcome::Ok));
    assert!(accepted.detail.contains("accepted by a test"), "{}", accepted.detail);
    let report = vault.check();
    assert!(report.changed_outside.is_none() && report.audit.is_ok());
    assert_eq!(report.missing, ["Webhook"], "the un-revoked key has no secret: check says so");

    // A pure formatting change is a change too; the label text itself is covered.
    let relabelled = storage.last_save().unwrap().replace("label:\"Webhook\"", "label:\"Webhook (prod)\"");
    let file = Vault::parse(&relabelled).unwrap();
    let env = keydesk::vault::Env {
        store: Box::new(store),
        storage: Box::new(storage.clone()),
        clock: Box::new(clock),
        rng: common::rng(8),
    };
    let vault = Vault::unlock(env, file, &relabelled, &SecretString::from(PASSWORD)).unwrap();
    assert!(vault.changed_outside().is_some());
}

#[test]
fn copy_mistakes_are_caught_before_a_key_is_kept() {
    let mut f = fixture();
    // Spaces and a line break around a pasted key are dropped, not refused.
    let key = sendgrid_key();
    let id = add(&mut f, "Padded", &format!("  {key}\n")).unwrap();
    assert_eq!(f.vault.reveal(&id).unwrap().expose_secret(), key);
    // A management key pasted where the integration's key belongs.
    let management = sendgrid_key();
    let request = keydesk::vault::AccountRequest {
        name: "SG prod".into(),
        provider: Provider::SendGrid,
        region: None,
        base_url: None,
    };
    f.vault.add_account(request, Some(&SecretString::from(management.as_str()))).unwrap();
    let error = add(&mut f, "Oops", &management).unwrap_err();
    assert!(matches!(error, VaultError::ManagementKeyPasted { .. }), "{error}");
    assert!(error.to_string().contains("management key of the account \"SG prod\""), "{error}");
    // A key cut short, and another provider's key under a provider's account.
    let short = add(&mut f, "Short", &key[..60]).unwrap_err().to_string();
    assert!(short.contains("cut short"), "{short}");
    let named = AddRequest {
        meta: KeyMeta::labelled("Wrong"),
        provider: Some(Provider::Brevo),
        ..Default::default()
    };
    let other = f.vault.add(named, &SecretString::from(sendgrid_key())).unwrap_err().to_string();
    assert!(other.contains("does not look like a Brevo key"), "{other}");
}

#[test]
fn a_key_the_provider_just_made_is_kept_even_when_oddly_shaped() {
    let mut f = fixture();
    let odd = "SG.shorter-than-usual.but-made-by-SendGrid";
    let pasted = AddRequest {
        meta: KeyMeta::labelled("Pasted"),
        provider: Some(Provider::SendGrid),
        ..Default::default()
    };
    assert!(f.vault.add(pasted, &SecretString::from(odd)).is_err(), "a paste of that shape is refused");
    let made = AddRequest {
        meta: KeyMeta::labelled("Made"),
        provider: Some(Provider::SendGrid),
        made_by_provider: true,
        ..Default::default()
    };
    let (id, detection) = f.vault.add(made, &SecretString::from(odd)).unwrap();
    assert!(detection.warning.unwrap().contains("does not look like its usual keys"));
    assert_eq!(f.vault.reveal(&id).unwrap().expose_secret(), odd);
}

/// The store's entries that hold keys (the vault's generation mark is not one).
fn key_entries(f: &Fixture) -> usize {
    f.store.snapshot().keys().filter(|name| !name.ends_with("/generation")).count()
}

#[test]
fn a_save_that_may_have_landed_deletes_no_secret() {
    // The folder fsync fails after the rename: the save is reported failed, but its file may
    // be on disk, so the new key's secret must stay (an orphan at worst, never a key
    // without its secret).
    let mut f = fixture();
    f.storage.saves_not_durable(true);
    let request = GenerateRequest { meta: KeyMeta::labelled("Maybe"), ..Default::default() };
    let error = f.vault.generate(request).unwrap_err();
    assert!(error.maybe_applied(), "{error}");
    assert!(error.to_string().contains("may not survive a crash"), "{error}");
    assert_eq!(key_entries(&f), 1, "the secret was kept");
    let landed = f.storage.last_save().unwrap();
    assert!(landed.contains("Maybe"), "the text reached the disk");
    let log = audit::parse(&f.storage.audit());
    assert_eq!(
        log.last().unwrap().outcome,
        audit::Outcome::Failed("the vault file was written but may not survive a crash".into())
    );
    // An ordinary failed save (nothing written) takes its secret back out.
    f.storage.saves_not_durable(false);
    f.storage.fail_saves(true);
    let request = GenerateRequest { meta: KeyMeta::labelled("Never"), ..Default::default() };
    assert!(!f.vault.generate(request).unwrap_err().maybe_applied());
    assert_eq!(key_entries(&f), 1, "no secret left for a save that did not happen");
}

#[test]
fn a_torn_audit_line_is_named_then_removed_on_record() {
    let mut f = fixture();
    generate(&mut f, "Before");
    // A crash in the middle of an append leaves half a line without its newline.
    f.storage.append_raw_audit("(at:\"2026-11-01T09:00:00Z\",action:Copy,key:Some(\"ab");
    let mut f = f.reopen(PASSWORD).unwrap();
    let error = f.vault.verify_audit().unwrap_err();
    assert!(matches!(error, audit::ChainError::TornTail { .. }), "{error}");
    assert!(
        error.to_string().contains("cut short by a write that failed"),
        "not blamed on a hand edit: {error}"
    );
    // The next change removes it and says so; the chain verifies again, for good.
    generate(&mut f, "After");
    let report = f.vault.verify_audit().unwrap();
    let log = audit::parse(&f.storage.audit());
    assert_eq!(report.entries as usize, log.len());
    let repair = log.iter().find(|r| r.action == Action::Repair).expect("the repair is on record");
    assert!(repair.detail.contains("cut short"));
    assert_eq!(log.last().unwrap().action, Action::Generate);
}

#[test]
fn a_kdf_cost_planted_in_the_file_is_refused_before_any_derivation() {
    let mut f = fixture();
    generate(&mut f, "Key");
    let text = f.storage.last_save().unwrap();
    let mut file = Vault::parse(&text).unwrap();
    // 4 GiB would keep an unlock busy for minutes before the password is even checked.
    file.header.kdf = KdfParams { memory_kib: 4 * 1024 * 1024, iterations: 3, lanes: 4 };
    let env = keydesk::vault::Env {
        store: Box::new(f.store.clone()),
        storage: Box::new(f.storage.clone()),
        clock: Box::new(f.clock.clone()),
        rng: common::rng(9),
    };
    let error = Vault::unlock(env, file, &text, &SecretString::from(PASSWORD)).err().unwrap();
    assert!(error.to_string().contains("out of range: use 19 MiB to 1 GiB"), "{error}");
}

/// The rows of a spreadsheet with `n` keys, read as an import would.
fn import_rows(n: usize) -> Vec<keydesk::vault::ImportRow> {
    let text: String = std::iter::once("label,key\n".to_owned())
        .chain((0..n).map(|i| format!("Imported {i},import-test-value-{i:05}\n")))
        .collect();
    keydesk::import::read(text.as_bytes(), None).unwrap().1.rows
}

#[test]
fn an_import_cancelled_or_failed_part_way_leaves_the_vault_as_it_was() {
    use std::ops::ControlFlow;
    let Fixture { mut vault, store, storage, .. } = fixture();
    let rows = import_rows(40);
    let before = (vault.file().clone(), storage.last_save());
    let names_before = store.snapshot();

    // Cancel after 25 secrets are stored: they are taken back, and nothing else is written.
    let mut seen = Vec::new();
    let stopped = vault.import(&rows, ("keys.csv", 0), &mut |done, total| {
        seen.push((done, total));
        if done == 25 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    });
    assert!(matches!(stopped, Err(keydesk::vault::ImportStop::Cancelled)), "{:?}", stopped.err());
    assert_eq!(seen.first(), Some(&(0, 40)));
    assert_eq!(seen.last(), Some(&(25, 40)));
    assert_eq!((vault.file().clone(), storage.last_save()), before);
    assert_eq!(store.snapshot(), names_before, "no secret of the cancelled import is left");

    // A keychain that fails part way: the same.
    store.fail_next(|| keydesk::secrets::SecretStoreError::Locked);
    let failed = vault.import(&rows, ("keys.csv", 0), &mut |_, _| ControlFlow::Continue(()));
    assert!(matches!(failed, Err(keydesk::vault::ImportStop::Failed(_))));
    assert_eq!((vault.file().clone(), storage.last_save()), before);
    assert_eq!(store.snapshot(), names_before);

    // Then the whole import, with one audit line; the same rows again are all in the vault.
    let report = vault.import(&rows, ("keys.csv", 0), &mut |_, _| ControlFlow::Continue(())).unwrap();
    assert_eq!(report.imported, 40);
    assert_eq!(vault.keys().len(), 40);
    let id = vault.keys()[39].id.clone();
    assert_eq!(vault.reveal(&id).unwrap().expose_secret(), "import-test-value-00039");
    let log = audit::parse(&vault.audit_text().unwrap());
    let imports: Vec<_> = log.iter().filter(|r| r.action == Action::Import).collect();
    assert_eq!(imports.len(), 1);
    assert!(imports[0].detail.starts_with("40 keys from \"keys.csv\""), "{}", imports[0].detail);
    let again = vault.preview_import(&rows);
    assert!(again.iter().all(|row| matches!(row.verdict, keydesk::vault::Verdict::InVault { .. })));
}

#[test]
fn a_use_at_the_provider_is_flagged_only_after_nothing_should_use_the_key() {
    use keydesk::vault::Moved;
    use keydesk::vault::model::ProviderUsage;
    let mut f = fixture();
    let meta = KeyMeta {
        integrations: vec![Integration { name: "Shop".into(), url: None, note: String::new() }],
        ..KeyMeta::labelled("SES")
    };
    let request = AddRequest { meta, ..Default::default() };
    let pair = format!(
        "AKIA{}:{}",
        common::random_chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
        common::random_chars(common::ALNUM, 40)
    );
    let (old, _) = f.vault.add(request, &SecretString::from(pair.as_str())).unwrap();
    assert_eq!(
        f.vault.key(&old).unwrap().provider_key_id.as_deref(),
        Some(&pair[..20]),
        "the access key id is kept"
    );
    let used = |f: &mut Fixture, id: &KeyId| {
        let usage = ProviderUsage {
            checked_at: f.vault.now(),
            last_used: Some(f.vault.now()),
            detail: "ses in us-east-1".into(),
            source: "AWS IAM GetAccessKeyLastUsed".into(),
        };
        changes::record_usage(&mut f.vault, id, Ok(usage), None).unwrap();
        f.vault.key(id).unwrap().unexpected_use()
    };
    assert_eq!(used(&mut f, &old), None, "an active key in use is expected");
    let replacement = format!(
        "AKIA{}:{}",
        common::random_chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
        common::random_chars(common::ALNUM, 40)
    );
    f.vault.rotate(&old, Replacement::Pasted(SecretString::from(replacement))).unwrap();
    f.clock.advance_secs(60);
    assert_eq!(used(&mut f, &old), None, "retiring, Shop not moved yet: still expected");
    changes::mark_rotation(&mut f.vault, &old, "Shop", Moved::Updated).unwrap();
    changes::mark_rotation(&mut f.vault, &old, "Shop", Moved::Tested).unwrap();
    f.clock.advance_secs(60);
    let flag = used(&mut f, &old).expect("used after every integration moved");
    assert!(!flag.revoked);
    // A failed question keeps the last answer and is an audit line of its own.
    let trouble = "Amazon SES is having trouble (HTTP 503): try again later.";
    changes::record_usage(&mut f.vault, &old, Err(trouble.into()), None).unwrap();
    assert!(f.vault.key(&old).unwrap().usage.is_some());
    let log = audit::parse(&f.storage.audit());
    let asked: Vec<_> = log.iter().filter(|r| r.action == Action::Usage).collect();
    assert_eq!(asked.len(), 4);
    assert!(matches!(&asked[3].outcome, audit::Outcome::Failed(why) if why.contains("HTTP 503")));
    assert!(
        asked[2].detail.contains("after it was replaced everywhere: possible unauthorized use"),
        "{}",
        asked[2].detail
    );
}

#[test]
fn an_import_vault_ron_could_not_hold_stores_nothing_and_says_how_many_fit() {
    use std::ops::ControlFlow;
    let Fixture { mut vault, store, storage, .. } = fixture();
    let note = "n".repeat(keydesk::vault::MAX_NOTES - 10);
    // About 7,000 keys with the longest notes: more than the 64 MiB Keydesk reads back.
    let rows: Vec<keydesk::vault::ImportRow> = (0..7_000)
        .map(|i| {
            let mut meta = KeyMeta::labelled(&format!("Imported {i}"));
            meta.notes.clone_from(&note);
            keydesk::vault::ImportRow {
                line: i + 2,
                meta,
                secret: SecretString::from(format!("import-test-value-{i:05}")),
                provider: None,
                created_at: None,
                tags: Vec::new(),
                notices: Vec::new(),
            }
        })
        .collect();
    let before = (vault.file().clone(), storage.last_save(), store.snapshot());
    let Err(keydesk::vault::ImportStop::Failed(error)) =
        vault.import(&rows, ("keys.csv", 0), &mut |_, _| ControlFlow::Continue(()))
    else {
        panic!("an import past the cap is refused");
    };
    let said = error.to_string();
    assert!(said.contains("more than the 64 MB Keydesk reads back"), "{said}");
    let fit: usize =
        said.split("import at most about ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!((6_000..7_000).contains(&fit), "{said}");
    assert_eq!((vault.file().clone(), storage.last_save(), store.snapshot()), before, "nothing stored");
    // As many as it says fit do import, and the vault still opens.
    vault.import(&rows[..fit], ("keys.csv", 0), &mut |_, _| ControlFlow::Continue(())).unwrap();
    assert!(storage.last_save().unwrap().len() as u64 <= keydesk::vault::MAX_VAULT_TEXT_BYTES);
}

#[test]
fn a_record_of_the_save_that_could_not_be_kept_is_said_then_kept_at_the_next_change() {
    let mut f = fixture();
    let (id, _) = generate(&mut f, "Before");
    let mut f = f.reopen(PASSWORD).unwrap();
    // The store takes the change's secret-free save but refuses the mark kept outside the folder.
    f.store.fail_next(|| keydesk::secrets::SecretStoreError::Locked);
    let edit = KeyEdit { label: Some("After".into()), ..Default::default() };
    changes::edit(&mut f.vault, &id, None, &edit).unwrap();
    let said = f.vault.mark_problem().expect("the failed record is said").to_owned();
    assert!(said.contains("could not record it outside the vault folder"), "{said}");
    assert!(said.contains("keychain is locked"), "the cause is named: {said}");
    // The next change tries again at once, and the warning goes once it is kept.
    let edit = KeyEdit { label: Some("After again".into()), ..Default::default() };
    changes::edit(&mut f.vault, &id, None, &edit).unwrap();
    assert_eq!(f.vault.mark_problem(), None);
    let f = f.reopen(PASSWORD).unwrap();
    assert_eq!(f.vault.changed_outside(), None, "the record matches the last save");
}

/// The second save of a password change (the one that rewrites vault.ron.bak) fails: the new
/// password is in force, so the change is not reported as failed; the caveat names what is
/// left under the old password.
#[test]
fn a_password_change_whose_backup_rewrite_fails_is_reported_as_done_with_a_caveat() {
    let mut f = fixture();
    f.storage.fail_saves_after(1);
    let caveat = f
        .vault
        .change_password(&SecretString::from("a new long passphrase"), None)
        .expect("the change itself was saved: it is in force");
    let caveat = caveat.expect("the stale vault.ron.bak is named");
    assert!(caveat.contains("vault.ron.bak") && caveat.contains("old master password"), "{caveat}");
    f.storage.fail_saves(false);
    f.storage.fail_saves_after(usize::MAX);
    let f = f.reopen("a new long passphrase").expect("the new password opens the vault");
    let Err(_) = f.reopen(PASSWORD) else { panic!("the old password still opens vault.ron") };
}
