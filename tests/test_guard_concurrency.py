"""Eight threads and an asyncio.gather mask overlapping values in one scope."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from guardllm import Guard

EMAILS = [f"person{i}@shop{i % 3}.example.com" for i in range(12)]


def _texts(offset: int) -> list[str]:
    # each worker sees every value, in a different order, several at a time
    rot = EMAILS[offset:] + EMAILS[:offset]
    return [f"from {a} cc {b}" for a, b in zip(rot, rot[1:] + rot[:1], strict=True)]


def _check(g: Guard, outputs: list[list[str]], calls: int) -> None:
    mapping: dict[str, str] = {}
    for worker, outs in enumerate(outputs):
        for text, out in zip(_texts(worker % len(EMAILS)), outs, strict=True):
            a, b = text.split()[1], text.split()[3]
            ta, tb = out.split()[1], out.split()[3]
            assert mapping.setdefault(a, ta) == ta
            assert mapping.setdefault(b, tb) == tb
    assert len(set(mapping.values())) == len(EMAILS)  # distinct values, distinct tokens
    assert sorted(mapping.values()) == sorted(f"[EMAIL_{i}]" for i in range(1, 13))
    assert len(g.audit.query(event="mask")) == calls  # no audit record lost
    assert g.audit.verify()
    for email, token in mapping.items():
        assert g.unmask(token, scope="s") == email


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_eight_threads_one_scope(kind, tmp_path):
    g = Guard(store="memory://" if kind == "memory" else f"sqlite:///{tmp_path / 'c.db'}")
    with ThreadPoolExecutor(8) as pool:
        outputs = list(pool.map(lambda w: [g.mask(t, scope="s") for t in _texts(w)], range(8)))
    _check(g, outputs, 8 * len(EMAILS))


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_asyncio_gather_one_scope(kind, tmp_path):
    g = Guard(store="memory://" if kind == "memory" else f"sqlite:///{tmp_path / 'c.db'}")

    async def worker(w: int) -> list[str]:
        return list(await asyncio.gather(*(g.amask(t, scope="s") for t in _texts(w))))

    outputs = list(await asyncio.gather(*(worker(w) for w in range(8))))
    _check(g, outputs, 8 * len(EMAILS))


def test_threads_on_separate_store_objects_same_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    guards = [Guard(store=url) for _ in range(4)]
    with ThreadPoolExecutor(8) as pool:
        outputs = list(pool.map(lambda w: [guards[w % 4].mask(t, scope="s") for t in _texts(w)], range(8)))
    _check(guards[0], outputs, 8 * len(EMAILS))
