"""Text, Mermaid, DOT and notebook renderings of a :class:`~guardllm.lineage.graph.LineageGraph`.

No dependency: Mermaid and DOT are plain text; SVG comes from the Graphviz ``dot``
program when it is on ``PATH``.  Every label is escaped for its target syntax, so a
step name can never break out of its quotes.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import textwrap
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from guardllm.lineage.graph import Edge, LineageGraph, Node

# --------------------------------------------------------------------------- text tree

_MAX_FPS_SHOWN = 3
#: ``to_text`` wraps longer lines (flows with many types and fingerprints) at this width.
TEXT_WIDTH = 100
_TREE_CHARS = " │├└─←→"
_GLUE = "\x00"  # a space textwrap must not break at


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _fit(line: str, width: int | None) -> list[str]:
    """``line`` wrapped at ``width`` columns; continuation lines keep the tree's vertical
    bars and are indented four more columns, so the tree still reads as a tree."""
    if width is None or len(line) <= width:
        return [line]
    body = line.lstrip(_TREE_CHARS)
    prefix = line[: len(line) - len(body)]
    cont = "".join(c if c in " │" else " " for c in prefix) + "    "
    room = max(width - len(prefix), 20)
    body = body.replace(" tok", _GLUE + "tok")  # keep "12 tok" on one line
    first = textwrap.wrap(body, room, break_long_words=True, break_on_hyphens=False)
    if not first:
        return [line]
    rest = " ".join(first[1:])
    more = textwrap.wrap(rest, max(width - len(cont), 20), break_on_hyphens=False) if rest else []
    return [(prefix + first[0]).replace(_GLUE, " "), *(cont + w.replace(_GLUE, " ") for w in more)]


def _short_fp(fp: str) -> str:
    return fp[:9] + "…" if len(fp) > 9 else fp


def _flow_text(edge: Edge) -> str:
    types = ", ".join(edge.entity_types) if edge.entity_types else "-"
    parts = [f"[{types}] {edge.status}"]
    if edge.fingerprints:
        fps = [_short_fp(f) for f in edge.fingerprints[:_MAX_FPS_SHOWN]]
        more = len(edge.fingerprints) - _MAX_FPS_SHOWN
        parts.append("(" + " ".join(fps) + (f" +{more}" if more > 0 else "") + ")")
    extra = []
    if edge.tokens:
        extra.append(f"{edge.tokens} tok")
    if edge.label:
        extra.append(edge.label)
    return " ".join(parts) + (" · " + " · ".join(extra) if extra else "")


def display_labels(graph: LineageGraph) -> dict[str, str]:
    """``kind name`` per node id; steps that share a label get ``#1``, ``#2``... in recording order."""
    counts: dict[str, int] = {}
    for node in graph.nodes:
        counts[node.label] = counts.get(node.label, 0) + 1
    seen: dict[str, int] = {}
    out = {}
    for node in graph.nodes:
        label = node.label
        if counts[label] > 1 and node.is_step:
            seen[label] = seen.get(label, 0) + 1
            label = f"{label} #{seen[label]}"
        out[node.id] = label
    return out


def _node_text(node: Node, label: str | None = None) -> str:
    text = label or node.label
    if node.status and node.status != "ok":
        text += f" [{node.status}{': ' + node.error_type if node.error_type else ''}]"
    elif node.attrs.get("error"):
        text += f" [error: {node.attrs['error']}]"
    return text


