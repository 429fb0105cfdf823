//! Checks a request a local server received against a provider's published OpenAPI document:
//! the operation exists for the method and path, the required parameters are there with
//! allowed values, the authentication is the documented scheme, the body has a documented
//! media type and its fields have the documented names, types and values, and the `Accept`
//! header asks for a media type the operation answers with.
#![allow(dead_code, reason = "each test binary uses a different part")]

use std::io::Read;
use std::path::Path;

use serde_json::Value;

use super::mock::Seen;

/// A provider's OpenAPI document.
pub struct Spec {
    doc: Value,
    /// The path the operations' paths are relative to (Swagger's `basePath`, or the path of
    /// the first server URL), e.g. `/v3`; empty when they are absolute.
    base_path: String,
}

impl Spec {
    /// Loads a spec from `tests/provider-specs/` (YAML or JSON, gzipped or not).
    pub fn load(name: &str) -> Spec {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/provider-specs").join(name);
        let raw = std::fs::read(&path).unwrap();
        let text = if name.ends_with(".gz") {
            let mut text = String::new();
            flate2::read::GzDecoder::new(raw.as_slice()).read_to_string(&mut text).unwrap();
            text
        } else {
            String::from_utf8(raw).unwrap()
        };
        // Constant Contact's one `!!binary` tag (an upload example) is not read by the YAML
        // reader: dropped from the text read, the file stays as published.
        let text = text.replace("!!binary ", "");
        let doc: Value = if name.contains(".json") {
            serde_json::from_str(&text).unwrap()
        } else {
            serde_yaml::from_str(&text).unwrap()
        };
        let base_path = doc["basePath"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| {
                let url = doc["servers"][0]["url"].as_str()?;
                let after_host = url.split_once("://")?.1;
                after_host.find('/').map(|at| after_host[at..].to_owned())
            })
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_owned();
        Spec { doc, base_path }
    }

    /// The security schemes (OpenAPI 3's `components.securitySchemes`, Swagger 2's
    /// `securityDefinitions`).
    fn security_schemes(&self) -> &Value {
        let components = &self.doc["components"]["securitySchemes"];
        if components.is_null() { &self.doc["securityDefinitions"] } else { components }
    }

