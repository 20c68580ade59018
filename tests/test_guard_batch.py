"""Grouped store writes (``guard.batch``) under a wrapped tool, and ``guard.find_fingerprint``."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import ToolMessage
from langchain_core.tools import tool

from guardllm import Guard, Policy
from tests.lc_support import ALICE_EMAIL, ALICE_SSN, BOB_EMAIL, assert_no_raw

CFG = {"configurable": {"thread_id": "t1", "principal": "agent-7"}}


@tool
def lookup(customer_email: str) -> str:
    """Find the customer's manager."""
    return f"{customer_email} is handled by {BOB_EMAIL}"


def _call(wrapped: Any, args: dict[str, Any], call_id: str = "c1") -> ToolMessage:
    return wrapped.invoke(
        {"name": wrapped.name, "args": args, "id": call_id, "type": "tool_call"}, config=CFG
    )


def test_wrapped_call_on_sqlite_commits_twice_and_keeps_the_chain(sqlite_guard: Any) -> None:
    wrapped = sqlite_guard.wrap_tool(lookup, reveal=["EMAIL_ADDRESS"])
    args = {"customer_email": sqlite_guard.mask(ALICE_EMAIL, scope="t1")}
    _call(wrapped, args, "warm")
    statements: list[str] = []
    sqlite_guard.store._db.set_trace_callback(lambda sql: statements.append(sql.split()[0].upper()))
    msg = _call(wrapped, args)
    sqlite_guard.store._db.set_trace_callback(None)
    assert [r.event for r in sqlite_guard.audit.records()][-3:] == ["reveal", "mask", "tool_call"]
    # one commit for the reveal record before the tool runs, one for everything after
    assert statements.count("BEGIN") == 2 and statements.count("COMMIT") == 2
    assert msg.content == f"{args['customer_email']} is handled by {sqlite_guard.mask(BOB_EMAIL, scope='t1')}"
    assert sqlite_guard.audit.verify()


def test_block_inside_the_batch_is_still_audited(tmp_path: Any) -> None:
    strict = Guard(
        policy=Policy.from_dict({"entities": {"US_SSN": {"action": "block"}}}),
        store=f"sqlite:///{tmp_path / 'b.db'}",
    )

    @tool
    def fetch(customer: str) -> str:
        """Fetch a record."""
        return f"customer SSN {ALICE_SSN}"

    msg = _call(strict.wrap_tool(fetch), {"customer": "1"})
    assert msg.status == "error" and "US_SSN" in msg.content
    strict.close()
    reopened = Guard(store=f"sqlite:///{tmp_path / 'b.db'}")
    assert [r.event for r in reopened.audit.records()][-1] == "block"
    assert reopened.audit.verify()
    reopened.close()


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_find_fingerprint_follows_a_value_through_tool_calls(backend: str, tmp_path: Any) -> None:
    guard = Guard(store="memory://" if backend == "memory" else f"sqlite:///{tmp_path / 'f.db'}")
    wrapped = guard.wrap_tool(lookup, reveal=["EMAIL_ADDRESS"])
    alice = guard.mask_result(ALICE_EMAIL, scope="t1")
    bob_fp = guard.mask_result(BOB_EMAIL, scope="t1").entities[0].fingerprint
    _call(wrapped, {"customer_email": alice.text}, "c1")
    _call(wrapped, {"customer_email": alice.text}, "c2")

    hits = guard.find_fingerprint(alice.entities[0].fingerprint)
    # each call: revealed to the tool as its argument, then back to the model masked
    steps = [e.target for _, e in hits if e.source == "source:model"]
    assert len(set(steps)) == 2
    assert [(e.source, e.target, e.status) for _, e in hits] == [
        edge
        for step in steps
        for edge in (("source:model", step, "revealed"), (step, "sink:model", "masked"))
    ]
    assert all(run for run, _ in hits)
    bob = guard.find_fingerprint(bob_fp)
    assert [(e.status, e.target) for _, e in bob] == [("masked", "sink:model")] * 2
    assert guard.find_fingerprint("fp_0000000000000000") == []
    with pytest.raises(ValueError) as err:
        guard.find_fingerprint(ALICE_EMAIL)
    assert_no_raw(str(err.value))
    guard.close()
