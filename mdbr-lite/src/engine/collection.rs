//! One collection: documents by record id, its indexes, writes that keep them in step, and the
//! query planner that picks an index scan or a collection scan.
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use bson::{Bson, Document, doc};

use crate::engine::record::Record;
use crate::error::{CmdResult, CommandError, code};
use crate::index::{Index, IndexKey, IndexSpec, RecordId, RecordIds};
use crate::query::filter::{Filter, Pred};
use crate::search::SearchIndexDef;
use crate::search::vector::VectorCache;
use crate::sort::SortSpec;
use crate::value::{OrdBson, type_rank};

/// A collection.
#[derive(Debug, Clone)]
pub(crate) struct Collection {
    pub(crate) options: Document,
    pub(crate) uuid: bson::Uuid,
    docs: BTreeMap<RecordId, Record>,
    next_rid: RecordId,
    pub(crate) indexes: Vec<Index>,
    /// Atlas-style search index definitions (`vectorSearch` and `search`).
    pub(crate) search_indexes: Vec<SearchIndexDef>,
    /// Changes on every write, so caches built from the documents know when they are stale.
    version: u64,
    /// Vectors extracted for `$vectorSearch`, rebuilt when `version` moves.
    pub(crate) vectors: VectorCache,
    /// How many documents hold the same string in [`TENANT_FIELD`].
    tenant: Tenant,
}

/// The field mdbr's scoped layer writes into every document of an app's collection (`app_id`),
/// and filters every query on. A collection counts how many of its documents hold one same
/// string there; while all of them do, a query's equality with that string is known to hold and
/// is dropped before planning and matching, so scoping costs the engine nothing per document.
/// For other clients this is one field lookup per write.
pub(crate) const TENANT_FIELD: &str = "app_id";

/// The count behind [`TENANT_FIELD`]: `value` is the string (as bytes) of the first document
/// written into the (then empty) collection, `same` the documents holding it, `other` the rest
/// (another value, another type, a repeated field whose last occurrence differs, or missing).
#[derive(Debug, Clone, Default)]
struct Tenant {
    value: Option<Vec<u8>>,
    same: usize,
    other: usize,
}

impl Tenant {
    /// The string in the tenant field of `r` (its last occurrence), if it is a string.
    fn of(r: &Record) -> Option<&[u8]> {
        r.tenant()
    }

    fn holds_value(&self, r: &Record) -> bool {
        self.holds(Tenant::of(r))
    }

    fn holds(&self, v: Option<&[u8]>) -> bool {
        v.is_some() && self.value.as_deref() == v
    }

    fn add(&mut self, r: &Record) {
        let v = Tenant::of(r);
        if self.same + self.other == 0 {
            self.value = v.map(<[u8]>::to_vec);
        }
        if self.holds(v) {
            self.same += 1;
        } else {
            self.other += 1;
        }
    }

    fn remove(&mut self, r: &Record) {
        if self.holds_value(r) {
            self.same = self.same.saturating_sub(1);
        } else {
            self.other = self.other.saturating_sub(1);
        }
    }

    /// Whether every document holds `text` in the tenant field.
    fn all_hold(&self, text: &str) -> bool {
        self.other == 0 && self.value.as_deref() == Some(text.as_bytes())
    }
}

static NEXT_VERSION: AtomicU64 = AtomicU64::new(1);

fn next_version() -> u64 {
    NEXT_VERSION.fetch_add(1, AtomicOrdering::Relaxed)
}

/// A description and the lower and upper bounds of an index scan.
/// The part of an index a query reads.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IndexBounds {
    /// An `$in` list on the first key field, scanned value by value (the bounds are unused).
    in_list: bool,
    /// Bounds on the first key field.
    lo: Bound<Bson>,
    hi: Bound<Bson>,
    /// Equality values on the key fields after the first (only when the first is an equality).
    rest: Vec<Bson>,
    /// A range on the key field after `rest`.
    next_range: Option<(Bound<Bson>, Bound<Bson>)>,
}

