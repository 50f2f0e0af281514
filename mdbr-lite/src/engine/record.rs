//! One stored document: its BSON bytes, which are what the collection keeps, and the decoded
//! form that queries read, built on first use.
//!
//! Inserts keep the bytes as the client sent them (after [`prepare_new_raw`] has checked them),
//! so a batch of inserts decodes nothing; the first read of a document decodes it once.
use std::sync::OnceLock;

use bson::oid::ObjectId;
use bson::raw::{RawDocument, RawDocumentBuf};
use bson::spec::ElementType;
use bson::{Bson, Document};

use crate::engine::collection::TENANT_FIELD;
use crate::error::{CmdResult, CommandError, code};

/// A stored document.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    raw: RawDocumentBuf,
    /// Boxed so that a record not yet read stays small in the collection's B-tree.
    doc: OnceLock<Box<Document>>,
    /// No top-level field name repeats, so a field's first occurrence is its only one and a
    /// lookup can stop there.
    unique_keys: bool,
    /// Where the top-level [`TENANT_FIELD`] element (type byte to end of value) starts and
    /// ends in `raw`, when the field is there and no name repeats; `(0, 0)` otherwise.
    tenant: (u32, u32),
}

impl Record {
    /// A record of bytes that passed [`prepare_new_raw`] (or were read back from storage after
    /// the wire validator accepted them).
    pub(crate) fn from_raw(raw: RawDocumentBuf) -> Self {
        let (unique_keys, tenant) = scan(raw.as_bytes());
        Self { raw, doc: OnceLock::new(), unique_keys, tenant }
    }

    /// A record of a decoded document, encoded once here.
    pub(crate) fn from_doc(doc: Document) -> CmdResult<Self> {
        let raw = RawDocumentBuf::try_from(&doc)
            .map_err(|e| CommandError::bad_value(format!("cannot encode document: {e}")))?;
        // A decoded document cannot repeat a field.
        let (unique_keys, tenant) = scan(raw.as_bytes());
        Ok(Self { raw, doc: OnceLock::from(Box::new(doc)), unique_keys, tenant })
    }

    /// Whether no top-level field name repeats in the stored bytes.
    pub(crate) fn unique_keys(&self) -> bool {
        self.unique_keys
    }

    /// The type byte and value bytes of top-level field `key` (its last occurrence, which is its
    /// only one when [`Record::unique_keys`]: then the walk stops there), or `None` when missing.
    pub(crate) fn element(&self, key: &str) -> Option<(u8, &[u8])> {
        if self.unique_keys {
            elements(self.raw.as_bytes())
                .find(|(_, k, _)| *k == key.as_bytes())
                .map(|(t, _, v)| (t, v))
        } else {
            raw_element(&self.raw, key)
        }
    }

    /// The byte range of the top-level [`TENANT_FIELD`] element (type byte to end of value)
    /// when the document has that field and repeats no name: `Some(None)` when it has no such
    /// field, `None` when names repeat (the caller then walks the document).
    pub(crate) fn tenant_span(&self) -> Option<Option<std::ops::Range<usize>>> {
        if !self.unique_keys {
            return None;
        }
        let (start, end) = (self.tenant.0 as usize, self.tenant.1 as usize);
        Some((end > start).then_some(start..end))
    }

    /// The string held in the top-level [`TENANT_FIELD`] (its last occurrence), as bytes, when
    /// it is a string.
    pub(crate) fn tenant(&self) -> Option<&[u8]> {
        let (t, v) = match self.tenant_span() {
            Some(Some(span)) => {
                let el = self.raw.as_bytes().get(span)?;
                (*el.first()?, el.get(1 + TENANT_FIELD.len() + 1..)?)
            }
            Some(None) => return None,
            None => self.element(TENANT_FIELD)?,
        };
        match t {
            0x02 => v.get(4..v.len().checked_sub(1)?),
            _ => None,
        }
    }

    /// The BSON bytes.
    pub(crate) fn raw(&self) -> &RawDocument {
        &self.raw
    }

