//! The whole flow through the `keydesk` binary, and every kind of bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]
#![allow(
    clippy::disallowed_methods,
    reason = "tests and tools read the real clock and start their own threads"
)]

use crate::common;

use common::{Cli, PASSWORD, mailchimp_key, sendgrid_key};
use serde_json::Value;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn the_whole_flow() {
    let cli = Cli::new();
    let mut stderr_seen = String::new();
    let mut secrets = Vec::new();
    let mut step = |args: &[&str], stdin: &str| -> String {
        let output = cli.run_with(args, stdin);
        stderr_seen.push_str(&String::from_utf8_lossy(&output.stderr));
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };

    assert!(step(&["init", "--secret-store", "file"], "").contains("Created a vault"));
    let generated = step(
        &[
            "generate",
            "--label",
            "Webhook",
            "--integration",
            "HubSpot=https://app.hubspot.com/x",
            "--rotate-days",
            "90",
        ],
        "",
    );
    let webhook = generated.trim().to_owned();
    assert_eq!(generated, format!("{webhook}\n"), "the key alone on stdout");
    assert!(webhook.starts_with("kd_live_") && webhook.len() == 8 + 32 + 6);
    secrets.push(webhook.clone());

    let sg = sendgrid_key();
    secrets.push(sg.clone());
    assert!(step(&["add", "--label", "SendGrid prod"], &format!("{sg}\n")).contains("Added SendGrid key"));
    let mc = mailchimp_key();
    secrets.push(mc.clone());
    assert!(step(&["add", "--label", "Newsletter", "--provider", "mailchimp"], &mc).contains("region us14"));

    let list = json(&step(&["list", "--json"], ""));
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    for key in list {
        for field in ["id", "label", "provider", "status", "hint", "created_at"] {
            assert!(!key[field].is_null(), "{field} missing in {key}");
        }
    }
    assert_eq!(list[1]["provider"], "sendgrid");
    assert_eq!(list[1]["hint"], format!("SG.…{}", &sg[sg.len() - 4..]));
    let webhook_id = list[0]["id"].as_str().unwrap().to_owned();

    let text = step(&["list"], "");
    assert!(text.contains("Webhook") && text.contains("SendGrid prod") && text.contains("never verified"));

    let shown = json(&step(&["show", "Webhook", "--json"], ""));
    assert_eq!(shown["integrations"][0]["name"], "HubSpot");
    assert_eq!(shown["rotate_after_days"], 90);
    assert_eq!(shown["history"][0]["action"], "generate");
    assert!(step(&["show", &webhook_id[..6]], "").contains("HubSpot <https://app.hubspot.com/x>"));

    let vault_file = cli.vault.join("vault.ron");
    let before = std::fs::read(&vault_file).unwrap();
    assert_eq!(step(&["reveal", "Webhook"], ""), format!("{webhook}\n"));
    assert_eq!(step(&["reveal", "SendGrid prod"], ""), format!("{sg}\n"));
    // A reveal only appends to the audit log; `show` (no password) counts it from there.
    assert_eq!(std::fs::read(&vault_file).unwrap(), before, "vault.ron is not written for a reveal");
    assert_eq!(json(&step(&["show", "Webhook", "--json"], ""))["reveal_count"], 1);
    assert_eq!(json(&step(&["list", "--json"], ""))[1]["reveal_count"], 1);

    step(
        &[
            "edit",
            "Webhook",
            "--label",
            "Webhook (prod)",
            "--note",
            "nightly sync",
            "--integration",
            "Zapier",
        ],
        "",
    );
    let shown = json(&step(&["show", &webhook_id, "--json"], ""));
    assert_eq!(shown["label"], "Webhook (prod)");
    assert_eq!(shown["integrations"].as_array().unwrap().len(), 2);
    assert_eq!(shown["reveal_count"], 1);

    let rotated = step(&["rotate", "Webhook (prod)"], "");
    let new_webhook = rotated.trim().to_owned();
    secrets.push(new_webhook.clone());
    assert!(new_webhook.starts_with("kd_live_") && new_webhook != webhook);
    let old = json(&step(&["show", &webhook_id, "--json"], ""));
    assert_eq!(old["status"], "retiring");
    let new_id = old["replaced_by"].as_str().unwrap().to_owned();
    assert_eq!(json(&step(&["show", &new_id, "--json"], ""))["replaces"], webhook_id.as_str());

    // A provider key is rotated by pasting the new one.
    let sg2 = sendgrid_key();
    secrets.push(sg2.clone());
    step(&["rotate", "SendGrid prod"], &sg2);
    assert_eq!(step(&["reveal", "SendGrid prod"], ""), format!("{sg2}\n"), "the active key wins");

    // The old key after a rotation shares its label with the new one: its state says which.
    let named = step(&["whois"], &format!("{webhook}\n"));
    assert!(
        named.starts_with(&format!("{webhook_id}\tWebhook (prod)\tRetiring, replaced by \"Webhook (prod)\"")),
        "{named}"
    );
    // Inside a pasted command line, the key is found too.
    let curl = format!("curl -H 'Authorization: Bearer {webhook}' https://hooks.example.com/x\n");
    assert_eq!(step(&["whois"], &curl), named);

    let miss = cli.run_with(&["whois"], &format!("{}\n", sendgrid_key()));
    assert_eq!(miss.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&miss.stdout), "No key in this vault matches that string.\n");
    assert!(step(&["revoke", &webhook_id, "--reason", "leaked in a screenshot"], "").contains("Revoked"));
    let live = json(&step(&["list", "--json"], ""));
    assert!(live.as_array().unwrap().iter().all(|k| k["id"] != webhook_id.as_str()));
    let all = json(&step(&["list", "--json", "--all"], ""));
    let revoked = all.as_array().unwrap().iter().find(|k| k["id"] == webhook_id.as_str()).unwrap().clone();
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["revoke_reason"], "leaked in a screenshot");

    assert!(step(&["audit", "--verify"], "").contains("Audit chain verified"));
    let audit = json(&step(&["audit", "--json"], ""));
    assert_eq!(audit[0]["action"], "revoke", "newest first");
    assert!(step(&["audit"], "").contains("reveal"));
    assert!(step(&["check"], "").contains("Everything is in order."));

    let new_password = cli.dir.path().join("new-password");
    std::fs::write(&new_password, "a different long passphrase\n").unwrap();
    step(&["passwd", "--new-password-file", new_password.to_str().unwrap()], "");
    let old_password = cli.run(&["check"]);
    assert_eq!(old_password.status.code(), Some(1));
    // The backup of the previous version was rewritten with the new wrapping as well.
    let backup = std::fs::read_to_string(cli.vault.join("vault.ron.bak")).unwrap();
    let current = std::fs::read_to_string(cli.vault.join("vault.ron")).unwrap();
    assert_eq!(backup, current, "the old password's wrapping is gone from vault.ron.bak");
    std::fs::copy(&new_password, &cli.password_file).unwrap();
    assert_eq!(step(&["reveal", &new_id], ""), format!("{new_webhook}\n"));

    // Nothing secret reached stderr or the metadata and audit files.
    let vault_text = std::fs::read_to_string(cli.vault.join("vault.ron")).unwrap();
    let audit_text = std::fs::read_to_string(cli.vault.join("audit.ron")).unwrap();
    let secrets_text = std::fs::read_to_string(cli.vault.join("secrets.ron")).unwrap();
    for secret in &secrets {
        let tail = &secret[secret.len() - 12..];
        for (name, text) in [
            ("stderr", &stderr_seen),
            ("vault.ron", &vault_text),
            ("audit.ron", &audit_text),
            ("secrets.ron", &secrets_text),
        ] {
            assert!(!text.contains(tail), "a secret reached {name}");
        }
    }
    // A label two keys share after a rotation is resolved to the active key, and said so.
    assert!(stderr_seen.contains("\"SendGrid prod\" names 2 keys: this is the active one"), "{stderr_seen}");
}

