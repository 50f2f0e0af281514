//! Projections: inclusion/exclusion, `_id`, dotted paths, computed fields, and the find-only
//! operators `$slice`, `$elemMatch`, positional `$` and `$meta`; a projection of top-level
//! exclusions only is also applied to a document's BSON bytes, without decoding it.
use std::collections::BTreeMap;

use bson::raw::{RawDocument, RawDocumentBuf};
use bson::{Bson, Document};

use crate::aggregate::expr::{self, Vars};
use crate::engine::collection::TENANT_FIELD;
use crate::engine::record::Record;
use crate::error::{CmdResult, CommandError};
use crate::query::filter::Filter;
use crate::query::path;

/// A compiled projection.
#[derive(Debug, Clone)]
pub(crate) struct Projection {
    inclusion: bool,
    include_id: bool,
    tree: Tree,
    extras: Vec<(String, Extra)>,
    computed: Vec<(String, Bson)>,
}

#[derive(Debug, Clone, Default)]
struct Tree {
    leaf: bool,
    children: BTreeMap<String, Tree>,
}

#[derive(Debug, Clone)]
enum Extra {
    Slice(i64, Option<i64>),
    ElemMatch(Filter),
    Positional,
    Meta,
}

impl Tree {
    fn add(&mut self, parts: &[&str]) {
        match parts.split_first() {
            None => self.leaf = true,
            Some((f, rest)) => self.children.entry((*f).to_string()).or_default().add(rest),
        }
    }
}

fn flatten(prefix: &str, spec: &Document, out: &mut Vec<(String, Bson)>) {
    for (k, v) in spec {
        let full = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match v {
            Bson::Document(d)
                if !d.is_empty() && !d.keys().next().is_some_and(|x| x.starts_with('$')) =>
            {
                flatten(&full, d, out);
            }
            other => out.push((full, other.clone())),
        }
    }
}

impl Projection {
    /// Compiles a projection; `find` enables the find-only operators.
    pub(crate) fn new(spec: &Document, find: bool) -> CmdResult<Self> {
        let mut flat = Vec::new();
        flatten("", spec, &mut flat);
        let mut p = Projection {
            inclusion: false,
            include_id: true,
            tree: Tree::default(),
            extras: Vec::new(),
            computed: Vec::new(),
        };
        let mut saw_include: Option<String> = None;
        let mut saw_exclude: Option<String> = None;
        for (k, v) in flat {
            if let Some(base) = k.strip_suffix(".$") {
                if !find {
                    return Err(CommandError::new(
                        31324,
                        "Cannot use positional projection in aggregation projection",
                    ));
                }
                p.extras.push((base.to_string(), Extra::Positional));
                saw_include.get_or_insert(k.clone());
                continue;
            }
            match &v {
                Bson::Boolean(_)
                | Bson::Int32(_)
                | Bson::Int64(_)
                | Bson::Double(_)
                | Bson::Decimal128(_) => {
                    let on = crate::value::truthy(&v);
                    if k == "_id" {
                        p.include_id = on;
                    } else if on {
                        p.tree.add(&k.split('.').collect::<Vec<_>>());
                        saw_include.get_or_insert(k.clone());
                    } else {
                        p.tree.add(&k.split('.').collect::<Vec<_>>());
                        saw_exclude.get_or_insert(k.clone());
                    }
                }
                Bson::Document(d) if find && d.contains_key("$slice") => {
                    let (skip, n) = match d.get("$slice") {
                        Some(Bson::Array(a)) if a.len() == 2 => {
                            let s = crate::value::as_i64(&a[0])
                                .ok_or_else(|| CommandError::bad_value("$slice takes numbers"))?;
                            let n = crate::value::as_i64(&a[1])
                                .ok_or_else(|| CommandError::bad_value("$slice takes numbers"))?;
                            if n <= 0 {
                                return Err(CommandError::bad_value(
                                    "$slice limit must be positive",
                                ));
                            }
                            (s, Some(n))
                        }
                        Some(x) => (
                            crate::value::as_i64(x).ok_or_else(|| {
                                CommandError::bad_value(
                                    "$slice only supports numbers and [skip, limit] arrays",
                                )
                            })?,
                            None,
                        ),
                        None => (0, None),
                    };
                    p.extras.push((k.clone(), Extra::Slice(skip, n)));
                }
                Bson::Document(d) if find && d.contains_key("$elemMatch") => {
                    let Some(Bson::Document(inner)) = d.get("$elemMatch") else {
                        return Err(CommandError::bad_value(
                            "elemMatch: Invalid argument, object required.",
                        ));
                    };
                    let wrapped = bson::doc! { "x": { "$elemMatch": inner.clone() } };
                    p.extras.push((k.clone(), Extra::ElemMatch(Filter::new(&wrapped)?)));
                    saw_include.get_or_insert(k.clone());
                }
                Bson::Document(d) if find && d.contains_key("$meta") => {
                    p.extras.push((k.clone(), Extra::Meta));
                }
                _ => {
                    if k == "_id" {
                        p.include_id = false;
                    }
                    p.computed.push((k.clone(), v.clone()));
                    saw_include.get_or_insert(k.clone());
                }
            }
        }
        if let (Some(inc), Some(exc)) = (&saw_include, &saw_exclude) {
            return Err(CommandError::new(
                31254,
                format!("Cannot do exclusion on field {exc} in inclusion projection (field {inc})"),
            ));
        }
        // `{_id: 1}` alone is an inclusion projection of just `_id`.
        let only_id_included =
            saw_exclude.is_none() && spec.get("_id").is_some_and(crate::value::truthy);
        p.inclusion = saw_include.is_some() || (only_id_included && p.extras.is_empty());
        Ok(p)
    }

