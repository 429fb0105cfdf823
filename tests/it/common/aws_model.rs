//! Checks a request a local server received against an AWS service model (botocore's
//! `service-2.json`, query protocol): the operation named by `Action` exists, is sent with its
//! documented method and URI, `Version` is the model's API version, the form body holds the
//! input shape's required members and no member it does not document, and the SigV4
//! signature is right for the model's signing name.
#![allow(dead_code, reason = "each test binary uses a different part")]

use std::io::Read;
use std::path::Path;

use serde_json::Value;

use super::mock::Seen;

/// An AWS service model.
pub struct AwsModel {
    doc: Value,
}

impl AwsModel {
    /// Loads a model from `tests/provider-specs/` (JSON, gzipped or not).
    pub fn load(name: &str) -> AwsModel {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/provider-specs").join(name);
        let raw = std::fs::read(&path).unwrap();
        let mut text = String::new();
        if name.ends_with(".gz") {
            flate2::read::GzDecoder::new(raw.as_slice()).read_to_string(&mut text).unwrap();
        } else {
            text = String::from_utf8(raw).unwrap();
        }
        AwsModel { doc: serde_json::from_str(&text).unwrap() }
    }

    /// The name requests are signed for (`signingName`, else `endpointPrefix`).
    pub fn signing_name(&self) -> &str {
        let metadata = &self.doc["metadata"];
        metadata["signingName"].as_str().or_else(|| metadata["endpointPrefix"].as_str()).unwrap_or("")
    }

    /// The operation a request asks for (its `Action`), when the body names one.
    pub fn action(seen: &Seen) -> Option<String> {
        form(&seen.body).into_iter().find(|(n, _)| n == "Action").map(|(_, v)| v)
    }

    /// What is wrong with `seen` (empty: it follows the model), the signature checked with
    /// `secret_access_key`.
    pub fn violations(&self, seen: &Seen, secret_access_key: &str) -> Vec<String> {
        let mut wrong = Vec::new();
        let metadata = &self.doc["metadata"];
        if metadata["protocol"] != "query" {
            return vec!["the checker reads query-protocol models only".into()];
        }
        if seen.header("content-type") != Some("application/x-www-form-urlencoded; charset=utf-8")
            && seen.header("content-type") != Some("application/x-www-form-urlencoded")
        {
            wrong.push(format!(
                "the body is {:?}, not a form (the query protocol)",
                seen.header("content-type")
            ));
        }
        let fields = form(&seen.body);
        let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        let Some(action) = field("Action") else { return vec!["the form names no Action".into()] };
        let operation = &self.doc["operations"][action];
        if operation.is_null() {
            return vec![format!("{action} is not an operation of {}", metadata["serviceId"])];
        }
        if seen.method != operation["http"]["method"].as_str().unwrap_or("") {
            wrong.push(format!("{action} is sent with {}, not {}", seen.method, operation["http"]["method"]));
        }
        let path = seen.url.split('?').next().unwrap_or("");
        if path != operation["http"]["requestUri"].as_str().unwrap_or("") {
            wrong.push(format!("{action} is sent to {path}, not {}", operation["http"]["requestUri"]));
        }
        if field("Version") != metadata["apiVersion"].as_str() {
            wrong.push(format!("Version is {:?}, not {}", field("Version"), metadata["apiVersion"]));
        }
        let input = operation["input"]["shape"].as_str().map(|shape| &self.doc["shapes"][shape]);
        let members = input.and_then(|i| i["members"].as_object());
        for required in
            input.and_then(|i| i["required"].as_array()).into_iter().flatten().filter_map(Value::as_str)
        {
            if field(required).is_none_or(str::is_empty) {
                wrong.push(format!("{action} lacks its required {required}"));
            }
        }
        for (name, _) in &fields {
            if name != "Action" && name != "Version" && !members.is_some_and(|m| m.contains_key(name)) {
                wrong.push(format!("{name} is not a member of {action}'s input"));
            }
        }
        if metadata["signatureVersion"] != "v4" {
            wrong.push(format!("the model signs with {}, not SigV4", metadata["signatureVersion"]));
        }
        if super::mock::aws_signed(seen, self.signing_name(), secret_access_key).is_none() {
            wrong.push(format!("the SigV4 signature is not right for {}", self.signing_name()));
        }
        wrong
    }
}

/// The fields of a form body, decoded.
fn form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
