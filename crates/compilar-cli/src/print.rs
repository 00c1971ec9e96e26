//! How replies read for people. Formatting only: every figure and word comes from the core's reply.

use compilar_core::domain::Pts;
use std::fmt::Write;

use compilar_core::api::{
    Appearance, Assessment, AssessmentPage, DoctorReport, DocumentInfo, FrameworkInfo,
    ImportProgress, ImportStage, JobInfo, PassageDetail, SearchReply, Stage, Theme,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub fn framework(info: &FrameworkInfo) -> String {
    let fw = &info.framework;
    let mut s = String::new();
    for m in &fw.modes {
        let _ = writeln!(s, "{} ({})", m.name, m.id);
        for p in fw.pillars.iter().filter(|p| p.mode == m.id) {
            let n = info.questions_per_pillar.get(&p.id).copied().unwrap_or(0);
            let _ = writeln!(s, "  {:<12} {} ({n} questions)", p.id, p.name);
        }
    }
    let _ = writeln!(s, "Forces:");
    for l in &fw.letters {
        let names: Vec<String> = fw
            .forces
            .iter()
            .filter(|f| f.letter == l.id)
            .map(|f| format!("{} ({})", f.name, f.id))
            .collect();
        let _ = writeln!(s, "  {}: {}", l.name, names.join(", "));
    }
    let sc = &info.scale;
    let _ = writeln!(
        s,
        "Answers: {} to {} ({})",
        sc.min,
        sc.max,
        sc.labels.join(" \u{2026} ")
    );
    s
}

fn stage(s: Stage) -> &'static str {
    match s {
        Stage::Quiz => "in progress",
        Stage::Completed => "completed",
    }
}

pub fn assessment(a: &Assessment) -> String {
    let mut s = String::new();
    if let Some(g) = &a.group_label {
        let _ = writeln!(s, "About: {g}");
    }
    if let Some(n) = &a.note {
        let _ = writeln!(s, "Note: {n}");
    }
    let _ = writeln!(
        s,
        "Assessment {}\n  {} ({} mode), {}, {} of {} answered{}",
        a.id,
        a.pillar,
        a.mode,
        stage(a.stage),
        a.answered,
        a.total,
        if a.deleted_at.is_some() {
            ", in the bin"
        } else {
            ""
        }
    );
    for (i, q) in a.questions.iter().enumerate() {
        let given = a
            .answers
            .get(&q.id)
            .map_or_else(|| "-".to_owned(), |v| v.to_string());
        let _ = writeln!(s, "  {:>2}. [{given}] {}  ({})", i + 1, q.text, q.id);
    }
    if let Some(r) = &a.results {
        if let Some(c) = &r.caveat {
            let _ = writeln!(s, "Caution: {c}");
        }
        let _ = writeln!(
            s,
            "Results: {} / 100, {} (confidence {:?}, {} of {} answered)",
            Pts(r.pillar_score),
            r.band_label,
            r.confidence_level,
            r.answered,
            r.total
        );
        for f in &r.forces {
            let score = f
                .score
                .map_or_else(|| "no answers".to_owned(), |v| Pts(v).to_string());
            let _ = writeln!(s, "  {:<24} {score}", f.name);
        }
        for h in &r.highlights {
            let _ = writeln!(s, "  {}: {}", h.label, h.text);
        }
        for i in &r.insights {
            let _ = writeln!(s, "  \u{2022} {i}");
        }
        for rec in &r.recommendations {
            let _ = writeln!(s, "  Try: {} \u{2014} {}", rec.title, rec.text);
        }
    }
    s
}

pub fn page(p: &AssessmentPage) -> String {
    let mut s = String::new();
    if p.items.is_empty() {
        s.push_str("No assessments.\n");
        return s;
    }
    for a in &p.items {
        let score = a
            .pillar_score
            .map_or_else(String::new, |v| format!(" score {}", Pts(v)));
        let _ = writeln!(
            s,
            "{}  {}  {:<24} {:<12} {}/{}{score}",
            a.id,
            &a.created_at[..a.created_at.len().min(10)],
            a.pillar_name,
            stage(a.stage),
            a.answered,
            a.total
        );
    }
    let shown_to = p.offset as usize + p.items.len();
    let _ = writeln!(s, "{}\u{2013}{shown_to} of {}", p.offset + 1, p.total);
    s
}

