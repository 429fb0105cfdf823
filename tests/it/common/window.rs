//! The window under egui_kittest: the real app with the in-memory secret store, a fake
//! clipboard and a clock the test moves.

use std::sync::Arc;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use keydesk::clipboard::FakeClipboard;
use keydesk::providers::http::HttpConfig;
use keydesk::secrets::SecretStore;
use keydesk::secrets::memory::MemoryStore;
use keydesk::ui::app::file_chooser::PortalBus;
use keydesk::ui::{KeydeskApp, Services};
use keydesk::vault::crypto::KdfParams;

use super::TestClock;

pub const PASSWORD: &str = "marketing-vault-2026";

pub struct World {
    pub dir: tempfile::TempDir,
    pub store: MemoryStore,
    pub clipboard: FakeClipboard,
    pub clock: TestClock,
}

impl World {
    /// The user folders systemctl --user reads and writes unit files in, inside the test's,
    /// and the only ones it looks in for units (not the system's, where an installed Keydesk
    /// package puts its own).
    pub fn systemd_env(&self) -> Vec<(std::ffi::OsString, std::ffi::OsString)> {
        let dir = self.dir.path();
        let (config, data) = (dir.join("config"), dir.join("data"));
        let unit_path =
            format!("{}:{}", config.join("systemd/user").display(), data.join("systemd/user").display());
        [
            ("HOME", dir.as_os_str().to_owned()),
            ("XDG_CONFIG_HOME", config.into_os_string()),
            ("XDG_DATA_HOME", data.into_os_string()),
            ("SYSTEMD_UNIT_PATH", unit_path.into()),
        ]
        .into_iter()
        .map(|(name, value)| (name.into(), value))
        .collect()
    }
}

pub fn world() -> World {
    World {
        dir: tempfile::tempdir().unwrap(),
        store: MemoryStore::new(),
        clipboard: FakeClipboard::new(),
        clock: TestClock::new(),
    }
}

/// The app with jobs run inline (each answer is there one frame later).
pub fn app(world: &World) -> Harness<'static, KeydeskApp> {
    app_with(world, true)
}

/// The app; `inline_jobs: false` runs jobs on threads as the real window does.
pub fn app_with(world: &World, inline_jobs: bool) -> Harness<'static, KeydeskApp> {
    app_on(world, inline_jobs, Box::new(world.clipboard.clone()))
}

/// The app with its own clipboard.
pub fn app_on(
    world: &World,
    inline_jobs: bool,
    clipboard: Box<dyn keydesk::clipboard::Clipboard>,
) -> Harness<'static, KeydeskApp> {
    app_of(world, inline_jobs, clipboard, None)
}

/// The app whose company-login sign-ins open their address with the program `browser` (as
/// `$KEYDESK_BROWSER` names it for the real window).
pub fn app_browsing(
    world: &World,
    inline_jobs: bool,
    browser: &std::path::Path,
) -> Harness<'static, KeydeskApp> {
    app_of(world, inline_jobs, Box::new(world.clipboard.clone()), Some(browser.as_os_str().to_owned()))
}

fn app_of(
    world: &World,
    inline_jobs: bool,
    clipboard: Box<dyn keydesk::clipboard::Clipboard>,
    browser: Option<std::ffi::OsString>,
) -> Harness<'static, KeydeskApp> {
    app_asking(world, inline_jobs, clipboard, (browser, PortalBus::Session))
}

/// The app (jobs inline) whose file chooser is asked on `portal` (a bus of the test's own).
pub fn app_with_portal(world: &World, portal: PortalBus) -> Harness<'static, KeydeskApp> {
    app_asking(world, true, Box::new(world.clipboard.clone()), (None, portal))
}

fn app_asking(
    world: &World,
    inline_jobs: bool,
    clipboard: Box<dyn keydesk::clipboard::Clipboard>,
    (browser, portal): (Option<std::ffi::OsString>, PortalBus),
) -> Harness<'static, KeydeskApp> {
    let store = world.store.clone();
    let services = Services {
        dir: world.dir.path().join("vault"),
        open_store: Arc::new(move |_, _| Ok(Box::new(store.clone()) as Box<dyn SecretStore>)),
        clipboard,
        clock: Arc::new(world.clock.clone()),
        inline_jobs,
        new_vault_kdf: KdfParams::MIN,
        http: HttpConfig::default(),
        // systemctl --user sees the test's own folders, never the user's timers.
        reminder: keydesk::reminder::Systemd { env: world.systemd_env() },
        timings: None,
        browser,
        portal,
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1000.0, 860.0))
        .with_max_steps(32)
        .build_eframe(move |cc| KeydeskApp::new(&cc.egui_ctx, services, None));
    // With jobs on threads a spinner may still ask for frames: not settling is no failure.
    let _settled = harness.try_run();
    harness
}