impl IndexBounds {
    /// The whole index, `[MinKey, MaxKey]`.
    fn everything() -> Self {
        IndexBounds {
            in_list: false,
            lo: Bound::Unbounded,
            hi: Bound::Unbounded,
            rest: Vec::new(),
            next_range: None,
        }
    }

    /// The bounds as explain shows them (formatted only for the chosen index).
    pub(crate) fn shown(&self) -> String {
        if self.in_list {
            return "in-list".to_string();
        }
        let mut parts = vec![show_range(&self.lo, &self.hi)];
        parts.extend(self.rest.iter().map(|x| format!("[{x}, {x}]")));
        if let Some((lo, hi)) = &self.next_range {
            parts.push(show_range(lo, hi));
        }
        parts.join(", ")
    }

    fn scan<'a>(&self, ix: &'a Index) -> RecordIds<'a> {
        let next = self.next_range.as_ref().map(|(lo, hi)| (as_ref(lo), as_ref(hi)));
        ix.scan_prefix(as_ref(&self.lo), as_ref(&self.hi), &self.rest, next)
    }
}

/// How a query reads the collection.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PlanKind {
    /// Every document, in natural order.
    CollScan,
    /// An index scan.
    IxScan { name: String, key: Document, bounds: Box<IndexBounds> },
}

impl Collection {
    /// An empty collection with an `_id` index.
    pub(crate) fn new(options: Document) -> Self {
        Self {
            options,
            uuid: bson::Uuid::new(),
            docs: BTreeMap::new(),
            next_rid: 1,
            indexes: vec![Index::new(IndexSpec::id_index())],
            search_indexes: Vec::new(),
            version: next_version(),
            vectors: VectorCache::default(),
            tenant: Tenant::default(),
        }
    }

    /// The catalog entry persisted for this collection.
    pub(crate) fn meta(&self) -> Document {
        let specs: Vec<Bson> =
            self.indexes.iter().map(|i| Bson::Document(i.spec.to_list_entry())).collect();
        let search: Vec<Bson> =
            self.search_indexes.iter().map(|s| Bson::Document(s.to_meta())).collect();
        doc! { "options": self.options.clone(), "uuid": self.uuid, "indexes": specs, "searchIndexes": search }
    }

    /// A collection rebuilt from its catalog entry and documents.
    pub(crate) fn from_meta(
        ns: &str,
        meta: &Document,
        docs: Vec<(RecordId, Record)>,
    ) -> CmdResult<Self> {
        let options = meta.get_document("options").cloned().unwrap_or_default();
        let mut c = Self::new(options);
        if let Some(Bson::Binary(b)) = meta.get("uuid")
            && let Ok(arr) = <[u8; 16]>::try_from(b.bytes.as_slice())
        {
            c.uuid = bson::Uuid::from_bytes(arr);
        }
        if let Ok(list) = meta.get_array("indexes") {
            for s in list {
                if let Bson::Document(d) = s
                    && d.get_str("name").ok() != Some("_id_")
                {
                    c.indexes.push(Index::new(IndexSpec::parse(d)?));
                }
            }
        }
        if let Ok(list) = meta.get_array("searchIndexes") {
            for s in list {
                if let Bson::Document(d) = s {
                    c.search_indexes.push(SearchIndexDef::from_meta(d)?);
                }
            }
        }
        for (rid, d) in docs {
            c.next_rid = c.next_rid.max(rid.saturating_add(1));
            for ix in &mut c.indexes {
                if let Some(keys) = record_keys(&ix.spec, &d) {
                    ix.insert(rid, keys);
                }
            }
            c.tenant.add(&d);
            c.docs.insert(rid, d);
        }
        let _ = ns;
        Ok(c)
    }

    /// The number of documents.
    pub(crate) fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether every document holds the string `text` in top-level field `field` (known for
    /// [`TENANT_FIELD`] only): a query's `{field: text}` then selects them all and need not be
    /// checked. Compile filters with [`Filter::new_without`] and this.
    pub(crate) fn knows(&self, field: &str, text: &str) -> bool {
        field == TENANT_FIELD && self.tenant.all_hold(text)
    }

    /// A document by record id.
    pub(crate) fn get(&self, rid: RecordId) -> Option<&Document> {
        self.docs.get(&rid).map(Record::doc)
    }

    /// A stored record by record id.
    pub(crate) fn record(&self, rid: RecordId) -> Option<&Record> {
        self.docs.get(&rid)
    }

    /// A number that changes whenever a document is written.
    pub(crate) fn version(&self) -> u64 {
        self.version
    }

    /// Every (record id, document) in natural order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&RecordId, &Document)> {
        self.docs.iter().map(|(rid, r)| (rid, r.doc()))
    }

