//! Fixtures: a test authenticator, two apps served on loopback, and a
//! websocket client with short timeouts.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::request::Parts;
use futures_util::{SinkExt, StreamExt};
use mdbr_auth::{
    Authenticator, BoxFuture, CredentialSources, Decision, Identity, IdentityKind, Outcome,
};
use mdbr_core::{AppSlug, WebSocketAuth, WebSocketEndpoint};
use mdbr_ws::{Envelope, WsConfig, WsHub};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode, header};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for anything before failing.
pub(crate) const PATIENCE: Duration = Duration::from_secs(5);

pub(crate) type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub(crate) fn slug(s: &str) -> AppSlug {
    AppSlug::parse(s).unwrap()
}

pub(crate) fn identity(app: &str, kind: IdentityKind, subject: &str) -> Identity {
    Identity {
        app: slug(app),
        kind,
        subject: subject.to_owned(),
        email: (kind != IdentityKind::Guest).then(|| format!("{subject}@example.test")),
        roles: Vec::new(),
        permissions: Vec::new(),
    }
}

/// The tokens every test server knows: `tok-<user>-<app>`.
pub(crate) fn token_table() -> HashMap<String, Identity> {
    let mut tokens = HashMap::new();
    for app in ["a", "b"] {
        for user in ["alice", "bob", "carol"] {
            tokens.insert(format!("tok-{user}-{app}"), identity(app, IdentityKind::AppUser, user));
        }
        tokens.insert(format!("tok-guest-{app}"), identity(app, IdentityKind::Guest, "guest-1"));
    }
    tokens
}

/// Identifies callers by a token from `Authorization: Bearer`, the `session`
/// cookie or `?token=` (when allowed), and decides by the same rules as the
/// real authenticator: no identity and required → 401; a guest where the
/// endpoint does not admit guests → 403; another app's identity → 401.
///
/// A strict authenticator refuses another app's token in `identify` (as the
/// real one does); a lenient one returns that identity, so the hub's own
/// `belongs_to` check is exercised.
#[derive(Debug)]
pub(crate) struct TestAuth {
    app: AppSlug,
    tokens: HashMap<String, Identity>,
    lenient: bool,
}

impl TestAuth {
    pub(crate) fn new(app: &str) -> Self {
        Self { app: slug(app), tokens: token_table(), lenient: false }
    }

    pub(crate) fn lenient(mut self) -> Self {
        self.lenient = true;
        self
    }
}

fn credential(head: &Parts, sources: CredentialSources) -> Option<String> {
    if let Some(value) = head.headers.get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        return value.strip_prefix("Bearer ").map(str::to_owned);
    }
    let cookies = head.headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    if let Some(token) =
        cookies.and_then(|c| c.split(';').find_map(|c| c.trim().strip_prefix("session=")))
    {
        return Some(token.to_owned());
    }
    if sources.query_token {
        let query = head.uri.query()?;
        return query
            .split('&')
            .filter_map(|kv| kv.strip_prefix("token="))
            .next()
            .map(str::to_owned);
    }
    None
}

impl Authenticator for TestAuth {
    fn app(&self) -> &AppSlug {
        &self.app
    }

    fn identify<'a>(
        &'a self,
        head: &'a Parts,
        sources: CredentialSources,
    ) -> BoxFuture<'a, Result<Option<Identity>, mdbr_auth::Error>> {
        Box::pin(async move {
            let Some(token) = credential(head, sources) else { return Ok(None) };
            let invalid =
                |reason: &str| mdbr_auth::Error::InvalidCredential { reason: reason.into() };
            match self.tokens.get(&token) {
                None => Err(invalid("unknown token")),
                Some(identity) if identity.app != self.app && !self.lenient => {
                    Err(invalid("issued for another app"))
                }
                Some(identity) => Ok(Some(identity.clone())),
            }
        })
    }

    fn decide(&self, identity: Option<&Identity>, endpoint: Option<&WebSocketAuth>) -> Decision {
        let policy = endpoint.cloned().unwrap_or_default();
        let decision = |outcome, reason: &str| Decision { outcome, reason: reason.to_owned() };
        match identity {
            None if policy.required => decision(Outcome::Unauthenticated, "sign-in required"),
            None => decision(Outcome::Allow, "anonymous access allowed"),
            Some(i) if i.app != self.app => decision(Outcome::Unauthenticated, "another app"),
            Some(i) if i.is_guest() && policy.required && !policy.allow_anonymous => {
                decision(Outcome::Forbidden, "guests are not admitted")
            }
            Some(_) => decision(Outcome::Allow, "signed in"),
        }
    }
}

