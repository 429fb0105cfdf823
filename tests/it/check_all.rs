//! Check every key against local servers on 127.0.0.1, one per provider, that answer as the
//! providers document (200, 401, 403, 429 with `Retry-After`, 5xx, a slow answer) and count
//! the requests they hold open at once; then the health findings those answers make. No
//! assertion on how long anything took.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]
#![allow(
    clippy::disallowed_methods,
    reason = "tests and tools read the real clock and start their own threads"
)]

use crate::common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{ALNUM, HEX, fixture, random_chars};
use keydesk::actions::check_all::{self, Event, Patience, Verdict};
use keydesk::providers::Provider;
use keydesk::vault::model::{KeyId, VerifyOutcome};
use keydesk::vault::{AccountRequest, AddRequest, meta::KeyMeta};
use secrecy::SecretString;

/// How a key's provider answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Works,
    Refused,
    Forbidden,
    /// 429 with `Retry-After: 1` the first time, then 200.
    LimitedOnce,
    /// 429 with `Retry-After` as an HTTP date 2 s ahead, then 200.
    LimitedUntilDate,
    /// 429 asking for two minutes: more than Keydesk waits.
    LimitedLong,
    Trouble,
    /// 200 after 1.5 s.
    Slow,
    /// 200, SendGrid's `/v3/scopes` listing a full-access key's scopes.
    FullAccess,
    /// 200, and IAM's `GetAccessKeyLastUsed` names this day (Amazon SES).
    UsedOn(chrono::DateTime<chrono::Utc>),
}

