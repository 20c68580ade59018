"""``guardllm scan``: find sensitive values in files, directories or stdin.

Exit codes make it a pre-commit/CI gate: 0 clean, 1 something found, 2 error.
Output never holds a raw value: the table and ``--json`` show a redacted preview.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from guardllm.errors import InputError

#: Directories never worth scanning (VCS data, environments, caches, builds).
IGNORED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "env",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
        ".nox",
        ".eggs",
        "dist",
        "build",
        ".idea",
        ".vscode",
    }
)
_SNIFF = 8192


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "scan",
        help="find sensitive values in files, directories or stdin (exit 1 when found)",
        description=(
            "Scan files, directories (recursively, skipping .git, .venv, node_modules and "
            "binary files) or stdin ('-') for sensitive values. Prints file:line:col, type, "
            "score and a redacted preview; never a raw value. Exit code: 0 clean, 1 found, 2 error."
        ),
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or directories; '-' for stdin")
    p.add_argument("--sample", action="store_true", help="scan the bundled sample text")
    p.add_argument("--json", action="store_true", help="one JSON object per finding (JSON lines)")
    p.add_argument("--types", help="comma-separated entity types to report (default: all)")
    p.add_argument("--exclude-types", help="comma-separated entity types to ignore")
    p.add_argument("--min-score", type=float, default=0.0, help="ignore findings scoring below this")
    p.add_argument(
        "--encoding-errors",
        choices=("strict", "replace"),
        default="strict",
        help="non-UTF-8 bytes: fail (strict, default) or scan with U+FFFD in their place",
    )
    p.add_argument("--chunk-size", type=int, default=1 << 20, help=argparse.SUPPRESS)
    p.add_argument("--overlap", type=int, default=4096, help=argparse.SUPPRESS)
    p.add_argument("--progress", action="store_true", help="show a progress bar even when stderr is no TTY")
    p.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    p.set_defaults(handler=run)


def _type_set(raw: str | None) -> frozenset[str] | None:
    if not raw:
        return None
    return frozenset(t.strip().upper() for t in raw.split(",") if t.strip())


def _is_binary(path: Path) -> bool:
    with path.open("rb") as fh:
        return b"\0" in fh.read(_SNIFF)


def iter_targets(paths: list[str], notes: list[str]) -> Iterator[Path]:
    """Files to scan, directories walked in a stable order; notes collect what was skipped."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in IGNORED_DIRS)
                for name in sorted(files):
                    yield Path(root) / name
        elif path.exists():
            yield path
        else:
            raise InputError(f"{raw}: no such file or directory")


def run(args: argparse.Namespace) -> int:
    from guardllm.cli._progress import Progress
    from guardllm.detect.stream import iter_file_chunks, scan_file_located, scan_stream_located

    only, exclude = _type_set(args.types), _type_set(args.exclude_types) or frozenset()
    if args.chunk_size < 1 or args.overlap < 0:
        raise InputError("--chunk-size must be >= 1 and --overlap >= 0")
    opts = {"chunk_size": args.chunk_size, "overlap": args.overlap}
    notes: list[str] = []
    counts: Counter[str] = Counter()
    out = sys.stdout

    def keep(f: Any) -> bool:
        return (
            (only is None or f.entity_type in only)
            and f.entity_type not in exclude
            and f.score >= args.min_score
        )

    def emit(name: str, located: Iterator[Any]) -> None:
        for loc in located:
            f = loc.finding
            if not keep(f):
                continue
            counts[f.entity_type] += 1
            if args.json:
                rec = {
                    "file": name,
                    "line": loc.line,
                    "column": loc.column,
                    "start": f.start,
                    "end": f.end,
                    "entity_type": f.entity_type,
                    "score": round(f.score, 4),
                    "preview": f.preview(),
                }
                out.write(json.dumps(rec) + "\n")
            else:
                where = f"{name}:{loc.line}:{loc.column}"
                out.write(f"{where:<40} {f.entity_type:<22} {f.score:4.2f}  {f.preview()}\n")

    if args.sample:
        from importlib.resources import files

        sample = files("guardllm").joinpath("data", "sample.txt").read_bytes()
        import io

        chunks = iter_file_chunks(io.BytesIO(sample), chunk_size=args.chunk_size)
        emit("sample.txt", scan_stream_located(chunks, **opts))
    paths = list(args.paths)
    if not paths and not args.sample:
        if sys.stdin is None or sys.stdin.isatty():
            raise InputError("nothing to scan: give PATH ..., '-' for stdin, or --sample")
        paths = ["-"]

    targets: list[tuple[str, Path | None]] = []
    for raw in paths:
        if raw == "-":
            targets.append(("-", None))
        else:
            targets.extend((str(p), p) for p in iter_targets([raw], notes))
    total_bytes = sum(p.stat().st_size for _, p in targets if p is not None)
    enabled = None if not (args.progress or args.no_progress) else bool(args.progress)
    if len(targets) < 2 and not args.progress:
        enabled = False
    with Progress(len(targets), total_bytes, enabled=enabled) as bar:
        for name, path in targets:
            if path is None:
                source: Any = sys.stdin.buffer
                emit("<stdin>", scan_file_located(source, errors=args.encoding_errors, **opts))
                bar.advance(files=1)
                continue
            if _is_binary(path):
                notes.append(f"skipped binary file {name}")
                bar.advance(files=1, nbytes=path.stat().st_size)
                continue
            emit(name, scan_file_located(path, errors=args.encoding_errors, **opts))
            bar.advance(files=1, nbytes=path.stat().st_size)
    for note in notes:
        print(f"guardllm: note: {note}", file=sys.stderr)
    if args.sample or not args.json:
        total = sum(counts.values())
        summary = ", ".join(f"{t} {n}" for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        print(
            f"{total} finding(s) in {len(targets) + int(args.sample)} input(s)"
            + (f": {summary}" if summary else ""),
            file=sys.stderr if args.json else sys.stdout,
        )
    return 1 if counts else 0
