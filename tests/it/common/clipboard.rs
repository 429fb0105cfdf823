//! Reading the real X11 clipboard from outside, as a person's paste would: `xclip` under the
//! Xvfb display scripts/test.sh starts.

use std::process::{Command, Stdio};

/// What `xclip` pastes from the clipboard (as `target`, when given).
pub fn xclip(target: Option<&str>) -> Option<String> {
    let mut command = Command::new("timeout");
    command.args(["5", "xclip", "-o", "-selection", "clipboard"]);
    if let Some(target) = target {
        command.args(["-t", target]);
    }
    let output = command.stderr(Stdio::null()).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Whether there is a display to test on; without one, fails under scripts/test.sh
/// (`KEYDESK_REQUIRE_DISPLAY=1`) and skips elsewhere.
pub fn display_or_skip() -> bool {
    let required = std::env::var_os("KEYDESK_REQUIRE_DISPLAY").is_some_and(|v| v == "1");
    if std::env::var_os("DISPLAY").is_none() {
        assert!(!required, "KEYDESK_REQUIRE_DISPLAY=1 but there is no DISPLAY");
        eprintln!("skipped: no DISPLAY (scripts/test.sh starts Xvfb)");
        return false;
    }
    true
}

/// Waits (up to 5 s) until the clipboard shows `wanted` or stops showing it.
pub fn wait_for(wanted: &str, present: bool) -> bool {
    for _ in 0..50 {
        if xclip(None).is_some_and(|t| t == wanted) == present {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    false
}