    /// Applies the projection; `query` serves the positional operator.
    pub(crate) fn apply(&self, doc: &Document, query: Option<&Filter>) -> CmdResult<Document> {
        self.apply_with(doc, query, &Vars::default())
    }

    /// Applies the projection with the variables `vars` visible to computed fields.
    pub(crate) fn apply_with(
        &self,
        doc: &Document,
        query: Option<&Filter>,
        vars: &Vars,
    ) -> CmdResult<Document> {
        let mut out = if self.inclusion {
            let mut o = Document::new();
            if self.include_id
                && let Some(id) = doc.get("_id")
            {
                o.insert("_id", id.clone());
            }
            include(&self.tree, doc, &mut o);
            o
        } else {
            let mut o = doc.clone();
            exclude(&self.tree, &mut o);
            if !self.include_id {
                o.remove("_id");
            }
            o
        };
        for (k, e) in &self.computed {
            let v = expr::eval(e, doc, vars)?;
            if !expr::is_remove(&v) {
                set_dotted(&mut out, k, v);
            }
        }
        for (k, x) in &self.extras {
            match x {
                Extra::Slice(skip, n) => {
                    if let Some(Bson::Array(a)) = path::get(doc, k) {
                        let len = a.len() as i64;
                        let (start, count) = match n {
                            None if *skip >= 0 => (0, *skip),
                            None => ((len + skip).max(0), len),
                            Some(n) => {
                                let s =
                                    if *skip < 0 { (len + skip).max(0) } else { (*skip).min(len) };
                                (s, *n)
                            }
                        };
                        let sliced: Vec<Bson> = a
                            .iter()
                            .skip(start as usize)
                            .take(count.max(0) as usize)
                            .cloned()
                            .collect();
                        set_dotted(&mut out, k, Bson::Array(sliced));
                    }
                }
                Extra::ElemMatch(f) => {
                    out.remove(k);
                    if let Some(Bson::Array(a)) = doc.get(k)
                        && let Some(e) =
                            a.iter().find(|e| f.matches(&bson::doc! { "x": [(*e).clone()] }))
                    {
                        out.insert(k.clone(), Bson::Array(vec![e.clone()]));
                    }
                }
                Extra::Positional => {
                    let idx = query
                        .and_then(|q| q.positional_index(doc, k))
                        .ok_or_else(|| CommandError::bad_value("Executor error during find command :: caused by :: positional operator '.$' requires corresponding field in query specifier"))?;
                    if let Some(Bson::Array(a)) = path::get(doc, k)
                        && let Some(e) = a.get(idx)
                    {
                        set_dotted(&mut out, k, Bson::Array(vec![e.clone()]));
                    }
                }
                Extra::Meta => {}
            }
        }
        Ok(out)
    }
}

/// A projection made only of top-level exclusions (`{a: 0, b: false, _id: 0}`), applied to a
/// document's bytes: every element is copied except those the projection excludes. For such a
/// projection this gives what [`Projection::apply`] gives on the decoded document.
#[derive(Debug, Clone)]
pub(crate) struct TopLevelExclusion<'a> {
    names: Vec<&'a str>,
    /// The projection excludes the tenant field and nothing else (what mdbr's scoped `find`
    /// sends).
    only_tenant: bool,
}

