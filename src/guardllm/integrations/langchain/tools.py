"""``guard.wrap_tool(tool)``: a LangChain tool that sees raw values only where it was granted.

The wrapper is itself a :class:`~langchain_core.tools.BaseTool` with the wrapped tool's
name, description, argument schema, ``return_direct`` and ``response_format``, so agents,
``bind_tools`` and ``ToolNode`` treat it exactly like the original.  On each call:

1. the arguments the model wrote (tokens) are restored *only* for the entity types the
   policy lets ``tool:<name>`` see -- the policy's grants plus ``reveal=[...]``; every
   other token reaches the tool as a token;
2. the wrapped tool runs with no callbacks and with tracing off, so the revealed
   arguments and its raw output never reach a trace or a callback;
3. its output (text, JSON, dicts, lists, documents, ``ToolMessage`` content, artifacts)
   is masked in the same scope before anything sees it, and exceptions are re-raised with
   masked messages;
4. a ``block`` rule refuses the call: the model gets an error message (``status="error"``)
   naming the type and the rule, never the value, and the agent loop continues;
5. an audit record (and, without a guardllm callback handler attached, a lineage node and
   edges) notes what was revealed and what was kept as tokens, with scope and principal.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from langchain_core.messages import ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import set_config_context
from langchain_core.tools import BaseTool, StructuredTool, ToolException
from pydantic import ConfigDict, Field, PrivateAttr, ValidationError
from pydantic.v1 import ValidationError as ValidationErrorV1

from guardllm.audit import current_run_id
from guardllm.errors import BlockedError, GuardError
from guardllm.integrations.langchain._context import (
    CallContext,
    context_from_config,
    current_config,
    find_handler,
    granted_guard,
    lineage_run_id,
    registry,
)
from guardllm.integrations.langchain._messages import (
    mask_content,
    mask_value,
    reveal_args,
    types_and_fingerprints,
    unique_refs,
)
from guardllm.tokencount import count_tokens

__all__ = ["GuardedTool", "GuardedToolError", "ToolBlockedError", "wrap_tool"]

_TCID = "_guardllm_tool_call_id"
GUARDED_KEY = "guardllm_guarded"


class ToolBlockedError(ToolException):
    """A policy ``block`` rule refused the call.  The message names type and rule only."""

    def __init__(self, message: str, *, entity_type: str | None = None, rule: str | None = None) -> None:
        super().__init__(message)
        self.entity_type = entity_type
        self.rule = rule


class GuardedToolError(ToolException):
    """The wrapped tool failed; the message is the original one, masked."""


class _ErrorResult(ToolException):
    """The wrapped tool handled its own error (``status="error"``); carries the masked content."""

    def __init__(self, content: Any) -> None:
        super().__init__(content)
        self.content = content


def blocked_message(exc: BlockedError, tool: str) -> str:
    etype = getattr(exc, "entity_type", None) or "a sensitive value"
    rule = getattr(exc, "rule", None) or "policy.block"
    return (
        f"Error: guardllm refused the call to tool '{tool}': data of type {etype} is blocked "
        f"by rule '{rule}'. Do not retry with this data."
    )


@contextlib.contextmanager
def no_tracing() -> Iterator[None]:
    """Keep LangSmith tracing off around the wrapped call (it would see raw arguments)."""
    try:
        from langsmith.run_helpers import tracing_context
        from langsmith.utils import tracing_is_enabled
    except Exception:  # langsmith not installed: nothing traces on its own
        yield
        return
    if not tracing_is_enabled():  # nothing would trace: skip the context switch (~8 us)
        yield
        return
    with tracing_context(enabled=False):
        yield


def _inner_config(config: RunnableConfig | None) -> RunnableConfig:
    drop = {"callbacks", "run_id", "run_name"}
    return {k: v for k, v in (config or {}).items() if k not in drop}  # type: ignore[return-value]


try:  # LangChain's own output rules, so a direct call returns what ``tool.run`` would
    from langchain_core.tools.base import (
        _format_output,
        _get_runnable_config_param,
        _handle_tool_error,
        _handle_validation_error,
    )
except ImportError:  # pragma: no cover - a LangChain that moved them: always use tool.run
    _format_output = _handle_tool_error = _handle_validation_error = None  # type: ignore[assignment]
    _get_runnable_config_param = None  # type: ignore[assignment]


def _callable_directly(tool: BaseTool) -> bool:
    """Whether the wrapped tool may be called through its ``_run`` / ``_arun`` alone.

    ``tool.run`` inside the wrapper repeats what the wrapper's own ``run`` just did --
    callback set-up with no callbacks, the same schema validation, type-hint lookups --
    about 0.1 ms per call, a tenth of the guard's whole budget.  That is only skipped for
    a plain :class:`StructuredTool` (what ``@tool`` makes) whose run machinery is
    LangChain's, with no callbacks or verbosity of its own and a function that does not
    ask for ``callbacks``; anything else goes through ``tool.run`` as before.
    """
    if _format_output is None or not isinstance(tool, StructuredTool):
        return False
    cls = type(tool)
    for name in ("run", "arun", "_run", "_arun", "_to_args_and_kwargs", "_parse_input"):
        if getattr(cls, name) is not getattr(StructuredTool, name):
            return False
    if tool.callbacks is not None or tool.verbose:
        return False
    for fn in (tool.func, tool.coroutine):
        if fn is not None:
            try:
                if "callbacks" in inspect.signature(fn).parameters:
                    return False
            except (TypeError, ValueError):
                return False
    return True


class GuardedTool(BaseTool):
    """A tool wrapped by guardllm; see the module docs.  Build it with :func:`wrap_tool`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    wrapped: BaseTool = Field(exclude=True, repr=False)
    guard: Any = Field(exclude=True, repr=False)
    reveal: tuple[str, ...] = ()
    scope: str | None = None
    principal: str | None = None
    purpose: str | None = None

    _reveal_guard: Any = PrivateAttr(default=None)
    _direct: bool = PrivateAttr(default=False)
    _config_param: dict[Any, str | None] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        super().model_post_init(context)
        self._reveal_guard = granted_guard(self.guard, self.name, self.reveal)
        self._direct = _callable_directly(self.wrapped)
        if self._direct:  # what StructuredTool._run looks up on every call (~16 us)
            inner = self.wrapped
            self._config_param = {
                fn: _get_runnable_config_param(fn) for fn in (inner.func, inner.coroutine) if fn is not None
            }
            for fn, param in self._config_param.items():
                if param is None and "RunnableConfig" in str(getattr(fn, "__annotations__", {})):
                    self._direct = False  # a hint that does not resolve yet: LangChain retries per call
        inner_flag = self.wrapped.handle_tool_error

        def handle(exc: ToolException) -> Any:
            if isinstance(exc, ToolBlockedError):
                return str(exc)
            if isinstance(exc, _ErrorResult):
                return exc.content
            if not inner_flag:
                raise exc
            if isinstance(inner_flag, str):
                return inner_flag
            if callable(inner_flag):
                return inner_flag(exc)
            return exc.args[0] if exc.args else "Tool execution error"

        self.handle_tool_error = handle

    def _batch(self) -> Any:
        """One store commit for the writes inside (a duck-typed guard may not batch)."""
        batch = getattr(self.guard, "batch", None)
        return batch() if batch is not None else contextlib.nullcontext()

    @property
    def recipient(self) -> str:
        return f"tool:{self.name}"

    # LangChain passes the tool-call id only to this hook; carry it to _run.
    def _to_args_and_kwargs(
        self, tool_input: Any, tool_call_id: str | None
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        args, kwargs = super()._to_args_and_kwargs(tool_input, tool_call_id)
        kwargs[_TCID] = tool_call_id
        return args, kwargs

    # -- the call --------------------------------------------------------------------------
    def _prepare(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], config: RunnableConfig | None
    ) -> tuple[CallContext, Any, list[Any], list[Any]]:
        ctx = context_from_config(
            current_config(config), scope=self.scope, principal=self.principal, purpose=self.purpose
        )
        tool_input: Any = args[0] if args else dict(kwargs)
        try:
            # reveal / refuse records commit together, before the tool sees anything
            with self._batch():
                revealed_input, revealed, kept = reveal_args(
                    self._reveal_guard, tool_input, ctx, self.recipient
                )
        except BlockedError as exc:
            self._record_block(exc, ctx, config)
            raise ToolBlockedError(
                blocked_message(exc, self.name), entity_type=exc.entity_type, rule=exc.rule
            ) from None
        return ctx, revealed_input, unique_refs(revealed), unique_refs(kept)

    def _finish(
        self,
        out: Any,
        ctx: CallContext,
        revealed: list[Any],
        kept: list[Any],
        run_manager: Any,
        config: RunnableConfig | None,
        tool_call_id: str | None,
    ) -> Any:
        # The output mask, its audit record, the tool_call record and the lineage
        # nodes/edges are ~10 store writes: one commit for all of them (SQLite).
        with self._batch():
            content, artifact, status = self._mask_output(out, ctx, config)
            self._record(ctx, revealed, kept, content, run_manager, config, tool_call_id)
        if status == "error":
            raise _ErrorResult(content)
        if self.response_format == "content_and_artifact":
            return content, artifact
        return content

    def _mask_output(self, out: Any, ctx: CallContext, config: RunnableConfig | None) -> tuple[Any, Any, str]:
        try:
            artifact = None
            status = "success"
            if isinstance(out, ToolMessage):
                content = mask_content(self.guard, out.content, ctx, structured=True)
                artifact = mask_value(self.guard, out.artifact, ctx) if out.artifact is not None else None
                status = out.status
            elif _is_tool_output(out):
                content = _mask_tool_output(self.guard, out, ctx)
            else:
                content = mask_value(self.guard, out, ctx)
        except BlockedError as exc:
            self._record_block(exc, ctx, config)
            raise ToolBlockedError(
                blocked_message(exc, self.name), entity_type=exc.entity_type, rule=exc.rule
            ) from None
        return content, artifact, status

    def _run(
        self,
        *args: Any,
        run_manager: Any = None,
        config: RunnableConfig = None,  # type: ignore[assignment]  # LangChain injects by exact type
        **kwargs: Any,
    ) -> Any:
        tool_call_id = kwargs.pop(_TCID, None)
        ctx, tool_input, revealed, kept = self._prepare(args, kwargs, config)
        try:
            with no_tracing():
                if self._direct and isinstance(tool_input, dict):
                    out = self._call_direct(tool_input, config, tool_call_id)
                else:
                    out = self.wrapped.run(
                        tool_input, callbacks=None, config=_inner_config(config), tool_call_id=tool_call_id
                    )
        except Exception as exc:
            raise self._masked_exception(exc, ctx) from None
        return self._finish(out, ctx, revealed, kept, run_manager, config, tool_call_id)

    async def _arun(
        self,
        *args: Any,
        run_manager: Any = None,
        config: RunnableConfig = None,  # type: ignore[assignment]  # LangChain injects by exact type
        **kwargs: Any,
    ) -> Any:
        tool_call_id = kwargs.pop(_TCID, None)
        ctx, tool_input, revealed, kept = self._prepare(args, kwargs, config)
        try:
            with no_tracing():
                if self._direct and isinstance(tool_input, dict):
                    out = await self._acall_direct(tool_input, config, tool_call_id)
                else:
                    out = await self.wrapped.arun(
                        tool_input, callbacks=None, config=_inner_config(config), tool_call_id=tool_call_id
                    )
        except Exception as exc:
            raise self._masked_exception(exc, ctx) from None
        return self._finish(out, ctx, revealed, kept, run_manager, config, tool_call_id)

    # -- the wrapped tool, called directly (see _callable_directly) ----------------------
    # Mirrors ``BaseTool.run`` minus its callback machinery (there are no callbacks to
    # notify).  The arguments are parsed again by the wrapped tool's own schema: its
    # validators must see the revealed values, as they would under ``tool.run``.
    def _call_direct(
        self, tool_input: dict[str, Any], config: RunnableConfig | None, tool_call_id: str | None
    ) -> Any:
        inner = self.wrapped
        cfg = _inner_config(config)
        with set_config_context(cfg) as context:
            try:
                # StructuredTool._run, with the config parameter looked up once; an
                # async-only tool goes through _run for StructuredTool's own error
                fn, args, kwargs = self._direct_target(inner.func, inner._run, tool_input, cfg, tool_call_id)
                response = context.run(fn, *args, **kwargs)
            except (ValidationError, ValidationErrorV1, ToolException) as exc:
                return self._handled(exc, tool_call_id)
        return self._formatted(response, tool_call_id)

    async def _acall_direct(
        self, tool_input: dict[str, Any], config: RunnableConfig | None, tool_call_id: str | None
    ) -> Any:
        inner = self.wrapped
        cfg = _inner_config(config)
        with set_config_context(cfg) as context:
            try:
                # a sync function: StructuredTool._arun runs it in a thread
                fn, args, kwargs = self._direct_target(
                    inner.coroutine, inner._arun, tool_input, cfg, tool_call_id
                )
                coro = fn(*args, **kwargs)
                if sys.version_info >= (3, 11):
                    response = await asyncio.create_task(coro, context=context)
                else:  # pragma: no cover - 3.10 has no task context: LangChain awaits it too
                    response = await coro
            except (ValidationError, ValidationErrorV1, ToolException) as exc:
                return self._handled(exc, tool_call_id)
        return self._formatted(response, tool_call_id)

    def _direct_target(
        self,
        fn: Any,
        fallback: Any,
        tool_input: dict[str, Any],
        cfg: RunnableConfig,
        tool_call_id: str | None,
    ) -> tuple[Any, tuple[Any, ...], dict[str, Any]]:
        """What to call and with what: the tool's function (``fn``) with its config
        parameter filled in, or, without one, ``fallback`` (``_run`` / ``_arun``)."""
        args, kwargs = self.wrapped._to_args_and_kwargs(tool_input, tool_call_id)
        if fn is None:
            return fallback, args, {**kwargs, "config": cfg}
        if param := self._config_param.get(fn):
            kwargs[param] = cfg
        return fn, args, kwargs

    def _handled(self, exc: Exception, tool_call_id: str | None) -> Any:
        """The wrapped tool's own error handling (``handle_*_error``), or the exception."""
        inner = self.wrapped
        if isinstance(exc, ToolException):
            if not inner.handle_tool_error:
                raise exc
            content = _handle_tool_error(exc, flag=inner.handle_tool_error)
        else:
            if not inner.handle_validation_error:
                raise exc
            content = _handle_validation_error(exc, flag=inner.handle_validation_error)  # type: ignore[arg-type]
        return _format_output(content, None, tool_call_id, inner.name, "error")

    def _formatted(self, response: Any, tool_call_id: str | None) -> Any:
        if self.wrapped.response_format == "content_and_artifact":
            if not isinstance(response, tuple) or len(response) != 2:
                raise ValueError(
                    "Since response_format='content_and_artifact' a two-tuple of the message "
                    f"content and raw tool output is expected. Instead, generated response is "
                    f"of type: {type(response)}."
                )
            content, artifact = response
        else:
            content, artifact = response, None
        return _format_output(content, artifact, tool_call_id, self.wrapped.name, "success")

    def _masked_exception(self, exc: Exception, ctx: CallContext) -> Exception:
        """The wrapped tool's exception, unless its message holds a sensitive value."""
        if isinstance(exc, GuardError):
            return exc
        message = str(exc)
        try:
            masked = self.guard.mask(message, **ctx.as_kwargs()) if message else message
        except Exception:  # cannot check it: do not let the text out
            masked = "<message withheld by guardllm>"
        if masked == message and not isinstance(exc, ToolException):
            return exc
        return GuardedToolError(f"{type(exc).__name__}: {masked}")

    # -- records ---------------------------------------------------------------------------
    def _record_block(self, exc: BlockedError, ctx: CallContext, config: RunnableConfig | None) -> None:
        self.guard.audit.record(
            "block",
            scope=ctx.scope,
            principal=ctx.principal,
            recipient=self.recipient,
            entity_type=exc.entity_type,
            rule=exc.rule,
            purpose=ctx.purpose,
            detail=f"tool call refused: {self.name}",
        )

    def _record(
        self,
        ctx: CallContext,
        revealed: list[Any],
        kept: list[Any],
        content: Any,
        run_manager: Any,
        config: RunnableConfig | None,
        tool_call_id: str | None,
    ) -> None:
        step = str(run_manager.run_id) if run_manager is not None else None
        facts = {"scope": ctx.scope, "principal": ctx.principal, "revealed": revealed, "kept": kept}
        registry.update(step, **facts)
        registry.update(f"tool_call:{tool_call_id}" if tool_call_id else None, **facts)
        # Under the agent middleware (no callback handler) the run is in the context:
        # the tool's records then join the agent's run, as sql.py's do.
        run = current_run_id.get() or lineage_run_id(run_manager, config, self.guard)
        types, fps = types_and_fingerprints([*revealed, *kept])
        self.guard.audit.record(
            "tool_call",
            run_id=run,
            scope=ctx.scope,
            principal=ctx.principal,
            recipient=self.recipient,
            entity_types=types,
            fingerprints=fps,
            purpose=ctx.purpose,
            counts={"revealed": len(revealed), "kept_as_tokens": len(kept)},
            detail=self.name,
        )
        if find_handler(run_manager, self.guard) is not None:
            return  # the handler draws this step and its edges from LangChain's events
        record_lineage(self.guard, self.name, run, step, tool_call_id, ctx, revealed, kept, content)


