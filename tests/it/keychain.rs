//! The real OS keychain: gnome-keyring's Secret Service, started by `scripts/test.sh` on a
//! private D-Bus session. Run outside that script without a keychain, these tests say so and
//! return; with KEYDESK_REQUIRE_KEYCHAIN=1 (as CI sets) a missing keychain fails them.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]
#![allow(
    clippy::disallowed_methods,
    reason = "tests and tools read the real clock and start their own threads"
)]

use crate::common;

use std::process::Command;

use common::{Cli, keychain_required, sendgrid_key};
use keydesk::secrets::keychain::KeychainStore;
use keydesk::secrets::{SecretStore, SecretStoreError};

fn keychain() -> Option<KeychainStore> {
    // A name of this process's own: the tests run side by side on one keychain.
    let name = format!("keydesk-test/probe-{}", std::process::id());
    let probe = KeychainStore::open().and_then(|mut store| {
        store.put(&name, "x")?;
        store.delete(&name)?;
        Ok(store)
    });
    match probe {
        Ok(store) => Some(store),
        Err(error) if !keychain_required() => {
            eprintln!("skipped: no usable keychain here ({error}); scripts/test.sh starts one");
            None
        }
        Err(error) => panic!("KEYDESK_REQUIRE_KEYCHAIN=1 but the keychain does not work: {error}"),
    }
}

