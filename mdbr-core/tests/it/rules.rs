//! One test per validation rule: a bad manifest and the exact pointer of each problem.

use mdbr_core::{Manifest, ManifestError, ProblemKind as K};
use serde_json::json;

use crate::support::{base, has_error, invalid, only_error, valid, with};

#[test]
fn every_problem_is_reported_at_once() {
    let report = invalid(json!({
        "slug": "Bad Slug",
        "nmae": "x",
        "status": "deleted",
        "managed_indexes": {"tasks": [{"name": "i", "type": "regular"}]},
        "websockets": {"rt": {"path": "ws", "ping_interval": 1}},
        "llm_config": {"default_temperature": 3}
    }));
    has_error(&report, "/slug", K::Invalid);
    has_error(&report, "/nmae", K::UnknownKey);
    has_error(&report, "/name", K::Missing);
    has_error(&report, "/status", K::Invalid);
    has_error(&report, "/managed_indexes/tasks/0/keys", K::Missing);
    has_error(&report, "/websockets/rt/path", K::Invalid);
    has_error(&report, "/websockets/rt/ping_interval", K::OutOfRange);
    has_error(&report, "/llm_config/default_temperature", K::OutOfRange);
    assert_eq!(report.errors.len(), 8, "{report}");

    // Display: one problem per line, `pointer: message (hint)`.
    let err = Manifest::from_json_str(&json!({"slug": "a", "name": "A", "managed_indexes": {"tasks": [{"name": "i", "type": "regular"}]}}).to_string())
        .unwrap_err();
    let text = err.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "invalid manifest, 1 error(s):");
    assert!(
        lines[1].starts_with("/managed_indexes/tasks/0/keys: required for type \"regular\" ("),
        "{text}"
    );
    assert!(lines[1].ends_with(')'));
}

#[test]
fn slug_rules() {
    let mut doc = base();
    doc["slug"] = json!("Hello");
    only_error(doc.clone(), "/slug", K::Invalid);
    doc["slug"] = json!("admin");
    let report = only_error(doc.clone(), "/slug", K::Invalid);
    assert!(report.errors[0].message.contains("reserved"));
    doc["slug"] = json!(42);
    only_error(doc, "/slug", K::WrongType);
}

#[test]
fn slug_and_name_are_required() {
    let report = invalid(json!({}));
    has_error(&report, "/slug", K::Missing);
    has_error(&report, "/name", K::Missing);
    assert_eq!(report.errors.len(), 2);
    only_error(json!({"slug": "a", "name": "  "}), "/name", K::Invalid);
}

#[test]
fn collection_names_are_checked() {
    let mut doc = base();
    doc["managed_indexes"] = json!({"bad$coll": [], "ok": []});
    doc["collection_settings"] = json!({"system.users": {}});
    doc["initial_data"] = json!({"a..b": [{"x": 1}]});
    let report = invalid(doc);
    has_error(&report, "/managed_indexes/bad$coll", K::Invalid);
    has_error(&report, "/collection_settings/system.users", K::Invalid);
    has_error(&report, "/initial_data/a..b", K::Invalid);
    assert_eq!(report.errors.len(), 3, "{report}");
}

#[test]
fn collection_name_with_slash_is_escaped_in_pointer() {
    only_error(with("managed_indexes", json!({"a/b": []})), "/managed_indexes/a~1b", K::Invalid);
}

