//! The real window under Xvfb with a real window manager (openbox, started by
//! scripts/test.sh): a copied key leaves the X11 clipboard on time while the window is
//! minimized or covered, and the vault locks itself while minimized. eframe skips `App::ui`
//! for a hidden window, so this is what proves the timers live in `App::logic`.
//!
//! The window runs on a thread of this test (winit allows that on X11); the test steers the
//! app through its own commands and watches it from outside, as a person would: `xdotool`
//! minimizes, `xprop` says the window is iconic, `xclip` pastes.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]
#![allow(
    clippy::disallowed_methods,
    reason = "tests and tools read the real clock and start their own threads"
)]

use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keydesk::clipboard::SystemClipboard;
use keydesk::providers::http::HttpConfig;
use keydesk::storage::VaultDir;
use keydesk::ui::app;
use keydesk::ui::{KeydeskApp, Services, session};
use keydesk::vault::crypto::KdfParams;
use keydesk::vault::model::{SecretBackend, Settings};
use keydesk::vault::{CreateOptions, Env, GenerateRequest, SystemClock, Vault, os_rng};
use secrecy::{ExposeSecret, SecretString};

const PASSWORD: &str = "window state test 2026";
const CLEAR_SECS: u32 = 5;

/// What the test sees of the app, written after each `logic`.
#[derive(Default, Clone)]
struct Seen {
    unlocked: bool,
    ui_frames: u64,
    ctx: Option<egui::Context>,
}

/// The app, steered by the test through a channel read in `logic`.
struct Probe {
    app: KeydeskApp,
    orders: Receiver<Order>,
    seen: Arc<Mutex<Seen>>,
}

enum Order {
    Run(Box<app::Command>),
    Close,
}

impl eframe::App for Probe {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        while let Ok(order) = self.orders.try_recv() {
            match order {
                Order::Run(command) => self.app.run_cmd(ctx, *command),
                Order::Close => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
            }
        }
        self.app.logic(ctx, frame);
        let mut seen = self.seen.lock().unwrap();
        seen.unlocked = self.app.is_unlocked();
        seen.ctx = Some(ctx.clone());
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.app.ui(ui, frame);
        self.seen.lock().unwrap().ui_frames += 1;
    }
}

