//! Sync with the signed-in account's Supabase project: push what changed here, pull what changed elsewhere.
//!
//! - Push: every write to a synced table is queued in the outbox in its own transaction (triggers). A push
//!   claims queued rows under a batch id recorded *before* the request, sends the rows' current state through
//!   the one idempotent RPC `push_changes`, and clears them once the server answered; after a crash or a lost
//!   answer the same batch is sent again and the server answers "duplicate". Rows the server refuses go to the
//!   "not synced" list, so one bad row never blocks the queue.
//! - Pull: per table, pages by `(server_xid, id)` from `pull_changes`; each page is applied and its cursor moved
//!   in one local transaction, with the server's last-writer-wins rule; answers merge per question.
//! - Failures: network, 5xx and 429 are retried with backoff and jitter (honouring `Retry-After`) behind a
//!   circuit breaker for the project; 401 refreshes the token once; other refusals are shown, never retried
//!   in a loop.

pub mod dto;
pub(crate) mod sql;
pub(crate) mod wire;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use tokio_util::sync::CancellationToken;

use crate::ctx::Ctx;
use crate::error::{Error, ErrorPayload, Result};
use crate::jobs::JobKind;
use crate::llm::breaker::{BreakerConfig, CircuitBreaker, Outcome};
use crate::llm::LlmErrorKind;
use dto::*;

/// Outbox entries per push batch (an assessment with its answers is one entry).
pub const BATCH_ENTRIES: usize = 1000;
/// A batch's changes are cut to at most this many bytes of JSON before they are sent (the server refuses a batch
/// over 16 MB with 413; one entry is never more than about 6 MB, so a single entry always goes).
pub const BATCH_BYTES: usize = 8 * 1024 * 1024;
/// Rows per pull page and table (the server also stops a page after about 4 MB of rows; `max_rows` does not
/// apply: a page is one JSON value).
pub const PAGE_ROWS: u32 = 5000;
/// Tries of one request before a sync gives up for now.
pub const ATTEMPTS: u32 = 3;
/// The longest wait between tries that a server may ask for with `Retry-After`.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);
/// The largest answer read from the project (a pull of every table, each page at most about 4 MB and one row,
/// stays below).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// A batch read from the outbox with the body of its request.
struct Prepared {
    batch: sql::Claimed,
    /// Answer id → its assessment (a refused answer is shown as its assessment).
    answer_of: std::collections::HashMap<String, String>,
    rows: u64,
    body: Value,
}

/// Sync's state in memory: the project's breaker and the one-sync-at-a-time lock.
pub(crate) struct SyncState {
    breaker: Arc<CircuitBreaker>,
    running: tokio::sync::Mutex<()>,
    busy: std::sync::atomic::AtomicBool,
}

