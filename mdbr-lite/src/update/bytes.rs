//! Operator updates applied to a stored document's bytes: `$inc` and `$set` of scalars on
//! top-level fields the document already has. The bytes are rewritten where those fields are;
//! nothing is decoded or encoded, and the result is what the decoded path would store (the
//! numbers are added by the same function). Anything else — other operators, dotted paths,
//! `_id`, documents or arrays as values, a field the document lacks, a repeated name, a
//! decimal — is left to the decoded path.

use bson::{Bson, Document};

use crate::engine::record::{Record, elements, scalar};
use crate::value::add_numbers;

/// An update [`ByteUpdate::apply`] can run on bytes.
#[derive(Debug)]
pub(crate) struct ByteUpdate {
    edits: Vec<(String, Edit)>,
}

#[derive(Debug)]
enum Edit {
    /// Add this number.
    Inc(Bson),
    /// Store this value: its type byte and value bytes.
    Set(u8, Vec<u8>),
}

impl ByteUpdate {
    /// The byte form of the operator update `ops`, when it has one.
    pub(crate) fn of(ops: &[(String, Document)]) -> Option<Self> {
        let mut edits: Vec<(String, Edit)> = Vec::new();
        for (op, args) in ops {
            for (path, arg) in args {
                let plain = !path.is_empty() && !path.contains(['.', '$']) && path != "_id";
                if !plain || edits.iter().any(|(p, _)| p == path) {
                    return None;
                }
                let edit = match (op.as_str(), arg) {
                    ("$inc", Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_)) => {
                        Edit::Inc(arg.clone())
                    }
                    ("$set", _) => {
                        let (t, v) = scalar_bytes(arg)?;
                        Edit::Set(t, v)
                    }
                    _ => return None,
                };
                edits.push((path.clone(), edit));
            }
        }
        (!edits.is_empty()).then_some(Self { edits })
    }

    /// The bytes of `r` under this update: `Some(None)` when they stay as they are, `None`
    /// when the record is one for the decoded path (see the module docs).
    pub(crate) fn apply(&self, r: &Record) -> Option<Option<Vec<u8>>> {
        if !r.unique_keys() {
            return None;
        }
        let bytes = r.raw().as_bytes();
        let mut out: Option<Vec<u8>> = None;
        let mut found = 0;
        // `run`: where the bytes not yet copied into `out` start (the length, rewritten at the
        // end, included).
        let (mut at, mut run) = (4, 0);
        for (t, key, value) in elements(bytes) {
            let end = at + 1 + key.len() + 1 + value.len();
            let edit = self.edits.iter().find(|(p, _)| p.as_bytes() == key).map(|(_, e)| e);
            if let Some(edit) = edit {
                found += 1;
                let (new_t, new_value) = match edit {
                    Edit::Set(t, v) => (*t, v.clone()),
                    Edit::Inc(by) => {
                        let current = scalar(t, value)?;
                        let sum = add_numbers(&current, by)?;
                        // Integers whose sum is no integer overflowed: the decoded path's error.
                        let integral = |v: &Bson| matches!(v, Bson::Int32(_) | Bson::Int64(_));
                        if integral(&current) && integral(by) && !integral(&sum) {
                            return None;
                        }
                        scalar_bytes(&sum)?
                    }
                };
                if new_t != t || new_value != value {
                    let o = out.get_or_insert_with(|| Vec::with_capacity(bytes.len() + 16));
                    o.extend_from_slice(bytes.get(run..at)?);
                    o.push(new_t);
                    o.extend_from_slice(key);
                    o.push(0);
                    o.extend_from_slice(&new_value);
                    run = end;
                }
            }
            at = end;
        }
        if found != self.edits.len() || at + 1 != bytes.len() {
            return None;
        }
        let Some(mut o) = out else { return Some(None) };
        o.extend_from_slice(bytes.get(run..)?);
        let len = i32::try_from(o.len()).ok()?;
        o.get_mut(..4)?.copy_from_slice(&len.to_le_bytes());
        Some(Some(o))
    }
}

