//! Errors: MongoDB-style command errors (code, code name, message) and server start-up errors.
use bson::{Document, doc};

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error starting or running the server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The listener could not be bound.
    #[error("could not bind the listener on `{addr}`")]
    Bind {
        /// The address that was asked for.
        addr: String,
        /// The I/O error behind it.
        #[source]
        source: std::io::Error,
    },
    /// The data directory could not be opened or read.
    #[error("could not open the data directory")]
    Storage(#[source] CommandError),
}

/// A failed command, as mongod reports it: a numeric code, its code name and a message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} (code {code})")]
pub struct CommandError {
    code: i32,
    message: String,
    extra: Option<Document>,
}

/// Numeric MongoDB error codes used by the engine.
pub(crate) mod code {
    pub(crate) const INTERNAL_ERROR: i32 = 1;
    pub(crate) const BAD_VALUE: i32 = 2;
    pub(crate) const NO_SUCH_KEY: i32 = 4;
    pub(crate) const FAILED_TO_PARSE: i32 = 9;
    pub(crate) const TYPE_MISMATCH: i32 = 14;
    pub(crate) const ILLEGAL_OPERATION: i32 = 20;
    pub(crate) const NAMESPACE_NOT_FOUND: i32 = 26;
    pub(crate) const INDEX_NOT_FOUND: i32 = 27;
    pub(crate) const PATH_NOT_VIABLE: i32 = 28;
    pub(crate) const CONFLICTING_UPDATE_OPERATORS: i32 = 40;
    pub(crate) const CURSOR_NOT_FOUND: i32 = 43;
    pub(crate) const NAMESPACE_EXISTS: i32 = 48;
    pub(crate) const DOLLAR_PREFIXED_FIELD_NAME: i32 = 52;
    pub(crate) const INVALID_ID_FIELD: i32 = 53;
    pub(crate) const COMMAND_NOT_FOUND: i32 = 59;
    pub(crate) const IMMUTABLE_FIELD: i32 = 66;
    pub(crate) const INVALID_OPTIONS: i32 = 72;
    pub(crate) const INVALID_NAMESPACE: i32 = 73;
    pub(crate) const INDEX_OPTIONS_CONFLICT: i32 = 85;
    pub(crate) const INDEX_KEY_SPECS_CONFLICT: i32 = 86;
    pub(crate) const NOT_IMPLEMENTED: i32 = 238;
    pub(crate) const BSON_OBJECT_TOO_LARGE: i32 = 10334;
    pub(crate) const DUPLICATE_KEY: i32 = 11000;
    pub(crate) const UNKNOWN_PIPELINE_STAGE: i32 = 40324;
}

impl CommandError {
    /// A new error with `code` and `message`.
    pub(crate) fn new(code: i32, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), extra: None }
    }

    /// Extra fields sent next to the code (e.g. `keyPattern`, `keyValue`).
    pub(crate) fn with_extra(mut self, extra: Document) -> Self {
        self.extra = Some(extra);
        self
    }

    /// `BadValue` (2).
    pub(crate) fn bad_value(message: impl Into<String>) -> Self {
        Self::new(code::BAD_VALUE, message)
    }

    /// `FailedToParse` (9).
    pub(crate) fn failed_to_parse(message: impl Into<String>) -> Self {
        Self::new(code::FAILED_TO_PARSE, message)
    }

    /// `TypeMismatch` (14).
    pub(crate) fn type_mismatch(message: impl Into<String>) -> Self {
        Self::new(code::TYPE_MISMATCH, message)
    }

    /// The numeric code, e.g. 11000.
    pub fn code(&self) -> i32 {
        self.code
    }

    /// The code name, e.g. `DuplicateKey`.
    pub fn code_name(&self) -> String {
        code_name(self.code)
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether this is a duplicate key error.
    pub fn is_duplicate_key(&self) -> bool {
        self.code == code::DUPLICATE_KEY
    }

    /// The error as the fields of a reply (`ok: 0`, `errmsg`, `code`, `codeName`).
    pub(crate) fn to_reply(&self) -> Document {
        let mut d = doc! { "ok": 0.0, "errmsg": self.message.clone(), "code": self.code, "codeName": self.code_name() };
        if let Some(extra) = &self.extra {
            for (k, v) in extra {
                d.insert(k.clone(), v.clone());
            }
        }
        d
    }

    /// The error as one entry of a `writeErrors` array.
    pub(crate) fn to_write_error(&self, index: usize) -> Document {
        let mut d = doc! { "index": index as i32, "code": self.code, "codeName": self.code_name(), "errmsg": self.message.clone() };
        if let Some(extra) = &self.extra {
            for (k, v) in extra {
                d.insert(k.clone(), v.clone());
            }
        }
        d
    }
}

/// The code name mongod uses for `code`.
pub(crate) fn code_name(c: i32) -> String {
    let name = match c {
        code::INTERNAL_ERROR => "InternalError",
        code::BAD_VALUE => "BadValue",
        code::NO_SUCH_KEY => "NoSuchKey",
        code::FAILED_TO_PARSE => "FailedToParse",
        code::TYPE_MISMATCH => "TypeMismatch",
        code::ILLEGAL_OPERATION => "IllegalOperation",
        code::NAMESPACE_NOT_FOUND => "NamespaceNotFound",
        code::INDEX_NOT_FOUND => "IndexNotFound",
        code::PATH_NOT_VIABLE => "PathNotViable",
        code::CONFLICTING_UPDATE_OPERATORS => "ConflictingUpdateOperators",
        code::CURSOR_NOT_FOUND => "CursorNotFound",
        code::NAMESPACE_EXISTS => "NamespaceExists",
        code::DOLLAR_PREFIXED_FIELD_NAME => "DollarPrefixedFieldName",
        code::INVALID_ID_FIELD => "InvalidIdField",
        code::COMMAND_NOT_FOUND => "CommandNotFound",
        code::IMMUTABLE_FIELD => "ImmutableField",
        code::INVALID_OPTIONS => "InvalidOptions",
        code::INVALID_NAMESPACE => "InvalidNamespace",
        code::INDEX_OPTIONS_CONFLICT => "IndexOptionsConflict",
        code::INDEX_KEY_SPECS_CONFLICT => "IndexKeySpecsConflict",
        code::NOT_IMPLEMENTED => "NotImplemented",
        code::BSON_OBJECT_TOO_LARGE => "BSONObjectTooLarge",
        code::DUPLICATE_KEY => "DuplicateKey",
        other => return format!("Location{other}"),
    };
    name.to_string()
}

/// Shorthand for results of commands.
pub(crate) type CmdResult<T> = std::result::Result<T, CommandError>;
