"""Detection: find sensitive values (PII and secrets) in text and in Python objects.

>>> import guardllm
>>> [f.entity_type for f in guardllm.scan("Mail ana.lima@example.org")]
['EMAIL_ADDRESS']

The module-level :func:`scan` uses one default :class:`Detector`, built on first use and shared
(it is immutable, so this is thread- and async-safe).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from guardllm.detect.engine import CustomPattern, Detector
from guardllm.detect.finding import Finding
from guardllm.detect.objects import ObjectFinding
from guardllm.detect.types import ALL_TYPES, is_secret, label_for

__all__ = [
    "ALL_TYPES",
    "CustomPattern",
    "Detector",
    "Finding",
    "ObjectFinding",
    "default_detector",
    "is_secret",
    "label_for",
    "scan",
    "scan_object",
]

_DEFAULT: Detector | None = None
_LOCK = threading.Lock()


def default_detector() -> Detector:
    """The shared default :class:`Detector` (built once, on first use)."""
    global _DEFAULT
    d = _DEFAULT
    if d is None:
        with _LOCK:
            if _DEFAULT is None:
                _DEFAULT = Detector()
            d = _DEFAULT
    return d


def scan(text: str, *, detector: Detector | None = None) -> list[Finding]:
    """Sorted, non-overlapping findings for ``text`` (``str``, or UTF-8 ``bytes``)."""
    return (detector or default_detector()).scan(text)


def scan_object(
    obj: Any, *, detector: Detector | None = None, columns: Sequence[str] | None = None
) -> list[ObjectFinding]:
    """Findings per field of a dict / list / tuple / row object (see :meth:`Detector.scan_object`)."""
    return (detector or default_detector()).scan_object(obj, columns=columns)
