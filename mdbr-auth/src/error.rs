//! Errors of the auth layer.

/// Everything that can go wrong while authenticating or authorising.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A credential was presented but is not acceptable (bad signature,
    /// expired, revoked, malformed, or issued for another app). The text
    /// names the problem and never contains the credential.
    #[error("invalid credential: {reason}")]
    InvalidCredential {
        /// What is wrong with it.
        reason: String,
    },
}

/// Result of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
