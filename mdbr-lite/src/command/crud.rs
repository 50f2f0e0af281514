//! CRUD commands: `insert`, `find`, `getMore`, `killCursors`, `update`, `delete`,
//! `findAndModify`, `count` and `distinct`.
use bson::raw::RawDocumentBuf;
use bson::{Bson, Document, doc};

use crate::command::reply::{self, BatchKind, Reply, cursor_reply};
use crate::command::{bool_arg, coll_arg, doc_arg, int_arg, merge_sequences};
use crate::engine::Engine;
use crate::engine::collection::PlanKind;
use crate::engine::record::Record;
use crate::error::{CmdResult, CommandError, code};
use crate::index::RecordId;
use crate::projection::{Projection, TopLevelExclusion};
use crate::query::filter::Filter;
use crate::sort::SortSpec;
use crate::update::bytes::ByteUpdate;
use crate::update::{self, Update, UpdateContext};
use crate::value::compare;
use crate::wire::DocumentSequence;

/// What a query reads: filter, order, window and index hint.
#[derive(Debug, Default)]
pub(crate) struct Selection<'a> {
    pub(crate) filter: Option<&'a Document>,
    pub(crate) sort: Option<&'a Document>,
    pub(crate) hint: Option<&'a Bson>,
    pub(crate) skip: usize,
    pub(crate) limit: Option<usize>,
}

/// The plan, the compiled filter and the matching (record id, document) pairs of a selection.
pub(crate) type Selected = (PlanKind, Filter, Vec<(RecordId, Document)>);

/// Runs a selection; returns the plan and the matching documents in order. A sort reads the
/// documents decoded here, each once.
pub(crate) fn select(
    engine: &Engine,
    db: &str,
    coll: &str,
    sel: &Selection<'_>,
) -> CmdResult<Selected> {
    let m = matching(engine, db, coll, sel)?;
    let docs = m.rows.into_iter().map(|(rid, r)| (rid, r.to_document())).collect();
    let out = ordered(docs, &m.sort, |x| m.sort.key(&x.1), sel);
    Ok((m.plan, m.filter, out))
}

/// The plan, the compiled filter and the matching records of a selection, borrowed from the
/// engine.
pub(crate) type SelectedRecords<'e> = (PlanKind, Filter, Vec<(RecordId, &'e Record)>);

/// Runs a selection and yields the matching records themselves, so that a caller sending them
/// out copies their bytes instead of decoding them. A sort reads each record's decoded form
/// without making the record keep it.
pub(crate) fn select_records<'e>(
    engine: &'e Engine,
    db: &str,
    coll: &str,
    sel: &Selection<'_>,
) -> CmdResult<SelectedRecords<'e>> {
    let m = matching(engine, db, coll, sel)?;
    let out = ordered(m.rows, &m.sort, |x| record_sort_key(&m.sort, x.1), sel);
    Ok((m.plan, m.filter, out))
}

/// The records a selection matches, in plan order (stopping early when no sort needs them
/// all), with the plan, the sort and the filter. The filter leaves out what the collection
/// knows to hold ([`crate::engine::collection::Collection::knows`]): a positional operator never
/// needs that part (a string, not an array); upsert seeding reads the command's filter.
struct Matched<'e> {
    plan: PlanKind,
    filter: Filter,
    sort: SortSpec,
    rows: Vec<(RecordId, &'e Record)>,
}

