//! The provider flows through the `keydesk` binary: accounts, create and revoke at SendGrid
//! and Mailgun, the guided revoke, verify. Local servers only; no secret in any output.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

mod common;

use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use common::mock::{Mock, Reply};
use common::{ALNUM, Cli, HEX, random_chars, sendgrid_key};
use serde_json::Value;

/// Runs commands and keeps everything they printed that must hold no secret.
struct Session {
    cli: Cli,
    printed: String,
}

impl Session {
    fn new() -> Session {
        let cli = Cli::new();
        cli.ok(&["init", "--secret-store", "file"], "");
        Session { cli, printed: String::new() }
    }

    /// Runs; returns (exit code, stdout, stderr) and keeps both for the secret search unless
    /// `shows_secret` (generate and reveal print the key on purpose).
    fn run(&mut self, args: &[&str], stdin: &str, shows_secret: bool) -> (i32, String, String) {
        let output = self.cli.run_with(args, stdin);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        self.printed.push_str(&stderr);
        if !shows_secret {
            self.printed.push_str(&stdout);
        }
        (output.status.code().unwrap_or(-1), stdout, stderr)
    }

    fn ok(&mut self, args: &[&str], stdin: &str) -> String {
        let (code, stdout, stderr) = self.run(args, stdin, false);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        stdout
    }

    fn json(&mut self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args, "")).unwrap()
    }

    fn assert_never_printed(&self, secrets: &[&str]) {
        for secret in secrets {
            assert!(!self.printed.contains(secret), "a secret was printed: …{}", &secret[secret.len() - 6..]);
        }
        let files: String = ["vault.ron", "audit.ron"]
            .iter()
            .map(|f| std::fs::read_to_string(self.cli.vault.join(f)).unwrap())
            .collect();
        for secret in secrets {
            assert!(!files.contains(secret), "a secret reached vault.ron or audit.ron");
        }
    }
}

/// A SendGrid account API that checks requests as documented.
struct SendGrid {
    mock: Mock,
    created: Arc<Mutex<Vec<(String, String)>>>,
    /// Status to answer DELETE with, in order (then 204).
    delete_answers: Arc<Mutex<Vec<u16>>>,
}

