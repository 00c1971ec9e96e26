//! The PILAR framework as validated data: modes, PILAR letters, pillars, forces and connections.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};

/// The two modes of group coordination, in display order.
pub const MODE_IDS: [&str; 2] = ["egalitarian", "hierarchical"];

/// A mode of group coordination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Mode {
    pub id: String,
    pub name: String,
    pub summary: String,
    pub description: String,
}

/// One PILAR letter (Prospects, Involved, Liked, Agency, Respect).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Letter {
    pub id: String,
    pub letter: String,
    pub name: String,
    /// The question this letter asks of a group.
    pub question: String,
}

/// A pillar: one PILAR letter as it plays out in one mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Pillar {
    pub id: String,
    pub mode: String,
    pub letter: String,
    pub name: String,
    pub description: String,
}

/// A force: one of the four things that make up a PILAR letter (shared by its two pillars).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Force {
    pub id: String,
    pub letter: String,
    pub name: String,
    pub description: String,
    /// What a group sees when the force is strong.
    pub strong: String,
    /// What a group sees when the force is weak.
    pub weak: String,
    /// A practical step that strengthens the force.
    pub action: String,
}

/// How one pillar influences another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionKind {
    /// One rises, the other rises.
    Reinforcing,
    /// Pressure on one strengthens the other.
    Inverse,
    /// May or may not carry over.
    Discretionary,
}

/// A directed pillar-to-pillar connection within one mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    pub mode: String,
    pub from: String,
    pub to: String,
    pub kind: ConnectionKind,
    pub name: String,
    pub explanation: String,
}

/// The whole framework.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    pub version: u32,
    pub modes: Vec<Mode>,
    pub letters: Vec<Letter>,
    pub pillars: Vec<Pillar>,
    pub forces: Vec<Force>,
    pub connections: Vec<Connection>,
}

const LETTERS: usize = 5;
const FORCES_PER_LETTER: usize = 4;

impl Framework {
    /// Parses and validates the framework file.
    pub fn from_toml(text: &str) -> Result<Framework> {
        let fw: Framework = toml::from_str(text)
            .map_err(|e| Error::FrameworkInvalid(format!("framework file: {e}")))?;
        fw.validate()?;
        Ok(fw)
    }

