//! Mounting an app's endpoints, and authenticating each upgrade before it
//! is accepted.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequestParts, Request, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use mdbr_auth::{Authenticator, CredentialSources, Outcome};
use mdbr_core::{AppSlug, WebSocketAuth, WebSocketEndpoint};
use tracing::Instrument;

use crate::connection::{self, Session};
use crate::error::{Error, Refusal, Refused, Result};
use crate::hub::WsHub;
use crate::registry::AppHub;
use crate::stats::Counters;

/// One mounted endpoint with its settings resolved.
#[derive(Debug)]
struct Endpoint {
    path: String,
    auth: Option<WebSocketAuth>,
    max_message_bytes: usize,
    ping_interval: Duration,
}

/// Everything the upgrade handler of one endpoint needs.
struct Mounted {
    hub: WsHub,
    app: Arc<AppHub>,
    auth: Arc<dyn Authenticator>,
    endpoint: Endpoint,
}

pub(crate) fn build(
    hub: &WsHub,
    app: &AppSlug,
    endpoints: &[WebSocketEndpoint],
    auth: Arc<dyn Authenticator>,
) -> Result<Router> {
    if auth.app() != app {
        return Err(Error::AuthenticatorMismatch {
            expected: app.clone(),
            found: auth.app().clone(),
        });
    }
    let app_hub = hub.app_hub(app);
    let config = hub.config();
    let mut seen = HashSet::new();
    let mut router = Router::new();
    for declared in endpoints {
        check_path(&declared.path)?;
        if !seen.insert(declared.path.as_str()) {
            return Err(Error::InvalidEndpoint {
                path: declared.path.clone(),
                reason: "declared twice",
            });
        }
        let max_message_bytes = declared
            .max_message_bytes
            .map_or(config.max_message_bytes, |n| usize::try_from(n).unwrap_or(usize::MAX))
            .max(1);
        let ping_interval = config
            .ping_interval
            .unwrap_or_else(|| {
                Duration::from_secs(u64::from(declared.ping_interval.clamp(1, 3600)))
            })
            .max(Duration::from_millis(1));
        let mounted = Arc::new(Mounted {
            hub: hub.clone(),
            app: Arc::clone(&app_hub),
            auth: Arc::clone(&auth),
            endpoint: Endpoint {
                path: declared.path.clone(),
                auth: declared.auth.clone(),
                max_message_bytes,
                ping_interval,
            },
        });
        router = router.route(
            &declared.path,
            any(move |request: Request| {
                let mounted = Arc::clone(&mounted);
                async move { upgrade(&mounted, request).await }
            }),
        );
    }
    Ok(router)
}

/// Accepts plain absolute paths only, so mounting can never panic.
fn check_path(path: &str) -> Result<()> {
    let invalid = |reason| Err(Error::InvalidEndpoint { path: path.to_owned(), reason });
    if !path.starts_with('/') {
        return invalid("the path must start with `/`");
    }
    if path.len() > 256 {
        return invalid("the path is longer than 256 bytes");
    }
    if path.contains("//") {
        return invalid("the path has an empty segment");
    }
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | '~');
    if !path.chars().all(plain) {
        return invalid("the path may only hold letters, digits, `/`, `-`, `_`, `.` and `~`");
    }
    Ok(())
}

/// Authenticates, then upgrades. Nothing is accepted before the decision,
/// and neither the query string nor any credential is logged.
async fn upgrade(mounted: &Mounted, request: Request) -> Response {
    let Mounted { hub, app, auth, endpoint } = mounted;
    let (mut parts, _body) = request.into_parts();

    let identity = match auth.identify(&parts, CredentialSources { query_token: true }).await {
        Ok(identity) => identity,
        Err(error) => {
            return refuse(app, endpoint, Refusal::Unauthenticated, "invalid credential", &error);
        }
    };
    if let Some(identity) = &identity
        && !identity.belongs_to(&app.slug)
    {
        let reason = "credential issued for another app";
        return refuse(app, endpoint, Refusal::Unauthenticated, reason, &reason);
    }
    let decision = auth.decide(identity.as_ref(), endpoint.auth.as_ref());
    if !decision.is_allowed() {
        let refusal = if decision.outcome == Outcome::Forbidden {
            Refusal::Forbidden
        } else {
            Refusal::Unauthenticated
        };
        return refuse(app, endpoint, refusal, &decision.reason, &decision.reason);
    }

    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let config = hub.config();
    let session = Session {
        hub: hub.clone(),
        app: Arc::clone(app),
        identity: identity.map(Arc::new),
        max_message_bytes: endpoint.max_message_bytes,
        ping_interval: endpoint.ping_interval,
    };
    let id = hub.next_connection_id();
    let span = tracing::debug_span!("mdbr.ws.connection", app = %app.slug, conn = %id, path = %endpoint.path);
    upgrade
        .max_message_size(endpoint.max_message_bytes)
        .max_frame_size(endpoint.max_message_bytes)
        .read_buffer_size(config.read_buffer_bytes.max(256))
        .on_upgrade(move |socket| connection::serve(socket, session, id).instrument(span))
}

/// Answers a refused upgrade and counts it. `detail` is logged; the client
/// sees `reason`.
fn refuse(
    app: &AppHub,
    endpoint: &Endpoint,
    refusal: Refusal,
    reason: &str,
    detail: &dyn std::fmt::Display,
) -> Response {
    Counters::bump(&app.counters.refused_upgrades);
    tracing::info!(
        app = %app.slug,
        path = %endpoint.path,
        status = refusal.status().as_u16(),
        reason = %detail,
        "websocket upgrade refused"
    );
    Refused { refusal, reason: reason.to_owned() }.into_response()
}
