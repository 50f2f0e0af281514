//! Auth for mdbr apps: platform JWTs, per-app users and sessions, OAuth2/OIDC,
//! anonymous guest sessions, `auth_policy` enforcement, CSRF protection and
//! axum extractors.
//!
//! Each app gets an [`AppAuth`], built from its scoped database (so its users
//! and sessions are isolated like any app data), its manifest (`auth_policy`
//! and `sub_auth`) and an [`AuthConfig`] shared by all apps (platform JWT
//! keys, dev mode, the server secret, argon2 cost, login throttling). It
//! gives you:
//! - [`AppAuth::router`]: `/auth/register`, `/auth/login`, `/auth/logout`,
//!   `/auth/me`, `/auth/password`, `/auth/guest`, `/auth/oauth/{provider}/start`
//!   and `/callback`, …;
//! - [`AppAuth::layer`]: a tower layer enforcing the app's `auth_policy` on
//!   your routes (401/403 with `{"error", "reason"}`) and CSRF on
//!   cookie-authenticated state changes;
//! - extractors [`AppUser`], [`PlatformUser`], [`CurrentIdentity`], [`CurrentApp`];
//! - the [`Authenticator`] trait, which the websocket hub (`mdbr-ws`) uses to
//!   authenticate upgrades before accepting them;
//! - [`evaluate`], the policy as a pure function, and [`PlatformJwt`].
//!
//! Passwords are argon2id ([`PasswordParams::OWASP`] by default); sessions
//! are opaque 256-bit tokens stored only as SHA-256 hashes with an expiry;
//! nothing in this crate logs or `Debug`-prints a password, token or secret
//! ([`Secret`]).
//!
//! # When to use this crate directly
//!
//! Use `mdbr-auth` alone when you run your own axum server over
//! [`mdbr_scope`] and want sign-in and policy enforcement for your apps
//! without the rest of the runtime. Applications built on the `mdbr` facade
//! get all of this wired per app by the engine (`engine.app_router(slug)`)
//! and should use that instead.
//!
//! # Example
//!
//! ```no_run
//! use std::sync::Arc;
//! use axum::{Router, routing::get};
//! use mdbr_auth::{AppAuth, AppUser, AuthConfig};
//! use mdbr_core::Manifest;
//! use mdbr_scope::Scope;
//!
//! # async fn demo(scope: Scope) -> Result<(), Box<dyn std::error::Error>> {
//! let manifest = Manifest::from_json_str(r#"{
//!     "slug": "notes", "name": "Notes",
//!     "sub_auth": {"enabled": true, "allow_registration": true}
//! }"#)?.manifest;
//! scope.register((&manifest).into()).await?;
//! // Reads MDBR_JWT_SECRET, MDBR_AUTH_SECRET, MDBR_DEV_MODE, …
//! let config = Arc::new(AuthConfig::from_env()?);
//! let auth = AppAuth::new(scope.app("notes")?, &manifest, config)?;
//! auth.prepare().await?; // indexes and demo users
//!
//! async fn whoami(AppUser(me): AppUser) -> String {
//!     format!("hello {}", me.email.unwrap_or_default())
//! }
//! let app = Router::new()
//!     .route("/api/whoami", get(whoami))
//!     .layer(auth.layer())
//!     .merge(auth.router());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//! axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await?;
//! # Ok(()) }
//! ```
//!
//! Serve with `into_make_service_with_connect_info::<SocketAddr>()` so that
//! login throttling sees client addresses (or configure a trusted proxy
//! header with [`AuthConfig::with_client_ip_header`]).

mod app_auth;
mod config;
mod cookie;
mod crypto;
mod csrf;
mod error;
mod extract;
mod guest;
mod identity;
mod jwt;
mod layer;
mod oauth;
mod password;
mod policy;
mod routes;
mod secret;
mod session;
mod throttle;
mod user;

pub use app_auth::{AppAuth, Authenticated, CredentialSource, GuestSession, NewUser, SignedIn};
pub use config::{
    AuthConfig, ENV_AUTH_SECRET, ENV_CLIENT_IP_HEADER, ENV_DEV_MODE, ENV_PUBLIC_URL,
    PasswordParams, ThrottleConfig,
};
pub use csrf::{CSRF_HEADER, is_state_changing};
pub use error::{BoxError, Error, Result};
pub use extract::{AppUser, AuthRejection, CurrentApp, CurrentIdentity, PlatformUser};
pub use identity::{
    Authenticator, BoxFuture, CredentialSources, Decision, Identity, IdentityKind, Outcome,
};
pub use jwt::{
    ENV_JWT_ALGORITHM, ENV_JWT_AUDIENCE, ENV_JWT_ISSUER, ENV_JWT_PRIVATE_KEY_FILE,
    ENV_JWT_PUBLIC_KEY_FILE, ENV_JWT_SECRET, JwtAlgorithm, MIN_SECRET_BYTES, PlatformClaims,
    PlatformJwt,
};
pub use layer::{PolicyLayer, PolicyService};
pub use oauth::OAUTH_STATES_COLLECTION;
pub use password::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};
pub use policy::{evaluate, holds};
pub use routes::AUTH_ROUTES;
pub use secret::Secret;
pub use session::{SESSION_TOKEN_PREFIX, SESSIONS_COLLECTION};
pub use user::{EMAIL_INDEX, User, normalize_email};
