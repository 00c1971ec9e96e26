//! The built-in question bank: Likert items, each measuring one force of one pillar.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::framework::Framework;
use crate::error::{Error, Result};

/// Minimum number of items per pillar and force.
pub const MIN_ITEMS_PER_FORCE: usize = 3;

/// The answer scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    #[ts(type = "number")]
    pub min: i64,
    #[ts(type = "number")]
    pub max: i64,
    /// One label per point of the scale, from `min` to `max`.
    pub labels: Vec<String>,
}

/// One question of the bank.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Question {
    /// `<pillar>.<force>.<n>`
    pub id: String,
    pub pillar: String,
    pub mode: String,
    pub force: String,
    pub text: String,
    /// Agreement signals a weak force; the answer is inverted before scoring. Not shown to users.
    #[serde(skip)]
    #[ts(skip)]
    pub reverse: bool,
    /// A fresh question written by a model (and checked) rather than one of the reviewed bank's.
    pub generated: bool,
}

/// The prefix of a fresh question's id inside an assessment (`fresh.<uuid>`), so it never meets a bank id.
pub const FRESH_PREFIX: &str = "fresh.";

/// Whether `id` names a fresh question (`fresh.` and a UUID).
pub fn is_fresh_id(id: &str) -> bool {
    id.strip_prefix(FRESH_PREFIX)
        .is_some_and(|u| uuid::Uuid::try_parse(u).is_ok())
}

