//! `Secret`: a string that never shows up in `Debug` output or logs.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A credential (password, session token, client secret) that must never be
/// printed. `Debug` shows `Secret([redacted])`; read it with [`Secret::expose`].
///
/// ```
/// use mdbr_auth::Secret;
/// let password = Secret::new("hunter2");
/// assert_eq!(format!("{password:?}"), "Secret([redacted])");
/// assert_eq!(password.expose(), "hunter2");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The credential itself. Call this only where it is used (hashing,
    /// signing, sending it to its provider), never to log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the credential is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}
