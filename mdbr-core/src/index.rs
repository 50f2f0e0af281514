//! Declared indexes (`managed_indexes` in the manifest): one [`IndexSpec`] per index.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::index_keys::IndexKeys;

/// The kind of an index. Standard kinds are built with `createIndexes`,
/// search kinds with `createSearchIndexes`; `hybrid` pairs a vector and a
/// text index for rank fusion and builds nothing itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum IndexType {
    /// A B-tree index on `keys` (the default).
    #[default]
    Regular,
    /// A text index: at least one key is `"text"`.
    Text,
    /// A TTL index: one date field and `options.expireAfterSeconds`.
    Ttl,
    /// An index restricted by `options.partialFilterExpression`.
    Partial,
    /// A `2dsphere`/`2d` index.
    Geospatial,
    /// An Atlas Vector Search index described by `definition`.
    VectorSearch,
    /// An Atlas Search index described by `definition`.
    Search,
    /// Hybrid search over a vector index and a text index (`hybrid`).
    Hybrid,
}

impl IndexType {
    /// Every type, in manifest spelling order.
    pub const ALL: [IndexType; 8] = [
        Self::Regular,
        Self::Text,
        Self::Ttl,
        Self::Partial,
        Self::Geospatial,
        Self::VectorSearch,
        Self::Search,
        Self::Hybrid,
    ];

    /// The spelling in the manifest, e.g. `"vectorSearch"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Regular => "regular",
            Self::Text => "text",
            Self::Ttl => "ttl",
            Self::Partial => "partial",
            Self::Geospatial => "geospatial",
            Self::VectorSearch => "vectorSearch",
            Self::Search => "search",
            Self::Hybrid => "hybrid",
        }
    }

    /// Parses the manifest spelling.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// True for kinds built with `createIndexes` from `keys`.
    pub fn is_standard(self) -> bool {
        matches!(self, Self::Regular | Self::Text | Self::Ttl | Self::Partial | Self::Geospatial)
    }

    /// True for kinds built with `createSearchIndexes` from `definition`.
    pub fn is_search(self) -> bool {
        matches!(self, Self::VectorSearch | Self::Search)
    }
}

/// How vector similarity is measured in a `vectorSearch` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VectorSimilarity {
    /// `"cosine"`.
    Cosine,
    /// `"euclidean"`.
    Euclidean,
    /// `"dotProduct"`.
    DotProduct,
}

impl VectorSimilarity {
    /// The spelling in an index definition.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cosine => "cosine",
            Self::Euclidean => "euclidean",
            Self::DotProduct => "dotProduct",
        }
    }
}

/// Options of a standard index, spelled as MongoDB spells them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexOptions {
    /// Refuse duplicate keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique: Option<bool>,
    /// Skip documents without the indexed fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sparse: Option<bool>,
    /// Seconds after the indexed date when a document expires; required for
    /// `ttl` (may also be set on `partial`).
    #[serde(rename = "expireAfterSeconds", default, skip_serializing_if = "Option::is_none")]
    pub expire_after_seconds: Option<u64>,
    /// The filter of a `partial` index (required there, refused elsewhere).
    #[serde(rename = "partialFilterExpression", default, skip_serializing_if = "Option::is_none")]
    pub partial_filter_expression: Option<Map<String, Value>>,
    /// Field weights of a `text` index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<Map<String, Value>>,
    /// Default language of a `text` index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_language: Option<String>,
    /// Field holding a document's language in a `text` index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_override: Option<String>,
    /// Collation document of the index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<Map<String, Value>>,
}

impl IndexOptions {
    /// True when no option is set.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// The two indexes a `hybrid` entry combines; both live in the same collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HybridSpec {
    /// Name of a `vectorSearch` index in the same collection.
    pub vector_index: String,
    /// Name of a `search` (or `text`) index in the same collection.
    pub text_index: String,
}

/// One declared index of a collection.
///
/// ```
/// use mdbr_core::{IndexKeys, IndexSpec, IndexType};
/// let idx = IndexSpec::regular("status_idx", IndexKeys::new().asc("status")).with_unique(true);
/// assert_eq!(idx.index_type, IndexType::Regular);
/// assert_eq!(idx.options.unique, Some(true));
/// let vec = IndexSpec::vector_search("emb", "embedding", 1024, mdbr_core::VectorSimilarity::Cosine);
/// assert!(vec.index_type.is_search());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexSpec {
    /// Index name, unique within its collection.
    #[schemars(length(min = 1))]
    pub name: String,
    /// The kind of index (default `regular`).
    #[serde(rename = "type", default)]
    pub index_type: IndexType,
    /// Keys of a standard index (required for regular, text, ttl, partial, geospatial).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<IndexKeys>,
    /// Options of a standard index.
    #[serde(default, skip_serializing_if = "IndexOptions::is_empty")]
    pub options: IndexOptions,
    /// Definition of a `vectorSearch` or `search` index, passed to Atlas as is
    /// (`{"fields": [...]}` or `{"mappings": {...}}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<Map<String, Value>>,
    /// The indexes a `hybrid` entry combines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hybrid: Option<HybridSpec>,
}

