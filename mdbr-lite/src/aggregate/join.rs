//! Stages that read other collections: `$lookup`, `$graphLookup` and `$unionWith`.
use std::collections::{BTreeMap, BTreeSet};

use bson::{Bson, Document};

use crate::aggregate::expr::{self, Vars};
use crate::aggregate::stage::{self, run_on};
use crate::engine::Engine;
use crate::error::{CmdResult, CommandError};
use crate::projection::set_dotted;
use crate::query::filter::Filter;
use crate::query::path;
use crate::value::{OrdBson, type_alias};

/// The values a document holds at `field` for an equality join: array elements each, and
/// `null` when the field is missing.
fn join_keys(d: &Document, field: &str) -> Vec<OrdBson> {
    let vals = path::key_values(d, field);
    if vals.is_empty() {
        return vec![OrdBson(Bson::Null)];
    }
    let mut out: Vec<OrdBson> = Vec::with_capacity(vals.len());
    for v in vals {
        match v {
            Bson::Undefined => out.push(OrdBson(Bson::Null)),
            other => out.push(OrdBson(other.clone())),
        }
    }
    out
}

/// Documents of a collection keyed by the values at `field`.
struct KeyMap {
    docs: Vec<Document>,
    by_key: BTreeMap<OrdBson, Vec<usize>>,
}

impl KeyMap {
    fn build(docs: Vec<Document>, field: &str) -> Self {
        let mut by_key: BTreeMap<OrdBson, Vec<usize>> = BTreeMap::new();
        for (i, d) in docs.iter().enumerate() {
            for k in join_keys(d, field) {
                let slot = by_key.entry(k).or_default();
                if slot.last() != Some(&i) {
                    slot.push(i);
                }
            }
        }
        Self { docs, by_key }
    }

    /// Positions of the documents matching any of `keys`, in natural order.
    fn matching(&self, keys: &[OrdBson]) -> Vec<usize> {
        let mut hits: BTreeSet<usize> = BTreeSet::new();
        for k in keys {
            if let Some(v) = self.by_key.get(k) {
                hits.extend(v.iter().copied());
            }
        }
        hits.into_iter().collect()
    }
}

fn str_field<'a>(spec: &'a Document, key: &str, stage: &str) -> CmdResult<Option<&'a str>> {
    match spec.get(key) {
        None => Ok(None),
        Some(Bson::String(s)) => Ok(Some(s.as_str())),
        Some(other) => Err(CommandError::failed_to_parse(format!(
            "{stage} argument '{key}: {other}' must be a string, is type {}",
            type_alias(other)
        ))),
    }
}

fn pipeline_of(v: Option<&Bson>, stage: &str) -> CmdResult<Vec<Document>> {
    match v {
        None => Ok(Vec::new()),
        Some(Bson::Array(a)) => a
            .iter()
            .map(|x| match x {
                Bson::Document(d) => Ok(d.clone()),
                _ => Err(CommandError::failed_to_parse(format!(
                    "{stage}: each element of 'pipeline' must be an object"
                ))),
            })
            .collect(),
        Some(other) => Err(CommandError::failed_to_parse(format!(
            "{stage} argument 'pipeline' must be an array, is type {}",
            type_alias(other)
        ))),
    }
}

/// The collection named by `from` (a name, or `{db, coll}`), as (database, collection).
fn namespace(v: &Bson, db: &str, stage: &str) -> CmdResult<(String, String)> {
    match v {
        Bson::String(s) => Ok((db.to_string(), s.clone())),
        Bson::Document(d) => {
            let coll = d.get_str("coll").map_err(|_| {
                CommandError::failed_to_parse(format!("{stage}: 'from' needs a 'coll' string"))
            })?;
            let in_db = d.get_str("db").unwrap_or(db);
            Ok((in_db.to_string(), coll.to_string()))
        }
        other => Err(CommandError::failed_to_parse(format!(
            "{stage} 'from' must be a string or an object, is type {}",
            type_alias(other)
        ))),
    }
}

fn all_docs(engine: &Engine, db: &str, coll: &str) -> Vec<Document> {
    engine.coll(db, coll).map(|c| c.iter().map(|(_, d)| d.clone()).collect()).unwrap_or_default()
}

