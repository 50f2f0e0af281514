//! Index keys: the values of an entry's key fields, compact for the common one-field cases so
//! that B-tree searches compare small keys held inline in the nodes.
use std::cmp::Ordering;

use bson::Bson;
use bson::oid::ObjectId;

use crate::value::{OrdBson, oid_value};

/// The key of one index entry, ordered as MongoDB orders its values field by field.
///
/// Every key of one index has as many values as the index has fields; a one-field key holding
/// an ObjectId or a 32-bit integer (what `_id` and counters usually are) is stored without the
/// general `Bson` value.
#[derive(Debug, Clone)]
pub(crate) enum IndexKey {
    /// A one-field key holding an ObjectId.
    ObjectId(ObjectId),
    /// A one-field key holding a 32-bit integer.
    Int32(i32),
    /// Any other key: one value per field.
    Values(Vec<OrdBson>),
}

impl IndexKey {
    /// The key made of `values`, one per key field.
    pub(crate) fn new(mut values: Vec<OrdBson>) -> Self {
        if values.len() == 1
            && let Some(v) = values.pop()
        {
            return Self::one(v.0);
        }
        Self::Values(values)
    }

    /// The key of a one-field index.
    pub(crate) fn one(v: Bson) -> Self {
        match v {
            Bson::ObjectId(id) => Self::ObjectId(id),
            Bson::Int32(i) => Self::Int32(i),
            other => Self::Values(vec![OrdBson(other)]),
        }
    }

    /// The values, one per key field.
    pub(crate) fn values(&self) -> Vec<Bson> {
        match self {
            Self::ObjectId(id) => vec![Bson::ObjectId(*id)],
            Self::Int32(i) => vec![Bson::Int32(*i)],
            Self::Values(v) => v.iter().map(|x| x.0.clone()).collect(),
        }
    }

    /// Compares keys of different representations: the one-value forms are expanded (without
    /// allocating) and the values compared in order.
    fn cmp_values(&self, other: &Self) -> Ordering {
        let (mut a, mut b) = ([OrdBson(Bson::Null)], [OrdBson(Bson::Null)]);
        self.as_values(&mut a).cmp(other.as_values(&mut b))
    }

    fn as_values<'a>(&'a self, slot: &'a mut [OrdBson; 1]) -> &'a [OrdBson] {
        match self {
            Self::ObjectId(id) => slot[0] = OrdBson(Bson::ObjectId(*id)),
            Self::Int32(i) => slot[0] = OrdBson(Bson::Int32(*i)),
            Self::Values(v) => return v,
        }
        slot
    }
}

impl PartialEq for IndexKey {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for IndexKey {}

impl PartialOrd for IndexKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for IndexKey {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::ObjectId(a), Self::ObjectId(b)) => oid_value(a).cmp(&oid_value(b)),
            (Self::Int32(a), Self::Int32(b)) => a.cmp(b),
            (Self::Values(a), Self::Values(b)) => a.cmp(b),
            _ => self.cmp_values(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_keys_order_like_their_values() {
        let values = [
            Bson::Null,
            Bson::Int32(-2),
            Bson::Double(-2.0),
            Bson::Int32(3),
            Bson::Int64(3),
            Bson::Double(3.5),
            Bson::String("a".into()),
            Bson::ObjectId(ObjectId::from_bytes([0; 12])),
            Bson::ObjectId(ObjectId::from_bytes([0xff; 12])),
            Bson::ObjectId(ObjectId::new()),
            Bson::Boolean(true),
        ];
        for a in &values {
            for b in &values {
                let general = IndexKey::Values(vec![OrdBson(a.clone())])
                    .cmp(&IndexKey::Values(vec![OrdBson(b.clone())]));
                let compact = IndexKey::one(a.clone()).cmp(&IndexKey::one(b.clone()));
                assert_eq!(compact, general, "{a} vs {b}");
                assert_eq!(general, crate::value::compare(a, b), "{a} vs {b}");
            }
        }
    }
}
