//! Creating and revoking keys at the provider (SendGrid and Mailgun), with an account's
//! management key. Revoke retries on 429 and 5xx with backoff and treats 404 as done; create
//! retries only on 429, since a POST that reached a failing server may have made a key.
//!
//! (Longer than most files: a quarter of it is its tests.)

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use ureq::http::Method;

use super::catalogue::Provider;
use super::http::{Client, NetError, Request, Response};
use super::verify::{VerifyError, authenticate};

/// A scope template the user picks instead of typing scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    pub provider: Provider,
    /// The name typed on the command line.
    pub name: &'static str,
    /// What a person reads.
    pub title: &'static str,
    /// The scopes (SendGrid) or role (Mailgun); empty for SendGrid means full access.
    pub scopes: &'static [&'static str],
}

/// The scope templates per provider.
pub const TEMPLATES: &[Template] = &[
    Template {
        provider: Provider::SendGrid,
        name: "mail-send",
        title: "Mail Send only",
        scopes: &["mail.send"],
    },
    Template {
        provider: Provider::SendGrid,
        name: "read-only-stats",
        title: "Read-only stats",
        scopes: &["stats.read", "stats.global.read", "categories.stats.read", "categories.stats.sums.read"],
    },
    Template { provider: Provider::SendGrid, name: "full-access", title: "Full access", scopes: &[] },
    Template { provider: Provider::Mailgun, name: "admin", title: "Admin", scopes: &["admin"] },
    Template { provider: Provider::Mailgun, name: "developer", title: "Developer", scopes: &["developer"] },
    Template { provider: Provider::Mailgun, name: "basic", title: "Basic (read-only)", scopes: &["basic"] },
];

/// The roles Mailgun's API gives a user key (its `sending` role is for domain keys only,
/// made with `domain:NAME`).
pub const MAILGUN_USER_ROLES: [&str; 3] = ["admin", "developer", "basic"];

/// What to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateSpec {
    /// The name the provider shows (the key's label).
    pub name: String,
    /// SendGrid scopes (none: full access); for Mailgun the first is the role.
    pub scopes: Vec<String>,
    /// Mailgun: make a domain sending key for this domain.
    pub domain: Option<String>,
}

impl CreateSpec {
    /// Builds a spec from words typed by the user: template names expand, `domain:NAME`
    /// makes a Mailgun domain sending key, anything else is a raw scope.
    pub fn from_words(provider: Provider, name: &str, words: &[String]) -> CreateSpec {
        let mut spec = CreateSpec { name: name.to_owned(), ..CreateSpec::default() };
        for word in words {
            if let Some(domain) = word.strip_prefix("domain:") {
                spec.domain = Some(domain.to_owned());
            } else if let Some(t) = TEMPLATES.iter().find(|t| t.provider == provider && t.name == word) {
                spec.scopes.extend(t.scopes.iter().map(|s| (*s).to_owned()));
            } else {
                spec.scopes.push(word.clone());
            }
        }
        spec
    }
}

/// A key the provider made. The secret is shown once and then kept in the vault.
pub struct CreatedKey {
    pub secret: SecretString,
    pub provider_key_id: String,
    pub scopes: Vec<String>,
}

/// How a revoke ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// The provider deleted it now.
    Deleted,
    /// The provider no longer had it (404): done all the same.
    AlreadyGone,
}

/// Why the provider did not do it. No variant carries a key or an answer body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManageError {
    #[error("{provider} cannot {action} keys over its API: do it on its API-keys page instead.")]
    NotSupported { provider: Provider, action: &'static str },
    #[error(
        "{provider} refused the management key (HTTP {status}): check that it is right and has permission to manage API keys."
    )]
    Unauthorized { provider: Provider, status: u16 },
    #[error("{provider} is rate limiting Keydesk: try again in a minute.")]
    RateLimited { provider: Provider },
    #[error(
        "{provider} says the account's key limit is reached (HTTP 403): revoke a key you no longer use, then try again."
    )]
    LimitReached { provider: Provider },
    #[error(
        "{provider} refused the request (HTTP 400): {message}. Check the permissions chosen and try again."
    )]
    BadRequest { provider: Provider, message: String },
    #[error("{0}")]
    Role(&'static str),
    #[error("{provider} is having trouble (HTTP {status}): try again later.")]
    ProviderTrouble { provider: Provider, status: u16 },
    #[error("{provider} answered HTTP {status}, which Keydesk did not expect: check the account's settings.")]
    Unexpected { provider: Provider, status: u16 },
    #[error(
        "{provider}'s answer was not in the documented form: the key may have been made; check its API-keys page."
    )]
    BadAnswer { provider: Provider },
    #[error("Connection problem: {0}; nothing was changed at the provider.")]
    Unreachable(NetError),
    #[error("{0}")]
    Setup(#[from] VerifyError),
}

