"""OpenLineage ``RunEvent`` export (plain dicts; no ``openlineage-python`` needed).

One event per step of the run.  Step ids that are LangChain run ids (UUIDs) are
reused as OpenLineage ``runId``; other ids get a stable UUIDv5.  Data nodes become
datasets (``inputs`` when they feed the step, ``outputs`` when it feeds them);
step-to-step flows become a dataset named after the producing step.  The
``guardllm_flow`` facet carries entity types, fingerprints, status and token counts
-- never a value.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from guardllm.lineage.graph import Edge, LineageGraph, Node

PRODUCER = "https://github.com/guardllm/guardllm"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent"
FACET_SCHEMA_URL = "https://github.com/guardllm/guardllm/blob/main/docs/lineage.md#guardllm_flow"
PARENT_SCHEMA_URL = "https://openlineage.io/spec/facets/1-0-1/ParentRunFacet.json#/$defs/ParentRunFacet"
_NS = uuid.UUID("6f1c3a52-3d4b-4c0e-9a0e-6b1f0f8d2a10")


def run_uuid(run_id: str | None, node_id: str) -> str:
    """``node_id`` if it is a UUID, else a stable UUIDv5 of (run, node)."""
    try:
        return str(uuid.UUID(node_id))
    except ValueError:
        return str(uuid.uuid5(_NS, f"{run_id}\0{node_id}"))


def _iso(ts: float | None) -> str:
    when = datetime.fromtimestamp(ts, tz=timezone.utc) if ts is not None else datetime.now(timezone.utc)
    return when.isoformat().replace("+00:00", "Z")


def _flow_facet(edges: list[Edge]) -> dict[str, Any]:
    return {
        "_producer": PRODUCER,
        "_schemaURL": FACET_SCHEMA_URL,
        "flows": [
            {
                "status": e.status,
                "entityTypes": list(e.entity_types),
                "fingerprints": list(e.fingerprints),
                "tokens": e.tokens,
                "label": e.label,
            }
            for e in edges
        ],
    }


def to_openlineage(graph: LineageGraph, *, namespace: str = "guardllm") -> list[dict[str, Any]]:
    """``RunEvent`` dicts (``COMPLETE``, ``FAIL`` or ``RUNNING``), one per step, in recording order."""
    events = []

    def dataset(node_id: str, edges: list[Edge]) -> dict[str, Any]:
        node: Node | None = graph.node(node_id) if node_id in graph else None
        if node is not None and node.is_step:
            name = f"{node.kind}.{node.name}.output:{node.id}"
        else:
            name = node_id
        return {"namespace": namespace, "name": name, "facets": {"guardllm_flow": _flow_facet(edges)}}

    for node in graph.steps():
        ins: dict[str, list[Edge]] = {}
        outs: dict[str, list[Edge]] = {}
        for e in graph.edges_into(node.id):
            ins.setdefault(e.source, []).append(e)
        for e in graph.edges_from(node.id):
            target = graph.node(e.target) if e.target in graph else None
            # a flow to another step is that step's input (its producer's output dataset)
            key = node.id if target is not None and target.is_step else e.target
            outs.setdefault(key, []).append(e)
        if node.status == "error" or node.error_type or node.attrs.get("error"):
            event_type = "FAIL"
        elif node.status == "running":
            event_type = "RUNNING"
        else:
            event_type = "COMPLETE"
        run: dict[str, Any] = {"runId": run_uuid(graph.run_id, node.id), "facets": {}}
        if node.parent_id and node.parent_id in graph:
            parent = graph.node(node.parent_id)
            run["facets"]["parent"] = {
                "_producer": PRODUCER,
                "_schemaURL": PARENT_SCHEMA_URL,
                "run": {"runId": run_uuid(graph.run_id, parent.id)},
                "job": {"namespace": namespace, "name": f"{parent.kind}.{parent.name}"},
            }
        events.append(
            {
                "eventType": event_type,
                "eventTime": _iso(node.ended_at or node.started_at),
                "run": run,
                "job": {"namespace": namespace, "name": f"{node.kind}.{node.name}", "facets": {}},
                "inputs": [dataset(src, es) for src, es in ins.items()],
                "outputs": [dataset(dst, es) for dst, es in outs.items()],
                "producer": PRODUCER,
                "schemaURL": SCHEMA_URL,
            }
        )
    return events
