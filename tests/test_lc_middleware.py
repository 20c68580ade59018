"""``guard.middleware()`` details beyond the end-to-end agent: blocks, masked tool errors,
scope and principal on every record, and hooks used directly."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from tests.lc_support import ALICE_EMAIL, ALICE_SSN, RecordingToolModel, assert_no_raw, audit_records, dumps

pytest.importorskip("langchain.agents")


class LookupModel(RecordingToolModel):
    """Calls ``lookup`` once, then answers with whatever the tool returned."""

    def _reply(self, messages: list[Any]) -> AIMessage:
        with self._lock:
            self.seen.append(list(messages))
        results = [m for m in messages if isinstance(m, ToolMessage)]
        if not results:
            return AIMessage(
                content="", tool_calls=[{"name": "lookup", "args": {"who": "alice"}, "id": "l1"}]
            )
        return AIMessage(content=f"Tool said: {results[-1].content}")


def _agent(guard: Any, lookup: Any, model: RecordingToolModel) -> Any:
    from langchain.agents import create_agent

    return create_agent(model, [lookup], middleware=[guard.middleware()])


def test_block_rule_refuses_the_tool_result_and_the_agent_continues() -> None:
    from guardllm import Guard, Policy

    guard = Guard(policy=Policy.from_dict({"entities": {"US_SSN": {"action": "block"}}}), store="memory://")

    @tool
    def lookup(who: str) -> str:
        """Look a customer up."""
        return f"{who}: ssn {ALICE_SSN}"

    model = LookupModel()
    result = _agent(guard, lookup, model).invoke(
        {"messages": [HumanMessage("look alice up")]},
        config={"configurable": {"thread_id": "blk", "principal": "auditor"}},
    )
    tool_msg = next(m for m in result["messages"] if isinstance(m, ToolMessage))
    assert tool_msg.status == "error" and "US_SSN" in tool_msg.content and "rule" in tool_msg.content
    assert_no_raw(dumps([m.content for m in result["messages"]]))
    assert_no_raw(model.seen_text())
    blocks = audit_records(guard, event="block")
    assert blocks and all(r.get("principal") == "auditor" for r in blocks)


def test_tool_error_text_is_masked_before_anyone_sees_it() -> None:
    from guardllm import Guard

    guard = Guard(store="memory://")

    @tool
    def lookup(who: str) -> str:
        """Look a customer up."""
        raise ValueError(f"no mailbox {ALICE_EMAIL}")

    from langchain.agents import create_agent

    agent = create_agent(LookupModel(), [lookup], middleware=[guard.middleware()])
    with pytest.raises(Exception) as info:
        agent.invoke(
            {"messages": [HumanMessage("look alice up")]}, config={"configurable": {"thread_id": "err"}}
        )
    assert_no_raw(str(info.value))


def test_scope_and_principal_on_every_record() -> None:
    from guardllm import Guard

    guard = Guard(store="memory://")

    @tool
    def lookup(who: str) -> str:
        """Look a customer up."""
        return f"{who} <{ALICE_EMAIL}>"

    model = LookupModel()
    result = _agent(guard, lookup, model).invoke(
        {"messages": [HumanMessage("look alice up")]},
        config={"configurable": {"thread_id": "scoped", "user_id": "u-42"}},
    )
    assert ALICE_EMAIL in result["messages"][-1].content  # restored for the user
    assert_no_raw(model.seen_text())
    mine = [r for r in audit_records(guard) if r["event"] in ("tool_call", "reveal", "mask")]
    assert mine and all(r.get("principal") == "u-42" for r in mine), [r.get("principal") for r in mine]
    assert all("scoped" in str(r.get("scope")) for r in mine)
    runs = {r.get("run_id") for r in audit_records(guard, event="tool_call")}
    assert len(runs) == 1 and None not in runs
    g = guard.lineage(runs.pop()).to_dict()
    assert all(n.get("scope") in ("scoped", None) for n in g["nodes"])
    assert any(n.get("principal") == "u-42" for n in g["nodes"])


def _email_agent(guard: Any) -> tuple[Any, Any, Any, Any]:
    from langchain.agents import create_agent

    from tests.lc_support import SYSTEM_PROMPT, ToolLog, make_tools

    log = ToolLog()
    send_email, log_note = make_tools(log)
    mw = guard.middleware(reveal={"send_email": ["EMAIL_ADDRESS"]})
    model = RecordingToolModel()
    agent = create_agent(model, [send_email, log_note], system_prompt=SYSTEM_PROMPT, middleware=[mw])
    return agent, mw, model, log


def test_scope_and_principal_on_every_lineage_node_and_audit_record() -> None:
    """Middleware alone (no callback handler): the run is found through ``mw.last_run_id``;
    every node of its graph and every audit record carries the thread's scope and the
    principal from ``configurable``."""
    from guardllm import Guard
    from tests.lc_support import QUESTION

    guard = Guard(store="memory://")
    agent, mw, model, _ = _email_agent(guard)
    agent.invoke(
        {"messages": [HumanMessage(QUESTION)]},
        config={"configurable": {"thread_id": "T-9", "principal": "svc-billing"}},
    )
    assert mw.last_run_id
    g = guard.lineage(mw.last_run_id)
    nodes = g.to_dict()["nodes"]
    assert {n["kind"] for n in nodes} >= {"chain", "llm", "tool", "source", "sink"}
    assert all(n.get("scope") == "T-9" and n.get("principal") == "svc-billing" for n in nodes), nodes
    records = audit_records(guard)
    assert records and all(r.get("scope") == "T-9" and r.get("principal") == "svc-billing" for r in records)
    assert {r.get("run_id") for r in audit_records(guard, event="tool_call")} == {mw.last_run_id}
    assert_no_raw(dumps(nodes) + dumps(records) + model.seen_text())


def test_configured_run_id_joins_turns_into_one_graph() -> None:
    import uuid

    from guardllm import Guard
    from tests.lc_support import QUESTION

    guard = Guard(store="memory://")
    agent, mw, model, _ = _email_agent(guard)
    run = str(uuid.uuid4())
    config = {"configurable": {"thread_id": "T-join", "guardllm_run_id": run}}
    first = agent.invoke({"messages": [HumanMessage(QUESTION)]}, config=config)
    agent.invoke({"messages": [*first["messages"], HumanMessage("Thanks!")]}, config=config)
    assert mw.last_run_id == run
    g = guard.lineage(run)
    assert len(g.steps("llm")) == 4 and len(g.steps("tool")) == 4
    assert_no_raw(model.seen_text() + g.to_json())


def test_agent_token_stream_through_the_middleware_never_shows_a_raw_value() -> None:
    """``stream_mode="messages"``: the middleware masks the request, so every streamed chunk
    holds tokens, never raw values (the final state is restored; for restored token
    streams wrap the model with ``guard.wrap_chat_model`` -- see test_lc_chat_models)."""
    from guardllm import Guard
    from tests.lc_support import QUESTION

    guard = Guard(store="memory://")
    agent, _, model, log = _email_agent(guard)
    streamed: list[str] = []
    final: dict[str, Any] = {}
    for mode, item in agent.stream(
        {"messages": [HumanMessage(QUESTION)]},
        stream_mode=["messages", "values"],
        config={"configurable": {"thread_id": "T-tok"}},
    ):
        if mode == "messages":
            streamed.append(dumps(item[0].content) + dumps(getattr(item[0], "tool_call_chunks", [])))
        else:
            final = item
    assert_no_raw("".join(streamed))
    assert any("[EMAIL_" in s for s in streamed)
    assert log.of("send_email")[0]["to"] == ALICE_EMAIL
    assert_no_raw(dumps(log.of("log_note")))
    assert ALICE_EMAIL in final["messages"][-1].content
    assert_no_raw(model.seen_text())


def test_without_a_configured_principal_the_guards_own_is_recorded_everywhere() -> None:
    from guardllm import Guard
    from tests.lc_support import QUESTION

    guard = Guard(store="memory://", principal="svc:agent-host")
    agent, mw, _, _ = _email_agent(guard)
    agent.invoke({"messages": [HumanMessage(QUESTION)]}, config={"configurable": {"thread_id": "T-dp"}})
    nodes = guard.lineage(mw.last_run_id).to_dict()["nodes"]
    assert {n.get("principal") for n in nodes} == {"svc:agent-host"}
    assert {r.get("principal") for r in audit_records(guard)} == {"svc:agent-host"}
