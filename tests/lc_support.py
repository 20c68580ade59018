"""Shared pieces of the LangChain integration tests: raw test values, the two agent tools,
and a recording fake chat model that scripts tool calls from the tokens it saw.

The model is a real ``BaseChatModel`` subclass (LangChain runs it like any provider
model: callbacks, streaming, ``bind_tools``, ``create_agent``).  It keeps every message
list it received so tests can prove no raw value ever reached it.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.tools import tool
from pydantic import Field, PrivateAttr

# Raw values: none may ever reach a model, a log, the audit log or the lineage store.
ALICE_EMAIL = "alice.johnson@example.com"
BOB_EMAIL = "bob.miller@example.org"
ALICE_SSN = "536-22-4187"
BOB_SSN = "412-55-7361"
RAW_VALUES = (ALICE_EMAIL, BOB_EMAIL, ALICE_SSN, BOB_SSN)

CUSTOMERS = (
    "Customer list:\n"
    f"1. email {ALICE_EMAIL}, SSN {ALICE_SSN}, invoice overdue\n"
    f"2. email {BOB_EMAIL}, SSN {BOB_SSN}, paid\n"
)
QUESTION = CUSTOMERS + "Email the customer with the overdue invoice a reminder and log a note about it."
SYSTEM_PROMPT = f"You are a billing assistant. Escalations go to {BOB_EMAIL}."

TOKEN = re.compile(r"\[([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)_(\d+)\]")


def assert_no_raw(text: str, values: Sequence[str] = RAW_VALUES) -> None:
    """Fail naming the index of a leaked value, not the value itself."""
    leaked = [i for i, v in enumerate(values) if v in text]
    assert not leaked, f"raw test values #{leaked} found"


def dumps(obj: Any) -> str:
    return json.dumps(obj, default=str, ensure_ascii=False)


class ToolLog:
    """What each tool received, per call (thread-safe)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def add(self, name: str, args: dict[str, Any]) -> None:
        with self._lock:
            self.calls.append((name, dict(args)))

    def of(self, name: str) -> list[dict[str, Any]]:
        return [a for n, a in self.calls if n == name]


def make_tools(log: ToolLog) -> tuple[Any, Any]:
    """``send_email`` (to be granted EMAIL_ADDRESS) and ``log_note`` (granted nothing)."""

    @tool
    def send_email(to: str, body: str) -> str:
        """Send an email to a customer."""
        log.add("send_email", {"to": to, "body": body})
        # Echoes the address back, as real APIs do: the wrapper must mask it again.
        return json.dumps({"status": "sent", "to": to})

    @tool
    def log_note(text: str) -> str:
        """Write a note into the CRM log."""
        log.add("log_note", {"text": text})
        return "logged"

    return send_email, log_note


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)


class RecordingToolModel(BaseChatModel):
    """Scripted tool-calling model: records every input and acts on the tokens it saw.

    Turn 1 (no tool results since the last user message): call ``send_email`` with the
    first EMAIL token of the latest user message, and ``log_note`` mentioning it.
    Turn 2: answer in text, naming the token.  ``chunk_size`` sets how finely the
    answer streams (1 = one character per chunk).
    """

    seen: list[list[BaseMessage]] = Field(default_factory=list, exclude=True)
    chunk_size: int = 1
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "recording-tool-model"

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any) -> Any:
        # The script knows its tools; keep LangChain's binding shape (a RunnableBinding).
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=[getattr(t, "name", str(t)) for t in tools], **kwargs)

    def seen_text(self) -> str:
        parts = []
        for messages in self.seen:
            for m in messages:
                parts.append(_text(m))
                parts.append(dumps(getattr(m, "tool_calls", None) or []))
                parts.append(dumps(m.additional_kwargs))
        return "\n".join(parts)

    def _reply(self, messages: list[BaseMessage]) -> AIMessage:
        with self._lock:
            self.seen.append(list(messages))
        last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
        results = [m for m in messages[last_human + 1 :] if isinstance(m, ToolMessage)]
        human = _text(messages[last_human]) if last_human >= 0 else ""
        emails = [m.group(0) for m in TOKEN.finditer(human) if m.group(1).startswith("EMAIL")]
        target = emails[0] if emails else "[EMAIL_1]"
        if not results:
            return AIMessage(
                content=f"I will email {target} now.",
                tool_calls=[
                    {
                        "name": "send_email",
                        "args": {"to": target, "body": "Your invoice is overdue."},
                        "id": "call_email_1",
                    },
                    {"name": "log_note", "args": {"text": f"Reminder sent to {target}"}, "id": "call_note_1"},
                ],
            )
        return AIMessage(content=f"Done: I emailed {target} about the overdue invoice and logged a note.")

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._reply(messages))])

    def _chunks(self, message: AIMessage) -> Iterator[AIMessageChunk]:
        text = message.content if isinstance(message.content, str) else ""
        step = max(1, self.chunk_size)
        for i in range(0, len(text), step):
            yield AIMessageChunk(content=text[i : i + step])
        for index, call in enumerate(message.tool_calls):
            yield AIMessageChunk(
                content="",
                tool_call_chunks=[
                    {
                        "name": call["name"],
                        "args": json.dumps(call["args"]),
                        "id": call["id"],
                        "index": index,
                    }
                ],
            )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in self._chunks(self._reply(messages)):
            gen = ChatGenerationChunk(message=chunk)
            if run_manager is not None:
                run_manager.on_llm_new_token(
                    chunk.content if isinstance(chunk.content, str) else "", chunk=gen
                )
            yield gen

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._chunks(self._reply(messages)):
            gen = ChatGenerationChunk(message=chunk)
            if run_manager is not None:
                await run_manager.on_llm_new_token(
                    chunk.content if isinstance(chunk.content, str) else "", chunk=gen
                )
            yield gen


def audit_records(guard: Any, **filters: Any) -> list[dict[str, Any]]:
    """Audit records as plain dicts (oldest first)."""
    return [r.to_dict() for r in guard.audit.query(**filters)]


def graph(guard: Any, run_id: Any) -> dict[str, Any]:
    """The lineage graph of a run as plain data: ``{"nodes": [...], "edges": [...]}``."""
    data = guard.lineage(str(run_id)).to_dict()
    nodes = data.get("nodes") or []
    edges = data.get("edges") or []
    if isinstance(nodes, dict):  # keyed by node id
        nodes = [{"id": k, **v} for k, v in nodes.items()]

    def flat(item: dict[str, Any]) -> dict[str, Any]:
        out = {**(item.get("attrs") or item.get("attributes") or {}), **item}
        if "id" not in out and "node_id" in out:
            out["id"] = out["node_id"]
        return out

    return {"nodes": [flat(dict(n)) for n in nodes], "edges": [flat(dict(e)) for e in edges]}


def node_ids(g: dict[str, Any], kind: str | None = None, name: str | None = None) -> list[str]:
    out = []
    for n in g["nodes"]:
        if kind is not None and n.get("kind") != kind:
            continue
        if name is not None and n.get("name") != name:
            continue
        out.append(str(n.get("id")))
    return out


def edges_into(g: dict[str, Any], target: str) -> list[dict[str, Any]]:
    return [e for e in g["edges"] if str(e.get("target")) == target]


def edges_from(g: dict[str, Any], source: str) -> list[dict[str, Any]]:
    return [e for e in g["edges"] if str(e.get("source")) == source]
