"""Guard the official OpenAI SDK: ``guardllm.openai.wrap(client, guard)``.

The wrapped client is a drop-in for ``OpenAI`` / ``AsyncOpenAI``.  On
``chat.completions.create``, ``chat.completions.stream``, ``responses.create`` and
``responses.stream`` (and ``embeddings.create``):

* the request is masked before it leaves: every message (all roles; string content
  and text parts), tool results, the assistant's earlier tool-call arguments,
  ``instructions``, and the descriptions in tool definitions;
* the answer is restored for the caller (``to``, default ``"user"``) where the policy
  allows, and each function call's arguments are restored only for the types that
  ``tool:<function name>`` may see -- the rest stay tokens;
* streams are restored chunk by chunk, holding back only a suffix that could still
  become a token, and stay the SDK's own ``Stream`` objects;
* every call gets a lineage run (``wrapped.last_run_id``; ``guard.lineage(run_id)``)
  and an audit record.

Responses are the SDK's own pydantic types (restored copies).  Errors are the SDK's
own exceptions; as the request was masked, anything a server echoes back is masked
too.  Everything else on the client is passed through unchanged, except the few
entry points that would send conversation content unmasked (``with_raw_response``
on the guarded resources, ``parse``, legacy ``completions``, ``beta.chat``...), which
raise :class:`guardllm.GuardError` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import openai
from openai.types.chat.chat_completion_chunk import (
    Choice as ChunkChoice,
)
from openai.types.chat.chat_completion_chunk import (
    ChoiceDelta,
    ChoiceDeltaToolCall,
    ChoiceDeltaToolCallFunction,
)
from openai.types.responses import (
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseTextDeltaEvent,
)

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

__all__ = ["GuardedOpenAI", "wrap"]

_RAW = "it would return the provider's raw response without restoring it; call the method directly"
#: Resources whose raw-response twins would send conversation content unmasked.
_CONTENT_RESOURCES = ("chat", "responses", "embeddings", "completions", "beta", "conversations", "realtime")
_CONV = (
    "conversation items are not masked here; add them through responses.create(conversation=...), "
    "which masks them"
)
_PARSE = "structured-output parsing is not covered by the guard yet; use create() and parse the restored text"


def wrap(
    client: Any,
    guard: Guard,
    scope: str | None = None,
    principal: str | None = None,
    to: str = "user",
    *,
    purpose: str | None = None,
    run_id: str | None = None,
) -> GuardedOpenAI:
    """Wrap an ``openai.OpenAI`` or ``openai.AsyncOpenAI`` client.

    ``scope`` is the token scope (a session or tenant; ``None`` = the guard's default);
    ``principal`` whom the calls run for; ``to`` the recipient whose policy decides
    what the caller sees restored (``"user"``, ``"role:<name>"``...); ``purpose`` is
    passed to the policy.  With ``run_id`` every call is recorded into that one
    lineage run; otherwise each call gets a fresh run id (``wrapped.last_run_id``).
    """
    if isinstance(client, GuardedOpenAI):
        raise TypeError("client is already wrapped by guardllm")
    if not isinstance(client, (openai.OpenAI, openai.AsyncOpenAI)):
        raise TypeError(
            f"guardllm.openai.wrap expects an openai.OpenAI or openai.AsyncOpenAI client, "
            f"got {type(client).__name__}"
        )
    cfg = WrapConfig(
        guard=guard,
        provider="openai",
        scope=scope,
        principal=principal,
        to=to,
        purpose=purpose,
        run_id=run_id,
    )
    return GuardedOpenAI(client, cfg)


class GuardedOpenAI(Proxy):
    """An OpenAI client whose chat, responses and embeddings calls go through a Guard."""

    def __init__(self, client: Any, cfg: WrapConfig) -> None:
        super().__init__(client)
        self._cfg = cfg
        self._is_async = isinstance(client, openai.AsyncOpenAI)

    @property
    def unwrapped(self) -> Any:
        """The underlying SDK client (unguarded: use with care)."""
        return self._target

    @property
    def guard(self) -> Guard:
        return self._cfg.guard

    @property
    def last_run_id(self) -> str | None:
        """Lineage run id of the most recent call (``guard.lineage(wrapped.last_run_id)``)."""
        return self._cfg.last_run_id

    @property
    def chat(self) -> Any:
        return _Chat(self._target.chat, self._cfg, self._is_async)

    @property
    def responses(self) -> Any:
        return _Responses(self._target.responses, self._cfg, self._is_async)

    @property
    def embeddings(self) -> Any:
        return _Embeddings(self._target.embeddings, self._cfg, self._is_async)

    @property
    def completions(self) -> Any:
        return Fence(
            self._target.completions,
            {"create": "the legacy Completions API is not guarded; use chat.completions.create"},
        )

    @property
    def beta(self) -> Any:
        return Fence(
            self._target.beta,
            {
                name: "this beta API is not guarded; use the wrapped client's chat.completions / responses"
                for name in ("chat", "assistants", "threads", "realtime", "responses")
            },
        )

    @property
    def with_raw_response(self) -> Any:
        return Fence(self._target.with_raw_response, dict.fromkeys(_CONTENT_RESOURCES, _RAW))

    @property
    def with_streaming_response(self) -> Any:
        return Fence(self._target.with_streaming_response, dict.fromkeys(_CONTENT_RESOURCES, _RAW))

    @property
    def realtime(self) -> Any:
        return Fence(
            self._target.realtime,
            {"connect": "Realtime sessions are not guarded; use chat.completions / responses"},
        )

    @property
    def conversations(self) -> Any:
        return _Conversations(self._target.conversations)

    def with_options(self, **kwargs: Any) -> GuardedOpenAI:
        """Same as the SDK's ``with_options``; the copy is guarded with the same settings."""
        return GuardedOpenAI(self._target.with_options(**kwargs), self._cfg)

    copy = with_options


class _Chat(Proxy):
    def __init__(self, target: Any, cfg: WrapConfig, is_async: bool) -> None:
        super().__init__(target)
        self._cfg, self._is_async = cfg, is_async

    @property
    def completions(self) -> Any:
        return _ChatCompletions(self._target.completions, self._cfg, self._is_async)


class _Resource(Proxy):
    """Common create/stream plumbing: mask, call, restore, record."""

    operation = ""
    _mask: Callable[[Masker, dict[str, Any]], dict[str, Any]]
    _restore: Callable[[CallTrace, Any, bool], Any]
    _step_factory: Callable[[CallTrace], tuple[Callable[[Any], list[Any]], Callable[[Any], list[Any]]]]

    def __init__(self, target: Any, cfg: WrapConfig, is_async: bool) -> None:
        super().__init__(target)
        self._cfg, self._is_async = cfg, is_async

    @property
    def with_raw_response(self) -> Any:
        raise openai_guard_error("with_raw_response", _RAW)

    @property
    def with_streaming_response(self) -> Any:
        raise openai_guard_error("with_streaming_response", _RAW)

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        raise openai_guard_error("parse", _PARSE)

    def _prepare(
        self, operation: str, kwargs: dict[str, Any], stream: bool
    ) -> tuple[CallTrace, dict[str, Any]]:
        trace = self._cfg.start_call(operation, kwargs.get("model"), stream=stream)
        try:
            masked = type(self)._mask(self._cfg.masker(), kwargs)
            trace.sent(_json_view(masked), _tool_results(masked))
        except BaseException as exc:
            trace.finish(exc)
            raise
        return trace, masked

    def _attach(self, trace: CallTrace) -> Callable[[Any], Any]:
        step, tail = type(self)._step_factory(trace)

        def attach(stream: Any) -> Any:
            if self._is_async:
                return install_stream_transform(stream, lambda it: traced_async(it, trace, step, tail))
            return install_stream_transform(stream, lambda it: traced_sync(it, trace, step, tail))

        return attach

    def create(self, **kwargs: Any) -> Any:
        """The SDK's ``create`` with the request masked and the answer restored."""
        if self._is_async:
            return self._acreate(**kwargs)
        trace, masked = self._prepare(self.operation + ".create", kwargs, bool(kwargs.get("stream")))
        try:
            result = self._target.create(**masked)
        except BaseException as exc:
            trace.finish(exc)
            raise
        if _is_stream(result):
            return self._attach(trace)(result)
        try:
            restored = type(self)._restore(trace, result, True)
        except BaseException as exc:
            trace.finish(exc)
            raise
        trace.finish()
        return restored

    async def _acreate(self, **kwargs: Any) -> Any:
        trace, masked = await in_thread(
            self._prepare, self.operation + ".create", kwargs, bool(kwargs.get("stream"))
        )
        try:
            result = await self._target.create(**masked)
        except BaseException as exc:
            trace.finish(exc)
            raise
        if _is_stream(result):
            return self._attach(trace)(result)
        try:
            restored = await in_thread(type(self)._restore, trace, result, True)
        except BaseException as exc:
            trace.finish(exc)
            raise
        await in_thread(trace.finish)
        return restored

    def stream(self, **kwargs: Any) -> Any:
        """The SDK's helper ``stream(...)`` context manager, masked and restored."""
        trace, masked = self._prepare(self.operation + ".stream", kwargs, True)
        try:
            manager = self._target.stream(**masked)
        except BaseException as exc:
            trace.finish(exc)
            raise
        return GuardedStreamManager(manager, self._attach(trace))


def openai_guard_error(name: str, reason: str) -> Exception:
    from guardllm.errors import GuardError

    return GuardError(f"{name} is not available on a guardllm-wrapped OpenAI client: {reason}")


def _is_stream(result: Any) -> bool:
    return isinstance(result, (openai.Stream, openai.AsyncStream))


def _json_view(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The JSON-ish part of the masked kwargs (what lineage counts as sent)."""
    keys = ("messages", "input", "instructions", "tools", "functions", "system", "prompt", "prediction")
    return {k: kwargs[k] for k in keys if k in kwargs and isinstance(kwargs[k], (str, list, dict))}


def _tool_results(masked: dict[str, Any]) -> list[tuple[str, Any]]:
    """``(tool name, masked output)`` for each tool result in a (masked) request: chat
    ``tool`` / ``function`` messages and Responses ``*_call_output`` items, named through
    the call they answer."""
    out: list[tuple[str, Any]] = []
    names: dict[Any, str] = {}
    for msg in masked.get("messages") or []:
        if not isinstance(msg, dict):
            continue
        for tc in msg.get("tool_calls") or []:
            if isinstance(tc, dict):
                fn = tc.get("function") or tc.get("custom") or {}
                names[tc.get("id")] = fn.get("name") if isinstance(fn, dict) else None
        if msg.get("role") == "tool":
            out.append((names.get(msg.get("tool_call_id")) or "unknown", msg.get("content")))
        elif msg.get("role") == "function":
            out.append((msg.get("name") or "unknown", msg.get("content")))
    items = masked.get("input")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        if item.get("type") in ("function_call", "custom_tool_call"):
            names[item.get("call_id")] = item.get("name")
        elif item.get("type") in ("function_call_output", "custom_tool_call_output"):
            out.append((names.get(item.get("call_id")) or "unknown", item.get("output")))
    return out


# -- Chat Completions -------------------------------------------------------------------


def _mask_chat_request(m: Masker, kwargs: dict[str, Any]) -> dict[str, Any]:
    out = dict(kwargs)
    if "messages" in out:
        out["messages"] = [_mask_chat_message(m, msg) for msg in to_plain(out["messages"])]
    if isinstance(out.get("tools"), (list, tuple)):
        out["tools"] = [_mask_chat_tool(m, t) for t in to_plain(out["tools"])]
    if isinstance(out.get("functions"), (list, tuple)):
        out["functions"] = [_mask_function_def(m, f) for f in to_plain(out["functions"])]
    _mask_common_fields(m, out)
    if isinstance(out.get("response_format"), dict):
        out["response_format"] = _mask_format(m, to_plain(out["response_format"]))
    if isinstance(out.get("prediction"), dict):  # predicted output: text the model is shown
        prediction = dict(to_plain(out["prediction"]))
        prediction["content"] = m.parts(prediction.get("content"))
        out["prediction"] = prediction
    return out


# Identifiers and labels the caller chooses and the provider stores or logs: an email put
# in ``user`` or ``safety_identifier`` (the docs suggest a user id there) would leave raw.
_ID_FIELDS = ("user", "safety_identifier", "prompt_cache_key")
_METADATA_MAX = 512  # OpenAI: metadata values are strings of at most 512 characters


def _mask_common_fields(m: Masker, out: dict[str, Any]) -> None:
    """Fields Chat Completions and Responses share: ids and ``metadata``."""
    for name in _ID_FIELDS:
        if isinstance(out.get(name), str):
            out[name] = m.text(out[name])
    if isinstance(out.get("metadata"), Mapping):
        out["metadata"] = m.metadata(to_plain(out["metadata"]), field_name="metadata", max_len=_METADATA_MAX)


def _mask_format(m: Masker, fmt: Any) -> Any:
    """A structured-output format (chat ``response_format``, Responses ``text.format``):
    its description and schema are shown to the model."""
    if not isinstance(fmt, dict):
        return fmt
    fmt = dict(fmt)
    target = fmt
    if isinstance(fmt.get("json_schema"), dict):  # chat nests it; Responses does not
        target = fmt["json_schema"] = dict(fmt["json_schema"])
    if isinstance(target.get("description"), str):
        target["description"] = m.text(target["description"])
    if "schema" in target:
        target["schema"] = m.schema_descriptions(target["schema"])
    return fmt


def _mask_chat_message(m: Masker, msg: Any) -> Any:
    if not isinstance(msg, dict):
        return msg
    msg = dict(msg)
    if "content" in msg:
        content = msg["content"]
        if msg.get("role") == "tool" and isinstance(content, str):
            msg["content"] = m.structured(content)
        else:
            msg["content"] = m.parts(content)
    if isinstance(msg.get("refusal"), str):
        msg["refusal"] = m.text(msg["refusal"])
    if isinstance(msg.get("tool_calls"), list):
        msg["tool_calls"] = [_mask_tool_call(m, tc) for tc in msg["tool_calls"]]
    if isinstance(msg.get("function_call"), dict):
        fc = dict(msg["function_call"])
        fc["arguments"] = m.structured(fc.get("arguments"))
        msg["function_call"] = fc
    return msg


def _mask_tool_call(m: Masker, tc: Any) -> Any:
    if not isinstance(tc, dict):
        return tc
    tc = dict(tc)
    if isinstance(tc.get("function"), dict):
        fn = dict(tc["function"])
        fn["arguments"] = m.structured(fn.get("arguments"))
        tc["function"] = fn
    if isinstance(tc.get("custom"), dict):
        custom = dict(tc["custom"])
        custom["input"] = m.structured(custom.get("input"))
        tc["custom"] = custom
    return tc


def _mask_function_def(m: Masker, fn: Any) -> Any:
    if not isinstance(fn, dict):
        return fn
    fn = dict(fn)
    if isinstance(fn.get("description"), str):
        fn["description"] = m.text(fn["description"])
    if "parameters" in fn:
        fn["parameters"] = m.schema_descriptions(fn["parameters"])
    return fn


def _mask_chat_tool(m: Masker, tool: Any) -> Any:
    if not isinstance(tool, dict):
        return tool
    tool = dict(tool)
    if isinstance(tool.get("function"), dict):
        tool["function"] = _mask_function_def(m, tool["function"])
    if isinstance(tool.get("custom"), dict):
        tool["custom"] = _mask_function_def(m, tool["custom"])
    return tool


def _restore_chat(trace: CallTrace, completion: Any, record: bool) -> Any:
    choices = []
    for choice in completion.choices:
        msg = choice.message
        upd: dict[str, Any] = {}
        if msg.content:
            upd["content"] = trace.restore_text(msg.content, record=record)
        if getattr(msg, "refusal", None):
            upd["refusal"] = trace.restore_text(msg.refusal, record=record)
        if msg.tool_calls:
            upd["tool_calls"] = [_restore_tool_call(trace, tc, record) for tc in msg.tool_calls]
        fc = getattr(msg, "function_call", None)
        if fc is not None:
            upd["function_call"] = fc.model_copy(
                update={"arguments": trace.restore_tool_json(fc.name, fc.arguments, record=record)}
            )
        choices.append(choice.model_copy(update={"message": msg.model_copy(update=upd)}) if upd else choice)
    return completion.model_copy(update={"choices": choices})


def _restore_tool_call(trace: CallTrace, tc: Any, record: bool) -> Any:
    fn = getattr(tc, "function", None)
    if fn is not None:
        return tc.model_copy(
            update={
                "function": fn.model_copy(
                    update={"arguments": trace.restore_tool_json(fn.name, fn.arguments, record=record)}
                )
            }
        )
    custom = getattr(tc, "custom", None)
    if custom is not None:
        return tc.model_copy(
            update={
                "custom": custom.model_copy(
                    update={"input": trace.restore_tool_json(custom.name, custom.input, record=record)}
                )
            }
        )
    return tc


def _chat_steps(trace: CallTrace) -> tuple[Callable[[Any], list[Any]], Callable[[Any], list[Any]]]:
    names: dict[tuple[str, int, int], str] = {}

    def flush_choice(index: int) -> tuple[str, str, list[Any]]:
        content = trace.flush(("content", index))
        refusal = trace.flush(("refusal", index))
        calls = []
        for key in [k for k in list(names) if k[1] == index]:
            rest = trace.flush(key)
            if rest:
                calls.append(
                    ChoiceDeltaToolCall(index=key[2], function=ChoiceDeltaToolCallFunction(arguments=rest))
                )
        return content, refusal, calls

    def step(chunk: Any) -> list[Any]:
        if not getattr(chunk, "choices", None):
            return [chunk]
        choices = []
        for choice in chunk.choices:
            delta, i = choice.delta, choice.index
            upd: dict[str, Any] = {}
            if delta is not None:
                if delta.content is not None:
                    upd["content"] = trace.feed(("content", i), delta.content)
                if getattr(delta, "refusal", None) is not None:
                    upd["refusal"] = trace.feed(("refusal", i), delta.refusal)
                if delta.tool_calls:
                    calls = []
                    for tc in delta.tool_calls:
                        key = ("tool", i, tc.index)
                        fn = tc.function
                        if fn is not None and fn.name:
                            names[key] = fn.name
                        if fn is not None and fn.arguments is not None:
                            names.setdefault(key, "")
                            out = trace.feed(key, fn.arguments, tool=names[key] or "unknown")
                            tc = tc.model_copy(update={"function": fn.model_copy(update={"arguments": out})})
                        calls.append(tc)
                    upd["tool_calls"] = calls
            if choice.finish_reason is not None:
                content, refusal, calls = flush_choice(i)
                if content:
                    upd["content"] = (upd.get("content") or "") + content
                if refusal:
                    upd["refusal"] = (upd.get("refusal") or "") + refusal
                if calls:
                    upd["tool_calls"] = [*(upd.get("tool_calls") or delta.tool_calls or []), *calls]
            if upd:
                base = delta if delta is not None else ChoiceDelta()
                choice = choice.model_copy(update={"delta": base.model_copy(update=upd)})
            choices.append(choice)
        return [chunk.model_copy(update={"choices": choices})]

    def tail(last: Any) -> list[Any]:
        # The stream ended without a finish_reason (cut short): show what was held back.
        if last is None:
            return []
        indexes = sorted({k[1] for k in names} | {0})
        choices = []
        for i in indexes:
            content, refusal, calls = flush_choice(i)
            if content or refusal or calls:
                delta = ChoiceDelta(
                    content=content or None, refusal=refusal or None, tool_calls=calls or None
                )
                choices.append(ChunkChoice(index=i, delta=delta, finish_reason=None))
        return [last.model_copy(update={"choices": choices})] if choices else []

    return step, tail


class _ChatCompletions(_Resource):
    operation = "chat.completions"
    _mask = staticmethod(_mask_chat_request)
    _restore = staticmethod(_restore_chat)
    _step_factory = staticmethod(_chat_steps)


# -- Responses --------------------------------------------------------------------------


def _mask_responses_request(m: Masker, kwargs: dict[str, Any]) -> dict[str, Any]:
    out = dict(kwargs)
    if isinstance(out.get("instructions"), str):
        out["instructions"] = m.text(out["instructions"])
    if "input" in out:
        inp = out["input"]
        if isinstance(inp, str):
            out["input"] = m.text(inp)
        elif isinstance(inp, (list, tuple)) or (
            inp is not None and not isinstance(inp, (dict, bytes)) and hasattr(inp, "__iter__")
        ):
            out["input"] = [_mask_response_item(m, item) for item in to_plain(inp)]
    if isinstance(out.get("tools"), (list, tuple)):
        out["tools"] = [
            _mask_function_def(m, t) if isinstance(t, dict) and t.get("type") in ("function", "custom") else t
            for t in to_plain(out["tools"])
        ]
    _mask_common_fields(m, out)
    if isinstance(out.get("text"), dict) and isinstance(out["text"].get("format"), dict):
        text_cfg = dict(to_plain(out["text"]))
        text_cfg["format"] = _mask_format(m, text_cfg["format"])
        out["text"] = text_cfg
    if isinstance(out.get("prompt"), dict) and isinstance(out["prompt"].get("variables"), dict):
        # Reusable prompt templates: the variables are substituted into the prompt server-side.
        prompt = dict(out["prompt"])
        prompt["variables"] = {
            k: m.text(v) if isinstance(v, str) else m.part(to_plain(v))
            for k, v in prompt["variables"].items()
        }
        out["prompt"] = prompt
    return out


def _mask_response_item(m: Masker, item: Any) -> Any:
    """One Responses input item.  Messages and function-tool items are masked field by
    field (JSON arguments and outputs key-aware); every other item type (reasoning
    summaries, MCP calls and approvals, computer/shell/search calls and outputs, types a
    future SDK adds) goes through :meth:`Masker.part`: all string leaves masked except
    ids, structure and binary payloads -- fail closed."""
    if isinstance(item, str):
        return m.text(item)
    if not isinstance(item, dict):
        return item
    kind = item.get("type")
    if kind is None or kind == "message":
        item = dict(item)
        if "content" in item:
            item["content"] = m.parts(item["content"])
        return item
    item = dict(item)
    if kind == "function_call":  # other fields: ids, the tool's name, status
        item["arguments"] = m.structured(item.get("arguments"))
        return item
    if kind == "custom_tool_call":
        item["input"] = m.structured(item.get("input"))
        return item
    if kind in ("function_call_output", "custom_tool_call_output"):
        output = item.get("output")
        item["output"] = m.structured(output) if isinstance(output, str) else m.parts(output)
        return item
    return m.part(item)


def _restore_response_item(trace: CallTrace, item: Any, record: bool) -> Any:
    kind = getattr(item, "type", None)
    if kind == "message":
        parts = []
        for part in item.content:
            if getattr(part, "type", None) == "output_text":
                part = part.model_copy(update={"text": trace.restore_text(part.text, record=record)})
            elif getattr(part, "type", None) == "refusal":
                part = part.model_copy(update={"refusal": trace.restore_text(part.refusal, record=record)})
            parts.append(part)
        return item.model_copy(update={"content": parts})
    if kind == "function_call":
        return item.model_copy(
            update={"arguments": trace.restore_tool_json(item.name, item.arguments, record=record)}
        )
    if kind == "custom_tool_call":
        return item.model_copy(
            update={"input": trace.restore_tool_json(item.name, item.input, record=record)}
        )
    return item


def _restore_response(trace: CallTrace, response: Any, record: bool) -> Any:
    if response is None or not getattr(response, "output", None):
        return response
    return response.model_copy(
        update={"output": [_restore_response_item(trace, it, record) for it in response.output]}
    )


def _responses_steps(trace: CallTrace) -> tuple[Callable[[Any], list[Any]], Callable[[Any], list[Any]]]:
    names: dict[str, str] = {}
    text_keys: dict[tuple[str, str, int], tuple[int, int]] = {}  # key -> (output_index, content_index)
    last_seq = [0]

    def text_delta(key: tuple[str, str, int], rest: str, seq: int) -> Any:
        output_index, content_index = text_keys.get(key, (0, key[2]))
        if key[0] == "refusal":
            from openai.types.responses import ResponseRefusalDeltaEvent

            return ResponseRefusalDeltaEvent.model_construct(
                type="response.refusal.delta",
                item_id=key[1],
                output_index=output_index,
                content_index=content_index,
                delta=rest,
                sequence_number=seq,
            )
        return ResponseTextDeltaEvent.model_construct(
            type="response.output_text.delta",
            item_id=key[1],
            output_index=output_index,
            content_index=content_index,
            delta=rest,
            logprobs=[],
            sequence_number=seq,
        )

    def args_delta(item_id: str, output_index: int, rest: str, seq: int) -> Any:
        return ResponseFunctionCallArgumentsDeltaEvent.model_construct(
            type="response.function_call_arguments.delta",
            item_id=item_id,
            output_index=output_index,
            delta=rest,
            sequence_number=seq,
        )

    def step(ev: Any) -> list[Any]:
        kind = getattr(ev, "type", None)
        seq = getattr(ev, "sequence_number", 0) or 0
        last_seq[0] = seq
        if kind == "response.output_item.added":
            item = ev.item
            if getattr(item, "type", None) in ("function_call", "custom_tool_call"):
                names[item.id] = item.name
            return [ev]
        if kind in ("response.output_text.delta", "response.refusal.delta"):
            key = (
                "text" if kind == "response.output_text.delta" else "refusal",
                ev.item_id,
                ev.content_index,
            )
            text_keys[key] = (ev.output_index, ev.content_index)
            return [ev.model_copy(update={"delta": trace.feed(key, ev.delta)})]
        if kind in ("response.output_text.done", "response.refusal.done"):
            is_text = kind == "response.output_text.done"
            key = ("text" if is_text else "refusal", ev.item_id, ev.content_index)
            text_keys.setdefault(key, (ev.output_index, ev.content_index))
            rest = trace.flush(key)
            field = "text" if is_text else "refusal"
            done = ev.model_copy(update={field: trace.restore_text(getattr(ev, field), record=False)})
            return [text_delta(key, rest, seq), done] if rest else [done]
        if kind in ("response.function_call_arguments.delta", "response.custom_tool_call_input.delta"):
            key = ("args", ev.item_id, 0)
            text_keys[key] = (ev.output_index, 0)
            return [
                ev.model_copy(
                    update={"delta": trace.feed(key, ev.delta, tool=names.get(ev.item_id) or "unknown")}
                )
            ]
        if kind in ("response.function_call_arguments.done", "response.custom_tool_call_input.done"):
            key = ("args", ev.item_id, 0)
            rest = trace.flush(key)
            field = "arguments" if kind == "response.function_call_arguments.done" else "input"
            name = names.get(ev.item_id) or getattr(ev, "name", None) or "unknown"
            done = ev.model_copy(
                update={field: trace.restore_tool_json(name, getattr(ev, field), record=False)}
            )
            return [args_delta(ev.item_id, ev.output_index, rest, seq), done] if rest else [done]
        if kind == "response.content_part.done":
            part = ev.part
            if getattr(part, "type", None) == "output_text":
                part = part.model_copy(update={"text": trace.restore_text(part.text, record=False)})
            elif getattr(part, "type", None) == "refusal":
                part = part.model_copy(update={"refusal": trace.restore_text(part.refusal, record=False)})
            return [ev.model_copy(update={"part": part})]
        if kind == "error":
            # The SDK hands a Responses error event to the caller (it does not raise):
            # show what was held back first, so the text before the error is complete.
            return [*tail(None), ev]
        if kind == "response.output_item.done":
            return [ev.model_copy(update={"item": _restore_response_item(trace, ev.item, False)})]
        if getattr(ev, "response", None) is not None and kind in (
            "response.completed",
            "response.incomplete",
            "response.failed",
            "response.in_progress",
            "response.created",
            "response.queued",
        ):
            return [ev.model_copy(update={"response": _restore_response(trace, ev.response, False)})]
        return [ev]

    def tail(last: Any) -> list[Any]:
        out = []
        for key, rest in trace.flush_all():
            if key[0] == "args":
                out.append(args_delta(key[1], text_keys.get(key, (0, 0))[0], rest, last_seq[0]))
            else:
                out.append(text_delta(key, rest, last_seq[0]))
        return out

    return step, tail


class _Responses(_Resource):
    operation = "responses"
    _mask = staticmethod(_mask_responses_request)
    _restore = staticmethod(_restore_response)
    _step_factory = staticmethod(_responses_steps)

    @property
    def input_tokens(self) -> Any:
        return Fence(self._target.input_tokens, {"count": "counting tokens of unmasked input is not guarded"})

    def compact(self, *args: Any, **kwargs: Any) -> Any:
        raise openai_guard_error("responses.compact", "compaction input is not guarded")

    def connect(self, *args: Any, **kwargs: Any) -> Any:
        raise openai_guard_error(
            "responses.connect", "WebSocket mode is not guarded; use responses.create(stream=True)"
        )


class _Conversations(Proxy):
    """Reading conversations passes through; writing items would send them unmasked."""

    def create(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("items"):
            raise openai_guard_error("conversations.create(items=...)", _CONV)
        return self._target.create(*args, **kwargs)

    @property
    def items(self) -> Any:
        return Fence(self._target.items, {"create": _CONV})

    @property
    def with_raw_response(self) -> Any:
        raise openai_guard_error("conversations.with_raw_response", _RAW)

    @property
    def with_streaming_response(self) -> Any:
        raise openai_guard_error("conversations.with_streaming_response", _RAW)


# -- Embeddings -------------------------------------------------------------------------


class _Embeddings(Proxy):
    """Embeddings of masked text: what gets embedded holds tokens, not values."""

    def __init__(self, target: Any, cfg: WrapConfig, is_async: bool) -> None:
        super().__init__(target)
        self._cfg, self._is_async = cfg, is_async

    def _mask(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        out = dict(kwargs)
        m = self._cfg.masker()
        inp = out.get("input")
        if isinstance(inp, str):
            out["input"] = m.text(inp)
        elif isinstance(inp, (list, tuple)) and all(isinstance(x, str) for x in inp):
            out["input"] = [m.text(x) for x in inp]
        return out

    def create(self, **kwargs: Any) -> Any:
        if self._is_async:
            return self._acreate(**kwargs)
        return self._target.create(**self._mask(kwargs))

    async def _acreate(self, **kwargs: Any) -> Any:
        masked = await in_thread(self._mask, kwargs)
        return await self._target.create(**masked)

    @property
    def with_raw_response(self) -> Any:
        raise openai_guard_error("with_raw_response", _RAW)

    @property
    def with_streaming_response(self) -> Any:
        raise openai_guard_error("with_streaming_response", _RAW)
