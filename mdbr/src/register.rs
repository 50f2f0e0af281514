//! Registering apps: validate, claim the namespace, persist, build indexes.

use std::time::{Duration, Instant};

use bson::Document;
use futures_util::future::join_all;
use mdbr_core::Manifest;
use mdbr_index::{EnsureOptions, IndexReport, ensure_indexes};
use mdbr_scope::AppEntry;

use crate::engine::RuntimeEngine;
use crate::error::{Error, Result};

/// How [`RuntimeEngine::register_app`] treats existing state.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RegisterOptions {
    /// Rebuild indexes whose spec drifted from the manifest (default: only report).
    pub rebuild_drifted_indexes: bool,
    /// Insert the manifest's `initial_data` into collections that are empty (default true).
    pub seed_initial_data: bool,
}

impl Default for RegisterOptions {
    fn default() -> Self {
        Self { rebuild_drifted_indexes: false, seed_initial_data: true }
    }
}

impl RegisterOptions {
    /// Rebuild drifted indexes.
    pub fn with_rebuild_drifted_indexes(mut self, rebuild: bool) -> Self {
        self.rebuild_drifted_indexes = rebuild;
        self
    }

    /// Seed `initial_data` or not.
    pub fn with_seed_initial_data(mut self, seed: bool) -> Self {
        self.seed_initial_data = seed;
        self
    }
}

/// What registration did.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RegisterReport {
    /// The app.
    pub slug: String,
    /// The stored revision (1 on first registration).
    pub revision: i64,
    /// Indexes created, present, drifted, pending (search) and failed.
    pub indexes: IndexReport,
    /// Documents inserted from `initial_data`.
    pub seeded_documents: u64,
    /// Collections created now with their `collection_settings`.
    pub collections_created: Vec<String>,
    /// Warnings: legacy keys, drift, failed indexes.
    pub warnings: Vec<String>,
    /// Wall time of the registration (search indexes are not awaited).
    pub duration: Duration,
}

impl RegisterReport {
    /// Whether every declared index exists or is being built.
    pub fn is_complete(&self) -> bool {
        self.indexes.is_complete()
    }
}

impl RuntimeEngine {
    /// Registers (or re-registers) an app.
    ///
    /// An invalid manifest is refused with every problem and changes
    /// nothing. Otherwise the app's namespace is claimed (refused when
    /// another app holds collections under its prefix), the manifest is
    /// stored in `_mdbr_apps` with a new revision, declared indexes are
    /// built, search indexes are submitted (not awaited) and `initial_data`
    /// seeds empty collections. An index that fails is named in the report's
    /// `indexes.failed` and warnings; the app stays registered.
    pub async fn register_app(
        &self,
        manifest: Manifest,
        options: RegisterOptions,
    ) -> Result<RegisterReport> {
        let start = Instant::now();
        let slug = manifest.slug.to_string();
        let result = self.register_inner(manifest, &options).await;
        self.inner.metrics.record_registration(&slug, result.is_ok());
        let mut report = result?;
        report.duration = start.elapsed();
        tracing::info!(
            app = %slug,
            revision = report.revision,
            created = report.indexes.created.len(),
            pending_search = report.indexes.pending_search.len(),
            failed = report.indexes.failed.len(),
            duration_ms = report.duration.as_secs_f64() * 1000.0,
            "app registered"
        );
        Ok(report)
    }

    /// Registers many apps concurrently; one result per manifest, in order.
    pub async fn register_apps(
        &self,
        manifests: impl IntoIterator<Item = Manifest>,
        options: RegisterOptions,
    ) -> Vec<Result<RegisterReport>> {
        join_all(manifests.into_iter().map(|m| self.register_app(m, options.clone()))).await
    }

