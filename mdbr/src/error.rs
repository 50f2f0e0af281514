//! Errors of the facade: each layer's error, plus registration problems.

use mdbr_core::Report;

/// Result alias of the facade.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failed runtime operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The manifest is invalid; every problem is listed.
    #[error("invalid manifest of `{slug}`:\n{report}")]
    InvalidManifest {
        /// The app's slug as written (may itself be invalid).
        slug: String,
        /// Every problem found.
        report: Report,
    },
    /// Loading or parsing a manifest failed.
    #[error(transparent)]
    Manifest(#[from] mdbr_core::ManifestError),
    /// The scoped data layer refused or failed.
    #[error(transparent)]
    Scope(#[from] mdbr_scope::Error),
    /// Index management failed.
    #[error(transparent)]
    Index(#[from] mdbr_index::Error),
    /// Observability setup failed.
    #[error(transparent)]
    Obs(#[from] mdbr_obs::Error),
    /// The embedded engine could not start.
    #[error("the embedded mdbr-lite engine could not start")]
    Lite(#[source] mdbr_lite::Error),
    /// The database could not be reached within the configured time.
    #[error("the database at {uri} could not be reached: {reason}")]
    Unreachable {
        /// The URI (credentials removed).
        uri: String,
        /// The driver's explanation.
        reason: String,
    },
    /// Auth failed or refused (also used for auth configuration problems).
    #[error(transparent)]
    Auth(#[from] mdbr_auth::Error),
    /// The websocket hub refused an endpoint or handler.
    #[error(transparent)]
    Ws(#[from] mdbr_ws::Error),
    /// The app needs auth (`sub_auth` or `websockets`) but the engine has no
    /// auth configuration.
    #[error("app `{app}` needs auth, which is not configured: {reason}")]
    AuthUnavailable {
        /// The app.
        app: String,
        /// Why there is no auth configuration.
        reason: String,
    },
    /// The configuration is unusable.
    #[error("invalid configuration: {0}")]
    Config(String),
}
