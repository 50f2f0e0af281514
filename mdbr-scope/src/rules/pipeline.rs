//! Aggregation pipelines, rewritten stage by stage and recursively.
//!
//! Every pipeline that reads a collection starts with the app filter (inside
//! the leading stage where MongoDB requires that stage first); every stage
//! that names another collection is resolved into the app's namespace and its
//! sub-pipeline is scoped the same way; `$out`/`$merge` write only into the
//! app's own collections, with `app_id` set on every written document.
//! Stages are allow-listed: a stage this layer does not know is refused,
//! because it could read or write something the rules do not see.

use bson::{Bson, Document, doc};

use crate::error::{Error, Result};
use crate::rules::filter::{check_filter, check_forbidden, combine};
use crate::rules::{APP_ID, ScopeRules};

/// Stages that only transform the documents flowing through them. They are
/// checked for forbidden operators and kept as they are.
pub const TRANSFORM_STAGES: &[&str] = &[
    "$match",
    "$project",
    "$addFields",
    "$set",
    "$unset",
    "$group",
    "$sort",
    "$limit",
    "$skip",
    "$count",
    "$unwind",
    "$replaceRoot",
    "$replaceWith",
    "$sortByCount",
    "$sample",
    "$bucket",
    "$bucketAuto",
    "$redact",
    "$setWindowFields",
    "$densify",
    "$fill",
];

/// Stages MongoDB requires first in a pipeline; the app filter goes inside
/// them or right after them.
pub const LEADING_STAGES: &[&str] = &[
    "$vectorSearch",
    "$search",
    "$searchMeta",
    "$geoNear",
    "$rankFusion",
    "$scoreFusion",
    "$collStats",
    "$indexStats",
    "$listSearchIndexes",
];

/// Stages refused in every pipeline: they reveal other clients' operations or
/// server-wide state, or read outside the collection.
pub const REFUSED_STAGES: &[&str] = &[
    "$currentOp",
    "$listSessions",
    "$listLocalSessions",
    "$changeStream",
    "$changeStreamSplitLargeEvent",
    "$documents",
    "$listSampledQueries",
    "$shardedDataDistribution",
    "$listClusterCatalog",
    "$querySettings",
    "$queryStats",
    "$planCacheStats",
    "$listCachedAndActiveUsers",
];

/// Options of `$search`/`$searchMeta` that are not the search operator.
const SEARCH_OPTIONS: &[&str] = &[
    "index",
    "highlight",
    "count",
    "returnStoredSource",
    "returnScope",
    "scoreDetails",
    "sort",
    "tracking",
    "concurrent",
    "searchAfter",
    "searchBefore",
];

/// The one key of a stage document, or an error naming the stage.
pub(crate) fn stage_name(stage: &Document, index: usize) -> Result<&str> {
    let mut keys = stage.keys();
    match (keys.next(), keys.next()) {
        (Some(k), None) if k.starts_with('$') => Ok(k.as_str()),
        (Some(k), None) => {
            Err(Error::invalid(format!("pipeline stage {index}: `{k}` is not a stage name")))
        }
        (None, _) => Err(Error::invalid(format!("pipeline stage {index} is an empty document"))),
        (Some(_), Some(_)) => Err(Error::invalid(format!(
            "pipeline stage {index} must be a document with exactly one key, found {}",
            stage.len()
        ))),
    }
}

fn stage_body<'a>(stage: &'a Document, name: &str, index: usize) -> Result<&'a Document> {
    stage
        .get_document(name)
        .map_err(|_| Error::invalid(format!("pipeline stage {index}: `{name}` takes a document")))
}

fn as_pipeline(value: &Bson, what: &str) -> Result<Vec<Document>> {
    let Bson::Array(items) = value else {
        return Err(Error::invalid(format!("{what} must be an array of stages")));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Bson::Document(d) => Ok(d.clone()),
            _ => Err(Error::invalid(format!("{what}: stage {i} is not a document"))),
        })
        .collect()
}

/// Where a pipeline runs, which decides what its first stage may be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Reads one of the app's collections: the app filter is added.
    Collection,
    /// A `$facet` branch: its input is already scoped.
    Facet,
    /// A `$lookup`/`$unionWith` sub-pipeline without a collection: it must
    /// start with `$documents`, which supplies literal documents.
    Documents,
}

