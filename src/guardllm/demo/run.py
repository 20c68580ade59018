"""``run_demo()``: the agent behind ``guardllm demo`` and the quickstart notebook.

A LangChain agent (``langchain.agents.create_agent``) with ``guard.middleware()`` and
``guard.callback_handler()`` answers a support request over the bundled SQLite
customer table through three tools:

* ``sql_db_query`` -- ``guard.sql_tool(...)``: read-only, its rows go back masked;
* ``send_email`` -- granted ``EMAIL_ADDRESS``: it receives the real address;
* ``log_note`` -- granted nothing: it receives tokens only.

Everything that crosses a boundary is recorded as it happens -- every message list
the model was called with (a callback sees the request after the middleware masked
it), every argument each tool function received, every statement SQLite executed --
so the CLI and the notebook can show, and tests can check, who saw what.

Keys: a persistent store needs a master key.  Unless a store is given, the demo
makes a throwaway key and store in a fresh temporary directory and says so
(``DemoResult.key_note``); a given store uses the configured key
(``GUARDLLM_KEY`` / ``GUARDLLM_KEY_FILE``) and fails closed without one.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
import threading
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guardllm.demo.data import create_demo_db
from guardllm.errors import InputError

__all__ = [
    "QUESTION",
    "SYSTEM_PROMPT",
    "DemoEvent",
    "DemoResult",
    "ValueView",
    "make_model",
    "raw_leaks",
    "run_demo",
]

SYSTEM_PROMPT = (
    "You are a billing assistant for a small shop. The customers table has columns "
    "id, name, email, phone, card_number, balance_due, notes. Use sql_db_query to read it. "
    "Customer values appear as placeholders such as [PERSON_1] or [EMAIL_1]: use them exactly "
    "as written, the tools resolve them. Email the customer with the largest balance due "
    "with send_email, record what you did with log_note, then answer briefly."
)
QUESTION = "Who owes us the most? Send them a friendly payment reminder and log a note about it."

#: Provider prefix -> the environment variable its client reads the key from.
KEY_ENVS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}

THREAD_ID = "demo-thread"
PRINCIPAL = "support-agent"


@dataclass(frozen=True)
class DemoEvent:
    """One boundary crossing, in the order it happened.

    ``kind`` is ``"model"`` (``messages``: the message list the model was called with),
    ``"tool"`` (``name`` and ``args``: what the tool function received) or ``"db"``
    (``sql``: a statement the database executed).
    """

    seq: int
    kind: str
    name: str = ""
    args: dict[str, Any] = field(default_factory=dict)
    messages: tuple[Any, ...] = ()
    sql: str = ""


@dataclass
class DemoResult:
    """What one demo run did; the CLI renders it, tests and the notebook inspect it."""

    question: str
    answer: str
    events: list[DemoEvent]
    run_id: str
    lineage: Any  # guardllm.lineage.LineageGraph
    audit: Any  # guardllm.audit.VerifyReport
    guard: Any  # the Guard (open until close())
    model_name: str
    store_url: str
    key_note: str
    workdir: Path | None
    db_path: Path
    #: With ``stream=True``: per model turn, the text a streaming UI showed (restored).
    streamed: list[str] = field(default_factory=list)
    #: ``False`` for the unguarded comparison run.
    guarded: bool = True

    @property
    def audit_ok(self) -> bool:
        return bool(self.audit)

    @property
    def model_saw(self) -> list[list[Any]]:
        """Every message list the model was called with (after masking)."""
        return [list(e.messages) for e in self.events if e.kind == "model"]

    @property
    def tool_calls(self) -> list[tuple[str, dict[str, Any]]]:
        """``(tool name, arguments the tool function received)`` in call order."""
        return [(e.name, e.args) for e in self.events if e.kind == "tool"]

    @property
    def db_statements(self) -> list[str]:
        return [e.sql for e in self.events if e.kind == "db"]

    def tool_args(self, name: str) -> list[dict[str, Any]]:
        return [args for n, args in self.tool_calls if n == name]

    def model_saw_text(self) -> str:
        """All text the model received, including tool-call arguments, as one string."""
        return "\n".join(_message_text(m) for msgs in self.model_saw for m in msgs)

    def tool_text(self, name: str) -> str:
        """Everything tool ``name`` received, as one string."""
        import json

        return "\n".join(json.dumps(a, ensure_ascii=False) for a in self.tool_args(name))

    def value_map(self) -> list[ValueView]:
        """Which form of each involved customer value each party got.

        Pairs every masked cell the model saw in the SQL tool's first result with the same
        cell read raw from the demo database, and keeps the values the tools or the
        answer mention (every value of those customers' rows).
        """
        pairs = _token_pairs(self)
        # tools in the order the model asked for them, whatever order their threads ran in
        called = [n for n, _ in self.tool_calls if n != "sql_db_query"]
        tools = list(dict.fromkeys([n for n in self._requested_tools() if n in called] + called))
        seen = self.model_saw_text()
        views: list[tuple[int, ValueView]] = []
        for row, column, raw, token in pairs:
            got = {"model": _form(seen, raw, token)}
            for name in tools:
                got[name] = _form(self.tool_text(name), raw, token)
            got["user"] = _form(self.answer, raw, token)
            views.append((row, ValueView(column, raw, token, got)))
        # the rows (customers) the tools or the answer mention, every value of them
        rows = {r for r, v in views if any(f != "-" for k, f in v.got.items() if k != "model")}
        return [v for r, v in views if r in rows]

    def _requested_tools(self) -> list[str]:
        names: list[str] = []
        for msgs in self.model_saw[-1:]:
            for m in msgs:
                names += [c["name"] for c in getattr(m, "tool_calls", None) or []]
        return names

    def close(self) -> None:
        self.guard.close()


@dataclass(frozen=True)
class ValueView:
    """One customer value: its column, raw form, token, and the form each party got
    (``"raw"``, ``"token"`` or ``"-"`` for not at all), keyed ``model``, tool names, ``user``."""

    column: str
    raw: str
    token: str
    got: dict[str, str]


def _form(text: str, raw: str, token: str) -> str:
    if raw in text:
        return "raw"
    return "token" if token in text else "-"


def _token_pairs(result: DemoResult) -> list[tuple[int, str, str, str]]:
    """(row, column, raw value, token) for the cells of the first SQL result the model saw.

    A value the model got as it is (the unguarded run) is its own "token".
    """
    import re

    from guardllm.demo.data import raw_values

    table = next(
        (
            m.content
            for msgs in result.model_saw
            for m in msgs
            if type(m).__name__ == "ToolMessage" and isinstance(m.content, str) and m.content.startswith("|")
        ),
        None,
    )
    query = next(  # the agent's statement as SQLite ran it, not the tool's schema look-ups
        (
            s
            for s in result.db_statements
            if s.lstrip().upper().startswith("SELECT ") and "pragma" not in s.lower()
        ),
        None,
    )
    if table is None or query is None:
        return []
    lines = [ln for ln in table.splitlines() if ln.startswith("|")]
    columns = [c.strip() for c in lines[0].strip("|").split("|")]
    masked = [[c.strip() for c in ln.strip("|").split("|")] for ln in lines[2:]]
    with closing(sqlite3.connect(result.db_path)) as conn:  # the demo's own copy, read raw to line up
        raw_rows = conn.execute(query).fetchall()
    token_re = re.compile(r"\[[A-Z][A-Z0-9_:]*\]")
    secrets = raw_values()
    out: list[tuple[int, str, str, str]] = []
    seen: set[str] = set()
    for i, (mrow, rrow) in enumerate(zip(masked, raw_rows, strict=False)):
        for column, mcell, rcell in zip(columns, mrow, rrow, strict=False):
            rcell = str(rcell)
            if mcell == rcell:  # went to the model as it is (the unguarded run)
                for v in secrets:
                    if v in rcell and v not in seen:
                        seen.add(v)
                        out.append((i, column, v, v))
                continue
            tokens = token_re.findall(mcell)
            if not tokens:
                continue
            hidden = [v for v in secrets if v in rcell and v != rcell]
            raw = hidden[0] if hidden and len(tokens) == 1 else rcell
            if raw not in seen:
                seen.add(raw)
                out.append((i, column, raw, tokens[0]))
    return out


def _message_text(message: Any) -> str:
    import json

    content = message.content
    if not isinstance(content, str):
        content = json.dumps(content, default=str, ensure_ascii=False)
    calls = getattr(message, "tool_calls", None) or []
    if calls:
        content += "\n" + json.dumps(
            [{"name": c["name"], "args": c["args"]} for c in calls], ensure_ascii=False
        )
    return content


def _answer_text(message: Any) -> str:
    """The text a user reads: string content, or the text blocks of a content list."""
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(
        part if isinstance(part, str) else str(part.get("text", ""))
        for part in content
        if isinstance(part, str) or (isinstance(part, dict) and part.get("type") == "text")
    )


class _Timeline:
    """Thread-safe, ordered record of boundary crossings (tools may run on worker threads)."""

    def __init__(self) -> None:
        self.events: list[DemoEvent] = []
        self._lock = threading.Lock()

    def add(self, kind: str, **kw: Any) -> None:
        with self._lock:
            self.events.append(DemoEvent(seq=len(self.events) + 1, kind=kind, **kw))


def _recorder(timeline: _Timeline) -> Any:
    from langchain_core.callbacks import BaseCallbackHandler

    class ModelInputRecorder(BaseCallbackHandler):
        """Records the messages each chat model call received.

        The middleware masks the request before the model runs, so the callback sees
        exactly what the provider gets -- for the scripted model and a real one alike.
        """

        run_inline = True

        def on_chat_model_start(self, serialized: Any, messages: list[list[Any]], **kwargs: Any) -> None:
            for batch in messages:
                timeline.add("model", messages=tuple(batch))

    return ModelInputRecorder()


def _tools(timeline: _Timeline) -> list[Any]:
    from langchain_core.tools import tool

    @tool
    def send_email(to: str, subject: str, body: str) -> str:
        """Send an email to a customer. `to` is the recipient's email address."""
        timeline.add("tool", name="send_email", args={"to": to, "subject": subject, "body": body})
        return f"Email queued for delivery (subject: {subject!r})."

    @tool
    def log_note(text: str) -> str:
        """Append a note to the internal CRM log (read by the whole support team)."""
        timeline.add("tool", name="log_note", args={"text": text})
        return "Note saved."

    return [send_email, log_note]


def _plain_sql_tool(conn: sqlite3.Connection) -> Any:
    """What an unguarded agent uses: the query runs as written, rows go back raw."""
    from langchain_core.tools import tool

    @tool
    def sql_db_query(query: str) -> str:
        """Execute a SQL query against the database and get back the result."""
        cur = conn.execute(query)
        names = [d[0] for d in cur.description or ()]
        rows = cur.fetchall()
        lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
        lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
        return "\n".join([*lines, f"({len(rows)} rows)"])

    return sql_db_query


def make_model(spec: str | None) -> tuple[Any, str]:
    """The chat model for ``spec`` and a display name.

    ``None`` or ``"scripted"``: the offline :class:`ScriptedAgentModel`.  ``"openai:MODEL"``
    or ``"anthropic:MODEL"``: a real provider model; its key must be set in the
    environment (checked here so the error is clear before anything runs).
    """
    if spec is None or spec == "scripted":
        from guardllm.demo.scripted_model import ScriptedAgentModel

        return ScriptedAgentModel(), "scripted (offline, no network)"
    provider, sep, name = spec.partition(":")
    provider = provider.strip().lower()
    if not sep or not name.strip() or provider not in KEY_ENVS:
        raise InputError(f"--model must be 'openai:MODEL' or 'anthropic:MODEL' (got {spec!r})")
    env = KEY_ENVS[provider]
    if not os.environ.get(env):
        raise InputError(f"--model {spec} needs an API key: set {env} (or run without --model, offline)")
    try:
        from langchain.chat_models import init_chat_model

        model = init_chat_model(name.strip(), model_provider=provider, temperature=0)
    except ImportError as exc:
        pkg = {"openai": "langchain-openai", "anthropic": "langchain-anthropic"}[provider]
        raise InputError(f"--model {spec} needs the {pkg} package: pip install {pkg}") from exc
    return model, spec


def _demo_store(workdir: Path) -> tuple[str, str, bytes]:
    """A fresh store and throwaway master key inside ``workdir`` (the demo's own)."""
    from guardllm.tokens.crypto import generate_key, parse_key

    key_text = generate_key()
    key_path = workdir / "demo.key"
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key_text + "\n")
    url = f"sqlite:///{workdir / 'guardllm.db'}"
    note = (
        f"throwaway demo key written to {key_path} (0600) for a fresh demo store; "
        "for real use create your own key with 'guardllm keygen' and set GUARDLLM_KEY_FILE"
    )
    return url, note, parse_key(key_text)


