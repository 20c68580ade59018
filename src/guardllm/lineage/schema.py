"""The lineage vocabulary: node kinds, edge statuses, and the validators that keep values out.

Lineage holds entity *types*, keyed *fingerprints*, counts and step names -- never a
value.  Everything the recorder writes passes through these checks first, and an
error names the offending field without echoing what was in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from guardllm.errors import InputError

#: Steps of a run (LangChain runs, SDK calls).
STEP_KINDS = frozenset({"llm", "chat_model", "tool", "retriever", "sql", "chain", "agent"})
#: Where data comes from: user input, a table, a column, a retriever source, a document.
SOURCE_KINDS = frozenset({"source", "table", "column", "document"})
#: Where data goes: the final answer, a model provider, a tool's side effect.
SINK_KINDS = frozenset({"sink", "provider"})
NODE_KINDS = STEP_KINDS | SOURCE_KINDS | SINK_KINDS

#: How values crossed an edge.  ``dropped``: a column withheld from the step.
EDGE_STATUSES = frozenset({"masked", "revealed", "raw", "leaked", "blocked", "dropped"})

# fp_ + hex of a keyed HMAC (16 hex today; longer forms are accepted for future keys).
FINGERPRINT_RE = re.compile(r"fp_[0-9a-f]{16,64}")
ENTITY_TYPE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]{0,63}")

#: Attribute strings longer than this are content, not a name: refused.
MAX_ATTR_CHARS = 256
MAX_NAME_CHARS = 256

# Keys the recorder owns; ``**attrs`` may not overwrite them.
NODE_CORE_KEYS = (
    "run_id",
    "id",
    "kind",
    "name",
    "parent_id",
    "root_run_id",
    "scope",
    "principal",
    "status",
    "error_type",
    "started_at",
    "ended_at",
)
EDGE_KEYS = ("run_id", "source", "target", "entity_types", "fingerprints", "status", "tokens", "label", "ts")


def is_fingerprint(value: object) -> bool:
    """Whether ``value`` has the shape of a token fingerprint (``fp_`` + hex)."""
    return isinstance(value, str) and FINGERPRINT_RE.fullmatch(value) is not None


def check_fingerprint(value: object, field: str = "fingerprint") -> str:
    """``value`` if it is a fingerprint; otherwise :class:`InputError` naming ``field`` only."""
    if not is_fingerprint(value):
        raise InputError(
            f"{field} must be a token fingerprint like 'fp_' followed by hex digits "
            f"(got a {type(value).__name__} of another shape; lineage stores no values)"
        )
    return value  # type: ignore[return-value]


def check_id(value: object, field: str) -> str:
    """A non-empty run/node id (UUIDs are turned into their string form)."""
    if value is None:
        raise InputError(f"{field} is required")
    text = str(value)
    if not text or len(text) > MAX_NAME_CHARS or "\n" in text:
        raise InputError(f"{field} must be a non-empty single-line id of at most {MAX_NAME_CHARS} characters")
    return text


def check_name(value: object, field: str) -> str:
    text = "" if value is None else str(value)
    if len(text) > MAX_NAME_CHARS:
        raise InputError(
            f"{field} is longer than {MAX_NAME_CHARS} characters; lineage holds step names, not content"
        )
    return text


def check_kind(kind: object) -> str:
    if kind not in NODE_KINDS:
        raise InputError(f"kind must be one of {', '.join(sorted(NODE_KINDS))}")
    return kind  # type: ignore[return-value]


def check_status(status: object) -> str:
    if status not in EDGE_STATUSES:
        raise InputError(f"status must be one of {', '.join(sorted(EDGE_STATUSES))}")
    return status  # type: ignore[return-value]


def check_list(values: Iterable[Any] | None, field: str) -> list[Any]:
    if values is None:
        return []
    if isinstance(values, (str, bytes, bytearray)) or not isinstance(values, Iterable):
        raise InputError(f"{field} must be a list of strings, not a {type(values).__name__}")
    return list(values)


def check_entity_types(values: Iterable[Any] | None) -> list[str]:
    out = check_list(values, "entity_types")
    for item in out:
        if not isinstance(item, str) or ENTITY_TYPE_RE.fullmatch(item) is None:
            raise InputError("entity_types must hold entity type names like EMAIL_ADDRESS")
    return sorted(set(out))


def check_fingerprints(values: Iterable[Any] | None) -> list[str]:
    out = check_list(values, "fingerprints")
    for item in out:
        check_fingerprint(item, "fingerprints")
    return sorted(set(out))


def check_tokens(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError("tokens must be a non-negative int")
    return value


def check_attr(key: str, value: Any) -> Any:
    """Attributes are JSON scalars (or short lists of them) naming things, never content."""
    if key in NODE_CORE_KEYS:
        raise InputError(f"attribute {key!r} is reserved")
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        if len(value) > MAX_ATTR_CHARS:
            raise InputError(
                f"attribute {key!r} is longer than {MAX_ATTR_CHARS} characters; lineage holds "
                "names and counts, not content"
            )
        return value
    if isinstance(value, (list, tuple)):
        if len(value) > 64:
            raise InputError(f"attribute {key!r} has more than 64 items")
        return [check_attr(key, v) for v in value]
    raise InputError(
        f"attribute {key!r} must be a string, number, bool or a list of them, not {type(value).__name__}"
    )
