"""``guardllm demo``: a guarded LangChain agent over a bundled customer table, offline.

The run itself is :func:`guardllm.demo.run.run_demo`; this module only renders it:
what the model saw, what each tool (and the database) received, what the user sees,
who got which form of each value, the lineage tree and the audit verification.

Exit code: 0 when every check holds (no raw value reached the model, the audit chain
verifies), 1 when one does not, 2 on errors (missing API key, bad store, no key).
"""

from __future__ import annotations

import argparse
import json
import textwrap
from typing import Any

WIDTH = 100


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "demo",
        help="run a guarded agent over a bundled customer table (offline) and show who saw what",
        description=(
            "Run a LangChain agent (create_agent + guard.middleware() + guard.callback_handler())\n"
            "over a bundled SQLite customer table (names, emails, cards, an API key in a note)\n"
            "with three tools:\n"
            "  sql_db_query  guard.sql_tool(): read-only, rows go back masked\n"
            "  send_email    granted EMAIL_ADDRESS: receives the real address\n"
            "  log_note      granted nothing: receives tokens only\n"
            "and print what the model saw, what each tool and the database received, what the\n"
            "user sees, the lineage tree, the audit summary and verification, and pass/fail checks.\n\n"
            "Offline by default: a scripted model plays the agent. The customer database, a fresh\n"
            "store and a throwaway demo key go to a new temporary directory (kept, so you can\n"
            "inspect it with 'guardllm lineage' and 'guardllm audit'); for real use make your own\n"
            "key with 'guardllm keygen'."
        ),
        epilog=(
            "examples:\n"
            "  guardllm demo\n"
            "  guardllm demo --mermaid\n"
            "  OPENAI_API_KEY=... guardllm demo --model openai:gpt-4o-mini\n"
            "  GUARDLLM_KEY_FILE=~/.guardllm.key guardllm demo --store sqlite:///demo.db\n"
            "exit code: 0 all checks hold, 1 a check failed, 2 error"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--model",
        metavar="PROVIDER:MODEL",
        help=(
            "use a real model, e.g. openai:gpt-4o-mini or anthropic:claude-3-5-haiku-latest "
            "(needs OPENAI_API_KEY / ANTHROPIC_API_KEY and langchain-openai / langchain-anthropic); "
            "default: the offline scripted model"
        ),
    )
    p.add_argument(
        "--store",
        metavar="URL",
        help=(
            "store URL for tokens, lineage and audit (memory:// or sqlite:///path.db); "
            "uses the key in GUARDLLM_KEY / GUARDLLM_KEY_FILE and fails without one. Default: a fresh "
            "SQLite store with a throwaway demo key in a new temporary directory"
        ),
    )
    p.add_argument(
        "--unguarded",
        action="store_true",
        help=(
            "for comparison: the same agent WITHOUT guardllm's middleware and with a plain SQL tool; "
            "the callback handler still watches and records every leak (exits 1)"
        ),
    )
    p.add_argument("--workdir", metavar="DIR", help="where the demo database (and demo store) go")
    p.add_argument("--stream", action="store_true", help="run the agent with stream() instead of invoke()")
    p.add_argument("--async", dest="use_async", action="store_true", help="run the agent with ainvoke()")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--mermaid", action="store_true", help="print the lineage graph as Mermaid, not a tree")
    fmt.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    p.add_argument("--quiet", "-q", action="store_true", help="print only the answer and the checks")
    p.set_defaults(handler=run)


# -- rendering ------------------------------------------------------------------------------


def _rule(title: str) -> str:
    return f"── {title} " + "─" * max(3, WIDTH - len(title) - 4)


def _wrap(text: str, indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    for line in text.splitlines() or [""]:
        out += textwrap.wrap(
            line,
            WIDTH - indent,
            initial_indent="",
            subsequent_indent="  ",
            break_long_words=True,
            break_on_hyphens=False,
        ) or [""]
    return [pad + ln.rstrip() for ln in out]


def _labelled(label: str, text: str) -> list[str]:
    lines = _wrap(text, 11)
    lines[0] = f"  {label:<8} " + lines[0][11:]
    return lines


def _call(c: dict[str, Any]) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in c["args"].items())
    return f"→ {c['name']}({args})"


def _message_lines(message: Any) -> list[str]:
    kind = type(message).__name__
    role = {
        "SystemMessage": "system",
        "HumanMessage": "user",
        "AIMessage": "model",
        "ToolMessage": "tool",
    }.get(kind, kind)
    content = message.content if isinstance(message.content, str) else json.dumps(message.content)
    if kind == "ToolMessage":
        role = f"{getattr(message, 'name', None) or 'tool'}"
        role = role if len(role) <= 8 else role[:7] + "…"
    lines = _labelled(role, content) if content else []
    for call in getattr(message, "tool_calls", None) or []:
        lines += _labelled("" if lines else role, _call(call))
    return lines


