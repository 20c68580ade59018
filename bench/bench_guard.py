"""Guard latency and throughput on the SQLite store.

Measures, on a ~2 KB tool result holding ~10 sensitive values:

* mask + unmask (to the user) latency, p50 / p99, with detection included;
* detection alone (for reference);
* tokenize ops/s (new values: allocation + encryption + SQLite insert) and reveal ops/s;
* the token-count overhead of the placeholder form with the real cl100k_base encoding.

Run:  python bench/bench_guard.py [--iterations N]
Writes bench/results/guard.json.  Goals: p50 <= 1 ms, p99 <= 5 ms.
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
from pathlib import Path

os.environ.setdefault("GUARDLLM_KEY", base64.b64encode(os.urandom(32)).decode())

import guardllm
from guardllm import Guard
from guardllm.tokencount import count_tokens, encoding_name

ROWS = [
    ("Priya Raman", "priya.raman@quillfeather.example", "(415) 555-2671", "4539 1488 0343 6467"),
    ("Tomasz Kowalski", "t.kowalski@brightlane.example", "(212) 736-4821", None),
    ("Amara Okafor", "amara.okafor@harbor.example", None, None),
]


def tool_result(request: int = 0) -> str:
    """A realistic ~2 KB JSON-ish tool result with about 10 sensitive values.

    ``request`` varies a harmless field so that no cache in the detector can answer
    repeated calls (every iteration is a distinct text, as in real traffic)."""
    parts = [
        f'{{"status": "ok", "request": "q{request:07d}", "query": "open tickets for account 88231", '
        '"results": ['
    ]
    for i, (name, email, phone, card) in enumerate(ROWS):
        parts.append(
            f'{{"ticket": {1000 + i}, "customer": "{name}", "email": "{email}", '
            + (f'"phone": "{phone}", ' if phone else "")
            + (f'"card_on_file": "{card}", ' if card else "")
            + '"subject": "Refund request for order #A-55{i}2", "priority": "high", '
            + '"body": "Hello, I was charged twice for my last order and would like the duplicate refunded. '
            + "The package arrived damaged as well; photos attached. Please advise on next steps and "
            + 'the expected timeline. Thank you for your help.", "tags": ["billing", "refund", "damaged"]}'
        )
        parts.append(", ")
    parts[-1] = "], "
    parts.append(
        '"note": "Escalate if unresolved within 48 hours. Contact the account manager at '
        'ops.lead@northwind.example or IBAN DE89 3704 0044 0532 0130 00 for wire refunds.", '
        '"generated_at": "2026-11-28T12:00:00Z", "page": 1, "page_size": 25, '
        '"disclaimer": "Internal use only. Do not forward outside the support organisation. '
        'Data retention policy applies; see the handbook section 4.2 for details."}'
    )
    return "".join(parts)


def _accepts_cache_size() -> bool:
    import inspect

    return "cache_size" in inspect.signature(guardllm.detect.Detector).parameters


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:  # pragma: no cover - not available on every platform
        return None


def bench(iterations: int) -> dict:
    load_start = _load()
    text = tool_result()
    tmp = tempfile.mkdtemp(prefix="guardllm-bench-")
    g = Guard(store=f"sqlite:///{tmp}/bench.db")
    first = g.mask_result(text, scope="bench")
    n_values = len(first.entities)
    assert g.unmask(first.text, scope="bench") == text

    def timed(fn, n):
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t0) * 1000)
        return out

    texts = [tool_result(i + 1) for i in range(iterations + 200)]
    it = iter(texts)
    for _ in range(200):  # warm the vault caches and the detector's compiled patterns
        t = next(it)
        g.unmask(g.mask(t, scope="bench"), scope="bench")
    # distinct texts (no detection cache hits): the realistic number
    both = []
    mask_only = []
    unmask_only = []
    for t in it:
        t0 = time.perf_counter()
        m = g.mask(t, scope="bench")
        t1 = time.perf_counter()
        g.unmask(m, scope="bench")
        t2 = time.perf_counter()
        both.append((t2 - t0) * 1000)
        mask_only.append((t1 - t0) * 1000)
        unmask_only.append((t2 - t1) * 1000)
    det = guardllm.detect.Detector(cache_size=0) if _accepts_cache_size() else None
    scan_only = timed(lambda: det.scan(text) if det else guardllm.scan(text), iterations)
    # the same text again and again (detector cache hits): the best case
    repeated = timed(lambda: g.unmask(g.mask(text, scope="bench"), scope="bench"), iterations)
    masked = first.text

    # cold path: a fresh Guard (empty caches) on the same file
    g2 = Guard(store=g.store.url)
    cold = timed(lambda: g2.unmask(g2.mask(text, scope="bench"), scope="bench"), 1)

    # tokenize: new values (allocation + AES-GCM + one SQLite transaction each)
    n_tok = max(200, iterations)
    t0 = time.perf_counter()
    for i in range(n_tok):
        g.vault.tokenize("tok-bench", "EMAIL_ADDRESS", f"user{i}@tok.example")
    tokenize_ops = n_tok / (time.perf_counter() - t0)
    # reveal: per-token restore of issued tokens (one unmask call with many tokens)
    many = " ".join(f"[EMAIL_{i}]" for i in range(1, n_tok + 1))
    t0 = time.perf_counter()
    reps = 5
    for _ in range(reps):
        g.unmask(many, scope="tok-bench")
    reveal_ops = reps * n_tok / (time.perf_counter() - t0)
    g3 = Guard(store=g.store.url)  # cold: decrypt every value
    t0 = time.perf_counter()
    g3.unmask(many, scope="tok-bench")
    reveal_cold_ops = n_tok / (time.perf_counter() - t0)

    forms = {
        "[EMAIL_1]": "[EMAIL_1]",
        "[PERSON_12]": "[PERSON_12]",
        "<<EMAIL_1>>": "<<EMAIL_1>>",
        "<EMAIL_1>": "<EMAIL_1>",
        "{{EMAIL_1}}": "{{EMAIL_1}}",
        "EMAIL_1": "EMAIL_1",
        "<<PERSON:1>>": "<<PERSON:1>>",
        "[REDACTED:EMAIL_ADDRESS]": "[REDACTED:EMAIL_ADDRESS]",
    }
    forms["raw email (reference)"] = "priya.raman@quillfeather.example"
    # cost inside a sentence: tokens added by the placeholder (the space before it merges)
    token_cost = {
        k: count_tokens(f"Write to {v} today.") - count_tokens("Write to today.") for k, v in forms.items()
    }
    in_text = count_tokens(text)
    out_text = count_tokens(masked)

    result = {
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        # p99 on a shared host is mostly scheduler noise: record how busy it was
        "load_avg_1m": {"start": load_start, "end": _load()},
        "text_bytes": len(text.encode()),
        "sensitive_values": n_values,
        "iterations": iterations,
        "store": "sqlite (WAL, synchronous=NORMAL)",
        "mask_unmask_ms": {"p50": pct(both, 50), "p99": pct(both, 99), "mean": statistics.mean(both)},
        "mask_ms": {"p50": pct(mask_only, 50), "p99": pct(mask_only, 99)},
        "unmask_ms": {"p50": pct(unmask_only, 50), "p99": pct(unmask_only, 99)},
        "detection_only_ms": {"p50": pct(scan_only, 50), "p99": pct(scan_only, 99)},
        "mask_unmask_same_text_ms": {"p50": pct(repeated, 50), "p99": pct(repeated, 99)},
        "cold_first_call_ms": cold[0],
        "tokenize_ops_per_s": tokenize_ops,
        "reveal_ops_per_s_warm": reveal_ops,
        "reveal_ops_per_s_cold": reveal_cold_ops,
        "encoding": encoding_name(),
        "placeholder_tokens": token_cost,
        "text_tokens": {"raw": in_text, "masked": out_text},
        "goal": {"p50_ms": 1.0, "p99_ms": 5.0},
    }
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--iterations", type=int, default=1000)
    args = ap.parse_args()
    r = bench(args.iterations)
    mu, m, u, d = r["mask_unmask_ms"], r["mask_ms"], r["unmask_ms"], r["detection_only_ms"]
    print(
        f"guardllm Guard benchmark -- distinct ~{r['text_bytes']} byte tool results, {r['sensitive_values']} sensitive "
        f"values, {r['iterations']} iterations, {r['store']}"
    )
    print(f"{'operation':<34}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"{'mask + unmask (goal 1 / 5)':<34}{mu['p50']:>10.3f}{mu['p99']:>10.3f}")
    print(f"{'  mask (incl. detection)':<34}{m['p50']:>10.3f}{m['p99']:>10.3f}")
    print(f"{'  unmask':<34}{u['p50']:>10.3f}{u['p99']:>10.3f}")
    print(f"{'  detection alone (no cache)':<34}{d['p50']:>10.3f}{d['p99']:>10.3f}")
    rp = r["mask_unmask_same_text_ms"]
    print(f"{'same text repeated (cache hits)':<34}{rp['p50']:>10.3f}{rp['p99']:>10.3f}")
    print(f"{'first call, cold caches':<34}{r['cold_first_call_ms']:>10.3f}")
    print(f"tokenize (new value, SQLite insert): {r['tokenize_ops_per_s']:,.0f} ops/s")
    print(
        f"reveal (warm cache): {r['reveal_ops_per_s_warm']:,.0f} ops/s; cold (decrypt): "
        f"{r['reveal_ops_per_s_cold']:,.0f} ops/s"
    )
    print(f"placeholder cost in {r['encoding']} tokens (in a sentence):")
    for form, n in r["placeholder_tokens"].items():
        print(f"  {form:<28}{n:>3}")
    print(f"tool result: {r['text_tokens']['raw']} tokens raw, {r['text_tokens']['masked']} masked")
    print(
        f"host: {r['cpus']} CPUs, 1-minute load average {r['load_avg_1m']['start']} -> {r['load_avg_1m']['end']}"
    )
    out = Path(__file__).parent / "results" / "guard.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(r, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