/// `$lookup`: the equality form, the `let`/`pipeline` form, and both together.
pub(crate) fn lookup(
    engine: &Engine,
    db: &str,
    docs: Vec<Document>,
    arg: &Bson,
    vars: &Vars,
) -> CmdResult<Vec<Document>> {
    let Bson::Document(spec) = arg else {
        return Err(CommandError::failed_to_parse(
            "the $lookup stage specification must be an object",
        ));
    };
    for k in spec.keys() {
        if !matches!(
            k.as_str(),
            "from"
                | "as"
                | "localField"
                | "foreignField"
                | "let"
                | "pipeline"
                | "_internalCollation"
        ) {
            return Err(CommandError::failed_to_parse(format!("unknown argument to $lookup: {k}")));
        }
    }
    let as_field = str_field(spec, "as", "$lookup")?
        .ok_or_else(|| CommandError::failed_to_parse("must specify 'as' field for a $lookup"))?
        .to_string();
    let local = str_field(spec, "localField", "$lookup")?;
    let foreign = str_field(spec, "foreignField", "$lookup")?;
    if local.is_some() != foreign.is_some() {
        return Err(CommandError::failed_to_parse(
            "$lookup requires both or neither of 'localField' and 'foreignField' to be specified",
        ));
    }
    let has_pipeline = spec.contains_key("pipeline");
    let pipeline = pipeline_of(spec.get("pipeline"), "$lookup")?;
    let from = match spec.get("from") {
        Some(v) => Some(namespace(v, db, "$lookup")?),
        None => None,
    };
    if from.is_none()
        && !matches!(pipeline.first().map(stage::split_stage), Some(Ok(("$documents", _))))
    {
        return Err(CommandError::failed_to_parse(
            "must specify 'from' field for a $lookup unless the pipeline starts with $documents",
        ));
    }
    if local.is_none() && !has_pipeline {
        return Err(CommandError::failed_to_parse(
            "$lookup requires either 'pipeline' or both 'localField' and 'foreignField' to be specified",
        ));
    }
    if spec.contains_key("let") && !has_pipeline {
        return Err(CommandError::failed_to_parse(
            "$lookup with 'let' must also specify 'pipeline'",
        ));
    }
    stage::validate(&pipeline)?;
    for s in &pipeline {
        let (n, _) = stage::split_stage(s)?;
        if n == "$out" || n == "$merge" {
            return Err(CommandError::new(
                51047,
                format!("{n} is not allowed within a $lookup's sub-pipeline"),
            ));
        }
    }
    let lets: Option<&Document> = match spec.get("let") {
        None => None,
        Some(Bson::Document(l)) => Some(l),
        Some(other) => {
            return Err(CommandError::failed_to_parse(format!(
                "$lookup argument 'let' must be an object, is type {}",
                type_alias(other)
            )));
        }
    };
    let (fdb, fcoll) = from.clone().unwrap_or_else(|| (db.to_string(), String::new()));
    let mut out = Vec::with_capacity(docs.len());
    match (local, foreign) {
        (Some(local), Some(foreign)) => {
            let map = KeyMap::build(all_docs(engine, &fdb, &fcoll), foreign);
            for mut d in docs {
                let hits = map.matching(&join_keys(&d, local));
                let matched: Vec<Document> =
                    hits.into_iter().map(|i| map.docs[i].clone()).collect();
                let joined = if pipeline.is_empty() {
                    matched
                } else {
                    let v = bind_lets(lets, &d, vars)?;
                    stage::run_read(engine, &fdb, matched, &pipeline, &v)?
                };
                set_dotted(
                    &mut d,
                    &as_field,
                    Bson::Array(joined.into_iter().map(Bson::Document).collect()),
                );
                out.push(d);
            }
        }
        _ => {
            let source = from.as_ref().map(|(_, c)| c.as_str());
            // Without `let`, the sub-pipeline gives the same answer for every document.
            let shared = if lets.is_none_or(Document::is_empty) {
                Some(run_on(engine, &fdb, source, &pipeline, vars)?)
            } else {
                None
            };
            for mut d in docs {
                let joined = match &shared {
                    Some(s) => s.clone(),
                    None => {
                        let v = bind_lets(lets, &d, vars)?;
                        run_on(engine, &fdb, source, &pipeline, &v)?
                    }
                };
                set_dotted(
                    &mut d,
                    &as_field,
                    Bson::Array(joined.into_iter().map(Bson::Document).collect()),
                );
                out.push(d);
            }
        }
    }
    Ok(out)
}

/// The variables of a `$lookup` sub-pipeline: `let` bindings evaluated against `d`.
fn bind_lets(lets: Option<&Document>, d: &Document, vars: &Vars) -> CmdResult<Vars> {
    let mut v = vars.clone();
    if let Some(lets) = lets {
        for (name, e) in lets {
            if !name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || !c.is_ascii()) {
                return Err(CommandError::failed_to_parse(format!(
                    "'{name}' starts with an invalid character for a user variable name"
                )));
            }
            let x = expr::eval(e, d, vars)?;
            v.set(name, if expr::is_remove(&x) { Bson::Null } else { x });
        }
    }
    Ok(v)
}

