//! The provider flows through the `keydesk` binary: accounts, create and revoke at SendGrid
//! and Mailgun, the guided revoke, verify. Local servers only; no secret in any output.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]
#![allow(
    clippy::disallowed_methods,
    reason = "tests and tools read the real clock and start their own threads"
)]

use crate::common;

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
    assert!(out.contains("revoked by hand on Brevo's page; Brevo now refuses it"), "{out}");
    assert!(out.contains("Update what used it: HubSpot."), "{out}");
    let audit = s.json(&["audit", "--json"]);
    assert!(audit[0]["detail"].as_str().unwrap().contains("revoked by hand on Brevo's page"));
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

/// An AWS key pair as Keydesk keeps it ("id:secret"), and its two halves.
fn aws_pair() -> (String, String, String) {
    let id = format!("AKIA{}", random_chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16));
    let secret = random_chars(ALNUM, 40);
    (format!("{id}:{secret}"), id, secret)
}

/// AWS as documented: STS `GetCallerIdentity` and IAM `GetAccessKeyLastUsed`, each signed
/// with SigV4 by a key pair it knows (checked in full); `last_used` is the date IAM answers
/// (empty: never used, "N/A" region and service), `deny` answers AccessDenied instead.
struct Aws {
    mock: Mock,
    last_used: Arc<Mutex<String>>,
    deny: Arc<Mutex<bool>>,
}

fn aws(pairs: &[(&str, &str)], live: Arc<Mutex<Vec<String>>>) -> Aws {
    let pairs: Vec<(String, String)> =
        pairs.iter().map(|(i, s)| ((*i).to_owned(), (*s).to_owned())).collect();
    let last_used: Arc<Mutex<String>> = Arc::default();
    let deny: Arc<Mutex<bool>> = Arc::default();
    let (last2, deny2) = (last_used.clone(), deny.clone());
    let mock = Mock::start(move |seen| {
        let service = if seen.body.contains("Action=GetCallerIdentity") { "sts" } else { "iam" };
        let signer = pairs.iter().find_map(|(id, secret)| {
            common::mock::aws_signed(seen, service, secret).filter(|signed| signed == id)
        });
        let Some(signer) = signer.filter(|id| live.lock().unwrap().contains(id)) else {
            return common::mock::aws_error(
                403,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            );
        };
        if service == "sts" {
            return Reply::Answer {
                status: 200,
                headers: vec![("Content-Type", "text/xml".into())],
                body: format!(
                    "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/{signer}</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>"
                ),
            };
        }
        if *deny2.lock().unwrap() {
            return common::mock::aws_error(
                403,
                "AccessDenied",
                "User is not authorized to perform: iam:GetAccessKeyLastUsed",
            );
        }
        let form: Vec<&str> = seen.body.split('&').collect();
        if !form.contains(&"Action=GetAccessKeyLastUsed") || !form.contains(&"Version=2010-05-08") {
            return common::mock::aws_error(400, "InvalidAction", "Could not find operation");
        }
        let Some(asked) = form.iter().find_map(|f| f.strip_prefix("AccessKeyId=")) else {
            return common::mock::aws_error(400, "MissingParameter", "AccessKeyId is required");
        };
        let when = last2.lock().unwrap().clone();
        let used = if when.is_empty() {
            "<Region>N/A</Region><ServiceName>N/A</ServiceName>".to_owned()
        } else {
            format!(
                "<Region>us-east-1</Region><LastUsedDate>{when}</LastUsedDate><ServiceName>ses</ServiceName>"
            )
        };
        Reply::Answer {
            status: 200,
            headers: vec![("Content-Type", "text/xml".into())],
            body: format!(
                "<GetAccessKeyLastUsedResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetAccessKeyLastUsedResult><AccessKeyLastUsed>{used}</AccessKeyLastUsed><UserName>smtp-{asked}</UserName></GetAccessKeyLastUsedResult><ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata></GetAccessKeyLastUsedResponse>"
            ),
        }
    });
    Aws { mock, last_used, deny }
}

