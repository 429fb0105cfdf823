//! The team vault through the command line, against a real OpenBao server started here.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]
#![allow(
    clippy::disallowed_methods,
    reason = "tests and tools read the real clock and start their own threads"
)]

use crate::common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::bao::{Bao, MOUNT, PATH, policy};
use serde_json::{Value, json};

/// One member's computer: a vault folder pointing at the team vault, a password file, and
/// the token it presents.
struct Member {
    cli: common::Cli,
    token: String,
}

impl Member {
    fn new(token: &str) -> Member {
        Member { cli: common::Cli::new(), token: token.to_owned() }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = self.cli.command(args);
        command.env("BAO_TOKEN", &self.token).env_remove("VAULT_TOKEN");
        command
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        common::run(self.command(args), stdin)
    }

    fn ok(&self, args: &[&str], stdin: &str) -> String {
        let output = self.run(args, stdin);
        assert!(
            output.status.success(),
            "keydesk {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs `args`, insists on exit 1, and returns the one sentence on stderr.
    fn fails(&self, args: &[&str], stdin: &str) -> String {
        let output = self.run(args, stdin);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(1), "keydesk {args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one sentence: {stderr}");
        assert!(output.stdout.is_empty(), "nothing on stdout: {}", String::from_utf8_lossy(&output.stdout));
        stderr
    }

    /// `keydesk init --team` at the cheapest accepted key-derivation cost.
    fn init(&self, bao: &Bao, member: &str) -> String {
        self.init_at(&bao.addr, member)
    }

    /// [`Member::init`] at `addrs` (a cluster's, split by commas).
    fn init_at(&self, addrs: &str, member: &str) -> String {
        let args = init_args(addrs, member, false);
        self.ok(&args.iter().map(String::as_str).collect::<Vec<_>>(), "")
    }

    /// `keydesk init --team --join` as `member`, the invitation `code` on stdin.
    fn join(&self, bao: &Bao, member: &str, code: &str) -> Output {
        let args = init_args(&bao.addr, member, true);
        self.run(&args.iter().map(String::as_str).collect::<Vec<_>>(), code)
    }

    /// This member's folder, pointing at the same team vault with another token.
    fn with_token(&self, token: &str) -> Member {
        let other = Member::new(token);
        std::fs::create_dir_all(&other.cli.vault).unwrap();
        std::fs::copy(self.cli.vault.join("team.ron"), other.cli.vault.join("team.ron")).unwrap();
        other
    }

    /// The key's id, from `list --json`.
    fn id_of(&self, label: &str) -> String {
        let list: Value = serde_json::from_str(&self.ok(&["list", "--json"], "")).unwrap();
        let key = list.as_array().unwrap().iter().find(|k| k["label"] == label).unwrap();
        key["id"].as_str().unwrap().to_owned()
    }
}

/// `init --team` (or `--join`) at `addrs`, as `member`, at the cheapest accepted cost.
fn init_args(addrs: &str, member: &str, join: bool) -> Vec<String> {
    let mut args = vec!["init", "--team"];
    if join {
        args.push("--join");
    }
    args.extend(["--addr", addrs, "--mount", MOUNT, "--path", PATH, "--member", member]);
    args.extend(["--kdf-memory-mib", "19", "--kdf-iterations", "2", "--kdf-lanes", "1"]);
    args.into_iter().map(str::to_owned).collect()
}

#[test]
fn whois_on_a_team_vault_finds_keys_inside_a_log_line_and_names_their_state() {
    let bao = Bao::dev();
    let (ana, bo, campaign) = team_of_two(&bao);
    let (old_key, new_key) = (common::sendgrid_key(), common::sendgrid_key());
    let live = Arc::new(Mutex::new(vec![old_key.clone(), new_key.clone()]));
    let sendgrid = sendgrid_for(&common::sendgrid_key(), Arc::clone(&live));
    ana.ok(&["account", "add", "--provider", "sendgrid", "--name", "SG", "--base-url", &sendgrid.url], "\n");
    ana.ok(&["add", "--label", "CRM mail", "--account", "SG"], &old_key);
    let old = ana.id_of("CRM mail");
    let started = bo.run(&["rotate", &old], &new_key);
    assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));

    // Both keys of a log line, each on its line with its state, in the order the line names them.
    let line = format!(
        "2026-05-01T10:00:00Z POST /v3/mail/send auth=\"{old_key}\" status=401 retry_with=Bearer {}",
        common::sendgrid_key()
    );
    let found = bo.ok(&["whois"], &line);
    let lines: Vec<&str> = found.lines().collect();
    assert_eq!(lines.len(), 1, "{found}");
    assert!(lines[0].starts_with(&format!("{old}\tCRM mail\tRetiring, replaced by ")), "{found}");
    assert!(lines[0].contains("it still works until it is revoked"), "{found}");

    let campaign_key = ana.ok(&["reveal", &campaign], "");
    let found = ana.ok(&["whois"], &format!("SENDGRID_API_KEY={} and {old_key}", campaign_key.trim_end()));
    let ids: Vec<&str> = found.lines().filter_map(|line| line.split('\t').next()).collect();
    assert_eq!(ids, [campaign.as_str(), old.as_str()], "{found}");
    assert!(
        found.lines().next().is_some_and(|l| l.contains("\tActive: it has not been revoked.")),
        "{found}"
    );
    assert!(ana.ok(&["audit"], "").contains("matched \"Campaign sync\", \"CRM mail\""));
}

/// Ana's team vault on `bao` (she made it, with the root token), holding `key` as `label`;
/// the key's id.
fn ana_with_key(bao: &Bao, label: &str, key: &str) -> (Member, String) {
    let ana = Member::new(&bao.root_token);
    ana.init(bao, "ana");
    ana.ok(&["add", "--label", label], key);
    let id = ana.id_of(label);
    (ana, id)
}

/// The entry of a key as the server's operator sees it with the root token.
fn raw_entry(bao: &Bao, id: &str) -> Value {
    let (status, body) = bao.call("GET", &format!("{MOUNT}/data/{PATH}/keys/{id}"), None, &bao.root_token);
    assert_eq!(status, 200, "{body}");
    body["data"]["data"].clone()
}

#[test]
fn keys_live_on_the_server_sealed_and_come_back_whole() {
    let bao = Bao::dev();
    let ana = Member::new(&bao.root_token);
    let said = ana.init(&bao, "ana");
    assert!(said.contains("Created a team vault at secret/marketing/keydesk"), "{said}");
    let config = std::fs::read_to_string(ana.cli.vault.join("team.ron")).unwrap();
    assert!(!config.contains(&bao.root_token), "no token on disk: {config}");
    assert!(!ana.cli.vault.join("vault.ron").exists());

    let key = common::sendgrid_key();
    let added = ana.ok(&["add", "--label", "Newsletter — ニュースレター"], &key);
    assert!(added.starts_with("Added SendGrid key"), "{added}");
    let listed = ana.ok(&["list"], "");
    assert!(listed.contains("Newsletter — ニュースレター") && listed.contains("SendGrid"), "{listed}");
    assert!(!listed.contains(&key[10..]), "no secret in the list");
    let id = ana.id_of("Newsletter — ニュースレター");
    assert_eq!(ana.ok(&["reveal", &id], "").trim_end(), key);

    // The server's operator sees the label, never the secret.
    let entry = raw_entry(&bao, &id);
    let text = entry.to_string();
    assert!(text.contains("Newsletter"), "the record is readable: {text}");
    assert!(!text.contains(&key) && !text.contains(&key[3..25]) && !text.contains(&key[26..]), "{text}");
    assert_eq!(entry["changed_by"], "ana");

    // The same key again is refused, whatever its label.
    let again = ana.fails(&["add", "--label", "Copy"], &key);
    assert!(again.contains("already in the vault as \"Newsletter — ニュースレター\""), "{again}");

    // A second `init` at the same place changes nothing there.
    let other = Member::new(&bao.root_token);
    let output = other.run(
        &[
            "init",
            "--team",
            "--addr",
            &bao.addr,
            "--path",
            PATH,
            "--member",
            "bo",
            "--kdf-memory-mib",
            "19",
            "--kdf-iterations",
            "2",
        ],
        "",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("A team vault is already at secret/marketing/keydesk"), "{stderr}");
    assert_eq!(ana.ok(&["reveal", &id], "").trim_end(), key);

    // A wrong password opens nothing.
    std::fs::write(&ana.cli.password_file, "not the password\n").unwrap();
    let wrong = ana.fails(&["reveal", &id], "");
    assert!(wrong.to_lowercase().contains("password"), "{wrong}");
}

#[test]
fn an_entry_changed_on_the_server_is_refused() {
    let bao = Bao::dev();
    let (ana, id) = ana_with_key(&bao, "Transactional", &common::sendgrid_key());
    let mut entry = raw_entry(&bao, &id);
    let record = entry["record"].as_str().unwrap().replace("Transactional", "Use me");
    entry["record"] = Value::String(record);
    let (status, body) = bao.call(
        "POST",
        &format!("{MOUNT}/data/{PATH}/keys/{id}"),
        Some(json!({ "data": entry })),
        &bao.root_token,
    );
    assert_eq!(status, 200, "{body}");
    let refused = ana.fails(&["reveal", &id], "");
    assert!(refused.contains("was changed outside Keydesk"), "{refused}");
    let refused = ana.fails(&["edit", &id, "--note", "x"], "");
    assert!(refused.contains("was changed outside Keydesk"), "{refused}");
}

#[test]
fn a_members_token_writes_their_own_member_entry_and_nobody_elses() {
    let bao = Bao::dev();
    let (ana, _id) = ana_with_key(&bao, "Shared", &common::sendgrid_key());
    // The policies installed are what `keydesk team policy` prints for this vault.
    let printed = ana.ok(&["team", "policy", "editor"], "");
    assert_eq!(printed, std::fs::read_to_string(policy("editor.hcl")).unwrap());
    let file = ana.cli.dir.path().join("editor.hcl");
    std::fs::write(&file, &printed).unwrap();
    let bo_code = code_in(&ana.ok(&["member", "invite", "bo"], ""));
    let cy_code = code_in(&ana.ok(&["member", "invite", "cy"], ""));
    let bo_token = bao.member_token("bo", "keydesk-editor", &file, MOUNT, PATH);
    let cy_token = bao.member_token("cy", "keydesk-editor", &file, MOUNT, PATH);

    // Bo's token cannot take up cy's invitation, nor write cy's entry behind Keydesk's back.
    let bo = Member::new(&bo_token);
    std::fs::write(&bo.cli.password_file, "bo's own password\n").unwrap();
    let as_cy = bo.join(&bao, "cy", &cy_code);
    assert_eq!(as_cy.status.code(), Some(1), "{as_cy:?}");
    let cy_entry = format!("{MOUNT}/data/{PATH}/members/cy");
    let before = bao.call("GET", &cy_entry, None, &bao.root_token).1;
    let overwrite = json!({ "data": { "locked": "out" } });
    let (status, _body) = bao.call("POST", &cy_entry, Some(overwrite.clone()), &bo_token);
    assert_eq!(status, 403, "the server refuses bo's token on cy's entry");
    let (status, _body) = bao.call(
        "POST",
        &format!("{MOUNT}/destroy/{PATH}/members/cy"),
        Some(json!({ "versions": [1] })),
        &bo_token,
    );
    assert_eq!(status, 403, "nor may bo destroy cy's copies");
    assert_eq!(bao.call("GET", &cy_entry, None, &bao.root_token).1["data"], before["data"]);

    // Each joins as themselves; cy's token is refused on bo's entry the same way.
    let joined = bo.join(&bao, "bo", &bo_code);
    assert!(joined.status.success(), "{}", String::from_utf8_lossy(&joined.stderr));
    let cy = Member::new(&cy_token);
    std::fs::write(&cy.cli.password_file, "cy's own password\n").unwrap();
    let joined = cy.join(&bao, "cy", &cy_code);
    assert!(joined.status.success(), "{}", String::from_utf8_lossy(&joined.stderr));
    let bo_entry = format!("{MOUNT}/data/{PATH}/members/bo");
    let (status, _body) = bao.call("POST", &bo_entry, Some(overwrite), &cy_token);
    assert_eq!(status, 403, "the server refuses cy's token on bo's entry");
    assert!(bo.ok(&["list"], "").contains("Shared"));
    let (status, _body) = bao.call("GET", &bo_entry, None, &cy_token);
    assert_eq!(status, 200, "members still read each other's entries");
}