/// What an answer to a create means. SendGrid and Mailgun document 403 on create as the
/// account's key limit, and 400 with a message saying what was wrong with the request.
fn classify_create(provider: Provider, response: &Response) -> ManageError {
    match response.status {
        403 => ManageError::LimitReached { provider },
        400 => ManageError::BadRequest { provider, message: provider_message(&response.body) },
        _ => classify(provider, response),
    }
}

/// The provider's own explanation from an error answer (`errors[].message` or `message`),
/// cut short and stripped to printable text; never the whole body.
fn provider_message(body: &str) -> String {
    let value: Value = serde_json::from_str(body).unwrap_or_default();
    let said = value["errors"][0]["message"]
        .as_str()
        .or_else(|| value["errors"][0]["detail"].as_str())
        .or_else(|| value["message"].as_str())
        .unwrap_or("no reason given");
    crate::vault::format::clip(said, 160).trim_end_matches('.').to_owned()
}

fn classify(provider: Provider, response: &Response) -> ManageError {
    match response.status {
        401 | 403 => ManageError::Unauthorized { provider, status: response.status },
        429 => ManageError::RateLimited { provider },
        500..=599 => ManageError::ProviderTrouble { provider, status: response.status },
        status => ManageError::Unexpected { provider, status },
    }
}

fn net(error: NetError) -> ManageError {
    match error {
        NetError::BadUrl { .. } => ManageError::Setup(VerifyError::Url(error)),
        unreachable => ManageError::Unreachable(unreachable),
    }
}

/// A `multipart/form-data` body of text fields, as Mailgun's API and SDKs send it; returns the
/// content type (with its boundary) and the body.
fn multipart(pairs: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = format!("keydesk-{:016x}", rand::random::<u64>());
    let mut body = String::new();
    for (name, value) in pairs {
        // Field names are Keydesk's own; values may not carry a line break that could end
        // their part early.
        let value: String = value.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body.into_bytes())
}

/// The Mailgun fields for a create: a domain sending key, or a user key with a role the API
/// gives user keys. Refused before any request otherwise.
fn mailgun_fields(spec: &CreateSpec) -> Result<Vec<(&str, &str)>, ManageError> {
    let mut pairs = vec![("description", spec.name.as_str())];
    match (&spec.domain, spec.scopes.first().map(String::as_str)) {
        (Some(domain), None | Some("sending")) => {
            pairs.extend([("kind", "domain"), ("role", "sending"), ("domain_name", domain.as_str())]);
        }
        (Some(_), Some(_)) => {
            return Err(ManageError::Role(
                "A Mailgun domain key always has the sending role: give domain:NAME alone, without another role.",
            ));
        }
        (None, Some("sending")) => {
            return Err(ManageError::Role(
                "Mailgun's sending role is for domain keys: add domain:NAME (such as domain:mg.example.com), or choose admin, developer or basic.",
            ));
        }
        (None, Some(role)) if MAILGUN_USER_ROLES.contains(&role) => {
            pairs.extend([("kind", "user"), ("role", role)]);
        }
        (None, Some(_)) => {
            return Err(ManageError::Role(
                "That is not a Mailgun role: choose admin, developer or basic, or domain:NAME for a domain sending key.",
            ));
        }
        (None, None) => {
            return Err(ManageError::Role(
                "Choose the Mailgun key's role: admin, developer or basic (or domain:NAME for a domain sending key).",
            ));
        }
    }
    Ok(pairs)
}

