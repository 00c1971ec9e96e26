//! The framework explorer: the forces of a pillar, the connections of a mode, the kinds of passage.

use super::dto::{Category, PillarForces};
use super::Knowledge;
use crate::domain::Connection;
use crate::error::Result;
use crate::validate::check_len;

/// The kinds of passage users can filter by, with their labels (the `document` kind is the user's own).
const CATEGORY_LABELS: [(&str, &str); 6] = [
    ("overview", "What it is"),
    ("signs", "Signs"),
    ("practice", "What to do"),
    ("reflection", "Questions to reflect on"),
    ("connection", "Connections"),
    ("document", "Your documents"),
];

impl Knowledge<'_> {
    /// The forces of a pillar, checking that the pillar belongs to `mode`.
    pub fn forces_of_pillar(&self, pillar: &str, mode: &str) -> Result<PillarForces> {
        check_len(pillar, "pillar")?;
        check_len(mode, "mode")?;
        let d = &self.domain;
        let (p, _) = d.pillar_in_mode(pillar, mode)?;
        Ok(PillarForces {
            pillar: p.clone(),
            forces: d.framework.forces_of(p).into_iter().cloned().collect(),
        })
    }

    /// The 20 directed connections between the pillars of a mode.
    pub fn connections_of_mode(&self, mode: &str) -> Result<Vec<Connection>> {
        check_len(mode, "mode")?;
        let d = &self.domain;
        let m = d.mode(mode)?;
        Ok(d.framework
            .connections
            .iter()
            .filter(|c| c.mode == m.id)
            .cloned()
            .collect())
    }
}

/// The categories of passage, in the order a filter lists them.
pub fn categories() -> Vec<Category> {
    debug_assert!(CATEGORY_LABELS
        .iter()
        .all(|(id, _)| super::content::CATEGORIES.contains(id)));
    CATEGORY_LABELS
        .iter()
        .map(|(id, label)| Category {
            id: (*id).to_owned(),
            label: (*label).to_owned(),
        })
        .collect()
}
