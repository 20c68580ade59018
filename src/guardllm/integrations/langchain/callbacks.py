"""``guard.callback_handler()``: lineage, audit and a leak check for any chain, agent or graph.

A callback handler cannot change what a model receives -- masking lives in the wrappers
and the agent middleware.  This handler observes and records:

* every step (chat model / LLM, tool, retriever, chain) as a lineage node keyed by
  LangChain's own ``run_id``, with its ``parent_run_id`` as parent; the root run's id is
  the lineage run id (``guard.lineage(root_run_id)``);
* data-flow edges: user input -> first model, a model's tool call -> the tool (revealed /
  masked, as the tool wrapper actually did), tool result -> next model call, retriever
  documents -> next model call, a model's answer -> ``sink:answer``, and a guarded model
  -> the provider model it called with the masked prompt.  Each edge carries entity types,
  token fingerprints (never values), status and tiktoken token counts;
* a leak check on every model input: a raw sensitive value there (an unguarded chain)
  gives a ``leak`` audit record (types only) and a ``leaked`` edge; with ``strict=True`` the
  handler raises :class:`guardllm.LeakError` and LangChain stops the call.

The handler keeps no message text after a step ends, only per-run bookkeeping, dropped
when the root run finishes.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage, HumanMessage, ToolMessage

from guardllm.errors import GuardError, LeakError
from guardllm.integrations.langchain._context import PRINCIPAL_KEYS, SCOPE_KEYS, registry
from guardllm.integrations.langchain._messages import (
    message_text,
    messages_text,
    types_and_fingerprints,
    unique_refs,
)
from guardllm.tokencount import count_tokens

__all__ = ["GuardCallbackHandler", "callback_handler"]

log = logging.getLogger(__name__)

GUARDED_KEY = "guardllm_guarded"
USER = "source:user"
ANSWER = "sink:answer"
UNGUARDED = "source:unguarded"


@dataclass
class _Run:
    run_id: str
    root: str
    parent: str | None
    kind: str
    name: str
    guarded: str | None
    scope: str | None
    principal: str | None
    role: str = "step"  # "model", "provider" (a guarded model's inner call), "tool", ...
    tool_call_id: str | None = None
    input_text: str = ""
    inner_out: tuple[str, list[Any]] | None = None
    inputs_done: bool = False
    recorded: tuple[str | None, str | None] = (None, None)  # scope, principal last written


@dataclass
class _Flow:
    """Per root run: what is in flight between steps."""

    first_model_done: bool = False
    last_model: str | None = None
    pending_calls: dict[str, str] = field(default_factory=dict)  # tool_call_id -> model node
    pending_results: list[tuple[str, str, str | None]] = field(
        default_factory=list
    )  # (tool node, text, call id)
    pending_docs: list[tuple[str, str]] = field(default_factory=list)  # (retriever node, masked text)
    runs: list[str] = field(default_factory=list)
    principal: str | None = None  # learnt from a guarded step; LangGraph does not copy it to metadata
    scope: str | None = None


def _sid(value: Any) -> str | None:
    return None if value is None else str(value)


def _meta(metadata: dict[str, Any] | None, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = (metadata or {}).get(key)
        if value is not None and value != "":
            return str(value)
    return None


def _name(serialized: dict[str, Any] | None, kwargs: dict[str, Any], default: str) -> str:
    if kwargs.get("name"):
        return str(kwargs["name"])
    if serialized:
        if serialized.get("name"):
            return str(serialized["name"])
        ident = serialized.get("id")
        if isinstance(ident, list) and ident:
            return str(ident[-1])
    return default


class GuardCallbackHandler(BaseCallbackHandler):
    """Records each run's lineage graph and audits leaks; see the module docs."""

    is_guardllm_handler = True
    run_inline = True  # keep event order (and so edge order) deterministic in async runs

    def __init__(
        self,
        guard: Any,
        *,
        strict: bool = False,
        scope: str | None = None,
        principal: str | None = None,
        capacity: int = 10_000,
    ) -> None:
        self.guard = guard
        self.strict = strict
        self.raise_error = strict  # LangChain re-raises handler errors only when this is set
        self.scope = scope
        self.principal = principal
        self._runs: OrderedDict[str, _Run] = OrderedDict()
        self._roots: OrderedDict[str, str] = OrderedDict()
        self._flows: dict[str, _Flow] = {}
        self._capacity = capacity
        self._lock = threading.RLock()
        self.last_root_run_id: str | None = None

    def __repr__(self) -> str:
        return f"GuardCallbackHandler(strict={self.strict})"

    # -- public helpers ----------------------------------------------------------------------
    def root_run_id(self, run_id: Any) -> str | None:
        """The root run (= lineage run id) of ``run_id``, while this handler knows it."""
        with self._lock:
            return self._roots.get(str(run_id))

    # -- bookkeeping -------------------------------------------------------------------------
    def _start(
        self, run_id: UUID, parent_run_id: UUID | None, kind: str, name: str, metadata: dict[str, Any] | None
    ) -> _Run:
        rid, pid = str(run_id), _sid(parent_run_id)
        with self._lock:
            root = self._roots.get(pid, pid) if pid else rid
            parent = self._runs.get(pid) if pid else None
            scope = _meta(metadata, SCOPE_KEYS) or (parent.scope if parent else None)
            principal = _meta(metadata, PRINCIPAL_KEYS) or (parent.principal if parent else None)
            facts = registry.get(rid) or (registry.get(pid) if pid else None)
            if facts is not None:
                scope = scope or facts.scope
                principal = principal or facts.principal
            flow = self._flows.get(root)
            principal = principal or (flow.principal if flow is not None else None)
            run = _Run(
                rid,
                root,
                pid,
                kind,
                name,
                (metadata or {}).get(GUARDED_KEY),
                scope or self.scope,
                principal or self.principal,
            )
            self._runs[rid] = run
            self._roots[rid] = root
            while len(self._roots) > self._capacity:
                self._roots.popitem(last=False)
            flow = self._flows.setdefault(root, _Flow())
            flow.runs.append(rid)
            if pid is None:
                self.last_root_run_id = rid
        self._node(run)
        return run

    def _node(self, run: _Run, **extra: Any) -> None:
        run.recorded = (run.scope, run.principal)
        attrs = {"scope": run.scope, "principal": run.principal, **extra}
        if run.guarded:
            attrs["guarded"] = True
        self.guard.recorder.node(run.root, run.run_id, run.kind, run.name, parent_id=run.parent, **attrs)

    def _scope_of(self, run: _Run) -> str | None:
        """The run's scope, refreshed from what the wrappers registered since it started."""
        keys = [run.run_id, run.parent]
        if run.tool_call_id:
            keys.append(f"tool_call:{run.tool_call_id}")
        flow = self._flows.get(run.root)
        for key in keys:
            facts = registry.get(key)
            if facts is None:
                continue
            if facts.scope and (not run.scope or run.scope == self.scope):
                run.scope = facts.scope
            if facts.principal:
                if not run.principal or run.principal == self.principal:
                    run.principal = facts.principal
                if flow is not None and not flow.principal:
                    flow.principal = facts.principal
            if flow is not None and facts.scope and not flow.scope:
                flow.scope = facts.scope
        if flow is not None:
            run.principal = run.principal or flow.principal
            run.scope = run.scope or flow.scope
        return run.scope

    def _refs(self, text: str, run: _Run) -> list[Any]:
        if not text:
            return []
        return unique_refs(self.guard.find_tokens(text, scope=self._scope_of(run)))

    def _edge(
        self,
        run: _Run,
        source: str,
        target: str,
        text: str,
        label: str,
        status: str = "masked",
        refs: list[Any] | None = None,
    ) -> None:
        if refs is None:
            refs = self._refs(text, run)
        types, fps = types_and_fingerprints(refs)
        self.guard.recorder.edge(
            run.root,
            source,
            target,
            entity_types=types,
            fingerprints=fps,
            status=status,
            tokens=count_tokens(text),
            label=label,
        )

    def _end(self, run_id: UUID, **extra: Any) -> _Run | None:
        rid = str(run_id)
        with self._lock:
            run = self._runs.get(rid)
        if run is None:
            return None
        self._scope_of(run)  # a wrapper may have told us scope/principal while it ran
        if extra or (run.scope, run.principal) != run.recorded:
            self._node(run, **extra)
        if run.parent is None:
            self._finish_root(run)
        return run

    def _finish_root(self, run: _Run) -> None:
        with self._lock:
            flow = self._flows.pop(run.root, None)
            for rid in flow.runs if flow else ():
                self._runs.pop(rid, None)
                self._roots.pop(rid, None)
                registry.pop(rid)

    def _guarded_call(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except LeakError:
            raise
        except Exception as exc:
            if self.strict:
                if isinstance(exc, GuardError):
                    raise
                raise GuardError(f"guardllm could not record this step: {type(exc).__name__}") from None
            log.warning("guardllm callback handler could not record a step: %s", type(exc).__name__)
            return None

    # -- models ------------------------------------------------------------------------------
    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        flat = [m for batch in messages for m in batch]
        self._guarded_call(self._model_start, serialized, flat, run_id, parent_run_id, metadata, kwargs)

    def on_llm_start(
        self,
        serialized: dict[str, Any],
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        flat = [HumanMessage(content=p) for p in prompts]
        self._guarded_call(self._model_start, serialized, flat, run_id, parent_run_id, metadata, kwargs)

    def _model_start(
        self,
        serialized: dict[str, Any],
        messages: list[BaseMessage],
        run_id: UUID,
        parent_run_id: UUID | None,
        metadata: dict[str, Any] | None,
        kwargs: dict[str, Any],
    ) -> None:
        run = self._start(run_id, parent_run_id, "llm", _name(serialized, kwargs, "llm"), metadata)
        parent = self._runs.get(run.parent) if run.parent else None
        if parent is not None and parent.guarded == "chat_model" and parent.kind == "llm":
            # The provider call a guarded model made: its input is the masked prompt.
            run.role = "provider"
            self._leak_check(run, messages)
            self._model_inputs(parent, messages)
            self._edge(run, parent.run_id, run.run_id, messages_text(messages), "prompt")
            return
        run.role = "model"
        if run.guarded == "chat_model":
            return  # raw by design; its provider call (a child run) shows what was sent
        self._leak_check(run, messages)
        self._model_inputs(run, messages)

    def _model_inputs(self, run: _Run, messages: list[BaseMessage]) -> None:
        if run.inputs_done:
            return
        run.inputs_done = True
        self._scope_of(run)
        with self._lock:
            flow = self._flows.setdefault(run.root, _Flow())
            first = not flow.first_model_done
            flow.first_model_done = True
            results, flow.pending_results = flow.pending_results, []
            docs, flow.pending_docs = flow.pending_docs, []
        if first:
            user_text = messages_text(m for m in messages if isinstance(m, HumanMessage))
            self.guard.recorder.node(
                run.root, USER, "source", "user", scope=run.scope, principal=run.principal
            )
            self._edge(run, USER, run.run_id, user_text, "input")
        seen = {m.tool_call_id: message_text(m) for m in messages if isinstance(m, ToolMessage)}
        for node, text, call_id in results:
            # What the model actually read (a middleware may have masked it after the tool ran).
            self._edge(run, node, run.run_id, seen.get(call_id, text) if call_id else text, "tool_result")
        for node, text in docs:
            self._edge(run, node, run.run_id, text, "documents")
        if not first and not results and not docs:
            # A later turn: new user text reaches the model (e.g. a follow-up question).
            tail = []
            for m in reversed(messages):
                if not isinstance(m, HumanMessage):
                    break
                tail.append(m)
            if tail:
                self._edge(run, USER, run.run_id, messages_text(tail), "input")

    def _leak_check(self, run: _Run, messages: list[BaseMessage]) -> None:
        text = messages_text(messages)
        if not text:
            return
        # Message by message, as the wrappers mask them: a history re-sent on every call
        # then costs one scan per new message (the guard remembers the texts it has seen).
        findings = [
            f
            for m in messages
            if (part := message_text(m))
            for f in self.guard.detect_leaks(part)
            if self._protected(f.entity_type)
        ]
        if not findings:
            return
        types = sorted({str(f.entity_type) for f in findings})
        self.guard.recorder.node(
            run.root, UNGUARDED, "source", "unguarded input", scope=run.scope, principal=run.principal
        )
        self.guard.recorder.edge(
            run.root,
            UNGUARDED,
            run.run_id,
            entity_types=types,
            fingerprints=[],
            status="leaked",
            tokens=count_tokens(text),
            label="leak",
        )
        self.guard.audit.record(
            "leak",
            run_id=run.root,
            scope=run.scope,
            principal=run.principal,
            recipient="model",
            entity_types=types,
            counts={"values": len(findings)},
            detail=f"raw sensitive values reached the input of model step {run.name}",
        )
        if self.strict:
            raise LeakError(
                f"guardllm strict mode: raw {', '.join(types)} value(s) were about to reach model "
                f"'{run.name}'; guard the model (wrap_chat_model or the agent middleware)",
                entity_types=types,
            )

    def _protected(self, entity_type: str) -> bool:
        """A type the policy lets through as it is (action ``allow``) is no leak."""
        policy = getattr(self.guard, "policy", None)
        try:
            return policy is None or policy.action_for(entity_type) != "allow"
        except Exception:  # cannot tell: count it
            return True

    def on_llm_end(
        self, response: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        self._guarded_call(self._model_end, response, run_id)

    def _model_end(self, response: Any, run_id: UUID) -> None:
        with self._lock:
            run = self._runs.get(str(run_id))
        if run is None:
            return
        message = None
        text = ""
        generations = getattr(response, "generations", None) or []
        if generations and generations[0]:
            gen = generations[0][0]
            message = getattr(gen, "message", None)
            text = message_text(message) if message is not None else str(getattr(gen, "text", ""))
        calls = list(getattr(message, "tool_calls", None) or [])
        if run.role == "provider":
            parent = self._runs.get(run.parent or "")
            if parent is not None:
                parent.inner_out = (text, calls)
            self._end(run_id)
            return
        if run.guarded == "chat_model" and run.inner_out is not None:
            text, calls = run.inner_out  # the masked output, before restoring for the caller
        with self._lock:
            flow = self._flows.setdefault(run.root, _Flow())
            flow.last_model = run.run_id
            for call in calls:
                if call.get("id"):
                    flow.pending_calls[str(call["id"])] = run.run_id
        if not calls and text.strip():
            self._answer(run, text)
        self._end(run_id)

    def _answer(self, run: _Run, text: str) -> None:
        refs = self._refs(text, run)
        facts = registry.get(run.run_id) or registry.get(run.parent)
        to = facts.restored_to if facts is not None else None
        revealed: list[Any] = []
        if to:
            for ref in refs:
                decision = self.guard.check_allowed(ref.entity_type, to=to, principal=run.principal)
                if getattr(decision, "allowed", bool(decision)):
                    revealed.append(ref)
        kept = [r for r in refs if r not in revealed]
        self.guard.recorder.node(run.root, ANSWER, "sink", "answer", scope=run.scope, principal=run.principal)
        if revealed:
            self._edge(run, run.run_id, ANSWER, text, "answer", status="revealed", refs=revealed)
        if kept or not revealed:
            self._edge(run, run.run_id, ANSWER, text, "answer", status="masked", refs=kept)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._guarded_call(self._end_with_error, run_id, type(error).__name__)

    # -- tools -------------------------------------------------------------------------------
    def on_tool_start(
        self,
        serialized: dict[str, Any],
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        def start() -> None:
            run = self._start(run_id, parent_run_id, "tool", _name(serialized, kwargs, "tool"), metadata)
            run.role = "tool"
            run.tool_call_id = _sid(kwargs.get("tool_call_id"))
            run.input_text = (
                json.dumps(inputs, ensure_ascii=False, default=str) if inputs else (input_str or "")
            )

        self._guarded_call(start)

    def on_tool_end(
        self, output: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        self._guarded_call(self._tool_end, output, run_id)

    def _tool_end(self, output: Any, run_id: UUID) -> None:
        with self._lock:
            run = self._runs.get(str(run_id))
        if run is None:
            return
        if isinstance(output, ToolMessage) and not run.tool_call_id:
            run.tool_call_id = output.tool_call_id
        with self._lock:
            flow = self._flows.setdefault(run.root, _Flow())
            source = flow.pending_calls.pop(run.tool_call_id, None) if run.tool_call_id else None
            source = source or flow.last_model
        facts = registry.get(run.run_id) or (
            registry.get(f"tool_call:{run.tool_call_id}") if run.tool_call_id else None
        )
        refs = self._refs(run.input_text, run)
        if facts is not None and (facts.revealed or facts.kept):
            revealed = unique_refs(facts.revealed)
            kept = unique_refs(facts.kept)
        else:
            revealed, kept = [], refs
        if source is not None:
            if revealed:
                self._edge(
                    run, source, run.run_id, run.input_text, "tool_call", status="revealed", refs=revealed
                )
            if kept or not revealed:
                self._edge(run, source, run.run_id, run.input_text, "tool_call", status="masked", refs=kept)
        text = _output_text(output)
        with self._lock:
            flow.pending_results.append((run.run_id, text, run.tool_call_id))
        self._end(run_id)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._guarded_call(self._end_with_error, run_id, type(error).__name__)

    # -- retrievers --------------------------------------------------------------------------
    def on_retriever_start(
        self,
        serialized: dict[str, Any],
        query: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        def start() -> None:
            run = self._start(
                run_id, parent_run_id, "retriever", _name(serialized, kwargs, "retriever"), metadata
            )
            run.role = "retriever"

        self._guarded_call(start)

    def on_retriever_end(
        self, documents: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        def end() -> None:
            with self._lock:
                run = self._runs.get(str(run_id))
            if run is None:
                return
            text = "\n".join(
                f"{getattr(d, 'page_content', '')}\n{json.dumps(getattr(d, 'metadata', {}), default=str)}"
                for d in documents or ()
            )
            with self._lock:
                self._flows.setdefault(run.root, _Flow()).pending_docs.append((run.run_id, text))
            self._end(run_id)

        self._guarded_call(end)

    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._guarded_call(self._end_with_error, run_id, type(error).__name__)

    # -- chains ------------------------------------------------------------------------------
    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._guarded_call(
            self._start, run_id, parent_run_id, "chain", _name(serialized, kwargs, "chain"), metadata
        )

    def on_chain_end(
        self, outputs: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        self._guarded_call(self._end, run_id)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._guarded_call(self._end_with_error, run_id, type(error).__name__)

    def _end_with_error(self, run_id: UUID, error: str) -> None:
        self._end(run_id, error=error)


def _output_text(output: Any) -> str:
    if isinstance(output, BaseMessage):
        return message_text(output)
    if isinstance(output, str):
        return output
    try:
        return json.dumps(output, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(output)


def callback_handler(
    guard: Any, *, strict: bool = False, scope: str | None = None, principal: str | None = None
) -> GuardCallbackHandler:
    """A handler to pass in ``config={"callbacks": [handler]}`` of any chain, agent or graph.

    Args:
        guard: the :class:`guardllm.Guard` whose lineage store and audit log are written.
        strict: raise :class:`guardllm.LeakError` (stopping the call) when a raw sensitive
            value reaches a model's input; otherwise record the leak and let it through.
        scope / principal: used when neither the run's metadata nor a guarded step says.
    """
    return GuardCallbackHandler(guard, strict=strict, scope=scope, principal=principal)
