"""``guard.wrap_tool`` output kinds and identity details not covered in test_lc_tools.py:
list outputs, a tool that returns its own ToolMessage, new values tokenised in the call's
scope (and only there), async ``@tool`` functions, and a ``block`` rule on arguments."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pytest
from langchain_core.messages import ToolMessage
from langchain_core.tools import InjectedToolCallId, tool

from tests.lc_support import ALICE_EMAIL, ALICE_SSN, BOB_EMAIL, assert_no_raw, audit_records, dumps

CFG = {"configurable": {"thread_id": "out-1", "principal": "agent-1"}}


@pytest.fixture
def guard() -> Any:
    from guardllm import Guard

    return Guard(store="memory://")


def test_list_output_is_masked_and_keeps_its_shape(guard: Any) -> None:
    @tool
    def contacts(team: str) -> list[dict[str, Any]]:
        """List a team's contacts."""
        return [{"email": ALICE_EMAIL, "n": 1}, {"email": BOB_EMAIL, "n": 2}, "plain"]

    out = guard.wrap_tool(contacts).invoke({"team": "billing"}, config=CFG)
    assert isinstance(out, list) and len(out) == 3 and out[2] == "plain"
    assert [r["n"] for r in out[:2]] == [1, 2]
    assert all(r["email"].startswith("[EMAIL_") for r in out[:2])
    assert_no_raw(dumps(out))
    msg = guard.wrap_tool(contacts).invoke(
        {"name": "contacts", "args": {"team": "b"}, "id": "l1", "type": "tool_call"}, config=CFG
    )
    assert isinstance(msg, ToolMessage) and msg.tool_call_id == "l1"
    assert_no_raw(dumps(msg.content))


def test_tool_returning_its_own_tool_message_is_masked(guard: Any) -> None:
    @tool
    def crm(customer: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> ToolMessage:
        """Fetch a CRM record as a ready ToolMessage."""
        return ToolMessage(
            content=f"customer {customer}: {BOB_EMAIL}",
            artifact={"ssn": ALICE_SSN},
            tool_call_id=tool_call_id,
        )

    msg = guard.wrap_tool(crm).invoke(
        {"name": "crm", "args": {"customer": "7"}, "id": "m1", "type": "tool_call"}, config=CFG
    )
    assert isinstance(msg, ToolMessage) and msg.tool_call_id == "m1"
    assert "[EMAIL_" in msg.content
    assert_no_raw(dumps(msg.content) + dumps(msg.artifact))


def test_new_values_get_tokens_in_the_calls_scope_only(guard: Any) -> None:
    @tool
    def lookup(customer: str) -> str:
        """Look up a customer's email."""
        return f"email: {BOB_EMAIL}"  # a value the model has never seen

    out = guard.wrap_tool(lookup).invoke({"customer": "bob"}, config=CFG)
    token = out.split()[-1]
    assert token.startswith("[EMAIL_") and BOB_EMAIL not in out
    assert guard.unmask(token, scope="out-1", to="user") == BOB_EMAIL  # the user may see it
    assert guard.unmask(token, scope="another-thread", to="user") != BOB_EMAIL
    # the same value later in the same thread gets the same token
    assert guard.mask(f"write to {BOB_EMAIL}", scope="out-1") == f"write to {token}"


async def test_async_tool_function_sync_and_async_paths(guard: Any) -> None:
    received: list[str] = []

    @tool
    async def notify(to: str) -> str:
        """Notify someone (async only)."""
        received.append(to)
        return f"notified {to}"

    token = guard.mask(ALICE_EMAIL, scope="out-1")
    wrapped = guard.wrap_tool(notify, reveal=["EMAIL_ADDRESS"])
    out = await wrapped.ainvoke({"to": token}, config=CFG)
    assert received == [ALICE_EMAIL] and out == f"notified {token}"
    # the sync path of an async-only tool fails like LangChain's own, before any reveal
    with pytest.raises(NotImplementedError):
        notify.invoke({"to": "x"})
    with pytest.raises(NotImplementedError):
        wrapped.invoke({"to": token}, config=CFG)
    assert received == [ALICE_EMAIL]


def test_block_rule_error_names_type_and_rule_and_the_agent_can_read_it(guard: Any) -> None:
    from guardllm import Guard, Policy

    strict = Guard(
        policy=Policy.from_dict({"entities": {"EMAIL_ADDRESS": {"action": "block"}}}), store="memory://"
    )

    @tool
    def directory(name: str) -> str:
        """Look up a person."""
        return json.dumps({"name": name, "email": ALICE_EMAIL})

    msg = strict.wrap_tool(directory).invoke(
        {"name": "directory", "args": {"name": "alice"}, "id": "d1", "type": "tool_call"}, config=CFG
    )
    assert isinstance(msg, ToolMessage) and msg.status == "error"
    assert "EMAIL_ADDRESS" in msg.content and "rule" in msg.content
    assert_no_raw(msg.content)
    blocks = audit_records(strict, event="block")
    assert blocks and blocks[-1]["entity_type"] == "EMAIL_ADDRESS"
    assert_no_raw(dumps(audit_records(strict)))
