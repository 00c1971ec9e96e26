//! Fresh questions: new Likert statements for a pillar written by a model, each checked before it is kept.
//!
//! The request uses each provider's structured-output feature (see [`crate::llm::OutputSchema`]); whatever
//! comes back is read as the first JSON value of the answer (fenced or not), so providers without the feature
//! work too. Every item is checked: its shape, a force of that pillar, its length, that it is a statement on
//! the bank's agreement scale, and that it is not a near-duplicate of a bank item or of another new one (cosine
//! similarity of local embeddings at or above [`DUPLICATE_SIMILARITY`]). Invalid output is sent back once with
//! the reasons; what is still missing is left to the bank. The user is never blocked: with no model, the bank
//! is used and the reply says why.

pub mod dto;
pub mod sql;

use serde_json::{json, Value};

use crate::ctx::Ctx;
use crate::embed::{cosine, LocalEmbedder};
use crate::error::{Error, Result};
use crate::jobs::{check_id, JobKind};
use crate::llm::{ChatMessage, Feature, OutputSchema, Prompt, Role};
use crate::util::{new_id, now, parse_id};
use crate::writing::prompts;
use dto::*;

/// Default and largest number asked for at once.
pub const DEFAULT_COUNT: u32 = 10;
pub const MAX_COUNT: u32 = 20;
/// Statement length, in characters.
pub const MIN_TEXT: usize = 20;
pub const MAX_TEXT: usize = 200;
/// At or above this cosine similarity (local embeddings) two statements are the same question. Tuned on the
/// bank (`questions::tests::the_duplicate_threshold_separates_paraphrases_from_other_items`, which prints the
/// figures): reworded copies of bank items score 0.92–0.99, the most alike two distinct items of one pillar 0.66;
/// 0.85 leaves room on both sides.
pub const DUPLICATE_SIMILARITY: f32 = 0.85;

/// Most fresh questions mixed into one assessment (one per force: the bank's 12 stay).
pub const MAX_PER_ASSESSMENT: usize = 4;

/// A stored fresh question as a question an assessment serves.
fn served(q: GeneratedQuestion) -> crate::domain::Question {
    crate::domain::Question {
        id: format!("{}{}", crate::domain::FRESH_PREFIX, q.id),
        pillar: q.pillar,
        mode: q.mode,
        force: q.force,
        text: q.text,
        reverse: q.reverse,
        generated: true,
    }
}

/// The questions capability: a cheap view of the shared context.
#[derive(Clone, Copy)]
pub struct Questions<'a> {
    ctx: &'a Ctx,
}

/// The schema every answer is asked to follow.
pub fn schema(forces: &[String], scale: (i64, i64)) -> OutputSchema {
    OutputSchema {
        name: "likert_questions".into(),
        description: "New Likert questions for one PILAR pillar".into(),
        schema: json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["questions"],
            "properties": {
                "questions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["force", "text", "reverse", "scale_min", "scale_max"],
                        "properties": {
                            "force": {"type": "string", "enum": forces},
                            "text": {"type": "string", "description": format!("One statement, {MIN_TEXT}-{MAX_TEXT} characters")},
                            "reverse": {"type": "boolean", "description": "true when agreeing means the force is weak"},
                            "scale_min": {"type": "integer", "enum": [scale.0]},
                            "scale_max": {"type": "integer", "enum": [scale.1]}
                        }
                    }
                }
            }
        }),
    }
}

