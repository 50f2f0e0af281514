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
        let mut schema = schemars::schema_for!(Manifest).to_value();
        forbid_null(&mut schema);
        schema
    }
}

/// Removes the `null` that schemars allows for `Option` fields: the
/// validator treats an explicit `null` as a type error, absent keys take
/// their default.
fn forbid_null(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".to_owned(), only);
                }
            }
            if let Some(Value::Array(options)) = map.get_mut("anyOf") {
                options.retain(|o| o.get("type").and_then(Value::as_str) != Some("null"));
                if options.len() == 1
                    && let Value::Object(only) = options.remove(0)
                {
                    map.remove("anyOf");
                    for (k, v) in only {
                        map.entry(k).or_insert(v);
                    }
                }
            }
            map.values_mut().for_each(forbid_null);
        }
        Value::Array(items) => items.iter_mut().for_each(forbid_null),
        _ => {}
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
