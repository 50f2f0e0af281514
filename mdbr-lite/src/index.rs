//! Secondary indexes: specs as `createIndexes` takes them and B-trees of keys in BSON order.
use std::collections::BTreeSet;
use std::ops::Bound;

use bson::raw::RawDocument;
use bson::{Bson, Document, doc};

use crate::engine::record::raw_field;
use crate::error::{CmdResult, CommandError, code};
use crate::query::filter::Filter;
use crate::query::path;
use crate::value::OrdBson;

mod key;

pub(crate) use key::IndexKey;

/// A record id: the position of a document in its collection.
pub(crate) type RecordId = u64;

/// Record ids in the order a scan reads them, produced as they are consumed (a query with a
/// limit stops reading the index when it has enough).
pub(crate) type RecordIds<'a> = Box<dyn Iterator<Item = RecordId> + 'a>;

/// An index definition.
#[derive(Debug, Clone)]
pub(crate) struct IndexSpec {
    pub(crate) name: String,
    pub(crate) key: Document,
    pub(crate) fields: Vec<String>,
    pub(crate) unique: bool,
    pub(crate) sparse: bool,
    pub(crate) partial: Option<Document>,
    partial_filter: Option<Filter>,
    pub(crate) expire_after_seconds: Option<i64>,
    /// Every option as given (minus `key`/`name`/`v`), for `listIndexes`.
    pub(crate) options: Document,
}

/// Options compared when an index with the same key or name is created again.
const COMPARED_OPTIONS: &[&str] =
    &["unique", "sparse", "partialFilterExpression", "expireAfterSeconds", "collation"];

impl IndexSpec {
    /// The `_id_` index.
    pub(crate) fn id_index() -> Self {
        Self {
            name: "_id_".to_string(),
            key: doc! { "_id": 1 },
            fields: vec!["_id".to_string()],
            unique: true,
            sparse: false,
            partial: None,
            partial_filter: None,
            expire_after_seconds: None,
            options: Document::new(),
        }
    }

