//! Assessments: create, answer (atomic and idempotent per question), complete with scoring, history, delete
//! and restore. The use cases live here; the SQL in [`sql`]; the request and response types in [`dto`].

pub mod dto;
pub mod sql;
pub mod stored;

use std::collections::HashMap;
use std::sync::Arc;

use crate::ctx::Ctx;
use crate::domain::{self, truncate_for_message};
use crate::error::{Error, Result};
use crate::util::{now, parse_id};
use crate::validate::check_len;
use dto::*;

const DEFAULT_PAGE: u32 = 20;
const MAX_PAGE: u32 = 100;

/// A stable shuffle (Fisher–Yates with the assessment's seed), for an assessment that mixes in fresh questions.
fn shuffle(ids: &mut [String], seed: u64) {
    let mut rng = domain::questions::SplitMix64(seed ^ 0x9e37_79b9_7f4a_7c15);
    for i in (1..ids.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        ids.swap(i, j);
    }
}

/// Longest group label and note.
pub const MAX_GROUP_LABEL: usize = crate::store::records::GROUP_LABEL;
pub const MAX_NOTE: usize = crate::store::records::NOTE;

/// A group label as stored (see [`crate::fields::line`]): one space between words, 1–80 characters; empty →
/// none.
pub(crate) fn group_label(label: Option<&str>) -> Result<Option<String>> {
    crate::fields::line(label, "group name", MAX_GROUP_LABEL)
}

/// A note as stored (see [`crate::fields::prose`]): trimmed, at most 2,000 characters; empty → none.
pub(crate) fn note(note: Option<&str>) -> Result<Option<String>> {
    crate::fields::prose(note, "note", MAX_NOTE)
}

fn seed_of(id: &uuid::Uuid) -> u64 {
    let b = id.as_bytes();
    u64::from_le_bytes([b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]])
}

/// The assessments capability: a cheap view of the shared context.
#[derive(Clone, Copy)]
pub struct Assessments<'a> {
    ctx: &'a Ctx,
}

impl Ctx {
    /// This capability's handle on the context.
    pub(crate) fn assessments(&self) -> Assessments<'_> {
        Assessments::new(self)
    }
}

