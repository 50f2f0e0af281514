//! Stages that write the pipeline's results: `$out` and `$merge`.
use bson::{Bson, Document, doc};

use crate::aggregate::expr::{self, Vars};
use crate::aggregate::stage;
use crate::engine::{Engine, check_coll_name, prepare_new_doc};
use crate::error::{CmdResult, CommandError, code};
use crate::query::filter::Filter;
use crate::sort::SortSpec;
use crate::value::{type_alias, values_equal};

/// A target of `$out`/`$merge`: a collection name, or `{db, coll}`.
fn target(v: &Bson, db: &str, stage: &str) -> CmdResult<(String, String)> {
    match v {
        Bson::String(s) => Ok((db.to_string(), s.clone())),
        Bson::Document(d) => {
            let coll = d.get_str("coll").map_err(|_| {
                CommandError::failed_to_parse(format!("{stage} needs a 'coll' string"))
            })?;
            let in_db = match d.get("db") {
                None => db,
                Some(Bson::String(s)) => s.as_str(),
                Some(other) => {
                    return Err(CommandError::failed_to_parse(format!(
                        "{stage} 'db' must be a string, is type {}",
                        type_alias(other)
                    )));
                }
            };
            Ok((in_db.to_string(), coll.to_string()))
        }
        other => Err(CommandError::failed_to_parse(format!(
            "{stage} takes a collection name or an object, not {}",
            type_alias(other)
        ))),
    }
}

static TEMP_SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// `$out`: replaces the target collection with the results, keeping its indexes. The results
/// go to a temporary collection first, so a failed write leaves the target as it was.
pub(crate) fn out(engine: &mut Engine, db: &str, docs: Vec<Document>, arg: &Bson) -> CmdResult<()> {
    let (tdb, tcoll) = target(arg, db, "$out")?;
    check_coll_name(&tdb, &tcoll)?;
    if tcoll.starts_with("system.") {
        return Err(CommandError::new(
            code::INVALID_NAMESPACE,
            format!("Invalid $out target namespace, {tdb}.{tcoll}"),
        ));
    }
    let seq = TEMP_SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temp = format!("tmp.agg_out.{seq}");
    let (options, specs) = match engine.coll(&tdb, &tcoll) {
        Some(c) => (
            c.options.clone(),
            c.indexes.iter().filter(|i| i.spec.name != "_id_").map(|i| i.spec.clone()).collect(),
        ),
        None => (Document::new(), Vec::new()),
    };
    engine.create(&tdb, &temp, options)?;
    let filled = (|| -> CmdResult<()> {
        for spec in specs {
            engine.create_index(&tdb, &temp, spec)?;
        }
        for d in docs {
            engine.insert(&tdb, &temp, d)?;
        }
        Ok(())
    })();
    if let Err(e) = filled {
        engine.drop_coll(&tdb, &temp);
        return Err(e);
    }
    engine.rename((&tdb, &temp), (&tdb, &tcoll), true)
}

#[derive(Debug)]
enum WhenMatched {
    Replace,
    KeepExisting,
    Merge,
    Fail,
    Pipeline(Vec<Document>),
}

