//! The Wayland clipboard, with no X11 display: `keydesk copy` under a real headless
//! compositor, read back from outside with `wl-paste`, as a person's paste would see it.
//! sway has wlr-data-control, so a program in the background may set and clear the clipboard;
//! weston has no data-control protocol, so a copy cannot reach the clipboard and must not be
//! counted. Each test starts its own compositor (`common::wayland`).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use std::process::{Command, Stdio};

use crate::common;
use common::wayland::Compositor;

/// A vault with one generated key, "Webhook"; returns the key.
fn vault_with_a_key(cli: &common::Cli) -> String {
    cli.ok(&["init", "--secret-store", "file"], "");
    cli.ok(&["generate", "--label", "Webhook"], "").trim().to_owned()
}

fn copy_count(cli: &common::Cli) -> serde_json::Value {
    let shown: serde_json::Value = serde_json::from_str(&cli.ok(&["show", "Webhook", "--json"], "")).unwrap();
    shown["copy_count"].clone()
}

#[test]
fn the_copy_command_reaches_the_wayland_clipboard_out_of_history_and_clears_it() {
    let Some(sway) = Compositor::sway() else { return };
    let cli = common::Cli::new();
    let key = vault_with_a_key(&cli);
    // The shortest time a vault's settings allow.
    let mut copy = cli.command(&["copy", "Webhook", "--clear-after", "5"]);
    let child = sway.env(&mut copy).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    assert!(sway.wait_for(&key, true), "wl-paste pastes the key");
    let types = sway.paste(&["--list-types"]).unwrap_or_default();
    assert!(
        types.lines().any(|t| t == "x-kde-passwordManagerHint"),
        "marked for clipboard managers to skip: {types}"
    );
    assert_eq!(sway.paste(&["--type", "x-kde-passwordManagerHint"]).as_deref(), Some("secret"));

    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "Cleared the clipboard.");
    assert!(!stderr.contains(&key), "the key is never printed");
    assert!(sway.wait_for(&key, false), "the key left the clipboard");
    assert_eq!(sway.paste(&[]), None, "the clipboard is empty");
    assert_eq!(copy_count(&cli), 1);
}

#[test]
fn a_wayland_copy_replaced_by_another_is_left_alone() {
    let Some(sway) = Compositor::sway() else { return };
    let cli = common::Cli::new();
    let key = vault_with_a_key(&cli);
    let mut copy = cli.command(&["copy", "Webhook", "--clear-after", "60"]);
    let child = sway.env(&mut copy).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    assert!(sway.wait_for(&key, true));

    let mut other = Command::new("wl-copy");
    sway.env(other.args(["--foreground", "a shop address"])).stdout(Stdio::null()).stderr(Stdio::null());
    let mut other = other.spawn().unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "Something else was copied meanwhile, so the clipboard was left alone.",
        "{:?}; stderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(sway.paste(&[]).as_deref(), Some("a shop address"));
    let _killed = other.kill();
    let _reaped = other.wait();
}

#[test]
fn a_wayland_desktop_without_data_control_is_named_and_the_copy_not_counted() {
    let Some(weston) = Compositor::weston() else { return };
    let cli = common::Cli::new();
    vault_with_a_key(&cli);
    let mut copy = cli.command(&["copy", "Webhook"]);
    let output = weston.env(&mut copy).stdout(Stdio::piped()).stderr(Stdio::piped()).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("The clipboard is not available"), "{stderr}");
    assert!(stderr.contains("no data-control protocol"), "the missing protocol is named: {stderr}");
    assert!(!stderr.contains("X11 server"), "not blamed on X11: {stderr}");
    assert!(output.stdout.is_empty(), "nothing claims a copy: {}", String::from_utf8_lossy(&output.stdout));
    assert_eq!(copy_count(&cli), 0, "a copy that did not reach the clipboard is not counted");
}

#[test]
fn a_wayland_compositor_that_does_not_answer_is_named_and_the_copy_not_counted() {
    let cli = common::Cli::new();
    vault_with_a_key(&cli);
    let runtime = tempfile::tempdir().unwrap();
    let mut copy = cli.command(&["copy", "Webhook"]);
    copy.env("WAYLAND_DISPLAY", "wayland-keydesk-none")
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env_remove("DISPLAY");
    let output = copy.stdout(Stdio::piped()).stderr(Stdio::piped()).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("the Wayland compositor named by WAYLAND_DISPLAY does not answer"), "{stderr}");
    assert_eq!(copy_count(&cli), 0);
}
