//! The real X11 clipboard through arboard under Xvfb (started by scripts/test.sh), read back
//! from outside with `xclip`, as a person's paste would see it.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

mod common;

use std::process::{Command, Stdio};

use keydesk::clipboard::{Clipboard, SystemClipboard, fingerprint};

fn xclip(target: Option<&str>) -> Option<String> {
    let mut command = Command::new("timeout");
    command.args(["5", "xclip", "-o", "-selection", "clipboard"]);
    if let Some(target) = target {
        command.args(["-t", target]);
    }
    let output = command.stderr(Stdio::null()).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn a_copy_reaches_the_x11_clipboard_out_of_history_and_is_cleared() {
    let required = std::env::var_os("KEYDESK_REQUIRE_DISPLAY").is_some_and(|v| v == "1");
    if std::env::var_os("DISPLAY").is_none() {
        assert!(!required, "KEYDESK_REQUIRE_DISPLAY=1 but there is no DISPLAY");
        eprintln!("skipped: no DISPLAY (scripts/test.sh starts Xvfb)");
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
