//! Database and collection administration: `listDatabases`, `listCollections`, `create`,
//! `drop`, `dropDatabase`, `renameCollection`, `collStats`/`dbStats`.
use bson::{Bson, Document, doc};

use crate::command::reply::{BatchKind, Reply, cursor_reply, encode_all};
use crate::command::{bool_arg, coll_arg, doc_arg};
use crate::engine::Engine;
use crate::error::{CmdResult, CommandError, code};
use crate::query::filter::Filter;

/// `listDatabases`.
pub(crate) fn list_databases(engine: &mut Engine, cmd: &Document) -> CmdResult<Document> {
    let filter = match doc_arg(cmd, "filter")? {
        Some(f) => Filter::new(f)?,
        None => Filter::all(),
    };
    let name_only = bool_arg(cmd, "nameOnly");
    let mut dbs = Vec::new();
    let mut total: i64 = 0;
    for name in engine.db_names() {
        let size: i64 = engine
            .collections(&name)
            .iter()
            .flat_map(|(_, c)| c.records().map(|(_, d)| d.size() as i64))
            .sum();
        let entry = if name_only {
            doc! { "name": name.clone() }
        } else {
            doc! { "name": name.clone(), "sizeOnDisk": size.max(8192), "empty": false }
        };
        if filter.matches(&entry) {
            total += size.max(8192);
            dbs.push(Bson::Document(entry));
        }
    }
    if name_only {
        return Ok(doc! { "databases": dbs });
    }
    Ok(doc! { "databases": dbs, "totalSize": total, "totalSizeMb": total / (1024 * 1024) })
}

/// `listCollections`.
pub(crate) fn list_collections(engine: &mut Engine, db: &str, cmd: &Document) -> CmdResult<Reply> {
    let filter = match doc_arg(cmd, "filter")? {
        Some(f) => Filter::new(f)?,
        None => Filter::all(),
    };
    let name_only = bool_arg(cmd, "nameOnly");
    let mut entries = Vec::new();
    for (name, c) in engine.collections(db) {
        let full = doc! {
            "name": name.clone(),
            "type": "collection",
            "options": c.options.clone(),
            "info": { "readOnly": false, "uuid": c.uuid },
            "idIndex": { "v": 2, "key": { "_id": 1 }, "name": "_id_" },
        };
        if filter.matches(&full) {
            entries.push(if name_only {
                doc! { "name": name.clone(), "type": "collection" }
            } else {
                full
            });
        }
    }
    let ns = format!("{db}.$cmd.listCollections");
    let batch_size = doc_arg(cmd, "cursor")?
        .and_then(|c| c.get("batchSize"))
        .and_then(crate::value::as_i64)
        .map(|n| n as usize);
    let entries = encode_all(entries)?;
    let (batch, id) = engine.cursors.open(&ns, entries, batch_size.or(Some(usize::MAX)), false);
    cursor_reply(&ns, BatchKind::First, &batch, id)
}

/// `create`.
pub(crate) fn create(engine: &mut Engine, db: &str, cmd: &Document) -> CmdResult<Document> {
    let name = coll_arg(cmd)?;
    let mut options = Document::new();
    for (k, v) in cmd.iter().skip(1) {
        if !k.starts_with('$')
            && !matches!(k.as_str(), "lsid" | "writeConcern" | "txnNumber" | "comment")
        {
            options.insert(k.clone(), v.clone());
        }
    }
    // Like mongod 7+, creating an existing collection with the same options succeeds.
    engine.create(db, &name, options)?;
    Ok(doc! {})
}

/// `drop`.
pub(crate) fn drop(engine: &mut Engine, db: &str, cmd: &Document) -> CmdResult<Document> {
    let name = coll_arg(cmd)?;
    let n = engine.coll(db, &name).map(|c| c.indexes.len() as i32);
    // Like mongod 7+, dropping a missing collection succeeds.
    if !engine.drop_coll(db, &name) {
        return Ok(doc! {});
    }
    Ok(doc! { "nIndexesWas": n.unwrap_or(0), "ns": format!("{db}.{name}") })
}

/// `dropDatabase`.
pub(crate) fn drop_database(engine: &mut Engine, db: &str) -> CmdResult<Document> {
    engine.drop_db(db);
    Ok(doc! { "dropped": db })
}

/// `renameCollection` (run against `admin`).
pub(crate) fn rename_collection(
    engine: &mut Engine,
    _db: &str,
    cmd: &Document,
) -> CmdResult<Document> {
    let from = match cmd.get("renameCollection") {
        Some(Bson::String(s)) => s.clone(),
        _ => {
            return Err(CommandError::type_mismatch("renameCollection must be a string namespace"));
        }
    };
    let to = match cmd.get("to") {
        Some(Bson::String(s)) => s.clone(),
        _ => return Err(CommandError::type_mismatch("'to' must be a string namespace")),
    };
    let split = |ns: &str| -> CmdResult<(String, String)> {
        ns.split_once('.').map(|(a, b)| (a.to_string(), b.to_string())).ok_or_else(|| {
            CommandError::new(
                code::INVALID_NAMESPACE,
                format!("Invalid namespace specified '{ns}'"),
            )
        })
    };
    let (fdb, fcoll) = split(&from)?;
    let (tdb, tcoll) = split(&to)?;
    engine.rename((&fdb, &fcoll), (&tdb, &tcoll), bool_arg(cmd, "dropTarget"))?;
    Ok(doc! {})
}

/// `collStats` / `dbStats` (approximate).
pub(crate) fn stats(engine: &mut Engine, db: &str, cmd: &Document) -> CmdResult<Document> {
    if crate::command::command_name(cmd) == "dbStats" {
        let colls = engine.collections(db);
        let objects: usize = colls.iter().map(|(_, c)| c.len()).sum();
        return Ok(
            doc! { "db": db, "collections": colls.len() as i32, "objects": objects as i64, "dataSize": 0.0, "storageSize": 0.0, "indexes": colls.iter().map(|(_, c)| c.indexes.len() as i32).sum::<i32>() },
        );
    }
    let name = coll_arg(cmd)?;
    let c = engine.coll(db, &name);
    let count = c.map_or(0, |c| c.len());
    let size: i64 = c.map_or(0, |c| c.records().map(|(_, d)| d.size() as i64).sum());
    Ok(
        doc! { "ns": format!("{db}.{name}"), "count": count as i64, "size": size, "storageSize": size, "nindexes": c.map_or(0, |c| c.indexes.len() as i32) },
    )
}
