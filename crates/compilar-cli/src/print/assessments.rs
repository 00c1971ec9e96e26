//! Assessments, progress, comparisons and full profiles.

use super::*;

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
