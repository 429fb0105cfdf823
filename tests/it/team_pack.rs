//! The team's pack on a real OpenBao: a first load on a new computer reads the keys from a few
//! large entries instead of one a key, and a pack that does not hold together is not used.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
#![allow(
    clippy::disallowed_methods,
    reason = "tests and tools read the real clock and start their own threads"
)]

use crate::common;

use chrono::Utc;
use common::bao::{Bao, MOUNT, PATH, policy};
use keydesk::providers::Provider;
use keydesk::team::cache::{Refreshed, Snapshot};
use keydesk::team::kv::{Kv, Location};
use keydesk::team::packs::PACK_LAG;
use keydesk::team::{TeamKeys, TeamVault};
use keydesk::vault::crypto::KdfParams;
use keydesk::vault::meta::KeyMeta;
use keydesk::vault::{new_key_id, new_key_record, os_rng};
use secrecy::SecretString;
use serde_json::{Value, json};
use zeroize::Zeroizing;

fn kv(bao: &Bao, token: &str) -> Kv {
    Kv::new(Location::new(&bao.addr, MOUNT, PATH).unwrap(), Zeroizing::new(token.to_owned()))
}

/// Adds `n` keys as ana, each a key entry and a trail entry.
fn add_keys(vault: &TeamVault, keys: &TeamKeys, from: usize, n: usize) {
    let mut rng = os_rng();
    for i in from..from + n {
        // Made here, as a key is: no key-shaped string is kept in the source.
        let secret = SecretString::from(format!("kd_pack_{i:06}_{}", "q".repeat(20)));
        let id = new_key_id(&mut rng, |_| false);
        let meta = KeyMeta { label: format!("Key {i:04}"), ..KeyMeta::default() };
        let record = new_key_record(
            id,
            meta,
            (Provider::Keydesk, "kd_"),
            &secret,
            keys.lookup_hash(&secret),
            Utc::now(),
        )
        .unwrap();
        vault.add(keys, &record, &secret, &mut rng, Utc::now()).unwrap();
    }
}

/// Each key's id, label and version, in list order.
fn listed(copy: &Snapshot) -> Vec<(String, String, u64)> {
    copy.keys().iter().map(|key| (key.record.id.to_string(), key.record.label.clone(), key.version)).collect()
}

/// The pack's index as the server holds it (`Null` when there is none).
fn index(bao: &Bao) -> Value {
    let (_, body) = bao.call("GET", &format!("{MOUNT}/data/{PATH}/packs/index"), None, &bao.root_token);
    body["data"]["data"].clone()
}

/// A first load on a new computer, with `token` (and the team's key when given).
fn first_load(bao: &Bao, vault: &TeamVault, token: &str, keys: Option<&TeamKeys>) -> Refreshed {
    let reader = TeamVault::connect(kv(bao, token), vault.config().clone(), common::entropy()).unwrap();
    reader.refresh(None, keys, Utc::now()).unwrap()
}

