//! Atlas-style search indexes and `$vectorSearch` (lite only: SecantusDB and community mongod
//! have no vector search). Rankings are checked against a brute-force computation here, and
//! scores against Atlas's formulas: cosine `(1 + cos) / 2`, euclidean `1 / (1 + d)`,
//! dotProduct `(1 + dot) / 2`.
use mongodb::bson::{Bson, Document, doc};
use mongodb::{SearchIndexModel, SearchIndexType};

use crate::{Ctx, all, code_of};

/// A deterministic pseudo-random vector.
fn vector(seed: u64, dims: usize) -> Vec<f64> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) | 1;
    (0..dims)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s % 2000) as f64 / 1000.0) - 1.0
        })
        .collect()
}

fn expected_score(sim: &str, q: &[f64], v: &[f64]) -> f64 {
    let dot: f64 = q.iter().zip(v).map(|(a, b)| a * b).sum();
    match sim {
        "cosine" => {
            let nq = q.iter().map(|x| x * x).sum::<f64>().sqrt();
            let nv = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            (1.0 + dot / (nq * nv)) / 2.0
        }
        "euclidean" => {
            let d = q.iter().zip(v).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt();
            1.0 / (1.0 + d)
        }
        _ => (1.0 + dot) / 2.0,
    }
}

fn vector_index(name: &str, sim: &str, dims: i32, filters: &[&str]) -> SearchIndexModel {
    let mut fields = vec![Bson::Document(
        doc! { "type": "vector", "path": "emb", "numDimensions": dims, "similarity": sim },
    )];
    for f in filters {
        fields.push(Bson::Document(doc! { "type": "filter", "path": *f }));
    }
    SearchIndexModel::builder()
        .name(name.to_string())
        .index_type(SearchIndexType::VectorSearch)
        .definition(doc! { "fields": fields })
        .build()
}

async fn agg(c: &mongodb::Collection<Document>, p: Vec<Document>) -> Vec<Document> {
    all(c.aggregate(p).await.unwrap()).await
}

async fn agg_code(c: &mongodb::Collection<Document>, p: Vec<Document>) -> Option<i32> {
    match c.aggregate(p).await {
        Ok(_) => None,
        Err(e) => code_of(&e),
    }
}

fn search(index: &str, q: &[f64], limit: i32, candidates: i32) -> Document {
    doc! { "$vectorSearch": {
        "index": index, "path": "emb", "queryVector": q.to_vec(), "numCandidates": candidates, "limit": limit,
    } }
}

fn score_stage() -> Document {
    doc! { "$project": { "_id": 1, "score": { "$meta": "vectorSearchScore" } } }
}

#[tokio::test]
async fn ranking_and_scores_match_brute_force_for_each_similarity() {
    let ctx = Ctx::lite().await;
    let dims = 16;
    for sim in ["cosine", "euclidean", "dotProduct"] {
        let c = ctx.coll(&format!("docs_{sim}"));
        let docs: Vec<Document> = (0..300)
            .map(|i| {
                let mut v = vector(i, dims);
                if sim == "dotProduct" {
                    // dotProduct expects unit vectors.
                    let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
                    v.iter_mut().for_each(|x| *x /= n);
                }
                doc! { "_id": i as i32, "emb": v }
            })
            .collect();
        c.insert_many(docs.clone()).await.unwrap();
        c.create_search_index(vector_index("vi", sim, dims as i32, &[])).await.unwrap();
        let q = vector(10_000, dims);
        let mut brute: Vec<(f64, i32)> = docs
            .iter()
            .map(|d| {
                let v: Vec<f64> =
                    d.get_array("emb").unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
                (expected_score(sim, &q, &v), d.get_i32("_id").unwrap())
            })
            .collect();
        brute.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap());
        for exact in [false, true] {
            let mut stage = search("vi", &q, 10, 100);
            if exact {
                let body = stage.get_document_mut("$vectorSearch").unwrap();
                body.remove("numCandidates");
                body.insert("exact", true);
            }
            let r = agg(&c, vec![stage, score_stage()]).await;
            assert_eq!(r.len(), 10);
            let got: Vec<i32> = r.iter().map(|d| d.get_i32("_id").unwrap()).collect();
            let want: Vec<i32> = brute.iter().take(10).map(|x| x.1).collect();
            assert_eq!(got, want, "{sim}");
            for (d, (s, _)) in r.iter().zip(&brute) {
                let got = d.get_f64("score").unwrap();
                assert!((got - s).abs() < 1e-4, "{sim}: {got} vs {s}");
            }
        }
    }
}

