//! `aggregate` and `explain`.
use bson::{Bson, Document, doc};

use crate::aggregate::expr::Vars;
use crate::aggregate::stage;
use crate::command::crud::{Selection, select};
use crate::command::reply::{BatchKind, Reply, cursor_reply, encode_all};
use crate::command::{bool_arg, command_name, doc_arg, handshake};
use crate::engine::Engine;
use crate::engine::collection::PlanKind;
use crate::engine::record::Record;
use crate::error::{CmdResult, CommandError};
use crate::query::filter::Filter;
use crate::sort::SortSpec;

fn pipeline_arg(cmd: &Document) -> CmdResult<Vec<Document>> {
    match cmd.get("pipeline") {
        Some(Bson::Array(a)) => a
            .iter()
            .map(|s| match s {
                Bson::Document(d) => Ok(d.clone()),
                _ => Err(CommandError::type_mismatch(
                    "Each element of the 'pipeline' array must be an object",
                )),
            })
            .collect(),
        _ => Err(CommandError::failed_to_parse(
            "BSON field 'aggregate.pipeline' is missing but a required field",
        )),
    }
}

/// Runs a pipeline; a leading `$match` (and a `$sort` right after it) go through the planner.
fn run_pipeline(
    engine: &mut Engine,
    db: &str,
    coll: Option<&str>,
    pipeline: &[Document],
    hint: Option<&Bson>,
) -> CmdResult<(PlanKind, Vec<Document>)> {
    stage::validate(pipeline)?;
    let vars = Vars::default();
    let leading_source = pipeline.first().and_then(|s| s.keys().next()).is_some_and(|k| {
        matches!(k.as_str(), "$documents" | "$vectorSearch" | "$search" | "$listSearchIndexes")
    });
    if leading_source && let Some((first, rest)) = pipeline.split_first() {
        let (name, arg) = stage::split_stage(first)?;
        let docs = match name {
            "$vectorSearch" => crate::search::vector::stage(engine, db, coll, arg)?,
            "$search" => crate::search::text::stage(engine, db, coll, arg)?,
            "$listSearchIndexes" => crate::search::list_stage(engine, db, coll, arg)?,
            _ => {
                return Ok((
                    PlanKind::CollScan,
                    stage::run(engine, db, Vec::new(), pipeline, &vars)?,
                ));
            }
        };
        return Ok((PlanKind::CollScan, stage::run(engine, db, docs, rest, &vars)?));
    }
    let Some(coll) = coll else {
        return Ok((PlanKind::CollScan, stage::run(engine, db, Vec::new(), pipeline, &vars)?));
    };
    let mut rest = pipeline;
    let mut filter: Option<&Document> = None;
    let mut sort: Option<&Document> = None;
    if let Some(first) = rest.first()
        && let Some(Bson::Document(m)) = first.get("$match")
    {
        filter = Some(m);
        rest = &rest[1..];
    }
    if let Some(next) = rest.first()
        && let Some(Bson::Document(s)) = next.get("$sort")
    {
        sort = Some(s);
        rest = &rest[1..];
    }
    // A `$group` right after the scan reads the documents in place instead of copying them.
    if sort.is_none()
        && let Some(first) = rest.first()
        && let Some(Bson::Document(spec)) = first.get("$group")
        && let Some(c) = engine.coll(db, coll)
    {
        let f = match filter {
            Some(q) => Filter::new_without(q, &|field, text| c.knows(field, text))?,
            None => Filter::all(),
        };
        let (plan, rids) = c.plan(&f, &SortSpec::default(), hint)?;
        let docs =
            rids.filter_map(|r| c.record(r)).filter(|r| f.matches_record(r)).map(Record::doc);
        let grouped = stage::group(docs, spec, &vars)?;
        return Ok((plan, stage::run(engine, db, grouped, &rest[1..], &vars)?));
    }
    let sel = Selection { filter, sort, hint, ..Default::default() };
    let (plan, _, rows) = select(engine, db, coll, &sel)?;
    let docs = rows.into_iter().map(|(_, d)| d).collect();
    Ok((plan, stage::run(engine, db, docs, rest, &vars)?))
}

/// The pipeline without a final `$out`/`$merge`, for `explain` (which must not write).
fn without_writes(pipeline: &[Document]) -> &[Document] {
    match pipeline.split_last() {
        Some((last, head)) if last.contains_key("$out") || last.contains_key("$merge") => head,
        _ => pipeline,
    }
}

fn coll_or_one(cmd: &Document) -> CmdResult<Option<String>> {
    match cmd.get(command_name(cmd)) {
        Some(Bson::String(s)) => Ok(Some(s.clone())),
        Some(v) if crate::value::as_i64(v) == Some(1) => Ok(None),
        _ => Err(CommandError::failed_to_parse("Invalid aggregate namespace")),
    }
}

