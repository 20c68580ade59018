"""Values inside URL-encoded text: query strings, form posts, redirect URLs in logs.

``GET /signup?email=ana.lima%40example.org&phone=%2B1%20415%20555%202671`` holds an email and a
phone that no recognizer sees in their encoded form.  Each run of URL text that holds ``%XX``
escapes (or ``+`` spaces in a ``key=value&...`` query) is decoded into a view where ``&`` and ``?``
start new lines (so ``key=value`` pairs read like ``.env`` lines and key names stay evidence), the
engine's recognizers run on that view, and every candidate is mapped back to the span of the
*encoded* text that produced it: masking ``ana.lima%40example.org`` hides the value as it was sent.

Cost: a text without ``%`` (or without both ``&`` and ``+``) pays two ``in`` tests.  A run is
decoded once, so the work is linear in the length of the URL text it holds.
"""

from __future__ import annotations

import codecs
import re
from bisect import bisect_right
from collections.abc import Callable

__all__ = ["find_encoded"]

Cand = tuple[str, int, int, float, str]

_PCT = re.compile(r"%[0-9A-Fa-f]{2}")
# A query value holding a "+" as a space: "address_street=9232+Quarry+Hill+Rd&...".
_PLUS_VALUE = re.compile(r"[?&][A-Za-z_][\w.\[\]-]{0,40}=[^\s&\"'<>=]*\+")
# URL text runs to the next blank, quote or angle bracket (log fields, HTML attributes, JSON strings).
_STOP = frozenset(" \t\r\n\"'<>`")
_MAX_RUN = 64 * 1024
# Characters of an email local part: "rose+news%40hey.com" keeps its "+" (nginx logs it unencoded).
_LOCAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-")


def _run_bounds(text: str, i: int) -> tuple[int, int]:
    n = len(text)
    a = i
    lo = max(0, i - _MAX_RUN)
    while a > lo and text[a - 1] not in _STOP:
        a -= 1
    b = i
    hi = min(n, i + _MAX_RUN)
    while b < hi and text[b] not in _STOP:
        b += 1
    return a, b


def _decode(text: str, a: int, b: int) -> tuple[str, list[int], list[int]]:
    """Decoded view of ``text[a:b]`` and, per decoded character, its start and end in ``text``."""
    query = "=" in text[a:b]
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    dec = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = -1  # where the escapes of a multi-byte character began
    i = a
    while i < b:
        c = text[i]
        if c == "%" and i + 2 < b + 1 and _PCT.match(text, i):
            if pending < 0:
                pending = i
            out = dec.decode(bytes((int(text[i + 1 : i + 3], 16),)))
            i += 3
            for ch in out:
                # A control character or a separator decoded from an escape still ends a value.
                chars.append("\n" if ch in "\r\n" else ch)
                starts.append(pending)
                ends.append(i)
            if out:
                pending = -1
            continue
        if pending >= 0:  # an incomplete UTF-8 sequence: drop it
            dec.reset()
            pending = -1
        if c in "&?" or (c == ";" and query):
            chars.append("\n")
        elif c == "+" and query:
            chars.append(" ")
        else:
            chars.append(c)
        starts.append(i)
        i += 1
        ends.append(i)
    return "".join(chars), starts, ends


def find_encoded(text: str, out: list[Cand], scan: Callable[[str], list[Cand]]) -> None:
    """Append the candidates ``scan`` finds in the decoded views of URL-encoded runs of ``text``."""
    seeds: list[int] = []
    if "%" in text:
        seeds.extend(m.start() for m in _PCT.finditer(text))
    if "&" in text and "+" in text:
        seeds.extend(m.start() for m in _PLUS_VALUE.finditer(text))
    if not seeds:
        return
    seeds.sort()
    # Every run is decoded into one view (runs apart by a blank line), scanned once: a text with
    # thousands of short escaped runs pays one recognizer pass, not one per run.
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    run_of: list[int] = []  # view offset where each run starts, to refuse a span that crosses runs
    run_lo: list[int] = []  # text offset where each run starts
    covered = -1
    for i in seeds:
        if i < covered:
            continue
        a, b = _run_bounds(text, max(i, covered))
        a = max(a, covered)
        covered = b
        view, vs, ve = _decode(text, a, b)
        run_of.append(len(starts))
        run_lo.append(a)
        parts.append(view)
        starts.extend(vs)
        ends.extend(ve)
        parts.append("\n\n")
        starts.extend((b, b))
        ends.extend((b, b))
    joined = "".join(parts)
    for etype, s, e, score, rec in scan(joined):
        if e <= s or e > len(starts):
            continue
        r = bisect_right(run_of, s) - 1
        if r + 1 < len(run_of) and e > run_of[r + 1]:
            continue
        a = run_lo[r]
        os_, oe = starts[s], ends[e - 1]
        if oe <= os_:
            continue
        if etype == "EMAIL_ADDRESS" and os_ > a and text[os_ - 1] == "+":
            # "rose+news%40hey.com": the local part runs on to the left over a "+" read as a space.
            os_ -= 1
            while os_ > a and text[os_ - 1] in _LOCAL:
                os_ -= 1
        out.append((etype, os_, oe, score, rec))
