//! Opening the vault: the first-run probe of the keychain, creating a vault, reading the file
//! ahead while the password is typed, unlocking, and a failed unlock's back-off.

use std::path::Path;

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::{Done, KeydeskApp, OpenError, Phase, StoreFactory};
use crate::secrets::SecretStoreError;
use crate::storage::VaultDir;
use crate::ui::Failure;
use crate::ui::jobs::Records;
use crate::ui::unlock;
use crate::vault::crypto::{KdfMemory, KdfParams};
use crate::vault::model::SecretBackend;
use crate::vault::{CreateOptions, Env, Vault, VaultError};

impl KeydeskApp {
    /// First screen: create when there is no vault, else unlock (reading the file ahead).
    pub(super) fn start(&mut self, ctx: &egui::Context) {
        let dir = self.services.dir.clone();
        if crate::actions::team::is_team(&dir) {
            self.phase = Phase::Locked(super::team::lock_state(&dir));
            self.look_for_kept_token(ctx);
        } else if dir.join(crate::storage::VAULT_FILE).exists() {
            self.phase = Phase::Locked(unlock::UnlockState::default());
            self.preload(ctx);
        } else {
            let mut state = unlock::CreateState::default();
            // A team knows its members by name: the login name is proposed.
            state.team.member = std::env::var("USER").unwrap_or_default();
            self.phase = Phase::Create(state);
            let open_store = self.services.open_store.clone();
            self.jobs.spawn(ctx, "Looking for the OS keychain", Records::No, move || {
                Done::Probed(probe_keychain(&open_store, &dir).map_err(Failure::from))
            });
        }
    }

    /// Reads and parses vault.ron while the user types the password.
    pub(super) fn preload(&mut self, ctx: &egui::Context) {
        let dir = self.services.dir.clone();
        if crate::actions::team::is_team(&dir) {
            return;
        }
        self.jobs.spawn(ctx, "Reading the vault", Records::No, move || {
            let read = VaultDir::open(&dir, false).and_then(|d| d.read_vault());
            match read {
                Ok(text) => {
                    let parsed = Vault::parse(&text).map(Box::new).map_err(Failure::from);
                    Done::Loaded { digest: text_digest(&text), parsed }
                }
                Err(error) => Done::Loaded { digest: [0; 32], parsed: Err(Failure::from(error)) },
            }
        });
    }

    pub(super) fn create(&mut self, ctx: &egui::Context, password: SecretString, backend: SecretBackend) {
        let dir = match VaultDir::create(&self.services.dir) {
            Ok(dir) => dir,
            Err(error) => return self.banner = Some(error.to_string()),
        };
        let store = match (self.services.open_store)(backend, &self.services.dir) {
            Ok(store) => store,
            Err(error) => {
                if let Phase::Create(state) = &mut self.phase {
                    state.error = Some(error.to_string());
                }
                return;
            }
        };
        let env = Env {
            store,
            storage: Box::new(dir),
            clock: Box::new(self.services.clock.clone()),
            rng: Box::new(crate::ui::entropy()),
        };
        let options = CreateOptions { backend, kdf: self.services.new_vault_kdf };
        self.jobs.spawn(ctx, "Creating the vault", Records::No, move || {
            let result = Vault::create(env, &password, options)
                .map(Box::new)
                .map_err(|e| OpenError { message: e.to_string(), wrong_password: false });
            Done::Opened(result)
        });
    }

