"""Who a LangChain step runs for, and facts the wrappers share with the callback handler.

Scope and principal come from the run's ``RunnableConfig``:

* scope: ``configurable["guardllm_scope"]``, else ``configurable["thread_id"]`` (LangGraph's
  conversation key), else the wrapper's own ``scope=``, else -- when the config names a
  principal -- ``default:<principal>`` (one scope per user: without it every caller shared
  the Guard's default scope, and user u2's answer could restore a token masked from u1's
  prompt), else the Guard's default scope;
* principal: ``configurable["guardllm_principal"]``, else ``configurable["principal"]``,
  else ``configurable["user_id"]``, else the wrapper's ``principal=``, else the Guard's;
* lineage run id: ``configurable["guardllm_run_id"]``, else the root run id known to an
  attached guardllm callback handler, else the step's parent (or own) run id.

``metadata`` keys of the same names are read too (LangGraph copies ``configurable`` there).

The wrappers know things the callback handler cannot see from LangChain's events (which
token types a tool was actually given raw, in which scope a step ran); they leave them in
a small bounded, thread-safe registry keyed by run id or tool-call id.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from guardllm.errors import InputError

__all__ = [
    "CallContext",
    "FactRegistry",
    "Facts",
    "bound_config",
    "context_from_config",
    "current_config",
    "find_handler",
    "granted_guard",
    "lineage_run_id",
    "new_run_id",
    "registry",
]

SCOPE_KEYS = ("guardllm_scope", "thread_id")
PRINCIPAL_KEYS = ("guardllm_principal", "principal", "user_id")
RUN_ID_KEY = "guardllm_run_id"
DEFAULT_SCOPE_PREFIX = "default"  # per-principal fallback scope: ``default:<principal>``


def new_run_id() -> str:
    """A UUIDv7 (time-ordered, like LangChain's own run ids) as a string."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


@dataclass(frozen=True)
class CallContext:
    """Scope, principal and purpose of one call (``None`` = the Guard's default)."""

    scope: str | None = None
    principal: str | None = None
    purpose: str | None = None

    def as_kwargs(self) -> dict[str, Any]:
        return {"scope": self.scope, "principal": self.principal}


def _merged(config: Mapping[str, Any] | None) -> dict[str, Any]:
    if not config:
        return {}
    meta = dict(config.get("metadata") or {})
    conf = dict(config.get("configurable") or {})
    return {**meta, **conf}


def _first(values: Mapping[str, Any], keys: Iterable[str]) -> str | None:
    for key in keys:
        value = values.get(key)
        if value is not None and value != "":
            return str(value)
    return None


def context_from_config(
    config: Mapping[str, Any] | None,
    *,
    scope: str | None = None,
    principal: str | None = None,
    purpose: str | None = None,
) -> CallContext:
    """The call context for ``config``; explicit wrapper settings fill the gaps."""
    values = _merged(config)
    called_for = _first(values, PRINCIPAL_KEYS)
    resolved = _first(values, SCOPE_KEYS) or scope
    if resolved is None and called_for is not None:
        # Only a principal from the call's config splits the scope: the wrapper's own
        # principal= is the same for every call, and the Guard's default scope still
        # serves calls that name nobody.
        resolved = f"{DEFAULT_SCOPE_PREFIX}:{called_for}"
    return CallContext(
        scope=resolved,
        principal=called_for or principal,
        purpose=_first(values, ("guardllm_purpose",)) or purpose,
    )


# The config a wrapper's own ``invoke`` was called with: LangChain hands it to the
# retriever / chat-model internals only partly, so the wrappers keep it here.
_CALL_CONFIG: contextvars.ContextVar[Mapping[str, Any] | None] = contextvars.ContextVar(
    "guardllm_call_config", default=None
)


@contextlib.contextmanager
def bound_config(config: Mapping[str, Any] | None) -> Iterator[None]:
    """Make ``config`` visible to :func:`current_config` for the duration of a call."""
    token = _CALL_CONFIG.set(config)
    try:
        yield
    finally:
        try:
            _CALL_CONFIG.reset(token)
        except ValueError:  # reset from another context (a generator closed elsewhere)
            _CALL_CONFIG.set(None)


def current_config(config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``config`` (or the one bound by the wrapper's ``invoke``) merged with the config
    LangChain/LangGraph set for the running step."""
    from langchain_core.runnables.config import ensure_config

    if config is None:
        config = _CALL_CONFIG.get()
    return dict(ensure_config(config))  # type: ignore[arg-type]


def find_handler(run_manager: Any, guard: Any = None) -> Any | None:
    """The guardllm callback handler attached to this run (for ``guard`` when given)."""
    if run_manager is None:
        return None
    handlers = list(getattr(run_manager, "handlers", ()) or ()) + list(
        getattr(run_manager, "inheritable_handlers", ()) or ()
    )
    for handler in handlers:
        if getattr(handler, "is_guardllm_handler", False) and (guard is None or handler.guard is guard):
            return handler
    return None


def lineage_run_id(run_manager: Any, config: Mapping[str, Any] | None, guard: Any = None) -> str:
    """The lineage run (graph) a step belongs to; see the module docs for the order."""
    values = _merged(config)
    if values.get(RUN_ID_KEY):
        return str(values[RUN_ID_KEY])
    if run_manager is not None:
        handler = find_handler(run_manager)
        if handler is not None:
            root = handler.root_run_id(run_manager.run_id)
            if root:
                return str(root)
        parent = getattr(run_manager, "parent_run_id", None)
        return str(parent or run_manager.run_id)
    return new_run_id()


def granted_guard(guard: Any, tool_name: str, reveal: Iterable[str] | None) -> Any:
    """A view of ``guard`` whose policy also lets ``tool:<tool_name>`` see ``reveal`` types."""
    types = sorted({str(t).upper() for t in (reveal or ())})
    if not types:
        return guard
    for attr in ("with_tool_grant", "granting"):
        method = getattr(guard, attr, None)
        if callable(method):
            return method(tool_name, types)
    policy = getattr(guard, "policy", None)
    if policy is not None and hasattr(policy, "with_tool_grant") and hasattr(guard, "with_policy"):
        return guard.with_policy(policy.with_tool_grant(tool_name, types))
    raise InputError("this Guard cannot grant tool-specific reveal types; configure them in the policy")


# -- facts shared between wrappers and the callback handler ------------------------------


@dataclass
class Facts:
    """What a guarded step did, as the handler cannot see it from LangChain's events."""

    scope: str | None = None
    principal: str | None = None
    revealed: list[Any] = field(default_factory=list)  # TokenRefs given raw to a tool
    kept: list[Any] = field(default_factory=list)  # TokenRefs the tool got as tokens
    restored_to: str | None = None  # recipient an answer was restored for
    blocked: str | None = None  # entity type of a block


class FactRegistry:
    """Bounded, thread-safe map of run ids / tool-call ids to :class:`Facts`."""

    def __init__(self, capacity: int = 4096) -> None:
        self._items: OrderedDict[str, Facts] = OrderedDict()
        self._lock = threading.Lock()
        self._capacity = capacity

    def update(self, key: Any, **fields: Any) -> Facts:
        if key is None:
            return Facts(**fields)
        k = str(key)
        with self._lock:
            facts = self._items.get(k)
            if facts is None:
                facts = self._items[k] = Facts()
                while len(self._items) > self._capacity:
                    self._items.popitem(last=False)
            for name, value in fields.items():
                setattr(facts, name, value)
            return facts

    def get(self, key: Any) -> Facts | None:
        if key is None:
            return None
        with self._lock:
            return self._items.get(str(key))

    def pop(self, key: Any) -> Facts | None:
        if key is None:
            return None
        with self._lock:
            return self._items.pop(str(key), None)


registry = FactRegistry()