impl ScopeRules {
    /// Rewrites an aggregation pipeline run on one of the app's collections.
    pub fn rewrite_pipeline(&self, pipeline: Vec<Document>) -> Result<Vec<Document>> {
        self.rewrite(pipeline, Source::Collection, 0)
    }

    fn rewrite(
        &self,
        pipeline: Vec<Document>,
        source: Source,
        depth: usize,
    ) -> Result<Vec<Document>> {
        if depth > 20 {
            return Err(Error::invalid("pipelines are nested deeper than 20 levels"));
        }
        let mut out = Vec::with_capacity(pipeline.len() + 2);
        let mut stages = pipeline.into_iter().enumerate().peekable();
        match source {
            Source::Collection => {
                let leading = match stages.peek() {
                    Some((i, s)) => LEADING_STAGES.contains(&stage_name(s, *i)?),
                    None => false,
                };
                if leading {
                    if let Some((i, stage)) = stages.next() {
                        out.extend(self.leading_stage(stage, i, depth)?);
                    }
                } else {
                    // A leading `$match` absorbs the app filter, so one stage
                    // (and one index choice) serves both.
                    let user = match stages.peek() {
                        Some((i, s)) if stage_name(s, *i)? == "$match" => match s.get("$match") {
                            Some(Bson::Document(m)) => {
                                check_filter(m)?;
                                Some(m.clone())
                            }
                            _ => None,
                        },
                        _ => None,
                    };
                    match user {
                        Some(m) => {
                            stages.next();
                            out.push(doc! { "$match": combine(self.read_condition(), m) });
                        }
                        None => out.push(doc! { "$match": self.read_filter() }),
                    }
                }
            }
            Source::Documents => match stages.next() {
                Some((i, stage)) if stage_name(&stage, i)? == "$documents" => {
                    check_forbidden(&stage, "$documents")?;
                    out.push(stage);
                }
                _ => {
                    return Err(Error::invalid(
                        "a $lookup or $unionWith without a collection must start with $documents",
                    ));
                }
            },
            Source::Facet => {}
        }
        for (i, stage) in stages {
            out.extend(self.stage(stage, i, depth, source)?);
        }
        Ok(out)
    }

    /// The stage that MongoDB requires first, with the app filter inside it
    /// where the stage allows one and a `$match` right after it otherwise.
    fn leading_stage(&self, stage: Document, i: usize, depth: usize) -> Result<Vec<Document>> {
        let name = stage_name(&stage, i)?.to_owned();
        check_forbidden(&stage, &name)?;
        let mut body = stage_body(&stage, &name, i)?.clone();
        let after = doc! { "$match": self.read_filter() };
        Ok(match name.as_str() {
            "$vectorSearch" => {
                let filter = match body.get("filter") {
                    None => self.read_filter(),
                    Some(Bson::Document(f)) => combine_vector_filter(self.read_filter(), f.clone()),
                    Some(_) => {
                        return Err(Error::invalid("`$vectorSearch.filter` must be a document"));
                    }
                };
                body.insert("filter", filter);
                vec![doc! { "$vectorSearch": body }, after]
            }
            "$search" => vec![doc! { "$search": self.scope_search(body)? }, after],
            // `$searchMeta` returns one metadata document: the filter must be inside.
            "$searchMeta" => vec![doc! { "$searchMeta": self.scope_search(body)? }],
            "$geoNear" => {
                let query = match body.get("query") {
                    None => self.read_filter(),
                    Some(Bson::Document(q)) => {
                        check_filter(q)?;
                        combine(self.read_condition(), q.clone())
                    }
                    Some(_) => return Err(Error::invalid("`$geoNear.query` must be a document")),
                };
                body.insert("query", query);
                vec![doc! { "$geoNear": body }]
            }
            "$rankFusion" | "$scoreFusion" => {
                let input = body
                    .get_document_mut("input")
                    .map_err(|_| Error::invalid(format!("`{name}.input` must be a document")))?;
                let pipelines = input.get_document_mut("pipelines").map_err(|_| {
                    Error::invalid(format!("`{name}.input.pipelines` must be a document"))
                })?;
                let mut scoped = Document::new();
                for (key, value) in std::mem::take(pipelines) {
                    let sub = as_pipeline(&value, &format!("`{name}` input `{key}`"))?;
                    let sub = self.rewrite(sub, Source::Collection, depth + 1)?;
                    scoped.insert(key, sub);
                }
                *pipelines = scoped;
                vec![doc! { name.as_str(): body }, after]
            }
            // Statistics about the app's own collection and its indexes carry
            // no documents, so there is nothing to filter.
            _ => vec![doc! { name.as_str(): body }],
        })
    }