pub fn search(r: &SearchReply) -> String {
    let mut s = String::new();
    if let Some(n) = &r.notice {
        let _ = writeln!(s, "Note: {n}");
    }
    if r.hits.is_empty() {
        s.push_str("Nothing found.\n");
    } else if r.no_good_match {
        s.push_str(
            "No good match: nothing is close to these words. The closest passages, only loosely related:\n",
        );
    }
    for (i, h) in r.hits.iter().enumerate() {
        let text: String = h.snippet.iter().map(|p| p.text.as_str()).collect();
        let _ = writeln!(
            s,
            "{:>2}. {} ({}; {}, similarity {:.2}; passage {})\n    {}",
            i + 1,
            h.title,
            h.source.title,
            h.strength_label,
            h.similarity,
            h.chunk_id,
            text.replace('\n', " ")
        );
    }
    if r.capped {
        let _ = writeln!(s, "(at most {} results are shown)", r.count);
    }
    s
}

pub fn passage(p: &PassageDetail) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{} (passage {})", p.title, p.chunk_id);
    let tags: Vec<&str> = [&p.mode, &p.pillar, &p.force]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .chain([p.category.as_str()])
        .collect();
    let _ = writeln!(s, "From {} \u{b7} {}\n", p.source.title, tags.join(", "));
    let _ = writeln!(s, "{}", p.text.trim_end());
    if !p.related.is_empty() {
        s.push_str("\nClose to this:\n");
        for r in &p.related {
            let _ = writeln!(
                s,
                "  {} ({}; passage {})",
                r.title, r.source_title, r.chunk_id
            );
        }
    }
    s
}

pub fn appearance(a: &Appearance) -> String {
    let theme = match a.theme {
        Theme::System => "like the system",
        Theme::Light => "light",
        Theme::Dark => "dark",
    };
    format!("Theme {theme}, zoom {:.0} %\n", a.zoom * 100.0)
}

pub fn documents(docs: &[DocumentInfo]) -> String {
    let mut s = String::new();
    if docs.is_empty() {
        s.push_str("No documents. Import one with `compilar-cli documents import FILE`.\n");
    }
    for d in docs {
        let _ = writeln!(
            s,
            "{}  {}  {} passages, {} KB",
            d.id,
            d.title,
            d.chunks,
            d.bytes.div_ceil(1024)
        );
    }
    s
}

pub fn imported(path: &str, d: &DocumentInfo) -> String {
    if d.already_imported {
        format!(
            "{path}: already in the knowledge base as \u{201c}{}\u{201d} ({}).\n",
            d.title, d.id
        )
    } else {
        format!(
            "{path}: imported \u{201c}{}\u{201d}, {} passages ({}).\n",
            d.title, d.chunks, d.id
        )
    }
}

pub fn jobs(jobs: &[JobInfo]) -> String {
    let mut s = String::new();
    if jobs.is_empty() {
        s.push_str("Nothing is running.\n");
    }
    for j in jobs {
        let progress = match (j.done, j.total) {
            (Some(d), Some(t)) if t > 0 => format!(" {d}/{t}"),
            _ => String::new(),
        };
        let stage = j
            .stage
            .as_deref()
            .map_or_else(String::new, |st| format!(" ({st})"));
        let whose = if j.here { "" } else { " [other process]" };
        let _ = writeln!(
            s,
            "{}{progress}{stage}{whose}, since {}",
            j.label, j.started_at
        );
    }
    s
}

pub fn doctor(r: &DoctorReport) -> String {
    let d = &r.diagnostics;
    let mut s = String::new();
    let _ = writeln!(s, "Compilar {}", d.app_version);
    let _ = writeln!(s, "Data folder   {}", d.data_dir);
    let _ = writeln!(
        s,
        "Database      {} (SQLite {}, sqlite-vec {})",
        d.database_path, d.sqlite_version, d.vec_version
    );
    let _ = writeln!(s, "Integrity     {}", r.integrity);
    let bad: Vec<String> = r
        .migrations
        .iter()
        .filter(|m| !m.matches_build)
        .map(|m| format!("{} ({})", m.version, m.name))
        .collect();
    let _ = writeln!(
        s,
        "Migrations    schema {} ({} applied){}",
        d.schema_version,
        r.migrations.len(),
        if bad.is_empty() {
            String::new()
        } else {
            format!("; not from this build: {}", bad.join(", "))
        }
    );
    let _ = writeln!(
        s,
        "Framework     v{}, question bank v{} ({} questions); {} assessments completed, {} in progress",
        d.framework_version, d.question_bank_version, d.questions, d.assessments, d.in_progress
    );
    let _ = writeln!(
        s,
        "Keychain      {}{}",
        if r.keychain.available {
            format!("{} (available)", r.keychain.backend)
        } else {
            format!("{} (unavailable)", r.keychain.backend)
        },
        r.keychain
            .message
            .as_deref()
            .map_or_else(String::new, |m| format!(": {m}"))
    );
    for step in &r.keychain.steps {
        let _ = writeln!(s, "              - {step}");
    }
    for p in &r.providers {
        let _ = writeln!(
            s,
            "Provider      {:<22} {}{}; breaker {:?} ({} of {} failures)",
            p.label,
            p.health.label,
            p.health
                .detail
                .as_deref()
                .map_or_else(String::new, |d| format!(" ({d})")),
            p.breaker.state,
            p.breaker.consecutive_failures,
            p.breaker.failure_threshold
        );
    }
    let _ = write!(s, "Jobs          {}", jobs(&r.jobs));
    s
}

