"""Time to first restored character: guarded SDK stream vs the raw SDK stream.

The local fake provider (tests/fake_llm_server.py) streams the same masked answer to
an unwrapped client and to a ``guardllm``-wrapped one, one SSE event every
``--delay`` seconds.  We measure, per run, the time from the request to the first
non-empty text delta the caller sees, and the time to the end of the stream.

The restorer holds back only a suffix that could still become a token, so:

* an answer that starts with ordinary text should show no extra wait;
* an answer that *starts with* a token must wait until the token is complete:
  at most one token-length of events (``len(token) / chunk_size``) later than raw.

Run:  python bench/bench_stream.py [--runs 15] [--delay 0.004] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT / "src", ROOT):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import anthropic  # noqa: E402
import openai  # noqa: E402
from tests.fake_llm_server import FakeLLMServer, Reply  # noqa: E402

import guardllm.anthropic  # noqa: E402
import guardllm.openai  # noqa: E402
from guardllm import Guard  # noqa: E402

EMAIL = "alice.johnson@example.com"


def _first_and_total_openai(client: Any, body_text: str) -> tuple[float, float, str]:
    start = time.perf_counter()
    first = None
    text = ""
    for chunk in client.chat.completions.create(
        model="bench", stream=True, messages=[{"role": "user", "content": "go"}]
    ):
        piece = "".join(c.delta.content or "" for c in chunk.choices)
        if piece and first is None:
            first = time.perf_counter() - start
        text += piece
    return first or float("nan"), time.perf_counter() - start, text


def _first_and_total_anthropic(client: Any, body_text: str) -> tuple[float, float, str]:
    start = time.perf_counter()
    first = None
    text = ""
    with client.messages.stream(
        model="bench", max_tokens=64, messages=[{"role": "user", "content": "go"}]
    ) as s:
        for piece in s.text_stream:
            if piece and first is None:
                first = time.perf_counter() - start
            text += piece
    return first or float("nan"), time.perf_counter() - start, text


def measure(
    server: FakeLLMServer,
    raw: Any,
    wrapped: Any,
    fn: Any,
    text: str,
    *,
    chunk_size: int,
    delay: float,
    runs: int,
) -> dict[str, Any]:
    raw_first, raw_total, g_first, g_total = [], [], [], []
    restored = ""
    for i in range(runs + 1):  # the first pair warms connections and caches
        for client, firsts, totals in ((raw, raw_first, raw_total), (wrapped, g_first, g_total)):
            server.script(Reply(text, chunk_size=chunk_size, delay=delay))
            first, total, out = fn(client, text)
            if i:
                firsts.append(first)
                totals.append(total)
            if client is wrapped:
                restored = out
    med = statistics.median
    event = delay  # one SSE event per `delay`
    extra = med(g_first) - med(raw_first)
    return {
        "chunk_size": chunk_size,
        "delay_ms": delay * 1e3,
        "raw_first_ms": med(raw_first) * 1e3,
        "guarded_first_ms": med(g_first) * 1e3,
        "extra_first_ms": extra * 1e3,
        "extra_first_events": extra / event if event else float("nan"),
        "raw_total_ms": med(raw_total) * 1e3,
        "guarded_total_ms": med(g_total) * 1e3,
        "restored_ok": EMAIL in restored,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--delay", type=float, default=0.004, help="seconds between SSE events")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    args = parser.parse_args(argv)

    guard = Guard(store="memory://")
    token = guard.mask(EMAIL)
    answers = {
        "text first": f"Sure, the address on file is {token}; shall I write to it?",
        "token first": f"{token} is the address on file; shall I write to it?",
    }
    results: list[dict[str, Any]] = []
    with FakeLLMServer() as server:
        o_raw = openai.OpenAI(base_url=server.openai_url, api_key="bench", max_retries=0)
        a_raw = anthropic.Anthropic(base_url=server.url, api_key="bench", max_retries=0)
        pairs = {
            "openai.chat": (o_raw, guardllm.openai.wrap(o_raw, guard), _first_and_total_openai),
            "anthropic.stream": (a_raw, guardllm.anthropic.wrap(a_raw, guard), _first_and_total_anthropic),
        }
        for api, (raw, wrapped, fn) in pairs.items():
            for label, text in answers.items():
                for chunk_size in (1, 4):
                    row = measure(
                        server,
                        raw,
                        wrapped,
                        fn,
                        text,
                        chunk_size=chunk_size,
                        delay=args.delay,
                        runs=args.runs,
                    )
                    token_events = -(-len(token) // chunk_size)
                    row.update(
                        api=api,
                        answer=label,
                        token_len=len(token),
                        token_events=token_events,
                        within_one_token=row["extra_first_events"] <= token_events + 0.5,
                    )
                    results.append(row)

    header = (
        f"{'api':<17}{'answer':<13}{'chunk':>6}{'raw 1st ms':>12}{'guard 1st ms':>13}"
        f"{'extra ev':>10}{'token ev':>10}{'raw tot ms':>12}{'guard tot ms':>13}  ok"
    )
    print(
        f"time to first restored character; 1 SSE event every {args.delay * 1e3:.1f} ms; "
        f"median of {args.runs} runs; token {token!r} = {len(token)} chars"
    )
    print(header)
    for r in results:
        print(
            f"{r['api']:<17}{r['answer']:<13}{r['chunk_size']:>6}{r['raw_first_ms']:>12.2f}"
            f"{r['guarded_first_ms']:>13.2f}{r['extra_first_events']:>10.2f}{r['token_events']:>10}"
            f"{r['raw_total_ms']:>12.2f}{r['guarded_total_ms']:>13.2f}  "
            f"{'yes' if r['within_one_token'] and r['restored_ok'] else 'NO'}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if all(r["within_one_token"] and r["restored_ok"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
