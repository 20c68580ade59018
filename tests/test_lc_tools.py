"""``guard.wrap_tool``: grants, output masking, blocks, errors, tool-call ids, every tool kind."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pytest
from langchain.tools import ToolRuntime
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool, InjectedToolCallId, StructuredTool, ToolException, tool
from pydantic import BaseModel, Field

from guardllm.integrations.langchain import GuardedTool, wrap_tool
from tests.lc_support import ALICE_EMAIL, ALICE_SSN, BOB_EMAIL, assert_no_raw, audit_records, dumps


@pytest.fixture
def guard() -> Any:
    from guardllm import Guard

    return Guard(store="memory://")


def _tokens(guard: Any, scope: str = "t1") -> tuple[str, str]:
    masked = guard.mask(f"{ALICE_EMAIL} {ALICE_SSN}", scope=scope)
    email_tok, ssn_tok = masked.split(" ")
    assert email_tok.startswith("[EMAIL") and ssn_tok.startswith("[")
    return email_tok, ssn_tok


CFG = {"configurable": {"thread_id": "t1", "principal": "agent-7"}}


def _recording_tool(seen: list[dict[str, Any]]) -> BaseTool:
    @tool
    def send_email(to: str, body: str) -> str:
        """Send an email."""
        seen.append({"to": to, "body": body})
        return f"sent to {to}"

    return send_email


def test_keeps_identity_of_the_tool(guard: Any) -> None:
    @tool(return_direct=True)
    def lookup(customer_id: int, verbose: bool = False) -> str:
        """Look a customer up by id."""
        return "x"

    wrapped = guard.wrap_tool(lookup)
    assert isinstance(wrapped, GuardedTool) and isinstance(wrapped, BaseTool)
    assert wrapped.name == "lookup" and wrapped.description == lookup.description
    assert wrapped.args == lookup.args and wrapped.return_direct is True
    assert wrapped.tool_call_schema.model_json_schema() == lookup.tool_call_schema.model_json_schema()
    assert "guard" not in repr(wrapped).lower() or "Guard(" not in repr(wrapped)


def test_reveals_only_granted_types(guard: Any) -> None:
    email_tok, ssn_tok = _tokens(guard)
    seen: list[dict[str, Any]] = []
    wrapped = wrap_tool(guard, _recording_tool(seen), reveal=["EMAIL_ADDRESS"])
    out = wrapped.invoke({"to": email_tok, "body": f"your SSN {ssn_tok}"}, config=CFG)
    assert seen == [{"to": ALICE_EMAIL, "body": f"your SSN {ssn_tok}"}]  # SSN not granted: stays a token
    assert out == f"sent to {email_tok}"  # the echo is masked again, same token
    reveals = audit_records(guard, event="reveal")
    assert reveals and all(r.get("recipient") == "tool:send_email" for r in reveals)
    calls = audit_records(guard, event="tool_call")
    assert calls[-1]["principal"] == "agent-7" and calls[-1]["counts"] == {"revealed": 1, "kept_as_tokens": 1}
    assert_no_raw(dumps(audit_records(guard)))


def test_no_grant_means_tokens_only(guard: Any) -> None:
    email_tok, _ = _tokens(guard)
    seen: list[dict[str, Any]] = []
    wrapped = wrap_tool(guard, _recording_tool(seen))
    wrapped.invoke({"to": email_tok, "body": "hi"}, config=CFG)
    assert seen[0]["to"] == email_tok


def test_policy_grant_without_reveal_argument(guard: Any) -> None:
    from guardllm import Guard, Policy

    granted = Guard(
        policy=Policy.default().with_tool_grant("send_email", ["EMAIL_ADDRESS"]), store="memory://"
    )
    email_tok, _ = _tokens(granted)
    seen: list[dict[str, Any]] = []
    granted.wrap_tool(_recording_tool(seen)).invoke({"to": email_tok, "body": "hi"}, config=CFG)
    assert seen[0]["to"] == ALICE_EMAIL


def test_other_threads_tokens_do_not_resolve(guard: Any) -> None:
    email_tok, _ = _tokens(guard, scope="thread-a")
    seen: list[dict[str, Any]] = []
    wrapped = wrap_tool(guard, _recording_tool(seen), reveal=["EMAIL_ADDRESS"])
    wrapped.invoke({"to": email_tok, "body": "hi"}, config={"configurable": {"thread_id": "thread-b"}})
    assert seen[0]["to"] == email_tok


def test_tool_call_id_preserved_and_output_masked(guard: Any) -> None:
    @tool
    def crm(customer: str) -> dict[str, Any]:
        """Fetch a CRM record."""
        return {"email": BOB_EMAIL, "notes": [f"ssn {ALICE_SSN}"], "id": 7}

    wrapped = wrap_tool(guard, crm)
    msg = wrapped.invoke(
        {"name": "crm", "args": {"customer": "7"}, "id": "call_42", "type": "tool_call"}, config=CFG
    )
    assert isinstance(msg, ToolMessage) and msg.tool_call_id == "call_42" and msg.name == "crm"
    assert_no_raw(msg.content if isinstance(msg.content, str) else dumps(msg.content))
    data = json.loads(msg.content)
    assert data["id"] == 7 and data["email"].startswith("[EMAIL")
    # called with plain args, the dict shape is kept
    out = wrapped.invoke({"customer": "7"}, config=CFG)
    assert isinstance(out, dict) and out["email"] == data["email"]  # same value -> same token in the scope


def test_content_and_artifact(guard: Any) -> None:
    @tool(response_format="content_and_artifact")
    def search(q: str) -> tuple[str, dict[str, Any]]:
        """Search customers."""
        return f"found {ALICE_EMAIL}", {"rows": [{"email": ALICE_EMAIL, "ssn": ALICE_SSN}]}

    wrapped = wrap_tool(guard, search)
    assert wrapped.response_format == "content_and_artifact"
    msg = wrapped.invoke({"name": "search", "args": {"q": "a"}, "id": "c1", "type": "tool_call"}, config=CFG)
    assert isinstance(msg, ToolMessage) and msg.tool_call_id == "c1"
    assert_no_raw(str(msg.content))
    assert_no_raw(dumps(msg.artifact))
    assert msg.artifact["rows"][0]["email"].startswith("[EMAIL")


async def test_structured_tool_async(guard: Any) -> None:
    seen: list[str] = []

    class Args(BaseModel):
        to: str = Field(description="recipient")

    def sync_send(to: str) -> str:
        raise AssertionError("the async path must be used")

    async def async_send(to: str) -> str:
        seen.append(to)
        return f"queued for {to}"

    st = StructuredTool.from_function(
        func=sync_send, coroutine=async_send, name="send_email", description="Send.", args_schema=Args
    )
    email_tok, _ = _tokens(guard)
    wrapped = wrap_tool(guard, st, reveal=["EMAIL_ADDRESS"])
    msg = await wrapped.ainvoke(
        {"name": "send_email", "args": {"to": email_tok}, "id": "a1", "type": "tool_call"}, config=CFG
    )
    assert seen == [ALICE_EMAIL]
    assert msg.content == f"queued for {email_tok}" and msg.tool_call_id == "a1"


def test_base_tool_subclass(guard: Any) -> None:
    class Echo(BaseTool):
        name: str = "echo"
        description: str = "Echo the text."

        def _run(self, text: str) -> str:
            return f"echo: {text} / {BOB_EMAIL}"

    out = wrap_tool(guard, Echo()).invoke("hello", config=CFG)
    assert out.startswith("echo: hello / [EMAIL")


def test_block_rule_gives_the_model_a_readable_error(guard: Any) -> None:
    from guardllm import Guard, Policy

    strict = Guard(policy=Policy.from_dict({"entities": {"US_SSN": {"action": "block"}}}), store="memory://")

    @tool
    def fetch(customer: str) -> str:
        """Fetch a record."""
        return f"customer SSN {ALICE_SSN}"

    msg = strict.wrap_tool(fetch).invoke(
        {"name": "fetch", "args": {"customer": "1"}, "id": "b1", "type": "tool_call"}, config=CFG
    )
    assert isinstance(msg, ToolMessage) and msg.status == "error" and msg.tool_call_id == "b1"
    assert "US_SSN" in msg.content and "rule" in msg.content
    assert_no_raw(msg.content)
    assert any(r["event"] == "block" for r in audit_records(strict))
    assert_no_raw(dumps(audit_records(strict)))


def test_tool_exception_message_is_masked(guard: Any) -> None:
    @tool
    def flaky(to: str) -> str:
        """Fails."""
        raise ToolException(f"mailbox {ALICE_EMAIL} is full")

    handled = wrap_tool(guard, flaky.model_copy(update={"handle_tool_error": True}))
    msg = handled.invoke({"name": "flaky", "args": {"to": "x"}, "id": "e1", "type": "tool_call"}, config=CFG)
    assert msg.status == "error" and "[EMAIL" in msg.content
    assert_no_raw(msg.content)

    unhandled = wrap_tool(guard, flaky)
    with pytest.raises(ToolException) as info:
        unhandled.invoke({"to": "x"}, config=CFG)
    assert_no_raw(str(info.value))


def test_other_exceptions_are_masked_only_when_needed(guard: Any) -> None:
    @tool
    def broken(to: str) -> str:
        """Fails."""
        raise ValueError(f"bad address {to}")

    wrapped = wrap_tool(guard, broken, reveal=["EMAIL_ADDRESS"])
    email_tok, _ = _tokens(guard)
    with pytest.raises(ToolException) as info:
        wrapped.invoke({"to": email_tok}, config=CFG)
    assert "ValueError" in str(info.value)
    assert_no_raw(str(info.value))

    @tool
    def plain(x: int) -> int:
        """Fails without data."""
        raise KeyError("missing")

    with pytest.raises(KeyError):
        wrap_tool(guard, plain).invoke({"x": 1}, config=CFG)


def test_wrapping_twice_wraps_the_original(guard: Any) -> None:
    seen: list[dict[str, Any]] = []
    base = _recording_tool(seen)
    once = wrap_tool(guard, base)
    twice = wrap_tool(guard, once, reveal=["EMAIL_ADDRESS"])
    assert twice.wrapped is base


def test_rejects_non_tools(guard: Any) -> None:
    with pytest.raises(TypeError):
        wrap_tool(guard, 42)


def test_injected_arguments_pass_through(guard: Any) -> None:
    from langchain.agents import create_agent
    from langchain_core.messages import AIMessage, HumanMessage

    from tests.lc_support import RecordingToolModel

    @tool
    def note(text: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> str:
        """Note."""
        return f"{tool_call_id}: {text} {BOB_EMAIL}"

    wrapped = wrap_tool(guard, note)
    assert set(wrapped.tool_call_schema.model_json_schema()["properties"]) == {"text"}
    msg = wrapped.invoke(
        {"name": "note", "args": {"text": "hi"}, "id": "tc9", "type": "tool_call"}, config=CFG
    )
    assert msg.content.startswith("tc9: hi [EMAIL")

    @tool
    def with_runtime(text: str, runtime: ToolRuntime) -> str:
        """Uses the LangGraph tool runtime."""
        return f"{runtime.tool_call_id} {text}"

    class Caller(RecordingToolModel):
        def _reply(self, messages: list[Any]) -> AIMessage:
            if any(isinstance(m, ToolMessage) for m in messages):
                return AIMessage(content="done")
            return AIMessage(
                content="", tool_calls=[{"name": "with_runtime", "args": {"text": "x"}, "id": "r1"}]
            )

    result = create_agent(Caller(), [wrap_tool(guard, with_runtime)]).invoke(
        {"messages": [HumanMessage("go")]}
    )
    tool_msg = next(m for m in result["messages"] if isinstance(m, ToolMessage))
    assert tool_msg.content == "r1 x" and tool_msg.tool_call_id == "r1"


def test_langchain_hands_the_wrapper_its_config(guard: Any) -> None:
    """LangChain finds ``_run``'s ``config`` parameter by its resolved type; the wrapper
    resolves its annotations once (not per call) and must still be recognised, on sync and
    async paths, so the call's own config (not only the ambient one) reaches it."""
    from langchain_core.runnables import RunnableConfig
    from langchain_core.tools.base import _get_runnable_config_param

    wrapped = wrap_tool(guard, _recording_tool([]), reveal=["EMAIL_ADDRESS"])
    assert _get_runnable_config_param(wrapped._run) == "config"
    assert _get_runnable_config_param(wrapped._arun) == "config"
    assert GuardedTool._run.__annotations__["config"] is RunnableConfig
    seen: list[dict[str, Any]] = []
    wrapped = wrap_tool(guard, _recording_tool(seen), reveal=["EMAIL_ADDRESS"])
    email_tok, _ = _tokens(guard, scope="thread-z")
    wrapped.invoke({"to": email_tok, "body": "hi"}, config={"configurable": {"thread_id": "thread-z"}})
    assert seen == [{"to": ALICE_EMAIL, "body": "hi"}]


def test_without_a_handler_records_join_the_agent_run_in_context(guard: Any) -> None:
    """Under the agent middleware (no callback handler) the tool's records land in its run."""
    from guardllm.audit import run_context
    from tests.lc_support import graph

    email_tok, _ = _tokens(guard)
    seen: list[dict[str, Any]] = []
    wrapped = wrap_tool(guard, _recording_tool(seen))
    with run_context("agent-run-1"):
        out = wrapped.invoke({"to": email_tok, "body": f"hi {ALICE_EMAIL}"}, config=CFG)
    assert ALICE_EMAIL not in out
    calls = [r for r in audit_records(guard, run_id="agent-run-1") if r["event"] == "tool_call"]
    assert [r["detail"] for r in calls] == ["send_email"]
    g = graph(guard, "agent-run-1")
    labels = {e.get("label") for e in g["edges"]}
    assert {"tool_call", "tool_result"} <= labels
    # Outside a run context a fresh run is used, not the agent's.
    wrapped.invoke({"to": email_tok, "body": "again"}, config=CFG)
    assert len(graph(guard, "agent-run-1")["edges"]) == len(g["edges"])
