//! Team results: a round's figures as the server's rule allows them, with this person's own scores beside
//! them; the latest rounds for the heatmap; CSV and JSON exports of the aggregates; the team coaching report.

use serde_json::{json, Value};

use super::dto::*;
use super::wire::*;
use super::Teams;
use crate::domain::truncate_for_message;
use crate::error::{Error, Result};

/// How many rounds a heatmap asks for by default, and at most.
pub const DEFAULT_RESULT_ROUNDS: u32 = 20;
pub const MAX_RESULT_ROUNDS: u32 = 50;

impl Teams<'_> {
    /// A round's team results: figures only when the server's rule allows them, with this person's own scores
    /// beside them.
    pub async fn round_results(&self, req: RoundRequest) -> Result<RoundResults> {
        let round = id(&req.round_id)?;
        let v = self.rpc("round_results", json!({ "round": round })).await?;
        let raw: RawResults = parse("round_results", v)?;
        let mine = self.my_scores(std::slice::from_ref(&raw.round)).await?;
        Ok(self.results(raw, &mine))
    }

    /// The results of a team's latest rounds, oldest first (the heatmap and trends).
    pub async fn team_results(&self, req: TeamResultsRequest) -> Result<TeamResults> {
        let team_id = id(&req.team_id)?;
        let last = req.last.unwrap_or(DEFAULT_RESULT_ROUNDS);
        if !(1..=MAX_RESULT_ROUNDS).contains(&last) {
            return Err(Error::OutOfRange(format!(
                "Ask for 1 to {MAX_RESULT_ROUNDS} rounds (got {last})."
            )));
        }
        let v = self
            .rpc("team_results", json!({ "team": team_id, "last": last }))
            .await?;
        let raw: Vec<RawResults> = parse("team_results", v)?;
        let ids: Vec<String> = raw.iter().map(|r| r.round.clone()).collect();
        let mine = self.my_scores(&ids).await?;
        Ok(TeamResults {
            team_id,
            rounds: raw.into_iter().map(|r| self.results(r, &mine)).collect(),
        })
    }

    /// A team's results as CSV or JSON: the aggregates only, as shown (nothing of any one member).
    pub async fn export_results(&self, req: TeamResultsRequest, format: &str) -> Result<String> {
        let results = self.team_results(req).await?;
        match format {
            "json" => serde_json::to_string_pretty(&results)
                .map_err(|e| Error::Internal(format!("team results JSON: {e}"))),
            "csv" => results_csv(&results),
            other => Err(Error::InvalidArgument(format!(
                "Team results export as csv or json, not \u{201c}{}\u{201d}.",
                truncate_for_message(other)
            ))),
        }
    }

    /// Writes [`Teams::export_results`] to `path` (CSV or JSON).
    pub async fn save_results(
        &self,
        req: TeamResultsRequest,
        format: &str,
        path: &std::path::Path,
        overwrite: crate::output::Overwrite,
    ) -> Result<()> {
        let path = crate::output::check(&self.ctx.paths, path, overwrite)?;
        let text = self.export_results(req, format).await?;
        crate::output::write_file(&self.ctx.paths, &path, text.into_bytes()).await
    }

    /// Writes the coaching report on a round's team results: the coach of one person's result, on the team's
    /// aggregates (means, spread, ranges, bands; never anyone's own answers, and not the reader's own score),
    /// grounded in the knowledge base's passages for the pillar the team rates lowest. Streamed to `sink` as
    /// [`crate::capabilities::coach::Coach::report`] streams; the offline coach writes it when asked or when
    /// no model can answer. Refused with `team_results_hidden` while the round's results are not shown. The
    /// report is kept on this computer only (it is written from the round again at any time).
    pub async fn report<F>(
        &self,
        req: TeamReportRequest,
        sink: F,
    ) -> Result<crate::capabilities::coach::dto::ReportState>
    where
        F: Fn(crate::llm::StreamEvent) + Send + Sync,
    {
        use super::offline_report as team;
        use crate::capabilities::coach::{sql::Subject, Writing};
        use crate::writing::prompts;
        let exclude = req.exclude.unwrap_or_default();
        crate::validate::check_exclude(&exclude)?;
        let team_id = id(&req.team_id)?;
        let round_id = id(&req.round_id)?;
        let rounds = self
            .rounds(TeamRequest {
                team_id: team_id.clone(),
            })
            .await?;
        if !rounds.iter().any(|r| r.id == round_id) {
            return Err(Error::TeamNotFound(
                "This round is not one of this team's.".into(),
            ));
        }
        let results = self
            .round_results(RoundRequest {
                round_id: round_id.clone(),
            })
            .await?;
        if results.figures.is_empty() {
            return Err(Error::TeamResultsHidden(results.label.to_lowercase()));
        }
        let fw = &self.ctx.domain.framework;
        let pillars = team::pillars(&results);
        let Some(focus) = team::focus_pillar(&pillars) else {
            return Err(Error::TeamResultsHidden(results.label.to_lowercase()));
        };
        let as_results = team::as_results(fw, &results.mode, focus);
        let job = self.ctx.jobs.start(
            crate::jobs::JobKind::Report,
            &round_id,
            "Writing a team coaching report",
            Some(results.title.clone()),
            |_| "A coaching report on this round is already being written.".into(),
        )?;
        let coach = self.ctx.coach();
        let passages = coach.passages(&as_results).await?;
        let writing = Writing {
            about: Subject::Round {
                round: round_id.clone(),
                team: team_id,
                title: results.title.clone(),
                responses: results.counted.unwrap_or(results.responses),
            },
            prompt: prompts::team_report(&results, &passages),
            offline_text: team::report(fw, &results, &passages),
            passages,
            offline: req.offline == Some(true),
            exclude,
        };
        if let Some(r) = coach.write(writing, job, &sink).await? {
            tracing::info!(
                round = %round_id,
                status = r.status.as_str(),
                writer = ?r.writer,
                "team coaching report stored"
            );
        }
        self.report_state(&round_id).await
    }

    /// The team coaching report of a round kept on this computer (the newest complete one and a newer
    /// attempt), whether one is being written, and whether a model is available. Works offline.
    pub async fn report_state(
        &self,
        round_id: &str,
    ) -> Result<crate::capabilities::coach::dto::ReportState> {
        let round = id(round_id)?;
        self.ctx
            .coach()
            .stored(crate::capabilities::coach::sql::Subject::Round {
                round,
                team: String::new(),
                title: String::new(),
                responses: 0,
            })
            .await
    }

    /// Stops the team report being written for a round. Whether one was running.
    pub fn cancel_report(&self, round_id: &str) -> bool {
        self.ctx.coach().cancel_report(round_id)
    }

    /// The round's current team report as a Markdown document (heading, who wrote it, the report, its
    /// sources in full), from this computer.
    pub async fn export_report(&self, round_id: &str) -> Result<String> {
        let state = self.report_state(round_id).await?;
        let rep = state
            .report
            .or(state.last_attempt)
            .ok_or(Error::ReportNotFound)?;
        let (who, round) = (self.ctx.principal.clone(), id(round_id)?);
        let title = self
            .ctx
            .store
            .read(move |c| crate::capabilities::coach::sql::round_title(c, &who, &round))
            .await?
            .unwrap_or_else(|| "a group round".into());
        let mut out = format!("# Team coaching report: {title}\n\n");
        if let Some(n) = rep.responses {
            let _ = std::fmt::Write::write_fmt(
                &mut out,
                format_args!("On the team results of {n} members.  \n"),
            );
        }
        crate::capabilities::coach::markdown_body(&mut out, &rep);
        Ok(out)
    }

    /// Writes [`Teams::export_report`] to `path` (a file the user chose), never leaving half a file.
    pub async fn save_report(
        &self,
        round_id: &str,
        path: &std::path::Path,
        overwrite: crate::output::Overwrite,
    ) -> Result<()> {
        let path = crate::output::check(&self.ctx.paths, path, overwrite)?;
        let md = self.export_report(round_id).await?;
        crate::output::write_file(&self.ctx.paths, &path, md.into_bytes()).await
    }

    /// This person's own scores for rounds, from their latest completed assessment of each round and pillar
    /// on this computer: (round, pillar, force) → score (force `None`: the pillar's score).
    pub(super) async fn my_scores(
        &self,
        rounds: &[String],
    ) -> Result<std::collections::HashMap<(String, String, Option<String>), f64>> {
        let who = self.ctx.principal.clone();
        let ids = Value::from(rounds.to_vec()).to_string();
        let rows = self
            .ctx
            .store
            .read(move |c| {
                let mut st = c.prepare_cached(
                    "SELECT round_id, results FROM assessments
                      WHERE owner_id = ?1 AND deleted_at IS NULL AND stage = 'completed' AND results IS NOT NULL
                        AND round_id IN (SELECT value FROM json_each(?2))
                      ORDER BY completed_at",
                )?;
                let rows = st.query_map(rusqlite::params![who.owner(), ids], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .await?;
        let mut out = std::collections::HashMap::new();
        for (round, results) in rows {
            let r = match crate::capabilities::assessments::stored::read(&results) {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "an assessment's stored results could not be read");
                    continue;
                }
            };
            // Later completions overwrite earlier ones.
            out.insert((round.clone(), r.pillar.clone(), None), r.pillar_score);
            for f in &r.forces {
                if let Some(s) = f.score {
                    out.insert((round.clone(), r.pillar.clone(), Some(f.force.clone())), s);
                }
            }
        }
        Ok(out)
    }

    pub(super) fn results(
        &self,
        r: RawResults,
        mine: &std::collections::HashMap<(String, String, Option<String>), f64>,
    ) -> RoundResults {
        let fw = &self.ctx.domain.framework;
        // Only the framework's pillars and forces: the server refuses any other id, and a figure this app
        // cannot name is never shown or given to a model.
        let figures = r
            .results
            .unwrap_or_default()
            .into_iter()
            .filter(|f| {
                fw.pillar(&f.pillar).is_some()
                    && f.force.as_deref().is_none_or(|id| fw.force(id).is_some())
                    && f.histogram.len() == 5
                    && f.mean.is_finite()
                    && (0.0..=100.0).contains(&f.mean)
            })
            .map(|f| ResultFigure {
                pillar_name: self.title(Some(&f.pillar)),
                force_name: f.force.as_ref().map(|id| {
                    fw.forces
                        .iter()
                        .find(|x| &x.id == id)
                        .map_or_else(|| id.clone(), |x| x.name.clone())
                }),
                mine: mine
                    .get(&(r.round.clone(), f.pillar.clone(), f.force.clone()))
                    .copied(),
                pillar: f.pillar,
                force: f.force,
                n: f.n,
                band: crate::domain::Band::of(f.mean),
                mean: f.mean,
                sd: f.sd.unwrap_or(0.0),
                spread: Spread::of(f.sd.unwrap_or(0.0)),
                spread_label: Spread::of(f.sd.unwrap_or(0.0)).label().to_owned(),
                histogram: f.histogram,
            })
            .collect();
        let label = match r.state {
            RoundState::BelowThreshold => format!("{} of {} needed", r.responses, r.needed),
            RoundState::Shown => format!(
                "{} {}",
                r.responses,
                if r.responses == 1 {
                    "response"
                } else {
                    "responses"
                }
            ),
            RoundState::ShownEarlier => {
                let counted = r.counted.unwrap_or(0);
                format!(
                    "Showing {counted} responses; {} newer held back until enough more keep everyone anonymous",
                    r.responses.saturating_sub(counted)
                )
            }
            RoundState::HeldBack => "Held back to keep everyone anonymous: the results return when enough new responses arrive"
                .to_owned(),
        };
        RoundResults {
            title: self.title(r.pillar.as_deref()),
            round_label: round_label(
                r.number,
                &self.title(r.pillar.as_deref()),
                r.created_at.as_deref(),
            ),
            number: r.number,
            round_id: r.round,
            state: r.state,
            label,
            responses: r.responses,
            members: r.members,
            needed: r.needed,
            counted: r.counted,
            pillar: r.pillar,
            mode: r.mode,
            created_at: time(r.created_at),
            closed_at: time(r.closed_at),
            figures,
        }
    }
}

