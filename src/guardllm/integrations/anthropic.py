"""Guard the official Anthropic SDK: ``guardllm.anthropic.wrap(client, guard)``.

The wrapped client is a drop-in for ``Anthropic`` / ``AsyncAnthropic``.  On
``messages.create`` (streamed or not), ``messages.stream(...)`` and
``messages.count_tokens``:

* the request is masked before it leaves: the ``system`` prompt (string or text
  blocks), every message's text, ``tool_use`` inputs the caller sends back,
  ``tool_result`` contents, text documents, and the descriptions in tool definitions;
* text blocks of the answer are restored for the caller (``to``) where the policy
  allows; a ``tool_use`` block's ``input`` is restored only for the types that
  ``tool:<name>`` may see;
* streams (raw events and the ``messages.stream`` helper with ``text_stream`` and
  ``get_final_message()``) are restored incrementally, holding back only a suffix
  that could still become a token;
* each call gets a lineage run (``wrapped.last_run_id``) and an audit record.

``thinking`` blocks are left as the model produced them (their signatures must
verify), images and other binary blocks are not inspected.  Entry points that would
send content unmasked (``with_raw_response`` on messages, ``messages.batches``,
``beta.messages``) raise :class:`guardllm.GuardError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import anthropic
from anthropic.types import InputJSONDelta, RawContentBlockDeltaEvent, TextDelta

from guardllm.errors import GuardError
from guardllm.integrations._sdk_common import (
    CallTrace,
    Fence,
    GuardedStreamManager,
    Masker,
    Proxy,
    WrapConfig,
    in_thread,
    install_stream_transform,
    to_plain,
    traced_async,
    traced_sync,
)

if TYPE_CHECKING:  # pragma: no cover
    from guardllm.guard import Guard

__all__ = ["GuardedAnthropic", "wrap"]

_RAW = "it would return the provider's raw response without restoring it; call the method directly"
_TOOL_BLOCKS = ("tool_use", "server_tool_use", "mcp_tool_use")


def wrap(
    client: Any,
    guard: Guard,
    scope: str | None = None,
    principal: str | None = None,
    to: str = "user",
    *,
    purpose: str | None = None,
    run_id: str | None = None,
) -> GuardedAnthropic:
    """Wrap an ``anthropic.Anthropic`` or ``anthropic.AsyncAnthropic`` client.

    Arguments as for :func:`guardllm.openai.wrap`: ``scope`` (token scope), ``principal``,
    ``to`` (whose policy decides what the caller sees restored), ``purpose``, and an
    optional fixed lineage ``run_id`` (otherwise one per call, see ``last_run_id``).
    """
    if isinstance(client, GuardedAnthropic):
        raise TypeError("client is already wrapped by guardllm")
    if not isinstance(client, (anthropic.Anthropic, anthropic.AsyncAnthropic)):
        raise TypeError(
            f"guardllm.anthropic.wrap expects an anthropic.Anthropic or anthropic.AsyncAnthropic "
            f"client, got {type(client).__name__}"
        )
    cfg = WrapConfig(
        guard=guard,
        provider="anthropic",
        scope=scope,
        principal=principal,
        to=to,
        purpose=purpose,
        run_id=run_id,
    )
    return GuardedAnthropic(client, cfg)


def _guard_error(name: str, reason: str) -> GuardError:
    return GuardError(f"{name} is not available on a guardllm-wrapped Anthropic client: {reason}")


class GuardedAnthropic(Proxy):
    """An Anthropic client whose Messages calls go through a Guard."""

    def __init__(self, client: Any, cfg: WrapConfig) -> None:
        super().__init__(client)
        self._cfg = cfg
        self._is_async = isinstance(client, anthropic.AsyncAnthropic)

    @property
    def unwrapped(self) -> Any:
        """The underlying SDK client (unguarded: use with care)."""
        return self._target

    @property
    def guard(self) -> Guard:
        return self._cfg.guard

    @property
    def last_run_id(self) -> str | None:
        """Lineage run id of the most recent call."""
        return self._cfg.last_run_id

    @property
    def messages(self) -> Any:
        return _Messages(self._target.messages, self._cfg, self._is_async)

    @property
    def beta(self) -> Any:
        return Fence(
            self._target.beta,
            {
                "messages": "beta messages are not guarded; use the wrapped client's messages",
                "sessions": "agent session events are not masked; use the wrapped client's messages",
            },
        )

    @property
    def with_raw_response(self) -> Any:
        return Fence(self._target.with_raw_response, {"messages": _RAW, "beta": _RAW})

    @property
    def with_streaming_response(self) -> Any:
        return Fence(self._target.with_streaming_response, {"messages": _RAW, "beta": _RAW})

    def with_options(self, **kwargs: Any) -> GuardedAnthropic:
        """Same as the SDK's ``with_options``; the copy is guarded with the same settings."""
        return GuardedAnthropic(self._target.with_options(**kwargs), self._cfg)

    copy = with_options

    def with_middleware(self, *args: Any, **kwargs: Any) -> GuardedAnthropic:
        return GuardedAnthropic(self._target.with_middleware(*args, **kwargs), self._cfg)


