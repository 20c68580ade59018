"""A scripted, offline chat model that behaves like a small tool-calling agent.

It is a real LangChain ``BaseChatModel`` (so wrappers, middleware, callbacks and
``create_agent`` treat it like any provider model) and it *records every
message it receives*.  That record is what the demo prints as "what the model
saw", and what tests search for raw values.

The script: query the customers table, then email the first customer with a
balance and log a note about it, then answer.  It refers to people by what it
found in the tool output: the placeholders when guarded -- exactly what a real
model does with guarded data -- and the raw values when not.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field, PrivateAttr

_PLACEHOLDER = re.compile(r"\[([A-Z][A-Z0-9]*(?:_[A-Z][A-Z0-9]*)*)_(\d+)\]")

SQL_QUERY = (
    "SELECT name, email, card_number, balance_due, notes FROM customers "
    "WHERE balance_due > 0 ORDER BY balance_due DESC"
)


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)


def _first_customer(table: str) -> tuple[str, str]:
    """The name and email cells of the first row of the SQL tool's Markdown table.

    Guarded, these are placeholders (``[PERSON_1]``, ``[EMAIL_1]``); unguarded
    (``guardllm demo --unguarded``) the raw values -- the script works on what it got.
    """
    lines = [ln for ln in table.splitlines() if ln.startswith("|")]
    if len(lines) >= 3:
        head = [c.strip() for c in lines[0].strip("|").split("|")]
        row = [c.strip() for c in lines[2].strip("|").split("|")]
        cells = dict(zip(head, row, strict=False))
        if cells.get("name") and cells.get("email"):
            return cells["name"], cells["email"]
    placeholders = _PLACEHOLDER.findall(table)
    person = next((f"[{t}_{n}]" for t, n in placeholders if t == "PERSON"), "the customer")
    email = next((f"[{t}_{n}]" for t, n in placeholders if t == "EMAIL"), "")
    return person, email


class ScriptedAgentModel(BaseChatModel):
    """Plays a fixed three-step agent script and records every input."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    #: Every list of messages this model was called with, in order.
    seen: list[list[BaseMessage]] = Field(default_factory=list, exclude=True)
    #: Characters per streamed content chunk (small on purpose: tokens get split).
    chunk_size: int = 3
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "guardllm-scripted"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedAgentModel:  # type: ignore[override]
        # The script already knows its tools; binding must not change behaviour.
        return self

    # -- the script ---------------------------------------------------------
    def _reply(self, messages: list[BaseMessage]) -> AIMessage:
        with self._lock:
            self.seen.append(list(messages))
        last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
        results = [m for m in messages[last_human + 1 :] if isinstance(m, ToolMessage)]
        if not results:
            return AIMessage(
                content="Let me look up customers with a balance due.",
                tool_calls=[{"name": "sql_db_query", "args": {"query": SQL_QUERY}, "id": "call_sql_1"}],
            )
        person, email = _first_customer(_text(results[0]))
        if len(results) == 1:
            return AIMessage(
                content=f"{person} has the largest balance due. I will email them and log a note.",
                tool_calls=[
                    {
                        "name": "send_email",
                        "args": {
                            "to": email,
                            "subject": "Your balance",
                            "body": "Hello, a friendly reminder that a balance is due on your account.",
                        },
                        "id": "call_email_1",
                    },
                    {
                        "name": "log_note",
                        "args": {"text": f"Balance reminder sent to {person} <{email}>."},
                        "id": "call_note_1",
                    },
                ],
            )
        return AIMessage(
            content=f"Done: I emailed {person} at {email} about the balance due and logged a note."
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._reply(messages))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        reply = self._reply(messages)
        text = reply.content if isinstance(reply.content, str) else ""
        for i in range(0, len(text), self.chunk_size):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=text[i : i + self.chunk_size]))
            if run_manager:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk
        if reply.tool_calls:
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content="",
                    tool_call_chunks=[
                        tool_call_chunk(name=c["name"], args=json.dumps(c["args"]), id=c["id"], index=i)
                        for i, c in enumerate(reply.tool_calls)
                    ],
                )
            )
