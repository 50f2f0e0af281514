//! One websocket connection: its shared handle, and the task that reads,
//! writes, dispatches, pings and finally closes it.

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, SplitSink, SplitStream};
use futures_util::{FutureExt, SinkExt, StreamExt};
use mdbr_auth::Identity;
use serde_json::Value;
use tokio::sync::{Notify, mpsc};
use tokio::time::MissedTickBehavior;
use tokio_tungstenite::tungstenite;

use crate::config::WsConfig;
use crate::envelope::{Envelope, ErrorCode};
use crate::handler::{Handler, HandlerContext};
use crate::hub::WsHub;
use crate::rate::TokenBucket;
use crate::registry::AppHub;
use crate::stats::Counters;

/// Identifies one connection within a hub; unique for the hub's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(u64);

impl ConnectionId {
    pub(crate) fn new(id: u64) -> Self {
        Self(id)
    }

    /// The number behind the id.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ws-{}", self.0)
    }
}

/// Why a connection ended. The first cause recorded wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CloseCause {
    /// The client sent a close frame.
    ClientClosed,
    /// The client's stream ended without a close frame.
    ClientGone,
    /// Reading failed (protocol error, reset).
    ReadFailed,
    /// Writing failed.
    WriteFailed,
    /// No pong within two ping intervals.
    PongTimeout,
    /// The outbound queue was full.
    SlowConsumer,
    /// An inbound message over the size limit.
    TooBig,
    /// Sustained flooding past the rate limit.
    Flood,
    /// A handler panicked.
    HandlerPanicked,
    /// The hub closed the app's connections.
    Shutdown,
}

impl CloseCause {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::ClientClosed => "client_closed",
            Self::ClientGone => "client_gone",
            Self::ReadFailed => "read_failed",
            Self::WriteFailed => "write_failed",
            Self::PongTimeout => "pong_timeout",
            Self::SlowConsumer => "slow_consumer",
            Self::TooBig => "message_too_big",
            Self::Flood => "rate_limit",
            Self::HandlerPanicked => "handler_panicked",
            Self::Shutdown => "shutdown",
        }
    }

    /// The close frame the hub sends, if it sends one.
    fn close_frame(self) -> Option<(u16, &'static str)> {
        match self {
            Self::ClientClosed | Self::ClientGone | Self::ReadFailed | Self::WriteFailed => None,
            Self::PongTimeout => Some((1001, "no pong within two ping intervals")),
            Self::SlowConsumer => Some((1008, "outbound queue full: client too slow")),
            Self::TooBig => Some((1009, "message too big")),
            Self::Flood => Some((1008, "rate limit exceeded")),
            Self::HandlerPanicked => Some((1011, "internal error")),
            Self::Shutdown => Some((1001, "going away")),
        }
    }

    /// Whether the client is presumably still listening, so queued messages
    /// (such as the error envelope explaining the close) are still written
    /// and its close frame awaited.
    fn client_listening(self) -> bool {
        matches!(self, Self::Flood | Self::HandlerPanicked | Self::Shutdown)
    }
}

/// What happened to a message offered to a connection's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Queued {
    /// It will be written.
    Yes,
    /// The queue is full: the client is not keeping up.
    Full,
    /// The connection is closing.
    Closed,
}

/// The part of a connection the rest of the hub holds: its queue and the
/// switch that closes it.
pub(crate) struct Conn {
    pub(crate) id: ConnectionId,
    tx: mpsc::Sender<Message>,
    cause: OnceLock<CloseCause>,
    wake: Notify,
    started: Instant,
    last_pong_ms: AtomicU64,
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conn").field("id", &self.id).field("cause", &self.cause.get()).finish()
    }
}

impl Conn {
    fn new(id: ConnectionId, tx: mpsc::Sender<Message>) -> Self {
        Self {
            id,
            tx,
            cause: OnceLock::new(),
            wake: Notify::new(),
            started: Instant::now(),
            last_pong_ms: AtomicU64::new(0),
        }
    }

