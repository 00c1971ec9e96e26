//! Rounds: starting and closing them, a team's rounds with this person's own answer, and the open rounds of
//! every team (kept for Home while the project cannot be reached).

use serde::Deserialize;
use serde_json::{json, Value};

use super::dto::*;
use super::wire::*;
use super::Teams;
use crate::domain::truncate_for_message;
use crate::error::{Error, Result};

impl Teams<'_> {
    /// Starts a round (facilitators): one pillar of a mode, or a full profile of it.
    pub async fn start_round(&self, req: StartRoundRequest) -> Result<Round> {
        let team_id = id(&req.team_id)?;
        crate::validate::check_len(&req.mode, "mode")?;
        let d = &self.ctx.domain;
        let mode = d.mode(&req.mode)?.id.clone();
        let pillar = match req.pillar.as_deref().filter(|p| !p.is_empty()) {
            Some(p) => {
                crate::validate::check_len(p, "pillar")?;
                Some(d.pillar_in_mode(p, &mode)?.0.id.clone())
            }
            None => None,
        };
        let due = match req.due_at.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(t) => {
                let at = chrono::DateTime::parse_from_rfc3339(t.trim()).map_err(|_| {
                    Error::InvalidArgument(format!(
                        "\u{201c}{}\u{201d} is not a date and time (RFC 3339, e.g. 2026-12-24T17:00:00Z).",
                        truncate_for_message(t)
                    ))
                })?;
                if at <= chrono::Utc::now() {
                    return Err(Error::InvalidArgument(
                        "A round's due date is in the future.".into(),
                    ));
                }
                Some(at.with_timezone(&chrono::Utc).to_rfc3339())
            }
            None => None,
        };
        let message = bounded(req.message.as_deref(), "round message")?;
        let v = self
            .rpc(
                "start_round",
                json!({ "team": team_id, "mode": mode, "pillar": pillar, "due_at": due, "message": message }),
            )
            .await?;
        let round_id = v
            .as_str()
            .ok_or_else(|| bad_answer("start_round", "no round id"))?
            .to_owned();
        tracing::info!(team = %team_id, round = %round_id, "round started");
        self.rounds(TeamRequest { team_id })
            .await?
            .into_iter()
            .find(|r| r.id == round_id)
            .ok_or_else(|| bad_answer("team_rounds", "the new round is missing"))
    }

    /// Closes a round (facilitators): it leaves Home; its results stay.
    pub async fn close_round(&self, req: RoundRequest) -> Result<()> {
        let round = id(&req.round_id)?;
        self.rpc("close_round", json!({ "round": round })).await?;
        Ok(())
    }

    /// A team's rounds, newest first, with their response counts and this person's own answer.
    pub async fn rounds(&self, req: TeamRequest) -> Result<Vec<Round>> {
        let team_id = id(&req.team_id)?;
        let v = self.rpc("team_rounds", json!({ "team": team_id })).await?;
        let raw: Vec<RawRound> = parse("team_rounds", v)?;
        self.with_mine(raw).await
    }

    /// The open rounds of every team this person is in (Home's "Your team asked…"), as the project lists
    /// them now. The list is kept on this computer for [`Teams::open_rounds_or_kept`].
    pub async fn open_rounds(&self) -> Result<Vec<Round>> {
        let v = self.rpc("my_open_rounds", json!({})).await?;
        let raw: Vec<RawRound> = parse("my_open_rounds", v)?;
        self.keep_open_rounds(&raw).await?;
        self.with_mine(raw).await
    }

    /// The open rounds as [`Teams::open_rounds`] lists them; while the project cannot be reached, the list
    /// read last time it could (for this account), with when that was, so a member can still answer a round
    /// offline: the answer syncs when the project is back. Without a kept list the error stands.
    pub async fn open_rounds_or_kept(&self) -> Result<OpenRounds> {
        match self.open_rounds().await {
            Ok(rounds) => Ok(OpenRounds {
                rounds,
                kept_from: None,
            }),
            Err(e @ Error::SyncUnreachable { .. }) => {
                let key = self.kept_key().await?;
                let kept = self
                    .ctx
                    .store
                    .read(move |c| crate::store::meta::setting(c, &key))
                    .await?;
                let Some(kept) = kept else { return Err(e) };
                #[derive(Deserialize)]
                struct Kept {
                    at: String,
                    rounds: Vec<RawRound>,
                }
                // A kept list that no longer reads (an older release's) is as good as none.
                let Ok(kept) = serde_json::from_str::<Kept>(&kept) else {
                    return Err(e);
                };
                Ok(OpenRounds {
                    rounds: self.with_mine(kept.rounds).await?,
                    kept_from: Some(kept.at),
                })
            }
            Err(e) => Err(e),
        }
    }

    pub(super) async fn kept_key(&self) -> Result<String> {
        Ok(format!("teams.open_rounds:{}", self.me().await?))
    }

    pub(super) async fn keep_open_rounds(&self, raw: &[RawRound]) -> Result<()> {
        let key = self.kept_key().await?;
        let value = json!({ "at": crate::util::now(), "rounds": raw }).to_string();
        self.ctx
            .store
            .write(move |c| crate::store::meta::set_setting(c, &key, &value))
            .await
    }

    pub(super) fn title(&self, pillar: Option<&str>) -> String {
        match pillar {
            Some(p) => self
                .ctx
                .domain
                .pillar(p)
                .map(|p| p.name.clone())
                .unwrap_or_else(|_| p.to_owned()),
            None => "Full profile".into(),
        }
    }

    pub(super) async fn with_mine(&self, raw: Vec<RawRound>) -> Result<Vec<Round>> {
        let ids: Vec<String> = raw.iter().map(|r| r.id.clone()).collect();
        let who = self.ctx.principal.clone();
        let mine = self
            .ctx
            .store
            .read(move |c| {
                let mut st = c.prepare_cached(
                    "SELECT a.round_id, a.id, a.stage = 'completed',
                            EXISTS (SELECT 1 FROM outbox o WHERE o.tbl = 'assessments' AND o.row_id = a.id)
                       FROM assessments a
                      WHERE a.owner_id = ?1 AND a.deleted_at IS NULL
                        AND a.round_id IN (SELECT value FROM json_each(?2))
                      ORDER BY a.round_id, a.stage = 'completed', a.updated_at",
                )?;
                let rows = st.query_map(
                    rusqlite::params![who.owner(), Value::from(ids).to_string()],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            MyRoundAnswer {
                                assessment_id: r.get(1)?,
                                completed: r.get(2)?,
                                waiting_to_sync: r.get(3)?,
                            },
                        ))
                    },
                )?;
                // The last per round wins: completed before unfinished, then the latest.
                let mut m = std::collections::HashMap::new();
                for row in rows {
                    let (round, a) = row?;
                    m.insert(round, a);
                }
                Ok(m)
            })
            .await?;
        let mut mine = mine;
        Ok(raw
            .into_iter()
            .map(|r| Round {
                title: self.title(r.pillar.as_deref()),
                label: round_label(
                    r.number,
                    &self.title(r.pillar.as_deref()),
                    Some(&r.created_at),
                ),
                number: r.number,
                mine: mine.remove(&r.id),
                id: r.id,
                team_id: r.team_id,
                team_name: r.team_name,
                pillar: r.pillar,
                mode: r.mode,
                message: r.message,
                due_at: time(r.due_at),
                created_at: time(Some(r.created_at)).unwrap_or_default(),
                closed_at: time(r.closed_at),
                responses: r.responses,
                members: r.members,
                needed: r.needed,
            })
            .collect())
    }
}
