//! Benchmarks of the window with 100, 1,000 and 10,000 keys: one dashboard frame (layout and
//! tessellation, headless), search filtering per keystroke, and building the list.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark fails loudly")]
#![allow(
    clippy::disallowed_methods,
    reason = "tests and tools read the real clock and start their own threads"
)]

use std::hint::black_box;

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use keydesk::secrets::memory::MemoryStore;
use keydesk::storage::MemoryStorage;
use keydesk::ui::dashboard::{Index, Sort, dashboard_ui};
use keydesk::ui::state::DashboardState;
use keydesk::vault::crypto::KdfParams;
use keydesk::vault::model::SecretBackend;
use keydesk::vault::{CreateOptions, Env, SystemClock, Vault};
use rand::SeedableRng;
use secrecy::SecretString;

#[path = "../examples/synthetic/mod.rs"]
mod synthetic;

fn env(storage: &MemoryStorage) -> Env {
    Env {
        store: Box::new(MemoryStore::new()),
        storage: Box::new(storage.clone()),
        clock: Box::new(SystemClock),
        rng: Box::new(rand::rngs::StdRng::seed_from_u64(1)),
    }
}

/// A vault whose metadata holds `n` keys (built directly: only the list is measured).
pub fn big_vault(n: usize) -> Vault {
    let storage = MemoryStorage::new();
    let password = SecretString::from("benchmark password");
    let options = CreateOptions { backend: SecretBackend::File, kdf: KdfParams::MIN };
    let vault = Vault::create(env(&storage), &password, options).unwrap();
    let mut file = vault.file().clone();
    let now = Utc::now();
    file.keys.extend((0..n).map(|i| synthetic::record(i, now)));
    drop(vault);
    let text = keydesk::vault::format::render(&file).unwrap();
    Vault::unlock(env(&storage), file, &text, &password).unwrap()
}

fn dashboard(c: &mut Criterion) {
    for n in [100, 1_000, 10_000] {
        dashboard_at(c, n);
    }
}

fn dashboard_at(c: &mut Criterion, n: usize) {
    let vault = big_vault(n);
    let now = Utc::now();
    let ctx = egui::Context::default();
    // The icon font, as the window has it (Copy's icon).
    egui_material_icons::initialize(&ctx);
    let mut state = DashboardState::default();
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1200.0, 760.0))),
        ..Default::default()
    };
    // Warm up: fonts, the index.
    for _ in 0..3 {
        let _output = ctx.run_ui(input(), |ui| {
            let _ = dashboard_ui(ui, vault.file(), &mut state, now);
        });
    }
    c.bench_function(&format!("dashboard frame, {n} keys (layout + tessellation)"), |b| {
        b.iter(|| {
            let output = ctx.run_ui(input(), |ui| {
                let _ = dashboard_ui(ui, vault.file(), &mut state, now);
            });
            black_box(ctx.tessellate(output.shapes, output.pixels_per_point))
        });
    });

    let mut index = Index::default();
    index.refresh(vault.file(), now);
    let mut toggle = false;
    c.bench_function(&format!("search keystroke (filter), {n} keys"), |b| {
        b.iter(|| {
            toggle = !toggle;
            index.filter(
                vault.file(),
                if toggle { "crm 1" } else { "crm 12" },
                Sort::Label,
                keydesk::ui::dashboard::Shown::default(),
            );
            black_box(index.visible.len())
        });
    });
    c.bench_function(&format!("build the list, {n} keys"), |b| {
        b.iter(|| {
            let mut index = Index::default();
            index.refresh(black_box(vault.file()), now);
            index.filter(vault.file(), "", Sort::Label, keydesk::ui::dashboard::Shown::default());
            black_box(index.visible.len())
        });
    });
}

criterion_group!(benches, dashboard);
criterion_main!(benches);
