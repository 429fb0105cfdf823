//! Signing in to a team vault's server with the company's login (OpenID Connect), through the
//! command line, against a real OpenBao server and a real OpenID provider on loopback (panva's
//! oidc-provider, tests/oidc/provider.mjs, installed by scripts/test.sh). Keydesk's browser is
//! tests/oidc/login.py (through KEYDESK_BROWSER): it fills the provider's login form as a
//! person would. The admin's setup maps the company's groups to the policies; a member of
//! "marketing" signs in with `--login oidc` and may add a key, a member of "readers" may not;
//! the kept token is reused, replaced by a new sign-in once refused; no token or secret is
//! left in any file.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use crate::common;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::bao::Bao;
use common::oidc::{HERE, Provider};
use serde_json::{Value, json};

const MOUNT: &str = "secret";
const PATH: &str = "marketing/keydesk";
const KDF: [&str; 6] = ["--kdf-memory-mib", "19", "--kdf-iterations", "2", "--kdf-lanes", "1"];

/// One member's computer: a vault folder, the root token for the admin, the company
/// account the browser signs in as for the others.
struct Computer {
    cli: common::Cli,
    token: Option<String>,
    account: &'static str,
}

impl Computer {
    fn browser_log(&self) -> PathBuf {
        self.cli.dir.path().join("browser.log")
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut command = self.cli.command(args);
        command.env_remove("BAO_TOKEN").env_remove("VAULT_TOKEN");
        if let Some(token) = &self.token {
            command.env("BAO_TOKEN", token);
        }
        command
            .env("KEYDESK_BROWSER", format!("{HERE}/login.py"))
            .env("KEYDESK_TEST_OIDC_USER", self.account)
            .env("KEYDESK_TEST_OIDC_LOG", self.browser_log());
        common::run(command, stdin)
    }

    fn ok(&self, args: &[&str], stdin: &str) -> (String, String) {
        let output = self.run(args, stdin);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(
            output.status.success(),
            "keydesk {args:?} failed: {stderr}\nbrowser: {}",
            std::fs::read_to_string(self.browser_log()).unwrap_or_default()
        );
        (String::from_utf8(output.stdout).unwrap(), stderr)
    }
}

/// The invitation code: the indented line of five groups.
fn code_in(said: &str) -> String {
    let line = said.lines().find(|line| line.starts_with("    ") && line.trim().matches('-').count() == 4);
    line.unwrap_or_else(|| panic!("no code in: {said}")).trim().to_owned()
}

/// The tokens on the server made by the company login's sign-ins of `email`.
fn tokens_of(bao: &Bao, email: &str) -> Vec<Value> {
    let root = &bao.root_token;
    let (_status, listed) = bao.call("GET", "auth/token/accessors?list=true", None, root);
    let accessors = listed["data"]["keys"].as_array().cloned().unwrap_or_default();
    accessors
        .iter()
        .filter_map(|accessor| {
            let (_status, info) =
                bao.call("POST", "auth/token/lookup-accessor", Some(json!({ "accessor": accessor })), root);
            (info["data"]["display_name"] == format!("oidc-{email}")).then(|| info["data"].clone())
        })
        .collect()
}

