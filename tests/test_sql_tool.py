"""The guarded SQL tool end to end: a real Guard, real SQLite files, real LangChain tool calls."""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field

import guardllm
from guardllm.integrations.langchain.sql import sql_tool

warnings.filterwarnings("ignore", category=DeprecationWarning)

PEOPLE = [
    # id, name, email, ssn, phone, card, balance, notes
    (
        1,
        "Maren Okafor",
        "maren.okafor@example.org",
        "219-09-9999",
        "+1 415 555 0134",
        "4111 1111 1111 1111",
        1250.0,
        "Prefers email.",
    ),
    (
        2,
        "Seán O'Brien",
        "sean.o'brien\\ops@example.net",
        "078-05-1120",
        "+1 212 555 0187",
        "5555 5555 5555 4444",
        0.0,
        "Called twice; wants a callback at +1 646 555 0199.",
    ),
    (
        3,
        "Jun-seo Park",
        "junseo.park@example.org",
        "457-55-5462",
        "+1 917 555 0110",
        "6011 1111 1111 1117",
        310.5,
        None,
    ),
]
RAW = [v for row in PEOPLE for v in (row[1], row[2], row[3], row[4], row[5])] + ["+1 646 555 0199"]
TOKEN = re.compile(r"\[[A-Z][A-Z0-9_]*_\d+\]")


def make_db(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, ssn TEXT,
                                phone TEXT, card_number TEXT, balance_due REAL, notes TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, total REAL);
        INSERT INTO orders VALUES (1, 1, 99.5), (2, 1, 10.0), (3, 3, 42.0);
        """
    )
    conn.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?, ?)", PEOPLE)
    conn.commit()
    conn.close()
    return path


@pytest.fixture()
def db_path(tmp_path: Path) -> Path:
    return make_db(tmp_path / "shop.db")


@pytest.fixture()
def conn(db_path: Path):
    c = sqlite3.connect(db_path)
    yield c
    c.close()


@pytest.fixture()
def guard(tmp_path: Path) -> Any:
    return guardllm.Guard(store="memory://")


class Traced:
    """Every statement SQLite executes on a connection (with bound values expanded)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.statements: list[str] = []
        conn.set_trace_callback(self.statements.append)

    def queries(self) -> list[str]:
        # Our own schema lookups are not the model's query.
        return [s for s in self.statements if "pragma_table_info" not in s and not s.startswith("-- PRAGMA")]


def call(tool: Any, query: str, *, thread: str = "t1", run_id: uuid.UUID | None = None) -> ToolMessage:
    config: dict[str, Any] = {"configurable": {"thread_id": thread}}
    if run_id is not None:
        config["run_id"] = run_id
    msg = tool.invoke(
        {
            "type": "tool_call",
            "id": f"call_{uuid.uuid4().hex[:8]}",
            "name": tool.name,
            "args": {"query": query},
        },
        config=config,
    )
    assert isinstance(msg, ToolMessage)
    return msg


def assert_no_raw(*texts: Any) -> None:
    blob = "\n".join(t if isinstance(t, str) else json.dumps(t, default=str) for t in texts)
    for value in RAW:
        assert value not in blob, f"raw value leaked: {value[:2]}…"


# --------------------------------------------------------------------------- drop-in shape


def test_drop_in_for_query_sql_database_tool(guard: Any, conn: sqlite3.Connection) -> None:
    from langchain_community.tools.sql_database.tool import QuerySQLDatabaseTool

    tool = sql_tool(guard, conn)
    assert tool.name == QuerySQLDatabaseTool.model_fields["name"].default == "sql_db_query"
    assert set(tool.args) == {"query"}
    assert tool.response_format == "content_and_artifact"
    msg = call(tool, "SELECT id, name, email, balance_due FROM customers ORDER BY id")
    assert msg.content.splitlines()[0] == "| id | name | email | balance_due |"
    art = msg.artifact
    assert art["columns"] == ["id", "name", "email", "balance_due"]
    assert art["row_count"] == 3 and art["truncated"] is False
    assert [r[0] for r in art["rows"]] == [1, 2, 3] and art["rows"][0][3] == 1250.0
    assert all(TOKEN.fullmatch(r[1]) and TOKEN.fullmatch(r[2]) for r in art["rows"])
    assert_no_raw(msg.content, art)


