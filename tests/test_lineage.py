"""Lineage recorder and graph: what is stored, every export, queries, and the no-values invariant."""

from __future__ import annotations

import itertools
import json
import re
import sys
import threading
import uuid
from typing import Any

import pytest

from guardllm.lineage import Edge, LineageGraph, LineageRecorder, Node, find_fingerprint
from guardllm.stores import open_store

FP_A = "fp_" + "1a2b3c4d5e6f7a8b"
FP_B = "fp_" + "99aa88bb77cc66dd"
RAW_EMAIL = "maren.okafor@example.org"


@pytest.fixture(params=["memory", "sqlite"])
def store(request: Any, tmp_path: Any) -> Any:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'l.db'}"
    s = open_store(url)
    yield s
    s.close()


def _clock() -> Any:
    counter = itertools.count(1_700_000_000)
    return lambda: float(next(counter))


def record_agent_run(rec: LineageRecorder, run: str | None = None) -> dict[str, str]:
    """A small agent run: chain -> llm -> tools, user input, a SQL table, the answer."""
    run = run or str(uuid.uuid4())
    llm1, send, note, llm2 = (str(uuid.uuid4()) for _ in range(4))
    common = {"scope": "thread-1", "principal": "u-42"}
    rec.node(run, run, "chain", "agent", **common)
    rec.source(run, "user", "user input", **common)
    rec.node(run, llm1, "llm", "ChatOpenAI", parent_id=run, model="gpt-test", guarded=True, **common)
    rec.node(run, send, "tool", "send_email", parent_id=run, **common)
    rec.node(run, note, "tool", "log_note", parent_id=run, **common)
    rec.node(run, llm2, "llm", "ChatOpenAI", parent_id=run, **common)
    rec.node(run, "table:customers", "table", "customers", **common)
    rec.node(
        run, "column:customers.email", "column", "customers.email", parent_id="table:customers", **common
    )
    rec.sink(run, "answer", "final answer", **common)
    rec.edge(
        run,
        "source:user",
        llm1,
        entity_types=["EMAIL_ADDRESS"],
        fingerprints=[FP_A],
        status="masked",
        tokens=42,
        label="input",
    )
    rec.edge(
        run,
        llm1,
        send,
        entity_types=["EMAIL_ADDRESS"],
        fingerprints=[FP_A],
        status="revealed",
        tokens=9,
        label="tool_call",
    )
    rec.edge(
        run,
        llm1,
        note,
        entity_types=["EMAIL_ADDRESS"],
        fingerprints=[FP_A],
        status="masked",
        tokens=9,
        label="tool_call",
    )
    rec.edge(
        run,
        "column:customers.email",
        send,
        entity_types=["EMAIL_ADDRESS"],
        fingerprints=[FP_B],
        status="masked",
        tokens=3,
        label="email",
    )
    rec.edge(run, send, llm2, entity_types=[], fingerprints=[], status="raw", tokens=4, label="tool_result")
    rec.edge(
        run,
        llm2,
        "sink:answer",
        entity_types=["EMAIL_ADDRESS"],
        fingerprints=[FP_A],
        status="revealed",
        tokens=12,
        label="answer",
    )
    rec.finish(run, note, "error", error_type="TimeoutError")
    rec.finish(run, run, "ok")
    return {"run": run, "llm1": llm1, "send": send, "note": note, "llm2": llm2}


# --------------------------------------------------------------------------- recorder + model


