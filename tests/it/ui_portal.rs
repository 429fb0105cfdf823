//! The desktop's real file chooser: `xdg-desktop-portal` with its GTK backend on a bus of the
//! test's own, the GTK dialog on the test's X display, driven with xdotool as a person would
//! (a path typed, Return), answering Keydesk's portal call (`file_chooser::choose`).
//!
//! Needs a display with a window manager, xdotool and the two portal programs; scripts/test.sh
//! sets KEYDESK_REQUIRE_DISPLAY=1, which makes them required.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]
#![allow(
    clippy::disallowed_methods,
    reason = "the portal call blocks on a thread while the test answers its dialog"
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use keydesk::ui::app::file_chooser::{self, FileRequest, PortalBus, Verb};

use crate::common::bus::PrivateBus;

const PORTAL: &str = "/usr/libexec/xdg-desktop-portal";
const PORTAL_GTK: &str = "/usr/libexec/xdg-desktop-portal-gtk";

/// A program run for the test, stopped when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _gone = self.0.kill();
        let _reaped = self.0.wait();
    }
}

/// The portal and its GTK backend on `bus`, the dialogs on `display`; `None` (or a failure
/// under KEYDESK_REQUIRE_DISPLAY=1) where a program is missing.
fn portal(bus: &PrivateBus, display: &std::ffi::OsStr) -> Vec<Running> {
    let start = |program: &str| {
        Command::new(program)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .env("DISPLAY", display)
            .env("GDK_BACKEND", "x11")
            .env("XDG_CURRENT_DESKTOP", "GNOME")
            .env("GTK_USE_PORTAL", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(Running)
            .unwrap()
    };
    // The backend first: the portal finds it on the bus rather than starting it without a
    // display.
    let gtk = start(PORTAL_GTK);
    std::thread::sleep(Duration::from_millis(500));
    let portal = start(PORTAL);
    vec![portal, gtk]
}

fn xdotool(display: &std::ffi::OsStr, args: &[&str]) -> Option<String> {
    let out = Command::new("xdotool").env("DISPLAY", display).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Waits for the dialog titled `title`, then types `path` into it and presses Return.
fn answer_dialog(display: &std::ffi::OsStr, title: &str, path: &Path, verb: Verb) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let window = loop {
        let found = xdotool(display, &["search", "--name", title]);
        if let Some(first) = found.as_deref().and_then(|f| f.lines().next()) {
            break first.to_owned();
        }
        assert!(Instant::now() < deadline, "the portal's dialog \"{title}\" did not open in 30 s");
        std::thread::sleep(Duration::from_millis(200));
    };
    // Let GTK map and focus it.
    std::thread::sleep(Duration::from_millis(800));
    let _focused = xdotool(display, &["windowactivate", "--sync", &window]);
    std::thread::sleep(Duration::from_millis(300));
    let text = path.display().to_string();
    match verb {
        // The name field has the focus: its text replaced by the whole path.
        Verb::Save => {
            xdotool(display, &["key", "ctrl+a"]);
        }
        // Ctrl+L opens the location field.
        Verb::Open => {
            xdotool(display, &["key", "ctrl+l"]);
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    xdotool(display, &["type", "--delay", "20", &text]);
    std::thread::sleep(Duration::from_millis(300));
    xdotool(display, &["key", "Return"]);
}

fn ready() -> Option<std::ffi::OsString> {
    let required = std::env::var_os("KEYDESK_REQUIRE_DISPLAY").is_some_and(|v| v == "1");
    let display = std::env::var_os("DISPLAY");
    let programs = [PORTAL, PORTAL_GTK].iter().all(|p| Path::new(p).exists())
        && Command::new("xdotool").arg("version").output().is_ok();
    if display.is_none() || !programs {
        assert!(
            !required,
            "KEYDESK_REQUIRE_DISPLAY=1 but the display, xdotool or xdg-desktop-portal(-gtk) is missing"
        );
        return None;
    }
    display
}

/// Calls the portal on a thread (it blocks until the dialog answers) while the dialog is
/// answered here.
fn round_trip(
    bus: &PrivateBus,
    display: &std::ffi::OsStr,
    request: FileRequest,
    path: &Path,
) -> Option<PathBuf> {
    let address = PortalBus::Address(bus.address.clone());
    let verb = request.verb;
    let title = request.title.clone();
    let asked = std::thread::spawn(move || file_chooser::choose(&address, &request));
    answer_dialog(display, &title, path, verb);
    asked.join().unwrap().expect("the portal answered")
}

#[test]
fn the_desktops_file_chooser_saves_and_opens_through_the_portal() {
    let Some(display) = ready() else { return };
    let bus = PrivateBus::start(true);
    let _portal = portal(&bus, &display);
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("keydesk-export-chosen.csv");
    let save = FileRequest {
        verb: Verb::Save,
        title: "Keydesk test: save".into(),
        current_name: Some("keydesk-export-2026-01-01.csv".into()),
        current_folder: Some(folder.path().to_owned()),
        filters: vec![("CSV".into(), vec!["*.csv".into()])],
    };
    assert_eq!(round_trip(&bus, &display, save, &target), Some(target.clone()));

    std::fs::write(&target, "label,key\n").unwrap();
    let open = FileRequest {
        verb: Verb::Open,
        title: "Keydesk test: open".into(),
        current_name: None,
        current_folder: Some(folder.path().to_owned()),
        filters: vec![("CSV".into(), vec!["*.csv".into()])],
    };
    assert_eq!(round_trip(&bus, &display, open, &target), Some(target));
}

#[test]
fn the_windows_choose_button_fills_the_export_field_from_the_desktops_dialog() {
    use crate::common::window::{app_with_portal, click, create_and_unlock, scroll_to, world};
    let Some(display) = ready() else { return };
    let bus = PrivateBus::start(true);
    let _portal = portal(&bus, &display);
    let world = world();
    let mut harness = app_with_portal(&world, PortalBus::Address(bus.address.clone()));
    create_and_unlock(&mut harness);
    click(&mut harness, "Settings");
    scroll_to(&mut harness, "Choose where to export…");
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("chosen-export.csv");
    // The window's job waits in the portal (jobs run inline here) while the dialog is answered.
    let answering = {
        let (display, target) = (display.clone(), target.clone());
        std::thread::spawn(move || answer_dialog(&display, "Export keys", &target, Verb::Save))
    };
    click(&mut harness, "Choose where to export…");
    answering.join().unwrap();
    harness.run();
    let typed = harness.state().session().unwrap().screens.settings.transfer.export_path.clone();
    assert_eq!(typed, target.display().to_string());
    assert!(harness.state().session().unwrap().screens.settings.transfer.chooser_note.is_none());
}
