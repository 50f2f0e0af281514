//! Documents written by an app: field-name checks and the `app_id` tag.

use bson::{Bson, Document};

use crate::error::{Error, Result};
use crate::rules::{APP_ID, MAX_DEPTH, ScopeRules};

/// Longest field name accepted in a written document, in bytes.
pub const MAX_FIELD_NAME_BYTES: usize = 1024;

impl ScopeRules {
    /// The document sent for an insert: field names checked, `app_id: owner`
    /// added. A document carrying another app's id is refused, never rewritten.
    pub fn prepare_insert(&self, doc: Document) -> Result<Document> {
        self.ensure_writable("insert")?;
        self.tag(doc, "inserted document")
    }

    /// The replacement document sent by `replace_one`/`find_one_and_replace`,
    /// under the same rules as an insert.
    pub fn prepare_replacement(&self, doc: Document) -> Result<Document> {
        self.ensure_writable("replace")?;
        self.tag(doc, "replacement document")
    }

    fn tag(&self, mut doc: Document, what: &str) -> Result<Document> {
        check_field_names(&doc, what, 0)?;
        match doc.get(APP_ID) {
            None => {
                doc.insert(APP_ID, self.owner.as_str());
            }
            Some(Bson::String(s)) if s == self.owner.as_str() => {}
            Some(other) => {
                return Err(Error::violation(format!(
                    "{what} carries `app_id: {other}`, but it belongs to app `{}`",
                    self.owner
                )));
            }
        }
        Ok(doc)
    }
}

/// Refuses `$`-prefixed, empty-at-top-level, NUL-containing and oversized
/// field names at any depth.
pub(crate) fn check_field_names(doc: &Document, what: &str, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(Error::invalid(format!("{what} is nested deeper than {MAX_DEPTH} levels")));
    }
    for (key, value) in doc {
        if key.starts_with('$') {
            return Err(Error::invalid(format!(
                "{what}: field name `{key}` must not start with `$`"
            )));
        }
        if key.len() > MAX_FIELD_NAME_BYTES {
            return Err(Error::invalid(format!(
                "{what}: field name `{}…` is {} bytes long; at most {MAX_FIELD_NAME_BYTES} are allowed",
                key.chars().take(16).collect::<String>(),
                key.len()
            )));
        }
        check_value_names(value, what, depth + 1)?;
    }
    Ok(())
}

pub(crate) fn check_value_names(value: &Bson, what: &str, depth: usize) -> Result<()> {
    match value {
        Bson::Document(d) => check_field_names(d, what, depth),
        Bson::Array(items) => {
            if depth > MAX_DEPTH {
                return Err(Error::invalid(format!(
                    "{what} is nested deeper than {MAX_DEPTH} levels"
                )));
            }
            items.iter().try_for_each(|v| check_value_names(v, what, depth + 1))
        }
        _ => Ok(()),
    }
}