# -- request ----------------------------------------------------------------------------


def _mask_request(m: Masker, kwargs: dict[str, Any]) -> dict[str, Any]:
    out = dict(kwargs)
    system = out.get("system")
    if isinstance(system, str):
        out["system"] = m.text(system)
    elif isinstance(system, (list, tuple)):
        out["system"] = [_mask_block(m, b) for b in to_plain(system)]
    if "messages" in out:
        out["messages"] = [_mask_message(m, msg) for msg in to_plain(out["messages"])]
    if isinstance(out.get("tools"), (list, tuple)):
        out["tools"] = [_mask_tool(m, t) for t in to_plain(out["tools"])]
    if isinstance(out.get("metadata"), Mapping):
        # metadata.user_id is an opaque id to Anthropic: a token in place of an email is
        # exactly as useful for abuse tracking, and the same value maps to the same token.
        out["metadata"] = m.metadata(to_plain(out["metadata"]), field_name="metadata")
    return out


def _mask_message(m: Masker, msg: Any) -> Any:
    if not isinstance(msg, dict):
        return msg
    msg = dict(msg)
    content = msg.get("content")
    if isinstance(content, str):
        msg["content"] = m.text(content)
    elif isinstance(content, list):
        msg["content"] = [_mask_block(m, b) for b in content]
    return msg


def _mask_block(m: Masker, block: Any) -> Any:
    """One content block (also ``system`` blocks).  Tool blocks are masked field by field;
    every other block -- text (with its citations), image and document sources, search
    results, types a future SDK adds -- goes through :meth:`Masker.part`: every string leaf
    masked except structure, ids and base64 payloads (fail closed)."""
    if isinstance(block, str):
        return m.text(block)
    if not isinstance(block, dict):
        return block
    kind = block.get("type")
    if kind in ("thinking", "redacted_thinking"):
        return block  # signed by the provider: any change invalidates it
    if kind in _TOOL_BLOCKS:  # other fields: ids and the tool's name
        block = dict(block)
        if "input" in block:
            block["input"] = m.obj(block["input"])
        return block
    if kind in ("tool_result", "mcp_tool_result"):
        block = dict(block)
        content = block.get("content")
        if isinstance(content, str):
            block["content"] = m.structured(content)
        elif isinstance(content, list):
            block["content"] = [_mask_block(m, b) for b in content]
        return block
    if kind == "search_result" and isinstance(block.get("content"), list):
        rest = m.part({k: v for k, v in block.items() if k != "content"})
        return {**rest, "content": [_mask_block(m, b) for b in block["content"]]}
    return m.part(block)


