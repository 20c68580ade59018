"""Agent runs through ``guard.middleware()``: every audit record names the run, one
``tool_call`` record per tool call; stream restorers release text that cannot become a
token at once."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from tests.lc_support import (
    ALICE_EMAIL,
    QUESTION,
    SYSTEM_PROMPT,
    RecordingToolModel,
    ToolLog,
    assert_no_raw,
    audit_records,
    dumps,
    make_tools,
)

pytest.importorskip("langchain.agents")

PEOPLE = [("Maren Okafor", "maren.okafor@example.org"), ("Jun-seo Park", "junseo.park@example.org")]


def _email_agent(guard: Any) -> tuple[Any, Any]:
    from langchain.agents import create_agent

    send_email, log_note = make_tools(ToolLog())
    mw = guard.middleware(reveal={"send_email": ["EMAIL_ADDRESS"]})
    agent = create_agent(
        RecordingToolModel(), [send_email, log_note], system_prompt=SYSTEM_PROMPT, middleware=[mw]
    )
    return agent, mw


@pytest.mark.parametrize("with_handler", [False, True])
def test_every_record_of_an_agent_run_names_the_run_scope_and_principal(with_handler: bool) -> None:
    from guardllm import Guard

    guard = Guard(store="memory://")
    agent, mw = _email_agent(guard)
    config: dict[str, Any] = {"configurable": {"thread_id": "T-run", "principal": "svc-a"}}
    if with_handler:
        config["callbacks"] = [guard.callback_handler()]
    result = agent.invoke({"messages": [HumanMessage(QUESTION)]}, config=config)
    assert ALICE_EMAIL in result["messages"][-1].content
    records = audit_records(guard)
    events = {r["event"] for r in records}
    assert {"mask", "reveal", "refuse", "tool_call"} <= events, events
    assert {r.get("run_id") for r in records} == {mw.last_run_id}, [
        (r["event"], r.get("run_id")) for r in records
    ]
    assert {r.get("scope") for r in records} == {"T-run"}
    assert {r.get("principal") for r in records} == {"svc-a"}
    # The id is the lineage graph's: the reveals are on its edges.
    graph = guard.lineage(mw.last_run_id).to_dict()
    assert any(e.get("status") == "revealed" for e in graph["edges"])
    assert_no_raw(dumps(records))


def test_async_agent_run_records_name_the_run() -> None:
    import asyncio

    from guardllm import Guard

    guard = Guard(store="memory://")
    agent, mw = _email_agent(guard)
    asyncio.run(
        agent.ainvoke({"messages": [HumanMessage(QUESTION)]}, config={"configurable": {"thread_id": "T-as"}})
    )
    records = audit_records(guard)
    assert {"reveal", "tool_call"} <= {r["event"] for r in records}
    assert {r.get("run_id") for r in records} == {mw.last_run_id}


class SqlModel(RecordingToolModel):
    """Queries names and emails, then tries a DELETE, then answers with the first result."""

    def _reply(self, messages: list[Any]) -> AIMessage:
        with self._lock:
            self.seen.append(list(messages))
        results = [m for m in messages if isinstance(m, ToolMessage)]
        queries = ["SELECT name, email FROM people", "DELETE FROM people"]
        if len(results) < len(queries):
            n = len(results)
            return AIMessage(
                content="",
                tool_calls=[{"name": "sql_db_query", "args": {"query": queries[n]}, "id": f"q{n}"}],
            )
        return AIMessage(content=f"Found: {results[0].content}")


@pytest.mark.parametrize("with_handler", [False, True])
def test_one_audit_record_per_sql_call_through_the_middleware(with_handler: bool) -> None:
    from langchain.agents import create_agent

    from guardllm import Guard

    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.execute("CREATE TABLE people (name TEXT, email TEXT)")
    conn.executemany("INSERT INTO people VALUES (?, ?)", PEOPLE)
    guard = Guard(store="memory://")
    mw = guard.middleware()
    model = SqlModel()
    agent = create_agent(model, [guard.sql_tool(conn)], middleware=[mw])
    config: dict[str, Any] = {"configurable": {"thread_id": "T-sql", "principal": "analyst"}}
    if with_handler:
        config["callbacks"] = [guard.callback_handler()]
    result = agent.invoke({"messages": [HumanMessage("who are our customers?")]}, config=config)
    assert PEOPLE[0][1] in result["messages"][-1].content  # restored for the user

    calls = [r for r in audit_records(guard) if r["event"] in ("tool_call", "guardrail")]
    # Two calls, two records: the allowed query's tool_call and the refused one's guardrail.
    assert [r["event"] for r in calls] == ["tool_call", "guardrail"], calls
    allowed, refused = calls
    assert allowed["entity_types"] == ["EMAIL_ADDRESS", "PERSON"]
    assert allowed["counts"]["rows"] == 2 and "people" in allowed["detail"]
    assert "SELECT" in refused["detail"] and refused.get("rule")
    assert {r.get("run_id") for r in audit_records(guard)} == {mw.last_run_id}
    # The query's tables hang under the agent's graph, under one step per call.
    graph = guard.lineage(mw.last_run_id).to_dict()
    tools = [n for n in graph["nodes"] if n["kind"] == "tool"]
    assert len(tools) == 2, tools
    assert any(n["kind"] == "column" and n["name"] == "people.email" for n in graph["nodes"])
    raw = [v for row in PEOPLE for v in row]
    assert_no_raw(dumps(audit_records(guard)) + dumps(graph) + model.seen_text(), raw)


def test_middleware_leaves_sql_query_tokens_to_the_sql_tool() -> None:
    """A policy grant for the SQL tool must not make the middleware inline a raw value into
    the SQL text: the tool binds the token as a parameter itself (and audits the reveal)."""
    from langchain.agents import create_agent

    from guardllm import Guard, Policy

    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.execute("CREATE TABLE people (name TEXT, email TEXT)")
    conn.executemany("INSERT INTO people VALUES (?, ?)", [("Seán O'Brien", "sean.obrien@example.net")])
    policy = Policy.from_dict({"tools": {"sql_db_query": {"reveal": ["EMAIL_ADDRESS"]}}})
    guard = Guard(policy=policy, store="memory://")
    token = guard.mask("sean.obrien@example.net", scope="T-bind")

    class Lookup(RecordingToolModel):
        def _reply(self, messages: list[Any]) -> AIMessage:
            results = [m for m in messages if isinstance(m, ToolMessage)]
            if not results:
                q = f"SELECT name FROM people WHERE email = '{token}'"
                return AIMessage(
                    content="", tool_calls=[{"name": "sql_db_query", "args": {"query": q}, "id": "b"}]
                )
            return AIMessage(content=results[0].content)

    agent = create_agent(Lookup(), [guard.sql_tool(conn)], middleware=[guard.middleware()])
    result = agent.invoke(
        {"messages": [HumanMessage("find")]}, config={"configurable": {"thread_id": "T-bind"}}
    )
    assert "Seán O'Brien" in result["messages"][-1].content
    calls = audit_records(guard, event="tool_call")
    assert len(calls) == 1 and calls[0]["counts"]["revealed"] == 1
