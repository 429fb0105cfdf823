//! `keydesk browser-host` end to end: the real binary, fed by a test as the browser would,
//! talking over the user's socket to a server answering from keys in memory.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly")]

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use keydesk::browser::answer::{NOT_OFFERED, NOT_ROTATING, answer};
use keydesk::browser::messaging::{MAX_MESSAGE, Reply, Request, read_frame};
use keydesk::browser::socket::{Answerer, Peer, Server, SocketError, check_peer};
use keydesk::providers::Provider;
use keydesk::vault::model::{Integration, KeyId, KeyRecord, KeyStatus, Rotation, RotationStep};
use secrecy::SecretString;
use serde_json::{Value, json};

/// The key the window hands out: made at test time, never a committed key-shaped string.
static SECRET: std::sync::LazyLock<String> = std::sync::LazyLock::new(crate::common::sendgrid_key);
const HUBSPOT: &str = "https://app.hubspot.com";

fn key(id: &str, label: &str, url: &str) -> KeyRecord {
    KeyRecord {
        id: KeyId::from_stored(id),
        label: label.to_owned(),
        provider: Provider::SendGrid,
        account: None,
        provider_key_id: None,
        region: None,
        scopes: Vec::new(),
        hint: "SG.…bbbb".to_owned(),
        lookup_hash: String::new(),
        created_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        expires_at: None,
        rotate_after_days: None,
        status: KeyStatus::Active,
        integrations: vec![Integration {
            name: "HubSpot".into(),
            url: Some(url.into()),
            note: String::new(),
        }],
        notes: String::new(),
        tags: Vec::new(),
        copy_count: 0,
        last_copied_at: None,
        reveal_count: 0,
        last_verified: None,
        replaces: None,
        replaced_by: None,
        provider_revoke_pending: None,
        rotation: None,
        usage: None,
    }
}

/// A vault in memory: two keys, one for HubSpot's settings page; records who asked.
struct Memory {
    keys: Vec<KeyRecord>,
    asked: Vec<(u64, Peer)>,
    /// The (key, integration) marked tested.
    marked: Vec<(String, String)>,
}

impl Memory {
    fn new() -> Memory {
        Memory {
            keys: vec![
                key("k1", "SendGrid production", "https://app.hubspot.com/settings/integrations"),
                key("k2", "Mailgun", "https://admin.shopify.com/settings"),
            ],
            asked: Vec::new(),
            marked: Vec::new(),
        }
    }
}

impl Answerer for Memory {
    fn answer(&mut self, request: Request, peer: Peer) -> Reply {
        self.asked.push((request.id(), peer));
        let marked = &mut self.marked;
        answer(
            &self.keys,
            &request,
            |id| {
                assert_eq!(id.as_str(), "k1");
                Ok(SecretString::from(SECRET.as_str()))
            },
            |offer| {
                marked.push((offer.key.to_string(), offer.integration.clone()));
                Ok(format!("{} is marked tested.", offer.integration))
            },
        )
    }
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u32).to_ne_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

fn replies(output: &[u8]) -> Vec<Value> {
    let mut reader = output;
    let mut found = Vec::new();
    while let Some(body) = read_frame(&mut reader).unwrap() {
        found.push(serde_json::from_slice(&body).unwrap());
    }
    found
}

/// A private runtime folder, as a desktop session's `$XDG_RUNTIME_DIR` is.
fn runtime() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn socket_in(runtime: &Path) -> PathBuf {
    runtime.join("keydesk").join("browser.sock")
}

/// Starts the host as the browser does (with the extension's origin as its argument), writes
/// `input` on its stdin and closes it.
fn start_host(runtime: &Path, input: &[u8]) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keydesk"))
        .args(["browser-host", "chrome-extension://kdjmlhbopfkgmgnnpbmkkaejlnkhimnm/"])
        .env("XDG_RUNTIME_DIR", runtime)
        .env_remove("KEYDESK_VAULT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child
}