    /// The encoded size in bytes.
    pub(crate) fn size(&self) -> usize {
        self.raw.as_bytes().len()
    }

    /// The decoded document if it has been decoded already.
    pub(crate) fn decoded(&self) -> Option<&Document> {
        self.doc.get().map(|d| &**d)
    }

    /// The decoded document, decoding it on first use.
    pub(crate) fn doc(&self) -> &Document {
        self.doc.get_or_init(|| Box::new(self.decode()))
    }

    /// An owned copy of the document: a clone of the decoded form when there is one, else
    /// decoded from the bytes without keeping the result (the caller is about to change it or
    /// send it away).
    pub(crate) fn to_document(&self) -> Document {
        match self.decoded() {
            Some(d) => d.clone(),
            None => self.decode(),
        }
    }

    fn decode(&self) -> Document {
        match crate::value::decode_document(&self.raw) {
            Ok(d) => d,
            Err(e) => {
                // Unreachable for bytes the wire validator accepted; never fail a read over it.
                tracing::error!(error = %e, "a stored document could not be decoded");
                Document::new()
            }
        }
    }
}

/// Checks a new document given as BSON bytes (already structurally validated) and returns it
/// with `_id` as its first field, generating an ObjectId when it has none. The checks are those
/// of [`crate::engine::prepare_new_doc`]: no `$`-prefixed field names, no array, regex or
/// undefined `_id`.
pub(crate) fn prepare_new_raw(raw: RawDocumentBuf) -> CmdResult<RawDocumentBuf> {
    let bytes = raw.as_bytes();
    check_field_names(bytes, 0)?;
    let mut at = 4;
    let mut id = None;
    for (t, key, value) in elements(bytes) {
        let len = 1 + key.len() + 1 + value.len();
        if key == b"_id" {
            if id.is_some() {
                // A repeated `_id`: decoded, the last one wins, as for any repeated field.
                let mut d = Document::try_from(raw.as_ref()).map_err(malformed)?;
                crate::engine::prepare_new_doc(&mut d)?;
                return RawDocumentBuf::try_from(&d).map_err(malformed);
            }
            let refused = match t {
                0x04 => "can't use an array for _id",
                0x0B => "can't use a regex for _id",
                0x06 => "can't use a undefined for _id",
                _ => "",
            };
            if !refused.is_empty() {
                return Err(CommandError::new(code::INVALID_ID_FIELD, refused));
            }
            id = Some((at, at + len));
        }
        at += len;
    }
    let generated;
    let (id_bytes, rest_before, rest_after): (&[u8], &[u8], &[u8]) = match id {
        Some((4, _)) => return Ok(raw),
        Some((start, end)) => (&bytes[start..end], &bytes[4..start], &bytes[end..bytes.len() - 1]),
        None => {
            let mut el = Vec::with_capacity(17);
            el.push(ElementType::ObjectId as u8);
            el.extend_from_slice(b"_id\0");
            el.extend_from_slice(&ObjectId::new().bytes());
            generated = el;
            (&generated, &bytes[4..bytes.len() - 1], &[])
        }
    };
    let len = 4 + id_bytes.len() + rest_before.len() + rest_after.len() + 1;
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&i32::try_from(len).unwrap_or(i32::MAX).to_le_bytes());
    out.extend_from_slice(id_bytes);
    out.extend_from_slice(rest_before);
    out.extend_from_slice(rest_after);
    out.push(0);
    RawDocumentBuf::from_bytes(out).map_err(malformed)
}

/// The value of top-level field `key` (its last occurrence, as in the decoded document),
/// decoded, or `Ok(None)` when missing.
pub(crate) fn raw_field(raw: &RawDocument, key: &str) -> CmdResult<Option<Bson>> {
    let Some((t, value)) = elements(raw.as_bytes())
        .filter(|(_, k, _)| *k == key.as_bytes())
        .map(|(t, _, v)| (t, v))
        .last()
    else {
        return Ok(None);
    };
    if let Some(v) = scalar(t, value) {
        return Ok(Some(v));
    }
    let mut found = None;
    for el in raw.iter_elements() {
        let el = el.map_err(malformed)?;
        if el.key().as_str() == key {
            found = Some(el.value().map_err(malformed)?);
        }
    }
    found.map(Bson::try_from).transpose().map_err(malformed)
}