#[test]
fn ttl_needs_expire_after_seconds() {
    let ttl = |options: serde_json::Value| {
        with(
            "managed_indexes",
            json!({"sessions": [{"name": "exp", "type": "ttl", "keys": {"created_at": 1}, "options": options}]}),
        )
    };
    only_error(
        ttl(json!({})),
        "/managed_indexes/sessions/0/options/expireAfterSeconds",
        K::Missing,
    );
    only_error(
        ttl(json!({"expireAfterSeconds": -5})),
        "/managed_indexes/sessions/0/options/expireAfterSeconds",
        K::OutOfRange,
    );
    only_error(
        ttl(json!({"expireAfterSeconds": 1.5})),
        "/managed_indexes/sessions/0/options/expireAfterSeconds",
        K::WrongType,
    );
    only_error(
        ttl(json!({"expireAfterSeconds": "60"})),
        "/managed_indexes/sessions/0/options/expireAfterSeconds",
        K::WrongType,
    );
    let m = valid(ttl(json!({"expireAfterSeconds": 0})));
    assert_eq!(m.managed_indexes.values().next().unwrap()[0].options.expire_after_seconds, Some(0));
    // Without options at all the pointer is the same.
    only_error(
        with("managed_indexes", json!({"s": [{"name": "e", "type": "ttl", "keys": {"at": 1}}]})),
        "/managed_indexes/s/0/options/expireAfterSeconds",
        K::Missing,
    );
    // A TTL index has exactly one key, and expireAfterSeconds is refused on regular indexes.
    only_error(
        with(
            "managed_indexes",
            json!({"s": [{"name": "e", "type": "ttl", "keys": {"a": 1, "b": 1}, "options": {"expireAfterSeconds": 5}}]}),
        ),
        "/managed_indexes/s/0/keys",
        K::Invalid,
    );
    only_error(
        with(
            "managed_indexes",
            json!({"s": [{"name": "e", "keys": {"a": 1}, "options": {"expireAfterSeconds": 5}}]}),
        ),
        "/managed_indexes/s/0/options/expireAfterSeconds",
        K::Invalid,
    );
}

fn vector(field: serde_json::Value) -> serde_json::Value {
    with(
        "managed_indexes",
        json!({"docs": [{"name": "v", "type": "vectorSearch", "definition": {"fields": [field]}}]}),
    )
}

#[test]
fn vector_dimensions_range() {
    const P: &str = "/managed_indexes/docs/0/definition/fields/0/numDimensions";
    for bad in [0, 8193] {
        only_error(
            vector(
                json!({"type": "vector", "path": "e", "numDimensions": bad, "similarity": "cosine"}),
            ),
            P,
            K::OutOfRange,
        );
    }
    only_error(
        vector(json!({"type": "vector", "path": "e", "similarity": "cosine"})),
        P,
        K::Missing,
    );
    valid(vector(
        json!({"type": "vector", "path": "e", "numDimensions": 8192, "similarity": "dotProduct"}),
    ));
    valid(vector(
        json!({"type": "vector", "path": "e", "numDimensions": 1, "similarity": "euclidean"}),
    ));
}

#[test]
fn vector_similarity_enum() {
    let report = only_error(
        vector(json!({"type": "vector", "path": "e", "numDimensions": 3, "similarity": "cosin"})),
        "/managed_indexes/docs/0/definition/fields/0/similarity",
        K::Invalid,
    );
    assert!(
        report.errors[0].hint.as_deref().unwrap().contains("did you mean \"cosine\""),
        "{report}"
    );
}

#[test]
fn vector_field_type_enum() {
    let doc = with(
        "managed_indexes",
        json!({"docs": [{"name": "v", "type": "vectorSearch", "definition": {"fields": [
            {"type": "vector", "path": "e", "numDimensions": 3, "similarity": "cosine"},
            {"type": "fliter", "path": "lang"},
            {"type": "filter", "path": "lang2", "numDimensions": 3}
        ]}}]}),
    );
    let report = invalid(doc);
    has_error(&report, "/managed_indexes/docs/0/definition/fields/1/type", K::Invalid);
    has_error(&report, "/managed_indexes/docs/0/definition/fields/2/numDimensions", K::Invalid);
    assert_eq!(report.errors.len(), 2, "{report}");
    // At least one vector field.
    only_error(
        vector(json!({"type": "filter", "path": "lang"})),
        "/managed_indexes/docs/0/definition/fields",
        K::Invalid,
    );
}

#[test]
fn partial_filter_only_on_partial() {
    only_error(
        with(
            "managed_indexes",
            json!({"t": [{"name": "p", "type": "regular", "keys": {"a": 1}, "options": {"partialFilterExpression": {"a": {"$gt": 1}}}}]}),
        ),
        "/managed_indexes/t/0/options/partialFilterExpression",
        K::Invalid,
    );
    only_error(
        with("managed_indexes", json!({"t": [{"name": "p", "type": "partial", "keys": {"a": 1}}]})),
        "/managed_indexes/t/0/options/partialFilterExpression",
        K::Missing,
    );
    let m = valid(with(
        "managed_indexes",
        json!({"t": [{"name": "p", "type": "partial", "keys": {"a": 1}, "options": {"partialFilterExpression": {"a": {"$gt": 1}}}}]}),
    ));
    let idx = &m.managed_indexes.values().next().unwrap()[0];
    assert_eq!(idx.options.partial_filter_expression.as_ref().unwrap()["a"], json!({"$gt": 1}));
}

