//! The engine: databases of collections, the cursor table, and the write path that records
//! every change for the storage before a command is acknowledged.
pub(crate) mod collection;
pub(crate) mod record;

use std::collections::BTreeMap;
use std::time::Instant;

use bson::raw::RawDocumentBuf;
use bson::{Bson, Document};

use crate::cursor::CursorTable;
use crate::engine::collection::Collection;
use crate::engine::record::{Record, prepare_new_raw};
use crate::error::{CmdResult, CommandError, code};
use crate::index::{IndexSpec, RecordId};
use crate::storage::{Storage, StorageOp};

/// Operation counters reported by `serverStatus`.
#[derive(Debug, Default, Clone)]
pub(crate) struct OpCounters {
    pub(crate) insert: i64,
    pub(crate) query: i64,
    pub(crate) update: i64,
    pub(crate) delete: i64,
    pub(crate) getmore: i64,
    pub(crate) command: i64,
}

/// The whole database state.
#[derive(Debug)]
pub(crate) struct Engine {
    dbs: BTreeMap<String, BTreeMap<String, Collection>>,
    storage: Box<dyn Storage>,
    persistent: bool,
    pending: Vec<StorageOp>,
    pub(crate) cursors: CursorTable,
    pub(crate) started: Instant,
    pub(crate) ops: OpCounters,
}

/// Largest document the engine stores.
pub(crate) const MAX_DOC_SIZE: usize = 16 * 1024 * 1024;

fn ns_of(db: &str, coll: &str) -> String {
    format!("{db}.{coll}")
}

/// Checks a database name.
pub(crate) fn check_db_name(db: &str) -> CmdResult<()> {
    if db.is_empty()
        || db.len() > 63
        || db.chars().any(|c| matches!(c, '/' | '\\' | '.' | ' ' | '"' | '$' | '\0'))
    {
        return Err(CommandError::new(
            code::INVALID_NAMESPACE,
            format!("Invalid database name: '{db}'"),
        ));
    }
    Ok(())
}

/// Checks a collection name.
pub(crate) fn check_coll_name(db: &str, coll: &str) -> CmdResult<()> {
    check_db_name(db)?;
    if coll.is_empty() || coll.contains('$') || coll.contains('\0') || coll.starts_with('.') {
        return Err(CommandError::new(
            code::INVALID_NAMESPACE,
            format!("Invalid collection name: {coll}"),
        ));
    }
    Ok(())
}

impl Engine {
    /// An engine over `storage`, with everything it holds loaded.
    pub(crate) fn open(storage: Box<dyn Storage>) -> CmdResult<Self> {
        let mut dbs: BTreeMap<String, BTreeMap<String, Collection>> = BTreeMap::new();
        for lc in storage.load()? {
            let Some((db, coll)) = lc.ns.split_once('.') else { continue };
            let docs = lc.docs.into_iter().map(|(rid, d)| (rid, Record::from_raw(d))).collect();
            let c = Collection::from_meta(&lc.ns, &lc.meta, docs)?;
            dbs.entry(db.to_string()).or_default().insert(coll.to_string(), c);
        }
        let persistent = storage.is_persistent();
        Ok(Self {
            dbs,
            storage,
            persistent,
            pending: Vec::new(),
            cursors: CursorTable::default(),
            started: Instant::now(),
            ops: OpCounters::default(),
        })
    }

    /// Persists everything recorded since the last flush.
    pub(crate) fn flush(&mut self) -> CmdResult<()> {
        if !self.persistent {
            self.pending.clear();
            return Ok(());
        }
        if self.pending.is_empty() {
            return Ok(());
        }
        let ops = std::mem::take(&mut self.pending);
        self.storage.commit(ops)
    }

    /// Database names.
    pub(crate) fn db_names(&self) -> Vec<String> {
        self.dbs.iter().filter(|(_, c)| !c.is_empty()).map(|(n, _)| n.clone()).collect()
    }

    /// Collections of a database.
    pub(crate) fn collections(&self, db: &str) -> Vec<(&String, &Collection)> {
        self.dbs.get(db).map(|m| m.iter().collect()).unwrap_or_default()
    }