/// The type byte and value bytes of top-level field `key` (its last
/// occurrence, as in the decoded document), or `None` when missing.
pub(crate) fn raw_element<'a>(raw: &'a RawDocument, key: &str) -> Option<(u8, &'a [u8])> {
    elements(raw.as_bytes()).filter(|(_, k, _)| *k == key.as_bytes()).map(|(t, _, v)| (t, v)).last()
}

/// The common scalar types read directly from a value's bytes; `None` for the others.
pub(crate) fn scalar(t: u8, value: &[u8]) -> Option<Bson> {
    let eight = || <[u8; 8]>::try_from(value).ok();
    Some(match t {
        0x01 => Bson::Double(f64::from_le_bytes(eight()?)),
        0x02 => {
            let text = value.get(4..value.len().checked_sub(1)?)?;
            Bson::String(std::str::from_utf8(text).ok()?.to_owned())
        }
        0x07 => Bson::ObjectId(ObjectId::from_bytes(value.try_into().ok()?)),
        0x08 => Bson::Boolean(*value.first()? != 0),
        0x09 => Bson::DateTime(bson::DateTime::from_millis(i64::from_le_bytes(eight()?))),
        0x0A => Bson::Null,
        0x10 => Bson::Int32(i32::from_le_bytes(value.try_into().ok()?)),
        0x12 => Bson::Int64(i64::from_le_bytes(eight()?)),
        _ => return None,
    })
}

/// Refuses `$`-prefixed field names (except DBRef fields) at any depth, like
/// [`crate::engine::check_field_names`].
fn check_field_names(doc: &[u8], depth: usize) -> CmdResult<()> {
    for (t, key, value) in elements(doc) {
        if key.first() == Some(&b'$') && !matches!(key, b"$ref" | b"$id" | b"$db") {
            return Err(CommandError::new(
                code::DOLLAR_PREFIXED_FIELD_NAME,
                format!(
                    "Document can't have $ prefixed field names: {}",
                    String::from_utf8_lossy(key)
                ),
            ));
        }
        if depth < 200 {
            check_value_names(t, value, depth + 1)?;
        }
    }
    Ok(())
}

fn check_value_names(t: u8, value: &[u8], depth: usize) -> CmdResult<()> {
    match t {
        0x03 => check_field_names(value, depth),
        // The elements of an array are values, not fields: only the documents inside count.
        0x04 => elements(value).try_for_each(|(t, _, v)| check_value_names(t, v, depth + 1)),
        _ => Ok(()),
    }
}

/// Whether no top-level field name of `doc` repeats, and where the [`TENANT_FIELD`] element
/// is (see [`Record::tenant_span`]). Documents of more than 32 fields are reported as possibly
/// repeating (they are then read by full walks, which is always correct).
fn scan(doc: &[u8]) -> (bool, (u32, u32)) {
    const MAX: usize = 32;
    let mut seen: [&[u8]; MAX] = [&[]; MAX];
    let mut tenant = (0, 0);
    let mut at = 4;
    for (n, (_, key, value)) in elements(doc).enumerate() {
        if n == MAX || seen[..n].contains(&key) {
            return (false, (0, 0));
        }
        seen[n] = key;
        let end = at + 1 + key.len() + 1 + value.len();
        if key == TENANT_FIELD.as_bytes() {
            let (Ok(start), Ok(end)) = (u32::try_from(at), u32::try_from(end)) else {
                // Not for documents of the sizes the wire accepts; walk such a one in full.
                return (false, (0, 0));
            };
            tenant = (start, end);
        }
        at = end;
    }
    (true, tenant)
}