    /// `$search`/`$searchMeta`: the operator is wrapped in a `compound` whose
    /// `filter` clause restricts `app_id`, so the index pre-filters.
    fn scope_search(&self, mut body: Document) -> Result<Document> {
        let operators: Vec<String> =
            body.keys().filter(|k| !SEARCH_OPTIONS.contains(&k.as_str())).cloned().collect();
        let app_clause = match self.read_condition() {
            Bson::Document(d) => {
                doc! { "in": { "path": APP_ID, "value": d.get("$in").cloned().unwrap_or(Bson::Null) } }
            }
            one => doc! { "equals": { "path": APP_ID, "value": one } },
        };
        match operators.as_slice() {
            [op] if op == "compound" => {
                let compound = body
                    .get_document_mut("compound")
                    .map_err(|_| Error::invalid("`$search.compound` must be a document"))?;
                match compound.get_mut("filter") {
                    Some(Bson::Array(clauses)) => clauses.push(Bson::Document(app_clause)),
                    Some(Bson::Document(one)) => {
                        let one = one.clone();
                        compound.insert(
                            "filter",
                            vec![Bson::Document(one), Bson::Document(app_clause)],
                        );
                    }
                    Some(_) => {
                        return Err(Error::invalid(
                            "`$search.compound.filter` must be a document or array",
                        ));
                    }
                    None => {
                        compound.insert("filter", vec![Bson::Document(app_clause)]);
                    }
                }
            }
            [op] => {
                let operator = body.remove(op).unwrap_or(Bson::Null);
                body.insert(
                    "compound",
                    doc! { "must": [ { op.as_str(): operator } ], "filter": [ app_clause ] },
                );
            }
            [] => {
                body.insert("compound", doc! { "filter": [ app_clause ] });
            }
            _ => {
                return Err(Error::invalid(format!(
                    "`$search` takes one operator, found {}",
                    operators.join(", ")
                )));
            }
        }
        Ok(body)
    }

