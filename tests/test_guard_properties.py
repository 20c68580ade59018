"""Property tests: round trip for allowed recipients, nothing raw for others, no raw
detected value in masked text."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import guardllm
from guardllm import Guard
from guardllm.tokens.surrogates import luhn_check_digit

GUARD = Guard(store="memory://")
SURROGATE_GUARD = Guard(store="memory://", policy={"default_action": "surrogate"})

lower = st.text(string.ascii_lowercase, min_size=3, max_size=9)
emails = st.builds(
    lambda a, b, d, t: f"{a}.{b}@{d}.{t}", lower, lower, lower, st.sampled_from(["com", "org", "io"])
)
phones = st.builds(
    lambda a, b, c: f"({a}) {b}-{c:04d}", st.integers(201, 989), st.integers(201, 989), st.integers(0, 9999)
)


def _card(digits: str) -> str:
    body = "4" + digits
    full = body + luhn_check_digit(body)
    return " ".join(full[i : i + 4] for i in range(0, 16, 4))


cards = st.builds(_card, st.text("0123456789", min_size=14, max_size=14))
filler = st.lists(
    st.sampled_from(
        [
            "the",
            "order",
            "was",
            "shipped",
            "please",
            "check",
            "refund",
            "status",
            "thanks",
            "today",
            "and",
            "with",
            "note:",
            "-",
            "(ok)",
            "#42",
            "\n",
        ]
    ),
    min_size=0,
    max_size=6,
).map(" ".join)
names = st.builds(
    lambda a, b: f"{a.title()} {b.title()}",
    st.sampled_from(["oksana", "tiago", "wanjiru", "bjorn", "aiyana", "kenji", "siobhan", "dmitri"]),
    lower,
)
ibans = st.sampled_from(["DE89370400440532013000", "GB82WEST12345698765432", "FR1420041010050500013M02606"])
piece = st.one_of(
    names.map(lambda n: ("v", f"Dear {n},", n)),
    ibans.map(lambda i: ("v", f"IBAN {i}", i)),
    emails.map(lambda e: ("v", f"mail {e}", e)),
    phones.map(lambda p: ("v", f"call {p}", p)),
    cards.map(lambda c: ("v", f"card {c}", c)),
    filler.map(lambda f: ("f", f, None)),
)
documents = st.lists(piece, min_size=1, max_size=8).map(
    lambda parts: (" ".join(p[1] for p in parts), [p[2] for p in parts if p[2]])
)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _distinct(values: list[str]) -> bool:
    # one value must not be a case variant of another (they share a token by normalisation)
    low = [v.lower() for v in values]
    return len(set(low)) == len(set(values))


@SETTINGS
@given(documents, st.sampled_from(["s1", "s2", "tenant/x"]))
def test_allowed_recipient_gets_original_back(doc, scope):
    text, values = doc
    if not _distinct(values):
        return
    for g in (GUARD, SURROGATE_GUARD):
        assert g.unmask(g.mask(text, scope=scope), scope=scope, to="user") == text


@SETTINGS
@given(documents)
def test_masked_text_never_contains_a_detected_value(doc):
    text, _values = doc
    masked = GUARD.mask(text, scope="p")
    for f in guardllm.scan(text):
        assert f.text not in masked


@SETTINGS
@given(documents, st.sampled_from(["tool:crm", "model", "role:analyst", "principal:mallory"]))
def test_recipient_without_right_never_sees_raw(doc, to):
    text, values = doc
    masked = GUARD.mask(text, scope="q")
    detected = {f.text for f in guardllm.scan(text)}
    out = GUARD.unmask(masked + " [EMAIL_1] PHONE_2", scope="q", to=to)
    for v in values:
        if v in detected:
            assert v not in out
    # and from another scope nothing at all comes back
    other = GUARD.unmask(masked, scope="other-scope", to="user")
    assert other == masked


@SETTINGS
@given(documents, st.lists(st.integers(1, 12), min_size=1, max_size=40), st.booleans())
def test_stream_restore_equals_whole_restore_for_any_chunking(doc, sizes, surrogate):
    text, values = doc
    if not _distinct(values):
        return
    g = SURROGATE_GUARD if surrogate else GUARD
    masked = g.mask(text, scope="stream") + " then [EMAIL_1] and EMAIL_2 \\[EMAIL\\_1\\]"
    expected = g.unmask(masked, scope="stream")
    r = g.stream_restorer(scope="stream")
    out, pos, k = [], 0, 0
    while pos < len(masked):
        step = sizes[k % len(sizes)]
        out.append(r.feed(masked[pos : pos + step]))
        pos, k = pos + step, k + 1
    out.append(r.flush())
    assert "".join(out) == expected