/// The elements (type, key, value bytes) of a BSON document the wire validator accepted.
/// Iteration stops early at anything malformed, which such a document does not contain.
pub(crate) fn elements(doc: &[u8]) -> impl Iterator<Item = (u8, &[u8], &[u8])> {
    let mut pos = 4;
    std::iter::from_fn(move || {
        let t = *doc.get(pos)?;
        if t == 0 {
            return None;
        }
        let key_start = pos + 1;
        let key_len = doc.get(key_start..)?.iter().position(|c| *c == 0)?;
        let value_start = key_start + key_len + 1;
        let rest = doc.get(value_start..)?;
        let len = value_len(t, rest)?;
        pos = value_start + len;
        Some((t, doc.get(key_start..key_start + key_len)?, rest.get(..len)?))
    })
}

/// The length of a value of BSON type `t` at the start of `rest`.
fn value_len(t: u8, rest: &[u8]) -> Option<usize> {
    let len_at = |at: usize| -> Option<usize> {
        let b = rest.get(at..at + 4)?;
        usize::try_from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])).ok()
    };
    let cstring = |from: usize| -> Option<usize> {
        Some(rest.get(from..)?.iter().position(|c| *c == 0)? + 1)
    };
    Some(match t {
        0x01 | 0x09 | 0x11 | 0x12 => 8,
        0x07 => 12,
        0x08 => 1,
        0x10 => 4,
        0x13 => 16,
        0x06 | 0x0A | 0xFF | 0x7F => 0,
        0x02 | 0x0D | 0x0E => 4 + len_at(0)?,
        0x03 | 0x04 | 0x0F => len_at(0)?,
        0x05 => 5 + len_at(0)?,
        0x0B => {
            let pattern = cstring(0)?;
            pattern + cstring(pattern)?
        }
        0x0C => 4 + len_at(0)? + 12,
        _ => return None,
    })
}

fn malformed(e: impl std::fmt::Display) -> CommandError {
    CommandError::bad_value(format!("invalid BSON: {e}"))
}

#[cfg(test)]
mod tests {
    use bson::{Bson, doc, rawdoc};

    use super::*;

    fn prepared(d: Document) -> CmdResult<Document> {
        let raw = prepare_new_raw(RawDocumentBuf::try_from(&d).unwrap())?;
        Ok(Document::try_from(raw.as_ref()).unwrap())
    }

    #[test]
    fn a_field_lookup_finds_the_last_occurrence() {
        let unique = Record::from_raw(rawdoc! { "_id": 1, "a": "x", "b": 2 });
        assert!(unique.unique_keys());
        assert_eq!(unique.element("a").map(|(t, _)| t), Some(0x02));
        assert_eq!(unique.element("b"), Some((0x10, &2_i32.to_le_bytes()[..])));
        assert_eq!(unique.element("missing"), None);
        let mut repeated = rawdoc! { "_id": 1, "a": 1 };
        repeated.append(bson::raw::cstr!("b"), 2);
        repeated.append(bson::raw::cstr!("a"), 3);
        let repeated = Record::from_raw(repeated);
        assert!(!repeated.unique_keys());
        assert_eq!(repeated.element("a"), Some((0x10, &3_i32.to_le_bytes()[..])));
        // Past 32 fields the record is read by full walks (still the right answer).
        let mut wide = RawDocumentBuf::new();
        for i in 0..40 {
            wide.append(bson::raw::CString::try_from(format!("f{i}")).unwrap(), i);
        }
        let wide = Record::from_raw(wide);
        assert!(!wide.unique_keys());
        assert_eq!(wide.element("f39"), Some((0x10, &39_i32.to_le_bytes()[..])));
        let decoded = Record::from_doc(doc! { "a": 1 }).unwrap();
        assert!(decoded.unique_keys());
    }

