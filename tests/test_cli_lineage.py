"""``guardllm lineage list|show|find`` against a real SQLite store."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from guardllm.cli import main
from guardllm.lineage import LineageRecorder
from guardllm.stores import open_store

FP = "fp_" + "1a2b3c4d5e6f7a8b"
RUN_A = "0190a0e0-0000-7000-8000-00000000000a"
RUN_B = "0190a0e0-0000-7000-8000-00000000000b"
RUN_C = "0290ffff-0000-7000-8000-00000000000c"


@pytest.fixture
def url(tmp_path: Any) -> str:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    clock = iter(range(1_700_000_000, 1_700_001_000))
    with open_store(url) as store:
        rec = LineageRecorder(store, clock=lambda: float(next(clock)))
        for run, principal in ((RUN_A, "u-1"), (RUN_B, "u-2"), (RUN_C, "u-3")):
            rec.node(run, run, "chain", "agent", principal=principal, scope="s")
            rec.source(run, "user", "user input")
            rec.node(run, f"{run}-tool", "tool", "send_email", parent_id=run)
            rec.edge(
                run,
                "source:user",
                run,
                entity_types=["EMAIL_ADDRESS"],
                fingerprints=[FP],
                status="masked",
                tokens=7,
                label="input",
            )
            rec.edge(
                run,
                run,
                f"{run}-tool",
                entity_types=["EMAIL_ADDRESS"],
                fingerprints=[FP] if run != RUN_C else [],
                status="revealed",
                tokens=3,
                label="tool_call",
            )
    return url


def test_list(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lineage", "list", "--store", url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["RUN", "STARTED", "(UTC)", "NODES", "EDGES", "PRINCIPAL", "NAME"]
    assert len(lines) == 4 and all(len(ln.split()) == 7 for ln in lines[1:])
    assert {ln.split()[0] for ln in lines[1:]} == {RUN_A, RUN_B, RUN_C}
    row = next(ln.split() for ln in lines if ln.startswith(RUN_A))
    assert row[3:] == ["3", "2", "u-1", "agent"]
    assert main(["lineage", "list", "--store", url, "--limit", "1", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert len(runs) == 1 and runs[0]["run_id"] in (RUN_A, RUN_B, RUN_C) and runs[0]["edges"] == 2


@pytest.mark.parametrize("fmt", ["text", "mermaid", "dot", "json", "openlineage"])
def test_show_formats(url: str, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lineage", "show", RUN_A, "--store", url, "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "text":
        assert out.splitlines()[:3] == [
            f"lineage run {RUN_A} · 2 steps · 2 flows · principal u-1 · scope s",
            "chain agent",
            "│  ← source user  [EMAIL_ADDRESS] masked (fp_1a2b3c…) · 7 tok · input",
        ]
        assert "└─ tool send_email" in out
    elif fmt == "mermaid":
        assert out.startswith("flowchart LR\n") and "==>|" in out
    elif fmt == "dot":
        assert out.startswith("digraph lineage {") and len(re.findall(r'" -> "', out)) == 3
    elif fmt == "json":
        data = json.loads(out)
        assert data["run_id"] == RUN_A and len(data["nodes"]) == 3 and len(data["edges"]) == 2
    else:
        events = json.loads(out)
        assert len(events) == 2 and events[0]["run"]["runId"] == RUN_A  # LangChain's run id reused
        assert events[1]["run"]["facets"]["parent"]["run"]["runId"] == RUN_A


def test_show_by_prefix(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lineage", "show", "0290", "--store", url, "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["run_id"] == RUN_C
    assert main(["lineage", "show", "0190a0e0", "--store", url]) == 2
    err = capsys.readouterr().err
    assert "ambiguous" in err and "2 runs" in err
    assert main(["lineage", "show", "zzz", "--store", url]) == 2
    assert "no lineage run 'zzz'" in capsys.readouterr().err


def test_find(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lineage", "find", FP, "--store", url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{FP}: 5 flows in 3 runs"
    assert sum(1 for ln in lines if ln.startswith(RUN_A)) == 2
    assert any(
        ln.startswith(RUN_A) and "chain agent -> tool send_email  [EMAIL_ADDRESS] revealed  (tool_call)" in ln
        for ln in lines
    )
    assert main(["lineage", "find", FP, "--store", url, "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 5 and {h["run_id"] for h in hits} == {RUN_A, RUN_B, RUN_C}
    assert main(["lineage", "find", "fp_0000000000000000", "--store", url]) == 1
    assert "not found" in capsys.readouterr().out


def test_find_rejects_a_value_without_echoing_it(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lineage", "find", "maren.okafor@example.org", "--store", url]) == 2
    captured = capsys.readouterr()
    assert "fp_" in captured.err and "maren" not in captured.err + captured.out


def test_missing_store_is_reported_not_created(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "none.db"
    assert main(["lineage", "list", "--store", f"sqlite:///{path}"]) == 2
    assert "no guardllm store" in capsys.readouterr().err and not path.exists()


def test_store_from_environment(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GUARDLLM_STORE", url)
    assert main(["lineage", "list", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lineage"]) == 2
    assert "list" in capsys.readouterr().out
