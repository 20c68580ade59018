"""Lineage: one data-flow graph per root run, holding types and fingerprints, never values.

Record with :class:`LineageRecorder` (``guard.recorder``), read with
:class:`LineageGraph` (``guard.lineage(run_id)``), search with :func:`find_fingerprint`.

Stored schema (plain JSON dicts, written through ``Store.lineage_put_node`` /
``Store.lineage_add_edge``):

Node -- upserted by ``(run_id, id)``; a later write merges into the earlier one::

    run_id       str   the ROOT run id (LangChain's own UUID, as text)
    id           str   a step's LangChain run id, or a stable data id:
                       source:user  table:customers  column:customers.email
                       sink:answer  sink:model  provider:openai  tool:send_email
    kind         str   step: llm chat_model tool retriever sql chain agent
                       source: source table column document    sink: sink provider
    name         str   step/tool/model name (at most 256 characters)
    parent_id    str?  parent step (LangChain parent run id) or, for a column, its table
    root_run_id  str?  only when the caller passes one that differs
    scope, principal   str?  the token scope and who the step ran for
    started_at   float first write (unix seconds); ended_at, status (running|ok|error|blocked),
                       error_type (exception class name) from ``finish()``
    <attrs>      JSON scalars or short lists (model, guarded, database, documents ...)

Edge -- appended, one per flow::

    run_id, source, target   str   node ids
    entity_types  [str]  sorted, e.g. ["EMAIL_ADDRESS"]
    fingerprints  [str]  sorted ``fp_<hex>`` keyed hashes (validated: nothing else is accepted)
    status        str    masked | revealed | raw | leaked | blocked | dropped
    tokens        int    tiktoken count of what crossed
    label         str?   input, tool_call, tool_result, answer, documents, prompt ...
    ts            float  unix seconds

``LineageGraph.to_dict()`` returns ``{"version": 1, "run_id", "nodes", "edges"}`` where
each node carries the core fields above and its other attributes under ``attrs``.
"""

from __future__ import annotations

from guardllm.lineage.graph import Edge, LineageGraph, Node, find_fingerprint
from guardllm.lineage.recorder import LineageRecorder
from guardllm.lineage.schema import EDGE_STATUSES, NODE_KINDS, is_fingerprint

__all__ = [
    "EDGE_STATUSES",
    "NODE_KINDS",
    "Edge",
    "LineageGraph",
    "LineageRecorder",
    "Node",
    "find_fingerprint",
    "is_fingerprint",
]
