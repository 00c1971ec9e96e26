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
mod invites;
pub mod offline_report;
mod results;
mod rounds;
mod wire;

use serde_json::{json, Value};

use crate::ctx::Ctx;
use crate::error::{Error, Result};
use dto::*;

pub use invites::{invitation_in_link, invite_code_of, INVITE_LINK_PREFIX};
pub use results::{DEFAULT_RESULT_ROUNDS, MAX_RESULT_ROUNDS};
use wire::*;

/// The teams capability.
pub struct Teams<'a> {
    ctx: &'a Ctx,
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
        self.rpc(
            "set_role",
            json!({ "team": team_id, "member": member, "role": req.role.as_str() }),
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
}

#[cfg(test)]
mod tests;