/// One item of an answer, checked. `Err` says why it cannot be used.
pub fn check_item(
    v: &Value,
    forces: &[String],
    scale: (i64, i64),
) -> std::result::Result<(String, String, bool), String> {
    let o = v.as_object().ok_or("not an object")?;
    let force = o
        .get("force")
        .and_then(Value::as_str)
        .ok_or("no force")?
        .trim();
    if !forces.iter().any(|f| f == force) {
        return Err(format!(
            "unknown force \u{201c}{}\u{201d} (this pillar's are {})",
            crate::domain::truncate_for_message(force),
            forces.join(", ")
        ));
    }
    let text = o
        .get("text")
        .and_then(Value::as_str)
        .ok_or("no text")?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let n = text.chars().count();
    if !(MIN_TEXT..=MAX_TEXT).contains(&n) {
        return Err(format!(
            "{n} characters long (a statement has {MIN_TEXT} to {MAX_TEXT})"
        ));
    }
    if text.ends_with('?') {
        return Err("a question, not a statement to agree or disagree with".into());
    }
    let reverse = o
        .get("reverse")
        .and_then(Value::as_bool)
        .ok_or("reverse is not true or false")?;
    let min = o.get("scale_min").and_then(Value::as_i64);
    let max = o.get("scale_max").and_then(Value::as_i64);
    if (min, max) != (Some(scale.0), Some(scale.1)) {
        return Err(format!(
            "the wrong scale (answers go from {} to {})",
            scale.0, scale.1
        ));
    }
    Ok((force.to_owned(), text, reverse))
}

/// The items of an answer: `{"questions": [...]}`, or a bare array.
fn items(answer: &str) -> std::result::Result<Vec<Value>, String> {
    match crate::llm::json::first_value(answer) {
        Some(Value::Object(mut o)) => match o.remove("questions") {
            Some(Value::Array(a)) => Ok(a),
            _ => Err("the JSON has no \"questions\" list".into()),
        },
        Some(Value::Array(a)) => Ok(a),
        _ => Err("the answer was not JSON".into()),
    }
}

impl Ctx {
    /// This capability's handle on the context.
    pub(crate) fn questions(&self) -> Questions<'_> {
        Questions::new(self)
    }
}

