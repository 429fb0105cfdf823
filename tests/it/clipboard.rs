//! The real X11 clipboard through arboard under Xvfb (started by scripts/test.sh), read back
//! from outside with `xclip`, as a person's paste would see it; and the X11 clipboard as the
//! fallback of a Wayland desktop without a data-control protocol (XWayland).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use crate::common;

use std::process::{Command, Stdio};

use common::clipboard::{display_or_skip, wait_for, xclip};
use keydesk::clipboard::{Clipboard, SystemClipboard, fingerprint};

#[test]
fn a_copy_reaches_the_x11_clipboard_out_of_history_and_is_cleared() {
    if !display_or_skip() {
        return;
    }
    let mut clipboard = SystemClipboard::open().expect("the X11 clipboard opens");
    let value = format!("kd_test_{}", common::random_chars(common::ALNUM, 32));
    clipboard.set_secret(&value).unwrap();
    assert_eq!(xclip(None).as_deref(), Some(value.as_str()), "xclip pastes what Keydesk copied");
    let targets = xclip(Some("TARGETS")).unwrap_or_default();
    assert!(
        targets.contains("x-kde-passwordManagerHint"),
        "marked for clipboard managers to skip: {targets}"
    );
    assert_eq!(clipboard.text().map(|t| fingerprint(&t)), Some(fingerprint(&value)));
    clipboard.clear().unwrap();
    let after = xclip(None).unwrap_or_default();
    assert!(!after.contains(&value), "the clipboard was cleared");
}

#[test]
fn the_copy_command_serves_the_clipboard_then_clears_it() {
    if !display_or_skip() {
        return;
    }
    let cli = common::Cli::new();
    cli.ok(&["init", "--secret-store", "file"], "");
    let key = cli.ok(&["generate", "--label", "Webhook"], "").trim().to_owned();
    let child = cli
        .command(&["copy", "Webhook", "--clear-after", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(wait_for(&key, true), "the key reached the clipboard");
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "Cleared the clipboard.");
    assert!(!String::from_utf8_lossy(&output.stderr).contains(&key));
    assert!(wait_for(&key, false), "the key left the clipboard");
    let shown: serde_json::Value = serde_json::from_str(&cli.ok(&["show", "Webhook", "--json"], "")).unwrap();
    assert_eq!(shown["copy_count"], 1);

    // Something else copied meanwhile: the command stops and leaves it there.
    let child = cli
        .command(&["copy", "Webhook", "--clear-after", "30"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(wait_for(&key, true));
    // xclip serves a few pastes (Keydesk's check is one, ours below another), then exits.
    let mut other = Command::new("xclip")
        .args(["-i", "-selection", "clipboard", "-l", "3"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut other.stdin.take().unwrap(), b"a shop address").unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "Something else was copied meanwhile, so the clipboard was left alone."
    );
    assert_eq!(xclip(None).as_deref(), Some("a shop address"));
    let _killed = other.kill();
    let _reaped = other.wait();
}

#[test]
#[cfg(target_os = "linux")]
fn a_wayland_desktop_without_data_control_falls_back_to_the_x11_clipboard() {
    if !display_or_skip() {
        return;
    }
    // weston has no data-control protocol; DISPLAY stands for XWayland's display.
    let Some(weston) = common::wayland::Compositor::weston() else { return };
    let cli = common::Cli::new();
    cli.ok(&["init", "--secret-store", "file"], "");
    let key = cli.ok(&["generate", "--label", "Webhook"], "").trim().to_owned();
    let display = std::env::var_os("DISPLAY").unwrap();
    let mut copy = cli.command(&["copy", "Webhook", "--clear-after", "2"]);
    weston.env(&mut copy).env("DISPLAY", display);
    let child = copy.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    assert!(wait_for(&key, true), "the key reached the X11 clipboard");
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "Cleared the clipboard.");
    assert!(wait_for(&key, false), "the key left the clipboard");
}
