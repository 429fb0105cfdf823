//! The command-line grammar (clap). Parsing only: validation of values happens in
//! [`super::commands`], building happens in the vault.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Keydesk keeps the API keys of email-marketing platforms: secrets in the OS keychain,
/// labels and history in a readable file, every use audited.
#[derive(Debug, Parser)]
#[command(name = "keydesk", version = super::VERSION, about, long_about = None)]
#[command(after_help = "With no command, Keydesk opens its window.\n\
Exit codes: 0 ok, 1 the operation failed, 2 usage error.\n\
Vault folder: --vault, else $KEYDESK_VAULT, else the platform data folder (~/.local/share/keydesk on Linux).")]
pub struct Cli {
    /// The vault folder.
    #[arg(long, global = true, env = "KEYDESK_VAULT", value_name = "DIR")]
    pub vault: Option<PathBuf>,
    /// Read the master password from the first line of FILE instead of asking.
    #[arg(long, global = true, env = "KEYDESK_PASSWORD_FILE", value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// A team vault's server token, from the first line of FILE (else $BAO_TOKEN, else
    /// $VAULT_TOKEN).
    #[arg(long, global = true, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Sign in to a team vault's server now: `userpass` with a name and password on the
    /// server (asked, or --login-password-file), `oidc` with your company account in the
    /// browser (the system's, or the program $KEYDESK_BROWSER names), `ldap` with the name
    /// and password of your company directory account (asked, or --login-password-file), or
    /// `token`. The token the server gives is kept in the OS keychain; later commands use it,
    /// and sign in again by themselves when the server no longer accepts it.
    /// `init --team --login userpass` (or `oidc`, `ldap`) makes it the vault's way.
    #[arg(long, global = true, value_enum, value_name = "METHOD")]
    pub login: Option<LoginMethod>,
    /// The server's OIDC role to sign in with (`--login oidc`; default: the one this team
    /// vault signed in with, else "keydesk", the one `team setup` makes).
    #[arg(long, global = true, value_name = "ROLE")]
    pub login_role: Option<String>,
    /// The name to sign in with (default: the one this team vault signed in with, else the
    /// member's name).
    #[arg(long, global = true, value_name = "NAME")]
    pub login_name: Option<String>,
    /// Read the server password, or the directory password with `--login ldap` (not the
    /// vault's), from the first line of FILE instead of asking.
    #[arg(long, global = true, value_name = "FILE")]
    pub login_password_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new vault.
    Init(InitArgs),
    /// List keys (without secrets; needs no password and no keychain).
    List(ListArgs),
    /// Generate a Keydesk-format key; prints the key alone on stdout.
    Generate(GenerateArgs),
    /// Add a provider's key, read from stdin (a hidden prompt in a terminal).
    Add(AddArgs),
    /// Change a key's label, notes, integrations, expiry or rotation period.
    Edit(EditArgs),
    /// Show a key's details and history (no secret; needs no password and no keychain).
    Show(ShowArgs),
    /// List the keys that are due — expired or expiring within 14 days, rotation overdue or
    /// due within 14 days, retiring — and open incidents (needs no password and no keychain).
    Due(DueArgs),
    /// Key health: the score, then what to do, worst first — keys refused at the provider,
    /// used after revoke, expired, with full access, overdue, unused, shared by many
    /// integrations or by none, unchecked, and stalled incidents (needs no password and no
    /// keychain). Exit 1 when a finding is critical.
    Health(HealthArgs),
    /// Show the vault's format, key derivation, secret store, key counts and file sizes
    /// (needs no password and no keychain).
    Info(InfoArgs),
    /// Print a key's secret on stdout (recorded in the audit log).
    Reveal(KeyArg),
    /// Copy a key to the clipboard (out of clipboard history), keep it there, then clear it;
    /// the command stays running until then.
    Copy(CopyArgs),
    /// Revoke a key: it is marked revoked and its secret deleted.
    Revoke(RevokeArgs),
    /// Replace a key: Keydesk keys are generated, others are read from stdin; the old key
    /// becomes "retiring" while each of its integrations moves to the new one (--mark), then
    /// is revoked (--complete), or the new one is (--abandon).
    Rotate(RotateArgs),
    /// Show the audit log, or verify its hash chain.
    Audit(AuditArgs),
    /// Check the vault: secrets present and readable, no orphaned entries, audit chain intact.
    Check(CheckArgs),
    /// Read text on stdin (a key, or a log line, URL, header or .env file holding one) and say
    /// which keys of this vault it holds, if any: id, label, and whether each is active,
    /// retiring or revoked, and what its last check said.
    Whois,
    /// Change the master password (the data key is re-wrapped; with --new-data-key every
    /// secret is re-encrypted under a new one).
    Passwd(PasswdArgs),
    /// Check a key at its provider (one request); exit 0 when it works, 1 otherwise. With
    /// --all, every key (and last use where the provider tells it).
    Verify(VerifyArgs),
    /// Ask the provider when a key was last used (Amazon SES and Elastic Email tell; other
    /// platforms' APIs do not). Asks with the account's management key when it has one, else
    /// with the key itself. Exit 1 when the provider could not tell, or saw the key used after
    /// it was revoked or replaced everywhere (a possible unauthorized use).
    Usage(UsageArgs),
    /// Provider accounts: where keys are created and revoked over the API.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Members of a team vault.
    #[command(subcommand)]
    Member(MemberCommand),
    /// A team vault's server set-up.
    #[command(subcommand)]
    Team(TeamCommand),
    /// Incidents: a key that may have leaked, with every step taken on it, exported as a report.
    #[command(subcommand)]
    Incident(IncidentCommand),
    /// Write the whole vault (metadata, every secret, the audit log) to one file encrypted
    /// under the master password.
    Backup(BackupArgs),
    /// Restore a vault from a backup file, onto a new machine or an emptied keychain (into
    /// another folder while its vault is still on this machine: as a vault of its own).
    Restore(RestoreArgs),
    /// Bring in keys from a spreadsheet's CSV or Excel workbook (.xlsx) or another vault's
    /// export (KeePassXC XML or CSV, Bitwarden JSON or CSV, LastPass CSV, 1Password CSV or
    /// .1pux, a .env file, Keydesk's own CSV or JSON): shows what each row will become, then imports the
    /// new ones all at once. Rows already in the vault (the same secret under any label) are
    /// left out. A table whose columns Keydesk cannot tell is read with --columns
    /// label=Name,key="API Key".
    Import(ImportArgs),
    /// Write the keys' metadata to a CSV (that `import` reads back) or JSON file; their
    /// secrets too only with --with-secrets and a typed confirmation.
    Export(ExportArgs),
    /// The browser extension's native messaging host (the browser starts it): reads the
    /// extension's requests on stdin and asks the running, unlocked Keydesk over a socket of
    /// this user's; answers on stdout. See docs/browser.md.
    BrowserHost(BrowserHostArgs),
    /// Fill keys into their integrations' settings pages from the browser (docs/browser.md).
    #[command(subcommand)]
    Browser(BrowserCommand),
}

