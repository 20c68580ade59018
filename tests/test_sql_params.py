"""Tokens in model-written SQL become bound parameters (pure layer, real SQLite and SQLAlchemy)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from guardllm.sql.guardrails import SqlGuardrailError, SqlRules, check_query
from guardllm.sql.params import BoundQuery, Resolution, bind_tokens

NASTY = {
    "[EMAIL_1]": "o'brien\\x@example.com",
    "[PERSON_1]": "Seán O'Brien",
    "[PERSON_2]": "x' OR '1'='1",  # a stored value that is itself an injection string
    "[PERSON_3]": "50% off :name; --",
}


@dataclass(frozen=True)
class Ref:
    token: str
    entity_type: str


def resolver(allowed: set[str]):
    """The resolver contract the Guard fulfils: replace what may be revealed, report the rest."""

    def resolve(text: str) -> Resolution:
        revealed, refused = [], []
        for token, value in NASTY.items():
            if token in text:
                etype = "EMAIL_ADDRESS" if token.startswith("[EMAIL") else "PERSON"
                if etype in allowed:
                    text = text.replace(token, value)
                    revealed.append(Ref(token, etype))
                else:
                    refused.append(Ref(token, etype))
        return Resolution(text=text, revealed=revealed, refused=refused)

    return resolve


@pytest.fixture()
def db(tmp_path: Path):
    path = tmp_path / "people.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, email TEXT)")
    conn.executemany(
        "INSERT INTO customers VALUES (?, ?, ?)",
        [
            (1, NASTY["[PERSON_1]"], NASTY["[EMAIL_1]"]),
            (2, NASTY["[PERSON_2]"], "b@example.com"),
            (3, NASTY["[PERSON_3]"], "c@example.com"),
        ],
    )
    conn.commit()
    yield conn
    conn.close()


SCHEMA = {"customers": {"id": "INTEGER", "name": "TEXT", "email": "TEXT"}}
ALL = {"EMAIL_ADDRESS", "PERSON"}


def run(
    conn: sqlite3.Connection, sql: str, allowed: set[str] = ALL
) -> tuple[BoundQuery, list[tuple], list[str]]:
    checked = check_query(sql, SqlRules(), SCHEMA)
    bound = bind_tokens(checked.expression, "sqlite", resolver(allowed))
    traced: list[str] = []
    conn.set_trace_callback(traced.append)
    try:
        rows = conn.execute(bound.render("sqlite3"), bound.params).fetchall()
    finally:
        conn.set_trace_callback(None)
    return bound, rows, traced


@pytest.mark.parametrize(
    ("sql", "expected_ids"),
    [
        ("SELECT id FROM customers WHERE email = '[EMAIL_1]'", [1]),
        ("SELECT id FROM customers WHERE name = '[PERSON_1]'", [1]),
        ("SELECT id FROM customers WHERE name = '[PERSON_2]'", [2]),
        ("SELECT id FROM customers WHERE name = '[PERSON_3]'", [3]),
        ("SELECT id FROM customers WHERE name IN ('[PERSON_1]', '[PERSON_3]') ORDER BY id", [1, 3]),
        ("SELECT id FROM customers WHERE '[PERSON_1]' = name", [1]),
        ("SELECT id FROM customers WHERE name <> '[PERSON_1]' ORDER BY id", [2, 3]),
        ("SELECT c.id FROM customers c JOIN customers d ON d.email = '[EMAIL_1]' AND c.id = d.id", [1]),
        ("SELECT id FROM customers WHERE email = [EMAIL_1]", [1]),  # SQLite's [ident] quoting
        ("SELECT id FROM customers WHERE email = EMAIL_1", [1]),
    ],
)
def test_token_becomes_bound_parameter(db: sqlite3.Connection, sql: str, expected_ids: list[int]) -> None:
    bound, rows, traced = run(db, sql)
    assert [r[0] for r in rows] == expected_ids
    rendered = bound.render("sqlite3")
    # The SQL text carries only placeholders; every value travels as a parameter.
    for value in NASTY.values():
        assert value not in rendered
    assert "glp_" in rendered and bound.params
    # ... and the database received the real value (SQLite's trace expands bound parameters).
    assert any("O''Brien" in t or "o''brien" in t or "x'' OR" in t or "50%" in t for t in traced)
    assert "BoundQuery(" in repr(bound) and all(v not in repr(bound) for v in NASTY.values())


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id FROM customers WHERE email = '[EMAIL_1]'' OR 1=1 --'",
        "SELECT id FROM customers WHERE email = '[EMAIL_1]'' OR ''1''=''1'",
        "SELECT id FROM customers WHERE email = '[EMAIL_1]\\'' OR 1=1 --'",
        "SELECT id FROM customers WHERE name = '[PERSON_1]''; DROP TABLE customers; --'",
    ],
)
def test_injection_inside_token_shaped_literal_matches_nothing(db: sqlite3.Connection, sql: str) -> None:
    # Against a PII column only a literal that is exactly one token may be compared: the
    # guardrail refuses these outright.  Against any other column it binds as one string.
    with pytest.raises(SqlGuardrailError, match="may only read as tokens"):
        run(db, sql)
    _bound, rows, traced = run(db, sql.replace("WHERE email", "WHERE id").replace("WHERE name", "WHERE id"))
    assert rows == []
    assert db.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 3
    assert not any("DROP" in t.upper() and "'" not in t for t in traced)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT lower('[PERSON_1]') AS x",
        "SELECT hex('[PERSON_1]') AS x",
        "SELECT '[PERSON_1]' AS x FROM customers",
        "SELECT id, '[PERSON_1]' || '' AS x FROM customers",
        "SELECT CASE WHEN id = 1 THEN '[PERSON_1]' END AS x FROM customers",
        "SELECT id FROM customers WHERE id = length('[PERSON_1]')",
        "SELECT id FROM customers WHERE '[PERSON_1]' = '[PERSON_1]'",
        # a column the query builds itself would let the model test its own guesses
        "WITH g AS (SELECT 'Seán O''Brien' AS c) SELECT c FROM g WHERE c = '[PERSON_1]'",
        "SELECT c FROM (SELECT 'guess' AS c) AS g WHERE g.c IN ('[PERSON_1]')",
        # a token of another type than the column holds
        "SELECT id FROM customers WHERE name = '[EMAIL_1]'",
    ],
)
def test_granted_token_outside_a_column_comparison_is_refused(sql: str) -> None:
    checked = check_query(sql, SqlRules(), SCHEMA)
    with pytest.raises(SqlGuardrailError, match="a token can only be compared with a table column") as info:
        bind_tokens(checked.expression, "sqlite", resolver(ALL))
    assert info.value.rule == "sql.token_position"
    assert all(v not in str(info.value) for v in NASTY.values())


def test_token_in_like_pattern_is_refused_before_binding() -> None:
    # LIKE on a PII column is refused by the guardrail (an oracle) whatever the pattern.
    with pytest.raises(SqlGuardrailError, match="may only read as tokens"):
        check_query("SELECT id FROM customers WHERE name LIKE '%[PERSON_1]%'", SqlRules(), SCHEMA)


def test_refused_type_raises_naming_type_not_value(db: sqlite3.Connection) -> None:
    checked = check_query("SELECT id FROM customers WHERE name = '[PERSON_1]'", SqlRules(), SCHEMA)
    with pytest.raises(SqlGuardrailError, match="PERSON") as info:
        bind_tokens(checked.expression, "sqlite", resolver({"EMAIL_ADDRESS"}))
    assert info.value.rule == "sql.token_not_revealable"
    assert "Brien" not in str(info.value)


def test_unknown_token_stays_literal(db: sqlite3.Connection) -> None:
    bound, rows, _ = run(db, "SELECT id FROM customers WHERE email = '[EMAIL_99]'")
    assert rows == [] and not bound.params
    assert "'[EMAIL_99]'" in bound.render("sqlite3")


def test_sqlalchemy_rendering_escapes_colons_and_binds(tmp_path: Path) -> None:
    sa = pytest.importorskip("sqlalchemy")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE customers (id INTEGER, name TEXT, email TEXT)"))
        conn.execute(
            sa.text("INSERT INTO customers VALUES (1, :n, :e)"), {"n": NASTY["[PERSON_3]"], "e": "a@b.c"}
        )
    checked = check_query(
        "SELECT id, 'at :noon 50%' AS note FROM customers WHERE name = '[PERSON_3]'", SqlRules(), SCHEMA
    )
    bound = bind_tokens(checked.expression, "sqlite", resolver(ALL))
    with engine.connect() as conn:
        rows = conn.execute(sa.text(bound.render("sqlalchemy")), bound.params).fetchall()
    assert rows == [(1, "at :noon 50%")]
    pg = bind_tokens(
        check_query(
            "SELECT id FROM customers WHERE name = '[PERSON_1]'", SqlRules(dialect="postgres"), SCHEMA
        ).expression,
        "postgres",
        resolver(ALL),
    )
    assert ":glp_" in pg.render("sqlalchemy") and "%(" not in pg.render("sqlalchemy")


# --------------------------------------------------------------------------- properties

import sqlglot  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from sqlglot import exp  # noqa: E402

from guardllm.sql.guardrails import _WRITE_NODES  # noqa: E402


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(min_size=1, max_size=40).filter(lambda v: "\x00" not in v))
def test_any_value_round_trips_as_a_parameter(db: sqlite3.Connection, value: str) -> None:
    db.execute("DELETE FROM customers WHERE id = 99")
    db.execute("INSERT INTO customers VALUES (99, ?, 'p@example.com')", (value,))

    def resolve(text: str) -> Resolution:
        if "[PERSON_9]" not in text:
            return Resolution(text=text)
        return Resolution(text=text.replace("[PERSON_9]", value), revealed=[Ref("[PERSON_9]", "PERSON")])

    checked = check_query("SELECT id FROM customers WHERE name = '[PERSON_9]'", SqlRules(), SCHEMA)
    bound = bind_tokens(checked.expression, "sqlite", resolve)
    rows = db.execute(bound.render("sqlite3"), bound.params).fetchall()
    assert (99,) in rows
    assert all(
        db.execute("SELECT name FROM customers WHERE id = ?", (r[0],)).fetchone()[0] == value for r in rows
    )


FRAGMENTS = [
    "SELECT",
    "*",
    "id",
    "name",
    "FROM",
    "customers",
    "WHERE",
    "=",
    "'x'",
    "''",
    "'",
    ";",
    "--",
    "/*",
    "*/",
    "DELETE",
    "DROP",
    "TABLE",
    "INSERT",
    "INTO",
    "UPDATE",
    "SET",
    "WITH",
    "AS",
    "(",
    ")",
    "UNION",
    "PRAGMA",
    "ATTACH",
    "load_extension('x')",
    "LIMIT",
    "1000",
    "\n",
    "\\",
    '"',
    "[EMAIL_1]",
    "OR",
    "1=1",
    "RETURNING",
]


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=14))
def test_whatever_passes_the_guardrail_is_one_read_only_query(parts: list[str]) -> None:
    sql = " ".join(parts)
    try:
        checked = check_query(sql, SqlRules(max_rows=10), SCHEMA)
    except SqlGuardrailError:
        return
    out = checked.sql()
    statements = [s for s in sqlglot.parse(out, read="sqlite") if s is not None]
    assert len(statements) == 1
    stmt = statements[0]
    assert isinstance(stmt, exp.Select | exp.SetOperation)
    assert not any(isinstance(n, _WRITE_NODES) for n in stmt.walk())
    assert "load_extension" not in out.lower()
    assert checked.fetch <= 11
