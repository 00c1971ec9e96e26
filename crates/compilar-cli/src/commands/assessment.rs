//! `assessment`: create, answer, complete, list, show, delete and restore assessments.

use crate::*;

pub(crate) async fn assessment(app: &App, out: Out, cmd: AssessmentCmd) -> Outcome {
    let a = app.assessments();
    match cmd {
        AssessmentCmd::Create {
            pillar,
            mode,
            include_fresh,
            group,
            note,
            round,
        } => {
            let x = a
                .create(CreateAssessmentRequest {
                    pillar,
                    mode,
                    include_fresh: Some(include_fresh),
                    group_label: group,
                    note,
                    round_id: round,
                })
                .await?;
            out.emit(&x, print::assessment)
        }
        AssessmentCmd::About { id, group, note } => {
            // Only what is given changes; an empty value clears it.
            let current = a.get(&id).await?;
            let x = a
                .set_about(AboutRequest {
                    assessment_id: id,
                    group_label: group.or(current.group_label),
                    note: note.or(current.note),
                })
                .await?;
            out.emit(&x, print::assessment)
        }
        AssessmentCmd::Groups => {
            let g = a.groups().await?;
            out.emit(&g, |g| {
                let mut s = String::new();
                for x in g.iter() {
                    s.push_str(&format!("{}  ({} assessments)\n", x.label, x.assessments));
                }
                if g.is_empty() {
                    s.push_str("No group names yet: `assessment create --group NAME` sets one.\n");
                }
                s
            })
        }
        AssessmentCmd::Answer {
            id,
            question,
            value,
        } => {
            let ack = a
                .answer(AnswerRequest {
                    assessment_id: id,
                    question_id: question,
                    value,
                })
                .await?;
            out.emit(&ack, |k| {
                format!("Answered {} with {}.\n", k.question_id, k.value)
            })
        }
        AssessmentCmd::Complete { id } => {
            let x = a.complete(&id).await?;
            out.emit(&x, print::assessment)
        }
        AssessmentCmd::Show { id } => {
            let x = a.get(&id).await?;
            out.emit(&x, print::assessment)
        }
        AssessmentCmd::List {
            pillar,
            mode,
            group,
            limit,
            offset,
        } => {
            let page = a
                .list(ListRequest {
                    pillar,
                    mode,
                    group,
                    limit,
                    offset,
                })
                .await?;
            out.emit(&page, print::page)
        }
        AssessmentCmd::Delete { id } => {
            let r = a.delete(&id).await?;
            out.emit(&r, |r| {
                format!(
                    "Moved {} to the bin. `compilar-cli assessment restore {}` brings it back.\n",
                    r.id, r.id
                )
            })
        }
        AssessmentCmd::Restore { id } => {
            let x = a.restore(&id).await?;
            out.emit(&x, print::assessment)
        }
    }
}
