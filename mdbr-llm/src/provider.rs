//! Provider endpoints: where a `provider/model` string is sent, with which key,
//! and how each provider's request and response bodies look.

mod anthropic;
mod cohere;
mod gemini;
mod openai;
mod voyage;

use std::collections::BTreeMap;

use mdbr_core::LlmConfig;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::message::ChatMessage;
use crate::response::{ChatDelta, ChatResponse, FinishReason, TokenUsage};

/// The wire format a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// OpenAI and OpenAI-compatible servers (ollama, vllm, any configured base_url).
    OpenAi,
    /// Azure OpenAI: deployments, `api-key` header, `api-version` query.
    Azure,
    /// Anthropic Messages API.
    Anthropic,
    /// Google Gemini API.
    Gemini,
    /// Voyage AI embeddings.
    Voyage,
    /// Cohere embeddings (v2).
    Cohere,
    /// The in-process hashing embedder.
    Local,
}

/// A resolved provider: wire format, base URL and credentials.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub(crate) kind: Kind,
    pub(crate) name: String,
    pub(crate) base_url: String,
    api_key: Option<String>,
    api_version: Option<String>,
}

/// A JSON Schema the reply must match.
#[derive(Debug, Clone)]
pub(crate) struct SchemaSpec {
    pub(crate) name: String,
    pub(crate) schema: Value,
}

/// One chat request, provider-neutral.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChatRequest<'a> {
    pub(crate) model: &'a str,
    pub(crate) messages: &'a [ChatMessage],
    pub(crate) temperature: Option<f64>,
    pub(crate) max_tokens: Option<u32>,
    pub(crate) schema: Option<&'a SchemaSpec>,
}

/// Overrides set in code (tests, self-hosted servers) over config and environment.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overrides {
    pub(crate) base_urls: BTreeMap<String, String>,
    pub(crate) api_keys: BTreeMap<String, String>,
}

