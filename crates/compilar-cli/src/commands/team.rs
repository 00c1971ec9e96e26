//! `team`: teams, invitations, members, consent, rounds and their results.

use crate::*;

pub(crate) async fn team(app: &App, out: Out, cmd: TeamCmd) -> Outcome {
    let t = app.teams();
    let team_req = |team_id: String| TeamRequest { team_id };
    match cmd {
        TeamCmd::List => out.emit(&t.list().await?, |l| print::teams(l)),
        TeamCmd::Create {
            name,
            description,
            threshold,
        } => out.emit(
            &t.create(CreateTeamRequest {
                name,
                description,
                min_responses: threshold,
            })
            .await?,
            print::team,
        ),
        TeamCmd::Update {
            team,
            name,
            description,
            threshold,
        } => out.emit(
            &t.update(UpdateTeamRequest {
                team_id: team,
                name,
                description,
                min_responses: threshold,
            })
            .await?,
            print::team,
        ),
        TeamCmd::Delete { team } => {
            t.delete(team_req(team)).await?;
            out.emit(&serde_json::json!({ "deleted": true }), |_| {
                "Team deleted. Its members are told; their own data stays theirs.\n".into()
            })
        }
        TeamCmd::Invite { team, uses, days } => out.emit(
            &t.invite(InviteRequest {
                team_id: team,
                max_uses: uses,
                valid_days: days,
            })
            .await?,
            print::invite,
        ),
        TeamCmd::Invites { team } => {
            out.emit(&t.invites(team_req(team)).await?, |l| print::invites(l))
        }
        TeamCmd::Revoke { invite } => {
            t.revoke_invite(RevokeInviteRequest { invite_id: invite })
                .await?;
            out.emit(&serde_json::json!({ "revoked": true }), |_| {
                "Invitation revoked: its code no longer works.\n".into()
            })
        }
        TeamCmd::Join { code } => out.emit(&t.join(JoinRequest { code }).await?, print::team),
        TeamCmd::Leave { team } => {
            t.leave(team_req(team)).await?;
            out.emit(&serde_json::json!({ "left": true }), |_| {
                "You left the team. Your own data stays on this computer and in your account.\n"
                    .into()
            })
        }
        TeamCmd::Members { team } => {
            out.emit(&t.members(team_req(team)).await?, |l| print::members(l))
        }
        TeamCmd::Remove { team, user } => out.emit(
            &t.remove_member(MemberRequest {
                team_id: team,
                user_id: user,
            })
            .await?,
            |l| print::members(l),
        ),
        TeamCmd::Role { team, user, role } => out.emit(
            &t.set_role(RoleRequest {
                team_id: team,
                user_id: user,
                role,
            })
            .await?,
            |l| print::members(l),
        ),
        TeamCmd::Consent { team, state } => out.emit(
            &t.set_consent(ConsentRequest {
                team_id: team,
                consent: state == "on",
            })
            .await?,
            print::team,
        ),
        TeamCmd::Round(RoundCmd::Start {
            team,
            mode,
            pillar,
            due,
            message,
        }) => out.emit(
            &t.start_round(StartRoundRequest {
                team_id: team,
                mode,
                pillar,
                due_at: due,
                message,
            })
            .await?,
            print::round,
        ),
        TeamCmd::Round(RoundCmd::List { team }) => {
            let list = match team {
                Some(team) => t.rounds(team_req(team)).await?,
                None => t.open_rounds().await?,
            };
            out.emit(&list, |l| print::rounds(l))
        }
        TeamCmd::Round(RoundCmd::Close { round }) => {
            t.close_round(RoundRequest { round_id: round }).await?;
            out.emit(&serde_json::json!({ "closed": true }), |_| {
                "Round closed: it leaves Home; its results stay.\n".into()
            })
        }
        TeamCmd::Round(RoundCmd::Results { round }) => out.emit(
            &t.round_results(RoundRequest { round_id: round }).await?,
            print::round_results,
        ),
        TeamCmd::Round(RoundCmd::Report {
            team,
            round,
            offline,
            exclude,
        }) => {
            let req = TeamReportRequest {
                team_id: team,
                round_id: round.clone(),
                offline: Some(offline),
                exclude: Some(exclude),
            };
            let (state, last) = out
                .streamed(
                    move |sink| Box::pin(async move { app.teams().report(req, sink).await }),
                    || t.cancel_report(&round),
                )
                .await?;
            out.report_end(&state, last)
        }
        TeamCmd::Round(RoundCmd::ShowReport { round, markdown }) => {
            if markdown {
                out.content("markdown", &t.export_report(&round).await?)
            } else {
                out.emit(&t.report_state(&round).await?, print::report_state)
            }
        }
        TeamCmd::Results { team, last, format } => {
            let req = TeamResultsRequest {
                team_id: team,
                last,
            };
            match format {
                Some(f) => {
                    let text = t.export_results(req, &f).await?;
                    out.content(&f, &text)
                }
                None => out.emit(&t.team_results(req).await?, print::team_results),
            }
        }
    }
}
