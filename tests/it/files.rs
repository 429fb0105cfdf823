//! The vault folder on disk: big round trips, interrupted saves, corrupted files, the lock.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use crate::common;

use std::process::Command;

use common::{Cli, PASSWORD, rng};
use keydesk::secrets::memory::MemoryStore;
use keydesk::storage::{StorageError, VaultDir};
use keydesk::vault::crypto::KdfParams;
use keydesk::vault::meta::KeyMeta;
use keydesk::vault::model::SecretBackend;
use keydesk::vault::{CreateOptions, Env, GenerateRequest, SystemClock, Vault};
use secrecy::{ExposeSecret, SecretString};

fn env(dir: VaultDir, store: &MemoryStore) -> Env {
    Env { store: Box::new(store.clone()), storage: Box::new(dir), clock: Box::new(SystemClock), rng: rng(5) }
}

fn cli_with_keys(n: usize) -> Cli {
    let cli = Cli::new();
    cli.ok(&["init", "--secret-store", "file"], "");
    for i in 0..n {
        cli.ok(&["generate", "--label", &format!("Key {i}"), "--note", &"x".repeat(200)], "");
    }
    cli
}

#[test]
fn a_1000_key_vault_round_trips_through_disk() {
    let temp = tempfile::tempdir().unwrap();
    let store = MemoryStore::new();
    let password = SecretString::from(PASSWORD);
    let options = CreateOptions { backend: SecretBackend::File, kdf: KdfParams::MIN };
    let mut vault =
        Vault::create(env(VaultDir::create(temp.path()).unwrap(), &store), &password, options).unwrap();
    let mut secrets = Vec::new();
    // Saves are one per key; build the file in one go by saving only every 100th change is not
    // possible through the public API, so measure the real thing: 1,000 generate calls.
    for i in 0..1000 {
        let request = GenerateRequest {
            meta: KeyMeta { notes: format!("n{i}"), ..KeyMeta::labelled(&format!("Key {i:04}")) },
            ..Default::default()
        };
        let (id, secret) = vault.generate(request).unwrap();
        secrets.push((id, secret.expose_secret().to_owned()));
    }
    let saved = vault.file().clone();
    drop(vault);
    let dir = VaultDir::open(temp.path(), true).unwrap();
    let text = dir.read_vault().unwrap();
    let file = Vault::parse(&text).unwrap();
    assert_eq!(file, saved);
    let mut vault = Vault::unlock(env(dir, &store), file, &text, &password).unwrap();
    assert_eq!(vault.changed_outside(), None, "Keydesk's own saves carry a valid seal");
    for (id, secret) in secrets.iter().step_by(111) {
        assert_eq!(vault.reveal(id).unwrap().expose_secret(), secret);
    }
    assert!(vault.verify_audit().is_ok());
    let backup = std::fs::read_to_string(temp.path().join("vault.ron.bak")).unwrap();
    assert!(Vault::parse(&backup).is_ok(), "the backup is a whole earlier version");
}

