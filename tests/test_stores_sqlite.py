"""SQLite store: persistence, encryption at rest, cross-process consistency, erasure, rotation."""

from __future__ import annotations

import base64
import subprocess
import sys
import textwrap

import pytest

import guardllm
from guardllm import Guard
from guardllm.stores import open_store

EMAIL = "maria.gonzalez@example-shop.io"
NAME = "Maria Gonzalez"
TEXT = f"Refund for {NAME} <{EMAIL}> approved."


def test_tokens_survive_restart(tmp_path):
    url = f"sqlite:///{tmp_path / 'g.db'}"
    g1 = Guard(store=url)
    masked = g1.mask(TEXT, scope="s")
    g1.close()
    g2 = Guard(store=url)
    assert g2.unmask(masked, scope="s") == TEXT
    assert g2.mask(TEXT, scope="s") == masked
    assert g2.audit.verify()


def test_values_encrypted_at_rest(sqlite_guard):
    sqlite_guard.mask(TEXT, scope="s")
    path = sqlite_guard.store.path
    sqlite_guard.close()
    blob = b"".join(p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name))
    for raw in (EMAIL, NAME, EMAIL.lower()):
        assert raw.encode() not in blob
        assert raw.encode("utf-16-le") not in blob


def test_wrong_key_cannot_read(tmp_path):
    url = f"sqlite:///{tmp_path / 'g.db'}"
    Guard(store=url).mask(TEXT, scope="s")
    with pytest.raises(guardllm.VaultError) as ei:
        Guard(store=url, key=base64.b64encode(b"x" * 32).decode())
    assert "master key" in str(ei.value)


def test_cross_process_same_tokens(tmp_path):
    db = tmp_path / "shared.db"
    code = textwrap.dedent(f"""
        import sys
        from guardllm import Guard
        g = Guard(store="sqlite:///{db}")
        out = [g.mask("mail user" + str(i) + "@corp.example.org please", scope="s") for i in range(12)]
        print("|".join(out))
    """)
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(3)
    ]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outs[0] == outs[1] == outs[2]
    tokens = [o.split()[1] for o in outs[0].split("|")]
    assert len(set(tokens)) == 12
    g = Guard(store=f"sqlite:///{db}")
    assert g.audit.verify()
    assert len(g.audit.query(event="mask")) == 36


def test_forget_scope_crypto_shreds(sqlite_guard):
    masked = sqlite_guard.mask(TEXT, scope="s")
    kept = sqlite_guard.mask(TEXT, scope="other")
    n = sqlite_guard.forget(scope="s")
    assert n == 2
    assert sqlite_guard.unmask(masked, scope="s") == masked
    assert sqlite_guard.unmask(kept, scope="other") == TEXT
    assert "scope:s" not in sqlite_guard.store.key_ids()
    rec = sqlite_guard.audit.query(event="forget")[-1]
    assert rec.counts == {"entries": 2}
    # new values in the forgotten scope never reuse an old token number
    again = sqlite_guard.mask(TEXT, scope="s")
    assert again != masked


def test_forget_subject_everywhere(sqlite_guard):
    a = sqlite_guard.mask(TEXT, scope="s1", subject="cust-42")
    b = sqlite_guard.mask(TEXT, scope="s2", subject="cust-42")
    other = sqlite_guard.mask("Contact bob.stone@mail.example.net", scope="s1")
    assert sqlite_guard.forget(subject="cust-42") == 4
    assert sqlite_guard.unmask(a, scope="s1") == a
    assert sqlite_guard.unmask(b, scope="s2") == b
    assert "bob.stone@" in sqlite_guard.unmask(other, scope="s1")
    rec = sqlite_guard.audit.query(event="forget")[-1]
    assert "cust-42" not in str(rec.to_dict()) and rec.scope is None  # global, and recorded as such
    with pytest.raises(guardllm.InputError, match="not both"):
        sqlite_guard.forget(scope="s1", subject="cust-42")


