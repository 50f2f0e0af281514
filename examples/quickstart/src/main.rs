//! Two apps on one embedded database, isolated by the scoped layer.
//!
//! Starts the embedded `mdbr-lite` engine (no MongoDB needed), registers two
//! apps, writes as each, and shows that neither can see or change the other's
//! data — including through `$lookup`, `$out` and update operators.
//!
//! Run with `cargo run -p quickstart`. Set `MDBR_MONGODB_URI` to run the same
//! code against any MongoDB instead.
#![allow(clippy::print_stdout)]

use futures_util::TryStreamExt;
use mdbr_core::AppSlug;
use mdbr_lite::LiteServer;
use mdbr_scope::bson::{Document, doc};
use mdbr_scope::mongodb::Client;
use mdbr_scope::{AppEntry, Scope};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // 1. A database: MDBR_MONGODB_URI if set, else the embedded engine in memory.
    let (uri, server) = match std::env::var("MDBR_MONGODB_URI") {
        Ok(uri) if !uri.is_empty() => (uri, None),
        _ => {
            let server = LiteServer::builder().bind("127.0.0.1:0").memory().start().await?;
            println!("started the embedded mdbr-lite engine at {}", server.uri());
            (server.uri(), Some(server))
        }
    };
    let client = Client::with_uri_str(&uri).await?;
    let scope = Scope::new(client.database("garden"));

    // 2. Two apps share the database.
    scope.register(AppEntry::new(AppSlug::parse("hello_world")?)).await?;
    scope.register(AppEntry::new(AppSlug::parse("billing")?)).await?;
    let hello = scope.app("hello_world")?;
    let billing = scope.app("billing")?;

    // 3. Each writes ordinary driver-shaped code.
    let greetings = hello.collection::<Document>("greetings")?;
    greetings.insert_one(doc! { "message": "Hello, World!", "language": "en" }).await?;
    greetings.insert_one(doc! { "message": "Hallo, Welt!", "language": "de" }).await?;
    let invoices = billing.collection::<Document>("invoices")?;
    invoices
        .insert_one(doc! { "customer": "acme", "total": 1200, "secret": "billing-only" })
        .await?;

    let mine: Vec<Document> =
        greetings.find(doc! {}).sort(doc! { "language": 1 }).limit(10).await?.try_collect().await?;
    println!("hello_world sees {} greetings:", mine.len());
    for g in &mine {
        println!("  {g}");
    }

    // 4. And cannot reach the other app, however it tries.
    let joined: Vec<Document> = greetings
        .aggregate([doc! { "$lookup": { "from": "invoices", "pipeline": [], "as": "stolen" } }])
        .await?
        .try_collect()
        .await?;
    let stolen: usize =
        joined.iter().map(|d| d.get_array("stolen").map(Vec::len).unwrap_or(0)).sum();
    println!(
        "$lookup into `invoices` from hello_world found {stolen} documents (its own namespace is empty)"
    );

    match greetings.update_many(doc! {}, doc! { "$set": { "app_id": "billing" } }).await {
        Err(e) => println!("re-tagging documents as another app is refused: {e}"),
        Ok(_) => anyhow::bail!("re-tagging must be refused"),
    }
    match greetings.aggregate([doc! { "$out": { "db": "admin", "coll": "x" } }]).await {
        Err(e) => println!("writing outside the database is refused: {e}"),
        Ok(_) => anyhow::bail!("cross-database $out must be refused"),
    }
    println!("hello_world's collections: {:?}", hello.list_collection_names().await?);
    println!("billing's collections:     {:?}", billing.list_collection_names().await?);

    if let Some(server) = server {
        server.shutdown().await;
    }
    Ok(())
}
