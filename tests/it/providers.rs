//! Providers over real HTTP against local servers on 127.0.0.1 that check each request as
//! the provider's documentation describes it and answer with its documented shapes.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]
#![allow(
    clippy::disallowed_methods,
    reason = "tests and tools read the real clock and start their own threads"
)]

use crate::common;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::Utc;
use common::mock::{Mock, Reply, Seen, closed_port_url};
use common::{ALNUM, HEX, random_chars};
use keydesk::providers::NetKind;
use keydesk::providers::Provider;
use keydesk::providers::http::{Client, HttpConfig};
use keydesk::providers::verify::{KLAVIYO_REVISION, KeyFacts, verify};
use keydesk::vault::model::VerifyOutcome;
use secrecy::SecretString;

/// One provider's documented verify call: a sample key, the request it must make, and the
/// body of a 200 answer.
struct Case {
    provider: Provider,
    key: String,
    method: &'static str,
    path: &'static str,
    auth: fn(&Seen, &str) -> bool,
    ok_body: &'static str,
}

fn basic(user_and_key: &str) -> String {
    format!("Basic {}", B64.encode(user_and_key))
}

fn cases() -> Vec<Case> {
    let b32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    vec![
        Case {
            provider: Provider::SendGrid,
            key: format!("SG.{}.{}", random_chars(ALNUM, 22), random_chars(ALNUM, 43)),
            method: "GET",
            path: "/v3/scopes",
            auth: |s, k| s.header("authorization") == Some(&format!("Bearer {k}")),
            ok_body: r#"{"scopes":["mail.send","stats.read"]}"#,
        },
        Case {
            provider: Provider::Mailchimp,
            key: format!("{}-us6", random_chars(HEX, 32)),
            method: "GET",
            path: "/3.0/ping",
            // Its published OpenAPI document: a bearer token (tests/provider_contract.rs).
            auth: |s, k| s.header("authorization") == Some(&format!("Bearer {k}")),
            ok_body: r#"{"health_status":"Everything's Chimpy!"}"#,
        },
        Case {
            provider: Provider::Brevo,
            key: format!("xkeysib-{}-{}", random_chars(HEX, 64), random_chars(ALNUM, 16)),
            method: "GET",
            path: "/v3/account",
            auth: |s, k| s.header("api-key") == Some(k),
            ok_body: r#"{"email":"ops@example.com","companyName":"Example","plan":[{"type":"free"}]}"#,
        },
        Case {
            provider: Provider::Mailgun,
            key: format!("key-{}", random_chars(HEX, 32)),
            method: "GET",
            path: "/v4/domains?limit=1",
            auth: |s, k| s.header("authorization") == Some(&basic(&format!("api:{k}"))),
            ok_body: r#"{"total_count":1,"items":[{"name":"mg.example.com","state":"active"}]}"#,
        },
        Case {
            provider: Provider::Klaviyo,
            key: format!("pk_{}", random_chars(HEX, 34)),
            method: "GET",
            path: "/api/accounts",
            auth: |s, k| {
                s.header("authorization") == Some(&format!("Klaviyo-API-Key {k}"))
                    && s.header("revision") == Some(KLAVIYO_REVISION)
            },
            ok_body: r#"{"data":[{"type":"account","id":"AbC123"}]}"#,
        },
        Case {
            provider: Provider::Kit,
            key: format!("kit_{}", random_chars(ALNUM, 32)),
            method: "GET",
            path: "/v4/account",
            auth: |s, k| s.header("x-kit-api-key") == Some(k),
            ok_body: r#"{"user":{"email":"ops@example.com"},"account":{"name":"Example"}}"#,
        },
        Case {
            provider: Provider::MailerLite,
            key: random_chars(ALNUM, 80),
            method: "GET",
            path: "/api/subscribers?limit=1",
            auth: |s, k| s.header("authorization") == Some(&format!("Bearer {k}")),
            ok_body: r#"{"data":[],"links":{},"meta":{"per_page":1}}"#,
        },
        Case {
            provider: Provider::Mailjet,
            key: format!("{}:{}", random_chars(HEX, 32), random_chars(HEX, 32)),
            method: "GET",
            path: "/v3/REST/apikey",
            auth: |s, k| s.header("authorization") == Some(&basic(k)),
            ok_body: r#"{"Count":1,"Data":[{"IsActive":true}],"Total":1}"#,
        },
        Case {
            provider: Provider::AmazonSes,
            key: format!("AKIA{}:{}", random_chars(b32, 16), random_chars(ALNUM, 40)),
            method: "POST",
            path: "/",
            auth: |s, k| {
                let id = k.split(':').next().unwrap();
                let auth = s.header("authorization").unwrap_or("");
                auth.starts_with(&format!("AWS4-HMAC-SHA256 Credential={id}/"))
                    && auth.contains(
                        "/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=",
                    )
                    && s.header("x-amz-date").is_some()
                    && s.body == "Action=GetCallerIdentity&Version=2011-06-15"
                    && !auth.contains(k.split(':').nth(1).unwrap())
            },
            ok_body: "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::1:user/x</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>",
        },
        Case {
            provider: Provider::ElasticEmail,
            key: random_chars(&HEX.to_uppercase(), 96),
            method: "GET",
            path: "/v4/domains",
            auth: |s, k| s.header("x-elasticemail-apikey") == Some(k),
            ok_body: r#"[{"Domain":"example.com","DefaultDomain":true}]"#,
        },
        Case {
            provider: Provider::GetResponse,
            key: random_chars("abcdefghijklmnopqrstuvwxyz0123456789", 32),
            method: "GET",
            path: "/v3/accounts",
            auth: |s, k| s.header("x-auth-token") == Some(&format!("api-key {k}")),
            ok_body: r#"{"accountId":"AbC","email":"ops@example.com","countryCode":{"countryCode":"DE"}}"#,
        },
        Case {
            provider: Provider::SendPulse,
            key: format!("{}:{}", random_chars(HEX, 32), random_chars(HEX, 32)),
            method: "POST",
            path: "/oauth/access_token",
            auth: |s, k| {
                let (id, secret) = k.split_once(':').unwrap();
                let body: serde_json::Value = serde_json::from_str(&s.body).unwrap_or_default();
                s.header("content-type") == Some("application/json")
                    && body
                        == serde_json::json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret})
                    && s.header("authorization").is_none()
            },
            ok_body: r#"{"access_token":"eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.not-kept","token_type":"Bearer","expires_in":3600}"#,
        },
        Case {
            provider: Provider::HubSpot,
            key: format!("pat-na1-{}", common::uuid_like().to_lowercase()),
            method: "POST",
            path: "/oauth/v2/private-apps/get/access-token-info",
            auth: |s, k| {
                let body: serde_json::Value = serde_json::from_str(&s.body).unwrap_or_default();
                s.header("content-type") == Some("application/json")
                    && body == serde_json::json!({"tokenKey": k})
            },
            ok_body: r#"{"userId":1,"hubId":2,"appId":3,"scopes":["crm.objects.contacts.read","oauth"]}"#,
        },
        Case {
            provider: Provider::ConstantContact,
            key: format!(
                "eyJ{}.{}.{}",
                random_chars(ALNUM, 30),
                random_chars(ALNUM, 200),
                random_chars(ALNUM, 40)
            ),
            method: "GET",
            path: "/v3/account/summary",
            auth: |s, k| s.header("authorization") == Some(&format!("Bearer {k}")),
            ok_body: r#"{"contact_email":"ops@example.com","organization_name":"Example"}"#,
        },
    ]
}

