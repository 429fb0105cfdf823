//! Native messaging: the framing, the requests and replies, and the answering loop fed
//! garbage, cut-off and oversized messages.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use keydesk::browser::messaging::{
    ErrorCode, FrameError, MAX_MESSAGE, Reply, Request, StreamEnd, answer_stream, parse_request, read_frame,
    write_frame,
};
use keydesk::browser::origin::{Offer, OfferRole};
use keydesk::vault::model::KeyId;
use proptest::prelude::*;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use zeroize::Zeroizing;

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u32).to_ne_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

/// Every reply on `output`, as JSON; fails unless the output is whole frames of JSON objects
/// each at most 1 MiB.
fn replies(output: &[u8]) -> Vec<Value> {
    let mut reader = output;
    let mut found = Vec::new();
    while let Some(body) = read_frame(&mut reader).unwrap() {
        assert!(body.len() <= MAX_MESSAGE);
        let value: Value = serde_json::from_slice(&body).unwrap();
        assert!(value.is_object(), "a reply is an object: {value}");
        found.push(value);
    }
    found
}

/// Answers an offers request with one offer and a fill with the key "SG.secret".
fn answer(request: &Request, _body: &[u8]) -> Zeroizing<Vec<u8>> {
    match request {
        Request::Offers { id, .. } => Reply::Offers {
            id: *id,
            offers: vec![Offer {
                key: KeyId::from_stored("k1"),
                label: "SendGrid production".into(),
                provider: "SendGrid".into(),
                integration: "HubSpot".into(),
                role: OfferRole::RotationNew,
                to_test: true,
            }],
        }
        .encode(),
        Request::Fill { id, .. } => Reply::Fill { id: *id, value: SecretString::from("SG.secret") }.encode(),
        Request::Tested { id, integration, .. } => {
            Reply::Tested { id: *id, said: format!("{integration} is marked tested.") }.encode()
        }
        Request::Keys { id, .. } => Reply::Keys { id: *id, keys: Vec::new() }.encode(),
        Request::AddPage { id, .. } => {
            Reply::AddPage { id: *id, said: "Confirm in the window.".into() }.encode()
        }
        Request::Guard { id } => Reply::Guard { id: *id, on: true }.encode(),
        Request::CheckPaste { id, .. } => Reply::CheckPaste { id: *id, found: None, warning: None }.encode(),
    }
}

fn run(input: &[u8]) -> (StreamEnd, Vec<Value>) {
    let mut output = Vec::new();
    let end = answer_stream(&mut &input[..], &mut output, answer);
    (end, replies(&output))
}

#[test]
fn requests_are_answered_in_order_with_their_ids_and_bad_ones_get_one_error_each() {
    let mut input = Vec::new();
    for body in [
        r#"{"type":"offers","id":7,"origin":"https://app.hubspot.com"}"#,
        r#"not json at all"#,
        r#"{"type":"fill","id":3,"origin":"https://app.hubspot.com","key":"k1","integration":"HubSpot"}"#,
        r#"{"type":"launch_missiles","id":9}"#,
        r#"{"type":"offers","id":10,"origin":"https://a.example","extra":true}"#,
        r#"{"type":"offers","origin":"https://a.example"}"#,
        r#"[1,2,3]"#,
        "",
    ] {
        input.extend(frame(body.as_bytes()));
    }
    input.extend(frame(&[0xff, 0xfe, 0x00]));
    let (end, got) = run(&input);
    assert_eq!(end, StreamEnd::Closed);
    assert_eq!(got.len(), 9, "one reply per message");
    assert_eq!(got[0]["type"], "offers");
    assert_eq!(got[0]["id"], 7);
    assert_eq!(
        got[0]["offers"],
        json!([{"key": "k1", "label": "SendGrid production", "provider": "SendGrid", "integration": "HubSpot", "role": "rotation_new", "to_test": true}])
    );
    assert_eq!(
        got[1],
        json!({"type": "error", "id": null, "code": "bad_request", "error": "The message is not JSON text."})
    );
    assert_eq!(got[2], json!({"type": "fill", "id": 3, "value": "SG.secret"}));
    for (reply, id) in [(&got[3], json!(9)), (&got[4], json!(10)), (&got[5], json!(null))] {
        assert_eq!(reply["type"], "error");
        assert_eq!(reply["code"], "bad_request");
        assert_eq!(reply["id"], id, "the id is echoed when it can be read: {reply}");
        assert!(reply["error"].as_str().unwrap().starts_with("The message is not a request Keydesk knows"));
    }
    assert!(got[6..].iter().all(|r| r["code"] == "bad_request"));
}

