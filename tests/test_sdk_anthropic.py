"""guardllm.anthropic.wrap with the real Anthropic SDK against the local fake provider."""

from __future__ import annotations

import json
import random

import anthropic
import pytest

import guardllm.anthropic
from guardllm import GuardError
from tests.fake_llm_server import BrokenStream, Error, Reply, ToolCall, echo_last_user
from tests.sdk_values import CARD, EMAIL, EMAIL2, SSN, assert_no_raw, dumps

pytest_plugins = ["tests.sdk_fixtures"]


@pytest.fixture
def guard(sdk_guard):
    """This module's guard (overrides any suite-wide ``guard`` fixture): send_email may see emails."""
    return sdk_guard


PROMPT = f"Please email {EMAIL} about SSN {SSN}."
MSGS = [{"role": "user", "content": PROMPT}]


def _create(client, **kw):
    return client.messages.create(
        model="claude-test", max_tokens=256, messages=kw.pop("messages", MSGS), **kw
    )


def _texts(message) -> str:
    return "".join(b.text for b in message.content if b.type == "text")


def _tools(message) -> list:
    return [b for b in message.content if b.type == "tool_use"]


def test_request_masked_answer_restored(server, guard, anthropic_client):
    client = guardllm.anthropic.wrap(anthropic_client, guard)
    server.script(Reply(echo_last_user))
    message = _create(client, system=f"You work for {EMAIL2}.")
    assert isinstance(message, anthropic.types.Message)
    assert _texts(message) == f"You said: {PROMPT}"
    assert_no_raw(server.all_request_text())
    assert server.requests[-1].body["system"].startswith("You work for [")


def test_tool_use_input_restored_only_for_granted_tool(server, guard, anthropic_client):
    client = guardllm.anthropic.wrap(anthropic_client, guard)
    token = guard.mask(EMAIL)
    server.script(
        Reply("", tool_calls=[ToolCall("send_email", {"to": token}), ToolCall("log_event", {"who": token})])
    )
    send, log = _tools(_create(client))
    assert send.input == {"to": EMAIL}
    assert log.input == {"who": token}


def test_conversation_with_tool_blocks_is_masked(server, guard, anthropic_client):
    client = guardllm.anthropic.wrap(anthropic_client, guard)
    server.script(Reply("", tool_calls=[ToolCall("send_email", {"to": guard.mask(EMAIL)})]), Reply("sent"))
    first = _create(client)
    tool_use = _tools(first)[0]
    assert tool_use.input == {"to": EMAIL}
    tools = [
        {
            "name": "send_email",
            "description": f"Sends mail; admin is {EMAIL2}",
            "input_schema": {
                "type": "object",
                "properties": {"to": {"type": "string", "description": f"like {EMAIL2}"}},
            },
        }
    ]
    final = _create(
        client,
        tools=tools,
        system=[{"type": "text", "text": f"Operator {EMAIL2}"}],
        messages=[
            {"role": "user", "content": [{"type": "text", "text": PROMPT}]},
            {"role": "assistant", "content": first.content},  # pydantic blocks, restored input inside
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": tool_use.id,
                        "content": json.dumps({"delivered_to": EMAIL, "card_on_file": CARD}),
                    },
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_x",
                        "content": [{"type": "text", "text": f"cc {EMAIL2}"}],
                    },
                ],
            },
        ],
    )
    assert _texts(final) == "sent"
    assert_no_raw(server.all_request_text())
    body = server.requests[-1].body
    assert body["messages"][1]["content"][0]["name"] == "send_email"
    assert body["tools"][0]["name"] == "send_email"


def _collect_events(events):
    text, tool_json = "", {}
    for ev in events:
        if ev.type == "content_block_delta" and ev.delta.type == "text_delta":
            text += ev.delta.text
        elif ev.type == "content_block_delta" and ev.delta.type == "input_json_delta":
            tool_json[ev.index] = tool_json.get(ev.index, "") + ev.delta.partial_json
    return text, {i: json.loads(v) for i, v in tool_json.items()}


@pytest.mark.parametrize("chunk_size", [1, 2, 5, 1000])
def test_stream_equals_non_stream(server, guard, anthropic_client, chunk_size):
    client = guardllm.anthropic.wrap(anthropic_client, guard)
    token = guard.mask(EMAIL)
    calls = [ToolCall("send_email", {"to": token}), ToolCall("log_event", {"who": token})]
    server.script(Reply(echo_last_user, tool_calls=calls))
    plain = _create(client)
    server.script(Reply(echo_last_user, tool_calls=calls, chunk_size=chunk_size))
    with _create(client, stream=True) as stream:
        assert isinstance(stream, anthropic.Stream)
        text, inputs = _collect_events(stream)
    assert text == _texts(plain) == f"You said: {PROMPT}"
    assert list(inputs.values()) == [b.input for b in _tools(plain)]


