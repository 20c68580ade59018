"""``guard.wrap_chat_model``: every message kind masked on the way in, text restored on the
way out (never tool-call arguments), bind_tools / structured output / batch / streaming."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage, ToolMessage
from pydantic import BaseModel

from guardllm.integrations.langchain import GuardedChatModel, wrap_chat_model
from tests.lc_support import (
    ALICE_EMAIL,
    ALICE_SSN,
    BOB_EMAIL,
    RecordingToolModel,
    assert_no_raw,
    audit_records,
    dumps,
)

CFG = {"configurable": {"thread_id": "t1", "user_id": "u1"}}


@pytest.fixture
def guard() -> Any:
    from guardllm import Guard

    return Guard(store="memory://")


class Echo(RecordingToolModel):
    """Answers with the text of the last message it saw (tokens and all)."""

    def _reply(self, messages: list[Any]) -> AIMessage:
        with self._lock:
            self.seen.append(list(messages))
        last = messages[-1].content
        return AIMessage(content=last if isinstance(last, str) else json.dumps(last))


def test_every_message_kind_is_masked(guard: Any) -> None:
    inner = Echo()
    model = guard.wrap_chat_model(inner)
    history = [
        SystemMessage(f"Escalate to {BOB_EMAIL}."),
        HumanMessage([{"type": "text", "text": f"I am {ALICE_EMAIL}"}, {"type": "text", "text": ALICE_SSN}]),
        AIMessage(
            content=f"Emailing {ALICE_EMAIL}",
            tool_calls=[{"name": "send_email", "args": {"to": ALICE_EMAIL, "cc": [BOB_EMAIL]}, "id": "c1"}],
        ),
        ToolMessage(json.dumps({"status": "sent", "to": ALICE_EMAIL}), tool_call_id="c1"),
        HumanMessage(f"thanks, my ssn is {ALICE_SSN}"),
    ]
    model.invoke(history, config=CFG)
    sent = inner.seen[-1]
    assert_no_raw(inner.seen_text())
    assert sent[2].tool_calls[0]["args"]["to"].startswith("[EMAIL")
    assert json.loads(sent[3].content)["to"] == sent[2].tool_calls[0]["args"]["to"]  # same token
    # the caller's messages were not touched
    assert ALICE_EMAIL in history[2].tool_calls[0]["args"]["to"]


def test_output_restored_for_the_user_but_tool_calls_stay_tokens(guard: Any) -> None:
    inner = RecordingToolModel()
    model = wrap_chat_model(guard, inner)
    ai = model.invoke([HumanMessage(f"email {ALICE_EMAIL} about the invoice")], config=CFG)
    assert ai.content == f"I will email {ALICE_EMAIL} now."
    assert ai.tool_calls[0]["args"]["to"].startswith("[EMAIL")  # the tool wrapper decides
    assert_no_raw(inner.seen_text())


def test_to_model_restores_nothing(guard: Any) -> None:
    model = wrap_chat_model(guard, RecordingToolModel(), to="tool:other")
    ai = model.invoke([HumanMessage(f"email {ALICE_EMAIL}")], config=CFG)
    assert "[EMAIL" in ai.content and ALICE_EMAIL not in ai.content


def test_scope_comes_from_thread_id(guard: Any) -> None:
    inner = Echo()
    model = wrap_chat_model(guard, inner)
    model.invoke([HumanMessage(f"a {ALICE_EMAIL}")], config={"configurable": {"thread_id": "A"}})
    model.invoke([HumanMessage(f"b {BOB_EMAIL}")], config={"configurable": {"thread_id": "B"}})
    tok_a = inner.seen[0][0].content.split()[-1]
    tok_b = inner.seen[1][0].content.split()[-1]
    assert guard.unmask(tok_a, scope="A") == ALICE_EMAIL
    assert guard.unmask(tok_b, scope="B") == BOB_EMAIL
    assert guard.unmask(tok_a, scope="B") in (tok_a, BOB_EMAIL)  # never A's value
    rec = [r for r in audit_records(guard, event="llm_call")]
    assert {r["principal"] for r in rec}  # recorded with a principal
    assert_no_raw(dumps(audit_records(guard)))


def test_bind_tools_keeps_the_guard(guard: Any) -> None:
    inner = RecordingToolModel()
    model = wrap_chat_model(guard, inner)

    def send_email(to: str, body: str) -> str:
        """Send an email."""
        return "ok"

    bound = model.bind_tools([send_email], tool_choice="any")
    assert isinstance(bound.bound, GuardedChatModel)
    assert len(bound.kwargs["tools"]) == 1 and bound.kwargs["tool_choice"] == "any"
    ai = bound.invoke([HumanMessage(f"email {ALICE_EMAIL}")], config=CFG)
    assert ai.tool_calls
    assert_no_raw(inner.seen_text())


def test_with_structured_output_is_guarded(guard: Any) -> None:
    class Contact(BaseModel):
        email: str

    class StructuredFake(RecordingToolModel):
        def _reply(self, messages: list[Any]) -> AIMessage:
            with self._lock:
                self.seen.append(list(messages))
            token = messages[-1].content.split()[-1]
            return AIMessage(
                content="", tool_calls=[{"name": "Contact", "args": {"email": token}, "id": "s1"}]
            )

    inner = StructuredFake()
    structured = wrap_chat_model(guard, inner).with_structured_output(Contact)
    out = structured.invoke([HumanMessage(f"extract the contact: {ALICE_EMAIL}")], config=CFG)
    assert isinstance(out, Contact) and out.email.startswith("[EMAIL")  # tool-call args stay tokens
    assert_no_raw(inner.seen_text())


def test_batch(guard: Any) -> None:
    inner = Echo()
    model = wrap_chat_model(guard, inner)
    outs = model.batch(
        [[HumanMessage(f"x {ALICE_EMAIL}")], [HumanMessage(f"y {BOB_EMAIL}")]],
        config=[{"configurable": {"thread_id": "b1"}}, {"configurable": {"thread_id": "b2"}}],
    )
    assert [o.content for o in outs] == [f"x {ALICE_EMAIL}", f"y {BOB_EMAIL}"]
    assert_no_raw(inner.seen_text())


@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_stream_restores_tokens_split_across_chunks(guard: Any, size: int) -> None:
    inner = RecordingToolModel(chunk_size=size)
    model = wrap_chat_model(guard, inner)
    chunks = list(model.stream([HumanMessage(f"email {ALICE_EMAIL}")], config=CFG))
    text = "".join(c.content for c in chunks if isinstance(c.content, str))
    assert text == f"I will email {ALICE_EMAIL} now."
    # no chunk shows a partial token, and the stream was not buffered whole
    assert not any("[EMAIL" in c.content for c in chunks if isinstance(c.content, str))
    # (early release: "now." shows with the restored value when its "." arrives)
    assert sum(1 for c in chunks if c.content) >= 3
    full: Any = None
    for c in chunks:
        full = c if full is None else full + c
    assert full.tool_calls[0]["args"]["to"].startswith("[EMAIL")  # tool-call chunks pass through


async def test_astream_and_ainvoke(guard: Any) -> None:
    inner = RecordingToolModel(chunk_size=1)
    model = wrap_chat_model(guard, inner)
    text = ""
    async for chunk in model.astream([HumanMessage(f"email {ALICE_EMAIL}")], config=CFG):
        assert isinstance(chunk, AIMessageChunk)
        text += chunk.content if isinstance(chunk.content, str) else ""
    assert text == f"I will email {ALICE_EMAIL} now."
    ai = await model.ainvoke([HumanMessage(f"email {ALICE_EMAIL}")], config=CFG)
    assert ai.content == text
    assert_no_raw(inner.seen_text())


def test_wraps_generic_fake_chat_model_with_content_blocks(guard: Any) -> None:
    reply = AIMessage(
        content=[{"type": "text", "text": "Contacting "}, {"type": "text", "text": "[EMAIL_1]"}]
    )
    model = wrap_chat_model(guard, GenericFakeChatModel(messages=iter([reply])))
    guard.mask(ALICE_EMAIL, scope="t1")
    ai = model.invoke([HumanMessage("hi")], config=CFG)
    assert ai.content[1]["text"] == ALICE_EMAIL


def test_identity(guard: Any) -> None:
    model = wrap_chat_model(guard, RecordingToolModel())
    assert model._llm_type == "guardllm-recording-tool-model"
    assert model._identifying_params["guardllm"] is True
    assert model._get_ls_params()["ls_model_type"] == "chat"
    with pytest.raises(TypeError):
        wrap_chat_model(guard, object())  # type: ignore[arg-type]


def test_guarded_model_and_tools_inside_create_agent(guard: Any) -> None:
    """The wrappers alone (no middleware) inside ``create_agent``."""
    from langchain.agents import create_agent

    from guardllm.integrations.langchain import wrap_tool
    from tests.lc_support import QUESTION, ToolLog, make_tools

    log = ToolLog()
    send_email, log_note = make_tools(log)
    inner = RecordingToolModel()
    agent = create_agent(
        wrap_chat_model(guard, inner),
        [wrap_tool(guard, send_email, reveal=["EMAIL_ADDRESS"]), wrap_tool(guard, log_note)],
    )
    result = agent.invoke(
        {"messages": [HumanMessage(QUESTION)]}, config={"configurable": {"thread_id": "ag"}}
    )
    assert_no_raw(inner.seen_text())
    assert log.of("send_email")[0]["to"] == ALICE_EMAIL
    assert_no_raw(dumps(log.of("log_note")))
    assert ALICE_EMAIL in result["messages"][-1].content


def test_no_global_cache_of_raw_prompts(guard: Any) -> None:
    from langchain_core.caches import InMemoryCache
    from langchain_core.globals import set_llm_cache

    cache = InMemoryCache()
    set_llm_cache(cache)
    try:
        inner = RecordingToolModel()
        wrap_chat_model(guard, inner).invoke([HumanMessage(f"email {ALICE_EMAIL}")], config=CFG)
        assert_no_raw(dumps({str(k): [g.message.content for g in v] for k, v in cache._cache.items()}))
    finally:
        set_llm_cache(None)


def test_stream_of_content_blocks_restores_per_block_index(guard: Any) -> None:
    """Anthropic-style chunks: lists of text blocks with an index, a token split across them."""

    class BlockStreamer(RecordingToolModel):
        def _chunks(self, message: AIMessage) -> Any:
            for piece in ("Write to [EMA", "IL_1] to", "day."):
                yield AIMessageChunk(content=[{"type": "text", "text": piece, "index": 0}])

    guard.mask(ALICE_EMAIL, scope="t1")
    chunks = list(wrap_chat_model(guard, BlockStreamer()).stream([HumanMessage("hi")], config=CFG))
    text = "".join(b["text"] for c in chunks for b in c.content if isinstance(b, dict))
    assert text == f"Write to {ALICE_EMAIL} today."
    assert not any("[EMA" in b["text"] for c in chunks for b in c.content if isinstance(b, dict))


def test_with_structured_output_uses_the_providers_own_method_through_the_guard(guard: Any) -> None:
    """A provider-native structured output (here: a JSON-mode parser) still runs through the guard."""
    from langchain_core.output_parsers import JsonOutputParser

    class JsonProvider(Echo):
        def with_structured_output(self, schema: Any, *, include_raw: bool = False, **kwargs: Any) -> Any:
            return self.bind(response_format={"type": "json_object"}) | JsonOutputParser()

    class Contact(BaseModel):
        email: str

    inner = JsonProvider()
    structured = wrap_chat_model(guard, inner).with_structured_output(Contact, method="json_schema")
    out = structured.invoke([HumanMessage(json.dumps({"email": ALICE_EMAIL}))], config=CFG)
    assert out == {"email": ALICE_EMAIL}  # restored for the caller
    assert_no_raw(inner.seen_text())


def test_agent_token_stream_shows_restored_text_only(guard: Any) -> None:
    """``stream_mode="messages"`` streams the guarded model's restored chunks, not the
    wrapped model's token-bearing ones."""
    from langchain.agents import create_agent

    from guardllm.integrations.langchain import wrap_tool
    from tests.lc_support import QUESTION, ToolLog, make_tools

    send_email, log_note = make_tools(ToolLog())
    agent = create_agent(
        wrap_chat_model(guard, RecordingToolModel(chunk_size=2)),
        [wrap_tool(guard, send_email, reveal=["EMAIL_ADDRESS"]), wrap_tool(guard, log_note)],
    )
    streamed = ""
    for message, _meta in agent.stream(
        {"messages": [HumanMessage(QUESTION)]},
        stream_mode="messages",
        config={"configurable": {"thread_id": "tok"}},
    ):
        if isinstance(message, AIMessageChunk) and isinstance(message.content, str):
            streamed += message.content
    assert f"I will email {ALICE_EMAIL} now." in streamed
    assert f"Done: I emailed {ALICE_EMAIL}" in streamed
    assert "[EMAIL" not in streamed