    /// Every (record id, stored record) in natural order, without decoding anything.
    pub(crate) fn records(&self) -> impl Iterator<Item = (&RecordId, &Record)> {
        self.docs.iter()
    }

    fn all_keys(&self, d: &Record) -> Vec<Option<Vec<IndexKey>>> {
        self.indexes.iter().map(|ix| record_keys(&ix.spec, d)).collect()
    }

    fn check_unique(
        &self,
        (db, name): (&str, &str),
        keys: &[Option<Vec<IndexKey>>],
        except: Option<RecordId>,
    ) -> CmdResult<()> {
        for (ix, keys) in self.indexes.iter().zip(keys) {
            if !ix.spec.unique {
                continue;
            }
            for k in keys.iter().flatten() {
                if ix.conflict(k, except).is_some() {
                    return Err(ix.duplicate_error(&format!("{db}.{name}"), k));
                }
            }
        }
        Ok(())
    }

    /// Inserts a document (which must have an `_id` first), enforcing unique indexes.
    pub(crate) fn insert(&mut self, ns: (&str, &str), d: Record) -> CmdResult<RecordId> {
        let keys = self.all_keys(&d);
        self.check_unique(ns, &keys, None)?;
        let rid = self.next_rid;
        self.next_rid += 1;
        for (ix, k) in self.indexes.iter_mut().zip(keys) {
            if let Some(k) = k {
                ix.insert(rid, k);
            }
        }
        self.tenant.add(&d);
        self.docs.insert(rid, d);
        self.version = next_version();
        Ok(rid)
    }

    /// Replaces the document at `rid`, enforcing unique indexes.
    pub(crate) fn replace(&mut self, ns: (&str, &str), rid: RecordId, d: Record) -> CmdResult<()> {
        let new_keys = self.all_keys(&d);
        self.check_unique(ns, &new_keys, Some(rid))?;
        let Some(old) = self.docs.remove(&rid) else {
            return Err(CommandError::new(code::INTERNAL_ERROR, "record vanished"));
        };
        for (ix, nk) in self.indexes.iter_mut().zip(new_keys) {
            let ok = record_keys(&ix.spec, &old);
            if ok == nk {
                continue;
            }
            if let Some(k) = ok {
                ix.remove(rid, k);
            }
            if let Some(k) = nk {
                ix.insert(rid, k);
            }
        }
        self.tenant.remove(&old);
        self.tenant.add(&d);
        self.docs.insert(rid, d);
        self.version = next_version();
        Ok(())
    }

    /// Removes the document at `rid`.
    pub(crate) fn remove(&mut self, rid: RecordId) -> Option<Record> {
        let old = self.docs.remove(&rid)?;
        self.tenant.remove(&old);
        self.version = next_version();
        for ix in &mut self.indexes {
            if let Some(keys) = record_keys(&ix.spec, &old) {
                ix.remove(rid, keys);
            }
        }
        Some(old)
    }