#[test]
fn index_names_unique_per_collection() {
    let doc = with(
        "managed_indexes",
        json!({
            "tasks": [{"name": "i", "keys": {"a": 1}}, {"name": "i", "keys": {"b": 1}}],
            "other": [{"name": "i", "keys": {"a": 1}}]
        }),
    );
    only_error(doc, "/managed_indexes/tasks/1/name", K::Duplicate);
}

#[test]
fn members_required_by_type() {
    let doc = with(
        "managed_indexes",
        json!({"c": [
            {"name": "r", "type": "regular"},
            {"name": "t", "type": "text"},
            {"name": "l", "type": "ttl", "options": {"expireAfterSeconds": 1}},
            {"name": "p", "type": "partial", "options": {"partialFilterExpression": {}}},
            {"name": "g", "type": "geospatial"},
            {"name": "v", "type": "vectorSearch"},
            {"name": "s", "type": "search"},
            {"name": "h", "type": "hybrid"}
        ]}),
    );
    let report = invalid(doc);
    for (i, member) in [
        (0, "keys"),
        (1, "keys"),
        (2, "keys"),
        (3, "keys"),
        (4, "keys"),
        (5, "definition"),
        (6, "definition"),
        (7, "hybrid"),
    ] {
        has_error(&report, &format!("/managed_indexes/c/{i}/{member}"), K::Missing);
    }
    assert_eq!(report.errors.len(), 8, "{report}");
    assert_eq!(report.errors[0].message, "required for type \"regular\"");
}

#[test]
fn members_refused_by_type() {
    let doc = with(
        "managed_indexes",
        json!({"c": [
            {"name": "r", "keys": {"a": 1}, "definition": {"mappings": {}}},
            {"name": "v", "type": "vectorSearch", "keys": {"a": 1}, "definition": {"fields": [{"type": "vector", "path": "e", "numDimensions": 2, "similarity": "cosine"}]}}
        ]}),
    );
    let report = invalid(doc);
    has_error(&report, "/managed_indexes/c/0/definition", K::Invalid);
    has_error(&report, "/managed_indexes/c/1/keys", K::Invalid);
    assert_eq!(report.errors.len(), 2, "{report}");
}

#[test]
fn search_definition_needs_mappings() {
    only_error(
        with(
            "managed_indexes",
            json!({"c": [{"name": "s", "type": "search", "definition": {"analyzer": "lucene.standard"}}]}),
        ),
        "/managed_indexes/c/0/definition/mappings",
        K::Missing,
    );
}

#[test]
fn hybrid_names_indexes_of_the_same_collection() {
    let vector = json!({"name": "vec", "type": "vectorSearch", "definition": {"fields": [{"type": "vector", "path": "e", "numDimensions": 2, "similarity": "cosine"}]}});
    let text =
        json!({"name": "txt", "type": "search", "definition": {"mappings": {"dynamic": true}}});
    let ok = with(
        "managed_indexes",
        json!({"docs": [vector.clone(), text.clone(), {"name": "hy", "type": "hybrid", "hybrid": {"vector_index": "vec", "text_index": "txt"}}]}),
    );
    let m = valid(ok);
    let hy = m.indexes().find(|(_, i)| i.name == "hy").unwrap().1;
    assert_eq!(hy.hybrid.as_ref().unwrap().vector_index, "vec");

    let doc = with(
        "managed_indexes",
        json!({
            "docs": [text, {"name": "hy", "type": "hybrid", "hybrid": {"vector_index": "vec", "text_index": "txt"}},
                     {"name": "hy2", "type": "hybrid", "hybrid": {"vector_index": "txt", "text_index": "hy"}}],
            "other": [vector]
        }),
    );
    let report = invalid(doc);
    has_error(&report, "/managed_indexes/docs/1/hybrid/vector_index", K::Invalid);
    has_error(&report, "/managed_indexes/docs/2/hybrid/vector_index", K::Invalid);
    has_error(&report, "/managed_indexes/docs/2/hybrid/text_index", K::Invalid);
    assert_eq!(report.errors.len(), 3, "{report}");
    assert!(
        report.errors[0].message.contains("no index named `vec` in collection `docs`"),
        "{report}"
    );
}

