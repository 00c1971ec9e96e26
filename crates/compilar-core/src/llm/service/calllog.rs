//! The call log: one row per provider attempt, written also when a call's future is dropped.

use super::*;

/// A call-log row that writes itself if the call's future is dropped before it finished (the user stopped a
/// whole-answer call): a cancelled call is still a call.
pub(super) struct PendingLog<'a> {
    pub(super) store: &'a Arc<Store>,
    pub(super) entry: Option<CallLogEntry>,
    pub(super) started: Instant,
}

impl Drop for PendingLog<'_> {
    fn drop(&mut self) {
        if let Some(mut e) = self.entry.take() {
            e.outcome = "cancelled".into();
            e.error_code = Some(LlmErrorKind::Cancelled.code().into());
            e.latency_ms = self.started.elapsed().as_millis() as u64;
            self.store.write_detached(move |c| sql::insert_call(c, &e));
        }
    }
}

impl Llm {
    pub(super) fn entry(
        &self,
        action: &str,
        feature: Feature,
        h: &Handle,
        streamed: bool,
        prompt: &Prompt,
    ) -> CallLogEntry {
        let log_prompts = self.ai().log_prompts;
        CallLogEntry {
            id: 0,
            action_id: action.to_owned(),
            at: now(),
            feature: feature.as_str().to_owned(),
            provider: h.settings.id.clone(),
            model: h.settings.chat_model.clone(),
            streamed,
            latency_ms: 0,
            ttft_ms: None,
            tokens_in: 0,
            tokens_out: 0,
            outcome: "ok".into(),
            error_code: None,
            error_message: None,
            breaker_state: h.breaker.state().as_str().to_owned(),
            prompt: log_prompts
                .then(|| serde_json::to_string(prompt).ok())
                .flatten()
                .map(|p| self.secrets.scrub(&p)),
            output: None,
            rate_limited: feature.rate_limited(),
            outcome_text: String::new(),
        }
    }

    pub(super) async fn log(&self, mut e: CallLogEntry) {
        if !self.ai().log_prompts {
            e.prompt = None;
            e.output = None;
        } else {
            e.output = e.output.map(|o| self.secrets.scrub(&o));
        }
        e.error_message = e.error_message.map(|m| self.secrets.scrub(&m));
        if let Err(err) = self
            .store
            .write_statement(move |c| sql::insert_call(c, &e))
            .await
        {
            tracing::warn!(error = %err, "could not write the LLM call log");
        }
        if self.inserted.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            let days = i64::from(self.ai().call_log_retention_days);
            let before = (chrono::Utc::now() - chrono::Duration::days(days))
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            if let Err(err) = self
                .store
                .write(move |c| sql::prune_calls(c, &before))
                .await
            {
                tracing::warn!(error = %err, "could not prune the LLM call log");
            }
        }
    }

    /// Reports a failed attempt to the provider's breaker and writes its call-log row.
    pub(super) async fn log_failure(
        &self,
        permit: Permit,
        mut entry: CallLogEntry,
        h: &Handle,
        e: &LlmError,
    ) {
        permit.record(Outcome::Failure {
            kind: e.kind,
            message: e.message.clone(),
            retry_after: e.retry_after,
        });
        self.push_breaker(&h.settings.id).await;
        entry.breaker_state = h.breaker.state().as_str().into();
        mark_error(&mut entry, e);
        let streamed = entry.streamed;
        self.log(entry).await;
        tracing::warn!(provider = %h.settings.id, code = e.kind.code(), streamed, "provider call failed");
    }

    /// Records a call the breaker turned away and says why, for the list of attempts.
    pub(super) async fn log_rejection(
        &self,
        action: &str,
        feature: Feature,
        h: &Handle,
        streamed: bool,
        prompt: &Prompt,
        retry_after: Option<Duration>,
    ) -> Attempt {
        let mut e = self.entry(action, feature, h, streamed, prompt);
        e.outcome = "rejected".into();
        e.error_code = Some("circuit_open".into());
        self.log(e).await;
        Attempt {
            label: h.settings.label.clone(),
            error: self.rejected(h, retry_after),
        }
    }
}

pub(super) fn mark_error(entry: &mut CallLogEntry, e: &LlmError) {
    entry.outcome = "error".into();
    entry.error_code = Some(e.kind.code().into());
    entry.error_message = Some(e.message.clone());
}
