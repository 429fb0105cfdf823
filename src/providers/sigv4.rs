//! AWS Signature Version 4 for the two calls Keydesk makes to AWS: STS `GetCallerIdentity`,
//! which needs no permission and so proves only that the key pair is valid, and IAM
//! `GetAccessKeyLastUsed` (see [`super::usage`]). Both are a form `POST /` in us-east-1.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::http::{Request, host_of};
use crate::vault::crypto::hex;

/// The form body of the call.
pub const STS_BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";
/// Its content type.
pub const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";
const REGION: &str = "us-east-1";

/// HMAC-SHA256: each derived signing key is wiped when dropped, as the HMAC's own state is.
fn hmac(key: &[u8], data: &str) -> zeroize::Zeroizing<[u8; 32]> {
    crate::vault::crypto::hmac_sha256(key, data.as_bytes())
}

/// Signs the STS request (POST `/` with [`STS_BODY`]) with the key pair.
pub fn sign_sts(
    request: Request,
    access_key_id: &str,
    secret_access_key: &str,
    now: DateTime<Utc>,
) -> Request {
    sign_form(request, STS_BODY, "sts", access_key_id, secret_access_key, now)
}

/// Signs a form `POST /` to `service` whose body is `body` (the request must carry that body).
pub fn sign_form(
    request: Request,
    body: &str,
    service: &str,
    access_key_id: &str,
    secret_access_key: &str,
    now: DateTime<Utc>,
) -> Request {
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let date = now.format("%Y%m%d").to_string();
    let host = authority(&request.url);
    let payload_hash = hex(&Sha256::digest(body.as_bytes()));
    let signed_headers = "content-type;host;x-amz-date";
    let canonical = format!(
        "POST\n/\n\ncontent-type:{FORM}\nhost:{host}\nx-amz-date:{amz_date}\n\n{signed_headers}\n{payload_hash}"
    );
    let scope = format!("{date}/{REGION}/{service}/aws4_request");
    let to_sign =
        format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", hex(&Sha256::digest(canonical.as_bytes())));
    let first = zeroize::Zeroizing::new(format!("AWS4{secret_access_key}"));
    let mut key = hmac(first.as_bytes(), &date);
    for part in [REGION, service, "aws4_request"] {
        key = hmac(&key[..], part);
    }
    let signature = hex(&hmac(&key[..], &to_sign)[..]);
    request.header("x-amz-date", amz_date).header(
        "authorization",
        format!("AWS4-HMAC-SHA256 Credential={access_key_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"),
    )
}

/// Whether an AWS error answer (`<ErrorResponse><Error><Code>`) refuses the signing key
/// itself — unknown, deleted or inactive (`InvalidClientTokenId`), a wrong secret
/// (`SignatureDoesNotMatch`), an expired one (`ExpiredToken`) — rather than a permission.
pub fn refuses_the_key(body: &str) -> bool {
    let Ok(document) = roxmltree::Document::parse(body) else { return false };
    let code = document.descendants().find(|n| n.has_tag_name("Code")).and_then(|n| n.text());
    matches!(code.map(str::trim), Some("InvalidClientTokenId" | "SignatureDoesNotMatch" | "ExpiredToken"))
}

/// `host[:port]` as the Host header carries it.
fn authority(url: &str) -> String {
    url.parse::<ureq::http::Uri>()
        .ok()
        .and_then(|u| u.authority().map(|a| a.as_str().to_owned()))
        .unwrap_or_else(|| host_of(url))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The signing-key derivation from AWS's SigV4 documentation example.
    #[test]
    fn signing_key_matches_the_documented_example() {
        let mut key = hmac(b"AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830");
        for part in ["us-east-1", "iam", "aws4_request"] {
            key = hmac(&key[..], part);
        }
        assert_eq!(hex(&key[..]), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
    }

    proptest::proptest! {
        #[test]
        fn error_answers_never_panic(body in "\\PC{0,300}") {
            let _ = refuses_the_key(&body);
        }
    }

    #[test]
    fn signed_request_has_the_documented_shape() {
        let now = DateTime::parse_from_rfc3339("2026-11-26T10:00:00Z").unwrap().to_utc();
        let request = Request::new(ureq::http::Method::POST, "https://sts.amazonaws.com/".into());
        let signed = sign_sts(request, "AKIDEXAMPLE", "secret", now);
        let auth = signed.headers.iter().find(|(n, _)| *n == "authorization").unwrap().1.to_string();
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="));
        assert_eq!(auth.rsplit('=').next().unwrap().len(), 64);
        assert!(!auth.contains("secret"));
    }
}
