//! Per-app websockets for the mdbr runtime: authentication before the
//! upgrade, ping/pong liveness, bounded per-connection queues, broadcast,
//! messages to a user, topics, and inbound routing by message type.
//!
//! One [`WsHub`] serves every app of an engine. [`WsHub::app_router`] turns an
//! app's manifest `websockets` entries into an axum [`Router`](axum::Router)
//! that the caller nests under the app's prefix, so two apps may both declare
//! `/ws` and never see each other's connections, users, topics or handlers.
//!
//! # When to use this crate directly
//!
//! Applications normally get it through the `mdbr` facade (feature `ws`),
//! which mounts each registered app's endpoints with that app's `mdbr-auth`
//! authenticator and exports [`WsHub::stats`] as metrics. Depend on `mdbr-ws`
//! alone to embed the hub in your own axum server, with your own
//! [`Authenticator`](mdbr_auth::Authenticator) implementation.
//!
//! # Authentication
//!
//! Before an upgrade is accepted the hub calls the app's authenticator with
//! the request head (session cookie, `Authorization: Bearer`, or `?token=`),
//! requires the identity to belong to this app, and applies the endpoint's
//! `auth` block (`required`, `allow_anonymous`). A refused upgrade is answered
//! `401` or `403` with a JSON body `{"error", "reason"}` and never upgraded; a
//! credential that is present but invalid is a `401`, never anonymous. The
//! query string and credentials are never logged.
//!
//! # Protocol
//!
//! Every message is a JSON [`Envelope`] `{"type", "data", "app", "ts"}` in a
//! text frame, where `ts` is milliseconds since the Unix epoch. Inbound
//! messages go to the handler registered for their `type` with [`WsHub::on`];
//! `subscribe` / `unsubscribe` with `data: {"topic": "…"}` are built in.
//! Problems are answered with `type: "error"` envelopes. The hub closes a
//! connection with:
//!
//! | code | when |
//! |---|---|
//! | 1001 | no pong within two ping intervals; [`WsHub::close_app`] |
//! | 1008 | the outbound queue is full (slow client); sustained flooding past the rate limit |
//! | 1009 | an inbound message over `max_message_bytes` (default 64 KiB) |
//! | 1011 | a handler panicked (only that connection is closed) |
//!
//! Sending never waits on a client: each connection has a bounded queue
//! ([`WsConfig::queue_capacity`]) and a broadcast is serialized once and
//! shared by every connection it is queued to. [`WsHub::stats`] counts
//! connections, messages, dropped slow clients, reaped connections and
//! refused upgrades per app.
//!
//! The hub cannot reach the TCP socket under an upgraded connection: set
//! `TCP_NODELAY` on accepted sockets where the router is served
//! (`axum::serve::ListenerExt::tap_io`) so small frames are not held back.
//!
//! # Example
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use mdbr_auth::Authenticator;
//! use mdbr_core::{AppSlug, WebSocketEndpoint};
//! use mdbr_ws::{WsConfig, WsHub, WsMessage};
//!
//! # async fn run(auth: Arc<dyn Authenticator>) -> Result<(), Box<dyn std::error::Error>> {
//! let hub = WsHub::new(WsConfig::default());
//! let app = AppSlug::parse("chat")?;
//! // `{"type": "say", "data": …}` from any client is relayed to every client of the app.
//! hub.on(&app, "say", |ctx, data| async move {
//!     let from = ctx.identity().map(|who| who.subject.clone());
//!     let said = WsMessage::new("said", serde_json::json!({ "from": from, "text": data }));
//!     ctx.hub().broadcast_to_app(ctx.app(), &said);
//!     Ok(())
//! })?;
//! let endpoints = [WebSocketEndpoint::new("/ws")];
//! let router = axum::Router::new().nest("/apps/chat", hub.app_router(&app, &endpoints, auth)?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, router).await?;
//! # Ok(())
//! # }
//! ```

mod config;
mod connection;
mod envelope;
mod error;
mod handler;
mod hub;
mod rate;
mod registry;
mod router;
mod stats;

pub use config::WsConfig;
pub use connection::ConnectionId;
pub use envelope::{Envelope, WsMessage};
pub use error::{Error, Result};
pub use handler::{BoxError, HandlerContext, HandlerResult};
pub use hub::WsHub;
pub use stats::{AppStats, HubStats};