struct Window {
    orders: Sender<Order>,
    seen: Arc<Mutex<Seen>>,
    title: String,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Window {
    fn open(dir: std::path::PathBuf) -> Window {
        let title = format!("Keydesk window-state test {}", std::process::id());
        let (orders, receiver) = channel();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let (seen2, title2) = (seen.clone(), title.clone());
        let thread = std::thread::spawn(move || {
            let services = Services {
                dir,
                open_store: Arc::new(keydesk::secrets::open),
                clipboard: Box::new(SystemClipboard::open().unwrap()),
                clock: Arc::new(SystemClock),
                inline_jobs: false,
                new_vault_kdf: KdfParams::MIN,
                http: HttpConfig::default(),
                reminder: keydesk::reminder::Systemd::default(),
                timings: None,
                browser: None,
                portal: Default::default(),
            };
            let options = eframe::NativeOptions {
                viewport: egui::ViewportBuilder::default()
                    .with_title(&title2)
                    .with_inner_size([900.0, 600.0]),
                renderer: eframe::Renderer::Glow,
                persistence_path: None,
                event_loop_builder: Some(Box::new(|builder| {
                    use winit::platform::x11::EventLoopBuilderExtX11;
                    builder.with_any_thread(true);
                })),
                ..Default::default()
            };
            eframe::run_native(
                &title2,
                options,
                Box::new(move |cc| {
                    let app = KeydeskApp::new(&cc.egui_ctx, services, None);
                    Ok(Box::new(Probe { app, orders: receiver, seen: seen2 }))
                }),
            )
            .unwrap();
        });
        Window { orders, seen, title, thread: Some(thread) }
    }

    fn seen(&self) -> Seen {
        self.seen.lock().unwrap().clone()
    }

    fn order(&self, order: Order) {
        self.orders.send(order).unwrap();
        if let Some(ctx) = self.seen().ctx {
            ctx.request_repaint();
        }
    }

    fn run(&self, command: impl Into<app::Command>) {
        self.order(Order::Run(Box::new(command.into())));
    }

    /// The X11 window id, once the window is mapped.
    fn xid(&self) -> String {
        wait_for("the window to be mapped", Duration::from_secs(120), || {
            let out = Command::new("xdotool").args(["search", "--name", &self.title]).output().ok()?;
            String::from_utf8_lossy(&out.stdout).lines().next().map(str::to_owned)
        })
    }
}

impl Drop for Window {
    fn drop(&mut self) {
        let _window_gone = self.orders.send(Order::Close);
        if let Some(ctx) = self.seen().ctx {
            ctx.request_repaint();
        }
        if let Some(thread) = self.thread.take() {
            let _joined = thread.join();
        }
    }
}

/// Polls `probe` every 100 ms until it gives a value or `limit` passes.
fn wait_for<T>(what: &str, limit: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(start.elapsed() < limit, "waited {} s for {what}", limit.as_secs());
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn paste() -> String {
    let out = Command::new("timeout")
        .args(["5", "xclip", "-o", "-selection", "clipboard"])
        .stderr(Stdio::null())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn iconic(xid: &str) -> bool {
    let out = Command::new("xprop").args(["-id", xid, "WM_STATE"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).contains("Iconic")
}

fn xdotool(args: &[&str]) {
    let status = Command::new("xdotool").args(args).status().unwrap();
    assert!(status.success(), "xdotool {args:?}");
}

/// A window manager owns the screen (openbox answers for `_NET_SUPPORTING_WM_CHECK`).
fn window_manager_running() -> bool {
    Command::new("xprop")
        .args(["-root", "_NET_SUPPORTING_WM_CHECK"])
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("window id"))
}

/// A vault (file store) with one key, the clipboard clearing after 5 s and auto-lock after 1 min.
fn vault_with_a_key(dir: &std::path::Path) -> (keydesk::vault::model::KeyId, String) {
    let storage = VaultDir::create(dir).unwrap();
    let env = Env {
        store: keydesk::secrets::open(SecretBackend::File, dir).unwrap(),
        storage: Box::new(storage),
        clock: Box::new(SystemClock),
        rng: Box::new(os_rng()),
    };
    let password = SecretString::from(PASSWORD);
    let options = CreateOptions { backend: SecretBackend::File, kdf: KdfParams::MIN };
    let mut vault = Vault::create(env, &password, options).unwrap();
    vault
        .update_settings(Settings {
            auto_lock_minutes: 1,
            clipboard_clear_secs: CLEAR_SECS,
            ..Settings::default()
        })
        .unwrap();
    let request = GenerateRequest {
        meta: keydesk::vault::meta::KeyMeta::labelled("Webhook"),
        spec: keydesk::vault::keygen::KeySpec::default(),
    };
    let (id, secret) = vault.generate(request).unwrap();
    (id, secret.expose_secret().to_owned())
}

struct Cover(Child);

impl Drop for Cover {
    fn drop(&mut self) {
        let _killed = self.0.kill();
        let _reaped = self.0.wait();
    }
}

#[test]
fn deadlines_hold_while_the_window_is_minimized_or_covered() {
    let required = std::env::var_os("KEYDESK_REQUIRE_DISPLAY").is_some_and(|v| v == "1");
    if std::env::var_os("DISPLAY").is_none() || !window_manager_running() {
        assert!(!required, "KEYDESK_REQUIRE_DISPLAY=1 but there is no display with a window manager");
        eprintln!("skipped: no display with a window manager (scripts/test.sh starts Xvfb and openbox)");
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("vault");
    let (id, secret) = vault_with_a_key(&dir);
    let window = Window::open(dir);
    wait_for("the unlock screen", Duration::from_secs(120), || window.seen().ctx.map(|_| ()));
    window.run(app::Command::Unlock {
        password: SecretString::from(PASSWORD),
        token: None,
        remember_token: false,
    });
    wait_for("the vault to unlock", Duration::from_secs(120), || window.seen().unlocked.then_some(()));
    let xid = window.xid();

    // 1. Copy, then minimize (the usual next step: switch to the CRM and paste there).
    window.run(session::Command::Copy(id.clone()));
    wait_for("the key on the clipboard", Duration::from_secs(5), || (paste() == secret).then_some(()));
    xdotool(&["windowminimize", &xid]);
    wait_for("the window manager to minimize the window", Duration::from_secs(5), || {
        iconic(&xid).then_some(())
    });
    let frames = window.seen().ui_frames;
    let copied = Instant::now();
    wait_for(
        "the clipboard to be cleared while minimized",
        Duration::from_secs(u64::from(CLEAR_SECS) + 5),
        || (paste() != secret).then_some(()),
    );
    assert!(copied.elapsed() >= Duration::from_secs(u64::from(CLEAR_SECS) - 2), "not before its time");
    assert!(iconic(&xid), "still minimized when the clipboard was cleared");
    eprintln!("frames drawn while minimized: {}", window.seen().ui_frames - frames);

    // 2. Copy, then cover the window with another one.
    xdotool(&["windowactivate", "--sync", &xid]);
    window.run(session::Command::Copy(id.clone()));
    wait_for("the key on the clipboard", Duration::from_secs(5), || (paste() == secret).then_some(()));
    let cover = Cover(
        Command::new("xmessage")
            .args(["-geometry", "1400x900+0+0", "A window over Keydesk"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for(
        "the clipboard to be cleared while covered",
        Duration::from_secs(u64::from(CLEAR_SECS) + 5),
        || (paste() != secret).then_some(()),
    );
    drop(cover);

    // 3. Minimized and left alone: the vault locks after its idle minute.
    assert!(window.seen().unlocked);
    xdotool(&["windowminimize", &xid]);
    wait_for("the window manager to minimize the window", Duration::from_secs(5), || {
        iconic(&xid).then_some(())
    });
    wait_for("auto-lock while minimized", Duration::from_secs(80), || {
        (!window.seen().unlocked).then_some(())
    });
    assert!(iconic(&xid), "it locked while still minimized");
}