def test_guard_sql_tool_forwards(guard: Any, conn: sqlite3.Connection) -> None:
    tool = guard.sql_tool(conn, reveal=["EMAIL_ADDRESS"], max_rows=2)
    assert tool.name == "sql_db_query" and tool.guarded.rules.max_rows == 2
    msg = call(tool, "SELECT id FROM customers")
    assert msg.artifact["row_count"] == 2 and msg.artifact["truncated"] is True
    assert "truncated" in msg.content


@pytest.mark.parametrize("kind", ["sqldatabase", "engine", "url"])
def test_accepts_sqlalchemy_and_langchain_databases(guard: Any, db_path: Path, kind: str) -> None:
    sa = pytest.importorskip("sqlalchemy")
    url = f"sqlite:///{db_path}"
    if kind == "sqldatabase":
        from langchain_community.utilities import SQLDatabase

        db: Any = SQLDatabase.from_uri(url)
    elif kind == "engine":
        db = sa.create_engine(url)
    else:
        db = url
    tool = sql_tool(guard, db, reveal=["EMAIL_ADDRESS"])
    first = call(tool, "SELECT name, email FROM customers WHERE id = 2")
    token = first.artifact["rows"][0][1]
    again = call(tool, f"SELECT id FROM customers WHERE email = '{token}'")
    assert again.artifact["rows"] == [[2]]
    blocked = call(tool, "DELETE FROM customers")
    assert blocked.content.startswith("Error: only SELECT")
    assert_no_raw(first.content, first.artifact, again.content)
    with sqlite3.connect(db_path) as check:
        assert check.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 3


def test_sqldatabase_include_tables_is_an_allow_list(guard: Any, db_path: Path) -> None:
    from langchain_community.utilities import SQLDatabase

    tool = sql_tool(guard, SQLDatabase.from_uri(f"sqlite:///{db_path}", include_tables=["orders"]))
    assert call(tool, "SELECT COUNT(*) AS n FROM orders").artifact["rows"] == [[3]]
    assert "table customers is not allowed" in call(tool, "SELECT id FROM customers").content


# --------------------------------------------------------------------------- guardrails


BLOCKED_SQLITE = {
    "dml": "UPDATE customers SET balance_due = 0",
    "delete": "DELETE FROM customers",
    "insert": "INSERT INTO customers (id, name, email) VALUES (9, 'x', 'y')",
    "ddl": "DROP TABLE customers",
    "create": "CREATE TABLE stolen AS SELECT * FROM customers",
    "multi": "SELECT 1; DELETE FROM customers",
    "select_into": "SELECT * INTO stolen FROM customers",
    "writing_cte": "WITH x AS (SELECT 1 AS id) DELETE FROM customers WHERE id IN (SELECT id FROM x)",
    "pragma": "PRAGMA writable_schema = 1",
    "attach": "ATTACH DATABASE 'evil.db' AS evil",
    "vacuum": "VACUUM INTO 'copy.db'",
    "function": "SELECT load_extension('evil')",
    "unparseable": "SELEC name FRM customers",
    "denied_column_filter": "SELECT name FROM customers WHERE ssn LIKE '219%'",
}


@pytest.mark.parametrize("kind", sorted(BLOCKED_SQLITE))
def test_blocked_queries_never_reach_the_database(guard: Any, conn: sqlite3.Connection, kind: str) -> None:
    tool = sql_tool(guard, conn, deny_columns=["customers.ssn"])
    tool.guarded.db.table_columns(["customers", "orders"])  # schema cached before tracing
    traced = Traced(conn)
    msg = call(tool, BLOCKED_SQLITE[kind])
    assert msg.content.startswith("Error: ")
    assert msg.artifact["rule"].startswith("sql.")
    assert traced.queries() == [], traced.statements
    events = [r for r in guard.audit.query() if r.event == "guardrail"]
    assert events and events[-1].rule == msg.artifact["rule"]
    assert events[-1].recipient == "tool:sql_db_query"
    assert conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 3