    /// Offers a message without waiting.
    pub(crate) fn queue(&self, message: Message) -> Queued {
        if self.cause.get().is_some() {
            return Queued::Closed;
        }
        match self.tx.try_send(message) {
            Ok(()) => Queued::Yes,
            Err(mpsc::error::TrySendError::Full(_)) => Queued::Full,
            Err(mpsc::error::TrySendError::Closed(_)) => Queued::Closed,
        }
    }

    /// Records why the connection ends and wakes its task. Returns whether
    /// this call decided the cause.
    pub(crate) fn finish(&self, cause: CloseCause) -> bool {
        let first = self.cause.set(cause).is_ok();
        if first {
            self.wake.notify_one();
        }
        first
    }

    pub(crate) fn cause(&self) -> Option<CloseCause> {
        self.cause.get().copied()
    }

    fn pong(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_pong_ms.store(ms, Ordering::Relaxed);
    }

    fn since_pong(&self) -> Duration {
        let last = Duration::from_millis(self.last_pong_ms.load(Ordering::Relaxed));
        self.started.elapsed().saturating_sub(last)
    }
}

/// Everything an accepted upgrade hands to its connection task.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) hub: WsHub,
    pub(crate) app: Arc<AppHub>,
    pub(crate) identity: Option<Arc<Identity>>,
    pub(crate) max_message_bytes: usize,
    pub(crate) ping_interval: Duration,
}

/// Removes the connection from the app's registry however the task ends.
struct Registration<'a> {
    app: &'a AppHub,
    id: ConnectionId,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.app.remove(self.id);
    }
}

/// Runs one accepted connection until it closes.
pub(crate) async fn serve(socket: WebSocket, session: Session, id: ConnectionId) {
    let Session { hub, app, identity, max_message_bytes, ping_interval } = session;
    let config = hub.config();
    let (tx, mut outbound) = mpsc::channel(config.queue_capacity.max(1));
    let conn = Arc::new(Conn::new(id, tx));
    app.insert(Arc::clone(&conn), identity.as_ref().map(|i| i.subject.clone()));
    let _registration = Registration { app: &app, id };
    Counters::bump(&app.counters.accepted);
    tracing::debug!(app = %app.slug, conn = %id, "websocket accepted");

    let ctx = HandlerContext::new(hub.clone(), Arc::clone(&app), Arc::clone(&conn), identity);
    let (mut sink, mut stream) = socket.split();
    let (dispatch_tx, mut dispatch_rx) = mpsc::channel::<Utf8Bytes>(config.inbound_queue.max(1));

    // The loops run concurrently in this one task. `FuturesUnordered` polls
    // only the loop that was woken: a queued message wakes the writer alone,
    // not the reader (whose every poll zero-fills tungstenite's read buffer).
    let mut loops: FuturesUnordered<BoxFuture<'_, CloseCause>> = FuturesUnordered::new();
    loops.push(Box::pin(read_loop(
        &mut stream,
        &app,
        &conn,
        config,
        max_message_bytes,
        dispatch_tx,
    )));
    loops.push(Box::pin(write_loop(&mut sink, &mut outbound, &app)));
    loops.push(Box::pin(dispatch_loop(&mut dispatch_rx, &ctx)));
    loops.push(Box::pin(watchdog(&conn, ping_interval)));
    loops.push(Box::pin(async {
        conn.wake.notified().await;
        conn.cause().unwrap_or(CloseCause::Shutdown)
    }));
    let cause = loops.next().await.unwrap_or(CloseCause::Shutdown);
    drop(loops);
    app.close(&conn, cause);
    let cause = conn.cause().unwrap_or(cause);
    drop(ctx);
    match cause {
        CloseCause::SlowConsumer | CloseCause::PongTimeout | CloseCause::Flood => {
            tracing::info!(app = %app.slug, conn = %id, cause = cause.as_str(), "websocket closed");
        }
        _ => {
            tracing::debug!(app = %app.slug, conn = %id, cause = cause.as_str(), "websocket closed")
        }
    }
    let _ = tokio::time::timeout(
        config.close_timeout,
        goodbye(&mut sink, &mut stream, &mut outbound, cause),
    )
    .await;
}