fn matching<'e>(
    engine: &'e Engine,
    db: &str,
    coll: &str,
    sel: &Selection<'_>,
) -> CmdResult<Matched<'e>> {
    let c = engine.coll(db, coll);
    let filter = match (sel.filter, c) {
        (Some(f), Some(c)) => Filter::new_without(f, &|field, text| c.knows(field, text))?,
        (Some(f), None) => Filter::new(f)?,
        (None, _) => Filter::all(),
    };
    let sort = match sel.sort {
        Some(s) => SortSpec::parse(s)?,
        None => SortSpec::default(),
    };
    let Some(c) = c else {
        if let Some(h) = sel.hint {
            let natural =
                matches!(h, Bson::Document(d) if d.contains_key("$natural") || d.is_empty());
            if !natural && !matches!(h, Bson::String(s) if s.is_empty()) {
                return Err(CommandError::bad_value(
                    "error processing query: planner returned error :: caused by :: hint provided does not correspond to an existing index",
                ));
            }
        }
        return Ok(Matched { plan: PlanKind::CollScan, filter, sort, rows: Vec::new() });
    };
    let (plan, rids) = c.plan(&filter, &sort, sel.hint)?;
    let mut rows = Vec::new();
    let early = if sort.is_empty() { sel.limit.map(|l| l + sel.skip) } else { None };
    for rid in rids {
        if let Some(r) = c.record(rid)
            && filter.matches_record(r)
        {
            rows.push((rid, r));
            if early.is_some_and(|n| rows.len() >= n) {
                break;
            }
        }
    }
    Ok(Matched { plan, filter, sort, rows })
}

/// `rows` in `sort` order (by the key `key` reads; plan order when there is no sort), after
/// the selection's skip and limit.
fn ordered<T>(
    rows: Vec<T>,
    sort: &SortSpec,
    key: impl Fn(&T) -> Vec<Bson>,
    sel: &Selection<'_>,
) -> Vec<T> {
    let mut rows = rows;
    if !sort.is_empty() {
        let mut keyed: Vec<(Vec<Bson>, T)> = rows.into_iter().map(|x| (key(&x), x)).collect();
        keyed.sort_by(|a, b| sort.compare_keys(&a.0, &b.0));
        rows = keyed.into_iter().map(|(_, x)| x).collect();
    }
    rows.into_iter().skip(sel.skip).take(sel.limit.unwrap_or(usize::MAX)).collect()
}

/// The sort key of a record, from its decoded form when it has one, else from a decoding that
/// is dropped afterwards.
fn record_sort_key(sort: &SortSpec, r: &Record) -> Vec<Bson> {
    match r.decoded() {
        Some(d) => sort.key(d),
        None => sort.key(&r.to_document()),
    }
}

fn non_negative(cmd: &Document, key: &str) -> CmdResult<Option<usize>> {
    match int_arg(cmd, key)? {
        None => Ok(None),
        Some(n) if n < 0 => Err(CommandError::bad_value(format!(
            "{key} value must be non-negative, but received: {n}"
        ))),
        Some(n) => Ok(Some(n as usize)),
    }
}

/// `insert`: the documents come as a document sequence (what drivers send), kept as BSON bytes
/// all the way into the collection, or as an array in the command.
pub(crate) fn insert(
    engine: &mut Engine,
    db: &str,
    cmd: &mut Document,
    sequences: Vec<DocumentSequence>,
) -> CmdResult<Document> {
    let coll = coll_arg(cmd)?;
    crate::engine::check_coll_name(db, &coll)?;
    let ordered = cmd.get("ordered").is_none_or(crate::value::truthy);
    let (documents, others): (Vec<_>, Vec<_>) =
        sequences.into_iter().partition(|s| s.identifier == "documents");
    merge_sequences(cmd, others)?;
    let docs: Vec<CmdResult<RawDocumentBuf>> =
        match (documents.into_iter().next(), cmd.remove("documents")) {
            (Some(s), _) => s.documents.into_iter().map(Ok).collect(),
            (None, Some(Bson::Array(a))) => a
                .into_iter()
                .map(|d| match d {
                    Bson::Document(d) => RawDocumentBuf::try_from(&d).map_err(|e| {
                        CommandError::bad_value(format!("cannot encode document: {e}"))
                    }),
                    _ => Err(CommandError::type_mismatch("documents must be objects")),
                })
                .collect(),
            _ => {
                return Err(CommandError::failed_to_parse(
                    "BSON field 'insert.documents' is missing but a required field",
                ));
            }
        };
    if docs.is_empty() || docs.len() > 100_000 {
        return Err(CommandError::new(16, "Write batch sizes must be between 1 and 100000"));
    }
    let mut n = 0;
    let mut errors = Vec::new();
    for (i, d) in docs.into_iter().enumerate() {
        let r = d.and_then(|d| engine.insert_raw(db, &coll, d));
        match r {
            Ok(()) => n += 1,
            Err(e) => {
                errors.push(Bson::Document(e.to_write_error(i)));
                if ordered {
                    break;
                }
            }
        }
    }
    engine.ops.insert += n;
    let mut reply = doc! { "n": n as i32 };
    if !errors.is_empty() {
        reply.insert("writeErrors", errors);
    }
    Ok(reply)
}

