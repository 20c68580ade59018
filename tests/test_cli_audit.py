"""``guardllm audit verify|tail|query|summary`` on a real SQLite store."""

from __future__ import annotations

import json
import sqlite3

import pytest

from guardllm import Guard
from guardllm.cli import main

EMAIL = "emma.wright@harbor-logistics.example"


@pytest.fixture
def store(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    g = Guard(store=url, principal="agent:ops")
    masked = g.mask(f"Contact {EMAIL}", scope="s")
    g.with_tool_grant("send_email", ["EMAIL_ADDRESS"]).unmask(masked, scope="s", to="tool:send_email")
    g.unmask(masked, scope="s", to="tool:web")
    g.close()
    return url, tmp_path / "a.db"


def test_verify_ok_and_broken(store, capsys):
    url, path = store
    assert main(["audit", "verify", "--store", url]) == 0
    assert "chain and keyed MACs intact" in capsys.readouterr().out
    db = sqlite3.connect(path)
    db.execute("UPDATE audit SET recipient = 'tool:other' WHERE seq = 2")
    db.commit()
    db.close()
    assert main(["audit", "verify", "--store", url]) == 1
    assert "record 2" in capsys.readouterr().err


def test_tail_query_summary(store, capsys):
    url, _ = store
    assert main(["audit", "tail", "--store", url, "-n", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[0].startswith("#2 ") and "reveal" in out[0]
    assert main(["audit", "query", "--store", url, "--recipient", "tool:web", "--json"]) == 0
    recs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["event"] for r in recs] == ["refuse"] and recs[0]["principal"] == "agent:ops"
    assert main(["audit", "query", "--store", url, "--type", "EMAIL_ADDRESS", "--event", "mask"]) == 0
    assert capsys.readouterr().out.count("\n") == 1
    assert main(["audit", "summary", "--store", url]) == 0
    out = capsys.readouterr().out
    assert "agent:ops" in out and "tool:send_email" in out
    assert EMAIL not in out


def test_missing_store_is_reported_not_created(tmp_path, capsys):
    path = tmp_path / "none.db"
    assert main(["audit", "verify", "--store", f"sqlite:///{path}"]) == 2
    assert "no guardllm store" in capsys.readouterr().err
    assert not path.exists()


def test_time_filters(store, capsys):
    url, _ = store
    assert (
        main(["audit", "query", "--store", url, "--since", "2000-01-01T00:00:00Z", "--until", "4102444800"])
        == 0
    )
    assert capsys.readouterr().out.count("\n") == 3
    assert main(["audit", "query", "--store", url, "--since", "yesterday"]) == 2
    assert "not a time" in capsys.readouterr().err
