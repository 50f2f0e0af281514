//! The JSON envelope every message travels in, and outgoing messages.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::ws::Utf8Bytes;
use mdbr_core::AppSlug;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};

/// A message on the wire: `{"type": …, "data": …, "app": …, "ts": …}`.
///
/// - `type` routes the message: inbound, to the handler registered with
///   [`WsHub::on`](crate::WsHub::on) or to the built-ins `subscribe` and
///   `unsubscribe` (`data: {"topic": "…"}`, acknowledged with `subscribed` /
///   `unsubscribed`).
/// - `data` is any JSON value (`null` when absent).
/// - `app` is the app's slug. The hub sets it on every outbound message and
///   ignores it on inbound ones: a connection only ever talks to its own app.
/// - `ts` is the time the hub built the message, in **milliseconds since the
///   Unix epoch** (UTC). Ignored on inbound messages.
///
/// Problems are answered with `type: "error"` and
/// `data: {"code": …, "message": …, "type": <the offending type, if known>}`;
/// the codes are `bad_request` (not a JSON envelope), `unknown_type`,
/// `handler_failed`, `internal` (the handler panicked; the connection is then
/// closed with 1011), `rate_limited`, `overloaded`, `unsupported` (binary
/// frames), `invalid_topic` and `too_many_topics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Message type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Payload.
    #[serde(default)]
    pub data: Value,
    /// The app's slug (empty on inbound messages that leave it out).
    #[serde(default)]
    pub app: String,
    /// Milliseconds since the Unix epoch (0 on inbound messages that leave it out).
    #[serde(default)]
    pub ts: u64,
}

impl Envelope {
    /// Parses one text frame.
    pub fn parse(text: &str) -> std::result::Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// A message to send: its type and data. The hub wraps it in an [`Envelope`]
/// with the app and the time, serialized once however many connections get it.
#[derive(Debug, Clone, PartialEq)]
pub struct WsMessage {
    kind: String,
    data: Value,
}

impl WsMessage {
    /// A message of type `kind` carrying `data`.
    pub fn new(kind: impl Into<String>, data: Value) -> Self {
        Self { kind: kind.into(), data }
    }

    /// A message of type `kind` carrying `data` turned into JSON.
    pub fn from_serialize<T: Serialize + ?Sized>(
        kind: impl Into<String>,
        data: &T,
    ) -> Result<Self> {
        let data = serde_json::to_value(data).map_err(Error::Serialize)?;
        Ok(Self::new(kind, data))
    }

    /// The message type.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The payload.
    pub fn data(&self) -> &Value {
        &self.data
    }

    /// The envelope text for `app`, stamped now.
    pub(crate) fn encode(&self, app: &AppSlug) -> Result<Utf8Bytes> {
        #[derive(Serialize)]
        struct Wire<'a> {
            #[serde(rename = "type")]
            kind: &'a str,
            data: &'a Value,
            app: &'a str,
            ts: u64,
        }
        let wire = Wire { kind: &self.kind, data: &self.data, app: app.as_str(), ts: now_millis() };
        serde_json::to_string(&wire).map(Utf8Bytes::from).map_err(Error::Serialize)
    }
}

/// Codes carried by error envelopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorCode {
    BadRequest,
    UnknownType,
    HandlerFailed,
    Internal,
    RateLimited,
    Overloaded,
    Unsupported,
    InvalidTopic,
    TooManyTopics,
}

impl ErrorCode {
    fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::UnknownType => "unknown_type",
            Self::HandlerFailed => "handler_failed",
            Self::Internal => "internal",
            Self::RateLimited => "rate_limited",
            Self::Overloaded => "overloaded",
            Self::Unsupported => "unsupported",
            Self::InvalidTopic => "invalid_topic",
            Self::TooManyTopics => "too_many_topics",
        }
    }
}

/// An error envelope's message.
pub(crate) fn error_message(code: ErrorCode, message: &str, for_type: Option<&str>) -> WsMessage {
    let mut data = serde_json::Map::new();
    data.insert("code".into(), Value::from(code.as_str()));
    data.insert("message".into(), Value::from(message));
    if let Some(kind) = for_type {
        data.insert("type".into(), Value::from(kind));
    }
    WsMessage::new("error", Value::Object(data))
}

/// Milliseconds since the Unix epoch; 0 if the clock is before it.
pub(crate) fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn encodes_the_documented_envelope() {
        let app = AppSlug::parse("chat").unwrap();
        let text = WsMessage::new("said", json!({ "text": "hi" })).encode(&app).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        let mut keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["app", "data", "ts", "type"]);
        assert_eq!(value["type"], "said");
        assert_eq!(value["app"], "chat");
        assert_eq!(value["data"], json!({ "text": "hi" }));
        let ts = value["ts"].as_u64().unwrap();
        assert!(ts.abs_diff(now_millis()) < 60_000, "ts is epoch milliseconds");

        let back = Envelope::parse(&text).unwrap();
        assert_eq!((back.kind.as_str(), back.app.as_str(), back.ts), ("said", "chat", ts));
    }

    #[test]
    fn inbound_envelopes_need_only_a_type() {
        let envelope = Envelope::parse(r#"{"type": "ping"}"#).unwrap();
        assert_eq!(
            (envelope.kind.as_str(), &envelope.data, envelope.ts),
            ("ping", &Value::Null, 0)
        );
        assert!(Envelope::parse(r#"{"data": 1}"#).is_err());
        assert!(Envelope::parse(r#"{"type": 3}"#).is_err());
    }

    #[test]
    fn error_envelopes_carry_code_message_and_type() {
        let message = error_message(ErrorCode::UnknownType, "no handler", Some("x"));
        assert_eq!(message.kind(), "error");
        assert_eq!(
            message.data(),
            &json!({ "code": "unknown_type", "message": "no handler", "type": "x" })
        );
    }
}
