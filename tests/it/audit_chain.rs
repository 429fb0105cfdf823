//! The audit chain is keyed: a line that fits needs the master password, and a vault written
//! by the first file format opens and is keyed from its next save.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use crate::common;

use std::path::Path;

use common::Cli;
use sha2::{Digest, Sha256};

/// The fixture's password and the secrets it holds. The vault was made by the format-1 build,
/// c0d1d74 (two keys added, one generated and revoked, so only its hint is left); its two
/// secrets were then sealed again, under the same data key, as texts that are not shaped like
/// any provider's key.
const FIXTURE_PASSWORD: &str = "fixture-password-1";
const FIXTURE_SENDGRID_KEY: &str = "fixture-secret-1: not a SendGrid key";
const FIXTURE_MAILCHIMP_KEY: &str = "fixture-secret-2: not a Mailchimp key";
/// Lines in the fixture's audit log.
const FIXTURE_ENTRIES: usize = 5;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A line as someone who can write the folder but not unlock the vault would add it: it
/// points back at the last line the way format 1 linked lines (plain SHA-256).
fn forge_after(log: &str, detail: &str) -> String {
    let last = log.lines().last().unwrap();
    let prev = hex(&Sha256::digest(last.as_bytes()));
    format!(
        "{log}(at:\"2026-11-27T08:00:00Z\",action:Revoke,key:None,outcome:Ok,detail:\"{detail}\",prev:\"{prev}\")\n"
    )
}

fn copy_fixture(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format1-vault");
    std::fs::create_dir_all(to).unwrap();
    for name in ["vault.ron", "audit.ron", "secrets.ron"] {
        std::fs::copy(from.join(name), to.join(name)).unwrap();
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700)).unwrap();
        for name in ["vault.ron", "audit.ron", "secrets.ron"] {
            std::fs::set_permissions(to.join(name), std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
}

#[test]
fn a_line_forged_without_the_password_is_flagged() {
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    cli.ok(&["generate", "--label", "Kept"], "");
    let path = cli.vault.join("audit.ron");
    let log = std::fs::read_to_string(&path).unwrap();
    // A line added at the end, after the last save, used to pass as a crash's leftover.
    std::fs::write(&path, forge_after(&log, "made up")).unwrap();
    let check = cli.run(&["check"]);
    assert_eq!(check.status.code(), Some(1));
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(said.contains("audit.ron line 3 does not follow the line before it"), "{said}");
    assert_eq!(cli.run(&["generate", "--label", "Over it"]).status.code(), Some(1), "read-only");
}

#[test]
fn a_format_1_vault_opens_and_is_keyed_from_its_next_save() {
    let cli = Cli::new();
    copy_fixture(&cli.vault);
    std::fs::write(&cli.password_file, format!("{FIXTURE_PASSWORD}\n")).unwrap();
    // The file store keeps its last-save mark in the state folder: one of this test's own.
    let state = cli.dir.path().join("state");
    let run = |args: &[&str]| {
        let mut command = cli.command(args);
        command.env("XDG_STATE_HOME", &state);
        common::run(command, "")
    };
    let ok = |args: &[&str]| {
        let output = run(args);
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let check_fails_with = |said: &str| {
        let output = run(&["check"]);
        assert_eq!(output.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&output.stdout).contains(said), "{said}");
    };
    // Brought here from the machine that made it: this one keeps no record of its last save,
    // so it opens read-only until it is kept as it is (on record).
    check_fails_with("Keydesk has no record on this machine of this vault's last save");
    assert_eq!(run(&["reveal", "Mailchimp newsletter"]).status.code(), Some(1), "read-only");
    assert!(ok(&["check", "--accept-changes"]).contains("Kept the changes made outside Keydesk"));
    assert!(ok(&["check"]).contains(&format!("Audit log: verified, {} entries.", FIXTURE_ENTRIES + 1)));
    assert_eq!(ok(&["reveal", "SendGrid – 春のキャンペーン"]).trim_end(), FIXTURE_SENDGRID_KEY);
    assert_eq!(ok(&["reveal", "Mailchimp newsletter"]).trim_end(), FIXTURE_MAILCHIMP_KEY);
    let vault = std::fs::read_to_string(cli.vault.join("vault.ron")).unwrap();
    assert!(vault.contains("format:5,") && vault.contains("tagged:true"), "saved as format 5");
    let check = ok(&["check"]);
    let entries = FIXTURE_ENTRIES + 3;
    assert!(check.contains(&format!("Audit log: verified, {entries} entries.")), "{check}");
    assert!(check.contains("Everything is in order."), "{check}");
    // The old lines are still bound: an edit of the first one breaks the chain.
    let path = cli.vault.join("audit.ron");
    let log = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, log.replacen("secret store: file", "secret store: keychain", 1)).unwrap();
    check_fails_with("audit.ron line 2 does not follow");
    // And the lines after the change are keyed: a SHA-256 line at the end does not fit.
    std::fs::write(&path, forge_after(&log, "made up")).unwrap();
    check_fails_with(&format!("audit.ron line {} does not follow", entries + 1));
}

#[test]
fn passwd_with_a_new_data_key_retires_the_old_password_everywhere() {
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    let secret = cli.ok(&["generate", "--label", "Kept"], "");
    let before = std::fs::read_to_string(cli.vault.join("vault.ron")).unwrap();
    let new_password = cli.dir.path().join("new-password");
    std::fs::write(&new_password, "a brand new passphrase\n").unwrap();
    let said =
        cli.ok(&["passwd", "--new-data-key", "--new-password-file", new_password.to_str().unwrap()], "");
    assert!(said.contains("every secret is re-encrypted"), "{said}");
    let secrets = std::fs::read_to_string(cli.vault.join("secrets.ron")).unwrap();
    // An old copy of vault.ron still opens with the old password, but what it unwraps opens
    // no secret of today's store; vault.ron.bak does not open with it at all.
    let old = cli.dir.path().join("old");
    copy_fixture_like(&cli.vault, &old, &before, &secrets);
    let output = common::run(cli.command_on(&old, &["check"]), "");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("\"Kept\" does not decrypt"));
    let bak = std::fs::read_to_string(cli.vault.join("vault.ron.bak")).unwrap();
    copy_fixture_like(&cli.vault, &old, &bak, &secrets);
    let output = common::run(cli.command_on(&old, &["check"]), "");
    assert!(String::from_utf8_lossy(&output.stderr).contains("The master password is wrong"));
    // The new password opens the vault and the secret is the same.
    std::fs::copy(&new_password, &cli.password_file).unwrap();
    assert_eq!(cli.ok(&["reveal", "Kept"], ""), secret);
    assert!(cli.ok(&["check"], "").contains("Everything is in order."));
}

/// A vault folder at `to` made of `vault` text and `secrets` text (the audit log of `from`).
fn copy_fixture_like(from: &Path, to: &Path, vault: &str, secrets: &str) {
    std::fs::create_dir_all(to).unwrap();
    std::fs::write(to.join("vault.ron"), vault).unwrap();
    std::fs::write(to.join("secrets.ron"), secrets).unwrap();
    std::fs::copy(from.join("audit.ron"), to.join("audit.ron")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
}
