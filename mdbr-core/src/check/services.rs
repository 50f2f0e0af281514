//! Checks of `websockets`, `llm_config`, `embedding_config`, `cors` and `observability`.

use serde_json::Value;

use crate::check::{Checker, Extra, child, is_http_url};
use crate::problem::{Problem, ProblemKind};

const WEBSOCKET: &[&str] = &["path", "description", "auth", "ping_interval", "max_message_bytes"];
const WEBSOCKET_AUTH: &[&str] = &["required", "allow_anonymous"];
const LLM: &[&str] = &[
    "enabled",
    "default_chat_model",
    "default_embedding_model",
    "default_temperature",
    "max_retries",
    "timeout_seconds",
    "rate_limit",
    "providers",
];
const RATE_LIMIT: &[&str] = &["requests_per_minute", "tokens_per_minute"];
const LLM_PROVIDER: &[&str] = &["base_url", "api_key_env", "api_version"];
const EMBEDDING: &[&str] = &[
    "enabled",
    "max_tokens_per_chunk",
    "chunk_overlap_tokens",
    "tokenizer_model",
    "default_embedding_model",
    "dimensions",
];
const CORS: &[&str] = &[
    "enabled",
    "allow_origins",
    "allow_methods",
    "allow_headers",
    "expose_headers",
    "allow_credentials",
    "max_age_seconds",
];
const HTTP_METHODS: &[&str] = &["*", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
const OBSERVABILITY: &[&str] = &["metrics", "logging", "health_checks"];
const METRICS: &[&str] = &["enabled", "collect_operation_metrics"];
const LOGGING: &[&str] = &["level"];
const LOG_LEVELS: &[&str] = &["trace", "debug", "info", "warn", "error"];
const HEALTH_CHECKS: &[&str] = &["enabled", "interval_seconds"];
const U32_MAX: u64 = u32::MAX as u64;

impl Checker {
    pub(super) fn websockets(&mut self, ptr: &str, value: &Value) {
        let Some(map) = self.object(ptr, value) else { return };
        let mut paths = Vec::new();
        for (name, endpoint) in map {
            let at = child(ptr, name);
            if !is_identifier(name) {
                self.error(
                    Problem::new(
                        at.clone(),
                        ProblemKind::Invalid,
                        format!("`{name}` is not an endpoint name"),
                    )
                    .with_hint("use letters, digits, `_` and `-`, e.g. \"realtime\""),
                );
            }
            let Some(endpoint) = self.object(&at, endpoint) else { continue };
            self.keys(&at, endpoint, WEBSOCKET, &[]);
            if let Some(path) = self.string(&at, endpoint, "path", true) {
                if !path.starts_with('/')
                    || path.contains(|c: char| c.is_whitespace() || c == '?' || c == '#')
                {
                    self.error(
                        Problem::new(
                            child(&at, "path"),
                            ProblemKind::Invalid,
                            format!("`{path}` is not a route path"),
                        )
                        .with_hint("start the path with `/`, e.g. \"/ws\""),
                    );
                } else {
                    paths.push((child(&at, "path"), path));
                }
            }
            self.string(&at, endpoint, "description", false);
            if let Some((aptr, auth)) = self.object_field(&at, endpoint, "auth") {
                self.keys(&aptr, auth, WEBSOCKET_AUTH, &[]);
                self.boolean(&aptr, auth, "required");
                self.boolean(&aptr, auth, "allow_anonymous");
            }
            self.integer(&at, endpoint, "ping_interval", 5, 300);
            self.integer(&at, endpoint, "max_message_bytes", 1, u64::MAX);
        }
        for (i, (at, path)) in paths.iter().enumerate() {
            if paths[..i].iter().any(|(_, earlier)| earlier == path) {
                self.error(
                    Problem::new(
                        at.clone(),
                        ProblemKind::Duplicate,
                        format!("path `{path}` is used by another endpoint"),
                    )
                    .with_hint("each websocket endpoint of an app needs its own path"),
                );
            }
        }
    }

    pub(super) fn llm_config(&mut self, ptr: &str, value: &Value) {
        let Some(map) = self.object(ptr, value) else { return };
        self.keys(ptr, map, LLM, &[]);
        self.boolean(ptr, map, "enabled");
        self.non_empty_string(ptr, map, "default_chat_model", false);
        self.non_empty_string(ptr, map, "default_embedding_model", false);
        self.number(ptr, map, "default_temperature", 0.0, 2.0);
        self.integer(ptr, map, "max_retries", 0, 10);
        self.integer(ptr, map, "timeout_seconds", 1, u64::MAX);
        if let Some((at, limit)) = self.object_field(ptr, map, "rate_limit") {
            self.keys(&at, limit, RATE_LIMIT, &[]);
            self.integer(&at, limit, "requests_per_minute", 1, U32_MAX);
            self.integer(&at, limit, "tokens_per_minute", 1, u64::MAX);
        }
        if let Some((at, providers)) = self.object_field(ptr, map, "providers") {
            for (name, provider) in providers {
                let pptr = child(&at, name);
                if !is_identifier(name) {
                    self.error(
                        Problem::new(
                            pptr.clone(),
                            ProblemKind::Invalid,
                            format!("`{name}` is not a provider name"),
                        )
                        .with_hint(
                            "use the routing prefix, e.g. \"openai\", \"azure\", \"ollama\"",
                        ),
                    );
                }
                let Some(provider) = self.object(&pptr, provider) else { continue };
                self.keys(
                    &pptr,
                    provider,
                    LLM_PROVIDER,
                    &[("api_key", Extra::Secret("api_key_env"))],
                );
                if let Some(url) = self.string(&pptr, provider, "base_url", false)
                    && !is_http_url(url)
                {
                    self.error(
                        Problem::new(
                            child(&pptr, "base_url"),
                            ProblemKind::Invalid,
                            format!("`{url}` is not an http(s) URL"),
                        )
                        .with_hint("e.g. \"http://localhost:11434/v1\""),
                    );
                }
                if let Some(env) = self.string(&pptr, provider, "api_key_env", false) {
                    self.env_var_name(&child(&pptr, "api_key_env"), env, "OPENAI_API_KEY");
                }
                self.non_empty_string(&pptr, provider, "api_version", false);
            }
        }
    }

    pub(super) fn embedding_config(&mut self, ptr: &str, value: &Value) {
        let Some(map) = self.object(ptr, value) else { return };
        self.keys(ptr, map, EMBEDDING, &[]);
        self.boolean(ptr, map, "enabled");
        let max = self.integer(ptr, map, "max_tokens_per_chunk", 100, 10_000);
        if let Some(overlap) = self.integer(ptr, map, "chunk_overlap_tokens", 0, U32_MAX) {
            let limit = if map.contains_key("max_tokens_per_chunk") { max } else { Some(1000) };
            if let Some(limit) = limit
                && overlap >= limit
            {
                self.error(
                    Problem::new(
                        child(ptr, "chunk_overlap_tokens"),
                        ProblemKind::OutOfRange,
                        format!(
                            "must be less than max_tokens_per_chunk ({limit}), found {overlap}"
                        ),
                    )
                    .with_hint("the overlap is part of each chunk"),
                );
            }
        }
        self.non_empty_string(ptr, map, "tokenizer_model", false);
        self.non_empty_string(ptr, map, "default_embedding_model", false);
        self.integer(ptr, map, "dimensions", 1, 8192);
    }

    pub(super) fn cors(&mut self, ptr: &str, value: &Value) {
        let Some(map) = self.object(ptr, value) else { return };
        self.keys(ptr, map, CORS, &[]);
        self.boolean(ptr, map, "enabled");
        let origins = self.strings(ptr, map, "allow_origins");
        for (at, origin) in &origins {
            if *origin != "*" && !is_origin(origin) {
                self.error(
                    Problem::new(at.clone(), ProblemKind::Invalid, format!("`{origin}` is not an origin"))
                        .with_hint("an origin is scheme and host without a path, e.g. \"https://example.com\", or \"*\""),
                );
            }
        }
        for (at, method) in self.strings(ptr, map, "allow_methods") {
            self.one_of(&at, method, HTTP_METHODS);
        }
        for key in ["allow_headers", "expose_headers"] {
            for (at, header) in self.strings(ptr, map, key) {
                if header.is_empty() || header.contains(|c: char| c.is_whitespace() || c == ':') {
                    self.error(Problem::new(
                        at,
                        ProblemKind::Invalid,
                        format!("`{header}` is not a header name"),
                    ));
                }
            }
        }
        let credentials = self.boolean(ptr, map, "allow_credentials").unwrap_or(false);
        if credentials && origins.iter().any(|(_, o)| *o == "*") {
            self.error(
                Problem::new(
                    child(ptr, "allow_credentials"),
                    ProblemKind::Conflict,
                    "credentials cannot be allowed for origin \"*\"",
                )
                .with_hint("list the allowed origins explicitly"),
            );
        }
        self.integer(ptr, map, "max_age_seconds", 0, u64::MAX);
    }

    pub(super) fn observability(&mut self, ptr: &str, value: &Value) {
        let Some(map) = self.object(ptr, value) else { return };
        self.keys(ptr, map, OBSERVABILITY, &[]);
        if let Some((at, metrics)) = self.object_field(ptr, map, "metrics") {
            self.keys(&at, metrics, METRICS, &[]);
            self.boolean(&at, metrics, "enabled");
            self.boolean(&at, metrics, "collect_operation_metrics");
        }
        if let Some((at, logging)) = self.object_field(ptr, map, "logging") {
            self.keys(&at, logging, LOGGING, &[]);
            self.enumeration(&at, logging, "level", LOG_LEVELS);
        }
        if let Some((at, health)) = self.object_field(ptr, map, "health_checks") {
            self.keys(&at, health, HEALTH_CHECKS, &[]);
            self.boolean(&at, health, "enabled");
            self.integer(&at, health, "interval_seconds", 1, u64::MAX);
        }
    }
}

/// `[A-Za-z0-9_-]+`, at most 64 characters.
fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `http(s)://host[:port]` with no path.
fn is_origin(s: &str) -> bool {
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty()
            && !r.contains(|c: char| c == '/' || c.is_whitespace() || c == '?' || c == '#')
    })
}
