"""Overhead of the guarded SQL tool against LangChain's bare ``QuerySQLDatabaseTool``.

One query, ``SELECT * FROM customers`` over 100 rows x 6 columns (id, name, email,
phone, card_number, notes), on a SQLite file.  Reported per query, p50 and p90
p90 and p99 over N runs:

* bare        -- ``QuerySQLDatabaseTool(db=SQLDatabase)``: no checks, raw values
* guardrails  -- parse + classify + limit + column resolution + lineage (``check_query``)
* guarded     -- ``guard.sql_tool(SQLDatabase)``: guardrails + execution + column-aware
  masking + audit + lineage; ``warm`` = same scope every time (tokens already in the
  vault, the steady state of a conversation), ``cold`` = a fresh scope per query
  (every cell tokenized for the first time); ``sqlite store`` = the same with the Guard's
  SQLite store (what users get by default) instead of ``memory://``

Run: ``python bench/bench_sql.py [--runs N]``; writes ``bench/results/sql.json``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", category=DeprecationWarning)
os.environ.setdefault("GUARDLLM_KEY", base64.b64encode(os.urandom(32)).decode())

FIRST = ["Maren", "Teodor", "Aiyana", "Jun-seo", "Sean", "Priya", "Oluwaseun", "Ines", "Kaito", "Zofia"]
LAST = [
    "Okafor",
    "Vasquez-Lind",
    "Brightwater",
    "Park",
    "O'Brien",
    "Raman",
    "Adeyemi",
    "Moreau",
    "Sato",
    "Nowak",
]
CARDS = ["4111 1111 1111 1111", "5555 5555 5555 4444", "3782 822463 10005", "6011 1111 1111 1117"]


def make_db(path: Path, rows: int = 100) -> None:
    rnd = random.Random(7)
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, email TEXT, phone TEXT, "
        "card_number TEXT, notes TEXT)"
    )
    data = []
    for i in range(1, rows + 1):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        data.append(
            (
                i,
                f"{first} {last}",
                f"{first.lower()}.{last.lower().replace(chr(39), '')}{i}@example.org",
                f"+1 415 555 {1000 + i:04d}",
                rnd.choice(CARDS),
                rnd.choice(
                    ["VIP since 2019.", "Prefers phone.", f"Call back at +1 212 555 {2000 + i:04d}.", ""]
                ),
            )
        )
    conn.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)", data)
    conn.commit()
    conn.close()


def timed(fn, runs: int) -> dict[str, float]:
    """Wall-clock p50/p90/p99 and this thread's CPU-time p50/p99 (steadier on a shared machine)."""
    fn()  # warm-up: imports, caches, schema
    samples, cpu = [], []
    for _ in range(runs):
        c0 = time.thread_time()
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
    samples.sort()
    cpu.sort()
    return {
        "p50_ms": round(statistics.median(samples), 3),
        "p90_ms": round(samples[int(0.9 * (len(samples) - 1))], 3),
        "p99_ms": round(samples[int(0.99 * (len(samples) - 1))], 3),
        "cpu_p50_ms": round(statistics.median(cpu), 3),
        "cpu_p99_ms": round(cpu[int(0.99 * (len(cpu) - 1))], 3),
        "runs": runs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "sql.json"))
    args = parser.parse_args()

    from langchain_community.tools.sql_database.tool import QuerySQLDatabaseTool
    from langchain_community.utilities import SQLDatabase

    import guardllm
    from guardllm.sql.guardrails import SqlRules, check_query

    query = "SELECT * FROM customers"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        make_db(path)
        db = SQLDatabase.from_uri(f"sqlite:///{path}")
        bare = QuerySQLDatabaseTool(db=db)
        guard = guardllm.Guard(store="memory://")
        tool = guard.sql_tool(db)
        sqlite_guard = guardllm.Guard(store=f"sqlite:///{Path(tmp) / 'guard.db'}")
        sqlite_tool = sqlite_guard.sql_tool(db)
        schema = tool.guarded.db.table_columns(["customers"])
        rules = SqlRules(dialect="sqlite", max_rows=100)

        out = tool.invoke({"query": query}, config={"configurable": {"thread_id": "bench-check"}})
        assert "@example.org" not in out, "raw email in guarded output"
        counter = iter(range(10**9))

        results = {
            "bare QuerySQLDatabaseTool": timed(lambda: bare.invoke({"query": query}), args.runs),
            "guardrails only (check_query)": timed(lambda: check_query(query, rules, schema), args.runs),
            "guarded sql_tool, warm scope": timed(
                lambda: tool.invoke({"query": query}, config={"configurable": {"thread_id": "bench-warm"}}),
                args.runs,
            ),
            "guarded sql_tool, warm scope, sqlite store": timed(
                lambda: sqlite_tool.invoke(
                    {"query": query}, config={"configurable": {"thread_id": "bench-warm"}}
                ),
                args.runs,
            ),
            "guarded sql_tool, cold scope": timed(
                lambda: tool.invoke(
                    {"query": query}, config={"configurable": {"thread_id": f"bench-cold-{next(counter)}"}}
                ),
                args.runs,
            ),
        }
        guard.close()
        sqlite_guard.close()
    base = results["bare QuerySQLDatabaseTool"]["p50_ms"]
    print(f"SQL tool, {query!r}: 100 rows x 6 columns, SQLite file, {args.runs} runs")
    print(f"{'variant':44} {'p50 ms':>9} {'p90 ms':>9} {'p99 ms':>9} {'cpu p50':>9} {'overhead p50':>13}")
    for name, r in results.items():
        over = (
            ""
            if name.startswith("bare") or name.startswith("guardrails")
            else f"+{r['p50_ms'] - base:.2f} ms"
        )
        if name.startswith("guardrails"):
            over = f"{r['p50_ms']:.2f} ms"
        print(
            f"{name:44} {r['p50_ms']:9.2f} {r['p90_ms']:9.2f} {r['p99_ms']:9.2f} {r['cpu_p50_ms']:9.2f} {over:>13}"
        )
    payload = {
        "benchmark": "sql_tool",
        "query": query,
        "rows": 100,
        "columns": 6,
        "results": results,
        "overhead_p50_ms": {
            "guardrails": results["guardrails only (check_query)"]["p50_ms"],
            "warm": round(results["guarded sql_tool, warm scope"]["p50_ms"] - base, 3),
            "warm_sqlite_store": round(
                results["guarded sql_tool, warm scope, sqlite store"]["p50_ms"] - base, 3
            ),
            "cold": round(results["guarded sql_tool, cold scope"]["p50_ms"] - base, 3),
        },
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
