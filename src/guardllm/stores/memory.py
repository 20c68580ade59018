"""In-process store (``memory://``): dictionaries behind one lock.

Nothing survives the process, so a Guard on this store may use an ephemeral
random master key.  Useful for tests, notebooks and single-process services
that do not need to restore tokens after a restart.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from guardllm.stores.base import AuditFilter, Store, VaultEntry
from guardllm.stores.filters import audit_matches

GENESIS = "0" * 64


class MemoryStore(Store):
    """Thread-safe in-memory implementation of :class:`~guardllm.stores.base.Store`."""

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self._lock = threading.RLock()
        self._vault: dict[tuple[str, str], VaultEntry] = {}  # (scope, token)
        self._by_fp: dict[tuple[str, str], str] = {}  # (scope, fingerprint) -> token
        self._counters: dict[tuple[str, str], int] = {}
        self._links: set[tuple[str, str, str]] = set()  # (scope, fingerprint, subject)
        self._keys: dict[str, bytes] = {}
        self._audit: list[dict[str, Any]] = []
        self._head: tuple[int, str] = (0, GENESIS)
        self._generation = 0
        self._nodes: dict[tuple[str, str], dict[str, Any]] = {}
        self._edges: list[dict[str, Any]] = []

    def __repr__(self) -> str:
        return f"MemoryStore({self.url!r})"

    # vault -----------------------------------------------------------------------
    def vault_get_or_create(self, scope, fingerprint, entity_type, label, make_entry, *, render=None):  # type: ignore[override]
        with self._lock:
            token = self._by_fp.get((scope, fingerprint))
            if token is not None:
                return token, False
            n = self._counters.get((scope, label), 0)
            while True:
                n += 1
                token = render(n) if render else f"[{label}_{n}]"
                if (scope, token) not in self._vault:
                    break
            ciphertext, key_id, subject = make_entry(token)
            self._counters[(scope, label)] = n
            self._vault[(scope, token)] = VaultEntry(
                scope, token, entity_type, fingerprint, ciphertext, key_id, subject, time.time()
            )
            self._by_fp[(scope, fingerprint)] = token
            return token, True

    def vault_lookup(self, scope: str, tokens: Iterable[str]) -> dict[str, VaultEntry]:
        with self._lock:
            return {t: e for t in tokens if (e := self._vault.get((scope, t))) is not None}

    def vault_by_fingerprint(self, scope: str, fingerprints: Iterable[str]) -> dict[str, VaultEntry]:
        with self._lock:
            out = {}
            for fp in fingerprints:
                token = self._by_fp.get((scope, fp))
                if token is not None:
                    out[fp] = self._vault[(scope, token)]
            return out

    def vault_link_subject(self, scope: str, fingerprint: str, subject: str) -> None:
        with self._lock:
            self._links.add((scope, fingerprint, subject))

    def vault_delete(self, *, scope: str | None = None, subject: str | None = None) -> int:
        if scope is None and subject is None:
            raise ValueError("vault_delete needs a scope or a subject")
        with self._lock:
            linked = {(s, fp) for s, fp, sub in self._links if subject is not None and sub == subject}
            doomed = [
                k
                for k, e in self._vault.items()
                if (scope is None or e.scope == scope)
                and (subject is None or e.subject == subject or (e.scope, e.fingerprint) in linked)
            ]
            for k in doomed:
                e = self._vault.pop(k)
                self._by_fp.pop((e.scope, e.fingerprint), None)
            self._links = {
                link
                for link in self._links
                if not ((scope is None or link[0] == scope) and (subject is None or link[2] == subject))
            }
            self._generation += 1
            return len(doomed)

    def vault_entries(self, *, key_id: str | None = None) -> Iterator[VaultEntry]:
        with self._lock:
            rows = [e for e in self._vault.values() if key_id is None or e.key_id == key_id]
        return iter(rows)

    def generation(self) -> int:
        return self._generation

    # keys ----------------------------------------------------------------------------
    def key_get_or_create(self, key_id: str, make_wrapped: Callable[[], bytes]) -> bytes:
        with self._lock:
            if key_id not in self._keys:
                self._keys[key_id] = make_wrapped()
            return self._keys[key_id]

    def key_get(self, key_id: str) -> bytes | None:
        with self._lock:
            return self._keys.get(key_id)

    def key_put(self, key_id: str, wrapped: bytes) -> None:
        with self._lock:
            self._keys[key_id] = wrapped

    def key_delete(self, key_id: str) -> bool:
        with self._lock:
            self._generation += 1
            return self._keys.pop(key_id, None) is not None

    def key_ids(self) -> list[str]:
        with self._lock:
            return sorted(self._keys)

    # audit ---------------------------------------------------------------------------
    def audit_append(self, build: Callable[[int, str], Mapping[str, Any]]) -> Mapping[str, Any]:
        with self._lock:
            seq, prev = self._head[0] + 1, self._head[1]
            record = dict(build(seq, prev))
            self._anchor_mac = record.pop("_anchor_mac", None)
            self._audit.append(record)
            self._head = (seq, record["hash"])
            return dict(record)

    def audit_head(self) -> tuple[int, str]:
        with self._lock:
            return self._head

    def audit_anchor_mac(self) -> str | None:
        with self._lock:
            return getattr(self, "_anchor_mac", None)

    def audit_records(self, flt: AuditFilter | None = None) -> Iterator[Mapping[str, Any]]:
        with self._lock:
            rows = [dict(r) for r in self._audit]
        rows = [r for r in rows if flt is None or audit_matches(r, flt)]
        if flt is not None and flt.limit is not None:
            rows = rows[-flt.limit :] if flt.limit > 0 else []
        return iter(rows)

    # lineage -------------------------------------------------------------------------
    def lineage_put_node(self, node: Mapping[str, Any]) -> None:
        key = (str(node["run_id"]), str(node["id"]))
        with self._lock:
            current = self._nodes.get(key)
            if current is None:
                self._nodes[key] = {
                    "_order": len(self._nodes),
                    "_ts": time.time(),
                    **_own(node),
                }
            else:
                current.update(_own(node))

    def lineage_add_edge(self, edge: Mapping[str, Any]) -> None:
        with self._lock:
            self._edges.append(_own(edge))

    def lineage_get(self, run_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        run_id = str(run_id)
        with self._lock:
            nodes = sorted((n for (r, _), n in self._nodes.items() if r == run_id), key=lambda n: n["_order"])
            edges = [copy.deepcopy(e) for e in self._edges if str(e.get("run_id")) == run_id]
        return [_public(n) for n in nodes], edges

    def lineage_runs(self, limit: int = 50) -> list[dict[str, Any]]:
        with self._lock:
            nodes = [copy.deepcopy(n) for n in self._nodes.values()]
            edges = [e.get("run_id") for e in self._edges]
        return summarise_runs(nodes, edges, limit)

    def lineage_find_fingerprint(self, fingerprint: str) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(e) for e in self._edges if fingerprint in (e.get("fingerprints") or ())]


_ATOMS = (str, int, float, bool, type(None))


def _own(record: Mapping[str, Any]) -> dict[str, Any]:
    """A copy the caller cannot change afterwards, without ``deepcopy``'s cost.

    Lineage records are flat: strings, numbers and lists of strings (types,
    fingerprints); only anything else is deep-copied."""
    out: dict[str, Any] = {}
    for k, v in record.items():
        if isinstance(v, _ATOMS):
            out[k] = v
        elif type(v) is list and all(isinstance(x, _ATOMS) for x in v):
            out[k] = list(v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _public(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if not k.startswith("_")}


def summarise_runs(nodes: list[dict[str, Any]], edge_runs: list[Any], limit: int) -> list[dict[str, Any]]:
    """Per run: the first node's name, start time, principal and scope, and counts (newest first)."""
    runs: dict[str, dict[str, Any]] = {}
    for node in sorted(nodes, key=lambda n: (n.get("_ts", 0.0), n.get("_order", 0))):
        rid = str(node.get("run_id"))
        run = runs.get(rid)
        if run is None:
            run = runs[rid] = {
                "run_id": rid,
                "name": node.get("name"),
                "started_at": node.get("_ts"),
                "principal": node.get("principal"),
                "scope": node.get("scope"),
                "nodes": 0,
                "edges": 0,
            }
        run["nodes"] += 1
        if node.get("parent_id") is None and run["name"] is None:
            run["name"] = node.get("name")
        run["principal"] = run["principal"] or node.get("principal")
        run["scope"] = run["scope"] or node.get("scope")
    for rid in edge_runs:
        if str(rid) in runs:
            runs[str(rid)]["edges"] += 1
    ordered = sorted(runs.values(), key=lambda r: r["started_at"] or 0.0, reverse=True)
    return ordered[:limit]
