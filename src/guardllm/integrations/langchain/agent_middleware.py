"""``guard.middleware()``: guardllm as a ``langchain.agents`` middleware for ``create_agent``.

Needs the ``agents`` extra (``pip install guardllm[agents]``): this module imports
``langchain`` and is only imported when :func:`middleware` is called.

* ``wrap_model_call`` masks every message of the request -- the system prompt, user,
  AI (text and ``tool_calls`` arguments) and tool messages -- then restores the final
  answer's text (an AI message with no tool calls) for the user where the policy allows.
  Restored answers are masked again when they go back to the model in a later turn (the
  same value gets the same token in the thread), so nothing raw is ever re-sent.
* ``wrap_tool_call`` reveals tool-call arguments only for the types that tool is granted
  (policy grants, plus ``reveal={"tool_name": [...types]}``), refuses ``block``-ed data
  with an error message the model can read, and masks the tool's output.  Tools built with
  ``guard.wrap_tool`` or ``guard.sql_tool`` reveal their own arguments (the SQL tool binds
  tokens as query parameters) and write their own ``tool_call`` audit record, so the
  middleware passes their arguments through as tokens and adds no second record; grant
  such tools in their wrapper (``reveal=``) or the policy.
* Scope is ``configurable.thread_id`` (or ``guardllm_scope``); the principal is
  ``configurable.principal`` / ``user_id`` (or ``guardllm_principal``).  Both go on every
  lineage node and audit record.
* Lineage: with :func:`guardllm.integrations.langchain.callback_handler` attached, the
  handler draws the graph from LangChain's events and the middleware tells it what it
  revealed; without one, the middleware records the same graph itself (one lineage run per
  agent invocation; ``mw.last_run_id`` is the latest, ``configurable.guardllm_run_id``
  chooses it).

Token streams: by default the model's streamed chunks (``stream_mode="messages"``) hold
tokens and only the final answer in the state is restored.  ``restore_stream=True`` calls
the model through :func:`~guardllm.integrations.langchain.wrap_chat_model`, so streamed text
is restored as it arrives (a token split across chunks is held back only until it is whole);
AI messages that carry tool calls then keep their restored text in the state too (they are
masked again before any later model call).

Note: tools called through the middleware receive revealed arguments in LangChain's own
tool callbacks; wrap such tools with ``guard.wrap_tool`` as well to keep raw arguments out
of traces.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Annotated, Any

from langchain.agents.middleware.types import (
    AgentMiddleware,
    AgentState,
    ExtendedModelResponse,
    ModelRequest,
    ModelResponse,
    PrivateStateAttr,
)
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from typing_extensions import NotRequired

from guardllm.audit import run_context
from guardllm.errors import BlockedError
from guardllm.integrations.langchain._context import (
    CallContext,
    context_from_config,
    find_handler,
    granted_guard,
    new_run_id,
    registry,
)
from guardllm.integrations.langchain._messages import (
    mask_content,
    mask_message,
    mask_messages,
    mask_value,
    restore_message,
    reveal_args,
    types_and_fingerprints,
    unique_refs,
)
from guardllm.integrations.langchain.callbacks import GuardCallbackHandler
from guardllm.integrations.langchain.tools import GuardedToolError, blocked_message

__all__ = ["GuardMiddleware", "GuardState", "middleware"]

RUN_KEY = "guardllm_run_id"
#: Tool metadata key set by ``guard.wrap_tool`` and ``guard.sql_tool``: such tools reveal their
#: own arguments and write their own ``tool_call`` audit record.
GUARDED_KEY = "guardllm_guarded"


class GuardState(AgentState):
    """Agent state plus the lineage run id of the current invocation (private)."""

    guardllm_run_id: NotRequired[Annotated[str, PrivateStateAttr]]


def _config() -> dict[str, Any]:
    try:
        from langgraph.config import get_config

        return dict(get_config())
    except Exception:  # outside a graph run (unit use of the hooks)
        return {}


def _step_id(config: Mapping[str, Any]) -> str | None:
    """The run id of the graph node we are in (the parent of the model / tool run)."""
    manager = config.get("callbacks")
    parent = getattr(manager, "parent_run_id", None)
    return str(parent) if parent else None


class GuardMiddleware(AgentMiddleware):
    """guardllm for ``create_agent``; see the module docs.  Build it with :func:`middleware`."""

    state_schema = GuardState

    def __init__(
        self,
        guard: Any,
        *,
        reveal: Mapping[str, Iterable[str]] | None = None,
        to: str = "user",
        scope: str | None = None,
        principal: str | None = None,
        purpose: str | None = None,
        restore_stream: bool = False,
    ) -> None:
        super().__init__()
        self.restore_stream = restore_stream
        self.guard = guard
        self.reveal = {
            name: sorted({str(t).upper() for t in types}) for name, types in (reveal or {}).items()
        }
        self.to = to
        self.scope = scope
        self.principal = principal
        self.purpose = purpose
        self._tool_guards: dict[str, Any] = {}
        # The lineage run of the most recent invocation (``guard.lineage(mw.last_run_id)``);
        # concurrent invocations should choose theirs with ``configurable.guardllm_run_id``.
        self.last_run_id: str | None = None
        # Records the graph when no guardllm handler is attached to the run.
        self._recorder = GuardCallbackHandler(guard)
        self.tools = []

    @property
    def name(self) -> str:
        return "GuardMiddleware"

    def __repr__(self) -> str:
        return f"GuardMiddleware(to={self.to!r}, reveal={self.reveal!r})"

    # -- context -----------------------------------------------------------------------------
    def _ctx(self, config: Mapping[str, Any]) -> CallContext:
        # Without a principal in the config, the Guard's own principal acts -- the one its
        # audit records name -- so lineage nodes and audit records agree on who acted.
        principal = self.principal or getattr(self.guard, "principal", None)
        return context_from_config(config, scope=self.scope, principal=principal, purpose=self.purpose)

    def _handler(self, config: Mapping[str, Any]) -> Any:
        return find_handler(config.get("callbacks"), self.guard)

    def _tool_guard(self, name: str) -> Any:
        guard = self._tool_guards.get(name)
        if guard is None:
            guard = self._tool_guards[name] = granted_guard(self.guard, name, self.reveal.get(name))
        return guard

    def _run_id(self, state: Any) -> str | None:
        if isinstance(state, Mapping):
            value = state.get(RUN_KEY)
            return str(value) if value else None
        return None

    # -- agent start / end -------------------------------------------------------------------
    def _begin(self, state: Any) -> dict[str, Any]:
        config = _config()
        handler = self._handler(config)
        step = _step_id(config)
        ctx = self._ctx(config)
        registry.update(step, scope=ctx.scope, principal=ctx.principal)
        if handler is not None and step:
            run_id = handler.root_run_id(step) or new_run_id()
            self.last_run_id = run_id
            return {RUN_KEY: run_id}
        # ``configurable.guardllm_run_id`` joins several invocations into one graph; the
        # id must be a UUID because it doubles as the LangChain-style run id of the root.
        asked = (config.get("configurable") or {}).get(RUN_KEY)
        run_id = str(uuid.UUID(str(asked))) if asked else new_run_id()
        self.last_run_id = run_id
        self._recorder.on_chain_start(
            {"name": "agent"},
            {},
            run_id=uuid.UUID(run_id),
            parent_run_id=None,
            metadata={"guardllm_scope": ctx.scope, "guardllm_principal": ctx.principal},
            name="agent",
        )
        return {RUN_KEY: run_id}

    def _end(self, state: Any) -> None:
        config = _config()
        run_id = self._run_id(state)
        if run_id and self._handler(config) is None:
            self._recorder.on_chain_end({}, run_id=uuid.UUID(run_id))

    def before_agent(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        return self._begin(state)

    async def abefore_agent(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        return self._begin(state)

    def after_agent(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        self._end(state)
        return None

    async def aafter_agent(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        self._end(state)
        return None

    # -- model calls -------------------------------------------------------------------------
    def _mask_request(self, request: ModelRequest) -> tuple[ModelRequest, CallContext, dict[str, Any]]:
        config = _config()
        ctx = self._ctx(config)
        overrides: dict[str, Any] = {"messages": mask_messages(self.guard, request.messages, ctx)}
        if request.system_message is not None:
            overrides["system_message"] = mask_message(self.guard, request.system_message, ctx)
        step = _step_id(config)
        registry.update(step, scope=ctx.scope, principal=ctx.principal, restored_to=self.to)
        return request.override(**overrides), ctx, config

    def _model_started(
        self, request: ModelRequest, masked: ModelRequest, ctx: CallContext, config: Mapping[str, Any]
    ) -> str | None:
        """Without an attached handler, feed our own recorder the event LangChain would."""
        run_id = self._run_id(request.state)
        if run_id is None or self._handler(config) is not None:
            return None
        step = new_run_id()
        messages: list[BaseMessage] = list(masked.messages)
        if masked.system_message is not None:
            messages.insert(0, masked.system_message)
        name = masked.model.get_name() if hasattr(masked.model, "get_name") else "model"
        self._recorder.on_chat_model_start(
            {"name": name},
            [messages],
            run_id=uuid.UUID(step),
            parent_run_id=uuid.UUID(run_id),
            metadata={"guardllm_scope": ctx.scope, "guardllm_principal": ctx.principal},
            name=name,
        )
        registry.update(step, scope=ctx.scope, principal=ctx.principal, restored_to=self.to)
        return step

    def _stream_model(self, masked: ModelRequest, ctx: CallContext) -> ModelRequest:
        """With ``restore_stream``: call the model through a guarded model, so the token
        stream LangGraph shows (``stream_mode="messages"``) is restored text too."""
        from langchain_core.language_models import BaseChatModel

        from guardllm.integrations.langchain.chat_models import GuardedChatModel

        model = masked.model
        if (
            not self.restore_stream
            or isinstance(model, GuardedChatModel)
            or not isinstance(model, BaseChatModel)
        ):
            return masked
        guarded = GuardedChatModel(
            wrapped=model,
            guard=self.guard,
            to=self.to,
            scope=ctx.scope,
            principal=ctx.principal,
            purpose=ctx.purpose,
            record_lineage=False,
        )
        return masked.override(model=guarded)

    def _model_finished(self, step: str | None, run_id: str | None, response: Any, ctx: CallContext) -> None:
        if step is None or run_id is None:
            return
        messages = _response_messages(response)
        ai = next((m for m in messages if isinstance(m, AIMessage)), AIMessage(content=""))
        if self.restore_stream:  # the guarded model restored the text: the graph shows tokens
            ai = mask_message(self.guard, ai, ctx)
        self._recorder.on_llm_end(
            LLMResult(generations=[[ChatGeneration(message=ai)]]),
            run_id=uuid.UUID(step),
            parent_run_id=uuid.UUID(run_id),
        )

    def _restore(self, response: Any, ctx: CallContext) -> Any:
        """Final answers (AI messages without tool calls) restored for the user."""

        def fix(msg: BaseMessage) -> BaseMessage:
            if isinstance(msg, AIMessage) and not msg.tool_calls:
                return restore_message(self.guard, msg, ctx, self.to)
            return msg

        if isinstance(response, AIMessage):
            return fix(response)
        if isinstance(response, ModelResponse):
            structured = response.structured_response
            if structured is not None:
                structured = (
                    self.guard.unmask_object(
                        structured, scope=ctx.scope, to=self.to, principal=ctx.principal, purpose=ctx.purpose
                    )
                    if isinstance(structured, (dict, list, str))
                    else structured
                )
            return ModelResponse(result=[fix(m) for m in response.result], structured_response=structured)
        if isinstance(response, ExtendedModelResponse):
            return ExtendedModelResponse(
                model_response=self._restore(response.model_response, ctx), command=response.command
            )
        return response

    def wrap_model_call(self, request: ModelRequest, handler: Callable[[ModelRequest], Any]) -> Any:
        # Every audit record of this step (mask, reveal, refuse, leak) names the agent's
        # lineage run, so "what did run R reveal" is one audit query.
        with run_context(self._run_id(request.state)):
            masked, ctx, config = self._mask_request(request)
            step = self._model_started(request, masked, ctx, config)
            response = handler(self._stream_model(masked, ctx))
            self._model_finished(step, self._run_id(request.state), response, ctx)
            return self._restore(response, ctx)

    async def awrap_model_call(
        self, request: ModelRequest, handler: Callable[[ModelRequest], Awaitable[Any]]
    ) -> Any:
        with run_context(self._run_id(request.state)):
            masked, ctx, config = self._mask_request(request)
            step = self._model_started(request, masked, ctx, config)
            response = await handler(self._stream_model(masked, ctx))
            self._model_finished(step, self._run_id(request.state), response, ctx)
            return self._restore(response, ctx)

    # -- tool calls --------------------------------------------------------------------------
    def _prepare_tool(self, request: Any) -> tuple[Any, CallContext, dict[str, Any], list[Any], list[Any]]:
        config = _config()
        if not config:
            runtime_config = getattr(getattr(request, "runtime", None), "config", None)
            config = dict(runtime_config or {})
        ctx = self._ctx(config)
        call = request.tool_call
        name = call["name"]
        if _self_guarded(request):
            # The tool reveals its own arguments by its grants (the SQL tool binds tokens as
            # query parameters: revealing them here would inline raw values into SQL text).
            return request, ctx, config, [], []
        args, revealed, kept = reveal_args(
            self._tool_guard(name), call.get("args") or {}, ctx, f"tool:{name}"
        )
        return (
            request.override(tool_call={**call, "args": args}),
            ctx,
            config,
            unique_refs(revealed),
            unique_refs(kept),
        )

    def _blocked(self, request: Any, exc: BlockedError, ctx: CallContext) -> ToolMessage:
        name = request.tool_call["name"]
        self.guard.audit.record(
            "block",
            scope=ctx.scope,
            principal=ctx.principal,
            recipient=f"tool:{name}",
            entity_type=exc.entity_type,
            rule=exc.rule,
            purpose=ctx.purpose,
            detail=f"tool call refused: {name}",
        )
        return ToolMessage(
            content=blocked_message(exc, name),
            tool_call_id=request.tool_call.get("id") or "",
            name=name,
            status="error",
        )

    def _note_facts(self, request: Any, ctx: CallContext, revealed: list[Any], kept: list[Any]) -> None:
        """Tell the callback handler (it sees the tool end before we do) what the tool got raw."""
        call_id = request.tool_call.get("id")
        if call_id and not _self_guarded(request):  # a guarded tool tells it itself
            registry.update(
                f"tool_call:{call_id}", scope=ctx.scope, principal=ctx.principal, revealed=revealed, kept=kept
            )

    def _tool_started(self, request: Any, ctx: CallContext, config: Mapping[str, Any]) -> str | None:
        run_id = self._run_id(request.state)
        if run_id is None or self._handler(config) is not None:
            return None
        step = new_run_id()
        call = request.tool_call
        self._recorder.on_tool_start(
            {"name": call["name"]},
            "",
            run_id=uuid.UUID(step),
            parent_run_id=uuid.UUID(run_id),
            metadata={"guardllm_scope": ctx.scope, "guardllm_principal": ctx.principal},
            inputs=call.get("args") or {},
            tool_call_id=call.get("id"),
            name=call["name"],
        )
        return step

    def _tool_finished(
        self,
        request: Any,
        result: Any,
        ctx: CallContext,
        step: str | None,
        revealed: list[Any],
        kept: list[Any],
    ) -> Any:
        call = request.tool_call
        name = call["name"]
        masked = self._mask_tool_result(result, ctx)
        if step is not None:
            self._recorder.on_tool_end(masked, run_id=uuid.UUID(step))
        if _self_guarded(request):
            # ``wrap_tool`` / ``sql_tool`` wrote this call's record (with what only they know:
            # rows, tables, refusals); a second one would count every call twice.
            return masked
        types, fps = types_and_fingerprints([*revealed, *kept])
        self.guard.audit.record(
            "tool_call",
            run_id=self._run_id(request.state),
            scope=ctx.scope,
            principal=ctx.principal,
            recipient=f"tool:{name}",
            entity_types=types,
            fingerprints=fps,
            purpose=ctx.purpose,
            counts={"revealed": len(revealed), "kept_as_tokens": len(kept)},
            detail=name,
        )
        return masked

    def _mask_tool_result(self, result: Any, ctx: CallContext) -> Any:
        if isinstance(result, ToolMessage):
            update: dict[str, Any] = {
                "content": mask_content(self.guard, result.content, ctx, structured=True)
            }
            if result.artifact is not None:
                update["artifact"] = mask_value(self.guard, result.artifact, ctx)
            return result.model_copy(update=update)
        update_obj = getattr(result, "update", None)
        if dataclasses.is_dataclass(result) and isinstance(update_obj, dict) and "messages" in update_obj:
            messages = [mask_value(self.guard, m, ctx) for m in update_obj["messages"]]
            return dataclasses.replace(result, update={**update_obj, "messages": messages})
        return result

    def _masked_error(self, exc: Exception, ctx: CallContext) -> Exception:
        message = str(exc)
        try:
            masked = self.guard.mask(message, **ctx.as_kwargs()) if message else message
        except Exception:
            masked = "<message withheld by guardllm>"
        if masked == message:
            return exc
        return GuardedToolError(f"{type(exc).__name__}: {masked}")

    def wrap_tool_call(self, request: Any, handler: Callable[[Any], Any]) -> Any:
        with run_context(self._run_id(request.state)):
            try:
                revealed_request, ctx, config, revealed, kept = self._prepare_tool(request)
            except BlockedError as exc:
                return self._blocked(request, exc, self._ctx(_config()))
            self._note_facts(request, ctx, revealed, kept)
            step = self._tool_started(request, ctx, config)
            try:
                with _sql_step(step):
                    result = handler(revealed_request)
            except Exception as exc:
                err = self._masked_error(exc, ctx)
                if err is exc:
                    raise
                raise err from None
            try:
                return self._tool_finished(request, result, ctx, step, revealed, kept)
            except BlockedError as exc:
                return self._blocked(request, exc, ctx)

    async def awrap_tool_call(self, request: Any, handler: Callable[[Any], Awaitable[Any]]) -> Any:
        with run_context(self._run_id(request.state)):
            try:
                revealed_request, ctx, config, revealed, kept = self._prepare_tool(request)
            except BlockedError as exc:
                return self._blocked(request, exc, self._ctx(_config()))
            self._note_facts(request, ctx, revealed, kept)
            step = self._tool_started(request, ctx, config)
            try:
                with _sql_step(step):
                    result = await handler(revealed_request)
            except Exception as exc:
                err = self._masked_error(exc, ctx)
                if err is exc:
                    raise
                raise err from None
            try:
                return self._tool_finished(request, result, ctx, step, revealed, kept)
            except BlockedError as exc:
                return self._blocked(request, exc, ctx)


def _self_guarded(request: Any) -> bool:
    """Is the called tool one of guardllm's own (``wrap_tool`` / ``sql_tool``)?"""
    metadata = getattr(getattr(request, "tool", None), "metadata", None)
    return isinstance(metadata, Mapping) and metadata.get(GUARDED_KEY) == "tool"


