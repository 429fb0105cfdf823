//! The whole path of a fill, each part real: the `keydesk` window under Xvfb and openbox
//! (unlocked by typing, as a person does), Debian's Chromium in headless mode with the
//! extension loaded and driven over its DevTools protocol (tests/browser/drive.py), the
//! native host started by Chromium from its manifest, and a local https "CRM settings" page
//! holding a React-like controlled input (tests/browser/crm_page.py). The toolbar button's
//! popup is driven too: it fills, and it proposes a page for a key's integrations, which the
//! window adds on Enter only.
//!
//! Skipped (with a line saying so) where Chromium, python3 or openssl is missing, unless
//! KEYDESK_REQUIRE_DISPLAY=1 (scripts/test.sh), which makes each of them required.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]
#![allow(clippy::disallowed_methods, reason = "tests read the real clock")]

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const CHROMIUM: &str = "/usr/bin/chromium";
const HERE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser");

/// A child process killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _gone = self.0.kill();
        let _reaped = self.0.wait();
    }
}

fn available() -> bool {
    let required = std::env::var_os("KEYDESK_REQUIRE_DISPLAY").is_some_and(|v| v == "1");
    let missing: Vec<&str> = [
        ("DISPLAY", std::env::var_os("DISPLAY").is_some()),
        (CHROMIUM, Path::new(CHROMIUM).exists()),
        ("python3", Command::new("python3").arg("--version").output().is_ok()),
        ("openssl", Command::new("openssl").arg("version").output().is_ok()),
        ("xdotool", Command::new("xdotool").arg("version").output().is_ok()),
    ]
    .into_iter()
    .filter_map(|(what, there)| (!there).then_some(what))
    .collect();
    assert!(!required || missing.is_empty(), "KEYDESK_REQUIRE_DISPLAY=1 but missing: {missing:?}");
    if !missing.is_empty() {
        eprintln!("skipped: missing {missing:?} (scripts/test.sh installs them)");
    }
    missing.is_empty()
}

/// The CRM's page server: https with a throw-away certificate, or plain http.
fn page_server(dir: &Path, tls: bool) -> (Running, u16) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    if tls && !cert.exists() {
        let made = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=crm.example.test",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(made.success(), "openssl made a certificate");
    }
    let mut command = Command::new("python3");
    command.arg(format!("{HERE}/crm_page.py"));
    if tls {
        command.arg(&cert).arg(&key);
    } else {
        command.args(["-", "-"]);
    }
    let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let port = line.trim().strip_prefix("ready ").unwrap().parse().unwrap();
    (Running(child), port)
}