/// Runs a failing command and checks: exit code, one sentence on stderr with `words`, no
/// change to the vault folder.
fn refused(cli: &Cli, args: &[&str], stdin: &str, code: i32, words: &str) {
    let before = cli.files();
    let output = cli.run_with(args, stdin);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(stderr.contains(words), "{args:?}: {stderr:?} lacks {words:?}");
    assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: not one sentence: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        output.stdout.is_empty() || code == 2,
        "{args:?} printed {:?}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(cli.files(), before, "{args:?} changed the vault");
}

#[test]
fn bad_inputs_fail_with_one_sentence_and_change_nothing() {
    let cli = Cli::new();
    refused(&cli, &["list"], "", 1, "No vault here yet");
    refused(&cli, &["generate", "--label", "x"], "", 1, "No vault here yet");
    cli.ok(&["init", "--secret-store", "file"], "");
    let key = cli.ok(&["generate", "--label", "Webhook"], "");

    refused(&cli, &["init", "--secret-store", "file"], "", 1, "A vault already exists here");
    refused(&cli, &["show", "Nope"], "", 1, "No key matches \"Nope\"");
    refused(&cli, &["reveal", "Nope"], "", 1, "No key matches");
    refused(&cli, &["revoke", "Nope", "--reason", "x"], "", 1, "No key matches");
    refused(&cli, &["generate", "--label", ""], "", 1, "The label is empty");
    refused(&cli, &["generate", "--label", "x", "--length", "16"], "", 1, "only 95 bits");
    refused(&cli, &["generate", "--label", "x", "--prefix", "kd-"], "", 1, "prefix \"kd-\" is not usable");
    refused(&cli, &["generate", "--label", "x", "--expires", "2001-01-01"], "", 1, "is in the past");
    refused(&cli, &["generate", "--label", "x", "--expires", "next week"], "", 2, "is not a date");
    refused(&cli, &["add", "--label", "x"], "SG.tooshort\n", 1, "starts like a SendGrid key");
    refused(&cli, &["add", "--label", "x"], "abc def\n", 1, "space or a line break");
    refused(&cli, &["add", "--label", "x"], "", 1, "The key is empty");
    refused(&cli, &["add", "--label", "x"], &key[..key.len() - 2], 1, "checksum does not match");
    refused(
        &cli,
        &["add", "--label", "x", "--provider", "sendgrid"],
        &mailchimp_key(),
        1,
        "does not look like a SendGrid key",
    );
    refused(
        &cli,
        &["add", "--label", "x", "--provider", "acme"],
        &mailchimp_key(),
        2,
        "not a provider Keydesk knows",
    );
    refused(&cli, &["add", "--label", "Copy"], &key, 1, "already in the vault as \"Webhook\"");
    refused(&cli, &["revoke", "Webhook", "--reason", " "], "", 1, "reason is empty");
    refused(&cli, &["edit", "Webhook", "--rotate-days", "soon"], "", 2, "not a number of days");
    refused(&cli, &["edit", "Webhook", "--integration", "X=ftp://x"], "", 1, "is not a web address");
    refused(
        &cli,
        &["passwd", "--new-password-file", "/nonexistent/pw"],
        "",
        1,
        "Could not read the password file",
    );
    refused(&cli, &["frobnicate"], "", 2, "unrecognized subcommand");
    refused(&cli, &["generate"], "", 2, "--label");

    // Wrong password.
    std::fs::write(&cli.password_file, "not the password\n").unwrap();
    refused(&cli, &["check"], "", 1, "The master password is wrong");
    refused(&cli, &["reveal", "Webhook"], "", 1, "The master password is wrong");
    // Unreadable and empty password files.
    std::fs::write(&cli.password_file, "\n").unwrap();
    refused(&cli, &["check"], "", 1, "first line is empty");
    std::fs::remove_file(&cli.password_file).unwrap();
    refused(&cli, &["check"], "", 1, "Could not read the password file (no such file)");
    std::fs::create_dir(&cli.password_file).unwrap();
    refused(&cli, &["check"], "", 1, "Could not read the password file");
    std::fs::remove_dir(&cli.password_file).unwrap();
    std::fs::write(&cli.password_file, format!("{PASSWORD}\n")).unwrap();
    cli.ok(&["check"], "");
}

