//! Makes a vault with many keys for measuring the window: `cargo run --release --example
//! big_vault -- DIR N PASSWORD`. The keys are metadata only (no secrets are stored for them),
//! which is what the key list, unlocking and memory use depend on.
#![allow(
    clippy::disallowed_methods,
    reason = "tests and tools read the real clock and start their own threads"
)]

use std::path::PathBuf;

use chrono::Utc;
use keydesk::secrets::file::FileStore;
use keydesk::storage::{VAULT_FILE, VaultDir, atomic_write};
use keydesk::vault::crypto::KdfParams;
use keydesk::vault::model::SecretBackend;
use keydesk::vault::{CreateOptions, Env, SystemClock, Vault, format, os_rng};
use secrecy::SecretString;

#[path = "synthetic/mod.rs"]
mod synthetic;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().ok_or("usage: big_vault DIR N PASSWORD")?);
    let n: usize = args.next().ok_or("usage: big_vault DIR N PASSWORD")?.parse()?;
    let password = SecretString::from(args.next().ok_or("usage: big_vault DIR N PASSWORD")?);
    let env = Env {
        store: Box::new(FileStore::open(&dir).or_else(|_| {
            std::fs::create_dir_all(&dir)?;
            FileStore::open(&dir).map_err(|e| std::io::Error::other(e.to_string()))
        })?),
        storage: Box::new(VaultDir::create(&dir)?),
        clock: Box::new(SystemClock),
        rng: Box::new(os_rng()),
    };
    let vault = Vault::create(
        env,
        &password,
        CreateOptions { backend: SecretBackend::File, kdf: KdfParams::default() },
    )?;
    let mut file = vault.file().clone();
    drop(vault);
    let now = Utc::now();
    file.keys.extend((0..n).map(|i| synthetic::record(i, now)));
    let text = format::render(&file)?;
    atomic_write(&dir.join(VAULT_FILE), text.as_bytes(), true)?;
    // Kept once through the vault (on record) so the file carries a valid integrity seal.
    let env = Env {
        store: Box::new(FileStore::open(&dir).map_err(|e| std::io::Error::other(e.to_string()))?),
        storage: Box::new(VaultDir::open(&dir, true)?),
        clock: Box::new(SystemClock),
        rng: Box::new(os_rng()),
    };
    let mut vault = Vault::unlock(env, file, &text, &password)?;
    vault.accept_outside_changes("examples/big_vault, which wrote the keys")?;
    println!("{} keys in {}", n, dir.display());
    Ok(())
}
