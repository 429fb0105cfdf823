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
    for dir in ["src/providers", "src/vault", "src/import", "src/team"] {
        check(dir, &["std::fs", "File::"], "only src/storage and src/secrets read or write files");
    }
}

/// The screens of the window: they draw plain data and return commands.
const SCREEN_FILES: [&str; 17] = [
    "accounts.rs",
    "audit_log.rs",
    "dashboard.rs",
    "detail.rs",
    "meta_form.rs",
    "new_key.rs",
    "revoke.rs",
    "settings.rs",
    "state.rs",
    "team.rs",
    "team_detail.rs",
    "team_incidents.rs",
    "team_rotation.rs",
    "theme.rs",
    "unlock.rs",
    "whois.rs",
    "widgets.rs",
];

/// The source with the text of its string literals left out (what a screen says is not
/// code); line breaks are kept, so line numbers stay right.
fn without_strings(source: &str) -> String {
    let mut code = String::new();
    let (mut in_string, mut escaped) = (false, false);
    for c in source.chars() {
        if c == '\n' {
            code.push(c);
            continue;
        }
        if in_string {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => escaped = false,
            }
        } else if c == '"' {
            in_string = true;
            code.push_str("\"\"");
        } else {
            code.push(c);
        }
    }
    code
}

/// Fails when a screen file mentions one of `banned` in code (whole words for identifiers).
fn check_screens(banned: &[&str], why: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui");
    // Files in src/ui/app/ and src/ui/session/ belong to the shell and the session.
    let listed: Vec<String> = rust_files(&root)
        .iter()
        .filter(|p| p.parent() == Some(root.as_path()))
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|n| !["app.rs", "session.rs", "jobs.rs", "mod.rs"].contains(&n.as_str()))
        .collect();
    for name in &listed {
        assert!(
            SCREEN_FILES.contains(&name.as_str()),
            "src/ui/{name} is new: list it as a screen file or not"
        );
    }
    let mut found = Vec::new();
    for name in SCREEN_FILES {
        let text = without_strings(&std::fs::read_to_string(root.join(name)).unwrap());
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in banned {
                let whole_word = code.match_indices(word).any(|(at, _)| {
                    let before = code[..at].chars().next_back();
                    let after = code[at + word.len()..].chars().next();
                    let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                    !ident(before) && !ident(after)
                });
                if whole_word {
                    found.push(format!("src/ui/{name}:{}: {word}", number + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "{why}:\n{}", found.join("\n"));
}

#[test]
fn screens_touch_no_file_keychain_clipboard_or_network() {
    check_screens(
        &[
            "std::fs",
            "File::",
            "OpenOptions",
            "secrets",
            "SecretStore",
            "clipboard",
            "Clipboard",
            "SystemClipboard",
            "http",
            "ureq",
            "Client",
            "actions::plan_verify",
            "actions::plan_create",
            "actions::plan_revoke",
            "std::thread",
            "std::process",
        ],
        "screens in src/ui/ only draw: no files, secret store, clipboard, network or threads",
    );
}

#[test]
fn screens_read_plain_data_not_the_vault() {
    check_screens(
        &["Vault", "audit_text", "read_audit", "read_vault", "verify_audit", "VaultDir", "storage"],
        "screens get the vault's plain data (VaultFile) and the cached audit lines, never the Vault itself",
    );
}

#[test]
fn timers_run_in_logic_and_ui_only_draws() {
    let app = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui/app.rs")).unwrap();
    let ui_fn = app.split("fn ui(&mut self").nth(1).and_then(|rest| rest.split("\n    }").next()).unwrap();
    assert!(!ui_fn.contains("tick"), "App::ui must not run timers: {ui_fn}");
    let logic_fn =
        app.split("fn logic(&mut self").nth(1).and_then(|rest| rest.split("\n    }").next()).unwrap();
    assert!(logic_fn.contains("self.tick(ctx)"), "App::logic runs the timers: {logic_fn}");
    let frame_ui =
        app.split("pub fn frame_ui(").nth(1).and_then(|rest| rest.split("\n    }\n").next()).unwrap();
    for call in ["run_cmd", "tick", "jobs.finished", "handle_done", "lock_now"] {
        assert!(!frame_ui.contains(call), "frame_ui only draws and queues, but calls {call}");
    }
}
