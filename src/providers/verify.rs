//! Verify: one authenticated request to the provider's cheapest endpoint, and what its answer
//! means for the user (works / unauthorized / connection problem / rate limited / trouble).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use ureq::http::Method;

use super::catalogue::{Auth, Provider};
use super::http::{Client, NetError, Request, Response, check_base_url};
use super::sigv4;
use crate::vault::keygen;
use crate::vault::model::VerifyOutcome;

/// The `revision` header Klaviyo requires: the API version Keydesk's requests follow (Klaviyo
/// retires a revision two years after it ships; a test fails when this one is 18 months old).
pub const KLAVIYO_REVISION: &str = "2026-07-15";

/// What Keydesk knows about a key beyond its provider, which changes how an answer reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyFacts {
    /// A key that may only send mail (a Mailgun domain sending key): the API refuses it every
    /// other call, so a refusal says nothing about whether it works.
    pub sending_only: bool,
}

impl KeyFacts {
    /// What a key's recorded scopes say.
    pub fn from_scopes(scopes: &[String]) -> Self {
        KeyFacts { sending_only: scopes.iter().any(|s| s == "role:sending" || s.starts_with("domain:")) }
    }
}

/// Why a key cannot be verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("{provider} keys have no endpoint to check them against: Keydesk can only keep them.")]
    NoEndpoint { provider: Provider },
    #[error("{0}")]
    Url(#[from] NetError),
    #[error(
        "This {provider} key is stored without its pair: keep it as \"{first}:{second}\" (one line, joined by a colon) so Keydesk can check it."
    )]
    NeedsPair { provider: Provider, first: &'static str, second: &'static str },
    #[error(
        "The {provider} address needs a data centre such as \"us6\": it is read from the end of the key or set on the account."
    )]
    NoDataCentre { provider: Provider },
}

/// Where a provider's API is for an account or key: the override, else the region's URL,
/// else the default. Mailchimp's data centre fills `{dc}`.
pub fn base_url(
    provider: Provider,
    override_url: Option<&str>,
    region: Option<&str>,
) -> Result<String, VerifyError> {
    let info = provider.info();
    let url = match override_url.filter(|u| !u.trim().is_empty()) {
        Some(url) => url.trim().trim_end_matches('/').to_owned(),
        None => {
            let regional =
                region.and_then(|r| info.regions.iter().find(|(name, _)| name.eq_ignore_ascii_case(r)));
            match regional {
                Some((_, url)) => (*url).to_owned(),
                None if info.base_url.contains("{dc}") => {
                    let dc = region.filter(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_alphanumeric()));
                    let dc = dc.ok_or(VerifyError::NoDataCentre { provider })?;
                    info.base_url.replace("{dc}", dc)
                }
                None => info.base_url.to_owned(),
            }
        }
    };
    if url.is_empty() {
        return Err(VerifyError::NoEndpoint { provider });
    }
    check_base_url(&url)?;
    Ok(url)
}

