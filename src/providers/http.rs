//! The one way Keydesk talks HTTP: rustls, a 5 s connect and 15 s total timeout, redirects
//! only to the same host, response bodies capped and never logged.
//!
//! Requests carry secrets in their headers, and responses may carry secrets in their bodies
//! (a created key, Postmark's server tokens), so neither type implements `Debug` and no error
//! message includes either: errors name the host and the cause only.

use std::time::Duration;

use ureq::http;
use zeroize::Zeroizing;

/// Timeouts and retry policy.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
    /// How many times a retryable answer (429, 5xx) is retried by operations that may retry.
    pub retries: u32,
    /// The first backoff; it doubles each time.
    pub backoff: Duration,
    /// The longest wait honoured, from `Retry-After` or backoff.
    pub max_wait: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(15),
            retries: 3,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(20),
        }
    }
}

/// One request. Header values may be secrets: no `Debug`.
pub struct Request {
    pub method: http::Method,
    pub url: String,
    pub headers: Vec<(&'static str, Zeroizing<String>)>,
    pub body: Option<(String, Zeroizing<Vec<u8>>)>,
}

impl Request {
    /// A request without body.
    pub fn new(method: http::Method, url: String) -> Self {
        Request { method, url, headers: Vec::new(), body: None }
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, Zeroizing::new(value.into())));
        self
    }

    /// Sets the body and its content type.
    pub fn body(mut self, content_type: impl Into<String>, body: Vec<u8>) -> Self {
        self.body = Some((content_type.into(), Zeroizing::new(body)));
        self
    }
}

/// An answer. The body may hold secrets: no `Debug`, never logged or stored.
pub struct Response {
    pub status: u16,
    /// Seconds to wait from a `Retry-After` header, given as a number or as an HTTP date.
    pub retry_after_secs: Option<u64>,
    pub body: Zeroizing<String>,
}

pub use super::catalogue::NetKind;

/// Why no answer came. Names the host and the cause, nothing else.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    #[error("could not reach {host} ({cause})")]
    Unreachable { host: String, cause: String, kind: NetKind },
    #[error("{url} is not a usable API address: {why}")]
    BadUrl { url: String, why: &'static str },
}

/// The largest answer body read.
const MAX_BODY: u64 = 1024 * 1024;

/// Checks that a base URL is HTTPS, or plain HTTP on a loopback address (local test servers).
pub fn check_base_url(url: &str) -> Result<(), NetError> {
    super::catalogue::check_base_url(url).map_err(|why| NetError::BadUrl { url: url.to_owned(), why })
}

/// The host of a URL, for messages.
pub fn host_of(url: &str) -> String {
    url.parse::<http::Uri>().ok().and_then(|u| u.host().map(str::to_owned)).unwrap_or_else(|| url.to_owned())
}

/// An HTTP client with Keydesk's policy.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    pub config: HttpConfig,
}

