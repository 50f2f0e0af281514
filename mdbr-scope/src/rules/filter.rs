//! Filter checks and the combination of a user filter with the app filter.

use bson::{Bson, Document};

use crate::error::{Error, Result};
use crate::rules::{APP_ID, FORBIDDEN_OPERATORS, MAX_DEPTH};

/// The user's filter with the app filter added as a top-level equality:
/// `{...user, app_id: …}`, or `{app_id: …, $and: [user]}` when the user's
/// filter names `app_id` itself (both conditions must then hold). Keeping the
/// user's fields at the top level lets every planner use the indexes it would
/// use for the bare filter (`_id` included), and keeps `app_id` a top-level
/// equality that an upsert seeds into the new document.
pub(crate) fn combine(condition: Bson, mut user: Document) -> Document {
    if user.contains_key(APP_ID) {
        let mut out = Document::new();
        out.insert(APP_ID, condition);
        out.insert("$and", vec![Bson::Document(user)]);
        return out;
    }
    user.insert(APP_ID, condition);
    user
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
        if key.starts_with('$') && FORBIDDEN_OPERATORS.contains(&key.as_str()) {
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
