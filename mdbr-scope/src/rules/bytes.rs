//! BSON bytes walked element by element, reading only each element's type, name and extent:
//! for the per-operation paths that need no decoded values (checking and tagging a written
//! document, dropping `app_id` from a document read back).

/// One element of a BSON document.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Element<'a> {
    /// The BSON type byte.
    pub(crate) kind: u8,
    /// The name, without its terminating zero.
    pub(crate) key: &'a [u8],
    /// The value's bytes.
    pub(crate) value: &'a [u8],
    /// Where the element (type byte) starts in the document.
    pub(crate) start: usize,
    /// Where the next element starts.
    pub(crate) end: usize,
}

/// The elements of the document `doc` (whose length prefix and final zero its
/// `RawDocument` checked). Yields `Err(offset)` at the first element that does not fit the
/// document or has an unknown type, and stops there.
pub(crate) fn elements(doc: &[u8]) -> impl Iterator<Item = Result<Element<'_>, usize>> {
    let mut at = 4;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let start = at;
        let element = match doc.get(start) {
            Some(0) if start + 1 == doc.len() => None,
            Some(&kind) if kind != 0 => element_at(doc, start, kind),
            _ => None,
        };
        match element {
            Some(e) => {
                at = e.end;
                Some(Ok(e))
            }
            None => {
                done = true;
                (start + 1 != doc.len()).then_some(Err(start))
            }
        }
    })
}

fn element_at(doc: &[u8], start: usize, kind: u8) -> Option<Element<'_>> {
    let key_len = doc.get(start + 1..)?.iter().position(|c| *c == 0)?;
    let value_start = start + 1 + key_len + 1;
    let rest = doc.get(value_start..)?;
    let end = value_start + value_len(kind, rest)?;
    // The document's final zero lies beyond every element.
    if end >= doc.len() {
        return None;
    }
    Some(Element {
        kind,
        key: doc.get(start + 1..start + 1 + key_len)?,
        value: doc.get(value_start..end)?,
        start,
        end,
    })
}

/// The length of a BSON value of type `kind` at the start of `rest` (`None` for an unknown
/// type or a length prefix that does not fit).
fn value_len(kind: u8, rest: &[u8]) -> Option<usize> {
    let prefixed = || -> Option<usize> {
        usize::try_from(i32::from_le_bytes(rest.get(..4)?.try_into().ok()?)).ok()
    };
    let cstring = |from: usize| Some(rest.get(from..)?.iter().position(|c| *c == 0)? + 1);
    match kind {
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

/// The text of a string value's bytes (length prefix, text, zero), when it is one.
pub(crate) fn string_bytes(value: &[u8]) -> Option<&[u8]> {
    value.get(4..value.len().checked_sub(1)?)
}