    /// A collection, if it exists.
    pub(crate) fn coll(&self, db: &str, name: &str) -> Option<&Collection> {
        self.dbs.get(db)?.get(name)
    }

    /// A collection, created (implicitly, like mongod) when missing.
    pub(crate) fn ensure_coll(&mut self, db: &str, name: &str) -> CmdResult<&mut Collection> {
        let exists = self.coll(db, name).is_some();
        if !exists {
            check_coll_name(db, name)?;
            let c = Collection::new(Document::new());
            self.pending.push(StorageOp::PutCollection { ns: ns_of(db, name), meta: c.meta() });
            self.dbs.entry(db.to_string()).or_default().insert(name.to_string(), c);
        }
        self.dbs
            .get_mut(db)
            .and_then(|m| m.get_mut(name))
            .ok_or_else(|| CommandError::new(code::INTERNAL_ERROR, "collection vanished"))
    }

    /// Creates a collection explicitly.
    pub(crate) fn create(&mut self, db: &str, name: &str, options: Document) -> CmdResult<()> {
        check_coll_name(db, name)?;
        if let Some(existing) = self.coll(db, name) {
            if existing.options == options {
                return Ok(());
            }
            return Err(CommandError::new(
                code::NAMESPACE_EXISTS,
                format!("Collection {db}.{name} already exists."),
            ));
        }
        let c = Collection::new(options);
        self.pending.push(StorageOp::PutCollection { ns: ns_of(db, name), meta: c.meta() });
        self.dbs.entry(db.to_string()).or_default().insert(name.to_string(), c);
        Ok(())
    }

    /// Drops a collection; whether it existed.
    pub(crate) fn drop_coll(&mut self, db: &str, name: &str) -> bool {
        let removed = self.dbs.get_mut(db).and_then(|m| m.remove(name)).is_some();
        if removed {
            self.pending.push(StorageOp::DropCollection { ns: ns_of(db, name) });
        }
        removed
    }

    /// Drops a whole database.
    pub(crate) fn drop_db(&mut self, db: &str) {
        if let Some(m) = self.dbs.remove(db) {
            for name in m.keys() {
                self.pending.push(StorageOp::DropCollection { ns: ns_of(db, name) });
            }
        }
    }

    /// Renames a collection (possibly across databases).
    pub(crate) fn rename(
        &mut self,
        from: (&str, &str),
        to: (&str, &str),
        drop_target: bool,
    ) -> CmdResult<()> {
        check_coll_name(to.0, to.1)?;
        if self.coll(from.0, from.1).is_none() {
            return Err(CommandError::new(
                code::NAMESPACE_NOT_FOUND,
                "Source collection does not exist",
            ));
        }
        if from == to {
            return Err(CommandError::new(
                code::ILLEGAL_OPERATION,
                "Can't rename a collection to itself",
            ));
        }
        if self.coll(to.0, to.1).is_some() {
            if !drop_target {
                return Err(CommandError::new(code::NAMESPACE_EXISTS, "target namespace exists"));
            }
            self.drop_coll(to.0, to.1);
        }
        let Some(c) = self.dbs.get_mut(from.0).and_then(|m| m.remove(from.1)) else {
            return Err(CommandError::new(
                code::NAMESPACE_NOT_FOUND,
                "Source collection does not exist",
            ));
        };
        self.pending.push(StorageOp::DropCollection { ns: ns_of(from.0, from.1) });
        let ns = ns_of(to.0, to.1);
        self.pending.push(StorageOp::PutCollection { ns: ns.clone(), meta: c.meta() });
        for (rid, d) in c.records() {
            self.pending.push(StorageOp::PutDoc {
                ns: ns.clone(),
                rid: *rid,
                bytes: d.raw().as_bytes().to_vec(),
            });
        }
        self.dbs.entry(to.0.to_string()).or_default().insert(to.1.to_string(), c);
        Ok(())
    }

    /// Inserts a document (adding `_id` if missing), creating the collection if needed.
    pub(crate) fn insert(&mut self, db: &str, name: &str, mut d: Document) -> CmdResult<()> {
        prepare_new_doc(&mut d)?;
        self.insert_record(db, name, checked(Record::from_doc(d)?)?)
    }

