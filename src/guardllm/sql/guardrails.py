"""Read-only SQL guardrails from a real parser (sqlglot), in the engine's dialect.

Pure functions over sqlglot ASTs: nothing here touches a database or LangChain.
:func:`check_query` parses the model's SQL, refuses anything that is not a single
read-only query, enforces a row limit, applies table and column allow/deny lists
(``SELECT *`` is expanded with the schema first, aliases and subqueries are
followed), and returns the AST to execute.

The SQL that runs is always *generated from the checked AST* (without comments),
never the model's original text, so what was checked is what executes.

A column the rules forbid may only be *selected as-is* (directly, or through
aliases, derived tables, CTEs and unions); the tool then tokenizes or drops its
values.  Any other use -- a filter, join key, ``ORDER BY``, ``GROUP BY`` or an
expression over it -- is refused, because each of those turns the query into an
oracle on the hidden values (``WHERE ssn LIKE '1%'``).

The same holds, by default, for every column whose *name* says it holds a kind
of personal data the tool only shows as tokens (``customers.ssn``,
``customers.email``: :func:`guardllm.sql.columns.classify_name`, followed through
aliases, subqueries, CTEs and ``SELECT *``).  The one other use allowed for such a
column is ``col = '[TOKEN]'`` / ``col <> '[TOKEN]'`` / ``col IN ('[TOKEN]', ...)``
on a base-table column: the token becomes a bound parameter, and only when the
tool is granted its type (:mod:`guardllm.sql.params`).
"""

from __future__ import annotations

import contextlib
import contextvars
import fnmatch
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope

from guardllm.errors import BlockedError, InputError
from guardllm.sql.columns import classify_name
from guardllm.sql.lineage import output_sources

__all__ = [
    "DEFAULT_DENIED_FUNCTIONS",
    "CheckedQuery",
    "ForbiddenAction",
    "OutputColumn",
    "SchemaLookup",
    "SqlGuardrailError",
    "SqlRules",
    "check_query",
    "parse_single_statement",
]

ForbiddenAction = Literal["tokenize", "drop", "block"]
#: ``{table: {column: type}}`` or a callable that returns it for the requested table names.
SchemaLookup = Callable[[Iterable[str]], Mapping[str, Mapping[str, str]]]

# Rule names, as they appear in audit records and BlockedError.rule.
RULE_PARSE = "sql.parse"
RULE_EMPTY = "sql.empty"
RULE_MULTI = "sql.multi_statement"
RULE_READ_ONLY = "sql.read_only"
RULE_FUNCTION = "sql.function"
RULE_PARAMETER = "sql.parameter"
RULE_TABLE = "sql.table"
RULE_UNKNOWN_TABLE = "sql.unknown_table"
RULE_COLUMN = "sql.column"
RULE_UNRESOLVED = "sql.unresolved_column"
RULE_PII_COLUMN = "sql.pii_column"

# A string literal that is exactly one token as the tool prints it ([EMAIL_1]); only such a
# literal may be compared with a PII column (sql.params binds it, or refuses it when the type
# is not granted).  A raw guess ('219-09-9999', 'maren_1@x.org') never has this shape, and
# a token with text around it ('[EMAIL_1]x') is refused rather than half-bound.
_TOKEN_LITERAL = re.compile(r"\[[A-Za-z][A-Za-z0-9_]*_[0-9]+\]")
# SQLite reads [EMAIL_1] as a quoted identifier: sqlglot sees a column named EMAIL_1.
_BARE_TOKEN = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*_[0-9]+$")

#: Functions with side effects outside the query (files, extensions, sleeping,
#: sequences, remote connections, running SQL text) across common engines.
# fmt: off
DEFAULT_DENIED_FUNCTIONS: frozenset[str] = frozenset(
    {
        # SQLite (core + fileio/zipfile extensions)
        "load_extension", "readfile", "writefile", "edit", "fsdir", "zipfile", "sqlar_compress",
        "sqlar_uncompress", "fts3_tokenizer",
        # PostgreSQL
        "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file", "pg_ls_logdir",
        "pg_ls_waldir", "pg_ls_tmpdir", "pg_ls_archive_statusdir", "lo_import", "lo_export", "lo_get",
        "lo_put", "lo_create", "lo_creat", "lo_unlink", "lo_from_bytea", "lo_open", "lo_write", "loread",
        "lowrite", "dblink", "dblink_exec", "dblink_connect", "dblink_connect_u", "dblink_send_query",
        "pg_sleep", "pg_sleep_for", "pg_sleep_until", "pg_terminate_backend", "pg_cancel_backend",
        "pg_reload_conf", "pg_rotate_logfile", "set_config", "nextval", "setval", "query_to_xml",
        "query_to_xml_and_xmlschema", "query_to_xmlschema", "cursor_to_xml", "pg_file_write",
        "pg_file_rename", "pg_file_unlink", "pg_logical_emit_message", "pg_create_restore_point",
        "pg_switch_wal", "pg_advisory_lock", "pg_advisory_xact_lock", "pg_try_advisory_lock",
        "txid_current", "pg_current_xact_id", "pg_notify", "pg_promote", "pg_import_system_collations",
        # MySQL / MariaDB
        "load_file", "sleep", "benchmark", "get_lock", "release_lock", "sys_exec", "sys_eval",
        "master_pos_wait", "source_pos_wait",
        # SQL Server
        "xp_cmdshell", "openrowset", "opendatasource", "openquery", "xp_regread", "xp_dirtree",
    }
)