/// A 200's body as the provider documents it: STS's `GetCallerIdentityResponse`, IAM's
/// `GetAccessKeyLastUsedResponse`, SendGrid's `{"scopes": [...]}`, else an empty object.
fn ok_body(url: &str, form: &str, answer: Option<&Answer>) -> (String, &'static str) {
    if form.contains("Action=GetCallerIdentity") {
        let body = "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/smtp</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>";
        return (body.to_owned(), "text/xml");
    }
    if form.contains("Action=GetAccessKeyLastUsed") {
        let used = match answer {
            Some(Answer::UsedOn(at)) => format!(
                "<Region>us-east-1</Region><LastUsedDate>{}</LastUsedDate><ServiceName>ses</ServiceName>",
                at.format("%Y-%m-%dT%H:%M:%SZ")
            ),
            _ => "<Region>N/A</Region><ServiceName>N/A</ServiceName>".to_owned(),
        };
        let body = format!(
            "<GetAccessKeyLastUsedResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetAccessKeyLastUsedResult><AccessKeyLastUsed>{used}</AccessKeyLastUsed><UserName>smtp</UserName></GetAccessKeyLastUsedResult></GetAccessKeyLastUsedResponse>"
        );
        return (body, "text/xml");
    }
    if url.ends_with("/v3/scopes") {
        let scopes = if answer == Some(&Answer::FullAccess) {
            r#"["api_keys.create","api_keys.delete","api_keys.read","api_keys.update","mail.send","marketing.read","suppression.delete","user.profile.update"]"#
        } else {
            r#"["mail.send"]"#
        };
        return (format!(r#"{{"scopes":{scopes}}}"#), "application/json");
    }
    ("{}".to_owned(), "application/json")
}

/// A provider's local server: many threads, so it could hold more requests open than
/// Keydesk may send; it counts the ones open at once.
struct Server {
    url: String,
    open: Arc<AtomicUsize>,
    most_open: Arc<AtomicUsize>,
    /// Each key's requests, by when they arrived.
    seen: Arc<Mutex<HashMap<String, Vec<Instant>>>>,
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(answers: &Arc<HashMap<String, Answer>>, delay: Duration) -> Server {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let port = server.server_addr().to_ip().unwrap().port();
        let open = Arc::new(AtomicUsize::new(0));
        let most_open = Arc::new(AtomicUsize::new(0));
        let seen: Arc<Mutex<HashMap<String, Vec<Instant>>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..24)
            .map(|_| {
                let (server, open, most_open, seen, stop, answers) = (
                    server.clone(),
                    open.clone(),
                    most_open.clone(),
                    seen.clone(),
                    stop.clone(),
                    answers.clone(),
                );
                std::thread::spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        let Ok(Some(mut request)) = server.recv_timeout(Duration::from_millis(20)) else {
                            continue;
                        };
                        let mut form = String::new();
                        let _unread = std::io::Read::read_to_string(request.as_reader(), &mut form);
                        let now_open = open.fetch_add(1, Ordering::SeqCst) + 1;
                        most_open.fetch_max(now_open, Ordering::SeqCst);
                        // The key is the last word of whichever header carries it; an AWS key
                        // ("id:secret") is named by the access key id IAM is asked about, else
                        // by the one that signed.
                        let aws_id = form
                            .split('&')
                            .find_map(|f| f.strip_prefix("AccessKeyId="))
                            .map(str::to_owned)
                            .or_else(|| {
                                request.headers().iter().find_map(|h| {
                                    let signed = h.value.as_str().split("Credential=").nth(1)?;
                                    signed.split('/').next().map(str::to_owned)
                                })
                            });
                        let key = aws_id
                            .and_then(|id| answers.keys().find(|k| k.starts_with(&format!("{id}:"))).cloned())
                            .or_else(|| {
                                request
                                    .headers()
                                    .iter()
                                    .filter_map(|h| h.value.as_str().split_whitespace().last())
                                    .find(|word| answers.contains_key(*word))
                                    .map(str::to_owned)
                            })
                            .unwrap_or_default();
                        let times = {
                            let mut seen = seen.lock().unwrap();
                            let times = seen.entry(key.clone()).or_default();
                            times.push(Instant::now());
                            times.len()
                        };
                        std::thread::sleep(delay);
                        let (status, retry_after) = match answers.get(&key) {
                            None | Some(Answer::Refused) => (401, None),
                            Some(Answer::Works | Answer::FullAccess | Answer::UsedOn(_)) => (200, None),
                            Some(Answer::Forbidden) => (403, None),
                            Some(Answer::LimitedOnce) if times == 1 => (429, Some("1".to_owned())),
                            Some(Answer::LimitedUntilDate) if times == 1 => {
                                let at = chrono::Utc::now() + chrono::Duration::seconds(2);
                                (429, Some(at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()))
                            }
                            Some(Answer::LimitedOnce | Answer::LimitedUntilDate) => (200, None),
                            Some(Answer::LimitedLong) => (429, Some("120".to_owned())),
                            Some(Answer::Trouble) => (503, None),
                            Some(Answer::Slow) => {
                                std::thread::sleep(Duration::from_millis(1500));
                                (200, None)
                            }
                        };
                        let (body, content_type) = if status == 200 {
                            ok_body(request.url(), &form, answers.get(&key))
                        } else {
                            ("{}".to_owned(), "application/json")
                        };
                        let mut response =
                            tiny_http::Response::from_string(body).with_status_code(status).with_header(
                                tiny_http::Header::from_bytes(&b"Content-Type"[..], content_type.as_bytes())
                                    .unwrap(),
                            );
                        if let Some(value) = retry_after {
                            response.add_header(
                                tiny_http::Header::from_bytes(&b"Retry-After"[..], value.as_bytes()).unwrap(),
                            );
                        }
                        // No longer open once answered.
                        open.fetch_sub(1, Ordering::SeqCst);
                        let _client_gone = request.respond(response);
                    }
                })
            })
            .collect();
        Server { url: format!("http://127.0.0.1:{port}"), open, most_open, seen, stop, threads }
    }

    fn requests_for(&self, key: &str) -> Vec<Instant> {
        self.seen.lock().unwrap().get(key).cloned().unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for thread in self.threads.drain(..) {
            let _joined = thread.join();
        }
    }
}

/// A provider and how to make a key of its shape.
type ProviderKeys = (Provider, fn() -> String);