fn secret_tool_lookup(user: &str) -> Option<String> {
    let output =
        Command::new("secret-tool").args(["lookup", "service", "keydesk", "username", user]).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn store_read_delete_and_list() {
    let Some(mut store) = keychain() else { return };
    let prefix = format!("test-{}/", std::process::id());
    store.put(&format!("{prefix}a"), "value-a").unwrap();
    store.put(&format!("{prefix}b"), "value-b").unwrap();
    store.put(&format!("{prefix}a"), "value-a2").unwrap();
    assert_eq!(store.get(&format!("{prefix}a")).unwrap(), "value-a2");
    assert_eq!(store.names(&prefix).unwrap(), [format!("{prefix}a"), format!("{prefix}b")]);
    assert_eq!(secret_tool_lookup(&format!("{prefix}b")).as_deref(), Some("value-b"));
    assert!(store.delete(&format!("{prefix}a")).unwrap());
    assert!(!store.delete(&format!("{prefix}a")).unwrap(), "deleting twice is not an error");
    assert!(matches!(store.get(&format!("{prefix}a")), Err(SecretStoreError::Missing { .. })));
    store.delete(&format!("{prefix}b")).unwrap();
    assert!(store.names(&prefix).unwrap().is_empty());
}

#[test]
fn the_keychain_holds_ciphertext_not_the_key() {
    if keychain().is_none() {
        return;
    }
    let cli = Cli::new();
    assert!(cli.ok(&["init"], "").contains("OS keychain"));
    let generated = cli.ok(&["generate", "--label", "Webhook"], "");
    let key = generated.trim();
    let sg = sendgrid_key();
    cli.ok(&["add", "--label", "SendGrid"], &sg);
    let vault: String = std::fs::read_to_string(cli.vault.join("vault.ron")).unwrap();
    let vault_id = vault.split("vault_id:\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let keys: serde_json::Value = serde_json::from_str(&cli.ok(&["list", "--json"], "")).unwrap();
    assert!(!cli.vault.join("secrets.ron").exists(), "the keychain vault keeps no secrets file");
    for (entry, secret) in keys.as_array().unwrap().iter().zip([key, sg.as_str()]) {
        let user = format!("{vault_id}/{}", entry["id"].as_str().unwrap());
        let stored = secret_tool_lookup(&user).expect("secret-tool finds the entry");
        assert!(stored.len() > 40, "an encrypted value is stored");
        assert!(!stored.contains(secret) && !stored.contains(&secret[secret.len() - 8..]));
    }
    assert_eq!(cli.ok(&["reveal", "Webhook"], "").trim(), key);
    assert_eq!(cli.ok(&["reveal", "SendGrid"], "").trim(), sg);
    assert!(cli.ok(&["check"], "").contains("Everything is in order."));

    let webhook_id = keys[0]["id"].as_str().unwrap();
    cli.ok(&["revoke", webhook_id, "--reason", "test"], "");
    assert_eq!(secret_tool_lookup(&format!("{vault_id}/{webhook_id}")), None, "revoke deletes the entry");

    // An entry deleted behind Keydesk's back is reported, not a panic.
    let sg_id = keys[1]["id"].as_str().unwrap();
    let status = Command::new("secret-tool")
        .args(["clear", "service", "keydesk", "username", &format!("{vault_id}/{sg_id}")])
        .status()
        .unwrap();
    assert!(status.success());
    let output = cli.run(&["reveal", "SendGrid"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("missing from the secret store"));
    let check = cli.run(&["check"]);
    assert!(String::from_utf8_lossy(&check.stdout).contains("Missing secret: \"SendGrid\""));
}

#[test]
fn no_secret_service_is_one_clear_sentence_and_no_vault() {
    // Runs everywhere: a bus address that leads nowhere.
    let cli = Cli::new();
    let mut command = cli.command(&["init"]);
    command.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/keydesk-test-bus");
    let output = common::run(command, "");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("No OS keychain is running"), "{stderr}");
    assert!(stderr.contains("--secret-store file"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1);
    assert!(!cli.vault.join("vault.ron").exists());
}

#[test]
fn a_backup_restores_onto_an_emptied_keychain() {
    if keychain().is_none() {
        return;
    }
    let cli = Cli::new();
    cli.init_cheap(&[]);
    let secrets: Vec<String> = (0..10)
        .map(|i| cli.ok(&["generate", "--label", &format!("Key {i}")], "").trim().to_owned())
        .collect();
    let backup = cli.dir.path().join("keys.backup");
    cli.ok(&["backup", backup.to_str().unwrap()], "");
    // The keychain is emptied of this vault's entries, and the folder is gone too.
    let vault_text = std::fs::read_to_string(cli.vault.join("vault.ron")).unwrap();
    let vault_id = vault_text.split("vault_id:\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let mut store = KeychainStore::open().unwrap();
    for name in store.names(&format!("{vault_id}/")).unwrap() {
        store.delete(&name).unwrap();
    }
    assert!(store.names(&format!("{vault_id}/")).unwrap().is_empty());
    std::fs::remove_dir_all(&cli.vault).unwrap();
    cli.ok(&["restore", backup.to_str().unwrap()], "");
    let keys = store
        .names(&format!("{vault_id}/"))
        .unwrap()
        .into_iter()
        .filter(|n| !n.ends_with("/generation"))
        .count();
    assert_eq!(keys, 10, "every secret is back in the keychain");
    for (i, secret) in secrets.iter().enumerate() {
        assert_eq!(cli.ok(&["reveal", &format!("Key {i}")], "").trim(), secret);
    }
    assert!(cli.ok(&["audit", "--verify"], "").contains("Audit chain verified"));
}

/// A keychain of its own, on a bus of its own, locked, with no display for its prompt: the
/// sentence says so, instead of blaming a dismissed prompt.
#[test]
fn a_locked_keychain_without_a_display_is_said_as_such() {
    if keychain().is_none() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let (data, run) = (scratch.path().join("data"), scratch.path().join("run"));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&run).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
    let cli = Cli::new();
    let script = format!(
        "printf %s pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; sleep 1; \
         echo x | secret-tool store --label=t service keydesk-test username lock-probe >/dev/null 2>&1; \
         timeout 10 secret-tool lock --collection=login >/dev/null 2>&1; \
         if timeout 10 secret-tool lookup service keydesk-test username lock-probe >/dev/null 2>&1; then echo NOT-LOCKED; exit 3; fi; \
         timeout 30 '{}' --vault '{}' --password-file '{}' init",
        env!("CARGO_BIN_EXE_keydesk"),
        cli.vault.display(),
        cli.password_file.display()
    );
    let output = Command::new("timeout")
        .args(["90", "dbus-run-session", "--", "sh", "-c", &script])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("XDG_DATA_HOME", &data)
        .env("XDG_RUNTIME_DIR", &run)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stdout.contains("NOT-LOCKED"), "the test keychain did not lock");
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("The OS keychain is locked and this session has no display"), "{stderr}");
    assert!(!stderr.contains("dismissed"), "{stderr}");
    assert!(!cli.vault.join("vault.ron").exists());
}

#[test]
fn random_sigkills_lose_nothing_acknowledged_keychain_store() {
    if keychain().is_none() {
        return;
    }
    let cli = Cli::new();
    cli.init_cheap(&[]);
    // Each save also writes to the keychain (tens of ms): the wait is measured with it.
    common::kill_soak(&cli, 200, 23, 20);
}

#[test]
fn a_restore_killed_at_each_write_call_is_finished_by_the_next_unlock_keychain_store() {
    if keychain().is_none() {
        return;
    }
    let cli = Cli::new();
    cli.init_cheap(&[]);
    let tally = common::kills::kill_restore_at_each_syscall(&cli);
    eprintln!("restore, keychain store: {tally:?}");
    assert!(tally.kills >= 20, "the kills must really land: {tally:?}");
}

#[test]
fn a_kill_at_each_write_call_loses_nothing_acknowledged_keychain_store() {
    if keychain().is_none() {
        return;
    }
    let cli = Cli::new();
    cli.init_cheap(&[]);
    let tally = common::kills::kill_at_each_syscall(&cli, true);
    eprintln!("keychain store: {tally:?}");
    // How many calls a command makes to the keychain varies with the timing of zbus's own
    // D-Bus traffic (170 and 173 kills seen on a loaded machine, over 200 on an idle one).
    assert!(tally.kills >= 150, "the kills must really land: {tally:?}");
}

#[test]
fn listing_survives_items_deleted_by_another_process_meanwhile() {
    let Some(store) = keychain() else { return };
    // Another process keeps adding and deleting items of its own vault…
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churn = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut other = KeychainStore::open().unwrap();
            let mut round = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let name = format!("churn-{}/{round}", std::process::id());
                other.put(&name, "x").unwrap();
                other.delete(&name).unwrap();
                round += 1;
            }
            round
        })
    };
    // …while this one lists its own: an item that vanishes between the search and its read is
    // not a keychain failure.
    let mut listings = 0;
    for _ in 0..150 {
        store.names(&format!("mine-{}/", std::process::id())).expect("listing while another process deletes");
        listings += 1;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let rounds = churn.join().unwrap();
    assert!(rounds > 10 && listings == 150, "{rounds} churn rounds");
}

