//! Declarative indexes: what the manifest declares, created idempotently.

use bson::{Bson, Document};
use mdbr_core::{IndexSpec, IndexType, Manifest};
use mdbr_scope::ScopedDatabase;
use mdbr_scope::mongodb::IndexModel;

use crate::error::Result;
use crate::model::{index_model, search_index_model};
use crate::tracker::SearchIndexTracker;

/// How [`ensure_indexes`] treats existing indexes.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct EnsureOptions {
    /// Drop and re-create indexes whose spec drifted from the manifest.
    pub rebuild_drifted: bool,
}

impl EnsureOptions {
    /// Rebuild drifted indexes instead of only reporting them.
    pub fn with_rebuild_drifted(mut self, rebuild: bool) -> Self {
        self.rebuild_drifted = rebuild;
        self
    }
}

/// One index that could not be created, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct IndexFailure {
    /// `collection/index`.
    pub index: String,
    /// What went wrong.
    pub reason: String,
}

/// What [`ensure_indexes`] did, index by index (`collection/index` names).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IndexReport {
    /// Created now.
    pub created: Vec<String>,
    /// Already present with the declared spec.
    pub present: Vec<String>,
    /// Present under the same name with another spec (left as is unless
    /// rebuilding was asked for).
    pub drifted: Vec<String>,
    /// Drifted and rebuilt.
    pub rebuilt: Vec<String>,
    /// Search/vector indexes submitted and not yet queryable.
    pub pending_search: Vec<String>,
    /// Indexes that failed, with the reason.
    pub failed: Vec<IndexFailure>,
}

impl IndexReport {
    /// Whether every declared index exists or is being built.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }
}

/// Creates the indexes `manifest` declares on the app's collections.
///
/// Each index is handled on its own: one failure is reported in
/// [`IndexReport::failed`] and does not stop the others. Search indexes are
/// submitted and handed to `tracker`; this function does not wait for them.
pub async fn ensure_indexes(
    db: &ScopedDatabase,
    manifest: &Manifest,
    options: &EnsureOptions,
    tracker: &SearchIndexTracker,
) -> Result<IndexReport> {
    let mut report = IndexReport::default();
    let existing_collections = db.list_collection_names().await?;
    for (collection, specs) in &manifest.managed_indexes {
        let coll = db.collection::<Document>(collection.as_str())?;
        let existing: Vec<IndexModel> =
            if existing_collections.iter().any(|c| c == collection.as_str()) {
                coll.list_indexes().await?
            } else {
                Vec::new()
            };
        let mut search_existing: Option<Vec<Document>> = None;
        for spec in specs {
            let label = format!("{collection}/{}", spec.name);
            if spec.index_type.is_standard() {
                ensure_regular(
                    &coll,
                    collection.as_str(),
                    spec,
                    &existing,
                    options,
                    &label,
                    &mut report,
                )
                .await;
            } else if spec.index_type.is_search() {
                if search_existing.is_none() {
                    search_existing = Some(coll.list_search_indexes().await.unwrap_or_default());
                }
                let known = search_existing
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .any(|d| d.get_str("name").ok() == Some(spec.name.as_str()));
                if known {
                    report.present.push(label.clone());
                    tracker.track(manifest.slug.clone(), coll.clone(), spec.name.clone());
                    continue;
                }
                match search_index_model(collection.as_str(), spec) {
                    Ok(model) => match coll.create_search_index(model).await {
                        Ok(_) => {
                            tracing::info!(app = %manifest.slug, index = %label, "search index submitted");
                            tracker.track(manifest.slug.clone(), coll.clone(), spec.name.clone());
                            report.pending_search.push(label);
                        }
                        Err(e) => {
                            report.failed.push(IndexFailure { index: label, reason: e.detail() })
                        }
                    },
                    Err(e) => {
                        report.failed.push(IndexFailure { index: label, reason: e.to_string() })
                    }
                }
            }
            // `hybrid` entries name two other indexes of the same collection
            // (checked by the manifest validator); there is nothing to build.
        }
    }
    Ok(report)
}