/// The eight providers of the test (their keys travel in a header, last word), with a key
/// of each's shape.
fn providers() -> Vec<ProviderKeys> {
    vec![
        (Provider::SendGrid, || format!("SG.{}.{}", random_chars(ALNUM, 22), random_chars(ALNUM, 43))),
        (Provider::Brevo, || format!("xkeysib-{}-{}", random_chars(HEX, 64), random_chars(ALNUM, 16))),
        (Provider::Klaviyo, || format!("pk_{}", random_chars(HEX, 34))),
        (Provider::Kit, || format!("kit_{}", random_chars(ALNUM, 32))),
        (Provider::MailerLite, || random_chars(ALNUM, 80)),
        (Provider::ElasticEmail, || random_chars(&HEX.to_uppercase(), 96)),
        (Provider::GetResponse, || random_chars("abcdefghijklmnopqrstuvwxyz0123456789", 32)),
        (Provider::ConstantContact, || {
            format!("eyJ{}.{}.{}", random_chars(ALNUM, 30), random_chars(ALNUM, 200), random_chars(ALNUM, 40))
        }),
    ]
}

/// A vault of `count` keys spread over the eight providers, each provider's account pointing
/// at its local server; `plant(n)` says how the n-th key is answered.
struct Bench {
    f: common::Fixture,
    servers: HashMap<Provider, Server>,
    keys: Vec<(KeyId, Provider, String, Answer)>,
}

fn bench(count: usize, delay: Duration, plant: impl Fn(usize) -> Answer) -> Bench {
    bench_of(&providers(), count, delay, plant, |_, _| {})
}

/// [`bench`] at these providers, `dress(n, meta)` saying what else the n-th key's record
/// holds (integrations, a rotation period). An Amazon SES account gets a management key, as
/// IAM's last-use answers for a revoked key need one.
fn bench_of(
    list: &[ProviderKeys],
    count: usize,
    delay: Duration,
    plant: impl Fn(usize) -> Answer,
    dress: impl Fn(usize, &mut KeyMeta),
) -> Bench {
    let mut f = fixture();
    let mut secrets: Vec<(Provider, String, Answer)> = Vec::new();
    for n in 0..count {
        let (provider, make) = list[n % list.len()];
        secrets.push((provider, make(), plant(n)));
    }
    let answers: Arc<HashMap<String, Answer>> =
        Arc::new(secrets.iter().map(|(_, key, answer)| (key.clone(), *answer)).collect());
    let mut servers = HashMap::new();
    let mut accounts = HashMap::new();
    for (provider, _) in list {
        let server = Server::start(&answers, delay);
        let request = AccountRequest {
            name: provider.name().to_owned(),
            provider: *provider,
            region: None,
            base_url: Some(server.url.clone()),
        };
        let management = (*provider == Provider::AmazonSes).then(|| SecretString::from(aws_key()));
        accounts.insert(*provider, f.vault.add_account(request, management.as_ref()).unwrap());
        servers.insert(*provider, server);
    }
    let mut keys = Vec::new();
    for (n, (provider, secret, answer)) in secrets.into_iter().enumerate() {
        let mut meta = KeyMeta::labelled(&format!("{} {n}", provider.name()));
        dress(n, &mut meta);
        let request = AddRequest {
            meta,
            provider: Some(provider),
            account: Some(accounts[&provider].clone()),
            ..Default::default()
        };
        let (id, _) = f.vault.add(request, &SecretString::from(secret.as_str())).unwrap();
        keys.push((id, provider, secret, answer));
    }
    Bench { f, servers, keys }
}

/// An AWS access key as Keydesk keeps it: "id:secret".
fn aws_key() -> String {
    format!("AKIA{}:{}", random_chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16), random_chars(ALNUM, 40))
}

fn client() -> keydesk::providers::http::Client {
    keydesk::actions::client()
}

fn verify_lines(audit: &str, id: &KeyId) -> usize {
    audit.lines().filter(|line| line.contains("Verify") && line.contains(id.as_str())).count()
}