/// A bar on stderr for one file; hidden with `--json` and when stderr is not a terminal.
pub fn progress_bar(json: bool, path: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        Some(1),
        if json {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        },
    );
    if let Ok(style) = ProgressStyle::with_template("{msg:40!} {wide_bar} {pos}/{len}") {
        bar.set_style(style);
    }
    bar.set_message(path.to_owned());
    bar
}

pub fn import_progress(bar: &ProgressBar, p: &ImportProgress) {
    let what = match p.stage {
        ImportStage::Reading => "reading",
        ImportStage::Chunking => "chunking",
        ImportStage::Embedding => "embedding",
        ImportStage::Saving => "saving",
        ImportStage::Done => "done",
    };
    bar.set_prefix(what);
    bar.set_length(u64::from(p.total.max(1)));
    bar.set_position(u64::from(p.done));
}

pub fn recovery(r: &compilar_core::recovery::RecoveryStatus) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Data folder   {}", r.data_dir);
    let _ = writeln!(s, "Database      {}", r.database);
    match &r.damage {
        Some(d) => {
            let _ = writeln!(s, "State         damaged: {d}");
        }
        None => {
            let _ = writeln!(s, "State         passes SQLite's check");
        }
    }
    if r.backups.is_empty() {
        let _ = writeln!(s, "Backups       none");
    } else {
        let _ = writeln!(s, "Backups       (newest first)");
        for b in &r.backups {
            let _ = writeln!(
                s,
                "  {}  {:>9}  {}  {}",
                b.taken_at,
                bytes(b.bytes),
                b.kind,
                b.path
            );
        }
    }
    for f in &r.set_aside {
        let _ = writeln!(s, "Set aside     {f}");
    }
    if r.damage.is_some() {
        let _ = writeln!(
            s,
            "\nTo recover: `compilar-cli recover --restore-backup` (newest good backup) or `--start-fresh` (empty database). The damaged file is kept."
        );
    }
    s
}

pub fn recovered(r: &compilar_core::recovery::RecoveryOutcome) -> String {
    let mut s = String::new();
    if let Some(from) = &r.restored_from {
        let _ = writeln!(s, "Restored the backup {from}.");
    } else {
        let _ = writeln!(s, "The next start begins with an empty database.");
    }
    if let Some(kept) = &r.damaged_kept_at {
        let _ = writeln!(s, "The damaged database is kept at {kept}.");
    }
    if let Some(b) = &r.kept_as_backup {
        let _ = writeln!(
            s,
            "The database before is kept as the backup {}; `compilar-cli restore --undo` brings it back.",
            b.path
        );
    }
    s
}

fn bytes(n: u64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", n.div_ceil(1024))
    }
}

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

pub fn analysis(r: &compilar_core::api::AnalysisReply) -> String {
    use compilar_core::api::AnalysisMethod;
    let mut s = String::new();
    match r.method {
        AnalysisMethod::Model => {
            let _ = writeln!(
                s,
                "Analysis by {} \u{b7} {} of {} characters{}.",
                r.provider.as_deref().unwrap_or(""),
                r.model.as_deref().unwrap_or(""),
                r.chars,
                if r.truncated {
                    " (the document's first part)"
                } else {
                    ""
                }
            );
        }
        AnalysisMethod::Estimate => {
            let _ = writeln!(
                s,
                "An estimate (similarity of the text's sentences to each force), not a model's reading; {} characters.",
                r.chars
            );
        }
    }
    if let Some(n) = &r.notice {
        let _ = writeln!(s, "{n}");
    }
    let score = |a: Option<u32>| a.map_or("\u{2013}".to_owned(), |v| v.to_string());
    for p in &r.pillars {
        let _ = writeln!(s, "\n{} ({}): {}", p.name, p.mode, score(p.alignment));
        for q in &p.evidence {
            let _ = writeln!(s, "    \u{201c}{q}\u{201d}");
        }
        for f in &p.forces {
            let _ = writeln!(s, "  {:<22} {}", f.name, score(f.alignment));
            for q in &f.evidence {
                let _ = writeln!(s, "    \u{201c}{q}\u{201d}");
            }
        }
    }
    if !r.themes.is_empty() {
        let _ = writeln!(s, "\nThemes: {}", r.themes.join("; "));
    }
    for x in &r.recommendations {
        let _ = writeln!(s, "  \u{2022} {x}");
    }
    if r.dropped_quotes > 0 {
        let _ = writeln!(
            s,
            "({} quotes the model gave are not in the text and were dropped.)",
            r.dropped_quotes
        );
    }
    s
}

