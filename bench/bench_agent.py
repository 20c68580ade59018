"""What ``guard.middleware()`` adds to a whole ``create_agent`` run, by run length.

A scripted tool-calling chat model drives an agent through N tool calls; each call
returns the same kind of ~2 KB JSON result as ``bench_tool.py`` (names, emails, phones,
a card, an IBAN), then the model answers.  Every model call receives the whole history
so far -- N tool results at the last step -- which is what makes long runs expensive
for a guard that re-masks and leak-checks everything it is handed.

Variants per N (best of ``--repeat`` runs, wall clock):

* bare      -- the agent without guardllm
* guarded   -- ``middleware=[guard.middleware()]``, SQLite store (the default)

Prints total and per-step overhead and the audit records written; the per-step overhead
staying flat as N grows means the history is not re-scanned on every call.

Run: ``python bench/bench_agent.py [--steps 10 20 40] [--repeat 3]``; writes
``bench/results/agent.json``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

warnings.filterwarnings("ignore", category=DeprecationWarning)
os.environ.setdefault("GUARDLLM_KEY", base64.b64encode(os.urandom(32)).decode())

sys.path.insert(0, str(Path(__file__).parent))
from bench_guard import tool_result  # noqa: E402  (the same 2 KB result)

import guardllm  # noqa: E402


def make_agent(steps: int, guard: Any | None) -> Any:
    from langchain.agents import create_agent
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, ToolMessage
    from langchain_core.outputs import ChatGeneration, ChatResult
    from langchain_core.tools import tool

    class Scripted(BaseChatModel):
        """Calls ``lookup`` until it has ``steps`` results, then answers."""

        @property
        def _llm_type(self) -> str:
            return "scripted"

        def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
            return self.bind(tools=[getattr(t, "name", str(t)) for t in tools], **kwargs)

        def _generate(self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
            n = sum(isinstance(m, ToolMessage) for m in messages)
            if n >= steps:
                reply = AIMessage(content=f"Found {n} pages of tickets.")
            else:
                call = {"name": "lookup", "args": {"page": n}, "id": f"call_{n}"}
                reply = AIMessage(content="", tool_calls=[call])
            return ChatResult(generations=[ChatGeneration(message=reply)])

    counter = iter(range(10**9))

    @tool
    def lookup(page: int) -> str:
        """Open tickets, one page at a time."""
        return tool_result(next(counter))

    middleware = [guard.middleware()] if guard is not None else []
    return create_agent(Scripted(), [lookup], middleware=middleware)


def run_once(steps: int, guarded: bool) -> tuple[float, int]:
    from langchain_core.messages import HumanMessage

    with tempfile.TemporaryDirectory() as tmp:
        guard = guardllm.Guard(store=f"sqlite:///{Path(tmp) / 'bench.db'}") if guarded else None
        agent = make_agent(steps, guard)
        question = {"messages": [HumanMessage("Open tickets for priya.raman@quillfeather.example?")]}
        t0 = time.perf_counter()
        agent.invoke(question, config={"configurable": {"thread_id": "bench"}})
        elapsed = time.perf_counter() - t0
        records = len(list(guard.audit.records())) if guard is not None else 0
        if guard is not None:
            guard.close()
    return elapsed * 1000, records


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, nargs="+", default=[10, 20, 40])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    run_once(2, True)  # imports, detector build, key derivation: not part of any run
    rows = []
    print(
        f"{'tool calls':>10} {'bare ms':>9} {'guarded ms':>11} {'overhead':>10} {'per step':>9} {'audit':>6}"
    )
    for steps in args.steps:
        bare = min(run_once(steps, False)[0] for _ in range(args.repeat))
        guarded_runs = [run_once(steps, True) for _ in range(args.repeat)]
        guarded = min(ms for ms, _ in guarded_runs)
        records = guarded_runs[0][1]
        over = guarded - bare
        rows.append(
            {
                "tool_calls": steps,
                "bare_ms": round(bare, 1),
                "guarded_ms": round(guarded, 1),
                "overhead_ms": round(over, 1),
                "overhead_per_step_ms": round(over / steps, 2),
                "audit_records": records,
            }
        )
        print(f"{steps:>10} {bare:>9.1f} {guarded:>11.1f} {over:>+10.1f} {over / steps:>+9.2f} {records:>6}")

    out = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_avg_1m": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "store": "sqlite",
        "result_chars": len(tool_result(0)),
        "repeat": args.repeat,
        "runs": rows,
    }
    path = Path(__file__).parent / "results" / "agent.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
