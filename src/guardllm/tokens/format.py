"""Token surface forms and the tolerant pattern that finds them again.

A token looks like ``[EMAIL_1]``: a typed label, an underscore, a per-(scope, label)
counter, in square brackets.  Measured with the real ``cl100k_base`` encoding this is
5 model tokens per placeholder (``bench/bench_guard.py`` prints the measurement).
Square brackets survive Markdown rendering (``<EMAIL_1>`` would be eaten as an HTML
tag) and rarely occur next to an upper-case label with a number in natural text.

Models copy tokens imperfectly, so :data:`TOKEN_RE` also accepts the forms they
produce: other letter case (``[email_1]``), Markdown escaping (``\\[EMAIL\\_1\\]``),
HTML / JSON escaping of the brackets (``&#91;``, ``&lbrack;``, ``\\u005b``) and a
bare ``EMAIL_1`` whose brackets were dropped.  Quotes, backticks or ``**bold**``
around a token are left in place; only the token itself is replaced.  The pattern
has no nested quantifiers, so matching is linear in the input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from guardllm.detect.types import is_secret, label_for


def format_token(label: str, n: int) -> str:
    """The canonical surface form: ``[LABEL_N]``."""
    return f"[{label}_{n}]"


def redacted(entity_type: str) -> str:
    """What a secret or a ``redact`` value becomes (nothing is stored)."""
    return f"[REDACTED:{entity_type}]"


_OPEN = r"(?:\\?\[|&\#0*91;|&\#x0*5b;|&lbrack;|&lsqb;|\\u005b|%5b)"
_CLOSE = r"(?:\\?\]|&\#0*93;|&\#x0*5d;|&rbrack;|&rsqb;|\\u005d|%5d)"
_SEP = r"(?:\\?_)"
_LABEL = r"[A-Za-z][A-Za-z0-9]*(?:\\?_[A-Za-z][A-Za-z0-9]*)*"

#: Bracketed tokens in any tolerated escaping / case.
TOKEN_RE = re.compile(
    rf"(?P<open>{_OPEN})(?P<label>{_LABEL}){_SEP}(?P<n>[0-9]{{1,9}})(?P<close>{_CLOSE})",
    re.IGNORECASE,
)


def bare_token_re(labels: frozenset[str]) -> re.Pattern[str] | None:
    """Bracket-less ``LABEL_N`` for the given labels (a model dropped the brackets).

    Only labels that were actually issued are accepted, so ordinary identifiers such
    as ``var_1`` are never touched.
    """
    if not labels:
        return None
    alts = "|".join(sorted((re.escape(lb).replace("_", r"\\?_") for lb in labels), key=len, reverse=True))
    return re.compile(
        rf"(?<![A-Za-z0-9_\\\[])(?P<label>{alts}){_SEP}(?P<n>[0-9]{{1,9}})(?![A-Za-z0-9_])", re.IGNORECASE
    )


def canonical(label: str, n: str | int) -> str:
    """Canonical token text for a matched label and number (escapes and case removed)."""
    return format_token(label.replace("\\", "").upper(), int(n))


@dataclass(frozen=True, slots=True)
class TokenRef:
    """One token (or surrogate) in a text: safe to log, holds no raw value.

    ``action`` is the policy action that produced it (``tokenize``, ``surrogate``,
    ``hash``, ``mask``, ``redact``).
    """

    token: str
    entity_type: str
    fingerprint: str
    action: str = "tokenize"


__all__ = [
    "TOKEN_RE",
    "TokenRef",
    "bare_token_re",
    "canonical",
    "format_token",
    "is_secret",
    "label_for",
    "redacted",
]