#[tokio::test]
async fn score_formulas_on_known_vectors() {
    let ctx = Ctx::lite().await;
    let c = ctx.coll("known");
    c.insert_many(vec![
        doc! { "_id": 1, "emb": [1.0, 0.0] },
        doc! { "_id": 2, "emb": [0.0, 1.0] },
        doc! { "_id": 3, "emb": [-1.0, 0.0] },
    ])
    .await
    .unwrap();
    for (sim, want) in [
        ("cosine", [1.0, 0.5, 0.0]),
        ("euclidean", [1.0, 1.0 / (1.0 + 2f64.sqrt()), 1.0 / 3.0]),
        ("dotProduct", [1.0, 0.5, 0.0]),
    ] {
        c.create_search_index(vector_index(sim, sim, 2, &[])).await.unwrap();
        let r = agg(&c, vec![search(sim, &[1.0, 0.0], 3, 3), score_stage()]).await;
        let got: Vec<(i32, f64)> =
            r.iter().map(|d| (d.get_i32("_id").unwrap(), d.get_f64("score").unwrap())).collect();
        for ((id, s), (want_id, w)) in got.iter().zip([(1, want[0]), (2, want[1]), (3, want[2])]) {
            assert_eq!(*id, want_id, "{sim}");
            assert!((s - w).abs() < 1e-6, "{sim}: {s} vs {w}");
        }
    }
    // The score does not leak into documents that do not ask for it.
    let r = agg(&c, vec![search("cosine", &[1.0, 0.0], 1, 1)]).await;
    assert_eq!(r, vec![doc! { "_id": 1, "emb": [1.0, 0.0] }]);
}

#[tokio::test]
async fn filters_on_declared_fields_and_errors() {
    let ctx = Ctx::lite().await;
    let c = ctx.coll("f");
    c.insert_many((0..40).map(|i| {
        doc! { "_id": i, "emb": vector(i as u64, 4), "genre": if i % 2 == 0 { "even" } else { "odd" }, "year": 2000 + i, "other": 1 }
    }))
    .await
    .unwrap();
    c.create_search_index(vector_index("vi", "euclidean", 4, &["genre", "year"])).await.unwrap();
    let q = vector(999, 4);
    let with_filter = |f: Document, limit: i32| {
        let mut s = search("vi", &q, limit, 40);
        s.get_document_mut("$vectorSearch").unwrap().insert("filter", f);
        s
    };
    let r = agg(&c, vec![with_filter(doc! { "genre": "even" }, 40)]).await;
    assert_eq!(r.len(), 20);
    assert!(r.iter().all(|d| d.get_i32("_id").unwrap() % 2 == 0));
    let r = agg(
        &c,
        vec![with_filter(
            doc! { "$and": [ { "genre": { "$ne": "even" } }, { "year": { "$gte": 2030, "$lt": 2036 } } ] },
            40,
        )],
    )
    .await;
    let mut ids: Vec<i32> = r.iter().map(|d| d.get_i32("_id").unwrap()).collect();
    ids.sort();
    assert_eq!(ids, vec![31, 33, 35]);
    let r = agg(
        &c,
        vec![with_filter(
            doc! { "$or": [ { "year": { "$in": [2001, 2002] } }, { "year": { "$not": { "$gt": 2000 } } } ] },
            40,
        )],
    )
    .await;
    assert_eq!(r.len(), 3);
    let r =
        agg(&c, vec![with_filter(doc! { "genre": { "$exists": true, "$nin": ["odd"] } }, 5)]).await;
    assert_eq!(r.len(), 5);
    // An undeclared field, or an operator Atlas does not allow, is an error.
    assert_eq!(agg_code(&c, vec![with_filter(doc! { "other": 1 }, 5)]).await, Some(2));
    assert_eq!(
        agg_code(&c, vec![with_filter(doc! { "genre": { "$regex": "e" } }, 5)]).await,
        Some(2)
    );
    // numCandidates / limit bounds.
    assert_eq!(agg_code(&c, vec![search("vi", &q, 10, 5)]).await, Some(2));
    assert_eq!(agg_code(&c, vec![search("vi", &q, 10, 10_001)]).await, Some(2));
    assert!(
        agg_code(&c, vec![doc! { "$vectorSearch": { "index": "vi", "path": "emb", "queryVector": q.clone(), "limit": 3 } }])
            .await
            .is_some()
    );
    assert_eq!(agg(&c, vec![search("vi", &q, 100, 10_000)]).await.len(), 40);
    assert_eq!(agg(&c, vec![search("vi", &q, 3, 3)]).await.len(), 3);
    // Wrong dimensions, unknown index, not first.
    assert_eq!(agg_code(&c, vec![search("vi", &[1.0, 2.0, 3.0], 3, 10)]).await, Some(2));
    assert_eq!(agg_code(&c, vec![search("nope", &q, 3, 10)]).await, Some(27));
    assert_eq!(
        agg_code(&c, vec![doc! { "$match": {} }, search("vi", &q, 3, 10)]).await,
        Some(40602)
    );
    // Later stages see the documents and their scores.
    let r = agg(
        &c,
        vec![
            search("vi", &q, 5, 20),
            doc! { "$match": { "genre": "odd" } },
            doc! { "$addFields": { "s": { "$meta": "vectorSearchScore" } } },
            doc! { "$project": { "emb": 0 } },
        ],
    )
    .await;
    assert!(r.iter().all(|d| d.get_f64("s").unwrap() > 0.0 && !d.contains_key("emb")));
}