def _mask_tool(m: Masker, tool: Any) -> Any:
    if not isinstance(tool, dict):
        return tool
    tool = dict(tool)
    if isinstance(tool.get("description"), str):
        tool["description"] = m.text(tool["description"])
    if "input_schema" in tool:
        tool["input_schema"] = m.schema_descriptions(tool["input_schema"])
    return tool


def _tool_results(masked: dict[str, Any]) -> list[tuple[str, Any]]:
    """``(tool name, masked content)`` for each ``tool_result`` block, named through the
    ``tool_use`` block it answers."""
    names: dict[Any, str] = {}
    out: list[tuple[str, Any]] = []
    for msg in masked.get("messages") or []:
        content = msg.get("content") if isinstance(msg, dict) else None
        for block in content if isinstance(content, list) else []:
            if not isinstance(block, dict):
                continue
            if block.get("type") in _TOOL_BLOCKS:
                names[block.get("id")] = block.get("name")
            elif block.get("type") in ("tool_result", "mcp_tool_result"):
                out.append((names.get(block.get("tool_use_id")) or "unknown", block.get("content")))
    return out


# -- response ---------------------------------------------------------------------------


def _restore_message(trace: CallTrace, message: Any, record: bool) -> Any:
    if message is None or not getattr(message, "content", None):
        return message
    blocks = []
    for block in message.content:
        kind = getattr(block, "type", None)
        if kind == "text":
            block = block.model_copy(update={"text": trace.restore_text(block.text, record=record)})
        elif kind in _TOOL_BLOCKS and getattr(block, "input", None) is not None:
            block = block.model_copy(
                update={"input": trace.restore_tool_obj(block.name, block.input, record=record)}
            )
        blocks.append(block)
    return message.model_copy(update={"content": blocks})


def _stream_steps(trace: CallTrace) -> tuple[Callable[[Any], list[Any]], Callable[[Any], list[Any]]]:
    tools: dict[int, str] = {}

    def synth(key: tuple[str, int], rest: str) -> Any:
        if key[0] == "tool":
            delta: Any = InputJSONDelta(type="input_json_delta", partial_json=rest)
        else:
            delta = TextDelta(type="text_delta", text=rest)
        return RawContentBlockDeltaEvent(type="content_block_delta", index=key[1], delta=delta)

    def step(ev: Any) -> list[Any]:
        kind = getattr(ev, "type", None)
        if kind == "content_block_start":
            block = ev.content_block
            btype = getattr(block, "type", None)
            if btype in _TOOL_BLOCKS:
                tools[ev.index] = block.name
                if getattr(block, "input", None):
                    block = block.model_copy(
                        update={"input": trace.restore_tool_obj(block.name, block.input)}
                    )
                    return [ev.model_copy(update={"content_block": block})]
            elif btype == "text" and block.text:
                block = block.model_copy(update={"text": trace.feed(("text", ev.index), block.text)})
                return [ev.model_copy(update={"content_block": block})]
            return [ev]
        if kind == "content_block_delta":
            delta = ev.delta
            dtype = getattr(delta, "type", None)
            if dtype == "text_delta":
                out = trace.feed(("text", ev.index), delta.text)
                return [ev.model_copy(update={"delta": delta.model_copy(update={"text": out})})]
            if dtype == "input_json_delta":
                out = trace.feed(
                    ("tool", ev.index), delta.partial_json, tool=tools.get(ev.index) or "unknown"
                )
                return [ev.model_copy(update={"delta": delta.model_copy(update={"partial_json": out})})]
            return [ev]
        if kind == "content_block_stop":
            pending = []
            for key in (("text", ev.index), ("tool", ev.index)):
                rest = trace.flush(key)
                if rest:
                    pending.append(synth(key, rest))
            return [*pending, ev]
        if kind == "message_start" and getattr(ev.message, "content", None):
            return [ev.model_copy(update={"message": _restore_message(trace, ev.message, True)})]
        return [ev]

    def tail(last: Any) -> list[Any]:
        return [synth(key, rest) for key, rest in trace.flush_all()]

    return step, tail