impl Client {
    /// A client with `config`'s timeouts; environment proxies are honoured.
    pub fn new(config: HttpConfig) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.total_timeout))
            .max_redirects(0)
            .http_status_as_error(false)
            .user_agent(concat!("keydesk/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Client { agent, config }
    }

    /// Sends `request`, following redirects only within the same scheme, host and port.
    pub fn send(&self, request: Request) -> Result<Response, NetError> {
        self.send_following(request, &same_origin)
    }

    /// Sends `request`, following a redirect from one address to another when `follow`
    /// allows it (a redirect it refuses is the answer); at most 4.
    pub fn send_following(
        &self,
        mut request: Request,
        follow: &dyn Fn(&str, &str) -> bool,
    ) -> Result<Response, NetError> {
        check_base_url(&request.url)?;
        for _ in 0..4 {
            let response = self.send_once(&request)?;
            if !(300..400).contains(&response.0.status) {
                return Ok(response.0);
            }
            let Some(location) = response.1 else { return Ok(response.0) };
            let next = resolve(&request.url, &location);
            if !follow(&request.url, &next) {
                return Ok(response.0);
            }
            request.url = next;
        }
        Err(NetError::Unreachable {
            host: host_of(&request.url),
            cause: "too many redirects".into(),
            kind: NetKind::Other,
        })
    }

    fn send_once(&self, request: &Request) -> Result<(Response, Option<String>), NetError> {
        let host = host_of(&request.url);
        let mut builder = http::Request::builder().method(request.method.clone()).uri(request.url.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(*name, value.as_str());
        }
        // Every answer Keydesk reads is JSON; Klaviyo's own media type is set by its request.
        if !request.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("accept")) {
            builder = builder.header("accept", "application/json");
        }
        let bad_header = |_not_a_header_value: http::Error| NetError::BadUrl {
            url: request.url.clone(),
            why: "a header is not valid",
        };
        // A request without a body sends no body at all (no `content-length: 0`).
        let sent = match &request.body {
            Some((content_type, body)) => {
                let built = builder
                    .header("content-type", content_type.as_str())
                    .body(body.to_vec())
                    .map_err(bad_header)?;
                self.agent.run(built)
            }
            None => self.agent.run(builder.body(()).map_err(bad_header)?),
        };
        let mut response = sent.map_err(|e| unreachable(&host, &e))?;
        let status = response.status().as_u16();
        let header =
            |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let retry_after_secs = header("retry-after").and_then(|value| {
            let now = crate::vault::Clock::now(&crate::vault::SystemClock);
            retry_after(&value, header("date").as_deref(), now)
        });
        let location = header("location");
        let body = response.body_mut().with_config().limit(MAX_BODY).read_to_string().unwrap_or_default();
        Ok((Response { status, retry_after_secs, body: Zeroizing::new(body) }, location))
    }

    /// Waits before retry number `attempt` (0-based), honouring `Retry-After` up to the cap.
    pub fn backoff(&self, attempt: u32, retry_after_secs: Option<u64>) {
        let exponential = self.config.backoff.saturating_mul(2u32.saturating_pow(attempt));
        let wait = retry_after_secs.map_or(exponential, Duration::from_secs).min(self.config.max_wait);
        std::thread::sleep(wait);
    }
}

/// The seconds a `Retry-After` value asks to wait: a number of seconds, or an HTTP date
/// (RFC 9110), counted from the answer's own `Date` when it has one (the server's clock, so
/// a wrong clock here does not matter), else from `now`. A date already past is 0; a value
/// that is neither is `None`.
pub fn retry_after(value: &str, date: Option<&str>, now: chrono::DateTime<chrono::Utc>) -> Option<u64> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs);
    }
    let when = http_date(value)?;
    let from = date.and_then(http_date).unwrap_or(now);
    Some(u64::try_from((when - from).num_seconds()).unwrap_or(0))
}

/// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`; RFC 850 and asctime forms are obsolete and
/// refused).
fn http_date(value: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc2822(value.trim()).ok().map(|at| at.with_timezone(&chrono::Utc))
}

fn resolve(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.to_owned();
    }
    let Ok(uri) = base.parse::<http::Uri>() else { return location.to_owned() };
    let scheme = uri.scheme_str().unwrap_or("https");
    let authority = uri.authority().map_or("", |a| a.as_str());
    let path = if location.starts_with('/') { location.to_owned() } else { format!("/{location}") };
    format!("{scheme}://{authority}{path}")
}

fn same_origin(a: &str, b: &str) -> bool {
    let origin = |url: &str| {
        url.parse::<http::Uri>()
            .ok()
            .map(|u| (u.scheme_str().map(str::to_owned), u.authority().map(|a| a.to_string())))
    };
    origin(a).is_some() && origin(a) == origin(b)
}

