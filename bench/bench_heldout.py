#!/usr/bin/env python3
"""Held-out detection benchmark: guardllm vs Presidio vs LangChain PII on ``bench/heldout``.

The corpus (``bench/heldout/heldout.jsonl``, written by ``bench/heldout/make_corpus.py``)
uses genres and phrasings that the development corpus does not, so these numbers show
how detection carries over to text it was not tuned on.  Headline numbers come from the
shared scorer (``../shared/eval/score.py``, imported from its path like
``bench_detect.py`` does), all systems in one run.  On top of that, for guardllm only, it
breaks recall down per genre and per labelled context (each span's ``pattern`` field)
and groups false positives by genre and by the finding's entity type, because that list
is what the next detection fixes work from.  Results go to ``bench/results/heldout.json``.

    python bench/bench_heldout.py [--corpus PATH] [--score-py PATH] [--systems ...]
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_EVAL = ROOT.parent / "shared" / "eval"


def load_scorer(path: Path):
    spec = importlib.util.spec_from_file_location("guardllm_eval_score", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import scorer from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def covered(text: str, pred: list[tuple[int, int]], start: int, end: int) -> bool:
    """score.py's strict rule: every letter/digit of the value lies inside some reported span."""
    cov = bytearray(len(text))
    for a, b in pred:
        for i in range(max(a, 0), min(b, len(text))):
            cov[i] = 1
    return all(cov[i] or not text[i].isalnum() for i in range(start, end))


def shape(s: str) -> str:
    """A coarse shape of a false-positive string so similar ones group together."""
    out = []
    for ch in s:
        c = "A" if ch.isupper() else "a" if ch.isalpha() else "9" if ch.isdigit() else ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)[:24]


def person_facets(value: str, dictionary: set[str]) -> list[str]:
    """Facets of a labelled name: case as typed, token count, dictionary or invented."""
    case = "lower" if value.islower() else "upper" if value.isupper() else "title"
    toks = value.split()
    known = all(t.capitalize() in dictionary or t in dictionary for t in toks)
    return [
        f"case={case}",
        f"tokens={'1' if len(toks) == 1 else '2+'}",
        f"source={'dictionary' if known else 'invented'}",
    ]


def guardllm_detail(recs: list[dict], scorer) -> dict:
    """Per-genre and per-context recall, misses and false positives for guardllm."""
    import guardllm

    gen = load_scorer(HERE / "heldout" / "make_corpus.py")  # for its name lists
    dictionary = {w for name in gen.FIRST + gen.LAST for w in name.split()}
    per_facet: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])

    per_genre: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    per_pattern: dict[tuple[str, str], list[int]] = collections.defaultdict(lambda: [0, 0])
    per_type: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    misses: list[dict] = []
    fps: list[dict] = []
    fp_by: collections.Counter = collections.Counter()
    pred_by_genre: collections.Counter = collections.Counter()
    for r in recs:
        text = r["text"]
        findings = guardllm.scan(text)
        pred = [(f.start, f.end) for f in findings]
        pred_by_genre[r["genre"]] += len(pred)
        for s in r["spans"]:
            ok = covered(text, pred, s["start"], s["end"])
            key = (s["type"], s.get("pattern", "?"))
            buckets = [per_genre[r["genre"]], per_pattern[key], per_type[s["type"]]]
            if s["type"] == "PERSON":
                buckets += [per_facet[f] for f in person_facets(s["value"], dictionary)]
            for bucket in buckets:
                bucket[0] += ok
                bucket[1] += 1
            if not ok:
                part = [text[a:b] for a, b in pred if a < s["end"] and s["start"] < b]
                misses.append(
                    {
                        "id": r["id"],
                        "genre": r["genre"],
                        "type": s["type"],
                        "pattern": s.get("pattern"),
                        "value": s["value"][:80],
                        "partial": part[:3],
                    }
                )
        for f in findings:
            if not any(f.start < s["end"] and s["start"] < f.end for s in r["spans"]):
                frag = text[f.start : f.end]
                fp_by[(r["genre"], f.entity_type, f.recognizer)] += 1
                fps.append(
                    {
                        "id": r["id"],
                        "genre": r["genre"],
                        "type": f.entity_type,
                        "recognizer": f.recognizer,
                        "text": frag[:80],
                        "shape": shape(frag),
                    }
                )

    def rate(d):
        return {
            (k if isinstance(k, str) else " / ".join(k)): {"hit": v[0], "n": v[1], "recall": v[0] / v[1]}
            for k, v in sorted(d.items())
        }

    return {
        "recall_by_genre": rate(per_genre),
        "recall_by_type": rate(per_type),
        "recall_by_pattern": rate(per_pattern),
        "person_recall_by_facet": rate(per_facet),
        "misses_total": len(misses),
        "misses_first_40": misses[:40],
        # Up to three per context: enough to see the shape without a 300 KB results file.
        "misses_sample_by_pattern": _sample(misses, 3),
        "false_positives_total": len(fps),
        "false_positives_by_genre_type_recognizer": {" / ".join(k): v for k, v in fp_by.most_common()},
        "false_positives": fps,
        "predicted_by_genre": dict(pred_by_genre),
    }


