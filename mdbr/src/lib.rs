//! One dependency for the mdbr runtime: many isolated apps on one MongoDB.
//!
//! [`RuntimeEngine`] wires the layers: it connects to MongoDB (or starts the
//! embedded `mdbr-lite` engine when no URI is configured), registers apps
//! from their manifests (namespace claimed, manifest persisted in
//! `_mdbr_apps`, indexes built, search indexes submitted in the background),
//! hands each app its [`ScopedDatabase`] and an axum router with health,
//! readiness and metrics, and watches every query for missing indexes.
//! The facade holds no data logic of its own; each layer is re-exported as a
//! module (`mdbr::scope`, `mdbr::index`, `mdbr::obs`, `mdbr::manifest`).
//!
//! | feature | what it adds |
//! |---|---|
//! | `cli` | the `mdbr` command-line tool (`validate`, `lite`, `index suggest`, `health`) |
//! | `otlp` | push metrics to an OpenTelemetry collector at `MDBR_OTLP_ENDPOINT` (OTLP/HTTP) |
//!
//! ```no_run
//! use mdbr::{RegisterOptions, RuntimeEngine};
//! use mdbr::scope::bson::{Document, doc};
//!
//! # async fn demo() -> Result<(), mdbr::Error> {
//! let engine = RuntimeEngine::builder().build().await?;   // embedded engine when no URI is set
//! let manifest = engine.load_manifest("manifest.json").await?;
//! let report = engine.register_app(manifest, RegisterOptions::default()).await?;
//! let db = engine.scoped_db("hello_world")?;
//! db.collection::<Document>("greetings")?.insert_one(doc! { "message": "Hello, World!" }).await?;
//! let router = engine.app_router("hello_world")?;   // merge your own routes into it
//! # let _ = (report, router); Ok(()) }
//! ```

mod apps_store;
mod engine;
mod error;
mod health_checks;
mod register;
mod router;
mod wiring;

pub use apps_store::APPS_COLLECTION;
pub use engine::{
    DEFAULT_DATA_DIR, DEFAULT_DB_NAME, RuntimeEngine, RuntimeEngineBuilder, SHAPES_COLLECTION,
};
pub use error::{Error, Result};
pub use mdbr_core::{AppSlug, CollectionName, Manifest};
pub use mdbr_scope::{ScopedCollection, ScopedDatabase};
pub use register::{RegisterOptions, RegisterReport};

pub use mdbr_auth as auth;
pub use mdbr_core as manifest;
pub use mdbr_index as index;
pub use mdbr_lite as lite;
pub use mdbr_obs as obs;
pub use mdbr_scope as scope;
pub use mdbr_ws as ws;
