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


def test_tail_takes_the_query_filters(store, capsys):
    """`audit tail` filters like `audit query`: the newest n *matching* records."""
    url, _ = store
    g = Guard(store=url, principal="agent:billing")
    for i in range(3):
        g.mask(f"Invoice {i} for {EMAIL}", scope=f"inv-{i}")
    g.close()
    assert main(["audit", "tail", "--store", url, "-n", "1", "--principal", "agent:ops", "--json"]) == 0
    recs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["event"], r["principal"], r["recipient"]) for r in recs] == [
        ("refuse", "agent:ops", "tool:web")
    ]
    assert main(["audit", "tail", "--store", url, "-n", "5", "--principal", "agent:billing"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and all("principal=agent:billing" in ln and " mask " in ln for ln in lines)
    args = ["--scope", "inv-2", "--type", "EMAIL_ADDRESS", "--since", "2000-01-01", "--until", "4102444800"]
    assert main(["audit", "tail", "--store", url, *args]) == 0
    assert capsys.readouterr().out.count("scope=inv-2") == 1
    assert main(["audit", "tail", "--store", url, "--recipient", "tool:send_email", "--event", "reveal"]) == 0
    assert capsys.readouterr().out.count("\n") == 1
    assert main(["audit", "tail", "--store", url, "--since", "4102444800"]) == 0
    assert capsys.readouterr().out == ""


def test_summary_period(store, capsys):
    """The summary covers only the period asked for."""
    url, _ = store
    import time

    cut = time.time()
    g = Guard(store=url, principal="agent:late")
    g.unmask(g.mask(f"Mail {EMAIL}", scope="z"), scope="z", to="user")
    g.close()
    assert main(["audit", "summary", "--store", url, "--since", str(cut), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["principal"], r["entity_type"], r["raw"], r["masked"]) for r in rows] == [
        ("agent:late", "EMAIL_ADDRESS", 1, 1)
    ]
    assert main(["audit", "summary", "--store", url, "--until", str(cut), "--json"]) == 0
    assert {r["principal"] for r in json.loads(capsys.readouterr().out)} == {"agent:ops"}
