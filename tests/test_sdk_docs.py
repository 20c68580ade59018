"""docs/sdk.md's copy-paste examples, run as written against the local fake provider.

Each ```python block runs in a fresh interpreter in an empty directory, exactly as a
user would paste it; the SDKs reach the fake provider through their own
``OPENAI_BASE_URL`` / ``ANTHROPIC_BASE_URL`` variables.  The scripted model answers
with the tokens ``guard.mask`` really produces for the example's values, so the
comments in the examples (what the model is sent, what the tool receives) are checked.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.fake_llm_server import Reply, ToolCall, echo_last_user
from tests.sdk_values import assert_no_raw

pytest_plugins = ["tests.sdk_fixtures"]

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "sdk.md").read_text(encoding="utf-8")
EMAIL, CARD, SSN = "alice.johnson@example.com", "4111 1111 1111 1111", "536-22-4187"


def _block(heading: str) -> str:
    section = DOC.split(f"\n## {heading}\n", 1)[1]
    match = re.search(r"^```python\n(.*?)^```", section, re.S | re.M)
    assert match, f"no python example under '## {heading}'"
    return match.group(1)


def _run(code: str, tmp_path: Path, env: dict[str, str]) -> str:
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    src = str(ROOT / "src")
    full_env = {
        **os.environ,
        **env,
        "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]),
        "PYTHONWARNINGS": "error::DeprecationWarning:__main__",  # no deprecated model names
    }
    for var in ("GUARDLLM_KEY", "GUARDLLM_KEY_FILE"):  # the example must not need a key
        full_env.pop(var, None)
    done = subprocess.run(
        [sys.executable, str(script)], env=full_env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_guard_mask_produces_the_tokens_the_docs_name():
    from guardllm import Guard

    guard = Guard(store="memory://")
    text = f"Email {EMAIL} that her card {CARD} expired. SSN {SSN}"
    assert (
        guard.mask(text, scope="session-42") == "Email [EMAIL_1] that her card [CARD_1] expired. SSN [SSN_1]"
    )
    assert "Email [EMAIL_1] that her card [CARD_1] expired." in DOC


def test_openai_example_runs_as_written(server, tmp_path):
    server.script(
        Reply(
            "",
            tool_calls=[
                ToolCall("send_email", {"to": "[EMAIL_1]", "body": "Your card [CARD_1] has expired."})
            ],
        ),
        Reply(echo_last_user, chunk_size=1),
        Reply(echo_last_user, chunk_size=3),
    )
    out = _run(
        _block("OpenAI"), tmp_path, {"OPENAI_BASE_URL": server.openai_url, "OPENAI_API_KEY": "sk-test"}
    )
    lines = out.splitlines()
    # the tool sees the email (granted) but only the card's token
    assert lines[0] == f"send_email {{'to': '{EMAIL}', 'body': 'Your card [CARD_1] has expired.'}}"
    assert lines[1] == f"You said: Email {EMAIL} that her card {CARD} expired."  # streamed, restored
    assert lines[2] == f"You said: My email is {EMAIL}. Repeat it."
    assert "lineage run" in out and "EMAIL_ADDRESS" in out
    assert_no_raw(out[out.index("lineage run") :])
    assert len(server.requests) == 3
    assert (
        server.requests[0].body["messages"][0]["content"] == "Email [EMAIL_1] that her card [CARD_1] expired."
    )
    assert_no_raw(server.all_request_text())


def test_anthropic_example_runs_as_written(server, tmp_path):
    server.script(
        Reply("On it.", tool_calls=[ToolCall("send_email", {"to": "[EMAIL_1]", "body": "About [SSN_1]"})]),
        Reply(echo_last_user, chunk_size=1),
    )
    out = _run(
        _block("Anthropic"), tmp_path, {"ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": "sk-ant-test"}
    )
    lines = out.splitlines()
    assert lines[0] == "On it."
    assert lines[1] == f"send_email {{'to': '{EMAIL}', 'body': 'About [SSN_1]'}}"
    assert lines[2] == f"You said: Write to {EMAIL} about SSN {SSN}."
    assert "lineage run" in out
    assert_no_raw(out[out.index("lineage run") :])
    assert server.requests[0].body["messages"][0]["content"] == "Write to [EMAIL_1] about SSN [SSN_1]."
    assert_no_raw(server.all_request_text())
