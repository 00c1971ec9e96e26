//! Request and response types of coach chat.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::capabilities::coach::dto::ReportStatus;
use crate::capabilities::knowledge::search::SnippetPart;
use crate::error::ErrorPayload;
use crate::llm::{Passage, Role, Usage};

/// Start a conversation, optionally about some of the user's results.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct NewConversationRequest {
    /// Default: "About <pillar>" for a conversation started from a result, else "New conversation".
    #[ts(optional)]
    pub title: Option<String>,
    /// Completed assessments whose results the coach sees (at most five).
    #[ts(optional)]
    pub context: Option<Vec<String>>,
}

/// One result included as context, as the conversation shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ContextItem {
    pub assessment_id: String,
    pub pillar: String,
    pub pillar_name: String,
    pub mode: String,
    pub pillar_score: Option<f64>,
    pub completed_at: Option<String>,
    /// `false` when the assessment was deleted since (it is then left out of the prompt).
    pub available: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Conversation {
    pub id: String,
    pub title: String,
    pub context: Vec<ContextItem>,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
    /// Sent to the signed-in account's project (off until its owner turns it on).
    pub synced: bool,
}

/// Who wrote an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AnswerWriter {
    Model,
    /// No model could answer: the closest knowledge-base passages, quoted.
    Knowledge,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Message {
    pub id: String,
    pub conversation_id: String,
    pub seq: u32,
    pub role: Role,
    pub content: String,
    pub status: ReportStatus,
    /// For answers: a model or the knowledge base.
    pub writer: Option<AnswerWriter>,
    pub provider: Option<String>,
    pub provider_label: Option<String>,
    pub model: Option<String>,
    /// The passages retrieved for the question this answers (numbered as sent).
    pub passages: Vec<Passage>,
    pub citations: Vec<u32>,
    /// Why the knowledge base answered instead of a model.
    pub notice: Option<String>,
    pub error: Option<ErrorPayload>,
    pub usage: Usage,
    /// How many earlier messages were left out of the context to fit the token budget.
    pub trimmed: u32,
    pub created_at: String,
}

/// A conversation with its messages, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ConversationView {
    pub conversation: Conversation,
    pub messages: Vec<Message>,
    /// An answer is being written now.
    pub running: bool,
    pub model_available: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ConversationSummary {
    pub id: String,
    pub title: String,
    pub messages: u32,
    /// The start of the newest message.
    pub last: Option<String>,
    pub context: u32,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(default)]
pub struct ConversationListRequest {
    /// 1–100 (default 50).
    #[ts(optional)]
    pub limit: Option<u32>,
    #[ts(optional)]
    pub offset: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ConversationPage {
    pub items: Vec<ConversationSummary>,
    pub total: u32,
}

/// Ask the coach.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct SendRequest {
    pub conversation_id: String,
    pub text: String,
    /// Providers to skip.
    #[serde(default)]
    #[ts(optional)]
    pub exclude: Option<Vec<String>>,
    /// Answer from the knowledge base without a model.
    #[serde(default)]
    #[ts(optional)]
    pub offline: Option<bool>,
}

/// Write the last answer again (after a stop or an error, or on another provider).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct RegenerateRequest {
    pub conversation_id: String,
    #[serde(default)]
    #[ts(optional)]
    pub exclude: Option<Vec<String>>,
    #[serde(default)]
    #[ts(optional)]
    pub offline: Option<bool>,
}

/// What a send or regenerate stored: the question (for a send) and the answer, unless nothing was written
/// (stopped before the first word, or refused by the rate limit; the stream's `error` event says which).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SendReply {
    pub question: Option<Message>,
    pub answer: Option<Message>,
}

/// Turn syncing of one conversation on or off.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct SyncConversationRequest {
    pub conversation_id: String,
    pub synced: bool,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct RenameRequest {
    pub conversation_id: String,
    pub title: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SetContextRequest {
    pub conversation_id: String,
    pub context: Vec<String>,
}

/// Full-text search over every message of the user's conversations.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct MessageSearchRequest {
    pub query: String,
    /// 1–50 (default 20).
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct MessageHit {
    pub conversation_id: String,
    pub conversation_title: String,
    pub message_id: String,
    pub role: Role,
    pub snippet: Vec<SnippetPart>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct MessageSearchReply {
    pub hits: Vec<MessageHit>,
    #[ts(type = "number")]
    pub took_us: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Markdown,
    Json,
}

/// The id of the conversation an action applied to (delete returns it so the UI can offer undo).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ConversationRef {
    pub id: String,
}
