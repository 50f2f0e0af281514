//! Errors of the auth layer, and how each one is answered over HTTP.

use std::path::PathBuf;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A boxed error used as the source of provider failures.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong while authenticating or authorising.
///
/// No variant ever contains a credential (password, token, secret): texts
/// name the problem, never the value. Each variant maps to a fixed HTTP
/// status ([`Error::status`]) and a stable machine-readable code
/// ([`Error::code`]); as an axum response it is `{"error": code, "reason": text}`.
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
    /// A platform JWT was refused by the verifier.
    #[error("invalid token: {reason}")]
    InvalidToken {
        /// What is wrong with it (expired, wrong audience, wrong algorithm, ...).
        reason: String,
        /// The verifier's error.
        #[source]
        source: jsonwebtoken::errors::Error,
    },
    /// The request carries no credential and this operation needs one.
    #[error("authentication required")]
    Unauthenticated,
    /// Login refused. The same answer for an unknown account and a wrong password.
    #[error("invalid email or password")]
    LoginFailed,
    /// Too many failed logins for this account or client address.
    #[error("too many failed attempts; try again in {} seconds", retry_after.as_secs().max(1))]
    Throttled {
        /// How long the lockout still lasts.
        retry_after: Duration,
    },
    /// An identity the app's policy refuses.
    #[error("forbidden: {reason}")]
    Forbidden {
        /// Which rule refused it.
        reason: String,
    },
    /// A cookie-authenticated request that changes state came from another
    /// origin and carried no valid CSRF token.
    #[error("cross-site request refused: {reason}")]
    Csrf {
        /// What was missing or wrong.
        reason: String,
    },
    /// `sub_auth.allow_registration` is false.
    #[error("registration is closed for this app")]
    RegistrationClosed,
    /// The sign-in method is not enabled by the app's `sub_auth`.
    #[error("{what} is not enabled for this app")]
    NotEnabled {
        /// The method, e.g. `password sign-in`.
        what: &'static str,
    },
    /// Registration with an email that already has an account.
    #[error("an account with this email already exists")]
    EmailTaken,
    /// A request body or parameter is malformed.
    #[error("invalid input: {reason}")]
    InvalidInput {
        /// What is wrong, naming the field.
        reason: String,
    },
    /// The app declares no OAuth provider of this name.
    #[error("unknown OAuth provider `{name}`")]
    UnknownProvider {
        /// The name in the URL.
        name: String,
    },
    /// An OAuth callback that cannot be trusted (unknown or reused `state`,
    /// state not bound to this browser, missing PKCE verifier, provider error).
    #[error("OAuth sign-in refused: {reason}")]
    OAuthRefused {
        /// Why.
        reason: String,
    },
    /// The OAuth provider could not be reached or answered with an error.
    #[error("OAuth provider request failed: {reason}")]
    OAuthProvider {
        /// Which request failed.
        reason: String,
        /// The transport or protocol error.
        #[source]
        source: Option<BoxError>,
    },
    /// The provider did not confirm the account's email, so it cannot be
    /// linked to (or create) an app user.
    #[error(
        "the {provider} account's email is not verified by the provider; \
         it cannot be linked to an app user"
    )]
    EmailUnverified {
        /// The provider's name.
        provider: String,
    },
    /// The auth configuration or the manifest's auth sections are unusable.
    #[error("auth configuration error: {reason}")]
    Config {
        /// What is wrong, naming the setting.
        reason: String,
    },
    /// A required environment variable is not set.
    #[error("environment variable `{var}` is not set ({what})")]
    MissingEnv {
        /// The variable's name.
        var: String,
        /// What it should hold.
        what: String,
    },
    /// A key file could not be read.
    #[error("cannot read key file `{}`", path.display())]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A signing or verification key is malformed.
    #[error("invalid key: {reason}")]
    Key {
        /// Which key, and what is wrong.
        reason: String,
        /// The parser's error.
        #[source]
        source: jsonwebtoken::errors::Error,
    },
    /// The user or session store failed.
    #[error("auth store operation failed")]
    Store(#[from] mdbr_scope::Error),
    /// Password hashing failed.
    #[error("password hashing failed: {reason}")]
    Hash {
        /// What failed.
        reason: String,
    },
    /// Anything else that should not happen.
    #[error("internal error: {reason}")]
    Internal {
        /// What failed.
        reason: String,
    },
}

