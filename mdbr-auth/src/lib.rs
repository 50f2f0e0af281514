//! Auth for mdbr apps: platform JWT, per-app users and sessions, OAuth2/OIDC,
//! anonymous sessions, `auth_policy` enforcement and axum extractors.
//!
//! **Not built yet.** This crate is an empty placeholder in the workspace;
//! its contents are delivered by the auth and realtime issue. It exports nothing.