#[tokio::test]
async fn index_before_and_after_data_and_writes_are_seen() {
    let ctx = Ctx::lite().await;
    let c = ctx.coll("live");
    // Index first, on a collection that does not exist yet.
    c.create_search_index(vector_index("vi", "cosine", 3, &[])).await.unwrap();
    assert!(agg(&c, vec![search("vi", &[1.0, 0.0, 0.0], 5, 10)]).await.is_empty());
    c.insert_one(doc! { "_id": 1, "emb": [1.0, 0.0, 0.0] }).await.unwrap();
    c.insert_one(doc! { "_id": 2, "emb": [0.0, 1.0, 0.0] }).await.unwrap();
    // Wrong-length and non-vector values are not indexed.
    c.insert_one(doc! { "_id": 3, "emb": [1.0, 0.0] }).await.unwrap();
    c.insert_one(doc! { "_id": 4, "emb": "text" }).await.unwrap();
    let r = agg(&c, vec![search("vi", &[1.0, 0.1, 0.0], 5, 10)]).await;
    assert_eq!(r.iter().map(|d| d.get_i32("_id").unwrap()).collect::<Vec<_>>(), vec![1, 2]);
    c.update_one(doc! { "_id": 2 }, doc! { "$set": { "emb": [1.0, 0.2, 0.0] } }).await.unwrap();
    c.delete_one(doc! { "_id": 1 }).await.unwrap();
    let r = agg(&c, vec![search("vi", &[1.0, 0.1, 0.0], 5, 10)]).await;
    assert_eq!(r.iter().map(|d| d.get_i32("_id").unwrap()).collect::<Vec<_>>(), vec![2]);
    // Index created after the data.
    let d = ctx.coll("later");
    d.insert_many((0..10).map(|i| doc! { "_id": i, "emb": vector(i as u64, 3) })).await.unwrap();
    d.create_search_index(vector_index("late", "euclidean", 3, &[])).await.unwrap();
    assert_eq!(agg(&d, vec![search("late", &[0.0, 0.0, 0.0], 10, 10)]).await.len(), 10);
}