/// A change as the window shows it: whole points with a sign, a minus sign for a fall ("+4", "−3", "0").
fn signed(x: f64) -> String {
    let r = x.round();
    if r > 0.0 {
        format!("+{r:.0}")
    } else if r < 0.0 {
        format!("\u{2212}{:.0}", -r)
    } else {
        "0".to_owned()
    }
}

/// A score as the window shows it: whole points.
fn score(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_owned(), |v| Pts(v).to_string())
}

fn day(at: &str) -> &str {
    at.get(..10).unwrap_or(at)
}

pub fn progress(v: &compilar_core::api::ProgressView) -> String {
    let t = &v.totals;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} completed, {} in progress; {} of 10 pillars covered{}",
        t.completed,
        t.in_progress,
        t.pillars_covered,
        match (&t.first_completed_at, &t.last_completed_at) {
            (Some(a), Some(b)) => format!(", {} to {}", day(a), day(b)),
            _ => String::new(),
        }
    );
    for tr in &v.tracks {
        let _ = writeln!(
            s,
            "\n{} ({} mode){}: {} now{}, {} assessment{}",
            tr.pillar_name,
            tr.mode,
            tr.group_label
                .as_deref()
                .map(|g| format!(" about {g}"))
                .unwrap_or_default(),
            Pts(tr.latest),
            tr.change
                .map(|c| format!(" ({} since the previous)", signed(c)))
                .unwrap_or_default(),
            tr.points.len(),
            if tr.points.len() == 1 { "" } else { "s" }
        );
        for f in &tr.forces {
            let _ = writeln!(
                s,
                "  {:<22} {:>5}{}",
                f.name,
                score(f.latest),
                f.change
                    .map(|c| format!("  {}", signed(c)))
                    .unwrap_or_default()
            );
        }
    }
    let a = &v.analytics;
    if t.completed > 0 {
        let _ = writeln!(
            s,
            "\nBy mode: {}",
            a.modes
                .iter()
                .map(|m| format!("{} {} ({}%)", m.name, m.completed, Pts(m.percent)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(s, "Pillar averages:");
        for p in &a.pillars {
            let _ = writeln!(
                s,
                "  {:<22} {:>5.1}  over {} ({} to {})",
                p.pillar_name,
                p.average,
                p.completed,
                Pts(p.lowest),
                Pts(p.highest)
            );
        }
        let avg =
            |x: Option<f64>| x.map_or("no average".to_owned(), |x| format!("average {}", Pts(x)));
        let _ = writeln!(
            s,
            "Last 30 days: {} completed, {}; the 30 before: {} completed, {}{}",
            a.last_30.completed,
            avg(a.last_30.average),
            a.previous_30.completed,
            avg(a.previous_30.average),
            a.change
                .map(|c| format!(" ({})", signed(c)))
                .unwrap_or_default()
        );
    }
    for n in v.not_assessed.iter().filter(|n| !n.pillars.is_empty()) {
        let _ = writeln!(
            s,
            "\nNot assessed yet ({}): {}",
            n.mode,
            n.pillars.join(", ")
        );
    }
    if !v.milestones.is_empty() {
        let _ = writeln!(s, "\nMilestones:");
        for m in &v.milestones {
            let _ = writeln!(s, "  {}  {}", day(&m.at), m.title);
        }
    }
    s
}

pub fn comparison(c: &compilar_core::api::Comparison) -> String {
    use compilar_core::api::Direction;
    let mut s = String::new();
    let side = |x: &compilar_core::api::CompareSide| {
        format!(
            "{} {}{}",
            day(&x.completed_at),
            Pts(x.pillar_score),
            if x.low_confidence {
                format!(" (low confidence: {} of {} answered)", x.answered, x.total)
            } else {
                String::new()
            }
        )
    };
    let _ = writeln!(
        s,
        "{} ({} mode): {} → {}  ({})",
        c.pillar_name,
        c.mode,
        side(&c.before),
        side(&c.after),
        signed(c.change)
    );
    for f in &c.forces {
        let what = match f.direction {
            Direction::Improved => "improved",
            Direction::Slipped => "slipped",
            Direction::Steady => "steady",
            Direction::NotComparable => "not answered in both",
        };
        let _ = writeln!(
            s,
            "  {:<22} {:>5} → {:>5}  {}",
            f.name,
            score(f.before),
            score(f.after),
            f.change
                .map(|c| format!("{} {what}", signed(c)))
                .unwrap_or_else(|| what.to_owned())
        );
    }
    let _ = writeln!(
        s,
        "A move under {} points counts as steady.",
        c.steady_within
    );
    s
}

fn status(g: &compilar_core::api::Goal) -> String {
    use compilar_core::api::GoalStatus;
    match g.status {
        GoalStatus::Active if g.due => format!("due (review {})", g.review_on),
        GoalStatus::Active => format!("active, review {}", g.review_on),
        GoalStatus::Done => "done".into(),
        GoalStatus::Dropped => "dropped".into(),
    }
}

pub fn goals(list: &[compilar_core::api::Goal]) -> String {
    if list.is_empty() {
        return "No goals yet. Set one from a result: compilar-cli goals add --assessment ID --force FORCE --title \"…\"\n".into();
    }
    let mut s = String::new();
    for g in list {
        let _ = writeln!(
            s,
            "{}  {}  [{} · {}]  {}",
            g.id,
            g.title,
            g.pillar_name,
            g.force_name,
            status(g)
        );
    }
    s
}

pub fn goal(g: &compilar_core::api::Goal) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Goal {}: {}", g.id, g.title);
    let _ = writeln!(
        s,
        "  {} · {}{}, {}",
        g.pillar_name,
        g.force_name,
        g.group_label
            .as_deref()
            .map(|x| format!(" about {x}"))
            .unwrap_or_default(),
        status(g)
    );
    let _ = writeln!(s, "  Practice: {}", g.practice);
    if let Some(r) = &g.closed_reason {
        let _ = writeln!(s, "  Reason: {r}");
    }
    let _ = writeln!(s, "  {} when set: {}", g.force_name, score(g.baseline));
    if let Some(o) = &g.outcome {
        let _ = writeln!(
            s,
            "  {} on {}: {}{}",
            g.force_name,
            day(&o.completed_at),
            score(o.after),
            o.change
                .map(|c| format!(" ({})", signed(c)))
                .unwrap_or_default()
        );
    }
    for c in &g.checkins {
        let _ = writeln!(
            s,
            "  {}  {}/5{}",
            day(&c.created_at),
            c.rating,
            c.note
                .as_deref()
                .map(|n| format!("  {n}"))
                .unwrap_or_default()
        );
    }
    s
}

fn kind(k: &str) -> &str {
    match k {
        "auto" => "automatic",
        "manual" => "by hand",
        "before_restore" => "before a restore",
        _ => "before an upgrade",
    }
}

pub fn backup_taken(b: &compilar_core::api::BackupInfo) -> String {
    format!("Backup written: {} ({} bytes)\n", b.path, b.bytes)
}

pub fn backups(b: &compilar_core::api::Backups) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Automatic backups: {}, keeping the newest {}. Folder: {}",
        if b.settings.automatic {
            "on (daily)"
        } else {
            "off"
        },
        b.settings.keep,
        b.folder
    );
    if b.backups.is_empty() {
        let _ = writeln!(s, "No backups yet.");
    }
    for x in &b.backups {
        let _ = writeln!(
            s,
            "  {}  {:<17} {:>10} bytes  {}",
            day(&x.taken_at),
            kind(&x.kind),
            x.bytes,
            x.path
        );
    }
    if b.can_undo {
        let _ = writeln!(
            s,
            "The last restore can be undone: compilar-cli restore --undo"
        );
    }
    s
}

