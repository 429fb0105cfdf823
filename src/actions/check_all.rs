//! Check every key: each live key verified at its provider (and its last use asked where the
//! provider tells), several at once but never more than the provider's
//! [`Provider::concurrency`] in flight, a 429's `Retry-After` waited out, each answer handed
//! back as it comes so the caller records it at once (a kill keeps what was learnt), and a
//! cancel flag that stops cleanly (the requests already sent are answered and recorded).
//!
//! Three steps as for one key: [`plan_all`] reads the keys and their secrets (caller's
//! thread), [`run`] does the network work on a few worker threads while the calling thread
//! schedules, and the caller records each [`Event`] ([`record`]) — the command line on the
//! spot, the window on its UI thread as the answers arrive.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::usage::{UsageCalled, UsagePlan, plan_usage};
use super::{ActionError, Store, VerifyCalled, VerifyPlan, finish_usage, finish_verify, plan_verify};
use crate::providers::Provider;
use crate::providers::http::Client;
use crate::providers::usage as last_use;
use crate::vault::model::{KeyId, KeyRecord, VerifyOutcome};

/// The keys a check of every key asks about: live (active or retiring), at a provider with an
/// endpoint to ask, of `provider` when given.
pub fn select<'a>(keys: impl IntoIterator<Item = &'a KeyRecord>, provider: Option<Provider>) -> Vec<KeyId> {
    keys.into_iter()
        .filter(|k| k.is_live() && k.provider.info().verify.is_some())
        .filter(|k| provider.is_none_or(|p| k.provider == p))
        .map(|k| k.id.clone())
        .collect()
}

/// One key's requests, ready to send. Holds secrets: no `Debug`.
pub struct KeyPlan {
    provider: Provider,
    verify: VerifyPlan,
    /// Last use, asked after a verify that works, where the provider tells.
    usage: Option<UsagePlan>,
}

/// A key that could not be planned (its secret unreadable, no address), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotPlanned {
    pub key_id: KeyId,
    pub label: String,
    pub why: String,
}

/// Reads every key's secret and where to call for it. A key that cannot be asked about is
/// listed with why; the rest go on.
pub fn plan_all(holder: &(impl Store + ?Sized), ids: &[KeyId]) -> (Vec<KeyPlan>, Vec<NotPlanned>) {
    let mut plans = Vec::with_capacity(ids.len());
    let mut not_planned = Vec::new();
    for id in ids {
        match plan_verify(holder, id) {
            Ok(verify) => {
                let provider = verify.provider;
                // Where the provider tells last use and the key can be asked about (Elastic
                // Email needs the key's name there, known only once given).
                let usage = last_use::source(provider).and_then(|_| plan_usage(holder, id, None).ok());
                plans.push(KeyPlan { provider, verify, usage });
            }
            Err(error) => {
                let label = holder.key_record(id).map(|r| r.label).unwrap_or_default();
                not_planned.push(NotPlanned { key_id: id.clone(), label, why: error.to_string() });
            }
        }
    }
    (plans, not_planned)
}

/// What one key's requests answered.
pub struct KeyChecked {
    pub provider: Provider,
    pub verify: VerifyCalled,
    pub usage: Option<UsageCalled>,
}

/// What the caller is told as the check goes.
pub enum Event {
    /// A key's answer: record it now.
    Checked(KeyChecked),
    /// A provider asked to wait longer than Keydesk waits (or kept refusing for the rate):
    /// its remaining keys are not checked.
    Stopped { provider: Provider, keys: Vec<KeyId>, why: String },
}

/// How patient the check is with rate limits.
#[derive(Debug, Clone)]
pub struct Patience {
    /// In flight at once at a provider.
    pub concurrency: fn(Provider) -> usize,
    /// The longest `Retry-After` waited out; a longer one stops the provider's remaining keys.
    pub max_wait: Duration,
    /// The wait after a 429 without `Retry-After`, doubled each time for the same key.
    pub backoff: Duration,
    /// How many 429s one key may get before the provider's remaining keys are stopped.
    pub retries: u32,
}

impl Default for Patience {
    fn default() -> Self {
        Patience {
            concurrency: Provider::concurrency,
            max_wait: Duration::from_secs(60),
            backoff: Duration::from_secs(1),
            retries: 5,
        }
    }
}

/// How the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ended {
    /// Keys not asked about because of the cancel.
    pub left: usize,
    pub cancelled: bool,
}

/// The most worker threads a check starts, whatever the providers allow together.
const MAX_WORKERS: usize = 32;

