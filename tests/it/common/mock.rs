//! A local HTTP server on 127.0.0.1 that answers as a provider's documentation says, and
//! records every request for the test to check.
#![allow(dead_code, reason = "each test binary uses a different part")]
#![allow(
    clippy::disallowed_methods,
    reason = "tests and tools read the real clock and start their own threads"
)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A request the server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What to answer.
pub enum Reply {
    Answer {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// Keep the connection open and never answer.
    Hang,
}

impl Reply {
    pub fn json(status: u16, body: &str) -> Reply {
        Reply::Answer {
            status,
            headers: vec![("Content-Type", "application/json".into())],
            body: body.to_owned(),
        }
    }
    pub fn status(status: u16) -> Reply {
        Reply::Answer { status, headers: vec![], body: String::new() }
    }
    pub fn with_header(self, name: &'static str, value: &str) -> Reply {
        match self {
            Reply::Answer { status, mut headers, body } => {
                headers.push((name, value.to_owned()));
                Reply::Answer { status, headers, body }
            }
            Reply::Hang => Reply::Hang,
        }
    }
}

pub struct Mock {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Mock {
    /// Starts a server; `handler` answers each request.
    pub fn start(handler: impl Fn(&Seen) -> Reply + Send + 'static) -> Mock {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let port = server.server_addr().to_ip().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut hanging = Vec::new();
            while !stop2.load(Ordering::SeqCst) {
                let Ok(Some(mut request)) = server.recv_timeout(Duration::from_millis(20)) else { continue };
                let mut body = String::new();
                let _read = request.as_reader().read_to_string(&mut body);
                let request_seen = Seen {
                    method: request.method().as_str().to_owned(),
                    url: request.url().to_owned(),
                    headers: request
                        .headers()
                        .iter()
                        .map(|h| (h.field.to_string(), h.value.to_string()))
                        .collect(),
                    body,
                };
                let reply = handler(&request_seen);
                seen2.lock().unwrap().push(request_seen);
                match reply {
                    Reply::Answer { status, headers, body } => {
                        let mut response = tiny_http::Response::from_string(body).with_status_code(status);
                        for (name, value) in headers {
                            response.add_header(
                                tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap(),
                            );
                        }
                        let _client_gone = request.respond(response);
                    }
                    Reply::Hang => hanging.push(request),
                }
            }
        });
        Mock { url: format!("http://127.0.0.1:{port}"), seen, stop, thread: Some(thread) }
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _joined = thread.join();
        }
    }
}

/// A loopback port with nothing listening (connection refused).
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

impl Seen {
    /// The fields of a `multipart/form-data` body (text parts only), in order; `None` when the
    /// request is not multipart or its body does not parse as such.
    pub fn multipart_fields(&self) -> Option<Vec<(String, String)>> {
        let boundary = self.header("content-type")?.strip_prefix("multipart/form-data; boundary=")?;
        let delimiter = format!("--{boundary}");
        let mut parts = self.body.split(delimiter.as_str());
        if !parts.next()?.is_empty() {
            return None;
        }
        let mut fields = Vec::new();
        for part in parts {
            if part == "--\r\n" || part == "--" {
                return Some(fields);
            }
            let part = part.strip_prefix("\r\n")?.strip_suffix("\r\n")?;
            let (head, value) = part.split_once("\r\n\r\n")?;
            let name = head.split("name=\"").nth(1)?.split('"').next()?;
            fields.push((name.to_owned(), value.to_owned()));
        }
        None
    }
}

