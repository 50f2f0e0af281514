//! The chat trait, and its object-safe twin.

use std::future::Future;

use crate::embedder::BoxFuture;
use crate::error::Result;
use crate::message::ChatMessage;
use crate::options::ChatOptions;
use crate::response::ChatResponse;

/// Answers a conversation with one whole reply.
pub trait ChatModel: Send + Sync {
    /// Sends `messages` and returns the reply.
    fn chat(
        &self,
        messages: &[ChatMessage],
        options: &ChatOptions,
    ) -> impl Future<Output = Result<ChatResponse>> + Send;
}

/// Object-safe [`ChatModel`], implemented for every chat model.
pub trait DynChatModel: Send + Sync {
    /// Sends `messages` and returns the reply, boxed.
    fn chat_boxed<'a>(
        &'a self,
        messages: &'a [ChatMessage],
        options: &'a ChatOptions,
    ) -> BoxFuture<'a, Result<ChatResponse>>;
}

impl<M: ChatModel> DynChatModel for M {
    fn chat_boxed<'a>(
        &'a self,
        messages: &'a [ChatMessage],
        options: &'a ChatOptions,
    ) -> BoxFuture<'a, Result<ChatResponse>> {
        Box::pin(self.chat(messages, options))
    }
}

impl ChatModel for crate::service::LlmService {
    async fn chat(&self, messages: &[ChatMessage], options: &ChatOptions) -> Result<ChatResponse> {
        crate::service::LlmService::chat(self, messages, options).await
    }
}
