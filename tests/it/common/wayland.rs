//! A real headless Wayland compositor for a test, and the Wayland clipboard read from outside
//! with `wl-paste`, as a person's paste would see it.
//!
//! sway (wlroots: wlr-data-control) stands for the desktops whose clipboard a program in the
//! background may use; weston (no data-control protocol) for those where only the focused
//! window may. Each test starts its own, on a socket in a private runtime folder, so the
//! Wayland tests need no serial group. sway refuses to run as root: under root it runs as the
//! unprivileged `keydesk-wayland` user, made here when missing.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The user sway runs as when the tests run as root.
const TEST_USER: &str = "keydesk-wayland";

/// A running compositor; killed when dropped.
pub struct Compositor {
    child: Child,
    /// Its XDG_RUNTIME_DIR, which holds its socket.
    runtime: tempfile::TempDir,
    socket: String,
}

impl Drop for Compositor {
    fn drop(&mut self) {
        let _killed = self.child.kill();
        let _reaped = self.child.wait();
    }
}

impl Compositor {
    /// sway, headless; `None` (said loudly) when it cannot start for a reason outside Keydesk.
    /// A missing `sway` fails under scripts/test.sh (`KEYDESK_REQUIRE_DISPLAY=1`), which
    /// installs it.
    pub fn sway() -> Option<Compositor> {
        if !installed("sway") || !installed("wl-paste") {
            return skip("sway and wl-paste (Debian: sway, wl-clipboard) are not installed");
        }
        let runtime = runtime_dir()?;
        let config = runtime.path().join("config");
        // No XWayland: the tests are about a Wayland session without X11.
        std::fs::write(&config, "xwayland disable\n").unwrap();
        let mut command = as_test_user(runtime.path())?;
        command
            .arg("sway")
            .arg("--config")
            .arg(&config)
            .env("WLR_BACKENDS", "headless")
            .env("WLR_LIBINPUT_NO_DEVICES", "1");
        Self::start(command, runtime, "sway")
    }

    /// weston, headless: a compositor with no data-control protocol.
    pub fn weston() -> Option<Compositor> {
        if !installed("weston") {
            return skip("weston (Debian: weston) is not installed");
        }
        let runtime = runtime_dir()?;
        let mut command = as_test_user(runtime.path())?;
        command.args(["weston", "--backend=headless-backend.so", "--socket=wayland-1", "--idle-time=0"]);
        Self::start(command, runtime, "weston")
    }

    fn start(mut command: Command, runtime: tempfile::TempDir, name: &str) -> Option<Compositor> {
        let log = runtime.path().join("compositor.log");
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut compositor = Compositor { child, runtime, socket: String::new() };
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Some(socket) = socket_in(compositor.runtime.path()) {
                compositor.socket = socket;
                return Some(compositor);
            }
            if let Ok(Some(status)) = compositor.child.try_wait() {
                let said = std::fs::read_to_string(&log).unwrap_or_default();
                return skip(&format!("{name} exited ({status}) before it listened:\n{said}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let said = std::fs::read_to_string(&log).unwrap_or_default();
        skip(&format!("{name} did not listen within 15 s:\n{said}"))
    }

    /// `command` told to use this compositor alone: its socket, no X11 display.
    pub fn env<'a>(&self, command: &'a mut Command) -> &'a mut Command {
        command
            .env("WAYLAND_DISPLAY", &self.socket)
            .env("XDG_RUNTIME_DIR", self.runtime.path())
            .env_remove("DISPLAY")
    }

    /// What `wl-paste` pastes (`args` such as `--list-types`), or `None` when the clipboard is
    /// empty or cannot be read.
    pub fn paste(&self, args: &[&str]) -> Option<String> {
        let mut command = Command::new("timeout");
        command.args(["5", "wl-paste", "--no-newline"]).args(args);
        let output = self.env(&mut command).stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
        output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Waits (up to 10 s) until the clipboard holds `wanted` or stops holding it.
    pub fn wait_for(&self, wanted: &str, present: bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.paste(&[]).is_some_and(|t| t == wanted) == present {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }
}

fn skip<T>(why: &str) -> Option<T> {
    let required = std::env::var_os("KEYDESK_REQUIRE_DISPLAY").is_some_and(|v| v == "1");
    assert!(!required || !why.contains("not installed"), "KEYDESK_REQUIRE_DISPLAY=1 but {why}");
    eprintln!("\n!!!!!!!! SKIPPED, the Wayland clipboard was NOT tested: {why}\n");
    None
}

fn installed(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The compositor's own XDG_RUNTIME_DIR (mode 0700), owned by the user it runs as.
fn runtime_dir() -> Option<tempfile::TempDir> {
    let dir = tempfile::Builder::new().prefix("keydesk-wayland-").tempdir().unwrap();
    if nix::unistd::geteuid().is_root() {
        let user = test_user()?;
        nix::unistd::chown(dir.path(), Some(user.uid), Some(user.gid)).unwrap();
    }
    Some(dir)
}

/// A command that runs as the test user under root (else as this user), in a clean
/// environment, and dies with the test.
fn as_test_user(runtime: &Path) -> Option<Command> {
    let mut command = Command::new("setpriv");
    command.arg("--pdeathsig=KILL");
    if nix::unistd::geteuid().is_root() {
        let user = test_user()?;
        command
            .args([format!("--reuid={}", user.uid), format!("--regid={}", user.gid)])
            .arg("--clear-groups");
    }
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()))
        .env("HOME", runtime)
        .env("XDG_RUNTIME_DIR", runtime);
    Some(command)
}

/// The unprivileged user for the compositor, made (without a home) when missing.
fn test_user() -> Option<nix::unistd::User> {
    if let Ok(Some(user)) = nix::unistd::User::from_name(TEST_USER) {
        return Some(user);
    }
    // Two tests may race to make it; either one's user will do.
    let _made = Command::new("useradd")
        .args(["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER])
        .stderr(Stdio::null())
        .status();
    match nix::unistd::User::from_name(TEST_USER) {
        Ok(Some(user)) => Some(user),
        _ => skip(&format!("running as root, and the user {TEST_USER} could not be made (useradd)")),
    }
}

/// The name of the Wayland socket in `dir`, once there is one.
fn socket_in(dir: &Path) -> Option<String> {
    use std::os::unix::fs::FileTypeExt;
    let entries = std::fs::read_dir(dir).ok()?;
    entries.flatten().find_map(|entry| {
        let name = entry.file_name().into_string().ok()?;
        let socket = entry.file_type().ok()?.is_socket();
        (socket && name.starts_with("wayland-")).then_some(name)
    })
}
