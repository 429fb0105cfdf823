//! Usage at the provider: when a key was last used, for the providers whose API tells it.
//!
//! Of the platforms Keydesk knows, two document it (docs/providers.md lists all of them):
//! AWS IAM's `GetAccessKeyLastUsed` for Amazon SES access keys, and Elastic Email's
//! `GET /v4/security/apikeys/{name}` (`LastUse`). Everyone else's key API has no such field.

use chrono::{DateTime, NaiveDateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use ureq::http::Method;

use super::catalogue::{Provider, is_access_key_id};
use super::http::{Client, NetError, Request};
use super::manage::segment;
use super::sigv4;

/// AWS IAM's endpoint (a global service, signed for us-east-1).
pub const IAM_URL: &str = "https://iam.amazonaws.com";
/// IAM's API version the call follows.
const IAM_VERSION: &str = "2010-05-08";

/// Where a provider's answer comes from, in words, or `None` when its API does not tell.
pub fn source(provider: Provider) -> Option<&'static str> {
    match provider {
        Provider::AmazonSes => Some("AWS IAM GetAccessKeyLastUsed"),
        Provider::ElasticEmail => Some("Elastic Email's API-key list (LastUse)"),
        _ => None,
    }
}

/// What the provider said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastUse {
    /// When the key was last used; `None`: never, as far as the provider tracks it.
    pub at: Option<DateTime<Utc>>,
    /// Where or with what (AWS: region and service), when said.
    pub detail: Option<String>,
}

/// Why the provider could not tell. Sentences without secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    #[error("{provider}'s API does not tell when a key was last used: look at its own dashboard.")]
    NotTold { provider: Provider },
    #[error(
        "Keydesk needs the name this key has at {provider} to ask about it: type it as it appears on {page}."
    )]
    NeedsName { provider: Provider, page: &'static str },
    #[error("\"{name}\" is not a name {provider} accepts for a key: {why}.")]
    BadName { provider: Provider, name: String, why: &'static str },
    #[error("{provider} refused the key Keydesk asked with ({asked_with}): it is wrong or was revoked.")]
    Refused { provider: Provider, asked_with: String },
    #[error("The key Keydesk asked with ({asked_with}) may not read key usage at {provider}: {needs}.")]
    NoPermission { provider: Provider, asked_with: String, needs: &'static str },
    #[error("{provider} does not know this key (HTTP 404): {why}.")]
    Unknown { provider: Provider, why: &'static str },
    #[error("Keydesk couldn't reach {host} ({cause}): {advice}. Nothing was changed.")]
    Unreachable { host: String, cause: String, advice: &'static str },
    #[error("{0}")]
    Url(NetError),
    #[error("{provider} is rate limiting Keydesk: try again in a minute.")]
    RateLimited { provider: Provider },
    #[error("{provider} is having trouble (HTTP {status}): try again later.")]
    Trouble { provider: Provider, status: u16 },
    #[error("{provider} answered HTTP {status}, which Keydesk did not expect: try again later.")]
    Unexpected { provider: Provider, status: u16 },
    #[error(
        "{provider}'s answer was not in its documented form: Keydesk could not read when the key was last used."
    )]
    BadAnswer { provider: Provider },
    #[error(
        "The key Keydesk asks with ({asked_with}) is stored without its pair: keep it as \"access key id:secret access key\"."
    )]
    NeedsPair { asked_with: String },
    #[error(
        "Keydesk does not know this key's access key id (it was revoked before Keydesk kept the ids), so Amazon SES cannot be asked about it."
    )]
    NoAccessKeyId,
}

impl From<NetError> for UsageError {
    fn from(error: NetError) -> Self {
        match error {
            NetError::Unreachable { host, cause, kind } => {
                UsageError::Unreachable { host, cause, advice: kind.advice() }
            }
            bad @ NetError::BadUrl { .. } => UsageError::Url(bad),
        }
    }
}

/// The question: which key, asked with which credential (the key itself, or its account's
/// management key), where.
pub struct UsageQuery<'a> {
    pub provider: Provider,
    /// The provider's API address for the account (for Amazon SES, STS's: IAM's is derived).
    pub base_url: &'a str,
    /// The key's id at the provider: AWS's access key id, Elastic Email's key name.
    pub subject: &'a str,
    pub credential: &'a SecretString,
    /// "the key itself" or "the management key of <account>", for sentences.
    pub asked_with: &'a str,
    pub now: DateTime<Utc>,
}

