//! Filter checks and the combination of a user filter with the app filter.

use bson::{Bson, Document};

use crate::error::{Error, Result};
use crate::rules::{FORBIDDEN_OPERATORS, MAX_DEPTH};

/// `{app_id: …, $and: [user]}`, or just the app filter for an empty user
/// filter. The app filter stays a top-level equality so the server can use
/// an index on it and seed it into upserted documents.
pub(crate) fn combine(scope: Document, user: Document) -> Document {
    if user.is_empty() {
        return scope;
    }
    let mut out = scope;
    out.insert("$and", vec![Bson::Document(user)]);
    out
}

/// Checks a query filter: no forbidden operator anywhere, no excessive nesting.
pub(crate) fn check_filter(filter: &Document) -> Result<()> {
    check_forbidden(filter, "filter")
}

/// Walks a document and refuses forbidden operators at any depth.
pub(crate) fn check_forbidden(value: &Document, what: &str) -> Result<()> {
    walk_doc(value, what, 0)
}

fn walk_doc(doc: &Document, what: &str, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(Error::invalid(format!("{what} is nested deeper than {MAX_DEPTH} levels")));
    }
    for (key, value) in doc {
        if FORBIDDEN_OPERATORS.contains(&key.as_str()) {
            return Err(Error::violation(format!("`{key}` is not allowed (found in {what})")));
        }
        walk_value(value, what, depth + 1)?;
    }
    Ok(())
}

pub(crate) fn walk_value(value: &Bson, what: &str, depth: usize) -> Result<()> {
    match value {
        Bson::Document(d) => walk_doc(d, what, depth),
        Bson::Array(items) => {
            if depth > MAX_DEPTH {
                return Err(Error::invalid(format!(
                    "{what} is nested deeper than {MAX_DEPTH} levels"
                )));
            }
            items.iter().try_for_each(|v| walk_value(v, what, depth + 1))
        }
        Bson::JavaScriptCode(_) | Bson::JavaScriptCodeWithScope(_) => {
            Err(Error::violation(format!("JavaScript code is not allowed (found in {what})")))
        }
        _ => Ok(()),
    }
}
