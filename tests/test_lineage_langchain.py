"""A real LangChain agent run (create_agent + guardllm middleware + callback handler) drawn by the
lineage exports: the tree, Mermaid, OpenLineage run ids, fingerprint search, and no raw values."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

pytest.importorskip("langchain.agents")

from langchain_core.messages import HumanMessage

from guardllm.integrations import langchain as glc
from guardllm.lineage import find_fingerprint
from tests.lc_support import (
    ALICE_EMAIL,
    QUESTION,
    SYSTEM_PROMPT,
    RecordingToolModel,
    ToolLog,
    assert_no_raw,
    make_tools,
)


@pytest.fixture
def agent_run(sqlite_guard: Any) -> tuple[Any, Any]:
    from langchain.agents import create_agent

    send_email, log_note = make_tools(ToolLog())
    mw = glc.middleware(sqlite_guard, reveal={"send_email": ["EMAIL_ADDRESS"]})
    agent = create_agent(
        RecordingToolModel(), [send_email, log_note], system_prompt=SYSTEM_PROMPT, middleware=[mw]
    )
    handler = glc.callback_handler(sqlite_guard)
    agent.invoke(
        {"messages": [HumanMessage(QUESTION)]},
        config={"configurable": {"thread_id": "t-1", "principal": "ops"}, "callbacks": [handler]},
    )
    return sqlite_guard, sqlite_guard.lineage(handler.last_root_run_id)


def test_agent_run_as_text_tree_and_mermaid(agent_run: tuple[Any, Any]) -> None:
    _, g = agent_run
    text = g.to_text()
    lines = text.splitlines()
    assert lines[0].startswith(f"lineage run {g.run_id} · ") and "principal ops" in lines[0]
    send = next(i for i, ln in enumerate(lines) if ln.endswith("└─ tool send_email"))
    flows = lines[send + 1 : send + 3]
    assert "← llm RecordingToolModel #1  [EMAIL_ADDRESS] revealed (fp_" in flows[0]
    assert "→ llm RecordingToolModel #2  [EMAIL_ADDRESS] masked (fp_" in flows[1]
    assert any("→ sink answer  [EMAIL_ADDRESS] revealed" in ln for ln in lines)
    mermaid = g.to_mermaid()
    assert mermaid.count("==>|") == len(g.revealed()) == 2
    assert_no_raw(text + mermaid + g.to_dot() + g.to_json())


def test_openlineage_reuses_langchain_run_ids(agent_run: tuple[Any, Any]) -> None:
    _, g = agent_run
    events = g.to_openlineage()
    assert len(events) == len(g.steps())
    run_ids = {e["run"]["runId"] for e in events}
    assert g.run_id in run_ids and all(str(uuid.UUID(r)) == r for r in run_ids)
    assert run_ids == {n.id for n in g.steps()}  # every LangChain step id is a UUID, reused as is


def test_where_did_the_email_go(agent_run: tuple[Any, Any]) -> None:
    guard, g = agent_run
    fp = guard.mask_result(f"to {ALICE_EMAIL}", scope="other").entities[0].fingerprint
    hits = find_fingerprint(guard.store, fp)
    assert {run for run, _ in hits} == {g.run_id}
    reached = {(g.node(e.target).label, e.status) for _, e in hits}
    assert ("tool send_email", "revealed") in reached and ("tool log_note", "masked") in reached
    assert ("sink answer", "revealed") in reached
    assert ALICE_EMAIL.encode() not in guard.store.path.read_bytes()  # the SQLite file itself


@pytest.mark.skipif(__import__("shutil").which("dot") is None, reason="Graphviz `dot` not installed")
def test_real_graphviz_renders_the_agent_graph(agent_run: tuple[Any, Any]) -> None:
    """The DOT export is valid for the real Graphviz (no warnings), and the notebook display
    is the SVG it draws, with the steps named and no raw value."""
    import shutil
    import subprocess

    _, g = agent_run
    proc = subprocess.run(
        [shutil.which("dot") or "dot", "-Tsvg"], input=g.to_dot().encode(), capture_output=True, check=False
    )
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr[:300]
    html_out = g._repr_html_()
    assert html_out.startswith('<div class="guardllm-lineage"><svg')
    assert "send_email" in html_out and "log_note" in html_out and "EMAIL_ADDRESS" in html_out
    assert_no_raw(html_out)
