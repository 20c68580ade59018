"""guardllm: mask sensitive data before LLMs see it, reveal it only where policy allows,
and record lineage and a tamper-evident audit trail of every step.

``import guardllm`` is light: detection and the token vault load on first use, and
LangChain agents, the OpenAI / Anthropic SDKs and Presidio load only when their
integration is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> module that defines it; resolved on first attribute access (PEP 562).
_LAZY: dict[str, str] = {
    "scan": "guardllm.detect",
    "scan_object": "guardllm.detect",
    "Detector": "guardllm.detect",
    "Finding": "guardllm.detect.finding",
    "ObjectFinding": "guardllm.detect",
    "Guard": "guardllm.guard",
    "Policy": "guardllm.policy",
    "load_policy": "guardllm.policy",
    "LineageGraph": "guardllm.lineage",
    "AuditLog": "guardllm.audit",
}
_ERRORS = (
    "AuditIntegrityError",
    "BlockedError",
    "DetectionError",
    "GuardError",
    "InputError",
    "KeyMissingError",
    "LeakError",
    "PolicyError",
    "VaultError",
)
_LAZY.update({name: "guardllm.errors" for name in _ERRORS})
_SUBMODULES = {"openai", "anthropic"}

if TYPE_CHECKING:  # pragma: no cover
    from guardllm.audit import AuditLog
    from guardllm.detect import Detector, ObjectFinding, scan, scan_object
    from guardllm.detect.finding import Finding
    from guardllm.errors import (
        AuditIntegrityError,
        BlockedError,
        DetectionError,
        GuardError,
        InputError,
        KeyMissingError,
        LeakError,
        PolicyError,
        VaultError,
    )
    from guardllm.guard import Guard
    from guardllm.lineage import LineageGraph
    from guardllm.policy import Policy, load_policy


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        # guardllm.openai / guardllm.anthropic live under integrations/ but are
        # part of the public surface: ``guardllm.openai.wrap(client, guard)``.
        module = importlib.import_module(f"guardllm.integrations.{name}")
        globals()[name] = module
        return module
    modname = _LAZY.get(name)
    if modname is None:
        raise AttributeError(f"module 'guardllm' has no attribute {name!r}")
    value = getattr(importlib.import_module(modname), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY, *_SUBMODULES])


__all__ = [
    "AuditIntegrityError",
    "AuditLog",
    "BlockedError",
    "DetectionError",
    "Detector",
    "Finding",
    "Guard",
    "GuardError",
    "InputError",
    "KeyMissingError",
    "LeakError",
    "LineageGraph",
    "ObjectFinding",
    "Policy",
    "PolicyError",
    "VaultError",
    "__version__",
    "load_policy",
    "scan",
    "scan_object",
]
