//! A SIGKILL at each file-system call a command makes, injected by `strace` (its syscall fault
//! injection: `-e inject=SYSCALL:signal=KILL:when=N` kills the process as it enters the Nth
//! call), for every N until the command runs to its end: the crash lands exactly between two
//! writes, at every such point, not only where a random timer happens to fall.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Output};

use super::{Cli, PASSWORD, run};

/// The calls a save, an append and a secret-store write are made of (`sendmsg` carries each
/// D-Bus message to the keychain). A kill as a file is opened is the same to the files as one
/// after the call before it.
const SYSCALLS: [&str; 12] = [
    "sendmsg",
    "writev",
    "write",
    "pwrite64",
    "fsync",
    "fdatasync",
    "ftruncate",
    "rename",
    "renameat",
    "renameat2",
    "unlink",
    "unlinkat",
];

/// More calls of one kind than a command makes.
const MOST_CALLS: usize = 3000;

const OTHER_PASSWORD: &str = "another passphrase for the kills";

/// What the kills did, for the closing note.
#[derive(Debug, Default)]
pub struct Tally {
    pub kills: usize,
    pub finished: usize,
    pub repaired_orphans: usize,
    /// Times the keychain daemon was gone after a kill and had to be started again.
    pub keychain_restarts: usize,
}

