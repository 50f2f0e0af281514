//! Tracing events carry the app and never a credential.

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use mdbr_ws::{WsConfig, WsMessage};
use serde_json::json;
use tokio_tungstenite::tungstenite::http::header;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

use crate::support::{Server, connect_with_header, recv, refusal, send};

/// Records every event and span field as text.
#[derive(Debug, Default)]
struct Capture {
    lines: Arc<Mutex<Vec<String>>>,
    next_id: AtomicU64,
}

struct Text<'a>(&'a mut String);

impl Visit for Text<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let _ = write!(self.0, "{}={value:?} ", field.name());
    }
}

impl Capture {
    fn push(&self, line: String) {
        self.lines.lock().unwrap().push(line);
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut line = format!("span {} ", span.metadata().name());
        span.record(&mut Text(&mut line));
        self.push(line);
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut line = String::from("record ");
        values.record(&mut Text(&mut line));
        self.push(line);
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut line = format!("event {} ", event.metadata().level());
        event.record(&mut Text(&mut line));
        self.push(line);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

// A current-thread runtime: the server's tasks run on this thread, under
// the thread-local subscriber.
#[tokio::test(flavor = "current_thread")]
async fn tokens_are_never_logged() {
    let capture = Capture::default();
    let lines = Arc::clone(&capture.lines);
    let _guard = tracing::subscriber::set_default(capture);

    let server = Server::start(WsConfig::default()).await;
    server
        .hub
        .on(&server.a, "fail", |_ctx, _data| async move { Err("failed on purpose".into()) })
        .unwrap();
    let mut alice = server.connect("a", "/ws", Some("tok-alice-a")).await;
    send(&mut alice, "fail", json!(null)).await;
    assert_eq!(recv(&mut alice).await.data["code"], "handler_failed");
    let url = server.url("a", "/ws", None);
    let mut bob =
        connect_with_header(&url, header::AUTHORIZATION, "Bearer tok-bob-a").await.unwrap();
    server.hub.broadcast_to_app(&server.a, &WsMessage::new("x", json!(1)));
    recv(&mut bob).await;
    for token in ["forged-secret-123", "tok-guest-a", "tok-alice-b"] {
        let result = tokio_tungstenite::connect_async(server.url("a", "/ws", Some(token))).await;
        refusal(result);
    }
    alice.close(None).await.unwrap();
    server.wait_for(|hub| hub.connections(&server.a) == 1).await;

    let log = lines.lock().unwrap().join("\n");
    // The capture works: refusals, failures and connections were logged, with the app.
    assert!(log.contains("websocket upgrade refused"), "{log}");
    assert!(log.contains("websocket handler failed"), "{log}");
    assert!(log.contains("app=a"), "{log}");
    assert!(log.contains("path=/ws"), "{log}");
    for secret in ["forged-secret-123", "tok-guest-a", "tok-alice-b", "tok-alice-a", "tok-bob-a"] {
        assert!(!log.contains(secret), "`{secret}` was logged:\n{log}");
    }
    assert!(!log.contains("token="), "a query string was logged:\n{log}");
}