#[test]
fn setup_makes_what_a_bare_server_lacks_once_and_says_each_change() {
    let bao = Bao::dev();
    let admin = Member::new(&bao.root_token);
    let at = ["--addr", bao.addr.as_str(), "--mount", "team-kv", "--path", PATH];
    let mut dry = vec!["team", "setup", "--dry-run"];
    dry.extend(at);
    let said = admin.ok(&dry, "");
    let wanted = [
        "Enable the KV version 2 secrets engine at \"team-kv\".",
        "Write the policy keydesk-reader for this team vault's path.",
        "Write the policy keydesk-editor for this team vault's path.",
        "Write the policy keydesk-admin for this team vault's path.",
        "Enable the userpass sign-in method at auth/userpass.",
    ];
    for change in wanted {
        assert!(said.contains(&format!("Would: {change}")), "{said}");
    }
    let mounts = bao.call("GET", "sys/mounts", None, &bao.root_token).1;
    assert!(mounts["data"]["team-kv/"].is_null(), "a dry run changes nothing: {mounts}");
    assert_eq!(bao.call("GET", "sys/policies/acl/keydesk-admin", None, &bao.root_token).0, 404);

    let mut run = vec!["team", "setup"];
    run.extend(at);
    let said = admin.ok(&run, "");
    assert_eq!(said.lines().count(), wanted.len() + 1, "{said}");
    for change in wanted {
        assert!(said.lines().any(|line| line == change), "{said}");
    }
    let mounts = bao.call("GET", "sys/mounts", None, &bao.root_token).1;
    assert_eq!(mounts["data"]["team-kv/"]["options"]["version"], "2", "{mounts}");
    let methods = bao.call("GET", "sys/auth", None, &bao.root_token).1;
    assert_eq!(methods["data"]["userpass/"]["type"], "userpass", "{methods}");
    assert_eq!(
        admin.ok(&run, "").trim_end(),
        "The server has everything this team vault needs: nothing to do."
    );

    // The vault made on that mount prints the policies the server holds, and finds nothing to do.
    let mut init = init_args(&bao.addr, "ana", false);
    let at_mount = init.iter().position(|arg| arg == MOUNT).unwrap();
    init[at_mount] = "team-kv".to_owned();
    admin.ok(&init.iter().map(String::as_str).collect::<Vec<_>>(), "");
    for role in ["reader", "editor", "admin"] {
        let held = bao.call("GET", &format!("sys/policies/acl/keydesk-{role}"), None, &bao.root_token).1;
        assert_eq!(
            admin.ok(&["team", "policy", role], "").trim_end(),
            held["data"]["policy"].as_str().unwrap().trim_end()
        );
    }
    assert!(admin.ok(&["team", "setup"], "").contains("nothing to do"));

    // A mount of another kind is named, not written over.
    let other = ["team", "setup", "--addr", bao.addr.as_str(), "--mount", "cubbyhole", "--path", PATH];
    let refused = Member::new(&bao.root_token).fails(&other, "");
    assert!(
        refused.contains("The server's mount \"cubbyhole\" is not a KV version 2 secrets engine"),
        "{refused}"
    );
    // A token that may not administer the server changes nothing.
    let editor = bao.member_token("bo", "keydesk-editor", &policy("editor.hcl"), MOUNT, PATH);
    let denied = Member::new(&editor).fails(&other, "");
    assert!(denied.contains("may not manage the team"), "{denied}");
}

#[test]
fn a_short_lived_token_is_renewed_as_it_is_used_with_no_prompt() {
    let bao = Bao::dev();
    let (ana, id) = ana_with_key(&bao, "Renewed", &common::sendgrid_key());
    let _installs_the_policy = bao.token_with_policy("keydesk-editor", &policy("editor.hcl"), MOUNT, PATH);
    let create = json!({ "policies": ["keydesk-editor"], "ttl": "10s", "explicit_max_ttl": "1h" });
    let (status, body) = bao.call("POST", "auth/token/create", Some(create), &bao.root_token);
    assert_eq!(status, 200, "{body}");
    let token = body["auth"]["client_token"].as_str().unwrap().to_owned();
    let editor = ana.with_token(&token);
    std::fs::copy(&ana.cli.password_file, &editor.cli.password_file).unwrap();
    // A minute of edits, each a few seconds after the last: six times the 10 s the token was
    // made with. The first comes at once, so no wait runs past the TTL before the first renewal.
    let started = Instant::now();
    let mut round = 0;
    loop {
        let note = format!("round {round}");
        editor.ok(&["edit", &id, "--note", &note], "");
        if started.elapsed() >= Duration::from_secs(60) {
            break;
        }
        round += 1;
        std::thread::sleep(Duration::from_secs(3));
    }
    let shown = editor.ok(&["show", &id], "");
    assert!(shown.contains(&format!("round {round}")), "{shown}");
    let (status, looked) =
        bao.call("POST", "auth/token/lookup", Some(json!({ "token": token })), &bao.root_token);
    assert_eq!(status, 200, "the token is still alive: {looked}");
}