/// Asks the provider when the key was last used.
pub fn last_used(client: &Client, query: &UsageQuery<'_>) -> Result<LastUse, UsageError> {
    match query.provider {
        Provider::AmazonSes => aws(client, query),
        Provider::ElasticEmail => elastic_email(client, query),
        provider => Err(UsageError::NotTold { provider }),
    }
}

/// IAM's address for an account whose STS address is `sts_base`: the real IAM for the real
/// STS; an account's own address (a local test server, a proxy) serves both calls.
pub fn iam_url(sts_base: &str) -> String {
    if sts_base == Provider::AmazonSes.info().base_url { IAM_URL.to_owned() } else { sts_base.to_owned() }
}

fn aws(client: &Client, query: &UsageQuery<'_>) -> Result<LastUse, UsageError> {
    let provider = Provider::AmazonSes;
    if !is_access_key_id(query.subject) {
        return Err(UsageError::BadName {
            provider,
            name: crate::vault::format::clip(query.subject, 40),
            why: "an access key id is 16 to 128 letters and digits",
        });
    }
    let Some((id, secret)) = query.credential.expose_secret().split_once(':') else {
        return Err(UsageError::NeedsPair { asked_with: query.asked_with.to_owned() });
    };
    let body = format!("Action=GetAccessKeyLastUsed&AccessKeyId={}&Version={IAM_VERSION}", query.subject);
    let url = format!("{}/", iam_url(query.base_url));
    let request = Request::new(Method::POST, url).body(sigv4::FORM, body.as_bytes().to_vec());
    let request = sigv4::sign_form(request, &body, "iam", id, secret, query.now).header("accept", "text/xml");
    let response = client.send(request)?;
    match response.status {
        200..=299 => read_iam(&response.body).ok_or(UsageError::BadAnswer { provider }),
        403 if sigv4::refuses_the_key(&response.body) => {
            Err(UsageError::Refused { provider, asked_with: query.asked_with.to_owned() })
        }
        403 => Err(UsageError::NoPermission {
            provider,
            asked_with: query.asked_with.to_owned(),
            needs: "its IAM policy needs iam:GetAccessKeyLastUsed on the key's user",
        }),
        404 => Err(UsageError::Unknown { provider, why: "the access key was deleted in IAM" }),
        status => Err(common_status(provider, status)),
    }
}

fn elastic_email(client: &Client, query: &UsageQuery<'_>) -> Result<LastUse, UsageError> {
    let provider = Provider::ElasticEmail;
    let name = query.subject.trim();
    if name.is_empty() {
        return Err(UsageError::NeedsName { provider, page: provider.info().keys_page });
    }
    if name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(UsageError::BadName {
            provider,
            name: crate::vault::format::clip(name, 40),
            why: "a key's name is one line of at most 200 characters",
        });
    }
    let url = format!("{}/v4/security/apikeys/{}", query.base_url, segment(name));
    let request = Request::new(Method::GET, url)
        .header("X-ElasticEmail-ApiKey", query.credential.expose_secret())
        .header("accept", "application/json");
    let response = client.send(request)?;
    match response.status {
        200..=299 => read_elastic_email(&response.body).ok_or(UsageError::BadAnswer { provider }),
        401 => Err(UsageError::Refused { provider, asked_with: query.asked_with.to_owned() }),
        403 => Err(UsageError::NoPermission {
            provider,
            asked_with: query.asked_with.to_owned(),
            needs: "it needs the ViewAccessTokens access level",
        }),
        404 => Err(UsageError::Unknown {
            provider,
            why: "no key has that name there — check the name on its API page, or the key was deleted",
        }),
        status => Err(common_status(provider, status)),
    }
}

fn common_status(provider: Provider, status: u16) -> UsageError {
    match status {
        429 => UsageError::RateLimited { provider },
        500..=599 => UsageError::Trouble { provider, status },
        status => UsageError::Unexpected { provider, status },
    }
}

/// Reads `GetAccessKeyLastUsedResponse`: `LastUsedDate` is absent and `Region` and
/// `ServiceName` are "N/A" for a key never used since IAM began tracking (22 April 2015).
pub fn read_iam(body: &str) -> Option<LastUse> {
    let document = roxmltree::Document::parse(body).ok()?;
    let root = document.root_element();
    if root.tag_name().name() != "GetAccessKeyLastUsedResponse" {
        return None;
    }
    let used = root.descendants().find(|n| n.has_tag_name("AccessKeyLastUsed"))?;
    let field = |name: &str| {
        used.children()
            .find(|n| n.has_tag_name(name))
            .and_then(|n| n.text())
            .map(str::trim)
            .filter(|t| !t.is_empty() && *t != "N/A")
    };
    let at = match field("LastUsedDate") {
        Some(text) => Some(parse_time(text)?),
        None => None,
    };
    let detail = match (field("Region"), field("ServiceName")) {
        (Some(region), Some(service)) => Some(format!("{} in {}", clean(service), clean(region))),
        (Some(one), None) | (None, Some(one)) => Some(clean(one)),
        (None, None) => None,
    };
    Some(LastUse { at, detail: at.and(detail) })
}