impl<'a> TopLevelExclusion<'a> {
    /// The excluded fields of `spec` when it holds nothing but top-level exclusions (no
    /// inclusion, dotted path, operator or computed field), else `None`.
    pub(crate) fn parse(spec: &'a Document) -> Option<Self> {
        let mut names = Vec::with_capacity(spec.len());
        for (k, v) in spec {
            let flag = matches!(
                v,
                Bson::Boolean(_)
                    | Bson::Int32(_)
                    | Bson::Int64(_)
                    | Bson::Double(_)
                    | Bson::Decimal128(_)
            );
            if !flag || crate::value::truthy(v) || k.is_empty() || k.contains(['.', '$']) {
                return None;
            }
            names.push(k.as_str());
        }
        let only_tenant = names == [TENANT_FIELD];
        Some(Self { names, only_tenant })
    }

    /// [`TopLevelExclusion::apply`] to a stored record: when the projection excludes only the
    /// tenant field and the record knows where that field is, the bytes around it are copied
    /// without walking the document.
    pub(crate) fn apply_record(&self, r: &Record) -> Option<RawDocumentBuf> {
        match r.tenant_span() {
            Some(Some(span)) if self.only_tenant => {
                let bytes = r.raw().as_bytes();
                let len = bytes.len() - span.len();
                let mut out = Vec::with_capacity(len);
                out.extend_from_slice(&i32::try_from(len).ok()?.to_le_bytes());
                out.extend_from_slice(bytes.get(4..span.start)?);
                out.extend_from_slice(bytes.get(span.end..)?);
                RawDocumentBuf::from_bytes(out).ok()
            }
            Some(None) if self.only_tenant => Some(r.raw().to_owned()),
            _ => self.apply(r.raw()),
        }
    }

    /// The document without the excluded fields, every occurrence of each (a stored document
    /// can repeat a name), copied from its bytes. `None` when the bytes do not parse, which
    /// bytes the wire validator accepted always do.
    pub(crate) fn apply(&self, raw: &RawDocument) -> Option<RawDocumentBuf> {
        let bytes = raw.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        out.extend_from_slice(&[0; 4]);
        // Kept elements are copied in runs: `kept` is where the current run starts.
        let mut at = 4;
        let mut kept = 4;
        for (_, key, value) in crate::engine::record::elements(bytes) {
            let len = 1 + key.len() + 1 + value.len();
            if self.names.iter().any(|n| n.as_bytes() == key) {
                out.extend_from_slice(bytes.get(kept..at)?);
                kept = at + len;
            }
            at += len;
        }
        if at + 1 != bytes.len() {
            return None;
        }
        out.extend_from_slice(bytes.get(kept..at)?);
        out.push(0);
        let len = i32::try_from(out.len()).ok()?;
        out.get_mut(..4)?.copy_from_slice(&len.to_le_bytes());
        RawDocumentBuf::from_bytes(out).ok()
    }
}

fn include(tree: &Tree, doc: &Document, out: &mut Document) {
    for (k, v) in doc {
        let Some(sub) = tree.children.get(k) else { continue };
        if sub.leaf {
            out.insert(k.clone(), v.clone());
            continue;
        }
        match v {
            Bson::Document(d) => {
                let mut o = Document::new();
                include(sub, d, &mut o);
                out.insert(k.clone(), Bson::Document(o));
            }
            Bson::Array(a) => {
                out.insert(k.clone(), Bson::Array(include_array(sub, a)));
            }
            _ => {}
        }
    }
}

fn include_array(tree: &Tree, a: &[Bson]) -> Vec<Bson> {
    a.iter()
        .filter_map(|e| match e {
            Bson::Document(d) => {
                let mut o = Document::new();
                include(tree, d, &mut o);
                Some(Bson::Document(o))
            }
            Bson::Array(inner) => Some(Bson::Array(include_array(tree, inner))),
            _ => None,
        })
        .collect()
}

fn exclude(tree: &Tree, doc: &mut Document) {
    for (k, sub) in &tree.children {
        if sub.leaf {
            doc.remove(k);
            continue;
        }
        match doc.get_mut(k) {
            Some(Bson::Document(d)) => exclude(sub, d),
            Some(Bson::Array(a)) => exclude_array(sub, a),
            _ => {}
        }
    }
}

fn exclude_array(tree: &Tree, a: &mut [Bson]) {
    for e in a {
        match e {
            Bson::Document(d) => exclude(tree, d),
            Bson::Array(inner) => exclude_array(tree, inner),
            _ => {}
        }
    }
}

/// Sets a dotted path, creating sub-documents (replacing non-documents on the way).
pub(crate) fn set_dotted(doc: &mut Document, p: &str, v: Bson) {
    match p.split_once('.') {
        None => {
            doc.insert(p.to_string(), v);
        }
        Some((head, rest)) => {
            if !matches!(doc.get(head), Some(Bson::Document(_))) {
                doc.insert(head.to_string(), Bson::Document(Document::new()));
            }
            if let Some(Bson::Document(d)) = doc.get_mut(head) {
                set_dotted(d, rest, v);
            }
        }
    }
}
