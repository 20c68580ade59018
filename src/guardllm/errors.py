"""Exception hierarchy.

Every message is built from entity *types*, rule names, field paths and token
fingerprints -- never from a raw sensitive value.  Code that raises these must
keep it that way: tests search exception text for the raw test values.
"""

from __future__ import annotations


class GuardError(Exception):
    """Base class for every error guardllm raises on purpose."""


class InputError(GuardError, ValueError):
    """The caller passed something guardllm cannot process (wrong type, bad bytes, too large)."""


class DetectionError(GuardError):
    """Detection failed; under fail-closed the data is not let through."""


class PolicyError(GuardError):
    """A policy file or object is invalid.  ``errors`` lists (location, message) pairs."""

    def __init__(self, message: str, errors: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.errors: list[tuple[str, str]] = list(errors or [])


class BlockedError(GuardError):
    """A policy ``block`` rule (or a guardrail) refused the step.

    ``entity_type`` and ``rule`` say why; the value itself is never included.
    """

    def __init__(self, message: str, *, entity_type: str | None = None, rule: str | None = None) -> None:
        super().__init__(message)
        self.entity_type = entity_type
        self.rule = rule


class VaultError(GuardError):
    """The token vault or its keys failed (missing key, unreadable store, erased subject)."""


class KeyMissingError(VaultError):
    """No encryption key was configured.  The message says how to provide one."""


class LeakError(GuardError):
    """Strict mode: a raw sensitive value was about to reach a model."""

    def __init__(self, message: str, *, entity_types: list[str] | None = None) -> None:
        super().__init__(message)
        self.entity_types = list(entity_types or [])


class AuditIntegrityError(GuardError):
    """The audit chain does not verify (edited, dropped, inserted or reordered record)."""


__all__ = [
    "AuditIntegrityError",
    "BlockedError",
    "DetectionError",
    "GuardError",
    "InputError",
    "KeyMissingError",
    "LeakError",
    "PolicyError",
    "VaultError",
]
