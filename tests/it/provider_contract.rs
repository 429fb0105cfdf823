//! Every request Keydesk makes to SendGrid, Mailgun, Klaviyo, Brevo, Elastic Email, Constant
//! Contact and Mailchimp, checked against the provider's own published OpenAPI (or Swagger)
//! document, and to AWS STS and IAM against their service models (`tests/provider-specs/`),
//! and each answer the document lists for it mapped to the right outcome and sentence. The servers run on
//! 127.0.0.1; a request that breaks the spec is answered 400 and fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]
#![allow(
    clippy::disallowed_methods,
    reason = "tests and tools read the real clock and start their own threads"
)]

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use common::mock::{Mock, Reply, Seen};
use common::openapi::Spec;
use common::{ALNUM, HEX, random_chars};
use keydesk::providers::Provider;
use keydesk::providers::http::{Client, HttpConfig};
use keydesk::providers::manage::{CreateSpec, ManageError, Revoked, create_key, revoke_key, test_connection};
use keydesk::providers::verify::{KeyFacts, verify};
use keydesk::vault::model::VerifyOutcome;
use secrecy::{ExposeSecret, SecretString};

fn client() -> Client {
    Client::new(HttpConfig {
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(5),
        retries: 1,
        backoff: Duration::ZERO,
        max_wait: Duration::ZERO,
    })
}

/// A provider server that checks each request against `spec` and answers with `answer`.
struct Server {
    mock: Mock,
    violations: Arc<Mutex<Vec<String>>>,
    /// The next answers to give, by status (then the operation's success answer).
    next: Arc<Mutex<Vec<Reply>>>,
}

