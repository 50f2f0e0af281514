//! axum extractors: [`AppUser`], [`PlatformUser`], [`CurrentIdentity`] and
//! [`CurrentApp`], fed by the policy layer ([`crate::PolicyLayer`]).

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use mdbr_core::AppSlug;

use crate::app_auth::AppAuth;
use crate::error::refusal;
use crate::identity::{Identity, IdentityKind};

/// The app a request is for (a newtype, so it can be an extractor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentApp(pub AppSlug);

/// A signed-in user of this app (password or OAuth session). Anything else
/// — no identity, a guest, a platform token — is refused with 401.
///
/// ```no_run
/// use axum::{Json, Router, routing::get};
/// use mdbr_auth::{AppAuth, AppUser};
/// async fn profile(AppUser(user): AppUser) -> Json<mdbr_auth::Identity> {
///     Json(user)
/// }
/// fn routes(auth: &AppAuth) -> Router {
///     Router::new().route("/profile", get(profile)).layer(auth.layer())
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppUser(pub Identity);

/// A platform user, through a platform JWT that names this app. Anything
/// else is refused with 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformUser(pub Identity);

/// Whoever the policy layer identified: app user, platform user or guest.
/// Refused with 401 when nobody was identified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentIdentity(pub Identity);

/// Why an extractor refused a request: 401 without a matching identity, 500
/// when the policy layer is not installed on the route. Answered as
/// `{"error", "reason"}` JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthRejection {
    status: StatusCode,
    code: &'static str,
    reason: &'static str,
}

impl AuthRejection {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Why.
    pub fn reason(&self) -> &'static str {
        self.reason
    }

    const NO_LAYER: Self = Self {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code: "internal",
        reason: "the auth layer is not installed on this route",
    };
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        if self.status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!("an mdbr-auth extractor was used on a route without the policy layer");
        }
        refusal(self.status, self.code, self.reason)
    }
}

fn identity(parts: &Parts, kind: Option<IdentityKind>) -> Result<Identity, AuthRejection> {
    let Some(auth) = parts.extensions.get::<AppAuth>() else {
        return Err(AuthRejection::NO_LAYER);
    };
    let found = parts
        .extensions
        .get::<Identity>()
        .filter(|i| i.belongs_to(auth.app()))
        .filter(|i| kind.is_none_or(|k| i.kind == k));
    found.cloned().ok_or_else(|| {
        let reason = match kind {
            Some(IdentityKind::AppUser) => "sign in as a user of this app",
            Some(IdentityKind::Platform) => "a platform token for this app is required",
            _ => "authentication is required",
        };
        AuthRejection { status: StatusCode::UNAUTHORIZED, code: "unauthenticated", reason }
    })
}

macro_rules! identity_extractor {
    ($ty:ident, $kind:expr) => {
        impl<S: Send + Sync> FromRequestParts<S> for $ty {
            type Rejection = AuthRejection;

            async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
                identity(parts, $kind).map($ty)
            }
        }

        impl<S: Send + Sync> OptionalFromRequestParts<S> for $ty {
            type Rejection = AuthRejection;

            async fn from_request_parts(
                parts: &mut Parts,
                _: &S,
            ) -> Result<Option<Self>, Self::Rejection> {
                if parts.extensions.get::<AppAuth>().is_none() {
                    return identity(parts, $kind).map(|i| Some($ty(i)));
                }
                Ok(identity(parts, $kind).ok().map($ty))
            }
        }
    };
}

identity_extractor!(AppUser, Some(IdentityKind::AppUser));
identity_extractor!(PlatformUser, Some(IdentityKind::Platform));
identity_extractor!(CurrentIdentity, None);

impl<S: Send + Sync> FromRequestParts<S> for CurrentApp {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<CurrentApp>().cloned().ok_or(AuthRejection::NO_LAYER)
    }
}