#[test]
fn a_save_killed_mid_write_leaves_the_previous_vault() {
    const KEYS: usize = 12;
    let cli = cli_with_keys(KEYS);
    let before = std::fs::read(cli.vault.join("vault.ron")).unwrap();
    assert!(before.len() > 4096, "the file must be bigger than the write limit below");
    // RLIMIT_FSIZE of 4 KiB: the kernel stops the temp-file write part-way with SIGXFSZ.
    let script = format!(
        "ulimit -f 4; exec \"$0\" --vault '{}' --password-file '{}' generate --label Interrupted",
        cli.vault.display(),
        cli.password_file.display()
    );
    let output = Command::new("bash").args(["-c", &script, env!("CARGO_BIN_EXE_keydesk")]).output().unwrap();
    assert!(!output.status.success(), "the write limit must stop the save");
    assert_eq!(std::fs::read(cli.vault.join("vault.ron")).unwrap(), before, "vault.ron untouched");
    let leftovers: Vec<_> = std::fs::read_dir(&cli.vault)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(!leftovers.is_empty(), "the torn temp file is what the kill left");
    // The next run loads the old vault, cleans up, and works.
    let list = cli.ok(&["list", "--json"], "");
    let keys: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(keys.as_array().unwrap().len(), KEYS);
    cli.ok(&["generate", "--label", "After"], "");
    assert!(
        !std::fs::read_dir(&cli.vault)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
    );
    // The killed run had stored its secret before the metadata: `check` names that orphan.
    let output = cli.run(&["check"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert_eq!(stdout.matches("Orphaned entry").count(), 1, "{stdout}");
    assert!(stdout.contains("Audit log: verified"), "{stdout}");
    let repaired = cli.ok(&["check", "--repair"], "");
    assert!(repaired.contains("Removed 1 orphaned entries.") && repaired.contains("Everything is in order."));
    assert_eq!(
        cli.ok(&["list", "--json"], "").matches("\"id\"").count(),
        KEYS + 1,
        "no live key was touched"
    );
}

#[test]
fn a_save_that_fails_leaves_the_previous_vault_and_no_orphan() {
    // A folder where the backup must go makes the save fail for any user, root included.
    let cli = cli_with_keys(2);
    std::fs::remove_file(cli.vault.join("vault.ron.bak")).unwrap();
    std::fs::create_dir(cli.vault.join("vault.ron.bak")).unwrap();
    let before = std::fs::read(cli.vault.join("vault.ron")).unwrap();
    let secrets_before = std::fs::read(cli.vault.join("secrets.ron")).unwrap();
    let output = cli.run(&["generate", "--label", "Blocked"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "no key is shown when it was not kept");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Could not save the vault"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert_eq!(std::fs::read(cli.vault.join("vault.ron")).unwrap(), before);
    assert_eq!(
        std::fs::read(cli.vault.join("secrets.ron")).unwrap(),
        secrets_before,
        "secret taken back out"
    );
    std::fs::remove_dir(cli.vault.join("vault.ron.bak")).unwrap();
    let list: serde_json::Value = serde_json::from_str(&cli.ok(&["list", "--json"], "")).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let check = cli.ok(&["check"], "");
    assert!(check.contains("Everything is in order."), "{check}");
}

#[test]
fn a_corrupted_vault_is_reported_with_its_line_and_left_alone() {
    let cli = cli_with_keys(3);
    let path = cli.vault.join("vault.ron");
    let text = std::fs::read_to_string(&path).unwrap();
    let broken = text.replacen("label:\"Key 1\"", "label:\"Key 1\" oops", 1);
    let line = broken.lines().position(|l| l.contains("oops")).unwrap() + 1;
    std::fs::write(&path, &broken).unwrap();
    let before = cli.files();
    for args in
        [&["list"][..], &["generate", "--label", "New"], &["check"], &["revoke", "Key 0", "--reason", "x"]]
    {
        let output = cli.run(args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&format!("line {line}")), "{args:?}: {stderr}");
        assert!(stderr.contains("vault.ron.bak"), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one sentence: {stderr}");
        assert_eq!(cli.files(), before, "{args:?} changed the folder");
    }
    // The backup is a working vault.
    std::fs::copy(cli.vault.join("vault.ron.bak"), &path).unwrap();
    cli.ok(&["list"], "");
}

/// The file as Keydesk writes it is read by its own fast reader; the same file rewritten by
/// hand in other RON (comments, a key spread over lines, blank space) is read by RON, to the
/// same keys, and opens once the change is kept.
#[test]
fn a_vault_file_rewritten_by_hand_in_other_ron_reads_the_same() {
    let cli = cli_with_keys(3);
    let listed = cli.ok(&["list", "--json"], "");
    let path = cli.vault.join("vault.ron");
    let text = std::fs::read_to_string(&path).unwrap();
    let by_hand = text
        .replacen("\n(", "\n// kept by hand\n(", 1)
        .replacen("(id:", "/* the first key */ (\n    id : ", 1)
        .replacen(",label:", ",\n    label: ", 1)
        .replace("secret_store:File", "secret_store: File // on disk\n");
    assert_ne!(by_hand, text);
    std::fs::write(&path, &by_hand).unwrap();
    assert_eq!(cli.ok(&["list", "--json"], ""), listed);
    // An edit from outside is kept only when the user says so; then the vault unlocks as before.
    cli.ok(&["check", "--accept-changes"], "");
    assert_eq!(cli.ok(&["list", "--json"], ""), listed);
    let output = cli.run(&["reveal", "Key 1"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("kd_"));
}

#[test]
fn a_newer_format_is_refused_and_not_rewritten() {
    let cli = cli_with_keys(1);
    let path = cli.vault.join("vault.ron");
    let text = std::fs::read_to_string(&path).unwrap().replacen("format:5", "format:6", 1);
    std::fs::write(&path, &text).unwrap();
    let before = cli.files();
    let output = cli.run(&["generate", "--label", "New"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("newer Keydesk (format 6"), "{stderr}");
    assert_eq!(cli.files(), before);
}

#[test]
fn a_second_process_cannot_write_while_the_first_holds_the_vault() {
    let cli = cli_with_keys(1);
    let holder = VaultDir::open(&cli.vault, true).unwrap();
    let before = cli.files();
    let output = cli.run(&["generate", "--label", "Second"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Another Keydesk window or command is using this vault"), "{stderr}");
    assert_eq!(cli.files(), before);
    // Readers are not blocked.
    cli.ok(&["list"], "");
    assert!(matches!(VaultDir::open(&cli.vault, true), Err(StorageError::Locked { .. })));
    drop(holder);
    cli.ok(&["generate", "--label", "Second"], "");
}

#[test]
fn a_hand_edit_is_flagged_and_recorded() {
    let cli = cli_with_keys(1);
    let path = cli.vault.join("vault.ron");
    let text = std::fs::read_to_string(&path).unwrap().replacen("label:\"Key 0\"", "label:\"Key zero\"", 1);
    std::fs::write(&path, &text).unwrap();
    assert!(cli.ok(&["list"], "").contains("Key zero"), "reading still works");
    // A command that unlocks checks the seal and says what it found.
    let output = cli.run(&["audit"]);
    assert_eq!(output.status.code(), Some(0), "reading the log still works");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Warning: vault.ron was changed outside Keydesk"), "{stderr}");
    let check = cli.run(&["check"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&check.stdout).contains("Integrity: vault.ron was changed outside Keydesk")
    );
    // Nothing is written over it, however often a command tries.
    let refused = cli.run(&["generate", "--label", "After"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("nothing is changed or sent until you look"));
    assert_eq!(cli.run(&["check"]).status.code(), Some(1), "still flagged after a write was tried");
    // Kept on purpose: recorded with who kept it, sealed again, writable again.
    assert!(cli.ok(&["check", "--accept-changes"], "").contains("Kept the changes"));
    let audit: serde_json::Value = serde_json::from_str(&cli.ok(&["audit", "--json"], "")).unwrap();
    assert!(
        audit.as_array().unwrap().iter().any(|r| r["action"] == "integrity"
            && r["detail"].as_str().is_some_and(|d| d.starts_with("accepted by")))
    );
    cli.ok(&["generate", "--label", "After"], "");
    assert!(cli.ok(&["check"], "").contains("Everything is in order."));
}

#[test]
fn lines_cut_from_the_audit_log_stay_flagged_after_the_next_write() {
    let cli = cli_with_keys(3);
    let path = cli.vault.join("audit.ron");
    let text = std::fs::read_to_string(&path).unwrap();
    let kept: Vec<&str> = text.lines().collect();
    std::fs::write(&path, kept[..kept.len() - 2].iter().map(|l| format!("{l}\n")).collect::<String>())
        .unwrap();
    let check = cli.run(&["check"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&check.stdout).contains("lines were removed from the end"));
    // The next write is refused, so the finding cannot be papered over.
    let refused = cli.run(&["generate", "--label", "Over it"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("lines were removed from the end"));
    assert_eq!(cli.run(&["check"]).status.code(), Some(1), "still flagged");
    // Emptied entirely: flagged too.
    std::fs::write(&path, "").unwrap();
    assert_eq!(cli.run(&["check"]).status.code(), Some(1));
    assert_eq!(cli.run(&["generate", "--label", "Over it"]).status.code(), Some(1));
}

#[test]
fn a_planted_api_address_receives_no_key() {
    let cli = cli_with_keys(0);
    let server = common::mock::Mock::start(|_| common::mock::Reply::json(200, r#"{"email":"x"}"#));
    cli.ok(&["account", "add", "--provider", "brevo", "--name", "Brevo"], "");
    let key = format!(
        "xkeysib-{}-{}",
        common::random_chars(common::HEX, 64),
        common::random_chars(common::ALNUM, 16)
    );
    cli.ok(&["add", "--label", "CRM", "--account", "Brevo"], &key);
    // Someone plants an address of theirs on the account, by editing vault.ron.
    let path = cli.vault.join("vault.ron");
    let text = std::fs::read_to_string(&path).unwrap();
    let planted = text.replacen(
        "provider:Brevo,created_at",
        &format!("provider:Brevo,base_url:\"{}\",created_at", server.url),
        1,
    );
    assert_ne!(planted, text, "the account has an address field to plant");
    std::fs::write(&path, planted).unwrap();
    let output = cli.run(&["verify", "CRM"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("nothing is changed or sent until you look"));
    assert!(server.seen().is_empty(), "the key was not sent to the planted address");
    // What was planted is named, compared with the save before.
    let check = cli.run(&["check"]);
    let said = String::from_utf8_lossy(&check.stdout);
    let planted_line = format!("account \"Brevo\".base_url: none → \"{}\"", server.url);
    assert!(said.contains(&planted_line), "{said}");
    // Kept on purpose, the acceptance records what was kept.
    cli.ok(&["check", "--accept-changes"], "");
    let log = std::fs::read_to_string(cli.vault.join("audit.ron")).unwrap();
    assert!(log.lines().last().unwrap().contains(&planted_line.replace('"', "\\\"")), "{log}");
}

#[test]
fn an_older_copy_put_back_is_reported_as_a_rollback() {
    let cli = cli_with_keys(1);
    // A copy of the whole folder, taken now…
    let copy = cli.dir.path().join("vault-copy");
    std::fs::create_dir(&copy).unwrap();
    for (name, bytes) in common::snapshot(&cli.vault) {
        if name != "vault.lock" {
            std::fs::write(copy.join(&name), bytes).unwrap();
        }
    }
    // …then the vault moves on, and later the old copy is put back in its place.
    cli.ok(&["generate", "--label", "Newer"], "");
    std::fs::remove_dir_all(&cli.vault).unwrap();
    std::fs::rename(&copy, &cli.vault).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cli.vault, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let check = cli.run(&["check"]);
    assert_eq!(check.status.code(), Some(1));
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(said.contains("older copy than the one Keydesk last wrote on this machine"), "{said}");
    assert!(said.contains("it was rolled back"), "{said}");
    let refused = cli.run(&["generate", "--label", "On the old copy"]);
    assert_eq!(refused.status.code(), Some(1), "nothing is written over a rollback");
}

#[test]
fn random_sigkills_lose_nothing_acknowledged_file_store() {
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    common::kill_soak(&cli, 200, 17, 20);
}

#[test]
fn a_restore_killed_at_each_write_call_is_finished_by_the_next_unlock_file_store() {
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    let tally = common::kills::kill_restore_at_each_syscall(&cli);
    eprintln!("restore, file store: {tally:?}");
    assert!(tally.kills >= 20, "the kills must really land: {tally:?}");
}

#[test]
fn a_kill_at_each_write_call_loses_nothing_acknowledged_file_store() {
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    let tally = common::kills::kill_at_each_syscall(&cli, true);
    eprintln!("file store: {tally:?}");
    assert!(tally.kills >= 200, "the kills must really land: {tally:?}");
}

/// The log's lines, each with its newline.
fn joined(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// `check` fails and says `said`; a reveal and a write are refused.
fn flagged_read_only(cli: &Cli, said: &str) {
    let check = cli.run(&["check"]);
    assert_eq!(check.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(stdout.contains(said), "{stdout}");
    assert!(!stdout.contains("cut short by a write that failed"), "not blamed on a crash: {stdout}");
    assert_eq!(cli.run(&["reveal", "Key 0"]).status.code(), Some(1), "no reveal");
    assert_eq!(cli.run(&["generate", "--label", "Over it"]).status.code(), Some(1), "no write");
}

#[test]
fn a_cut_log_with_a_stray_byte_is_not_taken_for_a_crash() {
    let cli = cli_with_keys(3);
    let path = cli.vault.join("audit.ron");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Lines cut from the end, and one byte without a newline left to pass as a torn append.
    std::fs::write(&path, format!("{}x", joined(&lines[..lines.len() - 2]))).unwrap();
    flagged_read_only(&cli, "lines were removed from the end");
    // The whole log replaced by one byte.
    std::fs::write(&path, "x").unwrap();
    flagged_read_only(&cli, "lines were removed from the end");
    // The last sealed line rewritten, then a stray byte.
    let mut edited: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    let last = edited.len() - 1;
    edited[last] = edited[last].replace("Key 2", "Key 9");
    let edited: Vec<&str> = edited.iter().map(String::as_str).collect();
    std::fs::write(&path, format!("{}x", joined(&edited))).unwrap();
    flagged_read_only(&cli, "audit.ron line");
    // A real torn append after an intact log is still a crash's leftover, repaired on record.
    std::fs::write(&path, format!("{text}(at:\"2026")).unwrap();
    let check = cli.run(&["check"]);
    assert!(String::from_utf8_lossy(&check.stdout).contains("cut short by a write that failed"));
    cli.ok(&["generate", "--label", "After"], "");
    assert!(cli.ok(&["audit", "--verify"], "").contains("Audit chain verified"));
}

#[test]
fn the_newest_line_cannot_be_edited_before_a_later_line_links_it() {
    let cli = cli_with_keys(1);
    cli.ok(&["reveal", "Key 0"], "");
    let path = cli.vault.join("audit.ron");
    let text = std::fs::read_to_string(&path).unwrap();
    let last = text.lines().last().unwrap();
    assert!(last.contains("action:Reveal"), "{last}");
    // The line's link to the line before it is kept: only its own content changes.
    let edited = text.replace(last, &last.replace("action:Reveal", "action:Whois"));
    std::fs::write(&path, edited).unwrap();
    flagged_read_only(&cli, "does not carry the tag Keydesk wrote with it");
    let verify = cli.run(&["audit", "--verify"]);
    assert_eq!(verify.status.code(), Some(1));
}

#[test]
fn a_read_only_vault_hands_out_no_secret() {
    let cli = cli_with_keys(1);
    let path = cli.vault.join("vault.ron");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("Key 0", "Key 0 (edited)", 1)).unwrap();
    let out = cli.dir.path().join("keys.csv");
    let export = cli.run_with(&["export", out.to_str().unwrap(), "--with-secrets"], "export secrets\n");
    assert_eq!(export.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&export.stderr).contains("changed outside Keydesk"));
    assert!(!out.exists(), "nothing written");
    let backup = cli.dir.path().join("vault.backup");
    assert_eq!(cli.run(&["backup", backup.to_str().unwrap()]).status.code(), Some(1));
    assert!(!backup.exists(), "no backup of a vault in doubt");
    assert_eq!(cli.run(&["reveal", "Key 0 (edited)"]).status.code(), Some(1));
}

#[cfg(unix)]
#[test]
fn the_record_of_the_last_save_is_private_and_trusted_only_as_written() {
    use std::os::unix::fs::PermissionsExt;
    let cli = Cli::new();
    let state = cli.dir.path().join("state");
    // Every command under umask 000, with a state folder of this test's own.
    let run = |args: &[&str]| {
        let mut command = std::process::Command::new("sh");
        command.args(["-c", "umask 000; exec \"$0\" \"$@\""]).arg(cli.command(args).get_program());
        command.args(cli.command(args).get_args()).env("XDG_STATE_HOME", &state);
        command.env_remove("KEYDESK_VAULT").env_remove("KEYDESK_PASSWORD_FILE");
        common::run(command, "")
    };
    assert!(run(&["init", "--secret-store", "file"]).status.success());
    assert!(run(&["generate", "--label", "Key 0"]).status.success());
    let marks = state.join("keydesk/generations");
    for dir in [state.join("keydesk"), marks.clone()] {
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", dir.display());
    }
    let mark = std::fs::read_dir(&marks).unwrap().next().unwrap().unwrap().path();
    let check = |said: &str| {
        let output = run(&["check"]);
        assert_eq!(output.status.code(), Some(1), "{said}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains(said), "{stdout}");
        assert_eq!(run(&["reveal", "Key 0"]).status.code(), Some(1), "no reveal");
    };
    // A mark that is not Keydesk's: nothing can be ruled out.
    std::fs::write(&mark, "nonsense").unwrap();
    check("is not one it wrote");
    // No mark at all for a vault past its first save.
    std::fs::remove_dir_all(&marks).unwrap();
    check("has no record on this machine of this vault's last save");
    // Kept as it is, on record: the mark is written again and the vault is trusted again.
    assert!(run(&["check", "--accept-changes"]).status.success());
    assert!(run(&["check"]).status.success());
    assert!(run(&["reveal", "Key 0"]).status.success());
}

/// Runs `args` on the vault folder `vault` with the password of `cli`.
fn on(cli: &Cli, vault: &std::path::Path, args: &[&str]) -> std::process::Output {
    common::run(cli.command_on(vault, args), "")
}

fn vault_id(vault: &std::path::Path) -> String {
    let text = std::fs::read_to_string(vault.join("vault.ron")).unwrap();
    text.split("vault_id:\"").nth(1).unwrap().split('"').next().unwrap().to_owned()
}

fn private_copy(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir(to).unwrap();
    for (name, bytes) in common::snapshot(from) {
        std::fs::write(to.join(&name), bytes).unwrap();
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
}

#[test]
fn a_backup_restored_into_a_second_folder_is_a_vault_of_its_own() {
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    let kept = cli.ok(&["generate", "--label", "Kept"], "");
    let backup = cli.dir.path().join("vault.backup");
    cli.ok(&["backup", backup.to_str().unwrap()], "");
    cli.ok(&["generate", "--label", "After the backup"], "");

    let second = cli.dir.path().join("second");
    let restored = on(&cli, &second, &["restore", backup.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&restored.stdout);
    assert!(restored.status.success(), "{}", String::from_utf8_lossy(&restored.stderr));
    assert!(said.contains("as a vault of its own"), "{said}");
    assert_ne!(vault_id(&second), vault_id(&cli.vault), "the restored vault has an id of its own");
    let second_out = on(&cli, &second, &["generate", "--label", "In the second folder"]);
    assert!(second_out.status.success(), "{}", String::from_utf8_lossy(&second_out.stderr));
    assert_eq!(String::from_utf8_lossy(&on(&cli, &second, &["reveal", "Kept"]).stdout), kept);
    let second_check = String::from_utf8_lossy(&on(&cli, &second, &["check"]).stdout).into_owned();
    assert!(second_check.contains("Everything is in order."), "{second_check}");

    // The first vault's mark was not moved by the second's saves: no rollback is reported.
    let check = cli.ok(&["check"], "");
    assert!(check.contains("Everything is in order."), "{check}");
    cli.ok(&["generate", "--label", "Still writable"], "");
}

#[test]
fn a_copied_folder_changes_nothing_of_the_vault_it_copies() {
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    cli.ok(&["generate", "--label", "First"], "");
    let copy = cli.dir.path().join("copy");
    private_copy(&cli.vault, &copy);

    let refused = on(&cli, &copy, &["generate", "--label", "In the copy"]);
    assert_eq!(refused.status.code(), Some(1));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("is a copy of the vault kept in"), "{said}");
    assert!(said.contains("keydesk restore FILE --vault NEW_FOLDER"), "{said}");
    let accept = on(&cli, &copy, &["check", "--accept-changes"]);
    assert_eq!(accept.status.code(), Some(1), "a copy's finding cannot be accepted away");
    assert!(String::from_utf8_lossy(&on(&cli, &copy, &["list"]).stdout).contains("First"), "it still reads");

    // The vault the copy was taken from goes on as if the copy had never been opened.
    let check = cli.ok(&["check"], "");
    assert!(check.contains("Everything is in order."), "{check}");
    cli.ok(&["generate", "--label", "Second"], "");

    // A folder moved (no longer where the mark says) is the same vault, and the mark follows.
    let moved = cli.dir.path().join("moved");
    std::fs::rename(&cli.vault, &moved).unwrap();
    let generated = on(&cli, &moved, &["generate", "--label", "After the move"]);
    assert!(generated.status.success(), "{}", String::from_utf8_lossy(&generated.stderr));
    assert!(
        String::from_utf8_lossy(&on(&cli, &moved, &["check"]).stdout).contains("Everything is in order.")
    );
}

#[cfg(unix)]
#[test]
fn an_audit_log_linked_out_of_the_folder_is_never_written_through() {
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    cli.ok(&["generate", "--label", "First"], "");
    // audit.ron replaced by a link to a file outside the folder, with the same lines.
    let outside = cli.dir.path().join("outside.ron");
    std::fs::rename(cli.vault.join("audit.ron"), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, cli.vault.join("audit.ron")).unwrap();
    let before = std::fs::read(&outside).unwrap();
    let refused = cli.run(&["generate", "--label", "Through the link"]);
    assert_eq!(refused.status.code(), Some(1), "{}", String::from_utf8_lossy(&refused.stdout));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("Could not write the audit log"));
    assert_eq!(std::fs::read(&outside).unwrap(), before, "nothing was written outside the folder");
    // A line cut short at the end: the repair does not cut the file the link points to either.
    let mut torn = before.clone();
    torn.extend_from_slice(b"(at:\"2026");
    std::fs::write(&outside, &torn).unwrap();
    assert_eq!(cli.run(&["generate", "--label", "Again"]).status.code(), Some(1));
    assert_eq!(std::fs::read(&outside).unwrap(), torn);
}

/// `export --with-secrets` killed (SIGKILL, by strace's fault injection) at each write, sync,
/// rename and link it makes: the folder never holds any of the secrets except in the whole
/// export, and that file is readable by its owner alone.
#[cfg(target_os = "linux")]
#[test]
fn an_export_killed_at_any_write_leaves_no_plaintext_behind() {
    use std::os::unix::fs::PermissionsExt;
    if Command::new("strace").arg("-V").output().is_err() {
        eprintln!("skipped: strace is not installed");
        return;
    }
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    let secret = cli.ok(&["generate", "--label", "Exported"], "").trim().to_owned();
    let out = cli.dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let file = out.join("keys.csv");
    let mut kills = 0;
    for syscall in ["write", "fsync", "rename", "renameat2", "linkat", "link"] {
        for n in 1..200 {
            let inner = cli.command(&["export", "--with-secrets", file.to_str().unwrap()]);
            let mut command = Command::new("strace");
            command.args(["-f", "-qq", "-o", "/dev/null", "-e", &format!("trace={syscall}")]);
            command.arg("-e").arg(format!("inject={syscall}:signal=KILL:when={n}"));
            command.arg(inner.get_program()).args(inner.get_args()).env_remove("LD_LIBRARY_PATH");
            let output = common::run(command, "export secrets\n");
            let killed = std::os::unix::process::ExitStatusExt::signal(&output.status) == Some(9);
            for entry in std::fs::read_dir(&out).unwrap().flatten() {
                let text = String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).into_owned();
                if entry.path() == file {
                    let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
                    assert_eq!(mode, 0o600, "the export is its owner's alone");
                    assert!(text.contains(&secret), "an export in place is whole");
                } else {
                    assert!(
                        !text.contains(&secret),
                        "{syscall} #{n}: plaintext left in {:?}",
                        entry.file_name()
                    );
                }
            }
            let _fresh = std::fs::remove_file(&file);
            if !killed {
                break;
            }
            kills += 1;
        }
    }
    assert!(kills >= 3, "the kills must really land ({kills})");
}

/// The values of `secrets.ron` (sealed texts), by entry.
fn sealed_values(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let map: std::collections::BTreeMap<String, String> = ron::from_str(&text).unwrap();
    map.into_values().collect()
}

#[test]
fn a_new_data_key_leaves_no_secret_under_the_old_one_in_secrets_ron_bak() {
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    for i in 0..3 {
        cli.ok(&["generate", "--label", &format!("Key {i}")], "");
    }
    let before = sealed_values(&cli.vault.join("secrets.ron"));
    let new_password = cli.dir.path().join("new-password");
    std::fs::write(&new_password, "a brand new passphrase\n").unwrap();
    cli.ok(&["passwd", "--new-data-key", "--new-password-file", new_password.to_str().unwrap()], "");
    for file in ["secrets.ron", "secrets.ron.bak"] {
        let after = sealed_values(&cli.vault.join(file));
        assert!(
            before.iter().all(|old| !after.contains(old)),
            "{file} keeps a value sealed under the old key"
        );
    }
}
