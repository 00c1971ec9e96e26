//! The vocabulary shared by the providers and the service.

use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::error::LlmError;

/// Which wire protocol a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// OpenAI's API (or an Azure-style / compatible gateway at another base URL), through async-openai.
    Openai,
    /// Anthropic's Messages API.
    Anthropic,
    /// Ollama's native API (`/api/chat`, `/api/tags`), which honours `num_ctx`.
    Ollama,
    /// Any OpenAI-compatible local server (LM Studio, llama.cpp server), usually without a key.
    OpenaiCompatible,
}

impl ProviderKind {
    /// Whether calls need an API key.
    pub fn needs_key(self) -> bool {
        matches!(self, ProviderKind::Openai | ProviderKind::Anthropic)
    }

    /// The environment variable that overrides the stored key (headless use).
    pub fn key_env_var(self) -> Option<&'static str> {
        match self {
            ProviderKind::Openai => Some("OPENAI_API_KEY"),
            ProviderKind::Anthropic => Some("ANTHROPIC_API_KEY"),
            _ => None,
        }
    }
}

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

/// What is sent to a model. The system prompt is kept apart (Anthropic takes it as its own field).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prompt {
    pub system: Option<String>,
    pub messages: Vec<ChatMessage>,
    pub max_tokens: u32,
    pub temperature: Option<f32>,
    /// Ask for a JSON answer of this shape, with the provider's structured-output feature: OpenAI's
    /// `response_format` `json_schema`, Anthropic's forced tool call with the schema as its `input_schema`,
    /// Ollama's `format`. The answer text is then the JSON.
    #[serde(default)]
    pub schema: Option<OutputSchema>,
}

/// A JSON Schema for a structured answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputSchema {
    /// `a-z`, `A-Z`, `0-9`, `_`, `-`; at most 64 characters (OpenAI's and Anthropic's rule for names).
    pub name: String,
    pub description: String,
    pub schema: serde_json::Value,
}

impl Prompt {
    /// A rough token count (4 characters a token), for context checks before sending.
    pub fn estimated_tokens(&self) -> u32 {
        let chars: usize = self.system.as_deref().map_or(0, str::len)
            + self
                .messages
                .iter()
                .map(|m| m.content.len() + 4)
                .sum::<usize>();
        (chars / 4) as u32 + 1
    }
}

/// Token counts reported by the provider (0 when it reports none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Usage {
    pub input_tokens: u32,
    pub output_tokens: u32,
}

/// A whole answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub text: String,
    pub model: String,
    pub usage: Usage,
}

/// One piece of a streamed answer. A stream that ends without `Done` was cut off.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamPiece {
    Token(String),
    Done(Usage),
}

pub type TokenStream = BoxStream<'static, Result<StreamPiece, LlmError>>;

/// Which product feature made a call (recorded in the call log).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// The "try a prompt" box in Settings.
    Playground,
    /// "Test connection" in Settings.
    ConnectionTest,
    /// Embedding text for search.
    Embedding,
    /// A coaching report for a completed assessment.
    CoachReport,
    /// An answer in coach chat.
    CoachChat,
    /// Fresh questions for an assessment.
    Questions,
    /// Content analysis of a text.
    Analysis,
    /// Tips for where the user is.
    Guidance,
}

impl Feature {
    pub fn as_str(self) -> &'static str {
        match self {
            Feature::Playground => "playground",
            Feature::ConnectionTest => "connection_test",
            Feature::Embedding => "embedding",
            Feature::CoachReport => "coach_report",
            Feature::CoachChat => "coach_chat",
            Feature::Questions => "questions",
            Feature::Analysis => "analysis",
            Feature::Guidance => "guidance",
        }
    }

    /// Whether the per-user AI-action limit applies (it guards what a person asks for, not upkeep).
    pub fn rate_limited(self) -> bool {
        matches!(
            self,
            Feature::Playground
                | Feature::CoachReport
                | Feature::CoachChat
                | Feature::Questions
                | Feature::Analysis
                | Feature::Guidance
        )
    }
}

/// A knowledge-base passage sent to a model with a prompt, numbered as the model saw it; a citation `[n]` in
/// the answer refers to passage `n`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Passage {
    pub number: u32,
    #[ts(type = "number")]
    pub chunk_id: i64,
    pub passage_id: String,
    pub title: String,
    pub text: String,
    /// Where it comes from: the PILAR knowledge base or one of the user's documents (its title).
    pub source_title: String,
    /// `builtin` or `document`.
    pub source_kind: String,
    pub category: String,
    pub force: Option<String>,
}
