"""Column-level lineage for a checked query: every output column -> its source ``table.column``.

Built on :mod:`sqlglot.lineage` over the already-qualified AST (one scope build for
all columns).  :func:`record_query_lineage` writes the result into a run's lineage
graph through a recorder (``.node`` / ``.edge``, see docs/internals.md): a node per
source table and column, and an edge from each source column to the query step,
marked ``masked`` or ``revealed``.  Nothing here holds a value: edges carry entity
types, token fingerprints and counts only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import Node, to_node
from sqlglot.optimizer.scope import build_scope
from sqlglot.schema import ensure_schema

__all__ = ["ColumnFlow", "output_sources", "record_query_lineage"]


def _norm(name: str) -> str:
    return name.strip().strip('`"[]').lower()


def output_sources(
    qualified: exp.Query, schema: Mapping[str, Mapping[str, str]], dialect: str
) -> list[tuple[str, list[tuple[str, str]]]] | None:
    """``[(output name, [(table, column), ...]), ...]`` by output position, or ``None``.

    ``qualified`` must come from sqlglot's ``qualify`` with the same schema.  Output
    columns computed from no column (``COUNT(*)``, literals) have no sources.
    ``None`` means lineage could not be built (unsupported construct); callers
    then fall back to classifying by output name and values.
    """
    try:
        scope = build_scope(qualified)
        if scope is None:
            return None
        sg_schema = ensure_schema(dict(schema) if schema else {}, dialect=dialect)
        cache: dict[tuple, Node] = {}
        meta: dict[int, Any] = {}
        out: list[tuple[str, list[tuple[str, str]]]] = []
        for index, select in enumerate(qualified.selects):
            node = to_node(
                index, scope, dialect, sg_schema, trim_selects=False, _cache=cache, _scope_meta=meta
            )
            out.append((_norm(select.alias_or_name), _leaf_columns(node)))
        return out
    except (SqlglotError, KeyError, AttributeError, IndexError, TypeError, ValueError):
        return None


def _leaf_columns(node: Node) -> list[tuple[str, str]]:
    seen: dict[tuple[str, str], None] = {}
    for leaf in node.walk():
        if leaf.downstream or not isinstance(leaf.expression, exp.Table):
            continue
        table = leaf.expression.name
        column = leaf.name.rsplit(".", 1)[-1]
        if table and column and column != "*":
            seen.setdefault((_norm(table), _norm(column)), None)
    return list(seen)


@dataclass(slots=True)
class ColumnFlow:
    """What crossed from one output column to the query step's result."""

    name: str
    sources: tuple[tuple[str, str], ...]
    entity_types: set[str] = field(default_factory=set)
    fingerprints: set[str] = field(default_factory=set)
    tokens: int = 0
    status: str = "raw"  # "masked" | "revealed" | "raw" | "dropped"


def record_query_lineage(
    recorder: Any,
    run_id: str,
    step_id: str,
    flows: Sequence[ColumnFlow],
    *,
    scope: str | None = None,
    principal: str | None = None,
    tables: Iterable[str] = (),
) -> None:
    """Add table/column nodes and column -> step edges for one executed query.

    Node ids: ``table:<table>`` and ``column:<table>.<column>``.  A column node
    hangs under its table node (``parent_id``); the step node must already exist.
    """
    tables_done: set[str] = set()
    columns_done: set[str] = set()

    def table_node(table: str) -> str:
        node_id = f"table:{table}"
        if table not in tables_done:
            recorder.node(run_id, node_id, "table", table, scope=scope, principal=principal)
            tables_done.add(table)
        return node_id

    for table in tables:
        table_node(_norm(table))
    for flow in flows:
        for table, column in flow.sources:
            parent = table_node(table)
            node_id = f"column:{table}.{column}"
            if node_id not in columns_done:
                recorder.node(
                    run_id,
                    node_id,
                    "column",
                    f"{table}.{column}",
                    parent_id=parent,
                    scope=scope,
                    principal=principal,
                )
                columns_done.add(node_id)
            label = flow.name if flow.name == column else f"{column} as {flow.name}"
            recorder.edge(
                run_id,
                node_id,
                step_id,
                entity_types=sorted(flow.entity_types),
                fingerprints=sorted(flow.fingerprints),
                status=flow.status,
                tokens=flow.tokens,
                label=label,
            )
