//! The vocabulary of the mdbr runtime: app slugs, collection names and the
//! `manifest.json` model with its validator and JSON Schema.
//!
//! `mdbr-core` does no I/O besides [`Manifest::from_path`] reading one file,
//! and pulls in nothing async. Depend on it directly when you only need to
//! parse or validate manifests (an editor plugin, a CI check); applications
//! normally use the `mdbr` facade, which re-exports it.
//!
//! ```
//! use mdbr_core::{AppSlug, CollectionName, Manifest};
//! let app = AppSlug::parse("billing").unwrap();
//! let coll = CollectionName::parse("invoices").unwrap();
//! assert_eq!(app.physical(&coll), "billing_invoices");
//!
//! let err = Manifest::from_json_str(r#"{"slug": "Billing", "nmae": "x"}"#).unwrap_err();
//! let report = err.report().unwrap();
//! assert_eq!(report.errors.len(), 3); // bad slug, unknown key `nmae`, missing `name`
//! ```

mod auth;
mod auto_indexes;
mod check;
mod collection_settings;
mod cors;
mod data_access;
mod embedding;
mod error;
mod index;
mod index_keys;
mod legacy;
mod llm;
mod manifest;
mod name;
mod observability;
mod problem;
mod schema;
mod websocket;

pub use auth::{AuthPolicy, DemoUser, OAuthProvider, OAuthProviderName, SubAuth, SubAuthStrategy};
pub use auto_indexes::AutoIndexes;
pub use collection_settings::{
    CollectionSettings, Granularity, TimeseriesSettings, ValidationAction, ValidationLevel,
    ValidationSettings,
};
pub use cors::CorsConfig;
pub use data_access::DataAccess;
pub use embedding::EmbeddingConfig;
pub use error::{ManifestError, Result};
pub use index::{HybridSpec, IndexOptions, IndexSpec, IndexType, VectorSimilarity};
pub use index_keys::{IndexKeys, KeyDirection};
pub use llm::{LlmConfig, LlmProvider, RateLimit};
pub use manifest::{AppStatus, Loaded, Manifest};
pub use name::{
    AppSlug, CollectionName, MAX_COLLECTION_LEN, MAX_SLUG_LEN, NameError, RESERVED_SLUGS,
};
pub use observability::{
    HealthChecksConfig, LogLevel, LoggingConfig, MetricsConfig, ObservabilityConfig,
};
pub use problem::{Problem, ProblemKind, Report};
pub use schema::manifest_schema_json;
pub use websocket::{WebSocketAuth, WebSocketEndpoint};
