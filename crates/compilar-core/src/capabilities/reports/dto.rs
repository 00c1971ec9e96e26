//! Request and response types of the result reports (HTML and PDF).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A result as a file for printing or sharing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    /// One self-contained HTML file (styles and chart inside it).
    Html,
    Pdf,
}

impl ReportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Html => "html",
            ReportFormat::Pdf => "pdf",
        }
    }
}

/// Where a report was written.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ReportFile {
    pub path: String,
    #[ts(type = "number")]
    pub bytes: u64,
}