/// Serves the socket until the host exits (at most 20 s), then answers its output.
fn serve_until_exit(server: &Server, answerer: &mut dyn Answerer, mut child: Child) -> Output {
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the host did not finish");
        server.serve_pending(answerer).unwrap();
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().unwrap()
}

fn offers_request(id: u64, origin: &str) -> Vec<u8> {
    frame(json!({"type": "offers", "id": id, "origin": origin}).to_string().as_bytes())
}

fn fill_request(id: u64, origin: &str, key: &str) -> Vec<u8> {
    let request = json!({"type": "fill", "id": id, "origin": origin, "key": key, "integration": "HubSpot"});
    frame(request.to_string().as_bytes())
}

#[test]
fn the_host_carries_each_request_to_keydesk_and_its_reply_back() {
    let runtime = runtime();
    let server = Server::bind(&socket_in(runtime.path())).unwrap();
    let folder = std::fs::metadata(runtime.path().join("keydesk")).unwrap();
    assert_eq!(folder.permissions().mode() & 0o777, 0o700, "the socket's folder is the user's alone");
    let mut input = offers_request(1, HUBSPOT);
    input.extend(frame(b"\x00garbage"));
    input.extend(fill_request(2, HUBSPOT, "k1"));
    input.extend(fill_request(3, HUBSPOT, "k2"));
    input.extend(fill_request(4, "https://app.hubspot.com.evil.example", "k1"));
    input.extend(offers_request(5, "http://app.hubspot.com"));
    let mut memory = Memory::new();
    let host = start_host(runtime.path(), &input);
    let host_pid = host.id();
    let output = serve_until_exit(&server, &mut memory, host);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let got = replies(&output.stdout);
    assert_eq!(got.len(), 6);
    assert_eq!(got[0]["id"], 1);
    assert_eq!(got[0]["offers"][0]["key"], "k1");
    assert_eq!(got[0]["offers"].as_array().unwrap().len(), 1);
    assert_eq!(got[1]["code"], "bad_request", "garbage is answered by the host itself");
    assert_eq!(got[2], json!({"type": "fill", "id": 2, "value": SECRET.as_str()}));
    for reply in &got[3..5] {
        assert_eq!(reply["code"], "refused");
        assert_eq!(reply["error"], NOT_OFFERED);
    }
    assert_eq!(got[5], json!({"type": "offers", "id": 5, "offers": []}));
    // Garbage never reached Keydesk; each request came from the host, as this user.
    let ids: Vec<u64> = memory.asked.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    let uid = std::fs::metadata(runtime.path().join("keydesk"))
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        .unwrap();
    assert!(memory.asked.iter().all(|(_, peer)| peer.uid == uid && peer.pid == host_pid as i32));
    assert!(output.stderr.is_empty());
}

fn tested_request(id: u64, origin: &str, key: &str) -> Vec<u8> {
    let request = json!({"type": "tested", "id": id, "origin": origin, "key": key, "integration": "HubSpot"});
    frame(request.to_string().as_bytes())
}

