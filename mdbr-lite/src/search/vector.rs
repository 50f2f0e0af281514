//! `$vectorSearch`: exact nearest-neighbour search over the vectors of a `vectorSearch` index,
//! scored as Atlas scores each similarity, with pre-filtering on the declared filter fields.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bson::{Bson, Document};

use crate::aggregate::expr::VECTOR_SCORE;
use crate::engine::Engine;
use crate::engine::collection::Collection;
use crate::error::{CmdResult, CommandError, code};
use crate::index::RecordId;
use crate::query::filter::Filter;
use crate::search::{SearchKind, Similarity, VectorField};
use crate::value::{as_f64, as_i64, type_alias};

/// The largest `numCandidates` Atlas accepts.
const MAX_CANDIDATES: i64 = 10_000;

/// The vectors of one path, extracted from a collection at one version.
#[derive(Debug)]
struct Vectors {
    version: u64,
    dims: usize,
    rids: Vec<RecordId>,
    data: Vec<f32>,
    norms: Vec<f32>,
}

/// Vectors extracted per (path, dimensions), rebuilt after the collection changes.
#[derive(Default)]
pub(crate) struct VectorCache(Mutex<HashMap<(String, usize), Arc<Vectors>>>);

impl Clone for VectorCache {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl std::fmt::Debug for VectorCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VectorCache")
    }
}

impl VectorCache {
    fn get(&self, c: &Collection, path: &str, dims: usize) -> Arc<Vectors> {
        let key = (path.to_string(), dims);
        let version = c.version();
        if let Ok(map) = self.0.lock()
            && let Some(v) = map.get(&key)
            && v.version == version
        {
            return Arc::clone(v);
        }
        let built = Arc::new(build(c, path, dims));
        if let Ok(mut map) = self.0.lock() {
            map.insert(key, Arc::clone(&built));
        }
        built
    }
}

fn build(c: &Collection, path: &str, dims: usize) -> Vectors {
    let mut rids = Vec::new();
    let mut data = Vec::with_capacity(c.len() * dims);
    let mut norms = Vec::new();
    for (rid, d) in c.iter() {
        let Some(v) = crate::query::path::get(d, path) else { continue };
        let start = data.len();
        if !push_vector(v, dims, &mut data) {
            data.truncate(start);
            continue;
        }
        let n = data[start..].iter().map(|x| x * x).sum::<f32>().sqrt();
        rids.push(*rid);
        norms.push(n);
    }
    Vectors { version: c.version(), dims, rids, data, norms }
}

/// Appends the vector `v` (an array of numbers or a BSON vector) when it has `dims` elements.
fn push_vector(v: &Bson, dims: usize, out: &mut Vec<f32>) -> bool {
    match v {
        Bson::Array(a) => {
            if a.len() != dims {
                return false;
            }
            for x in a {
                match as_f64(x) {
                    Some(f) => out.push(f as f32),
                    None => return false,
                }
            }
            true
        }
        Bson::Binary(b) if u8::from(b.subtype) == 9 && b.bytes.len() >= 2 => {
            let body = &b.bytes[2..];
            match b.bytes[0] {
                0x27 if body.len() == dims * 4 => {
                    out.extend(
                        body.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                    );
                    true
                }
                0x03 if body.len() == dims => {
                    out.extend(body.iter().map(|x| f32::from(*x as i8)));
                    true
                }
                _ => false,
            }
        }
        _ => false,
    }
}

fn bad(msg: impl Into<String>) -> CommandError {
    CommandError::new(code::BAD_VALUE, msg)
}

fn required<'a>(spec: &'a Document, key: &str) -> CmdResult<&'a Bson> {
    spec.get(key).ok_or_else(|| {
        CommandError::failed_to_parse(format!("\"$vectorSearch.{key}\" is required"))
    })
}