def _sample(misses: list[dict], k: int) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = collections.defaultdict(list)
    for m in misses:
        key = f"{m['type']} / {m['pattern']}"
        if len(out[key]) < k:
            out[key].append(m)
    return dict(sorted(out.items()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=HERE / "heldout" / "heldout.jsonl")
    ap.add_argument("--score-py", type=Path, default=DEFAULT_EVAL / "score.py")
    ap.add_argument("--systems", nargs="+", default=["guardllm", "presidio", "lc_pii"])
    ap.add_argument("--out", type=Path, default=HERE / "results" / "heldout.json")
    args = ap.parse_args(argv)

    scorer = load_scorer(args.score_py)
    recs = [json.loads(line) for line in args.corpus.open(encoding="utf-8")]
    nchars = sum(len(r["text"]) for r in recs)
    nspans = sum(len(r["spans"]) for r in recs)
    print(f"corpus: {args.corpus} ({len(recs)} records, {nspans} spans, {nchars} chars)")

    systems: dict[str, dict] = {}
    for name in args.systems:
        try:
            fn = scorer.system(name)
        except ImportError as exc:
            print(f"{name:10s} skipped: {exc} (pip install -e '.[bench]')")
            continue
        res = scorer.score(recs, fn)
        res["mb_per_s"] = res["chars_per_s"] / 1e6  # score.py's own MB/s (10^6 chars)
        systems[name] = res

    print(f"\n{'system':10s} {'recall':>7s} {'prec':>7s} {'f1':>7s} {'fp':>5s} {'MB/s':>8s}  by group")
    for name, res in systems.items():
        groups = " ".join(f"{g}={v:.3f}" for g, v in res["by_group"].items())
        print(
            f"{name:10s} {res['recall']:7.3f} {res['precision']:7.3f} {res['f1']:7.3f} "
            f"{res['false_positives']:5d} {res['mb_per_s']:8.3f}  {groups}"
        )

    results: dict[str, object] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "corpus": str(args.corpus.relative_to(ROOT) if args.corpus.is_relative_to(ROOT) else args.corpus),
        "records": len(recs),
        "spans": nspans,
        "chars": nchars,
        "systems": systems,
    }
    if "guardllm" in systems:
        detail = guardllm_detail(recs, scorer)
        results["guardllm_detail"] = detail
        print("\nguardllm recall by genre:")
        for g, v in detail["recall_by_genre"].items():
            print(f"  {g:20s} {v['hit']:4d}/{v['n']:<4d} {v['recall']:.3f}")
        print("\nguardllm PERSON recall by facet:")
        for g, v in detail["person_recall_by_facet"].items():
            print(f"  {g:20s} {v['hit']:4d}/{v['n']:<4d} {v['recall']:.3f}")
        print("\nguardllm contexts below 90% recall (type / pattern):")
        for k, v in sorted(detail["recall_by_pattern"].items(), key=lambda kv: kv[1]["recall"]):
            if v["recall"] < 0.9:
                print(f"  {k:55s} {v['hit']:3d}/{v['n']:<3d}")
        print(f"\nguardllm false positives ({detail['false_positives_total']}) by genre / type / recognizer:")
        for k, v in detail["false_positives_by_genre_type_recognizer"].items():
            print(f"  {v:4d}  {k}")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