def run_demo(
    model: str | Any | None = None,
    *,
    store: str | None = None,
    workdir: str | os.PathLike[str] | None = None,
    stream: bool = False,
    use_async: bool = False,
    question: str = QUESTION,
    guarded: bool = True,
) -> DemoResult:
    """Run the guarded agent once and return what crossed each boundary.

    Args:
        model: ``None`` for the offline scripted model, a ``"provider:model"`` string
            (see :func:`make_model`) or any LangChain chat model instance.
        store: a store URL (``memory://``, ``sqlite:///path``...) using the configured key
            (``GUARDLLM_KEY`` / ``GUARDLLM_KEY_FILE``); ``None``: a fresh SQLite store with a
            throwaway demo key in ``workdir``.
        workdir: where the customer database (and the demo store and key) go; default: a
            new temporary directory, left in place so the store can be inspected afterwards.
        stream / use_async: run the agent with ``stream`` / ``ainvoke`` instead of ``invoke``.
        question: the user's request.
        guarded: ``False`` runs the same agent without the middleware and with a plain SQL
            tool -- to compare.  The callback handler still watches: the model then sees
            raw values, and lineage and audit record each as a leak.
    """
    try:
        from langchain.agents import create_agent
    except ImportError as exc:  # the core package has langchain-core only
        raise InputError("the demo needs LangChain agents: pip install 'guardllm[demo]'") from exc
    from langchain_core.messages import HumanMessage

    from guardllm import Guard

    if isinstance(model, str) or model is None:
        chat_model, model_name = make_model(model)
    else:
        chat_model, model_name = model, type(model).__name__

    created = workdir is None
    wd = Path(tempfile.mkdtemp(prefix="guardllm-demo-") if created else workdir)  # type: ignore[arg-type]
    wd.mkdir(parents=True, exist_ok=True)
    db_path = create_demo_db(wd / "customers.db")

    if store is None:
        store_url, key_note, key = _demo_store(wd)
        guard = Guard(store=store_url, key=key, principal=PRINCIPAL)
    else:
        guard = Guard(store=store, principal=PRINCIPAL)  # configured key; fails closed without one
        store_url = guard.store.url
        key_note = "store key from GUARDLLM_KEY / GUARDLLM_KEY_FILE"
        if guard.vault.keyring.ephemeral:
            key_note = "in-memory store with an ephemeral key (gone when the process exits)"

    timeline = _Timeline()
    # Agent tools may run on worker threads: the connection must allow that.
    conn = sqlite3.connect(db_path, check_same_thread=False)
    conn.set_trace_callback(lambda sql: timeline.add("db", sql=sql))
    try:
        sql = guard.sql_tool(conn) if guarded else _plain_sql_tool(conn)
        middleware = [guard.middleware(reveal={"send_email": ["EMAIL_ADDRESS"]})] if guarded else []
        agent = create_agent(
            chat_model, [sql, *_tools(timeline)], system_prompt=SYSTEM_PROMPT, middleware=middleware
        )
        handler = guard.callback_handler()
        config: dict[str, Any] = {
            "configurable": {"thread_id": THREAD_ID, "principal": PRINCIPAL},
            "callbacks": [handler, _recorder(timeline)],
            "recursion_limit": 12,
        }
        view = _StreamView(guard) if stream else None
        state = _invoke(agent, {"messages": [HumanMessage(question)]}, config, view, use_async)
    except BaseException:
        conn.close()
        guard.close()
        raise
    conn.close()

    answer = _answer_text(state["messages"][-1]) if state.get("messages") else ""
    run_id = str(handler.last_root_run_id)
    return DemoResult(
        streamed=["".join(turn) for turn in view.turns] if view is not None else [],
        guarded=guarded,
        question=question,
        answer=answer,
        events=list(timeline.events),
        run_id=run_id,
        lineage=guard.lineage(run_id),
        audit=guard.audit.verify(),
        guard=guard,
        model_name=model_name,
        store_url=store_url,
        key_note=key_note,
        workdir=wd,
        db_path=db_path,
    )


