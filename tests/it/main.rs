//! The integration tests, one binary: each module is one area, driven through the library,
//! the `keydesk` binary or the window as a person would. One binary links once, where a
//! binary per file linked the whole program and its window stack for each.
//!
//! nextest (`.config/nextest.toml`) runs each test in a process of its own and picks groups by
//! module path (`binary(it) & test(/^keychain::/)`); without nextest, `scripts/test.sh` runs
//! each module in a process of its own. Fixtures stay in `tests/fixtures` and
//! `tests/provider-specs`, found from `CARGO_MANIFEST_DIR`.

mod common;

mod a11y;
mod architecture;
mod audit_chain;
mod browser_add_page;
mod browser_e2e;
mod browser_guard;
mod browser_host;
mod browser_messaging;
mod browser_origin;
mod browser_packaging;
mod browser_window;
mod check_all;
mod cli;
mod clipboard;
#[cfg(target_os = "linux")]
mod clipboard_wayland;
mod files;
mod health;
mod import;
mod keychain;
mod notify;
mod parsers;
mod process;
mod provider_cli;
mod provider_contract;
mod providers;
mod scenario;
mod team;
mod team_ldap;
mod team_oidc;
mod team_pack;
mod team_signin;
mod ui;
mod ui_both;
mod ui_check_all;
mod ui_files;
mod ui_fit;
mod ui_keyboard;
mod ui_layout;
mod ui_portal;
mod ui_shell;
mod ui_team;
mod ui_team_oidc;
mod ui_team_setup;
mod vault;
mod window_state;