/// The endpoints both apps declare.
pub(crate) fn endpoints() -> Vec<WebSocketEndpoint> {
    let mut guest = WebSocketEndpoint::new("/guest");
    guest.auth = Some(WebSocketAuth { required: true, allow_anonymous: true });
    let mut open = WebSocketEndpoint::new("/open");
    open.auth = Some(WebSocketAuth { required: false, allow_anonymous: false });
    let mut small = WebSocketEndpoint::new("/small");
    small.max_message_bytes = Some(1024);
    vec![WebSocketEndpoint::new("/ws"), guest, open, small]
}

/// Apps `a` and `b`, both declaring the same endpoints, nested under
/// `/apps/a` and `/apps/b` on one loopback listener.
#[derive(Debug)]
pub(crate) struct Server {
    pub(crate) hub: WsHub,
    pub(crate) addr: SocketAddr,
    pub(crate) a: AppSlug,
    pub(crate) b: AppSlug,
}

impl Server {
    pub(crate) async fn start(config: WsConfig) -> Self {
        Self::start_with(config, false).await
    }

    /// With `lenient_b`, app `b`'s authenticator returns other apps' identities.
    pub(crate) async fn start_with(config: WsConfig, lenient_b: bool) -> Self {
        let hub = WsHub::new(config);
        let (a, b) = (slug("a"), slug("b"));
        let auth_b = if lenient_b { TestAuth::new("b").lenient() } else { TestAuth::new("b") };
        let router = Router::new()
            .nest(
                "/apps/a",
                hub.app_router(&a, &endpoints(), Arc::new(TestAuth::new("a"))).unwrap(),
            )
            .nest("/apps/b", hub.app_router(&b, &endpoints(), Arc::new(auth_b)).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { hub, addr, a, b }
    }

    pub(crate) fn url(&self, app: &str, path: &str, token: Option<&str>) -> String {
        let query = token.map(|t| format!("?token={t}")).unwrap_or_default();
        format!("ws://{}/apps/{app}{path}{query}", self.addr)
    }

    /// Connects with `?token=` and waits until the hub has registered it.
    pub(crate) async fn connect(&self, app: &str, path: &str, token: Option<&str>) -> Client {
        let before = self.hub.stats().app(&slug(app)).accepted;
        let (client, response) =
            tokio_tungstenite::connect_async(self.url(app, path, token)).await.unwrap();
        assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
        self.wait_for(|hub| hub.stats().app(&slug(app)).accepted > before).await;
        client
    }

    /// Waits until `condition` holds on the hub, failing after [`PATIENCE`].
    pub(crate) async fn wait_for(&self, condition: impl Fn(&WsHub) -> bool) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !condition(&self.hub) {
            assert!(tokio::time::Instant::now() < deadline, "condition not met in time");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Connects with a header set on the handshake request.
pub(crate) async fn connect_with_header(
    url: &str,
    name: header::HeaderName,
    value: &str,
) -> Result<Client, tungstenite::Error> {
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(name, HeaderValue::from_str(value).unwrap());
    tokio_tungstenite::connect_async(request).await.map(|(client, _)| client)
}

/// The HTTP status and JSON body of a refused handshake.
pub(crate) fn refusal(
    result: Result<impl std::fmt::Debug, tungstenite::Error>,
) -> (StatusCode, serde_json::Value) {
    match result {
        Err(tungstenite::Error::Http(response)) => {
            let body = response.body().as_deref().unwrap_or_default();
            (response.status(), serde_json::from_slice(body).unwrap())
        }
        other => panic!("expected a refused handshake, got {other:?}"),
    }
}

pub(crate) async fn send(client: &mut Client, kind: &str, data: serde_json::Value) {
    let text = serde_json::json!({ "type": kind, "data": data }).to_string();
    client.send(Message::text(text)).await.unwrap();
}

/// The next envelope, skipping control frames; fails on close or timeout.
pub(crate) async fn recv(client: &mut Client) -> Envelope {
    loop {
        let frame = tokio::time::timeout(PATIENCE, client.next())
            .await
            .expect("no message in time")
            .expect("stream ended")
            .expect("read failed");
        match frame {
            Message::Text(text) => return Envelope::parse(&text).unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected a text message, got {other:?}"),
        }
    }
}

/// Reads until the server's close frame, skipping data; `None` if the
/// stream ends without one.
pub(crate) async fn recv_close(client: &mut Client) -> Option<CloseFrame> {
    loop {
        let frame = tokio::time::timeout(PATIENCE, client.next()).await.expect("no close in time");
        match frame {
            Some(Ok(Message::Close(frame))) => return frame,
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return None,
        }
    }
}

/// Broadcasts a marker to `app` and returns the first envelope `client`
/// receives afterwards: proof of what it got (or did not get) before.
pub(crate) async fn next_after_marker(
    server: &Server,
    app: &AppSlug,
    client: &mut Client,
) -> Envelope {
    let marker = mdbr_ws::WsMessage::new("marker", serde_json::json!({}));
    server.hub.broadcast_to_app(app, &marker);
    recv(client).await
}