/// Result of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidCredential { .. }
            | Self::InvalidToken { .. }
            | Self::Unauthenticated
            | Self::LoginFailed => StatusCode::UNAUTHORIZED,
            Self::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Forbidden { .. }
            | Self::Csrf { .. }
            | Self::RegistrationClosed
            | Self::EmailUnverified { .. } => StatusCode::FORBIDDEN,
            Self::NotEnabled { .. } | Self::UnknownProvider { .. } => StatusCode::NOT_FOUND,
            Self::EmailTaken => StatusCode::CONFLICT,
            Self::InvalidInput { .. } | Self::OAuthRefused { .. } => StatusCode::BAD_REQUEST,
            Self::OAuthProvider { .. } => StatusCode::BAD_GATEWAY,
            Self::Config { .. }
            | Self::MissingEnv { .. }
            | Self::KeyFile { .. }
            | Self::Key { .. }
            | Self::Store(_)
            | Self::Hash { .. }
            | Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable machine-readable code, the `error` field of the JSON answer.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidCredential { .. } | Self::InvalidToken { .. } => "invalid_credential",
            Self::Unauthenticated => "unauthenticated",
            Self::LoginFailed => "invalid_login",
            Self::Throttled { .. } => "throttled",
            Self::Forbidden { .. } => "forbidden",
            Self::Csrf { .. } => "csrf",
            Self::RegistrationClosed => "registration_closed",
            Self::NotEnabled { .. } => "not_enabled",
            Self::EmailTaken => "email_taken",
            Self::InvalidInput { .. } => "invalid_input",
            Self::UnknownProvider { .. } => "unknown_provider",
            Self::OAuthRefused { .. } => "oauth_refused",
            Self::OAuthProvider { .. } => "oauth_provider",
            Self::EmailUnverified { .. } => "email_unverified",
            Self::Config { .. }
            | Self::MissingEnv { .. }
            | Self::KeyFile { .. }
            | Self::Key { .. }
            | Self::Store(_)
            | Self::Hash { .. }
            | Self::Internal { .. } => "internal",
        }
    }

    /// Whether the caller should authenticate (again): answered with 401.
    pub fn is_unauthenticated(&self) -> bool {
        self.status() == StatusCode::UNAUTHORIZED
    }

    /// Whether the caller is known but not allowed: answered with 403.
    pub fn is_forbidden(&self) -> bool {
        self.status() == StatusCode::FORBIDDEN
    }

    /// Whether this is a server-side failure rather than a refusal.
    pub fn is_internal(&self) -> bool {
        self.status() == StatusCode::INTERNAL_SERVER_ERROR
    }

    pub(crate) fn credential(reason: impl Into<String>) -> Self {
        Self::InvalidCredential { reason: reason.into() }
    }

    pub(crate) fn input(reason: impl Into<String>) -> Self {
        Self::InvalidInput { reason: reason.into() }
    }

    pub(crate) fn config(reason: impl Into<String>) -> Self {
        Self::Config { reason: reason.into() }
    }

    pub(crate) fn refused(reason: impl Into<String>) -> Self {
        Self::OAuthRefused { reason: reason.into() }
    }

    pub(crate) fn internal(reason: impl Into<String>) -> Self {
        Self::Internal { reason: reason.into() }
    }

    pub(crate) fn provider(reason: impl Into<String>, source: Option<BoxError>) -> Self {
        Self::OAuthProvider { reason: reason.into(), source }
    }
}

/// The JSON body of every refusal: `{"error": code, "reason": text}`.
pub(crate) fn error_body(code: &str, reason: &str) -> String {
    serde_json::json!({ "error": code, "reason": reason }).to_string()
}

/// A JSON refusal with `status`.
pub(crate) fn refusal(status: StatusCode, code: &str, reason: &str) -> Response {
    let mut response = (status, error_body(code, reason)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let reason = if self.is_internal() {
            tracing::error!(error = %self, source = ?std::error::Error::source(&self).map(ToString::to_string), "auth request failed");
            "internal error".to_owned()
        } else {
            tracing::debug!(status = status.as_u16(), error = %self, "auth request refused");
            self.to_string()
        };
        let mut response = refusal(status, self.code(), &reason);
        if let Self::Throttled { retry_after } = &self {
            let secs = retry_after.as_secs().max(1).to_string();
            if let Ok(v) = HeaderValue::from_str(&secs) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}