#[test]
fn a_message_over_one_mib_gets_one_error_and_ends_the_stream_without_reading_it() {
    let mut input = ((MAX_MESSAGE + 1) as u32).to_ne_bytes().to_vec();
    input.extend(vec![b' '; MAX_MESSAGE + 1]);
    input.extend(frame(br#"{"type":"offers","id":1,"origin":"https://a.example"}"#));
    let (end, got) = run(&input);
    assert_eq!(end, StreamEnd::Broken(FrameError::TooLarge((MAX_MESSAGE + 1) as u64)));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["code"], "too_large");
    assert_eq!(
        got[0]["error"],
        "The message is 1048577 bytes long; Keydesk takes at most 1 MiB (1048576 bytes)."
    );
    // A length of 4 GiB is refused the same way, before anything is allocated.
    let (end, got) = run(&u32::MAX.to_ne_bytes());
    assert_eq!(end, StreamEnd::Broken(FrameError::TooLarge(u64::from(u32::MAX))));
    assert_eq!(got[0]["code"], "too_large");
}

#[test]
fn a_message_of_exactly_one_mib_is_read_and_answered() {
    let head = br#"{"type":"offers","id":5,"origin":""#;
    let tail = br#""}"#;
    let mut body = head.to_vec();
    body.extend(vec![b'a'; MAX_MESSAGE - head.len() - tail.len()]);
    body.extend(tail);
    assert_eq!(body.len(), MAX_MESSAGE);
    let (end, got) = run(&frame(&body));
    assert_eq!(end, StreamEnd::Closed);
    assert_eq!(got[0]["type"], "offers");
    assert_eq!(got[0]["id"], 5);
}

#[test]
fn a_cut_off_message_gets_one_error_and_ends_the_stream() {
    let whole = frame(br#"{"type":"offers","id":1,"origin":"https://a.example"}"#);
    for cut in [1, 3, 4, 10, whole.len() - 1] {
        let (end, got) = run(&whole[..cut]);
        assert!(matches!(end, StreamEnd::Broken(FrameError::Truncated { .. })), "cut at {cut}");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["code"], "bad_request");
    }
    assert_eq!(run(&[]), (StreamEnd::Closed, Vec::new()));
}

#[test]
fn a_reply_over_one_mib_becomes_an_error_reply() {
    let offer = Offer {
        key: KeyId::from_stored("k1"),
        label: "x".repeat(1000),
        provider: "SendGrid".into(),
        integration: "HubSpot".into(),
        role: OfferRole::Current,
        to_test: false,
    };
    let reply = Reply::Offers { id: 4, offers: vec![offer; 1100] }.encode();
    let value: Value = serde_json::from_slice(&reply).unwrap();
    assert_eq!(value["type"], "error");
    assert_eq!(value["id"], 4);
    assert_eq!(value["code"], "failed");
    let mut sink = Vec::new();
    assert_eq!(
        write_frame(&mut sink, &vec![0; MAX_MESSAGE + 1]),
        Err(FrameError::TooLarge(MAX_MESSAGE as u64 + 1))
    );
    assert!(sink.is_empty(), "nothing of an oversized message is written");
}

#[test]
fn requests_read_back_as_written() {
    let fill = Request::Fill {
        id: 1,
        origin: "https://a.example".into(),
        key: "k1".into(),
        integration: "HubSpot".into(),
    };
    assert_eq!(parse_request(&serde_json::to_vec(&fill).unwrap()).unwrap(), fill);
    let tested = Request::Tested {
        id: 3,
        origin: "https://a.example".into(),
        key: "k1".into(),
        integration: "HubSpot".into(),
    };
    let body = serde_json::to_vec(&tested).unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!({"type": "tested", "id": 3, "origin": "https://a.example", "key": "k1", "integration": "HubSpot"})
    );
    assert_eq!(parse_request(&body).unwrap(), tested);
    let said = Reply::Tested { id: 3, said: "HubSpot is marked tested.".into() }.encode();
    assert_eq!(
        serde_json::from_slice::<Value>(&said).unwrap(),
        json!({"type": "tested", "id": 3, "said": "HubSpot is marked tested."})
    );
    let error = Reply::error(
        Some(2),
        ErrorCode::NotRunning,
        "Keydesk is not running: open it and unlock your vault.",
    );
    let value: Value = serde_json::from_slice(&error.encode()).unwrap();
    assert_eq!(
        value,
        json!({"type": "error", "id": 2, "code": "not_running", "error": "Keydesk is not running: open it and unlock your vault."})
    );
}

