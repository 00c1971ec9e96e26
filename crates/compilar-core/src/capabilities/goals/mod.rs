//! Development goals: from a result, one focus force becomes something to change, with the practice chosen,
//! a review date and check-ins ("how is it going", 1–5, and a note). A goal ends done or dropped (with a
//! reason); the next assessment of its pillar shows the force before and after.

pub mod dto;
pub mod sql;

use chrono::NaiveDate;

use crate::capabilities::assessments::dto::Stage;
use crate::capabilities::assessments::sql::HistoryRow;
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::store::records;
use crate::util::{new_id, now, parse_id};
use dto::*;

/// Longest title, practice, check-in note and closing reason (the synced tables' bounds, described once).
pub const MAX_TITLE: usize = records::GOAL_TITLE;
pub const MAX_PRACTICE: usize = records::GOAL_PRACTICE;
pub const MAX_CHECKIN_NOTE: usize = records::CHECKIN_NOTE;
pub const MAX_REASON: usize = records::GOAL_CLOSED_REASON;
/// Live goals one person may have, and check-ins one goal may have.
pub const MAX_GOALS: u32 = 500;
pub const MAX_CHECKINS: u32 = 1_000;
/// How far ahead a review date may be.
pub const MAX_REVIEW_DAYS: i64 = 366;
/// The review date when none is given: four weeks ahead.
pub const DEFAULT_REVIEW_DAYS: i64 = 28;

/// A goal's title: one line (see [`crate::fields::line`]), 1 to `max` characters.
fn title(s: &str, max: usize) -> Result<String> {
    crate::fields::line(Some(s), "goal", max)?
        .ok_or_else(|| Error::EmptyInput("The goal cannot be empty.".into()))
}

/// Prose (see [`crate::fields::prose`]) of 1 to `max` characters.
fn text(s: &str, what: &'static str, max: usize) -> Result<String> {
    crate::fields::prose(Some(s), what, max)?
        .ok_or_else(|| Error::EmptyInput(format!("The {what} cannot be empty.")))
}

fn optional_text(s: Option<&str>, what: &'static str, max: usize) -> Result<Option<String>> {
    crate::fields::prose(s, what, max)
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// A review date: `YYYY-MM-DD`, from today up to [`MAX_REVIEW_DAYS`] ahead.
fn review_date(s: &str) -> Result<String> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        Error::InvalidArgument(format!(
            "The review date must be a date like 2027-01-31, not \u{201c}{}\u{201d}.",
            crate::domain::truncate_for_message(s)
        ))
    })?;
    let t = today();
    if d < t {
        return Err(Error::OutOfRange(
            "The review date cannot be in the past.".into(),
        ));
    }
    if (d - t).num_days() > MAX_REVIEW_DAYS {
        return Err(Error::OutOfRange(
            "The review date can be at most a year ahead.".into(),
        ));
    }
    Ok(d.format("%Y-%m-%d").to_string())
}

fn force_in(row: &HistoryRow, force: &str) -> Option<f64> {
    row.scores
        .forces
        .iter()
        .find(|f| f.force == force)
        .and_then(|f| f.score)
}

/// The goals capability.
#[derive(Clone, Copy)]
pub struct Goals<'a> {
    ctx: &'a Ctx,
}

impl Ctx {
    /// This capability's handle on the context.
    pub(crate) fn goals(&self) -> Goals<'_> {
        Goals::new(self)
    }
}

