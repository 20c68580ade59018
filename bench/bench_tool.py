"""Overhead of ``guard.wrap_tool`` on one tool call, against the bare tool.

The tool returns a realistic ~2 KB JSON result holding ~10 sensitive values (names,
emails, phones, a card, an IBAN).  The model's arguments carry two tokens: an email the
tool is granted (``reveal=["EMAIL_ADDRESS"]``, restored to the raw value) and a phone
number it is not (kept as a token).  Each call varies a harmless field of the result so
no detector cache can answer a repeated text.

Variants, p50 / p99 over N calls of ``tool.invoke(ToolCall)`` (a ``ToolMessage`` out, as
an agent's ``ToolNode`` uses it):

* bare                       -- the ``@tool`` function, no guard
* wrapped, sqlite store      -- ``Guard(store="sqlite:///...")``, what users get by default
* wrapped, memory:// store   -- same, in memory

Then the parts of the wrapped call, each timed alone on the same inputs (memory and
sqlite): argument restore, output mask, audit record, lineage record (nodes, edges,
tokens found in the output), and cl100k token counting of the 2 KB result (what the
lineage edge's ``tokens`` used to cost inline).

Run: ``python bench/bench_tool.py [--runs N]``; writes ``bench/results/tool.json``.
Goal (issue 4): wrapped - bare p50 under 1 ms.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

warnings.filterwarnings("ignore", category=DeprecationWarning)
os.environ.setdefault("GUARDLLM_KEY", base64.b64encode(os.urandom(32)).decode())

sys.path.insert(0, str(Path(__file__).parent))
from bench_guard import tool_result  # noqa: E402  (the same 2 KB result bench_guard masks)

import guardllm  # noqa: E402

ACCOUNT_EMAIL = "priya.raman@quillfeather.example"
CALLBACK_PHONE = "(415) 555-2671"
SCOPE = "bench-thread"


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def timed(fn: Callable[[int], Any], runs: int, warmup: int = 50) -> dict[str, float]:
    """Wall-clock p50/p99 (what a caller waits) and this thread's CPU time p50/p99.

    CPU time is the steadier figure on a shared machine: it leaves out the time the
    process sat descheduled while other work ran.
    """
    for i in range(warmup):
        fn(-1 - i)
    wall, cpu = [], []
    for i in range(runs):
        c0 = time.thread_time()
        t0 = time.perf_counter()
        fn(i)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
    return {
        "p50_ms": round(statistics.median(wall), 3),
        "p99_ms": round(pct(wall, 99), 3),
        "mean_ms": round(statistics.fmean(wall), 3),
        "cpu_p50_ms": round(statistics.median(cpu), 3),
        "cpu_p99_ms": round(pct(cpu, 99), 3),
        "runs": runs,
    }


def make_tool() -> Any:
    from langchain_core.tools import tool

    counter = iter(range(10**9))

    @tool
    def lookup_tickets(customer_email: str, callback_phone: str) -> str:
        """Open support tickets of the customer with this email."""
        return tool_result(next(counter))

    return lookup_tickets


def bench_store(label: str, store: str, runs: int, bare_tool: Any) -> dict[str, Any]:
    from langchain_core.messages import ToolMessage

    from guardllm.integrations.langchain import tools as lc_tools
    from guardllm.integrations.langchain._context import CallContext
    from guardllm.integrations.langchain._messages import mask_value, reveal_args
    from guardllm.tokencount import count_tokens

    guard = guardllm.Guard(store=store)
    wrapped = guard.wrap_tool(make_tool(), reveal=["EMAIL_ADDRESS"])
    args = {
        "customer_email": guard.mask(ACCOUNT_EMAIL, scope=SCOPE),
        "callback_phone": guard.mask(CALLBACK_PHONE, scope=SCOPE),
    }
    assert args["customer_email"].startswith("[EMAIL"), args
    config = {"configurable": {"thread_id": SCOPE}}

    def call(i: int) -> Any:
        return wrapped.invoke(
            {"name": wrapped.name, "args": args, "id": f"call_{i}", "type": "tool_call"}, config=config
        )

    msg = call(0)
    assert isinstance(msg, ToolMessage) and "@" not in msg.content.replace("@example", ""), "raw value out"
    assert ACCOUNT_EMAIL not in msg.content and "DE89" not in msg.content, "raw value in tool output"

    # In an agent loop the calls share one lineage run (the graph's data nodes are written
    # once); called directly, every call is its own run.
    in_run = {"configurable": {"thread_id": SCOPE, "guardllm_run_id": "bench-agent-run"}}

    def call_in_run(i: int) -> Any:
        return wrapped.invoke(
            {"name": wrapped.name, "args": args, "id": f"call_{i}", "type": "tool_call"}, config=in_run
        )

    result: dict[str, Any] = {"wrapped": timed(call, runs), "wrapped_in_one_run": timed(call_in_run, runs)}
    result["overhead_p50_ms"] = round(result["wrapped"]["p50_ms"] - bare_tool["p50_ms"], 3)
    result["overhead_p99_ms"] = round(result["wrapped"]["p99_ms"] - bare_tool["p99_ms"], 3)
    result["overhead_cpu_p50_ms"] = round(result["wrapped"]["cpu_p50_ms"] - bare_tool["cpu_p50_ms"], 3)
    result["overhead_in_one_run_p50_ms"] = round(
        result["wrapped_in_one_run"]["p50_ms"] - bare_tool["p50_ms"], 3
    )
    result["overhead_in_one_run_p99_ms"] = round(
        result["wrapped_in_one_run"]["p99_ms"] - bare_tool["p99_ms"], 3
    )

    # -- parts, each on its own ------------------------------------------------------------
    ctx = CallContext(scope=SCOPE)
    reveal_guard = wrapped._reveal_guard
    recipient = wrapped.recipient
    _, revealed, kept = reveal_args(reveal_guard, args, ctx, recipient)
    texts = [tool_result(10**6 + i) for i in range(runs + 60)]
    masked = mask_value(guard, texts[0], ctx)
    parts_runs = max(200, runs // 2)
    run_ids = iter(range(10**9))

    record = getattr(lc_tools, "record_lineage", None)  # absent before the split (bench of old code)

    def lineage(i: int) -> None:
        # what the wrapper records without a callback handler: one tool node, data nodes,
        # argument edge(s) and the result edge (with the tokens found in the output)
        if record is not None:
            record(
                guard,
                wrapped.name,
                f"bench-run-{next(run_ids)}",
                None,
                f"call_{i}",
                ctx,
                revealed,
                kept,
                masked,
            )

    result["parts"] = {
        "arg restore (reveal_args)": timed(
            lambda i: reveal_args(reveal_guard, args, ctx, recipient), parts_runs
        ),
        "output mask (mask_value, 2 KB JSON)": timed(
            lambda i: mask_value(guard, texts[i % len(texts)], ctx), parts_runs
        ),
        "audit record (tool_call)": timed(
            lambda i: guard.audit.record(
                "tool_call",
                run_id="bench-run",
                scope=SCOPE,
                principal=None,
                recipient=recipient,
                entity_types=["EMAIL_ADDRESS", "PHONE_NUMBER"],
                fingerprints=[r.fingerprint for r in [*revealed, *kept]],
                counts={"revealed": 1, "kept_as_tokens": 1},
                detail=wrapped.name,
            ),
            parts_runs,
        ),
        "lineage record (nodes + edges + find_tokens)": timed(lineage, parts_runs),
        "cl100k count_tokens (2 KB result)": timed(lambda i: count_tokens(texts[i % len(texts)]), parts_runs),
    }
    guard.close()
    print(
        f"\n{label}: wrapped p50 {result['wrapped']['p50_ms']:.3f} ms  p99 {result['wrapped']['p99_ms']:.3f} ms"
    )
    print(
        f"  overhead vs bare: p50 +{result['overhead_p50_ms']:.3f} ms  p99 +{result['overhead_p99_ms']:.3f} ms"
        f"  (CPU time p50 +{result['overhead_cpu_p50_ms']:.3f} ms)"
    )
    print(
        f"  calls sharing one lineage run: p50 +{result['overhead_in_one_run_p50_ms']:.3f} ms"
        f"  p99 +{result['overhead_in_one_run_p99_ms']:.3f} ms"
    )
    for name, r in result["parts"].items():
        print(
            f"  part {name:48} p50 {r['p50_ms']:7.3f}  p99 {r['p99_ms']:7.3f}  cpu p50 {r['cpu_p50_ms']:7.3f}"
        )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "tool.json"))
    args = parser.parse_args()

    bare = make_tool()
    bare_args = {"customer_email": ACCOUNT_EMAIL, "callback_phone": CALLBACK_PHONE}
    bare_r = timed(
        lambda i: bare.invoke({"name": bare.name, "args": bare_args, "id": f"call_{i}", "type": "tool_call"}),
        args.runs,
    )
    size = len(tool_result(0))
    print(f"tool result: {size} characters; {args.runs} calls per variant")
    print(
        f"bare tool: p50 {bare_r['p50_ms']:.3f} ms  p99 {bare_r['p99_ms']:.3f} ms"
        f"  (CPU time p50 {bare_r['cpu_p50_ms']:.3f} ms)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_r = bench_store("sqlite store", f"sqlite:///{Path(tmp) / 'bench.db'}", args.runs, bare_r)
    memory_r = bench_store("memory:// store", "memory://", args.runs, bare_r)
    payload = {
        "benchmark": "wrap_tool",
        "result_chars": size,
        "sensitive_values": 10,
        "runs": args.runs,
        "bare": bare_r,
        "sqlite": sqlite_r,
        "memory": memory_r,
        "goal": "wrapped - bare p50 < 1 ms",
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
