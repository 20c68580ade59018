"""After a realistic workload, no raw test value is in the SQLite file, the logs, the
audit/lineage-facing objects, reprs or exception messages."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

import guardllm
from guardllm import Guard

RAW = {
    "name": "Priya Raman",
    "email": "priya.raman@quillfeather.example",
    "phone": "(415) 555-2671",
    "card": "4539 1488 0343 6467",
    "iban": "DE89 3704 0044 0532 0130 00",
    "ssn": "536-22-8471",
    "secret": "ghp_8bZ1qvV3mKd9XwT2yL6pR0sN4hJ7cF5aE1uQ",
}
DOC = (
    f"Dear {RAW['name']}, we charged card {RAW['card']} and will refund to IBAN {RAW['iban']}. "
    f"Questions: {RAW['email']} or {RAW['phone']}. SSN on file: {RAW['ssn']}."
)
ROW = {
    "customer": {"full_name": RAW["name"], "email": RAW["email"], "phone": RAW["phone"]},
    "payment": {"card": RAW["card"], "iban": RAW["iban"]},
}


def _needles() -> list[bytes]:
    out = []
    for v in RAW.values():
        compact = v.replace(" ", "")
        for form in {v, compact, v.lower(), v.upper()}:
            out += [form.encode(), form.encode("utf-16-le")]
    return out


def _assert_clean(text: str | bytes, where: str) -> None:
    data = text.encode() if isinstance(text, str) else text
    for needle in _needles():
        assert needle not in data, f"raw value found in {where}"


def test_no_raw_value_anywhere(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    url = f"sqlite:///{tmp_path / 'leak.db'}"
    policy = {
        "entities": {"CREDIT_CARD": {"action": "surrogate"}, "US_SSN": {"action": "hash"}},
        "principals": {"alice": {"roles": ["support"]}},
    }
    g = Guard(policy=policy, store=url, principal="svc:leaktest")
    errors: list[str] = []
    reprs: list[str] = [repr(g), repr(g.store), repr(g.vault), repr(g.audit)]

    for i in range(5):
        scope = f"thread-{i % 2}"
        res = g.mask_result(DOC, scope=scope, subject="cust-7" if i == 4 else None)
        secret = g.mask_value(RAW["secret"], "GITHUB_TOKEN", scope=scope)  # typed: secrets are never stored
        _assert_clean(secret.text, "masked secret")
        reprs += [repr(res), repr(res.entities)]
        obj = g.mask_object(ROW, scope=scope)
        _assert_clean(json.dumps(obj), "masked object")
        _assert_clean(res.text, "masked text")
        for to in ("user", "tool:crm", "model", "role:support", "principal:alice"):
            un = g.unmask_result(res.text + " [EMAIL_99]", scope=scope, to=to, purpose="support")
            reprs += [repr(un.revealed), repr(un.refused)]
            if to != "user":
                _assert_clean(un.text, f"unmask to {to}")
        reprs.append(repr(g.find_tokens(res.text, scope=scope)))
        reprs.append(repr(g.detect_leaks(DOC)))
        asyncio.run(g.amask(DOC, scope=scope))
        r = g.stream_restorer(scope=scope, to="tool:crm")
        streamed = "".join(r.feed(res.text[k : k + 3]) for k in range(0, len(res.text), 3)) + r.flush()
        _assert_clean(streamed, "stream to tool")

    blocked = Guard(policy={"entities": {"EMAIL_ADDRESS": {"action": "block"}}}, store=url)
    for call in (
        lambda: blocked.mask(DOC, scope="s"),
        lambda: g.mask(DOC.encode("utf-16"), scope="s"),
        lambda: g.unmask(DOC, scope="s", to="robot"),
        lambda: Guard(detector=_Broken(), store=url).mask(DOC, scope="s"),
        lambda: g.mask_value(RAW["email"], "EMAIL_ADDRESS", scope=""),
    ):
        with pytest.raises(guardllm.GuardError) as ei:
            call()
        errors += [str(ei.value), repr(ei.value)]

    # fail-open hands the text back on purpose; its audit record must still hold no value
    lenient = Guard(detector=_Broken(), store=url, fail_open=True, principal="svc:lenient")
    assert lenient.mask(DOC, scope="s") == DOC
    assert lenient.mask_object(ROW, scope="s") == ROW
    assert [r.event for r in lenient.audit.query(principal="svc:lenient")] == ["fail_open", "fail_open"]
    lenient.close()

    g.forget(subject="cust-7")
    g.forget(scope="thread-1")
    g.rotate_key(guardllm.tokens.crypto.generate_key())
    audit = [r.to_dict() for r in g.audit.query()]
    assert {r["event"] for r in audit} >= {
        "mask",
        "reveal",
        "refuse",
        "block",
        "forget",
        "foreign_token",
        "key_rotate",
        "fail_open",
    }
    g.close()
    blocked.close()

    files = sorted(tmp_path.iterdir())
    blob = b"".join(p.read_bytes() for p in files if p.is_file())
    assert len(blob) > 10_000
    _assert_clean(blob, "SQLite database files")
    _assert_clean(json.dumps(audit), "audit records")
    _assert_clean("\n".join(errors), "exception messages")
    _assert_clean("\n".join(reprs), "reprs")
    _assert_clean("\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records), "captured logs")


class _Broken:
    def scan(self, text):
        raise RuntimeError(f"cannot parse {text}")