#[test]
fn key_directions_fit_the_type() {
    let doc = with(
        "managed_indexes",
        json!({"c": [
            {"name": "a", "keys": {"title": "text"}},
            {"name": "b", "type": "text", "keys": {"title": 1}},
            {"name": "c", "type": "geospatial", "keys": {"loc": 1}},
            {"name": "d", "keys": {"status": 2}},
            {"name": "e", "keys": [["status", 1], ["created_at", "down"]]},
            {"name": "f", "keys": {}},
            {"name": "g", "keys": "status"},
            {"name": "h", "type": "regular", "keys": {"loc": "2dsphere"}}
        ]}),
    );
    let report = invalid(doc);
    has_error(&report, "/managed_indexes/c/0/keys/title", K::Invalid);
    has_error(&report, "/managed_indexes/c/1/keys", K::Invalid);
    has_error(&report, "/managed_indexes/c/2/keys", K::Invalid);
    has_error(&report, "/managed_indexes/c/3/keys/status", K::Invalid);
    has_error(&report, "/managed_indexes/c/4/keys/1/1", K::Invalid);
    has_error(&report, "/managed_indexes/c/5/keys", K::Invalid);
    has_error(&report, "/managed_indexes/c/6/keys", K::WrongType);
    has_error(&report, "/managed_indexes/c/7/keys/loc", K::Invalid);
    assert_eq!(report.errors.len(), 8, "{report}");

    // Valid forms: text with a prefix key, 2dsphere, hashed, pair lists, 1.0.
    let m = valid(with(
        "managed_indexes",
        json!({"c": [
            {"name": "a", "type": "text", "keys": {"owner": 1, "title": "text", "body": "text"}, "options": {"weights": {"title": 10}, "default_language": "english"}},
            {"name": "b", "type": "geospatial", "keys": [["loc", "2dsphere"], ["kind", 1]]},
            {"name": "c", "keys": {"user": "hashed"}},
            {"name": "d", "keys": {"x": 1.0, "y": -1}}
        ]}),
    ));
    let keys: Vec<_> = m.indexes().map(|(_, i)| i.keys.clone().unwrap().into_vec()).collect();
    assert_eq!(keys[1][0].1, mdbr_core::KeyDirection::Geo2dSphere);
    assert_eq!(keys[3][0].1, mdbr_core::KeyDirection::Ascending);
}

#[test]
fn index_key_order_is_kept() {
    let m = valid(with(
        "managed_indexes",
        json!({"c": [{"name": "a", "keys": {"z": 1, "a": -1, "m": 1}}]}),
    ));
    let fields: Vec<&str> =
        m.indexes().next().unwrap().1.keys.as_ref().unwrap().iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["z", "a", "m"]);
}

#[test]
fn websocket_paths() {
    let doc = with(
        "websockets",
        json!({
            "a": {"path": "/ws"},
            "b": {"path": "/ws"},
            "c": {"path": "events"},
            "d": {"description": "no path"}
        }),
    );
    let report = invalid(doc);
    has_error(&report, "/websockets/b/path", K::Duplicate);
    has_error(&report, "/websockets/c/path", K::Invalid);
    has_error(&report, "/websockets/d/path", K::Missing);
    assert_eq!(report.errors.len(), 3, "{report}");
}

#[test]
fn websocket_ping_interval_range() {
    for bad in [4, 301] {
        only_error(
            with("websockets", json!({"rt": {"path": "/ws", "ping_interval": bad}})),
            "/websockets/rt/ping_interval",
            K::OutOfRange,
        );
    }
    let m = valid(with("websockets", json!({"rt": {"path": "/ws", "ping_interval": 5}})));
    assert_eq!(m.websockets["rt"].ping_interval, 5);
    let m = valid(with("websockets", json!({"rt": {"path": "/ws"}})));
    assert_eq!(m.websockets["rt"].ping_interval, 30);
}

