//! The real window as a screen reader meets it: read over AT-SPI, driven by the keyboard alone.
//!
//! The `keydesk` binary opens its window under the Xvfb and openbox of scripts/test.sh, on a
//! vault whose secrets are in the session's private keychain. Accessibility is turned on the
//! way a desktop does when a screen reader starts: the session bus's `org.a11y.Bus` (the
//! at-spi2-core bus launcher, started by D-Bus) is told `org.a11y.Status.IsEnabled = true`;
//! eframe's AccessKit adapter then puts the window on the accessibility bus. The Python script
//! tests/a11y/flow.py (python3-pyatspi) finds the window's controls there by role and name and
//! walks create → paste → copy → revoke with key presses only; the copy is read back from the
//! X clipboard with xclip. Afterwards the vault is read from outside, with the command line.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]
#![allow(clippy::disallowed_methods, reason = "tests start their own processes")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use secrecy::ExposeSecret;

use crate::common::{Cli, PASSWORD, mailchimp_key};

/// The label the flow gives the pasted key, and the key already in the vault.
const LABEL: &str = "Webhook signing";
const OTHER: &str = "Mailchimp newsletter";

/// `org.a11y.Status.IsEnabled` on the session's accessibility bus launcher; set back to false
/// when dropped, so the windows of later tests build no accessibility tree.
struct Accessibility;

impl Accessibility {
    fn enable() -> Result<Accessibility, String> {
        set_enabled(true)?;
        Ok(Accessibility)
    }
}

impl Drop for Accessibility {
    fn drop(&mut self) {
        if let Err(why) = set_enabled(false) {
            eprintln!("accessibility left on: {why}");
        }
    }
}

fn set_enabled(on: bool) -> Result<(), String> {
    let output = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.a11y.Bus",
            "/org/a11y/bus",
            "org.freedesktop.DBus.Properties.Set",
            "string:org.a11y.Status",
            "string:IsEnabled",
            &format!("variant:boolean:{on}"),
        ])
        .output()
        .map_err(|e| format!("dbus-send could not run ({e})"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "the session bus's org.a11y.Bus did not answer (is at-spi2-core installed?): {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// The window's process, killed when the test ends however it ends.
struct WindowProcess(Child);

impl Drop for WindowProcess {
    fn drop(&mut self) {
        let _killed = self.0.kill();
        let _reaped = self.0.wait();
    }
}

/// A Python that has pyatspi: the one on PATH, else the system's (where the distribution's
/// python3-pyatspi is installed when PATH leads to another).
fn python_with_pyatspi() -> Option<PathBuf> {
    ["python3", "/usr/bin/python3"].into_iter().map(PathBuf::from).find(|python| {
        Command::new(python)
            .args(["-c", "import pyatspi"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    })
}

fn found(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// A window manager owns the screen (openbox answers for `_NET_SUPPORTING_WM_CHECK`).
fn window_manager_running() -> bool {
    Command::new("xprop")
        .args(["-root", "_NET_SUPPORTING_WM_CHECK"])
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("window id"))
}

/// What this test needs that is missing here, if anything.
fn missing() -> Option<String> {
    if std::env::var_os("DISPLAY").is_none() || !window_manager_running() {
        return Some("a display with a window manager (scripts/test.sh starts Xvfb and openbox)".into());
    }
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        return Some("a session bus".into());
    }
    for program in ["xdotool", "xclip", "dbus-send"] {
        if !found(program) {
            return Some(program.into());
        }
    }
    if python_with_pyatspi().is_none() {
        return Some("python3 with pyatspi (python3-pyatspi)".into());
    }
    None
}

/// A key in Keydesk's own format that no vault holds yet (the one a colleague sends).
fn a_keydesk_key() -> String {
    let spec = keydesk::vault::keygen::KeySpec::default();
    let key = keydesk::vault::keygen::generate(&spec, &mut keydesk::vault::os_rng()).unwrap();
    key.expose_secret().to_owned()
}

fn open_window(cli: &Cli, scratch: &Path) -> WindowProcess {
    let log = std::fs::File::create(scratch.join("window.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_keydesk"))
        .arg("--vault")
        .arg(&cli.vault)
        // The window's size and sort order: saved in the test's folder, not the user's.
        .env("XDG_CONFIG_HOME", scratch.join("config"))
        .env_remove("KEYDESK_VAULT")
        .env_remove("KEYDESK_PASSWORD_FILE")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    WindowProcess(child)
}

/// The key labelled `label` as `keydesk list --all --json` tells it.
fn listed(cli: &Cli, label: &str) -> serde_json::Value {
    let keys: serde_json::Value = serde_json::from_str(&cli.ok(&["list", "--all", "--json"], "")).unwrap();
    keys.as_array().unwrap().iter().find(|k| k["label"] == label).cloned().expect("the key is in the vault")
}

#[test]
fn the_window_is_named_for_a_screen_reader_and_runs_by_keyboard_alone() {
    let required = std::env::var_os("KEYDESK_REQUIRE_DISPLAY").is_some_and(|v| v == "1");
    if let Some(what) = missing() {
        assert!(!required, "KEYDESK_REQUIRE_DISPLAY=1 but {what} is missing (scripts/test.sh installs it)");
        eprintln!("skipped: no {what}");
        return;
    }
    let python = python_with_pyatspi().unwrap();
    let cli = Cli::new();
    cli.init_cheap(&[]);
    cli.ok(&["add", "--label", OTHER], &mailchimp_key());
    let key = a_keydesk_key();

    let accessibility = Accessibility::enable().unwrap();
    let window = open_window(&cli, cli.dir.path());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/a11y/flow.py");
    let output = Command::new(&python)
        .arg(&script)
        .env("KEYDESK_A11Y_PID", window.0.id().to_string())
        .env("KEYDESK_A11Y_PASSWORD", PASSWORD)
        .env("KEYDESK_A11Y_KEY", &key)
        .env("KEYDESK_A11Y_LABEL", LABEL)
        .env("KEYDESK_A11Y_OTHER", OTHER)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stdout);
    eprintln!("{said}{}", String::from_utf8_lossy(&output.stderr));
    let window_log = std::fs::read_to_string(cli.dir.path().join("window.log")).unwrap_or_default();
    assert!(output.status.success(), "the keyboard flow over AT-SPI failed; the window said:\n{window_log}");
    assert!(said.contains("a11y: every step held"), "the script ended early");
    drop(window);
    drop(accessibility);

    // From outside: the pasted key was added, copied once and revoked with the reason typed;
    // the key that was there already was not touched.
    let added = listed(&cli, LABEL);
    assert_eq!(added["provider"], "keydesk");
    assert_eq!(added["copy_count"], 1);
    assert_eq!(added["status"], "revoked");
    assert_eq!(added["revoke_reason"], "pasted in a chat");
    let other = listed(&cli, OTHER);
    assert_eq!((other["copy_count"].as_u64(), other["status"].as_str()), (Some(0), Some("active")));
    let whois = cli.run_with(&["whois"], &key);
    let found = String::from_utf8_lossy(&whois.stdout);
    assert!(found.contains(LABEL) && found.contains("Revoked on"), "{found}");
}