/// `$graphLookup`: a breadth-first search over another collection.
pub(crate) fn graph_lookup(
    engine: &Engine,
    db: &str,
    docs: Vec<Document>,
    arg: &Bson,
    vars: &Vars,
) -> CmdResult<Vec<Document>> {
    let Bson::Document(spec) = arg else {
        return Err(CommandError::failed_to_parse(
            "the $graphLookup stage specification must be an object",
        ));
    };
    let need = |k: &str| -> CmdResult<String> {
        str_field(spec, k, "$graphLookup")?.map(str::to_string).ok_or_else(|| {
            CommandError::failed_to_parse(format!("$graphLookup requires '{k}' to be specified"))
        })
    };
    let from_field = need("connectFromField")?;
    let to_field = need("connectToField")?;
    let as_field = need("as")?;
    let start = spec
        .get("startWith")
        .cloned()
        .ok_or_else(|| CommandError::failed_to_parse("$graphLookup requires 'startWith'"))?;
    let (fdb, fcoll) = namespace(
        spec.get("from")
            .ok_or_else(|| CommandError::failed_to_parse("$graphLookup requires 'from'"))?,
        db,
        "$graphLookup",
    )?;
    let max_depth = match spec.get("maxDepth") {
        None => None,
        Some(v) => match crate::value::as_i64(v) {
            Some(n) if n >= 0 => Some(n),
            _ => {
                return Err(CommandError::new(
                    40101,
                    "$graphLookup.maxDepth must be a non-negative integer",
                ));
            }
        },
    };
    let depth_field = str_field(spec, "depthField", "$graphLookup")?.map(str::to_string);
    let restrict = match spec.get("restrictSearchWithMatch") {
        None => None,
        Some(Bson::Document(m)) => Some(Filter::new(m)?),
        Some(other) => {
            return Err(CommandError::failed_to_parse(format!(
                "$graphLookup argument 'restrictSearchWithMatch' must be an object, is type {}",
                type_alias(other)
            )));
        }
    };
    let candidates: Vec<Document> = all_docs(engine, &fdb, &fcoll)
        .into_iter()
        .filter(|d| restrict.as_ref().is_none_or(|f| f.matches(d)))
        .collect();
    let map = KeyMap::build(candidates, &to_field);
    let mut out = Vec::with_capacity(docs.len());
    for mut d in docs {
        let start_val = expr::eval(&start, &d, vars)?;
        let mut frontier: Vec<OrdBson> = match start_val {
            Bson::Array(a) => a.into_iter().map(OrdBson).collect(),
            Bson::Undefined => vec![OrdBson(Bson::Null)],
            other => vec![OrdBson(other)],
        };
        let mut seen_vals: BTreeSet<OrdBson> = BTreeSet::new();
        let mut visited: BTreeSet<usize> = BTreeSet::new();
        let mut found: Vec<Document> = Vec::new();
        let mut depth: i64 = 0;
        while !frontier.is_empty() && max_depth.is_none_or(|m| depth <= m) {
            let fresh: Vec<OrdBson> =
                frontier.into_iter().filter(|v| seen_vals.insert(v.clone())).collect();
            let mut next = Vec::new();
            for i in map.matching(&fresh) {
                if !visited.insert(i) {
                    continue;
                }
                let hit = &map.docs[i];
                for v in path::key_values(hit, &from_field) {
                    next.push(OrdBson(v.clone()));
                }
                let mut h = hit.clone();
                if let Some(df) = &depth_field {
                    set_dotted(&mut h, df, Bson::Int64(depth));
                }
                found.push(h);
            }
            frontier = next;
            depth += 1;
        }
        set_dotted(&mut d, &as_field, Bson::Array(found.into_iter().map(Bson::Document).collect()));
        out.push(d);
    }
    Ok(out)
}

/// `$unionWith`: the documents of another collection (through a pipeline) after these.
pub(crate) fn union_with(
    engine: &Engine,
    db: &str,
    mut docs: Vec<Document>,
    arg: &Bson,
    vars: &Vars,
) -> CmdResult<Vec<Document>> {
    let (coll, pipeline) = match arg {
        Bson::String(s) => (Some(s.clone()), Vec::new()),
        Bson::Document(d) => {
            for k in d.keys() {
                if !matches!(k.as_str(), "coll" | "pipeline") {
                    return Err(CommandError::failed_to_parse(format!(
                        "BSON field '$unionWith.{k}' is an unknown field."
                    )));
                }
            }
            let coll = str_field(d, "coll", "$unionWith")?.map(str::to_string);
            (coll, pipeline_of(d.get("pipeline"), "$unionWith")?)
        }
        other => {
            return Err(CommandError::failed_to_parse(format!(
                "the $unionWith stage specification must be an object or string, but found {}",
                type_alias(other)
            )));
        }
    };
    if coll.is_none()
        && !matches!(pipeline.first().map(stage::split_stage), Some(Ok(("$documents", _))))
    {
        return Err(CommandError::failed_to_parse(
            "$unionWith stage without explicit collection must have a pipeline with $documents as first stage",
        ));
    }
    for s in &pipeline {
        let (n, _) = stage::split_stage(s)?;
        if n == "$out" || n == "$merge" {
            return Err(CommandError::new(
                31441,
                format!("{n} is not allowed within a $unionWith's sub-pipeline"),
            ));
        }
    }
    docs.extend(run_on(engine, db, coll.as_deref(), &pipeline, vars)?);
    Ok(docs)
}
