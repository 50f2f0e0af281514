//! Pipeline stages: each takes the documents of the previous stage and returns its own.
use std::collections::BTreeMap;

use bson::{Bson, Document, doc};

use crate::aggregate::expr::{self, Vars};
use crate::aggregate::{join, output};
use crate::engine::Engine;
use crate::error::{CmdResult, CommandError, code};
use crate::projection::{Projection, set_dotted};
use crate::query::filter::Filter;
use crate::sort::SortSpec;
use crate::value::{self, OrdBson, add_numbers, compare};

/// The name and argument of a stage document, checking it has exactly one field.
pub(crate) fn split_stage(stage: &Document) -> CmdResult<(&str, &Bson)> {
    if stage.len() != 1 {
        return Err(CommandError::new(
            40323,
            "A pipeline stage specification object must contain exactly one field.",
        ));
    }
    match stage.iter().next() {
        Some((k, v)) => Ok((k.as_str(), v)),
        None => Err(CommandError::new(
            40323,
            "A pipeline stage specification object must contain exactly one field.",
        )),
    }
}

/// Runs `stages` over `docs`; a final `$out` or `$merge` writes the results.
pub(crate) fn run(
    engine: &mut Engine,
    db: &str,
    docs: Vec<Document>,
    stages: &[Document],
    vars: &Vars,
) -> CmdResult<Vec<Document>> {
    validate(stages)?;
    if let Some((last, head)) = stages.split_last() {
        let (name, arg) = split_stage(last)?;
        if name == "$out" || name == "$merge" {
            let mut docs = run_read(engine, db, docs, head, vars)?;
            expr::strip_meta(&mut docs);
            if name == "$out" {
                output::out(engine, db, docs, arg)?;
            } else {
                output::merge(engine, db, docs, arg, vars)?;
            }
            return Ok(Vec::new());
        }
    }
    let mut docs = run_read(engine, db, docs, stages, vars)?;
    expr::strip_meta(&mut docs);
    Ok(docs)
}

/// Runs stages that only read (everything but `$out` and `$merge`).
pub(crate) fn run_read(
    engine: &Engine,
    db: &str,
    mut docs: Vec<Document>,
    stages: &[Document],
    vars: &Vars,
) -> CmdResult<Vec<Document>> {
    for (i, s) in stages.iter().enumerate() {
        docs = apply_stage(engine, db, docs, s, i, vars)?;
    }
    Ok(docs)
}

/// Runs a sub-pipeline: over the documents of `coll` (a leading `$match` filters them while
/// they are read), or over nothing when the pipeline starts with `$documents`.
pub(crate) fn run_on(
    engine: &Engine,
    db: &str,
    coll: Option<&str>,
    stages: &[Document],
    vars: &Vars,
) -> CmdResult<Vec<Document>> {
    validate(stages)?;
    let Some(coll) = coll else {
        return run_read(engine, db, Vec::new(), stages, vars);
    };
    let mut rest = stages;
    let mut filter = None;
    if let Some(first) = stages.first()
        && let Some(Bson::Document(m)) = first.get("$match")
    {
        filter = Some(Filter::with_vars(m, vars)?);
        rest = &stages[1..];
    }
    let docs = match engine.coll(db, coll) {
        None => Vec::new(),
        Some(c) => c
            .iter()
            .filter(|(_, d)| filter.as_ref().is_none_or(|f| f.matches(d)))
            .map(|(_, d)| d.clone())
            .collect(),
    };
    run_read(engine, db, docs, rest, vars)
}

