//! AutoIndexManager: indexes built from the queries apps actually run.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};

use foldhash::fast::FixedState;

use bson::{Bson, Document};
use mdbr_core::{AppSlug, AutoIndexes};
use mdbr_scope::mongodb::IndexModel;
use mdbr_scope::mongodb::options::IndexOptions;
use mdbr_scope::{Operation, OperationEvent, Outcome, Predicate, QueryObserver, Scope};

/// An index a query shape needs: keys in Equality → Sort → Range order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Candidate {
    /// Equality fields, sorted by name (their order does not matter to the
    /// query, so sorting makes the name deterministic).
    pub equality: Vec<String>,
    /// Sort fields with their directions, in sort order.
    pub sort: Vec<(String, i32)>,
    /// Range fields, sorted by name.
    pub range: Vec<String>,
}

impl Candidate {
    /// The candidate of one executed operation, or `None` when nothing in
    /// it can use an index (or only `_id`, which always has one).
    pub fn of(event: &OperationEvent<'_>) -> Option<Self> {
        let mut equality = Vec::new();
        let mut range = Vec::new();
        for (field, predicate) in &event.shape.fields {
            match predicate {
                Predicate::Equality => equality.push(field.clone()),
                Predicate::Range => range.push(field.clone()),
                _ => {}
            }
        }
        equality.sort();
        equality.dedup();
        let sort: Vec<(String, i32)> =
            event.sort.iter().filter(|(f, _)| !equality.contains(f)).cloned().collect();
        range.retain(|f| !equality.contains(f) && !sort.iter().any(|(s, _)| s == f));
        range.sort();
        range.dedup();
        let candidate = Self { equality, sort, range };
        let keys = candidate.keys();
        if keys.is_empty() || (keys.len() == 1 && keys[0].0 == "_id") {
            return None;
        }
        Some(candidate)
    }

    /// The index keys: `(field, 1 | -1)` in ESR order.
    pub fn keys(&self) -> Vec<(String, i32)> {
        let mut keys: Vec<(String, i32)> = self.equality.iter().map(|f| (f.clone(), 1)).collect();
        keys.extend(self.sort.iter().cloned());
        keys.extend(self.range.iter().map(|f| (f.clone(), 1)));
        keys
    }

    /// Whether an existing index with these keys serves the candidate: its
    /// first fields are the equality fields (in any order), then the sort
    /// fields (same or all-reversed directions), then the range fields.
    pub fn served_by(&self, index_keys: &Document) -> bool {
        let existing: Vec<(String, f64)> = index_keys
            .iter()
            .map(|(k, v)| {
                let dir = match v {
                    Bson::Int32(i) => f64::from(*i),
                    Bson::Int64(i) => *i as f64,
                    Bson::Double(d) => *d,
                    _ => 0.0,
                };
                (k.clone(), dir)
            })
            .collect();
        let wanted = self.keys();
        if existing.len() < wanted.len() {
            return false;
        }
        let q = self.equality.len();
        let eq: HashSet<&String> = self.equality.iter().collect();
        if existing[..q].iter().any(|(k, _)| !eq.contains(k)) {
            return false;
        }
        let sort_part = &existing[q..q + self.sort.len()];
        let same =
            sort_part.iter().zip(&self.sort).all(|((k, d), (f, w))| k == f && *d == f64::from(*w));
        let reversed =
            sort_part.iter().zip(&self.sort).all(|((k, d), (f, w))| k == f && *d == -f64::from(*w));
        if !(same || reversed) {
            return false;
        }
        let rest = &existing[q + self.sort.len()..wanted.len()];
        rest.iter().zip(&self.range).all(|((k, _), f)| k == f)
    }
}

/// The deterministic name of an automatic index: `auto_<field>_<dir>_…`.
pub fn auto_index_name(keys: &[(String, i32)]) -> String {
    let mut name = String::from("auto");
    for (field, dir) in keys {
        name.push('_');
        name.push_str(&field.replace('.', "_"));
        name.push('_');
        name.push_str(&dir.to_string());
    }
    name
}

/// Query shapes seen on one physical collection.
#[derive(Debug, Default)]
struct Shapes {
    /// Shape signature (fields, predicates and sort as written) → the slot
    /// of its candidate in `candidates`, or `None` when it has nothing to
    /// index. Different spellings of one candidate share its slot.
    by_signature: HashMap<u64, Option<usize>, FixedState>,
    /// Each distinct candidate with its use count.
    candidates: Vec<Counted>,
}

#[derive(Debug)]
struct Counted {
    candidate: Candidate,
    uses: u32,
    /// Already handled: built, found served, or refused by the cap.
    handled: bool,
}

#[derive(Debug, Default)]
struct State {
    /// Shapes per physical collection.
    collections: HashMap<String, Shapes, FixedState>,
}

/// A hash of what [`Candidate::of`] reads from an event, computed without
/// allocating: repeated shapes find their count with one map lookup.
fn signature(event: &OperationEvent<'_>) -> u64 {
    let mut h = FixedState::default().build_hasher();
    for (field, predicate) in &event.shape.fields {
        field.hash(&mut h);
        predicate.hash(&mut h);
    }
    0xffu8.hash(&mut h);
    event.sort.hash(&mut h);
    h.finish()
}

