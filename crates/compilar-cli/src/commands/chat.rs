//! `chat`: conversations with the coach.

use crate::*;

pub(crate) async fn chat(app: &App, out: Out, cmd: ChatCmd) -> Outcome {
    let c = app.chat();
    match cmd {
        ChatCmd::New { title, about } => {
            let conv = c
                .create(NewConversationRequest {
                    title,
                    context: Some(about),
                })
                .await?;
            out.emit(&conv, print::conversation)
        }
        ChatCmd::Send {
            id,
            text,
            offline,
            exclude,
        } => {
            let req = SendRequest {
                conversation_id: id.clone(),
                text,
                exclude: Some(exclude),
                offline: Some(offline),
            };
            let (reply, last) = out
                .streamed(
                    move |sink| Box::pin(async move { app.chat().send(req, sink).await }),
                    || c.cancel(&id),
                )
                .await?;
            if out.json {
                out.json_only(&reply)?;
            } else if let Some(a) = &reply.answer {
                term::out(&print::answer_footer(a));
            }
            out.stream_end(last)
        }
        ChatCmd::List { limit, offset } => {
            let page = c.list(ConversationListRequest { limit, offset }).await?;
            out.emit(&page, print::conversations)
        }
        ChatCmd::Show { id } => {
            let v = c.open(&id).await?;
            out.emit(&v, print::conversation_view)
        }
        ChatCmd::Export { id, format } => {
            let f = match format {
                ExportArg::Markdown => ExportFormat::Markdown,
                ExportArg::Json => ExportFormat::Json,
            };
            let text = c.export(&id, f).await?;
            match f {
                // Already one JSON document.
                ExportFormat::Json => out.raw_content("json", &text),
                ExportFormat::Markdown => out.content("markdown", &text),
            }
        }
        ChatCmd::Search { query } => {
            let r = c
                .search(MessageSearchRequest { query, limit: None })
                .await?;
            out.emit(&r, print::message_hits)
        }
        ChatCmd::Sync { id, state } => {
            let conv = c
                .set_synced(SyncConversationRequest {
                    conversation_id: id,
                    synced: matches!(state, OnOff::On),
                })
                .await?;
            out.emit(&conv, print::conversation)
        }
        ChatCmd::Rename { id, title } => {
            let conv = c
                .rename(RenameRequest {
                    conversation_id: id,
                    title,
                })
                .await?;
            out.emit(&conv, print::conversation)
        }
        ChatCmd::Delete { id } => {
            let r = c.delete(&id).await?;
            out.emit(&r, |r| {
                format!(
                    "Moved the conversation to the bin. `compilar-cli chat restore {}` brings it back.\n",
                    r.id
                )
            })
        }
        ChatCmd::Restore { id } => {
            let conv = c.restore(&id).await?;
            out.emit(&conv, print::conversation)
        }
    }
}