    fn stage(
        &self,
        stage: Document,
        i: usize,
        depth: usize,
        source: Source,
    ) -> Result<Vec<Document>> {
        let name = stage_name(&stage, i)?.to_owned();
        let name = name.as_str();
        if REFUSED_STAGES.contains(&name) {
            return Err(Error::violation(format!(
                "pipeline stage `{name}` is not allowed in an app's scope"
            )));
        }
        if LEADING_STAGES.contains(&name) {
            return Err(Error::invalid(format!(
                "`{name}` is only allowed as the first stage of a pipeline"
            )));
        }
        if TRANSFORM_STAGES.contains(&name) {
            check_forbidden(&stage, name)?;
            return Ok(vec![stage]);
        }
        let body = stage.get(name).cloned().unwrap_or(Bson::Null);
        match name {
            "$lookup" => Ok(vec![doc! { "$lookup": self.lookup(as_doc(&body, name)?, depth)? }]),
            "$graphLookup" => {
                let spec = self.graph_lookup(as_doc(&body, name)?)?;
                // `restrictSearchWithMatch` already keeps the traversal inside
                // the app on MongoDB; filtering the output array as well keeps
                // the guarantee on servers that ignore that option (SecantusDB
                // 0.7 does).
                let as_field = spec
                    .get_str("as")
                    .map_err(|_| Error::invalid("`$graphLookup.as` must be a field name"))?
                    .to_owned();
                let app = match self.read_condition() {
                    Bson::Document(d) => {
                        doc! { "$in": ["$$this.app_id", d.get("$in").cloned().unwrap_or(Bson::Null)] }
                    }
                    one => doc! { "$eq": ["$$this.app_id", one] },
                };
                let keep = doc! { "$set": {
                    as_field.as_str(): { "$filter": { "input": format!("${as_field}"), "cond": app } }
                } };
                Ok(vec![doc! { "$graphLookup": spec }, keep])
            }
            "$unionWith" => Ok(vec![doc! { "$unionWith": self.union_with(body, depth)? }]),
            "$facet" => {
                let mut branches = Document::new();
                for (key, value) in as_doc(&body, name)? {
                    let sub = as_pipeline(&value, &format!("`$facet` branch `{key}`"))?;
                    branches.insert(key, self.rewrite(sub, Source::Facet, depth + 1)?);
                }
                Ok(vec![doc! { "$facet": branches }])
            }
            "$out" | "$merge" if source != Source::Collection || depth > 0 => Err(Error::invalid(
                format!("`{name}` is only allowed as the last stage of the outer pipeline"),
            )),
            "$out" => {
                self.ensure_writable("$out")?;
                let target = match body {
                    Bson::String(coll) => Bson::String(self.resolve(&coll)?),
                    Bson::Document(mut d) => {
                        self.check_same_db(&d, "$out")?;
                        let coll = d
                            .get_str("coll")
                            .map_err(|_| Error::invalid("`$out.coll` must be a string"))?;
                        let physical = self.resolve(coll)?;
                        d.insert("coll", physical);
                        Bson::Document(d)
                    }
                    _ => {
                        return Err(Error::invalid("`$out` takes a collection name or a document"));
                    }
                };
                Ok(vec![self.pin_app_id(), doc! { "$out": target }])
            }
            "$merge" => {
                self.ensure_writable("$merge")?;
                let mut spec = match body {
                    Bson::String(coll) => doc! { "into": coll },
                    Bson::Document(d) => d,
                    _ => {
                        return Err(Error::invalid(
                            "`$merge` takes a collection name or a document",
                        ));
                    }
                };
                let into = match spec.remove("into") {
                    Some(Bson::String(coll)) => Bson::String(self.resolve(&coll)?),
                    Some(Bson::Document(mut d)) => {
                        self.check_same_db(&d, "$merge")?;
                        let coll = d
                            .get_str("coll")
                            .map_err(|_| Error::invalid("`$merge.into.coll` must be a string"))?;
                        let physical = self.resolve(coll)?;
                        d.insert("coll", physical);
                        Bson::Document(d)
                    }
                    _ => {
                        return Err(Error::invalid(
                            "`$merge.into` must be a collection name or a document",
                        ));
                    }
                };
                spec.insert("into", into);
                if let Some(Bson::Array(_)) = spec.get("whenMatched") {
                    let pipeline = as_pipeline(
                        spec.get("whenMatched").unwrap_or(&Bson::Null),
                        "`$merge.whenMatched`",
                    )?;
                    spec.insert(
                        "whenMatched",
                        self.prepare_update_pipeline(pipeline, "`$merge.whenMatched`")?,
                    );
                }
                check_forbidden(&spec, "$merge")?;
                Ok(vec![self.pin_app_id(), doc! { "$merge": spec }])
            }
            _ => Err(Error::violation(format!(
                "pipeline stage `{name}` is not supported in an app's scope (it is not on the allow-list)"
            ))),
        }
    }

    /// `{$set: {app_id: owner}}`: written documents always belong to the owner.
    fn pin_app_id(&self) -> Document {
        doc! { "$set": { APP_ID: self.owner.as_str() } }
    }

    fn check_same_db(&self, spec: &Document, stage: &str) -> Result<()> {
        match spec.get("db") {
            None => Ok(()),
            Some(Bson::String(db)) if Some(db.as_str()) == self.db_name.as_deref() => Ok(()),
            Some(db) => Err(Error::violation(format!(
                "cross-database `{stage}` into `{db}` is not allowed"
            ))),
        }
    }

    fn lookup(&self, mut spec: Document, depth: usize) -> Result<Document> {
        if let Some(Bson::Document(l)) = spec.get("let") {
            check_forbidden(l, "$lookup.let")?;
        }
        let pipeline = match spec.get("pipeline") {
            Some(p) => Some(as_pipeline(p, "`$lookup.pipeline`")?),
            None => None,
        };
        match spec.get("from").cloned() {
            Some(Bson::String(from)) => {
                spec.insert("from", self.resolve(&from)?);
                let sub =
                    self.rewrite(pipeline.unwrap_or_default(), Source::Collection, depth + 1)?;
                spec.insert("pipeline", sub);
            }
            Some(Bson::Document(_)) => {
                return Err(Error::violation(
                    "cross-database `$lookup` (a `from` document) is not allowed",
                ));
            }
            Some(_) => return Err(Error::invalid("`$lookup.from` must be a collection name")),
            None => {
                let Some(pipeline) = pipeline else {
                    return Err(Error::invalid("`$lookup` needs `from` or a `pipeline`"));
                };
                spec.insert("pipeline", self.rewrite(pipeline, Source::Documents, depth + 1)?);
            }
        }
        Ok(spec)
    }