#[test]
fn last_use_at_amazon_ses_and_a_use_after_the_revoke() {
    let (admin, admin_id, admin_secret) = aws_pair();
    let (smtp, smtp_id, smtp_secret) = aws_pair();
    let live = Arc::new(Mutex::new(vec![admin_id.clone(), smtp_id.clone()]));
    let api = aws(&[(&admin_id, &admin_secret), (&smtp_id, &smtp_secret)], live.clone());
    let mut s = Session::new();
    s.ok(
        &["account", "add", "--provider", "amazon-ses", "--name", "AWS plain", "--base-url", &api.mock.url],
        "",
    );
    s.ok(&["add", "--label", "SES alone", "--account", "AWS plain"], &aws_pair().0);
    s.ok(
        &["account", "add", "--provider", "amazon-ses", "--name", "AWS", "--base-url", &api.mock.url],
        &admin,
    );
    s.ok(&["add", "--label", "SES SMTP", "--account", "AWS", "--integration", "Shop"], &smtp);
    // The access key id is kept (it is not secret): it names the key to IAM after a revoke.
    assert_eq!(s.json(&["show", "SES SMTP", "--json"])["provider_key_id"], smtp_id.as_str());

    // Never used: IAM's "N/A" answer.
    let never = s.ok(&["usage", "SES SMTP"], "");
    assert!(never.contains("Never used at Amazon SES, as far as it tracks"), "{never}");
    let asked = api.mock.seen();
    let last = asked.last().unwrap();
    assert_eq!(
        common::mock::aws_signed(last, "iam", &admin_secret).as_deref(),
        Some(admin_id.as_str()),
        "asked with the account's management key"
    );
    assert!(last.body.contains(&format!("AccessKeyId={smtp_id}")), "about the key itself");

    let two_hours_ago = chrono::Utc::now() - chrono::Duration::hours(2);
    *api.last_used.lock().unwrap() = two_hours_ago.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let answer = s.json(&["usage", "SES SMTP", "--json"]);
    assert_eq!(answer["last_used"], two_hours_ago.format("%Y-%m-%dT%H:%M:%S+00:00").to_string());
    assert_eq!(answer["detail"], "ses in us-east-1");
    assert_eq!(answer["source"], "AWS IAM GetAccessKeyLastUsed");
    assert_eq!(answer["possible_unauthorized_use"], false);
    assert!(
        answer["sentence"].as_str().unwrap().starts_with("Last used at Amazon SES 2 hours ago"),
        "{answer}"
    );
    // `show` reads it back with no password and no network.
    let shown = s.cli.ok_without_password_or_keychain(&["show", "SES SMTP"]);
    assert!(shown.contains("Last used at Amazon SES 2 hours ago"), "{shown}");

    // A key whose account has no management key asks with itself (a pair IAM does not know).
    let (code, _, stderr) = s.run(&["usage", "SES alone"], "", false);
    assert_eq!(code, 1);
    assert!(stderr.contains("Amazon SES refused the key Keydesk asked with (the key itself)"), "{stderr}");

    // An account whose management key was kept without its pair: said of that key.
    s.ok(
        &["account", "add", "--provider", "amazon-ses", "--name", "AWS half", "--base-url", &api.mock.url],
        &format!("AKIA{}", common::random_chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)),
    );
    s.ok(&["add", "--label", "SES half", "--account", "AWS half"], &aws_pair().0);
    let (code, _, stderr) = s.run(&["usage", "SES half"], "", false);
    assert_eq!(code, 1);
    assert!(
        stderr.contains(
            "The key Keydesk asks with (the management key of \"AWS half\") is stored without its pair"
        ),
        "{stderr}"
    );

    // A policy without iam:GetAccessKeyLastUsed: one sentence, and the last answer stays.
    *api.deny.lock().unwrap() = true;
    let (code, _, stderr) = s.run(&["usage", "SES SMTP"], "", false);
    assert_eq!(code, 1);
    assert!(
        stderr
            .contains("may not read key usage at Amazon SES: its IAM policy needs iam:GetAccessKeyLastUsed"),
        "{stderr}"
    );
    assert!(s.json(&["show", "SES SMTP", "--json"])["usage_at_provider"]["last_used"].is_string());
    *api.deny.lock().unwrap() = false;

    // Revoked (guided: AWS keys are deleted in IAM's console; STS then refuses the pair).
    live.lock().unwrap().retain(|id| *id != smtp_id);
    let revoked = s
        .ok(&["revoke", "SES SMTP", "--reason", "found in a public repository", "--revoked-at-provider"], "");
    assert!(
        revoked.contains("Amazon SES now refuses it"),
        "STS's InvalidClientTokenId is a refusal: {revoked}"
    );
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    // IAM still sees it used after that: someone else has it.
    *api.last_used.lock().unwrap() = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let (code, stdout, stderr) = s.run(&["usage", "SES SMTP"], "", false);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stderr.contains("Possible unauthorized use: Amazon SES saw this key used after it was revoked"),
        "{stderr}"
    );
    let due = s.cli.ok_without_password_or_keychain(&["due"]);
    assert!(due.contains("possible unauthorized use: used at Amazon SES on"), "{due}");
    let audit = s.json(&["audit", "--json"]);
    let usage: Vec<&Value> = audit.as_array().unwrap().iter().filter(|r| r["action"] == "usage").collect();
    assert_eq!(usage.len(), 6, "{audit}");
    assert!(
        usage.iter().any(|r| r["detail"]
            .as_str()
            .unwrap()
            .contains("after it was revoked: possible unauthorized use"))
    );
    let failures: Vec<&str> = usage.iter().filter_map(|r| r["failure"].as_str()).collect();
    assert_eq!(failures.len(), 3, "{failures:?}");
    assert!(failures.iter().any(|f| f.contains("iam:GetAccessKeyLastUsed")), "{failures:?}");
    s.assert_never_printed(&[&admin_secret, &smtp_secret]);
}