def test_forget_seen_by_other_process_cache(tmp_path):
    url = f"sqlite:///{tmp_path / 'g.db'}"
    g1, g2 = Guard(store=url), Guard(store=url)
    masked = g1.mask(TEXT, scope="s")
    assert g2.unmask(masked, scope="s") == TEXT  # g2 caches the value now
    g1.forget(scope="s")
    assert g2.unmask(masked, scope="s") == masked


def test_key_rotation(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'g.db'}"
    g = Guard(store=url)
    masked = g.mask(TEXT, scope="s")
    fp_before = g.find_tokens(masked, scope="s")[0].fingerprint
    new_key = guardllm.tokens.crypto.generate_key()
    assert g.rotate_key(new_key) >= 2
    assert g.unmask(masked, scope="s") == TEXT
    g.close()
    old = __import__("os").environ["GUARDLLM_KEY"]
    with pytest.raises(guardllm.VaultError):
        Guard(store=url)  # old key no longer unwraps anything
    monkeypatch.setenv("GUARDLLM_KEY", new_key)
    g2 = Guard(store=url)
    assert g2.unmask(masked, scope="s") == TEXT
    assert (
        g2.find_tokens(masked, scope="s")[0].fingerprint == fp_before
    )  # fingerprints stable across rotation
    assert g2.audit.query(event="key_rotate")
    assert g2.audit.verify()
    # previous key accepted for reading while processes switch
    monkeypatch.setenv("GUARDLLM_KEY", old)
    monkeypatch.setenv("GUARDLLM_KEY_PREVIOUS", new_key)
    assert Guard(store=url).unmask(masked, scope="s") == TEXT


def test_key_from_file(tmp_path, monkeypatch):
    keyfile = tmp_path / "k"
    keyfile.write_text(guardllm.tokens.crypto.generate_key() + "\n")
    monkeypatch.delenv("GUARDLLM_KEY")
    monkeypatch.setenv("GUARDLLM_KEY_FILE", str(keyfile))
    g = Guard(store=f"sqlite:///{tmp_path / 'g.db'}")
    assert g.unmask(g.mask(TEXT, scope="s"), scope="s") == TEXT
    keyfile.write_text("not a key")
    with pytest.raises(guardllm.KeyMissingError) as ei:
        Guard(store=f"sqlite:///{tmp_path / 'g.db'}")
    assert "not a key" not in str(ei.value)
    monkeypatch.setenv("GUARDLLM_KEY_FILE", str(tmp_path / "lost.key"))
    with pytest.raises(guardllm.KeyMissingError) as ei:
        Guard(store=f"sqlite:///{tmp_path / 'new.db'}")
    assert "lost.key" in str(ei.value) and "guardllm keygen" in str(ei.value)
    assert not (tmp_path / "new.db").exists()  # no database is created that no key could read
    monkeypatch.delenv("GUARDLLM_KEY_FILE")
    with pytest.raises(guardllm.KeyMissingError, match="no encryption key configured"):
        Guard(store=f"sqlite:///{tmp_path / 'new.db'}")
    assert not (tmp_path / "new.db").exists()


def test_store_urls():
    assert open_store("memory://").url == "memory://"
    with pytest.raises(guardllm.VaultError, match="guardllm\\[postgres\\]"):
        open_store("postgresql://localhost/db")
    with pytest.raises(guardllm.VaultError, match="unknown store URL"):
        open_store("redis://x")


def test_tampered_ciphertext_fails_authentication(sqlite_guard):
    import sqlite3

    masked = sqlite_guard.mask(TEXT, scope="s")
    db = sqlite3.connect(sqlite_guard.store.path)
    db.execute("UPDATE vault SET scope = 's2' WHERE scope = 's'")  # move rows to another scope
    db.commit()
    db.close()
    fresh = Guard(store=sqlite_guard.store.url)
    with pytest.raises(guardllm.VaultError, match="authentication"):
        fresh.unmask(masked, scope="s2")