impl Endpoint {
    /// Resolves provider `name` from overrides, `llm_config.providers` and the environment.
    pub(crate) fn resolve(name: &str, config: &LlmConfig, overrides: &Overrides) -> Result<Self> {
        let configured = config.providers.get(name);
        let (kind, default_url, default_env) = match name {
            "openai" => (Kind::OpenAi, Some("https://api.openai.com/v1"), Some("OPENAI_API_KEY")),
            "azure" => (Kind::Azure, None, Some("AZURE_OPENAI_API_KEY")),
            "anthropic" => {
                (Kind::Anthropic, Some("https://api.anthropic.com"), Some("ANTHROPIC_API_KEY"))
            }
            "gemini" => (
                Kind::Gemini,
                Some("https://generativelanguage.googleapis.com"),
                Some("GEMINI_API_KEY"),
            ),
            "voyage" => (Kind::Voyage, Some("https://api.voyageai.com/v1"), Some("VOYAGE_API_KEY")),
            "cohere" => (Kind::Cohere, Some("https://api.cohere.com"), Some("COHERE_API_KEY")),
            "local" => (Kind::Local, Some(""), None),
            "ollama" => (Kind::OpenAi, Some("http://localhost:11434/v1"), None),
            "vllm" => (Kind::OpenAi, Some("http://localhost:8000/v1"), None),
            _ => (Kind::OpenAi, None, None),
        };
        let base_url = overrides
            .base_urls
            .get(name)
            .cloned()
            .or_else(|| configured.and_then(|p| p.base_url.clone()))
            .or_else(|| {
                (kind == Kind::Azure).then(|| std::env::var("AZURE_OPENAI_ENDPOINT").ok()).flatten()
            })
            .or_else(|| default_url.map(str::to_owned))
            .ok_or_else(|| Error::UnknownProvider(name.to_owned()))?;
        let key_env = configured.and_then(|p| p.api_key_env.as_deref()).or(default_env);
        let api_key =
            overrides.api_keys.get(name).cloned().or_else(|| {
                key_env.and_then(|env| std::env::var(env).ok()).filter(|k| !k.is_empty())
            });
        if api_key.is_none()
            && let Some(env) = default_env.filter(|_| kind != Kind::OpenAi || name == "openai")
        {
            return Err(Error::MissingApiKey {
                provider: name.to_owned(),
                env: key_env.unwrap_or(env).to_owned(),
            });
        }
        let api_version = configured
            .and_then(|p| p.api_version.clone())
            .or_else(|| {
                (kind == Kind::Azure)
                    .then(|| std::env::var("AZURE_OPENAI_API_VERSION").ok())
                    .flatten()
            })
            .or_else(|| (kind == Kind::Azure).then(|| "2024-10-21".to_owned()));
        Ok(Self {
            kind,
            name: name.to_owned(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key,
            api_version,
        })
    }

    /// A POST to `url` with this provider's authentication headers.
    pub(crate) fn post(&self, http: &reqwest::Client, url: &str) -> reqwest::RequestBuilder {
        let builder = http.post(url);
        let Some(key) = self.api_key.as_deref() else { return builder };
        match self.kind {
            Kind::OpenAi | Kind::Voyage | Kind::Cohere | Kind::Local => builder.bearer_auth(key),
            Kind::Azure => builder.header("api-key", key),
            Kind::Anthropic => builder.header("x-api-key", key),
            Kind::Gemini => builder.header("x-goog-api-key", key),
        }
    }

    /// The chat request for this provider.
    pub(crate) fn chat_request(
        &self,
        http: &reqwest::Client,
        req: &ChatRequest<'_>,
        stream: bool,
    ) -> Result<reqwest::RequestBuilder> {
        let (url, body) = match self.kind {
            Kind::OpenAi => (
                format!("{}/chat/completions", self.base_url),
                openai::chat_body(req, stream, self.has_native_schema()),
            ),
            Kind::Azure => (
                format!(
                    "{}/openai/deployments/{}/chat/completions?api-version={}",
                    self.base_url,
                    req.model,
                    self.api_version.as_deref().unwrap_or_default()
                ),
                openai::chat_body(req, stream, self.has_native_schema()),
            ),
            Kind::Anthropic => {
                (format!("{}/v1/messages", self.base_url), anthropic::chat_body(req, stream))
            }
            Kind::Gemini => {
                let method =
                    if stream { "streamGenerateContent?alt=sse" } else { "generateContent" };
                (
                    format!("{}/v1beta/models/{}:{method}", self.base_url, req.model),
                    gemini::chat_body(req),
                )
            }
            Kind::Voyage | Kind::Cohere | Kind::Local => {
                return Err(Error::Unsupported { provider: self.name.clone(), operation: "chat" });
            }
        };
        let mut builder = self.post(http, &url).json(&body);
        if self.kind == Kind::Anthropic {
            builder = builder.header("anthropic-version", "2023-06-01");
        }
        Ok(builder)
    }

    /// Whether structured output uses the provider's strict `json_schema` mode.
    pub(crate) fn has_native_schema(&self) -> bool {
        matches!(self.name.as_str(), "openai" | "azure" | "anthropic" | "gemini")
    }

    /// Reads a whole chat reply.
    pub(crate) fn parse_chat(&self, label: &str, body: &Value) -> Result<ChatResponse> {
        let parsed = match self.kind {
            Kind::OpenAi | Kind::Azure => openai::parse_chat(body),
            Kind::Anthropic => anthropic::parse_chat(body),
            Kind::Gemini => gemini::parse_chat(body),
            Kind::Voyage | Kind::Cohere | Kind::Local => None,
        };
        let (content, finish_reason, usage) =
            parsed.ok_or_else(|| self.decode("no reply text in the chat response"))?;
        Ok(ChatResponse { content, finish_reason, usage, model: label.to_owned() })
    }

    /// A parser for this provider's stream events.
    pub(crate) fn stream_parser(&self) -> StreamParser {
        StreamParser { kind: self.kind, finish: None, usage: TokenUsage::default(), done: false }
    }

    /// Largest number of texts in one embedding request.
    pub(crate) fn embed_batch_limit(&self) -> usize {
        match self.kind {
            Kind::OpenAi | Kind::Azure => 2048,
            Kind::Voyage => 128,
            Kind::Cohere => 96,
            Kind::Gemini => 100,
            Kind::Anthropic | Kind::Local => usize::MAX,
        }
    }

    /// The embedding request for one batch. Bodies borrow the texts and are
    /// serialized straight into the request.
    pub(crate) fn embed_request(
        &self,
        http: &reqwest::Client,
        model: &str,
        texts: &[String],
        dimensions: Option<usize>,
    ) -> Result<reqwest::RequestBuilder> {
        let base = &self.base_url;
        Ok(match self.kind {
            Kind::OpenAi => self
                .post(http, &format!("{base}/embeddings"))
                .json(&openai::embed_body(model, texts, dimensions)),
            Kind::Azure => {
                let version = self.api_version.as_deref().unwrap_or_default();
                let url =
                    format!("{base}/openai/deployments/{model}/embeddings?api-version={version}");
                self.post(http, &url).json(&openai::embed_body(model, texts, dimensions))
            }
            Kind::Voyage => self
                .post(http, &format!("{base}/embeddings"))
                .json(&voyage::embed_body(model, texts)),
            Kind::Cohere => {
                self.post(http, &format!("{base}/v2/embed")).json(&cohere::embed_body(model, texts))
            }
            Kind::Gemini => {
                let path = format!("models/{model}");
                let url = format!("{base}/v1beta/{path}:batchEmbedContents");
                self.post(http, &url).json(&gemini::embed_body(&path, texts, dimensions))
            }
            Kind::Anthropic | Kind::Local => {
                return Err(Error::Unsupported {
                    provider: self.name.clone(),
                    operation: "embeddings",
                });
            }
        })
    }

    /// Reads the vectors (in input order) and the token count of an embedding
    /// reply, straight from its bytes into `f32` vectors.
    pub(crate) fn parse_embed(&self, body: &[u8], expected: usize) -> Result<(Vec<Vec<f32>>, u64)> {
        let parsed = match self.kind {
            Kind::OpenAi | Kind::Azure | Kind::Voyage => openai::parse_embed(body).map(Some),
            Kind::Cohere => cohere::parse_embed(body).map(Some),
            Kind::Gemini => gemini::parse_embed(body),
            Kind::Anthropic | Kind::Local => Ok(None),
        };
        let (vectors, tokens) = match parsed {
            Ok(Some(found)) => found,
            Ok(None) => return Err(self.decode("no vectors in the embedding response")),
            Err(e) if e.is_syntax() || e.is_eof() => {
                return Err(self.decode(&format!("body is not JSON: {e}")));
            }
            Err(e) => {
                return Err(self.decode(&format!("no vectors in the embedding response: {e}")));
            }
        };
        if vectors.len() != expected {
            return Err(self.decode(&format!("{} vectors for {expected} texts", vectors.len())));
        }
        Ok((vectors, tokens))
    }

    fn decode(&self, message: &str) -> Error {
        Error::Decode { provider: self.name.clone(), message: message.to_owned() }
    }
}

/// Turns the `data` of stream events into deltas, ending with `Done`.
#[derive(Debug)]
pub(crate) struct StreamParser {
    kind: Kind,
    finish: Option<FinishReason>,
    usage: TokenUsage,
    done: bool,
}

impl StreamParser {
    /// The deltas carried by one event.
    pub(crate) fn feed(&mut self, data: &str) -> Result<Vec<ChatDelta>> {
        if self.done {
            return Ok(Vec::new());
        }
        if data.trim() == "[DONE]" {
            return Ok(self.finish().into_iter().collect());
        }
        let value: Value = serde_json::from_str(data).map_err(|e| Error::Stream {
            provider: format!("{:?}", self.kind).to_lowercase(),
            message: format!("event is not JSON: {e}"),
        })?;
        let mut out = Vec::new();
        let event = match self.kind {
            Kind::Anthropic => anthropic::stream_event(&value),
            Kind::Gemini => gemini::stream_event(&value),
            _ => openai::stream_event(&value),
        };
        if let Some(text) = event.text.filter(|t| !t.is_empty()) {
            out.push(ChatDelta::Text(text));
        }
        if let Some(reason) = event.finish {
            self.finish = Some(reason);
        }
        if let Some(p) = event.prompt_tokens {
            self.usage.prompt_tokens = p;
        }
        if let Some(c) = event.completion_tokens {
            self.usage.completion_tokens = c;
        }
        if event.end {
            out.extend(self.finish());
        }
        Ok(out)
    }

    /// The final `Done`, once.
    pub(crate) fn finish(&mut self) -> Option<ChatDelta> {
        if self.done {
            return None;
        }
        self.done = true;
        Some(ChatDelta::Done { finish_reason: self.finish.take(), usage: self.usage })
    }
}

/// What one stream event says, provider-neutral.
#[derive(Debug, Default)]
pub(crate) struct StreamEvent {
    pub(crate) text: Option<String>,
    pub(crate) finish: Option<FinishReason>,
    pub(crate) prompt_tokens: Option<u64>,
    pub(crate) completion_tokens: Option<u64>,
    pub(crate) end: bool,
}

/// A token count at `pointer`, if present.
pub(crate) fn count(v: &Value, pointer: &str) -> Option<u64> {
    v.pointer(pointer).and_then(Value::as_u64)
}