/// SendGrid's key management as its API answers (`POST /v3/api_keys` makes a key and answers
/// 201 with it; `DELETE /v3/api_keys/{id}` answers 204, or 404 for a key it does not hold;
/// anything without the management key is 401). `live` holds the ids of the keys made and not
/// yet deleted.
pub fn sendgrid_keys(seen: &Seen, management: &str, live: &Mutex<Vec<String>>) -> Reply {
    if seen.header("authorization") != Some(format!("Bearer {management}").as_str()) {
        return Reply::json(401, r#"{"errors":[{"field":null,"message":"authorization required"}]}"#);
    }
    match (seen.method.as_str(), seen.url.as_str()) {
        ("POST", "/v3/api_keys") => {
            let asked: serde_json::Value = serde_json::from_str(&seen.body).unwrap_or_default();
            let key = super::sendgrid_key();
            let id = key[3..25].to_owned();
            live.lock().unwrap().push(id.clone());
            let body = serde_json::json!({
                "api_key": key, "api_key_id": id, "name": asked["name"], "scopes": ["mail.send"]
            });
            Reply::json(201, &body.to_string())
        }
        ("DELETE", path) if path.starts_with("/v3/api_keys/") => {
            let id = &path["/v3/api_keys/".len()..];
            let mut live = live.lock().unwrap();
            let before = live.len();
            live.retain(|known| known != id);
            if live.len() < before { Reply::status(204) } else { Reply::status(404) }
        }
        _ => Reply::json(404, r#"{"errors":[{"field":null,"message":"resource not found"}]}"#),
    }
}

/// Checks an AWS Signature Version 4 on a form `POST /` as AWS does: the canonical request
/// rebuilt from what arrived (content type, Host, `x-amz-date`, the body's SHA-256), the
/// signing key derived from `secret_access_key`, the signature compared. Returns the access
/// key id the request names, when the signature is right for `service` in us-east-1.
pub fn aws_signed(seen: &Seen, service: &str, secret_access_key: &str) -> Option<String> {
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};
    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
    fn mac(key: &[u8], data: &str) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
        mac.update(data.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
    let auth = seen.header("authorization")?.strip_prefix("AWS4-HMAC-SHA256 Credential=")?;
    let (credential, rest) = auth.split_once(", SignedHeaders=content-type;host;x-amz-date, Signature=")?;
    let mut scope = credential.split('/');
    let (id, date, region, named_service, end) =
        (scope.next()?, scope.next()?, scope.next()?, scope.next()?, scope.next()?);
    if region != "us-east-1" || named_service != service || end != "aws4_request" || seen.method != "POST" {
        return None;
    }
    let amz_date = seen.header("x-amz-date")?;
    if !amz_date.starts_with(date) {
        return None;
    }
    let canonical = format!(
        "POST\n/\n\ncontent-type:{}\nhost:{}\nx-amz-date:{amz_date}\n\ncontent-type;host;x-amz-date\n{}",
        seen.header("content-type")?,
        seen.header("host")?,
        hex(&Sha256::digest(seen.body.as_bytes()))
    );
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{date}/us-east-1/{service}/aws4_request\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut key = mac(format!("AWS4{secret_access_key}").as_bytes(), date);
    for part in ["us-east-1", service, "aws4_request"] {
        key = mac(&key, part);
    }
    (hex(&mac(&key, &to_sign)) == rest).then(|| id.to_owned())
}

/// An IAM error answer as AWS writes it.
pub fn aws_error(status: u16, code: &str, message: &str) -> Reply {
    Reply::Answer {
        status,
        headers: vec![("Content-Type", "text/xml".into())],
        body: format!(
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>4a3f1c2e-0000-4000-8000-000000000000</RequestId></ErrorResponse>"
        ),
    }
}

/// Elastic Email's API-key list as it answers for `key`, which it knows by the name
/// "CRM sync" (last used 2026-11-20 08:30 UTC); any other key is refused.
pub fn elastic_email_knowing(key: &str) -> Mock {
    let key = key.to_owned();
    Mock::start(move |seen| {
        if seen.header("x-elasticemail-apikey") != Some(key.as_str()) {
            return Reply::json(401, r#"{"Error":"Access denied"}"#);
        }
        match (seen.method.as_str(), seen.url.as_str()) {
            ("GET", "/v4/security/apikeys/CRM%20sync") => Reply::json(
                200,
                r#"{"AccessLevel":["ViewAccessTokens","SendHttp"],"Name":"CRM sync","DateCreated":"2026-01-05T09:00:00Z","LastUse":"2026-11-20T08:30:00Z","Expires":null,"RestrictAccessToIPRange":[]}"#,
            ),
            _ => Reply::json(404, r#"{"Error":"ApiKey not found"}"#),
        }
    })
}
