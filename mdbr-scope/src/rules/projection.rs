//! The projection of documents returned by find-family operations.
//!
//! `app_id` is the runtime's bookkeeping, not part of what the app wrote, so
//! `find`, `find_one` and `find_one_and_*` return documents without it (a
//! typed `T` then round-trips even with `#[serde(deny_unknown_fields)]`, and
//! code keeps working unchanged when the app graduates to its own database).
//! A projection that names `app_id` itself gets exactly what it asks for.

use std::cell::RefCell;

use bson::{Bson, Document, RawDocument, RawDocumentBuf};
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::rules::bytes::elements;
use crate::rules::{APP_ID, ScopeRules};

impl ScopeRules {
    /// The projection sent for a `find`: the user's projection with `app_id` excluded,
    /// unless it already leaves `app_id` out (an inclusion projection) or names `app_id`
    /// itself.
    pub fn read_projection(&self, user: Option<Document>) -> Document {
        let hide = self.hides_app_id(user.as_ref());
        let mut projection = user.unwrap_or_default();
        if hide {
            projection.insert(APP_ID, 0);
        }
        projection
    }

    /// Whether a read with projection `user` would hand back `app_id` that the app did not ask
    /// for (no projection, or an exclusion-style one not naming `app_id`): such reads leave it
    /// out — `find` through [`ScopeRules::read_projection`], single-document reads by dropping
    /// it from the one document returned.
    pub fn hides_app_id(&self, user: Option<&Document>) -> bool {
        let Some(projection) = user else { return true };
        let names_app_id = projection
            .keys()
            .any(|k| k == APP_ID || k.strip_prefix(APP_ID).is_some_and(|r| r.starts_with('.')));
        let includes = projection.iter().any(|(k, v)| k != "_id" && inclusion(v) == Some(true));
        !names_app_id && !includes
    }
}

/// A document returned by a single-document read, as `T`, without its top-level `app_id`
/// (every occurrence) when `hide`.
pub(crate) fn read_one<T: DeserializeOwned>(
    raw: Option<RawDocumentBuf>,
    hide: bool,
) -> Result<Option<T>> {
    let Some(raw) = raw else { return Ok(None) };
    if !hide {
        return Ok(Some(bson::deserialize_from_slice(raw.as_bytes())?));
    }
    Ok(Some(untagged(&raw)?))
}

/// `T` read from `raw` without its top-level `app_id` (every occurrence). One walk over the
/// element headers finds the tag; the bytes around it are copied as they are.
pub(crate) fn untagged<T: DeserializeOwned>(raw: &RawDocument) -> Result<T> {
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut buffer) => {
            let read = untagged_into(raw.as_bytes(), &mut buffer);
            if buffer.capacity() > SCRATCH_KEPT {
                *buffer = Vec::new();
            }
            read
        }
        Err(_) => untagged_into(raw.as_bytes(), &mut Vec::new()),
    })
}

/// [`untagged`], splicing into `out` when the document holds a tag.
fn untagged_into<T: DeserializeOwned>(bytes: &[u8], out: &mut Vec<u8>) -> Result<T> {
    let mut run = None;
    for element in elements(bytes) {
        let element = element.map_err(|at| {
            Error::invalid(format!("the server returned a malformed document (at byte {at})"))
        })?;
        if element.key == APP_ID.as_bytes() {
            let from = run.unwrap_or_else(|| {
                out.clear();
                0
            });
            out.extend_from_slice(bytes.get(from..element.start).unwrap_or_default());
            run = Some(element.end);
        }
    }
    let Some(run) = run else {
        return Ok(bson::deserialize_from_slice(bytes)?);
    };
    // Everything after the last tag, the document's final zero included.
    out.extend_from_slice(bytes.get(run..).unwrap_or_default());
    let len = i32::try_from(out.len()).unwrap_or(i32::MAX).to_le_bytes();
    out[..4].copy_from_slice(&len);
    Ok(bson::deserialize_from_slice(out)?)
}

thread_local! {
    /// What single-document reads splice into, kept per thread so that a read allocates no
    /// buffer of its own.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The largest scratch buffer kept after a read (bigger documents get a fresh one each time).
const SCRATCH_KEPT: usize = 64 * 1024;

/// [`untagged`] on bytes that need not be a valid document, for tests of malformed input.
#[cfg(test)]
pub(crate) fn tests_untagged<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    untagged(RawDocument::from_bytes(bytes)?)
}

/// Whether a projection value includes its field (`Some(true)`), excludes it
/// (`Some(false)`), or is neutral (`$slice`, `$meta`), with MongoDB's rules:
/// non-zero numbers, `true`, literals, expressions and `$elemMatch` include.
fn inclusion(value: &Bson) -> Option<bool> {
    match value {
        Bson::Boolean(b) => Some(*b),
        Bson::Int32(n) => Some(*n != 0),
        Bson::Int64(n) => Some(*n != 0),
        Bson::Double(n) => Some(*n != 0.0),
        Bson::Decimal128(d) => Some(d.to_string().parse::<f64>().is_ok_and(|f| f != 0.0)),
        Bson::Document(d) => match d.keys().next() {
            Some(k) if k == "$slice" || k == "$meta" => None,
            Some(k) if k.starts_with('$') => Some(true),
            // A nested field specification: the mode of its fields.
            _ => {
                let modes = d.values().filter_map(inclusion);
                let mut seen = None;
                for m in modes {
                    if m {
                        return Some(true);
                    }
                    seen = Some(false);
                }
                seen
            }
        },
        _ => Some(true),
    }
}
