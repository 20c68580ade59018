"""Audit log: hash chain, tamper detection on the real SQLite rows, queries and summary."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from guardllm import Guard

EMAIL = "liam.obrien@northwind-traders.example"
PHONE = "+1 212-555-0187"


def _workload(g: Guard) -> None:
    granted = g.with_tool_grant("send_email", ["EMAIL_ADDRESS"])
    for i in range(3):
        masked = g.mask(f"Ticket {i}: {EMAIL} called from {PHONE}", scope="s", principal="agent:support")
        granted.unmask(masked, scope="s", to="tool:send_email", principal="agent:support", purpose="reply")
        g.unmask(masked, scope="s", to="user", principal="user:liam")


@pytest.fixture
def db(sqlite_guard):
    _workload(sqlite_guard)
    assert sqlite_guard.audit.verify()
    conn = sqlite3.connect(sqlite_guard.store.path)
    yield sqlite_guard, conn
    conn.close()


def _verify(g: Guard):
    return Guard(store=g.store.url).audit.verify()


def test_intact_chain_verifies(db):
    g, _ = db
    rep = g.audit.verify()
    assert rep and rep.ok and rep.count == len(g.audit) >= 9 and rep.first_bad_seq is None


def test_edited_json_detected(db):
    g, conn = db
    rec = json.loads(conn.execute("SELECT record FROM audit WHERE seq = 4").fetchone()[0])
    rec["recipient"] = "tool:exfiltrate"
    conn.execute("UPDATE audit SET record = ? WHERE seq = 4", (json.dumps(rec),))
    conn.commit()
    rep = _verify(g)
    assert not rep and rep.first_bad_seq == 4


def test_edited_column_detected(db):
    g, conn = db
    conn.execute("UPDATE audit SET principal = 'someone-else' WHERE seq = 3")
    conn.commit()
    rep = _verify(g)
    assert not rep and rep.first_bad_seq == 3 and "principal" in rep.reason


def test_deleted_record_detected(db):
    g, conn = db
    conn.execute("DELETE FROM audit WHERE seq = 5")
    conn.commit()
    rep = _verify(g)
    assert not rep and rep.first_bad_seq == 5 and "missing" in rep.reason


def test_deleted_and_renumbered_detected(db):
    g, conn = db
    conn.execute("DELETE FROM audit WHERE seq = 2")
    conn.execute("UPDATE audit SET seq = seq - 1 WHERE seq > 2")
    conn.commit()
    rep = _verify(g)
    assert not rep and rep.first_bad_seq == 2


def test_inserted_record_detected(db):
    g, conn = db
    conn.execute("UPDATE audit SET seq = seq + 1000 WHERE seq >= 3")
    conn.execute("UPDATE audit SET seq = seq - 999 WHERE seq >= 1003")
    row = conn.execute("SELECT * FROM audit WHERE seq = 2").fetchone()
    fake = json.loads(row[7])
    fake.update(seq=3, event="reveal", principal="intruder")
    conn.execute(
        "INSERT INTO audit VALUES (3, ?, 'reveal', 'intruder', 's', 'user', NULL, ?, ?, ?)",
        (row[1], json.dumps(fake), fake["prev_hash"], fake["hash"]),
    )
    conn.commit()
    rep = _verify(g)
    assert not rep and rep.first_bad_seq == 3


def test_reordered_records_detected(db):
    g, conn = db
    r3 = conn.execute(
        "SELECT ts, event, principal, scope, recipient, run_id, record, prev_hash, hash "
        "FROM audit WHERE seq = 3"
    ).fetchone()
    r4 = conn.execute(
        "SELECT ts, event, principal, scope, recipient, run_id, record, prev_hash, hash "
        "FROM audit WHERE seq = 4"
    ).fetchone()
    upd = (
        "UPDATE audit SET ts=?, event=?, principal=?, scope=?, recipient=?, run_id=?, record=?, prev_hash=?, "
        "hash=? WHERE seq = ?"
    )
    conn.execute(upd, (*r4, 3))
    conn.execute(upd, (*r3, 4))
    conn.commit()
    rep = _verify(g)
    assert not rep and rep.first_bad_seq == 3


def test_dropped_tail_detected(db):
    g, conn = db
    last = conn.execute("SELECT MAX(seq) FROM audit").fetchone()[0]
    conn.execute("DELETE FROM audit WHERE seq = ?", (last,))
    conn.commit()
    rep = _verify(g)
    assert not rep and rep.first_bad_seq == last


def test_every_record_names_principal_and_no_values(db):
    g, _ = db
    recs = g.audit.query()
    assert all(r.principal for r in recs)
    assert {r.principal for r in recs} == {"agent:support", "user:liam"}
    dumped = json.dumps([r.to_dict() for r in recs])
    assert EMAIL not in dumped and PHONE not in dumped and "555-0187" not in dumped


def test_reveal_record_contents(db):
    g, _ = db
    rev = g.audit.query(event="reveal", recipient="tool:send_email")
    assert len(rev) == 3
    r = rev[0]
    assert r.rule == "entities.EMAIL_ADDRESS.reveal_to.tools[send_email]" and r.purpose == "reply"
    assert r.entity_types == ["EMAIL_ADDRESS"] and r.fingerprints[0].startswith("fp_")
    refused = g.audit.query(event="refuse", recipient="tool:send_email")
    assert (
        refused
        and refused[0].entity_types == ["PHONE_NUMBER"]
        and refused[0].rule == "default.least_privilege"
    )


def test_query_filters(db):
    g, _ = db
    assert all(r.principal == "user:liam" for r in g.audit.query(principal="user:liam"))
    assert len(g.audit.query(entity_type="PHONE_NUMBER", event="mask")) == 3
    assert g.audit.query(scope="nope") == []
    assert g.audit.query(since=time.time() + 60) == []
    assert len(g.audit.query(until=time.time() + 1)) == len(g.audit)
    assert [r.seq for r in g.audit.tail(2)] == [len(g.audit) - 1, len(g.audit)]


def test_summary_who_saw_what(db):
    g, _ = db
    s = g.audit.summary()
    assert s.saw_raw("agent:support") == ["EMAIL_ADDRESS"]
    assert s.saw_raw("user:liam") == ["EMAIL_ADDRESS", "PHONE_NUMBER"]
    row = next(r for r in s.rows if r["principal"] == "agent:support" and r["entity_type"] == "PHONE_NUMBER")
    assert row["masked"] == 3 and row["raw"] == 0 and row["refused"] == 3
    assert "agent:support" in s.to_text()


def test_memory_store_chain(guard):
    _workload(guard)
    assert guard.audit.verify()
    guard.store._audit[2]["principal"] = "x"  # tamper with the in-memory record
    assert guard.audit.verify().first_bad_seq == 3


def test_custom_events_from_integrations(guard):
    rec = guard.audit.record(
        "guardrail", rule="sql.read_only", detail="DELETE refused", run_id=123, tool="run_sql"
    )
    assert rec.seq == 1 and rec.run_id == "123" and rec.extra == {"tool": "run_sql"}
    assert rec.principal == "test:alice"
    assert guard.audit.verify()


def test_consistently_rewritten_chain_caught_by_keyed_mac(db):
    """An attacker with write access but no key recomputes every hash and the anchor."""
    from guardllm.audit import canonical_hash

    g, conn = db
    rows = conn.execute("SELECT seq, record FROM audit ORDER BY seq").fetchall()
    prev = "0" * 64
    for seq, text in rows:
        rec = json.loads(text)
        if seq == 2:
            rec["principal"] = "someone-else"
        rec["prev_hash"] = prev
        rec["hash"] = canonical_hash(rec)
        prev = rec["hash"]
        conn.execute(
            "UPDATE audit SET record = ?, principal = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            (json.dumps(rec), rec["principal"], rec["prev_hash"], rec["hash"], seq),
        )
    conn.execute("UPDATE audit_anchor SET head = ?", (prev,))
    conn.commit()
    from guardllm.audit import AuditLog

    assert AuditLog(g.store).verify()  # without the key only the chain can be checked...
    rep = _verify(g)  # ...with it, the forgery is caught
    assert not rep and rep.first_bad_seq == 2 and "MAC" in rep.reason


def test_run_id_on_calls_lands_in_records(guard):
    masked = guard.mask(f"mail {EMAIL}", scope="s", run_id="run-1")
    guard.unmask(masked, scope="s", run_id="run-1")
    guard.unmask(masked, scope="s")
    assert [r.event for r in guard.audit.query(run_id="run-1")] == ["mask", "reveal"]