def test_stream_is_not_buffered_whole(guard: Any) -> None:
    """Restored text reaches the caller while the wrapped model is still streaming: only a
    suffix that could still become a token is held back."""
    state = {"finished": False}

    class Slow(RecordingToolModel):
        def _stream(self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
            yield from super()._stream(messages, stop, run_manager, **kw)
            state["finished"] = True

    model = wrap_chat_model(guard, Slow(chunk_size=1))
    early = ""
    for chunk in model.stream([HumanMessage(f"email {ALICE_EMAIL}")], config=CFG):
        if state["finished"]:
            break
        early += chunk.content if isinstance(chunk.content, str) else ""
    # everything up to the token and the restored address itself arrived before the end
    assert early.startswith(f"I will email {ALICE_EMAIL}")


def test_one_character_tool_call_chunks_assemble_into_the_token(guard: Any) -> None:
    """Tool-call arguments streamed one character at a time are assembled by LangChain
    into the whole token (never restored by the model wrapper); the tool wrapper then
    reveals it to the granted tool only."""
    from langchain_core.tools import tool

    from guardllm.integrations.langchain import wrap_tool

    class CharArgs(RecordingToolModel):
        def _chunks(self, message: AIMessage) -> Any:
            for index, call in enumerate(message.tool_calls):
                args = json.dumps(call["args"])
                yield AIMessageChunk(
                    content="",
                    tool_call_chunks=[{"name": call["name"], "args": "", "id": call["id"], "index": index}],
                )
                for ch in args:
                    yield AIMessageChunk(
                        content="", tool_call_chunks=[{"name": None, "args": ch, "id": None, "index": index}]
                    )

    inner = CharArgs()
    model = wrap_chat_model(guard, inner)
    chunks = list(model.stream([HumanMessage(f"email {ALICE_EMAIL}")], config=CFG))
    assert len(chunks) > 20
    full: Any = None
    for c in chunks:
        full = c if full is None else full + c
    call = full.tool_calls[0]
    assert call["name"] == "send_email" and call["args"]["to"].startswith("[EMAIL_")
    assert_no_raw(dumps([c.tool_call_chunks for c in chunks]))
    received: list[str] = []

    @tool
    def send_email(to: str, body: str) -> str:
        """Send an email."""
        received.append(to)
        return "sent"

    wrap_tool(guard, send_email, reveal=["EMAIL_ADDRESS"]).invoke({**call, "type": "tool_call"}, config=CFG)
    assert received == [ALICE_EMAIL]
    assert_no_raw(inner.seen_text())


async def test_abatch_keeps_each_inputs_scope(guard: Any) -> None:
    inner = Echo()
    model = wrap_chat_model(guard, inner)
    outs = await model.abatch(
        [[HumanMessage(f"x {ALICE_EMAIL}")], [HumanMessage(f"y {BOB_EMAIL}")]],
        config=[{"configurable": {"thread_id": "ab1"}}, {"configurable": {"thread_id": "ab2"}}],
    )
    assert [o.content for o in outs] == [f"x {ALICE_EMAIL}", f"y {BOB_EMAIL}"]
    assert_no_raw(inner.seen_text())
    tok_a = (
        inner.seen[0][0].content.split()[-1]
        if "x" in inner.seen[0][0].content
        else inner.seen[1][0].content.split()[-1]
    )
    assert guard.unmask(tok_a, scope="ab1") == ALICE_EMAIL


def test_tool_message_artifact_is_masked_before_the_wrapped_model(guard: Any) -> None:
    inner = Echo()
    history = [
        HumanMessage("look alice up"),
        AIMessage(content="", tool_calls=[{"name": "crm", "args": {"who": "alice"}, "id": "c1"}]),
        ToolMessage("found", tool_call_id="c1", artifact={"email": ALICE_EMAIL}),
    ]
    wrap_chat_model(guard, inner).invoke(history, config=CFG)
    assert_no_raw(dumps([m.model_dump() for m in inner.seen[-1]]))


@pytest.mark.parametrize("stream", [False, True])
def test_output_restored_only_for_types_the_policy_lets_the_user_see(stream: bool) -> None:
    """``user: false`` for US_SSN: the email comes back restored, the SSN stays a token --
    in a whole answer and in a one-character stream alike."""
    from guardllm import Guard, Policy

    guard = Guard(
        policy=Policy.from_dict({"entities": {"US_SSN": {"reveal_to": {"user": False}}}}), store="memory://"
    )
    inner = Echo(chunk_size=1)
    model = wrap_chat_model(guard, inner)
    question = [HumanMessage(f"{ALICE_EMAIL} {ALICE_SSN}")]
    if stream:
        text = "".join(str(c.content) for c in model.stream(question, config=CFG))
    else:
        text = model.invoke(question, config=CFG).content
    email, ssn = text.split(" ")
    assert email == ALICE_EMAIL
    assert ssn.startswith("[") and ssn.endswith("]") and ssn != ALICE_SSN
    assert_no_raw(inner.seen_text())


def test_without_a_configured_principal_the_guards_own_is_recorded() -> None:
    """No handler, no principal in the config: the model's lineage nodes and its audit
    record both name the Guard's principal."""
    from guardllm import Guard

    guard = Guard(store="memory://", principal="svc:chat")
    wrap_chat_model(guard, Echo()).invoke(
        [HumanMessage(f"x {ALICE_EMAIL}")],
        config={"configurable": {"thread_id": "dp", "guardllm_run_id": "r-dp"}},
    )
    nodes = guard.lineage("r-dp").to_dict()["nodes"]
    assert nodes and {n.get("principal") for n in nodes} == {"svc:chat"}
    assert {r.get("principal") for r in audit_records(guard)} == {"svc:chat"}
