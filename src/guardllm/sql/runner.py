"""The guarded query pipeline, independent of LangChain: check -> bind -> execute -> mask -> record.

:class:`GuardedSql` is what ``guard.sql_tool(...)`` wraps.  One call to
:meth:`GuardedSql.run`:

1. checks the query with :func:`~guardllm.sql.guardrails.check_query` (read-only,
   one statement, row limit, table/column lists); a refusal is audited as a
   ``guardrail`` event and never reaches the database;
2. turns tokens in literals into bound parameters, if the policy lets
   ``tool:<name>`` see their types (else refuses, audited);
3. executes inside a read-only context;
4. masks the result column-aware: a column's type comes from its name, its
   source column (lineage) or its values; cells get the scope's tokens; a
   forbidden column is tokenized or dropped;
5. records table and column nodes and masked/revealed edges in the run's lineage.

Nothing raw leaves: the returned text and artifact hold tokens, errors name
types/tables/columns, and audit/lineage hold fingerprints.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from guardllm.errors import BlockedError, GuardError, InputError
from guardllm.sql.columns import classify_by_values, classify_column
from guardllm.sql.database import Database, open_database
from guardllm.sql.guardrails import (
    DEFAULT_DENIED_FUNCTIONS,
    CheckedQuery,
    ForbiddenAction,
    OutputColumn,
    SqlGuardrailError,
    SqlRules,
    check_query,
)
from guardllm.sql.lineage import ColumnFlow, record_query_lineage
from guardllm.sql.params import BoundQuery, Resolution, bind_tokens

__all__ = ["GuardedSql", "SqlResult", "render_table"]

log = logging.getLogger("guardllm.sql")

#: Entity type used for a forbidden column whose values have no better type.
CONFIDENTIAL = "CONFIDENTIAL"
_ACTION_ORDER = {"tokenize": 0, "drop": 1, "block": 2}


@dataclass(slots=True)
class SqlResult:
    """The model-facing outcome of one query: ``content`` (text) and ``artifact`` (structured)."""

    content: str
    artifact: dict[str, Any]
    error: str | None = None
    rule: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(slots=True)
class _Cell:
    masked: Any
    refs: list[Any] = field(default_factory=list)
    whole_type: str | None = None  # type of the one entity covering the whole cell


def _merge_options(policy_opts: Mapping[str, Any], kw: Mapping[str, Any]) -> dict[str, Any]:
    """Per-call options over policy per-tool rules; the policy stays a ceiling where it can.

    Deny lists are merged, ``max_rows`` takes the smaller value, the stricter
    forbidden-column action wins; allow lists given to the call replace the
    policy's (they are the narrower, more specific statement).
    """
    out: dict[str, Any] = {}
    for key in ("allow_tables", "allow_columns"):
        value = kw.get(key) if kw.get(key) is not None else policy_opts.get(key)
        if value is not None:
            out[key] = tuple([value] if isinstance(value, str) else value)
    for key in ("deny_tables", "deny_columns"):
        merged: list[str] = []
        for src in (policy_opts.get(key), kw.get(key)):
            if src:
                merged.extend([src] if isinstance(src, str) else list(src))
        out[key] = tuple(merged)
    rows = [v for v in (policy_opts.get("max_rows"), kw.get("max_rows")) if v is not None]
    out["max_rows"] = min(rows) if rows else 100
    actions = [
        v for v in (policy_opts.get("forbidden_columns_action"), kw.get("forbidden_columns_action")) if v
    ]
    out["forbidden_columns_action"] = (
        max(actions, key=lambda a: _ACTION_ORDER.get(a, 3)) if actions else "tokenize"
    )
    extra = set(policy_opts.get("deny_functions") or ()) | set(kw.get("deny_functions") or ())
    out["denied_functions"] = DEFAULT_DENIED_FUNCTIONS | frozenset(f.lower() for f in extra)
    return out


def _policy_tool_options(guard: Any, name: str) -> dict[str, Any]:
    """The policy's per-tool rules for ``name`` as a plain dict (empty when none)."""
    policy = getattr(guard, "policy", None)
    tools = getattr(policy, "tools", None)
    if not tools:
        return {}
    rule = tools.get(name) if isinstance(tools, Mapping) else None
    if rule is None:
        return {}
    if hasattr(rule, "model_dump"):
        data = rule.model_dump(exclude_none=True)
    elif isinstance(rule, Mapping):
        data = dict(rule)
    else:
        data = {k: getattr(rule, k) for k in dir(rule) if not k.startswith("_")}
    opts = dict(data.get("sql") or {}) if isinstance(data.get("sql"), Mapping) else {}
    for key in (
        "max_rows",
        "row_limit",
        "allow_tables",
        "deny_tables",
        "allow_columns",
        "deny_columns",
        "forbidden_columns_action",
        "deny_functions",
    ):
        if data.get(key) is not None:
            opts.setdefault(key, data[key])
    if "row_limit" in opts:
        opts.setdefault("max_rows", opts.pop("row_limit"))
    if data.get("read_only") is False:
        # Fail closed: this tool has no write mode; say so rather than silently ignoring it.
        log.warning("policy sets read_only=false for %s; the guarded SQL tool is always read-only", name)
    return opts


