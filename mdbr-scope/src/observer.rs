//! The `QueryObserver` hook: every executed scoped operation is reported, with
//! the shape of its filter, so index advisors and metrics can watch the
//! workload without touching it.

use std::fmt;
use std::time::Duration;

use bson::{Bson, Document};
use mdbr_core::{AppSlug, CollectionName};

/// Which scoped operation ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum Operation {
    InsertOne,
    InsertMany,
    Find,
    FindOne,
    CountDocuments,
    EstimatedDocumentCount,
    Distinct,
    UpdateOne,
    UpdateMany,
    ReplaceOne,
    DeleteOne,
    DeleteMany,
    FindOneAndUpdate,
    FindOneAndReplace,
    FindOneAndDelete,
    Aggregate,
    CreateIndex,
    CreateIndexes,
    ListIndexes,
    DropIndex,
    DropIndexes,
    Drop,
    Watch,
    CreateSearchIndex,
    UpdateSearchIndex,
    ListSearchIndexes,
    DropSearchIndex,
}

impl Operation {
    /// How many operations there are: [`Operation::index`] is below this.
    pub const COUNT: usize = Self::DropSearchIndex as usize + 1;

    /// A dense number in `0..Operation::COUNT`, for tables indexed by
    /// operation (e.g. per-operation counters).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The operation's name as used in logs and metrics (`find_one`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InsertOne => "insert_one",
            Self::InsertMany => "insert_many",
            Self::Find => "find",
            Self::FindOne => "find_one",
            Self::CountDocuments => "count_documents",
            Self::EstimatedDocumentCount => "estimated_document_count",
            Self::Distinct => "distinct",
            Self::UpdateOne => "update_one",
            Self::UpdateMany => "update_many",
            Self::ReplaceOne => "replace_one",
            Self::DeleteOne => "delete_one",
            Self::DeleteMany => "delete_many",
            Self::FindOneAndUpdate => "find_one_and_update",
            Self::FindOneAndReplace => "find_one_and_replace",
            Self::FindOneAndDelete => "find_one_and_delete",
            Self::Aggregate => "aggregate",
            Self::CreateIndex => "create_index",
            Self::CreateIndexes => "create_indexes",
            Self::ListIndexes => "list_indexes",
            Self::DropIndex => "drop_index",
            Self::DropIndexes => "drop_indexes",
            Self::Drop => "drop",
            Self::Watch => "watch",
            Self::CreateSearchIndex => "create_search_index",
            Self::UpdateSearchIndex => "update_search_index",
            Self::ListSearchIndexes => "list_search_indexes",
            Self::DropSearchIndex => "drop_search_index",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a field is used by a filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Predicate {
    /// Equality (`{f: v}`, `{f: {$eq: v}}`, `{f: {$in: [...]}}`).
    Equality,
    /// A range (`$gt`, `$gte`, `$lt`, `$lte`).
    Range,
    /// Anything else (`$ne`, `$regex`, `$exists`, …): not indexable by ESR.
    Other,
}

/// The shape of a filter: its top-level fields (including those inside a
/// top-level `$and`) and how each is used, in the order written. Values are
/// not kept.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct QueryShape {
    /// `(field path, predicate)` pairs.
    pub fields: Vec<(String, Predicate)>,
}

impl QueryShape {
    /// The shape of the filter `filter` as the app wrote it.
    pub fn of(filter: &Document) -> Self {
        let mut shape = Self::default();
        shape.add(filter);
        shape
    }

    fn add(&mut self, filter: &Document) {
        for (key, value) in filter {
            if key == "$and" {
                if let Bson::Array(items) = value {
                    for item in items {
                        if let Bson::Document(d) = item {
                            self.add(d);
                        }
                    }
                }
                continue;
            }
            if key.starts_with('$') {
                continue;
            }
            let predicate = classify(value);
            match self.fields.iter_mut().find(|(f, _)| f == key) {
                Some((_, p)) => *p = (*p).min(predicate),
                None => self.fields.push((key.clone(), predicate)),
            }
        }
    }
}

fn classify(value: &Bson) -> Predicate {
    let Bson::Document(d) = value else { return Predicate::Equality };
    let Some(first) = d.keys().next() else { return Predicate::Equality };
    if !first.starts_with('$') {
        return Predicate::Equality;
    }
    let mut best = Predicate::Other;
    for op in d.keys() {
        let p = match op.as_str() {
            "$eq" | "$in" => Predicate::Equality,
            "$gt" | "$gte" | "$lt" | "$lte" => Predicate::Range,
            _ => Predicate::Other,
        };
        best = best.min(p);
    }
    best
}

/// Whether the operation succeeded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// It succeeded.
    Success,
    /// It failed; the error's display text.
    Failure(String),
}

/// One executed scoped operation, as observers see it: borrowed from the
/// operation, so reporting it allocates nothing. Clone what you keep.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct OperationEvent<'a> {
    /// The app whose namespace was addressed.
    pub app: &'a AppSlug,
    /// The logical collection.
    pub collection: &'a CollectionName,
    /// The physical collection the operation ran on.
    pub physical: &'a str,
    /// Which operation.
    pub operation: Operation,
    /// The shape of the app's own filter (before scoping).
    pub shape: &'a QueryShape,
    /// The sort, if one was given: `(field, direction)`.
    pub sort: &'a [(String, i32)],
    /// Wall time of the operation, as seen by the client.
    pub duration: Duration,
    /// Success or the failure's text.
    pub outcome: &'a Outcome,
}

/// Receives every executed scoped operation.
///
/// Observers are called on the operation's task right after it finishes, so
/// an implementation must return quickly and never block: count in memory,
/// push to a channel, or spawn heavier work (an index build) elsewhere.
pub trait QueryObserver: Send + Sync + fmt::Debug {
    /// Called once per executed operation.
    fn on_operation(&self, event: &OperationEvent<'_>);
}

/// Turns a sort document into `(field, direction)` pairs; non-numeric
/// directions (`{$meta: …}`) count as ascending.
pub(crate) fn sort_pairs(sort: Option<&Document>) -> Vec<(String, i32)> {
    sort.map(|s| {
        s.iter()
            .map(|(k, v)| {
                let dir = match v {
                    Bson::Int32(i) => *i,
                    Bson::Int64(i) => i.signum() as i32,
                    Bson::Double(d) if *d < 0.0 => -1,
                    _ => 1,
                };
                (k.clone(), if dir < 0 { -1 } else { 1 })
            })
            .collect()
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::Operation;

    #[test]
    fn operation_indexes_are_dense_and_below_count() {
        assert_eq!(Operation::InsertOne.index(), 0);
        assert_eq!(Operation::DropSearchIndex.index(), Operation::COUNT - 1);
        assert_eq!(Operation::Aggregate.index(), 15);
    }
}
