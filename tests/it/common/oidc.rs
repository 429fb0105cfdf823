//! The OpenID provider of the company-login tests (panva's oidc-provider, tests/oidc/provider.mjs,
//! installed by scripts/test.sh) on a loopback port, and the "browser" that signs in on it
//! (tests/oidc/login.py), as the command line's and the window's tests use them.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail the test loudly")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The folder of provider.mjs and login.py.
pub const HERE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc");

/// The provider's node_modules scripts/test.sh installed.
pub fn modules() -> PathBuf {
    let path = std::env::var_os("KEYDESK_TEST_OIDC_MODULES").map(PathBuf::from).expect(
        "KEYDESK_TEST_OIDC_MODULES is not set: run the tests with scripts/test.sh, which installs the OpenID provider and sets it",
    );
    assert!(path.join("oidc-provider").is_dir(), "no oidc-provider in {}", path.display());
    path
}

/// The OpenID provider, stopped when dropped.
pub struct Provider {
    child: Child,
    pub port: u16,
    pub url: String,
    dir: tempfile::TempDir,
    /// Its standard output, held open: the provider's notices after "ready" go there.
    _stdout: std::io::BufReader<std::process::ChildStdout>,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _gone = self.child.kill();
        let _reaped = self.child.wait();
    }
}

impl Provider {
    /// The provider's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The provider on a free loopback port, with OpenBao's client (`secret`) and the groups
    /// of each person ("bo=marketing;cy=readers").
    pub fn start(secret: &str, groups: &str) -> Provider {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Provider::start_on(port, secret, groups)
    }

    /// [`Provider::start`] on `port` (the one a stopped provider had, which the server knows).
    pub fn start_on(port: u16, secret: &str, groups: &str) -> Provider {
        // The script is run from a folder whose node_modules is the installed one.
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(format!("{HERE}/provider.mjs"), dir.path().join("provider.mjs")).unwrap();
        std::fs::write(dir.path().join("package.json"), "{\"type\": \"module\"}\n").unwrap();
        std::os::unix::fs::symlink(modules(), dir.path().join("node_modules")).unwrap();
        let log = std::fs::File::create(dir.path().join("provider.log")).unwrap();
        let mut child = Command::new("node")
            .arg(dir.path().join("provider.mjs"))
            .arg(port.to_string())
            .env("OIDC_CLIENT_SECRET", secret)
            .env("KEYDESK_TEST_OIDC_GROUPS", groups)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut ready = String::new();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        std::io::BufRead::read_line(&mut stdout, &mut ready).unwrap();
        let provider =
            Provider { child, port, url: format!("http://127.0.0.1:{port}"), dir, _stdout: stdout };
        assert_eq!(ready.trim(), "ready", "{}", provider.log());
        provider
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("provider.log")).unwrap_or_default()
    }
}

/// A browser for Keydesk's company sign-ins (the program `$KEYDESK_BROWSER` names): a script in
/// `dir` that does what the file `dir/browser-mode` says at each sign-in — a person's name (the
/// provider's login form filled as them, by login.py), `cancel` (the person presses the login
/// page's Cancel), `stop:PID:NAME` (NAME signs in, and the process PID — the provider — is
/// stopped before the browser comes back to Keydesk), or `none` (nothing opens, as when the
/// user looks away). What it saw goes
/// to `dir/browser.log`.
pub fn browser(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("browser.sh");
    let mode = dir.join("browser-mode");
    let log = dir.join("browser.log");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nmode=$(cat '{mode}')\ncase $mode in\n  none) exit 0 ;;\n  cancel) KEYDESK_TEST_OIDC_ACTION=cancel KEYDESK_TEST_OIDC_USER=nobody ;;\n  stop:*) KEYDESK_TEST_OIDC_STOP_PID=${{mode#stop:}}; KEYDESK_TEST_OIDC_STOP_PID=${{KEYDESK_TEST_OIDC_STOP_PID%%:*}}; KEYDESK_TEST_OIDC_USER=${{mode##*:}} ;;\n  *) KEYDESK_TEST_OIDC_USER=$mode ;;\nesac\nexport KEYDESK_TEST_OIDC_ACTION KEYDESK_TEST_OIDC_USER KEYDESK_TEST_OIDC_STOP_PID\nKEYDESK_TEST_OIDC_LOG='{log}' exec python3 '{HERE}/login.py' \"$1\"\n",
            mode = mode.display(),
            log = log.display(),
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    set_browser_mode(dir, "none");
    script
}

/// What the next sign-in of [`browser`]'s script does.
pub fn set_browser_mode(dir: &Path, mode: &str) {
    std::fs::write(dir.join("browser-mode"), mode).unwrap();
}

/// What [`browser`]'s script saw.
pub fn browser_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("browser.log")).unwrap_or_default()
}
