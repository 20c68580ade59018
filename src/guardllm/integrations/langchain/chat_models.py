"""``guard.wrap_chat_model(model)``: a chat model that only ever sends masked messages.

:class:`GuardedChatModel` is a real :class:`~langchain_core.language_models.BaseChatModel`
around any other chat model:

* on the way in, every message kind is masked -- system, human, AI (text, content
  blocks, ``tool_calls`` arguments) and tool messages -- in the call's scope, so a value
  the user saw restored in an earlier turn goes back to the model as the same token;
* the wrapped model is called as a child run (its callbacks and traces see only masked
  messages);
* on the way out, tokens in the AI message's *text* are restored for ``to`` (``"user"``
  by default) where the policy allows; tool-call arguments stay tokens -- the tool
  wrappers decide what each tool may see;
* ``stream``/``astream`` restore tokens split across chunks (down to one character per
  chunk) by holding back only a suffix that could still become a token; tool-call
  chunks pass through untouched;
* ``bind_tools`` and ``with_structured_output`` bind onto the guarded model, so the
  structured-output path is guarded too.

Scope and principal come from ``configurable.thread_id`` and ``configurable.principal``
(or ``user_id``); see :mod:`guardllm.integrations.langchain._context`.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableBinding
from pydantic import ConfigDict, Field

from guardllm.integrations._sdk_common import eager_stream_restorer
from guardllm.integrations.langchain._context import (
    CallContext,
    context_from_config,
    current_config,
    find_handler,
    lineage_run_id,
    new_run_id,
    registry,
)
from guardllm.integrations.langchain._messages import (
    mask_messages,
    messages_text,
    restore_message,
    types_and_fingerprints,
    unique_refs,
)
from guardllm.tokencount import count_tokens

__all__ = ["GuardedChatModel", "wrap_chat_model"]

_SCOPE_KW = "guardllm_scope"
_PRINCIPAL_KW = "guardllm_principal"
_PURPOSE_KW = "guardllm_purpose"
_RUN_KW = "guardllm_run"
# LangGraph's tag for "do not stream this model's tokens": the wrapped model's chunks hold
# tokens, the guarded model streams the restored text itself.
_NOSTREAM = "nostream"
GUARDED_KEY = "guardllm_guarded"


class GuardedChatModel(BaseChatModel):
    """A chat model wrapped by guardllm; see the module docs.  Build it with :func:`wrap_chat_model`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    wrapped: BaseChatModel = Field(repr=False)
    guard: Any = Field(exclude=True, repr=False)
    to: str = "user"
    """Recipient the output text is restored for (``"user"``, ``"role:<name>"``, ...)."""
    scope: str | None = None
    principal: str | None = None
    purpose: str | None = None
    record_lineage: bool = True
    """Draw this step in the lineage graph when no guardllm callback handler does; off when
    another component (the agent middleware) already draws it."""

    def model_post_init(self, context: Any, /) -> None:
        super().model_post_init(context)
        # Local metadata marks this run as the guard's own (its input is raw by design),
        # so the callback handler does not count it as a leak; children do not inherit it.
        self.metadata = {**(self.metadata or {}), GUARDED_KEY: "chat_model"}
        if self.cache is None:
            # A global LLM cache would store the raw prompt and the restored answer; the
            # wrapped model's own cache (masked both ways) still applies.
            self.cache = False

    # -- identity ----------------------------------------------------------------------------
    @property
    def _llm_type(self) -> str:
        return f"guardllm-{self.wrapped._llm_type}"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"guardllm": True, "to": self.to, "wrapped": dict(self.wrapped._identifying_params)}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> Any:
        kwargs = {k: v for k, v in kwargs.items() if not k.startswith("guardllm_")}
        params = dict(self.wrapped._get_ls_params(stop=stop, **kwargs))
        params.setdefault("ls_provider", self.wrapped._llm_type)
        params["ls_model_type"] = "chat"
        if isinstance(kwargs.get("model"), str):
            params["ls_model_name"] = kwargs["model"]
        params.setdefault(
            "ls_model_name",
            str(
                getattr(self.wrapped, "model_name", None)
                or getattr(self.wrapped, "model", None)
                or self.wrapped._llm_type
            ),
        )
        return params

    # -- tools and structured output ---------------------------------------------------------
    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Format the tools the way the wrapped model wants, then bind them onto *this* model."""
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        bound = self.wrapped.bind_tools(tools, **kwargs)
        if isinstance(bound, RunnableBinding) and bound.bound is self.wrapped:
            return self.bind(**bound.kwargs)
        if isinstance(bound, RunnableBinding) and isinstance(bound.bound, BaseChatModel):
            return self.model_copy(update={"wrapped": bound.bound}).bind(**bound.kwargs)
        if isinstance(bound, BaseChatModel):
            return self.model_copy(update={"wrapped": bound}).bind()
        raise TypeError(
            f"{type(self.wrapped).__name__}.bind_tools returned {type(bound).__name__}; "
            "guardllm can only guard a chat model or a binding of one"
        )

    def with_structured_output(self, schema: Any, *, include_raw: bool = False, **kwargs: Any) -> Any:
        """The wrapped model's own structured output (provider-native JSON schema, tools...),
        re-pointed at this guarded model; LangChain's tool-calling version when it cannot be."""
        if not include_raw:
            try:
                native = self.wrapped.with_structured_output(schema, include_raw=False, **kwargs)
            except NotImplementedError:
                native = None
            rebound = self._rebind(native)
            if rebound is not None:
                return rebound
        kwargs.pop("method", None)
        kwargs.pop("strict", None)
        return super().with_structured_output(schema, include_raw=include_raw, **kwargs)

    def _rebind(self, runnable: Any) -> Any:
        """``wrapped.bind(...) | parser`` -> ``self.bind(...) | parser``; ``None`` if not that shape."""
        from langchain_core.runnables import RunnableSequence

        if not isinstance(runnable, RunnableSequence):
            return None
        first = runnable.first
        if isinstance(first, RunnableBinding) and first.bound is self.wrapped:
            head: Any = (
                self.bind(**first.kwargs).with_config(first.config)
                if first.config
                else self.bind(**first.kwargs)
            )
        elif first is self.wrapped:
            head = self
        else:
            return None
        return RunnableSequence(head, *runnable.middle, runnable.last)

    # -- call context ------------------------------------------------------------------------
    def _principal(self) -> str | None:
        # The fallback when the run config names nobody: the Guard's own principal, the one
        # its audit records name, so lineage nodes and audit records agree.
        return self.principal or getattr(self.guard, "principal", None)

    # LangChain's stream() does not hand the run manager to _stream, and the config does
    # not reach _generate at all: the public entry points resolve scope/principal from the
    # config, fix the run id, and pass both down as keyword arguments.
    def _begin(self, config: Any, kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        if _RUN_KW in kwargs:
            return config, kwargs
        from langchain_core.runnables.config import ensure_config

        config = dict(ensure_config(config))
        ctx = context_from_config(config, scope=self.scope, principal=self._principal(), purpose=self.purpose)
        run_id = config.get("run_id") or uuid.UUID(new_run_id())
        config["run_id"] = run_id
        _PENDING.put(str(run_id), config)
        return config, {
            **kwargs,
            _SCOPE_KW: ctx.scope,
            _PRINCIPAL_KW: ctx.principal,
            _PURPOSE_KW: ctx.purpose,
            _RUN_KW: str(run_id),
        }

    def invoke(
        self, input: LanguageModelInput, config: Any = None, *, stop: list[str] | None = None, **kwargs: Any
    ) -> AIMessage:
        config, kwargs = self._begin(config, kwargs)
        return super().invoke(input, config, stop=stop, **kwargs)

    async def ainvoke(
        self, input: LanguageModelInput, config: Any = None, *, stop: list[str] | None = None, **kwargs: Any
    ) -> AIMessage:
        config, kwargs = self._begin(config, kwargs)
        return await super().ainvoke(input, config, stop=stop, **kwargs)

    def stream(
        self, input: LanguageModelInput, config: Any = None, *, stop: list[str] | None = None, **kwargs: Any
    ) -> Iterator[AIMessageChunk]:
        config, kwargs = self._begin(config, kwargs)
        return super().stream(input, config, stop=stop, **kwargs)

    def astream(
        self, input: LanguageModelInput, config: Any = None, *, stop: list[str] | None = None, **kwargs: Any
    ) -> AsyncIterator[AIMessageChunk]:
        config, kwargs = self._begin(config, kwargs)
        return super().astream(input, config, stop=stop, **kwargs)

    def _prepare(
        self,
        messages: list[BaseMessage],
        kwargs: dict[str, Any],
        run_manager: Any,
        *,
        asynchronous: bool = False,
    ) -> tuple[CallContext, list[BaseMessage], dict[str, Any], Any, Any, dict[str, Any]]:
        """Mask the messages; returns (ctx, masked, kwargs for the wrapped model, the run,
        child callbacks, the caller's config)."""
        kwargs = dict(kwargs)
        if _SCOPE_KW not in kwargs:  # called through generate() directly
            ctx = context_from_config(
                current_config(), scope=self.scope, principal=self._principal(), purpose=self.purpose
            )
        else:
            ctx = CallContext(
                scope=kwargs.pop(_SCOPE_KW, None),
                principal=kwargs.pop(_PRINCIPAL_KW, None),
                purpose=kwargs.pop(_PURPOSE_KW, None),
            )
        run_key = kwargs.pop(_RUN_KW, None)
        config = _PENDING.pop(run_key) or {}
        if run_manager is not None:
            run: Any = run_manager
            callbacks = _child_callbacks(run_manager, asynchronous=asynchronous)
        elif run_key is not None:
            callbacks = _callbacks_from_config(config, run_key, asynchronous=asynchronous)
            parent = getattr(config.get("callbacks"), "parent_run_id", None)
            run = _RunRef(
                uuid.UUID(run_key), parent, list(callbacks.handlers), list(callbacks.inheritable_handlers)
            )
        else:
            run, callbacks = None, None
        masked = mask_messages(self.guard, messages, ctx)
        if run is not None:
            registry.update(run.run_id, scope=ctx.scope, principal=ctx.principal, restored_to=self.to)
        return ctx, masked, kwargs, run, callbacks, config

    # -- generation --------------------------------------------------------------------------
    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        ctx, masked, kwargs, run, callbacks, config = self._prepare(messages, kwargs, run_manager)
        result = self.wrapped.generate([masked], stop=stop, callbacks=callbacks, **kwargs)
        return self._restore_result(result, ctx, masked, run, config)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        ctx, masked, kwargs, run, callbacks, config = self._prepare(
            messages, kwargs, run_manager, asynchronous=True
        )
        result = await self.wrapped.agenerate([masked], stop=stop, callbacks=callbacks, **kwargs)
        return self._restore_result(result, ctx, masked, run, config)

    def _restore_result(
        self, result: Any, ctx: CallContext, masked: list[BaseMessage], run_manager: Any, config: Any
    ) -> ChatResult:
        generations = []
        answer = ""
        for gen in result.generations[0]:
            message = gen.message
            answer += messages_text([message])
            generations.append(
                ChatGeneration(
                    message=restore_message(self.guard, message, ctx, self.to),
                    generation_info=gen.generation_info,
                )
            )
        self._record(ctx, masked, answer, run_manager, config)
        return ChatResult(generations=generations, llm_output=result.llm_output)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        ctx, masked, kwargs, run, callbacks, config = self._prepare(messages, kwargs, run_manager)
        restorer = _ChunkRestorer(self.guard, ctx, self.to)
        try:
            for chunk in self.wrapped.stream(masked, config={"callbacks": callbacks}, stop=stop, **kwargs):
                out = restorer.chunk(chunk)
                if out is not None:
                    yield out
            tail = restorer.tail()
            if tail is not None:
                yield tail
        finally:
            self._record(ctx, masked, restorer.seen, run, config)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        ctx, masked, kwargs, run, callbacks, config = self._prepare(
            messages, kwargs, run_manager, asynchronous=True
        )
        restorer = _ChunkRestorer(self.guard, ctx, self.to)
        try:
            async for chunk in self.wrapped.astream(
                masked, config={"callbacks": callbacks}, stop=stop, **kwargs
            ):
                out = restorer.chunk(chunk)
                if out is not None:
                    yield out
            tail = restorer.tail()
            if tail is not None:
                yield tail
        finally:
            self._record(ctx, masked, restorer.seen, run, config)

    # -- records -----------------------------------------------------------------------------
    def _record(
        self, ctx: CallContext, masked: list[BaseMessage], answer: str, run_manager: Any, config: Any = None
    ) -> None:
        request = messages_text(masked)
        sent = unique_refs(self.guard.find_tokens(request, scope=ctx.scope)) if request else []
        types, fps = types_and_fingerprints(sent)
        # The caller's own config first: ``configurable.guardllm_run_id`` names the graph.
        config = current_config(config or None)
        run = lineage_run_id(run_manager, config, self.guard)
        self.guard.audit.record(
            "llm_call",
            run_id=run,
            scope=ctx.scope,
            principal=ctx.principal,
            recipient=self.to,
            entity_types=types,
            fingerprints=fps,
            purpose=ctx.purpose,
            counts={"request_tokens": count_tokens(request), "masked_entities": len(sent)},
            detail=f"langchain.{self.wrapped._llm_type}",
        )
        if not self.record_lineage or find_handler(run_manager, self.guard) is not None:
            return  # the callback handler (or the middleware) draws the step and its edges
        rec = self.guard.recorder
        common = {"scope": ctx.scope, "principal": ctx.principal}
        node = str(run_manager.run_id) if run_manager is not None else "llm"
        rec.node(run, "source:user", "source", "user", **common)
        rec.node(run, node, "llm", self.wrapped.get_name(), **common, guarded=True)
        rec.edge(
            run,
            "source:user",
            node,
            entity_types=types,
            fingerprints=fps,
            status="masked",
            tokens=count_tokens(request),
            label="prompt",
        )
        out_refs = unique_refs(self.guard.find_tokens(answer, scope=ctx.scope)) if answer else []
        revealed = [r for r in out_refs if _allowed(self.guard, r, self.to, ctx)]
        kept = [r for r in out_refs if r not in revealed]
        rec.node(run, "sink:answer", "sink", "answer", **common)
        for status, refs in (("revealed", revealed), ("masked", kept)):
            if refs or (status == "masked" and not revealed):
                t, f = types_and_fingerprints(refs)
                rec.edge(
                    run,
                    node,
                    "sink:answer",
                    entity_types=t,
                    fingerprints=f,
                    status=status,
                    tokens=count_tokens(answer),
                    label="answer",
                )


@dataclass
class _RunRef:
    """The guarded model's run, when LangChain did not hand us its run manager (streaming)."""

    run_id: uuid.UUID
    parent_run_id: Any
    handlers: list[Any]
    inheritable_handlers: list[Any]


class _PendingConfigs:
    """Configs of calls in flight, from the public entry point to ``_generate``/``_stream``."""

    def __init__(self, capacity: int = 1024) -> None:
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._capacity = capacity

    def put(self, key: str, config: Any) -> None:
        with self._lock:
            self._items[key] = config
            while len(self._items) > self._capacity:  # streams created and never read
                self._items.popitem(last=False)

    def pop(self, key: str | None) -> Any:
        if key is None:
            return None
        with self._lock:
            return self._items.pop(key, None)


_PENDING = _PendingConfigs()


def _callbacks_from_config(config: Any, run_id: str, *, asynchronous: bool = False) -> Any:
    from langchain_core.callbacks import AsyncCallbackManager, CallbackManager

    cls = AsyncCallbackManager if asynchronous else CallbackManager
    manager = cls.configure(
        config.get("callbacks"), None, False, config.get("tags"), None, config.get("metadata")
    )
    manager.parent_run_id = uuid.UUID(run_id)
    manager.add_tags([_NOSTREAM])
    return manager


def _child_callbacks(run_manager: Any, *, asynchronous: bool = False) -> Any:
    """Callbacks for the wrapped model's call, as a child of our run (LLM run managers
    have no ``get_child``: models normally have no children)."""
    if run_manager is None:
        return None
    from langchain_core.callbacks import AsyncCallbackManager, CallbackManager

    cls = AsyncCallbackManager if asynchronous else CallbackManager
    manager = cls(handlers=[], parent_run_id=run_manager.run_id)
    manager.set_handlers(list(run_manager.inheritable_handlers))
    manager.add_tags(list(run_manager.inheritable_tags or []))
    manager.add_metadata(dict(run_manager.inheritable_metadata or {}))
    manager.add_tags([_NOSTREAM])
    return manager


def _allowed(guard: Any, ref: Any, to: str, ctx: CallContext) -> bool:
    decision = guard.check_allowed(ref.entity_type, to=to, principal=ctx.principal, purpose=ctx.purpose)
    return bool(getattr(decision, "allowed", decision))


class _ChunkRestorer:
    """Restores the text of streamed AI chunks; one stream restorer per content index."""

    def __init__(self, guard: Any, ctx: CallContext, to: str) -> None:
        self.guard = guard
        self.ctx = ctx
        self.to = to
        self._restorers: dict[Any, Any] = {}
        self._last: AIMessageChunk | None = None
        self._done = False
        self.seen = ""  # the masked text as streamed (for the call's lineage)

    def _restorer(self, key: Any) -> Any:
        r = self._restorers.get(key)
        if r is None:
            # Early release: a long first word shows as it streams, not when its word ends.
            r = self._restorers[key] = eager_stream_restorer(
                self.guard,
                scope=self.ctx.scope,
                to=self.to,
                principal=self.ctx.principal,
                purpose=self.ctx.purpose,
            )
        return r

    def _flush_all(self) -> dict[Any, str]:
        out = {k: r.flush() for k, r in self._restorers.items()}
        self._restorers.clear()
        return {k: v for k, v in out.items() if v}

    def chunk(self, chunk: BaseMessage) -> ChatGenerationChunk | None:
        if not isinstance(chunk, AIMessageChunk):
            chunk = AIMessageChunk(content=chunk.content, id=chunk.id)
        self._last = chunk
        last = getattr(chunk, "chunk_position", None) == "last"
        content = chunk.content
        if isinstance(content, str):
            self.seen += content
            text = self._restorer(None).feed(content) if content else ""
            if last:
                text += self._flush_all().get(None, "")
                self._done = True
            new_content: Any = text
        else:
            new_content = []
            for i, block in enumerate(content):
                if (
                    isinstance(block, dict)
                    and block.get("type") == "text"
                    and isinstance(block.get("text"), str)
                ):
                    key = block.get("index", i)
                    self.seen += block["text"]
                    new_content.append({**block, "text": self._restorer(key).feed(block["text"])})
                elif isinstance(block, str):
                    self.seen += block
                    new_content.append(self._restorer(i).feed(block))
                else:
                    new_content.append(block)
            if last:
                for key, rest in self._flush_all().items():
                    new_content.append(
                        {"type": "text", "text": rest, **({"index": key} if key is not None else {})}
                    )
                self._done = True
        return ChatGenerationChunk(message=chunk.model_copy(update={"content": new_content}))

    def tail(self) -> ChatGenerationChunk | None:
        if self._done:
            return None
        rest = self._flush_all()
        if not rest:
            return None
        if list(rest) == [None]:
            content: Any = rest[None]
        else:
            content = [
                {"type": "text", "text": v, **({"index": k} if isinstance(k, int) else {})}
                for k, v in rest.items()
            ]
        msg_id = self._last.id if self._last is not None else None
        return ChatGenerationChunk(message=AIMessageChunk(content=content, id=msg_id))


def wrap_chat_model(
    guard: Any,
    model: BaseChatModel,
    *,
    to: str = "user",
    scope: str | None = None,
    principal: str | None = None,
    purpose: str | None = None,
) -> GuardedChatModel:
    """Wrap a LangChain chat model so it only ever sees masked messages.

    Args:
        guard: the :class:`guardllm.Guard`.
        model: any ``BaseChatModel`` (``ChatOpenAI``, ``ChatAnthropic``, a fake model...).
        to: who reads the output; tokens are restored where the policy lets this
            recipient see the type (``"user"`` by default; ``"model"`` restores nothing).
        scope / principal / purpose: fallbacks when the run's config does not say.
    """
    if isinstance(model, GuardedChatModel):
        model = model.wrapped
    if not isinstance(model, BaseChatModel):
        raise TypeError(f"wrap_chat_model expects a LangChain BaseChatModel, got {type(model).__name__}")
    return GuardedChatModel(
        wrapped=model, guard=guard, to=to, scope=scope, principal=principal, purpose=purpose
    )
