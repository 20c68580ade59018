"""``KeyedHmac`` (pre-keyed HMAC-SHA256 for fingerprints) equals the standard library's HMAC."""

from __future__ import annotations

import hashlib
import hmac
import os

import pytest

from guardllm import Guard
from guardllm.tokens.vault import KeyedHmac


@pytest.mark.parametrize("key_len", [0, 1, 16, 32, 63, 64, 65, 100, 200])
def test_matches_hmac_new_for_every_key_length(key_len: int) -> None:
    key = os.urandom(key_len)
    mac = KeyedHmac(key)
    for msg in ("", "EMAIL_ADDRESS\0a@b.co", "PERSON\0zoë ñ 名前", "x" * 1000):
        assert mac.hexdigest(msg) == hmac.new(key, msg.encode(), hashlib.sha256).hexdigest()
    assert repr(mac) == "KeyedHmac(<key hidden>)"


def test_fingerprints_stay_stable_for_existing_stores(tmp_path) -> None:
    # the fingerprint formula is unchanged: recompute it with hmac.new from the vault's key
    g = Guard(store="memory://")
    ref = g.mask_result("mail Maria.Gonzalez@Example-Shop.io", scope="s").entities[0]
    expected = hmac.new(
        g._vault.fingerprint_key, b"EMAIL_ADDRESS\0maria.gonzalez@example-shop.io", hashlib.sha256
    ).hexdigest()[:16]
    assert ref.fingerprint == "fp_" + expected