pub fn restored(r: &compilar_core::api::RestoreOutcome) -> String {
    match &r.set_aside {
        Some(a) => format!(
            "Restored {}. The database as it was is kept at {} (compilar-cli restore --undo brings it back).\n",
            r.restored_from, a.path
        ),
        None => format!("Restore undone: the database is back as it was before ({}).\n", r.restored_from),
    }
}

pub fn export_progress(bar: &ProgressBar, p: &compilar_core::api::ExportProgress) {
    bar.set_length(u64::from(p.total.max(1)));
    bar.set_position(u64::from(p.done));
    bar.set_message(p.stage.clone());
}

pub fn exported(s: &compilar_core::api::ExportSummary) -> String {
    let mut out = format!("Exported to {} ({} bytes): ", s.path, s.bytes);
    let parts: Vec<String> = s
        .tables
        .iter()
        .filter(|t| t.rows > 0)
        .map(|t| format!("{} {}", t.rows, t.table.replace('_', " ")))
        .collect();
    out.push_str(&if parts.is_empty() {
        "nothing yet".to_owned()
    } else {
        parts.join(", ")
    });
    let _ = writeln!(
        out,
        "; {} reports and {} conversations as Markdown; {} documents listed.",
        s.reports, s.conversations, s.documents
    );
    out
}

