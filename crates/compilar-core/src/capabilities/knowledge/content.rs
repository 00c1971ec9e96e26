//! The PILAR knowledge base shipped with the app: Markdown passages with front matter, embedded in the binary.
//!
//! A file holds one or more passages. Each starts with a front-matter block between `---` lines:
//!
//! ```text
//! ---
//! id: force.goal_clarity.egalitarian.signs
//! title: Goal clarity in a peer group
//! mode: egalitarian
//! pillar: grpprosp
//! force: goal_clarity
//! category: signs
//! ---
//! Body in Markdown…
//! ```
//!
//! `mode`, `pillar` and `force` are optional (a passage may be about a whole mode); `id`, `title` and
//! `category` are required. Everything is validated against the framework at start-up.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;

use crate::domain::Framework;

/// The kinds of passage.
pub const CATEGORIES: [&str; 6] = [
    "overview",
    "signs",
    "practice",
    "reflection",
    "connection",
    "document",
];

const FILES: [(&str, &str); 8] = [
    ("modes.md", include_str!("../../../data/knowledge/modes.md")),
    (
        "pillars.md",
        include_str!("../../../data/knowledge/pillars.md"),
    ),
    (
        "forces-prospects.md",
        include_str!("../../../data/knowledge/forces-prospects.md"),
    ),
    (
        "forces-involved.md",
        include_str!("../../../data/knowledge/forces-involved.md"),
    ),
    (
        "forces-liked.md",
        include_str!("../../../data/knowledge/forces-liked.md"),
    ),
    (
        "forces-agency.md",
        include_str!("../../../data/knowledge/forces-agency.md"),
    ),
    (
        "forces-respect.md",
        include_str!("../../../data/knowledge/forces-respect.md"),
    ),
    (
        "connections.md",
        include_str!("../../../data/knowledge/connections.md"),
    ),
];

/// One passage of the shipped knowledge base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Passage {
    pub id: String,
    pub title: String,
    pub body: String,
    pub mode: Option<String>,
    pub pillar: Option<String>,
    pub force: Option<String>,
    pub category: String,
    /// The file it came from.
    pub source: String,
}

/// Parses every passage of `text`; `file` names the file in error messages.
pub fn parse(file: &str, text: &str) -> Result<Vec<Passage>, String> {
    let text = text.replace("\r\n", "\n");
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let Some(after) = rest.strip_prefix("---\n") else {
            return Err(format!("{file}: a passage must start with a `---` line"));
        };
        let Some(end) = after.find("\n---\n") else {
            return Err(format!("{file}: unterminated front matter"));
        };
        let (front, body_and_rest) = (&after[..end], &after[end + 5..]);
        // The body runs to the next front-matter start (a `---` line followed by `id:`).
        let next = body_and_rest.find("\n---\nid:").map(|i| i + 1);
        let (body, tail) = match next {
            Some(i) => (&body_and_rest[..i], &body_and_rest[i..]),
            None => (body_and_rest, ""),
        };
        let mut p = Passage {
            id: String::new(),
            title: String::new(),
            body: body.trim().to_owned(),
            mode: None,
            pillar: None,
            force: None,
            category: String::new(),
            source: file.to_owned(),
        };
        for line in front.lines().filter(|l| !l.trim().is_empty()) {
            let (k, v) = line
                .split_once(':')
                .ok_or_else(|| format!("{file}: front-matter line without `key: value`: {line}"))?;
            let v = v.trim().trim_matches('"').to_owned();
            match k.trim() {
                "id" => p.id = v,
                "title" => p.title = v,
                "mode" => p.mode = Some(v),
                "pillar" => p.pillar = Some(v),
                "force" => p.force = Some(v),
                "category" => p.category = v,
                other => return Err(format!("{file}: unknown front-matter key `{other}`")),
            }
        }
        out.push(p);
        rest = tail.trim_start();
    }
    Ok(out)
}