/// Checks stage names and positions up front, so a bad pipeline fails even on an empty
/// collection.
pub(crate) fn validate(stages: &[Document]) -> CmdResult<()> {
    for (i, s) in stages.iter().enumerate() {
        let (name, _) = split_stage(s)?;
        if !KNOWN.contains(&name) {
            return Err(CommandError::new(
                code::UNKNOWN_PIPELINE_STAGE,
                format!("Unrecognized pipeline stage name: '{name}'"),
            ));
        }
        if (name == "$out" || name == "$merge") && i + 1 != stages.len() {
            return Err(CommandError::new(
                40601,
                format!("{name} can only be the final stage in the pipeline"),
            ));
        }
        if FIRST_ONLY.contains(&name) && i != 0 {
            return Err(CommandError::new(
                40602,
                format!("{name} is only valid as the first stage in a pipeline"),
            ));
        }
    }
    Ok(())
}

const KNOWN: &[&str] = &[
    "$match",
    "$sort",
    "$skip",
    "$limit",
    "$project",
    "$count",
    "$group",
    "$addFields",
    "$set",
    "$unset",
    "$replaceRoot",
    "$replaceWith",
    "$unwind",
    "$sortByCount",
    "$sample",
    "$lookup",
    "$graphLookup",
    "$unionWith",
    "$facet",
    "$documents",
    "$out",
    "$merge",
    "$vectorSearch",
    "$search",
    "$listSearchIndexes",
];

const FIRST_ONLY: &[&str] = &["$documents", "$vectorSearch", "$search", "$listSearchIndexes"];

/// Applies one stage; `pos` is its position in its pipeline.
pub(crate) fn apply_stage(
    engine: &Engine,
    db: &str,
    docs: Vec<Document>,
    stage: &Document,
    pos: usize,
    vars: &Vars,
) -> CmdResult<Vec<Document>> {
    let (name, arg) = split_stage(stage)?;
    match name {
        "$match" => {
            let Bson::Document(q) = arg else {
                return Err(CommandError::new(
                    15959,
                    "the match filter must be an expression in an object",
                ));
            };
            let f = Filter::with_vars(q, vars)?;
            Ok(docs.into_iter().filter(|d| f.matches(d)).collect())
        }
        "$sort" => {
            let Bson::Document(s) = arg else {
                return Err(CommandError::new(
                    15973,
                    "the $sort key specification must be an object",
                ));
            };
            let spec = SortSpec::parse(s)?;
            if spec.is_empty() {
                return Err(CommandError::new(
                    15976,
                    "$sort stage must have at least one sort key",
                ));
            }
            let mut docs = docs;
            spec.sort_docs(&mut docs);
            Ok(docs)
        }
        "$skip" => {
            let n = value::as_i64(arg).filter(|n| *n >= 0).ok_or_else(|| {
                CommandError::new(
                    15956,
                    "invalid argument to $skip stage: Expected a non-negative number",
                )
            })?;
            Ok(docs.into_iter().skip(n as usize).collect())
        }
        "$limit" => {
            let n = value::as_i64(arg)
                .filter(|n| *n > 0)
                .ok_or_else(|| CommandError::new(15958, "the limit must be positive"))?;
            Ok(docs.into_iter().take(n as usize).collect())
        }
        "$count" => {
            let Bson::String(field) = arg else {
                return Err(CommandError::new(40156, "the count field must be a non-empty string"));
            };
            if field.is_empty() || field.starts_with('$') || field.contains('.') {
                return Err(CommandError::new(
                    40158,
                    "the count field must be a non-empty string without '$' or '.'",
                ));
            }
            if docs.is_empty() {
                return Ok(Vec::new());
            }
            let n = docs.len();
            let v = i32::try_from(n).map(Bson::Int32).unwrap_or(Bson::Int64(n as i64));
            let mut d = Document::new();
            d.insert(field.clone(), v);
            Ok(vec![d])
        }
        "$group" => {
            let Bson::Document(spec) = arg else {
                return Err(CommandError::new(
                    15947,
                    "a group's fields must be specified in an object",
                ));
            };
            group(&docs, spec, vars)
        }
        "$sortByCount" => {
            let grouped = group(&docs, &doc! { "_id": arg.clone(), "count": { "$sum": 1 } }, vars)?;
            let mut grouped = grouped;
            SortSpec::parse(&doc! { "count": -1 })?.sort_docs(&mut grouped);
            Ok(grouped)
        }
        "$unwind" => unwind(docs, arg),
        "$sample" => sample(docs, arg),
        "$lookup" => join::lookup(engine, db, docs, arg, vars),
        "$graphLookup" => join::graph_lookup(engine, db, docs, arg, vars),
        "$unionWith" => join::union_with(engine, db, docs, arg, vars),
        "$facet" => facet(engine, db, docs, arg, vars),
        "$documents" => {
            if pos != 0 {
                return Err(CommandError::new(
                    40602,
                    "$documents is only valid as the first stage in a pipeline",
                ));
            }
            documents(arg, vars)
        }
        "$vectorSearch" | "$search" | "$listSearchIndexes" => Err(CommandError::new(
            40602,
            format!("{name} is only valid as the first stage of a pipeline on a collection"),
        )),
        "$out" | "$merge" => Err(CommandError::new(
            51047,
            format!("{name} is not allowed within a $lookup, $facet or $unionWith pipeline"),
        )),
        _ => docs.iter().map(|d| apply_doc_stage_with(stage, d, vars)).collect(),
    }
}

