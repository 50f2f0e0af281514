//! `_mdbr_apps`: the persisted registry of apps (manifest, revision, status).

use bson::{Document, doc};
use mdbr_core::Manifest;
use mdbr_scope::Scope;
use mdbr_scope::mongodb::Collection;
use mdbr_scope::mongodb::options::ReturnDocument;

use crate::error::{Error, Result};

/// The runtime-internal collection holding one document per registered app.
pub const APPS_COLLECTION: &str = "_mdbr_apps";

#[derive(Debug, Clone)]
pub(crate) struct AppsStore {
    coll: Collection<Document>,
}

impl AppsStore {
    pub(crate) fn new(scope: &Scope) -> Result<Self> {
        Ok(Self { coll: scope.runtime_collection(APPS_COLLECTION)? })
    }

    /// Saves a manifest and returns its new revision (1 for a new app).
    pub(crate) async fn save(&self, manifest: &Manifest) -> Result<i64> {
        // Stored as JSON text: manifests hold `$`-prefixed keys (partial
        // filters, validators) that not every server accepts as field names.
        let body = serde_json::to_string(manifest).map_err(|e| {
            Error::Config(format!("manifest of `{}` cannot be stored: {e}", manifest.slug))
        })?;
        let now = bson::DateTime::now();
        let status = serde_json::to_value(manifest.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "active".to_owned());
        let saved = self
            .coll
            .find_one_and_update(
                doc! { "_id": manifest.slug.as_str() },
                doc! {
                    "$set": { "manifest": body, "status": status, "updated_at": now },
                    "$inc": { "revision": 1_i64 },
                    "$setOnInsert": { "created_at": now },
                },
            )
            .upsert(true)
            .return_document(ReturnDocument::After)
            .await
            .map_err(mdbr_scope::Error::from)?;
        Ok(saved.and_then(|d| d.get_i64("revision").ok()).unwrap_or(1))
    }

    /// Every stored manifest, validated again. A stored manifest that no
    /// longer validates is skipped with an error in the log, so one broken
    /// entry cannot keep the engine from starting.
    pub(crate) async fn load_all(&self) -> Result<Vec<Manifest>> {
        use futures_util::TryStreamExt;
        let docs: Vec<Document> = self
            .coll
            .find(doc! {})
            .await
            .map_err(mdbr_scope::Error::from)?
            .try_collect()
            .await
            .map_err(mdbr_scope::Error::from)?;
        let mut out = Vec::with_capacity(docs.len());
        for d in docs {
            let id = d.get_str("_id").unwrap_or("?").to_owned();
            let Ok(body) = d.get_str("manifest") else {
                tracing::error!(app = %id, "stored registration has no manifest; skipped");
                continue;
            };
            match Manifest::from_json_str(body) {
                Ok(loaded) => out.push(loaded.manifest),
                Err(e) => {
                    tracing::error!(app = %id, error = %e, "stored manifest no longer validates; skipped")
                }
            }
        }
        Ok(out)
    }
}