/// `find`: returns copies of the stored documents' bytes; a projection of top-level exclusions
/// is applied to the bytes, any other to the decoded document.
pub(crate) fn find(engine: &mut Engine, db: &str, cmd: &Document) -> CmdResult<Reply> {
    engine.ops.query += 1;
    let coll = coll_arg(cmd)?;
    let filter = doc_arg(cmd, "filter")?;
    let sort = doc_arg(cmd, "sort")?;
    let projection = match doc_arg(cmd, "projection")? {
        Some(p) if !p.is_empty() => Some(match TopLevelExclusion::parse(p) {
            Some(exclusion) => FindProjection::Exclusion(exclusion, p),
            None => FindProjection::General(Projection::new(p, true)?),
        }),
        _ => None,
    };
    let skip = non_negative(cmd, "skip")?.unwrap_or(0);
    let raw_limit = int_arg(cmd, "limit")?;
    let mut single_batch = bool_arg(cmd, "singleBatch");
    let limit = match raw_limit {
        Some(l) if l < 0 => {
            single_batch = true;
            Some(l.unsigned_abs() as usize)
        }
        Some(0) | None => None,
        Some(l) => Some(l as usize),
    };
    let batch_size = non_negative(cmd, "batchSize")?;
    let hint = cmd.get("hint");
    let sel = Selection { filter, sort, hint, skip, limit };
    let (_, f, records) = select_records(engine, db, &coll, &sel)?;
    let mut docs = Vec::with_capacity(records.len());
    for (_, r) in records {
        docs.push(match &projection {
            Some(p) => project(r, p, &f)?,
            None => r.raw().to_owned(),
        });
    }
    let ns = format!("{db}.{coll}");
    let (batch, id) = engine.cursors.open(&ns, docs, batch_size, single_batch);
    cursor_reply(&ns, BatchKind::First, &batch, id)
}

/// A `find` projection: top-level exclusions (applied on the bytes; the spec is kept for the
/// general path should the bytes not parse), or any other.
enum FindProjection<'a> {
    Exclusion(TopLevelExclusion<'a>, &'a Document),
    General(Projection),
}

/// A record under a `find` projection: on its bytes when the projection is made of top-level
/// exclusions, else on its decoded form (not kept by the record), encoded.
fn project(r: &Record, p: &FindProjection<'_>, query: &Filter) -> CmdResult<RawDocumentBuf> {
    let general;
    let p = match p {
        FindProjection::Exclusion(exclusion, spec) => match exclusion.apply_record(r) {
            Some(out) => return Ok(out),
            None => {
                general = Projection::new(spec, true)?;
                &general
            }
        },
        FindProjection::General(p) => p,
    };
    let projected = match r.decoded() {
        Some(d) => p.apply(d, Some(query))?,
        None => p.apply(&r.to_document(), Some(query))?,
    };
    reply::encode(&projected)
}

