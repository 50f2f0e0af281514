//! Who is calling, and whether they may: the contract between `mdbr-auth`
//! and the crates that guard endpoints with it (`mdbr-ws`, the facade).

use std::future::Future;
use std::pin::Pin;

use mdbr_core::{AppSlug, WebSocketAuth};
use serde::{Deserialize, Serialize};

/// How an [`Identity`] was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IdentityKind {
    /// A user of the app's own user system (password or OAuth), through a session.
    AppUser,
    /// An anonymous guest with a signed random id.
    Guest,
    /// A platform user, through a platform JWT whose `apps` claim names the app.
    Platform,
}

/// An authenticated caller of one app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The app this identity was established for. An identity is only ever
    /// accepted by this app.
    pub app: AppSlug,
    /// How it was established.
    pub kind: IdentityKind,
    /// Stable id: the user's id, the guest id, or the JWT `sub`.
    pub subject: String,
    /// Normalised email, when known (never for guests).
    pub email: Option<String>,
    /// Roles (app roles for app users, platform roles for platform users).
    pub roles: Vec<String>,
    /// Permissions as `resource:action`.
    pub permissions: Vec<String>,
}

impl Identity {
    /// Whether this identity may be used on `app`.
    pub fn belongs_to(&self, app: &AppSlug) -> bool {
        &self.app == app
    }

    /// Whether this is an anonymous guest.
    pub fn is_guest(&self) -> bool {
        self.kind == IdentityKind::Guest
    }
}

/// Where a credential may be taken from when identifying a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CredentialSources {
    /// Also accept `?token=` in the query string (websocket upgrades only:
    /// browsers cannot set headers on a websocket handshake).
    pub query_token: bool,
}

/// The outcome of an access decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Access granted.
    Allow,
    /// No acceptable identity: answer 401.
    Unauthenticated,
    /// An identity that the policy refuses: answer 403.
    Forbidden,
}

/// An access decision with the reason it was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Allow, 401 or 403.
    pub outcome: Outcome,
    /// Why, in words fit for a log line (never contains a credential).
    pub reason: String,
}

impl Decision {
    /// Whether access is granted.
    pub fn is_allowed(&self) -> bool {
        self.outcome == Outcome::Allow
    }
}

/// A boxed future, so [`Authenticator`] can be used as a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Identifies callers of one app and applies its `auth_policy`.
///
/// Implemented by `mdbr-auth`'s `AppAuth`; `mdbr-ws` holds one per app
/// to authenticate websocket upgrades before accepting them.
pub trait Authenticator: Send + Sync + 'static {
    /// The app this authenticator guards.
    fn app(&self) -> &AppSlug;

    /// Identify the caller of a request from its head: the app's session
    /// cookie, `Authorization: Bearer` (session token or platform JWT), the
    /// signed guest cookie, and `?token=` when `sources.query_token` is set.
    ///
    /// `Ok(None)` means no credential was presented. A credential that is
    /// present but invalid, expired, revoked or issued for another app is an
    /// error (the caller answers 401); it is never silently treated as anonymous.
    fn identify<'a>(
        &'a self,
        head: &'a axum::http::request::Parts,
        sources: CredentialSources,
    ) -> BoxFuture<'a, Result<Option<Identity>, crate::Error>>;

    /// Apply the app's `auth_policy` to `identity`. `endpoint`, when given,
    /// replaces the policy's `required` and `allow_anonymous` (a websocket
    /// endpoint's own `auth` block); the other rules still apply.
    fn decide(&self, identity: Option<&Identity>, endpoint: Option<&WebSocketAuth>) -> Decision;
}