/// Words for a failed connection; never includes a request or response. A proxy taken from
/// the environment is named, since it may be what failed.
fn unreachable(host: &str, error: &ureq::Error) -> NetError {
    let (kind, cause) = match error {
        ureq::Error::Timeout(_) => (NetKind::Timeout, "no answer in time".to_owned()),
        ureq::Error::HostNotFound => (NetKind::Dns, "the name does not resolve".to_owned()),
        ureq::Error::ConnectionFailed => (NetKind::Refused, "the connection failed".to_owned()),
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => (NetKind::Refused, "connection refused".to_owned()),
            std::io::ErrorKind::ConnectionReset => (NetKind::Refused, "the connection was reset".to_owned()),
            std::io::ErrorKind::TimedOut => (NetKind::Timeout, "no answer in time".to_owned()),
            std::io::ErrorKind::NetworkUnreachable | std::io::ErrorKind::NetworkDown => {
                (NetKind::Other, "this computer has no network connection".to_owned())
            }
            std::io::ErrorKind::HostUnreachable => {
                (NetKind::Refused, "the server cannot be reached".to_owned())
            }
            std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::UnexpectedEof => {
                (NetKind::Other, "the connection broke off".to_owned())
            }
            // Never the system's own words ("uncategorized error"): they say nothing to a person.
            _ => (NetKind::Other, "the connection failed".to_owned()),
        },
        ureq::Error::Tls(what) => (NetKind::Tls, format!("TLS error: {what}")),
        ureq::Error::Rustls(tls) => (NetKind::Tls, format!("TLS error: {tls}")),
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => {
            (NetKind::Other, "a redirect failed".to_owned())
        }
        ureq::Error::BodyExceedsLimit(_) => (NetKind::Other, "the answer was too large".to_owned()),
        ureq::Error::ConnectProxyFailed(_) | ureq::Error::InvalidProxyUrl => {
            (NetKind::Proxy, "the proxy failed".to_owned())
        }
        ureq::Error::Protocol(_) => (NetKind::Other, "the server did not speak HTTP".to_owned()),
        _ => (NetKind::Other, "the connection failed".to_owned()),
    };
    // Through a proxy, a connection that fails is the proxy's first of all.
    let (kind, cause) = match proxy_for(host) {
        Some(proxy) if kind != NetKind::Tls => {
            (NetKind::Proxy, format!("{cause}, through the proxy {proxy} from the environment"))
        }
        Some(proxy) => (kind, format!("{cause}, through the proxy {proxy} from the environment")),
        None => (kind, cause),
    };
    NetError::Unreachable { host: host.to_owned(), cause, kind }
}

/// The proxy (host:port, no credentials) the environment sets for `host`, if any.
fn proxy_for(host: &str) -> Option<String> {
    let proxy = ureq::Proxy::try_from_env()?;
    let uri: http::Uri = format!("https://{host}/").parse().ok()?;
    (!proxy.is_no_proxy(&uri)).then(|| format!("{}:{}", proxy.host(), proxy.port()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        for ok in
            ["https://api.sendgrid.com", "http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9"]
        {
            assert_eq!(check_base_url(ok), Ok(()), "{ok}");
        }
        for bad in
            ["http://api.sendgrid.com", "ftp://x", "api.sendgrid.com", "http://10.0.0.1", "", "https://"]
        {
            assert!(check_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-04T10:00:00Z").unwrap().to_utc();
        assert_eq!(retry_after("7", None, now), Some(7));
        assert_eq!(retry_after(" 120 ", None, now), Some(120));
        assert_eq!(retry_after("Fri, 04 Dec 2026 10:00:30 GMT", None, now), Some(30));
        // The server's own Date is the reference, not this computer's clock.
        assert_eq!(
            retry_after("Fri, 04 Dec 2026 09:00:45 GMT", Some("Fri, 04 Dec 2026 09:00:00 GMT"), now),
            Some(45)
        );
        assert_eq!(retry_after("Fri, 04 Dec 2026 09:00:00 GMT", None, now), Some(0));
        assert_eq!(retry_after("soon", None, now), None);
        assert_eq!(retry_after("-5", None, now), None);
    }

    proptest::proptest! {
        #[test]
        fn any_retry_after_parses_without_panic(value in "\\PC{0,40}", date in "\\PC{0,40}") {
            let now = chrono::DateTime::parse_from_rfc3339("2026-12-04T10:00:00Z").unwrap().to_utc();
            let _wait = retry_after(&value, Some(&date), now);
        }
    }

    #[test]
    fn redirects_stay_home() {
        assert!(same_origin("https://a.com/x", "https://a.com/y"));
        assert!(!same_origin("https://a.com/x", "https://b.com/x"));
        assert!(!same_origin("https://a.com/x", "http://a.com/x"));
        assert!(!same_origin("http://127.0.0.1:1/x", "http://127.0.0.1:2/x"));
        assert_eq!(resolve("http://127.0.0.1:5/a/b", "/c"), "http://127.0.0.1:5/c");
    }
}
