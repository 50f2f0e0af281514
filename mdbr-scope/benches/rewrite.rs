//! Rewrite cost per operation: the pure BSON work the scoped layer adds to a
//! typical find, an update, and a 6-stage pipeline with a `$lookup`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use mdbr_core::AppSlug;
use mdbr_scope::bson::doc;
use mdbr_scope::mongodb::options::UpdateModifications;
use mdbr_scope::{AppEntry, AppRegistry, MemoryRegistry, ScopeRules};

fn rules() -> ScopeRules {
    let registry = Arc::new(MemoryRegistry::new());
    for app in ["shop", "billing", "click_tracker", "analytics"] {
        registry.put(AppEntry::new(AppSlug::parse(app).unwrap()));
    }
    ScopeRules::new(AppSlug::parse("shop").unwrap(), registry)
}

fn bench(c: &mut Criterion) {
    let r = rules();
    let filter = doc! { "status": "open", "total": { "$gte": 100 }, "tags": { "$in": ["a", "b"] } };
    c.bench_function("restrict_read(find filter)", |b| {
        b.iter(|| black_box(r.restrict_read(black_box(filter.clone())).unwrap()))
    });
    let update = doc! { "$set": { "status": "paid", "paid_at": 1 }, "$inc": { "version": 1 } };
    c.bench_function("update: prepare_update + restrict_write", |b| {
        b.iter(|| {
            let u =
                r.prepare_update(UpdateModifications::Document(black_box(update.clone()))).unwrap();
            let f = r.restrict_write(black_box(doc! { "_id": 42 })).unwrap();
            black_box((u, f))
        })
    });
    let pipeline = vec![
        doc! { "$match": { "status": "open" } },
        doc! { "$lookup": { "from": "customers", "localField": "cid", "foreignField": "_id", "as": "customer" } },
        doc! { "$unwind": "$customer" },
        doc! { "$group": { "_id": "$customer.country", "total": { "$sum": "$total" } } },
        doc! { "$sort": { "total": -1 } },
        doc! { "$limit": 10 },
    ];
    c.bench_function("rewrite_pipeline(6 stages with $lookup)", |b| {
        b.iter(|| black_box(r.rewrite_pipeline(black_box(pipeline.clone())).unwrap()))
    });
    c.bench_function("baseline: clone of the 6-stage pipeline", |b| {
        b.iter(|| black_box(pipeline.clone()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
