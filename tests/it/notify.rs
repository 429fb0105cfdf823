//! `keydesk due --notify` posts a real desktop notification: a real notification daemon
//! (dunst) runs on the test's session bus and display, and what it received is read back from
//! it (`dunstctl history`).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]
#![allow(
    clippy::disallowed_methods,
    reason = "tests and tools read the real clock and start their own threads"
)]

use crate::common;

use std::process::{Child, Command, Stdio};

use common::Cli;

/// dunst on this session bus and display, until dropped.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _gone = self.0.kill();
        let _reaped = self.0.wait();
    }
}

fn dunstctl(args: &[&str]) -> std::process::Output {
    Command::new("dunstctl").args(args).output().expect("dunstctl (scripts/test.sh installs dunst)")
}

/// Starts dunst, or says why the test cannot run (no display: only outside scripts/test.sh).
fn daemon() -> Option<Daemon> {
    let required = std::env::var_os("KEYDESK_REQUIRE_DISPLAY").is_some_and(|v| v == "1");
    if std::env::var_os("DISPLAY").is_none() || std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        assert!(!required, "KEYDESK_REQUIRE_DISPLAY=1 but there is no display or session bus");
        eprintln!("skipped: no display or session bus (scripts/test.sh starts both)");
        return None;
    }
    let config = tempfile::NamedTempFile::new().unwrap();
    let child = Command::new("dunst")
        .arg("-config")
        .arg(config.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dunst (scripts/test.sh installs it)");
    let daemon = Daemon(child);
    // Up once it answers on the bus.
    for _ in 0..100 {
        if dunstctl(&["is-paused"]).status.success() {
            return Some(daemon);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("dunst did not come up on the session bus");
}

#[test]
fn due_posts_a_desktop_notification_with_what_is_due_and_nothing_else() {
    let Some(_daemon) = daemon() else { return };
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    let soon = (chrono::Utc::now() + chrono::Duration::days(2) - chrono::Duration::hours(1)).to_rfc3339();
    cli.ok(&["generate", "--label", "Webhook signing", "--expires", &soon], "");
    cli.ok(&["generate", "--label", "Партнёрский API", "--rotate-days", "7"], "");
    cli.ok(&["generate", "--label", "Fine for months", "--rotate-days", "180"], "");

    // Run as the timer runs it: no password, no keychain.
    let output = common::run(cli.command_without_password(&["due", "--notify"]), "");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    // Shown notifications go to the history once closed.
    assert!(dunstctl(&["close-all"]).status.success());
    let history = dunstctl(&["history"]);
    let history: serde_json::Value = serde_json::from_slice(&history.stdout).unwrap();
    let notes = history["data"][0].as_array().unwrap();
    let ours: Vec<&serde_json::Value> = notes.iter().filter(|n| n["appname"]["data"] == "Keydesk").collect();
    assert_eq!(ours.len(), 1, "one notification: {history}");
    assert_eq!(ours[0]["summary"]["data"], "Keydesk: 2 keys are due");
    let body = ours[0]["body"]["data"].as_str().unwrap();
    assert!(body.contains("Webhook signing: expires in 2 days"), "{body}");
    assert!(body.contains("Партнёрский API: rotation due in 7 days"), "{body}");
    assert!(!body.contains("Fine for months"), "{body}");

    // (In the same test: one daemon owns the bus name at a time.)
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    cli.ok(&["generate", "--label", "Fine for months", "--rotate-days", "180"], "");
    let before = dunstctl(&["count", "history"]).stdout;
    assert!(cli.ok(&["due", "--notify"], "").starts_with("Nothing is due"));
    assert!(dunstctl(&["close-all"]).status.success());
    assert_eq!(dunstctl(&["count", "history"]).stdout, before, "nothing due, nothing posted");

    // Due, but no session bus: said in one sentence, and not a success.
    cli.ok(&["generate", "--label", "Weekly", "--rotate-days", "3"], "");
    let mut command = cli.command(&["due", "--notify"]);
    command.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/keydesk-test-bus");
    let output = common::run(command, "");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Could not post the desktop notification"), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("Weekly"), "the list is still printed");
}