def to_text(graph: LineageGraph, *, width: int | None = TEXT_WIDTH) -> str:
    """A terminal tree: steps nested under their parents, each with its in/out flows,
    then the data sources and sinks.  Tree lines longer than ``width`` columns wrap
    under their tree prefix (``width=None``: never); the header line never wraps."""
    steps = [n for n in graph.nodes if n.is_step or n.kind == "unknown"]
    step_ids = {n.id for n in steps}
    data = [n for n in graph.nodes if n.id not in step_ids]
    data_ids = {n.id for n in data}
    principals = sorted({n.principal for n in graph.nodes if n.principal})
    scopes = sorted({n.scope for n in graph.nodes if n.scope})
    head = (
        f"lineage run {graph.run_id or '?'} · {_plural(len(steps), 'step')} · "
        f"{_plural(len(graph.edges), 'flow')}"
    )
    if principals:
        head += " · principal " + ", ".join(principals)
    if scopes:
        head += " · scope " + ", ".join(scopes)
    lines = [head]
    if not graph.nodes:
        lines.append("(empty: no lineage recorded for this run)")
        return "\n".join(lines)

    labels = display_labels(graph)

    def name_of(node_id: str) -> str:
        return labels.get(node_id, node_id)

    def walk(node: Node, prefix: str, last: bool, top: bool, ids: set[str], flows: bool) -> None:
        branch = "" if top else ("└─ " if last else "├─ ")
        lines.append(prefix + branch + _node_text(node, labels[node.id]))
        child_prefix = prefix if top else prefix + ("   " if last else "│  ")
        kids = [n for n in graph.children(node.id) if n.id in ids]
        pipe = "│  " if kids else "   "
        if flows:
            for e in graph.edges_into(node.id):
                lines.append(f"{child_prefix}{pipe}← {name_of(e.source)}  {_flow_text(e)}")
            for e in graph.edges_from(node.id):
                if node.is_step or e.target not in step_ids:
                    lines.append(f"{child_prefix}{pipe}→ {name_of(e.target)}  {_flow_text(e)}")
        for i, kid in enumerate(kids):
            walk(kid, child_prefix, i == len(kids) - 1, False, ids, flows)

    roots = [n for n in steps if n.parent_id is None or n.parent_id not in step_ids]
    for root in roots:
        walk(root, "", True, True, step_ids, True)
    if data:
        lines.append("data")
        data_roots = [n for n in data if n.parent_id is None or n.parent_id not in data_ids]
        for i, node in enumerate(data_roots):
            # data -> data flows (no step involved) are shown under their source
            walk(node, "", i == len(data_roots) - 1, False, data_ids, False)
            for e in graph.edges_from(node.id):
                if e.target in data_ids:
                    lines.append(
                        f"{'   ' if i == len(data_roots) - 1 else '│  '}   → {name_of(e.target)}  "
                        f"{_flow_text(e)}"
                    )
    # The header stays one line (it is greppable: run id, counts, principal, scope).
    return "\n".join([lines[0], *(out for line in lines[1:] for out in _fit(line, width))])


# --------------------------------------------------------------------------- Mermaid

_MERMAID_SHAPES = {
    "llm": ("{{", "}}"),
    "chat_model": ("{{", "}}"),
    "tool": ("[[", "]]"),
    "sql": ("[[", "]]"),
    "retriever": ("[/", "\\]"),
    "chain": ("(", ")"),
    "agent": ("(", ")"),
    "source": ("[/", "/]"),
    "table": ("[(", ")]"),
    "column": ("[(", ")]"),
    "document": ("[(", ")]"),
    "sink": (">", "]"),
    "provider": ("((", "))"),
}
_MERMAID_CLASSES = {
    "step": "fill:#e7f5ff,stroke:#1c7ed6,color:#0b3d66",
    "data": "fill:#f8f9fa,stroke:#495057,color:#212529",
    "sink": "fill:#fff4e6,stroke:#e8590c,color:#5c2b06",
}
_MERMAID_PARENT_LINK = "stroke:#adb5bd,stroke-width:1px"
_MERMAID_LINKS = {
    "revealed": "stroke:#d9480f,stroke-width:3px",
    "leaked": "stroke:#e03131,stroke-width:3px,stroke-dasharray:5 5",
    "blocked": "stroke:#868e96,stroke-width:1px,stroke-dasharray:2 4",
    "masked": "stroke:#2f9e44,stroke-width:1.5px",
}


def mermaid_escape(text: str) -> str:
    """Text safe inside a quoted Mermaid label (entity codes for the syntax characters)."""
    out = []
    for ch in text:
        if ch in '#"<>|`[]{}()\\;&':
            out.append(f"#{ord(ch)};")
        elif ch in "\r\n\t":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _edge_caption(edge: Edge) -> list[str]:
    parts = []
    if edge.label:
        parts.append(edge.label)
    types = ", ".join(edge.entity_types)
    parts.append(f"{types} · {edge.status}" if types else edge.status)
    if edge.tokens:
        parts[-1] += f" · {edge.tokens} tok"
    return parts


def _class_of(node: Node) -> str:
    return "step" if node.is_step else "sink" if node.is_sink else "data"


