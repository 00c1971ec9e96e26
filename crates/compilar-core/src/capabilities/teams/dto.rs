//! Request and response types of the teams capability.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A person's role in a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TeamRole {
    /// Invites, starts and closes rounds, manages members; sees only what every member sees of results.
    Facilitator,
    Member,
}

impl TeamRole {
    /// The role as the server and the command line name it.
    pub fn as_str(self) -> &'static str {
        match self {
            TeamRole::Facilitator => "facilitator",
            TeamRole::Member => "member",
        }
    }
}

impl std::str::FromStr for TeamRole {
    type Err = crate::error::Error;

    fn from_str(s: &str) -> Result<TeamRole, Self::Err> {
        match s {
            "facilitator" => Ok(TeamRole::Facilitator),
            "member" => Ok(TeamRole::Member),
            other => Err(crate::error::Error::InvalidArgument(format!(
                "A role is facilitator or member, not \u{201c}{}\u{201d}.",
                crate::domain::truncate_for_message(other)
            ))),
        }
    }
}

/// What a round's results show, under the server's anonymity rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RoundState {
    /// Fewer than the team's threshold answered: no figures.
    BelowThreshold,
    /// Figures over every response.
    Shown,
    /// The figures of an earlier, smaller set: newer responses are held back so nobody's answers can be worked
    /// out by comparing.
    ShownEarlier,
    /// No figures: a counted member withdrew, and no earlier set leaves them out.
    HeldBack,
}

impl RoundState {
    /// The state as the server and the CSV export name it.
    pub fn as_str(self) -> &'static str {
        match self {
            RoundState::BelowThreshold => "below_threshold",
            RoundState::Shown => "shown",
            RoundState::ShownEarlier => "shown_earlier",
            RoundState::HeldBack => "held_back",
        }
    }
}

/// A team the signed-in person is in.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// Team results stay hidden until this many consenting members answered (never fewer than 3).
    pub min_responses: u32,
    /// Deleted by a facilitator: shown so members are told; their own data stays theirs.
    pub deleted: bool,
    pub role: TeamRole,
    /// Whether this person's results for the team's rounds count in its team results.
    pub consent: bool,
    pub members: u32,
    pub open_rounds: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct CreateTeamRequest {
    /// 1–80 characters.
    pub name: String,
    /// At most 2,000 characters.
    #[serde(default)]
    #[ts(optional)]
    pub description: Option<String>,
    /// 3–1,000 (default 5).
    #[serde(default)]
    #[ts(optional)]
    pub min_responses: Option<u32>,
}

/// Rename a team, change its description or threshold (`None` keeps a field; an empty description clears it).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct UpdateTeamRequest {
    pub team_id: String,
    #[serde(default)]
    #[ts(optional)]
    pub name: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub description: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub min_responses: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct TeamRequest {
    pub team_id: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct InviteRequest {
    pub team_id: String,
    /// How many people may join with it (1–10,000); none: any number until it expires.
    #[serde(default)]
    #[ts(optional)]
    pub max_uses: Option<u32>,
    /// How long it works, 1–90 days (default 7).
    #[serde(default)]
    #[ts(optional)]
    pub valid_days: Option<u32>,
}

/// A new invitation. The code is shown once: the server keeps only its hash.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Invite {
    pub id: String,
    pub team_id: String,
    /// "ABCD-EFGH-JKLM" (letters and digits that are not easily confused; case and dashes do not matter).
    pub code: String,
    /// The same code as a link, `compilar://join/ABCD-EFGH-JKLM`, for an email or a chat: the join field (and
    /// `compilar-cli team join`) take it pasted as it is.
    pub link: String,
    pub expires_at: String,
    pub uses_left: Option<u32>,
}