    async fn register_inner(
        &self,
        manifest: Manifest,
        options: &RegisterOptions,
    ) -> Result<RegisterReport> {
        let validation = manifest.validate();
        if validation.has_errors() {
            return Err(Error::InvalidManifest {
                slug: manifest.slug.to_string(),
                report: validation,
            });
        }
        let mut warnings: Vec<String> =
            validation.warnings.iter().map(ToString::to_string).collect();
        let scope = &self.inner.scope;
        scope.register(AppEntry::from(&manifest)).await?;
        let revision = self.inner.store.save(&manifest).await?;
        self.remember(manifest.clone());

        // An archived app is read-only and an inactive one is switched off:
        // their indexes and data stay as they are.
        let mut indexes = IndexReport::default();
        let mut seeded = 0;
        let mut collections_created = Vec::new();
        if manifest.status.allows_writes() {
            let db = scope.app(manifest.slug.as_str())?;
            collections_created = self.apply_collection_settings(&db, &manifest).await?;
            let ensure =
                EnsureOptions::default().with_rebuild_drifted(options.rebuild_drifted_indexes);
            indexes = ensure_indexes(&db, &manifest, &ensure, &self.inner.tracker).await?;
            for index in &indexes.created {
                let collection = index.split('/').next().unwrap_or_default();
                self.inner.metrics.record_index_build(
                    manifest.slug.as_str(),
                    collection,
                    "declared",
                    true,
                );
            }
            if options.seed_initial_data {
                seeded = self.seed(&db, &manifest).await?;
            }
            self.prepare_auth(&manifest).await?;
        } else if manifest.status == mdbr_core::AppStatus::Inactive {
            self.close_connections(&manifest.slug);
        }
        warnings.extend(
            indexes
                .drifted
                .iter()
                .map(|i| format!("index {i} differs from the manifest (not rebuilt)")),
        );
        warnings.extend(
            indexes.failed.iter().map(|f| format!("index {} failed: {}", f.index, f.reason)),
        );
        for w in &warnings {
            tracing::warn!(app = %manifest.slug, "{w}");
        }
        Ok(RegisterReport {
            slug: manifest.slug.to_string(),
            revision,
            indexes,
            seeded_documents: seeded,
            collections_created,
            warnings,
            duration: Duration::ZERO,
        })
    }

    /// Creates the collections of `collection_settings` that do not exist
    /// yet, with their validator, capped, time-series and collation options.
    /// Existing collections are left as they are (their options cannot be
    /// changed by creating them again).
    async fn apply_collection_settings(
        &self,
        db: &mdbr_scope::ScopedDatabase,
        manifest: &Manifest,
    ) -> Result<Vec<String>> {
        if manifest.collection_settings.is_empty() {
            return Ok(Vec::new());
        }
        let existing = db.list_collection_names().await?;
        let mut created = Vec::new();
        for (collection, settings) in &manifest.collection_settings {
            if existing.iter().any(|c| c == collection.as_str()) {
                continue;
            }
            let options = create_options(settings).map_err(|e| {
                Error::Config(format!("collection_settings of `{collection}`: {e}"))
            })?;
            db.create_collection_with_options(collection.as_str(), options).await?;
            created.push(collection.to_string());
        }
        Ok(created)
    }

    async fn seed(&self, db: &mdbr_scope::ScopedDatabase, manifest: &Manifest) -> Result<u64> {
        let mut inserted = 0;
        for (collection, docs) in &manifest.initial_data {
            if docs.is_empty() {
                continue;
            }
            let coll = db.collection::<Document>(collection.as_str())?;
            if coll.count_documents(bson::doc! {}).limit(1).await? > 0 {
                continue;
            }
            let docs: Vec<Document> = docs
                .iter()
                .map(bson::serialize_to_document)
                .collect::<Result<_, _>>()
                .map_err(|e| {
                    Error::Config(format!("initial_data of `{collection}` cannot be stored: {e}"))
                })?;
            inserted += coll.insert_many(docs).await?.inserted_ids.len() as u64;
        }
        Ok(inserted)
    }
}

/// The `create` command's options for a manifest's collection settings: the
/// manifest nests `validation`, the command has its fields at the top level.
fn create_options(
    settings: &mdbr_core::CollectionSettings,
) -> std::result::Result<mdbr_scope::mongodb::options::CreateCollectionOptions, String> {
    let mut json = serde_json::to_value(settings).map_err(|e| e.to_string())?;
    if let Some(obj) = json.as_object_mut() {
        if let Some(serde_json::Value::Object(validation)) = obj.remove("validation") {
            obj.extend(validation);
        }
        obj.retain(|_, v| !v.is_null());
    }
    let doc = bson::serialize_to_document(&json).map_err(|e| e.to_string())?;
    bson::deserialize_from_document(doc).map_err(|e| e.to_string())
}
