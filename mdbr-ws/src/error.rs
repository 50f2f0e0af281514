//! Errors of the websocket layer, and the answer to a refused upgrade.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mdbr_core::AppSlug;

/// Result of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything the hub's API can refuse.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An endpoint of the manifest cannot be mounted.
    #[error("websocket endpoint `{path}` cannot be mounted: {reason}")]
    InvalidEndpoint {
        /// The endpoint's path as declared.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The authenticator given to [`WsHub::app_router`](crate::WsHub::app_router)
    /// guards another app.
    #[error("the authenticator guards app `{found}`, not `{expected}`")]
    AuthenticatorMismatch {
        /// The app whose router was asked for.
        expected: AppSlug,
        /// The app the authenticator guards.
        found: AppSlug,
    },
    /// A handler was registered for a message type the hub handles itself.
    #[error("message type `{0}` is reserved by the hub")]
    ReservedType(String),
    /// A message type is empty or longer than 64 bytes.
    #[error("message type must be 1 to 64 bytes long")]
    InvalidType,
    /// Message data could not be turned into JSON.
    #[error("message data could not be serialized")]
    Serialize(#[source] serde_json::Error),
    /// The connection is closed or being closed, so nothing can be queued to it.
    #[error("the connection is closed")]
    Disconnected,
}

impl Error {
    /// Whether the connection a message was meant for is gone.
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Self::Disconnected)
    }
}

/// Why an upgrade was refused: answered with a fixed status and a short JSON
/// body, before any websocket is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No acceptable credential: 401.
    Unauthenticated,
    /// A credential the endpoint's policy refuses: 403.
    Forbidden,
}

/// A refused upgrade with the reason shown to the client.
#[derive(Debug, Clone)]
pub(crate) struct Refused {
    pub(crate) refusal: Refusal,
    pub(crate) reason: String,
}

impl Refusal {
    pub(crate) fn status(self) -> StatusCode {
        match self {
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
        }
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.refusal.code(), "reason": self.reason });
        let mut response = (self.refusal.status(), Json(body)).into_response();
        if self.refusal == Refusal::Unauthenticated {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