def test_stream_arbitrary_chunk_boundaries(server, guard, anthropic_client):
    client = guardllm.anthropic.wrap(anthropic_client, guard)
    masked = guard.mask(f"Dear {EMAIL}: SSN {SSN} / cc {EMAIL2}.")
    expected = guard.unmask(masked)
    rng = random.Random(11)
    for _ in range(10):
        cuts = sorted(rng.sample(range(1, len(masked)), rng.randint(1, len(masked) - 1)))
        pieces = [masked[a:b] for a, b in zip([0, *cuts], [*cuts, len(masked)], strict=True)]
        server.script(Reply(masked, chunks=pieces))
        text, _ = _collect_events(_create(client, stream=True))
        assert text == expected


@pytest.mark.parametrize("chunk_size", [1, 3])
def test_stream_helper_text_stream_and_final_message(server, guard, anthropic_client, chunk_size):
    client = guardllm.anthropic.wrap(anthropic_client, guard)
    token = guard.mask(EMAIL)
    server.script(
        Reply(
            echo_last_user,
            chunk_size=chunk_size,
            tool_calls=[ToolCall("send_email", {"to": token}), ToolCall("log_event", {"who": token})],
        )
    )
    with client.messages.stream(model="claude-test", max_tokens=256, messages=MSGS) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == _texts(final) == f"You said: {PROMPT}"
    assert [b.input for b in _tools(final)] == [{"to": EMAIL}, {"who": token}]
    assert_no_raw(server.all_request_text())


async def test_async_create_and_stream(server, guard, async_anthropic_client):
    client = guardllm.anthropic.wrap(async_anthropic_client, guard)
    server.script(
        Reply(echo_last_user), Reply(echo_last_user, chunk_size=1), Reply(echo_last_user, chunk_size=2)
    )
    message = await _create(client)
    assert _texts(message) == f"You said: {PROMPT}"
    stream = await _create(client, stream=True)
    assert isinstance(stream, anthropic.AsyncStream)
    text = ""
    async for ev in stream:
        if ev.type == "content_block_delta" and ev.delta.type == "text_delta":
            text += ev.delta.text
    assert text == f"You said: {PROMPT}"
    async with client.messages.stream(model="claude-test", max_tokens=256, messages=MSGS) as helper:
        streamed = "".join([t async for t in helper.text_stream])
        final = await helper.get_final_message()
    assert streamed == _texts(final) == f"You said: {PROMPT}"
    assert_no_raw(server.all_request_text())


def test_count_tokens_sees_masked_request(server, guard, anthropic_client):
    client = guardllm.anthropic.wrap(anthropic_client, guard)
    result = client.messages.count_tokens(model="claude-test", messages=MSGS, system=f"for {EMAIL2}")
    assert result.input_tokens > 0
    assert_no_raw(server.all_request_text())


# -- errors ---------------------------------------------------------------------------


def _exception_text(exc: BaseException) -> str:
    parts = [str(exc), repr(exc), dumps(getattr(exc, "body", None))]
    response = getattr(exc, "response", None)
    if response is not None:
        try:
            parts.append(response.text)
        except Exception:  # a streamed response that was not read: nothing to leak
            pass
    request = getattr(exc, "request", None)
    if request is not None:
        parts.append(request.content.decode("utf-8", "replace"))
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("status", "exc_type"),
    [
        (400, anthropic.BadRequestError),
        (429, anthropic.RateLimitError),
        (500, anthropic.InternalServerError),
        (529, anthropic.APIStatusError),
    ],
)
def test_http_errors_are_sdk_exceptions_without_raw_values(server, guard, anthropic_client, status, exc_type):
    client = guardllm.anthropic.wrap(anthropic_client, guard)
    server.script(Error(status, "rejected", echo_request=True))
    with pytest.raises(exc_type) as info:
        _create(client)
    text = _exception_text(info.value)
    assert "rejected" in text and "[" in text
    assert_no_raw(text)


def test_broken_streams_raise_what_the_sdk_raises(server, guard, anthropic_client):
    """The wrapped client raises exactly the exception type the bare SDK raises."""
    client = guardllm.anthropic.wrap(anthropic_client, guard)
    for mode in ("disconnect", "error_event"):
        types = []
        for c in (anthropic_client, client):
            server.script(BrokenStream(Reply(echo_last_user, chunk_size=2), after_events=5, mode=mode))
            with pytest.raises(Exception) as info:  # the type is compared below
                list(_create(c, stream=True))
            types.append(type(info.value))
        assert_no_raw(_exception_text(info.value))  # the wrapped client's exception
        assert types[0] is types[1]
    assert issubclass(types[1], anthropic.APIStatusError)  # error_event