impl<'a> Assessments<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Assessments { ctx }
    }

    /// The framework and scale, with the number of questions an assessment of each pillar has.
    pub fn framework(&self) -> FrameworkInfo {
        let d = &self.ctx.domain;
        let mut per = HashMap::new();
        for q in d.bank.all() {
            *per.entry(q.pillar.clone()).or_insert(0u32) += 1;
        }
        FrameworkInfo {
            framework: d.framework.clone(),
            scale: d.bank.scale.clone(),
            questions_per_pillar: per,
            categories: crate::capabilities::knowledge::explorer::categories(),
        }
    }

    /// Starts an assessment of `pillar` in `mode`, with its questions in a stable shuffled order.
    pub async fn create(&self, req: CreateAssessmentRequest) -> Result<Assessment> {
        self.create_in(req, None).await
    }

    /// [`Assessments::create`] as one pillar of the full profile `profile` (checked by the caller).
    pub(crate) async fn create_in(
        &self,
        req: CreateAssessmentRequest,
        profile: Option<String>,
    ) -> Result<Assessment> {
        check_len(&req.pillar, "pillar")?;
        check_len(&req.mode, "mode")?;
        let d = &self.ctx.domain;
        let (pillar, mode) = d.pillar_in_mode(&req.pillar, &req.mode)?;
        let label = group_label(req.group_label.as_deref())?;
        let note = note(req.note.as_deref())?;
        let round = req
            .round_id
            .as_deref()
            .map(|r| parse_id(r).map(|u| u.to_string()))
            .transpose()?;
        let id = crate::util::new_id();
        let mut question_ids = d.bank.shuffled_ids(&pillar.id, seed_of(&id));
        if req.include_fresh == Some(true) {
            let fresh = self.ctx.questions().for_assessment(&pillar.id).await?;
            question_ids.extend(fresh.into_iter().map(|q| q.id));
            shuffle(&mut question_ids, seed_of(&id));
        }
        let id = id.to_string();
        let (pid, mid, owner, version) = (
            pillar.id.clone(),
            mode.id.clone(),
            self.ctx.principal.clone(),
            d.bank.version,
        );
        let (id2, qids) = (id.clone(), question_ids.clone());
        self.ctx
            .store
            .write(move |c| {
                sql::insert(
                    c,
                    &sql::NewAssessment {
                        id: &id2,
                        who: &owner,
                        pillar: &pid,
                        mode: &mid,
                        question_ids: &qids,
                        bank_version: version,
                        now: &now(),
                        group_label: label.as_deref(),
                        note: note.as_deref(),
                        profile_id: profile.as_deref(),
                        round_id: round.as_deref(),
                    },
                )
            })
            .await?;
        tracing::info!(assessment = %id, pillar = %pillar.id, "assessment created");
        self.get(&id).await
    }

    /// Records or changes one answer. Atomic and idempotent; safe under concurrent calls.
    pub async fn answer(&self, req: AnswerRequest) -> Result<AnswerAck> {
        let id = parse_id(&req.assessment_id)?.to_string();
        check_len(&req.question_id, "question id")?;
        let d = &self.ctx.domain;
        if d.bank.get(&req.question_id).is_none() && !domain::is_fresh_id(&req.question_id) {
            return Err(Error::UnknownQuestion(truncate_for_message(
                &req.question_id,
            )));
        }
        let scale = &d.bank.scale;
        if req.value < scale.min || req.value > scale.max {
            return Err(Error::ValueOutOfRange {
                value: req.value,
                min: scale.min,
                max: scale.max,
            });
        }
        let patch = sql::AnswerPatch::new(
            id,
            self.ctx.principal.clone(),
            req.question_id,
            req.value,
            now(),
        );
        self.ctx
            .store
            .write_statement(move |c| sql::answer(c, &patch).map(|()| patch))
            .await
            .map(|p| AnswerAck {
                assessment_id: p.id,
                question_id: p.question,
                value: req.value,
            })
    }

    /// Scores the assessment and freezes its answers.
    pub async fn complete(&self, id: &str) -> Result<Assessment> {
        let id = parse_id(id)?.to_string();
        let owner = self.ctx.principal.clone();
        let domain = Arc::clone(&self.ctx.domain);
        // The fresh questions it served, read first (the write below scores with them).
        let served = {
            let (id, owner) = (id.clone(), owner.clone());
            self.ctx
                .store
                .read(move |c| sql::get(c, &id, &owner))
                .await?
                .question_ids
        };
        let fresh = self.ctx.questions().resolve(&served).await?;
        let id2 = id.clone();
        self.ctx
            .store
            .write(move |c| {
                let row = sql::get(c, &id2, &owner)?;
                if row.deleted_at.is_some() {
                    return Err(Error::AssessmentDeleted);
                }
                if row.stage == "completed" {
                    return Err(Error::AssessmentCompleted);
                }
                let results = domain::score_with(
                    &domain,
                    &row.pillar,
                    &row.question_ids,
                    &row.answers,
                    &fresh,
                )?;
                sql::complete(c, &id2, &owner, &results, &now())
            })
            .await?;
        tracing::info!(assessment = %id, "assessment completed");
        self.get(&id).await
    }

    /// One assessment (also a deleted one, so that it can be shown for undo).
    pub async fn get(&self, id: &str) -> Result<Assessment> {
        let id = parse_id(id)?.to_string();
        let owner = self.ctx.principal.clone();
        let row = self
            .ctx
            .store
            .read(move |c| sql::get(c, &id, &owner))
            .await?;
        let fresh = self.ctx.questions().resolve(&row.question_ids).await?;
        self.view(row, &fresh)
    }

    fn view(&self, row: sql::AssessmentRow, fresh: &[domain::Question]) -> Result<Assessment> {
        let d = &self.ctx.domain;
        let questions = row
            .question_ids
            .iter()
            .map(|q| {
                d.bank
                    .get(q)
                    .or_else(|| fresh.iter().find(|f| &f.id == q))
                    .cloned()
                    .ok_or_else(|| {
                        Error::Internal(format!("stored question {q} is not in the bank"))
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Assessment {
            answered: row.answers.len() as u32,
            total: questions.len() as u32,
            id: row.id,
            pillar: row.pillar,
            mode: row.mode,
            stage: Stage::from_db(&row.stage),
            questions,
            answers: row.answers,
            results: row.results,
            created_at: row.created_at,
            updated_at: row.updated_at,
            completed_at: row.completed_at,
            deleted_at: row.deleted_at,
            group_label: row.group_label,
            note: row.note,
            profile_id: row.profile_id,
            round_id: row.round_id,
        })
    }

    /// Sets what an assessment is about: the group it names and a note (either may be cleared).
    pub async fn set_about(&self, req: AboutRequest) -> Result<Assessment> {
        let id = parse_id(&req.assessment_id)?.to_string();
        let label = group_label(req.group_label.as_deref())?;
        let note = note(req.note.as_deref())?;
        let (owner, id2) = (self.ctx.principal.clone(), id.clone());
        self.ctx
            .store
            .write(move |c| {
                sql::set_about(c, &id2, &owner, label.as_deref(), note.as_deref(), &now())
            })
            .await?;
        self.get(&id).await
    }

    /// The group labels used so far, most recently used first (for choosing one again).
    pub async fn groups(&self) -> Result<Vec<GroupLabel>> {
        let owner = self.ctx.principal.clone();
        let rows = self.ctx.store.read(move |c| sql::groups(c, &owner)).await?;
        Ok(rows
            .into_iter()
            .map(|(label, assessments, last_used)| GroupLabel {
                label,
                assessments,
                last_used,
            })
            .collect())
    }

    /// Live assessments, newest first.
    pub async fn list(&self, req: ListRequest) -> Result<AssessmentPage> {
        let d = &self.ctx.domain;
        let pillar = match &req.pillar {
            Some(p) => {
                check_len(p, "pillar")?;
                Some(d.pillar(p)?.id.clone())
            }
            None => None,
        };
        let mode = match &req.mode {
            Some(m) => {
                check_len(m, "mode")?;
                Some(d.mode(m)?.id.clone())
            }
            None => None,
        };
        let limit = req.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(Error::OutOfRange(format!(
                "The page size must be between 1 and {MAX_PAGE}, not {limit}."
            )));
        }
        let offset = req.offset.unwrap_or(0);
        let group = group_label(req.group.as_deref())?;
        let owner = self.ctx.principal.clone();
        let (rows, total) = self
            .ctx
            .store
            .read(move |c| {
                sql::list(
                    c,
                    &sql::ListFilter {
                        who: &owner,
                        pillar: pillar.as_deref(),
                        mode: mode.as_deref(),
                        group: group.as_deref(),
                        limit,
                        offset,
                    },
                )
            })
            .await?;
        let items = rows
            .into_iter()
            .map(|r| AssessmentSummary {
                pillar_name: d
                    .framework
                    .pillar(&r.pillar)
                    .map(|p| p.name.clone())
                    .unwrap_or_else(|| r.pillar.clone()),
                id: r.id,
                pillar: r.pillar,
                mode: r.mode,
                stage: Stage::from_db(&r.stage),
                answered: r.answered,
                total: r.total,
                band: r.pillar_score.map(domain::Band::of),
                band_label: r
                    .pillar_score
                    .map(|s| domain::Band::of(s).label().to_owned()),
                pillar_score: r.pillar_score,
                created_at: r.created_at,
                updated_at: r.updated_at,
                completed_at: r.completed_at,
                group_label: r.group_label,
            })
            .collect();
        Ok(AssessmentPage {
            items,
            total,
            limit,
            offset,
        })
    }

    /// Moves an assessment to the bin (a tombstone); [`Assessments::restore`] undoes it.
    pub async fn delete(&self, id: &str) -> Result<AssessmentRef> {
        let id = parse_id(id)?.to_string();
        let owner = self.ctx.principal.clone();
        let id2 = id.clone();
        self.ctx
            .store
            .write(move |c| sql::delete(c, &id2, &owner, &now()))
            .await?;
        tracing::info!(assessment = %id, "assessment deleted");
        Ok(AssessmentRef { id })
    }

    /// Undoes a delete.
    pub async fn restore(&self, id: &str) -> Result<Assessment> {
        let id = parse_id(id)?.to_string();
        let owner = self.ctx.principal.clone();
        let id2 = id.clone();
        self.ctx
            .store
            .write(move |c| sql::restore(c, &id2, &owner, &now()))
            .await?;
        tracing::info!(assessment = %id, "assessment restored");
        self.get(&id).await
    }

    /// Every live completed assessment (scores only), oldest completion first: what progress views and goal
    /// outcomes are computed from.
    pub(crate) async fn history(&self) -> Result<Vec<sql::HistoryRow>> {
        let owner = self.ctx.principal.clone();
        self.ctx
            .store
            .read(move |c| sql::completed_history(c, &owner))
            .await
    }

    /// How many live assessments are still being answered, optionally of one group and one mode.
    pub(crate) async fn in_progress(
        &self,
        group: Option<String>,
        mode: Option<String>,
    ) -> Result<u32> {
        let owner = self.ctx.principal.clone();
        self.ctx
            .store
            .read(move |c| sql::count_in_progress(c, &owner, group.as_deref(), mode.as_deref()))
            .await
    }

    /// Number of live assessments of every owner (diagnostics).
    /// (completed, in progress), for Diagnostics.
    pub(crate) async fn count_all(&self) -> Result<(u32, u32)> {
        self.ctx.store.read(sql::count).await
    }
}
