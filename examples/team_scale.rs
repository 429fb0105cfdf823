//! Measures a team vault at scale against a running OpenBao server: `cargo run --release
//! --example team_scale -- ADDR TOKEN N` (a `bao server -dev` is enough). Makes a team vault
//! at a fresh path, adds N keys through the library (each one a key entry and an audit entry),
//! then times the first load of every key (without a pack, then the load that writes the pack,
//! then from the pack), a refresh with nothing changed, and a refresh after another member's
//! change, as the command line and the window read a team vault. With a
//! fourth argument, FOLDER, it also writes `team.ron` and this computer's copy there (the
//! member's password at the default key-derivation cost), for the window to open:
//! `BAO_TOKEN=TOKEN KEYDESK_TIMINGS=1 keydesk --vault FOLDER`, password
//! "a team password for measuring".
#![allow(
    clippy::disallowed_methods,
    reason = "tests and tools read the real clock and start their own threads"
)]

use std::time::Instant;

use chrono::Utc;
use keydesk::providers::Provider;
use keydesk::team::TeamVault;
use keydesk::team::kv::{Kv, Location};
use keydesk::vault::crypto::KdfParams;
use keydesk::vault::meta::KeyMeta;
use keydesk::vault::{new_key_id, new_key_record, os_rng};
use secrecy::SecretString;
use zeroize::Zeroizing;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: team_scale ADDR TOKEN N [FOLDER]";
    let addr = args.next().ok_or(usage)?;
    let token = Zeroizing::new(args.next().ok_or(usage)?);
    let n: usize = args.next().ok_or(usage)?.parse()?;
    let folder = args.next().map(std::path::PathBuf::from);
    let kdf = if folder.is_some() { KdfParams::default() } else { KdfParams::MIN };
    let path = format!("scale/run-{}", Utc::now().timestamp());
    let kv = || -> Result<Kv, Box<dyn std::error::Error>> {
        Ok(Kv::new(Location::new(&addr, "secret", &path)?, token.clone()))
    };
    let password = SecretString::from("a team password for measuring");
    let mut rng = os_rng();
    let entropy: keydesk::vault::EntropySource = std::sync::Arc::new(|| Box::new(os_rng()));
    let (vault, keys) = TeamVault::create(kv()?, "ana", &password, kdf, entropy.clone(), Utc::now())?;
    let started = Instant::now();
    let mut ids = Vec::new();
    for i in 0..n {
        let secret = SecretString::from(format!("kd_scale_{i:08}_{}", "x".repeat(24)));
        let id = new_key_id(&mut rng, |id| ids.contains(id));
        let meta = KeyMeta { label: format!("Integration key {i:05}"), ..KeyMeta::default() };
        let record = new_key_record(
            id.clone(),
            meta,
            (Provider::Keydesk, "kd_"),
            &secret,
            keys.lookup_hash(&secret),
            Utc::now(),
        )?;
        vault.add(&keys, &record, &secret, &mut rng, Utc::now())?;
        ids.push(id);
    }
    println!("added {n} keys in {:.1} s", started.elapsed().as_secs_f64());

    let reader = TeamVault::connect(kv()?, vault.config().clone(), entropy)?;
    let timed =
        |what: &str, copy, keys: Option<&keydesk::team::TeamKeys>| -> Result<_, Box<dyn std::error::Error>> {
            let started = Instant::now();
            let refreshed = reader.refresh(copy, keys, Utc::now())?;
            println!(
                "{what}: {:.0} ms, {} keys read one by one, {} from the pack, {} in the list",
                started.elapsed().as_secs_f64() * 1000.0,
                refreshed.keys_read,
                refreshed.from_pack,
                refreshed.snapshot.keys().len()
            );
            Ok(refreshed.snapshot)
        };
    timed("first load without a pack (every key)", None, None)?;
    let started = Instant::now();
    let written = vault.refresh(None, Some(&keys), Utc::now())?;
    println!(
        "first load by a member holding the key, the pack written: {:.0} ms (pack up to trail entry {})",
        started.elapsed().as_secs_f64() * 1000.0,
        written.snapshot.pack_head()
    );
    timed("first load from the pack", None, None)?;
    let first = timed("first load from the pack, its HMAC checked", None, Some(&keys))?;
    let started = Instant::now();
    let text = first.to_text();
    let copy = keydesk::team::cache::Snapshot::from_text(&text).ok_or("the copy does not read back")?;
    println!(
        "copy: {} bytes, written and read back in {:.0} ms",
        text.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    let same = timed("refresh, nothing changed", Some(copy), None)?;
    let mut store = keydesk::actions::TeamStore::new(&vault, &keys, Utc::now())?;
    let label = keydesk::actions::Store::key_record(&store, &ids[n / 2])?.label + " (renamed)";
    let edit = keydesk::vault::KeyEdit { label: Some(label), ..Default::default() };
    keydesk::actions::changes::edit(&mut store, &ids[n / 2], None, &edit)?;
    let last = timed("refresh after one change by another member", Some(same), None)?;
    if let Some(folder) = folder {
        keydesk::actions::team::write_config(&folder, vault.config())?;
        keydesk::actions::team::save_copy(&folder, &last)?;
        println!("wrote {}", folder.display());
    }
    Ok(())
}