def test_recorded_nodes_and_edges(store: Any) -> None:
    rec = LineageRecorder(store, clock=_clock())
    ids = record_agent_run(rec)
    g = LineageGraph.from_store(store, ids["run"])
    assert g.run_id == ids["run"]
    assert [n.kind for n in g.nodes] == [
        "chain",
        "source",
        "llm",
        "tool",
        "tool",
        "llm",
        "table",
        "column",
        "sink",
    ]
    assert len(g.edges) == 6
    llm1 = g.node(ids["llm1"])
    assert llm1.parent_id == ids["run"] and llm1.principal == "u-42" and llm1.scope == "thread-1"
    assert llm1.attrs == {"model": "gpt-test", "guarded": True} and llm1.started_at is not None
    note = g.node(ids["note"])
    assert note.status == "error" and note.error_type == "TimeoutError" and note.ended_at > note.started_at
    assert g.node("source:user").attrs["source_type"] == "user input"
    assert [n.name for n in g.steps("tool")] == ["send_email", "log_note"]
    assert len(g.steps()) == 5
    assert {e.source for e in g.edges_into(ids["send"])} == {ids["llm1"], "column:customers.email"}
    assert [(e.target, e.label) for e in g.revealed()] == [
        (ids["send"], "tool_call"),
        ("sink:answer", "answer"),
    ]
    assert g.entity_types() == ["EMAIL_ADDRESS"] and g.fingerprints() == [FP_A, FP_B]
    first = g.edges[0]
    assert first == Edge(
        "source:user", ids["llm1"], ("EMAIL_ADDRESS",), (FP_A,), "masked", 42, "input", ids["run"], first.ts
    )


def test_rewriting_a_node_merges_and_none_does_not_erase(store: Any) -> None:
    rec = LineageRecorder(store)
    rec.node("r1", "s1", "tool", "t", scope="a", principal="p", guarded=True)
    rec.node("r1", "s1", "tool", "t", scope=None, error="ValueError")
    node = LineageGraph.from_store(store, "r1").node("s1")
    assert (
        node.scope == "a" and node.principal == "p" and node.attrs == {"guarded": True, "error": "ValueError"}
    )


def test_unchanged_node_is_not_written_again() -> None:
    calls: list[dict[str, Any]] = []

    class Counting:
        def lineage_put_node(self, node: Any) -> None:
            calls.append(dict(node))

    rec = LineageRecorder(Counting())
    for _ in range(5):
        rec.node("r", "source:user", "source", "user", scope="s")
    rec.node("r", "source:user", "source", "user", scope="s2")
    assert len(calls) == 2 and "started_at" in calls[0] and "started_at" not in calls[1]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"fingerprints": [RAW_EMAIL]}, "fingerprints"),
        ({"fingerprints": RAW_EMAIL}, "fingerprints"),
        ({"fingerprints": ["fp_" + RAW_EMAIL]}, "fingerprints"),
        ({"entity_types": [RAW_EMAIL]}, "entity_types"),
        ({"status": RAW_EMAIL}, "status"),
        ({"tokens": -1}, "tokens"),
        ({"label": RAW_EMAIL * 20}, "label"),
    ],
)
def test_edge_rejects_anything_that_is_not_a_type_or_fingerprint(kwargs: dict[str, Any], field: str) -> None:
    rec = LineageRecorder(open_store("memory://"))
    with pytest.raises(ValueError, match=field) as info:
        rec.edge("r", "a", "b", **kwargs)
    assert RAW_EMAIL not in str(info.value) and "maren" not in str(info.value)
    assert rec.store.lineage_get("r") == ([], [])


def test_node_rejects_bad_kind_content_attrs_and_reserved_keys() -> None:
    rec = LineageRecorder(open_store("memory://"))
    with pytest.raises(ValueError, match="kind"):
        rec.node("r", "n", "banana", "x")
    with pytest.raises(ValueError, match="'prompt'") as info:
        rec.node("r", "n", "llm", "x", prompt=f"please email {RAW_EMAIL} " * 20)
    assert RAW_EMAIL not in str(info.value)
    with pytest.raises(ValueError, match="'payload'"):
        rec.node("r", "n", "llm", "x", payload={"email": RAW_EMAIL})
    for reserved in ("status", "ended_at", "started_at"):
        with pytest.raises(ValueError, match="reserved"):
            rec.node("r", "n", "llm", "x", **{reserved: "ok"})
    with pytest.raises(ValueError, match="status"):
        rec.finish("r", "n", "exploded")