impl<'a> Goals<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Goals { ctx }
    }

    /// Sets a goal from a completed result's force.
    pub async fn add(&self, req: NewGoalRequest) -> Result<Goal> {
        let a = self.ctx.assessments().get(&req.assessment_id).await?;
        if a.deleted_at.is_some() {
            return Err(Error::AssessmentDeleted);
        }
        let (Stage::Completed, Some(results)) = (a.stage, a.results.as_ref()) else {
            return Err(Error::AssessmentNotCompleted);
        };
        crate::validate::check_len(&req.force, "force")?;
        let Some(force) = results.forces.iter().find(|f| f.force == req.force) else {
            return Err(Error::UnknownForce(crate::domain::truncate_for_message(
                &req.force,
            )));
        };
        // Without a practice: the result's recommendation for the force, else the framework's action.
        let (practice, source) = match req.practice.as_deref() {
            Some(p) => {
                let source = req.practice_source.unwrap_or(PracticeSource::Own);
                // Taken from a passage or a report: what a person's field cannot hold is left out.
                let p = match source {
                    PracticeSource::Own => p.to_owned(),
                    _ => crate::fields::without_hidden(p),
                };
                (text(&p, "practice", MAX_PRACTICE)?, source)
            }
            None => {
                let rec = results
                    .recommendations
                    .iter()
                    .find(|r| r.force == force.force)
                    .map(|r| r.text.clone());
                let action = || {
                    self.ctx
                        .domain
                        .framework
                        .force(&force.force)
                        .map(|f| f.action.clone())
                };
                let p = rec.or_else(action).ok_or_else(|| {
                    Error::EmptyInput("Say which practice the goal is about.".into())
                })?;
                (p, PracticeSource::Recommendation)
            }
        };
        let review_on = match req.review_on.as_deref() {
            Some(d) => review_date(d)?,
            None => (today() + chrono::Duration::days(DEFAULT_REVIEW_DAYS))
                .format("%Y-%m-%d")
                .to_string(),
        };
        let practice_ref = match (source, req.practice_ref.as_deref()) {
            (PracticeSource::Passage, Some(r)) => {
                crate::validate::check_len(r, "passage id")?;
                Some(r.to_owned())
            }
            (PracticeSource::Passage, None) => {
                return Err(Error::InvalidArgument(
                    "A practice from a passage names the passage.".into(),
                ))
            }
            _ => None,
        };
        let at = now();
        let row = sql::GoalRow {
            id: new_id().to_string(),
            assessment_id: a.id.clone(),
            pillar: a.pillar.clone(),
            mode: a.mode.clone(),
            force: force.force.clone(),
            group_label: a.group_label.clone(),
            title: title(&req.title, MAX_TITLE)?,
            practice,
            practice_source: source.as_str().to_owned(),
            practice_ref,
            baseline: force.score,
            review_on,
            status: GoalStatus::Active.as_str().to_owned(),
            closed_reason: None,
            closed_at: None,
            created_at: at.clone(),
            updated_at: at,
            deleted_at: None,
        };
        let (who, row2) = (self.ctx.principal.clone(), row.clone());
        self.ctx
            .store
            .write(move |c| {
                if sql::count_live(c, &who)? >= MAX_GOALS {
                    return Err(Error::OutOfRange(format!(
                        "You have {MAX_GOALS} goals: delete some you no longer need before adding another."
                    )));
                }
                sql::insert(c, &who, &row2)
            })
            .await?;
        tracing::info!(goal = %row.id, "goal set");
        self.get(&row.id).await
    }

    /// One goal with its check-ins and its outcome so far.
    pub async fn get(&self, id: &str) -> Result<Goal> {
        let id = parse_id(id)?.to_string();
        let who = self.ctx.principal.clone();
        let (row, mut checks) = self
            .ctx
            .store
            .read(move |c| {
                let row = sql::get(c, &who, &id)?;
                let checks = sql::checkins(c, &who, std::slice::from_ref(&row.id))?;
                Ok((row, checks))
            })
            .await?;
        let history = self.ctx.assessments().history().await?;
        let checkins = checks.remove(&row.id).unwrap_or_default();
        Ok(self.view(row, checkins, outcome_after(&history)))
    }

    /// Goals, the most pressing first (active by review date, then closed ones newest first).
    pub async fn list(&self, req: GoalListRequest) -> Result<Vec<Goal>> {
        let pillar = match &req.pillar {
            Some(p) => {
                crate::validate::check_len(p, "pillar")?;
                Some(self.ctx.domain.pillar(p)?.id.clone())
            }
            None => None,
        };
        let status = req.status.map(|s| s.as_str());
        let who = self.ctx.principal.clone();
        let (rows, mut checks) = self
            .ctx
            .store
            .read(move |c| {
                let rows = sql::list(c, &who, status, pillar.as_deref(), MAX_GOALS)?;
                let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
                let checks = sql::checkins(c, &who, &ids)?;
                Ok((rows, checks))
            })
            .await?;
        let history = self.ctx.assessments().history().await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let c = checks.remove(&r.id).unwrap_or_default();
                self.view(r, c, outcome_after(&history))
            })
            .collect())
    }

    /// The goals a result's page shows: those set from it, and earlier goals of its pillar, mode and group
    /// with their force before (when set) and in this result.
    pub async fn for_result(&self, assessment_id: &str) -> Result<ResultGoals> {
        let a = self.ctx.assessments().get(assessment_id).await?;
        let who = self.ctx.principal.clone();
        let (pillar, mode, group) = (a.pillar.clone(), a.mode.clone(), a.group_label.clone());
        let (rows, mut checks) = self
            .ctx
            .store
            .read(move |c| {
                let rows = sql::about(c, &who, &pillar, &mode, group.as_deref())?;
                let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
                let checks = sql::checkins(c, &who, &ids)?;
                Ok((rows, checks))
            })
            .await?;
        let mut out = ResultGoals {
            set_here: Vec::new(),
            followed: Vec::new(),
        };
        let completed_at = a.completed_at.clone().unwrap_or_default();
        for r in rows {
            let c = checks.remove(&r.id).unwrap_or_default();
            if r.assessment_id == a.id {
                out.set_here.push(self.view(r, c, |_| None));
            } else if a.results.is_some() && r.created_at < completed_at {
                let after = a.results.as_ref().and_then(|res| {
                    res.forces
                        .iter()
                        .find(|f| f.force == r.force)
                        .and_then(|f| f.score)
                });
                let before = r.baseline;
                let (id, at) = (a.id.clone(), completed_at.clone());
                out.followed.push(self.view(r, c, move |_| {
                    Some(GoalOutcome {
                        assessment_id: id.clone(),
                        completed_at: at.clone(),
                        before,
                        after,
                        change: before
                            .zip(after)
                            .map(|(b, a)| crate::domain::shown_change(a, b)),
                    })
                }));
            }
        }
        Ok(out)
    }

    /// Adds a check-in to an active goal.
    pub async fn check_in(&self, req: CheckInRequest) -> Result<Goal> {
        let id = parse_id(&req.goal_id)?.to_string();
        if !(1..=5).contains(&req.rating) {
            return Err(Error::ValueOutOfRange {
                value: i64::from(req.rating),
                min: 1,
                max: 5,
            });
        }
        let note = optional_text(req.note.as_deref(), "check-in note", MAX_CHECKIN_NOTE)?;
        let who = self.ctx.principal.clone();
        let id2 = id.clone();
        self.ctx
            .store
            .write(move |c| {
                let g = sql::get(c, &who, &id2)?;
                open(&g)?;
                if sql::count_checkins(c, &g.id)? >= MAX_CHECKINS {
                    return Err(Error::OutOfRange(format!(
                        "A goal keeps at most {MAX_CHECKINS} check-ins."
                    )));
                }
                sql::insert_checkin(
                    c,
                    &who,
                    &sql::CheckInRow {
                        id: new_id().to_string(),
                        goal_id: g.id,
                        rating: req.rating,
                        note,
                        created_at: now(),
                    },
                )
            })
            .await?;
        self.get(&id).await
    }

    /// Changes an active goal's words or review date.
    pub async fn edit(&self, req: EditGoalRequest) -> Result<Goal> {
        let id = parse_id(&req.goal_id)?.to_string();
        let title = req
            .title
            .as_deref()
            .map(|t| title(t, MAX_TITLE))
            .transpose()?;
        let practice = req
            .practice
            .as_deref()
            .map(|t| text(t, "practice", MAX_PRACTICE))
            .transpose()?;
        let review = req.review_on.as_deref().map(review_date).transpose()?;
        self.change(&id, move |g| {
            open(g)?;
            if let Some(t) = title {
                g.title = t;
            }
            if let Some(p) = practice {
                g.practice = p;
            }
            if let Some(r) = review {
                g.review_on = r;
            }
            Ok(())
        })
        .await
    }

    /// Marks a goal done or dropped; dropping one needs a reason.
    pub async fn close(&self, req: CloseGoalRequest) -> Result<Goal> {
        let id = parse_id(&req.goal_id)?.to_string();
        let reason = optional_text(req.reason.as_deref(), "reason", MAX_REASON)?;
        if req.status == GoalStatus::Active {
            return Err(Error::InvalidArgument(
                "A goal is closed as done or dropped; reopen it to make it active again.".into(),
            ));
        }
        if req.status == GoalStatus::Dropped && reason.is_none() {
            return Err(Error::EmptyInput(
                "Say in a few words why the goal is dropped.".into(),
            ));
        }
        let status = req.status;
        self.change(&id, move |g| {
            open(g)?;
            g.status = status.as_str().to_owned();
            g.closed_reason = reason;
            g.closed_at = Some(now());
            Ok(())
        })
        .await
    }

    /// Makes a done or dropped goal active again.
    pub async fn reopen(&self, id: &str) -> Result<Goal> {
        let id = parse_id(id)?.to_string();
        self.change(&id, |g| {
            g.status = GoalStatus::Active.as_str().to_owned();
            g.closed_reason = None;
            g.closed_at = None;
            Ok(())
        })
        .await
    }

    /// Moves a goal to the bin; [`Goals::restore`] undoes it.
    pub async fn delete(&self, id: &str) -> Result<GoalRef> {
        let id = parse_id(id)?.to_string();
        self.change(&id, |g| {
            if g.deleted_at.is_some() {
                return Err(Error::NotDeleted);
            }
            g.deleted_at = Some(now());
            Ok(())
        })
        .await?;
        Ok(GoalRef { id })
    }

    pub async fn restore(&self, id: &str) -> Result<Goal> {
        let id = parse_id(id)?.to_string();
        self.change(&id, |g| {
            if g.deleted_at.is_none() {
                return Err(Error::NotDeleted);
            }
            g.deleted_at = None;
            Ok(())
        })
        .await
    }

    /// Goals marked done (id, title, when), for milestones.
    pub(crate) async fn done(&self) -> Result<Vec<(String, String, String)>> {
        let who = self.ctx.principal.clone();
        self.ctx.store.read(move |c| sql::done(c, &who)).await
    }

    async fn change(
        &self,
        id: &str,
        f: impl FnOnce(&mut sql::GoalRow) -> Result<()> + Send + 'static,
    ) -> Result<Goal> {
        let who = self.ctx.principal.clone();
        let id2 = id.to_owned();
        self.ctx
            .store
            .write(move |c| {
                let mut g = sql::get(c, &who, &id2)?;
                f(&mut g)?;
                g.updated_at = now();
                sql::update(c, &who, &g)
            })
            .await?;
        self.get(id).await
    }

    fn view(
        &self,
        r: sql::GoalRow,
        checkins: Vec<sql::CheckInRow>,
        outcome: impl Fn(&sql::GoalRow) -> Option<GoalOutcome>,
    ) -> Goal {
        let fw = &self.ctx.domain.framework;
        let status = GoalStatus::parse(&r.status);
        let due =
            status == GoalStatus::Active && r.review_on <= today().format("%Y-%m-%d").to_string();
        let outcome = outcome(&r);
        Goal {
            pillar_name: fw
                .pillar(&r.pillar)
                .map_or(r.pillar.clone(), |p| p.name.clone()),
            force_name: fw
                .force(&r.force)
                .map_or(r.force.clone(), |f| f.name.clone()),
            practice_source: PracticeSource::parse(&r.practice_source),
            checkins: checkins
                .into_iter()
                .map(|c| CheckIn {
                    id: c.id,
                    rating: c.rating,
                    note: c.note,
                    created_at: c.created_at,
                })
                .collect(),
            outcome,
            due,
            status,
            id: r.id,
            assessment_id: r.assessment_id,
            pillar: r.pillar,
            mode: r.mode,
            force: r.force,
            group_label: r.group_label,
            title: r.title,
            practice: r.practice,
            practice_ref: r.practice_ref,
            baseline: r.baseline,
            review_on: r.review_on,
            closed_reason: r.closed_reason,
            closed_at: r.closed_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
        }
    }
}