#[test]
fn last_use_at_elastic_email_by_the_key_name() {
    let key = random_chars("0123456789ABCDEF", 96);
    let mock = common::mock::elastic_email_knowing(&key);
    let mut s = Session::new();
    s.ok(&["account", "add", "--provider", "elastic-email", "--name", "EE", "--base-url", &mock.url], "");
    s.ok(&["add", "--label", "Newsletter", "--account", "EE"], &key);

    let (code, _, stderr) = s.run(&["usage", "Newsletter"], "", false);
    assert_eq!(code, 1);
    assert!(stderr.contains("Keydesk needs the name this key has at Elastic Email"), "{stderr}");
    assert!(mock.seen().is_empty(), "nothing asked without a name");

    let (code, _, stderr) = s.run(&["usage", "Newsletter", "--name", "CRM"], "", false);
    assert_eq!(code, 1);
    assert!(stderr.contains("Elastic Email does not know this key (HTTP 404)"), "{stderr}");
    assert!(
        s.json(&["show", "Newsletter", "--json"])["provider_key_id"].is_null(),
        "a wrong name is not kept"
    );

    let said = s.ok(&["usage", "Newsletter", "--name", "CRM sync"], "");
    assert!(said.contains("Last used at Elastic Email") && said.contains("(2026-11-20 08:30 UTC)"), "{said}");
    assert!(said.contains("Source: Elastic Email's API-key list (LastUse)"), "{said}");
    // The name proved right is kept: the next question needs none.
    s.ok(&["usage", "Newsletter"], "");
    assert_eq!(s.json(&["show", "Newsletter", "--json"])["provider_key_id"], "CRM sync");
    s.assert_never_printed(&[&key]);
}

#[test]
fn providers_without_usage_in_their_api_say_so() {
    let mut s = Session::new();
    s.ok(&["add", "--label", "Mail"], &sendgrid_key());
    let (code, _, stderr) = s.run(&["usage", "Mail"], "", false);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("SendGrid's API does not tell when a key was last used: look at its own dashboard."),
        "{stderr}"
    );
}