async fn ensure_regular(
    coll: &mdbr_scope::ScopedCollection<Document>,
    collection: &str,
    spec: &IndexSpec,
    existing: &[IndexModel],
    options: &EnsureOptions,
    label: &str,
    report: &mut IndexReport,
) {
    let model = match index_model(collection, spec) {
        Ok(m) => m,
        Err(e) => {
            report.failed.push(IndexFailure { index: label.to_owned(), reason: e.to_string() });
            return;
        }
    };
    let same_name = existing
        .iter()
        .find(|m| m.options.as_ref().and_then(|o| o.name.as_deref()) == Some(&spec.name));
    if let Some(current) = same_name {
        if same_spec(current, &model, spec.index_type) {
            report.present.push(label.to_owned());
            return;
        }
        if !options.rebuild_drifted {
            tracing::warn!(index = %label, "index exists with a different spec (drift); not rebuilt");
            report.drifted.push(label.to_owned());
            return;
        }
        if let Err(e) = coll.drop_index(&spec.name).await {
            report.failed.push(IndexFailure { index: label.to_owned(), reason: e.detail() });
            return;
        }
        match coll.create_index(model).await {
            Ok(_) => report.rebuilt.push(label.to_owned()),
            Err(e) => {
                report.failed.push(IndexFailure { index: label.to_owned(), reason: e.detail() })
            }
        }
        return;
    }
    match coll.create_index(model).await {
        Ok(_) => report.created.push(label.to_owned()),
        Err(e) => report.failed.push(IndexFailure { index: label.to_owned(), reason: e.detail() }),
    }
}

/// Whether an existing index matches the declared one: same keys (text
/// indexes: same weighted fields) and the same unique, sparse, TTL and
/// partial-filter options.
fn same_spec(current: &IndexModel, declared: &IndexModel, kind: IndexType) -> bool {
    let (co, dopt) =
        (current.options.clone().unwrap_or_default(), declared.options.clone().unwrap_or_default());
    // mongod lists a text index as `{_fts: "text", _ftsx: 1}` plus `weights`;
    // a server that lists the declared keys is compared on the keys.
    let keys_match = if kind == IndexType::Text && current.keys.contains_key("_fts") {
        let mut declared_fields: Vec<&String> = declared
            .keys
            .iter()
            .filter(|(_, v)| v.as_str() == Some("text"))
            .map(|(k, _)| k)
            .collect();
        let mut current_fields: Vec<&String> =
            co.weights.as_ref().map(|w| w.keys().collect()).unwrap_or_default();
        declared_fields.sort();
        current_fields.sort();
        declared_fields == current_fields
    } else {
        numeric_equal(&current.keys, &declared.keys)
    };
    keys_match
        && co.unique.unwrap_or(false) == dopt.unique.unwrap_or(false)
        && co.sparse.unwrap_or(false) == dopt.sparse.unwrap_or(false)
        && co.expire_after == dopt.expire_after
        && co.partial_filter_expression.map(|d| normalise(&d))
            == dopt.partial_filter_expression.map(|d| normalise(&d))
}

/// Key documents compared with numbers of any BSON width as equal (`1` vs `1.0`).
fn numeric_equal(a: &Document, b: &Document) -> bool {
    normalise(a) == normalise(b)
}

fn normalise(d: &Document) -> Document {
    d.iter().map(|(k, v)| (k.clone(), normalise_value(v))).collect()
}

fn normalise_value(v: &Bson) -> Bson {
    match v {
        Bson::Int32(i) => Bson::Double(f64::from(*i)),
        Bson::Int64(i) => Bson::Double(*i as f64),
        Bson::Document(d) => Bson::Document(normalise(d)),
        Bson::Array(a) => Bson::Array(a.iter().map(normalise_value).collect()),
        other => other.clone(),
    }
}
