//! Signing in to a team vault's server with the company directory (OpenBao's LDAP method),
//! against a real OpenBao server and a real OpenLDAP server (Debian's slapd, started here on
//! loopback with people and groups of its own): the admin's `team setup --ldap-*` makes the
//! LDAP method, its configuration and the group mappings, and a second run changes nothing;
//! a member of "marketing" joins with `--login ldap` and may add a key, a member of "readers"
//! may not, one in no mapped group is turned away; a wrong directory password is one sentence;
//! the kept token, once refused, is replaced by a new sign-in; the window joins and unlocks
//! such a vault with the directory's name and password. No password or token is left in any
//! file.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
#![allow(clippy::disallowed_methods, reason = "tests read the real clock")]

use crate::common;

use std::path::Path;
use std::process::Output;

use common::bao::Bao;
use common::ldap::{BIND_DN, Directory, GROUPS, PEOPLE, Person};
use common::window::{PASSWORD, click, scroll_to, step_until, type_into, world};
use egui_kittest::kittest::Queryable;
use keydesk::team::kv::{Kv, Location};
use keydesk::team::policy::Role;
use keydesk::team::setup::{LdapConfig, LdapSetup, apply, needed, needed_ldap};
use keydesk::team::signin::SignIn;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

const MOUNT: &str = "secret";
const PATH: &str = "marketing/keydesk";
const KDF: [&str; 6] = ["--kdf-memory-mib", "19", "--kdf-iterations", "2", "--kdf-lanes", "1"];
const BO_PASSWORD: &str = "bo-directory-Pa55word";
const CY_PASSWORD: &str = "cy-directory-Pa55word";
const DEE_PASSWORD: &str = "dee-directory-Pa55word";
const BIND_PASSWORD: &str = "lookup-account-Pa55word";

/// The directory's people: bo in "marketing", cy in "readers", dee in "sales" (mapped to no
/// role).
fn people() -> [Person<'static>; 3] {
    [
        Person { uid: "bo", password: BO_PASSWORD, groups: &["marketing"] },
        Person { uid: "cy", password: CY_PASSWORD, groups: &["readers"] },
        Person { uid: "dee", password: DEE_PASSWORD, groups: &["sales"] },
    ]
}

/// One member's computer: a vault folder and, for the admin, the root token.
struct Computer {
    cli: common::Cli,
    token: Option<String>,
}

impl Computer {
    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut command = self.cli.command(args);
        command.env_remove("BAO_TOKEN").env_remove("VAULT_TOKEN").env_remove("KEYDESK_LDAP_BINDPASS");
        if let Some(token) = &self.token {
            command.env("BAO_TOKEN", token);
        }
        common::run(command, stdin)
    }

    fn ok(&self, args: &[&str], stdin: &str) -> (String, String) {
        let output = self.run(args, stdin);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "keydesk {args:?} failed: {stderr}");
        (String::from_utf8(output.stdout).unwrap(), stderr)
    }
}

/// The invitation code: the indented line of five groups.
fn code_in(said: &str) -> String {
    let line = said.lines().find(|line| line.starts_with("    ") && line.trim().matches('-').count() == 4);
    line.unwrap_or_else(|| panic!("no code in: {said}")).trim().to_owned()
}