    /// Checks every structural rule of the framework; the error lists every problem found.
    pub fn validate(&self) -> Result<()> {
        let mut problems = Vec::new();
        let mut p = |s: String| problems.push(s);

        if self.version == 0 {
            p("version must be 1 or more".into());
        }

        let mode_ids: Vec<&str> = self.modes.iter().map(|m| m.id.as_str()).collect();
        if mode_ids != MODE_IDS {
            p(format!(
                "modes must be exactly {MODE_IDS:?} in that order, found {mode_ids:?}"
            ));
        }
        for m in &self.modes {
            for (field, v) in [
                ("name", &m.name),
                ("summary", &m.summary),
                ("description", &m.description),
            ] {
                if v.trim().is_empty() {
                    p(format!("mode {}: {field} is empty", m.id));
                }
            }
        }

        let letter_ids = unique_ids(self.letters.iter().map(|l| l.id.as_str()), "letter", &mut p);
        if self.letters.len() != LETTERS {
            p(format!(
                "there must be {LETTERS} PILAR letters, found {}",
                self.letters.len()
            ));
        }
        for l in &self.letters {
            if l.name.trim().is_empty()
                || l.letter.trim().is_empty()
                || l.question.trim().is_empty()
            {
                p(format!("letter {}: a text field is empty", l.id));
            }
        }

        let force_ids = unique_ids(self.forces.iter().map(|f| f.id.as_str()), "force", &mut p);
        let _ = force_ids;
        let mut per_letter: HashMap<&str, usize> = HashMap::new();
        for f in &self.forces {
            if !letter_ids.contains(f.letter.as_str()) {
                p(format!("force {}: unknown letter {}", f.id, f.letter));
            }
            *per_letter.entry(f.letter.as_str()).or_default() += 1;
            for (field, v) in [
                ("name", &f.name),
                ("description", &f.description),
                ("strong", &f.strong),
                ("weak", &f.weak),
                ("action", &f.action),
            ] {
                if v.trim().is_empty() {
                    p(format!("force {}: {field} is empty", f.id));
                }
            }
        }
        for l in &self.letters {
            let n = per_letter.get(l.id.as_str()).copied().unwrap_or(0);
            if n != FORCES_PER_LETTER {
                p(format!(
                    "letter {} must have {FORCES_PER_LETTER} forces, found {n}",
                    l.id
                ));
            }
        }

        let pillar_ids = unique_ids(self.pillars.iter().map(|x| x.id.as_str()), "pillar", &mut p);
        let mut slots: HashSet<(&str, &str)> = HashSet::new();
        for x in &self.pillars {
            if !MODE_IDS.contains(&x.mode.as_str()) {
                p(format!("pillar {}: unknown mode {}", x.id, x.mode));
            }
            if !letter_ids.contains(x.letter.as_str()) {
                p(format!("pillar {}: unknown letter {}", x.id, x.letter));
            }
            if !slots.insert((x.mode.as_str(), x.letter.as_str())) {
                p(format!(
                    "pillar {}: mode {} already has a pillar for letter {}",
                    x.id, x.mode, x.letter
                ));
            }
            if x.name.trim().is_empty() || x.description.trim().is_empty() {
                p(format!("pillar {}: a text field is empty", x.id));
            }
        }
        if self.pillars.len() != MODE_IDS.len() * LETTERS {
            p(format!(
                "there must be {} pillars (one per mode and letter), found {}",
                MODE_IDS.len() * LETTERS,
                self.pillars.len()
            ));
        }

        let mut pairs: HashSet<(&str, &str)> = HashSet::new();
        let mut per_mode: HashMap<&str, usize> = HashMap::new();
        for c in &self.connections {
            let label = format!("connection {} \u{2192} {}", c.from, c.to);
            if !MODE_IDS.contains(&c.mode.as_str()) {
                p(format!("{label}: unknown mode {}", c.mode));
            }
            for end in [&c.from, &c.to] {
                match self.pillar(end) {
                    None if !pillar_ids.contains(end.as_str()) => {
                        p(format!("{label}: unknown pillar {end}"))
                    }
                    Some(x) if x.mode != c.mode => p(format!(
                        "{label}: pillar {end} belongs to mode {}, not {}",
                        x.mode, c.mode
                    )),
                    _ => {}
                }
            }
            if c.from == c.to {
                p(format!("{label}: a pillar cannot connect to itself"));
            }
            if !pairs.insert((c.from.as_str(), c.to.as_str())) {
                p(format!("{label}: listed more than once"));
            }
            *per_mode.entry(c.mode.as_str()).or_default() += 1;
            if c.name.trim().is_empty() || c.explanation.trim().is_empty() {
                p(format!("{label}: a text field is empty"));
            }
        }
        let expected = LETTERS * (LETTERS - 1);
        for m in MODE_IDS {
            let n = per_mode.get(m).copied().unwrap_or(0);
            if n != expected {
                p(format!(
                    "mode {m} must have {expected} connections (every ordered pair of its pillars), found {n}"
                ));
            }
        }

        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::FrameworkInvalid(problems.join("; ")))
        }
    }

    pub fn pillar(&self, id: &str) -> Option<&Pillar> {
        self.pillars.iter().find(|p| p.id == id)
    }

    pub fn force(&self, id: &str) -> Option<&Force> {
        self.forces.iter().find(|f| f.id == id)
    }

    /// The forces of a pillar, in framework order.
    pub fn forces_of(&self, pillar: &Pillar) -> Vec<&Force> {
        self.forces
            .iter()
            .filter(|f| f.letter == pillar.letter)
            .collect()
    }

    /// The connections leaving a pillar.
    pub fn connections_from<'a>(&'a self, pillar: &'a str) -> impl Iterator<Item = &'a Connection> {
        self.connections.iter().filter(move |c| c.from == pillar)
    }
}

