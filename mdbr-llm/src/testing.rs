//! Test doubles for downstream apps (feature `test-utils`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::chat_model::ChatModel;
use crate::embedder::Embedder;
use crate::error::Result;
use crate::hashing::HashingEmbedder;
use crate::message::ChatMessage;
use crate::options::ChatOptions;
use crate::response::{ChatResponse, FinishReason, TokenUsage};

/// An offline embedder for tests: lexical hashing vectors of `dims`
/// dimensions, counting the calls and texts it received. Clones share the counters.
#[derive(Debug, Clone)]
pub struct FixedEmbedder {
    hashing: HashingEmbedder,
    calls: Arc<AtomicUsize>,
    texts: Arc<AtomicUsize>,
}

impl FixedEmbedder {
    /// An embedder of `dims` dimensions (at least 1).
    pub fn new(dims: usize) -> Self {
        Self {
            hashing: HashingEmbedder::clamped(dims),
            calls: Arc::default(),
            texts: Arc::default(),
        }
    }

    /// Calls of `embed` so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }

    /// Texts embedded so far.
    pub fn texts(&self) -> usize {
        self.texts.load(Ordering::Relaxed)
    }
}

impl Embedder for FixedEmbedder {
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.texts.fetch_add(texts.len(), Ordering::Relaxed);
        Ok(texts.iter().map(|t| self.hashing.embed_one(t)).collect())
    }
}

/// A scripted chat model for tests: answers with queued replies in order
/// (then with `"ok"`), and records every conversation it received.
/// Clones share the queue and the record.
#[derive(Debug, Clone, Default)]
pub struct MockLlm {
    replies: Arc<Mutex<VecDeque<String>>>,
    received: Arc<Mutex<Vec<Vec<ChatMessage>>>>,
}

impl MockLlm {
    /// A mock with no queued replies.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues a reply.
    #[must_use]
    pub fn with_reply(self, reply: impl Into<String>) -> Self {
        if let Ok(mut q) = self.replies.lock() {
            q.push_back(reply.into());
        }
        self
    }

    /// The conversations received so far.
    pub fn received(&self) -> Vec<Vec<ChatMessage>> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl ChatModel for MockLlm {
    async fn chat(&self, messages: &[ChatMessage], options: &ChatOptions) -> Result<ChatResponse> {
        if let Ok(mut r) = self.received.lock() {
            r.push(messages.to_vec());
        }
        let content = self
            .replies
            .lock()
            .ok()
            .and_then(|mut q| q.pop_front())
            .unwrap_or_else(|| "ok".to_owned());
        let prompt: usize = messages.iter().map(|m| m.content.split_whitespace().count()).sum();
        Ok(ChatResponse {
            usage: TokenUsage {
                prompt_tokens: prompt as u64,
                completion_tokens: content.split_whitespace().count() as u64,
            },
            content,
            finish_reason: Some(FinishReason::Stop),
            model: options.model.clone().unwrap_or_else(|| "mock/mock".to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat_model::DynChatModel;

    #[tokio::test]
    async fn mock_llm_replies_in_order_and_records() {
        let mock = MockLlm::new().with_reply("first").with_reply("second");
        let boxed: Box<dyn DynChatModel> = Box::new(mock.clone());
        let opts = ChatOptions::new();
        assert_eq!(
            boxed.chat_boxed(&[ChatMessage::user("a")], &opts).await.unwrap().content,
            "first"
        );
        assert_eq!(mock.chat(&[ChatMessage::user("b")], &opts).await.unwrap().content, "second");
        assert_eq!(mock.chat(&[], &opts).await.unwrap().content, "ok");
        assert_eq!(mock.received()[1][0].content, "b");
    }

    #[tokio::test]
    async fn fixed_embedder_counts_calls() {
        let e = FixedEmbedder::new(4);
        let v = e.embed(&["a b".to_owned(), "c".to_owned()]).await.unwrap();
        assert_eq!((v.len(), v[0].len(), e.calls(), e.texts()), (2, 4, 1, 2));
    }
}
