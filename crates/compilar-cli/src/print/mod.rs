//! How replies read for people. Formatting only: every figure and word comes from the core's reply.

use compilar_core::domain::Pts;
use std::fmt::Write;

use compilar_core::api::{
    Appearance, Assessment, AssessmentPage, DoctorReport, DocumentInfo, FrameworkInfo,
    ImportProgress, ImportStage, JobInfo, PassageDetail, SearchReply, Stage, Theme,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

mod assessments;
mod coach;
mod data;
mod goals;
mod knowledge;
mod system;
mod teams;

pub use assessments::*;
pub use coach::*;
pub use data::*;
pub use goals::*;
pub use knowledge::*;
pub use system::*;
pub use teams::*;

pub(super) fn stage(s: Stage) -> &'static str {
    match s {
        Stage::Quiz => "in progress",
        Stage::Completed => "completed",
    }
}

/// A bar on stderr for one file; hidden with `--json` and when stderr is not a terminal.
pub fn progress_bar(json: bool, path: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        Some(1),
        if json {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        },
    );
    if let Ok(style) = ProgressStyle::with_template("{msg:40!} {wide_bar} {pos}/{len}") {
        bar.set_style(style);
    }
    bar.set_message(path.to_owned());
    bar
}

pub fn import_progress(bar: &ProgressBar, p: &ImportProgress) {
    let what = match p.stage {
        ImportStage::Reading => "reading",
        ImportStage::Chunking => "chunking",
        ImportStage::Embedding => "embedding",
        ImportStage::Saving => "saving",
        ImportStage::Done => "done",
    };
    bar.set_prefix(what);
    bar.set_length(u64::from(p.total.max(1)));
    bar.set_position(u64::from(p.done));
}

pub(super) fn bytes(n: u64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", n.div_ceil(1024))
    }
}

/// A change as the window shows it: whole points with a sign, a minus sign for a fall ("+4", "−3", "0").
pub(super) fn signed(x: f64) -> String {
    let r = x.round();
    if r > 0.0 {
        format!("+{r:.0}")
    } else if r < 0.0 {
        format!("\u{2212}{:.0}", -r)
    } else {
        "0".to_owned()
    }
}

/// A score as the window shows it: whole points.
pub(super) fn score(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_owned(), |v| Pts(v).to_string())
}

pub(super) fn day(at: &str) -> &str {
    at.get(..10).unwrap_or(at)
}
