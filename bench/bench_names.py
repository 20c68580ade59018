"""CPU cost of person-name detection on prose and on adversarial inputs (process time, best of N).

usage: PYTHONPATH=src python bench/bench_names.py [--rounds 3]
Run it against two checkouts (PYTHONPATH=...) to compare; wall time on a shared host is mostly noise.
"""

from __future__ import annotations

import argparse
import random
import time
from importlib.resources import files

from guardllm.detect.engine import Detector


def cases() -> dict[str, str]:
    random.seed(0)
    words = ["Alpha", "Beta", "Send", "Refund", "Hi", "Dana", "Tom", "Whitfield", "Team", "Support", "Priya"]
    given = files("guardllm.data").joinpath("given_names.txt").read_text(encoding="utf-8").split()
    return {
        "hi-tom (60k names)": "Hi Tom, " * 60000,
        "mentions (80k)": "@Abc @Dana x " * 40000,
        "title-case words": " ".join(random.choice(words) for _ in range(150000)),
        "prose with names": "Please email Dana Whitfield about it. Send Priya Raghunathan the report. "
        * 8000,
        "greeting words only": "thanks thanks thanks " * 40000,
        "every given name": " ".join(w.title() + " is" for w in given if w.isalpha()) * 10,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    det = Detector(cache_size=0)
    det.scan("warm up")
    for name, text in cases().items():
        best = float("inf")
        for _ in range(args.rounds):
            t0 = time.process_time()
            det.scan(text)
            best = min(best, time.process_time() - t0)
        print(f"{name:24s} {len(text) / 1e6:5.2f} MB  {best * 1e3:7.0f} ms CPU")


if __name__ == "__main__":
    main()