/// The output of `$documents`: its expression, evaluated to an array of documents.
fn documents(arg: &Bson, vars: &Vars) -> CmdResult<Vec<Document>> {
    match expr::eval(arg, &Document::new(), vars)? {
        Bson::Array(a) => a
            .into_iter()
            .map(|x| match x {
                Bson::Document(d) => Ok(d),
                _ => Err(CommandError::new(40228, "$documents expects an array of objects")),
            })
            .collect(),
        _ => Err(CommandError::new(5858203, "an array is expected for $documents")),
    }
}

/// `$facet`: each branch runs over the same input; one document of arrays comes out.
fn facet(
    engine: &Engine,
    db: &str,
    docs: Vec<Document>,
    arg: &Bson,
    vars: &Vars,
) -> CmdResult<Vec<Document>> {
    let Bson::Document(spec) = arg else {
        return Err(CommandError::new(15955, "$facet requires an object"));
    };
    if spec.is_empty() {
        return Err(CommandError::new(
            40169,
            "the $facet specification must be a non-empty object",
        ));
    }
    let mut out = Document::new();
    for (name, p) in spec {
        let Bson::Array(items) = p else {
            return Err(CommandError::new(
                40170,
                format!(
                    "arguments to $facet must be arrays, {name} is type {}",
                    value::type_alias(p)
                ),
            ));
        };
        let mut stages = Vec::with_capacity(items.len());
        for it in items {
            let Bson::Document(st) = it else {
                return Err(CommandError::new(40171, "subpipeline stages must be objects"));
            };
            let (sname, _) = split_stage(st)?;
            if matches!(
                sname,
                "$out"
                    | "$merge"
                    | "$facet"
                    | "$documents"
                    | "$vectorSearch"
                    | "$search"
                    | "$listSearchIndexes"
            ) {
                return Err(CommandError::new(
                    40600,
                    format!("{sname} is not allowed to be used within a $facet stage"),
                ));
            }
            stages.push(st.clone());
        }
        validate(&stages)?;
        let res = run_read(engine, db, docs.clone(), &stages, vars)?;
        out.insert(name.clone(), res.into_iter().map(Bson::Document).collect::<Vec<_>>());
    }
    Ok(vec![out])
}

/// `$sample`: `size` documents picked at random.
fn sample(docs: Vec<Document>, arg: &Bson) -> CmdResult<Vec<Document>> {
    let size = match arg {
        Bson::Document(d) => d.get("size").and_then(value::as_i64),
        _ => None,
    };
    let Some(size) = size.filter(|n| *n >= 0) else {
        return Err(CommandError::new(
            28749,
            "size argument to $sample must be a non-negative number",
        ));
    };
    let mut docs = docs;
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x9E37_79B9_7F4A_7C15)
        | 1;
    let n = docs.len();
    let k = (size as usize).min(n);
    for i in 0..k {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let j = i + (seed % (n - i) as u64) as usize;
        docs.swap(i, j);
    }
    docs.truncate(k);
    Ok(docs)
}