#[test]
fn members_sign_in_with_the_company_login_and_their_groups_give_their_role() {
    if !common::keychain_required() {
        eprintln!("skipped: needs the OS keychain of the test session (scripts/test.sh)");
        return;
    }
    let started = Instant::now();
    let bao = Bao::dev();
    let client_secret = format!("client-secret-{}", common::random_chars(common::ALNUM, 24));
    let provider = Provider::start(&client_secret, "bo=marketing;cy=readers");
    let admin = Computer { cli: common::Cli::new(), token: Some(bao.root_token.clone()), account: "ana" };
    let secret_file = admin.cli.dir.path().join("client-secret");
    std::fs::write(&secret_file, format!("{client_secret}\n")).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let at = ["--addr", bao.addr.as_str(), "--mount", MOUNT, "--path", PATH];
    let mut setup = vec!["team", "setup"];
    setup.extend(at);
    setup.extend(["--oidc-discovery-url", provider.url.as_str(), "--oidc-client-id", "openbao"]);
    setup.extend(["--oidc-client-secret-file", secret_file.to_str().unwrap()]);
    setup.extend(["--oidc-group", "editor=marketing", "--oidc-group", "reader=readers"]);
    let (said, _) = admin.ok(&setup, "");
    for change in [
        "Enable the OIDC sign-in method at auth/oidc.",
        "Write the OIDC sign-in's configuration",
        "Write the OIDC role \"keydesk\"",
        "Map the company group \"marketing\" to the policy keydesk-editor",
        "Map the company group \"readers\" to the policy keydesk-reader",
    ] {
        assert!(said.contains(change), "{change} in: {said}");
    }
    assert!(!said.contains(&client_secret), "the client secret is not shown");
    let (again, _) = admin.ok(&setup, "");
    assert!(again.contains("nothing to do"), "a second setup changes nothing: {again}");

    let mut init = vec!["init", "--team", "--member", "ana"];
    init.extend(at);
    init.extend(KDF);
    admin.ok(&init, "");
    let (said, _) =
        admin.ok(&["member", "invite", "bo", "--role", "editor", "--oidc-name", "bo@example.test"], "");
    assert!(
        said.contains("Made bo's identity for the company's login (known there as bo@example.test)"),
        "{said}"
    );
    let bo_code = code_in(&said);
    let (said, _) =
        admin.ok(&["member", "invite", "cy", "--role", "reader", "--oidc-name", "cy@example.test"], "");
    let cy_code = code_in(&said);

    // Bo joins with his company account: the browser signs in, no token or password is typed.
    let bo = Computer { cli: common::Cli::new(), token: None, account: "bo" };
    std::fs::write(&bo.cli.password_file, "bo's own vault password\n").unwrap();
    let mut join = vec!["init", "--team", "--join", "--member", "bo", "--login", "oidc"];
    join.extend(at);
    join.extend(KDF);
    let mut odd_role = join.clone();
    odd_role.extend(["--login-role", "a b"]);
    let refused = bo.run(&odd_role, &bo_code);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("--login-role takes the name of the server's OIDC role")
    );
    let (_, said) = bo.ok(&join, &bo_code);
    assert!(said.contains("Sign in with your company account in the browser"), "{said}");
    let browser = std::fs::read_to_string(bo.browser_log()).unwrap();
    assert!(
        browser.contains("keydesk answered 200") && browser.contains("Signed in to the team's server"),
        "{browser}"
    );
    let config = std::fs::read_to_string(bo.cli.vault.join("team.ron")).unwrap();
    assert!(config.contains("Oidc") && config.contains("\"keydesk\""), "{config}");

    // His group gives him the editor's policy: he adds a key. The kept token is used after.
    bo.ok(&["add", "--label", "Newsletter", "--provider", "sendgrid"], &common::sendgrid_key());
    let (listed, said) = bo.ok(&["list"], "");
    assert!(listed.contains("Newsletter"), "{listed}");
    assert!(!said.contains("Sign in with your company account"), "no new sign-in: {said}");
    let tokens = tokens_of(&bao, "bo@example.test");
    assert_eq!(tokens.len(), 1, "one sign-in so far: {tokens:?}");
    // The token's identity is the member's own, named as the policies name it.
    let entity = tokens[0]["entity_id"].as_str().unwrap();
    let (_status, found) = bao.call("GET", &format!("identity/entity/id/{entity}"), None, &bao.root_token);
    assert_eq!(found["data"]["name"], "bo", "{found}");

    // Cy's group gives the reader's policy: she reads, and may not add a key.
    let cy = Computer { cli: common::Cli::new(), token: None, account: "cy" };
    std::fs::write(&cy.cli.password_file, "cy's own vault password\n").unwrap();
    let mut join = vec!["init", "--team", "--join", "--member", "cy", "--login", "oidc"];
    join.extend(at);
    join.extend(KDF);
    cy.ok(&join, &cy_code);
    assert!(cy.ok(&["list"], "").0.contains("Newsletter"));
    let refused = cy.run(&["add", "--label", "Mine", "--provider", "sendgrid"], &common::sendgrid_key());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("may not"), "{stderr}");

    // The kept token revoked: the next command says so, signs in again in the browser.
    bao.revoke_sign_ins("oidc-bo@example.test");
    let (_, said) = bo.ok(&["edit", "Newsletter", "--note", "after a new sign-in"], "");
    assert!(said.contains("no longer accepts your sign-in"), "{said}");
    assert!(said.contains("Sign in with your company account"), "{said}");
    assert!(bo.ok(&["show", "Newsletter"], "").0.contains("after a new sign-in"));

    // No token and no secret in any file of any computer (an OpenBao service token is "s."
    // and 24 letters or digits).
    for computer in [&admin, &bo, &cy] {
        for (path, bytes) in common::files_under(computer.cli.dir.path()) {
            let text = String::from_utf8_lossy(&bytes);
            if !path.ends_with("client-secret") {
                assert!(!text.contains(&client_secret), "the client secret in {}", path.display());
            }
            assert!(!text.contains(&bao.root_token), "the root token in {}", path.display());
            assert!(!common::holds_bao_token(&text), "a token in {}", path.display());
        }
    }
    eprintln!("company-login test took {:.1} s", started.elapsed().as_secs_f64());
    drop(provider);
}

