//! The app's axum router: health, readiness and metrics endpoints, auth
//! routes and websocket endpoints.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::engine::RuntimeEngine;
use crate::error::Result;

impl RuntimeEngine {
    /// The app's router: `GET /health` (liveness: 503 when something is
    /// unhealthy), `GET /ready` (503 unless every check is healthy) and
    /// `GET /metrics` (Prometheus text); the auth routes (`/auth/register`,
    /// `/auth/login`, `/auth/logout`, `/auth/me`, `/auth/oauth/{provider}/…`,
    /// …) when auth is configured; and the manifest's websocket endpoints,
    /// which authenticate before accepting the upgrade. Merge the app's own
    /// routes into it, through [`RuntimeEngine::protect`] to enforce the
    /// app's `auth_policy` on them.
    ///
    /// # Errors
    ///
    /// Unknown or disabled apps, and [`crate::Error::AuthUnavailable`] for an
    /// app that declares `sub_auth` or `websockets` on an engine without auth
    /// configuration.
    pub fn app_router(&self, slug: &str) -> Result<Router> {
        // The app must be registered and accessible.
        self.scoped_db(slug)?;
        let manifest = self
            .manifest(slug)
            .ok_or_else(|| crate::Error::Config(format!("app `{slug}` is not registered")))?;
        let runtime = Router::new()
            .route("/health", get(health))
            .route("/ready", get(ready))
            .route("/metrics", get(metrics))
            .with_state(self.clone());
        Ok(runtime.merge(self.auth_and_ws_routes(&manifest)?))
    }
}

async fn health(State(engine): State<RuntimeEngine>) -> Response {
    let report = engine.health().await;
    let code = if report.is_alive() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, axum::Json(report)).into_response()
}

async fn ready(State(engine): State<RuntimeEngine>) -> Response {
    let report = engine.health().await;
    let code = if report.is_ready() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, axum::Json(report)).into_response()
}

async fn metrics(State(engine): State<RuntimeEngine>) -> Response {
    match engine.metrics().render() {
        Ok(text) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}
