"""``guard.sql_tool(db)``: a drop-in for LangChain's ``QuerySQLDatabaseTool`` that is read-only,
masks its results column by column, accepts tokens in ``WHERE`` clauses, and records lineage.

Same tool name (``sql_db_query``) and argument (``query``) as the LangChain tool, so
prompts and agents written for it keep working.  The content is a Markdown table
of masked rows; the artifact (``response_format="content_and_artifact"``) is
``{"columns", "rows", "row_count", "truncated", "sources"}`` with the same masked
values.  A refused query comes back as ``"Error: ..."`` text the model can act on,
as LangChain's tool does for database errors.

The pipeline itself lives in :mod:`guardllm.sql` (no LangChain there).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from guardllm.audit import current_run_id
from guardllm.integrations.langchain._context import (
    context_from_config,
    current_config,
    find_handler,
    lineage_run_id,
    registry,
)
from guardllm.sql.database import SqliteDatabase
from guardllm.sql.guardrails import ForbiddenAction
from guardllm.sql.runner import GuardedSql, SqlResult

__all__ = ["GuardedSQLDatabaseTool", "sql_tool"]

_DESCRIPTION = (
    "Execute a read-only SQL query against the database and get back the result. "
    "Only a single SELECT statement is allowed; results are limited to {max_rows} rows. "
    "Sensitive values appear as tokens such as [EMAIL_1] or [PERSON_2]; to filter on one, use the token "
    "as a string literal, e.g. WHERE email = '[EMAIL_1]'. Columns holding such values can only be "
    "selected as-is or compared with = / IN to a token. "
    "If the query is not correct, an error message will be returned. "
    "If an error is returned, rewrite the query, check the query, and try again."
)


_TCID = "_guardllm_tool_call_id"

#: Set by ``guard.middleware()`` (without a callback handler) around a call whose step node
#: it draws itself: the query's tables and columns then hang under that node.
middleware_step: ContextVar[str | None] = ContextVar("guardllm_sql_middleware_step", default=None)


class _QueryInput(BaseModel):
    query: str = Field(..., description="A detailed and correct SQL query.")


class GuardedSQLDatabaseTool(BaseTool):
    """Read-only, masked SQL query tool (see module docs)."""

    name: str = "sql_db_query"
    description: str = _DESCRIPTION.format(max_rows=100)
    args_schema: type[BaseModel] = _QueryInput
    response_format: str = "content_and_artifact"
    model_config = ConfigDict(arbitrary_types_allowed=True)

    _sql: GuardedSql = PrivateAttr()

    def __init__(self, sql: GuardedSql, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._sql = sql

    @property
    def guarded(self) -> GuardedSql:
        """The underlying pipeline (rules, database adapter) -- for inspection and tests."""
        return self._sql

    def _to_args_and_kwargs(
        self, tool_input: Any, tool_call_id: str | None
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        args, kwargs = super()._to_args_and_kwargs(tool_input, tool_call_id)
        kwargs[_TCID] = tool_call_id  # so the handler can match this step to the model's tool call
        return args, kwargs

    def _call(
        self, query: str, run_manager: Any, config: RunnableConfig | None, tool_call_id: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        config = current_config(config)
        ctx = context_from_config(config)
        drawn = middleware_step.get()
        step = drawn or (str(run_manager.run_id) if run_manager is not None else None)
        parent = getattr(run_manager, "parent_run_id", None)
        handler = find_handler(run_manager, self._sql.guard)
        # Inside ``guard.middleware()`` the agent's lineage run is set for this call: the
        # query's audit record and table lineage join that run, not the graph node's.
        run_id = current_run_id.get() or lineage_run_id(run_manager, config, self._sql.guard)
        result: SqlResult = self._sql.run(
            query,
            scope=ctx.scope,
            principal=ctx.principal,
            run_id=run_id,
            step_id=step,
            parent_id=str(parent) if parent else None,
            record_step=handler is None and drawn is None,
        )
        # Tell guardllm's callback handler what this step was given raw (it cannot see it).
        facts = {"scope": ctx.scope, "principal": ctx.principal, "revealed": result.revealed, "kept": []}
        registry.update(step, **facts)
        if tool_call_id:
            registry.update(f"tool_call:{tool_call_id}", **facts)
        return result.content, result.artifact

    def _run(
        self,
        query: str,
        run_manager: CallbackManagerForToolRun | None = None,
        config: RunnableConfig = None,  # type: ignore[assignment]  # LangChain injects by exact type
        **kwargs: Any,
    ) -> tuple[str, dict[str, Any]]:
        return self._call(query, run_manager, config, kwargs.get(_TCID))

    async def _arun(
        self,
        query: str,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
        config: RunnableConfig = None,  # type: ignore[assignment]  # LangChain injects by exact type
        **kwargs: Any,
    ) -> tuple[str, dict[str, Any]]:
        if isinstance(self._sql.db, SqliteDatabase):
            # A sqlite3 connection is usually bound to the thread that opened it.
            return self._call(query, run_manager, config, kwargs.get(_TCID))
        return await asyncio.to_thread(self._call, query, run_manager, config, kwargs.get(_TCID))


def sql_tool(
    guard: Any,
    db: Any,
    reveal: Iterable[str] | None = None,
    *,
    name: str = "sql_db_query",
    description: str | None = None,
    max_rows: int | None = None,
    allow_tables: Iterable[str] | None = None,
    deny_tables: Iterable[str] | None = None,
    allow_columns: Iterable[str] | None = None,
    deny_columns: Iterable[str] | None = None,
    forbidden_columns_action: ForbiddenAction | None = None,
    deny_functions: Iterable[str] | None = None,
    timeout: float | None = 30.0,
) -> GuardedSQLDatabaseTool:
    """Build the guarded SQL tool.

    Args:
        guard: the :class:`guardllm.Guard` whose policy, vault, audit and lineage are used.
        db: a ``sqlite3.Connection``, a SQLAlchemy engine or URL, or a LangChain ``SQLDatabase``.
        reveal: entity types this tool may see raw (tokens of these types in a query are
            bound as their real values); adds to the policy's grants for ``tool:<name>``.
        name / description: as for any LangChain tool (defaults match ``QuerySQLDatabaseTool``).
        max_rows: row limit added to (or lowered in) every query; default 100, or the policy's.
        allow_tables / deny_tables: table name patterns (``fnmatch``), merged with the policy's.
        allow_columns / deny_columns: ``table.column`` patterns (``customers.ssn``, ``*.password``).
        forbidden_columns_action: what to do when a forbidden column is selected:
            ``"tokenize"`` (default: its values become tokens), ``"drop"`` (removed from the
            result) or ``"block"`` (the query is refused).  Forbidden columns can never be
            used in filters, joins, ordering or expressions.
        deny_functions: extra SQL function names to refuse (side-effecting ones are denied already).
        timeout: seconds a query may run (SQLite: progress handler; PostgreSQL: statement_timeout).
    """
    sql = GuardedSql(
        guard,
        db,
        name=name,
        reveal=reveal,
        max_rows=max_rows,
        allow_tables=allow_tables,
        deny_tables=deny_tables,
        allow_columns=allow_columns,
        deny_columns=deny_columns,
        forbidden_columns_action=forbidden_columns_action,
        deny_functions=deny_functions,
        timeout=timeout,
    )
    desc = description if description is not None else _DESCRIPTION.format(max_rows=sql.rules.max_rows)
    # The metadata marks the step as guarded for guardllm's callback handler.
    return GuardedSQLDatabaseTool(sql, name=name, description=desc, metadata={"guardllm_guarded": "tool"})
