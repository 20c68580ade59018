"""Guarded SQL: read-only guardrails from a real parser, tokens as bound parameters,
column-aware masking and column-level lineage.

The pure parts (:mod:`.guardrails`, :mod:`.params`, :mod:`.columns`, :mod:`.lineage`)
work on sqlglot ASTs only.  :class:`GuardedSql` runs the whole pipeline against a
database for a :class:`guardllm.Guard`; ``guard.sql_tool(db)`` wraps it as a
LangChain tool (:mod:`guardllm.integrations.langchain.sql`).
"""

from __future__ import annotations

from guardllm.sql.columns import classify_column, classify_name
from guardllm.sql.database import Database, open_database
from guardllm.sql.guardrails import (
    DEFAULT_DENIED_FUNCTIONS,
    CheckedQuery,
    OutputColumn,
    SqlGuardrailError,
    SqlRules,
    check_query,
)
from guardllm.sql.lineage import output_sources
from guardllm.sql.params import BoundQuery, Resolution, bind_tokens
from guardllm.sql.runner import GuardedSql, SqlResult, render_table

__all__ = [
    "DEFAULT_DENIED_FUNCTIONS",
    "BoundQuery",
    "CheckedQuery",
    "Database",
    "GuardedSql",
    "OutputColumn",
    "Resolution",
    "SqlGuardrailError",
    "SqlResult",
    "SqlRules",
    "bind_tokens",
    "check_query",
    "classify_column",
    "classify_name",
    "open_database",
    "output_sources",
    "render_table",
]
