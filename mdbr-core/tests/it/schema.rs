//! The generated JSON Schema.

use mdbr_core::{Manifest, manifest_schema_json};

#[test]
fn schema_describes_the_manifest() {
    let schema = Manifest::json_schema();
    assert!(schema.is_object());
    assert!(schema["properties"]["slug"].is_object());
    let required: Vec<&str> =
        schema["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(required, ["slug", "name"]);
    assert_eq!(schema["additionalProperties"], false);
    for section in [
        "auth_policy",
        "sub_auth",
        "data_access",
        "managed_indexes",
        "auto_indexes",
        "collection_settings",
        "websockets",
        "llm_config",
        "embedding_config",
        "cors",
        "observability",
        "initial_data",
    ] {
        assert!(schema["properties"][section].is_object(), "{section}");
    }
    let text = manifest_schema_json();
    assert!(text.ends_with("}\n"));
    assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), schema);
    // Defaults from the model appear in the schema.
    let defs = &schema["$defs"];
    assert_eq!(defs["WebSocketEndpoint"]["properties"]["ping_interval"]["default"], 30);
    assert_eq!(defs["AutoIndexes"]["properties"]["threshold"]["default"], 3);
    assert_eq!(defs["IndexType"]["oneOf"].as_array().unwrap().len(), 8);
    // Optional fields are not nullable: the validator refuses `null`.
    assert!(!text.contains("\"null\""), "schema allows null somewhere");
    assert_eq!(defs["LlmConfig"]["properties"]["default_temperature"]["type"], "number");
    assert_eq!(defs["WebSocketEndpoint"]["properties"]["auth"]["$ref"], "#/$defs/WebSocketAuth");
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/manifests");

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&Manifest::json_schema()).expect("the generated schema compiles")
}

#[test]
fn schema_accepts_what_the_loader_accepts() {
    let validator = validator();
    for dir in ["seed", "original"] {
        for entry in std::fs::read_dir(format!("{FIXTURES}/{dir}")).expect("fixtures directory") {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let loaded = Manifest::from_json_str(&text).unwrap();
            if dir == "seed" {
                let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
                let errors: Vec<String> =
                    validator.iter_errors(&raw).map(|e| e.to_string()).collect();
                assert!(errors.is_empty(), "{}: {errors:?}", path.display());
            }
            // The current form of every loaded manifest (legacy keys rewritten) fits the schema.
            let current = serde_json::to_value(&loaded.manifest).unwrap();
            let errors: Vec<String> =
                validator.iter_errors(&current).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        }
    }
}

#[test]
fn schema_refuses_what_the_loader_refuses() {
    use serde_json::json;
    let validator = validator();
    let bad = [
        json!({"slug": "admin", "name": "A"}),
        json!({"slug": "a", "name": "A", "manged_indexes": {}}),
        json!({"slug": "a", "name": "A", "status": "deleted"}),
        json!({"slug": "a", "name": "A", "websockets": {"rt": {"path": "/ws", "ping_interval": 301}}}),
        json!({"slug": "a", "name": "A", "managed_indexes": {"system.x": []}}),
        json!({"slug": "a", "name": "A", "managed_indexes": {"c": [{"name": "i", "type": "btree"}]}}),
        json!({"slug": "a", "name": "A", "managed_indexes": {"c": [{"name": "i", "keys": {"a": 2}}]}}),
        json!({"slug": "a", "name": "A", "llm_config": {"default_temperature": 2.5}}),
        json!({"slug": "a", "name": "A", "embedding_config": {"max_tokens_per_chunk": 99}}),
        json!({"slug": "a", "name": "A", "sub_auth": {"session_ttl_seconds": 59}}),
        json!({"slug": "a", "name": "A", "description": null}),
    ];
    for doc in bad {
        assert!(Manifest::from_json_str(&doc.to_string()).is_err(), "loader accepts {doc}");
        assert!(!validator.is_valid(&doc), "schema accepts {doc}");
    }
}
