"""Tokens in the model's SQL become bound parameters, never spliced text.

The model only knows tokens (``[EMAIL_1]``), so it writes
``WHERE email = '[EMAIL_1]'``.  :func:`bind_tokens` finds every string literal
(and bare identifier such as SQLite's ``[EMAIL_1]``) that contains a token,
asks a *resolver* (the Guard, with the policy for this tool) for the text with
the token's value in it, and replaces that AST node with a placeholder whose
value travels separately to the driver.  Quotes, backslashes, ``--`` or ``'``
inside a value or inside a token-shaped literal therefore cannot change the
statement: the literal ``'[EMAIL_1]'' OR 1=1 --'`` binds as one string that
simply matches nothing.

A token is bound *only* as a comparison operand against a base-table column
(``col = tok``, ``tok = col``, ``col <> tok``, ``col IN (tok, ...)``, the same in
``JOIN ... ON``).  Anywhere else -- the SELECT list, function arguments
(``hex('[PERSON_1]')``), ``LIKE`` patterns, concatenation, ``CASE`` results, a
column of a CTE/subquery the model could fill with its own guesses -- the bound
value would come back to the model transformed, so the query is refused.

The placeholder is rendered as ``:name`` (``sqlite3`` named style and
SQLAlchemy ``text()``); names carry a random per-query nonce so the model's own
text can never collide with them.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import Scope, traverse_scope

from guardllm.sql.columns import classify_name
from guardllm.sql.guardrails import SqlGuardrailError

__all__ = ["BoundQuery", "Resolution", "Resolver", "bind_tokens", "looks_like_token"]

RULE_REVEAL = "sql.token_not_revealable"
RULE_TOKEN_POSITION = "sql.token_position"

# Cheap pre-filter: LABEL_N with or without brackets, any case (the Guard does the real matching).
# Escaped forms (``\\[EMAIL\\_1\\]``) count too: the Guard knows every tolerated spelling.
_TOKEN_HINT = re.compile(r"[A-Za-z0-9]\\?_[0-9]")
_BARE_TOKEN = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*_\d+$")


def looks_like_token(text: str) -> bool:
    """True when ``text`` might contain a token (a fast check before asking the Guard)."""
    return bool(_TOKEN_HINT.search(text))


@dataclass(frozen=True, slots=True)
class Resolution:
    """What the Guard said about one piece of query text.

    ``text`` is the text with every revealable token replaced by its raw value;
    ``revealed`` / ``refused`` hold token references (type, fingerprint...), and
    ``foreign`` counts token-shaped strings this scope never issued (they stay
    as written and match nothing).
    """

    text: str = field(repr=False)
    revealed: Sequence[Any] = ()
    refused: Sequence[Any] = ()
    foreign: int = 0


Resolver = Callable[[str], Resolution]


@dataclass(slots=True)
class BoundQuery:
    """A query with its tokens turned into bound parameters."""

    expression: exp.Query = field(repr=False)
    dialect: str
    params: dict[str, Any] = field(default_factory=dict, repr=False)
    revealed: list[Any] = field(default_factory=list)
    foreign: int = 0
    markers: dict[str, str] = field(default_factory=dict, repr=False)  # marker text -> param name

    def render(self, style: Literal["sqlite3", "sqlalchemy"] = "sqlite3") -> str:
        """SQL text for the driver, with ``:name`` placeholders for the bound values.

        ``sqlalchemy`` escapes every other colon (``\\:``) so ``text()`` cannot
        mistake literal text such as ``'a :b'`` for a parameter.
        """
        sql = self.expression.sql(dialect=self.dialect, comments=False)
        if style == "sqlalchemy":
            sql = sql.replace(":", "\\:")
        elif style != "sqlite3":
            raise ValueError(f"unknown placeholder style {style!r}")
        for marker, name in self.markers.items():
            sql = sql.replace(marker, f":{name}")
        return sql

    def __repr__(self) -> str:  # never show parameter values
        return f"BoundQuery(dialect={self.dialect!r}, params={sorted(self.params)!r}, revealed={len(self.revealed)})"


def _types(refs: Sequence[Any]) -> list[str]:
    return sorted({str(getattr(r, "entity_type", "UNKNOWN")) for r in refs})


def bind_tokens(expression: exp.Query, dialect: str, resolver: Resolver) -> BoundQuery:
    """Replace token-bearing literals in a copy of ``expression`` with bound parameters.

    Raises :class:`SqlGuardrailError` (rule ``sql.token_not_revealable``) when the
    query uses a token whose type this tool may not see; the message names the
    entity type, never the value.
    """
    tree = expression.copy()
    nonce = secrets.token_hex(8)
    bound = BoundQuery(expression=tree, dialect=dialect)
    counter = 0

    def make_placeholder(value: str) -> exp.Expr:
        nonlocal counter
        name = f"glp_{nonce}_{counter}"
        counter += 1
        marker = f"GLPMARK{nonce}X{counter}X"
        bound.params[name] = value
        bound.markers[marker] = name
        # A Var renders verbatim in every dialect; render() swaps it for ":name".
        return exp.Var(this=marker)

    # Collect first, then replace: replacing while walking would skip siblings.
    candidates: list[tuple[exp.Expr, str]] = []
    for node in tree.walk():
        if isinstance(node, exp.Literal) and node.is_string and looks_like_token(node.this):
            candidates.append((node, node.this))
        elif (
            isinstance(node, exp.Column)
            and not node.table
            and isinstance(node.this, exp.Identifier)
            and _BARE_TOKEN.match(node.name)
        ):
            # SQLite reads [EMAIL_1] as a quoted identifier; a bare EMAIL_1 is one too.
            candidates.append((node, f"[{node.name}]"))

    scopes: dict[int, Scope] | None = None
    for node, text in candidates:
        res = resolver(text)
        if res.refused:
            raise SqlGuardrailError(
                "the query uses a token of type "
                + ", ".join(_types(res.refused))
                + " that this tool is not allowed to see; query by another column or ask the user",
                rule=RULE_REVEAL,
                entity_type=_types(res.refused)[0],
            )
        bound.foreign += int(res.foreign)
        if not res.revealed:
            continue  # nothing of ours in it: keep the literal (a foreign token matches nothing)
        if scopes is None:
            scopes = _scopes(tree)
        _check_position(node, res.revealed, scopes)
        bound.revealed.extend(res.revealed)
        node.replace(make_placeholder(res.text))
    return bound


def _refuse_position(detail: str) -> SqlGuardrailError:
    return SqlGuardrailError(
        f"a token can only be compared with a table column (col = '[TOKEN]', col <> '[TOKEN]', "
        f"col IN ('[TOKEN]', ...)); {detail}. Tokens cannot be used in the SELECT list, function "
        "arguments, LIKE patterns, concatenation or CASE results",
        rule=RULE_TOKEN_POSITION,
    )


def _scopes(tree: exp.Query) -> dict[int, Scope]:
    try:
        return {id(s.expression): s for s in traverse_scope(tree)}
    except (SqlglotError, KeyError, AttributeError, IndexError, TypeError, ValueError):
        # The scope walk cannot follow this query: no token is bound in it.
        raise _refuse_position("this query's structure could not be checked") from None


def _comparison_column(node: exp.Expr) -> exp.Column | None:
    """The column ``node`` is compared with (=, <>, IN list), or ``None``."""
    parent = node.parent
    if isinstance(parent, exp.EQ | exp.NEQ):
        other = parent.expression if parent.this is node else parent.this
        return other if isinstance(other, exp.Column) and not _is_bare_token(other) else None
    if isinstance(parent, exp.In) and node.arg_key == "expressions":
        target = parent.this
        return target if isinstance(target, exp.Column) and not _is_bare_token(target) else None
    return None


def _is_bare_token(node: exp.Column) -> bool:
    return not node.table and isinstance(node.this, exp.Identifier) and bool(_BARE_TOKEN.match(node.name))


def _enclosing_scope(node: exp.Expr, scopes: dict[int, Scope]) -> Scope | None:
    parent = node.parent
    while parent is not None:
        scope = scopes.get(id(parent))
        if scope is not None:
            return scope
        parent = parent.parent
    return None


def _is_base_column(column: exp.Column, scope: Scope | None) -> bool:
    """True when ``column`` reads a base table, not a CTE/subquery the query itself built."""
    current = scope
    if column.table:
        while current is not None:
            source = current.sources.get(column.table)
            if source is not None:
                return isinstance(source, exp.Table)
            current = current.parent
        return False
    # Unqualified: every source it could come from must be a base table.
    seen = False
    while current is not None:
        for source in current.sources.values():
            if not isinstance(source, exp.Table):
                return False
            seen = True
        current = current.parent
    return seen


def _check_position(node: exp.Expr, revealed: Sequence[Any], scopes: dict[int, Scope]) -> None:
    column = _comparison_column(node)
    if column is None:
        raise _refuse_position("this token is not a comparison operand against a column")
    if not _is_base_column(column, _enclosing_scope(node, scopes)):
        raise _refuse_position(f"column {column.name} does not come straight from a table")
    expected = classify_name(column.name)
    if expected is not None:
        wrong = [t for t in _types(revealed) if t != expected]
        if wrong:
            raise _refuse_position(
                f"column {column.name} holds {expected} values, the token is {', '.join(wrong)}"
            )
