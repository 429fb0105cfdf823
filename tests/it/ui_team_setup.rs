//! The first-run screen's "Prepare the server…" page against a real OpenBao dev server
//! started here: a wrong admin token gets one sentence, the changes a bare server needs are
//! listed, "Make these changes" makes them (checked over the server's API), and a second look
//! finds nothing to do.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use crate::common;

use common::bao::Bao;
use common::window::{World, app, click, type_into, world};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use keydesk::team::policy::Role;
use keydesk::ui::KeydeskApp;
use keydesk::ui::app::Phase;

const PATH: &str = "marketing/keydesk";

/// The page, if it is open, and whether its admin token field is empty.
fn page_token_empty(harness: &Harness<'_, KeydeskApp>) -> Option<bool> {
    match &harness.state().phase {
        Phase::Create(state) => state.server_setup.as_ref().map(|page| page.token.is_empty()),
        _ => panic!("not on the first-run screen"),
    }
}

/// The first-run screen of `world`, a team vault at `bao` typed in, the page opened.
fn open_page(world: &World, bao: &Bao) -> Harness<'static, KeydeskApp> {
    let mut harness = app(world);
    click(&mut harness, "Team vault");
    type_into(&mut harness, "Server address", &bao.addr);
    type_into(&mut harness, "Path", PATH);
    click(&mut harness, "Prepare the server…");
    harness.get_by_label("Admin token");
    harness
}

/// Whether the server has the policy of `role`, and the userpass method.
fn server_has(bao: &Bao, role: Role) -> (bool, bool) {
    let (status, _policy) =
        bao.call("GET", &format!("sys/policies/acl/{}", role.policy_name()), None, &bao.root_token);
    let (_status, methods) = bao.call("GET", "sys/auth", None, &bao.root_token);
    let methods = methods.get("data").unwrap_or(&methods);
    (status == 200, methods.get("userpass/").is_some())
}

#[test]
fn the_page_lists_what_a_bare_server_needs_makes_it_and_then_finds_nothing_to_do() {
    let bao = Bao::dev();
    let world = world();
    let mut harness = open_page(&world, &bao);
    for role in Role::ALL {
        assert_eq!(server_has(&bao, role), (false, false), "a bare dev server");
    }

    // An empty token is asked for; a wrong one gets one sentence, and nothing is listed.
    click(&mut harness, "Look at the server");
    harness.get_by_label_contains("The admin token is empty");
    type_into(&mut harness, "Admin token", "s.not-a-token-of-this-server");
    click(&mut harness, "Look at the server");
    harness.get_by_label_contains("The server does not accept this admin token");
    assert!(harness.query_by_label_contains("Make these changes").is_none());
    assert!(harness.query_by_label_contains("has everything").is_none());

    // Cancel closes the page and wipes the token: opened again, the field is empty.
    assert_eq!(page_token_empty(&harness), Some(false));
    click(&mut harness, "Cancel");
    assert_eq!(page_token_empty(&harness), None);
    click(&mut harness, "Prepare the server…");
    assert_eq!(page_token_empty(&harness), Some(true));

    // The admin's token: the changes are listed, one line each, and none is made yet.
    type_into(&mut harness, "Admin token", &bao.root_token);
    click(&mut harness, "Look at the server");
    for role in Role::ALL {
        harness.get_by_label_contains(&format!("Write the policy {}", role.policy_name()));
    }
    harness.get_by_label_contains("Enable the userpass sign-in method");
    assert!(harness.query_by_label_contains("KV version 2 secrets engine at \"secret\"").is_none());
    assert_eq!(server_has(&bao, Role::Reader), (false, false), "listing changes nothing");

    // Made: each change said, and the server has them.
    click(&mut harness, "Make these changes");
    for role in Role::ALL {
        harness.get_by_label_contains(&format!("Made: Write the policy {}", role.policy_name()));
        assert_eq!(server_has(&bao, role), (true, true));
    }
    harness.get_by_label("The server now has everything this vault needs.");

    // A second look finds nothing to do; Close goes back to the form, the token wiped.
    click(&mut harness, "Look at the server");
    harness.get_by_label("The server has everything this vault needs.");
    assert!(harness.query_by_label_contains("Make these changes").is_none());
    click(&mut harness, "Close");
    assert_eq!(page_token_empty(&harness), None);
    harness.get_by_label("Create team vault");
}

#[test]
fn a_token_that_may_only_look_stops_at_the_first_change_with_one_sentence() {
    let bao = Bao::dev();
    let looker = "keydesk-test-looker";
    let rules = r#"path "sys/mounts" { capabilities = ["read"] }
path "sys/policies/acl/*" { capabilities = ["read"] }
path "sys/auth" { capabilities = ["read"] }"#;
    let (status, body) = bao.call(
        "PUT",
        &format!("sys/policies/acl/{looker}"),
        Some(serde_json::json!({ "policy": rules })),
        &bao.root_token,
    );
    assert!(status == 200 || status == 204, "{body}");
    let token = bao.token_for(&[looker]);
    let world = world();
    let mut harness = open_page(&world, &bao);

    // It may look: the changes are listed.
    type_into(&mut harness, "Admin token", &token);
    click(&mut harness, "Look at the server");
    harness.get_by_label_contains("Write the policy keydesk-reader");

    // It may not change: the first change fails with one sentence, the rest are not tried.
    click(&mut harness, "Make these changes");
    harness.get_by_label_contains("Not made: Write the policy keydesk-reader");
    harness
        .get_by_label_contains("This token may not change the server's mounts, policies and sign-in methods");
    assert!(harness.query_by_label_contains("Made: ").is_none());
    assert!(harness.query_by_label_contains("has everything").is_none());
    assert_eq!(server_has(&bao, Role::Reader), (false, false));
    harness.get_by_label("Cancel");
}