    /// A request's path as the document's paths are written (its base path taken off).
    fn relative<'a>(&self, path: &'a str) -> &'a str {
        if self.base_path.is_empty() {
            return path;
        }
        path.strip_prefix(self.base_path.as_str()).filter(|rest| rest.starts_with('/')).unwrap_or(path)
    }

    /// Follows a local `$ref`.
    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        let mut value = value;
        for _ in 0..16 {
            let Some(reference) = value.get("$ref").and_then(Value::as_str) else { return value };
            let mut target = &self.doc;
            for part in reference.trim_start_matches("#/").split('/') {
                target = &target[part.replace("~1", "/").replace("~0", "~")];
            }
            value = target;
        }
        value
    }

    /// The path template and operation a request is for.
    pub fn operation(&self, method: &str, path: &str) -> Option<(&str, &Value)> {
        let paths = self.doc["paths"].as_object()?;
        let segments: Vec<&str> = self.relative(path).split('/').collect();
        paths.iter().find_map(|(template, item)| {
            let parts: Vec<&str> = template.split('/').collect();
            let matches = parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| (t.starts_with('{') && t.ends_with('}') && !s.is_empty()) || t == s);
            let operation = item.get(method.to_lowercase())?;
            matches.then_some((template.as_str(), operation))
        })
    }

    /// The statuses the operation documents (e.g. "200", "401", "4XX").
    pub fn statuses(&self, method: &str, path: &str) -> Vec<String> {
        self.operation(method, path)
            .and_then(|(_, op)| op["responses"].as_object().map(|r| r.keys().cloned().collect()))
            .unwrap_or_default()
    }

    /// What is wrong with `seen` according to the spec (empty: it follows the spec).
    pub fn violations(&self, seen: &Seen) -> Vec<String> {
        let mut wrong = Vec::new();
        let (path, query) = seen.url.split_once('?').unwrap_or((seen.url.as_str(), ""));
        let Some((template, operation)) = self.operation(&seen.method, path) else {
            return vec![format!("{} {path} is not an operation of the spec", seen.method)];
        };
        let query: Vec<(&str, &str)> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap_or((p, "")))
            .collect();
        let item = &self.doc["paths"][template];
        let parameters = item["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(operation["parameters"].as_array().into_iter().flatten());
        let mut known_query = Vec::new();
        for parameter in parameters {
            let parameter = self.resolve(parameter);
            let name = parameter["name"].as_str().unwrap_or("");
            let required = parameter["required"].as_bool().unwrap_or(false);
            let value = match parameter["in"].as_str() {
                Some("header") => seen.header(name).map(str::to_owned),
                Some("query") => {
                    known_query.push(name.to_owned());
                    query.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())
                }
                _ => continue,
            };
            match value {
                None if required => {
                    wrong.push(format!("the required {} parameter {name} is missing", parameter["in"]));
                }
                Some(value) => {
                    // Swagger 2 puts a parameter's type on the parameter itself.
                    let schema = match &parameter["schema"] {
                        Value::Null => parameter,
                        schema => self.resolve(schema),
                    };
                    wrong.extend(self.check_value(
                        &format!("parameter {name}"),
                        &Value::String(value),
                        schema,
                        true,
                    ));
                }
                None => {}
            }
        }
        for (name, _) in &query {
            if !known_query.iter().any(|k| k == name) {
                wrong.push(format!("the query parameter {name} is not documented"));
            }
        }
        wrong.extend(self.check_auth(operation, seen));
        wrong.extend(self.check_body(operation, seen));
        wrong.extend(self.check_accept(operation, seen));
        wrong
    }

    fn check_auth(&self, operation: &Value, seen: &Seen) -> Vec<String> {
        let requirements = operation.get("security").or_else(|| self.doc.get("security"));
        let schemes: Vec<&str> = requirements.and_then(Value::as_array).map_or_else(
            || {
                // No requirement stated: any scheme the document defines.
                self.security_schemes()
                    .as_object()
                    .map(|s| s.keys().map(String::as_str).collect())
                    .unwrap_or_default()
            },
            |list| {
                list.iter().filter_map(|r| r.as_object()).flat_map(|r| r.keys().map(String::as_str)).collect()
            },
        );
        let satisfied = schemes.iter().any(|name| {
            let scheme = &self.security_schemes()[*name];
            let authorization = |kind: &str| {
                seen.header("authorization")
                    .is_some_and(|v| v.to_lowercase().starts_with(&format!("{} ", kind.to_lowercase())))
            };
            match (scheme["type"].as_str(), scheme["scheme"].as_str()) {
                (Some("http"), Some(kind)) => authorization(kind),
                // An OAuth 2 access token is sent as a bearer token (RFC 6750).
                (Some("oauth2"), _) => authorization("bearer"),
                (Some("apiKey"), _) => {
                    let name = scheme["name"].as_str().unwrap_or("");
                    let prefix = if d_has_space(scheme) {
                        scheme["x-default"].as_str().and_then(|d| d.split(' ').next())
                    } else {
                        None
                    };
                    seen.header(name).is_some_and(|v| prefix.is_none_or(|p| v.starts_with(&format!("{p} "))))
                }
                _ => false,
            }
        });
        if satisfied || schemes.is_empty() {
            Vec::new()
        } else {
            vec![format!(
                "the request does not authenticate with a documented scheme ({})",
                schemes.join(", ")
            )]
        }
    }

    fn check_body(&self, operation: &Value, seen: &Seen) -> Vec<String> {
        let body_spec = operation.get("requestBody").map(|b| self.resolve(b));
        let content_type = seen.header("content-type");
        let Some(body_spec) = body_spec else {
            let mut wrong = Vec::new();
            if !seen.body.is_empty() || content_type.is_some() {
                wrong.push("the operation takes no body, but one was sent".to_owned());
            }
            if seen.header("content-length").is_some_and(|l| l != "0")
                || seen.header("transfer-encoding").is_some()
            {
                wrong.push("a bodyless request announced a body".to_owned());
            }
            return wrong;
        };
        let Some(content_type) = content_type else {
            return if body_spec["required"].as_bool().unwrap_or(false) {
                vec!["the required body is missing".to_owned()]
            } else {
                Vec::new()
            };
        };
        let media = content_type.split(';').next().unwrap_or("").trim();
        let Some(media_spec) = body_spec["content"].get(media) else {
            let documented: Vec<&String> =
                body_spec["content"].as_object().map(|c| c.keys().collect()).unwrap_or_default();
            return vec![format!("the body is {media}, but the spec documents {documented:?}")];
        };
        let schema = self.resolve(&media_spec["schema"]);
        match media {
            "application/json" | "application/vnd.api+json" => {
                match serde_json::from_str::<Value>(&seen.body) {
                    Ok(value) => self.check_value("body", &value, schema, false),
                    Err(_not_json) => vec!["the body is not JSON".to_owned()],
                }
            }
            "multipart/form-data" => match seen.multipart_fields() {
                Some(fields) => self.check_form(&fields, schema),
                None => vec!["the body is not multipart/form-data".to_owned()],
            },
            other => vec![format!("Keydesk's check has no reader for {other}")],
        }
    }

    fn check_accept(&self, operation: &Value, seen: &Seen) -> Vec<String> {
        let mut answered: Vec<String> = Vec::new();
        for response in operation["responses"].as_object().into_iter().flat_map(|r| r.values()) {
            let response = self.resolve(response);
            answered.extend(response["content"].as_object().into_iter().flat_map(|c| c.keys().cloned()));
        }
        // Swagger 2 lists the answers' media types in `produces` (the operation's, else the
        // document's).
        let produces = operation.get("produces").or_else(|| self.doc.get("produces"));
        answered.extend(
            produces
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned),
        );
        match seen.header("accept") {
            None => vec!["no Accept header: the provider may answer in another format".to_owned()],
            Some(accept)
                if answered.is_empty()
                    || answered.iter().any(|m| accept.split(',').any(|a| a.trim() == m)) =>
            {
                Vec::new()
            }
            Some(accept) => {
                vec![format!("Accept: {accept} asks for none of the documented answers {answered:?}")]
            }
        }
    }

    fn check_form(&self, fields: &[(String, String)], schema: &Value) -> Vec<String> {
        let mut wrong = Vec::new();
        let properties = schema["properties"].as_object();
        for required in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if !fields.iter().any(|(n, _)| n == required) {
                wrong.push(format!("the required field {required} is missing"));
            }
        }
        for (name, value) in fields {
            match properties.and_then(|p| p.get(name)) {
                Some(property) => {
                    let property = self.resolve(property);
                    wrong.extend(self.check_value(
                        &format!("field {name}"),
                        &Value::String(value.clone()),
                        property,
                        true,
                    ));
                }
                None => wrong.push(format!("the field {name} is not documented")),
            }
        }
        wrong
    }

    /// Checks `value` against `schema`; `text` says the value came as text (a form field or
    /// a parameter), so numbers and booleans are read from it.
    fn check_value(&self, what: &str, value: &Value, schema: &Value, text: bool) -> Vec<String> {
        let schema = self.resolve(schema);
        let mut wrong = Vec::new();
        if let Some(all) = schema["allOf"].as_array() {
            for part in all {
                wrong.extend(self.check_value(what, value, part, text));
            }
        }
        if let Some(allowed) = schema["enum"].as_array()
            && !allowed
                .iter()
                .any(|a| a == value || (text && a.as_str().is_none() && *a == value.as_str().unwrap_or("")))
        {
            wrong.push(format!("{what} is {value}, not one of {allowed:?}"));
        }
        let kind = schema["type"].as_str();
        let ok = match (kind, value) {
            (None, _) => true,
            (Some("string"), Value::String(_)) => true,
            (Some("integer"), Value::Number(n)) => n.is_i64() || n.is_u64(),
            (Some("integer"), Value::String(s)) if text => s.parse::<i64>().is_ok(),
            (Some("number"), Value::Number(_)) => true,
            (Some("number"), Value::String(s)) if text => s.parse::<f64>().is_ok(),
            (Some("boolean"), Value::Bool(_)) => true,
            (Some("boolean"), Value::String(s)) if text => s == "true" || s == "false",
            (Some("array"), Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    wrong.extend(self.check_value(&format!("{what}[{i}]"), item, &schema["items"], false));
                }
                true
            }
            (Some("object"), Value::Object(map)) => {
                for required in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str)
                {
                    if !map.contains_key(required) {
                        wrong.push(format!("{what} lacks the required {required}"));
                    }
                }
                for (name, field) in map {
                    match schema["properties"].get(name) {
                        Some(property) => {
                            wrong.extend(self.check_value(&format!("{what}.{name}"), field, property, false));
                        }
                        None if schema["additionalProperties"] == Value::Bool(false) => {
                            wrong.push(format!("{what}.{name} is not documented"));
                        }
                        None => {}
                    }
                }
                true
            }
            _ => false,
        };
        if !ok {
            wrong.push(format!("{what} should be of type {}", kind.unwrap_or("?")));
        }
        wrong
    }

    /// A documented example answer body for `status`, if the spec has one.
    pub fn example(&self, method: &str, path: &str, status: &str) -> Option<String> {
        let (_, operation) = self.operation(method, path)?;
        let response = self.resolve(operation["responses"].get(status)?);
        let content = response["content"].as_object()?.values().next()?;
        let example = content
            .get("example")
            .or_else(|| content["examples"].as_object()?.values().next()?.get("value"))?;
        Some(example.to_string())
    }
}

/// Klaviyo's apiKey scheme says its header value starts with a word (`Klaviyo-API-Key ...`).
fn d_has_space(scheme: &Value) -> bool {
    scheme["x-default"].as_str().is_some_and(|d| d.contains(' '))
}