def _timeline(result: Any) -> list[str]:
    out: list[str] = []
    shown = 0  # messages of earlier model calls (each call repeats the history)
    n_model = 0
    for ev in result.events:
        if ev.kind == "model":
            n_model += 1
            new = list(ev.messages)[shown:]
            shown = len(ev.messages)
            out.append(_rule(f"model call {n_model}: what the MODEL SAW (new messages)"))
            for m in new:
                out += _message_lines(m)
        elif ev.kind == "tool":
            grants = {"send_email": "granted EMAIL_ADDRESS", "log_note": "granted nothing"}
            grant = grants.get(ev.name, "") if result.guarded else "no guard"
            out.append(_rule(f"what {ev.name} RECEIVED" + (f" ({grant})" if grant else "")))
            for k, v in ev.args.items():
                out += _labelled(k, str(v))
        elif (
            result.guarded
            and ev.kind == "db"
            and ev.sql.lstrip().upper().startswith("SELECT")
            and "pragma" not in ev.sql.lower()
        ):
            out.append(_rule("what the DATABASE RECEIVED (via sql_db_query: read-only, row limit added)"))
            out += _labelled("sql", ev.sql)
        elif ev.kind == "db" and not result.guarded and not ev.sql.lstrip().upper().startswith("PRAGMA"):
            out.append(_rule("what the DATABASE RECEIVED (plain SQL tool: runs anything as written)"))
            out += _labelled("sql", ev.sql)
    out.append(_rule("what the USER SEES"))
    for i, text in enumerate(result.streamed, 1):  # --stream: restored as the chunks arrived
        out += _labelled(f"stream {i}", text)
    out += _labelled("answer", result.answer)
    return out


def _side_by_side(result: Any) -> list[str]:
    views = result.value_map()
    if not views:
        return []
    parties = list(views[0].got)  # model, tools in the order the model called them, user
    cols = ["value", *parties]
    cells = []
    for v in views:
        row = [f"{v.column}"]
        for p in parties:
            form = v.got[p]
            row.append(v.raw if form == "raw" else v.token if form == "token" else "-")
        cells.append(row)
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(cols)]
    budget = WIDTH - 2 - 2 * (len(cols) - 1)
    while sum(widths) > budget and max(widths) > 8:  # shrink the widest column first
        widths[widths.index(max(widths))] -= 1

    def fit(s: str, w: int) -> str:
        return s if len(s) <= w else s[: w - 1] + "…"

    def line(row: list[str]) -> str:
        return "  " + "  ".join(fit(c, w).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()

    out = [_rule("SIDE BY SIDE: the form of each value every party got"), line(cols)]
    out.append("  " + "  ".join("─" * w for w in widths))
    out += [line(r) for r in cells]
    return out


def _summary(summary: Any) -> list[str]:
    """``AuditSummary`` rows, laid out for 100 columns."""
    rows = [
        [
            r["principal"],
            r["entity_type"],
            *(str(r[k]) for k in ("raw", "masked", "refused", "blocked")),
            ", ".join(r["raw_to"]) or "-",
        ]
        for r in summary
    ]
    if not rows:
        return ["  no mask or reveal records"]
    head = ["principal", "entity type", "raw", "masked", "refused", "blocked", "raw to"]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]

    def line(row: list[str]) -> str:
        cells = [
            c.rjust(w) if 2 <= i <= 5 else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=False))
        ]
        return "  " + "  ".join(cells).rstrip()

    return [line(head), *(line(r) for r in rows)]


def _leak_records(audit: Any) -> list[str]:
    """The handler's leak records (types only), when a raw value reached a model."""
    from guardllm.audit import format_record

    leaks = audit.query(event="leak")
    if not leaks:
        return []
    lines = ["", f"  {len(leaks)} leak records (a raw value reached a model input):"]
    for rec in leaks:
        lines += _wrap(format_record(rec), 4)
    return lines


def _fit_tree(text: str) -> str:
    """Wrap a tree's long lines at 100 columns, continuing under the same tree prefix."""
    out: list[str] = []
    for line in text.splitlines():
        if len(line) <= WIDTH:
            out.append(line)
            continue
        body = line.lstrip(" │├└─←→")
        prefix = line[: len(line) - len(body)]
        cont = "".join(c if c in " │" else " " for c in prefix) + "    "
        wrapped = textwrap.wrap(body, WIDTH - len(prefix), break_long_words=True, break_on_hyphens=False)
        out.append(prefix + wrapped[0])
        rest = " ".join(wrapped[1:])
        out += [cont + w for w in textwrap.wrap(rest, WIDTH - len(cont), break_on_hyphens=False)]
    return "\n".join(out)


