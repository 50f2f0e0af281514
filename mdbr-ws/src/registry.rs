//! One app's registry: its connections, the user and topic indexes, its
//! handlers and counters, and fan-out to any subset of its connections.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::extract::ws::{Message, Utf8Bytes};
use mdbr_core::AppSlug;

use crate::connection::{CloseCause, Conn, ConnectionId, Queued};
use crate::envelope::{ErrorCode, WsMessage, error_message};
use crate::handler::Handler;
use crate::stats::{AppStats, Counters};

/// Longest topic name in bytes.
pub(crate) const MAX_TOPIC_BYTES: usize = 128;

/// The hub's state for one app.
#[derive(Debug)]
pub(crate) struct AppHub {
    pub(crate) slug: AppSlug,
    state: RwLock<AppState>,
    handlers: RwLock<HashMap<String, Handler>>,
    pub(crate) counters: Counters,
}

/// Connections and the indexes over them; always changed together, under one lock.
#[derive(Debug, Default)]
struct AppState {
    conns: HashMap<ConnectionId, Entry>,
    users: HashMap<String, HashMap<ConnectionId, Arc<Conn>>>,
    topics: HashMap<String, HashMap<ConnectionId, Arc<Conn>>>,
}

#[derive(Debug)]
struct Entry {
    conn: Arc<Conn>,
    user: Option<String>,
    topics: HashSet<String>,
}

/// Why a subscription was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TopicRefusal {
    Invalid,
    TooMany,
    Gone,
}

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

impl AppHub {
    pub(crate) fn new(slug: AppSlug) -> Self {
        Self {
            slug,
            state: RwLock::default(),
            handlers: RwLock::default(),
            counters: Counters::default(),
        }
    }

    pub(crate) fn insert(&self, conn: Arc<Conn>, user: Option<String>) {
        let mut state = write(&self.state);
        if let Some(user) = &user {
            state.users.entry(user.clone()).or_default().insert(conn.id, Arc::clone(&conn));
        }
        state.conns.insert(conn.id, Entry { conn, user, topics: HashSet::new() });
    }

    /// Forgets a connection everywhere; idempotent.
    pub(crate) fn remove(&self, id: ConnectionId) -> bool {
        let mut state = write(&self.state);
        let Some(entry) = state.conns.remove(&id) else { return false };
        if let Some(user) = &entry.user
            && let Some(conns) = state.users.get_mut(user)
        {
            conns.remove(&id);
            if conns.is_empty() {
                state.users.remove(user);
            }
        }
        for topic in &entry.topics {
            if let Some(conns) = state.topics.get_mut(topic) {
                conns.remove(&id);
                if conns.is_empty() {
                    state.topics.remove(topic);
                }
            }
        }
        true
    }

    /// Ends a connection for `cause` (counted once, by whoever decided it)
    /// and forgets it at once; its task sends the close frame.
    pub(crate) fn close(&self, conn: &Conn, cause: CloseCause) {
        if conn.finish(cause) {
            let counter = match cause {
                CloseCause::SlowConsumer => Some(&self.counters.dropped_slow),
                CloseCause::PongTimeout => Some(&self.counters.reaped),
                CloseCause::TooBig => Some(&self.counters.oversize),
                CloseCause::Flood => Some(&self.counters.flooded),
                _ => None,
            };
            if let Some(counter) = counter {
                Counters::bump(counter);
            }
        }
        self.remove(conn.id);
    }

    pub(crate) fn close_all(&self, cause: CloseCause) -> usize {
        let conns: Vec<Arc<Conn>> =
            read(&self.state).conns.values().map(|e| Arc::clone(&e.conn)).collect();
        for conn in &conns {
            self.close(conn, cause);
        }
        conns.len()
    }

    pub(crate) fn len(&self) -> usize {
        read(&self.state).conns.len()
    }

    pub(crate) fn stats(&self) -> AppStats {
        self.counters.snapshot(self.len())
    }

    pub(crate) fn handler(&self, kind: &str) -> Option<Handler> {
        read(&self.handlers).get(kind).cloned()
    }

    pub(crate) fn set_handler(&self, kind: &str, handler: Handler) {
        write(&self.handlers).insert(kind.to_owned(), handler);
    }

