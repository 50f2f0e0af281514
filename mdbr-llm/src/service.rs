//! `LlmService`: one app's handle to chat and embedding models.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use futures_util::{Stream, StreamExt};
use mdbr_core::{LlmConfig, Manifest};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::embedder::Embedder;
use crate::error::{Error, Result};
use crate::hashing::HashingEmbedder;
use crate::message::ChatMessage;
use crate::model_ref::ModelRef;
use crate::options::ChatOptions;
use crate::price::PriceTable;
use crate::provider::{ChatRequest, Endpoint, Overrides, SchemaSpec};
use crate::rate_limiter::RateLimiter;
use crate::response::{ChatDelta, ChatResponse};
use crate::retry::RetryPolicy;
use crate::structured::{Checker, schema_for};
use crate::usage::{CallRecord, UsageSummary, UsageTracker};
use crate::{http, sse};

/// A streamed chat reply: text deltas, then one [`ChatDelta::Done`].
pub type ChatStream = std::pin::Pin<Box<dyn Stream<Item = Result<ChatDelta>> + Send>>;

/// One app's LLM client: routes `provider/model` strings, retries, rate-limits
/// and counts usage. Cheap to clone; clones share limits and usage counters.
#[derive(Debug, Clone)]
pub struct LlmService {
    inner: Arc<Inner>,
}

#[derive(Debug, Clone)]
struct Inner {
    config: LlmConfig,
    http: reqwest::Client,
    retry: RetryPolicy,
    limiter: Option<RateLimiter>,
    usage: UsageTracker,
    overrides: Overrides,
    dimensions: Option<usize>,
    embedding_model: Option<String>,
    embed_concurrency: usize,
    embed_batch_size: Option<usize>,
    structured_attempts: u32,
}

impl LlmService {
    /// A service for app `app` configured by `config` (`llm_config`).
    pub fn new(app: impl Into<String>, config: LlmConfig) -> Result<Self> {
        let http = reqwest::Client::builder()
            .build()
            .map_err(|source| Error::Transport { provider: "http client".to_owned(), source })?;
        let limiter = config.rate_limit.as_ref().map(RateLimiter::from_config);
        let inner = Inner {
            retry: RetryPolicy::from_config(&config),
            embedding_model: config.default_embedding_model.clone(),
            config,
            http,
            limiter,
            usage: UsageTracker::new(app.into(), PriceTable::default()),
            overrides: Overrides::default(),
            dimensions: None,
            embed_concurrency: 4,
            embed_batch_size: None,
            structured_attempts: 3,
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// The service of a manifest: `llm_config`, with the embedding model and
    /// dimensions of `embedding_config` (or, for dimensions, the manifest's
    /// vector indexes when they all agree).
    pub fn from_manifest(manifest: &Manifest) -> Result<Self> {
        let mut service = Self::new(manifest.slug.as_str(), manifest.llm_config.clone())?;
        let inner = Arc::make_mut(&mut service.inner);
        if let Some(model) = &manifest.embedding_config.default_embedding_model {
            inner.embedding_model = Some(model.clone());
        }
        inner.dimensions = manifest
            .embedding_config
            .dimensions
            .map(|d| d as usize)
            .or_else(|| vector_index_dimensions(manifest));
        Ok(service)
    }

    /// Uses this retry policy instead of the one from `llm_config`.
    #[must_use]
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        Arc::make_mut(&mut self.inner).retry = policy;
        self
    }

    /// Shares this rate limiter (e.g. with the app's other services).
    #[must_use]
    pub fn with_rate_limiter(mut self, limiter: RateLimiter) -> Self {
        Arc::make_mut(&mut self.inner).limiter = Some(limiter);
        self
    }

    /// Estimates cost with this price table.
    #[must_use]
    pub fn with_prices(mut self, prices: PriceTable) -> Self {
        Arc::make_mut(&mut self.inner).usage.set_prices(prices);
        self
    }

    /// Sends requests for `provider` to `base_url` (over config and defaults).
    #[must_use]
    pub fn with_base_url(mut self, provider: &str, base_url: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.inner)
            .overrides
            .base_urls
            .insert(provider.to_owned(), base_url.into());
        self
    }

