//! Tests of `find` on stored bytes: what it returns is what the decoded path returned.
use bson::oid::ObjectId;
use bson::raw::{RawDocument, RawDocumentBuf};
use bson::spec::BinarySubtype;
use bson::{Binary, Bson, Document, doc};
use proptest::collection::vec;
use proptest::prelude::*;

use crate::command::{self, ConnInfo, Reply};
use crate::engine::Engine;
use crate::engine::record::elements;
use crate::projection::{Projection, TopLevelExclusion};
use crate::storage::memory::MemoryStorage;

fn conn() -> ConnInfo<'static> {
    ConnInfo { peer: "test", conn_id: 1, current_connections: 1, total_connections: 1 }
}

/// Runs a command on `db` and returns the raw reply.
fn run(engine: &mut Engine, cmd: Document) -> RawDocumentBuf {
    match command::execute(engine, "db", cmd, Vec::new(), &conn()) {
        Reply::Raw(r) => r,
        Reply::Doc(d) => panic!("expected an encoded reply, got {d}"),
    }
}

/// The documents of a cursor reply's batch, as bytes.
fn batch(reply: &RawDocument) -> (Vec<Vec<u8>>, i64) {
    let cursor = reply.get_document("cursor").unwrap();
    let array = cursor.get_array("firstBatch").or_else(|_| cursor.get_array("nextBatch")).unwrap();
    let docs =
        array.into_iter().map(|d| d.unwrap().as_document().unwrap().as_bytes().to_vec()).collect();
    assert_eq!(reply.get_f64("ok").unwrap(), 1.0);
    (docs, cursor.get_i64("id").unwrap())
}

/// The top-level field names of a document's bytes, repeats included.
fn keys(bytes: &[u8]) -> Vec<Vec<u8>> {
    elements(bytes).map(|(_, k, _)| k.to_vec()).collect()
}

fn has_repeats(bytes: &[u8]) -> bool {
    let k = keys(bytes);
    k.iter().enumerate().any(|(i, a)| k[..i].contains(a))
}

/// A document of the given elements, written as they come (names may repeat).
fn raw_with(fields: &[(String, Bson)]) -> RawDocumentBuf {
    let mut body = Vec::new();
    for (k, v) in fields {
        let one = doc! { k.clone(): v.clone() }.to_vec().unwrap();
        body.extend_from_slice(&one[4..one.len() - 1]);
    }
    let mut out = ((body.len() + 5) as i32).to_le_bytes().to_vec();
    out.extend_from_slice(&body);
    out.push(0);
    RawDocumentBuf::from_bytes(out).unwrap()
}

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["_id", "a", "b", "c", "d", "e.f", "zz", "app_id"])
        .prop_map(String::from)
}

fn leaf() -> impl Strategy<Value = Bson> {
    prop_oneof![
        any::<i32>().prop_map(Bson::Int32),
        any::<i64>().prop_map(Bson::Int64),
        any::<f64>().prop_map(Bson::Double),
        "[a-z é]{0,8}".prop_map(Bson::String),
        any::<bool>().prop_map(Bson::Boolean),
        Just(Bson::Null),
        Just(Bson::Undefined),
        Just(Bson::MinKey),
        Just(Bson::MaxKey),
        any::<[u8; 12]>().prop_map(|b| Bson::ObjectId(ObjectId::from_bytes(b))),
        any::<i64>().prop_map(|m| Bson::DateTime(bson::DateTime::from_millis(m))),
        (any::<u32>(), any::<u32>())
            .prop_map(|(time, increment)| Bson::Timestamp(bson::Timestamp { time, increment })),
        any::<[u8; 16]>().prop_map(|b| Bson::Decimal128(bson::Decimal128::from_bytes(b))),
        vec(any::<u8>(), 0..6)
            .prop_map(|bytes| Bson::Binary(Binary { subtype: BinarySubtype::Generic, bytes })),
        // Options in sorted order: decoding sorts them, the bytes keep them as sent.
        ("[a-z]{0,4}", "i?m?s?x?").prop_map(|(p, o)| Bson::RegularExpression(bson::Regex {
            pattern: p.try_into().unwrap(),
            options: o.try_into().unwrap(),
        })),
        "[a-z]{0,4}".prop_map(Bson::Symbol),
        "[a-z]{0,4}".prop_map(Bson::JavaScriptCode),
    ]
}

