"""Realistic surrogates: valid formats, reserved ranges, consistent and reversible per scope."""

from __future__ import annotations

import re

import pytest

from guardllm import Guard
from guardllm.tokens import surrogates as sg

POLICY = {"default_action": "surrogate"}
EMAIL = "olivia.martin@brightlane.example.org"
PHONE = "+1 415-555-2671"
CARD = "4539 1488 0343 6467"
IBAN = "DE89370400440532013000"
NAME = "Olivia Martin"
TEXT = f"Customer {NAME} ({EMAIL}, phone {PHONE}) paid with card {CARD} from IBAN {IBAN}."


@pytest.fixture
def sguard():
    return Guard(policy=POLICY)


@pytest.mark.parametrize("n", [1, 2, 9, 10, 99, 100, 101, 2500, 123456])
def test_generators_valid_and_reserved(n):
    assert sg.luhn_valid(sg.card(n)) and sg.card(n).replace(" ", "").startswith("400000")
    assert sg.iban_valid(sg.iban(n)) and "ZZZZ" in sg.iban(n)
    assert re.fullmatch(r"[a-z]+\.[a-z]+\d+@example\.(com|net|org)", sg.email(n))
    assert re.fullmatch(r"\([2-9]\d\d\) 555-01\d\d( ext\. \d+)?", sg.phone(n))
    assert sg.address(n).endswith(("Anytown", "Exampleton"))
    for gen in sg.GENERATORS.values():
        m = sg.SURROGATE_RE.fullmatch(gen(n))
        assert m and sg.canonical_surrogate(m) == gen(n)


def test_generators_distinct():
    for gen in sg.GENERATORS.values():
        values = [gen(n) for n in range(1, 3000)]
        assert len(set(values)) == len(values)


def test_known_bad_checksums_rejected():
    assert not sg.luhn_valid("4000 0000 0000 0011")
    assert not sg.iban_valid("GB00ZZZZ00000000000001")


def test_surrogate_roundtrip(sguard):
    res = sguard.mask_result(TEXT, scope="s")
    for raw in (EMAIL, PHONE, CARD, IBAN, NAME):
        assert raw not in res.text
    assert "[" not in res.text  # realistic, no placeholders
    assert {r.action for r in res.entities} == {"surrogate"}
    card = re.search(r"4000 00\d\d \d{4} \d{4}", res.text).group(0)
    assert sg.luhn_valid(card)
    assert "@example." in res.text and "555-01" in res.text
    assert sguard.unmask(res.text, scope="s") == TEXT


def test_surrogates_consistent_and_idempotent(sguard):
    a = sguard.mask(f"write to {EMAIL}", scope="s")
    b = sguard.mask(f"mail {EMAIL} today", scope="s")
    fake = a.split()[-1]
    assert fake in b
    assert sguard.mask(a, scope="s") == a  # masking output again leaves the surrogate alone


def test_surrogates_survive_reformatting(sguard):
    masked = sguard.mask(f"call {PHONE} or mail {EMAIL}", scope="s")
    fake_phone = re.search(r"\(\d{3}\) 555-01\d\d", masked).group(0)
    fake_email = re.search(r"\S+@example\.\w+", masked).group(0)
    digits = re.sub(r"\D", "", fake_phone)
    rewritten = f"Phone: {digits[:3]}-{digits[3:6]}-{digits[6:]}, email: {fake_email.upper()}"
    out = sguard.unmask(rewritten, scope="s")
    assert PHONE in out and EMAIL in out


def test_surrogates_scoped(sguard):
    masked = sguard.mask(TEXT, scope="s")
    assert sguard.unmask(masked, scope="other") == masked


def test_surrogate_refused_for_tool(sguard):
    masked = sguard.mask(TEXT, scope="s")
    assert sguard.unmask(masked, scope="s", to="tool:crm") == masked


def test_surrogate_stream(sguard):
    masked = sguard.mask(TEXT, scope="s")
    for size in (1, 4, 7):
        r = sguard.stream_restorer(scope="s")
        out = "".join(r.feed(masked[i : i + size]) for i in range(0, len(masked), size)) + r.flush()
        assert out == TEXT


def test_unsupported_type_falls_back_to_token():
    g = Guard(policy={"default_action": "surrogate"})
    res = g.mask_value("123-45-6789", "US_SSN", scope="s")
    assert res.text == "[SSN_1]"


def test_stream_holds_back_only_possible_surrogate_starts(sguard):
    sguard.mask(f"Customer {NAME}", scope="s")
    r = sguard.stream_restorer(scope="s")
    assert r.feed("The refund was approved for ") == "The refund was approved for "
    assert r.feed("Avery ") == ""  # could be the start of a generated name
    out = r.feed("Ashdown today, thanks ") + r.flush()
    assert out == f"{NAME} today, thanks "