def test_sqlite_authorizer_backs_up_the_parser(guard: Any, conn: sqlite3.Connection) -> None:
    # Even a statement that slipped past the parser could not write: the connection refuses it.
    import sqlglot

    from guardllm.sql.database import SqliteDatabase
    from guardllm.sql.params import BoundQuery

    db = SqliteDatabase(conn)
    expr = sqlglot.parse_one("SELECT 1")
    stmt = BoundQuery(expression=expr, dialect="sqlite")
    assert db.execute(stmt, 5) == (["1"], [(1,)])
    evil = BoundQuery(expression=sqlglot.parse_one("DELETE FROM customers"), dialect="sqlite")
    with pytest.raises(sqlite3.DatabaseError):
        db.execute(evil, 5)
    assert conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 3


def test_runaway_query_is_interrupted(guard: Any, conn: sqlite3.Connection) -> None:
    tool = sql_tool(guard, conn, timeout=0.2)
    msg = call(
        tool,
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT COUNT(*) AS n FROM r",
    )
    assert msg.content.startswith("Error: the database returned an error")
    assert "interrupted" in msg.content


# --------------------------------------------------------------------------- masking


def test_consistent_tokens_across_queries_in_one_scope(guard: Any, conn: sqlite3.Connection) -> None:
    tool = sql_tool(guard, conn)
    a = call(tool, "SELECT id, name, email, phone, card_number, notes FROM customers ORDER BY id")
    b = call(tool, "SELECT email AS contact, name FROM customers WHERE id = 2")
    rows = {r[0]: r for r in a.artifact["rows"]}
    assert b.artifact["rows"][0] == [rows[2][2], rows[2][1]]  # same values, same tokens
    # Tokens are the Guard's own: unmasking for the user restores the values.
    assert guard.unmask(rows[2][1], scope="t1", to="user") == "Seán O'Brien"
    # Free text is scanned too: the phone number inside the note is tokenized.
    assert TOKEN.search(rows[2][5]) and "+1 646 555 0199" not in rows[2][5]
    # Another conversation gets its own tokens.
    c = call(tool, "SELECT name FROM customers WHERE id = 2", thread="t2")
    other = c.artifact["rows"][0][0]
    assert guard.unmask(other, scope="t2", to="user") == "Seán O'Brien"
    assert guard.unmask(other, scope="t3", to="user") == other  # never issued there: stays a token
    assert_no_raw(a.content, a.artifact, b.content, c.content)


def test_column_type_by_name_and_by_lineage(guard: Any, conn: sqlite3.Connection) -> None:
    tool = sql_tool(guard, conn)
    msg = call(tool, "SELECT name AS who, ssn AS tax_id, card_number FROM customers WHERE id = 3")
    who, tax, card = msg.artifact["rows"][0]
    assert who.startswith("[PERSON_")
    assert guard.unmask(tax, scope="t1", to="user") == "457-55-5462"
    assert guard.unmask(card, scope="t1", to="user") == "6011 1111 1111 1117"
    assert msg.artifact["sources"] == {
        "who": ["customers.name"],
        "tax_id": ["customers.ssn"],
        "card_number": ["customers.card_number"],
    }
    assert_no_raw(msg.content, msg.artifact)


@pytest.mark.parametrize("action", ["tokenize", "drop", "block"])
def test_forbidden_column_actions(guard: Any, conn: sqlite3.Connection, action: str) -> None:
    tool = sql_tool(guard, conn, deny_columns=["customers.balance_due"], forbidden_columns_action=action)
    msg = call(tool, "SELECT * FROM customers WHERE id = 1")
    if action == "block":
        assert msg.content == "Error: column customers.balance_due is not allowed"
        return
    cols = msg.artifact["columns"]
    if action == "drop":
        assert "balance_due" not in cols and msg.artifact["dropped_columns"] == ["balance_due"]
        assert "hidden by policy: balance_due" in msg.content
    else:
        value = msg.artifact["rows"][0][cols.index("balance_due")]
        assert TOKEN.fullmatch(value)
    assert "1250" not in msg.content


# --------------------------------------------------------------------------- tokens in queries


