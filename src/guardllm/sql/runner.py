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

import contextlib
import logging
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from guardllm.detect.types import is_secret
from guardllm.errors import BlockedError, DetectionError, GuardError, InputError
from guardllm.sql.columns import NAME_TYPES, classify_by_values, classify_column
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
#: Checked queries remembered per tool, and the longest query text remembered.
_CHECK_CACHE_SIZE = 256
_CHECK_CACHE_MAX_CHARS = 8192


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
        # Types the policy shows raw are no secret, so filtering on their columns is no oracle.
        options.setdefault(
            "visible_types",
            frozenset(t for t in NAME_TYPES if not is_secret(t) and guard.policy.action_for(t) == "allow"),
        )
        self.rules = SqlRules(dialect=self.db.dialect, **options)
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
        ):
            raise InputError(f"timeout must be a positive number of seconds or None, got {timeout!r}")
        self.timeout = timeout
        self._checked: OrderedDict[str, tuple[SqlRules, CheckedQuery]] = OrderedDict()
        self._checked_lock = threading.Lock()

    # ------------------------------------------------------------------ public

    def check(self, query: str) -> CheckedQuery:
        """Run the guardrails only (no execution, no audit).

        An agent sends the same few queries again and again, and parsing, qualifying and
        tracing one costs about a millisecond: a query that passed is remembered (bounded
        LRU) and reused only while the rules are the same object and the schema of its
        tables is unchanged.  Refusals are not remembered (they are re-checked).
        """
        cacheable = isinstance(query, str) and len(query) <= _CHECK_CACHE_MAX_CHARS
        hit = None
        if cacheable:
            with self._checked_lock:
                hit = self._checked.get(query)
                if hit is not None:
                    self._checked.move_to_end(query)
        if hit is not None:
            rules, checked = hit
            if rules is self.rules and self.db.table_columns(checked.tables) == checked.schema:
                return checked
        checked = check_query(query, self.rules, self.db.table_columns)
        if cacheable:
            with self._checked_lock:
                self._checked[query] = (self.rules, checked)
                while len(self._checked) > _CHECK_CACHE_SIZE:
                    self._checked.popitem(last=False)
        return checked

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
            # The refusal may quote what the model wrote (a table name): masked for the
            # model and the audit log alike.
            message = self._safe_text(str(exc), scope=scope, principal=principal)
            self._audit_block(exc, message, scope=scope, principal=principal, run_id=run_id)
            return self._error_result(message, exc.rule)
        except BlockedError as exc:  # the Guard refused (policy block) while resolving a token
            message = self._safe_text(str(exc), scope=scope, principal=principal)
            self._audit_block(exc, message, scope=scope, principal=principal, run_id=run_id)
            return self._error_result(message, exc.rule or "policy.block")

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
            self._audit_block(exc, str(exc), scope=scope, principal=principal, run_id=run_id)
            return self._error_result(
                f"the result holds data this policy blocks ({exc}); select other columns",
                exc.rule or "policy.block",
            )
        with self._batch():  # the lineage graph of the query and its audit record: one commit
            self._record_lineage(
                checked, bound, flows, scope, principal, run_id, step_id, parent_id, record_step
            )
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

    def _batch(self) -> Any:
        """Group store writes into one commit (a duck-typed guard may not offer it)."""
        batch = getattr(self.guard, "batch", None)
        return batch() if batch is not None else contextlib.nullcontext()

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

        1. The distinct cells worth scanning go through the detector once, as one table
           (column names are structure evidence).
        2. Every column the name, the lineage, the rules or the values say is of one type
           gets each cell the detector did not find whole planned as one value of that
           type (a value the detector alone would miss still becomes the scope's token).
        3. One ``mask_object`` call applies every finding: one vault pass and one audit
           record for the whole table, instead of one ``mask_value`` (and one audit
           record) per cell.
        """
        action = self.rules.forbidden_columns_action
        policy = self.guard.policy
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

        # Each distinct value of a column is planned once (same value, same token anyway);
        # None, booleans, blobs and small numbers (ids, counts, amounts) are not scanned.
        index: list[dict[Any, int]] = []  # per planned column: value key -> row of ``table``
        table: list[list[dict[str, Any]]] = []
        keys: list[list[Any]] = []  # per planned column, per row: the value's key (None: not maskable)
        extras: list[list[Any]] = []  # per planned column: keys of maskable cells not scanned
        for i, name, _t, _f in plans:
            seen: dict[Any, int] = {}
            cells_in: list[dict[str, Any]] = []
            col_keys: list[Any] = []
            extra: dict[Any, None] = {}
            for row in rows:
                value = row[i]
                key = _cell_key(value)
                if key is None:
                    key = _force_key(value)  # a small number is still maskable as a typed value
                    if key is not None:
                        extra[key] = None
                elif key not in seen:
                    seen[key] = len(cells_in)
                    cells_in.append({name: _scannable(value)})
                col_keys.append(key)
            index.append(seen)
            table.append(cells_in)
            keys.append(col_keys)
            extras.append(list(extra))
        by_cell: dict[tuple[int, int], list[Any]] = {}
        for f in self._detect(table, scope, principal):
            path = tuple(getattr(f, "path", ()) or ())
            if len(path) == 3:
                by_cell.setdefault((path[0], path[1]), []).append(f)
        masks: dict[str, bool] = {}  # entity type -> does the policy mask it

        def masked_type(etype: str) -> bool:
            hit = masks.get(etype)
            if hit is None:
                hit = masks[etype] = is_secret(etype) or policy.action_for(etype) != "allow"
            return hit

        for c, (_i, name, etype, forbidden) in enumerate(plans):
            # The type of the finding that covers each scanned cell whole (None: none does).
            cover = [
                _covering_type(by_cell.get((c, k), ()), _leaf_text(cell[name]), masked_type)
                for k, cell in enumerate(table[c])
            ]
            force = etype
            if force is None:
                # Classification by values: most cells were one whole value of a type.
                types = []
                for key in keys[c]:
                    if key is not None:
                        k = index[c].get(key)
                        types.append(cover[k] if k is not None else None)
                force = classify_by_values(types)
            if force is None:
                continue
            if forbidden and not masked_type(force):
                # The policy lets this type through, but the SQL rules forbid the column.
                force = CONFIDENTIAL
            for key in extras[c]:  # not scanned: planned as a whole value only
                index[c][key] = len(table[c])
                table[c].append({name: _scannable(key[1])})
                cover.append(None)
            for k, cell in enumerate(table[c]):
                if cover[k] is None:  # the detector did not find the whole cell: the column's type
                    text = _leaf_text(cell[name])
                    by_cell[(c, k)] = [_Planned(force, 0, len(text), text, (c, k, str(name)))]

        findings = [f for fs in by_cell.values() for f in fs]
        masker = self.guard.with_policy(self.guard.policy)  # same vault, audit, keys
        masker.detector = _PlannedDetector(findings)
        with self._batch():  # new tokens and the mask record: one commit, not one per value
            masked_table = masker.mask_object(table, scope=scope, principal=principal, source=self.recipient)
        refs = self._refs_in(
            [cell[name] for c, (_i, name, _t, _f) in enumerate(plans) for cell in masked_table[c]], scope
        )

        matcher = _TokenMatcher(refs)
        masked_cols: list[list[Any]] = []
        for c, (i, name, _etype, _forbidden) in enumerate(plans):
            cells = []
            col_index, col_masked = index[c], masked_table[c]
            for row, key in zip(rows, keys[c], strict=True):
                k = col_index.get(key) if key is not None else None
                cells.append(_shown(row[i], col_masked[k][name] if k is not None else None))
            _attribute(flows[i], cells, matcher)
            masked_cols.append(cells)
        names = [name for _i, name, _t, _f in plans]
        masked_rows = [[col[r] for col in masked_cols] for r in range(len(rows))]
        return names, masked_rows, flows, dropped

    def _detect(self, table: Any, scope: str | None, principal: str | None) -> list[Any]:
        """Findings of the guard's detector in ``table``; fail closed like the guard does."""
        detector = getattr(self.guard, "detector", None)
        try:
            if detector is None:
                from guardllm.detect import scan_object

                return list(scan_object(table))
            if hasattr(detector, "scan_object"):
                return list(detector.scan_object(table))
            out: list[Any] = []  # a text-only detector: cell by cell
            for c, cells in enumerate(table):
                for k, cell in enumerate(cells):
                    for name, value in cell.items():
                        if value is None:
                            continue
                        for f in detector.scan(_leaf_text(value)):
                            out.append(_Planned(f.entity_type, f.start, f.end, "", (c, k, name)))
            return out
        except GuardError:
            raise
        except Exception as exc:
            if not getattr(self.guard, "fail_open", False):
                raise DetectionError(
                    f"detection failed ({type(exc).__name__}); nothing was let through"
                ) from None
            self.guard.audit.record(
                "fail_open",
                principal=principal,
                scope=scope,
                source=self.recipient,
                detail=type(exc).__name__,
            )
            return []  # typed columns are still masked whole below

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
        self, exc: BlockedError, detail: str, *, scope: str | None, principal: str | None, run_id: str
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
            detail=detail,
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


@dataclass(frozen=True, slots=True)
class _Planned:
    """A finding the SQL runner decided on (a typed column's cell, masked whole)."""

    entity_type: str
    start: int
    end: int
    text: str = field(repr=False)
    path: tuple[Any, ...] = ()


class _PlannedDetector:
    """Hands ``mask_object`` the findings planned for one result table.

    The guard's own detector already ran over the table; this lets the guard apply
    those findings plus the typed-column ones in a single pass.
    """

    def __init__(self, findings: Sequence[Any]) -> None:
        self._findings = list(findings)

    def scan_object(self, obj: Any) -> list[Any]:
        return self._findings

    def scan(self, text: str) -> list[Any]:  # pragma: no cover - mask_object uses scan_object
        raise DetectionError("the SQL result planner only masks its own table")


def _leaf_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def _covering_type(findings: Iterable[Any], text: str, masked_type: Callable[[str], bool]) -> str | None:
    """Type of a finding that covers the whole (stripped) cell and is masked, else ``None``."""
    lead = len(text) - len(text.lstrip())
    tail = len(text.rstrip())
    if tail <= lead:
        return None
    for f in findings:
        if f.start <= lead and f.end >= tail:
            etype = str(f.entity_type)
            if masked_type(etype):
                return etype
    return None


def _force_key(value: Any) -> Any:
    """Dedup key of any cell that can be masked (``None`` for NULL, flags, blobs, blanks)."""
    if not _maskable(value):
        return None
    return (type(value).__name__, value if isinstance(value, str | int | float) else str(value))


_BRACKETED = re.compile(r"\[[^\[\]\s]{1,80}\]")


class _TokenMatcher:
    """Finds the known tokens in masked cells, in one linear pass per distinct cell.

    Bracketed tokens (``[EMAIL_1]``, ``[REDACTED:AWS_KEY]``, ``[CARD:ab12cd34]``) are found
    by their shape and looked up; only the other forms (surrogates, kept last-4) go
    into an alternation, usually empty.  Testing every token against every cell
    instead cost ~ cells x tokens substring searches per column.
    """

    def __init__(self, refs: Mapping[str, Any]) -> None:
        self.refs = refs
        others = sorted((t for t in refs if t and not _BRACKETED.fullmatch(t)), key=len, reverse=True)
        self._others = re.compile("|".join(re.escape(t) for t in others)) if others else None
        self._memo: dict[str, list[Any]] = {}

    def refs_in(self, cell: str) -> list[Any]:
        hit = self._memo.get(cell)
        if hit is not None:
            return hit
        whole = self.refs.get(cell)
        if whole is not None:
            found = [whole]
        else:
            found = [r for m in _BRACKETED.finditer(cell) if (r := self.refs.get(m.group(0))) is not None]
            if self._others is not None:
                found += [self.refs[m.group(0)] for m in self._others.finditer(cell)]
        if len(self._memo) < 65536:
            self._memo[cell] = found
        return found


def _attribute(flow: ColumnFlow, cells: Sequence[Any], matcher: _TokenMatcher) -> None:
    """Add the types, fingerprints and token count of the tokens in ``cells`` to ``flow``."""
    for cell in cells:
        if not isinstance(cell, str):
            continue
        for ref in matcher.refs_in(cell):
            flow.entity_types.add(str(getattr(ref, "entity_type", "")))
            fp = getattr(ref, "fingerprint", None)
            if fp:
                flow.fingerprints.add(str(fp))
            flow.tokens += 1
    if flow.tokens:
        flow.status = "masked"


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