#[test]
fn a_first_load_reads_the_servers_pack_and_a_pack_that_does_not_hold_is_not_used() {
    let bao = Bao::dev();
    let password = SecretString::from("a team password for the pack");
    let (vault, keys) = TeamVault::create(
        kv(&bao, &bao.root_token),
        "ana",
        &password,
        KdfParams::MIN,
        crate::common::entropy(),
        Utc::now(),
    )
    .unwrap();
    let n = PACK_LAG as usize + 40;
    add_keys(&vault, &keys, 0, n);
    // The keys' names, asked for a page at a time (OpenBao's paginated lists) as at 100,000
    // keys, are the same as in one answer, each once.
    let whole = vault.kv().list_by("keys", 100_000).unwrap();
    assert_eq!(whole.len(), n);
    let paged = format!("{MOUNT}/metadata/{PATH}/keys?list=true&limit=50");
    let (_, body) = bao.call("GET", &paged, None, &bao.root_token);
    assert_eq!(body["data"]["keys"].as_array().unwrap().len(), 50, "the server pages: {body}");
    assert_eq!(vault.kv().list_by("keys", 50).unwrap(), whole);
    assert_eq!(vault.kv().list_by("keys", n).unwrap(), whole, "a last page that is full");

    // Ana's first load reads every key, and (holding the team's key) leaves a pack.
    let full = vault.refresh(None, Some(&keys), Utc::now()).unwrap();
    assert_eq!((full.keys_read, full.from_pack), (n, 0));
    assert_eq!(full.snapshot.pack_head(), full.snapshot.audit_head, "the pack is up to the trail's head");
    let written = index(&bao);
    let parts = written["parts"].as_array().unwrap().len();
    assert!(parts >= 1, "{written}");

    // A new computer, a reader's token: the keys come from the pack, the same as read one by one.
    let reader = bao.token_with_policy("keydesk-reader", &policy("reader.hcl"), MOUNT, PATH);
    let packed = first_load(&bao, &vault, &reader, None);
    assert_eq!((packed.keys_read, packed.from_pack), (0, n));
    assert_eq!(listed(&packed.snapshot), listed(&full.snapshot));
    assert_eq!(packed.snapshot.audit_head, full.snapshot.audit_head);

    // Changes after the pack: the trail names them, and only they are read one by one.
    let mut store = keydesk::actions::TeamStore::new(&vault, &keys, Utc::now()).unwrap();
    let first_id = full.snapshot.keys()[0].record.id.clone();
    let edit = keydesk::vault::KeyEdit { label: Some("Renamed after the pack".into()), ..Default::default() };
    keydesk::actions::changes::edit(&mut store, &first_id, None, &edit).unwrap();
    add_keys(&vault, &keys, n, 1);
    let later = first_load(&bao, &vault, &reader, None);
    assert_eq!((later.keys_read, later.from_pack), (2, n));
    let read_one_by_one = {
        // The same vault read key by key, for comparison: a pack with its index removed.
        let (status, _) =
            bao.call("DELETE", &format!("{MOUNT}/metadata/{PATH}/packs/index"), None, &bao.root_token);
        assert_eq!(status, 204);
        let every = first_load(&bao, &vault, &bao.root_token, None);
        assert_eq!((every.keys_read, every.from_pack), (n + 1, 0));
        every
    };
    assert_eq!(listed(&later.snapshot), listed(&read_one_by_one.snapshot));
    assert!(
        listed(&later.snapshot)
            .iter()
            .any(|(_, label, version)| label == "Renamed after the pack" && *version == 2)
    );

    // Ana writes it again (her copy has no pack to go by now), and a new computer uses it.
    let rewritten = vault.refresh(None, Some(&keys), Utc::now()).unwrap();
    assert_eq!(rewritten.from_pack, 0);
    let current = index(&bao);
    assert_ne!(current["set"], written["set"], "a new set");
    assert_eq!(first_load(&bao, &vault, &reader, Some(&keys)).from_pack, n + 1);

    // A part changed on the server (a key left out): not used, every key is read.
    let part = format!("{MOUNT}/data/{PATH}/packs/{}-0", current["set"].as_str().unwrap());
    let (_, body) = bao.call("GET", &part, None, &bao.root_token);
    let mut stored: Vec<Value> =
        serde_json::from_str(body["data"]["data"]["keys"].as_str().unwrap()).unwrap();
    stored.pop();
    let text = serde_json::to_string(&stored).unwrap();
    let (status, _) = bao.call("POST", &part, Some(json!({ "data": { "keys": text } })), &bao.root_token);
    assert_eq!(status, 200);
    let after = first_load(&bao, &vault, &reader, None);
    assert_eq!((after.keys_read, after.from_pack), (n + 1, 0));
    assert_eq!(after.snapshot.keys().len(), n + 1, "no key is missing");

    // An index changed by someone without the team's key: its HMAC does not hold for a member
    // who holds the key, who reads every key.
    let rewritten = vault.refresh(None, Some(&keys), Utc::now()).unwrap();
    assert_eq!(rewritten.from_pack, 0);
    let mut forged = index(&bao);
    forged["written_by"] = json!("mallory");
    let path = format!("{MOUNT}/data/{PATH}/packs/index");
    assert_eq!(bao.call("POST", &path, Some(json!({ "data": forged })), &bao.root_token).0, 200);
    let checked = first_load(&bao, &vault, &reader, Some(&keys));
    assert_eq!((checked.keys_read, checked.from_pack), (n + 1, 0));

    // An index whose set reaches out of the pack's folder is not used, and an admin's next
    // pack replaces it without deleting what it names.
    forged["set"] = json!(format!("../keys/{first_id}?x="));
    assert_eq!(bao.call("POST", &path, Some(json!({ "data": forged })), &bao.root_token).0, 200);
    assert_eq!(first_load(&bao, &vault, &reader, None).from_pack, 0);
    assert_eq!(vault.refresh(None, Some(&keys), Utc::now()).unwrap().from_pack, 0);
    let key_entry = format!("{MOUNT}/data/{PATH}/keys/{first_id}");
    assert_eq!(bao.call("GET", &key_entry, None, &bao.root_token).0, 200, "the key is still there");
    assert_eq!(first_load(&bao, &vault, &reader, None).from_pack, n + 1, "the pack was replaced");

    // The trail goes PACK_LAG entries past the pack: a member holding the key writes it anew.
    let mut copy = vault.refresh(None, Some(&keys), Utc::now()).unwrap().snapshot;
    let head = copy.pack_head();
    let before = index(&bao);
    add_keys(&vault, &keys, n + 1, PACK_LAG as usize);
    copy = vault.refresh(Some(copy), Some(&keys), Utc::now()).unwrap().snapshot;
    assert_eq!(copy.pack_head(), copy.audit_head);
    assert!(copy.pack_head() >= head + PACK_LAG);
    assert_eq!(index(&bao)["audit_head"], json!(copy.audit_head));
    for n in 0..before["parts"].as_array().unwrap().len() {
        let old = format!("{MOUNT}/data/{PATH}/packs/{}-{n}", before["set"].as_str().unwrap());
        assert_eq!(bao.call("GET", &old, None, &bao.root_token).0, 404, "the older set's parts are removed");
    }
    let total = n + 1 + PACK_LAG as usize;
    assert_eq!(first_load(&bao, &vault, &reader, Some(&keys)).from_pack, total);

    // A re-key removes the pack (sealed under the key it replaces).
    vault.rekey(&keys, &mut os_rng(), Utc::now()).unwrap();
    assert!(index(&bao).is_null(), "{}", index(&bao));
}