# -- resource ---------------------------------------------------------------------------


class _Messages(Proxy):
    def __init__(self, target: Any, cfg: WrapConfig, is_async: bool) -> None:
        super().__init__(target)
        self._cfg, self._is_async = cfg, is_async

    @property
    def with_raw_response(self) -> Any:
        raise _guard_error("messages.with_raw_response", _RAW)

    @property
    def with_streaming_response(self) -> Any:
        raise _guard_error("messages.with_streaming_response", _RAW)

    @property
    def batches(self) -> Any:
        return Fence(
            self._target.batches,
            {"create": "batch requests are not masked; send them through messages.create"},
        )

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        raise _guard_error(
            "messages.parse",
            "structured-output parsing is not covered by the guard yet; "
            "use create() and parse the restored text",
        )

    def _prepare(
        self, operation: str, kwargs: dict[str, Any], stream: bool
    ) -> tuple[CallTrace, dict[str, Any]]:
        trace = self._cfg.start_call(operation, kwargs.get("model"), stream=stream)
        try:
            masked = _mask_request(self._cfg.masker(), kwargs)
            trace.sent(
                {
                    k: masked[k]
                    for k in ("system", "messages", "tools")
                    if k in masked and isinstance(masked[k], (str, list))
                },
                _tool_results(masked),
            )
        except BaseException as exc:
            trace.finish(exc)
            raise
        return trace, masked

    def _attach(self, trace: CallTrace) -> Callable[[Any], Any]:
        step, tail = _stream_steps(trace)

        def attach(stream: Any) -> Any:
            if self._is_async:
                return install_stream_transform(stream, lambda it: traced_async(it, trace, step, tail))
            return install_stream_transform(stream, lambda it: traced_sync(it, trace, step, tail))

        return attach

    def create(self, **kwargs: Any) -> Any:
        """``messages.create`` with the request masked and the answer restored."""
        if self._is_async:
            return self._acreate(**kwargs)
        trace, masked = self._prepare("messages.create", kwargs, bool(kwargs.get("stream")))
        try:
            result = self._target.create(**masked)
        except BaseException as exc:
            trace.finish(exc)
            raise
        if isinstance(result, anthropic.Stream):
            return self._attach(trace)(result)
        try:
            restored = _restore_message(trace, result, True)
        except BaseException as exc:
            trace.finish(exc)
            raise
        trace.finish()
        return restored

    async def _acreate(self, **kwargs: Any) -> Any:
        trace, masked = await in_thread(self._prepare, "messages.create", kwargs, bool(kwargs.get("stream")))
        try:
            result = await self._target.create(**masked)
        except BaseException as exc:
            trace.finish(exc)
            raise
        if isinstance(result, anthropic.AsyncStream):
            return self._attach(trace)(result)
        try:
            restored = await in_thread(_restore_message, trace, result, True)
        except BaseException as exc:
            trace.finish(exc)
            raise
        await in_thread(trace.finish)
        return restored

    def stream(self, **kwargs: Any) -> GuardedStreamManager:
        """The ``messages.stream(...)`` helper: ``text_stream``, events and
        ``get_final_message()`` all carry restored text."""
        trace, masked = self._prepare("messages.stream", kwargs, True)
        try:
            manager = self._target.stream(**masked)
        except BaseException as exc:
            trace.finish(exc)
            raise
        return GuardedStreamManager(manager, self._attach(trace))

    def count_tokens(self, **kwargs: Any) -> Any:
        """Token count of the masked request (what the model will actually see)."""
        if self._is_async:
            return self._acount_tokens(**kwargs)
        return self._target.count_tokens(**_mask_request(self._cfg.masker(), kwargs))

    async def _acount_tokens(self, **kwargs: Any) -> Any:
        masked = await in_thread(_mask_request, self._cfg.masker(), kwargs)
        return await self._target.count_tokens(**masked)