#[test]
fn team_policy_where_there_is_no_team_vault_says_so() {
    let cli = common::Cli::new();
    let output = cli.run(&["team", "policy", "reader"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(
            "This folder holds no team vault: server policies are made for one (`keydesk init --team`)."
        ),
        "{stderr}"
    );
}

#[test]
fn a_reader_token_reads_and_cannot_write() {
    let bao = Bao::dev();
    let key = common::mailchimp_key();
    let (admin, id) = ana_with_key(&bao, "Audience sync", &key);

    let reader =
        admin.with_token(&bao.token_with_policy("keydesk-reader", &policy("reader.hcl"), MOUNT, PATH));
    assert!(reader.ok(&["list"], "").contains("Audience sync"));
    assert!(reader.ok(&["info"], "").contains("Member          ana (this token may only read)"));
    let info: Value = serde_json::from_str(&admin.ok(&["info", "--json"], "")).unwrap();
    assert_eq!(
        (info["token_may_change_keys"].as_bool(), info["keys"]["total"].as_u64()),
        (Some(true), Some(1))
    );
    assert_eq!(reader.ok(&["reveal", &id], "").trim_end(), key);
    let denied = reader.fails(&["add", "--label", "More"], &common::sendgrid_key());
    assert!(
        denied.contains("This token may not change keys in the team vault: ask your team's admin for a token with the keydesk-editor policy."),
        "{denied}"
    );
    let denied = reader.fails(&["edit", &id, "--label", "Renamed"], "");
    assert!(denied.contains("may not change keys"), "{denied}");
    let record = raw_entry(&bao, &id)["record"].as_str().unwrap().to_owned();
    assert!(record.contains("\"label\":\"Audience sync\""), "unchanged: {record}");

    let editor =
        admin.with_token(&bao.token_with_policy("keydesk-editor", &policy("editor.hcl"), MOUNT, PATH));
    editor.ok(&["edit", &id, "--label", "Audience sync (EU)"], "");
    editor.ok(&["add", "--label", "Second"], &common::sendgrid_key());
    assert!(reader.ok(&["list"], "").contains("Audience sync (EU)"));
}

#[test]
fn a_revoked_token_gets_one_sentence() {
    let bao = Bao::dev();
    let admin = Member::new(&bao.root_token);
    admin.init(&bao, "ana");
    let token = bao.token_with_policy("keydesk-editor", &policy("editor.hcl"), MOUNT, PATH);
    let editor = admin.with_token(&token);
    editor.ok(&["list"], "");
    bao.revoke(&token);
    let refused = editor.fails(&["list"], "");
    assert!(
        refused.contains("The server no longer accepts this token (it expired or was revoked)"),
        "{refused}"
    );
    let refused = editor.fails(&["add", "--label", "x"], &common::sendgrid_key());
    assert!(refused.contains("no longer accepts this token"), "{refused}");
}

/// `keydesk ARGS` on `member`'s folder, reading the password from a FIFO: it reads the key
/// from the server, then waits at the password until `answer` is called.
struct Waiting {
    child: Child,
    /// The FIFO's write end, opened once the process opened its read end.
    pipe: std::fs::File,
}

impl Waiting {
    fn start(member: &Member, name: &str, args: &[&str]) -> Waiting {
        let fifo = member.cli.dir.path().join(format!("password-{name}"));
        assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let mut command = Command::new(env!("CARGO_BIN_EXE_keydesk"));
        command
            .arg("--vault")
            .arg(&member.cli.vault)
            .arg("--password-file")
            .arg(&fifo)
            .args(args)
            .env("BAO_TOKEN", &member.token)
            .env_remove("KEYDESK_PASSWORD_FILE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let child = command.spawn().unwrap();
        let pipe = Self::when_the_password_is_asked(&fifo);
        Waiting { child, pipe }
    }

    /// Waits until the process opened the FIFO to read the password (a write end opened
    /// without blocking succeeds only then): it has read what it will change. The write end
    /// is kept (closing it would end the password unsaid).
    fn when_the_password_is_asked(fifo: &Path) -> std::fs::File {
        use std::os::unix::fs::OpenOptionsExt;
        const O_NONBLOCK: i32 = 0o4000; // Linux
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(pipe) = std::fs::OpenOptions::new().write(true).custom_flags(O_NONBLOCK).open(fifo) {
                return pipe;
            }
            assert!(Instant::now() < deadline, "the command never asked for its password");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn answer(mut self) -> Output {
        self.pipe.write_all(format!("{}\n", common::PASSWORD).as_bytes()).unwrap();
        drop(self.pipe);
        let status = self.child.wait().unwrap();
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        std::io::Read::read_to_end(self.child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
        std::io::Read::read_to_end(self.child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        Output { status, stdout, stderr }
    }
}

/// The one-time code in what `member invite` printed (the line of five groups of five).
fn code_in(said: &str) -> String {
    let line = said.lines().map(str::trim).find(|line| line.len() == 29 && line.matches('-').count() == 4);
    line.unwrap_or_else(|| panic!("no code in: {said}")).to_owned()
}

#[test]
fn a_second_member_joins_with_a_one_time_code() {
    let bao = Bao::dev();
    let key = common::sendgrid_key();
    let (ana, id) = ana_with_key(&bao, "Shared", &key);
    let said = ana.ok(&["member", "invite", "bo"], "");
    assert!(said.contains("Give bo this one-time code in person or by phone"), "{said}");
    let code = code_in(&said);
    let invitation = bao.call("GET", &format!("{MOUNT}/data/{PATH}/members/bo"), None, &bao.root_token).1;
    assert!(!invitation.to_string().contains(&code), "the code never reaches the server");

    // Bo joins with an editor's token: no admin rights needed to take up an invitation.
    let bo = Member::new(&bao.member_token("bo", "keydesk-editor", &policy("editor.hcl"), MOUNT, PATH));
    std::fs::write(&bo.cli.password_file, "bo's own password\n").unwrap();
    let wrong = bo.join(&bao, "bo", "00000-00000-00000-00000-00000");
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("That invitation code does not open bo's invitation"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
    assert!(!bo.cli.vault.join("team.ron").exists(), "a failed join leaves nothing");
    // Typed loosely: lower case, spaces for dashes.
    let joined = bo.join(&bao, "bo", &code.to_lowercase().replace('-', " "));
    assert!(joined.status.success(), "{}", String::from_utf8_lossy(&joined.stderr));
    assert_eq!(bo.ok(&["reveal", &id], "").trim_end(), key);

    // The code works once; bo is a member; ana's password does not open bo's copy.
    let again = Member::new(&bao.root_token);
    let output = again.join(&bao, "bo", &code);
    assert!(String::from_utf8_lossy(&output.stderr).contains("bo has no invitation waiting"), "{output:?}");
    let twice = ana.fails(&["member", "invite", "bo"], "");
    assert!(twice.contains("bo is already a member"), "{twice}");
    let not_admin = bo.fails(&["member", "invite", "cy"], "");
    assert!(not_admin.contains("may not manage the team"), "{not_admin}");
    std::fs::copy(&ana.cli.password_file, &bo.cli.password_file).unwrap();
    assert!(bo.fails(&["reveal", &id], "").to_lowercase().contains("password"));
}

/// Ana, who made the team vault, and Bo, who joined it; one key, "Campaign sync".
fn team_of_two(bao: &Bao) -> (Member, Member, String) {
    let (ana, id) = ana_with_key(bao, "Campaign sync", &common::sendgrid_key());
    let code = code_in(&ana.ok(&["member", "invite", "bo"], ""));
    let bo = Member::new(&bao.root_token);
    let joined = bo.join(bao, "bo", &code);
    assert!(joined.status.success(), "{}", String::from_utf8_lossy(&joined.stderr));
    (ana, bo, id)
}

#[test]
fn every_change_and_reveal_is_in_the_teams_audit_trail() {
    let bao = Bao::dev();
    let (ana, bo, id) = team_of_two(&bao);
    ana.ok(&["edit", &id, "--note", "Used by the CRM"], "");
    bo.ok(&["reveal", &id], "");
    let trail = ana.ok(&["audit"], "");
    // Newest first, as a local vault's log: the action third, the member last ("— by NAME").
    let mut actions: Vec<(&str, &str)> = trail
        .lines()
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            (words[words.len() - 1], words[2])
        })
        .collect();
    actions.reverse();
    assert_eq!(
        actions,
        [
            ("ana", "create-vault"),
            ("ana", "add"),
            ("ana", "invite"),
            ("bo", "join"),
            ("ana", "edit"),
            ("bo", "reveal")
        ],
        "{trail}"
    );
    assert!(trail.contains(&id), "{trail}");
    assert!(ana.ok(&["audit", "--verify"], "").contains("Audit chain verified: 6 entries, all linked."));

    // Two members recording at once take two numbers: the chain neither forks nor gaps.
    let adding: Vec<Child> = [&ana, &bo]
        .iter()
        .enumerate()
        .map(|(n, member)| {
            let mut command = member.command(&["add", "--label", &format!("At once {n}")]);
            command.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped());
            let mut child = command.spawn().unwrap();
            child.stdin.take().unwrap().write_all(common::sendgrid_key().as_bytes()).unwrap();
            child
        })
        .collect();
    for child in adding {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    assert!(bo.ok(&["audit", "--verify"], "").contains("8 entries, all linked"));

    // An entry changed on the server, even by its operator, breaks the chain there.
    let entry = format!("{MOUNT}/data/{PATH}/audit/{:016}", 5);
    let (_, mut read) = bao.call("GET", &entry, None, &bao.root_token);
    read["data"]["data"]["action"] = json!("view");
    let (status, _) =
        bao.call("POST", &entry, Some(json!({ "data": read["data"]["data"] })), &bao.root_token);
    assert_eq!(status, 200);
    let broken = ana.fails(&["audit", "--verify"], "");
    assert!(broken.contains("does not hold at entry 5"), "{broken}");
    // A word this build does not know (a newer build's) is shown as it is, not an error.
    let listed = ana.ok(&["audit"], "");
    assert!(listed.lines().any(|line| line.contains(" view ")), "{listed}");

    // One removed (with its history) before where this computer saw the trail end: the trail
    // does not end there, it breaks there — for `audit --verify` and for `check`.
    ana.ok(&["list"], "");
    let (status, _) =
        bao.call("DELETE", &format!("{MOUNT}/metadata/{PATH}/audit/{:016}", 3), None, &bao.root_token);
    assert_eq!(status, 204);
    let broken = ana.fails(&["audit", "--verify"], "");
    assert!(broken.contains("does not hold at entry 3"), "{broken}");
    let checked = ana.run(&["check"], "");
    let said = String::from_utf8_lossy(&checked.stdout);
    assert_eq!(checked.status.code(), Some(1));
    assert!(said.contains("Audit log: The team's audit trail does not hold at entry 3"), "{said}");
}

#[test]
fn a_members_copy_keeps_up_with_the_others_and_lists_while_the_server_is_away() {
    let mut bao = Bao::dev();
    let (ana, bo, id) = team_of_two(&bao);
    let secret = common::sendgrid_key();
    bo.ok(&["add", "--label", "Bo's key"], &secret);
    assert!(ana.ok(&["list"], "").contains("Bo's key"), "a member's key reaches the others");
    let copy = std::fs::read_to_string(ana.cli.vault.join("team-cache.json")).unwrap();
    assert!(copy.contains("Bo's key") && !copy.contains(&secret), "the copy keeps secrets sealed");

    // Only what changed is read again: the copy follows a rename by Bo.
    bo.ok(&["edit", &id, "--label", "Campaign sync (renamed by Bo)"], "");
    let listed: Value = serde_json::from_str(&ana.ok(&["list", "--json"], "")).unwrap();
    let mut labels: Vec<&str> =
        listed.as_array().unwrap().iter().map(|key| key["label"].as_str().unwrap()).collect();
    labels.sort_unstable();
    assert_eq!(labels, ["Bo's key", "Campaign sync (renamed by Bo)"]);
    let health: Value = serde_json::from_str(&ana.ok(&["health", "--json"], "")).unwrap();
    assert_eq!(health["keys_checked"], 2, "{health}");
    // `show` reads the trail once and keeps it in the copy; later entries are added to it.
    assert!(ana.ok(&["show", &id], "").contains("changed label  — by bo"));
    bo.ok(&["edit", &id, "--note", "HubSpot uses it"], "");
    let shown = ana.ok(&["show", &id], "");
    assert!(shown.contains("changed notes  — by bo"), "{shown}");

    bao.stop();
    let output = ana.run(&["health"], "");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("read-only") && stderr.contains("not judged here"), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("(0 critical, "), "{stderr}");
    let output = ana.run(&["list"], "");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("The team vault's server cannot be reached") && stderr.contains("read-only"),
        "a banner says it: {stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Campaign sync (renamed by Bo)") && stdout.contains("Bo's key"), "{stdout}");
    let shown = ana.ok(&["show", &id], "");
    assert!(shown.contains("Campaign sync (renamed by Bo)"), "{shown}");
    assert!(shown.contains("changed notes  — by bo"), "the history from the copy, offline: {shown}");
    for args in [vec!["reveal", id.as_str()], vec!["edit", id.as_str(), "--note", "offline"]] {
        let refused = ana.fails(&args, "");
        assert!(refused.contains("changes and reveals need it"), "{refused}");
    }
    let fresh = ana.with_token(&bao.root_token);
    let refused = fresh.fails(&["list"], "");
    assert!(refused.contains("this computer has no copy of its keys yet"), "{refused}");
}

/// Sets this computer's clipboard clear time for `member`'s team vault in its team.ron.
fn set_clear_time(member: &Member, secs: &str) {
    let file = member.cli.vault.join("team.ron");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("clipboard_clear_secs: 20"), "written with the default: {text}");
    std::fs::write(&file, text.replace("clipboard_clear_secs: 20", &format!("clipboard_clear_secs: {secs}")))
        .unwrap();
}

#[test]
fn a_clear_time_out_of_range_in_team_ron_is_refused_with_one_sentence() {
    let bao = Bao::dev();
    let ana = Member::new(&bao.root_token);
    ana.init(&bao, "ana");
    set_clear_time(&ana, "1");
    let refused = ana.fails(&["list"], "");
    assert!(refused.contains("clipboard clear time is 1 s: use 5 to 600 seconds"), "{refused}");
    assert!(refused.contains("team.ron"), "{refused}");
    // The auto-lock time as well (the window's Settings keeps it there too).
    let file = ana.cli.vault.join("team.ron");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("clipboard_clear_secs: 1", "clipboard_clear_secs: 20");
    assert!(text.contains("auto_lock_minutes: 5"), "written with the default: {text}");
    std::fs::write(&file, text.replace("auto_lock_minutes: 5", "auto_lock_minutes: 0")).unwrap();
    let refused = ana.fails(&["list"], "");
    assert!(refused.contains("auto-lock time is 0 min: use 1 to 240 minutes"), "{refused}");
}