/// Applies a one-document-in, one-document-out stage (the stages allowed in pipeline updates).
pub(crate) fn apply_doc_stage(stage: &Document, d: &Document) -> CmdResult<Document> {
    apply_doc_stage_with(stage, d, &Vars::default())
}

/// Applies a one-document stage with the variables `vars` visible to its expressions.
pub(crate) fn apply_doc_stage_with(
    stage: &Document,
    d: &Document,
    vars: &Vars,
) -> CmdResult<Document> {
    let (name, arg) = split_stage(stage)?;
    match name {
        "$addFields" | "$set" => {
            let Bson::Document(spec) = arg else {
                return Err(CommandError::new(
                    40272,
                    format!("{name} specification stage must be an object"),
                ));
            };
            let mut out = d.clone();
            for (k, e) in spec {
                let v = expr::eval(e, d, vars)?;
                if expr::is_remove(&v) {
                    remove_dotted(&mut out, k);
                } else {
                    set_dotted(&mut out, k, v);
                }
            }
            Ok(out)
        }
        "$unset" => {
            let fields: Vec<String> = match arg {
                Bson::String(s) => vec![s.clone()],
                Bson::Array(a) => a
                    .iter()
                    .map(|x| match x {
                        Bson::String(s) => Ok(s.clone()),
                        _ => Err(CommandError::new(31120, "$unset specification must be a string or an array containing only string values")),
                    })
                    .collect::<CmdResult<_>>()?,
                _ => return Err(CommandError::new(31002, "$unset specification must be a string or an array")),
            };
            let mut spec = Document::new();
            for f in fields {
                spec.insert(f, 0);
            }
            Projection::new(&spec, false)?.apply(d, None)
        }
        "$project" => {
            let Bson::Document(spec) = arg else {
                return Err(CommandError::new(15969, "$project specification must be an object"));
            };
            if spec.is_empty() {
                return Err(CommandError::new(
                    51272,
                    "projection specification must have at least one field",
                ));
            }
            let mut out = Projection::new(spec, false)?.apply_with(d, None, vars)?;
            for k in [expr::VECTOR_SCORE, expr::SEARCH_SCORE] {
                if let Some(v) = d.get(k)
                    && !out.contains_key(k)
                {
                    out.insert(k, v.clone());
                }
            }
            Ok(out)
        }
        "$replaceRoot" | "$replaceWith" => {
            let e = if name == "$replaceRoot" {
                match arg {
                    Bson::Document(x) => x.get("newRoot").cloned().ok_or_else(|| {
                        CommandError::new(40231, "no newRoot specified for the $replaceRoot stage")
                    })?,
                    _ => {
                        return Err(CommandError::new(
                            40229,
                            "expected an object as specification for $replaceRoot stage",
                        ));
                    }
                }
            } else {
                arg.clone()
            };
            match expr::eval(&e, d, vars)? {
                Bson::Document(x) => Ok(x),
                other => Err(CommandError::new(
                    40228,
                    format!(
                        "'newRoot' expression must evaluate to an object, but resulting value was: {other}. Type of resulting value: '{}'",
                        value::type_alias(&other)
                    ),
                )),
            }
        }
        other => Err(CommandError::new(
            code::UNKNOWN_PIPELINE_STAGE,
            format!("Unrecognized pipeline stage name: '{other}'"),
        )),
    }
}

fn remove_dotted(doc: &mut Document, p: &str) {
    match p.split_once('.') {
        None => {
            doc.remove(p);
        }
        Some((h, rest)) => {
            if let Some(Bson::Document(d)) = doc.get_mut(h) {
                remove_dotted(d, rest);
            }
        }
    }
}