def _checks(result: Any) -> list[tuple[bool | None, str]]:
    from guardllm.demo.data import raw_values
    from guardllm.demo.run import raw_leaks

    values = raw_values()
    leaks = raw_leaks(result.model_saw_text(), values)
    n_calls = len(result.model_saw)
    checks: list[tuple[bool | None, str]] = [
        (
            not leaks and n_calls > 0,
            f"no raw value from the customer table reached the model "
            f"({len(leaks)} of {len(values)} values in {n_calls} model calls)",
        )
    ]
    views = {v.column: v for v in result.value_map()}
    email = views.get("email")
    sent = result.tool_args("send_email")
    if sent and email is not None:
        checks.append((email.got.get("send_email") == "raw", "send_email received the real address"))
    else:
        checks.append((None, "send_email was not called"))
    notes = result.tool_args("log_note")
    if notes:
        leaked = raw_leaks(result.tool_text("log_note"), values)
        checks.append((not leaked, "log_note received tokens only"))
    else:
        checks.append((None, "log_note was not called"))
    if email is not None or "name" in views:
        restored = any(v.got.get("user") == "raw" for v in views.values())
        no_tokens = not any(v.token != v.raw and v.token in result.answer for v in views.values())
        says = "has the values restored" if result.guarded else "shows the real values"
        checks.append((restored and no_tokens, f"the user's answer {says}"))
    leaked_edges = result.lineage.leaks()
    checks.append(
        (
            len(result.lineage.steps()) > 0 and not leaked_edges,
            f"lineage recorded {len(result.lineage.steps())} steps and {len(result.lineage.edges)} flows, "
            f"{len(leaked_edges)} leaks",
        )
    )
    checks.append((result.audit_ok, str(result.audit)))
    return checks


def _passed(checks: list[tuple[bool | None, str]]) -> bool:
    return all(ok is not False for ok, _ in checks)


def _check_lines(checks: list[tuple[bool | None, str]]) -> list[str]:
    mark = {True: "✓", False: "✗", None: "-"}
    return [f"  {mark[ok]} {text}" for ok, text in checks]


def _as_json(result: Any, checks: list[tuple[bool | None, str]]) -> dict[str, Any]:
    from dataclasses import asdict

    return {
        "model": result.model_name,
        "guarded": result.guarded,
        "question": result.question,
        "model_saw": [
            [{"type": type(m).__name__, "text": m.content} for m in msgs] for msgs in result.model_saw
        ],
        "tool_calls": [{"tool": n, "args": a} for n, a in result.tool_calls],
        "db_statements": result.db_statements,
        "streamed": result.streamed,
        "answer": result.answer,
        "values": [asdict(v) for v in result.value_map()],
        "run_id": result.run_id,
        "lineage": result.lineage.to_dict(),
        "audit": {"ok": result.audit_ok, "text": str(result.audit)},
        "checks": [{"ok": ok, "check": text} for ok, text in checks],
        "store": result.store_url,
        "key": result.key_note,
    }


def run(args: argparse.Namespace) -> int:
    from guardllm.demo.run import run_demo

    if args.stream and args.use_async:
        stream, use_async = True, True
    else:
        stream, use_async = args.stream, args.use_async
    result = run_demo(
        args.model,
        store=args.store,
        workdir=args.workdir,
        stream=stream,
        use_async=use_async,
        guarded=not args.unguarded,
    )
    try:
        checks = _checks(result)
        ok = _passed(checks)
        if args.json:
            print(json.dumps(_as_json(result, checks), indent=2, default=str, ensure_ascii=False))
            return 0 if ok else 1
        if args.quiet:
            print("\n".join([*_labelled("answer", result.answer), *_check_lines(checks)]))
            return 0 if ok else 1
        out = [
            "guardllm demo: a LangChain agent over a customer table, guarded by guardllm"
            if result.guarded
            else "guardllm demo --unguarded: the same agent WITHOUT guardllm's middleware or SQL\n"
            "masking; the callback handler only watches and records what leaks",
            f"  model     {result.model_name}",
            f"  database  {result.db_path} (bundled synthetic customers)",
            f"  store     {result.store_url}",
            *_wrap(f"key       {result.key_note}", 2),
            "",
            _rule("the USER ASKED"),
            *_labelled("user", result.question),
            *_timeline(result),
            *_side_by_side(result),
            _rule(f"LINEAGE of run {result.run_id}" + (" (Mermaid)" if args.mermaid else "")),
            result.lineage.to_mermaid() if args.mermaid else _fit_tree(result.lineage.to_text()),
            _rule("AUDIT: who saw which types raw (guard.audit.summary())"),
            *_summary(result.guard.audit.summary()),
            *_leak_records(result.guard.audit),
            _rule("AUDIT verification and CHECKS"),
            *_check_lines(checks),
        ]
        if not result.guarded:
            out += ["", "This run was unguarded on purpose; run 'guardllm demo' to see the difference."]
        if result.store_url.startswith("sqlite:"):
            out += ["", "Inspect it again later (lineage holds no values and needs no key):"]
            if args.store is None:
                out.append(f"  export GUARDLLM_KEY_FILE={result.workdir / 'demo.key'}")
            out += [
                f"  guardllm lineage show {result.run_id[:13]} --store {result.store_url}",
                f"  guardllm audit verify --store {result.store_url}",
            ]
        print("\n".join(out))
        return 0 if ok else 1
    finally:
        result.close()
