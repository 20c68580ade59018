"""Payloads the guard has already masked are not walked again.

Agents re-send the whole history to the model on every call, so the same tool results and
tool-call arguments are masked many times per run.  The detector caches texts; the guard
remembers, per scope, the structured payloads that masked to themselves (a digest, never
the value).  These tests pin what that must not change.
"""

from __future__ import annotations

import json
from typing import Any

from guardllm import Guard
from guardllm.detect import Detector

RECORD = {
    "ticket": 4411,
    "customer": "Ana Lima",
    "email": "ana.lima@quillfeather.example",
    "note": "Customer asked us to call back on (415) 555-2671 about the refund. " * 4,
}
LONG_TEXT = "Ana Lima (ana.lima@quillfeather.example) asked for a call back on (415) 555-2671. " * 5


class CountingDetector(Detector):
    """The default detector, counting how often it is asked."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0  # requests
        self.work = 0  # texts actually scanned (not answered from the detector's cache)

    def candidates(self, text: Any) -> Any:
        self.work += 1
        return super().candidates(text)

    def scan(self, text: Any) -> list[Any]:
        self.calls += 1
        return super().scan(text)

    def scan_object(self, obj: Any, **kw: Any) -> list[Any]:
        self.calls += 1
        return super().scan_object(obj, **kw)


def test_the_memo_holds_no_value() -> None:
    guard = Guard(store="memory://")
    masked = guard._mask_json_text(json.dumps(RECORD), RECORD, scope="s", principal=None)
    guard._mask_json_text(masked, json.loads(masked), scope="s", principal=None)
    assert guard._unchanged
    dump = repr(guard._unchanged)
    for raw in ("Ana Lima", "ana.lima", "555-2671", "quillfeather"):
        assert raw not in dump
    assert "Ana Lima" not in repr(guard)


def test_a_masked_tool_result_is_not_walked_again_in_its_scope() -> None:
    det = CountingDetector()
    guard = Guard(store="memory://", detector=det)
    text = json.dumps(RECORD)
    once = guard._mask_json_text(text, json.loads(text), scope="s", principal=None)
    assert "ana.lima@" not in once
    calls = det.calls
    assert guard._mask_json_text(once, json.loads(once), scope="s", principal=None) == once
    walked = det.calls - calls
    assert walked >= 1
    for _ in range(3):  # what the agent re-sends: the masked result
        assert guard._mask_json_text(once, json.loads(once), scope="s", principal=None) == once
    assert det.calls == calls + walked, "the masked result is walked once, then remembered"
    audit = len(list(guard.audit.records()))
    guard._mask_json_text(once, json.loads(once), scope="s", principal=None)
    assert len(list(guard.audit.records())) == audit


def test_unchanged_in_one_scope_says_nothing_about_another() -> None:
    """Surrogates are left alone only in the scope that issued them: the same text read in
    another scope must be masked there."""
    guard = Guard(store="memory://", policy={"default_action": "surrogate"})
    masked_a = guard._mask_json_text(json.dumps(RECORD), RECORD, scope="a", principal=None)
    assert guard._mask_json_text(masked_a, json.loads(masked_a), scope="a", principal=None) == masked_a
    assert not guard.find_tokens(masked_a, scope="b")
    in_b = guard._mask_json_text(masked_a, json.loads(masked_a), scope="b", principal=None)
    # scope b never issued these surrogates: they are values there, masked into b's own
    # (which may read the same: surrogates are numbered per scope)
    assert guard.find_tokens(in_b, scope="b"), "scope b did not mask: a memo of scope a answered"


def test_a_new_detector_or_policy_forgets_what_was_remembered() -> None:
    guard = Guard(store="memory://")
    text = json.dumps({"id": 1, "note": "nothing sensitive here, just a long note"})
    assert guard._mask_json_text(text, json.loads(text), scope="s", principal=None) == text
    assert len(guard._unchanged) == 1
    # an allow-list detector change: what was "nothing to mask" must be decided again
    guard.detector = Detector(deny_list={"long note": "SECRET_PROJECT"})
    out = guard._mask_json_text(text, json.loads(text), scope="s", principal=None)
    assert "long note" not in out
    view = guard.with_policy({"default_action": "redact"})
    view._mask_json_text(text, json.loads(text), scope="s", principal=None)
    assert guard._unchanged_for[1] is guard.policy, "a view under another policy keeps its own memo"


def test_tool_call_arguments_are_remembered_and_still_masked() -> None:
    from langchain_core.messages import AIMessage

    from guardllm.integrations.langchain._context import CallContext
    from guardllm.integrations.langchain._messages import mask_message

    det = CountingDetector()
    guard = Guard(store="memory://", detector=det)
    ctx = CallContext(scope="s")
    raw = AIMessage(
        "", tool_calls=[{"name": "send", "args": {"to": "ana.lima@quillfeather.example"}, "id": "1"}]
    )
    masked = mask_message(guard, raw, ctx)
    assert masked.tool_calls[0]["args"]["to"].startswith("[EMAIL")
    assert mask_message(guard, raw, ctx).tool_calls[0]["args"] == masked.tool_calls[0]["args"]
    clean = AIMessage("", tool_calls=[{"name": "page", "args": {"page": 3, "q": "open tickets"}, "id": "2"}])
    mask_message(guard, clean, ctx)
    calls = det.calls
    for _ in range(3):
        assert mask_message(guard, clean, ctx).tool_calls[0]["args"] == {"page": 3, "q": "open tickets"}
    assert det.calls == calls


def test_a_chat_history_is_scanned_once_per_message() -> None:
    """Through the public path: an app re-sends its raw history to a wrapped chat model
    every turn; each long message is scanned on the first turn only, and still masked."""
    from langchain_core.language_models.fake_chat_models import FakeListChatModel
    from langchain_core.messages import AIMessage, HumanMessage

    det = CountingDetector()
    guard = Guard(store="memory://", detector=det)
    assert det._cache_size > 0  # the detector's own text cache answers repeats
    seen: list[str] = []

    class Recording(FakeListChatModel):
        def _call(self, messages: Any, *a: Any, **k: Any) -> str:
            seen.append("\n".join(str(m.content) for m in messages))
            return super()._call(messages, *a, **k)

    model = guard.wrap_chat_model(Recording(responses=["ok"] * 10))
    history: list[Any] = []
    for i in range(4):
        history.append(HumanMessage(f"Turn {i}. " + LONG_TEXT))
        history.append(AIMessage(f"Noted for turn {i}; I will call " + LONG_TEXT))
    cfg = {"configurable": {"thread_id": "t"}}
    model.invoke(history, config=cfg)
    first = det.work
    model.invoke(history, config=cfg)
    model.invoke(history, config=cfg)
    assert det.work == first, "the second and third turns re-scanned the history"
    assert len(seen) == 3 and seen[0] == seen[1] == seen[2]
    assert "ana.lima@" not in seen[2] and "555-2671" not in seen[2] and "[EMAIL" in seen[2]