#[derive(Debug)]
enum Acc {
    Sum(Bson),
    Avg(Bson, usize),
    Min(Option<Bson>),
    Max(Option<Bson>),
    First(Option<Bson>),
    Last(Bson),
    Push(Vec<Bson>),
    AddToSet(Vec<Bson>),
    Count(i64),
}

/// `$group` over borrowed documents (so a leading `$group` reads the collection in place).
pub(crate) fn group<'a>(
    docs: impl IntoIterator<Item = &'a Document>,
    spec: &Document,
    vars: &Vars,
) -> CmdResult<Vec<Document>> {
    let id_expr = spec
        .get("_id")
        .ok_or_else(|| CommandError::new(15955, "a group specification must include an _id"))?;
    let mut accs: Vec<(String, String, Bson)> = Vec::new();
    for (k, v) in spec {
        if k == "_id" {
            continue;
        }
        let Bson::Document(a) = v else {
            return Err(CommandError::new(
                40234,
                format!("The field '{k}' must be an accumulator object"),
            ));
        };
        let (op, arg) = match (a.len(), a.iter().next()) {
            (1, Some((op, arg))) => (op.clone(), arg.clone()),
            _ => {
                return Err(CommandError::new(
                    40238,
                    format!("The field '{k}' must specify one accumulator"),
                ));
            }
        };
        if !matches!(
            op.as_str(),
            "$sum"
                | "$avg"
                | "$min"
                | "$max"
                | "$first"
                | "$last"
                | "$push"
                | "$addToSet"
                | "$count"
        ) {
            return Err(CommandError::new(15952, format!("unknown group operator '{op}'")));
        }
        accs.push((k.clone(), op, arg));
    }
    let mut order: Vec<(Bson, Vec<Acc>)> = Vec::new();
    let mut index: BTreeMap<OrdBson, usize> = BTreeMap::new();
    for d in docs {
        let mut key = expr::eval(id_expr, d, vars)?;
        if expr::is_remove(&key) {
            key = Bson::Null;
        }
        let slot = match index.get(&OrdBson(key.clone())) {
            Some(i) => *i,
            None => {
                let fresh = accs
                    .iter()
                    .map(|(_, op, _)| match op.as_str() {
                        "$sum" => Acc::Sum(Bson::Int32(0)),
                        "$avg" => Acc::Avg(Bson::Int32(0), 0),
                        "$min" => Acc::Min(None),
                        "$max" => Acc::Max(None),
                        "$first" => Acc::First(None),
                        "$last" => Acc::Last(Bson::Null),
                        "$push" => Acc::Push(Vec::new()),
                        "$addToSet" => Acc::AddToSet(Vec::new()),
                        _ => Acc::Count(0),
                    })
                    .collect();
                order.push((key.clone(), fresh));
                index.insert(OrdBson(key), order.len() - 1);
                order.len() - 1
            }
        };
        for (i, (_, _, arg)) in accs.iter().enumerate() {
            let acc = &mut order[slot].1[i];
            if let Acc::Count(n) = acc {
                *n += 1;
                continue;
            }
            let v = expr::eval(arg, d, vars)?;
            match acc {
                Acc::Sum(s) => {
                    let items: Vec<&Bson> = match &v {
                        Bson::Array(_) => Vec::new(),
                        x => vec![x],
                    };
                    for x in items {
                        if value::is_number(x) {
                            *s = add_numbers(s, x).unwrap_or(s.clone());
                        }
                    }
                }
                Acc::Avg(s, n) => {
                    if value::is_number(&v) {
                        *s = add_numbers(s, &v).unwrap_or(s.clone());
                        *n += 1;
                    }
                }
                Acc::Min(m) => {
                    if !matches!(v, Bson::Null | Bson::Undefined)
                        && m.as_ref().is_none_or(|c| compare(&v, c).is_lt())
                    {
                        *m = Some(v);
                    }
                }
                Acc::Max(m) => {
                    if !matches!(v, Bson::Null | Bson::Undefined)
                        && m.as_ref().is_none_or(|c| compare(&v, c).is_gt())
                    {
                        *m = Some(v);
                    }
                }
                Acc::First(f) => {
                    if f.is_none() {
                        *f = Some(if expr::is_remove(&v) { Bson::Null } else { v });
                    }
                }
                Acc::Last(l) => *l = if expr::is_remove(&v) { Bson::Null } else { v },
                Acc::Push(list) => {
                    if !expr::is_remove(&v) {
                        list.push(v);
                    }
                }
                Acc::AddToSet(list) => {
                    if !expr::is_remove(&v) && !list.iter().any(|x| value::values_equal(x, &v)) {
                        list.push(v);
                    }
                }
                Acc::Count(_) => {}
            }
        }
    }
    let mut out = Vec::with_capacity(order.len());
    for (key, states) in order {
        let mut d = Document::new();
        d.insert("_id", key);
        for ((name, _, _), st) in accs.iter().zip(states) {
            let v = match st {
                Acc::Sum(s) => s,
                Acc::Avg(s, n) => {
                    if n == 0 {
                        Bson::Null
                    } else {
                        Bson::Double(value::as_f64(&s).unwrap_or(0.0) / n as f64)
                    }
                }
                Acc::Min(m) | Acc::Max(m) | Acc::First(m) => m.unwrap_or(Bson::Null),
                Acc::Last(l) => l,
                Acc::Push(l) | Acc::AddToSet(l) => Bson::Array(l),
                Acc::Count(n) => i32::try_from(n).map(Bson::Int32).unwrap_or(Bson::Int64(n)),
            };
            d.insert(name.clone(), v);
        }
        out.push(d);
    }
    Ok(out)
}

