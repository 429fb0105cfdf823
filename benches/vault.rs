//! Benchmarks of the vault core: unlock (the KDF), key generation, detection, file format,
//! leak lookup and audit verification. `cargo bench` runs them; numbers go in closing notes.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark fails loudly")]
#![allow(
    clippy::disallowed_methods,
    reason = "tests and tools read the real clock and start their own threads"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use keydesk::secrets::memory::MemoryStore;
use keydesk::storage::MemoryStorage;
use keydesk::vault::crypto::{KdfParams, SALT_LEN, derive_kek};
use keydesk::vault::keygen::{KeySpec, generate};
use keydesk::vault::meta::KeyMeta;
use keydesk::vault::model::SecretBackend;
use keydesk::vault::{CreateOptions, Env, GenerateRequest, SystemClock, Vault, detect, format};
use rand::SeedableRng;
use secrecy::{ExposeSecret, SecretString};

#[path = "../examples/synthetic/mod.rs"]
mod synthetic;

fn vault_with(keys: usize) -> (Vault, MemoryStorage, Vec<String>) {
    let storage = MemoryStorage::new();
    let env = Env {
        store: Box::new(MemoryStore::new()),
        storage: Box::new(storage.clone()),
        clock: Box::new(SystemClock),
        rng: Box::new(rand::rngs::StdRng::seed_from_u64(1)),
    };
    let options = CreateOptions { backend: SecretBackend::File, kdf: KdfParams::MIN };
    let mut vault = Vault::create(env, &SecretString::from("benchmark password"), options).unwrap();
    let mut secrets = Vec::new();
    for i in 0..keys {
        let request = GenerateRequest { meta: KeyMeta::labelled(&format!("Key {i}")), ..Default::default() };
        secrets.push(vault.generate(request).unwrap().1.expose_secret().to_owned());
    }
    (vault, storage, secrets)
}

fn kdf(c: &mut Criterion) {
    let mut group = c.benchmark_group("unlock");
    group.sample_size(10);
    let password = SecretString::from("correct horse battery staple");
    group.bench_function("argon2id default (64 MiB, 3 passes, 4 lanes)", |b| {
        b.iter(|| derive_kek(black_box(&password), &[7u8; SALT_LEN], KdfParams::default()).unwrap());
    });
    group.finish();
}

fn keys(c: &mut Criterion) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(2);
    c.bench_function("keygen default (32 chars)", |b| {
        b.iter(|| generate(&KeySpec::default(), &mut rng).unwrap());
    });
    let key = generate(&KeySpec::default(), &mut rng).unwrap();
    c.bench_function("detect a Keydesk key", |b| b.iter(|| detect::detect(black_box(key.expose_secret()))));
    let sendgrid = format!("SG.{}.{}", "a".repeat(22), "b".repeat(43));
    c.bench_function("detect a SendGrid key", |b| b.iter(|| detect::detect(black_box(&sendgrid))));
}

fn files(c: &mut Criterion) {
    let (mut vault, storage, secrets) = vault_with(1000);
    let text = format::render(vault.file()).unwrap();
    println!("1,000-key vault.ron: {} bytes", text.len());
    c.bench_function("vault.ron render, 1,000 keys", |b| b.iter(|| format::render(black_box(vault.file()))));
    c.bench_function("vault.ron parse, 1,000 keys", |b| b.iter(|| format::parse(black_box(&text)).unwrap()));
    let last = secrets.last().unwrap().clone();
    c.bench_function("whois + audit line + save, 1,000 keys", |b| {
        b.iter(|| vault.whois(black_box(&last)).unwrap());
    });
    let log = storage.audit();
    println!("audit.ron: {} lines", log.lines().count());
    c.bench_function("audit verify (keyed chain)", |b| b.iter(|| vault.verify_audit_text(black_box(&log))));
}

