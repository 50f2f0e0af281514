//! BSON values the MongoDB way: canonical type order, comparison, numbers and type names.
use std::cmp::Ordering;

use bson::raw::{RawBson, RawBsonRef, RawDocument};
use bson::{Bson, Document};

/// The canonical rank of a value's type in MongoDB's comparison order.
pub(crate) fn type_rank(v: &Bson) -> i32 {
    match v {
        Bson::MinKey => -1,
        Bson::Undefined => 0,
        Bson::Null => 5,
        Bson::Double(_) | Bson::Int32(_) | Bson::Int64(_) | Bson::Decimal128(_) => 10,
        Bson::String(_) | Bson::Symbol(_) => 15,
        Bson::Document(_) => 20,
        Bson::Array(_) => 25,
        Bson::Binary(_) => 30,
        Bson::ObjectId(_) => 35,
        Bson::Boolean(_) => 40,
        Bson::DateTime(_) => 45,
        Bson::Timestamp(_) => 47,
        Bson::RegularExpression(_) => 50,
        Bson::DbPointer(_) => 55,
        Bson::JavaScriptCode(_) => 60,
        Bson::JavaScriptCodeWithScope(_) => 65,
        Bson::MaxKey => 100,
    }
}

/// A number as f64, if `v` is numeric.
pub(crate) fn as_f64(v: &Bson) -> Option<f64> {
    match v {
        Bson::Double(d) => Some(*d),
        Bson::Int32(i) => Some(f64::from(*i)),
        Bson::Int64(i) => Some(*i as f64),
        Bson::Decimal128(d) => d.to_string().parse::<f64>().ok(),
        _ => None,
    }
}

/// A number as i64, if `v` is an integer (or an integral double).
pub(crate) fn as_i64(v: &Bson) -> Option<i64> {
    match v {
        Bson::Int32(i) => Some(i64::from(*i)),
        Bson::Int64(i) => Some(*i),
        Bson::Double(d) if d.fract() == 0.0 && d.is_finite() => Some(*d as i64),
        Bson::Decimal128(_) => as_f64(v).filter(|d| d.fract() == 0.0).map(|d| d as i64),
        _ => None,
    }
}

/// Whether `v` is a number.
pub(crate) fn is_number(v: &Bson) -> bool {
    matches!(v, Bson::Double(_) | Bson::Int32(_) | Bson::Int64(_) | Bson::Decimal128(_))
}

fn compare_numbers(a: &Bson, b: &Bson) -> Ordering {
    match (a, b) {
        (Bson::Int32(x), Bson::Int32(y)) => x.cmp(y),
        (Bson::Int32(_) | Bson::Int64(_), Bson::Int32(_) | Bson::Int64(_)) => {
            as_i64(a).unwrap_or(0).cmp(&as_i64(b).unwrap_or(0))
        }
        _ => {
            let x = as_f64(a).unwrap_or(f64::NAN);
            let y = as_f64(b).unwrap_or(f64::NAN);
            match (x.is_nan(), y.is_nan()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                _ => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            }
        }
    }
}

