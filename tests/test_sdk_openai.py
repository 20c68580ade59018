"""guardllm.openai.wrap with the real OpenAI SDK against the local fake provider."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import openai
import pytest

import guardllm.openai
from guardllm import GuardError
from tests.fake_llm_server import BrokenStream, Error, Reply, ToolCall, echo_last_user
from tests.sdk_values import CARD, EMAIL, EMAIL2, SSN, assert_no_raw, dumps

pytest_plugins = ["tests.sdk_fixtures"]


@pytest.fixture
def guard(sdk_guard):
    """This module's guard (overrides any suite-wide ``guard`` fixture): send_email may see emails."""
    return sdk_guard


PROMPT = f"Please email {EMAIL} about SSN {SSN}."


def _chat(client, **kw):
    return client.chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": PROMPT}], **kw
    )


# -- chat completions -----------------------------------------------------------------


def test_chat_request_is_masked_and_answer_restored(server, guard, openai_client):
    client = guardllm.openai.wrap(openai_client, guard)
    server.script(Reply(echo_last_user))
    result = _chat(client)
    assert isinstance(result, openai.types.chat.ChatCompletion)
    assert result.choices[0].message.content == f"You said: {PROMPT}"
    sent = server.requests[-1]
    assert_no_raw(sent.raw)
    assert "[" in sent.body["messages"][0]["content"]  # tokens, not values


def test_chat_tool_call_arguments_restored_only_for_granted_tool(server, guard, openai_client):
    client = guardllm.openai.wrap(openai_client, guard)
    token = guard.mask(EMAIL)  # same scope: the model would have seen this token
    server.script(
        Reply("ok", tool_calls=[ToolCall("send_email", {"to": token}), ToolCall("log_event", {"who": token})])
    )
    result = _chat(client)
    calls = result.choices[0].message.tool_calls
    assert json.loads(calls[0].function.arguments) == {"to": EMAIL}
    assert json.loads(calls[1].function.arguments) == {"who": token}


def test_full_conversation_history_is_masked(server, guard, openai_client):
    """Every role, content parts, earlier tool calls (echoed back restored), tool
    results, tool descriptions and a pydantic message object passed back."""
    client = guardllm.openai.wrap(openai_client, guard)
    server.script(
        Reply("first", tool_calls=[ToolCall("send_email", {"to": guard.mask(EMAIL)})]), Reply("done")
    )
    first = _chat(client)
    assistant = first.choices[0].message  # restored arguments: holds the raw email now
    assert EMAIL in assistant.tool_calls[0].function.arguments
    tools = [
        {
            "type": "function",
            "function": {
                "name": "send_email",
                "description": f"Sends mail; the admin is {EMAIL2}",
                "parameters": {
                    "type": "object",
                    "properties": {"to": {"type": "string", "description": f"e.g. {EMAIL2}"}},
                },
            },
        }
    ]
    client.chat.completions.create(
        model="gpt-test",
        tools=tools,
        messages=[
            {"role": "system", "content": f"Operator contact: {EMAIL2}"},
            {"role": "user", "content": [{"type": "text", "text": PROMPT}]},
            assistant,
            {
                "role": "tool",
                "tool_call_id": assistant.tool_calls[0].id,
                "content": json.dumps({"sent_to": EMAIL, "card": CARD}),
            },
            {"role": "user", "content": "thanks"},
        ],
    )
    assert_no_raw(server.all_request_text())
    last = server.requests[-1].body
    assert last["messages"][2]["tool_calls"][0]["function"]["name"] == "send_email"
    assert last["tools"][0]["function"]["name"] == "send_email"


def test_callers_objects_are_not_mutated(server, guard, openai_client):
    client = guardllm.openai.wrap(openai_client, guard)
    messages = [{"role": "user", "content": [{"type": "text", "text": PROMPT}]}]
    server.script(Reply("ok"))
    client.chat.completions.create(model="gpt-test", messages=messages)
    assert messages == [{"role": "user", "content": [{"type": "text", "text": PROMPT}]}]


