//! Full profiles: the five pillars of one mode taken in one sitting, pillar by pillar, and resumed where they
//! stopped; and the comparison of both modes for one group, letter by letter.

pub mod dto;

use rusqlite::{params, OptionalExtension};

use crate::capabilities::assessments::dto::{Assessment, CreateAssessmentRequest, Stage};
use crate::capabilities::assessments::{group_label, note, sql as asql};
use crate::ctx::Ctx;
use crate::domain::Band;
use crate::error::{Error, Result};
use crate::util::{new_id, now, parse_id};
use dto::*;

struct Row {
    id: String,
    mode: String,
    group_label: Option<String>,
    note: Option<String>,
    created_at: String,
}

/// The full-profiles capability.
#[derive(Clone, Copy)]
pub struct FullProfiles<'a> {
    ctx: &'a Ctx,
}

impl Ctx {
    /// This capability's handle on the context.
    pub(crate) fn full_profiles(&self) -> FullProfiles<'_> {
        FullProfiles::new(self)
    }
}

impl<'a> FullProfiles<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        FullProfiles { ctx }
    }

    /// Starts a full profile of a mode: the profile and its first pillar's assessment, which is returned.
    pub async fn start(&self, req: StartProfileRequest) -> Result<Assessment> {
        crate::validate::check_len(&req.mode, "mode")?;
        let mode = self.ctx.domain.mode(&req.mode)?.id.clone();
        let label = group_label(req.group_label.as_deref())?;
        let note = note(req.note.as_deref())?;
        let round = req
            .round_id
            .as_deref()
            .map(|r| parse_id(r).map(|u| u.to_string()))
            .transpose()?;
        let id = new_id().to_string();
        let (who, id2, mode2, label2, note2) = (
            self.ctx.principal.clone(),
            id.clone(),
            mode.clone(),
            label.clone(),
            note.clone(),
        );
        self.ctx
            .store
            .write(move |c| {
                let at = now();
                c.execute(
                    "INSERT INTO full_profiles (id, owner_id, mode, group_label, note, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                    params![id2, who.owner(), mode2, label2, note2, at],
                )?;
                Ok(())
            })
            .await?;
        tracing::info!(profile = %id, mode = %mode, "full profile started");
        self.next_for(&id, round).await
    }

    async fn row(&self, id: &str) -> Result<Row> {
        let id = parse_id(id)?.to_string();
        let who = self.ctx.principal.clone();
        let id2 = id.clone();
        self.ctx
            .store
            .read(move |c| {
                Ok(c.query_row(
                    "SELECT id, mode, group_label, note, created_at FROM full_profiles
                     WHERE id = ?1 AND owner_id = ?2 AND deleted_at IS NULL",
                    params![id2, who.owner()],
                    |r| {
                        Ok(Row {
                            id: r.get(0)?,
                            mode: r.get(1)?,
                            group_label: r.get(2)?,
                            note: r.get(3)?,
                            created_at: r.get(4)?,
                        })
                    },
                )
                .optional()?)
            })
            .await?
            .ok_or(Error::ProfileNotFound(id))
    }

    /// One full profile: its five pillars, how far it is, the next pillar.
    pub async fn get(&self, id: &str) -> Result<FullProfile> {
        let row = self.row(id).await?;
        self.view(row).await
    }

    /// Full profiles, newest first (at most 100).
    pub async fn list(&self) -> Result<Vec<FullProfile>> {
        let who = self.ctx.principal.clone();
        let rows = self
            .ctx
            .store
            .read(move |c| {
                let mut st = c.prepare_cached(
                    "SELECT id, mode, group_label, note, created_at FROM full_profiles
                     WHERE owner_id = ?1 AND deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 100",
                )?;
                let rows = st.query_map([who.owner()], |r| {
                    Ok(Row {
                        id: r.get(0)?,
                        mode: r.get(1)?,
                        group_label: r.get(2)?,
                        note: r.get(3)?,
                        created_at: r.get(4)?,
                    })
                })?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.view(r).await?);
        }
        Ok(out)
    }

    /// The assessment to take next: the first pillar not completed yet (started earlier, or started now).
    pub async fn next(&self, id: &str) -> Result<Assessment> {
        self.next_for(id, None).await
    }

    /// [`FullProfiles::next`]; a new pillar answers `round`, or the team round its earlier pillars answer.
    async fn next_for(&self, id: &str, round: Option<String>) -> Result<Assessment> {
        let row = self.row(id).await?;
        let view = self.view_of(&row).await?;
        let Some(next) = view
            .pillars
            .iter()
            .find(|p| p.stage != Some(Stage::Completed))
        else {
            return Err(Error::ProfileComplete);
        };
        if let Some(a) = &next.assessment_id {
            return self.ctx.assessments().get(a).await;
        }
        let round = match round {
            Some(r) => Some(r),
            None => {
                let (who, pid) = (self.ctx.principal.clone(), row.id.clone());
                self.ctx
                    .store
                    .read(move |c| {
                        Ok(c.query_row(
                            "SELECT round_id FROM assessments
                             WHERE profile_id = ?1 AND owner_id = ?2 AND round_id IS NOT NULL
                             ORDER BY created_at LIMIT 1",
                            params![pid, who.owner()],
                            |r| r.get::<_, String>(0),
                        )
                        .optional()?)
                    })
                    .await?
            }
        };
        self.ctx
            .assessments()
            .create_in(
                CreateAssessmentRequest {
                    pillar: next.pillar.clone(),
                    mode: row.mode.clone(),
                    include_fresh: None,
                    group_label: row.group_label.clone(),
                    note: row.note.clone(),
                    round_id: round,
                },
                Some(row.id.clone()),
            )
            .await
    }

    async fn view(&self, row: Row) -> Result<FullProfile> {
        self.view_of(&row).await
    }

    async fn view_of(&self, row: &Row) -> Result<FullProfile> {
        let who = self.ctx.principal.clone();
        let pid = row.id.clone();
        let members = self
            .ctx
            .store
            .read(move |c| asql::of_profile(c, &who, &pid))
            .await?;
        let history = self.ctx.assessments().history().await?;
        let fw = &self.ctx.domain.framework;
        let mut pillars = Vec::new();
        let mut completed_at: Option<String> = None;
        for p in fw.pillars.iter().filter(|p| p.mode == row.mode) {
            // The pillar's newest assessment in this profile (a deleted one is not counted).
            let mine = members.iter().rev().find(|(_, pillar, _)| pillar == &p.id);
            let done = mine.and_then(|(aid, _, _)| history.iter().find(|h| &h.id == aid));
            if let Some(h) = done {
                completed_at = completed_at.max(Some(h.completed_at.clone()));
            }
            let letter = fw
                .letters
                .iter()
                .find(|l| l.id == p.letter)
                .map(|l| format!("{} \u{b7} {}", l.letter, l.name))
                .unwrap_or_default();
            pillars.push(ProfilePillar {
                pillar: p.id.clone(),
                pillar_name: p.name.clone(),
                letter,
                assessment_id: mine.map(|(a, _, _)| a.clone()),
                stage: mine.map(|(_, _, s)| Stage::from_db(s)),
                score: done.map(|h| h.scores.pillar_score),
                band: done.map(|h| Band::of(h.scores.pillar_score)),
            });
        }
        let done = pillars
            .iter()
            .filter(|p| p.stage == Some(Stage::Completed))
            .count() as u32;
        let complete = done as usize == pillars.len();
        Ok(FullProfile {
            id: row.id.clone(),
            mode: row.mode.clone(),
            group_label: row.group_label.clone(),
            note: row.note.clone(),
            next_pillar: pillars
                .iter()
                .find(|p| p.stage != Some(Stage::Completed))
                .map(|p| p.pillar.clone()),
            done,
            complete,
            completed_at: complete.then_some(completed_at).flatten(),
            created_at: row.created_at.clone(),
            pillars,
        })
    }

    /// The same group in both modes, letter by letter: each mode's pillar of the letter at its latest
    /// completed assessment about the group, and the letter's forces in each.
    pub async fn compare_modes(&self, req: CompareModesRequest) -> Result<ModeComparison> {
        let group = group_label(req.group.as_deref())?;
        let history = self.ctx.assessments().history().await?;
        let fw = &self.ctx.domain.framework;
        let latest = |pillar: &str| {
            history
                .iter()
                .rev()
                .find(|h| h.pillar == pillar && h.group_label == group)
        };
        let mut letters = Vec::new();
        for l in &fw.letters {
            let side = |mode: &str| {
                let p = fw
                    .pillars
                    .iter()
                    .find(|p| p.letter == l.id && p.mode == mode)?;
                let h = latest(&p.id)?;
                Some((
                    ModeSide {
                        pillar: p.id.clone(),
                        pillar_name: p.name.clone(),
                        assessment_id: h.id.clone(),
                        completed_at: h.completed_at.clone(),
                        score: h.scores.pillar_score,
                        band: Band::of(h.scores.pillar_score),
                    },
                    h,
                ))
            };
            let (e, h) = (side("egalitarian"), side("hierarchical"));
            let score = |s: &Option<(ModeSide, &asql::HistoryRow)>, force: &str| {
                s.as_ref().and_then(|(_, h)| {
                    h.scores
                        .forces
                        .iter()
                        .find(|f| f.force == force)
                        .and_then(|f| f.score)
                })
            };
            let forces = fw
                .forces
                .iter()
                .filter(|f| f.letter == l.id)
                .map(|f| ForceInModes {
                    force: f.id.clone(),
                    name: f.name.clone(),
                    egalitarian: score(&e, &f.id),
                    hierarchical: score(&h, &f.id),
                })
                .collect();
            letters.push(LetterInModes {
                letter: l.letter.clone(),
                letter_name: l.name.clone(),
                egalitarian: e.map(|(s, _)| s),
                hierarchical: h.map(|(s, _)| s),
                forces,
            });
        }
        Ok(ModeComparison {
            group_label: group,
            letters,
        })
    }
}