    /// Inserts a document given as BSON bytes the wire validator accepted (adding `_id` if
    /// missing), creating the collection if needed. Nothing is decoded but `_id` and the
    /// indexed fields.
    pub(crate) fn insert_raw(&mut self, db: &str, name: &str, d: RawDocumentBuf) -> CmdResult<()> {
        let d = prepare_new_raw(d)?;
        self.insert_record(db, name, checked(Record::from_raw(d))?)
    }

    fn insert_record(&mut self, db: &str, name: &str, d: Record) -> CmdResult<()> {
        let bytes = self.persistent.then(|| d.raw().as_bytes().to_vec());
        let c = match self.dbs.get_mut(db).and_then(|m| m.get_mut(name)) {
            Some(c) => c,
            None => self.ensure_coll(db, name)?,
        };
        let rid = c.insert((db, name), d)?;
        if let Some(bytes) = bytes {
            self.pending.push(StorageOp::PutDoc { ns: ns_of(db, name), rid, bytes });
        }
        Ok(())
    }

    /// Replaces the document at `rid`.
    pub(crate) fn replace(
        &mut self,
        db: &str,
        name: &str,
        rid: RecordId,
        d: Document,
    ) -> CmdResult<()> {
        self.replace_record(db, name, rid, checked(Record::from_doc(d)?)?)
    }

    /// Replaces the document at `rid` with BSON bytes the engine produced (a byte-level update
    /// of a stored document).
    pub(crate) fn replace_raw(
        &mut self,
        db: &str,
        name: &str,
        rid: RecordId,
        bytes: Vec<u8>,
    ) -> CmdResult<()> {
        let raw = RawDocumentBuf::from_bytes(bytes).map_err(|e| {
            CommandError::new(code::INTERNAL_ERROR, format!("an update produced invalid BSON: {e}"))
        })?;
        self.replace_record(db, name, rid, checked(Record::from_raw(raw))?)
    }

    fn replace_record(&mut self, db: &str, name: &str, rid: RecordId, d: Record) -> CmdResult<()> {
        let bytes = self.persistent.then(|| d.raw().as_bytes().to_vec());
        let c = self.ensure_coll(db, name)?;
        c.replace((db, name), rid, d)?;
        if let Some(bytes) = bytes {
            self.pending.push(StorageOp::PutDoc { ns: ns_of(db, name), rid, bytes });
        }
        Ok(())
    }

    /// Deletes the document at `rid`.
    pub(crate) fn delete(&mut self, db: &str, name: &str, rid: RecordId) -> Option<Record> {
        let c = self.dbs.get_mut(db)?.get_mut(name)?;
        let old = c.remove(rid)?;
        self.pending.push(StorageOp::DeleteDoc { ns: ns_of(db, name), rid });
        Some(old)
    }

    /// Adds an index; `Ok(false)` when it already existed.
    pub(crate) fn create_index(
        &mut self,
        db: &str,
        name: &str,
        spec: IndexSpec,
    ) -> CmdResult<bool> {
        let ns = ns_of(db, name);
        let c = self.ensure_coll(db, name)?;
        let created = c.add_index(&ns, spec)?;
        let meta = c.meta();
        if created {
            self.pending.push(StorageOp::PutCollection { ns, meta });
        }
        Ok(created)
    }

    /// Changes the search index definitions of a collection (created if missing) and records
    /// the new catalog entry.
    pub(crate) fn with_search_indexes<T>(
        &mut self,
        db: &str,
        name: &str,
        f: impl FnOnce(&mut Vec<crate::search::SearchIndexDef>) -> CmdResult<T>,
    ) -> CmdResult<T> {
        let ns = ns_of(db, name);
        let c = self.ensure_coll(db, name)?;
        let out = f(&mut c.search_indexes)?;
        let meta = c.meta();
        self.pending.push(StorageOp::PutCollection { ns, meta });
        Ok(out)
    }

