//! Coaching reports, conversations and fresh questions.

use super::*;

/// A coaching report's stream as it arrives: who writes it on stderr, the text on stdout.
pub fn report_event(e: &compilar_core::llm::StreamEvent) {
    use compilar_core::llm::StreamEvent as E;
    match e {
        E::Started {
            provider_label,
            model,
            ..
        } => crate::term::err(&format!(
            "Writing with {provider_label} \u{b7} {model}\u{2026}\n\n"
        )),
        E::Token { text } => crate::term::out(text),
        E::Citation { .. } | E::Done { .. } => {}
        E::Error { .. } => crate::term::out("\n"),
    }
}

/// The sources a report cites and who wrote it, after its text.
pub fn report_footer(r: &compilar_core::api::CoachReport) -> String {
    use compilar_core::api::{ReportStatus, ReportWriter};
    let mut s = String::from("\n");
    if !r.citations.is_empty() {
        s.push_str("\nSources:\n");
        for n in &r.citations {
            if let Some(p) = r.passages.get(*n as usize - 1) {
                let _ = writeln!(s, "  [{n}] {} \u{2014} {}", p.title, p.source_title);
            }
        }
    }
    let by = match r.writer {
        ReportWriter::Offline => "the offline coach".to_owned(),
        ReportWriter::Model => format!(
            "{} \u{b7} {}",
            r.provider_label.as_deref().unwrap_or("a model"),
            r.model.as_deref().unwrap_or("")
        ),
    };
    let status = match r.status {
        ReportStatus::Complete => "",
        ReportStatus::Stopped => " (stopped before it was finished)",
        ReportStatus::Error => " (ended with an error before it was finished)",
    };
    let _ = writeln!(s, "\nWritten by {by}{status}.");
    if let Some(n) = &r.notice {
        let _ = writeln!(s, "{n}");
    }
    s
}

/// The stored report of an assessment.
pub fn report_state(st: &compilar_core::api::ReportState) -> String {
    let mut s = String::new();
    match &st.report {
        Some(r) => {
            s.push_str(&r.content);
            s.push_str(&report_footer(r));
        }
        None => s.push_str("No coaching report yet: `compilar-cli coach report ID` writes one.\n"),
    }
    if let Some(a) = &st.last_attempt {
        let _ = writeln!(
            s,
            "\nA newer attempt did not finish ({}); `coach show --json` has its text.",
            match a.status {
                compilar_core::api::ReportStatus::Stopped => "stopped",
                _ => "it ended with an error",
            }
        );
    }
    s
}

pub fn conversation(c: &compilar_core::api::Conversation) -> String {
    let mut s = format!(
        "Conversation {}\n  {}\n{}",
        c.id,
        c.title,
        if c.synced {
            "  synced to your account\n"
        } else {
            ""
        }
    );
    for i in &c.context {
        let _ = writeln!(
            s,
            "  shares: {} ({}){}{}",
            i.pillar_name,
            i.mode,
            i.pillar_score
                .map_or(String::new(), |p| format!(", {}/100", Pts(p))),
            if i.available {
                ""
            } else {
                " \u{2014} deleted, left out"
            }
        );
    }
    s
}

pub fn conversations(p: &compilar_core::api::ConversationPage) -> String {
    let mut s = String::new();
    if p.items.is_empty() {
        s.push_str("No conversations yet: `compilar-cli chat new` starts one.\n");
    }
    for c in &p.items {
        let _ = writeln!(
            s,
            "{}  {}  ({} messages, {})",
            c.id,
            c.title,
            c.messages,
            &c.updated_at[..16.min(c.updated_at.len())]
        );
    }
    let _ = writeln!(s, "{} of {} conversations", p.items.len(), p.total);
    s
}

pub fn conversation_view(v: &compilar_core::api::ConversationView) -> String {
    use compilar_core::llm::Role;
    let mut s = conversation(&v.conversation);
    for m in &v.messages {
        let who = match m.role {
            Role::User => "You",
            Role::Assistant => "Coach",
        };
        let _ = writeln!(s, "\n{who}:\n{}", m.content.trim_end());
        if m.role == Role::Assistant {
            s.push_str(&answer_footer(m));
        }
    }
    s
}

/// Who answered, the sources cited, and whether the answer is complete.
pub fn answer_footer(m: &compilar_core::api::Message) -> String {
    use compilar_core::api::{AnswerWriter, ReportStatus};
    let mut s = String::new();
    let cited: Vec<&compilar_core::llm::Passage> = m
        .citations
        .iter()
        .filter_map(|n| m.passages.get(*n as usize - 1))
        .collect();
    if !cited.is_empty() {
        s.push_str("\nSources:\n");
        for p in cited {
            let _ = writeln!(
                s,
                "  [{}] {} \u{2014} {}",
                p.number, p.title, p.source_title
            );
        }
    }
    let by = match m.writer {
        Some(AnswerWriter::Knowledge) => "quoted from the knowledge base (no model)".to_owned(),
        _ => format!(
            "by {} \u{b7} {}",
            m.provider_label.as_deref().unwrap_or("a model"),
            m.model.as_deref().unwrap_or("")
        ),
    };
    let status = match m.status {
        ReportStatus::Complete => "",
        ReportStatus::Stopped => ", stopped before it was finished",
        ReportStatus::Error => ", ended with an error before it was finished",
    };
    let _ = writeln!(s, "({by}{status})");
    if m.trimmed > 0 {
        let _ = writeln!(
            s,
            "({} earlier messages were left out to fit the model's context)",
            m.trimmed
        );
    }
    if let Some(n) = &m.notice {
        let _ = writeln!(s, "{n}");
    }
    s
}

pub fn message_hits(r: &compilar_core::api::MessageSearchReply) -> String {
    let mut s = String::new();
    for h in &r.hits {
        let text: String = h.snippet.iter().map(|p| p.text.as_str()).collect();
        let _ = writeln!(
            s,
            "{}  {}\n  {}",
            h.conversation_id, h.conversation_title, text
        );
    }
    if r.hits.is_empty() {
        s.push_str("No message matches.\n");
    }
    s
}

pub fn generated(r: &compilar_core::api::GenerateReply) -> String {
    let mut s = String::new();
    if let Some(n) = &r.notice {
        let _ = writeln!(s, "{n}");
    }
    if let (Some(p), Some(m)) = (&r.provider, &r.model) {
        let _ = writeln!(
            s,
            "Written by {p} \u{b7} {m} ({} call{}).",
            r.attempts,
            if r.attempts == 1 { "" } else { "s" }
        );
    }
    for q in &r.accepted {
        let _ = writeln!(
            s,
            "  + [{}] {}{}",
            q.force,
            q.text,
            if q.reverse { " (reverse)" } else { "" }
        );
    }
    for x in &r.rejected {
        let _ = writeln!(s, "  - rejected: {} \u{2014} {}", x.text, x.reason);
    }
    let _ = writeln!(
        s,
        "{} accepted and stored; {} left to the question bank.",
        r.accepted.len(),
        r.from_bank
    );
    s
}

pub fn generated_list(list: &[compilar_core::api::GeneratedQuestion]) -> String {
    let mut s = String::new();
    for q in list {
        let _ = writeln!(
            s,
            "{}  {} [{}] {}{}  ({} \u{b7} {})",
            q.id,
            q.pillar,
            q.force,
            q.text,
            if q.reverse { " (reverse)" } else { "" },
            q.provider,
            q.model
        );
    }
    if list.is_empty() {
        s.push_str("No fresh questions stored.\n");
    }
    s
}