    /// Parses one entry of `createIndexes.indexes`.
    pub(crate) fn parse(spec: &Document) -> CmdResult<Self> {
        let key = match spec.get("key") {
            Some(Bson::Document(k)) if !k.is_empty() => k.clone(),
            Some(Bson::Document(_)) => {
                return Err(CommandError::new(67, "Index keys cannot be empty."));
            }
            _ => {
                return Err(CommandError::failed_to_parse(
                    "The 'key' field is a required property of an index specification",
                ));
            }
        };
        let mut fields = Vec::new();
        let mut default_name = Vec::new();
        for (f, dir) in &key {
            if f.is_empty()
                || f.split('.').any(|p| p.is_empty() || p.starts_with('$')) && f != "$**"
            {
                return Err(CommandError::new(
                    67,
                    format!("Index key contains an illegal field name: {f}"),
                ));
            }
            let dir_text = match dir {
                Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) | Bson::Decimal128(_) => {
                    let d = crate::value::as_f64(dir).unwrap_or(0.0);
                    if d == 0.0 {
                        return Err(CommandError::new(
                            67,
                            format!("Values in the index key pattern can't be 0: {f}"),
                        ));
                    }
                    match dir {
                        Bson::Double(x) if x.fract() != 0.0 => x.to_string(),
                        _ => (d as i64).to_string(),
                    }
                }
                Bson::String(s) if matches!(s.as_str(), "text" | "2dsphere" | "2d" | "hashed") => {
                    s.clone()
                }
                _ => {
                    return Err(CommandError::new(
                        67,
                        format!("Unknown index plugin or bad key value for {f}"),
                    ));
                }
            };
            fields.push(f.clone());
            default_name.push(format!("{f}_{dir_text}"));
        }
        let name = match spec.get("name") {
            Some(Bson::String(n)) if !n.is_empty() => n.clone(),
            Some(_) => {
                return Err(CommandError::type_mismatch(
                    "The field 'name' must be a non-empty string",
                ));
            }
            None => default_name.join("_"),
        };
        let unique = spec.get("unique").is_some_and(crate::value::truthy);
        let sparse = spec.get("sparse").is_some_and(crate::value::truthy);
        let partial = match spec.get("partialFilterExpression") {
            Some(Bson::Document(d)) => Some(d.clone()),
            Some(_) => {
                return Err(CommandError::type_mismatch(
                    "partialFilterExpression must be an object",
                ));
            }
            None => None,
        };
        let partial_filter = match &partial {
            Some(d) => Some(Filter::new(d)?),
            None => None,
        };
        let expire_after_seconds = match spec.get("expireAfterSeconds") {
            Some(v) => Some(crate::value::as_i64(v).ok_or_else(|| {
                CommandError::new(
                    code::INVALID_OPTIONS,
                    "TTL index 'expireAfterSeconds' option must be numeric",
                )
            })?),
            None => None,
        };
        if name == "_id_" && key != doc! { "_id": 1 } {
            return Err(CommandError::bad_value(
                "The index name '_id_' is reserved for the _id index",
            ));
        }
        let mut options = Document::new();
        for (k, v) in spec {
            if !matches!(k.as_str(), "key" | "name" | "v" | "ns" | "background") {
                options.insert(k.clone(), v.clone());
            }
        }
        Ok(Self {
            name,
            key,
            fields,
            unique,
            sparse,
            partial,
            partial_filter,
            expire_after_seconds,
            options,
        })
    }

    /// The spec as `listIndexes` shows it.
    pub(crate) fn to_list_entry(&self) -> Document {
        let mut d = doc! { "v": 2, "key": self.key.clone(), "name": self.name.clone() };
        for (k, v) in &self.options {
            d.insert(k.clone(), v.clone());
        }
        d
    }

    /// Whether two specs have the same options that matter for equivalence.
    pub(crate) fn same_options(&self, other: &Self) -> bool {
        COMPARED_OPTIONS.iter().all(|k| {
            let a = self.options.get(*k).filter(|v| !matches!(v, Bson::Boolean(false)));
            let b = other.options.get(*k).filter(|v| !matches!(v, Bson::Boolean(false)));
            match (a, b) {
                (None, None) => true,
                (Some(x), Some(y)) => crate::value::values_equal(x, y),
                _ => false,
            }
        })
    }

    /// Whether the index can serve any query on its first field (it holds every document).
    pub(crate) fn is_complete(&self) -> bool {
        !self.sparse
            && self.partial.is_none()
            && self.key.values().all(|v| !matches!(v, Bson::String(_)))
    }

    /// The keys `doc` produces, or `None` when the document is not in the index.
    pub(crate) fn keys_for(&self, doc: &Document) -> Option<Vec<IndexKey>> {
        if let Some(f) = &self.partial_filter
            && !f.matches(doc)
        {
            return None;
        }
        let per_field: Vec<Vec<&Bson>> =
            self.fields.iter().map(|f| path::key_values(doc, f)).collect();
        self.keys_from_values(per_field)
    }

    /// The keys of a stored document, read from its bytes without decoding the whole document
    /// when the index has only top-level fields and no partial filter; `None` when it needs the
    /// decoded document.
    pub(crate) fn keys_for_raw(&self, raw: &RawDocument) -> Option<Option<Vec<IndexKey>>> {
        if self.partial_filter.is_some() || self.fields.iter().any(|f| f.contains('.')) {
            return None;
        }
        if let [f] = self.fields.as_slice() {
            // One field holding one value (not an array): the value is the key.
            match raw_field(raw, f).ok()? {
                None if self.sparse => return Some(None),
                None => return Some(Some(vec![IndexKey::one(Bson::Null)])),
                Some(Bson::Array(_)) => {}
                Some(v) => return Some(Some(vec![IndexKey::one(v)])),
            }
        }
        let mut values: Vec<Option<Bson>> = Vec::with_capacity(self.fields.len());
        for f in &self.fields {
            values.push(raw_field(raw, f).ok()?);
        }
        let per_field = values
            .iter()
            .map(|v| match v {
                None => Vec::new(),
                Some(Bson::Array(a)) if !a.is_empty() => a.iter().collect(),
                Some(other) => vec![other],
            })
            .collect();
        Some(self.keys_from_values(per_field))
    }

    /// The keys made of the values each key field reaches (arrays already expanded).
    fn keys_from_values(&self, per_field: Vec<Vec<&Bson>>) -> Option<Vec<IndexKey>> {
        if self.sparse && per_field.iter().all(Vec::is_empty) {
            return None;
        }
        let per_field: Vec<Vec<Bson>> = per_field
            .into_iter()
            .map(|vals| {
                if vals.is_empty() {
                    return vec![Bson::Null];
                }
                let mut vs: Vec<Bson> = vals
                    .into_iter()
                    .map(|v| match v {
                        Bson::Array(a) if a.is_empty() => Bson::Undefined,
                        other => other.clone(),
                    })
                    .collect();
                vs.dedup_by(|a, b| crate::value::values_equal(a, b));
                vs
            })
            .collect();
        if let [vals] = per_field.as_slice()
            && let [v] = vals.as_slice()
        {
            // One field with one value, the usual case: one key.
            return Some(vec![IndexKey::one(v.clone())]);
        }
        let mut keys: Vec<Vec<OrdBson>> = vec![Vec::new()];
        for vals in per_field {
            let mut next = Vec::with_capacity(keys.len() * vals.len());
            for k in &keys {
                for v in &vals {
                    let mut nk = k.clone();
                    nk.push(OrdBson(v.clone()));
                    next.push(nk);
                }
            }
            keys = next;
        }
        keys.sort();
        keys.dedup();
        Some(keys.into_iter().map(IndexKey::new).collect())
    }
}

