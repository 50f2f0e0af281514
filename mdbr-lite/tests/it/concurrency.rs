//! Many clients at once: no lost updates.
use mongodb::bson::{Document, doc};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_increments_are_not_lost() {
    let server = mdbr_lite::LiteServer::builder().memory().start().await.unwrap();
    let c = mongodb::Client::with_uri_str(server.uri())
        .await
        .unwrap()
        .database("conc")
        .collection::<Document>("ctr");
    c.insert_one(doc! { "_id": 1, "n": 0 }).await.unwrap();
    let mut tasks = Vec::new();
    for t in 0..16 {
        // half the tasks use their own client (own connection pool)
        let c = if t % 2 == 0 {
            c.clone()
        } else {
            mongodb::Client::with_uri_str(server.uri())
                .await
                .unwrap()
                .database("conc")
                .collection::<Document>("ctr")
        };
        tasks.push(tokio::spawn(async move {
            for _ in 0..200 {
                c.update_one(doc! { "_id": 1 }, doc! { "$inc": { "n": 1 } }).await.unwrap();
                let _ = c.find_one(doc! { "_id": 1 }).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let d = c.find_one(doc! { "_id": 1 }).await.unwrap().unwrap();
    assert_eq!(d.get_i32("n").unwrap(), 16 * 200);
    server.shutdown().await;
}