/// `getMore`.
pub(crate) fn get_more(engine: &mut Engine, db: &str, cmd: &Document) -> CmdResult<Reply> {
    engine.ops.getmore += 1;
    let id = match cmd.get("getMore") {
        Some(Bson::Int64(i)) => *i,
        Some(Bson::Int32(i)) => i64::from(*i),
        _ => {
            return Err(CommandError::type_mismatch(
                "BSON field 'getMore.getMore' is the wrong type, expected type 'long'",
            ));
        }
    };
    let coll = match cmd.get("collection") {
        Some(Bson::String(s)) => s.clone(),
        _ => {
            return Err(CommandError::type_mismatch(
                "BSON field 'getMore.collection' is the wrong type, expected type 'string'",
            ));
        }
    };
    let batch_size = non_negative(cmd, "batchSize")?.filter(|n| *n > 0);
    let ns = format!("{db}.{coll}");
    let (batch, next) = engine.cursors.next_batch(id, &ns, batch_size).ok_or_else(|| {
        CommandError::new(code::CURSOR_NOT_FOUND, format!("cursor id {id} not found"))
    })?;
    cursor_reply(&ns, BatchKind::Next, &batch, next)
}

/// `killCursors`.
pub(crate) fn kill_cursors(engine: &mut Engine, _db: &str, cmd: &Document) -> CmdResult<Document> {
    let ids = match cmd.get("cursors") {
        Some(Bson::Array(a)) => a.clone(),
        _ => {
            return Err(CommandError::failed_to_parse(
                "BSON field 'killCursors.cursors' is missing but a required field",
            ));
        }
    };
    let mut killed = Vec::new();
    let mut not_found = Vec::new();
    for id in ids {
        let n = crate::value::as_i64(&id).unwrap_or(0);
        if engine.cursors.kill(n) {
            killed.push(Bson::Int64(n));
        } else {
            not_found.push(Bson::Int64(n));
        }
    }
    Ok(
        doc! { "cursorsKilled": killed, "cursorsNotFound": not_found, "cursorsAlive": [], "cursorsUnknown": [] },
    )
}

/// The outcome of one update statement.
#[derive(Debug, Default)]
struct UpdateOutcome {
    matched: i64,
    modified: i64,
    upserted: Option<Bson>,
    /// (before, after) of the first document touched, for `findAndModify`.
    first: Option<(Option<Document>, Document)>,
}

/// Arguments of one update statement.
struct UpdateStatement<'a> {
    query: &'a Document,
    update: Update,
    upsert: bool,
    multi: bool,
    array_filters: Option<&'a Bson>,
    sort: Option<&'a Document>,
    hint: Option<&'a Bson>,
    /// The caller wants the first document before and after (`findAndModify`); `update`
    /// does not, and its documents then go to the collection without a copy.
    returns_document: bool,
}

