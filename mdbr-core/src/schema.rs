//! The JSON Schema of `manifest.json`, generated from the typed model.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::Value;

use crate::manifest::Manifest;
use crate::name::{AppSlug, CollectionName, MAX_COLLECTION_LEN, MAX_SLUG_LEN};

impl Manifest {
    /// The JSON Schema (draft 2020-12) of `manifest.json`, generated from this
    /// model. It describes the current format; legacy keys that the loader
    /// accepts with a warning are not part of it.
    ///
    /// ```
    /// let schema = mdbr_core::Manifest::json_schema();
    /// assert!(schema["properties"]["slug"].is_object());
    /// ```
    pub fn json_schema() -> Value {
        schemars::schema_for!(Manifest).to_value()
    }
}

/// The manifest JSON Schema as pretty-printed JSON, ending with a newline;
/// `cargo xtask docs` writes it to `docs/manifest.schema.json`.
pub fn manifest_schema_json() -> String {
    let mut text = serde_json::to_string_pretty(&Manifest::json_schema()).unwrap_or_default();
    text.push('\n');
    text
}

impl JsonSchema for AppSlug {
    fn schema_name() -> Cow<'static, str> {
        "AppSlug".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An app slug: 1-48 characters of [a-z0-9_-] starting with a lowercase letter; not admin, config, local, system or mdbr.",
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_SLUG_LEN,
            "pattern": "^[a-z][a-z0-9_-]*$",
            "not": { "enum": crate::name::RESERVED_SLUGS }
        })
    }
}

impl JsonSchema for CollectionName {
    fn schema_name() -> Cow<'static, str> {
        "CollectionName".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A logical collection name: 1-64 characters of [A-Za-z0-9_.-], not starting with `system.`, without `..`.",
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_COLLECTION_LEN,
            "pattern": "^(?!system\\.)(?!.*\\.\\.)[A-Za-z0-9_.-]+$"
        })
    }
}
