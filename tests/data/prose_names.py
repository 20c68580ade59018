"""Turn prose_names.txt ([[Name]] markup, one sentence a line) into labelled records.

``python tests/data/prose_names.py > tests/data/prose_names.jsonl`` writes the three files in the format of
/work/shared/eval (``{"id", "genre", "text", "spans"}``) so the shared scorer can read it too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

_MARK = re.compile(r"\[\[(.+?)\]\]")
HERE = Path(__file__).parent


def load(name: str = "prose_names.txt") -> list[dict]:
    """Every sentence of prose_names.txt with its PERSON spans."""
    recs = []
    for i, line in enumerate((HERE / name).read_text(encoding="utf-8").splitlines()):
        if not line.strip() or line.startswith("#"):
            continue
        genre, raw = line.split("\t", 1)
        raw = raw.replace("\\n", "\n")
        text, spans, pos = "", [], 0
        for m in _MARK.finditer(raw):
            text += raw[pos : m.start()]
            start = len(text)
            text += m.group(1)
            spans.append({"start": start, "end": len(text), "type": "PERSON", "value": m.group(1)})
            pos = m.end()
        text += raw[pos:]
        recs.append({"id": f"prose-{i}", "genre": genre, "text": text, "spans": spans})
    return recs


def score(recs: list[dict], scan) -> dict:
    """The shared scorer's rule on PERSON findings: a name counts only when every letter is covered,
    and a reported span touching no labelled name is a false positive."""
    total = ok = pred = fp = 0
    misses, fps = [], []
    for r in recs:
        text = r["text"]
        found = [(f.start, f.end) for f in scan(text) if f.entity_type == "PERSON"]
        cov = bytearray(len(text))
        for a, b in found:
            cov[a:b] = b"\x01" * (b - a)
        for s in r["spans"]:
            total += 1
            if all(cov[i] or not text[i].isalnum() for i in range(s["start"], s["end"])):
                ok += 1
            else:
                misses.append(text)
        for a, b in found:
            pred += 1
            if not any(a < s["end"] and s["start"] < b for s in r["spans"]):
                fp += 1
                fps.append(text[a:b])
    return {
        "recall": ok / total if total else 1.0,
        "precision": (pred - fp) / pred if pred else 1.0,
        "names": total,
        "found": ok,
        "predicted": pred,
        "false_positives": fp,
        "misses": misses,
        "fp_values": fps,
    }


if __name__ == "__main__":
    for name in (
        "prose_names.txt",
        "prose_names_holdout.txt",
        "prose_names_holdout2.txt",
        "prose_names_holdout3.txt",
    ):
        for rec in load(name):
            rec["id"] = f"{name.split('.')[0]}-{rec['id'].split('-')[-1]}"
            print(json.dumps(rec, ensure_ascii=False))
