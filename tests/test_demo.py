"""``guardllm demo`` and ``guardllm.demo.run_demo``: the README's main job, offline.

The agent is ``create_agent`` + ``guard.middleware()`` + ``guard.callback_handler()``
over the bundled SQLite customers via ``guard.sql_tool``, with ``send_email`` (granted
EMAIL_ADDRESS) and ``log_note`` (granted nothing).  Each run must show: no raw value
reached the model, send_email got the real address, log_note only tokens, the user's
answer restored, lineage with the model / tool / SQL steps, and a verifying audit chain.
(tests/test_e2e_agent.py covers the same guarantees for a generic agent; here it is the
demo itself, its CLI and its streaming / async runs.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from guardllm.cli import main
from guardllm.demo.data import CUSTOMERS, raw_values
from guardllm.demo.run import DemoResult, run_demo
from guardllm.demo.scripted_model import ScriptedAgentModel

RAW = raw_values()
TOP = CUSTOMERS[0]  # the customer with the largest balance due
TOP_NAME, TOP_EMAIL = TOP[1], TOP[2]


def _leaks(text: str) -> list[int]:
    """Indexes of raw demo values in ``text`` (never the values: they would end up in logs)."""
    return [i for i, v in enumerate(RAW) if v in text]


@pytest.fixture(autouse=True)
def _no_configured_store(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("GUARDLLM_STORE", "GUARDLLM_KEY", "GUARDLLM_KEY_FILE", "GUARDLLM_HOME"):
        monkeypatch.delenv(var, raising=False)


def _check_result(r: DemoResult, model: ScriptedAgentModel | None = None) -> None:
    # the model: three calls, nothing raw -- by the callback record and the model's own record
    assert len(r.model_saw) == 3
    assert not _leaks(r.model_saw_text())
    assert "[PERSON_1]" in r.model_saw_text() and "[EMAIL_1]" in r.model_saw_text()
    assert "[REDACTED:STRIPE_KEY]" in r.model_saw_text()  # the API key in the notes column
    if model is not None:
        own = "\n".join(
            str(m.content) + json.dumps(getattr(m, "tool_calls", [])) for ms in model.seen for m in ms
        )
        assert len(model.seen) == 3 and not _leaks(own)
    # the tools
    (sent,) = r.tool_args("send_email")
    assert sent["to"] == TOP_EMAIL
    (note,) = r.tool_args("log_note")
    assert not _leaks(json.dumps(note)) and "[EMAIL_1]" in note["text"] and "[PERSON_1]" in note["text"]
    # the database ran the model's query, row-limited, and nothing that writes
    selects = [s for s in r.db_statements if s.upper().startswith("SELECT") and "pragma" not in s.lower()]
    assert len(selects) == 1 and "FROM customers" in selects[0] and "LIMIT" in selects[0].upper()
    # the user
    assert TOP_NAME in r.answer and TOP_EMAIL in r.answer and "[" not in r.answer
    # lineage: model, tool and SQL steps, with the right flows, and no values
    g = r.lineage
    assert len(g.steps("llm")) == 3
    tools = {n.name: n.id for n in g.steps("tool")}
    assert {"sql_db_query", "send_email", "log_note"} <= set(tools)
    columns = {n.name for n in g.nodes if n.kind == "column"}
    assert {"customers.name", "customers.email", "customers.card_number", "customers.notes"} <= columns
    into_send = g.edges_into(tools["send_email"])
    assert [e.entity_types for e in into_send if e.status == "revealed"] == [("EMAIL_ADDRESS",)]
    assert not [e for e in g.edges_into(tools["log_note"]) if e.status == "revealed"]
    answer = [e for e in g.edges if e.label == "answer"]
    assert answer and answer[0].status == "revealed" and "EMAIL_ADDRESS" in answer[0].entity_types
    assert not g.leaks()
    assert not _leaks(g.to_json()) and not _leaks(g.to_text())
    # the audit chain verifies and holds no raw value
    assert r.audit_ok and r.audit.count > 0
    records = json.dumps([rec.to_dict() for rec in r.guard.audit.records()], default=str)
    assert not _leaks(records)
    assert {"mask", "reveal", "tool_call"} <= {rec.event for rec in r.guard.audit.records()}


@pytest.mark.parametrize(
    ("stream", "use_async"), [(False, False), (True, False), (False, True), (True, True)]
)
def test_run_demo(tmp_path: Path, stream: bool, use_async: bool) -> None:
    model = ScriptedAgentModel()
    r = run_demo(model, workdir=tmp_path, stream=stream, use_async=use_async)
    try:
        _check_result(r, model)
        if stream:  # what a streaming UI showed, restored chunk by chunk, ends in the answer
            assert len(r.streamed) == 3 and r.streamed[-1] == r.answer
            assert TOP_NAME in r.streamed[1] and "[" not in "".join(r.streamed)
        else:
            assert r.streamed == []
    finally:
        r.close()


def test_value_map_shows_who_got_which_form(tmp_path: Path) -> None:
    r = run_demo(workdir=tmp_path)
    try:
        views = {v.column: v for v in r.value_map()}
    finally:
        r.close()
    assert views["email"].raw == TOP_EMAIL and views["email"].token == "[EMAIL_1]"
    assert views["email"].got == {"model": "token", "send_email": "raw", "log_note": "token", "user": "raw"}
    assert views["name"].got == {"model": "token", "send_email": "-", "log_note": "token", "user": "raw"}
    assert views["notes"].token == "[REDACTED:STRIPE_KEY]"
    assert set(views["notes"].got.values()) == {"token", "-"}  # secrets: nobody gets them back


def test_demo_key_is_a_throwaway_in_the_workdir(tmp_path: Path) -> None:
    r = run_demo(workdir=tmp_path)
    try:
        key = tmp_path / "demo.key"
        assert key.exists() and (key.stat().st_mode & 0o077) == 0
        assert r.store_url == f"sqlite:///{tmp_path / 'guardllm.db'}"
        assert "throwaway" in r.key_note and "guardllm keygen" in r.key_note
    finally:
        r.close()
    # the store is readable later with that key (what the CLI tells the user to run)
    from guardllm import Guard

    again = Guard(store=r.store_url, key=key)
    try:
        assert again.audit.verify()
        assert again.lineage(r.run_id).steps("tool")
    finally:
        again.close()


def test_given_store_needs_a_configured_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["demo", "--workdir", str(tmp_path), "--store", f"sqlite:///{tmp_path / 'mine.db'}"])
    err = capsys.readouterr().err
    assert rc == 2 and "no encryption key" in err and "guardllm keygen" in err


def test_given_store_with_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from guardllm.tokens.crypto import generate_key

    monkeypatch.setenv("GUARDLLM_KEY", generate_key())
    r = run_demo(store=f"sqlite:///{tmp_path / 'mine.db'}", workdir=tmp_path / "w")
    try:
        _check_result(r)
        assert "GUARDLLM_KEY" in r.key_note and not (tmp_path / "w" / "demo.key").exists()
    finally:
        r.close()


# -- the CLI -----------------------------------------------------------------------------


def _sections(out: str) -> dict[str, str]:
    """Report sections by their rule title."""
    parts: dict[str, str] = {}
    title = ""
    for line in out.splitlines():
        if line.startswith("── "):
            title = line.strip("─ ")
            parts[title] = ""
        else:
            parts[title] = parts.get(title, "") + line + "\n"
    return parts


def _check_report(out: str, workdir: Path) -> None:
    sections = _sections(out)
    saw = "".join(v for k, v in sections.items() if "MODEL SAW" in k)
    assert saw and not _leaks(saw)
    (send,) = [v for k, v in sections.items() if k.startswith("what send_email RECEIVED")]
    assert TOP_EMAIL in send
    (note,) = [v for k, v in sections.items() if k.startswith("what log_note RECEIVED")]
    assert "[EMAIL_1]" in note and not _leaks(note)
    user = sections["what the USER SEES"]
    assert TOP_EMAIL in user and TOP_NAME in user
    lineage = next(v for k, v in sections.items() if k.startswith("LINEAGE of run"))
    for step in ("llm ScriptedAgentModel", "tool sql_db_query", "tool send_email", "tool log_note"):
        assert step in lineage
    assert "column customers.email" in lineage and not _leaks(lineage)
    checks = sections["AUDIT verification and CHECKS"]
    assert "audit log OK" in checks and "✗" not in checks and checks.count("✓") == 6
    # readable at 100 columns (only lines holding a file path may run longer)
    assert max(len(line) for line in out.splitlines() if str(workdir) not in line) <= 100


def test_cli_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["demo", "--workdir", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0
    _check_report(out, tmp_path)
    assert "throwaway demo key" in out and str(tmp_path / "demo.key") in out


def test_cli_subprocess(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUARDLLM_")}
    env.update(PYTHONIOENCODING="utf-8", OPENAI_API_KEY="", ANTHROPIC_API_KEY="")
    proc = subprocess.run(
        [sys.executable, "-m", "guardllm", "demo", "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    _check_report(proc.stdout, tmp_path)
    assert not _leaks(proc.stderr)


def test_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["demo", "--workdir", str(tmp_path), "--json", "--stream"])
    data = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert all(c["ok"] for c in data["checks"]) and data["audit"]["ok"]
    assert not _leaks(json.dumps(data["model_saw"]))
    sent = [c["args"] for c in data["tool_calls"] if c["tool"] == "send_email"]
    assert sent == [{"to": TOP_EMAIL, "subject": "Your balance", "body": sent[0]["body"]}]
    assert TOP_EMAIL in data["answer"]
    assert {n["kind"] for n in data["lineage"]["nodes"]} >= {"llm", "tool", "column", "table"}


def test_cli_quiet_and_mermaid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--workdir", str(tmp_path / "q"), "--quiet", "--async"]) == 0
    quiet = capsys.readouterr().out
    assert TOP_EMAIL in quiet and quiet.count("✓") == 6 and "LINEAGE" not in quiet
    assert main(["demo", "--workdir", str(tmp_path / "m"), "--mermaid"]) == 0
    out = capsys.readouterr().out
    assert "flowchart" in out or "graph " in out


def test_cli_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0
    for needle in ("--model", "--store", "send_email", "log_note", "offline", "OPENAI_API_KEY"):
        assert needle in out


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("openai:gpt-4o-mini", "OPENAI_API_KEY"),
        ("anthropic:claude-3-5-haiku-latest", "ANTHROPIC_API_KEY"),
        ("gpt-4o-mini", "openai:MODEL"),
        ("mistral:large", "openai:MODEL"),
    ],
)
def test_cli_model_errors_are_clear(
    spec: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    rc = main(["demo", "--workdir", str(tmp_path), "--model", spec])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and "Traceback" not in err


# -- --model PROVIDER:MODEL through the real SDKs, against a local fake provider ------------


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("stream", [False, True])
def test_cli_real_provider_path(
    provider: str, stream: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """``--model openai:...`` / ``anthropic:...`` builds the provider's LangChain model from
    the key in the environment; every HTTP request body that left the process is masked."""
    pytest.importorskip(f"langchain_{provider}")
    from guardllm.demo.scripted_model import SQL_QUERY
    from tests.fake_llm_server import FakeLLMServer, Reply, ToolCall

    server = FakeLLMServer().start()
    try:
        if provider == "openai":
            monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
            for var in ("OPENAI_BASE_URL", "OPENAI_API_BASE"):
                monkeypatch.setenv(var, server.openai_url)
        else:
            monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
            for var in ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_URL"):
                monkeypatch.setenv(var, server.url)
        server.script(
            Reply("Looking it up.", tool_calls=[ToolCall("sql_db_query", {"query": SQL_QUERY}, id="c1")]),
            Reply(
                "",
                tool_calls=[
                    ToolCall("send_email", {"to": "[EMAIL_1]", "subject": "Balance", "body": "Hi"}, id="c2"),
                    ToolCall("log_note", {"text": "Reminded [PERSON_1] <[EMAIL_1]>"}, id="c3"),
                ],
            ),
            Reply("Done: I emailed [PERSON_1] at [EMAIL_1]."),
        )
        args = ["demo", "--workdir", str(tmp_path), "--model", f"{provider}:test-model", "--json"]
        rc = main([*args, "--stream"] if stream else args)
        data = json.loads(capsys.readouterr().out)
        sent = server.all_request_text()
        n_requests = len([r for r in server.requests if r.api != "count_tokens"])
    finally:
        server.stop()
    assert rc == 0, data["checks"]
    assert n_requests == 3
    assert not _leaks(sent) and "[PERSON_1]" in sent and "[REDACTED:STRIPE_KEY]" in sent
    assert [c["args"]["to"] for c in data["tool_calls"] if c["tool"] == "send_email"] == [TOP_EMAIL]
    assert data["answer"] == f"Done: I emailed {TOP_NAME} at {TOP_EMAIL}."
    assert data["model"] == f"{provider}:test-model"
    if stream:  # what a streaming UI showed, restored as it arrived
        assert data["streamed"][0] == "Looking it up." and data["streamed"][-1] == data["answer"]


def test_unguarded_run_leaks_and_the_checks_say_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The comparison run: same agent, no middleware, plain SQL tool.  The checks must fail
    (so they can), the handler must record the leaks, and the exit code is 1."""
    model = ScriptedAgentModel()
    r = run_demo(model, workdir=tmp_path / "api", guarded=False)
    try:
        assert not r.guarded
        assert TOP_EMAIL in r.model_saw_text() and RAW[-1] in r.model_saw_text()  # the API key too
        assert r.tool_args("log_note")[0]["text"].count(TOP_EMAIL) == 1
        assert r.lineage.leaks() and r.audit_ok
        leaks = r.guard.audit.query(event="leak")
        assert leaks and not _leaks(json.dumps([x.to_dict() for x in leaks], default=str))
        assert not _leaks(r.lineage.to_json())  # lineage records the leak, never the value
        views = {v.column: v for v in r.value_map()}
        assert views["email"].got["model"] == "raw" and views["notes"].got["model"] == "raw"
    finally:
        r.close()
    rc = main(["demo", "--workdir", str(tmp_path / "cli"), "--unguarded"])
    out = capsys.readouterr().out
    assert rc == 1
    checks = _sections(out)["AUDIT verification and CHECKS"]
    assert "✗ no raw value from the customer table reached the model (7 of 17" in checks
    assert "✗ log_note received tokens only" in checks and "leak records" in out
