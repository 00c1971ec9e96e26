//! Request types of the AI capability.

use serde::Deserialize;
use ts_rs::TS;

/// A question for a model ("try a prompt" in Settings).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct AskRequest {
    /// Chosen by the caller; [`crate::App::cancel_stream`] stops the stream with it.
    pub request_id: String,
    pub prompt: String,
    /// Providers to skip ("retry with another provider").
    #[serde(default)]
    pub exclude: Vec<String>,
}