fn run_update(
    engine: &mut Engine,
    db: &str,
    coll: &str,
    st: &UpdateStatement<'_>,
) -> CmdResult<UpdateOutcome> {
    if st.multi && st.update.is_replacement() {
        return Err(CommandError::failed_to_parse(
            "multi update is not supported for replacement-style update",
        ));
    }
    let array_filters = update::parse_array_filters(st.array_filters)?;
    let sel = Selection {
        filter: Some(st.query),
        sort: st.sort,
        hint: st.hint,
        skip: 0,
        limit: if st.multi { None } else { Some(1) },
    };
    // An update with a byte form rewrites each matched record's bytes where it can; the rest,
    // and `findAndModify` (which returns the documents), go the decoded way.
    let on_bytes = match (&st.update, st.returns_document, st.array_filters) {
        (Update::Operators(ops), false, None) => ByteUpdate::of(ops),
        _ => None,
    };
    let (filter, rids) = {
        let (_, filter, rows) = select_records(engine, db, coll, &sel)?;
        (filter, rows.into_iter().map(|(rid, _)| rid).collect::<Vec<_>>())
    };
    let mut out = UpdateOutcome::default();
    if rids.is_empty() {
        if !st.upsert {
            return Ok(out);
        }
        let seed = update::seed_from_filter(st.query)?;
        let ctx = UpdateContext { query: Some(&filter), array_filters, is_insert: true };
        let mut new_doc = match &st.update {
            Update::Replacement(r) => {
                let mut d = r.clone();
                if !d.contains_key("_id")
                    && let Some(id) = seed.get("_id")
                {
                    d.insert("_id", id.clone());
                }
                d
            }
            u => u.apply(&seed, &ctx)?,
        };
        crate::engine::prepare_new_doc(&mut new_doc)?;
        let id = new_doc.get("_id").cloned().unwrap_or(Bson::Null);
        if st.returns_document {
            engine.insert(db, coll, new_doc.clone())?;
            out.first = Some((None, new_doc));
        } else {
            engine.insert(db, coll, new_doc)?;
        }
        out.matched = 0;
        out.upserted = Some(id);
        return Ok(out);
    }
    enum Change {
        Same,
        Bytes(Vec<u8>),
        Doc(Document),
    }
    let ctx = UpdateContext { query: Some(&filter), array_filters, is_insert: false };
    for rid in rids {
        let Some(r) = engine.coll(db, coll).and_then(|c| c.record(rid)) else { continue };
        let change = match on_bytes.as_ref().and_then(|b| b.apply(r)) {
            Some(None) => Change::Same,
            Some(Some(bytes)) => Change::Bytes(bytes),
            None => {
                let old = r.to_document();
                let new_doc = st.update.apply(&old, &ctx)?;
                let changed = new_doc != old;
                if st.returns_document && out.first.is_none() {
                    out.first = Some((Some(old), new_doc.clone()));
                }
                if changed { Change::Doc(new_doc) } else { Change::Same }
            }
        };
        out.matched += 1;
        match change {
            Change::Same => {}
            Change::Bytes(bytes) => {
                engine.replace_raw(db, coll, rid, bytes)?;
                out.modified += 1;
            }
            Change::Doc(d) => {
                engine.replace(db, coll, rid, d)?;
                out.modified += 1;
            }
        }
    }
    Ok(out)
}

/// `update`.
pub(crate) fn update(engine: &mut Engine, db: &str, cmd: &Document) -> CmdResult<Document> {
    let coll = coll_arg(cmd)?;
    crate::engine::check_coll_name(db, &coll)?;
    let updates = match cmd.get("updates") {
        Some(Bson::Array(a)) => a,
        _ => {
            return Err(CommandError::failed_to_parse(
                "BSON field 'update.updates' is missing but a required field",
            ));
        }
    };
    let ordered = cmd.get("ordered").is_none_or(crate::value::truthy);
    let mut n = 0i64;
    let mut modified = 0i64;
    let mut upserted = Vec::new();
    let mut errors = Vec::new();
    for (i, u) in updates.iter().enumerate() {
        let r = (|| -> CmdResult<UpdateOutcome> {
            let Bson::Document(u) = u else {
                return Err(CommandError::type_mismatch("update statements must be objects"));
            };
            let query = match u.get("q") {
                Some(Bson::Document(q)) => q,
                _ => {
                    return Err(CommandError::failed_to_parse(
                        "BSON field 'update.updates.q' is missing but a required field",
                    ));
                }
            };
            let upd = Update::parse(u.get("u").ok_or_else(|| {
                CommandError::failed_to_parse(
                    "BSON field 'update.updates.u' is missing but a required field",
                )
            })?)?;
            let st = UpdateStatement {
                query,
                update: upd,
                upsert: bool_arg(u, "upsert"),
                multi: bool_arg(u, "multi"),
                array_filters: u.get("arrayFilters"),
                sort: doc_arg(u, "sort")?,
                hint: u.get("hint"),
                returns_document: false,
            };
            run_update(engine, db, &coll, &st)
        })();
        match r {
            Ok(o) => {
                engine.ops.update += 1;
                n += o.matched;
                modified += o.modified;
                if let Some(id) = o.upserted {
                    n += 1;
                    upserted.push(Bson::Document(doc! { "index": i as i32, "_id": id }));
                }
            }
            Err(e) => {
                errors.push(Bson::Document(e.to_write_error(i)));
                if ordered {
                    break;
                }
            }
        }
    }
    let mut reply = doc! { "n": n as i32 };
    if !upserted.is_empty() {
        reply.insert("upserted", upserted);
    }
    reply.insert("nModified", modified as i32);
    if !errors.is_empty() {
        reply.insert("writeErrors", errors);
    }
    Ok(reply)
}