#[test]
fn a_backup_restored_into_a_second_folder_never_touches_the_first_vaults_keychain_entries() {
    if keychain().is_none() {
        return;
    }
    let cli = Cli::new();
    cli.init_cheap(&[]);
    let secrets: Vec<String> =
        (0..3).map(|i| cli.ok(&["generate", "--label", &format!("Key {i}")], "").trim().to_owned()).collect();
    let backup = cli.dir.path().join("old.backup");
    cli.ok(&["backup", backup.to_str().unwrap()], "");
    let new_password = cli.dir.path().join("new-password");
    std::fs::write(&new_password, "a different long passphrase\n").unwrap();
    cli.ok(&["passwd", "--new-data-key", "--new-password-file", new_password.to_str().unwrap()], "");
    // The old backup restored into another folder (with the password it had then)…
    let other = cli.dir.path().join("other");
    let restore = |args: &[&str]| common::run(cli.command_on(&other, args), "");
    let restored = restore(&["restore", backup.to_str().unwrap()]);
    assert!(restored.status.success(), "{}", String::from_utf8_lossy(&restored.stderr));
    // Its revoke deletes its own entry, not the live vault's.
    let revoked = restore(&["revoke", "Key 0", "--reason", "test", "--local-only"]);
    assert!(revoked.status.success(), "{}", String::from_utf8_lossy(&revoked.stderr));
    assert_eq!(restore(&["reveal", "Key 1"]).stdout, format!("{}\n", secrets[1]).into_bytes());

    // …and the live vault, with its new password, still has all three, and no rollback.
    std::fs::write(&cli.password_file, std::fs::read(&new_password).unwrap()).unwrap();
    for (i, secret) in secrets.iter().enumerate() {
        assert_eq!(cli.ok(&["reveal", &format!("Key {i}")], "").trim(), secret, "key {i} of the live vault");
    }
    let check = cli.ok(&["check"], "");
    assert!(check.contains("Everything is in order."), "{check}");
}
