//! `goals`: set, list, check in, edit, close and reopen development goals.

use crate::*;

pub(crate) async fn goals(app: &App, out: Out, cmd: GoalsCmd) -> Outcome {
    let g = app.goals();
    let close = |id: String, status: GoalStatus, reason: Option<String>| CloseGoalRequest {
        goal_id: id,
        status,
        reason,
    };
    let goal = match cmd {
        GoalsCmd::List { status } => {
            let status = status.map(|s| match s {
                GoalStatusArg::Active => GoalStatus::Active,
                GoalStatusArg::Done => GoalStatus::Done,
                GoalStatusArg::Dropped => GoalStatus::Dropped,
            });
            let list = g
                .list(GoalListRequest {
                    status,
                    pillar: None,
                })
                .await?;
            return out.emit(&list, |l| print::goals(l));
        }
        GoalsCmd::Show { id } => g.get(&id).await?,
        GoalsCmd::Add {
            assessment,
            force,
            title,
            practice,
            review,
        } => {
            g.add(NewGoalRequest {
                assessment_id: assessment,
                force,
                title,
                practice,
                practice_source: None,
                practice_ref: None,
                review_on: review,
            })
            .await?
        }
        GoalsCmd::Edit {
            id,
            title,
            practice,
            review,
        } => {
            g.edit(EditGoalRequest {
                goal_id: id,
                title,
                practice,
                review_on: review,
            })
            .await?
        }
        GoalsCmd::Checkin { id, rating, note } => {
            g.check_in(CheckInRequest {
                goal_id: id,
                rating,
                note,
            })
            .await?
        }
        GoalsCmd::Done { id, reason } => g.close(close(id, GoalStatus::Done, reason)).await?,
        GoalsCmd::Drop { id, reason } => {
            g.close(close(id, GoalStatus::Dropped, Some(reason)))
                .await?
        }
        GoalsCmd::Reopen { id } => g.reopen(&id).await?,
        GoalsCmd::Delete { id } => {
            let r = g.delete(&id).await?;
            return out.emit(&r, |r| {
                format!(
                    "Goal {} moved to the bin (goals restore {} undoes it).\n",
                    r.id, r.id
                )
            });
        }
        GoalsCmd::Restore { id } => g.restore(&id).await?,
    };
    out.emit(&goal, print::goal)
}
