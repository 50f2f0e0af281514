//! Manifests built in code validate with the same rules and round-trip through JSON.

use mdbr_core::{
    AppSlug, AppStatus, CollectionName, IndexKeys, IndexSpec, KeyDirection, Manifest, ProblemKind,
    VectorSimilarity, WebSocketEndpoint,
};
use serde_json::json;

fn slug(s: &str) -> AppSlug {
    AppSlug::parse(s).unwrap()
}

fn coll(s: &str) -> CollectionName {
    CollectionName::parse(s).unwrap()
}

fn sample() -> Manifest {
    let filter = json!({"status": "open"}).as_object().unwrap().clone();
    Manifest::new(slug("crm"), "CRM")
        .with_description("customers")
        .with_status(AppStatus::Draft)
        .with_developer_id("dev@example.com")
        .with_read_scopes([slug("billing")])
        .with_share_with([slug("reports"), slug("billing")])
        .with_index(
            coll("customers"),
            IndexSpec::regular("email", IndexKeys::new().asc("email")).with_unique(true),
        )
        .with_index(
            coll("customers"),
            IndexSpec::text("search", IndexKeys::new().with("name", KeyDirection::Text)),
        )
        .with_index(coll("sessions"), IndexSpec::ttl("expiry", "created_at", 3600))
        .with_index(
            coll("tickets"),
            IndexSpec::partial("open", IndexKeys::new().desc("opened_at"), filter),
        )
        .with_index(coll("places"), IndexSpec::geospatial("loc", "location"))
        .with_index(
            coll("docs"),
            IndexSpec::vector_search("vec", "embedding", 1536, VectorSimilarity::DotProduct)
                .with_definition_field(json!({"type": "filter", "path": "lang"})),
        )
        .with_index(
            coll("docs"),
            IndexSpec::search(
                "fts",
                json!({"mappings": {"dynamic": true}}).as_object().unwrap().clone(),
            ),
        )
        .with_index(coll("docs"), IndexSpec::hybrid("hy", "vec", "fts"))
        .with_collection(coll("notes"))
        .with_initial_data(coll("notes"), [json!({"text": "hi"}).as_object().unwrap().clone()])
        .with_websocket("realtime", WebSocketEndpoint::new("/ws"))
}

#[test]
fn built_manifest_is_valid_and_round_trips() {
    let m = sample();
    let report = m.validate();
    assert!(report.errors.is_empty() && report.warnings.is_empty(), "{report}");
    let text = serde_json::to_string_pretty(&m).unwrap();
    let loaded = Manifest::from_json_str(&text).unwrap();
    assert!(loaded.warnings.is_empty());
    assert_eq!(loaded.manifest, m);
}

#[test]
fn collections_lists_every_named_collection() {
    let names: Vec<String> = sample().collections().iter().map(|c| c.to_string()).collect();
    assert_eq!(names, ["customers", "docs", "notes", "places", "sessions", "tickets"]);
    let mut m = sample();
    m.sub_auth.enabled = true;
    assert!(m.collections().iter().any(|c| c.as_str() == "users"));
}

#[test]
fn indexes_iterates_in_order() {
    let m = sample();
    let names: Vec<(&str, &str)> =
        m.indexes().map(|(c, i)| (c.as_str(), i.name.as_str())).collect();
    assert_eq!(
        names,
        [
            ("customers", "email"),
            ("customers", "search"),
            ("docs", "vec"),
            ("docs", "fts"),
            ("docs", "hy"),
            ("places", "loc"),
            ("sessions", "expiry"),
            ("tickets", "open")
        ]
    );
    let (_, email) = m.indexes().next().unwrap();
    assert_eq!(
        email.keys.as_ref().unwrap().to_json_object(),
        *json!({"email": 1}).as_object().unwrap()
    );
    assert!(m.indexes().filter(|(_, i)| i.index_type.is_search()).count() == 2);
}

#[test]
fn validate_catches_mistakes_made_in_code() {
    let mut m = sample()
        .with_read_scopes([slug("crm")])
        .with_index(coll("customers"), IndexSpec::regular("email", IndexKeys::new().asc("other")))
        .with_websocket("bad", WebSocketEndpoint::new("ws"));
    m.llm_config.default_temperature = Some(f64::NAN);
    m.embedding_config.max_tokens_per_chunk = 5;
    let report = m.validate();
    let kinds: Vec<(&str, ProblemKind)> =
        report.errors.iter().map(|p| (p.pointer.as_str(), p.kind)).collect();
    assert_eq!(
        kinds,
        [
            ("/data_access/read_scopes/0", ProblemKind::Invalid),
            ("/managed_indexes/customers/2/name", ProblemKind::Duplicate),
            ("/websockets/bad/path", ProblemKind::Invalid),
            ("/llm_config/default_temperature", ProblemKind::WrongType),
            ("/embedding_config/max_tokens_per_chunk", ProblemKind::OutOfRange),
        ],
        "{report}"
    );
}

#[test]
fn status_permissions() {
    assert!(AppStatus::Active.allows_writes() && AppStatus::Draft.allows_writes());
    assert!(AppStatus::Archived.allows_reads() && !AppStatus::Archived.allows_writes());
    assert!(!AppStatus::Inactive.allows_reads());
}
