//! The PILAR domain: framework data, question bank and scoring. Pure: no I/O.

pub mod framework;
pub mod questions;
pub mod scoring;
pub mod server_data;

pub use framework::{Connection, ConnectionKind, Force, Framework, Letter, Mode, Pillar};
pub use questions::{is_fresh_id, Question, QuestionBank, Scale, FRESH_PREFIX};
pub use scoring::{
    score, score_with, shown_change, Band, ConfidenceLevel, ForceScore, Highlight, HighlightKind,
    Pts, Recommendation, Results,
};

use crate::error::{Error, Result};

/// The framework and its question bank, loaded and validated together.
#[derive(Debug, Clone)]
pub struct Domain {
    pub framework: Framework,
    pub bank: QuestionBank,
}

const FRAMEWORK_TOML: &str = include_str!("../../data/framework.toml");
const QUESTIONS_TOML: &str = include_str!("../../data/questions.toml");

impl Domain {
    /// The framework and question bank shipped inside the binary.
    pub fn builtin() -> Result<Domain> {
        Domain::from_toml(FRAMEWORK_TOML, QUESTIONS_TOML)
    }

    /// Parse and validate a framework file and a question bank file.
    pub fn from_toml(framework: &str, questions: &str) -> Result<Domain> {
        let framework = Framework::from_toml(framework)?;
        let bank = QuestionBank::from_toml(questions, &framework)?;
        Ok(Domain { framework, bank })
    }

    /// Looks up a mode by id, with a typed error for unknown ids.
    pub fn mode(&self, id: &str) -> Result<&Mode> {
        self.framework
            .modes
            .iter()
            .find(|m| m.id == id)
            .ok_or_else(|| Error::UnknownMode(truncate_for_message(id)))
    }

    /// Looks up a pillar by id, with a typed error for unknown ids.
    pub fn pillar(&self, id: &str) -> Result<&Pillar> {
        self.framework
            .pillar(id)
            .ok_or_else(|| Error::UnknownPillar(truncate_for_message(id)))
    }
}

impl Domain {
    /// The pillar and the mode, checking that the pillar belongs to the mode.
    pub fn pillar_in_mode(&self, pillar: &str, mode: &str) -> Result<(&Pillar, &Mode)> {
        let m = self.mode(mode)?;
        let p = self.pillar(pillar)?;
        if p.mode != m.id {
            return Err(Error::PillarModeMismatch {
                pillar: p.name.clone(),
                pillar_mode: p.mode.clone(),
                mode: m.id.clone(),
            });
        }
        Ok((p, m))
    }
}

/// Echoing user input in a message is helpful, echoing a megabyte is not.
pub(crate) fn truncate_for_message(s: &str) -> String {
    const MAX: usize = 64;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(MAX).collect();
        t.push('\u{2026}');
        t
    }
}
