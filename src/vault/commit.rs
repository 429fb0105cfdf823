//! How a change is kept: its audit lines appended (one write), then `vault.ron` saved with
//! the new head, the record of the save kept outside the folder; a change that fails leaves
//! the vault as it was. Every verb of the vault ends here ([`Vault::apply`],
//! [`Vault::change_key`]); a copy or a reveal appends its line alone ([`Vault::commit_use`]).

use chrono::{DateTime, Utc};

use super::model::{AuditHead, KeyId, KeyRecord, VaultFile};
use super::{
    MARK_EVERY_SECS, MAX_VAULT_TEXT_BYTES, Vault, VaultError, audit, fits, format, keys, model, seal_text,
};

/// A key a change adds, for its `add` line: the key's id and the line's detail (its label
/// and provider, as an add says them).
pub(crate) struct AddedLine {
    pub key: String,
    pub detail: String,
}

impl AddedLine {
    /// The `add` line of `record`.
    pub fn of(record: &KeyRecord) -> Self {
        AddedLine {
            key: record.id.to_string(),
            detail: format!("\"{}\", {}", record.label, record.provider.name()),
        }
    }
}

/// A change of one key as its audit line tells it: what was done, how it went, what changed
/// in words, and the line it adds to the timeline of each open incident about the key.
#[derive(Debug, Clone)]
pub struct KeyEvent {
    pub action: audit::Action,
    pub outcome: audit::Outcome,
    pub detail: String,
    pub timeline: Option<String>,
}

impl KeyEvent {
    /// `action` done, `detail` saying what changed.
    pub fn new(action: audit::Action, detail: String) -> Self {
        KeyEvent { action, outcome: audit::Outcome::Ok, detail, timeline: None }
    }

    /// The event, failed for `why` when `why` is given.
    #[must_use]
    pub fn failed_for(mut self, why: Option<String>) -> Self {
        if let Some(why) = why {
            self.outcome = audit::Outcome::Failed(why);
        }
        self
    }

    /// The event, with `line` added to the key's open incidents' timelines.
    #[must_use]
    pub fn in_timeline(mut self, line: String) -> Self {
        self.timeline = Some(line);
        self
    }
}

impl Vault {
    /// Appends an audit record, then saves `vault.ron` with the new audit head.
    pub(super) fn commit(
        &mut self,
        action: audit::Action,
        key: Option<&str>,
        outcome: audit::Outcome,
        detail: String,
    ) -> Result<(), VaultError> {
        self.commit_after(Vec::new(), (action, key, outcome, detail))
    }

    /// [`Vault::commit`], with `before` (the keys a change adds, each an `add` line) on record
    /// ahead of its own line, all appended in one write.
    pub(super) fn commit_after(
        &mut self,
        before: Vec<AddedLine>,
        (action, key, outcome, detail): (audit::Action, Option<&str>, audit::Outcome, String),
    ) -> Result<(), VaultError> {
        self.ready_to_append(action)?;
        let at = self.env.clock.now();
        let line_of = |action, key: Option<&str>, outcome, detail| audit::Record {
            at,
            action,
            key: key.map(str::to_owned),
            outcome,
            detail,
            prev: String::new(),
            tag: String::new(),
        };
        let mut records: Vec<audit::Record> = before
            .into_iter()
            .map(|added| {
                line_of(audit::Action::Add, Some(added.key.as_str()), audit::Outcome::Ok, added.detail)
            })
            .collect();
        records.push(line_of(action, key, outcome, detail));
        // The texts are made before anything is written: a failure here writes nothing.
        let mut head = self.audit_tail.clone();
        let mut lines = Vec::with_capacity(records.len());
        for record in &mut records {
            record.prev = head.last_hash.clone();
            let entries = head.entries + 1;
            let line = self.keys.chain.seal_line(entries, audit::render(record)?);
            head = AuditHead { entries, last_hash: self.keys.chain.link(entries, &line) };
            lines.push(line);
        }
        let line = lines.join("\n");
        let Some(record) = records.pop() else { return Ok(()) };
        self.file.audit = head.clone();
        self.file.header.generation += 1;
        let text = match self.sealed_text().and_then(|text| fits(text, "keep fewer keys or shorter notes")) {
            Ok(text) => text,
            Err(error) => {
                self.file.audit = self.audit_tail.clone();
                self.file.header.generation -= 1;
                return Err(error);
            }
        };
        if let Err(error) = self.env.storage.append_audit(&line) {
            self.file.audit = self.audit_tail.clone();
            self.file.header.generation -= 1;
            // The append takes its partial line back; should that fail too, look next time.
            self.audit_may_be_torn = true;
            return Err(error.into());
        }
        self.audit_tail = head;
        if let Err(error) = self.env.storage.save(&text) {
            // The log already says it happened: say that it did not stick.
            let undo = audit::Record {
                at: record.at,
                outcome: audit::Outcome::Failed(if error.maybe_applied() {
                    "the vault file was written but may not survive a crash".into()
                } else {
                    "the vault file could not be saved".into()
                }),
                prev: self.audit_tail.last_hash.clone(),
                ..record
            };
            let _log_unwritable = self.append(&undo);
            return Err(error.into());
        }
        self.write_mark(record.at);
        Ok(())
    }