#[test]
fn three_hundred_keys_at_eight_providers_within_each_ones_limit() {
    let plant = |n: usize| match n % 50 {
        3 | 29 => Answer::Refused,
        7 => Answer::Forbidden,
        11 | 36 => Answer::LimitedOnce,
        19 => Answer::LimitedUntilDate,
        23 => Answer::Trouble,
        44 if n < 100 => Answer::Slow,
        _ => Answer::Works,
    };
    let mut b = bench(300, Duration::from_millis(20), plant);
    let ids: Vec<KeyId> = check_all::select(b.f.vault.keys(), None);
    assert_eq!(ids.len(), 300);
    let (plans, not_planned) = check_all::plan_all(&b.f.vault, &ids);
    assert!(not_planned.is_empty());
    let mut verdicts = HashMap::new();
    let cancel = AtomicBool::new(false);
    let vault = &mut b.f.vault;
    let ended = check_all::run(&plans, &client(), &Patience::default(), &cancel, &mut |event| match event {
        Event::Checked(checked) => {
            let recorded = check_all::record(vault, checked).unwrap();
            verdicts.insert(recorded.key_id.clone(), (recorded.verdict(), recorded.outcome));
        }
        Event::Stopped { why, .. } => panic!("nothing should stop: {why}"),
    });
    assert_eq!(ended, check_all::Ended { left: 0, cancelled: false });
    assert_eq!(verdicts.len(), 300, "every key answered once");

    for (provider, server) in &b.servers {
        let most = server.most_open.load(Ordering::SeqCst);
        assert!(
            most <= provider.concurrency(),
            "{provider}: {most} requests open at once, more than its {}",
            provider.concurrency()
        );
        assert_eq!(server.open.load(Ordering::SeqCst), 0);
    }
    let together: usize = b.servers.values().map(|s| s.most_open.load(Ordering::SeqCst)).sum();
    assert!(together > b.servers.len(), "keys were checked several at once");

    let audit = b.f.storage.audit();
    for (id, provider, secret, answer) in &b.keys {
        let (verdict, outcome) = &verdicts[id];
        let expected = match answer {
            Answer::Works
            | Answer::FullAccess
            | Answer::UsedOn(_)
            | Answer::LimitedOnce
            | Answer::LimitedUntilDate
            | Answer::Slow => Verdict::Works,
            Answer::Refused => Verdict::Refused,
            Answer::Forbidden | Answer::Trouble | Answer::LimitedLong => Verdict::CouldNotTell,
        };
        assert_eq!(*verdict, expected, "{provider} {answer:?}: {outcome:?}");
        let requests = b.servers[provider].requests_for(secret);
        match answer {
            // Every 429 waited out: asked again, no sooner than Retry-After said.
            Answer::LimitedOnce | Answer::LimitedUntilDate => {
                assert_eq!(requests.len(), 2, "{provider} {answer:?}");
                let waited = requests[1] - requests[0];
                assert!(waited >= Duration::from_secs(1), "{provider}: asked again after {waited:?}");
            }
            _ => assert_eq!(requests.len(), 1, "{provider} {answer:?}"),
        }
        // Recorded on the key and in the audit log, once.
        let record = b.f.vault.keys().iter().find(|k| &k.id == id).unwrap();
        assert_eq!(record.last_verified.as_ref().map(|v| &v.outcome), outcome.as_ref().ok());
        assert_eq!(verify_lines(&audit, id), 1, "{provider} {answer:?}");
    }
    assert!(verdicts.values().any(|(v, o)| {
        *v == Verdict::CouldNotTell && matches!(o, Ok(VerifyOutcome::ProviderTrouble { .. }))
    }));
    b.f.vault.verify_audit().unwrap();
}

#[test]
fn a_cancel_halfway_keeps_the_answers_so_far() {
    let mut b = bench(120, Duration::from_millis(10), |_| Answer::Works);
    let ids = check_all::select(b.f.vault.keys(), None);
    let (plans, _) = check_all::plan_all(&b.f.vault, &ids);
    let cancel = AtomicBool::new(false);
    let mut answered = Vec::new();
    let vault = &mut b.f.vault;
    let ended = check_all::run(&plans, &client(), &Patience::default(), &cancel, &mut |event| {
        if let Event::Checked(checked) = event {
            answered.push(check_all::record(vault, checked).unwrap().key_id);
            if answered.len() == 60 {
                cancel.store(true, Ordering::Relaxed);
            }
        }
    });
    assert!(ended.cancelled);
    // The requests already sent when Cancel came are answered and kept; nothing more is sent.
    assert!(answered.len() >= 60 && answered.len() < 120, "{} answered", answered.len());
    assert_eq!(ended.left, 120 - answered.len());
    let sent: usize = b.servers.values().map(|s| s.seen.lock().unwrap().len()).sum();
    assert_eq!(sent, answered.len(), "no request after the cancel went unrecorded");
    let audit = b.f.storage.audit();
    for (id, ..) in &b.keys {
        let record = b.f.vault.keys().iter().find(|k| &k.id == id).unwrap();
        let was_answered = answered.contains(id);
        assert_eq!(record.last_verified.is_some(), was_answered);
        assert_eq!(verify_lines(&audit, id), usize::from(was_answered));
    }
    // What was learnt survives a lock and unlock (it was saved as it came).
    let f = b.f.reopen(common::PASSWORD).unwrap();
    assert_eq!(f.vault.keys().iter().filter(|k| k.last_verified.is_some()).count(), answered.len());
}

