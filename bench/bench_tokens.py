#!/usr/bin/env python3
"""Token cost of guardllm's placeholders versus the raw values they replace (cl100k).

For every labelled value in the development corpus, counts the cl100k tokens of
the raw value and of its ``[LABEL_N]`` placeholder, both alone and in context
(the whole text before and after replacement, so tokenizer merges at the edges
count).  Secrets are masked as ``[REDACTED:TYPE]``, measured too.

    python bench/bench_tokens.py [--corpus PATH] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from statistics import mean

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "eval" / "dev.jsonl"
#: The corpus's own type names where guardllm uses Presidio's.
CORPUS_TYPES = {"STREET_ADDRESS": "LOCATION", "DATE_OF_BIRTH": "DATE_TIME"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--limit", type=int, default=0, help="only the first N records")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "tokens.json")
    args = ap.parse_args(argv)

    from guardllm.detect.types import is_secret, label_for
    from guardllm.tokencount import count_tokens

    recs = [json.loads(line) for line in args.corpus.open(encoding="utf-8")]
    if args.limit:
        recs = recs[: args.limit]
    stats: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for r in recs:
        text = r["text"]
        base = count_tokens(text)
        counters: dict[str, int] = defaultdict(int)
        for s in sorted(r["spans"], key=lambda s: s["start"]):
            etype = CORPUS_TYPES.get(s["type"], s["type"])
            label = label_for(etype)
            counters[label] += 1
            token = f"[{label}_{counters[label]}]"
            raw = text[s["start"] : s["end"]]
            replaced = text[: s["start"]] + token + text[s["end"] :]
            st = stats[etype]
            st["raw"].append(count_tokens(raw))
            st["token"].append(count_tokens(token))
            st["ctx_delta"].append(count_tokens(replaced) - base)
            if is_secret(etype):
                st["redacted"].append(count_tokens(f"[REDACTED:{etype}]"))

    rows = {}
    print(f"{'type':24s} {'n':>5s} {'raw':>6s} {'[TOKEN]':>8s} {'ctx delta':>10s} {'redacted':>9s}  example")
    for etype in sorted(stats):
        st = stats[etype]
        label = label_for(etype)
        row = {
            "n": len(st["raw"]),
            "raw_tokens": mean(st["raw"]),
            "placeholder_tokens": mean(st["token"]),
            "in_context_delta": mean(st["ctx_delta"]),
        }
        if st["redacted"]:
            row["redacted_tokens"] = mean(st["redacted"])
        rows[etype] = row
        red = f"{row['redacted_tokens']:9.1f}" if "redacted_tokens" in row else f"{'-':>9s}"
        print(
            f"{etype:24s} {row['n']:5d} {row['raw_tokens']:6.1f} {row['placeholder_tokens']:8.1f} "
            f"{row['in_context_delta']:+10.2f} {red}  [{label}_1]"
        )
    n = sum(r["n"] for r in rows.values())
    overall = sum(r["in_context_delta"] * r["n"] for r in rows.values()) / n if n else 0.0
    print(f"\n{n} values; mean change in prompt tokens per value replaced: {overall:+.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"types": rows, "mean_in_context_delta": overall}, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
