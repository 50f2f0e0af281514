//! The projection of documents returned by find-family operations.
//!
//! `app_id` is the runtime's bookkeeping, not part of what the app wrote, so
//! `find`, `find_one` and `find_one_and_*` return documents without it (a
//! typed `T` then round-trips even with `#[serde(deny_unknown_fields)]`, and
//! code keeps working unchanged when the app graduates to its own database).
//! A projection that names `app_id` itself gets exactly what it asks for.

use bson::{Bson, Document, RawDocumentBuf};
use serde::de::DeserializeOwned;

use crate::error::Result;
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
/// (every occurrence) when `hide`. One walk over the elements finds the tag; the bytes around
/// it are copied as they are.
pub(crate) fn read_one<T: DeserializeOwned>(
    raw: Option<RawDocumentBuf>,
    hide: bool,
) -> Result<Option<T>> {
    let Some(raw) = raw else { return Ok(None) };
    if !hide {
        return Ok(Some(bson::deserialize_from_slice(raw.as_bytes())?));
    }
    let bytes = raw.as_bytes();
    let mut kept: Option<Vec<u8>> = None;
    let (mut at, mut run) = (4, 4);
    for element in raw.iter_elements() {
        let element = element?;
        let key = element.key().as_str();
        let len = 1 + key.len() + 1 + element.size();
        if key == APP_ID {
            let out = kept.get_or_insert_with(|| {
                let mut out = Vec::with_capacity(bytes.len());
                out.extend_from_slice(&[0; 4]);
                out
            });
            out.extend_from_slice(bytes.get(run..at).unwrap_or_default());
            run = at + len;
        }
        at += len;
    }
    let Some(mut out) = kept else {
        return Ok(Some(bson::deserialize_from_slice(bytes)?));
    };
    out.extend_from_slice(bytes.get(run..at).unwrap_or_default());
    out.push(0);
    let len = i32::try_from(out.len()).unwrap_or(i32::MAX).to_le_bytes();
    out[..4].copy_from_slice(&len);
    Ok(Some(bson::deserialize_from_slice(&out)?))
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
