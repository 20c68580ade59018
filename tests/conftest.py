"""Shared fixtures: a test master key in the environment, and ready Guards.

``guard``        -- memory store, default policy.
``sqlite_guard`` -- SQLite store in ``tmp_path`` (the file is ``sqlite_guard.store.path``).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from typing import Any

import pytest

#: A fixed, test-only master key (never use it for real data).
TEST_KEY = base64.b64encode(bytes(range(32))).decode("ascii")
os.environ.setdefault("GUARDLLM_KEY", TEST_KEY)
os.environ.pop("GUARDLLM_STORE", None)


@pytest.fixture
def guard() -> Iterator[Any]:
    from guardllm import Guard

    g = Guard(store="memory://", principal="test:alice")
    yield g
    g.close()


@pytest.fixture
def sqlite_guard(tmp_path: Any) -> Iterator[Any]:
    from guardllm import Guard

    g = Guard(store=f"sqlite:///{tmp_path / 'guard.db'}", principal="test:alice")
    yield g
    g.close()