    fn graph_lookup(&self, mut spec: Document) -> Result<Document> {
        check_forbidden(&spec, "$graphLookup")?;
        let from = match spec.get("from") {
            Some(Bson::String(from)) => from.clone(),
            Some(Bson::Document(_)) => {
                return Err(Error::violation("cross-database `$graphLookup` is not allowed"));
            }
            _ => return Err(Error::invalid("`$graphLookup.from` must be a collection name")),
        };
        spec.insert("from", self.resolve(&from)?);
        let restrict = match spec.get("restrictSearchWithMatch") {
            None => self.read_filter(),
            Some(Bson::Document(m)) => combine(self.read_condition(), m.clone()),
            Some(_) => {
                return Err(Error::invalid(
                    "`$graphLookup.restrictSearchWithMatch` must be a document",
                ));
            }
        };
        spec.insert("restrictSearchWithMatch", restrict);
        Ok(spec)
    }

    fn union_with(&self, body: Bson, depth: usize) -> Result<Document> {
        let mut spec = match body {
            Bson::String(coll) => doc! { "coll": coll },
            Bson::Document(d) => d,
            _ => return Err(Error::invalid("`$unionWith` takes a collection name or a document")),
        };
        if spec.contains_key("db") {
            return Err(Error::violation("cross-database `$unionWith` is not allowed"));
        }
        let pipeline = match spec.get("pipeline") {
            Some(p) => Some(as_pipeline(p, "`$unionWith.pipeline`")?),
            None => None,
        };
        match spec.get("coll").cloned() {
            Some(Bson::String(coll)) => {
                spec.insert("coll", self.resolve(&coll)?);
                spec.insert(
                    "pipeline",
                    self.rewrite(pipeline.unwrap_or_default(), Source::Collection, depth + 1)?,
                );
            }
            Some(_) => return Err(Error::invalid("`$unionWith.coll` must be a collection name")),
            None => {
                let Some(pipeline) = pipeline else {
                    return Err(Error::invalid("`$unionWith` needs `coll` or a `pipeline`"));
                };
                spec.insert("pipeline", self.rewrite(pipeline, Source::Documents, depth + 1)?);
            }
        }
        Ok(spec)
    }
}

/// Stages MongoDB accepts in a change stream pipeline.
pub const CHANGE_STREAM_STAGES: &[&str] = &[
    "$addFields",
    "$match",
    "$project",
    "$replaceRoot",
    "$replaceWith",
    "$redact",
    "$set",
    "$unset",
];

impl ScopeRules {
    /// The pipeline of a change stream on one of the app's collections: an
    /// app filter on the event's documents first, then the user's stages.
    pub fn change_stream_pipeline(&self, user: Vec<Document>) -> Result<Vec<Document>> {
        let app = self.read_condition();
        let mut out = vec![doc! { "$match": { "$or": [
            { "fullDocument.app_id": app.clone() },
            { "fullDocumentBeforeChange.app_id": app },
            { "operationType": "delete", "fullDocumentBeforeChange": { "$exists": false } },
            { "operationType": { "$nin": ["insert", "update", "replace", "delete"] } },
        ] } }];
        for (i, stage) in user.into_iter().enumerate() {
            let name = stage_name(&stage, i)?;
            if !CHANGE_STREAM_STAGES.contains(&name) {
                return Err(Error::invalid(format!(
                    "`{name}` is not allowed in a change stream pipeline"
                )));
            }
            check_forbidden(&stage, "change stream pipeline")?;
            out.push(stage);
        }
        Ok(out)
    }
}

fn as_doc(value: &Bson, stage: &str) -> Result<Document> {
    match value {
        Bson::Document(d) => Ok(d.clone()),
        _ => Err(Error::invalid(format!("`{stage}` takes a document"))),
    }
}

/// `$vectorSearch.filter` accepts MQL over declared filter fields; the app
/// clause is ANDed in with an explicit `$and`, which Atlas supports.
fn combine_vector_filter(scope: Document, user: Document) -> Document {
    if user.is_empty() {
        return scope;
    }
    doc! { "$and": [ Bson::Document(user), Bson::Document(scope) ] }
}