/// Adds the provider's authentication for `secret` to `request`.
pub fn authenticate(
    provider: Provider,
    request: Request,
    secret: &SecretString,
    now: DateTime<Utc>,
) -> Result<Request, VerifyError> {
    let key = secret.expose_secret();
    Ok(match provider.info().auth {
        Auth::Bearer => request.header("authorization", format!("Bearer {key}")),
        Auth::BasicKeyAsPassword(user) => {
            let user = user.unwrap_or("keydesk");
            request.header("authorization", format!("Basic {}", B64.encode(format!("{user}:{key}"))))
        }
        Auth::Header(name) => request.header(name, key),
        Auth::HeaderWithPrefix(name, prefix) => request.header(name, format!("{prefix} {key}")),
        Auth::ClientCredentials => {
            let Some((id, secret_key)) = key.split_once(':') else {
                return Err(VerifyError::NeedsPair { provider, first: "API ID", second: "API secret" });
            };
            // The exchange answers with a token; Keydesk reads only the status and drops it.
            let body = serde_json::json!({
                "grant_type": "client_credentials", "client_id": id, "client_secret": secret_key
            });
            request.body("application/json", body.to_string().into_bytes())
        }
        Auth::HubSpotTokenInfo => {
            let body = serde_json::json!({ "tokenKey": key });
            request.body("application/json", body.to_string().into_bytes())
        }
        Auth::KlaviyoApiKey => request
            .header("authorization", format!("Klaviyo-API-Key {key}"))
            .header("revision", KLAVIYO_REVISION)
            .header("accept", "application/vnd.api+json"),
        Auth::BasicKeyPair => {
            if !key.contains(':') {
                return Err(VerifyError::NeedsPair { provider, first: "API key", second: "secret key" });
            }
            request.header("authorization", format!("Basic {}", B64.encode(key)))
        }
        Auth::AwsSigV4 => {
            let Some((id, secret_key)) = key.split_once(':') else {
                return Err(VerifyError::NeedsPair {
                    provider,
                    first: "access key id",
                    second: "secret access key",
                });
            };
            // STS answers XML (its query protocol); the header is not signed.
            sigv4::sign_sts(request, id, secret_key, now).header("accept", "text/xml")
        }
        Auth::Offline => return Err(VerifyError::NoEndpoint { provider }),
    })
}

/// A verify's outcome and the HTTP status it was read from (none: no answer, or offline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub outcome: VerifyOutcome,
    pub status: Option<u16>,
}

/// Checks a key at its provider. Keydesk's own keys are checked offline (their checksum).
pub fn verify(
    client: &Client,
    provider: Provider,
    base_url: &str,
    secret: &SecretString,
    now: DateTime<Utc>,
    facts: KeyFacts,
) -> Result<VerifyOutcome, VerifyError> {
    verify_checked(client, provider, base_url, secret, now, facts).map(|checked| checked.outcome)
}

/// [`verify`], with the HTTP status of the answer.
pub fn verify_checked(
    client: &Client,
    provider: Provider,
    base_url: &str,
    secret: &SecretString,
    now: DateTime<Utc>,
    facts: KeyFacts,
) -> Result<Checked, VerifyError> {
    if provider == Provider::Keydesk {
        let outcome = match keygen::verify_checksum(secret.expose_secret()) {
            Ok(()) => VerifyOutcome::ChecksumOk,
            Err(_bad_checksum) => VerifyOutcome::Unauthorized,
        };
        return Ok(Checked { outcome, status: None });
    }
    if provider == Provider::Postmark {
        return postmark(client, base_url, secret);
    }
    let Some((method, path)) = provider.info().verify else {
        return Err(VerifyError::NoEndpoint { provider });
    };
    let method = if method == "POST" { Method::POST } else { Method::GET };
    let mut request = Request::new(method, format!("{base_url}{path}"));
    if provider == Provider::AmazonSes {
        request = request.body(sigv4::FORM, sigv4::STS_BODY.as_bytes().to_vec());
    }
    let request = authenticate(provider, request, secret, now)?;
    send(client, request, |response| outcome(provider, response, facts))
}

/// Sends `request` and reads its answer with `read`; a request that got no answer is a
/// connection problem, never a verdict on the key.
fn send(
    client: &Client,
    request: Request,
    read: impl FnOnce(&Response) -> VerifyOutcome,
) -> Result<Checked, VerifyError> {
    match client.send(request) {
        Ok(response) => Ok(Checked { outcome: read(&response), status: Some(response.status) }),
        Err(NetError::Unreachable { host, cause, kind }) => Ok(Checked {
            outcome: VerifyOutcome::ConnectionProblem { cause: format!("{host} ({cause})"), kind },
            status: None,
        }),
        Err(error) => Err(error.into()),
    }
}