fn sendgrid(management_key: &str) -> SendGrid {
    let created: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let delete_answers: Arc<Mutex<Vec<u16>>> = Arc::default();
    let (created2, deletes2, management) =
        (created.clone(), delete_answers.clone(), management_key.to_owned());
    let mock = Mock::start(move |seen| {
        let bearer = seen.header("authorization").and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("");
        let is_created = created2.lock().unwrap().iter().any(|(_, key)| key == bearer);
        match (seen.method.as_str(), seen.url.as_str()) {
            ("GET", "/v3/scopes") if bearer == management => Reply::json(
                200,
                r#"{"scopes":["api_keys.create","api_keys.delete","api_keys.read","mail.send"]}"#,
            ),
            ("GET", "/v3/scopes") if is_created => Reply::json(200, r#"{"scopes":["mail.send"]}"#),
            ("GET", "/v3/scopes") => {
                Reply::json(401, r#"{"errors":[{"field":null,"message":"authorization required"}]}"#)
            }
            ("POST", "/v3/api_keys") if bearer == management => {
                let body: Value = serde_json::from_str(&seen.body).unwrap_or_default();
                if seen.header("content-type") != Some("application/json") || !body["name"].is_string() {
                    return Reply::json(400, r#"{"errors":[{"field":"name","message":"missing"}]}"#);
                }
                let key = sendgrid_key();
                let id = key[3..25].to_owned();
                created2.lock().unwrap().push((id.clone(), key.clone()));
                let answer = serde_json::json!({
                    "api_key": key, "api_key_id": id, "name": body["name"],
                    "scopes": body.get("scopes").cloned().unwrap_or(serde_json::json!(["mail.send", "alerts.read"]))
                });
                Reply::json(201, &answer.to_string())
            }
            ("DELETE", path) if bearer == management && path.starts_with("/v3/api_keys/") => {
                let next = { deletes2.lock().unwrap().pop() };
                if let Some(status) = next {
                    return Reply::json(status, r#"{"errors":[{"message":"temporary"}]}"#);
                }
                let id = &path["/v3/api_keys/".len()..];
                let mut created = created2.lock().unwrap();
                let before = created.len();
                created.retain(|(known, _)| known != id);
                if created.len() < before {
                    Reply::status(204)
                } else {
                    Reply::json(404, r#"{"errors":[{"message":"not found"}]}"#)
                }
            }
            _ => Reply::json(401, r#"{"errors":[{"message":"authorization required"}]}"#),
        }
    });
    SendGrid { mock, created, delete_answers }
}

#[test]
fn sendgrid_create_verify_and_revoke_at_the_provider() {
    let management = sendgrid_key();
    let api = sendgrid(&management);
    let mut s = Session::new();
    s.ok(
        &["account", "add", "--provider", "sendgrid", "--name", "SG prod", "--base-url", &api.mock.url],
        &management,
    );
    assert!(s.ok(&["account", "test", "SG prod"], "").contains("Connected to SendGrid."));
    let accounts = s.json(&["account", "list", "--json"]);
    assert_eq!(accounts[0]["has_management_key"], true);

    let (code, stdout, stderr) =
        s.run(&["generate", "--label", "CRM mail", "--account", "SG prod", "--scope", "mail-send"], "", true);
    assert_eq!(code, 0, "{stderr}");
    let key = stdout.trim().to_owned();
    assert!(key.starts_with("SG.") && key.len() == 69);
    let posted = api.mock.seen().into_iter().find(|r| r.method == "POST").unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&posted.body).unwrap(),
        serde_json::json!({"name": "CRM mail", "scopes": ["mail.send"]})
    );
    let (id, _) = api.created.lock().unwrap()[0].clone();
    let shown = s.json(&["show", "CRM mail", "--json"]);
    assert_eq!(shown["provider_key_id"], id.as_str());
    assert_eq!(shown["scopes"], serde_json::json!(["mail.send"]));
    assert_eq!(shown["account"], accounts[0]["id"]);

    assert!(s.ok(&["verify", "CRM mail"], "").contains("Key works; scopes: mail.send."));
    let checked = s.json(&["verify", "CRM mail", "--json"]);
    assert_eq!(checked["outcome"], "works");
    assert_eq!(checked["http_status"], 200);
    assert_eq!(checked["permissions"], serde_json::json!(["mail.send"]));
    assert_eq!(checked["provider"], "sendgrid");
    assert_eq!(s.json(&["show", "CRM mail", "--json"])["last_verified"]["outcome"], "works");

    // The provider fails three times and then revokes: retries with backoff reach it.
    api.delete_answers.lock().unwrap().extend([500, 429]);
    let revoked = s.ok(&["revoke", "CRM mail", "--reason", "rotating"], "");
    assert!(revoked.contains("revoked at SendGrid"), "{revoked}");
    let deletes: Vec<_> = api.mock.seen().into_iter().filter(|r| r.method == "DELETE").collect();
    assert_eq!(deletes.len(), 3);
    assert!(deletes.iter().all(|r| r.url == format!("/v3/api_keys/{id}")));
    assert!(api.created.lock().unwrap().is_empty(), "the key is gone at the provider");
    let (code, stdout, _) = s.run(&["verify", "CRM mail"], "", false);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    s.assert_never_printed(&[&key, &management]);
}

/// A vault with the SendGrid account "SG" whose API is a local server.
fn sendgrid_session() -> (Session, SendGrid, String) {
    let management = sendgrid_key();
    let api = sendgrid(&management);
    let mut s = Session::new();
    s.ok(
        &["account", "add", "--provider", "sendgrid", "--name", "SG", "--base-url", &api.mock.url],
        &management,
    );
    (s, api, management)
}

#[test]
fn a_failed_revoke_keeps_the_key_active_and_says_so() {
    let (mut s, api, management) = sendgrid_session();
    let (_, stdout, _) = s.run(&["generate", "--label", "Webhook", "--account", "SG"], "", true);
    let key = stdout.trim().to_owned();
    api.delete_answers.lock().unwrap().extend([500, 500, 500, 500]);
    let (code, _, stderr) = s.run(&["revoke", "Webhook", "--reason", "leak"], "", false);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("Not revoked at SendGrid yet: SendGrid is having trouble (HTTP 500)"),
        "{stderr}"
    );
    assert!(stderr.contains("stays active"), "{stderr}");
    let shown = s.json(&["show", "Webhook", "--json"]);
    assert_eq!(shown["status"], "active");
    assert!(shown["provider_revoke_pending"].as_str().unwrap().starts_with("Not revoked at SendGrid yet"));
    assert_eq!(s.cli.ok(&["reveal", "Webhook"], "").trim(), key, "nothing lost");
    assert_eq!(api.created.lock().unwrap().len(), 1);
    // Once the provider recovers, the same command finishes the job and clears the banner.
    s.ok(&["revoke", "Webhook", "--reason", "leak"], "");
    let shown = s.json(&["show", "Webhook", "--json"]);
    assert_eq!(shown["status"], "revoked");
    assert!(shown["provider_revoke_pending"].is_null());
    s.assert_never_printed(&[&key, &management]);
}

#[test]
fn revoking_a_key_already_deleted_at_the_provider_completes() {
    let (mut s, api, _) = sendgrid_session();
    s.run(&["generate", "--label", "Old", "--account", "SG"], "", true);
    api.created.lock().unwrap().clear();
    let revoked = s.ok(&["revoke", "Old", "--reason", "cleanup"], "");
    assert!(revoked.contains("already gone at SendGrid"), "{revoked}");
    assert_eq!(s.json(&["show", "Old", "--json"])["status"], "revoked");
}

#[test]
fn mailgun_create_and_revoke_with_its_form_and_basic_auth() {
    let management = format!("{}-{}-{}", random_chars(HEX, 32), random_chars(HEX, 8), random_chars(HEX, 8));
    let basic = format!("Basic {}", B64.encode(format!("api:{management}")));
    let secret = format!("{}-{}-{}", random_chars(HEX, 32), random_chars(HEX, 8), random_chars(HEX, 8));
    let secret2 = secret.clone();
    let mock = Mock::start(move |seen| {
        if seen.header("authorization") != Some(basic.as_str()) {
            return Reply::json(401, r#"{"message":"Invalid private key"}"#);
        }
        match (seen.method.as_str(), seen.url.as_str()) {
            ("POST", "/v1/keys") => {
                // As Mailgun's spec and SDKs send it: multipart/form-data.
                let expected = [
                    ("description", "Newsletter sender"),
                    ("kind", "domain"),
                    ("role", "sending"),
                    ("domain_name", "mg.example.com"),
                ]
                .map(|(n, v)| (n.to_owned(), v.to_owned()));
                if seen.multipart_fields().as_deref() != Some(&expected[..]) {
                    return Reply::json(400, r#"{"message":"bad form"}"#);
                }
                let body = serde_json::json!({"message": "great success", "key": {
                    "id": "3b4a6f1e-0000-4000-8000-000000000001", "description": "Newsletter sender",
                    "kind": "domain", "role": "sending", "domain_name": "mg.example.com", "secret": secret2,
                    "created_at": "2026-11-26T10:00:00Z"}});
                Reply::json(200, &body.to_string())
            }
            ("DELETE", "/v1/keys/3b4a6f1e-0000-4000-8000-000000000001") => {
                Reply::json(200, r#"{"message":"key deleted"}"#)
            }
            _ => Reply::json(404, r#"{"message":"not found"}"#),
        }
    });
    let mut s = Session::new();
    s.ok(&["account", "add", "--provider", "mailgun", "--name", "MG", "--base-url", &mock.url], &management);
    let (code, stdout, stderr) = s.run(
        &["generate", "--label", "Newsletter sender", "--account", "MG", "--scope", "domain:mg.example.com"],
        "",
        true,
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim(), secret);
    let shown = s.json(&["show", "Newsletter sender", "--json"]);
    assert_eq!(shown["provider"], "mailgun");
    assert_eq!(shown["provider_key_id"], "3b4a6f1e-0000-4000-8000-000000000001");
    assert_eq!(shown["scopes"], serde_json::json!(["role:sending", "domain:mg.example.com"]));
    assert!(s.ok(&["revoke", "Newsletter sender", "--reason", "done"], "").contains("revoked at Mailgun"));
    assert_eq!(mock.seen().iter().filter(|r| r.method == "DELETE").count(), 1);
    s.assert_never_printed(&[&secret, &management]);
}

#[test]
fn guided_revoke_for_a_provider_without_key_management() {
    let key = format!("xkeysib-{}-{}", random_chars(HEX, 64), random_chars(ALNUM, 16));
    let still_valid = Arc::new(Mutex::new(true));
    let (key2, valid2) = (key.clone(), still_valid.clone());
    let mock = Mock::start(move |seen| {
        let valid = *valid2.lock().unwrap();
        match (seen.method.as_str(), seen.url.as_str(), seen.header("api-key")) {
            ("GET", "/v3/account", Some(k)) if k == key2 && valid => {
                Reply::json(200, r#"{"email":"ops@example.com"}"#)
            }
            ("GET", "/v3/account", _) => {
                Reply::json(401, r#"{"message":"Key not found","code":"unauthorized"}"#)
            }
            _ => Reply::status(404),
        }
    });
    let mut s = Session::new();
    s.ok(&["account", "add", "--provider", "brevo", "--name", "Brevo", "--base-url", &mock.url], "");
    s.ok(&["add", "--label", "Brevo CRM", "--account", "Brevo", "--integration", "HubSpot"], &key);

    let (code, _, stderr) = s.run(&["revoke", "Brevo CRM", "--reason", "leak"], "", false);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("Revoke it at Brevo first: open https://app.brevo.com/settings/keys/api"),
        "{stderr}"
    );
    assert!(mock.seen().is_empty(), "no call before the user confirmed");

    // The user says it is revoked, but Brevo still accepts it: Keydesk says so and keeps it.
    let (code, _, stderr) =
        s.run(&["revoke", "Brevo CRM", "--reason", "leak", "--revoked-at-provider"], "", false);
    assert_eq!(code, 1);
    assert!(stderr.contains("Brevo still accepts this key"), "{stderr}");
    assert_eq!(s.json(&["show", "Brevo CRM", "--json"])["status"], "active");

    *still_valid.lock().unwrap() = false;
    let out = s.ok(&["revoke", "Brevo CRM", "--reason", "leak", "--revoked-at-provider"], "");
    assert!(out.contains("user confirmed it was revoked at Brevo; Brevo now refuses it"), "{out}");
    assert!(out.contains("Update what used it: HubSpot."), "{out}");
    let audit = s.json(&["audit", "--json"]);
    assert!(audit[0]["detail"].as_str().unwrap().contains("user confirmed it was revoked at Brevo"));
    s.assert_never_printed(&[&key]);
}

#[test]
fn verify_from_the_command_line_keeps_answers_private() {
    let token = common::uuid_like();
    let other_token = random_chars(HEX, 36);
    let (token2, other2) = (token.clone(), other_token.clone());
    let mock = Mock::start(move |seen| match seen.header("x-postmark-server-token") {
        Some(t) if t == token2 => {
            Reply::json(200, &format!(r#"{{"ID":1,"Name":"Prod","ApiTokens":["{t}","{other2}"]}}"#))
        }
        _ => Reply::json(401, r#"{"ErrorCode":10,"Message":"Bad or missing Server API token."}"#),
    });
    let mut s = Session::new();
    s.ok(&["account", "add", "--provider", "postmark", "--name", "PM", "--base-url", &mock.url], "");
    s.ok(&["add", "--label", "Postmark", "--account", "PM"], &token);
    assert_eq!(s.ok(&["verify", "Postmark"], "").trim(), "Key works (a server token).");
    let shown = s.json(&["show", "Postmark", "--json"]);
    assert_eq!(shown["last_verified"]["outcome"], "works");

    // Unreachable: one sentence naming the host, exit 1.
    let closed = common::mock::closed_port_url();
    s.ok(&["account", "add", "--provider", "brevo", "--name", "Down", "--base-url", &closed], "");
    let brevo = format!("xkeysib-{}-{}", random_chars(HEX, 64), random_chars(ALNUM, 16));
    s.ok(&["add", "--label", "Brevo", "--account", "Down"], &brevo);
    let (code, stdout, _) = s.run(&["verify", "Brevo"], "", false);
    assert_eq!(code, 1);
    assert_eq!(
        stdout.trim(),
        "Keydesk couldn't reach 127.0.0.1 (connection refused): check the account's API address and any firewall. Nothing was changed."
    );
    s.assert_never_printed(&[&token, &other_token, &brevo]);
}

#[test]
fn provider_mistakes_are_one_sentence() {
    let mut s = Session::new();
    let (code, _, stderr) = s.run(
        &["account", "add", "--provider", "sendgrid", "--name", "X", "--base-url", "http://example.com"],
        "",
        false,
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("plain http is allowed only for 127.0.0.1"), "{stderr}");
    s.ok(&["account", "add", "--provider", "brevo", "--name", "Brevo"], "");
    let (code, _, stderr) = s.run(&["generate", "--label", "x", "--account", "Brevo"], "", false);
    assert_eq!(code, 1);
    assert!(stderr.contains("Brevo keys are made on its page"), "{stderr}");
    let (code, _, stderr) = s.run(&["add", "--label", "x", "--account", "Brevo"], &sendgrid_key(), false);
    assert_eq!(code, 1);
    assert!(stderr.contains("does not look like a Brevo key"), "{stderr}");
    let (code, _, stderr) = s.run(&["generate", "--label", "x", "--scope", "mail-send"], "", false);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = s.run(&["account", "test", "Brevo"], "", false);
    assert_eq!(code, 1);
    assert!(stderr.contains("has no management key"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1);
}

#[test]
fn a_mailchimp_key_of_another_data_centre_is_said_before_any_request() {
    let mut s = Session::new();
    s.ok(&["account", "add", "--provider", "mailchimp", "--name", "MC", "--region", "us14"], "");
    let key = format!("{}-us6", random_chars(HEX, 32));
    s.ok(&["add", "--label", "Newsletter", "--account", "MC"], &key);
    let (code, stdout, _) = s.run(&["verify", "Newsletter"], "", false);
    assert_eq!(code, 1, "not a working key until the region is fixed");
    assert!(
        stdout.contains(
            "Wrong region: this key belongs to Mailchimp's data centre us6, but its account says us14"
        ),
        "{stdout}"
    );
    let checked = s.json(&["show", "Newsletter", "--json"]);
    assert_eq!(checked["last_verified"]["outcome"], "wrong region");
}

#[test]
fn a_proxy_from_the_environment_is_used_and_named_when_it_fails() {
    let mut s = Session::new();
    let mock = Mock::start(|_| Reply::json(200, r#"{"email":"ops@example.com"}"#));
    s.ok(&["account", "add", "--provider", "brevo", "--name", "Brevo", "--base-url", &mock.url], "");
    let key = format!("xkeysib-{}-{}", random_chars(HEX, 64), random_chars(ALNUM, 16));
    s.ok(&["add", "--label", "CRM", "--account", "Brevo"], &key);
    let proxy = common::mock::closed_port_url();
    let port = proxy.rsplit(':').next().unwrap().to_owned();
    let output = common::run(
        {
            let mut command = s.cli.command(&["verify", "CRM"]);
            command.env("HTTPS_PROXY", &proxy).env_remove("NO_PROXY").env_remove("no_proxy");
            command
        },
        "",
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains(&format!("through the proxy 127.0.0.1:{port}")), "{stdout}");
    assert!(stdout.contains("check the proxy in HTTPS_PROXY and the hosts in NO_PROXY"), "{stdout}");
    assert!(mock.seen().is_empty(), "the request went to the proxy, not around it");
    // NO_PROXY for the host: straight there.
    let output = common::run(
        {
            let mut command = s.cli.command(&["verify", "CRM"]);
            command.env("HTTPS_PROXY", &proxy).env("NO_PROXY", "127.0.0.1");
            command
        },
        "",
    );
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stdout));
    assert_eq!(mock.seen().len(), 1);
}