#[test]
fn llm_ranges() {
    let report =
        invalid(with("llm_config", json!({"default_temperature": 2.5, "max_retries": 11})));
    has_error(&report, "/llm_config/default_temperature", K::OutOfRange);
    has_error(&report, "/llm_config/max_retries", K::OutOfRange);
    assert_eq!(report.errors.len(), 2);
    only_error(
        with("llm_config", json!({"default_temperature": -0.1})),
        "/llm_config/default_temperature",
        K::OutOfRange,
    );
    let m = valid(with("llm_config", json!({"default_temperature": 2, "max_retries": 0})));
    assert_eq!(m.llm_config.default_temperature, Some(2.0));
    assert_eq!(valid(base()).llm_config.max_retries, 4);
}

#[test]
fn llm_provider_secrets() {
    let report = invalid(with(
        "llm_config",
        json!({"providers": {"openai": {"api_key": "sk-123"}, "azure": {"api_key_env": "sk-proj-abcdef0123456789", "base_url": "x"}}}),
    ));
    has_error(&report, "/llm_config/providers/openai/api_key", K::Secret);
    has_error(&report, "/llm_config/providers/azure/api_key_env", K::Secret);
    has_error(&report, "/llm_config/providers/azure/base_url", K::Invalid);
    assert_eq!(report.errors.len(), 3, "{report}");
}

#[test]
fn chunk_size_range() {
    for bad in [99, 10_001] {
        only_error(
            with("embedding_config", json!({"max_tokens_per_chunk": bad})),
            "/embedding_config/max_tokens_per_chunk",
            K::OutOfRange,
        );
    }
    only_error(
        with("embedding_config", json!({"max_tokens_per_chunk": 200, "chunk_overlap_tokens": 200})),
        "/embedding_config/chunk_overlap_tokens",
        K::OutOfRange,
    );
    let m = valid(with("embedding_config", json!({"max_tokens_per_chunk": 100})));
    assert_eq!(m.embedding_config.max_tokens_per_chunk, 100);
    assert_eq!(valid(base()).embedding_config.max_tokens_per_chunk, 1000);
}

#[test]
fn session_ttl_minimum() {
    only_error(
        with("sub_auth", json!({"session_ttl_seconds": 59})),
        "/sub_auth/session_ttl_seconds",
        K::OutOfRange,
    );
    assert_eq!(
        valid(with("sub_auth", json!({"session_ttl_seconds": 60}))).sub_auth.session_ttl_seconds,
        60
    );
}

#[test]
fn sub_auth_strategy_enum() {
    let report = only_error(
        with("sub_auth", json!({"strategy": "app_user"})),
        "/sub_auth/strategy",
        K::Invalid,
    );
    assert!(report.errors[0].hint.as_deref().unwrap().contains("\"app_users\""));
    only_error(
        with("sub_auth", json!({"enabled": true, "strategy": "oauth"})),
        "/sub_auth/oauth_providers",
        K::Missing,
    );
}

