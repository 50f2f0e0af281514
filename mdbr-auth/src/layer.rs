//! The policy layer: identifies the caller of every request, applies the
//! app's `auth_policy`, checks CSRF for cookie-authenticated state changes,
//! and hands the identity to handlers through request extensions.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use crate::app_auth::{AppAuth, Authenticated};
use crate::csrf::is_state_changing;
use crate::error::{Error, refusal};
use crate::extract::CurrentApp;
use crate::identity::{CredentialSources, Outcome};
use crate::routes::AUTH_ROUTES;

/// A tower layer enforcing one app's `auth_policy` on a router.
///
/// For every request it identifies the caller ([`AppAuth::authenticate`]),
/// answers 401 or 403 with `{"error", "reason"}` when the policy refuses,
/// refuses cookie-authenticated POST/PUT/PATCH/DELETE requests that are
/// neither same-origin nor carry the CSRF token (403 `csrf`), and otherwise
/// inserts the [`crate::Identity`] (when there is one), the
/// [`Authenticated`] caller, [`CurrentApp`] and the [`AppAuth`] into the
/// request's extensions for the extractors. The auth router's own paths
/// ([`AUTH_ROUTES`]) pass through: their handlers check what they need.
#[derive(Debug, Clone)]
#[must_use]
pub struct PolicyLayer {
    auth: AppAuth,
}

impl PolicyLayer {
    /// The layer of `auth`'s app.
    pub fn new(auth: AppAuth) -> Self {
        Self { auth }
    }
}

impl AppAuth {
    /// The layer enforcing this app's policy; see [`PolicyLayer`].
    pub fn layer(&self) -> PolicyLayer {
        PolicyLayer::new(self.clone())
    }
}

impl<S> Layer<S> for PolicyLayer {
    type Service = PolicyService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PolicyService { auth: self.auth.clone(), inner }
    }
}

/// The service made by [`PolicyLayer`].
#[derive(Debug, Clone)]
pub struct PolicyService<S> {
    auth: AppAuth,
    inner: S,
}

impl<S> Service<Request> for PolicyService<S>
where
    S: Service<Request, Error = Infallible> + Clone + Send + 'static,
    S::Response: IntoResponse,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let auth = self.auth.clone();
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        Box::pin(async move {
            let (mut head, body) = request.into_parts();
            head.extensions.insert(auth.clone());
            head.extensions.insert(CurrentApp(auth.app().clone()));
            if !is_auth_route(head.uri.path())
                && let Err(refused) = guard(&auth, &mut head).await
            {
                return Ok(refused);
            }
            let response = inner.call(Request::from_parts(head, body)).await?;
            Ok(response.into_response())
        })
    }
}

/// Identifies, decides and checks CSRF; on success the identity is in the
/// extensions.
async fn guard(auth: &AppAuth, head: &mut Parts) -> Result<(), Response> {
    let caller = auth
        .authenticate(head, CredentialSources::default())
        .await
        .map_err(IntoResponse::into_response)?;
    let decision = auth.evaluate(caller.as_ref().map(|a| &a.identity), None);
    match decision.outcome {
        Outcome::Allow => {}
        Outcome::Unauthenticated => {
            tracing::debug!(app = %auth.app(), reason = %decision.reason, "request refused: 401");
            return Err(refusal(
                axum::http::StatusCode::UNAUTHORIZED,
                "unauthenticated",
                &decision.reason,
            ));
        }
        Outcome::Forbidden => {
            tracing::info!(app = %auth.app(), reason = %decision.reason, "request refused: 403");
            return Err(refusal(axum::http::StatusCode::FORBIDDEN, "forbidden", &decision.reason));
        }
    }
    if let Some(a) = &caller
        && a.source.is_cookie()
        && is_state_changing(&head.method)
    {
        auth.inner
            .csrf
            .check(auth.app(), &head.headers, auth.csrf_cookie_name(), a.credential().expose())
            .map_err(|e: Error| e.into_response())?;
    }
    if let Some(a) = caller {
        head.extensions.insert(a.identity.clone());
        head.extensions.insert::<Authenticated>(a);
    }
    Ok(())
}

/// Whether `path` is one of the auth router's paths, possibly below a prefix
/// (`/apps/x/auth/login`).
fn is_auth_route(path: &str) -> bool {
    AUTH_ROUTES.iter().any(|route| {
        let route_segments: Vec<&str> = route.trim_start_matches('/').split('/').collect();
        let path_segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        if path_segments.len() < route_segments.len() {
            return false;
        }
        let tail = &path_segments[path_segments.len() - route_segments.len()..];
        tail.iter().zip(&route_segments).all(|(p, r)| r.starts_with('{') || p == r)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn auth_routes_are_recognised_below_prefixes() {
        use super::is_auth_route;
        assert!(is_auth_route("/auth/login"));
        assert!(is_auth_route("/apps/x/auth/login"));
        assert!(is_auth_route("/auth/oauth/google/callback"));
        assert!(!is_auth_route("/auth/oauth/google"));
        assert!(!is_auth_route("/api/login"));
        assert!(!is_auth_route("/auth/loginx"));
    }
}
