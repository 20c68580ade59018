"""Agent runs through ``guard.middleware()``: every audit record names the run, one
``tool_call`` record per tool call; stream restorers release text that cannot become a
token at once."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import HumanMessage

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
