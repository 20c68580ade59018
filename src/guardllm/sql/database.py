"""Database adapters for the guarded SQL tool: one small interface over the shapes users have.

``open_database(db)`` accepts a ``sqlite3.Connection``, a SQLAlchemy ``Engine`` or
URL string, or a LangChain ``SQLDatabase``.  Every adapter:

* reports its sqlglot dialect,
* looks up (and caches) column lists for the tables a query names, so ``*`` can
  be expanded before anything runs,
* executes *one already-checked* statement with bound parameters inside a
  read-only context -- defence in depth behind the parser: a SQLite authorizer
  that denies anything but reads, ``postgresql_readonly`` on PostgreSQL -- and
  never commits.

SQLAlchemy is imported only when an engine or URL is used.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from guardllm.errors import InputError
from guardllm.sql.guardrails import DEFAULT_DENIED_FUNCTIONS, sqlglot_dialect
from guardllm.sql.params import BoundQuery

__all__ = ["Database", "SqlAlchemyDatabase", "SqliteDatabase", "open_database"]


class Database(Protocol):
    """What the SQL tool needs from a database."""

    dialect: str
    #: Tables LangChain's SQLDatabase was restricted to (include/ignore), or None.
    usable_tables: frozenset[str] | None
    #: A short, credential-free description for lineage ("sqlite:customers.db").
    label: str

    def table_columns(self, tables: Iterable[str]) -> dict[str, dict[str, str]]: ...

    def table_names(self) -> list[str]: ...

    def execute(
        self, query: BoundQuery, fetch: int, timeout: float | None = None
    ) -> tuple[list[str], list[tuple[Any, ...]]]: ...

    def refresh(self) -> None: ...


# --------------------------------------------------------------------------- SQLite authorizer

_SQLITE_READ_ACTIONS = frozenset(
    getattr(sqlite3, name)
    for name in ("SQLITE_SELECT", "SQLITE_READ", "SQLITE_FUNCTION", "SQLITE_RECURSIVE")
    if hasattr(sqlite3, name)
)


def _sqlite_authorizer(
    action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None
) -> int:
    """Allow reads and side-effect-free functions only; everything else is denied by SQLite itself."""
    if action not in _SQLITE_READ_ACTIONS:
        return sqlite3.SQLITE_DENY
    if action == getattr(sqlite3, "SQLITE_FUNCTION", -1):
        name = (arg2 or arg1 or "").lower()
        if name in DEFAULT_DENIED_FUNCTIONS:
            return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _set_deadline(conn: Any, timeout: float | None) -> None:
    """Abort a runaway SQLite statement (a cartesian join, a recursive CTE) after ``timeout`` seconds."""
    if not timeout:
        return
    deadline = time.monotonic() + timeout
    conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 10_000)


def _sqlite_columns(conn: Any, table: str) -> dict[str, str]:
    rows = conn.execute("SELECT name, type FROM pragma_table_info(?)", (table,)).fetchall()
    return {str(name): str(ctype or "") for name, ctype in rows}


class _SchemaCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables: dict[str, dict[str, str]] = {}

    def get(self, tables: Iterable[str], load: Any) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        with self._lock:
            for table in tables:
                key = table.lower()
                if key not in self._tables:
                    cols = load(table)
                    if not cols:
                        continue  # unknown: not cached, so a table created later is found
                    self._tables[key] = cols
                out[key] = self._tables[key]
        return out

    def clear(self) -> None:
        with self._lock:
            self._tables.clear()


@contextmanager
def _thread_errors() -> Iterator[None]:
    try:
        yield
    except sqlite3.ProgrammingError as exc:
        if "thread" in str(exc):
            raise InputError(
                "this sqlite3 connection belongs to another thread; agents run tools on worker "
                "threads, so open it with sqlite3.connect(path, check_same_thread=False) or pass "
                "a SQLAlchemy URL"
            ) from None
        raise


class SqliteDatabase:
    """A ``sqlite3.Connection`` the user already has.

    The connection is used under a lock (sqlite3 connections are not safe for
    concurrent use).  It must have been created in the thread that calls the tool
    unless it was opened with ``check_same_thread=False``.
    """

    dialect = "sqlite"
    usable_tables: frozenset[str] | None = None

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self._schema = _SchemaCache()
        self.label = f"sqlite:{_sqlite_file_label(conn)}"

    def table_columns(self, tables: Iterable[str]) -> dict[str, dict[str, str]]:
        with self._lock, _thread_errors():
            return self._schema.get(tables, lambda t: _sqlite_columns(self._conn, t))

    def table_names(self) -> list[str]:
        with self._lock, _thread_errors():
            rows = self._conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' "
                "ORDER BY name"
            ).fetchall()
        return [str(r[0]) for r in rows]

    def execute(
        self, query: BoundQuery, fetch: int, timeout: float | None = None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        sql = query.render("sqlite3")
        with self._lock, _thread_errors():
            self._conn.set_authorizer(_sqlite_authorizer)
            _set_deadline(self._conn, timeout)
            try:
                cur = self._conn.execute(sql, query.params)
                try:
                    columns = [d[0] for d in cur.description or ()]
                    rows = cur.fetchmany(fetch)
                finally:
                    cur.close()
            finally:
                self._conn.set_authorizer(None)
                self._conn.set_progress_handler(None, 0)
                if self._conn.in_transaction:
                    self._conn.rollback()  # a read never needs to commit
        return columns, [tuple(r) for r in rows]

    def refresh(self) -> None:
        self._schema.clear()


def _sqlite_file_label(conn: sqlite3.Connection) -> str:
    try:
        rows = conn.execute("PRAGMA database_list").fetchall()
    except sqlite3.Error:
        return "database"
    for _seq, name, path in rows:
        if name == "main":
            return str(path).replace("\\", "/").rsplit("/", 1)[-1] or ":memory:"
    return "database"


class SqlAlchemyDatabase:
    """A SQLAlchemy engine (from a URL, an engine, or LangChain's ``SQLDatabase``)."""

    def __init__(self, engine: Any, *, usable_tables: Iterable[str] | None = None) -> None:
        self._engine = engine
        self.dialect = sqlglot_dialect(engine.dialect.name)
        self.usable_tables = (
            frozenset(t.lower() for t in usable_tables) if usable_tables is not None else None
        )
        self._schema = _SchemaCache()
        url = engine.url
        # Credential-free: driver and database name only.
        self.label = (
            f"{url.get_backend_name()}:{(url.database or '').replace(chr(92), '/').rsplit('/', 1)[-1]}"
        )

    def table_columns(self, tables: Iterable[str]) -> dict[str, dict[str, str]]:
        from sqlalchemy import inspect
        from sqlalchemy.exc import NoSuchTableError, SQLAlchemyError

        def load(table: str) -> dict[str, str]:
            try:
                cols = inspect(self._engine).get_columns(table)
            except (NoSuchTableError, SQLAlchemyError):
                return {}
            return {str(c["name"]): str(c.get("type", "")) for c in cols}

        return self._schema.get(tables, load)

    def table_names(self) -> list[str]:
        from sqlalchemy import inspect

        insp = inspect(self._engine)
        names = list(insp.get_table_names()) + list(insp.get_view_names())
        if self.usable_tables is not None:
            names = [n for n in names if n.lower() in self.usable_tables]
        return sorted(names)

    def execute(
        self, query: BoundQuery, fetch: int, timeout: float | None = None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        from sqlalchemy import text

        stmt = text(query.render("sqlalchemy"))
        with self._engine.connect() as conn:
            if self.dialect == "postgres":
                conn = conn.execution_options(postgresql_readonly=True)
                if timeout:
                    # An int built here, never text from the query.
                    conn.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(timeout * 1000))}")
            raw = None
            if self.dialect == "sqlite":
                raw = conn.connection.dbapi_connection
                raw.set_authorizer(_sqlite_authorizer)
                _set_deadline(raw, timeout)
            try:
                result = conn.execute(stmt, query.params)
                columns = [str(k) for k in result.keys()]
                rows = [tuple(r) for r in result.fetchmany(fetch)]
                result.close()
            finally:
                if raw is not None:
                    raw.set_authorizer(None)
                    raw.set_progress_handler(None, 0)
                conn.rollback()
        return columns, rows

    def refresh(self) -> None:
        self._schema.clear()