    /// Records a use of key `index` that worked (a copy or a reveal): its audit line is
    /// appended and counted in memory ([`KeyRecord::count_use`]), but the vault file is not
    /// written again — its counts are the log's lines after its sealed head, counted in at
    /// every unlock ([`VaultFile::count_unsaved_uses`]) and saved with the next change. At
    /// 10,000 keys this spares a 2.5 MB rewrite and its fsyncs on every copy and reveal.
    pub(super) fn commit_use(&mut self, action: audit::Action, index: usize) -> Result<(), VaultError> {
        self.commit_use_saying(action, index, String::new())
    }

    /// [`Vault::commit_use`] with a detail on the line (a fill says where it went).
    pub(super) fn commit_use_saying(
        &mut self,
        action: audit::Action,
        index: usize,
        detail: String,
    ) -> Result<(), VaultError> {
        self.ready_to_append(action)?;
        let at = self.env.clock.now();
        let record = audit::Record {
            at,
            action,
            key: Some(self.file.keys[index].id.as_str().to_owned()),
            outcome: audit::Outcome::Ok,
            detail,
            prev: self.audit_tail.last_hash.clone(),
            tag: String::new(),
        };
        if let Err(error) = self.append(&record) {
            // The append takes its partial line back; should that fail too, look next time.
            self.audit_may_be_torn = true;
            return Err(error);
        }
        self.file.keys[index].count_use(&record);
        // In memory the head is the log's end, as after any change (screens that show the log
        // or counts read again when it moves); on disk it stays where the last save put it.
        self.file.audit = self.audit_tail.clone();
        self.write_mark(at);
        Ok(())
    }

    /// What comes before any audit line is appended: nothing is written over changes Keydesk
    /// did not make (except their acceptance, `Integrity`); a log begun by format 1 gets its
    /// first audit key, on disk before any keyed line; and a line a crash cut short is
    /// removed, with the removal on record.
    pub(super) fn ready_to_append(&mut self, action: audit::Action) -> Result<(), VaultError> {
        self.refuse_if_copy()?;
        if let Some(what) = &self.changed_outside
            && action != audit::Action::Integrity
        {
            return Err(VaultError::ChangedOutside { what: what.clone() });
        }
        if !self.keys.chain.tags_new_lines() {
            self.key_audit_chain()?;
        }
        if self.audit_may_be_torn {
            if self.env.storage.drop_torn_audit_tail()? {
                let repair = audit::Record {
                    at: self.env.clock.now(),
                    action: audit::Action::Repair,
                    key: None,
                    outcome: audit::Outcome::Ok,
                    detail: "removed the end of an audit line cut short by a write that failed".into(),
                    prev: self.audit_tail.last_hash.clone(),
                    tag: String::new(),
                };
                self.append(&repair)?;
            }
            self.audit_may_be_torn = false;
        }
        Ok(())
    }

    /// Keeps the newest generation, and the log's length, outside the folder (in the secret
    /// store): best effort, a missing mark only weakens the rollback check, which `check` then
    /// cannot do either. Written at the first change of a session, then at most once a minute.
    pub(super) fn write_mark(&mut self, at: DateTime<Utc>) {
        let mut mark = format!(
            "{} {} {} {} {}",
            self.file.header.generation,
            self.file.integrity,
            at.timestamp(),
            self.audit_tail.entries,
            self.audit_tail.last_hash
        );
        // The folder it belongs to: a copy of the folder elsewhere on this machine is told apart.
        if let Some(location) = self.env.storage.location() {
            mark.push(' ');
            mark.push_str(&location);
        }
        let due = self.mark_written_at.is_none_or(|written| (at - written).num_seconds() >= MARK_EVERY_SECS);
        if !due {
            return;
        }
        match self.env.store.set_generation_mark(&self.file.header.vault_id, &mark) {
            Ok(()) => {
                self.mark_written_at = Some(at);
                self.mark_problem = None;
            }
            Err(error) => {
                self.mark_problem = Some(format!(
                    "the change was saved, but Keydesk could not record it outside the vault folder ({error}): until it can, a rollback to an older copy of the folder would go unseen"
                ));
            }
        }
    }

    /// Whether `vault.ron` still fits what Keydesk reads back with `more` keys added: checked
    /// before an import stores any secret, saying how many of them would fit.
    pub(super) fn check_room_for(&self, more: &[model::KeyRecord]) -> Result<(), VaultError> {
        // The new keys' lines are measured apart (the vault's own are not rendered twice); the
        // seal and the audit head the save adds are given room to spare.
        // The header alone: the vault's keys are not cloned to be measured.
        let bare = VaultFile {
            format: self.file.format,
            header: self.file.header.clone(),
            accounts: Vec::new(),
            keys: Vec::new(),
            incidents: Vec::new(),
            audit: self.file.audit.clone(),
            integrity: String::new(),
        };
        let empty = format::render(&bare)?.len() as u64;
        let added = format::render(&VaultFile { keys: more.to_vec(), ..bare })?.len() as u64 - empty;
        let before = format::render(&self.file)?.len() as u64 + 1024;
        let after = before + added;
        if after <= MAX_VAULT_TEXT_BYTES {
            return Ok(());
        }
        let per_key = added.div_ceil((more.len() as u64).max(1));
        // "About": a key's line varies by a few bytes, so one in a hundred is held back.
        let fit = MAX_VAULT_TEXT_BYTES.saturating_sub(before) / per_key.max(1) * 99 / 100;
        Err(VaultError::TooLarge {
            megabytes: after.div_ceil(1024 * 1024),
            max_megabytes: MAX_VAULT_TEXT_BYTES / (1024 * 1024),
            advice: format!(
                "import at most about {fit} of these {} keys at a time, or split the vault",
                more.len()
            ),
        })
    }