/// Runs `$vectorSearch` on `db.coll`: the best `limit` documents, each carrying its score.
pub(crate) fn stage(
    engine: &Engine,
    db: &str,
    coll: Option<&str>,
    arg: &Bson,
) -> CmdResult<Vec<Document>> {
    let Bson::Document(spec) = arg else {
        return Err(CommandError::failed_to_parse("$vectorSearch takes an object"));
    };
    for k in spec.keys() {
        if !matches!(
            k.as_str(),
            "index" | "path" | "queryVector" | "numCandidates" | "limit" | "filter" | "exact"
        ) {
            return Err(CommandError::failed_to_parse(format!(
                "\"$vectorSearch.{k}\" is not a valid field"
            )));
        }
    }
    let index = match required(spec, "index")? {
        Bson::String(s) => s.clone(),
        other => return Err(bad(format!("\"index\" must be a string, not {}", type_alias(other)))),
    };
    let path = match required(spec, "path")? {
        Bson::String(s) => s.clone(),
        other => return Err(bad(format!("\"path\" must be a string, not {}", type_alias(other)))),
    };
    let mut query = Vec::new();
    let qv = required(spec, "queryVector")?;
    let qdims = match qv {
        Bson::Array(a) => a.len(),
        Bson::Binary(b) => match b.bytes.first() {
            Some(0x27) => b.bytes.len().saturating_sub(2) / 4,
            _ => b.bytes.len().saturating_sub(2),
        },
        other => {
            return Err(bad(format!(
                "\"queryVector\" must be an array of numbers, not {}",
                type_alias(other)
            )));
        }
    };
    if !push_vector(qv, qdims, &mut query) {
        return Err(bad("\"queryVector\" must be an array of numbers"));
    }
    let limit = as_i64(required(spec, "limit")?)
        .filter(|n| *n >= 1)
        .ok_or_else(|| bad("\"limit\" must be a positive integer"))?;
    let exact = match spec.get("exact") {
        None => false,
        Some(Bson::Boolean(b)) => *b,
        Some(other) => {
            return Err(bad(format!("\"exact\" must be a boolean, not {}", type_alias(other))));
        }
    };
    match (exact, spec.get("numCandidates")) {
        (true, Some(_)) => {
            return Err(bad("\"numCandidates\" is not allowed when \"exact\" is true"));
        }
        (false, None) => {
            return Err(CommandError::failed_to_parse(
                "\"$vectorSearch.numCandidates\" is required when \"exact\" is false",
            ));
        }
        (false, Some(n)) => {
            let n = as_i64(n).ok_or_else(|| bad("\"numCandidates\" must be an integer"))?;
            if n > MAX_CANDIDATES {
                return Err(bad(format!(
                    "\"numCandidates\" must be less than or equal to {MAX_CANDIDATES}"
                )));
            }
            if n < limit {
                return Err(bad(
                    "\"numCandidates\" must be greater than or equal to the value of \"limit\"",
                ));
            }
        }
        (true, None) => {}
    }
    let filter_doc = match spec.get("filter") {
        None => None,
        Some(Bson::Document(f)) => Some(f),
        Some(other) => {
            return Err(bad(format!("\"filter\" must be an object, not {}", type_alias(other))));
        }
    };
    let Some(c) = coll.and_then(|c| engine.coll(db, c)) else {
        return Err(index_not_found(&index));
    };
    let def = c
        .search_indexes
        .iter()
        .find(|d| d.name == index && d.kind == SearchKind::Vector)
        .ok_or_else(|| index_not_found(&index))?;
    let field: VectorField =
        def.vector_fields().into_iter().find(|f| f.path == path).ok_or_else(|| {
            bad(format!("Path '{path}' needs to be indexed as vector in index '{index}'"))
        })?;
    if field.dims != qdims {
        return Err(bad(format!(
            "vector field is indexed with {} dimensions but queried with {qdims}",
            field.dims
        )));
    }
    let filter = match filter_doc {
        None => None,
        Some(f) => {
            let declared = def.filter_paths();
            check_filter(f, &declared)?;
            Some(Filter::new(f)?)
        }
    };
    let vectors = c.vectors.get(c, &path, field.dims);
    let qnorm = query.iter().map(|x| x * x).sum::<f32>().sqrt();
    // Which indexed documents pass the filter: the vectors were extracted in record order, so
    // one pass over the collection lines up with them.
    let allowed: Option<Vec<bool>> = filter.as_ref().map(|f| {
        let mut keep = vec![false; vectors.rids.len()];
        let mut j = 0;
        for (rid, d) in c.iter() {
            if j >= vectors.rids.len() {
                break;
            }
            if vectors.rids[j] == *rid {
                keep[j] = f.matches(d);
                j += 1;
            }
        }
        keep
    });
    let mut scored: Vec<(f32, usize)> = Vec::with_capacity(vectors.rids.len());
    for i in 0..vectors.rids.len() {
        if allowed.as_ref().is_some_and(|a| !a[i]) {
            continue;
        }
        let v = &vectors.data[i * vectors.dims..(i + 1) * vectors.dims];
        let s = score(field.similarity, &query, qnorm, v, vectors.norms[i]);
        scored.push((s, i));
    }
    let k = (limit as usize).min(scored.len());
    let by_score = |a: &(f32, usize), b: &(f32, usize)| {
        b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal).then(a.1.cmp(&b.1))
    };
    if k < scored.len() && k > 0 {
        scored.select_nth_unstable_by(k - 1, by_score);
        scored.truncate(k);
    }
    scored.sort_by(by_score);
    scored.truncate(k);
    let mut out = Vec::with_capacity(k);
    for (s, i) in scored {
        if let Some(d) = c.get(vectors.rids[i]) {
            let mut d = d.clone();
            d.insert(VECTOR_SCORE, Bson::Double(f64::from(s)));
            out.push(d);
        }
    }
    Ok(out)
}