class _StreamView:
    """What a streaming UI shows: model text chunks restored for the user as they arrive.

    The middleware restores the final answer in the agent state; streamed message
    chunks (``stream_mode="messages"``) come straight from the model and hold tokens.
    A UI restores them with ``guard.stream_restorer()``, which holds back only a suffix
    that could still become a token, so a token split across chunks shows whole.
    """

    def __init__(self, guard: Any) -> None:
        self.guard = guard
        self.turns: list[list[str]] = []  # per model turn: the restored pieces shown
        self._restorer: Any = None
        self._step: Any = None

    def feed(self, chunk: Any, meta: dict[str, Any]) -> None:
        if type(chunk).__name__ != "AIMessageChunk":
            return
        text = _answer_text(chunk)  # str content, or Anthropic-style text blocks
        step = (meta.get("langgraph_step"), meta.get("langgraph_node"))
        if step != self._step:
            self.flush()
            self._step = step
            self._restorer = self.guard.stream_restorer(scope=THREAD_ID, to="user", principal=PRINCIPAL)
            self.turns.append([])
        piece = self._restorer.feed(text)
        if piece:
            self.turns[-1].append(piece)

    def flush(self) -> None:
        if self._restorer is not None:
            rest = self._restorer.flush()
            if rest:
                self.turns[-1].append(rest)
            self._restorer = None


def _invoke(
    agent: Any, inputs: dict[str, Any], config: dict[str, Any], view: _StreamView | None, use_async: bool
) -> Any:
    modes = ["values", "messages"]

    def take(last: Any, item: Any) -> Any:
        mode, data = item
        if mode == "values":
            return data  # each "values" update is the whole state; the last one is final
        view.feed(*data)  # type: ignore[union-attr]
        return last

    if not use_async:
        if view is None:
            return agent.invoke(inputs, config=config)
        last: Any = {}
        for item in agent.stream(inputs, config=config, stream_mode=modes):
            last = take(last, item)
        view.flush()
        return last

    async def go() -> Any:
        if view is None:
            return await agent.ainvoke(inputs, config=config)
        last: Any = {}
        async for item in agent.astream(inputs, config=config, stream_mode=modes):
            last = take(last, item)
        view.flush()
        return last

    return asyncio.run(go())


def raw_leaks(text: str, values: Sequence[str] | None = None) -> list[int]:
    """Indexes (never the values) of demo raw values found in ``text``."""
    from guardllm.demo.data import raw_values

    vals = list(values) if values is not None else raw_values()
    return [i for i, v in enumerate(vals) if v in text]
