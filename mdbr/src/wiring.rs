//! Wiring auth and websockets into each app: one `AppAuth` per app, one
//! websocket hub per engine.

use std::sync::Arc;

use axum::Router;
use mdbr_auth::AppAuth;
use mdbr_core::{AppSlug, Manifest};
use mdbr_ws::WsHub;

use crate::engine::RuntimeEngine;
use crate::error::{Error, Result};

impl RuntimeEngine {
    /// The auth of app `slug`: its users, sessions, guests, OAuth providers
    /// and `auth_policy`, over the app's own scoped collections.
    ///
    /// # Errors
    ///
    /// [`Error::AuthUnavailable`] when the engine has no auth configuration
    /// (no `MDBR_JWT_SECRET`/key files outside dev mode), and the scope's
    /// errors for an unknown or disabled app.
    pub fn app_auth(&self, slug: &str) -> Result<AppAuth> {
        let db = self.scoped_db(slug)?;
        let manifest = self
            .manifest(slug)
            .ok_or_else(|| Error::Config(format!("app `{slug}` is not registered")))?;
        let key = manifest.slug.clone();
        if let Some(auth) = self.inner.auths.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(auth.clone());
        }
        let config = self
            .inner
            .auth_config
            .clone()
            .map_err(|reason| Error::AuthUnavailable { app: slug.to_owned(), reason })?;
        let auth = AppAuth::new(db, &manifest, config)?;
        // Two first uses may race: both get the one that was stored first, so
        // the app has one throttle and one set of OAuth states.
        let mut auths = self.inner.auths.write().unwrap_or_else(|e| e.into_inner());
        Ok(auths.entry(key).or_insert(auth).clone())
    }

    /// The engine's websocket hub: `broadcast_to_app`, `send_to_user`,
    /// `publish` to a topic, and handlers for inbound message types.
    pub fn ws(&self) -> &WsHub {
        &self.inner.ws
    }

    /// `routes` with app `slug`'s `auth_policy` enforced on every request
    /// (401/403 with a reason) and CSRF checked on cookie-authenticated
    /// state changes; handlers can take `mdbr::auth::AppUser` and friends.
    ///
    /// # Errors
    ///
    /// As [`RuntimeEngine::app_auth`].
    pub fn protect(&self, slug: &str, routes: Router) -> Result<Router> {
        Ok(routes.layer(self.app_auth(slug)?.layer()))
    }

    /// The auth routes and websocket endpoints of `manifest`'s app, when it
    /// declares any (`sub_auth.enabled`, `websockets`).
    pub(crate) fn auth_and_ws_routes(&self, manifest: &Manifest) -> Result<Router> {
        let slug = manifest.slug.as_str();
        let needs_auth = manifest.sub_auth.enabled || !manifest.websockets.is_empty();
        let auth = match self.app_auth(slug) {
            Ok(auth) => auth,
            Err(e) if needs_auth => return Err(e),
            // Nothing declared needs auth: serve `/auth/me` for platform
            // tokens only when auth is configured.
            Err(_) => return Ok(Router::new()),
        };
        let mut router = auth.router();
        if !manifest.websockets.is_empty() {
            let endpoints: Vec<_> = manifest.websockets.values().cloned().collect();
            let guard: Arc<dyn mdbr_auth::Authenticator> = Arc::new(auth);
            router = router.merge(self.inner.ws.app_router(&manifest.slug, &endpoints, guard)?);
        }
        Ok(router)
    }

    /// Prepares the app's auth at registration: the unique email index, the
    /// session TTL index and the demo users.
    pub(crate) async fn prepare_auth(&self, manifest: &Manifest) -> Result<()> {
        if !manifest.sub_auth.enabled {
            return Ok(());
        }
        self.app_auth(manifest.slug.as_str())?.prepare().await?;
        Ok(())
    }

    /// Closes the websocket connections of `slug` (when the app is switched off).
    pub(crate) fn close_connections(&self, slug: &AppSlug) -> usize {
        self.inner.ws.close_app(slug)
    }
}
