//! Index commands: `createIndexes`, `listIndexes`, `dropIndexes`.
use bson::{Bson, Document, doc};

use crate::command::reply::{BatchKind, Reply, cursor_reply, encode_all};
use crate::command::{coll_arg, doc_arg};
use crate::engine::Engine;
use crate::error::{CmdResult, CommandError, code};
use crate::index::IndexSpec;

/// `createIndexes`.
pub(crate) fn create_indexes(engine: &mut Engine, db: &str, cmd: &Document) -> CmdResult<Document> {
    let coll = coll_arg(cmd)?;
    crate::engine::check_coll_name(db, &coll)?;
    let specs = match cmd.get("indexes") {
        Some(Bson::Array(a)) if !a.is_empty() => a,
        Some(Bson::Array(_)) => {
            return Err(CommandError::bad_value("Must specify at least one index to create"));
        }
        _ => {
            return Err(CommandError::failed_to_parse(
                "BSON field 'createIndexes.indexes' is missing but a required field",
            ));
        }
    };
    let mut parsed = Vec::new();
    for s in specs {
        let Bson::Document(d) = s else {
            return Err(CommandError::type_mismatch("indexes entries must be objects"));
        };
        parsed.push(IndexSpec::parse(d)?);
    }
    let existed = engine.coll(db, &coll).is_some();
    let before = engine.coll(db, &coll).map_or(1, |c| c.indexes.len()) as i32;
    let mut created_any = false;
    for spec in parsed {
        if engine.create_index(db, &coll, spec)? {
            created_any = true;
        }
    }
    let after = engine.coll(db, &coll).map_or(1, |c| c.indexes.len()) as i32;
    let mut reply = doc! { "numIndexesBefore": before, "numIndexesAfter": after, "createdCollectionAutomatically": !existed };
    if !created_any {
        reply.insert("note", "all indexes already exist");
    }
    Ok(reply)
}

/// `listIndexes`.
pub(crate) fn list_indexes(engine: &mut Engine, db: &str, cmd: &Document) -> CmdResult<Reply> {
    let coll = coll_arg(cmd)?;
    let Some(c) = engine.coll(db, &coll) else {
        return Err(CommandError::new(
            code::NAMESPACE_NOT_FOUND,
            format!("ns does not exist: {db}.{coll}"),
        ));
    };
    let entries: Vec<Document> = c.indexes.iter().map(|i| i.spec.to_list_entry()).collect();
    let ns = format!("{db}.{coll}");
    let batch_size = doc_arg(cmd, "cursor")?
        .and_then(|c| c.get("batchSize"))
        .and_then(crate::value::as_i64)
        .map(|n| n as usize);
    let entries = encode_all(entries)?;
    let (batch, id) = engine.cursors.open(&ns, entries, batch_size.or(Some(usize::MAX)), false);
    cursor_reply(&ns, BatchKind::First, &batch, id)
}

/// `dropIndexes`.
pub(crate) fn drop_indexes(engine: &mut Engine, db: &str, cmd: &Document) -> CmdResult<Document> {
    let coll = coll_arg(cmd)?;
    let Some(c) = engine.coll(db, &coll) else {
        return Err(CommandError::new(
            code::NAMESPACE_NOT_FOUND,
            format!("ns not found {db}.{coll}"),
        ));
    };
    let was = c.indexes.len() as i32;
    let names: Vec<String> = match cmd.get("index") {
        Some(Bson::String(s)) if s == "*" => {
            c.indexes.iter().map(|i| i.spec.name.clone()).filter(|n| n != "_id_").collect()
        }
        Some(Bson::String(s)) => vec![s.clone()],
        Some(Bson::Array(a)) => a
            .iter()
            .map(|x| match x {
                Bson::String(s) => Ok(s.clone()),
                _ => {
                    Err(CommandError::type_mismatch("dropIndexes index list must contain strings"))
                }
            })
            .collect::<CmdResult<_>>()?,
        Some(Bson::Document(k)) => {
            let found = c.indexes.iter().find(|i| &i.spec.key == k).ok_or_else(|| {
                CommandError::new(code::INDEX_NOT_FOUND, format!("can't find index with key: {k}"))
            })?;
            vec![found.spec.name.clone()]
        }
        _ => {
            return Err(CommandError::type_mismatch(
                "BSON field 'dropIndexes.index' is missing or has the wrong type",
            ));
        }
    };
    for n in &names {
        if n == "_id_" {
            return Err(CommandError::new(code::INVALID_OPTIONS, "cannot drop _id index"));
        }
        if !c.indexes.iter().any(|i| &i.spec.name == n) {
            return Err(CommandError::new(
                code::INDEX_NOT_FOUND,
                format!("index not found with name [{n}]"),
            ));
        }
    }
    for n in names {
        engine.drop_index(db, &coll, &n)?;
    }
    Ok(doc! { "nIndexesWas": was })
}