def _collect_chat_stream(stream):
    text, args, finish = "", {}, None
    for chunk in stream:
        for choice in chunk.choices:
            text += choice.delta.content or ""
            for tc in choice.delta.tool_calls or []:
                args[tc.index] = args.get(tc.index, "") + (tc.function.arguments or "")
            finish = choice.finish_reason or finish
    return text, args, finish


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 1000])
def test_chat_stream_equals_non_stream(server, guard, openai_client, chunk_size):
    client = guardllm.openai.wrap(openai_client, guard)

    def calls():
        return [
            ToolCall("send_email", {"to": guard.mask(EMAIL)}),
            ToolCall("log_event", {"who": guard.mask(EMAIL)}),
        ]

    server.script(Reply(echo_last_user, tool_calls=calls()))
    plain = _chat(client).choices[0].message
    server.script(Reply(echo_last_user, tool_calls=calls(), chunk_size=chunk_size))
    with _chat(client, stream=True) as stream:
        assert isinstance(stream, openai.Stream)
        text, args, finish = _collect_chat_stream(stream)
    assert text == plain.content == f"You said: {PROMPT}"
    assert args == {i: tc.function.arguments for i, tc in enumerate(plain.tool_calls)}
    assert finish == "tool_calls"
    assert_no_raw(server.all_request_text())


def test_chat_stream_arbitrary_chunk_boundaries(server, guard, openai_client):
    """Random cut points, token boundaries included, always give the non-streamed text."""
    client = guardllm.openai.wrap(openai_client, guard)
    masked = guard.mask(f"Hi {EMAIL}, re {SSN} and {EMAIL2}!")
    expected = guard.unmask(masked)
    rng = random.Random(7)
    for _ in range(12):
        cuts = sorted(rng.sample(range(1, len(masked)), rng.randint(1, len(masked) - 1)))
        pieces = [masked[a:b] for a, b in zip([0, *cuts], [*cuts, len(masked)], strict=True)]
        server.script(Reply(masked, chunks=pieces))
        text, _, _ = _collect_chat_stream(_chat(client, stream=True))
        assert text == expected


def test_chat_stream_helper_restores(server, guard, openai_client):
    client = guardllm.openai.wrap(openai_client, guard)
    server.script(Reply(echo_last_user, chunk_size=2))
    with client.chat.completions.stream(
        model="gpt-test", messages=[{"role": "user", "content": PROMPT}]
    ) as s:
        deltas = "".join(e.delta for e in s if e.type == "content.delta")
        final = s.get_final_completion()
    assert deltas == final.choices[0].message.content == f"You said: {PROMPT}"
    assert_no_raw(server.all_request_text())


def test_stream_close_and_usage_chunk(server, guard, openai_client):
    client = guardllm.openai.wrap(openai_client, guard)
    server.script(Reply(echo_last_user, chunk_size=1))
    stream = _chat(client, stream=True, stream_options={"include_usage": True})
    first = next(iter(stream))
    assert first.choices[0].delta.role == "assistant"
    stream.close()
    assert any(n["kind"] == "llm" for n in _nodes(guard, client.last_run_id))  # recorded at close
    server.script(Reply(echo_last_user, chunk_size=5))
    chunks = list(_chat(client, stream=True, stream_options={"include_usage": True}))
    assert chunks[-1].usage is not None and chunks[-1].choices == []


async def test_async_chat(server, guard, async_openai_client):
    client = guardllm.openai.wrap(async_openai_client, guard)
    server.script(Reply(echo_last_user), Reply(echo_last_user, chunk_size=1))
    result = await client.chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": PROMPT}]
    )
    assert result.choices[0].message.content == f"You said: {PROMPT}"
    stream = await client.chat.completions.create(
        model="gpt-test", stream=True, messages=[{"role": "user", "content": PROMPT}]
    )
    assert isinstance(stream, openai.AsyncStream)
    text = ""
    async with stream:
        async for chunk in stream:
            text += "".join(c.delta.content or "" for c in chunk.choices)
    assert text == f"You said: {PROMPT}"
    assert_no_raw(server.all_request_text())


# -- responses ------------------------------------------------------------------------


def test_responses_masked_and_restored(server, guard, openai_client):
    client = guardllm.openai.wrap(openai_client, guard)
    token = guard.mask(EMAIL)
    server.script(
        Reply(
            echo_last_user,
            tool_calls=[ToolCall("send_email", {"to": token}), ToolCall("log_event", {"who": token})],
        )
    )
    result = client.responses.create(model="gpt-test", input=PROMPT, instructions=f"Operator: {EMAIL2}")
    assert result.output_text == f"You said: {PROMPT}"
    calls = [o for o in result.output if o.type == "function_call"]
    assert json.loads(calls[0].arguments) == {"to": EMAIL}
    assert json.loads(calls[1].arguments) == {"who": token}
    assert_no_raw(server.all_request_text())