    /// Adds an index; `Ok(false)` when an identical one exists.
    pub(crate) fn add_index(&mut self, ns: &str, spec: IndexSpec) -> CmdResult<bool> {
        for ix in &self.indexes {
            let same_key = ix.spec.key == spec.key;
            let same_name = ix.spec.name == spec.name;
            if same_name && same_key {
                if ix.spec.same_options(&spec) || spec.name == "_id_" {
                    return Ok(false);
                }
                return Err(CommandError::new(
                    code::INDEX_OPTIONS_CONFLICT,
                    format!(
                        "An existing index has the same name as the requested index. Requested index: {}, existing index: {}",
                        spec.to_list_entry(),
                        ix.spec.to_list_entry()
                    ),
                ));
            }
            if same_name {
                return Err(CommandError::new(
                    code::INDEX_KEY_SPECS_CONFLICT,
                    format!(
                        "An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: {}, existing index: {}",
                        spec.to_list_entry(),
                        ix.spec.to_list_entry()
                    ),
                ));
            }
            if same_key && ix.spec.partial == spec.partial {
                let msg = if ix.spec.same_options(&spec) {
                    format!("Index already exists with a different name: {}", ix.spec.name)
                } else {
                    format!(
                        "An equivalent index already exists with the same name but different options. Requested index: {}, existing index: {}",
                        spec.to_list_entry(),
                        ix.spec.to_list_entry()
                    )
                };
                return Err(CommandError::new(code::INDEX_OPTIONS_CONFLICT, msg));
            }
        }
        let mut ix = Index::new(spec);
        for (rid, d) in &self.docs {
            if let Some(keys) = record_keys(&ix.spec, d) {
                if ix.spec.unique {
                    for k in &keys {
                        if ix.conflict(k, Some(*rid)).is_some() {
                            return Err(ix.duplicate_error(ns, k));
                        }
                    }
                }
                ix.insert(*rid, keys);
            }
        }
        self.indexes.push(ix);
        Ok(true)
    }

    /// Drops an index by name.
    pub(crate) fn drop_index(&mut self, name: &str) -> CmdResult<()> {
        if name == "_id_" {
            return Err(CommandError::new(72, "cannot drop _id index"));
        }
        let before = self.indexes.len();
        self.indexes.retain(|i| i.spec.name != name);
        if self.indexes.len() == before {
            return Err(CommandError::new(
                code::INDEX_NOT_FOUND,
                format!("index not found with name [{name}]"),
            ));
        }
        Ok(())
    }

    /// Finds an index by name or key pattern.
    pub(crate) fn find_index(&self, hint: &Bson) -> Option<&Index> {
        match hint {
            Bson::String(n) => self.indexes.iter().find(|i| &i.spec.name == n),
            Bson::Document(k) => self.indexes.iter().find(|i| &i.spec.key == k),
            _ => None,
        }
    }

    /// Picks a plan and returns candidate record ids (a superset of the matches).
    pub(crate) fn plan(
        &self,
        filter: &Filter,
        sort: &SortSpec,
        hint: Option<&Bson>,
    ) -> CmdResult<(PlanKind, RecordIds<'_>)> {
        if let Some(h) = hint {
            if let Bson::Document(d) = h
                && d.contains_key("$natural")
            {
                return Ok((PlanKind::CollScan, Box::new(self.docs.keys().copied())));
            }
            let is_empty = matches!(h, Bson::String(s) if s.is_empty())
                || matches!(h, Bson::Document(d) if d.is_empty());
            if !is_empty {
                let ix = self.find_index(h).ok_or_else(|| {
                    CommandError::bad_value("error processing query: planner returned error :: caused by :: hint provided does not correspond to an existing index")
                })?;
                if let Some(b) = self.bounds_for(ix, filter)
                    && !b.in_list
                {
                    let rids = b.scan(ix);
                    return Ok((ix_plan(ix, b), rids));
                }
                return Ok((ix_plan(ix, IndexBounds::everything()), ix.scan_all()));
            }
        }
        let mut best: Option<(i32, &Index, IndexBounds)> = None;
        for ix in &self.indexes {
            if !ix.spec.is_complete() {
                continue;
            }
            if let Some(b) = self.bounds_for(ix, filter) {
                let extra = b.rest.len() as i32 * 40 + if b.next_range.is_some() { 20 } else { 0 };
                let score = extra
                    + match (&b.lo, &b.hi) {
                        (Bound::Included(a), Bound::Included(b))
                            if crate::value::values_equal(a, b) =>
                        {
                            3
                        }
                        _ if b.in_list => 2,
                        _ => 1,
                    } * 10
                    + if ix.spec.unique { 1 } else { 0 };
                if best.as_ref().is_none_or(|x| score > x.0) {
                    best = Some((score, ix, b));
                }
            }
        }
        if let Some((_, ix, b)) = best {
            if b.in_list {
                let mut rids = Vec::new();
                let mut seen = std::collections::HashSet::new();
                for (_, p) in
                    filter.top_level_preds().into_iter().filter(|(p, _)| *p == ix.spec.fields[0])
                {
                    if let Pred::In(alts) = p {
                        for a in alts {
                            if let Pred::Eq(v) = a {
                                for r in ix.scan(Bound::Included(v), Bound::Included(v)) {
                                    if seen.insert(r) {
                                        rids.push(r);
                                    }
                                }
                            }
                        }
                        break;
                    }
                }
                return Ok((ix_plan(ix, b), Box::new(rids.into_iter())));
            }
            let rids = b.scan(ix);
            return Ok((ix_plan(ix, b), rids));
        }
        if let Some((first, _)) = sort.fields.first()
            && let Some(ix) =
                self.indexes.iter().find(|i| i.spec.is_complete() && &i.spec.fields[0] == first)
        {
            return Ok((ix_plan(ix, IndexBounds::everything()), ix.scan_all()));
        }
        Ok((PlanKind::CollScan, Box::new(self.docs.keys().copied())))
    }

