//! Development goals.

use super::*;

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
