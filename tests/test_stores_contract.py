"""The Store contract, run against every backend (memory, SQLite)."""

from __future__ import annotations

import threading

import pytest

from guardllm.stores import open_store
from guardllm.stores.base import AuditFilter


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    s = open_store("memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 's.db'}")
    yield s
    s.close()


def _entry(token):
    return b"ct-" + token.encode(), "scope:s", None


def test_vault_allocation_is_per_scope_and_label(store):
    t1, c1 = store.vault_get_or_create("s", "fp_a", "EMAIL_ADDRESS", "EMAIL", _entry)
    t2, c2 = store.vault_get_or_create("s", "fp_a", "EMAIL_ADDRESS", "EMAIL", _entry)
    t3, _ = store.vault_get_or_create("s", "fp_b", "EMAIL_ADDRESS", "EMAIL", _entry)
    t4, _ = store.vault_get_or_create("s", "fp_c", "PERSON", "PERSON", _entry)
    t5, _ = store.vault_get_or_create("other", "fp_a", "EMAIL_ADDRESS", "EMAIL", _entry)
    assert (t1, c1, t2, c2, t3, t4, t5) == (
        "[EMAIL_1]",
        True,
        "[EMAIL_1]",
        False,
        "[EMAIL_2]",
        "[PERSON_1]",
        "[EMAIL_1]",
    )
    got = store.vault_lookup("s", ["[EMAIL_1]", "[EMAIL_9]", "[PERSON_1]"])
    assert set(got) == {"[EMAIL_1]", "[PERSON_1]"} and got["[EMAIL_1]"].ciphertext == b"ct-[EMAIL_1]"
    assert store.vault_lookup("nope", ["[EMAIL_1]"]) == {}
    assert store.vault_by_fingerprint("s", ["fp_b"])["fp_b"].token == "[EMAIL_2]"
    assert "ciphertext" not in repr(got["[EMAIL_1]"])


def test_custom_render_and_counter_survives_delete(store):
    tok, _ = store.vault_get_or_create("s", "fp_x", "PERSON", "~PERSON", _entry, render=lambda n: f"Fake {n}")
    assert tok == "Fake 1"
    g0 = store.generation()
    assert store.vault_delete(scope="s") == 1
    assert store.generation() != g0
    tok2, _ = store.vault_get_or_create(
        "s", "fp_y", "PERSON", "~PERSON", _entry, render=lambda n: f"Fake {n}"
    )
    assert tok2 == "Fake 2"  # numbers are never reused after erasure


def test_delete_by_subject(store):
    store.vault_get_or_create("s", "fp_1", "PERSON", "PERSON", lambda t: (b"x", "subject:k", "sub_1"))
    store.vault_get_or_create("t", "fp_1", "PERSON", "PERSON", lambda t: (b"x", "subject:k", "sub_1"))
    store.vault_get_or_create("s", "fp_2", "PERSON", "PERSON", _entry)
    assert store.vault_delete(subject="sub_1") == 2
    assert [e.fingerprint for e in store.vault_entries()] == ["fp_2"]


def test_linked_rows_deleted_with_subject(store):
    store.vault_get_or_create("s", "fp_1", "PERSON", "PERSON", _entry)
    store.vault_get_or_create("s", "fp_2", "PERSON", "PERSON", _entry)
    store.vault_get_or_create("t", "fp_1", "PERSON", "PERSON", _entry)
    store.vault_link_subject("s", "fp_1", "sub_1")
    store.vault_link_subject("s", "fp_1", "sub_1")  # idempotent
    store.vault_link_subject("t", "fp_1", "sub_2")
    assert store.vault_delete(subject="sub_1") == 1
    assert sorted((e.scope, e.fingerprint) for e in store.vault_entries()) == [("s", "fp_2"), ("t", "fp_1")]
    assert store.vault_delete(subject="sub_1") == 0  # the link went with the rows
    assert store.vault_delete(scope="t") == 1
    store.vault_get_or_create("t", "fp_1", "PERSON", "PERSON", _entry)
    assert store.vault_delete(subject="sub_2") == 0  # scope erasure dropped that scope's links


def test_keys(store):
    assert store.key_get_or_create("scope:s", lambda: b"w1") == b"w1"
    assert store.key_get_or_create("scope:s", lambda: b"w2") == b"w1"
    store.key_put("scope:s", b"w3")
    assert store.key_get("scope:s") == b"w3" and store.key_ids() == ["scope:s"]
    assert (
        store.key_delete("scope:s") and store.key_get("scope:s") is None and not store.key_delete("scope:s")
    )


def test_audit_append_chain_and_filters(store):
    def build(event, principal):
        def b(seq, prev):
            return {
                "seq": seq,
                "prev_hash": prev,
                "hash": f"h{seq}",
                "event": event,
                "principal": principal,
                "ts": float(seq),
                "scope": "s",
                "entity_types": ["EMAIL_ADDRESS"],
            }

        return b

    store.audit_append(build("mask", "a"))
    rec = store.audit_append(build("reveal", "b"))
    assert rec["seq"] == 2 and rec["prev_hash"] == "h1"
    assert store.audit_head() == (2, "h2")
    assert [r["event"] for r in store.audit_records(AuditFilter(principal="b"))] == ["reveal"]
    assert [r["seq"] for r in store.audit_records(AuditFilter(entity_type="EMAIL_ADDRESS", since=1.5))] == [2]
    assert [r["seq"] for r in store.audit_records(AuditFilter(limit=1))] == [2]


