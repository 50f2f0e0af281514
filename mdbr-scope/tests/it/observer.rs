//! The `QueryObserver` hook sees every executed operation with its shape.

use std::sync::{Arc, Mutex};

use mdbr_scope::bson::{Document, doc};
use mdbr_scope::{Operation, OperationEvent, Outcome, Predicate, QueryObserver, QueryShape};

use crate::common::env;

/// What the recorder keeps of an event (events borrow from the operation).
#[derive(Clone, Debug)]
struct Seen {
    app: String,
    physical: String,
    operation: Operation,
    shape: QueryShape,
    sort: Vec<(String, i32)>,
    outcome: Outcome,
}

#[derive(Debug, Default)]
struct Recorder(Mutex<Vec<Seen>>);

impl QueryObserver for Recorder {
    fn on_operation(&self, event: &OperationEvent<'_>) {
        self.0.lock().unwrap().push(Seen {
            app: event.app.to_string(),
            physical: event.physical.to_owned(),
            operation: event.operation,
            shape: event.shape.clone(),
            sort: event.sort.to_vec(),
            outcome: event.outcome.clone(),
        });
    }
}

#[tokio::test]
async fn observer_sees_every_operation_with_its_shape() {
    let e = env().await;
    let recorder = Arc::new(Recorder::default());
    e.scope.add_observer(recorder.clone());
    let a = e.a.collection::<Document>("items").unwrap();
    a.insert_one(doc! { "status": "open", "n": 1 }).await.unwrap();
    a.find(doc! { "status": "open", "$and": [{ "n": { "$gt": 0 } }] })
        .sort(doc! { "created": -1 })
        .await
        .unwrap();
    let _ = a.find(doc! { "$where": "1" }).await;
    let events = recorder.0.lock().unwrap().clone();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].operation, Operation::InsertOne);
    assert_eq!(events[0].physical, "alpha_items");
    assert_eq!(events[1].operation, Operation::Find);
    assert_eq!(events[1].app, "alpha");
    assert_eq!(
        events[1].shape.fields,
        vec![("status".to_owned(), Predicate::Equality), ("n".to_owned(), Predicate::Range)]
    );
    assert_eq!(events[1].sort, vec![("created".to_owned(), -1)]);
    assert_eq!(events[1].outcome, Outcome::Success);
    assert!(matches!(&events[2].outcome, Outcome::Failure(m) if m.contains("$where")));
}