def test_recorder_is_thread_safe_no_lost_edges(store: Any) -> None:
    rec = LineageRecorder(store)
    run = str(uuid.uuid4())
    rec.node(run, run, "chain", "agent")
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            barrier.wait()
            step = f"step-{i}"
            rec.node(run, step, "tool", f"tool{i}", parent_id=run)
            for j in range(25):
                rec.source(run, "user", "user input")
                rec.edge(
                    run,
                    "source:user",
                    step,
                    entity_types=["PERSON"],
                    fingerprints=[f"fp_{i:08x}{j:08x}"],
                    status="masked",
                    tokens=j,
                )
            rec.finish(run, step)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    g = LineageGraph.from_store(store, run)
    assert len(g.edges) == 200 and len(g.fingerprints()) == 200
    assert len(g.steps("tool")) == 8 and all(n.status == "ok" for n in g.steps("tool"))
    assert [n.id for n in g.nodes].count("source:user") == 1


def test_find_fingerprint_across_two_runs(store: Any) -> None:
    rec = LineageRecorder(store)
    a = record_agent_run(rec)
    b = record_agent_run(rec)
    hits = find_fingerprint(store, FP_A)
    assert {run for run, _ in hits} == {a["run"], b["run"]}
    assert len(hits) == 8 and all(FP_A in e.fingerprints for _, e in hits)
    assert {(e.target, e.status) for run, e in hits if run == a["run"]} == {
        (a["llm1"], "masked"),
        (a["send"], "revealed"),
        (a["note"], "masked"),
        ("sink:answer", "revealed"),
    }
    assert [e.source for _, e in find_fingerprint(store, FP_B)] == ["column:customers.email"] * 2
    assert find_fingerprint(store, "fp_0000000000000000") == []
    with pytest.raises(ValueError) as info:
        find_fingerprint(store, RAW_EMAIL)
    assert RAW_EMAIL not in str(info.value)
    assert LineageGraph.from_store(store, a["run"]).with_fingerprint(FP_B)[0].target == a["send"]


def test_guard_records_and_reads_its_own_lineage() -> None:
    from guardllm import Guard

    guard = Guard(store="memory://", principal="svc")
    fp = guard.mask_result(f"mail {RAW_EMAIL}").entities[0].fingerprint
    run = str(uuid.uuid4())
    guard.recorder.source(run, "user", "user input")
    guard.recorder.node(run, "step", "tool", "send_email")
    guard.recorder.edge(
        run,
        "source:user",
        "step",
        entity_types=["EMAIL_ADDRESS"],
        fingerprints=[fp],
        status="revealed",
        tokens=1,
    )
    graph = guard.lineage(run)
    assert graph.revealed()[0].fingerprints == (fp,)
    assert [r for r, _ in find_fingerprint(guard.store, fp)] == [run]
    assert RAW_EMAIL not in graph.to_json() + graph.to_text() + graph.to_mermaid() + graph.to_dot()
    guard.close()


# --------------------------------------------------------------------------- exports


@pytest.fixture
def graph() -> tuple[LineageGraph, dict[str, str]]:
    rec = LineageRecorder(open_store("memory://"), clock=_clock())
    ids = record_agent_run(rec, run="0190a0e0-0000-7000-8000-000000000001")
    return LineageGraph.from_store(rec.store, ids["run"]), ids


def test_json_round_trip(graph: Any) -> None:
    g, _ = graph
    data = json.loads(g.to_json())
    assert data["version"] == 1 and data["run_id"] == g.run_id
    assert set(data["nodes"][2]) >= {"id", "kind", "name", "parent_id", "scope", "principal", "attrs"}
    again = LineageGraph.from_json(g.to_json())
    assert again.to_dict() == g.to_dict()
    assert LineageGraph.from_dicts(data["nodes"], data["edges"]).to_dict() == data


