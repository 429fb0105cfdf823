//! The company's login (OpenID Connect) in the window, against a real OpenBao server and a real
//! OpenID provider on loopback, set up as tests/it/team_oidc.rs sets them up (the provider of
//! tests/oidc/provider.mjs; Keydesk's browser signs in on its login form with
//! tests/oidc/login.py): a member joins from the first-run screen with the company account,
//! and the unlock screen's "Sign in with your company account" signs him in again; the vault
//! opens with the role the member's company group gives (an editor's, a reader's read-only); a company login
//! that says no, a sign-in cancelled while the browser is open and a company login the server
//! cannot reach are each one sentence, and the window goes on; a change made when the server
//! stops accepting the sign-in goes through after signing in again with the company account.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
#![allow(clippy::disallowed_methods, reason = "tests read the real clock and wait for threads")]

use crate::common;

use common::bao::Bao;
use common::oidc::{Provider, browser, browser_log, set_browser_mode};
use common::window::{PASSWORD, World, app_browsing, click, step_until, type_into, world};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use keydesk::team::kv::{Kv, Location};
use keydesk::team::policy::Role;
use keydesk::team::setup::{OidcSetup, apply, needed, needed_oidc};
use keydesk::team::signin::SignIn;
use keydesk::team::{TeamKeys, TeamVault};
use keydesk::ui::KeydeskApp;
use secrecy::SecretString;
use serde_json::Value;
use zeroize::Zeroizing;

const MOUNT: &str = "secret";
const PATH: &str = "marketing/keydesk";
const CLIENT_SECRET: &str = "the client secret of the window's test";

/// The server set up as `keydesk team setup --oidc-…` sets it up, with the company groups
/// "marketing" (editors) and "readers"; ana's team vault made on it with the root token.
fn team_vault_with_company_login(bao: &Bao, provider: &Provider) -> (TeamVault, TeamKeys) {
    let root =
        Kv::new(Location::new(&bao.addr, MOUNT, PATH).unwrap(), Zeroizing::new(bao.root_token.clone()));
    let company = OidcSetup {
        discovery_url: provider.url.clone(),
        client_id: "openbao".into(),
        client_secret: CLIENT_SECRET.into(),
        user_claim: "email".into(),
        scopes: vec!["email".into(), "groups".into()],
        groups: vec![(Role::Editor, "marketing".into()), (Role::Reader, "readers".into())],
    };
    for change in needed(&root).unwrap().into_iter().chain(needed_oidc(&root, &company).unwrap()) {
        apply(&root, &change).unwrap();
    }
    TeamVault::create(
        root,
        "ana",
        &SecretString::from(PASSWORD),
        keydesk::vault::crypto::KdfParams::MIN,
        crate::common::entropy(),
        chrono::Utc::now(),
    )
    .unwrap()
}

/// `member`'s folder in `world`: the team vault's `team.ron` as a member who signs in with the
/// company's login keeps it (no token: the window's keychain holds none yet).
fn company_folder(world: &World, admin: &TeamVault, member: &str) {
    let mut config = admin.config().clone();
    config.member = member.to_owned();
    config.sign_in = SignIn::Oidc { mount: "oidc".into(), role: "keydesk".into() };
    keydesk::actions::team::write_config(&world.dir.path().join("vault"), &config).unwrap();
}

/// The tokens the window keeps in (the test's) OS keychain.
fn kept_tokens(world: &World) -> Vec<String> {
    let kept = world.store.snapshot().into_iter();
    kept.filter(|(name, _)| name.starts_with("keydesk-team-token/")).map(|(_, token)| token).collect()
}

/// What the server says of `token`: its identity's name and the policies it holds through it.
fn identity_of(bao: &Bao, token: &str) -> (String, Vec<String>) {
    let (status, looked) = bao.call("GET", "auth/token/lookup-self", None, token);
    assert_eq!(status, 200, "{looked}");
    let entity = looked["data"]["entity_id"].as_str().unwrap().to_owned();
    let (_status, found) = bao.call("GET", &format!("identity/entity/id/{entity}"), None, &bao.root_token);
    let policies = looked["data"]["identity_policies"].as_array().cloned().unwrap_or_default();
    let policies = policies.iter().filter_map(Value::as_str).map(str::to_owned).collect();
    (found["data"]["name"].as_str().unwrap_or_default().to_owned(), policies)
}

/// On the first-run screen: joins the team vault at `bao` as `member` with the invitation
/// `code`, signing in with the company account (no token or server password is asked).
fn join_with_company(harness: &mut Harness<'_, KeydeskApp>, bao: &Bao, member: &str, code: &str) {
    click(harness, "Join a team vault");
    type_into(harness, "Server address", &bao.addr);
    type_into(harness, "Path", PATH);
    harness.get_by_label("Your name").click();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_label("Your name").type_text(member);
    harness.run();
    click(harness, "Sign in with your company account");
    assert!(harness.query_by_label("Server token").is_none(), "no token asked");
    assert!(harness.query_by_label("Server password").is_none(), "no server password asked");
    type_into(harness, "Invitation code", code);
    type_into(harness, "Master password", PASSWORD);
    type_into(harness, "Repeat password", PASSWORD);
    click(harness, "Join team vault");
    harness.run();
}

