//! Message handlers registered by type, and the context they run with.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use mdbr_auth::Identity;
use mdbr_core::AppSlug;
use serde_json::Value;

use crate::connection::{CloseCause, Conn, ConnectionId};
use crate::envelope::{ErrorCode, WsMessage};
use crate::error::{Error, Result};
use crate::hub::WsHub;
use crate::registry::{AppHub, MAX_TOPIC_BYTES, TopicRefusal};

/// Any error a handler returns. The client gets an error envelope with code
/// `handler_failed` (the error's text is logged, not sent) and the connection
/// stays open.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What a handler returns.
pub type HandlerResult = std::result::Result<(), BoxError>;

/// A registered handler, callable with a context and the message's `data`.
#[derive(Clone)]
pub(crate) struct Handler(
    Arc<dyn Fn(HandlerContext, Value) -> BoxFuture<'static, HandlerResult> + Send + Sync>,
);

impl fmt::Debug for Handler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Handler")
    }
}

impl Handler {
    pub(crate) fn new<F, Fut>(handler: F) -> Self
    where
        F: Fn(HandlerContext, Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        Self(Arc::new(move |ctx, data| Box::pin(handler(ctx, data))))
    }

    pub(crate) fn call(
        &self,
        ctx: HandlerContext,
        data: Value,
    ) -> BoxFuture<'static, HandlerResult> {
        (self.0)(ctx, data)
    }
}

/// What a handler knows about the message it handles: the app, the
/// connection and its identity, a way to answer, and the hub.
///
/// Handlers of one connection run one at a time, in the order the messages
/// arrived; a panicking handler closes only its own connection (code 1011).
#[derive(Clone)]
pub struct HandlerContext {
    hub: WsHub,
    app: Arc<AppHub>,
    conn: Arc<Conn>,
    identity: Option<Arc<Identity>>,
}

impl fmt::Debug for HandlerContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandlerContext")
            .field("app", &self.app.slug)
            .field("connection", &self.conn.id)
            .field("subject", &self.identity.as_ref().map(|i| &i.subject))
            .finish()
    }
}

impl HandlerContext {
    pub(crate) fn new(
        hub: WsHub,
        app: Arc<AppHub>,
        conn: Arc<Conn>,
        identity: Option<Arc<Identity>>,
    ) -> Self {
        Self { hub, app, conn, identity }
    }

    /// The app the connection belongs to.
    pub fn app(&self) -> &AppSlug {
        &self.app.slug
    }

    /// The connection the message came from.
    pub fn connection_id(&self) -> ConnectionId {
        self.conn.id
    }

    /// Who is connected; `None` for an anonymous connection admitted without
    /// any credential (`auth.required: false`).
    pub fn identity(&self) -> Option<&Identity> {
        self.identity.as_deref()
    }

    /// The hub, to reach other connections of the app.
    pub fn hub(&self) -> &WsHub {
        &self.hub
    }

    /// Queues a message to this connection only. A full queue closes the
    /// connection (the client is not keeping up) and returns
    /// [`Error::Disconnected`], as does a connection that is already closing.
    pub fn reply(&self, message: &WsMessage) -> Result<()> {
        self.app.send(&self.conn, message).map_err(|_| Error::Disconnected)
    }

    pub(crate) fn app_hub(&self) -> &AppHub {
        &self.app
    }

    pub(crate) fn send_error(
        &self,
        code: ErrorCode,
        message: &str,
        for_type: Option<&str>,
    ) -> std::result::Result<(), CloseCause> {
        self.app.send_error(&self.conn, code, message, for_type)
    }

    /// The built-in `subscribe` / `unsubscribe` messages: `data: {"topic": "…"}`.
    pub(crate) fn topic_request(
        &self,
        kind: &str,
        data: &Value,
    ) -> std::result::Result<(), CloseCause> {
        let Some(topic) = data.get("topic").and_then(Value::as_str) else {
            let message = format!(
                "`{kind}` needs data {{\"topic\": \"...\"}} (1 to {MAX_TOPIC_BYTES} bytes)"
            );
            return self.send_error(ErrorCode::InvalidTopic, &message, Some(kind));
        };
        let max_topics = self.hub.config().max_topics_per_connection;
        let ack = if kind == "subscribe" {
            match self.app.subscribe(self.conn.id, topic, max_topics) {
                Ok(_) => "subscribed",
                Err(TopicRefusal::Invalid) => {
                    let message = format!("topics are 1 to {MAX_TOPIC_BYTES} bytes");
                    return self.send_error(ErrorCode::InvalidTopic, &message, Some(kind));
                }
                Err(TopicRefusal::TooMany) => {
                    let message = format!("at most {max_topics} topics per connection");
                    return self.send_error(ErrorCode::TooManyTopics, &message, Some(kind));
                }
                Err(TopicRefusal::Gone) => {
                    return Err(self.conn.cause().unwrap_or(CloseCause::Shutdown));
                }
            }
        } else {
            self.app.unsubscribe(self.conn.id, topic);
            "unsubscribed"
        };
        self.app.send(&self.conn, &WsMessage::new(ack, serde_json::json!({ "topic": topic })))
    }
}