def test_mermaid(graph: Any) -> None:
    g, _ids = graph
    text = g.to_mermaid()
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    node_lines = [ln for ln in lines if re.match(r"^  n\d+\W", ln) and not re.search(r"-->|==>|-\.-", ln)]
    assert len(node_lines) == len(g.nodes)
    assert '  n2{{"llm ChatOpenAI #35;1"}}' in lines  # a model is a hexagon; same-named steps numbered
    assert '  n3[["tool send_email"]]' in lines
    assert any(ln.startswith('  n1[/"source user"/]') for ln in lines)
    flows = [ln for ln in lines if "-->|" in ln or "==>|" in ln]
    assert len(flows) == 6
    assert '  n2 ==>|"tool_call<br/>EMAIL_ADDRESS · revealed · 9 tok"| n3' in lines
    assert '  n2 -->|"tool_call<br/>EMAIL_ADDRESS · masked · 9 tok"| n4' in lines
    dotted = [ln for ln in lines if " -.- " in ln]
    assert len(dotted) == 5  # four steps under the chain, the column under its table
    # link indices: parent links first, then flows in order; revealed flows are styled
    revealed_idx = {len(dotted) + i for i, e in enumerate(g.edges) if e.status == "revealed"}
    styled = re.search(r"linkStyle ([\d,]+) stroke:#d9480f", text)
    assert styled and {int(i) for i in styled.group(1).split(",")} == revealed_idx
    assert "  linkStyle 0,1,2,3,4 stroke:#adb5bd,stroke-width:1px" in lines
    assert "class n0,n2,n3,n4,n5 step" in text


def test_labels_are_escaped_in_mermaid_and_dot() -> None:
    rec = LineageRecorder(open_store("memory://"))
    evil = 'x"] --> pwn["<b>|`#;'
    rec.node("r", "a", "tool", evil)
    rec.node("r", 'b"\\', "tool", "ok")
    rec.edge("r", "a", 'b"\\', status="raw", label='"|]')
    with pytest.raises(ValueError, match="node_id"):
        rec.node("r", "b\nc", "tool", "ok")
    g = LineageGraph.from_store(rec.store, "r")
    mm = g.to_mermaid()
    node_line = mm.splitlines()[1]
    assert node_line.startswith('  n0[["tool x#34;#93; --#62; pwn#91;#34;#60;b#62;#124;#96;#35;#59;"]]')
    assert mm.count('"') % 2 == 0 and "<b>" not in mm
    dot = g.to_dot()
    assert 'label="tool x\\"] --> pwn[\\"<b>|`#;"' in dot
    assert '"b\\"\\\\"' in dot


def test_dot(graph: Any) -> None:
    g, ids = graph
    dot = g.to_dot()
    assert dot.startswith("digraph lineage {") and dot.rstrip().endswith("}")
    nodes = dict(re.findall(r'^  "([^"]+)" \[label="[^"]*", shape=(\w+)', dot, re.M))
    assert set(nodes) == {n.id for n in g.nodes}
    assert nodes[ids["llm1"]] == "hexagon" and nodes["table:customers"] == "cylinder"
    flows = re.findall(r'^  "([^"]+)" -> "([^"]+)" \[label="([^"]*)"(.*)\];$', dot, re.M)
    assert len(flows) == 6
    revealed = [f for f in flows if "revealed" in f[2]]
    assert {(s, t) for s, t, _, _ in revealed} == {(ids["llm1"], ids["send"]), (ids["llm2"], "sink:answer")}
    assert all("penwidth=2.5" in style for *_, style in revealed)
    assert len(re.findall(r"style=dotted, arrowhead=none", dot)) == 5