#[test]
fn a_retry_after_longer_than_a_minute_stops_that_provider_alone() {
    // Kit's first key asks for two minutes; the other providers go on.
    let mut b = bench(32, Duration::ZERO, |n| if n == 3 { Answer::LimitedLong } else { Answer::Works });
    let ids = check_all::select(b.f.vault.keys(), None);
    let (plans, _) = check_all::plan_all(&b.f.vault, &ids);
    let cancel = AtomicBool::new(false);
    let (mut checked, mut stopped) = (Vec::new(), Vec::new());
    let vault = &mut b.f.vault;
    check_all::run(&plans, &client(), &Patience::default(), &cancel, &mut |event| match event {
        Event::Checked(done) => checked.push((done.provider, check_all::record(vault, done).unwrap())),
        Event::Stopped { provider, keys, why } => stopped.push((provider, keys, why)),
    });
    assert_eq!(stopped.len(), 1);
    let (provider, keys, why) = &stopped[0];
    assert_eq!(*provider, Provider::Kit);
    assert!(why.contains("Kit asked Keydesk to wait 2 min"), "{why}");
    assert!(why.contains("remaining keys were not checked"), "{why}");
    let kit_checked = checked.iter().filter(|(p, _)| *p == Provider::Kit).count();
    assert_eq!(kit_checked + keys.len(), 4, "each Kit key either answered or named as not checked");
    assert_eq!(checked.len() + keys.len(), 32);
    assert!(checked.iter().all(|(_, r)| r.verdict() == Verdict::Works));
    // The stopped keys' state is left as it was: nothing recorded for them.
    for id in keys {
        assert!(b.f.vault.keys().iter().find(|k| &k.id == id).unwrap().last_verified.is_none());
    }
}