def test_token_becomes_bound_parameter_db_sees_value_model_does_not(
    guard: Any, conn: sqlite3.Connection
) -> None:
    tool = sql_tool(guard, conn, reveal=["EMAIL_ADDRESS", "PERSON"])
    first = call(tool, "SELECT name, email FROM customers WHERE id = 2")
    name_tok, email_tok = first.artifact["rows"][0]
    traced = Traced(conn)
    found = call(tool, f"SELECT id, balance_due FROM customers WHERE email = '{email_tok}'")
    assert found.artifact["rows"] == [[2, 0.0]]
    # every IN item must be a token: a raw guess next to one would be an equality oracle
    by_name = call(tool, f"SELECT id FROM customers WHERE name IN ('{name_tok}', '[PERSON_99]')")
    assert by_name.artifact["rows"] == [[2]]
    # A token in a LIKE pattern is refused: LIKE on a PII column is an oracle on its value.
    like = call(tool, f"SELECT id FROM customers WHERE name LIKE '%{name_tok}%'")
    assert "may only read as tokens" in like.content and not like.artifact.get("rows")
    join = call(
        tool,
        f"SELECT o.total FROM orders o JOIN customers c ON c.id = o.customer_id AND c.email = '{email_tok}'",
    )
    assert join.artifact["rows"] == []
    # The database received the real values, quotes and backslash intact, as parameters ...
    executed = traced.queries()
    assert any("sean.o''brien\\ops@example.net" in s for s in executed)
    assert any("Seán O''Brien" in s for s in executed)
    # ... and the model never sees them.
    assert_no_raw(found.content, found.artifact, by_name.content, like.content, join.content)
    reveals = [r for r in guard.audit.query() if r.event == "reveal"]
    assert reveals and all(r.recipient == "tool:sql_db_query" for r in reveals)


def test_token_of_unrevealed_type_is_refused(guard: Any, conn: sqlite3.Connection) -> None:
    tool = sql_tool(guard, conn)  # least privilege: no reveal grants
    token = call(tool, "SELECT email FROM customers WHERE id = 1").artifact["rows"][0][0]
    traced = Traced(conn)
    msg = call(tool, f"SELECT id FROM customers WHERE email = '{token}'")
    assert msg.content.startswith("Error: ") and "EMAIL_ADDRESS" in msg.content
    assert msg.artifact["rule"] == "sql.token_not_revealable"
    assert traced.queries() == []
    assert any(r.event == "guardrail" and r.rule == "sql.token_not_revealable" for r in guard.audit.query())


@pytest.mark.parametrize(
    "template",
    [
        "SELECT id FROM customers WHERE email = '{t}'' OR 1=1 --'",
        "SELECT id FROM customers WHERE email = '{t}'' OR ''a''=''a'",
        "SELECT id FROM customers WHERE name = '{t}''; DROP TABLE customers; --'",
    ],
)
def test_injection_in_token_shaped_strings(guard: Any, conn: sqlite3.Connection, template: str) -> None:
    tool = sql_tool(guard, conn, reveal=["EMAIL_ADDRESS", "PERSON"])
    token = call(tool, "SELECT email FROM customers WHERE id = 1").artifact["rows"][0][0]
    msg = call(tool, template.format(t=token))
    assert msg.artifact.get("rows") == [], msg.content
    assert conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 3


def test_token_from_another_scope_resolves_to_nothing(guard: Any, conn: sqlite3.Connection) -> None:
    tool = sql_tool(guard, conn, reveal=["EMAIL_ADDRESS"])
    token = call(tool, "SELECT email FROM customers WHERE id = 1", thread="alice").artifact["rows"][0][0]
    traced = Traced(conn)
    msg = call(tool, f"SELECT id FROM customers WHERE email = '{token}'", thread="mallory")
    assert msg.artifact["rows"] == []
    assert not any("maren" in s for s in traced.statements)


# --------------------------------------------------------------------------- lineage and records


