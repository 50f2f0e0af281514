//! The operations `scoped_vs_raw` times and `probe` repeats: the same inputs
//! on the raw driver and on the scoped layer, which mirrors the driver's API.
#![allow(dead_code, reason = "each bench uses part of this module")]

use futures_util::TryStreamExt;
use mdbr_scope::ScopedCollection;
use mdbr_scope::bson::{DateTime, Document, doc};
use mdbr_scope::mongodb::{Collection, IndexModel};

#[derive(Clone, Copy)]
pub(crate) enum Op {
    InsertOne,
    FindById,
    FindLimit10,
    UpdateOne,
    Aggregate,
}

impl Op {
    pub(crate) const ALL: [Op; 5] =
        [Op::InsertOne, Op::FindById, Op::FindLimit10, Op::UpdateOne, Op::Aggregate];

    /// The name in `scoped_vs_raw`'s report.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Op::InsertOne => "insert_one",
            Op::FindById => "find by _id",
            Op::FindLimit10 => "find filter limit 10",
            Op::UpdateOne => "update_one",
            Op::Aggregate => "aggregate $match+$group",
        }
    }

    /// The operation named on `probe`'s command line.
    pub(crate) fn parse(arg: &str) -> Option<Op> {
        Some(match arg {
            "insert" => Op::InsertOne,
            "find" => Op::FindById,
            "find10" => Op::FindLimit10,
            "update" => Op::UpdateOne,
            "agg" => Op::Aggregate,
            _ => return None,
        })
    }
}

/// A stored document: three fields, or six when `wide`.
pub(crate) fn document(id: i32, g: i32, wide: bool) -> Document {
    let mut d = doc! { "_id": id, "g": g, "n": id };
    if wide {
        d.insert("name", format!("user {id}"));
        d.insert("email", format!("user{id}@example.com"));
        d.insert("created", DateTime::from_millis(1_700_000_000_000 + i64::from(id)));
    }
    d
}

/// The data both sides start from: 1,000 documents in 10 groups of `g`.
pub(crate) fn seed_documents(wide: bool) -> Vec<Document> {
    (0..1000).map(|i| document(i, i % 10, wide)).collect()
}

/// The index both sides get, on `g`.
pub(crate) fn g_index() -> IndexModel {
    IndexModel::builder().keys(doc! { "g": 1 }).build()
}

/// The inputs of the `i`-th operation of a kind, the same for both sides.
fn insert_doc(i: usize, wide: bool) -> Document {
    document(100_000 + i as i32, 99, wide)
}
fn by_id(i: usize) -> Document {
    doc! { "_id": (i % 1000) as i32 }
}
fn by_group(i: usize) -> Document {
    doc! { "g": (i % 10) as i32 }
}
fn increment() -> Document {
    doc! { "$inc": { "n": 1 } }
}
fn pipeline(i: usize) -> [Document; 2] {
    [
        doc! { "$match": { "g": { "$lt": (i % 10) as i32 + 1 } } },
        doc! { "$group": { "_id": "$g", "n": { "$sum": 1 } } },
    ]
}

/// One operation of kind `op` on `c`: the scoped collection mirrors the
/// driver's API, so the same body serves both sides.
macro_rules! run_op {
    ($c:expr, $op:expr, $i:expr, $wide:expr) => {{
        let (c, i) = ($c, $i);
        match $op {
            Op::InsertOne => drop(c.insert_one(insert_doc(i, $wide)).await.unwrap()),
            Op::FindById => drop(c.find_one(by_id(i)).await.unwrap().unwrap()),
            Op::FindLimit10 => {
                let v: Vec<Document> =
                    c.find(by_group(i)).limit(10).await.unwrap().try_collect().await.unwrap();
                assert_eq!(v.len(), 10);
            }
            Op::UpdateOne => drop(c.update_one(by_id(i), increment()).await.unwrap()),
            Op::Aggregate => {
                let v: Vec<Document> =
                    c.aggregate(pipeline(i)).await.unwrap().try_collect().await.unwrap();
                assert!(!v.is_empty());
            }
        }
    }};
}

pub(crate) async fn raw_op(c: &Collection<Document>, op: Op, i: usize, wide: bool) {
    run_op!(c, op, i, wide)
}

pub(crate) async fn scoped_op(c: &ScopedCollection<Document>, op: Op, i: usize, wide: bool) {
    run_op!(c, op, i, wide)
}