impl IndexSpec {
    fn bare(name: impl Into<String>, index_type: IndexType) -> Self {
        Self {
            name: name.into(),
            index_type,
            keys: None,
            options: IndexOptions::default(),
            definition: None,
            hybrid: None,
        }
    }

    /// A `regular` index on `keys`.
    pub fn regular(name: impl Into<String>, keys: IndexKeys) -> Self {
        Self { keys: Some(keys), ..Self::bare(name, IndexType::Regular) }
    }

    /// A `text` index on `keys` (use [`crate::KeyDirection::Text`] for text fields).
    pub fn text(name: impl Into<String>, keys: IndexKeys) -> Self {
        Self { keys: Some(keys), ..Self::bare(name, IndexType::Text) }
    }

    /// A `ttl` index expiring documents `expire_after_seconds` after the date in `field`.
    pub fn ttl(
        name: impl Into<String>,
        field: impl Into<String>,
        expire_after_seconds: u64,
    ) -> Self {
        let mut spec =
            Self { keys: Some(IndexKeys::new().asc(field)), ..Self::bare(name, IndexType::Ttl) };
        spec.options.expire_after_seconds = Some(expire_after_seconds);
        spec
    }

    /// A `partial` index on `keys` covering the documents matching `filter`.
    pub fn partial(name: impl Into<String>, keys: IndexKeys, filter: Map<String, Value>) -> Self {
        let mut spec = Self { keys: Some(keys), ..Self::bare(name, IndexType::Partial) };
        spec.options.partial_filter_expression = Some(filter);
        spec
    }

    /// A `geospatial` `2dsphere` index on `field`.
    pub fn geospatial(name: impl Into<String>, field: impl Into<String>) -> Self {
        let keys = IndexKeys::new().with(field, crate::index_keys::KeyDirection::Geo2dSphere);
        Self { keys: Some(keys), ..Self::bare(name, IndexType::Geospatial) }
    }

    /// A `vectorSearch` index with one vector field at `path`.
    pub fn vector_search(
        name: impl Into<String>,
        path: impl Into<String>,
        num_dimensions: u32,
        similarity: VectorSimilarity,
    ) -> Self {
        let definition = json!({
            "fields": [{
                "type": "vector",
                "path": path.into(),
                "numDimensions": num_dimensions,
                "similarity": similarity.as_str(),
            }]
        });
        let definition = match definition {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        Self { definition: Some(definition), ..Self::bare(name, IndexType::VectorSearch) }
    }

    /// A `search` index with the given Atlas Search `definition`.
    pub fn search(name: impl Into<String>, definition: Map<String, Value>) -> Self {
        Self { definition: Some(definition), ..Self::bare(name, IndexType::Search) }
    }

    /// A `hybrid` entry combining the indexes named `vector_index` and `text_index`.
    pub fn hybrid(
        name: impl Into<String>,
        vector_index: impl Into<String>,
        text_index: impl Into<String>,
    ) -> Self {
        let hybrid =
            HybridSpec { vector_index: vector_index.into(), text_index: text_index.into() };
        Self { hybrid: Some(hybrid), ..Self::bare(name, IndexType::Hybrid) }
    }

    /// The same index with `options.unique` set.
    #[must_use]
    pub fn with_unique(mut self, unique: bool) -> Self {
        self.options.unique = Some(unique);
        self
    }

    /// The same index with `options.sparse` set.
    #[must_use]
    pub fn with_sparse(mut self, sparse: bool) -> Self {
        self.options.sparse = Some(sparse);
        self
    }

    /// The same index with all options replaced.
    #[must_use]
    pub fn with_options(mut self, options: IndexOptions) -> Self {
        self.options = options;
        self
    }

    /// The same index with an extra field appended to a `vectorSearch`
    /// definition (e.g. `{"type": "filter", "path": "lang"}`).
    #[must_use]
    pub fn with_definition_field(mut self, field: Value) -> Self {
        let def = self.definition.get_or_insert_with(Map::new);
        let fields = def.entry("fields").or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = fields {
            list.push(field);
        }
        self
    }
}