#[test]
fn oauth_provider_rules() {
    let doc = with(
        "sub_auth",
        json!({"enabled": true, "strategy": "oauth", "oauth_providers": [
            {"name": "facebook", "client_id": "x"},
            {"name": "custom", "client_id": "x", "client_secret_env": "CUSTOM_SECRET"},
            {"name": "google", "client_id": "x", "client_secret": "hunter2"},
            {"name": "github", "client_id": "x", "client_secret_env": "ghs_abc123def456ghi789"},
            {"name": "microsoft", "client_id": "x", "client_secret_env": "my-secret"}
        ]}),
    );
    let report = invalid(doc);
    has_error(&report, "/sub_auth/oauth_providers/0/name", K::Invalid);
    has_error(&report, "/sub_auth/oauth_providers/1/auth_url", K::Missing);
    has_error(&report, "/sub_auth/oauth_providers/1/token_url", K::Missing);
    has_error(&report, "/sub_auth/oauth_providers/1/userinfo_url", K::Missing);
    has_error(&report, "/sub_auth/oauth_providers/2/client_secret", K::Secret);
    has_error(&report, "/sub_auth/oauth_providers/3/client_secret_env", K::Secret);
    has_error(&report, "/sub_auth/oauth_providers/4/client_secret_env", K::Invalid);
    assert_eq!(report.errors.len(), 7, "{report}");
    let secret = report.error_at("/sub_auth/oauth_providers/2/client_secret").unwrap();
    assert!(secret.hint.as_deref().unwrap().contains("client_secret_env"));

    let m = valid(with(
        "sub_auth",
        json!({"enabled": true, "strategy": "hybrid", "oauth_providers": [
            {"name": "custom", "client_id": "x", "client_secret_env": "CUSTOM_SECRET",
             "auth_url": "https://id.example.com/auth", "token_url": "https://id.example.com/token",
             "userinfo_url": "https://id.example.com/me", "scopes": ["openid"]}
        ], "demo_users": [{"email": "demo@example.com", "password": "demo", "roles": ["viewer"]}]}),
    ));
    assert_eq!(m.sub_auth.oauth_providers[0].name, mdbr_core::OAuthProviderName::Custom);
    assert_eq!(m.sub_auth.demo_users[0].email, "demo@example.com");
}

#[test]
fn developer_id_is_an_email() {
    only_error(with("developer_id", json!("not-an-email")), "/developer_id", K::Invalid);
}

#[test]
fn status_enum() {
    only_error(with("status", json!("deleted")), "/status", K::Invalid);
    assert_eq!(valid(with("status", json!("archived"))).status, mdbr_core::AppStatus::Archived);
}

#[test]
fn auto_index_minimums() {
    let report = invalid(with("auto_indexes", json!({"threshold": 0, "max_per_collection": 0})));
    has_error(&report, "/auto_indexes/threshold", K::OutOfRange);
    has_error(&report, "/auto_indexes/max_per_collection", K::OutOfRange);
    assert_eq!(report.errors.len(), 2);
    let m = valid(base());
    assert!(m.auto_indexes.enabled);
    assert_eq!((m.auto_indexes.threshold, m.auto_indexes.max_per_collection), (3, 8));
}

#[test]
fn data_access_slugs() {
    let report = invalid(with(
        "data_access",
        json!({"read_scopes": ["Other App", "app", "crm"], "share_with": ["app", "crm", "crm"]}),
    ));
    has_error(&report, "/data_access/read_scopes/0", K::Invalid);
    has_error(&report, "/data_access/read_scopes/1", K::Invalid);
    has_error(&report, "/data_access/share_with/0", K::Invalid);
    has_error(&report, "/data_access/share_with/2", K::Duplicate);
    assert_eq!(report.errors.len(), 4, "{report}");
    let m = valid(with("data_access", json!({"read_scopes": ["crm"], "share_with": ["billing"]})));
    assert_eq!(m.data_access.read_scopes[0].as_str(), "crm");
    assert_eq!(m.data_access.share_with[0].as_str(), "billing");
}

#[test]
fn permissions_and_users() {
    let report = invalid(with(
        "auth_policy",
        json!({"required_permissions": ["apps:view", "apps", "*:*"], "allowed_users": ["bob"], "denied_users": ["eve@example.com", "x@y"]}),
    ));
    has_error(&report, "/auth_policy/required_permissions/1", K::Invalid);
    has_error(&report, "/auth_policy/allowed_users/0", K::Invalid);
    has_error(&report, "/auth_policy/denied_users/1", K::Invalid);
    assert_eq!(report.errors.len(), 3, "{report}");
}