/// Sends every plan, at most `patience.concurrency(provider)` at once per provider, and hands
/// each answer to `on_event` on the calling thread as it arrives. `cancel` stops sending;
/// the requests in flight are still answered and handed over.
pub fn run(
    plans: &[KeyPlan],
    client: &Client,
    patience: &Patience,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(Event),
) -> Ended {
    let mut schedule = Schedule::new(plans, patience);
    let workers = schedule.slots().min(MAX_WORKERS);
    let ask = |index: usize| {
        let plan = &plans[index];
        let verify = plan.verify.ask(client);
        let works = verify.outcome.as_ref().is_ok_and(VerifyOutcome::works);
        let usage = plan.usage.as_ref().filter(|_| works).map(|usage| usage.ask(client));
        (index, KeyChecked { provider: plan.provider, verify, usage })
    };
    crate::parallel::with_workers(workers, ask, |pool| {
        loop {
            let cancelled = cancel.load(Ordering::Relaxed);
            if !cancelled {
                for index in schedule.ready(Instant::now()) {
                    pool.send(index);
                }
            }
            if schedule.in_flight == 0 && (cancelled || schedule.queued() == 0) {
                return Ended { left: schedule.queued(), cancelled };
            }
            // Wake for an answer, the end of a wait, or a look at the cancel flag.
            let wait = schedule.next_wake(Instant::now()).min(Duration::from_millis(100));
            let Some((index, checked)) = pool.recv_timeout(wait) else { continue };
            for event in schedule.answered(index, checked, Instant::now()) {
                on_event(event);
            }
        }
    })
}

/// Which key goes next at which provider.
struct Schedule<'a> {
    plans: &'a [KeyPlan],
    patience: &'a Patience,
    queues: BTreeMap<Provider, VecDeque<usize>>,
    busy: BTreeMap<Provider, usize>,
    paused_until: BTreeMap<Provider, Instant>,
    rate_limited: Vec<u32>,
    in_flight: usize,
}

impl<'a> Schedule<'a> {
    fn new(plans: &'a [KeyPlan], patience: &'a Patience) -> Self {
        let mut queues: BTreeMap<Provider, VecDeque<usize>> = BTreeMap::new();
        for (index, plan) in plans.iter().enumerate() {
            queues.entry(plan.provider).or_default().push_back(index);
        }
        Schedule {
            plans,
            patience,
            queues,
            busy: BTreeMap::new(),
            paused_until: BTreeMap::new(),
            rate_limited: vec![0; plans.len()],
            in_flight: 0,
        }
    }

    /// How many requests may be in flight at once, all providers together.
    fn slots(&self) -> usize {
        self.queues.iter().map(|(p, q)| self.limit(*p).min(q.len())).sum()
    }

    fn limit(&self, provider: Provider) -> usize {
        (self.patience.concurrency)(provider).max(1)
    }

    fn queued(&self) -> usize {
        self.queues.values().map(VecDeque::len).sum()
    }

    /// The keys to send now: each provider's next ones, up to its free slots, unless it
    /// asked to wait.
    fn ready(&mut self, now: Instant) -> Vec<usize> {
        let mut ready = Vec::new();
        let providers: Vec<Provider> = self.queues.keys().copied().collect();
        for provider in providers {
            if self.paused_until.get(&provider).is_some_and(|until| *until > now) {
                continue;
            }
            let limit = self.limit(provider);
            let busy = self.busy.entry(provider).or_default();
            let queue = self.queues.entry(provider).or_default();
            while *busy < limit {
                let Some(index) = queue.pop_front() else { break };
                *busy += 1;
                ready.push(index);
            }
        }
        self.in_flight += ready.len();
        ready
    }

    /// How long until a paused provider may go on (a long time when none waits).
    fn next_wake(&self, now: Instant) -> Duration {
        self.paused_until
            .iter()
            .filter(|(p, _)| self.queues.get(*p).is_some_and(|q| !q.is_empty()))
            .map(|(_, until)| until.saturating_duration_since(now))
            .min()
            .unwrap_or(Duration::from_secs(1))
    }