fn index_not_found(index: &str) -> CommandError {
    CommandError::new(
        code::INDEX_NOT_FOUND,
        format!("$vectorSearch index '{index}' does not exist on this collection"),
    )
}

/// Atlas's score for one vector.
fn score(sim: Similarity, q: &[f32], qnorm: f32, v: &[f32], vnorm: f32) -> f32 {
    match sim {
        Similarity::DotProduct => (1.0 + dot(q, v)) / 2.0,
        Similarity::Cosine => {
            let denom = qnorm * vnorm;
            let cos = if denom > 0.0 { dot(q, v) / denom } else { 0.0 };
            (1.0 + cos) / 2.0
        }
        Similarity::Euclidean => {
            let mut acc = [0f32; 8];
            let (qa, qr) = q.split_at(q.len() / 8 * 8);
            let (va, vr) = v.split_at(qa.len());
            for (x, y) in qa.chunks_exact(8).zip(va.chunks_exact(8)) {
                for j in 0..8 {
                    let d = x[j] - y[j];
                    acc[j] += d * d;
                }
            }
            let mut sum: f32 = acc.iter().sum();
            for (x, y) in qr.iter().zip(vr) {
                sum += (x - y) * (x - y);
            }
            1.0 / (1.0 + sum.sqrt())
        }
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (aa, ar) = a.split_at(a.len() / 8 * 8);
    let (ba, br) = b.split_at(aa.len());
    for (x, y) in aa.chunks_exact(8).zip(ba.chunks_exact(8)) {
        for j in 0..8 {
            acc[j] += x[j] * y[j];
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (x, y) in ar.iter().zip(br) {
        sum += x * y;
    }
    sum
}

const FILTER_OPS: &[&str] =
    &["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$not", "$exists"];

/// Checks a `$vectorSearch` filter: only declared filter paths and the operators Atlas allows.
fn check_filter(f: &Document, declared: &[String]) -> CmdResult<()> {
    for (k, v) in f {
        if k.starts_with('$') {
            match k.as_str() {
                "$and" | "$or" | "$nor" => {
                    let Bson::Array(items) = v else {
                        return Err(bad(format!("{k} in a $vectorSearch filter takes an array")));
                    };
                    for it in items {
                        let Bson::Document(d) = it else {
                            return Err(bad(format!(
                                "{k} in a $vectorSearch filter takes an array of objects"
                            )));
                        };
                        check_filter(d, declared)?;
                    }
                }
                other => {
                    return Err(bad(format!(
                        "Operator '{other}' is not supported in a $vectorSearch filter"
                    )));
                }
            }
            continue;
        }
        if !declared.iter().any(|p| p == k) {
            return Err(bad(format!("Path '{k}' needs to be indexed as filter")));
        }
        if let Bson::Document(ops) = v
            && ops.keys().next().is_some_and(|x| x.starts_with('$'))
        {
            check_ops(ops)?;
        }
    }
    Ok(())
}

fn check_ops(ops: &Document) -> CmdResult<()> {
    for (op, v) in ops {
        if !FILTER_OPS.contains(&op.as_str()) {
            return Err(bad(format!("Operator '{op}' is not supported in a $vectorSearch filter")));
        }
        if op == "$not" {
            let Bson::Document(inner) = v else {
                return Err(bad("$not in a $vectorSearch filter takes an object"));
            };
            check_ops(inner)?;
        }
    }
    Ok(())
}