/// The validated question bank.
#[derive(Debug, Clone)]
pub struct QuestionBank {
    pub version: u32,
    pub scale: Scale,
    questions: Vec<Question>,
    by_id: HashMap<String, usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BankFile {
    version: u32,
    scale: Scale,
    pillars: Vec<PillarItems>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PillarItems {
    pillar: String,
    items: BTreeMap<String, Vec<Item>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Item {
    n: u32,
    text: String,
    #[serde(default)]
    reverse: bool,
}

impl QuestionBank {
    /// Parses the bank and validates it against the framework; the error lists every problem found.
    pub fn from_toml(text: &str, fw: &Framework) -> Result<QuestionBank> {
        let file: BankFile = toml::from_str(text)
            .map_err(|e| Error::FrameworkInvalid(format!("question bank: {e}")))?;
        let mut problems = Vec::new();
        if file.version == 0 {
            problems.push("question bank version must be 1 or more".to_owned());
        }
        let s = &file.scale;
        if s.min >= s.max {
            problems.push(format!("scale min {} must be below max {}", s.min, s.max));
        } else if s.labels.len() as i64 != s.max - s.min + 1 {
            problems.push(format!(
                "the scale has {} points but {} labels",
                s.max - s.min + 1,
                s.labels.len()
            ));
        }

        // Keep framework order (pillars, then forces) so the unshuffled order is meaningful.
        let mut questions = Vec::new();
        let mut seen_pillars = HashSet::new();
        for block in &file.pillars {
            let Some(pillar) = fw.pillar(&block.pillar) else {
                problems.push(format!("question bank: unknown pillar {}", block.pillar));
                continue;
            };
            if !seen_pillars.insert(pillar.id.as_str()) {
                problems.push(format!("question bank: pillar {} listed twice", pillar.id));
            }
            let forces = fw.forces_of(pillar);
            for key in block.items.keys() {
                if !forces.iter().any(|f| &f.id == key) {
                    problems.push(format!(
                        "question bank: {key} is not a force of pillar {} (its forces are {})",
                        pillar.id,
                        forces
                            .iter()
                            .map(|f| f.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
            for force in forces {
                let items = block.items.get(&force.id).map(Vec::as_slice).unwrap_or(&[]);
                if items.len() < MIN_ITEMS_PER_FORCE {
                    problems.push(format!(
                        "question bank: pillar {} force {} needs at least {MIN_ITEMS_PER_FORCE} items, found {}",
                        pillar.id,
                        force.id,
                        items.len()
                    ));
                }
                for item in items {
                    let id = format!("{}.{}.{}", pillar.id, force.id, item.n);
                    if item.text.trim().is_empty() {
                        problems.push(format!("question {id}: text is empty"));
                    }
                    questions.push(Question {
                        generated: false,
                        id,
                        pillar: pillar.id.clone(),
                        mode: pillar.mode.clone(),
                        force: force.id.clone(),
                        text: item.text.trim().to_owned(),
                        reverse: item.reverse,
                    });
                }
            }
        }
        for pillar in &fw.pillars {
            if !seen_pillars.contains(pillar.id.as_str()) {
                problems.push(format!(
                    "question bank: pillar {} has no questions",
                    pillar.id
                ));
            }
        }
        let mut by_id = HashMap::new();
        for (i, q) in questions.iter().enumerate() {
            if by_id.insert(q.id.clone(), i).is_some() {
                problems.push(format!("question id {} is used more than once", q.id));
            }
        }
        if !questions.iter().any(|q| q.reverse) {
            problems.push("question bank: no reverse-scored items".to_owned());
        }
        if !problems.is_empty() {
            return Err(Error::FrameworkInvalid(problems.join("; ")));
        }
        Ok(QuestionBank {
            version: file.version,
            scale: file.scale,
            questions,
            by_id,
        })
    }

    pub fn get(&self, id: &str) -> Option<&Question> {
        self.by_id.get(id).map(|&i| &self.questions[i])
    }

    pub fn all(&self) -> &[Question] {
        &self.questions
    }

    /// The questions of one pillar, in bank order.
    pub fn for_pillar<'a>(&'a self, pillar: &'a str) -> impl Iterator<Item = &'a Question> + 'a {
        self.questions.iter().filter(move |q| q.pillar == pillar)
    }

    /// The ids of a pillar's questions in a stable order shuffled by `seed` (the assessment's id).
    pub fn shuffled_ids(&self, pillar: &str, seed: u64) -> Vec<String> {
        let mut ids: Vec<String> = self.for_pillar(pillar).map(|q| q.id.clone()).collect();
        let mut rng = SplitMix64(seed);
        for i in (1..ids.len()).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            ids.swap(i, j);
        }
        ids
    }
}

/// A tiny, fixed PRNG: the order it gives never changes between releases (also the benchmarks' noise source).
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FW: &str = include_str!("../../data/framework.toml");
    const QB: &str = include_str!("../../data/questions.toml");

    fn fw() -> Framework {
        Framework::from_toml(FW).unwrap()
    }

    fn err(text: &str) -> String {
        QuestionBank::from_toml(text, &fw())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn shipped_bank_covers_every_pillar_and_force() {
        let fw = fw();
        let bank = QuestionBank::from_toml(QB, &fw).unwrap();
        assert!(bank.all().len() >= 120);
        for p in &fw.pillars {
            for f in fw.forces_of(p) {
                let n = bank.for_pillar(&p.id).filter(|q| q.force == f.id).count();
                assert!(n >= 3, "{} {}", p.id, f.id);
                assert!(bank.for_pillar(&p.id).any(|q| q.force == f.id && q.reverse));
            }
        }
        let q = bank.get("grpprosp.goal_clarity.3").unwrap();
        assert!(q.reverse);
        assert_eq!(q.mode, "egalitarian");
        assert_eq!(bank.scale.labels.len(), 5);
    }

    #[test]
    fn shuffle_is_stable_per_seed_and_a_permutation() {
        let bank = QuestionBank::from_toml(QB, &fw()).unwrap();
        let a = bank.shuffled_ids("status", 42);
        let b = bank.shuffled_ids("status", 42);
        let c = bank.shuffled_ids("status", 43);
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut sorted = a.clone();
        sorted.sort();
        let mut orig: Vec<_> = bank.for_pillar("status").map(|q| q.id.clone()).collect();
        orig.sort();
        assert_eq!(sorted, orig);
    }

    #[test]
    fn too_few_items_are_named() {
        let text = QB.replacen(
            "  { n = 2, text = \"As peers, we agree on which goals matter most right now.\" },\n",
            "",
            1,
        );
        let m = err(&text);
        assert!(
            m.contains("pillar grpprosp force goal_clarity needs at least 3 items, found 2"),
            "{m}"
        );
    }

    #[test]
    fn wrong_force_duplicate_id_and_bad_scale_are_named() {
        let text = QB.replacen(
            "[pillars.items]\ngoal_clarity",
            "[pillars.items]\nhelp_norms",
            1,
        );
        let m = err(&text);
        assert!(
            m.contains("help_norms is not a force of pillar grpprosp"),
            "{m}"
        );

        let text = QB.replacen(
            "{ n = 2, text = \"As peers",
            "{ n = 1, text = \"As peers",
            1,
        );
        assert!(err(&text).contains("question id grpprosp.goal_clarity.1 is used more than once"));

        let text = QB.replacen("max = 5", "max = 7", 1);
        assert!(err(&text).contains("the scale has 7 points but 5 labels"));

        let text = QB.replacen("pillar = \"status\"", "pillar = \"stature\"", 1);
        let m = err(&text);
        assert!(m.contains("unknown pillar stature"), "{m}");
        assert!(m.contains("pillar status has no questions"), "{m}");
    }
}
