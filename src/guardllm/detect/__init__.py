r"""Detection: find sensitive values (PII and secrets) in text and in Python objects.

>>> import guardllm
>>> [f.entity_type for f in guardllm.scan("Mail ana.lima@example.org")]
['EMAIL_ADDRESS']
>>> [(f.field_path, f.entity_type) for f in guardllm.scan_object({"customer": {"name": "Ana Lima", "dob": "1970-01-02"}})]
[('customer.name', 'PERSON'), ('customer.dob', 'DATE_TIME')]

A configured detector::

    from guardllm.detect import CustomPattern, Detector
    d = Detector(
        disabled=["URL"],
        thresholds={"PERSON": 0.7},
        custom_patterns=[CustomPattern(name="employee_id", regex=r"\bE-\d{6}\b", context=("employee",))],
        deny_list={"Project Nightjar": "CODENAME"},
        allow_list=["support@example.com"],
    )

How it works: pattern recognizers with validators (``pii``: Luhn, mod-97, SSN rules, phone
numbering plans, checksums), context (``context``: names, birth dates, street addresses), and
structure (``structure``: JSON/dict keys, ``key=value``, ``Key: value``, Markdown/CSV/HTML tables).
Provider secrets come from ``detect.secrets`` when it is installed.  Every regex is linear-time and
guarded by a cheap prefilter.  The module-level :func:`scan` uses one default :class:`Detector`,
built on first use and shared (its configuration is immutable, so this is thread- and async-safe).
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