/// A file holding `secret` (mode 600) in `dir`, which no scan for secrets reads.
fn secret_file(dir: &Path, name: &str, secret: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, format!("{secret}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path.to_str().unwrap().to_owned()
}

/// No directory password, bind password, root token or token-shaped text in any file under
/// `dir`.
fn assert_no_secrets_under(dir: &Path, bao: &Bao) {
    for (path, bytes) in common::files_under(dir) {
        let text = String::from_utf8_lossy(&bytes);
        for secret in [BO_PASSWORD, CY_PASSWORD, DEE_PASSWORD, BIND_PASSWORD, bao.root_token.as_str()] {
            assert!(!text.contains(secret), "a password or the root token in {}", path.display());
        }
        assert!(!common::holds_bao_token(&text), "a token in {}", path.display());
    }
}

#[test]
fn members_sign_in_with_the_company_directory_and_its_groups_give_their_role() {
    if !common::keychain_required() {
        eprintln!("skipped: needs the OS keychain of the test session (scripts/test.sh)");
        return;
    }
    let bao = Bao::dev_with_ldap();
    let directory = Directory::start(&people(), BIND_PASSWORD);
    let secrets = tempfile::tempdir().unwrap();
    let bind_file = secret_file(secrets.path(), "bind", BIND_PASSWORD);
    let admin = Computer { cli: common::Cli::new(), token: Some(bao.root_token.clone()) };
    let at = ["--addr", bao.addr.as_str(), "--mount", MOUNT, "--path", PATH];
    let mut setup = vec!["team", "setup"];
    setup.extend(at);
    setup.extend(["--ldap-url", directory.url.as_str(), "--ldap-userdn", PEOPLE, "--ldap-groupdn", GROUPS]);
    setup.extend(["--ldap-binddn", BIND_DN, "--ldap-bindpass-file", bind_file.as_str()]);
    setup.extend(["--ldap-group", "editor=marketing", "--ldap-group", "reader=readers"]);

    // --dry-run says what it would do and does nothing.
    let mut dry = setup.clone();
    dry.push("--dry-run");
    let (said, _) = admin.ok(&dry, "");
    assert!(said.contains("Would: Enable the LDAP sign-in method at auth/ldap."), "{said}");
    assert!(said.contains("Nothing was changed (--dry-run)."), "{said}");
    let (_status, methods) = bao.call("GET", "sys/auth", None, &bao.root_token);
    assert!(methods["data"]["ldap/"].is_null(), "a dry run enables nothing: {methods}");

    let (said, _) = admin.ok(&setup, "");
    for change in [
        "Enable the LDAP sign-in method at auth/ldap.",
        &format!("Write the LDAP sign-in's configuration: the directory at {}", directory.url),
        &format!("looked up as {BIND_DN} (its password is sent, not shown)"),
        "Map the directory group \"marketing\" to the policy keydesk-editor",
        "Map the directory group \"readers\" to the policy keydesk-reader",
    ] {
        assert!(said.contains(change), "{change} in: {said}");
    }
    assert!(!said.contains(BIND_PASSWORD), "the bind password is not shown");
    let (again, _) = admin.ok(&setup, "");
    assert!(again.contains("nothing to do"), "a second setup changes nothing: {again}");

    let mut init = vec!["init", "--team", "--member", "ana"];
    init.extend(at);
    init.extend(KDF);
    admin.ok(&init, "");
    let (said, _) = admin.ok(&["member", "invite", "bo", "--ldap-name", "bo"], "");
    assert!(said.contains("Made bo's identity for the company directory (known there as bo)"), "{said}");
    let bo_code = code_in(&said);
    let cy_code = code_in(&admin.ok(&["member", "invite", "cy", "--role", "reader"], "").0);
    let dee_code = code_in(&admin.ok(&["member", "invite", "dee"], "").0);

    // Bo joins with his directory account: no token is given.
    let bo = Computer { cli: common::Cli::new(), token: None };
    let bo_file = secret_file(secrets.path(), "bo", BO_PASSWORD);
    let mut join = vec!["init", "--team", "--join", "--member", "bo", "--login", "ldap"];
    join.extend(at);
    join.extend(KDF);
    join.extend(["--login-password-file", bo_file.as_str()]);
    bo.ok(&join, &bo_code);
    let config = std::fs::read_to_string(bo.cli.vault.join("team.ron")).unwrap();
    assert!(config.contains("Ldap") && config.contains("\"bo\""), "{config}");

    // "marketing" gives him the editor's policy: he adds a key; the kept token is used after,
    // with no password given.
    bo.ok(&["add", "--label", "Newsletter", "--provider", "sendgrid"], &common::sendgrid_key());
    assert!(bo.ok(&["list"], "").0.contains("Newsletter"));
    let tokens = bao.accessors_of("ldap-bo");
    assert_eq!(tokens.len(), 1, "one sign-in so far");
    // The token's identity is the member's own, named as the policies name it.
    let (_status, info) = bao.call(
        "POST",
        "auth/token/lookup-accessor",
        Some(serde_json::json!({ "accessor": tokens[0] })),
        &bao.root_token,
    );
    let entity = info["data"]["entity_id"].as_str().unwrap();
    let (_status, found) = bao.call("GET", &format!("identity/entity/id/{entity}"), None, &bao.root_token);
    assert_eq!(found["data"]["name"], "bo", "{found}");

    // A wrong directory password: one sentence that says what to do, and not the password.
    let wrong_file = secret_file(secrets.path(), "wrong", "not-bo-s-Pa55word");
    let refused = bo.run(&["list", "--login", "ldap", "--login-password-file", wrong_file.as_str()], "");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.trim(),
        "keydesk: The company directory refused this name and password (your directory account's, not your vault password): check them, or ask your company's IT to reset your directory password."
    );
    assert!(!stderr.contains("not-bo-s-Pa55word"));

    // The kept token revoked: the next command says so and signs in again by itself.
    bao.revoke_sign_ins("ldap-bo");
    let (_, said) = bo.ok(
        &["edit", "Newsletter", "--note", "after a new sign-in", "--login-password-file", bo_file.as_str()],
        "",
    );
    assert!(said.contains("no longer accepts your sign-in"), "{said}");
    assert!(bo.ok(&["show", "Newsletter"], "").0.contains("after a new sign-in"));

    // "readers" gives cy the reader's policy: she reads, and may not add a key.
    let cy = Computer { cli: common::Cli::new(), token: None };
    let cy_file = secret_file(secrets.path(), "cy", CY_PASSWORD);
    let mut join = vec!["init", "--team", "--join", "--member", "cy", "--login", "ldap"];
    join.extend(at);
    join.extend(KDF);
    join.extend(["--login-password-file", cy_file.as_str()]);
    cy.ok(&join, &cy_code);
    assert!(cy.ok(&["list"], "").0.contains("Newsletter"));
    let refused = cy.run(&["add", "--label", "Mine", "--provider", "sendgrid"], &common::sendgrid_key());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("may not"), "{stderr}");

    // Dee's "sales" is mapped to no role: the directory signs her in, the vault refuses her.
    let dee = Computer { cli: common::Cli::new(), token: None };
    let dee_file = secret_file(secrets.path(), "dee", DEE_PASSWORD);
    let mut join = vec!["init", "--team", "--join", "--member", "dee", "--login", "ldap"];
    join.extend(at);
    join.extend(KDF);
    join.extend(["--login-password-file", dee_file.as_str()]);
    let refused = dee.run(&join, &dee_code);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert_eq!(bao.accessors_of("ldap-dee").len(), 1, "the directory accepted her: {stderr}");
    assert!(!dee.cli.vault.join("team.ron").exists(), "she did not join");

    for computer in [&admin, &bo, &cy, &dee] {
        assert_no_secrets_under(computer.cli.dir.path(), &bao);
    }
    drop(directory);
}