def test_responses_input_items_masked(server, guard, openai_client):
    client = guardllm.openai.wrap(openai_client, guard)
    server.script(Reply("ok"))
    client.responses.create(
        model="gpt-test",
        input=[
            {"role": "user", "content": [{"type": "input_text", "text": PROMPT}]},
            {
                "type": "function_call",
                "call_id": "c1",
                "name": "send_email",
                "arguments": json.dumps({"to": EMAIL}),
            },
            {"type": "function_call_output", "call_id": "c1", "output": f"sent to {EMAIL2}"},
        ],
        tools=[
            {
                "type": "function",
                "name": "send_email",
                "description": f"admin {EMAIL2}",
                "parameters": {"type": "object", "properties": {}},
            }
        ],
    )
    assert_no_raw(server.all_request_text())


@pytest.mark.parametrize("chunk_size", [1, 4])
def test_responses_stream_equals_non_stream(server, guard, openai_client, chunk_size):
    client = guardllm.openai.wrap(openai_client, guard)
    token = guard.mask(EMAIL)
    calls = [ToolCall("send_email", {"to": token}), ToolCall("log_event", {"who": token})]
    server.script(Reply(echo_last_user, tool_calls=calls))
    plain = client.responses.create(model="gpt-test", input=PROMPT)
    server.script(Reply(echo_last_user, tool_calls=calls, chunk_size=chunk_size))
    text, args, completed = "", {}, None
    with client.responses.create(model="gpt-test", input=PROMPT, stream=True) as stream:
        for ev in stream:
            if ev.type == "response.output_text.delta":
                text += ev.delta
            elif ev.type == "response.function_call_arguments.delta":
                args[ev.item_id] = args.get(ev.item_id, "") + ev.delta
            elif ev.type == "response.output_text.done":
                assert ev.text == plain.output_text
            elif ev.type == "response.completed":
                completed = ev.response
    assert text == plain.output_text == completed.output_text
    plain_args = [o.arguments for o in plain.output if o.type == "function_call"]
    assert list(args.values()) == plain_args
    assert [o.arguments for o in completed.output if o.type == "function_call"] == plain_args


def test_responses_stream_helper(server, guard, openai_client):
    client = guardllm.openai.wrap(openai_client, guard)
    server.script(Reply(echo_last_user, chunk_size=3))
    with client.responses.stream(model="gpt-test", input=PROMPT) as stream:
        deltas = "".join(ev.delta for ev in stream if ev.type == "response.output_text.delta")
        final = stream.get_final_response()
    assert deltas == final.output_text == f"You said: {PROMPT}"


async def test_async_responses_stream(server, guard, async_openai_client):
    client = guardllm.openai.wrap(async_openai_client, guard)
    server.script(Reply(echo_last_user, chunk_size=1), Reply(echo_last_user))
    stream = await client.responses.create(model="gpt-test", input=PROMPT, stream=True)
    text = "".join([ev.delta async for ev in stream if ev.type == "response.output_text.delta"])
    plain = await client.responses.create(model="gpt-test", input=PROMPT)
    assert text == plain.output_text == f"You said: {PROMPT}"


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
        (400, openai.BadRequestError),
        (422, openai.UnprocessableEntityError),
        (500, openai.InternalServerError),
        (503, openai.APIStatusError),
    ],
)
def test_http_errors_are_sdk_exceptions_without_raw_values(server, guard, openai_client, status, exc_type):
    client = guardllm.openai.wrap(openai_client, guard)
    server.script(Error(status, "rejected", echo_request=True))
    with pytest.raises(exc_type) as info:
        _chat(client)
    text = _exception_text(info.value)
    assert "rejected" in text and "[" in text  # the echoed (masked) request is there
    assert_no_raw(text)


@pytest.mark.parametrize(
    ("mode", "exc_type"), [("disconnect", openai.APIConnectionError), ("error_event", openai.APIError)]
)
def test_broken_stream_raises_sdk_exception(server, guard, openai_client, mode, exc_type):
    client = guardllm.openai.wrap(openai_client, guard)
    server.script(BrokenStream(Reply(echo_last_user, chunk_size=2), after_events=4, mode=mode))
    received = ""
    with pytest.raises(exc_type) as info:
        for chunk in _chat(client, stream=True):
            received += "".join(c.delta.content or "" for c in chunk.choices)
    assert_no_raw(_exception_text(info.value))
    assert received and f"You said: {PROMPT}".startswith(received)
    llm = next(n for n in _nodes(guard, client.last_run_id) if n["kind"] == "llm")
    assert "error" in dumps(llm)  # the failed call is in the lineage, marked as failed


