//! Progress over time: per group label, mode and pillar the latest scores and their change, trend points,
//! totals, what is not assessed yet, quiet milestones, and the comparison of two assessments. Everything is
//! computed from the stored scores (see [`compute`]); nothing here writes.

pub mod compute;
pub mod dto;

pub use compute::{FORCE_UP_BY, STEADY_WITHIN};

use crate::capabilities::assessments::{dto::Stage, group_label};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use dto::*;

/// The progress capability.
#[derive(Clone, Copy)]
pub struct Progress<'a> {
    ctx: &'a Ctx,
}

impl Ctx {
    /// This capability's handle on the context.
    pub(crate) fn progress(&self) -> Progress<'_> {
        Progress::new(self)
    }
}

impl<'a> Progress<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Progress { ctx }
    }

    /// The progress view of one group and/or mode (or of everything).
    pub async fn view(&self, req: ProgressRequest) -> Result<ProgressView> {
        let d = &self.ctx.domain;
        let group = group_label(req.group.as_deref())?;
        let mode = match &req.mode {
            Some(m) => {
                crate::validate::check_len(m, "mode")?;
                Some(d.mode(m)?.id.clone())
            }
            None => None,
        };
        let offset = match req.utc_offset_minutes {
            Some(m) if (-840..=840).contains(&m) => chrono::FixedOffset::east_opt(m * 60),
            Some(m) => {
                return Err(Error::OutOfRange(format!(
                    "A time zone is −840 to 840 minutes from UTC (got {m})."
                )))
            }
            None => Some(*chrono::Local::now().offset()),
        }
        .ok_or_else(|| Error::Internal("a time zone offset".into()))?;
        let history = self.ctx.assessments().history().await?;
        let in_progress = self
            .ctx
            .assessments()
            .in_progress(group.clone(), mode.clone())
            .await?;
        let done = self.ctx.goals().done().await?;
        let all: Vec<_> = history.iter().collect();
        let shown: Vec<_> = history
            .iter()
            .filter(|r| compute::in_view(r, group.as_deref(), mode.as_deref()))
            .collect();
        let (totals, not_assessed) = compute::totals(d, &shown, in_progress, mode.as_deref());
        let mut groups: Vec<(String, String)> = Vec::new();
        for r in history.iter().rev() {
            if let Some(g) = &r.group_label {
                if !groups.iter().any(|(x, _)| x == g) {
                    groups.push((g.clone(), r.completed_at.clone()));
                }
            }
        }
        Ok(ProgressView {
            totals,
            tracks: compute::tracks(d, &shown),
            not_assessed,
            milestones: compute::milestones(d, &all, &done),
            groups: groups.into_iter().map(|(g, _)| g).collect(),
            analytics: compute::analytics(d, &shown, chrono::Utc::now().with_timezone(&offset)),
        })
    }

    /// Two completed assessments of one pillar and mode side by side, the older first.
    pub async fn compare(&self, req: CompareRequest) -> Result<Comparison> {
        let a = self.ctx.assessments().get(&req.first).await?;
        let b = self.ctx.assessments().get(&req.second).await?;
        if a.id == b.id {
            return Err(Error::NotComparable(
                "Choose two different assessments to compare.".into(),
            ));
        }
        for x in [&a, &b] {
            if x.deleted_at.is_some() {
                return Err(Error::AssessmentDeleted);
            }
            if x.stage != Stage::Completed || x.results.is_none() {
                return Err(Error::NotComparable(
                    "Only completed assessments can be compared; finish both first.".into(),
                ));
            }
        }
        let d = &self.ctx.domain;
        let name = |p: &str| {
            d.framework
                .pillar(p)
                .map_or(p.to_owned(), |p| p.name.clone())
        };
        if a.pillar != b.pillar || a.mode != b.mode {
            return Err(Error::NotComparable(format!(
                "Only assessments of the same pillar and mode can be compared: these are {} and {}.",
                name(&a.pillar),
                name(&b.pillar)
            )));
        }
        let (before, after) =
            if (a.completed_at.as_deref(), &a.id) <= (b.completed_at.as_deref(), &b.id) {
                (&a, &b)
            } else {
                (&b, &a)
            };
        let side = |x: &'_ crate::capabilities::assessments::dto::Assessment| -> Option<_> {
            Some((
                x.id.clone(),
                x.completed_at.clone()?,
                x.group_label.clone(),
                x.results.clone()?,
            ))
        };
        let (Some(bs), Some(as_)) = (side(before), side(after)) else {
            return Err(Error::Internal(
                "a completed assessment without results".into(),
            ));
        };
        Ok(compute::compare(
            &name(&a.pillar),
            &compute::Side {
                id: &bs.0,
                completed_at: &bs.1,
                group_label: bs.2.as_deref(),
                results: &bs.3,
            },
            &compute::Side {
                id: &as_.0,
                completed_at: &as_.1,
                group_label: as_.2.as_deref(),
                results: &as_.3,
            },
        ))
    }
}