def test_networkx(graph: Any) -> None:
    nx = pytest.importorskip("networkx")
    g, ids = graph
    G = g.to_networkx()
    assert isinstance(G, nx.MultiDiGraph) and G.graph["run_id"] == g.run_id
    assert G.number_of_nodes() == len(g.nodes) and G.number_of_edges() == 6
    assert G.nodes[ids["send"]]["kind"] == "tool"
    assert set(nx.descendants(G, "source:user")) == {
        ids["llm1"],
        ids["send"],
        ids["note"],
        ids["llm2"],
        "sink:answer",
    }
    statuses = [d["status"] for _, _, d in G.edges(ids["llm1"], data=True)]
    assert sorted(statuses) == ["masked", "revealed"]


def test_networkx_missing_says_how_to_install(graph: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "networkx", None)
    with pytest.raises(ImportError, match="pip install networkx"):
        graph[0].to_networkx()


def test_text_tree(graph: Any) -> None:
    g, _ids = graph
    text = g.to_text()
    lines = text.splitlines()
    assert lines[0] == (f"lineage run {g.run_id} · 5 steps · 6 flows · principal u-42 · scope thread-1")
    assert lines[1] == "chain agent"
    assert "├─ llm ChatOpenAI #1" in lines
    assert "├─ tool log_note [error: TimeoutError]" in lines
    assert "└─ llm ChatOpenAI #2" in lines
    send = lines.index("├─ tool send_email")
    assert (
        lines[send + 1]
        == "│     ← llm ChatOpenAI #1  [EMAIL_ADDRESS] revealed (fp_1a2b3c…) · 9 tok · tool_call"
    )
    assert (
        lines[send + 2]
        == "│     ← column customers.email  [EMAIL_ADDRESS] masked (fp_99aa88…) · 3 tok · email"
    )
    assert lines[send + 3] == "│     → llm ChatOpenAI #2  [-] raw · 4 tok · tool_result"
    assert lines[lines.index("data") + 1 : lines.index("data") + 4] == [
        "├─ source user",
        "├─ table customers",
        "│  └─ column customers.email",
    ]
    assert lines[-1] == "└─ sink answer"
    assert str(g) == text


def test_empty_graph_renders() -> None:
    g = LineageGraph.from_store(open_store("memory://"), "nope")
    assert not g and "no lineage recorded" in g.to_text()
    assert g.to_mermaid() == "flowchart LR" and g.to_dot().endswith("}")


def test_dangling_edge_endpoints_become_implicit_nodes() -> None:
    g = LineageGraph.from_dicts(
        [], [{"run_id": "r", "source": "provider:openai", "target": "x", "status": "masked"}]
    )
    assert g.run_id == "r"
    assert [(n.id, n.kind, n.attrs) for n in g.nodes] == [
        ("provider:openai", "provider", {"implicit": True}),
        ("x", "unknown", {"implicit": True}),
    ]


def test_openlineage_events(graph: Any) -> None:
    g, ids = graph
    events = g.to_openlineage()
    assert len(events) == 5
    by_run = {e["run"]["runId"]: e for e in events}
    assert set(by_run) == {ids[k] for k in ("run", "llm1", "send", "note", "llm2")}  # LangChain ids reused
    for e in events:
        assert {"eventType", "eventTime", "run", "job", "inputs", "outputs", "producer", "schemaURL"} <= set(
            e
        )
        assert e["eventTime"].endswith("Z")
        json.dumps(e)
    assert by_run[ids["note"]]["eventType"] == "FAIL" and by_run[ids["run"]]["eventType"] == "COMPLETE"
    send = by_run[ids["send"]]
    assert send["job"] == {"namespace": "guardllm", "name": "tool.send_email", "facets": {}}
    assert send["run"]["facets"]["parent"]["run"]["runId"] == ids["run"]
    inputs = {d["name"]: d for d in send["inputs"]}
    assert "column:customers.email" in inputs
    flow = inputs["column:customers.email"]["facets"]["guardllm_flow"]["flows"][0]
    assert flow == {
        "status": "masked",
        "entityTypes": ["EMAIL_ADDRESS"],
        "fingerprints": [FP_B],
        "tokens": 3,
        "label": "email",
    }
    # a step -> step flow is the producer's output dataset and the consumer's input dataset
    llm1_out = {d["name"] for d in by_run[ids["llm1"]]["outputs"]}
    assert any(n in llm1_out for n in inputs)