/// Checks passages against the framework; returns every problem found.
pub fn validate(passages: &[Passage], fw: &Framework) -> Result<(), String> {
    let mut problems = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for p in passages {
        let at = format!("{} ({})", p.id, p.source);
        if p.id.is_empty() || !seen.insert(p.id.clone()) {
            problems.push(format!("{at}: missing or repeated id"));
        }
        if p.title.is_empty() || p.body.len() < 80 {
            problems.push(format!(
                "{at}: needs a title and a body of at least 80 characters"
            ));
        }
        if !CATEGORIES.contains(&p.category.as_str()) || p.category == "document" {
            problems.push(format!("{at}: unknown category `{}`", p.category));
        }
        if let Some(m) = &p.mode {
            if !fw.modes.iter().any(|x| &x.id == m) {
                problems.push(format!("{at}: unknown mode `{m}`"));
            }
        }
        if let Some(pl) = &p.pillar {
            match fw.pillar(pl) {
                None => problems.push(format!("{at}: unknown pillar `{pl}`")),
                Some(pillar) if p.mode.as_deref() != Some(pillar.mode.as_str()) => {
                    problems.push(format!("{at}: pillar `{pl}` is not in mode {:?}", p.mode))
                }
                _ => {}
            }
        }
        if let Some(f) = &p.force {
            match fw.forces.iter().find(|x| &x.id == f) {
                None => problems.push(format!("{at}: unknown force `{f}`")),
                Some(force) => {
                    let letter_ok = p
                        .pillar
                        .as_deref()
                        .and_then(|pl| fw.pillar(pl))
                        .is_some_and(|pl| pl.letter == force.letter);
                    if !letter_ok {
                        problems.push(format!("{at}: force `{f}` needs a pillar of its letter"));
                    }
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Every shipped passage, parsed (not yet validated).
pub fn builtin() -> Result<Vec<Passage>, String> {
    let mut all = Vec::new();
    for (file, text) in FILES {
        all.extend(parse(file, text)?);
    }
    Ok(all)
}

/// A hash of the shipped knowledge base; a change re-indexes it at start-up.
pub fn builtin_hash() -> String {
    let mut h = Sha256::new();
    for (file, text) in FILES {
        h.update(file.as_bytes());
        h.update([0]);
        h.update(text.as_bytes());
        h.update([0]);
    }
    format!("{:x}", h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Domain;

    #[test]
    fn the_shipped_knowledge_base_is_valid_and_covers_the_framework() {
        let d = Domain::builtin().unwrap();
        let all = builtin().unwrap();
        validate(&all, &d.framework).unwrap();
        assert!(all.len() >= 150, "{} passages", all.len());
        for m in &d.framework.modes {
            assert!(all
                .iter()
                .any(|p| p.mode.as_ref() == Some(&m.id) && p.pillar.is_none()));
        }
        for pl in &d.framework.pillars {
            for cat in ["overview", "signs", "reflection"] {
                assert!(
                    all.iter().any(|p| p.pillar.as_ref() == Some(&pl.id)
                        && p.category == cat
                        && p.force.is_none()),
                    "{} has no {cat} passage",
                    pl.id
                );
            }
            for f in d.framework.forces.iter().filter(|f| f.letter == pl.letter) {
                for cat in ["signs", "practice"] {
                    assert!(
                        all.iter().any(|p| p.pillar.as_ref() == Some(&pl.id)
                            && p.force.as_ref() == Some(&f.id)
                            && p.category == cat),
                        "{}/{} has no {cat} passage",
                        pl.id,
                        f.id
                    );
                }
            }
        }
        assert_eq!(
            all.iter().filter(|p| p.category == "connection").count(),
            40
        );
    }

    #[test]
    fn parser_and_validator_report_problems() {
        let d = Domain::builtin().unwrap();
        assert!(parse("x.md", "no front matter").is_err());
        assert!(parse("x.md", "---\nid: a\n").is_err());
        assert!(parse("x.md", "---\nid: a\ncolour: red\n---\nbody").is_err());
        let two = parse(
            "x.md",
            "---\nid: a\ntitle: A\ncategory: overview\nmode: egalitarian\n---\nFirst body.\n\n---\nid: b\ntitle: B\ncategory: practice\nmode: hierarchical\npillar: grpprosp\nforce: belonging\n---\nSecond body.\n",
        )
        .unwrap();
        assert_eq!(two.len(), 2);
        assert_eq!(two[0].body, "First body.");
        let e = validate(&two, &d.framework).unwrap_err();
        assert!(e.contains("at least 80"), "{e}");
        assert!(e.contains("not in mode"), "{e}");
        assert!(e.contains("needs a pillar of its letter"), "{e}");
    }
}