/// A password file is read up to 64 KiB: `/dev/zero` or an endless pipe is refused in one
/// sentence instead of filling the memory, a pipe from another program (`<(…)`) still works,
/// and a key on stdin longer than that is refused rather than cut.
#[test]
fn endless_password_files_and_keys_are_refused_and_a_pipe_still_works() {
    let cli = Cli::new();
    cli.ok(&["init", "--secret-store", "file"], "");
    let endless = common::run(
        {
            let mut command = cli.command_without_password(&["check", "--password-file", "/dev/zero"]);
            command.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/keydesk-test-bus");
            command
        },
        "",
    );
    let stderr = String::from_utf8_lossy(&endless.stderr);
    assert_eq!(endless.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("The password file is larger than 64 KiB"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");

    let piped = std::process::Command::new("bash")
        .arg("-c")
        .arg(r#""$0" --vault "$1" --password-file <(printf '%s\n' "$2") check"#)
        .arg(env!("CARGO_BIN_EXE_keydesk"))
        .arg(&cli.vault)
        .arg(PASSWORD)
        .env_remove("KEYDESK_PASSWORD_FILE")
        .output()
        .unwrap();
    assert!(piped.status.success(), "{}", String::from_utf8_lossy(&piped.stderr));

    let long = "k".repeat(70 * 1024);
    refused(&cli, &["add", "--label", "Long"], &long, 1, "The key on stdin is longer than 64 KiB");
}

#[test]
fn a_fifo_in_place_of_the_file_stores_mark_is_refused_not_waited_on() {
    let cli = Cli::new();
    let state = cli.dir.path().join("state");
    let in_state = |args: &[&str]| {
        let mut command = cli.command(args);
        command.env("XDG_STATE_HOME", &state);
        command
    };
    assert!(common::run(in_state(&["init", "--secret-store", "file"]), "").status.success());
    assert!(common::run(in_state(&["generate", "--label", "Webhook"]), "").status.success());
    let marks = state.join("keydesk/generations");
    let mark = std::fs::read_dir(&marks).unwrap().next().unwrap().unwrap().path();
    std::fs::remove_file(&mark).unwrap();
    let made = std::process::Command::new("mkfifo").arg(&mark).status().unwrap();
    assert!(made.success());
    // Nothing ever writes to the FIFO: a reader that opened it would wait forever.
    let mut child = in_state(&["reveal", "Webhook"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("reveal waited on the FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let said = "Keydesk could not read its record of this vault's last save (it is not a regular file: ";
    assert!(stderr.contains(said), "{stderr}");
    assert!(output.stdout.is_empty(), "no secret printed");
}

#[test]
fn no_password_and_no_terminal_is_a_usage_error() {
    let cli = Cli::new();
    cli.ok(&["init", "--secret-store", "file"], "");
    let output = common::run(cli.command_without_password(&["check"]), "");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("give --password-file FILE"));
}

#[test]
fn list_and_show_need_no_password_and_no_keychain() {
    let cli = Cli::new();
    cli.ok(&["init", "--secret-store", "file"], "");
    cli.ok(&["generate", "--label", "Webhook"], "");
    for args in [&["list"][..], &["show", "Webhook"][..], &["list", "--json"][..]] {
        assert!(cli.ok_without_password_or_keychain(args).contains("Webhook"), "{args:?}");
    }
}

#[test]
fn due_and_info_need_no_password_and_say_what_is_due() {
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    let soon = (chrono::Utc::now() + chrono::Duration::days(3) - chrono::Duration::hours(1)).to_rfc3339();
    cli.ok(&["generate", "--label", "Expiring", "--expires", &soon], "");
    cli.ok(&["generate", "--label", "Rotating", "--rotate-days", "10"], "");
    cli.ok(&["generate", "--label", "Later", "--rotate-days", "90"], "");
    cli.ok(&["generate", "--label", "Old"], "");
    cli.ok(&["rotate", "Old"], "");
    let without_password = |args: &[&str]| cli.ok_without_password_or_keychain(args);

    let due = without_password(&["due"]);
    assert!(due.contains("Expiring") && due.contains("expires in 3 days"), "{due}");
    assert!(due.contains("Rotating") && due.contains("rotation due in 10 days"), "{due}");
    assert!(due.contains("Old") && due.contains("retiring"), "{due}");
    assert!(!due.contains("Later"), "a rotation 90 days away is not due: {due}");
    assert!(due.ends_with("3 keys are due.\n"), "{due}");
    let due = json(&without_password(&["due", "--json"]));
    let labels: Vec<&str> =
        due["keys"].as_array().unwrap().iter().map(|k| k["label"].as_str().unwrap()).collect();
    assert_eq!(labels.len(), 3, "{due}");
    assert!(labels.contains(&"Expiring") && labels.contains(&"Rotating"), "{due}");
    assert_eq!(due["keys"][0]["due"][0]["what"], "expires");

    let info = without_password(&["info"]);
    assert!(info.contains("Keys            5 (4 active, 1 retiring, 0 revoked)"), "{info}");
    assert!(info.contains("Argon2id, 19 MiB, 2 iterations, 1 lane"), "{info}");
    let info = json(&without_password(&["info", "--json"]));
    assert_eq!(info["format"], keydesk::vault::model::FORMAT);
    assert_eq!(info["kdf"]["memory_kib"], 19 * 1024);
    assert_eq!(info["secret_store"], "file");
    let size = std::fs::metadata(cli.vault.join("vault.ron")).unwrap().len();
    assert_eq!(info["files"]["vault.ron"], size);
    assert!(info["files"]["vault.ron.bak"].as_u64().unwrap() > 0);

    // An empty vault has nothing due, and says so.
    let empty = Cli::new();
    empty.init_cheap(&["--secret-store", "file"]);
    assert!(empty.ok(&["due"], "").starts_with("Nothing is due"));
}

#[test]
fn health_needs_no_password_and_fails_on_a_critical_finding() {
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    // A Keydesk key used by one integration, far from any date: nothing to say about it.
    cli.ok(&["generate", "--label", "Webhook", "--integration", "HubSpot", "--rotate-days", "90"], "");
    let health = cli.ok_without_password_or_keychain(&["health"]);
    assert!(
        health.starts_with("Health score: 100/100 (0 critical, 0 warnings, 0 info; 1 key looked at)"),
        "{health}"
    );
    // A key nobody is recorded as using: one info finding, still exit 0.
    cli.ok(&["generate", "--label", "Spare \"one\""], "");
    let report = json(&cli.ok_without_password_or_keychain(&["health", "--json"]));
    assert_eq!(report["score"], 95, "{report}");
    assert_eq!(report["keys_checked"], 2);
    assert_eq!(report["counts"], serde_json::json!({"critical": 0, "warning": 0, "info": 1}));
    let finding = &report["findings"][0];
    assert_eq!(finding["kind"], "no-integration");
    assert_eq!(finding["severity"], "info");
    assert_eq!(finding["fix"], "add-integration");
    assert_eq!(finding["keys"][0]["label"], "Spare \"one\"");
    assert!(finding["sentence"].as_str().unwrap().ends_with('.'), "{finding}");
    assert!(
        finding["command"]
            .as_str()
            .unwrap()
            .starts_with("keydesk edit \"Spare \\\"one\\\"\" --integration NAME"),
        "{finding}"
    );
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);

    // The webhook's expiry put in the past (metadata only: health reads the file as it is).
    let soon = chrono::Utc::now() + chrono::Duration::days(5);
    cli.ok(&["edit", "Webhook", "--expires", &soon.format("%Y-%m-%d").to_string()], "");
    let path = cli.vault.join("vault.ron");
    let text = std::fs::read_to_string(&path).unwrap();
    let written = format!("expires_at:\"{}", soon.format("%Y-%m-%d"));
    assert!(text.contains(&written), "{text}");
    std::fs::write(&path, text.replace(&written, "expires_at:\"2020-01-01")).unwrap();
    let output = cli.command_without_password(&["health", "--json"]).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "a critical finding: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stderr.is_empty(), "{}", String::from_utf8_lossy(&output.stderr));
    let report = json(std::str::from_utf8(&output.stdout).unwrap());
    assert_eq!(report["counts"]["critical"], 1, "{report}");
    assert_eq!(report["findings"][0]["kind"], "expired");
    assert_eq!(report["findings"][0]["command"], "keydesk rotate \"Webhook\"");
    assert!(report["score"].as_u64().unwrap() <= 49, "{report}");
    let output = cli.command_without_password(&["health"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("CRITICAL — Expired\n  \"Webhook\" (Keydesk, "), "{text}");
    assert!(text.contains("    Fix: keydesk rotate \"Webhook\""), "{text}");
}

#[test]
fn help_and_version_tell_the_truth() {
    let cli = Cli::new();
    let help = cli.ok(&["--help"], "");
    for command in [
        "init", "list", "generate", "add", "edit", "show", "reveal", "revoke", "rotate", "audit", "check",
        "whois", "passwd",
    ] {
        assert!(help.contains(command), "--help lacks {command}");
    }
    let version = cli.ok(&["--version"], "");
    assert!(version.starts_with(&format!("keydesk {}", env!("CARGO_PKG_VERSION"))), "{version}");
    assert!(version.contains('('), "the commit is named: {version}");
}

#[test]
fn weak_kdf_and_short_passwords_are_refused_at_init() {
    let cli = Cli::new();
    refused(
        &cli,
        &["init", "--secret-store", "file", "--kdf-memory-mib", "8"],
        "",
        2,
        "cost is out of range",
    );
    std::fs::write(&cli.password_file, "short\n").unwrap();
    let output = cli.run(&["init", "--secret-store", "file"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("shorter than 8 characters"));
    assert!(!cli.vault.join("vault.ron").exists());
}

#[test]
fn a_copy_that_did_not_reach_a_clipboard_is_recorded_as_failed() {
    let cli = common::Cli::new();
    cli.ok(&["init", "--secret-store", "file"], "");
    cli.ok(&["generate", "--label", "Webhook"], "");
    // No display and no Wayland: there is no clipboard to put the key on.
    let output = common::run(
        {
            let mut command = cli.command(&["copy", "Webhook"]);
            command.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
            command
        },
        "",
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("The clipboard is not available"), "{stderr}");
    let audit = cli.ok(&["audit", "--json"], "");
    let records: serde_json::Value = serde_json::from_str(&audit).unwrap();
    let copies: Vec<&serde_json::Value> =
        records.as_array().unwrap().iter().filter(|r| r["action"] == "copy").collect();
    assert_eq!(copies.len(), 1, "{audit}");
    assert_eq!(copies[0]["outcome"], "failed", "{audit}");
    assert!(copies[0]["failure"].as_str().unwrap().starts_with("the clipboard did not take it"), "{audit}");
    let shown: serde_json::Value = serde_json::from_str(&cli.ok(&["show", "Webhook", "--json"], "")).unwrap();
    assert_eq!(shown["copy_count"], 0, "a failed copy is not counted");
}

#[test]
fn files_that_are_not_a_vault_are_refused_quickly_and_briefly() {
    let cli = common::Cli::new();
    cli.ok(&["init", "--secret-store", "file"], "");
    let path = cli.vault.join("vault.ron");
    // Megabytes of garbage: the error is one short line, not the file read back.
    let garbage = "x".repeat(3 * 1024 * 1024);
    std::fs::write(&path, format!("(format: 1, {garbage}")).unwrap();
    let output = cli.run(&["list"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.len() < 600, "{} bytes of error", stderr.len());
    assert!(stderr.contains("vault.ron cannot be read: line 1"), "{stderr}");
    // A FIFO in its place would hang a reader: refused before it is opened.
    std::fs::remove_file(&path).unwrap();
    let made = std::process::Command::new("mkfifo").arg(&path).status().unwrap();
    assert!(made.success());
    // (Were it opened, this run would never return.)
    let output = cli.run(&["list"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("it is not a regular file"), "{stderr}");
}

#[test]
fn the_vault_folder_and_its_neighbours_are_handled_with_care() {
    use std::os::unix::fs::PermissionsExt;
    let cli = common::Cli::new();
    cli.ok(&["init", "--secret-store", "file"], "");
    // A folder others may open is refused, with the command that fixes it.
    std::fs::set_permissions(&cli.vault, std::fs::Permissions::from_mode(0o777)).unwrap();
    let output = cli.run(&["list"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("run `chmod 700 {}`", cli.vault.display())), "{stderr}");
    std::fs::set_permissions(&cli.vault, std::fs::Permissions::from_mode(0o700)).unwrap();
    // Only Keydesk's own leftovers are removed by a writer; another program's file stays.
    std::fs::write(cli.vault.join(".vault.ron.x1y2.tmp"), "torn").unwrap();
    std::fs::write(cli.vault.join(".editor-swap.tmp"), "someone else's").unwrap();
    cli.ok(&["generate", "--label", "Webhook"], "");
    assert!(!cli.vault.join(".vault.ron.x1y2.tmp").exists());
    assert!(cli.vault.join(".editor-swap.tmp").exists());
    // A world-readable password file is used, and said.
    std::fs::set_permissions(&cli.password_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = cli.run(&["check"]);
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("other users can read the password file"));
}

#[test]
fn a_failed_init_leaves_nothing_behind() {
    let cli = common::Cli::new();
    std::fs::write(&cli.password_file, "short\n").unwrap();
    let output = cli.run(&["init", "--secret-store", "file"]);
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        !cli.vault.exists(),
        "no folder with a lone vault.lock: {:?}",
        common::snapshot(&cli.vault).len()
    );
}

#[test]
fn a_second_writer_waits_a_moment_for_the_first() {
    let cli = common::Cli::new();
    cli.ok(&["init", "--secret-store", "file"], "");
    // Hold the lock as another writer would, and let it go after a short while.
    let lock = std::fs::OpenOptions::new().write(true).open(cli.vault.join("vault.lock")).unwrap();
    lock.try_lock().unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(700));
        drop(lock);
    });
    cli.ok(&["generate", "--label", "Waited"], "");
    release.join().unwrap();
    assert!(cli.ok(&["list"], "").contains("Waited"));
}

/// The audit log's actions, newest first.
fn actions(cli: &common::Cli) -> Vec<String> {
    let audit: serde_json::Value = serde_json::from_str(&cli.ok(&["audit", "--json"], "")).unwrap();
    audit.as_array().unwrap().iter().filter_map(|r| r["action"].as_str().map(str::to_owned)).collect()
}

#[test]
fn backup_then_wipe_then_restore_brings_back_every_secret() {
    let cli = common::Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    let mut secrets = Vec::new();
    for i in 0..100 {
        let key = cli.ok(&["generate", "--label", &format!("Key {i:03}")], "").trim().to_owned();
        secrets.push(key);
    }
    let backup = cli.dir.path().join("vault.backup");
    assert!(cli.ok(&["backup", backup.to_str().unwrap()], "").contains("Backed up 100 keys"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the backup is readable by its owner alone");
    }
    assert_eq!(actions(&cli)[0], "backup", "the backup is on record");
    let text = std::fs::read_to_string(&backup).unwrap();
    for secret in &secrets {
        assert!(!text.contains(&secret[secret.len() - 16..]), "a secret is readable in the backup file");
    }
    // The machine is lost: folder, secrets file and all.
    std::fs::remove_dir_all(&cli.vault).unwrap();
    assert!(cli.ok(&["restore", backup.to_str().unwrap()], "").contains("Restored 100 keys"));
    for (i, secret) in secrets.iter().enumerate() {
        assert_eq!(cli.ok(&["reveal", &format!("Key {i:03}")], "").trim(), secret, "key {i}");
    }
    assert!(cli.ok(&["audit", "--verify"], "").contains("Audit chain verified"));
    assert!(cli.ok(&["check"], "").contains("Everything is in order."));
    assert_eq!(actions(&cli)[100], "restore", "the restore is on record, after the 100 reveals");
    // Restoring over a vault asks first; without a terminal and without --replace it refuses.
    let output = cli.run(&["restore", backup.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("A vault already exists here and was left as it is")
    );
    // A wrong password opens nothing.
    let wrong = cli.dir.path().join("wrong");
    std::fs::write(&wrong, "not the password at all\n").unwrap();
    let output = cli.run_with(
        &["restore", backup.to_str().unwrap(), "--replace", "--password-file", wrong.to_str().unwrap()],
        "",
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("The password does not open this backup"));
}

#[test]
fn a_rotation_moves_each_integration_then_retires_the_old_key() {
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    cli.ok(
        &[
            "generate",
            "--label",
            "Partner API",
            "--integration",
            "HubSpot=https://app.hubspot.com/x",
            "--integration",
            "Zapier",
        ],
        "",
    );
    let started = cli.run(&["rotate", "Partner API"]);
    assert!(started.status.success());
    let said = String::from_utf8_lossy(&started.stderr);
    assert!(said.contains("Move HubSpot, Zapier to it"), "{said}");
    let new_key = String::from_utf8(started.stdout).unwrap().trim().to_owned();
    assert!(new_key.starts_with("kd_live_"));

    // The status reads metadata only: no password, no keychain.
    let status = |json: bool| {
        let args = ["rotate", "Partner API", "--status", "--json"];
        cli.ok_without_password_or_keychain(if json { &args[..] } else { &args[..3] })
    };
    assert!(status(false).contains("0 of 2 integrations moved"), "{}", status(false));
    refused(
        &cli,
        &["rotate", "Partner API", "--complete"],
        "",
        1,
        "2 of the 2 integrations of \"Partner API\" are not yet updated and tested (HubSpot, Zapier)",
    );
    refused(&cli, &["rotate", "Partner API"], "", 1, "A rotation of \"Partner API\" is under way");
    refused(
        &cli,
        &["rotate", "Partner API", "--mark", "Salesforce", "updated"],
        "",
        1,
        "has no integration \"Salesforce\"",
    );
    refused(&cli, &["rotate", "Partner API", "--mark", "HubSpot", "done"], "", 2, "is not a step");

    assert!(cli.ok(&["rotate", "Partner API", "--mark", "hubspot", "updated"], "").contains("0 of 2"));
    assert!(cli.ok(&["rotate", "Partner API", "--mark", "HubSpot", "tested"], "").contains("1 of 2"));
    cli.ok(&["rotate", "Partner API", "--mark", "Zapier", "updated"], "");
    let shown = json(&status(true));
    assert_eq!((shown["moved"].as_u64(), shown["total"].as_u64()), (Some(1), Some(2)), "{shown}");
    assert!(
        shown["integrations"][1]["updated_at"].is_string() && shown["integrations"][1]["tested_at"].is_null()
    );
    refused(&cli, &["rotate", "Partner API", "--complete"], "", 1, "1 of the 2 integrations");

    // Completed with a reason for the one left: the old key is revoked, the new one works.
    let old_id = shown["old_key"].as_str().unwrap().to_owned();
    let done = cli.ok(&["rotate", "Partner API", "--complete", "--reason", "the Zapier zap was deleted"], "");
    assert!(done.contains("Rotation of \"Partner API\" complete"), "{done}");
    let old = json(&cli.ok(&["show", &old_id, "--json"], ""));
    assert_eq!(old["status"], "revoked");
    assert_eq!(cli.ok(&["reveal", "Partner API"], "").trim(), new_key);
    let audit = cli.ok(&["audit"], "");
    for line in [
        "HubSpot updated",
        "HubSpot tested",
        "Zapier updated",
        "rotated to",
        "the Zapier zap was deleted; rotation closed with 1 of 2 integrations moved",
    ] {
        assert!(audit.contains(line), "{line} missing from the audit log:\n{audit}");
    }

    // Abandoned: the new key is revoked and the old one is active again.
    cli.ok(&["generate", "--label", "Webhook"], "");
    cli.ok(&["rotate", "Webhook"], "");
    let abandoned = cli.ok(&["rotate", "Webhook", "--abandon", "--reason", "made in the wrong format"], "");
    assert!(abandoned.contains("abandoned"), "{abandoned}");
    let keys = json(&cli.ok(&["list", "--json", "--all"], ""));
    let webhooks: Vec<&Value> = keys.as_array().unwrap().iter().filter(|k| k["label"] == "Webhook").collect();
    let statuses: Vec<&str> = webhooks.iter().map(|k| k["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["active", "revoked"], "{keys}");
    assert!(
        webhooks[1]["revoke_reason"]
            .as_str()
            .unwrap()
            .contains("rotation abandoned: made in the wrong format")
    );
}

#[test]
fn a_leak_response_is_recorded_in_an_incident_and_exported() {
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    let leaked = cli
        .ok(
            &[
                "generate",
                "--label",
                "Newsletter | sync",
                "--integration",
                "HubSpot=https://app.hubspot.com/x",
                "--integration",
                "Zapier",
            ],
            "",
        )
        .trim()
        .to_owned();
    // Found in a repository: which key is it, then an incident for it.
    assert!(cli.ok(&["whois"], &format!("{leaked}\n")).contains("Newsletter | sync"));
    let opened = cli.ok(
        &[
            "incident",
            "open",
            "Newsletter | sync",
            "--found-where",
            "a public GitHub repository",
            "--noticed-by",
            "Dana (security)",
        ],
        "",
    );
    let id = opened.trim().trim_start_matches("Opened incident ").trim_end_matches('.').to_owned();
    assert_eq!(id.len(), 8, "{opened}");
    refused(
        &cli,
        &["incident", "open", "Newsletter | sync", "--found-where", " "],
        "",
        1,
        "Say where the key was found",
    );
    let due = cli.ok(&["due"], "");
    assert!(
        due.contains(&format!(
            "incident {id} open: \"Newsletter | sync\" found in a public GitHub repository"
        )),
        "{due}"
    );

    // Revoke first, then the replacement, then each integration moved.
    cli.ok(&["revoke", "Newsletter | sync", "--reason", "leaked in a public repository"], "");
    let replacement = cli.ok(&["rotate", "Newsletter | sync"], "").trim().to_owned();
    assert!(replacement.starts_with("kd_live_") && replacement != leaked);
    for (name, step) in
        [("HubSpot", "updated"), ("HubSpot", "tested"), ("Zapier", "updated"), ("Zapier", "tested")]
    {
        cli.ok(&["rotate", "Newsletter | sync", "--mark", name, step], "");
    }
    assert!(cli.ok(&["rotate", "Newsletter | sync", "--complete"], "").contains("complete"));

    // The report: read with no password, written to a file.
    let report_path = cli.dir.path().join("incident.md");
    cli.ok_without_password_or_keychain(&["incident", "export", &id[..5], report_path.to_str().unwrap()]);
    let report = std::fs::read_to_string(&report_path).unwrap();
    for part in [
        &format!("# Incident {id}: suspected leak of \"Newsletter \\| sync\""),
        "- **Found in:** a public GitHub repository",
        "- **Noticed by:** Dana (security)",
        "- **Status:** open",
        "Opened: \"Newsletter \\| sync\" found in a public GitHub repository",
        "Revoked: leaked in a public repository",
        "Replacement made",
        "HubSpot updated with the new key",
        "Zapier tested with the new key",
        "Rotation finished: 2 of 2 integrations moved",
        "- HubSpot <https://app.hubspot.com/x>: moved",
        "- Zapier: moved",
        "- Revoked ",
        "- Replaced by \"Newsletter \\| sync\"",
        "- [ ] Close the incident with a summary.",
    ] {
        assert!(report.contains(part), "{part:?} is not in the report:\n{report}");
    }
    assert!(
        !report.contains(&leaked[leaked.len() - 12..])
            && !report.contains(&replacement[replacement.len() - 12..]),
        "no secret"
    );
    // The timeline is in order.
    let (revoked, moved) = (report.find("| Revoked").unwrap(), report.find("HubSpot updated").unwrap());
    assert!(report.find("| Opened").unwrap() < revoked && revoked < moved);

    // An empty summary is refused in its own words (it was said to be an empty revoke reason).
    refused(&cli, &["incident", "close", &id, "--summary", "  "], "", 1, "The summary is empty");
    cli.ok(
        &["incident", "close", &id, "--summary", "Key revoked within the hour; no sends seen from it."],
        "",
    );
    let list = json(&cli.ok(&["incident", "list", "--json"], ""));
    assert_eq!(list[0]["id"], id.as_str());
    assert!(list[0]["closed_at"].is_string());
    assert!(!cli.ok(&["incident", "show", &id], "").contains("- [ ] "), "nothing open once closed");
    refused(&cli, &["incident", "close", &id, "--summary", "again"], "", 1, "this one is closed");
    assert!(!cli.ok(&["due"], "").contains("incident"), "a closed incident is not due");
    assert!(cli.ok(&["audit"], "").contains(&format!("incident {id} closed")));
}