fn value() -> impl Strategy<Value = Bson> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Bson::Array),
            vec((name(), inner), 0..4)
                .prop_map(|fields| Bson::Document(fields.into_iter().collect())),
        ]
    })
}

/// The elements of a stored document; names may repeat.
fn fields() -> impl Strategy<Value = Vec<(String, Bson)>> {
    vec((name(), value()), 0..6)
}

/// A projection of top-level exclusions, with each way of saying "exclude".
fn exclusions() -> impl Strategy<Value = Document> {
    let off = prop_oneof![
        Just(Bson::Boolean(false)),
        Just(Bson::Int32(0)),
        Just(Bson::Int64(0)),
        Just(Bson::Double(0.0)),
        Just(Bson::Double(-0.0)),
        Just(Bson::Decimal128("0".parse().unwrap())),
    ];
    prop_oneof![
        vec((name().prop_filter("top level", |n| !n.contains('.')), off.clone()), 1..4)
            .prop_map(|f| f.into_iter().collect()),
        // The tenant field alone: copied around the record's known span, no walk.
        off.prop_map(|v| doc! { "app_id": v }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The engine's own decoder gives what the library's conversion gives, repeated names and
    /// every type included (regexes with their options in any order, code with scope).
    #[test]
    fn decoding_agrees_with_the_library(
        stored in fields(),
        pattern in "[a-z]{0,3}",
        options in "[xsmi]{0,4}",
    ) {
        let mut stored = stored;
        stored.push(("r".into(), Bson::RegularExpression(bson::Regex {
            pattern: pattern.clone().try_into().unwrap(),
            options: options.try_into().unwrap(),
        })));
        stored.push(("w".into(), Bson::JavaScriptCodeWithScope(bson::JavaScriptCodeWithScope {
            code: pattern,
            scope: doc! { "x": 1 },
        })));
        let raw = raw_with(&stored);
        prop_assert_eq!(
            crate::value::decode_document(&raw).unwrap(),
            Document::try_from(raw.as_ref()).unwrap()
        );
    }

    /// `find` without a projection returns the stored bytes, and with top-level exclusions
    /// the bytes without those fields: byte for byte what decoding, `Projection::apply` and
    /// encoding gave, for documents without repeated names, and the same decoded document for
    /// those with (the bytes keep a repeated name that decoding folds into one field).
    #[test]
    fn find_on_bytes_matches_the_decoded_path(
        stored in vec(fields(), 1..8),
        spec in exclusions(),
    ) {
        let mut engine = Engine::open(Box::new(MemoryStorage)).unwrap();
        for f in &stored {
            // Refused documents (an array `_id`, a repeated `_id` value) are left out.
            let _ = engine.insert_raw("db", "c", raw_with(f));
        }
        let records: Vec<(Vec<u8>, bool)> = match engine.coll("db", "c") {
            Some(c) => c.records().map(|(_, r)| (r.raw().as_bytes().to_vec(), r.decoded().is_some())).collect(),
            None => Vec::new(),
        };
        prop_assume!(!records.is_empty());

        let (plain, id) = batch(&run(&mut engine, doc! { "find": "c", "$db": "db" }));
        prop_assert_eq!(id, 0);
        prop_assert_eq!(plain.len(), records.len());
        let projection = Projection::new(&spec, true).unwrap();
        let (projected, _) =
            batch(&run(&mut engine, doc! { "find": "c", "projection": spec.clone(), "$db": "db" }));
        prop_assert_eq!(projected.len(), records.len());

        for (((stored, _), plain), projected) in records.iter().zip(&plain).zip(&projected) {
            prop_assert_eq!(plain, stored);
            let decoded = Document::try_from(RawDocument::from_bytes(stored).unwrap()).unwrap();
            let expected = projection.apply(&decoded, None).unwrap().to_vec().unwrap();
            if has_repeats(stored) {
                let got = Document::try_from(RawDocument::from_bytes(projected).unwrap()).unwrap();
                prop_assert_eq!(got.to_vec().unwrap(), expected);
            } else {
                prop_assert_eq!(stored, &decoded.to_vec().unwrap());
                prop_assert_eq!(projected, &expected);
            }
            for k in keys(projected) {
                prop_assert!(!spec.contains_key(String::from_utf8(k).unwrap()));
            }
        }

        // Sending documents out, under any projection, leaves the records undecoded.
        run(&mut engine, doc! { "find": "c", "projection": { "a": 1, "b.c": 1 }, "$db": "db" });
        run(&mut engine, doc! { "find": "c", "sort": { "a": 1 }, "$db": "db" });
        let c = engine.coll("db", "c").unwrap();
        for ((_, r), (_, was_decoded)) in c.records().zip(&records) {
            prop_assert_eq!(r.decoded().is_some(), *was_decoded);
        }
    }
}

#[test]
fn only_top_level_exclusions_are_applied_on_bytes() {
    for spec in [
        doc! { "a": 0 },
        doc! { "_id": 0 },
        doc! { "a": false, "b": 0_i64, "_id": 0.0 },
        doc! { "a": "0".parse::<bson::Decimal128>().unwrap() },
    ] {
        assert!(TopLevelExclusion::parse(&spec).is_some(), "{spec}");
    }
    for spec in [
        doc! { "a": 1 },
        doc! { "_id": 1, "a": 0 },
        doc! { "a.b": 0 },
        doc! { "a": { "b": 0 } },
        doc! { "a": { "$slice": 1 } },
        doc! { "a.$": 0 },
        doc! { "$a": 0 },
        doc! { "": 0 },
        doc! { "a": "x" },
        doc! { "a": Bson::Null },
        doc! { "a": f64::NAN },
    ] {
        assert!(TopLevelExclusion::parse(&spec).is_none(), "{spec}");
    }
}

#[test]
fn an_exclusion_drops_every_occurrence_of_a_repeated_name() {
    let stored = raw_with(&[
        ("_id".into(), Bson::Int32(1)),
        ("a".into(), Bson::Int32(1)),
        ("b".into(), Bson::Int32(2)),
        ("a".into(), Bson::String("again".into())),
        ("b".into(), Bson::Int32(3)),
    ]);
    let out = TopLevelExclusion::parse(&doc! { "a": 0 }).unwrap().apply(&stored).unwrap();
    assert_eq!(
        out.as_bytes(),
        raw_with(&[
            ("_id".into(), Bson::Int32(1)),
            ("b".into(), Bson::Int32(2)),
            ("b".into(), Bson::Int32(3)),
        ])
        .as_bytes()
    );
    let out = TopLevelExclusion::parse(&doc! { "_id": 0, "b": 0 }).unwrap().apply(&stored).unwrap();
    assert_eq!(Document::try_from(out.as_ref()).unwrap(), doc! { "a": "again" });
}

#[test]
fn a_cursor_hands_out_every_document_once_in_order() {
    let mut engine = Engine::open(Box::new(MemoryStorage)).unwrap();
    for i in 0..7 {
        engine
            .insert_raw("db", "c", RawDocumentBuf::try_from(&doc! { "_id": i }).unwrap())
            .unwrap();
    }
    let first = run(&mut engine, doc! { "find": "c", "batchSize": 2, "$db": "db" });
    let (mut docs, mut id) = batch(&first);
    let mut sizes = vec![docs.len()];
    while id != 0 {
        let next = run(
            &mut engine,
            doc! { "getMore": id, "collection": "c", "batchSize": 2, "$db": "db" },
        );
        let (more, next_id) = batch(&next);
        assert!(next.get_document("cursor").unwrap().get_array("nextBatch").is_ok());
        sizes.push(more.len());
        docs.extend(more);
        id = next_id;
    }
    assert_eq!(sizes, [2, 2, 2, 1]);
    let ids: Vec<i32> =
        docs.iter().map(|d| RawDocument::from_bytes(d).unwrap().get_i32("_id").unwrap()).collect();
    assert_eq!(ids, (0..7).collect::<Vec<_>>());
    assert_eq!(engine.cursors.len(), 0);
}
