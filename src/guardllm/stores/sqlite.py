"""Embedded SQLite store (``sqlite:///path/to/guardllm.db``), the persistent default.

Concurrency: one connection per store object guarded by a lock (threads), WAL mode
and ``busy_timeout`` (processes).  Token allocation and audit appends run inside
``BEGIN IMMEDIATE`` transactions, so two processes sharing the file serialise on
the write lock and the unique constraints on ``(scope, fingerprint)`` and
``(scope, token)`` keep every value on exactly one token.

The vault holds only AES-GCM ciphertext; audit and lineage rows hold types,
counts and keyed fingerprints.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from guardllm.errors import VaultError
from guardllm.stores.base import AuditFilter, Store, VaultEntry
from guardllm.stores.checkpoint import BACKSTOP_PAGES, Checkpointer
from guardllm.stores.filters import audit_matches
from guardllm.stores.memory import GENESIS, summarise_runs

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vault (
    scope TEXT NOT NULL, token TEXT NOT NULL, entity_type TEXT NOT NULL, fingerprint TEXT NOT NULL,
    ciphertext BLOB, key_id TEXT NOT NULL DEFAULT '', subject TEXT, created_at REAL NOT NULL,
    PRIMARY KEY (scope, token), UNIQUE (scope, fingerprint));
CREATE INDEX IF NOT EXISTS vault_subject ON vault(subject);
CREATE TABLE IF NOT EXISTS vault_link (scope TEXT NOT NULL, fingerprint TEXT NOT NULL, subject TEXT NOT NULL,
    PRIMARY KEY (scope, fingerprint, subject));
CREATE INDEX IF NOT EXISTS vault_link_subject ON vault_link(subject);
CREATE TABLE IF NOT EXISTS vault_counter (scope TEXT NOT NULL, label TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (scope, label));
CREATE TABLE IF NOT EXISTS data_key (key_id TEXT PRIMARY KEY, wrapped BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY, ts REAL NOT NULL, event TEXT NOT NULL, principal TEXT, scope TEXT,
    recipient TEXT, run_id TEXT, record TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_ts ON audit(ts);
CREATE TABLE IF NOT EXISTS audit_anchor (id INTEGER PRIMARY KEY CHECK (id = 1), count INTEGER NOT NULL,
    head TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_anchor_mac (id INTEGER PRIMARY KEY CHECK (id = 1), mac TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lineage_node (run_id TEXT NOT NULL, id TEXT NOT NULL, ord INTEGER NOT NULL,
    ts REAL NOT NULL, data TEXT NOT NULL, PRIMARY KEY (run_id, id));
CREATE TABLE IF NOT EXISTS lineage_edge (eid INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL,
    data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS lineage_edge_run ON lineage_edge(run_id);
CREATE TABLE IF NOT EXISTS lineage_fp (fingerprint TEXT NOT NULL, eid INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS lineage_fp_fp ON lineage_fp(fingerprint);
CREATE TABLE IF NOT EXISTS lineage_fp_mark (id INTEGER PRIMARY KEY CHECK (id = 1), eid INTEGER NOT NULL);
INSERT OR IGNORE INTO lineage_fp_mark SELECT 1, COALESCE(MAX(eid), 0) FROM lineage_edge;
"""

_RETRIES = 20


def _store_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Report SQLite failures as VaultError (type name only: messages may quote SQL)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except sqlite3.Error as exc:
            raise VaultError(f"SQLite store operation {fn.__name__} failed: {type(exc).__name__}") from None

    return wrapper


def path_from_url(url: str) -> Path:
    """``sqlite:///rel.db`` -> ``rel.db``; ``sqlite:////abs.db`` -> ``/abs.db``."""
    rest = url.split("://", 1)[1]
    if rest.startswith("/"):
        rest = rest[1:]
    if not rest:
        raise VaultError(f"store URL {url!r} names no file; use sqlite:///path/to/guardllm.db")
    return Path(rest).expanduser()