def test_notebook_reprs_without_graphviz(graph: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import guardllm.lineage.render as render

    g, _ = graph
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    html_out = g._repr_html_()
    assert html_out.startswith('<pre class="mermaid">') and "flowchart LR" in html_out
    assert "<br/>" not in html_out and "&lt;br/&gt;" in html_out  # escaped for HTML, Mermaid reads the text
    assert g._repr_markdown_() == f"```mermaid\n{g.to_mermaid()}\n```"


def test_notebook_html_uses_graphviz_when_present(
    graph: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    import guardllm.lineage.render as render

    fake_dot = tmp_path / "dot"
    fake_dot.write_text("#!/bin/sh\ncat >/dev/null\necho '<?xml version=\"1.0\"?>'\necho '<svg>ok</svg>'\n")
    fake_dot.chmod(0o755)
    monkeypatch.setattr(render.shutil, "which", lambda name: str(fake_dot))
    assert graph[0]._repr_html_() == '<div class="guardllm-lineage"><svg>ok</svg>\n</div>'


def test_repr_holds_no_content(graph: Any) -> None:
    g, _ = graph
    assert repr(g) == f"LineageGraph(run_id={g.run_id!r}, nodes=9, edges=6)"
    assert isinstance(g.nodes[0], Node)


def test_text_header_counts_are_singular_for_one() -> None:
    rec = LineageRecorder(open_store("memory://"))
    run = str(uuid.uuid4())
    rec.node(run, run, "tool", "lookup")
    rec.source(run, "user", "user input")
    rec.edge(run, "source:user", run, entity_types=[], fingerprints=[], status="raw", tokens=1)
    head = LineageGraph.from_store(rec.store, run).to_text().splitlines()[0]
    assert head == f"lineage run {run} · 1 step · 1 flow"
    rec.node(run, "t2", "tool", "other", parent_id=run)
    head = LineageGraph.from_store(rec.store, run).to_text().splitlines()[0]
    assert head.endswith(" · 2 steps · 1 flow")


def test_text_wraps_long_flow_lines_under_the_tree() -> None:
    """A flow carrying many types and fingerprints wraps at 100 columns; its continuation
    keeps the tree's bars and is indented under the flow, and nothing is lost."""
    rec = LineageRecorder(open_store("memory://"))
    run = str(uuid.uuid4())
    rec.node(run, run, "chain", "agent")
    rec.node(run, "q", "tool", "sql_db_query_with_a_rather_long_descriptive_name", parent_id=run)
    rec.node(run, "m", "llm", "ScriptedAgentModel", parent_id=run)
    types = ["CREDIT_CARD", "EMAIL_ADDRESS", "PERSON", "PHONE_NUMBER", "US_SSN"]
    fps = [f"fp_{i:016x}" for i in range(5)]
    rec.edge(
        run, "q", "m", entity_types=types, fingerprints=fps, status="masked", tokens=123, label="tool_result"
    )
    g = LineageGraph.from_store(rec.store, run)
    lines = g.to_text().splitlines()
    assert all(len(line) <= 100 for line in lines), [len(line) for line in lines]
    start = next(i for i, line in enumerate(lines) if "→ llm ScriptedAgentModel" in line)
    cont = lines[start + 1]
    assert cont.startswith("│  ") and cont.lstrip(" │").startswith(("(fp_", "PHONE", "US_", "masked", "123"))
    flat = " ".join(line.lstrip(" │├└─") for line in lines[start : start + 3])
    assert "123 tok" in flat and "tool_result" in flat and "+2" in flat
    # width=None keeps one line per flow
    from guardllm.lineage.render import to_text

    assert len(to_text(g, width=None).splitlines()) < len(lines)
    assert any(len(line) > 100 for line in to_text(g, width=None).splitlines())
