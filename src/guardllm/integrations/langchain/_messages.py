"""Masking and restoring LangChain messages and tool payloads.

Shared by the chat-model wrapper, the tool wrapper and the agent middleware so that all
three treat every message kind the same way:

* system / human / AI text and text-like content blocks are masked;
* AI ``tool_calls`` (and ``invalid_tool_calls``, and provider-native copies in
  ``additional_kwargs``) have their arguments masked field by field;
* tool messages are masked as structured data when their text is JSON (keys such as
  ``email`` or ``name`` then count as evidence);
* output restoration touches only the AI message's text, never tool-call arguments:
  tool wrappers decide what a tool may see.

Every function returns new objects; the caller's messages are never mutated.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from guardllm.integrations.langchain._context import CallContext

__all__ = [
    "mask_content",
    "mask_message",
    "mask_messages",
    "mask_structured",
    "mask_value",
    "messages_text",
    "restore_content",
    "restore_message",
    "reveal_args",
    "types_and_fingerprints",
]

# Content-block keys that carry model-visible text.
_TEXT_KEYS = ("text", "reasoning", "thinking")
# Content-block keys that carry tool arguments / inputs.
_ARG_KEYS = ("args", "input", "arguments")


def _mask(guard: Any, text: str, ctx: CallContext) -> str:
    if not text:
        return text
    return guard.mask(text, scope=ctx.scope, principal=ctx.principal)


def _mask_obj(guard: Any, value: Any, ctx: CallContext) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return mask_structured(guard, value, ctx)
    by_json = getattr(guard, "_mask_parsed", None)
    if by_json is not None and isinstance(value, dict):
        # Tool-call arguments come back in every later model call: a Guard remembers the
        # ones that need no masking (keyed by their JSON).
        try:
            text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        except (TypeError, ValueError):  # not plain JSON: masked as an object
            text = None
        if text is not None:
            return by_json(text, value, scope=ctx.scope, principal=ctx.principal)[0]
    return guard.mask_object(value, scope=ctx.scope, principal=ctx.principal)


def mask_structured(guard: Any, text: str, ctx: CallContext) -> str:
    """Text that may be JSON: masked field by field when it parses, else as free text."""
    if not isinstance(text, str) or not text:
        return text
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, (dict, list)):
            by_json = getattr(guard, "_mask_json_text", None)
            if by_json is not None:  # a Guard: remembers results that need no masking
                return by_json(text, parsed, scope=ctx.scope, principal=ctx.principal)
            masked = guard.mask_object(parsed, scope=ctx.scope, principal=ctx.principal)
            return json.dumps(masked, ensure_ascii=False)
    return _mask(guard, text, ctx)


def mask_value(guard: Any, value: Any, ctx: CallContext) -> Any:
    """Any tool output or artifact, masked.

    Strings (JSON-aware), dicts, lists and tuples keep their shape; pydantic models are
    masked through their dump and rebuilt when they still validate (else the masked dict);
    anything else becomes its masked ``str()`` -- fail closed rather than pass an object we
    cannot look inside.
    """
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return mask_structured(guard, value, ctx)
    if isinstance(value, BaseMessage):
        return mask_message(guard, value, ctx)
    if isinstance(value, (dict, list, tuple)):
        if any(isinstance(v, BaseMessage) for v in (value.values() if isinstance(value, dict) else value)):
            if isinstance(value, dict):
                return {k: mask_value(guard, v, ctx) for k, v in value.items()}
            return type(value)(mask_value(guard, v, ctx) for v in value)
        return guard.mask_object(value, scope=ctx.scope, principal=ctx.principal)
    dump = getattr(value, "model_dump", None)
    if callable(dump) and hasattr(type(value), "model_fields"):
        masked = guard.mask_object(dump(mode="json"), scope=ctx.scope, principal=ctx.principal)
        try:
            return type(value).model_validate(masked)
        except Exception:  # the masked form no longer validates: hand back the data
            return masked
    if hasattr(value, "page_content") and hasattr(value, "metadata"):  # a Document
        from langchain_core.documents import Document

        return Document(
            page_content=_mask(guard, value.page_content, ctx),
            metadata=guard.mask_object(dict(value.metadata or {}), scope=ctx.scope, principal=ctx.principal),
            id=getattr(value, "id", None),
        )
    return _mask(guard, str(value), ctx)


def _mask_block(guard: Any, block: Any, ctx: CallContext, *, structured: bool) -> Any:
    if isinstance(block, str):
        return mask_structured(guard, block, ctx) if structured else _mask(guard, block, ctx)
    if not isinstance(block, dict):
        return block
    out = dict(block)
    for key in _TEXT_KEYS:
        if isinstance(out.get(key), str):
            out[key] = mask_structured(guard, out[key], ctx) if structured else _mask(guard, out[key], ctx)
    for key in _ARG_KEYS:
        if key in out and out[key] is not None and out.get("type") != "text":
            out[key] = _mask_obj(guard, out[key], ctx)
    if isinstance(out.get("content"), (str, list)) and out.get("type") in ("tool_result", "tool_call_result"):
        out["content"] = mask_content(guard, out["content"], ctx, structured=True)
    return out


def mask_content(guard: Any, content: Any, ctx: CallContext, *, structured: bool = False) -> Any:
    """A message ``content``: a string, or a list of content blocks."""
    if isinstance(content, str):
        return mask_structured(guard, content, ctx) if structured else _mask(guard, content, ctx)
    if isinstance(content, list):
        return [_mask_block(guard, b, ctx, structured=structured) for b in content]
    return content


def _mask_native_tool_calls(guard: Any, extra: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
    """Provider-native copies of tool calls in ``additional_kwargs`` (OpenAI format)."""
    out = dict(extra)
    calls = out.get("tool_calls")
    if isinstance(calls, list):
        new_calls = []
        for call in calls:
            if isinstance(call, dict) and isinstance(call.get("function"), dict):
                fn = dict(call["function"])
                if isinstance(fn.get("arguments"), str):
                    fn["arguments"] = mask_structured(guard, fn["arguments"], ctx)
                call = {**call, "function": fn}
            new_calls.append(call)
        out["tool_calls"] = new_calls
    fc = out.get("function_call")
    if isinstance(fc, dict) and isinstance(fc.get("arguments"), str):
        out["function_call"] = {**fc, "arguments": mask_structured(guard, fc["arguments"], ctx)}
    if isinstance(out.get("reasoning_content"), str):
        out["reasoning_content"] = _mask(guard, out["reasoning_content"], ctx)
    return out


def mask_message(guard: Any, message: BaseMessage, ctx: CallContext) -> BaseMessage:
    """One message of any kind, masked (a new object)."""
    update: dict[str, Any] = {
        "content": mask_content(guard, message.content, ctx, structured=isinstance(message, ToolMessage))
    }
    if message.additional_kwargs:
        update["additional_kwargs"] = _mask_native_tool_calls(guard, message.additional_kwargs, ctx)
    if isinstance(message, ToolMessage) and message.artifact is not None:
        # The artifact is not sent to the provider, but the wrapped model's callbacks and
        # traces see it; one that did not come from a wrapped tool may hold raw values.
        update["artifact"] = mask_value(guard, message.artifact, ctx)
    if isinstance(message, AIMessage):
        if message.tool_calls:
            update["tool_calls"] = [
                {**tc, "args": _mask_obj(guard, tc.get("args") or {}, ctx)} for tc in message.tool_calls
            ]
        if message.invalid_tool_calls:
            update["invalid_tool_calls"] = [
                {**tc, "args": _mask_obj(guard, tc.get("args"), ctx)} for tc in message.invalid_tool_calls
            ]
        chunks = getattr(message, "tool_call_chunks", None)
        if chunks:
            update["tool_call_chunks"] = [
                {**tc, "args": _mask_obj(guard, tc.get("args"), ctx)} for tc in chunks
            ]
    return message.model_copy(update=update)


def mask_messages(guard: Any, messages: Sequence[BaseMessage], ctx: CallContext) -> list[BaseMessage]:
    return [mask_message(guard, m, ctx) for m in messages]


# -- restoring ---------------------------------------------------------------------------


def restore_content(guard: Any, content: Any, ctx: CallContext, to: str) -> Any:
    """AI output text with tokens restored where the policy lets ``to`` see them."""
    kwargs = {"scope": ctx.scope, "to": to, "principal": ctx.principal, "purpose": ctx.purpose}
    if isinstance(content, str):
        return guard.unmask(content, **kwargs) if content else content
    if isinstance(content, list):
        out: list[Any] = []
        for block in content:
            if isinstance(block, str):
                out.append(guard.unmask(block, **kwargs) if block else block)
            elif (
                isinstance(block, dict)
                and block.get("type", "text") == "text"
                and isinstance(block.get("text"), str)
            ):
                out.append({**block, "text": guard.unmask(block["text"], **kwargs)})
            else:
                out.append(block)  # tool-use blocks and the like keep their tokens
        return out
    return content


def restore_message(guard: Any, message: BaseMessage, ctx: CallContext, to: str) -> BaseMessage:
    """An AI message for the caller: text restored, tool calls left as tokens."""
    return message.model_copy(update={"content": restore_content(guard, message.content, ctx, to)})


def reveal_args(guard: Any, value: Any, ctx: CallContext, to: str) -> tuple[Any, list[Any], list[Any]]:
    """Tool arguments with tokens turned into raw values only where ``to`` may see them.

    Returns ``(arguments, revealed_refs, refused_refs)``.  Non-text values (numbers,
    injected runtime objects) pass through untouched.
    """
    revealed: list[Any] = []
    refused: list[Any] = []
    kwargs = {"scope": ctx.scope, "to": to, "principal": ctx.principal, "purpose": ctx.purpose}

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            if not v:
                return v
            res = guard.unmask_result(v, **kwargs)
            revealed.extend(getattr(res, "revealed", ()) or ())
            refused.extend(getattr(res, "refused", ()) or ())
            return res.text
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, tuple):
            return tuple(walk(x) for x in v)
        return v

    return walk(value), revealed, refused


# -- text for lineage and leak checks ----------------------------------------------------


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict):
                for key in (*_TEXT_KEYS, "content"):
                    if isinstance(block.get(key), str):
                        parts.append(block[key])
                for key in _ARG_KEYS:
                    if block.get(key) is not None and block.get("type") != "text":
                        parts.append(json.dumps(block[key], ensure_ascii=False, default=str))
        return "\n".join(parts)
    return "" if content is None else str(content)


def message_text(message: Any) -> str:
    """Everything in a message a model would read (content, tool-call arguments)."""
    if isinstance(message, str):
        return message
    if not isinstance(message, BaseMessage):
        return str(message)
    parts = [_content_text(message.content)]
    if isinstance(message, AIMessage):
        for tc in message.tool_calls:
            parts.append(json.dumps(tc.get("args") or {}, ensure_ascii=False, default=str))
        for tc in message.invalid_tool_calls:
            if tc.get("args"):
                parts.append(str(tc["args"]))
    extra = message.additional_kwargs or {}
    for call in extra.get("tool_calls") or ():
        if isinstance(call, dict) and isinstance(call.get("function"), dict):
            parts.append(str(call["function"].get("arguments") or ""))
    return "\n".join(p for p in parts if p)


def messages_text(messages: Iterable[Any]) -> str:
    return "\n".join(message_text(m) for m in messages)


def types_and_fingerprints(refs: Iterable[Any]) -> tuple[list[str], list[str]]:
    refs = list(refs)
    return (
        sorted({str(r.entity_type) for r in refs}),
        sorted({str(r.fingerprint) for r in refs if getattr(r, "fingerprint", None)}),
    )


def unique_refs(refs: Iterable[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for ref in refs:
        seen.setdefault(str(getattr(ref, "token", id(ref))), ref)
    return list(seen.values())