/// Counts query shapes per physical collection across the whole engine and
/// builds the index a shape needs once it has been used `threshold` times
/// and no index serves it. Builds run on a spawned task: the query that
/// crossed the threshold never waits for them.
#[derive(Clone, Debug)]
pub struct AutoIndexManager {
    scope: Scope,
    configs: Arc<Mutex<HashMap<AppSlug, AutoIndexes, FixedState>>>,
    state: Arc<Mutex<State>>,
}

impl AutoIndexManager {
    /// A manager building through `scope` (install it with `scope.add_observer`).
    pub fn new(scope: Scope) -> Self {
        Self { scope, configs: Arc::default(), state: Arc::default() }
    }

    /// Sets an app's `auto_indexes` settings (apps without settings use the defaults).
    pub fn configure(&self, app: AppSlug, config: AutoIndexes) {
        self.configs.lock().unwrap_or_else(|e| e.into_inner()).insert(app, config);
    }

    fn config(&self, app: &AppSlug) -> AutoIndexes {
        self.configs.lock().unwrap_or_else(|e| e.into_inner()).get(app).cloned().unwrap_or_default()
    }

    /// The observed query shapes of `app`, per logical collection, with their
    /// use counts: what `mdbr index suggest` prints.
    pub fn observed(&self, app: &AppSlug) -> Vec<(String, Candidate, u32)> {
        let prefix = app.prefix();
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        for (physical, shapes) in &state.collections {
            if let Some(logical) = physical.strip_prefix(&prefix) {
                for c in &shapes.candidates {
                    out.push((logical.to_owned(), c.candidate.clone(), c.uses));
                }
            }
        }
        out.sort();
        out
    }

    async fn build(self, app: AppSlug, collection: String, candidate: Candidate, cap: u32) {
        let keys = candidate.keys();
        let name = auto_index_name(&keys);
        let result = async {
            let coll = self.scope.app(app.as_str())?.collection::<Document>(&collection)?;
            let existing = coll.list_indexes().await?;
            if existing.iter().any(|m| candidate.served_by(&m.keys)) {
                tracing::debug!(app = %app, collection, index = %name, "query shape already served");
                return Ok::<_, mdbr_scope::Error>(false);
            }
            let autos = existing
                .iter()
                .filter(|m| m.options.as_ref().and_then(|o| o.name.as_deref()).is_some_and(|n| n.starts_with("auto_")))
                .count();
            if autos >= cap as usize {
                tracing::warn!(app = %app, collection, index = %name, cap, "automatic index cap reached; not built");
                return Ok(false);
            }
            let key_doc: Document = keys.iter().map(|(f, d)| (f.clone(), Bson::Int32(*d))).collect();
            let mut options = IndexOptions::default();
            options.name = Some(name.clone());
            coll.create_index(IndexModel::builder().keys(key_doc).options(options).build()).await?;
            Ok(true)
        }
        .await;
        match result {
            Ok(true) => {
                tracing::info!(app = %app, collection, index = %name, "automatic index built")
            }
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(app = %app, collection, index = %name, error = %e, "automatic index build failed")
            }
        }
    }
}

impl QueryObserver for AutoIndexManager {
    fn on_operation(&self, event: &OperationEvent<'_>) {
        let filtering = matches!(
            event.operation,
            Operation::Find
                | Operation::FindOne
                | Operation::CountDocuments
                | Operation::Distinct
                | Operation::UpdateOne
                | Operation::UpdateMany
                | Operation::ReplaceOne
                | Operation::DeleteOne
                | Operation::DeleteMany
                | Operation::FindOneAndUpdate
                | Operation::FindOneAndReplace
                | Operation::FindOneAndDelete
                | Operation::Aggregate
        );
        if !filtering || *event.outcome != Outcome::Success {
            return;
        }
        let config = self.config(event.app);
        let signature = signature(event);
        // Shapes are counted even when automatic builds are off, so
        // `mdbr index suggest` can still show them.
        let trigger = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            // Look up before inserting: a repeated shape allocates nothing.
            let shapes = match state.collections.get_mut(event.physical) {
                Some(shapes) => shapes,
                None => state.collections.entry(event.physical.to_owned()).or_default(),
            };
            let slot = match shapes.by_signature.get(&signature) {
                Some(slot) => *slot,
                None => {
                    let slot = Candidate::of(event).map(|candidate| {
                        match shapes.candidates.iter().position(|c| c.candidate == candidate) {
                            Some(i) => i,
                            None => {
                                shapes.candidates.push(Counted {
                                    candidate,
                                    uses: 0,
                                    handled: false,
                                });
                                shapes.candidates.len() - 1
                            }
                        }
                    });
                    shapes.by_signature.insert(signature, slot);
                    slot
                }
            };
            let Some(counted) = slot.and_then(|i| shapes.candidates.get_mut(i)) else { return };
            counted.uses += 1;
            if config.enabled && counted.uses >= config.threshold && !counted.handled {
                counted.handled = true;
                Some(counted.candidate.clone())
            } else {
                None
            }
        };
        let Some(candidate) = trigger else { return };
        let Ok(handle) = tokio::runtime::Handle::try_current() else { return };
        let me = self.clone();
        handle.spawn(me.build(
            event.app.clone(),
            event.collection.to_string(),
            candidate,
            config.max_per_collection,
        ));
    }
}