/// `delete`.
pub(crate) fn delete(engine: &mut Engine, db: &str, cmd: &Document) -> CmdResult<Document> {
    let coll = coll_arg(cmd)?;
    let deletes = match cmd.get("deletes") {
        Some(Bson::Array(a)) => a.clone(),
        _ => {
            return Err(CommandError::failed_to_parse(
                "BSON field 'delete.deletes' is missing but a required field",
            ));
        }
    };
    let ordered = cmd.get("ordered").is_none_or(crate::value::truthy);
    let mut n = 0i64;
    let mut errors = Vec::new();
    for (i, d) in deletes.iter().enumerate() {
        let r = (|| -> CmdResult<i64> {
            let Bson::Document(d) = d else {
                return Err(CommandError::type_mismatch("delete statements must be objects"));
            };
            let query = match d.get("q") {
                Some(Bson::Document(q)) => q,
                _ => {
                    return Err(CommandError::failed_to_parse(
                        "BSON field 'delete.deletes.q' is missing but a required field",
                    ));
                }
            };
            let limit = match int_arg(d, "limit")? {
                Some(0) | None => None,
                Some(1) => Some(1),
                Some(other) => {
                    return Err(CommandError::failed_to_parse(format!(
                        "The limit field in delete objects must be 0 or 1. Got {other}"
                    )));
                }
            };
            let sel =
                Selection { filter: Some(query), hint: d.get("hint"), limit, ..Default::default() };
            let (_, _, rows) = select(engine, db, &coll, &sel)?;
            let mut k = 0;
            for (rid, _) in rows {
                if engine.delete(db, &coll, rid).is_some() {
                    k += 1;
                }
            }
            Ok(k)
        })();
        match r {
            Ok(k) => {
                engine.ops.delete += 1;
                n += k;
            }
            Err(e) => {
                errors.push(Bson::Document(e.to_write_error(i)));
                if ordered {
                    break;
                }
            }
        }
    }
    let mut reply = doc! { "n": n as i32 };
    if !errors.is_empty() {
        reply.insert("writeErrors", errors);
    }
    Ok(reply)
}