# Node types that never belong in a read-only query, wherever they appear in the tree.
_WRITE_NODES: tuple[type[exp.Expr], ...] = tuple(
    getattr(exp, name)
    for name in (
        "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "TruncateTable", "Command",
        "Pragma", "Attach", "Detach", "Copy", "Set", "Grant", "Revoke", "Transaction", "Commit",
        "Rollback", "Into", "Lock", "Use", "LoadData", "Analyze", "Cache", "Uncache", "Refresh",
        "Kill", "Install", "Declare", "Execute", "Export", "Put", "Get", "Comment", "Describe",
        "Summarize", "Show",
    )
    if hasattr(exp, name)
)
# fmt: on

_SQLGLOT_DIALECTS = {
    "postgresql": "postgres",
    "psycopg": "postgres",
    "psycopg2": "postgres",
    "mariadb": "mysql",
    "mssql": "tsql",
    "sqlserver": "tsql",
    "sqlite3": "sqlite",
    "pysqlite": "sqlite",
}


def sqlglot_dialect(name: str | None) -> str:
    """Map an engine/driver name (SQLAlchemy's ``dialect.name``) to sqlglot's dialect name."""
    if not name:
        return "sqlite"
    key = name.lower().split("+", 1)[0]
    return _SQLGLOT_DIALECTS.get(key, key)


class SqlGuardrailError(BlockedError):
    """A guardrail refused the query before it reached the database.

    The message is written for the model: it says what to change.  It names
    tables, columns, functions and statement kinds -- never a value.
    """

    def __init__(self, message: str, *, rule: str, entity_type: str | None = None) -> None:
        super().__init__(message, entity_type=entity_type, rule=rule)


def _norm(name: str) -> str:
    return name.strip().strip('`"[]').lower()


def _match(patterns: Iterable[str], candidates: Iterable[str]) -> bool:
    cands = [c.lower() for c in candidates]
    return any(fnmatch.fnmatchcase(c, p) for p in patterns for c in cands)


@dataclass(frozen=True, slots=True)
class SqlRules:
    """What the SQL tool lets through.

    Table patterns match a table's name (``customers``, ``audit_*``).  Column
    patterns are ``table.column`` (``customers.ssn``, ``*.password``, ``hr.*``); a
    bare ``ssn`` means that column in any table.  ``allow_*`` is an allow-list
    (``None`` = everything not denied); deny wins over allow.
    """

    dialect: str = "sqlite"
    max_rows: int = 100
    allow_tables: tuple[str, ...] | None = None
    deny_tables: tuple[str, ...] = ()
    allow_columns: tuple[str, ...] | None = None
    deny_columns: tuple[str, ...] = ()
    forbidden_columns_action: ForbiddenAction = "tokenize"
    denied_functions: frozenset[str] = DEFAULT_DENIED_FUNCTIONS
    #: Entity types the tool shows raw (the policy allows them).  A column whose name
    #: classifies as any *other* type is read as tokens, so it may only be selected as-is
    #: (or compared with ``=``/``IN`` to a token).  Empty (the default) fails closed.
    visible_types: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not isinstance(self.max_rows, int) or isinstance(self.max_rows, bool) or self.max_rows < 1:
            raise InputError(f"max_rows must be a positive integer, got {self.max_rows!r}")
        if self.forbidden_columns_action not in ("tokenize", "drop", "block"):
            raise InputError(
                "forbidden_columns_action must be 'tokenize', 'drop' or 'block', "
                f"got {self.forbidden_columns_action!r}"
            )
        # Normalise once: lower-case patterns, bare column names apply to every table.
        object.__setattr__(self, "dialect", sqlglot_dialect(self.dialect))
        for name in ("allow_tables", "deny_tables"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, tuple(_norm(v) for v in _as_tuple(value, name)))
        for name in ("allow_columns", "deny_columns"):
            value = getattr(self, name)
            if value is not None:
                pats = tuple(_column_pattern(v) for v in _as_tuple(value, name))
                object.__setattr__(self, name, pats)
        object.__setattr__(self, "denied_functions", frozenset(f.lower() for f in self.denied_functions))
        object.__setattr__(
            self,
            "visible_types",
            frozenset(str(t).upper() for t in _as_tuple(self.visible_types, "visible_types")),
        )

    @property
    def has_column_rules(self) -> bool:
        return self.allow_columns is not None or bool(self.deny_columns)

    def table_allowed(self, table: str) -> bool:
        name = _norm(table)
        if _match(self.deny_tables, [name]):
            return False
        return self.allow_tables is None or _match(self.allow_tables, [name])

    def column_allowed(self, table: str, column: str) -> bool:
        key = f"{_norm(table)}.{_norm(column)}"
        if _match(self.deny_columns, [key]):
            return False
        return self.allow_columns is None or _match(self.allow_columns, [key])

    def hidden_type(self, column: str) -> str | None:
        """The entity type the tool reads ``column`` as tokens of (by name), or ``None``."""
        etype = classify_name(column)
        if etype is None or etype in self.visible_types:
            return None
        return etype


