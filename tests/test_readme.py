"""The README's promises, run as written.

Every ```python block of README.md runs in a fresh interpreter, in an empty directory, the
way a user would paste it.  Blocks that talk to OpenAI or Anthropic reach the local fake
provider through the SDKs' own ``OPENAI_BASE_URL`` / ``ANTHROPIC_BASE_URL`` variables; it
answers by echoing the (masked) request, so the restore path is exercised for real.

The two quick-start commands must be the ones CI runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fake_llm_server import FakeLLMServer, Reply, echo_last_user

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")

_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
_HEADING = re.compile(r"^#+ (.+)$", re.M)


def _python_blocks() -> list[tuple[str, str]]:
    blocks = []
    for m in _BLOCK.finditer(README):
        headings = _HEADING.findall(README, 0, m.start())
        title = headings[-1] if headings else "top"
        blocks.append((f"{title} #{sum(1 for t, _ in blocks if t.startswith(title)) + 1}", m.group(1)))
    return blocks


BLOCKS = _python_blocks()


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 3, "the README lost its examples"


@pytest.fixture(scope="module")
def provider() -> FakeLLMServer:
    server = FakeLLMServer().start()
    yield server
    server.stop()


@pytest.mark.parametrize("code", [c for _, c in BLOCKS], ids=[t for t, _ in BLOCKS])
def test_readme_python_block_runs_as_written(code: str, tmp_path: Path, provider: FakeLLMServer) -> None:
    provider.reset()
    provider.script(*[Reply(echo_last_user, chunk_size=3) for _ in range(20)])
    env = {
        **os.environ,
        "GUARDLLM_KEY": "Hf9m1l6dQe4cVqzv3dXj3mL8l0bUj7kqKJk5p3Q2m6A=",
        "OPENAI_BASE_URL": provider.openai_url,
        "OPENAI_API_KEY": "sk-test-readme",
        "ANTHROPIC_BASE_URL": provider.url,
        "ANTHROPIC_API_KEY": "sk-ant-test-readme",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("GUARDLLM_STORE", None)
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, f"README block failed:\n{proc.stderr[-3000:]}"


def _bash_blocks() -> list[str]:
    return [m.group(1).strip() for m in re.finditer(r"^```bash\n(.*?)^```", README, re.S | re.M)]


def test_quick_start_commands_are_what_ci_runs() -> None:
    bash = _bash_blocks()
    main_job, test_job = bash[0], bash[1]
    assert main_job.endswith("guardllm demo") and "pip install -e" in main_job
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_job in ci, ".ci/run must run exactly the README's test command"
