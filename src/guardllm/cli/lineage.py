"""``guardllm lineage list|show|find`` -- inspect the lineage graphs in a store.

Lineage holds no values (types, fingerprints, counts and step names), so reading it
needs no encryption key.  The store is ``--store URL``, else ``$GUARDLLM_STORE``,
else the default SQLite file (``$GUARDLLM_HOME`` or ``./.guardllm/guardllm.db``).
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from typing import Any

FORMATS = ("text", "mermaid", "dot", "json", "openlineage")

#: How many runs a prefix lookup scans.
_PREFIX_SCAN = 100_000


def _store(args: argparse.Namespace) -> Any:
    from guardllm.cli.mask import existing_store_url
    from guardllm.stores import open_store

    url = existing_store_url(args.store)
    return open_store(url)


def _when(ts: Any) -> str:
    if not isinstance(ts, (int, float)):
        return "-"
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def resolve_run(store: Any, run: str) -> str:
    """The full run id for ``run`` (an id or a unique prefix of one)."""
    from guardllm.errors import InputError

    nodes, edges = store.lineage_get(run)
    if nodes or edges:
        return run
    matches = [r["run_id"] for r in store.lineage_runs(_PREFIX_SCAN) if str(r["run_id"]).startswith(run)]
    if len(matches) == 1:
        return str(matches[0])
    if not matches:
        raise InputError(f"no lineage run {run!r} in this store (see 'guardllm lineage list')")
    shown = ", ".join(str(m) for m in matches[:5])
    raise InputError(
        f"run prefix {run!r} is ambiguous: {len(matches)} runs match ({shown}"
        f"{', ...' if len(matches) > 5 else ''})"
    )


def _list(args: argparse.Namespace) -> int:
    with _store(args) as store:
        runs = store.lineage_runs(args.limit)
    if args.json:
        print(json.dumps(runs, indent=2, default=str))
        return 0
    if not runs:
        print("no lineage runs recorded")
        return 0
    print(f"{'RUN':36}  {'STARTED (UTC)':19}  {'NODES':>5}  {'EDGES':>5}  {'PRINCIPAL':16}  NAME")
    for r in runs:
        print(
            f"{r.get('run_id')!s:36}  {_when(r.get('started_at')):19}  {r.get('nodes', 0):>5}  "
            f"{r.get('edges', 0):>5}  {r.get('principal') or '-'!s:16}  {r.get('name') or '-'}"
        )
    return 0


def _show(args: argparse.Namespace) -> int:
    from guardllm.lineage import LineageGraph

    with _store(args) as store:
        graph = LineageGraph.from_store(store, resolve_run(store, args.run_id))
    if args.format == "text":
        print(graph.to_text())
    elif args.format == "mermaid":
        print(graph.to_mermaid())
    elif args.format == "dot":
        print(graph.to_dot())
    elif args.format == "openlineage":
        print(json.dumps(graph.to_openlineage(), indent=2))
    else:
        print(graph.to_json())
    return 0


def _find(args: argparse.Namespace) -> int:
    from guardllm.errors import InputError
    from guardllm.lineage import LineageGraph, find_fingerprint, is_fingerprint

    if not is_fingerprint(args.fingerprint):
        raise InputError("FINGERPRINT must look like fp_ followed by hex digits (lineage never holds values)")
    with _store(args) as store:
        hits = find_fingerprint(store, args.fingerprint)
        graphs = {run: LineageGraph.from_store(store, run) for run in dict.fromkeys(r for r, _ in hits)}
    if args.json:
        print(json.dumps([{"run_id": run, **edge.to_dict()} for run, edge in hits], indent=2, default=str))
        return 0 if hits else 1
    if not hits:
        print(f"{args.fingerprint}: not found in any run")
        return 1

    def name(run: str, node_id: str) -> str:
        g = graphs[run]
        return g.node(node_id).label if node_id in g else node_id

    print(f"{args.fingerprint}: {len(hits)} flows in {len(graphs)} runs")
    for run, edge in hits:
        types = ",".join(edge.entity_types) or "-"
        print(
            f"{run}  {_when(edge.ts)}  {name(run, edge.source)} -> {name(run, edge.target)}  "
            f"[{types}] {edge.status}" + (f"  ({edge.label})" if edge.label else "")
        )
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "lineage",
        help="list runs, show a run's graph, find where a token went",
        description="Inspect lineage graphs (types and fingerprints only, never values).",
    )
    sub = p.add_subparsers(dest="lineage_command", metavar="ACTION")

    def add(name: str, helptext: str, handler: Any) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=helptext, description=helptext)
        sp.add_argument("--store", help="store URL (default: $GUARDLLM_STORE or ./.guardllm/guardllm.db)")
        sp.set_defaults(handler=handler)
        return sp

    ls = add("list", "the newest runs", _list)
    ls.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    ls.add_argument("--json", action="store_true")
    show = add("show", "one run's graph (RUN_ID or a unique prefix)", _show)
    show.add_argument("run_id", metavar="RUN_ID")
    show.add_argument(
        "--format",
        "-f",
        choices=FORMATS,
        default="text",
        help="text (a tree, default), mermaid, dot, json or openlineage",
    )
    find = add("find", "every run and step a token fingerprint passed through", _find)
    find.add_argument(
        "fingerprint", metavar="FINGERPRINT", help="fp_... (from mask results or audit records)"
    )
    find.add_argument("--json", action="store_true")
    p.set_defaults(handler=lambda a: (p.print_help(), 2)[1])
