//! Keys of older manifests that are still accepted, and how they map onto
//! the current format. The checker warns about them; [`normalize`] rewrites
//! them before the typed model is read.

use serde_json::{Map, Value};

/// Top-level legacy keys: the key and the hint given in its warning.
pub(crate) const TOP_LEVEL: &[(&str, &str)] = &[
    ("version", "renamed `schema_version`"),
    ("auth_required", "use `auth_policy.required`"),
    (
        "data_scope",
        "use `data_access.read_scopes`; the other app must also list this one in `data_access.share_with`",
    ),
];

/// Legacy keys of an index's `options`.
pub(crate) const INDEX_OPTIONS: &[(&str, &str)] = &[(
    "background",
    "ignored: MongoDB 4.2 and later always build indexes without blocking; remove it",
)];

/// Rewrites legacy keys into their current form. Only called on documents
/// the checker accepted, so the values have the expected types.
pub(crate) fn normalize(mut value: Value) -> Value {
    let Value::Object(root) = &mut value else { return value };

    if let Some(version) = root.remove("version") {
        root.entry("schema_version").or_insert(version);
    }

    if let Some(required) = root.remove("auth_required") {
        let policy = root.entry("auth_policy").or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(policy) = policy {
            policy.entry("required").or_insert(required);
        }
    }

    if let Some(Value::Array(scopes)) = root.remove("data_scope") {
        let scopes: Vec<Value> =
            scopes.into_iter().filter(|s| s.as_str() != Some("self")).collect();
        let access = root.entry("data_access").or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(access) = access {
            access.entry("read_scopes").or_insert(Value::Array(scopes));
        }
    }

    if let Some(Value::Object(collections)) = root.get_mut("managed_indexes") {
        for list in collections.values_mut() {
            let Value::Array(list) = list else { continue };
            for index in list {
                if let Some(Value::Object(options)) = index.get_mut("options") {
                    for (key, _) in INDEX_OPTIONS {
                        options.remove(*key);
                    }
                }
            }
        }
    }
    value
}