/// A computer of `vault`'s member for `keydesk`: a folder with its `team.ron`.
fn cli_member(vault: &TeamVault) -> common::Cli {
    let cli = common::Cli::new();
    std::fs::create_dir_all(&cli.vault).unwrap();
    keydesk::actions::team::write_config(&cli.vault, vault.config()).unwrap();
    cli
}

/// `keydesk args` on `cli`'s folder with the root token; its output.
fn run(bao: &Bao, cli: &common::Cli, args: &[&str]) -> String {
    let mut command = cli.command(args);
    command.env("BAO_TOKEN", &bao.root_token).env_remove("VAULT_TOKEN");
    let output = common::run(command, "");
    assert!(output.status.success(), "keydesk {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn a_command_that_unlocks_keeps_the_pack_and_another_computer_lists_from_it() {
    let bao = Bao::dev();
    let password = SecretString::from(common::PASSWORD);
    let (vault, keys) = TeamVault::create(
        kv(&bao, &bao.root_token),
        "ana",
        &password,
        KdfParams::MIN,
        common::entropy(),
        Utc::now(),
    )
    .unwrap();
    let n = PACK_LAG as usize + 10;
    add_keys(&vault, &keys, 0, n);
    let ana = cli_member(&vault);

    // Listing takes no password: every key is read one by one, and no pack is written.
    let listed = run(&bao, &ana, &["list", "--json"]);
    assert!(index(&bao).is_null(), "a command that did not unlock writes no pack");
    assert!(run(&bao, &ana, &["info"]).contains("Server's pack   not looked at from this computer yet"));
    // A reveal unlocks: once it is done, the pack is written from this computer's copy.
    let first: Value = serde_json::from_str(&listed).unwrap();
    let id = first[0]["id"].as_str().unwrap().to_owned();
    run(&bao, &ana, &["reveal", &id]);
    let written = index(&bao);
    assert!(written["audit_head"].as_u64().unwrap() >= PACK_LAG, "{written}");
    let info = run(&bao, &ana, &["info", "--json"]);
    let info: Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["pack_up_to"], written["audit_head"], "{info}");
    // Another reveal: the pack is recent, nothing is written again.
    run(&bao, &ana, &["reveal", &id]);
    assert_eq!(index(&bao)["set"], written["set"]);

    // Another computer lists the same keys, read from the pack.
    let bo = cli_member(&vault);
    assert_eq!(run(&bao, &bo, &["list", "--json"]), run(&bao, &ana, &["list", "--json"]));
    let info: Value = serde_json::from_str(&run(&bao, &bo, &["info", "--json"])).unwrap();
    assert_eq!(info["pack_up_to"], written["audit_head"], "its copy came from the pack: {info}");
}
