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


# -- streams: early release in every restorer -------------------------------------------

SSN = "536-22-4187"


class Scripted(RecordingToolModel):
    """Answers with a fixed text, streamed ``chunk_size`` characters at a time."""

    text: str = ""

    def _reply(self, messages: list[Any]) -> AIMessage:
        return AIMessage(content=self.text)


def _variants(guard: Any, scope: str) -> list[str]:
    e, s = guard.mask(ALICE_EMAIL, scope=scope), guard.mask(SSN, scope=scope)
    be, bs = e.strip("[]"), s.strip("[]")
    return [
        f"{e}. {s}, ok",
        f"({be}), x.{bs}: '{e}'",
        f'"{e}"{s}!{be}?',
        f"\\[{be.replace('_', chr(92) + '_')}\\], &#91;{bs}&#93;.",
        f"{e.lower()}]] {{{s}}} {e}",
        f"a{be}, {be}b. end",
        f"%5B{be}%5D and `{e}` and \\u005b{be}\\u005d",
        f"Unfortunately{e}EMAIL{be.lower()}-EM{bs}",
        f"x{be} -PH{bs[2:]} Ema{be[3:]}",
    ]


def test_langchain_stream_one_char_chunks_equal_the_non_streamed_answer() -> None:
    """``wrap_chat_model`` streams (LangChain's chunk restorer, early release on) give what
    restoring the whole answer gives, for every tolerated token form, at 1 to 3 characters
    per chunk."""
    from guardllm import Guard
    from guardllm.integrations.langchain import wrap_chat_model

    guard = Guard(store="memory://")
    config = {"configurable": {"thread_id": "S1"}}
    for text in _variants(guard, "S1"):
        expected = guard.unmask(text, scope="S1")
        for size in (1, 2, 3):
            model = wrap_chat_model(guard, Scripted(text=text, chunk_size=size))
            assert model.invoke([HumanMessage("hi")], config=config).content == expected
            streamed = "".join(c.content for c in model.stream([HumanMessage("hi")], config=config))
            assert streamed == expected, (size, text)


def test_restorer_random_texts_and_cuts_match_whole_restore() -> None:
    import random

    from guardllm import Guard
    from guardllm.integrations._sdk_common import eager_stream_restorer

    guard = Guard(store="memory://")
    e, s = guard.mask(ALICE_EMAIL, scope="R"), guard.mask(SSN, scope="R")
    be, bs = e.strip("[]"), s.strip("[]")
    atoms = [e, s, be, bs, e.lower(), f"x{be}", f"{be}x", "EMA", "Email", "SS", "I", "Unfortunately"]
    atoms += [*"-(),.;'\"_[]\\1&%#`", f"&#91;{be}&#93;", f"%5B{be}%5D", "[EMAIL_99]"]
    rng = random.Random(7)
    for _ in range(150):
        text = "".join(rng.choice(atoms) + rng.choice(["", "", " ", "\n"]) for _ in range(rng.randint(2, 10)))
        expected = guard.unmask(text, scope="R")
        for size in (1, 2, None):
            r = eager_stream_restorer(guard, scope="R")
            assert r.releases_early
            if size is None:
                cuts = sorted(rng.sample(range(1, len(text)), rng.randint(0, len(text) - 1)))
                pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
            else:
                pieces = [text[i : i + size] for i in range(0, len(text), size)]
            out = "".join(r.feed(p) for p in pieces) + r.flush()
            assert out == expected, (pieces, text)


def test_restorer_shows_a_long_first_word_before_it_ends() -> None:
    from guardllm import Guard
    from guardllm.integrations._sdk_common import eager_stream_restorer

    guard = Guard(store="memory://")
    token = guard.mask(ALICE_EMAIL, scope="W")
    text = f"Unfortunately {token} bounced."
    r = eager_stream_restorer(guard, scope="W")
    shown = [r.feed(c) for c in text]
    first = next(i for i, piece in enumerate(shown) if piece)
    assert first < len(token)  # well before "Unfortunately" ends at index 13
    assert "".join(shown[:13]).startswith("Unfortunate")
    assert "".join(shown) + r.flush() == f"Unfortunately {ALICE_EMAIL} bounced."
    # A label prefix is still held until it cannot be a token any more.
    r = eager_stream_restorer(guard, scope="W")
    assert r.feed("EMAI") == "" and r.pending == 4


def test_restorer_with_multi_word_surrogates_never_releases_early() -> None:
    from guardllm import Guard
    from guardllm.integrations._sdk_common import eager_stream_restorer

    guard = Guard(policy={"default_action": "surrogate"}, store="memory://")
    text = guard.mask(f"Mail {ALICE_EMAIL}, SSN {SSN}. Unfortunately it bounced.", scope="G")
    r = eager_stream_restorer(guard, scope="G")
    assert not r.releases_early
    assert "".join(r.feed(c) for c in text) + r.flush() == guard.unmask(text, scope="G")


def test_middleware_restore_stream_releases_the_first_word_early() -> None:
    """``middleware(restore_stream=True)``: the agent's token stream shows a long first
    word as it streams and equals the restored final answer."""
    from langchain.agents import create_agent

    from guardllm import Guard

    guard = Guard(store="memory://")
    token = guard.mask(ALICE_EMAIL, scope="T-s")
    text = f"Unfortunately {token} bounced."
    agent = create_agent(
        Scripted(text=text, chunk_size=1), [], middleware=[guard.middleware(restore_stream=True)]
    )
    pieces = [
        item[0].content
        for item in agent.stream(
            {"messages": [HumanMessage("status?")]},
            stream_mode="messages",
            config={"configurable": {"thread_id": "T-s"}},
        )
        if isinstance(item[0], AIMessage) and isinstance(item[0].content, str)
    ]
    assert "".join(pieces) == f"Unfortunately {ALICE_EMAIL} bounced."
    first = next(i for i, piece in enumerate(pieces) if piece)
    assert first < len(token) and "".join(pieces[: first + 1]).startswith("U")
