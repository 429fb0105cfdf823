//! Benchmarks of the window with a 10,000-key vault: one dashboard frame (layout and
//! tessellation, headless), search filtering per keystroke, and building the list.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark fails loudly")]

use std::hint::black_box;

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use keydesk::providers::Provider;
use keydesk::secrets::memory::MemoryStore;
use keydesk::storage::MemoryStorage;
use keydesk::ui::dashboard::{Index, Sort, dashboard_ui};
use keydesk::ui::state::DashboardState;
use keydesk::vault::crypto::KdfParams;
use keydesk::vault::model::{Integration, KeyRecord, KeyStatus, SecretBackend};
use keydesk::vault::{CreateOptions, Env, SystemClock, Vault};
use rand::SeedableRng;
use secrecy::SecretString;

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
    let providers =
        [Provider::SendGrid, Provider::Mailchimp, Provider::Brevo, Provider::Keydesk, Provider::Postmark];
    let now = Utc::now();
    for i in 0..n {
        file.keys.push(KeyRecord {
            id: format!("{i:012x}"),
            label: format!("Integration key {i:05}"),
            provider: providers[i % providers.len()],
            account: None,
            provider_key_id: None,
            region: None,
            scopes: vec![],
            hint: format!("SG.…{:04}", i % 10_000),
            lookup_hash: "00".repeat(32),
            created_at: now - chrono::Duration::days((i % 400) as i64),
            expires_at: (i % 7 == 0).then(|| now + chrono::Duration::days((i % 30) as i64)),
            rotate_after_days: (i % 3 == 0).then_some(90),
            status: if i % 50 == 0 { KeyStatus::Retiring } else { KeyStatus::Active },
            integrations: vec![Integration {
                name: format!("CRM {}", i % 40),
                url: None,
                note: String::new(),
            }],
            notes: "Used by the nightly sync".into(),
            copy_count: (i % 5) as u64,
            last_copied_at: (i % 4 == 0).then_some(now),
            reveal_count: 0,
            last_verified: None,
            replaces: None,
            replaced_by: None,
            provider_revoke_pending: None,
        });
    }
    drop(vault);
    Vault::unlock(env(&storage), file, &password).unwrap()
}

fn dashboard(c: &mut Criterion) {
    let vault = big_vault(10_000);
    let now = Utc::now();
    let ctx = egui::Context::default();
    let mut state = DashboardState::default();
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1200.0, 760.0))),
        ..Default::default()
    };
    // Warm up: fonts, the index.
    for _ in 0..3 {
        let _ = ctx.run_ui(input(), |ui| {
            let _ = dashboard_ui(ui, &vault, &mut state, now);
        });
    }
    c.bench_function("dashboard frame, 10,000 keys (layout + tessellation)", |b| {
        b.iter(|| {
            let output = ctx.run_ui(input(), |ui| {
                let _ = dashboard_ui(ui, &vault, &mut state, now);
            });
            black_box(ctx.tessellate(output.shapes, output.pixels_per_point))
        })
    });

    let mut index = Index::default();
    index.refresh(&vault, now);
    let mut toggle = false;
    c.bench_function("search keystroke, 10,000 keys", |b| {
        b.iter(|| {
            toggle = !toggle;
            index.filter(&vault, if toggle { "crm 1" } else { "crm 12" }, Sort::Label, false);
            black_box(index.visible.len())
        })
    });
    c.bench_function("build the list, 10,000 keys", |b| {
        b.iter(|| {
            let mut index = Index::default();
            index.refresh(black_box(&vault), now);
            index.filter(&vault, "", Sort::Label, false);
            black_box(index.visible.len())
        })
    });
}

criterion_group!(benches, dashboard);
criterion_main!(benches);