fn under_strace(cli: &Cli, args: &[String], syscall: &str, n: usize) -> Output {
    let inner = cli.command(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let mut command = Command::new("strace");
    command.args(["-f", "-qq", "-o", "/dev/null", "-e", &format!("trace={syscall}")]);
    command.arg("-e").arg(format!("inject={syscall}:signal=KILL:when={n}"));
    command.arg(inner.get_program()).args(inner.get_args());
    // The loader's search path, which cargo sets for tests, is not what a user runs with.
    command.env_remove("LD_LIBRARY_PATH");
    for (name, value) in inner.get_envs() {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    run(command, "")
}

/// The vault opens, `check` finds nothing worse than orphaned secrets (which it repairs),
/// and the password that opens it is found (a kill inside `passwd` leaves the old or the new).
fn settle(cli: &Cli, password: &mut &'static str, tally: &mut Tally) {
    let mut check = cli.run(&["check"]);
    // gnome-keyring itself has been seen to abort while its clients were being killed; the
    // test session's D-Bus then starts it again, unlocked, at the next call. What is checked
    // here is Keydesk's data, so the check is asked once more, and the tally says so.
    if String::from_utf8_lossy(&check.stdout).contains("No OS keychain is running") {
        eprintln!("the keychain went away after a kill; asking D-Bus for it again");
        tally.keychain_restarts += 1;
        std::thread::sleep(std::time::Duration::from_secs(1));
        check = cli.run(&["check"]);
    }
    if String::from_utf8_lossy(&check.stderr).contains("master password is wrong") {
        *password = if *password == PASSWORD { OTHER_PASSWORD } else { PASSWORD };
        std::fs::write(&cli.password_file, format!("{password}\n")).unwrap();
        check = cli.run(&["check"]);
    }
    if check.status.success() {
        return;
    }
    let said = String::from_utf8_lossy(&check.stdout).into_owned();
    let problems: Vec<&str> = said
        .lines()
        .filter(|l| !l.starts_with("Keys:") && !l.starts_with("Audit log: verified"))
        .filter(|l| !l.starts_with("Orphaned entry"))
        .collect();
    assert!(
        problems.is_empty(),
        "a kill left more than orphans:\n{said}\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
    tally.repaired_orphans += said.lines().filter(|l| l.starts_with("Orphaned entry")).count();
    cli.ok(&["check", "--repair"], "");
    assert!(cli.ok(&["check"], "").contains("Everything is in order."));
}

/// Every key, revoked ones too, as `keydesk list --all --json` gives them.
fn listing(cli: &Cli) -> Vec<serde_json::Value> {
    let list: serde_json::Value = serde_json::from_str(&cli.ok(&["list", "--all", "--json"], "")).unwrap();
    list.as_array().unwrap().clone()
}

fn key_status(cli: &Cli, id: &str) -> (String, String) {
    let keys = listing(cli);
    let key = keys.iter().find(|k| k["id"] == id).expect("the key is still there");
    (key["label"].as_str().unwrap().to_owned(), key["status"].as_str().unwrap().to_owned())
}

fn labels(cli: &Cli) -> Vec<String> {
    listing(cli).iter().map(|k| k["label"].as_str().unwrap().to_owned()).collect()
}

/// Runs `args` with a kill at call N of each syscall in turn, N = 1, 2, … until it finishes;
/// after each, the vault is settled and `acknowledged` checks a run that reported success.
fn each_kill(
    cli: &Cli,
    password: &mut &'static str,
    tally: &mut Tally,
    args: &dyn Fn(&str, usize) -> Vec<String>,
    acknowledged: &dyn Fn(&Cli, &str, usize, bool),
) {
    each_kill_of(&SYSCALLS, cli, password, tally, args, acknowledged);
}

fn each_kill_of(
    syscalls: &[&str],
    cli: &Cli,
    password: &mut &'static str,
    tally: &mut Tally,
    args: &dyn Fn(&str, usize) -> Vec<String>,
    acknowledged: &dyn Fn(&Cli, &str, usize, bool),
) {
    for &syscall in syscalls {
        let mut ran_to_the_end = false;
        // Every call of the first 40, then every 7th: a command that re-encrypts a hundred
        // secrets makes hundreds of keychain calls, each the same kind of step.
        for n in (1..=40).chain((47..=MOST_CALLS).step_by(7)) {
            let output = under_strace(cli, &args(syscall, n), syscall, n);
            let killed = output.status.signal() == Some(9) || output.status.code() == Some(137);
            settle(cli, password, tally);
            acknowledged(cli, syscall, n, output.status.success());
            if killed {
                tally.kills += 1;
            } else {
                assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
                tally.finished += 1;
                ran_to_the_end = true;
                break;
            }
        }
        assert!(ran_to_the_end, "{syscall}: still killed at call {MOST_CALLS}");
    }
}

/// Generate, edit, revoke, import, passwd and passwd --new-data-key, each killed at every call of
/// every syscall in [`SYSCALLS`]: every vault opens, nothing acknowledged is lost. `all`
/// false leaves out the two that write no secret (edit and a plain passwd), for a store
/// where every run costs keychain round trips.
pub fn kill_at_each_syscall(cli: &Cli, all: bool) -> Tally {
    let mut tally = Tally::default();
    let mut password: &'static str = PASSWORD;
    let other = cli.dir.path().join("other-password");

    each_kill(
        cli,
        &mut password,
        &mut tally,
        &|s, n| vec!["generate".into(), "--label".into(), format!("G {s} {n}")],
        &|cli, s, n, ok| {
            if ok {
                assert!(labels(cli).contains(&format!("G {s} {n}")), "an acknowledged generate was lost");
            }
        },
    );

    cli.ok(&["generate", "--label", "Edited"], "");
    let id = labels_id(cli, "Edited");
    let edits = if all { SYSCALLS.len() } else { 0 };
    each_kill_of(
        &SYSCALLS[..edits],
        cli,
        &mut password,
        &mut tally,
        &|s, n| vec!["edit".into(), id.clone(), "--label".into(), format!("E {s} {n}")],
        &|cli, s, n, ok| {
            let (label, _) = key_status(cli, &id);
            if ok {
                assert_eq!(label, format!("E {s} {n}"), "an acknowledged edit was lost");
            }
        },
    );

    each_kill(
        cli,
        &mut password,
        &mut tally,
        &|s, n| {
            let label = format!("R {s} {n}");
            cli.ok(&["generate", "--label", &label], "");
            vec!["revoke".into(), label, "--reason".into(), "kill test".into()]
        },
        &|cli, s, n, ok| {
            let id = labels_id(cli, &format!("R {s} {n}"));
            if ok {
                assert_eq!(key_status(cli, &id).1, "revoked", "an acknowledged revoke was lost");
            }
        },
    );

    // An import: every secret stored, then all the metadata in one save. Killed anywhere, the
    // vault holds all of the file's keys or none of them.
    let sheet = cli.dir.path().join("kill-import.csv");
    let import_labels =
        |s: &str, n: usize| -> Vec<String> { (0..3).map(|i| format!("I {s} {n} {i}")).collect() };
    each_kill(
        cli,
        &mut password,
        &mut tally,
        &|s, n| {
            let rows: String = import_labels(s, n)
                .iter()
                .enumerate()
                .map(|(i, label)| format!("{label},import-kill-{s}-{n}-{i}-value\n"))
                .collect();
            std::fs::write(&sheet, format!("label,key\n{rows}")).unwrap();
            vec!["import".into(), sheet.display().to_string(), "--yes".into()]
        },
        &|cli, s, n, ok| {
            let present = labels(cli);
            let landed = import_labels(s, n).iter().filter(|label| present.contains(label)).count();
            assert!(landed == 0 || landed == 3, "an import killed part way left {landed} of 3 keys");
            if ok {
                assert_eq!(landed, 3, "an acknowledged import was lost");
            }
        },
    );

    for new_data_key in [false, true].into_iter().filter(|&re_encrypts| all || re_encrypts) {
        each_kill(
            cli,
            &mut password,
            &mut tally,
            &|_, _| {
                let next = if std::fs::read_to_string(&cli.password_file).unwrap().trim_end() == PASSWORD {
                    OTHER_PASSWORD
                } else {
                    PASSWORD
                };
                std::fs::write(&other, format!("{next}\n")).unwrap();
                let mut args =
                    vec!["passwd".into(), "--new-password-file".into(), other.display().to_string()];
                if new_data_key {
                    args.push("--new-data-key".into());
                }
                args
            },
            &|cli, _, _, ok| {
                if ok {
                    let expected = std::fs::read_to_string(&other).unwrap();
                    let current = std::fs::read_to_string(&cli.password_file).unwrap();
                    assert_eq!(current, expected, "an acknowledged password change was lost");
                }
            },
        );
    }
    // Every secret still opens under the password that won.
    assert!(cli.ok(&["check"], "").contains("Everything is in order."));
    tally
}

fn labels_id(cli: &Cli, label: &str) -> String {
    let keys = listing(cli);
    let key = keys.iter().find(|k| k["label"] == label).expect("the key is there");
    key["id"].as_str().unwrap().to_owned()
}

/// A restore over the vault (`restore FILE --replace`) killed at every call of every syscall in
/// [`SYSCALLS`]: after each, the next command that unlocks finishes it, and the vault holds
/// the backup's keys exactly (or, killed before it wrote anything down, the keys it had).
pub fn kill_restore_at_each_syscall(cli: &Cli) -> Tally {
    let mut tally = Tally::default();
    let mut password: &'static str = PASSWORD;
    for label in ["Backed up 1", "Backed up 2", "Backed up 3"] {
        cli.ok(&["generate", "--label", label], "");
    }
    let backup = cli.dir.path().join("kill.backup");
    cli.ok(&["backup", backup.to_str().unwrap()], "");
    let mut backed_up = labels(cli);
    backed_up.sort();
    cli.ok(&["generate", "--label", "After the backup"], "");
    let mut before = labels(cli);
    before.sort();
    each_kill(
        cli,
        &mut password,
        &mut tally,
        &|_, _| vec!["restore".into(), backup.display().to_string(), "--replace".into()],
        &|cli, s, n, ok| {
            let mut now = labels(cli);
            now.sort();
            if ok {
                assert_eq!(now, backed_up, "an acknowledged restore was lost ({s} {n})");
            } else {
                assert!(now == backed_up || now == before, "a restore killed at {s} {n} left {now:?}");
            }
        },
    );
    tally
}