#[test]
fn unknown_keys_suggest_the_closest_key() {
    let report = invalid(json!({"slug": "a", "name": "A", "manged_indexes": {}, "frobnicate": 1,
        "auth_policy": {"requird": true},
        "managed_indexes": {"c": [{"name": "i", "keys": {"a": 1}, "options": {"expire_after_seconds": 3}}]}}));
    let typo = report.error_at("/manged_indexes").unwrap();
    assert_eq!(typo.kind, K::UnknownKey);
    assert_eq!(typo.hint.as_deref(), Some("did you mean `managed_indexes`?"));
    assert_eq!(
        typo.to_string(),
        "/manged_indexes: unknown key `manged_indexes` (did you mean `managed_indexes`?)"
    );
    let unknown = report.error_at("/frobnicate").unwrap();
    assert!(unknown.hint.as_deref().unwrap().starts_with("known keys: schema_version, slug"));
    assert_eq!(
        report.error_at("/auth_policy/requird").unwrap().hint.as_deref(),
        Some("did you mean `required`?")
    );
    assert_eq!(
        report
            .error_at("/managed_indexes/c/0/options/expire_after_seconds")
            .unwrap()
            .hint
            .as_deref(),
        Some("did you mean `expireAfterSeconds`?")
    );
    assert_eq!(report.errors.len(), 4, "{report}");
}

#[test]
fn legacy_keys_warn_and_map() {
    let loaded = Manifest::from_json_str(
        &json!({"version": "2.0", "slug": "app", "name": "App", "auth_required": false,
                "data_scope": ["self", "crm"],
                "managed_indexes": {"c": [{"name": "i", "keys": {"a": 1}, "options": {"background": true, "unique": true}}]}})
        .to_string(),
    )
    .unwrap();
    let w: Vec<(&str, &str)> =
        loaded.warnings.iter().map(|w| (w.pointer.as_str(), w.message.as_str())).collect();
    assert_eq!(
        w,
        [
            ("/version", "legacy key `version`"),
            ("/auth_required", "legacy key `auth_required`"),
            ("/data_scope", "legacy key `data_scope`"),
            ("/managed_indexes/c/0/options/background", "legacy key `background`"),
        ]
    );
    assert!(loaded.warnings.iter().all(|w| w.kind == K::LegacyKey && w.hint.is_some()));
    let m = loaded.manifest;
    assert!(!m.auth_policy.required);
    assert_eq!(m.data_access.read_scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(), ["crm"]);
    assert_eq!(m.indexes().next().unwrap().1.options.unique, Some(true));

    // Legacy keys that conflict with their replacement are errors.
    let report = invalid(
        json!({"version": "1.0", "slug": "app", "name": "App", "auth_required": true, "auth_policy": {"required": false}}),
    );
    has_error(&report, "/version", K::Invalid);
    has_error(&report, "/auth_required", K::Conflict);
    assert_eq!(report.warnings.len(), 2);
}

#[test]
fn schema_version_must_be_2_0() {
    only_error(with("schema_version", json!("3.0")), "/schema_version", K::Invalid);
}

#[test]
fn collection_settings_rules() {
    let doc = with(
        "collection_settings",
        json!({
            "logs": {"capped": true},
            "events": {"size": 10, "timeseries": {"metaField": "m", "granularity": "days"}},
            "people": {"validation": {"validator": {"$jsonSchema": {}}, "validationLevel": "loose"}, "collation": {}}
        }),
    );
    let report = invalid(doc);
    has_error(&report, "/collection_settings/logs/size", K::Missing);
    has_error(&report, "/collection_settings/events/size", K::Invalid);
    has_error(&report, "/collection_settings/events/timeseries/timeField", K::Missing);
    has_error(&report, "/collection_settings/events/timeseries/granularity", K::Invalid);
    has_error(&report, "/collection_settings/people/validation/validationLevel", K::Invalid);
    has_error(&report, "/collection_settings/people/collation/locale", K::Missing);
    assert_eq!(report.errors.len(), 6, "{report}");
    let m = valid(with(
        "collection_settings",
        json!({"logs": {"capped": true, "size": 4096, "max": 100}, "metrics": {"timeseries": {"timeField": "ts", "granularity": "minutes"}}}),
    ));
    assert_eq!(m.collections().iter().map(|c| c.as_str()).collect::<Vec<_>>(), ["logs", "metrics"]);
}

#[test]
fn cors_rules() {
    let report = invalid(with(
        "cors",
        json!({"enabled": true, "allow_origins": ["*", "example.com", "https://ok.example.com/path"], "allow_methods": ["GET", "get"], "allow_credentials": true}),
    ));
    has_error(&report, "/cors/allow_origins/1", K::Invalid);
    has_error(&report, "/cors/allow_origins/2", K::Invalid);
    has_error(&report, "/cors/allow_methods/1", K::Invalid);
    has_error(&report, "/cors/allow_credentials", K::Conflict);
    assert_eq!(report.errors.len(), 4, "{report}");
}

