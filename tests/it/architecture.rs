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
fn the_library_is_given_its_randomness_and_never_reaches_a_front_end() {
    for dir in ["src/team", "src/actions", "src/providers", "src/import", "src/storage", "src/secrets"] {
        check(
            dir,
            &["os_rng", "crate::cli", "crate::ui"],
            "the library is given an Entropy or an EntropySource (the front ends' cli::entropy and ui::entropy make them) and knows no front end",
        );
    }
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
    for dir in ["src/providers", "src/vault", "src/import", "src/team", "src/actions"] {
        check(dir, &["std::fs", "File::"], "only src/storage and src/secrets read or write files");
    }
    // The command line too, but for what is listed here (each to move into src/storage).
    let known = [
        ("commands.rs", "std::fs::remove_file("),
        ("commands.rs", "std::fs::remove_dir("),
        ("input.rs", "std::fs::metadata("),
        ("input.rs", "std::os::unix::fs::PermissionsExt"),
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cli");
    let mut found = Vec::new();
    for file in rust_files(&root) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let allowed = known.iter().any(|(in_file, call)| *in_file == name && code.contains(call));
            if (code.contains("fs::") || code.contains("File::")) && !allowed {
                found.push(format!("src/cli/{name}:{}: {}", number + 1, code.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "the command line reads and writes files through src/storage:\n{}",
        found.join("\n")
    );
}

/// The screens of the window: they draw plain data and return commands.
const SCREEN_FILES: [&str; 26] = [
    "accounts.rs",
    "audit_log.rs",
    "card.rs",
    "dashboard.rs",
    "dashboard_row.rs",
    "detail.rs",
    "detail_sections.rs",
    "files.rs",
    "fills.rs",
    "health.rs",
    "import_columns.rs",
    "incidents.rs",
    "meta_form.rs",
    "new_key.rs",
    "revoke.rs",
    "screens.rs",
    "server_setup.rs",
    "settings.rs",
    "state.rs",
    "team.rs",
    "team_page.rs",
    "team_panels.rs",
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
        .filter(|n| !["app.rs", "session.rs", "jobs.rs", "mod.rs", "failure.rs"].contains(&n.as_str()))
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

/// Runs scripts/deny-check.py (what scripts/test.sh runs where cargo-deny is not installed)
/// with the project's deny.toml on `packages` as cargo metadata would list them: its exit
/// code and what it said.
fn deny_check(packages: &serde_json::Value) -> (i32, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let metadata = dir.path().join("metadata.json");
    std::fs::write(&metadata, serde_json::json!({ "packages": packages }).to_string()).unwrap();
    let output = std::process::Command::new("python3")
        .arg(root.join("scripts/deny-check.py"))
        .arg("--metadata")
        .arg(&metadata)
        .arg("--config")
        .arg(root.join("deny.toml"))
        .output()
        .expect("python3 runs scripts/deny-check.py (scripts/test.sh installs it)");
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned())
}

fn package(name: &str, license: &str, source: Option<&str>) -> serde_json::Value {
    serde_json::json!({ "name": name, "version": "1.2.3", "license": license, "source": source, "dependencies": [] })
}

const CRATES_IO: Option<&str> = Some("registry+https://github.com/rust-lang/crates.io-index");

#[test]
fn the_deny_check_without_cargo_deny_passes_allowed_crates_and_fails_planted_ones() {
    let fine = vec![
        package("keydesk", "MIT", None),
        package("a", "(MIT OR Apache-2.0) AND Unicode-3.0", CRATES_IO),
        package("b", "Apache-2.0 WITH LLVM-exception OR GPL-3.0-only", CRATES_IO),
        package("c", "MIT/Apache-2.0", CRATES_IO),
        package("d", "Apache-2.0 OR GPL-2.0-only", Some("sparse+https://index.crates.io/")),
    ];
    let (code, said) = deny_check(&serde_json::Value::Array(fine.clone()));
    assert_eq!(code, 0, "{said}");
    assert!(said.contains("licences, bans and sources ok (5 crates)"), "{said}");

    let planted = [
        (package("gpl", "GPL-3.0-only", CRATES_IO), "licence: gpl 1.2.3 is under 'GPL-3.0-only'"),
        (package("both", "MIT AND GPL-2.0-only", CRATES_IO), "licence: both 1.2.3"),
        (package("exc", "GPL-2.0 WITH Classpath-exception-2.0", CRATES_IO), "licence: exc 1.2.3"),
        (package("half", "MIT OR", CRATES_IO), "licence: half 1.2.3: 'MIT OR' ends too early"),
        (
            package("paren", "(MIT OR Apache-2.0", CRATES_IO),
            "licence: paren 1.2.3: '(MIT OR Apache-2.0' misses a ')'",
        ),
        (package("openssl", "Apache-2.0", CRATES_IO), "ban: openssl 1.2.3 is banned (Keydesk uses rustls)"),
        (package("native-tls", "MIT", CRATES_IO), "ban: native-tls 1.2.3 is banned"),
        (
            package("forked", "MIT", Some("git+https://example.com/forked.git#0123abc")),
            "source: forked 1.2.3 comes from git+",
        ),
        (package("other", "MIT", Some("registry+https://example.com/index")), "source: other 1.2.3"),
    ];
    for (bad, expected) in planted {
        let mut packages = fine.clone();
        packages.push(bad);
        let (code, said) = deny_check(&serde_json::Value::Array(packages));
        assert_eq!(code, 1, "{expected}: {said}");
        assert!(said.contains(expected), "{expected}: {said}");
        assert!(said.contains("1 problem(s) in 6 crates"), "only the planted crate: {said}");
    }
    // A dependency on any version of a registry crate (`*`); a path dependency may.
    let mut wildcard = package("wild", "MIT", None);
    wildcard["dependencies"] = serde_json::json!([
        { "name": "rand", "req": "*", "source": "registry+https://github.com/rust-lang/crates.io-index" },
        { "name": "local", "req": "*", "source": null, "path": "/src/local" },
    ]);
    let (code, said) = deny_check(&serde_json::json!([wildcard]));
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("ban: wild 1.2.3 depends on rand at any version"), "{said}");
    assert!(!said.contains("local"), "{said}");
}

#[test]
fn the_deny_check_without_cargo_deny_finds_a_crate_an_advisory_names() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let db = tempfile::tempdir().unwrap();
    let advise = |id: &str, crate_name: &str, extra: &str, patched: &str| {
        let folder = db.path().join("advisory-db-main/crates").join(crate_name);
        std::fs::create_dir_all(&folder).unwrap();
        let text = format!(
            "```toml\n[advisory]\nid = \"{id}\"\npackage = \"{crate_name}\"\n{extra}\n[versions]\npatched = [{patched}]\n```\n\n# Title\n"
        );
        std::fs::write(folder.join(format!("{id}.md")), text).unwrap();
    };
    advise("RUSTSEC-2099-0001", "a", "", "\">= 1.2.4\"");
    advise("RUSTSEC-2099-0002", "b", "", "\">= 1.2.0, < 2.0.0\"");
    advise("RUSTSEC-2099-0003", "c", "withdrawn = \"2099-01-02\"", "");
    advise("RUSTSEC-2099-0004", "d", "informational = \"unmaintained\"", "");
    let run = |packages: serde_json::Value| {
        let metadata = db.path().join("metadata.json");
        std::fs::write(&metadata, serde_json::json!({ "packages": packages }).to_string()).unwrap();
        let output = std::process::Command::new("python3")
            .arg(root.join("scripts/deny-check.py"))
            .args(["--config".as_ref(), root.join("deny.toml").as_os_str()])
            .args(["--metadata".as_ref(), metadata.as_os_str()])
            .args(["--advisories".as_ref(), db.path().as_os_str()])
            .output()
            .unwrap();
        (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
    };
    // b is patched at 1.2.3, c's advisory was withdrawn.
    let fine = vec![package("b", "MIT", CRATES_IO), package("c", "MIT", CRATES_IO)];
    let (code, said) = run(serde_json::Value::Array(fine.clone()));
    assert_eq!(code, Some(0), "{said}");
    for (bad, expected) in [
        (package("a", "MIT", CRATES_IO), "advisory: a 1.2.3: RUSTSEC-2099-0001 (vulnerability)"),
        (package("d", "MIT", CRATES_IO), "advisory: d 1.2.3: RUSTSEC-2099-0004 (unmaintained)"),
    ] {
        let mut packages = fine.clone();
        packages.push(bad);
        let (code, said) = run(serde_json::Value::Array(packages));
        assert_eq!(code, Some(1), "{said}");
        assert!(said.contains(expected), "{said}");
    }
}

/// The lines of `text` where a `Result<` is followed, within the same statement on that line,
/// by `, String>`: an error side typed as a bare sentence.
fn string_errors(text: &str) -> Vec<usize> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let typed_as_text = code.match_indices("Result<").any(|(at, _)| {
            let rest = &code[at..];
            let statement = rest.split(';').next().unwrap_or(rest);
            statement.contains(", String>")
        });
        if typed_as_text {
            found.push(number + 1);
        }
    }
    found
}

