"""The storage interface every backend implements (memory, SQLite, PostgreSQL).

One store holds three things for a Guard: the token **vault** (encrypted values),
the hash-chained **audit** log and the **lineage** graphs.  Backends must make
the two allocation paths atomic across threads *and* processes:

* ``vault_get_or_create`` -- the same (scope, fingerprint) always yields the
  same token; concurrent callers race on a unique constraint, never on luck.
* ``audit_append`` -- each record commits to the previous record's hash, so the
  read-last-hash + insert pair runs in one serialised transaction.

Every mutating method is one transaction; :meth:`Store.batch` may group several
(one commit for the ~10 writes of a guarded tool call) without changing what each does.
Mapping to PostgreSQL (the next backend), with the same tables as SQLite:

* ``vault_get_or_create``: ``SELECT n FROM vault_counter WHERE (scope, label) = (..)
  FOR UPDATE`` (or ``INSERT .. ON CONFLICT DO UPDATE SET n = vault_counter.n + 1
  RETURNING n``), then ``INSERT INTO vault .. ON CONFLICT (scope, fingerprint) DO
  NOTHING RETURNING token``; no row back means another process won: read its token.
* ``audit_append``: ``SELECT count, head FROM audit_anchor WHERE id = 1 FOR UPDATE``
  serialises appenders; the insert and the anchor update commit together.
* ``vault_delete`` / ``key_delete``: one transaction each that also bumps
  ``meta.generation`` so other processes drop their caches.
* ``vault_link_subject``: ``INSERT .. ON CONFLICT DO NOTHING`` on the
  ``(scope, fingerprint, subject)`` primary key.

Nothing here sees a raw value: the vault stores ciphertext produced by
:mod:`guardllm.tokens.crypto`, audit and lineage rows hold types, counts and
keyed fingerprints only.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class VaultEntry:
    scope: str
    token: str
    entity_type: str
    fingerprint: str  # keyed HMAC of the normalised value; scope-independent
    ciphertext: bytes | None = field(repr=False)  # None: irreversible (nothing stored)
    key_id: str = ""  # which data key encrypted it (scope or subject key id)
    subject: str | None = None
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class AuditFilter:
    principal: str | None = None
    recipient: str | None = None
    entity_type: str | None = None
    scope: str | None = None
    event: str | None = None
    since: float | None = None  # unix seconds
    until: float | None = None
    run_id: str | None = None
    limit: int | None = None


class Store(abc.ABC):
    """Abstract backend.  Implementations must be thread-safe."""

    url: str

    # ---- vault -----------------------------------------------------------
    @abc.abstractmethod
    def vault_get_or_create(
        self,
        scope: str,
        fingerprint: str,
        entity_type: str,
        label: str,
        make_entry: Callable[[str], tuple[bytes | None, str, str | None]],
        *,
        render: Callable[[int], str] | None = None,
    ) -> tuple[str, bool]:
        """Return ``(token, created)`` for this value in ``scope``.

        If absent, allocate the next number ``n`` for ``label`` in the scope, turn
        it into the token text with ``render(n)`` (default ``[LABEL_n]``; surrogates
        pass their own generator and a label of their own), and insert the row
        ``make_entry(token)`` returns: ``(ciphertext, key_id, subject)``.  Unique
        constraints on ``(scope, fingerprint)`` and ``(scope, token)`` keep this
        consistent across threads and processes.
        """

    @abc.abstractmethod
    def vault_lookup(self, scope: str, tokens: Iterable[str]) -> dict[str, VaultEntry]:
        """Entries for those ``tokens`` that *this* scope issued (others are absent)."""

    @abc.abstractmethod
    def vault_by_fingerprint(self, scope: str, fingerprints: Iterable[str]) -> dict[str, VaultEntry]: ...

    @abc.abstractmethod
    def vault_link_subject(self, scope: str, fingerprint: str, subject: str) -> None:
        """Record that the value ``(scope, fingerprint)`` belongs to data subject ``subject``.

        A value first tokenized without ``subject=`` (or for another subject) keeps its
        row and token; the link makes ``vault_delete(subject=...)`` erase it anyway, so
        an erasure request never misses a value because of the order of the calls.
        Idempotent (a unique constraint on the triple)."""

    @abc.abstractmethod
    def vault_delete(self, *, scope: str | None = None, subject: str | None = None) -> int:
        """Delete vault rows of a scope or a data subject; returns how many.

        ``subject=`` deletes the rows encrypted under that subject's key *and* the rows
        linked to it with :meth:`vault_link_subject` (then the links); ``scope=`` also
        drops the scope's links.  Also bumps :meth:`generation` so every process drops
        its caches."""

    @abc.abstractmethod
    def vault_entries(self, *, key_id: str | None = None) -> Iterator[VaultEntry]:
        """Every vault row (optionally of one data key): used by re-encryption tools."""

    @abc.abstractmethod
    def generation(self) -> int:
        """A counter that changes whenever vault rows or data keys are deleted.

        Processes cache decrypted entries; they compare this (one cheap read per
        call) to notice an erasure done by another process."""

    # ---- data keys (wrapped by the master key; see tokens.crypto) ------------
    @abc.abstractmethod
    def key_get_or_create(self, key_id: str, make_wrapped: Callable[[], bytes]) -> bytes: ...

    @abc.abstractmethod
    def key_get(self, key_id: str) -> bytes | None: ...

    @abc.abstractmethod
    def key_put(self, key_id: str, wrapped: bytes) -> None:
        """Replace a wrapped key (used by master-key rotation)."""

    @abc.abstractmethod
    def key_delete(self, key_id: str) -> bool:
        """Crypto-shredding: once a data key is gone its ciphertexts are noise."""

    @abc.abstractmethod
    def key_ids(self) -> list[str]: ...

    # ---- audit -------------------------------------------------------------
    @abc.abstractmethod
    def audit_append(self, build: Callable[[int, str], Mapping[str, Any]]) -> Mapping[str, Any]:
        """Atomically append ``build(seq, prev_hash)`` and return the stored record.

        ``seq`` is the next sequence number (starting at 1) and ``prev_hash`` the
        previous record's ``hash`` (``"0" * 64`` for the first).  The record must
        contain ``seq``, ``prev_hash`` and ``hash``.
        """

    @abc.abstractmethod
    def audit_head(self) -> tuple[int, str]:
        """The anchor ``(count, head_hash)`` written with every append, kept apart from
        the records so that a dropped *last* record is detected too."""

    def audit_anchor_mac(self) -> str | None:
        """The keyed MAC stored with the anchor (``_anchor_mac`` of the last record built
        by ``audit_append``; the store keeps it beside ``(count, head)`` and out of the
        record), ``None`` when none was written.  A store that does not keep it returns
        ``NotImplemented`` (this default): verify then cannot see a rewritten anchor."""
        return NotImplemented  # type: ignore[return-value]

    @abc.abstractmethod
    def audit_records(self, flt: AuditFilter | None = None) -> Iterator[Mapping[str, Any]]:
        """Records in ``seq`` order, optionally filtered."""

    # ---- lineage -----------------------------------------------------------
    @abc.abstractmethod
    def lineage_put_node(self, node: Mapping[str, Any]) -> None:
        """Insert or update (by ``run_id`` + ``id``) a lineage node (JSON-able dict)."""

    @abc.abstractmethod
    def lineage_add_edge(self, edge: Mapping[str, Any]) -> None:
        """Append a lineage edge (JSON-able dict with ``run_id``, ``source``, ``target``)."""

    @abc.abstractmethod
    def lineage_get(self, run_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """``(nodes, edges)`` of one root run."""

    @abc.abstractmethod
    def lineage_runs(self, limit: int = 50) -> list[dict[str, Any]]:
        """Newest root runs first: ``run_id``, ``name``, ``started_at``, ``principal``, ``scope``, counts."""

    @abc.abstractmethod
    def lineage_find_fingerprint(self, fingerprint: str) -> list[dict[str, Any]]:
        """Every edge (with ``run_id``) that carried this token fingerprint."""

    # ---- grouping ------------------------------------------------------------
    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group the writes made inside (by this thread) so they commit together.

        A performance hint, not a semantic change: every write inside behaves as if
        alone -- one that fails rolls back alone, the others commit when the block
        ends, even if it raises (an audit record of a refused step must survive).
        Nested batches join the outer one.  The default does nothing (every write
        is its own transaction, as in the in-memory store where that costs nothing);
        SQLite runs one ``BEGIN IMMEDIATE`` .. ``COMMIT`` (a savepoint per multi-statement
        write; a single statement rolls back alone by itself).
        Keep batches short: other writers wait for them.
        """
        yield

    # ---- lifecycle ---------------------------------------------------------
    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
