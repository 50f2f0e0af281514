//! The keys of a MongoDB index: an ordered list of fields and directions.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The direction or kind of one index key, as MongoDB spells it in a key
/// document: `1`, `-1`, `"text"`, `"2dsphere"`, `"2d"` or `"hashed"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyDirection {
    /// `1`.
    Ascending,
    /// `-1`.
    Descending,
    /// `"text"`: a text index key.
    Text,
    /// `"2dsphere"`: a spherical geospatial key.
    Geo2dSphere,
    /// `"2d"`: a planar geospatial key.
    Geo2d,
    /// `"hashed"`: a hashed key.
    Hashed,
}

impl KeyDirection {
    /// The value to put in a MongoDB key document: a number for
    /// ascending/descending, a string otherwise.
    pub fn to_json(self) -> serde_json::Value {
        match self {
            Self::Ascending => 1.into(),
            Self::Descending => (-1).into(),
            other => other.as_str().into(),
        }
    }

    /// The spelling in a key document, with `"1"`/`"-1"` for the numeric directions.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ascending => "1",
            Self::Descending => "-1",
            Self::Text => "text",
            Self::Geo2dSphere => "2dsphere",
            Self::Geo2d => "2d",
            Self::Hashed => "hashed",
        }
    }

    /// `1` or `-1` for the numeric directions, `None` for the named kinds.
    pub fn as_i32(self) -> Option<i32> {
        match self {
            Self::Ascending => Some(1),
            Self::Descending => Some(-1),
            _ => None,
        }
    }

    /// Parses a JSON value the way MongoDB key documents spell directions.
    pub fn from_json(value: &serde_json::Value) -> Option<Self> {
        match value {
            serde_json::Value::Number(n) => match n.as_f64() {
                Some(1.0) => Some(Self::Ascending),
                Some(-1.0) => Some(Self::Descending),
                _ => None,
            },
            serde_json::Value::String(s) => Self::from_name(s),
            _ => None,
        }
    }

    fn from_name(s: &str) -> Option<Self> {
        match s {
            "text" => Some(Self::Text),
            "2dsphere" => Some(Self::Geo2dSphere),
            "2d" => Some(Self::Geo2d),
            "hashed" => Some(Self::Hashed),
            _ => None,
        }
    }
}

impl fmt::Display for KeyDirection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for KeyDirection {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.as_i32() {
            Some(n) => serializer.serialize_i32(n),
            None => serializer.serialize_str(self.as_str()),
        }
    }
}

impl<'de> Deserialize<'de> for KeyDirection {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DirVisitor;
        const EXPECTED: &str = "1, -1, \"text\", \"2dsphere\", \"2d\" or \"hashed\"";
        impl Visitor<'_> for DirVisitor {
            type Value = KeyDirection;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(EXPECTED)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<KeyDirection, E> {
                match v {
                    1 => Ok(KeyDirection::Ascending),
                    -1 => Ok(KeyDirection::Descending),
                    _ => Err(E::invalid_value(de::Unexpected::Signed(v), &EXPECTED)),
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<KeyDirection, E> {
                match v {
                    1 => Ok(KeyDirection::Ascending),
                    _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &EXPECTED)),
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<KeyDirection, E> {
                if v == 1.0 {
                    Ok(KeyDirection::Ascending)
                } else if v == -1.0 {
                    Ok(KeyDirection::Descending)
                } else {
                    Err(E::invalid_value(de::Unexpected::Float(v), &EXPECTED))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyDirection, E> {
                KeyDirection::from_name(v)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &EXPECTED))
            }
        }
        deserializer.deserialize_any(DirVisitor)
    }
}

impl JsonSchema for KeyDirection {
    fn schema_name() -> Cow<'static, str> {
        "KeyDirection".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Index key direction: 1 (ascending), -1 (descending), \"text\", \"2dsphere\", \"2d\" or \"hashed\".",
            "enum": [1, -1, "text", "2dsphere", "2d", "hashed"]
        })
    }
}