/// Path segments from the provider (ids) are encoded so they cannot change the path.
pub(crate) fn segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Creates a key at the provider.
pub fn create_key(
    client: &Client,
    provider: Provider,
    base_url: &str,
    management_key: &SecretString,
    spec: &CreateSpec,
) -> Result<CreatedKey, ManageError> {
    let now = crate::vault::Clock::now(&crate::vault::SystemClock);
    let build = || -> Result<Request, ManageError> {
        let request = match provider {
            Provider::SendGrid => {
                let mut body = serde_json::json!({ "name": spec.name });
                if !spec.scopes.is_empty() {
                    body["scopes"] = Value::from(spec.scopes.clone());
                }
                Request::new(Method::POST, format!("{base_url}/v3/api_keys"))
                    .body("application/json", body.to_string().into_bytes())
            }
            Provider::Mailgun => {
                let (content_type, body) = multipart(&mailgun_fields(spec)?);
                Request::new(Method::POST, format!("{base_url}/v1/keys")).body(content_type, body)
            }
            _ => return Err(ManageError::NotSupported { provider, action: "create" }),
        };
        Ok(authenticate(provider, request, management_key, now)?)
    };
    let mut attempt = 0;
    let response = loop {
        let response = client.send(build()?).map_err(net)?;
        if response.status == 429 && attempt < client.config.retries {
            client.backoff(attempt, response.retry_after_secs);
            attempt += 1;
            continue;
        }
        break response;
    };
    if !(200..=299).contains(&response.status) {
        return Err(classify_create(provider, &response));
    }
    parse_created(provider, &response.body, spec).ok_or(ManageError::BadAnswer { provider })
}

#[derive(serde::Deserialize)]
struct SendGridCreated {
    api_key: SecretString,
    api_key_id: String,
    #[serde(default)]
    scopes: Option<Vec<String>>,
}

#[derive(serde::Deserialize)]
struct MailgunCreated {
    key: MailgunKey,
}

#[derive(serde::Deserialize)]
struct MailgunKey {
    id: String,
    secret: SecretString,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    domain_name: Option<String>,
}

fn parse_created(provider: Provider, body: &str, spec: &CreateSpec) -> Option<CreatedKey> {
    let created = match provider {
        Provider::SendGrid => {
            let answer: SendGridCreated = serde_json::from_str(body).ok()?;
            CreatedKey {
                secret: answer.api_key,
                provider_key_id: answer.api_key_id,
                scopes: answer.scopes.unwrap_or_else(|| spec.scopes.clone()),
            }
        }
        Provider::Mailgun => {
            let answer: MailgunCreated = serde_json::from_str(body).ok()?;
            let mut scopes: Vec<String> = answer.key.role.into_iter().map(|r| format!("role:{r}")).collect();
            scopes.extend(answer.key.domain_name.map(|d| format!("domain:{d}")));
            CreatedKey { secret: answer.key.secret, provider_key_id: answer.key.id, scopes }
        }
        _ => return None,
    };
    let usable = !created.secret.expose_secret().is_empty() && !created.provider_key_id.is_empty();
    usable.then_some(created)
}

/// Revokes a key at the provider by its provider-side id.
pub fn revoke_key(
    client: &Client,
    provider: Provider,
    base_url: &str,
    management_key: &SecretString,
    provider_key_id: &str,
) -> Result<Revoked, ManageError> {
    let path = match provider {
        Provider::SendGrid => format!("{base_url}/v3/api_keys/{}", segment(provider_key_id)),
        Provider::Mailgun => format!("{base_url}/v1/keys/{}", segment(provider_key_id)),
        _ => return Err(ManageError::NotSupported { provider, action: "revoke" }),
    };
    let now = crate::vault::Clock::now(&crate::vault::SystemClock);
    let mut attempt = 0;
    loop {
        let request =
            authenticate(provider, Request::new(Method::DELETE, path.clone()), management_key, now)?;
        let response = client.send(request).map_err(net)?;
        match response.status {
            200..=299 => return Ok(Revoked::Deleted),
            404 => return Ok(Revoked::AlreadyGone),
            429 | 500..=599 if attempt < client.config.retries => {
                client.backoff(attempt, response.retry_after_secs);
                attempt += 1;
            }
            _ => return Err(classify(provider, &response)),
        }
    }
}

/// Checks an account's management key with a read-only call that needs key-management rights.
/// What a test of a management key found: the sentence to show, and the scopes the key holds
/// where the provider lists them (SendGrid's `GET /v3/scopes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tested {
    pub words: String,
    pub scopes: Option<Vec<String>>,
}