# LangChain resolves ``_run``'s type hints on every call to find the ``RunnableConfig``
# parameter; with postponed (string) annotations that means compiling each one again
# (~0.1 ms per call).  Resolve them once, here.  Plain ``eval`` rather than
# ``typing.get_type_hints``: on Python 3.10 the latter turns ``config: RunnableConfig = None``
# into ``Optional[RunnableConfig]``, which LangChain would no longer recognise.
for _method in (GuardedTool._run, GuardedTool._arun):
    _method.__annotations__ = {
        k: eval(v, globals()) if isinstance(v, str) else v  # our own annotations, nothing external
        for k, v in _method.__annotations__.items()
    }


def record_lineage(
    guard: Any,
    name: str,
    run: str,
    step: str | None,
    tool_call_id: str | None,
    ctx: CallContext,
    revealed: list[Any],
    kept: list[Any],
    content: Any,
) -> None:
    """The lineage of one guarded call when no guardllm callback handler draws it.

    A tool node, ``source:model -> tool`` edges for the arguments (revealed / kept as
    tokens) and a ``tool -> sink:model`` edge for the masked result.
    """
    rec = guard.recorder
    node = step or f"tool:{name}:{tool_call_id or 'call'}"
    common = {"scope": ctx.scope, "principal": ctx.principal}
    rec.node(run, node, "tool", name, **common, guarded=True)
    rec.node(run, "source:model", "source", "model", **common)
    for status, refs in (("revealed", revealed), ("masked", kept)):
        if refs or (status == "masked" and not revealed):
            t, f = types_and_fingerprints(refs)
            rec.edge(
                run,
                "source:model",
                node,
                entity_types=t,
                fingerprints=f,
                status=status,
                tokens=len(refs),
                label="tool_call",
            )
    text = content if isinstance(content, str) else str(content)
    out_refs = unique_refs(guard.find_tokens(text, scope=ctx.scope)) if text else []
    t, f = types_and_fingerprints(out_refs)
    rec.node(run, "sink:model", "sink", "model", **common)
    rec.edge(
        run,
        node,
        "sink:model",
        entity_types=t,
        fingerprints=f,
        status="masked",
        tokens=count_tokens(text),
        label="tool_result",
    )