#[test]
fn the_window_types_its_errors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui");
    let mut found = Vec::new();
    for file in rust_files(&root) {
        let text = std::fs::read_to_string(&file).unwrap();
        found.extend(string_errors(&text).into_iter().map(|line| format!("{}:{line}", file.display())));
    }
    assert!(
        found.is_empty(),
        "src/ui/ hands errors on as crate::ui::Failure (or a domain error), not as a String:\n{}",
        found.join("\n")
    );
    // The check itself sees what it is for.
    assert_eq!(string_errors("fn f() -> Result<String, String> {\nlet ok: Result<u8, Failure>;"), vec![1]);
}

/// The model is not a file format: a key, an account and an incident are stored through
/// `vault::stored`'s own types, so a change to the model changes no file and no team entry
/// unseen. Only what `vault.ron` alone holds (its header, settings and audit head) and values
/// with a text of their own (a key's id) are written as the model has them.
#[test]
fn the_model_is_stored_through_its_own_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/vault/model.rs");
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let written_as_is = ["KeyId", "Header", "AuditKey", "SecretBackend", "Settings", "AuditHead"];
    let mut found = Vec::new();
    for (at, line) in lines.iter().enumerate() {
        if !(line.starts_with("#[derive(") && (line.contains("Serialize") || line.contains("Deserialize"))) {
            continue;
        }
        let item = lines[at + 1..].iter().find(|l| !l.starts_with("#[")).unwrap();
        let name = item.split_whitespace().nth(2).unwrap_or("");
        let name = name.split(|c: char| !c.is_alphanumeric()).next().unwrap_or("");
        if !written_as_is.contains(&name) {
            found.push(format!("model.rs:{}: {name}", at + 1));
        }
    }
    assert!(
        found.is_empty(),
        "model types with serde derives (store them through vault::stored):\n{}",
        found.join("\n")
    );
}