@contextlib.contextmanager
def _sql_step(step: str | None) -> Iterator[None]:
    """Tell ``guard.sql_tool`` that we draw its step node ``step`` (so its table and column
    lineage hangs under our node).  Its module is loaded whenever such a tool exists."""
    sql = sys.modules.get("guardllm.integrations.langchain.sql")
    if step is None or sql is None:
        yield
        return
    token = sql.middleware_step.set(step)
    try:
        yield
    finally:
        sql.middleware_step.reset(token)


def _response_messages(response: Any) -> list[BaseMessage]:
    if isinstance(response, AIMessage):
        return [response]
    if isinstance(response, ModelResponse):
        return list(response.result)
    if isinstance(response, ExtendedModelResponse):
        return list(response.model_response.result)
    return []


def middleware(
    guard: Any,
    *,
    reveal: Mapping[str, Iterable[str]] | None = None,
    to: str = "user",
    scope: str | None = None,
    principal: str | None = None,
    purpose: str | None = None,
    restore_stream: bool = False,
) -> GuardMiddleware:
    """guardllm middleware for ``langchain.agents.create_agent(..., middleware=[...])``.

    Args:
        guard: the :class:`guardllm.Guard`.
        reveal: per-tool grants added to the policy, e.g. ``{"send_email": ["EMAIL_ADDRESS"]}``.
        to: who reads the final answer (tokens restored where the policy allows).
        scope / principal / purpose: fallbacks when the run's config does not say.
        restore_stream: call the model through ``guard.wrap_chat_model`` so the token stream
            (``stream_mode="messages"``) shows restored text; off, it shows tokens and only
            the agent state's final answer is restored.
    """
    return GuardMiddleware(
        guard,
        reveal=reveal,
        to=to,
        scope=scope,
        principal=principal,
        purpose=purpose,
        restore_stream=restore_stream,
    )
