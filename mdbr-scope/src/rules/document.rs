//! Documents written by an app: field-name checks and the `app_id` tag.
//!
//! Inserted and replacement documents are checked and tagged as BSON bytes:
//! the operation serializes the app's `T` once, the tag is appended to those
//! bytes, and the driver sends them as they are.

use bson::raw::{RawDocumentBuf, cstr};
use bson::{Bson, Document, RawBson};

use crate::error::{Error, Result};
use crate::rules::bytes::{elements, string_bytes};
use crate::rules::{APP_ID, MAX_DEPTH, ScopeRules};

/// Longest field name accepted in a written document, in bytes.
pub const MAX_FIELD_NAME_BYTES: usize = 1024;

impl ScopeRules {
    /// The document sent for an insert: field names checked, `app_id: owner`
    /// added. A document carrying another app's id is refused, never rewritten.
    pub fn prepare_insert(&self, doc: RawDocumentBuf) -> Result<RawDocumentBuf> {
        self.ensure_writable("insert")?;
        self.tag(doc, "inserted document")
    }

    /// The replacement document sent by `replace_one`/`find_one_and_replace`,
    /// under the same rules as an insert.
    pub fn prepare_replacement(&self, doc: RawDocumentBuf) -> Result<RawDocumentBuf> {
        self.ensure_writable("replace")?;
        self.tag(doc, "replacement document")
    }

    fn tag(&self, mut doc: RawDocumentBuf, what: &str) -> Result<RawDocumentBuf> {
        // The last occurrence of a repeated field is the one a server keeps.
        let mut tagged = None;
        for element in elements(doc.as_bytes()) {
            let element = element.map_err(|at| malformed(what, at))?;
            check_name_bytes(element.key, what)?;
            check_raw_value_names(element.kind, element.value, what, 1)?;
            if element.key == APP_ID.as_bytes() {
                tagged = Some(element);
            }
        }
        let owned_by_this_app = tagged.map(|e| {
            e.kind == 0x02 && string_bytes(e.value) == Some(self.owner.as_str().as_bytes())
        });
        match owned_by_this_app {
            None => doc.append(cstr!("app_id"), self.owner.as_str()),
            Some(true) => {}
            Some(false) => {
                let shown = match doc.get(APP_ID) {
                    Ok(Some(value)) => Bson::try_from(RawBson::from(value))
                        .map_or_else(|_| format!("{value:?}"), |b| b.to_string()),
                    _ => "?".to_owned(),
                };
                return Err(Error::violation(format!(
                    "{what} carries `app_id: {shown}`, but it belongs to app `{}`",
                    self.owner
                )));
            }
        }
        Ok(doc)
    }
}

fn malformed(what: &str, at: usize) -> Error {
    Error::invalid(format!("{what} is not valid BSON (at byte {at})"))
}

/// [`check_name`] on a name read from BSON bytes, which must be UTF-8.
fn check_name_bytes(key: &[u8], what: &str) -> Result<()> {
    if key.first() == Some(&b'$') || key.len() > MAX_FIELD_NAME_BYTES || !key.is_ascii() {
        let key = std::str::from_utf8(key)
            .map_err(|_| Error::invalid(format!("{what}: a field name is not valid UTF-8")))?;
        check_name(key, what)?;
    }
    Ok(())
}

/// Refuses `$`-prefixed and oversized field names inside a value read from BSON bytes (the
/// documents in it, at any depth; an array's own keys are its indexes).
fn check_raw_value_names(kind: u8, value: &[u8], what: &str, depth: usize) -> Result<()> {
    if !matches!(kind, 0x03 | 0x04) {
        return Ok(());
    }
    if depth > MAX_DEPTH {
        return Err(too_deep(what));
    }
    for element in elements(value) {
        let element = element.map_err(|at| malformed(what, at))?;
        if kind == 0x03 {
            check_name_bytes(element.key, what)?;
        }
        check_raw_value_names(element.kind, element.value, what, depth + 1)?;
    }
    Ok(())
}

/// Refuses a field name that is `$`-prefixed or longer than
/// [`MAX_FIELD_NAME_BYTES`].
fn check_name(key: &str, what: &str) -> Result<()> {
    if key.starts_with('$') {
        return Err(Error::invalid(format!("{what}: field name `{key}` must not start with `$`")));
    }
    if key.len() > MAX_FIELD_NAME_BYTES {
        return Err(Error::invalid(format!(
            "{what}: field name `{}…` is {} bytes long; at most {MAX_FIELD_NAME_BYTES} are allowed",
            key.chars().take(16).collect::<String>(),
            key.len()
        )));
    }
    Ok(())
}

fn too_deep(what: &str) -> Error {
    Error::invalid(format!("{what} is nested deeper than {MAX_DEPTH} levels"))
}

/// Refuses `$`-prefixed and oversized field names at any depth of a decoded
/// document (the values of update operators).
pub(crate) fn check_field_names(doc: &Document, what: &str, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(too_deep(what));
    }
    for (key, value) in doc {
        check_name(key, what)?;
        check_value_names(value, what, depth + 1)?;
    }
    Ok(())
}

pub(crate) fn check_value_names(value: &Bson, what: &str, depth: usize) -> Result<()> {
    match value {
        Bson::Document(d) => check_field_names(d, what, depth),
        Bson::Array(items) => {
            if depth > MAX_DEPTH {
                return Err(too_deep(what));
            }
            items.iter().try_for_each(|v| check_value_names(v, what, depth + 1))
        }
        _ => Ok(()),
    }
}