def _is_tool_output(value: Any) -> bool:
    from langchain_core.tools.base import ToolOutputMixin

    return isinstance(value, ToolOutputMixin)


def _mask_tool_output(guard: Any, value: Any, ctx: CallContext) -> Any:
    """A ``Command`` (LangGraph) or other tool-output object: mask the messages it carries."""
    import dataclasses

    update = getattr(value, "update", None)
    if dataclasses.is_dataclass(value) and isinstance(update, dict) and "messages" in update:
        messages = [mask_value(guard, m, ctx) for m in update["messages"]]
        return dataclasses.replace(value, update={**update, "messages": messages})
    return value


def wrap_tool(
    guard: Any,
    tool: Any,
    reveal: Iterable[str] | None = None,
    *,
    scope: str | None = None,
    principal: str | None = None,
    purpose: str | None = None,
    name: str | None = None,
) -> GuardedTool:
    """Wrap a LangChain tool (``@tool`` function, ``StructuredTool``, any ``BaseTool``).

    Args:
        guard: the :class:`guardllm.Guard` whose policy, vault, audit and lineage are used.
        tool: the tool (a plain callable is turned into a tool first).
        reveal: entity types this tool may see raw, in addition to the policy's grants
            for ``tool:<name>`` (least privilege: nothing else is revealed to it).
        scope / principal / purpose: fallbacks when the run's config does not say
            (``configurable.thread_id`` / ``configurable.principal`` or ``user_id``).
        name: rename the tool (grants then apply to the new name).
    """
    if isinstance(tool, GuardedTool):
        tool = tool.wrapped
    if not isinstance(tool, BaseTool):
        if callable(tool):
            from langchain_core.tools import tool as make_tool

            tool = make_tool(tool)
        else:
            raise TypeError(
                f"wrap_tool expects a LangChain BaseTool or a function, got {type(tool).__name__}"
            )
    metadata = {**(tool.metadata or {}), GUARDED_KEY: "tool"}
    return GuardedTool(
        wrapped=tool,
        guard=guard,
        reveal=tuple(sorted({str(t).upper() for t in (reveal or ())})),
        scope=scope,
        principal=principal,
        purpose=purpose,
        name=name or tool.name,
        description=tool.description,
        args_schema=tool.args_schema,
        return_direct=tool.return_direct,
        response_format=tool.response_format,
        handle_validation_error=tool.handle_validation_error,
        verbose=tool.verbose,
        tags=list(tool.tags or []) or None,
        metadata=metadata,
        extras=getattr(tool, "extras", None),
    )
