//! Atlas-style search indexes (`vectorSearch` and `search` definitions), the commands that
//! manage them, and `$listSearchIndexes`. Definitions live in the collection's catalog entry,
//! so they persist with it.
pub(crate) mod text;
pub(crate) mod vector;

use bson::{Bson, Document, doc};

use crate::command::{coll_arg, doc_arg};
use crate::engine::Engine;
use crate::error::{CmdResult, CommandError, code};

/// The `type` of a search index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SearchKind {
    /// `vectorSearch`: vector fields and filter fields.
    Vector,
    /// `search`: full-text mappings.
    Text,
}

impl SearchKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Vector => "vectorSearch",
            Self::Text => "search",
        }
    }
}

/// The similarity function of a vector field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Similarity {
    /// `(1 + cos) / 2`.
    Cosine,
    /// `1 / (1 + distance)`.
    Euclidean,
    /// `(1 + dot) / 2`.
    DotProduct,
}

/// One vector field of a `vectorSearch` definition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VectorField {
    pub(crate) path: String,
    pub(crate) dims: usize,
    pub(crate) similarity: Similarity,
}

/// One search index definition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SearchIndexDef {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) kind: SearchKind,
    pub(crate) definition: Document,
    pub(crate) version: i64,
    pub(crate) created: bson::DateTime,
}

impl SearchIndexDef {
    fn new(name: String, kind: SearchKind, definition: Document) -> CmdResult<Self> {
        let d = Self {
            id: bson::oid::ObjectId::new().to_hex(),
            name,
            kind,
            definition,
            version: 0,
            created: bson::DateTime::now(),
        };
        d.validate()?;
        Ok(d)
    }

    /// The catalog form.
    pub(crate) fn to_meta(&self) -> Document {
        doc! {
            "id": self.id.clone(), "name": self.name.clone(), "type": self.kind.as_str(),
            "definition": self.definition.clone(), "version": self.version, "created": self.created,
        }
    }

    /// Reads the catalog form.
    pub(crate) fn from_meta(d: &Document) -> CmdResult<Self> {
        let bad = || CommandError::bad_value("corrupt search index entry in the catalog");
        Ok(Self {
            id: d.get_str("id").map_err(|_| bad())?.to_string(),
            name: d.get_str("name").map_err(|_| bad())?.to_string(),
            kind: if d.get_str("type").ok() == Some("vectorSearch") {
                SearchKind::Vector
            } else {
                SearchKind::Text
            },
            definition: d.get_document("definition").map_err(|_| bad())?.clone(),
            version: d.get_i64("version").unwrap_or(0),
            created: d.get_datetime("created").copied().unwrap_or_else(|_| bson::DateTime::now()),
        })
    }

    /// The vector fields of a `vectorSearch` definition.
    pub(crate) fn vector_fields(&self) -> Vec<VectorField> {
        self.fields("vector")
            .into_iter()
            .filter_map(|f| {
                let path = f.get_str("path").ok()?.to_string();
                let dims = crate::value::as_i64(f.get("numDimensions")?)? as usize;
                let similarity = match f.get_str("similarity").ok()? {
                    "cosine" => Similarity::Cosine,
                    "euclidean" => Similarity::Euclidean,
                    "dotProduct" => Similarity::DotProduct,
                    _ => return None,
                };
                Some(VectorField { path, dims, similarity })
            })
            .collect()
    }

    /// The filter paths of a `vectorSearch` definition.
    pub(crate) fn filter_paths(&self) -> Vec<String> {
        self.fields("filter")
            .into_iter()
            .filter_map(|f| f.get_str("path").ok().map(str::to_string))
            .collect()
    }

