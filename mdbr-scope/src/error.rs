//! Errors returned by the scope layer.

use mdbr_core::NameError;

/// Result alias of the scope layer.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failed scoped operation: what went wrong, plus the error behind it.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct Error {
    kind: ErrorKind,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The operation would cross the app's boundary; it was refused before
    /// reaching the database.
    #[error("scope violation: {reason}")]
    ScopeViolation {
        /// What was refused and why.
        reason: String,
    },
    /// The input is malformed (a pipeline stage that is not a one-key
    /// document, an update mixing operators and fields, ...).
    #[error("invalid input: {reason}")]
    InvalidInput {
        /// What is wrong with the input.
        reason: String,
    },
    /// An app slug or collection name broke the naming rules.
    #[error("invalid name: {0}")]
    InvalidName(NameError),
    /// The app is not registered with this scope.
    #[error("app `{0}` is not registered")]
    UnknownApp(String),
    /// The app's registration forbids this access (inactive app, archived
    /// app written to, read-only grant used for a write).
    #[error("access denied: {reason}")]
    AccessDenied {
        /// Why the access is refused.
        reason: String,
    },
    /// Registering the app, or naming the collection, would make two apps
    /// share a physical collection name.
    #[error("name collision: {reason}")]
    Collision {
        /// Which names collide.
        reason: String,
    },
    /// A unique index refused the write.
    #[error("a document with this key already exists")]
    Conflict,
    /// A document could not be converted to or from BSON.
    #[error("document could not be converted to or from BSON")]
    Serialization,
    /// The database answered with an error, or could not be reached.
    #[error("database operation failed")]
    Database,
}

impl Error {
    /// The kind of failure.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Whether the operation was refused by the scoping rules.
    pub fn is_scope_violation(&self) -> bool {
        matches!(self.kind, ErrorKind::ScopeViolation { .. })
    }

    /// Whether a unique index refused the write.
    pub fn is_conflict(&self) -> bool {
        matches!(self.kind, ErrorKind::Conflict)
    }

    /// Whether retrying the same operation may succeed.
    pub fn is_retryable(&self) -> bool {
        use mongodb::error::ErrorKind as K;
        self.driver_error().is_some_and(|e| {
            matches!(
                *e.kind,
                K::Io(_) | K::ServerSelection { .. } | K::ConnectionPoolCleared { .. }
            ) || e.contains_label("RetryableWriteError")
                || e.contains_label("TransientTransactionError")
        })
    }

    /// The driver error behind this one, if any.
    pub fn driver_error(&self) -> Option<&mongodb::error::Error> {
        self.source.as_ref().and_then(|s| s.downcast_ref::<mongodb::error::Error>())
    }

    /// The error on one line with the server's own code and message when
    /// there is one (`database operation failed: DuplicateKey (11000): E11000 …`),
    /// for reports and logs. The driver's `Display` also dumps the raw reply.
    pub fn detail(&self) -> String {
        use mongodb::error::{ErrorKind as K, WriteFailure};
        let server = self.driver_error().and_then(|e| match e.kind.as_ref() {
            K::Command(c) => Some(format!("{} ({}): {}", c.code_name, c.code, c.message)),
            K::Write(WriteFailure::WriteError(w)) => Some(format!(
                "{} ({}): {}",
                w.code_name.as_deref().unwrap_or("WriteError"),
                w.code,
                w.message
            )),
            K::Write(WriteFailure::WriteConcernError(w)) => {
                Some(format!("{} ({}): {}", w.code_name, w.code, w.message))
            }
            K::InsertMany(m) => m
                .write_errors
                .as_ref()
                .and_then(|v| v.first())
                .map(|w| format!("({}) {}", w.code, w.message)),
            K::Io(io) => Some(io.to_string()),
            K::ServerSelection { message, .. } => Some(message.clone()),
            _ => None,
        });
        match server {
            Some(detail) => format!("{self}: {detail}"),
            None => self.to_string(),
        }
    }

    pub(crate) fn violation(reason: impl Into<String>) -> Self {
        ErrorKind::ScopeViolation { reason: reason.into() }.into()
    }

    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        ErrorKind::InvalidInput { reason: reason.into() }.into()
    }

    pub(crate) fn denied(reason: impl Into<String>) -> Self {
        ErrorKind::AccessDenied { reason: reason.into() }.into()
    }

    pub(crate) fn collision(reason: impl Into<String>) -> Self {
        ErrorKind::Collision { reason: reason.into() }.into()
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Self { kind, source: None }
    }
}

impl From<NameError> for Error {
    fn from(e: NameError) -> Self {
        Self { kind: ErrorKind::InvalidName(e.clone()), source: Some(Box::new(e)) }
    }
}

impl From<mongodb::error::Error> for Error {
    /// Translates driver errors into kinds; the one place driver codes are read.
    fn from(e: mongodb::error::Error) -> Self {
        let kind = if is_duplicate_key(&e) { ErrorKind::Conflict } else { ErrorKind::Database };
        Self { kind, source: Some(Box::new(e)) }
    }
}

impl From<bson::error::Error> for Error {
    fn from(e: bson::error::Error) -> Self {
        Self { kind: ErrorKind::Serialization, source: Some(Box::new(e)) }
    }
}

fn is_duplicate_key(e: &mongodb::error::Error) -> bool {
    use mongodb::error::{ErrorKind as K, WriteFailure};
    const DUPLICATE_KEY: i32 = 11000;
    match e.kind.as_ref() {
        K::Write(WriteFailure::WriteError(w)) => w.code == DUPLICATE_KEY,
        K::InsertMany(m) => m.write_errors.iter().flatten().any(|w| w.code == DUPLICATE_KEY),
        K::Command(c) => c.code == DUPLICATE_KEY,
        _ => false,
    }
}
