//! Results as they are stored in `assessments.results`: their own versioned type, not the type the UI gets,
//! so that the view can change (new fields, bands, labels) without rewriting history or making old rows
//! unreadable. `v` names the layout; a row without it is version 1 (written before versions existed). Fields
//! added to a version get `#[serde(default)]`. The list view reads `$.pillar_score` from the JSON, so that
//! name is part of every version.

use serde::{Deserialize, Serialize};

use crate::domain::scoring;
use crate::domain::{Band, ConfidenceLevel, ForceScore, HighlightKind, Recommendation, Results};

pub const CURRENT: u32 = 1;

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredResultsV1 {
    #[serde(default = "one")]
    pub v: u32,
    pub pillar: String,
    pub mode: String,
    pub pillar_score: f64,
    pub confidence: f64,
    pub confidence_level: ConfidenceLevel,
    pub answered: u32,
    pub total: u32,
    pub forces: Vec<StoredForceV1>,
    /// Empty when fewer than two forces were scored.
    #[serde(default)]
    pub strongest: String,
    #[serde(default)]
    pub weakest: String,
    #[serde(default)]
    pub insights: Vec<String>,
    #[serde(default)]
    pub recommendations: Vec<StoredRecommendationV1>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredForceV1 {
    pub force: String,
    pub name: String,
    pub score: Option<f64>,
    pub answered: u32,
    pub total: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRecommendationV1 {
    pub force: String,
    pub title: String,
    pub text: String,
}

impl From<&Results> for StoredResultsV1 {
    fn from(r: &Results) -> Self {
        StoredResultsV1 {
            v: CURRENT,
            pillar: r.pillar.clone(),
            mode: r.mode.clone(),
            pillar_score: r.pillar_score,
            confidence: r.confidence,
            confidence_level: r.confidence_level,
            answered: r.answered,
            total: r.total,
            forces: r
                .forces
                .iter()
                .map(|f| StoredForceV1 {
                    force: f.force.clone(),
                    name: f.name.clone(),
                    score: f.score,
                    answered: f.answered,
                    total: f.total,
                })
                .collect(),
            strongest: r.strongest.clone().unwrap_or_default(),
            weakest: r.weakest.clone().unwrap_or_default(),
            insights: r.insights.clone(),
            recommendations: r
                .recommendations
                .iter()
                .map(|x| StoredRecommendationV1 {
                    force: x.force.clone(),
                    title: x.title.clone(),
                    text: x.text.clone(),
                })
                .collect(),
        }
    }
}

impl From<StoredResultsV1> for Results {
    fn from(s: StoredResultsV1) -> Self {
        // What stands out is decided again from the scores on every read (the stored `strongest` /
        // `weakest` were chosen by an older rule that named a force even when it did not stand out), and so
        // is the caveat. Rows written before those rules carry insight lines that said the same things the
        // old way; they are left out.
        let band = Band::of(s.pillar_score);
        let forces: Vec<ForceScore> = s
            .forces
            .into_iter()
            .map(|f| ForceScore {
                band: f.score.map(Band::of),
                force: f.force,
                name: f.name,
                score: f.score,
                answered: f.answered,
                total: f.total,
            })
            .collect();
        let highlights = scoring::highlights(&forces);
        const OLD_RULE_LINES: [&str; 4] = [
            "Strongest force: ",
            "Force most under strain: ",
            "The forces are uneven (",
            "You answered ",
        ];
        let insights = s
            .insights
            .into_iter()
            .filter(|i| !OLD_RULE_LINES.iter().any(|p| i.starts_with(p)))
            .collect();
        Results {
            pillar: s.pillar,
            mode: s.mode,
            pillar_score: s.pillar_score,
            band,
            band_label: band.label().to_owned(),
            confidence: s.confidence,
            confidence_level: s.confidence_level,
            answered: s.answered,
            total: s.total,
            forces,
            strongest: scoring::standout(&highlights, HighlightKind::Top),
            weakest: scoring::standout(&highlights, HighlightKind::Bottom),
            caveat: scoring::caveat(s.confidence_level, s.answered, s.total),
            highlights,
            insights,
            recommendations: s
                .recommendations
                .into_iter()
                .map(|x| Recommendation {
                    force: x.force,
                    title: x.title,
                    text: x.text,
                })
                .collect(),
        }
    }
}

/// Reads a stored results document of any known version.
pub fn read(json: &str) -> Result<Results, String> {
    #[derive(Deserialize)]
    struct Version {
        #[serde(default = "one")]
        v: u32,
    }
    let v: Version = serde_json::from_str(json).map_err(|e| e.to_string())?;
    match v.v {
        1 => serde_json::from_str::<StoredResultsV1>(json)
            .map(Results::from)
            .map_err(|e| e.to_string()),
        other => Err(format!(
            "results of layout version {other}, written by a newer release"
        )),
    }
}

/// The scores of a stored results document without its words (insights, recommendations): what progress
/// views read for many assessments at once.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StoredScores {
    #[serde(default = "one")]
    pub v: u32,
    pub pillar_score: f64,
    pub confidence: f64,
    pub confidence_level: ConfidenceLevel,
    pub answered: u32,
    pub total: u32,
    pub forces: Vec<StoredForceV1>,
}

/// Reads the scores of a stored results document of any known version.
pub fn read_scores(json: &str) -> Result<StoredScores, String> {
    let s: StoredScores = serde_json::from_str(json).map_err(|e| e.to_string())?;
    if s.v != 1 {
        return Err(format!(
            "results of layout version {}, written by a newer release",
            s.v
        ));
    }
    Ok(s)
}

/// The JSON to store for `results`, in the current layout.
pub fn write(results: &Results) -> Result<String, String> {
    serde_json::to_string(&StoredResultsV1::from(results)).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row as the first release wrote it: no `v`, the domain struct's fields.
    const RELEASE_1: &str = r#"{"pillar":"grpprosp","mode":"egalitarian","pillar_score":62.5,"confidence":1.0,
        "confidence_level":"high","answered":12,"total":12,
        "forces":[{"force":"goal_clarity","name":"Goal clarity","score":75.0,"answered":3,"total":3},
                  {"force":"future_confidence","name":"Future confidence","score":50.0,"answered":3,"total":3}],
        "strongest":"goal_clarity","weakest":"future_confidence","insights":["x"],
        "recommendations":[{"force":"future_confidence","title":"Future confidence","text":"Do y."}]}"#;

    #[test]
    fn rows_of_the_first_release_still_read() {
        let r = read(RELEASE_1).unwrap();
        assert_eq!(r.pillar_score, 62.5);
        assert_eq!(r.band, Band::Mixed);
        assert_eq!(r.band_label, "Mixed");
        assert_eq!(r.forces[0].band, Some(Band::Strong));
        // 75 against 50: goal clarity stands out, at the top and working well; future confidence, mixed,
        // is the weakest (the old rule's words are not kept).
        assert_eq!(r.strongest.as_deref(), Some("goal_clarity"));
        assert_eq!(r.highlights[0].label, "Strongest force");
        assert_eq!(r.highlights[1].label, "Weakest force");
        assert_eq!(r.caveat, None);
        assert_eq!(r.recommendations.len(), 1);
    }

    #[test]
    fn round_trip_keeps_everything_and_writes_the_version() {
        let r = read(RELEASE_1).unwrap();
        let json = write(&r).unwrap();
        assert!(json.contains("\"v\":1"));
        assert!(json.contains("\"pillar_score\":62.5"));
        assert_eq!(read(&json).unwrap(), r);
    }

    #[test]
    fn scores_read_from_every_layout_and_refuse_a_newer_one() {
        let s = read_scores(RELEASE_1).unwrap();
        assert_eq!(s.pillar_score, 62.5);
        assert_eq!(s.forces[1].score, Some(50.0));
        let current = write(&read(RELEASE_1).unwrap()).unwrap();
        assert_eq!(read_scores(&current).unwrap(), s);
        assert!(read_scores(r#"{"v":2,"pillar_score":1,"confidence":1,"confidence_level":"high","answered":1,"total":1,"forces":[]}"#)
            .unwrap_err()
            .contains("newer release"));
    }

    #[test]
    fn a_newer_layout_is_refused_clearly() {
        let e = read(r#"{"v":2,"pillar":"x"}"#).unwrap_err();
        assert!(e.contains("newer release"), "{e}");
    }
}
