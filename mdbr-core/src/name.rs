//! Validated identifiers: app slugs and collection names (DESIGN §3).

use std::fmt;

/// Slugs that can never name an app, because they collide with MongoDB's own
/// databases or with the runtime's internal namespace.
pub const RESERVED_SLUGS: &[&str] = &["admin", "config", "local", "system", "mdbr"];

/// Longest allowed app slug, in characters.
pub const MAX_SLUG_LEN: usize = 48;

/// Longest allowed logical collection name, in characters.
pub const MAX_COLLECTION_LEN: usize = 64;

/// Why a string is not a valid app slug or collection name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// The name is empty.
    #[error("{what} must not be empty")]
    Empty {
        /// `"app slug"` or `"collection name"`.
        what: &'static str,
    },
    /// The name is longer than allowed.
    #[error("{what} `{name}` is {len} characters long; at most {max} are allowed")]
    TooLong {
        /// `"app slug"` or `"collection name"`.
        what: &'static str,
        /// The offending name.
        name: String,
        /// Its length in characters.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The name contains a character outside its alphabet.
    #[error("{what} `{name}` contains `{ch}`; only {allowed} are allowed")]
    BadChar {
        /// `"app slug"` or `"collection name"`.
        what: &'static str,
        /// The offending name.
        name: String,
        /// The first character that is not allowed.
        ch: char,
        /// A description of the allowed alphabet.
        allowed: &'static str,
    },
    /// An app slug that does not start with a lowercase letter.
    #[error("app slug `{0}` must start with a lowercase letter")]
    BadStart(String),
    /// A reserved slug.
    #[error("app slug `{0}` is reserved")]
    Reserved(String),
    /// A collection name that MongoDB or the runtime keeps for itself.
    #[error("collection name `{name}` is not allowed: {reason}")]
    Forbidden {
        /// The offending name.
        name: String,
        /// Why it is refused.
        reason: &'static str,
    },
}

/// Names one application's slice of the database, e.g. `billing`.
///
/// Invariant: 1 to 48 characters of `[a-z0-9_-]`, starting with a lowercase
/// letter, and not one of [`RESERVED_SLUGS`].
///
/// ```
/// use mdbr_core::AppSlug;
/// let slug = AppSlug::parse("hello_world").unwrap();
/// assert_eq!(slug.as_str(), "hello_world");
/// assert!(AppSlug::parse("Hello").is_err());
/// assert!(AppSlug::parse("admin").is_err());
/// ```
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct AppSlug(String);

impl AppSlug {
    /// Checks `raw` against the slug rules; the only place a slug is validated.
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        const WHAT: &str = "app slug";
        let len = raw.chars().count();
        if len == 0 {
            return Err(NameError::Empty { what: WHAT });
        }
        if len > MAX_SLUG_LEN {
            return Err(NameError::TooLong {
                what: WHAT,
                name: raw.to_owned(),
                len,
                max: MAX_SLUG_LEN,
            });
        }
        if let Some(ch) = raw
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-'))
        {
            return Err(NameError::BadChar {
                what: WHAT,
                name: raw.to_owned(),
                ch,
                allowed: "lowercase letters, digits, `_` and `-`",
            });
        }
        if !raw.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(NameError::BadStart(raw.to_owned()));
        }
        if RESERVED_SLUGS.contains(&raw) {
            return Err(NameError::Reserved(raw.to_owned()));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The slug as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The physical collection name of this app's logical collection `coll`:
    /// `<slug>_<coll>`.
    pub fn physical(&self, coll: &CollectionName) -> String {
        format!("{}_{}", self.0, coll.as_str())
    }

    /// The prefix every physical collection of this app starts with: `<slug>_`.
    pub fn prefix(&self) -> String {
        format!("{}_", self.0)
    }
}

