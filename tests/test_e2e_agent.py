"""End to end: an agent over a small customer list, guarded by guardllm.

Tools: ``send_email(to, body)`` (granted EMAIL_ADDRESS) and ``log_note(text)`` (granted
nothing).  A recording fake model scripts the tool calls from the tokens it saw.  Each
path -- ``create_agent`` with the middleware, and a plain tool-calling loop with
``wrap_chat_model`` + ``wrap_tool`` + ``callback_handler`` -- is run sync, streamed and
async, and must show:

* no raw value ever reached the model;
* ``send_email`` got the real address, ``log_note`` only tokens;
* the user's answer has the address restored;
* the lineage graph has every step and the right edges;
* the audit chain verifies and holds no raw value.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableLambda

from guardllm.integrations import langchain as glc
from tests.lc_support import (
    ALICE_EMAIL,
    BOB_EMAIL,
    QUESTION,
    SYSTEM_PROMPT,
    RecordingToolModel,
    ToolLog,
    assert_no_raw,
    audit_records,
    dumps,
    edges_from,
    edges_into,
    graph,
    make_tools,
    node_ids,
)


@pytest.fixture
def guard() -> Any:
    from guardllm import Guard

    return Guard(store="memory://")


@pytest.fixture
def log() -> ToolLog:
    return ToolLog()


def _check_tools(log: ToolLog) -> None:
    emails = log.of("send_email")
    notes = log.of("log_note")
    assert len(emails) == 1 and len(notes) == 1
    assert emails[0]["to"] == ALICE_EMAIL  # the granted tool got the real address
    assert_no_raw(dumps(notes))  # the other one only tokens
    assert "[EMAIL_" in notes[0]["text"]


def _check_audit(guard: Any) -> None:
    assert guard.audit.verify()
    records = audit_records(guard)
    assert_no_raw(dumps(records))
    events = {r["event"] for r in records}
    assert {"mask", "reveal", "tool_call"} <= events, events


def _edge(
    g: dict[str, Any], source: str | None, target: str | None, label: str, status: str | None = None
) -> dict[str, Any]:
    found = [
        e
        for e in g["edges"]
        if e.get("label") == label
        and (source is None or str(e["source"]) == source)
        and (target is None or str(e["target"]) == target)
        and (status is None or e["status"] == status)
    ]
    assert found, (
        f"no {label} edge {source}->{target} ({status}) in {[(e['source'], e['target'], e.get('label'), e['status']) for e in g['edges']]}"
    )
    return found[0]


def _check_lineage(guard: Any, run_id: Any) -> None:
    g = graph(guard, run_id)
    assert_no_raw(dumps(g))
    send = node_ids(g, "tool", "send_email")
    note = node_ids(g, "tool", "log_note")
    models = [n for n in g["nodes"] if n.get("kind") == "llm"]
    assert send and note and len(models) >= 2
    # user input -> first model; emails cross masked, with their fingerprints
    first_in = _edge(g, "source:user", None, "input")
    assert "EMAIL_ADDRESS" in first_in["entity_types"] and first_in["fingerprints"]
    assert first_in["status"] == "masked" and first_in["tokens"] > 0
    # the model's tool call -> send_email revealed the email; -> log_note kept it masked
    revealed = _edge(g, None, send[0], "tool_call", "revealed")
    assert revealed["entity_types"] == ["EMAIL_ADDRESS"]
    assert revealed["fingerprints"] and set(revealed["fingerprints"]) <= set(first_in["fingerprints"])
    masked = _edge(g, None, note[0], "tool_call", "masked")
    assert "EMAIL_ADDRESS" in masked["entity_types"]
    assert not [e for e in edges_into(g, note[0]) if e["status"] == "revealed"]
    # both tool results feed the next model call
    second_model = _edge(g, send[0], None, "tool_result")["target"]
    _edge(g, note[0], second_model, "tool_result")
    # that model's answer reaches the user, restored
    answer = _edge(g, second_model, "sink:answer", "answer", "revealed")
    assert answer["entity_types"] == ["EMAIL_ADDRESS"]
    assert not [e for e in g["edges"] if e["status"] == "leaked"]
    assert edges_from(g, "source:user")


# -- create_agent + middleware ----------------------------------------------------------


def _agent(guard: Any, log: ToolLog, model: RecordingToolModel) -> Any:
    from langchain.agents import create_agent

    send_email, log_note = make_tools(log)
    mw = glc.middleware(guard, reveal={"send_email": ["EMAIL_ADDRESS"]})
    return create_agent(model, [send_email, log_note], system_prompt=SYSTEM_PROMPT, middleware=[mw])


def _agent_checks(guard: Any, log: ToolLog, model: RecordingToolModel, answer: str, run_id: Any) -> None:
    assert len(model.seen) == 2
    assert_no_raw(model.seen_text())  # system prompt, user list, tool results: all masked
    _check_tools(log)
    assert ALICE_EMAIL in answer and "[EMAIL_" not in answer
    _check_lineage(guard, run_id)
    _check_audit(guard)


def test_create_agent_with_middleware_and_handler(guard: Any, log: ToolLog) -> None:
    model = RecordingToolModel()
    agent = _agent(guard, log, model)
    handler = glc.callback_handler(guard)
    config = {"configurable": {"thread_id": "t-agent", "principal": "ops-bot"}, "callbacks": [handler]}
    result = agent.invoke({"messages": [HumanMessage(QUESTION)]}, config=config)
    answer = result["messages"][-1].content
    _agent_checks(guard, log, model, answer, handler.last_root_run_id)
    g = graph(guard, handler.last_root_run_id)
    tool_nodes = [n for n in g["nodes"] if n.get("kind") == "tool"]
    assert all(n.get("scope") == "t-agent" and n.get("principal") == "ops-bot" for n in tool_nodes)


def test_create_agent_with_middleware_alone_records_lineage(guard: Any, log: ToolLog) -> None:
    model = RecordingToolModel()
    agent = _agent(guard, log, model)
    config = {"configurable": {"thread_id": "t-mw", "user_id": "u-7"}}
    result = agent.invoke({"messages": [HumanMessage(QUESTION)]}, config=config)
    answer = result["messages"][-1].content
    run_id = result["guardllm_run_id"] if "guardllm_run_id" in result else None
    if run_id is None:  # private state key: find the run through the audit records
        run_id = _last_tool_audit_run(guard)
    _agent_checks(guard, log, model, answer, run_id)
    # a second turn in the same thread: the restored answer goes back masked, same token
    result2 = agent.invoke(
        {"messages": [*result["messages"], HumanMessage("Thanks. Who did you email?")]}, config=config
    )
    assert_no_raw(model.seen_text())
    assert ALICE_EMAIL in result2["messages"][-1].content or "[EMAIL_" not in result2["messages"][-1].content


def _last_tool_audit_run(guard: Any) -> Any:
    for rec in reversed(audit_records(guard, event="tool_call")):
        if rec.get("run_id"):
            return rec["run_id"]
    raise AssertionError("no tool_call audit record")


def test_create_agent_streamed(guard: Any, log: ToolLog) -> None:
    model = RecordingToolModel()
    agent = _agent(guard, log, model)
    handler = glc.callback_handler(guard)
    config = {"configurable": {"thread_id": "t-stream"}, "callbacks": [handler]}
    last = None
    for update in agent.stream({"messages": [HumanMessage(QUESTION)]}, config=config, stream_mode="values"):
        last = update
    assert last is not None
    _agent_checks(guard, log, model, last["messages"][-1].content, handler.last_root_run_id)


async def test_create_agent_async(guard: Any, log: ToolLog) -> None:
    model = RecordingToolModel()
    agent = _agent(guard, log, model)
    handler = glc.callback_handler(guard)
    config = {"configurable": {"thread_id": "t-async"}, "callbacks": [handler]}
    result = await agent.ainvoke({"messages": [HumanMessage(QUESTION)]}, config=config)
    _agent_checks(guard, log, model, result["messages"][-1].content, handler.last_root_run_id)


async def test_create_agent_async_streamed_tokens_never_raw(guard: Any, log: ToolLog) -> None:
    """``astream`` with the token stream on: every chunk a UI would show holds tokens only
    (the middleware masks the request; the final state carries the restored answer)."""
    model = RecordingToolModel()
    agent = _agent(guard, log, model)
    handler = glc.callback_handler(guard)
    config = {"configurable": {"thread_id": "t-async-stream"}, "callbacks": [handler]}
    chunks: list[str] = []
    last: Any = None
    async for mode, item in agent.astream(
        {"messages": [HumanMessage(QUESTION)]}, config=config, stream_mode=["messages", "values"]
    ):
        if mode == "messages":
            chunks.append(dumps(item[0].content) + dumps(getattr(item[0], "tool_call_chunks", [])))
        else:
            last = item
    assert chunks and any("[EMAIL_" in c for c in chunks)
    assert_no_raw("".join(chunks))
    _agent_checks(guard, log, model, last["messages"][-1].content, handler.last_root_run_id)


# -- plain loop: wrap_chat_model + wrap_tool + callback_handler -----------------------------


def _loop_parts(guard: Any, log: ToolLog) -> tuple[RecordingToolModel, Any, dict[str, Any]]:
    inner = RecordingToolModel()
    send_email, log_note = make_tools(log)
    tools = {
        "send_email": glc.wrap_tool(guard, send_email, reveal=["EMAIL_ADDRESS"]),
        "log_note": glc.wrap_tool(guard, log_note),
    }
    model = glc.wrap_chat_model(guard, inner).bind_tools(list(tools.values()))
    return inner, model, tools


def _messages() -> list[Any]:
    return [SystemMessage(SYSTEM_PROMPT), HumanMessage(QUESTION)]


def _loop(model: Any, tools: dict[str, Any], *, stream: bool = False) -> Any:
    def run(question: str) -> str:
        messages = _messages()
        for _ in range(4):
            if stream:
                ai: Any = None
                for chunk in model.stream(messages):
                    ai = chunk if ai is None else ai + chunk
            else:
                ai = model.invoke(messages)
            messages.append(ai)
            if not ai.tool_calls:
                return ai.content
            for call in ai.tool_calls:
                result = tools[call["name"]].invoke({**call, "type": "tool_call"})
                assert result.tool_call_id == call["id"]
                messages.append(result)
        raise AssertionError("loop did not finish")

    return RunnableLambda(run, name="plain_loop")


def _aloop(model: Any, tools: dict[str, Any], *, stream: bool = False) -> Any:
    async def run(question: str) -> str:
        messages = _messages()
        for _ in range(4):
            if stream:
                ai: Any = None
                async for chunk in model.astream(messages):
                    ai = chunk if ai is None else ai + chunk
            else:
                ai = await model.ainvoke(messages)
            messages.append(ai)
            if not ai.tool_calls:
                return ai.content
            results = await asyncio.gather(
                *[tools[c["name"]].ainvoke({**c, "type": "tool_call"}) for c in ai.tool_calls]
            )
            messages.extend(results)
        raise AssertionError("loop did not finish")

    return RunnableLambda(run, name="plain_loop")


def _loop_checks(guard: Any, log: ToolLog, inner: RecordingToolModel, answer: str, run_id: Any) -> None:
    assert len(inner.seen) == 2
    assert_no_raw(inner.seen_text())
    _check_tools(log)
    assert ALICE_EMAIL in answer and "[EMAIL_" not in answer
    _check_lineage(guard, run_id)
    g = graph(guard, run_id)
    # the guarded model step and the provider call it made with the masked prompt
    prompt = [e for e in g["edges"] if e.get("label") == "prompt"]
    assert len(prompt) == 2 and all(e["status"] == "masked" for e in prompt)
    assert node_ids(g, "chain", "plain_loop") == [str(run_id)]
    _check_audit(guard)
    # one scope and one principal, on every lineage node and every audit record
    records = audit_records(guard)
    assert len({n.get("scope") for n in g["nodes"]} | {r.get("scope") for r in records}) == 1
    assert len({n.get("principal") for n in g["nodes"]} | {r.get("principal") for r in records}) == 1


def test_plain_loop_invoke(guard: Any, log: ToolLog) -> None:
    inner, model, tools = _loop_parts(guard, log)
    handler = glc.callback_handler(guard, strict=True)
    answer = _loop(model, tools).invoke(
        "go", config={"callbacks": [handler], "configurable": {"thread_id": "t-loop", "user_id": "u-1"}}
    )
    _loop_checks(guard, log, inner, answer, handler.last_root_run_id)
    g = graph(guard, handler.last_root_run_id)
    assert {(n.get("scope"), n.get("principal")) for n in g["nodes"]} == {("t-loop", "u-1")}


def test_plain_loop_streamed_one_char_chunks(guard: Any, log: ToolLog) -> None:
    inner, model, tools = _loop_parts(guard, log)
    handler = glc.callback_handler(guard, strict=True)
    answer = _loop(model, tools, stream=True).invoke(
        "go", config={"callbacks": [handler], "configurable": {"thread_id": "t-loop-s"}}
    )
    _loop_checks(guard, log, inner, answer, handler.last_root_run_id)


async def test_plain_loop_async(guard: Any, log: ToolLog) -> None:
    inner, model, tools = _loop_parts(guard, log)
    handler = glc.callback_handler(guard, strict=True)
    answer = await _aloop(model, tools).ainvoke(
        "go", config={"callbacks": [handler], "configurable": {"thread_id": "t-loop-a"}}
    )
    _loop_checks(guard, log, inner, answer, handler.last_root_run_id)


async def test_plain_loop_async_streamed(guard: Any, log: ToolLog) -> None:
    inner, model, tools = _loop_parts(guard, log)
    handler = glc.callback_handler(guard, strict=True)
    answer = await _aloop(model, tools, stream=True).ainvoke(
        "go", config={"callbacks": [handler], "configurable": {"thread_id": "t-loop-as"}}
    )
    _loop_checks(guard, log, inner, answer, handler.last_root_run_id)


# -- concurrency --------------------------------------------------------------------------


def test_two_threads_never_share_or_resolve_each_others_tokens(guard: Any) -> None:
    """Two conversations at once; each tool call resolves only its own thread's tokens,
    and a token replayed from the other thread stays a token."""
    log = ToolLog()
    send_email, _ = make_tools(log)
    tool = glc.wrap_tool(guard, send_email, reveal=["EMAIL_ADDRESS"])
    model = glc.wrap_chat_model(guard, RecordingToolModel())
    results: dict[str, Any] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def conversation(thread_id: str, email: str) -> None:
        try:
            config = {"configurable": {"thread_id": thread_id}}
            barrier.wait()
            for i in range(20):
                ai = model.invoke([HumanMessage(f"customer email {email}, ticket {i}")], config=config)
                call = ai.tool_calls[0]
                # the body names the thread, so each delivery can be traced to its caller
                args = {**call["args"], "body": thread_id}
                tool.invoke(
                    {**call, "args": args, "id": f"{thread_id}-{i}", "type": "tool_call"}, config=config
                )
            results[thread_id] = call["args"]["to"]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=conversation, args=("thread-a", ALICE_EMAIL)),
        threading.Thread(target=conversation, args=("thread-b", BOB_EMAIL)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, [type(e).__name__ for e in errors]
    received = {(a["to"]) for a in log.of("send_email")}
    assert received == {ALICE_EMAIL, BOB_EMAIL}
    a_calls = log.calls[:]
    assert len(a_calls) == 40
    # every delivery got its own thread's customer, never the other thread's
    by_thread = {"thread-a": ALICE_EMAIL, "thread-b": BOB_EMAIL}
    assert all(args["to"] == by_thread[args["body"]] for _, args in a_calls)
    # and the model never saw either raw value
    assert_no_raw(model.wrapped.seen_text())
    # Each thread issued its own token; replaying thread A's token in thread B's scope
    # does not resolve to A's value.
    token_a = results["thread-a"]
    tool.invoke(
        {"name": "send_email", "args": {"to": token_a, "body": "x"}, "id": "replay", "type": "tool_call"},
        config={"configurable": {"thread_id": "thread-c"}},
    )
    assert log.of("send_email")[-1]["to"] == token_a
    assert guard.unmask(token_a, scope="thread-c", to="user") == token_a
    assert guard.unmask(token_a, scope="thread-b", to="user") != ALICE_EMAIL
    assert guard.unmask(results["thread-b"], scope="thread-a", to="user") != BOB_EMAIL
    if results["thread-a"] == results["thread-b"]:
        # same surface form in both threads: each still resolved to its own value above
        assert guard.unmask(token_a, scope="thread-a", to="user") == ALICE_EMAIL
        assert guard.unmask(token_a, scope="thread-b", to="user") == BOB_EMAIL


def test_streamed_answer_not_split_tokens_for_any_chunk_size(guard: Any) -> None:
    """Restoring a stream does not depend on where chunk boundaries fall."""
    for size in (1, 2, 3, 5, 8, 1000):
        inner = RecordingToolModel(chunk_size=size)
        model = glc.wrap_chat_model(guard, inner)
        config = {"configurable": {"thread_id": f"t-chunks-{size}"}}
        messages = [HumanMessage(QUESTION), *[]]
        first = model.invoke(messages, config=config)
        messages += [first]
        from langchain_core.messages import ToolMessage

        messages += [ToolMessage("ok", tool_call_id=c["id"]) for c in first.tool_calls]
        chunks = list(model.stream(messages, config=config))
        text = "".join(c.content for c in chunks if isinstance(c.content, str))
        assert text == f"Done: I emailed {ALICE_EMAIL} about the overdue invoice and logged a note."
        assert all(isinstance(c, AIMessageChunk) for c in chunks)
        assert_no_raw(inner.seen_text())


def test_lineage_nodes_name_the_guards_default_principal(guard: Any, log: ToolLog) -> None:
    """No principal in the run config: nodes and audit records both name the Guard's own."""
    _inner, model, tools = _loop_parts(guard, log)
    handler = glc.callback_handler(guard)
    _loop(model, tools).invoke("go", config={"callbacks": [handler], "configurable": {"thread_id": "t-dp"}})
    g = graph(guard, handler.last_root_run_id)
    principals = {r.get("principal") for r in audit_records(guard)}
    assert {n.get("principal") for n in g["nodes"]} == principals