def _as_tuple(value: object, name: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    try:
        items = tuple(value)  # type: ignore[call-overload]
    except TypeError:
        raise InputError(f"{name} must be a list of names, got {type(value).__name__}") from None
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise InputError(f"{name} must contain non-empty strings")
    return items


def _column_pattern(pattern: str) -> str:
    parts = [_norm(p) for p in pattern.split(".")]
    if len(parts) == 1:
        return f"*.{parts[0]}"
    # schema.table.column -> table.column: tables are matched by bare name.
    return f"{parts[-2]}.{parts[-1]}"


@dataclass(frozen=True, slots=True)
class OutputColumn:
    """One column of the result, by position, with the base columns that feed it."""

    name: str
    sources: tuple[tuple[str, str], ...] = ()  # (table, column), lower-case
    forbidden: tuple[tuple[str, str], ...] = ()  # the subset of sources the rules forbid

    @property
    def is_forbidden(self) -> bool:
        return bool(self.forbidden)


@dataclass(slots=True)
class CheckedQuery:
    """A query that passed the guardrails, ready to be bound and executed."""

    expression: exp.Query  # what will run (row limit enforced), from the original AST
    dialect: str
    tables: tuple[str, ...]
    #: Output columns by position; ``None`` when the schema could not resolve them.
    columns: tuple[OutputColumn, ...] | None
    limit: int  # rows the caller may show
    fetch: int  # rows to fetch (limit + 1 when the tool itself capped the query)
    capped: bool  # True when the tool added or lowered the LIMIT
    qualified: exp.Query | None = field(default=None, repr=False)
    schema: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    def sql(self) -> str:
        """The SQL to execute, generated from the checked AST, without comments."""
        return self.expression.sql(dialect=self.dialect, comments=False)


# --------------------------------------------------------------------------- parsing


# sqlglot logs warnings that quote the SQL it is reading ("'<query>' contains unsupported
# syntax", "Cannot traverse scope '<literal>'"); a query can hold a value, so while guardllm
# checks one, sqlglot's own log records are dropped.  Other sqlglot users are unaffected.
_QUIET: contextvars.ContextVar[bool] = contextvars.ContextVar("guardllm_sqlglot_quiet", default=False)


class _QuietWhileChecking(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _QUIET.get()


_sqlglot_log = logging.getLogger("sqlglot")
if not any(isinstance(f, _QuietWhileChecking) for f in _sqlglot_log.filters):
    _sqlglot_log.addFilter(_QuietWhileChecking())


@contextlib.contextmanager
def quiet_sqlglot() -> Iterator[None]:
    """Drop sqlglot's log records (they may quote the query) for the duration of the block."""
    token = _QUIET.set(True)
    try:
        yield
    finally:
        _QUIET.reset(token)


def parse_single_statement(sql: str, dialect: str) -> exp.Query:
    """Parse exactly one read-only query, or raise :class:`SqlGuardrailError`."""
    if not isinstance(sql, str):
        raise InputError(f"query must be a string, got {type(sql).__name__}")
    if not sql.strip():
        raise SqlGuardrailError("the query is empty; write one SELECT statement", rule=RULE_EMPTY)
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except SqlglotError as exc:
        # sqlglot's message quotes the query text; keep only the position information.
        where = _error_position(exc)
        raise SqlGuardrailError(
            f"the query could not be parsed as {dialect} SQL{where}; write one plain SELECT statement",
            rule=RULE_PARSE,
        ) from None
    if not statements:
        raise SqlGuardrailError("the query is empty; write one SELECT statement", rule=RULE_EMPTY)
    if len(statements) > 1:
        raise SqlGuardrailError(
            f"only one statement per call is allowed (got {len(statements)}); send a single SELECT",
            rule=RULE_MULTI,
        )
    stmt = statements[0]
    while isinstance(stmt, exp.Subquery) and set(k for k, v in stmt.args.items() if v) == {"this"}:
        stmt = stmt.this  # "(SELECT ...)" on its own
    if not isinstance(stmt, exp.Select | exp.SetOperation):
        raise SqlGuardrailError(
            f"only SELECT statements are allowed (got {_kind(stmt)}); this tool is read-only",
            rule=RULE_READ_ONLY,
        )
    return stmt


def _error_position(exc: SqlglotError) -> str:
    errors = getattr(exc, "errors", None) or []
    if errors and isinstance(errors[0], dict) and errors[0].get("line"):
        return f" (line {errors[0]['line']}, column {errors[0].get('col')})"
    return ""


def _kind(node: exp.Expr) -> str:
    if isinstance(node, exp.Command):
        word = str(node.this or "").split()[:1]
        return (word[0] if word else "COMMAND").upper()
    if isinstance(node, exp.Alias | exp.Column | exp.Identifier):
        return "a bare expression"
    key = getattr(node, "key", "") or type(node).__name__
    return {"truncatetable": "TRUNCATE", "transaction": "BEGIN"}.get(key, key.upper().replace("_", " "))


def _check_read_only(stmt: exp.Query, rules: SqlRules) -> None:
    for node in stmt.walk():
        if isinstance(node, _WRITE_NODES):
            if isinstance(node, exp.Into):
                what = "SELECT ... INTO"
            elif isinstance(node, exp.Lock):
                what = "locking reads (FOR UPDATE/SHARE)"
            else:
                what = _kind(node)
            inside = (
                " inside a CTE or subquery"
                if node is not stmt and not isinstance(node, exp.Into | exp.Lock)
                else ""
            )
            raise SqlGuardrailError(
                f"only SELECT statements are allowed (found {what}{inside}); this tool is read-only",
                rule=RULE_READ_ONLY,
            )
        if isinstance(node, exp.Select) and not node.expressions:
            raise SqlGuardrailError("a SELECT has no columns; name the columns to return", rule=RULE_PARSE)
        if isinstance(node, exp.Placeholder | exp.Parameter):
            raise SqlGuardrailError(
                "query parameters/placeholders are not supported; write literal values (tokens such as "
                "[EMAIL_1] may be used as string literals)",
                rule=RULE_PARAMETER,
            )
        if isinstance(node, exp.Func):
            fname = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
            if fname in rules.denied_functions:
                raise SqlGuardrailError(
                    f"function {fname}() is not allowed in this tool (it has side effects outside the query)",
                    rule=RULE_FUNCTION,
                )
    if stmt.args.get("into") is not None:
        raise SqlGuardrailError("SELECT ... INTO is not allowed; this tool is read-only", rule=RULE_READ_ONLY)


# --------------------------------------------------------------------------- tables


def _cte_names(stmt: exp.Expr) -> set[str]:
    return {_norm(cte.alias_or_name) for cte in stmt.find_all(exp.CTE)}


def referenced_tables(stmt: exp.Expr) -> list[str]:
    """Base tables the query reads (CTE names excluded), lower-case, in first-seen order."""
    ctes = _cte_names(stmt)
    seen: dict[str, None] = {}
    for table in stmt.find_all(exp.Table):
        if not table.name:
            continue  # table-valued function
        name = _norm(table.name)
        if not table.args.get("db") and name in ctes:
            continue
        seen.setdefault(name, None)
    return list(seen)


def _check_tables(tables: list[str], rules: SqlRules) -> None:
    for table in tables:
        if not rules.table_allowed(table):
            raise SqlGuardrailError(f"table {table} is not allowed", rule=RULE_TABLE)


# --------------------------------------------------------------------------- limit


def _enforce_limit(stmt: exp.Query, max_rows: int) -> tuple[int, int, bool]:
    """Add or lower the LIMIT in place; return (limit, rows to fetch, capped)."""
    current = stmt.args.get("limit")
    requested: int | None = None
    if isinstance(current, exp.Limit) and isinstance(current.expression, exp.Literal):
        if current.expression.is_int:
            requested = int(current.expression.name)
    elif isinstance(current, exp.Fetch) and isinstance(current.args.get("count"), exp.Literal):
        count = current.args["count"]
        if count.is_int and not current.args.get("percent"):
            requested = int(count.name)
    if requested is not None and 0 <= requested <= max_rows:
        return requested, requested, False
    # Fetch one extra row so the tool can say the result was truncated.
    stmt.set("limit", exp.Limit(expression=exp.Literal.number(max_rows + 1)))
    return max_rows, max_rows + 1, True


# --------------------------------------------------------------------------- columns


def _bare_projection(node: exp.Expr) -> bool:
    """True when ``node`` is a whole SELECT-list item (optionally aliased)."""
    parent = node.parent
    if isinstance(parent, exp.Alias):
        node, parent = parent, parent.parent
    if isinstance(parent, exp.Paren):  # "(col)" is still the bare column
        return _bare_projection(parent)
    return isinstance(parent, exp.Select) and node.arg_key == "expressions"


def _projection_index(scope_expr: exp.Expr) -> list[exp.Expr]:
    return list(scope_expr.selects) if isinstance(scope_expr, exp.Query) else []


class _Taint:
    """Which forbidden base columns flow into every output column of every scope."""

    def __init__(self, rules: SqlRules, schema: Mapping[str, Mapping[str, str]]) -> None:
        self.rules = rules
        self.schema = schema
        self.outputs: dict[int, list[tuple[str, set[tuple[str, str]]]]] = {}

    def forbidden(self, table: str, column: str) -> set[tuple[str, str]]:
        """``{(table, column)}`` when the rules forbid it or the tool reads it as tokens only."""
        if self.rules.column_allowed(table, column) and self.rules.hidden_type(column) is None:
            return set()
        return {(_norm(table), _norm(column))}

    def policy_forbidden(self, taint: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """The part of ``taint`` the allow/deny rules forbid (the rest is PII read as tokens)."""
        return {(t, c) for t, c in taint if not self.rules.column_allowed(t, c)}

    def _token_comparison(self, scope: Scope, column: exp.Column, taint: set[tuple[str, str]]) -> bool:
        """``col = '[TOKEN]'``, ``col <> '[TOKEN]'``, ``col IN ('[TOKEN]', ...)`` on a base-table column.

        The supported way to look a row up by a value the model only knows as a token:
        the token is bound to its value only when the tool is granted its type.  A
        column the rules forbid, or one reached through a subquery/CTE (which could mix
        in the model's own guesses), does not qualify.
        """
        if self.policy_forbidden(taint) or not column.table:
            return False
        source = None
        current: Scope | None = scope
        while current is not None and source is None:
            source = current.sources.get(column.table)
            current = current.parent
        if not isinstance(source, exp.Table):
            return False
        parent = column.parent
        if isinstance(parent, exp.EQ | exp.NEQ):
            other = parent.expression if parent.this is column else parent.this
            return self._is_token_operand(scope, other)
        if isinstance(parent, exp.In) and parent.this is column and not parent.args.get("query"):
            items = parent.expressions
            return bool(items) and all(self._is_token_operand(scope, i) for i in items)
        return False

    def _is_token_operand(self, scope: Scope, node: exp.Expr) -> bool:
        """A string literal holding a token, or SQLite's ``[EMAIL_1]`` read as an unknown column.

        The bare form counts only when it names no real column: ``t.X_1`` of a CTE the
        model wrote (``WITH t AS (SELECT '219-..' AS X_1)``) is a guess, not a token.
        """
        if isinstance(node, exp.Literal):
            return node.is_string and bool(_TOKEN_LITERAL.fullmatch(node.this.strip()))
        if not (isinstance(node, exp.Column) and isinstance(node.this, exp.Identifier)):
            return False
        if not _BARE_TOKEN.match(node.name):
            return False
        name = _norm(node.name)
        current: Scope | None = scope
        while current is not None:
            sources = [current.sources.get(node.table)] if node.table else list(current.sources.values())
            for source in sources:
                if source is None:
                    continue
                if not isinstance(source, exp.Table):
                    return False  # a derived table or CTE could define that name
                if name in self.schema.get(_norm(source.name), {}):
                    return False
            current = current.parent
        return True

    def source_taint(self, scope: Scope, table_alias: str, column: str) -> set[tuple[str, str]] | None:
        """Taint of ``alias.column`` seen from ``scope`` (walking out for correlated refs)."""
        current: Scope | None = scope
        while current is not None:
            source = current.sources.get(table_alias)
            if isinstance(source, exp.Table):
                return self.forbidden(source.name, column)
            if isinstance(source, Scope):
                outs = self.outputs.get(id(source.expression), [])
                hits = [t for name, t in outs if name == _norm(column)]
                return set().union(*hits) if hits else set()
            current = current.parent
        return None

    def run(self, qualified: exp.Query) -> list[tuple[str, set[tuple[str, str]]]]:
        root_outputs: list[tuple[str, set[tuple[str, str]]]] = []
        for scope in traverse_scope(qualified):
            expr = scope.expression
            if isinstance(expr, exp.SetOperation):
                outs = self._set_operation_outputs(expr)
            else:
                outs = self._select_outputs(scope)
            self.outputs[id(expr)] = outs
            if scope.is_subquery and any(t for _, t in outs):
                holder = expr.parent if isinstance(expr.parent, exp.Subquery) else expr
                if not _bare_projection(holder):
                    self._refuse(
                        next(t for _, t in outs if t), "a subquery used in a condition or expression"
                    )
            root_outputs = outs
        return root_outputs

    def _set_operation_outputs(self, expr: exp.SetOperation) -> list[tuple[str, set[tuple[str, str]]]]:
        left = self.outputs.get(id(expr.left), [])
        right = self.outputs.get(id(expr.right), [])
        merged = []
        for i, (name, taint) in enumerate(left):
            other = right[i][1] if i < len(right) else set()
            merged.append((name, taint | other))
        if isinstance(expr, exp.Intersect | exp.Except) and any(t for _, t in merged):
            # Row membership in INTERSECT/EXCEPT tests hidden values against the other side.
            self._refuse(next(t for _, t in merged if t), "INTERSECT or EXCEPT")
        if isinstance(expr, exp.Union) and expr.args.get("distinct") and any(t for _, t in merged):
            # UNION de-duplicates (a guess on the other side merges with a hidden value) and
            # usually sorts to do it (the row order compares hidden values): UNION ALL is fine.
            self._refuse(next(t for _, t in merged if t), "UNION (use UNION ALL)")
        self._check_output_refs(expr, merged)
        return merged

    def _select_outputs(self, scope: Scope) -> list[tuple[str, set[tuple[str, str]]]]:
        select = scope.expression
        aliases = {_norm(s.alias_or_name): s for s in _projection_index(select)}
        projection_taint: dict[int, set[tuple[str, str]]] = {}
        for column in scope.columns:
            if isinstance(column.this, exp.Star):
                continue
            if column.table:
                taint = self.source_taint(scope, column.table, column.name)
                if taint is None:
                    continue  # external to every scope we know: the database will complain
            else:
                taint = self._unqualified_taint(scope, column, aliases)
            if not taint:
                continue
            if not _bare_projection(column) or _outer_select(column) is not select:
                if self._token_comparison(scope, column, taint):
                    continue  # a lookup by token: bound (or refused) by sql.params
                self._refuse(taint, _clause_of(column))
            projection_taint.setdefault(id(_projection_root(column)), set()).update(taint)
        # A table or alias used as a value (PostgreSQL ``SELECT c FROM t c``, ``row_to_json(c)``)
        # is the whole row: it carries every forbidden column of that table.
        for node in select.find_all(exp.TableColumn) if isinstance(select, exp.Select) else ():
            if _outer_select(node) is not select:
                continue
            taint = self._whole_row_taint(scope, _norm(node.name)) or set()
            if not taint:
                continue
            if not _bare_projection(node):
                self._refuse(taint, _clause_of(node))
            projection_taint.setdefault(id(_projection_root(node)), set()).update(taint)
        outs = []
        for proj in _projection_index(select):
            taint = set(projection_taint.get(id(proj), set()))
            # Scalar subqueries in the SELECT list carry their own output taint.
            for sub in proj.find_all(exp.Query):
                for _, t in self.outputs.get(id(sub), []):
                    taint |= t
            outs.append((_norm(proj.alias_or_name), taint))
        self._check_output_refs(select, outs)
        return outs

    def _check_output_refs(self, query: exp.Expr, outs: list[tuple[str, set[tuple[str, str]]]]) -> None:
        """Refuse ORDER BY / GROUP BY / HAVING that name a tainted output by alias or position."""
        by_name = {name: taint for name, taint in outs}
        for key in ("order", "group", "having", "qualify", "distinct"):
            clause = query.args.get(key)
            if not isinstance(clause, exp.Expr):
                continue
            items = (
                clause.expressions if isinstance(clause, exp.Order | exp.Group | exp.Distinct) else [clause]
            )
            for item in items:
                target = item.this if isinstance(item, exp.Ordered) else item
                if isinstance(target, exp.Literal) and target.is_int and key in ("order", "group"):
                    pos = int(target.name) - 1
                    if 0 <= pos < len(outs) and outs[pos][1]:
                        self._refuse(outs[pos][1], "ORDER BY" if key == "order" else "GROUP BY")
                for col in item.find_all(exp.Column):
                    if not col.table and by_name.get(_norm(col.name)):
                        label = {"order": "ORDER BY", "group": "GROUP BY"}.get(key, key.upper())
                        self._refuse(by_name[_norm(col.name)], label)

    def _unqualified_taint(
        self, scope: Scope, column: exp.Column, aliases: Mapping[str, exp.Expr]
    ) -> set[tuple[str, str]]:
        name = _norm(column.name)
        if name in aliases and aliases[name] is not column and not _bare_projection(column):
            # A reference to a SELECT-list alias (ORDER BY n): inherits that item's taint.
            alias_expr = aliases[name]
            taint: set[tuple[str, str]] = set()
            for col in alias_expr.find_all(exp.Column):
                if col.table:
                    taint |= self.source_taint(scope, col.table, col.name) or set()
            return taint
        # A table name or alias used as a value is the whole row (PostgreSQL: SELECT c FROM t c,
        # row_to_json(c)): it carries every forbidden column of that table.
        whole_row = self._whole_row_taint(scope, name)
        if whole_row is not None:
            return whole_row
        # Unresolved: fail closed if any table in scope has a forbidden column of that name.
        for source in scope.sources.values():
            if isinstance(source, exp.Table):
                cols = self.schema.get(_norm(source.name), {})
                if (name in cols and self.forbidden(source.name, name)) or (
                    self.rules.hidden_type(name) is not None and not _bare_projection(column)
                ):
                    raise SqlGuardrailError(
                        f"column {_norm(source.name)}.{name} is not allowed here; qualify columns "
                        "with their table and select only allowed columns",
                        rule=RULE_UNRESOLVED,
                    )
        return set()

    def _whole_row_taint(self, scope: Scope, name: str) -> set[tuple[str, str]] | None:
        current: Scope | None = scope
        while current is not None:
            for alias, source in current.sources.items():
                if isinstance(source, exp.Table) and name in (_norm(alias), _norm(source.name)):
                    table = _norm(source.name)
                    taint: set[tuple[str, str]] = set()
                    for col in self.schema.get(table, {}):
                        taint |= self.forbidden(table, col)
                    return taint
                if isinstance(source, Scope) and name == _norm(alias):
                    outs = self.outputs.get(id(source.expression), [])
                    return set().union(*(t for _, t in outs)) if outs else set()
            current = current.parent
        return None

    def _refuse(self, taint: set[tuple[str, str]], where: str) -> None:
        forbidden = self.policy_forbidden(taint)
        if not forbidden:
            table, column = sorted(taint)[0]
            etype = self.rules.hidden_type(column) or "sensitive"
            raise SqlGuardrailError(
                f"column {table}.{column} holds {etype} values this tool may only read as tokens; "
                "it cannot be used in WHERE/ORDER BY/GROUP BY/functions/expressions "
                f"(found in {where}). "
                "Select it as-is, or look a row up with "
                f"{column} = '[TOKEN]' / {column} IN ('[TOKEN]', ...) using a token you were given",
                rule=RULE_PII_COLUMN,
                entity_type=None if etype == "sensitive" else etype,
            )
        table, column = sorted(forbidden)[0]
        raise SqlGuardrailError(
            f"column {table}.{column} is not allowed in {where}; "
            + (
                "it cannot be queried at all"
                if self.rules.forbidden_columns_action == "block"
                else "it may only be selected as-is (its values are hidden from you)"
            ),
            rule=RULE_COLUMN,
        )


def _projection_root(node: exp.Expr) -> exp.Expr:
    while node.parent is not None and not (
        isinstance(node.parent, exp.Select) and node.arg_key == "expressions"
    ):
        node = node.parent
    return node


def _outer_select(node: exp.Expr) -> exp.Expr | None:
    parent = node.parent
    while parent is not None and not isinstance(parent, exp.Select):
        parent = parent.parent
    return parent


def _clause_of(node: exp.Expr) -> str:
    child, parent = node, node.parent
    while parent is not None and not isinstance(parent, exp.Select):
        child, parent = parent, parent.parent
    clause = {
        "where": "WHERE",
        "joins": "a JOIN condition",
        "group": "GROUP BY",
        "order": "ORDER BY",
        "having": "HAVING",
        "qualify": "QUALIFY",
        "expressions": "an expression in the SELECT list",
    }.get(child.arg_key if child is not None else "", "this position")
    return clause


def _schema_for(
    tables: list[str], schema: Mapping[str, Mapping[str, str]] | SchemaLookup | None
) -> dict[str, dict[str, str]]:
    if schema is None:
        return {}
    found = schema(tables) if callable(schema) else schema
    out: dict[str, dict[str, str]] = {}
    for table, cols in found.items():
        out[_norm(table)] = {_norm(c): str(t or "TEXT") for c, t in cols.items()}
    return out


def _run_taint(
    qualified: exp.Query, rules: SqlRules, known: Mapping[str, Mapping[str, str]]
) -> list[tuple[str, set[tuple[str, str]]]]:
    try:
        return _Taint(rules, known).run(qualified)
    except SqlGuardrailError:
        raise
    except Exception:  # a construct the scope walk cannot follow: refuse rather than guess
        raise SqlGuardrailError(
            "this query's column use could not be checked; write a simpler SELECT with explicit columns",
            rule=RULE_UNRESOLVED,
        ) from None


def check_query(
    sql: str,
    rules: SqlRules,
    schema: Mapping[str, Mapping[str, str]] | SchemaLookup | None = None,
) -> CheckedQuery:
    """Check ``sql`` against ``rules``; return the query to run or raise :class:`SqlGuardrailError`.

    ``schema`` maps table -> column -> type (or is a callable returning that for the
    requested tables).  It is needed to expand ``*`` and to resolve columns; when
    column rules are set, a table the schema does not know is refused.
    """
    with quiet_sqlglot():
        return _check_query(sql, rules, schema)


def _check_query(
    sql: str,
    rules: SqlRules,
    schema: Mapping[str, Mapping[str, str]] | SchemaLookup | None,
) -> CheckedQuery:
    stmt = parse_single_statement(sql, rules.dialect)
    _check_read_only(stmt, rules)
    tables = referenced_tables(stmt)
    _check_tables(tables, rules)
    known = _schema_for(tables, schema)
    if schema is not None:
        unknown = [t for t in tables if t not in known]
        if unknown:
            raise SqlGuardrailError(
                f"unknown table {unknown[0]}; check the table name against the schema",
                rule=RULE_UNKNOWN_TABLE,
            )
    exec_stmt = stmt.copy()
    limit, fetch, capped = _enforce_limit(exec_stmt, rules.max_rows)

    columns: tuple[OutputColumn, ...] | None = None
    qualified: exp.Query | None = None
    try:
        qualified = qualify(
            stmt.copy(),
            dialect=rules.dialect,
            schema=known or None,
            validate_qualify_columns=False,
            identify=False,
            quote_identifiers=False,
        )
    except SqlglotError:
        if rules.has_column_rules or _mentions_hidden_columns(stmt, known, rules):
            raise SqlGuardrailError(
                "the query's columns could not be resolved against the schema; "
                "name the tables and columns explicitly",
                rule=RULE_UNRESOLVED,
            ) from None
    if qualified is not None:
        stars = _stars(qualified)
        # An unexpanded * hides which columns flow where.  At the top level it is only a
        # projection; inside a subquery/CTE the outer query could filter on what it hides.
        if stars and (rules.has_column_rules or any(_outer_select(s) is not qualified for s in stars)):
            raise SqlGuardrailError(
                "SELECT * could not be expanded for these tables; list the columns you need",
                rule=RULE_UNRESOLVED,
            )
        # Always run: PII columns (by name) are restricted even without allow/deny rules.
        outputs = _run_taint(qualified, rules, known)
        policy = [{(t, c) for t, c in taint if not rules.column_allowed(t, c)} for _, taint in outputs]
        sources = output_sources(qualified, known, rules.dialect)
        if sources is not None:
            cols = []
            for i, (name, srcs) in enumerate(sources):
                forb = policy[i] if i < len(policy) else {s for s in srcs if not rules.column_allowed(*s)}
                cols.append(OutputColumn(name=name, sources=tuple(srcs), forbidden=tuple(sorted(forb))))
            columns = tuple(cols)
        else:
            columns = tuple(
                OutputColumn(name=n, forbidden=tuple(sorted(f)))
                for (n, _), f in zip(outputs, policy, strict=True)
            )
        if rules.forbidden_columns_action == "block" and columns:
            for col in columns:
                if col.forbidden:
                    table, column = col.forbidden[0]
                    raise SqlGuardrailError(f"column {table}.{column} is not allowed", rule=RULE_COLUMN)
    _verify_round_trip(exec_stmt, rules)
    return CheckedQuery(
        expression=exec_stmt,
        dialect=rules.dialect,
        tables=tuple(tables),
        columns=columns,
        limit=limit,
        fetch=fetch,
        capped=capped,
        qualified=qualified,
        schema=known,
    )


def _mentions_hidden_columns(stmt: exp.Expr, known: Mapping[str, Mapping[str, str]], rules: SqlRules) -> bool:
    """True when the query names, or its tables hold, a column the tool reads as tokens only."""
    if any(rules.hidden_type(c.name) for c in stmt.find_all(exp.Column) if c.name):
        return True
    return any(rules.hidden_type(col) for cols in known.values() for col in cols)


def _stars(node: exp.Expr) -> list[exp.Expr]:
    out: list[exp.Expr] = []
    for sel in node.find_all(exp.Select):
        for proj in sel.expressions:
            if isinstance(proj, exp.Star) or (
                isinstance(proj, exp.Column) and isinstance(proj.this, exp.Star)
            ):
                out.append(proj)
    return out


def _verify_round_trip(stmt: exp.Query, rules: SqlRules) -> None:
    """Parse the SQL we are about to send and check it again: generation must not change its class.

    The checks above ran on the model's AST; the database gets text generated from it.
    A generator quirk must not turn one into something else, so the text is held to
    the same rules.
    """
    try:
        again = parse_single_statement(stmt.sql(dialect=rules.dialect, comments=False), rules.dialect)
        _check_read_only(again, rules)
    except SqlGuardrailError:
        raise SqlGuardrailError(
            "the query uses syntax this tool cannot check; rewrite it as a plain SELECT", rule=RULE_PARSE
        ) from None
