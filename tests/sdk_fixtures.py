"""pytest fixtures for the SDK tests: one local fake provider per test module, a fresh
Guard per test, real SDK clients pointed at the fake provider.

Use from a test module with ``pytest_plugins = ["tests.sdk_fixtures"]`` or by importing
the fixtures by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fake_llm_server import FakeLLMServer


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server(fake_server: FakeLLMServer) -> Iterator[FakeLLMServer]:
    fake_server.reset()
    yield fake_server
    assert fake_server.pending() == 0, "scripted responses left unused"


@pytest.fixture
def sdk_guard() -> Any:
    """A Guard on an in-memory store whose policy lets the tool ``send_email`` see emails."""
    from guardllm import Guard, Policy

    policy = Policy.default().with_tool_grant("send_email", ["EMAIL_ADDRESS"])
    return Guard(policy=policy, store="memory://")


@pytest.fixture
def openai_client(server: FakeLLMServer) -> Any:
    import openai

    return openai.OpenAI(base_url=server.openai_url, api_key="sk-test", max_retries=0)


@pytest.fixture
def async_openai_client(server: FakeLLMServer) -> Any:
    import openai

    return openai.AsyncOpenAI(base_url=server.openai_url, api_key="sk-test", max_retries=0)


@pytest.fixture
def anthropic_client(server: FakeLLMServer) -> Any:
    import anthropic

    return anthropic.Anthropic(base_url=server.url, api_key="sk-ant-test", max_retries=0)


@pytest.fixture
def async_anthropic_client(server: FakeLLMServer) -> Any:
    import anthropic

    return anthropic.AsyncAnthropic(base_url=server.url, api_key="sk-ant-test", max_retries=0)
