//! Problems found in a manifest: what is wrong, where (a JSON pointer) and how to fix it.

use std::fmt;

/// What kind of problem a [`Problem`] describes, for callers that branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProblemKind {
    /// A key the manifest format does not know (usually a typo).
    UnknownKey,
    /// A key from an older manifest format, accepted with a warning.
    LegacyKey,
    /// A required value is missing.
    Missing,
    /// A value has the wrong JSON type.
    WrongType,
    /// A number outside its allowed range.
    OutOfRange,
    /// A value that is not allowed here (bad name, unknown enum value, bad format).
    Invalid,
    /// A value that must be unique appears twice.
    Duplicate,
    /// Two values that cannot be used together.
    Conflict,
    /// A secret written into the manifest instead of the environment.
    Secret,
}

/// One problem in a manifest: an error or a warning.
///
/// `pointer` is a JSON pointer (RFC 6901) to the offending value, or to where
/// a missing value belongs; the empty pointer is the whole document.
///
/// ```
/// use mdbr_core::Manifest;
/// let err = Manifest::from_json_str(r#"{"slug": "a", "name": "A", "managed_indexes": {"tasks": [{"name": "i", "type": "regular"}]}}"#)
///     .unwrap_err();
/// let problem = &err.report().unwrap().errors[0];
/// assert_eq!(problem.pointer, "/managed_indexes/tasks/0/keys");
/// assert!(problem.to_string().starts_with("/managed_indexes/tasks/0/keys: required for type \"regular\""));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// JSON pointer to the value, e.g. `/managed_indexes/tasks/0/keys`.
    pub pointer: String,
    /// The kind of problem.
    pub kind: ProblemKind,
    /// What is wrong, in lowercase without a trailing period.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
}

impl Problem {
    /// A problem at `pointer` without a hint.
    pub fn new(pointer: impl Into<String>, kind: ProblemKind, message: impl Into<String>) -> Self {
        Self { pointer: pointer.into(), kind, message: message.into(), hint: None }
    }

    /// The same problem with a hint.
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() { "(root)" } else { &self.pointer };
        write!(f, "{pointer}: {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

/// Everything the validator found: errors (the manifest is refused) and
/// warnings (the manifest is accepted, e.g. legacy keys).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Problems that make the manifest invalid.
    pub errors: Vec<Problem>,
    /// Problems that are accepted but should be fixed.
    pub warnings: Vec<Problem>,
}

impl Report {
    /// True when there are no errors (warnings are allowed).
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// True when there is at least one error.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The first error at exactly `pointer`, if any.
    pub fn error_at(&self, pointer: &str) -> Option<&Problem> {
        self.errors.iter().find(|p| p.pointer == pointer)
    }

    /// The first warning at exactly `pointer`, if any.
    pub fn warning_at(&self, pointer: &str) -> Option<&Problem> {
        self.warnings.iter().find(|p| p.pointer == pointer)
    }
}

/// One problem per line: errors first, then warnings prefixed with `warning: `.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for p in &self.errors {
            if !first {
                f.write_str("\n")?;
            }
            first = false;
            write!(f, "{p}")?;
        }
        for p in &self.warnings {
            if !first {
                f.write_str("\n")?;
            }
            first = false;
            write!(f, "warning: {p}")?;
        }
        Ok(())
    }
}
