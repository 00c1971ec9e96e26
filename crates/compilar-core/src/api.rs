//! Every request and response type of the capabilities in one place, for the shells. Each type is defined in
//! its capability's `dto` module; the UI's TypeScript types are generated from them (see `lib.rs`).

pub use crate::capabilities::account::dto::*;
pub use crate::capabilities::ai::dto::*;
pub use crate::capabilities::analysis::dto::*;
pub use crate::capabilities::assessments::dto::*;
pub use crate::capabilities::chat::dto::*;
pub use crate::capabilities::coach::dto::*;
pub use crate::capabilities::coach::guidance::{
    Guidance, GuidanceRequest, GuidanceStage, GuidanceWriter,
};
pub use crate::capabilities::data::dto::*;
pub use crate::capabilities::diagnostics::dto::*;
pub use crate::capabilities::documents::dto::*;
pub use crate::capabilities::full_profiles::dto::*;
pub use crate::capabilities::goals::dto::*;
pub use crate::capabilities::knowledge::dto::*;
pub use crate::capabilities::knowledge::search::MatchStrength;
pub use crate::capabilities::progress::dto::*;
pub use crate::capabilities::questions::dto::*;
pub use crate::capabilities::reports::dto::*;
pub use crate::capabilities::settings::dto::*;
pub use crate::capabilities::sync::dto::*;
pub use crate::capabilities::teams::dto::*;
pub use crate::capabilities::teams::{invitation_in_link, INVITE_LINK_PREFIX};
pub use crate::jobs::{JobInfo, JobKind};
