"""Vault internals through their public functions: normalisation, fingerprints, keys."""

from __future__ import annotations

import base64

import pytest

from guardllm import Guard, KeyMissingError
from guardllm.tokens.crypto import generate_key, parse_key
from guardllm.tokens.vault import normalise


@pytest.mark.parametrize(
    "etype,a,b",
    [
        ("EMAIL_ADDRESS", "Jane.Doe@Example.COM", " jane.doe@example.com"),
        ("PHONE_NUMBER", "+1 (415) 555-2671", "415.555.2671"),
        ("CREDIT_CARD", "4539 1488 0343 6467", "4539-1488-0343-6467"),
        ("IBAN_CODE", "de89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("PERSON", "Jane  Doe", "jane doe"),
    ],
)
def test_normalise_equates_spellings(etype, a, b):
    assert normalise(etype, a) == normalise(etype, b)


def test_same_value_other_spelling_same_token(guard):
    a = guard.mask("card 4539 1488 0343 6467", scope="s")
    b = guard.mask("card 4539-1488-0343-6467", scope="s")
    assert a.split()[-1] == b.split()[-1] == "[CARD_1]"


def test_fingerprints_stable_across_guards_with_same_key_and_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'v.db'}"
    a = Guard(store=url).mask_result("mail ann@corp.example", scope="s1").entities[0].fingerprint
    b = Guard(store=url).mask_result("mail ann@corp.example", scope="s2").entities[0].fingerprint
    assert a == b  # scope-independent, process-independent


def test_fingerprint_depends_on_key():
    a = Guard(key=generate_key()).mask_result("mail ann@corp.example").entities[0].fingerprint
    b = Guard(key=generate_key()).mask_result("mail ann@corp.example").entities[0].fingerprint
    assert a != b


def test_parse_key_formats():
    raw = bytes(range(32))
    assert parse_key(base64.b64encode(raw).decode()) == raw
    assert parse_key(raw.hex()) == raw
    assert parse_key(base64.urlsafe_b64encode(raw).decode()) == raw
    assert parse_key(raw) == raw
    for bad in ("short", "x" * 64, base64.b64encode(b"1" * 16).decode()):
        with pytest.raises(KeyMissingError) as ei:
            parse_key(bad)
        assert bad not in str(ei.value)


def test_memory_guard_key_is_ephemeral_unless_configured(monkeypatch):
    monkeypatch.delenv("GUARDLLM_KEY")
    assert "ephemeral" in repr(Guard())


def test_a_value_masked_again_after_erasure_gets_a_live_token(tmp_path) -> None:
    """Repeated values skip the fingerprint through a small cache; erasure must empty it,
    in this process and (through the store generation) in another one sharing the file."""
    from guardllm import Guard

    url = f"sqlite:///{tmp_path / 'g.db'}"
    a, b = Guard(store=url), Guard(store=url)
    first = a.mask("write to ana@example.org", scope="t")
    assert b.mask("write to ana@example.org", scope="t") == first
    assert a.forget(scope="t") >= 1
    for g in (a, b):
        again = g.mask("write to ana@example.org", scope="t")
        assert g.unmask(again, scope="t") == "write to ana@example.org"