    /// Drops an index by name.
    pub(crate) fn drop_index(&mut self, db: &str, name: &str, index: &str) -> CmdResult<()> {
        let ns = ns_of(db, name);
        let c = self.dbs.get_mut(db).and_then(|m| m.get_mut(name)).ok_or_else(|| {
            CommandError::new(code::NAMESPACE_NOT_FOUND, format!("ns not found {ns}"))
        })?;
        c.drop_index(index)?;
        let meta = c.meta();
        self.pending.push(StorageOp::PutCollection { ns, meta });
        Ok(())
    }

    /// Removes documents past their TTL; returns how many.
    pub(crate) fn expire_ttl(&mut self, now_ms: i64) -> usize {
        let mut doomed: Vec<(String, String, RecordId)> = Vec::new();
        for (db, colls) in &self.dbs {
            for (name, c) in colls {
                for ix in c
                    .indexes
                    .iter()
                    .filter(|i| i.spec.expire_after_seconds.is_some() && i.spec.fields.len() == 1)
                {
                    let secs = ix.spec.expire_after_seconds.unwrap_or(i64::MAX);
                    let field = &ix.spec.fields[0];
                    for (rid, d) in c.iter() {
                        let vals = crate::query::path::key_values(d, field);
                        let earliest = vals
                            .iter()
                            .filter_map(|v| match v {
                                Bson::DateTime(t) => Some(t.timestamp_millis()),
                                _ => None,
                            })
                            .min();
                        if let Some(t) = earliest
                            && t.saturating_add(secs.saturating_mul(1000)) <= now_ms
                        {
                            doomed.push((db.clone(), name.clone(), *rid));
                        }
                    }
                }
            }
        }
        let mut n = 0;
        for (db, name, rid) in doomed {
            if self.delete(&db, &name, rid).is_some() {
                n += 1;
            }
        }
        n
    }
}

/// Validates a new document and puts `_id` first (generating an ObjectId when missing).
pub(crate) fn prepare_new_doc(d: &mut Document) -> CmdResult<()> {
    check_field_names(d, 0)?;
    match d.get("_id") {
        Some(Bson::Array(_)) => {
            return Err(CommandError::new(code::INVALID_ID_FIELD, "can't use an array for _id"));
        }
        Some(Bson::RegularExpression(_)) => {
            return Err(CommandError::new(code::INVALID_ID_FIELD, "can't use a regex for _id"));
        }
        Some(Bson::Undefined) => {
            return Err(CommandError::new(code::INVALID_ID_FIELD, "can't use a undefined for _id"));
        }
        _ => {}
    }
    if d.keys().next().map(String::as_str) == Some("_id") {
        return Ok(());
    }
    let id = d.remove("_id").unwrap_or_else(|| Bson::ObjectId(bson::oid::ObjectId::new()));
    let mut out = Document::new();
    out.insert("_id", id);
    for (k, v) in std::mem::take(d) {
        out.insert(k, v);
    }
    *d = out;
    Ok(())
}

/// Refuses `$`-prefixed field names (except DBRef fields) at any depth.
pub(crate) fn check_field_names(d: &Document, depth: usize) -> CmdResult<()> {
    for (k, v) in d {
        if k.starts_with('$') && !matches!(k.as_str(), "$ref" | "$id" | "$db") {
            return Err(CommandError::new(
                code::DOLLAR_PREFIXED_FIELD_NAME,
                format!("Document can't have $ prefixed field names: {k}"),
            ));
        }
        if depth < 200 {
            check_value_names(v, depth + 1)?;
        }
    }
    Ok(())
}

fn check_value_names(v: &Bson, depth: usize) -> CmdResult<()> {
    match v {
        Bson::Document(d) => check_field_names(d, depth),
        Bson::Array(a) => a.iter().try_for_each(|e| check_value_names(e, depth + 1)),
        _ => Ok(()),
    }
}

/// Refuses a document over [`MAX_DOC_SIZE`].
fn checked(d: Record) -> CmdResult<Record> {
    if d.size() > MAX_DOC_SIZE {
        return Err(too_large(d.size()));
    }
    Ok(d)
}

fn too_large(size: usize) -> CommandError {
    CommandError::new(
        code::BSON_OBJECT_TOO_LARGE,
        format!("object to insert too large. size in bytes: {size}, max size: {MAX_DOC_SIZE}"),
    )
}
