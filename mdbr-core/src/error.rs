//! Errors returned when a manifest cannot be loaded.

use std::path::PathBuf;

use crate::problem::Report;

/// Shorthand for results whose error is [`ManifestError`].
pub type Result<T, E = ManifestError> = std::result::Result<T, E>;

/// Why a manifest could not be loaded.
///
/// The `Display` of [`ManifestError::Invalid`] lists every problem, one per
/// line, as `pointer: message (hint)`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// The manifest file could not be read.
    #[error("cannot read manifest `{}`", path.display())]
    Io {
        /// The file that was read.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not JSON.
    #[error("manifest is not valid JSON (line {line}, column {column})")]
    Json {
        /// Line of the syntax error, starting at 1.
        line: usize,
        /// Column of the syntax error, starting at 1.
        column: usize,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// The JSON does not describe a valid manifest; the report lists every problem.
    #[error("invalid manifest, {count} error(s):\n{report}", count = .0.errors.len(), report = .0)]
    Invalid(Report),
}

impl ManifestError {
    /// The validation report, when the manifest was JSON but not valid.
    pub fn report(&self) -> Option<&Report> {
        match self {
            Self::Invalid(report) => Some(report),
            _ => None,
        }
    }

    /// True when the manifest was read and parsed but failed validation.
    pub fn is_invalid(&self) -> bool {
        matches!(self, Self::Invalid(_))
    }

    pub(crate) fn json(source: serde_json::Error) -> Self {
        Self::Json { line: source.line(), column: source.column(), source }
    }
}
