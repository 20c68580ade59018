"""The fake provider drives langchain-openai / langchain-anthropic chat models through guard.wrap_chat_model."""

from __future__ import annotations

import pytest
from langchain_anthropic import ChatAnthropic
from langchain_openai import ChatOpenAI

from tests.fake_llm_server import Reply, echo_last_user
from tests.sdk_values import EMAIL, SSN, assert_no_raw

pytest_plugins = ["tests.sdk_fixtures"]

PROMPT = f"Please email {EMAIL} about SSN {SSN}."


def _models(server):
    return {
        "openai": ChatOpenAI(model="gpt-test", base_url=server.openai_url, api_key="sk-test", max_retries=0),
        "openai-responses": ChatOpenAI(
            model="gpt-test",
            base_url=server.openai_url,
            api_key="sk-test",
            max_retries=0,
            use_responses_api=True,
        ),
        "anthropic": ChatAnthropic(
            model="claude-test", base_url=server.url, api_key="sk-ant-test", max_retries=0
        ),
    }


@pytest.mark.parametrize("name", ["openai", "openai-responses", "anthropic"])
@pytest.mark.parametrize("stream", [False, True])
def test_wrapped_langchain_models_send_no_raw_value(server, sdk_guard, name, stream):
    model = sdk_guard.wrap_chat_model(_models(server)[name])
    server.script(Reply(echo_last_user, chunk_size=2))
    if stream:
        for _ in model.stream(PROMPT):
            pass
    else:
        model.invoke(PROMPT)
    assert len(server.requests) == 1
    assert_no_raw(server.all_request_text())
