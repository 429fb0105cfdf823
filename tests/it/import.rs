//! Import and export through the command line, with files made by the real programs where
//! they are on Debian: KeePassXC's own exports of a database built here with `keepassxc-cli`,
//! and spreadsheets saved by LibreOffice (`soffice --headless`). Bitwarden's and 1Password's
//! exports are hand-made fixtures that follow their documented layouts (tests/fixtures/import).
//! Every imported secret is read back with `reveal`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Cli, keychain_required};
use keydesk::secrets::SecretStore;

/// Whether `program` can be run here; CI (scripts/test.sh) installs every one of them.
fn have(program: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(!keychain_required(), "{program} is missing: scripts/test.sh installs it");
        eprintln!("skipped: {program} is not installed here; scripts/test.sh installs it");
    }
    found
}

/// Takes this test's vault out of the test keychain, which every test shares: gnome-keyring's
/// writes slow down as it fills (14 ms an item empty, about 38 ms at 1,000), for all of them.
fn forget_keychain_items(cli: &Cli) {
    if !keychain_required() {
        return;
    }
    let info = json(&cli.ok_without_password_or_keychain(&["info", "--json"]));
    let vault_id = info["vault_id"].as_str().unwrap().to_owned();
    let mut store = keydesk::secrets::keychain::KeychainStore::open().unwrap();
    for name in store.names(&format!("{vault_id}/")).unwrap() {
        store.delete(&name).unwrap();
    }
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The verdicts of an `import --json` answer by line.
fn verdicts(answer: &serde_json::Value) -> Vec<(u64, String)> {
    let mut rows: Vec<(u64, String)> = answer["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["verdict"].as_str().unwrap().to_owned()))
        .collect();
    rows.sort();
    rows
}

fn counts(answer: &serde_json::Value) -> [u64; 4] {
    ["new", "in_vault", "repeated", "skipped"].map(|k| answer[k].as_u64().unwrap())
}

/// id of the key labelled `label`, from `list --json`.
fn id_of(cli: &Cli, label: &str) -> String {
    let list = json(&cli.ok(&["list", "--json"], ""));
    list.as_array()
        .unwrap()
        .iter()
        .find(|k| k["label"] == label)
        .unwrap_or_else(|| panic!("no key labelled {label}: {list}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn reveal(cli: &Cli, label: &str) -> String {
    cli.ok(&["reveal", &id_of(cli, label)], "").trim_end().to_owned()
}

fn keepassxc(args: &[&str], stdin: &str) -> String {
    let output = common::run(
        {
            let mut command = Command::new("keepassxc-cli");
            command.args(args);
            command
        },
        stdin,
    );
    assert!(output.status.success(), "keepassxc-cli {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// The secrets the KeePassXC database holds, by title.
const KEEPASS_ENTRIES: [(&str, &str, &str); 3] = [
    ("Email", "Newsletter – 日本", "keepassxc-fixture-value-0001"),
    ("Email/Transactional", "Order mails", "keepassxc-fixture-value-0002"),
    ("", "CRM webhook", "keepassxc-fixture-value-0003"),
];

#[test]
fn keepassxc_exports_import_every_entry_once() {
    if !have("keepassxc-cli") {
        return;
    }
    let cli = Cli::new();
    let db = cli.dir.path().join("keys.kdbx");
    let db = db.to_str().unwrap();
    let pass = "database password\n";
    keepassxc(&["db-create", "-p", db], &format!("{pass}{pass}"));
    keepassxc(&["mkdir", "-q", db, "Email"], pass);
    keepassxc(&["mkdir", "-q", db, "Email/Transactional"], pass);
    for (group, title, secret) in KEEPASS_ENTRIES {
        let path = if group.is_empty() { title.to_owned() } else { format!("{group}/{title}") };
        keepassxc(
            &[
                "add",
                "-q",
                "-u",
                "ops@example.com",
                "--url",
                "https://app.example.com/api",
                "--notes",
                "first line\nsecond \"quoted\" line",
                "-p",
                db,
                &path,
            ],
            &format!("{pass}{secret}\n"),
        );
    }
    // One entry without a password, one thrown in the recycle bin.
    keepassxc(&["add", "-q", db, "Wifi note"], pass);
    keepassxc(&["add", "-q", "-p", db, "Deleted key"], &format!("{pass}keepassxc-fixture-deleted\n"));
    keepassxc(&["rm", "-q", db, "Deleted key"], pass);
    let xml = cli.dir.path().join("export.xml");
    let csv = cli.dir.path().join("export.csv");
    std::fs::write(&xml, keepassxc(&["export", "-q", "-f", "xml", db], pass)).unwrap();
    std::fs::write(&csv, keepassxc(&["export", "-q", "-f", "csv", db], pass)).unwrap();

    // Into the OS keychain where the test session has one (as CI does).
    cli.init_cheap(if keychain_required() { &[] } else { &["--secret-store", "file"] });
    let (xml, csv) = (xml.to_str().unwrap(), csv.to_str().unwrap());
    let preview = json(&cli.ok(&["import", xml, "--dry-run", "--json"], ""));
    assert_eq!(preview["format"], "keepassxc-xml");
    assert_eq!(counts(&preview), [3, 0, 0, 2], "{preview}");
    assert!(
        json(&cli.ok(&["list", "--json"], "")).as_array().unwrap().is_empty(),
        "a dry run writes nothing"
    );
    let reasons: Vec<&str> =
        preview["rows"].as_array().unwrap().iter().filter_map(|r| r["reason"].as_str()).collect();
    assert!(reasons.iter().any(|r| r.contains("recycle bin")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("no key")), "{reasons:?}");

    let imported = json(&cli.ok(&["import", xml, "--json"], ""));
    assert_eq!(imported["imported"], 3);
    assert_eq!(verdicts(&imported), verdicts(&preview), "the import does what the preview said");
    for (group, title, secret) in KEEPASS_ENTRIES {
        assert_eq!(reveal(&cli, title), secret);
        let list = json(&cli.ok(&["list", "--json"], ""));
        let key = list.as_array().unwrap().iter().find(|k| k["label"] == title).unwrap().clone();
        let tags: Vec<&str> = key["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        assert_eq!(tags, if group.is_empty() { vec![] } else { vec![group] }, "{key}");
        assert!(key["notes"].as_str().unwrap().contains("second \"quoted\" line"), "{key}");
        assert_eq!(key["integrations"][0]["url"], "https://app.example.com/api");
    }
    assert!(!cli.ok(&["list", "--json"], "").contains("Deleted key"));

    // The same file again, and KeePassXC's CSV of the same database: nothing new.
    let again = json(&cli.ok(&["import", xml, "--json"], ""));
    assert_eq!((counts(&again), &again["imported"]), ([0, 3, 0, 2], &serde_json::json!(0)));
    let from_csv = json(&cli.ok(&["import", csv, "--json"], ""));
    assert_eq!(from_csv["format"], "keepassxc-csv");
    assert_eq!(counts(&from_csv), [0, 3, 0, 2], "{from_csv}");
    let said = cli.ok(&["import", csv], "");
    assert!(said.contains("Nothing to import"), "{said}");
    assert!(cli.ok(&["check"], "").contains("Everything is in order."));
    let audit = cli.ok(&["audit", "--json"], "");
    assert_eq!(
        audit.matches("\"import\"").count(),
        1,
        "one audit line for the one import that wrote: {audit}"
    );
    forget_keychain_items(&cli);
}

/// LibreOffice Calc saves `source` (a CSV) as .xlsx, then that as CSV with `options`.
fn saved_by_libreoffice(dir: &Path, source: &str, options: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let src = dir.join("sheet.csv");
    std::fs::write(&src, source).unwrap();
    let profile = format!("-env:UserInstallation=file://{}", dir.join("lo-profile").display());
    let convert = |args: &[&str]| {
        let output = Command::new("soffice").arg(&profile).args(args).output().unwrap();
        assert!(output.status.success(), "soffice {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    };
    let outdir = dir.join("xlsx");
    convert(&[
        "--headless",
        "--infilter=CSV:44,34,76,1",
        "--convert-to",
        "xlsx",
        "--outdir",
        outdir.to_str().unwrap(),
        src.to_str().unwrap(),
    ]);
    let csvdir = dir.join("csv");
    convert(&[
        "--headless",
        "--convert-to",
        &format!("csv:Text - txt - csv (StarCalc):{options}"),
        "--outdir",
        csvdir.to_str().unwrap(),
        outdir.join("sheet.xlsx").to_str().unwrap(),
    ]);
    csvdir.join("sheet.csv")
}

#[test]
fn spreadsheets_saved_by_libreoffice_import_with_quotes_semicolons_and_line_breaks() {
    if !have("soffice") {
        return;
    }
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    let source = "Label,Key,Notes,Integrations,Rotate_days,Expires,Provider\n\
                  \"Newsletter, \"\"main\"\"\",spreadsheet-value-0001,\"first line\nsecond; line\",HubSpot=https://app.hubspot.com;Zapier,90,2099-01-31,\n\
                  Клиенты 日本,spreadsheet-value-0002,,,,,Sendinblue\n\
                  Missing key,,note,,,,\n\
                  Bad date,spreadsheet-value-0003,,,,31/01/2099,\n\
                  Copy of the first,spreadsheet-value-0001,,,,,\n";
    // Semicolons (as Calc and Excel write where the comma is the decimal mark), UTF-8.
    let sheet = saved_by_libreoffice(cli.dir.path(), source, "59,34,76,1");
    let text = std::fs::read_to_string(&sheet).unwrap();
    assert!(text.starts_with("\"Label\";\"Key\";"), "{text}");
    // Excel's "CSV UTF-8" starts with a byte-order mark; Calc 7.4 writes none, so one is added.
    let with_bom = cli.dir.path().join("with-bom.csv");
    std::fs::write(&with_bom, format!("\u{feff}{text}")).unwrap();
    let with_bom = with_bom.to_str().unwrap();

    let preview = json(&cli.ok(&["import", with_bom, "--dry-run", "--json"], ""));
    assert_eq!(preview["format"], "csv");
    assert_eq!(counts(&preview), [3, 0, 1, 1], "{preview}");
    assert_eq!(
        verdicts(&preview),
        [
            (2, "new".into()),
            (4, "new".into()),
            (5, "skipped".into()),
            (6, "new".into()),
            (7, "repeated".into())
        ]
    );
    let reasons: Vec<String> = preview["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["reason"].as_str().map(str::to_owned))
        .collect();
    assert!(reasons[0].contains("no key"), "{reasons:?}");

    let said = cli.ok(&["import", with_bom], "");
    assert!(said.contains("line 7: \"Copy of the first\": the same key as line 2"), "{said}");
    assert!(said.contains("Imported 3 keys"), "{said}");
    assert_eq!(reveal(&cli, "Newsletter, \"main\""), "spreadsheet-value-0001");
    assert_eq!(reveal(&cli, "Клиенты 日本"), "spreadsheet-value-0002");
    let list = json(&cli.ok(&["list", "--json"], ""));
    let first = list.as_array().unwrap().iter().find(|k| k["label"] == "Newsletter, \"main\"").unwrap();
    assert_eq!(first["notes"], "first line\nsecond; line");
    assert_eq!(first["rotate_after_days"], 90);
    assert_eq!(first["integrations"].as_array().unwrap().len(), 2);
    let second = list.as_array().unwrap().iter().find(|k| k["label"] == "Клиенты 日本").unwrap();
    assert!(second["notes"].as_str().unwrap().contains("Sendinblue"), "{second}");

    // The same spreadsheet saved with commas is the same keys.
    let commas = saved_by_libreoffice(&cli.dir.path().join("again"), source, "44,34,76,1");
    let again = json(&cli.ok(&["import", commas.to_str().unwrap(), "--json"], ""));
    assert_eq!(counts(&again), [0, 4, 0, 1], "{again}");
}

/// LibreOffice Calc saves `source` (a CSV) as .xlsx.
fn workbook_by_libreoffice(dir: &Path, source: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let src = dir.join("keys.csv");
    std::fs::write(&src, source).unwrap();
    let profile = format!("-env:UserInstallation=file://{}", dir.join("lo-profile").display());
    let outdir = dir.join("xlsx");
    let output = Command::new("soffice")
        .arg(&profile)
        .args(["--headless", "--infilter=CSV:44,34,76,1", "--convert-to", "xlsx", "--outdir"])
        .args([outdir.to_str().unwrap(), src.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "soffice: {}", String::from_utf8_lossy(&output.stderr));
    outdir.join("keys.xlsx")
}

#[test]
fn workbooks_saved_by_libreoffice_import_with_their_dates() {
    if !have("soffice") {
        return;
    }
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    let source = "Name,API Key,Expires,Notes\n\
                  \"Newsletter, \"\"main\"\"\",workbook-value-0001,2099-01-31,\"first line\nsecond\"\n\
                  Numbers only,123456789012,,\n\
                  Missing key,,,note\n";
    let book = workbook_by_libreoffice(cli.dir.path(), source);
    assert!(std::fs::read(&book).unwrap().starts_with(b"PK\x03\x04"), "a zip archive");
    let book = book.to_str().unwrap();
    let preview = json(&cli.ok(&["import", book, "--dry-run", "--json"], ""));
    assert_eq!(preview["format"], "xlsx");
    assert_eq!(counts(&preview), [2, 0, 0, 1], "{preview}");
    // Lines are the worksheet's rows: a cell's line break does not move the rows after it.
    assert_eq!(verdicts(&preview), [(2, "new".into()), (3, "new".into()), (4, "skipped".into())]);
    // --columns reads a workbook's sheet too: by number and by header, whatever the header.
    let columns = "label=1,key=\"api KEY\",notes=Expires";
    let mapped = json(&cli.ok(&["import", book, "--columns", columns, "--dry-run", "--json"], ""));
    assert_eq!((&mapped["format"], counts(&mapped)), (&serde_json::json!("xlsx"), [2, 0, 0, 1]), "{mapped}");
    let mapped =
        json(&cli.ok(&["import", book, "--columns", "label=Notes,key=2", "--dry-run", "--json"], ""));
    assert_eq!(counts(&mapped), [0, 0, 0, 3], "a label with a line break, none, no key: {mapped}");
    let said = cli.ok(&["import", book], "");
    assert!(said.contains("Imported 2 keys"), "{said}");
    assert_eq!(reveal(&cli, "Newsletter, \"main\""), "workbook-value-0001");
    assert_eq!(reveal(&cli, "Numbers only"), "123456789012");
    let list = json(&cli.ok(&["list", "--json"], ""));
    let first = list.as_array().unwrap().iter().find(|k| k["label"] == "Newsletter, \"main\"").unwrap();
    assert_eq!(first["notes"], "first line\nsecond");
    assert!(first["expires_at"].as_str().unwrap().starts_with("2099-01-31"), "{first}");
}

#[test]
fn a_1pux_export_imports_its_api_credentials_and_logins() {
    use std::io::Write;
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    let data = r#"{"accounts":[{"attrs":{"accountName":"Ops","uuid":"A1"},"vaults":[{"attrs":{"uuid":"V1","name":"Email"},"items":[
      {"uuid":"i1","createdAt":1700000000,"updatedAt":1700000000,"state":"active","categoryUuid":"110",
       "details":{"loginFields":[],"notesPlain":"Sending only","sections":[{"title":"","name":"","fields":[
         {"title":"credential","id":"credential","value":{"concealed":"onepux-cli-value-0001"}},
         {"title":"pin","id":"p","value":{"string":"462916"}}]}],"passwordHistory":[]},
       "overview":{"title":"Postmark server","urls":[],"url":"","tags":["Email"]}},
      {"uuid":"i2","createdAt":1700000000,"updatedAt":1700000000,"state":"active","categoryUuid":"003",
       "details":{"loginFields":[],"notesPlain":"a note","sections":[],"passwordHistory":[]},
       "overview":{"title":"Meeting notes","urls":[],"url":"","tags":[]}}]}]}]}"#;
    let path = cli.dir.path().join("export.1pux");
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for (name, content) in [("export.attributes", r#"{"version":3}"#), ("export.data", data)] {
        writer.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        writer.write_all(content.as_bytes()).unwrap();
    }
    writer.finish().unwrap();
    let path = path.to_str().unwrap();
    let preview = json(&cli.ok(&["import", path, "--dry-run", "--json"], ""));
    assert_eq!(preview["format"], "1pux");
    assert_eq!(counts(&preview), [1, 0, 0, 1], "{preview}");
    let said = cli.ok(&["import", path], "");
    assert!(said.contains("secure note"), "the skipped item says what it is: {said}");
    assert_eq!(reveal(&cli, "Postmark server"), "onepux-cli-value-0001");
    let list = cli.ok(&["list", "--json"], "");
    assert!(list.contains("Sending only") && !list.contains("462916"), "{list}");
}

#[test]
fn bitwarden_and_1password_exports_follow_their_documented_layouts() {
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import");
    let bitwarden = fixtures.join("bitwarden.json");
    let preview = json(&cli.ok(&["import", bitwarden.to_str().unwrap(), "--dry-run", "--json"], ""));
    assert_eq!(preview["format"], "bitwarden");
    assert_eq!(counts(&preview), [2, 0, 1, 2], "{preview}");
    let imported = json(&cli.ok(&["import", bitwarden.to_str().unwrap(), "--json"], ""));
    assert_eq!(imported["imported"], 2);
    assert_eq!(reveal(&cli, "Mailgun sending"), "bitwarden-fixture-field-value-0001");
    assert_eq!(reveal(&cli, "Newsletter – Zeitplan"), "bitwarden-fixture-note-value-0002");
    let list = cli.ok(&["list", "--json"], "");
    assert!(list.contains("Email platforms"), "the folder is a tag: {list}");
    assert!(!list.contains("the-account-password-not-the-key"));

    let onepassword = fixtures.join("1password.csv");
    let preview = json(&cli.ok(&["import", onepassword.to_str().unwrap(), "--dry-run", "--json"], ""));
    assert_eq!(preview["format"], "1password");
    assert_eq!(counts(&preview), [2, 0, 0, 2], "{preview}");
    cli.ok(&["import", onepassword.to_str().unwrap()], "");
    assert_eq!(reveal(&cli, "Klaviyo private key"), "onepassword-fixture-value-0001");
    assert_eq!(reveal(&cli, "CRM webhook"), "onepassword-fixture-value-0003");
    assert!(!cli.ok(&["list", "--json"], "").contains("Old Brevo key"), "archived items stay out");
}

#[test]
fn an_export_with_secrets_needs_the_words_is_private_and_imports_back_whole() {
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import");
    cli.ok(&["import", fixtures.join("bitwarden.json").to_str().unwrap()], "");
    cli.ok(
        &["add", "--label", "=HYPERLINK(\"http://evil\")", "--integration", "CRM=https://crm.example.com"],
        "export-test-value-0003\n",
    );
    let plain = cli.dir.path().join("metadata.csv");
    cli.ok(&["export", plain.to_str().unwrap()], "");
    let text = std::fs::read_to_string(&plain).unwrap();
    assert!(!text.contains("fixture-field-value"), "no secret without --with-secrets: {text}");
    assert!(text.contains("\"'=HYPERLINK"), "a formula is defused: {text}");

    let secret_file = cli.dir.path().join("secrets.csv");
    let refused = cli.run_with(&["export", secret_file.to_str().unwrap(), "--with-secrets"], "yes\n");
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("export secrets"));
    assert!(!secret_file.exists());
    cli.ok(&["export", secret_file.to_str().unwrap(), "--with-secrets"], "export secrets\n");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&secret_file).unwrap().permissions().mode() & 0o777, 0o600);
    let again =
        cli.run_with(&["export", secret_file.to_str().unwrap(), "--with-secrets"], "export secrets\n");
    assert_eq!(again.status.code(), Some(1), "an existing file is not replaced");
    let audit = cli.ok(&["audit"], "");
    assert!(audit.contains("3 keys, with their secrets, as csv to"), "{audit}");

    let json_file = cli.dir.path().join("secrets.json");
    cli.ok(
        &["export", json_file.to_str().unwrap(), "--format", "json", "--with-secrets"],
        "export secrets\n",
    );
    for file in [&secret_file, &json_file] {
        let other = Cli::new();
        other.init_cheap(&["--secret-store", "file"]);
        let answer = json(&other.ok(&["import", file.to_str().unwrap(), "--json"], ""));
        assert_eq!(answer["imported"], 3, "{answer}");
        assert_eq!(reveal(&other, "Mailgun sending"), "bitwarden-fixture-field-value-0001");
        assert_eq!(reveal(&other, "=HYPERLINK(\"http://evil\")"), "export-test-value-0003");
        let list = other.ok(&["list", "--json"], "");
        assert!(list.contains("https://crm.example.com"), "{list}");
    }
}

/// A kill at a random moment of a 150-key import into the OS keychain: the vault always
/// opens, and holds either none or all of the new keys (secrets stored before the kill are
/// orphans that `check --repair` removes).
#[test]
fn a_kill_during_an_import_leaves_none_or_all_of_the_keys() {
    if !keychain_required() {
        eprintln!("skipped: needs the keychain scripts/test.sh starts");
        return;
    }
    use rand::RngExt;
    let mut rng = common::rng(13);
    let rows: String =
        (0..150).map(|i| format!("Key {i},kill-test-value-{i:04}-{}\n", rng.random::<u32>())).collect();
    let mut outcomes = [0usize; 2];
    for round in 0..6 {
        let cli = Cli::new();
        cli.init_cheap(&[]);
        let file = cli.dir.path().join("keys.csv");
        std::fs::write(&file, format!("label,key\n{rows}")).unwrap();
        let mut child = cli
            .command(&["import", file.to_str().unwrap()])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300 + 400 * round));
        let _already_done = child.kill();
        child.wait().unwrap();
        let keys = json(&cli.ok(&["list", "--json"], "")).as_array().unwrap().len();
        assert!(keys == 0 || keys == 150, "round {round}: {keys} keys");
        outcomes[usize::from(keys == 150)] += 1;
        let check = cli.run(&["check"]);
        if !check.status.success() {
            let said = String::from_utf8_lossy(&check.stdout);
            assert!(
                said.lines()
                    .filter(|l| !l.starts_with("Keys:") && !l.starts_with("Audit log:"))
                    .all(|l| l.starts_with("Orphaned entry")),
                "round {round}: {said}"
            );
            cli.ok(&["check", "--repair"], "");
        }
        assert!(cli.ok(&["check"], "").contains("Everything is in order."));
        let all_in = keys == 150;
        if all_in {
            assert_eq!(
                reveal(&cli, "Key 149").len(),
                "kill-test-value-0149-".len()
                    + rows.lines().nth(149).unwrap().rsplit('-').next().unwrap().len()
            );
        }
        forget_keychain_items(&cli);
    }
    eprintln!("kills: {} left none, {} left all", outcomes[0], outcomes[1]);
    assert!(outcomes[0] > 0, "at least one kill must land mid-import: {outcomes:?}");
}

/// Ctrl+C part way through an import into the OS keychain: the import stops between two keys,
/// takes back what it stored, and says so; the vault checks clean, with no orphan.
#[test]
fn ctrl_c_during_an_import_leaves_the_vault_as_it_was() {
    if !keychain_required() {
        eprintln!("skipped: needs the keychain scripts/test.sh starts");
        return;
    }
    let cli = Cli::new();
    cli.init_cheap(&[]);
    let rows: String = (0..300).map(|i| format!("Key {i},ctrl-c-test-value-{i:04}\n")).collect();
    let file = cli.dir.path().join("keys.csv");
    std::fs::write(&file, format!("label,key\n{rows}")).unwrap();
    let child = cli
        .command(&["import", file.to_str().unwrap()])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once 20 of this vault's secrets are in the keychain (all 300 take seconds), Ctrl+C.
    let info = json(&cli.ok_without_password_or_keychain(&["info", "--json"]));
    let vault_id = info["vault_id"].as_str().unwrap().to_owned();
    let keychain = keydesk::secrets::keychain::KeychainStore::open().unwrap();
    let started = std::time::Instant::now();
    loop {
        let ours = keychain.names(&format!("{vault_id}/")).unwrap().len();
        if ours >= 20 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the import stored {ours} secrets in 30 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let pid = i32::try_from(child.id()).unwrap();
    assert!(Command::new("kill").args(["-INT", &pid.to_string()]).status().unwrap().success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("The import was cancelled: the vault is as it was."), "{stderr}");
    assert!(json(&cli.ok(&["list", "--json"], "")).as_array().unwrap().is_empty());
    assert!(cli.ok(&["check"], "").contains("Everything is in order."), "no orphan is left");
}

/// On a terminal (here one `script` makes), the import shows how far it got and the time left.
#[test]
fn a_terminal_shows_the_import_progress() {
    if !have("script") {
        return;
    }
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    let rows: String = (0..50).map(|i| format!("Key {i},progress-test-value-{i:04}\n")).collect();
    let file = cli.dir.path().join("keys.csv");
    std::fs::write(&file, format!("label,key\n{rows}")).unwrap();
    let inner = cli.command(&["import", file.to_str().unwrap(), "--yes"]);
    let line: Vec<String> = std::iter::once(inner.get_program())
        .chain(inner.get_args())
        .map(|a| format!("'{}'", a.to_string_lossy()))
        .collect();
    let output = Command::new("script").args(["-qec", &line.join(" "), "/dev/null"]).output().unwrap();
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{said}");
    assert!(said.contains("Storing secrets: 50 of 50 (100%)"), "{said}");
    assert!(said.contains("Imported 50 keys"), "{said}");
}

/// A KeePassXC XML export as KeePassXC writes one: unprotected custom attributes that are
/// secrets by their names (TOTP seeds, a PIN), an expired entry, an untitled one, an
/// attachment, a passphrase with spaces.
const REAL_WORLD_KEEPASS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<KeePassFile>
 <Meta><Generator>KeePassXC</Generator><RecycleBinUUID>AAAAAAAAAAAAAAAAAAAAAA==</RecycleBinUUID></Meta>
 <Root>
  <Group>
   <UUID>cm9vdHJvb3Ryb290cm9vdA==</UUID>
   <Name>Root</Name>
   <Entry>
    <UUID>ZW50cnllbnRyeWVudHJ5ZQ==</UUID>
    <Times><Expires>False</Expires><ExpiryTime>2030-01-01T00:00:00Z</ExpiryTime></Times>
    <String><Key>Title</Key><Value>SMTP relay</Value></String>
    <String><Key>Password</Key><Value ProtectInMemory="True">  correct horse battery staple  </Value></String>
    <String><Key>TOTP Seed</Key><Value>JBSWY3DPEHPK3PXP</Value></String>
    <String><Key>otp</Key><Value>otpauth://totp/SMTP?secret=JBSWY3DPEHPK3PXQ&amp;period=30</Value></String>
    <String><Key>TimeOtp-Secret-Base32</Key><Value>JBSWY3DPEHPK3PXR</Value></String>
    <String><Key>pin</Key><Value>462916</Value></String>
    <String><Key>Region</Key><Value>EU</Value></String>
    <Binary><Key>smtp-cert.pem</Key><Value Ref="0"/></Binary>
   </Entry>
   <Entry>
    <UUID>ZXhwaXJlZGV4cGlyZWRleA==</UUID>
    <Times><Expires>True</Expires><ExpiryTime>2020-01-31T00:00:00Z</ExpiryTime></Times>
    <String><Key>Title</Key><Value>Old campaign</Value></String>
    <String><Key>Password</Key><Value ProtectInMemory="True">keepass-expired-value-0001</Value></String>
   </Entry>
   <Entry>
    <UUID>dW50aXRsZWR1bnRpdGxlZA==</UUID>
    <String><Key>Title</Key><Value></Value></String>
    <String><Key>URL</Key><Value>https://api.mailjet.com/v3</Value></String>
    <String><Key>Password</Key><Value ProtectInMemory="True">0123456789abcdef0123456789abcdef</Value></String>
    <String><Key>Secret Key</Key><Value>fedcba9876543210fedcba9876543210</Value></String>
   </Entry>
  </Group>
 </Root>
</KeePassFile>
"#;

#[test]
fn real_world_files_keep_secrets_sealed_and_keys_whole() {
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    let xml = cli.dir.path().join("keepass.xml");
    std::fs::write(&xml, REAL_WORLD_KEEPASS).unwrap();
    let preview = json(&cli.ok(&["import", xml.to_str().unwrap(), "--dry-run", "--json"], ""));
    assert_eq!(counts(&preview), [3, 0, 0, 0], "{preview}");
    let notices = preview["rows"][0]["notices"].to_string();
    for left_out in ["TOTP Seed", "otp", "TimeOtp-Secret-Base32", "pin", "smtp-cert.pem"] {
        assert!(notices.contains(&format!("\\\"{left_out}\\\" left out")), "{left_out}: {notices}");
    }
    assert!(preview["rows"][1]["notices"].to_string().contains("expired on 2020-01-31"), "{preview}");
    let said = cli.ok(&["import", xml.to_str().unwrap()], "");
    assert!(said.contains("Imported 3 keys"), "{said}");
    // The passphrase is kept as it is, inner spaces and all (the copy's outer spaces trimmed).
    assert_eq!(reveal(&cli, "SMTP relay"), "correct horse battery staple");
    // An untitled entry is named by its address; Mailjet's secret key is kept sealed with it.
    assert_eq!(
        reveal(&cli, "api.mailjet.com"),
        "0123456789abcdef0123456789abcdef:fedcba9876543210fedcba9876543210"
    );
    let list = cli.ok(&["list", "--json"], "");
    for secret in ["JBSWY3DPEHPK3PX", "462916", "otpauth", "fedcba98"] {
        assert!(!list.contains(secret), "{secret} is in plain text: {list}");
    }
    assert!(list.contains("Region: EU"), "{list}");
    let old = json(&list).as_array().unwrap().iter().find(|k| k["label"] == "Old campaign").cloned().unwrap();
    assert!(old["expires_at"].as_str().unwrap().starts_with("2020-01-31"), "{old}");

    let bitwarden = cli.dir.path().join("org.json");
    std::fs::write(
        &bitwarden,
        r#"{"encrypted": false,
  "collections": [{"id": "c1", "organizationId": "o", "name": "Marketing"}, {"id": "c2", "organizationId": "o", "name": "Ops"}],
  "items": [{"id": "i", "organizationId": "o", "collectionIds": ["c1", "c2"], "type": 1, "name": "Newsletter",
    "fields": [{"name": "pin", "value": "462916", "type": 0}, {"name": "Region", "value": "EU", "type": 0}],
    "login": {"username": "ops", "password": "bitwarden-org-value-0001", "totp": "JBSWY3DPEHPK3PXS"}}]}"#,
    )
    .unwrap();
    let said = cli.ok(&["import", bitwarden.to_str().unwrap()], "");
    assert!(said.contains("\"pin\" left out"), "{said}");
    let list = cli.ok(&["list", "--json"], "");
    assert!(!list.contains("462916") && !list.contains("JBSWY3DPEHPK3PXS"), "{list}");
    let newsletter =
        json(&list).as_array().unwrap().iter().find(|k| k["label"] == "Newsletter").cloned().unwrap();
    assert_eq!(newsletter["tags"], serde_json::json!(["Marketing", "Ops"]), "{newsletter}");
    // No second-factor value, PIN or paired secret in plain text: not in any key's `show`, not
    // in the metadata file itself.
    let second_factors = ["JBSWY3DPEHPK3PX", "462916", "otpauth", "fedcba98"];
    for label in ["SMTP relay", "api.mailjet.com", "Old campaign", "Newsletter"] {
        let shown = cli.ok(&["show", label], "");
        for secret in second_factors {
            assert!(!shown.contains(secret), "{secret} is in show {label}: {shown}");
        }
    }
    let metadata = std::fs::read_to_string(cli.vault.join("vault.ron")).unwrap();
    for secret in second_factors {
        assert!(!metadata.contains(secret), "{secret} is in vault.ron");
    }

    let env = cli.dir.path().join(".env");
    let sendgrid = format!("SG.{}.{}", "e".repeat(22), "f".repeat(43));
    std::fs::write(&env, format!("SENDGRID_API_KEY={sendgrid}\nSMTP_PORT=587\n")).unwrap();
    let preview = json(&cli.ok(&["import", env.to_str().unwrap(), "--json"], ""));
    assert_eq!(preview["format"], "dotenv");
    assert_eq!(preview["rows"][0]["provider"], "SendGrid", "{preview}");
    assert_eq!(preview["rows"][1]["verdict"], "skipped", "{preview}");
    assert_eq!(reveal(&cli, "SENDGRID_API_KEY"), sendgrid);

    let sheet = cli.dir.path().join("sheet.csv");
    std::fs::write(
        &sheet,
        "sep=;\nlabel;key;expires\nGerman;passphrase with spaces;31.01.2099\nCalc;calc-value-0001;01/31/99\n",
    )
    .unwrap();
    let said = cli.ok(&["import", sheet.to_str().unwrap()], "");
    assert!(said.contains("Imported 2 keys"), "{said}");
    assert_eq!(reveal(&cli, "German"), "passphrase with spaces");
    let list = json(&cli.ok(&["list", "--json"], ""));
    let expiries: Vec<_> = ["German", "Calc"]
        .map(|label| {
            list.as_array().unwrap().iter().find(|k| k["label"] == label).unwrap()["expires_at"].clone()
        })
        .to_vec();
    assert!(expiries.iter().all(|e| e.as_str().unwrap().starts_with("2099-01-31")), "{expiries:?}");
}

#[test]
fn a_table_whose_columns_cannot_be_told_is_read_with_the_columns_named() {
    let cli = Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    let file = cli.dir.path().join("crm.csv");
    std::fs::write(
        &file,
        "Account;Secret Value;Comment;Until;Site;Group\n\
         Newsletter;columns-value-0001;weekly;31.01.2099;https://app.example.com/x;Email\n\
         No key here;;;;;\n\
         Webhook;columns-value-0002;;;;\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    // Without --columns: the columns found, the ones wanted, and the --columns that reads them.
    let refused = cli.run(&["import", path, "--dry-run"]);
    assert_eq!(refused.status.code(), Some(1));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains(
            "Keydesk cannot tell which columns hold the label and the key: the first row has \"Account\", \"Secret Value\", \"Comment\", \"Until\", \"Site\", \"Group\"; name them with --columns label=Account,key=2 (or add a header row with label and key"
        ),
        "{said}"
    );

    // Each mistake in --columns is one sentence naming it and the columns found.
    let found =
        "the first row has \"Account\", \"Secret Value\", \"Comment\", \"Until\", \"Site\", \"Group\".";
    for (columns, wrong) in [
        ("label=Account,key=2,colour=3", "names the field \"colour\", which Keydesk does not import"),
        ("label=Account,key=Secret", "there is no column \"Secret\""),
        ("label=Account,key=9", "there is no column 9 (the file has 6 columns)"),
        (
            "label=Account,key=2,notes=\"secret value\"",
            "the column \"secret value\" is chosen for both key and notes",
        ),
        ("label=Account,notes=3", "no column is chosen for the key"),
        ("notes=Comment,key=2", "no column is chosen for the label"),
    ] {
        let answer = cli.run(&["import", path, "--dry-run", "--columns", columns]);
        assert_eq!(answer.status.code(), Some(1), "{columns}");
        let said = String::from_utf8_lossy(&answer.stderr);
        assert!(said.contains(wrong) && said.contains(found), "{columns}: {said}");
        assert_eq!(said.trim_end().lines().count(), 1, "{said}");
    }
    let columns = "label=account,key=\"Secret Value\",notes=Comment,expires=Until,url=Site,tags=Group";
    let preview = json(&cli.ok(&["import", path, "--columns", columns, "--dry-run", "--json"], ""));
    assert_eq!(preview["format"], "csv");
    assert_eq!(verdicts(&preview), [(2, "new".into()), (3, "skipped".into()), (4, "new".into())]);
    let answer = json(&cli.ok(&["import", path, "--columns", columns, "--json"], ""));
    assert_eq!(answer["imported"], 2, "{answer}");
    assert_eq!(reveal(&cli, "Newsletter"), "columns-value-0001");
    assert_eq!(reveal(&cli, "Webhook"), "columns-value-0002");
    let list = json(&cli.ok(&["list", "--json"], ""));
    let first = list.as_array().unwrap().iter().find(|k| k["label"] == "Newsletter").unwrap();
    assert_eq!(first["notes"], "weekly");
    assert!(first["expires_at"].as_str().unwrap().starts_with("2099-01-31"), "{first}");
    assert_eq!(first["integrations"][0]["name"], "app.example.com", "{first}");
    assert_eq!(first["tags"], serde_json::json!(["Email"]), "{first}");
    // The audit line counts the row the file's reader skipped.
    let audit = cli.ok(&["audit"], "");
    assert!(
        audit.contains("2 keys from \"crm.csv\"; 0 already in the vault, 0 repeated in the file, 1 skipped"),
        "{audit}"
    );
    // By numbers, the same file is the same keys.
    let again = json(&cli.ok(&["import", path, "--columns", "key=2,label=1", "--json"], ""));
    assert_eq!(counts(&again), [0, 2, 0, 1], "{again}");
}

#[test]
fn the_help_names_columns() {
    let cli = Cli::new();
    for args in [&["--help"][..], &["import", "--help"][..]] {
        let help = cli.ok_without_password_or_keychain(args);
        assert!(help.contains("--columns"), "{args:?}: {help}");
    }
}