/// Parse, render and a whole save (sealed text, temp file, fsync, `.bak`, rename, fsync of
/// the folder, audit line) of `vault.ron` on disk, at 100, 1,000 and 10,000 keys.
fn scale(c: &mut Criterion) {
    use keydesk::storage::VaultDir;
    let password = SecretString::from("benchmark password");
    let now = chrono::Utc::now();
    for n in [100, 1_000, 10_000, 100_000] {
        let dir = tempfile::tempdir().unwrap();
        let env = |storage: VaultDir| Env {
            store: Box::new(MemoryStore::new()),
            storage: Box::new(storage),
            clock: Box::new(SystemClock),
            rng: Box::new(rand::rngs::StdRng::seed_from_u64(3)),
        };
        let options = CreateOptions { backend: SecretBackend::File, kdf: KdfParams::MIN };
        let created = Vault::create(env(VaultDir::create(dir.path()).unwrap()), &password, options).unwrap();
        let mut file = created.file().clone();
        drop(created);
        file.keys.extend((0..n).map(|i| synthetic::record(i, now)));
        let text = format::render(&file).unwrap();
        println!("{n}-key vault.ron: {} bytes", text.len());
        let mut group = c.benchmark_group(format!("{n} keys"));
        if n >= 100_000 {
            group.sample_size(10);
        }
        group.bench_function("vault.ron parse", |b| {
            b.iter(|| format::parse(black_box(&text)).unwrap());
        });
        // The same text read by RON's own parser, as a file edited by hand is.
        group.bench_function("vault.ron parse by RON", |b| {
            b.iter(|| {
                ron::from_str::<keydesk::vault::stored::VaultRon>(black_box(&text)).unwrap().into_model()
            });
        });
        group.bench_function("vault.ron render", |b| {
            b.iter(|| format::render(black_box(&file)).unwrap());
        });
        group.bench_function("vault.ron render by RON", |b| {
            b.iter(|| format::render_by_ron(black_box(&file)).unwrap());
        });
        let mut vault =
            Vault::unlock(env(VaultDir::open(dir.path(), true).unwrap()), file, &text, &password).unwrap();
        // The synthetic keys were added behind the vault's back: kept on purpose, as a user would.
        vault.accept_outside_changes("the benchmark").unwrap();
        let mut settings = vault.file().header.settings.clone();
        group.bench_function("save to disk (a change of settings)", |b| {
            b.iter(|| {
                settings.clipboard_clear_secs = if settings.clipboard_clear_secs == 20 { 30 } else { 20 };
                vault.update_settings(settings.clone()).unwrap();
            });
        });
        group.finish();
    }
}

/// The key health report over 10,000 keys (target: under 50 ms), with a share of them refused,
/// unused at the provider, used after revoke, shared widely and under open incidents.
fn health(c: &mut Criterion) {
    use keydesk::vault::model::{Incident, ProviderUsage, Verification, VerifyOutcome};
    let now = chrono::Utc::now();
    let dir = tempfile::tempdir().unwrap();
    let env = Env {
        store: Box::new(MemoryStore::new()),
        storage: Box::new(keydesk::storage::VaultDir::create(dir.path()).unwrap()),
        clock: Box::new(SystemClock),
        rng: Box::new(rand::rngs::StdRng::seed_from_u64(4)),
    };
    let options = CreateOptions { backend: SecretBackend::File, kdf: KdfParams::MIN };
    let created = Vault::create(env, &SecretString::from("benchmark password"), options).unwrap();
    let mut file = created.file().clone();
    drop(created);
    file.keys.extend((0..10_000).map(|i| {
        let mut key = synthetic::record(i, now);
        if i % 11 == 0 {
            key.last_verified = Some(Verification { at: now, outcome: VerifyOutcome::Unauthorized });
        }
        if i % 13 == 0 {
            let last_used = Some(now - chrono::Duration::days((i % 200) as i64));
            let usage =
                ProviderUsage { checked_at: now, last_used, detail: String::new(), source: "bench".into() };
            key.usage = Some(Box::new(usage));
        }
        if i % 17 == 0 {
            key.status = keydesk::vault::model::KeyStatus::Revoked {
                at: now - chrono::Duration::days(300),
                reason: "bench".into(),
            };
        }
        key
    }));
    file.incidents.extend((0..200).map(|i| Incident {
        id: format!("{i:08x}"),
        key: file.keys[i * 37].id.clone(),
        opened_at: now - chrono::Duration::days(i as i64 % 20),
        found_where: "a log".into(),
        noticed_by: String::new(),
        notes: String::new(),
        timeline: Vec::new(),
        closed_at: None,
        summary: String::new(),
    }));
    let report = keydesk::vault::health::findings(&file, now);
    println!("health at 10,000 keys: {} findings, score {}", report.findings.len(), report.score);
    c.bench_function("health report, 10,000 keys", |b| {
        b.iter(|| keydesk::vault::health::findings(black_box(&file), now));
    });
}

criterion_group!(benches, kdf, keys, files, scale, health);
criterion_main!(benches);
