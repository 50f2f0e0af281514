//! Sort specifications and MongoDB's sort order, including the array rules
//! (ascending sorts by an array's smallest element, descending by its largest).
use std::cmp::Ordering;

use bson::{Bson, Document};

use crate::error::{CmdResult, CommandError};
use crate::query::path;
use crate::value::compare;

/// A parsed sort specification.
#[derive(Debug, Clone, Default)]
pub(crate) struct SortSpec {
    pub(crate) fields: Vec<(String, bool)>,
}

impl SortSpec {
    /// Parses `{a: 1, b: -1}`.
    pub(crate) fn parse(spec: &Document) -> CmdResult<Self> {
        let mut fields = Vec::new();
        for (k, v) in spec {
            let asc = match v {
                Bson::Document(d) if d.contains_key("$meta") => continue,
                other => match crate::value::as_f64(other) {
                    Some(1.0) => true,
                    Some(-1.0) => false,
                    _ => {
                        return Err(CommandError::new(
                            15975,
                            "$sort key ordering must be 1 (for ascending) or -1 (for descending)",
                        ));
                    }
                },
            };
            if k.is_empty() {
                return Err(CommandError::new(
                    40352,
                    "FieldPath cannot be constructed with empty string",
                ));
            }
            fields.push((k.clone(), asc));
        }
        Ok(Self { fields })
    }

    /// Whether there is nothing to sort by.
    pub(crate) fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The sort key of a document.
    pub(crate) fn key(&self, doc: &Document) -> Vec<Bson> {
        self.fields
            .iter()
            .map(|(f, asc)| {
                let vals = path::key_values(doc, f);
                let vals: Vec<Bson> = vals
                    .into_iter()
                    .map(|v| match v {
                        Bson::Array(a) if a.is_empty() => Bson::Undefined,
                        other => other.clone(),
                    })
                    .collect();
                let pick = if *asc {
                    vals.into_iter().min_by(compare)
                } else {
                    vals.into_iter().max_by(compare)
                };
                pick.unwrap_or(Bson::Null)
            })
            .collect()
    }

    /// Compares two sort keys.
    pub(crate) fn compare_keys(&self, a: &[Bson], b: &[Bson]) -> Ordering {
        for ((x, y), (_, asc)) in a.iter().zip(b.iter()).zip(self.fields.iter()) {
            let o = compare(x, y);
            let o = if *asc { o } else { o.reverse() };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }

    /// Sorts documents in place (stable).
    pub(crate) fn sort_docs(&self, docs: &mut Vec<Document>) {
        if self.is_empty() {
            return;
        }
        let mut keyed: Vec<(Vec<Bson>, Document)> =
            docs.drain(..).map(|d| (self.key(&d), d)).collect();
        keyed.sort_by(|a, b| self.compare_keys(&a.0, &b.0));
        docs.extend(keyed.into_iter().map(|(_, d)| d));
    }
}
