//! The projection of documents returned by find-family operations.
//!
//! `app_id` is the runtime's bookkeeping, not part of what the app wrote, so
//! `find`, `find_one` and `find_one_and_*` return documents without it (a
//! typed `T` then round-trips even with `#[serde(deny_unknown_fields)]`, and
//! code keeps working unchanged when the app graduates to its own database).
//! A projection that names `app_id` itself gets exactly what it asks for.

use bson::{Bson, Document, RawDocument, RawDocumentBuf};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

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
fn untagged<T: DeserializeOwned>(raw: &RawDocument) -> Result<T> {
    let bytes = raw.as_bytes();
    let mut kept: Option<Vec<u8>> = None;
    let mut run = 4;
    let mut at = 4;
    while let Some(&t) = bytes.get(at).filter(|t| **t != 0) {
        let key = at + 1;
        let nul = bytes.get(key..).and_then(|rest| rest.iter().position(|c| *c == 0));
        let end =
            nul.and_then(|n| value_len(t, bytes.get(key + n + 1..)?).map(|v| key + n + 1 + v));
        let Some(end) = end.filter(|end| *end < bytes.len()) else {
            return Err(crate::error::Error::invalid(format!(
                "the server returned a malformed document (element at byte {at})"
            )));
        };
        if bytes.get(key..end).is_some_and(|e| e.starts_with(APP_ID_KEY)) {
            let out = kept.get_or_insert_with(|| {
                let mut out = Vec::with_capacity(bytes.len());
                out.extend_from_slice(&[0; 4]);
                out
            });
            out.extend_from_slice(bytes.get(run..at).unwrap_or_default());
            run = end;
        }
        at = end;
    }
    let Some(mut out) = kept else {
        return Ok(bson::deserialize_from_slice(bytes)?);
    };
    out.extend_from_slice(bytes.get(run..at).unwrap_or_default());
    out.push(0);
    let len = i32::try_from(out.len()).unwrap_or(i32::MAX).to_le_bytes();
    out[..4].copy_from_slice(&len);
    Ok(bson::deserialize_from_slice(&out)?)
}

/// [`untagged`] on bytes that need not be a valid document, for tests of malformed input.
#[cfg(test)]
pub(crate) fn tests_untagged<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    untagged(RawDocument::from_bytes(bytes)?)
}

/// `app_id` as an element's key: its name and the terminating zero.
const APP_ID_KEY: &[u8] = b"app_id\0";

/// The length of a BSON value of type `t` at the start of `rest` (`None` for an unknown type
/// or a length that does not fit).
fn value_len(t: u8, rest: &[u8]) -> Option<usize> {
    let prefixed = || -> Option<usize> {
        usize::try_from(i32::from_le_bytes(rest.get(..4)?.try_into().ok()?)).ok()
    };
    let cstring = |from: usize| Some(rest.get(from..)?.iter().position(|c| *c == 0)? + 1);
    match t {
        0x01 | 0x09 | 0x11 | 0x12 => Some(8),
        0x07 => Some(12),
        0x08 => Some(1),
        0x10 => Some(4),
        0x13 => Some(16),
        0x06 | 0x0A | 0x7F | 0xFF => Some(0),
        0x02 | 0x0D | 0x0E => Some(4 + prefixed()?),
        0x03 | 0x04 | 0x0F => prefixed(),
        0x05 => Some(5 + prefixed()?),
        0x0B => {
            let pattern = cstring(0)?;
            Some(pattern + cstring(pattern)?)
        }
        0x0C => Some(4 + prefixed()? + 12),
        _ => None,
    }
}

/// A document read by a single-document operation, as `T` without its top-level `app_id`:
/// the driver deserializes this wrapper straight from the reply's bytes, so the document is
/// neither copied out first nor decoded twice.
pub(crate) struct Untagged<T>(pub(crate) T);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Untagged<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let raw = <&'de RawDocument>::deserialize(deserializer)?;
        untagged(raw).map(Untagged).map_err(serde::de::Error::custom)
    }
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
