"""LangChain integration: guarded tools, retrievers and chat models, agent middleware,
and a callback handler that records each run's lineage graph.

Usually reached through the Guard (``guard.wrap_tool(tool)``, ``guard.callback_handler()``
...), which forwards here.  The functions take the guard as their first argument::

    from guardllm.integrations import langchain as glc

    send_email = glc.wrap_tool(guard, send_email, reveal=["EMAIL_ADDRESS"])
    model = glc.wrap_chat_model(guard, ChatOpenAI(model="gpt-4o-mini"))
    handler = glc.callback_handler(guard)
    agent = create_agent(model, [send_email], middleware=[glc.middleware(guard)])

Run config keys read by every component (``config={"configurable": {...}}``):

* ``thread_id`` (or ``guardllm_scope``): the token scope -- one conversation's tokens never
  resolve in another;
* ``principal`` or ``user_id`` (or ``guardllm_principal``): who the run acts for, recorded on
  lineage nodes and audit records;
* ``guardllm_run_id``: the lineage run that wrappers used *without* a callback handler
  record into (to join separate invocations); with a handler attached, each root run is
  one graph and its LangChain run id is the lineage run id (``handler.last_root_run_id``).

Token streaming: ``wrap_chat_model`` restores streamed text itself (also for
``create_agent(...).stream(stream_mode="messages")``); the agent middleware restores the
final answer in the agent state, so its token stream shows tokens -- pass
``middleware(guard, restore_stream=True)`` (or use a guarded model) when users watch tokens
arrive.

Importing this package imports ``langchain_core`` only; :func:`middleware` imports
``langchain`` (the ``agents`` extra) when called.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from guardllm.integrations.langchain.callbacks import GuardCallbackHandler, callback_handler
from guardllm.integrations.langchain.chat_models import GuardedChatModel, wrap_chat_model
from guardllm.integrations.langchain.retrievers import GuardedRetriever, wrap_retriever
from guardllm.integrations.langchain.tools import GuardedTool, GuardedToolError, ToolBlockedError, wrap_tool

if TYPE_CHECKING:  # pragma: no cover
    from guardllm.integrations.langchain.agent_middleware import GuardMiddleware

__all__ = [
    "GuardCallbackHandler",
    "GuardedChatModel",
    "GuardedRetriever",
    "GuardedTool",
    "GuardedToolError",
    "ToolBlockedError",
    "callback_handler",
    "middleware",
    "sql_tool",
    "wrap_chat_model",
    "wrap_retriever",
    "wrap_tool",
]


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
    """guardllm as an ``AgentMiddleware`` for ``langchain.agents.create_agent`` (extra ``agents``).

    See :mod:`guardllm.integrations.langchain.agent_middleware`.
    """
    try:
        from guardllm.integrations.langchain.agent_middleware import middleware as _middleware
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "guard.middleware() needs LangChain agents: pip install 'guardllm[agents]'"
        ) from exc
    return _middleware(
        guard,
        reveal=reveal,
        to=to,
        scope=scope,
        principal=principal,
        purpose=purpose,
        restore_stream=restore_stream,
    )


def sql_tool(guard: Any, db: Any, reveal: Iterable[str] | None = None, **kwargs: Any) -> Any:
    """The guarded SQL tool; see :mod:`guardllm.integrations.langchain.sql`."""
    from guardllm.integrations.langchain.sql import sql_tool as _sql_tool

    return _sql_tool(guard, db, reveal, **kwargs)