    /// Subscribes a connection; `Ok(false)` when it already was.
    pub(crate) fn subscribe(
        &self,
        id: ConnectionId,
        topic: &str,
        max_topics: usize,
    ) -> Result<bool, TopicRefusal> {
        if topic.is_empty() || topic.len() > MAX_TOPIC_BYTES {
            return Err(TopicRefusal::Invalid);
        }
        let mut state = write(&self.state);
        let Some(entry) = state.conns.get_mut(&id) else { return Err(TopicRefusal::Gone) };
        if entry.topics.contains(topic) {
            return Ok(false);
        }
        if entry.topics.len() >= max_topics {
            return Err(TopicRefusal::TooMany);
        }
        entry.topics.insert(topic.to_owned());
        let conn = Arc::clone(&entry.conn);
        state.topics.entry(topic.to_owned()).or_default().insert(id, conn);
        Ok(true)
    }

    /// Unsubscribes a connection; whether it was subscribed.
    pub(crate) fn unsubscribe(&self, id: ConnectionId, topic: &str) -> bool {
        let mut state = write(&self.state);
        let Some(entry) = state.conns.get_mut(&id) else { return false };
        if !entry.topics.remove(topic) {
            return false;
        }
        if let Some(conns) = state.topics.get_mut(topic) {
            conns.remove(&id);
            if conns.is_empty() {
                state.topics.remove(topic);
            }
        }
        true
    }

    pub(crate) fn broadcast(&self, text: &Utf8Bytes) -> usize {
        let state = read(&self.state);
        let (queued, slow) = offer(state.conns.values().map(|e| &e.conn), text);
        drop(state);
        self.drop_slow(slow);
        queued
    }

    pub(crate) fn to_user(&self, user: &str, text: &Utf8Bytes) -> usize {
        let state = read(&self.state);
        let Some(conns) = state.users.get(user) else { return 0 };
        let (queued, slow) = offer(conns.values(), text);
        drop(state);
        self.drop_slow(slow);
        queued
    }

    pub(crate) fn to_topic(&self, topic: &str, text: &Utf8Bytes) -> usize {
        let state = read(&self.state);
        let Some(conns) = state.topics.get(topic) else { return 0 };
        let (queued, slow) = offer(conns.values(), text);
        drop(state);
        self.drop_slow(slow);
        queued
    }

    pub(crate) fn to_connection(&self, id: ConnectionId, text: &Utf8Bytes) -> usize {
        let state = read(&self.state);
        let Some(entry) = state.conns.get(&id) else { return 0 };
        let (queued, slow) = offer(std::iter::once(&entry.conn), text);
        drop(state);
        self.drop_slow(slow);
        queued
    }

    fn drop_slow(&self, slow: Vec<Arc<Conn>>) {
        for conn in slow {
            tracing::info!(app = %self.slug, conn = %conn.id, "websocket client too slow; disconnecting");
            self.close(&conn, CloseCause::SlowConsumer);
        }
    }

    /// Queues `message` to one connection, closing it if its queue is full.
    pub(crate) fn send(&self, conn: &Conn, message: &WsMessage) -> Result<(), CloseCause> {
        let text = match message.encode(&self.slug) {
            Ok(text) => text,
            Err(error) => {
                tracing::error!(app = %self.slug, %error, "websocket message not serializable");
                return Ok(());
            }
        };
        match conn.queue(Message::Text(text)) {
            Queued::Yes => Ok(()),
            Queued::Full => {
                self.close(conn, CloseCause::SlowConsumer);
                Err(CloseCause::SlowConsumer)
            }
            Queued::Closed => Err(conn.cause().unwrap_or(CloseCause::Shutdown)),
        }
    }

    /// Queues an error envelope to one connection.
    pub(crate) fn send_error(
        &self,
        conn: &Conn,
        code: ErrorCode,
        message: &str,
        for_type: Option<&str>,
    ) -> Result<(), CloseCause> {
        let for_type = for_type.map(|kind| truncate(kind, 64));
        self.send(conn, &error_message(code, message, for_type))
    }
}

/// Offers one shared text to each connection without waiting; returns how
/// many took it and the connections whose queue was full.
fn offer<'a>(
    conns: impl Iterator<Item = &'a Arc<Conn>>,
    text: &Utf8Bytes,
) -> (usize, Vec<Arc<Conn>>) {
    let mut queued = 0;
    let mut slow = Vec::new();
    for conn in conns {
        match conn.queue(Message::Text(text.clone())) {
            Queued::Yes => queued += 1,
            Queued::Full => slow.push(Arc::clone(conn)),
            Queued::Closed => {}
        }
    }
    (queued, slow)
}

/// At most `max` bytes of `text`, cut on a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