#[test]
fn team_files_are_read_through_the_bounded_reader() {
    let bao = Bao::dev();
    let (ana, _id) = ana_with_key(&bao, "Transactional", &common::sendgrid_key());
    // A copy of the keys that is a FIFO is not read (it would wait forever): the server's are.
    let cache = ana.cli.vault.join("team-cache.json");
    std::fs::remove_file(&cache).unwrap();
    let made = Command::new("mkfifo").arg(&cache).status().unwrap();
    assert!(made.success());
    let mut child = ana.command(&["list"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            let _killed = child.kill();
            panic!("`list` waited on a FIFO in place of the copy of the keys");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("Transactional"));

    // A team.ron larger than Keydesk reads: one sentence, before anything else.
    let file = ana.cli.vault.join("team.ron");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{text}{}", " ".repeat(2 * 1024 * 1024))).unwrap();
    let refused = ana.fails(&["list"], "");
    assert!(refused.contains("team.ron cannot be read: it is larger than Keydesk reads"), "{refused}");
}

#[test]
fn a_copy_reaches_the_clipboard_is_recorded_and_cleared() {
    if !common::clipboard::display_or_skip() {
        return;
    }
    let bao = Bao::dev();
    let key = common::sendgrid_key();
    let (ana, id) = ana_with_key(&bao, "Transactional", &key);
    // Without --clear-after: this computer's clear time for the team vault, from team.ron.
    set_clear_time(&ana, "5");
    let child = ana.command(&["copy", &id]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    assert!(common::clipboard::wait_for(&key, true), "the key reached the clipboard");
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("it clears in 5 s"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "Cleared the clipboard.");
    assert!(common::clipboard::wait_for(&key, false), "the key left the clipboard");
    let trail = ana.ok(&["audit"], "");
    assert!(trail.lines().next().unwrap().contains(" copy "), "{trail}");
}

#[test]
fn two_members_editing_one_key_at_once_lose_nothing() {
    let bao = Bao::dev();
    let (ana, bo, id) = team_of_two(&bao);

    // Both read version 1 of the key, then wait for their passwords.
    let renaming = Waiting::start(&ana, "a", &["edit", &id, "--label", "Campaign sync (prod)"]);
    let noting = Waiting::start(&bo, "b", &["edit", &id, "--note", "HubSpot uses it"]);
    let first = renaming.answer();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let second = noting.answer();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        "keydesk: ana changed this key a moment ago — reload and apply your change again."
    );
    let entry = raw_entry(&bao, &id);
    assert!(entry["record"].as_str().unwrap().contains("Campaign sync (prod)"), "the first edit stands");

    // The retry reads the new version: both edits are there.
    bo.ok(&["edit", &id, "--note", "HubSpot uses it"], "");
    let shown: Value = serde_json::from_str(&ana.ok(&["show", &id, "--json"], "")).unwrap();
    assert_eq!(shown["label"], "Campaign sync (prod)");
    assert_eq!(shown["notes"], "HubSpot uses it");
}

#[test]
fn a_cluster_loses_its_leader_and_every_key_is_still_served() {
    let mut nodes = Bao::raft_cluster(3);
    let addrs: Vec<String> = nodes.iter().map(|node| node.addr.clone()).collect();
    let ana = Member::new(&nodes[0].root_token);
    ana.init_at(&addrs.join(","), "ana");
    let keys: Vec<String> = (0..5).map(|_| common::sendgrid_key()).collect();
    for (n, key) in keys.iter().enumerate() {
        ana.ok(&["add", "--label", &format!("Key {n}")], key);
    }
    assert!(nodes[0].is_active(), "the writes went through the leader, node 1");

    // The leader dies; Keydesk is not told, and rides out the election by itself.
    nodes[0].stop();
    let listed = ana.ok(&["list"], "");
    for n in 0..5 {
        assert!(listed.contains(&format!("Key {n}")), "{listed}");
    }
    for (n, key) in keys.iter().enumerate() {
        let id = ana.id_of(&format!("Key {n}"));
        assert_eq!(ana.ok(&["reveal", &id], "").trim_end(), key);
    }
    ana.ok(&["add", "--label", "After the failover"], &common::sendgrid_key());
    assert!(nodes[1].is_active() || nodes[2].is_active(), "a new leader was elected");
    // A standby forwards to the new leader: through either survivor, the same keys.
    for survivor in &nodes[1..] {
        let one = ana.with_token(&survivor.root_token);
        let config = std::fs::read_to_string(one.cli.vault.join("team.ron")).unwrap();
        std::fs::write(one.cli.vault.join("team.ron"), config.replace(&addrs.join(","), &survivor.addr))
            .unwrap();
        assert!(one.ok(&["list"], "").contains("After the failover"));
    }
}

#[test]
fn the_servers_storage_holds_no_secret() {
    let bao = Bao::raft();
    let ana = Member::new(&bao.root_token);
    ana.init(&bao, "ana");
    let keys = [common::sendgrid_key(), common::mailchimp_key(), common::sendgrid_key()];
    for (n, key) in keys.iter().enumerate() {
        ana.ok(&["add", "--label", &format!("Key {n}")], key);
    }
    let listed = ana.ok(&["list"], "");
    assert!(listed.contains("Key 2"), "{listed}");
    drop(ana);
    let raft = bao.dir.path().join("raft");
    let mut files = 0;
    let mut bytes = 0;
    for entry in walk(&raft) {
        let data = std::fs::read(&entry).unwrap();
        files += 1;
        bytes += data.len();
        for key in &keys {
            for needle in [key.as_str(), &key[3..25], &key[key.len() - 20..]] {
                assert!(!contains(&data, needle.as_bytes()), "a secret is in {}", entry.display());
            }
        }
        assert!(!contains(&data, common::PASSWORD.as_bytes()), "the password is in {}", entry.display());
    }
    assert!(files >= 1 && bytes > 10_000, "the Raft data was read: {files} files, {bytes} bytes");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

#[test]
fn removing_a_member_replaces_the_team_key_and_what_they_kept_opens_nothing() {
    let bao = Bao::dev();
    let (ana, bo, id) = team_of_two(&bao);
    let first = String::from_utf8(ana.run(&["reveal", &id], "").stdout).unwrap();
    let second = common::mailchimp_key();
    ana.ok(&["add", "--label", "List sync"], &second);
    let second_id = ana.id_of("List sync");
    // Cy joins too; an invitation for dee waits.
    let cy = Member::new(&bao.root_token);
    let joined = cy.join(&bao, "cy", &code_in(&ana.ok(&["member", "invite", "cy"], "")));
    assert!(joined.status.success(), "{}", String::from_utf8_lossy(&joined.stderr));
    let dee_code = code_in(&ana.ok(&["member", "invite", "dee"], ""));

    // What bo keeps: the team's key as bo unlocked it, and a session opened before.
    let connect = |member: &Member| {
        let config = keydesk::actions::team::read_config(&member.cli.vault).unwrap();
        let location = keydesk::team::kv::Location::new(&bao.addr, MOUNT, PATH).unwrap();
        let kv = keydesk::team::kv::Kv::new(location, zeroize::Zeroizing::new(bao.root_token.clone()));
        keydesk::team::TeamVault::connect(kv, config, crate::common::entropy()).unwrap()
    };
    let password = |member: &Member| {
        let text = std::fs::read_to_string(&member.cli.password_file).unwrap();
        secrecy::SecretString::from(text.trim_end())
    };
    let bo_vault = connect(&bo);
    let bo_keys = bo_vault.unlock(&password(&bo)).unwrap();
    let before = raw_entry(&bao, &id);

    // Only an admin may; nobody removes themself.
    let editor = cy.with_token(&bao.token_with_policy("keydesk-editor", &policy("editor.hcl"), MOUNT, PATH));
    assert!(editor.fails(&["member", "remove", "bo"], "").contains("may not manage the team"));
    let admin = ana.with_token(&bao.token_with_policy("keydesk-admin", &policy("admin.hcl"), MOUNT, PATH));
    assert!(admin.fails(&["member", "remove", "ana"], "").contains("cannot remove yourself"));

    let said = admin.ok(&["member", "remove", "bo"], "");
    assert!(said.contains("Removed bo from the team vault"), "{said}");
    assert!(said.contains("2 keys sealed again"), "{said}");
    assert!(said.contains("Revoke bo's server token as well"), "{said}");
    assert!(said.contains("Campaign sync") && said.contains("List sync"), "both to rotate: {said}");

    // On the server: sealed anew under generation 1, the older versions destroyed, bo gone.
    let after = raw_entry(&bao, &id);
    assert_eq!(after["generation"], 1);
    assert_ne!(after["secret"], before["secret"]);
    let (_, old) =
        bao.call("GET", &format!("{MOUNT}/data/{PATH}/keys/{id}?version=1"), None, &bao.root_token);
    assert!(old["data"]["data"].is_null(), "version 1 is destroyed: {old}");
    assert_eq!(old["data"]["metadata"]["destroyed"], true, "{old}");
    let (status, _) = bao.call("GET", &format!("{MOUNT}/data/{PATH}/members/bo"), None, &bao.root_token);
    assert_eq!(status, 404);

    // What bo kept opens nothing the server holds now; bo's own commands are refused.
    let now_there = bo_vault.read_key(&keydesk::vault::model::KeyId::from_stored(&id)).unwrap().unwrap();
    assert!(bo_vault.secret_to_copy(&bo_keys, &now_there).is_err(), "bo's old key opens nothing");
    assert!(bo.fails(&["reveal", &id], "").contains("bo is not a member"));
    // A session opened before the removal hears of it at its next refresh.
    assert!(matches!(
        bo_vault.refresh(None, None, chrono::Utc::now()),
        Err(keydesk::team::TeamError::Rekeyed)
    ));
    // A window that opened this computer's copy while the server was away (and so holds no
    // key) is not told of a re-key when the server answers again.
    let config = keydesk::actions::team::read_config(&cy.cli.vault).unwrap();
    let location = keydesk::team::kv::Location::new(&bao.addr, MOUNT, PATH).unwrap();
    let kv = keydesk::team::kv::Kv::new(location, zeroize::Zeroizing::new(bao.root_token.clone()));
    assert!(
        keydesk::team::TeamVault::offline(kv, config, crate::common::entropy())
            .refresh(None, None, chrono::Utc::now())
            .is_ok()
    );

    // Everyone else goes on: ana, cy (joined before), dee (invited before, joins after).
    assert_eq!(ana.ok(&["reveal", &id], ""), first);
    assert_eq!(cy.ok(&["reveal", &second_id], "").trim_end(), second);
    let dee = Member::new(&bao.root_token);
    let joined = dee.join(&bao, "dee", &dee_code);
    assert!(joined.status.success(), "{}", String::from_utf8_lossy(&joined.stderr));
    assert_eq!(dee.ok(&["reveal", &second_id], "").trim_end(), second);
    cy.ok(&["edit", &id, "--note", "after the removal"], "");
    assert_eq!(raw_entry(&bao, &id)["generation"], 1);
    assert!(ana.ok(&["audit", "--verify"], "").contains("Audit chain verified"));
    let trail = ana.ok(&["audit"], "");
    assert!(trail.contains("member-remove") && trail.contains("rekey"), "{trail}");

    // The entry as it stood before the removal, put back by the server's operator (what bo,
    // who kept the old team key, could have written with their help): refused by everyone.
    let path = format!("{MOUNT}/data/{PATH}/keys/{id}");
    bao.call("POST", &path, Some(json!({ "data": before })), &bao.root_token);
    for member in [&ana, &cy] {
        let refused = member.fails(&["reveal", &id], "");
        assert!(refused.contains("older team key (generation 0)"), "{refused}");
    }
    let refused = ana.fails(&["edit", &id, "--note", "over it"], "");
    assert!(refused.contains("older team key"), "{refused}");
    let checked = ana.run(&["check"], "");
    let (said, why) = (String::from_utf8_lossy(&checked.stdout), String::from_utf8_lossy(&checked.stderr));
    assert_eq!(checked.status.code(), Some(1), "{said}{why}");
    assert!(said.contains("older team key (generation 0)") && said.contains("Audit log: verified"), "{said}");
    assert!(said.contains("Keys: 2, provider accounts: 0, incidents: 0"), "{said}");
    // Nor does the entry as it stood right after the removal (under the current key, before
    // cy's change): its seal binds the version it was written as.
    bao.call("POST", &path, Some(json!({ "data": after })), &bao.root_token);
    let refused = cy.fails(&["reveal", &id], "");
    assert!(refused.contains("changed outside Keydesk"), "{refused}");
}

/// The key-derivation cost of `member`'s copy of the team's keys, as the server keeps it.
fn member_kdf(bao: &Bao, member: &str) -> Value {
    let path = format!("{MOUNT}/data/{PATH}/members/{member}");
    let (status, body) = bao.call("GET", &path, None, &bao.root_token);
    assert_eq!(status, 200, "{body}");
    body["data"]["data"]["kdf"].clone()
}

#[test]
fn a_new_password_keeps_the_members_key_derivation_cost() {
    let bao = Bao::dev();
    let ana = Member::new(&bao.root_token);
    ana.init(&bao, "ana");
    let chosen = json!({ "memory_kib": 19 * 1024, "iterations": 2, "lanes": 1 });
    assert_eq!(member_kdf(&bao, "ana"), chosen, "made at the cost init was given");
    let new_file = ana.cli.dir.path().join("new-password");
    std::fs::write(&new_file, "a new passphrase for ana, long enough\n").unwrap();
    std::fs::set_permissions(&new_file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();

    // No --kdf-*: the cost stays as it was (not Keydesk's defaults).
    ana.ok(&["passwd", "--new-password-file", new_file.to_str().unwrap()], "");
    assert_eq!(member_kdf(&bao, "ana"), chosen);
    std::fs::copy(&new_file, &ana.cli.password_file).unwrap();
    // One part chosen: that part changes, the others stay.
    ana.ok(&["passwd", "--new-password-file", new_file.to_str().unwrap(), "--kdf-iterations", "3"], "");
    assert_eq!(member_kdf(&bao, "ana"), json!({ "memory_kib": 19 * 1024, "iterations": 3, "lanes": 1 }));
    // Out of range: refused before anything changes (with --new-data-key, the team's key too).
    let args =
        ["passwd", "--new-data-key", "--new-password-file", new_file.to_str().unwrap(), "--kdf-lanes", "9"];
    let refused = ana.fails(&args, "");
    assert!(refused.contains("cost"), "{refused}");
    assert!(ana.ok(&["info"], "").contains("Team vault"));
    let (_, team) = bao.call("GET", &format!("{MOUNT}/data/{PATH}/team"), None, &bao.root_token);
    assert_eq!(
        team["data"]["data"]["key_generation"].as_u64().unwrap_or(0),
        0,
        "the team's key stays: {team}"
    );
}

#[test]
fn a_member_changes_their_password_and_an_admin_replaces_the_teams_key() {
    let bao = Bao::dev();
    let (ana, bo, id) = team_of_two(&bao);
    let secret = ana.ok(&["reveal", &id], "");
    let versions = |member: &str| {
        let path = format!("{MOUNT}/metadata/{PATH}/members/{member}");
        let (_, meta) = bao.call("GET", &path, None, &bao.root_token);
        meta["data"]["versions"].clone()
    };
    // Joining destroyed the invitation (the team's key under the code).
    assert_eq!(versions("bo")["1"]["destroyed"], true, "{}", versions("bo"));

    // Bo, with a reader's token, changes their password: the old one opens nothing.
    let reader = bo.with_token(&bao.member_token("bo", "keydesk-reader", &policy("reader.hcl"), MOUNT, PATH));
    let new_file = bo.cli.dir.path().join("new-password");
    std::fs::write(&new_file, "a new passphrase for bo, long enough\n").unwrap();
    std::fs::set_permissions(&new_file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let cheap = ["--kdf-memory-mib", "19", "--kdf-iterations", "2", "--kdf-lanes", "1"];
    let mut args = vec!["passwd", "--new-password-file", new_file.to_str().unwrap()];
    args.extend(cheap);
    let said = reader.ok(&args, "");
    assert!(said.contains("Master password changed: the new one is in force."), "{said}");
    let all = versions("bo");
    let newest = all.as_object().unwrap().keys().filter_map(|v| v.parse::<u64>().ok()).max().unwrap();
    for (version, meta) in all.as_object().unwrap() {
        let destroyed = meta["destroyed"] == true;
        assert_eq!(destroyed, version.parse::<u64>().unwrap() < newest, "version {version}: {all}");
    }
    assert!(bo.fails(&["reveal", &id], "").contains("password"), "the old password is refused");
    for copy in [&bo, &reader] {
        std::fs::copy(&new_file, &copy.cli.password_file).unwrap();
    }
    assert_eq!(bo.ok(&["reveal", &id], ""), secret);
    assert!(ana.ok(&["audit"], "").contains("change-password"));

    // --new-data-key replaces the team's key for everyone; an admin's alone.
    let mut args = vec!["passwd", "--new-data-key", "--new-password-file", new_file.to_str().unwrap()];
    args.extend(cheap);
    let refused = reader.fails(&args, "");
    assert!(refused.contains("keydesk-admin"), "{refused}");
    let said = ana.ok(&args, "");
    assert!(
        said.contains("replaced for every member (generation 1)") && said.contains("1 key sealed again"),
        "{said}"
    );
    assert_eq!(raw_entry(&bao, &id)["generation"], 1);
    std::fs::copy(&new_file, &ana.cli.password_file).unwrap();
    assert_eq!(ana.ok(&["reveal", &id], ""), secret);
    assert_eq!(bo.ok(&["reveal", &id], ""), secret, "bo's copy has the new key, password unchanged");
    let trail = bo.ok(&["audit"], "");
    assert!(trail.contains("team-rekey") && trail.contains("generation 1 of the team key"), "{trail}");
    assert!(ana.ok(&["check"], "").contains("Everything is in order."));

    // A team vault's backup is its server's.
    let file = ana.cli.dir.path().join("backup.kdbk");
    let refused = ana.fails(&["backup", file.to_str().unwrap()], "");
    assert!(refused.contains("bao operator raft snapshot save"), "{refused}");
}

#[test]
fn a_team_vault_whose_making_fails_half_way_is_taken_back() {
    let bao = Bao::dev();
    // A token that may write the team's entry (and take it back) but not a member's.
    let policy = format!(
        "path \"{MOUNT}/data/{PATH}/team\" {{ capabilities = [\"create\", \"read\", \"update\"] }}\n\
         path \"{MOUNT}/metadata/{PATH}/team\" {{ capabilities = [\"delete\"] }}\n"
    );
    let (status, body) =
        bao.call("PUT", "sys/policies/acl/half", Some(json!({ "policy": policy })), &bao.root_token);
    assert!(status == 204 || status == 200, "{status} {body}");
    let half = Member::new(&bao.token_for(&["half"]));
    let args = init_args(&bao.addr, "ana", false);
    let output = half.run(&args.iter().map(String::as_str).collect::<Vec<_>>(), "");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("may not manage the team"), "{output:?}");
    assert!(!half.cli.vault.join("team.ron").exists());
    let (status, _) = bao.call("GET", &format!("{MOUNT}/data/{PATH}/team"), None, &bao.root_token);
    assert_eq!(status, 404, "the team's entry was taken back");
    // So the next try, with the right token, makes it.
    let ana = Member::new(&bao.root_token);
    ana.init(&bao, "ana");
    ana.ok(&["add", "--label", "Works"], &common::sendgrid_key());
}

#[test]
fn a_revoked_key_leaves_the_server_with_its_history_for_an_admin() {
    let bao = Bao::dev();
    let (ana, bo, _) = team_of_two(&bao);
    // SendGrid (on loopback) refuses every key now: the revoked one's check is a refusal.
    let sendgrid = common::mock::Mock::start(|_seen| {
        common::mock::Reply::json(401, r#"{"errors":[{"field":null,"message":"authorization required"}]}"#)
    });
    ana.ok(&["account", "add", "--provider", "sendgrid", "--name", "SG", "--base-url", &sendgrid.url], "\n");
    ana.ok(&["add", "--label", "Newsletter", "--account", "SG"], &common::sendgrid_key());
    let id = ana.id_of("Newsletter");
    ana.ok(&["edit", &id, "--note", "a second version"], "");
    // SendGrid's keys are revoked on its page (no management key here): the user says so.
    let output = ana.run(&["revoke", &id, "--reason", "leaked"], "");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--revoked-at-provider"), "{output:?}");
    assert!(sendgrid.seen().is_empty(), "nothing is asked before the user confirms");

    // An editor revokes: the entry keeps no secret; the older versions stay (said so).
    let editor = bo.with_token(&bao.token_with_policy("keydesk-editor", &policy("editor.hcl"), MOUNT, PATH));
    let output =
        editor.run(&["revoke", &id, "--reason", "pasted in a shared doc", "--revoked-at-provider"], "");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("older versions on the server still hold"),
        "{output:?}"
    );
    assert_eq!(raw_entry(&bao, &id)["secret"], "");
    assert!(ana.fails(&["reveal", &id], "").contains("is revoked"));
    assert!(ana.fails(&["revoke", &id, "--reason", "again", "--local-only"], "").contains("is revoked"));
    let listed = ana.ok(&["list", "--all", "--json"], "");
    assert!(listed.contains("\"revoked\""), "{listed}");
    let trail = ana.ok(&["audit"], "");
    assert!(trail.contains("revoked by hand on SendGrid's page; SendGrid now refuses it"), "{trail}");
    assert_eq!(sendgrid.seen().len(), 1, "the old key was checked once");

    // An admin's revoke destroys the older versions too.
    let key = common::mailchimp_key();
    ana.ok(&["add", "--label", "Second"], &key);
    let second = ana.id_of("Second");
    ana.ok(&["edit", &second, "--note", "v2"], "");
    let said = ana.run(&["revoke", &second, "--reason", "rotated", "--local-only"], "");
    assert!(said.status.success() && said.stderr.is_empty(), "{said:?}");
    let (_, old) =
        bao.call("GET", &format!("{MOUNT}/data/{PATH}/keys/{second}?version=1"), None, &bao.root_token);
    assert_eq!(old["data"]["metadata"]["destroyed"], true, "{old}");

    // "Which key is this?" still names a revoked key from its leaked value (and records it).
    let found = ana.ok(&["whois"], &format!("  {key}\n"));
    assert!(found.starts_with(&format!("{second}\tSecond\tRevoked on ")), "{found}");
    assert!(found.contains("(rotated)") && found.lines().count() == 1, "{found}");
    let none = ana.run(&["whois"], "not a key of this team");
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stdout).contains("No key in this team vault matches"), "{none:?}");
    assert!(ana.ok(&["audit"], "").contains("matched \"Second\""));
}

#[test]
fn a_team_vault_exports_its_keys_as_a_local_vault_does() {
    let bao = Bao::dev();
    let key = common::sendgrid_key();
    let (ana, _id) = ana_with_key(&bao, "Transactional — 東京", &key);
    let folder = tempfile::tempdir().unwrap();
    let metadata = folder.path().join("keys.csv");
    let said = ana.ok(&["export", metadata.to_str().unwrap()], "");
    assert!(said.contains("Exported 1 key (metadata only)"), "{said}");
    let text = std::fs::read_to_string(&metadata).unwrap();
    assert!(text.contains("Transactional — 東京") && !text.contains(&key), "{text}");
    // The same file is never written over.
    assert!(ana.fails(&["export", metadata.to_str().unwrap()], "").contains("already exists"));

    // With the secrets: only once the words are typed.
    let full = folder.path().join("all.json");
    let refused = ana.run(&["export", full.to_str().unwrap(), "--format", "json", "--with-secrets"], "no\n");
    assert!(!refused.status.success() && !full.exists());
    ana.ok(&["export", full.to_str().unwrap(), "--format", "json", "--with-secrets"], "export secrets\n");
    assert!(std::fs::read_to_string(&full).unwrap().contains(&key));
    let trail = ana.ok(&["audit"], "");
    assert!(trail.contains("with their secrets, as json"), "{trail}");
}

#[test]
fn a_spreadsheet_is_imported_into_a_team_vault_and_reaches_the_other_members() {
    let bao = Bao::dev();
    let (ana, bo, _id) = team_of_two(&bao);
    let shared = String::from_utf8(ana.run(&["reveal", "Campaign sync"], "").stdout).unwrap();
    let (new_one, new_two) = (common::sendgrid_key(), common::mailchimp_key());
    let folder = tempfile::tempdir().unwrap();
    let csv = folder.path().join("keys.csv");
    std::fs::write(
        &csv,
        format!(
            "label,key\nWebhook — 東京,{new_one}\nAlready here,{}\nList sync,{new_two}\nTwice,{new_one}\nBroken,SG.short\nNo key,\n",
            shared.trim_end()
        ),
    )
    .unwrap();
    let csv = csv.to_str().unwrap();
    let preview = ana.ok(&["import", csv, "--dry-run"], "");
    assert!(
        preview.contains("line 3: \"Already here\": already in the vault as \"Campaign sync\""),
        "{preview}"
    );
    assert!(preview.contains("line 5: \"Twice\": the same key as line 2"), "{preview}");
    assert!(preview.contains("\"Broken\": skipped"), "{preview}");
    assert!(preview.contains("Nothing was written (--dry-run)."), "{preview}");
    assert_eq!(ana.ok(&["list", "--json"], "").matches("\"id\"").count(), 1, "nothing written");

    let said = ana.ok(&["import", csv, "--yes"], "");
    assert!(said.contains("Imported 2 keys"), "{said}");
    // Bo's copy hears of both from the trail, and the secrets open for him.
    let listed = bo.ok(&["list"], "");
    assert!(listed.contains("Webhook — 東京") && listed.contains("List sync"), "{listed}");
    assert_eq!(bo.ok(&["reveal", "List sync"], "").trim_end(), new_two);
    // The row the file's reader skipped (no key) is counted with the one the vault refused.
    let audit = ana.ok(&["audit"], "");
    assert!(
        audit.contains("2 keys from \"keys.csv\"; 1 already in the vault, 1 repeated in the file, 2 skipped"),
        "{audit}"
    );
    // Run again: everything is already there.
    let again = ana.ok(&["import", csv, "--yes"], "");
    assert!(again.contains("Nothing to import"), "{again}");
    // A reader's token is refused up front.
    let reader = ana.with_token(&bao.token_with_policy("keydesk-reader", &policy("reader.hcl"), MOUNT, PATH));
    assert!(reader.fails(&["import", csv, "--yes"], "").contains("may not change keys"));
}

/// SendGrid on loopback as its API answers: `GET /v3/scopes` with a key in `live` answers
/// its scopes, with any other key 401; the management key may make and delete keys
/// ([`common::mock::sendgrid_keys`]).
fn sendgrid_for(management: &str, live: Arc<Mutex<Vec<String>>>) -> common::mock::Mock {
    let management = management.to_owned();
    let made = Mutex::new(Vec::new());
    common::mock::Mock::start(move |seen| {
        let bearer = seen.header("authorization").and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("");
        match (seen.method.as_str(), seen.url.as_str()) {
            ("GET", "/v3/scopes") if live.lock().unwrap().iter().any(|key| key == bearer) => {
                common::mock::Reply::json(200, r#"{"scopes":["mail.send"]}"#)
            }
            ("GET", "/v3/scopes") if bearer == management => common::mock::Reply::json(
                200,
                r#"{"scopes":["api_keys.create","api_keys.delete","api_keys.read","mail.send"]}"#,
            ),
            ("GET", "/v3/scopes") => common::mock::Reply::json(
                401,
                r#"{"errors":[{"field":null,"message":"authorization required"}]}"#,
            ),
            _ => common::mock::sendgrid_keys(seen, &management, &made),
        }
    })
}

#[test]
fn provider_accounts_serve_every_member_and_their_management_key_stays_sealed() {
    let bao = Bao::dev();
    let (ana, bo, _) = team_of_two(&bao);
    let management = common::sendgrid_key();
    let key = common::sendgrid_key();
    let live = Arc::new(Mutex::new(vec![key.clone()]));
    let sendgrid = sendgrid_for(&management, Arc::clone(&live));

    // Ana adds the account with its management key; Bo sees it and may use it.
    let said = ana.ok(
        &["account", "add", "--provider", "sendgrid", "--name", "SG prod", "--base-url", &sendgrid.url],
        &format!("{management}\n"),
    );
    assert!(said.contains("to the team vault with its management key."), "{said}");
    let accounts: Value = serde_json::from_str(&bo.ok(&["account", "list", "--json"], "")).unwrap();
    assert_eq!(accounts[0]["name"], "SG prod");
    assert_eq!(accounts[0]["has_management_key"], true);
    assert_eq!(accounts[0]["base_url"], sendgrid.url.as_str());
    assert!(bo.ok(&["account", "test", "sg PROD"], "").contains("Connected to SendGrid."));
    let account_id = accounts[0]["id"].as_str().unwrap();
    let (status, raw) =
        bao.call("GET", &format!("{MOUNT}/data/{PATH}/accounts/{account_id}"), None, &bao.root_token);
    assert_eq!(status, 200);
    assert!(!raw.to_string().contains(&management), "the server holds the management key sealed");
    let taken = ana.fails(
        &["account", "add", "--provider", "brevo", "--name", "sg prod", "--base-url", &sendgrid.url],
        "\n",
    );
    assert!(taken.contains("already"), "{taken}");

    // A key of the account: every member verifies it against the account's address.
    ana.ok(&["add", "--label", "CRM mail", "--account", "SG prod"], &key);
    let mismatch = ana.fails(&["add", "--label", "Chimp", "--account", "SG prod"], &common::mailchimp_key());
    assert!(mismatch.contains("does not look like a SendGrid key"), "{mismatch}");
    assert!(bo.ok(&["verify", "CRM mail"], "").contains("Key works; scopes: mail.send."));
    let checked: Value = serde_json::from_str(&bo.ok(&["verify", "CRM mail", "--json"], "")).unwrap();
    assert_eq!(checked["outcome"], "works");
    assert_eq!(checked["http_status"], 200);
    let shown: Value = serde_json::from_str(&ana.ok(&["show", "CRM mail", "--json"], "")).unwrap();
    assert_eq!(shown["last_verified"]["outcome"], "works", "Bo's answer is on the key for Ana");
    assert_eq!(shown["account"], account_id);
    let asked = sendgrid.seen().iter().filter(|r| r.url == "/v3/scopes").count();
    assert_eq!(asked, 3, "the account test and two verifies, nothing more");

    // A reader verifies too (the answer goes to the trail only) but adds no account.
    let reader = bo.with_token(&bao.token_with_policy("keydesk-reader", &policy("reader.hcl"), MOUNT, PATH));
    assert!(reader.ok(&["verify", "CRM mail"], "").contains("Key works"));
    let refused = reader.fails(
        &["account", "add", "--provider", "brevo", "--name", "Brevo", "--base-url", &sendgrid.url],
        "\n",
    );
    assert!(refused.contains("keydesk-editor"), "{refused}");

    // Revoked on SendGrid's page while SendGrid still takes it: not revoked, and said so.
    let still = bo.fails(&["revoke", "CRM mail", "--reason", "leaked", "--revoked-at-provider"], "");
    assert!(still.contains("SendGrid still accepts this key"), "{still}");
    let shown: Value = serde_json::from_str(&ana.ok(&["show", "CRM mail", "--json"], "")).unwrap();
    assert_eq!(shown["status"], "active", "{shown}");
    live.lock().unwrap().clear();
    let revoked = bo.ok(&["revoke", "CRM mail", "--reason", "leaked", "--revoked-at-provider"], "");
    assert!(revoked.contains("SendGrid now refuses it"), "{revoked}");
    let trail = ana.ok(&["audit"], "");
    for entry in [
        "account-add",
        "verify",
        "revoke           ",
        "FAILED: SendGrid still accepts this key",
        "SendGrid now refuses it",
    ] {
        assert!(trail.contains(entry), "{entry}: {trail}");
    }

    // The account's address changed on the server by someone without the team's key: no
    // secret is sent anywhere, and the sentence says why.
    let path = format!("{MOUNT}/data/{PATH}/accounts/{account_id}");
    let (_, entry) = bao.call("GET", &path, None, &bao.root_token);
    let original = entry["data"]["data"].clone();
    let mut planted = original.clone();
    let elsewhere = common::mock::Mock::start(|_seen| common::mock::Reply::json(200, r#"{"scopes":[]}"#));
    planted["record"] =
        Value::String(planted["record"].as_str().unwrap().replace(&sendgrid.url, &elsewhere.url));
    bao.call("POST", &path, Some(json!({ "data": planted })), &bao.root_token);
    assert!(bo.fails(&["verify", "CRM mail"], "").contains("changed outside Keydesk"));
    assert!(elsewhere.seen().is_empty(), "the planted address received nothing");
    // Put back as it was, it is still refused: its seal binds the version it was written as,
    // so an older version restored by the server's operator does not pass for the current one.
    bao.call("POST", &path, Some(json!({ "data": original })), &bao.root_token);
    assert!(bo.fails(&["verify", "CRM mail"], "").contains("changed outside Keydesk"));
    assert!(elsewhere.seen().is_empty());

    // Removing the account is the admin's; it goes with its history.
    let editor = bo.with_token(&bao.token_with_policy("keydesk-editor", &policy("editor.hcl"), MOUNT, PATH));
    assert!(editor.fails(&["account", "remove", "SG prod"], "").contains("keydesk-admin"));
    assert!(ana.ok(&["account", "remove", "SG prod"], "").contains("Removed the account \"SG prod\""));
    let (status, _) =
        bao.call("GET", &format!("{MOUNT}/metadata/{PATH}/accounts/{account_id}"), None, &bao.root_token);
    assert_eq!(status, 404, "no version of the account is left");
    assert!(bo.ok(&["account", "list"], "").contains("No provider accounts yet"));
    assert!(trail.len() < ana.ok(&["audit"], "").len());
    for member in [&ana, &bo] {
        let printed =
            format!("{}{}", member.ok(&["audit", "--json"], ""), member.ok(&["list", "--json", "--all"], ""));
        assert!(!printed.contains(&management) && !printed.contains(&key));
    }
}

#[test]
fn a_removal_reseals_the_accounts_and_passes_over_revoked_keys() {
    let bao = Bao::dev();
    let (ana, bo, id) = team_of_two(&bao);
    let management = common::sendgrid_key();
    let sendgrid = sendgrid_for(&management, Arc::new(Mutex::new(Vec::new())));
    ana.ok(
        &["account", "add", "--provider", "sendgrid", "--name", "SG", "--base-url", &sendgrid.url],
        &format!("{management}\n"),
    );
    ana.ok(&["incident", "open", &id, "--found-where", "a shared doc"], "");
    ana.ok(&["revoke", &id, "--reason", "old", "--local-only"], "");
    ana.ok(&["add", "--label", "Live"], &common::mailchimp_key());
    let said = ana.ok(&["member", "remove", "bo"], "");
    let incidents: Value = serde_json::from_str(&ana.ok(&["incident", "list", "--json"], "")).unwrap();
    let incident = incidents[0]["id"].as_str().unwrap();
    let (_, raw) =
        bao.call("GET", &format!("{MOUNT}/data/{PATH}/incidents/{incident}"), None, &bao.root_token);
    assert_eq!(raw["data"]["data"]["generation"], 1, "the incident is sealed again too: {raw}");
    assert!(said.contains("generation 1"), "{said}");
    let accounts: Value = serde_json::from_str(&ana.ok(&["account", "list", "--json"], "")).unwrap();
    let account_id = accounts[0]["id"].as_str().unwrap();
    let (_, raw) =
        bao.call("GET", &format!("{MOUNT}/data/{PATH}/accounts/{account_id}"), None, &bao.root_token);
    assert_eq!(raw["data"]["data"]["generation"], 1, "{raw}");
    let (_, old) = bao.call(
        "GET",
        &format!("{MOUNT}/data/{PATH}/accounts/{account_id}?version=1"),
        None,
        &bao.root_token,
    );
    assert_eq!(old["data"]["metadata"]["destroyed"], true, "{old}");
    // The management key still opens, under the new generation.
    assert!(ana.ok(&["account", "test", "SG"], "").contains("Connected to SendGrid."));
    assert!(bo.fails(&["account", "test", "SG"], "").contains("bo is not a member"));
    assert!(ana.ok(&["list", "--all"], "").contains("revoked"));
    assert!(ana.ok(&["audit", "--verify"], "").contains("verified"));
}

#[test]
fn keys_are_made_for_a_team_here_and_at_the_provider() {
    let bao = Bao::dev();
    let (ana, bo, _) = team_of_two(&bao);

    // A Keydesk-format key made here: shown once to Ana, sealed for Bo.
    let made = ana.ok(&["generate", "--label", "Webhook", "--length", "32"], "");
    let made = made.trim();
    assert!(made.starts_with("kd_live_") && made.len() == 8 + 32 + 6, "prefix, body, checksum: {made}");
    assert_eq!(bo.ok(&["reveal", "Webhook"], "").trim(), made);
    let id = bo.id_of("Webhook");
    assert!(!raw_entry(&bao, &id).to_string().contains(made), "the server holds it sealed");
    let refused = ana.fails(&["generate", "--label", "Short", "--length", "16"], "");
    assert!(refused.contains("only 95 bits"), "{refused}");

    // A key made at SendGrid with the account's management key, kept with its id there.
    let management = common::sendgrid_key();
    let sendgrid = sendgrid_for(&management, Arc::new(Mutex::new(Vec::new())));
    ana.ok(
        &["account", "add", "--provider", "sendgrid", "--name", "SG prod", "--base-url", &sendgrid.url],
        &format!("{management}\n"),
    );
    let reader = bo.with_token(&bao.token_with_policy("keydesk-reader", &policy("reader.hcl"), MOUNT, PATH));
    let refused = reader.fails(&["generate", "--label", "CRM mail", "--account", "SG prod"], "");
    assert!(refused.contains("keydesk-editor"), "{refused}");
    assert!(sendgrid.seen().is_empty(), "a token that cannot keep the key makes none");
    let created =
        bo.ok(&["generate", "--label", "CRM mail", "--account", "sg PROD", "--scope", "mail-send"], "");
    let created = created.trim();
    assert!(created.starts_with("SG."), "{created}");
    let asked = sendgrid.seen();
    assert_eq!(asked.len(), 1, "one create request");
    assert_eq!((asked[0].method.as_str(), asked[0].url.as_str()), ("POST", "/v3/api_keys"));
    let body: Value = serde_json::from_str(&asked[0].body).unwrap();
    assert_eq!(body["name"], "CRM mail");
    let shown: Value = serde_json::from_str(&ana.ok(&["show", "CRM mail", "--json"], "")).unwrap();
    assert_eq!(shown["provider"], "sendgrid");
    assert_eq!(shown["provider_key_id"], &created[3..25]);
    assert_eq!(shown["scopes"], json!(["mail.send"]));
    assert_eq!(ana.ok(&["reveal", "CRM mail"], "").trim(), created);
    // So revoking it goes over the API.
    let revoked = ana.ok(&["revoke", "CRM mail", "--reason", "test over"], "");
    assert!(revoked.contains("SendGrid"), "{revoked}");
    assert!(sendgrid.seen().iter().any(|r| r.method == "DELETE"));

    // The management key pasted as a key of its own is refused.
    let pasted = ana.fails(&["add", "--label", "Oops"], &management);
    assert!(pasted.contains("management key"), "{pasted}");
    let trail = bo.ok(&["audit"], "");
    for entry in ["generate", "\"Webhook\", 190 bits", "\"CRM mail\", SendGrid"] {
        assert!(trail.contains(entry), "{entry}: {trail}");
    }
    assert!(!trail.contains(made) && !trail.contains(created) && !trail.contains(&management));
}

#[test]
fn last_use_is_asked_for_a_team_key_and_kept_for_every_member() {
    let bao = Bao::dev();
    let (ana, bo, sendgrid_id) = team_of_two(&bao);
    let key = common::random_chars("0123456789ABCDEF", 96);
    // Elastic Email on loopback, as its API answers for a key it knows by name.
    let elastic = common::mock::elastic_email_knowing(&key);
    ana.ok(
        &["account", "add", "--provider", "elastic-email", "--name", "EE", "--base-url", &elastic.url],
        "\n",
    );
    ana.ok(&["add", "--label", "Newsletter", "--account", "EE"], &key);

    assert!(
        bo.fails(&["usage", "Newsletter"], "")
            .contains("Keydesk needs the name this key has at Elastic Email")
    );
    assert!(elastic.seen().is_empty(), "nothing asked without a name");
    let said = bo.ok(&["usage", "Newsletter", "--name", "CRM sync"], "");
    assert!(said.contains("Last used at Elastic Email") && said.contains("(2026-11-20 08:30 UTC)"), "{said}");
    // Bo's answer (and the name it proved right) is on the key for Ana: she asks without one.
    let shown: Value = serde_json::from_str(&ana.ok(&["show", "Newsletter", "--json"], "")).unwrap();
    assert_eq!(shown["provider_key_id"], "CRM sync", "{shown}");
    let answer: Value = serde_json::from_str(&ana.ok(&["usage", "Newsletter", "--json"], "")).unwrap();
    assert_eq!(answer["last_used"], "2026-11-20T08:30:00+00:00", "{answer}");
    assert_eq!(answer["possible_unauthorized_use"], false);
    let trail = ana.ok(&["audit"], "");
    assert!(trail.contains("\"Newsletter\": last used 2026-11-20 08:30 UTC"), "{trail}");

    // A provider whose API does not tell, and a revoked key with no account key to ask with.
    let not_told = ana.fails(&["usage", &sendgrid_id], "");
    assert!(not_told.contains("SendGrid's API does not tell when a key was last used"), "{not_told}");
    ana.ok(&["revoke", "Newsletter", "--reason", "rotated", "--local-only"], "");
    let revoked = ana.fails(&["usage", "Newsletter"], "");
    assert!(revoked.contains("Newsletter"), "{revoked}");
    assert_eq!(elastic.seen().len(), 2, "one question each for Bo and Ana, none after the revoke");
}

#[test]
fn a_team_key_is_rotated_step_by_step_by_two_members() {
    let bao = Bao::dev();
    let (ana, bo, campaign) = team_of_two(&bao);
    let (old_key, new_key) = (common::sendgrid_key(), common::sendgrid_key());
    let live = Arc::new(Mutex::new(vec![old_key.clone(), new_key.clone()]));
    let sendgrid = sendgrid_for(&common::sendgrid_key(), Arc::clone(&live));
    ana.ok(&["account", "add", "--provider", "sendgrid", "--name", "SG", "--base-url", &sendgrid.url], "\n");
    ana.ok(
        &[
            "add",
            "--label",
            "CRM mail",
            "--account",
            "SG",
            "--integration",
            "HubSpot",
            "--integration",
            "Zapier",
        ],
        &old_key,
    );
    let old = ana.id_of("CRM mail");

    // Bo starts it with a key he made at SendGrid; Ana's copy shows it under way.
    let started = bo.run(&["rotate", &old], &new_key);
    let said = String::from_utf8_lossy(&started.stderr);
    assert!(started.status.success(), "{said}");
    assert!(said.contains("is now retiring") && said.contains("Move HubSpot, Zapier to it"), "{said}");
    let status: Value = serde_json::from_str(&ana.ok(&["rotate", &old, "--status", "--json"], "")).unwrap();
    assert_eq!((status["moved"].as_u64(), status["total"].as_u64()), (Some(0), Some(2)), "{status}");
    let new = status["new_key"].as_str().unwrap().to_owned();
    let shown: Value = serde_json::from_str(&ana.ok(&["show", &new, "--json"], "")).unwrap();
    assert_eq!(
        (shown["replaces"].as_str(), shown["account"].is_string()),
        (Some(old.as_str()), true),
        "{shown}"
    );
    assert!(
        bo.fails(&["rotate", &old], &common::sendgrid_key()).contains("is under way"),
        "one rotation at a time"
    );
    assert!(
        ana.fails(&["rotate", &campaign], &new_key).contains("already in the vault"),
        "a key the team vault holds already"
    );

    // Completing waits for the integrations; each member marks what they moved.
    let open = ana.fails(&["rotate", &new, "--complete", "--revoked-at-provider"], "");
    assert!(open.contains("HubSpot") && open.contains("Zapier"), "{open}");
    assert!(ana.ok(&["rotate", &new, "--mark", "HubSpot", "updated"], "").contains("0 of 2"));
    assert!(bo.ok(&["rotate", &old, "--mark", "hubspot", "tested"], "").contains("1 of 2"));
    assert!(bo.fails(&["rotate", &old, "--mark", "Slack", "tested"], "").contains("\"HubSpot\", \"Zapier\""));
    bo.ok(&["rotate", &old, "--mark", "Zapier", "updated"], "");
    assert!(ana.ok(&["rotate", &new, "--mark", "Zapier", "tested"], "").contains("2 of 2"));

    // SendGrid still takes the old key: not revoked, the rotation stays open.
    let still = ana.fails(&["rotate", &new, "--complete", "--revoked-at-provider"], "");
    assert!(still.contains("SendGrid still accepts this key"), "{still}");
    let shown: Value = serde_json::from_str(&bo.ok(&["show", &old, "--json"], "")).unwrap();
    assert_eq!(shown["status"], "retiring", "{shown}");
    live.lock().unwrap().retain(|key| *key != old_key);
    let done = ana.ok(&["rotate", &new, "--complete", "--revoked-at-provider"], "");
    assert!(
        done.contains("SendGrid now refuses it") && done.contains("Rotation of \"CRM mail\" complete"),
        "{done}"
    );
    let shown: Value = serde_json::from_str(&bo.ok(&["show", &old, "--json"], "")).unwrap();
    assert_eq!(
        (shown["status"].as_str(), shown["replaced_by"].as_str()),
        (Some("revoked"), Some(new.as_str()))
    );
    assert!(shown["rotation"].is_null(), "{shown}");

    // A second rotation, of the new key, abandoned: the third key is revoked, the new one active.
    let third = common::sendgrid_key();
    bo.ok(&["rotate", &new], &third);
    assert!(bo.fails(&["rotate", &new, "--abandon", "--reason", " ", "--local-only"], "").contains("reason"));
    let abandoned = bo.ok(&["rotate", &new, "--abandon", "--reason", "wrong scopes", "--local-only"], "");
    assert!(abandoned.contains("the old one is active again"), "{abandoned}");
    let shown: Value = serde_json::from_str(&ana.ok(&["show", &new, "--json"], "")).unwrap();
    assert_eq!(shown["status"], "active", "{shown}");
    assert!(shown["replaced_by"].is_null() && shown["rotation"].is_null(), "{shown}");
    let trail = ana.ok(&["audit"], "");
    for entry in
        ["\"CRM mail\" replaced by", "rotation of \"CRM mail\": HubSpot tested", "abandoned: wrong scopes"]
    {
        assert!(trail.contains(entry), "{entry}: {trail}");
    }
    assert!(ana.ok(&["audit", "--verify"], "").contains("verified"));
}

#[test]
fn a_rotation_cut_short_after_its_new_key_was_added_is_finished_by_running_it_again() {
    use keydesk::team::TeamVault;
    use keydesk::team::kv::{Kv, Location};
    let bao = Bao::dev();
    let (ana, old) = ana_with_key(&bao, "Newsletter", &common::mailchimp_key());
    let new_key = common::mailchimp_key();
    // What a rotation that died between its two writes leaves: the new key, naming the old
    // one, and the old key not marked as being replaced.
    let config = keydesk::actions::team::read_config(&ana.cli.vault).unwrap();
    let location = Location::new(&bao.addr, MOUNT, PATH).unwrap();
    let vault = TeamVault::connect(
        Kv::new(location, zeroize::Zeroizing::new(bao.root_token.clone())),
        config,
        crate::common::entropy(),
    )
    .unwrap();
    let keys = vault.unlock(&secrecy::SecretString::from(common::PASSWORD)).unwrap();
    let secret = secrecy::SecretString::from(new_key.clone());
    let now = chrono::Utc::now();
    let mut record = keydesk::vault::new_key_record(
        keydesk::vault::new_key_id(&mut keydesk::vault::os_rng(), |_| false),
        keydesk::vault::meta::KeyMeta::labelled("Newsletter"),
        (keydesk::providers::Provider::Mailchimp, ""),
        &secret,
        keys.lookup_hash(&secret),
        keydesk::vault::whole_seconds(now),
    )
    .unwrap();
    record.replaces = Some(keydesk::vault::model::KeyId::from_stored(&old));
    vault.add(&keys, &record, &secret, &mut keydesk::vault::os_rng(), now).unwrap();

    // The same command again, with the same new key, finishes it (no "already in the vault").
    let output = ana.run(&["rotate", &old], &new_key);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let status: Value = serde_json::from_str(&ana.ok(&["rotate", &old, "--status", "--json"], "")).unwrap();
    assert_eq!(status["new_key"], record.id.as_str(), "linked to the key added before, not a second one");
    let listed: Value = serde_json::from_str(&ana.ok(&["list", "--json"], "")).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
}

#[test]
fn an_incident_on_a_team_key_gathers_every_members_steps_and_closes() {
    let bao = Bao::dev();
    let (ana, bo, id) = team_of_two(&bao);
    let opened = bo.run(
        &["incident", "open", &id, "--found-where", "a public GitHub gist", "--noticed-by", "GitGuardian"],
        "",
    );
    assert!(opened.status.success(), "{}", String::from_utf8_lossy(&opened.stderr));
    let said = String::from_utf8_lossy(&opened.stdout).into_owned();
    let incident = said.trim().trim_start_matches("Opened incident ").trim_end_matches('.').to_owned();
    assert_eq!(incident.len(), 8, "{said}");
    assert!(String::from_utf8_lossy(&opened.stderr).contains("Next: revoke the key"));

    // Ana responds: revokes it, then replaces it (it stays revoked).
    ana.ok(&["revoke", &id, "--reason", "leaked in a gist", "--local-only"], "");
    let rotated = ana.run(&["rotate", &id], &common::sendgrid_key());
    assert!(String::from_utf8_lossy(&rotated.stderr).contains("stays revoked"), "{rotated:?}");

    // Either member's report has both steps, by whom, and what is left.
    let listed: Value = serde_json::from_str(&ana.ok(&["incident", "list", "--json"], "")).unwrap();
    assert_eq!(listed[0]["id"], incident.as_str());
    assert!(listed[0]["closed_at"].is_null());
    let report = bo.ok(&["incident", "show", &incident[..4]], "");
    for line in [
        "**Found in:** a public GitHub gist",
        "**Noticed by:** GitGuardian",
        "revoke, by ana: \"Campaign sync\": leaked in a gist",
        "rotate, by ana: \"Campaign sync\" replaced by",
        "add (the replacement), by ana",
        "- Revoked ",
        "- Replaced by \"Campaign sync\"",
    ] {
        assert!(report.contains(line), "{line}:\n{report}");
    }

    // `due` reminds every member of the open incident, and of a key about to expire.
    bo.ok(
        &[
            "edit",
            "Campaign sync",
            "--expires",
            &(chrono::Utc::now() + chrono::Duration::days(3)).format("%Y-%m-%d").to_string(),
        ],
        "",
    );
    let due = ana.ok(&["due"], "");
    assert!(
        due.contains(&format!("incident {incident} open: \"Campaign sync\" found in a public GitHub gist")),
        "{due}"
    );
    assert!(due.contains("expires in") && due.contains("1 key is due."), "{due}");
    let due: Value = serde_json::from_str(&bo.ok(&["due", "--json"], "")).unwrap();
    assert_eq!(due["open_incidents"][0]["id"], incident.as_str());

    // Closed with a summary; a second close is refused.
    assert!(
        bo.ok(&["incident", "close", &incident, "--summary", "Gist deleted, key rotated"], "")
            .contains("Closed")
    );
    assert!(bo.fails(&["incident", "close", &incident, "--summary", "again"], "").contains("closed"));
    let file = ana.cli.dir.path().join("incident.md");
    ana.ok(&["incident", "export", &incident, file.to_str().unwrap()], "");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("Closed: Gist deleted, key rotated") && written.contains("None."), "{written}");

    // The entry changed on the server by someone without the team's key is refused.
    let path = format!("{MOUNT}/data/{PATH}/incidents/{incident}");
    let (_, entry) = bao.call("GET", &path, None, &bao.root_token);
    let mut data = entry["data"]["data"].clone();
    data["record"] = Value::String(data["record"].as_str().unwrap().replace("GitGuardian", "nobody"));
    let (status, _) = bao.call("POST", &path, Some(json!({ "data": data })), &bao.root_token);
    assert!(status < 300, "{status}");
    assert!(ana.fails(&["incident", "list"], "").contains("changed outside Keydesk"));
}

#[test]
fn a_check_of_every_key_puts_the_health_score_on_the_teams_trail_for_every_member() {
    let bao = Bao::dev();
    let key = format!(
        "xkeysib-{}-{}",
        common::random_chars(common::HEX, 64),
        common::random_chars(common::ALNUM, 16)
    );
    let known = Arc::new(key.clone());
    let brevo = common::mock::Mock::start(move |seen| {
        if seen.url == "/v3/account" && seen.header("api-key") == Some(known.as_str()) {
            common::mock::Reply::json(200, r#"{"email":"ops@example.com"}"#)
        } else {
            common::mock::Reply::json(401, r#"{"code":"unauthorized","message":"Key not found"}"#)
        }
    });
    let ana = Member::new(&bao.root_token);
    ana.init(&bao, "ana");
    ana.ok(&["account", "add", "--provider", "brevo", "--name", "Brevo", "--base-url", &brevo.url], "");
    ana.ok(&["add", "--label", "Newsletter", "--account", "Brevo"], &key);
    ana.ok(&["edit", "Newsletter", "--integration", "Newsletter"], "");
    assert!(ana.ok(&["health"], "").contains("No score on record yet"));

    let output = ana.run(&["verify", "--all"], "");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("Health score: 100/100, on record"), "{stderr}");

    // Another member reads it from the trail.
    let code = code_in(&ana.ok(&["member", "invite", "bo"], ""));
    let bo = Member::new(&bao.root_token);
    let joined = bo.join(&bao, "bo", &code);
    assert!(joined.status.success(), "{}", String::from_utf8_lossy(&joined.stderr));
    let health = bo.ok(&["health"], "");
    assert!(health.lines().nth(1).is_some_and(|l| l.starts_with("Score 100 on ")), "{health}");
    let json: Value = serde_json::from_str(&bo.ok(&["health", "--json"], "")).unwrap();
    assert_eq!(json["history"].as_array().map(Vec::len), Some(1), "{json}");
    assert_eq!(json["history"][0]["score"], 100);
    let trail = bo.ok(&["audit"], "");
    let line = trail.lines().find(|l| l.split_whitespace().nth(2) == Some("health")).unwrap_or_default();
    assert!(
        line.contains("score 100; critical 0, warning 0, info 0; keys 1") && line.ends_with("ana"),
        "{trail}"
    );
    assert!(bo.ok(&["audit", "--verify"], "").contains("all linked"));
}

#[test]
fn a_team_accounts_management_key_is_judged_by_the_scopes_its_test_listed() {
    let bao = Bao::dev();
    let management = common::sendgrid_key();
    let known = Arc::new(management.clone());
    let sendgrid = common::mock::Mock::start(move |seen| {
        if seen.url == "/v3/scopes" && seen.header("authorization") == Some(&format!("Bearer {known}")) {
            common::mock::Reply::json(
                200,
                r#"{"scopes":["api_keys.create","api_keys.delete","api_keys.read","mail.send"]}"#,
            )
        } else {
            common::mock::Reply::json(401, r#"{"errors":[{"message":"authorization required"}]}"#)
        }
    });
    let ana = Member::new(&bao.root_token);
    ana.init(&bao, "ana");
    ana.ok(
        &["account", "add", "--provider", "sendgrid", "--name", "SG prod", "--base-url", &sendgrid.url],
        &management,
    );
    assert!(ana.ok(&["account", "test", "SG prod"], "").contains("Connected to SendGrid."));
    let json: Value = serde_json::from_str(&ana.ok(&["health", "--json"], "")).unwrap();
    assert_eq!(json["findings"][0]["kind"], "broad-management-key", "{json}");
    assert_eq!(json["findings"][0]["account"]["name"], "SG prod");
    // The account's entry still opens: its management key is the one given.
    assert!(ana.ok(&["account", "test", "SG prod"], "").contains("Connected to SendGrid."));
    assert!(ana.ok(&["audit"], "").contains("management key of \"SG prod\": 4 scopes"));
    assert!(ana.ok(&["audit", "--verify"], "").contains("all linked"));
}

#[test]
fn a_keydesk_key_is_rotated_by_generating_its_replacement_on_either_kind() {
    let bao = Bao::dev();
    let (ana, _) = ana_with_key(&bao, "Campaign sync", &common::sendgrid_key());
    let local = common::Cli::new();
    local.init_cheap(&[]);
    let on_team = |args: &[&str]| ana.run(args, "");
    let on_local = |args: &[&str]| local.run_with(args, "");
    type Runs<'a> = &'a dyn Fn(&[&str]) -> Output;
    let kinds: [(&str, Runs<'_>); 2] = [("local", &on_local), ("team", &on_team)];
    for (kind, run) in kinds {
        let text = |args: &[&str]| {
            let output = run(args);
            assert!(output.status.success(), "{kind} {args:?}: {}", String::from_utf8_lossy(&output.stderr));
            (String::from_utf8(output.stdout).unwrap(), String::from_utf8(output.stderr).unwrap())
        };
        text(&["generate", "--label", "Webhook signing", "--prefix", "whk_", "--length", "40"]);
        let (old, _) = text(&["reveal", "Webhook signing"]);
        let old = old.trim().to_owned();
        // Nothing on stdin: a Keydesk key's replacement is generated in its shape, shown once.
        let (new, said) = text(&["rotate", "Webhook signing"]);
        let new = new.trim().to_owned();
        assert!(said.contains("is now retiring"), "{kind}: {said}");
        assert!(new != old && new.starts_with("whk_") && new.len() == old.len(), "{kind}: {old} → {new}");
        let (status, _) = text(&["rotate", "Webhook signing", "--status", "--json"]);
        let status: Value = serde_json::from_str(&status).unwrap();
        let replacement = status["new_key"].as_str().unwrap().to_owned();
        let (kept, _) = text(&["reveal", &replacement]);
        assert_eq!(kept.trim(), new, "{kind}: the replacement holds the key shown");
    }
}
