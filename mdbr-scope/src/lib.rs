//! Per-app scoped MongoDB access: the isolation layer of the mdbr runtime.
//!
//! Many apps share one database. Each app `s` gets a [`ScopedDatabase`] whose
//! collections live under the physical names `s_<collection>`, whose writes
//! are tagged with `app_id: s`, whose reads are filtered to `app_id: s`, and
//! whose aggregation pipelines are rewritten so that `$lookup`, `$unionWith`,
//! `$graphLookup`, `$facet`, `$out`, `$merge`, `$vectorSearch` and `$search`
//! all stay inside the app. Anything that would leave the app is refused with
//! a typed [`Error`] whose kind is [`ErrorKind::ScopeViolation`] — never
//! silently rewritten. No method hands out the raw driver handle.
//!
//! `app_id` is bookkeeping: `find`, `find_one` and `find_one_and_*` return
//! documents as the app wrote them, without it (unless the projection names
//! `app_id`). Aggregation pipelines and change streams work on the stored
//! documents, `app_id` included, so stages can group or match on it.
//!
//! The API mirrors the official `mongodb` 3.x driver (same method names, same
//! fluent option builders, same result types), so app code stays ordinary
//! driver code and graduating an app to its own database is a type change.
//!
//! Depend on `mdbr-scope` alone when you want the isolation without the rest
//! of the runtime; use the `mdbr` facade for registration from manifests,
//! indexes, auth, websockets and the rest.
//!
//! ```no_run
//! use mdbr_scope::{AppEntry, Scope};
//! use mdbr_scope::bson::{Document, doc};
//! use mdbr_scope::mongodb::Client;
//! use mdbr_core::AppSlug;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::with_uri_str("mongodb://127.0.0.1:27017").await?;
//! let scope = Scope::new(client.database("garden"));
//! scope.register(AppEntry::new(AppSlug::parse("hello_world")?)).await?;
//!
//! let db = scope.app("hello_world")?;
//! let greetings = db.collection::<Document>("greetings")?;
//! greetings.insert_one(doc! { "message": "Hello, World!" }).await?;
//! let mut cursor = greetings.find(doc! {}).sort(doc! { "_id": -1 }).limit(10).await?;
//! while cursor.advance().await? {
//!     let greeting = cursor.deserialize_current()?;
//!     # let _ = greeting;
//! }
//! # Ok(()) }
//! ```

pub mod action;
mod collection;
mod database;
mod error;
mod observer;
mod registry;
mod rules;
mod scope;

pub use bson;
pub use mongodb;

pub use collection::ScopedCollection;
pub use database::ScopedDatabase;
pub use error::{Error, ErrorKind, Result};
pub use observer::{Operation, OperationEvent, Outcome, Predicate, QueryObserver, QueryShape};
pub use registry::{
    AppAccess, AppEntry, AppRegistry, MemoryRegistry, check_access, check_register, readable_apps,
};
pub use rules::{
    APP_ID, CHANGE_STREAM_STAGES, FORBIDDEN_OPERATORS, LEADING_STAGES, MAX_DEPTH,
    MAX_FIELD_NAME_BYTES, REFUSED_STAGES, ScopeRules, TRANSFORM_STAGES, UPDATE_OPERATORS,
    UPDATE_PIPELINE_STAGES,
};
pub use scope::Scope;
