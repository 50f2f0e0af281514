//! `$search` over a `search` index (lite only: SecantusDB has no Atlas Search): the `text`,
//! `phrase`, `equals`, `in`, `range`, `exists` and `compound` operators, ranked by relevance.
use mongodb::bson::{Document, doc};
use mongodb::{SearchIndexModel, SearchIndexType};

use crate::{Ctx, all, code_of};

async fn fixture(ctx: &Ctx) -> mongodb::Collection<Document> {
    let c = ctx.coll("movies");
    c.insert_many(vec![
        doc! { "_id": 1, "title": "The Rust Programming Language", "year": 2018, "genre": "tech", "tags": ["rust", "book"] },
        doc! { "_id": 2, "title": "Rust in Action", "year": 2021, "genre": "tech" },
        doc! { "_id": 3, "title": "Gardening: fighting rust on roses", "year": 2015, "genre": "garden" },
        doc! { "_id": 4, "title": "Programming Pearls", "year": 1986, "genre": "tech" },
        doc! { "_id": 5, "title": "A Tale of Two Cities", "year": 1859, "genre": "novel" },
    ])
    .await
    .unwrap();
    c.create_search_index(
        SearchIndexModel::builder()
            .name("default".to_string())
            .index_type(SearchIndexType::Search)
            .definition(doc! { "mappings": { "dynamic": true } })
            .build(),
    )
    .await
    .unwrap();
    c
}

async fn ids(c: &mongodb::Collection<Document>, op: Document) -> Vec<i32> {
    let mut stage = op;
    stage.insert("index", "default");
    all(c
        .aggregate(vec![
            doc! { "$search": stage },
            doc! { "$project": { "_id": 1, "s": { "$meta": "searchScore" } } },
        ])
        .await
        .unwrap())
    .await
    .iter()
    .map(|d| {
        assert!(d.get_f64("s").unwrap() >= 0.0);
        d.get_i32("_id").unwrap()
    })
    .collect()
}

#[tokio::test]
async fn text_ranks_by_relevance() {
    let ctx = Ctx::lite().await;
    let c = fixture(&ctx).await;
    let r = ids(&c, doc! { "text": { "query": "rust programming", "path": "title" } }).await;
    // Both terms beat one term; the shorter title with both terms ranks first.
    assert_eq!(r[0], 1);
    let mut rest = r[1..].to_vec();
    rest.sort();
    assert_eq!(rest, vec![2, 3, 4]);
    assert_eq!(
        ids(&c, doc! { "text": { "query": "CITIES", "path": { "wildcard": "*" } } }).await,
        vec![5]
    );
    assert_eq!(
        ids(&c, doc! { "phrase": { "query": "rust in action", "path": "title" } }).await,
        vec![2]
    );
    assert!(ids(&c, doc! { "text": { "query": "haskell", "path": "title" } }).await.is_empty());
}

#[tokio::test]
async fn compound_equals_in_range_exists() {
    let ctx = Ctx::lite().await;
    let c = fixture(&ctx).await;
    let r = ids(
        &c,
        doc! { "compound": {
            "must": [ { "text": { "query": "rust", "path": "title" } } ],
            "filter": [ { "equals": { "path": "genre", "value": "tech" } } ],
        } },
    )
    .await;
    let mut sorted = r.clone();
    sorted.sort();
    assert_eq!(sorted, vec![1, 2]);
    let r = ids(
        &c,
        doc! { "compound": {
            "filter": [ { "in": { "path": "genre", "value": ["tech", "novel"] } }, { "range": { "path": "year", "gte": 1900, "lt": 2020 } } ],
            "mustNot": [ { "exists": { "path": "tags" } } ],
        } },
    )
    .await;
    assert_eq!(r, vec![4]);
    let r = ids(
        &c,
        doc! { "compound": { "should": [
            { "text": { "query": "pearls", "path": "title" } },
            { "text": { "query": "roses", "path": "title" } },
        ] } },
    )
    .await;
    let mut sorted = r.clone();
    sorted.sort();
    assert_eq!(sorted, vec![3, 4]);
    // An unknown index is an error.
    let e = c
        .aggregate(vec![
            doc! { "$search": { "index": "nope", "text": { "query": "x", "path": "title" } } },
        ])
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), Some(27));
}