/// `aggregate`.
pub(crate) fn aggregate(engine: &mut Engine, db: &str, cmd: &Document) -> CmdResult<Reply> {
    let coll = coll_or_one(cmd)?;
    let pipeline = pipeline_arg(cmd)?;
    if bool_arg(cmd, "explain") {
        let (plan, _) =
            run_pipeline(engine, db, coll.as_deref(), without_writes(&pipeline), cmd.get("hint"))?;
        return Ok(Reply::Doc(explain_reply(
            db,
            coll.as_deref().unwrap_or("$cmd.aggregate"),
            &plan,
            leading_filter(&pipeline),
            cmd,
        )));
    }
    let cursor = doc_arg(cmd, "cursor")?.ok_or_else(|| {
        CommandError::failed_to_parse(
            "The 'cursor' option is required, except for aggregate with the explain argument",
        )
    })?;
    let batch_size =
        cursor.get("batchSize").and_then(crate::value::as_i64).map(|n| n.max(0) as usize);
    engine.ops.query += 1;
    let (_, docs) = run_pipeline(engine, db, coll.as_deref(), &pipeline, cmd.get("hint"))?;
    let ns = format!("{db}.{}", coll.as_deref().unwrap_or("$cmd.aggregate"));
    let (batch, id) = engine.cursors.open(&ns, encode_all(docs)?, batch_size, false);
    cursor_reply(&ns, BatchKind::First, &batch, id)
}

fn leading_filter(pipeline: &[Document]) -> Document {
    match pipeline.first().and_then(|s| s.get("$match")) {
        Some(Bson::Document(m)) => m.clone(),
        _ => Document::new(),
    }
}

fn explain_reply(
    db: &str,
    coll: &str,
    plan: &PlanKind,
    filter: Document,
    cmd: &Document,
) -> Document {
    let winning = match plan {
        PlanKind::CollScan => {
            doc! { "stage": "COLLSCAN", "filter": filter, "direction": "forward" }
        }
        PlanKind::IxScan { name, key, bounds } => doc! {
            "stage": "IXSCAN",
            "keyPattern": key.clone(),
            "indexName": name.clone(),
            "isMultiKey": false,
            "direction": "forward",
            "indexBounds": bounds.shown(),
            "filter": filter,
        },
    };
    doc! {
        "explainVersion": "1",
        "queryPlanner": {
            "namespace": format!("{db}.{coll}"),
            "indexFilterSet": false,
            "winningPlan": winning,
            "rejectedPlans": [],
        },
        "command": cmd.clone(),
        "serverInfo": { "host": "localhost", "port": 0, "version": handshake::VERSION, "gitVersion": "mdbr-lite" },
    }
}

/// `explain` of `find`, `aggregate`, `count`, `distinct`, `update`, `delete`, `findAndModify`.
pub(crate) fn explain(engine: &mut Engine, db: &str, cmd: &Document) -> CmdResult<Document> {
    let inner = doc_arg(cmd, "explain")?
        .ok_or_else(|| CommandError::failed_to_parse("explain needs a command object"))?;
    let name = command_name(inner);
    let coll = match inner.get(name) {
        Some(Bson::String(s)) => s.clone(),
        _ => {
            return Err(CommandError::failed_to_parse(
                "explain: the explained command needs a collection",
            ));
        }
    };
    let (filter, sort, hint) = match name {
        "find" => (doc_arg(inner, "filter")?, doc_arg(inner, "sort")?, inner.get("hint")),
        "count" => (doc_arg(inner, "query")?, None, inner.get("hint")),
        "distinct" => (doc_arg(inner, "query")?, None, inner.get("hint")),
        "findAndModify" | "findandmodify" => {
            (doc_arg(inner, "query")?, doc_arg(inner, "sort")?, inner.get("hint"))
        }
        "update" | "delete" => {
            let key = if name == "update" { "updates" } else { "deletes" };
            let first = match inner.get(key) {
                Some(Bson::Array(a)) => a.first().and_then(|x| x.as_document()),
                _ => None,
            };
            (first.and_then(|d| d.get_document("q").ok()), None, first.and_then(|d| d.get("hint")))
        }
        "aggregate" => {
            let pipeline = pipeline_arg(inner)?;
            let (plan, _) = run_pipeline(
                engine,
                db,
                Some(&coll),
                without_writes(&pipeline),
                inner.get("hint"),
            )?;
            return Ok(explain_reply(db, &coll, &plan, leading_filter(&pipeline), inner));
        }
        other => {
            return Err(CommandError::bad_value(format!(
                "Explain failed due to unknown command: {other}"
            )));
        }
    };
    let sel = Selection { filter, sort, hint, ..Default::default() };
    let started = std::time::Instant::now();
    let (plan, _, rows) = select(engine, db, &coll, &sel)?;
    let mut reply = explain_reply(db, &coll, &plan, filter.cloned().unwrap_or_default(), inner);
    let verbosity = cmd.get_str("verbosity").unwrap_or("allPlansExecution");
    if verbosity != "queryPlanner" {
        let examined = match &plan {
            PlanKind::CollScan => engine.coll(db, &coll).map_or(0, |c| c.len()),
            PlanKind::IxScan { .. } => rows.len(),
        };
        reply.insert(
            "executionStats",
            doc! {
                "executionSuccess": true,
                "nReturned": rows.len() as i32,
                "executionTimeMillis": started.elapsed().as_millis() as i32,
                "totalKeysExamined": if matches!(plan, PlanKind::CollScan) { 0 } else { rows.len() as i32 },
                "totalDocsExamined": examined as i32,
            },
        );
    }
    Ok(reply)
}
