//! Guidance: two or three short tips for where the user is — choosing a pillar, about to answer a quiz, or
//! reading a result — from a model (a JSON list), or offline from the framework and the knowledge passages.

use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use crate::domain::{Framework, Results};
use crate::llm::Passage;

/// Where the user is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum GuidanceStage {
    /// Choosing a pillar and mode.
    Choosing,
    /// About to answer the questions of a pillar.
    BeforeQuiz,
    /// Reading a completed assessment's results.
    Result,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct GuidanceRequest {
    pub stage: GuidanceStage,
    /// For `before_quiz`.
    #[serde(default)]
    #[ts(optional)]
    pub pillar: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub mode: Option<String>,
    /// For `result`.
    #[serde(default)]
    #[ts(optional)]
    pub assessment_id: Option<String>,
    /// Tips from the framework without a model (the default: tips are free and instant).
    #[serde(default)]
    #[ts(optional)]
    pub use_model: Option<bool>,
}

/// Who wrote the tips.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum GuidanceWriter {
    Model,
    /// The framework and knowledge passages, by rules.
    Framework,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Guidance {
    pub stage: GuidanceStage,
    /// Plain sentences (Markdown allowed), at most three.
    pub tips: Vec<String>,
    pub writer: GuidanceWriter,
    pub provider: Option<String>,
    pub model: Option<String>,
    /// Why the framework's tips are shown when a model was asked for.
    pub notice: Option<String>,
}

/// Most tips, and their longest length.
pub const MAX_TIPS: usize = 3;
pub const MAX_TIP_CHARS: usize = 400;

/// The offline tips for choosing a pillar.
pub fn choosing(fw: &Framework) -> Vec<String> {
    let letters: Vec<&str> = fw.letters.iter().map(|l| l.name.as_str()).collect();
    vec![
        format!(
            "Start with the question that worries you most about your group; each of the five letters ({}) asks one.",
            letters.join(", ")
        ),
        "Pick the mode that matches how the group actually works today: **egalitarian** if people coordinate as \
         peers, **hierarchical** if roles and rank decide. You can take the other later and compare."
            .into(),
        "Think of one group (a team, a committee), and answer for it as it is now, not as it should be."
            .into(),
    ]
}

/// The offline tips before a quiz.
pub fn before_quiz(fw: &Framework, pillar: &str) -> Vec<String> {
    let Some(p) = fw.pillar(pillar) else {
        return Vec::new();
    };
    let forces: Vec<String> = fw
        .forces_of(p)
        .iter()
        .map(|f| f.name.to_lowercase())
        .collect();
    vec![
        format!(
            "{}: think of one group and answer for it as it is now, not as it should be.",
            p.name
        ),
        format!(
            "The questions look at four forces: {}. Some are worded negatively on purpose; answer each as it is.",
            forces.join(", ")
        ),
        "Answer from your own experience of the last few weeks. If you are unsure, the middle of the scale is an \
         honest answer; you can go back and change any answer until you finish."
            .into(),
    ]
}

/// The offline tips on a result: what to notice, one question to ask, and the focus force's first step only
/// when the result's own recommendations do not already give it (the results page shows them together).
pub fn on_result(fw: &Framework, r: &Results, reflection: Option<&Passage>) -> Vec<String> {
    let focus = crate::writing::offline::focus(fw, r);
    let mut tips = Vec::new();
    if let Some((f, s)) = focus.first() {
        if !r.recommendations.iter().any(|x| x.force == f.id) {
            tips.push(format!(
                "First step on **{}** ({}): {}",
                f.name,
                crate::domain::Pts(*s),
                f.action
            ));
        }
        tips.push(format!("Notice this week: {}", f.weak));
    }
    if let Some(p) = reflection {
        if let Some(q) = crate::writing::offline::split_sentences(&p.text)
            .into_iter()
            .find(|s| s.ends_with('?'))
        {
            tips.push(format!("Ask the group: {q}"));
        }
    }
    if tips.is_empty() {
        tips.push("Read the coaching report below for where to focus first.".into());
    }
    tips
}

/// The JSON schema a model's tips must follow.
pub fn schema() -> crate::llm::OutputSchema {
    crate::llm::OutputSchema {
        name: "guidance_tips".into(),
        description: "Short tips for the user".into(),
        schema: json!({
            "type": "object", "additionalProperties": false, "required": ["tips"],
            "properties": {"tips": {"type": "array", "items": {"type": "string"}}}
        }),
    }
}

/// A model's tips, checked: strings, trimmed, at most [`MAX_TIPS`] of at most [`MAX_TIP_CHARS`].
pub fn tips_of(answer: &str) -> Option<Vec<String>> {
    let v = crate::llm::json::first_value(answer)?;
    let list = v.get("tips").and_then(|t| t.as_array()).or(v.as_array())?;
    let tips: Vec<String> = list
        .iter()
        .filter_map(|t| t.as_str())
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty() && t.chars().count() <= MAX_TIP_CHARS)
        .take(MAX_TIPS)
        .collect();
    (!tips.is_empty()).then_some(tips)
}
