//! The loader never panics, whatever it is given, and the checker agrees
//! with the typed model: whatever it accepts deserializes and round-trips.

use mdbr_core::{Manifest, ProblemKind};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Keys of every section, so generated documents reach deep into the checker.
const KEYS: &[&str] = &[
    "slug",
    "name",
    "status",
    "version",
    "schema_version",
    "auth_required",
    "data_scope",
    "managed_indexes",
    "tasks",
    "type",
    "keys",
    "options",
    "definition",
    "fields",
    "path",
    "numDimensions",
    "similarity",
    "hybrid",
    "vector_index",
    "text_index",
    "expireAfterSeconds",
    "partialFilterExpression",
    "background",
    "unique",
    "weights",
    "collation",
    "locale",
    "websockets",
    "ping_interval",
    "auth",
    "required",
    "allow_anonymous",
    "sub_auth",
    "enabled",
    "strategy",
    "oauth_providers",
    "client_id",
    "client_secret_env",
    "demo_users",
    "email",
    "data_access",
    "read_scopes",
    "share_with",
    "llm_config",
    "default_temperature",
    "max_retries",
    "providers",
    "embedding_config",
    "max_tokens_per_chunk",
    "chunk_overlap_tokens",
    "collection_settings",
    "capped",
    "size",
    "timeseries",
    "timeField",
    "cors",
    "allow_origins",
    "allow_credentials",
    "observability",
    "logging",
    "level",
    "auto_indexes",
    "threshold",
    "initial_data",
    "mappings",
    "rate_limit",
];

const STRINGS: &[&str] = &[
    "",
    "app",
    "self",
    "crm",
    "regular",
    "text",
    "ttl",
    "partial",
    "geospatial",
    "vectorSearch",
    "search",
    "hybrid",
    "vector",
    "filter",
    "cosine",
    "2dsphere",
    "2d",
    "hashed",
    "/ws",
    "oauth",
    "google",
    "custom",
    "a@b.co",
    "*",
    "https://x.io",
    "2.0",
    "ENV_NAME",
    "info",
    "users",
    "system.x",
];

fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![4 => prop::sample::select(KEYS).prop_map(str::to_owned), 1 => "[a-z_/~$.]{0,12}"];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..20_000).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(STRINGS).prop_map(Value::from),
        ".{0,10}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 96, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..7).prop_map(|entries| Value::Object(
                entries.into_iter().collect::<Map<String, Value>>()
            )),
        ]
    })
}

/// Loads `text`; whatever loads must validate and round-trip, whatever is
/// refused must be refused by the checker, not by the typed model.
fn check_consistent(text: &str) -> Result<(), TestCaseError> {
    match Manifest::from_json_str(text) {
        Ok(loaded) => {
            let report = loaded.manifest.validate();
            prop_assert!(report.is_ok(), "{report}");
            let again = Manifest::from_json_str(&serde_json::to_string(&loaded.manifest).unwrap());
            prop_assert!(again.is_ok(), "{:?}", again.err());
            prop_assert_eq!(again.unwrap().manifest, loaded.manifest);
        }
        Err(err) => {
            if let Some(report) = err.report() {
                let safety_net = report
                    .errors
                    .iter()
                    .find(|p| p.pointer.is_empty() && p.kind == ProblemKind::Invalid);
                prop_assert!(
                    safety_net.is_none(),
                    "checker accepted what the model refuses: {err}\n{text}"
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_json_never_panics(value in json_value()) {
        check_consistent(&value.to_string())?;
    }

    #[test]
    fn arbitrary_sections_are_checked_consistently(section in json_value(), key in prop::sample::select(KEYS)) {
        let mut doc = json!({"slug": "app", "name": "App"});
        doc[key] = section.clone();
        check_consistent(&doc.to_string())?;

        let mut doc = json!({"slug": "app", "name": "App", "managed_indexes": {"c": [{"name": "i", "type": "regular", "keys": {"a": 1}}]}});
        doc["managed_indexes"]["c"][0][key] = section.clone();
        check_consistent(&doc.to_string())?;

        let mut doc = json!({"slug": "app", "name": "App", "websockets": {"rt": {"path": "/ws"}}, "sub_auth": {"oauth_providers": [{"name": "google", "client_id": "x"}]}});
        doc["websockets"]["rt"][key] = section.clone();
        doc["sub_auth"]["oauth_providers"][0][key] = section;
        check_consistent(&doc.to_string())?;
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        let _ = Manifest::from_json_str(&text);
    }
}
