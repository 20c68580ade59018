"""The wrapper calls a plain ``@tool`` through its ``_run`` directly (no second ``tool.run``).

Every case runs twice -- once on that direct path, once forced through the wrapped
tool's own ``run`` -- and both must give the caller the same thing: content, artifact,
status, error handling, the config the function sees.  Tools the direct path cannot
serve faithfully (subclasses, own callbacks, a ``callbacks`` parameter) must not use it.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import ToolMessage
from langchain_core.runnables import RunnableConfig, RunnableLambda
from langchain_core.tools import BaseTool, InjectedToolCallId, StructuredTool, ToolException, tool
from pydantic import BaseModel, field_validator

from guardllm.integrations.langchain import wrap_tool
from tests.lc_support import ALICE_EMAIL, BOB_EMAIL, assert_no_raw

CFG = {"configurable": {"thread_id": "t1", "principal": "agent-7"}}


@pytest.fixture
def guard() -> Any:
    from guardllm import Guard

    return Guard(store="memory://")


def _both(guard: Any, t: BaseTool, **kw: Any) -> tuple[Any, Any]:
    direct = wrap_tool(guard, t, **kw)
    assert direct._direct, "a plain @tool should take the direct path"
    full = wrap_tool(guard, t, **kw)
    full._direct = False
    return direct, full


def _call(t: BaseTool, args: dict[str, Any], call_id: str | None = "c1") -> Any:
    if call_id is None:
        return t.invoke(args, config=CFG)
    return t.invoke({"name": t.name, "args": args, "id": call_id, "type": "tool_call"}, config=CFG)


def _same(a: Any, b: Any) -> None:
    if isinstance(a, ToolMessage):
        assert isinstance(b, ToolMessage)
        assert (a.content, a.artifact, a.status, a.tool_call_id, a.name) == (
            b.content,
            b.artifact,
            b.status,
            b.tool_call_id,
            b.name,
        )
    else:
        assert a == b


@pytest.mark.parametrize("call_id", ["c1", None])
def test_text_dict_and_list_outputs_match_the_full_path(guard: Any, call_id: str | None) -> None:
    email_tok = guard.mask(ALICE_EMAIL, scope="t1")

    @tool
    def lookup(to: str, n: int = 2) -> dict[str, Any]:
        """Look up."""
        return {"to": to, "friend": BOB_EMAIL, "n": n, "tags": ["a", BOB_EMAIL]}

    direct, full = _both(guard, lookup, reveal=["EMAIL_ADDRESS"])
    a, b = _call(direct, {"to": email_tok}, call_id), _call(full, {"to": email_tok}, call_id)
    _same(a, b)
    assert_no_raw(str(a.content if isinstance(a, ToolMessage) else a))

    @tool
    def blocks(q: str) -> list[Any]:
        """Content blocks."""
        return [{"type": "text", "text": f"mail {BOB_EMAIL}"}, "plain"]

    direct, full = _both(guard, blocks)
    _same(_call(direct, {"q": "x"}, call_id), _call(full, {"q": "x"}, call_id))


def test_content_and_artifact_matches_and_a_bad_shape_fails_the_same(guard: Any) -> None:
    @tool(response_format="content_and_artifact")
    def search(q: str) -> tuple[str, dict[str, Any]]:
        """Search."""
        return f"found {BOB_EMAIL}", {"raw": BOB_EMAIL}

    direct, full = _both(guard, search)
    a, b = _call(direct, {"q": "x"}), _call(full, {"q": "x"})
    _same(a, b)
    assert "[EMAIL" in a.content and "[EMAIL" in a.artifact["raw"]

    @tool(response_format="content_and_artifact")
    def wrong(q: str) -> str:
        """Not a pair."""
        return "just text"

    direct, full = _both(guard, wrong)
    for t in (direct, full):
        with pytest.raises(ValueError, match="two-tuple"):
            _call(t, {"q": "x"})


@pytest.mark.parametrize("flag", [True, "the mailbox failed", lambda e: f"handled: {e}"])
def test_inner_tool_error_handling_matches(guard: Any, flag: Any) -> None:
    @tool
    def flaky(to: str) -> str:
        """Fails."""
        raise ToolException(f"mailbox {ALICE_EMAIL} is full")

    direct, full = _both(guard, flaky.model_copy(update={"handle_tool_error": flag}))
    a, b = _call(direct, {"to": "x"}), _call(full, {"to": "x"})
    _same(a, b)
    assert a.status == "error"
    assert_no_raw(a.content)


def test_unhandled_tool_error_still_reaches_the_caller_masked(guard: Any) -> None:
    @tool
    def flaky(to: str) -> str:
        """Fails."""
        raise ToolException(f"mailbox {ALICE_EMAIL} is full")

    direct, full = _both(guard, flaky)
    for t in (direct, full):
        with pytest.raises(ToolException) as info:
            _call(t, {"to": "x"}, None)
        assert "[EMAIL" in str(info.value)
        assert_no_raw(str(info.value))


def test_validation_error_inside_the_function_uses_the_inner_flag(guard: Any) -> None:
    class Address(BaseModel):
        email: str

        @field_validator("email")
        @classmethod
        def at(cls, v: str) -> str:
            if "@" not in v:
                raise ValueError("not an address")
            return v

    @tool
    def send(to: str) -> str:
        """Validates inside."""
        return Address(email=to).email

    handled = send.model_copy(update={"handle_validation_error": "bad address"})
    direct, full = _both(guard, handled)
    a, b = _call(direct, {"to": "nobody"}), _call(full, {"to": "nobody"})
    _same(a, b)
    assert a.status == "error" and a.content == "bad address"


def test_function_sees_the_config_and_nested_runnables_inherit_it(guard: Any) -> None:
    seen: list[Any] = []

    @tool
    def nested(q: str, config: RunnableConfig) -> str:
        """Runs a chain inside."""
        seen.append(config["configurable"]["thread_id"])
        return RunnableLambda(lambda x, config: config["configurable"]["thread_id"]).invoke(q)

    direct, full = _both(guard, nested)
    _same(_call(direct, {"q": "x"}), _call(full, {"q": "x"}))
    assert seen == ["t1", "t1"]
    assert _call(direct, {"q": "x"}).content == "t1"


def test_injected_tool_call_id_reaches_the_function(guard: Any) -> None:
    @tool
    def note(text: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> str:
        """Note."""
        return f"{tool_call_id}: {text}"

    direct, full = _both(guard, note)
    a, b = _call(direct, {"text": "hi"}, "tc9"), _call(full, {"text": "hi"}, "tc9")
    _same(a, b)
    assert a.content == "tc9: hi"


async def test_async_paths_match(guard: Any) -> None:
    email_tok = guard.mask(ALICE_EMAIL, scope="t1")
    got: list[str] = []

    async def acheck(to: str) -> str:
        await asyncio.sleep(0)
        got.append(to)
        return f"queued {to} cc {BOB_EMAIL}"

    def check(to: str) -> str:
        got.append(to)
        return f"queued {to} cc {BOB_EMAIL}"

    for t in (
        StructuredTool.from_function(coroutine=acheck, name="acheck", description="Async."),
        StructuredTool.from_function(func=check, name="check", description="Sync in a thread."),
    ):
        direct, full = _both(guard, t, reveal=["EMAIL_ADDRESS"])
        call = {"name": t.name, "args": {"to": email_tok}, "id": "a1", "type": "tool_call"}
        a, b = await direct.ainvoke(call, config=CFG), await full.ainvoke(call, config=CFG)
        _same(a, b)
        assert_no_raw(a.content)
    assert got == [ALICE_EMAIL] * 4


def test_tools_the_direct_path_cannot_serve_use_the_full_run(guard: Any) -> None:
    class Counting(BaseCallbackHandler):
        def __init__(self) -> None:
            self.starts = 0

        def on_tool_start(self, *a: Any, **k: Any) -> None:
            self.starts += 1

    @tool
    def plain(q: str) -> str:
        """Plain."""
        return q

    handler = Counting()
    with_callbacks = plain.model_copy(update={"callbacks": [handler]})
    assert not wrap_tool(guard, with_callbacks)._direct
    _call(wrap_tool(guard, with_callbacks), {"q": "x"})
    assert handler.starts == 1, "the tool's own callbacks still fire"

    @tool
    def wants_callbacks(q: str, callbacks: Any = None) -> str:
        """Asks for callbacks."""
        return q

    assert not wrap_tool(guard, wants_callbacks)._direct

    class Custom(StructuredTool):
        def _run(self, *args: Any, **kwargs: Any) -> Any:
            return "custom"

    custom = Custom(name="custom", description="Own _run.", func=lambda q: q, args_schema=plain.args_schema)
    wrapped = wrap_tool(guard, custom)
    assert not wrapped._direct
    assert _call(wrapped, {"q": "x"}).content == "custom"


async def test_async_tool_with_a_config_parameter_gets_the_call_config(guard: Any) -> None:
    seen: list[Any] = []

    async def probe(q: str, config: RunnableConfig) -> str:
        seen.append(config["configurable"]["thread_id"])
        return q

    t = StructuredTool.from_function(coroutine=probe, name="probe", description="Async, wants config.")
    direct, full = _both(guard, t)
    call = {"name": "probe", "args": {"q": "x"}, "id": "p1", "type": "tool_call"}
    _same(await direct.ainvoke(call, config=CFG), await full.ainvoke(call, config=CFG))
    assert seen == ["t1", "t1"]


def test_tracing_is_off_inside_the_wrapped_call_only_when_it_was_on() -> None:
    from langsmith.run_helpers import get_tracing_context, tracing_context

    from guardllm.integrations.langchain.tools import no_tracing

    with tracing_context(enabled=True):
        with no_tracing():
            assert get_tracing_context()["enabled"] is False
        assert get_tracing_context()["enabled"] is True
    with no_tracing():  # off already: left as it was
        assert get_tracing_context()["enabled"] in (None, False)