impl SyncState {
    pub(crate) fn new(clock: Arc<dyn crate::llm::Clock>) -> SyncState {
        SyncState {
            breaker: CircuitBreaker::new("sync", BreakerConfig::default(), clock),
            running: tokio::sync::Mutex::new(()),
            busy: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

/// When the background sync runs next.
#[derive(Debug, Default)]
pub(crate) struct Ticker {
    last_full: Option<Instant>,
    failures: u32,
}

/// How often the background sync pulls when nothing changed here.
pub const PULL_EVERY: Duration = Duration::from_secs(300);
/// How often it looks for changes to push (a change waits at most this long, plus a quiet second).
pub const LOOK_EVERY: Duration = Duration::from_secs(5);

/// How one request ended.
enum Sent {
    Ok(Value),
    Unauthorised,
    /// Any other answer but 2xx: its status and body (PostgREST's `{code, message, …}`).
    Refused {
        status: u16,
        body: Value,
        retry_after_ms: Option<u64>,
    },
}

/// Maps a refusal a caller understands (a team function's own error codes) to its error; `None`: the usual
/// handling (transient ones retried).
pub(crate) type Refusal = dyn Fn(u16, &Value) -> Option<Error> + Send + std::marker::Sync;

/// The sync capability.
pub struct Sync<'a> {
    ctx: &'a Ctx,
}

fn jitter(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|t| t.subsec_nanos())
        .unwrap_or(0);
    // Up to half as long again.
    d + d.mul_f64(f64::from(nanos % 1000) / 2000.0)
}

impl<'a> Sync<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Sync { ctx }
    }

    fn state(&self) -> &SyncState {
        &self.ctx.sync
    }

    /// Where syncing stands.
    pub async fn status(&self) -> Result<SyncStatus> {
        let link = self.ctx.account().link().await?;
        let (pending, rejected) = self
            .ctx
            .store
            .read(|c| Ok((sql::pending(c)?, sql::rejected_count(c)?)))
            .await?;
        let last_error: Option<ErrorPayload> = link
            .as_ref()
            .and_then(|l| l.last_error.as_deref())
            .and_then(|e| serde_json::from_str(e).ok());
        let busy = self.state().busy.load(std::sync::atomic::Ordering::Relaxed);
        let changes = |n: u64| {
            if n == 1 {
                "1 change".to_owned()
            } else {
                format!("{n} changes")
            }
        };
        let (state, label) = match &link {
            None => ("off", "Sync is off".to_owned()),
            Some(l) if !l.signed_in => (
                "signed_out",
                if pending > 0 {
                    format!("Signed out: {} wait to sync", changes(pending))
                } else {
                    "Signed out".to_owned()
                },
            ),
            Some(_) if busy => ("syncing", "Syncing…".to_owned()),
            Some(_) => match &last_error {
                Some(e) if e.code == "sync_unreachable" => (
                    "offline",
                    if pending > 0 {
                        format!("Offline: {} waiting", changes(pending))
                    } else {
                        "Offline".to_owned()
                    },
                ),
                Some(e) => ("error", format!("Not syncing: {}", e.message)),
                None if pending > 0 => ("pending", format!("{} waiting", changes(pending))),
                None => ("synced", "Synced".to_owned()),
            },
        };
        Ok(SyncStatus {
            state: state.to_owned(),
            label,
            pending,
            rejected,
            last_sync_at: link.as_ref().and_then(|l| l.last_sync_at.clone()),
            last_error,
            email: link.map(|l| l.email),
        })
    }

    /// The changes the server refused.
    pub async fn rejected(&self) -> Result<Vec<RejectedChange>> {
        self.ctx.store.read(sql::rejected).await
    }

    /// Sends a refused change again with the next sync.
    pub async fn retry_rejected(&self, req: RejectedRequest) -> Result<SyncStatus> {
        self.resolve(req, true).await
    }

    /// Sends every refused change again with the next sync.
    pub async fn retry_all_rejected(&self) -> Result<SyncStatus> {
        self.ctx.store.write(sql::retry_all_rejected).await?;
        self.status().await
    }

    /// Forgets a refused change: it stays on this computer and is not sent again unless it changes.
    pub async fn discard_rejected(&self, req: RejectedRequest) -> Result<SyncStatus> {
        self.resolve(req, false).await
    }

    async fn resolve(&self, req: RejectedRequest, retry: bool) -> Result<SyncStatus> {
        if req.table.len() > 64 || req.row_id.len() > crate::util::MAX_ID_LEN {
            return Err(Error::InvalidArgument("No such refused change.".into()));
        }
        let found = self
            .ctx
            .store
            .write(move |c| sql::resolve_rejected(c, &req.table, &req.row_id, retry))
            .await?;
        if !found {
            return Err(Error::InvalidArgument(
                "That change is not in the not-synced list.".into(),
            ));
        }
        self.status().await
    }

    /// One look by the background sync: syncs when something waits to be pushed (and nothing changed in the
    /// last second) or a pull is due; returns how long to wait before the next look (longer after failures:
    /// 30 s doubling to 10 min, with jitter, or what the server asked for).
    pub(crate) async fn tick(&self, t: &mut Ticker) -> Duration {
        let signed_in = match self.ctx.account().link().await {
            Ok(l) => l.is_some_and(|l| l.signed_in),
            Err(_) => return PULL_EVERY,
        };
        let ready = self
            .ctx
            .store
            .read(|c| {
                let quiet: bool = c.query_row(
                    "SELECT EXISTS (SELECT 1 FROM outbox) AND
                            coalesce((SELECT max(queued_at) FROM outbox), '') < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 second')",
                    [],
                    |r| r.get(0),
                )?;
                Ok(quiet)
            })
            .await;
        let waiting = match ready {
            Ok(r) => r,
            Err(_) => return PULL_EVERY,
        };
        if !signed_in {
            return Duration::from_secs(30);
        }
        let due = t.last_full.is_none_or(|at| at.elapsed() >= PULL_EVERY);
        if !waiting && !due {
            return LOOK_EVERY;
        }
        match self.sync_now().await {
            Ok(_) => {
                t.failures = 0;
                t.last_full = Some(Instant::now());
                LOOK_EVERY
            }
            Err(e) if e.retryable() => {
                t.failures += 1;
                let backoff = Duration::from_secs(30 * (1u64 << t.failures.min(5)))
                    .min(Duration::from_secs(600));
                let asked = e.retry_after_ms().map(Duration::from_millis);
                let wait = asked.map_or(jitter(backoff), |a| a.max(LOOK_EVERY));
                tracing::info!(error = %e, wait_s = wait.as_secs(), "background sync failed; trying again later");
                wait
            }
            Err(e) => {
                tracing::warn!(error = %e, "background sync stopped until something changes");
                t.last_full = Some(Instant::now());
                PULL_EVERY
            }
        }
    }

    /// Stops the sync under way in this process after the batch or page it is at (nothing is lost: a claimed
    /// batch goes first next time, and every page applied keeps its cursor). Whether one was running.
    pub fn cancel(&self) -> bool {
        self.ctx.jobs.cancel(JobKind::Sync, "sync")
    }

    /// Pushes everything queued, then pulls everything new.
    pub async fn sync_now(&self) -> Result<SyncReport> {
        self.sync_with(|_| {}).await
    }

    /// [`Sync::sync_now`] reporting progress.
    pub async fn sync_with(
        &self,
        progress: impl Fn(SyncProgress) + Send + std::marker::Sync,
    ) -> Result<SyncReport> {
        let _one = self.state().running.lock().await;
        // One sync at a time in this process (the lock above), so the job id is always free here.
        let job = self
            .ctx
            .jobs
            .start(JobKind::Sync, "sync", "Sync", None, |_| {
                "A sync is already running.".into()
            })?;
        let cancel = job.token().clone();
        let progress = |p: SyncProgress| {
            let stage = match &p.table {
                Some(t) => format!("{} {t}", p.stage),
                None => p.stage.clone(),
            };
            job.progress(Some(p.done), p.total, Some(&stage));
            progress(p);
        };
        self.state()
            .busy
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let started = Instant::now();
        let mut report = SyncReport::default();
        let r = async {
            self.push(&mut report, &progress, &cancel).await?;
            self.pull(&mut report, &progress, &cancel).await
        }
        .await;
        self.state()
            .busy
            .store(false, std::sync::atomic::Ordering::Relaxed);
        report.duration_ms = started.elapsed().as_millis() as u64;
        let outcome = match &r {
            Ok(()) => None,
            Err(Error::NotSignedIn) => return Err(Error::NotSignedIn),
            // Stopped by hand: not a failure to show, and not a sync that happened.
            Err(Error::Cancelled) => return Err(Error::Cancelled),
            Err(e) => serde_json::to_string(&e.payload()).ok(),
        };
        self.ctx.account().record_sync(outcome).await?;
        r.map(|()| {
            tracing::info!(
                pushed = report.pushed,
                pulled = report.pulled,
                ms = report.duration_ms,
                "synced"
            );
            report
        })
    }

    /// The next batch to push and its request body (`sending`: the batches read or sent already).
    async fn prepare(&self, sending: Vec<String>) -> Result<Option<Prepared>> {
        let claimed = self
            .ctx
            .store
            .write(move |c| sql::claim(c, BATCH_ENTRIES, &sending))
            .await?;
        let Some(batch) = claimed else {
            return Ok(None);
        };
        let mut batch = batch;
        let (_, link) = self.ctx.account().access_token().await?;
        let payload = loop {
            let who = self.ctx.principal.clone();
            let entries = batch.entries.clone();
            let (device, user) = (link.device_id.clone(), link.user_id.clone());
            let payload = self
                .ctx
                .store
                .read(move |c| sql::payload(c, &who, &device, &user, &entries))
                .await?;
            let bytes = serde_json::to_vec(&payload.changes).map_or(0, |v| v.len());
            // Too large: the later half of its entries goes back to the queue, in order, and the batch is read
            // again (a batch sent before is sent again as it was: the server may have applied it).
            if bytes <= BATCH_BYTES || batch.entries.len() < 2 || batch.resent {
                break payload;
            }
            let keep = batch.entries.len() / 2;
            let id = batch.batch_id.clone();
            tracing::debug!(bytes, keep, "a batch over the byte cap is cut");
            batch.entries = self
                .ctx
                .store
                .write(move |c| sql::keep_first(c, &id, keep))
                .await?;
        };
        let body = serde_json::json!({
            "batch_id": batch.batch_id,
            "device": link.device_id,
            "changes": payload.changes,
        });
        Ok(Some(Prepared {
            batch,
            answer_of: payload.answer_of,
            rows: payload.rows,
            body,
        }))
    }

    /// Pushes the outbox batch by batch, in order, one request at a time; the next batch is read from the
    /// outbox while one is sent. (Two requests at once were tried: on two cores shared with the server they
    /// took as long as one after the other, so the simpler order stays.)
    async fn push(
        &self,
        report: &mut SyncReport,
        progress: &(impl Fn(SyncProgress) + Send + std::marker::Sync),
        cancel: &CancellationToken,
    ) -> Result<()> {
        let total = self.ctx.store.read(sql::pending).await?;
        let mut done = 0u64;
        let mut next = self.prepare(Vec::new()).await?;
        while let Some(cur) = next.take() {
            // Stopped between batches: what is claimed stays recorded and goes first next time.
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            let started = Instant::now();
            let (answer, upcoming) = tokio::join!(
                self.call("/rpc/push_changes", &cur.body),
                self.prepare(vec![cur.batch.batch_id.clone()])
            );
            let answer = answer?;
            let sent = started.elapsed();
            self.finish(&cur, &answer, report).await?;
            tracing::debug!(
                rows = cur.rows,
                request_ms = sent.as_secs_f64() * 1e3,
                "pushed a batch"
            );
            done += cur.batch.entries.len() as u64;
            progress(SyncProgress {
                stage: "push".into(),
                table: None,
                done,
                total: Some(total.max(done)),
            });
            // The next batch was read while this one was sent; if reading it failed, say so now.
            next = upcoming?;
        }
        Ok(())
    }

    /// After the server answered a batch: its counts in the report, refused rows listed, the outbox cleared.
    async fn finish(&self, cur: &Prepared, answer: &Value, report: &mut SyncReport) -> Result<()> {
        let refused: Vec<sql::Refused> = answer
            .get("rejected")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|r| {
                        let table = r.get("table")?.as_str()?.to_owned();
                        let id = r.get("id")?.as_str()?.to_owned();
                        let (table, row_id) = match cur.answer_of.get(&id) {
                            Some(a) if table == "answers" => ("assessments".to_owned(), a.clone()),
                            _ => (table, id),
                        };
                        let code = r
                            .get("code")
                            .and_then(Value::as_str)
                            .unwrap_or("?")
                            .to_owned();
                        let reason = refusal_words(&code, r.get("message").and_then(Value::as_str));
                        Some(sql::Refused {
                            table,
                            row_id,
                            code,
                            reason,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let n = |k: &str| answer.get(k).and_then(Value::as_u64).unwrap_or(0);
        report.pushed += n("applied");
        report.ignored += n("ignored");
        report.rejected += refused.len() as u64;
        report.batches += 1;
        if cur.batch.resent {
            tracing::info!(batch = %cur.batch.batch_id, status = ?answer.get("status"), "a batch sent again");
        }
        let id = cur.batch.batch_id.clone();
        self.ctx
            .store
            .write(move |c| sql::finish(c, &id, &refused))
            .await
    }

    /// Pulls every table in rounds of one `pull_all` call each: the tables asked for are read in one snapshot
    /// and applied parent-first, up to and including the first that has more. The next round asks again from
    /// the first table up to that one, so a child row is only ever applied together with every parent row
    /// committed before it (a table pulled to its end earlier could miss a parent committed since). In the
    /// steady state one round is the whole pull.
    async fn pull(
        &self,
        report: &mut SyncReport,
        progress: &(impl Fn(SyncProgress) + Send + std::marker::Sync),
        cancel: &CancellationToken,
    ) -> Result<()> {
        let mut done = 0u64;
        let all_tables = sql::PULL_TABLES.len();
        let mut upto = all_tables;
        loop {
            // Stopped between rounds: every page applied so far is kept with its cursor.
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            let tables = &sql::PULL_TABLES[..upto];
            let cursors = self
                .ctx
                .store
                .read(move |c| {
                    let mut m = serde_json::Map::new();
                    for tbl in tables {
                        let (xid, id) = sql::cursor(c, tbl)?;
                        m.insert(
                            (*tbl).to_owned(),
                            serde_json::json!({ "after_xid": xid, "after_id": id }),
                        );
                    }
                    Ok(Value::Object(m))
                })
                .await?;
            let body = serde_json::json!({ "tbls": tables, "cursors": cursors, "lim": PAGE_ROWS });
            let t0 = Instant::now();
            let mut all = self.call("/rpc/pull_all", &body).await?;
            let t1 = Instant::now();
            let mut incomplete = None;
            for (i, tbl) in tables.iter().enumerate() {
                let page = all
                    .get_mut(*tbl)
                    .map(Value::take)
                    .ok_or_else(|| Error::SyncRefused(format!("a pull answer without {tbl}")))?;
                if self.apply(tbl, page, report, &mut done, progress).await? {
                    incomplete = Some(i);
                    break;
                }
            }
            tracing::debug!(
                request_ms = (t1 - t0).as_secs_f64() * 1e3,
                apply_ms = t1.elapsed().as_secs_f64() * 1e3,
                "pulled a round"
            );
            upto = match incomplete {
                Some(i) => i + 1,
                None if upto == all_tables => return Ok(()),
                None => all_tables,
            };
        }
    }

    /// Applies one pulled page of `tbl` (`{columns, rows, more}`, each row an array in the order of `columns`);
    /// returns whether the server has more.
    async fn apply(
        &self,
        tbl: &'static str,
        page: Value,
        report: &mut SyncReport,
        done: &mut u64,
        progress: &(impl Fn(SyncProgress) + Send + std::marker::Sync),
    ) -> Result<bool> {
        let more = page.get("more").and_then(Value::as_bool).unwrap_or(false);
        let rows = wire::page_rows(page)
            .map_err(|why| Error::SyncRefused(format!("a pull answer for {tbl}: {why}")))?;
        if rows.len() > PAGE_ROWS as usize {
            return Err(Error::SyncRefused(
                "a pull page larger than asked for".into(),
            ));
        }
        if rows.is_empty() {
            return Ok(false);
        }
        let (_, link) = self.ctx.account().access_token().await?;
        let who = self.ctx.principal.clone();
        let device = link.device_id.clone();
        let n = rows.len() as u64;
        let applied = self
            .ctx
            .store
            .write(move |c| sql::apply_page(c, &who, &device, tbl, &rows))
            .await?;
        if let Some(latest) = applied.latest {
            crate::util::observe_clock(latest);
        }
        report.pulled += applied.applied;
        report.kept_local += applied.kept_local;
        report.skipped += applied.skipped;
        *done += n;
        progress(SyncProgress {
            stage: "pull".into(),
            table: Some(tbl.to_owned()),
            done: *done,
            total: None,
        });
        Ok(more)
    }

    /// One RPC, with the token refreshed once on 401 and transient failures retried with backoff.
    async fn call(&self, path: &str, body: &Value) -> Result<Value> {
        self.call_as(path, body, &|_, _| None).await
    }

    /// [`Sync::call`], where `refusal` first maps the answers its caller understands (they are not retried).
    pub(crate) async fn call_as(
        &self,
        path: &str,
        body: &Value,
        refusal: &Refusal,
    ) -> Result<Value> {
        let (mut token, link) = self.ctx.account().access_token().await?;
        let url = link.project().rest(path);
        let mut refreshed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let permit = self.state().breaker.acquire().map_err(|r| Error::SyncUnreachable {
                message: "Sync is paused after repeated failures to reach the project; it tries again by itself."
                    .into(),
                retry_after_ms: r.retry_after.map(|d| d.as_millis() as u64),
            })?;
            let failed = match self.send(&url, &link.public_key, &token, body).await {
                Ok(Sent::Ok(v)) => {
                    permit.record(Outcome::Success);
                    return Ok(v);
                }
                Ok(Sent::Unauthorised) => {
                    permit.record(Outcome::Success);
                    if refreshed {
                        return Err(Error::SessionExpired);
                    }
                    refreshed = true;
                    token = self.ctx.account().refreshed_token(&token).await?.0;
                    continue;
                }
                Ok(Sent::Refused {
                    status,
                    body: answer,
                    retry_after_ms,
                }) => match refusal(status, &answer) {
                    Some(e) => {
                        permit.record(Outcome::Success);
                        return Err(e);
                    }
                    None => refused(status, &answer, retry_after_ms),
                },
                Err(e) => e,
            };
            match failed {
                e @ Error::SyncUnreachable { .. } => {
                    let (kind, wait) = match &e {
                        Error::SyncUnreachable {
                            retry_after_ms: Some(ms),
                            ..
                        } => (LlmErrorKind::RateLimited, Some(Duration::from_millis(*ms))),
                        _ => (LlmErrorKind::Network, None),
                    };
                    permit.record(Outcome::Failure {
                        kind,
                        message: e.to_string(),
                        retry_after: wait,
                    });
                    if attempt >= ATTEMPTS {
                        return Err(e);
                    }
                    let backoff = Duration::from_millis(500 * (1 << (attempt - 1)));
                    let wait = wait.map_or(jitter(backoff), |w| w.min(MAX_RETRY_WAIT));
                    tracing::info!(
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        "sync request failed; trying again"
                    );
                    tokio::time::sleep(wait).await;
                }
                e => {
                    permit.record(Outcome::Success);
                    return Err(e);
                }
            }
        }
    }

    async fn send(&self, url: &str, key: &str, token: &str, body: &Value) -> Result<Sent> {
        let unreachable = |e: reqwest::Error| Error::SyncUnreachable {
            message: if e.is_timeout() {
                "The sync project did not answer in time.".into()
            } else {
                "The sync project cannot be reached.".into()
            },
            retry_after_ms: None,
        };
        let resp = self
            .ctx
            .auth
            .http()
            .post(url)
            .header("apikey", key)
            .bearer_auth(token)
            .header("Accept", "application/json")
            .json(body)
            .timeout(Duration::from_secs(120))
            .send()
            .await
            .map_err(unreachable)?;
        let status = resp.status().as_u16();
        let retry = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if resp.content_length().is_some_and(|n| n > MAX_BODY as u64) {
            return Err(Error::SyncRefused(
                "the project's answer is too large".into(),
            ));
        }
        let bytes = resp.bytes().await.map_err(unreachable)?;
        if bytes.len() > MAX_BODY {
            return Err(Error::SyncRefused(
                "the project's answer is too large".into(),
            ));
        }
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(match status {
            200..=299 => Sent::Ok(v),
            401 => Sent::Unauthorised,
            _ => Sent::Refused {
                status,
                body: v,
                retry_after_ms: retry.map(|s| s.saturating_mul(1000)),
            },
        })
    }
}

/// The usual meaning of an answer that is neither 2xx nor 401.
fn refused(status: u16, body: &Value, retry_after_ms: Option<u64>) -> Error {
    match status {
        404 => Error::SyncRefused(
            "this project has no Compilar sync tables or team functions yet (apply supabase/migrations to it)"
                .into(),
        ),
        408 | 429 | 500..=599 => Error::SyncUnreachable {
            message: if status == 429 {
                "The sync project is limiting requests; Compilar tries again shortly.".into()
            } else {
                format!("The sync project had a problem (HTTP {status}); Compilar tries again shortly.")
            },
            retry_after_ms,
        },
        _ => Error::SyncRefused(format!(
            "HTTP {status}: {}",
            crate::capabilities::account::gotrue::reason(body)
        )),
    }
}

/// A refused row's reason in words, from the PostgreSQL error code.
fn refusal_words(code: &str, message: Option<&str>) -> String {
    let detail = message
        .map(crate::domain::truncate_for_message)
        .unwrap_or_default();
    match code {
        "42501" => {
            "It belongs to another account on the server (row-level security refused it).".into()
        }
        c if c.starts_with("23") => format!("It breaks a rule of the server's tables: {detail}"),
        c if c.starts_with("22") => format!("A value is out of the server's bounds: {detail}"),
        _ => format!("The server refused it: {detail}"),
    }
}