/// Compares two values in MongoDB's order (type rank first, then value).
pub(crate) fn compare(a: &Bson, b: &Bson) -> Ordering {
    let (ra, rb) = (type_rank(a), type_rank(b));
    if ra != rb {
        return ra.cmp(&rb);
    }
    match (a, b) {
        _ if ra == 10 => compare_numbers(a, b),
        (Bson::String(x) | Bson::Symbol(x), Bson::String(y) | Bson::Symbol(y)) => {
            x.as_bytes().cmp(y.as_bytes())
        }
        (Bson::Document(x), Bson::Document(y)) => compare_docs(x, y),
        (Bson::Array(x), Bson::Array(y)) => {
            for (ex, ey) in x.iter().zip(y.iter()) {
                let o = type_rank(ex).cmp(&type_rank(ey)).then_with(|| compare(ex, ey));
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        (Bson::Binary(x), Bson::Binary(y)) => x
            .bytes
            .len()
            .cmp(&y.bytes.len())
            .then_with(|| u8::from(x.subtype).cmp(&u8::from(y.subtype)))
            .then_with(|| x.bytes.cmp(&y.bytes)),
        (Bson::ObjectId(x), Bson::ObjectId(y)) => x.bytes().cmp(&y.bytes()),
        (Bson::Boolean(x), Bson::Boolean(y)) => x.cmp(y),
        (Bson::DateTime(x), Bson::DateTime(y)) => x.timestamp_millis().cmp(&y.timestamp_millis()),
        (Bson::Timestamp(x), Bson::Timestamp(y)) => {
            (x.time, x.increment).cmp(&(y.time, y.increment))
        }
        (Bson::RegularExpression(x), Bson::RegularExpression(y)) => x
            .pattern
            .as_str()
            .cmp(y.pattern.as_str())
            .then_with(|| x.options.as_str().cmp(y.options.as_str())),
        (Bson::JavaScriptCode(x), Bson::JavaScriptCode(y)) => x.cmp(y),
        (Bson::JavaScriptCodeWithScope(x), Bson::JavaScriptCodeWithScope(y)) => {
            x.code.cmp(&y.code).then_with(|| compare_docs(&x.scope, &y.scope))
        }
        _ => Ordering::Equal,
    }
}

/// Compares two documents field by field (type, then name, then value).
pub(crate) fn compare_docs(x: &Document, y: &Document) -> Ordering {
    let mut ix = x.iter();
    let mut iy = y.iter();
    loop {
        match (ix.next(), iy.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some((kx, vx)), Some((ky, vy))) => {
                let o = type_rank(vx)
                    .cmp(&type_rank(vy))
                    .then_with(|| kx.as_bytes().cmp(ky.as_bytes()))
                    .then_with(|| compare(vx, vy));
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

/// Whether two values are equal for matching purposes (1 == 1.0).
pub(crate) fn values_equal(a: &Bson, b: &Bson) -> bool {
    type_rank(a) == type_rank(b) && compare(a, b) == Ordering::Equal
}

/// The `$type` alias of a value, e.g. `"string"`.
pub(crate) fn type_alias(v: &Bson) -> &'static str {
    match v {
        Bson::Double(_) => "double",
        Bson::String(_) => "string",
        Bson::Document(_) => "object",
        Bson::Array(_) => "array",
        Bson::Binary(_) => "binData",
        Bson::Undefined => "undefined",
        Bson::ObjectId(_) => "objectId",
        Bson::Boolean(_) => "bool",
        Bson::DateTime(_) => "date",
        Bson::Null => "null",
        Bson::RegularExpression(_) => "regex",
        Bson::DbPointer(_) => "dbPointer",
        Bson::JavaScriptCode(_) => "javascript",
        Bson::Symbol(_) => "symbol",
        Bson::JavaScriptCodeWithScope(_) => "javascriptWithScope",
        Bson::Int32(_) => "int",
        Bson::Timestamp(_) => "timestamp",
        Bson::Int64(_) => "long",
        Bson::Decimal128(_) => "decimal",
        Bson::MinKey => "minKey",
        Bson::MaxKey => "maxKey",
    }
}

/// The numeric BSON type code of a value.
pub(crate) fn type_code(v: &Bson) -> i32 {
    match v {
        Bson::Double(_) => 1,
        Bson::String(_) => 2,
        Bson::Document(_) => 3,
        Bson::Array(_) => 4,
        Bson::Binary(_) => 5,
        Bson::Undefined => 6,
        Bson::ObjectId(_) => 7,
        Bson::Boolean(_) => 8,
        Bson::DateTime(_) => 9,
        Bson::Null => 10,
        Bson::RegularExpression(_) => 11,
        Bson::DbPointer(_) => 12,
        Bson::JavaScriptCode(_) => 13,
        Bson::Symbol(_) => 14,
        Bson::JavaScriptCodeWithScope(_) => 15,
        Bson::Int32(_) => 16,
        Bson::Timestamp(_) => 17,
        Bson::Int64(_) => 18,
        Bson::Decimal128(_) => 19,
        Bson::MinKey => -1,
        Bson::MaxKey => 127,
    }
}

/// Truthiness in aggregation expressions.
pub(crate) fn truthy(v: &Bson) -> bool {
    match v {
        Bson::Boolean(b) => *b,
        Bson::Null | Bson::Undefined => false,
        Bson::Int32(i) => *i != 0,
        Bson::Int64(i) => *i != 0,
        Bson::Double(d) => *d != 0.0,
        Bson::Decimal128(_) => as_f64(v).is_some_and(|d| d != 0.0),
        _ => true,
    }
}

/// A wrapper ordering values in MongoDB's order, for use as B-tree keys.
#[derive(Debug, Clone)]
pub(crate) struct OrdBson(pub(crate) Bson);

impl PartialEq for OrdBson {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for OrdBson {}

impl PartialOrd for OrdBson {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrdBson {
    fn cmp(&self, other: &Self) -> Ordering {
        // The common key types compared inline (B-tree searches compare a lot), the same order
        // as `compare`.
        match (&self.0, &other.0) {
            (Bson::ObjectId(a), Bson::ObjectId(b)) => oid_value(a).cmp(&oid_value(b)),
            (Bson::Int32(a), Bson::Int32(b)) => a.cmp(b),
            (Bson::String(a), Bson::String(b)) => a.as_bytes().cmp(b.as_bytes()),
            (a, b) => compare(a, b),
        }
    }
}

/// An ObjectId as a number ordered like its bytes.
pub(crate) fn oid_value(id: &bson::oid::ObjectId) -> u128 {
    let mut b = [0u8; 16];
    b[4..].copy_from_slice(&id.bytes());
    u128::from_be_bytes(b)
}

/// Adds two numbers with MongoDB's type promotion (int overflow → long, any double → double).
pub(crate) fn add_numbers(a: &Bson, b: &Bson) -> Option<Bson> {
    Some(match (a, b) {
        (Bson::Int32(x), Bson::Int32(y)) => match x.checked_add(*y) {
            Some(s) => Bson::Int32(s),
            None => Bson::Int64(i64::from(*x) + i64::from(*y)),
        },
        (Bson::Int32(_) | Bson::Int64(_), Bson::Int32(_) | Bson::Int64(_)) => {
            let (x, y) = (as_i64(a)?, as_i64(b)?);
            match x.checked_add(y) {
                Some(s) => Bson::Int64(s),
                None => Bson::Double(x as f64 + y as f64),
            }
        }
        (Bson::Decimal128(_), _) | (_, Bson::Decimal128(_)) => {
            let s = as_f64(a)? + as_f64(b)?;
            Bson::Decimal128(s.to_string().parse().ok()?)
        }
        _ => Bson::Double(as_f64(a)? + as_f64(b)?),
    })
}

/// Multiplies two numbers with MongoDB's type promotion.
pub(crate) fn mul_numbers(a: &Bson, b: &Bson) -> Option<Bson> {
    Some(match (a, b) {
        (Bson::Int32(x), Bson::Int32(y)) => match x.checked_mul(*y) {
            Some(s) => Bson::Int32(s),
            None => Bson::Int64(i64::from(*x) * i64::from(*y)),
        },
        (Bson::Int32(_) | Bson::Int64(_), Bson::Int32(_) | Bson::Int64(_)) => {
            let (x, y) = (as_i64(a)?, as_i64(b)?);
            match x.checked_mul(y) {
                Some(s) => Bson::Int64(s),
                None => Bson::Double(x as f64 * y as f64),
            }
        }
        (Bson::Decimal128(_), _) | (_, Bson::Decimal128(_)) => {
            let s = as_f64(a)? * as_f64(b)?;
            Bson::Decimal128(s.to_string().parse().ok()?)
        }
        _ => Bson::Double(as_f64(a)? * as_f64(b)?),
    })
}

/// Decodes BSON bytes into a document, mapping each borrowed value straight to its owned form.
/// Same result as `Document::try_from(raw)` (a repeated field keeps its first position and its
/// last value), without that conversion's intermediate owned raw values, which copy every
/// embedded document's bytes once per level before decoding them.
pub(crate) fn decode_document(raw: &RawDocument) -> Result<Document, bson::error::Error> {
    let mut out = Document::new();
    for element in raw.iter() {
        let (key, value) = element?;
        out.insert(key.as_str(), decode_value(value)?);
    }
    Ok(out)
}

fn decode_value(value: RawBsonRef<'_>) -> Result<Bson, bson::error::Error> {
    Ok(match value {
        RawBsonRef::Double(f) => Bson::Double(f),
        RawBsonRef::String(s) => Bson::String(s.to_owned()),
        RawBsonRef::Document(d) => Bson::Document(decode_document(d)?),
        RawBsonRef::Array(items) => Bson::Array(
            items.into_iter().map(|item| item.and_then(decode_value)).collect::<Result<_, _>>()?,
        ),
        RawBsonRef::Boolean(b) => Bson::Boolean(b),
        RawBsonRef::Null => Bson::Null,
        RawBsonRef::Int32(i) => Bson::Int32(i),
        RawBsonRef::Int64(i) => Bson::Int64(i),
        RawBsonRef::ObjectId(id) => Bson::ObjectId(id),
        RawBsonRef::DateTime(d) => Bson::DateTime(d),
        RawBsonRef::Timestamp(t) => Bson::Timestamp(t),
        RawBsonRef::Decimal128(d) => Bson::Decimal128(d),
        RawBsonRef::Symbol(s) => Bson::Symbol(s.to_owned()),
        RawBsonRef::Undefined => Bson::Undefined,
        RawBsonRef::MaxKey => Bson::MaxKey,
        RawBsonRef::MinKey => Bson::MinKey,
        // Binary data, regular expressions, code and DB pointers: the library's conversion.
        other => Bson::try_from(RawBson::from(other))?,
    })
}

#[cfg(test)]
mod tests {
    use bson::{Bson, doc};

    use super::*;

    #[test]
    fn ord_bson_orders_like_compare() {
        let oid = |b: [u8; 12]| Bson::ObjectId(bson::oid::ObjectId::from_bytes(b));
        let mut hi = [0u8; 12];
        hi[0] = 0x80;
        let mut low_last = [0xffu8; 12];
        low_last[11] = 0;
        let values = [
            oid([0; 12]),
            oid([0xff; 12]),
            oid(hi),
            oid(low_last),
            Bson::ObjectId(bson::oid::ObjectId::new()),
            Bson::Int32(-3),
            Bson::Int32(7),
            Bson::Double(7.0),
            Bson::String("b".into()),
            Bson::String("ab".into()),
            Bson::String("é".into()),
            Bson::Null,
        ];
        for a in &values {
            for b in &values {
                assert_eq!(
                    OrdBson(a.clone()).cmp(&OrdBson(b.clone())),
                    compare(a, b),
                    "{a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn canonical_order_across_types() {
        let ordered = [
            Bson::MinKey,
            Bson::Null,
            Bson::Double(f64::NAN),
            Bson::Int32(-1),
            Bson::Double(0.5),
            Bson::Int64(1),
            Bson::String("a".into()),
            Bson::Document(doc! {}),
            Bson::Array(vec![]),
            Bson::ObjectId(bson::oid::ObjectId::from_bytes([0; 12])),
            Bson::Boolean(false),
            Bson::Boolean(true),
            Bson::DateTime(bson::DateTime::from_millis(0)),
            Bson::MaxKey,
        ];
        for w in ordered.windows(2) {
            assert_eq!(compare(&w[0], &w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
        }
        assert!(values_equal(&Bson::Int32(1), &Bson::Double(1.0)));
    }
}
