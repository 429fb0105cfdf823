//! No core dump of a process that holds keys: the `keydesk` binary turns them off before it
//! reads anything, and the library call does what it says.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use crate::common;

use std::io::Read;
use std::process::Stdio;

/// `command` on a new vault, started as a user would (no `GLIBC_TUNABLES`), whose password
/// file is a FIFO nobody writes to: it waits on it, alive, while it is looked at from outside.
fn waiting_for_its_password(cli: &common::Cli, command: &str, stderr: Stdio) -> std::process::Child {
    cli.ok(&["init", "--secret-store", "file"], "");
    let fifo = cli.dir.path().join("password-fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    std::process::Command::new(env!("CARGO_BIN_EXE_keydesk"))
        .arg("--vault")
        .arg(&cli.vault)
        .arg("--password-file")
        .arg(&fifo)
        .arg(command)
        .env_remove("GLIBC_TUNABLES")
        .env_remove("KEYDESK_PASSWORD_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

#[test]
fn the_running_binary_allows_no_core_dump() {
    let cli = common::Cli::new();
    let mut child = waiting_for_its_password(&cli, "list", Stdio::piped());
    let limits_path = format!("/proc/{}/limits", child.id());
    let mut limits = String::new();
    for _ in 0..100 {
        limits = std::fs::read_to_string(&limits_path).unwrap_or_default();
        let core = limits.lines().find(|l| l.starts_with("Max core file size")).unwrap_or("");
        if core.split_whitespace().nth(5) == Some("0") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _killed = child.kill();
    let mut stderr = String::new();
    let _read = child.stderr.take().unwrap().read_to_string(&mut stderr);
    let _reaped = child.wait();
    let core = limits.lines().find(|l| l.starts_with("Max core file size")).unwrap();
    let fields: Vec<&str> = core.split_whitespace().collect();
    assert_eq!((fields[4], fields[5]), ("0", "0"), "soft and hard core limits are 0: {core}");
    assert!(!stderr.contains("core dumps stay possible"), "{stderr}");
}

#[cfg(target_os = "linux")]
#[test]
fn the_library_call_makes_this_process_undumpable() {
    assert!(!keydesk::secrets::process::core_dumps_forbidden(), "a test process starts dumpable");
    keydesk::secrets::process::forbid_core_dumps().unwrap();
    assert!(keydesk::secrets::process::core_dumps_forbidden());
}

/// A command that derives a key from the master password runs with huge pages for Argon2id
/// (`keydesk::secrets::process::KDF_TUNABLES`): it starts itself again with them before it
/// reads the password; its environment is read from outside while it waits for it.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn a_command_that_unlocks_runs_with_huge_pages_for_the_kdf() {
    let cli = common::Cli::new();
    let child = waiting_for_its_password(&cli, "audit", Stdio::null());
    assert_runs_with(child, keydesk::secrets::process::KDF_TUNABLES, "the command waiting for its password");
}

/// The window runs with glibc's malloc thresholds fixed (see `keydesk::ui::MALLOC_TUNABLES`):
/// started without them, the program starts itself again with them, under the same process
/// id, before it opens a window; read from outside in /proc (the test script runs as root,
/// which may read an undumpable process's environment).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn the_window_runs_with_fixed_malloc_thresholds() {
    assert!(std::env::var_os("DISPLAY").is_some(), "scripts/test.sh gives the tests an X display");
    let cli = common::Cli::new();
    cli.ok(&["init", "--secret-store", "file"], "");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_keydesk"))
        .arg("--vault")
        .arg(&cli.vault)
        .env_remove("GLIBC_TUNABLES")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert_runs_with(child, keydesk::ui::MALLOC_TUNABLES, "the window");
}

/// `child` is still running and has every glibc tunable of `tunables` in its environment
/// (read in /proc within 5 s); killed afterwards. glibc cuts the variable at each ':' in place
/// as it reads it, so every tunable is looked for on its own, the first right after the name.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn assert_runs_with(mut child: std::process::Child, tunables: &str, what: &str) {
    let environ = format!("/proc/{}/environ", child.id());
    let mut wanted: Vec<String> = tunables.split(':').map(str::to_owned).collect();
    wanted[0] = format!("GLIBC_TUNABLES={}", wanted[0]);
    let found = |seen: &[u8]| {
        let entries: Vec<&[u8]> = seen.split(|b| *b == 0).collect();
        wanted.iter().all(|w| entries.contains(&w.as_bytes()))
    };
    let mut seen = Vec::new();
    for _ in 0..250 {
        seen = std::fs::read(&environ).unwrap_or_default();
        if found(&seen) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let alive = child.try_wait().unwrap().is_none();
    let _killed = child.kill();
    let _reaped = child.wait();
    assert!(alive, "{what} was still running");
    assert!(found(&seen), "{wanted:?} not in the environment of {what}");
}