/// `findAndModify`.
pub(crate) fn find_and_modify(
    engine: &mut Engine,
    db: &str,
    cmd: &Document,
) -> CmdResult<Document> {
    let coll = coll_arg(cmd)?;
    crate::engine::check_coll_name(db, &coll)?;
    let empty = Document::new();
    let query = doc_arg(cmd, "query")?.unwrap_or(&empty);
    let sort = doc_arg(cmd, "sort")?;
    let fields = match doc_arg(cmd, "fields")? {
        Some(p) if !p.is_empty() => Some(Projection::new(p, true)?),
        _ => None,
    };
    let remove = bool_arg(cmd, "remove");
    let want_new = bool_arg(cmd, "new");
    let upsert = bool_arg(cmd, "upsert");
    let upd = cmd.get("update");
    let project = |d: Document| -> CmdResult<Bson> {
        Ok(Bson::Document(match &fields {
            Some(p) => p.apply(&d, None)?,
            None => d,
        }))
    };
    if remove {
        if upd.is_some() {
            return Err(CommandError::failed_to_parse(
                "Cannot specify both an update and remove=true",
            ));
        }
        if upsert {
            return Err(CommandError::failed_to_parse(
                "Cannot specify both upsert=true and remove=true",
            ));
        }
        if want_new {
            return Err(CommandError::failed_to_parse(
                "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document",
            ));
        }
        let sel = Selection {
            filter: Some(query),
            sort,
            hint: cmd.get("hint"),
            limit: Some(1),
            ..Default::default()
        };
        let (_, _, rows) = select(engine, db, &coll, &sel)?;
        engine.ops.delete += 1;
        return Ok(match rows.into_iter().next() {
            Some((rid, d)) => {
                engine.delete(db, &coll, rid);
                doc! { "lastErrorObject": { "n": 1 }, "value": project(d)? }
            }
            None => doc! { "lastErrorObject": { "n": 0 }, "value": Bson::Null },
        });
    }
    let Some(u) = upd else {
        return Err(CommandError::failed_to_parse(
            "Either an update or remove=true must be specified",
        ));
    };
    engine.ops.update += 1;
    let st = UpdateStatement {
        query,
        update: Update::parse(u)?,
        upsert,
        multi: false,
        array_filters: cmd.get("arrayFilters"),
        sort,
        hint: cmd.get("hint"),
        returns_document: true,
    };
    let o = run_update(engine, db, &coll, &st)?;
    let mut leo = doc! { "n": if o.matched > 0 || o.upserted.is_some() { 1 } else { 0 }, "updatedExisting": o.matched > 0 };
    if let Some(id) = &o.upserted {
        leo.insert("upserted", id.clone());
    }
    let value = match o.first {
        None => Bson::Null,
        Some((before, after)) => {
            if want_new {
                project(after)?
            } else {
                match before {
                    Some(b) => project(b)?,
                    None => Bson::Null,
                }
            }
        }
    };
    Ok(doc! { "lastErrorObject": leo, "value": value })
}

/// `count`.
pub(crate) fn count(engine: &mut Engine, db: &str, cmd: &Document) -> CmdResult<Document> {
    let coll = coll_arg(cmd)?;
    let query = doc_arg(cmd, "query")?;
    let skip = non_negative(cmd, "skip")?.unwrap_or(0);
    let limit = match int_arg(cmd, "limit")? {
        Some(0) | None => None,
        Some(l) => Some(l.unsigned_abs() as usize),
    };
    if query.is_none_or(|q| q.is_empty()) && cmd.get("hint").is_none() {
        let total = engine.coll(db, &coll).map_or(0, |c| c.len());
        let n = total.saturating_sub(skip).min(limit.unwrap_or(usize::MAX));
        return Ok(doc! { "n": n as i32 });
    }
    let sel = Selection { filter: query, hint: cmd.get("hint"), skip, limit, ..Default::default() };
    let (_, _, rows) = select(engine, db, &coll, &sel)?;
    Ok(doc! { "n": rows.len() as i32 })
}

/// `distinct`.
pub(crate) fn distinct(engine: &mut Engine, db: &str, cmd: &Document) -> CmdResult<Document> {
    let coll = coll_arg(cmd)?;
    let key = match cmd.get("key") {
        Some(Bson::String(k)) => k.clone(),
        _ => {
            return Err(CommandError::failed_to_parse(
                "BSON field 'distinct.key' is missing but a required field",
            ));
        }
    };
    let sel =
        Selection { filter: doc_arg(cmd, "query")?, hint: cmd.get("hint"), ..Default::default() };
    let (_, _, rows) = select(engine, db, &coll, &sel)?;
    let mut values: Vec<Bson> = Vec::new();
    for (_, d) in &rows {
        for v in crate::query::path::key_values(d, &key) {
            let v = v.clone();
            if !values.iter().any(|x| crate::value::values_equal(x, &v)) {
                values.push(v);
            }
        }
    }
    values.sort_by(compare);
    Ok(doc! { "values": values })
}

#[cfg(test)]
mod tests;