/// An open invitation as its team's facilitators see it: never its code (only the code's hash is kept), so it
/// can be stopped but not shown again.
#[derive(Debug, Clone, Serialize, TS)]
pub struct InviteInfo {
    pub id: String,
    pub team_id: String,
    pub created_at: String,
    pub expires_at: String,
    /// How many more people may join with it; `null`: any number until it expires.
    pub uses_left: Option<u32>,
    /// Made by the signed-in facilitator (otherwise by another facilitator, `made_by`).
    pub made_by_me: bool,
    pub made_by: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct RevokeInviteRequest {
    pub invite_id: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct JoinRequest {
    /// The invitation code (at most 64 characters; case, spaces and dashes do not matter), or its link
    /// `compilar://join/CODE` (at most 80 characters).
    pub code: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct MemberRequest {
    pub team_id: String,
    pub user_id: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct RoleRequest {
    pub team_id: String,
    pub user_id: String,
    pub role: TeamRole,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ConsentRequest {
    pub team_id: String,
    pub consent: bool,
}

/// A member of a team as the team sees them.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Member {
    pub user_id: String,
    pub email: Option<String>,
    pub role: TeamRole,
    pub joined_at: String,
    /// Whether they share their results with the team: shown to facilitators and to the member themself,
    /// `null` to other members.
    pub consent: Option<bool>,
    /// This is the signed-in person.
    pub me: bool,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct StartRoundRequest {
    pub team_id: String,
    pub mode: String,
    /// One pillar of the mode; none: a full profile (all five pillars).
    #[serde(default)]
    #[ts(optional)]
    pub pillar: Option<String>,
    /// When answers are due (RFC 3339, in the future).
    #[serde(default)]
    #[ts(optional)]
    pub due_at: Option<String>,
    /// A message to the members (at most 2,000 characters).
    #[serde(default)]
    #[ts(optional)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct RoundRequest {
    pub round_id: String,
}

/// This person's own answer to a round, from this computer.
#[derive(Debug, Clone, Serialize, TS)]
pub struct MyRoundAnswer {
    /// The assessment (for a full profile round: the latest of its pillars).
    pub assessment_id: String,
    pub completed: bool,
    /// Whether it still waits to be sent to the team's project.
    pub waiting_to_sync: bool,
}

/// Home's open rounds: read from the project now, or kept from the last time it could be reached.
#[derive(Debug, Clone, Serialize, TS)]
pub struct OpenRounds {
    pub rounds: Vec<Round>,
    /// When the project could not be reached: when this list was read from it (RFC 3339). `null` when it is
    /// the project's list now. Response counts in a kept list are as they were then; this person's own
    /// answers are read from this computer either way.
    pub kept_from: Option<String>,
}

/// A group round.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Round {
    pub id: String,
    pub team_id: String,
    pub team_name: String,
    /// The round's number within its team (1 for the first).
    pub number: u32,
    /// None: a full profile of the mode.
    pub pillar: Option<String>,
    /// The pillar's name ("Group Prospects"), or "Full profile".
    pub title: String,
    /// What tells it apart in a list: "Round 3 · Group Prospects · 7 Dec".
    pub label: String,
    pub mode: String,
    pub message: Option<String>,
    pub due_at: Option<String>,
    pub created_at: String,
    pub closed_at: Option<String>,
    /// Consenting members who completed it.
    pub responses: u32,
    pub members: u32,
    /// The team's threshold.
    pub needed: u32,
    pub mine: Option<MyRoundAnswer>,
}

/// One figure of a round's team results: a pillar (no force) or one of its forces.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ResultFigure {
    pub pillar: String,
    pub pillar_name: String,
    pub force: Option<String>,
    pub force_name: Option<String>,
    /// How many people it is over (one value each; always all of the shown set).
    pub n: u32,
    /// The team's mean, in whole points (the server rounds it: no finer figure leaves it).
    pub mean: f64,
    /// The mean's band (as a single result's score would be).
    pub band: crate::domain::Band,
    /// The standard deviation of the people's scores, in whole points.
    pub sd: f64,
    /// How far apart the people's views are, from the standard deviation.
    pub spread: Spread,
    /// The spread in words: "Views close together", "Views differ somewhat", "Views differ widely".
    pub spread_label: String,
    /// People per band of scores: below 20, 20–40, 40–60, 60–80, 80 and above. (There is no minimum or
    /// maximum: those would be someone's own score.)
    pub histogram: Vec<u32>,
    /// This person's own score for it (from their assessment of the round on this computer).
    pub mine: Option<f64>,
}

/// How far apart a team's views are on one figure (from its standard deviation, see [`Spread::of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Spread {
    /// Standard deviation below 10 points.
    Close,
    /// 10 to 18 points.
    Some,
    /// 18 points or more: the mean hides people who see it very differently.
    Wide,
}

impl Spread {
    /// Below this standard deviation views are close together.
    pub const CLOSE_BELOW: f64 = 10.0;
    /// From this standard deviation views differ widely.
    pub const WIDE_FROM: f64 = 18.0;

    pub fn of(sd: f64) -> Spread {
        if sd >= Self::WIDE_FROM {
            Spread::Wide
        } else if sd >= Self::CLOSE_BELOW {
            Spread::Some
        } else {
            Spread::Close
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Spread::Close => "Views close together",
            Spread::Some => "Views differ somewhat",
            Spread::Wide => "Views differ widely",
        }
    }
}

/// A round's team results, as the server's anonymity rule allows them.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RoundResults {
    pub round_id: String,
    /// The round's number within its team.
    pub number: u32,
    /// "Round 3 · Group Prospects · 7 Dec": the round told apart from the team's others.
    pub round_label: String,
    pub state: RoundState,
    /// The state in words ("3 of 5 needed").
    pub label: String,
    pub responses: u32,
    pub members: u32,
    pub needed: u32,
    /// How many responses the figures are over.
    pub counted: Option<u32>,
    pub pillar: Option<String>,
    pub mode: String,
    pub title: String,
    pub created_at: Option<String>,
    pub closed_at: Option<String>,
    pub figures: Vec<ResultFigure>,
}

/// A team's results across its latest rounds (oldest first): the heatmap and the trends.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TeamResults {
    pub team_id: String,
    pub rounds: Vec<RoundResults>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct TeamResultsRequest {
    pub team_id: String,
    /// How many of the latest rounds, 1–50 (default 20).
    #[serde(default)]
    #[ts(optional)]
    pub last: Option<u32>,
}

/// Write (or rewrite) the coaching report on a round's team results.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct TeamReportRequest {
    pub team_id: String,
    pub round_id: String,
    /// Use the offline coach even when a model is available.
    #[serde(default)]
    #[ts(optional)]
    pub offline: Option<bool>,
    /// Providers to skip ("retry with another provider").
    #[serde(default)]
    #[ts(optional)]
    pub exclude: Option<Vec<String>>,
}