def test_lineage_names_source_columns(guard: Any, conn: sqlite3.Connection) -> None:
    tool = sql_tool(guard, conn, reveal=["EMAIL_ADDRESS"])
    token = call(tool, "SELECT email FROM customers WHERE id = 1").artifact["rows"][0][0]
    run_id = uuid.uuid4()
    call(
        tool,
        "SELECT c.name AS who, c.email, SUM(o.total) AS spent FROM customers c JOIN orders o "
        f"ON o.customer_id = c.id WHERE c.email = '{token}' GROUP BY c.id",
        run_id=run_id,
    )
    graph = guard.lineage(str(run_id))
    data = graph.to_dict()
    node_ids = {n["id"] for n in data["nodes"]}
    assert {
        "table:customers",
        "table:orders",
        "column:customers.name",
        "column:customers.email",
        "column:orders.total",
    } <= node_ids
    edges = data["edges"]
    by_source = {e["source"]: e for e in edges if e["source"].startswith("column:")}
    assert by_source["column:customers.name"]["status"] == "masked"
    assert "PERSON" in by_source["column:customers.name"]["entity_types"]
    assert by_source["column:orders.total"]["status"] == "raw"
    revealed = [e for e in edges if e["status"] == "revealed"]
    assert revealed and "EMAIL_ADDRESS" in revealed[0]["entity_types"]
    assert_no_raw(data)


