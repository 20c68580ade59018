"""``LineageRecorder``: writes nodes and edges of run graphs into a store.

It sits on every guarded call, so it is cheap: validation is a few regex matches,
and a node written again with nothing new (``source:user`` on every call) is skipped
thanks to a small bounded cache of what this recorder last wrote.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from guardllm.lineage.schema import (
    check_attr,
    check_entity_types,
    check_fingerprints,
    check_id,
    check_kind,
    check_name,
    check_status,
    check_tokens,
)

#: How many (run, node) entries the write cache remembers.
CACHE_SIZE = 4096

_NODE_STATUSES = frozenset({"running", "ok", "error", "blocked"})


class LineageRecorder:
    """Record lineage into ``store`` (any :class:`guardllm.stores.base.Store`).

    Thread-safe: the store serialises writes, and the recorder's own cache is behind
    a lock.  ``clock`` returns unix seconds (inject one in tests).
    """

    def __init__(self, store: Any, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self._clock = clock
        self._lock = threading.Lock()
        self._written: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()

    def __repr__(self) -> str:
        return f"LineageRecorder({self.store!r})"

    # ------------------------------------------------------------------ nodes
    def node(
        self,
        run_id: Any,
        node_id: Any,
        kind: str,
        name: str,
        *,
        parent_id: Any = None,
        root_run_id: Any = None,
        scope: str | None = None,
        principal: str | None = None,
        **attrs: Any,
    ) -> str:
        """Add or update a node of root run ``run_id``; returns the node id.

        ``node_id`` is the LangChain run id for a step, or a stable string for data
        (``source:user``, ``table:customers``, ``column:customers.email``,
        ``sink:answer``, ``provider:openai``).  Writing a node again merges: ``None``
        values never erase what an earlier write said.
        """
        run = check_id(run_id, "run_id")
        nid = check_id(node_id, "node_id")
        fields: dict[str, Any] = {"kind": check_kind(kind), "name": check_name(name, "name")}
        if parent_id is not None:
            fields["parent_id"] = check_id(parent_id, "parent_id")
        if root_run_id is not None:
            fields["root_run_id"] = check_id(root_run_id, "root_run_id")
        if scope is not None:
            fields["scope"] = check_name(scope, "scope")
        if principal is not None:
            fields["principal"] = check_name(principal, "principal")
        for key, value in attrs.items():
            if value is not None:
                fields[key] = check_attr(key, value)
        self._put(run, nid, fields, first={"started_at": None})
        return nid

    def source(self, run_id: Any, key: str, kind_detail: str, name: str | None = None, **kw: Any) -> str:
        """A data source node: ``source(run, "user", "user input")`` -> ``source:user``.

        ``key`` may already carry a prefix (``table:customers``); ``kind_detail`` says
        what the source is (``user input``, ``document``, ``table``...).
        """
        nid = key if ":" in key else f"source:{key}"
        return self.node(
            run_id, nid, "source", name if name is not None else key, source_type=kind_detail, **kw
        )

    def sink(self, run_id: Any, key: str, kind_detail: str, name: str | None = None, **kw: Any) -> str:
        """A data sink node: ``sink(run, "answer", "final answer")`` -> ``sink:answer``."""
        nid = key if ":" in key else f"sink:{key}"
        return self.node(run_id, nid, "sink", name if name is not None else key, sink_type=kind_detail, **kw)

    def finish(self, run_id: Any, node_id: Any, status: str = "ok", error_type: str | None = None) -> None:
        """Mark a step finished: ``status`` ok|error|blocked, and the exception *type* name if any."""
        if status not in _NODE_STATUSES:
            raise ValueError(f"status must be one of {', '.join(sorted(_NODE_STATUSES))}")
        fields: dict[str, Any] = {"status": status, "ended_at": self._clock()}
        if error_type is not None:
            fields["error_type"] = check_name(error_type, "error_type")
        self._put(check_id(run_id, "run_id"), check_id(node_id, "node_id"), fields)

    def _put(self, run: str, nid: str, fields: dict[str, Any], first: dict[str, Any] | None = None) -> None:
        key = (run, nid)
        with self._lock:
            seen = self._written.get(key)
            if seen is not None:
                self._written.move_to_end(key)
                if all(k in seen and seen[k] == v for k, v in fields.items()):
                    return  # nothing new for this node
        record = {"run_id": run, "id": nid, **fields}
        if seen is None and first is not None:
            record["started_at"] = self._clock()
        self.store.lineage_put_node(record)
        with self._lock:
            merged = self._written.get(key) or {}
            merged.update(fields)
            self._written[key] = merged
            self._written.move_to_end(key)
            while len(self._written) > CACHE_SIZE:
                self._written.popitem(last=False)

    # ------------------------------------------------------------------ edges
    def edge(
        self,
        run_id: Any,
        source: Any,
        target: Any,
        *,
        entity_types: Iterable[str] | None = (),
        fingerprints: Iterable[str] | None = (),
        status: str = "masked",
        tokens: int = 0,
        label: str | None = None,
    ) -> dict[str, Any]:
        """Append a data-flow edge ``source -> target``; returns the stored dict.

        ``fingerprints`` must be token fingerprints (``fp_...``): anything else raises
        :class:`ValueError` naming the field, without echoing it.
        """
        edge: dict[str, Any] = {
            "run_id": check_id(run_id, "run_id"),
            "source": check_id(source, "source"),
            "target": check_id(target, "target"),
            "entity_types": check_entity_types(entity_types),
            "fingerprints": check_fingerprints(fingerprints),
            "status": check_status(status),
            "tokens": check_tokens(tokens),
            "label": check_name(label, "label") if label is not None else None,
            "ts": self._clock(),
        }
        self.store.lineage_add_edge(edge)
        return edge