def test_erasure_leaves_no_wrapped_key_or_ciphertext_in_file(sqlite_guard):
    sqlite_guard.mask(TEXT, scope="s")
    store = sqlite_guard.store
    wrapped = store.key_get("scope:s")
    cts = [e.ciphertext for e in store.vault_entries()]
    sqlite_guard.forget(scope="s")
    sqlite_guard.close()
    blob = b"".join(p.read_bytes() for p in store.path.parent.iterdir() if p.name.startswith(store.path.name))
    assert wrapped not in blob
    assert not any(ct in blob for ct in cts)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_forget_subject_covers_values_first_masked_without_subject(kind, tmp_path):
    """Erasure must not depend on call order: a value masked before anyone said whose it
    was, then masked for the subject, is erased with the subject."""
    url = "memory://" if kind == "memory" else f"sqlite:///{tmp_path / 'g.db'}"
    g = Guard(store=url)
    early = g.mask(TEXT, scope="s")  # no subject yet
    later = g.mask(TEXT, scope="s", subject="cust-9")  # same value, now attributed
    assert later == early
    other = g.mask(TEXT, scope="s2", subject="cust-10")  # another subject's copy elsewhere
    g.mask("ping ops.team@corp.example.net", scope="s", subject="cust-9")  # created for the subject
    doomed = [e.ciphertext for e in g.store.vault_entries() if e.scope == "s"]
    assert g.forget(subject="cust-9") == 3  # 2 linked (name, email) + 1 own
    if kind == "sqlite":  # deleted, not merely unreadable: no ciphertext left in the file
        path = g.store.path
        blob = b"".join(p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name))
        assert len(doomed) == 3 and not any(ct in blob for ct in doomed)
    assert g.unmask(early, scope="s") == early
    assert Guard(store=url if kind == "sqlite" else g.store).unmask(early, scope="s") == early
    assert g.unmask(other, scope="s2") == TEXT
    # the links went with the erasure: masking again starts a fresh, unlinked row
    again = g.mask(TEXT, scope="s")
    assert again != early and g.unmask(again, scope="s") == TEXT
    assert g.forget(subject="cust-9") == 0
    assert g.unmask(again, scope="s") == TEXT


def test_forget_subject_link_seen_by_another_process(tmp_path):
    url = f"sqlite:///{tmp_path / 'g.db'}"
    g1, g2 = Guard(store=url), Guard(store=url)
    masked = g1.mask(TEXT, scope="s")
    g2.mask(TEXT, scope="s", subject="cust-9")  # g2 links the row g1 created
    assert g1.unmask(masked, scope="s") == TEXT
    assert g1.forget(subject="cust-9") == 2
    assert g2.unmask(masked, scope="s") == masked


def test_batch_rolls_back_a_failed_write_alone_and_commits_once(tmp_path):
    import sqlite3

    store = open_store(f"sqlite:///{tmp_path / 'b.db'}")
    statements = []
    store._db.set_trace_callback(lambda sql: statements.append(sql.split()[0].upper()))

    def build(seq, prev):
        return {"seq": seq, "prev_hash": prev, "hash": f"h{seq}", "event": "x", "principal": "p", "ts": 0.0}

    with store.batch():
        store.audit_append(build)
        # a write whose second statement fails (CHECK id = 1): its first row must go too
        with pytest.raises(sqlite3.IntegrityError), store._tx() as db:
            db.execute("INSERT INTO lineage_edge (run_id, data) VALUES ('r', '{\"target\": \"b\"}')")
            db.execute("INSERT INTO audit_anchor VALUES (2, 0, 'x')")
        store.lineage_add_edge({"run_id": "r", "source": "a", "target": "c", "fingerprints": ["fp_1"]})
        store.audit_append(build)
    store._db.set_trace_callback(None)
    assert statements.count("BEGIN") == 1 and statements.count("COMMIT") == 1
    assert [e["target"] for e in store.lineage_get("r")[1]] == ["c"]
    assert [e["target"] for e in store.lineage_find_fingerprint("fp_1")] == ["c"]
    assert store.audit_head() == (2, "h2")
    # another connection (another process) sees the committed batch
    other = open_store(store.url)
    assert [r["seq"] for r in other.audit_records()] == [1, 2]
    other.close()
    store.close()