fn unwind(docs: Vec<Document>, arg: &Bson) -> CmdResult<Vec<Document>> {
    let (path, index_field, preserve) = match arg {
        Bson::String(s) => (s.clone(), None, false),
        Bson::Document(d) => (
            d.get_str("path")
                .map_err(|_| CommandError::new(28812, "no path specified to $unwind stage"))?
                .to_string(),
            d.get_str("includeArrayIndex").ok().map(str::to_string),
            d.get_bool("preserveNullAndEmptyArrays").unwrap_or(false),
        ),
        _ => {
            return Err(CommandError::new(
                15981,
                "expected either a string or an object as specification for $unwind stage",
            ));
        }
    };
    let Some(field) = path.strip_prefix('$') else {
        return Err(CommandError::new(
            28818,
            "path option to $unwind stage should be prefixed with a '$'",
        ));
    };
    let mut out = Vec::new();
    for d in docs {
        match crate::query::path::get(&d, field).cloned() {
            Some(Bson::Array(a)) if !a.is_empty() => {
                for (i, e) in a.into_iter().enumerate() {
                    let mut n = d.clone();
                    set_dotted(&mut n, field, e);
                    if let Some(ix) = &index_field {
                        set_dotted(&mut n, ix, Bson::Int64(i as i64));
                    }
                    out.push(n);
                }
            }
            Some(Bson::Array(_)) if preserve => {
                let mut n = d.clone();
                remove_dotted(&mut n, field);
                if let Some(ix) = &index_field {
                    set_dotted(&mut n, ix, Bson::Null);
                }
                out.push(n);
            }
            Some(Bson::Array(_)) | Some(Bson::Null) | None => {
                if preserve {
                    let mut n = d.clone();
                    if let Some(ix) = &index_field {
                        set_dotted(&mut n, ix, Bson::Null);
                    }
                    out.push(n);
                }
            }
            Some(_) => {
                let mut n = d.clone();
                if let Some(ix) = &index_field {
                    set_dotted(&mut n, ix, Bson::Null);
                }
                out.push(n);
            }
        }
    }
    Ok(out)
}