impl fmt::Display for AppSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AppSlug {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<AppSlug> for String {
    fn from(value: AppSlug) -> Self {
        value.0
    }
}

impl std::str::FromStr for AppSlug {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for AppSlug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A logical collection name inside one app, e.g. `greetings`.
///
/// Invariant: 1 to 64 characters of `[A-Za-z0-9_.-]`, not starting with
/// `system.`, without `..`, without `$`.
///
/// ```
/// use mdbr_core::CollectionName;
/// assert!(CollectionName::parse("greetings").is_ok());
/// assert!(CollectionName::parse("a..b").is_err());
/// assert!(CollectionName::parse("system.users").is_err());
/// ```
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct CollectionName(String);

impl CollectionName {
    /// Checks `raw` against the collection-name rules; the only place one is validated.
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        const WHAT: &str = "collection name";
        let len = raw.chars().count();
        if len == 0 {
            return Err(NameError::Empty { what: WHAT });
        }
        if len > MAX_COLLECTION_LEN {
            return Err(NameError::TooLong {
                what: WHAT,
                name: raw.to_owned(),
                len,
                max: MAX_COLLECTION_LEN,
            });
        }
        if raw.contains('$') {
            return Err(NameError::Forbidden {
                name: raw.to_owned(),
                reason: "`$` is not allowed",
            });
        }
        if let Some(ch) = raw
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '.' || *c == '-'))
        {
            return Err(NameError::BadChar {
                what: WHAT,
                name: raw.to_owned(),
                ch,
                allowed: "letters, digits, `_`, `.` and `-`",
            });
        }
        if raw.starts_with("system.") {
            return Err(NameError::Forbidden {
                name: raw.to_owned(),
                reason: "names starting with `system.` belong to MongoDB",
            });
        }
        if raw.contains("..") {
            return Err(NameError::Forbidden {
                name: raw.to_owned(),
                reason: "`..` is not allowed",
            });
        }
        Ok(Self(raw.to_owned()))
    }

    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CollectionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CollectionName {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CollectionName> for String {
    fn from(value: CollectionName) -> Self {
        value.0
    }
}

impl std::str::FromStr for CollectionName {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for CollectionName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for ok in ["a", "hello_world", "a-1", &"a".repeat(48)] {
            assert!(AppSlug::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(AppSlug::parse(""), Err(NameError::Empty { what: "app slug" }));
        assert!(matches!(AppSlug::parse(&"a".repeat(49)), Err(NameError::TooLong { len: 49, .. })));
        assert!(matches!(AppSlug::parse("1abc"), Err(NameError::BadStart(_))));
        assert!(matches!(AppSlug::parse("_abc"), Err(NameError::BadStart(_))));
        assert!(matches!(AppSlug::parse("Abc"), Err(NameError::BadChar { ch: 'A', .. })));
        assert!(matches!(AppSlug::parse("a.b"), Err(NameError::BadChar { ch: '.', .. })));
        for r in RESERVED_SLUGS {
            assert!(matches!(AppSlug::parse(r), Err(NameError::Reserved(_))));
        }
        // Only exact matches are reserved.
        assert!(AppSlug::parse("admins").is_ok());
    }

    #[test]
    fn collection_names() {
        for ok in ["greetings", "A.b-c_d", "x", &"c".repeat(64), "systemx", "my.system.x"] {
            assert!(CollectionName::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a..b", "$x", "a$b", "system.users", "a b", "ä", &"c".repeat(65)] {
            assert!(CollectionName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn physical_names() {
        let s = AppSlug::parse("shop").unwrap();
        let c = CollectionName::parse("orders").unwrap();
        assert_eq!(s.physical(&c), "shop_orders");
        assert_eq!(s.prefix(), "shop_");
    }

    #[test]
    fn serde_validates() {
        let bad: Result<AppSlug, _> = serde_json::from_str("\"Admin\"");
        assert!(bad.is_err());
        let ok: AppSlug = serde_json::from_str("\"shop\"").unwrap();
        assert_eq!(ok.as_str(), "shop");
    }
}
