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

/// The `revision` header Klaviyo requires (a documented API version date).
pub const KLAVIYO_REVISION: &str = "2024-10-15";

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
            sigv4::sign_sts(request, id, secret_key, now)
        }
        Auth::Offline => return Err(VerifyError::NoEndpoint { provider }),
    })
}

/// Checks a key at its provider. Keydesk's own keys are checked offline (their checksum).
pub fn verify(
    client: &Client,
    provider: Provider,
    base_url: &str,
    secret: &SecretString,
    now: DateTime<Utc>,
) -> Result<VerifyOutcome, VerifyError> {
    if provider == Provider::Keydesk {
        return Ok(match keygen::verify_checksum(secret.expose_secret()) {
            Ok(()) => VerifyOutcome::ChecksumOk,
            Err(_) => VerifyOutcome::Unauthorized,
        });
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
    Ok(match client.send(request) {
        Ok(response) => outcome(provider, &response),
        Err(NetError::Unreachable { host, cause }) => {
            VerifyOutcome::ConnectionProblem { cause: format!("could not reach {host} ({cause})") }
        }
        Err(error) => return Err(error.into()),
    })
}

/// Maps an answer to what the user sees, as PROVIDERS.md says.
pub fn outcome(provider: Provider, response: &Response) -> VerifyOutcome {
    match response.status {
        200..=299 => VerifyOutcome::Works { scopes: scopes(provider, &response.body) },
        401 | 403 => VerifyOutcome::Unauthorized,
        429 => VerifyOutcome::RateLimited { retry_after_secs: response.retry_after_secs },
        status => VerifyOutcome::ProviderTrouble { status },
    }
}

/// The scopes an answer lists (SendGrid's `/v3/scopes`); anything else, or a body that does
/// not parse, lists none.
fn scopes(provider: Provider, body: &str) -> Vec<String> {
    if provider != Provider::SendGrid {
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
    fn answers_map_to_outcomes() {
        let answer = |status, body: &str| Response {
            status,
            retry_after_secs: Some(7),
            body: zeroize::Zeroizing::new(body.to_owned()),
        };
        let works = outcome(Provider::SendGrid, &answer(200, r#"{"scopes":["mail.send","stats.read"]}"#));
        assert_eq!(works, VerifyOutcome::Works { scopes: vec!["mail.send".into(), "stats.read".into()] });
        assert_eq!(
            outcome(Provider::SendGrid, &answer(200, "{not json")),
            VerifyOutcome::Works { scopes: vec![] }
        );
        assert_eq!(
            outcome(Provider::SendGrid, &answer(200, r#"{"scopes":7}"#)),
            VerifyOutcome::Works { scopes: vec![] }
        );
        assert_eq!(outcome(Provider::Brevo, &answer(401, "")), VerifyOutcome::Unauthorized);
        assert_eq!(outcome(Provider::Brevo, &answer(403, "")), VerifyOutcome::Unauthorized);
        assert_eq!(
            outcome(Provider::Brevo, &answer(429, "")),
            VerifyOutcome::RateLimited { retry_after_secs: Some(7) }
        );
        assert_eq!(
            outcome(Provider::Brevo, &answer(503, "")),
            VerifyOutcome::ProviderTrouble { status: 503 }
        );
        assert_eq!(
            outcome(Provider::Brevo, &answer(404, "")),
            VerifyOutcome::ProviderTrouble { status: 404 }
        );
    }

    proptest::proptest! {
        #[test]
        fn any_answer_maps_without_panic(status in 100u16..600, body in "\\PC{0,200}") {
            let response = Response { status, retry_after_secs: None, body: zeroize::Zeroizing::new(body) };
            for provider in Provider::all() {
                let _ = outcome(provider, &response);
            }
        }
    }
}