pub fn imported_data(s: &compilar_core::api::ImportSummary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} (exported {}):",
        if s.dry_run {
            "Dry run, nothing written"
        } else {
            "Imported"
        },
        day(&s.exported_at)
    );
    for t in &s.tables {
        if t.added + t.updated + t.merged + t.unchanged + t.skipped == 0 {
            continue;
        }
        let _ = writeln!(
            out,
            "  {:<20} {} new, {} newer, {} merged, {} already here{}",
            t.table.replace('_', " "),
            t.added,
            t.updated,
            t.merged,
            t.unchanged,
            if t.skipped > 0 {
                format!(", {} belong to another profile", t.skipped)
            } else {
                String::new()
            }
        );
    }
    if s.documents_listed > 0 {
        let _ = writeln!(
            out,
            "  {} documents are listed in the export; their text is not in it, so import the files again.",
            s.documents_listed
        );
    }
    out
}

pub fn full_profile(p: &compilar_core::api::FullProfile) -> String {
    let mut s = format!(
        "Full profile {} ({} mode){}: {} of {} pillars done{}\n",
        p.id,
        p.mode,
        p.group_label
            .as_deref()
            .map(|g| format!(" about {g}"))
            .unwrap_or_default(),
        p.done,
        p.pillars.len(),
        if p.complete { ", complete" } else { "" }
    );
    for x in &p.pillars {
        let state = match (x.stage, x.score) {
            (_, Some(v)) => Pts(v).to_string(),
            (Some(Stage::Quiz), None) => "in progress".into(),
            _ => "not started".into(),
        };
        let _ = writeln!(s, "  {:<16} {:<24} {state}", x.letter, x.pillar_name);
    }
    if let Some(n) = &p.next_pillar {
        let _ = writeln!(s, "Next: {n} (compilar-cli profile next {})", p.id);
    }
    s
}

pub fn mode_comparison(c: &compilar_core::api::ModeComparison) -> String {
    let mut s = format!(
        "Both modes{}:\n",
        c.group_label
            .as_deref()
            .map(|g| format!(" for {g}"))
            .unwrap_or_default()
    );
    let side = |x: &Option<compilar_core::api::ModeSide>| {
        x.as_ref().map_or_else(
            || "not assessed".to_owned(),
            |m| format!("{} {}", m.pillar_name, Pts(m.score)),
        )
    };
    for l in &c.letters {
        let _ = writeln!(
            s,
            "  {} {:<10} egalitarian: {:<30} hierarchical: {}",
            l.letter,
            l.letter_name,
            side(&l.egalitarian),
            side(&l.hierarchical)
        );
    }
    s
}

pub fn account(a: &compilar_core::api::AccountStatus) -> String {
    let mut s = String::new();
    match (&a.email, a.signed_in) {
        (Some(e), true) => {
            let _ = writeln!(s, "Signed in as  {e}");
        }
        (Some(e), false) if a.session_ended => {
            let _ = writeln!(
                s,
                "Signed out    the sign-in as {e} ended; sign in again (nothing waiting was lost)"
            );
        }
        (Some(e), false) => {
            let _ = writeln!(s, "Signed out    this data folder syncs with {e}");
        }
        (None, _) => {
            let _ = writeln!(s, "Not signed in (sync is off)");
            return s;
        }
    }
    if let Some(u) = &a.project_url {
        let _ = writeln!(s, "Project       {u}");
    }
    if let Some(d) = &a.device_id {
        let _ = writeln!(s, "This device   {d}");
    }
    let t = &a.token;
    let state = match t.state.as_str() {
        "valid" => "valid",
        "refresh_soon" => "valid, refreshed at the next use",
        "expired" => "expired, refreshed at the next use",
        _ => "none",
    };
    let _ = writeln!(
        s,
        "Token         {state}{}{}",
        t.expires_in_s
            .filter(|n| *n > 0)
            .map_or_else(String::new, |n| format!(
                ", {} left",
                compilar_core::util::human_duration(std::time::Duration::from_secs(n as u64))
            )),
        t.verified.as_deref().map_or_else(String::new, |v| format!(
            ", signature checked {}",
            if v == "local" {
                "on this computer"
            } else {
                "by the server once"
            }
        ))
    );
    let _ = writeln!(
        s,
        "Token checks  {} ({} needed the network{})",
        t.checks,
        t.network_checks,
        t.hit_rate.map_or_else(String::new, |h| format!(
            "; {:.1} % answered locally",
            h * 100.0
        ))
    );
    let _ = writeln!(
        s,
        "Key set       {}",
        match t.key_set_age_s {
            Some(age) => format!(
                "{} key(s), fetched {} ago",
                t.key_ids.len(),
                compilar_core::util::human_duration(std::time::Duration::from_secs(age))
            ),
            None => "not fetched".into(),
        }
    );
    s
}