/// `$merge`: writes each result into the target, matched on the `on` fields.
pub(crate) fn merge(
    engine: &mut Engine,
    db: &str,
    docs: Vec<Document>,
    arg: &Bson,
    vars: &Vars,
) -> CmdResult<()> {
    let spec = match arg {
        Bson::String(s) => doc! { "into": s.clone() },
        Bson::Document(d) => d.clone(),
        other => {
            return Err(CommandError::failed_to_parse(format!(
                "$merge takes a collection name or an object, not {}",
                type_alias(other)
            )));
        }
    };
    for k in spec.keys() {
        if !matches!(k.as_str(), "into" | "on" | "let" | "whenMatched" | "whenNotMatched") {
            return Err(CommandError::failed_to_parse(format!(
                "BSON field '$merge.{k}' is an unknown field."
            )));
        }
    }
    let (tdb, tcoll) = target(
        spec.get("into")
            .ok_or_else(|| CommandError::failed_to_parse("BSON field '$merge.into' is missing"))?,
        db,
        "$merge",
    )?;
    check_coll_name(&tdb, &tcoll)?;
    let on: Vec<String> = match spec.get("on") {
        None => vec!["_id".to_string()],
        Some(Bson::String(s)) => vec![s.clone()],
        Some(Bson::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|x| match x {
                Bson::String(s) => Ok(s.clone()),
                _ => {
                    Err(CommandError::failed_to_parse("$merge 'on' array elements must be strings"))
                }
            })
            .collect::<CmdResult<_>>()?,
        Some(_) => {
            return Err(CommandError::failed_to_parse(
                "$merge 'on' must be a string or a non-empty array of strings",
            ));
        }
    };
    let when_matched = match spec.get("whenMatched") {
        None => WhenMatched::Merge,
        Some(Bson::String(s)) => match s.as_str() {
            "replace" => WhenMatched::Replace,
            "keepExisting" => WhenMatched::KeepExisting,
            "merge" => WhenMatched::Merge,
            "fail" => WhenMatched::Fail,
            other => {
                return Err(CommandError::bad_value(format!(
                    "Enumeration value '{other}' for field '$merge.whenMatched' is not a valid value."
                )));
            }
        },
        Some(Bson::Array(a)) => {
            let mut stages = Vec::with_capacity(a.len());
            for s in a {
                let Bson::Document(d) = s else {
                    return Err(CommandError::failed_to_parse(
                        "$merge whenMatched pipeline stages must be objects",
                    ));
                };
                let (n, _) = stage::split_stage(d)?;
                if !matches!(
                    n,
                    "$addFields" | "$set" | "$project" | "$unset" | "$replaceRoot" | "$replaceWith"
                ) {
                    return Err(CommandError::new(
                        code::INVALID_OPTIONS,
                        format!("{n} is not allowed to be used within an update"),
                    ));
                }
                stages.push(d.clone());
            }
            WhenMatched::Pipeline(stages)
        }
        Some(other) => {
            return Err(CommandError::type_mismatch(format!(
                "$merge 'whenMatched' must be a string or an array, not {}",
                type_alias(other)
            )));
        }
    };
    let when_not = spec.get_str("whenNotMatched").unwrap_or("insert");
    if !matches!(when_not, "insert" | "discard" | "fail") {
        return Err(CommandError::bad_value(format!(
            "Enumeration value '{when_not}' for field '$merge.whenNotMatched' is not a valid value."
        )));
    }
    let lets = match spec.get("let") {
        None => None,
        Some(Bson::Document(l)) => Some(l.clone()),
        Some(_) => return Err(CommandError::failed_to_parse("$merge 'let' must be an object")),
    };
    if lets.is_some() && !matches!(when_matched, WhenMatched::Pipeline(_)) {
        return Err(CommandError::failed_to_parse(
            "Cannot use 'let' variables with 'whenMatched: replace/merge/keepExisting/fail' mode",
        ));
    }
    for mut d in docs {
        if on.iter().any(|f| f == "_id") && !d.contains_key("_id") {
            prepare_new_doc(&mut d)?;
        }
        let mut key = Document::new();
        for f in &on {
            match crate::query::path::get(&d, f) {
                None | Some(Bson::Null | Bson::Undefined | Bson::Array(_)) => {
                    return Err(CommandError::new(
                        51132,
                        format!(
                            "$merge write error: 'on' field '{f}' cannot be missing, null, undefined or an array"
                        ),
                    ));
                }
                Some(v) => {
                    key.insert(f.clone(), v.clone());
                }
            }
        }
        let existing = find_one(engine, &tdb, &tcoll, &key)?;
        match existing {
            None => match when_not {
                "insert" => engine.insert(&tdb, &tcoll, d)?,
                "discard" => {}
                _ => {
                    return Err(CommandError::new(
                        13113,
                        "$merge could not find a matching document in the target collection for at least one document in the source collection",
                    ));
                }
            },
            Some((rid, old)) => {
                let new = match &when_matched {
                    WhenMatched::KeepExisting => continue,
                    WhenMatched::Fail => {
                        return Err(CommandError::new(
                            code::DUPLICATE_KEY,
                            format!(
                                "$merge with whenMatched: fail found an existing document with the same values for the 'on' fields: {key}"
                            ),
                        )
                        .with_extra(doc! { "keyValue": key.clone() }));
                    }
                    WhenMatched::Replace => d,
                    WhenMatched::Merge => {
                        let mut m = old.clone();
                        for (k, v) in d {
                            m.insert(k, v);
                        }
                        m
                    }
                    WhenMatched::Pipeline(stages) => {
                        let mut v = vars.clone();
                        match &lets {
                            None => v.set("new", Bson::Document(d.clone())),
                            Some(l) => {
                                for (name, e) in l {
                                    let x = expr::eval(e, &d, vars)?;
                                    v.set(name, x);
                                }
                            }
                        }
                        let mut cur = old.clone();
                        for s in stages {
                            cur = stage::apply_doc_stage_with(s, &cur, &v)?;
                        }
                        cur
                    }
                };
                let new = keep_id(&old, new)?;
                engine.replace(&tdb, &tcoll, rid, new)?;
            }
        }
    }
    Ok(())
}

/// `new` with the `_id` of `old` first; a different `_id` is an error, as in an update.
fn keep_id(old: &Document, new: Document) -> CmdResult<Document> {
    let id = old.get("_id").cloned().unwrap_or(Bson::Null);
    if let Some(nid) = new.get("_id")
        && !values_equal(nid, &id)
    {
        return Err(CommandError::new(
            code::IMMUTABLE_FIELD,
            "$merge failed to update the matching document, did you attempt to modify the _id or the shard key? :: caused by :: Performing an update on the path '_id' would modify the immutable field '_id'",
        ));
    }
    let mut out = Document::new();
    out.insert("_id", id);
    for (k, v) in new {
        if k != "_id" {
            out.insert(k, v);
        }
    }
    Ok(out)
}

/// The first document of `db.coll` equal to `key` on its fields.
fn find_one(
    engine: &Engine,
    db: &str,
    coll: &str,
    key: &Document,
) -> CmdResult<Option<(crate::index::RecordId, Document)>> {
    let Some(c) = engine.coll(db, coll) else { return Ok(None) };
    let mut q = Document::new();
    for (k, v) in key {
        q.insert(k.clone(), doc! { "$eq": v.clone() });
    }
    let filter = Filter::new(&q)?;
    let (_, rids) = c.plan(&filter, &SortSpec::default(), None)?;
    for rid in rids {
        if let Some(d) = c.get(rid)
            && filter.matches(d)
        {
            return Ok(Some((rid, d.clone())));
        }
    }
    Ok(None)
}