/// The ordered fields of an index, as written in the manifest: either an
/// object (`{"status": 1, "created_at": -1}`) or a list of pairs
/// (`[["status", 1], ["created_at", -1]]`). Order is kept, because it matters
/// to MongoDB. Serialized as an object.
///
/// ```
/// use mdbr_core::{IndexKeys, KeyDirection};
/// let keys: IndexKeys = serde_json::from_str(r#"[["status", 1], ["created_at", -1]]"#).unwrap();
/// assert_eq!(keys, IndexKeys::new().asc("status").desc("created_at"));
/// assert_eq!(keys.fields()[1], ("created_at".to_owned(), KeyDirection::Descending));
/// assert_eq!(serde_json::to_string(&keys).unwrap(), r#"{"status":1,"created_at":-1}"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct IndexKeys(Vec<(String, KeyDirection)>);

impl IndexKeys {
    /// No keys yet; add them with [`IndexKeys::with`], [`IndexKeys::asc`], [`IndexKeys::desc`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The keys with `field` appended in direction `dir`.
    #[must_use]
    pub fn with(mut self, field: impl Into<String>, dir: KeyDirection) -> Self {
        self.0.push((field.into(), dir));
        self
    }

    /// The keys with `field` appended ascending (`1`).
    #[must_use]
    pub fn asc(self, field: impl Into<String>) -> Self {
        self.with(field, KeyDirection::Ascending)
    }

    /// The keys with `field` appended descending (`-1`).
    #[must_use]
    pub fn desc(self, field: impl Into<String>) -> Self {
        self.with(field, KeyDirection::Descending)
    }

    /// The fields and directions, in order.
    pub fn fields(&self) -> &[(String, KeyDirection)] {
        &self.0
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no keys.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterates over `(field, direction)` in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, KeyDirection)> {
        self.0.iter().map(|(f, d)| (f.as_str(), *d))
    }

    /// The key document as a JSON object in order, ready to convert to BSON.
    pub fn to_json_object(&self) -> serde_json::Map<String, serde_json::Value> {
        self.0.iter().map(|(f, d)| (f.clone(), d.to_json())).collect()
    }

    /// The keys as an owned list of `(field, direction)`.
    pub fn into_vec(self) -> Vec<(String, KeyDirection)> {
        self.0
    }
}

impl<S: Into<String>> FromIterator<(S, KeyDirection)> for IndexKeys {
    fn from_iter<I: IntoIterator<Item = (S, KeyDirection)>>(iter: I) -> Self {
        Self(iter.into_iter().map(|(f, d)| (f.into(), d)).collect())
    }
}

impl<'a> IntoIterator for &'a IndexKeys {
    type Item = &'a (String, KeyDirection);
    type IntoIter = std::slice::Iter<'a, (String, KeyDirection)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl Serialize for IndexKeys {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (field, dir) in &self.0 {
            map.serialize_entry(field, dir)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for IndexKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeysVisitor;
        impl<'de> Visitor<'de> for KeysVisitor {
            type Value = IndexKeys;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of field → direction, or a list of [field, direction] pairs")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<IndexKeys, A::Error> {
                let mut keys = Vec::new();
                while let Some((field, dir)) = map.next_entry::<String, KeyDirection>()? {
                    keys.push((field, dir));
                }
                Ok(IndexKeys(keys))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<IndexKeys, A::Error> {
                let mut keys = Vec::new();
                while let Some(pair) = seq.next_element::<(String, KeyDirection)>()? {
                    keys.push(pair);
                }
                Ok(IndexKeys(keys))
            }
        }
        deserializer.deserialize_any(KeysVisitor)
    }
}

impl JsonSchema for IndexKeys {
    fn schema_name() -> Cow<'static, str> {
        "IndexKeys".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let dir = generator.subschema_for::<KeyDirection>();
        json_schema!({
            "description": "Index keys in order: an object {field: direction} or a list of [field, direction] pairs.",
            "oneOf": [
                { "type": "object", "minProperties": 1, "additionalProperties": dir },
                {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "array",
                        "prefixItems": [{ "type": "string", "minLength": 1 }, dir],
                        "minItems": 2,
                        "maxItems": 2
                    }
                }
            ]
        })
    }
}