def test_audit_append_concurrent(store):
    def build(seq, prev):
        return {"seq": seq, "prev_hash": prev, "hash": f"h{seq}", "event": "x", "principal": "p", "ts": 0.0}

    threads = [
        threading.Thread(target=lambda: [store.audit_append(build) for _ in range(25)]) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    recs = list(store.audit_records())
    assert [r["seq"] for r in recs] == list(range(1, 201))
    assert all(r["prev_hash"] == f"h{r['seq'] - 1}" for r in recs[1:])


def test_lineage(store):
    store.lineage_put_node({"run_id": "r1", "id": "llm", "kind": "llm", "name": "chat", "principal": "p"})
    store.lineage_put_node({"run_id": "r1", "id": "tool", "kind": "tool", "name": "send", "parent_id": "llm"})
    store.lineage_put_node({"run_id": "r1", "id": "llm", "model": "m"})  # update merges
    store.lineage_add_edge({"run_id": "r1", "source": "llm", "target": "tool", "fingerprints": ["fp_1"]})
    store.lineage_add_edge({"run_id": "r2", "source": "a", "target": "b", "fingerprints": ["fp_1", "fp_2"]})
    store.lineage_put_node({"run_id": "r2", "id": "a", "kind": "chain", "name": "other"})
    nodes, edges = store.lineage_get("r1")
    assert (
        [n["id"] for n in nodes] == ["llm", "tool"]
        and nodes[0]["model"] == "m"
        and nodes[0]["name"] == "chat"
    )
    assert edges == [{"run_id": "r1", "source": "llm", "target": "tool", "fingerprints": ["fp_1"]}]
    assert [e["run_id"] for e in store.lineage_find_fingerprint("fp_1")] == ["r1", "r2"]
    runs = store.lineage_runs()
    assert {r["run_id"] for r in runs} == {"r1", "r2"}
    r1 = next(r for r in runs if r["run_id"] == "r1")
    assert r1["name"] == "chat" and r1["principal"] == "p" and r1["nodes"] == 2 and r1["edges"] == 1


def _rec(tag):
    def build(seq, prev):
        return {
            "seq": seq,
            "prev_hash": prev,
            "hash": f"{tag}{seq}",
            "event": tag,
            "principal": "p",
            "ts": 0.0,
        }

    return build


def test_batch_commits_what_succeeded_even_when_the_block_raises(store):
    with pytest.raises(RuntimeError):
        with store.batch():
            store.audit_append(_rec("a"))
            with store.batch():  # nested: joins the outer one
                store.lineage_put_node({"run_id": "r", "id": "n", "kind": "tool", "name": "t"})
            store.lineage_add_edge({"run_id": "r", "source": "n", "target": "m", "fingerprints": ["fp_9"]})
            raise RuntimeError("the step failed after its audit record")
    assert [r["event"] for r in store.audit_records()] == ["a"]
    assert store.audit_head() == (1, "a1")
    nodes, edges = store.lineage_get("r")
    assert [n["id"] for n in nodes] == ["n"] and len(edges) == 1
    assert [e["run_id"] for e in store.lineage_find_fingerprint("fp_9")] == ["r"]


def test_batches_from_many_threads_keep_one_audit_chain(store):
    def work(t):
        for _ in range(10):
            with store.batch():
                store.audit_append(_rec("h"))
                store.lineage_add_edge({"run_id": f"t{t}", "source": "a", "target": "b", "fingerprints": []})
                store.audit_append(_rec("h"))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    recs = list(store.audit_records())
    assert [r["seq"] for r in recs] == list(range(1, 121))
    assert all(r["prev_hash"] == f"h{r['seq'] - 1}" for r in recs[1:])
    assert store.audit_head() == (120, "h120")
    assert all(len(store.lineage_get(f"t{t}")[1]) == 10 for t in range(6))


def test_node_order_is_insertion_order_across_runs(store):
    for i in range(5):
        store.lineage_put_node({"run_id": "a", "id": f"n{i}", "kind": "tool", "name": "t"})
        store.lineage_put_node({"run_id": "b", "id": f"m{i}", "kind": "tool", "name": "t"})
    store.lineage_put_node({"run_id": "a", "id": "n0", "status": "ok"})  # an update keeps its place
    assert [n["id"] for n in store.lineage_get("a")[0]] == [f"n{i}" for i in range(5)]
    assert [n["id"] for n in store.lineage_get("b")[0]] == [f"m{i}" for i in range(5)]


def test_stored_lineage_does_not_alias_the_callers_dicts(store):
    fps = ["fp_1"]
    node = {"run_id": "r", "id": "n", "kind": "tool", "name": "t", "tags": ["x"], "meta": {"k": ["v"]}}
    store.lineage_put_node(node)
    store.lineage_add_edge({"run_id": "r", "source": "n", "target": "m", "fingerprints": fps})
    fps.append("fp_2")
    node["tags"].append("y")
    node["meta"]["k"].append("w")
    nodes, edges = store.lineage_get("r")
    assert edges[0]["fingerprints"] == ["fp_1"]
    assert nodes[0]["tags"] == ["x"] and nodes[0]["meta"] == {"k": ["v"]}
