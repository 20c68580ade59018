"""The narrowed scan windows of ``Guard._candidates`` find exactly what a full scan finds.

``_candidates`` only runs the tolerant token pattern near ``_<digit>`` spots, and only
over the run of token characters around them.  This checks it against the plain
reference (the same pattern over the same wide windows, without the narrowing) on
generated texts mixing every tolerated token form, look-alikes and filler.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from guardllm import Guard
from guardllm.guard import _WINDOW_AFTER, _WINDOW_BEFORE, _known_labels, _token_pattern

FRAGMENTS = [
    "[EMAIL_1]",
    "[email_2]",
    "[Email_12]",
    "[EMAIL\\_3]",
    "\\[PHONE_1\\]",
    "&#91;CARD_1&#93;",
    "&#x5b;IBAN_1&#x5d;",
    "&#00091;SSN_4&#0093;",
    "&lbrack;PERSON_1&rbrack;",
    "&lsqb;URL_2&rsqb;",
    "\\u005bEMAIL_1\\u005d",
    "%5BEMAIL_1%5D",
    "%5bphone_3%5d",
    "EMAIL_1",
    "PHONE_22",
    "DRIVER_LICENSE_1",
    "DRIVER\\_LICENSE_2",
    "BANK_ACCOUNT_3",
    "[MY_CUSTOM_LABEL_7]",
    "ſsn_1",
    "[ſSN_1]",
    "\u212aEY_1",
    "_1",
    "__2",
    "x_1",
    "a[EMAIL_1]b",
    "[EMAIL_",
    "_9]",
    "[",
    "]",
    "&",
    "#",
    ";",
    "%",
    "\\",
    "_",
    " ",
    "\n",
    '"',
    ":",
    ",",
    "{",
    "}",
    "é",
    "\uff3bEMAIL_1\uff3d",
    "hello",
    "2024_01_05",
    "a" * 60,
    "0" * 50,
    "&#" + "0" * 90 + "91;EMAIL_1]",
    "[" + "AB_" * 40 + "X_1]",
]


def reference(guard: Any, text: str, start: int = 0) -> list[tuple[int, int, str, str]]:
    """The token candidates over the unnarrowed windows (the former implementation)."""
    pat = _token_pattern(frozenset(guard._vault.issued_labels) | _known_labels())
    n, windows = len(text), []
    i = text.find("_", start)
    while i != -1:
        if i + 1 < n and "0" <= text[i + 1] <= "9":
            ws, we = max(start, i - _WINDOW_BEFORE), min(n, i + _WINDOW_AFTER)
            if windows and ws <= windows[-1][1]:
                windows[-1][1] = we
            else:
                windows.append([ws, we])
        i = text.find("_", i + 1)
    return [
        (m.start(), m.end(), m.lastgroup or "", m.group(0))
        for ws, we in windows
        for m in pat.finditer(text, ws, we)
    ]


def got(guard: Any, text: str, start: int = 0) -> list[tuple[int, int, str, str]]:
    return [
        (c.start, c.end, "tok" if c.kind == "bracket" else "bare", c.surface)
        for c in guard._candidates(text, start)
    ]


_GUARD = Guard(store="memory://")
_GUARD.mask("reach me at ana@example.org or (415) 555-2671", scope="s")


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=6), max_size=40), st.integers(0, 40))
def test_same_candidates_as_the_full_window_scan(parts: list[str], start: int) -> None:
    text = "".join(parts)
    start = min(start, len(text))
    assert got(_GUARD, text, start) == reference(_GUARD, text, start)


def test_every_tolerated_form_is_still_found() -> None:
    text = " | ".join(f for f in FRAGMENTS if "EMAIL_1" in f.upper() or "PHONE" in f.upper())
    assert got(_GUARD, text) == reference(_GUARD, text)
    assert len(got(_GUARD, text)) >= 10


# Text that went through mask() is mostly canonical tokens between separators: the
# one-pass canonical scan answers it, and must give the tolerant scan's answer exactly.
CANONICAL_HEAVY = [
    "[EMAIL_1]",
    "[CREDIT_CARD_12]",
    "[PERSON_3]",
    "[EMAIL_0001]",
    "[EMAIL_1234567890]",
    "[A1_B2_3]",
    " ",
    '", "',
    "\n",
    ": ",
    "(",
    ")",
    "é",
    "x",
    "\\",
    "]",
    "_7",
    "EMAIL_1",
    "[email_1]",
]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(CANONICAL_HEAVY), max_size=30), st.integers(0, 30))
def test_canonical_fast_path_matches_the_tolerant_scan(parts: list[str], start: int) -> None:
    text = "".join(parts)
    start = min(start, len(text))
    assert got(_GUARD, text, start) == reference(_GUARD, text, start)


def test_masked_text_takes_the_canonical_path_and_odd_forms_do_not() -> None:
    from guardllm.guard import _canonical_candidates

    masked = _GUARD.mask('{"a": "ana@example.org", "b": "call (415) 555-2671"}', scope="s")
    fast = _canonical_candidates(masked, 0)
    assert fast is not None and [c.canon for c in fast] == ["[EMAIL_1]", "[PHONE_1]"]
    for odd in ("x [email_1]", "EMAIL_1 only", "\\[EMAIL_1]", "[EMAIL_1]x", "[EMAIL_1] a_1"):
        assert _canonical_candidates(odd, 0) is None, odd
    assert _canonical_candidates("no tokens here", 0) == []
