//! Signing in to a team vault's server with a name and password (OpenBao's userpass), through
//! the command line, against a real OpenBao server started here: the admin's setup and
//! invitation make the member's sign-in, the member joins and works with no token given, the
//! token kept in the OS keychain is used and, once the server refuses it, replaced by a new
//! sign-in; a removed member cannot sign in; no token or password is left in any file.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
#![allow(clippy::disallowed_methods, reason = "tests read the real clock")]

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

use common::bao::Bao;
use serde_json::json;

const MOUNT: &str = "secret";
const PATH: &str = "marketing/keydesk";

/// One member's computer: a vault folder and, for the admin, the root token.
struct Computer {
    cli: common::Cli,
    token: Option<String>,
}

impl Computer {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = self.cli.command(args);
        command.env_remove("BAO_TOKEN").env_remove("VAULT_TOKEN");
        if let Some(token) = &self.token {
            command.env("BAO_TOKEN", token);
        }
        command
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        common::run(self.command(args), stdin)
    }

    fn ok(&self, args: &[&str], stdin: &str) -> String {
        let output = self.run(args, stdin);
        assert!(
            output.status.success(),
            "keydesk {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    fn stderr_of(&self, args: &[&str], stdin: &str) -> (Option<i32>, String) {
        let output = self.run(args, stdin);
        (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// The value after `prefix` on the line that starts with it.
fn after<'a>(said: &'a str, prefix: &str) -> &'a str {
    said.lines()
        .find_map(|line| line.trim().strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in: {said}"))
        .trim()
}

/// The invitation code: the indented line of five groups.
fn code_in(said: &str) -> String {
    let line = said.lines().find(|line| line.starts_with("    ") && line.trim().matches('-').count() == 4);
    line.unwrap_or_else(|| panic!("no code in: {said}")).trim().to_owned()
}

#[test]
fn a_member_signs_in_with_a_name_and_password_and_never_handles_a_token() {
    if !common::keychain_required() {
        eprintln!("skipped: needs the OS keychain of the test session (scripts/test.sh)");
        return;
    }
    let bao = Bao::dev();
    let admin = Computer { cli: common::Cli::new(), token: Some(bao.root_token.clone()) };
    let at = ["--addr", bao.addr.as_str(), "--mount", MOUNT, "--path", PATH];
    let mut setup = vec!["team", "setup"];
    setup.extend(at);
    admin.ok(&setup, "");
    let mut init = vec!["init", "--team", "--member", "ana"];
    init.extend(at);
    init.extend(["--kdf-memory-mib", "19", "--kdf-iterations", "2", "--kdf-lanes", "1"]);
    admin.ok(&init, "");

    // The invitation makes bo's sign-in (the editor's policy) and gives its password once.
    let said = admin.ok(&["member", "invite", "bo", "--role", "editor"], "");
    assert!(said.contains("Made bo's sign-in on the server (keydesk-editor)"), "{said}");
    let server_password = after(&said, "Server password for bo:").to_owned();
    let code = code_in(&said);
    assert_ne!(server_password, code);
    let (_status, user) = bao.call("GET", "auth/userpass/users/bo", None, &bao.root_token);
    assert_eq!(user["data"]["token_policies"], json!(["keydesk-editor"]), "{user}");

    // Bo joins with no token at all: his name and the server password, then the code.
    let bo = Computer { cli: common::Cli::new(), token: None };
    std::fs::write(&bo.cli.password_file, "bo's own vault password\n").unwrap();
    let login_file = bo.cli.dir.path().join("server-password");
    std::fs::write(&login_file, format!("{server_password}\n")).unwrap();
    let login_file = login_file.to_str().unwrap();
    let wrong_file = bo.cli.dir.path().join("wrong");
    std::fs::write(&wrong_file, "not it\n").unwrap();
    for file in [Path::new(login_file), &wrong_file] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let mut join = vec!["init", "--team", "--join", "--member", "bo", "--login", "userpass"];
    join.extend(at);
    join.extend(["--kdf-memory-mib", "19", "--kdf-iterations", "2", "--kdf-lanes", "1"]);
    let mut wrong = join.clone();
    wrong.extend(["--login-password-file", wrong_file.to_str().unwrap()]);
    let (status, refused) = bo.stderr_of(&wrong, &code);
    assert_eq!(status, Some(1), "{refused}");
    assert_eq!(refused.lines().count(), 1, "one sentence: {refused}");
    assert!(refused.contains("The server refused this name and password"), "{refused}");
    join.extend(["--login-password-file", login_file]);
    bo.ok(&join, &code);
    let config = std::fs::read_to_string(bo.cli.vault.join("team.ron")).unwrap();
    assert!(config.contains("Userpass") && config.contains("\"bo\""), "{config}");

    // Later commands take the token kept in the OS keychain: no password for the server asked.
    bo.ok(&["add", "--label", "Newsletter", "--provider", "sendgrid"], &common::sendgrid_key());
    assert!(bo.ok(&["list"], "").contains("Newsletter"));
    let tokens = bao.accessors_of("userpass-bo");
    assert_eq!(tokens.len(), 1, "one sign-in so far: {tokens:?}");

    // Bo's identity is his member name: his token writes his own member entry, not ana's.
    let (status, login) =
        bao.call("POST", "auth/userpass/login/bo", Some(json!({ "password": server_password })), "");
    assert_eq!(status, 200, "{login}");
    let token = login["auth"]["client_token"].as_str().unwrap().to_owned();
    let entry = |member: &str| format!("{MOUNT}/data/{PATH}/members/{member}");
    let (status, own) = bao.call("GET", &entry("bo"), None, &token);
    assert_eq!(status, 200, "{own}");
    let (status, _body) =
        bao.call("POST", &entry("ana"), Some(json!({ "data": own["data"]["data"] })), &token);
    assert_eq!(status, 403, "bo's token may not overwrite ana's entry");
    bao.revoke(&token);

    // The kept token revoked: the next command says so, signs in again and goes through.
    bao.revoke_sign_ins("userpass-bo");
    let output = bo.run(
        &["edit", "Newsletter", "--note", "made after a new sign-in", "--login-password-file", login_file],
        "",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("no longer accepts your sign-in"), "{stderr}");
    assert!(bo.ok(&["show", "Newsletter"], "").contains("made after a new sign-in"));
    // A sign-in past its max TTL: the next command signs in again and its edit lands.
    let short = json!({ "token_ttl": "2s", "token_max_ttl": "3s" });
    let (status, body) = bao.call("POST", "auth/userpass/users/bo", Some(short), &bao.root_token);
    assert!(status == 204 || status == 200, "{body}");
    bao.revoke_sign_ins("userpass-bo");
    bo.ok(&["list", "--login-password-file", login_file], "");
    std::thread::sleep(std::time::Duration::from_secs(4));
    let edit = ["edit", "Newsletter", "--note", "after the max TTL", "--login-password-file", login_file];
    let output = bo.run(&edit, "");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("no longer accepts your sign-in"), "{stderr}");
    assert!(bo.ok(&["show", "Newsletter"], "").contains("after the max TTL"));
    let long = json!({ "token_ttl": "1h", "token_max_ttl": "24h" });
    bao.call("POST", "auth/userpass/users/bo", Some(long), &bao.root_token);

    // With no terminal and no password file, a refused token is one sentence, not a hang.
    bao.revoke_sign_ins("userpass-bo");
    let (status, said) = bo.stderr_of(&["list"], "");
    assert_eq!(status, Some(2), "{said}");
    assert!(said.contains("give --login-password-file FILE"), "{said}");

    // No token and no password in any file of either computer (an OpenBao service token is
    // "s." and 24 letters or digits).
    for computer in [&admin, &bo] {
        for (path, bytes) in common::files_under(computer.cli.dir.path()) {
            if path.ends_with("server-password") {
                continue;
            }
            let text = String::from_utf8_lossy(&bytes);
            for secret in [server_password.as_str(), bao.root_token.as_str(), code.as_str()] {
                assert!(!text.contains(secret), "a secret in {}", path.display());
            }
            assert!(!common::holds_bao_token(&text), "a token in {}", path.display());
        }
    }

    // Removed, bo's sign-in is gone and the token he holds is refused.
    let (_status, login) =
        bao.call("POST", "auth/userpass/login/bo", Some(json!({ "password": server_password })), "");
    let live = login["auth"]["client_token"].as_str().unwrap().to_owned();
    assert_eq!(bao.call("GET", &entry("bo"), None, &live).0, 200);
    let said = admin.ok(&["member", "remove", "bo"], "");
    assert!(said.contains("bo's sign-in on the server is deleted and their identity disabled"), "{said}");
    let (status, _body) =
        bao.call("POST", "auth/userpass/login/bo", Some(json!({ "password": server_password })), "");
    assert_eq!(status, 400, "bo can no longer sign in");
    let (status, _body) = bao.call("GET", &entry("bo"), None, &live);
    assert_eq!(status, 403, "the token bo holds is refused");
}

/// A team vault in `world`'s folder whose member ana signs in with the server password
/// `SERVER_PASSWORD` (her login and identity made with the root token, as `member login` does).
fn userpass_vault(bao: &Bao, world: &common::window::World) {
    use common::window::PASSWORD;
    use keydesk::team::kv::{Kv, Location};
    use keydesk::team::signin::{SignIn, USERPASS};
    use keydesk::team::{TeamVault, policy::Role};
    use secrecy::SecretString;
    use zeroize::Zeroizing;

    let root =
        Kv::new(Location::new(&bao.addr, MOUNT, PATH).unwrap(), Zeroizing::new(bao.root_token.clone()));
    for change in keydesk::team::setup::needed(&root).unwrap() {
        keydesk::team::setup::apply(&root, &change).unwrap();
    }
    let server_password = SecretString::from(SERVER_PASSWORD);
    keydesk::team::signin::make_login(&root, USERPASS, "ana", &server_password, Role::Admin).unwrap();
    let dir = world.dir.path().join("vault");
    let (mut vault, _keys) = TeamVault::create(
        root,
        "ana",
        &SecretString::from(PASSWORD),
        keydesk::vault::crypto::KdfParams::MIN,
        crate::common::entropy(),
        chrono::Utc::now(),
    )
    .unwrap();
    vault.set_sign_in(SignIn::Userpass { mount: USERPASS.into(), name: "ana".into() });
    keydesk::actions::team::write_config(&dir, vault.config()).unwrap();
}

const SERVER_PASSWORD: &str = "a long server password";

/// The tokens the window keeps in (the test's) OS keychain.
fn kept_tokens(world: &common::window::World) -> Vec<String> {
    world
        .store
        .snapshot()
        .into_iter()
        .filter(|(name, _)| name.starts_with("keydesk-team-token/"))
        .map(|(_, token)| token)
        .collect()
}

#[test]
fn the_window_signs_in_with_the_server_password_and_again_when_the_kept_sign_in_is_refused() {
    use common::window::{PASSWORD, app, click, type_into, world};
    use egui_kittest::kittest::Queryable;

    let bao = Bao::dev();
    let world = world();
    userpass_vault(&bao, &world);

    // The unlock screen asks for the server password, named as such, with the name shown.
    let mut harness = app(&world);
    harness.run();
    harness.get_by_label_contains("Sign in to the team's server as ana");
    assert!(harness.query_by_label("Server token").is_none());
    type_into(&mut harness, "Server password", "not it");
    type_into(&mut harness, "Master password", PASSWORD);
    click(&mut harness, "Unlock");
    harness.run();
    harness.get_by_label_contains("The server refused this name and password");
    assert!(harness.state().team().is_none());
    type_into(&mut harness, "Master password", PASSWORD);
    harness.get_by_label("Server password").click();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_label("Server password").type_text("a long server password");
    harness.run();
    click(&mut harness, "Unlock");
    harness.run();
    assert!(harness.state().team().is_some(), "signed in and unlocked");
    let kept = kept_tokens(&world);
    assert_eq!(kept.len(), 1, "the server's token is kept");
    assert_ne!(kept[0], "a long server password", "the token, not the password");

    // Locked, the kept sign-in is used: only the master password is asked.
    click(&mut harness, "Lock");
    harness.get_by_label_contains("Signed in to the server as ana");
    assert!(harness.query_by_label("Server password").is_none());
    // The server stops accepting it: the next unlock says so, forgets it and asks again.
    bao.revoke(&kept[0]);
    type_into(&mut harness, "Master password", PASSWORD);
    click(&mut harness, "Unlock");
    harness.run();
    harness.get_by_label_contains("type your server password to sign in again");
    assert!(
        !world.store.snapshot().iter().any(|(name, _)| name.starts_with("keydesk-team-token/")),
        "the refused token is forgotten"
    );
    type_into(&mut harness, "Server password", "a long server password");
    type_into(&mut harness, "Master password", PASSWORD);
    click(&mut harness, "Unlock");
    harness.run();
    assert!(harness.state().team().is_some(), "signed in again");
}

#[test]
fn a_change_made_when_the_server_stops_accepting_the_sign_in_goes_through_after_signing_in_again() {
    use common::window::{PASSWORD, app_with, click, step_until, type_into, world};
    use egui_kittest::kittest::Queryable;

    let bao = Bao::dev();
    let world = world();
    userpass_vault(&bao, &world);
    // Jobs on threads, as in the real window: a job waits for the new sign-in.
    let mut harness = app_with(&world, false);
    step_until(&mut harness, "the unlock screen", |_| true);
    type_into(&mut harness, "Server password", SERVER_PASSWORD);
    type_into(&mut harness, "Master password", PASSWORD);
    click(&mut harness, "Unlock");
    step_until(&mut harness, "the team vault open", |app| app.team().is_some());

    // The server stops accepting the sign-in (as when its max TTL is reached) while ana is
    // adding a key: the form is open (its accounts read), then the add is sent.
    click(&mut harness, "New key");
    step_until(&mut harness, "the form's accounts read", |app| {
        app.team().is_some_and(|team| team.accounts.is_some())
    });
    bao.revoke(&kept_tokens(&world)[0]);
    let key = common::sendgrid_key();
    click(&mut harness, "Paste a provider's key");
    type_into(&mut harness, "Label", "Added while signed out");
    type_into(&mut harness, "Key", &key);
    // No network in this test: the check after adding is switched off, as a user may.
    click(&mut harness, "Check it at the provider after adding (one request)");
    click(&mut harness, "Add key");
    let asked = |harness: &mut egui_kittest::Harness<'_, keydesk::ui::KeydeskApp>| {
        for _ in 0..2000 {
            harness.step();
            if harness.query_by_label_contains("no longer accepts your sign-in").is_some() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("the window never asked to sign in again");
    };
    asked(&mut harness);
    assert!(harness.state().team().unwrap().list.is_empty(), "the key waits for the sign-in");

    // A wrong password is said in the dialog, which stays; the right one lets the add go on.
    type_into(&mut harness, "Server password", "not it");
    click(&mut harness, "Sign in");
    for _ in 0..2000 {
        harness.step();
        if harness.query_by_label_contains("The server refused this name and password").is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    harness.get_by_label_contains("The server refused this name and password");
    // The field is focused as the keyboard (Tab) would: the dialog grew by the sentence.
    harness.get_by_label("Server password").focus();
    harness.step();
    harness.get_by_label("Server password").type_text(SERVER_PASSWORD);
    harness.step();
    click(&mut harness, "Sign in");
    step_until(&mut harness, "the key added after the new sign-in", |app| {
        app.team().is_some_and(|team| team.list.iter().any(|k| k.record.label == "Added while signed out"))
    });
    assert!(
        harness.query_by_label_contains("no longer accepts your sign-in").is_none(),
        "the dialog is gone"
    );
    // The new sign-in is kept, and the key is on the server.
    let kept = kept_tokens(&world);
    assert_eq!(kept.len(), 1);
    let (status, _body) = bao.call("GET", &format!("{MOUNT}/metadata/{PATH}/keys?list=true"), None, &kept[0]);
    assert_eq!(status, 200, "the new token works");
}

#[test]
fn a_member_joins_from_the_window_with_a_name_and_password_on_the_server() {
    use common::window::{PASSWORD, app, click, type_into, world};
    use egui_kittest::kittest::Queryable;
    use keydesk::team::kv::{Kv, Location};
    use keydesk::team::signin::{SignIn, USERPASS};
    use keydesk::team::{TeamVault, policy::Role};
    use secrecy::{ExposeSecret, SecretString};
    use zeroize::Zeroizing;

    let bao = Bao::dev();
    let root =
        Kv::new(Location::new(&bao.addr, MOUNT, PATH).unwrap(), Zeroizing::new(bao.root_token.clone()));
    for change in keydesk::team::setup::needed(&root).unwrap() {
        keydesk::team::setup::apply(&root, &change).unwrap();
    }
    let mut rng = keydesk::vault::os_rng();
    let now = chrono::Utc::now();
    let (admin, keys) = TeamVault::create(
        root,
        "ana",
        &SecretString::from(PASSWORD),
        keydesk::vault::crypto::KdfParams::MIN,
        crate::common::entropy(),
        now,
    )
    .unwrap();
    let server_password = keydesk::team::signin::new_password(&mut rng);
    keydesk::team::signin::make_login(admin.kv(), USERPASS, "ben", &server_password, Role::Editor).unwrap();
    let code = admin.invite(&keys, "ben", &mut rng, now).unwrap();

    let world = world();
    let mut harness = app(&world);
    click(&mut harness, "Join a team vault");
    type_into(&mut harness, "Server address", &bao.addr);
    type_into(&mut harness, "Path", PATH);
    harness.get_by_label("Your name").click();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_label("Your name").type_text("ben");
    harness.run();
    click(&mut harness, "Sign in with a name and password");
    assert!(harness.query_by_label("Server token").is_none(), "no token asked");
    type_into(&mut harness, "Server password", server_password.expose_secret());
    type_into(&mut harness, "Invitation code", code.expose_secret());
    type_into(&mut harness, "Master password", PASSWORD);
    type_into(&mut harness, "Repeat password", PASSWORD);
    click(&mut harness, "Join team vault");
    harness.run();
    assert!(harness.state().team().is_some(), "ben joined, signed in with his name and password");
    let config = keydesk::actions::team::read_config(&world.dir.path().join("vault")).unwrap();
    assert_eq!(config.sign_in, SignIn::Userpass { mount: USERPASS.into(), name: "ben".into() });
    let kept = kept_tokens(&world);
    assert_eq!(kept.len(), 1, "the server's token is kept");
    assert_ne!(kept[0], server_password.expose_secret(), "the token, not the password");
    // Locked, the unlock screen knows the way in.
    click(&mut harness, "Lock");
    harness.get_by_label_contains("Signed in to the server as ben");
}