#[test]
fn the_command_checks_every_key_and_says_what_each_answered() {
    let (works, refused) = (
        format!("xkeysib-{}-{}", random_chars(HEX, 64), random_chars(ALNUM, 16)),
        format!("xkeysib-{}-{}", random_chars(HEX, 64), random_chars(ALNUM, 16)),
    );
    let answers: HashMap<String, Answer> =
        [(works.clone(), Answer::LimitedOnce), (refused.clone(), Answer::Refused)].into_iter().collect();
    let brevo = Server::start(&Arc::new(answers), Duration::ZERO);
    let cli = common::Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    cli.ok(&["account", "add", "--provider", "brevo", "--name", "Brevo", "--base-url", &brevo.url], "");
    cli.ok(&["add", "--label", "Brevo CRM", "--account", "Brevo"], &works);
    cli.ok(&["add", "--label", "Brevo old", "--account", "Brevo"], &refused);
    let generated = cli.ok(&["generate", "--label", "Webhook"], "");
    assert!(!generated.is_empty());

    let output = cli.run(&["verify", "--all", "--json"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "a refused key fails the command: {stderr}");
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        answer["summary"],
        serde_json::json!({"works": 1, "refused": 1, "could_not_tell": 0, "not_checked": 0})
    );
    let keys = answer["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "the Keydesk key has no provider to ask: {answer}");
    assert!(keys.iter().any(|k| k["outcome"] == "refused" && k["http_status"] == 401));
    assert!(stderr.contains("Checked 2 of 2 · 0 left"), "{stderr}");
    assert!(stderr.contains("Checked 2 keys: 1 works · 1 refused · 0 could not tell."), "{stderr}");
    for secret in [&works, &refused] {
        assert!(
            !stderr.contains(secret.as_str())
                && !String::from_utf8_lossy(&output.stdout).contains(secret.as_str())
        );
    }
    // Recorded on each key, in the audit log.
    let shown: serde_json::Value =
        serde_json::from_str(&cli.ok(&["show", "Brevo old", "--json"], "")).unwrap();
    assert!(shown.to_string().contains("refused"), "{shown}");
    let audit = cli.ok(&["audit", "--json"], "");
    assert_eq!(audit.matches("\"verify\"").count() + audit.matches("\"Verify\"").count(), 2, "{audit}");

    // Only one provider's keys, and a provider Keydesk does not know.
    let output = cli.run(&["verify", "--all", "--provider", "sendgrid"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stderr).contains("No active key to check"));
    let output = cli.run(&["verify", "--all", "--provider", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not a provider Keydesk knows"));
}

/// Not a test: `cargo test --release --test check_all -- --ignored --nocapture` prints how long
/// 1,000 keys take against local servers answering in 20 ms, the vault on disk (each answer
/// saved as it arrives: vault.ron rewritten, the audit line appended, fsynced).
#[test]
#[ignore = "a benchmark: run it by name"]
fn benchmark_a_thousand_keys_answering_in_20_ms() {
    use keydesk::storage::disk::VaultDir;
    use keydesk::vault::crypto::KdfParams;
    use keydesk::vault::model::SecretBackend;
    use keydesk::vault::{CreateOptions, Env, Vault};
    let dir = tempfile::tempdir().unwrap();
    let store = keydesk::secrets::memory::MemoryStore::new();
    let env = Env {
        store: Box::new(store),
        storage: Box::new(VaultDir::create(&dir.path().join("vault")).unwrap()),
        clock: Box::new(common::TestClock::new()),
        rng: common::rng(7),
    };
    let options = CreateOptions { backend: SecretBackend::Keychain, kdf: KdfParams::MIN };
    let mut vault = Vault::create(env, &SecretString::from(common::PASSWORD), options).unwrap();
    let list = providers();
    let secrets: Vec<(Provider, String)> = (0..1000).map(|n| (list[n % 8].0, (list[n % 8].1)())).collect();
    let answers: Arc<HashMap<String, Answer>> =
        Arc::new(secrets.iter().map(|(_, key)| (key.clone(), Answer::Works)).collect());
    let mut servers = Vec::new();
    let mut accounts = HashMap::new();
    for (provider, _) in &list {
        let server = Server::start(&answers, Duration::from_millis(20));
        let request = AccountRequest {
            name: provider.name().to_owned(),
            provider: *provider,
            region: None,
            base_url: Some(server.url.clone()),
        };
        accounts.insert(*provider, vault.add_account(request, None).unwrap());
        servers.push(server);
    }
    for (n, (provider, secret)) in secrets.iter().enumerate() {
        let request = AddRequest {
            meta: KeyMeta::labelled(&format!("{} {n}", provider.name())),
            provider: Some(*provider),
            account: Some(accounts[provider].clone()),
            ..Default::default()
        };
        vault.add(request, &SecretString::from(secret.as_str())).unwrap();
    }
    let started = Instant::now();
    let ids = check_all::select(vault.keys(), None);
    let (plans, _) = check_all::plan_all(&vault, &ids);
    let planned = started.elapsed();
    let cancel = AtomicBool::new(false);
    let mut works = 0;
    check_all::run(&plans, &client(), &Patience::default(), &cancel, &mut |event| {
        if let Event::Checked(checked) = event
            && check_all::record(&mut vault, checked).unwrap().verdict() == Verdict::Works
        {
            works += 1;
        }
    });
    let took = started.elapsed();
    assert_eq!(works, 1000);
    eprintln!(
        "checked 1,000 keys at 8 providers (20 ms an answer, {} in flight at most): {:.2} s (reading the keys {:.2} s)",
        list.iter().map(|(p, _)| p.concurrency()).sum::<usize>(),
        took.as_secs_f64(),
        planned.as_secs_f64()
    );
}

#[test]
fn each_check_of_every_key_puts_the_health_score_on_record() {
    let works = format!("xkeysib-{}-{}", random_chars(HEX, 64), random_chars(ALNUM, 16));
    let answers: HashMap<String, Answer> = [(works.clone(), Answer::Works)].into_iter().collect();
    let brevo = Server::start(&Arc::new(answers), Duration::ZERO);
    let cli = common::Cli::new();
    cli.init_cheap(&["--secret-store", "file"]);
    cli.ok(&["account", "add", "--provider", "brevo", "--name", "Brevo", "--base-url", &brevo.url], "");
    cli.ok(&["add", "--label", "Brevo CRM", "--account", "Brevo"], &works);
    let before = cli.ok_without_password_or_keychain(&["health"]);
    assert!(before.contains("No score on record yet"), "{before}");

    // Checked, but no integration is recorded: one info finding over one key, 90.
    let output = cli.run(&["verify", "--all", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        answer["health"],
        serde_json::json!({"score": 90, "critical": 0, "warning": 0, "info": 1, "keys": 1}),
        "{answer}"
    );
    let first = cli.ok_without_password_or_keychain(&["health"]);
    assert!(first.contains("Score 90 on "), "{first}");

    // Its integration recorded, checked again: 100, and the way there.
    cli.ok(&["edit", "Brevo CRM", "--integration", "Newsletter"], "");
    let output = cli.run(&["verify", "--all"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stderr).contains("Health score: 100/100, on record"));
    let second = cli.ok_without_password_or_keychain(&["health"]);
    let line = second.lines().nth(1).unwrap();
    let day = line.strip_prefix("Score 90 → 100 since ").and_then(|rest| rest.split(':').next());
    let day = day.unwrap_or_else(|| panic!("{second}"));
    assert!(line.ends_with(&format!(": 90 ({day}), 100 ({day}).")), "{second}");
    let json: serde_json::Value =
        serde_json::from_str(&cli.ok_without_password_or_keychain(&["health", "--json"])).unwrap();
    let history = json["history"].as_array().unwrap();
    let scores: Vec<u64> = history.iter().map(|p| p["score"].as_u64().unwrap()).collect();
    assert_eq!(scores, [90, 100], "{json}");
    assert_eq!(history[0]["info"], 1);
    assert!(history[1]["at"].as_str().unwrap().ends_with('Z'));

    // Two `health` lines, in the chain like any other.
    let audit = cli.ok(&["audit", "--json"], "");
    assert_eq!(audit.matches("score 90; critical 0, warning 0, info 1; keys 1").count(), 1, "{audit}");
    assert_eq!(audit.matches("score 100; critical 0, warning 0, info 0; keys 1").count(), 1, "{audit}");
    assert!(cli.ok(&["audit", "--verify"], "").contains("all linked"));
}

/// Health's planted findings, end to end: 300 keys at eight providers (Amazon SES among them)
/// checked as `keydesk verify --all` and Check all do, the answers coming from the local
/// servers; then the report `keydesk health` and the Health screen compute. Exactly the
/// planted keys are found: the key Brevo refuses, the SendGrid key whose scopes list full
/// access, the SES key IAM last saw used 120 days ago, the revoked SES key IAM saw used after
/// its revoke, the key past its rotation, the key in five integrations.
#[test]
fn the_planted_keys_and_nothing_else_are_found_after_a_check_of_every_key() {
    use keydesk::vault::health::FindingKind;
    use keydesk::vault::model::Integration;
    use std::collections::BTreeSet;
    let (dead, full, unused, revoked, overdue, crowded) = (1, 8, 15, 23, 42, 57);
    // The fixture's clock, and the day the check runs: 40 days later.
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-01T09:00:00Z").unwrap().to_utc();
    let now = start + chrono::Duration::days(40);
    let mut list = providers();
    list[7] = (Provider::AmazonSes, aws_key);
    let plant = |n: usize| match n {
        _ if n == dead => Answer::Refused,
        _ if n == full => Answer::FullAccess,
        _ if n == unused => Answer::UsedOn(now - chrono::Duration::days(120)),
        _ if n == revoked => Answer::UsedOn(now - chrono::Duration::days(2)),
        _ if n % 8 == 7 => Answer::UsedOn(now - chrono::Duration::days(1)),
        _ => match n % 50 {
            7 => Answer::Forbidden,
            11 | 36 => Answer::LimitedOnce,
            19 => Answer::LimitedUntilDate,
            29 => Answer::Trouble,
            44 if n < 100 => Answer::Slow,
            _ => Answer::Works,
        },
    };
    let dress = |n: usize, meta: &mut KeyMeta| {
        let integrations = if n == crowded { 5 } else { 1 };
        meta.integrations = (0..integrations)
            .map(|i| Integration { name: format!("App {n}-{i}"), url: None, note: String::new() })
            .collect();
        if n == overdue {
            meta.rotate_after_days = Some(30);
        }
    };
    let mut b = bench_of(&list, 300, Duration::from_millis(20), plant, dress);
    assert_eq!(keydesk::actions::Store::now(&b.f.vault), start);
    let id = |n: usize| b.keys[n].0.clone();
    assert_eq!(
        (b.keys[unused].1, b.keys[revoked].1, b.keys[full].1),
        (Provider::AmazonSes, Provider::AmazonSes, Provider::SendGrid)
    );
    // Revoked on the first day (a check of every key leaves revoked keys out), then 40 days on.
    b.f.vault.revoke(&id(revoked), "replaced").unwrap();
    b.f.clock.advance_days(40);

    let ids = check_all::select(b.f.vault.keys(), None);
    assert_eq!(ids.len(), 299);
    let (plans, not_planned) = check_all::plan_all(&b.f.vault, &ids);
    assert!(not_planned.is_empty());
    let cancel = AtomicBool::new(false);
    let mut recorded = Vec::new();
    let vault = &mut b.f.vault;
    let ended = check_all::run(&plans, &client(), &Patience::default(), &cancel, &mut |event| match event {
        Event::Checked(checked) => recorded.push(check_all::record(vault, checked).unwrap()),
        Event::Stopped { why, .. } => panic!("nothing should stop: {why}"),
    });
    assert_eq!(ended, check_all::Ended { left: 0, cancelled: false });
    assert_eq!(recorded.len(), 299);
    // Every live SES key's last use was asked of IAM and read; no other provider's was.
    for r in &recorded {
        let asked = r.provider == Provider::AmazonSes;
        assert_eq!(r.last_use.as_ref().is_some_and(|u| u.is_ok()), asked, "{r:?}");
    }
    let refused: Vec<&KeyId> =
        recorded.iter().filter(|r| r.verdict() == Verdict::Refused).map(|r| &r.key_id).collect();
    assert_eq!(refused, [&id(dead)]);

    // A check of every key asks no revoked key; its last use is asked as `keydesk usage` does.
    let plan = keydesk::actions::plan_usage(&b.f.vault, &id(revoked), None).unwrap();
    let found = keydesk::actions::finish_usage(&mut b.f.vault, plan.ask(&client())).unwrap();
    assert!(found.unexpected.is_some(), "IAM saw it used after the revoke");

    let report = b.f.vault.record_health().unwrap();
    let got: BTreeSet<(FindingKind, Vec<KeyId>)> =
        report.findings.iter().map(|f| (f.kind, f.keys.clone())).collect();
    let planted: BTreeSet<(FindingKind, Vec<KeyId>)> = [
        (FindingKind::Refused, dead),
        (FindingKind::BroadScopes, full),
        (FindingKind::Unused, unused),
        (FindingKind::UsedAfterRevoke, revoked),
        (FindingKind::RotationOverdue, overdue),
        (FindingKind::TooManyIntegrations, crowded),
    ]
    .into_iter()
    .map(|(kind, n)| (kind, vec![id(n)]))
    .collect();
    assert_eq!(got, planted);
    assert_eq!(report.findings.len(), 6, "one finding each");
    assert_eq!(report.keys_checked, 300, "the 299 live keys and the revoked one found");
    assert!(report.has_critical());
    b.f.vault.verify_audit().unwrap();
}
