//! Key health through the command line: a provider account's management key judged by the
//! scopes its test listed (a local SendGrid on 127.0.0.1 answering `GET /v3/scopes`).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[test]
fn a_management_key_with_full_access_is_a_finding_until_it_is_narrowed() {
    let management = common::sendgrid_key();
    let narrowed = Arc::new(AtomicBool::new(false));
    let known = Arc::new(management.clone());
    let is_narrow = narrowed.clone();
    let server = common::mock::Mock::start(move |seen| {
        if seen.url != "/v3/scopes" || seen.header("authorization") != Some(&format!("Bearer {known}")) {
            return common::mock::Reply::json(401, r#"{"errors":[{"message":"authorization required"}]}"#);
        }
        if is_narrow.load(Ordering::SeqCst) {
            common::mock::Reply::json(
                200,
                r#"{"scopes":["2fa_required","api_keys.create","api_keys.delete","api_keys.read","api_keys.update","sender_verification_eligible"]}"#,
            )
        } else {
            common::mock::Reply::json(
                200,
                r#"{"scopes":["api_keys.create","api_keys.delete","api_keys.read","mail.send","marketing.read","user.profile.update","2fa_required"]}"#,
            )
        }
    });
    let cli = common::Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    cli.ok(
        &["account", "add", "--provider", "sendgrid", "--name", "SG prod", "--base-url", &server.url],
        &management,
    );

    // Not tested yet: not judged, and the report says so.
    let json: serde_json::Value =
        serde_json::from_str(&cli.ok_without_password_or_keychain(&["health", "--json"])).unwrap();
    assert!(json["findings"].as_array().unwrap().is_empty(), "{json}");
    assert!(json["not_judged"][0].as_str().unwrap().contains("\"SG prod\""), "{json}");

    // Tested: its scopes are kept, and three of them are more than managing keys needs.
    assert!(cli.ok(&["account", "test", "SG prod"], "").contains("Connected to SendGrid."));
    let json: serde_json::Value =
        serde_json::from_str(&cli.ok_without_password_or_keychain(&["health", "--json"])).unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{json}");
    let finding = &findings[0];
    assert_eq!(finding["kind"], "broad-management-key");
    assert_eq!(finding["severity"], "warning");
    assert_eq!(finding["account"]["name"], "SG prod");
    assert_eq!(finding["fix"], "narrow-management-key");
    assert_eq!(finding["scopes"], serde_json::json!(["api_keys.create", "api_keys.read", "api_keys.delete"]));
    let sentence = finding["sentence"].as_str().unwrap();
    assert!(
        sentence.contains("3 rights beyond managing keys (mail.send, marketing.read, user.profile.update)"),
        "{sentence}"
    );
    assert!(finding["command"].as_str().unwrap().ends_with("keydesk account test \"SG prod\""), "{finding}");
    assert_eq!(json["not_judged"], serde_json::json!([]));
    let text = cli.ok_without_password_or_keychain(&["health"]);
    assert!(text.contains("WARNING — A management key that may do more than manage keys"), "{text}");
    assert!(text.contains("account \"SG prod\" (SendGrid): The management key of \"SG prod\""), "{text}");
    // On record: a `verify` line without a key.
    assert!(cli.ok(&["audit"], "").contains("management key of \"SG prod\": 7 scopes"));

    // Narrowed at SendGrid and tested again: nothing left to say.
    narrowed.store(true, Ordering::SeqCst);
    cli.ok(&["account", "test", "SG prod"], "");
    let json: serde_json::Value =
        serde_json::from_str(&cli.ok_without_password_or_keychain(&["health", "--json"])).unwrap();
    assert!(json["findings"].as_array().unwrap().is_empty(), "{json}");
    assert!(cli.ok(&["audit", "--verify"], "").contains("all linked"));
}