    fn fields(&self, kind: &str) -> Vec<&Document> {
        match self.definition.get("fields") {
            Some(Bson::Array(a)) => a
                .iter()
                .filter_map(|f| f.as_document())
                .filter(|f| f.get_str("type").ok() == Some(kind))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn validate(&self) -> CmdResult<()> {
        match self.kind {
            SearchKind::Vector => validate_vector(&self.definition),
            SearchKind::Text => validate_text(&self.definition),
        }
    }

    /// The `$listSearchIndexes` entry: built, and queryable right away.
    fn to_list_entry(&self) -> Document {
        doc! {
            "id": self.id.clone(),
            "name": self.name.clone(),
            "type": self.kind.as_str(),
            "status": "READY",
            "queryable": true,
            "latestVersion": self.version,
            "latestDefinitionVersion": { "version": self.version, "createdAt": self.created },
            "latestDefinition": self.definition.clone(),
            "statusDetail": [ { "hostname": "mdbr-lite", "status": "READY", "queryable": true,
                "mainIndex": { "status": "READY", "queryable": true,
                    "definitionVersion": { "version": self.version, "createdAt": self.created },
                    "definition": self.definition.clone() } } ],
        }
    }
}

fn invalid(msg: impl Into<String>) -> CommandError {
    CommandError::new(code::BAD_VALUE, format!("Invalid index definition: {}", msg.into()))
}

fn validate_vector(def: &Document) -> CmdResult<()> {
    let Some(Bson::Array(fields)) = def.get("fields") else {
        return Err(invalid("\"fields\" is required and must be an array"));
    };
    if fields.is_empty() {
        return Err(invalid("\"fields\" must contain at least one vector field"));
    }
    let mut vectors = 0;
    for f in fields {
        let Bson::Document(f) = f else {
            return Err(invalid("each entry of \"fields\" must be an object"));
        };
        let path = f.get_str("path").map_err(|_| invalid("\"fields.path\" is required"))?;
        match f.get_str("type") {
            Ok("vector") => {
                vectors += 1;
                let dims = f.get("numDimensions").and_then(crate::value::as_i64);
                if !dims.is_some_and(|n| (1..=8192).contains(&n)) {
                    return Err(invalid(format!(
                        "\"numDimensions\" of '{path}' must be an integer between 1 and 8192"
                    )));
                }
                if !matches!(f.get_str("similarity"), Ok("cosine" | "euclidean" | "dotProduct")) {
                    return Err(invalid(format!(
                        "\"similarity\" of '{path}' must be one of cosine, euclidean, dotProduct"
                    )));
                }
            }
            Ok("filter") => {}
            _ => {
                return Err(invalid(format!(
                    "\"fields.type\" of '{path}' must be \"vector\" or \"filter\""
                )));
            }
        }
    }
    if vectors == 0 {
        return Err(invalid("\"fields\" must contain at least one vector field"));
    }
    Ok(())
}

fn validate_text(def: &Document) -> CmdResult<()> {
    match def.get("mappings") {
        Some(Bson::Document(_)) => Ok(()),
        _ => Err(invalid("\"mappings\" is required and must be an object")),
    }
}

fn kind_of(t: Option<&Bson>, definition: &Document) -> CmdResult<SearchKind> {
    match t {
        Some(Bson::String(s)) if s == "vectorSearch" => Ok(SearchKind::Vector),
        Some(Bson::String(s)) if s == "search" => Ok(SearchKind::Text),
        None => Ok(if definition.contains_key("fields") && !definition.contains_key("mappings") {
            SearchKind::Vector
        } else {
            SearchKind::Text
        }),
        Some(other) => Err(CommandError::bad_value(format!(
            "Invalid search index type: {other}; expected \"search\" or \"vectorSearch\""
        ))),
    }
}

/// `createSearchIndexes`: `{createSearchIndexes: coll, indexes: [{name, type, definition}]}`.
pub(crate) fn create_search_indexes(
    engine: &mut Engine,
    db: &str,
    cmd: &Document,
) -> CmdResult<Document> {
    let coll = coll_arg(cmd)?;
    let Some(Bson::Array(items)) = cmd.get("indexes") else {
        return Err(CommandError::failed_to_parse(
            "BSON field 'createSearchIndexes.indexes' is missing but a required field",
        ));
    };
    let mut fresh = Vec::with_capacity(items.len());
    for it in items {
        let Bson::Document(spec) = it else {
            return Err(CommandError::type_mismatch("each search index spec must be an object"));
        };
        let definition = doc_arg(spec, "definition")?
            .ok_or_else(|| {
                CommandError::failed_to_parse(
                    "BSON field 'SearchIndexSpec.definition' is missing but a required field",
                )
            })?
            .clone();
        let name = spec.get_str("name").unwrap_or("default").to_string();
        let kind = kind_of(spec.get("type"), &definition)?;
        fresh.push(SearchIndexDef::new(name, kind, definition)?);
    }
    let created = engine.with_search_indexes(db, &coll, |list| {
        let mut out = Vec::new();
        for d in fresh {
            if list.iter().any(|x| x.name == d.name) {
                return Err(CommandError::new(
                    68,
                    format!("Duplicate Index: an index named '{}' already exists", d.name),
                ));
            }
            out.push(Bson::Document(doc! { "id": d.id.clone(), "name": d.name.clone() }));
            list.push(d);
        }
        Ok(out)
    })?;
    Ok(doc! { "indexesCreated": created })
}

fn find_pos(list: &[SearchIndexDef], cmd: &Document) -> CmdResult<usize> {
    let by_name = cmd.get_str("name").ok();
    let by_id = cmd.get_str("id").ok();
    if by_name.is_none() && by_id.is_none() {
        return Err(CommandError::failed_to_parse("Either 'name' or 'id' must be specified"));
    }
    list.iter()
        .position(|d| by_name.is_some_and(|n| n == d.name) || by_id.is_some_and(|i| i == d.id))
        .ok_or_else(|| {
            CommandError::new(
                code::INDEX_NOT_FOUND,
                format!("Search index {} not found", by_name.or(by_id).unwrap_or("")),
            )
        })
}

/// `updateSearchIndex`: `{updateSearchIndex: coll, name | id, definition}`.
pub(crate) fn update_search_index(
    engine: &mut Engine,
    db: &str,
    cmd: &Document,
) -> CmdResult<Document> {
    let coll = coll_arg(cmd)?;
    let definition = doc_arg(cmd, "definition")?
        .ok_or_else(|| {
            CommandError::failed_to_parse(
                "BSON field 'updateSearchIndex.definition' is missing but a required field",
            )
        })?
        .clone();
    if engine.coll(db, &coll).is_none() {
        return Err(CommandError::new(
            code::NAMESPACE_NOT_FOUND,
            format!("Collection '{db}.{coll}' does not exist."),
        ));
    }
    engine.with_search_indexes(db, &coll, |list| {
        let i = find_pos(list, cmd)?;
        let mut next = list[i].clone();
        next.definition = definition;
        next.version += 1;
        next.created = bson::DateTime::now();
        next.validate()?;
        list[i] = next;
        Ok(())
    })?;
    Ok(Document::new())
}

/// `dropSearchIndex`: `{dropSearchIndex: coll, name | id}`.
pub(crate) fn drop_search_index(
    engine: &mut Engine,
    db: &str,
    cmd: &Document,
) -> CmdResult<Document> {
    let coll = coll_arg(cmd)?;
    if engine.coll(db, &coll).is_none() {
        return Err(CommandError::new(
            code::NAMESPACE_NOT_FOUND,
            format!("Collection '{db}.{coll}' does not exist."),
        ));
    }
    engine.with_search_indexes(db, &coll, |list| {
        let i = find_pos(list, cmd)?;
        list.remove(i);
        Ok(())
    })?;
    Ok(Document::new())
}

/// `$listSearchIndexes`: `{}` for all, or `{name}` / `{id}` for one.
pub(crate) fn list_stage(
    engine: &Engine,
    db: &str,
    coll: Option<&str>,
    arg: &Bson,
) -> CmdResult<Vec<Document>> {
    let Bson::Document(spec) = arg else {
        return Err(CommandError::failed_to_parse(
            "$listSearchIndexes must take a document as an argument",
        ));
    };
    let name = spec.get_str("name").ok();
    let id = spec.get_str("id").ok();
    let Some(c) = coll.and_then(|c| engine.coll(db, c)) else { return Ok(Vec::new()) };
    Ok(c.search_indexes
        .iter()
        .filter(|d| name.is_none_or(|n| n == d.name) && id.is_none_or(|i| i == d.id))
        .map(SearchIndexDef::to_list_entry)
        .collect())
}
