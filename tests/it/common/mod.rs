//! Helpers shared by the integration tests.
#![allow(
    clippy::disallowed_methods,
    reason = "tests and tools read the real clock and start their own threads"
)]
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail the test loudly")]

use std::io::Write;
pub mod aws_model;
pub mod bao;
pub mod bus;
pub mod clipboard;
pub mod kills;
pub mod ldap;
pub mod mock;
pub mod oidc;
pub mod openapi;
#[cfg(target_os = "linux")]
pub mod wayland;
pub mod window;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use chrono::{DateTime, Utc};
use keydesk::secrets::memory::MemoryStore;
use keydesk::storage::MemoryStorage;
use keydesk::vault::crypto::KdfParams;
use keydesk::vault::model::SecretBackend;
use keydesk::vault::{Clock, CreateOptions, Env, Vault};
use secrecy::SecretString;
use std::sync::{Arc, Mutex};

pub const PASSWORD: &str = "correct horse battery staple";

/// A clock the test moves by hand.
#[derive(Clone)]
pub struct TestClock(pub Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn new() -> Self {
        TestClock(Arc::new(Mutex::new(
            DateTime::parse_from_rfc3339("2026-11-01T09:00:00Z").unwrap().to_utc(),
        )))
    }
    pub fn advance_secs(&self, secs: i64) {
        *self.0.lock().unwrap() += chrono::Duration::seconds(secs);
    }
    pub fn advance_days(&self, days: i64) {
        *self.0.lock().unwrap() += chrono::Duration::days(days);
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// The OS's randomness for a team vault's connection, as the front ends give it.
pub fn entropy() -> keydesk::vault::EntropySource {
    std::sync::Arc::new(|| Box::new(keydesk::vault::os_rng()))
}

pub fn rng(seed: u64) -> Box<rand::rngs::StdRng> {
    Box::new(rand::SeedableRng::seed_from_u64(seed))
}

/// An in-memory vault with the cheapest accepted KDF, and handles to look inside.
pub struct Fixture {
    pub vault: Vault,
    pub store: MemoryStore,
    pub storage: MemoryStorage,
    pub clock: TestClock,
}

pub fn fixture() -> Fixture {
    let store = MemoryStore::new();
    let storage = MemoryStorage::new();
    let clock = TestClock::new();
    let env = Env {
        store: Box::new(store.clone()),
        storage: Box::new(storage.clone()),
        clock: Box::new(clock.clone()),
        rng: rng(42),
    };
    let vault = Vault::create(
        env,
        &SecretString::from(PASSWORD),
        CreateOptions { backend: SecretBackend::Keychain, kdf: KdfParams::MIN },
    )
    .unwrap();
    Fixture { vault, store, storage, clock }
}

impl Fixture {
    /// Locks and unlocks again from the last saved text, with the same store and storage.
    pub fn reopen(self, password: &str) -> Result<Fixture, keydesk::vault::VaultError> {
        let Fixture { vault, store, storage, clock } = self;
        drop(vault);
        let text = storage.last_save().unwrap();
        let file = Vault::parse(&text)?;
        let env = Env {
            store: Box::new(store.clone()),
            storage: Box::new(storage.clone()),
            clock: Box::new(clock.clone()),
            rng: rng(43),
        };
        let vault = Vault::unlock(env, file, &text, &SecretString::from(password))?;
        Ok(Fixture { vault, store, storage, clock })
    }
}

/// Random characters from `alphabet` (test keys are made at run time, never written down).
pub fn random_chars(alphabet: &str, n: usize) -> String {
    use rand::RngExt;
    let chars: Vec<char> = alphabet.chars().collect();
    let mut rng = rand::rng();
    (0..n).map(|_| chars[rng.random_range(0..chars.len())]).collect()
}

pub const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub const HEX: &str = "0123456789abcdef";

pub fn sendgrid_key() -> String {
    format!("SG.{}.{}", random_chars(ALNUM, 22), random_chars(ALNUM, 43))
}

/// A Postmark-style token (a UUID made of random hex).
pub fn uuid_like() -> String {
    let group = |n| random_chars(HEX, n);
    format!("{}-{}-{}-{}-{}", group(8), group(4), group(4), group(4), group(12))
}

pub fn mailchimp_key() -> String {
    format!("{}-us14", random_chars(HEX, 32))
}

/// The `keydesk` binary with a vault folder and password file.
pub struct Cli {
    pub dir: tempfile::TempDir,
    pub vault: PathBuf,
    pub password_file: PathBuf,
}

impl Cli {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("vault");
        let password_file = dir.path().join("password");
        std::fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&password_file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        Cli { dir, vault, password_file }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        self.command_on(&self.vault, args)
    }

    /// [`Cli::command`] on another vault folder, with this one's password file.
    pub fn command_on(&self, vault: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_keydesk"));
        command
            .arg("--vault")
            .arg(vault)
            .arg("--password-file")
            .arg(&self.password_file)
            .args(args)
            .env_remove("KEYDESK_VAULT")
            .env_remove("KEYDESK_PASSWORD_FILE");
        command
    }

    /// A command on this vault with no password file (what reading metadata needs).
    pub fn command_without_password(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_keydesk"));
        command.arg("--vault").arg(&self.vault).args(args).env_remove("KEYDESK_PASSWORD_FILE");
        command
    }

    /// Runs `args` with no password file and no session bus (so no keychain either), insists
    /// on success and returns stdout.
    pub fn ok_without_password_or_keychain(&self, args: &[&str]) -> String {
        let mut command = self.command_without_password(args);
        command.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/keydesk-test-bus");
        let output = run(command, "");
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    /// `keydesk init` at the cheapest key-derivation cost Keydesk accepts (for tests that run
    /// hundreds of commands), with `more` arguments (such as the secret store).
    pub fn init_cheap(&self, more: &[&str]) -> String {
        let mut args = vec!["init", "--kdf-memory-mib", "19", "--kdf-iterations", "2", "--kdf-lanes", "1"];
        args.extend_from_slice(more);
        self.ok(&args, "")
    }

    /// Runs with `stdin` and returns the output.
    pub fn run_with(&self, args: &[&str], stdin: &str) -> Output {
        run(self.command(args), stdin)
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, "")
    }

    /// Runs and insists on success; returns stdout.
    pub fn ok(&self, args: &[&str], stdin: &str) -> String {
        let output = self.run_with(args, stdin);
        assert!(
            output.status.success(),
            "keydesk {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Snapshot of every file in the vault folder (name → bytes).
    pub fn files(&self) -> Vec<(String, Vec<u8>)> {
        snapshot(&self.vault)
    }
}

pub fn run(mut command: Command, stdin: &str) -> Output {
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .flatten()
            .filter(|e| e.file_name() != "vault.lock")
            .map(|e| {
                (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap_or_default())
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

/// Whether the tests must find a working OS keychain (set by scripts/test.sh).
pub fn keychain_required() -> bool {
    std::env::var_os("KEYDESK_REQUIRE_KEYCHAIN").is_some_and(|v| v == "1")
}

/// 200 generates, each killed with SIGKILL at a random moment (or let finish): the vault
/// always opens, `check` finds at most orphaned secrets (repaired), and every generate that
/// reported success is still there. The moment is drawn up to twice as long as a generate
/// takes on this machine (measured first, at least `shortest_wait_ms`, then following how the
/// runs end), so about half are killed however fast the machine is.
pub fn kill_soak(cli: &Cli, rounds: usize, seed: u64, shortest_wait_ms: u64) {
    use rand::RngExt;
    let mut rng = rng(seed);
    let mut acknowledged = Vec::new();
    let mut taken = Vec::new();
    for round in 0..3 {
        let label = format!("Timed {round}");
        let started = std::time::Instant::now();
        cli.ok(&["generate", "--label", &label], "");
        taken.push(started.elapsed());
        acknowledged.push(label);
    }
    taken.sort();
    let longest_wait_ms = u64::try_from(taken[1].as_millis() * 2).unwrap_or(u64::MAX).max(shortest_wait_ms);
    // The moment follows the machine as it runs: a run that ended before its kill shortens
    // the next waits, a run killed lengthens them, so about half are killed even when the
    // machine slows down or speeds up (another test run beside this one) after the measure.
    let mut longest_wait_us = longest_wait_ms * 1000;
    let mut killed = 0;
    for round in 0..rounds {
        let label = format!("Soak {round}");
        let mut child = cli
            .command(&["generate", "--label", &label])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_micros(rng.random_range(0..longest_wait_us)));
        if child.try_wait().unwrap().is_none() {
            let _already_gone = child.kill();
            killed += 1;
            longest_wait_us = (longest_wait_us + longest_wait_us / 10).min(longest_wait_ms * 4000);
        } else {
            longest_wait_us = (longest_wait_us - longest_wait_us / 10).max(1000);
        }
        let output = child.wait_with_output().unwrap();
        if output.status.success() {
            acknowledged.push(label);
        }
    }
    // Loadable, and nothing worse than orphans (a secret stored before its metadata).
    let check = cli.run(&["check"]);
    if !check.status.success() {
        let said = String::from_utf8_lossy(&check.stdout);
        assert!(
            said.lines().all(|l| !l.starts_with("Missing")
                && !l.starts_with("Integrity")
                && !l.contains("Audit log: audit")),
            "{said}"
        );
        cli.ok(&["check", "--repair"], "");
    }
    assert!(cli.ok(&["check"], "").contains("Everything is in order."));
    let list = cli.ok(&["list", "--json"], "");
    for label in &acknowledged {
        assert!(list.contains(&format!("\"{label}\"")), "an acknowledged edit was lost: {label}");
    }
    eprintln!("{rounds} rounds: {killed} killed mid-run, {} acknowledged and kept", acknowledged.len());
    assert!(killed > rounds / 4, "the soak must really kill ({killed} of {rounds})");
}

/// Every file under `dir` (and its folders), with its bytes.
pub fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push((path.clone(), std::fs::read(&path).unwrap_or_default()));
        }
    }
    found
}

/// Whether `text` holds something shaped like an OpenBao service token ("s." and 24 letters
/// or digits).
pub fn holds_bao_token(text: &str) -> bool {
    text.match_indices("s.").any(|(at, _)| {
        let rest = &text.as_bytes()[at + 2..];
        rest.len() >= 24 && rest[..24].iter().all(u8::is_ascii_alphanumeric)
    })
}