@pytest.mark.parametrize("with_handler", [True, False])
def test_create_agent_restored_token_stream(guard: Any, log: ToolLog, with_handler: bool) -> None:
    """``middleware(restore_stream=True)``: the token stream a UI shows is restored text, one
    character at a time, while the model still sees only tokens and every e2e check holds."""
    from langchain.agents import create_agent

    model = RecordingToolModel(chunk_size=1)
    send_email, log_note = make_tools(log)
    mw = glc.middleware(guard, reveal={"send_email": ["EMAIL_ADDRESS"]}, restore_stream=True)
    agent = create_agent(model, [send_email, log_note], system_prompt=SYSTEM_PROMPT, middleware=[mw])
    handler = glc.callback_handler(guard)
    config: dict[str, Any] = {"configurable": {"thread_id": "t-rs"}}
    if with_handler:
        config["callbacks"] = [handler]
    streamed = ""
    last: Any = None
    for mode, item in agent.stream(
        {"messages": [HumanMessage(QUESTION)]}, config=config, stream_mode=["messages", "values"]
    ):
        if mode == "messages" and isinstance(item[0], AIMessageChunk):
            streamed += item[0].content if isinstance(item[0].content, str) else ""
        elif mode == "values":
            last = item
    assert f"I will email {ALICE_EMAIL} now." in streamed
    assert f"Done: I emailed {ALICE_EMAIL}" in streamed and "[EMAIL_" not in streamed
    run_id = handler.last_root_run_id if with_handler else mw.last_run_id
    _agent_checks(guard, log, model, last["messages"][-1].content, run_id)
    assert len(guard.lineage(run_id).steps("llm")) == (4 if with_handler else 2)