pub fn sync_status(st: &compilar_core::api::SyncStatus) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Sync          {}", st.label);
    if let Some(at) = &st.last_sync_at {
        let _ = writeln!(s, "Last sync     {}", at);
    }
    let _ = writeln!(s, "Waiting       {}", st.pending);
    if st.rejected > 0 {
        let _ = writeln!(
            s,
            "Not synced    {} (see `compilar-cli sync rejected`)",
            st.rejected
        );
    }
    if let Some(e) = &st.last_error {
        let _ = writeln!(s, "Last error    {} ({})", e.message, e.code);
    }
    s
}

pub fn sync_report(r: &compilar_core::api::SyncReport) -> String {
    let mut s = format!(
        "Synced in {} ms: sent {} ({} already newer on the server, {} refused) in {} batch(es); received {} ({} older than here, {} could not be applied).\n",
        r.duration_ms, r.pushed, r.ignored, r.rejected, r.batches, r.pulled, r.kept_local, r.skipped
    );
    if r.rejected > 0 {
        s.push_str("Refused changes are listed by `compilar-cli sync rejected`.\n");
    }
    s
}

pub fn sync_progress(bar: &ProgressBar, p: &compilar_core::api::SyncProgress) {
    match (p.stage.as_str(), p.total) {
        ("push", Some(t)) => {
            bar.set_length(t);
            bar.set_position(p.done);
            bar.set_message("Sending changes");
        }
        _ => {
            bar.set_length(p.done.max(1));
            bar.set_position(p.done);
            bar.set_message(format!(
                "Receiving {}",
                p.table.as_deref().unwrap_or("changes")
            ));
        }
    }
}

pub fn rejected(list: &[compilar_core::api::RejectedChange]) -> String {
    if list.is_empty() {
        return "Nothing refused: every change synced or is waiting.\n".into();
    }
    let mut s = String::new();
    for r in list {
        let _ = writeln!(
            s,
            "{}  {} {}\n    {} (code {}, {})",
            r.what, r.table, r.row_id, r.reason, r.code, r.at
        );
    }
    s
}

pub fn team(t: &compilar_core::api::Team) -> String {
    let mut s =
        format!(
        "{}{}  ({})\n    id {}\n    {} {}, {} open {}; results shown from {} responses\n    {}\n",
        t.name,
        if t.deleted { " [deleted]" } else { "" },
        t.role,
        t.id,
        t.members,
        if t.members == 1 { "member" } else { "members" },
        t.open_rounds,
        if t.open_rounds == 1 { "round" } else { "rounds" },
        t.min_responses,
        if t.consent {
            "You share your results with this team."
        } else {
            "You do not share your results with this team (`team consent ID on` to share)."
        }
    );
    if let Some(d) = &t.description {
        let _ = writeln!(s, "    {d}");
    }
    s
}

pub fn teams(list: &[compilar_core::api::Team]) -> String {
    if list.is_empty() {
        return "You are in no team yet: `team create NAME`, or `team join CODE` with a code from a facilitator.\n"
            .into();
    }
    list.iter().map(team).collect()
}

pub fn invite(i: &compilar_core::api::Invite) -> String {
    format!(
        "Invitation code: {}\n    Link: {}\n    Works until {}{}. Shown once: copy it now.\n    Members join with `compilar-cli team join {}` or in the app (Teams), with the code or the link.\n",
        i.code,
        i.link,
        day(&i.expires_at),
        match i.uses_left {
            Some(1) => ", for one person".to_owned(),
            Some(n) => format!(", for {n} people"),
            None => String::new(),
        },
        i.code
    )
}

pub fn invites(list: &[compilar_core::api::InviteInfo]) -> String {
    if list.is_empty() {
        return "No open invitations.\n".into();
    }
    let mut s = String::new();
    for i in list {
        let _ = writeln!(
            s,
            "{}  made {} by {}, works until {}, {}",
            i.id,
            day(&i.created_at),
            if i.made_by_me {
                "you"
            } else {
                i.made_by.as_deref().unwrap_or("another facilitator")
            },
            day(&i.expires_at),
            match i.uses_left {
                None => "any number of uses".to_owned(),
                Some(1) => "1 use left".to_owned(),
                Some(n) => format!("{n} uses left"),
            }
        );
    }
    s.push_str("Stop one with `compilar-cli team revoke ID`.\n");
    s
}

pub fn members(list: &[compilar_core::api::Member]) -> String {
    let mut s = String::new();
    for m in list {
        let _ = writeln!(
            s,
            "{}{}  {}  {}{}",
            m.email.as_deref().unwrap_or("(no email)"),
            if m.me { " (you)" } else { "" },
            m.role,
            match m.consent {
                Some(true) => "shares results",
                Some(false) => "does not share results",
                None => "",
            },
            format_args!("\n    id {}", m.user_id)
        );
    }
    s
}

