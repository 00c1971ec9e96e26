//! `questions`: fresh questions written by a model and checked.

use crate::*;

pub(crate) async fn questions(app: &App, out: Out, cmd: QuestionsCmd) -> Outcome {
    let q = app.questions();
    match cmd {
        QuestionsCmd::Generate {
            pillar,
            mode,
            count,
            difficulty,
            exclude,
        } => {
            let id = format!("cli-{}", std::process::id());
            let req = GenerateRequest {
                pillar,
                mode,
                count,
                difficulty,
                request_id: id.clone(),
                exclude: Some(exclude),
            };
            let run = q.generate(req);
            tokio::pin!(run);
            let reply = tokio::select! {
                r = &mut run => r?,
                _ = tokio::signal::ctrl_c() => {
                    q.cancel(&id);
                    run.await?
                }
            };
            out.emit(&reply, print::generated)
        }
        QuestionsCmd::List { pillar, mode } => {
            let list = q.list(GeneratedListRequest { pillar, mode }).await?;
            out.emit(&list, |l| print::generated_list(l))
        }
        QuestionsCmd::Remove { id } => {
            q.remove(&id).await?;
            out.emit(&serde_json::json!({ "removed": id }), |_| {
                format!("Removed fresh question {id}.\n")
            })
        }
    }
}
