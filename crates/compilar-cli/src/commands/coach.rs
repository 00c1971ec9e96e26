//! `coach`: coaching reports (streamed, stoppable) and tips.

use crate::*;

pub(crate) async fn coach(app: &App, out: Out, cmd: CoachCmd) -> Outcome {
    let c = app.coach();
    match cmd {
        CoachCmd::Report {
            id,
            offline,
            exclude,
        } => {
            let req = ReportRequest {
                assessment_id: id.clone(),
                offline: Some(offline),
                exclude: Some(exclude),
            };
            let (state, last) = out
                .streamed(
                    move |sink| Box::pin(async move { app.coach().report(req, sink).await }),
                    || c.cancel_report(&id),
                )
                .await?;
            out.report_end(&state, last)
        }
        CoachCmd::Show { id } => {
            let state = c.state(&id).await?;
            out.emit(&state, print::report_state)
        }
        CoachCmd::Tips {
            stage,
            pillar,
            mode,
            id,
            model,
        } => {
            let g = c
                .guidance(GuidanceRequest {
                    stage: match stage {
                        StageArg::Choosing => GuidanceStage::Choosing,
                        StageArg::BeforeQuiz => GuidanceStage::BeforeQuiz,
                        StageArg::Result => GuidanceStage::Result,
                    },
                    pillar,
                    mode,
                    assessment_id: id,
                    use_model: Some(model),
                })
                .await?;
            out.emit(&g, |g| {
                let mut s = String::new();
                if let Some(n) = &g.notice {
                    s.push_str(n);
                    s.push('\n');
                }
                for t in &g.tips {
                    s.push_str("\u{2022} ");
                    s.push_str(t);
                    s.push('\n');
                }
                s
            })
        }
        CoachCmd::Export { id } => {
            let md = c.export_markdown(&id).await?;
            out.emit(&serde_json::json!({ "markdown": md }), |_| md.clone())
        }
    }
}
