//! Error codes and code names clients classify.
use mongodb::bson::doc;

use crate::{Ctx, code_of};

#[tokio::test]
async fn code_names_travel_with_codes() {
    let ctx = Ctx::new().await;
    let e = ctx.db().run_command(doc! { "nope": 1 }).await.unwrap_err();
    match e.kind.as_ref() {
        mongodb::error::ErrorKind::Command(c) => {
            assert_eq!(c.code, 59);
            assert_eq!(c.code_name, "CommandNotFound");
        }
        other => panic!("unexpected {other:?}"),
    }
    let c = ctx.coll("e");
    c.insert_one(doc! { "_id": 1 }).await.unwrap();
    let e = c.insert_one(doc! { "_id": 1 }).await.unwrap_err();
    match e.kind.as_ref() {
        mongodb::error::ErrorKind::Write(mongodb::error::WriteFailure::WriteError(w)) => {
            assert_eq!(w.code, 11000);
            // Known divergence: SecantusDB 0.7 leaves codeName out of write errors.
            if ctx.is_lite() {
                assert_eq!(w.code_name.as_deref(), Some("DuplicateKey"));
            }
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn invalid_documents_are_refused() {
    let ctx = Ctx::new().await;
    let c = ctx.coll("bad");
    // Known divergence, on purpose: MongoDB 5+ (and SecantusDB) accept `$`-prefixed field
    // names in inserts; mdbr-lite refuses them with DollarPrefixedFieldName.
    if ctx.is_lite() {
        assert_eq!(code_of(&c.insert_one(doc! { "$x": 1 }).await.unwrap_err()), Some(52));
        assert_eq!(code_of(&c.insert_one(doc! { "a": { "$x": 1 } }).await.unwrap_err()), Some(52));
    }
    // MongoDB refuses an array _id. Known divergence: SecantusDB 0.7 accepts it.
    if ctx.is_lite() {
        assert_eq!(code_of(&c.insert_one(doc! { "_id": [1, 2] }).await.unwrap_err()), Some(53));
    }
    let e = ctx.db().run_command(doc! { "find": 5 }).await.unwrap_err();
    assert!(code_of(&e).is_some());
    let e =
        ctx.db().run_command(doc! { "getMore": 12345_i64, "collection": "bad" }).await.unwrap_err();
    assert_eq!(code_of(&e), Some(43));
    let e = c.find_one(doc! {}).sort(doc! { "a": 2 }).await.unwrap_err();
    assert!(code_of(&e).is_some());
}
