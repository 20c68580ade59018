"""WAL checkpoints for the SQLite store, off the thread that commits.

In WAL mode SQLite copies the log back into the database file once it passes
``wal_autocheckpoint`` pages, and it does so inside whichever ``COMMIT`` crossed the
line: with the default of 1000 pages, about one guarded tool call in a hundred paid
3-5 ms for it (bench/bench_tool.py's p99).  Here a small daemon thread, with its own
connection, runs ``PRAGMA wal_checkpoint(PASSIVE)`` every :attr:`Checkpointer.every`
commits instead.  PASSIVE never blocks readers or writers, and the ``sqlite3`` module
releases the GIL while SQLite copies pages, so the committing thread does not wait.

The store keeps ``wal_autocheckpoint`` as a backstop at :data:`BACKSTOP_PAGES`: if this
thread cannot keep up (or fails), the log still stops growing there.  The thread exits
after :attr:`Checkpointer.idle_exit` seconds without work and starts again on demand,
so a process with many idle stores holds no threads for them.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

#: ``PRAGMA wal_autocheckpoint`` for stores with a background checkpointer (pages).
BACKSTOP_PAGES = 8192


class Checkpointer:
    """Checkpoints one SQLite file in the background; call :meth:`committed` per commit."""

    every = 64  # commits between checkpoints (~10 pages each on a guarded tool call)
    idle_exit = 5.0  # seconds

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._commits = 0
        self.runs = 0  # checkpoints done (tests and diagnostics)

    def __repr__(self) -> str:
        return f"Checkpointer({str(self._path)!r}, runs={self.runs})"

    def committed(self) -> None:
        """Count one commit; every :attr:`every` of them wakes the checkpoint thread."""
        self._commits += 1  # the store's lock serialises callers
        if self._commits < self.every:
            return
        self._commits = 0
        with self._lock:
            if self._closed:
                return
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="guardllm-sqlite-checkpoint", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread (a checkpoint in progress finishes first)."""
        with self._lock:
            self._closed = True
            thread = self._thread
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _loop(self) -> None:
        db: sqlite3.Connection | None = None
        try:
            db = sqlite3.connect(str(self._path), isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA busy_timeout = 1000")
            while not self._closed:
                if not self._wake.wait(self.idle_exit):
                    with self._lock:  # idle: leave, unless a wake-up raced in
                        if not self._wake.is_set():
                            self._thread = None
                            return
                    continue
                self._wake.clear()
                if self._closed:
                    break
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.runs += 1
                except sqlite3.Error:
                    pass  # busy or failing: the store's autocheckpoint backstop bounds the log
        except sqlite3.Error:
            pass
        finally:
            if db is not None:
                db.close()
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread = None