pub fn round(r: &compilar_core::api::Round) -> String {
    let mut s = format!(
        "{}: {} ({}){}\n    id {}\n    {} of {} responded; results from {}\n",
        r.team_name,
        r.label,
        r.mode,
        if r.closed_at.is_some() {
            " [closed]"
        } else {
            ""
        },
        r.id,
        r.responses,
        r.members,
        r.needed
    );
    if let Some(m) = &r.message {
        let _ = writeln!(s, "    \u{201c}{m}\u{201d}");
    }
    if let Some(d) = &r.due_at {
        let _ = writeln!(s, "    due {}", day(d));
    }
    match &r.mine {
        Some(a) if a.completed && a.waiting_to_sync => {
            let _ = writeln!(s, "    You answered; it waits to sync.");
        }
        Some(a) if a.completed => {
            let _ = writeln!(s, "    You answered.");
        }
        Some(a) => {
            let _ = writeln!(s, "    You started it: assessment {}", a.assessment_id);
        }
        None if r.closed_at.is_none() => {
            let _ = writeln!(
                s,
                "    Answer it: compilar-cli {} --mode {} --round {}",
                match &r.pillar {
                    Some(p) => format!("assessment create --pillar {p}"),
                    None => "profile start".into(),
                },
                r.mode,
                r.id
            );
        }
        None => {}
    }
    s
}

pub fn rounds(list: &[compilar_core::api::Round]) -> String {
    if list.is_empty() {
        return "No rounds.\n".into();
    }
    list.iter().map(round).collect()
}

pub fn round_results(r: &compilar_core::api::RoundResults) -> String {
    let mut s = format!("{} ({}): {}\n", r.round_label, r.mode, r.label);
    for f in &r.figures {
        let _ = writeln!(
            s,
            "  {:<28} mean {:>3}  sd {:>2} ({})  {} people  bands {:?}{}",
            f.force_name.as_deref().unwrap_or(&f.pillar_name),
            Pts(f.mean),
            Pts(f.sd),
            f.spread_label.to_lowercase(),
            f.n,
            f.histogram,
            f.mine
                .map(|m| format!("  you {}", Pts(m)))
                .unwrap_or_default()
        );
    }
    s
}

pub fn team_results(t: &compilar_core::api::TeamResults) -> String {
    if t.rounds.is_empty() {
        return "No rounds yet.\n".into();
    }
    t.rounds
        .iter()
        .map(|r| {
            format!(
                "{}  {}",
                r.created_at.as_deref().map(day).unwrap_or(""),
                round_results(r)
            )
        })
        .collect()
}

/// The AI providers in fallback order.
pub fn providers(s: &compilar_core::api::LlmSettings) -> String {
    let mut out = String::new();
    let mut list: Vec<&compilar_core::llm::ProviderView> = s.providers.iter().collect();
    list.sort_by_key(|p| p.settings.position);
    for p in list {
        let st = &p.settings;
        let key = if !p.needs_key {
            "no key needed".to_owned()
        } else if p.configured {
            format!("key set ({:?})", p.key_source).to_lowercase()
        } else {
            "no key yet".to_owned()
        };
        let _ = writeln!(
            out,
            "{}. {} ({}) \u{b7} {} \u{b7} {} \u{b7} {} \u{b7} {}",
            st.position + 1,
            st.label,
            st.id,
            if st.enabled { "on" } else { "off" },
            st.chat_model,
            st.base_url,
            key
        );
    }
    if !s.keychain.available {
        let _ = writeln!(
            out,
            "The keychain cannot be reached here ({}): keys can come from OPENAI_API_KEY / ANTHROPIC_API_KEY.",
            s.keychain.backend
        );
    }
    out
}

/// A provider's connection test.
pub fn connection_test(t: &compilar_core::llm::ConnectionTest) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} ({} ms)",
        t.provider,
        if t.ok { "answers" } else { "does not answer" },
        t.latency_ms
    );
    let _ = writeln!(out, "{}", t.message);
    if !t.models.is_empty() {
        let _ = writeln!(out, "Models: {}", t.models.join(", "));
    }
    out
}

/// What "delete all my data" removed, each count with its noun in the right number.
pub fn deleted(o: &compilar_core::api::DeleteOutcome) -> String {
    use compilar_core::util::count;
    format!(
        "Deleted {}, {}, {}, {} and {}.\n",
        count(o.assessments as usize, "assessment", "assessments"),
        count(o.goals as usize, "goal", "goals"),
        count(o.conversations as usize, "conversation", "conversations"),
        count(o.documents as usize, "document", "documents"),
        count(o.backups_removed as usize, "backup", "backups")
    )
}