    /// Bounds on `ix` implied by the filter's top-level predicates: equalities on a
    /// leading run of key fields, then (optionally) a range on the next key field.
    fn bounds_for(&self, ix: &Index, filter: &Filter) -> Option<IndexBounds> {
        let all = filter.top_level_preds();
        let on = |field: &str| -> Vec<&Pred> {
            all.iter().filter(|(p, _)| *p == field).map(|(_, p)| *p).collect()
        };
        let eq_of = |preds: &[&Pred]| {
            preds.iter().find_map(|p| match p {
                Pred::Eq(v) if indexable_eq(v) => Some(v.clone()),
                _ => None,
            })
        };
        let field = ix.spec.fields.first()?;
        let first = on(field);
        if let Some(v) = eq_of(&first) {
            // Equalities on the following key fields narrow the scan further, and a
            // range on the field after them narrows it again.
            let mut rest = Vec::new();
            let mut next_range = None;
            for f in ix.spec.fields.iter().skip(1) {
                let preds = on(f);
                if let Some(x) = eq_of(&preds) {
                    rest.push(x);
                    continue;
                }
                next_range = range_of(&preds, ix.multikey);
                break;
            }
            return Some(IndexBounds {
                in_list: false,
                lo: Bound::Included(v.clone()),
                hi: Bound::Included(v),
                rest,
                next_range,
            });
        }
        if first.iter().any(|p| {
            matches!(p, Pred::In(alts) if !alts.is_empty()
                && alts.iter().all(|a| matches!(a, Pred::Eq(v) if indexable_eq(v))))
        }) {
            return Some(IndexBounds {
                in_list: true,
                lo: Bound::Unbounded,
                hi: Bound::Unbounded,
                rest: Vec::new(),
                next_range: None,
            });
        }
        let (lo, hi) = range_of(&first, ix.multikey)?;
        Some(IndexBounds { in_list: false, lo, hi, rest: Vec::new(), next_range: None })
    }
}

/// The keys a stored document has in an index: from the decoded document when there is one,
/// else from the bytes when the index allows it, else from the document decoded now.
fn record_keys(spec: &IndexSpec, d: &Record) -> Option<Vec<IndexKey>> {
    if let Some(doc) = d.decoded() {
        return spec.keys_for(doc);
    }
    match spec.keys_for_raw(d.raw()) {
        Some(keys) => keys,
        None => spec.keys_for(d.doc()),
    }
}