# -- passthrough and fences -----------------------------------------------------------


def test_passthrough_and_options(server, guard, anthropic_client):
    client = guardllm.anthropic.wrap(anthropic_client, guard)
    assert client.api_key == "sk-ant-test"
    derived = client.with_options(timeout=5.0)
    assert isinstance(derived, guardllm.anthropic.GuardedAnthropic)
    server.script(Reply(echo_last_user))
    assert _texts(_create(derived)) == f"You said: {PROMPT}"
    assert_no_raw(server.all_request_text())


@pytest.mark.parametrize(
    "path",
    [
        "with_raw_response.messages",
        "messages.with_raw_response",
        "beta.messages",
        "beta.sessions",
        "messages.batches.create",
        "with_streaming_response.beta",
    ],
)
def test_unguarded_entry_points_fail_closed(guard, anthropic_client, path):
    obj = guardllm.anthropic.wrap(anthropic_client, guard)
    with pytest.raises(GuardError):
        for name in path.split("."):
            obj = getattr(obj, name)


# -- lineage --------------------------------------------------------------------------


def test_lineage_per_call(server, guard, anthropic_client):
    client = guardllm.anthropic.wrap(anthropic_client, guard, principal="agent-7")
    token = guard.mask(EMAIL)
    server.script(Reply(echo_last_user, chunk_size=3, tool_calls=[ToolCall("send_email", {"to": token})]))
    with client.messages.stream(model="claude-test", max_tokens=256, messages=MSGS) as stream:
        stream.until_done()
    graph = guard.lineage(client.last_run_id).to_dict()
    ids = {n["id"] for n in graph["nodes"]}
    assert {"source:user", "provider:anthropic", "sink:answer", "tool:send_email"} <= ids
    statuses = {(e["target"], e["status"]) for e in graph["edges"]}
    assert {
        ("provider:anthropic", "masked"),
        ("sink:answer", "revealed"),
        ("tool:send_email", "revealed"),
    } <= statuses
    assert_no_raw(dumps(graph))


def test_tool_loop_lineage_in_one_run(server, guard, anthropic_client):
    run_id = "0190a0e0-0000-7000-8000-0000000000bb"
    client = guardllm.anthropic.wrap(anthropic_client, guard, run_id=run_id)
    server.script(Reply("", tool_calls=[ToolCall("send_email", {"to": guard.mask(EMAIL)})]), Reply("done"))
    first = _create(client)
    tool_use = _tools(first)[0]
    _create(
        client,
        messages=[
            *MSGS,
            {"role": "assistant", "content": first.content},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": tool_use.id, "content": f"sent to {EMAIL}"}
                ],
            },
        ],
    )
    assert_no_raw(server.all_request_text())
    graph = guard.lineage(run_id).to_dict()
    llms = sorted(n["id"] for n in graph["nodes"] if n["kind"] == "llm")
    assert len(llms) == 2
    edges = {(e["source"], e["target"], e["label"]): e for e in graph["edges"]}
    assert (llms[0], "tool:send_email", "tool_call") in edges
    back = edges[("tool:send_email", llms[1], "tool_result")]
    assert back["status"] == "masked" and back["entity_types"] == ["EMAIL_ADDRESS"]
    assert_no_raw(dumps(graph))


async def test_async_errors_are_sdk_exceptions(server, guard, async_anthropic_client):
    client = guardllm.anthropic.wrap(async_anthropic_client, guard)
    server.script(Error(500, "boom", echo_request=True), Error(429, "slow down", echo_request=True))
    with pytest.raises(anthropic.InternalServerError) as info:
        await _create(client)
    assert_no_raw(_exception_text(info.value))
    with pytest.raises(anthropic.RateLimitError) as info:
        async with client.messages.stream(model="claude-test", max_tokens=256, messages=MSGS) as stream:
            await stream.until_done()
    assert_no_raw(_exception_text(info.value))


def test_stream_helper_broken_stream(server, guard, anthropic_client):
    client = guardllm.anthropic.wrap(anthropic_client, guard)
    server.script(BrokenStream(Reply(echo_last_user, chunk_size=2), after_events=6, mode="error_event"))
    received = ""
    with pytest.raises(anthropic.APIStatusError) as info:
        with client.messages.stream(model="claude-test", max_tokens=256, messages=MSGS) as stream:
            for text in stream.text_stream:
                received += text
    assert_no_raw(_exception_text(info.value))
    assert f"You said: {PROMPT}".startswith(received)
    llm = next(n for n in guard.lineage(client.last_run_id).to_dict()["nodes"] if n["kind"] == "llm")
    assert "error" in dumps(llm)