#[derive(Debug, Subcommand)]
pub enum BrowserCommand {
    /// Set up the native host for this user: a script that runs `keydesk browser-host`, and
    /// its manifest in the folders of Chromium, Google Chrome, Brave, Edge and Firefox where
    /// each has one (the package installs them for all users instead).
    Install,
    /// The leak guard (off unless turned on): the extension has a pasted text shaped like a key
    /// checked, and names the key beside the field when the page is not one of its
    /// integrations. `on` or `off`; without either, says whether it is on.
    Guard(GuardArgs),
}

#[derive(Debug, Args)]
pub struct GuardArgs {
    /// Turn it `on` or `off`.
    #[arg(value_enum)]
    pub switch: Option<Switch>,
}

/// On or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Debug, Args)]
pub struct BrowserHostArgs {
    /// What the browser passes: the extension's origin (Chromium) or the host manifest and
    /// the extension's id (Firefox).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub caller: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to read.
    pub file: PathBuf,
    /// The file's layout; without it, it is told from the file.
    #[arg(long, value_parser = ["csv", "keepassxc-xml", "keepassxc-csv", "bitwarden", "bitwarden-csv", "lastpass", "1password", "dotenv", "keydesk-json", "xlsx", "1pux"])]
    pub format: Option<String>,
    /// Which column holds which field, whatever the header row says (it is still the first
    /// row, not imported): label=Name,key="API Key",notes=Comment,expires=Until,url=Site,tags=Group
    /// (also provider, integrations, created, rotate_days). A column by its header text, any
    /// case, in double quotes when it holds a comma or =; or by its number from 1 (key=3). For
    /// a CSV or an Excel workbook.
    #[arg(long, value_name = "FIELD=COLUMN,...")]
    pub columns: Option<String>,
    /// Show what would be imported, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON (the preview and, unless --dry-run, what was imported).
    #[arg(long)]
    pub json: bool,
    /// Import without asking, even in a terminal.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The file to write (created readable by you alone; an existing file is not replaced).
    pub file: PathBuf,
    #[arg(long, value_parser = ["csv", "json"], default_value = "csv")]
    pub format: String,
    /// Include revoked keys (they have no secret).
    #[arg(long)]
    pub all: bool,
    /// Write the secrets too, in plain text: asks you to type "export secrets" (on stdin when
    /// it is not a terminal).
    #[arg(long)]
    pub with_secrets: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The backup file to write (created readable by you alone).
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file `keydesk backup` wrote.
    pub file: PathBuf,
    /// Replace the vault already in the vault folder (asked for in a terminal otherwise).
    #[arg(long)]
    pub replace: bool,
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Add an account; its management key (if any) is read from stdin.
    Add(AccountAddArgs),
    /// List accounts.
    List(ListArgs),
    /// Remove an account that no live key uses.
    Remove(AccountArg),
    /// Check the account's management key at the provider.
    Test(AccountArg),
}