/// The server set up as `keydesk team setup --ldap-…` sets it up ("marketing": editors), and
/// ana's team vault made on it with the root token; bo's identity and invitation code.
fn team_vault_with_directory(bao: &Bao, directory: &Directory) -> SecretString {
    let root =
        Kv::new(Location::new(&bao.addr, MOUNT, PATH).unwrap(), Zeroizing::new(bao.root_token.clone()));
    let ldap = LdapSetup {
        config: LdapConfig {
            url: directory.url.clone(),
            userdn: PEOPLE.into(),
            userattr: "uid".into(),
            groupdn: GROUPS.into(),
            bind: Some((BIND_DN.into(), BIND_PASSWORD.into())),
        },
        groups: vec![(Role::Editor, "marketing".into())],
    };
    for change in needed(&root).unwrap().into_iter().chain(needed_ldap(&root, &ldap).unwrap()) {
        apply(&root, &change).unwrap();
    }
    assert!(needed_ldap(&root, &ldap).unwrap().is_empty(), "a second setup changes nothing");
    let (admin, keys) = keydesk::team::TeamVault::create(
        root,
        "ana",
        &SecretString::from(PASSWORD),
        keydesk::vault::crypto::KdfParams::MIN,
        crate::common::entropy(),
        chrono::Utc::now(),
    )
    .unwrap();
    keydesk::team::signin::make_identity(admin.kv(), "ldap", "bo", "bo").unwrap();
    admin.invite(&keys, "bo", &mut keydesk::vault::os_rng(), chrono::Utc::now()).unwrap()
}