impl Server {
    fn start(spec: &'static str, success: fn(&Seen) -> Reply) -> Server {
        let spec = Spec::load(spec);
        let violations: Arc<Mutex<Vec<String>>> = Arc::default();
        let next: Arc<Mutex<Vec<Reply>>> = Arc::default();
        let (v, n) = (violations.clone(), next.clone());
        let mock = Mock::start(move |seen| {
            let wrong = spec.violations(seen);
            if !wrong.is_empty() {
                v.lock().unwrap().extend(wrong.iter().map(|w| format!("{} {}: {w}", seen.method, seen.url)));
                return Reply::json(400, r#"{"errors":[{"message":"request not as the spec documents"}]}"#);
            }
            n.lock().unwrap().pop().unwrap_or_else(|| success(seen))
        });
        Server { mock, violations, next }
    }

    /// The next request is answered with `reply`.
    fn then(&self, reply: Reply) -> &Self {
        self.next.lock().unwrap().insert(0, reply);
        self
    }

    fn assert_followed_the_spec(&self) {
        let violations = self.violations.lock().unwrap();
        assert!(violations.is_empty(), "requests broke the published spec:\n{}", violations.join("\n"));
        let requests = self.mock.seen().len();
        assert!(requests > 0, "no request was made");
        eprintln!("{requests} requests checked against the spec, none broke it");
    }
}

fn sendgrid_key() -> String {
    format!("SG.{}.{}", random_chars(ALNUM, 22), random_chars(ALNUM, 43))
}

fn sendgrid_success(seen: &Seen) -> Reply {
    match seen.method.as_str() {
        "POST" => {
            let asked: serde_json::Value = serde_json::from_str(&seen.body).unwrap();
            let key = sendgrid_key();
            let body = serde_json::json!({
                "api_key": key, "api_key_id": &key[3..25], "name": asked["name"],
                "scopes": asked.get("scopes").cloned().unwrap_or(serde_json::json!(["mail.send", "alerts.read"]))
            });
            Reply::json(201, &body.to_string())
        }
        "DELETE" => Reply::status(204),
        _ => Reply::json(200, r#"{"scopes":["mail.send","stats.read"]}"#),
    }
}

fn outcome_of(server: &Server, provider: Provider, key: &str) -> VerifyOutcome {
    verify(&client(), provider, &server.mock.url, &SecretString::from(key), Utc::now(), KeyFacts::default())
        .unwrap()
}

/// A status, the answer given with it, and what Keydesk must make of it (at that provider).
type AnswerRow = (&'static str, Reply, fn(Provider, &VerifyOutcome) -> bool);

/// The answers an operation documents, each with what Keydesk must make of it.
fn check_verify_answers(server: &Server, provider: Provider, key: &str, documented: &[String]) {
    let rows: [AnswerRow; 7] = [
        (
            "400",
            Reply::json(
                400,
                r#"{"errors":[{"id":"x","code":"invalid","title":"Invalid","detail":"bad key"}]}"#,
            ),
            // Klaviyo documents 400 for a malformed private key; elsewhere it is a bad
            // request, no verdict on the key.
            |p, o| {
                if p == Provider::Klaviyo {
                    o.refused()
                } else {
                    *o == VerifyOutcome::ProviderTrouble { status: 400 }
                }
            },
        ),
        ("401", Reply::json(401, r#"{"errors":[{"message":"authorization required"}]}"#), |_, o| o.refused()),
        ("403", Reply::json(403, r#"{"errors":[{"message":"access forbidden"}]}"#), |_, o| {
            matches!(o, VerifyOutcome::LacksPermission { .. }) && o.sentence().starts_with("Works, but lacks")
        }),
        (
            "429",
            Reply::json(429, r#"{"errors":[{"message":"too many requests"}]}"#)
                .with_header("Retry-After", "12"),
            |_, o| *o == VerifyOutcome::RateLimited { retry_after_secs: Some(12) },
        ),
        ("500", Reply::json(500, r#"{"errors":[{"message":"internal"}]}"#), |_, o| {
            *o == VerifyOutcome::ProviderTrouble { status: 500 }
        }),
        ("503", Reply::json(503, r#"{"errors":[{"message":"unavailable"}]}"#), |_, o| {
            *o == VerifyOutcome::ProviderTrouble { status: 503 }
        }),
        ("404", Reply::json(404, r#"{"errors":[{"message":"not found"}]}"#), |_, o| {
            *o == VerifyOutcome::ProviderTrouble { status: 404 }
        }),
    ];
    for (status, reply, expected) in rows {
        let listed = documented.iter().any(|d| d == status || d == &format!("{}XX", &status[..1]));
        if !listed {
            continue;
        }
        server.then(reply);
        let outcome = outcome_of(server, provider, key);
        assert!(expected(provider, &outcome), "{provider} {status}: {outcome:?}");
        assert!(!outcome.sentence().contains(key), "the key reached a sentence");
    }
}

#[test]
fn sendgrid_create_verify_and_revoke_follow_the_published_spec() {
    let server = Server::start("sendgrid_api_keys_scopes.yaml", sendgrid_success);
    let spec = Spec::load("sendgrid_api_keys_scopes.yaml");
    let management = SecretString::from(sendgrid_key());
    // Create with each template.
    for (template, scopes) in [
        ("mail-send", vec!["mail.send"]),
        (
            "read-only-stats",
            vec!["stats.read", "stats.global.read", "categories.stats.read", "categories.stats.sums.read"],
        ),
        ("full-access", vec!["mail.send", "alerts.read"]),
    ] {
        let spec = CreateSpec::from_words(Provider::SendGrid, "CRM mail", &[template.to_owned()]);
        let created =
            create_key(&client(), Provider::SendGrid, &server.mock.url, &management, &spec).unwrap();
        assert!(created.secret.expose_secret().starts_with("SG."));
        assert_eq!(created.scopes, scopes, "{template}");
    }
    // The documented failures of create, each with its own sentence.
    let create = |server: &Server| {
        let spec = CreateSpec::from_words(Provider::SendGrid, "CRM", &["mail-send".to_owned()]);
        create_key(&client(), Provider::SendGrid, &server.mock.url, &management, &spec).err().unwrap()
    };
    assert_eq!(spec.statuses("POST", "/v3/api_keys"), ["201", "400", "401", "403", "404", "500"]);
    server.then(Reply::json(400, r#"{"errors":[{"field":"scopes","message":"invalid scope: mail.sendd"}]}"#));
    let error = create(&server);
    assert!(matches!(error, ManageError::BadRequest { .. }));
    assert!(error.to_string().contains("invalid scope: mail.sendd"), "{error}");
    server.then(Reply::json(401, r#"{"errors":[{"message":"authorization required"}]}"#));
    assert!(matches!(create(&server), ManageError::Unauthorized { status: 401, .. }));
    server.then(Reply::json(403, r#"{"errors":[{"message":"access forbidden"}]}"#));
    let error = create(&server);
    assert!(matches!(error, ManageError::LimitReached { .. }), "{error}");
    assert!(error.to_string().contains("key limit is reached"));
    server.then(Reply::json(500, r#"{"errors":[{"message":"internal"}]}"#));
    assert!(matches!(create(&server), ManageError::ProviderTrouble { status: 500, .. }));

    // Verify, and each answer /v3/scopes documents.
    let key = sendgrid_key();
    assert_eq!(
        outcome_of(&server, Provider::SendGrid, &key),
        VerifyOutcome::Works { scopes: vec!["mail.send".into(), "stats.read".into()], note: None }
    );
    check_verify_answers(&server, Provider::SendGrid, &key, &spec.statuses("GET", "/v3/scopes"));

    // Testing the account's management key.
    server.then(Reply::json(200, r#"{"scopes":["api_keys.create","api_keys.delete","api_keys.read"]}"#));
    let tested = test_connection(&client(), Provider::SendGrid, &server.mock.url, &management).unwrap();
    assert_eq!(tested.words, "Connected to SendGrid.");
    assert_eq!(
        tested.scopes,
        Some(vec!["api_keys.create".into(), "api_keys.delete".into(), "api_keys.read".into()]),
        "the scopes the key holds, for the health report"
    );

    // Revoke, and each answer DELETE documents.
    let revoke = || revoke_key(&client(), Provider::SendGrid, &server.mock.url, &management, "abcdEFGH1234");
    assert_eq!(revoke().unwrap(), Revoked::Deleted);
    server.then(Reply::json(404, r#"{"errors":[{"message":"not found"}]}"#));
    assert_eq!(revoke().unwrap(), Revoked::AlreadyGone);
    server.then(Reply::json(401, r#"{"errors":[{"message":"authorization required"}]}"#));
    assert!(matches!(revoke(), Err(ManageError::Unauthorized { .. })));
    server.then(Reply::json(403, r#"{"errors":[{"message":"access forbidden"}]}"#));
    assert!(
        matches!(revoke(), Err(ManageError::Unauthorized { status: 403, .. })),
        "a 403 is never a revoke"
    );
    server.then(Reply::json(500, "{}")).then(Reply::json(500, "{}"));
    assert!(matches!(revoke(), Err(ManageError::ProviderTrouble { status: 500, .. })), "retried, then said");
    server.assert_followed_the_spec();
}

fn mailgun_success(seen: &Seen) -> Reply {
    match (seen.method.as_str(), seen.url.split('?').next().unwrap_or("")) {
        ("POST", "/v1/keys") => {
            let fields = seen.multipart_fields().unwrap();
            let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
            let body = serde_json::json!({"message": "great success", "key": {
                "id": "f2153fd0-f1277777", "description": field("description"), "kind": field("kind"),
                "role": field("role"), "created_at": "2026-11-27T10:00:00", "updated_at": "2026-11-27T10:00:00",
                "requestor": null, "user_name": null, "domain_name": field("domain_name"), "is_disabled": false,
                "secret": format!("{}-{}-{}", random_chars(HEX, 32), random_chars(HEX, 8), random_chars(HEX, 8))}});
            Reply::json(200, &body.to_string())
        }
        ("DELETE", _) => Reply::json(200, r#"{"message":"key deleted"}"#),
        _ => Reply::json(200, r#"{"total_count":1,"items":[{"name":"mg.example.com","state":"active"}]}"#),
    }
}

#[test]
fn mailgun_create_verify_and_revoke_follow_the_published_spec() {
    let server = Server::start("mailgun_openapi.yaml.gz", mailgun_success);
    let spec = Spec::load("mailgun_openapi.yaml.gz");
    let management = SecretString::from(format!("key-{}", random_chars(HEX, 32)));
    for (words, role) in [
        (vec!["admin"], "role:admin"),
        (vec!["developer"], "role:developer"),
        (vec!["basic"], "role:basic"),
        (vec!["domain:mg.example.com"], "role:sending"),
    ] {
        let words: Vec<String> = words.into_iter().map(str::to_owned).collect();
        let create = CreateSpec::from_words(Provider::Mailgun, "CRM mail", &words);
        let created =
            create_key(&client(), Provider::Mailgun, &server.mock.url, &management, &create).unwrap();
        assert_eq!(created.provider_key_id, "f2153fd0-f1277777");
        assert!(created.scopes.contains(&role.to_owned()), "{words:?}: {:?}", created.scopes);
    }
    // The sending role without a domain, or no role at all: refused before any request.
    let before = server.mock.seen().len();
    for words in [vec!["sending".to_owned()], vec![]] {
        let create = CreateSpec::from_words(Provider::Mailgun, "CRM", &words);
        let error =
            create_key(&client(), Provider::Mailgun, &server.mock.url, &management, &create).err().unwrap();
        assert!(matches!(error, ManageError::Role(_)), "{error}");
    }
    assert_eq!(server.mock.seen().len(), before, "nothing was sent");
    // The documented 403 on create is the account's key limit.
    assert_eq!(spec.statuses("POST", "/v1/keys"), ["200", "403"]);
    server.then(Reply::json(403, &spec.example("POST", "/v1/keys", "403").unwrap()));
    let create = CreateSpec::from_words(Provider::Mailgun, "CRM", &["admin".to_owned()]);
    let error =
        create_key(&client(), Provider::Mailgun, &server.mock.url, &management, &create).err().unwrap();
    assert!(matches!(error, ManageError::LimitReached { .. }), "{error}");

    // Verify on the documented /v4/domains, and its documented answers.
    let key = format!("{}-{}-{}", random_chars(HEX, 32), random_chars(HEX, 8), random_chars(HEX, 8));
    assert!(matches!(outcome_of(&server, Provider::Mailgun, &key), VerifyOutcome::Works { .. }));
    check_verify_answers(&server, Provider::Mailgun, &key, &spec.statuses("GET", "/v4/domains"));
    // A domain sending key is refused every call but sending: not a verdict, never a revoke.
    server.then(Reply::json(401, r#"{"message":"Invalid private key"}"#));
    let sending = KeyFacts::from_scopes(&["role:sending".into(), "domain:mg.example.com".into()]);
    let outcome = verify(
        &client(),
        Provider::Mailgun,
        &server.mock.url,
        &SecretString::from(key.as_str()),
        Utc::now(),
        sending,
    )
    .unwrap();
    assert!(matches!(outcome, VerifyOutcome::CannotCheck { .. }) && !outcome.refused(), "{outcome:?}");

    // Revoke and its documented answers.
    let revoke =
        || revoke_key(&client(), Provider::Mailgun, &server.mock.url, &management, "f2153fd0-f1277777");
    assert_eq!(revoke().unwrap(), Revoked::Deleted);
    server.then(Reply::json(404, &spec.example("DELETE", "/v1/keys/{key_id}", "404").unwrap()));
    assert_eq!(revoke().unwrap(), Revoked::AlreadyGone);
    server.assert_followed_the_spec();
}

#[test]
fn klaviyo_verify_follows_the_published_spec() {
    let server = Server::start("klaviyo_stable.json.gz", |_| {
        Reply::json(200, r#"{"data":[{"type":"account","id":"AbC123","attributes":{}}]}"#)
    });
    let spec = Spec::load("klaviyo_stable.json.gz");
    let key = format!("pk_{}", random_chars(HEX, 34));
    assert!(matches!(outcome_of(&server, Provider::Klaviyo, &key), VerifyOutcome::Works { .. }));
    // The spec lists 4XX and 5XX: each client error Klaviyo documents reads as it means.
    assert_eq!(spec.statuses("GET", "/api/accounts"), ["200", "4XX", "5XX"]);
    check_verify_answers(&server, Provider::Klaviyo, &key, &spec.statuses("GET", "/api/accounts"));
    server.then(Reply::json(
        403,
        r#"{"errors":[{"id":"x","code":"permission_denied","title":"Forbidden","detail":"missing scope"}]}"#,
    ));
    let outcome = outcome_of(&server, Provider::Klaviyo, &key);
    assert!(outcome.sentence().contains("accounts:read"), "{}", outcome.sentence());
    server.assert_followed_the_spec();
}

#[test]
fn the_checker_catches_what_the_specs_forbid() {
    // The checker itself, on requests that break each spec: it must be able to fail.
    let seen = |method: &str, url: &str, headers: &[(&str, &str)], body: &str| Seen {
        method: method.into(),
        url: url.into(),
        headers: headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
        body: body.into(),
    };
    let mailgun = Spec::load("mailgun_openapi.yaml.gz");
    let form = seen(
        "POST",
        "/v1/keys",
        &[
            ("authorization", "Basic YXBpOmtleQ=="),
            ("content-type", "application/x-www-form-urlencoded"),
            ("accept", "application/json"),
        ],
        "role=admin",
    );
    assert!(
        mailgun.violations(&form).iter().any(|v| v.contains("multipart/form-data")),
        "a urlencoded create is caught"
    );
    assert!(
        !mailgun.violations(&seen("GET", "/v3/domains", &[], "")).is_empty(),
        "an undocumented path is caught"
    );
    let klaviyo = Spec::load("klaviyo_stable.json.gz");
    let no_revision = seen(
        "GET",
        "/api/accounts",
        &[("authorization", "Klaviyo-API-Key pk_x"), ("accept", "application/vnd.api+json")],
        "",
    );
    assert!(
        klaviyo.violations(&no_revision).iter().any(|v| v.contains("revision")),
        "a missing revision is caught"
    );
    let sendgrid = Spec::load("sendgrid_api_keys_scopes.yaml");
    let any = seen("GET", "/v3/scopes", &[("authorization", "Bearer SG.x"), ("accept", "*/*")], "");
    assert!(sendgrid.violations(&any).iter().any(|v| v.contains("Accept")), "Accept */* is caught");
    let no_auth = seen("GET", "/v3/scopes", &[("accept", "application/json")], "");
    assert!(!sendgrid.violations(&no_auth).is_empty(), "a missing Authorization is caught");
    let empty = seen(
        "GET",
        "/v3/scopes",
        &[
            ("authorization", "Bearer SG.x"),
            ("accept", "application/json"),
            ("content-length", "0"),
            ("content-type", "text/plain"),
        ],
        "",
    );
    assert!(!sendgrid.violations(&empty).is_empty(), "body headers on a GET are caught");
}

#[test]
fn brevo_verify_follows_the_published_spec() {
    let server = Server::start("brevo_swagger.yaml.gz", |_| {
        Reply::json(200, r#"{"email":"ops@example.com","companyName":"Example","plan":[{"type":"free"}]}"#)
    });
    let spec = Spec::load("brevo_swagger.yaml.gz");
    let key = format!("xkeysib-{}-{}", random_chars(HEX, 64), random_chars(ALNUM, 16));
    assert!(matches!(outcome_of(&server, Provider::Brevo, &key), VerifyOutcome::Works { .. }));
    assert_eq!(spec.statuses("GET", "/v3/account"), ["200"]);
    // Brevo documents no failure here; the ones its guide names read as they mean.
    check_verify_answers(&server, Provider::Brevo, &key, &["401".into(), "429".into(), "5XX".into()]);
    server.assert_followed_the_spec();
}

#[test]
fn constant_contact_verify_follows_the_published_spec() {
    let server = Server::start("constantcontact_openapi.yaml.gz", |_| {
        Reply::json(200, r#"{"contact_email":"ops@example.com","organization_name":"Example"}"#)
    });
    let spec = Spec::load("constantcontact_openapi.yaml.gz");
    let token =
        format!("eyJ{}.{}.{}", random_chars(ALNUM, 30), random_chars(ALNUM, 200), random_chars(ALNUM, 40));
    assert!(matches!(outcome_of(&server, Provider::ConstantContact, &token), VerifyOutcome::Works { .. }));
    assert_eq!(spec.statuses("GET", "/v3/account/summary"), ["200", "400", "401", "403", "500", "503"]);
    check_verify_answers(
        &server,
        Provider::ConstantContact,
        &token,
        &spec.statuses("GET", "/v3/account/summary"),
    );
    server.assert_followed_the_spec();
}

#[test]
fn mailchimp_verify_sends_the_bearer_token_its_spec_documents() {
    let server = Server::start("mailchimp_ping_excerpt.json", |_| {
        Reply::json(200, r#"{"health_status":"Everything's Chimpy!"}"#)
    });
    let key = format!("{}-us6", random_chars(HEX, 32));
    assert!(matches!(outcome_of(&server, Provider::Mailchimp, &key), VerifyOutcome::Works { .. }));
    check_verify_answers(
        &server,
        Provider::Mailchimp,
        &key,
        &["401".into(), "403".into(), "429".into(), "5XX".into()],
    );
    let sent = server.mock.seen();
    assert!(sent.iter().all(|s| s.header("authorization") == Some(format!("Bearer {key}").as_str())));
    server.assert_followed_the_spec();
}

#[test]
fn elastic_email_verify_and_last_use_follow_the_published_spec() {
    use keydesk::providers::usage::{UsageQuery, last_used};
    let server = Server::start("elasticemail_openapi.yaml.gz", |seen| {
        if seen.url.starts_with("/v4/security/apikeys/") {
            Reply::json(
                200,
                r#"{"AccessLevel":["ViewAccessTokens"],"Name":"CRM sync","DateCreated":"2026-01-05T09:00:00Z","LastUse":"2026-11-20T08:30:00Z","Expires":null,"RestrictAccessToIPRange":[]}"#,
            )
        } else {
            Reply::json(200, r#"[{"Domain":"example.com","DefaultDomain":true}]"#)
        }
    });
    let spec = Spec::load("elasticemail_openapi.yaml.gz");
    let key = random_chars(&HEX.to_uppercase(), 96);
    assert!(matches!(outcome_of(&server, Provider::ElasticEmail, &key), VerifyOutcome::Works { .. }));
    assert_eq!(spec.statuses("GET", "/v4/domains"), ["200"]);
    check_verify_answers(
        &server,
        Provider::ElasticEmail,
        &key,
        &["401".into(), "403".into(), "429".into(), "5XX".into()],
    );
    let credential = SecretString::from(key.as_str());
    let query = UsageQuery {
        provider: Provider::ElasticEmail,
        base_url: &server.mock.url,
        subject: "CRM sync",
        credential: &credential,
        asked_with: "the key itself",
        now: Utc::now(),
    };
    let used = last_used(&client(), &query).unwrap();
    assert_eq!(used.at.unwrap().to_rfc3339(), "2026-11-20T08:30:00+00:00");
    assert!(server.mock.seen().iter().any(|s| s.url == "/v4/security/apikeys/CRM%20sync"));
    server.assert_followed_the_spec();
}

#[test]
fn aws_sts_verify_and_iam_last_use_follow_the_service_models() {
    use common::aws_model::AwsModel;
    use keydesk::providers::usage::{UsageQuery, last_used};
    let b32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (id, secret) = (format!("AKIA{}", random_chars(b32, 16)), random_chars(ALNUM, 40));
    let (sts, iam) =
        (AwsModel::load("aws_sts_service-2.json.gz"), AwsModel::load("aws_iam_service-2.json.gz"));
    assert_eq!((sts.signing_name(), iam.signing_name()), ("sts", "iam"));
    let violations: Arc<Mutex<Vec<String>>> = Arc::default();
    let (wrong, secret2) = (violations.clone(), secret.clone());
    let mock = Mock::start(move |seen| {
        let action = AwsModel::action(seen).unwrap_or_default();
        let model = if action == "GetAccessKeyLastUsed" { &iam } else { &sts };
        let broken = model.violations(seen, &secret2);
        if !broken.is_empty() {
            wrong.lock().unwrap().extend(broken.into_iter().map(|b| format!("{action}: {b}")));
            return common::mock::aws_error(400, "InvalidAction", "not as the model documents");
        }
        let body = if action == "GetAccessKeyLastUsed" {
            "<GetAccessKeyLastUsedResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetAccessKeyLastUsedResult><UserName>ses</UserName><AccessKeyLastUsed><Region>us-east-1</Region><LastUsedDate>2026-11-20T08:30:00Z</LastUsedDate><ServiceName>ses</ServiceName></AccessKeyLastUsed></GetAccessKeyLastUsedResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetAccessKeyLastUsedResponse>"
        } else {
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/ses</Arn><UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
        };
        Reply::Answer { status: 200, headers: vec![("Content-Type", "text/xml".into())], body: body.into() }
    });
    let pair = format!("{id}:{secret}");
    let outcome = verify(
        &client(),
        Provider::AmazonSes,
        &mock.url,
        &SecretString::from(pair.as_str()),
        Utc::now(),
        KeyFacts::default(),
    )
    .unwrap();
    assert!(outcome.works(), "{outcome:?}: {:?}", violations.lock().unwrap());
    let credential = SecretString::from(pair.as_str());
    let query = UsageQuery {
        provider: Provider::AmazonSes,
        base_url: &mock.url,
        subject: &id,
        credential: &credential,
        asked_with: "the key itself",
        now: Utc::now(),
    };
    let used = last_used(&client(), &query).unwrap();
    assert_eq!(used.at.unwrap().to_rfc3339(), "2026-11-20T08:30:00+00:00");
    let violations = violations.lock().unwrap();
    assert!(violations.is_empty(), "requests broke the service models:\n{}", violations.join("\n"));
    assert_eq!(mock.seen().len(), 2);
}

#[test]
fn the_model_and_spec_checkers_catch_what_the_new_documents_forbid() {
    use common::aws_model::AwsModel;
    let seen = |method: &str, url: &str, headers: &[(&str, &str)], body: &str| Seen {
        method: method.into(),
        url: url.into(),
        headers: headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
        body: body.into(),
    };
    // Mailchimp documents a bearer token, not HTTP Basic.
    let mailchimp = Spec::load("mailchimp_ping_excerpt.json");
    let basic = seen(
        "GET",
        "/3.0/ping",
        &[("authorization", "Basic a2V5ZGVzazp4"), ("accept", "application/json")],
        "",
    );
    assert!(mailchimp.violations(&basic).iter().any(|v| v.contains("documented scheme")), "Basic is caught");
    // Brevo's key goes in its own header; its paths sit under /v3.
    let brevo = Spec::load("brevo_swagger.yaml.gz");
    let bearer =
        seen("GET", "/v3/account", &[("authorization", "Bearer x"), ("accept", "application/json")], "");
    assert!(!brevo.violations(&bearer).is_empty(), "a bearer token at Brevo is caught");
    let unversioned = seen("GET", "/account", &[("api-key", "x"), ("accept", "application/json")], "");
    assert!(brevo.violations(&unversioned).is_empty(), "{:?}", brevo.violations(&unversioned));
    let wrong_path = seen("GET", "/v3/accounts", &[("api-key", "x"), ("accept", "application/json")], "");
    assert!(!brevo.violations(&wrong_path).is_empty(), "an undocumented path is caught");
    // Constant Contact: an OAuth token, sent as a bearer token.
    let cc = Spec::load("constantcontact_openapi.yaml.gz");
    let no_token = seen("GET", "/v3/account/summary", &[("accept", "application/json")], "");
    assert!(!cc.violations(&no_token).is_empty(), "a missing token is caught");
    let bad_field = seen(
        "GET",
        "/v3/account/summary?extra_fields=logo",
        &[("authorization", "Bearer x"), ("accept", "application/json")],
        "",
    );
    assert!(!cc.violations(&bad_field).is_empty(), "a value outside the enum is caught");
    // AWS: a wrong version, a missing member, a wrong signature.
    let sts = AwsModel::load("aws_sts_service-2.json.gz");
    let form = [("content-type", "application/x-www-form-urlencoded; charset=utf-8")];
    let old_version = seen("POST", "/", &form, "Action=GetCallerIdentity&Version=2010-05-08");
    let said = sts.violations(&old_version, "secret");
    assert!(
        said.iter().any(|v| v.contains("Version")) && said.iter().any(|v| v.contains("signature")),
        "{said:?}"
    );
    let iam = AwsModel::load("aws_iam_service-2.json.gz");
    let no_key = seen("POST", "/", &form, "Action=GetAccessKeyLastUsed&Version=2010-05-08");
    assert!(iam.violations(&no_key, "secret").iter().any(|v| v.contains("AccessKeyId")));
    let unknown = seen("POST", "/", &form, "Action=DeleteAccessKey&Version=2010-05-08&Bogus=1");
    assert!(!iam.violations(&unknown, "secret").is_empty());
}
