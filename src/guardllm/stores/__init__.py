"""Storage backends, chosen by URL.

* ``memory://`` -- in-process (:class:`~guardllm.stores.memory.MemoryStore`).
* ``sqlite:///path/to/guardllm.db`` -- embedded, persistent (the default for persistent use).
* ``postgresql://...`` -- planned (``pip install guardllm[postgres]``).

When a :class:`~guardllm.guard.Guard` gets ``store=None`` it uses the URL in the
``GUARDLLM_STORE`` environment variable, or else ``memory://``.
:func:`default_sqlite_url` is where ``guardllm`` commands keep their data when
neither ``--store`` nor ``GUARDLLM_STORE`` is given:
``$GUARDLLM_HOME/guardllm.db``, else ``./.guardllm/guardllm.db``.
"""

from __future__ import annotations

import os
from pathlib import Path

from guardllm.errors import VaultError
from guardllm.stores.base import AuditFilter, Store, VaultEntry

STORE_ENV = "GUARDLLM_STORE"
HOME_ENV = "GUARDLLM_HOME"


def default_sqlite_url() -> str:
    """``sqlite:///`` URL of the default database file (``$GUARDLLM_HOME`` or ``./.guardllm``)."""
    home = os.environ.get(HOME_ENV)
    base = Path(home).expanduser() if home else Path.cwd() / ".guardllm"
    return f"sqlite:///{(base / 'guardllm.db').resolve()}"


def resolve_url(url: str | None) -> str:
    """``url``, or for ``None`` the ``$GUARDLLM_STORE`` URL, or ``memory://``."""
    if url is None:
        return os.environ.get(STORE_ENV) or "memory://"
    return url


def open_store(url: str | Store | None = None) -> Store:
    """A store for ``url`` (``None``: ``$GUARDLLM_STORE`` or ``memory://``)."""
    if isinstance(url, Store):
        return url
    url = resolve_url(url)
    if not isinstance(url, str):
        raise VaultError(f"store must be a URL string or a Store, not {type(url).__name__}")
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "memory":
        from guardllm.stores.memory import MemoryStore

        return MemoryStore(url)
    if scheme == "sqlite":
        from guardllm.stores.sqlite import SQLiteStore

        return SQLiteStore(url)
    if scheme in ("postgres", "postgresql", "postgresql+psycopg"):
        raise VaultError(
            "the PostgreSQL store is not available in this version; "
            "install guardllm[postgres] once it ships, or use sqlite:///path.db"
        )
    raise VaultError(f"unknown store URL scheme {scheme or url!r}: use memory:// or sqlite:///path.db")


def is_persistent(store: Store) -> bool:
    """Whether the store outlives the process (then a configured key is required)."""
    return not store.url.startswith("memory:")


__all__ = [
    "HOME_ENV",
    "STORE_ENV",
    "AuditFilter",
    "Store",
    "VaultEntry",
    "default_sqlite_url",
    "is_persistent",
    "open_store",
    "resolve_url",
]