/// Runs the browser over `urls` (`action`: "offers", "fill" or "tested"); one report a page.
fn browse(run: &Path, profile: &Path, action: &str, urls: &[String]) -> Vec<Value> {
    let output = Command::new("timeout")
        .arg("120")
        .arg("python3")
        .arg(format!("{HERE}/drive.py"))
        .arg(CHROMIUM)
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/extension"))
        .arg(profile)
        .arg(action)
        .args(urls)
        .env("XDG_RUNTIME_DIR", run)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the browser run failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        std::fs::read_to_string(profile.join("chromium.log")).unwrap_or_default()
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn xdotool(args: &[&str]) -> String {
    let output = Command::new("xdotool").args(args).output().unwrap();
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = probe() {
            return value;
        }
        // A bound for a wait that never ends, not a measure of speed: the machine may be busy.
        assert!(start.elapsed() < Duration::from_secs(180), "waited 180 s for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn clipboard() -> Option<String> {
    let out = Command::new("timeout")
        .args(["5", "xclip", "-o", "-selection", "clipboard"])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The first line of the list the mark shows on the page.
fn said(report: &Value) -> String {
    report["list"][0].as_str().unwrap_or_default().to_owned()
}

#[test]
fn a_key_is_filled_into_its_integrations_page_in_chromium_and_nowhere_else() {
    if !available() {
        return;
    }
    let cli = common::Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    let base = cli.dir.path();
    let (run, profile, config) = (base.join("run"), base.join("chromium"), base.join("config"));
    std::fs::create_dir_all(profile.join("NativeMessagingHosts")).unwrap();
    std::fs::create_dir_all(&config).unwrap();
    std::fs::create_dir(&run).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
    // The host as `keydesk browser install` sets it up: a script running this build's
    // `keydesk browser-host`, named by the manifest in the profile's host folder.
    let script = base.join("keydesk-browser-host");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nexec {} browser-host \"$@\"\n", env!("CARGO_BIN_EXE_keydesk")),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let manifest: Value =
        serde_json::from_str(include_str!("../../packaging/browser/app.keydesk.host.chromium.json"))
            .map(|mut manifest: Value| {
                manifest["path"] = Value::String(script.display().to_string());
                manifest
            })
            .unwrap();
    std::fs::write(profile.join("NativeMessagingHosts/app.keydesk.host.json"), manifest.to_string()).unwrap();

    let (_https, port) = page_server(base, true);
    let (_http, plain_port) = page_server(base, false);
    let page = format!("https://crm.example.test:{port}/settings");
    let key = common::sendgrid_key();
    cli.ok(&["add", "--label", "CRM mail", "--integration", &format!("CRM={page}")], &format!("{key}\n"));
    let shop_key = common::sendgrid_key();
    let shop = format!("https://shop.example.test:{port}/api");
    cli.ok(
        &["add", "--label", "Shop mail", "--integration", &format!("Shop={shop}")],
        &format!("{shop_key}\n"),
    );
    // The leak guard, off unless turned on (checked with a paste below).
    assert!(cli.ok(&["browser", "guard"], "").starts_with("The leak guard is off"));
    assert!(cli.ok(&["browser", "guard", "on"], "").starts_with("The leak guard is on"));

    // The window, locked: a click on the page's mark says to unlock and brings it forward.
    let (window, xid) = open_window(&cli, &run, &config);
    let locked = browse(&run, &profile, "offers", std::slice::from_ref(&page));
    assert_eq!(said(&locked[0]), "Unlock Keydesk first: its window is in front of you now.", "{locked:?}");

    unlock(&xid);
    // The first request of this browser is put to the user; Enter allows it.
    let asked = wait_for("the unlock", || {
        let report = browse(&run, &profile, "offers", std::slice::from_ref(&page)).remove(0);
        (!said(&report).starts_with("Unlock Keydesk first")).then_some(report)
    });
    assert!(said(&asked).contains("answer there, then click again"), "{asked}");
    xdotool(&["windowactivate", "--sync", &xid]);
    xdotool(&["key", "--window", &xid, "Return"]);
    std::thread::sleep(Duration::from_millis(500));

    let before = clipboard();
    let filled = browse(&run, &profile, "fill", std::slice::from_ref(&page)).remove(0);
    assert_eq!(filled["list"][0], "CRM mail (SendGrid) · CRM", "{filled}");
    assert_eq!(filled["value"], key.as_str(), "the field holds the key: {filled}");
    assert_eq!(filled["seen_by_page"], serde_json::json!([key]), "the page's own handler saw it once");
    assert_eq!(clipboard(), before, "the clipboard was not touched");
    assert_ne!(clipboard().as_deref(), Some(key.as_str()));
    eprintln!("click to filled field: {} ms", filled["fill_ms"]);

    // The leak guard: the CRM key pasted (Ctrl+V, a trusted paste) into the shop's page, not
    // one of its integrations, is named beside the field, and the paste goes ahead; pasted
    // into its own integration's page, it is not. X's clipboard is as before: the test put
    // the key on headless Chromium's own clipboard, and Keydesk put nothing anywhere.
    let pasted = browse(&run, &profile, &format!("paste={key}"), &[shop.clone(), page.clone()]);
    assert_eq!(pasted[0]["clipboard"], "written", "{:?}", pasted[0]);
    assert_eq!(pasted[0]["value"], key.as_str(), "the paste went ahead: {:?}", pasted[0]);
    assert_eq!(
        pasted[0]["notice"],
        serde_json::json!(["Keydesk: This is CRM mail; shop.example.test is not one of its integrations."]),
        "{:?}",
        pasted[0]
    );
    assert_eq!(pasted[1]["value"], key.as_str(), "{:?}", pasted[1]);
    assert_eq!(pasted[1]["notice"], serde_json::json!([]), "its own integration's page: {:?}", pasted[1]);
    assert_eq!(clipboard(), before, "the clipboard was not touched");

    // A lookalike host, an http page and another integration's page: no CRM key.
    let elsewhere = [
        format!("https://crm.example.test.evil.example:{port}/settings"),
        format!("http://crm.example.test:{plain_port}/settings"),
        shop.clone(),
    ];
    let reports = browse(&run, &profile, "offers", &elsewhere);
    assert!(said(&reports[0]).starts_with("Keydesk has no key for this page"), "{:?}", reports[0]);
    assert_eq!(reports[1]["mark"], false, "no mark on an http page: {:?}", reports[1]);
    assert_eq!(reports[2]["list"], serde_json::json!(["Shop mail (SendGrid) · Shop"]), "{:?}", reports[2]);

    // The toolbar button offers the same key on the integration's page.
    let popup = browse(&run, &profile, "popup", std::slice::from_ref(&page)).remove(0);
    assert_eq!(popup["popup"], serde_json::json!(["CRM mail (SendGrid) · CRM"]), "{popup}");

    // A page no key is offered on, proposed for "Shop mail" from the toolbar button: the
    // window asks; Escape there cancels and nothing is added.
    let wiki = format!("https://wiki.example.test:{port}/settings");
    let wiki_origin = format!("https://wiki.example.test:{port}");
    let proposed = propose(&run, &profile, &wiki);
    assert_eq!(proposed["popup"][0], "Keydesk has no key for this page.", "{proposed}");
    assert_eq!(
        proposed["said"],
        format!(
            "Keydesk asks in its window whether to add {wiki_origin} to the integrations of \"Shop mail\": answer there, then click again."
        ),
        "{proposed}"
    );
    answer_in_window(&xid, "Escape");
    let cancelled = browse(&run, &profile, "popup", std::slice::from_ref(&wiki)).remove(0);
    assert_eq!(cancelled["popup"][0], "Keydesk has no key for this page.", "{cancelled}");

    // Proposed again and confirmed with Enter: the key is offered there and the toolbar
    // button fills it into the focused field.
    propose(&run, &profile, &wiki);
    answer_in_window(&xid, "Return");
    let before = clipboard();
    let filled = browse(&run, &profile, "popup-fill", std::slice::from_ref(&wiki)).remove(0);
    assert_eq!(filled["popup"], serde_json::json!(["Shop mail (SendGrid) · wiki.example.test"]), "{filled}");
    assert_eq!(filled["value"], shop_key.as_str(), "the field holds the key: {filled}");
    assert_eq!(filled["seen_by_page"], serde_json::json!([shop_key]), "the page's own handler saw it once");
    assert_eq!(filled["popup_after"], serde_json::json!(["Filled \"Shop mail\" into the page's field."]));
    assert_eq!(clipboard(), before, "the clipboard was not touched");
    eprintln!("toolbar button, click to filled field: {} ms", filled["fill_ms"]);

    // The fill is on record, with where it went.
    drop(window);
    let audit = cli.ok(&["audit"], "");
    let fill = audit
        .lines()
        .find(|line| line.contains(" fill ") && line.contains("into CRM at"))
        .unwrap_or_else(|| panic!("{audit}"));
    assert!(
        fill.contains(&format!(
            "into CRM at https://crm.example.test:{port}, from Chromium (profile folder "
        )),
        "{fill}"
    );
    assert!(audit.contains("allowed Chromium (profile folder "), "{audit}");
    let warned: Vec<&str> = audit.lines().filter(|line| line.contains(" paste-warning ")).collect();
    assert_eq!(warned.len(), 1, "one warning, on the shop's page only: {audit}");
    assert!(
        warned[0].contains(&format!(
            "pasted into https://shop.example.test:{port}, not one of its integrations, from Chromium (profile folder "
        )),
        "{audit}"
    );
    let added: Vec<&str> = audit.lines().filter(|line| line.contains("added integration")).collect();
    assert_eq!(added.len(), 1, "added once, on Enter only: {audit}");
    assert!(
        added[0].contains(&format!(
            "added integration wiki.example.test at {wiki_origin}, proposed from Chromium"
        )),
        "{audit}"
    );
    // And in the key's own history.
    let shown = cli.ok(&["show", "CRM mail"], "");
    let history = shown.split_once("History:").map(|(_, lines)| lines).unwrap_or_default();
    assert!(
        history.contains(&format!("into CRM at https://crm.example.test:{port}, from Chromium")),
        "{shown}"
    );

    // A rotation: the new key is offered first and filled, which ticks CRM "updated"; the
    // list then offers "Mark as tested", which ticks "tested" in the window's checklist.
    let new_key = common::sendgrid_key();
    cli.ok(&["rotate", "CRM mail"], &format!("{new_key}\n"));
    let (window, xid) = open_window(&cli, &run, &config);
    unlock(&xid);
    let listed = wait_for("the unlock", || {
        let report = browse(&run, &profile, "offers", std::slice::from_ref(&page)).remove(0);
        said(&report).starts_with("CRM mail").then_some(report)
    });
    assert_eq!(said(&listed), "CRM mail (SendGrid) · CRM — new key (rotation)", "{listed}");
    let filled = browse(&run, &profile, "fill", std::slice::from_ref(&page)).remove(0);
    assert_eq!(filled["value"], new_key.as_str(), "the new key is filled: {filled}");
    let tested = browse(&run, &profile, "tested", std::slice::from_ref(&page)).remove(0);
    assert!(
        tested["list"]
            .as_array()
            .unwrap()
            .iter()
            .any(|item| item == "Mark as tested: CRM works with the new key"),
        "{tested}"
    );
    let marked = tested["said"].as_str().unwrap_or_else(|| panic!("no answer: {tested}"));
    assert!(marked.starts_with("CRM is marked tested with the new key \"CRM mail\""), "{tested}");
    drop(window);
    let status: Value =
        serde_json::from_str(&cli.ok(&["rotate", "CRM mail", "--status", "--json"], "")).unwrap();
    let crm = &status["integrations"][0];
    assert!(crm["updated_at"].is_string() && crm["tested_at"].is_string(), "{status}");
}

/// Proposes the page at `url` for "Shop mail" from the toolbar button.
fn propose(run: &Path, profile: &Path, url: &str) -> Value {
    let proposed = browse(run, profile, "popup-propose=Shop mail", &[url.to_owned()]).remove(0);
    assert!(
        proposed["keys"].as_array().unwrap().iter().any(|key| key == "Add to Shop mail (SendGrid)"),
        "{proposed}"
    );
    proposed
}

/// Presses `key` in the window (Return or Escape: its question's answer).
fn answer_in_window(xid: &str, key: &str) {
    xdotool(&["windowactivate", "--sync", xid]);
    xdotool(&["key", "--window", xid, key]);
    std::thread::sleep(Duration::from_millis(500));
}

/// Starts the `keydesk` window on the test's vault and answers it with its X window id.
fn open_window(cli: &common::Cli, run: &Path, config: &Path) -> (Running, String) {
    // A window stopped before left its socket file: gone, so the wait below is for this one.
    let _none_yet = std::fs::remove_file(run.join("keydesk/browser.sock"));
    let window = Running(
        Command::new(env!("CARGO_BIN_EXE_keydesk"))
            .arg("--vault")
            .arg(&cli.vault)
            .env("XDG_RUNTIME_DIR", run)
            .env("XDG_CONFIG_HOME", config)
            .env_remove("KEYDESK_PASSWORD_FILE")
            .stderr(std::fs::File::create(cli.dir.path().join("window.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    let xid = wait_for("the window", || {
        Some(xdotool(&["search", "--name", "^Keydesk$"])).filter(|id| !id.is_empty() && !id.contains('\n'))
    });
    wait_for("the socket", || run.join("keydesk/browser.sock").exists().then_some(()));
    (window, xid)
}

/// Unlocks the window by typing the password, as a person does.
fn unlock(xid: &str) {
    xdotool(&["windowactivate", "--sync", xid]);
    std::thread::sleep(Duration::from_millis(500));
    xdotool(&["type", "--window", xid, "--delay", "20", common::PASSWORD]);
    xdotool(&["key", "--window", xid, "Return"]);
}