def test_batches_across_processes_keep_one_audit_chain(tmp_path, monkeypatch):
    monkeypatch.setenv("GUARDLLM_KEY", base64.b64encode(b"k" * 32).decode())
    url = f"sqlite:///{tmp_path / 'p.db'}"
    script = textwrap.dedent(
        f"""
        from guardllm import Guard
        g = Guard(store={url!r})
        for i in range(15):
            with g.batch():
                g.mask("mail maria.gonzalez@example-shop.io or call (415) 555-2671", scope="s")
                g.audit.record("tool_call", scope="s", detail="bench")
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(3)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    g = Guard(store=url)
    report = g.audit.verify()
    assert report, report
    assert len(list(g.audit.records())) == 90
    # three processes raced on the first allocation: one value, one token
    assert g.mask("maria.gonzalez@example-shop.io", scope="s").endswith("_1]")
    g.close()


def test_fingerprint_index_catches_up_across_connections(tmp_path):
    url = f"sqlite:///{tmp_path / 'fp.db'}"
    a, b = open_store(url), open_store(url)
    a.lineage_add_edge({"run_id": "r1", "source": "x", "target": "y", "fingerprints": ["fp_1", "fp_2"]})
    assert [e["run_id"] for e in b.lineage_find_fingerprint("fp_2")] == ["r1"]
    a.lineage_add_edge({"run_id": "r2", "source": "x", "target": "z", "fingerprints": ["fp_2"]})
    # a indexes r2; b queries again and must neither miss r2 nor see r1 twice
    assert [e["run_id"] for e in a.lineage_find_fingerprint("fp_1")] == ["r1"]
    assert [e["run_id"] for e in b.lineage_find_fingerprint("fp_2")] == ["r1", "r2"]
    # a file written by an older version indexed eagerly: duplicates are ignored
    a._db.execute("INSERT INTO lineage_fp VALUES ('fp_2', 1)")
    assert [e["run_id"] for e in a.lineage_find_fingerprint("fp_2")] == ["r1", "r2"]
    a.close()
    b.close()
    c = open_store(url)  # reopening does not re-index
    assert [e["run_id"] for e in c.lineage_find_fingerprint("fp_2")] == ["r1", "r2"]
    assert c._db.execute("SELECT COUNT(*) FROM lineage_fp").fetchone()[0] == 4
    c.close()


def test_a_taken_sequence_number_inside_a_batch_continues_from_the_newest_row(tmp_path):
    """Inside a batch the anchor is only written at commit; a clash on ``seq`` must then
    continue from the newest record, not from the stale anchor (which would clash again
    on every retry)."""
    store = open_store(f"sqlite:///{tmp_path / 'g.db'}")

    from tests.test_stores_contract import _rec as rec

    with store.batch():
        store.audit_append(rec("a"))
        # a row appearing under our feet with the next number
        store._db.execute(
            "INSERT INTO audit (seq, ts, event, principal, record, prev_hash, hash) VALUES (2, 0, 'x', 'p', ?, 'a1', 'x2')",
            ('{"seq": 2, "ts": 0, "event": "x", "principal": "p", "prev_hash": "a1", "hash": "x2"}',),
        )
        out = store.audit_append(rec("b"))
    assert out["seq"] == 3 and out["prev_hash"] == "x2"
    assert [r["seq"] for r in store.audit_records()] == [1, 2, 3]
    assert store.audit_head() == (3, "b3")
    store.close()