    /// Uses this API key for `provider` instead of the environment's.
    #[must_use]
    pub fn with_api_key(mut self, provider: &str, key: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.inner).overrides.api_keys.insert(provider.to_owned(), key.into());
        self
    }

    /// Checks (and, where the provider allows, requests) this many dimensions.
    #[must_use]
    pub fn with_dimensions(mut self, dimensions: Option<usize>) -> Self {
        Arc::make_mut(&mut self.inner).dimensions = dimensions;
        self
    }

    /// Uses this embedding model when `embed` gets none.
    #[must_use]
    pub fn with_embedding_model(mut self, model: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.inner).embedding_model = Some(model.into());
        self
    }

    /// Sends at most this many embedding batches at once (default 4).
    #[must_use]
    pub fn with_embed_concurrency(mut self, concurrency: usize) -> Self {
        Arc::make_mut(&mut self.inner).embed_concurrency = concurrency.max(1);
        self
    }

    /// Caps embedding batches below the provider's limit.
    #[must_use]
    pub fn with_embed_batch_size(mut self, size: usize) -> Self {
        Arc::make_mut(&mut self.inner).embed_batch_size = Some(size.max(1));
        self
    }

    /// Asks at most this many times for valid structured output (default 3).
    #[must_use]
    pub fn with_structured_attempts(mut self, attempts: u32) -> Self {
        Arc::make_mut(&mut self.inner).structured_attempts = attempts.max(1);
        self
    }

    /// The app this service counts usage for.
    pub fn app(&self) -> &str {
        self.inner.usage.app()
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// Usage so far, by model.
    pub fn usage(&self) -> UsageSummary {
        self.inner.usage.summary()
    }

    /// Sends `messages` and returns the whole reply.
    pub async fn chat(
        &self,
        messages: &[ChatMessage],
        options: &ChatOptions,
    ) -> Result<ChatResponse> {
        self.chat_with(messages, options, None).await
    }

    /// Sends `messages` and streams the reply. Retries cover getting the
    /// stream started; a stream that breaks off later ends with an error.
    pub async fn chat_stream(
        &self,
        messages: &[ChatMessage],
        options: &ChatOptions,
    ) -> Result<ChatStream> {
        let model = self.chat_model(options)?;
        let label = model.to_string();
        let span = tracing::info_span!("llm.chat_stream", app = %self.app(), model = %label);
        let started = Instant::now();
        let retries = AtomicU32::new(0);
        let opened = async {
            let endpoint =
                Endpoint::resolve(model.provider(), &self.inner.config, &self.inner.overrides)?;
            let request = self.request(&model, messages, options, None);
            let estimate = estimate_tokens(messages, options.max_tokens);
            self.acquire(estimate).await;
            let response = self
                .inner
                .retry
                .run(&retries, || {
                    let built = endpoint.chat_request(&self.inner.http, &request, true);
                    let provider = endpoint.name.as_str();
                    async move { http::send(provider, built?).await }
                })
                .await?;
            Ok::<_, Error>((endpoint, response))
        }
        .instrument(span)
        .await;
        let (endpoint, response) = match opened {
            Ok(pair) => pair,
            Err(err) => {
                self.record(&label, started, &retries, false, (0, 0, 0));
                return Err(err);
            }
        };
        let events = Box::pin(sse::data_events(endpoint.name.clone(), response));
        let parser = endpoint.stream_parser();
        let deltas = futures_util::stream::unfold(
            (events, parser, std::collections::VecDeque::new(), false),
            |(mut events, mut parser, mut pending, mut ended)| async move {
                loop {
                    if let Some(item) = pending.pop_front() {
                        return Some((item, (events, parser, pending, ended)));
                    }
                    if ended {
                        return None;
                    }
                    match events.next().await {
                        Some(Ok(data)) => match parser.feed(&data) {
                            Ok(ds) => pending.extend(ds.into_iter().map(Ok)),
                            Err(e) => {
                                pending.push_back(Err(e));
                                ended = true;
                            }
                        },
                        Some(Err(e)) => {
                            pending.push_back(Err(e));
                            ended = true;
                        }
                        None => {
                            pending.extend(parser.finish().map(Ok));
                            ended = true;
                        }
                    }
                }
            },
        );
        let this = self.clone();
        let retried = retries.load(Ordering::Relaxed);
        let mut recorded = false;
        let deltas = deltas.inspect(move |item| {
            if recorded {
                return;
            }
            let done = match item {
                Ok(ChatDelta::Done { usage, .. }) => {
                    Some((true, usage.prompt_tokens, usage.completion_tokens))
                }
                Err(_) => Some((false, 0, 0)),
                Ok(_) => None,
            };
            if let Some((ok, p, c)) = done {
                recorded = true;
                let retries = AtomicU32::new(retried);
                this.record(&label, started, &retries, ok, (p, c, 0));
            }
        });
        Ok(Box::pin(deltas))
    }

    /// Asks for a reply of type `T`: the provider's native schema mode where it
    /// exists (OpenAI/Azure strict `json_schema`, Anthropic tool use, Gemini
    /// response schema), JSON mode otherwise. Every reply is validated locally;
    /// a failing reply is sent back with the validation errors, up to the
    /// configured number of attempts.
    pub async fn chat_structured<T: DeserializeOwned + JsonSchema>(
        &self,
        messages: &[ChatMessage],
        options: &ChatOptions,
    ) -> Result<T> {
        let spec = schema_for::<T>();
        let checker = Checker::new(&spec)?;
        let mut conversation = Vec::with_capacity(messages.len() + 3);
        conversation.push(ChatMessage::system(format!(
            "Reply with one JSON value that matches this JSON Schema, and nothing else:\n{}",
            spec.schema
        )));
        conversation.extend_from_slice(messages);
        let attempts = self.inner.structured_attempts;
        let mut problems = String::new();
        for attempt in 1..=attempts {
            let reply = self.chat_with(&conversation, options, Some(&spec)).await?;
            match checker.check::<T>(&reply.content) {
                Ok(value) => return Ok(value),
                Err(found) => {
                    tracing::info!(attempt, problems = %found, "structured reply failed validation");
                    conversation.push(ChatMessage::assistant(reply.content));
                    conversation.push(ChatMessage::user(format!(
                        "Your reply did not match the JSON Schema: {found}. Reply again with only a corrected JSON value."
                    )));
                    problems = found;
                }
            }
        }
        Err(Error::Structured { attempts, problems })
    }

    /// Embeds `texts` with `model` (`provider/model`; the configured embedding
    /// model when `None`). Texts are sent in batches at the provider's limit,
    /// a few batches at once; vectors come back in input order and are checked
    /// against the configured dimensions.
    pub async fn embed(&self, texts: &[String], model: Option<&str>) -> Result<Vec<Vec<f32>>> {
        let raw =
            model.or(self.inner.embedding_model.as_deref()).ok_or(Error::NoModel("embedding"))?;
        let model = ModelRef::parse(raw)?;
        let label = model.to_string();
        let span = tracing::info_span!("llm.embed", app = %self.app(), model = %label, texts = texts.len());
        async {
            if texts.is_empty() {
                return Ok(Vec::new());
            }
            let vectors = if model.provider() == "local" {
                let local = HashingEmbedder::from_model(model.model())?;
                let started = Instant::now();
                let vectors: Vec<Vec<f32>> = texts.iter().map(|t| local.embed_one(t)).collect();
                self.record(&label, started, &AtomicU32::new(0), true, (0, 0, 0));
                vectors
            } else {
                self.embed_remote(&model, &label, texts).await?
            };
            if let Some(expected) = self.inner.dimensions
                && let Some(bad) = vectors.iter().find(|v| v.len() != expected)
            {
                return Err(Error::Dimensions { expected, actual: bad.len() });
            }
            Ok(vectors)
        }
        .instrument(span)
        .await
    }

    async fn embed_remote(
        &self,
        model: &ModelRef,
        label: &str,
        texts: &[String],
    ) -> Result<Vec<Vec<f32>>> {
        let endpoint =
            Endpoint::resolve(model.provider(), &self.inner.config, &self.inner.overrides)?;
        let limit = endpoint
            .embed_batch_limit()
            .min(self.inner.embed_batch_size.unwrap_or(usize::MAX))
            .max(1);
        if texts.len() <= limit {
            return self.embed_batch(&endpoint, model.model(), label, texts).await;
        }
        let pending: Vec<_> = texts
            .chunks(limit)
            .map(|batch| self.embed_batch(&endpoint, model.model(), label, batch))
            .collect();
        let batches: Vec<Result<Vec<Vec<f32>>>> = futures_util::stream::iter(pending)
            .buffered(self.inner.embed_concurrency)
            .collect()
            .await;
        let mut out = Vec::with_capacity(texts.len());
        for batch in batches {
            out.extend(batch?);
        }
        Ok(out)
    }

    async fn embed_batch(
        &self,
        endpoint: &Endpoint,
        model: &str,
        label: &str,
        batch: &[String],
    ) -> Result<Vec<Vec<f32>>> {
        let started = Instant::now();
        let retries = AtomicU32::new(0);
        let estimate: u64 = batch.iter().map(|t| t.len() as u64 / 4 + 1).sum();
        self.acquire(estimate).await;
        let dims = self.inner.dimensions;
        let result = self
            .inner
            .retry
            .run(&retries, || {
                let built = endpoint.embed_request(&self.inner.http, model, batch, dims);
                async move {
                    let body = http::send_bytes(&endpoint.name, built?).await?;
                    endpoint.parse_embed(&body, batch.len())
                }
            })
            .await;
        match result {
            Ok((vectors, tokens)) => {
                self.settle(estimate, tokens);
                self.record(label, started, &retries, true, (0, 0, tokens));
                Ok(vectors)
            }
            Err(err) => {
                self.record(label, started, &retries, false, (0, 0, 0));
                Err(err)
            }
        }
    }

    async fn chat_with(
        &self,
        messages: &[ChatMessage],
        options: &ChatOptions,
        schema: Option<&SchemaSpec>,
    ) -> Result<ChatResponse> {
        let model = self.chat_model(options)?;
        let label = model.to_string();
        let span = tracing::info_span!(
            "llm.chat",
            app = %self.app(),
            model = %label,
            structured = schema.is_some(),
            prompt_tokens = tracing::field::Empty,
            completion_tokens = tracing::field::Empty,
        );
        let started = Instant::now();
        let retries = AtomicU32::new(0);
        let result = async {
            let endpoint =
                Endpoint::resolve(model.provider(), &self.inner.config, &self.inner.overrides)?;
            let request = self.request(&model, messages, options, schema);
            let estimate = estimate_tokens(messages, options.max_tokens);
            self.acquire(estimate).await;
            let reply = self
                .inner
                .retry
                .run(&retries, || {
                    let built = endpoint.chat_request(&self.inner.http, &request, false);
                    let endpoint = &endpoint;
                    let label = label.as_str();
                    async move {
                        let body = http::send_json(&endpoint.name, built?).await?;
                        endpoint.parse_chat(label, &body)
                    }
                })
                .await?;
            self.settle(estimate, reply.usage.total());
            tracing::Span::current().record("prompt_tokens", reply.usage.prompt_tokens);
            tracing::Span::current().record("completion_tokens", reply.usage.completion_tokens);
            Ok(reply)
        }
        .instrument(span)
        .await;
        let tokens =
            result.as_ref().map_or((0, 0), |r| (r.usage.prompt_tokens, r.usage.completion_tokens));
        self.record(&label, started, &retries, result.is_ok(), (tokens.0, tokens.1, 0));
        result
    }

    fn chat_model(&self, options: &ChatOptions) -> Result<ModelRef> {
        ModelRef::parse(options.model.as_deref().unwrap_or(&self.inner.config.default_chat_model))
    }

    fn request<'a>(
        &'a self,
        model: &'a ModelRef,
        messages: &'a [ChatMessage],
        options: &ChatOptions,
        schema: Option<&'a SchemaSpec>,
    ) -> ChatRequest<'a> {
        ChatRequest {
            model: model.model(),
            messages,
            temperature: options.temperature.or(self.inner.config.default_temperature),
            max_tokens: options.max_tokens,
            schema,
        }
    }

    async fn acquire(&self, tokens: u64) {
        if let Some(limiter) = &self.inner.limiter {
            limiter.acquire(tokens).await;
        }
    }

    fn settle(&self, estimated: u64, actual: u64) {
        if let Some(limiter) = &self.inner.limiter {
            limiter.settle(estimated, actual);
        }
    }

    fn record(
        &self,
        label: &str,
        started: Instant,
        retries: &AtomicU32,
        ok: bool,
        tokens: (u64, u64, u64),
    ) {
        self.inner.usage.record(
            label,
            CallRecord {
                ok,
                retries: u64::from(retries.load(Ordering::Relaxed)),
                prompt_tokens: tokens.0,
                completion_tokens: tokens.1,
                embedding_tokens: tokens.2,
                latency: started.elapsed(),
            },
        );
    }
}

impl Embedder for LlmService {
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        LlmService::embed(self, texts, None).await
    }
}

/// A rough token estimate for the rate limiter before the real count is known.
fn estimate_tokens(messages: &[ChatMessage], max_tokens: Option<u32>) -> u64 {
    let prompt: u64 = messages.iter().map(|m| m.content.len() as u64 / 4 + 4).sum();
    prompt + u64::from(max_tokens.unwrap_or(0))
}

/// The `numDimensions` of the manifest's vector indexes, when there is exactly one value.
fn vector_index_dimensions(manifest: &Manifest) -> Option<usize> {
    let mut found = std::collections::BTreeSet::new();
    for (_, spec) in manifest.indexes() {
        if let Some(definition) = &spec.definition {
            collect_dimensions(&serde_json::Value::Object(definition.clone()), &mut found);
        }
    }
    if found.len() == 1 { found.into_iter().next() } else { None }
}

fn collect_dimensions(v: &serde_json::Value, out: &mut std::collections::BTreeSet<usize>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, child) in map {
                if k == "numDimensions"
                    && let Some(d) = child.as_u64()
                {
                    out.insert(d as usize);
                }
                collect_dimensions(child, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|c| collect_dimensions(c, out)),
        _ => {}
    }
}