#[test]
fn observability_rules() {
    let report = invalid(with(
        "observability",
        json!({"logging": {"level": "verbose"}, "metrics": {"enabeld": true}}),
    ));
    has_error(&report, "/observability/logging/level", K::Invalid);
    has_error(&report, "/observability/metrics/enabeld", K::UnknownKey);
    let m = valid(with(
        "observability",
        json!({"logging": {"level": "debug"}, "health_checks": {"interval_seconds": 30}}),
    ));
    assert_eq!(m.observability.logging.level, Some(mdbr_core::LogLevel::Debug));
    assert!(m.observability.metrics.enabled);
}

#[test]
fn initial_data_documents() {
    let report = invalid(with(
        "initial_data",
        json!({"greetings": [{"message": "hi"}, 3, {"app_id": "other"}]}),
    ));
    has_error(&report, "/initial_data/greetings/1", K::WrongType);
    has_error(&report, "/initial_data/greetings/2/app_id", K::Invalid);
    let m = valid(with("initial_data", json!({"greetings": [{"message": "hi"}]})));
    assert_eq!(m.initial_data.values().next().unwrap()[0]["message"], "hi");
}

#[test]
fn wrong_types_and_nulls() {
    let report = invalid(
        json!({"slug": "a", "name": "A", "description": null, "auth_policy": [], "websockets": {"rt": {"path": "/ws", "auth": {"required": "yes"}}}}),
    );
    has_error(&report, "/description", K::WrongType);
    has_error(&report, "/auth_policy", K::WrongType);
    has_error(&report, "/websockets/rt/auth/required", K::WrongType);
    assert_eq!(report.errors.len(), 3, "{report}");
}

#[test]
fn not_an_object_or_not_json() {
    for text in ["[]", "1", "null", "\"manifest\"", "true"] {
        let err = Manifest::from_json_str(text).unwrap_err();
        let report = err.report().unwrap_or_else(|| panic!("{text}: {err}"));
        assert_eq!(report.errors.len(), 1);
        assert_eq!(report.errors[0].pointer, "");
        assert_eq!(report.errors[0].kind, K::WrongType);
        assert!(err.to_string().contains("(root): expected an object"), "{err}");
    }
    let err = Manifest::from_json_str("{\"slug\": \"a\",\n \"name\": }").unwrap_err();
    match &err {
        ManifestError::Json { line, .. } => assert_eq!(*line, 2),
        other => panic!("expected a JSON error, got {other}"),
    }
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn deep_nesting_and_huge_numbers_do_not_panic() {
    let deep = format!(
        "{{\"slug\": \"a\", \"name\": \"A\", \"initial_data\": {{\"c\": [{{\"x\": {}1{}}}]}}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    assert!(Manifest::from_json_str(&deep).is_err());
    let deep_ok = format!(
        "{{\"slug\": \"a\", \"name\": \"A\", \"initial_data\": {{\"c\": [{{\"x\": {}1{}}}]}}}}",
        "[".repeat(100),
        "]".repeat(100)
    );
    assert!(Manifest::from_json_str(&deep_ok).is_ok());
    let report = invalid(
        json!({"slug": "a", "name": "A", "websockets": {"rt": {"path": "/ws", "ping_interval": 1e300, "max_message_bytes": 18446744073709551615u64}},
        "auto_indexes": {"threshold": 99999999999999999u64}, "sub_auth": {"session_ttl_seconds": -9223372036854775808i64}}),
    );
    has_error(&report, "/websockets/rt/ping_interval", K::WrongType);
    has_error(&report, "/auto_indexes/threshold", K::OutOfRange);
    has_error(&report, "/sub_auth/session_ttl_seconds", K::OutOfRange);
    assert_eq!(report.errors.len(), 3, "{report}");
    assert!(
        Manifest::from_json_str(
            "{\"slug\": \"a\", \"name\": \"A\", \"llm_config\": {\"default_temperature\": 1e999}}"
        )
        .is_err()
    );
}