fn fast_client() -> Client {
    Client::new(HttpConfig {
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_millis(800),
        retries: 2,
        backoff: Duration::ZERO,
        max_wait: Duration::ZERO,
    })
}

/// A server that checks the request shape, then answers with `reply` (a malformed request
/// gets a 400, which no test expects).
fn provider_server(case: &Case, reply: fn(&Case) -> Reply) -> Mock {
    let (method, path, auth, key) = (case.method, case.path, case.auth, case.key.clone());
    let answer = reply(case);
    let answer = std::sync::Mutex::new(Some(answer));
    let provider = case.provider;
    Mock::start(move |seen| {
        if seen.method != method
            || seen.url != path
            || !auth(seen, &key)
            || !headers_as_documented(provider, seen)
        {
            return Reply::json(400, r#"{"errors":[{"message":"request not as documented"}]}"#);
        }
        answer.lock().unwrap().take().unwrap_or(Reply::status(500))
    })
}

/// What every request must carry besides its auth: the answer type the provider sends (JSON,
/// Klaviyo's JSON:API, AWS's XML), and no body headers on a request without a body.
fn headers_as_documented(provider: Provider, seen: &Seen) -> bool {
    let accept = match provider {
        Provider::Klaviyo => "application/vnd.api+json",
        Provider::AmazonSes => "text/xml",
        _ => "application/json",
    };
    let bodyless = seen.body.is_empty()
        && seen.header("content-length").is_none_or(|l| l != "0")
        && seen.header("content-type").is_none();
    seen.header("accept") == Some(accept) && (seen.method == "POST" || bodyless)
}

fn run(case: &Case, server: &Mock) -> VerifyOutcome {
    verify(
        &fast_client(),
        case.provider,
        &server.url,
        &SecretString::from(case.key.as_str()),
        Utc::now(),
        KeyFacts::default(),
    )
    .unwrap()
}

/// An answer, what it must mean, and its name.
type Row = (fn(&Case) -> Reply, fn(&VerifyOutcome) -> bool, &'static str);

#[test]
fn every_provider_verifies_through_its_documented_call() {
    let table: [Row; 6] = [
        (|c| Reply::json(200, c.ok_body), |o| matches!(o, VerifyOutcome::Works { .. }), "works"),
        (
            |_| Reply::json(401, r#"{"errors":[{"message":"unauthorized"}]}"#),
            |o| *o == VerifyOutcome::Unauthorized,
            "401",
        ),
        (
            |_| Reply::json(403, r#"{"message":"forbidden"}"#),
            |o| matches!(o, VerifyOutcome::LacksPermission { .. }),
            "403",
        ),
        (
            |_| Reply::json(429, r#"{"message":"too many requests"}"#).with_header("Retry-After", "30"),
            |o| *o == VerifyOutcome::RateLimited { retry_after_secs: Some(30) },
            "429",
        ),
        (|_| Reply::status(503), |o| *o == VerifyOutcome::ProviderTrouble { status: 503 }, "503"),
        (
            |_| Reply::json(200, "{\"scopes\": [tr"),
            |o| matches!(o, VerifyOutcome::Works { .. }),
            "malformed 200",
        ),
    ];
    for case in cases() {
        for (reply, expected, name) in &table {
            let server = provider_server(&case, *reply);
            let outcome = run(&case, &server);
            assert!(expected(&outcome), "{} {name}: got {outcome:?}", case.provider);
            assert_eq!(server.seen().len(), 1, "{} {name}: exactly one request", case.provider);
            let sentence = outcome.sentence();
            assert!(!sentence.contains(&case.key), "the key reached the outcome text");
        }
    }
}

#[test]
fn hubspot_scopes_are_read_and_unknown_tokens_refused() {
    let case = cases().into_iter().find(|c| c.provider == Provider::HubSpot).unwrap();
    let server = provider_server(&case, |c| Reply::json(200, c.ok_body));
    assert_eq!(
        run(&case, &server),
        VerifyOutcome::Works { scopes: vec!["crm.objects.contacts.read".into(), "oauth".into()], note: None }
    );
    for status in [400, 404] {
        let server = provider_server(
            &case,
            if status == 400 {
                |_: &Case| Reply::json(400, r#"{"status":"error","message":"Token not found"}"#)
            } else {
                |_: &Case| Reply::json(404, r#"{"status":"error","message":"Token not found"}"#)
            },
        );
        assert_eq!(run(&case, &server), VerifyOutcome::Unauthorized, "{status}");
    }
}

#[test]
fn postmark_tokens_of_both_kinds_are_checked_and_named() {
    let account = common::uuid_like();
    let server = common::uuid_like();
    let (a, s) = (account.clone(), server.clone());
    let postmark = Mock::start(move |seen| {
        let accept_ok = seen.header("accept") == Some("application/json");
        match (
            seen.url.as_str(),
            seen.header("x-postmark-account-token"),
            seen.header("x-postmark-server-token"),
        ) {
            ("/servers?count=1&offset=0", Some(token), None) if token == a && accept_ok => {
                Reply::json(200, r#"{"TotalCount":1,"Servers":[{"ID":1,"Name":"Production"}]}"#)
            }
            ("/server", None, Some(token)) if token == s && accept_ok => {
                Reply::json(200, r#"{"ID":1,"Name":"Production","ApiTokens":["not-logged"]}"#)
            }
            // Postmark answers a wrong token with 401 and ErrorCode 10.
            _ => Reply::json(
                401,
                r#"{"ErrorCode":10,"Message":"No Account or Server API tokens were supplied"}"#,
            ),
        }
    });
    let check = |key: &str| {
        verify(
            &fast_client(),
            Provider::Postmark,
            &postmark.url,
            &SecretString::from(key),
            Utc::now(),
            KeyFacts::default(),
        )
        .unwrap()
    };
    assert_eq!(
        check(&account),
        VerifyOutcome::Works { scopes: vec![], note: Some("an account token".into()) }
    );
    assert_eq!(check(&server), VerifyOutcome::Works { scopes: vec![], note: Some("a server token".into()) });
    assert_eq!(check(&common::uuid_like()), VerifyOutcome::Unauthorized);
    assert!(check(&account).sentence().contains("account token"));
}

#[test]
fn sendgrid_scopes_are_read_from_the_answer() {
    let case = cases().remove(0);
    let server = provider_server(&case, |c| Reply::json(200, c.ok_body));
    assert_eq!(
        run(&case, &server),
        VerifyOutcome::Works { scopes: vec!["mail.send".into(), "stats.read".into()], note: None }
    );
}

#[test]
fn connection_refused_and_silence_are_connection_problems() {
    for case in cases() {
        let closed = closed_port_url();
        let outcome = verify(
            &fast_client(),
            case.provider,
            &closed,
            &SecretString::from(case.key.as_str()),
            Utc::now(),
            KeyFacts::default(),
        )
        .unwrap();
        match &outcome {
            VerifyOutcome::ConnectionProblem { cause, kind } => {
                assert!(cause.contains("127.0.0.1") && cause.contains("refused"), "{cause}");
                assert_eq!(*kind, NetKind::Refused);
            }
            other => panic!("{}: {other:?}", case.provider),
        }
        let sentence = outcome.sentence();
        assert!(
            sentence.starts_with("Keydesk couldn't reach 127.0.0.1 (connection refused): check"),
            "{sentence}"
        );
        assert!(sentence.ends_with("Nothing was changed."), "{sentence}");
    }
    // A server that never answers: the total timeout ends the wait.
    let case = cases().remove(2);
    let silent = Mock::start(|_| Reply::Hang);
    let outcome = run(&case, &silent);
    assert_eq!(
        outcome,
        VerifyOutcome::ConnectionProblem {
            cause: "127.0.0.1 (no answer in time)".into(),
            kind: NetKind::Timeout
        }
    );
}

#[test]
fn redirects_are_followed_only_to_the_same_host() {
    let case = cases().remove(2);
    let key = case.key.clone();
    let elsewhere = Mock::start(|_| Reply::json(200, "{}"));
    let target = format!("{}/v3/account", elsewhere.url);
    let redirecting = Mock::start(move |seen| match seen.url.as_str() {
        "/v3/account" => Reply::status(301).with_header("Location", &target),
        _ => Reply::status(500),
    });
    let outcome = run(&case, &redirecting);
    assert_eq!(outcome, VerifyOutcome::ProviderTrouble { status: 301 });
    assert!(elsewhere.seen().is_empty(), "the key was not sent to another host");

    let home = Mock::start(move |seen| match seen.url.as_str() {
        "/v3/account" => Reply::status(302).with_header("Location", "/v3/account-moved"),
        "/v3/account-moved" if seen.header("api-key") == Some(&key) => Reply::json(200, "{}"),
        _ => Reply::status(500),
    });
    assert!(matches!(run(&case, &home), VerifyOutcome::Works { .. }));
    assert_eq!(home.seen().len(), 2);
}

#[test]
fn keydesk_keys_are_checked_offline() {
    let key = keydesk::vault::keygen::generate(&Default::default(), &mut keydesk::vault::os_rng()).unwrap();
    let outcome =
        verify(&fast_client(), Provider::Keydesk, "", &key, Utc::now(), KeyFacts::default()).unwrap();
    assert_eq!(outcome, VerifyOutcome::ChecksumOk);
    assert!(verify(&fast_client(), Provider::Other, "", &key, Utc::now(), KeyFacts::default()).is_err());
}

#[test]
fn plain_http_to_another_host_is_refused_before_any_request() {
    let case = cases().remove(0);
    let result = verify(
        &fast_client(),
        case.provider,
        "http://example.com",
        &SecretString::from(case.key.as_str()),
        Utc::now(),
        KeyFacts::default(),
    );
    let error = result.unwrap_err().to_string();
    assert!(error.contains("plain http is allowed only for 127.0.0.1"), "{error}");
}

/// The whole suite runs in a network namespace with loopback only (scripts/test.sh), so no
/// request can leave 127.0.0.1. This checks that the namespace is in force.
#[test]
fn nothing_can_leave_this_machine_during_the_tests() {
    if std::env::var_os("KEYDESK_REQUIRE_OFFLINE").is_none_or(|v| v != "1") {
        eprintln!("skipped: run under scripts/test.sh, which isolates the network");
        return;
    }
    let devices = std::fs::read_to_string("/proc/self/net/dev").unwrap();
    let names: Vec<&str> =
        devices.lines().skip(2).filter_map(|l| l.split(':').next()).map(str::trim).collect();
    assert_eq!(names, ["lo"], "only loopback exists");
    let routes = std::fs::read_to_string("/proc/self/net/route").unwrap();
    assert_eq!(routes.lines().count(), 1, "no IPv4 route off this machine: {routes}");
    let v6 = std::fs::read_to_string("/proc/self/net/ipv6_route").unwrap_or_default();
    assert!(v6.lines().all(|l| l.trim_end().ends_with("lo")), "no IPv6 route off this machine: {v6}");
}
