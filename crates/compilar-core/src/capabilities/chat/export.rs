//! A conversation as a document: Markdown or plain text, to show, copy or save.

use std::fmt::Write as _;

use super::dto::*;
use crate::capabilities::coach::dto::ReportStatus;
use crate::error::{Error, Result};
use crate::llm::{Passage, Role};

use super::Chat;

impl Chat<'_> {
    /// Writes [`Chat::export`] to `path` (a file the user chose).
    pub async fn save(
        &self,
        id: &str,
        format: ExportFormat,
        path: &std::path::Path,
        overwrite: crate::output::Overwrite,
    ) -> Result<()> {
        let path = crate::output::check(&self.ctx.paths, path, overwrite)?;
        let text = self.export(id, format).await?;
        crate::output::write_file(&self.ctx.paths, &path, text.into_bytes()).await
    }

    /// A conversation as Markdown (for people) or JSON (the stored messages, schema version 1).
    pub async fn export(&self, id: &str, format: ExportFormat) -> Result<String> {
        let v = self.open(id).await?;
        match format {
            ExportFormat::Json => serde_json::to_string_pretty(&serde_json::json!({
                "schema_version": 1,
                "conversation": v.conversation,
                "messages": v.messages,
            }))
            .map_err(|e| Error::Internal(format!("chat JSON: {e}"))),
            ExportFormat::Markdown => Ok(markdown(&v)),
        }
    }
}

fn markdown(v: &ConversationView) -> String {
    let c = &v.conversation;
    let mut out = format!("# {}\n\n", c.title);
    let _ = writeln!(
        out,
        "Started {}.",
        &c.created_at[..10.min(c.created_at.len())]
    );
    if !c.context.is_empty() {
        let items: Vec<String> = c
            .context
            .iter()
            .map(|i| {
                format!(
                    "{} ({}){}",
                    i.pillar_name,
                    i.mode,
                    i.pillar_score.map_or(String::new(), |s| format!(
                        ", {}/100",
                        crate::domain::Pts(s)
                    ))
                )
            })
            .collect();
        let _ = writeln!(out, "Results shared with the coach: {}.", items.join("; "));
    }
    for m in &v.messages {
        let who = match (m.role, m.writer) {
            (Role::User, _) => "You".to_owned(),
            (_, Some(AnswerWriter::Knowledge)) => "Coach (knowledge base, no model)".to_owned(),
            _ => format!(
                "Coach ({} \u{b7} {})",
                m.provider_label.as_deref().unwrap_or("a model"),
                m.model.as_deref().unwrap_or("")
            ),
        };
        let status = match m.status {
            ReportStatus::Complete => "",
            ReportStatus::Stopped => " \u{2014} stopped before it was finished",
            ReportStatus::Error => " \u{2014} ended with an error before it was finished",
        };
        let _ = writeln!(
            out,
            "\n## {who}, {}{status}\n",
            m.created_at
                .replace('T', " ")
                .get(..16)
                .unwrap_or(&m.created_at)
        );
        // Saved in a file: no link, image or HTML in it can act when it is opened.
        out.push_str(crate::util::inert_markdown(&m.content).trim_end());
        out.push('\n');
        let cited: Vec<&Passage> = m
            .citations
            .iter()
            .filter_map(|n| m.passages.get(*n as usize - 1))
            .collect();
        if !cited.is_empty() {
            out.push_str("\nSources:\n");
            for p in cited {
                let _ = writeln!(
                    out,
                    "- [{}] {} \u{2014} {}",
                    p.number, p.title, p.source_title
                );
            }
        }
    }
    out
}