async def test_async_error(server, guard, async_openai_client):
    client = guardllm.openai.wrap(async_openai_client, guard)
    server.script(Error(500, "boom", echo_request=True))
    with pytest.raises(openai.InternalServerError) as info:
        await client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": PROMPT}])
    assert_no_raw(_exception_text(info.value))


# -- passthrough, fences, options -----------------------------------------------------


def test_everything_else_passes_through(server, guard, openai_client):
    client = guardllm.openai.wrap(openai_client, guard)
    assert [m.id for m in client.models.list()] == ["fake-model"]
    assert client.base_url == openai_client.base_url
    assert client.unwrapped is openai_client
    assert [m.id for m in client.with_raw_response.models.list().parse()] == ["fake-model"]


def test_with_options_stays_guarded(server, guard, openai_client):
    client = guardllm.openai.wrap(openai_client, guard).with_options(timeout=5.0)
    assert isinstance(client, guardllm.openai.GuardedOpenAI)
    server.script(Reply(echo_last_user))
    assert _chat(client).choices[0].message.content == f"You said: {PROMPT}"
    assert_no_raw(server.all_request_text())


@pytest.mark.parametrize(
    "path",
    [
        "with_raw_response.chat",
        "chat.completions.with_raw_response",
        "with_streaming_response.responses",
        "beta.chat",
        "completions.create",
        "with_raw_response.beta",
        "with_raw_response.conversations",
        "with_streaming_response.realtime",
        "realtime.connect",
        "conversations.items.create",
        "conversations.with_raw_response",
    ],
)
def test_unguarded_entry_points_fail_closed(guard, openai_client, path):
    obj = guardllm.openai.wrap(openai_client, guard)
    with pytest.raises(GuardError):
        for name in path.split("."):
            obj = getattr(obj, name)


def test_parse_fails_closed(guard, openai_client):
    client = guardllm.openai.wrap(openai_client, guard)
    with pytest.raises(GuardError):
        client.chat.completions.parse(model="gpt-test", messages=[{"role": "user", "content": PROMPT}])
    with pytest.raises(GuardError):  # the Responses WebSocket mode
        client.responses.connect()


def test_embeddings_input_masked(server, guard, openai_client):
    client = guardllm.openai.wrap(openai_client, guard)
    with pytest.raises(openai.NotFoundError):  # the fake server has no embeddings endpoint
        client.embeddings.create(model="emb", input=[PROMPT, f"card {CARD}"])
    assert_no_raw(server.all_request_text())


def test_wrap_rejects_wrong_objects(guard, openai_client):
    with pytest.raises(TypeError):
        guardllm.openai.wrap(object(), guard)
    with pytest.raises(TypeError):
        guardllm.openai.wrap(guardllm.openai.wrap(openai_client, guard), guard)


# -- lineage and audit ----------------------------------------------------------------


def _nodes(guard, run_id):
    return guard.lineage(run_id).to_dict()["nodes"]


def _edges(guard, run_id):
    return guard.lineage(run_id).to_dict()["edges"]


def test_lineage_and_audit_per_call(server, guard, openai_client):
    client = guardllm.openai.wrap(openai_client, guard)
    token = guard.mask(EMAIL)
    server.script(
        Reply(
            echo_last_user,
            tool_calls=[ToolCall("send_email", {"to": token}), ToolCall("log_event", {"who": token})],
        )
    )
    _chat(client)
    run = client.last_run_id
    assert run
    graph = guard.lineage(run).to_dict()
    ids = {n["id"] for n in graph["nodes"]}
    assert {"source:user", "provider:openai", "sink:answer", "tool:send_email", "tool:log_event"} <= ids
    edges = {(e["source"], e["target"], e["status"]): e for e in graph["edges"]}
    llm = next(n["id"] for n in graph["nodes"] if n["kind"] == "llm")
    request = edges[("source:user", llm, "masked")]
    assert {"EMAIL_ADDRESS", "US_SSN"} <= set(request["entity_types"])
    assert request["tokens"] > 0 and all(f.startswith("fp_") for f in request["fingerprints"])
    assert "EMAIL_ADDRESS" in edges[(llm, "sink:answer", "revealed")]["entity_types"]
    assert edges[(llm, "tool:send_email", "revealed")]["entity_types"] == ["EMAIL_ADDRESS"]
    assert (llm, "tool:log_event", "masked") in edges and (llm, "tool:log_event", "revealed") not in edges
    assert (llm, "provider:openai", "masked") in edges
    assert_no_raw(dumps(graph))
    records = [r for r in guard.audit.query() if _field(r, "run_id") == run]
    assert records
    assert_no_raw(dumps([_as_dict(r) for r in guard.audit.query()]))