#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Open an incident: KEY was found where it should not be. Then revoke it and rotate:
    /// each step is added to the incident by itself.
    Open(IncidentOpenArgs),
    /// List incidents, open ones first (needs no password).
    List(ListArgs),
    /// Show an incident as its Markdown report (needs no password).
    Show(IncidentArg),
    /// Write an incident's Markdown report to FILE (needs no password).
    Export(IncidentExportArgs),
    /// Close an incident with a summary.
    Close(IncidentCloseArgs),
}

#[derive(Debug, Args)]
pub struct IncidentOpenArgs {
    /// The key: id, start of id, or exact label.
    pub key: String,
    /// Where it was found: a log, a repository, an e-mail…
    #[arg(long, value_name = "TEXT")]
    pub found_where: String,
    /// Who noticed it.
    #[arg(long, value_name = "NAME", default_value = "")]
    pub noticed_by: String,
    /// Anything else to keep with it.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub notes: String,
}

#[derive(Debug, Args)]
pub struct IncidentArg {
    /// The incident's id (or its start).
    pub id: String,
}

#[derive(Debug, Args)]
pub struct IncidentExportArgs {
    /// The incident's id (or its start).
    pub id: String,
    /// The Markdown file to write.
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct IncidentCloseArgs {
    /// The incident's id (or its start).
    pub id: String,
    /// What happened and what was done, in a sentence or two.
    #[arg(long)]
    pub summary: String,
}

#[derive(Debug, Args)]
pub struct AccountAddArgs {
    /// The provider.
    #[arg(long)]
    pub provider: String,
    /// A name for the account.
    #[arg(long)]
    pub name: String,
    /// The provider's region (e.g. "eu" for SendGrid and Mailgun, the data centre for Mailchimp).
    #[arg(long)]
    pub region: Option<String>,
    /// The API address, instead of the provider's (https, or http to 127.0.0.1 for testing).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct AccountArg {
    /// The account's name or id.
    pub account: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreChoice {
    /// The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager).
    Keychain,
    /// An encrypted file in the vault folder, for machines without a keychain.
    File,
}

#[derive(Debug, Args)]
pub struct KdfArgs {
    /// Argon2id memory in MiB (19 to 1024).
    #[arg(long, value_name = "MIB")]
    pub kdf_memory_mib: Option<u32>,
    /// Argon2id iterations (2 to 10).
    #[arg(long, value_name = "N")]
    pub kdf_iterations: Option<u32>,
    /// Argon2id lanes (1 to 8).
    #[arg(long, value_name = "N")]
    pub kdf_lanes: Option<u32>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where secret values are kept.
    #[arg(long, value_enum, default_value = "keychain", conflicts_with = "team")]
    pub secret_store: StoreChoice,
    #[command(flatten)]
    pub kdf: KdfArgs,
    /// Make a team vault on an OpenBao (or HashiCorp Vault) server instead of a local one:
    /// keys in its KV version 2 engine, secrets sealed before they are sent. The token is
    /// read from --token-file, else $BAO_TOKEN, else $VAULT_TOKEN.
    #[arg(long, requires_all = ["addr", "path"])]
    pub team: bool,
    /// The server's address, such as https://bao.example.com:8200; for a cluster, each
    /// node's, split by commas (Keydesk talks to the active node, and finds the new one by
    /// itself when it is lost).
    #[arg(long, value_name = "URL[,URL…]", requires = "team")]
    pub addr: Option<String>,
    /// The KV version 2 engine's mount.
    #[arg(long, value_name = "NAME", default_value = "secret", requires = "team")]
    pub mount: String,
    /// The team vault's folder in that engine, such as marketing/keydesk.
    #[arg(long, value_name = "P", requires = "team")]
    pub path: Option<String>,
    /// Your name in the team (shown to the others with your changes); default: $USER.
    #[arg(long, value_name = "NAME", requires = "team")]
    pub member: Option<String>,
    /// Join an existing team vault you were invited to: asks for the invitation code (or
    /// reads it from stdin), then for the password you will unlock it with.
    #[arg(long, requires = "team")]
    pub join: bool,
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Invite NAME to this team vault: prints a one-time code to give them in person or by
    /// phone (not through the server); they join with `keydesk init --team --join`. Where
    /// the server has the userpass sign-in and this token may manage it, NAME's sign-in is
    /// made too, as `member login` makes it, and its password printed with the code; where it
    /// has the company's login (auth/oidc) or directory (auth/ldap), NAME's identity there
    /// (see --oidc-name, --ldap-name).
    Invite(InviteArgs),
    /// With a server admin's token: make (or replace) NAME's sign-in on the server — a
    /// userpass login with a new password (printed) and the policy of --role, and the OpenBao
    /// identity named NAME that the policies name their own entry by.
    Login(InviteArgs),
    /// Remove NAME from this team vault and replace the team's key: every secret is sealed
    /// again under a new key that NAME never held, and older versions are destroyed on the
    /// server. Revoke NAME's server token too, and rotate the keys listed at their providers.
    Remove(MemberArg),
}

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Print the OpenBao policy (HCL) for a reader, an editor or an admin of this team vault,
    /// for its mount and path; install it with `bao policy write keydesk-ROLE FILE`.
    Policy(PolicyArgs),
    /// With an admin's token, make what the team vault needs on the server and is missing:
    /// the KV version 2 engine at its mount, the keydesk-reader, keydesk-editor and
    /// keydesk-admin policies for its path, and the userpass sign-in method; with
    /// --oidc-discovery-url and --oidc-client-id, the company's login too (the OIDC method at
    /// auth/oidc, its role "keydesk", --oidc-group mappings); with --ldap-url, --ldap-userdn
    /// and --ldap-groupdn, the company directory (the LDAP method at auth/ldap, its
    /// configuration, --ldap-group mappings). Each change is printed before it
    /// is made; a second run finds nothing to do. The vault's server, mount
    /// and path come from this folder's team vault, or --addr, --mount and --path before there
    /// is one.
    Setup(Box<SetupArgs>),
}

/// How to sign in to a team vault's server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LoginMethod {
    /// A server token: --token-file, $BAO_TOKEN, $VAULT_TOKEN, or the one the OS keychain keeps.
    Token,
    /// A name and password on the server's userpass sign-in (auth/userpass).
    Userpass,
    /// Your company account (OpenID Connect) in the browser, through the server's OIDC
    /// sign-in (auth/oidc).
    Oidc,
    /// The name and password of your company directory account, through the server's LDAP
    /// sign-in (auth/ldap).
    Ldap,
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Print the changes without making them.
    #[arg(long)]
    pub dry_run: bool,
    /// The server's address (where this folder holds no team vault yet).
    #[arg(long)]
    pub addr: Option<String>,
    /// The KV version 2 engine's mount (where this folder holds no team vault yet).
    #[arg(long)]
    pub mount: Option<String>,
    /// The team vault's path in that engine (where this folder holds no team vault yet).
    #[arg(long)]
    pub path: Option<String>,
    /// Set up sign-in with the company's login too: the OpenID provider's address (the one
    /// whose /.well-known/openid-configuration the server reads). Makes the OIDC method at
    /// auth/oidc and its role "keydesk"; register Keydesk's client there with the redirect
    /// address http://127.0.0.1/oidc/callback (any port, as a native or loopback client).
    #[arg(long, value_name = "URL", requires = "oidc_client_id")]
    pub oidc_discovery_url: Option<String>,
    /// Keydesk's client ID at the company's login.
    #[arg(long, value_name = "ID", requires = "oidc_discovery_url")]
    pub oidc_client_id: Option<String>,
    /// The client's secret, from the first line of FILE (else $KEYDESK_OIDC_CLIENT_SECRET;
    /// never an argument).
    #[arg(long, value_name = "FILE", requires = "oidc_discovery_url")]
    pub oidc_client_secret_file: Option<PathBuf>,
    /// The ID token's claim that names a member (`member invite --oidc-name` gives its value).
    #[arg(long, value_name = "CLAIM", default_value = "email")]
    pub oidc_user_claim: String,
    /// A scope to ask the company's login for besides openid (repeat it; default: email and
    /// groups).
    #[arg(long = "oidc-scope", value_name = "SCOPE", default_values = ["email", "groups"])]
    pub oidc_scopes: Vec<String>,
    /// Map a group of the company's login (its `groups` claim) to a role: ROLE=GROUP, e.g.
    /// editor=marketing (repeat it). Its members get that role's policy.
    #[arg(long = "oidc-group", value_name = "ROLE=GROUP", requires = "oidc_discovery_url")]
    pub oidc_groups: Vec<String>,
    /// Set up sign-in with the company directory too: its address (ldap:// or ldaps://).
    /// Makes the LDAP method at auth/ldap; members sign in with --login ldap.
    #[arg(long, value_name = "URL", requires_all = ["ldap_userdn", "ldap_groupdn"])]
    pub ldap_url: Option<String>,
    /// Where the directory's accounts are, e.g. ou=people,dc=example,dc=com.
    #[arg(long, value_name = "DN", requires = "ldap_url")]
    pub ldap_userdn: Option<String>,
    /// The attribute that holds an account's sign-in name (`member invite --ldap-name` gives
    /// its value).
    #[arg(long, value_name = "ATTR", default_value = "uid")]
    pub ldap_userattr: String,
    /// Where the directory's groups are, e.g. ou=groups,dc=example,dc=com (groups whose
    /// `member` names the account; their `cn` is the group's name).
    #[arg(long, value_name = "DN", requires = "ldap_url")]
    pub ldap_groupdn: Option<String>,
    /// The account the server looks people up as (else it signs in to the directory as each
    /// member); its password from --ldap-bindpass-file or $KEYDESK_LDAP_BINDPASS.
    #[arg(long, value_name = "DN", requires = "ldap_url")]
    pub ldap_binddn: Option<String>,
    /// The --ldap-binddn account's password, from the first line of FILE (else
    /// $KEYDESK_LDAP_BINDPASS; never an argument).
    #[arg(long, value_name = "FILE", requires = "ldap_binddn")]
    pub ldap_bindpass_file: Option<PathBuf>,
    /// Map a group of the company directory to a role: ROLE=GROUP, e.g. editor=marketing
    /// (repeat it). Its members get that role's policy.
    #[arg(long = "ldap-group", value_name = "ROLE=GROUP", requires = "ldap_url")]
    pub ldap_groups: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// The member's role.
    #[arg(value_enum)]
    pub role: PolicyRole,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum PolicyRole {
    Reader,
    Editor,
    Admin,
}

impl From<PolicyRole> for crate::team::policy::Role {
    fn from(role: PolicyRole) -> Self {
        match role {
            PolicyRole::Reader => crate::team::policy::Role::Reader,
            PolicyRole::Editor => crate::team::policy::Role::Editor,
            PolicyRole::Admin => crate::team::policy::Role::Admin,
        }
    }
}

#[derive(Debug, Args)]
pub struct InviteArgs {
    /// The member's name, as they will give it with --member.
    pub name: String,
    /// What they may do, for their sign-in on the server: reader, editor or admin.
    #[arg(long, value_enum, default_value = "editor")]
    pub role: PolicyRole,
    /// Where the server has the company's login (auth/oidc): the member's value of its user
    /// claim (e.g. their email), which their identity is known by there (default: NAME).
    #[arg(long, value_name = "VALUE")]
    pub oidc_name: Option<String>,
    /// Where the server has the company directory's sign-in (auth/ldap): the member's
    /// directory name (their uid), which their identity is known by there (default: NAME).
    #[arg(long, value_name = "UID")]
    pub ldap_name: Option<String>,
}

#[derive(Debug, Args)]
pub struct MemberArg {
    /// The member's name, as they will give it with --member.
    pub name: String,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Include revoked keys.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The key: id, start of id, or exact label (the old key or its replacement).
    pub key: String,
    /// Show the rotation under way: each integration, updated and tested or not (needs no
    /// password).
    #[arg(long, conflicts_with_all = ["mark", "complete", "abandon"])]
    pub status: bool,
    /// With --status: print JSON.
    #[arg(long, requires = "status")]
    pub json: bool,
    /// Mark a step for one integration: `--mark HubSpot updated`, `--mark HubSpot tested`.
    #[arg(long, num_args = 2, value_names = ["INTEGRATION", "STEP"], conflicts_with_all = ["complete", "abandon"])]
    pub mark: Option<Vec<String>>,
    /// Finish: revoke the old key (at the provider where Keydesk can). Refused while an
    /// integration is not updated and tested, unless --reason says why.
    #[arg(long, conflicts_with = "abandon")]
    pub complete: bool,
    /// Give up: revoke the new key; the old one is active again. Needs --reason.
    #[arg(long, requires = "reason")]
    pub abandon: bool,
    /// Why (for --complete with integrations not moved, and for --abandon).
    #[arg(long)]
    pub reason: Option<String>,
    /// With --complete or --abandon: you revoked the key on the provider's page.
    #[arg(long)]
    pub revoked_at_provider: bool,
    /// With --complete or --abandon: revoke in Keydesk alone, without the provider.
    #[arg(long, conflicts_with = "revoked_at_provider")]
    pub local_only: bool,
}

#[derive(Debug, Args)]
pub struct DueArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Also post a desktop notification when something is due (what the daily timer
    /// `keydesk-due.timer` runs).
    #[arg(long)]
    pub notify: bool,
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct MetadataArgs {
    /// Expiry: a date (YYYY-MM-DD, midnight UTC) or an RFC 3339 time.
    #[arg(long, value_name = "DATE")]
    pub expires: Option<String>,
    /// Rotate every N days.
    #[arg(long, value_name = "N")]
    pub rotate_days: Option<u32>,
    /// A place that uses the key, optionally with its settings URL (repeatable).
    #[arg(long = "integration", value_name = "NAME[=URL]")]
    pub integrations: Vec<String>,
    /// A note.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The key's label.
    #[arg(long)]
    pub label: String,
    /// Prefix (letters, digits and "_", ending with "_").
    #[arg(long, default_value = crate::vault::keygen::DEFAULT_PREFIX)]
    pub prefix: String,
    /// Number of random base62 characters (22 or more: at least 128 bits).
    #[arg(long, default_value_t = crate::vault::keygen::DEFAULT_LENGTH)]
    pub length: usize,
    /// Create the key at this account's provider (SendGrid, Mailgun) instead of locally.
    #[arg(long)]
    pub account: Option<String>,
    /// With --account: a scope, or a template ("mail-send", "read-only-stats", "full-access";
    /// Mailgun roles "admin", "developer", "sending", "basic"; "domain:NAME" for a Mailgun
    /// domain sending key). Repeatable.
    #[arg(long = "scope", value_name = "SCOPE", requires = "account")]
    pub scopes: Vec<String>,
    #[command(flatten)]
    pub metadata: MetadataArgs,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The key's label.
    #[arg(long)]
    pub label: String,
    /// The provider (detected from the key when not given).
    #[arg(long)]
    pub provider: Option<String>,
    /// The provider account the key belongs to.
    #[arg(long)]
    pub account: Option<String>,
    /// A scope or permission the key has (repeatable).
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    #[command(flatten)]
    pub metadata: MetadataArgs,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The key: id, start of id, or exact label.
    pub key: String,
    /// New label.
    #[arg(long)]
    pub label: Option<String>,
    /// Replace the notes.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Add an integration or change its URL (repeatable).
    #[arg(long = "integration", value_name = "NAME[=URL]")]
    pub integrations: Vec<String>,
    /// Remove an integration by name (repeatable).
    #[arg(long = "remove-integration", value_name = "NAME")]
    pub remove_integrations: Vec<String>,
    /// New expiry (YYYY-MM-DD or RFC 3339), or "never".
    #[arg(long, value_name = "DATE")]
    pub expires: Option<String>,
    /// New rotation period in days, or "never".
    #[arg(long, value_name = "N")]
    pub rotate_days: Option<String>,
}

#[derive(Debug, Args)]
pub struct KeyArg {
    /// The key: id, start of id, or exact label.
    pub key: String,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The key: id, start of id, or exact label.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub key: Option<String>,
    /// Check every active and retiring key at its provider: a few at once, never more than
    /// the provider allows in flight, waiting out its "too many requests" (up to 60 s), each
    /// answer recorded as it comes (Ctrl+C stops and keeps them). Progress on stderr; exit 1
    /// when a key is refused or the check did not finish.
    #[arg(long)]
    pub all: bool,
    /// With --all: only the keys of this provider.
    #[arg(long, requires = "all", value_name = "PROVIDER")]
    pub provider: Option<String>,
    /// Print the outcome, the HTTP status and the permissions found as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UsageArgs {
    /// The key: id, start of id, or exact label.
    pub key: String,
    /// The key's name at the provider (Elastic Email names its keys); kept once the provider
    /// answers for it.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The key: id, start of id, or exact label.
    pub key: String,
    /// Seconds before the clipboard is cleared (default: the vault's setting, 20).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=600))]
    pub clear_after: Option<u64>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The key: id, start of id, or exact label.
    pub key: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The key: id, start of id, or exact label.
    pub key: String,
    /// Why (recorded with the key and in the audit log).
    #[arg(long)]
    pub reason: String,
    /// You revoked it on the provider's page; Keydesk records that and checks the old key.
    #[arg(long)]
    pub revoked_at_provider: bool,
    /// Revoke only in Keydesk, without the provider.
    #[arg(long, conflicts_with = "revoked_at_provider")]
    pub local_only: bool,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Verify the hash chain instead of listing.
    #[arg(long)]
    pub verify: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Delete orphaned secret-store entries (left by an interrupted save or a failed delete).
    #[arg(long)]
    pub repair: bool,
    /// Keep changes made to vault.ron or audit.ron outside Keydesk (after you looked at
    /// them): recorded in the audit log, and the vault is writable again.
    #[arg(long)]
    pub accept_changes: bool,
}

#[derive(Debug, Args)]
pub struct PasswdArgs {
    /// Read the new password from the first line of FILE instead of asking.
    #[arg(long, value_name = "FILE")]
    pub new_password_file: Option<PathBuf>,
    /// Also re-encrypt every secret under a fresh data key, for when the old password may be
    /// known: afterwards the old password opens nothing, not even an old copy of vault.ron.
    /// On a team vault (an admin's token), the team's key is replaced for every member.
    #[arg(long)]
    pub new_data_key: bool,
    #[command(flatten)]
    pub kdf: KdfArgs,
}
