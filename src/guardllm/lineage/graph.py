"""``LineageGraph``: one root run's nodes and edges, with queries and exports."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from guardllm.lineage.schema import (
    NODE_CORE_KEYS,
    SINK_KINDS,
    SOURCE_KINDS,
    STEP_KINDS,
    check_fingerprint,
)

SCHEMA_VERSION = 1

# An edge may name a node nobody recorded (a crash between writes); its kind is guessed
# from the id prefix so the drawing still makes sense.
_PREFIX_KINDS = {
    "source": "source",
    "table": "table",
    "column": "column",
    "document": "document",
    "sink": "sink",
    "provider": "provider",
    "tool": "tool",
}


@dataclass(frozen=True, slots=True)
class Node:
    """A step (llm, tool, retriever, sql, chain...) or a data source/sink of a run."""

    id: str
    kind: str
    name: str
    parent_id: str | None = None
    scope: str | None = None
    principal: str | None = None
    status: str | None = None
    error_type: str | None = None
    started_at: float | None = None
    ended_at: float | None = None
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def is_step(self) -> bool:
        return self.kind in STEP_KINDS

    @property
    def is_source(self) -> bool:
        return self.kind in SOURCE_KINDS

    @property
    def is_sink(self) -> bool:
        return self.kind in SINK_KINDS

    @property
    def label(self) -> str:
        """``kind name`` for display (``tool send_email``)."""
        return f"{self.kind} {self.name}" if self.name else self.kind

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "parent_id": self.parent_id,
            "scope": self.scope,
            "principal": self.principal,
            "status": self.status,
            "error_type": self.error_type,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "attrs": dict(self.attrs),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Node:
        """From a stored row (attributes flat) or from :meth:`to_dict` (attributes under ``attrs``)."""
        attrs = dict(data.get("attrs") or {})
        attrs.update(
            {
                k: v
                for k, v in data.items()
                if k not in NODE_CORE_KEYS and k != "attrs" and not k.startswith("_")
            }
        )
        if data.get("root_run_id") is not None:
            attrs.setdefault("root_run_id", data["root_run_id"])

        def opt(key: str) -> Any:
            value = data.get(key)
            return None if value is None else str(value)

        return cls(
            id=str(data["id"]),
            kind=str(data.get("kind") or "unknown"),
            name=str(data.get("name") or ""),
            parent_id=opt("parent_id"),
            scope=opt("scope"),
            principal=opt("principal"),
            status=opt("status"),
            error_type=opt("error_type"),
            started_at=data.get("started_at"),
            ended_at=data.get("ended_at"),
            attrs=attrs,
        )


@dataclass(frozen=True, slots=True)
class Edge:
    """Data that flowed ``source -> target``: types, fingerprints, how it crossed, how big."""

    source: str
    target: str
    entity_types: tuple[str, ...] = ()
    fingerprints: tuple[str, ...] = ()
    status: str = "masked"
    tokens: int = 0
    label: str | None = None
    run_id: str | None = None
    ts: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "entity_types": list(self.entity_types),
            "fingerprints": list(self.fingerprints),
            "status": self.status,
            "tokens": self.tokens,
            "label": self.label,
            "run_id": self.run_id,
            "ts": self.ts,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Edge:
        return cls(
            source=str(data["source"]),
            target=str(data["target"]),
            entity_types=tuple(data.get("entity_types") or ()),
            fingerprints=tuple(data.get("fingerprints") or ()),
            status=str(data.get("status") or "masked"),
            tokens=int(data.get("tokens") or 0),
            label=data.get("label"),
            run_id=None if data.get("run_id") is None else str(data["run_id"]),
            ts=data.get("ts"),
        )


class LineageGraph:
    """The graph of one root run: ``nodes`` (in recording order) and ``edges``.

    Draws itself as text (:meth:`to_text`), Mermaid, DOT, JSON, networkx and
    OpenLineage events; in notebooks it renders as SVG (Graphviz) or Mermaid.
    """

    def __init__(self, run_id: str | None, nodes: Iterable[Node], edges: Iterable[Edge]) -> None:
        self.run_id = run_id
        self.nodes: list[Node] = list(nodes)
        self.edges: list[Edge] = list(edges)
        known = {n.id for n in self.nodes}
        for e in self.edges:
            for end in (e.source, e.target):
                if end not in known:
                    known.add(end)
                    prefix, _, rest = end.partition(":")
                    kind = _PREFIX_KINDS.get(prefix, "unknown") if rest else "unknown"
                    self.nodes.append(Node(end, kind, rest or end, attrs={"implicit": True}))
        self._by_id = {n.id: n for n in self.nodes}
        self._indexed: tuple[int, int] = (-1, -1)
        self._into: dict[str, list[Edge]] = {}
        self._from: dict[str, list[Edge]] = {}
        self._kids: dict[str | None, list[Node]] = {}

    def _index(self) -> None:
        """Adjacency maps, rebuilt when ``nodes``/``edges`` grew (drawing big runs stays linear)."""
        if self._indexed == (len(self.nodes), len(self.edges)):
            return
        self._by_id = {n.id: n for n in self.nodes}
        self._into, self._from, self._kids = {}, {}, {}
        for e in self.edges:
            self._into.setdefault(e.target, []).append(e)
            self._from.setdefault(e.source, []).append(e)
        for n in self.nodes:
            parent = n.parent_id if n.parent_id in self._by_id else None
            self._kids.setdefault(parent, []).append(n)
        self._indexed = (len(self.nodes), len(self.edges))

    # ------------------------------------------------------------------ building
    @classmethod
    def from_dicts(
        cls, nodes: Iterable[Mapping[str, Any]], edges: Iterable[Mapping[str, Any]], run_id: str | None = None
    ) -> LineageGraph:
        """From stored rows or from :meth:`to_dict`'s ``nodes`` / ``edges``."""
        nodes = list(nodes)
        node_list = [Node.from_dict(n) for n in nodes]
        edge_list = [Edge.from_dict(e) for e in edges]
        if run_id is None:
            runs = {str(n["run_id"]) for n in nodes if isinstance(n, Mapping) and n.get("run_id")} | {
                e.run_id for e in edge_list if e.run_id
            }
            run_id = runs.pop() if len(runs) == 1 else None
        return cls(run_id, node_list, edge_list)

    @classmethod
    def from_store(cls, store: Any, run_id: Any) -> LineageGraph:
        """Load root run ``run_id`` from a :class:`~guardllm.stores.base.Store` (or URL)."""
        if isinstance(store, str):
            from guardllm.stores import open_store

            store = open_store(store)
        nodes, edges = store.lineage_get(str(run_id))
        return cls.from_dicts(nodes, edges, run_id=str(run_id))

    @classmethod
    def from_json(cls, text: str) -> LineageGraph:
        data = json.loads(text)
        return cls.from_dicts(data.get("nodes") or [], data.get("edges") or [], run_id=data.get("run_id"))

    # ------------------------------------------------------------------ queries
    def node(self, node_id: str) -> Node:
        """The node with this id (``KeyError`` if absent)."""
        self._index()
        return self._by_id[str(node_id)]

    def __contains__(self, node_id: object) -> bool:
        self._index()
        return str(node_id) in self._by_id

    def __len__(self) -> int:
        return len(self.nodes)

    def __bool__(self) -> bool:
        return bool(self.nodes or self.edges)

    def steps(self, kind: str | None = None) -> list[Node]:
        """Step nodes (llm, tool, retriever, sql, chain...), optionally of one kind."""
        return [n for n in self.nodes if n.is_step and (kind is None or n.kind == kind)]

    def sources(self) -> list[Node]:
        return [n for n in self.nodes if n.is_source]

    def sinks(self) -> list[Node]:
        return [n for n in self.nodes if n.is_sink]

    def children(self, node_id: str | None) -> list[Node]:
        """Nodes whose parent is ``node_id`` (``None``: the top-level nodes)."""
        self._index()
        return list(self._kids.get(None if node_id is None else str(node_id), ()))

    def edges_into(self, node_id: str) -> list[Edge]:
        self._index()
        return list(self._into.get(str(node_id), ()))

    def edges_from(self, node_id: str) -> list[Edge]:
        self._index()
        return list(self._from.get(str(node_id), ()))

    def revealed(self) -> list[Edge]:
        """Edges where raw values were handed over (``revealed``)."""
        return [e for e in self.edges if e.status == "revealed"]

    def leaks(self) -> list[Edge]:
        """Edges where a raw value reached a model unguarded (``leaked``)."""
        return [e for e in self.edges if e.status == "leaked"]

    def entity_types(self) -> list[str]:
        return sorted({t for e in self.edges for t in e.entity_types})

    def fingerprints(self) -> list[str]:
        return sorted({f for e in self.edges for f in e.fingerprints})

    def with_fingerprint(self, fingerprint: str) -> list[Edge]:
        """Edges of this run that carried ``fingerprint``."""
        check_fingerprint(fingerprint)
        return [e for e in self.edges if fingerprint in e.fingerprints]

    # ------------------------------------------------------------------ exports
    def to_dict(self) -> dict[str, Any]:
        """JSON-able ``{"version", "run_id", "nodes": [...], "edges": [...]}``."""
        return {
            "version": SCHEMA_VERSION,
            "run_id": self.run_id,
            "nodes": [n.to_dict() for n in self.nodes],
            "edges": [e.to_dict() for e in self.edges],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, default=str)

    def to_text(self) -> str:
        from guardllm.lineage.render import to_text

        return to_text(self)

    def to_mermaid(self) -> str:
        from guardllm.lineage.render import to_mermaid

        return to_mermaid(self)

    def to_dot(self) -> str:
        from guardllm.lineage.render import to_dot

        return to_dot(self)

    def to_networkx(self) -> Any:
        """A ``networkx.MultiDiGraph`` (node and edge attributes as in :meth:`to_dict`)."""
        try:
            import networkx as nx
        except ImportError:
            raise ImportError("LineageGraph.to_networkx() needs networkx: pip install networkx") from None
        g = nx.MultiDiGraph(run_id=self.run_id)
        for n in self.nodes:
            data = n.to_dict()
            data.pop("id")
            g.add_node(n.id, **data)
        for i, e in enumerate(self.edges):
            data = e.to_dict()
            g.add_edge(data.pop("source"), data.pop("target"), key=i, **data)
        return g

    def to_openlineage(self, *, namespace: str = "guardllm") -> list[dict[str, Any]]:
        from guardllm.lineage.openlineage import to_openlineage

        return to_openlineage(self, namespace=namespace)

    def to_svg(self, *, timeout: float = 10.0) -> str | None:
        """SVG through Graphviz ``dot`` when it is installed, else ``None``."""
        from guardllm.lineage.render import dot_to_svg

        return dot_to_svg(self.to_dot(), timeout=timeout)

    def _repr_html_(self) -> str:
        from guardllm.lineage.render import to_html

        return to_html(self)

    def _repr_markdown_(self) -> str:
        return f"```mermaid\n{self.to_mermaid()}\n```"

    def __repr__(self) -> str:
        return f"LineageGraph(run_id={self.run_id!r}, nodes={len(self.nodes)}, edges={len(self.edges)})"

    def __str__(self) -> str:
        return self.to_text()


def find_fingerprint(store: Any, fingerprint: str) -> list[tuple[str, Edge]]:
    """Every ``(run_id, edge)`` through which the token ``fingerprint`` passed, oldest first.

    Answers "where did this customer's email go" without the email: pass the
    fingerprint (``guard.mask_result(...).entities[i].fingerprint``).
    """
    check_fingerprint(fingerprint)
    if isinstance(store, str):
        from guardllm.stores import open_store

        store = open_store(store)
    out = []
    for row in store.lineage_find_fingerprint(fingerprint):
        edge = Edge.from_dict(row)
        out.append((edge.run_id or "", edge))
    return out


__all__ = ["Edge", "LineageGraph", "Node", "find_fingerprint"]
