//! Auth for mdbr apps: platform JWT, per-app users and sessions, OAuth2/OIDC,
//! anonymous sessions, `auth_policy` enforcement and axum extractors.
//!
//! **Being built.** So far this crate holds the contract the websocket hub
//! and the facade use: [`Identity`], [`Decision`] and the [`Authenticator`] trait.

mod error;
mod identity;

pub use error::{Error, Result};
pub use identity::{
    Authenticator, BoxFuture, CredentialSources, Decision, Identity, IdentityKind, Outcome,
};