/// Reads frames: pongs feed the watchdog, data frames pass the size and rate
/// limits and go to the dispatcher.
async fn read_loop(
    stream: &mut SplitStream<WebSocket>,
    app: &AppHub,
    conn: &Conn,
    config: &WsConfig,
    max_message_bytes: usize,
    dispatch: mpsc::Sender<Utf8Bytes>,
) -> CloseCause {
    let mut bucket = TokenBucket::new(config.rate_per_second, config.rate_burst, Instant::now());
    let mut strikes = 0u32;
    while let Some(frame) = stream.next().await {
        let message = match frame {
            Ok(message) => message,
            Err(err) if is_too_long(&err) => return CloseCause::TooBig,
            Err(_) => return CloseCause::ReadFailed,
        };
        let (text, len) = match message {
            Message::Pong(_) => {
                conn.pong();
                continue;
            }
            Message::Ping(_) => continue,
            Message::Close(_) => return CloseCause::ClientClosed,
            Message::Text(text) => {
                let len = text.len();
                (Some(text), len)
            }
            Message::Binary(bytes) => (None, bytes.len()),
        };
        Counters::bump(&app.counters.messages_in);
        if len > max_message_bytes {
            return CloseCause::TooBig;
        }
        if !bucket.take(Instant::now()) {
            Counters::bump(&app.counters.rate_limited);
            strikes += 1;
            if strikes >= config.flood_strikes.max(1) {
                return CloseCause::Flood;
            }
            let sent = app.send_error(conn, ErrorCode::RateLimited, "too many messages", None);
            if let Err(cause) = sent {
                return cause;
            }
            continue;
        }
        strikes = 0;
        let Some(text) = text else {
            let message = "binary frames are not supported; send JSON text envelopes";
            if let Err(cause) = app.send_error(conn, ErrorCode::Unsupported, message, None) {
                return cause;
            }
            continue;
        };
        match dispatch.try_send(text) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                let message = "too many messages waiting for their handler";
                if let Err(cause) = app.send_error(conn, ErrorCode::Overloaded, message, None) {
                    return cause;
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return CloseCause::Shutdown,
        }
    }
    CloseCause::ClientGone
}

/// Whether a read error is tungstenite refusing a frame or message over the limit.
fn is_too_long(err: &axum::Error) -> bool {
    let inner = std::error::Error::source(err);
    matches!(
        inner.and_then(|e| e.downcast_ref::<tungstenite::Error>()),
        Some(tungstenite::Error::Capacity(_))
    )
}

/// Writes queued messages, a batch at a time, flushing after each batch.
async fn write_loop(
    sink: &mut SplitSink<WebSocket, Message>,
    outbound: &mut mpsc::Receiver<Message>,
    app: &AppHub,
) -> CloseCause {
    const BATCH: usize = 64;
    while let Some(first) = outbound.recv().await {
        let mut data = 0;
        let mut next = Some(first);
        let mut fed = 0;
        while let Some(message) = next.take() {
            if matches!(message, Message::Text(_) | Message::Binary(_)) {
                data += 1;
            }
            if sink.feed(message).await.is_err() {
                return CloseCause::WriteFailed;
            }
            fed += 1;
            if fed < BATCH {
                next = outbound.try_recv().ok();
            }
        }
        if sink.flush().await.is_err() {
            return CloseCause::WriteFailed;
        }
        Counters::add(&app.counters.messages_out, data);
    }
    CloseCause::Shutdown
}