def test_fixed_run_id_collects_calls(server, guard, openai_client):
    client = guardllm.openai.wrap(openai_client, guard, run_id="0190a0e0-0000-7000-8000-000000000001")
    server.script(Reply("one"), Reply("two"))
    _chat(client)
    _chat(client)
    assert client.last_run_id == "0190a0e0-0000-7000-8000-000000000001"
    llm_nodes = [n for n in _nodes(guard, client.last_run_id) if n["kind"] == "llm"]
    assert len(llm_nodes) == 2


def test_scope_isolation(server, guard, openai_client):
    """A token issued in another scope (planted or guessed) is not restored."""
    other = guard.mask(EMAIL, scope="tenant-b")
    client = guardllm.openai.wrap(openai_client, guard, scope="tenant-a")
    server.script(Reply(f"contact {other}"))
    answer = client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "who?"}])
    assert answer.choices[0].message.content == f"contact {other}"


def test_recipient_without_grant_sees_tokens(server, guard, openai_client):
    client = guardllm.openai.wrap(openai_client, guard, to="tool:log_event")
    token = guard.mask(EMAIL)
    server.script(Reply(f"mail {token}"))
    assert _chat(client).choices[0].message.content == f"mail {token}"


def _field(record, name):
    return record.get(name) if isinstance(record, dict) else getattr(record, name, None)


def _as_dict(record):
    if isinstance(record, dict):
        return record
    dump = getattr(record, "model_dump", None) or getattr(record, "_asdict", None)
    return dump() if dump else vars(record)


# -- packaging ------------------------------------------------------------------------


