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
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
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
    #: TokenRefs whose raw values the query used as bound parameters (types and fingerprints only).
    revealed: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None


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
        timeout: float | None = 30.0,
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
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
        ):
            raise InputError(f"timeout must be a positive number of seconds or None, got {timeout!r}")
        self.timeout = timeout

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
        record_step: bool = True,
    ) -> SqlResult:
        """Check, bind, execute, mask and record one query.  Never raises for a refused query.

        ``run_id`` is the lineage graph (root run), ``step_id`` this query's node in it.
        ``record_step=False`` when something else (guardllm's callback handler) already
        draws the step node and its model-facing edges; table and column lineage is
        recorded either way.
        """
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
            columns, rows = self.db.execute(bound, checked.fetch, self.timeout)
        except GuardError:
            raise
        except Exception as exc:  # the driver's error, cleaned: it may quote the statement or values
            message = self._safe_text(_db_error_text(exc, bound), scope=scope, principal=principal)
            return self._error_result(f"the database returned an error: {message}", "sql.database")

        truncated = checked.capped and len(rows) > checked.limit
        rows = rows[: checked.limit]
        out_cols = _align(checked.columns, columns)
        try:
            names, masked_rows, flows, dropped = self._mask_rows(columns, rows, out_cols, scope, principal)
        except BlockedError as exc:
            # A value in the result has a policy action of ``block``: nothing of it goes out.
            self._audit_block(exc, scope=scope, principal=principal, run_id=run_id)
            return self._error_result(
                f"the result holds data this policy blocks ({exc}); select other columns",
                exc.rule or "policy.block",
            )
        self._record_lineage(checked, bound, flows, scope, principal, run_id, step_id, parent_id, record_step)
        self._audit_call(
            checked, bound, flows, len(masked_rows), scope=scope, principal=principal, run_id=run_id
        )
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
        return SqlResult(content=content, artifact=artifact, revealed=list(bound.revealed))

    # ------------------------------------------------------------------ tokens in queries

    def _resolver(self, scope: str | None, principal: str | None) -> Callable[[str], Resolution]:
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
        """Mask the result column-aware; return kept names, masked rows, per-column flows, dropped names.

        One ``mask_object`` call masks the whole table (one audit record; column names
        are structure evidence for the detector).  Then every column the name, the
        lineage, the rules or the values say is of one type gets each cell that is
        not yet one whole token masked as that type (``mask_value``), so a value the
        detector alone would miss still becomes the scope's token.
        """
        action = self.rules.forbidden_columns_action
        flows: list[ColumnFlow] = []
        dropped: list[str] = []
        plans: list[tuple[int, str, str | None, bool]] = []  # (index, name, forced type, forbidden)
        for i, name in enumerate(columns):
            oc = out_cols[i]
            sources = tuple(oc.sources) if oc is not None else ()
            flows.append(ColumnFlow(name=name, sources=sources, status="raw"))
            forbidden = oc is not None and oc.is_forbidden
            if forbidden and action == "drop":
                dropped.append(name)
                flows[i].status = "masked"
                continue
            etype, _evidence = classify_column(name, sources)
            if forbidden and etype is None:
                etype = CONFIDENTIAL
            plans.append((i, name, etype, forbidden))

        # Each distinct value of a column is scanned once (same value, same token anyway);
        # None, booleans, blobs and small numbers (ids, counts, amounts) are not values to scan.
        distinct: list[dict[Any, int]] = []
        table: list[list[dict[str, Any]]] = []
        for i, name, _t, _f in plans:
            seen: dict[Any, int] = {}
            cells_in: list[dict[str, Any]] = []
            for row in rows:
                key = _cell_key(row[i])
                if key is not None and key not in seen:
                    seen[key] = len(cells_in)
                    cells_in.append({name: _scannable(row[i])})
            distinct.append(seen)
            table.append(cells_in)
        masked_table = self.guard.mask_object(table, scope=scope, principal=principal, source=self.recipient)

        masked_cols: list[list[Any]] = []
        for c, (i, name, etype, forbidden) in enumerate(plans):
            raw = [row[i] for row in rows]
            cells = []
            for value in raw:
                key = _cell_key(value)
                masked = masked_table[c][distinct[c][key]][name] if key is not None else None
                cells.append(_shown(value, masked))
            refs_by_token = self._refs_in(cells, scope)
            whole = [_whole_type(cell, refs_by_token) for cell in cells]
            force = etype
            if force is None:
                # Classification by values: most cells were one whole value of a type.
                force = classify_by_values([w for v, w in zip(raw, whole, strict=True) if _maskable(v)])
            if force is not None:
                for r, value in enumerate(raw):
                    if _maskable(value) and whole[r] is None:
                        cells[r], extra = self._typed(
                            value, force, forbidden, scope=scope, principal=principal
                        )
                        for ref in extra:
                            refs_by_token[str(getattr(ref, "token", ""))] = ref
            flow = flows[i]
            for cell in cells:
                if not isinstance(cell, str):
                    continue
                for token, ref in refs_by_token.items():
                    if token and token in cell:
                        flow.entity_types.add(str(getattr(ref, "entity_type", "")))
                        fp = getattr(ref, "fingerprint", None)
                        if fp:
                            flow.fingerprints.add(str(fp))
                        flow.tokens += cell.count(token)
            if flow.tokens:
                flow.status = "masked"
            masked_cols.append(cells)
        names = [name for _i, name, _t, _f in plans]
        masked_rows = [[col[r] for col in masked_cols] for r in range(len(rows))]
        return names, masked_rows, flows, dropped

    def _refs_in(self, cells: Sequence[Any], scope: str | None) -> dict[str, Any]:
        """Token -> TokenRef for every token of this scope in the column's masked cells."""
        text = "\n".join(c for c in cells if isinstance(c, str))
        refs: dict[str, Any] = {}
        if not text:
            return refs
        for ref in self.guard.find_tokens(text, scope=scope):
            refs.setdefault(str(ref.token), ref)
        for m in _REDACTED.finditer(text):  # secrets / redact: nothing stored, the type is in the text
            refs.setdefault(m.group(0), _TypeOnly(m.group(0), m.group(1)))
        return refs

    def _typed(
        self, value: Any, etype: str, forbidden: bool, *, scope: str | None, principal: str | None
    ) -> tuple[str, list[Any]]:
        """The whole cell as one value of ``etype`` -- the same token as anywhere else in the scope."""
        result = self.guard.mask_value(value, etype, scope=scope, principal=principal, source=self.recipient)
        refs = list(getattr(result, "entities", ()) or ())
        text = value if isinstance(value, str) else str(value)
        if forbidden and (not refs or result.text == text):
            # The policy lets this type through, but the SQL rules forbid the column: hide it anyway.
            result = self.guard.mask_value(
                value, CONFIDENTIAL, scope=scope, principal=principal, source=self.recipient
            )
            refs = list(getattr(result, "entities", ()) or ())
        return result.text, refs

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
        record_step: bool,
    ) -> None:
        recorder = self.guard.recorder
        common = {"scope": scope, "principal": principal}
        if record_step:
            recorder.node(
                run_id,
                step_id,
                "tool",
                self.name,
                parent_id=parent_id,
                **common,
                guarded=True,
                sql=True,
                database=self.db.label,
                dialect=checked.dialect,
            )
        record_query_lineage(recorder, run_id, step_id, flows, tables=checked.tables, **common)
        if bound.revealed:
            # Values resolved from tokens went into the database as bound parameters.
            types = sorted({str(getattr(r, "entity_type", "")) for r in bound.revealed})
            fps = sorted({str(r.fingerprint) for r in bound.revealed if getattr(r, "fingerprint", "")})
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
        if record_step:
            types = sorted({t for f in flows for t in f.entity_types})
            fps = sorted({fp for f in flows for fp in f.fingerprints})
            recorder.node(run_id, "sink:model", "sink", "model", **common)
            recorder.edge(
                run_id,
                step_id,
                "sink:model",
                entity_types=types,
                fingerprints=fps,
                status="masked" if types else "raw",
                tokens=sum(f.tokens for f in flows),
                label="tool_result",
            )

    def _audit_call(
        self,
        checked: CheckedQuery,
        bound: BoundQuery,
        flows: Sequence[ColumnFlow],
        rows: int,
        *,
        scope: str | None,
        principal: str | None,
        run_id: str,
    ) -> None:
        types = sorted({t for f in flows for t in f.entity_types})
        self.guard.audit.record(
            "tool_call",
            run_id=run_id,
            scope=scope,
            principal=principal,
            recipient=self.recipient,
            entity_types=types,
            fingerprints=sorted(
                {str(r.fingerprint) for r in bound.revealed if getattr(r, "fingerprint", "")}
            ),
            counts={
                "rows": rows,
                "revealed": len(bound.revealed),
                "masked_cells": sum(f.tokens for f in flows),
            },
            detail=f"{self.name}: {', '.join(checked.tables) or 'no table'}",
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


def _db_error_text(exc: BaseException, bound: BoundQuery) -> str:
    """The driver's message without the statement, the parameters or any bound value.

    SQLAlchemy appends ``[SQL: ...] [parameters: (...)]`` -- the parameters are the
    raw values resolved from tokens -- so only the DBAPI error's own text is kept.
    """
    orig = getattr(exc, "orig", None)
    err = orig if isinstance(orig, BaseException) else exc
    text = str(err).split("[SQL:", 1)[0].split("\n(Background on this error", 1)[0].strip()
    for value in bound.params.values():
        if isinstance(value, str) and value:
            text = text.replace(value, "?")
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _align(out_cols: Sequence[OutputColumn] | None, columns: Sequence[str]) -> list[OutputColumn | None]:
    """Output-column info by result position; all ``None`` when the shapes disagree."""
    if out_cols is None or len(out_cols) != len(columns):
        return [None] * len(columns)
    return list(out_cols)


_REDACTED = re.compile(r"\[REDACTED:([A-Z][A-Z0-9_]*)\]")


@dataclass(frozen=True, slots=True)
class _TypeOnly:
    """A masked value that left no vault entry (secret / redact): its type is all there is."""

    token: str
    entity_type: str
    fingerprint: str = ""


def _cell_key(value: Any) -> Any:
    """Dedup key of a cell worth scanning, ``None`` for cells that are not (they are shown as-is)."""
    if value is None or isinstance(value, bool | bytes | bytearray | memoryview):
        return None
    if isinstance(value, int | float) and abs(value) < 100_000:
        return None  # too short to be an identifier the detector knows
    if isinstance(value, str) and not value.strip():
        return None
    return (type(value).__name__, value if isinstance(value, str | int | float) else str(value))


def _scannable(value: Any) -> Any:
    if value is None or isinstance(value, bool | bytes | bytearray | memoryview):
        return None
    if isinstance(value, str | int | float):
        return value
    return str(value)  # Decimal, date, UUID...: scanned as their text


def _shown(raw: Any, masked: Any) -> Any:
    """What the model sees for one cell."""
    if isinstance(raw, bytes | bytearray | memoryview):
        return f"<BLOB {len(bytes(raw))} bytes>"  # never echo binary content
    if masked is None:
        return raw  # not a value worth scanning (None, flag, small number, blank)
    if isinstance(masked, str) and not isinstance(raw, str) and masked == str(raw):
        return raw  # an undetected number or date keeps its type
    return masked


def _whole_type(cell: Any, refs: Mapping[str, Any]) -> str | None:
    """The type of the single token that is the whole cell, else ``None``."""
    if not isinstance(cell, str):
        return None
    ref = refs.get(cell.strip())
    return str(getattr(ref, "entity_type", "")) or None if ref is not None else None


def _maskable(value: Any) -> bool:
    if value is None or isinstance(value, bool | bytes | bytearray | memoryview):
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
