//! The extension and the native host's manifests name each other: the extension's id (made
//! from the public key in its manifest) is the one the Chromium host manifest allows, its
//! Firefox id the one the Firefox manifest allows, and every file the package installs exists.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use std::path::Path;

use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn json(path: &str) -> Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Chromium's extension id: the first 128 bits of SHA-256 of the public key, each hex digit
/// written as a letter from a to p.
fn chromium_id(public_key_base64: &str) -> String {
    let der = base64::engine::general_purpose::STANDARD.decode(public_key_base64).unwrap();
    let digest = Sha256::digest(der);
    digest[..16].iter().flat_map(|b| [b >> 4, b & 0xf]).map(|n| char::from(b'a' + n)).collect()
}

#[test]
fn the_extension_and_the_host_manifests_name_each_other() {
    let extension = json("extension/manifest.json");
    assert_eq!(extension["manifest_version"], 3);
    let id = chromium_id(extension["key"].as_str().unwrap());
    let chromium = json("packaging/browser/app.keydesk.host.chromium.json");
    let firefox = json("packaging/browser/app.keydesk.host.firefox.json");
    assert_eq!(chromium["allowed_origins"], serde_json::json!([format!("chrome-extension://{id}/")]));
    assert_eq!(firefox["allowed_extensions"][0], extension["browser_specific_settings"]["gecko"]["id"]);
    for host in [&chromium, &firefox] {
        assert_eq!(host["name"], "app.keydesk.host");
        assert_eq!(host["type"], "stdio");
        assert_eq!(host["path"], "/usr/lib/keydesk/keydesk-browser-host");
    }
    let background =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("extension/background.js"))
            .unwrap();
    assert!(background.contains(r#"const HOST = "app.keydesk.host";"#));
    assert_eq!(extension["permissions"], serde_json::json!(["nativeMessaging"]), "no other permission");
    assert_eq!(extension["action"]["default_popup"], "popup.html", "the toolbar button opens the popup");
}

#[test]
fn every_file_the_package_installs_for_the_browser_exists() {
    let cargo: toml_like::Assets = toml_like::assets(include_str!("../../Cargo.toml"));
    let browser: Vec<&String> =
        cargo.iter().filter(|a| a.starts_with("extension/") || a.starts_with("packaging/browser/")).collect();
    assert_eq!(browser.len(), 13);
    for asset in &browser {
        assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join(asset).is_file(), "{asset} is missing");
    }
    // And every file of the extension is installed: the popup and its script too.
    let mut files = vec![];
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("extension")).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            files.push(format!("extension/{}", entry.file_name().to_string_lossy()));
        }
    }
    for file in files {
        assert!(browser.contains(&&file), "{file} is not installed by the package");
    }
}

/// The sources of the Debian package's assets, read from Cargo.toml's lines.
mod toml_like {
    pub type Assets = Vec<String>;

    pub fn assets(cargo: &str) -> Assets {
        cargo
            .lines()
            .filter_map(|line| line.trim().strip_prefix("[\""))
            .filter_map(|rest| rest.split('"').next())
            .map(str::to_owned)
            .collect()
    }
}