def test_import_paths_and_lightness():
    import guardllm

    assert guardllm.openai.wrap is guardllm.openai.wrap
    code = (
        "import sys, guardllm; assert 'openai' not in sys.modules; "
        "import guardllm.openai as g; import openai; assert g.wrap.__module__.endswith('integrations.openai'); "
        "assert openai.OpenAI.__module__.startswith('openai')"
    )
    src = str(Path(guardllm.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=src)


def test_chat_stream_token_forms_next_to_punctuation(server, guard, openai_client):
    """Tokens right before or after punctuation, in the tolerant forms models produce
    (bare, Markdown-escaped, HTML-escaped, lower case): any chunking restores exactly
    what the non-streamed answer restores."""
    client = guardllm.openai.wrap(openai_client, guard)
    e, s = guard.mask(EMAIL), guard.mask(SSN)
    bare_e, bare_s = e.strip("[]"), s.strip("[]")
    variants = [
        f"{e}. {s}, ok",
        f"({bare_e}), x.{bare_s}: '{e}'",
        f'"{e}"{s}!{bare_e}?',
        f"\\[{bare_e.replace('_', chr(92) + '_')}\\], &#91;{bare_s}&#93;.",
        f"{e.lower()}]] {{{s}}} {e}",
        f"a{bare_e}, {bare_e}b. end",
    ]
    rng = random.Random(3)
    for text in variants:
        server.script(Reply(text))
        expected = _chat(client).choices[0].message.content
        assert expected == guard.unmask(text)
        for size in (1, 2, 3):
            server.script(Reply(text, chunk_size=size))
            assert _collect_chat_stream(_chat(client, stream=True))[0] == expected
        for _ in range(4):
            cuts = sorted(rng.sample(range(1, len(text)), rng.randint(1, len(text) - 1)))
            pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
            server.script(Reply(text, chunks=pieces))
            assert _collect_chat_stream(_chat(client, stream=True))[0] == expected


def test_stream_shows_a_leading_token_as_soon_as_it_closes(server, guard, openai_client):
    """At one character per event, the caller sees the restored value on the event that
    carries the token's closing bracket: fewer events behind the raw stream than the
    token is long (the bench measures the same in milliseconds)."""
    token = guard.mask(EMAIL)

    def shown(client):
        server.script(Reply(f"{token} is on file.", chunk_size=1))
        return ["".join(c.delta.content or "" for c in chunk.choices) for chunk in _chat(client, stream=True)]

    raw = shown(openai_client)
    guarded = shown(guardllm.openai.wrap(openai_client, guard))
    raw_first = next(i for i, piece in enumerate(raw) if piece)
    first = next(i for i, piece in enumerate(guarded) if piece)
    assert first - raw_first == len(token) - 1  # the event that carries "]"
    assert guarded[first] == EMAIL
    assert "".join(guarded) == f"{EMAIL} is on file."


def test_chat_stream_random_texts_match_non_streamed(server, guard, openai_client):
    """Random texts glued from words, label prefixes, bare/escaped/cased tokens and
    punctuation, often with no space between them, under random chunkings (1 char
    included): the streamed answer always equals the non-streamed one."""
    client = guardllm.openai.wrap(openai_client, guard)
    e, s = guard.mask(EMAIL), guard.mask(SSN)
    be, bs = e.strip("[]"), s.strip("[]")
    atoms = [
        e,
        s,
        be,
        bs,
        e.lower(),
        be.lower(),
        f"x{be}",
        f"{be}x",
        f"{be}_",
        "EMA",
        "Email",
        "SS",
        "URLs",
        "e",
        "n",
        "Unfortunately",
        "a-b",
        "-",
        "(",
        ")",
        ",",
        ".",
        ";",
        "'",
        '"',
        "_",
        "[",
        "]",
        "\\",
        f"&#91;{be}&#93;",
        f"\\[{be.replace('_', chr(92) + '_')}\\]",
        f"%5B{be}%5D",
        f"{be.replace('_', chr(92) + '_')}",
        "[EMAIL_99]",
        "1",
        "&",
        "%",
        "#",
    ]
    joins = ["", "", "", " ", "\n", "-"]
    rng = random.Random(2024)
    for _ in range(30):
        text = "".join(rng.choice(atoms) + rng.choice(joins) for _ in range(rng.randint(3, 12)))
        if len(text) < 2:
            continue
        server.script(Reply(text))
        expected = _chat(client).choices[0].message.content
        assert expected == guard.unmask(text)
        for size in (1, rng.randint(2, 5)):
            server.script(Reply(text, chunk_size=size))
            assert _collect_chat_stream(_chat(client, stream=True))[0] == expected, (size, text)
        cuts = sorted(rng.sample(range(1, len(text)), rng.randint(1, len(text) - 1)))
        pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        server.script(Reply(text, chunks=pieces))
        assert _collect_chat_stream(_chat(client, stream=True))[0] == expected, (pieces, text)


def test_stream_releases_a_long_first_word_early(server, guard, openai_client):
    """A first word longer than a token is shown as it arrives (less a character or two
    that could still start a bare LABEL_N), not when its space arrives."""
    token = guard.mask(EMAIL)

    def shown(client):
        server.script(Reply(f"Unfortunately {token} bounced.", chunk_size=1))
        return ["".join(c.delta.content or "" for c in chunk.choices) for chunk in _chat(client, stream=True)]

    raw = shown(openai_client)
    guarded = shown(guardllm.openai.wrap(openai_client, guard))
    raw_first = next(i for i, piece in enumerate(raw) if piece)
    first = next(i for i, piece in enumerate(guarded) if piece)
    assert first - raw_first < len(token)
    assert "".join(guarded) == f"Unfortunately {EMAIL} bounced."


def test_chat_stream_early_release_keeps_bare_token_lookbehind(server, guard, openai_client):
    """A bare LABEL_N glued to a word ("xEMAIL_1") is not a token in the whole text;
    releasing "x" early must not let the rest restore as one.  And a label's start
    ("-EM") is held until the token is complete or cannot be one."""
    client = guardllm.openai.wrap(openai_client, guard)
    bare = guard.mask(EMAIL).strip("[]")
    phone = guard.mask("+1 415-555-0132").strip("[]")  # "PHO": no label starts with "O"
    for pieces in (
        ["-PHO", f"{phone[3:]} y"],
        ["PH", "O", f"{phone[3:]}."],
        ["xE", f"{bare[1:]} y"],
        ["x", f"{bare} y"],
        ["x-", f"{bare} y"],
        ["ab", "c", f"{bare}, y"],
        ["-EM", f"{bare[2:]} y"],
        ["(Ema", f"{bare[3:].lower()})"],
    ):
        text = "".join(pieces)
        server.script(Reply(text))
        expected = _chat(client).choices[0].message.content
        assert expected == guard.unmask(text)
        server.script(Reply(text, chunks=pieces))
        assert _collect_chat_stream(_chat(client, stream=True))[0] == expected, pieces


def test_chat_stream_with_surrogates_matches_non_streamed(server, openai_client):
    """With realistic surrogates (multi-word, no brackets) nothing is released early:
    1-char and random chunkings still give the non-streamed answer."""
    from guardllm import Guard

    guard = Guard(policy={"default_action": "surrogate"}, store="memory://")
    client = guardllm.openai.wrap(openai_client, guard)
    text = guard.mask(f"Mail {EMAIL}, SSN {SSN}; card {CARD}. Thanks!")
    server.script(Reply(text))
    expected = _chat(client).choices[0].message.content
    assert expected == f"Mail {EMAIL}, SSN {SSN}; card {CARD}. Thanks!"
    rng = random.Random(5)
    for size in (1, 2, 3):
        server.script(Reply(text, chunk_size=size))
        assert _collect_chat_stream(_chat(client, stream=True))[0] == expected
    for _ in range(5):
        cuts = sorted(rng.sample(range(1, len(text)), rng.randint(1, len(text) - 1)))
        pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        server.script(Reply(text, chunks=pieces))
        assert _collect_chat_stream(_chat(client, stream=True))[0] == expected


def test_conversations_with_items_fail_closed_and_reads_pass(server, guard, openai_client):
    client = guardllm.openai.wrap(openai_client, guard)
    with pytest.raises(GuardError):
        client.conversations.create(items=[{"type": "message", "role": "user", "content": PROMPT}])
    assert server.requests == []  # refused before anything was sent
    with pytest.raises(openai.NotFoundError):  # the fake has no conversations endpoint: it got there
        client.conversations.retrieve("conv_1")


def test_prompt_variables_and_prediction_are_masked(server, guard, openai_client):
    client = guardllm.openai.wrap(openai_client, guard)
    server.script(Reply("ok"), Reply("ok"))
    client.responses.create(
        model="gpt-test",
        prompt={
            "id": "pmpt_1",
            "variables": {"customer": EMAIL, "note": {"type": "input_text", "text": f"SSN {SSN}"}},
        },
    )
    sent = server.requests[-1].body["prompt"]
    assert sent["id"] == "pmpt_1" and sent["variables"]["customer"].startswith("[")
    _chat(client, prediction={"type": "content", "content": f"Dear {EMAIL2},"})
    assert server.requests[-1].body["prediction"]["content"].startswith("Dear [")
    assert_no_raw(server.all_request_text())


async def test_async_stream_helpers(server, guard, async_openai_client):
    """AsyncOpenAI's chat.completions.stream and responses.stream helpers are restored too."""
    client = guardllm.openai.wrap(async_openai_client, guard)
    server.script(Reply(echo_last_user, chunk_size=1), Reply(echo_last_user, chunk_size=2))
    async with client.chat.completions.stream(
        model="gpt-test", messages=[{"role": "user", "content": PROMPT}]
    ) as s:
        deltas = "".join([e.delta async for e in s if e.type == "content.delta"])
        final = await s.get_final_completion()
    assert deltas == final.choices[0].message.content == f"You said: {PROMPT}"
    async with client.responses.stream(model="gpt-test", input=PROMPT) as rs:
        text = "".join([e.delta async for e in rs if e.type == "response.output_text.delta"])
        response = await rs.get_final_response()
    assert text == response.output_text == f"You said: {PROMPT}"
    assert_no_raw(server.all_request_text())


@pytest.mark.parametrize("api", ["chat", "responses"])
def test_tool_loop_lineage_in_one_run(server, guard, openai_client, api):
    """A two-call tool loop recorded into one run: user -> llm:1 -> tool:send_email
    (tool_call) and tool:send_email -> llm:2 (tool_result, masked), like the callback
    handler's graph of an agent run."""
    run_id = "0190a0e0-0000-7000-8000-0000000000aa"
    client = guardllm.openai.wrap(openai_client, guard, run_id=run_id)
    server.script(Reply("", tool_calls=[ToolCall("send_email", {"to": guard.mask(EMAIL)})]), Reply("done"))
    result = json.dumps({"delivered_to": EMAIL, "card": CARD})
    if api == "chat":
        first = _chat(client).choices[0].message
        call = first.tool_calls[0]
        _chat_msgs = [
            {"role": "user", "content": PROMPT},
            first,
            {"role": "tool", "tool_call_id": call.id, "content": result},
        ]
        client.chat.completions.create(model="gpt-test", messages=_chat_msgs)
    else:
        first = client.responses.create(model="gpt-test", input=PROMPT)
        call = next(o for o in first.output if o.type == "function_call")
        items = [
            {"role": "user", "content": PROMPT},
            *first.output,
            {"type": "function_call_output", "call_id": call.call_id, "output": result},
        ]
        client.responses.create(model="gpt-test", input=items)
    assert_no_raw(server.all_request_text())
    graph = guard.lineage(run_id).to_dict()
    llms = sorted(n["id"] for n in graph["nodes"] if n["kind"] == "llm")
    assert len(llms) == 2
    edges = {(e["source"], e["target"], e["label"]): e for e in graph["edges"]}
    to_tool = [e for (s, t, lb), e in edges.items() if t == "tool:send_email" and lb == "tool_call"]
    assert to_tool and to_tool[0]["source"] == llms[0]
    back = edges[("tool:send_email", llms[1], "tool_result")]
    assert back["status"] == "masked"
    assert back["entity_types"] == ["CREDIT_CARD", "EMAIL_ADDRESS"]  # the masked tool output
    assert back["fingerprints"] and back["tokens"] > 0
    assert_no_raw(dumps(graph))


def test_responses_broken_stream_raises_what_the_sdk_raises(server, guard, openai_client):
    """A dropped Responses stream fails with exactly the bare SDK's exception type, with
    no raw value in it, after showing only restored text."""
    types, received = [], ""
    for c in (openai_client, guardllm.openai.wrap(openai_client, guard)):
        server.script(BrokenStream(Reply(echo_last_user, chunk_size=2), after_events=8, mode="disconnect"))
        received = ""
        with pytest.raises(Exception) as info:  # the type is compared below
            for ev in c.responses.create(model="gpt-test", input=PROMPT, stream=True):
                if ev.type == "response.output_text.delta":
                    received += ev.delta
        types.append(type(info.value))
    assert types[0] is types[1] and issubclass(types[1], openai.APIConnectionError)
    assert_no_raw(_exception_text(info.value))
    assert f"You said: {PROMPT}".startswith(received)


def test_responses_error_event_reaches_caller_like_the_sdk(server, guard, openai_client):
    """The SDK yields a Responses ``error`` event instead of raising; so does the wrapper,
    after the restored text held back so far, and the event carries no raw value."""
    seen = []
    for c in (openai_client, guardllm.openai.wrap(openai_client, guard)):
        server.script(BrokenStream(Reply(echo_last_user, chunk_size=2), after_events=8, mode="error_event"))
        events = list(c.responses.create(model="gpt-test", input=PROMPT, stream=True))
        seen.append(events)
    raw, guarded = seen
    assert raw[-1].type == guarded[-1].type == "error"
    text = "".join(ev.delta for ev in guarded if ev.type == "response.output_text.delta")
    assert text and f"You said: {PROMPT}".startswith(text)
    assert_no_raw(guarded[-1].model_dump_json())


def test_stream_helper_http_error_is_sdk_exception(server, guard, openai_client):
    client = guardllm.openai.wrap(openai_client, guard)
    server.script(Error(503, "overloaded", echo_request=True))
    with pytest.raises(openai.APIStatusError) as info:
        with client.chat.completions.stream(model="gpt-test", messages=[{"role": "user", "content": PROMPT}]):
            pass
    assert info.value.status_code == 503
    assert_no_raw(_exception_text(info.value))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_responses_stream_random_boundaries(server, guard, openai_client, seed):
    client = guardllm.openai.wrap(openai_client, guard)
    masked = guard.mask(f"Hi {EMAIL}, re {SSN} and {EMAIL2}!")
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(masked)), rng.randint(1, len(masked) - 1)))
    pieces = [masked[a:b] for a, b in zip([0, *cuts], [*cuts, len(masked)], strict=True)]
    server.script(Reply(masked), Reply(masked, chunks=pieces))
    plain = client.responses.create(model="gpt-test", input="hi").output_text
    with client.responses.create(model="gpt-test", input="hi", stream=True) as stream:
        text = "".join(ev.delta for ev in stream if ev.type == "response.output_text.delta")
    assert text == plain == guard.unmask(masked)
