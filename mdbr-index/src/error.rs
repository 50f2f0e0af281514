//! Errors of the index layer.

/// Result alias of the index layer.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failed index operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The manifest's index spec cannot be turned into a server index.
    #[error("index `{name}` on `{collection}`: {reason}")]
    Spec {
        /// The collection.
        collection: String,
        /// The index.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The scoped layer refused or the server failed.
    #[error(transparent)]
    Scope(#[from] mdbr_scope::Error),
    /// Waiting for search indexes ran out of time.
    #[error("search indexes of `{app}` not ready after {waited_ms} ms: {pending:?}")]
    NotReady {
        /// The app.
        app: String,
        /// How long was waited.
        waited_ms: u128,
        /// `collection/index` names still pending.
        pending: Vec<String>,
    },
}