#[test]
fn the_host_carries_mark_as_tested_for_a_rotations_new_key_only() {
    let runtime = runtime();
    let server = Server::bind(&socket_in(runtime.path())).unwrap();
    let mut memory = Memory::new();
    // k3 replaces k1, whose rotation has HubSpot updated and not yet tested.
    let at = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
    memory.keys[0].replaced_by = Some(KeyId::from_stored("k3"));
    memory.keys[0].rotation = Some(Box::new(Rotation {
        started_at: at,
        steps: vec![RotationStep { integration: "HubSpot".into(), updated_at: Some(at), tested_at: None }],
    }));
    let mut new = key("k3", "SendGrid production (new)", "https://app.hubspot.com/settings");
    new.replaces = Some(KeyId::from_stored("k1"));
    memory.keys.push(new);
    let mut input = offers_request(1, HUBSPOT);
    input.extend(tested_request(2, HUBSPOT, "k3"));
    input.extend(tested_request(3, HUBSPOT, "k1"));
    input.extend(tested_request(4, "https://app.hubspot.com.evil.example", "k3"));
    input.extend(frame(br#"{"type":"tested","id":5,"origin":"https://app.hubspot.com","key":"k3"}"#));
    let output = serve_until_exit(&server, &mut memory, start_host(runtime.path(), &input));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let got = replies(&output.stdout);
    assert_eq!(got.len(), 5);
    assert_eq!(got[0]["offers"][0]["key"], "k3", "{}", got[0]);
    assert_eq!(got[0]["offers"][0]["to_test"], true, "{}", got[0]);
    assert!(got[0]["offers"][1].get("to_test").is_none(), "the old key has nothing to test: {}", got[0]);
    assert_eq!(got[1], json!({"type": "tested", "id": 2, "said": "HubSpot is marked tested."}));
    assert_eq!((got[2]["code"].as_str(), got[2]["error"].as_str()), (Some("refused"), Some(NOT_ROTATING)));
    assert_eq!((got[3]["code"].as_str(), got[3]["error"].as_str()), (Some("refused"), Some(NOT_OFFERED)));
    assert_eq!((got[4]["code"].as_str(), got[4]["id"].as_u64()), (Some("bad_request"), Some(5)));
    assert_eq!(memory.marked, [("k3".to_owned(), "HubSpot".to_owned())], "marked once, for the new key");
}

#[test]
fn with_no_keydesk_running_the_host_says_to_open_and_unlock_it() {
    let runtime = runtime();
    let mut input = offers_request(9, HUBSPOT);
    input.extend(fill_request(10, HUBSPOT, "k1"));
    let output = start_host(runtime.path(), &input).wait_with_output().unwrap();
    assert!(output.status.success());
    let got = replies(&output.stdout);
    assert_eq!(got.len(), 2);
    for (reply, id) in got.iter().zip([9, 10]) {
        assert_eq!(
            *reply,
            json!({"type": "error", "id": id, "code": "not_running", "error": "Keydesk is not running: open it and unlock your vault."})
        );
    }
    // A socket file left behind by a Keydesk that is gone reads the same.
    let path = socket_in(runtime.path());
    drop(Server::bind(&path).unwrap());
    std::os::unix::net::UnixListener::bind(&path).map(drop).unwrap();
    let output = start_host(runtime.path(), &offers_request(11, HUBSPOT)).wait_with_output().unwrap();
    assert_eq!(replies(&output.stdout)[0]["code"], "not_running");
    // And a new Keydesk binds over it.
    Server::bind(&path).unwrap();
}

#[test]
fn garbage_and_an_oversized_message_get_one_error_reply_each_and_no_crash() {
    let runtime = runtime();
    let server = Server::bind(&socket_in(runtime.path())).unwrap();
    let mut input = Vec::new();
    for body in [&b"{"[..], b"\xff\xfe\xfd", b"null", br#"{"type":"fill","id":1}"#] {
        input.extend(frame(body));
    }
    input.extend(((MAX_MESSAGE + 1) as u32).to_ne_bytes());
    input.extend(vec![b'x'; 4096]);
    let mut memory = Memory::new();
    let output = serve_until_exit(&server, &mut memory, start_host(runtime.path(), &input));
    let got = replies(&output.stdout);
    let codes: Vec<&str> = got.iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["bad_request", "bad_request", "bad_request", "bad_request", "too_large"]);
    assert_eq!(got[3]["id"], 1);
    assert_eq!(output.status.code(), Some(1), "a message that cannot be framed ends the host");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr,
        "keydesk: The message is 1048577 bytes long; Keydesk takes at most 1 MiB (1048576 bytes).\n"
    );
    assert!(memory.asked.is_empty(), "nothing bad reached Keydesk");
    // A message cut off: one error, exit 1, no panic.
    let output = start_host(runtime.path(), &offers_request(1, HUBSPOT)[..20]).wait_with_output().unwrap();
    assert_eq!(replies(&output.stdout)[0]["code"], "bad_request");
    assert_eq!(output.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
}

#[test]
fn the_server_answers_garbage_and_oversize_on_the_socket_itself() {
    let runtime = runtime();
    let path = socket_in(runtime.path());
    let server = Server::bind(&path).unwrap();
    let mut memory = Memory::new();
    for (sent, code) in [
        (frame(b"]]"), "bad_request"),
        (((MAX_MESSAGE + 1) as u32).to_ne_bytes().to_vec(), "too_large"),
        (u32::MAX.to_ne_bytes().to_vec(), "too_large"),
    ] {
        let mut client = UnixStream::connect(&path).unwrap();
        client.write_all(&sent).unwrap();
        assert_eq!(server.serve_pending(&mut memory).unwrap(), 1);
        let reply = read_frame(&mut client).unwrap().unwrap();
        let reply: Value = serde_json::from_slice(&reply).unwrap();
        assert_eq!(reply["code"], code);
    }
    assert!(memory.asked.is_empty());
    // A second Keydesk does not take over the socket of one that answers.
    assert_eq!(Server::bind(&path).err(), Some(SocketError::InUse));
}

#[test]
fn a_process_of_another_user_is_refused_by_the_peer_check() {
    let runtime = runtime();
    let path = socket_in(runtime.path());
    let _server = Server::bind(&path).unwrap();
    let client = UnixStream::connect(&path).unwrap();
    let ours = check_peer(&client, nix_uid()).unwrap();
    assert_eq!(ours.pid, std::process::id() as i32);
    assert_eq!(check_peer(&client, nix_uid() + 1).err(), Some(SocketError::OtherUser(nix_uid())));
}

fn nix_uid() -> u32 {
    std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").unwrap())
}

#[test]
fn a_host_of_another_user_gets_nothing_from_this_users_keydesk() {
    if nix_uid() != 0 {
        eprintln!("skipped: starting a process as another user needs root");
        return;
    }
    // Root's Keydesk, its folder opened up by mistake so another user can reach the socket.
    let root_runtime = runtime();
    std::fs::set_permissions(root_runtime.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = socket_in(root_runtime.path());
    let server = Server::bind(&path).unwrap();
    std::fs::set_permissions(path.parent().unwrap(), std::fs::Permissions::from_mode(0o711)).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    // User 65534's runtime folder, whose socket leads to root's.
    let other_runtime = runtime();
    std::fs::set_permissions(other_runtime.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let other_folder = other_runtime.path().join("keydesk");
    std::fs::create_dir(&other_folder).unwrap();
    std::fs::set_permissions(&other_folder, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::symlink(&path, other_folder.join("browser.sock")).unwrap();
    std::os::unix::fs::lchown(&other_folder, Some(65534), Some(65534)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_keydesk"));
    std::os::unix::process::CommandExt::uid(&mut child, 65534);
    std::os::unix::process::CommandExt::gid(&mut child, 65534);
    let mut child = child
        .arg("browser-host")
        .env("XDG_RUNTIME_DIR", other_runtime.path())
        .env("HOME", "/nonexistent")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&fill_request(1, HUBSPOT, "k1")).unwrap();
    let mut memory = Memory::new();
    let output = serve_until_exit(&server, &mut memory, child);
    assert!(memory.asked.is_empty(), "another user's request reached Keydesk");
    let got = replies(&output.stdout);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["code"], "failed");
    assert_eq!(got[0]["error"], "The process at the other end runs as user 0, not as you: it was refused.");

    // A raw client of that user, which does not check whom it talks to, gets no answer.
    let python = Path::new("/usr/bin/python3");
    if !python.exists() {
        eprintln!("skipped the raw client: no /usr/bin/python3");
        return;
    }
    let script = "import socket,struct,sys\n\
s=socket.socket(socket.AF_UNIX)\n\
s.connect(sys.argv[1])\n\
body=sys.argv[2].encode()\n\
s.sendall(struct.pack('=I',len(body))+body)\n\
try:\n    print(len(s.recv(100)))\n\
except ConnectionResetError:\n    print(0)\n";
    let request = json!({"type": "fill", "id": 1, "origin": HUBSPOT, "key": "k1", "integration": "HubSpot"});
    let mut raw = Command::new(python);
    std::os::unix::process::CommandExt::uid(&mut raw, 65534);
    std::os::unix::process::CommandExt::gid(&mut raw, 65534);
    let raw = raw
        .args(["-c", script])
        .arg(&path)
        .arg(request.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = serve_until_exit(&server, &mut memory, raw);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), "0\n", "the connection is closed unanswered");
    assert!(memory.asked.is_empty(), "another user's request reached Keydesk");
}

#[test]
fn a_socket_folder_open_to_others_or_a_link_is_refused_by_both_ends() {
    let runtime = runtime();
    let folder = runtime.path().join("keydesk");
    std::fs::create_dir(&folder).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    let refused = SocketError::UnsafeFolder(folder.display().to_string());
    assert_eq!(Server::bind(&socket_in(runtime.path())).err(), Some(refused.clone()));
    let output = start_host(runtime.path(), &offers_request(1, HUBSPOT)).wait_with_output().unwrap();
    assert_eq!(replies(&output.stdout)[0]["error"], refused.to_string());
    // A link to a private folder elsewhere is refused too.
    std::fs::remove_dir(&folder).unwrap();
    let elsewhere = runtime.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &folder).unwrap();
    assert_eq!(Server::bind(&socket_in(runtime.path())).err(), Some(refused));
}

#[test]
fn browser_install_writes_a_host_script_and_the_manifests_of_the_browsers_found() {
    let home = runtime();
    let config = home.path().join(".config");
    std::fs::create_dir_all(config.join("chromium")).unwrap();
    std::fs::create_dir_all(home.path().join(".mozilla")).unwrap();
    let install = || {
        Command::new(env!("CARGO_BIN_EXE_keydesk"))
            .args(["browser", "install"])
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", &config)
            .env("XDG_DATA_HOME", home.path().join("data"))
            .output()
            .unwrap()
    };
    let output = install();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let said = String::from_utf8(output.stdout).unwrap();
    let script = home.path().join("data/keydesk-browser/keydesk-browser-host");
    let chromium = config.join("chromium/NativeMessagingHosts/app.keydesk.host.json");
    let firefox = home.path().join(".mozilla/native-messaging-hosts/app.keydesk.host.json");
    assert!(said.contains(&format!("Chromium: wrote {}.", chromium.display())), "{said}");
    assert!(said.contains(&format!("Firefox: wrote {}.", firefox.display())), "{said}");
    assert!(said.contains("Not found, nothing written: Google Chrome, Brave, Microsoft Edge"), "{said}");
    assert!(!config.join("google-chrome").exists(), "no folder is made for a browser not found");
    for (manifest, allowed) in [(&chromium, "allowed_origins"), (&firefox, "allowed_extensions")] {
        let manifest: Value = serde_json::from_str(&std::fs::read_to_string(manifest).unwrap()).unwrap();
        assert_eq!(manifest["name"], "app.keydesk.host");
        assert_eq!(manifest["path"], script.to_str().unwrap());
        assert!(manifest[allowed].is_array());
    }
    assert_eq!(std::fs::metadata(&script).unwrap().permissions().mode() & 0o777, 0o755);
    // The script is the host: the browser starts it with the extension's origin.
    let run = runtime();
    let mut host = Command::new(&script)
        .arg("chrome-extension://ddodclfcdkjfokllcjofhcifgepdpnni/")
        .env("XDG_RUNTIME_DIR", run.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    host.stdin.take().unwrap().write_all(&offers_request(3, HUBSPOT)).unwrap();
    let output = host.wait_with_output().unwrap();
    assert_eq!(replies(&output.stdout)[0]["code"], "not_running");
    // Run again, it writes the same files; with no browser at all it says so.
    assert!(install().status.success());
    std::fs::remove_dir_all(config.join("chromium")).unwrap();
    std::fs::remove_dir_all(home.path().join(".mozilla")).unwrap();
    let output = install();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("No browser was found for this user."));
}
