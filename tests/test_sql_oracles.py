"""The default SQL tool is no oracle on values it shows the model only as tokens.

Through the public API (``guard.sql_tool``) with default rules: a column whose name
says it holds personal data (``ssn``, ``email``, ``name``, ``card_number``) may be
selected as-is -- the model gets tokens -- but every other use (filters, sorting,
grouping, functions, CASE, joins, set operations) is refused, because each one
turns the query into a yes/no question about the hidden value.  The one exception
is a lookup by a token the tool is granted (``WHERE ssn = '[SSN_1]'``), and a token
is bound to its value only there: never where the value would come back to the
model transformed (``hex('[PERSON_1]')``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from guardllm import Guard

CFG = {"configurable": {"thread_id": "t1"}}
ROWS = [
    (1, "Maren Okafor", "maren.okafor@example.org", "219-09-9999", "4111 1111 1111 1111", 120.5, "vip"),
    (2, "Tomasz Lindqvist", "tomasz.l@example.net", "536-22-8714", "5500 0000 0000 0004", 0.0, "late"),
    (3, "Aiko Brennan", "aiko.b@example.com", "078-05-1120", "3400 000000 00009", 42.0, "new"),
]
RAW = [str(v) for row in ROWS for v in row[1:5]]


@pytest.fixture()
def guard() -> Iterator[Guard]:
    g = Guard(store="memory://", principal="test:oracles")
    yield g
    g.close()


@pytest.fixture()
def db() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.execute(
        "CREATE TABLE customers (id INTEGER, name TEXT, email TEXT, ssn TEXT, card_number TEXT, "
        "balance_due REAL, notes TEXT)"
    )
    conn.execute("CREATE TABLE orders (id INTEGER, customer_id INTEGER, total REAL)")
    conn.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?)", ROWS)
    conn.executemany("INSERT INTO orders VALUES (?, ?, ?)", [(10, 1, 99.0), (11, 3, 5.0)])
    conn.commit()
    yield conn
    conn.close()


def call(tool_: Any, query: str) -> Any:
    return tool_.invoke(
        {"name": tool_.name, "args": {"query": query}, "id": "c1", "type": "tool_call"}, config=CFG
    )


def text(tool_: Any, query: str) -> str:
    return str(call(tool_, query).content)


def assert_no_raw(*texts: str) -> None:
    for t in texts:
        hits = [i for i, v in enumerate(RAW) if v.lower() in t.lower()]
        assert hits == [], f"raw values #{hits} reached the model"


# Every query asks a question about a hidden value.  Column names resolve through
# aliases, subqueries, CTEs and SELECT *; clauses include WHERE, ORDER/GROUP BY, HAVING,
# JOIN ON, window specs, functions, arithmetic, CASE and de-duplicating set operations.
ORACLES = [
    "SELECT count(*) AS n FROM customers WHERE ssn LIKE '219%'",
    "SELECT id FROM customers WHERE ssn > '2'",
    "SELECT id FROM customers WHERE ssn BETWEEN '2' AND '3'",
    "SELECT id FROM customers WHERE ssn = '219-09-9999'",  # a raw guess is not a token
    "SELECT id FROM customers WHERE ssn IN ('[SSN_1]', '219-09-9999')",
    "SELECT id FROM customers WHERE ssn IS NULL",
    "SELECT id FROM customers ORDER BY ssn",
    "SELECT ssn FROM customers ORDER BY 1",
    "SELECT ssn AS s FROM customers ORDER BY s",
    "SELECT * FROM customers ORDER BY 4",
    "SELECT count(*) AS n FROM customers GROUP BY ssn",
    "SELECT ssn, count(*) AS n FROM customers GROUP BY 1",
    "SELECT count(*) AS n FROM customers GROUP BY id HAVING max(ssn) > '2'",
    "SELECT id FROM customers WHERE instr(email, 'maren') > 0",
    "SELECT substr(ssn, 1, 1) AS d FROM customers",
    "SELECT length(name) AS n FROM customers",
    "SELECT CASE WHEN ssn > '2' THEN 1 ELSE 0 END AS b FROM customers",
    "SELECT iif(substr(card_number, 1, 1) = '4', 1, 0) AS visa FROM customers",
    "SELECT id + length(ssn) AS x FROM customers",
    "SELECT upper(email) AS e FROM customers",
    "SELECT max(ssn) AS m FROM customers",
    "SELECT id, row_number() OVER (ORDER BY ssn) AS r FROM customers",
    "SELECT c.id FROM customers c JOIN customers d ON c.ssn = d.ssn",
    "SELECT c.id FROM customers c JOIN orders o ON o.customer_id = c.id AND c.ssn = '219-09-9999'",
    "SELECT s FROM (SELECT ssn AS s FROM customers) AS x WHERE s LIKE '2%'",
    "WITH w AS (SELECT ssn AS s FROM customers) SELECT count(*) AS n FROM w WHERE s > '5'",
    "SELECT x.ssn FROM (SELECT * FROM customers) AS x WHERE x.ssn LIKE '0%'",
    "SELECT id FROM customers WHERE id IN (SELECT id FROM customers WHERE ssn LIKE '2%')",
    "SELECT (SELECT count(*) FROM customers WHERE email LIKE 'm%') AS n",
    "SELECT ssn FROM customers UNION SELECT '3'",
    "SELECT ssn FROM customers INTERSECT SELECT '219-09-9999'",
    # a CTE column that looks like a bare SQLite token ([X_1]) is the model's own guess
    "WITH t AS (SELECT '219-09-9999' AS X_1) SELECT id FROM customers, t WHERE ssn = X_1",
    # a lookup through a derived table could mix in the model's own guesses
    "SELECT x.id FROM (SELECT id, ssn FROM customers UNION ALL SELECT 9, 'guess') AS x WHERE x.ssn = '[SSN_1]'",
]


@pytest.mark.parametrize("query", ORACLES)
def test_pii_column_used_beyond_selection_is_refused(
    guard: Guard, db: sqlite3.Connection, query: str
) -> None:
    out = text(guard.sql_tool(db), query)
    assert "may only read as tokens" in out or "not allowed" in out, out
    assert "| 1 |" not in out
    assert_no_raw(out)


def test_refusal_names_column_type_and_what_to_do(guard: Guard, db: sqlite3.Connection) -> None:
    out = text(guard.sql_tool(db), "SELECT count(*) AS n FROM customers WHERE ssn LIKE '219%'")
    assert "column customers.ssn holds US_SSN values this tool may only read as tokens" in out
    assert "WHERE" in out and "[TOKEN]" in out
    assert "219" not in out  # not even the model's own pattern is echoed
    blocks = [r for r in guard.audit.query() if r.event == "guardrail"]
    assert blocks and blocks[-1].rule == "sql.pii_column"


@pytest.mark.parametrize(
    ("hit", "miss"),
    [
        (
            "SELECT count(*) AS n FROM customers WHERE ssn LIKE '219%'",
            "SELECT count(*) AS n FROM customers WHERE ssn LIKE '3%'",
        ),
        (
            "SELECT id FROM customers WHERE substr(ssn, 1, 3) = '219'",
            "SELECT id FROM customers WHERE substr(ssn, 1, 3) = '999'",
        ),
        ("SELECT id FROM customers WHERE email > 'm'", "SELECT id FROM customers WHERE email > 'z'"),
    ],
)
def test_answer_does_not_depend_on_the_hidden_value(
    guard: Guard, db: sqlite3.Connection, hit: str, miss: str
) -> None:
    t = guard.sql_tool(db)
    assert text(t, hit) == text(t, miss)


def test_pii_columns_selected_as_is_come_back_as_tokens(guard: Guard, db: sqlite3.Connection) -> None:
    t = guard.sql_tool(db)
    for query in (
        "SELECT ssn FROM customers",
        "SELECT ssn AS tax_id, (email) FROM customers",
        "SELECT * FROM customers",
        "SELECT s FROM (SELECT ssn AS s FROM customers) AS x",
        "WITH w AS (SELECT ssn AS s, name FROM customers) SELECT s, name FROM w",
        "SELECT name FROM customers UNION ALL SELECT ssn FROM customers",
        "SELECT c.name, o.total FROM customers c JOIN orders o ON o.customer_id = c.id ORDER BY o.total",
    ):
        out = text(t, query)
        assert "[" in out and "may only read as tokens" not in out, query
        assert_no_raw(out)


def test_non_pii_columns_still_filter_sort_and_group(guard: Guard, db: sqlite3.Connection) -> None:
    t = guard.sql_tool(db)
    demo = call(
        t,
        "SELECT name, email, card_number, balance_due, notes FROM customers "
        "WHERE balance_due > 0 ORDER BY balance_due DESC",
    )
    rows = demo.artifact["rows"]
    assert [r[3] for r in rows] == [120.5, 42.0]
    assert all(str(r[0]).startswith("[") and str(r[1]).startswith("[") for r in rows)
    assert_no_raw(str(demo.content))
    grouped = call(
        t,
        "SELECT notes, count(*) AS n, sum(balance_due) AS s FROM customers GROUP BY notes HAVING n > 0 ORDER BY notes",
    )
    assert [r[0] for r in grouped.artifact["rows"]] == ["late", "new", "vip"]
    joined = call(
        t, "SELECT c.id, o.total FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.total > 10"
    )
    assert joined.artifact["rows"] == [[1, 99.0]]


def test_policy_visible_type_may_be_filtered(db: sqlite3.Connection) -> None:
    """A type the rules mark visible (shown raw anyway) is no secret to filter on."""
    from guardllm.sql.guardrails import SqlRules, check_query

    schema = {"customers": {"id": "INTEGER", "notes": "TEXT", "dob": "TEXT", "ssn": "TEXT"}}
    check_query("SELECT id FROM customers WHERE dob > '1990'", SqlRules(visible_types={"DATE_TIME"}), schema)
    with pytest.raises(Exception, match="may only read as tokens"):
        check_query("SELECT id FROM customers WHERE dob > '1990'", SqlRules(), schema)


def _tokens(tool_: Any, column: str) -> dict[int, str]:
    rows = call(tool_, f"SELECT id, {column} FROM customers").artifact["rows"]
    return {r[0]: r[1] for r in rows}


def test_granted_token_lookup_by_equality_and_in(guard: Guard, db: sqlite3.Connection) -> None:
    t = guard.sql_tool(db, reveal=["US_SSN", "PERSON"])
    ssn = _tokens(t, "ssn")
    name = _tokens(t, "name")
    assert call(t, f"SELECT id FROM customers WHERE ssn = '{ssn[2]}'").artifact["rows"] == [[2]]
    assert call(t, f"SELECT id FROM customers WHERE '{ssn[2]}' = ssn").artifact["rows"] == [[2]]
    both = call(t, f"SELECT id FROM customers WHERE ssn IN ('{ssn[1]}', '{ssn[3]}') ORDER BY id")
    assert both.artifact["rows"] == [[1], [3]]
    others = call(t, f"SELECT id FROM customers WHERE name <> '{name[1]}' ORDER BY id")
    assert others.artifact["rows"] == [[2], [3]]
    joined = call(
        t, f"SELECT o.total FROM orders o JOIN customers c ON c.id = o.customer_id AND c.name = '{name[3]}'"
    )
    assert joined.artifact["rows"] == [[5.0]]


def test_ungranted_token_lookup_is_refused(guard: Guard, db: sqlite3.Connection) -> None:
    t = guard.sql_tool(db)
    ssn = _tokens(t, "ssn")
    out = text(t, f"SELECT id FROM customers WHERE ssn = '{ssn[1]}'")
    assert "not allowed" in out and "| 1 |" not in out


@pytest.mark.parametrize(
    "expr",
    [
        "SELECT lower('{tok}') AS x",
        "SELECT hex('{tok}') AS x",
        "SELECT '{tok}' AS x",
        "SELECT id, '{tok}' || '' AS x FROM customers",
        "SELECT CASE WHEN id = 1 THEN '{tok}' END AS x FROM customers",
        "SELECT id FROM customers WHERE notes LIKE '%{tok}%'",
        "SELECT id FROM customers WHERE length('{tok}') > 3",
        "WITH g AS (SELECT 'Maren Okafor' AS c) SELECT c FROM g WHERE c = '{tok}'",
        "SELECT id FROM customers WHERE ssn = '{tok}'",  # a PERSON token against an SSN column
    ],
)
def test_granted_token_is_never_bound_where_it_comes_back(
    guard: Guard, db: sqlite3.Connection, expr: str
) -> None:
    t = guard.sql_tool(db, reveal=["PERSON"])
    tok = _tokens(t, "name")[1]
    out = text(t, expr.format(tok=tok))
    assert "a token can only be compared with a table column" in out, out
    assert "Maren" not in out and b"Maren Okafor".hex().upper() not in out.upper()
    assert_no_raw(out)


# --------------------------------------------------------------------------- non-interference

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_ATOMS = [
    "ssn",
    "c.ssn",
    "email",
    "'m'",
    "id",
    "notes",
    "balance_due",
    "'2'",
    "'219-09-9999'",
    "'[SSN_1]'",
    "1",
]
_expr = st.recursive(
    st.sampled_from(_ATOMS),
    lambda inner: st.one_of(
        st.builds(lambda f, a: f"{f}({a})", st.sampled_from(["lower", "length", "hex", "abs", "max"]), inner),
        st.builds(lambda a: f"substr({a}, 1, 1)", inner),
        st.builds(
            lambda a, op, b: f"({a} {op} {b})",
            inner,
            st.sampled_from(["=", "<>", ">", "<", "LIKE", "||", "+", "IN"]),
            inner,
        ).map(lambda s: s.replace(" IN ", " IN (").replace(")", "))", 1) if " IN " in s else s),
        st.builds(lambda a, b, c: f"CASE WHEN {a} THEN {b} ELSE {c} END", inner, inner, inner),
    ),
    max_leaves=5,
)
_query = st.builds(
    lambda proj, where, order, group: (
        f"SELECT {proj} AS x FROM customers c"
        + (f" WHERE {where}" if where else "")
        + (f" GROUP BY {group}" if group else "")
        + (f" ORDER BY {order}" if order else "")
    ),
    _expr,
    st.none() | _expr,
    st.none() | _expr,
    st.none() | _expr,
)


def _tool_over(world: tuple[tuple[str, str], tuple[str, str]]) -> Any:
    ssns, emails = world
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.execute("CREATE TABLE customers (id INTEGER, email TEXT, ssn TEXT, notes TEXT, balance_due REAL)")
    conn.executemany(
        "INSERT INTO customers VALUES (?, ?, ?, ?, ?)",
        [(1, emails[0], ssns[0], "vip", 3.0), (2, emails[1], ssns[1], "new", 0.0)],
    )
    conn.commit()
    return Guard(store="memory://", principal="test:oracles").sql_tool(conn)


_WORLDS = (
    (("219-09-9999", "536-22-8714"), ("maren.okafor@example.org", "tomasz.l@example.net")),
    (("536-22-8714", "078-05-1120"), ("zoe.quist@example.com", "aiko.b@example.org")),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=_query)
def test_no_query_answers_differently_when_only_hidden_values_differ(query: str) -> None:
    """Non-interference: two databases that differ only in hidden SSNs and emails give the model the
    same answer to any query (refused, failed or run), so no query can be an oracle on them."""
    a, b = (_tool_over(w) for w in _WORLDS)
    out_a, out_b = text(a, query), text(b, query)
    assert out_a == out_b, query


def test_type_the_policy_shows_raw_may_be_filtered(db: sqlite3.Connection) -> None:
    """A column of a type the policy allows raw is no secret: filtering on it is no oracle."""
    g = Guard(store="memory://", principal="test:oracles").with_policy(
        {"version": 1, "entities": {"PERSON": {"action": "allow"}}}
    )
    t = g.sql_tool(db)
    out = call(t, "SELECT id, name FROM customers WHERE name LIKE 'Maren%' ORDER BY name")
    assert out.artifact["rows"] == [[1, "Maren Okafor"]]
    assert "may only read as tokens" in text(t, "SELECT id FROM customers WHERE ssn LIKE '2%'")