impl<'a> Questions<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Questions { ctx }
    }

    fn prompt(
        &self,
        pillar: &crate::domain::Pillar,
        mode: &crate::domain::Mode,
        forces: &[&crate::domain::Force],
        count: u32,
        difficulty: &str,
        schema: OutputSchema,
    ) -> Prompt {
        let d = &self.ctx.domain;
        let existing: Vec<(String, String)> = d
            .bank
            .for_pillar(&pillar.id)
            .map(|q| (q.force.clone(), q.text.clone()))
            .collect();
        prompts::questions(
            pillar,
            mode,
            forces,
            &existing,
            &d.bank.scale,
            count,
            difficulty,
            (MIN_TEXT, MAX_TEXT),
            schema,
        )
    }

    /// Asks for `count` new questions, checks them, retries once with the reasons, stores what passed.
    pub async fn generate(&self, req: GenerateRequest) -> Result<GenerateReply> {
        check_id(&req.request_id, "request")?;
        let exclude = req.exclude.unwrap_or_default();
        crate::validate::check_exclude(&exclude)?;
        let count = req.count.unwrap_or(DEFAULT_COUNT);
        if !(1..=MAX_COUNT).contains(&count) {
            return Err(Error::OutOfRange(format!(
                "Ask for 1 to {MAX_COUNT} questions."
            )));
        }
        let difficulty = req.difficulty.as_deref().unwrap_or("standard");
        if !["easier", "standard", "harder"].contains(&difficulty) {
            return Err(Error::OutOfRange(
                "The difficulty is easier, standard or harder.".into(),
            ));
        }
        crate::validate::check_len(&req.pillar, "pillar")?;
        crate::validate::check_len(&req.mode, "mode")?;
        let d = &self.ctx.domain;
        let (pillar, mode) = d.pillar_in_mode(&req.pillar, &req.mode)?;
        let forces = d.framework.forces_of(pillar);
        let force_ids: Vec<String> = forces.iter().map(|f| f.id.clone()).collect();
        let scale = (d.bank.scale.min, d.bank.scale.max);
        let job = self.ctx.jobs.start(
            JobKind::Questions,
            &req.request_id,
            "Writing fresh questions",
            Some(pillar.name.clone()),
            |_| "Questions with this request id are already being written.".into(),
        )?;
        let mut prompt = self.prompt(
            pillar,
            mode,
            &forces,
            count,
            difficulty,
            schema(&force_ids, scale),
        );
        // The bank's statements and the fresh questions already stored for the pillar, embedded once (in their
        // normal form) for the duplicate check.
        let who = self.ctx.principal.clone();
        let pid = pillar.id.clone();
        let stored = self
            .ctx
            .store
            .read(move |c| sql::list(c, &who, Some(&pid)))
            .await?;
        let mut known: Vec<String> = d
            .bank
            .for_pillar(&pillar.id)
            .map(|q| q.text.clone())
            .chain(stored.into_iter().map(|q| q.text))
            .collect();
        let mut known_vecs = {
            let texts: Vec<String> = known.iter().map(|t| normal_form(t)).collect();
            tokio::task::spawn_blocking(move || LocalEmbedder::shared()?.embed_now(&texts))
                .await??
        };
        let mut reply = GenerateReply {
            accepted: Vec::new(),
            rejected: Vec::new(),
            from_bank: count,
            attempts: 0,
            provider: None,
            model: None,
            notice: None,
        };
        for attempt in 0..2 {
            let missing = count - reply.accepted.len() as u32;
            if missing == 0 {
                break;
            }
            let answer = tokio::select! {
                biased;
                _ = job.token().cancelled() => return Err(Error::Cancelled),
                a = self.ctx.llm.chat(Feature::Questions, &prompt, &exclude) => a,
            };
            let answer = match answer {
                Ok(a) => a,
                // No model could write them (none set up, none reachable): the bank is used, and the reply says so.
                Err(e)
                    if attempt == 0
                        && !matches!(e.code(), "rate_limited" | "cancelled")
                        && !e.is_caller_error() =>
                {
                    reply.notice = Some(match e.code() {
                        "no_provider" => "No AI provider is set up, so the question bank's own questions are used.".into(),
                        _ => format!("No AI provider could write questions ({}), so the question bank's own questions are used.", e.to_string().trim_end_matches('.')),
                    });
                    return Ok(reply);
                }
                Err(e) if attempt > 0 && e.code() != "rate_limited" && e.code() != "cancelled" => {
                    // The second try failed: keep what the first gave.
                    tracing::warn!(code = e.code(), "the retry for fresh questions failed");
                    break;
                }
                Err(e) => return Err(e),
            };
            reply.attempts += 1;
            reply.provider = Some(answer.provider.clone());
            reply.model = Some(answer.model.clone());
            let mut problems: Vec<String> = Vec::new();
            let candidates: Vec<(String, String, bool)> = match items(&answer.text) {
                Ok(items) => items
                    .iter()
                    .filter_map(|v| match check_item(v, &force_ids, scale) {
                        Ok(x) => Some(x),
                        Err(why) => {
                            let text = v["text"].as_str().unwrap_or("").chars().take(200).collect();
                            problems.push(format!("\u{201c}{text}\u{201d}: {why}"));
                            reply.rejected.push(RejectedItem { text, reason: why });
                            None
                        }
                    })
                    .collect(),
                Err(why) => {
                    problems.push(why.clone());
                    reply.rejected.push(RejectedItem {
                        text: answer.text.chars().take(200).collect(),
                        reason: why,
                    });
                    Vec::new()
                }
            };
            // The same words as a known statement, whatever the case, punctuation or spacing: a duplicate.
            let candidates: Vec<(String, String, bool)> = candidates
                .into_iter()
                .filter(|(_, text, _)| {
                    let n = normal_form(text);
                    match known.iter().find(|k| normal_form(k) == n) {
                        Some(k) => {
                            let why = format!("the same question as \u{201c}{k}\u{201d}");
                            problems.push(format!("\u{201c}{text}\u{201d}: {why}"));
                            reply.rejected.push(RejectedItem {
                                text: text.clone(),
                                reason: why,
                            });
                            false
                        }
                        None => true,
                    }
                })
                .collect();
            if !candidates.is_empty() {
                let texts: Vec<String> = candidates.iter().map(|c| normal_form(&c.1)).collect();
                let vecs =
                    tokio::task::spawn_blocking(move || LocalEmbedder::shared()?.embed_now(&texts))
                        .await??;
                for ((force, text, reverse), v) in candidates.into_iter().zip(vecs) {
                    if reply.accepted.len() as u32 == count {
                        break;
                    }
                    let closest = known_vecs
                        .iter()
                        .enumerate()
                        .map(|(i, k)| (i, cosine(k, &v)))
                        .max_by(|a, b| a.1.total_cmp(&b.1));
                    if let Some((i, sim)) = closest.filter(|(_, s)| *s >= DUPLICATE_SIMILARITY) {
                        let why = format!(
                            "too close to \u{201c}{}\u{201d} (similarity {sim:.2})",
                            known[i]
                        );
                        problems.push(format!("\u{201c}{text}\u{201d}: {why}"));
                        reply.rejected.push(RejectedItem { text, reason: why });
                        continue;
                    }
                    known.push(text.clone());
                    known_vecs.push(v);
                    reply.accepted.push(GeneratedQuestion {
                        id: new_id().to_string(),
                        pillar: pillar.id.clone(),
                        mode: mode.id.clone(),
                        force,
                        text,
                        reverse,
                        provider: answer.provider.clone(),
                        model: answer.model.clone(),
                        created_at: now(),
                    });
                }
            }
            let missing = count - reply.accepted.len() as u32;
            if missing == 0 {
                break;
            }
            // Once more, with the reasons.
            prompt.messages.push(ChatMessage {
                role: Role::Assistant,
                content: answer.text.chars().take(20_000).collect(),
            });
            prompt.messages.push(ChatMessage {
                role: Role::User,
                content: prompts::questions_retry(reply.accepted.len(), &problems, missing),
            });
        }
        reply.from_bank = count - reply.accepted.len() as u32;
        let (who, accepted) = (self.ctx.principal.clone(), reply.accepted.clone());
        self.ctx
            .store
            .write(move |c| {
                for q in &accepted {
                    sql::insert(c, &who, q)?;
                }
                Ok(())
            })
            .await?;
        drop(job);
        tracing::info!(
            pillar = %pillar.id,
            accepted = reply.accepted.len(),
            rejected = reply.rejected.len(),
            attempts = reply.attempts,
            "fresh questions written"
        );
        Ok(reply)
    }

    /// Stops a generation. Whether one was running under that id.
    pub fn cancel(&self, request_id: &str) -> bool {
        self.ctx.jobs.cancel(JobKind::Questions, request_id)
    }

    /// The stored fresh questions, oldest first.
    pub async fn list(&self, req: GeneratedListRequest) -> Result<Vec<GeneratedQuestion>> {
        let pillar = match (req.pillar, req.mode) {
            (Some(p), Some(m)) => Some(self.ctx.domain.pillar_in_mode(&p, &m)?.0.id.clone()),
            (Some(p), None) => Some(self.ctx.domain.pillar(&p)?.id.clone()),
            (None, Some(m)) => {
                self.ctx.domain.mode(&m)?;
                None
            }
            (None, None) => None,
        };
        let who = self.ctx.principal.clone();
        self.ctx
            .store
            .read(move |c| sql::list(c, &who, pillar.as_deref()))
            .await
    }

    /// The fresh questions an assessment of `pillar` may serve (newest first, at most one per force and
    /// [`MAX_PER_ASSESSMENT`] in all), as questions of the assessment (`fresh.<id>`).
    pub(crate) async fn for_assessment(
        &self,
        pillar: &str,
    ) -> Result<Vec<crate::domain::Question>> {
        let who = self.ctx.principal.clone();
        let p = pillar.to_owned();
        let mut all = self
            .ctx
            .store
            .read(move |c| sql::list(c, &who, Some(&p)))
            .await?;
        all.reverse();
        let mut out: Vec<crate::domain::Question> = Vec::new();
        for q in all {
            if out.len() == MAX_PER_ASSESSMENT {
                break;
            }
            if !out.iter().any(|x| x.force == q.force) {
                out.push(served(q));
            }
        }
        Ok(out)
    }

    /// The fresh questions an assessment served (`fresh.<id>` ids), removed ones included.
    pub(crate) async fn resolve(&self, ids: &[String]) -> Result<Vec<crate::domain::Question>> {
        let raw: Vec<String> = ids
            .iter()
            .filter_map(|i| {
                i.strip_prefix(crate::domain::FRESH_PREFIX)
                    .map(str::to_owned)
            })
            .collect();
        if raw.is_empty() {
            return Ok(Vec::new());
        }
        let who = self.ctx.principal.clone();
        let found = self
            .ctx
            .store
            .read(move |c| sql::by_ids(c, &who, &raw))
            .await?;
        Ok(found.into_iter().map(served).collect())
    }

    /// Removes a fresh question (it is no longer offered).
    pub async fn remove(&self, id: &str) -> Result<()> {
        let id = parse_id(id)?.to_string();
        let who = self.ctx.principal.clone();
        self.ctx
            .store
            .write(move |c| sql::remove(c, &who, &id, &now()))
            .await
    }
}

