//! The first-run screen's "Prepare the server…" page, run by the shell: the server asked what
//! a team vault needs ([`setup::needed`]) and each change made ([`setup::apply`]) in jobs, off
//! the window's thread; the answers handed back to the page.

use secrecy::ExposeSecret;
use zeroize::Zeroizing;

use super::{Done, KeydeskApp, Phase};
use crate::team::kv::{Kv, KvError, Location};
use crate::team::setup;
use crate::ui::admin_sentence;
use crate::ui::jobs::Records;
use crate::ui::server_setup::{ServerAt, SetupCommand, SetupDone};

impl KeydeskApp {
    /// Starts the job the page asked for.
    pub(super) fn run_server_setup(&mut self, ctx: &egui::Context, command: SetupCommand) {
        match command {
            SetupCommand::Look(at) => {
                self.jobs.spawn(ctx, "Asking the server what it needs", Records::No, move || {
                    let looked = connect(&at)
                        .and_then(|kv| setup::needed(&kv))
                        .map_err(crate::ui::Failure::AdminServer);
                    Done::ServerSetup(SetupDone::Looked(looked))
                });
            }
            SetupCommand::Make(at, changes) => {
                self.jobs.spawn(ctx, "Preparing the server", Records::No, move || {
                    let kv = match connect(&at) {
                        Ok(kv) => kv,
                        Err(error) => {
                            return Done::ServerSetup(SetupDone::Made {
                                made: Vec::new(),
                                failure: Some((None, admin_sentence(&error))),
                            });
                        }
                    };
                    let mut made = Vec::new();
                    for change in &changes {
                        if let Err(error) = setup::apply(&kv, change) {
                            let failure = Some((Some(change.to_string()), admin_sentence(&error)));
                            return Done::ServerSetup(SetupDone::Made { made, failure });
                        }
                        made.push(change.to_string());
                    }
                    Done::ServerSetup(SetupDone::Made { made, failure: None })
                });
            }
        }
    }

    /// Hands a page's job's answer to the page (dropped when the page was closed meanwhile).
    pub(super) fn server_setup_done(&mut self, done: SetupDone) {
        if let Phase::Create(state) = &mut self.phase
            && let Some(page) = &mut state.server_setup
        {
            page.done(done);
        }
    }
}

/// The server at `at`, with the admin token.
fn connect(at: &ServerAt) -> Result<Kv, KvError> {
    let location = Location::new(&at.addr, &at.mount, &at.path)?;
    Ok(Kv::new(location, Zeroizing::new(at.token.expose_secret().to_owned())))
}