class SQLiteStore(Store):
    """SQLite implementation of :class:`~guardllm.stores.base.Store`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = path_from_url(url)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0  # open transactions of the thread holding _lock
        # Inside a batch the audit anchor (count, head, MAC) is written once, at commit:
        # the batch holds SQLite's write lock, so the head it tracks cannot move meanwhile.
        self._in_batch = False
        self._anchor_pending: tuple[int, str, str | None] | None = None
        self._batch_generation: int | None = None
        self._checkpointer = Checkpointer(self.path)
        try:
            self._db = sqlite3.connect(
                str(self.path), timeout=30.0, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA busy_timeout = 30000")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            # Checkpoints run on a background thread (stores/checkpoint.py); the
            # committing thread only steps in if the log passes the backstop.
            self._db.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}")
            # Erasure must not leave wrapped keys or ciphertext behind in free pages.
            self._db.execute("PRAGMA secure_delete = ON")
            with self._tx():
                for stmt in filter(str.strip, _SCHEMA.split(";")):
                    self._db.execute(stmt)
        except sqlite3.Error as exc:
            raise VaultError(f"cannot open SQLite store {self.path}: {exc}") from None

    def __repr__(self) -> str:
        return f"SQLiteStore({self.url!r})"

    # transactions --------------------------------------------------------------------
    class _Tx:
        """One write transaction; re-entrant per thread.

        The outermost one runs ``BEGIN IMMEDIATE`` (the write lock, so the read-then-insert
        pairs of token allocation and audit appends are serialised across processes);
        one opened inside another -- or inside :meth:`SQLiteStore.batch` -- is a
        ``SAVEPOINT``, so a failed inner write rolls back alone and the rest commit once.
        """

        def __init__(self, store: SQLiteStore, savepoint: bool = True) -> None:
            self.store = store
            self.savepoint = savepoint
            self.nested = False  # a savepoint of ours is open
            self.outer = False  # we began the transaction

        def __enter__(self) -> sqlite3.Connection:
            store = self.store
            store._lock.acquire()
            try:
                if store._depth:
                    if self.savepoint:
                        store._db.execute("SAVEPOINT guardllm_tx")
                        self.nested = True
                else:
                    store._begin()
                    self.outer = True
                store._depth += 1
            except BaseException:
                store._lock.release()
                raise
            return store._db

        def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
            store = self.store
            try:
                store._depth -= 1
                if self.nested:
                    if exc_type is not None:
                        store._db.execute("ROLLBACK TO guardllm_tx")
                    store._db.execute("RELEASE guardllm_tx")
                elif self.outer:
                    store._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
                    store._checkpointer.committed()
            finally:
                store._lock.release()

    def _begin(self) -> None:
        for attempt in range(_RETRIES):
            try:
                self._db.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == _RETRIES - 1:
                    raise
                time.sleep(0.01 * (attempt + 1))

    def _tx(self, *, savepoint: bool = True) -> SQLiteStore._Tx:
        """A transaction; ``savepoint=False`` for a block whose only write is one statement.

        Inside a batch such a block needs no savepoint of its own: SQLite undoes a failed
        statement by itself, and two statements fewer per write is most of a lineage
        node's cost."""
        return SQLiteStore._Tx(self, savepoint)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group every write made inside (by this thread) into one transaction.

        A guarded tool call writes ~10 rows (audit records, lineage nodes and edges);
        one ``BEGIN IMMEDIATE`` .. ``COMMIT`` instead of ten cuts most of its store
        cost.  Each write inside still fails alone -- a multi-statement one in its own
        savepoint, a single statement by SQLite's own statement rollback -- and what
        succeeded commits when the block ends, *even if it raises*: the audit record of
        a refused call must survive the refusal.  The audit anchor is written once, at
        the commit.  Other
        threads wait on the store lock meanwhile, other processes on SQLite's write
        lock, so the audit chain stays linear.  Nested batches join the outer one.
        A failed COMMIT raises :class:`VaultError` (nothing of the batch was stored).
        """
        with self._lock:
            if self._depth:
                yield
                return
            try:
                self._begin()
            except sqlite3.Error as exc:
                raise VaultError(f"SQLite store batch failed to start: {type(exc).__name__}") from None
            self._depth = 1
            self._anchor_pending = None
            self._batch_generation = None
            self._in_batch = True
            try:
                yield
            finally:
                self._depth = 0
                self._in_batch = False
                self._batch_generation = None
                pending, self._anchor_pending = self._anchor_pending, None
                try:
                    if pending is not None:
                        self._write_anchor(self._db, *pending)
                    self._db.execute("COMMIT")
                    self._checkpointer.committed()
                except sqlite3.Error as exc:
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                    raise VaultError(f"SQLite store batch failed to commit: {type(exc).__name__}") from None

    def _read(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            with self._lock:
                return self._db.execute(sql, tuple(params)).fetchall()
        except sqlite3.Error as exc:
            raise VaultError(f"SQLite store read failed: {type(exc).__name__}") from None

    # vault -----------------------------------------------------------------------
    def vault_get_or_create(self, scope, fingerprint, entity_type, label, make_entry, *, render=None):  # type: ignore[override]
        rows = self._read("SELECT token FROM vault WHERE scope = ? AND fingerprint = ?", (scope, fingerprint))
        if rows:
            return rows[0][0], False
        for _attempt in range(_RETRIES):
            try:
                with self._tx() as db:
                    row = db.execute(
                        "SELECT token FROM vault WHERE scope = ? AND fingerprint = ?", (scope, fingerprint)
                    ).fetchone()
                    if row:
                        return row[0], False
                    crow = db.execute(
                        "SELECT n FROM vault_counter WHERE scope = ? AND label = ?", (scope, label)
                    ).fetchone()
                    n = crow[0] if crow else 0
                    while True:
                        n += 1
                        token = render(n) if render else f"[{label}_{n}]"
                        if not db.execute(
                            "SELECT 1 FROM vault WHERE scope = ? AND token = ?", (scope, token)
                        ).fetchone():
                            break
                    ciphertext, key_id, subject = make_entry(token)
                    db.execute(
                        "INSERT INTO vault VALUES (?,?,?,?,?,?,?,?)",
                        (scope, token, entity_type, fingerprint, ciphertext, key_id, subject, time.time()),
                    )
                    db.execute(
                        "INSERT INTO vault_counter VALUES (?,?,?) ON CONFLICT(scope, label) "
                        "DO UPDATE SET n = excluded.n",
                        (scope, label, n),
                    )
                    return token, True
            except sqlite3.IntegrityError:
                continue  # another process won the race; read its row on the next turn
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc):
                    time.sleep(0.01)
                    continue
                raise VaultError(f"SQLite vault write failed: {type(exc).__name__}") from None
        raise VaultError("SQLite vault stayed locked; token not allocated")

    @staticmethod
    def _entry(row: tuple[Any, ...]) -> VaultEntry:
        return VaultEntry(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7])

    def vault_lookup(self, scope: str, tokens: Iterable[str]) -> dict[str, VaultEntry]:
        tokens = list(dict.fromkeys(tokens))
        out: dict[str, VaultEntry] = {}
        for i in range(0, len(tokens), 500):
            chunk = tokens[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._read(
                f"SELECT * FROM vault WHERE scope = ? AND token IN ({marks})", [scope, *chunk]
            ):
                out[row[1]] = self._entry(row)
        return out

    def vault_by_fingerprint(self, scope: str, fingerprints: Iterable[str]) -> dict[str, VaultEntry]:
        fps = list(dict.fromkeys(fingerprints))
        out: dict[str, VaultEntry] = {}
        for i in range(0, len(fps), 500):
            chunk = fps[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._read(
                f"SELECT * FROM vault WHERE scope = ? AND fingerprint IN ({marks})", [scope, *chunk]
            ):
                out[row[3]] = self._entry(row)
        return out

    @_store_errors
    def vault_link_subject(self, scope: str, fingerprint: str, subject: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO vault_link VALUES (?, ?, ?)", (scope, fingerprint, subject))

    @_store_errors
    def vault_delete(self, *, scope: str | None = None, subject: str | None = None) -> int:
        if scope is None and subject is None:
            raise ValueError("vault_delete needs a scope or a subject")
        clauses: list[str] = []
        params: list[Any] = []
        if scope is not None:
            clauses.append("scope = ?")
            params.append(scope)
        if subject is not None:
            # rows encrypted under the subject's key, and rows linked to the subject
            clauses.append(
                "(subject = ? OR (scope, fingerprint) IN "
                "(SELECT scope, fingerprint FROM vault_link WHERE subject = ?))"
            )
            params += [subject, subject]
        link_clauses = [c for c, v in (("scope = ?", scope), ("subject = ?", subject)) if v is not None]
        link_params = [v for v in (scope, subject) if v is not None]
        with self._tx() as db:
            n = db.execute(f"DELETE FROM vault WHERE {' AND '.join(clauses)}", params).rowcount
            db.execute(f"DELETE FROM vault_link WHERE {' AND '.join(link_clauses)}", link_params)
            self._bump(db)
        self._vacuum_hint()
        return n

    def _vacuum_hint(self) -> None:
        # Deleted ciphertext may linger in free pages; checkpoint the WAL so erased rows leave it.
        try:
            with self._lock:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:
            pass

    def _bump(self, db: sqlite3.Connection) -> None:
        self._batch_generation = None
        db.execute("INSERT INTO meta VALUES ('generation', 1) ON CONFLICT(k) DO UPDATE SET v = v + 1")

    def vault_entries(self, *, key_id: str | None = None) -> Iterator[VaultEntry]:
        if key_id is None:
            rows = self._read("SELECT * FROM vault")
        else:
            rows = self._read("SELECT * FROM vault WHERE key_id = ?", (key_id,))
        return iter([self._entry(r) for r in rows])

    def generation(self) -> int:
        with self._lock:
            # Read once per batch: it holds the write lock, so only this thread can bump
            # the generation meanwhile (and _bump forgets the cached value).
            if self._in_batch and self._batch_generation is not None:
                return self._batch_generation
            rows = self._read("SELECT v FROM meta WHERE k = 'generation'")
            gen = int(rows[0][0]) if rows else 0
            if self._in_batch:
                self._batch_generation = gen
            return gen

    # keys ----------------------------------------------------------------------------
    @_store_errors
    def key_get_or_create(self, key_id: str, make_wrapped: Callable[[], bytes]) -> bytes:
        existing = self.key_get(key_id)
        if existing is not None:
            return existing
        with self._tx() as db:
            row = db.execute("SELECT wrapped FROM data_key WHERE key_id = ?", (key_id,)).fetchone()
            if row:
                return bytes(row[0])
            wrapped = make_wrapped()
            db.execute("INSERT INTO data_key VALUES (?, ?)", (key_id, wrapped))
            return wrapped

    def key_get(self, key_id: str) -> bytes | None:
        rows = self._read("SELECT wrapped FROM data_key WHERE key_id = ?", (key_id,))
        return bytes(rows[0][0]) if rows else None

    @_store_errors
    def key_put(self, key_id: str, wrapped: bytes) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO data_key VALUES (?, ?) ON CONFLICT(key_id) DO UPDATE SET wrapped = excluded.wrapped",
                (key_id, wrapped),
            )

    @_store_errors
    def key_delete(self, key_id: str) -> bool:
        with self._tx() as db:
            n = db.execute("DELETE FROM data_key WHERE key_id = ?", (key_id,)).rowcount
            self._bump(db)
        self._vacuum_hint()
        return n > 0

    def key_ids(self) -> list[str]:
        return [r[0] for r in self._read("SELECT key_id FROM data_key ORDER BY key_id")]

    # audit ---------------------------------------------------------------------------
    def audit_append(self, build: Callable[[int, str], Mapping[str, Any]]) -> Mapping[str, Any]:
        for attempt in range(_RETRIES):
            try:
                with self._tx(savepoint=False) as db:
                    pending = self._anchor_pending if self._in_batch else None
                    if pending is not None:
                        head: tuple[Any, ...] | None = pending[:2]
                    else:
                        head = db.execute("SELECT count, head FROM audit_anchor WHERE id = 1").fetchone()
                    # The anchor is the source of truth; a missing one means an empty log
                    # (or a file from before the anchor: then continue from its last row).
                    if head:
                        seq, prev = head[0] + 1, head[1]
                    else:
                        last = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
                        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
                    record = dict(build(seq, prev))
                    anchor_mac = record.pop("_anchor_mac", None)
                    db.execute(
                        "INSERT INTO audit (seq, ts, event, principal, scope, recipient, run_id, record, prev_hash, hash)"
                        " VALUES (?,?,?,?,?,?,?,?,?,?)",
                        (
                            seq,
                            record.get("ts"),
                            record.get("event"),
                            record.get("principal"),
                            record.get("scope"),
                            record.get("recipient"),
                            record.get("run_id"),
                            json.dumps(record, sort_keys=True, separators=(",", ":"), default=str),
                            record["prev_hash"],
                            record["hash"],
                        ),
                    )
                    if self._in_batch:
                        self._anchor_pending = (seq, record["hash"], anchor_mac)
                    else:
                        self._write_anchor(db, seq, record["hash"], anchor_mac)
                    return record
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) and attempt < _RETRIES - 1:
                    time.sleep(0.01)
                    continue
                raise VaultError(f"SQLite audit write failed: {type(exc).__name__}") from None
            except sqlite3.IntegrityError:
                # Another row holds this seq.  Outside a batch the anchor is re-read; inside
                # one it has not been written yet, so continue from the newest row itself.
                if self._in_batch:
                    with self._lock:
                        last = self._db.execute(
                            "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
                        ).fetchone()
                    self._anchor_pending = (int(last[0]), str(last[1]), None) if last else None
                continue
        raise VaultError("SQLite audit log stayed locked; record not written")

    @staticmethod
    def _write_anchor(db: sqlite3.Connection, seq: int, head: str, mac: str | None) -> None:
        db.execute(
            "INSERT INTO audit_anchor VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "count = excluded.count, head = excluded.head",
            (seq, head),
        )
        if mac is not None:  # its own table: audit_anchor keeps its shape
            db.execute(
                "INSERT INTO audit_anchor_mac VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET mac = excluded.mac",
                (mac,),
            )

    def _pending_anchor(self) -> tuple[int, str, str | None] | None:
        """The anchor this thread's open batch will write (``None`` outside one)."""
        with self._lock:
            return self._anchor_pending if self._in_batch else None

    def audit_head(self) -> tuple[int, str]:
        if (pending := self._pending_anchor()) is not None:
            return pending[0], pending[1]
        rows = self._read("SELECT count, head FROM audit_anchor WHERE id = 1")
        return (int(rows[0][0]), str(rows[0][1])) if rows else (0, GENESIS)

    def audit_anchor_mac(self) -> str | None:
        if (pending := self._pending_anchor()) is not None and pending[2] is not None:
            return pending[2]
        rows = self._read("SELECT mac FROM audit_anchor_mac WHERE id = 1")
        return str(rows[0][0]) if rows and rows[0][0] is not None else None

    def audit_records(self, flt: AuditFilter | None = None) -> Iterator[Mapping[str, Any]]:
        clauses, params = [], []
        if flt is not None:
            for col in ("event", "principal", "recipient", "scope", "run_id"):
                val = getattr(flt, col)
                if val is not None:
                    clauses.append(f"{col} = ?")
                    params.append(val)
            if flt.since is not None:
                clauses.append("ts >= ?")
                params.append(flt.since)
            if flt.until is not None:
                clauses.append("ts <= ?")
                params.append(flt.until)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        cols = "seq, ts, event, principal, scope, recipient, run_id, record, prev_hash, hash"
        if flt is not None and flt.limit is not None and flt.limit >= 0 and flt.entity_type is None:
            # the newest N only: let SQLite stop early instead of reading the whole log
            rows = self._read(
                f"SELECT * FROM (SELECT {cols} FROM audit{where} ORDER BY seq DESC LIMIT ?) ORDER BY seq",
                [*params, flt.limit],
            )
        else:
            rows = self._read(f"SELECT {cols} FROM audit{where} ORDER BY seq", params)
        out = []
        for row in rows:
            try:
                record = json.loads(row[7])
            except ValueError:
                record = {"_unreadable": True}
            # The indexed columns are what queries filter on: expose them so verify()
            # can notice a row whose columns were edited apart from its JSON.
            record["_row"] = {
                "seq": row[0],
                "ts": row[1],
                "event": row[2],
                "principal": row[3],
                "scope": row[4],
                "recipient": row[5],
                "run_id": row[6],
                "prev_hash": row[8],
                "hash": row[9],
            }
            if flt is None or audit_matches(record, flt):
                out.append(record)
        if flt is not None and flt.limit is not None and flt.limit >= 0:
            out = out[-flt.limit :] if flt.limit else []
        return iter(out)

    # lineage -------------------------------------------------------------------------
    @_store_errors
    def lineage_put_node(self, node: Mapping[str, Any]) -> None:
        run_id, nid = str(node["run_id"]), str(node["id"])
        with self._tx(savepoint=False) as db:  # one write: an insert, or a merge
            # Most writes are new nodes: try the insert first and read only on a clash.
            # Insertion order: the next rowid (O(1)), not COUNT(*) of the run, which grew
            # with every node of a long run.  Older files hold per-run counts there;
            # those rows are older, so they still sort first.
            inserted = db.execute(
                "INSERT INTO lineage_node VALUES (?,?,"
                "(SELECT COALESCE(MAX(rowid), 0) + 1 FROM lineage_node),?,?) "
                "ON CONFLICT(run_id, id) DO NOTHING",
                (run_id, nid, time.time(), json.dumps(dict(node), default=str)),
            ).rowcount
            if inserted:
                return
            row = db.execute(
                "SELECT data FROM lineage_node WHERE run_id = ? AND id = ?", (run_id, nid)
            ).fetchone()
            merged = {**json.loads(row[0]), **dict(node)}
            db.execute(
                "UPDATE lineage_node SET data = ? WHERE run_id = ? AND id = ?",
                (json.dumps(merged, default=str), run_id, nid),
            )

    @_store_errors
    def lineage_add_edge(self, edge: Mapping[str, Any]) -> None:
        # The fingerprint index (lineage_fp) is filled lazily by lineage_find_fingerprint
        # from the edges' own JSON: ~13 random-key index rows per guarded call cost more
        # than the rest of its lineage, for a query that runs rarely.
        with self._tx(savepoint=False) as db:
            db.execute(
                "INSERT INTO lineage_edge (run_id, data) VALUES (?, ?)",
                (str(edge.get("run_id")), json.dumps(dict(edge), default=str)),
            )

    def lineage_get(self, run_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        nodes = [
            json.loads(r[0])
            for r in self._read("SELECT data FROM lineage_node WHERE run_id = ? ORDER BY ord", (str(run_id),))
        ]
        edges = [
            json.loads(r[0])
            for r in self._read("SELECT data FROM lineage_edge WHERE run_id = ? ORDER BY eid", (str(run_id),))
        ]
        return nodes, edges

    def lineage_runs(self, limit: int = 50) -> list[dict[str, Any]]:
        nodes = []
        for data, ord_, ts in self._read("SELECT data, ord, ts FROM lineage_node"):
            node = json.loads(data)
            node["_order"], node["_ts"] = ord_, ts
            nodes.append(node)
        edge_runs = [r[0] for r in self._read("SELECT run_id FROM lineage_edge")]
        return summarise_runs(nodes, edge_runs, limit)

    @_store_errors
    def lineage_find_fingerprint(self, fingerprint: str) -> list[dict[str, Any]]:
        with self._tx() as db:
            # Index the edges written since the last query (lineage_fp_mark), in one
            # transaction so processes never index an edge twice between them.  Files
            # written by older versions index eagerly; the IN below ignores duplicates.
            row = db.execute("SELECT eid FROM lineage_fp_mark WHERE id = 1").fetchone()
            mark = row[0] if row else 0
            new = db.execute(
                "SELECT eid, data FROM lineage_edge WHERE eid > ? ORDER BY eid", (mark,)
            ).fetchall()
            if new:
                pairs = []
                for eid, data in new:
                    try:
                        fps = json.loads(data).get("fingerprints") or ()
                    except (ValueError, AttributeError):
                        fps = ()
                    pairs.extend((str(fp), eid) for fp in set(fps))
                db.executemany("INSERT INTO lineage_fp VALUES (?, ?)", pairs)
                db.execute(
                    "INSERT INTO lineage_fp_mark VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET eid = excluded.eid",
                    (new[-1][0],),
                )
            rows = db.execute(
                "SELECT data FROM lineage_edge WHERE eid IN "
                "(SELECT eid FROM lineage_fp WHERE fingerprint = ?) ORDER BY eid",
                (fingerprint,),
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def close(self) -> None:
        self._checkpointer.close()
        with self._lock:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