class GuardedSql:
    """Run model-written SQL against ``db`` under a Guard's policy.  Thread-safe."""

    def __init__(
        self,
        guard: Any,
        db: Any,
        *,
        name: str = "sql_db_query",
        reveal: Iterable[str] | None = None,
        max_rows: int | None = None,
        allow_tables: Iterable[str] | None = None,
        deny_tables: Iterable[str] | None = None,
        allow_columns: Iterable[str] | None = None,
        deny_columns: Iterable[str] | None = None,
        forbidden_columns_action: ForbiddenAction | None = None,
        deny_functions: Iterable[str] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise InputError("name must be a non-empty string")
        self.guard = guard
        self.name = name
        self.recipient = f"tool:{name}"
        self.db: Database = open_database(db)
        self.reveal = tuple(sorted({str(t).upper() for t in (reveal or ())}))
        self._resolver_guard = _granted_guard(guard, name, self.reveal)
        options = _merge_options(
            _policy_tool_options(guard, name),
            {
                "max_rows": max_rows,
                "allow_tables": allow_tables,
                "deny_tables": deny_tables,
                "allow_columns": allow_columns,
                "deny_columns": deny_columns,
                "forbidden_columns_action": forbidden_columns_action,
                "deny_functions": deny_functions,
            },
        )
        if self.db.usable_tables is not None:
            # LangChain's SQLDatabase include/ignore lists are an allow-list too.
            allowed = tuple(sorted(self.db.usable_tables))
            prior = options.get("allow_tables")
            options["allow_tables"] = tuple(
                t for t in allowed if prior is None or t in {p.lower() for p in prior}
            )
        self.rules = SqlRules(dialect=self.db.dialect, **options)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ public

    def check(self, query: str) -> CheckedQuery:
        """Run the guardrails only (no execution, no audit)."""
        return check_query(query, self.rules, self.db.table_columns)

    def run(
        self,
        query: str,
        *,
        scope: str | None = None,
        principal: str | None = None,
        run_id: str | None = None,
        step_id: str | None = None,
        parent_id: str | None = None,
    ) -> SqlResult:
        """Check, bind, execute, mask and record one query.  Never raises for a refused query."""
        run_id = run_id or str(uuid.uuid4())
        step_id = step_id or f"sql:{uuid.uuid4()}"
        try:
            checked = self.check(query)
            bound = bind_tokens(checked.expression, checked.dialect, self._resolver(scope, principal))
        except SqlGuardrailError as exc:
            self._audit_block(exc, scope=scope, principal=principal, run_id=run_id)
            return self._error_result(str(exc), exc.rule)
        except BlockedError as exc:  # the Guard refused (policy block) while resolving a token
            self._audit_block(exc, scope=scope, principal=principal, run_id=run_id)
            return self._error_result(str(exc), exc.rule or "policy.block")

        try:
            columns, rows = self.db.execute(bound, checked.fetch)
        except GuardError:
            raise
        except Exception as exc:  # the driver's error, masked: it may quote values
            message = self._safe_text(f"{type(exc).__name__}: {exc}", scope=scope, principal=principal)
            return self._error_result(f"the database returned an error: {message}", "sql.database")

        truncated = checked.capped and len(rows) > checked.limit
        rows = rows[: checked.limit]
        out_cols = _align(checked.columns, columns)
        names, masked_rows, flows, dropped = self._mask_rows(columns, rows, out_cols, scope, principal)
        self._record_lineage(checked, bound, flows, scope, principal, run_id, step_id, parent_id, query)
        artifact = {
            "columns": names,
            "rows": masked_rows,
            "row_count": len(masked_rows),
            "truncated": truncated,
        }
        if dropped:
            artifact["dropped_columns"] = dropped
        artifact["sources"] = {f.name: [f"{t}.{c}" for t, c in f.sources] for f in flows}
        content = render_table(names, masked_rows, truncated=truncated, limit=checked.limit, dropped=dropped)
        return SqlResult(content=content, artifact=artifact)

    # ------------------------------------------------------------------ tokens in queries

    def _resolver(self, scope: str | None, principal: str | None):
        guard = self._resolver_guard

        def resolve(text: str) -> Resolution:
            res = guard.unmask_result(text, scope=scope, to=self.recipient, principal=principal)
            return Resolution(
                text=res.text,
                revealed=list(getattr(res, "revealed", ()) or ()),
                refused=list(getattr(res, "refused", ()) or ()),
                foreign=int(getattr(res, "foreign", 0) or 0),
            )

        return resolve

    # ------------------------------------------------------------------ masking

    def _mask_rows(
        self,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        out_cols: Sequence[OutputColumn | None],
        scope: str | None,
        principal: str | None,
    ) -> tuple[list[str], list[list[Any]], list[ColumnFlow], list[str]]:
        action = self.rules.forbidden_columns_action
        keep: list[int] = []
        flows: list[ColumnFlow] = []
        dropped: list[str] = []
        masked_cols: list[list[Any]] = []
        for i, name in enumerate(columns):
            oc = out_cols[i]
            sources = tuple(oc.sources) if oc is not None else ()
            flow = ColumnFlow(name=name, sources=sources, status="raw")
            flows.append(flow)
            forbidden = oc is not None and oc.is_forbidden
            if forbidden and action == "drop":
                dropped.append(name)
                flow.status = "masked"
                continue
            etype, _evidence = classify_column(name, sources)
            if forbidden and etype is None:
                etype = CONFIDENTIAL
            values = [row[i] for row in rows]
            cells = self._mask_column(name, values, etype, force=forbidden, scope=scope, principal=principal)
            keep.append(i)
            masked_cols.append([c.masked for c in cells])
            for cell in cells:
                for ref in cell.refs:
                    flow.entity_types.add(str(getattr(ref, "entity_type", etype or "")))
                    fp = getattr(ref, "fingerprint", None)
                    if fp:
                        flow.fingerprints.add(str(fp))
                    flow.tokens += 1
            if flow.tokens:
                flow.status = "masked"
        names = [columns[i] for i in keep]
        masked_rows = [[col[r] for col in masked_cols] for r in range(len(rows))]
        return names, masked_rows, flows, dropped

    def _mask_column(
        self,
        name: str,
        values: Sequence[Any],
        etype: str | None,
        *,
        force: bool,
        scope: str | None,
        principal: str | None,
    ) -> list[_Cell]:
        cache: dict[Any, _Cell] = {}
        cells: list[_Cell] = []
        for value in values:
            key = (type(value).__name__, value) if _hashable(value) else None
            if key is not None and key in cache:
                cells.append(cache[key])
                continue
            cell = self._mask_cell(name, value, etype, force=force, scope=scope, principal=principal)
            if key is not None:
                cache[key] = cell
            cells.append(cell)
        if etype is None:
            # Classification by values: most cells were one whole entity of a type, so the
            # rest of the column (values the detector alone missed) gets that type too.
            present = [c for v, c in zip(values, cells, strict=True) if _maskable(v)]
            vtype = classify_by_values([c.whole_type for c in present])
            if vtype is not None:
                for idx, (value, cell) in enumerate(zip(values, cells, strict=True)):
                    if _maskable(value) and cell.whole_type is None and not cell.refs:
                        cells[idx] = self._typed(value, vtype, scope=scope, principal=principal)
        return cells

    def _mask_cell(
        self,
        name: str,
        value: Any,
        etype: str | None,
        *,
        force: bool,
        scope: str | None,
        principal: str | None,
    ) -> _Cell:
        if isinstance(value, bytes | bytearray | memoryview):
            return _Cell(masked=f"<BLOB {len(bytes(value))} bytes>")  # never echo binary content
        if not _maskable(value):
            return _Cell(masked=value)
        if etype is not None:
            return self._typed(value, etype, scope=scope, principal=principal)
        text = value if isinstance(value, str) else str(value)
        if not isinstance(value, str) and len(text) < 6:
            return _Cell(masked=value)  # small numbers: counts, ids, amounts
        result = self.guard.mask_result(
            text, scope=scope, principal=principal, source=f"{self.recipient}:{name}"
        )
        refs = list(getattr(result, "entities", ()) or ())
        if result.text == text:
            return _Cell(masked=value, refs=refs)
        whole = None
        if len(refs) == 1 and result.text.strip() == str(getattr(refs[0], "token", "")):
            whole = str(getattr(refs[0], "entity_type", "")) or None
        return _Cell(masked=result.text, refs=refs, whole_type=whole)

    def _typed(self, value: Any, etype: str, *, scope: str | None, principal: str | None) -> _Cell:
        """The whole cell as one value of ``etype`` (same token as anywhere else in the scope)."""
        text = value if isinstance(value, str) else str(value)
        masker = getattr(self.guard, "mask_value", None)
        if masker is None:
            # Older Guard without typed masking: detect in the cell, and if the detector
            # finds nothing, hide the cell rather than let a classified value through.
            result = self.guard.mask_result(text, scope=scope, principal=principal, source=self.recipient)
            refs = list(getattr(result, "entities", ()) or ())
            if refs:
                return _Cell(masked=result.text, refs=refs, whole_type=etype)
            return _Cell(masked=f"[REDACTED:{etype}]", refs=[], whole_type=etype)
        result = masker(text, etype, scope=scope, principal=principal, source=self.recipient)
        refs = list(getattr(result, "entities", ()) or ())
        return _Cell(masked=result.text, refs=refs, whole_type=etype)

    # ------------------------------------------------------------------ records

    def _record_lineage(
        self,
        checked: CheckedQuery,
        bound: BoundQuery,
        flows: Sequence[ColumnFlow],
        scope: str | None,
        principal: str | None,
        run_id: str,
        step_id: str,
        parent_id: str | None,
        query: str,
    ) -> None:
        recorder = getattr(self.guard, "recorder", None)
        if recorder is None:
            return
        recorder.node(
            run_id,
            step_id,
            "sql_query",
            self.name,
            parent_id=parent_id,
            scope=scope,
            principal=principal,
            database=self.db.label,
            dialect=checked.dialect,
            tables=list(checked.tables),
        )
        record_query_lineage(
            recorder, run_id, step_id, flows, scope=scope, principal=principal, tables=checked.tables
        )
        if bound.revealed:
            # Values the tool resolved from tokens went into the database as bound parameters.
            types = sorted({str(getattr(r, "entity_type", "")) for r in bound.revealed})
            fps = sorted(
                {str(getattr(r, "fingerprint", "")) for r in bound.revealed if getattr(r, "fingerprint", "")}
            )
            for table in checked.tables:
                recorder.edge(
                    run_id,
                    step_id,
                    f"table:{table}",
                    entity_types=types,
                    fingerprints=fps,
                    status="revealed",
                    tokens=len(bound.revealed),
                    label="bound parameters",
                )

    def _audit_block(
        self, exc: BlockedError, *, scope: str | None, principal: str | None, run_id: str
    ) -> None:
        audit = getattr(self.guard, "audit", None)
        if audit is None:
            return
        audit.record(
            "guardrail",
            scope=scope,
            principal=principal,
            run_id=run_id,
            recipient=self.recipient,
            entity_type=getattr(exc, "entity_type", None),
            rule=getattr(exc, "rule", None) or "sql",
            detail=str(exc),
        )

    def _safe_text(self, text: str, *, scope: str | None, principal: str | None) -> str:
        try:
            return self.guard.mask(text, scope=scope, principal=principal)
        except GuardError:
            return "(error details withheld)"

    def _error_result(self, message: str, rule: str | None) -> SqlResult:
        return SqlResult(
            content=f"Error: {message}",
            artifact={
                "error": message,
                "rule": rule,
                "columns": [],
                "rows": [],
                "row_count": 0,
                "truncated": False,
            },
            error=message,
            rule=rule,
        )


def _granted_guard(guard: Any, name: str, reveal: Sequence[str]) -> Any:
    """A view of ``guard`` whose policy also lets ``tool:<name>`` see ``reveal`` types."""
    if not reveal:
        return guard
    for attr in ("with_tool_grant", "granting"):
        method = getattr(guard, attr, None)
        if callable(method):
            return method(name, list(reveal))
    policy = getattr(guard, "policy", None)
    if policy is not None and hasattr(policy, "with_tool_grant") and hasattr(guard, "with_policy"):
        return guard.with_policy(policy.with_tool_grant(name, list(reveal)))
    raise InputError("this Guard cannot grant tool-specific reveal types; configure them in the policy")


def _align(out_cols: Sequence[OutputColumn] | None, columns: Sequence[str]) -> list[OutputColumn | None]:
    """Output-column info by result position; all ``None`` when the shapes disagree."""
    if out_cols is None or len(out_cols) != len(columns):
        return [None] * len(columns)
    return list(out_cols)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _maskable(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return True


def _cell_text(value: Any) -> str:
    if value is None:
        return "NULL"
    text = value if isinstance(value, str) else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def render_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    truncated: bool = False,
    limit: int | None = None,
    dropped: Sequence[str] = (),
) -> str:
    """Rows as a Markdown table the model can read, with a one-line footer."""
    if not columns:
        body = "(no columns)"
    else:
        lines = [
            "| " + " | ".join(_cell_text(c) for c in columns) + " |",
            "|" + "|".join("---" for _ in columns) + "|",
        ]
        lines += ["| " + " | ".join(_cell_text(v) for v in row) + " |" for row in rows]
        body = "\n".join(lines)
    n = len(rows)
    footer = f"({n} row{'s' if n != 1 else ''}"
    if truncated:
        footer += f"; truncated at the {limit}-row limit: add a WHERE clause or aggregate"
    footer += ")"
    if dropped:
        footer += f"\n(columns hidden by policy: {', '.join(dropped)})"
    return f"{body}\n{footer}"