pub fn test_connection(
    client: &Client,
    provider: Provider,
    base_url: &str,
    management_key: &SecretString,
) -> Result<Tested, ManageError> {
    let path = match provider {
        Provider::SendGrid => "/v3/scopes",
        Provider::Mailgun => "/v1/keys",
        _ => {
            let Some((_, path)) = provider.info().verify else {
                return Err(ManageError::NotSupported { provider, action: "test" });
            };
            path
        }
    };
    let method = if provider == Provider::AmazonSes { Method::POST } else { Method::GET };
    let mut request = Request::new(method, format!("{base_url}{path}"));
    if provider == Provider::AmazonSes {
        request = request.body(super::sigv4::FORM, super::sigv4::STS_BODY.as_bytes().to_vec());
    }
    let request = authenticate(
        provider,
        request,
        management_key,
        crate::vault::Clock::now(&crate::vault::SystemClock),
    )?;
    let response = client.send(request).map_err(net)?;
    if !(200..=299).contains(&response.status) {
        return Err(classify(provider, &response));
    }
    if provider == Provider::SendGrid {
        let scopes: Vec<String> = serde_json::from_str::<Value>(&response.body)
            .ok()
            .and_then(|v| {
                v["scopes"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
            })
            .unwrap_or_default();
        let can = |s: &str| scopes.iter().any(|x| x == s);
        let words = if can("api_keys.create") && can("api_keys.delete") {
            format!("Connected to {}.", provider.name())
        } else {
            "Connected, but this key cannot create and delete API keys: give it the \"API Keys\" permission to manage keys from Keydesk.".to_owned()
        };
        return Ok(Tested { words, scopes: Some(scopes) });
    }
    Ok(Tested { words: format!("Connected to {}.", provider.name()), scopes: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_expand() {
        let spec =
            CreateSpec::from_words(Provider::SendGrid, "CRM", &["mail-send".into(), "templates.read".into()]);
        assert_eq!(spec.scopes, ["mail.send", "templates.read"]);
        let full = CreateSpec::from_words(Provider::SendGrid, "CRM", &["full-access".into()]);
        assert!(full.scopes.is_empty());
        let domain = CreateSpec::from_words(Provider::Mailgun, "CRM", &["domain:mg.example.com".into()]);
        assert_eq!(domain.domain.as_deref(), Some("mg.example.com"));
    }

    #[test]
    fn encoding() {
        let (content_type, body) = multipart(&[("description", "CRM\r\nkey"), ("role", "basic")]);
        let boundary = content_type.strip_prefix("multipart/form-data; boundary=").unwrap();
        let body = String::from_utf8(body).unwrap();
        assert!(body.contains("name=\"description\"\r\n\r\nCRMkey\r\n"), "{body}");
        assert!(body.ends_with(&format!("--{boundary}--\r\n")));
        assert_eq!(segment("../x?y"), "..%2Fx%3Fy");
    }

    #[test]
    fn mailgun_roles_follow_the_spec() {
        let spec = |words: &[&str]| {
            CreateSpec::from_words(
                Provider::Mailgun,
                "CRM",
                &words.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>(),
            )
        };
        let admin = spec(&["admin"]);
        assert!(mailgun_fields(&admin).unwrap().contains(&("role", "admin")));
        let basic = spec(&["basic"]);
        assert!(mailgun_fields(&basic).unwrap().contains(&("kind", "user")));
        let domain = spec(&["domain:mg.example.com"]);
        let domain = mailgun_fields(&domain).unwrap();
        assert!(domain.contains(&("role", "sending")) && domain.contains(&("kind", "domain")));
        assert!(
            matches!(mailgun_fields(&spec(&["sending"])), Err(ManageError::Role(_))),
            "sending needs a domain"
        );
        assert!(matches!(mailgun_fields(&spec(&[])), Err(ManageError::Role(_))), "no silent default role");
        assert!(matches!(mailgun_fields(&spec(&["owner"])), Err(ManageError::Role(_))));
    }

    proptest::proptest! {
        #[test]
        fn created_answers_never_panic(body in "\\PC{0,200}") {
            let spec = CreateSpec::default();
            let _ = parse_created(Provider::SendGrid, &body, &spec);
            let _ = parse_created(Provider::Mailgun, &body, &spec);
        }
    }
}