    pub(super) fn unlock(&mut self, ctx: &egui::Context, password: SecretString) {
        if let Some(at) = self.retry_at
            && self.now() < at
        {
            return;
        }
        self.unlock_started = Some(std::time::Instant::now());
        let dir_path = self.services.dir.clone();
        let open_store = self.services.open_store.clone();
        let preloaded = self.preloaded.take();
        let clock = self.services.clock.clone();
        let prepared = self.kdf_memory.take();
        self.jobs.spawn(ctx, "Unlocking", Records::No, move || {
            // The memory made ready while the password was typed (a few ms more if not yet).
            let mut memory = prepared.and_then(|thread| thread.join().ok().flatten());
            let open = || -> Result<Vault, VaultError> {
                let dir = VaultDir::open(&dir_path, true)?;
                // Its files may be half the backup's: the command line finishes it first.
                if crate::storage::disk::has_pending_restore(&dir_path) {
                    return Err(VaultError::RestoreCutShort);
                }
                let text = dir.read_vault()?;
                let file = match preloaded {
                    Some((seen, parsed)) if seen == text_digest(&text) => *parsed,
                    _ => Vault::parse(&text)?,
                };
                let store = open_store(file.header.secret_store, &dir_path)?;
                let env = Env {
                    store,
                    storage: Box::new(dir),
                    clock: Box::new(clock),
                    rng: Box::new(crate::ui::entropy()),
                };
                // Changes made outside Keydesk are shown, never sealed over: the vault stays
                // read-only until the user keeps them.
                let mut vault = Vault::unlock_in(env, file, &text, &password, memory.as_mut())?;
                // A change of data key cut short (a crash) is finished before the vault shows.
                // Should that fail too, every secret still opens (with either key) and the
                // next unlock tries again.
                if vault.changed_outside().is_none() {
                    let _tried_again_next_unlock = vault.finish_data_key_change(&mut |_, _| {});
                }
                Ok(vault)
            };
            Done::Opened(open().map(Box::new).map_err(|e| OpenError {
                wrong_password: matches!(
                    e,
                    VaultError::Crypto(crate::vault::crypto::CryptoError::WrongPassword)
                ),
                message: e.to_string(),
            }))
        });
    }

    pub(super) fn unlock_failed(&mut self, ctx: &egui::Context, error: OpenError, now: DateTime<Utc>) {
        if error.wrong_password {
            self.failed_unlocks += 1;
            // The KDF is the rate limit; after three misses each try waits longer.
            if self.failed_unlocks >= 3 {
                let secs = 2i64.pow((self.failed_unlocks - 2).min(5));
                self.retry_at = Some(now + chrono::Duration::seconds(secs));
            }
        }
        if matches!(self.phase, Phase::Locked(_)) && self.preloaded.is_none() {
            self.preload(ctx);
        }
        if !error.wrong_password && !matches!(self.phase, Phase::Create(_)) {
            // Keychain missing, file unreadable, newer format: a problem of the vault, not of
            // what was typed. (The first-run screen says its own under its button.)
            self.banner = Some(error.message.clone());
        }
        match &mut self.phase {
            Phase::Locked(state) => state.failed(error.message),
            Phase::Create(state) => state.error = Some(error.message),
            _ => self.banner = Some(error.message),
        }
    }
}

fn probe_keychain(open_store: &StoreFactory, dir: &Path) -> Result<(), SecretStoreError> {
    let mut store = open_store(SecretBackend::Keychain, dir)?;
    store.put("keydesk-probe/probe", "probe")?;
    store.get("keydesk-probe/probe")?;
    store.delete("keydesk-probe/probe")?;
    Ok(())
}

/// Argon2id's memory for the unlock, made ready on a thread of its own from the first
/// keystroke of the password (`typed`), for the cost of the file read ahead (`kdf`; the
/// default before it is read), and let go when the field is emptied.
pub(super) fn keep_kdf_memory_ready(
    slot: &mut Option<PreparedKdfMemory>,
    kdf: Option<KdfParams>,
    typed: bool,
) {
    if !typed {
        *slot = None;
    } else if slot.is_none() {
        let kdf = kdf.unwrap_or_default();
        #[allow(
            clippy::disallowed_methods,
            reason = "memory made ready while the password is typed: no job, nothing recorded"
        )]
        let preparing = std::thread::Builder::new()
            .name("keydesk: KDF memory".into())
            .spawn(move || KdfMemory::prepare(kdf))
            .ok();
        *slot = preparing;
    }
}

/// Argon2id's memory being made ready (see [`keep_kdf_memory_ready`]).
pub(super) type PreparedKdfMemory = std::thread::JoinHandle<Option<KdfMemory>>;

/// What tells the file read ahead from the file read at unlock: its SHA-256 (the text itself
/// is not kept while the window waits for the password; 2.8 MB at 10,000 keys).
fn text_digest(text: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).into()
}
