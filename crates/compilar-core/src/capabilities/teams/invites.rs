//! Invitations: codes and `compilar://join/` links, making, listing and revoking them, and joining with one.

use serde::Deserialize;
use serde_json::json;

use super::dto::*;
use super::wire::*;
use super::Teams;
use crate::error::{Error, Result};

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
pub(super) fn grouped(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

impl Teams<'_> {
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
}