/// An index: its spec and its entries.
#[derive(Debug, Clone)]
pub(crate) struct Index {
    pub(crate) spec: IndexSpec,
    entries: BTreeSet<(IndexKey, RecordId)>,
    pub(crate) multikey: bool,
}

impl Index {
    /// An empty index.
    pub(crate) fn new(spec: IndexSpec) -> Self {
        Self { spec, entries: BTreeSet::new(), multikey: false }
    }

    /// Adds the keys of a document.
    pub(crate) fn insert(&mut self, rid: RecordId, keys: Vec<IndexKey>) {
        if keys.len() > 1 {
            self.multikey = true;
        }
        for k in keys {
            self.entries.insert((k, rid));
        }
    }

    /// Removes the keys of a document.
    pub(crate) fn remove(&mut self, rid: RecordId, keys: Vec<IndexKey>) {
        for k in keys {
            self.entries.remove(&(k, rid));
        }
    }

    /// Another record holding `key`, if any.
    pub(crate) fn conflict(&self, key: &IndexKey, except: Option<RecordId>) -> Option<RecordId> {
        // Keys that grow (ObjectIds, counters) land after the last entry: one comparison.
        if self.entries.last().is_none_or(|(last, _)| last < key) {
            return None;
        }
        let from = (key.clone(), 0);
        self.entries
            .range(from..)
            .take_while(|(k, _)| k == key)
            .map(|(_, r)| *r)
            .find(|r| Some(*r) != except)
    }

    /// The duplicate-key error for `key`.
    pub(crate) fn duplicate_error(&self, ns: &str, key: &IndexKey) -> CommandError {
        let mut kv = Document::new();
        let mut shown = Vec::new();
        for (f, v) in self.spec.fields.iter().zip(key.values()) {
            shown.push(format!("{f}: {v}"));
            kv.insert(f.clone(), v);
        }
        CommandError::new(
            code::DUPLICATE_KEY,
            format!(
                "E11000 duplicate key error collection: {ns} index: {} dup key: {{ {} }}",
                self.spec.name,
                shown.join(", ")
            ),
        )
        .with_extra(doc! { "keyPattern": self.spec.key.clone(), "keyValue": kv })
    }