    /// The file as text, sealed with the integrity key.
    pub(super) fn sealed_text(&mut self) -> Result<String, VaultError> {
        seal_text(&mut self.file, &self.keys.integrity)
    }

    pub(super) fn append(&mut self, record: &audit::Record) -> Result<(), VaultError> {
        let entries = self.audit_tail.entries + 1;
        let line = self.keys.chain.seal_line(entries, audit::render(record)?);
        self.env.storage.append_audit(&line)?;
        self.audit_tail = AuditHead { entries, last_hash: self.keys.chain.link(entries, &line) };
        Ok(())
    }

    /// Gives a log begun by format 1 its first audit key: lines after its current end are
    /// linked with it. Saved on its own (no line is appended), so the key is on disk before
    /// the first line it links.
    pub(super) fn key_audit_chain(&mut self) -> Result<(), VaultError> {
        let id = self.file.header.vault_id.clone();
        let after = self.audit_tail.entries;
        let sealed = keys::new_audit_key(&self.keys.data, &id, after, self.env.rng.as_mut())?;
        let before = self.file.header.clone();
        self.file.header.audit_keys.push(sealed);
        self.file.header.generation += 1;
        let saved = self.sealed_text().and_then(|text| Ok(self.env.storage.save(&text)?));
        if let Err(error) = saved {
            self.file.header = before;
            return Err(error);
        }
        self.keys.reopen_chain(&self.file.header);
        Ok(())
    }

    /// Applies `change` to the metadata and commits it; on any failure the metadata is as
    /// it was before.
    pub(super) fn apply<T>(
        &mut self,
        action: audit::Action,
        key: Option<&str>,
        detail: String,
        change: impl FnOnce(&mut VaultFile) -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        self.apply_recording(action, key, audit::Outcome::Ok, detail, change)
    }

    /// [`Vault::apply`], recording `outcome` (a change can record that something failed, such
    /// as a verify the provider refused).
    pub(super) fn apply_recording<T>(
        &mut self,
        action: audit::Action,
        key: Option<&str>,
        outcome: audit::Outcome,
        detail: String,
        change: impl FnOnce(&mut VaultFile) -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        let before = self.file.clone();
        let result = change(&mut self.file).and_then(|value| {
            self.commit(action, key, outcome, detail)?;
            Ok(value)
        });
        if result.is_err() {
            let head = self.file.audit.clone();
            self.file = before;
            self.file.audit = head;
        }
        result
    }

    /// [`Vault::apply`], with an `add` line for each of `added` ahead of the change's own
    /// line (a rotation's new key, an import's keys), so each key's history starts with it.
    pub(super) fn apply_adding<T>(
        &mut self,
        added: Vec<AddedLine>,
        (action, key, detail): (audit::Action, Option<&str>, String),
        change: impl FnOnce(&mut VaultFile) -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        let before = self.file.clone();
        let result = change(&mut self.file).and_then(|value| {
            self.commit_after(added, (action, key, audit::Outcome::Ok, detail))?;
            Ok(value)
        });
        if result.is_err() {
            let head = self.file.audit.clone();
            self.file = before;
            self.file.audit = head;
        }
        result
    }

    /// Changes key `id` as `change` says and records `event` in one commit; a refusal from
    /// `change` (or a commit that fails) leaves the vault as it was.
    pub fn change_key(
        &mut self,
        id: &KeyId,
        event: KeyEvent,
        change: &mut dyn FnMut(&mut KeyRecord) -> Result<(), VaultError>,
    ) -> Result<(), VaultError> {
        let index = self.index_of(id)?;
        let now = self.now();
        let KeyEvent { action, outcome, detail, timeline } = event;
        self.apply_recording(action, Some(id.as_str()), outcome, detail, |file| {
            change(&mut file.keys[index])?;
            if let Some(line) = timeline {
                file.note_incidents(id, now, &line);
            }
            Ok(())
        })
    }

    /// Records a failed attempt in the audit log only (nothing else changed).
    pub(super) fn record_failure(&mut self, action: audit::Action, key: Option<&str>, why: &VaultError) {
        let outcome = audit::Outcome::Failed(why.to_string());
        // The failure itself is what the caller reports; a log that cannot be written now
        // will show up in `check`.
        let _shows_in_check = self.commit(action, key, outcome, String::new());
    }
}
