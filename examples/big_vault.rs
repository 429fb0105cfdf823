//! Makes a vault with many keys for measuring the window: `cargo run --release --example
//! big_vault -- DIR N PASSWORD`. The keys are metadata only (no secrets are stored for them),
//! which is what the key list, unlocking and memory use depend on.

use std::path::PathBuf;

use chrono::Utc;
use keydesk::providers::Provider;
use keydesk::secrets::file::FileStore;
use keydesk::storage::{VAULT_FILE, VaultDir, atomic_write};
use keydesk::vault::crypto::KdfParams;
use keydesk::vault::model::{Integration, KeyRecord, KeyStatus, SecretBackend};
use keydesk::vault::{CreateOptions, Env, SystemClock, Vault, format, os_rng};
use secrecy::SecretString;

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
            expires_at: None,
            rotate_after_days: (i % 3 == 0).then_some(90),
            status: KeyStatus::Active,
            integrations: vec![Integration {
                name: format!("CRM {}", i % 40),
                url: None,
                note: String::new(),
            }],
            notes: "Used by the nightly sync".into(),
            copy_count: 0,
            last_copied_at: None,
            reveal_count: 0,
            last_verified: None,
            replaces: None,
            replaced_by: None,
            provider_revoke_pending: None,
        });
    }
    atomic_write(&dir.join(VAULT_FILE), format::render(&file).as_bytes(), true)?;
    println!("{} keys in {}", n, dir.display());
    Ok(())
}