/// The bounds the range predicates among `preds` put on one key field, if any. On a
/// multikey index only one predicate is used: its bounds may not be intersected.
fn range_of(preds: &[&Pred], multikey: bool) -> Option<(Bound<Bson>, Bound<Bson>)> {
    let mut lo: Bound<Bson> = Bound::Unbounded;
    let mut hi: Bound<Bson> = Bound::Unbounded;
    let mut used = false;
    for p in preds {
        let Pred::Cmp(ord, incl, v) = p else { continue };
        if !indexable_eq(v) || (used && multikey) {
            continue;
        }
        used = true;
        if *ord == Ordering::Greater {
            let new_lo =
                if *incl { Bound::Included(v.clone()) } else { Bound::Excluded(v.clone()) };
            lo = tighter_lo(lo, new_lo);
            if matches!(hi, Bound::Unbounded) {
                hi = rank_end(v).map_or(Bound::Unbounded, Bound::Excluded);
            }
        } else {
            let new_hi =
                if *incl { Bound::Included(v.clone()) } else { Bound::Excluded(v.clone()) };
            hi = tighter_hi(hi, new_hi);
            if matches!(lo, Bound::Unbounded) {
                lo = rank_start(v).map_or(Bound::Unbounded, Bound::Included);
            }
        }
    }
    used.then_some((lo, hi))
}

/// A range as explain shows it: `[1, 5)`, `[MinKey, 3]`.
fn show_range(lo: &Bound<Bson>, hi: &Bound<Bson>) -> String {
    let show = |b: &Bound<Bson>, open: bool| match b {
        Bound::Included(v) => format!("{}{v}", if open { "[" } else { "" }),
        Bound::Excluded(v) => format!("{}{v}", if open { "(" } else { "" }),
        Bound::Unbounded => {
            if open {
                "[MinKey".to_string()
            } else {
                "MaxKey".to_string()
            }
        }
    };
    let close = match hi {
        Bound::Included(_) | Bound::Unbounded => "]",
        Bound::Excluded(_) => ")",
    };
    format!("{}, {}{close}", show(lo, true), show(hi, false))
}

fn ix_plan(ix: &Index, bounds: IndexBounds) -> PlanKind {
    PlanKind::IxScan {
        name: ix.spec.name.clone(),
        key: ix.spec.key.clone(),
        bounds: Box::new(bounds),
    }
}

fn as_ref(b: &Bound<Bson>) -> Bound<&Bson> {
    match b {
        Bound::Included(v) => Bound::Included(v),
        Bound::Excluded(v) => Bound::Excluded(v),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn indexable_eq(v: &Bson) -> bool {
    !matches!(
        v,
        Bson::Null
            | Bson::Undefined
            | Bson::Array(_)
            | Bson::RegularExpression(_)
            | Bson::MinKey
            | Bson::MaxKey
    )
}

fn tighter_lo(a: Bound<Bson>, b: Bound<Bson>) -> Bound<Bson> {
    match (&a, &b) {
        (Bound::Unbounded, _) => b,
        (Bound::Included(x) | Bound::Excluded(x), Bound::Included(y) | Bound::Excluded(y)) => {
            if OrdBson(y.clone()) > OrdBson(x.clone()) {
                b
            } else {
                a
            }
        }
        _ => a,
    }
}

fn tighter_hi(a: Bound<Bson>, b: Bound<Bson>) -> Bound<Bson> {
    match (&a, &b) {
        (Bound::Unbounded, _) => b,
        (Bound::Included(x) | Bound::Excluded(x), Bound::Included(y) | Bound::Excluded(y)) => {
            if OrdBson(y.clone()) < OrdBson(x.clone()) {
                b
            } else {
                a
            }
        }
        _ => a,
    }
}

/// The smallest value of `v`'s type bracket, when known.
fn rank_start(v: &Bson) -> Option<Bson> {
    Some(match type_rank(v) {
        10 => Bson::Double(f64::NAN),
        15 => Bson::String(String::new()),
        20 => Bson::Document(Document::new()),
        35 => Bson::ObjectId(bson::oid::ObjectId::from_bytes([0; 12])),
        40 => Bson::Boolean(false),
        45 => Bson::DateTime(bson::DateTime::from_millis(i64::MIN)),
        _ => return None,
    })
}

/// The smallest value of the type bracket after `v`'s, when known.
fn rank_end(v: &Bson) -> Option<Bson> {
    Some(match type_rank(v) {
        10 => Bson::String(String::new()),
        15 => Bson::Document(Document::new()),
        35 => Bson::Boolean(false),
        45 => Bson::Timestamp(bson::Timestamp { time: 0, increment: 0 }),
        _ => return None,
    })
}