def to_mermaid(graph: LineageGraph) -> str:
    """``flowchart LR``: a shape per node kind, data-flow edges labelled with types and
    status (revealed and leaked edges drawn heavier), parent links dotted."""
    ids = {n.id: f"n{i}" for i, n in enumerate(graph.nodes)}
    labels = display_labels(graph)
    lines = ["flowchart LR"]
    for node in graph.nodes:
        left, right = _MERMAID_SHAPES.get(node.kind, ("[", "]"))
        lines.append(f'  {ids[node.id]}{left}"{mermaid_escape(_node_text(node, labels[node.id]))}"{right}')
    link = 0
    styles: dict[str, list[str]] = {}  # style -> link indices (one linkStyle line per style)
    for node in graph.nodes:
        if node.parent_id and node.parent_id in ids:
            lines.append(f"  {ids[node.parent_id]} -.- {ids[node.id]}")
            styles.setdefault(_MERMAID_PARENT_LINK, []).append(str(link))
            link += 1
    for edge in graph.edges:
        caption = "<br/>".join(mermaid_escape(p) for p in _edge_caption(edge))
        arrow = "==>" if edge.status in ("revealed", "leaked") else "-->"
        lines.append(f'  {ids[edge.source]} {arrow}|"{caption}"| {ids[edge.target]}')
        if edge.status in _MERMAID_LINKS:
            styles.setdefault(_MERMAID_LINKS[edge.status], []).append(str(link))
        link += 1
    lines.extend(f"  linkStyle {','.join(idx)} {style}" for style, idx in styles.items())
    for cls, style in _MERMAID_CLASSES.items():
        members = [ids[n.id] for n in graph.nodes if _class_of(n) == cls]
        if members:
            lines.append(f"  classDef {cls} {style}")
            lines.append(f"  class {','.join(members)} {cls}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- DOT

_DOT_SHAPES = {
    "llm": "hexagon",
    "chat_model": "hexagon",
    "tool": "component",
    "sql": "component",
    "retriever": "trapezium",
    "chain": "box",
    "agent": "box",
    "source": "parallelogram",
    "table": "cylinder",
    "column": "cylinder",
    "document": "note",
    "sink": "invhouse",
    "provider": "doubleoctagon",
}
_DOT_EDGES = {
    "revealed": 'color="#d9480f", penwidth=2.5, fontcolor="#d9480f"',
    "leaked": 'color="#e03131", penwidth=2.5, style=dashed, fontcolor="#e03131"',
    "blocked": 'color="#868e96", style=dotted',
    "masked": 'color="#2f9e44"',
    "raw": 'color="#495057"',
    "dropped": 'color="#adb5bd", style=dotted',
}


def dot_escape(text: str) -> str:
    """Text safe inside a double-quoted DOT string."""
    return (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\r", " ")
        .replace("\n", "\\n")
        .replace("\t", " ")
    )


def to_dot(graph: LineageGraph) -> str:
    """Graphviz ``digraph`` text (render with ``dot -Tsvg``)."""
    lines = [
        "digraph lineage {",
        "  rankdir=LR;",
        f'  label="{dot_escape("lineage run " + str(graph.run_id or "?"))}"; labelloc=t;',
        '  node [fontname="Helvetica", fontsize=11, style=filled, fillcolor="#f8f9fa"];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    fills = {"step": "#e7f5ff", "sink": "#fff4e6", "data": "#f8f9fa"}
    labels = display_labels(graph)
    for node in graph.nodes:
        shape = _DOT_SHAPES.get(node.kind, "box")
        extra = ', style="rounded,filled"' if node.kind in ("chain", "agent") else ""
        lines.append(
            f'  "{dot_escape(node.id)}" [label="{dot_escape(_node_text(node, labels[node.id]))}", shape={shape}, '
            f'fillcolor="{fills[_class_of(node)]}"{extra}];'
        )
    for node in graph.nodes:
        if node.parent_id and node.parent_id in graph:
            lines.append(
                f'  "{dot_escape(node.parent_id)}" -> "{dot_escape(node.id)}" '
                '[style=dotted, arrowhead=none, color="#adb5bd"];'
            )
    for edge in graph.edges:
        caption = "\\n".join(dot_escape(p) for p in _edge_caption(edge))
        style = _DOT_EDGES.get(edge.status, "")
        lines.append(
            f'  "{dot_escape(edge.source)}" -> "{dot_escape(edge.target)}" [label="{caption}"'
            + (f", {style}" if style else "")
            + "];"
        )
    lines.append("}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- notebooks


def dot_to_svg(dot_text: str, *, timeout: float = 10.0) -> str | None:
    """Render DOT with Graphviz when ``dot`` is installed; ``None`` if not (or if it fails)."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    try:
        proc = subprocess.run(
            [exe, "-Tsvg"], input=dot_text.encode("utf-8"), capture_output=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    svg = proc.stdout.decode("utf-8", "replace")
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else None


def to_html(graph: LineageGraph) -> str:
    """SVG via Graphviz when available, else a ``<pre class="mermaid">`` block (Mermaid.js renders it)."""
    svg = dot_to_svg(graph.to_dot())
    if svg is not None:
        return f'<div class="guardllm-lineage">{svg}</div>'
    return f'<pre class="mermaid">\n{html.escape(graph.to_mermaid())}\n</pre>'