def test_no_raw_value_in_audit_lineage_or_logs(
    tmp_path: Path, conn: sqlite3.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    store = tmp_path / "guard.db"
    guard = guardllm.Guard(store=f"sqlite:///{store}", key=os.urandom(32))
    tool = sql_tool(guard, conn, reveal=["EMAIL_ADDRESS"], deny_columns=["customers.ssn"])
    caplog.set_level(logging.DEBUG)
    rows = call(tool, "SELECT * FROM customers").artifact["rows"]
    call(tool, f"SELECT id FROM customers WHERE email = '{rows[1][2]}'")
    call(tool, "SELECT id FROM customers WHERE ssn = '219-09-9999'")  # blocked; the literal is in the query
    call(tool, "SELECT 'maren.okafor@example.org' FROM (")  # unparseable, quotes a value
    assert guard.audit.verify()
    records = json.dumps(
        [r.__dict__ if hasattr(r, "__dict__") else r for r in guard.audit.query()], default=str
    )
    assert_no_raw(records, caplog.text)
    del guard
    blob = store.read_bytes().decode("latin-1")
    for value in RAW:
        assert value not in blob


# --------------------------------------------------------------------------- tool-calling loop


class ScriptedSqlModel(BaseChatModel):
    """A real LangChain chat model that plays scripted turns and records what it was shown."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    turns: list[Callable[[list[BaseMessage]], AIMessage]] = Field(default_factory=list)
    seen: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted-sql"

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedSqlModel:  # type: ignore[override]
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        self.seen.append(list(messages))
        turn = self.turns[len(self.seen) - 1]
        return ChatResult(generations=[ChatGeneration(message=turn(messages))])


def _sql_call(query: str, n: int) -> AIMessage:
    return AIMessage(
        content="", tool_calls=[{"name": "sql_db_query", "args": {"query": query}, "id": f"c{n}"}]
    )


def _first_tool_text(messages: list[BaseMessage]) -> str:
    return next(m.content for m in messages if isinstance(m, ToolMessage))


def _last_tool_text(messages: list[BaseMessage]) -> str:
    return next(m.content for m in reversed(messages) if isinstance(m, ToolMessage))


def test_tool_calling_loop_model_sees_only_tokens(guard: Any, conn: sqlite3.Connection) -> None:
    model = ScriptedSqlModel(
        turns=[
            lambda m: _sql_call("SELECT name, email FROM customers WHERE balance_due > 1000", 1),
            lambda m: _sql_call(
                "SELECT o.id, o.total FROM orders o JOIN customers c ON c.id = o.customer_id "
                f"WHERE c.email = '{TOKEN.findall(_last_tool_text(m))[1]}' ORDER BY o.id",
                2,
            ),
            lambda m: _sql_call("DROP TABLE orders", 3),
            lambda m: AIMessage(content=f"{TOKEN.findall(_first_tool_text(m))[0]} has 2 orders."),
        ]
    )
    tool = sql_tool(guard, conn, reveal=["EMAIL_ADDRESS"])
    traced = Traced(conn)
    messages: list[BaseMessage] = [HumanMessage("Which customer owes the most, and what did they order?")]
    config = {"configurable": {"thread_id": "loop"}}
    for _ in range(6):
        reply = model.invoke(messages, config=config)
        messages.append(reply)
        if not reply.tool_calls:
            break
        for tc in reply.tool_calls:
            messages.append(tool.invoke({**tc, "type": "tool_call"}, config=config))
    tool_msgs = [m for m in messages if isinstance(m, ToolMessage)]
    assert "| 1 | 99.5 |" in tool_msgs[1].content and "| 2 | 10.0 |" in tool_msgs[1].content
    assert tool_msgs[2].content.startswith("Error: only SELECT")
    # The database got the real email as a bound value; the model saw tokens only.
    assert any("maren.okafor@example.org" in s for s in traced.queries())
    assert not any("DROP" in s.upper() for s in traced.statements)
    for seen in model.seen:
        assert_no_raw("\n".join(str(m.content) + json.dumps(getattr(m, "tool_calls", [])) for m in seen))
    # The user, in the same scope, gets the answer restored.
    assert guard.unmask(messages[-1].content, scope="loop", to="user") == "Maren Okafor has 2 orders."


def test_create_agent_uses_the_tool(guard: Any, db_path: Path) -> None:
    agents = pytest.importorskip("langchain.agents")
    model = ScriptedSqlModel(
        turns=[
            lambda m: _sql_call("SELECT COUNT(*) AS n FROM customers WHERE balance_due > 0", 1),
            lambda m: AIMessage(content="There are 2 customers with a balance."),
        ]
    )
    # create_agent runs tools on worker threads: the connection must allow that.
    shared = sqlite3.connect(db_path, check_same_thread=False)
    agent = agents.create_agent(model, tools=[sql_tool(guard, shared)])
    out = agent.invoke(
        {"messages": [HumanMessage("How many customers owe money?")]},
        config={"configurable": {"thread_id": "agent"}},
    )
    tool_msgs = [m for m in out["messages"] if isinstance(m, ToolMessage)]
    assert "| 2 |" in tool_msgs[0].content
    assert out["messages"][-1].content == "There are 2 customers with a balance."
    shared.close()


def test_thread_bound_connection_gives_a_clear_error(guard: Any, conn: sqlite3.Connection) -> None:
    import threading

    tool = sql_tool(guard, conn)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            call(tool, "SELECT id FROM customers")
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert errors and "check_same_thread=False" in str(errors[0])


# --------------------------------------------------------------------------- policy


def test_policy_per_tool_rules_apply(conn: sqlite3.Connection) -> None:
    policy = {
        "tools": {
            "sql_db_query": {
                "max_rows": 2,
                "deny_columns": ["customers.ssn"],
                "forbidden_columns_action": "block",
                "reveal": ["EMAIL_ADDRESS"],
            }
        }
    }
    guard = guardllm.Guard(policy=policy, store="memory://")
    tool = sql_tool(guard, conn, max_rows=50)  # the policy's row limit is a ceiling
    assert tool.guarded.rules.max_rows == 2
    assert call(tool, "SELECT id FROM customers").artifact["row_count"] == 2
    assert call(tool, "SELECT ssn FROM customers").content == "Error: column customers.ssn is not allowed"
    token = call(tool, "SELECT email FROM customers WHERE id = 3").artifact["rows"][0][0]
    # The policy grants EMAIL_ADDRESS to this tool: the token binds without reveal=[...].
    assert call(tool, f"SELECT id FROM customers WHERE email = '{token}'").artifact["rows"] == [[3]]
    # A tool with another name gets none of it.
    other = sql_tool(guard, conn, name="reporting_sql")
    assert other.guarded.rules.max_rows == 100
    assert "EMAIL_ADDRESS" in call(other, f"SELECT id FROM customers WHERE email = '{token}'").content


def test_policy_block_action_refuses_the_result(conn: sqlite3.Connection) -> None:
    guard = guardllm.Guard(policy={"entities": {"US_SSN": {"action": "block"}}}, store="memory://")
    tool = sql_tool(guard, conn)
    msg = call(tool, "SELECT id, ssn FROM customers")
    assert msg.content.startswith("Error: the result holds data this policy blocks")
    assert "US_SSN" in msg.content
    assert_no_raw(msg.content)
    assert call(tool, "SELECT id FROM customers WHERE id = 1").artifact["rows"] == [[1]]


async def test_async_invocation(guard: Any, db_path: Path) -> None:
    tool = sql_tool(guard, f"sqlite:///{db_path}", reveal=["PERSON"])
    msg = await tool.ainvoke(
        {
            "type": "tool_call",
            "id": "a1",
            "name": "sql_db_query",
            "args": {"query": "SELECT name FROM customers"},
        },
        config={"configurable": {"thread_id": "async"}},
    )
    assert msg.artifact["row_count"] == 3
    token = msg.artifact["rows"][1][0]
    again = await tool.ainvoke(
        {
            "type": "tool_call",
            "id": "a2",
            "name": "sql_db_query",
            "args": {"query": f"SELECT id FROM customers WHERE name = '{token}'"},
        },
        config={"configurable": {"thread_id": "async"}},
    )
    assert again.artifact["rows"] == [[2]]
    assert_no_raw(msg.content, again.content)


def test_callback_handler_and_sql_lineage_share_one_graph(guard: Any, conn: sqlite3.Connection) -> None:
    model = ScriptedSqlModel(
        turns=[
            lambda m: _sql_call("SELECT name, email FROM customers WHERE id = 3", 1),
            lambda m: AIMessage(content=f"That is {TOKEN.findall(_first_tool_text(m))[0]}."),
        ]
    )
    tool = sql_tool(guard, conn)
    handler = guard.callback_handler()
    root = uuid.uuid4()
    config: dict[str, Any] = {"configurable": {"thread_id": "graph"}, "callbacks": [handler]}
    messages: list[BaseMessage] = [HumanMessage("Who is customer 3?")]

    from langchain_core.runnables import RunnableLambda

    def loop(msgs: list[BaseMessage], config: Any) -> str:
        for _ in range(4):
            reply = model.invoke(msgs, config=config)
            msgs.append(reply)
            if not reply.tool_calls:
                return str(reply.content)
            for tc in reply.tool_calls:
                msgs.append(tool.invoke({**tc, "type": "tool_call"}, config=config))
        return ""

    answer = RunnableLambda(loop).invoke(messages, config={**config, "run_id": root})
    assert guard.unmask(answer, scope="graph", to="user") == "That is Jun-seo Park."
    data = guard.lineage(str(root)).to_dict()
    ids = {n["id"] for n in data["nodes"]}
    assert {"table:customers", "column:customers.name", "column:customers.email"} <= ids
    tool_nodes = [n for n in data["nodes"] if n.get("name") == "sql_db_query"]
    assert len(tool_nodes) == 1
    col_edges = [e for e in data["edges"] if e["source"] == "column:customers.email"]
    assert col_edges and col_edges[0]["target"] == tool_nodes[0]["id"] and col_edges[0]["status"] == "masked"
    assert_no_raw(data)


@pytest.mark.parametrize("kind", ["url", "conn"])
def test_database_errors_never_echo_bound_values(guard: Any, db_path: Path, kind: str) -> None:
    db: Any = f"sqlite:///{db_path}" if kind == "url" else sqlite3.connect(db_path)
    tool = sql_tool(guard, db, reveal=["PERSON", "EMAIL_ADDRESS"])
    rows = call(tool, "SELECT name, email FROM customers WHERE id = 2").artifact["rows"]
    msg = call(
        tool, f"SELECT id FROM customers WHERE name = '{rows[0][0]}' AND no_such_column = '{rows[0][1]}'"
    )
    assert msg.content.startswith("Error: the database returned an error")
    assert "no_such_column" in msg.content and "[SQL" not in msg.content
    assert_no_raw(msg.content, msg.artifact)


# --------------------------------------------------------------------------- one masking pass, check memo


def test_typed_cells_masked_in_one_pass_with_one_mask_record(guard: Any, conn: sqlite3.Connection) -> None:
    """Every cell of a typed column is a whole token (same value, same token), recorded once."""
    tool = sql_tool(guard, conn)
    before = sum(1 for r in guard.audit.query() if r.event == "mask")
    msg = call(tool, "SELECT name, email, ssn, phone, card_number FROM customers ORDER BY id")
    assert_no_raw(msg.content, msg.artifact)
    rows = msg.artifact["rows"]
    assert len(rows) == 3
    for row in rows:
        for cell in row:
            assert TOKEN.fullmatch(cell), "a typed cell is one whole token"
    masks = [r for r in guard.audit.query() if r.event == "mask"][before:]
    assert len(masks) == 1, "one audit record for the whole result, not one per cell"
    assert sum(masks[0].counts.values()) == 15
    again = call(tool, "SELECT email AS contact FROM customers ORDER BY id")
    assert [r[0] for r in again.artifact["rows"]] == [r[1] for r in rows]  # same scope, same tokens


def test_checked_query_reused_only_while_schema_unchanged(guard: Any, db_path: Path) -> None:
    tool = sql_tool(
        guard, f"sqlite:///{db_path}", deny_columns=["orders.buyer_email"], forbidden_columns_action="drop"
    )
    first = call(tool, "SELECT * FROM orders")
    assert first.artifact["columns"] == ["id", "customer_id", "total"]
    c = sqlite3.connect(db_path)
    c.execute("ALTER TABLE orders ADD COLUMN buyer_email TEXT")
    c.execute("UPDATE orders SET buyer_email = 'maren.okafor@example.org'")
    c.commit()
    c.close()
    tool.guarded.db.refresh()  # the schema is read again: the remembered check must not be reused
    second = call(tool, "SELECT * FROM orders")
    # Checked against the new schema, ``*`` now includes the forbidden column, which is dropped.
    assert second.artifact["columns"] == ["id", "customer_id", "total"]
    assert second.artifact.get("dropped_columns") == ["buyer_email"]
    assert_no_raw(second.content, second.artifact)


def test_checked_query_not_reused_after_rules_change(guard: Any, conn: sqlite3.Connection) -> None:
    from guardllm.sql.guardrails import SqlRules

    tool = sql_tool(guard, conn)
    assert call(tool, "SELECT total FROM orders").status == "success"
    runner = tool.guarded
    runner.rules = SqlRules(dialect=runner.rules.dialect, deny_tables=("orders",))
    refused = call(tool, "SELECT total FROM orders")
    assert "orders" in refused.content and refused.artifact.get("rule")


def test_concurrent_queries_share_tokens_per_scope(guard: Any, db_path: Path) -> None:
    """Several threads running the same (remembered) query: one scope's cells get one token each,
    another scope gets its own, and nothing raw comes out."""
    from concurrent.futures import ThreadPoolExecutor

    tool = sql_tool(guard, f"sqlite:///{db_path}")
    query = "SELECT name, email, card_number FROM customers ORDER BY id"

    def run(i: int) -> list[list[Any]]:
        msg = call(tool, query, thread=f"scope-{i % 2}")
        assert_no_raw(msg.content, msg.artifact)
        return msg.artifact["rows"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(run, range(24)))
    even, odd = results[0::2], results[1::2]
    assert all(r == even[0] for r in even) and all(r == odd[0] for r in odd)
    for rows in (even[0], odd[0]):
        assert all(TOKEN.fullmatch(cell) for row in rows for cell in row)
    assert guard.unmask(even[0][0][1], scope="scope-0") == PEOPLE[0][2]
    assert guard.unmask(odd[0][0][1], scope="scope-1") == PEOPLE[0][2]
    assert guard.unmask(even[0][0][1], scope="scope-x") == even[0][0][1]  # a scope that never issued it


def test_a_refusal_quoting_model_text_reaches_the_audit_log_masked(
    guard: Any, conn: sqlite3.Connection
) -> None:
    """Refusals can quote what the model wrote (a table name); the audit record of the
    refusal holds that text masked, like the error the model reads."""
    tool = sql_tool(guard, conn, allow_tables=["customers"])
    msg = call(tool, 'SELECT * FROM "ana.lima@quillfeather.example"')
    assert "not allowed" in msg.content and "[EMAIL" in msg.content
    assert "quillfeather" not in msg.content, "the refusal the model reads quoted a raw value"
    records = [r for r in guard.audit.records() if r.event == "guardrail"]
    assert records and all("quillfeather" not in (r.detail or "") for r in records)
    assert "[EMAIL" in records[-1].detail
