//! Knowledge search, passages, documents and text analysis.

use super::*;

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