/// A goal that is done or dropped takes no check-ins or changes.
fn open(g: &sql::GoalRow) -> Result<()> {
    if g.deleted_at.is_some() {
        return Err(Error::GoalNotFound(g.id.clone()));
    }
    match GoalStatus::parse(&g.status) {
        GoalStatus::Active => Ok(()),
        GoalStatus::Done => Err(Error::GoalClosed("done".into())),
        GoalStatus::Dropped => Err(Error::GoalClosed("dropped".into())),
    }
}

/// The newest assessment of the goal's pillar, mode and group completed after the goal was set.
fn outcome_after(history: &[HistoryRow]) -> impl Fn(&sql::GoalRow) -> Option<GoalOutcome> + '_ {
    move |g| {
        let row = history.iter().rev().find(|h| {
            h.pillar == g.pillar
                && h.mode == g.mode
                && h.group_label == g.group_label
                && h.id != g.assessment_id
                && h.completed_at > g.created_at
        })?;
        let after = force_in(row, &g.force);
        Some(GoalOutcome {
            assessment_id: row.id.clone(),
            completed_at: row.completed_at.clone(),
            before: g.baseline,
            after,
            change: g
                .baseline
                .zip(after)
                .map(|(b, a)| crate::domain::shown_change(a, b)),
        })
    }
}