/// Reads Elastic Email's `ApiKey` (`LastUse` null or absent: never used).
pub fn read_elastic_email(body: &str) -> Option<LastUse> {
    let value: Value = serde_json::from_str(body).ok()?;
    let object = value.as_object()?;
    let at = match object.get("LastUse") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(parse_time(text)?),
        Some(_) => return None,
    };
    Some(LastUse { at, detail: None })
}

/// An ISO 8601 time: with an offset, or without one (read as UTC).
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .ok()
        .or_else(|| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|t| t.and_utc()))
}

/// A provider's word, clipped and stripped to printable text.
fn clean(text: &str) -> String {
    let printable: String = text.chars().filter(|c| !c.is_control()).collect();
    crate::vault::format::clip(&printable, 40)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented sample answer of GetAccessKeyLastUsed.
    const IAM_SAMPLE: &str = r#"<GetAccessKeyLastUsedResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <GetAccessKeyLastUsedResult>
    <AccessKeyLastUsed>
      <Region>us-west-2</Region>
      <LastUsedDate>2015-03-13T10:45:00Z</LastUsedDate>
      <ServiceName>s3</ServiceName>
    </AccessKeyLastUsed>
    <UserName>bob</UserName>
  </GetAccessKeyLastUsedResult>
  <ResponseMetadata>
    <RequestId>510a6abf-d022-11e4-abe8-9b0ebEXAMPLE</RequestId>
  </ResponseMetadata>
</GetAccessKeyLastUsedResponse>"#;

    #[test]
    fn iam_answers_are_read() {
        let used = read_iam(IAM_SAMPLE).unwrap();
        assert_eq!(used.at.unwrap().to_rfc3339(), "2015-03-13T10:45:00+00:00");
        assert_eq!(used.detail.as_deref(), Some("s3 in us-west-2"));
        let never = IAM_SAMPLE
            .replace("<LastUsedDate>2015-03-13T10:45:00Z</LastUsedDate>", "")
            .replace("us-west-2", "N/A")
            .replace(">s3<", ">N/A<");
        assert_eq!(read_iam(&never).unwrap(), LastUse { at: None, detail: None });
        assert!(read_iam("<ErrorResponse/>").is_none());
        assert!(read_iam(&IAM_SAMPLE.replace("2015-03-13T10:45:00Z", "yesterday")).is_none());
    }

    #[test]
    fn elastic_email_answers_are_read() {
        let used = read_elastic_email(
            r#"{"AccessLevel":["ViewAccessTokens"],"Name":"CRM","DateCreated":"2026-01-02T03:04:05Z","LastUse":"2026-11-27T08:00:00Z","Expires":null}"#,
        )
        .unwrap();
        assert_eq!(used.at.unwrap().to_rfc3339(), "2026-11-27T08:00:00+00:00");
        let naive = read_elastic_email(r#"{"Name":"CRM","LastUse":"2026-11-27T08:00:00.123"}"#).unwrap();
        assert_eq!(naive.at.unwrap().timestamp(), used.at.unwrap().timestamp());
        assert_eq!(read_elastic_email(r#"{"Name":"CRM","LastUse":null}"#).unwrap().at, None);
        assert_eq!(read_elastic_email(r#"{"Name":"CRM"}"#).unwrap().at, None);
        assert!(read_elastic_email(r#"{"LastUse":5}"#).is_none());
        assert!(read_elastic_email("[]").is_none());
    }

    #[test]
    fn only_documented_providers_are_asked() {
        let told: Vec<_> = Provider::all().filter(|p| source(*p).is_some()).collect();
        assert_eq!(told, [Provider::AmazonSes, Provider::ElasticEmail]);
        assert_eq!(iam_url("https://sts.amazonaws.com"), IAM_URL);
        assert_eq!(iam_url("http://127.0.0.1:9"), "http://127.0.0.1:9");
        assert!(is_access_key_id("AKIAIOSFODNN7EXAMPLE"));
        assert!(!is_access_key_id("AKIA&Action=Delete"));
    }

    proptest::proptest! {
        #[test]
        fn answers_never_panic(body in "\\PC{0,300}") {
            let _ = read_iam(&body);
            let _ = read_elastic_email(&body);
        }
    }
}
