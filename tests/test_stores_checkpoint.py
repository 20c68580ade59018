"""WAL checkpoints of the SQLite store run on a background thread, not inside a COMMIT."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from guardllm import Guard
from guardllm.stores.checkpoint import BACKSTOP_PAGES
from guardllm.stores.sqlite import SQLiteStore


def _wait(pred, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.01)
    return pred()


def _checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "guardllm-sqlite-checkpoint"]


@pytest.fixture
def store(tmp_path: Path):
    s = SQLiteStore(f"sqlite:///{tmp_path / 'g.db'}")
    s._checkpointer.every = 4
    yield s
    s.close()


def _commit(store: SQLiteStore, n: int) -> None:
    for i in range(n):
        with store.batch():
            store.lineage_add_edge({"run_id": f"r{i}", "source": "a", "target": "b", "fingerprints": []})


def test_the_committing_connection_only_checkpoints_as_a_backstop(store: SQLiteStore) -> None:
    assert store._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == BACKSTOP_PAGES


def test_commits_wake_the_background_checkpoint(store: SQLiteStore) -> None:
    _commit(store, 20)
    assert _wait(lambda: store._checkpointer.runs >= 1)
    # and it keeps going: later commits wake it again
    before = store._checkpointer.runs
    _commit(store, 20)
    assert _wait(lambda: store._checkpointer.runs > before)


def test_idle_thread_leaves_and_comes_back(store: SQLiteStore) -> None:
    store._checkpointer.idle_exit = 0.05
    _commit(store, 4)
    assert _wait(lambda: store._checkpointer.runs >= 1)
    assert _wait(lambda: store._checkpointer._thread is None), "idle thread did not exit"
    before = store._checkpointer.runs
    _commit(store, 4)
    assert _wait(lambda: store._checkpointer.runs > before), "no restart on demand"


def test_close_stops_the_thread_and_keeps_the_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    s = SQLiteStore(url)
    s._checkpointer.every = 2
    _commit(s, 10)
    assert _wait(lambda: s._checkpointer.runs >= 1)
    thread = s._checkpointer._thread
    s.close()
    assert thread is None or not thread.is_alive()
    s._checkpointer.committed()  # after close: no new thread
    assert s._checkpointer._thread is None
    again = SQLiteStore(url)
    try:
        assert sum(len(again.lineage_get(f"r{i}")[1]) for i in range(10)) == 10
    finally:
        again.close()


def test_a_busy_guard_keeps_its_audit_chain_with_checkpoints_running(tmp_path: Path) -> None:
    guard = Guard(store=f"sqlite:///{tmp_path / 'g.db'}")
    guard._store._checkpointer.every = 3

    def work(n: int) -> None:
        for i in range(40):
            guard.mask(f"mail ana{n}.{i}@example.org", scope=f"s{n}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert guard._store._checkpointer.runs >= 1
    assert guard.audit.verify().ok
    guard.close()
    assert not any(t.is_alive() for t in _checkpoint_threads() if t is guard._store._checkpointer._thread)
