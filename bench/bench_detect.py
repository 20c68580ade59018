#!/usr/bin/env python3
"""Detection benchmark: guardllm vs Presidio (regex recognizers) vs LangChain PIIMiddleware.

Scores all three in one run on the labelled development corpus with the shared
scorer (``score.py``, imported from its path so the scoring logic is the same one
everybody uses), then times guardllm on a 10 MB realistic input and on 1 MB
adversarial inputs.  Results go to ``bench/results/detect.json``.

    python bench/bench_detect.py [--quick] [--corpus PATH] [--score-py PATH] [--systems ...]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_EVAL = ROOT.parent / "shared" / "eval"
MB = 1 << 20


def load_scorer(path: Path):
    spec = importlib.util.spec_from_file_location("guardllm_eval_score", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import scorer from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def realistic_input(texts: list[str], size: int) -> str:
    """Corpus texts repeated (with a varying record number so lines differ) up to ``size`` chars."""
    parts, n, i = [], 0, 0
    while n < size:
        t = f"--- record {i} ---\n{texts[i % len(texts)]}\n"
        parts.append(t)
        n += len(t)
        i += 1
    return "".join(parts)[:size]


def adversarial_inputs(size: int) -> dict[str, str]:
    import base64
    import random

    rnd = random.Random(7)
    b64 = base64.b64encode(bytes(rnd.getrandbits(8) for _ in range(size * 3 // 4 + 3))).decode()
    return {
        "digits": ("1234567890" * (size // 10 + 1))[:size],
        "at_dot": ("@." * (size // 2 + 1))[:size],
        "base64_no_newline": b64[:size],
        "a-a-a": ("a-" * (size // 2 + 1))[:size],
        "dashes": "-" * size,
        "spaces": " " * size,
        "A_run": "A" * size,
        "1.1.1.1.": ("1." * (size // 2 + 1))[:size],
        "email_like": ("a@b." * (size // 4 + 1))[:size],
        "BEGIN_no_END": ("-----BEGIN PRIVATE KEY-----\n" + "QUJD" * size)[:size],
        # Shapes that once drove a windowed or every-position regex search:
        "colons": ":" * size,
        "hex_colon": ("ab:" * (size // 3 + 1))[:size],
        "long_local_at": (("a" * 64 + "@b.") * (size // 67 + 1))[:size],
        "title_run": ("Mr " * (size // 3 + 1))[:size],
        "name_is_run": ("my name is " * (size // 11 + 1))[:size],
        "digit_space": ("1 " * (size // 2 + 1))[:size],
        "csv_rows": ("name,email\n" + "a,b\n" * (size // 4))[:size],
    }


def timed(fn, *args) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def cpu_timed(fn, *args) -> tuple[float, float, object]:
    """Wall and CPU seconds: on a shared machine the CPU time of this process stays steady."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args)
    return time.perf_counter() - t0, time.process_time() - c0, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="subset of the corpus, 2 MB large input")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_EVAL / "dev.jsonl")
    ap.add_argument("--score-py", type=Path, default=DEFAULT_EVAL / "score.py")
    ap.add_argument("--systems", nargs="+", default=["guardllm", "presidio", "lc_pii"])
    ap.add_argument("--out", type=Path, default=HERE / "results" / "detect.json")
    args = ap.parse_args(argv)

    import guardllm
    from guardllm.detect.stream import scan_stream

    scorer = load_scorer(args.score_py)
    recs = [json.loads(line) for line in args.corpus.open(encoding="utf-8")]
    if args.quick:
        import random

        # A seeded sample, not a stride: the corpus cycles through its genres.
        recs = random.Random(0).sample(recs, min(250, len(recs)))
    print(f"corpus: {args.corpus} ({len(recs)} records, {sum(len(r['text']) for r in recs)} chars)")

    results: dict[str, object] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "quick": args.quick,
        "records": len(recs),
        "systems": {},
    }
    systems: dict[str, dict] = {}
    for name in args.systems:
        try:
            fn = scorer.system(name)
        except ImportError as exc:
            print(f"{name:10s} skipped: {exc} (pip install -e '.[bench]')")
            continue
        res = scorer.score(recs, fn)
        res.pop("fp_examples", None)
        res.pop("miss_examples", None)
        systems[name] = res
    results["systems"] = systems

    print(f"\n{'system':10s} {'recall':>7s} {'prec':>7s} {'f1':>7s} {'fp':>5s} {'chars/s':>12s}  by group")
    for name, res in systems.items():
        groups = " ".join(f"{g}={v:.3f}" for g, v in res["by_group"].items())
        print(
            f"{name:10s} {res['recall']:7.3f} {res['precision']:7.3f} {res['f1']:7.3f} "
            f"{res['false_positives']:5d} {res['chars_per_s']:12,.0f}  {groups}"
        )
    if "guardllm" in systems:
        g = systems["guardllm"]["chars_per_s"]
        ratios = {f"guardllm/{n}": g / r["chars_per_s"] for n, r in systems.items() if n != "guardllm"}
        results["speed_ratios"] = ratios
        for k, v in ratios.items():
            print(f"speed {k}: {v:,.1f}x")

    # Where guardllm's time goes, warm and with the result cache off (every text scanned for real):
    # the whole engine, the engine without the secret finder, and the secret finder alone.  CPU
    # time of this process, best of 3, so other work on the machine does not skew the split.
    from guardllm.detect.engine import Detector, _get_secret_finder

    texts = [r["text"] for r in recs]
    chars = sum(len(t) for t in texts)

    def best_of(fn, reps: int = 3) -> float:
        best = float("inf")
        for _ in range(reps):
            t0 = time.process_time()
            for t in texts:
                fn(t)
            best = min(best, time.process_time() - t0)
        return best

    full_det = Detector(cache_size=0)
    pii_det = Detector(cache_size=0, secrets=False)
    finder = _get_secret_finder()
    t_full = best_of(full_det.scan)
    t_pii = best_of(pii_det.scan)
    t_sec = best_of(finder) if finder is not None else 0.0
    n = len(texts)
    breakdown = {
        "full_us_per_text": t_full / n * 1e6,
        "full_mb_per_s": chars / MB / t_full,
        "non_secret_us_per_text": t_pii / n * 1e6,
        "non_secret_mb_per_s": chars / MB / t_pii,
        "secret_finder_us_per_text": t_sec / n * 1e6,
        "secret_finder_mb_per_s": chars / MB / t_sec if t_sec else 0.0,
    }
    results["breakdown_warm"] = breakdown
    print(
        f"\nwarm, cache off, CPU time: full {breakdown['full_us_per_text']:.1f} us/text ({breakdown['full_mb_per_s']:.2f} MB/s), "
        f"without secrets {breakdown['non_secret_us_per_text']:.1f} us ({breakdown['non_secret_mb_per_s']:.2f} MB/s), "
        f"secret finder alone {breakdown['secret_finder_us_per_text']:.1f} us"
    )

    # Large realistic input: one call, and the chunked path the CLI uses.
    size = 2 * MB if args.quick else 10 * MB
    big = realistic_input([r["text"] for r in recs], size)
    t_whole, cpu_whole, found = cpu_timed(guardllm.scan, big)
    chunks = (big[i : i + MB] for i in range(0, len(big), MB))
    t_stream, streamed = timed(lambda: list(scan_stream(chunks)))
    _, t_pii_big, _ = cpu_timed(pii_det.scan, big)
    small_mbs = systems.get("guardllm", {}).get("chars_per_s", 0) / MB
    large = {
        "chars": len(big),
        "scan_seconds": t_whole,
        "scan_mb_per_s": len(big) / MB / t_whole,
        "stream_seconds": t_stream,
        "stream_mb_per_s": len(big) / MB / t_stream,
        "findings_scan": len(found),  # type: ignore[arg-type]
        "findings_stream": len(streamed),  # type: ignore[arg-type]
        "small_text_mb_per_s": small_mbs,
        "scan_cpu_mb_per_s": len(big) / MB / cpu_whole,
        "small_text_cpu_mb_per_s": breakdown["full_mb_per_s"],
        "non_secret_scan_mb_per_s": len(big) / MB / t_pii_big,
        "small_text_non_secret_mb_per_s": breakdown["non_secret_mb_per_s"],
    }
    results["large"] = large
    print(
        f"\nlarge {len(big) / MB:.0f} MB: scan {large['scan_mb_per_s']:.2f} MB/s, "
        f"scan_file/stream {large['stream_mb_per_s']:.2f} MB/s, small texts {small_mbs:.2f} MB/s "
        f"({large['findings_scan']} / {large['findings_stream']} findings); CPU time: "
        f"{large['scan_cpu_mb_per_s']:.2f} MB/s vs {breakdown['full_mb_per_s']:.2f} on small texts, without secrets "
        f"{large['non_secret_scan_mb_per_s']:.2f} MB/s vs {breakdown['non_secret_mb_per_s']:.2f} on small texts"
    )

    adv: dict[str, dict[str, float]] = {}
    print("\nadversarial 1 MB inputs (seconds, findings):")
    for name, text in adversarial_inputs(MB).items():
        secs, out = timed(guardllm.scan, text)
        adv[name] = {"seconds": secs, "findings": len(out)}  # type: ignore[arg-type]
        print(f"  {name:18s} {secs:7.3f}s  {len(out):6d}")  # type: ignore[arg-type]
    results["adversarial_1mb"] = adv

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