#[tokio::test]
async fn search_index_commands_and_listing() {
    let ctx = Ctx::lite().await;
    let c = ctx.coll("idx");
    c.insert_one(doc! { "_id": 1, "emb": [1.0, 2.0] }).await.unwrap();
    let name = c.create_search_index(vector_index("vi", "cosine", 2, &["k"])).await.unwrap();
    assert_eq!(name, "vi");
    let text = SearchIndexModel::builder()
        .name("text".to_string())
        .index_type(SearchIndexType::Search)
        .definition(doc! { "mappings": { "dynamic": true } })
        .build();
    c.create_search_index(text).await.unwrap();
    let listed = all(c.list_search_indexes().await.unwrap()).await;
    assert_eq!(listed.len(), 2);
    let vi = listed.iter().find(|d| d.get_str("name").unwrap() == "vi").unwrap();
    assert_eq!(vi.get_str("type").unwrap(), "vectorSearch");
    assert_eq!(vi.get_str("status").unwrap(), "READY");
    assert!(vi.get_bool("queryable").unwrap());
    assert_eq!(vi.get_document("latestDefinition").unwrap().get_array("fields").unwrap().len(), 2);
    // By name, through the stage itself.
    let one = agg(&c, vec![doc! { "$listSearchIndexes": { "name": "text" } }]).await;
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].get_str("type").unwrap(), "search");
    // Duplicate names, bad definitions.
    assert!(c.create_search_index(vector_index("vi", "cosine", 2, &[])).await.is_err());
    assert!(c.create_search_index(vector_index("bad", "manhattan", 2, &[])).await.is_err());
    assert!(c.create_search_index(vector_index("bad", "cosine", 0, &[])).await.is_err());
    // Update: now 3 dimensions.
    c.update_search_index("vi", doc! { "fields": [ { "type": "vector", "path": "emb", "numDimensions": 3, "similarity": "euclidean" } ] })
        .await
        .unwrap();
    assert_eq!(agg_code(&c, vec![search("vi", &[1.0, 2.0], 1, 1)]).await, Some(2));
    let listed = agg(&c, vec![doc! { "$listSearchIndexes": { "name": "vi" } }]).await;
    assert_eq!(listed[0].get_i64("latestVersion").unwrap(), 1);
    // $search with an operator mdbr-lite does not run is refused clearly.
    assert_eq!(
        agg_code(&c, vec![doc! { "$search": { "index": "text", "autocomplete": { "query": "x", "path": "t" } } }]).await,
        Some(2)
    );
    // Drop.
    c.drop_search_index("vi").await.unwrap();
    assert_eq!(agg_code(&c, vec![search("vi", &[1.0, 2.0, 3.0], 1, 1)]).await, Some(27));
    assert_eq!(all(c.list_search_indexes().await.unwrap()).await.len(), 1);
    assert!(c.drop_search_index("vi").await.is_err());
    assert!(c.update_search_index("vi", doc! { "fields": [] }).await.is_err());
}

#[tokio::test]
async fn definitions_survive_a_restart() {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("mdbr-lite-vec-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    {
        let server = mdbr_lite::LiteServer::builder().data_dir(&dir).start().await.unwrap();
        let client = mongodb::Client::with_uri_str(server.uri()).await.unwrap();
        let c = client.database("app").collection::<Document>("v");
        c.insert_many((0..5).map(|i| doc! { "_id": i, "emb": vector(i as u64, 4), "k": i }))
            .await
            .unwrap();
        c.create_search_index(vector_index("vi", "dotProduct", 4, &["k"])).await.unwrap();
        server.shutdown().await;
    }
    let server = mdbr_lite::LiteServer::builder().data_dir(&dir).start().await.unwrap();
    let client = mongodb::Client::with_uri_str(server.uri()).await.unwrap();
    let c = client.database("app").collection::<Document>("v");
    let listed = all(c.list_search_indexes().await.unwrap()).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].get_str("name").unwrap(), "vi");
    let mut s = search("vi", &vector(7, 4), 5, 5);
    s.get_document_mut("$vectorSearch").unwrap().insert("filter", doc! { "k": { "$lt": 3 } });
    assert_eq!(agg(&c, vec![s]).await.len(), 3);
    server.shutdown().await;
    std::fs::remove_dir_all(&dir).ok();
}
