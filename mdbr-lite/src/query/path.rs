//! Dotted paths: resolving `a.b.0.c` through documents and arrays the way MongoDB does.
use bson::{Bson, Document};

/// One value reached by a path.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Leaf<'a> {
    /// The path reaches nothing.
    Missing,
    /// A value; `expanded` is true when it is an element of an array at the end of the path.
    Value(&'a Bson, bool),
}

/// Splits a dotted path into its parts.
pub(crate) fn split(path: &str) -> Vec<String> {
    path.split('.').map(str::to_string).collect()
}

/// Every value `parts` reaches in `doc`, with arrays at the end expanded one level.
pub(crate) fn leaves<'a>(doc: &'a Document, parts: &[String]) -> Vec<Leaf<'a>> {
    let mut out = Vec::new();
    match parts.split_first() {
        None => {}
        Some((first, rest)) => match doc.get(first) {
            None => out.push(Leaf::Missing),
            Some(v) => walk(v, rest, &mut out),
        },
    }
    out
}

/// The leaves of a bare value (the whole value plus, for an array, its elements).
pub(crate) fn value_leaves(v: &Bson) -> Vec<Leaf<'_>> {
    let mut out = Vec::new();
    walk(v, &[], &mut out);
    out
}

fn walk<'a>(v: &'a Bson, parts: &[String], out: &mut Vec<Leaf<'a>>) {
    let Some((first, rest)) = parts.split_first() else {
        out.push(Leaf::Value(v, false));
        if let Bson::Array(a) = v {
            for e in a {
                out.push(Leaf::Value(e, true));
            }
        }
        return;
    };
    match v {
        Bson::Document(d) => match d.get(first) {
            None => out.push(Leaf::Missing),
            Some(child) => walk(child, rest, out),
        },
        Bson::Array(a) => {
            if let Ok(i) = first.parse::<usize>()
                && let Some(e) = a.get(i)
            {
                walk(e, rest, out);
            }
            for e in a {
                if let Bson::Document(d) = e {
                    match d.get(first) {
                        None => out.push(Leaf::Missing),
                        Some(child) => walk(child, rest, out),
                    }
                }
            }
        }
        _ => out.push(Leaf::Missing),
    }
}

/// The value at a dotted path without array expansion (numeric parts index arrays).
pub(crate) fn get<'a>(doc: &'a Document, path: &str) -> Option<&'a Bson> {
    let mut parts = path.split('.');
    let first = parts.next()?;
    let mut cur = doc.get(first)?;
    for p in parts {
        cur = match cur {
            Bson::Document(d) => d.get(p)?,
            Bson::Array(a) => a.get(p.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Values for a key path for indexing and sorting: array elements are expanded at every level.
///
/// Returns an empty vector when the path reaches nothing.
pub(crate) fn key_values<'a>(doc: &'a Document, path: &str) -> Vec<&'a Bson> {
    let mut out = Vec::new();
    if !path.contains('.') {
        if let Some(v) = doc.get(path) {
            key_walk(v, &[], &mut out);
        }
        return out;
    }
    let parts: Vec<&str> = path.split('.').collect();
    if let Some((first, rest)) = parts.split_first()
        && let Some(v) = doc.get(first)
    {
        key_walk(v, rest, &mut out);
    }
    out
}

fn key_walk<'a>(v: &'a Bson, parts: &[&str], out: &mut Vec<&'a Bson>) {
    let Some((first, rest)) = parts.split_first() else {
        match v {
            Bson::Array(a) if !a.is_empty() => out.extend(a.iter()),
            other => out.push(other),
        }
        return;
    };
    match v {
        Bson::Document(d) => {
            if let Some(child) = d.get(first) {
                key_walk(child, rest, out);
            }
        }
        Bson::Array(a) => {
            if let Ok(i) = first.parse::<usize>()
                && let Some(e) = a.get(i)
            {
                key_walk(e, rest, out);
                return;
            }
            for e in a {
                if let Bson::Document(d) = e
                    && let Some(child) = d.get(first)
                {
                    key_walk(child, rest, out);
                }
            }
        }
        _ => {}
    }
}