/// Runs handlers for inbound messages, one at a time and in order.
async fn dispatch_loop(
    inbound: &mut mpsc::Receiver<Utf8Bytes>,
    ctx: &HandlerContext,
) -> CloseCause {
    while let Some(text) = inbound.recv().await {
        if let Err(cause) = dispatch(ctx, &text).await {
            return cause;
        }
    }
    CloseCause::ClientGone
}

/// Routes one inbound text frame.
async fn dispatch(ctx: &HandlerContext, text: &str) -> Result<(), CloseCause> {
    let Ok(envelope) = Envelope::parse(text) else {
        let message = r#"expected a JSON envelope {"type": "...", "data": ...}"#;
        return ctx.send_error(ErrorCode::BadRequest, message, None);
    };
    let Envelope { kind, data, .. } = envelope;
    match kind.as_str() {
        "subscribe" | "unsubscribe" => ctx.topic_request(&kind, &data),
        _ => match ctx.app_hub().handler(&kind) {
            Some(handler) => run_handler(&handler, ctx, &kind, data).await,
            None => {
                let message = "no handler for this message type";
                ctx.send_error(ErrorCode::UnknownType, message, Some(&kind))
            }
        },
    }
}

/// Calls a handler, containing its errors and panics to this connection.
async fn run_handler(
    handler: &Handler,
    ctx: &HandlerContext,
    kind: &str,
    data: Value,
) -> Result<(), CloseCause> {
    let call = std::panic::catch_unwind(AssertUnwindSafe(|| handler.call(ctx.clone(), data)));
    let outcome = match call {
        Ok(future) => AssertUnwindSafe(future).catch_unwind().await,
        Err(panic) => Err(panic),
    };
    let app = ctx.app_hub();
    match outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => {
            Counters::bump(&app.counters.handler_errors);
            tracing::warn!(app = %app.slug, conn = %ctx.connection_id(), kind, %error, "websocket handler failed");
            ctx.send_error(ErrorCode::HandlerFailed, "the handler failed", Some(kind))
        }
        Err(panic) => {
            Counters::bump(&app.counters.handler_panics);
            let panic = panic_text(panic.as_ref());
            tracing::error!(app = %app.slug, conn = %ctx.connection_id(), kind, panic, "websocket handler panicked");
            let message = "internal error; the connection will be closed";
            // The close follows whether or not the envelope could be queued.
            let _ = ctx.send_error(ErrorCode::Internal, message, Some(kind));
            Err(CloseCause::HandlerPanicked)
        }
    }
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> &str {
    if let Some(text) = panic.downcast_ref::<&str>() {
        text
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text
    } else {
        "non-string panic payload"
    }
}

/// Pings every `interval`; ends the connection when the last pong is older
/// than two intervals.
async fn watchdog(conn: &Conn, interval: Duration) -> CloseCause {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if conn.since_pong() > interval * 2 {
            return CloseCause::PongTimeout;
        }
        match conn.queue(Message::Ping(Bytes::new())) {
            Queued::Yes => {}
            Queued::Full => return CloseCause::SlowConsumer,
            Queued::Closed => return conn.cause().unwrap_or(CloseCause::Shutdown),
        }
    }
}

/// Best-effort closing handshake (the caller bounds it with the close timeout).
async fn goodbye(
    sink: &mut SplitSink<WebSocket, Message>,
    stream: &mut SplitStream<WebSocket>,
    outbound: &mut mpsc::Receiver<Message>,
    cause: CloseCause,
) {
    if cause == CloseCause::ClientClosed {
        // Flushes the close frame tungstenite queued in reply.
        let _ = sink.close().await;
        return;
    }
    let Some((code, reason)) = cause.close_frame() else { return };
    if cause.client_listening() {
        while let Ok(message) = outbound.try_recv() {
            if sink.feed(message).await.is_err() {
                return;
            }
        }
    }
    let frame = CloseFrame { code, reason: Utf8Bytes::from_static(reason) };
    if sink.send(Message::Close(Some(frame))).await.is_err() {
        return;
    }
    if cause.client_listening() {
        while let Some(Ok(message)) = stream.next().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    }
}
