//! The hub: one per engine, holding every app's connections, and the API
//! that sends to them.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use axum::Router;
use axum::extract::ws::Utf8Bytes;
use mdbr_auth::Authenticator;
use mdbr_core::{AppSlug, WebSocketEndpoint};
use serde_json::Value;

use crate::config::WsConfig;
use crate::connection::{CloseCause, ConnectionId};
use crate::envelope::WsMessage;
use crate::error::{Error, Result};
use crate::handler::{Handler, HandlerContext, HandlerResult};
use crate::registry::AppHub;
use crate::stats::HubStats;

/// Message types the hub handles itself or sends itself.
const RESERVED_TYPES: &[&str] =
    &["subscribe", "unsubscribe", "subscribed", "unsubscribed", "error"];

/// The websocket hub: every app's connections, isolated per app.
///
/// Cheap to clone (an `Arc`); create one per engine and mount
/// [`app_router`](Self::app_router) for each app. Every send method queues
/// without waiting and returns how many connections the message was queued
/// to; a connection whose queue is full is disconnected instead.
#[derive(Clone)]
pub struct WsHub {
    inner: Arc<HubInner>,
}

struct HubInner {
    config: WsConfig,
    apps: RwLock<HashMap<AppSlug, Arc<AppHub>>>,
    next_id: AtomicU64,
}

impl fmt::Debug for WsHub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let apps: Vec<AppSlug> = self.read_apps().keys().cloned().collect();
        f.debug_struct("WsHub").field("config", &self.inner.config).field("apps", &apps).finish()
    }
}

impl Default for WsHub {
    fn default() -> Self {
        Self::new(WsConfig::default())
    }
}

impl WsHub {
    /// A hub with `config`.
    pub fn new(config: WsConfig) -> Self {
        Self {
            inner: Arc::new(HubInner {
                config,
                apps: RwLock::default(),
                next_id: AtomicU64::new(1),
            }),
        }
    }

    /// The hub's settings.
    pub fn config(&self) -> &WsConfig {
        &self.inner.config
    }

    /// A router serving `app`'s websocket endpoints, each at its declared
    /// path; nest or serve it under the app's own prefix, so two apps may
    /// both declare `/ws`.
    ///
    /// Every upgrade is authenticated by `auth` before it is accepted (see
    /// the crate docs); `auth` must guard `app`.
    ///
    /// # Errors
    ///
    /// [`Error::AuthenticatorMismatch`] if `auth` guards another app, and
    /// [`Error::InvalidEndpoint`] for a path that is not a plain absolute path
    /// (`/`, letters, digits, `-`, `_`, `.`, `~`) or is declared twice.
    pub fn app_router(
        &self,
        app: &AppSlug,
        endpoints: &[WebSocketEndpoint],
        auth: Arc<dyn Authenticator>,
    ) -> Result<Router> {
        crate::router::build(self, app, endpoints, auth)
    }

    /// Registers the handler for inbound messages of type `kind` on `app`,
    /// replacing any previous one. The handler gets the context and the
    /// message's `data`.
    ///
    /// # Errors
    ///
    /// [`Error::ReservedType`] for the hub's own types (`subscribe`,
    /// `unsubscribe`, `subscribed`, `unsubscribed`, `error`) and
    /// [`Error::InvalidType`] for an empty type or one over 64 bytes.
    pub fn on<F, Fut>(&self, app: &AppSlug, kind: &str, handler: F) -> Result<()>
    where
        F: Fn(HandlerContext, Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        if RESERVED_TYPES.contains(&kind) {
            return Err(Error::ReservedType(kind.to_owned()));
        }
        if kind.is_empty() || kind.len() > 64 {
            return Err(Error::InvalidType);
        }
        self.app_hub(app).set_handler(kind, Handler::new(handler));
        Ok(())
    }

    /// Queues `message` to every connection of `app`; returns how many.
    pub fn broadcast_to_app(&self, app: &AppSlug, message: &WsMessage) -> usize {
        self.fan_out(app, message, |hub, text| hub.broadcast(text))
    }

    /// Queues `message` to every connection of `user_id` (the identity's
    /// `subject`) on `app`; returns how many.
    pub fn send_to_user(&self, app: &AppSlug, user_id: &str, message: &WsMessage) -> usize {
        self.fan_out(app, message, |hub, text| hub.to_user(user_id, text))
    }

    /// Queues `message` to the connections of `app` subscribed to `topic`;
    /// returns how many.
    pub fn publish(&self, app: &AppSlug, topic: &str, message: &WsMessage) -> usize {
        self.fan_out(app, message, |hub, text| hub.to_topic(topic, text))
    }

    /// Queues `message` to one connection of `app`; returns 1, or 0 if it is gone.
    pub fn send_to_connection(
        &self,
        app: &AppSlug,
        id: ConnectionId,
        message: &WsMessage,
    ) -> usize {
        self.fan_out(app, message, |hub, text| hub.to_connection(id, text))
    }

    /// Open connections of `app`.
    pub fn connections(&self, app: &AppSlug) -> usize {
        self.find(app).map_or(0, |hub| hub.len())
    }

    /// Closes every connection of `app` with code 1001 (an app being
    /// removed or stopped); returns how many. Its handlers stay registered.
    pub fn close_app(&self, app: &AppSlug) -> usize {
        self.find(app).map_or(0, |hub| hub.close_all(CloseCause::Shutdown))
    }

    /// Counters per app and in total.
    pub fn stats(&self) -> HubStats {
        let apps: Vec<Arc<AppHub>> = self.read_apps().values().cloned().collect();
        let apps: BTreeMap<AppSlug, _> =
            apps.iter().map(|hub| (hub.slug.clone(), hub.stats())).collect();
        HubStats::from_apps(apps)
    }

    /// Serializes once, then hands the shared text to `deliver`.
    fn fan_out(
        &self,
        app: &AppSlug,
        message: &WsMessage,
        deliver: impl FnOnce(&AppHub, &Utf8Bytes) -> usize,
    ) -> usize {
        let Some(hub) = self.find(app) else { return 0 };
        match message.encode(app) {
            Ok(text) => deliver(&hub, &text),
            Err(error) => {
                tracing::error!(app = %app, %error, "websocket message not serializable");
                0
            }
        }
    }

    pub(crate) fn app_hub(&self, app: &AppSlug) -> Arc<AppHub> {
        if let Some(hub) = self.find(app) {
            return hub;
        }
        let mut apps = self.inner.apps.write().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(apps.entry(app.clone()).or_insert_with(|| Arc::new(AppHub::new(app.clone()))))
    }

    fn find(&self, app: &AppSlug) -> Option<Arc<AppHub>> {
        self.read_apps().get(app).cloned()
    }

    fn read_apps(&self) -> std::sync::RwLockReadGuard<'_, HashMap<AppSlug, Arc<AppHub>>> {
        self.inner.apps.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn next_connection_id(&self) -> ConnectionId {
        ConnectionId::new(self.inner.next_id.fetch_add(1, Ordering::Relaxed))
    }
}
