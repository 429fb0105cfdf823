//! The desktop window (eframe/egui, glow renderer).
//!
//! [`app`] is the shell: phases, jobs, timers (in `App::logic`, which runs even while the
//! window is hidden) and window preferences. [`session`] is the unlocked vault and the
//! commands on it. Each screen is `fn xxx_ui(ui, view, &mut XState) -> Option<Command>`: it
//! reads plain data and its own state, and touches no file, keychain, clipboard or network.
//! Long work (the KDF, network calls) runs in [`jobs`].

pub mod accounts;
pub mod app;
pub mod audit_log;
pub mod card;
pub mod dashboard;
mod dashboard_row;
pub mod detail;
mod detail_sections;
mod failure;
pub mod files;
pub mod fills;
pub mod health;
pub mod import_columns;
pub mod incidents;
pub mod jobs;
pub mod meta_form;
pub mod new_key;
pub mod revoke;
pub mod screens;
pub mod server_setup;
pub mod session;
pub mod settings;
pub mod state;
pub mod team;
pub mod team_page;
mod team_panels;
pub mod theme;
pub mod unlock;
pub mod whois;
pub mod widgets;

use std::path::PathBuf;
use std::sync::Arc;

pub use app::{Command, KeydeskApp, Services};
pub use failure::{Failure, admin_sentence, team_sentence};

use crate::clipboard::{Clipboard, SystemClipboard};
use crate::providers::http::HttpConfig;
use crate::vault::SystemClock;
use crate::vault::crypto::KdfParams;

/// The window's randomness: the OS's. The one place the window reaches `vault::os_rng` (clippy's
/// `disallowed-methods`): the library is given what it needs.
#[allow(clippy::disallowed_methods, reason = "the window's one home of the OS's randomness")]
pub(crate) fn entropy() -> impl crate::vault::Entropy {
    crate::vault::os_rng()
}

/// [`entropy`] for what outlives one call (a team vault's connection).
pub(crate) fn entropy_source() -> crate::vault::EntropySource {
    std::sync::Arc::new(|| Box::new(entropy()))
}

/// The window's application id (Wayland app id, X11 WM_CLASS); the .desktop file matches it.
pub const APP_ID: &str = "keydesk";

/// The window icon (the 256 px PNG of `assets/`).
const ICON: &[u8] = include_bytes!("../../assets/icons/256x256/keydesk.png");

/// Opens the window on the vault folder `dir`. Returns when the window closes.
pub fn run(dir: PathBuf) -> Result<(), Failure> {
    crate::secrets::process::restart_with_tunables(MALLOC_TUNABLES);
    let timings = std::env::var_os("KEYDESK_TIMINGS").is_some_and(|v| v == "1").then(std::time::Instant::now);
    let clipboard: Box<dyn Clipboard> = match SystemClipboard::open() {
        Ok(clipboard) => Box::new(clipboard),
        Err(error) => Box::new(crate::clipboard::UnavailableClipboard(error)),
    };
    let services = Services {
        dir,
        open_store: Arc::new(crate::secrets::open),
        clipboard,
        clock: Arc::new(SystemClock),
        inline_jobs: false,
        new_vault_kdf: KdfParams::default(),
        http: HttpConfig::default(),
        reminder: crate::reminder::Systemd::default(),
        timings,
        browser: crate::team::oidc::browser_from_env(),
        portal: app::file_chooser::PortalBus::Session,
    };
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Keydesk")
        .with_app_id(APP_ID)
        .with_inner_size([1100.0, 720.0])
        .with_min_inner_size([760.0, 480.0]);
    if let Ok(icon) = eframe::icon_data::from_png_bytes(ICON) {
        viewport = viewport.with_icon(Arc::new(icon));
    }
    // Window geometry and the list's sort order go to the config folder, apart from the vault.
    let persistence_path =
        directories::ProjectDirs::from("", "", "keydesk").map(|dirs| dirs.config_dir().join("window.ron"));
    let options = eframe::NativeOptions {
        viewport,
        renderer: eframe::Renderer::Glow,
        persistence_path,
        ..Default::default()
    };
    eframe::run_native(
        "Keydesk",
        options,
        Box::new(|cc| {
            let mut app = KeydeskApp::new(&cc.egui_ctx, services, cc.storage);
            listen_for_browsers(&mut app, &cc.egui_ctx);
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| {
        Failure::Said(format!(
            "The window could not open ({e}): check that a display is available (DISPLAY or WAYLAND_DISPLAY)."
        ))
    })
}

/// Answers the browser extension on the per-user socket while the window runs; where that
/// cannot be (another Keydesk answers, no runtime folder), says why once and goes on.
fn listen_for_browsers(app: &mut KeydeskApp, ctx: &egui::Context) {
    #[cfg(target_os = "linux")]
    {
        let listening = crate::browser::socket::socket_path()
            .map_err(Failure::from)
            .and_then(|path| app.listen_for_browsers(ctx, &path));
        if let Err(why) = listening {
            eprintln!("keydesk: the browser extension cannot reach this window: {why}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    drop((app, ctx));
}

/// The malloc tuning the window runs with (glibc): fixed thresholds for returning memory, and
/// huge pages for Argon2id's working memory at unlock ([`crate::secrets::process::KDF_TUNABLES`]).
///
/// glibc raises its mmap threshold each time a large block is freed (reading and parsing a
/// big vault frees several), and from then on keeps later freed buffers in the heap: at
/// 10,000 keys about 3 MB stay resident for the window's whole life (measured: idle RSS
/// +16 MB over an empty vault, +13 MB with fixed thresholds). Tunables are read only when the
/// process starts, so the window starts itself once more with them.
pub const MALLOC_TUNABLES: &str =
    "glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072:glibc.malloc.hugetlb=1";
