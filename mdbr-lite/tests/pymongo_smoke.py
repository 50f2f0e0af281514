"""Smoke test of mdbr-lite through pymongo: insert, find, update, index, explain.

Usage: python3 pymongo_smoke.py mongodb://127.0.0.1:27017/
"""
import sys

import pymongo
from pymongo.errors import DuplicateKeyError


def scan_stage(plan: dict) -> dict:
    """The IXSCAN/COLLSCAN stage of a winning plan (mongod nests it under FETCH)."""
    plan = plan.get("queryPlan", plan)
    while plan["stage"] not in ("IXSCAN", "COLLSCAN"):
        plan = plan["inputStage"]
    return plan


def main(uri: str) -> None:
    client = pymongo.MongoClient(uri, directConnection=True, serverSelectionTimeoutMS=5000)
    assert client.admin.command("ping")["ok"] == 1
    db = client["pymongo_smoke"]
    db.drop_collection("items")
    items = db["items"]

    res = items.insert_many([{"_id": i, "k": i % 5, "name": f"n{i}"} for i in range(100)])
    assert len(res.inserted_ids) == 100
    one = items.insert_one({"name": "auto"})
    assert one.inserted_id is not None

    assert items.count_documents({"k": 3}) == 20
    docs = list(items.find({"k": {"$in": [1, 2]}}, {"name": 1}).sort("_id", -1).limit(3))
    assert [d["_id"] for d in docs] == [97, 96, 92], docs
    assert all(set(d) == {"_id", "name"} for d in docs)

    r = items.update_many({"k": 0}, {"$inc": {"hits": 1}, "$set": {"zero": True}})
    assert (r.matched_count, r.modified_count) == (20, 20)
    r = items.update_one({"_id": 1000}, {"$set": {"k": 9}}, upsert=True)
    assert r.upserted_id == 1000

    name = items.create_index([("k", pymongo.ASCENDING)])
    assert name == "k_1"
    items.create_index("name", unique=True)
    try:
        items.insert_one({"name": "n1"})
        raise AssertionError("duplicate accepted")
    except DuplicateKeyError as e:
        assert e.code == 11000

    plan = scan_stage(items.find({"k": 2}).explain()["queryPlanner"]["winningPlan"])
    assert plan["stage"] == "IXSCAN" and plan["indexName"] == "k_1", plan
    plan = scan_stage(items.find({"hits": 1}).explain()["queryPlanner"]["winningPlan"])
    assert plan["stage"] == "COLLSCAN", plan

    agg = list(items.aggregate([{"$match": {"k": {"$lt": 2}}}, {"$group": {"_id": "$k", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}]))
    assert agg == [{"_id": 0, "n": 20}, {"_id": 1, "n": 20}], agg

    assert sorted(db.list_collection_names()) == ["items"]
    db.drop_collection("items")
    print("pymongo smoke: ok")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "mongodb://127.0.0.1:27017/")
