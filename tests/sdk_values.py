"""Raw test values and leak assertions shared by the SDK tests."""

from __future__ import annotations

import json
from typing import Any

# Raw values the tests feed in; none of them may ever reach the provider.
EMAIL = "alice.johnson@example.com"
EMAIL2 = "bob.miller@example.org"
SSN = "536-22-4187"
CARD = "4111 1111 1111 1111"
RAW_VALUES = (EMAIL, EMAIL2, SSN, CARD, "4111111111111111")


def assert_no_raw(text: str, values: tuple[str, ...] = RAW_VALUES) -> None:
    """Fail naming the *index* of the leaked value, not the value (keeps test logs clean)."""
    leaked = [i for i, v in enumerate(values) if v in text]
    assert not leaked, f"raw test values #{leaked} found"


def dumps(obj: Any) -> str:
    return json.dumps(obj, default=str, ensure_ascii=False)
