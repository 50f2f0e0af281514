//! `$search` over a `search` index: the `text`, `phrase`, `equals`, `in`, `range`, `exists` and
//! `compound` operators, scored with BM25 over an inverted index built per query from the
//! collection's documents.
use std::collections::HashMap;

use bson::{Bson, Document};

use crate::aggregate::expr::SEARCH_SCORE;
use crate::engine::Engine;
use crate::engine::collection::Collection;
use crate::error::{CmdResult, CommandError, code};
use crate::index::RecordId;
use crate::query::path;
use crate::search::SearchKind;
use crate::value::{compare, type_alias, values_equal};

/// Options of `$search` that are not an operator.
const OPTIONS: &[&str] = &[
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

fn bad(msg: impl Into<String>) -> CommandError {
    CommandError::new(code::BAD_VALUE, msg)
}

/// Lower-cased alphanumeric tokens, as the standard analyzer produces them.
fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The strings at `p` in `d` (array elements included).
fn strings_at<'a>(d: &'a Document, p: &str) -> Vec<&'a str> {
    path::key_values(d, p).into_iter().filter_map(|v| v.as_str()).collect()
}

/// Every string-valued path of a document, for `{wildcard: "*"}`.
fn all_strings(d: &Document, prefix: &str, out: &mut Vec<String>) {
    for (k, v) in d {
        let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match v {
            Bson::String(s) => out.push(s.clone()),
            Bson::Document(inner) => all_strings(inner, &p, out),
            Bson::Array(a) => {
                for x in a {
                    match x {
                        Bson::String(s) => out.push(s.clone()),
                        Bson::Document(inner) => all_strings(inner, &p, out),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

/// The paths of an operator: a string, `{wildcard}`, or an array of either.
#[derive(Debug)]
enum Paths {
    Some(Vec<String>),
    All,
}

fn paths(v: Option<&Bson>) -> CmdResult<Paths> {
    match v {
        Some(Bson::String(s)) => Ok(Paths::Some(vec![s.clone()])),
        Some(Bson::Document(d)) if d.contains_key("wildcard") => Ok(Paths::All),
        Some(Bson::Array(a)) => {
            let mut out = Vec::new();
            for x in a {
                match x {
                    Bson::String(s) => out.push(s.clone()),
                    Bson::Document(d) if d.contains_key("wildcard") => return Ok(Paths::All),
                    Bson::Document(d) => {
                        if let Ok(v) = d.get_str("value") {
                            out.push(v.to_string());
                        }
                    }
                    _ => return Err(bad("\"path\" must be a string or an array of strings")),
                }
            }
            Ok(Paths::Some(out))
        }
        _ => Err(bad("\"path\" is required")),
    }
}

fn texts(d: &Document, p: &Paths) -> Vec<String> {
    match p {
        Paths::All => {
            let mut out = Vec::new();
            all_strings(d, "", &mut out);
            out
        }
        Paths::Some(ps) => {
            ps.iter().flat_map(|x| strings_at(d, x).into_iter().map(str::to_string)).collect()
        }
    }
}

/// The tokens of every document under some paths, the document frequency of each token, and
/// the average token count.
type PathIndex = (Vec<Vec<String>>, HashMap<String, usize>, f64);

/// Term statistics of the collection for BM25.
struct Corpus<'a> {
    docs: Vec<(RecordId, &'a Document)>,
    /// Per query-relevant path set: tokens of each document, and document frequencies.
    cache: HashMap<String, PathIndex>,
}

impl<'a> Corpus<'a> {
    fn new(c: &'a Collection) -> Self {
        Self { docs: c.iter().map(|(r, d)| (*r, d)).collect(), cache: HashMap::new() }
    }

    /// Tokens of every document under `p`, document frequencies and the average length.
    fn index(&mut self, p: &Paths) -> &PathIndex {
        let key = format!("{p:?}");
        let docs = &self.docs;
        self.cache.entry(key).or_insert_with(|| {
            let toks: Vec<Vec<String>> = docs
                .iter()
                .map(|(_, d)| texts(d, p).iter().flat_map(|t| tokens(t)).collect())
                .collect();
            let mut df: HashMap<String, usize> = HashMap::new();
            for t in &toks {
                let mut seen: Vec<&String> = t.iter().collect();
                seen.sort();
                seen.dedup();
                for s in seen {
                    *df.entry(s.clone()).or_default() += 1;
                }
            }
            let avg = if toks.is_empty() {
                1.0
            } else {
                toks.iter().map(Vec::len).sum::<usize>() as f64 / toks.len() as f64
            };
            (toks, df, avg.max(1.0))
        })
    }
}

/// Scores of every document for one operator: `None` where the document does not match.
fn eval(op: &str, arg: &Bson, corpus: &mut Corpus<'_>) -> CmdResult<Vec<Option<f64>>> {
    let Bson::Document(spec) = arg else {
        return Err(bad(format!("\"{op}\" must be an object")));
    };
    let boost = spec
        .get_document("score")
        .ok()
        .and_then(|s| s.get_document("boost").ok())
        .and_then(|b| b.get("value"))
        .and_then(crate::value::as_f64)
        .unwrap_or(1.0);
    let n = corpus.docs.len();
    let mut out: Vec<Option<f64>> = match op {
        "text" | "phrase" => {
            let queries: Vec<String> = match spec.get("query") {
                Some(Bson::String(s)) => vec![s.clone()],
                Some(Bson::Array(a)) => {
                    a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()
                }
                _ => {
                    return Err(bad(format!(
                        "\"{op}.query\" must be a string or an array of strings"
                    )));
                }
            };
            let p = paths(spec.get("path"))?;
            if op == "phrase" {
                let idx = corpus.index(&p);
                let phrases: Vec<Vec<String>> = queries.iter().map(|q| tokens(q)).collect();
                idx.0
                    .iter()
                    .map(|toks| {
                        let hits = phrases
                            .iter()
                            .filter(|ph| {
                                !ph.is_empty() && toks.windows(ph.len()).any(|w| w == ph.as_slice())
                            })
                            .count();
                        (hits > 0).then_some(hits as f64)
                    })
                    .collect()
            } else {
                let terms: Vec<String> = queries.iter().flat_map(|q| tokens(q)).collect();
                let (toks, df, avg) = corpus.index(&p);
                toks.iter()
                    .map(|t| {
                        let mut s = 0.0;
                        let mut any = false;
                        for term in &terms {
                            let tf = t.iter().filter(|x| *x == term).count() as f64;
                            if tf == 0.0 {
                                continue;
                            }
                            any = true;
                            let d = *df.get(term).unwrap_or(&0) as f64;
                            let idf = (1.0 + (n as f64 - d + 0.5) / (d + 0.5)).ln();
                            let norm = 1.2 * (0.25 + 0.75 * t.len() as f64 / avg);
                            s += idf * tf * 2.2 / (tf + norm);
                        }
                        any.then_some(s)
                    })
                    .collect()
            }
        }
        "equals" | "in" => {
            let p =
                spec.get_str("path").map_err(|_| bad(format!("\"{op}.path\" must be a string")))?;
            let wanted: Vec<Bson> = match (op, spec.get("value")) {
                ("in", Some(Bson::Array(a))) => a.clone(),
                (_, Some(v)) => vec![v.clone()],
                _ => return Err(bad(format!("\"{op}.value\" is required"))),
            };
            corpus
                .docs
                .iter()
                .map(|(_, d)| {
                    let vals = path::key_values(d, p);
                    let hit = if vals.is_empty() {
                        wanted.iter().any(|w| matches!(w, Bson::Null))
                    } else {
                        vals.iter().any(|v| wanted.iter().any(|w| values_equal(v, w)))
                    };
                    hit.then_some(1.0)
                })
                .collect()
        }
        "exists" => {
            let p = spec.get_str("path").map_err(|_| bad("\"exists.path\" must be a string"))?;
            corpus.docs.iter().map(|(_, d)| path::get(d, p).is_some().then_some(1.0)).collect()
        }
        "range" => {
            let p = paths(spec.get("path"))?;
            let Paths::Some(ps) = p else { return Err(bad("\"range.path\" cannot be a wildcard")) };
            corpus
                .docs
                .iter()
                .map(|(_, d)| {
                    let hit = ps.iter().any(|p| {
                        path::key_values(d, p).iter().any(|v| {
                            spec.iter().all(|(k, b)| match k.as_str() {
                                "gt" => compare(v, b).is_gt() && same_kind(v, b),
                                "gte" => compare(v, b).is_ge() && same_kind(v, b),
                                "lt" => compare(v, b).is_lt() && same_kind(v, b),
                                "lte" => compare(v, b).is_le() && same_kind(v, b),
                                _ => true,
                            })
                        })
                    });
                    hit.then_some(1.0)
                })
                .collect()
        }
        "compound" => compound(spec, corpus)?,
        other => {
            return Err(bad(format!(
                "$search operator \"{other}\" is not supported by mdbr-lite (supported: text, phrase, equals, in, range, exists, compound)"
            )));
        }
    };
    if boost != 1.0 {
        for s in out.iter_mut().flatten() {
            *s *= boost;
        }
    }
    Ok(out)
}

fn same_kind(a: &Bson, b: &Bson) -> bool {
    crate::value::type_rank(a) == crate::value::type_rank(b)
}

fn clauses(spec: &Document, key: &str) -> CmdResult<Vec<(String, Bson)>> {
    let items: Vec<&Bson> = match spec.get(key) {
        None => return Ok(Vec::new()),
        Some(Bson::Array(a)) => a.iter().collect(),
        Some(d @ Bson::Document(_)) => vec![d],
        Some(other) => {
            return Err(bad(format!(
                "\"compound.{key}\" must be an object or an array, not {}",
                type_alias(other)
            )));
        }
    };
    let mut out = Vec::new();
    for it in items {
        let Bson::Document(d) = it else {
            return Err(bad(format!("\"compound.{key}\" clauses must be objects")));
        };
        for (k, v) in d {
            out.push((k.clone(), v.clone()));
        }
    }
    Ok(out)
}

fn compound(spec: &Document, corpus: &mut Corpus<'_>) -> CmdResult<Vec<Option<f64>>> {
    let n = corpus.docs.len();
    let must = clauses(spec, "must")?;
    let should = clauses(spec, "should")?;
    let must_not = clauses(spec, "mustNot")?;
    let filter = clauses(spec, "filter")?;
    let min_should =
        spec.get("minimumShouldMatch").and_then(crate::value::as_i64).unwrap_or(
            if must.is_empty() && filter.is_empty() && !should.is_empty() { 1 } else { 0 },
        ) as usize;
    let mut score: Vec<Option<f64>> = vec![Some(0.0); n];
    for (op, arg) in &must {
        let r = eval(op, arg, corpus)?;
        for (s, x) in score.iter_mut().zip(r) {
            *s = match (*s, x) {
                (Some(a), Some(b)) => Some(a + b),
                _ => None,
            };
        }
    }
    for (op, arg) in &filter {
        let r = eval(op, arg, corpus)?;
        for (s, x) in score.iter_mut().zip(r) {
            if x.is_none() {
                *s = None;
            }
        }
    }
    for (op, arg) in &must_not {
        let r = eval(op, arg, corpus)?;
        for (s, x) in score.iter_mut().zip(r) {
            if x.is_some() {
                *s = None;
            }
        }
    }
    let mut matched = vec![0usize; n];
    for (op, arg) in &should {
        let r = eval(op, arg, corpus)?;
        for ((s, m), x) in score.iter_mut().zip(matched.iter_mut()).zip(r) {
            if let (Some(a), Some(b)) = (s.as_mut(), x) {
                *a += b;
                *m += 1;
            }
        }
    }
    for (s, m) in score.iter_mut().zip(matched) {
        if m < min_should {
            *s = None;
        }
    }
    Ok(score)
}

/// Runs `$search` on `db.coll`: matching documents by descending score, each carrying it.
pub(crate) fn stage(
    engine: &Engine,
    db: &str,
    coll: Option<&str>,
    arg: &Bson,
) -> CmdResult<Vec<Document>> {
    let Bson::Document(spec) = arg else {
        return Err(CommandError::failed_to_parse("$search takes an object"));
    };
    let index = spec.get_str("index").unwrap_or("default");
    let Some(c) = coll.and_then(|c| engine.coll(db, c)) else { return Ok(Vec::new()) };
    if !c.search_indexes.iter().any(|d| d.name == index && d.kind == SearchKind::Text) {
        return Err(CommandError::new(
            code::INDEX_NOT_FOUND,
            format!("$search index '{index}' does not exist on this collection"),
        ));
    }
    let ops: Vec<(&String, &Bson)> =
        spec.iter().filter(|(k, _)| !OPTIONS.contains(&k.as_str())).collect();
    let [(op, op_arg)] = ops.as_slice() else {
        return Err(bad("$search takes exactly one operator"));
    };
    let mut corpus = Corpus::new(c);
    let scores = eval(op, op_arg, &mut corpus)?;
    let mut hits: Vec<(f64, usize)> =
        scores.into_iter().enumerate().filter_map(|(i, s)| s.map(|s| (s, i))).collect();
    hits.sort_by(|a, b| {
        b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal).then(a.1.cmp(&b.1))
    });
    Ok(hits
        .into_iter()
        .map(|(s, i)| {
            let mut d = corpus.docs[i].1.clone();
            d.insert(SEARCH_SCORE, Bson::Double(s));
            d
        })
        .collect())
}