/// The value of `name` in `url`'s query, percent-decoded.
fn query_value(url: &str, name: &str) -> String {
    let query = url.split_once('?').unwrap().1;
    let raw = query.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('=')).unwrap();
    let output = Command::new("python3")
        .args(["-c", "import sys, urllib.parse; print(urllib.parse.unquote(sys.argv[1]))", raw])
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[test]
fn a_sign_in_that_does_not_come_back_or_is_refused_is_one_sentence() {
    use keydesk::team::kv::{Kv, Location};
    use keydesk::team::oidc::{OidcError, sign_in};
    use keydesk::team::setup::{OidcSetup, apply, needed_oidc};

    let bao = Bao::dev();
    let location = Location::new(&bao.addr, MOUNT, PATH).unwrap();
    let mut opened = Vec::new();
    let sign_in_for = |wait_secs: u64, open: &mut dyn FnMut(&str)| {
        let never = std::sync::atomic::AtomicBool::new(false);
        sign_in(
            location.clone(),
            ("oidc", "keydesk"),
            &mut *(crate::common::entropy())(),
            (Duration::from_secs(wait_secs), &never),
            open,
        )
        .err()
        .unwrap()
    };
    // No OIDC method on the server: said before any browser opens.
    let error = sign_in_for(1, &mut |url: &str| opened.push(url.to_owned()));
    assert!(opened.is_empty());
    assert!(matches!(error, OidcError::NotSetUp { .. }), "{error}");
    assert!(error.to_string().contains("has no company login for Keydesk at auth/oidc"), "{error}");

    let provider = Provider::start("a client secret", "");
    let root = Kv::new(location.clone(), zeroize::Zeroizing::new(bao.root_token.clone()));
    let company = OidcSetup {
        discovery_url: provider.url.clone(),
        client_id: "openbao".into(),
        client_secret: "a client secret".into(),
        user_claim: "email".into(),
        scopes: vec!["email".into(), "groups".into()],
        groups: Vec::new(),
    };
    for change in needed_oidc(&root, &company).unwrap() {
        apply(&root, &change).unwrap();
    }
    assert!(needed_oidc(&root, &company).unwrap().is_empty());

    // Nobody comes back: one sentence once the wait is over.
    let started = Instant::now();
    let error = sign_in_for(2, &mut |url: &str| opened.push(url.to_owned()));
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert!(opened[0].starts_with(&format!("{}/auth?", provider.url)), "{opened:?}");
    assert!(
        error.to_string().starts_with("No sign-in came back from the browser within 2 seconds"),
        "{error}"
    );

    // The company's login says no: its reason, said; a stranger's visit with another state
    // first is turned away and the sign-in goes on waiting for its own.
    let mut helpers = Vec::new();
    let error = sign_in_for(30, &mut |url: &str| {
        let redirect = query_value(url, "redirect_uri");
        let state = query_value(url, "state");
        let script = [
            "import sys, urllib.request, urllib.error",
            "for url in sys.argv[1:]:",
            "    try: urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=20)",
            "    except urllib.error.HTTPError: pass",
        ]
        .join("\n");
        let helper = Command::new("python3")
            .args(["-c", &script])
            .arg(format!("{redirect}?state=someone-else&code=stolen"))
            .arg(format!("{redirect}?state={state}&error=access_denied&error_description=not+in+this+app"))
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        helpers.push(helper);
    });
    for mut helper in helpers {
        assert!(helper.wait().unwrap().success(), "the visits were answered");
    }
    assert!(matches!(error, OidcError::Refused(_)), "{error}");
    assert!(error.to_string().contains("access_denied: not in this app"), "{error}");
    drop(provider);
}