/// Postmark has two kinds of token that look alike: an account token works on `/servers`, a
/// server token on `/server`. The account endpoint is asked first; the kind found is said.
fn postmark(client: &Client, base_url: &str, secret: &SecretString) -> Result<Checked, VerifyError> {
    let key = secret.expose_secret();
    let as_account = Request::new(Method::GET, format!("{base_url}/servers?count=1&offset=0"))
        .header("X-Postmark-Account-Token", key);
    let account =
        send(client, as_account, |response| outcome(Provider::Postmark, response, KeyFacts::default()))?;
    match account.outcome {
        VerifyOutcome::Works { .. } => {
            let outcome = VerifyOutcome::Works { scopes: Vec::new(), note: Some("an account token".into()) };
            return Ok(Checked { outcome, ..account });
        }
        VerifyOutcome::Unauthorized => {}
        _ => return Ok(account),
    }
    let as_server =
        Request::new(Method::GET, format!("{base_url}/server")).header("X-Postmark-Server-Token", key);
    send(client, as_server, |response| match outcome(Provider::Postmark, response, KeyFacts::default()) {
        VerifyOutcome::Works { .. } => {
            VerifyOutcome::Works { scopes: Vec::new(), note: Some("a server token".into()) }
        }
        other => other,
    })
}

/// Maps an answer to what the user sees.
pub fn outcome(provider: Provider, response: &Response, facts: KeyFacts) -> VerifyOutcome {
    match response.status {
        200..=299 => VerifyOutcome::Works { scopes: scopes(provider, &response.body), note: None },
        401 | 403 if facts.sending_only => VerifyOutcome::CannotCheck {
            why: format!(
                "this {} key may only send mail, and the API refuses it every other call",
                provider.name()
            ),
        },
        401 => VerifyOutcome::Unauthorized,
        // STS's GetCallerIdentity needs no permission: AWS answers a key it does not know
        // (deleted, inactive) or a wrong secret with 403 and says which.
        403 if provider == Provider::AmazonSes && sigv4::refuses_the_key(&response.body) => {
            VerifyOutcome::Unauthorized
        }
        // Klaviyo documents 400 for a private key that is malformed; HubSpot's token-info
        // call answers an unknown token with 400 or 404.
        400 if provider == Provider::Klaviyo => VerifyOutcome::Unauthorized,
        400 | 404 if provider == Provider::HubSpot => VerifyOutcome::Unauthorized,
        403 => VerifyOutcome::LacksPermission { detail: permission_needed(provider) },
        429 => VerifyOutcome::RateLimited { retry_after_secs: response.retry_after_secs },
        status => VerifyOutcome::ProviderTrouble { status },
    }
}

/// The permission the verify call needs, where the provider documents one.
fn permission_needed(provider: Provider) -> String {
    match provider {
        Provider::Klaviyo => {
            "the key may not read the account (it lacks the accounts:read scope Keydesk checks with)".into()
        }
        Provider::Mailgun => {
            "the key may not list domains (its role is narrower than Keydesk's check needs)".into()
        }
        _ => String::new(),
    }
}