#[test]
fn the_window_joins_and_unlocks_a_team_vault_with_the_directory_name_and_password() {
    let bao = Bao::dev_with_ldap();
    let directory = Directory::start(&people(), BIND_PASSWORD);
    let code = team_vault_with_directory(&bao, &directory);
    let world = world();
    let mut harness = common::window::app(&world);

    // Bo joins from the first-run screen with his directory account.
    click(&mut harness, "Join a team vault");
    type_into(&mut harness, "Server address", &bao.addr);
    type_into(&mut harness, "Path", PATH);
    harness.get_by_label("Your name").click();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_label("Your name").type_text("bo");
    harness.run();
    click(&mut harness, "Sign in with your company directory account");
    assert!(harness.query_by_label("Server token").is_none(), "no token asked");
    type_into(&mut harness, "Directory name", "bo");
    type_into(&mut harness, "Directory password", BO_PASSWORD);
    // The longer form reaches below the window: each field is scrolled to before it is typed in.
    for (label, text) in [
        ("Invitation code", code.expose_secret()),
        ("Master password", PASSWORD),
        ("Repeat password", PASSWORD),
    ] {
        scroll_to(&mut harness, label);
        type_into(&mut harness, label, text);
    }
    scroll_to(&mut harness, "Join team vault");
    click(&mut harness, "Join team vault");
    step_until(&mut harness, "bo joins", |app| app.team().is_some());
    let team = harness.state().team().unwrap();
    assert_eq!(team.vault.config().sign_in, SignIn::Ldap { mount: "ldap".into(), name: "bo".into() });
    assert!(team.writable, "the group \"marketing\" gives bo the editor's policy");

    // Locked with the kept token revoked: the unlock screen asks for the directory's name and
    // password, says what a wrong one is, and opens with the right one.
    click(&mut harness, "Lock");
    bao.revoke_sign_ins("ldap-bo");
    type_into(&mut harness, "Master password", PASSWORD);
    click(&mut harness, "Unlock");
    harness.run();
    harness.get_by_label_contains("type your company directory password to sign in again");
    harness.get_by_label_contains("Sign in with your company directory account");
    assert!(harness.query_by_label("Server token").is_none());
    assert!(harness.query_by_label("Directory name").is_some(), "the name has a field");
    type_into(&mut harness, "Directory password", "not-bo-s-Pa55word");
    type_into(&mut harness, "Master password", PASSWORD);
    click(&mut harness, "Unlock");
    harness.run();
    harness.get_by_label_contains("The company directory refused this name and password");
    assert!(harness.state().team().is_none());
    harness.get_by_label("Directory password").click();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_label("Directory password").type_text(BO_PASSWORD);
    type_into(&mut harness, "Master password", PASSWORD);
    click(&mut harness, "Unlock");
    step_until(&mut harness, "the vault opens", |app| app.team().is_some());
    assert!(harness.state().team().unwrap().writable);
    drop(harness);
    assert_no_secrets_under(world.dir.path(), &bao);
    drop(directory);
}

#[test]
fn a_server_without_the_ldap_method_is_told_how_to_get_it() {
    // OpenBao 2.7, the team vault's server of the other tests, ships LDAP as a plugin apart.
    let bao = Bao::dev();
    let admin = Computer { cli: common::Cli::new(), token: Some(bao.root_token.clone()) };
    let at = ["--addr", bao.addr.as_str(), "--mount", MOUNT, "--path", PATH];
    let mut setup = vec!["team", "setup"];
    setup.extend(at);
    setup.extend(["--ldap-url", "ldap://127.0.0.1:1", "--ldap-userdn", PEOPLE, "--ldap-groupdn", GROUPS]);
    let refused = admin.run(&setup, "");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("This OpenBao server has no LDAP sign-in method"), "{stderr}");
    assert!(stderr.contains("register it in the plugin catalog as the auth plugin \"ldap\""), "{stderr}");
}
