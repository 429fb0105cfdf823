//! Benchmarks of an import of 100, 1,000 and 10,000 spreadsheet rows: reading the CSV, the
//! preview (recognition, checks and the keyed-hash look-up of each row), and the whole import
//! into an empty vault with an in-memory secret store (Keydesk's own share: the keychain's or
//! the file's writes come on top and are measured by scripts/measure-import.sh).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark fails loudly")]

use std::hint::black_box;
use std::ops::ControlFlow;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use keydesk::secrets::memory::MemoryStore;
use keydesk::storage::MemoryStorage;
use keydesk::vault::crypto::KdfParams;
use keydesk::vault::model::SecretBackend;
use keydesk::vault::{CreateOptions, Env, SystemClock, Vault};
use rand::SeedableRng;
use secrecy::SecretString;

/// A spreadsheet of `n` keys, SendGrid-shaped and not, with notes and integrations.
fn spreadsheet(n: usize) -> String {
    let mut text = String::from("label;key;provider;integrations;notes;rotate_days\n");
    for i in 0..n {
        let key = if i % 2 == 0 {
            format!("SG.{i:022}.{:043}", i * 7)
        } else {
            format!("bench-import-value-{i:08}")
        };
        text.push_str(&format!(
            "Key {i};{key};;HubSpot=https://app.hubspot.com/{i};\"Row {i}\nsecond line\";90\n"
        ));
    }
    text
}

fn empty_vault() -> Vault {
    let env = Env {
        store: Box::new(MemoryStore::new()),
        storage: Box::new(MemoryStorage::new()),
        clock: Box::new(SystemClock),
        rng: Box::new(rand::rngs::StdRng::seed_from_u64(1)),
    };
    let options = CreateOptions { backend: SecretBackend::File, kdf: KdfParams::MIN };
    Vault::create(env, &SecretString::from("benchmark password"), options).unwrap()
}

fn import(c: &mut Criterion) {
    for n in [100, 1_000, 10_000] {
        let text = spreadsheet(n);
        let mut group = c.benchmark_group(format!("import {n} rows"));
        group.sample_size(10);
        group.bench_function("read the CSV", |b| {
            b.iter(|| black_box(keydesk::import::read(text.as_bytes(), None).unwrap()));
        });
        let rows = keydesk::import::read(text.as_bytes(), None).unwrap().1.rows;
        let vault = empty_vault();
        group.bench_function("preview", |b| b.iter(|| black_box(vault.preview_import(&rows))));
        group.bench_function("import (memory store)", |b| {
            b.iter_batched(
                empty_vault,
                |mut vault| {
                    black_box(
                        vault.import(&rows, ("bench.csv", 0), &mut |_, _| ControlFlow::Continue(())).unwrap(),
                    )
                },
                BatchSize::PerIteration,
            );
        });
        group.finish();
    }
}

criterion_group!(benches, import);
criterion_main!(benches);