/// A statement's words only, for comparing: lower case, letters and digits (punctuation inside or between
/// words dropped — "peo.ple" is "people"), single spaces.
pub(crate) fn normal_form(text: &str) -> String {
    text.split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_checked_one_by_one() {
        let forces = vec!["goal_clarity".to_string(), "shared_vision".to_string()];
        let ok = json!({"force": "goal_clarity", "text": "Everyone here knows what we are aiming for.", "reverse": false, "scale_min": 1, "scale_max": 5});
        assert!(check_item(&ok, &forces, (1, 5)).is_ok());
        let with = |k: &str, v: Value| {
            let mut x = ok.clone();
            x[k] = v;
            check_item(&x, &forces, (1, 5)).unwrap_err()
        };
        assert!(with("force", json!("voice_safety")).starts_with("unknown force"));
        assert!(with("text", json!("Too short.")).contains("characters long"));
        assert!(with(
            "text",
            json!("Does everyone here know what we are aiming for?")
        )
        .contains("a question"));
        assert!(with("reverse", json!("no")).contains("reverse"));
        assert!(with("scale_max", json!(7)).contains("wrong scale"));
        assert_eq!(
            check_item(&json!([1]), &forces, (1, 5)).unwrap_err(),
            "not an object"
        );
    }

    #[test]
    fn the_duplicate_threshold_separates_paraphrases_from_other_items() {
        let d = crate::domain::Domain::builtin().unwrap();
        let e = LocalEmbedder::shared().unwrap();
        // Reworded copies of bank items (as a model writes them when it repeats one).
        let pairs = [
            ("grpprosp.goal_clarity.1", "Everyone in our group could describe what we are trying to achieve together this quarter."),
            ("grpprosp.goal_clarity.1", "Everyone in the group could describe what we're trying to achieve together this quarter."),
            ("divsexp.voice_safety.1", "I can disagree with the group's view without any fear of being judged."),
            ("grpprosp.future_confidence.1", "I am confident our group will be better off a year from now."),
            ("grpprosp.goal_clarity.2", "As peers we agree about which of our goals matter most at the moment."),
            ("divsexp.voice_safety.2", "Unpopular opinions are given a fair hearing by us."),
        ];
        let mut lowest_copy = f32::MAX;
        for (id, text) in pairs {
            let q = d.bank.get(id).unwrap();
            let v = e.embed_now(&[q.text.clone(), text.to_string()]).unwrap();
            let sim = cosine(&v[0], &v[1]);
            println!("{sim:.3}  {text}");
            lowest_copy = lowest_copy.min(sim);
        }
        let mut highest_distinct = f32::MIN;
        for p in &d.framework.pillars {
            let texts: Vec<String> = d.bank.for_pillar(&p.id).map(|q| q.text.clone()).collect();
            let v = e.embed_now(&texts).unwrap();
            for i in 0..v.len() {
                for j in i + 1..v.len() {
                    highest_distinct = highest_distinct.max(cosine(&v[i], &v[j]));
                }
            }
        }
        println!("copies ≥ {lowest_copy:.3}, distinct bank items ≤ {highest_distinct:.3}");
        assert!(lowest_copy >= DUPLICATE_SIMILARITY, "{lowest_copy}");
        assert!(
            highest_distinct < DUPLICATE_SIMILARITY,
            "{highest_distinct}"
        );
    }
}