    #[test]
    fn a_record_knows_where_its_tenant_field_is() {
        let tagged = Record::from_raw(rawdoc! { "_id": 1, "app_id": "shop", "n": 2 });
        let span = tagged.tenant_span().unwrap().unwrap();
        let el = &tagged.raw().as_bytes()[span];
        assert_eq!(el, &rawdoc! { "app_id": "shop" }.as_bytes()[4..4 + el.len()]);
        assert_eq!(tagged.tenant(), Some(&b"shop"[..]));

        let untagged = Record::from_raw(rawdoc! { "_id": 1, "n": 2 });
        assert_eq!(untagged.tenant_span(), Some(None));
        assert_eq!(untagged.tenant(), None);

        let other_type = Record::from_doc(doc! { "_id": 1, "app_id": 7 }).unwrap();
        assert!(matches!(other_type.tenant_span(), Some(Some(_))));
        assert_eq!(other_type.tenant(), None);

        // A repeated name: no span, and the last occurrence is the tenant, as decoding keeps it.
        let mut repeated = rawdoc! { "_id": 1, "app_id": "a" };
        repeated.append(bson::raw::cstr!("app_id"), "b");
        let repeated = Record::from_raw(repeated);
        assert_eq!(repeated.tenant_span(), None);
        assert_eq!(repeated.tenant(), Some(&b"b"[..]));
    }

    #[test]
    fn id_goes_first_or_is_generated() {
        let d = prepared(doc! { "a": 1, "_id": "x", "b": [1, 2] }).unwrap();
        assert_eq!(d, doc! { "_id": "x", "a": 1, "b": [1, 2] });
        assert_eq!(d.keys().collect::<Vec<_>>(), ["_id", "a", "b"]);
        let d = prepared(doc! { "a": 1 }).unwrap();
        assert!(matches!(d.get("_id"), Some(Bson::ObjectId(_))));
        assert_eq!(d.keys().collect::<Vec<_>>(), ["_id", "a"]);
        let d = prepared(doc! {}).unwrap();
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn refuses_what_prepare_new_doc_refuses() {
        for bad in [
            doc! { "_id": [1] },
            doc! { "_id": Bson::RegularExpression(bson::Regex {
                pattern: "a".to_string().try_into().unwrap(),
                options: "".to_string().try_into().unwrap(),
            }) },
            doc! { "_id": Bson::Undefined },
            doc! { "$set": 1 },
            doc! { "a": { "b": [{ "$x": 1 }] } },
            doc! { "a": [[{ "$x": 1 }]] },
        ] {
            let raw_err = prepared(bad.clone()).unwrap_err();
            let mut d = bad.clone();
            let doc_err = crate::engine::prepare_new_doc(&mut d).unwrap_err();
            assert_eq!(raw_err, doc_err, "{bad}");
        }
        assert!(prepared(doc! { "a": { "$ref": "c", "$id": 1, "$db": "d" } }).is_ok());
    }

    #[test]
    fn a_repeated_id_keeps_the_last_as_decoding_does() {
        let raw = rawdoc! { "_id": 1, "a": 2, "_id": 3 };
        let out = prepare_new_raw(raw).unwrap();
        let d = Document::try_from(out.as_ref()).unwrap();
        assert_eq!(d.get("_id"), Some(&Bson::Int32(3)));
        assert_eq!(raw_field(&out, "_id").unwrap(), Some(Bson::Int32(3)));
    }

    #[test]
    fn raw_field_reads_any_type() {
        let d = doc! {
            "o": bson::oid::ObjectId::new(), "i": 5, "s": "x", "e": "", "n": { "a": [1] }, "f": 1.5,
            "b": true, "l": 7_i64, "z": Bson::Null, "t": bson::DateTime::from_millis(-5),
            "a": [1, "x"], "ts": bson::Timestamp { time: 1, increment: 2 },
        };
        let raw = RawDocumentBuf::try_from(&d).unwrap();
        for (k, v) in &d {
            assert_eq!(raw_field(&raw, k).unwrap().as_ref(), Some(v));
        }
        assert_eq!(raw_field(&raw, "missing").unwrap(), None);
    }
}