    /// Record ids whose first key component lies in `[lo, hi]`, in index order, without repeats.
    pub(crate) fn scan(&self, lo: Bound<&Bson>, hi: Bound<&Bson>) -> RecordIds<'_> {
        self.scan_prefix(lo, hi, &[], None)
    }

    /// Like [`Index::scan`], with equality values for the fields after the first and then a
    /// range on the field after those (used when the first field is itself an equality,
    /// i.e. `lo == hi`).
    pub(crate) fn scan_prefix(
        &self,
        lo: Bound<&Bson>,
        hi: Bound<&Bson>,
        rest: &[Bson],
        next: Option<(Bound<&Bson>, Bound<&Bson>)>,
    ) -> RecordIds<'_> {
        let n = self.spec.fields.len();
        // The key `v, rest..., then` padded with `fill` up to the index's width.
        let key = |v: &Bson, then: Option<&Bson>, fill: &Bson| {
            let mut k = vec![OrdBson(v.clone())];
            k.extend(rest.iter().take(n.saturating_sub(1)).map(|x| OrdBson(x.clone())));
            if let Some(t) = then
                && k.len() < n
            {
                k.push(OrdBson(t.clone()));
            }
            while k.len() < n {
                k.push(OrdBson(fill.clone()));
            }
            IndexKey::new(k)
        };
        let (min, max) = (Bson::MinKey, Bson::MaxKey);
        let (lower, upper) = match next {
            // Equality prefix, then a range on the next field.
            Some((nlo, nhi)) if matches!((lo, hi), (Bound::Included(a), Bound::Included(b)) if a == b) =>
            {
                let Bound::Included(v) = lo else { return Box::new(std::iter::empty()) };
                let lower = match nlo {
                    Bound::Unbounded => Bound::Included((key(v, Some(&min), &min), 0)),
                    Bound::Included(x) => Bound::Included((key(v, Some(x), &min), 0)),
                    Bound::Excluded(x) => Bound::Excluded((key(v, Some(x), &max), RecordId::MAX)),
                };
                let upper = match nhi {
                    Bound::Unbounded => Bound::Included((key(v, Some(&max), &max), RecordId::MAX)),
                    Bound::Included(x) => Bound::Included((key(v, Some(x), &max), RecordId::MAX)),
                    Bound::Excluded(x) => Bound::Excluded((key(v, Some(x), &min), 0)),
                };
                (lower, upper)
            }
            _ => {
                let lower = match lo {
                    Bound::Unbounded => Bound::Unbounded,
                    Bound::Included(v) => Bound::Included((key(v, None, &min), 0)),
                    Bound::Excluded(v) => Bound::Excluded((key(v, None, &max), RecordId::MAX)),
                };
                let upper = match hi {
                    Bound::Unbounded => Bound::Unbounded,
                    Bound::Included(v) => Bound::Included((key(v, None, &max), RecordId::MAX)),
                    Bound::Excluded(v) => Bound::Excluded((key(v, None, &min), 0)),
                };
                (lower, upper)
            }
        };
        let both_included = matches!((&lower, &upper), (Bound::Included(_), Bound::Included(_)));
        if let (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) =
            (&lower, &upper)
            && (a > b || (a == b && !both_included))
        {
            return Box::new(std::iter::empty());
        }
        let range = self.entries.range((lower, upper)).map(|(_, r)| *r);
        if !self.multikey {
            // One entry per document: no repeats to remove.
            return Box::new(range);
        }
        let mut seen = std::collections::HashSet::new();
        Box::new(range.filter(move |r| seen.insert(*r)))
    }

    /// Every record id in index order, without repeats.
    pub(crate) fn scan_all(&self) -> RecordIds<'_> {
        self.scan(Bound::Unbounded, Bound::Unbounded)
    }
}
