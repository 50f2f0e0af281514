//! What a chat call returns: whole replies, stream deltas and token usage.

/// Tokens used by one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenUsage {
    /// Tokens of the prompt (or of the embedded texts).
    pub prompt_tokens: u64,
    /// Tokens generated.
    pub completion_tokens: u64,
}

impl TokenUsage {
    /// Prompt plus completion tokens.
    pub fn total(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FinishReason {
    /// Natural end or stop sequence.
    Stop,
    /// The token limit was reached.
    Length,
    /// The model called a tool.
    ToolCalls,
    /// The provider filtered the content.
    ContentFilter,
    /// Any other reason, as the provider spelled it.
    Other(String),
}

impl FinishReason {
    /// Maps the spellings of the supported providers.
    pub fn from_provider(raw: &str) -> Self {
        match raw {
            "stop" | "end_turn" | "stop_sequence" | "STOP" | "COMPLETE" => FinishReason::Stop,
            "length" | "max_tokens" | "MAX_TOKENS" => FinishReason::Length,
            "tool_calls" | "tool_use" | "function_call" => FinishReason::ToolCalls,
            "content_filter" | "SAFETY" | "RECITATION" => FinishReason::ContentFilter,
            other => FinishReason::Other(other.to_owned()),
        }
    }
}

/// A whole chat reply.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatResponse {
    /// Text of the reply (for tool-based structured output: the tool's JSON input).
    pub content: String,
    /// Why the model stopped, when the provider said.
    pub finish_reason: Option<FinishReason>,
    /// Tokens used.
    pub usage: TokenUsage,
    /// Model that answered, as `provider/model`.
    pub model: String,
}

/// One event of a streamed chat reply.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ChatDelta {
    /// More text of the reply.
    Text(String),
    /// The last event: why the model stopped and the tokens used.
    Done {
        /// Why the model stopped.
        finish_reason: Option<FinishReason>,
        /// Tokens used (zero when the provider did not report them).
        usage: TokenUsage,
    },
}
