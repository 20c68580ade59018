"""Request fields beyond message text, through the real OpenAI and Anthropic SDKs against
the local fake provider: metadata, ids, structured-output schemas, non-text content parts
(URLs, files, audio), Responses items of every type and Anthropic blocks.  Each test looks
at what the provider actually received."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

import guardllm.anthropic
import guardllm.openai
from guardllm import GuardError
from tests.fake_llm_server import Reply
from tests.sdk_values import EMAIL, EMAIL2, SSN, assert_no_raw

pytest_plugins = ["tests.sdk_fixtures"]


@pytest.fixture
def guard(sdk_guard):
    return sdk_guard


@pytest.fixture
def oai(openai_client, guard):
    return guardllm.openai.wrap(openai_client, guard)


@pytest.fixture
def ant(anthropic_client, guard):
    return guardllm.anthropic.wrap(anthropic_client, guard)


USER = [{"role": "user", "content": "hi"}]
IMAGE_URL = f"https://img.example.com/u/{EMAIL}/a.png?email={EMAIL2.replace('@', '%40')}&size=2#{EMAIL}"
DATA_URL = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"


def _is_token(guard, value: str) -> bool:
    return bool(guard.find_tokens(value))


def _sent(server):
    req = server.requests[-1]
    assert_no_raw(req.raw)
    return req.body


def _assert_valid_masked_url(guard, url: str) -> None:
    """The masked image URL still parses as the same https resource with its parameters."""
    parts = urlsplit(url)
    assert (parts.scheme, parts.hostname) == ("https", "img.example.com")
    assert parts.path.startswith("/u/") and parts.path.endswith("/a.png")
    query = parse_qs(parts.query, strict_parsing=True)
    assert query["size"] == ["2"] and _is_token(guard, query["email"][0])
    assert " " not in url and "[" not in url  # tokens are percent-encoded


# -- OpenAI Chat Completions ---------------------------------------------------------------


def test_chat_metadata_and_ids_are_masked(oai, server, guard):
    server.script(Reply("ok"))
    oai.chat.completions.create(
        model="m",
        messages=USER,
        store=True,
        metadata={"customer": EMAIL, "plan": "gold"},
        user=EMAIL,
        safety_identifier=EMAIL2,
        prompt_cache_key=f"cache-{EMAIL}",
    )
    body = _sent(server)
    assert set(body["metadata"]) == {"customer", "plan"} and body["metadata"]["plan"] == "gold"
    assert _is_token(guard, body["metadata"]["customer"])
    for name in ("user", "safety_identifier", "prompt_cache_key"):
        assert _is_token(guard, body[name]), name
    # the same value maps to the same token, so a cache key stays stable across calls
    server.script(Reply("ok"))
    oai.chat.completions.create(model="m", messages=USER, prompt_cache_key=f"cache-{EMAIL}")
    assert server.requests[-1].body["prompt_cache_key"] == body["prompt_cache_key"]


def test_chat_metadata_too_long_after_masking_is_refused_and_nothing_sent(oai, server):
    value = ("x@y.io " * 73)[:511]  # 511 chars; each 6-char email becomes a longer token
    with pytest.raises(GuardError) as info:
        oai.chat.completions.create(model="m", messages=USER, metadata={"k": value})
    assert "x@y.io" not in str(info.value) and "512" in str(info.value)
    assert server.requests == []


def test_chat_response_format_schema_and_tool_schemas_are_masked(oai, server, guard):
    schema = {
        "type": "object",
        "description": f"contact {EMAIL}",
        "properties": {
            # property names that collide with schema keywords stay names
            "default": {"type": "string", "enum": [EMAIL, "other"], "default": EMAIL},
            "description": {"type": "string", "examples": [EMAIL2], "const": SSN},
        },
        "required": ["default", "description"],
    }
    server.script(Reply("ok"))
    oai.chat.completions.create(
        model="m",
        messages=USER,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "contact", "description": f"for {EMAIL}", "schema": schema},
        },
        tools=[
            {
                "type": "function",
                "function": {"name": "send_email", "description": f"from {EMAIL2}", "parameters": schema},
            }
        ],
        tool_choice={"type": "function", "function": {"name": "send_email"}},
    )
    body = _sent(server)
    js = body["response_format"]["json_schema"]
    assert js["name"] == "contact" and _is_token(guard, js["description"])
    for sent in (js["schema"], body["tools"][0]["function"]["parameters"]):
        assert set(sent["properties"]) == {"default", "description"}
        assert sent["required"] == ["default", "description"]
        prop = sent["properties"]["default"]
        assert prop["enum"][1] == "other" and _is_token(guard, prop["enum"][0])
        assert prop["default"] == prop["enum"][0]  # same value, same token
        assert _is_token(guard, sent["properties"]["description"]["examples"][0])
    # tool names (tool_choice too) are the tool's interface: unchanged
    assert body["tool_choice"] == {"type": "function", "function": {"name": "send_email"}}
    assert body["tools"][0]["function"]["name"] == "send_email"


def test_chat_content_parts_mask_every_string_but_binary_payloads(oai, server, guard):
    server.script(Reply("ok"))
    oai.chat.completions.create(
        model="m",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": IMAGE_URL, "detail": "high"}},
                    {"type": "image_url", "image_url": {"url": DATA_URL}},
                    {"type": "file", "file": {"file_data": "JVBERi0xLjQK", "filename": f"{EMAIL}.pdf"}},
                    {"type": "file", "file": {"file_id": "file-AbC123xYz789QwErTy"}},
                    {"type": "input_audio", "input_audio": {"data": "UklGRiQAAABXQVZF", "format": "wav"}},
                    {"type": "future_part", "note": f"call {EMAIL}", "deep": {"list": [SSN, 3, None]}},
                    # "data" beside "format" is binary only in input_audio's exact shape
                    {"type": "future_data", "data": f"to {EMAIL2}", "format": "txt", "n": 1},
                ],
            }
        ],
    )
    parts = _sent(server)["messages"][0]["content"]
    _assert_valid_masked_url(guard, parts[0]["image_url"]["url"])
    assert parts[0]["image_url"]["detail"] == "high"
    assert parts[1]["image_url"]["url"] == DATA_URL  # binary: byte for byte
    assert parts[2]["file"]["file_data"] == "JVBERi0xLjQK" and _is_token(guard, parts[2]["file"]["filename"])
    assert parts[3]["file"]["file_id"] == "file-AbC123xYz789QwErTy"
    assert parts[4]["input_audio"] == {"data": "UklGRiQAAABXQVZF", "format": "wav"}
    # an unknown part type is masked leaf by leaf (fail closed), its structure kept
    assert parts[5]["type"] == "future_part" and _is_token(guard, parts[5]["note"])
    assert _is_token(guard, parts[5]["deep"]["list"][0]) and parts[5]["deep"]["list"][1:] == [3, None]
    assert _is_token(guard, parts[6]["data"]) and parts[6]["format"] == "txt"


def test_url_with_a_detected_host_is_refused_and_nothing_sent(oai, server):
    with pytest.raises(GuardError) as info:
        oai.chat.completions.create(
            model="m",
            messages=[
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "http://192.168.1.20/a.png"}}],
                }
            ],
        )
    assert "192.168" not in str(info.value)
    assert server.requests == []


# -- OpenAI Responses -----------------------------------------------------------------------


def test_responses_fields_and_items_of_every_type_are_masked(oai, server, guard):
    server.script(Reply("ok"))
    oai.responses.create(
        model="m",
        instructions=f"You assist {EMAIL}.",
        metadata={"customer": EMAIL},
        user=EMAIL,
        safety_identifier=EMAIL,
        prompt_cache_key=EMAIL,
        text={
            "format": {
                "type": "json_schema",
                "name": "out",
                "description": f"for {EMAIL2}",
                "schema": {"type": "object", "properties": {"who": {"type": "string", "enum": [EMAIL]}}},
            }
        },
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": f"hello {EMAIL}"},
                    {"type": "input_image", "image_url": IMAGE_URL, "detail": "auto"},
                    {"type": "input_image", "image_url": DATA_URL},
                    {"type": "input_file", "file_data": "JVBERi0xLjQK", "filename": f"{SSN}.pdf"},
                ],
            },
            {
                "type": "reasoning",
                "id": "rs_1",
                "summary": [{"type": "summary_text", "text": f"user is {EMAIL}"}],
                "encrypted_content": "gAAAAB-opaque",
            },
            {
                "type": "mcp_call",
                "id": "mcp_1",
                "server_label": "crm",
                "name": "lookup",
                "arguments": f'{{"email": "{EMAIL}"}}',
                "output": f"found {EMAIL2}",
            },
            {"type": "item_reference", "id": "msg_123"},
            {"type": "future_item", "id": "fi_1", "payload": {"text": f"{SSN}"}},
        ],
    )
    body = _sent(server)
    for name in ("instructions", "user", "safety_identifier", "prompt_cache_key"):
        assert _is_token(guard, body[name]), name
    assert _is_token(guard, body["metadata"]["customer"])
    fmt = body["text"]["format"]
    assert _is_token(guard, fmt["description"]) and _is_token(
        guard, fmt["schema"]["properties"]["who"]["enum"][0]
    )
    msg, reasoning, mcp, ref, future = body["input"]
    _assert_valid_masked_url(guard, msg["content"][1]["image_url"])
    assert msg["content"][2]["image_url"] == DATA_URL
    assert msg["content"][3]["file_data"] == "JVBERi0xLjQK"
    assert reasoning["encrypted_content"] == "gAAAAB-opaque" and reasoning["id"] == "rs_1"
    assert (mcp["id"], mcp["server_label"], mcp["name"]) == ("mcp_1", "crm", "lookup")
    assert _is_token(guard, mcp["arguments"]) and _is_token(guard, mcp["output"])
    assert ref == {"type": "item_reference", "id": "msg_123"}
    assert future["id"] == "fi_1" and _is_token(guard, future["payload"]["text"])


# -- Anthropic --------------------------------------------------------------------------------


def test_anthropic_metadata_user_id_becomes_a_token(ant, server, guard):
    server.script(Reply("ok"))
    ant.messages.create(model="m", max_tokens=10, messages=USER, metadata={"user_id": EMAIL})
    assert _is_token(guard, _sent(server)["metadata"]["user_id"])


def test_anthropic_blocks_mask_every_string_but_base64_and_signed(ant, server, guard):
    server.script(Reply("ok"))
    ant.messages.create(
        model="m",
        max_tokens=10,
        system=[{"type": "text", "text": f"Assist {EMAIL}.", "cache_control": {"type": "ephemeral"}}],
        tools=[
            {
                "name": "send_email",
                "description": f"from {EMAIL2}",
                "input_schema": {"type": "object", "properties": {"to": {"type": "string", "enum": [EMAIL]}}},
            }
        ],
        tool_choice={"type": "tool", "name": "send_email"},
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "image", "source": {"type": "url", "url": IMAGE_URL}},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0K"},
                    },
                    {
                        "type": "document",
                        "source": {"type": "text", "media_type": "text/plain", "data": f"ssn {SSN}"},
                        "title": f"{EMAIL}.txt",
                        "context": f"from {EMAIL2}",
                    },
                    {
                        "type": "search_result",
                        "source": f"https://crm.example.com/c?email={EMAIL}",
                        "title": f"Contact {EMAIL2}",
                        "content": [{"type": "text", "text": f"ssn {SSN}"}],
                    },
                    {"type": "future_block", "payload": [f"{EMAIL}"]},
                ],
            },
            {
                "role": "assistant",
                "content": [{"type": "thinking", "thinking": "signed text", "signature": "sig=="}],
            },
            {"role": "user", "content": "go"},
        ],
    )
    body = _sent(server)
    assert _is_token(guard, body["system"][0]["text"])
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    tool = body["tools"][0]
    assert _is_token(guard, tool["description"]) and _is_token(
        guard, tool["input_schema"]["properties"]["to"]["enum"][0]
    )
    assert body["tool_choice"] == {"type": "tool", "name": "send_email"}
    url_img, b64_img, doc, search, future = body["messages"][0]["content"]
    _assert_valid_masked_url(guard, url_img["source"]["url"])
    assert b64_img["source"] == {"type": "base64", "media_type": "image/png", "data": "iVBORw0K"}
    assert doc["source"]["media_type"] == "text/plain"
    assert all(_is_token(guard, v) for v in (doc["source"]["data"], doc["title"], doc["context"]))
    assert urlsplit(search["source"]).hostname == "crm.example.com"
    assert _is_token(guard, search["content"][0]["text"]) and _is_token(guard, search["title"])
    assert future["type"] == "future_block" and _is_token(guard, future["payload"][0])
    assert body["messages"][1]["content"][0] == {
        "type": "thinking",
        "thinking": "signed text",
        "signature": "sig==",
    }