/// The scopes an answer lists (SendGrid's `/v3/scopes`); anything else, or a body that does
/// not parse, lists none.
fn scopes(provider: Provider, body: &str) -> Vec<String> {
    if !matches!(provider, Provider::SendGrid | Provider::HubSpot) {
        return Vec::new();
    }
    let Ok(value) = serde_json::from_str::<serde_json::Value>(body) else { return Vec::new() };
    value["scopes"]
        .as_array()
        .map(|list| list.iter().filter_map(|s| s.as_str().map(str::to_owned)).take(500).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_by_region_and_override() {
        assert_eq!(base_url(Provider::SendGrid, None, None).unwrap(), "https://api.sendgrid.com");
        assert_eq!(base_url(Provider::SendGrid, None, Some("eu")).unwrap(), "https://api.eu.sendgrid.com");
        assert_eq!(base_url(Provider::Mailgun, None, Some("EU")).unwrap(), "https://api.eu.mailgun.net");
        assert_eq!(
            base_url(Provider::Mailchimp, None, Some("us6")).unwrap(),
            "https://us6.api.mailchimp.com"
        );
        assert!(matches!(base_url(Provider::Mailchimp, None, None), Err(VerifyError::NoDataCentre { .. })));
        assert!(matches!(
            base_url(Provider::Mailchimp, None, Some("us6.evil.com/")),
            Err(VerifyError::NoDataCentre { .. })
        ));
        assert_eq!(
            base_url(Provider::Brevo, Some("http://127.0.0.1:9/"), None).unwrap(),
            "http://127.0.0.1:9"
        );
        assert!(base_url(Provider::Brevo, Some("http://example.com"), None).is_err());
        assert!(matches!(base_url(Provider::Other, None, None), Err(VerifyError::NoEndpoint { .. })));
    }

    #[test]
    fn the_klaviyo_revision_is_current() {
        // Klaviyo retires a revision two years after its release: move on well before.
        let revision = chrono::NaiveDate::parse_from_str(KLAVIYO_REVISION, "%Y-%m-%d").unwrap();
        let age = crate::vault::Clock::now(&crate::vault::SystemClock).date_naive() - revision;
        assert!(
            age.num_days() < 548,
            "the Klaviyo revision {KLAVIYO_REVISION} is over 18 months old: move to a current one"
        );
    }

    #[test]
    fn answers_map_to_outcomes() {
        let answer = |status, body: &str| Response {
            status,
            retry_after_secs: Some(7),
            body: zeroize::Zeroizing::new(body.to_owned()),
        };
        let plain = KeyFacts::default();
        let works =
            outcome(Provider::SendGrid, &answer(200, r#"{"scopes":["mail.send","stats.read"]}"#), plain);
        assert_eq!(
            works,
            VerifyOutcome::Works { scopes: vec!["mail.send".into(), "stats.read".into()], note: None }
        );
        assert_eq!(
            outcome(Provider::SendGrid, &answer(200, "{not json"), plain),
            VerifyOutcome::Works { scopes: vec![], note: None }
        );
        assert_eq!(
            outcome(Provider::SendGrid, &answer(200, r#"{"scopes":7}"#), plain),
            VerifyOutcome::Works { scopes: vec![], note: None }
        );
        assert_eq!(outcome(Provider::Brevo, &answer(401, ""), plain), VerifyOutcome::Unauthorized);
        assert!(matches!(
            outcome(Provider::Brevo, &answer(403, ""), plain),
            VerifyOutcome::LacksPermission { .. }
        ));
        assert!(
            !outcome(Provider::Klaviyo, &answer(403, ""), plain).refused(),
            "403 is never proof of a revoke"
        );
        assert_eq!(outcome(Provider::Klaviyo, &answer(400, ""), plain), VerifyOutcome::Unauthorized);
        let sts_refusal = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>1</RequestId></ErrorResponse>";
        assert_eq!(
            outcome(Provider::AmazonSes, &answer(403, sts_refusal), plain),
            VerifyOutcome::Unauthorized
        );
        assert!(
            !outcome(
                Provider::AmazonSes,
                &answer(403, "<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>"),
                plain
            )
            .refused(),
            "another 403 is no proof"
        );
        let sending = KeyFacts { sending_only: true };
        assert!(matches!(
            outcome(Provider::Mailgun, &answer(401, ""), sending),
            VerifyOutcome::CannotCheck { .. }
        ));
        assert!(!outcome(Provider::Mailgun, &answer(403, ""), sending).refused());
        assert_eq!(
            outcome(Provider::Brevo, &answer(429, ""), plain),
            VerifyOutcome::RateLimited { retry_after_secs: Some(7) }
        );
        assert_eq!(
            outcome(Provider::Brevo, &answer(503, ""), plain),
            VerifyOutcome::ProviderTrouble { status: 503 }
        );
        assert_eq!(
            outcome(Provider::Brevo, &answer(404, ""), plain),
            VerifyOutcome::ProviderTrouble { status: 404 }
        );
    }

    proptest::proptest! {
        #[test]
        fn any_answer_maps_without_panic(status in 100u16..600, body in "\\PC{0,200}") {
            let response = Response { status, retry_after_secs: None, body: zeroize::Zeroizing::new(body) };
            for provider in Provider::all() {
                let _outcome = outcome(provider, &response, KeyFacts::default());
                let _outcome = outcome(provider, &response, KeyFacts { sending_only: true });
            }
        }
    }
}