/// The type byte and value bytes of a scalar the byte path stores; `None` for the others.
fn scalar_bytes(v: &Bson) -> Option<(u8, Vec<u8>)> {
    Some(match v {
        Bson::Double(f) => (0x01, f.to_le_bytes().to_vec()),
        Bson::String(s) => {
            let len = i32::try_from(s.len() + 1).ok()?;
            let mut b = Vec::with_capacity(s.len() + 5);
            b.extend_from_slice(&len.to_le_bytes());
            b.extend_from_slice(s.as_bytes());
            b.push(0);
            (0x02, b)
        }
        Bson::ObjectId(id) => (0x07, id.bytes().to_vec()),
        Bson::Boolean(b) => (0x08, vec![u8::from(*b)]),
        Bson::DateTime(d) => (0x09, d.timestamp_millis().to_le_bytes().to_vec()),
        Bson::Null => (0x0A, Vec::new()),
        Bson::Int32(i) => (0x10, i.to_le_bytes().to_vec()),
        Bson::Int64(i) => (0x12, i.to_le_bytes().to_vec()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use bson::raw::RawDocumentBuf;
    use bson::{Bson, Document, doc};
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::ByteUpdate;
    use crate::engine::record::Record;
    use crate::update::{Update, UpdateContext};

    fn value() -> impl Strategy<Value = Bson> {
        prop_oneof![
            any::<i32>().prop_map(Bson::Int32),
            prop_oneof![Just(i32::MAX), Just(i32::MIN), Just(-1), Just(1)].prop_map(Bson::Int32),
            any::<i64>().prop_map(Bson::Int64),
            prop_oneof![Just(i64::MAX), Just(i64::MIN)].prop_map(Bson::Int64),
            (-1e6..1e6f64).prop_map(Bson::Double),
            "[a-z]{0,6}".prop_map(Bson::String),
            any::<bool>().prop_map(Bson::Boolean),
            Just(Bson::Null),
            Just(Bson::Decimal128("1.5".parse().unwrap())),
            Just(Bson::Document(doc! { "x": 1 })),
            Just(Bson::Array(vec![Bson::Int32(1)])),
        ]
    }

    fn name() -> impl Strategy<Value = String> {
        prop::sample::select(vec!["a", "b", "c", "app_id", "_id", "a.b", "$x"])
            .prop_map(String::from)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Whatever the byte path does, the decoded path does the same: the same bytes stored,
        /// "unchanged" where it changes nothing, and every update it cannot do exactly (an
        /// error included) left to it.
        #[test]
        fn the_byte_path_stores_what_the_decoded_path_stores(
            stored in vec((name(), value()), 0..5),
            ops in vec((prop::sample::select(vec!["$inc", "$set", "$unset"]), name(), value()), 1..4),
        ) {
            let mut d = doc! { "_id": 1 };
            for (k, v) in stored {
                if !k.contains(['.', '$']) && k != "_id" {
                    d.insert(k, v);
                }
            }
            let mut spec = Document::new();
            for (op, k, v) in ops {
                let args = spec.entry(op.to_string()).or_insert_with(|| Bson::Document(Document::new()));
                if let Bson::Document(args) = args {
                    args.insert(k, v);
                }
            }
            // Conflicting paths are refused at parse time, before any document is read.
            let Ok(update) = Update::parse(&Bson::Document(spec)) else { return Ok(()) };
            let Update::Operators(ops) = &update else { unreachable!() };
            let Some(on_bytes) = ByteUpdate::of(ops) else { return Ok(()) };
            let record = Record::from_raw(RawDocumentBuf::try_from(&d).unwrap());
            let decoded = update.apply(&d, &UpdateContext::default());
            match on_bytes.apply(&record) {
                None => {}
                Some(None) => prop_assert_eq!(decoded.unwrap(), d),
                Some(Some(bytes)) => {
                    let expected = decoded.unwrap();
                    prop_assert_ne!(&expected, &d);
                    prop_assert_eq!(bytes, expected.to_vec().unwrap());
                }
            }
        }
    }

    #[test]
    fn plain_increments_and_sets_run_on_bytes() {
        let update =
            Update::parse(&Bson::Document(doc! { "$inc": { "n": 1 }, "$set": { "s": "y" } }))
                .unwrap();
        let Update::Operators(ops) = &update else { unreachable!() };
        let on_bytes = ByteUpdate::of(ops).unwrap();
        let r = Record::from_raw(
            RawDocumentBuf::try_from(&doc! { "_id": 1, "n": 41, "s": "x", "app_id": "a" }).unwrap(),
        );
        let bytes = on_bytes.apply(&r).unwrap().unwrap();
        assert_eq!(bytes, doc! { "_id": 1, "n": 42, "s": "y", "app_id": "a" }.to_vec().unwrap());
        // A field the document lacks, a dotted path, another operator: the decoded path.
        let missing =
            Record::from_raw(RawDocumentBuf::try_from(&doc! { "_id": 1, "n": 1 }).unwrap());
        assert!(on_bytes.apply(&missing).is_none());
        for other in [
            doc! { "$set": { "a.b": 1 } },
            doc! { "$unset": { "a": 1 } },
            doc! { "$set": { "_id": 2 } },
        ] {
            let Update::Operators(ops) = Update::parse(&Bson::Document(other)).unwrap() else {
                unreachable!()
            };
            assert!(ByteUpdate::of(&ops).is_none());
        }
    }
}
