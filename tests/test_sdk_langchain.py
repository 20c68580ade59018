"""The fake provider drives langchain-openai / langchain-anthropic chat models through guard.wrap_chat_model."""

from __future__ import annotations

import httpx
import pytest
from langchain_anthropic import ChatAnthropic
from langchain_anthropic._client_utils import _get_default_async_httpx_client as _anthropic_async_http
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

from tests.fake_llm_server import Reply, ToolCall, echo_last_user
from tests.sdk_values import EMAIL, SSN, assert_no_raw

pytest_plugins = ["tests.sdk_fixtures"]

PROMPT = f"Please email {EMAIL} about SSN {SSN}."
NAMES = ["openai", "openai-responses", "anthropic"]


def _models(server, **http):
    """``http``: explicit httpx clients.  The async tests pass a fresh ``AsyncClient``,
    because the integrations cache their default one per process and it would outlive
    the previous test's event loop."""
    oa = {"http_async_client": http["async_client"]} if http else {}
    if http:
        # ChatAnthropic takes no client argument; drop its cached one instead.
        _anthropic_async_http.cache_clear()
    return {
        "openai": ChatOpenAI(
            model="gpt-test", base_url=server.openai_url, api_key="sk-test", max_retries=0, **oa
        ),
        "openai-responses": ChatOpenAI(
            model="gpt-test",
            base_url=server.openai_url,
            api_key="sk-test",
            max_retries=0,
            use_responses_api=True,
            **oa,
        ),
        "anthropic": ChatAnthropic(
            model="claude-test", base_url=server.url, api_key="sk-ant-test", max_retries=0
        ),
    }


def _text(message) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("stream", [False, True])
def test_wrapped_langchain_models_send_no_raw_value(server, sdk_guard, name, stream):
    model = sdk_guard.wrap_chat_model(_models(server)[name])
    server.script(Reply(echo_last_user, chunk_size=1 if stream else 4))
    if stream:
        answer = None
        for chunk in model.stream(PROMPT):
            answer = chunk if answer is None else answer + chunk
    else:
        answer = model.invoke(PROMPT)
    assert len(server.requests) == 1
    assert_no_raw(server.all_request_text())
    assert _text(answer) == f"You said: {PROMPT}"  # the caller gets the values back


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("stream", [False, True])
async def test_wrapped_langchain_models_async(server, sdk_guard, name, stream):
    server.script(Reply(echo_last_user, chunk_size=1))
    async with httpx.AsyncClient() as http:
        model = sdk_guard.wrap_chat_model(_models(server, async_client=http)[name])
        if stream:
            answer = None
            async for chunk in model.astream(PROMPT):
                answer = chunk if answer is None else answer + chunk
        else:
            answer = await model.ainvoke(PROMPT)
    assert_no_raw(server.all_request_text())
    assert _text(answer) == f"You said: {PROMPT}"


@tool
def send_email(to: str, body: str) -> str:
    """Send an email."""
    return "sent"


@tool
def log_event(who: str) -> str:
    """Log who was contacted."""
    return "logged"


@pytest.mark.parametrize("name", NAMES)
def test_wrapped_langchain_tool_calls_stay_tokens(server, sdk_guard, name):
    """Through wrap_chat_model the model's tool-call arguments stay tokens (DESIGN: the
    tool wrapper decides what each tool sees), granted tool or not; the SDK wrappers,
    which have no tool wrapper behind them, restore per grant instead."""
    token = sdk_guard.mask(EMAIL)
    model = sdk_guard.wrap_chat_model(_models(server)[name]).bind_tools([send_email, log_event])
    server.script(
        Reply(
            "",
            tool_calls=[
                ToolCall("send_email", {"to": token, "body": "hi"}),
                ToolCall("log_event", {"who": token}),
            ],
        )
    )
    answer = model.invoke(PROMPT)
    args = {c["name"]: c["args"] for c in answer.tool_calls}
    assert args["send_email"]["to"] == token
    assert args["log_event"]["who"] == token
    assert_no_raw(server.all_request_text())
