//! Settings of a [`WsHub`](crate::WsHub): queue sizes, limits and timers.

use std::time::Duration;

/// Settings shared by every connection of a hub.
///
/// Build it from [`WsConfig::default`] and the `with_*` methods; values out
/// of range are clamped where they are used (a queue holds at least one
/// message, a rate is at least one message per second).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WsConfig {
    /// Messages waiting to be written to one connection (default 256). When
    /// the queue is full the client is not keeping up and is disconnected
    /// with close code 1008.
    pub queue_capacity: usize,
    /// Largest inbound message in bytes when the endpoint sets no
    /// `max_message_bytes` (default 64 KiB). Larger messages close the
    /// connection with code 1009.
    pub max_message_bytes: usize,
    /// Inbound messages per second a connection may send on average (default 20).
    pub rate_per_second: u32,
    /// Inbound messages a connection may send in a burst (default 40).
    pub rate_burst: u32,
    /// Consecutive messages refused by the rate limit before the connection is
    /// closed with code 1008 (default 10). Each refused message gets an error
    /// envelope with code `rate_limited`.
    pub flood_strikes: u32,
    /// Inbound messages waiting for their handler on one connection (default 16).
    /// More are refused with an error envelope with code `overloaded`.
    pub inbound_queue: usize,
    /// Topics one connection may subscribe to (default 64).
    pub max_topics_per_connection: usize,
    /// Replaces every endpoint's `ping_interval` (tests use a few hundred ms).
    pub ping_interval: Option<Duration>,
    /// How long the hub tries to deliver a close frame and waits for the
    /// client's answer before dropping the socket (default 2 s).
    pub close_timeout: Duration,
    /// Read buffer of each socket in bytes (default 1 KiB): the most read from
    /// the socket at once, grown only to hold a larger message. Inbound
    /// traffic is small and rate limited, and every idle connection keeps
    /// this buffer, so it is small.
    pub read_buffer_bytes: usize,
}

impl Default for WsConfig {
    fn default() -> Self {
        Self {
            queue_capacity: 256,
            max_message_bytes: 64 * 1024,
            rate_per_second: 20,
            rate_burst: 40,
            flood_strikes: 10,
            inbound_queue: 16,
            max_topics_per_connection: 64,
            ping_interval: None,
            close_timeout: Duration::from_secs(2),
            read_buffer_bytes: 1024,
        }
    }
}

impl WsConfig {
    /// Sets [`queue_capacity`](Self::queue_capacity).
    pub fn with_queue_capacity(mut self, messages: usize) -> Self {
        self.queue_capacity = messages;
        self
    }

    /// Sets [`max_message_bytes`](Self::max_message_bytes).
    pub fn with_max_message_bytes(mut self, bytes: usize) -> Self {
        self.max_message_bytes = bytes;
        self
    }

    /// Sets [`rate_per_second`](Self::rate_per_second) and [`rate_burst`](Self::rate_burst).
    pub fn with_rate_limit(mut self, per_second: u32, burst: u32) -> Self {
        self.rate_per_second = per_second;
        self.rate_burst = burst;
        self
    }

    /// Sets [`flood_strikes`](Self::flood_strikes).
    pub fn with_flood_strikes(mut self, strikes: u32) -> Self {
        self.flood_strikes = strikes;
        self
    }

    /// Sets [`inbound_queue`](Self::inbound_queue).
    pub fn with_inbound_queue(mut self, messages: usize) -> Self {
        self.inbound_queue = messages;
        self
    }

    /// Sets [`max_topics_per_connection`](Self::max_topics_per_connection).
    pub fn with_max_topics_per_connection(mut self, topics: usize) -> Self {
        self.max_topics_per_connection = topics;
        self
    }

    /// Sets [`ping_interval`](Self::ping_interval), overriding every endpoint's.
    pub fn with_ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = Some(interval);
        self
    }

    /// Sets [`close_timeout`](Self::close_timeout).
    pub fn with_close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// Sets [`read_buffer_bytes`](Self::read_buffer_bytes).
    pub fn with_read_buffer_bytes(mut self, bytes: usize) -> Self {
        self.read_buffer_bytes = bytes;
        self
    }
}
