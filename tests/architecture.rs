//! Architecture invariants from ARCHITECTURE.md, checked on the source text.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// Fails when any file under `dir` (relative to the crate) mentions one of `banned` in code.
fn check(dir: &str, banned: &[&str], why: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let files = rust_files(&root);
    assert!(!files.is_empty(), "{dir} has no Rust files");
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in banned {
                if code.contains(word) {
                    found.push(format!("{}:{}: {word}", file.display(), number + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "{why}:\n{}", found.join("\n"));
}

#[test]
fn the_vault_core_knows_no_ui_keychain_clipboard_or_network() {
    check(
        "src/vault",
        &[
            "egui",
            "eframe",
            "keyring",
            "arboard",
            "reqwest",
            "ureq",
            "hyper",
            "rustls",
            "std::net",
            "crate::cli",
        ],
        "src/vault/ must not use egui, eframe, keyring, arboard or an HTTP client",
    );
}

#[test]
fn the_vault_core_does_no_io_of_its_own() {
    check(
        "src/vault",
        &["std::fs", "std::process", "std::io::stdin", "std::env", "println!", "eprintln!", "SystemTime"],
        "src/vault/ gets files, time and randomness from outside",
    );
}

#[test]
fn only_storage_and_secrets_touch_the_file_system() {
    for dir in ["src/providers", "src/vault"] {
        check(dir, &["std::fs", "File::"], "only src/storage and src/secrets read or write files");
    }
}