#[test]
fn the_guards_requests_read_back_and_never_show_the_pasted_text() {
    use keydesk::browser::guard::{Found, Pasted};
    let body =
        br#"{"type":"check_paste","id":7,"origin":"https://example.org","text":"SG.abcdefghij0123456789"}"#;
    let request = parse_request(body).unwrap();
    assert_eq!(
        request,
        Request::CheckPaste {
            id: 7,
            origin: "https://example.org".into(),
            text: Pasted::new("SG.abcdefghij0123456789".into())
        }
    );
    assert!(!format!("{request:?}").contains("SG.abc"), "the text is never in Debug");
    assert_eq!(parse_request(br#"{"type":"guard","id":8}"#).unwrap(), Request::Guard { id: 8 });
    // Unknown fields (a page's path or text, say) and a text that is not a string are refused.
    for bad in [
        &br#"{"type":"check_paste","id":9,"origin":"https://example.org","text":"x","path":"/s"}"#[..],
        br#"{"type":"check_paste","id":9,"origin":"https://example.org","text":12}"#,
        br#"{"type":"check_paste","id":9,"origin":"https://example.org"}"#,
        br#"{"type":"guard","id":9,"origin":"https://example.org"}"#,
    ] {
        let refused = parse_request(bad).unwrap_err();
        assert_eq!(refused.id, Some(9));
        assert!(!refused.error.contains("SG."));
    }
    let found =
        Found { label: "SendGrid production".into(), provider: "SendGrid".into(), integration: false };
    let warning = found.warning("example.org");
    let reply = Reply::CheckPaste { id: 7, found: Some(found), warning };
    assert_eq!(
        serde_json::from_slice::<Value>(&reply.encode()).unwrap(),
        json!({
            "type": "check_paste", "id": 7,
            "found": {"label": "SendGrid production", "provider": "SendGrid", "integration": false},
            "warning": "This is SendGrid production; example.org is not one of its integrations."
        })
    );
    let nothing = Reply::CheckPaste { id: 7, found: None, warning: None }.encode();
    assert_eq!(serde_json::from_slice::<Value>(&nothing).unwrap(), json!({"type": "check_paste", "id": 7}));
    let on = Reply::Guard { id: 8, on: false }.encode();
    assert_eq!(serde_json::from_slice::<Value>(&on).unwrap(), json!({"type": "guard", "id": 8, "on": false}));
}

fn request_bodies() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        "\\PC{0,40}".prop_map(String::into_bytes),
        (any::<u64>(), "\\PC{0,20}").prop_map(|(id, origin)| {
            json!({"type": "offers", "id": id, "origin": origin}).to_string().into_bytes()
        }),
        (any::<u64>(), "\\PC{0,20}", "[a-z0-9]{0,4}", "\\PC{0,10}").prop_map(
            |(id, origin, key, integration)| {
                json!({"type": "tested", "id": id, "origin": origin, "key": key, "integration": integration})
                    .to_string()
                    .into_bytes()
            }
        ),
        (any::<u64>(), "[a-z_]{0,10}")
            .prop_map(|(id, kind)| json!({"type": kind, "id": id}).to_string().into_bytes()),
        (any::<u64>(), "\\PC{0,20}", "\\PC{0,40}").prop_map(|(id, origin, text)| {
            json!({"type": "check_paste", "id": id, "origin": origin, "text": text}).to_string().into_bytes()
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn random_bytes_get_whole_json_replies_and_never_a_panic(input in prop::collection::vec(any::<u8>(), 0..200)) {
        let mut output = Vec::new();
        let _end = answer_stream(&mut &input[..], &mut output, answer);
        let got = replies(&output);
        for reply in &got {
            let kind = reply["type"].as_str().unwrap();
            prop_assert!(["offers", "fill", "tested", "error"].contains(&kind));
        }
    }

    #[test]
    fn well_framed_messages_each_get_exactly_one_reply_with_their_id(
        bodies in prop::collection::vec(request_bodies(), 0..12)
    ) {
        let input: Vec<u8> = bodies.iter().flat_map(|b| frame(b)).collect();
        let (end, got) = run(&input);
        prop_assert_eq!(end, StreamEnd::Closed);
        prop_assert_eq!(got.len(), bodies.len());
        for (body, reply) in bodies.iter().zip(&got) {
            if let Ok(request) = parse_request(body) {
                prop_assert_eq!(reply["id"].as_u64(), Some(request.id()));
                prop_assert_ne!(reply["type"].as_str(), Some("error"));
            } else {
                prop_assert_eq!(reply["type"].as_str(), Some("error"));
            }
        }
    }

    #[test]
    fn a_filled_secret_reads_back_exactly(secret in "\\PC{0,64}|[\\x00-\\x1f\"\\\\]{0,16}", id in any::<u64>()) {
        let reply = Reply::Fill { id, value: SecretString::from(secret.clone()) }.encode();
        let value: Value = serde_json::from_slice(&reply).unwrap();
        prop_assert_eq!(value["value"].as_str(), Some(secret.as_str()));
        prop_assert_eq!(value["id"].as_u64(), Some(id));
    }
}

/// Which key a generated request names: one of the vault's (by index) or one it never had.
#[derive(Debug, Clone)]
enum KeyPick {
    Real(usize),
    Made(String),
}

/// A well-formed request for something never offered (a fill, a mark, a page proposed).
#[derive(Debug, Clone)]
enum Asked {
    Fill {
        key: KeyPick,
        integration: String,
        origin: usize,
    },
    Tested {
        key: KeyPick,
        integration: String,
        origin: usize,
    },
    AddPage {
        key: KeyPick,
        origin: usize,
    },
    /// A paste checked while the leak guard is off (the vault's default): `Some(i)` pastes key
    /// `i`'s secret, `None` other text.
    Paste {
        key: Option<usize>,
        text: String,
        origin: usize,
    },
}

/// Page origins: (origin, a plain https origin?, the index of the vault's key offered there).
const ORIGINS: &[(&str, bool, Option<usize>)] = &[
    ("https://crm.example.test", true, Some(0)),
    ("https://shop.example.test", true, Some(1)),
    ("https://crm.example.test.evil.example", true, None),
    ("https://eu.crm.example.test", true, None),
    ("https://crm.example.test:8443", true, None),
    ("https://wiki.example.test", true, None),
    ("http://crm.example.test", false, None),
    ("http://wiki.example.test", false, None),
    ("https://127.0.0.1", false, None),
    ("https://[::1]", false, None),
    ("https://user@crm.example.test", false, None),
    ("https://crm.example.test/s", false, None),
    ("crm.example.test", false, None),
    ("", false, None),
];

fn key_pick() -> impl Strategy<Value = KeyPick> {
    prop_oneof![(0usize..2).prop_map(KeyPick::Real), "[a-z0-9-]{0,12}".prop_map(KeyPick::Made)]
}

fn asked() -> impl Strategy<Value = Asked> {
    let integration = prop_oneof![
        Just("CRM".to_owned()),
        Just("crm".to_owned()),
        Just("Zapier".to_owned()),
        Just("Shop".to_owned()),
        "\\PC{0,12}"
    ];
    let origin = 0..ORIGINS.len();
    prop_oneof![
        (key_pick(), integration.clone(), origin.clone())
            .prop_map(|(key, integration, origin)| Asked::Fill { key, integration, origin }),
        (key_pick(), integration, origin.clone()).prop_map(|(key, integration, origin)| Asked::Tested {
            key,
            integration,
            origin
        }),
        (key_pick(), origin.clone()).prop_map(|(key, origin)| Asked::AddPage { key, origin }),
        (prop::option::of(0usize..2), "\\PC{0,30}", origin).prop_map(|(key, text, origin)| Asked::Paste {
            key,
            text,
            origin
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Out-of-order requests (a fill, a mark, a page proposed, before any offer, repeated; a
    /// paste checked while the leak guard is off)
    /// through the window's own answering path (`answer::decide`, `actions::fill::carry_out`)
    /// over a real vault: one reply each, an error for all but a page proposed for a key that
    /// can take it, and no secret, no audit line, no change to the vault for any of them.
    #[test]
    fn requests_for_what_was_never_offered_each_get_one_error_and_change_nothing(
        sequence in prop::collection::vec(asked(), 1..10),
        repeats in 1usize..3,
    ) {
        use keydesk::actions::fill::carry_out;
        use keydesk::browser::answer::decide;

        let mut fixture = crate::common::fixture();
        let mut ids = Vec::new();
        let mut secrets = Vec::new();
        for (label, integrations) in
            [("CRM mail", vec!["CRM=https://crm.example.test/s", "Zapier"]), ("Shop mail", vec!["Shop=https://shop.example.test/x"])]
        {
            let meta = keydesk::vault::meta::KeyMeta {
                integrations: integrations.iter().map(|i| keydesk::vault::meta::parse_integration(i)).collect(),
                ..keydesk::vault::meta::KeyMeta::labelled(label)
            };
            let request = keydesk::vault::AddRequest {
                meta,
                provider: Some(keydesk::providers::Provider::SendGrid),
                ..keydesk::vault::AddRequest::default()
            };
            let secret = SecretString::from(crate::common::sendgrid_key());
            secrets.push(secret.expose_secret().to_owned());
            ids.push(fixture.vault.add(request, &secret).unwrap().0);
        }
        let (file_before, audit_before) = (fixture.storage.last_save(), fixture.vault.audit_text().unwrap());

        let mut sent = Vec::new();
        let mut input = Vec::new();
        for (n, asked) in sequence.iter().cycle().take(sequence.len() * repeats).enumerate() {
            let name = |key: &KeyPick| match key {
                KeyPick::Real(i) => ids[*i].as_str().to_owned(),
                KeyPick::Made(made) => made.clone(),
            };
            let id = n as u64;
            let (body, proposal_ok) = match asked {
                Asked::Fill { key, integration, origin } => {
                    let (page, _, owner) = ORIGINS[*origin];
                    // The one fill that is offered: CRM's key for CRM on its page (any case).
                    let offered = matches!(key, KeyPick::Real(i) if Some(*i) == owner)
                        && integration.eq_ignore_ascii_case(if owner == Some(0) { "CRM" } else { "Shop" });
                    if offered {
                        continue;
                    }
                    (json!({"type": "fill", "id": id, "origin": page, "key": name(key), "integration": integration}), false)
                }
                Asked::Tested { key, integration, origin } => {
                    let page = ORIGINS[*origin].0;
                    (json!({"type": "tested", "id": id, "origin": page, "key": name(key), "integration": integration}), false)
                }
                Asked::AddPage { key, origin } => {
                    let (page, plain, owner) = ORIGINS[*origin];
                    let ok = plain && matches!(key, KeyPick::Real(i) if Some(*i) != owner);
                    (json!({"type": "add_page", "id": id, "origin": page, "key": name(key)}), ok)
                }
                Asked::Paste { key, text, origin } => {
                    let text = key.map_or_else(|| text.clone(), |i| secrets[i].clone());
                    (json!({"type": "check_paste", "id": id, "origin": ORIGINS[*origin].0, "text": text}), false)
                }
            };
            input.extend(frame(body.to_string().as_bytes()));
            sent.push((id, proposal_ok));
        }

        let mut output = Vec::new();
        let mut proposed = 0;
        let end = answer_stream(&mut &input[..], &mut output, |request, _body| {
            let decided = decide(fixture.vault.keys(), request);
            let answered = carry_out(&mut fixture.vault, decided, "Test browser (profile folder /tmp/p)");
            proposed += usize::from(answered.proposed.is_some());
            answered.reply.encode()
        });
        prop_assert_eq!(end, StreamEnd::Closed);
        let got = replies(&output);
        prop_assert_eq!(got.len(), sent.len(), "one reply per request");
        for ((id, proposal_ok), reply) in sent.iter().zip(&got) {
            prop_assert_eq!(reply["id"].as_u64(), Some(*id));
            prop_assert!(reply.get("value").is_none(), "no secret: {}", reply);
            if *proposal_ok {
                prop_assert_eq!(reply["type"].as_str(), Some("add_page"), "{}", reply);
                prop_assert!(reply["said"].as_str().unwrap().contains("answer there"), "{}", reply);
            } else {
                prop_assert_eq!(reply["type"].as_str(), Some("error"), "{}", reply);
                prop_assert_eq!(reply["code"].as_str(), Some("refused"), "{}", reply);
            }
        }
        prop_assert_eq!(proposed, sent.iter().filter(|(_, ok)| *ok).count(), "a proposal only waits for the window");
        prop_assert_eq!(fixture.storage.last_save(), file_before, "the vault is unchanged");
        prop_assert_eq!(fixture.vault.audit_text().unwrap(), audit_before, "no audit line");
    }
}