/// Scrolls the widget labelled `label` into view, as a person scrolls to what is below the fold.
pub fn scroll_to(harness: &mut Harness<'_, KeydeskApp>, label: &str) {
    harness.get_by_label(label).scroll_to_me();
    harness.run();
}

pub fn type_into(harness: &mut Harness<'_, KeydeskApp>, label: &str, text: &str) {
    harness.get_by_label(label).click();
    harness.run();
    harness.get_by_label(label).type_text(text);
    harness.run();
}

/// Clicks and lets the window settle (with jobs on threads a spinner may keep asking for
/// frames: then it stops after `max_steps` without failing).
pub fn click(harness: &mut Harness<'_, KeydeskApp>, label: &str) {
    harness.get_by_label(label).click();
    // Not settling is no failure here: a running job's spinner keeps asking for frames.
    let _settled = harness.try_run();
}

/// Runs frames (the jobs' threads working meanwhile) until a label holding `text` is drawn.
pub fn wait_for_label(harness: &mut Harness<'_, KeydeskApp>, text: &str) {
    for _ in 0..2000 {
        if harness.query_by_label_contains(text).is_some() {
            return;
        }
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("waited 20 s for a label holding {text:?}");
}

/// Steps frames (each one runs `logic` then `ui`) until `done` holds; jobs on threads
/// answer in their own time, so this waits for them (at most 20 s).
pub fn step_until(harness: &mut Harness<'_, KeydeskApp>, what: &str, done: impl Fn(&KeydeskApp) -> bool) {
    for _ in 0..2000 {
        harness.step();
        if done(harness.state()) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("waited 20 s for: {what}");
}

/// Runs only the app's `logic` (what eframe runs while the window is minimized or covered):
/// no frame is drawn.
pub fn logic_only(harness: &mut Harness<'_, KeydeskApp>) {
    let ctx = harness.ctx.clone();
    harness.state_mut().tick(&ctx);
}

/// Generates a Keydesk key labelled `label` on the New key screen and returns its secret, read
/// from the shown-once dialog; ends on the key's page.
pub fn generate_key(harness: &mut Harness<'_, KeydeskApp>, label: &str) -> String {
    use secrecy::ExposeSecret;
    click(harness, "New key");
    type_into(harness, "Label", label);
    click(harness, "Generate");
    let shown = harness.state().session().and_then(|s| s.shown_once.as_ref());
    let secret = shown.expect("the new key is shown once").secret.expose_secret().to_owned();
    click(harness, "Done");
    secret
}

/// Unlocks the locked window with the test password and waits until the vault is open.
pub fn unlock(harness: &mut Harness<'_, KeydeskApp>) {
    type_into(harness, "Master password", PASSWORD);
    click(harness, "Unlock");
    step_until(harness, "the vault opens", KeydeskApp::is_unlocked);
    harness.run();
}

pub fn create_and_unlock(harness: &mut Harness<'_, KeydeskApp>) {
    type_into(harness, "Master password", PASSWORD);
    type_into(harness, "Repeat password", PASSWORD);
    click(harness, "Create vault");
    step_until(harness, "the new vault opens", KeydeskApp::is_unlocked);
}

/// Adds a provider account whose API is `url` (the provider picked from the list unless it
/// is SendGrid, the default), then pastes `key` into it as a new key labelled `label`.
/// `submit`: press "Add key" too.
pub fn paste_into_new_account(
    harness: &mut Harness<'_, KeydeskApp>,
    provider: &str,
    url: &str,
    label: &str,
    key: &str,
    submit: bool,
) {
    click(harness, "API settings");
    if provider != "SendGrid" {
        click(harness, "Provider");
        // The list is longer than its popup: bring the item into view first.
        scroll_to(harness, provider);
        click(harness, provider);
    }
    type_into(harness, "Account name", provider);
    type_into(harness, "API address", url);
    click(harness, "Add account");
    click(harness, "New key");
    click(harness, "Paste a provider's key");
    type_into(harness, "Label", label);
    click(harness, "Account");
    click(harness, &format!("{provider} ({provider})"));
    type_into(harness, "Key", key);
    if submit {
        click(harness, "Add key");
    }
}

/// Opens the pick-list of `field` and picks `column` in it, as a person does.
pub fn pick(harness: &mut Harness<'_, KeydeskApp>, field: &str, column: &str) {
    let role = egui::accesskit::Role::ComboBox;
    harness.get_by_role_and_label(role, field).scroll_to_me();
    harness.run();
    harness.get_by_role_and_label(role, field).click();
    harness.run();
    harness.get_by_label(column).click();
    harness.run();
}

/// Whether the widget labelled `label` is greyed out.
pub fn disabled(harness: &Harness<'_, KeydeskApp>, label: &str) -> bool {
    egui_kittest::kittest::NodeT::accesskit_node(&harness.get_by_label(label)).is_disabled()
}