fn unique_ids<'a>(
    ids: impl Iterator<Item = &'a str>,
    what: &str,
    p: &mut impl FnMut(String),
) -> HashSet<&'a str> {
    let mut seen = HashSet::new();
    for id in ids {
        if id.trim().is_empty() {
            p(format!("a {what} has an empty id"));
        } else if !seen.insert(id) {
            p(format!("{what} id {id} is used more than once"));
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin() -> Framework {
        Framework::from_toml(include_str!("../../data/framework.toml")).unwrap()
    }

    fn problems(fw: &Framework) -> String {
        match fw.validate() {
            Err(Error::FrameworkInvalid(m)) => m,
            other => panic!("expected FrameworkInvalid, got {other:?}"),
        }
    }

    #[test]
    fn shipped_framework_is_valid_and_complete() {
        let fw = builtin();
        assert_eq!(fw.modes.len(), 2);
        assert_eq!(fw.pillars.len(), 10);
        assert_eq!(fw.forces.len(), 20);
        assert_eq!(fw.connections.len(), 40);
        for id in [
            "grpprosp",
            "ownprosp",
            "indrecip",
            "dirrecip",
            "popularity",
            "status",
            "divsexp",
            "normexp",
            "outresp",
            "incresp",
        ] {
            assert!(fw.pillar(id).is_some(), "{id}");
        }
        let gp = fw.pillar("grpprosp").unwrap();
        let names: Vec<_> = fw.forces_of(gp).iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            names,
            [
                "goal_clarity",
                "future_confidence",
                "shared_vision",
                "incentive_alignment"
            ]
        );
    }

    #[test]
    fn duplicate_pillar_id_is_named() {
        let mut fw = builtin();
        fw.pillars[1].id = "grpprosp".into();
        let m = problems(&fw);
        assert!(
            m.contains("pillar id grpprosp is used more than once"),
            "{m}"
        );
    }

    #[test]
    fn connection_across_modes_is_rejected() {
        let mut fw = builtin();
        fw.connections[0].to = "dirrecip".into();
        let m = problems(&fw);
        assert!(
            m.contains("pillar dirrecip belongs to mode hierarchical, not egalitarian"),
            "{m}"
        );
    }

    #[test]
    fn duplicate_and_missing_connections_are_counted() {
        let mut fw = builtin();
        fw.connections[1] = fw.connections[0].clone();
        let m = problems(&fw);
        assert!(
            m.contains("connection grpprosp \u{2192} indrecip: listed more than once"),
            "{m}"
        );
        let mut fw = builtin();
        fw.connections.pop();
        let m = problems(&fw);
        assert!(
            m.contains("mode hierarchical must have 20 connections"),
            "{m}"
        );
    }

    #[test]
    fn self_loop_and_unknown_pillar_are_rejected() {
        let mut fw = builtin();
        fw.connections[0].to = "grpprosp".into();
        assert!(problems(&fw).contains("cannot connect to itself"));
        let mut fw = builtin();
        fw.connections[0].from = "nowhere".into();
        assert!(problems(&fw).contains("unknown pillar nowhere"));
    }

    #[test]
    fn force_counts_per_letter_are_checked() {
        let mut fw = builtin();
        fw.forces[0].letter = "involved".into();
        let m = problems(&fw);
        assert!(
            m.contains("letter prospects must have 4 forces, found 3"),
            "{m}"
        );
        assert!(
            m.contains("letter involved must have 4 forces, found 5"),
            "{m}"
        );
    }

    #[test]
    fn unknown_mode_and_empty_text_are_rejected() {
        let mut fw = builtin();
        fw.pillars[0].mode = "anarchic".into();
        fw.forces[3].action = "  ".into();
        let m = problems(&fw);
        assert!(m.contains("pillar grpprosp: unknown mode anarchic"), "{m}");
        assert!(
            m.contains("force incentive_alignment: action is empty"),
            "{m}"
        );
    }

    #[test]
    fn syntax_errors_and_unknown_fields_are_reported() {
        let e = Framework::from_toml("version = ").unwrap_err();
        assert_eq!(e.code(), "framework_invalid");
        let text = include_str!("../../data/framework.toml").replacen(
            "name = \"Egalitarian\"",
            "name = \"Egalitarian\"\ncolour = \"red\"",
            1,
        );
        let e = Framework::from_toml(&text).unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
    }
}
