//! Manifest index specs turned into the driver's index models.

use std::time::Duration;

use bson::{Bson, Document};
use mdbr_core::{IndexSpec, IndexType, KeyDirection};
use mdbr_scope::mongodb::options::{Collation, IndexOptions};
use mdbr_scope::mongodb::{IndexModel, SearchIndexModel, SearchIndexType};

use crate::error::{Error, Result};

fn spec_error(collection: &str, spec: &IndexSpec, reason: impl Into<String>) -> Error {
    Error::Spec {
        collection: collection.to_owned(),
        name: spec.name.clone(),
        reason: reason.into(),
    }
}

fn json_doc(
    collection: &str,
    spec: &IndexSpec,
    what: &str,
    map: &serde_json::Map<String, serde_json::Value>,
) -> Result<Document> {
    match bson::serialize_to_bson(map) {
        Ok(Bson::Document(d)) => Ok(d),
        Ok(_) => Err(spec_error(collection, spec, format!("`{what}` is not an object"))),
        Err(e) => {
            Err(spec_error(collection, spec, format!("`{what}` cannot be converted to BSON: {e}")))
        }
    }
}

/// The key document of a spec: `{field: 1 | -1 | "text" | "2dsphere" | …}`.
pub(crate) fn key_document(spec: &IndexSpec) -> Option<Document> {
    let keys = spec.keys.as_ref()?;
    let mut doc = Document::new();
    for (field, dir) in keys.iter() {
        let value = match dir {
            KeyDirection::Ascending => Bson::Int32(1),
            KeyDirection::Descending => Bson::Int32(-1),
            other => Bson::String(other.as_str().to_owned()),
        };
        doc.insert(field, value);
    }
    Some(doc)
}

/// The `IndexModel` of a regular, text, TTL, partial or geospatial spec.
pub fn index_model(collection: &str, spec: &IndexSpec) -> Result<IndexModel> {
    if !spec.index_type.is_standard() {
        return Err(spec_error(collection, spec, "is a search index, not a regular one"));
    }
    let keys = key_document(spec).ok_or_else(|| spec_error(collection, spec, "has no `keys`"))?;
    let o = &spec.options;
    let mut options = IndexOptions::default();
    options.name = Some(spec.name.clone());
    options.unique = o.unique;
    options.sparse = o.sparse;
    options.expire_after = o.expire_after_seconds.map(Duration::from_secs);
    if spec.index_type == IndexType::Ttl && options.expire_after.is_none() {
        return Err(spec_error(collection, spec, "a TTL index needs `expireAfterSeconds`"));
    }
    if let Some(p) = &o.partial_filter_expression {
        options.partial_filter_expression =
            Some(json_doc(collection, spec, "partialFilterExpression", p)?);
    }
    if let Some(w) = &o.weights {
        options.weights = Some(json_doc(collection, spec, "weights", w)?);
    }
    options.default_language = o.default_language.clone();
    options.language_override = o.language_override.clone();
    if let Some(c) = &o.collation {
        let doc = json_doc(collection, spec, "collation", c)?;
        let collation: Collation = bson::deserialize_from_document(doc)
            .map_err(|e| spec_error(collection, spec, format!("`collation` is invalid: {e}")))?;
        options.collation = Some(collation);
    }
    Ok(IndexModel::builder().keys(keys).options(options).build())
}

/// The `SearchIndexModel` of a vectorSearch or search spec.
pub fn search_index_model(collection: &str, spec: &IndexSpec) -> Result<SearchIndexModel> {
    let kind = match spec.index_type {
        IndexType::VectorSearch => SearchIndexType::VectorSearch,
        IndexType::Search => SearchIndexType::Search,
        _ => return Err(spec_error(collection, spec, "is not a search index")),
    };
    let definition = spec
        .definition
        .as_ref()
        .ok_or_else(|| spec_error(collection, spec, "has no `definition`"))?;
    let definition = json_doc(collection, spec, "definition", definition)?;
    Ok(SearchIndexModel::builder()
        .name(spec.name.clone())
        .index_type(kind)
        .definition(definition)
        .build())
}