/// Clicks "Sign in with your company account" with the master password typed.
fn sign_in_with_company(harness: &mut Harness<'_, KeydeskApp>) {
    type_into(harness, "Master password", PASSWORD);
    click(harness, "Sign in with your company account");
}

/// Steps the window (jobs on threads) until `text` shows.
fn step_until_shown(harness: &mut Harness<'_, KeydeskApp>, text: &str, dir: &std::path::Path) {
    for _ in 0..3000 {
        harness.step();
        if harness.query_by_label_contains(text).is_some() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("waited 30 s for \"{text}\"; the browser saw: {}", browser_log(dir));
}

#[test]
fn a_member_joins_and_unlocks_with_the_company_account_and_the_vault_opens_with_their_role() {
    let bao = Bao::dev();
    let provider = Provider::start(CLIENT_SECRET, "bo=marketing;cy=readers");
    let (admin, keys) = team_vault_with_company_login(&bao, &provider);
    let mut rng = keydesk::vault::os_rng();
    let now = chrono::Utc::now();
    // Bo's identity, named as the policies name him, and his invitation, as
    // `member invite bo --oidc-name bo@example.test` makes them.
    keydesk::team::signin::make_identity(admin.kv(), "oidc", "bo", "bo@example.test").unwrap();
    let code = admin.invite(&keys, "bo", &mut rng, now).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let program = browser(dir.path());
    set_browser_mode(dir.path(), "bo");

    // Bo joins from the first-run screen with his company account: no token, no password on
    // the server; the browser signs him in.
    let world = world();
    let mut harness = app_browsing(&world, true, &program);
    join_with_company(&mut harness, &bao, "bo", secrecy::ExposeSecret::expose_secret(&code));
    let team = harness
        .state()
        .team()
        .unwrap_or_else(|| panic!("not joined; the browser saw: {}", browser_log(dir.path())));
    assert_eq!(team.vault.config().member, "bo");
    assert_eq!(team.vault.config().sign_in, SignIn::Oidc { mount: "oidc".into(), role: "keydesk".into() });
    assert!(team.writable, "the group \"marketing\" gives bo the editor's policy");
    assert!(team.problem.is_none(), "{:?}", team.problem);
    assert!(
        browser_log(dir.path()).contains("Signed in to the team's server"),
        "{}",
        browser_log(dir.path())
    );
    // The server's token is kept in the keychain, as the command line keeps it: bo's own
    // identity, with the editor's policy from his company group.
    let kept = kept_tokens(&world);
    assert_eq!(kept.len(), 1, "one token kept");
    let (name, policies) = identity_of(&bao, &kept[0]);
    assert_eq!(name, "bo");
    assert!(policies.iter().any(|p| p == "keydesk-editor"), "{policies:?}");
    assert!(!std::fs::read_to_string(world.dir.path().join("vault/team.ron")).unwrap().contains(&kept[0]));

    // Locked, the kept sign-in is used: the master password alone unlocks.
    click(&mut harness, "Lock");
    harness.get_by_label_contains("Signed in to the server with your company account");
    let visits = browser_log(dir.path()).lines().count();
    type_into(&mut harness, "Master password", PASSWORD);
    click(&mut harness, "Unlock");
    harness.run();
    assert!(harness.state().team().is_some(), "unlocked with the kept sign-in");
    assert_eq!(browser_log(dir.path()).lines().count(), visits, "no browser opened");

    // The kept token revoked on the server: the next unlock says so and offers the button.
    click(&mut harness, "Lock");
    bao.revoke(&kept[0]);
    type_into(&mut harness, "Master password", PASSWORD);
    click(&mut harness, "Unlock");
    harness.run();
    harness.get_by_label_contains("sign in again with your company account");
    assert!(kept_tokens(&world).is_empty(), "the refused token is forgotten");
    // The unlock screen now offers the company account, and no field for a token or a
    // server password.
    harness.get_by_label_contains("This team vault signs in with your company account");
    assert!(harness.query_by_label("Server token").is_none());
    assert!(harness.query_by_label("Server password").is_none());
    assert!(harness.query_by_label("Unlock").is_none(), "the one way in is the company account");
    // Without the master password, the button says what is missing and opens no browser.
    let visits = browser_log(dir.path()).lines().count();
    click(&mut harness, "Sign in with your company account");
    harness.get_by_label_contains("Type the master password first");
    assert_eq!(browser_log(dir.path()).lines().count(), visits, "no browser opened");
    sign_in_with_company(&mut harness);
    harness.run();
    assert!(harness.state().team().is_some(), "signed in again");
    assert_eq!(kept_tokens(&world).len(), 1, "the new sign-in is kept");

    // Cy's group "readers" gives her the reader's policy: she joins the same way, and the
    // vault opens read-only.
    keydesk::team::signin::make_identity(admin.kv(), "oidc", "cy", "cy@example.test").unwrap();
    let code = admin.invite(&keys, "cy", &mut rng, now).unwrap();
    set_browser_mode(dir.path(), "cy");
    let other = common::window::world();
    let mut harness = app_browsing(&other, true, &program);
    join_with_company(&mut harness, &bao, "cy", secrecy::ExposeSecret::expose_secret(&code));
    let team = harness
        .state()
        .team()
        .unwrap_or_else(|| panic!("not joined; the browser saw: {}", browser_log(dir.path())));
    assert_eq!(team.vault.config().member, "cy");
    assert!(!team.writable, "the group \"readers\" gives cy the reader's policy");
    let (name, policies) = identity_of(&bao, &kept_tokens(&other)[0]);
    assert_eq!(name, "cy");
    assert!(policies.iter().any(|p| p == "keydesk-reader"), "{policies:?}");
    drop(provider);
}

#[test]
fn refused_cancelled_or_unreachable_company_logins_are_one_sentence_and_the_window_goes_on() {
    let bao = Bao::dev();
    let provider = Provider::start(CLIENT_SECRET, "ana=marketing");
    let (admin, keys) = team_vault_with_company_login(&bao, &provider);
    drop(keys);
    keydesk::team::signin::make_identity(admin.kv(), "oidc", "ana", "ana@example.test").unwrap();
    let world = world();
    company_folder(&world, &admin, "ana");
    let dir = tempfile::tempdir().unwrap();
    let program = browser(dir.path());
    // Jobs on threads, as in the real window: it draws while the browser is out.
    let mut harness = app_browsing(&world, false, &program);
    step_until(&mut harness, "the unlock screen", |_| true);

    // The company's login stops answering once the person signed in there: the server
    // cannot finish the sign-in with it.
    let port = provider.port;
    set_browser_mode(dir.path(), &format!("stop:{}:ana", provider.pid()));
    sign_in_with_company(&mut harness);
    step_until_shown(&mut harness, "The team's server could not reach the company's login", dir.path());
    assert!(harness.state().team().is_none());
    drop(provider);
    let provider = Provider::start_on(port, CLIENT_SECRET, "ana=marketing");

    // The person presses Cancel on the company's login page: its refusal, in one sentence.
    set_browser_mode(dir.path(), "cancel");
    sign_in_with_company(&mut harness);
    step_until_shown(&mut harness, "The company's login did not sign you in", dir.path());
    harness.get_by_label_contains("access_denied");
    assert!(harness.state().team().is_none());

    // Nothing comes back from the browser: the window says to finish there, shows the
    // address, and "Cancel sign-in" stops the wait.
    set_browser_mode(dir.path(), "none");
    sign_in_with_company(&mut harness);
    step_until_shown(&mut harness, "Finish signing in in your browser", dir.path());
    harness.get_by_label_contains(&format!("{}/auth?", provider.url));
    click(&mut harness, "Cancel sign-in");
    step_until_shown(&mut harness, "was cancelled: nothing was signed in", dir.path());
    assert!(harness.state().team().is_none());
    assert!(kept_tokens(&world).is_empty(), "nothing kept from a failed sign-in");

    // The window goes on: ana signs in, and the vault opens.
    set_browser_mode(dir.path(), "ana");
    sign_in_with_company(&mut harness);
    step_until(&mut harness, "the team vault open", |app| app.team().is_some());
    assert!(harness.state().team().unwrap().writable);

    // The server stops accepting the sign-in while ana adds a key: the add waits for the
    // dialog, which signs in with the company account, and lands after it.
    click(&mut harness, "New key");
    step_until(&mut harness, "the form's accounts read", |app| {
        app.team().is_some_and(|team| team.accounts.is_some())
    });
    let kept = kept_tokens(&world);
    bao.revoke(&kept[0]);
    click(&mut harness, "Paste a provider's key");
    type_into(&mut harness, "Label", "Added while signed out");
    type_into(&mut harness, "Key", &common::sendgrid_key());
    // No network in this test: the check after adding is switched off, as a user may.
    click(&mut harness, "Check it at the provider after adding (one request)");
    click(&mut harness, "Add key");
    step_until_shown(&mut harness, "no longer accepts your sign-in", dir.path());
    assert!(harness.state().team().unwrap().list.is_empty(), "the key waits for the sign-in");
    click(&mut harness, "Sign in with your company account");
    step_until(&mut harness, "the key added after the new sign-in", |app| {
        app.team().is_some_and(|team| team.list.iter().any(|k| k.record.label == "Added while signed out"))
    });
    assert!(
        harness.query_by_label_contains("no longer accepts your sign-in").is_none(),
        "the dialog is gone"
    );
    let now_kept = kept_tokens(&world);
    assert_eq!(now_kept.len(), 1);
    assert_ne!(now_kept[0], kept[0], "the new sign-in is kept");
    assert_eq!(identity_of(&bao, &now_kept[0]).0, "ana");
    drop(provider);
}
