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

use std::time::{Duration, Instant};

use serde_json::Value;

use tokio_util::sync::CancellationToken;

use crate::ctx::Ctx;
use crate::error::{Error, ErrorPayload, Result};
use crate::jobs::JobKind;
use crate::remote::RemoteState;
use dto::*;

/// Outbox entries per push batch (an assessment with its answers is one entry).
pub const BATCH_ENTRIES: usize = 1000;
/// A batch's changes are cut to at most this many bytes of JSON before they are sent (the server refuses a batch
/// over 16 MB with 413; one entry is never more than about 6 MB, so a single entry always goes).
pub const BATCH_BYTES: usize = 8 * 1024 * 1024;
/// Rows per pull page and table (the server also stops a page after about 4 MB of rows; `max_rows` does not
/// apply: a page is one JSON value).
pub const PAGE_ROWS: u32 = 5000;

/// A batch read from the outbox with the body of its request.
struct Prepared {
    batch: sql::Claimed,
    /// Answer id → its assessment (a refused answer is shown as its assessment).
    answer_of: std::collections::HashMap<String, String>,
    rows: u64,
    body: Value,
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

/// The sync capability.
pub struct Sync<'a> {
    ctx: &'a Ctx,
}

impl Ctx {
    /// This capability's handle on the context.
    pub(crate) fn sync(&self) -> Sync<'_> {
        Sync::new(self)
    }
}

impl<'a> Sync<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Sync { ctx }
    }

    fn state(&self) -> &RemoteState {
        &self.ctx.remote
    }

    /// Where syncing stands.
    pub async fn status(&self) -> Result<SyncStatus> {
        let link = self.ctx.remote().link().await?;
        let (pending, rejected) = self
            .ctx
            .store
            .read(|c| Ok((sql::pending(c)?, sql::rejected_count(c)?)))
            .await?;
        let last_error: Option<ErrorPayload> = link
            .as_ref()
            .and_then(|l| l.last_error.as_deref())
            .and_then(|e| serde_json::from_str(e).ok());
        let busy = self
            .state()
            .sync_busy
            .load(std::sync::atomic::Ordering::Relaxed);
        let changes = |n: u64| {
            if n == 1 {
                "1 change".to_owned()
            } else {
                format!("{n} changes")
            }
        };
        let (state, label) = match &link {
            None => (SyncState::Off, "Sync is off".to_owned()),
            Some(l) if !l.signed_in => (
                SyncState::SignedOut,
                if pending > 0 {
                    format!("Signed out: {} wait to sync", changes(pending))
                } else {
                    "Signed out".to_owned()
                },
            ),
            Some(_) if busy => (SyncState::Syncing, "Syncing…".to_owned()),
            Some(_) => match &last_error {
                Some(e) if e.code == "sync_unreachable" => (
                    SyncState::Offline,
                    if pending > 0 {
                        format!("Offline: {} waiting", changes(pending))
                    } else {
                        "Offline".to_owned()
                    },
                ),
                Some(e) => (SyncState::Error, format!("Not syncing: {}", e.message)),
                None if pending > 0 => {
                    (SyncState::Pending, format!("{} waiting", changes(pending)))
                }
                None => (SyncState::Synced, "Synced".to_owned()),
            },
        };
        Ok(SyncStatus {
            state,
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
        let signed_in = match self.ctx.remote().link().await {
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
                let wait = asked.map_or(crate::remote::client::jitter(backoff), |a| {
                    a.max(LOOK_EVERY)
                });
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
        let _one = self.state().sync_running.lock().await;
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
            .sync_busy
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let started = Instant::now();
        let mut report = SyncReport::default();
        let r = async {
            self.push(&mut report, &progress, &cancel).await?;
            self.pull(&mut report, &progress, &cancel).await
        }
        .await;
        self.state()
            .sync_busy
            .store(false, std::sync::atomic::Ordering::Relaxed);
        report.duration_ms = started.elapsed().as_millis() as u64;
        let outcome = match &r {
            Ok(()) => None,
            Err(Error::NotSignedIn) => return Err(Error::NotSignedIn),
            // Stopped by hand: not a failure to show, and not a sync that happened.
            Err(Error::Cancelled) => return Err(Error::Cancelled),
            Err(e) => serde_json::to_string(&e.payload()).ok(),
        };
        self.ctx.remote().record_sync(outcome).await?;
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
        let (_, link) = self.ctx.remote().access_token().await?;
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
            let remote = self.ctx.remote();
            let (answer, upcoming) = tokio::join!(
                remote.call("/rpc/push_changes", &cur.body),
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
        let answer: wire::PushAnswer = serde_json::from_value(answer.clone())
            .map_err(|e| Error::SyncRefused(format!("a push answer that is not one: {e}")))?;
        let refused: Vec<sql::Refused> = answer
            .rejected
            .into_iter()
            .map(|r| {
                let (table, row_id) = match cur.answer_of.get(&r.id) {
                    Some(a) if r.table == "answers" => ("assessments".to_owned(), a.clone()),
                    _ => (r.table, r.id),
                };
                let code = r.code.unwrap_or_else(|| "?".to_owned());
                let reason = refusal_words(&code, r.message.as_deref());
                sql::Refused {
                    table,
                    row_id,
                    code,
                    reason,
                }
            })
            .collect();
        report.pushed += answer.applied;
        report.ignored += answer.ignored;
        report.rejected += refused.len() as u64;
        report.batches += 1;
        if cur.batch.resent {
            tracing::info!(batch = %cur.batch.batch_id, status = ?answer.status, "a batch sent again");
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
        let order = crate::store::records::pull_order();
        let all_tables = order.len();
        let mut upto = all_tables;
        loop {
            // Stopped between rounds: every page applied so far is kept with its cursor.
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            let tables = &order[..upto];
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
            let mut all = self.ctx.remote().call("/rpc/pull_all", &body).await?;
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
        let (_, link) = self.ctx.remote().access_token().await?;
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
