"""A local LLM provider for tests: speaks the OpenAI Chat Completions, OpenAI Responses
and Anthropic Messages wire formats on 127.0.0.1, so the *real* SDK clients (and the
LangChain chat models built on them) can be driven without network.

The test scripts what the "model" answers (a queue of :class:`Reply`, :class:`Error`
and :class:`BrokenStream`), and the server records every request body it receives, so
a test can check exactly what left the process.  One script renders in whichever wire
format the request arrived in, streamed (SSE) when the request asked for ``stream``.

    server = FakeLLMServer().start()
    server.script(Reply("Hello [PERSON_1]"))
    client = openai.OpenAI(base_url=server.openai_url, api_key="test", max_retries=0)
    ...
    server.requests[-1].body      # the JSON the SDK sent
    server.stop()
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "BrokenStream",
    "Error",
    "FakeLLMServer",
    "RecordedRequest",
    "Reply",
    "ToolCall",
    "echo_last_user",
]

TextSource = str | Callable[[dict[str, Any]], str]


@dataclass
class ToolCall:
    """A function/tool call the scripted model makes.  ``arguments`` may be a dict or a JSON string."""

    name: str
    arguments: dict[str, Any] | str
    id: str | None = None

    def arguments_json(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments)

    def arguments_dict(self) -> dict[str, Any]:
        if isinstance(self.arguments, dict):
            return self.arguments
        return json.loads(self.arguments)


@dataclass
class Reply:
    """A scripted model answer.

    ``text`` is a string or a callable receiving the request body (to echo what the
    model was sent).  When streamed, the text is cut into ``chunks`` (explicit list of
    pieces whose concatenation is the text) or ``chunk_size``-character pieces;
    tool-call arguments are cut the same way.  ``delay`` seconds pass between streamed
    events (benchmarks use it to simulate a model's pace).
    """

    text: TextSource | None = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    chunk_size: int = 4
    chunks: list[str] | None = None
    delay: float = 0.0
    model: str | None = None

    def render_text(self, body: dict[str, Any]) -> str:
        if self.text is None:
            return ""
        return self.text(body) if callable(self.text) else self.text

    def pieces(self, text: str) -> list[str]:
        if self.chunks is not None:
            if "".join(self.chunks) != text:
                raise ValueError("Reply.chunks must concatenate to the reply text")
            return list(self.chunks)
        size = max(1, self.chunk_size)
        return [text[i : i + size] for i in range(0, len(text), size)]


@dataclass
class Error:
    """An HTTP error answer.  ``message`` is put in the provider's error envelope; when
    ``echo_request`` is set the request body is appended (providers sometimes echo the
    offending input, so tests check that only masked text could come back)."""

    status: int = 500
    message: str = "fake server error"
    echo_request: bool = False
    body: dict[str, Any] | None = None


@dataclass
class BrokenStream:
    """A streamed answer that fails after ``after_events`` events.

    ``mode="disconnect"`` drops the connection mid-body (an incomplete chunked
    transfer); ``mode="error_event"`` sends the provider's in-stream error event.
    """

    reply: Reply = field(default_factory=lambda: Reply("partial answer that never ends"))
    after_events: int = 3
    mode: str = "disconnect"
    message: str = "stream broke"


Script = Reply | Error | BrokenStream


@dataclass
class RecordedRequest:
    """One request as received: method, path, headers and body (raw text and parsed JSON)."""

    method: str
    path: str
    headers: dict[str, str]
    raw: str
    body: Any

    @property
    def api(self) -> str:
        return _api_for(self.path)


def echo_last_user(body: dict[str, Any]) -> str:
    """Reply text that repeats the last user message's text (whatever the wire format)."""
    if "messages" in body:
        for msg in reversed(body["messages"]):
            if msg.get("role") == "user":
                return "You said: " + _text_of(msg.get("content"))
    if "input" in body:
        inp = body["input"]
        if isinstance(inp, str):
            return "You said: " + inp
        for item in reversed(inp):
            if isinstance(item, dict) and item.get("role") == "user":
                return "You said: " + _text_of(item.get("content"))
    return "You said nothing"


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for part in content or []:
        if isinstance(part, dict) and isinstance(part.get("text"), str):
            parts.append(part["text"])
    return " ".join(parts)


def _api_for(path: str) -> str:
    path = path.split("?", 1)[0].rstrip("/")
    if path.endswith("/chat/completions"):
        return "chat"
    if path.endswith("/responses"):
        return "responses"
    if path.endswith("/messages"):
        return "messages"
    if path.endswith("/messages/count_tokens"):
        return "count_tokens"
    return "unknown"


class FakeLLMServer:
    """Threaded HTTP server on a free 127.0.0.1 port.  Start with :meth:`start`, stop with :meth:`stop`
    (or use it as a context manager)."""

    def __init__(self) -> None:
        self._scripts: deque[Script] = deque()
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> FakeLLMServer:
        handler = type("_Handler", (_Handler,), {"server_state": self})
        self._httpd = _QuietServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-llm", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """Root URL; the Anthropic SDK's ``base_url``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_url(self) -> str:
        """The OpenAI SDK's ``base_url`` (it appends ``/chat/completions`` etc.)."""
        return f"{self.url}/v1"

    # -- scripting -------------------------------------------------------------------
    def script(self, *scripts: Script) -> None:
        """Queue answers; each request consumes one, in order."""
        with self._lock:
            self._scripts.extend(scripts)

    def reset(self) -> None:
        with self._lock:
            self._scripts.clear()
            self.requests.clear()

    def pending(self) -> int:
        with self._lock:
            return len(self._scripts)

    def _next(self, request: RecordedRequest) -> Script | None:
        with self._lock:
            self.requests.append(request)
            if request.api == "count_tokens":
                return None
            return self._scripts.popleft() if self._scripts else None

    def all_request_text(self) -> str:
        """Every recorded request (headers excluded), concatenated: grep it for raw values."""
        with self._lock:
            return "\n".join(r.raw for r in self.requests)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients dropping keep-alive connections at teardown are normal here.
        return


class _Handler(BaseHTTPRequestHandler):
    server_state: FakeLLMServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr noise in tests
        return

    def setup(self) -> None:
        super().setup()
        # Small SSE writes must leave at once (Nagle + delayed ACK would add ~40 ms stalls).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._send_json(
                200,
                {
                    "object": "list",
                    "data": [{"id": "fake-model", "object": "model", "created": 0, "owned_by": "fake"}],
                },
            )
        else:
            self._send_json(404, {"error": {"message": "not found", "type": "not_found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            body = None
        request = RecordedRequest("POST", self.path, dict(self.headers.items()), raw, body)
        api = request.api
        script = self.server_state._next(request)
        if api == "count_tokens":
            self._send_json(200, {"input_tokens": max(1, len(raw) // 4)})
            return
        if api == "unknown" or not isinstance(body, dict):
            self._send_error(api, Error(404, f"fake server does not serve {self.path}"), body)
            return
        if script is None:
            # 400, not 5xx: the SDKs retry 5xx, and an unscripted call is a test bug.
            self._send_error(api, Error(400, "fake server: no scripted response left"), body)
            return
        if isinstance(script, Error):
            self._send_error(api, script, body)
            return
        stream = bool(body.get("stream"))
        if isinstance(script, BrokenStream):
            self._send_stream(api, script.reply, body, broken=script)
        elif stream:
            self._send_stream(api, script, body)
        else:
            self._send_json(200, _render(api, script, body))

    # -- plumbing --------------------------------------------------------------------
    def _send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", "req_fake")
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, api: str, error: Error, body: Any) -> None:
        message = error.message
        if error.echo_request:
            message = f"{message}: {json.dumps(body)}"
        if error.body is not None:
            payload = error.body
        elif api == "messages":
            kind = (
                "overloaded_error"
                if error.status == 529
                else ("api_error" if error.status >= 500 else "invalid_request_error")
            )
            payload = {"type": "error", "error": {"type": kind, "message": message}}
        else:
            payload = {
                "error": {
                    "message": message,
                    "type": "server_error" if error.status >= 500 else "invalid_request_error",
                    "param": None,
                    "code": None,
                }
            }
        self._send_json(error.status, payload)

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _send_stream(
        self, api: str, reply: Reply, body: dict[str, Any], broken: BrokenStream | None = None
    ) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-request-id", "req_fake")
        self.end_headers()
        events = _stream_events(api, reply, body)
        for n, event in enumerate(events):
            if broken is not None and n >= broken.after_events:
                self._break(api, broken)
                return
            if reply.delay and n:
                time.sleep(reply.delay)
            self._write_chunk(event)
        self._write_chunk(b"")  # terminating zero-length chunk: the body is complete

    def _break(self, api: str, broken: BrokenStream) -> None:
        if broken.mode == "error_event":
            if api == "messages":
                payload = {"type": "error", "error": {"type": "overloaded_error", "message": broken.message}}
                self._write_chunk(_sse(payload, "error"))
            elif api == "responses":
                payload = {
                    "type": "error",
                    "code": "server_error",
                    "message": broken.message,
                    "param": None,
                    "sequence_number": 999,
                }
                self._write_chunk(_sse(payload, "error"))
            else:
                self._write_chunk(_sse({"error": {"message": broken.message, "type": "server_error"}}))
            self._write_chunk(b"")
            return
        # Half a chunk, then drop the socket: the client sees an incomplete chunked body.
        self.wfile.write(b'40\r\ndata: {"trunc')
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


# -- wire formats ----------------------------------------------------------------------

_COUNTER = iter(range(1, 1 << 62))
_COUNTER_LOCK = threading.Lock()


def _next_id(prefix: str) -> str:
    with _COUNTER_LOCK:
        return f"{prefix}{next(_COUNTER):06d}"


def _sse(payload: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(payload)}\n\n".encode()


def _usage_numbers(body: dict[str, Any], text: str) -> tuple[int, int]:
    return max(1, len(json.dumps(body)) // 4), max(1, len(text) // 4)


def _tool_id(call: ToolCall, api: str, n: int) -> str:
    if call.id:
        return call.id
    return {"messages": "toolu_", "responses": "call_"}.get(api, "call_") + f"fake{n}"


def _render(api: str, reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
    text = reply.render_text(body)
    model = reply.model or body.get("model") or "fake-model"
    n_in, n_out = _usage_numbers(body, text)
    if api == "chat":
        message: dict[str, Any] = {
            "role": "assistant",
            "content": text if (text or not reply.tool_calls) else None,
            "refusal": None,
        }
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": _tool_id(c, api, i),
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments_json()},
                }
                for i, c in enumerate(reply.tool_calls)
            ]
        return {
            "id": _next_id("chatcmpl-"),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": "tool_calls" if reply.tool_calls else "stop",
                }
            ],
            "usage": {"prompt_tokens": n_in, "completion_tokens": n_out, "total_tokens": n_in + n_out},
        }
    if api == "responses":
        return _response_object(reply, body, text, model, "completed")
    # Anthropic Messages
    content: list[dict[str, Any]] = []
    if text:
        content.append({"type": "text", "text": text})
    for i, c in enumerate(reply.tool_calls):
        content.append(
            {"type": "tool_use", "id": _tool_id(c, api, i), "name": c.name, "input": c.arguments_dict()}
        )
    return {
        "id": _next_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": "tool_use" if reply.tool_calls else "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": n_in, "output_tokens": n_out},
    }


def _response_items(reply: Reply, text: str, msg_id: str, fc_ids: list[str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if text or not reply.tool_calls:
        items.append(
            {
                "type": "message",
                "id": msg_id,
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
            }
        )
    for i, c in enumerate(reply.tool_calls):
        items.append(
            {
                "type": "function_call",
                "id": fc_ids[i],
                "call_id": _tool_id(c, "responses", i),
                "name": c.name,
                "arguments": c.arguments_json(),
                "status": "completed",
            }
        )
    return items


def _response_object(
    reply: Reply,
    body: dict[str, Any],
    text: str,
    model: str,
    status: str,
    resp_id: str | None = None,
    msg_id: str | None = None,
    fc_ids: list[str] | None = None,
    with_output: bool = True,
) -> dict[str, Any]:
    n_in, n_out = _usage_numbers(body, text)
    fc_ids = fc_ids or [_next_id("fc_") for _ in reply.tool_calls]
    return {
        "id": resp_id or _next_id("resp_"),
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "model": model,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "metadata": {},
        "parallel_tool_calls": True,
        "temperature": 1.0,
        "top_p": 1.0,
        "tool_choice": "auto",
        "tools": body.get("tools") or [],
        "text": {"format": {"type": "text"}},
        "output": _response_items(reply, text, msg_id or _next_id("msg_"), fc_ids) if with_output else [],
        "usage": {
            "input_tokens": n_in,
            "output_tokens": n_out,
            "total_tokens": n_in + n_out,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        }
        if with_output
        else None,
    }


def _stream_events(api: str, reply: Reply, body: dict[str, Any]) -> Iterator[bytes]:
    if api == "chat":
        return _chat_stream(reply, body)
    if api == "responses":
        return _responses_stream(reply, body)
    return _messages_stream(reply, body)


def _chat_stream(reply: Reply, body: dict[str, Any]) -> Iterator[bytes]:
    text = reply.render_text(body)
    model = reply.model or body.get("model") or "fake-model"
    cid, created = _next_id("chatcmpl-"), int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        return _sse(
            {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            }
        )

    yield chunk({"role": "assistant", "content": "", "refusal": None})
    for piece in reply.pieces(text):
        yield chunk({"content": piece})
    for i, call in enumerate(reply.tool_calls):
        yield chunk(
            {
                "tool_calls": [
                    {
                        "index": i,
                        "id": _tool_id(call, "chat", i),
                        "type": "function",
                        "function": {"name": call.name, "arguments": ""},
                    }
                ]
            }
        )
        for piece in _cut(call.arguments_json(), reply.chunk_size):
            yield chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
    yield chunk({}, "tool_calls" if reply.tool_calls else "stop")
    if (body.get("stream_options") or {}).get("include_usage"):
        n_in, n_out = _usage_numbers(body, text)
        yield _sse(
            {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [],
                "usage": {"prompt_tokens": n_in, "completion_tokens": n_out, "total_tokens": n_in + n_out},
            }
        )
    yield b"data: [DONE]\n\n"


def _cut(text: str, size: int) -> list[str]:
    size = max(1, size)
    return [text[i : i + size] for i in range(0, len(text), size)]


def _responses_stream(reply: Reply, body: dict[str, Any]) -> Iterator[bytes]:
    text = reply.render_text(body)
    model = reply.model or body.get("model") or "fake-model"
    resp_id, msg_id = _next_id("resp_"), _next_id("msg_")
    fc_ids = [_next_id("fc_") for _ in reply.tool_calls]
    seq = iter(range(1 << 30))

    def ev(kind: str, **fields: Any) -> bytes:
        return _sse({"type": kind, "sequence_number": next(seq), **fields}, kind)

    skeleton = _response_object(
        reply, body, text, model, "in_progress", resp_id, msg_id, fc_ids, with_output=False
    )
    yield ev("response.created", response=skeleton)
    yield ev("response.in_progress", response=skeleton)
    index = 0
    if text or not reply.tool_calls:
        yield ev(
            "response.output_item.added",
            output_index=index,
            item={
                "type": "message",
                "id": msg_id,
                "status": "in_progress",
                "role": "assistant",
                "content": [],
            },
        )
        yield ev(
            "response.content_part.added",
            item_id=msg_id,
            output_index=index,
            content_index=0,
            part={"type": "output_text", "text": "", "annotations": [], "logprobs": []},
        )
        for piece in reply.pieces(text):
            yield ev(
                "response.output_text.delta",
                item_id=msg_id,
                output_index=index,
                content_index=0,
                delta=piece,
                logprobs=[],
            )
        yield ev(
            "response.output_text.done",
            item_id=msg_id,
            output_index=index,
            content_index=0,
            text=text,
            logprobs=[],
        )
        part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
        yield ev("response.content_part.done", item_id=msg_id, output_index=index, content_index=0, part=part)
        yield ev(
            "response.output_item.done",
            output_index=index,
            item={
                "type": "message",
                "id": msg_id,
                "status": "completed",
                "role": "assistant",
                "content": [part],
            },
        )
        index += 1
    for i, call in enumerate(reply.tool_calls):
        args = call.arguments_json()
        item = {
            "type": "function_call",
            "id": fc_ids[i],
            "call_id": _tool_id(call, "responses", i),
            "name": call.name,
            "arguments": "",
            "status": "in_progress",
        }
        yield ev("response.output_item.added", output_index=index, item=item)
        for piece in _cut(args, reply.chunk_size):
            yield ev(
                "response.function_call_arguments.delta", item_id=fc_ids[i], output_index=index, delta=piece
            )
        yield ev(
            "response.function_call_arguments.done",
            item_id=fc_ids[i],
            output_index=index,
            arguments=args,
            name=call.name,
        )
        yield ev(
            "response.output_item.done",
            output_index=index,
            item={**item, "arguments": args, "status": "completed"},
        )
        index += 1
    final = _response_object(reply, body, text, model, "completed", resp_id, msg_id, fc_ids)
    yield ev("response.completed", response=final)


def _messages_stream(reply: Reply, body: dict[str, Any]) -> Iterator[bytes]:
    text = reply.render_text(body)
    model = reply.model or body.get("model") or "fake-model"
    n_in, n_out = _usage_numbers(body, text)
    message = {
        "id": _next_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": n_in, "output_tokens": 1},
    }
    yield _sse({"type": "message_start", "message": message}, "message_start")
    index = 0
    if text or not reply.tool_calls:
        yield _sse(
            {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}},
            "content_block_start",
        )
        yield _sse({"type": "ping"}, "ping")
        for piece in reply.pieces(text):
            yield _sse(
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "text_delta", "text": piece},
                },
                "content_block_delta",
            )
        yield _sse({"type": "content_block_stop", "index": index}, "content_block_stop")
        index += 1
    for i, call in enumerate(reply.tool_calls):
        yield _sse(
            {
                "type": "content_block_start",
                "index": index,
                "content_block": {
                    "type": "tool_use",
                    "id": _tool_id(call, "messages", i),
                    "name": call.name,
                    "input": {},
                },
            },
            "content_block_start",
        )
        for piece in _cut(json.dumps(call.arguments_dict()), reply.chunk_size):
            yield _sse(
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "input_json_delta", "partial_json": piece},
                },
                "content_block_delta",
            )
        yield _sse({"type": "content_block_stop", "index": index}, "content_block_stop")
        index += 1
    yield _sse(
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use" if reply.tool_calls else "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": n_out},
        },
        "message_delta",
    )
    yield _sse({"type": "message_stop"}, "message_stop")