    /// Takes an answer: a 429 puts the key back at the front and pauses its provider (or
    /// stops it, past the patience); anything else is handed on.
    fn answered(&mut self, index: usize, checked: KeyChecked, now: Instant) -> Vec<Event> {
        let provider = checked.provider;
        self.in_flight = self.in_flight.saturating_sub(1);
        if let Some(busy) = self.busy.get_mut(&provider) {
            *busy = busy.saturating_sub(1);
        }
        let Ok(VerifyOutcome::RateLimited { retry_after_secs }) = &checked.verify.outcome else {
            return vec![Event::Checked(checked)];
        };
        self.rate_limited[index] += 1;
        let times = self.rate_limited[index];
        let backoff = self.patience.backoff.saturating_mul(2u32.saturating_pow(times.saturating_sub(1)));
        let wait = retry_after_secs.map_or(backoff, Duration::from_secs);
        let why = if wait > self.patience.max_wait {
            Some(format!(
                "{} asked Keydesk to wait {} before its next check, longer than the {} Keydesk waits: its remaining keys were not checked. Check them again later.",
                provider.name(),
                crate::words::duration(wait),
                crate::words::duration(self.patience.max_wait),
            ))
        } else if times > self.patience.retries {
            Some(format!(
                "{} kept answering \"too many requests\" ({times} times for one key): its remaining keys were not checked. Check them again later.",
                provider.name()
            ))
        } else {
            None
        };
        match why {
            Some(why) => {
                let mut keys = vec![self.plans[index].verify.key_id.clone()];
                let queue = self.queues.entry(provider).or_default();
                keys.extend(queue.drain(..).map(|i| self.plans[i].verify.key_id.clone()));
                vec![Event::Stopped { provider, keys, why }]
            }
            None => {
                self.queues.entry(provider).or_default().push_front(index);
                let until = now + wait;
                let paused = self.paused_until.entry(provider).or_insert(until);
                *paused = (*paused).max(until);
                Vec::new()
            }
        }
    }
}

/// What a recorded answer was, for the tally and the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub key_id: KeyId,
    pub provider: Provider,
    /// The outcome as recorded, or why none could be (a key kept without its pair).
    pub outcome: Result<VerifyOutcome, String>,
    pub http_status: Option<u16>,
    /// What the provider said about last use, as a sentence, when it was asked.
    pub last_use: Option<Result<String, String>>,
    /// Set when the provider saw the key used after it was revoked or replaced everywhere.
    pub unexpected_use: Option<String>,
}

impl Recorded {
    /// The tally this answer counts in.
    pub fn verdict(&self) -> Verdict {
        match &self.outcome {
            Ok(outcome) if outcome.works() => Verdict::Works,
            Ok(outcome) if outcome.refused() => Verdict::Refused,
            _ => Verdict::CouldNotTell,
        }
    }
}

/// Works, refused, or could not tell: a failure never counts as what it is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Works,
    Refused,
    CouldNotTell,
}

/// Records one key's answers (the verify, then its last use) in the vault and its audit log.
/// `Err`: the vault could not record it (the answer is lost; the caller stops).
pub fn record(holder: &mut (impl Store + ?Sized), checked: KeyChecked) -> Result<Recorded, ActionError> {
    let key_id = checked.verify.key_id.clone();
    let http_status = checked.verify.status;
    let outcome = match finish_verify(holder, checked.verify) {
        Ok(outcome) => Ok(outcome),
        Err(ActionError::Verify(error)) => Err(error.to_string()),
        Err(other) => return Err(other),
    };
    let mut recorded = Recorded {
        key_id,
        provider: checked.provider,
        outcome,
        http_status,
        last_use: None,
        unexpected_use: None,
    };
    if let Some(usage) = checked.usage {
        let now = holder.now();
        match finish_usage(holder, usage) {
            Ok(found) => {
                recorded.last_use = Some(Ok(super::usage_sentence(checked.provider, &found.usage, now)));
                recorded.unexpected_use =
                    found.unexpected.map(|flag| super::unexpected_sentence(checked.provider, &flag));
            }
            Err(ActionError::Usage(error)) => recorded.last_use = Some(Err(error.to_string())),
            Err(other) => return Err(other),
        }
    }
    Ok(recorded)
}

/// A tally of the answers so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub works: usize,
    pub refused: usize,
    pub could_not_tell: usize,
}

impl Tally {
    pub fn add(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Works => self.works += 1,
            Verdict::Refused => self.refused += 1,
            Verdict::CouldNotTell => self.could_not_tell += 1,
        }
    }

    pub fn done(&self) -> usize {
        self.works + self.refused + self.could_not_tell
    }

    /// "12 work · 1 refused · 2 could not tell".
    pub fn sentence(&self) -> String {
        format!(
            "{} {} · {} refused · {} could not tell",
            self.works,
            if self.works == 1 { "works" } else { "work" },
            self.refused,
            self.could_not_tell
        )
    }
}