/// One row per figure and round: the aggregates as shown, nothing of any one member (not even the reader's
/// own scores, which stay theirs).
pub(super) fn results_csv(t: &TeamResults) -> Result<String> {
    let err = |e: csv::Error| Error::Internal(format!("csv: {e}"));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "round_id",
        "round_number",
        "round_started",
        "round",
        "mode",
        "state",
        "responses",
        "counted",
        "needed",
        "pillar",
        "force",
        "n",
        "mean",
        "sd",
        "below_20",
        "20_to_40",
        "40_to_60",
        "60_to_80",
        "80_and_above",
    ])
    .map_err(err)?;
    for r in &t.rounds {
        let text = |s: &str| crate::util::csv_text(s).into_owned();
        let base = [
            text(&r.round_id),
            r.number.to_string(),
            text(r.created_at.as_deref().unwrap_or_default()),
            text(&r.title),
            text(&r.mode),
            r.state.as_str().to_owned(),
            r.responses.to_string(),
            r.counted.map(|n| n.to_string()).unwrap_or_default(),
            r.needed.to_string(),
        ];
        if r.figures.is_empty() {
            let mut row: Vec<String> = base.to_vec();
            row.extend(std::iter::repeat_n(String::new(), 10));
            w.write_record(&row).map_err(err)?;
        }
        for f in &r.figures {
            let mut row: Vec<String> = base.to_vec();
            row.push(text(&f.pillar_name));
            row.push(text(f.force_name.as_deref().unwrap_or_default()));
            row.push(f.n.to_string());
            for x in [f.mean, f.sd] {
                row.push(crate::domain::Pts(x).to_string());
            }
            for i in 0..5 {
                row.push(f.histogram.get(i).copied().unwrap_or(0).to_string());
            }
            w.write_record(&row).map_err(err)?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Internal(format!("csv: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Internal(format!("csv: {e}")))
}