async def test_create_agent_restored_token_stream_async(guard: Any, log: ToolLog) -> None:
    from langchain.agents import create_agent

    model = RecordingToolModel(chunk_size=1)
    send_email, log_note = make_tools(log)
    mw = glc.middleware(guard, reveal={"send_email": ["EMAIL_ADDRESS"]}, restore_stream=True)
    agent = create_agent(model, [send_email, log_note], system_prompt=SYSTEM_PROMPT, middleware=[mw])
    handler = glc.callback_handler(guard)
    config = {"configurable": {"thread_id": "t-rs-a"}, "callbacks": [handler]}
    streamed = ""
    last: Any = None
    async for mode, item in agent.astream(
        {"messages": [HumanMessage(QUESTION)]}, config=config, stream_mode=["messages", "values"]
    ):
        if mode == "messages" and isinstance(item[0], AIMessageChunk):
            streamed += item[0].content if isinstance(item[0].content, str) else ""
        elif mode == "values":
            last = item
    assert f"Done: I emailed {ALICE_EMAIL}" in streamed and "[EMAIL_" not in streamed
    _agent_checks(guard, log, model, last["messages"][-1].content, handler.last_root_run_id)


def test_two_agent_threads_at_once_through_the_middleware(guard: Any) -> None:
    """create_agent + middleware, two conversations interleaved on two OS threads: each
    answer and each email names its own customer, and the model saw neither."""
    from concurrent.futures import ThreadPoolExecutor

    log = ToolLog()
    model = RecordingToolModel()
    agent = _agent(guard, log, model)

    def conversation(thread_id: str, email: str) -> list[str]:
        answers = []
        for i in range(8):
            result = agent.invoke(
                {
                    "messages": [
                        HumanMessage(f"Customer {email} is overdue (ticket {i}). Remind them, log it.")
                    ]
                },
                config={"configurable": {"thread_id": thread_id}},
            )
            answers.append(result["messages"][-1].content)
        return answers

    with ThreadPoolExecutor(2) as pool:
        a = pool.submit(conversation, "agent-a", ALICE_EMAIL)
        b = pool.submit(conversation, "agent-b", BOB_EMAIL)
        answers_a, answers_b = a.result(), b.result()
    assert all(ALICE_EMAIL in x and BOB_EMAIL not in x for x in answers_a)
    assert all(BOB_EMAIL in x and ALICE_EMAIL not in x for x in answers_b)
    sent = [args["to"] for args in log.of("send_email")]
    assert sorted(sent) == sorted([ALICE_EMAIL] * 8 + [BOB_EMAIL] * 8)
    assert_no_raw(model.seen_text() + dumps(log.of("log_note")))