def open_database(db: Any) -> Database:
    """Wrap whatever the user passed as a :class:`Database`."""
    if isinstance(db, SqliteDatabase | SqlAlchemyDatabase):
        return db
    if isinstance(db, sqlite3.Connection):
        return SqliteDatabase(db)
    if isinstance(db, str):
        try:
            from sqlalchemy import create_engine
        except ImportError as exc:  # pragma: no cover - depends on extras
            raise InputError("a database URL needs SQLAlchemy: pip install 'guardllm[sql]'") from exc
        return SqlAlchemyDatabase(create_engine(db))
    engine = getattr(db, "_engine", None)
    if engine is not None and hasattr(db, "get_usable_table_names"):  # langchain SQLDatabase
        usable = None
        if getattr(db, "_include_tables", None) or getattr(db, "_ignore_tables", None):
            usable = db.get_usable_table_names()
        return SqlAlchemyDatabase(engine, usable_tables=usable)
    if hasattr(db, "dialect") and hasattr(db, "connect") and hasattr(db, "url"):  # SQLAlchemy Engine
        return SqlAlchemyDatabase(db)
    raise InputError(
        "db must be a sqlite3.Connection, a SQLAlchemy engine or URL, or a langchain_community "
        f"SQLDatabase; got {type(db).__name__}"
    )
